//! Command-line interface.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tidings_core::{ExtractMode, Lean};

fn parse_extract_mode(value: &str) -> Result<ExtractMode, String> {
    ExtractMode::parse(value).ok_or_else(|| format!("{value:?} is not a mode: use auto, always or never"))
}

fn parse_lean(value: &str) -> Result<Lean, String> {
    Lean::parse(value)
        .ok_or_else(|| format!("{value:?} is not a lean: use left, lean-left, center, lean-right or right"))
}

/// Tidings: your own news aggregator. Follows RSS, Atom and JSON feeds, stores their articles, and serves
/// them on a web site.
///
/// Configuration comes from a TOML file (--config, TIDINGS_CONFIG, or ./tidings.toml when present) and
/// TIDINGS_* environment variables (TIDINGS_LISTEN, TIDINGS_DATABASE_URL, TIDINGS_FETCH__TIMEOUT_SECS, …).
/// With neither, data goes to ./tidings-data in a SQLite file.
#[derive(Debug, Parser)]
#[command(name = "tidings", version, propagate_version = true)]
pub struct Cli {
    /// Configuration file (TOML).
    #[arg(long, short, global = true, env = "TIDINGS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// More log output (-v debug, -vv trace). RUST_LOG overrides.
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web site and the poller until Ctrl-C or SIGTERM.
    Serve {
        /// Address to listen on (default from config: 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Start a populated demo: ten fictional outlets served from this binary on 127.0.0.1, polled into a
    /// fresh SQLite database, and the site at http://127.0.0.1:8080. Needs no network.
    Demo {
        /// Address for the site (default from config: 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// Keep the demo database from an earlier run instead of starting fresh.
        #[arg(long)]
        keep: bool,
    },
    /// Add, import, export, list, poll and remove sources.
    #[command(subcommand)]
    Sources(SourcesCommand),
    /// Extract the article from a news page (a file, or a URL fetched with the configured fetcher and its
    /// SSRF guard) and print it as JSON: title, byline, times, site, canonical URL, image, language, clean
    /// text and safe HTML.
    Extract {
        /// A file path, or an http(s) URL.
        source: String,
        /// The page's URL, to resolve relative links and images when SOURCE is a file.
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// List stories, show one with its articles and copies, or cluster the articles still waiting.
    #[command(subcommand)]
    Stories(StoriesCommand),
    /// Machine-written summaries (`[llm]`): list the articles whose summary failed, queue them again once the
    /// endpoint works, or queue the articles already stored (after switching `[llm]` on). `tidings serve` writes
    /// the summaries of what is queued.
    #[command(subcommand)]
    Summaries(SummariesCommand),
    /// Rebuild the search index from every stored article, with a progress bar. Stop `tidings serve` first: one
    /// process at a time writes the index (serve keeps it up to date as articles arrive).
    Reindex,
    /// Write a consistent copy of the SQLite database to FILE while Tidings keeps running (SQLite's VACUUM INTO:
    /// one snapshot, compacted, synced to disk). Keep the key file that seals second factors (`[accounts]
    /// secret_key_file`, by default `<data_dir>/secret.key`) with it. To restore: stop Tidings, delete the
    /// database's -wal and -shm files, put the copy in its place, run `tidings reindex` (the search index holds
    /// what the copy does not), start Tidings. For PostgreSQL, use pg_dump.
    Backup {
        /// Where to write the copy; a file that does not exist yet.
        file: std::path::PathBuf,
    },
    /// Search stored articles as the site does and print the best matches with their snippets.
    ///
    /// The query takes words (all required, stemmed), "exact phrases", -exclusions, outlet:NAME, topic:NAME,
    /// after:YYYY-MM-DD and before:YYYY-MM-DD.
    Search {
        /// The query (quote it for the shell).
        query: String,
        /// How many results to print.
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Manage readers' accounts: add the first admin, list, change roles, ban, make invitation and
    /// password-reset links.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Print the effective configuration (file and environment merged) as TOML.
    Config,
    /// Run an evaluation over a benchmark set and write predictions for its scorer.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Benchmark helpers: fill a database with synthetic news to measure the site at scale.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// `tidings users …`
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Make an account. The password is read from standard input with --password-stdin; otherwise a strong one
    /// is generated and printed once. `tidings users add NAME --admin` makes the site's first admin.
    Add {
        /// The user name (3 to 32 letters, digits, dots, dashes, underscores).
        name: String,
        /// Make it an admin (manages roles, invitations and reset links, and moderates).
        #[arg(long, conflicts_with = "moderator")]
        admin: bool,
        /// Make it a moderator.
        #[arg(long)]
        moderator: bool,
        /// An e-mail address for the account.
        #[arg(long, value_name = "ADDRESS")]
        email: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts: id, name, role, when made, second factor, ban.
    List {
        /// How many, newest first.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Change an account's role: reader, moderator or admin.
    SetRole {
        /// The user name.
        name: String,
        /// reader, moderator or admin.
        role: String,
    },
    /// Ban an account from posting (for DAYS, or for good without --days), or lift a ban with --lift.
    Ban {
        /// The user name.
        name: String,
        /// How many days.
        #[arg(long)]
        days: Option<i64>,
        /// Lift the ban instead.
        #[arg(long)]
        lift: bool,
    },
    /// Print a one-time password-reset link for an account, valid for 24 hours.
    ResetLink {
        /// The user name.
        name: String,
    },
    /// Turn off an account's second factor (authenticator codes at sign-in), for a reader who lost the device
    /// or after the key that seals the codes' secrets was lost: the password alone signs in again, and the reader
    /// can set up a new authenticator on the account page.
    #[command(name = "remove-2fa")]
    Remove2fa {
        /// The user name.
        name: String,
    },
    /// Print a one-time invitation link (for `[accounts] signup = "invite"`), valid for 7 days.
    Invite,
    /// Make an API token for an account and print it (once): `Authorization: Bearer <token>` on the JSON API.
    Token {
        /// The user name.
        name: String,
        /// A label to recognise it by on the account page.
        #[arg(long, default_value = "made with tidings users token")]
        label: String,
    },
}

/// `tidings bench …`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Fill the configured database (by default the SQLite file in the data directory; it must have no
    /// sources or articles yet) with synthetic but realistic news: outlets with categories (so topics work)
    /// and a few wire services, articles of about 300 words over months up to now, grouped into stories
    /// covered by up to sixty outlets, syndicated copies with their originals, and related stories. The
    /// sources are due for polling only in a year, so a server on the database fetches nothing. A typical
    /// story and article are written to bench-sample.txt in the data directory for bench/throughput.sh.
    ///
    /// Example: TIDINGS_DATA_DIR=/tmp/tidings-1m tidings bench seed --articles 1000000
    Seed {
        /// How many articles to write.
        #[arg(long, value_name = "N")]
        articles: u64,
        /// How many outlets (sources) they come from.
        #[arg(long, value_name = "S", default_value_t = 200)]
        sources: u32,
        /// The days the articles are spread over, ending now.
        #[arg(long, default_value_t = 180)]
        days: u32,
        /// Seed of the generator: the same seed writes the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Many readers commenting at once on a running site (see bench/comments.sh): each signs up, then posts to
    /// an article until the time is up; prints req/s and latency percentiles, then counts what was stored
    /// (every acknowledged comment exactly once). The site's per-account and per-address limits must be off.
    Comments {
        /// The site's address.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// How many readers comment at once.
        #[arg(long, default_value_t = 200)]
        commenters: usize,
        /// How long they comment, in seconds.
        #[arg(long, default_value_t = 60)]
        secs: u64,
        /// Each reader's pause between two comments, in milliseconds (0: post again at once).
        #[arg(long, default_value_t = 0)]
        think_ms: u64,
    },
}

/// `tidings stories …`
#[derive(Debug, Subcommand)]
pub enum StoriesCommand {
    /// The most recently updated stories: id, outlets, articles, last update and headline.
    List {
        /// How many to show.
        #[arg(long, default_value_t = 30)]
        limit: i64,
        /// Only stories covered by at least this many outlets.
        #[arg(long, default_value_t = 1)]
        min_outlets: i64,
    },
    /// One story: its headline, timeline of articles (with outlet and time; copies marked with their
    /// original) and related stories.
    Show {
        /// The story's id (as `list` prints it).
        id: i64,
    },
    /// Cluster every stored article not yet in a story (the poller does this as it goes), then print what
    /// was done.
    Update,
}

/// `tidings summaries …`
#[derive(Debug, Subcommand)]
pub enum SummariesCommand {
    /// The articles whose last request for a machine-written summary failed: article, attempts, when it is
    /// tried again (or "gave up": after five attempts, until `retry` or a change to its text) and the error.
    Failures {
        /// How many to show, the latest failure first.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Queue every failed article again, due now, with its failures forgotten.
    Retry,
    /// Queue the stored articles published in the last DAYS days that have enough text to summarise. Articles
    /// the configured model has already summarised from the same text are answered from the kept summary, with
    /// no request.
    Queue {
        /// How far back to go, in days.
        #[arg(long, default_value_t = 7)]
        days: u32,
    },
}

/// `tidings sources …`
#[derive(Debug, Subcommand)]
pub enum SourcesCommand {
    /// Follow a feed URL, or a web page whose feed is discovered (from <link rel="alternate"> or common paths).
    Add {
        /// A feed URL or a web page URL.
        url: String,
        /// Category shown on the site (for example "World" or "Tech/AI").
        #[arg(long)]
        category: Option<String>,
        /// Add the URL as a feed as it is, without fetching it first.
        #[arg(long)]
        no_discover: bool,
        /// When to fetch each item's page and extract the full article: auto (only when the feed has a
        /// teaser), always, or never.
        #[arg(long, value_name = "MODE", default_value = "auto", value_parser = parse_extract_mode)]
        extract: ExtractMode,
        /// The outlet's political lean, as you rate it (see `tidings sources lean`).
        #[arg(long, value_name = "LEAN", value_parser = parse_lean)]
        lean: Option<Lean>,
    },
    /// Set when a source's item pages are fetched and extracted: auto, always or never.
    Extract {
        /// Source id or URL.
        source: String,
        /// auto (only teasers), always, or never.
        #[arg(value_parser = parse_extract_mode)]
        mode: ExtractMode,
    },
    /// Set a source's category, the topic its articles are listed under on the site (for example "World").
    /// No category given shows the source's; --clear removes it.
    ///
    /// Example: tidings sources category https://news.example/feed.xml Science
    Category {
        /// Source id or URL.
        source: String,
        /// The category.
        category: Option<String>,
        /// Remove the source's category.
        #[arg(long, conflicts_with = "category")]
        clear: bool,
    },
    /// Set a source's own skip rules: regular expressions (case ignored) on its items' titles and links; an item
    /// one of them (or one of `[poll] skip_rules`) matches is not stored. The rules given replace the source's;
    /// none given shows them; --clear removes them.
    ///
    /// Example: tidings sources skip https://news.example/feed.xml '^sponsored\b' '/podcasts?/'
    Skip {
        /// Source id or URL.
        source: String,
        /// The rules (quote each for the shell).
        rules: Vec<String>,
        /// Remove the source's rules.
        #[arg(long, conflicts_with = "rules")]
        clear: bool,
    },
    /// Rate a source's political lean (left, lean-left, center, lean-right or right), from whatever rating you
    /// trust: story pages then show their coverage by lean, and /blindspots lists the stories one side hardly
    /// covers. No lean given shows the source's; --clear removes it. Tidings rates nothing itself.
    ///
    /// Example: tidings sources lean https://news.example/feed.xml lean-left
    Lean {
        /// Source id or URL.
        source: String,
        /// left, lean-left, center, lean-right or right.
        #[arg(value_parser = parse_lean)]
        lean: Option<Lean>,
        /// Remove the source's lean.
        #[arg(long, conflicts_with = "lean")]
        clear: bool,
    },
    /// Follow every feed in an OPML file, with categories from its folders (and leans from a `lean` attribute
    /// on an outline, as `tidings sources export` writes it).
    Import {
        /// The OPML file.
        file: PathBuf,
    },
    /// Write all sources as OPML (to stdout, or to FILE).
    Export {
        /// Output file; stdout when absent.
        file: Option<PathBuf>,
    },
    /// List sources with their health: last success, last error, error count, next poll.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Resume polling a source that was stopped (after a 410 Gone or an invalid URL).
    Enable {
        /// Source id or URL.
        source: String,
    },
    /// Stop following a source (by id or URL) and delete its articles.
    Remove {
        /// Source id or URL.
        source: String,
    },
    /// Poll sources now, once: one source (by id or URL) or every source.
    Poll {
        /// Source id or URL; all sources when absent.
        source: Option<String>,
    },
}

/// `tidings eval …`
#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Parse every case of a feed conformance file (../shared/bench/feeds/cases.jsonl) and write one result
    /// per line in feedparser's layout, for score.py.
    Feeds {
        /// The cases file (paths in it are relative to its folder).
        cases: PathBuf,
        /// Where to write the predictions (JSON lines).
        out: PathBuf,
    },
    /// Cluster the articles of a JSON-lines file ({id, title, text, outlet, published}) into stories, as if
    /// they arrived in file order, and write {"id", "story"} per article for ../shared/bench/stories/score.py.
    Stories {
        /// The articles (JSON lines); any gold `story` field is ignored.
        input: PathBuf,
        /// Where to write the predictions (JSON lines).
        out: PathBuf,
    },
    /// Summarise the articles of a JSON-lines file ({id, text}) and write {"id", "summary"} per article, the
    /// summary's sentences one a line, for ../shared/bench/summaries/score.py.
    Summaries {
        /// The articles (JSON lines); fields other than id and text are ignored.
        input: PathBuf,
        /// Where to write the predictions (JSON lines).
        out: PathBuf,
    },
    /// Tag the named entities of a CoNLL file (token first on each line) and write its lines with the predicted
    /// tag (BIO) appended, for ../shared/bench/entities/score.py.
    Entities {
        /// The CoNLL file; -DOCSTART- lines separate documents, blank lines sentences.
        input: PathBuf,
        /// Where to write the tagged lines.
        out: PathBuf,
    },
    /// Extract every .html / .html.gz page under DIR (recursively) and write {"id", "text"} per page, the
    /// id being the file name up to its first dot, for ../shared/bench/extraction/score.py.
    Extraction {
        /// Folder of pages.
        dir: PathBuf,
        /// Where to write the predictions (JSON lines).
        out: PathBuf,
    },
}
