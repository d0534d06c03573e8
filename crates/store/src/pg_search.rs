//! Search on PostgreSQL's own full-text search, behind the same [`SearchIndex`] trait as the tantivy index: the
//! database keeps a weighted vector of every article (migration 0006), so there is nothing to index and a
//! PostgreSQL deployment needs no index directory and no single writer.
//!
//! The query language maps onto `tsquery`: words to `plainto_tsquery`, phrases to `phraseto_tsquery`,
//! exclusions to `!!`, all joined by `&&`; `outlet:` and `topic:` match the source's name, addresses and
//! category; dates bound `sort_at`. Ranking is `ts_rank_cd` times the same recency factor as the tantivy index.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};
use tidings_core::search::{Fragment, SearchHit, SearchResults};
use tidings_core::{ArticleId, SearchDoc, SearchError, SearchIndex, SearchQuery};

use crate::time::DbTime;

/// Characters of an article's text that highlights are cut from.
const HEADLINE_SOURCE_CHARS: i64 = 4000;
/// The recency factor: up to this much extra for a brand-new article...
const RECENCY_WEIGHT: f64 = 1.0;
/// ... halving every this many hours.
const RECENCY_HALF_LIFE_HOURS: f64 = 72.0;
/// Characters of text shown when nothing in the text matched.
const OPENING_CHARS: usize = 220;

/// PostgreSQL full-text search over the articles table.
pub(crate) struct PgSearch {
    pub(crate) pool: PgPool,
}

enum Bind {
    Text(String),
    Time(DateTime<Utc>),
}

