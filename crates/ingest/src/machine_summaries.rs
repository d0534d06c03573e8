//! The machine-summary stage (`[llm]`, off by default): articles the enrichment stage queued get a summary written
//! by a language model behind an OpenAI-compatible endpoint, kept in the store and shown labelled as
//! machine-written.
//!
//! It runs as a task of its own beside the poller, at most `llm.concurrency` requests at a time, so a slow or
//! absent endpoint never holds ingestion up. Each summary is kept by article, model and the SHA-256 of what was
//! sent (the prompt's version and the article's text as sent), and looked up before asking: the same text is
//! never sent twice for the same model and prompt. A failed request is logged with the article and the endpoint,
//! counted in `tidings_machine_summaries_total{outcome="failed"}`, recorded on the article's queue entry (shown on
//! `/admin`) and tried again later, a few times; nothing of it is stored as a summary.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tidings_core::config::LlmConfig;
use tidings_core::{MachineSummary, MachineSummaryJob, Store, StoreError};
use tidings_fetch::llm::{LlmError, PROMPT_VERSION, SummaryClient};
use tokio_util::sync::CancellationToken;

/// An article with fewer words than this is not queued: a title and a sentence have nothing to summarise.
pub const MIN_WORDS: usize = 40;

/// Requests for one article before the stage gives up on it (until its text changes and it is queued again).
const MAX_ATTEMPTS: u32 = 5;

/// The wait before the second attempt; each later one waits four times longer (1, 4, 16, 64 minutes).
const FIRST_RETRY: TimeDelta = TimeDelta::minutes(1);

/// A batch holds `llm.concurrency` times this many articles.
const BATCH_ROUNDS: usize = 4;

/// How often the stage looks for work when the queue is empty.
const IDLE_TICK: Duration = Duration::from_secs(5);

/// The longest pause after batches in which every request failed (the endpoint is down or overloaded): the
/// queue is not worked through at full speed against an endpoint that cannot answer.
const MAX_PAUSE: Duration = Duration::from_secs(600);

/// What one pass over the queue did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SummaryReport {
    /// Summaries written by the model and kept.
    pub written: usize,
    /// Articles whose summary was already kept for the same model and text (no request made).
    pub cached: usize,
    /// Requests that failed (recorded on the article's queue entry).
    pub failed: usize,
}

impl SummaryReport {
    fn add(&mut self, other: SummaryReport) {
        self.written += other.written;
        self.cached += other.cached;
        self.failed += other.failed;
    }

    /// Articles taken from the queue.
    pub fn total(&self) -> usize {
        self.written + self.cached + self.failed
    }
}

/// Writes machine summaries for queued articles. Cheap to clone.
#[derive(Clone)]
pub struct MachineSummarizer {
    store: Arc<dyn Store>,
    client: SummaryClient,
    concurrency: usize,
}

/// The key a summary is kept under, beside its article and model: the SHA-256 of the prompt's version and the
/// user message (which holds the title and the text as sent, after `llm.max_input_chars`).
pub fn input_hash(prompt: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(PROMPT_VERSION.to_string().as_bytes());
    hasher.update(b"\n");
    hasher.update(prompt.as_bytes());
    hex::encode(hasher.finalize())
}

/// When to ask again after the `attempts`-th failure in a row; none once [`MAX_ATTEMPTS`] have failed.
fn retry_at(now: DateTime<Utc>, attempts: u32) -> Option<DateTime<Utc>> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let factor = 4_i32.checked_pow(attempts.saturating_sub(1))?;
    now.checked_add_signed(FIRST_RETRY * factor)
}

impl MachineSummarizer {
    /// A stage writing to `store` with the endpoint and limits of `config`.
    pub fn new(store: Arc<dyn Store>, config: &LlmConfig) -> Result<MachineSummarizer, LlmError> {
        Ok(MachineSummarizer { store, client: SummaryClient::new(config)?, concurrency: config.concurrency.max(1) })
    }

    /// Takes one batch of due articles off the queue and summarises them, `llm.concurrency` at a time. Only a
    /// store failure is an error; failed requests are recorded and counted.
    pub async fn summarize_pending(&self) -> Result<SummaryReport, StoreError> {
        let jobs = self.claim_batch().await?;
        self.summarize_batch(jobs).await
    }

