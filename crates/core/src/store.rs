//! The storage interface. `tidings-store` implements it for SQLite and PostgreSQL; everything else talks to
//! `dyn Store` so a deployment can pick its backend by URL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::SearchDoc;
use crate::accounts::AccountStore;
use crate::lean::{Lean, LeanCoverage};
use crate::machine_summaries::MachineSummaryStore;
use crate::model::{
    Article, ArticleCursor, ArticleId, ArticleListItem, ClusterJob, ClusteringBatch, Enrichment, EnrichmentJob,
    EntitySummary, ExtractMode, ExtractedBody, ExtractionJob, NewSource, PollFailure, PollReport, PollSuccess, Source,
    SourceId, SourceSettingsChange, StoryArticle, StoryCursor, StoryId, StorySummary, Syndication,
};

/// Errors from a storage backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A source with this URL is already followed.
    #[error("a source with URL {0} already exists")]
    DuplicateSource(String),
    /// The row asked for does not exist.
    #[error("{what} {id} not found")]
    NotFound {
        /// What kind of row.
        what: &'static str,
        /// Its id.
        id: i64,
    },
    /// The database URL cannot be used.
    #[error("invalid database URL {url:?}: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// Applying migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// A unique value is taken (an account's name or e-mail address).
    #[error("{what} {value:?} is taken")]
    Duplicate {
        /// What kind of value ("username", "e-mail address").
        what: &'static str,
        /// The value as given.
        value: String,
    },
    /// The change is not allowed in the row's present state (a locked thread, a reply to a comment on another
    /// page); the message says why.
    #[error("{0}")]
    Refused(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(String),
}

