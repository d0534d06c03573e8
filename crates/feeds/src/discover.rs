//! Feed discovery: given a web page, find the feeds it advertises.
//!
//! Pages announce feeds with `<link rel="alternate" type="application/rss+xml" href="…">` (and the Atom and
//! JSON Feed types). When a page announces none, the caller tries [`COMMON_FEED_PATHS`] on the same origin.

use url::Url;

/// Paths where sites commonly publish their feed, tried in order when a page announces none.
pub const COMMON_FEED_PATHS: &[&str] =
    &["/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml", "/feed.json", "/feeds/posts/default"];

/// A feed a page links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredFeed {
    /// Absolute URL of the feed.
    pub url: String,
    /// The link's `title`, when given.
    pub title: Option<String>,
    /// The link's media type.
    pub mime_type: String,
}

const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
];

/// True when the bytes look like a feed rather than an HTML page, judged from the first non-blank bytes.
pub fn looks_like_feed(body: &[u8]) -> bool {
    let start = String::from_utf8_lossy(&body[..body.len().min(1024)]).to_ascii_lowercase();
    let trimmed = start.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') {
        return trimmed.contains("jsonfeed.org") || trimmed.contains("\"items\"");
    }
    (trimmed.starts_with("<?xml")
        || trimmed.starts_with("<rss")
        || trimmed.starts_with("<feed")
        || trimmed.starts_with("<rdf"))
        && !trimmed.contains("<html")
}

/// What a document holds at its top level, for saying what came back instead of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopLevel {
    /// A JSON document.
    Json,
    /// An XML (or HTML) document whose first element has this name, as written.
    Element(String),
    /// Neither: no element and no JSON.
    Nothing,
}

/// The top level of `body`, decoded as [`crate::parse`] decodes it (so UTF-16 and declared charsets count).
pub fn top_level(body: &[u8], content_type: Option<&str>) -> TopLevel {
    let decoded = crate::encoding::decode(body, content_type);
    if decoded.json {
        return TopLevel::Json;
    }
    let mut tok = crate::xml::Tokenizer::new(&decoded.text);
    while let Some(event) = tok.next_event() {
        if let crate::xml::Event::Start { name, .. } = event {
            return TopLevel::Element(name.to_owned());
        }
    }
    TopLevel::Nothing
}

/// The feeds that an HTML page advertises in `<link rel="alternate">`, resolved against `page_url`, in page
/// order and without duplicates.
pub fn discover_feeds(html: &[u8], page_url: &str) -> Vec<DiscoveredFeed> {
    let text = String::from_utf8_lossy(html);
    let base = Url::parse(page_url).ok();
    let base = find_base_href(&text, base.as_ref()).or(base);
    let mut found: Vec<DiscoveredFeed> = Vec::new();
    // A page may carry thousands of <link> tags; a set keeps the duplicate check from going quadratic.
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for attrs in tags(&text, "link") {
        let get = |name: &str| attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let rel = get("rel").unwrap_or("").to_ascii_lowercase();
        if !rel.split_ascii_whitespace().any(|r| r == "alternate") {
            continue;
        }
        let mime = get("type").unwrap_or("").trim().to_ascii_lowercase();
        if !FEED_TYPES.contains(&mime.as_str()) {
            continue;
        }
        let Some(href) = get("href").map(str::trim).filter(|h| !h.is_empty()) else { continue };
        let url = match &base {
            Some(b) => match b.join(href) {
                Ok(u) => u.to_string(),
                Err(_) => continue,
            },
            None => match Url::parse(href) {
                Ok(u) => u.to_string(),
                Err(_) => continue,
            },
        };
        if !seen.insert(url.clone()) {
            continue;
        }
        let title = get("title").map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        found.push(DiscoveredFeed { url, title, mime_type: mime });
    }
    found
}

fn find_base_href(text: &str, page: Option<&Url>) -> Option<Url> {
    let attrs = tags(text, "base").into_iter().next()?;
    let href = attrs.iter().find(|(k, _)| k == "href")?.1.trim().to_owned();
    match page {
        Some(p) => p.join(&href).ok(),
        None => Url::parse(&href).ok(),
    }
}

/// Every start tag named `name` in `text`, as (lower-cased attribute name, decoded value) pairs.
/// A tolerant scanner: good enough for `<link>` and `<base>` in a page's head, without building a DOM.
fn tags(text: &str, name: &str) -> Vec<Vec<(String, String)>> {
    let lower = text.to_ascii_lowercase();
    let needle = format!("<{name}");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = lower[from..].find(&needle) {
        let start = from + pos + needle.len();
        from = start;
        match bytes.get(start) {
            Some(b) if b.is_ascii_whitespace() || *b == b'/' || *b == b'>' => {}
            _ => continue,
        }
        let (attrs, end) = parse_attributes(text, start);
        out.push(attrs);
        from = end.max(start);
    }
    out
}

