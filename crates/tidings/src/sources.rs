//! `tidings sources …`: the operator's view of what Tidings follows.

use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use tidings_core::{Config, ExtractMode, Lean, NewSource, Source, SourceKind, SourceSettingsChange, Store, StoreError};
use tidings_feeds::opml::{self, OpmlFeed};
use tidings_ingest::{IngestError, Ingester, PollOutcome};
use tidings_web::admin::{AddSource, PollResult, SourceAdmin, SourceAdminError};

use crate::cli::SourcesCommand;
use crate::{ingester, open_store};

pub(crate) async fn run(config: &Config, command: SourcesCommand) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    match command {
        SourcesCommand::Add { url, category, no_discover, extract, lean } => {
            let ingester = if no_discover { None } else { Some(ingester(config, store.clone())?) };
            let source = add(&store, ingester.as_ref(), &url, category, extract)
                .await
                .with_context(|| format!("adding {url}"))?;
            if lean.is_some() {
                store.set_lean(source.id, lean).await.with_context(|| {
                    format!(
                        "source {} {} was added, but its lean was not set (run: tidings sources lean {} {})",
                        source.id,
                        source.url,
                        source.id,
                        lean.map_or("", tidings_core::Lean::as_str)
                    )
                })?;
            }
            println!("added source {} {} ({})", source.id, source.url, source.title.as_deref().unwrap_or("untitled"));
        }
        SourcesCommand::Import { file } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let feeds = opml::parse(&bytes).with_context(|| format!("reading OPML file {}", file.display()))?;
            let report = import(&store, &feeds, true).await?;
            println!(
                "imported {} sources from {} ({} already followed; {} leans set)",
                report.added,
                file.display(),
                report.already,
                report.rated
            );
        }
        SourcesCommand::Export { file } => {
            let feeds: Vec<OpmlFeed> = store
                .sources()
                .await?
                .into_iter()
                .map(|s| OpmlFeed {
                    xml_url: s.url,
                    title: s.title,
                    html_url: s.site_url,
                    category: s.category,
                    lean: s.lean.map(|l| l.as_str().to_owned()),
                })
                .collect();
            let text = opml::write("Tidings sources", &feeds);
            match file {
                Some(path) => std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?,
                None => print!("{text}"),
            }
        }
        SourcesCommand::List { json } => {
            let sources = store.sources().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&sources)?);
            } else {
                print_table(&sources);
            }
        }
        SourcesCommand::Extract { source, mode } => {
            let found = find(&store, &source).await?;
            store.set_extract_mode(found.id, mode).await?;
            println!("source {} {}: extraction {}", found.id, found.url, mode.as_str());
        }
        SourcesCommand::Category { source, category, clear } => {
            let found = find(&store, &source).await?;
            if category.is_none() && !clear {
                match &found.category {
                    Some(category) => println!("source {} {}: {category}", found.id, found.url),
                    None => println!("source {} {} has no category", found.id, found.url),
                }
                return Ok(());
            }
            let category = category.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
            let change = SourceSettingsChange { category: Some(category.clone()), ..SourceSettingsChange::default() };
            change
                .check()
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("source {} {}: not changed", found.id, found.url))?;
            store.update_source_settings(found.id, &change).await?;
            println!("source {} {}: {}", found.id, found.url, category.as_deref().unwrap_or("no category"));
        }
        SourcesCommand::Skip { source, rules, clear } => {
            let found = find(&store, &source).await?;
            if rules.is_empty() && !clear {
                if found.skip_rules.is_empty() {
                    println!("source {} {} has no skip rules of its own", found.id, found.url);
                }
                for rule in &found.skip_rules {
                    println!("{rule}");
                }
                return Ok(());
            }
            tidings_core::skip::SkipRules::parse(&rules)
                .with_context(|| format!("skip rules of source {} {}: not changed", found.id, found.url))?;
            store.set_skip_rules(found.id, &rules).await?;
            println!("source {} {}: {} skip rule(s)", found.id, found.url, rules.len());
        }
        SourcesCommand::Lean { source, lean, clear } => {
            let found = find(&store, &source).await?;
            if lean.is_none() && !clear {
                match found.lean {
                    Some(lean) => println!("source {} {}: {lean}", found.id, found.url),
                    None => println!("source {} {} has no lean rated", found.id, found.url),
                }
                return Ok(());
            }
            store.set_lean(found.id, lean).await?;
            println!("source {} {}: {}", found.id, found.url, lean.map_or("no lean rated", Lean::as_str));
        }
        SourcesCommand::Enable { source } => {
            let found = find(&store, &source).await?;
            store.enable_source(found.id, Utc::now()).await?;
            println!("source {} {} will be polled again", found.id, found.url);
        }
        SourcesCommand::Remove { source } => {
            let found = find(&store, &source).await?;
            store.remove_source(found.id).await?;
            println!("removed source {} {}", found.id, found.url);
        }
        SourcesCommand::Poll { source } => {
            let targets = match source {
                Some(key) => vec![find(&store, &key).await?],
                None => store.sources().await?.into_iter().filter(|s| !s.disabled).collect(),
            };
            let ingester = ingester(config, store.clone())?;
            let bar = progress(targets.len() as u64, "polling");
            let mut failed = 0;
            for source in &targets {
                bar.set_message(source.url.clone());
                let (ok, outcome) = poll(&ingester, source).await?;
                // A poll error names its URL already.
                let line = if ok { format!("{}: {outcome}", source.url) } else { outcome };
                if !ok {
                    failed += 1;
                }
                // `println` on the bar prints nothing when stdout is not a terminal; suspend always does.
                bar.suspend(|| println!("{line}"));
                bar.inc(1);
            }
            bar.finish_and_clear();
            let extracted = if config.extract.enabled { ingester.extract_all_pending().await? } else { 0 };
            let stories =
                if config.stories.enabled { ingester.cluster_all_pending().await? } else { Default::default() };
            println!(
                "polled {} sources, {failed} failed; {extracted} article pages extracted; {} articles clustered \
                 ({} new stories, {} syndicated copies)",
                targets.len(),
                stories.articles,
                stories.new_stories,
                stories.copies
            );
        }
    }
    Ok(())
}