/// A LIKE pattern matching `value` anywhere, with LIKE's wildcards in it taken literally.
fn containing(value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Splits a `ts_headline` result marked with \u{1} … \u{2} into fragments.
fn fragments(marked: &str) -> Vec<Fragment> {
    let mut out = Vec::new();
    let mut rest = marked;
    while let Some(start) = rest.find('\u{1}') {
        if start > 0 {
            out.push(Fragment { text: rest[..start].to_owned(), hit: false });
        }
        let after = &rest[start + 1..];
        let end = after.find('\u{2}').unwrap_or(after.len());
        out.push(Fragment { text: after[..end].to_owned(), hit: true });
        rest = after.get(end + 1..).unwrap_or_default();
    }
    if !rest.is_empty() {
        out.push(Fragment { text: rest.to_owned(), hit: false });
    }
    out
}

fn opening(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(OPENING_CHARS) {
        None => text.to_owned(),
        Some((end, _)) => {
            let cut = text[..end].rfind(char::is_whitespace).unwrap_or(end);
            format!("{}…", text[..cut].trim_end())
        }
    }
}

fn backend(e: sqlx::Error) -> SearchError {
    SearchError::Backend(format!("PostgreSQL full-text search: {e}"))
}

#[async_trait]
impl SearchIndex for PgSearch {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    /// Nothing to do: the database keeps the search vector as articles are written.
    async fn upsert(&self, _docs: Vec<SearchDoc>) -> Result<(), SearchError> {
        Ok(())
    }

    async fn remove(&self, _ids: Vec<ArticleId>) -> Result<(), SearchError> {
        Ok(())
    }

    async fn clear(&self) -> Result<(), SearchError> {
        Ok(())
    }

    async fn count(&self) -> Result<usize, SearchError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM articles").fetch_one(&self.pool).await.map_err(backend)?;
        Ok(row.try_get::<i64, _>("n").map_err(backend)?.max(0) as usize)
    }

    async fn search(
        &self,
        query: &SearchQuery,
        offset: usize,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<SearchResults, SearchError> {
        let mut binds: Vec<Bind> = Vec::new();
        let mut bind = |value: Bind| {
            binds.push(value);
            format!("${}", binds.len())
        };
        let mut positive = Vec::new();
        for word in &query.words {
            positive.push(format!("plainto_tsquery('english', {})", bind(Bind::Text(word.clone()))));
        }
        for phrase in &query.phrases {
            positive.push(format!("phraseto_tsquery('english', {})", bind(Bind::Text(phrase.clone()))));
        }
        let mut all = positive.clone();
        for excluded in &query.excluded {
            all.push(format!("(!! phraseto_tsquery('english', {}))", bind(Bind::Text(excluded.clone()))));
        }
        let mut conditions = Vec::new();
        if !all.is_empty() {
            conditions.push(format!("a.search_vector @@ ({})", all.join(" && ")));
        }
        if !query.outlets.is_empty() {
            let any: Vec<String> = query
                .outlets
                .iter()
                .map(|outlet| {
                    let p = bind(Bind::Text(containing(outlet)));
                    format!("(s.title ILIKE {p} OR s.url ILIKE {p} OR coalesce(s.site_url, '') ILIKE {p})")
                })
                .collect();
            conditions.push(format!("({})", any.join(" OR ")));
        }
        if !query.topics.is_empty() {
            let any: Vec<String> = query
                .topics
                .iter()
                .map(|topic| format!("coalesce(s.category, '') ILIKE {}", bind(Bind::Text(containing(topic)))))
                .collect();
            conditions.push(format!("({})", any.join(" OR ")));
        }
        if let Some(after) = query.after {
            conditions.push(format!("a.sort_at >= {}", bind(Bind::Time(after))));
        }
        if let Some(before) = query.before {
            conditions.push(format!("a.sort_at < {}", bind(Bind::Time(before))));
        }
        if conditions.is_empty() {
            conditions.push("TRUE".to_owned());
        }
        let now_param = bind(Bind::Time(now));
        let highlight = if positive.is_empty() { None } else { Some(positive.join(" && ")) };
        let score = match &highlight {
            Some(tsquery) => format!(
                "ts_rank_cd(a.search_vector, {tsquery}) * (1 + {RECENCY_WEIGHT} * exp(-ln(2) * \
                 greatest(0, extract(epoch FROM ({now_param} - a.sort_at))) / {}))",
                RECENCY_HALF_LIFE_HOURS * 3600.0
            ),
            None => "0".to_owned(),
        };
        let snippet = match &highlight {
            Some(tsquery) => format!(
                "ts_headline('english', left(coalesce(a.extracted_text, a.content_text), {HEADLINE_SOURCE_CHARS}), \
                 {tsquery}, 'StartSel=' || chr(1) || ', StopSel=' || chr(2) || \
                 ', MaxWords=35, MinWords=15, MaxFragments=1')"
            ),
            None => format!("left(coalesce(a.extracted_text, a.content_text), {})", OPENING_CHARS * 2),
        };
        // Rank and count every match first, then cut headlines for the page only.
        let sql = format!(
            "WITH hits AS ( \
               SELECT a.id, ({score})::float8 AS score, a.sort_at, count(*) OVER () AS total \
               FROM articles a JOIN sources s ON s.id = a.source_id \
               WHERE {} ORDER BY score DESC, a.sort_at DESC, a.id DESC LIMIT {} OFFSET {} \
             ) \
             SELECT h.id, h.score, h.total, {snippet} AS snippet \
             FROM hits h JOIN articles a ON a.id = h.id ORDER BY h.score DESC, h.sort_at DESC, h.id DESC",
            conditions.join(" AND "),
            limit,
            offset
        );
        let mut statement = sqlx::query(sqlx::AssertSqlSafe(sql));
        for value in binds {
            statement = match value {
                Bind::Text(text) => statement.bind(text),
                Bind::Time(time) => statement.bind(DbTime(time)),
            };
        }
        let rows = statement.fetch_all(&self.pool).await.map_err(backend)?;
        let mut results = SearchResults::default();
        for row in rows {
            results.total = row.try_get::<i64, _>("total").map_err(backend)?.max(0) as usize;
            let marked: String = row.try_get::<Option<String>, _>("snippet").map_err(backend)?.unwrap_or_default();
            let snippet = if marked.contains('\u{1}') {
                fragments(&marked)
            } else {
                vec![Fragment { text: opening(&marked), hit: false }]
            };
            results.hits.push(SearchHit {
                id: row.try_get("id").map_err(backend)?,
                score: row.try_get::<f64, _>("score").map_err(backend)? as f32,
                snippet,
            });
        }
        Ok(results)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headline_marks_become_fragments() {
        let parts = fragments("the \u{1}river\u{2} rose, \u{1}flood\u{2}");
        let pairs: Vec<(&str, bool)> = parts.iter().map(|f| (f.text.as_str(), f.hit)).collect();
        assert_eq!(pairs, [("the ", false), ("river", true), (" rose, ", false), ("flood", true)]);
        assert_eq!(fragments("\u{1}unclosed").len(), 1);
    }

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(containing("50%_off"), "%50\\%\\_off%");
    }
}
