//! Lenient feed parsing: RSS 0.90–2.0, RSS 1.0/RDF, Atom 0.3/1.0 and JSON Feed 1.0/1.1.
//!
//! [`parse`] takes the bytes of a response (plus what HTTP said about them) and returns a
//! [`ParsedFeed`]: typed feed metadata and entries with absolute links, plain-text titles, dates
//! in UTC, authors, categories, enclosures and images. Broken input is parsed as far as it
//! goes and flagged in [`ParsedFeed::bozo`] instead of being rejected; only input with nothing
//! feed-like in it is an error. HTML content is returned as published (not sanitised).
//!
//! [`compat::feedparser_view`] renders a result in Python feedparser's layout, which is how the
//! parser is held to feedparser's conformance suite (`tidings eval feeds`).
//! That layout is rebuilt from the input on demand; [`parse`] itself only builds the typed model.
#![deny(missing_docs)]

use chrono::{DateTime, Utc};

pub mod compat;
mod dates;
pub mod discover;
mod encoding;
mod entities;
mod fast;
mod handler;
mod json;
mod model;
pub mod opml;
mod text;
mod urls;
mod xml;

pub use dates::parse_date;
pub use text::strip_html;
pub use urls::resolve_relative_uris;

use handler::{Dict, Handler};

/// What the transport said about the bytes. All fields are optional.
#[derive(Default, Clone, Debug)]
pub struct ParseOptions {
    /// The HTTP `Content-Type` header (its charset takes part in encoding detection).
    pub content_type: Option<String>,
    /// The URL the feed was fetched from; the base for relative links.
    pub base_url: Option<String>,
    /// The HTTP `Content-Language` header; the default language.
    pub content_language: Option<String>,
    /// The HTTP `Content-Location` header; overrides `base_url` as the base for relative links.
    pub content_location: Option<String>,
}

/// The feed format and version that was recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FeedVersion {
    /// RSS 0.90 (Netscape RDF).
    Rss090,
    /// RSS 0.91 (Netscape).
    Rss091Netscape,
    /// RSS 0.91 (Userland).
    Rss091Userland,
    /// RSS 0.92.
    Rss092,
    /// RSS 0.93.
    Rss093,
    /// RSS 0.94.
    Rss094,
    /// RSS 1.0 (RDF).
    Rss10,
    /// RSS 2.0.
    Rss20,
    /// An RSS document whose version is missing or unknown.
    Rss,
    /// Atom 0.1.
    Atom01,
    /// Atom 0.2.
    Atom02,
    /// Atom 0.3.
    Atom03,
    /// Atom 1.0.
    Atom10,
    /// An Atom-like document whose version is unknown.
    Atom,
    /// Microsoft Channel Definition Format.
    Cdf,
    /// JSON Feed 1.0.
    Json10,
    /// JSON Feed 1.1.
    Json11,
    /// Something with feed elements but no recognisable root.
    Unknown,
}

impl FeedVersion {
    /// The version string feedparser reports: `rss20`, `atom10`, `json11`, … (`""` if unknown).
    pub fn as_feedparser_str(&self) -> &'static str {
        match self {
            FeedVersion::Rss090 => "rss090",
            FeedVersion::Rss091Netscape => "rss091n",
            FeedVersion::Rss091Userland => "rss091u",
            FeedVersion::Rss092 => "rss092",
            FeedVersion::Rss093 => "rss093",
            FeedVersion::Rss094 => "rss094",
            FeedVersion::Rss10 => "rss10",
            FeedVersion::Rss20 => "rss20",
            FeedVersion::Rss => "rss",
            FeedVersion::Atom01 => "atom01",
            FeedVersion::Atom02 => "atom02",
            FeedVersion::Atom03 => "atom03",
            FeedVersion::Atom10 => "atom10",
            FeedVersion::Atom => "atom",
            FeedVersion::Cdf => "cdf",
            FeedVersion::Json10 => "json1",
            FeedVersion::Json11 => "json11",
            FeedVersion::Unknown => "",
        }
    }

    fn from_feedparser_str(s: &str) -> Self {
        match s {
            "rss090" => FeedVersion::Rss090,
            "rss091n" => FeedVersion::Rss091Netscape,
            "rss091u" => FeedVersion::Rss091Userland,
            "rss092" => FeedVersion::Rss092,
            "rss093" => FeedVersion::Rss093,
            "rss094" => FeedVersion::Rss094,
            "rss10" => FeedVersion::Rss10,
            "rss20" => FeedVersion::Rss20,
            "rss" => FeedVersion::Rss,
            "atom01" => FeedVersion::Atom01,
            "atom02" => FeedVersion::Atom02,
            "atom03" => FeedVersion::Atom03,
            "atom10" => FeedVersion::Atom10,
            "atom" => FeedVersion::Atom,
            "cdf" => FeedVersion::Cdf,
            "json1" => FeedVersion::Json10,
            "json11" => FeedVersion::Json11,
            _ => FeedVersion::Unknown,
        }
    }
}

