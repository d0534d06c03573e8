//! A real HTTP fixture server on 127.0.0.1 for the fetcher's tests: every response shape a feed host can
//! produce, good and bad. Compressed bodies (including the gzip bomb) are generated at start-up.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;

pub const FEED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Fixture Gazette</title><link>https://gazette.example/</link>
<item><title>Council approves the harbour tram</title><guid>gazette-1</guid></item>
</channel></rss>"#;

pub const ETAG: &str = "\"v1-abc\"";
pub const LAST_MODIFIED: &str = "Tue, 24 Nov 2026 09:00:00 GMT";

/// Size of the gzip bomb once inflated.
pub const BOMB_INFLATED: usize = 64 * 1024 * 1024;
/// Size of the big body.
pub const BIG: usize = 50 * 1000 * 1000;

#[derive(Default)]
pub struct Counters {
    /// Requests seen, all paths.
    pub requests: AtomicUsize,
    /// Requests to /concurrent in flight now, and the most ever at once.
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    /// Bytes the streamed big body has produced so far.
    pub streamed: AtomicUsize,
    /// The last conditional headers seen on /feed.xml.
    pub last_if_none_match: std::sync::Mutex<Option<String>>,
}

struct AppState {
    counters: Arc<Counters>,
    gzip_feed: Vec<u8>,
    br_feed: Vec<u8>,
    deflate_feed: Vec<u8>,
    bomb: Vec<u8>,
}

pub struct FixtureServer {
    pub addr: SocketAddr,
    pub counters: Arc<Counters>,
    /// Compressed size of the bomb, to show it really is small.
    pub bomb_len: usize,
}

impl FixtureServer {
    pub async fn start() -> FixtureServer {
        let counters = Arc::new(Counters::default());
        let state = Arc::new(AppState {
            counters: counters.clone(),
            gzip_feed: gzip(FEED.as_bytes()),
            br_feed: brotli(FEED.as_bytes()),
            deflate_feed: zlib(FEED.as_bytes()),
            bomb: gzip_zeros(BOMB_INFLATED),
        });
        let bomb_len = state.bomb.len();
        let app = Router::new()
            .route("/feed.xml", get(feed))
            .route("/lm-only.xml", get(lm_only))
            .route("/echo", get(echo))
            .route("/gzip.xml", get(gzip_feed))
            .route("/br.xml", get(br_feed))
            .route("/deflate.xml", get(deflate_feed))
            .route("/empty", get(|| async { (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "") }))
            .route("/bytes/{n}", get(bytes_n))
            .route("/gz-bytes/{n}", get(gz_bytes_n))
            .route("/big", get(big_with_length))
            .route("/big-stream", get(big_stream))
            .route("/bomb", get(bomb))
            .route("/bad-gzip", get(|| async { encoded(b"this is not gzip at all".to_vec(), "gzip") }))
            .route("/loop-a", get(|| async { redirect("/loop-b") }))
            .route("/loop-b", get(|| async { redirect("/loop-a") }))
            .route("/chain/{n}", get(chain))
            .route("/redirect", get(redirect_to))
            .route("/hang", get(std::future::pending::<&'static str>))
            .route("/stall-body", get(stall_body))
            .route("/status/{code}", get(status))
            .route("/concurrent", get(concurrent))
            .layer(axum::middleware::from_fn_with_state(counters.clone(), count_requests))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FixtureServer { addr, counters, bomb_len }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A URL on this server under another host name (resolved by the fetcher's fixed DNS answers).
    pub fn url_as(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.addr.port())
    }

    /// `/redirect?to=<target>`.
    pub fn redirect_url(&self, target: &str) -> String {
        url::Url::parse_with_params(&self.url("/redirect"), [("to", target)]).unwrap().to_string()
    }

    pub fn requests(&self) -> usize {
        self.counters.requests.load(Ordering::SeqCst)
    }
}

async fn count_requests(
    State(counters): State<Arc<Counters>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    counters.requests.fetch_add(1, Ordering::SeqCst);
    next.run(request).await
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        w.write_all(data).unwrap();
    }
    out
}

fn gzip_zeros(len: usize) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1024 * 1024];
    for _ in 0..len / block.len() {
        enc.write_all(&block).unwrap();
    }
    enc.finish().unwrap()
}

