#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Hostile and non-HTML inputs get a clear error or a best-effort article, quickly, without panicking.

use std::time::{Duration, Instant};

use tidings_extract::{ExtractError, ExtractOptions, extract};

fn opts() -> ExtractOptions {
    ExtractOptions::default()
}

/// Generous enough for a debug build on a loaded two-core machine; what it guards against is
/// quadratic or unbounded work, which would take minutes.
const BOUND: Duration = Duration::from_secs(20);

#[test]
fn twenty_megabyte_page_is_refused_with_its_size() {
    let mut page = String::from("<html><body>");
    while page.len() < 20 * 1024 * 1024 {
        page.push_str("<p>The quick brown fox jumps over the lazy dog, again and again.</p>\n");
    }
    let t = Instant::now();
    let err = extract(page.as_bytes(), &opts()).unwrap_err();
    assert!(matches!(err, ExtractError::TooLarge { .. }));
    assert!(err.to_string().contains("too large"), "{err}");
    assert!(t.elapsed() < BOUND);
}

#[test]
fn large_page_under_a_raised_limit_is_extracted() {
    let mut page = String::from("<html><body><article>");
    let mut n = 0;
    while page.len() < 2 * 1024 * 1024 {
        n += 1;
        page.push_str(&format!(
            "<p>Paragraph {n}: the quick brown fox jumps over the lazy dog, again and again.</p>\n"
        ));
    }
    let t = Instant::now();
    let a = extract(page.as_bytes(), &ExtractOptions { max_bytes: Some(4 * 1024 * 1024), ..opts() }).unwrap();
    assert!(a.word_count > 100_000);
    assert!(t.elapsed() < BOUND);
}

#[test]
fn hundred_thousand_nested_divs_do_not_overflow() {
    let depth = 100_000;
    let mut page = String::with_capacity(depth * 11 + 200);
    page.push_str("<html><body>");
    for _ in 0..depth {
        page.push_str("<div>");
    }
    page.push_str("<p>Deep inside the nesting there is one paragraph of text, with a comma, to find.</p>");
    for _ in 0..depth {
        page.push_str("</div>");
    }
    let t = Instant::now();
    let a = extract(page.as_bytes(), &opts()).unwrap();
    assert!(a.text.contains("Deep inside"), "{}", a.text);
    assert!(t.elapsed() < BOUND);
}

#[test]
fn nested_inline_and_author_markup_stays_linear() {
    let depth = 50_000;
    let mut page = String::from("<html><body>");
    for _ in 0..depth {
        page.push_str("<span itemprop=\"author\"><a rel=\"author\">");
    }
    page.push('x');
    let t = Instant::now();
    let _ = extract(page.as_bytes(), &opts());
    assert!(t.elapsed() < BOUND);
}

#[test]
fn binary_file_is_refused() {
    // A deterministic pseudo-random byte stream, as from a compressed or encrypted file.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let err = extract(&bytes, &opts()).unwrap_err();
    assert!(matches!(err, ExtractError::NotHtml(_)), "{err}");
    let png = [&b"\x89PNG\r\n\x1a\n"[..], &bytes[..1000]].concat();
    let err = extract(&png, &opts()).unwrap_err();
    assert!(err.to_string().contains("PNG"), "{err}");
}

#[test]
fn non_html_documents_are_refused() {
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n";
    assert!(extract(pdf, &opts()).unwrap_err().to_string().contains("PDF"));
    let json = br#"{"title": "not a page", "items": [1, 2, 3]}"#;
    assert!(extract(json, &opts()).unwrap_err().to_string().contains("JSON"));
    let text = b"Just some plain text.\nNo markup at all.\n";
    assert!(matches!(extract(text, &opts()), Err(ExtractError::NotHtml(_))));
    let feed = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</title></channel></rss>";
    assert!(extract(feed, &opts()).unwrap_err().to_string().contains("feed"));
    let typed = ExtractOptions { content_type: Some("application/pdf".into()), ..opts() };
    assert!(matches!(extract(b"<p>hi</p>", &typed), Err(ExtractError::NotHtml(_))));
    assert_eq!(extract(b"  \n ", &opts()), Err(ExtractError::Empty));
}

#[test]
fn every_prefix_of_a_page_is_handled() {
    let page =
        std::fs::read(format!("{}/tests/fixtures/aggregator_syndicated.html", env!("CARGO_MANIFEST_DIR"))).unwrap();
    for end in (0..page.len()).step_by(61) {
        let _ = extract(&page[..end], &opts());
    }
}

#[test]
fn hostile_markup_is_sanitised() {
    let page = br#"<html><body><article>
<p>A paragraph long enough to be the article body, with words, commas, and more words to be sure.</p>
<p>Second paragraph <a href="javascript:alert(1)">link</a> <img src=x onerror="alert(1)"> <b onclick="x()">bold</b> text.</p>
<form action="/steal"><input name="password"></form>
<style>p{}</style><script>alert(1)</script>
</article></body></html>"#;
    let a = extract(page, &opts()).unwrap();
    for bad in ["javascript:", "onerror", "onclick", "<form", "<input", "<script", "<style"] {
        assert!(!a.html.contains(bad), "{bad} in {}", a.html);
    }
}

#[test]
fn legacy_encoding_is_decoded_without_mojibake() {
    let (body, _, _) = encoding_rs::WINDOWS_1251.encode(
        "<html><head><meta charset=\"windows-1251\"></head><body><article><p>Городской совет утвердил новый бюджет на следующий год, увеличив расходы на школы и дороги.</p></article></body></html>",
    );
    let a = extract(&body, &opts()).unwrap();
    assert!(a.text.contains("Городской совет"), "{}", a.text);
}
