//! Search in the site, its Atom feed and the API, over a real SQLite store and a real tantivy index filled by
//! the pipeline's search stage (the store's indexing queue).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use tidings_core::{ExtractedBody, NewArticle, NewSource, PollSuccess, SearchIndex, SourceKind, Store};
use tidings_search::TantivyIndex;
use tidings_web::{AppState, router};
use tower::ServiceExt;

struct Site {
    store: Arc<dyn Store>,
    index: Arc<TantivyIndex>,
    _dir: tempfile::TempDir,
}

/// Moves every queued article into the index, as the poller's search stage does.
async fn index_queue(site: &Site) {
    loop {
        let docs = site.store.pending_indexing(100).await.unwrap();
        if docs.is_empty() {
            return;
        }
        let ids: Vec<i64> = docs.iter().map(|d| d.id).collect();
        site.index.upsert(docs).await.unwrap();
        site.store.mark_indexed(&ids, Utc::now()).await.unwrap();
    }
}

async fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let store = tidings_store::open(&format!("sqlite://{}", dir.path().join("web.db").display())).await.unwrap();
    let index = Arc::new(TantivyIndex::open(&dir.path().join("search"), true).unwrap());
    let now = Utc::now();
    for (n, (outlet, category)) in [("Gazette", "Local"), ("Harbour Times", "World")].into_iter().enumerate() {
        let source = store
            .add_source(NewSource {
                url: format!("https://outlet{n}.example/feed.xml"),
                kind: SourceKind::Feed,
                title: Some(outlet.into()),
                site_url: None,
                category: Some(category.into()),
            })
            .await
            .unwrap();
        let article = |k: i64, title: &str, text: &str| NewArticle {
            guid: format!("{n}-{k}"),
            url: Some(format!("https://outlet{n}.example/{k}")),
            title: title.into(),
            content_text: text.into(),
            published_at: Some(now - chrono::Duration::hours(k + 1)),
            content_hash: format!("{n}-{k}"),
            ..NewArticle::default()
        };
        let articles = if n == 0 {
            vec![
                article(1, "Tram approved", "The council voted for the tram line after a long debate."),
                article(2, "<script>alert(1)</script> flood", "Flood <b>warning</b> for the valley & the coast."),
            ]
        } else {
            vec![article(1, "Harbour floods", "The harbour flooded overnight; the tram depot stayed dry.")]
        };
        let poll = PollSuccess { articles, next_poll_at: now, poll_interval_secs: 1800, ..PollSuccess::default() };
        store.record_poll(source.id, now, poll).await.unwrap();
    }
    let site = Site { store, index, _dir: dir };
    index_queue(&site).await;
    site
}

async fn get(site: &Site, path: &str) -> (StatusCode, String) {
    let state = AppState::new(site.store.clone()).with_search(site.index.clone());
    let response = router(state).oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn the_search_page_shows_ranked_results_with_escaped_highlighted_snippets() {
    let site = site().await;
    let (status, body) = get(&site, "/search?q=flood").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("2 articles match"), "{body}");
    assert!(body.contains("Harbour floods"), "{body}");
    assert!(body.contains("<mark>Flood</mark>"), "{body}");
    assert!(!body.contains("<script>alert(1)</script>"), "titles are escaped: {body}");
    assert!(!body.contains("<b>warning</b>"), "snippets are escaped text: {body}");
    assert!(body.contains("role=\"search\""), "{body}");
    assert!(body.contains("/search/feed.atom?q=flood"), "a search can be followed: {body}");
}

#[tokio::test]
async fn filters_and_phrases_work_in_the_site() {
    let site = site().await;
    let (_, body) = get(&site, "/search?q=tram+outlet%3A%22harbour+times%22").await;
    assert!(body.contains("1 article matches"), "{body}");
    assert!(body.contains("Harbour floods"), "{body}");
    let (_, body) = get(&site, "/search?q=%22tram+line%22").await;
    assert!(body.contains("Tram approved") && !body.contains("Harbour floods"), "{body}");
    let (_, body) = get(&site, "/search?q=tram+-council").await;
    assert!(!body.contains("Tram approved") && body.contains("Harbour floods"), "{body}");
}