/// How a [`Text`] value is to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextKind {
    /// Plain text.
    Text,
    /// HTML markup (raw, unsanitised).
    Html,
    /// XHTML markup (raw, unsanitised).
    Xhtml,
}

/// A text construct: a title, summary or content body with its type, language and base URL.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    /// Plain text, HTML or XHTML.
    pub kind: TextKind,
    /// The text or markup.
    pub value: String,
    /// The `xml:lang` in scope, if any.
    pub language: Option<String>,
    /// The base URL in scope (`xml:base`, Content-Location or the feed URL), if any.
    pub base: Option<String>,
    /// The media type as declared, e.g. `text/html` or `application/xhtml+xml`.
    pub media_type: String,
    /// For out-of-line content (`<content src="…">`), where it is.
    pub src: Option<String>,
}

/// An author, contributor or publisher.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Person {
    /// Display name.
    pub name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Home page.
    pub uri: Option<String>,
}

/// A media file attached to an entry (RSS `<enclosure>`, Atom `rel="enclosure"`, JSON attachment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enclosure {
    /// Absolute URL of the file.
    pub url: String,
    /// Its media type, if given.
    pub mime_type: Option<String>,
    /// Its size in bytes, if given and numeric.
    pub length: Option<u64>,
}

/// A typed link (Atom `<link>`, RSS `<link>`/`<enclosure>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// Absolute URL.
    pub href: String,
    /// Relation, `alternate` by default.
    pub rel: String,
    /// Media type, if given.
    pub mime_type: Option<String>,
    /// Title, if given.
    pub title: Option<String>,
}

/// Feed-level metadata.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeedMeta {
    /// Title as plain text.
    pub title: Option<String>,
    /// The site's home page (absolute).
    pub link: Option<String>,
    /// Subtitle / description as plain text.
    pub subtitle: Option<String>,
    /// Language tag.
    pub language: Option<String>,
    /// Last update, in UTC.
    pub updated: Option<DateTime<Utc>>,
    /// Logo or image URL.
    pub image: Option<String>,
    /// Authors.
    pub authors: Vec<Person>,
    /// Category terms.
    pub categories: Vec<String>,
    /// Feed identifier (Atom `<id>`).
    pub id: Option<String>,
    /// Rights / copyright statement as plain text.
    pub rights: Option<String>,
    /// Generator name.
    pub generator: Option<String>,
    /// Favicon-style icon URL.
    pub icon: Option<String>,
    /// All links.
    pub links: Vec<Link>,
    /// Title with its type, language and base.
    pub title_detail: Option<Text>,
    /// Subtitle with its type, language and base.
    pub subtitle_detail: Option<Text>,
    /// Publication time, in UTC.
    pub published: Option<DateTime<Utc>>,
    /// The feed's `<ttl>` in minutes, if numeric.
    pub ttl: Option<u32>,
}

