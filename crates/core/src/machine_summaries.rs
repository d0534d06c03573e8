//! Machine-written summaries (`[llm]`, off by default): the summaries a language model wrote for articles, kept
//! so that the same text is never sent twice, and the queue of articles waiting for one. The storage backends
//! implement [`MachineSummaryStore`] beside [`crate::Store`]; reach it with [`crate::Store::machine_summaries`].
//!
//! A summary is kept by article, model and a hash of what was sent (the prompt's version and the article's text
//! as sent): another model, another prompt or a changed text is another request, the same three never are.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::ArticleId;
use crate::store::StoreResult;

/// A summary a language model wrote for an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MachineSummary {
    /// The article.
    pub article_id: ArticleId,
    /// The model that wrote it, as the endpoint names it.
    pub model: String,
    /// The summary, cleaned of the model's wrapping (one paragraph of plain text).
    pub text: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// An article waiting for a machine-written summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineSummaryJob {
    /// The article.
    pub article_id: ArticleId,
    /// When it was queued: the version of the queue entry, so that an outcome recorded for this job does not
    /// touch the entry of a later queuing (its text changed meanwhile).
    pub queued_at: DateTime<Utc>,
    /// Failed requests for it so far (since it was last queued).
    pub attempts: u32,
    /// Until when this worker holds it, when it was claimed (see [`MachineSummaryStore::claim_machine_summaries`]):
    /// a failure recorded after another worker took it over leaves that worker's claim alone.
    pub claimed_until: Option<DateTime<Utc>>,
}

/// An article whose machine-written summary failed, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineSummaryFailure {
    /// The article.
    pub article_id: ArticleId,
    /// Its title.
    pub title: String,
    /// The last error, naming the endpoint and what went wrong.
    pub error: String,
    /// When it failed last.
    pub failed_at: DateTime<Utc>,
    /// Failed requests in a row.
    pub attempts: u32,
    /// When it is tried again; none when the stage gave up on it (until its text changes).
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Storage of machine-written summaries and their queue.
#[async_trait]
pub trait MachineSummaryStore: Send + Sync {
    /// Puts articles on the queue, due at `at` (again, with their failures forgotten, when they were on it: their
    /// text has changed, or the operator asks for another try), or when a worker's claim on one ends if that is
    /// later. Ids of deleted articles are skipped.
    async fn queue_machine_summaries(&self, articles: &[ArticleId], at: DateTime<Utc>) -> StoreResult<()>;
    /// Queued articles due at `now`, the longest waiting first.
    async fn pending_machine_summaries(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<MachineSummaryJob>>;
    /// Takes up to `limit` articles due at `now` for one worker: they are not due again (for any other worker, in
    /// this process or another sharing the database) until `lease_until`, by when the worker has recorded an
    /// outcome, or has died and the articles are due again. The longest waiting first.
    async fn claim_machine_summaries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<MachineSummaryJob>>;
    /// Hands back the claims of `jobs` still in force (a stopping worker's unfinished jobs): those articles are due
    /// at `now` for any worker instead of when the claim would have ended. Jobs done, failed or claimed by another
    /// worker since are left alone.
    async fn release_machine_summaries(&self, jobs: &[MachineSummaryJob], now: DateTime<Utc>) -> StoreResult<()>;
    /// The summary kept for exactly this article, model and input hash, if any.
    async fn cached_machine_summary(
        &self,
        article: ArticleId,
        model: &str,
        input_hash: &str,
    ) -> StoreResult<Option<MachineSummary>>;
    /// Keeps `summary` under `input_hash` and takes `job` off the queue (unless the article was queued again
    /// since), in one transaction. Keeping the same article, model and hash again changes nothing; a deleted
    /// article is skipped.
    async fn record_machine_summary(
        &self,
        job: &MachineSummaryJob,
        summary: &MachineSummary,
        input_hash: &str,
    ) -> StoreResult<()>;
    /// Records a failed request for `job` (unless its article was queued again since, or, for a claimed job,
    /// claimed again by another worker): the error, one more attempt, and when to try again (none: not until the
    /// article is queued again).
    async fn record_machine_summary_failure(
        &self,
        job: &MachineSummaryJob,
        at: DateTime<Utc>,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;
    /// The newest summary kept for an article, whatever its model.
    async fn machine_summary(&self, article: ArticleId) -> StoreResult<Option<MachineSummary>>;
    /// Queued articles whose last request failed, the latest failure first.
    async fn machine_summary_failures(&self, limit: i64) -> StoreResult<Vec<MachineSummaryFailure>>;
}