#[tokio::test]
async fn the_empty_form_and_bad_queries() {
    let site = site().await;
    let (status, body) = get(&site, "/search").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("How to search"), "{body}");
    let (status, body) = get(&site, "/search?q=after%3Ayesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("after:yesterday is not a date"), "{body}");
    assert!(body.contains("aria-invalid=\"true\""), "{body}");
    let (status, _) = get(&site, "/search?q=tram&page=0").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // regression: a page number whose offset overflows is past the deepest page, not page 1 (nor a panic).
    for page in ["4611686018427387905", "18446744073709551615", "52"] {
        let (status, body) = get(&site, &format!("/search?q=tram&page={page}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
        assert!(body.contains("1000"), "{page}: {body}");
    }
    let (status, body) = get(&site, "/search?q=nothingmatchesthis").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Nothing matches"), "{body}");
}

#[tokio::test]
async fn the_api_pages_with_cursors_and_names_its_errors() {
    let site = site().await;
    let (status, body) = get(&site, "/api/v1/search?q=tram&limit=1").await;
    assert_eq!(status, StatusCode::OK);
    let first: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(first["total"], 2);
    assert_eq!(first["results"].as_array().unwrap().len(), 1);
    let next = first["next"].as_str().unwrap();
    let (_, body) = get(&site, &format!("/api/v1/search?q=tram&limit=1&after={next}")).await;
    let second: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_ne!(first["results"][0]["article"]["id"], second["results"][0]["article"]["id"]);
    assert!(second["next"].is_null());
    let snippet = &second["results"][0]["snippet"];
    assert!(snippet.as_array().unwrap().iter().any(|p| p["hit"] == true), "{snippet}");

    for path in ["/api/v1/search?q=", "/api/v1/search?q=-tram", "/api/v1/search?q=%21%21"] {
        let (status, body) = get(&site, path).await;
        assert_eq!(status, StatusCode::OK, "a query that selects nothing finds nothing: {path}: {body}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["total"], 0);
    }
    for (path, code) in [
        ("/api/v1/search?q=after%3Ayesterday", "bad_query"),
        ("/api/v1/search?q=tram&after=nonsense", "bad_cursor"),
        ("/api/v1/search?q=tram&limit=500", "bad_request"),
        ("/api/v1/search", "bad_request"),
    ] {
        let (status, body) = get(&site, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["code"], code, "{path}: {body}");
    }
}

#[tokio::test]
async fn the_atom_feed_of_a_search() {
    let site = site().await;
    let (status, body) = get(&site, "/search/feed.atom?q=flood").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with("<?xml"), "{body}");
    assert_eq!(body.matches("<entry>").count(), 2, "{body}");
    assert!(body.contains("Tidings search: flood"), "{body}");
}

#[tokio::test]
async fn without_an_index_search_says_it_is_off() {
    let site = site().await;
    let app = router(AppState::new(site.store.clone()));
    let response = app.oneshot(Request::get("/api/v1/search?q=tram").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let app = router(AppState::new(site.store.clone()));
    let response = app.oneshot(Request::get("/search?q=tram").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn extraction_requeues_and_deleted_articles_drop_out_of_results() {
    let site = site().await;
    let (_, body) = get(&site, "/search?q=council").await;
    assert!(body.contains("Tram approved"), "{body}");
    let tram =
        site.store.latest_articles(10, None).await.unwrap().into_iter().find(|a| a.title == "Tram approved").unwrap();
    let body = ExtractedBody {
        html: "<p>The page says the mayor backed the viaduct plan.</p>".into(),
        text: "The page says the mayor backed the viaduct plan.".into(),
        word_count: 9,
    };
    site.store.record_extraction(tram.id, Utc::now(), Ok(body)).await.unwrap();
    assert_eq!(site.store.count_pending_indexing().await.unwrap(), 1, "the extracted page is queued again");
    index_queue(&site).await;
    let (_, body) = get(&site, "/search?q=viaduct").await;
    assert!(body.contains("Tram approved"), "{body}");

    let sources = site.store.sources().await.unwrap();
    site.store.remove_source(sources[1].id).await.unwrap();
    let (_, body) = get(&site, "/search?q=harbour").await;
    assert!(!body.contains("Harbour floods"), "a removed source's articles are not shown: {body}");
}
