//! The admin pages and the sources API in-process, on a SQLite store: off without a token, sign-in (and its
//! throttle), cookies, CSRF and cross-site refusals, and adding, importing, polling and removing sources.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use tidings_core::{ExtractMode, NewSource, Source, SourceKind, Store, StoreError};
use tidings_web::admin::{AddSource, ImportReport, PollResult, SourceAdmin, SourceAdminError};
use tidings_web::{AppState, router};
use tower::ServiceExt;

const TOKEN: &str = "a-test-admin-token-0123456789";

/// Adds sources straight to the store (no discovery): a URL with "nofeed" in it has no feed.
struct TestAdmin {
    store: Arc<dyn Store>,
}

#[async_trait::async_trait]
impl SourceAdmin for TestAdmin {
    async fn add(&self, request: AddSource) -> Result<Source, SourceAdminError> {
        if request.url.contains("nofeed") {
            return Err(SourceAdminError::NoFeed(format!("{}: no feed found at that address", request.url)));
        }
        let new = NewSource {
            url: request.url,
            kind: SourceKind::Feed,
            title: Some("Added Outlet".into()),
            site_url: None,
            category: request.category,
        };
        let source = self.store.add_source(new).await.map_err(|e| match e {
            StoreError::DuplicateSource(_) => SourceAdminError::Duplicate(e.to_string()),
            other => SourceAdminError::Internal(other.to_string()),
        })?;
        self.store.set_extract_mode(source.id, request.extract).await.unwrap();
        Ok(self.store.source(source.id).await.unwrap().unwrap())
    }

    async fn import_opml(&self, opml: &[u8]) -> Result<ImportReport, SourceAdminError> {
        let feeds = tidings_feeds::opml::parse(opml).map_err(|e| SourceAdminError::Invalid(e.to_string()))?;
        let mut report = ImportReport::default();
        for feed in feeds {
            let new = NewSource {
                url: feed.xml_url,
                kind: SourceKind::Feed,
                title: feed.title,
                site_url: None,
                category: feed.category,
            };
            match self.store.add_source(new).await {
                Ok(_) => report.added += 1,
                Err(StoreError::DuplicateSource(_)) => report.already += 1,
                Err(e) => return Err(SourceAdminError::Internal(e.to_string())),
            }
        }
        Ok(report)
    }

    async fn poll_now(&self, _id: i64) -> Result<PollResult, SourceAdminError> {
        Ok(PollResult { ok: true, message: "2 new, 0 already stored".into() })
    }
}

struct Site {
    state: AppState,
    store: Arc<dyn Store>,
    gazette: i64,
    _dir: tempfile::TempDir,
}

async fn site(token: &str) -> Site {
    let (store, gazette, dir) = common::gazette("Gazette", Some("Local")).await;
    let state = AppState::new(store.clone())
        .with_admin_token(token)
        .with_source_admin(Arc::new(TestAdmin { store: store.clone() }));
    Site { state, store, gazette, _dir: dir }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    /// `name=value` of every cookie the response sets.
    fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .collect()
    }

    fn set_cookie_line(&self, name: &str) -> String {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|v| v.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} cookie set: {:?}", self.headers))
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn send(site: &Site, request: Request<Body>) -> Answer {
    let response = router(site.state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Answer { status, headers, body: String::from_utf8(body.to_vec()).unwrap() }
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form(path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Request<Body> {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    let mut request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "news.example")
        .header("sec-fetch-site", "same-origin");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(body.join("&"))).unwrap()
}

fn get_with(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap()
}

/// Signs in; returns the session cookie (`tidings_admin=…`).
async fn sign_in(site: &Site) -> String {
    let answer = send(site, form("/admin/login", None, &[("token", TOKEN)])).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    answer.cookies().into_iter().find(|c| c.starts_with("tidings_admin=")).unwrap()
}

fn csrf_of(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// Signs in and reads the CSRF token off `/admin`: (session cookie, CSRF token).
async fn admin_session(site: &Site) -> (String, String) {
    let cookie = sign_in(site).await;
    let page = send(site, get_with("/admin", &cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    (cookie.clone(), csrf_of(&page.body))
}

/// POSTs a form as the signed-in admin and follows the redirect: the message shown on `/admin`.
async fn act(site: &Site, cookie: &str, path: &str, fields: &[(&str, &str)]) -> String {
    let answer = send(site, form(path, Some(cookie), fields)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}: {}", answer.body);
    assert_eq!(answer.headers.get(header::LOCATION).unwrap(), "/admin");
    let flash = answer.cookies().into_iter().find(|c| c.starts_with("tidings_admin_flash=")).unwrap();
    let page = send(site, get_with("/admin", &format!("{cookie}; {flash}"))).await;
    let start = page.body.find("class=\"flash").unwrap_or_else(|| panic!("no message: {}", page.body));
    let text = &page.body[start..];
    let text = &text[text.find('>').unwrap() + 1..];
    text[..text.find("</p>").unwrap()].to_owned()
}

#[tokio::test]
async fn admin_is_off_without_a_token() {
    let site = site("").await;
    let page = send(&site, Request::get("/admin").body(Body::empty()).unwrap()).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("admin_token"), "the page says how to turn it on: {}", page.body);
    assert_eq!(send(&site, form("/admin/login", None, &[("token", TOKEN)])).await.status, StatusCode::NOT_FOUND);
    // No bearer token: 401, as the OpenAPI document promises a request without its security header.
    let answer = send(&site, Request::get("/api/v1/sources").body(Body::empty()).unwrap()).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.json()["message"].as_str().unwrap().contains("the sources API is off"), "{}", answer.body);
    let listed = Request::get("/api/v1/sources").header(header::AUTHORIZATION, "Bearer x").body(Body::empty());
    let answer = send(&site, listed.unwrap()).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.json()["code"], "admin_disabled");
    let bearer = format!("Bearer {TOKEN}");
    let delete = Request::delete(format!("/api/v1/sources/{}", site.gazette))
        .header(header::AUTHORIZATION, &bearer)
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&site, delete).await.status, StatusCode::FORBIDDEN);
    assert!(site.store.source(site.gazette).await.unwrap().is_some());
}