/// Why a source could not be added.
#[derive(Debug)]
pub(crate) enum AddError {
    /// Discovery failed: nothing at the URL is or advertises a feed, or it could not be fetched.
    Discovery(IngestError),
    /// The store refused (a duplicate) or failed.
    Store(StoreError),
}

impl std::fmt::Display for AddError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddError::Discovery(e) => e.fmt(f),
            AddError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for AddError {}

/// Follows `url` with its category and extraction mode: the feed there, or (with an `ingester` to discover
/// it) the feed the page there advertises. The one way `sources add` and the admin pages add a source.
pub(crate) async fn add(
    store: &Arc<dyn Store>,
    ingester: Option<&Ingester>,
    url: &str,
    category: Option<String>,
    extract: ExtractMode,
) -> Result<Source, AddError> {
    // Already followed: say so before fetching anything.
    if store.source_by_url(url).await.map_err(AddError::Store)?.is_some() {
        return Err(AddError::Store(StoreError::DuplicateSource(url.to_owned())));
    }
    let mut new = match ingester {
        Some(ingester) => ingester.resolve_source(url).await.map_err(|e| match e {
            IngestError::Store(e) => AddError::Store(e),
            other => AddError::Discovery(other),
        })?,
        None => NewSource { url: url.to_owned(), kind: SourceKind::Feed, title: None, site_url: None, category: None },
    };
    new.category = category;
    let source = store.add_source(new).await.map_err(AddError::Store)?;
    if extract != ExtractMode::default() {
        store.set_extract_mode(source.id, extract).await.map_err(AddError::Store)?;
        return Ok(Source { extract_mode: extract, ..source });
    }
    Ok(source)
}

/// Polls one source now: whether it worked, and what happened in words.
pub(crate) async fn poll(ingester: &Ingester, source: &Source) -> Result<(bool, String), StoreError> {
    Ok(match ingester.poll_source(source).await? {
        PollOutcome::Stored { inserted, duplicates, skipped: 0 } => {
            (true, format!("{inserted} new, {duplicates} already stored"))
        }
        PollOutcome::Stored { inserted, duplicates, skipped } => {
            (true, format!("{inserted} new, {duplicates} already stored, {skipped} skipped by poll.skip_rules"))
        }
        PollOutcome::NotModified => (true, "not modified".to_owned()),
        PollOutcome::Failed(error) => (false, error),
    })
}

/// How an OPML import went.
pub(crate) struct ImportReport {
    pub(crate) added: usize,
    pub(crate) already: usize,
    /// Sources (new or already followed) whose lean the list set or changed.
    pub(crate) rated: usize,
}

