//! The enrichment stage: each stored article gets its reading aids (language, summary, key points, topics and
//! entities), computed here from its text and kept by the store.
//!
//! The work is CPU-bound and runs on tokio's blocking pool, a batch at a time, so the poller's other stages
//! and the web server keep their threads.

use std::time::{Duration, Instant};

use chrono::Utc;
use tidings_core::{Enrichment, EnrichmentJob};
use tidings_text::entity_names::{RawMention, normalise_mentions};

use crate::machine_summaries::MIN_WORDS;
use crate::{IngestError, Ingester};

/// Articles enriched per batch.
const ENRICH_BATCH: i64 = 200;

/// How long the poller spends on the enrichment backlog per tick before it polls again.
const ENRICH_SLICE: Duration = Duration::from_secs(5);

/// Key points kept per article.
const MAX_KEY_POINTS: usize = 5;

/// Entities kept per article, the most mentioned first: enough for its page, and the rest are passing names.
const MAX_ENTITIES: usize = 25;

/// The reading aids of one article. Pure and deterministic; aids that do not work for the article's language
/// are left empty (the pages say why).
pub fn enrich(job: &EnrichmentJob) -> Enrichment {
    let language = tidings_text::detect_language(&job.title, &job.text, job.declared_language.as_deref());
    let code = language.map(|l| l.code);
    let support = code.map(tidings_text::supports_aids).unwrap_or_default();
    // Unknown language: the summariser still tries, since it says itself when the text has no sentences it
    // can use; the English-only aids do not.
    let (summary, key_points) = if support.summary || code.is_none() {
        let digest = tidings_text::digest(Some(&job.title), &job.text, MAX_KEY_POINTS);
        (digest.summary.sentences, digest.key_points)
    } else {
        (Vec::new(), Vec::new())
    };
    let categories: Vec<&str> = job.category.as_deref().into_iter().collect();
    let topics = tidings_text::topics::classify(&job.title, &job.text, &categories, code)
        .into_iter()
        .map(|t| t.topic.label().to_owned())
        .collect();
    let entities = if support.entities { entities(&job.title, &job.text) } else { Vec::new() };
    Enrichment { language: code.map(str::to_owned), summary, key_points, topics, entities }
}

fn entities(title: &str, text: &str) -> Vec<tidings_core::EntityRef> {
    // The title is tagged with the text: headlines are in title case, which the tagger reads poorly on its
    // own, and its names are usually repeated in the text.
    let mut document = String::with_capacity(title.len() + text.len() + 2);
    document.push_str(title);
    document.push_str("\n\n");
    document.push_str(text);
    let found = tidings_text::entities::entities(&document);
    let mentions: Vec<RawMention<'_>> = found.iter().map(|m| RawMention { text: &m.text, kind: m.kind }).collect();
    let mut entities = normalise_mentions(&mentions);
    entities.truncate(MAX_ENTITIES);
    entities
}

