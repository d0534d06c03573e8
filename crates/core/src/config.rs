//! The one typed configuration, read from a TOML file and `TIDINGS_*` environment variables.
//!
//! Every field has a default that needs nothing installed, so Tidings runs with no file at all. Environment
//! variables override the file: `TIDINGS_LISTEN` sets `listen`, and a double underscore walks into a section,
//! so `TIDINGS_FETCH__ALLOW_PRIVATE_NETWORKS=true` sets `[fetch] allow_private_networks`. Values are read as
//! TOML (numbers, booleans, arrays) and fall back to a plain string.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Configuration errors name the source (file or variable) and the problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The TOML file does not parse or has unknown keys.
    #[error("config file {path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The settings parse but do not make sense together (from the file or the environment).
    #[error("invalid configuration: {message}")]
    Invalid {
        /// What is wrong.
        message: String,
    },
    /// An environment variable names no setting, or its value has the wrong type.
    #[error("environment variable {name}: {message}")]
    Env {
        /// The variable.
        name: String,
        /// What is wrong.
        message: String,
    },
}

/// All of Tidings' settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where Tidings keeps its files (the SQLite database, the search index).
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…`. Empty means `sqlite://<data_dir>/tidings.db`.
    pub database_url: String,
    /// Address the web server listens on.
    pub listen: SocketAddr,
    /// Log filter in `tracing` syntax (`info`, `tidings=debug,info`); `RUST_LOG` wins when set.
    pub log: String,
    /// How sources are fetched.
    pub fetch: FetchConfig,
    /// How often sources are polled.
    pub poll: PollConfig,
    /// When item pages are fetched and their article extracted.
    pub extract: ExtractConfig,
    /// How articles are grouped into stories and copies are recognised.
    pub stories: StoriesConfig,
    /// Full-text search.
    pub search: SearchConfig,
    /// The web server's own settings (the admin pages).
    pub web: WebConfig,
    /// Readers' accounts, comments and moderation.
    pub accounts: AccountsConfig,
    /// Optional machine-written summaries from an OpenAI-compatible endpoint (off by default).
    pub llm: LlmConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("tidings-data"),
            database_url: String::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log: "info".to_owned(),
            fetch: FetchConfig::default(),
            poll: PollConfig::default(),
            extract: ExtractConfig::default(),
            stories: StoriesConfig::default(),
            search: SearchConfig::default(),
            web: WebConfig::default(),
            accounts: AccountsConfig::default(),
            llm: LlmConfig::default(),
        }
    }
}

