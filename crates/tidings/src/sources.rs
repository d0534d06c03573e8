//! `tidings sources …`: the operator's view of what Tidings follows.

use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use tidings_core::{Config, ExtractMode, NewSource, Source, SourceKind, Store, StoreError};
use tidings_feeds::opml::{self, OpmlFeed};
use tidings_ingest::PollOutcome;

use crate::cli::SourcesCommand;
use crate::{ingester, open_store};

pub(crate) async fn run(config: &Config, command: SourcesCommand) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    match command {
        SourcesCommand::Add { url, category, no_discover, extract } => {
            let mut new = if no_discover {
                NewSource { url: url.clone(), kind: SourceKind::Feed, title: None, site_url: None, category: None }
            } else {
                ingester(config, store.clone())?.resolve_source(&url).await.with_context(|| format!("adding {url}"))?
            };
            new.category = category;
            let source = store.add_source(new).await?;
            if extract != ExtractMode::default() {
                store.set_extract_mode(source.id, extract).await?;
            }
            println!("added source {} {} ({})", source.id, source.url, source.title.as_deref().unwrap_or("untitled"));
        }
        SourcesCommand::Import { file } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let feeds = opml::parse(&bytes).with_context(|| format!("reading OPML file {}", file.display()))?;
            let report = import(&store, &feeds, true).await?;
            println!("imported {} sources from {} ({} already followed)", report.added, file.display(), report.already);
        }
        SourcesCommand::Export { file } => {
            let feeds: Vec<OpmlFeed> = store
                .sources()
                .await?
                .into_iter()
                .map(|s| OpmlFeed { xml_url: s.url, title: s.title, html_url: s.site_url, category: s.category })
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
                let line = match ingester.poll_source(source).await? {
                    PollOutcome::Stored { inserted, duplicates } => {
                        format!("{}: {inserted} new, {duplicates} already stored", source.url)
                    }
                    PollOutcome::NotModified => format!("{}: not modified", source.url),
                    PollOutcome::Failed(error) => {
                        failed += 1;
                        error
                    }
                };
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

/// How an OPML import went.
pub(crate) struct ImportReport {
    pub(crate) added: usize,
    pub(crate) already: usize,
}

/// Follows every feed of an OPML list; feeds already followed are skipped, not errors.
pub(crate) async fn import(
    store: &Arc<dyn Store>,
    feeds: &[OpmlFeed],
    show_progress: bool,
) -> anyhow::Result<ImportReport> {
    let bar = if show_progress { progress(feeds.len() as u64, "importing") } else { ProgressBar::hidden() };
    let mut report = ImportReport { added: 0, already: 0 };
    for feed in feeds {
        bar.set_message(feed.xml_url.clone());
        let new = NewSource {
            url: feed.xml_url.clone(),
            kind: SourceKind::Feed,
            title: feed.title.clone(),
            site_url: tidings_ingest::normalise::web_url(feed.html_url.as_deref()),
            category: feed.category.clone(),
        };
        match store.add_source(new).await {
            Ok(_) => report.added += 1,
            Err(StoreError::DuplicateSource(_)) => report.already += 1,
            Err(error) => return Err(error).with_context(|| format!("adding {}", feed.xml_url)),
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
        "{:>4}  {:<28} {:<12} {:<20} {:>6}  {:<20}  LAST ERROR",
        "ID", "SOURCE", "CATEGORY", "LAST SUCCESS", "ERRORS", "NEXT POLL"
    );
    for s in sources {
        let name = s.title.clone().unwrap_or_else(|| s.url.clone());
        let success =
            s.last_success_at.map(|t| tidings_web::timefmt::relative(t, now)).unwrap_or_else(|| "never".into());
        let next =
            if s.disabled { "stopped".to_owned() } else { s.next_poll_at.format("%Y-%m-%d %H:%M UTC").to_string() };
        println!(
            "{:>4}  {:<28} {:<12} {:<20} {:>6}  {:<20}  {}",
            s.id,
            truncate(&name, 28),
            truncate(s.category.as_deref().unwrap_or("-"), 12),
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