#[tokio::test]
async fn a_wrong_token_is_refused_and_repeated_failures_are_throttled() {
    let site = site(TOKEN).await;
    let answer = send(&site, form("/admin/login", None, &[("token", "not-the-admin-token-at-all")])).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains("not the admin token"), "{}", answer.body);
    assert!(answer.cookies().is_empty(), "no session for a wrong token");
    for _ in 0..4 {
        assert_eq!(
            send(&site, form("/admin/login", None, &[("token", "wrong")])).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Five wrong tokens in a row: even the right one waits now.
    let answer = send(&site, form("/admin/login", None, &[("token", TOKEN)])).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(answer.headers.get(header::RETRY_AFTER).is_some());
    assert!(answer.body.contains("Too many wrong tokens"), "{}", answer.body);
    assert!(answer.cookies().is_empty());
}

#[tokio::test]
async fn the_right_token_signs_in_with_a_strict_cookie_that_does_not_hold_it() {
    let site = site(TOKEN).await;
    let login = Request::get("/admin").body(Body::empty()).unwrap();
    let page = send(&site, login).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<label for=\"admin-token\">"), "{}", page.body);
    assert_eq!(page.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");

    let answer = send(&site, form("/admin/login", None, &[("token", TOKEN)])).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let line = answer.set_cookie_line("tidings_admin");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(line.contains(attribute), "{attribute} in {line}");
    }
    assert!(!line.contains("Secure"), "plain HTTP: {line}");
    assert!(!line.contains(TOKEN) && !line.contains(&encode(TOKEN)), "{line}");

    let https = Request::post("/admin/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-proto", "https")
        .body(Body::from(format!("token={TOKEN}")))
        .unwrap();
    assert!(send(&site, https).await.set_cookie_line("tidings_admin").contains("; Secure"));

    let cookie = answer.cookies().into_iter().find(|c| c.starts_with("tidings_admin=")).unwrap();
    let page = send(&site, get_with("/admin", &cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Add a source") && page.body.contains("Gazette"), "{}", page.body);
    assert!(page.body.contains("https://gazette.example/feed.xml"));
}

#[tokio::test]
async fn every_admin_post_refuses_no_session_a_bad_csrf_token_and_other_sites() {
    let site = site(TOKEN).await;
    let (cookie, csrf) = admin_session(&site).await;
    let id = site.gazette;
    let paths = [
        "/admin/logout".to_owned(),
        "/admin/sources".to_owned(),
        "/admin/import".to_owned(),
        format!("/admin/sources/{id}/remove"),
        format!("/admin/sources/{id}/enable"),
        format!("/admin/sources/{id}/poll"),
        format!("/admin/sources/{id}/lean"),
        format!("/admin/sources/{id}/settings"),
    ];
    let fields = [("url", "https://other.example/feed"), ("extract", "auto")];
    for path in &paths {
        let no_session = send(&site, form(path, None, &[("csrf", csrf.as_str()), fields[0], fields[1]])).await;
        assert_eq!(no_session.status, StatusCode::FORBIDDEN, "{path} without a session");
        let bad_csrf = send(&site, form(path, Some(&cookie), &[("csrf", "00ff"), fields[0], fields[1]])).await;
        assert_eq!(bad_csrf.status, StatusCode::FORBIDDEN, "{path} with a bad CSRF token");
        let no_csrf = send(&site, form(path, Some(&cookie), &fields)).await;
        assert_eq!(no_csrf.status, StatusCode::FORBIDDEN, "{path} without a CSRF token");

        let mut cross = form(path, Some(&cookie), &[("csrf", csrf.as_str()), fields[0], fields[1]]);
        cross.headers_mut().remove("sec-fetch-site");
        cross.headers_mut().insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        let answer = send(&site, cross).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path} from another origin");
        assert!(answer.body.contains("another site"), "{}", answer.body);

        let mut cross = form(path, Some(&cookie), &[("csrf", csrf.as_str()), fields[0], fields[1]]);
        cross.headers_mut().insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert_eq!(send(&site, cross).await.status, StatusCode::FORBIDDEN, "{path} cross-site");
    }
    // Nothing happened.
    assert_eq!(site.store.sources().await.unwrap().len(), 1);
    assert_eq!(send(&site, get_with("/admin", &cookie)).await.status, StatusCode::OK, "still signed in");
    // A forged session cookie is no session.
    let forged = send(&site, form("/admin/sources", Some("tidings_admin=99999999999.00.00"), &[("csrf", &csrf)])).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sources_are_added_imported_polled_resumed_and_removed() {
    let site = site(TOKEN).await;
    let (cookie, csrf) = admin_session(&site).await;
    let csrf = csrf.as_str();

    let message = act(
        &site,
        &cookie,
        "/admin/sources",
        &[("csrf", csrf), ("url", " https://added.example/feed "), ("category", "World"), ("extract", "always")],
    )
    .await;
    assert!(message.contains("Added Added Outlet (https://added.example/feed)"), "{message}");
    let added = site.store.source_by_url("https://added.example/feed").await.unwrap().unwrap();
    assert_eq!(added.category.as_deref(), Some("World"));
    assert_eq!(added.extract_mode, ExtractMode::Always);

    let message = act(&site, &cookie, "/admin/sources", &[("csrf", csrf), ("url", "https://added.example/feed")]).await;
    assert!(message.contains("https://added.example/feed already exists"), "{message}");
    let message = act(&site, &cookie, "/admin/sources", &[("csrf", csrf), ("url", "https://nofeed.example/")]).await;
    assert!(message.contains("https://nofeed.example/: no feed found at that address"), "{message}");
    let message = act(&site, &cookie, "/admin/sources", &[("csrf", csrf), ("url", "nofeed.example")]).await;
    assert!(message.contains("nofeed.example: not a web address"), "{message}");
    let message = act(
        &site,
        &cookie,
        "/admin/sources",
        &[("csrf", csrf), ("url", "https://x.example/"), ("extract", "sometimes")],
    )
    .await;
    assert!(message.contains("Full text: &#34;sometimes&#34; is not a choice") || message.contains("sometimes"));

    // Import: an uploaded file, one feed already followed.
    let opml = r#"<?xml version="1.0"?><opml version="2.0"><body><outline text="Science">
        <outline type="rss" text="Lab" xmlUrl="https://lab.example/rss"/>
        <outline type="rss" text="Gazette" xmlUrl="https://gazette.example/feed.xml"/>
        <outline type="rss" text="Orbit" xmlUrl="https://orbit.example/atom"/></outline></body></opml>"#;
    let boundary = "XyZzY";
    let part = |name: &str, extra: &str, value: &str| {
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{extra}\r\n\r\n{value}\r\n")
    };
    let body = format!(
        "{}{}{}--{boundary}--\r\n",
        part("csrf", "", csrf),
        part("file", "; filename=\"subs.opml\"\r\nContent-Type: text/x-opml", opml),
        part("text", "", "")
    );
    let request = Request::post("/admin/import")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header(header::COOKIE, &cookie)
        .body(Body::from(body))
        .unwrap();
    let answer = send(&site, request).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let flash = answer.cookies().into_iter().find(|c| c.starts_with("tidings_admin_flash=")).unwrap();
    let page = send(&site, get_with("/admin", &format!("{cookie}; {flash}"))).await;
    assert!(page.body.contains("Imported 2 sources from subs.opml (1 already followed)."), "{}", page.body);
    assert!(page.headers.get_all(header::SET_COOKIE).iter().any(|c| c.to_str().unwrap().contains("Max-Age=0")));
    let lab = site.store.source_by_url("https://lab.example/rss").await.unwrap().unwrap();
    assert_eq!(lab.category.as_deref(), Some("Science"));
    // Pasted text that is not OPML.
    let body = format!("{}{}--{boundary}--\r\n", part("csrf", "", csrf), part("text", "", "hello"));
    let request = Request::post("/admin/import")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header(header::COOKIE, &cookie)
        .body(Body::from(body))
        .unwrap();
    let flash =
        send(&site, request).await.cookies().into_iter().find(|c| c.starts_with("tidings_admin_flash=")).unwrap();
    let page = send(&site, get_with("/admin", &format!("{cookie}; {flash}"))).await;
    assert!(page.body.contains("the pasted OPML: "), "{}", page.body);

    let message = act(&site, &cookie, &format!("/admin/sources/{}/poll", lab.id), &[("csrf", csrf)]).await;
    assert_eq!(message, "Lab: 2 new, 0 already stored");
    let message = act(&site, &cookie, &format!("/admin/sources/{}/enable", lab.id), &[("csrf", csrf)]).await;
    assert!(message.contains("Lab will be polled again"), "{message}");

    // Removing asks first, then removes.
    let confirm = send(&site, get_with(&format!("/admin/sources/{}/remove", lab.id), &cookie)).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains("Remove Lab?") && confirm.body.contains(&format!("value=\"{csrf}\"")));
    let unsigned = send(&site, Request::get(format!("/admin/sources/{}/remove", lab.id)).body(Body::empty()).unwrap());
    assert_eq!(unsigned.await.status, StatusCode::SEE_OTHER, "signed out: back to the sign-in form");
    let message = act(&site, &cookie, &format!("/admin/sources/{}/remove", lab.id), &[("csrf", csrf)]).await;
    assert_eq!(message, "Removed Lab (https://lab.example/rss) and its articles.");
    assert!(site.store.source(lab.id).await.unwrap().is_none());
    let message = act(&site, &cookie, &format!("/admin/sources/{}/remove", lab.id), &[("csrf", csrf)]).await;
    assert!(message.contains("there is no such source"), "{message}");

    // Signing out revokes the session.
    let message = act(&site, &cookie, "/admin/logout", &[("csrf", csrf)]).await;
    assert!(message.contains("Signed out"), "{message}");
    let page = send(&site, get_with("/admin", &cookie)).await;
    assert!(page.body.contains("name=\"token\""), "the old cookie no longer signs in");
}