impl Config {
    /// The database URL to open: the configured one, or the SQLite file in the data directory.
    pub fn effective_database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("tidings.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// The file of the key that seals second-factor secrets: `accounts.secret_key_file`, or `<data_dir>/secret.key`
    /// when that is empty.
    pub fn effective_secret_key_file(&self) -> PathBuf {
        if self.accounts.secret_key_file.as_os_str().is_empty() {
            self.data_dir.join("secret.key")
        } else {
            self.accounts.secret_key_file.clone()
        }
    }

    /// The search index's directory: the configured one, or `search` in the data directory.
    pub fn effective_search_dir(&self) -> PathBuf {
        if self.search.index_dir.as_os_str().is_empty() {
            self.data_dir.join("search")
        } else {
            self.search.index_dir.clone()
        }
    }

    /// Builds the configuration from an optional TOML file's text and environment variables (only those
    /// starting with `TIDINGS_` are looked at; `TIDINGS_CONFIG` names the file and is skipped here).
    pub fn load(
        file: Option<(&str, &str)>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table = match file {
            Some((path, text)) => toml::from_str::<toml::Table>(text)
                .map_err(|e| ConfigError::File { path: path.to_owned(), message: e.to_string() })?,
            None => toml::Table::new(),
        };
        let mut env_names = Vec::new();
        for (name, value) in env {
            let Some(rest) = name.strip_prefix("TIDINGS_") else { continue };
            if rest == "CONFIG" || rest.starts_with("TEST_") || rest.is_empty() {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(|part| part.to_ascii_lowercase()).collect();
            set_path(&mut table, &path, parse_env_value(&value))
                .map_err(|message| ConfigError::Env { name: name.clone(), message })?;
            env_names.push(name);
        }
        let config: Config = table.clone().try_into().map_err(|e: toml::de::Error| {
            let message = e.to_string();
            match (file, env_names.is_empty()) {
                (Some((path, _)), true) => ConfigError::File { path: path.to_owned(), message },
                (None, false) => ConfigError::Env { name: env_names.join(", "), message },
                (Some((path, _)), false) => {
                    ConfigError::File { path: format!("{path} (with {})", env_names.join(", ")), message }
                }
                (None, true) => ConfigError::File { path: "<defaults>".to_owned(), message },
            }
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |message: String| ConfigError::Invalid { message };
        if self.poll.min_interval_secs == 0 || self.poll.min_interval_secs > self.poll.max_interval_secs {
            return Err(bad(format!(
                "poll.min_interval_secs ({}) must be at least 1 and at most poll.max_interval_secs ({})",
                self.poll.min_interval_secs, self.poll.max_interval_secs
            )));
        }
        if self.fetch.max_redirects > 20 {
            return Err(bad(format!("fetch.max_redirects ({}) must be at most 20", self.fetch.max_redirects)));
        }
        if self.poll.max_interval_secs > MAX_INTERVAL_SECS {
            return Err(bad(format!(
                "poll.max_interval_secs ({}) must be at most {MAX_INTERVAL_SECS} (30 days)",
                self.poll.max_interval_secs
            )));
        }
        if self.poll.error_backoff_secs == 0 || self.poll.tick_secs == 0 {
            return Err(bad("poll.error_backoff_secs and poll.tick_secs must be at least 1".to_owned()));
        }
        if self.fetch.per_host_concurrency == 0 || self.poll.concurrency == 0 || self.extract.concurrency == 0 {
            return Err(bad(
                "fetch.per_host_concurrency, poll.concurrency and extract.concurrency must be at least 1".to_owned()
            ));
        }
        if self.extract.batch_size < 1 || self.extract.teaser_max_chars < 0 {
            return Err(bad(
                "extract.batch_size must be at least 1 and extract.teaser_max_chars not negative".to_owned()
            ));
        }
        if self.search.batch_size < 1 {
            return Err(bad(format!("search.batch_size ({}) must be at least 1", self.search.batch_size)));
        }
        if self.stories.window_days == 0 || self.stories.window_days > 90 {
            return Err(bad(format!("stories.window_days ({}) must be between 1 and 90", self.stories.window_days)));
        }
        if self.stories.batch_size < 1 || self.stories.memory_articles < 1000 {
            return Err(bad(
                "stories.batch_size must be at least 1 and stories.memory_articles at least 1000".to_owned()
            ));
        }
        if !self.web.admin_token.is_empty() && !self.web.admin_token_file.as_os_str().is_empty() {
            return Err(bad("set web.admin_token or web.admin_token_file, not both".to_owned()));
        }
        if let Some(bad_range) = self.web.trusted_proxies.iter().find(|r| IpRange::parse(r).is_none()) {
            return Err(bad(format!(
                "web.trusted_proxies: {bad_range:?} is not an address or a range like 10.0.0.0/8"
            )));
        }
        if self.web.max_concurrent_asks == 0 || self.web.max_concurrent_asks > WebConfig::MAX_CONCURRENT_ASKS {
            return Err(bad(format!(
                "web.max_concurrent_asks ({}) must be between 1 and {}",
                self.web.max_concurrent_asks,
                WebConfig::MAX_CONCURRENT_ASKS
            )));
        }
        self.accounts.validate()?;
        self.llm.validate()?;
        WebConfig::check_admin_token(&self.web.admin_token)
    }
}

/// The longest a source may go unpolled; longer would read as "never" and risks date overflow downstream.
const MAX_INTERVAL_SECS: u64 = 30 * 24 * 60 * 60;

fn parse_env_value(raw: &str) -> toml::Value {
    // Parse as the right-hand side of a TOML assignment so `true`, `30` and `["a"]` get their types.
    let doc = format!("v = {raw}");
    match toml::from_str::<toml::Table>(&doc) {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(raw.to_owned())),
        Err(_) => toml::Value::String(raw.to_owned()),
    }
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    match path {
        [] => Err("empty setting name".to_owned()),
        [last] => {
            table.insert(last.clone(), value);
            Ok(())
        }
        [head, rest @ ..] => {
            let entry = table.entry(head.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(inner) => set_path(inner, rest, value),
                _ => Err(format!("`{head}` is not a section")),
            }
        }
    }
}

/// How Tidings talks HTTP to sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchConfig {
    /// The User-Agent header; honest about who is fetching.
    pub user_agent: String,
    /// Whole-request timeout, seconds.
    pub timeout_secs: u64,
    /// Connect timeout, seconds.
    pub connect_timeout_secs: u64,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
    /// Cap on the decompressed body, bytes.
    pub max_body_bytes: u64,
    /// Requests in flight to one host at a time.
    pub per_host_concurrency: usize,
    /// Allow connections to loopback, private, link-local and other internal addresses. Off by default: a
    /// feed URL must never reach into the operator's network.
    pub allow_private_networks: bool,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: format!(
                "Tidings/{} (self-hosted news aggregator; +https://github.com/tidings/tidings)",
                env!("CARGO_PKG_VERSION")
            ),
            timeout_secs: 30,
            connect_timeout_secs: 10,
            max_redirects: 5,
            max_body_bytes: 10 * 1024 * 1024,
            per_host_concurrency: 2,
            allow_private_networks: false,
        }
    }
}

/// When sources are polled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PollConfig {
    /// Run the poller inside `tidings serve`.
    pub enabled: bool,
    /// Shortest interval between polls of one source, seconds.
    pub min_interval_secs: u64,
    /// Longest interval between polls of one source, seconds.
    pub max_interval_secs: u64,
    /// Interval for a source whose publishing rhythm is not known yet, seconds.
    pub default_interval_secs: u64,
    /// First retry delay after an error, seconds; doubled per consecutive error up to `max_interval_secs`.
    pub error_backoff_secs: u64,
    /// Sources polled at once.
    pub concurrency: usize,
    /// How often the poller looks for due sources, seconds.
    pub tick_secs: u64,
    /// Regular expressions (case ignored) for items not to store: an item whose title or link one of them
    /// matches is left out of every poll that lists it, as Miniflux's block rules do (`"^sponsored\\b"`,
    /// `"/podcasts?/"`); the feed's polling rhythm still counts it. Checked when a command that ingests starts
    /// (`serve`, `demo`, `sources`, `stories`, `reindex`); a bad one stops it with the rule named.
    pub skip_rules: Vec<String>,
}

impl Default for PollConfig {
    fn default() -> Self {
        PollConfig {
            enabled: true,
            min_interval_secs: 5 * 60,
            max_interval_secs: 24 * 60 * 60,
            default_interval_secs: 30 * 60,
            error_backoff_secs: 60,
            concurrency: 8,
            tick_secs: 5,
            skip_rules: Vec::new(),
        }
    }
}

