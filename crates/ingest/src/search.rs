//! The search stage: articles waiting on the store's indexing queue go into the search index in batches, and
//! leave the queue once the index has committed them. A crash between the two indexes a batch twice, which an
//! upsert makes harmless.

use chrono::Utc;
use tidings_core::SearchIndex;

use crate::{IngestError, Ingester};

/// How long the search stage may run in one poller tick.
const SEARCH_SLICE: std::time::Duration = std::time::Duration::from_secs(5);

impl Ingester {
    /// Indexes one batch of waiting articles; returns how many. Zero when search is off.
    pub async fn index_pending(&self) -> Result<usize, IngestError> {
        let Some(index) = &self.search else { return Ok(0) };
        index_batch(self.store.as_ref(), index.as_ref(), self.search_batch).await
    }

    /// Indexes batches for up to [`SEARCH_SLICE`] per poller tick, so a large backlog (after `reindex` or an
    /// upgrade) drains quickly without holding polling back for long.
    pub(crate) async fn index_for_a_while(&self, shutdown: &tokio_util::sync::CancellationToken) {
        let started = std::time::Instant::now();
        while !shutdown.is_cancelled() && started.elapsed() < SEARCH_SLICE {
            match self.index_pending().await {
                Ok(n) if (n as i64) < self.search_batch => return,
                Ok(n) => tracing::debug!(indexed = n, "search batch done"),
                Err(error) => {
                    tracing::error!(%error, "search stage failure");
                    return;
                }
            }
        }
    }

    /// Indexes batches until none is waiting, calling `progress` with the running total after each.
    pub async fn index_all_pending(&self, mut progress: impl FnMut(usize)) -> Result<usize, IngestError> {
        let mut total = 0;
        loop {
            let n = self.index_pending().await?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
            progress(total);
        }
    }
}

async fn index_batch(
    store: &dyn tidings_core::Store,
    index: &dyn SearchIndex,
    batch: i64,
) -> Result<usize, IngestError> {
    let docs = store.pending_indexing(batch).await?;
    if docs.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = docs.iter().map(|d| d.id).collect();
    index.upsert(docs).await?;
    store.mark_indexed(&ids, Utc::now()).await?;
    metrics::counter!("tidings_indexed_articles_total").increment(ids.len() as u64);
    Ok(ids.len())
}