#[tokio::test]
async fn admin_pages_label_every_field_and_carry_no_inline_script_or_style() {
    let site = site(TOKEN).await;
    let (cookie, _) = admin_session(&site).await;
    let page = send(&site, get_with("/admin", &cookie)).await.body;
    let mut fields = Vec::new();
    for tag in ["<input ", "<select ", "<textarea "] {
        for (at, _) in page.match_indices(tag) {
            let element = &page[at..at + page[at..].find('>').unwrap()];
            if element.contains("type=\"hidden\"") {
                continue;
            }
            let id = element.split("id=\"").nth(1).unwrap().split('"').next().unwrap();
            assert!(page.contains(&format!("<label for=\"{id}\"")), "{id} has a label");
            fields.push(id);
        }
    }
    for ours in ["add-url", "add-category", "add-extract", "import-file", "import-text"] {
        assert!(fields.contains(&ours), "{ours} in {fields:?}");
    }
    assert!(!page.contains("<script>") && !page.contains("style=") && !page.contains("<style"));
    assert!(!page.contains("Skips items matching"), "no rules, no line");
    // A source's own skip rules are shown with it, escaped.
    site.store.set_skip_rules(site.gazette, &["^sponsored\\b".to_owned(), "<live>".to_owned()]).await.unwrap();
    let page = send(&site, get_with("/admin", &cookie)).await.body;
    assert!(page.contains("Skips items matching: ^sponsored\\b   &#60;live&#62;<"), "{page}");
    assert!(!page.contains("<live>"));
    let home = send(&site, Request::get("/").body(Body::empty()).unwrap()).await.body;
    assert!(home.contains("href=\"/admin\""), "the footer links to /admin");
}