/// The extraction stage: fetching an item's web page and extracting the article from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExtractConfig {
    /// Run the stage inside the poller.
    pub enabled: bool,
    /// Under `auto` (each source's default), a feed text shorter than this many characters is a teaser.
    pub teaser_max_chars: i64,
    /// Pages fetched at once.
    pub concurrency: usize,
    /// Pages taken per poller tick.
    pub batch_size: i64,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        ExtractConfig { enabled: true, teaser_max_chars: 1000, concurrency: 4, batch_size: 32 }
    }
}

/// The story stage: online clustering of articles into stories, and syndicated copies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoriesConfig {
    /// Run the stage inside the poller.
    pub enabled: bool,
    /// A story takes new articles for this many days after its latest one (and copies are looked for within
    /// the same span).
    pub window_days: u32,
    /// Articles clustered per poller tick.
    pub batch_size: i64,
    /// An article waiting for its page to be extracted is clustered on its feed text after this many seconds.
    pub extraction_grace_secs: u64,
    /// At most this many recent articles are held in memory (and replayed on start); older ones leave first.
    pub memory_articles: usize,
}

impl Default for StoriesConfig {
    fn default() -> Self {
        StoriesConfig {
            enabled: true,
            window_days: 7,
            batch_size: 500,
            extraction_grace_secs: 600,
            memory_articles: 200_000,
        }
    }
}

/// Full-text search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// Keep the search index up to date in the poller and serve `/search`.
    pub enabled: bool,
    /// Where the index lives; empty means `<data_dir>/search`.
    pub index_dir: PathBuf,
    /// Articles indexed per commit.
    pub batch_size: i64,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig { enabled: true, index_dir: PathBuf::new(), batch_size: 2000 }
    }
}

/// The web server's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Seconds a rendered public page (home, articles, stories, topics, outlets, feeds, the read API) is kept
    /// and served to every anonymous reader; 0 renders every request. New articles show up within this delay.
    pub page_cache_secs: u64,
    /// The token that signs in to `/admin` and authorises the sources write API (`Authorization: Bearer …`).
    /// Empty (the default): the sources API is off and `/admin` is for admin accounts signed in to the site. At least
    /// [`WebConfig::MIN_ADMIN_TOKEN_CHARS`] characters.
    #[serde(deserialize_with = "string_or_integer")]
    pub admin_token: String,
    /// A file holding the admin token (its surrounding whitespace ignored), instead of `admin_token`. Read by the
    /// binary when it starts, with [`WebConfig::read_admin_token_file`].
    pub admin_token_file: PathBuf,
    /// The language of the site's text, as the tag of one of the site's catalogues (`en`, the default). The
    /// binary checks it against the catalogues it has with [`WebConfig::check_language`].
    pub language: String,
    /// Serve articles' images from this server (fetched once through the guarded fetcher, kept under
    /// `<data_dir>/images`), so no page makes a request to a third party. On by default; off, images load from
    /// their outlets over https.
    pub image_proxy: bool,
    /// Reverse proxies in front of Tidings, as addresses or ranges (`127.0.0.1`, `10.0.0.0/8`, `::1`): a request
    /// from one of them is taken to come from the address its `X-Forwarded-For` names (the nearest one that is
    /// not itself a trusted proxy), for the per-address limits on sign-ins, posting and questions. Empty (the
    /// default): the connecting address, and `X-Forwarded-For` is ignored (anyone can write it).
    pub trusted_proxies: Vec<String>,
    /// Questions one address may ask per minute (the `/ask` page and `/api/v1/ask` together), counted in each
    /// web process; 0 for no limit. Answering reads and scores a dozen articles, so the limit keeps one reader
    /// from taking the server's time from everyone else.
    pub asks_per_minute_per_ip: u32,
    /// Questions answered at once by one process; a question that finds them all busy for two seconds is
    /// answered "busy, try again" (503). From 1 to 10,000.
    pub max_concurrent_asks: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            page_cache_secs: 5,
            admin_token: String::new(),
            admin_token_file: PathBuf::new(),
            language: "en".to_owned(),
            image_proxy: true,
            trusted_proxies: Vec::new(),
            asks_per_minute_per_ip: 20,
            max_concurrent_asks: 4,
        }
    }
}

/// An address range: an address and how many leading bits of it a member shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    /// The range's first address (or any address in it).
    pub address: std::net::IpAddr,
    /// Leading bits in common: 32 (IPv4) or 128 (IPv6) for one address.
    pub prefix: u8,
}

