//! Machine-written summaries end to end, in-process: a feed and an OpenAI-compatible endpoint, both real HTTP
//! servers on 127.0.0.1 (the endpoint counts what it is asked), the poller's stages and the summary stage over a
//! real SQLite store, and the site and API reading what was kept.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::{Value, json};
use tidings_core::config::{FetchConfig, LlmConfig, PollConfig};
use tidings_core::{NewSource, SourceKind, Store};
use tidings_ingest::{Ingester, MachineSummarizer, SummaryReport};

const LONG_TEXT: &str = "The Brennhaven city council voted on Tuesday to extend the Harborline tram to the northern \
    docks, a project expected to cost 84 million marks. Mayor Ilse Varga said the line would open in 2029 and that \
    the council had secured funding from the national transport ministry. Opponents argued that the money should go \
    to bus services in the outer districts. The extension adds six stops and is expected to carry twelve thousand \
    passengers a day.";

const SUMMARY: &str = "Brennhaven's council voted to extend the Harborline tram to the northern docks for 84 \
    million marks. The mayor said the line opens in 2029 with national funding. Opponents wanted the money for buses.";

/// How the fixture endpoint answers.
#[derive(Clone, Copy)]
enum Mode {
    Answer,
    ServerError,
    Garbage,
    Slow,
}

/// A feed of one long article and one too short to summarise.
fn feed() -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Harbour Ledger</title><link>https://ledger.example/</link>
  <item><title>Council extends the Harborline tram</title><guid isPermaLink="false">ledger-1</guid>
    <link>https://ledger.example/tram</link><pubDate>Tue, 24 Nov 2026 09:00:00 +0000</pubDate>
    <description>{LONG_TEXT}</description></item>
  <item><title>Bridge closed tonight</title><guid isPermaLink="false">ledger-2</guid>
    <link>https://ledger.example/bridge</link><pubDate>Tue, 24 Nov 2026 10:00:00 +0000</pubDate>
    <description>The old bridge is closed tonight for repairs.</description></item>
</channel></rss>"#
    )
}

/// Serves `app` on 127.0.0.1; returns its origin.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    origin
}

