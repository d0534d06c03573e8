//! Search: the query language readers type, and the [`SearchIndex`] trait that search backends implement
//! (tantivy on the embedded default; PostgreSQL's full-text search can sit behind the same trait).
//!
//! The query language, the same in the site and the API:
//!
//! | written | means |
//! |---|---|
//! | `flood warning` | articles with both words (stemmed: "floods" matches "flood") |
//! | `"river authority"` | the words next to each other, in this order |
//! | `-sport`, `-"press release"` | without the word or the phrase |
//! | `outlet:ledger`, `outlet:"daily ledger"` | from an outlet whose name (or host) has these words |
//! | `topic:world` | from a source filed under that topic |
//! | `after:2026-11-01`, `before:2026-11-30` | published on or after / before that day (UTC) |
//!
//! The parser is total: anything it does not understand is read as words, so every input gives a query or one
//! clear [`QueryError`].

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::model::{ArticleId, SourceId};

/// Longest query accepted, in characters; longer ones are refused rather than truncated.
pub const MAX_QUERY_CHARS: usize = 500;
/// Most words and phrases one query may hold.
pub const MAX_QUERY_CLAUSES: usize = 32;

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchQuery {
    /// Words that must all appear (in the title or the text).
    pub words: Vec<String>,
    /// Phrases (two or more words) that must appear as written.
    pub phrases: Vec<String>,
    /// Words or phrases that must not appear.
    pub excluded: Vec<String>,
    /// The article's outlet must match one of these (words of its name or host).
    pub outlets: Vec<String>,
    /// The article's source must be filed under one of these topics.
    pub topics: Vec<String>,
    /// Published on or after this time.
    pub after: Option<DateTime<Utc>>,
    /// Published before this time.
    pub before: Option<DateTime<Utc>>,
}

/// Why a query cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Nothing to search for.
    #[error("the query is empty: type some words, a \"phrase\", or a filter such as outlet:NAME")]
    Empty,
    /// Longer than [`MAX_QUERY_CHARS`].
    #[error("the query is {0} characters long; the limit is {MAX_QUERY_CHARS}")]
    TooLong(usize),
    /// More than [`MAX_QUERY_CLAUSES`] words and phrases.
    #[error("the query has {0} words and phrases; the limit is {MAX_QUERY_CLAUSES}")]
    TooManyClauses(usize),
    /// `before:`/`after:` with something that is not a date.
    #[error("{filter}:{value} is not a date: write it as YYYY-MM-DD")]
    BadDate {
        /// `before` or `after`.
        filter: &'static str,
        /// What was written.
        value: String,
    },
    /// Only exclusions: nothing to start from.
    #[error("the query only excludes; add a word, a phrase or a filter to search for")]
    OnlyExclusions,
}

impl SearchQuery {
    /// Parses what a reader typed.
    pub fn parse(raw: &str) -> Result<SearchQuery, QueryError> {
        let chars = raw.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong(chars));
        }
        let mut query = SearchQuery::default();
        for token in split_tokens(raw) {
            let (negated, body) = match token.strip_prefix('-') {
                Some(rest) if !rest.is_empty() => (true, rest),
                _ => (false, token.as_str()),
            };
            if let Some((name, value)) = filter_of(body) {
                let value = unquote(value);
                if value.is_empty() {
                    continue;
                }
                match name {
                    "outlet" | "source" | "site" => query.outlets.push(value.to_lowercase()),
                    "topic" | "category" => query.topics.push(value.to_lowercase()),
                    "after" | "since" => query.after = Some(parse_day("after", &value)?),
                    _ => query.before = Some(parse_day("before", &value)?),
                }
                continue;
            }
            let text = normalise_words(&unquote(body));
            if text.is_empty() {
                continue;
            }
            // A repeated word or phrase adds nothing but cost.
            let list = if negated {
                &mut query.excluded
            } else if text.contains(' ') {
                &mut query.phrases
            } else {
                &mut query.words
            };
            if !list.contains(&text) {
                list.push(text);
            }
        }
        let clauses = query.words.len() + query.phrases.len() + query.excluded.len();
        if clauses > MAX_QUERY_CLAUSES {
            return Err(QueryError::TooManyClauses(clauses));
        }
        if query.is_empty() {
            return Err(if query.excluded.is_empty() { QueryError::Empty } else { QueryError::OnlyExclusions });
        }
        Ok(query)
    }

    /// True when nothing selects articles (exclusions alone do not).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
            && self.phrases.is_empty()
            && self.outlets.is_empty()
            && self.topics.is_empty()
            && self.after.is_none()
            && self.before.is_none()
    }

    /// Every positive word, from words and phrases, for highlighting.
    pub fn positive_words(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(String::as_str).chain(self.phrases.iter().flat_map(|p| p.split(' ')))
    }
}