/// One item / entry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Entry {
    /// Identifier (guid / id), as written.
    pub id: Option<String>,
    /// Title as plain text: entities decoded, tags stripped.
    pub title: Option<String>,
    /// The item's permalink (absolute).
    pub link: Option<String>,
    /// Summary / description.
    pub summary: Option<Text>,
    /// Full content bodies (`content:encoded`, Atom `<content>`, JSON `content_html`/`content_text`).
    pub content: Vec<Text>,
    /// Publication time, in UTC.
    pub published: Option<DateTime<Utc>>,
    /// Last update, in UTC.
    pub updated: Option<DateTime<Utc>>,
    /// Authors.
    pub authors: Vec<Person>,
    /// Category terms.
    pub categories: Vec<String>,
    /// Attached media files.
    pub enclosures: Vec<Enclosure>,
    /// Lead image: `media:thumbnail`, an image `media:content`, `itunes:image` or JSON `image`.
    pub image: Option<String>,
    /// Language tag in scope for the entry.
    pub language: Option<String>,
    /// All links.
    pub links: Vec<Link>,
    /// Title with its type, language and base.
    pub title_detail: Option<Text>,
    /// Comments page URL.
    pub comments: Option<String>,
    /// Contributors.
    pub contributors: Vec<Person>,
    /// Rights statement as plain text.
    pub rights: Option<String>,
}

/// Why a document could not be read as a feed at all.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum FeedError {
    /// The body was empty or only whitespace.
    #[error("empty document: the body has no content")]
    Empty,
    /// No XML element or JSON object was found.
    #[error("not a feed: no XML element or JSON object found ({0})")]
    NoContent(String),
    /// The document is an HTML page, not a feed.
    #[error("not a feed: the document is an HTML page (root element <{0}>)")]
    Html(String),
    /// JSON that is not a JSON Feed.
    #[error("not a feed: invalid JSON Feed ({0})")]
    Json(String),
}

/// A parsed feed.
#[derive(Clone, Debug)]
pub struct ParsedFeed {
    /// The format and version.
    pub version: FeedVersion,
    /// The character encoding the bytes were decoded from, as feedparser names it.
    pub encoding: String,
    /// Why the document is not well-formed, if it is not (it was still parsed).
    pub bozo: Option<String>,
    /// Feed-level metadata.
    pub feed: FeedMeta,
    /// The entries, in document order.
    pub entries: Vec<Entry>,
    /// What was parsed, so [`compat::feedparser_view`] can rebuild feedparser's layout on demand.
    source: std::sync::Arc<Source>,
}

/// The input of a parse, kept for [`compat::feedparser_view`].
pub(crate) enum Source {
    /// Bytes given to [`parse`].
    Bytes(Vec<u8>, ParseOptions),
    /// Text given to [`parse_str`].
    Str(String, ParseOptions),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, len) = match self {
            Source::Bytes(b, _) => ("bytes", b.len()),
            Source::Str(s, _) => ("str", s.len()),
        };
        write!(f, "Source({kind}, {len} bytes)")
    }
}

impl Source {
    /// Parses the input again into feedparser-layout records.
    pub(crate) fn reparse(&self) -> Result<RawResult, FeedError> {
        match self {
            Source::Bytes(b, o) => parse_raw(b, o),
            Source::Str(s, o) => parse_str_raw(s, o),
        }
    }
}

/// Records in feedparser's layout plus the encoding and bozo reason they were read with.
pub(crate) struct RawResult {
    pub raw: Raw,
    pub encoding: String,
    pub bozo: Option<String>,
}

/// Records in feedparser's layout, from which the typed view is built.
#[derive(Clone, Debug, Default)]
pub(crate) struct Raw {
    pub feed: Dict,
    pub entries: Vec<Dict>,
    pub version: String,
}

