//! Ingestion: due sources are fetched, parsed and normalised, items matching `[poll] skip_rules` left out (`tidings_core::skip`),
//! and each poll is stored in one transaction.
//!
//! A source's failure is recorded on that source (with backoff) and never stops the others: every poll's
//! outcome, good or bad, ends as a store write, and the loop goes on.
#![deny(missing_docs)]

pub mod enrich;
mod extraction;
pub mod machine_summaries;
pub mod normalise;
mod search;
pub mod stories;

use std::collections::HashSet;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::{FutureExt, StreamExt};
use tidings_core::config::{ExtractConfig, PollConfig, StoriesConfig};
use tidings_core::skip::SkipRules;
use tidings_core::{
    NewArticle, NewSource, PollFailure, PollSuccess, SearchError, SearchIndex, Source, SourceKind, Store, StoreError,
};
use tidings_feeds::discover::{COMMON_FEED_PATHS, TopLevel, discover_feeds, looks_like_feed, top_level};
use tidings_feeds::{FeedVersion, ParseOptions, ParsedFeed};
use tidings_fetch::schedule::{adaptive_interval, backoff};
use tidings_fetch::{FetchError, FetchResponse, FetchedBody, Fetcher, Validators};
use tokio_util::sync::CancellationToken;

pub use machine_summaries::{MachineSummarizer, SummaryReport};
pub use normalise::feed_articles;
pub use stories::{ClusterReport, StoryEngine};

/// Errors of ingestion operations that are not polls (polls record their errors on the source).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Fetching failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The search index failed.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// No feed was found at or from the URL.
    #[error("{url}: no feed found ({reason})")]
    NoFeed {
        /// The URL the operator gave.
        url: String,
        /// What was tried.
        reason: String,
    },
    /// A stage's worker stopped (the process is shutting down).
    #[error("{0}")]
    Internal(String),
}

/// What one poll did, for logs and the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    /// The feed was fetched and stored.
    Stored {
        /// New articles.
        inserted: usize,
        /// Items already stored.
        duplicates: usize,
        /// Items left out by `[poll] skip_rules`.
        skipped: usize,
    },
    /// 304 Not Modified.
    NotModified,
    /// The poll failed; the error is recorded on the source.
    Failed(String),
}

/// Polls sources and stores what they publish.
#[derive(Clone)]
pub struct Ingester {
    store: Arc<dyn Store>,
    fetcher: Arc<Fetcher>,
    poll: PollConfig,
    extract: ExtractConfig,
    stories: StoriesConfig,
    /// The story stage's state, built on first use (replaying recent articles from the store). One task at a
    /// time clusters: the lock serialises batches, so arrival order is kept.
    engine: Arc<tokio::sync::Mutex<Option<StoryEngine>>>,
    /// The search index the search stage keeps up to date; none when search is off.
    search: Option<Arc<dyn SearchIndex>>,
    search_batch: i64,
    /// Whether the enrichment stage queues articles for machine-written summaries (`[llm] enabled`).
    machine_summaries: bool,
    /// Items not to store (`[poll] skip_rules`).
    skip: Arc<SkipRules>,
}

impl Ingester {
    /// An ingester writing to `store` through `fetcher`.
    pub fn new(store: Arc<dyn Store>, fetcher: Arc<Fetcher>, poll: PollConfig) -> Ingester {
        Ingester {
            store,
            fetcher,
            poll,
            extract: ExtractConfig::default(),
            stories: StoriesConfig::default(),
            engine: Arc::default(),
            search: None,
            search_batch: 2000,
            machine_summaries: false,
            skip: Arc::default(),
        }
    }

    /// Queues each enriched article with enough text for a machine-written summary (see
    /// [`machine_summaries`]); off by default.
    pub fn with_machine_summaries(mut self, on: bool) -> Ingester {
        self.machine_summaries = on;
        self
    }

    /// Keeps `index` up to date with stored articles, `batch` per commit.
    pub fn with_search(mut self, index: Arc<dyn SearchIndex>, batch: i64) -> Ingester {
        self.search = Some(index);
        self.search_batch = batch.max(1);
        self
    }

