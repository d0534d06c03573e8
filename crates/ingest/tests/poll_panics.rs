//! A panic while polling one source is recorded on that source and the other sources go on.
//!
//! The seam is the store: the ingester talks to `dyn Store`, so a store that panics on one source's poll stands
//! in for any bug met while polling it (parse, sanitise, normalise), with no test-only path in the ingester.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use common::{FixtureServer, TestStore};
use tidings_core::config::{FetchConfig, PollConfig};
use tidings_core::*;
use tidings_ingest::{Ingester, PollOutcome};

/// Delegates to a real store, except that recording a poll of `poisoned` panics.
struct PanickingStore {
    inner: Arc<dyn Store>,
    poisoned: SourceId,
}

#[async_trait]
impl Store for PanickingStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    fn accounts(&self) -> &dyn AccountStore {
        self.inner.accounts()
    }
    fn machine_summaries(&self) -> &dyn MachineSummaryStore {
        self.inner.machine_summaries()
    }
    async fn record_poll(&self, source: SourceId, at: DateTime<Utc>, poll: PollSuccess) -> StoreResult<PollReport> {
        if source == self.poisoned {
            panic!("index out of bounds: the len is 3 but the index is 7");
        }
        self.inner.record_poll(source, at, poll).await
    }
    async fn add_source(&self, source: NewSource) -> StoreResult<Source> {
        self.inner.add_source(source).await
    }
    async fn remove_source(&self, id: SourceId) -> StoreResult<bool> {
        self.inner.remove_source(id).await
    }
    async fn source(&self, id: SourceId) -> StoreResult<Option<Source>> {
        self.inner.source(id).await
    }
    async fn source_by_url(&self, url: &str) -> StoreResult<Option<Source>> {
        self.inner.source_by_url(url).await
    }
    async fn sources(&self) -> StoreResult<Vec<Source>> {
        self.inner.sources().await
    }
    async fn due_sources(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Source>> {
        self.inner.due_sources(now, limit).await
    }
    async fn enable_source(&self, id: SourceId, now: DateTime<Utc>) -> StoreResult<()> {
        self.inner.enable_source(id, now).await
    }
    async fn schedule_now(&self, id: SourceId, now: DateTime<Utc>) -> StoreResult<()> {
        self.inner.schedule_now(id, now).await
    }
    async fn record_failure(&self, source: SourceId, at: DateTime<Utc>, failure: PollFailure) -> StoreResult<()> {
        self.inner.record_failure(source, at, failure).await
    }
    async fn set_extract_mode(&self, id: SourceId, mode: ExtractMode) -> StoreResult<()> {
        self.inner.set_extract_mode(id, mode).await
    }
    async fn set_skip_rules(&self, id: SourceId, rules: &[String]) -> StoreResult<()> {
        self.inner.set_skip_rules(id, rules).await
    }
    async fn set_lean(&self, id: SourceId, lean: Option<Lean>) -> StoreResult<()> {
        self.inner.set_lean(id, lean).await
    }
    async fn update_source_settings(&self, id: SourceId, change: &SourceSettingsChange) -> StoreResult<()> {
        self.inner.update_source_settings(id, change).await
    }
    async fn pending_extractions(&self, limit: i64, teaser_max_chars: i64) -> StoreResult<Vec<ExtractionJob>> {
        self.inner.pending_extractions(limit, teaser_max_chars).await
    }
    async fn record_extraction(
        &self,
        article: ArticleId,
        at: DateTime<Utc>,
        outcome: Result<ExtractedBody, String>,
    ) -> StoreResult<()> {
        self.inner.record_extraction(article, at, outcome).await
    }
    async fn latest_articles(&self, limit: i64, cursor: Option<ArticleCursor>) -> StoreResult<Vec<ArticleListItem>> {
        self.inner.latest_articles(limit, cursor).await
    }
    async fn source_articles(&self, source: SourceId, limit: i64) -> StoreResult<Vec<ArticleListItem>> {
        self.inner.source_articles(source, limit).await
    }
    async fn topics(&self) -> StoreResult<Vec<(String, i64)>> {
        self.inner.topics().await
    }
    async fn topic_articles(
        &self,
        topic: &str,
        limit: i64,
        cursor: Option<ArticleCursor>,
    ) -> StoreResult<Vec<ArticleListItem>> {
        self.inner.topic_articles(topic, limit, cursor).await
    }
    async fn article(&self, id: ArticleId) -> StoreResult<Option<Article>> {
        self.inner.article(id).await
    }
    async fn count_articles(&self) -> StoreResult<i64> {
        self.inner.count_articles().await
    }
    async fn pending_clustering(
        &self,
        limit: i64,
        teaser_max_chars: i64,
        extraction_grace_before: DateTime<Utc>,
    ) -> StoreResult<Vec<ClusterJob>> {
        self.inner.pending_clustering(limit, teaser_max_chars, extraction_grace_before).await
    }
    async fn recent_clustered(&self, since: DateTime<Utc>, limit: i64) -> StoreResult<Vec<ClusterJob>> {
        self.inner.recent_clustered(since, limit).await
    }
    async fn record_clustering(&self, at: DateTime<Utc>, batch: ClusteringBatch) -> StoreResult<Vec<StoryId>> {
        self.inner.record_clustering(at, batch).await
    }
    async fn record_related(&self, story: StoryId, related: &[(StoryId, f32)]) -> StoreResult<()> {
        self.inner.record_related(story, related).await
    }
    async fn latest_stories(&self, limit: i64, cursor: Option<StoryCursor>) -> StoreResult<Vec<StorySummary>> {
        self.inner.latest_stories(limit, cursor).await
    }
    async fn story(&self, id: StoryId) -> StoreResult<Option<StorySummary>> {
        self.inner.story(id).await
    }
    async fn story_articles(&self, id: StoryId, limit: i64) -> StoreResult<Vec<StoryArticle>> {
        self.inner.story_articles(id, limit).await
    }
    async fn newest_story_articles(&self, id: StoryId, limit: i64) -> StoreResult<Vec<StoryArticle>> {
        self.inner.newest_story_articles(id, limit).await
    }
    async fn source_stories(&self, source: SourceId, limit: i64) -> StoreResult<Vec<StorySummary>> {
        self.inner.source_stories(source, limit).await
    }
    async fn related_stories(&self, id: StoryId, limit: i64) -> StoreResult<Vec<StorySummary>> {
        self.inner.related_stories(id, limit).await
    }
    async fn story_lean_coverage(&self, id: StoryId) -> StoreResult<LeanCoverage> {
        self.inner.story_lean_coverage(id).await
    }
    async fn stories_lean_coverage(&self, ids: &[StoryId]) -> StoreResult<Vec<(StoryId, LeanCoverage)>> {
        self.inner.stories_lean_coverage(ids).await
    }
    async fn rated_coverage_since(
        &self,
        since: DateTime<Utc>,
        min_outlets: i64,
        scan: i64,
    ) -> StoreResult<Vec<(StoryId, LeanCoverage)>> {
        self.inner.rated_coverage_since(since, min_outlets, scan).await
    }
    async fn syndication(&self, article: ArticleId) -> StoreResult<Syndication> {
        self.inner.syndication(article).await
    }
    async fn pending_indexing(&self, limit: i64) -> StoreResult<Vec<SearchDoc>> {
        self.inner.pending_indexing(limit).await
    }
    async fn mark_indexed(&self, ids: &[ArticleId], at: DateTime<Utc>) -> StoreResult<()> {
        self.inner.mark_indexed(ids, at).await
    }
    async fn reset_indexing(&self) -> StoreResult<i64> {
        self.inner.reset_indexing().await
    }
    async fn count_pending_indexing(&self) -> StoreResult<i64> {
        self.inner.count_pending_indexing().await
    }
    async fn articles_by_ids(&self, ids: &[ArticleId]) -> StoreResult<Vec<ArticleListItem>> {
        self.inner.articles_by_ids(ids).await
    }
    async fn pending_enrichment(&self, limit: i64) -> StoreResult<Vec<EnrichmentJob>> {
        self.inner.pending_enrichment(limit).await
    }
    async fn record_enrichment(&self, article: ArticleId, at: DateTime<Utc>, aids: &Enrichment) -> StoreResult<()> {
        self.inner.record_enrichment(article, at, aids).await
    }
    async fn article_aids(&self, article: ArticleId) -> StoreResult<Option<Enrichment>> {
        self.inner.article_aids(article).await
    }
    async fn entity(&self, key: &str) -> StoreResult<Option<EntitySummary>> {
        self.inner.entity(key).await
    }
    async fn entity_articles(&self, key: &str, limit: i64) -> StoreResult<Vec<ArticleListItem>> {
        self.inner.entity_articles(key, limit).await
    }
    async fn entity_stories(&self, key: &str, limit: i64) -> StoreResult<Vec<StorySummary>> {
        self.inner.entity_stories(key, limit).await
    }
    async fn story_entities(&self, story: StoryId, limit: i64) -> StoreResult<Vec<EntitySummary>> {
        self.inner.story_entities(story, limit).await
    }
    async fn top_entities(&self, limit: i64) -> StoreResult<Vec<EntitySummary>> {
        self.inner.top_entities(limit).await
    }
    async fn story_topics(&self, story: StoryId) -> StoreResult<Vec<(String, i64)>> {
        self.inner.story_topics(story).await
    }
}

