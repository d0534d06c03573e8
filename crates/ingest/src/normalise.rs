//! Feed items → articles: stable GUIDs, canonical URLs, clean titles, sanitised HTML, plain text, UTC dates
//! and the content hash that recognises a re-titled or moved item.
//!
//! Sanitising happens here, last, after parsing: nothing from a feed reaches the store with a script,
//! a style, an event handler or a form in it.

use std::collections::HashSet;

use sha2::{Digest, Sha256};
use tidings_core::NewArticle;
use tidings_core::urlnorm::canonical_url;
use tidings_feeds::{Entry, ParsedFeed, TextKind};

/// Turns feed HTML into safe HTML: an allow-list of tags and attributes, absolute links and images, and
/// `rel="noopener noreferrer nofollow"` on every link.
pub struct Sanitizer {
    builder: ammonia::Builder<'static>,
}

impl Sanitizer {
    /// A sanitiser that resolves relative links against `base` when it is an absolute URL.
    pub fn new(base: Option<&str>) -> Sanitizer {
        let mut builder = ammonia::Builder::default();
        builder.link_rel(Some("noopener noreferrer nofollow"));
        builder.url_schemes(HashSet::from(["http", "https", "mailto"]));
        builder.add_tags(["figure", "figcaption", "picture", "time"]);
        builder.add_tag_attributes("img", ["src", "alt", "width", "height", "loading"]);
        builder.add_tag_attributes("time", ["datetime"]);
        builder.add_generic_attributes(["lang", "dir"]);
        match base.and_then(|b| url::Url::parse(b).ok()) {
            Some(base) => {
                builder.url_relative(ammonia::UrlRelative::RewriteWithBase(base));
            }
            None => {
                builder.url_relative(ammonia::UrlRelative::Deny);
            }
        }
        Sanitizer { builder }
    }

    /// Safe HTML for `html`.
    pub fn clean(&self, html: &str) -> String {
        self.builder.clean(html).to_string()
    }
}

/// Plain text of an HTML fragment: tags dropped, block elements become line breaks, entities decoded,
/// whitespace collapsed. Script and style contents are dropped entirely.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let lower = html.to_ascii_lowercase();
    let bytes = html.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let Some(rel_end) = lower[i..].find('>') else { break };
            let tag = &lower[i + 1..i + rel_end];
            let name: String = tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            i += rel_end + 1;
            if (name == "script" || name == "style") && !tag.starts_with('/') {
                let close = format!("</{name}");
                i = lower[i..].find(&close).map_or(bytes.len(), |p| i + p);
                continue;
            }
            if matches!(
                name.as_str(),
                "p" | "br"
                    | "div"
                    | "li"
                    | "h1"
                    | "h2"
                    | "h3"
                    | "h4"
                    | "h5"
                    | "h6"
                    | "blockquote"
                    | "tr"
                    | "figcaption"
                    | "section"
                    | "article"
                    | "ul"
                    | "ol"
                    | "pre"
                    | "hr"
            ) {
                out.push('\n');
            }
            continue;
        }
        let next = lower[i..].find('<').map_or(bytes.len(), |p| i + p);
        out.push_str(&html_escape::decode_html_entities(&html[i..next]));
        i = next;
    }
    tidy_lines(&out)
}

fn tidy_lines(text: &str) -> String {
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Hex SHA-256 of text with case and whitespace folded, so a re-wrapped or re-cased body hashes the same.
pub fn content_hash(text: &str) -> String {
    let folded: String = text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    hex::encode(Sha256::digest(folded.as_bytes()))
}

fn text_value(text: &tidings_feeds::Text, sanitizer: &Sanitizer) -> (String, String) {
    match text.kind {
        TextKind::Text => {
            let escaped = html_escape::encode_text(&text.value).replace('\n', "<br>");
            (escaped, tidy_lines(&text.value))
        }
        TextKind::Html | TextKind::Xhtml => {
            let safe = sanitizer.clean(&text.value);
            let plain = html_to_text(&safe);
            (safe, plain)
        }
    }
}

/// The articles of a parsed feed, in feed order. `base` is the URL the feed was fetched from.
pub fn feed_articles(feed: &ParsedFeed, base: &str) -> Vec<NewArticle> {
    let sanitizer = Sanitizer::new(Some(base));
    feed.entries.iter().map(|entry| entry_article(entry, feed, &sanitizer)).collect()
}

fn entry_article(entry: &Entry, feed: &ParsedFeed, sanitizer: &Sanitizer) -> NewArticle {
    let summary = entry.summary.as_ref().map(|s| text_value(s, sanitizer));
    // Feeds sometimes carry several content elements (say plain text and HTML); the longest is the fullest.
    let content = entry
        .content
        .iter()
        .max_by_key(|c| c.value.len())
        .map(|c| text_value(c, sanitizer))
        .filter(|(_, t)| !t.is_empty());
    let content_text = content.as_ref().or(summary.as_ref()).map(|(_, t)| t.clone()).unwrap_or_default();

    let url = web_url(entry.link.as_deref());
    // A link to the site's home page identifies no article: items that all point there are not one item.
    let canonical = url.as_deref().and_then(canonical_url).filter(|c| !is_home_page(c));
    let title = entry
        .title
        .as_deref()
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| fallback_title(&content_text));
    let guid = entry.id.as_deref().map(clean_key).filter(|id| !id.is_empty());
    // An item without a body must not be recognised by its title alone ("Morning briefing" recurs daily), so
    // its hash also covers whatever identifies it.
    let hash = if content_text.is_empty() {
        let key = guid.as_deref().or(canonical.as_deref()).unwrap_or("");
        content_hash(&format!("title:{title}\nkey:{key}"))
    } else {
        content_hash(&content_text)
    };
    let guid = guid
        .map(|id| if id.len() > MAX_KEY_BYTES { format!("sha256:{}", content_hash(&id)) } else { id })
        .or_else(|| canonical.clone())
        .unwrap_or_else(|| format!("hash:{hash}"));
    let authors: Vec<String> = entry
        .authors
        .iter()
        .filter_map(|p| p.name.clone().or_else(|| p.email.clone()))
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    let image = web_url(entry.image.as_deref()).or_else(|| {
        entry
            .enclosures
            .iter()
            .find(|e| e.mime_type.as_deref().is_some_and(|m| m.starts_with("image/")))
            .and_then(|e| web_url(Some(&e.url)))
    });
    NewArticle {
        guid,
        url,
        canonical_url: canonical,
        title,
        author: (!authors.is_empty()).then(|| authors.join(", ")),
        summary_html: summary.map(|(html, _)| html).filter(|h| !h.is_empty()),
        content_html: content.map(|(html, _)| html),
        content_text,
        published_at: entry.published.or(entry.updated),
        updated_at: entry.updated,
        language: entry.language.clone().or_else(|| feed.feed.language.clone()),
        image_url: image,
        categories: entry
            .categories
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty() && c.len() <= MAX_CATEGORY_BYTES)
            .take(MAX_CATEGORIES)
            .map(str::to_owned)
            .collect(),
        content_hash: hash,
    }
}

