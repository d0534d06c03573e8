//! Tidings' web server: server-rendered pages that work without JavaScript, and health endpoints.
//!
//! Every response carries a strict Content-Security-Policy (no inline script, no third-party anything),
//! `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` and `frame-ancestors 'none'`.
#![deny(missing_docs)]

pub mod admin;
pub mod api;
mod cache;
mod chart;
mod cursor;
mod feeds_out;
mod pages;
mod search;
mod stories;
pub mod timefmt;
mod topics;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use tidings_core::{SearchIndex, Store};
use tokio_util::sync::CancellationToken;
use tower_http::set_header::SetResponseHeaderLayer;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    metrics: Option<PrometheusHandle>,
    request_ids: Arc<AtomicU64>,
    page_cache: Option<Arc<cache::PageCache>>,
    admin: Option<Arc<admin::auth::AdminAuth>>,
    source_admin: Option<Arc<dyn admin::SourceAdmin>>,
    search: Option<Arc<dyn SearchIndex>>,
}

impl AppState {
    /// State over `store`.
    pub fn new(store: Arc<dyn Store>) -> AppState {
        AppState {
            store,
            metrics: None,
            request_ids: Arc::new(AtomicU64::new(1)),
            page_cache: None,
            admin: None,
            source_admin: None,
            search: None,
        }
    }

    /// Turns on `/admin` and the sources API, signed in with `token` (the configuration has checked that it is
    /// long enough). An empty token leaves them off.
    pub fn with_admin_token(mut self, token: &str) -> AppState {
        self.admin = if token.is_empty() { None } else { admin::auth::AdminAuth::new(token).map(Arc::new) };
        if self.admin.is_none() && !token.is_empty() {
            tracing::error!("admin pages off: the system gave no random numbers for sessions");
        }
        self
    }

    /// Lends the admin pages and the sources API what adding, importing and polling sources need.
    pub fn with_source_admin(mut self, source_admin: Arc<dyn admin::SourceAdmin>) -> AppState {
        self.source_admin = Some(source_admin);
        self
    }

    /// Serves `/search` and `/api/v1/search` from `index`; without one they answer that search is off.
    pub fn with_search(mut self, index: Arc<dyn SearchIndex>) -> AppState {
        self.search = Some(index);
        self
    }

    /// Keeps each public page for `ttl` once rendered, and serves those bytes to every reader who asks in that
    /// time (see `cache.rs`). A zero `ttl` keeps nothing; without this call nothing is kept either.
    pub fn with_page_cache(mut self, ttl: std::time::Duration) -> AppState {
        self.page_cache = (!ttl.is_zero()).then(|| Arc::new(cache::PageCache::new(ttl)));
        self
    }

    /// Serves the process's metrics at `/metrics` in Prometheus' text format.
    pub fn with_metrics(mut self, handle: PrometheusHandle) -> AppState {
        self.metrics = Some(handle);
        self
    }

    fn next_request_id(&self) -> String {
        let n = self.request_ids.fetch_add(1, Ordering::Relaxed);
        format!("{:x}-{n}", std::process::id())
    }
}

/// Scripts only from our own files (no inline script anywhere), the service worker and manifest from our own
/// origin, and nothing fetched from elsewhere but the outlets' images.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; worker-src 'self'; \
     manifest-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// The application's routes with their security headers.
pub fn router(state: AppState) -> Router {
    let cache_state = state.clone();
    Router::new()
        .route("/", get(pages::index))
        .route("/articles/{id}", get(pages::article))
        .route("/stories", get(stories::stories))
        .route("/stories/{id}", get(stories::story))
        .route("/stories/{id}/feed.atom", get(feeds_out::story))
        .route("/feeds/top.atom", get(feeds_out::top))
        .route("/topics", get(topics::topics))
        .route("/topics/{name}", get(topics::topic))
        .route("/topics/{name}/feed.atom", get(feeds_out::topic))
        .route("/search", get(search::page))
        .route("/search/feed.atom", get(search::feed))
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/v1/search", get(search::api))
        .route("/api/v1/articles", get(api::list_articles))
        .route("/api/v1/articles/{id}", get(api::get_article))
        .route("/api/v1/stories", get(api::list_stories))
        .route("/api/v1/stories/{id}", get(api::get_story))
        .route("/api/v1/outlets", get(api::list_outlets))
        .route("/api/v1/outlets/{id}", get(api::get_outlet))
        .route("/api/v1/topics", get(api::list_topics))
        .route("/api/v1/topics/{name}/articles", get(api::topic_articles))
        .route("/api/{*rest}", get(api::unknown))
        .route("/sources", get(pages::sources))
        .route("/sources/{id}", get(pages::source))
        .route("/static/site.css", get(stylesheet))
        .route("/static/app.js", get(|| asset("text/javascript; charset=utf-8", include_str!("../static/app.js"))))
        .route("/static/icon.svg", get(|| asset("image/svg+xml", include_str!("../static/icon.svg"))))
        .route(
            "/manifest.webmanifest",
            get(|| asset("application/manifest+json", include_str!("../static/manifest.webmanifest"))),
        )
        .route("/sw.js", get(service_worker))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(pages::ready))
        .route("/metrics", get(metrics))
        .merge(admin::routes())
        .fallback(pages::not_found)
        .with_state(state)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        // Outermost: a page served from the cache skips the rest, its headers included, which were kept with it.
        .layer(axum::middleware::from_fn_with_state(cache_state, cache::layer))
}

async fn metrics(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(handle) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()).into_response(),
        None => (StatusCode::NOT_FOUND, "metrics are not enabled in this process").into_response(),
    }
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../static/site.css"),
    )
        .into_response()
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// The service worker is served from the root so its scope is the whole site; it is revalidated on every
/// load so a new version replaces the old one at once.
async fn service_worker() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
        include_str!("../static/sw.js"),
    )
        .into_response()
}

/// Serves `router` on `listener` until `shutdown` is cancelled, letting requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(async move { shutdown.cancelled().await }).await
}

/// An error page. Internal failures show only a request id; the cause goes to the log.
pub(crate) enum PageError {
    NotFound(String),
    Internal { request_id: String },
}

impl PageError {
    pub(crate) fn internal(state: &AppState, error: &dyn std::fmt::Display) -> PageError {
        let request_id = state.next_request_id();
        tracing::error!(%request_id, %error, "request failed");
        PageError::Internal { request_id }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, heading, message) = match self {
            PageError::NotFound(what) => (StatusCode::NOT_FOUND, "Not found".to_owned(), what),
            PageError::Internal { request_id } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong".to_owned(),
                format!("The server could not answer this request. Request id: {request_id}."),
            ),
        };
        match pages::render(&pages::ErrorPage { heading, message: message.clone() }) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, message).into_response(),
        }
    }
}