    /// Claims one batch of due articles for this worker.
    async fn claim_batch(&self) -> Result<Vec<MachineSummaryJob>, StoreError> {
        let limit = i64::try_from(self.concurrency * BATCH_ROUNDS).unwrap_or(64);
        // Claimed for as long as the batch can take (every request timing out), and a minute more: other workers
        // sharing the database leave these alone meanwhile, and take them up if this one dies.
        let now = Utc::now();
        let lease = TimeDelta::from_std(self.client.timeout() * BATCH_ROUNDS as u32).unwrap_or(TimeDelta::hours(1))
            + TimeDelta::minutes(1);
        self.store.machine_summaries().claim_machine_summaries(now, now + lease, limit).await
    }

    async fn summarize_batch(&self, jobs: Vec<MachineSummaryJob>) -> Result<SummaryReport, StoreError> {
        let outcomes: Vec<Result<SummaryReport, StoreError>> = futures::stream::iter(jobs)
            .map(|job| self.summarize(job))
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        let mut report = SummaryReport::default();
        for outcome in outcomes {
            report.add(outcome?);
        }
        Ok(report)
    }

    /// Hands back the claims of `jobs` this worker has not finished (it is stopping).
    async fn release(&self, jobs: &[MachineSummaryJob]) {
        if jobs.is_empty() {
            return;
        }
        match self.store.machine_summaries().release_machine_summaries(jobs, Utc::now()).await {
            Ok(()) => tracing::info!(batch = jobs.len(), "machine-written summaries: the unfinished batch handed back"),
            Err(error) => {
                tracing::warn!(%error, "machine-written summaries: claims not handed back; due when they end")
            }
        }
    }

    /// Works through the queue until nothing is due (for tests and one-off runs); returns the totals.
    pub async fn summarize_all_pending(&self) -> Result<SummaryReport, StoreError> {
        let mut total = SummaryReport::default();
        loop {
            let report = self.summarize_pending().await?;
            if report.total() == 0 {
                return Ok(total);
            }
            total.add(report);
        }
    }

    async fn summarize(&self, job: MachineSummaryJob) -> Result<SummaryReport, StoreError> {
        let summaries = self.store.machine_summaries();
        let Some(article) = self.store.article(job.article_id).await? else {
            // Deleted with its source since it was queued; its queue entry went with it.
            return Ok(SummaryReport::default());
        };
        let prompt = self.client.prompt(&article.fields.title, article.readable_text());
        let hash = input_hash(&prompt);
        let model = self.client.model();
        if let Some(kept) = summaries.cached_machine_summary(job.article_id, model, &hash).await? {
            summaries.record_machine_summary(&job, &kept, &hash).await?;
            metrics::counter!("tidings_machine_summaries_total", "outcome" => "cache_hit").increment(1);
            return Ok(SummaryReport { cached: 1, ..SummaryReport::default() });
        }
        let started = std::time::Instant::now();
        let answer = self.client.summarize(&prompt).await;
        metrics::histogram!("tidings_machine_summary_request_seconds").record(started.elapsed().as_secs_f64());
        let now = Utc::now();
        match answer {
            Ok(text) => {
                let summary =
                    MachineSummary { article_id: job.article_id, model: model.to_owned(), text, created_at: now };
                summaries.record_machine_summary(&job, &summary, &hash).await?;
                metrics::counter!("tidings_machine_summaries_total", "outcome" => "written").increment(1);
                tracing::debug!(article = job.article_id, model, "machine-written summary kept");
                Ok(SummaryReport { written: 1, ..SummaryReport::default() })
            }
            Err(error) => {
                let attempts = job.attempts.saturating_add(1);
                let retry = retry_at(now, attempts);
                tracing::warn!(
                    article = job.article_id,
                    endpoint = self.client.endpoint(),
                    attempts,
                    retry_at = ?retry,
                    %error,
                    "machine-written summary failed"
                );
                summaries.record_machine_summary_failure(&job, now, &error.to_string(), retry).await?;
                metrics::counter!("tidings_machine_summaries_total", "outcome" => "failed").increment(1);
                Ok(SummaryReport { failed: 1, ..SummaryReport::default() })
            }
        }
    }