/// Parses a feed from the bytes of a response.
///
/// Returns `Err` only when nothing feed-like could be read (an empty body, an HTML page, text
/// with no elements); every other problem is reported in [`ParsedFeed::bozo`].
pub fn parse(input: &[u8], opts: &ParseOptions) -> Result<ParsedFeed, FeedError> {
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(FeedError::Empty);
    }
    let decoded = encoding::decode(input, opts.content_type.as_deref());
    let source = || std::sync::Arc::new(Source::Bytes(input.to_vec(), opts.clone()));
    if !decoded.json
        && decoded.bozo.is_none()
        && decoded.encoding.eq_ignore_ascii_case("utf-8")
        && opts.content_language.as_deref().is_none_or(str::is_empty)
        && let Some((version, feed, entries)) = fast::parse_rss(&decoded.text, &base_of(opts))
    {
        return Ok(ParsedFeed { version, encoding: decoded.encoding, bozo: None, feed, entries, source: source() });
    }
    Ok(finish(parse_decoded(decoded, opts)?, source()))
}

fn parse_raw(input: &[u8], opts: &ParseOptions) -> Result<RawResult, FeedError> {
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(FeedError::Empty);
    }
    parse_decoded(encoding::decode(input, opts.content_type.as_deref()), opts)
}

fn parse_decoded(decoded: encoding::Decoded<'_>, opts: &ParseOptions) -> Result<RawResult, FeedError> {
    let utf8 = decoded.encoding.eq_ignore_ascii_case("utf-8");
    if decoded.json {
        return json::parse(&decoded.text, opts, decoded.encoding, decoded.bozo);
    }
    parse_xml(&decoded.text, opts, decoded.encoding, decoded.bozo, utf8)
}

/// Parses a feed that is already text (so its declared encoding is ignored); `encoding` is
/// reported as `utf-8`, as feedparser does for text input.
pub fn parse_str(input: &str, opts: &ParseOptions) -> Result<ParsedFeed, FeedError> {
    let r = parse_str_raw(input, opts)?;
    Ok(finish(r, std::sync::Arc::new(Source::Str(input.to_string(), opts.clone()))))
}

fn parse_str_raw(input: &str, opts: &ParseOptions) -> Result<RawResult, FeedError> {
    let body = input.strip_prefix('\u{feff}').unwrap_or(input);
    if body.trim().is_empty() {
        return Err(FeedError::Empty);
    }
    let mut bozo = None;
    if let Some(ct) = &opts.content_type {
        let (mime, _) = encoding::parse_content_type(ct);
        let xmlish = mime.ends_with("/xml")
            || mime.ends_with("+xml")
            || mime.contains("json")
            || mime.ends_with("xml-dtd")
            || mime.ends_with("xml-external-parsed-entity");
        if !xmlish {
            // Worded as `parse` words it, which reads a JSON body by its leading '{' whatever the label.
            let expected = if body.trim_start().starts_with('{') { "a JSON" } else { "an XML" };
            bozo = Some(format!("{ct} is not {expected} media type"));
        }
    }
    if body.trim_start().starts_with('{') {
        return json::parse(body, opts, "utf-8".into(), bozo);
    }
    parse_xml(body, opts, "utf-8".into(), bozo, true)
}

fn base_of(opts: &ParseOptions) -> String {
    let href = opts.base_url.clone().unwrap_or_default();
    match &opts.content_location {
        Some(cl) if !cl.is_empty() => urls::urljoin(&href, cl),
        _ => href,
    }
}

/// How deep elements may nest. Real feeds stay within a few dozen levels, even with XHTML content; deeper ones
/// are dropped and the document reported as bozo.
const MAX_DEPTH: usize = 256;

