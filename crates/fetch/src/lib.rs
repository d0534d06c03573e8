//! Polite, safe HTTP for Tidings' sources.
//!
//! [`Fetcher::fetch`] does one conditional GET: it sends the stored validators (ETag / Last-Modified) and
//! returns [`FetchResponse::NotModified`] on 304; it accepts gzip, brotli and deflate; it follows at most
//! `fetch.max_redirects` redirects; it stops reading once the *decompressed* body passes
//! `fetch.max_body_bytes` (so a 50 MB page and a gzip bomb both fail fast); it keeps at most
//! `fetch.per_host_concurrency` requests in flight per host; it identifies itself with the configured
//! User-Agent; it ignores system proxies; and it refuses to reach internal addresses (see [`guard`]) unless
//! `fetch.allow_private_networks` is set.
//!
//! When to fetch again is [`schedule`]'s business: adaptive intervals from a source's publishing rhythm and
//! exponential backoff after errors, honouring `Retry-After` (see [`FetchError::retry_after`]).
//!
//! [`llm`] is the one other HTTP client: the optional machine-written summaries, asked of an operator-configured
//! OpenAI-compatible endpoint.
#![deny(missing_docs)]

mod error;
pub mod guard;
pub mod llm;
pub mod schedule;

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{StatusCode, redirect};
use tidings_core::config::FetchConfig;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

pub use error::FetchError;
use guard::{Guard, GuardedResolver, Refused};

