//! A real HTTP fixture server on 127.0.0.1 and a throw-away SQLite store for ingestion tests.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tidings_core::Store;

pub struct TestStore {
    pub store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl TestStore {
    pub async fn new() -> TestStore {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        TestStore { store: tidings_store::open(&url).await.unwrap(), _dir: dir }
    }

    pub async fn close(self) {}
}

pub struct FixtureServer {
    origin: String,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

const GOOD_FEED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Fixture Gazette</title>
  <link>https://gazette.example/</link>
  <description>Test feed</description>
  <item>
    <title>Council approves the harbour tram</title>
    <guid isPermaLink="false">gazette-1</guid>
    <link>https://gazette.example/news/tram</link>
    <pubDate>Tue, 24 Nov 2026 09:00:00 +0000</pubDate>
    <dc:creator>Ana Ruiz</dc:creator>
    <description><![CDATA[<p>The council voted 7 to 2 for the tram.<script>alert('x')</script><img src="/t.png" onerror="steal()"></p>]]></description>
  </item>
  <item>
    <title>Storm closes the coast road</title>
    <guid isPermaLink="false">gazette-2</guid>
    <link>https://gazette.example/news/storm</link>
    <pubDate>Tue, 24 Nov 2026 11:30:00 +0000</pubDate>
    <description>Heavy rain and wind closed the coast road overnight.</description>
  </item>
  <item>
    <title>Bakery wins regional prize</title>
    <guid isPermaLink="false">gazette-3</guid>
    <link>https://gazette.example/news/bakery</link>
    <pubDate>Wed, 25 Nov 2026 08:15:00 +0000</pubDate>
    <description>A family bakery on Mill Street won the regional bread prize for its rye loaf. The judges praised the crust and the slow fermentation, and the owners said the recipe came from a grandmother who baked in the same oven for forty years.</description>
  </item>
</channel>
</rss>"#;

/// The same items after GUID churn, re-titling, link changes and a move, plus one genuinely new item.
const CHURNED_FEED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Fixture Gazette</title><link>https://gazette.example/</link>
  <item><title>UPDATED: Council approves harbour tram plan</title><guid isPermaLink="false">gazette-1</guid>
    <link>https://gazette.example/news/tram</link><description>Changed text.</description></item>
  <item><title>Storm closes coast road</title><guid isPermaLink="false">new-guid-2</guid>
    <link>http://www.gazette.example/news/storm?utm_source=rss&amp;utm_medium=feed</link><description>Other words.</description></item>
  <item><title>Rye loaf takes the prize</title><guid isPermaLink="false">new-guid-3</guid>
    <link>https://gazette.example/2026/11/25/bakery-prize</link>
    <description>A family bakery on  Mill Street won the regional bread prize for its rye loaf. The judges praised the crust and the slow fermentation, and the owners said the recipe came from a grandmother who baked in the same oven for forty years.</description></item>
  <item><title>Library extends opening hours</title><guid isPermaLink="false">gazette-4</guid>
    <link>https://gazette.example/news/library</link><description>The library will open until nine.</description></item>
</channel></rss>"#;

/// A feed of teasers whose items link to pages on the fixture server (`{BASE}` is replaced per request).
const TEASER_FEED: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>Teaser Times</title><link>{BASE}/</link>
  <item><title>Ferry timetable changes</title><guid>teaser-1</guid><link>{BASE}/articles/ferry.html</link>
    <description>The ferry company changes its winter timetable…</description></item>
  <item><title>Vanished page</title><guid>teaser-2</guid><link>{BASE}/articles/vanished.html</link>
    <description>This page is gone.</description></item>
</channel></rss>"#;

const ARTICLE_PAGE: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Ferry timetable changes for winter | Teaser Times</title>
<meta property="og:title" content="Ferry timetable changes for winter">
<script>window.tracker = 1;</script></head>
<body><nav><a href="/">Home</a> <a href="/local">Local</a> <a href="/sport">Sport</a></nav>
<article><h1>Ferry timetable changes for winter</h1>
<p class="byline">By Jon Ekdahl</p>
<p>The island ferry will run four crossings a day instead of six from the first of December, the operator said on Monday, citing lower passenger numbers and the cost of fuel over the winter months.</p>
<p>The first boat will leave the harbour at seven in the morning and the last will return at half past six in the evening. Weekend services are unchanged, and the night crossing on Fridays will continue until the end of January.</p>
<p>Residents of the island said the change would make commuting to the mainland harder. "We were not asked," said Maren Holt, who runs the shop by the pier. The council has asked the operator to review the decision in March.</p>
<p>Related: <a href="/other">Bridge repairs start next week</a></p>
</article>
<aside><h2>Most read</h2><ul><li><a href="/a">One</a></li><li><a href="/b">Two</a></li></ul></aside>
<footer>© Teaser Times</footer></body></html>"#;

/// Keys a database refuses or cannot index: a NUL-only id, a 5 kB id, a 5 kB category, a javascript: link.
const ODD_KEYS_FEED: &str = concat!(
    r#"{"version":"https://jsonfeed.org/version/1.1","title":"Odd Keys","items":["#,
    r#"{"id":"\u0000","title":"Nul id","content_text":"An item whose id is a NUL character only."},"#,
    r#"{"id":"LONGID","title":"Long id","content_text":"An item whose id is five kilobytes long.","tags":["LONGID"]},"#,
    r#"{"id":"js","url":"javascript:alert(1)","title":"Script link","content_text":"An item linking to script."}"#,
    "]}"
);

const PAGE: &str = "<!doctype html><html><head><title>Just a page</title></head><body><p>Hello</p></body></html>";

impl FixtureServer {
    pub async fn start() -> FixtureServer {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let bomb = Arc::new(gzip_bomb());
        let counter = hits.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
            *counter.lock().unwrap().entry(uri.path().to_owned()).or_default() += 1;
            let bomb = bomb.clone();
            async move { respond(uri.path(), &headers, &bomb).await }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FixtureServer { origin, hits }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

fn gzip_bomb() -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..40 {
        encoder.write_all(&zeros).unwrap();
    }
    encoder.finish().unwrap()
}

async fn respond(path: &str, headers: &HeaderMap, bomb: &[u8]) -> Response {
    let xml = [(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")];
    match path {
        "/good.xml" | "/feed.xml" => {
            if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == "\"v1\"") {
                return StatusCode::NOT_MODIFIED.into_response();
            }
            ([(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8"), (header::ETAG, "\"v1\"")], GOOD_FEED)
                .into_response()
        }
        "/churned.xml" => (xml, CHURNED_FEED).into_response(),
        "/odd-keys.json" => {
            let long: String = (0..5000).map(|i| char::from(b'a' + (i * 7 % 26) as u8)).collect();
            ([(header::CONTENT_TYPE, "application/feed+json")], ODD_KEYS_FEED.replace("LONGID", &long)).into_response()
        }
        "/teaser.xml" => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
            (xml, TEASER_FEED.replace("{BASE}", &format!("http://{host}"))).into_response()
        }
        "/articles/ferry.html" => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], ARTICLE_PAGE).into_response(),
        "/page.html" | "/plain/" => ([(header::CONTENT_TYPE, "text/html")], PAGE).into_response(),
        "/site/" => (
            [(header::CONTENT_TYPE, "text/html")],
            r#"<!doctype html><html><head><link rel="alternate" type="application/rss+xml" title="Gazette" href="/good.xml"></head><body>Site</body></html>"#,
        )
            .into_response(),
        "/empty" => (xml, "").into_response(),
        // 200 answers that parse but are no feed: an API's error, an S3 error document, a sitemap.
        "/rate-limited" => {
            ([(header::CONTENT_TYPE, "application/json")], r#"{"error":"rate limited"}"#).into_response()
        }
        "/s3-error" => (
            [(header::CONTENT_TYPE, "application/xml")],
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>"#,
        )
            .into_response(),
        "/sitemap.xml" => (
            [(header::CONTENT_TYPE, "application/xml")],
            r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://gazette.example/</loc></url></urlset>"#,
        )
            .into_response(),
        "/empty-channel.xml" => {
            (xml, r#"<rss version="2.0"><channel><title>Quiet</title></channel></rss>"#).into_response()
        }
        // A page advertising more feeds than discovery tries; none of them exists.
        "/many-feeds/" => {
            let links: String = (0..40)
                .map(|i| format!(r#"<link rel="alternate" type="application/rss+xml" href="/advertised/{i}.xml">"#))
                .collect();
            ([(header::CONTENT_TYPE, "text/html")], format!("<!doctype html><html><head>{links}</head><body>Many</body></html>"))
                .into_response()
        }
        "/huge" => {
            let chunk = bytes::Bytes::from(vec![b'a'; 64 * 1024]);
            let stream = futures::stream::iter((0..800).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
            (xml, Body::from_stream(stream)).into_response()
        }
        "/bomb" => (
            [(header::CONTENT_TYPE, "application/rss+xml"), (header::CONTENT_ENCODING, "gzip")],
            bomb.to_vec(),
        )
            .into_response(),
        "/loop" => (StatusCode::FOUND, [(header::LOCATION, "/loop")]).into_response(),
        "/to-metadata" => {
            (StatusCode::FOUND, [(header::LOCATION, "http://169.254.169.254/latest/meta-data/")]).into_response()
        }
        "/to-loopback" => {
            let port = headers.get(header::HOST).and_then(|h| h.to_str().ok()).and_then(|h| h.rsplit(':').next()).unwrap_or("80");
            (StatusCode::FOUND, [(header::LOCATION, format!("http://127.0.0.2:{port}/good.xml"))]).into_response()
        }
        "/hang" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            (xml, GOOD_FEED).into_response()
        }
        "/gone" => StatusCode::GONE.into_response(),
        "/busy" => (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "120")]).into_response(),
        "/broken" => (StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