impl Ingester {
    /// Enriches one batch of waiting articles; returns how many.
    pub async fn enrich_pending(&self) -> Result<usize, IngestError> {
        let jobs = self.store.pending_enrichment(ENRICH_BATCH).await?;
        if jobs.is_empty() {
            return Ok(0);
        }
        let started = Instant::now();
        // Taken before the jobs move to the worker: the articles with enough text to be worth a summary.
        let to_summarise: Vec<i64> = if self.machine_summaries {
            jobs.iter()
                .filter(|job| job.text.split_whitespace().nth(MIN_WORDS - 1).is_some())
                .map(|job| job.id)
                .collect()
        } else {
            Vec::new()
        };
        let results = tokio::task::spawn_blocking(move || {
            jobs.into_iter()
                .map(|job| {
                    // One article that trips a bug must not hold the queue: it is logged and kept with no aids.
                    let aids =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| enrich(&job))).unwrap_or_else(|_| {
                            tracing::error!(article = job.id, "enrichment failed on this article; it has no aids");
                            Enrichment::default()
                        });
                    (job.id, aids)
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| IngestError::Internal(format!("the enrichment worker stopped: {e}")))?;
        let now = Utc::now();
        for (id, aids) in &results {
            self.store.record_enrichment(*id, now, aids).await?;
        }
        // The aids are stored whatever happens here: a queue that cannot be written costs only the optional
        // summaries of this batch, never the batch.
        if let Err(error) = self.store.machine_summaries().queue_machine_summaries(&to_summarise, now).await {
            tracing::error!(%error, articles = to_summarise.len(), "queueing machine-written summaries failed");
        }
        metrics::counter!("tidings_enriched_articles_total").increment(results.len() as u64);
        metrics::histogram!("tidings_enrichment_batch_seconds").record(started.elapsed().as_secs_f64());
        Ok(results.len())
    }

    /// Enriches batches for up to [`ENRICH_SLICE`] per poller tick.
    pub(crate) async fn enrich_for_a_while(&self, shutdown: &tokio_util::sync::CancellationToken) {
        let started = Instant::now();
        while !shutdown.is_cancelled() && started.elapsed() < ENRICH_SLICE {
            match self.enrich_pending().await {
                Ok(n) if (n as i64) < ENRICH_BATCH => return,
                Ok(n) => tracing::debug!(enriched = n, "enrichment batch done"),
                Err(error) => {
                    tracing::error!(%error, "enrichment stage failure");
                    return;
                }
            }
        }
    }

    /// Enriches batches until none is waiting, calling `progress` with the running total after each.
    pub async fn enrich_all_pending(&self, mut progress: impl FnMut(usize)) -> Result<usize, IngestError> {
        let mut total = 0;
        loop {
            let n = self.enrich_pending().await?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
            progress(total);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn job(title: &str, text: &str, language: Option<&str>, category: Option<&str>) -> EnrichmentJob {
        EnrichmentJob {
            id: 1,
            title: title.to_owned(),
            text: text.to_owned(),
            declared_language: language.map(str::to_owned),
            category: category.map(str::to_owned),
        }
    }

    const ENGLISH: &str = "The Brennhaven city council voted on Tuesday to extend the Harborline tram to the \
        northern docks, a project expected to cost 84 million marks. Mayor Ilse Varga said the line would open in \
        2029. Varga told reporters that the council had secured funding from the national transport ministry. \
        Opponents on the council argued that the money should go to bus services in the outer districts. The \
        extension adds six stops and is expected to carry twelve thousand passengers a day. Construction begins \
        next spring, once the final designs are approved by the Estmark Rail Authority.";

    #[test]
    fn an_english_article_gets_every_aid() {
        let aids = enrich(&job("Council backs Harborline tram extension", ENGLISH, Some("en-GB"), Some("Local")));
        assert_eq!(aids.language.as_deref(), Some("en"));
        assert!(!aids.summary.is_empty() && aids.summary.len() <= 4, "{:?}", aids.summary);
        assert!(!aids.key_points.is_empty());
        assert!(aids.topics.iter().any(|t| t == "Local"), "{:?}", aids.topics);
        let varga = aids.entities.iter().find(|e| e.key == "person/ilse-varga").expect("the mayor is found");
        assert_eq!(varga.mentions, 2, "{:?}", aids.entities);
    }

    #[test]
    fn a_spanish_article_gets_no_english_only_aids() {
        let text = "El ayuntamiento de Port Alder aprobó el martes la ampliación del tranvía hasta los muelles del \
            norte. La alcaldesa dijo que la línea abrirá en 2029 y que la financiación procede del ministerio de \
            transportes. Los vecinos de los barrios periféricos pidieron más autobuses. Las obras comenzarán la \
            próxima primavera, cuando se aprueben los diseños definitivos.";
        let aids = enrich(&job("El tranvía llegará a los muelles", text, Some("es"), None));
        assert_eq!(aids.language.as_deref(), Some("es"));
        assert!(aids.entities.is_empty());
        assert!(aids.topics.is_empty(), "the classifier is English-only: {:?}", aids.topics);
        assert!(!aids.summary.is_empty(), "Spanish has sentences the summariser can use");
    }

    #[test]
    fn empty_text_gives_empty_aids_without_failing() {
        let aids = enrich(&job("", "", None, None));
        assert!(aids.summary.is_empty() && aids.entities.is_empty());
    }
}