/// What we would like back, best first: feeds, then HTML pages (for feed discovery and article pages).
const ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
    application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, \
    text/html;q=0.7, */*;q=0.5";

/// The validators stored from a source's last successful fetch, sent back to make the request conditional.
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` header of the last response, sent as `If-None-Match`.
    pub etag: Option<String>,
    /// The `Last-Modified` header of the last response, sent as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

/// The outcome of a successful fetch.
#[derive(Debug, Clone)]
pub enum FetchResponse {
    /// 304: nothing changed since the validators were stored.
    NotModified {
        /// The URL after redirects.
        final_url: String,
    },
    /// A 2xx answer with its body.
    Ok(FetchedBody),
}

/// A 2xx response: the decompressed body and the headers the later stages need.
#[derive(Debug, Clone)]
pub struct FetchedBody {
    /// The URL after redirects (relative links in the body resolve against it).
    pub final_url: String,
    /// The HTTP status (2xx).
    pub status: u16,
    /// The decompressed body, at most `fetch.max_body_bytes` long.
    pub body: Bytes,
    /// `Content-Type`, e.g. `application/rss+xml; charset=utf-8`.
    pub content_type: Option<String>,
    /// `Content-Language`.
    pub content_language: Option<String>,
    /// `Content-Location`.
    pub content_location: Option<String>,
    /// `ETag`, to store as a validator.
    pub etag: Option<String>,
    /// `Last-Modified`, to store as a validator.
    pub last_modified: Option<String>,
}

impl FetchedBody {
    /// The validators to store for the next conditional fetch.
    pub fn validators(&self) -> Validators {
        Validators { etag: self.etag.clone(), last_modified: self.last_modified.clone() }
    }
}

/// Builds a [`Fetcher`] with settings beyond [`FetchConfig`]. The defaults are the safe ones; each knob
/// here widens what may be reached, for one exact address or name at a time.
#[derive(Debug, Clone)]
pub struct FetcherBuilder {
    config: FetchConfig,
    allowed: Vec<IpAddr>,
    static_hosts: HashMap<String, Vec<IpAddr>>,
}

impl FetcherBuilder {
    /// Lets the SSRF guard pass this exact address even though it is internal (for example the tests'
    /// fixture server on 127.0.0.1, or one trusted intranet feed server), while everything else stays
    /// refused. Unlike `allow_private_networks`, a redirect to any *other* internal address is still blocked.
    pub fn allow_address(mut self, ip: IpAddr) -> Self {
        if !self.allowed.contains(&ip) {
            self.allowed.push(ip);
        }
        self
    }

    /// Answers DNS lookups of `name` with `ips` instead of asking the system resolver. The answers still go
    /// through the SSRF guard, exactly as real DNS answers do (tests use this to give a name a private
    /// address).
    pub fn resolve_host(mut self, name: &str, ips: &[IpAddr]) -> Self {
        self.static_hosts.insert(name.trim_end_matches('.').to_ascii_lowercase(), ips.to_vec());
        self
    }

    /// Builds the fetcher.
    pub fn build(self) -> Result<Fetcher, FetchError> {
        ensure_crypto_provider();
        let config = self.config;
        let guard = Arc::new(Guard { enabled: !config.allow_private_networks, allowed: self.allowed });
        let resolver = GuardedResolver { guard: guard.clone(), static_hosts: Arc::new(self.static_hosts) };
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT));
        // A zero timeout would fail every fetch; never waiting forever is the polite reading of "no limit".
        let secs = |s: u64| Duration::from_secs(s.max(1));
        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.as_str())
            .default_headers(headers)
            .connect_timeout(secs(config.connect_timeout_secs))
            .timeout(secs(config.timeout_secs))
            .redirect(redirect_policy(guard.clone(), config.max_redirects))
            // The source's URL is nobody else's business.
            .referer(false)
            // A proxy would connect on our behalf to addresses the guard never sees.
            .no_proxy()
            .dns_resolver(resolver)
            .build()
            .map_err(|e| FetchError::Setup { reason: error_chain(&e) })?;
        Ok(Fetcher {
            inner: Arc::new(Inner {
                client,
                guard,
                max_body_bytes: config.max_body_bytes,
                hosts: HostLimiter::new(config.per_host_concurrency),
            }),
        })
    }
}

/// reqwest is built with `rustls-no-provider`, so a rustls crypto provider must be installed before the
/// first client is built; ring needs no C toolchain. Installing the process default is idempotent: if
/// something else (another fetcher, the binary) already installed one, that one is used.
fn ensure_crypto_provider() {
    install_crypto_provider();
}

/// Installs ring as the process's rustls crypto provider, unless one is installed already: for other reqwest
/// clients of the process (benchmarks) built before any [`Fetcher`].
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // An error only means another thread installed a provider between the check and here: fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// The HTTP client for sources. Cheap to clone; clones share connections and per-host limits.
#[derive(Debug, Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    guard: Arc<Guard>,
    max_body_bytes: u64,
    hosts: HostLimiter,
}

impl Fetcher {
    /// A fetcher with the given settings and the SSRF guard as configured.
    pub fn new(config: &FetchConfig) -> Result<Fetcher, FetchError> {
        Fetcher::builder(config).build()
    }

    /// A builder for settings beyond [`FetchConfig`] (exact address allowances, fixed DNS answers).
    pub fn builder(config: &FetchConfig) -> FetcherBuilder {
        FetcherBuilder { config: config.clone(), allowed: Vec::new(), static_hosts: HashMap::new() }
    }

    /// Fetches `url` with a GET made conditional by `validators`.
    ///
    /// The per-host limit is taken on `url`'s host and held for the whole fetch, redirects included (a
    /// hop to another host counts against the host the source names). Error statuses other than 304 are
    /// errors: 410 is [`FetchError::Gone`], the rest [`FetchError::Status`] with any `Retry-After`.
    pub async fn fetch(&self, url: &str, validators: &Validators) -> Result<FetchResponse, FetchError> {
        LAST_HOP.scope(RefCell::new(None), self.fetch_in_scope(url, validators)).await
    }

    async fn fetch_in_scope(&self, url: &str, validators: &Validators) -> Result<FetchResponse, FetchError> {
        let parsed = self.check_url(url)?;
        // Held until the body is read: the limit is on connections we keep busy, not on requests started.
        let _permit = self.inner.hosts.acquire(parsed.host_str().unwrap_or_default()).await;

        let mut request = self.inner.client.get(parsed.clone());
        // A validator that is not a valid header value (hand-edited in the database?) is dropped: the fetch
        // is then merely unconditional, which is always correct.
        if let Some(value) = validators.etag.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            request = request.header(header::IF_NONE_MATCH, value);
        }
        if let Some(value) = validators.last_modified.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            request = request.header(header::IF_MODIFIED_SINCE, value);
        }
        let mut response = request.send().await.map_err(|e| self.map_error(&e, url))?;

        let final_url = response.url().to_string();
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchResponse::NotModified { final_url });
        }
        if status == StatusCode::GONE {
            return Err(FetchError::Gone { url: url.to_owned() });
        }
        if !status.is_success() {
            let retry_after = header_string(response.headers(), header::RETRY_AFTER)
                .and_then(|v| schedule::parse_retry_after(&v, SystemTime::now()));
            return Err(FetchError::Status { url: url.to_owned(), status: status.as_u16(), retry_after });
        }

        let limit = self.inner.max_body_bytes;
        let too_large = || FetchError::BodyTooLarge { url: url.to_owned(), limit };
        // Known up front only for identity-encoded bodies (reqwest drops it when it decompresses): refuse
        // without reading a byte.
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(too_large());
        }
        let headers = response.headers();
        let mut fetched = FetchedBody {
            final_url,
            status: status.as_u16(),
            body: Bytes::new(),
            content_type: header_string(headers, header::CONTENT_TYPE),
            content_language: header_string(headers, header::CONTENT_LANGUAGE),
            content_location: header_string(headers, header::CONTENT_LOCATION),
            etag: header_string(headers, header::ETAG),
            last_modified: header_string(headers, header::LAST_MODIFIED),
        };
        // Chunks arrive already decompressed, so counting them caps the decompressed size; stopping at the
        // first chunk over the limit drops the connection instead of inflating the rest of a bomb.
        let cap = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.map_error(&e, url))? {
            if chunk.len() > cap.saturating_sub(body.len()) {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        fetched.body = body.freeze();
        Ok(FetchResponse::Ok(fetched))
    }

    /// Parses `url` and applies the checks that need no network: scheme, host, and the guard on IP literals
    /// (which never reach the DNS resolver) and internal names.
    fn check_url(&self, url: &str) -> Result<Url, FetchError> {
        let invalid = |reason: String| FetchError::InvalidUrl { url: url.to_owned(), reason };
        let parsed = Url::parse(url).map_err(|e| invalid(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid(format!(
                "the scheme {} is not supported (only http and https are fetched)",
                parsed.scheme()
            )));
        }
        let host = parsed.host().ok_or_else(|| invalid("no host".to_owned()))?;
        self.inner
            .guard
            .check_host(&host)
            .map_err(|reason| FetchError::Blocked { url: url.to_owned(), reason: format!("blocked: {reason}") })?;
        Ok(parsed)
    }

    /// Turns a reqwest error into the error an operator can act on, recognising the guard's and the redirect
    /// policy's own refusals in the error's cause chain.
    fn map_error(&self, err: &reqwest::Error, url: &str) -> FetchError {
        let url_owned = url.to_owned();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
        while let Some(e) = cause {
            if let Some(refused) = e.downcast_ref::<RedirectRefused>() {
                return match refused {
                    RedirectRefused::TooMany(limit) => FetchError::TooManyRedirects { url: url_owned, limit: *limit },
                    RedirectRefused::Loop(target) => {
                        FetchError::RedirectLoop { url: url_owned, target: target.clone() }
                    }
                    RedirectRefused::Blocked { .. } => {
                        FetchError::Blocked { url: url_owned, reason: refused.to_string() }
                    }
                    RedirectRefused::Scheme { target, scheme } => {
                        FetchError::RedirectScheme { url: url_owned, target: target.clone(), scheme: scheme.clone() }
                    }
                };
            }
            if let Some(Refused { reason }) = e.downcast_ref::<Refused>() {
                // The resolver refused a name; if it was a redirect hop's, say which hop (reqwest's error only
                // carries the first URL).
                let reason = match LAST_HOP.try_with(|hop| hop.borrow().clone()).ok().flatten() {
                    Some(hop) => format!("redirect to {hop} blocked: {reason}"),
                    None => format!("blocked: {reason}"),
                };
                return FetchError::Blocked { url: url_owned, reason };
            }
            cause = e.source();
        }
        let reason = error_chain(err);
        if err.is_timeout() {
            FetchError::Timeout { url: url_owned }
        } else if err.is_connect() {
            FetchError::Connect { url: url_owned, reason }
        } else if err.is_body() || err.is_decode() {
            FetchError::Body { url: url_owned, reason }
        } else {
            FetchError::Http { url: url_owned, reason }
        }
    }
}

/// The causes under a reqwest error, joined: reqwest's own top line ("error sending request for url …")
/// repeats the URL the caller already names, while the causes say what actually went wrong
/// ("tcp connect error: Connection refused (os error 111)").
fn error_chain(err: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cause = std::error::Error::source(err);
    while let Some(e) = cause {
        let text = match tls_error(e) {
            // rustls' own words ("received corrupt message …") do not say that TLS is what failed.
            Some(tls) => format!("TLS handshake failed: {tls}"),
            None => e.to_string(),
        };
        // hyper's "client error (Connect)" and a nested reqwest error's "request or response body error" only
        // repeat what the causes below them say.
        let wrapper = text.starts_with("client error (") || e.is::<reqwest::Error>();
        if !wrapper && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = e.source();
    }
    if parts.is_empty() { err.to_string() } else { parts.join(": ") }
}

/// The rustls error inside `e`, which arrives wrapped in one or more `io::Error`s.
fn tls_error<'a>(mut e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    loop {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        e = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    }
}

fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_owned())
}

/// Why the redirect policy stopped following, carried through reqwest's error chain to
/// [`Fetcher::map_error`].
#[derive(Debug, thiserror::Error)]
enum RedirectRefused {
    #[error("more than {0} redirects")]
    TooMany(usize),
    #[error("redirect loop at {0}")]
    Loop(String),
    #[error("redirect to {target} blocked: {reason}")]
    Blocked { target: String, reason: String },
    #[error("redirect to {target} uses the unsupported scheme {scheme} (only http and https are fetched)")]
    Scheme { target: String, scheme: String },
}

tokio::task_local! {
    /// The redirect target being followed in the current fetch. The redirect policy runs inside the task that
    /// awaits the fetch, so a task-local ties the hop to its own fetch without any shared state.
    static LAST_HOP: RefCell<Option<String>>;
}

/// Follows at most `max` redirects, never back to a URL already visited, never to a non-http(s) scheme and
/// never to an IP literal or name the guard refuses. Hops to other names are checked by the resolver when
/// they connect.
fn redirect_policy(guard: Arc<Guard>, max: usize) -> redirect::Policy {
    redirect::Policy::custom(move |attempt| {
        let target = attempt.url().clone();
        if attempt.previous().contains(&target) {
            return attempt.error(RedirectRefused::Loop(target.to_string()));
        }
        if attempt.previous().len() > max {
            return attempt.error(RedirectRefused::TooMany(max));
        }
        if !matches!(target.scheme(), "http" | "https") {
            let scheme = target.scheme().to_owned();
            return attempt.error(RedirectRefused::Scheme { target: target.to_string(), scheme });
        }
        if let Some(Err(reason)) = target.host().map(|host| guard.check_host(&host)) {
            return attempt.error(RedirectRefused::Blocked { target: target.to_string(), reason });
        }
        // Remembered for this fetch only, so a refusal by the resolver can name the hop it refused.
        let _ = LAST_HOP.try_with(|hop| *hop.borrow_mut() = Some(target.to_string()));
        attempt.follow()
    })
}

/// One semaphore per host, so a site with many feeds is not hit by all of them at once.
#[derive(Debug)]
struct HostLimiter {
    per_host: usize,
    semaphores: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Past this many hosts the map drops the idle ones, so it tracks the hosts in use, not every host ever
/// fetched.
const HOST_MAP_PRUNE_AT: usize = 1024;

impl HostLimiter {
    fn new(per_host: usize) -> HostLimiter {
        HostLimiter { per_host: per_host.max(1), semaphores: Mutex::new(HashMap::new()) }
    }

    async fn acquire(&self, host: &str) -> Option<OwnedSemaphorePermit> {
        let semaphore = {
            // A poisoned lock only means another fetch panicked mid-insert; the map is still usable.
            let mut map = self.semaphores.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if map.len() >= HOST_MAP_PRUNE_AT {
                // Only the map holds an idle host's semaphore, and nobody waits on it.
                map.retain(|_, s| Arc::strong_count(s) > 1);
            }
            map.entry(host.to_ascii_lowercase()).or_insert_with(|| Arc::new(Semaphore::new(self.per_host))).clone()
        };
        // The semaphores are never closed, so this only fails in theory; going ahead unlimited then is
        // better than failing the fetch.
        semaphore.acquire_owned().await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn guard_checks_the_url_before_any_connection() {
        let fetcher = Fetcher::new(&FetchConfig::default()).unwrap();
        let cases = [
            ("http://127.0.0.1:9/feed", "http://127.0.0.1:9/feed: blocked: 127.0.0.1 is a loopback address"),
            ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is the cloud metadata address"),
            ("http://[::ffff:10.0.0.1]/", "IPv4-mapped form of 10.0.0.1, a private address"),
            ("http://localhost:8080/", "localhost is a loopback name"),
            ("http://metadata.google.internal/", "cloud metadata service name"),
        ];
        for (url, expected) in cases {
            let err = fetcher.fetch(url, &Validators::default()).await.unwrap_err();
            assert!(matches!(err, FetchError::Blocked { .. }), "{url}: {err:?}");
            let text = err.to_string();
            assert!(text.starts_with(url) && text.contains(expected), "{text}");
            assert!(text.contains("allow_private_networks"), "{text}");
        }
    }

    #[tokio::test]
    async fn bad_urls_are_invalid_and_permanent() {
        let fetcher = Fetcher::new(&FetchConfig::default()).unwrap();
        for (url, expected) in [
            ("ftp://example.com/feed", "the scheme ftp is not supported"),
            ("file:///etc/passwd", "the scheme file is not supported"),
            ("not a url", "relative URL without a base"),
        ] {
            let err = fetcher.fetch(url, &Validators::default()).await.unwrap_err();
            assert!(err.is_permanent(), "{err:?}");
            let text = err.to_string();
            assert!(text.starts_with(url) && text.contains(expected), "{text}");
        }
    }

    #[tokio::test]
    async fn host_limiter_counts_per_host() {
        let limiter = HostLimiter::new(2);
        let a1 = limiter.acquire("a.example").await;
        let _a2 = limiter.acquire("A.example").await;
        let _b1 = limiter.acquire("b.example").await;
        let third = tokio::time::timeout(Duration::from_millis(50), limiter.acquire("a.example")).await;
        assert!(third.is_err(), "a third request to one host must wait");
        drop(a1);
        let third = tokio::time::timeout(Duration::from_millis(500), limiter.acquire("a.example")).await;
        assert!(third.is_ok());
    }
}