impl IpRange {
    /// Parses `addr` or `addr/prefix`; `None` when it is neither.
    pub fn parse(text: &str) -> Option<IpRange> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address.parse().ok()?, Some(prefix.parse::<u8>().ok()?)),
            None => (text.parse().ok()?, None),
        };
        let bits = if matches!(address, std::net::IpAddr::V4(_)) { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(IpRange { address, prefix })
    }

    /// Whether `ip` is in the range (an IPv4 address written as IPv6, `::ffff:a.b.c.d`, counts as IPv4).
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl WebConfig {
    /// The shortest admin token accepted.
    pub const MIN_ADMIN_TOKEN_CHARS: usize = 16;
    /// The most questions answered at once that `max_concurrent_asks` may ask for.
    pub const MAX_CONCURRENT_ASKS: usize = 10_000;

    /// Refuses a token too short to resist guessing; empty is accepted (the admin pages are off).
    pub fn check_admin_token(token: &str) -> Result<(), ConfigError> {
        let chars = token.chars().count();
        if chars > 0 && chars < Self::MIN_ADMIN_TOKEN_CHARS {
            return Err(ConfigError::Invalid {
                message: format!(
                    "web.admin_token is {chars} characters long; use at least {} (for example the output of \
                     `openssl rand -hex 32`), or leave it empty to turn the admin pages off",
                    Self::MIN_ADMIN_TOKEN_CHARS
                ),
            });
        }
        Ok(())
    }

    /// Refuses a `language` that is none of `available`, the tags of the site's catalogues (ASCII case ignored).
    pub fn check_language(&self, available: &[&str]) -> Result<(), ConfigError> {
        if available.iter().any(|tag| tag.eq_ignore_ascii_case(self.language.trim())) {
            return Ok(());
        }
        Err(ConfigError::Invalid {
            message: format!(
                "web.language is {:?}, a language the site has no text for; use one of: {}",
                self.language,
                available.join(", ")
            ),
        })
    }

    /// Sets `admin_token` from `admin_token_file` when one is named, using `read` to read it, and checks the
    /// token. Errors name the file.
    pub fn read_admin_token_file(
        &mut self,
        read: impl FnOnce(&std::path::Path) -> std::io::Result<String>,
    ) -> Result<(), ConfigError> {
        let Some(token) = read_secret_file(&self.admin_token_file, "admin token", read)? else { return Ok(()) };
        Self::check_admin_token(&token).map_err(|e| ConfigError::File {
            path: self.admin_token_file.display().to_string(),
            message: e.to_string().replace("web.admin_token", "the token"),
        })?;
        self.admin_token = token;
        Ok(())
    }
}

/// Who may make an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SignupMode {
    /// Anyone.
    #[default]
    Open,
    /// Only holders of an invitation link an admin made.
    Invite,
    /// No one: admins make accounts with `tidings users add`.
    Closed,
}

/// Readers' accounts, comments and moderation.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountsConfig {
    /// Who may make an account: `open`, `invite` or `closed`.
    pub signup: SignupMode,
    /// Days a sign-in lasts without being used.
    pub session_days: u32,
    /// Minutes after posting during which a comment can be edited.
    pub edit_window_mins: u32,
    /// Comments one account may post per minute; 0 for no limit.
    pub comments_per_minute: u32,
    /// Comments and sign-up or sign-in attempts one IP address may make per minute; 0 for no limit.
    pub requests_per_minute_per_ip: u32,
    /// Wrong passwords in a row, per account name and per address, before sign-ins there are slowed down.
    pub login_free_failures: u32,
    /// A comment with more links than this is held for a moderator.
    pub max_links: usize,
    /// Hours an account counts as new: a new account's comments with a link are held for a moderator.
    pub new_account_hours: i64,
    /// Words and phrases that hold a comment for a moderator (whole words, case ignored).
    pub held_words: Vec<String>,
    /// The longest comment, in characters.
    pub max_comment_chars: usize,
    /// The site's public address (`https://news.example`), for the links in invitations and password resets
    /// and in the Atom feeds; empty: invitations and resets are printed as paths, to be put after the site's
    /// address, and the feeds use the host the reader reached.
    pub public_url: String,
    /// A mail relay for password-reset mail: `smtp://host:port` (plain SMTP, as to the host's own mail server or
    /// a relay on the local network; port 25 by default), `smtp+starttls://user:password@host:port` (STARTTLS;
    /// 587) or `smtps://user:password@host:port` (TLS from the start; 465), the user and password optional and
    /// percent-encoded; empty: no mail is sent and resets are by an admin's link only. Needs `public_url` and
    /// `mail_from`.
    pub smtp_url: String,
    /// The sender of password-reset mail (`Tidings <news@example.org>`).
    pub mail_from: String,
    /// The file holding the key that seals readers' second-factor secrets in the database (64 hex digits);
    /// empty: `<data_dir>/secret.key`, made on first start when missing. Every web process of a deployment needs
    /// the same file, and the key is not in the database or its backups: keep a copy of it. Lost, the accounts
    /// with a second factor cannot sign in until `tidings users remove-2fa NAME` turns it off.
    pub secret_key_file: PathBuf,
}

impl std::fmt::Debug for AccountsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `smtp_url` may hold the relay's password.
        f.debug_struct("AccountsConfig")
            .field("signup", &self.signup)
            .field("session_days", &self.session_days)
            .field("edit_window_mins", &self.edit_window_mins)
            .field("comments_per_minute", &self.comments_per_minute)
            .field("requests_per_minute_per_ip", &self.requests_per_minute_per_ip)
            .field("login_free_failures", &self.login_free_failures)
            .field("max_links", &self.max_links)
            .field("new_account_hours", &self.new_account_hours)
            .field("held_words", &self.held_words)
            .field("max_comment_chars", &self.max_comment_chars)
            .field("public_url", &self.public_url)
            .field("smtp_url", &self.smtp_url_redacted())
            .field("mail_from", &self.mail_from)
            .field("secret_key_file", &self.secret_key_file)
            .finish()
    }
}

impl Default for AccountsConfig {
    fn default() -> Self {
        AccountsConfig {
            signup: SignupMode::Open,
            session_days: 30,
            edit_window_mins: 15,
            comments_per_minute: 5,
            requests_per_minute_per_ip: 60,
            login_free_failures: 5,
            max_links: 3,
            new_account_hours: 24,
            held_words: Vec::new(),
            max_comment_chars: 10_000,
            public_url: String::new(),
            smtp_url: String::new(),
            mail_from: String::new(),
            secret_key_file: PathBuf::new(),
        }
    }
}