/// Result alias for store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the pipeline and the web layer need from persistent storage.
///
/// Implementations must make [`Store::record_poll`] atomic: a crash mid-poll leaves either all of the poll or
/// none of it.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The backend's name, for logs ("sqlite" or "postgres").
    fn backend(&self) -> &'static str;

    /// Accounts, comments, moderation and personal lists, kept in the same database.
    fn accounts(&self) -> &dyn AccountStore;

    /// Machine-written summaries (`[llm]`) and their queue, kept in the same database.
    fn machine_summaries(&self) -> &dyn MachineSummaryStore;

    /// Follows a new source, due for polling at once. Fails with [`StoreError::DuplicateSource`] if its URL is
    /// already followed.
    async fn add_source(&self, source: NewSource) -> StoreResult<Source>;
    /// Stops following a source and deletes its articles, counting their stories, entities and topics again
    /// from what is left (a story left with no article is listed no more). Returns false when there was no such
    /// source.
    async fn remove_source(&self, id: SourceId) -> StoreResult<bool>;
    /// One source by id.
    async fn source(&self, id: SourceId) -> StoreResult<Option<Source>>;
    /// One source by its URL.
    async fn source_by_url(&self, url: &str) -> StoreResult<Option<Source>>;
    /// Every source, ordered by id.
    async fn sources(&self) -> StoreResult<Vec<Source>>;
    /// Enabled sources whose `next_poll_at` is at or before `now`, soonest first.
    async fn due_sources(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Source>>;
    /// Resumes polling a source that was stopped (410 Gone, an invalid URL): clears its error count and makes
    /// it due at `now`.
    async fn enable_source(&self, id: SourceId, now: DateTime<Utc>) -> StoreResult<()>;
    /// Makes a source due now (for `sources poll` and tests).
    async fn schedule_now(&self, id: SourceId, now: DateTime<Utc>) -> StoreResult<()>;

    /// Stores a successful poll in one transaction: new articles (deduplicated within the source by GUID, then
    /// canonical URL, then content hash), validators, schedule, and health (error count reset).
    async fn record_poll(&self, source: SourceId, at: DateTime<Utc>, poll: PollSuccess) -> StoreResult<PollReport>;
    /// Records a failed poll on the source: the error, one more consecutive failure, the next attempt.
    async fn record_failure(&self, source: SourceId, at: DateTime<Utc>, failure: PollFailure) -> StoreResult<()>;

    /// Sets when a source's item pages are fetched and extracted.
    async fn set_extract_mode(&self, id: SourceId, mode: ExtractMode) -> StoreResult<()> {
        let change = SourceSettingsChange { extract_mode: Some(mode), ..SourceSettingsChange::default() };
        self.update_source_settings(id, &change).await
    }
    /// Replaces a source's own skip rules (none: empty). The caller has checked that each compiles; a rule may
    /// not be blank or contain a line break.
    async fn set_skip_rules(&self, id: SourceId, rules: &[String]) -> StoreResult<()> {
        let change = SourceSettingsChange { skip_rules: Some(rules.to_vec()), ..SourceSettingsChange::default() };
        self.update_source_settings(id, &change).await
    }
    /// Sets (or, with `None`, clears) a source's political lean.
    async fn set_lean(&self, id: SourceId, lean: Option<Lean>) -> StoreResult<()> {
        let change = SourceSettingsChange { lean: Some(lean), ..SourceSettingsChange::default() };
        self.update_source_settings(id, &change).await
    }
    /// Changes a source's settings in one write: every change given, or none of them (a blank or multi-line skip
    /// rule refuses the whole change).
    async fn update_source_settings(&self, id: SourceId, change: &SourceSettingsChange) -> StoreResult<()>;
    /// Articles whose page has not been extracted (nor failed to be), newest first: every article of an
    /// `always` source, and those of an `auto` source whose feed text is shorter than `teaser_max_chars`.
    async fn pending_extractions(&self, limit: i64, teaser_max_chars: i64) -> StoreResult<Vec<ExtractionJob>>;
    /// Stores the outcome of extracting an article's page: the body, or the error to show the operator.
    async fn record_extraction(
        &self,
        article: ArticleId,
        at: DateTime<Utc>,
        outcome: Result<ExtractedBody, String>,
    ) -> StoreResult<()>;

    /// The newest articles, newest first, after `cursor` when given.
    async fn latest_articles(&self, limit: i64, cursor: Option<ArticleCursor>) -> StoreResult<Vec<ArticleListItem>>;
    /// The newest articles of one source.
    async fn source_articles(&self, source: SourceId, limit: i64) -> StoreResult<Vec<ArticleListItem>>;
    /// Topics (the categories of followed sources, as written) with how many sources carry each, by name.
    async fn topics(&self) -> StoreResult<Vec<(String, i64)>>;
    /// The newest articles of the sources in `topic`, after `cursor` when given.
    async fn topic_articles(
        &self,
        topic: &str,
        limit: i64,
        cursor: Option<ArticleCursor>,
    ) -> StoreResult<Vec<ArticleListItem>>;
    /// One article by id.
    async fn article(&self, id: ArticleId) -> StoreResult<Option<Article>>;
    /// How many articles are stored.
    async fn count_articles(&self) -> StoreResult<i64>;

    /// Articles not yet clustered, in arrival order. An article whose page is still to be extracted waits for
    /// it (the page text tells copies apart far better than a teaser), unless it was stored before
    /// `extraction_grace_before`, so a stalled extractor cannot hold stories back.
    async fn pending_clustering(
        &self,
        limit: i64,
        teaser_max_chars: i64,
        extraction_grace_before: DateTime<Utc>,
    ) -> StoreResult<Vec<ClusterJob>>;
    /// Clustered articles listed at or after `since`, in the order they were clustered, at most `limit`: the
    /// story stage replays them on start to rebuild its in-memory state.
    async fn recent_clustered(&self, since: DateTime<Utc>, limit: i64) -> StoreResult<Vec<ClusterJob>>;
    /// Stores a batch of clustering decisions in one transaction; returns the ids of the created stories, in
    /// the order of [`ClusteringBatch::new_stories`].
    async fn record_clustering(&self, at: DateTime<Utc>, batch: ClusteringBatch) -> StoreResult<Vec<StoryId>>;
    /// Replaces the stories related to `story` (best first).
    async fn record_related(&self, story: StoryId, related: &[(StoryId, f32)]) -> StoreResult<()>;
    /// Stories with articles, most recently updated first, after `cursor` when given.
    async fn latest_stories(&self, limit: i64, cursor: Option<StoryCursor>) -> StoreResult<Vec<StorySummary>>;
    /// One story. A story merged into another answers with the one it became.
    async fn story(&self, id: StoryId) -> StoreResult<Option<StorySummary>>;
    /// A story's articles, oldest first (its timeline), at most `limit`.
    async fn story_articles(&self, id: StoryId, limit: i64) -> StoreResult<Vec<StoryArticle>>;
    /// A story's newest articles, newest first, at most `limit` (what a feed of the story shows).
    async fn newest_story_articles(&self, id: StoryId, limit: i64) -> StoreResult<Vec<StoryArticle>>;
    /// The stories one source's articles belong to, most recently updated first.
    async fn source_stories(&self, source: SourceId, limit: i64) -> StoreResult<Vec<StorySummary>>;
    /// The stories related to `id`, best first.
    async fn related_stories(&self, id: StoryId, limit: i64) -> StoreResult<Vec<StorySummary>>;
    /// How many distinct outlets of each lean cover story `id`.
    async fn story_lean_coverage(&self, id: StoryId) -> StoreResult<LeanCoverage>;
    /// The coverage by lean of each of `ids` (live stories, as lists give them) that has articles, in no order.
    async fn stories_lean_coverage(&self, ids: &[StoryId]) -> StoreResult<Vec<(StoryId, LeanCoverage)>>;
    /// The stories updated since `since`, covered by at least `min_outlets` outlets of which some are rated,
    /// newest first, each with its coverage by lean: the candidates for blindspots
    /// ([`LeanCoverage::blindspot`] decides). At most `scan` stories are read, so the cost stays bounded however
    /// many the span holds.
    async fn rated_coverage_since(
        &self,
        since: DateTime<Utc>,
        min_outlets: i64,
        scan: i64,
    ) -> StoreResult<Vec<(StoryId, LeanCoverage)>>;
    /// The article's original and the other copies of its text.
    async fn syndication(&self, article: ArticleId) -> StoreResult<Syndication>;

    /// Articles waiting for the search index (stored, or extracted or refreshed by their feed since they were
    /// indexed), in id order.
    async fn pending_indexing(&self, limit: i64) -> StoreResult<Vec<SearchDoc>>;
    /// Takes these articles off the indexing queue.
    async fn mark_indexed(&self, ids: &[ArticleId], at: DateTime<Utc>) -> StoreResult<()>;
    /// Puts every article back on the indexing queue (before a rebuild); returns how many there are.
    async fn reset_indexing(&self) -> StoreResult<i64>;
    /// How many articles wait for the search index.
    async fn count_pending_indexing(&self) -> StoreResult<i64>;
    /// These articles as list items, in the order of `ids`; ids with no article (deleted since) are left out.
    async fn articles_by_ids(&self, ids: &[ArticleId]) -> StoreResult<Vec<ArticleListItem>>;

    /// Articles the enrichment stage has not seen since they were stored, their page was extracted or their feed
    /// refreshed them, oldest first.
    async fn pending_enrichment(&self, limit: i64) -> StoreResult<Vec<EnrichmentJob>>;
    /// Stores `aids` for `article` (replacing any earlier ones, its entity and topic links included) and takes
    /// it off the enrichment queue, in one transaction.
    async fn record_enrichment(&self, article: ArticleId, at: DateTime<Utc>, aids: &Enrichment) -> StoreResult<()>;
    /// The aids stored for `article`, if it has been enriched.
    async fn article_aids(&self, article: ArticleId) -> StoreResult<Option<Enrichment>>;
    /// The entity with this key.
    async fn entity(&self, key: &str) -> StoreResult<Option<EntitySummary>>;
    /// The newest articles naming the entity `key`.
    async fn entity_articles(&self, key: &str, limit: i64) -> StoreResult<Vec<ArticleListItem>>;
    /// The stories whose articles name the entity `key`, latest first.
    async fn entity_stories(&self, key: &str, limit: i64) -> StoreResult<Vec<StorySummary>>;
    /// The entities the articles of `story` name, the most widely named first; `article_count` counts within
    /// the story.
    async fn story_entities(&self, story: StoryId, limit: i64) -> StoreResult<Vec<EntitySummary>>;
    /// The most named entities overall.
    async fn top_entities(&self, limit: i64) -> StoreResult<Vec<EntitySummary>>;
    /// A story's topics: those of its articles, the most common first, with how many of its articles have each.
    async fn story_topics(&self, story: StoryId) -> StoreResult<Vec<(String, i64)>>;
}
