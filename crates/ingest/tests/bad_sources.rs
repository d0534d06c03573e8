//! Ingestion against a real HTTP server on 127.0.0.1: good feeds become articles once, and every kind of bad
//! source gets a clear error stored on it without affecting the others.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{FixtureServer, TestStore};
use tidings_core::config::{FetchConfig, PollConfig};
use tidings_core::{NewSource, Source, SourceKind};
use tidings_ingest::{Ingester, PollOutcome};

fn fast_fetch_config(allow_private: bool) -> FetchConfig {
    FetchConfig {
        timeout_secs: 2,
        connect_timeout_secs: 2,
        allow_private_networks: allow_private,
        ..FetchConfig::default()
    }
}

fn ingester(store: &TestStore, allow_private: bool) -> Ingester {
    let fetcher = tidings_fetch::Fetcher::new(&fast_fetch_config(allow_private)).unwrap();
    Ingester::new(store.store.clone(), std::sync::Arc::new(fetcher), PollConfig::default())
}

async fn add(store: &TestStore, url: String) -> Source {
    store
        .store
        .add_source(NewSource { url, kind: SourceKind::Feed, title: None, site_url: None, category: None })
        .await
        .unwrap()
}

async fn reload(store: &TestStore, id: i64) -> Source {
    store.store.source(id).await.unwrap().unwrap()
}

#[tokio::test]
async fn good_feed_is_stored_once_and_revalidated_with_etag() {
    let server = FixtureServer::start().await;
    let store = TestStore::new().await;
    let ingester = ingester(&store, true);
    let source = add(&store, server.url("/good.xml")).await;

    let first = ingester.poll_source(&source).await.unwrap();
    assert_eq!(first, PollOutcome::Stored { inserted: 3, duplicates: 0, skipped: 0 });
    let source = reload(&store, source.id).await;
    assert_eq!(source.title.as_deref(), Some("Fixture Gazette"), "feed title fills an untitled source");
    assert_eq!(source.error_count, 0);
    assert!(source.etag.is_some(), "the ETag is kept for the next poll");

    let second = ingester.poll_source(&source).await.unwrap();
    assert_eq!(second, PollOutcome::NotModified);
    assert_eq!(store.store.count_articles().await.unwrap(), 3);

    let articles = store.store.latest_articles(10, None).await.unwrap();
    let first_article = store.store.article(articles[0].id).await.unwrap().unwrap();
    let html = first_article.fields.content_html.or(first_article.fields.summary_html).unwrap_or_default();
    assert!(!html.contains("<script") && !html.contains("onerror"), "feed HTML is sanitised before storage: {html}");
    store.close().await;
}

#[tokio::test]
async fn retitled_moved_and_tracked_items_are_not_new_articles() {
    let server = FixtureServer::start().await;
    let store = TestStore::new().await;
    let ingester = ingester(&store, true);
    let source = add(&store, server.url("/good.xml")).await;
    ingester.poll_source(&source).await.unwrap();

    // The same three items: one re-titled (same GUID), one with a new GUID but the same link plus utm_*
    // parameters over http://www., one with a new GUID and a new link but the same body.
    let source = reload(&store, source.id).await;
    let changed = Source { url: server.url("/churned.xml"), etag: None, last_modified: None, ..source };
    let outcome = ingester.poll_source(&changed).await.unwrap();
    assert_eq!(outcome, PollOutcome::Stored { inserted: 1, duplicates: 3, skipped: 0 });
    assert_eq!(store.store.count_articles().await.unwrap(), 4);
    store.close().await;
}