/// How password-reset mail reaches the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP (`smtp://`): for the host's own mail server or a relay on the local network.
    Plain,
    /// Plain SMTP upgraded with STARTTLS before anything is sent (`smtp+starttls://`).
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Tls,
}

/// The mail relay `smtp_url` names.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpRelay {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Plain, STARTTLS or TLS.
    pub security: SmtpSecurity,
    /// User name and password for `AUTH PLAIN`, when the URL gives them (only over TLS).
    pub login: Option<(String, String)>,
}

impl std::fmt::Debug for SmtpRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password stays out of logs.
        f.debug_struct("SmtpRelay")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.login.as_ref().map(|(user, _)| user))
            .finish()
    }
}

impl SmtpRelay {
    /// `host:port`, for connecting.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// `%XX` escapes decoded (a user name or password in a URL); `None` when one is malformed or not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl AccountsConfig {
    /// `smtp_url` with its password (if any) replaced, for showing.
    pub fn smtp_url_redacted(&self) -> String {
        let url = self.smtp_url.trim();
        match (url.split_once("://"), url.rsplit_once('@')) {
            (Some((scheme, rest)), Some((_, host))) if rest.contains('@') => {
                let user = rest.split_once(':').map_or(rest, |(user, _)| user);
                format!("{scheme}://{user}:<not shown>@{host}")
            }
            _ => url.to_owned(),
        }
    }

    /// The relay `smtp_url` names, if it is a well-formed `smtp://`, `smtp+starttls://` or `smtps://` URL.
    pub fn smtp_relay(&self) -> Option<SmtpRelay> {
        let url = self.smtp_url.trim();
        let (security, default_port, rest) = if let Some(rest) = url.strip_prefix("smtp://") {
            (SmtpSecurity::Plain, 25, rest)
        } else if let Some(rest) = url.strip_prefix("smtp+starttls://") {
            (SmtpSecurity::StartTls, 587, rest)
        } else if let Some(rest) = url.strip_prefix("smtps://") {
            (SmtpSecurity::Tls, 465, rest)
        } else {
            return None;
        };
        let rest = rest.trim_end_matches('/');
        let (login, host_port) = match rest.rsplit_once('@') {
            Some((userinfo, host_port)) => {
                let (user, password) = userinfo.split_once(':')?;
                (Some((percent_decode(user)?, percent_decode(password)?)), host_port)
            }
            None => (None, rest),
        };
        if host_port.is_empty() || host_port.contains(['/', '@', ' ', '?', '#']) {
            return None;
        }
        let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
            let (host, after) = bracketed.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(port) => port.parse().ok()?,
                None if after.is_empty() => default_port,
                None => return None,
            };
            (host.to_owned(), port)
        } else {
            match host_port.rsplit_once(':') {
                Some((host, port)) => (host.to_owned(), port.parse().ok()?),
                None => (host_port.to_owned(), default_port),
            }
        };
        // An IPv6 address must be in brackets: `fe80::1` is no host `fe80:` on port 1.
        let bracketed = host_port.starts_with('[');
        if host.is_empty() || port == 0 || (!bracketed && host.contains(':')) {
            return None;
        }
        Some(SmtpRelay { host, port, security, login })
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |message: String| ConfigError::Invalid { message };
        if self.session_days == 0 || self.session_days > 400 {
            return Err(bad(format!("accounts.session_days ({}) must be between 1 and 400", self.session_days)));
        }
        if self.max_comment_chars < 10 || self.max_comment_chars > 100_000 {
            return Err(bad(format!(
                "accounts.max_comment_chars ({}) must be between 10 and 100000",
                self.max_comment_chars
            )));
        }
        if self.new_account_hours < 0 {
            return Err(bad("accounts.new_account_hours must not be negative".to_owned()));
        }
        let url = self.public_url.trim();
        if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
            return Err(bad(format!("accounts.public_url ({url:?}) must start with https:// or http://")));
        }
        let smtp = self.smtp_url.trim();
        if !smtp.is_empty() {
            // The URL may hold a password: the message names the problem, not the URL.
            let Some(relay) = self.smtp_relay() else {
                return Err(bad(
                    "accounts.smtp_url must be smtp://host:port, smtp+starttls://[user:password@]host:port or \
                     smtps://[user:password@]host:port"
                        .to_owned(),
                ));
            };
            if relay.security == SmtpSecurity::Plain && relay.login.is_some() {
                return Err(bad(
                    "accounts.smtp_url: a password over plain smtp:// would cross the network in clear; use \
                     smtps:// or smtp+starttls://"
                        .to_owned(),
                ));
            }
            if url.is_empty() || self.mail_from.trim().is_empty() {
                return Err(bad(
                    "accounts.smtp_url needs accounts.public_url (for the links in the mail) and accounts.mail_from"
                        .to_owned(),
                ));
            }
        }
        Ok(())
    }
}

/// Machine-written summaries: an OpenAI-compatible chat-completions endpoint (a local llama.cpp `llama-server`,
/// or any service speaking the same protocol) writes a short summary of each newly enriched article. Off by
/// default: Tidings' own reading aids need no outside service, and this one is the operator's choice.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// Ask the endpoint for summaries of newly enriched articles.
    pub enabled: bool,
    /// The API's base URL, up to and including its version (`http://127.0.0.1:8081/v1`); requests go to
    /// `{endpoint}/chat/completions`.
    pub endpoint: String,
    /// The model to ask for, as the endpoint names it; also shown beside each summary.
    pub model: String,
    /// A bearer token for the endpoint, when it wants one. Never logged nor printed by `tidings config`.
    #[serde(deserialize_with = "string_or_integer")]
    pub api_key: String,
    /// A file holding the token (surrounding whitespace ignored), instead of `api_key`; read by the binary when it
    /// starts, with [`LlmConfig::read_api_key_file`].
    pub api_key_file: PathBuf,
    /// How long one request may take, seconds (a local model on a CPU can take a minute for a long article).
    pub timeout_secs: u64,
    /// The article text sent is cut to this many characters (the prompt's size, and so its time, grows with it).
    pub max_input_chars: usize,
    /// The longest answer asked for, in tokens.
    pub max_tokens: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            enabled: false,
            endpoint: String::new(),
            model: String::new(),
            api_key: String::new(),
            api_key_file: PathBuf::new(),
            timeout_secs: 120,
            max_input_chars: 12_000,
            max_tokens: 300,
            concurrency: 1,
        }
    }
}