/// The OpenAI-compatible fixture: answers in `mode` and counts the requests.
async fn endpoint(mode: Mode, requests: Arc<AtomicUsize>) -> String {
    let answer = move |Json(body): Json<Value>| {
        let requests = requests.clone();
        async move {
            // Only requests for the long article, with its text, are counted: anything else is a wrong request.
            let prompt = body["messages"][1]["content"].as_str().unwrap_or_default();
            if body["model"] != "fixture-model" || !prompt.contains("the northern docks") {
                return (StatusCode::BAD_REQUEST, "unexpected request").into_response();
            }
            requests.fetch_add(1, Ordering::SeqCst);
            match mode {
                Mode::Answer => Json(json!({
                    "object": "chat.completion",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": format!("Summary: {SUMMARY}")}}]
                }))
                .into_response(),
                Mode::ServerError => {
                    (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": {"message": "out of memory"}})))
                        .into_response()
                }
                Mode::Garbage => "<html>proxy error</html>".into_response(),
                Mode::Slow => {
                    tokio::time::sleep(Duration::from_secs(4)).await;
                    Json(json!({"choices": [{"message": {"content": "Too late."}}]})).into_response()
                }
            }
        }
    };
    serve(axum::Router::new().route("/v1/chat/completions", post(answer))).await
}

struct Site {
    store: Arc<dyn Store>,
    ingester: Ingester,
    summarizer: MachineSummarizer,
    endpoint: String,
    requests: Arc<AtomicUsize>,
    /// The long article's id.
    tram: i64,
    /// The short one's.
    bridge: i64,
    _dir: tempfile::TempDir,
}

/// A store holding the feed's articles, polled and enriched by an ingester with machine summaries `on` or off,
/// and a summary stage asking an endpoint that answers in `mode`.
async fn site(mode: Mode, on: bool) -> Site {
    tidings_fetch::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let store = tidings_store::open(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
    let feed_origin = serve(
        axum::Router::new()
            .route("/feed.xml", get(|| async { ([(header::CONTENT_TYPE, "application/rss+xml")], feed()) })),
    )
    .await;
    let requests = Arc::new(AtomicUsize::new(0));
    let endpoint = format!("{}/v1", endpoint(mode, requests.clone()).await);
    let fetch = FetchConfig { allow_private_networks: true, timeout_secs: 5, ..FetchConfig::default() };
    let fetcher = Arc::new(tidings_fetch::Fetcher::new(&fetch).unwrap());
    let ingester = Ingester::new(store.clone(), fetcher, PollConfig::default()).with_machine_summaries(on);
    let source = store
        .add_source(NewSource {
            url: format!("{feed_origin}/feed.xml"),
            kind: SourceKind::Feed,
            title: None,
            site_url: None,
            category: None,
        })
        .await
        .unwrap();
    ingester.poll_source(&source).await.unwrap();
    assert_eq!(ingester.enrich_all_pending(|_| {}).await.unwrap(), 2);
    let items = store.latest_articles(10, None).await.unwrap();
    let id = |prefix: &str| items.iter().find(|a| a.title.starts_with(prefix)).unwrap().id;
    let (tram, bridge) = (id("Council"), id("Bridge"));
    let llm = LlmConfig {
        enabled: on,
        endpoint: endpoint.clone(),
        model: "fixture-model".into(),
        timeout_secs: 1,
        ..LlmConfig::default()
    };
    let summarizer = MachineSummarizer::new(store.clone(), &llm).unwrap();
    Site { store, ingester, summarizer, endpoint, requests, tram, bridge, _dir: dir }
}

impl Site {
    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The article's page and its API object, from the site served on 127.0.0.1 (no page cache).
    async fn page_and_api(&self, id: i64) -> (String, Value) {
        let origin = serve(tidings_web::router(tidings_web::AppState::new(self.store.clone()))).await;
        let page = reqwest::get(format!("{origin}/articles/{id}")).await.unwrap();
        assert_eq!(page.status(), 200);
        let api = reqwest::get(format!("{origin}/api/v1/articles/{id}")).await.unwrap();
        assert_eq!(api.status(), 200);
        (page.text().await.unwrap(), api.json().await.unwrap())
    }
}

#[tokio::test]
async fn a_summary_is_asked_for_once_kept_and_shown_labelled() {
    let site = site(Mode::Answer, true).await;
    let report = site.summarizer.summarize_all_pending().await.unwrap();
    assert_eq!(report, SummaryReport { written: 1, cached: 0, failed: 0 }, "the short article is not sent");
    assert_eq!(site.requests(), 1);

    let kept = site.store.machine_summaries().machine_summary(site.tram).await.unwrap().unwrap();
    assert_eq!(kept.text, SUMMARY.split_whitespace().collect::<Vec<_>>().join(" "), "the label is cleaned off");
    assert_eq!(kept.model, "fixture-model");
    assert_eq!(site.store.machine_summaries().machine_summary(site.bridge).await.unwrap(), None);

    let (page, api) = site.page_and_api(site.tram).await;
    assert!(page.contains("Machine-written summary"), "{page}");
    assert!(page.contains("Written by a language model (fixture-model)") && page.contains("may contain errors"));
    assert!(page.contains("84 million marks. The mayor said the line opens in 2029"), "{page}");
    assert!(page.contains("Sentences chosen from the article by Tidings"), "the extractive summary stays, apart");
    assert_eq!(api["machine_summary"]["text"], kept.text.as_str());
    assert_eq!(api["machine_summary"]["model"], "fixture-model");
    assert!(
        api["machine_summary"]["created"]
            .as_str()
            .unwrap()
            .starts_with(&kept.created_at.format("%Y-%m-%d").to_string())
    );
    assert!(!api["aids"]["summary"].as_array().unwrap().is_empty(), "the extractive summary is still there");
    let (bridge_page, bridge_api) = site.page_and_api(site.bridge).await;
    assert!(!bridge_page.contains("Machine-written summary"));
    assert!(bridge_api["machine_summary"].is_null());

    // Enriched again with the same text (its page extracted, with the words the feed had), the article is queued
    // again and answered from the cache: no second request, the same summary.
    let words = LONG_TEXT.split_whitespace().count() as i64;
    let page =
        tidings_core::ExtractedBody { html: format!("<p>{LONG_TEXT}</p>"), text: LONG_TEXT.into(), word_count: words };
    site.store.record_extraction(site.tram, chrono::Utc::now(), Ok(page)).await.unwrap();
    assert_eq!(site.ingester.enrich_all_pending(|_| {}).await.unwrap(), 1);
    let report = site.summarizer.summarize_all_pending().await.unwrap();
    assert_eq!(report, SummaryReport { written: 0, cached: 1, failed: 0 });
    assert_eq!(site.requests(), 1, "the same text, model and prompt are never sent twice");
    assert_eq!(site.store.machine_summaries().machine_summary(site.tram).await.unwrap(), Some(kept));
    assert_eq!(site.summarizer.summarize_all_pending().await.unwrap(), SummaryReport::default());
}

#[tokio::test]
async fn a_failing_endpoint_is_recorded_and_ingestion_is_untouched() {
    for (mode, words) in [
        (Mode::ServerError, "answered HTTP 500: out of memory"),
        (Mode::Garbage, "the answer is not a chat completion"),
        (Mode::Slow, "no answer within 1 s (llm.timeout_secs)"),
    ] {
        let site = site(mode, true).await;
        let report = site.summarizer.summarize_all_pending().await.unwrap();
        assert_eq!(report, SummaryReport { written: 0, cached: 0, failed: 1 }, "{words}");
        assert_eq!(site.requests(), 1, "{words}: one request, then a wait before the next attempt");

        let failures = site.store.machine_summaries().machine_summary_failures(10).await.unwrap();
        assert_eq!(failures.len(), 1, "{words}");
        let failure = &failures[0];
        assert_eq!(failure.article_id, site.tram);
        assert!(failure.error.starts_with(&format!("{}/chat/completions: ", site.endpoint)), "{}", failure.error);
        assert!(failure.error.contains(words), "{}", failure.error);
        assert_eq!(failure.attempts, 1);
        assert!(failure.next_attempt_at.is_some_and(|t| t > chrono::Utc::now()), "tried again later");

        // The article is stored, enriched and shown as usual, with no machine summary at all.
        let article = site.store.article(site.tram).await.unwrap().unwrap();
        assert!(article.fields.content_text.contains("Harborline"));
        assert!(site.store.article_aids(site.tram).await.unwrap().is_some_and(|a| !a.summary.is_empty()));
        assert_eq!(site.store.machine_summaries().machine_summary(site.tram).await.unwrap(), None, "{words}");
        let (page, api) = site.page_and_api(site.tram).await;
        assert!(page.contains("Council extends the Harborline tram") && !page.contains("Machine-written summary"));
        assert!(api["machine_summary"].is_null(), "{words}: {api}");
        assert_eq!(api["title"], "Council extends the Harborline tram");
    }
}

#[tokio::test]
async fn switched_off_nothing_is_queued_and_nothing_asked() {
    let site = site(Mode::Answer, false).await;
    let queue = site.store.machine_summaries().pending_machine_summaries(chrono::Utc::now(), 10).await.unwrap();
    assert!(queue.is_empty(), "{queue:?}");
    assert_eq!(site.summarizer.summarize_all_pending().await.unwrap(), SummaryReport::default());
    assert_eq!(site.requests(), 0);
    let (page, api) = site.page_and_api(site.tram).await;
    assert!(!page.contains("Machine-written summary"));
    assert!(api["machine_summary"].is_null());
}

#[tokio::test]
async fn retry_queues_the_failed_articles_again_with_their_failures_forgotten() {
    let site = site(Mode::ServerError, true).await;
    site.summarizer.summarize_all_pending().await.unwrap();
    let summaries = site.store.machine_summaries();
    assert_eq!(summaries.machine_summary_failures(10).await.unwrap().len(), 1);

    let now = chrono::Utc::now();
    let queued = tidings_ingest::machine_summaries::retry_failed(site.store.as_ref(), now).await.unwrap();
    assert_eq!(queued, 1);
    assert!(summaries.machine_summary_failures(10).await.unwrap().is_empty(), "the failure is forgotten");
    let due = summaries.pending_machine_summaries(now, 10).await.unwrap();
    assert_eq!(due.iter().map(|j| (j.article_id, j.attempts)).collect::<Vec<_>>(), vec![(site.tram, 0)]);
    assert_eq!(tidings_ingest::machine_summaries::retry_failed(site.store.as_ref(), now).await.unwrap(), 0);
}

#[tokio::test]
async fn articles_stored_before_summaries_were_switched_on_can_be_queued() {
    // Polled with summaries off: nothing queued. Then the operator switches [llm] on and queues what is stored.
    let site = site(Mode::Answer, false).await;
    let now = chrono::Utc::now();
    let since = now - chrono::TimeDelta::days(36_500);
    let queued = tidings_ingest::machine_summaries::queue_published_since(site.store.as_ref(), since, now).await;
    assert_eq!(queued.unwrap(), 1, "the long article; the short one has nothing to summarise");
    let report = site.summarizer.summarize_all_pending().await.unwrap();
    assert_eq!(report, SummaryReport { written: 1, cached: 0, failed: 0 });
    assert!(site.store.machine_summaries().machine_summary(site.tram).await.unwrap().is_some());

    // Queued again (the same model and text): answered from the kept summary, no second request.
    let queued = tidings_ingest::machine_summaries::queue_published_since(site.store.as_ref(), since, now).await;
    assert_eq!(queued.unwrap(), 1);
    let report = site.summarizer.summarize_all_pending().await.unwrap();
    assert_eq!(report, SummaryReport { written: 0, cached: 1, failed: 0 });
    assert_eq!(site.requests(), 1);

    // Nothing stored was published after now.
    let later = tidings_ingest::machine_summaries::queue_published_since(site.store.as_ref(), now, now).await;
    assert_eq!(later.unwrap(), 0);
}

#[tokio::test]
async fn a_stopping_stage_hands_its_unfinished_articles_back() {
    let site = site(Mode::Slow, true).await;
    // A patient stage: its request is still waiting for the slow endpoint when it is stopped.
    let llm = LlmConfig {
        enabled: true,
        endpoint: site.endpoint.clone(),
        model: "fixture-model".into(),
        timeout_secs: 30,
        ..LlmConfig::default()
    };
    let stage = MachineSummarizer::new(site.store.clone(), &llm).unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(stage.run(shutdown.clone()));
    for _ in 0..200 {
        if site.requests() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(site.requests(), 1, "the stage asked for the summary");
    let summaries = site.store.machine_summaries();
    assert!(summaries.pending_machine_summaries(chrono::Utc::now(), 10).await.unwrap().is_empty(), "claimed");
    shutdown.cancel();
    running.await.unwrap();

    // Due at once for the next worker, not when the claim (4 × 30 s + 1 min) would have ended; nothing recorded.
    let due = summaries.pending_machine_summaries(chrono::Utc::now(), 10).await.unwrap();
    assert_eq!(due.iter().map(|j| (j.article_id, j.attempts)).collect::<Vec<_>>(), vec![(site.tram, 0)]);
    assert!(summaries.machine_summary_failures(10).await.unwrap().is_empty());
}
