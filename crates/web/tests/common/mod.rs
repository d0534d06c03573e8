//! What several of the web crate's integration tests start from: a real SQLite store in a temporary directory
//! holding the outlet "Gazette" (and, for some, one article).

// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{Duration, Utc};
use tidings_core::{NewArticle, NewSource, PollSuccess, SourceKind, Store};

/// A store with the outlet "Gazette" and its one article, "Council approves the tram", published five minutes ago.
pub struct OneArticle {
    pub store: Arc<dyn Store>,
    /// The article's id.
    pub article: i64,
    /// Holds the database file; dropping it removes the store.
    pub dir: tempfile::TempDir,
}

/// A store in a new temporary directory with one feed, `https://gazette.example/feed.xml`, titled `title`; gives
/// the store, the source's id and the directory (dropping it removes the store).
pub async fn gazette(title: &str, category: Option<&str>) -> (Arc<dyn Store>, i64, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = tidings_store::open(&format!("sqlite://{}", dir.path().join("web.db").display())).await.unwrap();
    let source = store
        .add_source(NewSource {
            url: "https://gazette.example/feed.xml".into(),
            kind: SourceKind::Feed,
            title: Some(title.into()),
            site_url: None,
            category: category.map(Into::into),
        })
        .await
        .unwrap();
    (store, source.id, dir)
}

pub async fn one_article() -> OneArticle {
    let (store, source, dir) = gazette("Gazette", Some("Local")).await;
    let now = Utc::now();
    let article = NewArticle {
        guid: "a1".into(),
        url: Some("https://gazette.example/1".into()),
        title: "Council approves the tram".into(),
        content_text: "The council approved the tram on Tuesday.".into(),
        published_at: Some(now - Duration::minutes(5)),
        content_hash: "h1".into(),
        ..NewArticle::default()
    };
    let poll =
        PollSuccess { articles: vec![article], next_poll_at: now, poll_interval_secs: 1800, ..Default::default() };
    store.record_poll(source, now, poll).await.unwrap();
    let article = store.latest_articles(1, None).await.unwrap()[0].id;
    OneArticle { store, article, dir }
}
