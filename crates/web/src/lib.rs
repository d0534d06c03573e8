//! Tidings' web server: server-rendered pages that work without JavaScript, and health endpoints.
//!
//! Every response carries a strict Content-Security-Policy (no inline script, no third-party anything),
//! `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` and `frame-ancestors 'none'`.
#![deny(missing_docs)]

pub mod admin;
pub mod aids;
pub mod api;
mod cache;
mod chart;
mod community;
mod cursor;
mod feeds_out;
pub mod images;
mod json_body;
mod lean;
mod pages;
mod search;
mod stories;
pub mod strings;
pub mod timefmt;
mod topics;

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::handler::Handler;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use metrics_exporter_prometheus::PrometheusHandle;
use strings::Strings;
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
    /// Reverse proxies whose `X-Forwarded-For` names the reader's address (`[web] trusted_proxies`).
    trusted_proxies: Arc<[tidings_core::config::IpRange]>,
    /// Whether this process has said that `X-Forwarded-For` came from a peer not in `trusted_proxies` (once).
    untrusted_forwarding_noted: Arc<std::sync::atomic::AtomicBool>,
    search: Option<Arc<dyn SearchIndex>>,
    images: Option<Arc<images::ImageProxy>>,
    briefs: Arc<aids::BriefCache>,
    asks: Arc<aids::AskLimits>,
    /// Seals readers' second-factor secrets in the database; without one they are stored plain.
    sealing_key: Option<Arc<tidings_community::totp::SealingKey>>,
    community: Arc<community::Community>,
    /// The catalogue every page's text comes from.
    strings: &'static Strings,
}

impl AppState {
    /// State over `store`.
    pub fn new(store: Arc<dyn Store>) -> AppState {
        AppState {
            store,
            metrics: None,
            request_ids: Arc::new(AtomicU64::new(1)),
            page_cache: None,
            admin: admin::auth::AdminAuth::accounts_only().map(Arc::new),
            source_admin: None,
            trusted_proxies: Arc::new([]),
            untrusted_forwarding_noted: Arc::default(),
            search: None,
            images: None,
            briefs: Arc::default(),
            asks: Arc::default(),
            sealing_key: None,
            community: Arc::default(),
            strings: &strings::EN,
        }
    }

    /// Shows the site in the language of `strings` (see [`strings::for_language`]); English without this call.
    pub fn with_strings(mut self, strings: &'static Strings) -> AppState {
        self.strings = strings;
        self
    }

    /// Turns on signing in to `/admin` and the sources API with `token` (the configuration has checked that it
    /// is long enough). An empty token leaves the sources API off and `/admin` to admin accounts.
    pub fn with_admin_token(mut self, token: &str) -> AppState {
        if token.is_empty() && self.admin.as_ref().is_some_and(|a| !a.token_configured()) {
            // `new` made the accounts-only keys already.
            return self;
        }
        let auth =
            if token.is_empty() { admin::auth::AdminAuth::accounts_only() } else { admin::auth::AdminAuth::new(token) };
        if auth.is_none() {
            tracing::error!("admin pages off: the system gave no random numbers for sessions");
        }
        self.admin = auth.map(Arc::new);
        self
    }

    /// Takes the reader's address from `X-Forwarded-For` on requests from these proxies (`[web]
    /// trusted_proxies`; the configuration has checked that each is an address or a range).
    pub fn with_trusted_proxies(mut self, proxies: &[String]) -> AppState {
        self.trusted_proxies = proxies.iter().filter_map(|p| tidings_core::config::IpRange::parse(p)).collect();
        self
    }

    /// Limits questions to `per_minute_per_ip` a minute from each address (0: no limit) and to `concurrent`
    /// answered at once (`[web] asks_per_minute_per_ip`, `max_concurrent_asks`); the defaults without this call.
    pub fn with_ask_limits(mut self, per_minute_per_ip: u32, concurrent: usize) -> AppState {
        self.asks = Arc::new(aids::AskLimits::new(per_minute_per_ip, concurrent));
        self
    }

    /// Seals the second-factor secrets readers set up from now on with `key` (and those stored plain, at their
    /// next sign-in); the secrets already sealed need it to be read. Without this call they are stored plain.
    pub fn with_sealing_key(mut self, key: tidings_community::totp::SealingKey) -> AppState {
        self.sealing_key = Some(Arc::new(key));
        self
    }

    /// Lends the admin pages and the sources API what adding, importing and polling sources need.
    pub fn with_source_admin(mut self, source_admin: Arc<dyn admin::SourceAdmin>) -> AppState {
        self.source_admin = Some(source_admin);
        self
    }

