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
    /// Its own skip rules (regular expressions, case ignored, on items' titles and links), applied with
    /// `[poll] skip_rules`.
    pub skip_rules: Vec<String>,
    /// Its political lean, when the operator has rated it.
    pub lean: Option<crate::Lean>,
}

/// Changes to a source's settings, made in one write: each field that is `Some` is set, each `None` kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceSettingsChange {
    /// Its category (`Some(None)`, or a blank name, clears it).
    pub category: Option<Option<String>>,
    /// When its items' pages are fetched and extracted.
    pub extract_mode: Option<ExtractMode>,
    /// Its political lean (`Some(None)` clears the rating).
    pub lean: Option<Option<crate::Lean>>,
    /// Its own skip rules, replacing the ones it has (empty: none). The caller has checked that each compiles
    /// ([`crate::skip::SkipRules::parse`]); a rule may not be blank or contain a line break.
    pub skip_rules: Option<Vec<String>>,
}

impl SourceSettingsChange {
    /// The longest category a source may be given, in characters.
    pub const MAX_CATEGORY_CHARS: usize = 200;

    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self == &SourceSettingsChange::default()
    }

    /// Checks it before it is stored: each skip rule one line and a regular expression, the category not too
    /// long. The message names the field and what is wrong with it.
    pub fn check(&self) -> Result<(), String> {
        if let Some(rules) = &self.skip_rules {
            if let Some(rule) = rules.iter().find(|r| r.contains(['\n', '\r'])) {
                return Err(format!("skip rule {rule:?}: a rule is one line"));
            }
            crate::skip::SkipRules::parse(rules).map_err(|e| e.to_string())?;
        }
        if let Some(Some(category)) = &self.category
            && category.chars().count() > Self::MAX_CATEGORY_CHARS
        {
            return Err(format!("category: at most {} characters", Self::MAX_CATEGORY_CHARS));
        }
        Ok(())
    }
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
    /// The story it belongs to, once clustered.
    pub story_id: Option<StoryId>,
    /// When it is a copy of another outlet's article (syndication), that original.
    pub original_article_id: Option<ArticleId>,
}

impl Article {
    /// The article extracted from its page, when it is fuller than the feed's text (the feed carried a teaser):
    /// then readers get it instead of the feed's.
    pub fn fuller_extraction(&self) -> Option<&ExtractedBody> {
        let feed_words = self.fields.content_text.split_whitespace().count() as i64;
        self.extracted.as_ref().filter(|e| e.word_count > feed_words)
    }

    /// The plain text readers get: [`Article::fuller_extraction`]'s, else the feed's.
    pub fn readable_text(&self) -> &str {
        self.fuller_extraction().map_or(&self.fields.content_text, |e| &e.text)
    }
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

/// Row id of a story.
pub type StoryId = i64;

/// An article as the story stage reads it: what clustering and copy detection need, nothing more.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterJob {
    /// The article.
    pub article_id: ArticleId,
    /// Its source.
    pub source_id: SourceId,
    /// The outlet's name, when the source has a title.
    pub source_title: Option<String>,
    /// The source's feed URL (its host names the outlet when there is no title).
    pub source_url: String,
    /// The article's link.
    pub url: Option<String>,
    /// Its canonical link, when declared.
    pub canonical_url: Option<String>,
    /// Headline.
    pub title: String,
    /// Byline.
    pub author: Option<String>,
    /// The best text there is: the extracted page when there is one, else the feed's text (cut to a bounded
    /// length).
    pub text: String,
    /// Publication time, when known.
    pub published_at: Option<DateTime<Utc>>,
    /// When Tidings stored it.
    pub fetched_at: DateTime<Utc>,
    /// Its story, when already clustered.
    pub story_id: Option<StoryId>,
    /// Its original, when already found to be a copy.
    pub original_article_id: Option<ArticleId>,
}

/// A story an article is assigned to in a [`ClusteringBatch`]: one already stored, or the n-th of the batch's
/// [`ClusteringBatch::new_stories`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoryTarget {
    /// A stored story.
    Existing(StoryId),
    /// Index into [`ClusteringBatch::new_stories`].
    New(usize),
}

/// Why an article was chosen as the original among copies of one text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OriginalReason {
    /// A copy's canonical link points to it.
    CanonicalLink,
    /// A copy credits it ("originally appeared in …").
    Credit,
    /// It is the wire service a copy's byline names.
    Wire,
    /// It was published first.
    Earliest,
}

impl OriginalReason {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OriginalReason::CanonicalLink => "canonical_link",
            OriginalReason::Credit => "credit",
            OriginalReason::Wire => "wire",
            OriginalReason::Earliest => "earliest",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "canonical_link" => OriginalReason::CanonicalLink,
            "credit" => OriginalReason::Credit,
            "wire" => OriginalReason::Wire,
            "earliest" => OriginalReason::Earliest,
            _ => return None,
        })
    }
}

/// What the story stage decided for a batch of articles, stored in one transaction.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusteringBatch {
    /// Headlines of the stories to create; [`StoryTarget::New`] indexes this list.
    pub new_stories: Vec<String>,
    /// Stored stories that converged with another: every article of the first moves to the second, and the
    /// first remembers where it went (old links keep working).
    pub merges: Vec<(StoryId, StoryTarget)>,
    /// Each clustered article and its story (after the batch's merges).
    pub assignments: Vec<(ArticleId, StoryTarget)>,
    /// Articles whose original changed: `Some((original, why))` for a copy, `None` for an original.
    pub originals: Vec<(ArticleId, Option<(ArticleId, OriginalReason)>)>,
    /// Stored stories whose headline changed.
    pub headlines: Vec<(StoryTarget, String)>,
}