    /// Uses `stories` for the story stage instead of the defaults.
    pub fn with_stories_config(mut self, stories: StoriesConfig) -> Ingester {
        self.stories = stories;
        self
    }

    /// Clusters one batch of articles into stories (and finds copies); on first use, first rebuilds the story
    /// stage's memory from the store. Returns what the batch did.
    pub async fn cluster_pending(&self) -> Result<ClusterReport, StoreError> {
        let mut guard = self.engine.lock().await;
        let engine = match &mut *guard {
            Some(engine) => engine,
            None => {
                let mut engine = StoryEngine::new(self.stories.clone());
                let started = std::time::Instant::now();
                let replayed = engine.warm_up(self.store.as_ref(), Utc::now()).await?;
                tracing::info!(replayed, elapsed_ms = started.elapsed().as_millis() as u64, "story stage ready");
                guard.insert(engine)
            }
        };
        let report = match engine.cluster(self.store.as_ref(), self.extract.teaser_max_chars, Utc::now()).await {
            Ok(report) => report,
            Err(error) => {
                // The batch is in memory but not stored: rebuild from the store next time, so the articles are
                // clustered again once, not twice.
                *guard = None;
                return Err(error);
            }
        };
        metrics::counter!("tidings_clustered_articles_total").increment(report.articles as u64);
        metrics::counter!("tidings_stories_created_total").increment(report.new_stories as u64);
        metrics::counter!("tidings_syndicated_copies_total").increment(report.copies as u64);
        Ok(report)
    }

    /// Clusters batches until none is pending (for `demo`, `sources poll` and `stories update`); returns the
    /// totals.
    pub async fn cluster_all_pending(&self) -> Result<ClusterReport, StoreError> {
        let mut total = ClusterReport::default();
        loop {
            let report = self.cluster_pending().await?;
            if report.articles == 0 {
                return Ok(total);
            }
            total.articles += report.articles;
            total.new_stories += report.new_stories;
            total.merges += report.merges;
            total.copies += report.copies;
        }
    }

    /// Uses `extract` for the extraction stage instead of the defaults.
    pub fn with_extract_config(mut self, extract: ExtractConfig) -> Ingester {
        self.extract = extract;
        self
    }

    /// Leaves out of every poll the items `rules` match (`[poll] skip_rules`).
    pub fn with_skip_rules(mut self, rules: SkipRules) -> Ingester {
        self.skip = Arc::new(rules);
        self
    }

    /// Polls one source and records the outcome on it. Only a store failure is returned as an error.
    ///
    /// A panic while polling (a parser or normaliser bug met by one feed's content) is caught and recorded as
    /// that source's failure: uncaught, it would end the poller task and with it all ingestion, silently, while
    /// the site went on serving.
    pub async fn poll_source(&self, source: &Source) -> Result<PollOutcome, StoreError> {
        let started = Utc::now();
        // Unwind safety: what a half-done poll leaves behind is a dropped fetch and, at worst, a store transaction
        // that rolls back when dropped; the ingester's own state is not touched by a poll.
        let outcome = match AssertUnwindSafe(self.poll_once(source, started)).catch_unwind().await {
            Ok(outcome) => outcome?,
            Err(panic) => {
                let message =
                    format!("{}: internal error while polling: {}", source.url, panic_message(panic.as_ref()));
                tracing::error!(source = source.id, url = %source.url, %message, "poll panicked");
                self.fail(source, started, message, None, false).await?
            }
        };
        let label = match &outcome {
            PollOutcome::Stored { inserted, duplicates, skipped } => {
                metrics::counter!("tidings_articles_inserted_total").increment(*inserted as u64);
                metrics::counter!("tidings_articles_duplicate_total").increment(*duplicates as u64);
                metrics::counter!("tidings_articles_skipped_total").increment(*skipped as u64);
                "stored"
            }
            PollOutcome::NotModified => "not_modified",
            PollOutcome::Failed(_) => "failed",
        };
        metrics::counter!("tidings_polls_total", "outcome" => label).increment(1);
        metrics::histogram!("tidings_poll_duration_seconds")
            .record((Utc::now() - started).to_std().unwrap_or_default().as_secs_f64());
        match &outcome {
            PollOutcome::Failed(error) => tracing::warn!(source = source.id, url = %source.url, %error, "poll failed"),
            PollOutcome::Stored { inserted, duplicates, skipped } => {
                tracing::info!(source = source.id, url = %source.url, inserted, duplicates, skipped, "polled")
            }
            PollOutcome::NotModified => tracing::debug!(source = source.id, url = %source.url, "not modified"),
        }
        Ok(outcome)
    }