/// Splits on whitespace, keeping `"quoted phrases"` (also after `-` or `name:`) as one token. An unclosed quote
/// runs to the end.
fn split_tokens(raw: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in raw.chars() {
        match c {
            '"' | '\u{201c}' | '\u{201d}' => {
                quoted = !quoted;
                current.push('"');
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

fn filter_of(token: &str) -> Option<(&'static str, &str)> {
    let (name, value) = token.split_once(':')?;
    const FILTERS: [&str; 8] = ["outlet", "source", "site", "topic", "category", "after", "since", "before"];
    let name = FILTERS.into_iter().find(|f| f.eq_ignore_ascii_case(name))?;
    Some((name, value))
}

fn unquote(text: &str) -> String {
    text.replace('"', " ").trim().to_owned()
}

/// Lower case, words separated by single spaces, punctuation dropped (letters, digits and inner apostrophes
/// kept), so "Flood-warning!" and "flood warning" are the same phrase.
fn normalise_words(text: &str) -> String {
    let mut out = String::new();
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}')) {
        let word = word.trim_matches(|c| c == '\'' || c == '\u{2019}');
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

fn parse_day(filter: &'static str, value: &str) -> Result<DateTime<Utc>, QueryError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| QueryError::BadDate { filter, value: value.to_owned() })
}

/// One article as the search index holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    /// The article.
    pub id: ArticleId,
    /// Its source.
    pub source_id: SourceId,
    /// Title.
    pub title: String,
    /// Clean text (the extracted page when there is one, else the feed's text).
    pub text: String,
    /// The outlet's name and host, as one string of words.
    pub outlet: String,
    /// The source's category (topic), empty when none.
    pub topic: String,
    /// Publication time (or when it was fetched).
    pub published_at: DateTime<Utc>,
}

/// A piece of a snippet: text, and whether it matched the query. Backends return plain text; the templates
/// escape it and wrap the matches in `<mark>`, so no backend ever produces HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// The text.
    pub text: String,
    /// True when it matched a query word.
    pub hit: bool,
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The article.
    pub id: ArticleId,
    /// The blended score (relevance times recency), higher first.
    pub score: f32,
    /// A passage of the text around the matches.
    pub snippet: Vec<Fragment>,
}

/// A page of results.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchResults {
    /// How many articles match in all (may be an estimate above a backend's counting limit).
    pub total: usize,
    /// This page, best first.
    pub hits: Vec<SearchHit>,
}

/// Errors from a search backend.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The index cannot be opened (locked by another process, unreadable, a different schema).
    #[error("search index {path}: {reason}")]
    Open {
        /// Where the index is.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// Any other failure.
    #[error("search failed: {0}")]
    Backend(String),
}

/// A full-text index over articles. Writes come from one place (the pipeline's search stage, or `tidings
/// reindex`); any number of readers search concurrently and see writes once committed.
#[async_trait]
pub trait SearchIndex: Send + Sync + 'static {
    /// The backend's name, for logs ("tantivy" or "postgres").
    fn backend(&self) -> &'static str;
    /// Adds or replaces these articles (by id) and makes them searchable.
    async fn upsert(&self, docs: Vec<SearchDoc>) -> Result<(), SearchError>;
    /// Removes these articles.
    async fn remove(&self, ids: Vec<ArticleId>) -> Result<(), SearchError>;
    /// Removes everything (before a rebuild).
    async fn clear(&self) -> Result<(), SearchError>;
    /// How many articles are indexed.
    async fn count(&self) -> Result<usize, SearchError>;
    /// The results `offset..offset + limit` for `query`, ranked by relevance blended with recency as of `now`.
    async fn search(
        &self,
        query: &SearchQuery,
        offset: usize,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<SearchResults, SearchError>;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn words_phrases_exclusions_and_filters() {
        let q = SearchQuery::parse(
            r#"Flood "River Authority" -sport -"press release" outlet:"Daily Ledger" topic:World after:2026-11-01 before:2026-11-30"#,
        )
        .unwrap();
        assert_eq!(q.words, ["flood"]);
        assert_eq!(q.phrases, ["river authority"]);
        assert_eq!(q.excluded, ["sport", "press release"]);
        assert_eq!(q.outlets, ["daily ledger"]);
        assert_eq!(q.topics, ["world"]);
        assert_eq!(q.after.unwrap().to_rfc3339(), "2026-11-01T00:00:00+00:00");
        assert_eq!(q.before.unwrap().to_rfc3339(), "2026-11-30T00:00:00+00:00");
    }

    #[test]
    fn punctuation_is_not_a_word_and_hyphenated_words_become_a_phrase() {
        let q = SearchQuery::parse("flood-warning!  ... mayor's").unwrap();
        assert_eq!(q.phrases, ["flood warning"]);
        assert_eq!(q.words, ["mayor's"]);
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(SearchQuery::parse("   "), Err(QueryError::Empty));
        assert_eq!(SearchQuery::parse("-x"), Err(QueryError::OnlyExclusions));
        assert_eq!(
            SearchQuery::parse("after:yesterday"),
            Err(QueryError::BadDate { filter: "after", value: "yesterday".into() })
        );
        assert!(matches!(SearchQuery::parse(&"a ".repeat(300)), Err(QueryError::TooLong(600))));
        let many: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
        assert!(matches!(SearchQuery::parse(&many.join(" ")), Err(QueryError::TooManyClauses(40))));
        assert!(QueryError::BadDate { filter: "after", value: "x".into() }.to_string().contains("YYYY-MM-DD"));
    }

    #[test]
    fn unknown_prefixes_are_words_and_unclosed_quotes_run_to_the_end() {
        let q = SearchQuery::parse("http://x \"open phrase here").unwrap();
        assert_eq!(q.phrases, ["http x", "open phrase here"]);
    }

    #[test]
    fn repeated_words_count_once() {
        let q = SearchQuery::parse("flood Flood \"a b\" \"a b\" -x -x").unwrap();
        assert_eq!((q.words.len(), q.phrases.len(), q.excluded.len()), (1, 1, 1));
    }

    #[test]
    fn a_filter_alone_is_a_query() {
        let q = SearchQuery::parse("outlet:ledger").unwrap();
        assert!(q.words.is_empty());
        assert_eq!(q.outlets, ["ledger"]);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn parsing_never_panics_and_words_are_clean(raw in "\\PC{0,200}") {
                if let Ok(q) = SearchQuery::parse(&raw) {
                    for w in q.words.iter().chain(&q.phrases).chain(&q.excluded) {
                        prop_assert!(!w.is_empty());
                        prop_assert!(!w.contains("  "));
                        prop_assert!(!w.contains('"'));
                        prop_assert_eq!(w.trim(), w.as_str());
                    }
                    prop_assert!(!q.is_empty());
                }
            }

            #[test]
            fn plain_words_round_trip(words in proptest::collection::vec("[a-z]{1,10}", 1..8)) {
                let q = SearchQuery::parse(&words.join(" ")).unwrap();
                let mut expected: Vec<String> = Vec::new();
                for w in words {
                    if !expected.contains(&w) {
                        expected.push(w);
                    }
                }
                prop_assert_eq!(q.words, expected);
            }
        }
    }
}