    /// Readers' accounts, comments and moderation by `config` (sign-up mode, limits, word filters); the
    /// defaults without this call.
    pub fn with_accounts(mut self, config: tidings_core::config::AccountsConfig) -> AppState {
        self.community = Arc::new(community::Community::new(config));
        self
    }

    /// Serves `/search` and `/api/v1/search` from `index`; without one they answer that search is off.
    pub fn with_search(mut self, index: Arc<dyn SearchIndex>) -> AppState {
        self.search = Some(index);
        self
    }

    /// Serves articles' images from our origin through `proxy`, and tightens the Content-Security-Policy to
    /// images of our own origin only. Without it, images load from their outlets over https.
    pub fn with_image_proxy(mut self, proxy: Arc<images::ImageProxy>) -> AppState {
        self.images = Some(proxy);
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
/// origin, and nothing fetched from elsewhere: articles' images come through the image proxy.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; worker-src 'self'; \
     manifest-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// As [`CONTENT_SECURITY_POLICY`], for a site run without the image proxy: articles' images load from their
/// outlets.
const CONTENT_SECURITY_POLICY_OUTLET_IMAGES: &str = "default-src 'none'; script-src 'self'; worker-src 'self'; \
     manifest-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// Every route of the site with its method, as [`router`] serves them: tests walk it to check that every
/// state-changing route refuses whom it should.
pub fn route_table() -> Vec<(Method, &'static str)> {
    app_routes().table
}

/// A router that records each route it is given, so the list of routes comes from the router itself.
pub(crate) struct Routes {
    router: Router<AppState>,
    table: Vec<(Method, &'static str)>,
}

macro_rules! route_methods {
    ($($name:ident => $method:ident),*) => {$(
        pub(crate) fn $name<H, T>(self, path: &'static str, handler: H) -> Routes
        where
            H: Handler<T, AppState>,
            T: 'static,
        {
            self.on(Method::$method, path, axum::routing::$name(handler))
        }
    )*};
}

impl Routes {
    pub(crate) fn new() -> Routes {
        Routes { router: Router::new(), table: Vec::new() }
    }

    route_methods!(get => GET, post => POST, put => PUT, patch => PATCH, delete => DELETE);

    fn on(mut self, method: Method, path: &'static str, route: MethodRouter<AppState>) -> Routes {
        self.table.push((method, path));
        self.router = self.router.route(path, route);
        self
    }

    /// Adds `group`'s routes, with `wrap` applied to them only (a layer of their own).
    pub(crate) fn group(mut self, group: Routes, wrap: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Routes {
        self.table.extend(group.table);
        self.router = self.router.merge(wrap(group.router));
        self
    }
}

fn app_routes() -> Routes {
    Routes::new()
        .get("/", pages::index)
        .get("/articles/{id}", pages::article)
        .get("/stories", stories::stories)
        .get("/stories/{id}", stories::story)
        .get("/blindspots", lean::blindspots)
        .get("/stories/{id}/feed.atom", feeds_out::story)
        .get("/feeds/top.atom", feeds_out::top)
        .get("/topics", topics::topics)
        .get("/topics/{name}", topics::topic)
        .get("/topics/{name}/feed.atom", feeds_out::topic)
        .get("/search", search::page)
        .get("/search/feed.atom", search::feed)
        .get("/api/openapi.json", api::openapi)
        .get("/api/v1/search", search::api)
        .get("/api/v1/articles", api::list_articles)
        .get("/api/v1/articles/{id}", api::get_article)
        .get("/api/v1/stories", api::list_stories)
        .get("/api/v1/stories/{id}", api::get_story)
        .get("/api/v1/blindspots", lean::api_blindspots)
        .get("/api/v1/outlets", api::list_outlets)
        .get("/api/v1/outlets/{id}", api::get_outlet)
        .get("/api/v1/topics", api::list_topics)
        .get("/api/v1/topics/{name}/articles", api::topic_articles)
        .get("/api/{*rest}", api::unknown)
        .get("/img/{signature}/{url}", images::serve)
        .get("/entities", aids::entities)
        .get("/entities/{kind}/{name}", aids::entity)
        .get("/ask", aids::ask_page)
        .get("/api/v1/entities", aids::api_entities)
        .get("/api/v1/entities/{kind}/{name}", aids::api_entity)
        .get("/api/v1/ask", aids::ask_api)
        .get("/sources", pages::sources)
        .get("/sources/{id}", pages::source)
        .get("/static/site.css", stylesheet)
        .get("/static/app.js", || asset("text/javascript; charset=utf-8", include_str!("../static/app.js")))
        .get("/static/icon.svg", || asset("image/svg+xml", include_str!("../static/icon.svg")))
        .get("/manifest.webmanifest", manifest)
        .get("/sw.js", service_worker)
        .get("/healthz", || async { "ok" })
        .get("/readyz", pages::ready)
        .get("/metrics", metrics)
        .group(admin::routes(), |group| {
            group.layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        })
        .group(community::routes(), |group| {
            group.layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        })
}

/// The application's routes with their security headers.
pub fn router(state: AppState) -> Router {
    let cache_state = state.clone();
    let policy = if state.images.is_some() { CONTENT_SECURITY_POLICY } else { CONTENT_SECURITY_POLICY_OUTLET_IMAGES };
    app_routes()
        .router
        .fallback(pages::not_found)
        .method_not_allowed_fallback(pages::method_not_allowed)
        .with_state(state)
        // If not present: a proxied image sets its own, stricter one.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(policy),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(axum::middleware::from_fn(private_when_signed_in))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        // Outermost: a page served from the cache skips the rest, its headers included, which were kept with it.
        .layer(axum::middleware::from_fn_with_state(cache_state, cache::layer))
}

/// A page answered to a signed-in reader holds their forms and tokens (and maybe their held comments): no
/// cache (the browser's, a proxy's, the service worker's) may keep it. Static files stay cacheable. A session
/// the request extended gets its cookie extended too.
async fn private_when_signed_in(mut request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let signed_in = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.contains(community::session::SESSION_COOKIE)));
    let asset = request.uri().path().starts_with("/static/");
    let renewal = community::session::CookieRenewal::default();
    if signed_in {
        request.extensions_mut().insert(renewal.clone());
    }
    let mut response = next.run(request).await;
    if signed_in && !asset {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    renewal.apply(&mut response);
    response
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

/// `text` as a JSON (and JavaScript) string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            // Escaped so the text cannot close a `<script>` or break a line in JavaScript.
            c if (c as u32) < 0x20 || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The web app manifest, with the name and description in the site's language.
async fn manifest(State(state): State<AppState>) -> Response {
    let t = state.strings;
    let body = include_str!("../static/manifest.webmanifest")
        .replace("\"__LANG__\"", &json_string(t.lang))
        .replace("\"__NAME__\"", &json_string(t.site_name))
        .replace("\"__DESCRIPTION__\"", &json_string(t.app_description));
    ([(header::CONTENT_TYPE, "application/manifest+json"), (header::CACHE_CONTROL, "public, max-age=3600")], body)
        .into_response()
}

/// The service worker is served from the root so its scope is the whole site; it is revalidated on every
/// load so a new version replaces the old one at once. Its one message comes from the catalogue.
async fn service_worker(State(state): State<AppState>) -> Response {
    let body = include_str!("../static/sw.js").replace("\"__OFFLINE__\"", &json_string(state.strings.offline));
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], body)
        .into_response()
}

/// Serves `router` on `listener` until `shutdown` is cancelled, letting requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    // The peer's address reaches handlers for the per-address limits on comments and sign-ins.
    axum::serve(listener, router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

/// An error page, in the language of `t`. Internal failures show only a request id; the cause goes to the log.
pub(crate) struct PageError {
    t: &'static Strings,
    kind: PageErrorKind,
}

enum PageErrorKind {
    /// What is not there, as a sentence for the reader.
    NotFound(String),
    Internal {
        request_id: String,
    },
}

impl PageError {
    /// A 404 page saying `message` (from the catalogue).
    pub(crate) fn not_found(state: &AppState, message: String) -> PageError {
        PageError { t: state.strings, kind: PageErrorKind::NotFound(message) }
    }

    pub(crate) fn internal(state: &AppState, error: &dyn std::fmt::Display) -> PageError {
        let request_id = state.next_request_id();
        tracing::error!(%request_id, %error, "request failed");
        PageError { t: state.strings, kind: PageErrorKind::Internal { request_id } }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let t = self.t;
        let (status, heading, message) = match self.kind {
            PageErrorKind::NotFound(what) => (StatusCode::NOT_FOUND, t.not_found, what),
            PageErrorKind::Internal { request_id } => {
                (StatusCode::INTERNAL_SERVER_ERROR, t.internal_error, t.with(t.internal_error_message, request_id))
            }
        };
        pages::message_page(t, status, heading, message)
    }
}