    async fn poll_once(&self, source: &Source, started: DateTime<Utc>) -> Result<PollOutcome, StoreError> {
        // The source's own rules were checked when they were set; one that no longer compiles (the database edited
        // by hand) fails every poll, before fetching, with the rule named on the source's health, rather than
        // letting through what it was meant to keep out (or looking healthy on each 304).
        match SkipRules::parse(&source.skip_rules) {
            Err(error) => {
                let message = format!("{}: its own {error} (set with `tidings sources skip`)", source.url);
                self.fail(source, started, message, None, false).await
            }
            Ok(own_rules) => self.fetch_and_record(source, started, &own_rules).await,
        }
    }

    /// Fetches `source`, stores what the feed holds (less what the skip rules leave out) and records the outcome.
    async fn fetch_and_record(
        &self,
        source: &Source,
        started: DateTime<Utc>,
        own_rules: &SkipRules,
    ) -> Result<PollOutcome, StoreError> {
        let validators = Validators { etag: source.etag.clone(), last_modified: source.last_modified.clone() };
        let fetched = self.fetcher.fetch(&source.url, &validators).await;
        Ok(match fetched {
            Ok(FetchResponse::NotModified { .. }) => {
                // The stored interval is clamped again: the operator may have narrowed the bounds since.
                let interval = Duration::from_secs(
                    (source.poll_interval_secs.max(1) as u64)
                        .clamp(self.poll.min_interval_secs, self.poll.max_interval_secs),
                );
                let success = PollSuccess {
                    not_modified: true,
                    next_poll_at: after(started, interval),
                    poll_interval_secs: interval.as_secs() as i64,
                    ..PollSuccess::default()
                };
                match self.store.record_poll(source.id, started, success).await {
                    Ok(_) => PollOutcome::NotModified,
                    Err(error) => self.store_failed(source, started, error).await?,
                }
            }
            Ok(FetchResponse::Ok(body)) => match read_feed(body).await {
                Ok((feed, body, mut articles)) => {
                    // Feeds list newest first; stored oldest first, items that share a listing time (undated,
                    // or dated to the day) keep the feed's order under the lists' newest-id-first tie-break.
                    articles.reverse();
                    // The feed's rhythm counts every item it publishes, skipped or not.
                    let dates: Vec<DateTime<Utc>> = articles.iter().filter_map(|a| a.published_at).collect();
                    let interval = adaptive_interval(&dates, &self.poll);
                    let skipped = self.skip.apply(&mut articles) + own_rules.apply(&mut articles);
                    let success = PollSuccess {
                        articles,
                        etag: body.etag.clone(),
                        last_modified: body.last_modified.clone(),
                        feed_title: feed.feed.title.clone(),
                        site_url: normalise::web_url(feed.feed.link.as_deref()),
                        not_modified: false,
                        next_poll_at: after(started, interval),
                        poll_interval_secs: interval.as_secs() as i64,
                    };
                    match self.store.record_poll(source.id, started, success).await {
                        Ok(report) => {
                            PollOutcome::Stored { inserted: report.inserted, duplicates: report.duplicates, skipped }
                        }
                        Err(error) => self.store_failed(source, started, error).await?,
                    }
                }
                Err(message) => self.fail(source, started, message, None, false).await?,
            },
            Err(error) => {
                let retry_after = error.retry_after();
                let permanent = error.is_permanent();
                self.fail(source, started, error.to_string(), retry_after, permanent).await?
            }
        })
    }

    /// A poll whose storing failed (the database refused something in it) is recorded as a failure of the
    /// source, with backoff, so it neither vanishes nor comes back every tick ahead of every other source.
    /// A source that no longer exists, or a store that cannot record even that, is the caller's problem.
    async fn store_failed(
        &self,
        source: &Source,
        at: DateTime<Utc>,
        error: StoreError,
    ) -> Result<PollOutcome, StoreError> {
        if matches!(error, StoreError::NotFound { .. }) {
            return Err(error);
        }
        tracing::error!(source = source.id, url = %source.url, %error, "storing a poll failed");
        let message = format!("{}: the feed was read but storing it failed: {error}", source.url);
        self.fail(source, at, message, None, false).await
    }