#[tokio::test]
async fn every_bad_source_gets_a_clear_error_and_the_good_one_still_works() {
    let server = FixtureServer::start().await;
    let store = TestStore::new().await;
    let ingester = ingester(&store, true);

    // (path, words the stored error must contain)
    let cases: &[(&str, &[&str])] = &[
        ("/page.html", &["HTML page", "not a feed"]),
        ("/empty", &["empty"]),
        ("/huge", &["larger than the limit of 10 MiB"]),
        ("/bomb", &["larger than the limit of 10 MiB"]),
        ("/loop", &["redirect"]),
        ("/hang", &["timed out"]),
        ("/missing", &["404"]),
        ("/gone", &["410"]),
        ("/busy", &["429"]),
        ("/broken", &["500"]),
    ];
    let good = add(&store, server.url("/good.xml")).await;
    let mut bad = Vec::new();
    for (path, _) in cases {
        bad.push(add(&store, server.url(path)).await);
    }

    let polled = ingester.poll_due(Utc::now() + chrono::Duration::seconds(1)).await.unwrap();
    assert_eq!(polled, cases.len() + 1);

    let good = reload(&store, good.id).await;
    assert_eq!(good.error_count, 0, "a good source is unaffected: {:?}", good.last_error);
    assert_eq!(store.store.count_articles().await.unwrap(), 3);

    for ((path, words), source) in cases.iter().zip(&bad) {
        let source = reload(&store, source.id).await;
        let error = source.last_error.clone().unwrap_or_default();
        eprintln!("{path:>12} → {error}");
        assert_eq!(source.error_count, 1, "{path}: {error}");
        assert!(error.contains(&source.url), "{path}: the error names the URL: {error}");
        for word in *words {
            assert!(error.to_lowercase().contains(&word.to_lowercase()), "{path}: expected {word:?} in {error:?}");
        }
        assert!(source.next_poll_at > Utc::now(), "{path}: retried later, not in a loop");
        assert_eq!(source.disabled, *path == "/gone", "{path}: only 410 Gone stops polling");
    }
    let busy = reload(&store, bad[8].id).await;
    assert!(busy.next_poll_at >= Utc::now() + chrono::Duration::seconds(110), "Retry-After: 120 is honoured");
    store.close().await;
}

#[tokio::test]
async fn the_guard_blocks_loopback_and_metadata_addresses_by_default() {
    let server = FixtureServer::start().await;
    let store = TestStore::new().await;
    let guarded = ingester(&store, false);
    let loopback = add(&store, server.url("/good.xml")).await;
    let metadata = add(&store, "http://169.254.169.254/latest/meta-data/".to_owned()).await;

    for source in [&loopback, &metadata] {
        let outcome = guarded.poll_source(source).await.unwrap();
        let PollOutcome::Failed(error) = outcome else { panic!("{} was fetched with the guard on", source.url) };
        assert!(error.contains("blocked"), "{error}");
    }
    assert_eq!(server.hits("/good.xml"), 0, "no request reached the loopback server");
    assert_eq!(store.store.count_articles().await.unwrap(), 0);
    store.close().await;
}

#[tokio::test]
async fn redirects_into_private_addresses_are_blocked_with_the_guard_on() {
    let server = FixtureServer::start().await;
    let store = TestStore::new().await;
    // The guard stays on; only the fixture server's own address is let through, so the first hop works and
    // the redirect's target is what the guard judges.
    let fetcher = tidings_fetch::Fetcher::builder(&fast_fetch_config(false))
        .allow_address(std::net::IpAddr::from([127, 0, 0, 1]))
        .build()
        .unwrap();
    let ingester = Ingester::new(store.store.clone(), std::sync::Arc::new(fetcher), PollConfig::default());
    let good = add(&store, server.url("/good.xml")).await;
    let to_metadata = add(&store, server.url("/to-metadata")).await;
    let to_loopback = add(&store, server.url("/to-loopback")).await;
    ingester.poll_due(Utc::now() + chrono::Duration::seconds(1)).await.unwrap();

    for (source, address) in [(&to_metadata, "169.254.169.254"), (&to_loopback, "127.0.0.2")] {
        let source = reload(&store, source.id).await;
        let error = source.last_error.unwrap_or_default();
        assert!(error.contains("blocked") && error.contains(address), "{error}");
        assert_eq!(source.error_count, 1);
    }
    assert_eq!(server.hits("/good.xml"), 1, "only the good source's own request reached good.xml");
    assert_eq!(reload(&store, good.id).await.error_count, 0);
    assert_eq!(store.store.count_articles().await.unwrap(), 3);
    store.close().await;
}

