//! The extraction stage against a real HTTP server: teasers are completed from their pages, failures are
//! recorded on the article, and a source set to `never` is left alone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::{FixtureServer, TestStore};
use tidings_core::config::{FetchConfig, PollConfig};
use tidings_core::{ExtractMode, NewSource, SourceKind};
use tidings_ingest::Ingester;

async fn setup(server: &FixtureServer, store: &TestStore) -> (Ingester, i64) {
    let config = FetchConfig { allow_private_networks: true, timeout_secs: 5, ..FetchConfig::default() };
    let fetcher = tidings_fetch::Fetcher::new(&config).unwrap();
    let ingester = Ingester::new(store.store.clone(), Arc::new(fetcher), PollConfig::default());
    let source = store
        .store
        .add_source(NewSource {
            url: server.url("/teaser.xml"),
            kind: SourceKind::Feed,
            title: None,
            site_url: None,
            category: None,
        })
        .await
        .unwrap();
    ingester.poll_source(&source).await.unwrap();
    (ingester, source.id)
}

#[tokio::test]
async fn teasers_are_completed_from_their_pages_and_failures_recorded() {
    let server = FixtureServer::start().await;
    let store = TestStore::new().await;
    let (ingester, _) = setup(&server, &store).await;

    assert_eq!(ingester.extract_all_pending().await.unwrap(), 2);
    let items = store.store.latest_articles(10, None).await.unwrap();
    let ferry =
        store.store.article(items.iter().find(|a| a.title.starts_with("Ferry")).unwrap().id).await.unwrap().unwrap();
    let extracted = ferry.extracted.expect("the ferry page was extracted");
    assert!(extracted.text.contains("four crossings a day") && extracted.text.contains("review the decision in March"));
    assert!(!extracted.text.contains("Most read") && !extracted.text.contains("Related:"), "{}", extracted.text);
    assert!(!extracted.html.contains("<script") && !extracted.html.contains("tracker"), "{}", extracted.html);
    assert!(extracted.word_count > 80);
    assert_eq!(ferry.fields.content_text, "The ferry company changes its winter timetable…", "the feed's text is kept");

    let vanished =
        store.store.article(items.iter().find(|a| a.title.starts_with("Vanished")).unwrap().id).await.unwrap().unwrap();
    assert!(vanished.extracted.is_none());
    let error = vanished.extraction_error.expect("the failure is recorded on the article");
    assert!(error.contains("/articles/vanished.html") && error.contains("404"), "{error}");

    assert_eq!(ingester.extract_all_pending().await.unwrap(), 0, "each page is fetched once");
    assert_eq!(server.hits("/articles/ferry.html"), 1);
}

#[tokio::test]
async fn a_source_set_to_never_is_not_extracted() {
    let server = FixtureServer::start().await;
    let store = TestStore::new().await;
    let (ingester, source) = setup(&server, &store).await;
    store.store.set_extract_mode(source, ExtractMode::Never).await.unwrap();
    assert_eq!(ingester.extract_all_pending().await.unwrap(), 0);
    assert_eq!(server.hits("/articles/ferry.html"), 0);
}