fn parse_xml(
    text: &str,
    opts: &ParseOptions,
    encoding: String,
    encoding_bozo: Option<String>,
    utf8: bool,
) -> Result<RawResult, FeedError> {
    let lang = opts.content_language.clone().filter(|l| !l.is_empty());
    let mut h = Handler::new(base_of(opts), lang, utf8);
    let mut tok = xml::Tokenizer::new(text);
    let mut open: Vec<&str> = Vec::new();
    // The names of the start tags dropped below MAX_DEPTH and not yet closed, innermost last.
    let mut dropped: Vec<&str> = Vec::new();
    let mut structure_error: Option<String> = None;
    let mut seen_root = false;
    let mut root_closed = false;
    while let Some(ev) = tok.next_event() {
        if tok.netscape_doctype && !seen_root {
            h.set_version("rss091n");
        }
        match ev {
            xml::Event::Start { name, empty, .. } if open.len() >= MAX_DEPTH => {
                // Elements this deep are dropped (their text still goes to the innermost element kept): every end
                // tag searches the open elements, so an unbounded stack makes hostile nesting quadratic.
                if !empty {
                    dropped.push(name);
                }
                if structure_error.is_none() {
                    structure_error =
                        Some(format!("elements nested more than {MAX_DEPTH} deep were dropped, from <{name}> on"));
                }
            }
            xml::Event::End { name }
                if !dropped.is_empty() && (dropped.last() == Some(&name) || !open.contains(&name)) =>
            {
                // Closes the innermost dropped element, or nothing at all (ignored). An end tag of an element that
                // was kept falls through to the arm below, which closes it and with it every element inside,
                // dropped ones included: HTML left unclosed in a description (`<br>` after `<br>`) past the cap
                // must not swallow the rest of the feed. `contains` reads at most MAX_DEPTH names.
                if dropped.last() == Some(&name) {
                    dropped.pop();
                }
            }
            xml::Event::Start { name, attrs, empty } => {
                if !seen_root {
                    seen_root = true;
                    let local = name.rsplit(':').next().unwrap_or(name);
                    if local.eq_ignore_ascii_case("html") {
                        return Err(FeedError::Html(name.to_string()));
                    }
                } else if open.is_empty() && structure_error.is_none() {
                    structure_error = Some(format!("junk after document element: <{name}>"));
                }
                let _ = root_closed;
                h.start(name, &attrs);
                if empty {
                    h.end(name);
                } else {
                    open.push(name);
                }
                if open.is_empty() {
                    root_closed = true;
                }
            }
            xml::Event::End { name } => match open.iter().rposition(|n| *n == name) {
                Some(pos) => {
                    dropped.clear();
                    if pos + 1 != open.len() && structure_error.is_none() {
                        structure_error = Some(format!("mismatched tag: </{name}> closes <{}>", open[open.len() - 1]));
                    }
                    while open.len() > pos {
                        if let Some(n) = open.pop() {
                            h.end(n);
                        }
                    }
                    if open.is_empty() {
                        root_closed = true;
                    }
                }
                None => {
                    if structure_error.is_none() {
                        structure_error = Some(format!("end tag </{name}> without a start tag"));
                    }
                }
            },
            xml::Event::Text(t) => {
                if open.is_empty() {
                    if !t.trim().is_empty() && structure_error.is_none() {
                        structure_error = Some("text outside the document element".into());
                    }
                } else {
                    h.text(t);
                }
            }
        }
    }
    if !seen_root {
        return Err(FeedError::NoContent(tok.error.clone().unwrap_or_else(|| "no elements".into())));
    }
    if !open.is_empty() && structure_error.is_none() {
        structure_error = Some(format!("document ends inside <{}>", open[open.len() - 1]));
    }
    while let Some(n) = open.pop() {
        h.end(n);
    }
    let bozo = encoding_bozo.or(tok.error.clone()).or(structure_error).or(h.bozo.take());
    let raw =
        Raw { feed: std::mem::take(&mut h.feed), entries: std::mem::take(&mut h.entries), version: h.version.clone() };
    Ok(RawResult { raw, encoding, bozo })
}

/// Builds the typed view, moving values out of the records.
fn finish(r: RawResult, source: std::sync::Arc<Source>) -> ParsedFeed {
    let RawResult { raw, encoding, bozo } = r;
    let Raw { mut feed, entries, version } = raw;
    let version = FeedVersion::from_feedparser_str(&version);
    let feed = model::feed_meta(&mut feed);
    let entries = entries.into_iter().map(model::entry).collect();
    ParsedFeed { version, encoding, bozo, feed, entries, source }
}

#[cfg(test)]
mod tests;