fn api(method: &str, path: &str, bearer: Option<&str>, body: Option<&str>) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    match body {
        Some(json) => request.header(header::CONTENT_TYPE, "application/json").body(Body::from(json.to_owned())),
        None => request.body(Body::empty()),
    }
    .unwrap()
}

#[tokio::test]
async fn the_sources_api_needs_the_bearer_token() {
    let site = site(TOKEN).await;
    let new = r#"{"url": "https://api.example/feed", "category": "Tech", "extract": "never"}"#;
    for (method, path, body) in [
        ("GET", "/api/v1/sources".to_owned(), None),
        ("POST", "/api/v1/sources".to_owned(), Some(new)),
        ("DELETE", format!("/api/v1/sources/{}", site.gazette), None),
        ("DELETE", "/api/v1/sources/not-an-id".to_owned(), None),
        ("PATCH", format!("/api/v1/sources/{}", site.gazette), Some(r#"{"lean": "left"}"#)),
    ] {
        for bearer in [None, Some("wrong-token-wrong-token")] {
            let answer = send(&site, api(method, &path, bearer, body)).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path} {bearer:?}");
            assert_eq!(answer.json()["code"], "unauthorized");
            assert!(answer.headers.get(header::WWW_AUTHENTICATE).is_some());
        }
    }
    assert_eq!(site.store.sources().await.unwrap().len(), 1, "nothing changed");
    assert_eq!(site.store.sources().await.unwrap()[0].lean, None, "nothing changed");

    let created = send(&site, api("POST", "/api/v1/sources", Some(TOKEN), Some(new))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let json = created.json();
    assert_eq!(json["url"], "https://api.example/feed");
    assert_eq!(json["category"], "Tech");
    assert_eq!(json["extract"], "never");
    let id = json["id"].as_i64().unwrap();

    let again = send(&site, api("POST", "/api/v1/sources", Some(TOKEN), Some(new))).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["code"], "duplicate");
    let none = send(&site, api("POST", "/api/v1/sources", Some(TOKEN), Some(r#"{"url": "https://nofeed.example/"}"#)));
    let none = none.await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(none.json()["code"], "no_feed");
    assert!(none.json()["message"].as_str().unwrap().contains("https://nofeed.example/"));
    for bad in
        [r#"{"url": "ftp://x.example/"}"#, r#"{"url": 3}"#, "not json", r#"{"url": "https://a.example", "x": 1}"#]
    {
        let answer = send(&site, api("POST", "/api/v1/sources", Some(TOKEN), Some(bad))).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}: {}", answer.body);
        assert_eq!(answer.json()["code"], "bad_request");
    }

    let list = send(&site, api("GET", "/api/v1/sources", Some(TOKEN), None)).await;
    assert_eq!(list.status, StatusCode::OK);
    let sources = list.json()["sources"].as_array().unwrap().clone();
    assert_eq!(sources.len(), 2);
    assert!(sources.iter().any(|s| s["id"] == id && s["error_count"] == 0 && s["disabled"] == false));

    // PATCH sets what it is given and keeps the rest; null removes the lean.
    let patch = |body: &'static str| api("PATCH", &format!("/api/v1/sources/{id}"), Some(TOKEN), Some(body));
    let changed = send(&site, patch(r#"{"lean": "lean-right"}"#)).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(
        (changed.json()["lean"].as_str(), changed.json()["extract"].as_str()),
        (Some("lean-right"), Some("never"))
    );
    let changed = send(&site, patch(r#"{"extract": "always"}"#)).await.json();
    assert_eq!((changed["lean"].as_str(), changed["extract"].as_str()), (Some("lean-right"), Some("always")));
    let changed = send(&site, patch(r#"{"lean": null}"#)).await.json();
    assert!(changed["lean"].is_null(), "{changed}");
    for bad in [r#"{"lean": "sideways"}"#, r#"{"colour": "red"}"#, "[]", r#"{"lean": "left", "extract": null}"#] {
        let answer = send(&site, patch(bad)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}: {}", answer.body);
    }
    assert_eq!(site.store.source(id).await.unwrap().unwrap().lean, None, "a refused change changes nothing");
    // Category and skip rules: a bad rule is a 422 naming it, and the whole change is refused.
    let changed = send(&site, patch(r#"{"category": " Science ", "skip_rules": ["^sponsored", "/podcasts?/"]}"#)).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let changed = changed.json();
    assert_eq!(changed["category"], "Science");
    assert_eq!(changed["skip_rules"], serde_json::json!(["^sponsored", "/podcasts?/"]));
    for (bad, says) in [
        (r#"{"category": "World", "skip_rules": ["fine", "live (blog"]}"#, "skip rule #2 \"live (blog\": "),
        (r#"{"skip_rules": ["two\nlines"]}"#, "a rule is one line"),
        (r#"{"skip_rules": ["  "]}"#, "an empty rule would skip every item"),
    ] {
        let answer = send(&site, patch(bad)).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", answer.body);
        assert_eq!(answer.json()["code"], "invalid_settings");
        assert!(answer.json()["message"].as_str().unwrap().contains(says), "{}", answer.body);
    }
    let long = format!(r#"{{"category": "{}"}}"#, "x".repeat(201));
    let answer = send(&site, api("PATCH", &format!("/api/v1/sources/{id}"), Some(TOKEN), Some(&long))).await;
    assert_eq!(
        (answer.status, answer.json()["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_settings"))
    );
    let kept = site.store.source(id).await.unwrap().unwrap();
    assert_eq!(
        (kept.category.as_deref(), kept.skip_rules.len()),
        (Some("Science"), 2),
        "refused changes change nothing"
    );
    let changed = send(&site, patch(r#"{"category": null, "skip_rules": []}"#)).await.json();
    assert!(changed["category"].is_null() && changed["skip_rules"] == serde_json::json!([]), "{changed}");
    let answer = send(&site, patch(r#"{"skip_rules": null}"#)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "null is not a list of rules: {}", answer.body);
    assert_eq!(send(&site, patch("{}")).await.status, StatusCode::OK, "no change is a change that does nothing");
    let missing = send(&site, api("PATCH", "/api/v1/sources/999999", Some(TOKEN), Some(r#"{"lean": "left"}"#))).await;
    assert_eq!((missing.status, missing.json()["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));

    assert_eq!(
        send(&site, api("DELETE", &format!("/api/v1/sources/{id}"), Some(TOKEN), None)).await.status,
        StatusCode::NO_CONTENT
    );
    let gone = send(&site, api("DELETE", &format!("/api/v1/sources/{id}"), Some(TOKEN), None)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.json()["code"], "not_found");
    assert_eq!(
        send(&site, api("DELETE", "/api/v1/sources/abc", Some(TOKEN), None)).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(site.store.source(id).await.unwrap().is_none());
}

#[tokio::test]
async fn failed_machine_summaries_are_listed_for_the_operator() {
    let site = site(TOKEN).await;
    let (cookie, _) = admin_session(&site).await;
    let page = send(&site, get_with("/admin", &cookie)).await.body;
    assert!(!page.contains("Machine-written summaries"), "no section while nothing failed");

    let now = chrono::Utc::now();
    let article = tidings_core::NewArticle {
        guid: "g-1".into(),
        title: "Tram <vote> delayed".into(),
        content_text: "The vote was delayed.".into(),
        content_hash: "h-1".into(),
        ..tidings_core::NewArticle::default()
    };
    let poll = tidings_core::PollSuccess {
        articles: vec![article],
        next_poll_at: now,
        poll_interval_secs: 1800,
        ..tidings_core::PollSuccess::default()
    };
    site.store.record_poll(site.gazette, now, poll).await.unwrap();
    let id = site.store.latest_articles(1, None).await.unwrap()[0].id;
    let summaries = site.store.machine_summaries();
    summaries.queue_machine_summaries(&[id], now).await.unwrap();
    let job = summaries.pending_machine_summaries(now, 10).await.unwrap()[0];
    let error = "http://127.0.0.1:8081/v1/chat/completions: answered HTTP 503: Loading model";
    summaries.record_machine_summary_failure(&job, now, error, None).await.unwrap();

    let page = send(&site, get_with("/admin", &cookie)).await.body;
    assert!(page.contains("Machine-written summaries that failed (1)"), "{page}");
    assert!(page.contains(&format!("<a href=\"/articles/{id}\">Tram &#60;vote&#62; delayed</a>")), "{page}");
    assert!(page.contains(error) && page.contains("1 failed attempt"), "{page}");
    assert!(page.contains("None: given up until the article"), "{page}");
}

/// An account with `role`, signed in to the site: its session cookie (`tidings_session=…`).
async fn account(site: &Site, name: &str, role: tidings_core::accounts::Role) -> (i64, String) {
    let now = chrono::Utc::now();
    let accounts = site.store.accounts();
    let user = accounts
        .create_user(tidings_core::accounts::NewUser {
            username: name.into(),
            email: None,
            password_hash: "not used: the session is made directly".into(),
            role,
            created_at: now,
        })
        .await
        .unwrap();
    let token = format!("session-of-{name}");
    let hash = tidings_community::tokens::hash(&token);
    accounts.create_session(&hash, user.id, now, now + chrono::Duration::days(1)).await.unwrap();
    (user.id, format!("tidings_session={token}"))
}

#[tokio::test]
async fn an_admin_account_works_admin_with_or_without_the_token() {
    use tidings_core::accounts::Role;
    for token in [TOKEN, ""] {
        let site = site(token).await;
        let (_, adele) = account(&site, "adele", Role::Admin).await;
        let (_, mona) = account(&site, "mona", Role::Moderator).await;

        let page = send(&site, get_with("/admin", &adele)).await;
        assert_eq!(page.status, StatusCode::OK, "{token:?}: {}", page.body);
        assert!(page.body.contains("Signed in to the site as adele") && page.body.contains("Gazette"), "{}", page.body);
        let csrf = csrf_of(&page.body);
        // The account's /admin forms carry /admin's own CSRF token, never the one the site's pages embed.
        let site_csrf = tidings_community::tokens::csrf_for("session-of-adele");
        assert_ne!(csrf, site_csrf);
        let refused = send(
            &site,
            form("/admin/sources", Some(&adele), &[("csrf", &site_csrf), ("url", "https://a.example/feed")]),
        );
        assert_eq!(refused.await.status, StatusCode::FORBIDDEN, "{token:?}");
        // Nor from another site, even with the right token.
        let cross = Request::post("/admin/sources")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "news.example")
            .header("sec-fetch-site", "cross-site")
            .header(header::COOKIE, &adele)
            .body(Body::from(format!("csrf={csrf}&url=https%3A%2F%2Fa.example%2Ffeed")))
            .unwrap();
        assert_eq!(send(&site, cross).await.status, StatusCode::FORBIDDEN, "{token:?}");
        let shown = act(&site, &adele, "/admin/sources", &[("csrf", &csrf), ("url", "https://a.example/feed")]).await;
        assert!(shown.contains("Added Outlet"), "{token:?}: {shown}");
        let remove = format!("/admin/sources/{}/remove", site.gazette);
        assert_eq!(send(&site, get_with(&remove, &adele)).await.status, StatusCode::OK);
        // The sources API takes the admin token only: not an admin account's cookie.
        let api =
            send(&site, Request::get("/api/v1/sources").header(header::COOKIE, &adele).body(Body::empty()).unwrap());
        assert_eq!(api.await.status, StatusCode::UNAUTHORIZED, "{token:?}");

        // A moderator is no admin: the sign-in form (or, with no token, the page saying how to get in), and no
        // form of theirs does anything, not even with the admin's CSRF token.
        let page = send(&site, get_with("/admin", &mona)).await;
        let expected = if token.is_empty() { StatusCode::NOT_FOUND } else { StatusCode::OK };
        assert_eq!(page.status, expected, "{token:?}: {}", page.body);
        assert!(!page.body.contains("Gazette"), "{token:?}: {}", page.body);
        let answer = send(&site, form(&remove, Some(&mona), &[("csrf", &csrf)])).await;
        assert!(answer.status == StatusCode::FORBIDDEN || answer.status == StatusCode::NOT_FOUND, "{token:?}");
        assert!(site.store.source(site.gazette).await.unwrap().is_some());

        // Signing out of /admin signs the account out of the site.
        let out = send(&site, form("/admin/logout", Some(&adele), &[("csrf", &csrf)])).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER, "{token:?}: {}", out.body);
        assert!(out.cookies().contains(&"tidings_session=".to_owned()), "{:?}", out.cookies());
        let after = send(&site, get_with("/admin", &adele)).await;
        assert!(!after.body.contains("Gazette"), "{token:?}: still signed in: {}", after.body);
        assert_eq!(send(&site, get_with("/account", &adele)).await.status, StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn a_banned_or_demoted_admin_account_is_out_at_once() {
    use tidings_core::accounts::Role;
    for token in [TOKEN, ""] {
        let site = site(token).await;
        let (adele_id, adele) = account(&site, "adele", Role::Admin).await;
        let (bruno_id, bruno) = account(&site, "bruno", Role::Admin).await;
        let csrf = csrf_of(&send(&site, get_with("/admin", &adele)).await.body);
        let bruno_csrf = csrf_of(&send(&site, get_with("/admin", &bruno)).await.body);
        assert_ne!(csrf, bruno_csrf, "each session has its own CSRF token");
        let poll = format!("/admin/sources/{}/poll", site.gazette);
        let crossed = send(&site, form(&poll, Some(&adele), &[("csrf", &bruno_csrf)])).await;
        assert_eq!(crossed.status, StatusCode::FORBIDDEN, "{token:?}: another session's token is refused");

        // Out: with a token configured, the sign-in form and 403 for forms; without one, 404 for both.
        let out = if token.is_empty() { StatusCode::NOT_FOUND } else { StatusCode::FORBIDDEN };
        let accounts = site.store.accounts();
        accounts.set_role(adele_id, Role::Reader).await.unwrap();
        let page = send(&site, get_with("/admin", &adele)).await;
        assert!(!page.body.contains("Gazette"), "{token:?}: {}", page.body);
        assert_eq!(send(&site, form(&poll, Some(&adele), &[("csrf", &csrf)])).await.status, out, "{token:?}");

        accounts.set_ban(bruno_id, Some(chrono::Utc::now() + chrono::Duration::days(1))).await.unwrap();
        let page = send(&site, get_with("/admin", &bruno)).await;
        assert!(!page.body.contains("Gazette"), "{token:?}: {}", page.body);
        assert_eq!(send(&site, form(&poll, Some(&bruno), &[("csrf", &bruno_csrf)])).await.status, out, "{token:?}");
    }
}

#[tokio::test]
async fn without_a_token_the_message_after_a_form_shows_whichever_process_renders_the_page() {
    use tidings_core::accounts::Role;
    let site = site("").await;
    let (_, adele) = account(&site, "adele", Role::Admin).await;
    let (_, bruno) = account(&site, "bruno", Role::Admin).await;
    let page = send(&site, get_with("/admin", &adele)).await;
    let csrf = csrf_of(&page.body);
    let answer =
        send(&site, form("/admin/sources", Some(&adele), &[("csrf", &csrf), ("url", "https://a.example/feed")]));
    let answer = answer.await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let flash = answer.cookies().into_iter().find(|c| c.starts_with("tidings_admin_flash=")).unwrap();

    // A second web process over the same database (its own random keys) shows the message to adele only.
    let other = AppState::new(site.store.clone())
        .with_admin_token("")
        .with_source_admin(Arc::new(TestAdmin { store: site.store.clone() }));
    let render = |cookie: String| {
        let other = other.clone();
        async move {
            let response = router(other).oneshot(get_with("/admin", &cookie)).await.unwrap();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            String::from_utf8(body.to_vec()).unwrap()
        }
    };
    let shown = render(format!("{adele}; {flash}")).await;
    assert!(shown.contains("class=\"flash") && shown.contains("Added Outlet"), "{shown}");
    let not_hers = render(format!("{bruno}; {flash}")).await;
    assert!(!not_hers.contains("class=\"flash"), "another session's message is not shown: {not_hers}");
}

#[tokio::test]
async fn an_admin_rates_a_sources_lean_from_its_row() {
    let site = site(TOKEN).await;
    let (cookie, csrf) = admin_session(&site).await;
    let id = site.gazette;
    let page = send(&site, get_with("/admin", &cookie)).await.body;
    assert!(page.contains(&format!("<label for=\"lean-{id}\"")), "the choice is labelled: {page}");
    assert!(page.contains("<option value=\"\" selected>Not rated</option>"), "{page}");

    let lean = format!("/admin/sources/{id}/lean");
    let message = act(&site, &cookie, &lean, &[("csrf", &csrf), ("lean", "lean-right")]).await;
    assert!(message.ends_with("lean Lean right."), "{message}");
    assert_eq!(site.store.source(id).await.unwrap().unwrap().lean, Some(tidings_core::Lean::LeanRight));
    let page = send(&site, get_with("/admin", &cookie)).await.body;
    assert!(page.contains("<option value=\"lean-right\" selected>Lean right</option>"), "{page}");

    let message = act(&site, &cookie, &lean, &[("csrf", &csrf), ("lean", "sideways")]).await;
    assert!(message.contains("is not a lean"), "{message}");
    assert_eq!(site.store.source(id).await.unwrap().unwrap().lean, Some(tidings_core::Lean::LeanRight), "unchanged");
    let message = act(&site, &cookie, &lean, &[("csrf", &csrf), ("lean", "")]).await;
    assert!(message.ends_with("lean Not rated."), "{message}");
    assert_eq!(site.store.source(id).await.unwrap().unwrap().lean, None);
}

#[tokio::test]
async fn an_admin_changes_a_sources_settings_on_its_page() {
    let site = site(TOKEN).await;
    let (cookie, csrf) = admin_session(&site).await;
    let id = site.gazette;
    let settings = format!("/admin/sources/{id}/settings");
    let admin = send(&site, get_with("/admin", &cookie)).await.body;
    assert!(admin.contains(&format!("href=\"{settings}\"")), "each row links to its settings: {admin}");

    let page = send(&site, get_with(&settings, &cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let page = page.body;
    for field in ["settings-category", "settings-extract", "settings-lean", "settings-skip"] {
        assert!(page.contains(&format!("<label for=\"{field}\"")), "{field} is labelled: {page}");
    }
    assert!(page.contains("value=\"Local\""), "the stored category is filled in: {page}");
    assert!(!page.contains("<script>") && !page.contains("style="));

    let fields = [
        ("csrf", csrf.as_str()),
        ("category", " Science "),
        ("extract", "always"),
        ("lean", "center"),
        ("skip_rules", "^sponsored\\b\r\n\r\n  \r\n - sponsored$\r\n"),
    ];
    let message = act(&site, &cookie, &settings, &fields).await;
    assert_eq!(message, "Gazette: settings saved.");
    let source = site.store.source(id).await.unwrap().unwrap();
    assert_eq!(source.category.as_deref(), Some("Science"));
    assert_eq!(source.extract_mode, tidings_core::ExtractMode::Always);
    assert_eq!(source.lean, Some(tidings_core::Lean::Center));
    assert_eq!(source.skip_rules, ["^sponsored\\b", " - sponsored$"], "one a line, blank lines left out, spaces kept");
    let page = send(&site, get_with(&settings, &cookie)).await.body;
    assert!(page.contains(">^sponsored\\b\n - sponsored$</textarea>"), "{page}");
    assert!(page.contains("<option value=\"center\" selected>") && page.contains("<option value=\"always\" selected>"));

    // A bad rule: the form comes back with what was typed and the fault, and nothing is saved.
    let typed = [
        ("csrf", csrf.as_str()),
        ("category", "World"),
        ("extract", "never"),
        ("lean", ""),
        ("skip_rules", "fine\nlive (blog"),
    ];
    let refused = send(&site, form(&settings, Some(&cookie), &typed)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Not saved: skip rule #2 &#34;live (blog&#34;: "), "{}", refused.body);
    assert!(refused.body.contains("value=\"World\"") && refused.body.contains(">fine\nlive (blog</textarea>"));
    assert_eq!(site.store.source(id).await.unwrap().unwrap(), source, "nothing of it is saved");
    for (field, value, says) in [("extract", "sometimes", "sometimes"), ("lean", "sideways", "is not a lean")] {
        let mut bad = fields;
        bad.iter_mut().find(|(name, _)| *name == field).unwrap().1 = value;
        let refused = send(&site, form(&settings, Some(&cookie), &bad)).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(refused.body.contains(says), "{field}: {}", refused.body);
    }

    // Clearing everything.
    let cleared = [("csrf", csrf.as_str()), ("category", ""), ("extract", "auto"), ("lean", ""), ("skip_rules", "")];
    act(&site, &cookie, &settings, &cleared).await;
    let source = site.store.source(id).await.unwrap().unwrap();
    assert_eq!((source.category, source.lean, source.skip_rules.len()), (None, None, 0));

    let missing = send(&site, get_with("/admin/sources/999999/settings", &cookie)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let message = act(&site, &cookie, "/admin/sources/999999/settings", &cleared).await;
    assert!(message.contains("999999"), "{message}");
    let signed_out = send(&site, Request::get(&settings).body(Body::empty()).unwrap()).await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER, "signed out: to the sign-in form");
}