fn parse_attributes(text: &str, mut i: usize) -> (Vec<(String, String)>, usize) {
    let bytes = text.as_bytes();
    let mut attrs = Vec::new();
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] == b'>' {
            return (attrs, i);
        }
        let name_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = text[name_start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let quote = bytes[i];
                let value_start = i + 1;
                let value_end =
                    bytes[value_start..].iter().position(|&b| b == quote).map_or(bytes.len(), |p| value_start + p);
                value = decode_basic_entities(&text[value_start..value_end]);
                i = (value_end + 1).min(bytes.len());
            } else {
                let value_start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                value = decode_basic_entities(&text[value_start..i]);
            }
        }
        // An empty name means the scan stopped at a stray `=`, which the value branch above consumed, so the
        // loop always advances. Stepping one more byte here could land past the end (`<base =`) or inside a
        // multi-byte character (`<link ="x"é>`), and the next slice would panic.
        if !name.is_empty() {
            attrs.push((name, value));
        }
    }
}

fn decode_basic_entities(value: &str) -> String {
    if !value.contains('&') {
        return value.to_owned();
    }
    // `&amp;` last, so `&amp;quot;` stays the text `&quot;` instead of becoming a quote.
    value.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_alternate_links_resolved_against_the_page() {
        let html = br#"<!doctype html><html><head>
            <link rel="stylesheet" href="/s.css">
            <LINK REL="alternate" TYPE="application/rss+xml" TITLE="All news" HREF="/feed.xml?a=1&amp;b=2">
            <link rel='alternate' type='application/atom+xml' href='https://cdn.example.org/atom.xml'/>
            <link rel=alternate type=application/feed+json href=feed.json>
            <link rel="alternate" hreflang="fr" href="/fr/">
            </head><body><a href="/feed">x</a></body></html>"#;
        let feeds = discover_feeds(html, "https://example.org/news/index.html");
        let urls: Vec<_> = feeds.iter().map(|f| f.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://example.org/feed.xml?a=1&b=2",
                "https://cdn.example.org/atom.xml",
                "https://example.org/news/feed.json"
            ]
        );
        assert_eq!(feeds[0].title.as_deref(), Some("All news"));
    }

    #[test]
    fn base_href_changes_resolution() {
        let html = br#"<head><base href="https://other.example/x/"><link rel="alternate" type="application/rss+xml" href="rss"></head>"#;
        assert_eq!(discover_feeds(html, "https://example.org/")[0].url, "https://other.example/x/rss");
    }

    #[test]
    fn feed_sniffing() {
        assert!(looks_like_feed(b"\xef\xbb\xbf<?xml version=\"1.0\"?><rss>"));
        assert!(looks_like_feed(b"  <feed xmlns=\"http://www.w3.org/2005/Atom\">"));
        assert!(looks_like_feed(br#"{"version":"https://jsonfeed.org/version/1.1","items":[]}"#));
        assert!(!looks_like_feed(b"<!DOCTYPE html><html><head>"));
        assert!(!looks_like_feed(b""));
    }

    #[test]
    fn top_level_names_the_root_element_or_json() {
        let s3 = b"<?xml version=\"1.0\"?>\n<!-- s3 --><!DOCTYPE x [<!ENTITY a \">\">]><Error><Code>AccessDenied</Code></Error>";
        assert_eq!(top_level(s3, Some("application/xml")), TopLevel::Element("Error".into()));
        assert_eq!(top_level(b"  <urlset xmlns=\"x\"/>", None), TopLevel::Element("urlset".into()));
        assert_eq!(top_level(br#"{"error":"rate limited"}"#, Some("application/json")), TopLevel::Json);
        assert_eq!(top_level(b"just words", Some("text/plain")), TopLevel::Nothing);
        let utf16: Vec<u8> = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-16\"?><Error/>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(top_level(&utf16, None), TopLevel::Element("Error".into()));
    }

    #[test]
    fn garbage_does_not_panic() {
        assert!(discover_feeds(b"<link", "https://e.org/").is_empty());
        assert!(
            discover_feeds(b"<link rel=\"alternate\" type=\"application/rss+xml\" href=\"", "https://e.org/")
                .is_empty()
        );
        assert!(discover_feeds("<link é=\"x\" ü".as_bytes(), "not a url").is_empty());
    }

    #[test]
    fn stray_equals_sign_does_not_step_past_the_end_or_into_a_character() {
        // Found by the `discover` fuzz target: `<base =` sliced past the end of the text, and `<link ="x"é>`
        // sliced inside `é`.
        assert!(discover_feeds(b"<base =", "https://e.org/").is_empty());
        assert!(discover_feeds("<link =\"x\"é>".as_bytes(), "https://e.org/").is_empty());
        let html = r#"<link ="x" rel="alternate" type="application/rss+xml" href="/f">"#;
        assert_eq!(discover_feeds(html.as_bytes(), "https://e.org/")[0].url, "https://e.org/f");
    }
}