    async fn fail(
        &self,
        source: &Source,
        at: DateTime<Utc>,
        error: String,
        retry_after: Option<Duration>,
        disable: bool,
    ) -> Result<PollOutcome, StoreError> {
        let consecutive = u32::try_from(source.error_count.saturating_add(1)).unwrap_or(1);
        let delay = backoff(consecutive, retry_after, &self.poll);
        let failure = PollFailure { error: error.clone(), next_poll_at: after(at, delay), disable };
        self.store.record_failure(source.id, at, failure).await?;
        Ok(PollOutcome::Failed(error))
    }

    /// Polls every source due at `now`, `poll.concurrency` at a time, and returns how many were polled.
    pub async fn poll_due(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let limit = i64::try_from(self.poll.concurrency * 4).unwrap_or(64);
        let due = self.store.due_sources(now, limit).await?;
        let count = due.len();
        let results: Vec<_> = futures::stream::iter(due)
            .map(|source| {
                let this = self.clone();
                async move { this.poll_source(&source).await }
            })
            .buffer_unordered(self.poll.concurrency)
            .collect()
            .await;
        for result in results {
            result?;
        }
        Ok(count)
    }

    /// Polls due sources until `shutdown` is cancelled. A store failure is logged and retried next tick.
    pub async fn run(self, shutdown: CancellationToken) {
        let tick = Duration::from_secs(self.poll.tick_secs.max(1));
        tracing::info!(tick_secs = tick.as_secs(), "poller started");
        loop {
            // Each poll catches its own panics; these guards are for the stages that work across sources, so a
            // bug in one of them costs that stage's batch, not the poller.
            // A poll batch in progress is finished before shutting down, so no poll is left half-done.
            match guarded("poller", self.poll_due(Utc::now())).await {
                Some(Ok(0)) | None => {}
                Some(Ok(n)) => tracing::debug!(polled = n, "poll batch done"),
                Some(Err(error)) => tracing::error!(%error, "poller: store failure"),
            }
            if self.extract.enabled && !shutdown.is_cancelled() {
                match guarded("extraction", self.extract_pending()).await {
                    Some(Ok(0)) | None => {}
                    Some(Ok(n)) => tracing::debug!(extracted = n, "extraction batch done"),
                    Some(Err(error)) => tracing::error!(%error, "extraction: store failure"),
                }
            }
            if self.stories.enabled && !shutdown.is_cancelled() {
                match guarded("stories", self.cluster_pending()).await {
                    Some(Ok(report)) if report.articles == 0 => {}
                    Some(Ok(report)) => tracing::debug!(?report, "story batch done"),
                    Some(Err(error)) => tracing::error!(%error, "stories: store failure"),
                    // The engine may have been left mid-batch: rebuild it from the store, as after a store failure.
                    None => *self.engine.lock().await = None,
                }
            }
            if !shutdown.is_cancelled() {
                guarded("enrichment", self.enrich_for_a_while(&shutdown)).await;
            }
            if !shutdown.is_cancelled() {
                guarded("search indexing", self.index_for_a_while(&shutdown)).await;
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(tick) => {}
            }
        }
        tracing::info!("poller stopped");
    }

