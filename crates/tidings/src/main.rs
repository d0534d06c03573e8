//! The `tidings` command: runs the server and the poller, manages sources, and runs evaluations.

mod bench;
mod bench_comments;
mod cli;
mod demo;
mod demo_community;
mod eval;
mod images;
mod search;
mod sources;
mod stories;
mod summaries;
mod users;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use metrics_exporter_prometheus::PrometheusHandle;
use tidings_core::{Config, Store};
use tidings_fetch::Fetcher;
use tidings_ingest::Ingester;
use tokio_util::sync::CancellationToken;

use crate::cli::{Cli, Command, EvalCommand};

/// The benchmarks use the same allocator, so that they measure what runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let config = load_config(cli.config.as_deref())?;
    init_logging(&config, cli.verbose);
    // Evaluations are CPU-bound batch jobs on files: no runtime needed.
    if let Command::Eval(command) = &cli.command {
        let summary = match command {
            EvalCommand::Feeds { cases, out } => eval::feeds::run(cases, out)?,
            EvalCommand::Extraction { dir, out } => eval::extraction::run(dir, out)?,
            EvalCommand::Stories { input, out } => eval::stories::run(input, out)?,
            EvalCommand::Entities { input, out } => eval::entities::run(input, out)?,
            EvalCommand::Summaries { input, out } => eval::summaries::run(input, out)?,
        };
        println!("{summary}");
        return Ok(());
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve { listen } => {
                let mut config = config;
                if let Some(listen) = listen {
                    config.listen = listen;
                }
                serve(config, install_metrics()).await
            }
            Command::Demo { listen, keep } => demo::run(config, listen, keep).await,
            Command::Sources(command) => sources::run(&config, command).await,
            Command::Extract { source, url } => extract_command(&config, &source, url).await,
            Command::Stories(command) => stories::run(&config, command).await,
            Command::Summaries(command) => summaries::run(&config, command).await,
            Command::Users(command) => users::run(&config, command).await,
            Command::Reindex => search::reindex(&config).await,
            Command::Backup { file } => backup(&config, &file).await,
            Command::Search { query, limit } => search::search(&config, &query, limit).await,
            Command::Config => {
                let mut shown = config;
                shown.database_url = tidings_store::redact(&shown.database_url);
                if !shown.web.admin_token.is_empty() {
                    shown.web.admin_token = "<set, not shown>".to_owned();
                }
                shown.accounts.smtp_url = shown.accounts.smtp_url_redacted();
                if !shown.llm.api_key.is_empty() {
                    shown.llm.api_key = "<set, not shown>".to_owned();
                }
                println!("{}", toml_of(&shown)?);
                Ok(())
            }
            Command::Bench(command) => bench::run(&config, command).await,
            Command::Eval(_) => Ok(()),
        }
    })
}

fn toml_of(config: &Config) -> anyhow::Result<String> {
    toml::to_string_pretty(config).context("serialising the configuration")
}

/// `tidings extract`: one page, from a file or over HTTP, printed as JSON.
async fn extract_command(config: &Config, source: &str, url: Option<String>) -> anyhow::Result<()> {
    let is_url = source.starts_with("http://") || source.starts_with("https://");
    let (bytes, options) = if is_url {
        let fetcher = Fetcher::new(&config.fetch).context("building the HTTP client")?;
        let fetched = match fetcher.fetch(source, &tidings_fetch::Validators::default()).await? {
            tidings_fetch::FetchResponse::Ok(body) => body,
            tidings_fetch::FetchResponse::NotModified { final_url } => {
                anyhow::bail!("{final_url}: server answered 304 Not Modified to an unconditional request")
            }
        };
        let options = tidings_extract::ExtractOptions {
            url: Some(url.unwrap_or_else(|| fetched.final_url.clone())),
            content_type: fetched.content_type.clone(),
            ..Default::default()
        };
        (fetched.body.to_vec(), options)
    } else {
        let bytes = std::fs::read(source).with_context(|| format!("reading {source}"))?;
        (bytes, tidings_extract::ExtractOptions { url, ..Default::default() })
    };
    let article = tidings_extract::extract(&bytes, &options).with_context(|| format!("extracting {source}"))?;
    println!("{}", serde_json::to_string_pretty(&article)?);
    Ok(())
}

