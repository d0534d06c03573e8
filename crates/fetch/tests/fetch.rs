//! The fetcher against a real HTTP server on 127.0.0.1: conditional GET, compression, limits, redirects,
//! timeouts, error statuses, per-host concurrency and the SSRF guard. No mocked client anywhere.

// Helpers outside #[test] functions are not covered by clippy's allow-unwrap-in-tests; a failed unwrap here
// is a failed test, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod server;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use server::FixtureServer;
use tidings_core::config::FetchConfig;
use tidings_fetch::{FetchError, FetchResponse, FetchedBody, Fetcher, Validators};

const LOOPBACK: &str = "127.0.0.1";

fn config() -> FetchConfig {
    FetchConfig { timeout_secs: 5, connect_timeout_secs: 2, allow_private_networks: true, ..FetchConfig::default() }
}

/// The guard off: for tests about HTTP behaviour, against the fixture server on loopback.
fn open_fetcher() -> Fetcher {
    Fetcher::new(&config()).unwrap()
}

/// The guard on, with only the fixture server's own address allowed.
fn guarded_fetcher() -> Fetcher {
    guarded_builder().build().unwrap()
}

fn guarded_builder() -> tidings_fetch::FetcherBuilder {
    let config = FetchConfig { allow_private_networks: false, ..config() };
    Fetcher::builder(&config).allow_address(ip(LOOPBACK))
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

async fn get_ok(fetcher: &Fetcher, url: &str) -> FetchedBody {
    match fetcher.fetch(url, &Validators::default()).await {
        Ok(FetchResponse::Ok(body)) => body,
        other => panic!("{url}: expected a body, got {other:?}"),
    }
}

async fn get_err(fetcher: &Fetcher, url: &str) -> FetchError {
    match fetcher.fetch(url, &Validators::default()).await {
        Err(e) => e,
        Ok(other) => panic!("{url}: expected an error, got {other:?}"),
    }
}

/// Every error message starts with the URL asked for and contains the words that explain it.
fn assert_message(err: &FetchError, url: &str, words: &[&str]) {
    let text = err.to_string();
    assert!(text.starts_with(url), "message should start with {url}: {text}");
    for word in words {
        assert!(text.contains(word), "message should mention {word:?}: {text}");
    }
}

// ---- Conditional GET and headers -------------------------------------------------------------------------

#[tokio::test]
async fn normal_feed_carries_body_and_headers() {
    let server = FixtureServer::start().await;
    let body = get_ok(&open_fetcher(), &server.url("/feed.xml")).await;
    assert_eq!(body.status, 200);
    assert_eq!(body.body, server::FEED.as_bytes());
    assert_eq!(body.final_url, server.url("/feed.xml"));
    assert_eq!(body.content_type.as_deref(), Some("application/rss+xml; charset=utf-8"));
    assert_eq!(body.content_language.as_deref(), Some("en-GB"));
    assert_eq!(body.content_location.as_deref(), Some("/feed.xml"));
    assert_eq!(body.etag.as_deref(), Some(server::ETAG));
    assert_eq!(body.last_modified.as_deref(), Some(server::LAST_MODIFIED));
}

#[tokio::test]
async fn etag_revalidation_gives_not_modified() {
    let server = FixtureServer::start().await;
    let fetcher = open_fetcher();
    let url = server.url("/feed.xml");
    let first = get_ok(&fetcher, &url).await;
    let again = fetcher.fetch(&url, &first.validators()).await.unwrap();
    assert!(matches!(again, FetchResponse::NotModified { ref final_url } if *final_url == url), "{again:?}");
    assert_eq!(server.counters.last_if_none_match.lock().unwrap().as_deref(), Some(server::ETAG));
    // A stale ETag gets the full body again.
    let stale = Validators { etag: Some("\"old\"".into()), last_modified: None };
    assert!(matches!(fetcher.fetch(&url, &stale).await.unwrap(), FetchResponse::Ok(_)));
}

#[tokio::test]
async fn last_modified_revalidation_gives_not_modified() {
    let server = FixtureServer::start().await;
    let fetcher = open_fetcher();
    let url = server.url("/lm-only.xml");
    let first = get_ok(&fetcher, &url).await;
    assert_eq!(first.etag, None);
    let validators = first.validators();
    assert_eq!(validators.last_modified.as_deref(), Some(server::LAST_MODIFIED));
    assert!(matches!(fetcher.fetch(&url, &validators).await.unwrap(), FetchResponse::NotModified { .. }));
}

#[tokio::test]
async fn sends_an_honest_user_agent_and_accepts_compression() {
    let server = FixtureServer::start().await;
    let body = get_ok(&open_fetcher(), &server.url("/echo")).await;
    let text = String::from_utf8(body.body.to_vec()).unwrap();
    assert!(text.contains(&format!("user-agent={}\n", FetchConfig::default().user_agent)), "{text}");
    assert!(text.contains("Tidings/"), "{text}");
    for encoding in ["gzip", "br", "deflate"] {
        assert!(text.lines().any(|l| l.starts_with("accept-encoding=") && l.contains(encoding)), "{text}");
    }
    assert!(text.contains("application/rss+xml"), "{text}");
}

// ---- Compression and size limits -------------------------------------------------------------------------

#[tokio::test]
async fn gzip_brotli_and_deflate_bodies_are_decoded() {
    let server = FixtureServer::start().await;
    let fetcher = open_fetcher();
    for path in ["/gzip.xml", "/br.xml", "/deflate.xml"] {
        let body = get_ok(&fetcher, &server.url(path)).await;
        assert_eq!(body.body, server::FEED.as_bytes(), "{path}");
    }
}

#[tokio::test]
async fn empty_body_is_fine() {
    let server = FixtureServer::start().await;
    let body = get_ok(&open_fetcher(), &server.url("/empty")).await;
    assert_eq!(body.status, 200);
    assert!(body.body.is_empty());
}

#[tokio::test]
async fn cap_is_on_decompressed_bytes_and_exact() {
    let server = FixtureServer::start().await;
    let fetcher = Fetcher::new(&FetchConfig { max_body_bytes: 1000, ..config() }).unwrap();
    assert_eq!(get_ok(&fetcher, &server.url("/bytes/1000")).await.body.len(), 1000);
    assert_eq!(get_ok(&fetcher, &server.url("/gz-bytes/1000")).await.body.len(), 1000);
    for path in ["/bytes/1001", "/gz-bytes/1001"] {
        let url = server.url(path);
        let err = get_err(&fetcher, &url).await;
        assert!(matches!(err, FetchError::BodyTooLarge { limit: 1000, .. }), "{err:?}");
        assert_message(&err, &url, &["body is larger than the limit of 1000 bytes", "fetch.max_body_bytes"]);
    }
}

#[tokio::test]
async fn fifty_megabyte_bodies_fail_fast() {
    let server = FixtureServer::start().await;
    let fetcher = open_fetcher();
    // With a Content-Length: refused before reading.
    let url = server.url("/big");
    let err = get_err(&fetcher, &url).await;
    assert!(matches!(err, FetchError::BodyTooLarge { limit, .. } if limit == 10 * 1024 * 1024), "{err:?}");
    assert_message(&err, &url, &["larger than the limit of 10 MiB"]);

    // Streamed with no length: reading stops soon after the cap.
    let url = server.url("/big-stream");
    let err = get_err(&fetcher, &url).await;
    assert!(matches!(err, FetchError::BodyTooLarge { .. }), "{err:?}");
    assert_message(&err, &url, &["larger than the limit of 10 MiB"]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let streamed = server.counters.streamed.load(std::sync::atomic::Ordering::SeqCst);
    assert!(streamed < server::BIG / 2, "the server produced {streamed} bytes: reading did not stop at the cap");
}

#[tokio::test]
async fn gzip_bomb_is_stopped_at_the_cap() {
    let server = FixtureServer::start().await;
    assert!(server.bomb_len < 1024 * 1024, "the bomb is small on the wire: {} bytes", server.bomb_len);
    let url = server.url("/bomb");
    let err = get_err(&open_fetcher(), &url).await;
    assert!(matches!(err, FetchError::BodyTooLarge { .. }), "{err:?}");
    assert_message(&err, &url, &["body is larger than the limit of 10 MiB"]);
}

#[tokio::test]
async fn corrupt_compressed_body_is_a_body_error() {
    let server = FixtureServer::start().await;
    let url = server.url("/bad-gzip");
    let err = get_err(&open_fetcher(), &url).await;
    assert!(matches!(err, FetchError::Body { .. }), "{err:?}");
    assert_message(&err, &url, &["failed reading the body: Invalid gzip header"]);
}

// ---- Redirects -------------------------------------------------------------------------------------------

#[tokio::test]
async fn redirects_up_to_the_limit_are_followed() {
    let server = FixtureServer::start().await;
    let body = get_ok(&open_fetcher(), &server.url("/chain/5")).await;
    assert_eq!(body.final_url, server.url("/chain/0"));
    assert_eq!(body.body, server::FEED.as_bytes());
}

#[tokio::test]
async fn six_redirects_are_too_many() {
    let server = FixtureServer::start().await;
    let url = server.url("/chain/6");
    let err = get_err(&open_fetcher(), &url).await;
    assert!(matches!(err, FetchError::TooManyRedirects { limit: 5, .. }), "{err:?}");
    assert_message(&err, &url, &["gave up after 5 redirects", "fetch.max_redirects"]);

    let none = Fetcher::new(&FetchConfig { max_redirects: 0, ..config() }).unwrap();
    let url = server.url("/chain/1");
    let err = get_err(&none, &url).await;
    assert!(matches!(err, FetchError::TooManyRedirects { limit: 0, .. }), "{err:?}");
}

#[tokio::test]
async fn redirect_loop_is_named() {
    let server = FixtureServer::start().await;
    let url = server.url("/loop-a");
    let err = get_err(&open_fetcher(), &url).await;
    assert!(matches!(err, FetchError::RedirectLoop { .. }), "{err:?}");
    assert_message(&err, &url, &["redirect loop", &format!("{} was already visited", server.url("/loop-a"))]);
    assert!(!err.is_permanent());
}

#[tokio::test]
async fn redirect_to_another_scheme_is_refused() {
    let server = FixtureServer::start().await;
    let url = server.redirect_url("ftp://files.example/feed.xml");
    let err = get_err(&open_fetcher(), &url).await;
    assert!(matches!(err, FetchError::RedirectScheme { .. }), "{err:?}");
    assert_message(&err, &url, &["redirect to ftp://files.example/feed.xml", "unsupported scheme ftp"]);
}

/// Regression: a redirect to `feed:` (or `itpc:`, or a typo) was reported as an invalid URL, which counts as
/// permanent, so ingestion disabled the source after one bad redirect.
#[tokio::test]
async fn regression_redirect_scheme_refusal_is_retryable() {
    let server = FixtureServer::start().await;
    for target in ["feed://news.example/rss.xml", "itpc://podcast.example/feed", "htp://typo.example/feed"] {
        let url = server.redirect_url(target);
        let err = get_err(&open_fetcher(), &url).await;
        assert!(matches!(err, FetchError::RedirectScheme { .. }), "{target}: {err:?}");
        assert!(!err.is_permanent(), "{target}: a bad redirect is retried, not disabling the source");
        assert_message(&err, &url, &[&format!("redirect to {target}"), "unsupported scheme"]);
    }
}

// ---- Timeouts and connection failures --------------------------------------------------------------------

#[tokio::test]
async fn server_that_never_answers_times_out() {
    let server = FixtureServer::start().await;
    let fetcher = Fetcher::new(&FetchConfig { timeout_secs: 1, connect_timeout_secs: 1, ..config() }).unwrap();
    for path in ["/hang", "/stall-body"] {
        let url = server.url(path);
        let started = Instant::now();
        let err = get_err(&fetcher, &url).await;
        assert!(matches!(err, FetchError::Timeout { .. }), "{path}: {err:?}");
        assert_message(&err, &url, &["timed out", "fetch.timeout_secs"]);
        assert!(started.elapsed() < Duration::from_secs(4), "{path}: the timeout was not applied");
    }
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{addr}/feed.xml");
    let err = get_err(&open_fetcher(), &url).await;
    assert!(matches!(err, FetchError::Connect { .. }), "{err:?}");
    assert_message(&err, &url, &["could not connect: tcp connect error: Connection refused"]);
}

#[tokio::test]
async fn https_goes_through_rustls_with_ring() {
    // The fixture server speaks plain HTTP, so the TLS handshake fails; what matters is that building and
    // using the TLS client works with the ring provider (reqwest panics when no provider is installed).
    let server = FixtureServer::start().await;
    let url = format!("https://{}/feed.xml", server.addr);
    let err = get_err(&open_fetcher(), &url).await;
    assert!(matches!(err, FetchError::Connect { .. }), "{err:?}");
    assert_message(&err, &url, &["could not connect: TLS handshake failed"]);
}

// ---- Error statuses --------------------------------------------------------------------------------------

#[tokio::test]
async fn error_statuses_name_the_url_and_the_status() {
    let server = FixtureServer::start().await;
    let fetcher = open_fetcher();

    let url = server.url("/status/404");
    let err = get_err(&fetcher, &url).await;
    assert!(matches!(err, FetchError::Status { status: 404, retry_after: None, .. }), "{err:?}");
    assert_eq!(err.to_string(), format!("{url}: server answered 404 Not Found"));
    assert!(!err.is_permanent());

    let url = server.url("/status/500");
    let err = get_err(&fetcher, &url).await;
    assert_eq!(err.to_string(), format!("{url}: server answered 500 Internal Server Error"));
    assert_eq!(err.retry_after(), None);

    let url = server.url("/status/410");
    let err = get_err(&fetcher, &url).await;
    assert!(matches!(err, FetchError::Gone { .. }), "{err:?}");
    assert!(err.is_permanent(), "410 Gone disables the source");
    assert_message(&err, &url, &["410 Gone", "removed for good"]);
}

#[tokio::test]
async fn retry_after_is_read_in_seconds_and_as_a_date() {
    let server = FixtureServer::start().await;
    let fetcher = open_fetcher();

    let url = server.url("/status/429");
    let err = get_err(&fetcher, &url).await;
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(err.to_string(), format!("{url}: server answered 429 Too Many Requests; retry after 120 s"));

    let url = server.url("/status/503");
    let err = get_err(&fetcher, &url).await;
    let wait = err.retry_after().expect("503 carries an HTTP-date Retry-After");
    assert!((Duration::from_secs(85)..=Duration::from_secs(90)).contains(&wait), "{wait:?}");
    assert_message(&err, &url, &["503 Service Unavailable; retry after"]);
}

// ---- Per-host concurrency --------------------------------------------------------------------------------

#[tokio::test]
async fn at_most_per_host_concurrency_requests_in_flight() {
    let server = FixtureServer::start().await;
    let fetcher = Fetcher::new(&FetchConfig { per_host_concurrency: 2, ..config() }).unwrap();
    let url = server.url("/concurrent");
    let validators = Validators::default();
    let fetches = (0..6).map(|_| fetcher.fetch(&url, &validators));
    let results = futures::future::join_all(fetches).await;
    assert!(results.iter().all(|r| matches!(r, Ok(FetchResponse::Ok(_)))), "{results:?}");
    assert_eq!(server.counters.max_in_flight.load(std::sync::atomic::Ordering::SeqCst), 2);
}

// ---- SSRF guard ------------------------------------------------------------------------------------------

#[tokio::test]
async fn guard_on_refuses_loopback_literal_without_connecting() {
    let server = FixtureServer::start().await;
    let fetcher = Fetcher::new(&FetchConfig::default()).unwrap();
    let url = server.url("/feed.xml");
    let err = get_err(&fetcher, &url).await;
    assert!(matches!(err, FetchError::Blocked { .. }), "{err:?}");
    assert_message(&err, &url, &["blocked: 127.0.0.1 is a loopback address", "allow_private_networks"]);
    assert_eq!(server.requests(), 0, "nothing reached the server");
}

#[tokio::test]
async fn allowed_fixture_address_is_reachable_with_the_guard_on() {
    let server = FixtureServer::start().await;
    let body = get_ok(&guarded_fetcher(), &server.url("/feed.xml")).await;
    assert_eq!(body.body, server::FEED.as_bytes());
}

#[tokio::test]
async fn resolver_drops_refused_addresses_and_fails_when_none_remain() {
    let server = FixtureServer::start().await;
    // The name resolves to loopback; without an allowance the resolver refuses it.
    let strict = Fetcher::builder(&FetchConfig { allow_private_networks: false, ..config() })
        .resolve_host("feeds.example", &[ip(LOOPBACK)])
        .build()
        .unwrap();
    let url = server.url_as("feeds.example", "/feed.xml");
    let err = get_err(&strict, &url).await;
    assert!(matches!(err, FetchError::Blocked { .. }), "{err:?}");
    assert_message(
        &err,
        &url,
        &["blocked: feeds.example resolves only to refused addresses (127.0.0.1 is a loopback address)"],
    );
    assert_eq!(server.requests(), 0);

    // Mixed answers: the private one is dropped and the allowed one is used.
    let fetcher = guarded_builder().resolve_host("feeds.example", &[ip("10.0.0.1"), ip(LOOPBACK)]).build().unwrap();
    let body = get_ok(&fetcher, &url).await;
    assert_eq!(body.body, server::FEED.as_bytes());
    assert_eq!(body.final_url, url);

    // The guard off: the same name and address are fine.
    let open = Fetcher::builder(&config()).resolve_host("feeds.example", &[ip(LOOPBACK)]).build().unwrap();
    get_ok(&open, &url).await;
}

#[tokio::test]
async fn redirect_hops_to_internal_literals_are_blocked() {
    let server = FixtureServer::start().await;
    let fetcher = guarded_fetcher();
    let port = server.addr.port();
    let cases = [
        (format!("http://127.0.0.2:{port}/feed.xml"), "127.0.0.2 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/".to_owned(), "169.254.169.254 is the cloud metadata address"),
        (format!("http://[::1]:{port}/"), "::1 is a loopback address"),
        ("http://[::ffff:a9fe:a9fe]/".to_owned(), "::ffff:169.254.169.254 is an IPv4-mapped form of 169.254.169.254"),
        ("http://10.0.0.5/admin".to_owned(), "10.0.0.5 is a private address"),
        (
            "http://metadata.google.internal/computeMetadata/v1/".to_owned(),
            "metadata.google.internal is a cloud metadata service name",
        ),
        ("http://localhost/".to_owned(), "localhost is a loopback name"),
    ];
    for (target, why) in cases {
        let url = server.redirect_url(&target);
        let err = get_err(&fetcher, &url).await;
        assert!(matches!(err, FetchError::Blocked { .. }), "{target}: {err:?}");
        let target_shown = url::Url::parse(&target).unwrap().to_string();
        assert_message(&err, &url, &[&format!("redirect to {target_shown} blocked: {why}")]);
    }
}

#[tokio::test]
async fn redirect_hop_to_a_name_resolving_privately_is_blocked_by_the_resolver() {
    let server = FixtureServer::start().await;
    let fetcher = guarded_builder().resolve_host("intranet.example", &[ip("192.168.1.10")]).build().unwrap();
    let target = server.url_as("intranet.example", "/feed.xml");
    let url = server.redirect_url(&target);
    let err = get_err(&fetcher, &url).await;
    assert!(matches!(err, FetchError::Blocked { .. }), "{err:?}");
    assert_message(
        &err,
        &url,
        &[&format!(
            "redirect to {target} blocked: intranet.example resolves only to refused addresses \
             (192.168.1.10 is a private address)"
        )],
    );
}

#[tokio::test]
async fn redirect_to_the_allowed_address_is_followed_with_the_guard_on() {
    let server = FixtureServer::start().await;
    let url = server.redirect_url(&server.url("/feed.xml"));
    let body = get_ok(&guarded_fetcher(), &url).await;
    assert_eq!(body.final_url, server.url("/feed.xml"));
}