/// Written by hand so the API key never reaches a log line through `{:?}`.
impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("enabled", &self.enabled)
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .field("api_key", &if self.api_key.is_empty() { "" } else { "<set, not shown>" })
            .field("api_key_file", &self.api_key_file)
            .field("timeout_secs", &self.timeout_secs)
            .field("max_input_chars", &self.max_input_chars)
            .field("max_tokens", &self.max_tokens)
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

impl LlmConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |message: String| ConfigError::Invalid { message };
        if !self.api_key.is_empty() && !self.api_key_file.as_os_str().is_empty() {
            return Err(bad("set llm.api_key or llm.api_key_file, not both".to_owned()));
        }
        if !self.enabled {
            return Ok(());
        }
        let endpoint = self.endpoint.trim();
        if endpoint.is_empty() {
            return Err(bad(
                "llm.enabled is true but llm.endpoint is empty; set it to the API's base URL, for example \
                 http://127.0.0.1:8081/v1 for a local llama-server"
                    .to_owned(),
            ));
        }
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) || url::Url::parse(endpoint).is_err()
        {
            return Err(bad(format!("llm.endpoint ({endpoint:?}) must be an http:// or https:// URL")));
        }
        if self.model.trim().is_empty() {
            return Err(bad(
                "llm.enabled is true but llm.model is empty; set it to the model's name as the endpoint knows it"
                    .to_owned(),
            ));
        }
        if self.timeout_secs == 0 || self.timeout_secs > 3600 {
            return Err(bad(format!("llm.timeout_secs ({}) must be between 1 and 3600", self.timeout_secs)));
        }
        if self.concurrency == 0 || self.concurrency > 64 {
            return Err(bad(format!("llm.concurrency ({}) must be between 1 and 64", self.concurrency)));
        }
        if self.max_input_chars < 200 {
            return Err(bad(format!("llm.max_input_chars ({}) must be at least 200", self.max_input_chars)));
        }
        if self.max_tokens < 16 {
            return Err(bad(format!("llm.max_tokens ({}) must be at least 16", self.max_tokens)));
        }
        Ok(())
    }

    /// Sets `api_key` from `api_key_file` when one is named, using `read` to read it. Errors name the file.
    pub fn read_api_key_file(
        &mut self,
        read: impl FnOnce(&std::path::Path) -> std::io::Result<String>,
    ) -> Result<(), ConfigError> {
        if let Some(key) = read_secret_file(&self.api_key_file, "llm API key", read)? {
            self.api_key = key;
        }
        Ok(())
    }
}

/// The secret in `path` (its surrounding whitespace ignored), read with `read`; none when no file is named. Errors
/// name the file and `what` it should hold.
fn read_secret_file(
    path: &std::path::Path,
    what: &str,
    read: impl FnOnce(&std::path::Path) -> std::io::Result<String>,
) -> Result<Option<String>, ConfigError> {
    if path.as_os_str().is_empty() {
        return Ok(None);
    }
    let shown = path.display().to_string();
    let text = read(path)
        .map_err(|e| ConfigError::File { path: shown.clone(), message: format!("reading the {what}: {e}") })?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(ConfigError::File { path: shown, message: format!("the {what} file is empty") });
    }
    Ok(Some(secret.to_owned()))
}

