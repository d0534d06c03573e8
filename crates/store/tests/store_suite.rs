//! The store's behaviour, once for every backend: each test runs on a fresh SQLite file, and on PostgreSQL in a
//! fresh schema when `TIDINGS_TEST_DATABASE_URL` is set (the schema is dropped afterwards, pass or fail).

// The helpers below are test code too, but outside `#[test]` functions, where clippy.toml's test allowance stops.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use sqlx::Connection;
use tidings_core::{
    ArticleCursor, NewArticle, NewSource, PollFailure, PollReport, PollSuccess, Source, SourceKind,
    SourceSettingsChange, Store, StoreError,
};

use common::{at, each_backend};

fn feed(url: &str) -> NewSource {
    NewSource { url: url.to_owned(), kind: SourceKind::Feed, title: None, site_url: None, category: None }
}

/// An item whose every dedup key derives from `key`.
fn item(key: &str) -> NewArticle {
    NewArticle {
        guid: format!("guid-{key}"),
        url: Some(format!("https://news.example/{key}?utm_source=rss")),
        canonical_url: Some(format!("https://news.example/{key}")),
        title: format!("Title {key}"),
        content_text: format!("Body of {key}."),
        content_hash: format!("hash-{key}"),
        published_at: Some(at(8, 0)),
        ..NewArticle::default()
    }
}

fn poll(articles: Vec<NewArticle>, now: DateTime<Utc>) -> PollSuccess {
    PollSuccess { articles, next_poll_at: now + TimeDelta::minutes(30), poll_interval_secs: 1800, ..Default::default() }
}

fn report(inserted: usize, duplicates: usize) -> PollReport {
    PollReport { inserted, duplicates }
}

async fn source(store: &Arc<dyn Store>, url: &str) -> Source {
    store.add_source(feed(url)).await.unwrap()
}

/// `n` new articles from one source (polled at 9:00), queued for machine-written summaries at 9:05; their ids.
async fn queued_for_machine_summaries(store: &Arc<dyn Store>, n: usize) -> Vec<i64> {
    let s = source(store, "https://a.example/feed").await;
    let items = (0..n).map(|i| item(&format!("queued-{i}"))).collect();
    store.record_poll(s.id, at(9, 0), poll(items, at(9, 0))).await.unwrap();
    let ids: Vec<i64> = store.pending_enrichment(10).await.unwrap().iter().map(|j| j.id).collect();
    store.machine_summaries().queue_machine_summaries(&ids, at(9, 5)).await.unwrap();
    ids
}

#[tokio::test]
async fn migrations_are_idempotent() {
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        store.record_poll(s.id, at(9, 0), poll(vec![item("a")], at(9, 0))).await.unwrap();
        drop(store);

        let again = db.open().await;
        assert_eq!(again.sources().await.unwrap().len(), 1);
        assert_eq!(again.count_articles().await.unwrap(), 1);
        // A third open of a database that is already current changes nothing either.
        let third = db.open().await;
        assert_eq!(third.source(s.id).await.unwrap().unwrap().url, "https://a.example/feed");
    })
    .await;
}

#[tokio::test]
async fn unknown_urls_are_refused_naming_the_url() {
    for url in ["mysql://localhost/db", "data/tidings.db", "", "http://example.com"] {
        match tidings_store::open(url).await {
            Err(StoreError::BadUrl { url: named, .. }) => assert_eq!(named, url),
            Err(other) => panic!("{url:?}: wrong error {other}"),
            Ok(_) => panic!("{url:?} was accepted"),
        }
    }
}

#[tokio::test]
async fn schemas_are_postgres_only_and_plain_identifiers() {
    let refused = tidings_store::open_in_schema("sqlite::memory:", "tidings").await;
    assert!(matches!(refused, Err(StoreError::BadUrl { .. })));
    // Checked before connecting: nothing listens on port 1.
    let refused = tidings_store::open_in_schema("postgres://nobody@127.0.0.1:1/x", "x\"; DROP SCHEMA public; --").await;
    assert!(matches!(refused, Err(StoreError::BadUrl { reason, .. }) if reason.contains("identifier")));
}

#[tokio::test]
async fn sqlite_creates_the_file_and_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/tidings.db");
    let store = tidings_store::open(&format!("sqlite://{}", path.display())).await.unwrap();
    assert!(path.exists());
    assert_eq!(store.backend(), "sqlite");
    // WAL is a property of the file, so a separate connection sees it.
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut conn).await.unwrap();
    assert_eq!(mode, "wal");

    let memory = tidings_store::open("sqlite::memory:").await.unwrap();
    let s = source(&memory, "https://m.example/feed").await;
    // One connection holds the in-memory database, so what was written is still there.
    assert_eq!(memory.sources().await.unwrap(), vec![s]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn regression_processes_opening_a_new_database_file_at_once_all_migrate_it() {
    // As `tidings serve` and a CLI command started together on a database an upgrade left behind: each opener
    // reads which migrations are applied and applies the rest, so without a lock between them two would apply
    // the same ones and the second would fail on a table or column the first had added.
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("tidings.db").display());
        let openers: Vec<_> = (0..6)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move { tidings_store::open(&url).await })
            })
            .collect();
        for opener in openers {
            let store = opener.await.unwrap().unwrap_or_else(|e| panic!("round {round}: {e}"));
            assert!(store.sources().await.unwrap().is_empty());
        }
    }
}

#[tokio::test]
async fn sources_are_added_refused_when_duplicate_and_removed() {
    each_backend(|db| async move {
        let store = db.open().await;
        let before = Utc::now() - TimeDelta::seconds(5);
        let new = NewSource {
            url: "https://b.example/rss".to_owned(),
            kind: SourceKind::Page,
            title: Some("B News".to_owned()),
            site_url: Some("https://b.example/".to_owned()),
            category: Some("World/Europe".to_owned()),
        };
        let b = store.add_source(new.clone()).await.unwrap();
        assert_eq!(
            (b.url.as_str(), b.kind, b.title.as_deref(), b.site_url.as_deref(), b.category.as_deref()),
            (
                "https://b.example/rss",
                SourceKind::Page,
                Some("B News"),
                Some("https://b.example/"),
                Some("World/Europe")
            )
        );
        assert!(b.created_at >= before && b.next_poll_at == b.created_at, "due at once");
        assert_eq!((b.error_count, b.disabled, b.etag.clone(), b.last_polled_at), (0, false, None, None));
        assert_eq!(b.poll_interval_secs, tidings_store::DEFAULT_POLL_INTERVAL_SECS);

        match store.add_source(new).await {
            Err(StoreError::DuplicateSource(url)) => assert_eq!(url, "https://b.example/rss"),
            other => panic!("expected DuplicateSource, got {other:?}"),
        }

        let a = source(&store, "https://a.example/feed").await;
        assert_eq!(store.sources().await.unwrap(), vec![b.clone(), a.clone()], "ordered by id");
        assert_eq!(store.source(a.id).await.unwrap(), Some(a.clone()));
        assert_eq!(store.source_by_url("https://b.example/rss").await.unwrap(), Some(b.clone()));
        assert_eq!(store.source_by_url("https://nope.example/").await.unwrap(), None);

        assert!(store.remove_source(b.id).await.unwrap());
        assert!(!store.remove_source(b.id).await.unwrap());
        assert_eq!(store.source(b.id).await.unwrap(), None);
        assert_eq!(store.sources().await.unwrap(), vec![a]);
        // The URL is free again.
        store.add_source(feed("https://b.example/rss")).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn due_sources_are_soonest_first_and_skip_disabled_ones() {
    each_backend(|db| async move {
        let store = db.open().await;
        let now = at(12, 0);
        let late = source(&store, "https://late.example/").await;
        let early = source(&store, "https://early.example/").await;
        let future = source(&store, "https://future.example/").await;
        let gone = source(&store, "https://gone.example/").await;
        let exactly = source(&store, "https://exactly.example/").await;

        let mut p = poll(vec![], now);
        p.next_poll_at = at(11, 30);
        store.record_poll(late.id, at(11, 0), p.clone()).await.unwrap();
        p.next_poll_at = at(13, 0);
        store.record_poll(future.id, at(11, 0), p.clone()).await.unwrap();
        store
            .record_failure(
                early.id,
                at(10, 0),
                PollFailure { error: "timeout".into(), next_poll_at: at(10, 30), disable: false },
            )
            .await
            .unwrap();
        store
            .record_failure(
                gone.id,
                at(10, 0),
                PollFailure { error: "410 Gone".into(), next_poll_at: at(10, 0), disable: true },
            )
            .await
            .unwrap();
        store.schedule_now(exactly.id, now).await.unwrap();

        let due: Vec<_> = store.due_sources(now, 10).await.unwrap().into_iter().map(|s| s.id).collect();
        assert_eq!(due, vec![early.id, late.id, exactly.id]);
        let due: Vec<_> = store.due_sources(now, 2).await.unwrap().into_iter().map(|s| s.id).collect();
        assert_eq!(due, vec![early.id, late.id]);

        // schedule_now makes a future source due, but not a disabled one.
        store.schedule_now(future.id, now).await.unwrap();
        store.schedule_now(gone.id, now).await.unwrap();
        let due: Vec<_> = store.due_sources(now, 10).await.unwrap().into_iter().map(|s| s.id).collect();
        assert_eq!(due, vec![early.id, late.id, future.id, exactly.id], "equal times go by id");
        assert!(matches!(store.schedule_now(9999, now).await, Err(StoreError::NotFound { what: "source", id: 9999 })));
    })
    .await;
}

#[tokio::test]
async fn record_poll_dedups_by_guid() {
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        let r = store.record_poll(s.id, at(9, 0), poll(vec![item("a"), item("b")], at(9, 0))).await.unwrap();
        assert_eq!(r, report(2, 0));

        // Same GUID, everything else changed (the link moved, the text was edited): still the same article.
        let mut a2 = item("a2");
        a2.guid = "guid-a".to_owned();
        let r = store.record_poll(s.id, at(10, 0), poll(vec![a2, item("c")], at(10, 0))).await.unwrap();
        assert_eq!(r, report(1, 1));
        assert_eq!(store.count_articles().await.unwrap(), 3);

        // The same GUID at another source is another article.
        let other = source(&store, "https://other.example/feed").await;
        let r = store.record_poll(other.id, at(10, 0), poll(vec![item("a")], at(10, 0))).await.unwrap();
        assert_eq!(r, report(1, 0));
    })
    .await;
}

#[tokio::test]
async fn record_poll_dedups_by_canonical_url() {
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        store.record_poll(s.id, at(9, 0), poll(vec![item("a")], at(9, 0))).await.unwrap();

        // GUID churn: a new GUID for the same page (http→https and tracking parameters already normalised away).
        let mut churned = item("a-new-guid");
        churned.canonical_url = Some("https://news.example/a".to_owned());
        churned.url = Some("http://news.example/a?utm_medium=feed".to_owned());
        // Without a canonical URL only the GUID and the hash can match.
        let mut no_url = item("b");
        no_url.canonical_url = None;
        let r = store.record_poll(s.id, at(10, 0), poll(vec![churned, no_url], at(10, 0))).await.unwrap();
        assert_eq!(r, report(1, 1));

        let mut also_no_url = item("c");
        also_no_url.canonical_url = None;
        let r = store.record_poll(s.id, at(11, 0), poll(vec![also_no_url], at(11, 0))).await.unwrap();
        assert_eq!(r, report(1, 0), "two items without URLs are not duplicates of each other");
    })
    .await;
}