/// Regression: a panic while polling one source ended the poller task, silently stopping all ingestion.
#[tokio::test]
async fn regression_a_panic_while_polling_is_recorded_on_the_source_and_the_others_go_on() {
    let server = FixtureServer::start().await;
    let store = TestStore::new().await;
    let add = |url: String| {
        store.store.add_source(NewSource { url, kind: SourceKind::Feed, title: None, site_url: None, category: None })
    };
    let good = add(server.url("/good.xml")).await.unwrap();
    let doomed = add(server.url("/feed.xml")).await.unwrap();
    let panicking: Arc<dyn Store> = Arc::new(PanickingStore { inner: store.store.clone(), poisoned: doomed.id });
    let config = FetchConfig { allow_private_networks: true, ..FetchConfig::default() };
    let fetcher = Arc::new(tidings_fetch::Fetcher::new(&config).unwrap());
    let ingester = Ingester::new(panicking, fetcher, PollConfig::default());

    let polled = ingester.poll_due(Utc::now() + chrono::Duration::seconds(1)).await.unwrap();
    assert_eq!(polled, 2, "the batch finishes instead of unwinding");

    let doomed = store.store.source(doomed.id).await.unwrap().unwrap();
    let error = doomed.last_error.clone().unwrap_or_default();
    assert_eq!(doomed.error_count, 1, "{error}");
    assert!(error.starts_with(&doomed.url), "{error}");
    assert!(error.contains("internal error while polling: index out of bounds"), "{error}");
    assert!(doomed.next_poll_at > Utc::now() && !doomed.disabled, "retried later with backoff");

    let good = store.store.source(good.id).await.unwrap().unwrap();
    assert_eq!(good.error_count, 0, "{:?}", good.last_error);
    assert_eq!(store.store.count_articles().await.unwrap(), 3);

    // Polled directly (as `tidings sources poll` does) the outcome is a failure, not a panic.
    let outcome = ingester.poll_source(&doomed).await.unwrap();
    assert!(matches!(&outcome, PollOutcome::Failed(e) if e.contains("internal error while polling")), "{outcome:?}");
    store.close().await;
}
