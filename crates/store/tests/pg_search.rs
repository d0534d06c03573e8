//! PostgreSQL's full-text search behind the SearchIndex trait, in a fresh schema (dropped afterwards) when
//! `TIDINGS_TEST_DATABASE_URL` is set; SQLite answers that it has no search of its own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::Connection;
use tidings_core::{NewArticle, NewSource, PollSuccess, SearchQuery, SourceKind};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z").unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn sqlite_has_no_search_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    assert!(tidings_store::open_database_search(&url, None).await.unwrap().is_none());
}

#[tokio::test]
async fn postgres_full_text_search_speaks_the_query_language() {
    let Ok(url) = std::env::var("TIDINGS_TEST_DATABASE_URL") else { return };
    let schema = format!("tidings_test_search_{}_{}", std::process::id(), Utc::now().timestamp_micros());
    let outcome = tokio::spawn(run(url.clone(), schema.clone())).await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA \"{schema}\" CASCADE"))).execute(&mut conn).await.unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

async fn run(url: String, schema: String) {
    let store = tidings_store::open_in_schema(&url, &schema).await.unwrap();
    let search = tidings_store::open_database_search(&url, Some(&schema)).await.unwrap().unwrap();
    assert_eq!(search.backend(), "postgres");
    for (n, (outlet, category)) in [("Daily Ledger", "World"), ("Harbour Times", "Sport")].into_iter().enumerate() {
        let source = store
            .add_source(NewSource {
                url: format!("https://outlet{n}.example/feed"),
                kind: SourceKind::Feed,
                title: Some(outlet.into()),
                site_url: None,
                category: Some(category.into()),
            })
            .await
            .unwrap();
        let texts: &[(&str, &str, i64)] = if n == 0 {
            &[
                ("River floods the old town", "The river authority issued a flood warning for the valley.", 1),
                ("Press release: flood warning app", "A press release announced a flood warning app.", 30),
            ]
        } else {
            &[("Cup final goes to extra time", "Fans waited in the rain as the river of people grew.", 2)]
        };
        let articles = texts
            .iter()
            .enumerate()
            .map(|(k, (title, text, days))| NewArticle {
                guid: format!("{n}-{k}"),
                title: (*title).into(),
                content_text: (*text).into(),
                published_at: Some(now() - TimeDelta::days(*days)),
                content_hash: format!("{n}-{k}"),
                ..NewArticle::default()
            })
            .collect();
        let poll = PollSuccess { articles, next_poll_at: now(), poll_interval_secs: 1800, ..PollSuccess::default() };
        store.record_poll(source.id, now(), poll).await.unwrap();
    }
    let titles = |ids: Vec<i64>| {
        let store = store.clone();
        async move { store.articles_by_ids(&ids).await.unwrap().into_iter().map(|a| a.title).collect::<Vec<_>>() }
    };
    let find = |raw: &'static str| {
        let search = search.clone();
        async move {
            let results = search.search(&SearchQuery::parse(raw).unwrap(), 0, 10, now()).await.unwrap();
            (results.total, results.hits)
        }
    };

    let (total, hits) = find("flooding").await;
    assert_eq!(total, 2, "stemmed");
    assert_eq!(
        titles(hits.iter().map(|h| h.id).collect()).await[0],
        "River floods the old town",
        "newer and in the title"
    );
    assert!(hits[0].snippet.iter().any(|f| f.hit), "{:?}", hits[0].snippet);

    let (total, hits) = find("\"flood warning\" -\"press release\"").await;
    assert_eq!(total, 1);
    assert_eq!(titles(vec![hits[0].id]).await, ["River floods the old town"]);

    let (total, _) = find("river outlet:\"harbour times\"").await;
    assert_eq!(total, 1);
    let (total, _) = find("river topic:world").await;
    assert_eq!(total, 1);
    let (total, hits) = find("outlet:ledger").await;
    assert_eq!(total, 2);
    assert_eq!(titles(hits.iter().map(|h| h.id).collect()).await[0], "River floods the old town", "newest first");
    let (total, _) = find("flood before:2026-11-01").await;
    assert_eq!(total, 1);
    let (total, _) = find("outlet:50%_off").await;
    assert_eq!(total, 0, "LIKE wildcards in a filter are literal");
    assert_eq!(search.count().await.unwrap(), 3);
}