/// Follows every feed of an OPML list; feeds already followed are not errors: they only take the list's lean,
/// when it gives one (a missing `lean` attribute never removes a rating).
pub(crate) async fn import(
    store: &Arc<dyn Store>,
    feeds: &[OpmlFeed],
    show_progress: bool,
) -> anyhow::Result<ImportReport> {
    let bar = if show_progress { progress(feeds.len() as u64, "importing") } else { ProgressBar::hidden() };
    let mut report = ImportReport { added: 0, already: 0, rated: 0 };
    for feed in feeds {
        bar.set_message(feed.xml_url.clone());
        let new = NewSource {
            url: feed.xml_url.clone(),
            kind: SourceKind::Feed,
            title: feed.title.clone(),
            site_url: tidings_ingest::normalise::web_url(feed.html_url.as_deref()),
            category: feed.category.clone(),
        };
        let source = match store.add_source(new).await {
            Ok(source) => {
                report.added += 1;
                source
            }
            Err(StoreError::DuplicateSource(_)) => {
                report.already += 1;
                // The list's lean still applies: export, rate in the file, import again.
                let followed = match feed.lean {
                    Some(_) => store
                        .source_by_url(&feed.xml_url)
                        .await
                        .with_context(|| format!("reading source {}", feed.xml_url))?,
                    None => None,
                };
                match followed {
                    Some(source) => source,
                    None => {
                        bar.inc(1);
                        continue;
                    }
                }
            }
            Err(error) => return Err(error).with_context(|| format!("adding {}", feed.xml_url)),
        };
        if let Some(raw) = &feed.lean {
            // A lean that cannot be read leaves the source as it was; the rest of the list still comes in.
            match Lean::parse(raw) {
                Some(lean) if source.lean != Some(lean) => {
                    store
                        .set_lean(source.id, Some(lean))
                        .await
                        .with_context(|| format!("rating the lean of {}", feed.xml_url))?;
                    report.rated += 1;
                }
                Some(_) => {}
                None => bar.suspend(|| {
                    eprintln!(
                        "{}: lean {raw:?} is not one of left, lean-left, center, lean-right, right; lean left as it was",
                        feed.xml_url
                    )
                }),
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(report)
}

fn progress(len: u64, verb: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let template = format!("{verb} {{bar:30}} {{pos}}/{{len}} {{msg}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

async fn find(store: &Arc<dyn Store>, key: &str) -> anyhow::Result<Source> {
    let found = match key.parse::<i64>() {
        Ok(id) => store.source(id).await?,
        Err(_) => store.source_by_url(key).await?,
    };
    match found {
        Some(source) => Ok(source),
        None => bail!("no source {key:?} (give an id or URL from `tidings sources list`)"),
    }
}

fn print_table(sources: &[Source]) {
    if sources.is_empty() {
        println!("no sources; add one with `tidings sources add URL`");
        return;
    }
    let now = Utc::now();
    println!(
        "{:>4}  {:<28} {:<12} {:<10} {:<20} {:>6}  {:<20}  LAST ERROR",
        "ID", "SOURCE", "CATEGORY", "LEAN", "LAST SUCCESS", "ERRORS", "NEXT POLL"
    );
    for s in sources {
        let name = s.title.clone().unwrap_or_else(|| s.url.clone());
        let success = s
            .last_success_at
            .map(|t| tidings_web::timefmt::relative(&tidings_web::strings::EN, t, now))
            .unwrap_or_else(|| "never".into());
        let next =
            if s.disabled { "stopped".to_owned() } else { s.next_poll_at.format("%Y-%m-%d %H:%M UTC").to_string() };
        println!(
            "{:>4}  {:<28} {:<12} {:<10} {:<20} {:>6}  {:<20}  {}",
            s.id,
            truncate(&name, 28),
            truncate(s.category.as_deref().unwrap_or("-"), 12),
            s.lean.map_or("-", Lean::as_str),
            success,
            s.error_count,
            next,
            s.last_error.as_deref().unwrap_or("")
        );
        println!("      {}", s.url);
    }
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// What the admin pages and the sources API lend from the binary: the same add, import and poll as
/// `tidings sources`, with the server's ingester (its fetcher, limits and SSRF guard).
pub(crate) struct WebSourceAdmin {
    store: Arc<dyn Store>,
    ingester: Ingester,
}

impl WebSourceAdmin {
    pub(crate) fn new(store: Arc<dyn Store>, ingester: Ingester) -> WebSourceAdmin {
        WebSourceAdmin { store, ingester }
    }
}

#[async_trait::async_trait]
impl SourceAdmin for WebSourceAdmin {
    async fn add(&self, request: AddSource) -> Result<Source, SourceAdminError> {
        add(&self.store, Some(&self.ingester), &request.url, request.category, request.extract).await.map_err(|e| {
            match e {
                AddError::Discovery(e) => SourceAdminError::NoFeed(e.to_string()),
                AddError::Store(e @ StoreError::DuplicateSource(_)) => SourceAdminError::Duplicate(e.to_string()),
                AddError::Store(e) => SourceAdminError::Internal(format!("adding {}: {e}", request.url)),
            }
        })
    }

    async fn import_opml(&self, opml: &[u8]) -> Result<tidings_web::admin::ImportReport, SourceAdminError> {
        let feeds = opml::parse(opml).map_err(|e| SourceAdminError::Invalid(e.to_string()))?;
        let report =
            import(&self.store, &feeds, false).await.map_err(|e| SourceAdminError::Internal(format!("{e:#}")))?;
        Ok(tidings_web::admin::ImportReport { added: report.added, already: report.already })
    }

    async fn poll_now(&self, id: i64) -> Result<PollResult, SourceAdminError> {
        let internal = |e: StoreError| SourceAdminError::Internal(format!("polling source {id}: {e}"));
        let Some(source) = self.store.source(id).await.map_err(internal)? else {
            return Err(SourceAdminError::NotFound(format!("there is no source {id}")));
        };
        let (ok, message) = poll(&self.ingester, &source).await.map_err(internal)?;
        Ok(PollResult { ok, message })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::http::header::CONTENT_TYPE;
    use axum::response::Html;
    use axum::routing::get;

    use super::*;

    /// An outlet on 127.0.0.1: a home page advertising its feed and the feed; or, without `feed`, a site with
    /// nothing but a page.
    async fn outlet(with_feed: bool) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let feed = format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Harbour Times</title><link>{origin}/</link>\
             <item><title>Quay reopens</title><link>{origin}/quay</link><guid>quay</guid>\
             <description>The quay reopened today after a year of repairs.</description></item></channel></rss>"
        );
        let home = "<html><head><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feed.xml\"></head>\
                    <body>Harbour Times</body></html>";
        let app =
            axum::Router::new().route("/plain", get(|| async { Html("<html><body>No feed here.</body></html>") }));
        let app = if with_feed {
            app.route("/", get(move || async move { Html(home) }))
                .route("/feed.xml", get(move || async move { ([(CONTENT_TYPE, "application/rss+xml")], feed) }))
        } else {
            app
        };
        tokio::spawn(async move { axum::serve(listener, app).await });
        origin
    }

    #[tokio::test]
    async fn the_web_admin_discovers_adds_imports_and_polls_as_the_cli_does() {
        let origin = outlet(true).await;
        let bare = outlet(false).await;
        let dir = tempfile::tempdir().unwrap();
        let store = tidings_store::open(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        let mut config = Config::default();
        config.fetch.allow_private_networks = true;
        let admin = WebSourceAdmin::new(store.clone(), crate::ingester(&config, store.clone()).unwrap());
        let request = |url: String| AddSource { url, category: Some("Local".into()), extract: ExtractMode::Never };

        let source = admin.add(request(format!("{origin}/"))).await.unwrap();
        assert_eq!(source.url, format!("{origin}/feed.xml"), "the advertised feed is followed");
        assert_eq!(source.title.as_deref(), Some("Harbour Times"));
        assert_eq!(source.category.as_deref(), Some("Local"));
        assert_eq!(store.source(source.id).await.unwrap().unwrap().extract_mode, ExtractMode::Never);

        let duplicate = admin.add(request(format!("{origin}/feed.xml"))).await.unwrap_err();
        assert!(matches!(&duplicate, SourceAdminError::Duplicate(m) if m.contains("/feed.xml")), "{duplicate:?}");
        let none = admin.add(request(format!("{bare}/plain"))).await.unwrap_err();
        assert!(matches!(&none, SourceAdminError::NoFeed(m) if m.contains("/plain: no feed found")), "{none:?}");

        let polled = admin.poll_now(source.id).await.unwrap();
        assert!(polled.ok && polled.message.starts_with("1 new"), "{polled:?}");
        assert!(matches!(admin.poll_now(999).await, Err(SourceAdminError::NotFound(_))));

        let opml = format!(
            "<opml version=\"2.0\"><body><outline text=\"Sea\"><outline type=\"rss\" xmlUrl=\"{origin}/feed.xml\"/>\
             <outline type=\"rss\" text=\"Gulls\" xmlUrl=\"https://gulls.example/rss\"/></outline></body></opml>"
        );
        let report = admin.import_opml(opml.as_bytes()).await.unwrap();
        assert_eq!((report.added, report.already), (1, 1));
        assert!(matches!(admin.import_opml(b"<html><body>hi</body></html>").await, Err(SourceAdminError::Invalid(_))));
    }
}