fn redirect(to: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to.to_owned())]).into_response()
}

fn feed_response(extra: &[(header::HeaderName, &str)]) -> Response {
    let mut response = (StatusCode::OK, FEED).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/rss+xml; charset=utf-8"));
    for (name, value) in extra {
        headers.insert(name.clone(), HeaderValue::from_str(value).unwrap());
    }
    response
}

async fn feed(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let inm = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    *state.counters.last_if_none_match.lock().unwrap() = inm.clone();
    if inm.as_deref() == Some(ETAG) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, ETAG)]).into_response();
    }
    feed_response(&[
        (header::ETAG, ETAG),
        (header::LAST_MODIFIED, LAST_MODIFIED),
        (header::CONTENT_LANGUAGE, "en-GB"),
        (header::CONTENT_LOCATION, "/feed.xml"),
    ])
}

async fn lm_only(headers: HeaderMap) -> Response {
    if headers.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()) == Some(LAST_MODIFIED) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    feed_response(&[(header::LAST_MODIFIED, LAST_MODIFIED)])
}

async fn echo(headers: HeaderMap) -> String {
    let get = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    format!(
        "user-agent={}\naccept-encoding={}\naccept={}\nreferer={}\n",
        get(header::USER_AGENT),
        get(header::ACCEPT_ENCODING),
        get(header::ACCEPT),
        get(header::REFERER)
    )
}

fn encoded(body: Vec<u8>, encoding: &'static str) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/rss+xml"), (header::CONTENT_ENCODING, encoding)], body)
        .into_response()
}

async fn gzip_feed(State(state): State<Arc<AppState>>) -> Response {
    encoded(state.gzip_feed.clone(), "gzip")
}

async fn br_feed(State(state): State<Arc<AppState>>) -> Response {
    encoded(state.br_feed.clone(), "br")
}

async fn deflate_feed(State(state): State<Arc<AppState>>) -> Response {
    encoded(state.deflate_feed.clone(), "deflate")
}

async fn bomb(State(state): State<Arc<AppState>>) -> Response {
    encoded(state.bomb.clone(), "gzip")
}

async fn bytes_n(Path(n): Path<usize>) -> Vec<u8> {
    vec![b'a'; n]
}

async fn gz_bytes_n(Path(n): Path<usize>) -> Response {
    encoded(gzip(&vec![b'a'; n]), "gzip")
}

async fn big_with_length() -> Vec<u8> {
    vec![b'x'; BIG]
}

/// 50 MB in 64 KiB chunks with no Content-Length, so only counting while reading can stop it.
async fn big_stream(State(state): State<Arc<AppState>>) -> Response {
    let counters = state.counters.clone();
    let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
    let chunks = BIG / chunk.len();
    let stream = futures::stream::iter(0..chunks).map(move |_| {
        counters.streamed.fetch_add(chunk.len(), Ordering::SeqCst);
        Ok::<_, std::io::Error>(chunk.clone())
    });
    Body::from_stream(stream).into_response()
}

/// Headers and a first chunk at once, then nothing: only the whole-fetch timeout ends it.
async fn stall_body() -> Response {
    let first = futures::stream::once(async { Ok::<_, std::io::Error>(Bytes::from_static(b"<rss>")) });
    let stream = first.chain(futures::stream::pending());
    Body::from_stream(stream).into_response()
}

async fn chain(Path(n): Path<u32>) -> Response {
    if n == 0 { feed_response(&[]) } else { redirect(&format!("/chain/{}", n - 1)) }
}

async fn redirect_to(Query(params): Query<HashMap<String, String>>) -> Response {
    redirect(params.get("to").map(String::as_str).unwrap_or("/feed.xml"))
}

async fn status(Path(code): Path<u16>) -> Response {
    let status = StatusCode::from_u16(code).unwrap();
    let mut response = (status, "status body").into_response();
    match code {
        429 => {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
        }
        503 => {
            let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(90));
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_str(&when).unwrap());
        }
        _ => {}
    }
    response
}

async fn concurrent(State(state): State<Arc<AppState>>) -> &'static str {
    let counters = &state.counters;
    let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    counters.max_in_flight.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    counters.in_flight.fetch_sub(1, Ordering::SeqCst);
    "done"
}
