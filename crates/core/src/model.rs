//! Domain types that flow between the pipeline stages and the store.
//!
//! Ids are `i64` everywhere (SQLite `INTEGER PRIMARY KEY`, PostgreSQL `BIGINT GENERATED … AS IDENTITY`), and every
//! timestamp is UTC.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Row id of a source.
pub type SourceId = i64;
/// Row id of an article.
pub type ArticleId = i64;

/// What kind of thing a source URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// An RSS, Atom or JSON feed.
    #[default]
    Feed,
    /// A plain web page that is watched for new links (later issue).
    Page,
}

impl SourceKind {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::Page => "page",
        }
    }

    /// Parses the stored name; unknown names fall back to a feed.
    pub fn parse(name: &str) -> Self {
        match name {
            "page" => SourceKind::Page,
            _ => SourceKind::Feed,
        }
    }
}

/// When the pipeline fetches an item's web page and extracts the article from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ExtractMode {
    /// Only when the feed carries a teaser (its text is shorter than `extract.teaser_max_chars`).
    #[default]
    Auto,
    /// For every item, even when the feed has the full text.
    Always,
    /// Never: the feed's text is all we keep.
    Never,
}

impl ExtractMode {
    /// The name stored in the database and used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ExtractMode::Auto => "auto",
            ExtractMode::Always => "always",
            ExtractMode::Never => "never",
        }
    }

    /// Parses a stored or typed name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "auto" => Some(ExtractMode::Auto),
            "always" => Some(ExtractMode::Always),
            "never" => Some(ExtractMode::Never),
            _ => None,
        }
    }
}

/// A source the operator asked Tidings to follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSource {
    /// The URL that is polled (the feed URL after discovery).
    pub url: String,
    /// Feed or page.
    pub kind: SourceKind,
    /// The outlet's human name, from the feed or OPML.
    pub title: Option<String>,
    /// The outlet's home page.
    pub site_url: Option<String>,
    /// Category from OPML outlines (`World/Europe` for nested outlines).
    pub category: Option<String>,
}

/// A followed source with its polling state and health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// Row id.
    pub id: SourceId,
    /// The URL that is polled.
    pub url: String,
    /// Feed or page.
    pub kind: SourceKind,
    /// The outlet's name.
    pub title: Option<String>,
    /// The outlet's home page.
    pub site_url: Option<String>,
    /// OPML category.
    pub category: Option<String>,
    /// When the operator added it.
    pub created_at: DateTime<Utc>,
    /// Validator from the last 200 response, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// Validator from the last 200 response, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
    /// When it was last polled, successfully or not.
    pub last_polled_at: Option<DateTime<Utc>>,
    /// When a poll last succeeded (a 200 that parsed, or a 304).
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last error, as shown to the operator.
    pub last_error: Option<String>,
    /// When the last error happened.
    pub last_error_at: Option<DateTime<Utc>>,
    /// Consecutive failed polls; reset by a success. Drives the backoff.
    pub error_count: i32,
    /// When it is next due.
    pub next_poll_at: DateTime<Utc>,
    /// The adaptive interval between polls, in seconds.
    pub poll_interval_secs: i64,
    /// Set when polling has stopped for good (for example a 410 Gone); the reason is in `last_error`.
    pub disabled: bool,
    /// When its items' pages are fetched and extracted.
    pub extract_mode: ExtractMode,
}

/// An article as it comes out of a feed item (and, later, extraction), ready to be stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct NewArticle {
    /// The item's GUID / id, or a stand-in derived from its link when it has none.
    pub guid: String,
    /// The link as given by the feed (absolute).
    pub url: Option<String>,
    /// The link normalised by [`crate::urlnorm::canonical_url`]; the dedup key.
    pub canonical_url: Option<String>,
    /// Clean title (plain text).
    pub title: String,
    /// Author names, joined with ", ".
    pub author: Option<String>,
    /// The feed's summary / teaser, sanitised HTML.
    pub summary_html: Option<String>,
    /// The feed's full content, sanitised HTML, when it has any.
    pub content_html: Option<String>,
    /// Plain text of the best body we have (content, else summary).
    pub content_text: String,
    /// Publication time, UTC.
    pub published_at: Option<DateTime<Utc>>,
    /// Last update time, UTC.
    pub updated_at: Option<DateTime<Utc>>,
    /// BCP 47 language tag when known.
    pub language: Option<String>,
    /// Lead image URL.
    pub image_url: Option<String>,
    /// Categories / tags from the feed.
    pub categories: Vec<String>,
    /// Hex SHA-256 of the normalised body text; the last dedup key.
    pub content_hash: String,
}

/// A stored article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Row id.
    pub id: ArticleId,
    /// The source it came from.
    pub source_id: SourceId,
    /// The stored fields.
    #[serde(flatten)]
    pub fields: NewArticle,
    /// When Tidings first stored it.
    pub fetched_at: DateTime<Utc>,
    /// The article extracted from its web page, when that was done and worked.
    pub extracted: Option<ExtractedBody>,
    /// Why extracting its web page failed, shown to the operator; the feed's text is used instead.
    pub extraction_error: Option<String>,
}

/// The body of an article extracted from its web page; stored beside the feed's own text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractedBody {
    /// Safe HTML.
    pub html: String,
    /// Plain text, paragraphs as lines.
    pub text: String,
    /// Words in `text`.
    pub word_count: i64,
}

/// An article whose web page is due for extraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractionJob {
    /// The article.
    pub article_id: ArticleId,
    /// Its page.
    pub url: String,
}

/// An article with its outlet, for lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleListItem {
    /// Row id.
    pub id: ArticleId,
    /// Title.
    pub title: String,
    /// The article's link.
    pub url: Option<String>,
    /// Source row id.
    pub source_id: SourceId,
    /// The outlet's name (falls back to the source URL's host).
    pub source_title: Option<String>,
    /// Publication time, or the time it was fetched when the feed gave none.
    pub published_at: DateTime<Utc>,
    /// First ~300 characters of the text.
    pub excerpt: String,
}

/// What one successful poll of a source brought, stored in a single transaction.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PollSuccess {
    /// The items of the feed, in feed order (duplicates are dropped by the store).
    pub articles: Vec<NewArticle>,
    /// New `ETag`, if the server sent one.
    pub etag: Option<String>,
    /// New `Last-Modified`, if the server sent one.
    pub last_modified: Option<String>,
    /// Feed title, to fill the source's title when it has none.
    pub feed_title: Option<String>,
    /// Feed home page, to fill the source's site URL when it has none.
    pub site_url: Option<String>,
    /// True when the server answered 304 Not Modified (no articles then).
    pub not_modified: bool,
    /// When to poll next.
    pub next_poll_at: DateTime<Utc>,
    /// The interval that produced `next_poll_at`, in seconds.
    pub poll_interval_secs: i64,
}

/// What a failed poll leaves on the source.
#[derive(Debug, Clone, PartialEq)]
pub struct PollFailure {
    /// The error, worded for the operator.
    pub error: String,
    /// When to try again (after backoff and any `Retry-After`).
    pub next_poll_at: DateTime<Utc>,
    /// Stop polling for good (410 Gone).
    pub disable: bool,
}

/// How many articles a poll stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PollReport {
    /// Articles stored for the first time.
    pub inserted: usize,
    /// Items recognised as articles already stored (same GUID, canonical URL or content).
    pub duplicates: usize,
}

/// Keyset pagination over articles by (published time, id), newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleCursor {
    /// Published time of the last article seen.
    pub published_at: DateTime<Utc>,
    /// Id of the last article seen.
    pub id: ArticleId,
}
