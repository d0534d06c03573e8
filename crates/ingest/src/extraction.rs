//! The extraction stage: for articles whose feed carried only a teaser (or whose source asks for it always),
//! fetch the item's page through the same fetcher (same SSRF guard and limits), extract the article, and
//! store it beside the feed's text. A failure is recorded on the article for the operator and the feed's text
//! stays what readers see.

use futures::StreamExt;
use tidings_core::{ExtractedBody, ExtractionJob, StoreError};
use tidings_fetch::{FetchResponse, Validators};

use crate::Ingester;
use crate::normalise::Sanitizer;

impl Ingester {
    /// Extracts one batch of pending articles, `extract.concurrency` pages at a time; returns how many were
    /// attempted. Only a store failure is an error: page failures are recorded on their articles.
    pub async fn extract_pending(&self) -> Result<usize, StoreError> {
        let jobs = self.store.pending_extractions(self.extract.batch_size, self.extract.teaser_max_chars).await?;
        let count = jobs.len();
        let results: Vec<Result<(), StoreError>> = futures::stream::iter(jobs)
            .map(|job| async move {
                let outcome = self.extract_one(&job).await;
                let label = if outcome.is_ok() { "ok" } else { "failed" };
                metrics::counter!("tidings_extractions_total", "outcome" => label).increment(1);
                if let Err(error) = &outcome {
                    tracing::warn!(article = job.article_id, url = %job.url, %error, "extraction failed");
                }
                self.store.record_extraction(job.article_id, chrono::Utc::now(), outcome).await
            })
            .buffer_unordered(self.extract.concurrency.max(1))
            .collect()
            .await;
        results.into_iter().collect::<Result<Vec<()>, _>>()?;
        Ok(count)
    }

    /// Extracts batches until none is pending (for `demo` and `sources poll`); returns how many were attempted.
    pub async fn extract_all_pending(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let n = self.extract_pending().await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    async fn extract_one(&self, job: &ExtractionJob) -> Result<ExtractedBody, String> {
        let page = match self.fetcher.fetch(&job.url, &Validators::default()).await.map_err(|e| e.to_string())? {
            FetchResponse::Ok(page) => page,
            FetchResponse::NotModified { final_url } => {
                return Err(format!("{final_url}: server answered 304 Not Modified to an unconditional request"));
            }
        };
        let options = tidings_extract::ExtractOptions {
            url: Some(page.final_url.clone()),
            content_type: page.content_type.clone(),
            ..Default::default()
        };
        let final_url = page.final_url.clone();
        // Extraction is CPU work on a whole page; keep it off the async workers.
        let extracted = tokio::task::spawn_blocking(move || tidings_extract::extract(&page.body, &options))
            .await
            .map_err(|e| format!("{final_url}: extraction stopped unexpectedly: {e}"))?
            .map_err(|e| format!("{final_url}: {e}"))?;
        if extracted.text.trim().is_empty() {
            return Err(format!("{final_url}: no article text found on the page"));
        }
        // The extractor's HTML is already safe; sanitising again here, last, keeps one policy for all stored HTML.
        let html = Sanitizer::new(Some(&final_url)).clean(&extracted.html);
        let text = extracted.text;
        let word_count = text.split_whitespace().count() as i64;
        Ok(ExtractedBody { html, text, word_count })
    }
}