#[tokio::test]
async fn record_poll_dedups_by_content_hash() {
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        let long_body = "A long article body that is well past the threshold. ".repeat(10);
        assert!(long_body.chars().count() >= tidings_store::MIN_HASH_ONLY_DEDUP_CHARS);
        let mut long = item("long");
        long.content_text = long_body.clone();
        long.content_hash = "hash-long-body".to_owned();
        let mut short = item("short");
        short.content_text = "Comments".to_owned();
        short.content_hash = "hash-comments".to_owned();
        store.record_poll(s.id, at(9, 0), poll(vec![long, short], at(9, 0))).await.unwrap();

        // Re-titled, new GUID, new URL, same long text: the same article.
        let mut retitled = item("retitled");
        retitled.content_text = long_body;
        retitled.content_hash = "hash-long-body".to_owned();
        // Different story whose body is the same boilerplate as `short`: a new article...
        let mut other_short = item("other-short");
        other_short.content_text = "Comments".to_owned();
        other_short.content_hash = "hash-comments".to_owned();
        // ...but the same boilerplate under the same title is a re-post of `short`.
        let mut same_short = item("same-short");
        same_short.title = "Title short".to_owned();
        same_short.content_text = "Comments".to_owned();
        same_short.content_hash = "hash-comments".to_owned();
        let r =
            store.record_poll(s.id, at(10, 0), poll(vec![retitled, other_short, same_short], at(10, 0))).await.unwrap();
        assert_eq!(r, report(1, 2));
        assert_eq!(store.count_articles().await.unwrap(), 3);
    })
    .await;
}

#[tokio::test]
async fn record_poll_dedups_within_one_batch() {
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        let mut same_guid = item("x");
        same_guid.guid = "guid-a".to_owned();
        let mut same_url = item("y");
        same_url.canonical_url = Some("https://news.example/a".to_owned());
        let mut same_hash = item("z");
        same_hash.title = "Title a".to_owned();
        same_hash.content_hash = "hash-a".to_owned();
        let r = store
            .record_poll(s.id, at(9, 0), poll(vec![item("a"), same_guid, same_url, same_hash, item("b")], at(9, 0)))
            .await
            .unwrap();
        assert_eq!(r, report(2, 3));
        assert_eq!(store.count_articles().await.unwrap(), 2);
        let titles: Vec<_> = store.source_articles(s.id, 10).await.unwrap().into_iter().map(|a| a.title).collect();
        assert_eq!(titles, vec!["Title b", "Title a"], "the first of the duplicates is the one kept");
    })
    .await;
}

#[tokio::test]
async fn a_duplicate_updated_since_refreshes_title_and_text() {
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        let mut first = item("a");
        first.updated_at = Some(at(8, 0));
        store.record_poll(s.id, at(9, 0), poll(vec![first.clone()], at(9, 0))).await.unwrap();
        let id = store.latest_articles(1, None).await.unwrap()[0].id;

        let mut stale = first.clone();
        stale.title = "Older title".to_owned();
        stale.updated_at = Some(at(7, 0));
        store.record_poll(s.id, at(10, 0), poll(vec![stale], at(10, 0))).await.unwrap();
        assert_eq!(store.article(id).await.unwrap().unwrap().fields.title, "Title a");

        let mut fresh = first.clone();
        fresh.title = "Corrected title".to_owned();
        fresh.content_text = "Corrected body.".to_owned();
        fresh.content_hash = "hash-corrected".to_owned();
        fresh.updated_at = Some(at(9, 30));
        let r = store.record_poll(s.id, at(10, 0), poll(vec![fresh], at(10, 0))).await.unwrap();
        assert_eq!(r, report(0, 1));
        let stored = store.article(id).await.unwrap().unwrap();
        assert_eq!(stored.fields.title, "Corrected title");
        assert_eq!(stored.fields.content_text, "Corrected body.");
        assert_eq!(stored.fields.updated_at, Some(at(9, 30)));
        assert_eq!(stored.fetched_at, at(9, 0), "first stored time stays");
    })
    .await;
}

#[tokio::test]
async fn validators_are_kept_on_not_modified() {
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        let mut p = poll(vec![item("a")], at(9, 0));
        p.etag = Some("\"v1\"".to_owned());
        p.last_modified = Some("Sat, 01 Mar 2025 08:00:00 GMT".to_owned());
        store.record_poll(s.id, at(9, 0), p).await.unwrap();

        let not_modified = PollSuccess { not_modified: true, ..poll(vec![], at(10, 0)) };
        store.record_poll(s.id, at(10, 0), not_modified.clone()).await.unwrap();
        let after = store.source(s.id).await.unwrap().unwrap();
        assert_eq!(after.etag.as_deref(), Some("\"v1\""));
        assert_eq!(after.last_modified.as_deref(), Some("Sat, 01 Mar 2025 08:00:00 GMT"));
        assert_eq!((after.last_polled_at, after.last_success_at), (Some(at(10, 0)), Some(at(10, 0))));
        assert_eq!(after.next_poll_at, at(10, 30));

        // A 304 that does carry a new validator replaces that one only.
        let refreshed = PollSuccess { etag: Some("\"v2\"".to_owned()), ..not_modified };
        store.record_poll(s.id, at(11, 0), refreshed).await.unwrap();
        let after = store.source(s.id).await.unwrap().unwrap();
        assert_eq!(after.etag.as_deref(), Some("\"v2\""));
        assert_eq!(after.last_modified.as_deref(), Some("Sat, 01 Mar 2025 08:00:00 GMT"));

        // A 200 without validators means the server stopped sending them: sending stale ones would be wrong.
        store.record_poll(s.id, at(12, 0), poll(vec![], at(12, 0))).await.unwrap();
        let after = store.source(s.id).await.unwrap().unwrap();
        assert_eq!((after.etag, after.last_modified), (None, None));
    })
    .await;
}

#[tokio::test]
async fn a_successful_poll_resets_health_and_fills_missing_names() {
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        let named = store
            .add_source(NewSource { title: Some("Operator's name".to_owned()), ..feed("https://named.example/feed") })
            .await
            .unwrap();
        for id in [s.id, named.id] {
            store
                .record_failure(
                    id,
                    at(8, 0),
                    PollFailure { error: "HTTP 500".into(), next_poll_at: at(8, 5), disable: false },
                )
                .await
                .unwrap();
        }
        let mut p = poll(vec![], at(9, 0));
        p.feed_title = Some("Feed's own title".to_owned());
        p.site_url = Some("https://a.example/".to_owned());
        p.poll_interval_secs = 900;
        for id in [s.id, named.id] {
            store.record_poll(id, at(9, 0), p.clone()).await.unwrap();
        }

        let s = store.source(s.id).await.unwrap().unwrap();
        assert_eq!((s.error_count, s.last_error.as_deref()), (0, None));
        assert_eq!(s.last_error_at, Some(at(8, 0)), "when the last error happened stays on record");
        assert_eq!((s.title.as_deref(), s.site_url.as_deref()), (Some("Feed's own title"), Some("https://a.example/")));
        assert_eq!(s.poll_interval_secs, 900);
        let named = store.source(named.id).await.unwrap().unwrap();
        assert_eq!(named.title.as_deref(), Some("Operator's name"), "a name the source has is kept");
    })
    .await;
}

