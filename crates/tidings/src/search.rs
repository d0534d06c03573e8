//! Search in the binary: opening the index for `serve`, `tidings reindex`, and `tidings search`.

use std::sync::Arc;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use tidings_core::{Config, SearchIndex, SearchQuery, Store};
use tidings_search::TantivyIndex;

/// What `serve` searches with, and whether the poller must feed it.
pub(crate) struct Search {
    /// The index pages and the API search.
    pub(crate) index: Arc<dyn SearchIndex>,
    /// The tantivy index the poller's search stage keeps current; none when the database searches itself.
    pub(crate) fed: Option<Arc<TantivyIndex>>,
}

/// The search `serve` uses when search is on: PostgreSQL's own full-text search on a PostgreSQL database, else
/// the tantivy index, opened for writing.
pub(crate) async fn open_for_serving(config: &Config, store: &dyn Store) -> anyhow::Result<Option<Search>> {
    if !config.search.enabled {
        return Ok(None);
    }
    let url = config.effective_database_url();
    if let Some(index) = tidings_store::open_database_search(&url, None).await? {
        tracing::info!("search: PostgreSQL full-text search");
        return Ok(Some(Search { index, fed: None }));
    }
    let index = open_tantivy(config, store).await?;
    Ok(Some(Search { index: index.clone(), fed: Some(index) }))
}

/// Opens the tantivy index for writing. When it is empty but the store says articles were indexed (the index
/// directory was deleted or replaced), every article goes back on the indexing queue so the search stage
/// rebuilds it.
async fn open_tantivy(config: &Config, store: &dyn Store) -> anyhow::Result<Arc<TantivyIndex>> {
    let dir = config.effective_search_dir();
    let index =
        TantivyIndex::open(&dir, true).context("opening the search index (search.enabled = false turns search off)")?;
    if index.count().await? == 0 {
        let waiting = store.count_pending_indexing().await?;
        if waiting < store.count_articles().await? {
            let all = store.reset_indexing().await?;
            tracing::warn!(articles = all, dir = %dir.display(), "search index is empty: rebuilding it from the store");
        }
    }
    Ok(Arc::new(index))
}

/// `tidings reindex`: rebuilds the index from every stored article, with a progress bar.
pub(crate) async fn reindex(config: &Config) -> anyhow::Result<()> {
    let store = crate::open_store(config).await?;
    if store.backend() == "postgres" {
        println!("PostgreSQL searches its own full-text index, which the database keeps current: nothing to rebuild");
        return Ok(());
    }
    let dir = config.effective_search_dir();
    let index = Arc::new(TantivyIndex::open(&dir, true)?);
    index.clear().await?;
    let total = store.reset_indexing().await?;
    let ingester = crate::ingester(config, store.clone())?.with_search(index.clone(), config.search.batch_size);
    let bar = ProgressBar::new(total.max(0) as u64);
    if let Ok(style) = ProgressStyle::with_template("indexing {bar:30} {pos}/{len} articles, {per_sec}, {eta} left") {
        bar.set_style(style);
    }
    let started = std::time::Instant::now();
    let indexed = ingester.index_all_pending(|n| bar.set_position(n as u64)).await?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "Indexed {indexed} articles into {} in {secs:.1}s ({:.0} articles/s)",
        dir.display(),
        indexed as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// `tidings search QUERY`: the best matches, as the site would rank them.
pub(crate) async fn search(config: &Config, raw: &str, limit: usize) -> anyhow::Result<()> {
    let query = SearchQuery::parse(raw).with_context(|| format!("query {raw:?}"))?;
    let store = crate::open_store(config).await?;
    let index: Arc<dyn SearchIndex> =
        match tidings_store::open_database_search(&config.effective_database_url(), None).await? {
            Some(index) => index,
            None => Arc::new(TantivyIndex::open(&config.effective_search_dir(), false)?),
        };
    let started = std::time::Instant::now();
    let results = index.search(&query, 0, limit.max(1), chrono::Utc::now()).await?;
    let took = started.elapsed();
    let ids: Vec<i64> = results.hits.iter().map(|h| h.id).collect();
    let articles = store.articles_by_ids(&ids).await?;
    println!("{} articles match ({:.1} ms)", results.total, took.as_secs_f64() * 1000.0);
    for (article, hit) in articles.iter().zip(results.hits.iter().filter(|h| articles.iter().any(|a| a.id == h.id))) {
        let snippet: String =
            hit.snippet.iter().map(|f| if f.hit { format!("[{}]", f.text) } else { f.text.clone() }).collect();
        println!(
            "{:>8}  {}  {}  {}\n          {}",
            article.id,
            article.published_at.format("%Y-%m-%d %H:%M"),
            article.source_title.as_deref().unwrap_or("?"),
            article.title,
            snippet.replace('\n', " ")
        );
    }
    Ok(())
}