/// Keys longer than this are hashed: PostgreSQL cannot index values of a few kilobytes, and no real GUID is
/// that long.
const MAX_KEY_BYTES: usize = 512;
/// Longer links are not real article links (and would not index either).
const MAX_URL_BYTES: usize = 2048;
const MAX_CATEGORY_BYTES: usize = 200;
const MAX_CATEGORIES: usize = 50;

/// An absolute http(s) URL of a sane length, or nothing: `javascript:` and friends never reach the store.
pub fn web_url(raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim();
    let lower = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
    let is_web = lower.starts_with("http://") || lower.starts_with("https://");
    (is_web && raw.len() <= MAX_URL_BYTES && url::Url::parse(raw).is_ok()).then(|| raw.to_owned())
}

fn is_home_page(canonical: &str) -> bool {
    url::Url::parse(canonical).is_ok_and(|u| u.path() == "/" && u.query().is_none())
}

/// A GUID without control characters (NUL among them, which PostgreSQL refuses) or surrounding space.
fn clean_key(raw: &str) -> String {
    raw.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_owned()
}

fn fallback_title(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().take(12).collect();
    if words.is_empty() { "(untitled)".to_owned() } else { format!("{}…", words.join(" ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizer_strips_script_and_handlers_and_absolutises() {
        let s = Sanitizer::new(Some("https://news.example/feed.xml"));
        let out = s.clean(r#"<p onclick="x()">Hi <a href="/a">link</a><script>alert(1)</script><img src="i.png" onerror="y()"></p><form><input></form>"#);
        assert!(
            !out.contains("script") && !out.contains("onclick") && !out.contains("onerror") && !out.contains("<form"),
            "{out}"
        );
        assert!(out.contains(r#"href="https://news.example/a""#), "{out}");
        assert!(out.contains(r#"src="https://news.example/i.png""#), "{out}");
        assert!(out.contains("noopener noreferrer"), "{out}");
    }

    #[test]
    fn javascript_urls_are_dropped() {
        let out = Sanitizer::new(None).clean(r#"<a href="javascript:alert(1)">x</a>"#);
        assert!(!out.contains("javascript"), "{out}");
    }

    #[test]
    fn text_keeps_paragraphs_as_lines() {
        let text =
            html_to_text("<p>One &amp; two</p><p>Three<br>four</p><script>var x = '<p>';</script><style>p{}</style>");
        assert_eq!(text, "One & two\nThree\nfour");
    }

    #[test]
    fn only_web_urls_are_kept() {
        assert_eq!(web_url(Some(" https://e.org/a ")).as_deref(), Some("https://e.org/a"));
        assert_eq!(web_url(Some("javascript:alert(1)")), None);
        assert_eq!(web_url(Some("HTTPS://E.ORG/")).as_deref(), Some("HTTPS://E.ORG/"));
        assert_eq!(web_url(Some(&format!("https://e.org/{}", "a".repeat(3000)))), None);
        assert_eq!(web_url(Some("é")), None);
    }

    #[test]
    fn keys_lose_control_characters() {
        assert_eq!(clean_key(" \u{0}id-1\u{7} "), "id-1");
        assert_eq!(clean_key("\u{0}"), "");
    }

    #[test]
    fn hash_ignores_case_and_spacing() {
        assert_eq!(content_hash("Hello   World\n"), content_hash("hello world"));
        assert_ne!(content_hash("hello world"), content_hash("hello there"));
    }

    #[test]
    fn text_to_html_to_text_does_not_panic_on_odd_input() {
        for input in ["<", "<p", "</", "<script>", "&", "&#xD800;", "<<>>", "é<b>ü</b>"] {
            let _ = html_to_text(input);
        }
    }
}