#[tokio::test]
async fn record_failure_counts_and_disables() {
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        store
            .record_failure(
                s.id,
                at(9, 0),
                PollFailure { error: "timeout".into(), next_poll_at: at(9, 10), disable: false },
            )
            .await
            .unwrap();
        store
            .record_failure(
                s.id,
                at(9, 10),
                PollFailure { error: "HTTP 503".into(), next_poll_at: at(9, 30), disable: false },
            )
            .await
            .unwrap();
        let after = store.source(s.id).await.unwrap().unwrap();
        assert_eq!(after.error_count, 2);
        assert_eq!(after.last_error.as_deref(), Some("HTTP 503"));
        assert_eq!((after.last_error_at, after.last_polled_at), (Some(at(9, 10)), Some(at(9, 10))));
        assert_eq!((after.next_poll_at, after.disabled, after.last_success_at), (at(9, 30), false, None));

        store
            .record_failure(
                s.id,
                at(10, 0),
                PollFailure { error: "HTTP 410 Gone".into(), next_poll_at: at(10, 0), disable: true },
            )
            .await
            .unwrap();
        let after = store.source(s.id).await.unwrap().unwrap();
        assert_eq!((after.error_count, after.disabled), (3, true));
        assert!(store.due_sources(at(23, 0), 10).await.unwrap().is_empty());
        // A later failure that does not ask for it does not re-enable the source.
        store
            .record_failure(s.id, at(11, 0), PollFailure { error: "x".into(), next_poll_at: at(11, 0), disable: false })
            .await
            .unwrap();
        assert!(store.source(s.id).await.unwrap().unwrap().disabled);

        let missing = PollFailure { error: "x".into(), next_poll_at: at(11, 0), disable: false };
        assert!(matches!(
            store.record_failure(4242, at(11, 0), missing).await,
            Err(StoreError::NotFound { id: 4242, .. })
        ));
        assert!(matches!(
            store.record_poll(4242, at(11, 0), poll(vec![item("a")], at(11, 0))).await,
            Err(StoreError::NotFound { id: 4242, .. })
        ));
        assert_eq!(store.count_articles().await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn latest_articles_are_newest_first_with_a_keyset_cursor() {
    each_backend(|db| async move {
        let store = db.open().await;
        let named = store
            .add_source(NewSource { title: Some("Named Outlet".to_owned()), ..feed("https://named.example/feed") })
            .await
            .unwrap();
        let anonymous = source(&store, "https://anon.example/rss").await;
        let fetched = at(12, 0);
        let dated = |key: &str, published: Option<DateTime<Utc>>| NewArticle { published_at: published, ..item(key) };
        store
            .record_poll(
                named.id,
                fetched,
                poll(
                    vec![
                        dated("old", Some(at(6, 0))),
                        dated("tie-1", Some(at(10, 0))),
                        dated("tie-2", Some(at(10, 0))),
                        // No date: listed by when it was fetched.
                        dated("undated", None),
                        // Two weeks ahead: a wrong clock, listed by when it was fetched, not pinned to the top.
                        dated("future", Some(fetched + TimeDelta::days(14))),
                        // An hour ahead is within tolerance: listed by its own time.
                        dated("soon", Some(fetched + TimeDelta::hours(1))),
                    ],
                    fetched,
                ),
            )
            .await
            .unwrap();
        store.record_poll(anonymous.id, fetched, poll(vec![dated("mid", Some(at(11, 0)))], fetched)).await.unwrap();

        let all = store.latest_articles(100, None).await.unwrap();
        let titles: Vec<_> = all.iter().map(|a| a.title.trim_start_matches("Title ")).collect();
        // Equal times fall back to the id, newest first: "future" was stored after "undated".
        assert_eq!(titles, vec!["soon", "future", "undated", "mid", "tie-2", "tie-1", "old"]);
        assert_eq!(all[1].published_at, fetched, "the clamped time is the one listed");
        assert_eq!(all[0].published_at, fetched + TimeDelta::hours(1));
        assert_eq!(all[3].source_title.as_deref(), Some("anon.example"), "host stands in for a missing name");
        assert_eq!(all[0].source_title.as_deref(), Some("Named Outlet"));
        assert_eq!(all[0].excerpt, "Body of soon.");
        assert_eq!(all[0].url.as_deref(), Some("https://news.example/soon?utm_source=rss"));

        let mut paged = Vec::new();
        let mut cursor = None;
        loop {
            let page = store.latest_articles(2, cursor).await.unwrap();
            assert!(page.len() <= 2);
            let Some(last) = page.last() else { break };
            cursor = Some(ArticleCursor { published_at: last.published_at, id: last.id });
            paged.extend(page);
        }
        assert_eq!(paged, all, "pages join up with nothing skipped or repeated");

        let named_only: Vec<_> =
            store.source_articles(named.id, 3).await.unwrap().into_iter().map(|a| a.title).collect();
        assert_eq!(named_only, vec!["Title soon", "Title future", "Title undated"]);
        assert!(store.latest_articles(0, None).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn articles_round_trip_every_field() {
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        let precise = Utc.timestamp_micros(1_740_830_400_123_456).unwrap();
        let full = NewArticle {
            guid: "tag:a.example,2025:1".to_owned(),
            url: Some("https://a.example/1".to_owned()),
            canonical_url: Some("https://a.example/1".to_owned()),
            title: "Ünïcödé — “quotes” & <angles>".to_owned(),
            author: Some("Ana Ruiz, Bo Li".to_owned()),
            summary_html: Some("<p>Teaser</p>".to_owned()),
            content_html: Some("<p>Full text</p>".to_owned()),
            content_text: "Full text".to_owned(),
            published_at: Some(precise),
            updated_at: Some(precise + TimeDelta::minutes(5)),
            language: Some("es".to_owned()),
            image_url: Some("https://a.example/1.jpg".to_owned()),
            categories: vec!["Politics".to_owned(), "Europe".to_owned(), "Politics".to_owned()],
            content_hash: "ab".repeat(32),
        };
        store.record_poll(s.id, at(9, 0), poll(vec![full.clone(), item("bare")], at(9, 0))).await.unwrap();
        let ids: Vec<_> = store.source_articles(s.id, 10).await.unwrap().into_iter().map(|a| a.id).collect();
        // `full` is published at 12:00, after `bare`'s 08:00, so it lists first.
        let stored = store.article(ids[0]).await.unwrap().unwrap();
        assert_eq!((stored.source_id, stored.fetched_at), (s.id, at(9, 0)));
        assert_eq!(stored.fields, full);
        let bare = store.article(ids[1]).await.unwrap().unwrap();
        assert_eq!(bare.fields, item("bare"));
        assert_eq!(store.article(ids[0] + 1000).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn nul_characters_are_dropped_not_fatal() {
    // PostgreSQL refuses NUL in text; the store drops them so a stray one cannot block a source on one backend.
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        let mut nul = item("nul");
        nul.title = "Broken\0 title".to_owned();
        nul.content_text = "Body\0".to_owned();
        nul.categories = vec!["a\0b".to_owned()];
        let r = store.record_poll(s.id, at(9, 0), poll(vec![nul], at(9, 0))).await.unwrap();
        assert_eq!(r, report(1, 0));
        let listed = store.latest_articles(1, None).await.unwrap();
        let stored = store.article(listed[0].id).await.unwrap().unwrap();
        assert_eq!((stored.fields.title.as_str(), stored.fields.content_text.as_str()), ("Broken title", "Body"));
        assert_eq!(stored.fields.categories, vec!["ab"]);
    })
    .await;
}

#[tokio::test]
async fn removing_a_source_deletes_its_articles() {
    each_backend(|db| async move {
        let store = db.open().await;
        let gone = source(&store, "https://gone.example/feed").await;
        let kept = source(&store, "https://kept.example/feed").await;
        let with_categories = NewArticle { categories: vec!["x".to_owned()], ..item("a") };
        store.record_poll(gone.id, at(9, 0), poll(vec![with_categories, item("b")], at(9, 0))).await.unwrap();
        store.record_poll(kept.id, at(9, 0), poll(vec![item("a")], at(9, 0))).await.unwrap();
        let gone_ids: Vec<_> = store.source_articles(gone.id, 10).await.unwrap().into_iter().map(|a| a.id).collect();

        assert!(store.remove_source(gone.id).await.unwrap());
        assert_eq!(store.count_articles().await.unwrap(), 1);
        for id in gone_ids {
            assert_eq!(store.article(id).await.unwrap(), None);
        }
        assert!(store.source_articles(gone.id, 10).await.unwrap().is_empty());
        assert_eq!(store.latest_articles(10, None).await.unwrap()[0].source_id, kept.id);

        // Following the feed again starts afresh: its old items are new articles again.
        let back = source(&store, "https://gone.example/feed").await;
        let r = store.record_poll(back.id, at(10, 0), poll(vec![item("a")], at(10, 0))).await.unwrap();
        assert_eq!(r, report(1, 0));
    })
    .await;
}

#[tokio::test]
async fn a_poll_that_fails_midway_leaves_nothing_behind() {
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        store
            .record_failure(
                s.id,
                at(8, 0),
                PollFailure { error: "earlier".into(), next_poll_at: at(8, 30), disable: false },
            )
            .await
            .unwrap();
        let before = store.source(s.id).await.unwrap().unwrap();

        // Two good items, then one the schema refuses (an empty GUID): the source update that ran first and the
        // two inserts must all be rolled back.
        let bad = NewArticle { guid: String::new(), ..item("bad") };
        let mut p = poll(vec![item("a"), NewArticle { categories: vec!["c".into()], ..item("b") }, bad], at(9, 0));
        p.etag = Some("\"new\"".to_owned());
        p.feed_title = Some("Should not stick".to_owned());
        match store.record_poll(s.id, at(9, 0), p.clone()).await {
            Err(StoreError::Database(message)) => assert!(message.contains("source"), "{message}"),
            other => panic!("expected a database error, got {other:?}"),
        }
        assert_eq!(store.count_articles().await.unwrap(), 0);
        assert_eq!(store.source(s.id).await.unwrap().unwrap(), before, "the source is untouched");

        // The same poll without the bad item goes through whole: nothing half-written is in the way.
        p.articles.pop();
        assert_eq!(store.record_poll(s.id, at(9, 0), p).await.unwrap(), report(2, 0));
        let after = store.source(s.id).await.unwrap().unwrap();
        assert_eq!((after.etag.as_deref(), after.error_count), (Some("\"new\""), 0));
    })
    .await;
}

#[tokio::test]
async fn concurrent_polls_of_one_source_store_each_item_once() {
    // Two workers that picked up the same source at once (PostgreSQL deployments run several) must neither fail
    // on the unique key nor store an item twice.
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        let batch: Vec<_> = (0..40).map(|i| item(&format!("item-{i}"))).collect();
        let mut tasks = Vec::new();
        for worker in 0..4 {
            let store = store.clone();
            let mut batch = batch.clone();
            batch.rotate_left(worker * 10);
            tasks.push(tokio::spawn(async move { store.record_poll(s.id, at(9, 0), poll(batch, at(9, 0))).await }));
        }
        let mut inserted = 0;
        for task in tasks {
            let r = task.await.unwrap().unwrap();
            assert_eq!(r.inserted + r.duplicates, 40);
            inserted += r.inserted;
        }
        assert_eq!(inserted, 40);
        assert_eq!(store.count_articles().await.unwrap(), 40);
    })
    .await;
}

#[tokio::test]
async fn the_extraction_queue_follows_each_sources_mode_and_takes_each_page_once() {
    each_backend(|db| async move {
        let store = db.open().await;
        let auto = source(&store, "https://auto.example/feed").await;
        let always = source(&store, "https://always.example/feed").await;
        let never = source(&store, "https://never.example/feed").await;
        assert_eq!(auto.extract_mode, tidings_core::ExtractMode::Auto, "auto is the default");
        store.set_extract_mode(always.id, tidings_core::ExtractMode::Always).await.unwrap();
        store.set_extract_mode(never.id, tidings_core::ExtractMode::Never).await.unwrap();
        assert_eq!(store.source(never.id).await.unwrap().unwrap().extract_mode, tidings_core::ExtractMode::Never);

        let full = NewArticle { content_text: "x".repeat(2000), ..item("full") };
        store.record_poll(auto.id, at(9, 0), poll(vec![item("teaser"), full.clone()], at(9, 0))).await.unwrap();
        store.record_poll(always.id, at(9, 0), poll(vec![full.clone()], at(9, 0))).await.unwrap();
        store.record_poll(never.id, at(9, 0), poll(vec![item("never")], at(9, 0))).await.unwrap();

        let jobs = store.pending_extractions(10, 1000).await.unwrap();
        let urls: Vec<&str> = jobs.iter().map(|j| j.url.as_str()).collect();
        assert_eq!(urls, ["https://news.example/full?utm_source=rss", "https://news.example/teaser?utm_source=rss"]);
        let always_job = jobs[0].article_id;
        let teaser_job = jobs[1].article_id;

        let body = tidings_core::ExtractedBody {
            html: "<p>Whole story</p>".into(),
            text: "Whole story".into(),
            word_count: 2,
        };
        store.record_extraction(always_job, at(9, 5), Ok(body.clone())).await.unwrap();
        store.record_extraction(teaser_job, at(9, 5), Err("https://news.example/teaser: 404".into())).await.unwrap();
        assert!(store.pending_extractions(10, 1000).await.unwrap().is_empty(), "each page is tried once");

        let done = store.article(always_job).await.unwrap().unwrap();
        assert_eq!(done.extracted, Some(body));
        assert_eq!(done.extraction_error, None);
        assert_eq!(done.fields.content_text.len(), 2000, "the feed's own text is kept beside the extraction");
        let failed = store.article(teaser_job).await.unwrap().unwrap();
        assert_eq!(failed.extracted, None);
        assert_eq!(failed.extraction_error.as_deref(), Some("https://news.example/teaser: 404"));

        let missing = store.record_extraction(999_999, at(9, 6), Err("x".into())).await.unwrap_err();
        assert!(matches!(missing, StoreError::NotFound { what: "article", .. }), "{missing}");
    })
    .await;
}

#[tokio::test]
async fn a_stopped_source_can_be_enabled_again() {
    each_backend(|db| async move {
        let store = db.open().await;
        let gone = source(&store, "https://gone.example/feed").await;
        let failure = PollFailure { error: "410 Gone".into(), next_poll_at: at(10, 0), disable: true };
        store.record_failure(gone.id, at(9, 0), failure).await.unwrap();
        assert!(store.due_sources(at(23, 0), 10).await.unwrap().is_empty());
        store.enable_source(gone.id, at(11, 0)).await.unwrap();
        let again = store.source(gone.id).await.unwrap().unwrap();
        assert!(!again.disabled);
        assert_eq!(again.error_count, 0);
        assert_eq!(again.last_error.as_deref(), Some("410 Gone"), "the last error stays on record");
        assert_eq!(store.due_sources(at(11, 0), 10).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_clustering_queue_waits_for_extraction_within_the_grace_period() {
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        let full = NewArticle { content_text: "word ".repeat(400), ..item("full") };
        store.record_poll(s.id, at(9, 0), poll(vec![item("teaser"), full], at(9, 0))).await.unwrap();

        // The teaser's page is due for extraction: only the full article is ready.
        let jobs = store.pending_clustering(10, 1000, at(8, 0)).await.unwrap();
        assert_eq!(jobs.iter().map(|j| j.title.as_str()).collect::<Vec<_>>(), ["Title full"]);
        assert_eq!(jobs[0].source_url, "https://a.example/feed");
        // After the grace period the teaser goes on its feed text.
        let jobs = store.pending_clustering(10, 1000, at(9, 30)).await.unwrap();
        assert_eq!(jobs.len(), 2);
        // Extracted, it goes with the page text.
        let teaser = jobs.iter().find(|j| j.title == "Title teaser").unwrap().article_id;
        let body = tidings_core::ExtractedBody { html: "<p>Page</p>".into(), text: "Page text".into(), word_count: 2 };
        store.record_extraction(teaser, at(9, 5), Ok(body)).await.unwrap();
        let jobs = store.pending_clustering(10, 1000, at(8, 0)).await.unwrap();
        assert_eq!(jobs.iter().find(|j| j.article_id == teaser).unwrap().text, "Page text");
    })
    .await;
}

#[tokio::test]
async fn clustering_creates_merges_and_lists_stories_with_copies_and_relations() {
    use tidings_core::{ClusteringBatch, OriginalReason, StoryTarget};
    each_backend(|db| async move {
        let store = db.open().await;
        let a = source(&store, "https://a.example/feed").await;
        let b = source(&store, "https://b.example/feed").await;
        let mut first = item("one");
        first.published_at = Some(at(7, 0));
        store.record_poll(a.id, at(9, 0), poll(vec![first, item("two")], at(9, 0))).await.unwrap();
        store.record_poll(b.id, at(9, 0), poll(vec![item("three"), item("four")], at(9, 0))).await.unwrap();
        let jobs = store.pending_clustering(10, 0, at(9, 0)).await.unwrap();
        let ids: Vec<i64> = jobs.iter().map(|j| j.article_id).collect();
        assert_eq!(ids.len(), 4);

        let created = store
            .record_clustering(
                at(9, 1),
                ClusteringBatch {
                    new_stories: vec!["Story X".into(), "Story Y".into()],
                    assignments: vec![
                        (ids[0], StoryTarget::New(0)),
                        (ids[1], StoryTarget::New(1)),
                        (ids[2], StoryTarget::New(0)),
                        (ids[3], StoryTarget::New(1)),
                    ],
                    originals: vec![(ids[2], Some((ids[0], OriginalReason::Earliest))), (ids[0], None)],
                    ..ClusteringBatch::default()
                },
            )
            .await
            .unwrap();
        let (x, y) = (created[0], created[1]);
        assert!(store.pending_clustering(10, 0, at(9, 0)).await.unwrap().is_empty(), "each article once");

        let story = store.story(x).await.unwrap().unwrap();
        assert_eq!((story.headline.as_str(), story.article_count, story.outlet_count), ("Story X", 2, 2));
        assert_eq!(story.first_seen, at(7, 0));
        assert_eq!(story.last_updated, at(8, 0));
        let timeline = store.story_articles(x, 10).await.unwrap();
        assert_eq!(timeline.iter().map(|a| a.article.id).collect::<Vec<_>>(), [ids[0], ids[2]]);
        assert_eq!(timeline[1].original_article_id, Some(ids[0]));
        let newest = store.newest_story_articles(x, 1).await.unwrap();
        assert_eq!(
            newest.iter().map(|a| a.article.id).collect::<Vec<_>>(),
            [ids[2]],
            "the newest first, and the limit"
        );
        assert_eq!(newest[0].original_article_id, Some(ids[0]));
        assert_eq!(store.article(ids[2]).await.unwrap().unwrap().story_id, Some(x));

        // Syndication reads the same from the original and from a copy.
        for id in [ids[0], ids[2]] {
            let syn = store.syndication(id).await.unwrap();
            assert_eq!(syn.original.map(|o| o.id), Some(ids[0]));
            assert_eq!(syn.copies.iter().map(|c| c.id).collect::<Vec<_>>(), [ids[2]]);
            assert_eq!(syn.reason, Some(OriginalReason::Earliest));
        }
        assert_eq!(store.syndication(ids[1]).await.unwrap(), tidings_core::Syndication::default());

        store.record_related(x, &[(y, 0.4), (x, 1.0)]).await.unwrap();
        let related = store.related_stories(x, 5).await.unwrap();
        assert_eq!(related.iter().map(|s| s.id).collect::<Vec<_>>(), [y], "itself is never related");
        let listed: Vec<i64> = store.latest_stories(10, None).await.unwrap().iter().map(|s| s.id).collect();
        assert_eq!(listed.len(), 2);

        // Y converges into X: its articles move, its id answers with X, and it leaves the lists.
        store
            .record_clustering(
                at(9, 2),
                ClusteringBatch {
                    merges: vec![(y, StoryTarget::Existing(x))],
                    headlines: vec![(StoryTarget::Existing(x), "Story X, updated".into())],
                    ..ClusteringBatch::default()
                },
            )
            .await
            .unwrap();
        let merged = store.story(y).await.unwrap().unwrap();
        assert_eq!((merged.id, merged.article_count, merged.headline.as_str()), (x, 4, "Story X, updated"));
        assert_eq!(store.latest_stories(10, None).await.unwrap().len(), 1);
        assert!(store.related_stories(x, 5).await.unwrap().is_empty());
        let covered: Vec<i64> = store.source_stories(b.id, 10).await.unwrap().iter().map(|s| s.id).collect();
        assert_eq!(covered, [x], "a source's stories, merged ones as the story they became");

        // The replay on start sees every clustered article, in clustering order, with its story.
        let replay = store.recent_clustered(at(0, 0), 100).await.unwrap();
        assert_eq!(replay.len(), 4);
        assert!(replay.iter().all(|j| j.story_id == Some(x)));
    })
    .await;
}

#[tokio::test]
async fn topics_come_from_source_categories_and_list_their_articles_with_a_cursor() {
    each_backend(|db| async move {
        let store = db.open().await;
        let category = |url: &str, c: Option<&str>| NewSource { category: c.map(str::to_owned), ..feed(url) };
        let sport = store.add_source(category("https://s.example/feed", Some("Sport"))).await.unwrap();
        let sport2 = store.add_source(category("https://t.example/feed", Some("Sport"))).await.unwrap();
        let local = store.add_source(category("https://l.example/feed", Some("Local"))).await.unwrap();
        store.add_source(category("https://n.example/feed", None)).await.unwrap();
        let dated = |key: &str, minute: u32| NewArticle { published_at: Some(at(8, minute)), ..item(key) };
        store.record_poll(sport.id, at(9, 0), poll(vec![dated("a", 1), dated("b", 2)], at(9, 0))).await.unwrap();
        store.record_poll(sport2.id, at(9, 0), poll(vec![dated("c", 3)], at(9, 0))).await.unwrap();
        store.record_poll(local.id, at(9, 0), poll(vec![dated("d", 4)], at(9, 0))).await.unwrap();

        assert_eq!(store.topics().await.unwrap(), [("Local".to_owned(), 1), ("Sport".to_owned(), 2)]);
        let first = store.topic_articles("Sport", 2, None).await.unwrap();
        assert_eq!(first.iter().map(|a| a.title.as_str()).collect::<Vec<_>>(), ["Title c", "Title b"]);
        let last = first.last().unwrap();
        let cursor = ArticleCursor { published_at: last.published_at, id: last.id };
        let rest = store.topic_articles("Sport", 2, Some(cursor)).await.unwrap();
        assert_eq!(rest.iter().map(|a| a.title.as_str()).collect::<Vec<_>>(), ["Title a"]);
        assert!(store.topic_articles("Nothing", 10, None).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn regression_concurrent_enrichment_of_one_article_neither_fails_nor_drifts_the_counts() {
    use tidings_core::{Enrichment, EntityKind, EntityRef};
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        store.record_poll(s.id, at(9, 0), poll(vec![item("a"), item("b")], at(9, 0))).await.unwrap();
        let jobs = store.pending_enrichment(10).await.unwrap();
        let aids = |n: usize| Enrichment {
            topics: vec!["Science".to_owned()],
            entities: vec![EntityRef {
                key: "person/ilse-varga".to_owned(),
                name: "Ilse Varga".to_owned(),
                kind: EntityKind::Person,
                mentions: i32::try_from(n % 3 + 1).unwrap(),
            }],
            ..Enrichment::default()
        };
        // Both articles enriched again and again at once, as two processes (and a poll writing meanwhile)
        // would: every write goes through, and the counts are those of the links left.
        let mut tasks = Vec::new();
        for n in 0..24 {
            let (store, article) = (store.clone(), jobs[n % 2].id);
            tasks.push(tokio::spawn(async move { store.record_enrichment(article, at(9, 5), &aids(n)).await }));
        }
        let poller = store.clone();
        tasks.push(tokio::spawn(async move {
            poller.record_poll(s.id, at(9, 6), poll(vec![item("c")], at(9, 6))).await.map(|_| ())
        }));
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let varga = store.entity("person/ilse-varga").await.unwrap().unwrap();
        assert_eq!(varga.article_count, 2, "one for each article");
        assert_eq!(store.entity_articles("person/ilse-varga", 10).await.unwrap().len(), 2);
        assert_eq!(store.topics().await.unwrap(), vec![("Science".to_owned(), 0)]);
        assert_eq!(store.topic_articles("Science", 10, None).await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn reading_aids_round_trip_and_feed_entity_and_topic_pages() {
    use tidings_core::{Enrichment, EntityKind, EntityRef};
    fn entity(key: &str, name: &str, kind: EntityKind, mentions: i32) -> EntityRef {
        EntityRef { key: key.to_owned(), name: name.to_owned(), kind, mentions }
    }
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        store.record_poll(s.id, at(9, 0), poll(vec![item("a"), item("b")], at(9, 0))).await.unwrap();
        let jobs = store.pending_enrichment(10).await.unwrap();
        assert_eq!(jobs.len(), 2, "both new articles wait for enrichment");
        let (a, b) = (jobs[0].id, jobs[1].id);
        assert_eq!(store.article_aids(a).await.unwrap(), None, "no aids before the stage has run");

        let aids = Enrichment {
            language: Some("en".to_owned()),
            summary: vec!["First sentence.".to_owned(), "Second\nsentence.".to_owned()],
            key_points: vec!["A point.".to_owned()],
            topics: vec!["Technology".to_owned(), "Business".to_owned()],
            entities: vec![
                entity("person/ilse-varga", "Ilse Varga", EntityKind::Person, 3),
                entity("place/port-alder", "Port Alder", EntityKind::Place, 1),
            ],
        };
        store.record_enrichment(a, at(9, 5), &aids).await.unwrap();
        let read = store.article_aids(a).await.unwrap().unwrap();
        assert_eq!(read.summary, vec!["First sentence.", "Second sentence."], "one line per sentence");
        assert_eq!(read.topics, vec!["Business", "Technology"]);
        assert_eq!(read.entities[0].key, "person/ilse-varga");
        assert_eq!(read.entities[0].mentions, 3);
        assert_eq!(store.pending_enrichment(10).await.unwrap().len(), 1, "a enriched, b waits");

        let b_aids = Enrichment {
            topics: vec!["Technology".to_owned()],
            entities: vec![entity("person/ilse-varga", "Ilse Varga", EntityKind::Person, 1)],
            ..Enrichment::default()
        };
        store.record_enrichment(b, at(9, 6), &b_aids).await.unwrap();
        let varga = store.entity("person/ilse-varga").await.unwrap().unwrap();
        assert_eq!((varga.name.as_str(), varga.kind, varga.article_count), ("Ilse Varga", EntityKind::Person, 2));
        assert_eq!(store.entity_articles("person/ilse-varga", 10).await.unwrap().len(), 2);
        assert_eq!(store.top_entities(10).await.unwrap()[0].key, "person/ilse-varga");
        assert!(store.entity("person/nobody").await.unwrap().is_none());

        // Enriching again replaces: the counts follow.
        store.record_enrichment(a, at(9, 7), &Enrichment::default()).await.unwrap();
        assert_eq!(store.entity("person/ilse-varga").await.unwrap().unwrap().article_count, 1);
        assert_eq!(store.entity("place/port-alder").await.unwrap().unwrap().article_count, 0);
        assert!(store.top_entities(10).await.unwrap().iter().all(|e| e.article_count > 0));

        // Classified topics are topics, beside the sources' categories.
        let topics = store.topics().await.unwrap();
        assert_eq!(topics, vec![("Technology".to_owned(), 0)], "{topics:?}");
        let listed = store.topic_articles("Technology", 10, None).await.unwrap();
        assert_eq!(listed.iter().map(|i| i.id).collect::<Vec<_>>(), vec![b]);

        // A fuller text from the article's page puts it back on the queue.
        store
            .record_extraction(
                b,
                at(9, 8),
                Ok(tidings_core::ExtractedBody { html: "<p>x</p>".into(), text: "x".into(), word_count: 1 }),
            )
            .await
            .unwrap();
        assert_eq!(store.pending_enrichment(10).await.unwrap().iter().map(|j| j.id).collect::<Vec<_>>(), vec![b]);

        // Removing the source takes its articles' links along.
        assert!(store.remove_source(s.id).await.unwrap());
        assert!(store.entity_articles("person/ilse-varga", 10).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_claimed_machine_summary_job_is_no_other_workers_until_its_lease_runs_out() {
    each_backend(|db| async move {
        let store = db.open().await;
        let ms = store.machine_summaries();
        let ids = queued_for_machine_summaries(&store, 3).await;

        let ids_of = |jobs: Vec<tidings_core::MachineSummaryJob>| jobs.iter().map(|j| j.article_id).collect::<Vec<_>>();
        let first = ids_of(ms.claim_machine_summaries(at(9, 5), at(9, 30), 2).await.unwrap());
        assert_eq!(first, ids[..2].to_vec(), "the longest waiting first");
        let second = ids_of(ms.claim_machine_summaries(at(9, 6), at(9, 30), 10).await.unwrap());
        assert_eq!(second, ids[2..].to_vec(), "another worker gets only what nobody holds");
        assert!(ms.claim_machine_summaries(at(9, 7), at(9, 31), 10).await.unwrap().is_empty());
        assert!(ms.pending_machine_summaries(at(9, 29), 10).await.unwrap().is_empty());

        // A worker that died leaves its claims to run out; the jobs are then due again, attempts unchanged.
        let again = ms.claim_machine_summaries(at(9, 30), at(10, 0), 10).await.unwrap();
        assert_eq!(
            again.iter().map(|j| (j.article_id, j.attempts)).collect::<Vec<_>>(),
            ids.iter().map(|&i| (i, 0)).collect::<Vec<_>>()
        );
        // An outcome recorded under a claim ends it as usual: a failure sets the next attempt.
        ms.record_machine_summary_failure(&again[0], at(9, 31), "down", Some(at(9, 35))).await.unwrap();
        assert_eq!(ids_of(ms.claim_machine_summaries(at(9, 35), at(10, 5), 10).await.unwrap()), vec![ids[0]]);

        // A worker whose lease ran out and whose job another worker took over records its late failure in vain:
        // the other worker's claim stands, and the attempt is not counted twice.
        ms.queue_machine_summaries(&ids, at(10, 30)).await.unwrap();
        let slow = ms.claim_machine_summaries(at(10, 30), at(10, 40), 1).await.unwrap();
        assert_eq!(ids_of(slow.clone()), vec![ids[0]]);
        let mut took_over = ms.claim_machine_summaries(at(10, 41), at(10, 51), 10).await.unwrap();
        took_over.retain(|job| job.article_id == ids[0]);
        assert_eq!(took_over.len(), 1, "the job whose lease ran out is due again");
        ms.record_machine_summary_failure(&slow[0], at(10, 42), "late", Some(at(10, 43))).await.unwrap();
        assert!(ms.claim_machine_summaries(at(10, 44), at(10, 54), 10).await.unwrap().is_empty(), "still held");
        assert!(ms.machine_summary_failures(10).await.unwrap().is_empty());
        ms.record_machine_summary_failure(&took_over[0], at(10, 45), "down", Some(at(10, 46))).await.unwrap();
        assert_eq!(ms.machine_summary_failures(10).await.unwrap()[0].attempts, 1);

        // Two workers claiming at the same moment never share a job.
        ms.queue_machine_summaries(&ids, at(11, 0)).await.unwrap();
        let (one, two) = tokio::join!(
            ms.claim_machine_summaries(at(11, 0), at(11, 30), 2),
            ms.claim_machine_summaries(at(11, 0), at(11, 30), 2)
        );
        let (one, two) = (ids_of(one.unwrap()), ids_of(two.unwrap()));
        assert!(one.iter().all(|id| !two.contains(id)), "{one:?} and {two:?} overlap");
        // Nor, on PostgreSQL, does one claim's lock leave the other empty-handed (rows being claimed are skipped).
        assert!(one.len() + two.len() >= 2, "{one:?} {two:?}");
    })
    .await;
}

#[tokio::test]
async fn regression_queuing_a_held_machine_summary_job_again_keeps_its_claim() {
    each_backend(|db| async move {
        let store = db.open().await;
        let ms = store.machine_summaries();
        let ids = queued_for_machine_summaries(&store, 2).await;
        assert_eq!(ms.claim_machine_summaries(at(9, 5), at(9, 30), 10).await.unwrap().len(), 2);

        // The operator's `summaries retry`, or a fuller text, while a worker holds the jobs: no second worker
        // asks the model for them before the claim ends; then they are due, afresh.
        ms.queue_machine_summaries(&ids, at(9, 10)).await.unwrap();
        assert!(ms.claim_machine_summaries(at(9, 11), at(9, 40), 10).await.unwrap().is_empty());
        assert!(ms.pending_machine_summaries(at(9, 29), 10).await.unwrap().is_empty());
        let due = ms.claim_machine_summaries(at(9, 30), at(10, 0), 10).await.unwrap();
        assert_eq!(
            due.iter().map(|j| (j.article_id, j.attempts, j.queued_at)).collect::<Vec<_>>(),
            vec![(ids[0], 0, at(9, 10)), (ids[1], 0, at(9, 10))]
        );

        // Queued when no claim is in force, a job is due when queued.
        ms.queue_machine_summaries(&ids, at(10, 5)).await.unwrap();
        assert_eq!(ms.pending_machine_summaries(at(10, 5), 10).await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_stopping_worker_hands_back_only_the_claims_it_still_holds() {
    use tidings_core::MachineSummary;
    each_backend(|db| async move {
        let store = db.open().await;
        let ms = store.machine_summaries();
        let ids = queued_for_machine_summaries(&store, 3).await;
        let jobs = ms.claim_machine_summaries(at(9, 5), at(9, 30), 10).await.unwrap();
        assert_eq!(jobs.len(), 3);

        // One failed (due again at 9:20), one done, one unfinished when the worker stops at 9:07.
        ms.record_machine_summary_failure(&jobs[0], at(9, 6), "down", Some(at(9, 20))).await.unwrap();
        let summary = MachineSummary {
            article_id: jobs[1].article_id,
            model: "m".into(),
            text: "S.".into(),
            created_at: at(9, 6),
        };
        ms.record_machine_summary(&jobs[1], &summary, "h").await.unwrap();
        ms.release_machine_summaries(&jobs, at(9, 7)).await.unwrap();

        let ids_of = |jobs: Vec<tidings_core::MachineSummaryJob>| jobs.iter().map(|j| j.article_id).collect::<Vec<_>>();
        let next = ms.claim_machine_summaries(at(9, 8), at(9, 40), 10).await.unwrap();
        assert_eq!(ids_of(next.clone()), vec![ids[2]], "only the unfinished one is due at once");
        assert_eq!(ms.machine_summary_failures(10).await.unwrap()[0].next_attempt_at, Some(at(9, 20)));

        // A claim another worker has taken since is not the stopping worker's to hand back.
        ms.release_machine_summaries(&jobs, at(9, 9)).await.unwrap();
        assert!(ms.claim_machine_summaries(at(9, 10), at(9, 50), 10).await.unwrap().is_empty());
        assert_eq!(ids_of(ms.claim_machine_summaries(at(9, 20), at(9, 50), 10).await.unwrap()), vec![ids[0]]);
        ms.release_machine_summaries(&next, at(9, 21)).await.unwrap();
        assert_eq!(ids_of(ms.claim_machine_summaries(at(9, 21), at(9, 50), 10).await.unwrap()), vec![ids[2]]);
    })
    .await;
}

#[tokio::test]
async fn machine_summaries_are_queued_kept_by_model_and_input_and_failures_recorded() {
    use tidings_core::MachineSummary;
    each_backend(|db| async move {
        let store = db.open().await;
        let ms = store.machine_summaries();
        let s = source(&store, "https://a.example/feed").await;
        store.record_poll(s.id, at(9, 0), poll(vec![item("a"), item("b")], at(9, 0))).await.unwrap();
        let enrich = store.pending_enrichment(10).await.unwrap();
        let (a, b) = (enrich[0].id, enrich[1].id);
        assert!(ms.pending_machine_summaries(at(23, 0), 10).await.unwrap().is_empty(), "nothing is queued by itself");

        ms.queue_machine_summaries(&[a, b, 999_999], at(9, 5)).await.unwrap();
        assert!(ms.pending_machine_summaries(at(9, 4), 10).await.unwrap().is_empty(), "due only from when queued");
        let jobs = ms.pending_machine_summaries(at(9, 5), 10).await.unwrap();
        assert_eq!(jobs.iter().map(|j| (j.article_id, j.attempts)).collect::<Vec<_>>(), vec![(a, 0), (b, 0)]);
        assert_eq!(jobs[0].queued_at, at(9, 5));

        // A kept summary takes its article off the queue and is found again by article, model and input only.
        let summary =
            MachineSummary { article_id: a, model: "m1".into(), text: "A summary.".into(), created_at: at(9, 6) };
        ms.record_machine_summary(&jobs[0], &summary, "hash-1").await.unwrap();
        assert_eq!(ms.machine_summary(a).await.unwrap(), Some(summary.clone()));
        assert_eq!(ms.cached_machine_summary(a, "m1", "hash-1").await.unwrap(), Some(summary.clone()));
        assert_eq!(ms.cached_machine_summary(a, "m2", "hash-1").await.unwrap(), None, "another model");
        assert_eq!(ms.cached_machine_summary(a, "m1", "hash-2").await.unwrap(), None, "another text or prompt");
        assert_eq!(ms.cached_machine_summary(b, "m1", "hash-1").await.unwrap(), None, "another article");
        let again = MachineSummary { text: "Different.".into(), created_at: at(9, 7), ..summary.clone() };
        ms.record_machine_summary(&jobs[0], &again, "hash-1").await.unwrap();
        assert_eq!(ms.machine_summary(a).await.unwrap(), Some(summary.clone()), "the same key keeps the first");
        let pending = ms.pending_machine_summaries(at(23, 0), 10).await.unwrap();
        assert_eq!(pending.iter().map(|j| j.article_id).collect::<Vec<_>>(), vec![b]);

        // A failure stays on the queue with its error, for the operator, until it is tried again; nothing is kept.
        let error = "http://127.0.0.1:8081/v1/chat/completions: answered HTTP 500: model crashed";
        ms.record_machine_summary_failure(&jobs[1], at(9, 8), error, Some(at(9, 9))).await.unwrap();
        assert!(ms.pending_machine_summaries(at(9, 8), 10).await.unwrap().is_empty());
        let retry = ms.pending_machine_summaries(at(9, 9), 10).await.unwrap();
        assert_eq!(retry.iter().map(|j| (j.article_id, j.attempts)).collect::<Vec<_>>(), vec![(b, 1)]);
        let failures = ms.machine_summary_failures(10).await.unwrap();
        assert_eq!(failures.len(), 1);
        assert_eq!((failures[0].article_id, failures[0].title.as_str()), (b, "Title b"));
        assert_eq!((failures[0].error.as_str(), failures[0].failed_at), (error, at(9, 8)));
        assert_eq!((failures[0].attempts, failures[0].next_attempt_at), (1, Some(at(9, 9))));
        assert_eq!(ms.machine_summary(b).await.unwrap(), None, "nothing half-written");
        ms.record_machine_summary_failure(&retry[0], at(9, 10), "timed out", None).await.unwrap();
        assert!(ms.pending_machine_summaries(at(23, 0), 10).await.unwrap().is_empty(), "given up");
        let failures = ms.machine_summary_failures(10).await.unwrap();
        assert_eq!((failures[0].attempts, failures[0].next_attempt_at), (2, None));

        // Queued again (its text changed), it starts afresh, and outcomes of the old entry leave the new one alone.
        ms.queue_machine_summaries(&[b], at(9, 20)).await.unwrap();
        assert!(ms.machine_summary_failures(10).await.unwrap().is_empty());
        ms.record_machine_summary_failure(&retry[0], at(9, 21), "late", None).await.unwrap();
        let stale =
            MachineSummary { article_id: b, model: "m1".into(), text: "Old text.".into(), created_at: at(9, 22) };
        ms.record_machine_summary(&retry[0], &stale, "hash-old").await.unwrap();
        let pending = ms.pending_machine_summaries(at(9, 20), 10).await.unwrap();
        assert_eq!(pending.iter().map(|j| (j.article_id, j.attempts)).collect::<Vec<_>>(), vec![(b, 0)]);

        // The page shows the newest, whatever its model.
        let newer = MachineSummary { model: "m2".into(), text: "Newer.".into(), created_at: at(10, 0), ..summary };
        ms.record_machine_summary(&jobs[0], &newer, "hash-3").await.unwrap();
        assert_eq!(ms.machine_summary(a).await.unwrap(), Some(newer));

        // Removing the source takes its articles' summaries and queue entries along.
        ms.record_machine_summary_failure(&pending[0], at(10, 1), "down", Some(at(10, 2))).await.unwrap();
        assert!(store.remove_source(s.id).await.unwrap());
        assert_eq!(ms.machine_summary(a).await.unwrap(), None);
        assert!(ms.machine_summary_failures(10).await.unwrap().is_empty());
        assert!(ms.pending_machine_summaries(at(23, 0), 10).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_sources_own_skip_rules_are_kept_replaced_and_cleared() {
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        assert!(s.skip_rules.is_empty(), "none by default");
        let rules = vec!["^sponsored\\b".to_owned(), "/podcasts?/".to_owned()];
        store.set_skip_rules(s.id, &rules).await.unwrap();
        assert_eq!(store.source(s.id).await.unwrap().unwrap().skip_rules, rules);
        assert_eq!(store.sources().await.unwrap()[0].skip_rules, rules, "every query that reads sources has them");
        store.set_skip_rules(s.id, &["live blog".to_owned()]).await.unwrap();
        assert_eq!(store.source(s.id).await.unwrap().unwrap().skip_rules, ["live blog"]);
        for bad in ["two\nlines", "", "  "] {
            assert!(
                matches!(
                    store.set_skip_rules(s.id, &[bad.to_owned()]).await,
                    Err(tidings_core::StoreError::Refused(_))
                ),
                "{bad:?}"
            );
        }
        store.set_skip_rules(s.id, &[]).await.unwrap();
        assert!(store.source(s.id).await.unwrap().unwrap().skip_rules.is_empty());
        assert!(matches!(
            store.set_skip_rules(999_999, &[]).await,
            Err(tidings_core::StoreError::NotFound { what: "source", .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn stories_count_their_outlets_by_lean_and_recent_rated_ones_are_listed() {
    use tidings_core::{ClusteringBatch, Lean, LeanCoverage, StoryTarget};
    each_backend(|db| async move {
        let store = db.open().await;
        let leans = [Some(Lean::Left), Some(Lean::LeanLeft), Some(Lean::Left), Some(Lean::Right), None];
        let mut sources = Vec::new();
        for (i, lean) in leans.iter().enumerate() {
            let s = source(&store, &format!("https://outlet{i}.example/feed")).await;
            store.set_lean(s.id, *lean).await.unwrap();
            sources.push(s);
        }
        assert_eq!(store.source(sources[1].id).await.unwrap().unwrap().lean, Some(Lean::LeanLeft));
        assert_eq!(store.sources().await.unwrap()[4].lean, None, "unrated by default");
        // Story X: every outlet, the first one twice (it counts once). Story Y: outlet 4 (unrated) alone.
        for (i, s) in sources.iter().enumerate() {
            store.record_poll(s.id, at(9, 0), poll(vec![item(&format!("x{i}"))], at(9, 0))).await.unwrap();
        }
        store.record_poll(sources[0].id, at(9, 1), poll(vec![item("x0-again")], at(9, 1))).await.unwrap();
        store.record_poll(sources[4].id, at(9, 1), poll(vec![item("y")], at(9, 1))).await.unwrap();
        let jobs = store.pending_clustering(20, 0, at(9, 2)).await.unwrap();
        let y_article = jobs.iter().find(|j| j.title == "Title y").unwrap().article_id;
        let assignments =
            jobs.iter().map(|j| (j.article_id, StoryTarget::New(usize::from(j.article_id == y_article)))).collect();
        let created = store
            .record_clustering(
                at(9, 3),
                ClusteringBatch {
                    new_stories: vec!["Story X".into(), "Story Y".into()],
                    assignments,
                    ..ClusteringBatch::default()
                },
            )
            .await
            .unwrap();
        let (x, y) = (created[0], created[1]);
        let expected = LeanCoverage { left: 2, lean_left: 1, right: 1, unrated: 1, ..LeanCoverage::default() };
        assert_eq!(store.story_lean_coverage(x).await.unwrap(), expected);
        assert_eq!(store.story_lean_coverage(y).await.unwrap(), LeanCoverage { unrated: 1, ..Default::default() });
        let mut listed = store.stories_lean_coverage(&[y, x, y, 999_999]).await.unwrap();
        listed.sort_by_key(|(id, _)| *id);
        assert_eq!(listed, [(x, expected), (y, LeanCoverage { unrated: 1, ..Default::default() })], "once each");
        assert!(store.stories_lean_coverage(&[]).await.unwrap().is_empty());

        let listed = store.rated_coverage_since(at(0, 0), 1, 100).await.unwrap();
        assert_eq!(listed.len(), 1, "a story no rated outlet covers is left out: {listed:?}");
        assert_eq!(listed[0], (x, expected));
        assert!(store.rated_coverage_since(at(0, 0), 6, 100).await.unwrap().is_empty(), "fewer outlets than asked");
        assert!(store.rated_coverage_since(at(9, 30), 1, 100).await.unwrap().is_empty(), "not updated since");
        assert!(store.rated_coverage_since(at(0, 0), 1, 0).await.unwrap().is_empty(), "nothing scanned");

        store.set_lean(sources[0].id, None).await.unwrap();
        assert_eq!(store.source(sources[0].id).await.unwrap().unwrap().lean, None);
        let id = sources[1].id;
        let always = SourceSettingsChange {
            extract_mode: Some(tidings_core::ExtractMode::Always),
            ..SourceSettingsChange::default()
        };
        store.update_source_settings(id, &always).await.unwrap();
        let s = store.source(id).await.unwrap().unwrap();
        assert_eq!((s.lean, s.extract_mode), (Some(Lean::LeanLeft), tidings_core::ExtractMode::Always), "lean kept");
        let right = SourceSettingsChange { lean: Some(Some(Lean::Right)), ..SourceSettingsChange::default() };
        store.update_source_settings(id, &right).await.unwrap();
        let s = store.source(id).await.unwrap().unwrap();
        assert_eq!((s.lean, s.extract_mode), (Some(Lean::Right), tidings_core::ExtractMode::Always), "mode kept");
        let everything = SourceSettingsChange {
            category: Some(Some(" Science ".to_owned())),
            extract_mode: Some(tidings_core::ExtractMode::Never),
            lean: Some(None),
            skip_rules: Some(vec!["^sponsored".to_owned()]),
        };
        store.update_source_settings(id, &everything).await.unwrap();
        let s = store.source(id).await.unwrap().unwrap();
        assert_eq!((s.lean, s.extract_mode), (None, tidings_core::ExtractMode::Never));
        assert_eq!((s.category.as_deref(), s.skip_rules.as_slice()), (Some("Science"), &["^sponsored".to_owned()][..]));
        // A bad rule refuses the whole change: nothing of it is written.
        let half_bad = SourceSettingsChange {
            category: Some(None),
            skip_rules: Some(vec!["fine".to_owned(), "two\nlines".to_owned()]),
            ..SourceSettingsChange::default()
        };
        assert!(matches!(store.update_source_settings(id, &half_bad).await, Err(tidings_core::StoreError::Refused(_))));
        assert_eq!(store.source(id).await.unwrap().unwrap().category.as_deref(), Some("Science"), "all or nothing");
        for blank in [None, Some("  ".to_owned())] {
            let clear = SourceSettingsChange { category: Some(blank), ..SourceSettingsChange::default() };
            store.update_source_settings(id, &clear).await.unwrap();
            assert_eq!(store.source(id).await.unwrap().unwrap().category, None);
            store.update_source_settings(id, &everything).await.unwrap();
        }
        assert!(SourceSettingsChange::default().is_empty() && !everything.is_empty());
        assert!(matches!(
            store.update_source_settings(999_999, &right).await,
            Err(tidings_core::StoreError::NotFound { what: "source", .. })
        ));
        assert!(matches!(
            store.set_lean(999_999, Some(Lean::Center)).await,
            Err(tidings_core::StoreError::NotFound { what: "source", .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn regression_a_refreshed_article_is_indexed_and_enriched_again() {
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        let first = NewArticle { updated_at: Some(at(8, 0)), ..item("a") };
        store.record_poll(s.id, at(9, 0), poll(vec![first.clone(), item("b")], at(9, 0))).await.unwrap();
        let ids: Vec<i64> = store.pending_indexing(10).await.unwrap().iter().map(|d| d.id).collect();
        store.mark_indexed(&ids, at(9, 1)).await.unwrap();
        for job in store.pending_enrichment(10).await.unwrap() {
            store.record_enrichment(job.id, at(9, 2), &tidings_core::Enrichment::default()).await.unwrap();
        }
        assert!(store.pending_indexing(10).await.unwrap().is_empty());
        assert!(store.pending_enrichment(10).await.unwrap().is_empty());

        // Sent again unchanged: nothing to redo.
        store.record_poll(s.id, at(10, 0), poll(vec![first.clone()], at(10, 0))).await.unwrap();
        assert!(store.pending_indexing(10).await.unwrap().is_empty());
        assert!(store.pending_enrichment(10).await.unwrap().is_empty());

        // Sent again corrected: the search index and the reading aids are redone from the new title and text.
        let corrected = NewArticle {
            title: "Corrected title".to_owned(),
            content_text: "Corrected body.".to_owned(),
            content_hash: "hash-corrected".to_owned(),
            updated_at: Some(at(9, 30)),
            ..first
        };
        store.record_poll(s.id, at(10, 5), poll(vec![corrected], at(10, 5))).await.unwrap();
        let to_index = store.pending_indexing(10).await.unwrap();
        assert_eq!(to_index.len(), 1, "only the refreshed article");
        assert_eq!((to_index[0].title.as_str(), to_index[0].text.as_str()), ("Corrected title", "Corrected body."));
        let to_enrich = store.pending_enrichment(10).await.unwrap();
        assert_eq!(to_enrich.iter().map(|j| j.id).collect::<Vec<_>>(), [to_index[0].id]);
        assert_eq!((to_enrich[0].title.as_str(), to_enrich[0].text.as_str()), ("Corrected title", "Corrected body."));
    })
    .await;
}

#[tokio::test]
async fn regression_articles_by_ids_reads_more_ids_than_one_statement_binds() {
    each_backend(|db| async move {
        let store = db.open().await;
        let s = source(&store, "https://a.example/feed").await;
        store.record_poll(s.id, at(9, 0), poll(vec![item("a"), item("b"), item("c")], at(9, 0))).await.unwrap();
        let listed = store.source_articles(s.id, 10).await.unwrap();
        let id = |title: &str| listed.iter().find(|a| a.title == title).unwrap().id;
        let (a, b, c) = (id("Title a"), id("Title b"), id("Title c"));
        // More ids than either backend binds in one statement (32,766 on SQLite, 65,535 on PostgreSQL), the
        // stored ones among ids of nothing, one of them twice.
        let mut ids: Vec<i64> = (0..70_000).map(|i| 10_000_000 + i).collect();
        ids.insert(40_000, c);
        ids.insert(0, b);
        ids.push(c);
        ids.push(a);
        let found = store.articles_by_ids(&ids).await.unwrap();
        assert_eq!(found.iter().map(|i| i.id).collect::<Vec<_>>(), [b, c, a], "in the order asked, each once");
        assert_eq!(found[0].title, "Title b");
    })
    .await;
}

#[tokio::test]
async fn regression_removing_a_source_recounts_its_stories_entities_and_topics() {
    use tidings_core::{ClusteringBatch, Enrichment, EntityKind, EntityRef, StoryTarget};
    each_backend(|db| async move {
        let store = db.open().await;
        let gone = source(&store, "https://gone.example/feed").await;
        let kept = source(&store, "https://kept.example/feed").await;
        let dated = |key: &str, hour: u32| NewArticle { published_at: Some(at(hour, 0)), ..item(key) };
        store.record_poll(gone.id, at(9, 0), poll(vec![dated("g1", 8), dated("g2", 7)], at(9, 0))).await.unwrap();
        store.record_poll(kept.id, at(9, 0), poll(vec![dated("k1", 6)], at(9, 0))).await.unwrap();
        let jobs = store.pending_clustering(10, 0, at(9, 1)).await.unwrap();
        let id = |title: &str| jobs.iter().find(|j| j.title == title).unwrap().article_id;
        let (g1, g2, k1) = (id("Title g1"), id("Title g2"), id("Title k1"));
        // Story X: g1 and k1, two outlets. Story Y: g2 alone.
        let created = store
            .record_clustering(
                at(9, 2),
                ClusteringBatch {
                    new_stories: vec!["Story X".into(), "Story Y".into()],
                    assignments: vec![(g1, StoryTarget::New(0)), (k1, StoryTarget::New(0)), (g2, StoryTarget::New(1))],
                    ..ClusteringBatch::default()
                },
            )
            .await
            .unwrap();
        let (x, y) = (created[0], created[1]);
        let aids = |entity: &str, topic: &str| Enrichment {
            topics: vec![topic.to_owned()],
            entities: vec![EntityRef {
                key: format!("person/{entity}"),
                name: entity.to_owned(),
                kind: EntityKind::Person,
                mentions: 1,
            }],
            ..Enrichment::default()
        };
        store.record_enrichment(g1, at(9, 3), &aids("shared", "Shared")).await.unwrap();
        store.record_enrichment(k1, at(9, 3), &aids("shared", "Shared")).await.unwrap();
        store.record_enrichment(g2, at(9, 3), &aids("only-gone", "Only gone")).await.unwrap();
        let story = store.story(x).await.unwrap().unwrap();
        assert_eq!((story.article_count, story.outlet_count, story.last_updated), (2, 2, at(8, 0)));

        assert!(store.remove_source(gone.id).await.unwrap());
        let story = store.story(x).await.unwrap().unwrap();
        assert_eq!((story.article_count, story.outlet_count), (1, 1), "X keeps only k1");
        assert_eq!((story.first_seen, story.last_updated), (at(6, 0), at(6, 0)));
        let listed: Vec<i64> = store.latest_stories(10, None).await.unwrap().iter().map(|s| s.id).collect();
        assert_eq!(listed, [x], "Y has no article left and is not listed");
        assert_eq!(store.story(y).await.unwrap().unwrap().article_count, 0);
        assert_eq!(store.entity("person/shared").await.unwrap().unwrap().article_count, 1);
        assert_eq!(store.entity("person/only-gone").await.unwrap().unwrap().article_count, 0);
        let top: Vec<String> = store.top_entities(10).await.unwrap().into_iter().map(|e| e.key).collect();
        assert_eq!(top, ["person/shared"]);
        assert_eq!(store.topics().await.unwrap(), [("Shared".to_owned(), 0)], "a topic with no article left goes");
        assert!(!store.remove_source(gone.id).await.unwrap());
    })
    .await;
}