    /// Summarises queued articles until `shutdown` is cancelled. A request in flight then is dropped, not waited
    /// for (a local model can take minutes), and the batch's unfinished articles are handed back, due at once for
    /// any other worker (or this one's next start) rather than when the claim would have ended.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(
            endpoint = self.client.endpoint(),
            model = self.client.model(),
            concurrency = self.concurrency,
            "machine-written summaries on"
        );
        let mut pause = Duration::ZERO;
        loop {
            let claimed = tokio::select! {
                _ = shutdown.cancelled() => break,
                claimed = self.claim_batch() => claimed,
            };
            let batch = match claimed {
                Ok(jobs) => tokio::select! {
                    _ = shutdown.cancelled() => {
                        self.release(&jobs).await;
                        break;
                    }
                    batch = self.summarize_batch(jobs.clone()) => batch,
                },
                Err(error) => Err(error),
            };
            let wait = match batch {
                Ok(report) if report.total() == 0 => IDLE_TICK,
                Ok(report) if report.written + report.cached == 0 => {
                    // Everything failed: most likely the endpoint, not the articles. Wait longer each time.
                    pause = (pause * 2).clamp(IDLE_TICK, MAX_PAUSE);
                    tracing::warn!(
                        failed = report.failed,
                        pause_secs = pause.as_secs(),
                        "machine-written summaries paused"
                    );
                    pause
                }
                Ok(_) => {
                    pause = Duration::ZERO;
                    continue;
                }
                Err(error) => {
                    tracing::error!(%error, "machine-written summaries: store failure");
                    IDLE_TICK
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!("machine-written summaries stopped");
    }
}

/// Failed articles re-queued per store round trip by [`retry_failed`].
const RETRY_BATCH: i64 = 500;

/// Puts every article whose machine-written summary failed back on the queue, due `now`, its failures forgotten:
/// for the operator once the endpoint works again (the stage itself gives up after five attempts). Returns how
/// many articles were queued.
pub async fn retry_failed(store: &dyn Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let summaries = store.machine_summaries();
    let mut queued: std::collections::HashSet<i64> = std::collections::HashSet::new();
    loop {
        let failures = summaries.machine_summary_failures(RETRY_BATCH).await?;
        // Queuing clears an article's failure, so each round sees the next ones; an id seen twice means the
        // store kept it (it cannot be queued), and going round again would never end.
        let fresh: Vec<i64> =
            failures.iter().map(|f| f.article_id).filter(|id| !queued.contains(id)).collect::<Vec<_>>();
        if fresh.is_empty() {
            return Ok(queued.len());
        }
        summaries.queue_machine_summaries(&fresh, now).await?;
        queued.extend(fresh);
    }
}

/// Queues the stored articles published at or after `since` with enough text to summarise (see [`MIN_WORDS`]):
/// the backfill after `[llm]` is switched on, since the enrichment stage queues only the articles it enriches.
/// An article already summarised by the configured model from the same text costs no request (the stage
/// answers it from the kept summary). Returns how many articles were queued.
pub async fn queue_published_since(
    store: &dyn Store,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    const PAGE: i64 = 500;
    let mut cursor = None;
    let mut queued = 0;
    loop {
        let page = store.latest_articles(PAGE, cursor).await?;
        let recent: Vec<_> = page.iter().filter(|a| a.published_at >= since).collect();
        let mut ids = Vec::with_capacity(recent.len());
        for item in &recent {
            if let Some(article) = store.article(item.id).await?
                && article.readable_text().split_whitespace().nth(MIN_WORDS - 1).is_some()
            {
                ids.push(item.id);
            }
        }
        // An empty list is a no-op in the store.
        store.machine_summaries().queue_machine_summaries(&ids, now).await?;
        queued += ids.len();
        // Newest first: a page that reaches past `since` is the last one needed.
        match page.last() {
            Some(last) if page.len() as i64 == PAGE && last.published_at >= since => {
                cursor = Some(tidings_core::ArticleCursor { published_at: last.published_at, id: last.id });
            }
            _ => return Ok(queued),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_then_stop() {
        let now = Utc::now();
        let waits: Vec<Option<i64>> = (1..=6).map(|n| retry_at(now, n).map(|t| (t - now).num_minutes())).collect();
        assert_eq!(waits, vec![Some(1), Some(4), Some(16), Some(64), None, None]);
    }

    #[test]
    fn the_input_hash_follows_the_prompt_and_its_version() {
        let a = input_hash("Title: Tram\n\nArticle:\nThe council voted.");
        assert_eq!(a.len(), 64);
        assert_eq!(a, input_hash("Title: Tram\n\nArticle:\nThe council voted."));
        assert_ne!(a, input_hash("Title: Tram\n\nArticle:\nThe council voted again."));
        let mut hasher = Sha256::new();
        hasher.update(b"Title: Tram\n\nArticle:\nThe council voted.");
        assert_ne!(a, hex::encode(hasher.finalize()), "the prompt's version is part of the key");
    }
}
