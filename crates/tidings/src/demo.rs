//! `tidings demo`: a populated site with no network.
//!
//! The fictional outlets under `crates/tidings/demo/` are compiled into the binary and served by a small
//! HTTP server on 127.0.0.1 (a random port); their feeds are imported from the bundled OPML, polled into a
//! fresh SQLite database, and the site starts. `{{BASE}}` in the files becomes the fixture server's origin.

use std::net::SocketAddr;

use anyhow::Context;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, include_dir};
use tidings_core::Config;
use tokio_util::sync::CancellationToken;

const DEMO_OUTLETS_PORT: u16 = 18_080;

static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/demo");

/// Serves the bundled demo outlets on 127.0.0.1 until `shutdown`; returns the origin (`http://127.0.0.1:PORT`).
pub(crate) async fn start_fixture_server(shutdown: CancellationToken, keep: bool) -> anyhow::Result<String> {
    // A fixed port keeps the outlets' URLs (and so the stored GUIDs) stable across `demo --keep` runs.
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", DEMO_OUTLETS_PORT)).await {
        Ok(listener) => listener,
        // A kept demo's sources point at the fixed port; another port would make every poll fail.
        Err(error) if keep => {
            return Err(error)
                .context(format!("demo --keep needs 127.0.0.1:{DEMO_OUTLETS_PORT} for its outlets, and it is taken"));
        }
        Err(_) => tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.context("starting the demo outlets' server")?,
    };
    let origin = format!("http://{}", listener.local_addr().context("reading the demo server address")?);
    let base = origin.clone();
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let base = base.clone();
        async move { demo_file(&uri, &base) }
    });
    tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.cancelled().await }).await;
        if let Err(error) = served {
            tracing::error!(%error, "demo outlets' server stopped");
        }
    });
    Ok(origin)
}

fn demo_file(uri: &Uri, base: &str) -> Response {
    let mut path = uri.path().trim_start_matches('/').to_owned();
    if path.is_empty() || path.ends_with('/') {
        path.push_str("index.html");
    }
    let Some(file) = DEMO.get_file(&path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let content_type = match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/feed+json",
        Some("rdf") => "application/rdf+xml",
        Some("opml") => "text/x-opml",
        Some("xml") if path.ends_with("atom.xml") => "application/atom+xml",
        Some("xml") => "application/rss+xml",
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    match file.contents_utf8() {
        Some(text) => ([(header::CONTENT_TYPE, content_type)], text.replace("{{BASE}}", base)).into_response(),
        None => ([(header::CONTENT_TYPE, content_type)], file.contents().to_vec()).into_response(),
    }
}

/// The bundled OPML with `{{BASE}}` replaced.
pub(crate) fn opml(origin: &str) -> anyhow::Result<String> {
    let file = DEMO.get_file("outlets.opml").context("the demo has no outlets.opml")?;
    Ok(file.contents_utf8().context("outlets.opml is not UTF-8")?.replace("{{BASE}}", origin))
}

pub(crate) async fn run(mut config: Config, listen: Option<SocketAddr>, keep: bool) -> anyhow::Result<()> {
    let demo_dir = config.data_dir.join("demo");
    if !keep && demo_dir.exists() {
        std::fs::remove_dir_all(&demo_dir)
            .with_context(|| format!("clearing the old demo in {}", demo_dir.display()))?;
    }
    std::fs::create_dir_all(&demo_dir).with_context(|| format!("creating {}", demo_dir.display()))?;
    config.data_dir = demo_dir;
    config.database_url = String::new();
    if let Some(listen) = listen {
        config.listen = listen;
    }
    // The demo outlets live on loopback, which the SSRF guard rightly refuses for real sources.
    config.fetch.allow_private_networks = true;
    config.poll.tick_secs = config.poll.tick_secs.min(5);

    let metrics = crate::install_metrics();
    let fixtures = CancellationToken::new();
    let origin = start_fixture_server(fixtures.clone(), keep).await?;
    tracing::info!(%origin, "demo outlets are being served");
    let store = crate::open_store(&config).await?;
    let feeds = tidings_feeds::opml::parse(opml(&origin)?.as_bytes()).context("reading the demo OPML")?;
    if !keep {
        crate::sources::import(&store, &feeds, false).await?;
    }
    let ingester = crate::ingester(&config, store.clone())?;
    let polled = ingester.poll_due(chrono::Utc::now()).await?;
    let extracted = ingester.extract_all_pending().await?;
    let clustered = ingester.cluster_all_pending().await?;
    let enriched = ingester.enrich_all_pending(|_| {}).await?;
    let comments = crate::demo_community::seed(store.as_ref()).await?;
    let articles = store.count_articles().await?;
    eprintln!(
        "Demo: {polled} fictional outlets polled, {articles} articles stored, {extracted} teasers completed from \
         their pages, {} stories, {} syndicated copies, {enriched} summarised, {comments} comments, in {}",
        clustered.new_stories,
        clustered.copies,
        config.effective_database_url()
    );
    eprintln!("{}", crate::demo_community::credentials());
    drop(store);
    let result = crate::serve(config, metrics).await;
    fixtures.cancel();
    result
}
