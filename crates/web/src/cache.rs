//! A short-lived cache of rendered public pages ("micro-caching").
//!
//! A news site's pages are read far more often than they change: a story page that many readers open in the
//! same few seconds is rendered once and its bytes served to all of them. Entries live for
//! `web.page_cache_secs` (a few seconds). When an entry expires, the next request renders the page again and the
//! readers arriving meanwhile get the expired copy, so a popular page is not rendered by everyone at once; a
//! page is never served more than twice that delay old, and a page that stops rendering (a removed article)
//! is dropped at once.
//!
//! Only what is the same for every reader is cached: GET requests without cookies or credentials, to the
//! public pages, feeds and read-only API listed in [`cacheable`], answered 200 without `Set-Cookie`. Anything
//! else (other routes, errors, redirects, personal requests) goes to its handler every time. Memory is
//! bounded by [`MAX_BYTES`] of bodies and keys, and a request whose path and query is longer than
//! [`MAX_KEY_BYTES`] is not cached. The Atom feeds hold absolute links built from the request's `Host` when no
//! public URL is configured, so their key starts with that origin: a forged `Host` only ever reaches the
//! copy kept for that same forged host.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// Bodies kept at most, in bytes; past this, expired entries are dropped, then everything.
const MAX_BYTES: usize = 64 * 1024 * 1024;
/// A response larger than this is not kept (nor read into memory to be kept).
const MAX_ENTRY_BYTES: usize = 4 * 1024 * 1024;
/// A request whose path and query is longer than this is not cached: no reader's link is that long, and junk
/// queries would otherwise fill the cache with keys far larger than their pages.
const MAX_KEY_BYTES: usize = 2048;

/// The rendered pages of the last few seconds, by path and query.
pub(crate) struct PageCache {
    ttl: Duration,
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Entry>,
    bytes: usize,
}

#[derive(Clone)]
struct Entry {
    stored: Instant,
    /// Set while one request renders the page again; the others are served this copy meanwhile.
    refreshing: bool,
    headers: HeaderMap,
    body: Bytes,
}

/// What the cache has for a request.
enum Lookup {
    /// A page to serve.
    Hit(Entry),
    /// Nothing usable: this request renders the page (and keeps it).
    Miss,
}

impl PageCache {
    /// A cache whose entries live for `ttl`.
    pub(crate) fn new(ttl: Duration) -> PageCache {
        PageCache { ttl, inner: Mutex::new(Entries::default()) }
    }

    /// A fresh entry is served. Once it expires, the first request renders the page again while the others are
    /// served the expired copy, for at most another `ttl`: a popular page is never rendered by every waiting
    /// reader at once.
    fn lookup(&self, key: &str, now: Instant) -> Lookup {
        let Ok(mut entries) = self.inner.lock() else { return Lookup::Miss };
        let Some(entry) = entries.map.get_mut(key) else { return Lookup::Miss };
        let age = now.saturating_duration_since(entry.stored);
        if age < self.ttl {
            return Lookup::Hit(entry.clone());
        }
        if age >= 2 * self.ttl {
            return Lookup::Miss;
        }
        // Someone is rendering it already (if they never finish, say the reader left, the copy ages out).
        if entry.refreshing {
            return Lookup::Hit(entry.clone());
        }
        entry.refreshing = true;
        Lookup::Miss
    }

    fn put(&self, key: String, entry: Entry) {
        let Ok(mut entries) = self.inner.lock() else { return };
        let size = footprint(&key, &entry);
        if entries.bytes + size > MAX_BYTES {
            let limit = 2 * self.ttl;
            let now = Instant::now();
            entries.map.retain(|_, e| now.saturating_duration_since(e.stored) < limit);
            entries.bytes = entries.map.iter().map(|(k, e)| footprint(k, e)).sum();
            if entries.bytes + size > MAX_BYTES {
                entries.map.clear();
                entries.bytes = 0;
            }
        }
        if let Some(old) = entries.map.remove(&key) {
            entries.bytes -= footprint(&key, &old);
        }
        entries.map.insert(key, entry);
        entries.bytes += size;
    }

    /// A refresh that was turned away: the copy stays, and the next reader may refresh it.
    fn refresh_failed(&self, key: &str) {
        let Ok(mut entries) = self.inner.lock() else { return };
        if let Some(entry) = entries.map.get_mut(key) {
            entry.refreshing = false;
        }
    }