/// Regression: a NUL-only GUID became "" in the store and broke its constraint, so the poll was never stored
/// and the source was retried every tick ahead of all others; a 5 kB GUID cannot be indexed by PostgreSQL.
#[tokio::test]
async fn nul_and_oversized_keys_are_normalised_not_fatal() {
    let server = FixtureServer::start().await;
    let store = TestStore::new().await;
    let ingester = ingester(&store, true);
    let source = add(&store, server.url("/odd-keys.json")).await;
    let outcome = ingester.poll_source(&source).await.unwrap();
    assert_eq!(outcome, PollOutcome::Stored { inserted: 3, duplicates: 0, skipped: 0 });
    let items = store.store.latest_articles(10, None).await.unwrap();
    for item in &items {
        let article = store.store.article(item.id).await.unwrap().unwrap();
        assert!(!article.fields.guid.is_empty() && article.fields.guid.len() <= 512, "{}", article.fields.guid);
        assert!(article.fields.categories.iter().all(|c| c.len() <= 200));
        assert!(article.fields.url.as_deref().is_none_or(|u| u.starts_with("http")), "{:?}", article.fields.url);
    }
    assert_eq!(
        ingester.poll_source(&reload(&store, source.id).await).await.unwrap(),
        PollOutcome::Stored { inserted: 0, duplicates: 3, skipped: 0 }
    );
    store.close().await;
}

#[tokio::test]
async fn a_page_url_is_resolved_to_its_advertised_feed() {
    let server = FixtureServer::start().await;
    let store = TestStore::new().await;
    let ingester = ingester(&store, true);
    let resolved = ingester.resolve_source(&server.url("/site/")).await.unwrap();
    assert_eq!(resolved.url, server.url("/good.xml"));
    assert_eq!(resolved.title.as_deref(), Some("Fixture Gazette"));

    // A page that advertises nothing, on a site that serves /feed.xml: found by common paths.
    let resolved = ingester.resolve_source(&server.url("/plain/")).await.unwrap();
    assert_eq!(resolved.url, server.url("/feed.xml"));

    let error = tokio::time::timeout(Duration::from_secs(30), ingester.resolve_source(&server.url("/missing")))
        .await
        .unwrap()
        .unwrap_err();
    assert!(error.to_string().contains("/missing"), "{error}");
    store.close().await;
}

#[tokio::test]
async fn items_the_skip_rules_match_are_not_stored() {
    let server = FixtureServer::start().await;
    let store = TestStore::new().await;
    let rules = tidings_core::skip::SkipRules::parse(&["^STORM ".to_owned(), "/news/bakery$".to_owned()]).unwrap();
    let filtering = ingester(&store, true).with_skip_rules(rules);
    let source = add(&store, server.url("/good.xml")).await;

    let outcome = filtering.poll_source(&source).await.unwrap();
    assert_eq!(outcome, PollOutcome::Stored { inserted: 1, duplicates: 0, skipped: 2 });
    let titles: Vec<String> =
        store.store.latest_articles(10, None).await.unwrap().into_iter().map(|a| a.title).collect();
    assert_eq!(titles, ["Council approves the harbour tram"]);
    let source = reload(&store, source.id).await;
    assert_eq!(source.error_count, 0, "skipping is not a failure");

    // The feed's rhythm, and so when it is polled next, counts the skipped items too.
    let unfiltered = add(&store, server.url("/feed.xml")).await;
    ingester(&store, true).poll_source(&unfiltered).await.unwrap();
    assert_eq!(source.poll_interval_secs, reload(&store, unfiltered.id).await.poll_interval_secs);
}

