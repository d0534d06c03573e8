//! The newcomer's first command: `tidings demo` serves a populated site, and SIGTERM stops it cleanly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn http_get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// The levels of a page's headings, in order, with their byte offsets.
fn headings(page: &str) -> Vec<(usize, u8)> {
    let bytes = page.as_bytes();
    page.match_indices("<h")
        .filter_map(|(at, _)| match (bytes.get(at + 2), bytes.get(at + 3)) {
            (Some(level @ b'1'..=b'6'), Some(b'>' | b' ')) => Some((at, level - b'0')),
            _ => None,
        })
        .collect()
}

/// A page's headings nest: none goes more than one level below the one before it, and inside a `<section>`
/// every heading is below the section's own (its first), so a list of story cards under a section's `<h2>` is
/// not a row of `<h2>`s beside it.
fn assert_headings_nest(path: &str, page: &str) {
    let all = headings(page);
    for pair in all.windows(2) {
        assert!(pair[1].1 <= pair[0].1 + 1, "{path}: <h{}> follows <h{}>", pair[1].1, pair[0].1);
    }
    for (start, _) in page.match_indices("<section") {
        let end = start + page[start..].find("</section>").unwrap();
        let inside: Vec<u8> = all.iter().filter(|(at, _)| (start..end).contains(at)).map(|(_, l)| *l).collect();
        if let Some((own, rest)) = inside.split_first() {
            assert!(rest.iter().all(|l| l > own), "{path}: a section headed <h{own}> holds {rest:?}");
        }
    }
}

#[test]
fn demo_serves_the_fictional_outlets_and_stops_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["demo", "--listen", "127.0.0.1:0"])
        .env("TIDINGS_DATA_DIR", data.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let started = Instant::now();
    let mut log = Vec::new();
    let address = loop {
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("demo printed its address within a minute");
        log.push(line.clone());
        if let Some(rest) = line.split("serving at http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    assert!(started.elapsed() < Duration::from_secs(60), "{log:?}");
    assert!(log.iter().any(|l| l.contains("10 fictional outlets polled")), "{log:?}");
    assert!(!log.iter().any(|l| l.contains("extraction failed")), "every teaser page extracts: {log:?}");

    let home = http_get(&address, "/");
    assert!(home.starts_with("HTTP/1.1 200"), "{home}");
    for title in ["tram", "Imke", "Nimbus"] {
        assert!(home.contains(title), "the demo's articles are on the home page ({title}): {home}");
    }
    let sources = http_get(&address, "/sources");
    assert!(sources.contains("Harbor Herald") && sources.contains("Bytewire"), "{sources}");
    assert!(!sources.contains("class=\"failing\""), "every demo outlet polled cleanly: {sources}");

    // The demo's events (tram vote, storm, battery recall, rate cut, cup final, orchid) are each reported by
    // several outlets: each becomes one story, and the republished orchid article points to its original.
    assert!(log.iter().any(|l| l.contains("2 syndicated copies")), "{log:?}");
    let stories = http_get(&address, "/api/v1/stories");
    let body = stories.split("\r\n\r\n").nth(1).unwrap_or_default();
    let stories: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let broad: Vec<&str> = stories["stories"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["outlet_count"].as_i64().unwrap() >= 3)
        .map(|s| s["headline"].as_str().unwrap())
        .collect();
    assert!(broad.len() >= 5, "the demo events are multi-outlet stories: {broad:?}");
    let home = http_get(&address, "/");
    assert!(home.contains("Top stories"), "{home}");

    // The poller's search stage indexes the demo's articles on its first tick.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = http_get(&address, "/api/v1/search?q=storm+imke");
        let body = found.split("\r\n\r\n").nth(1).unwrap_or_default();
        let total = serde_json::from_str::<serde_json::Value>(body).ok().and_then(|v| v["total"].as_i64());
        if total.is_some_and(|n| n >= 3) {
            break;
        }
        assert!(Instant::now() < deadline, "the demo's articles were not searchable within 20 s: {found}");
        std::thread::sleep(Duration::from_millis(200));
    }

    // Articles' images come through the image proxy, from our own origin: no page asks an outlet for anything.
    let listing = http_get(&address, "/api/v1/articles?limit=50");
    let listing: serde_json::Value = serde_json::from_str(listing.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let mut proxied = 0;
    for article in listing["articles"].as_array().unwrap() {
        let page = http_get(&address, &format!("/articles/{}", article["id"]));
        assert_headings_nest(&format!("/articles/{}", article["id"]), &page);
        assert!(!page.contains("<img src=\"http"), "an image left pointing at its outlet: {page}");
        let Some(rest) = page.split("<img src=\"/img/").nth(1) else { continue };
        let path = format!("/img/{}", rest.split('"').next().unwrap());
        let image = http_get(&address, &path);
        assert!(image.starts_with("HTTP/1.1 200"), "{path}: {image}");
        assert!(image.to_ascii_lowercase().contains("content-type: image/svg+xml"), "{image}");
        assert!(image.contains("sandbox"), "a proxied SVG opened on its own runs nothing: {image}");
        proxied += 1;
    }
    assert!(proxied >= 5, "the demo articles' illustrations are proxied ({proxied})");
    let forged = http_get(&address, &format!("/img/{}/{}", "00".repeat(16), "68747470733a2f2f782e6578616d706c652f"));
    assert!(forged.starts_with("HTTP/1.1 404"), "{forged}");

    for path in
        ["/", "/stories", "/blindspots", "/sources/1", "/topics/Business", "/entities/person/storm-imke", "/stories/10"]
    {
        let page = http_get(&address, path);
        assert!(page.starts_with("HTTP/1.1 200"), "{path}: {page}");
        assert_headings_nest(path, &page);
    }

    let metrics = http_get(&address, "/metrics");
    assert!(metrics.contains("tidings_polls_total{outcome=\"stored\"} 10"), "{metrics}");

    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "demo did not stop within 20 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}