/// Reads the config file (`--config`, `TIDINGS_CONFIG`, or `./tidings.toml` when it exists) and the
/// `TIDINGS_*` variables.
fn load_config(explicit: Option<&Path>) -> anyhow::Result<Config> {
    let path: Option<PathBuf> = match explicit {
        Some(p) => Some(p.to_owned()),
        None => Some(PathBuf::from("tidings.toml")).filter(|p| p.exists()),
    };
    let text = match &path {
        Some(p) => Some(std::fs::read_to_string(p).with_context(|| format!("reading config file {}", p.display()))?),
        None => None,
    };
    let shown = path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    let file = text.as_deref().map(|t| (shown.as_str(), t));
    let mut config = Config::load(file, std::env::vars())?;
    config.web.read_admin_token_file(|path| std::fs::read_to_string(path))?;
    config.llm.read_api_key_file(|path| std::fs::read_to_string(path))?;
    config.web.check_language(&tidings_web::strings::language_tags())?;
    Ok(config)
}

fn init_logging(config: &Config, verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => config.log.clone(),
        1 => "debug".to_owned(),
        _ => "trace".to_owned(),
    };
    // html5ever warns about every odd page it parses ("foster parenting not implemented"); that is the web's
    // normal state, not something an operator can act on.
    let default = if default.contains("html5ever") { default } else { format!("{default},html5ever=error") };
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&default))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Opens the configured store, creating the data directory for SQLite.
pub(crate) async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let url = config.effective_database_url();
    let store = tidings_store::open(&url)
        .await
        .with_context(|| format!("opening the database {}", tidings_store::redact(&url)))?;
    tracing::info!(backend = store.backend(), "store open");
    Ok(store)
}

pub(crate) fn ingester(config: &Config, store: Arc<dyn Store>) -> anyhow::Result<Ingester> {
    let fetcher = Fetcher::new(&config.fetch).context("building the HTTP client")?;
    let skip_rules = tidings_core::skip::SkipRules::parse(&config.poll.skip_rules).context("[poll] skip_rules")?;
    Ok(Ingester::new(store, Arc::new(fetcher), config.poll.clone())
        .with_skip_rules(skip_rules)
        .with_extract_config(config.extract.clone())
        .with_stories_config(config.stories.clone())
        .with_machine_summaries(config.llm.enabled))
}

/// `tidings backup FILE`.
async fn backup(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    let url = config.effective_database_url();
    let bytes = tidings_store::backup_sqlite(&url, file)
        .await
        .with_context(|| format!("backing up {} to {}", tidings_store::redact(&url), file.display()))?;
    println!("Wrote {} ({:.1} MB), a consistent copy of the database.", file.display(), bytes as f64 / 1e6);
    let key = config.effective_secret_key_file();
    if key.exists() {
        println!("Keep a copy of {} with it: the second factors sealed in the database need it.", key.display());
    }
    println!(
        "To restore: stop Tidings, delete the database's -wal and -shm files, put the copy in its place, run \
         `tidings reindex`, start Tidings."
    );
    Ok(())
}