/// A token set through the environment is read as TOML first, so one of digits only arrives as an integer.
fn string_or_integer<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(i64),
    }
    Ok(match Raw::deserialize(deserializer)? {
        Raw::Text(text) => text,
        Raw::Number(n) => n.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_mail_needs_a_relay_address_a_public_url_and_a_sender() {
        let file = "[accounts]\nsmtp_url = \"smtp://relay.internal\"\n";
        let err = Config::load(Some(("t.toml", file)), Vec::new()).unwrap_err().to_string();
        assert!(err.contains("accounts.public_url"), "{err}");
        let file = "[accounts]\nsmtp_url = \"smtp://relay.internal\"\npublic_url = \"https://news.example\"\n\
                    mail_from = \"news@example.org\"\n";
        let config = Config::load(Some(("t.toml", file)), Vec::new()).unwrap();
        assert_eq!(config.accounts.smtp_relay().map(|r| r.address()).as_deref(), Some("relay.internal:25"));
        let with = |url: &str| {
            format!("[accounts]\nsmtp_url = \"{url}\"\npublic_url = \"https://n.example\"\nmail_from = \"a@b.c\"\n")
        };
        let err = Config::load(Some(("t.toml", &with("https://relay"))), Vec::new()).unwrap_err().to_string();
        assert!(err.contains("smtp://host:port"), "{err}");
        let err = Config::load(Some(("t.toml", &with("smtp://me:s3cret@relay"))), Vec::new()).unwrap_err().to_string();
        assert!(err.contains("in clear") && !err.contains("s3cret"), "a password needs TLS, and is not shown: {err}");
    }

    #[test]
    fn proxy_ranges_hold_their_addresses() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let net = IpRange::parse("10.0.0.0/8").unwrap();
        assert!(net.contains(ip("10.20.30.40")) && !net.contains(ip("11.0.0.1")));
        assert!(net.contains(ip("::ffff:10.1.2.3")), "IPv4 written as IPv6");
        let one = IpRange::parse("127.0.0.1").unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        assert!(IpRange::parse("::1").unwrap().contains(ip("::1")));
        assert!(IpRange::parse("0.0.0.0/0").unwrap().contains(ip("192.0.2.1")));
        assert!(IpRange::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        for bad in ["", "10.0.0.0/33", "proxy.internal", "10.0.0.0/x"] {
            assert_eq!(IpRange::parse(bad), None, "{bad}");
        }
        let file = "[web]\ntrusted_proxies = [\"127.0.0.1\", \"proxy\"]\n";
        let err = Config::load(Some(("t.toml", file)), Vec::new()).unwrap_err().to_string();
        assert!(err.contains("web.trusted_proxies") && err.contains("\"proxy\""), "{err}");
    }

    #[test]
    fn questions_answered_at_once_must_be_at_least_one() {
        let err = Config::load(None, [("TIDINGS_WEB__MAX_CONCURRENT_ASKS".to_owned(), "0".to_owned())])
            .unwrap_err()
            .to_string();
        assert!(err.contains("web.max_concurrent_asks"), "{err}");
        let config =
            Config::load(Some(("t.toml", "[web]\nasks_per_minute_per_ip = 0\nmax_concurrent_asks = 1\n")), Vec::new())
                .unwrap();
        assert_eq!((config.web.asks_per_minute_per_ip, config.web.max_concurrent_asks), (0, 1));
    }

    #[test]
    fn smtp_urls_name_the_security_the_port_and_the_login() {
        let relay = |url: &str| AccountsConfig { smtp_url: url.to_owned(), ..AccountsConfig::default() }.smtp_relay();
        let tls = relay("smtps://news%40example.org:p%3Ass@mail.example.org").unwrap();
        assert_eq!((tls.security, tls.address()), (SmtpSecurity::Tls, "mail.example.org:465".to_owned()));
        assert_eq!(tls.login, Some(("news@example.org".to_owned(), "p:ss".to_owned())));
        assert!(!format!("{tls:?}").contains("p:ss"), "the password stays out of logs");
        let config = AccountsConfig { smtp_url: "smtps://u:p%3Ass@h".into(), ..AccountsConfig::default() };
        assert!(!format!("{config:?}").contains("p%3Ass"), "{config:?}");
        let starttls = relay("smtp+starttls://u:p@mail.example.org:2525/").unwrap();
        assert_eq!((starttls.security, starttls.port), (SmtpSecurity::StartTls, 2525));
        assert_eq!(relay("smtp+starttls://mail.example.org").unwrap().port, 587);
        assert_eq!(relay("smtp://[::1]").unwrap().address(), "[::1]:25");
        for bad in [
            "smtp://",
            "smtp://host:0",
            "smtp://host:x",
            "smtps://user@host",
            "smtp://h/path",
            "ftp://h",
            "smtp://fe80::1",
        ] {
            assert_eq!(relay(bad), None, "{bad}");
        }
        let shown = AccountsConfig { smtp_url: "smtps://me:s3cret@mail.example.org".into(), ..Default::default() };
        assert_eq!(shown.smtp_url_redacted(), "smtps://me:<not shown>@mail.example.org");
    }

    #[test]
    fn defaults_need_no_file() {
        let config = Config::load(None, Vec::new()).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.effective_database_url(), "sqlite://tidings-data/tidings.db");
    }

    #[test]
    fn env_overrides_file_and_walks_sections() {
        let file = "listen = \"0.0.0.0:9000\"\n[fetch]\nmax_redirects = 3\n";
        let env = vec![
            ("TIDINGS_FETCH__ALLOW_PRIVATE_NETWORKS".to_owned(), "true".to_owned()),
            ("TIDINGS_DATABASE_URL".to_owned(), "postgres://x@localhost/db".to_owned()),
            ("HOME".to_owned(), "/root".to_owned()),
        ];
        let config = Config::load(Some(("tidings.toml", file)), env).unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.fetch.max_redirects, 3);
        assert!(config.fetch.allow_private_networks);
        assert_eq!(config.database_url, "postgres://x@localhost/db");
    }

    #[test]
    fn unknown_keys_are_refused_with_the_file_named() {
        let err = Config::load(Some(("my.toml", "[fetch]\ntimeout = 3\n")), Vec::new()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("my.toml") && text.contains("timeout"), "{text}");
    }

    #[test]
    fn absurd_intervals_are_refused() {
        let err =
            Config::load(Some(("t.toml", "[poll]\nmax_interval_secs = 10000000000000\n")), Vec::new()).unwrap_err();
        assert!(err.to_string().contains("max_interval_secs"), "{err}");
        let err = Config::load(Some(("t.toml", "[poll]\nerror_backoff_secs = 0\n")), Vec::new()).unwrap_err();
        assert!(err.to_string().contains("error_backoff_secs"), "{err}");
    }

    #[test]
    fn admin_token_from_env_and_short_ones_refused() {
        let env = vec![("TIDINGS_WEB__ADMIN_TOKEN".to_owned(), "0123456789abcdef0123".to_owned())];
        assert_eq!(Config::load(None, env).unwrap().web.admin_token, "0123456789abcdef0123");
        let env = vec![("TIDINGS_WEB__ADMIN_TOKEN".to_owned(), "1234567890123456".to_owned())];
        assert_eq!(Config::load(None, env).unwrap().web.admin_token, "1234567890123456", "digits only stay text");
        let err = Config::load(Some(("t.toml", "[web]\nadmin_token = \"short\"\n")), Vec::new()).unwrap_err();
        assert!(err.to_string().contains("web.admin_token is 5 characters long"), "{err}");
        let both = "[web]\nadmin_token = \"0123456789abcdef\"\nadmin_token_file = \"/run/token\"\n";
        let err = Config::load(Some(("t.toml", both)), Vec::new()).unwrap_err();
        assert!(err.to_string().contains("not both"), "{err}");
    }

    #[test]
    fn languages_are_checked_against_the_catalogues() {
        let config = Config::load(None, Vec::new()).unwrap();
        assert_eq!(config.web.language, "en");
        assert!(config.web.check_language(&["en"]).is_ok());
        let env = vec![("TIDINGS_WEB__LANGUAGE".to_owned(), "fr".to_owned())];
        let config = Config::load(None, env).unwrap();
        let err = config.web.check_language(&["en", "de"]).unwrap_err().to_string();
        assert!(err.contains("web.language is \"fr\"") && err.contains("use one of: en, de"), "{err}");
        let unknown = Config::load(Some(("t.toml", "[web]\nlanguages = \"en\"\n")), Vec::new()).unwrap_err();
        assert!(unknown.to_string().contains("languages"), "{unknown}");
    }

    #[test]
    fn admin_token_file_is_read_and_trimmed() {
        let mut web = WebConfig { admin_token_file: "/run/token".into(), ..WebConfig::default() };
        web.read_admin_token_file(|_| Ok("0123456789abcdef0123\n".to_owned())).unwrap();
        assert_eq!(web.admin_token, "0123456789abcdef0123");
        let mut web = WebConfig { admin_token_file: "/run/token".into(), ..WebConfig::default() };
        let err = web.read_admin_token_file(|_| Ok("tiny\n".to_owned())).unwrap_err();
        assert!(err.to_string().contains("/run/token") && err.to_string().contains("4 characters"), "{err}");
        let mut web = WebConfig { admin_token_file: "/run/token".into(), ..WebConfig::default() };
        let err = web.read_admin_token_file(|_| Err(std::io::Error::other("no such file"))).unwrap_err();
        assert!(err.to_string().contains("/run/token: reading the admin token: no such file"), "{err}");
    }

    #[test]
    fn llm_is_off_by_default_and_checked_when_on() {
        let config = Config::load(None, Vec::new()).unwrap();
        assert!(!config.llm.enabled);
        let err = Config::load(Some(("t.toml", "[llm]\nenabled = true\n")), Vec::new()).unwrap_err().to_string();
        assert!(err.contains("llm.endpoint is empty"), "{err}");
        let env = vec![
            ("TIDINGS_LLM__ENABLED".to_owned(), "true".to_owned()),
            ("TIDINGS_LLM__ENDPOINT".to_owned(), "http://127.0.0.1:8081/v1".to_owned()),
        ];
        let err = Config::load(None, env.clone()).unwrap_err().to_string();
        assert!(err.contains("llm.model is empty"), "{err}");
        let mut env = env;
        env.push(("TIDINGS_LLM__MODEL".to_owned(), "qwen2.5-3b-instruct".to_owned()));
        env.push(("TIDINGS_LLM__API_KEY".to_owned(), "sk-secret-value".to_owned()));
        let config = Config::load(None, env).unwrap();
        assert!(config.llm.enabled && config.llm.concurrency == 1);
        assert_eq!(config.llm.endpoint, "http://127.0.0.1:8081/v1");
        let shown = format!("{config:?}");
        assert!(!shown.contains("sk-secret-value") && shown.contains("<set, not shown>"), "{shown}");
        let file = "[llm]\nenabled = true\nendpoint = \"127.0.0.1:8081\"\nmodel = \"m\"\n";
        let err = Config::load(Some(("t.toml", file)), Vec::new()).unwrap_err().to_string();
        assert!(err.contains("llm.endpoint") && err.contains("http://"), "{err}");
        let err = Config::load(Some(("t.toml", "[llm]\nkey = \"x\"\n")), Vec::new()).unwrap_err().to_string();
        assert!(err.contains("t.toml") && err.contains("key"), "{err}");
    }

    #[test]
    fn llm_api_key_file_is_read_and_trimmed() {
        let mut llm = LlmConfig { api_key_file: "/run/llm-key".into(), ..LlmConfig::default() };
        llm.read_api_key_file(|_| Ok("sk-123\n".to_owned())).unwrap();
        assert_eq!(llm.api_key, "sk-123");
        let mut llm = LlmConfig { api_key_file: "/run/llm-key".into(), ..LlmConfig::default() };
        let err = llm.read_api_key_file(|_| Ok(" \n".to_owned())).unwrap_err().to_string();
        assert!(err.contains("/run/llm-key") && err.contains("empty"), "{err}");
        let both = "[llm]\napi_key = \"a\"\napi_key_file = \"/run/k\"\n";
        assert!(Config::load(Some(("t.toml", both)), Vec::new()).unwrap_err().to_string().contains("not both"));
    }

    #[test]
    fn bad_env_value_names_the_variable() {
        let env = vec![("TIDINGS_POLL__CONCURRENCY".to_owned(), "lots".to_owned())];
        let err = Config::load(None, env).unwrap_err();
        assert!(err.to_string().contains("TIDINGS_POLL__CONCURRENCY"), "{err}");
    }
}