    /// Forgets a page that no longer renders (gone, or failing), so no expired copy of it is served.
    fn remove(&self, key: &str) {
        let Ok(mut entries) = self.inner.lock() else { return };
        if let Some(old) = entries.map.remove(key) {
            entries.bytes -= footprint(key, &old);
        }
    }
}

/// The memory an entry is counted for: its body, its key and its headers.
fn footprint(key: &str, entry: &Entry) -> usize {
    let headers: usize = entry.headers.iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    key.len() + headers + entry.body.len()
}

/// The routes whose answers are the same for every reader: the reading pages, the feeds out and the read-only
/// API. Search, admin and operator endpoints are not among them.
fn cacheable(path: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "/articles/",
        "/stories",
        "/blindspots",
        "/topics",
        "/sources",
        "/feeds/",
        "/api/v1/articles",
        "/api/v1/stories",
        "/api/v1/blindspots",
        "/api/v1/outlets",
        "/api/v1/topics",
        "/entities",
        "/api/v1/entities",
        "/ask",
        "/api/v1/ask",
    ];
    path == "/" || PREFIXES.iter().any(|p| path.starts_with(p))
}

/// Middleware: answers from the cache when it can, and keeps what it may.
pub(crate) async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(cache) = state.page_cache.as_deref() else { return next.run(request).await };
    let personal =
        request.headers().contains_key(header::COOKIE) || request.headers().contains_key(header::AUTHORIZATION);
    if request.method() != Method::GET || personal || !cacheable(request.uri().path()) {
        return next.run(request).await;
    }
    let path_and_query = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or_default();
    if path_and_query.len() > MAX_KEY_BYTES {
        return next.run(request).await;
    }
    let key = if request.uri().path().ends_with(".atom") {
        format!("{}{path_and_query}", crate::feeds_out::origin(&state, request.headers()))
    } else {
        path_and_query.to_owned()
    };
    if let Lookup::Hit(entry) = cache.lookup(&key, Instant::now()) {
        let mut response = Response::new(Body::from(entry.body));
        *response.headers_mut() = entry.headers;
        return response;
    }
    let response = next.run(request).await;
    if matches!(response.status(), StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE) {
        // Turned away under load (the Ask limits): the page has not changed, so its copy keeps serving everyone
        // else, and the next reader after this one tries the refresh again.
        cache.refresh_failed(&key);
        return response;
    }
    if response.status() != StatusCode::OK || response.headers().contains_key(header::SET_COOKIE) {
        cache.remove(&key);
        return response;
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, MAX_ENTRY_BYTES).await {
        Ok(bytes) => {
            let entry = Entry {
                stored: Instant::now(),
                refreshing: false,
                headers: parts.headers.clone(),
                body: bytes.clone(),
            };
            cache.put(key, entry);
            Response::from_parts(parts, Body::from(bytes))
        }
        // Too large to keep, or the body failed: the reader gets an error rather than half a page.
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::http::HeaderValue;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    /// A router whose handlers count their calls, behind the cache layer.
    async fn counting_app(ttl: Duration) -> (Router, Arc<AtomicUsize>) {
        let store = tidings_store::open("sqlite::memory:").await.unwrap();
        let state = AppState::new(store).with_page_cache(ttl);
        let calls = Arc::new(AtomicUsize::new(0));
        let (a, b) = (calls.clone(), calls.clone());
        let app = Router::new()
            .route(
                "/stories/{id}",
                get(move || async move { format!("story, rendering {}", a.fetch_add(1, Ordering::SeqCst)) }),
            )
            .route(
                "/articles/{id}",
                get(move || async move {
                    b.fetch_add(1, Ordering::SeqCst);
                    StatusCode::NOT_FOUND
                }),
            )
            .layer(axum::middleware::from_fn_with_state(state, layer));
        (app, calls)
    }

    async fn get_page(app: &Router, path: &str, cookie: bool) -> (StatusCode, String) {
        let mut request = Request::builder().uri(path).body(Body::empty()).unwrap();
        if cookie {
            request.headers_mut().insert(header::COOKIE, HeaderValue::from_static("session=abc"));
        }
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_page_is_rendered_once_per_ttl_for_anonymous_readers() {
        let (app, calls) = counting_app(Duration::from_secs(60)).await;
        let first = get_page(&app, "/stories/1", false).await;
        let second = get_page(&app, "/stories/1", false).await;
        assert_eq!(first, (StatusCode::OK, "story, rendering 0".to_owned()));
        assert_eq!(second, first);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Another address is another page.
        get_page(&app, "/stories/2", false).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn personal_requests_and_errors_are_never_cached() {
        let (app, calls) = counting_app(Duration::from_secs(60)).await;
        get_page(&app, "/stories/1", true).await;
        get_page(&app, "/stories/1", true).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // A reader with a cookie does not fill the cache for the others either.
        assert_eq!(get_page(&app, "/stories/1", false).await.1, "story, rendering 2");
        get_page(&app, "/articles/1", false).await;
        get_page(&app, "/articles/1", false).await;
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn without_a_ttl_nothing_is_kept() {
        let (app, calls) = counting_app(Duration::ZERO).await;
        get_page(&app, "/stories/1", false).await;
        get_page(&app, "/stories/1", false).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    fn entry(body: &'static str, stored: Instant) -> Entry {
        Entry { stored, refreshing: false, headers: HeaderMap::new(), body: Bytes::from_static(body.as_bytes()) }
    }

    fn hit(cache: &PageCache, key: &str, at: Instant) -> bool {
        matches!(cache.lookup(key, at), Lookup::Hit(_))
    }

    #[test]
    fn entries_expire_and_one_reader_renders_them_again() {
        let cache = PageCache::new(Duration::from_secs(5));
        let now = Instant::now();
        let at = |secs| now + Duration::from_secs(secs);
        cache.put("/".to_owned(), entry("home", now));
        assert!(hit(&cache, "/", at(4)));
        assert!(!hit(&cache, "/other", now));
        // Expired: the first reader renders it, the next ones get the old copy meanwhile.
        assert!(!hit(&cache, "/", at(5)));
        assert!(hit(&cache, "/", at(6)));
        assert!(hit(&cache, "/", at(9)));
        // A copy twice the delay old is not served at all, render or not.
        assert!(!hit(&cache, "/", at(10)));
        cache.put("/".to_owned(), entry("home again", at(10)));
        assert!(hit(&cache, "/", at(11)));
        cache.remove("/");
        assert!(!hit(&cache, "/", at(11)));
    }

    #[test]
    fn a_refresh_turned_away_under_load_keeps_the_copy_for_the_others() {
        let cache = PageCache::new(Duration::from_secs(5));
        let now = Instant::now();
        let at = |secs| now + Duration::from_secs(secs);
        cache.put("/ask?q=x".to_owned(), entry("answer", now));
        assert!(!hit(&cache, "/ask?q=x", at(6)), "expired: this reader refreshes it");
        cache.refresh_failed("/ask?q=x");
        assert!(!hit(&cache, "/ask?q=x", at(7)), "the next reader may try the refresh again");
        assert!(hit(&cache, "/ask?q=x", at(7)), "the others still get the copy");
    }

    #[test]
    fn only_public_pages_are_cacheable() {
        assert!(cacheable("/"));
        assert!(cacheable("/articles/12"));
        assert!(cacheable("/stories/3"));
        assert!(cacheable("/api/v1/stories"));
        assert!(!cacheable("/admin"));
        assert!(!cacheable("/api/v1/sources"));
        assert!(!cacheable("/search"));
        assert!(!cacheable("/metrics"));
        assert!(!cacheable("/readyz"));
    }

    #[test]
    fn memory_stays_bounded() {
        let cache = PageCache::new(Duration::from_secs(60));
        let big: &'static str = Box::leak("x".repeat(MAX_BYTES / 3 + 1).into_boxed_str());
        for i in 0..10 {
            cache.put(format!("/articles/{i}"), entry(big, Instant::now()));
        }
        let entries = cache.inner.lock().unwrap();
        assert!(entries.bytes <= MAX_BYTES);
        assert_eq!(entries.bytes, entries.map.iter().map(|(k, e)| footprint(k, e)).sum::<usize>());
    }

    #[tokio::test]
    async fn a_path_longer_than_any_link_is_rendered_every_time_not_kept() {
        let (app, calls) = counting_app(Duration::from_secs(60)).await;
        let long = format!("/stories/1?{}", "x".repeat(MAX_KEY_BYTES));
        assert_eq!(get_page(&app, &long, false).await, (StatusCode::OK, "story, rendering 0".to_owned()));
        assert_eq!(get_page(&app, &long, false).await, (StatusCode::OK, "story, rendering 1".to_owned()));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn keys_and_headers_count_against_the_bound() {
        let cache = PageCache::new(Duration::from_secs(60));
        let key = format!("/api/v1/topics?{}", "x".repeat(2000));
        cache.put(key.clone(), entry("[]", Instant::now()));
        let entries = cache.inner.lock().unwrap();
        assert!(entries.bytes >= key.len() + 2, "{}", entries.bytes);
    }
}