    /// Resolves what the operator gave to a feed: the URL itself when it serves a feed, else a feed the page
    /// advertises, else one at a common path on the same site. Returns the source to add.
    pub async fn resolve_source(&self, url: &str) -> Result<NewSource, IngestError> {
        let body = match self.fetcher.fetch(url, &Validators::default()).await? {
            FetchResponse::Ok(body) => body,
            FetchResponse::NotModified { final_url } => {
                return Ok(NewSource {
                    url: final_url,
                    kind: SourceKind::Feed,
                    title: None,
                    site_url: None,
                    category: None,
                });
            }
        };
        let no_feed = |reason: String| IngestError::NoFeed { url: url.to_owned(), reason };
        let (parsed, body) = parse_on_pool(body).await.map_err(no_feed)?;
        if let Ok(feed) = parsed {
            return Ok(source_from_feed(url, &feed));
        }
        // A page can advertise any number of feeds, each a fetch: the first few in page order are the ones a
        // site means.
        let mut candidates: Vec<String> = discover_feeds(&body.body, &body.final_url)
            .into_iter()
            .take(MAX_ADVERTISED_CANDIDATES)
            .map(|found| found.url)
            .collect();
        if let Ok(page) = url::Url::parse(&body.final_url) {
            candidates.extend(COMMON_FEED_PATHS.iter().filter_map(|path| page.join(path).ok()).map(|u| u.to_string()));
        }
        let mut tried = HashSet::new();
        // The first advertised candidate's failure is the one worth showing: common paths mostly 404.
        let mut first_error: Option<String> = None;
        for candidate in candidates {
            if !tried.insert(candidate.clone()) {
                continue;
            }
            let error = match self.fetcher.fetch(&candidate, &Validators::default()).await {
                Ok(FetchResponse::Ok(found)) => match parse_on_pool(found).await.map_err(no_feed)?.0 {
                    Ok(feed) => {
                        let mut source = source_from_feed(&candidate, &feed);
                        source.site_url = source.site_url.or_else(|| normalise::web_url(Some(&body.final_url)));
                        return Ok(source);
                    }
                    Err(error) => error,
                },
                Ok(FetchResponse::NotModified { final_url }) => format!("{final_url}: 304 Not Modified"),
                Err(error) => error.to_string(),
            };
            first_error.get_or_insert(error);
        }
        Err(IngestError::NoFeed {
            url: url.to_owned(),
            reason: format!(
                "the page is not a feed, and none of {} advertised or common feed locations answered with one{}",
                tried.len(),
                first_error.map(|e| format!("; first failure: {e}")).unwrap_or_default()
            ),
        })
    }
}

/// How many of the feeds a page advertises discovery tries (common paths come on top).
const MAX_ADVERTISED_CANDIDATES: usize = 10;

/// Runs one stage of the poller's loop, turning a panic into a logged error and `None`.
async fn guarded<T>(stage: &str, work: impl std::future::Future<Output = T>) -> Option<T> {
    // Unwind safety: every stage keeps its state in the store, except the story engine, which the caller resets.
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(value) => Some(value),
        Err(panic) => {
            tracing::error!(stage, error = %panic_message(panic.as_ref()), "internal error in the poller; going on");
            None
        }
    }
}

/// The text a panic was raised with (`panic!` with a literal or a formatted message), if it has one.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(text), _) => (*text).to_owned(),
        (None, Some(text)) => text.clone(),
        (None, None) => "a panic without a message".to_owned(),
    }
}

/// `at + delay`, saturating far in the future instead of overflowing on absurd delays.
fn after(at: DateTime<Utc>, delay: Duration) -> DateTime<Utc> {
    chrono::TimeDelta::from_std(delay).ok().and_then(|d| at.checked_add_signed(d)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn source_from_feed(url: &str, feed: &ParsedFeed) -> NewSource {
    NewSource {
        url: url.to_owned(),
        kind: SourceKind::Feed,
        title: feed.feed.title.clone(),
        site_url: normalise::web_url(feed.feed.link.as_deref()),
        category: None,
    }
}

/// Parses and normalises a fetched feed on tokio's blocking pool: that is CPU work, up to seconds for a large
/// body, and on an async worker it would hold up every other poll and request that worker serves.
async fn read_feed(body: FetchedBody) -> Result<(ParsedFeed, FetchedBody, Vec<NewArticle>), String> {
    let url = body.final_url.clone();
    on_blocking_pool(move || {
        let feed = parse_body(&body)?;
        let articles = feed_articles(&feed, &body.final_url);
        Ok((feed, body, articles))
    })
    .await
    .unwrap_or_else(|cancelled| Err(format!("{url}: {cancelled}")))
}

/// Parses a fetched body as a feed on the blocking pool (see [`read_feed`]), handing the body back.
async fn parse_on_pool(body: FetchedBody) -> Result<(Result<ParsedFeed, String>, FetchedBody), String> {
    on_blocking_pool(move || (parse_body(&body), body)).await
}

/// Runs `work` on the blocking pool and returns its result. A panic in it is raised again here, so that the
/// poll's `catch_unwind` records it on the source as it did when the work ran inline.
async fn on_blocking_pool<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => Ok(value),
        Err(error) => match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            // Only when the runtime is shutting down.
            Err(error) => Err(format!("reading the feed was cancelled: {error}")),
        },
    }
}

