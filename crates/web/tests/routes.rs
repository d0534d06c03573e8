//! Every route in-process: status, content and security headers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use tidings_core::{NewArticle, NewSource, PollSuccess, SourceKind, Store};
use tidings_web::{AppState, router};
use tower::ServiceExt;

struct Site {
    store: std::sync::Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

async fn site() -> Site {
    let (store, source, dir) = common::gazette("Gazette <b>", Some("Local")).await;
    let now = Utc::now();
    let article = |n: i64, title: &str, html: &str| NewArticle {
        guid: format!("g{n}"),
        url: Some(format!("https://gazette.example/{n}")),
        canonical_url: Some(format!("https://gazette.example/{n}")),
        title: title.into(),
        content_html: Some(html.into()),
        content_text: format!("Body {n}"),
        published_at: Some(now - chrono::Duration::minutes(26 + n)),
        content_hash: format!("h{n}"),
        ..NewArticle::default()
    };
    let poll = PollSuccess {
        articles: vec![
            article(1, "Tram approved", "<p>The council voted.</p>"),
            article(2, "<script>alert(1)</script> headline", "<p>Safe body</p>"),
            NewArticle {
                language: Some("he-IL".into()), ..article(3, "מועצת העיר אישרה", "<p>גוף</p>")
            },
        ],
        next_poll_at: now,
        poll_interval_secs: 1800,
        ..PollSuccess::default()
    };
    store.record_poll(source, now, poll).await.unwrap();
    Site { store, _dir: dir }
}

async fn get(site: &Site, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let app = router(AppState::new(site.store.clone()));
    let response = app.oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn home_lists_newest_articles_with_relative_times() {
    let site = site().await;
    let (status, headers, body) = get(&site, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Tram approved"), "{body}");
    assert!(body.contains("27 minutes ago"), "relative time rendered: {body}");
    assert!(body.contains("<time datetime=\""), "{body}");
    assert!(body.find("Tram approved") < body.find("headline"), "newest first");
    assert!(!body.contains("<script>alert(1)</script>"), "titles are escaped: {body}");
    assert!(body.contains("&lt;script&gt;") || body.contains("&#60;script&#62;"), "{body}");
    let csp = headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline")
    );
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(headers.get("referrer-policy").unwrap(), "no-referrer");
}

#[tokio::test]
async fn article_page_shows_body_and_outlet() {
    let site = site().await;
    let id = site.store.latest_articles(1, None).await.unwrap()[0].id;
    let (status, _, body) = get(&site, &format!("/articles/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<p>The council voted.</p>"), "{body}");
    assert!(body.contains("Gazette &lt;b&gt;") || body.contains("Gazette &#60;b&#62;"), "{body}");
    assert!(body.contains("rel=\"noopener noreferrer\""), "{body}");
}

#[tokio::test]
async fn right_to_left_articles_are_marked_with_their_language() {
    let site = site().await;
    let items = site.store.latest_articles(10, None).await.unwrap();
    let hebrew = items.iter().find(|a| a.title.starts_with('מ')).unwrap();
    let (_, _, body) = get(&site, &format!("/articles/{}", hebrew.id)).await;
    assert!(body.contains(r#"lang="he-IL" dir="rtl""#), "{body}");
    let latin = items.iter().find(|a| a.title == "Tram approved").unwrap();
    let (_, _, body) = get(&site, &format!("/articles/{}", latin.id)).await;
    assert!(!body.contains("dir=\"rtl\""), "{body}");
}

#[tokio::test]
async fn the_extracted_article_replaces_a_teaser_and_a_failure_is_noted() {
    let site = site().await;
    let items = site.store.latest_articles(10, None).await.unwrap();
    let tram = items.iter().find(|a| a.title == "Tram approved").unwrap().id;
    let other = items.iter().find(|a| a.title.ends_with("headline")).unwrap().id;
    let body = tidings_core::ExtractedBody {
        html: "<p>The council voted seven to two for the tram after a long debate.</p>".into(),
        text: "The council voted seven to two for the tram after a long debate.".into(),
        word_count: 13,
    };
    site.store.record_extraction(tram, Utc::now(), Ok(body)).await.unwrap();
    site.store
        .record_extraction(other, Utc::now(), Err("https://gazette.example/2: server answered 404".into()))
        .await
        .unwrap();

    let (_, _, page) = get(&site, &format!("/articles/{tram}")).await;
    assert!(page.contains("seven to two for the tram"), "{page}");
    assert!(!page.contains("could not be fetched"), "{page}");
    let (_, _, page) = get(&site, &format!("/articles/{other}")).await;
    assert!(page.contains("Safe body") && page.contains("could not be fetched"), "{page}");
    assert!(!page.contains("server answered 404"), "the fetch error itself stays with the operator: {page}");
}

/// Regression: the "Older articles" cursor kept whole seconds while the store orders by microseconds, so a
/// page ending inside a second skipped the rest of that second's articles.
#[tokio::test]
async fn paging_through_undated_articles_of_one_poll_skips_none() {
    let site = site().await;
    let source = site.store.sources().await.unwrap()[0].id;
    let articles = (0..75)
        .map(|n| NewArticle {
            guid: format!("undated-{n}"),
            title: format!("Undated {n}"),
            content_text: format!("Undated body {n}"),
            content_hash: format!("undated-hash-{n}"),
            ..NewArticle::default()
        })
        .collect();
    let at = Utc::now() + chrono::Duration::milliseconds(500);
    let poll = PollSuccess { articles, next_poll_at: at, poll_interval_secs: 1800, ..PollSuccess::default() };
    site.store.record_poll(source, at, poll).await.unwrap();

    let mut seen = std::collections::HashSet::new();
    let mut path = "/".to_owned();
    for _ in 0..5 {
        let (status, _, body) = get(&site, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        for part in body.split("Undated ").skip(1) {
            if let Some(n) = part.split('<').next().and_then(|n| n.parse::<u32>().ok()) {
                seen.insert(n);
            }
        }
        match body.split("rel=\"next\" href=\"").nth(1) {
            Some(rest) => path = rest.split('"').next().unwrap().replace("&amp;", "&"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 75, "every undated article appears on some page");
}

#[tokio::test]
async fn metrics_are_off_unless_a_recorder_is_given() {
    let site = site().await;
    assert_eq!(get(&site, "/metrics").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn missing_things_are_404_pages() {
    let site = site().await;
    for path in ["/articles/99999", "/sources/99999", "/nowhere", "/?after=garbage"] {
        let (status, headers, body) = get(&site, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains("Not found"), "{path}: {body}");
        assert!(headers.contains_key("content-security-policy"), "{path}");
    }
    let (status, _, _) = get(&site, "/articles/not-a-number").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn sources_page_shows_health() {
    let site = site().await;
    let (status, _, body) = get(&site, "/sources").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("https://gazette.example/feed.xml") && body.contains("Local"), "{body}");
    let (status, _, body) = get(&site, "/sources/1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Tram approved"), "{body}");
}

#[tokio::test]
async fn health_and_assets() {
    let site = site().await;
    assert_eq!(get(&site, "/healthz").await.0, StatusCode::OK);
    let (status, _, body) = get(&site, "/readyz").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("3 articles"), "{body}");
    let (status, headers, _) = get(&site, "/static/site.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/css"));
}

/// Adds a second outlet carrying a copy of article 1, clusters everything into stories by hand (as the story
/// stage would), and returns (story id, the original's id, the copy's id).
async fn with_story(site: &Site) -> (i64, i64, i64) {
    use tidings_core::{ClusteringBatch, OriginalReason, StoryTarget};
    let other = site
        .store
        .add_source(NewSource {
            url: "https://herald.example/feed.xml".into(),
            kind: SourceKind::Feed,
            title: Some("Herald".into()),
            site_url: None,
            category: None,
        })
        .await
        .unwrap();
    let now = Utc::now();
    let copy = NewArticle {
        guid: "copy".into(),
        url: Some("https://herald.example/tram".into()),
        title: "Tram line approved, council says".into(),
        content_text: "Body 1".into(),
        published_at: Some(now - chrono::Duration::minutes(5)),
        content_hash: "hcopy".into(),
        ..NewArticle::default()
    };
    let poll = PollSuccess { articles: vec![copy], next_poll_at: now, poll_interval_secs: 1800, ..Default::default() };
    site.store.record_poll(other.id, now, poll).await.unwrap();
    let jobs = site.store.pending_clustering(100, 0, now + chrono::Duration::hours(1)).await.unwrap();
    let id_of = |title: &str| jobs.iter().find(|j| j.title.starts_with(title)).unwrap().article_id;
    let (original, copy) = (id_of("Tram approved"), id_of("Tram line approved"));
    let mut assignments = vec![(original, StoryTarget::New(0)), (copy, StoryTarget::New(0))];
    assignments.extend(
        jobs.iter()
            .filter(|j| j.article_id != original && j.article_id != copy)
            .map(|j| (j.article_id, StoryTarget::New(1))),
    );
    let created = site
        .store
        .record_clustering(
            now,
            ClusteringBatch {
                new_stories: vec!["Tram approved".into(), "Other <news>".into()],
                assignments,
                originals: vec![(copy, Some((original, OriginalReason::Earliest))), (original, None)],
                ..ClusteringBatch::default()
            },
        )
        .await
        .unwrap();
    site.store.record_related(created[0], &[(created[1], 0.3)]).await.unwrap();
    (created[0], original, copy)
}

#[tokio::test]
async fn story_pages_list_timeline_outlets_copies_and_related_stories() {
    let site = site().await;
    let (story, _, _) = with_story(&site).await;

    let (status, _, home) = get(&site, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Top stories"), "{home}");
    assert!(home.contains(&format!("href=\"/stories/{story}\"")));
    assert!(home.contains("2 outlets"));

    let (status, headers, page) = get(&site, &format!("/stories/{story}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("content-security-policy").is_some());
    assert!(page.contains("<h1>Tram approved</h1>"), "{page}");
    assert!(
        page.contains("Covered by: Gazette &#60;b&#62;, Herald")
            || page.contains("Covered by: Gazette &lt;b&gt;, Herald"),
        "{page}"
    );
    assert!(page.contains("republished from Gazette"), "{page}");
    assert!(page.contains("<svg class=\"coverage-chart\"") && page.contains("2 articles from 2 outlets"), "{page}");
    assert!(page.contains("Related stories"), "{page}");
    assert!(page.contains("Other &#60;news&#62;") || page.contains("Other &lt;news&gt;"), "{page}");

    let gazette = site.store.sources().await.unwrap()[0].id;
    let (status, _, outlet) = get(&site, &format!("/sources/{gazette}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(outlet.contains("Feed health") && outlet.contains("Stories it covers"), "{outlet}");
    assert!(
        outlet.contains(&format!("href=\"/stories/{story}\"")) && outlet.contains("href=\"/topics/Local\""),
        "{outlet}"
    );
    let (status, _, list) = get(&site, "/stories").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Tram approved"));
    assert_eq!(get(&site, "/stories/999999").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&site, "/stories?after=nonsense").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_merged_story_redirects_to_the_story_it_became() {
    use tidings_core::{ClusteringBatch, StoryTarget};
    let site = site().await;
    let (story, _, _) = with_story(&site).await;
    let other = story + 1;
    site.store
        .record_clustering(
            Utc::now(),
            ClusteringBatch { merges: vec![(other, StoryTarget::Existing(story))], ..Default::default() },
        )
        .await
        .unwrap();
    let (status, headers, _) = get(&site, &format!("/stories/{other}")).await;
    assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(headers.get("location").unwrap(), &format!("/stories/{story}"));
}

#[tokio::test]
async fn article_pages_and_the_api_say_who_published_first_and_where_else() {
    let site = site().await;
    let (story, original, copy) = with_story(&site).await;

    let (_, _, page) = get(&site, &format!("/articles/{copy}")).await;
    assert!(page.contains(&format!("First published by <a href=\"/articles/{original}\">Gazette")), "{page}");
    assert!(page.contains("Coverage of this story"), "{page}");
    assert!(page.contains(&format!("href=\"/stories/{story}\"")));
    let (_, _, page) = get(&site, &format!("/articles/{original}")).await;
    assert!(page.contains("First published by Gazette"), "{page}");
    assert!(page.contains(&format!("also at <a href=\"/articles/{copy}\">Herald</a>")), "{page}");

    let (status, headers, body) = get(&site, &format!("/api/v1/articles/{copy}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("content-type").unwrap().to_str().unwrap().starts_with("application/json"));
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["story_id"], story);
    assert_eq!(json["syndication"]["original"]["id"], original);
    assert_eq!(json["syndication"]["reason"], "earliest");
    assert_eq!(json["syndication"]["copies"][0]["id"], copy);

    let (status, _, body) = get(&site, &format!("/api/v1/stories/{story}")).await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["article_count"], 2);
    assert_eq!(json["articles"].as_array().unwrap().len(), 2);
    assert_eq!(json["related"][0]["headline"], "Other <news>");
    let (status, _, body) = get(&site, "/api/v1/stories").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["stories"].as_array().unwrap().len(), 2);

    let (status, _, body) = get(&site, "/api/v1/stories/424242").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["code"], "not_found");
    let (status, _, body) = get(&site, "/api/v1/stories?after=x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["code"], "bad_cursor");
}

#[tokio::test]
async fn atom_feeds_of_top_stories_and_of_one_story_parse_with_our_own_parser() {
    let site = site().await;
    let (story, original, copy) = with_story(&site).await;
    let parse = |body: &str| {
        let parsed = tidings_feeds::parse(body.as_bytes(), &tidings_feeds::ParseOptions::default()).unwrap();
        assert_eq!(parsed.bozo, None, "well-formed: {body}");
        parsed
    };

    let (status, headers, body) = get(&site, "/feeds/top.atom").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers.get("content-type").unwrap(), "application/atom+xml; charset=utf-8");
    let top = parse(&body);
    assert_eq!(top.feed.title.as_deref(), Some("Tidings: top stories"));
    assert_eq!(top.entries.len(), 1, "only stories covered by two outlets or more lead: {body}");
    assert_eq!(top.entries[0].title.as_deref(), Some("Tram approved"));
    assert_eq!(top.entries[0].link.as_deref(), Some(format!("http://localhost/stories/{story}").as_str()));

    let (status, _, body) = get(&site, &format!("/stories/{story}/feed.atom")).await;
    assert_eq!(status, StatusCode::OK);
    let one = parse(&body);
    let links: Vec<&str> = one.entries.iter().filter_map(|e| e.link.as_deref()).collect();
    assert_eq!(links, [format!("http://localhost/articles/{copy}"), format!("http://localhost/articles/{original}")]);
    assert_eq!(one.entries[1].authors[0].name.as_deref(), Some("Gazette <b>"), "names are escaped, not markup");

    let (_, _, page) = get(&site, &format!("/stories/{story}")).await;
    assert!(page.contains(&format!("href=\"/stories/{story}/feed.atom\"")), "{page}");
    assert_eq!(get(&site, "/stories/999999/feed.atom").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let site = site().await;
    let (status, headers, body) = get(&site, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("content-type").unwrap().to_str().unwrap().starts_with("application/json"));
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    for path in [
        "/api/v1/articles",
        "/api/v1/articles/{id}",
        "/api/v1/stories",
        "/api/v1/stories/{id}",
        "/api/v1/outlets",
        "/api/v1/outlets/{id}",
    ] {
        assert!(paths.contains(&path), "{path} is documented: {paths:?}");
    }
    insta::assert_json_snapshot!("openapi", doc);
}

#[tokio::test]
async fn api_lists_articles_and_outlets_with_cursors_and_json_errors() {
    let site = site().await;
    let (status, _, body) = get(&site, "/api/v1/articles").await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let titles: Vec<&str> = json["articles"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), 3);
    assert!(titles.contains(&"<script>alert(1)</script> headline"), "JSON carries text, not markup: {titles:?}");
    assert!(json["next"].is_null(), "one page only");

    let (status, _, body) = get(&site, "/api/v1/outlets").await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let outlet = &json["outlets"][0];
    assert_eq!(outlet["name"], "Gazette <b>");
    assert_eq!(outlet["category"], "Local");
    let id = outlet["id"].as_i64().unwrap();
    let (status, _, body) = get(&site, &format!("/api/v1/outlets/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["articles"].as_array().unwrap().len(), 3);

    for (path, status, code) in [
        ("/api/v1/outlets/4242", StatusCode::NOT_FOUND, "not_found"),
        ("/api/v1/articles/4242", StatusCode::NOT_FOUND, "not_found"),
        ("/api/v1/articles?after=x_y", StatusCode::BAD_REQUEST, "bad_cursor"),
        ("/api/v1/nothing-here", StatusCode::NOT_FOUND, "not_found"),
    ] {
        let (got, headers, body) = get(&site, path).await;
        assert_eq!(got, status, "{path}");
        assert!(headers.get("content-type").unwrap().to_str().unwrap().starts_with("application/json"), "{path}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["code"], code, "{path}");
    }
}

/// Found by schemathesis: an id beyond i64 was axum's plain-text 400, not a JSON 404 like any other unknown id.
#[tokio::test]
async fn an_api_id_beyond_i64_is_a_json_404() {
    let site = site().await;
    for path in ["/api/v1/stories/9223372036854775808", "/api/v1/articles/abc", "/api/v1/outlets/-99999999999999999999"]
    {
        let (status, _, body) = get(&site, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["code"], "not_found", "{path}");
    }
}

/// Found by schemathesis: `after=` (empty) was refused as a bad cursor; it means the first page.
#[tokio::test]
async fn an_empty_api_cursor_means_the_first_page() {
    let site = site().await;
    assert_eq!(get(&site, "/api/v1/articles?after=").await.0, StatusCode::OK);
    assert_eq!(get(&site, "/api/v1/stories?after=").await.0, StatusCode::OK);
}

/// Found by schemathesis: a repeated query parameter got axum's plain-text 400 instead of a JSON error.
#[tokio::test]
async fn a_repeated_api_query_parameter_is_a_json_400() {
    let site = site().await;
    let (status, headers, body) = get(&site, "/api/v1/stories?after=1_1&after=2_2").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(headers.get("content-type").unwrap().to_str().unwrap().starts_with("application/json"));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["code"], "bad_request");
}

#[tokio::test]
async fn regression_every_api_refusal_is_json_with_a_code() {
    let site = site().await;
    let json_code = |status: StatusCode, headers: &axum::http::HeaderMap, body: &str, want: (StatusCode, &str)| {
        assert_eq!(status, want.0, "{body}");
        assert!(headers.get("content-type").unwrap().to_str().unwrap().starts_with("application/json"), "{body}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(body).unwrap()["code"], want.1, "{body}");
    };
    for path in ["/api/v1/articles/1/comments?sort=new&sort=best", "/api/v1/stories/1/comments?sort=a&sort=b"] {
        let (status, headers, body) = get(&site, path).await;
        json_code(status, &headers, &body, (StatusCode::BAD_REQUEST, "bad_request"));
    }
    // Segments that are not UTF-8 once decoded name nothing.
    for path in
        ["/api/v1/topics/%FF/articles", "/api/v1/entities/person/%FF", "/api/v1/articles/%FF", "/api/v1/stories/%C3"]
    {
        let (status, headers, body) = get(&site, path).await;
        json_code(status, &headers, &body, (StatusCode::NOT_FOUND, "not_found"));
    }
    // A method the endpoint does not take: 405 with Allow, as JSON under /api/ and as a page elsewhere.
    let app = router(AppState::new(site.store.clone()));
    let response = app.clone().oneshot(Request::post("/api/v1/stories").body(Body::empty()).unwrap()).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    json_code(
        status,
        &headers,
        &String::from_utf8_lossy(&body),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
    );
    assert!(headers.get("allow").is_some_and(|allow| allow.to_str().unwrap().contains("GET")), "{headers:?}");
    let response = app.oneshot(Request::delete("/stories").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("does not take DELETE requests"));
}

#[tokio::test]
async fn topics_from_source_categories_have_pages_feeds_and_json() {
    let site = site().await;
    let (status, _, page) = get(&site, "/topics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("href=\"/topics/Local\"") && page.contains("1 source"), "{page}");

    let (status, _, page) = get(&site, "/topics/Local").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Tram approved") && page.contains("href=\"/topics/Local/feed.atom\""), "{page}");
    assert_eq!(get(&site, "/topics/Nowhere").await.0, StatusCode::NOT_FOUND);

    let (status, _, body) = get(&site, "/topics/Local/feed.atom").await;
    assert_eq!(status, StatusCode::OK);
    let feed = tidings_feeds::parse(body.as_bytes(), &tidings_feeds::ParseOptions::default()).unwrap();
    assert_eq!(feed.entries.len(), 3);

    let (_, _, body) = get(&site, "/api/v1/topics").await;
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["topics"][0]["name"], "Local");
    let (status, _, body) = get(&site, "/api/v1/topics/Local/articles").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["articles"].as_array().unwrap().len(), 3);
    let (status, _, body) = get(&site, "/api/v1/topics/Nowhere/articles").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["code"], "not_found");
}

#[tokio::test]
async fn regression_an_outlets_category_with_a_slash_links_to_its_topic() {
    let site = site().await;
    let source = site.store.sources().await.unwrap()[0].id;
    let change = tidings_core::SourceSettingsChange {
        category: Some(Some("News/World".to_owned())),
        ..tidings_core::SourceSettingsChange::default()
    };
    site.store.update_source_settings(source, &change).await.unwrap();
    let (_, _, page) = get(&site, &format!("/sources/{source}")).await;
    assert!(page.contains("href=\"/topics/News%2FWorld\""), "{page}");
    let (status, _, page) = get(&site, "/topics/News%2FWorld").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Tram approved"), "{page}");
}

#[tokio::test]
async fn the_manifest_and_service_worker_are_served_and_no_page_has_inline_script() {
    let site = site().await;
    let (status, headers, body) = get(&site, "/manifest.webmanifest").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers.get("content-type").unwrap(), "application/manifest+json");
    let manifest: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(manifest["start_url"], "/");
    let (status, headers, body) = get(&site, "/sw.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(headers.get("cache-control").unwrap(), "no-cache");
    assert!(body.contains("addEventListener(\"fetch\""));
    assert_eq!(get(&site, "/static/app.js").await.0, StatusCode::OK);
    assert_eq!(get(&site, "/static/icon.svg").await.0, StatusCode::OK);

    let (_, headers, home) = get(&site, "/").await;
    let csp = headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("worker-src 'self'"), "{csp}");
    assert!(home.contains("<link rel=\"manifest\" href=\"/manifest.webmanifest\">"));
    // Every script element loads a file of ours; none carries code.
    for page in [home, get(&site, "/sources").await.2, get(&site, "/topics").await.2] {
        for tag in page.match_indices("<script").map(|(i, _)| &page[i..]) {
            let tag = &tag[..tag.find("</script>").unwrap() + 9];
            assert!(tag.starts_with("<script src=\"/static/") && tag.ends_with("></script>"), "{tag}");
        }
    }
}

#[tokio::test]
async fn story_pages_count_outlets_by_lean_and_blindspots_list_one_sided_stories() {
    use tidings_core::{ClusteringBatch, Lean, StoryTarget};
    let site = site().await;
    let (story, _, _) = with_story(&site).await;
    let (status, _, page) = get(&site, "/blindspots").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No source has a lean rated yet"), "{page}");
    assert!(!get(&site, &format!("/stories/{story}")).await.2.contains("Coverage by lean"));
    let api: serde_json::Value = serde_json::from_str(&get(&site, "/api/v1/blindspots").await.2).unwrap();
    assert_eq!((api["rated"].as_bool(), api["stories"].as_array().map(Vec::len)), (Some(false), Some(0)));

    // Gazette left and Herald lean-left: two outlets on the left are too few to call a blindspot.
    let sources = site.store.sources().await.unwrap();
    site.store.set_lean(sources[0].id, Some(Lean::Left)).await.unwrap();
    site.store.set_lean(sources[1].id, Some(Lean::LeanLeft)).await.unwrap();
    let page = get(&site, &format!("/stories/{story}")).await.2;
    assert!(page.contains("Coverage by lean") && page.contains("Left: 1") && page.contains("Lean left: 1"), "{page}");
    assert!(page.contains("<svg class=\"lean-bar\"") && !page.contains("Blindspot for"), "{page}");
    let detail: serde_json::Value =
        serde_json::from_str(&get(&site, &format!("/api/v1/stories/{story}")).await.2).unwrap();
    assert_eq!(detail["lean_coverage"]["left"], 1);
    assert_eq!(detail["lean_coverage"]["lean_left"], 1);
    assert!(detail["lean_coverage"]["blindspot"].is_null());
    let page = get(&site, "/blindspots").await.2;
    assert_eq!(page.matches("None at the moment.").count(), 2, "{page}");
    let list = get(&site, "/stories").await.2;
    assert_eq!(list.matches("<svg class=\"lean-bar lean-bar-card\"").count(), 2, "both stories have Gazette: {list}");
    assert!(list.contains("aria-label=\"Outlets by lean: Left: 1, Lean left: 1\""), "{list}");

    // A third outlet on the left, none on the right: the right's blindspot.
    let courier = site
        .store
        .add_source(NewSource {
            url: "https://courier.example/feed.xml".into(),
            kind: SourceKind::Feed,
            title: Some("Courier".into()),
            site_url: None,
            category: None,
        })
        .await
        .unwrap();
    site.store.set_lean(courier.id, Some(Lean::Left)).await.unwrap();
    let now = Utc::now();
    let report = NewArticle {
        guid: "courier-tram".into(),
        url: Some("https://courier.example/tram".into()),
        title: "Tram vote passes".into(),
        content_text: "The tram vote passed.".into(),
        published_at: Some(now - chrono::Duration::minutes(2)),
        content_hash: "hcourier".into(),
        ..NewArticle::default()
    };
    let poll =
        PollSuccess { articles: vec![report], next_poll_at: now, poll_interval_secs: 1800, ..Default::default() };
    site.store.record_poll(courier.id, now, poll).await.unwrap();
    let job = site.store.pending_clustering(10, 0, now + chrono::Duration::hours(1)).await.unwrap()[0].article_id;
    let batch =
        ClusteringBatch { assignments: vec![(job, StoryTarget::Existing(story))], ..ClusteringBatch::default() };
    site.store.record_clustering(now, batch).await.unwrap();

    let page = get(&site, &format!("/stories/{story}")).await.2;
    assert!(page.contains("Blindspot for the right") && page.contains("Left: 2"), "{page}");
    let page = get(&site, "/blindspots").await.2;
    let right = page.find("Hardly covered on the right").unwrap();
    let left = page.find("Hardly covered on the left").unwrap();
    let listed = page.find(&format!("href=\"/stories/{story}\"")).unwrap();
    assert!(right < listed && listed < left, "listed under the right's blindspots: {page}");
    assert!(page.contains("Left: 2, Lean left: 1"), "{page}");
    let api: serde_json::Value = serde_json::from_str(&get(&site, "/api/v1/blindspots").await.2).unwrap();
    assert_eq!(api["rated"], true);
    assert_eq!(api["stories"][0]["id"], story);
    assert_eq!(api["stories"][0]["lean_coverage"]["blindspot"], "right");
    let outlets: serde_json::Value = serde_json::from_str(&get(&site, "/api/v1/outlets").await.2).unwrap();
    assert_eq!(outlets["outlets"][0]["lean"], "left");
    assert_eq!(outlets["outlets"][1]["lean"], "lean-left");
}

#[tokio::test]
async fn regression_blindspots_of_a_site_whose_coverage_stopped_weeks_ago_are_still_listed() {
    use tidings_core::{ClusteringBatch, Lean, StoryTarget};
    // The demo's articles are dated: counting the days up to now showed no blindspot once they were weeks old.
    let (store, gazette, _dir) = common::gazette("Gazette", None).await;
    let weeks_ago = Utc::now() - chrono::Duration::days(40);
    let mut sources = vec![gazette];
    for name in ["herald", "courier"] {
        let new = NewSource {
            url: format!("https://{name}.example/feed.xml"),
            kind: SourceKind::Feed,
            title: Some(name.into()),
            site_url: None,
            category: None,
        };
        sources.push(store.add_source(new).await.unwrap().id);
    }
    for (i, source) in sources.iter().enumerate() {
        store.set_lean(*source, Some(Lean::Left)).await.unwrap();
        let report = NewArticle {
            guid: format!("old-{i}"),
            title: format!("Old tram vote {i}"),
            content_text: "The tram vote passed.".into(),
            published_at: Some(weeks_ago),
            content_hash: format!("old-{i}"),
            ..NewArticle::default()
        };
        let poll = PollSuccess { articles: vec![report], next_poll_at: weeks_ago, ..Default::default() };
        store.record_poll(*source, weeks_ago, poll).await.unwrap();
    }
    let jobs = store.pending_clustering(10, 0, Utc::now()).await.unwrap();
    let batch = ClusteringBatch {
        new_stories: vec!["Old tram vote".into()],
        assignments: jobs.iter().map(|j| (j.article_id, StoryTarget::New(0))).collect(),
        ..ClusteringBatch::default()
    };
    let story = store.record_clustering(weeks_ago, batch).await.unwrap()[0];
    let site = Site { store, _dir };
    let api: serde_json::Value = serde_json::from_str(&get(&site, "/api/v1/blindspots").await.2).unwrap();
    assert_eq!(api["stories"][0]["id"], story, "{api}");
    assert!(get(&site, "/blindspots").await.2.contains(&format!("href=\"/stories/{story}\"")));
}

#[tokio::test]
async fn regression_a_forged_host_does_not_reach_other_readers_through_the_cached_feeds() {
    let site = site().await;
    let app = router(AppState::new(site.store.clone()).with_page_cache(std::time::Duration::from_secs(60)));
    let feed = |host: &'static str| {
        let app = app.clone();
        async move {
            let request = Request::get("/feeds/top.atom").header("host", host).body(Body::empty()).unwrap();
            let response = app.oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            String::from_utf8(body.to_vec()).unwrap()
        }
    };
    let forged = feed("evil.example").await;
    assert!(forged.contains("http://evil.example/"), "{forged}");
    let honest = feed("news.example").await;
    assert!(honest.contains("http://news.example/") && !honest.contains("evil.example"), "{honest}");
    assert_eq!(feed("news.example").await, honest, "each host's copy is served to that host");
}