#[tokio::test]
async fn a_sources_own_skip_rules_apply_to_its_items_and_a_broken_one_is_reported_on_it() {
    let server = FixtureServer::start().await;
    let store = TestStore::new().await;
    let ingester = ingester(&store, true);
    let filtered = add(&store, server.url("/good.xml")).await;
    store.store.set_skip_rules(filtered.id, &["bakery".to_owned()]).await.unwrap();
    let filtered = reload(&store, filtered.id).await;
    let outcome = ingester.poll_source(&filtered).await.unwrap();
    assert_eq!(outcome, PollOutcome::Stored { inserted: 2, duplicates: 0, skipped: 1 });

    // A rule that no longer compiles (set behind the CLI's back) stops the source's polls, named on its health.
    // It fails even where the feed would answer 304 Not Modified (the source has its ETag), which would otherwise
    // record a healthy poll each time.
    store.store.set_skip_rules(filtered.id, &["live (blog".to_owned()]).await.unwrap();
    let broken = reload(&store, filtered.id).await;
    assert!(broken.etag.is_some());
    let PollOutcome::Failed(error) = ingester.poll_source(&broken).await.unwrap() else { panic!("the poll fails") };
    assert!(error.contains("its own skip rule #1 \"live (blog\"") && error.contains("unclosed group"), "{error}");
    let broken = reload(&store, filtered.id).await;
    assert_eq!(broken.last_error.as_deref(), Some(error.as_str()));
    assert!(matches!(ingester.poll_source(&broken).await.unwrap(), PollOutcome::Failed(_)), "every poll, not once");
}

/// Regression: a 200 answer that parses but is no feed (an API's JSON error, an S3 `<Error>`, a sitemap) was
/// stored as a healthy empty poll, so the source looked fine while nothing arrived.
#[tokio::test]
async fn regression_a_200_that_is_not_a_feed_is_a_failure() {
    let server = FixtureServer::start().await;
    let store = TestStore::new().await;
    let ingester = ingester(&store, true);
    let cases: &[(&str, &str)] = &[
        ("/rate-limited", "not a feed: JSON without a JSON Feed version"),
        ("/s3-error", "not a feed: root element <Error>"),
        ("/sitemap.xml", "not a feed: root element <urlset>"),
    ];
    for (path, expected) in cases {
        let source = add(&store, server.url(path)).await;
        let PollOutcome::Failed(error) = ingester.poll_source(&source).await.unwrap() else {
            panic!("{path} was taken for a feed")
        };
        assert!(error.starts_with(&source.url) && error.contains(expected), "{path}: {error}");
        let source = reload(&store, source.id).await;
        assert_eq!(source.error_count, 1, "{path}");
        assert_eq!(source.last_error.as_deref(), Some(error.as_str()));
        assert!(!source.disabled, "{path}: retried later, the server may answer with the feed again");
    }
    // A real feed that is empty for now is still a healthy poll.
    let quiet = add(&store, server.url("/empty-channel.xml")).await;
    assert_eq!(
        ingester.poll_source(&quiet).await.unwrap(),
        PollOutcome::Stored { inserted: 0, duplicates: 0, skipped: 0 }
    );
    assert_eq!(reload(&store, quiet.id).await.error_count, 0);
    store.close().await;
}

/// Regression: discovery fetched every feed a page advertised, however many, one after another.
#[tokio::test]
async fn regression_feed_discovery_tries_at_most_ten_advertised_candidates() {
    let server = FixtureServer::start().await;
    let store = TestStore::new().await;
    let ingester = ingester(&store, true);
    let resolved = ingester.resolve_source(&server.url("/many-feeds/")).await.unwrap();
    // None of the advertised feeds exists, so the common paths are tried next and /feed.xml answers.
    assert_eq!(resolved.url, server.url("/feed.xml"));
    for i in 0..40 {
        let hits = server.hits(&format!("/advertised/{i}.xml"));
        assert_eq!(hits, usize::from(i < 10), "/advertised/{i}.xml: the first ten in page order, once each");
    }
    store.close().await;
}