/// Parses a fetched body as a feed. The error names the URL and what came back instead of a feed.
pub fn parse_body(body: &FetchedBody) -> Result<ParsedFeed, String> {
    if body.body.iter().all(u8::is_ascii_whitespace) {
        return Err(format!("{}: the server sent an empty body, not a feed", body.final_url));
    }
    if !looks_like_feed(&body.body) && looks_like_html(&body.body) {
        return Err(format!(
            "{}: the server sent an HTML page ({}), not a feed; add the page's feed URL instead or re-add the page so its feed is discovered",
            body.final_url,
            body.content_type.as_deref().unwrap_or("no content type")
        ));
    }
    let options = ParseOptions {
        content_type: body.content_type.clone(),
        base_url: Some(body.final_url.clone()),
        content_language: body.content_language.clone(),
        content_location: body.content_location.clone(),
    };
    let feed = tidings_feeds::parse(&body.body, &options)
        .map_err(|error| format!("{}: not a readable feed: {error}", body.final_url))?;
    // An API error (`{"error":"rate limited"}`), an S3 `<Error>` or a sitemap parses without complaint but is
    // no feed; stored as an empty poll it would look healthy while nothing arrives.
    if feed.version == FeedVersion::Unknown && feed.entries.is_empty() {
        let what = match top_level(&body.body, body.content_type.as_deref()) {
            TopLevel::Json => "JSON without a JSON Feed version".to_owned(),
            TopLevel::Element(name) => format!("root element <{name}>"),
            TopLevel::Nothing => "no RSS, Atom or JSON Feed document in it".to_owned(),
        };
        return Err(format!(
            "{}: not a feed: {what} ({})",
            body.final_url,
            body.content_type.as_deref().unwrap_or("no content type")
        ));
    }
    if feed.entries.is_empty() && feed.feed.title.is_none() && feed.bozo.is_some() {
        return Err(format!(
            "{}: not a readable feed: {}",
            body.final_url,
            feed.bozo.as_deref().unwrap_or("nothing feed-like in it")
        ));
    }
    Ok(feed)
}

fn looks_like_html(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(2048)]).to_ascii_lowercase();
    head.contains("<html") || head.contains("<!doctype html") || head.contains("<body")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a feed was parsed and normalised on the async worker polling it, so a large or hostile body
    /// held up every other poll and request on that worker. It now runs on the blocking pool, and a panic
    /// there still reaches the poll's `catch_unwind` with its message (which records it on the source).
    #[tokio::test]
    async fn regression_feed_parsing_runs_off_the_async_workers_and_its_panics_still_reach_the_poll() {
        let worker = std::thread::current().id();
        let ran_on = on_blocking_pool(move || std::thread::current().id()).await;
        assert!(ran_on.is_ok_and(|id| id != worker), "the work ran on the async worker");

        let caught =
            AssertUnwindSafe(on_blocking_pool(|| -> usize { panic!("the parser tripped") })).catch_unwind().await;
        match caught {
            Err(panic) => assert_eq!(panic_message(panic.as_ref()), "the parser tripped"),
            Ok(result) => panic!("the panic was swallowed: {result:?}"),
        }

        let body = FetchedBody {
            final_url: "https://feeds.example/rss".into(),
            status: 200,
            body: "<rss version=\"2.0\"><channel><title>T</title><item><title>One</title><link>/1</link></item></channel></rss>"
                .into(),
            content_type: Some("application/rss+xml".into()),
            content_language: None,
            content_location: None,
            etag: None,
            last_modified: None,
        };
        let read = read_feed(body).await;
        let (feed, body, articles) = match read {
            Ok(read) => read,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(feed.feed.title.as_deref(), Some("T"));
        assert_eq!(body.final_url, "https://feeds.example/rss");
        assert_eq!(articles.len(), 1);
    }
}