/// The key that seals readers' second-factor secrets: `[accounts] secret_key_file`, which must exist when it is
/// set (a typo or an unmounted volume must not quietly replace the key every sealed secret needs), or
/// `<data_dir>/secret.key`, made on first start: written whole to a temporary file, synced, then linked into
/// place, so a process starting at the same moment never reads half a key, and the first one made wins.
pub(crate) fn sealing_key(config: &Config) -> anyhow::Result<tidings_community::totp::SealingKey> {
    use tidings_community::totp::SealingKey;
    let path = config.effective_secret_key_file();
    let read = |text: &str| {
        SealingKey::from_hex(text).map_err(|why| {
            anyhow::anyhow!("{}: {why}; the key that seals second factors is 64 hex digits", path.display())
        })
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => return read(&text),
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound && config.accounts.secret_key_file.as_os_str().is_empty() => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => anyhow::bail!(
            "accounts.secret_key_file {}: no such file; restore it, make one with `openssl rand -hex 32`, or leave \
             the setting empty to have one made in the data directory",
            path.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let key = SealingKey::generate().context("the system gave no random numbers for a key")?;
    let temporary = dir.join(format!(".secret.key.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary)?;
        writeln!(file, "{}", key.to_hex())?;
        file.sync_all()?;
        // Linking fails when the name exists: the key another process made first stays.
        std::fs::hard_link(&temporary, &path)
    })();
    let _ = std::fs::remove_file(&temporary);
    match written {
        Ok(()) => {
            if let Ok(directory) = std::fs::File::open(dir) {
                let _ = directory.sync_all();
            }
            tracing::info!(path = %path.display(), "made the key that seals second-factor secrets; keep a copy of it");
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            read(&text)
        }
        Err(e) => Err(e).with_context(|| format!("writing {}", path.display())),
    }
}

/// Says, at start, when second-factor secrets in the database do not open with `key` (the key file was lost and
/// made again, or is another deployment's): those readers cannot sign in until the right key is back or their
/// second factor is turned off. The site still starts, for everyone else. How many do not open.
async fn check_sealing_key(
    accounts: &dyn tidings_core::AccountStore,
    key: &tidings_community::totp::SealingKey,
    path: &std::path::Path,
) -> anyhow::Result<usize> {
    use tidings_community::totp;
    let secrets = accounts.totp_secrets().await.context("reading second-factor secrets to check the key")?;
    let closed: Vec<i64> = secrets
        .iter()
        .filter(|(user, stored)| totp::unseal(Some(key), *user, stored).is_err())
        .map(|(u, _)| *u)
        .collect();
    if !closed.is_empty() {
        let first: Vec<i64> = closed.iter().take(20).copied().collect();
        tracing::error!(
            accounts = closed.len(),
            key = %path.display(),
            "second-factor secrets that the key does not open: these readers cannot sign in; restore the key file \
             they were sealed with and restart, or turn their second factor off with `tidings users remove-2fa NAME` \
             (account ids, the first 20: {first:?})"
        );
        eprintln!(
            "WARNING: {} account(s) have a second factor the key in {} does not open (see the log)",
            closed.len(),
            path.display()
        );
    }
    Ok(closed.len())
}

/// Runs the web server and the poller until SIGINT or SIGTERM; both finish their work in progress first.
pub(crate) async fn serve(config: Config, metrics: Option<PrometheusHandle>) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let sealing_key = sealing_key(&config)?;
    check_sealing_key(store.accounts(), &sealing_key, &config.effective_secret_key_file()).await?;
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone());
    // Bind first: a taken port should stop us before any source is fetched.
    let listener = tokio::net::TcpListener::bind(config.listen).await.with_context(|| {
        format!("listening on {} (is another server using the port? set --listen or TIDINGS_LISTEN)", config.listen)
    })?;
    let search = search::open_for_serving(&config, store.as_ref()).await?;
    let mut ingester = ingester(&config, store.clone())?;
    if let Some(index) = search.as_ref().and_then(|s| s.fed.clone()) {
        ingester = ingester.with_search(index, config.search.batch_size);
    }
    let poller = config.poll.enabled.then(|| tokio::spawn(ingester.clone().run(shutdown.clone())));
    // Where the poller runs (a web-only process has it off), beside it rather than in it: a slow endpoint never
    // holds ingestion up.
    let summarizer = if config.llm.enabled && config.poll.enabled {
        let stage = tidings_ingest::MachineSummarizer::new(store.clone(), &config.llm)
            .context("setting up machine-written summaries ([llm])")?;
        Some(tokio::spawn(stage.run(shutdown.clone())))
    } else {
        None
    };
    let address = listener.local_addr().context("reading the listening address")?;
    tracing::info!(%address, "serving");
    eprintln!("Tidings is serving at http://{address}  (Ctrl-C to stop)");
    let strings = tidings_web::strings::for_language(&config.web.language)
        .with_context(|| format!("web.language: the site has no text in {:?}", config.web.language))?;
    let mut state = tidings_web::AppState::new(store.clone())
        .with_strings(strings)
        .with_admin_token(&config.web.admin_token)
        .with_trusted_proxies(&config.web.trusted_proxies)
        .with_ask_limits(config.web.asks_per_minute_per_ip, config.web.max_concurrent_asks)
        .with_sealing_key(sealing_key)
        .with_accounts(config.accounts.clone())
        .with_source_admin(Arc::new(sources::WebSourceAdmin::new(store, ingester)));
    if config.web.admin_token.is_empty() {
        eprintln!(
            "Admin pages: http://{address}/admin (for admin accounts; no admin token, so the sources API is off)"
        );
    } else {
        eprintln!("Admin pages: http://{address}/admin (the admin token, or an admin account)");
    }
    if let Some(handle) = metrics {
        state = state.with_metrics(handle);
    }
    state = state.with_page_cache(std::time::Duration::from_secs(config.web.page_cache_secs));
    if let Some(search) = search {
        state = state.with_search(search.index);
    }
    if let Some(proxy) = images::proxy(&config)? {
        state = state.with_image_proxy(proxy);
    }
    tidings_web::serve(listener, state, shutdown.clone()).await.context("web server")?;
    shutdown.cancel();
    if let Some(poller) = poller {
        let _ = poller.await;
    }
    if let Some(summarizer) = summarizer {
        let _ = summarizer.await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Installs the process's metrics recorder; `/metrics` renders it. Counters recorded before this are lost,
/// so it runs before any work starts.
pub(crate) fn install_metrics() -> Option<PrometheusHandle> {
    match metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder() {
        Ok(handle) => Some(handle),
        Err(error) => {
            tracing::warn!(%error, "metrics disabled");
            None
        }
    }
}

fn spawn_signal_handler(shutdown: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    shutdown.cancel();
                    return;
                }
            };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down: finishing requests and polls in progress (Ctrl-C again to stop at once)");
        shutdown.cancel();
        // Work in progress is transactional, so stopping hard on a second signal loses nothing stored.
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("stopping at once");
            std::process::exit(130);
        }
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_sealing_key_is_made_once_for_its_owner_only_and_a_bad_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config { data_dir: dir.path().join("data"), ..Config::default() };
        let made = sealing_key(&config).unwrap();
        let path = dir.path().join("data/secret.key");
        assert_eq!(sealing_key(&config).unwrap().to_hex(), made.to_hex(), "read back, not made again");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key\n").unwrap();
        let err = format!("{:#}", sealing_key(&config).unwrap_err());
        assert!(err.contains("secret.key") && err.contains("not hexadecimal"), "{err}");
        assert!(
            std::fs::read_dir(dir.path().join("data")).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("tmp")),
            "no temporary file is left"
        );

        // Set explicitly, a missing file is an error, never a new key.
        let named = Config {
            accounts: tidings_core::config::AccountsConfig {
                secret_key_file: dir.path().join("elsewhere/secret.key"),
                ..Default::default()
            },
            ..config.clone()
        };
        let err = format!("{:#}", sealing_key(&named).unwrap_err());
        assert!(err.contains("elsewhere/secret.key") && err.contains("no such file"), "{err}");
        assert!(!dir.path().join("elsewhere").exists());
    }

    #[tokio::test]
    async fn start_up_counts_the_second_factors_the_key_does_not_open() {
        use tidings_community::totp;
        let dir = tempfile::tempdir().unwrap();
        let store = tidings_store::open(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        let accounts = store.accounts();
        let mut ids = Vec::new();
        for name in ["ana", "ben", "cai"] {
            let user = tidings_core::accounts::NewUser {
                username: name.into(),
                email: None,
                password_hash: "$argon2id$x".into(),
                role: tidings_core::accounts::Role::Reader,
                created_at: chrono::Utc::now(),
            };
            ids.push(accounts.create_user(user).await.unwrap().id);
        }
        let (key, lost) = (totp::SealingKey::generate().unwrap(), totp::SealingKey::generate().unwrap());
        let secret = totp::new_secret().unwrap();
        accounts.set_totp(ids[0], Some(&totp::seal(&key, ids[0], &secret).unwrap())).await.unwrap();
        accounts.set_totp(ids[1], Some(&secret)).await.unwrap();
        let path = dir.path().join("secret.key");
        assert_eq!(check_sealing_key(accounts, &key, &path).await.unwrap(), 0, "sealed with it, or plain");
        accounts.set_totp(ids[2], Some(&totp::seal(&lost, ids[2], &secret).unwrap())).await.unwrap();
        assert_eq!(check_sealing_key(accounts, &key, &path).await.unwrap(), 1, "sealed with a key that is gone");
    }
}