/// A story, for lists and its own page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorySummary {
    /// Row id.
    pub id: StoryId,
    /// Headline, chosen from its articles' titles.
    pub headline: String,
    /// Number of articles.
    pub article_count: i64,
    /// Number of distinct outlets.
    pub outlet_count: i64,
    /// Its earliest article's time.
    pub first_seen: DateTime<Utc>,
    /// Its newest article's time.
    pub last_updated: DateTime<Utc>,
}

/// One article of a story's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryArticle {
    /// The article.
    #[serde(flatten)]
    pub article: ArticleListItem,
    /// Its original, when it is a syndicated copy.
    pub original_article_id: Option<ArticleId>,
}

/// Where one article's text also appears: its original and the other copies.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Syndication {
    /// The first publisher, when the article is part of a group of copies (the article itself when it is the
    /// original).
    pub original: Option<ArticleListItem>,
    /// Why that one is the original.
    pub reason: Option<OriginalReason>,
    /// The other outlets carrying the same text, earliest first (without the original).
    pub copies: Vec<ArticleListItem>,
}

/// Keyset pagination over stories by (last update, id), newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoryCursor {
    /// Last update of the last story seen.
    pub last_updated: DateTime<Utc>,
    /// Id of the last story seen.
    pub id: StoryId,
}

/// The kind of a named entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    /// A person.
    Person,
    /// A company, party, team, agency or other organisation.
    Organisation,
    /// A country, city, region or other place.
    Place,
    /// Any other name (events, products, nationalities...).
    Other,
}

impl EntityKind {
    /// Every kind, in the order pages group them.
    pub const ALL: [EntityKind; 4] =
        [EntityKind::Person, EntityKind::Organisation, EntityKind::Place, EntityKind::Other];

    /// The stored and URL form: `person`, `organisation`, `place`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Person => "person",
            EntityKind::Organisation => "organisation",
            EntityKind::Place => "place",
            EntityKind::Other => "other",
        }
    }

    /// The kind named by [`EntityKind::as_str`]'s text.
    pub fn parse(text: &str) -> Option<EntityKind> {
        match text {
            "person" => Some(EntityKind::Person),
            "organisation" => Some(EntityKind::Organisation),
            "place" => Some(EntityKind::Place),
            "other" => Some(EntityKind::Other),
            _ => None,
        }
    }
}

/// A named entity as an article mentions it, in its normal form.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityRef {
    /// The normal form, unique per kind: `person/xi-jinping`. Also its page's path under `/entities/`.
    pub key: String,
    /// The name as shown: the fullest form the article used ("Xi Jinping").
    pub name: String,
    /// What it is.
    pub kind: EntityKind,
    /// How often the article names it (all variants counted).
    pub mentions: i32,
}

/// The reading aids computed for one article by the enrichment stage.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Enrichment {
    /// The language (ISO 639-1), detected from the text, else the one the feed or page declared.
    pub language: Option<String>,
    /// About three sentences. Empty when the language has no summariser.
    pub summary: Vec<String>,
    /// Short bullet points. Empty when the language has no summariser.
    pub key_points: Vec<String>,
    /// Topic labels ("Technology"), from the source's category and the topic classifier.
    pub topics: Vec<String>,
    /// People, organisations, places and other names, most mentioned first.
    pub entities: Vec<EntityRef>,
}

/// An article waiting for the enrichment stage.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrichmentJob {
    /// The article.
    pub id: ArticleId,
    /// Its title.
    pub title: String,
    /// Its text: the extracted page when there is one, else the feed's.
    pub text: String,
    /// The language the feed or page declared.
    pub declared_language: Option<String>,
    /// The source's category, if any.
    pub category: Option<String>,
}

/// An entity with the number of articles that name it.
#[derive(Debug, Clone, PartialEq)]
pub struct EntitySummary {
    /// See [`EntityRef::key`].
    pub key: String,
    /// The name as shown.
    pub name: String,
    /// What it is.
    pub kind: EntityKind,
    /// Articles naming it (in the scope asked for: everywhere, or in one story).
    pub article_count: i64,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_settings_change_names_the_rule_or_field_it_refuses() {
        let rules = |rules: &[&str]| SourceSettingsChange {
            skip_rules: Some(rules.iter().map(|r| (*r).to_owned()).collect()),
            ..SourceSettingsChange::default()
        };
        assert_eq!(rules(&["^sponsored\\b", "/podcasts?/"]).check(), Ok(()));
        assert_eq!(rules(&[]).check(), Ok(()), "no rules: the source's are removed");
        let unclosed = rules(&["fine", "live (blog"]).check().unwrap_err();
        assert!(unclosed.starts_with("skip rule #2 \"live (blog\": "), "{unclosed}");
        assert_eq!(rules(&["a\nb"]).check().unwrap_err(), "skip rule \"a\\nb\": a rule is one line");
        assert!(rules(&[" "]).check().unwrap_err().contains("an empty rule would skip every item"));

        let category = |c: String| SourceSettingsChange { category: Some(Some(c)), ..SourceSettingsChange::default() };
        assert_eq!(
            category("é".repeat(SourceSettingsChange::MAX_CATEGORY_CHARS)).check(),
            Ok(()),
            "characters, not bytes"
        );
        let long = category("x".repeat(SourceSettingsChange::MAX_CATEGORY_CHARS + 1)).check().unwrap_err();
        assert_eq!(long, "category: at most 200 characters");
        assert!(SourceSettingsChange::default().is_empty());
    }
}
