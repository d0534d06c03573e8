//! The [`Store`] implementation, written once over sqlx's database abstraction and instantiated for SQLite and
//! PostgreSQL.
//!
//! Every statement is runtime SQL with `$N` placeholders: PostgreSQL's native form, and one that sqlx's SQLite
//! driver binds by number too (`$N` is argument N, however often and in whatever order it appears), so one text
//! serves both backends. Timestamps go through [`DbTime`]; the few real dialect differences live in the
//! migrations, not here.

use std::borrow::Cow;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, TimeDelta, Utc};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Row, Type};
use tidings_core::{
    AccountStore, Article, ArticleCursor, ArticleId, ArticleListItem, ClusterJob, ClusteringBatch, Enrichment,
    EnrichmentJob, EntityKind, EntityRef, EntitySummary, ExtractMode, ExtractedBody, ExtractionJob, Lean, LeanCoverage,
    MachineSummaryStore, NewArticle, NewSource, OriginalReason, PollFailure, PollReport, PollSuccess, SearchDoc,
    Source, SourceId, SourceKind, SourceSettingsChange, Store, StoreError, StoreResult, StoryArticle, StoryCursor,
    StoryId, StorySummary, StoryTarget, Syndication,
};

use crate::time::DbTime;

/// The poll interval a new source starts with, until the poller's adaptive schedule replaces it on the first poll
/// (the same as the default `poll.default_interval_secs`).
pub const DEFAULT_POLL_INTERVAL_SECS: i64 = 30 * 60;

/// Below this many characters of body text, two items with the same content hash count as the same article only
/// when their titles match too. Short bodies are often boilerplate shared by unrelated items ("Comments",
/// "Read more…", an empty body in a title-only feed), and deduplicating on their hash alone would swallow every
/// item after the first.
pub const MIN_HASH_ONLY_DEDUP_CHARS: usize = 200;

/// A publication time more than this far after the fetch time is not trusted for ordering (see `sort_time`).
const MAX_FUTURE_SKEW: TimeDelta = TimeDelta::days(1);

/// How many characters of text an [`ArticleListItem::excerpt`] holds at most (before its ellipsis).
const EXCERPT_CHARS: usize = 300;

/// What distinguishes the backends at run time: only names, since SQL and types are shared.
pub(crate) trait Backend: Database {
    /// The name [`Store::backend`] reports.
    const BACKEND: &'static str;
}

impl Backend for sqlx::Sqlite {
    const BACKEND: &'static str = "sqlite";
}

impl Backend for sqlx::Postgres {
    const BACKEND: &'static str = "postgres";
}

/// A [`Store`] on one sqlx pool.
pub(crate) struct SqlStore<DB: Database> {
    pub(crate) pool: Pool<DB>,
    /// Held around every write of the account store on SQLite (see `accounts.rs`): one writer at a time waits in
    /// this queue instead of in SQLite's busy handler, which sleeps in steps of up to 100 ms. None on PostgreSQL,
    /// whose row locks let writers run side by side.
    pub(crate) write_gate: Option<tokio::sync::Mutex<()>>,
}

impl<DB: Database> SqlStore<DB> {
    pub(crate) fn new(pool: Pool<DB>) -> Self {
        SqlStore { pool, write_gate: None }
    }

    /// The same store with its account writes queued in-process (for SQLite, which allows one writer at a time).
    pub(crate) fn with_write_gate(self) -> Self {
        SqlStore { write_gate: Some(tokio::sync::Mutex::new(())), ..self }
    }
}

/// The columns [`source_from_row`] reads, in one place so every query that returns sources selects the same.
macro_rules! source_columns {
    () => {
        "id, url, kind, title, site_url, category, created_at, etag, last_modified, last_polled_at, \
         last_success_at, last_error, last_error_at, error_count, next_poll_at, poll_interval_secs, disabled, \
         extract_mode, skip_rules, lean"
    };
}

/// The columns [`list_item_from_row`] reads; `a` is articles, `s` its source.
macro_rules! list_columns {
    () => {
        "a.id, a.title, a.url, a.source_id, s.title AS source_title, s.url AS source_url, a.sort_at, \
         substr(a.content_text, 1, 301) AS excerpt"
    };
}
pub(crate) use list_columns;

/// Wraps a sqlx error with what the store was doing, for [`StoreError::Database`].
pub(crate) fn db_err(doing: impl std::fmt::Display) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| StoreError::Database(format!("{doing}: {e}"))
}

/// PostgreSQL text cannot hold NUL characters, and SQLite would store them, so the same feed would fail on one
/// backend and not the other. They carry no meaning in feed text: drop them on the way in.
pub(crate) fn clean(s: &str) -> Cow<'_, str> {
    if s.contains('\0') { Cow::Owned(s.replace('\0', "")) } else { Cow::Borrowed(s) }
}

pub(crate) fn clean_opt(s: &Option<String>) -> Option<Cow<'_, str>> {
    s.as_deref().map(clean)
}

/// Dates outside years 1–9999 come from broken feeds; PostgreSQL cannot store some of them at all, so the store
/// treats them as unknown rather than fail the whole poll on one backend only.
fn plausible(t: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    t.filter(|t| (1..=9999).contains(&t.year()))
}

/// The time an article is listed by: its publication time, unless it has none or claims to be published more than
/// a day after it was fetched (a wrong clock or time zone), in which case the fetch time. Without the clamp, one
/// item dated next year would sit at the top of every list until then.
pub(crate) fn sort_time(published_at: Option<DateTime<Utc>>, fetched_at: DateTime<Utc>) -> DateTime<Utc> {
    match published_at {
        Some(p) if p <= fetched_at + MAX_FUTURE_SKEW => p,
        _ => fetched_at,
    }
}

/// Cuts the text to at most [`EXCERPT_CHARS`] characters, at a word boundary when there is one, with an ellipsis
/// when anything was cut.
fn excerpt(text: &str) -> String {
    tidings_core::text::cut_at_word(text.trim(), EXCERPT_CHARS)
}

/// The host of a URL, to name a source that has no title.
fn source_from_row<DB>(row: &DB::Row) -> Result<Source, sqlx::Error>
where
    DB: Database,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'r> Decode<'r, DB>,
    i32: Type<DB> + for<'r> Decode<'r, DB>,
    bool: Type<DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'r> Decode<'r, DB>,
    DbTime: Type<DB> + for<'r> Decode<'r, DB>,
{
    let time = |col: &str| row.try_get::<DbTime, _>(col).map(|t| t.0);
    let opt_time = |col: &str| row.try_get::<Option<DbTime>, _>(col).map(|t| t.map(|t| t.0));
    Ok(Source {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        kind: SourceKind::parse(&row.try_get::<String, _>("kind")?),
        title: row.try_get("title")?,
        site_url: row.try_get("site_url")?,
        category: row.try_get("category")?,
        created_at: time("created_at")?,
        etag: row.try_get("etag")?,
        last_modified: row.try_get("last_modified")?,
        last_polled_at: opt_time("last_polled_at")?,
        last_success_at: opt_time("last_success_at")?,
        last_error: row.try_get("last_error")?,
        last_error_at: opt_time("last_error_at")?,
        error_count: row.try_get("error_count")?,
        next_poll_at: time("next_poll_at")?,
        poll_interval_secs: row.try_get("poll_interval_secs")?,
        disabled: row.try_get("disabled")?,
        extract_mode: ExtractMode::parse(&row.try_get::<String, _>("extract_mode")?).unwrap_or_default(),
        skip_rules: row
            .try_get::<String, _>("skip_rules")?
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        lean: Lean::parse(&row.try_get::<String, _>("lean")?),
    })
}

pub(crate) fn list_item_from_row<DB>(row: &DB::Row) -> Result<ArticleListItem, sqlx::Error>
where
    DB: Database,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'r> Decode<'r, DB>,
    DbTime: Type<DB> + for<'r> Decode<'r, DB>,
{
    let source_title = row
        .try_get::<Option<String>, _>("source_title")?
        .filter(|t| !t.trim().is_empty())
        .or_else(|| row.try_get::<String, _>("source_url").ok().and_then(|u| tidings_core::urlnorm::host_of(&u)));
    Ok(ArticleListItem {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        url: row.try_get("url")?,
        source_id: row.try_get("source_id")?,
        source_title,
        published_at: row.try_get::<DbTime, _>("sort_at")?.0,
        excerpt: excerpt(&row.try_get::<String, _>("excerpt")?),
    })
}

/// Whether an article's page is wanted by the extraction stage (its source says `always`, or `auto` and the
/// feed text is a teaser shorter than `$2` characters); `a` is articles, `s` its source. The clustering queue
/// waits for those pages; the extraction queue (`pending_extractions`) selects the same articles through
/// indexes.
macro_rules! page_wanted {
    () => {
        "(s.extract_mode = 'always' OR (s.extract_mode = 'auto' AND length(a.content_text) < $2))"
    };
}

/// The columns [`story_from_row`] reads, from `stories`.
macro_rules! story_columns {
    () => {
        "id, headline, article_count, outlet_count, first_at, latest_at"
    };
}

fn story_from_row<DB>(row: &DB::Row) -> Result<StorySummary, sqlx::Error>
where
    DB: Database,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'r> Decode<'r, DB>,
    DbTime: Type<DB> + for<'r> Decode<'r, DB>,
{
    Ok(StorySummary {
        id: row.try_get("id")?,
        headline: row.try_get("headline")?,
        article_count: row.try_get("article_count")?,
        outlet_count: row.try_get("outlet_count")?,
        first_seen: row.try_get::<DbTime, _>("first_at")?.0,
        last_updated: row.try_get::<DbTime, _>("latest_at")?.0,
    })
}

/// The `lean` and `outlets` columns of a row counting outlets by lean.
fn lean_count<DB>(row: &DB::Row) -> Result<(Option<Lean>, i64), sqlx::Error>
where
    DB: Database,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'r> Decode<'r, DB>,
{
    Ok((Lean::parse(&row.try_get::<String, _>("lean")?), row.try_get("outlets")?))
}

/// Joins rows of (key, (lean, outlets)), in which each key's rows are together, into one coverage per key.
fn fold_lean_rows<K: PartialEq>(rows: Vec<(K, (Option<Lean>, i64))>) -> Vec<(K, LeanCoverage)> {
    let mut out: Vec<(K, LeanCoverage)> = Vec::new();
    for (key, (lean, outlets)) in rows {
        match out.last_mut() {
            Some((last, coverage)) if *last == key => coverage.add(lean, outlets),
            _ => {
                let mut coverage = LeanCoverage::default();
                coverage.add(lean, outlets);
                out.push((key, coverage));
            }
        }
    }
    out
}

/// The columns [`cluster_job_from_row`] reads; `a` is articles, `s` its source. The text is cut, since
/// clustering and copy detection read only its first few thousand words.
macro_rules! cluster_job_columns {
    () => {
        "a.id, a.source_id, s.title AS source_title, s.url AS source_url, a.url, a.canonical_url, a.title, \
         a.author, substr(COALESCE(a.extracted_text, a.content_text), 1, 40000) AS text, a.published_at, \
         a.fetched_at, a.story_id, a.original_article_id"
    };
}

fn cluster_job_from_row<DB>(row: &DB::Row) -> Result<ClusterJob, sqlx::Error>
where
    DB: Database,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'r> Decode<'r, DB>,
    DbTime: Type<DB> + for<'r> Decode<'r, DB>,
{
    Ok(ClusterJob {
        article_id: row.try_get("id")?,
        source_id: row.try_get("source_id")?,
        source_title: row.try_get::<Option<String>, _>("source_title")?.filter(|t| !t.trim().is_empty()),
        source_url: row.try_get("source_url")?,
        url: row.try_get("url")?,
        canonical_url: row.try_get("canonical_url")?,
        title: row.try_get("title")?,
        author: row.try_get("author")?,
        text: row.try_get("text")?,
        published_at: row.try_get::<Option<DbTime>, _>("published_at")?.map(|t| t.0),
        fetched_at: row.try_get::<DbTime, _>("fetched_at")?.0,
        story_id: row.try_get("story_id")?,
        original_article_id: row.try_get("original_article_id")?,
    })
}

impl<DB> SqlStore<DB>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'a> &'a str: ColumnIndex<DB::Row> + Type<DB> + Encode<'a, DB>,
    i64: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    i32: Type<DB> + for<'r> Decode<'r, DB>,
    bool: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    DbTime: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    // sqlx implements Encode for Option per backend, not generically.
    for<'a> Option<&'a str>: Encode<'a, DB>,
    Option<DbTime>: for<'q> Encode<'q, DB>,
{
    /// A story's articles in `order` (an `ORDER BY` list of ours, never a caller's text), at most `limit`.
    async fn story_articles_ordered(&self, id: StoryId, limit: i64, order: &str) -> StoreResult<Vec<StoryArticle>> {
        let doing = || format!("listing the articles of story {id}");
        let sql = format!(
            "SELECT {}, a.original_article_id FROM articles a JOIN sources s ON s.id = a.source_id \
             WHERE a.story_id = $1 ORDER BY {order} LIMIT $2",
            list_columns!()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(limit.max(0))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err(doing()))?;
        rows.iter()
            .map(|row| {
                Ok(StoryArticle {
                    article: list_item_from_row::<DB>(row)?,
                    original_article_id: row.try_get("original_article_id")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db_err(doing()))
    }

    /// Stores one feed item inside the poll's transaction; returns whether it was new.
    async fn store_article(
        conn: &mut DB::Connection,
        source: SourceId,
        at: DateTime<Utc>,
        article: &NewArticle,
    ) -> StoreResult<bool> {
        let guid = clean(&article.guid);
        let canonical_url = clean_opt(&article.canonical_url);
        let title = clean(&article.title);
        let content_text = clean(&article.content_text);
        let content_hash = clean(&article.content_hash);
        let published_at = plausible(article.published_at);
        let updated_at = plausible(article.updated_at);
        let hash_alone_suffices = content_text.chars().count() >= MIN_HASH_ONLY_DEDUP_CHARS;

        // The three dedup keys in one round trip, each branch on its own index (a single WHERE with OR lets
        // SQLite's planner fall back to scanning every article of the source); `rank` makes the strongest match
        // the one refreshed. Earlier items of the same poll are already inserted in this transaction, so they are
        // found too.
        let existing = sqlx::query(
            "SELECT id, updated_at, 0 AS rank FROM articles WHERE source_id = $1 AND guid = $2 \
             UNION ALL SELECT id, updated_at, 1 FROM articles WHERE canonical_url = $3 AND source_id = $1 \
             UNION ALL SELECT id, updated_at, 2 FROM articles \
               WHERE content_hash = $4 AND source_id = $1 AND ($5 OR title = $6) \
             ORDER BY rank, id LIMIT 1",
        )
        .bind(source)
        .bind(guid.as_ref())
        .bind(canonical_url.as_deref())
        .bind(content_hash.as_ref())
        .bind(hash_alone_suffices)
        .bind(title.as_ref())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err(format_args!("looking up item {:?} of source {source}", article.guid)))?;

        if let Some(row) = existing {
            let id: i64 = row.try_get("id").map_err(db_err("reading a stored article"))?;
            let stored_updated = row
                .try_get::<Option<DbTime>, _>("updated_at")
                .map_err(db_err("reading a stored article"))?
                .map(|t| t.0);
            // A duplicate that says it was updated since we stored it brings the newer title and text; anything
            // else about the stored article (its id, guid, times) stays. The search index and the reading aids
            // were made from the old title and text: the article goes back on both queues, as after an
            // extraction (`record_extraction`), and the enrichment stage queues a new machine-written summary
            // when it has redone the aids.
            if let Some(new_updated) = updated_at
                && stored_updated.is_none_or(|old| new_updated > old)
            {
                sqlx::query(
                    "UPDATE articles SET title = $2, summary_html = $3, content_html = $4, content_text = $5, \
                     content_hash = $6, updated_at = $7, indexed_at = NULL, enriched_at = NULL WHERE id = $1",
                )
                .bind(id)
                .bind(title.as_ref())
                .bind(clean_opt(&article.summary_html).as_deref())
                .bind(clean_opt(&article.content_html).as_deref())
                .bind(content_text.as_ref())
                .bind(content_hash.as_ref())
                .bind(DbTime(new_updated))
                .execute(&mut *conn)
                .await
                .map_err(db_err(format_args!("refreshing article {id}")))?;
            }
            return Ok(false);
        }

        let row = sqlx::query(
            "INSERT INTO articles (source_id, guid, url, canonical_url, title, author, summary_html, content_html, \
             content_text, published_at, updated_at, language, image_url, content_hash, fetched_at, sort_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
        )
        .bind(source)
        .bind(guid.as_ref())
        .bind(clean_opt(&article.url).as_deref())
        .bind(canonical_url.as_deref())
        .bind(title.as_ref())
        .bind(clean_opt(&article.author).as_deref())
        .bind(clean_opt(&article.summary_html).as_deref())
        .bind(clean_opt(&article.content_html).as_deref())
        .bind(content_text.as_ref())
        .bind(published_at.map(DbTime))
        .bind(updated_at.map(DbTime))
        .bind(clean_opt(&article.language).as_deref())
        .bind(clean_opt(&article.image_url).as_deref())
        .bind(content_hash.as_ref())
        .bind(DbTime(at))
        .bind(DbTime(sort_time(published_at, at)))
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err(format_args!("storing item {:?} of source {source}", article.guid)))?;
        let id: i64 = row.try_get("id").map_err(db_err("reading a new article's id"))?;

        for (position, name) in (0_i64..).zip(&article.categories) {
            sqlx::query("INSERT INTO article_categories (article_id, position, name) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(position)
                .bind(clean(name).as_ref())
                .execute(&mut *conn)
                .await
                .map_err(db_err(format_args!("storing the categories of article {id}")))?;
        }
        Ok(true)
    }

    async fn list(&self, sql: &'static str, binds: ListBinds) -> StoreResult<Vec<ArticleListItem>> {
        let mut query = sqlx::query(sql);
        if let Some(source) = binds.source {
            query = query.bind(source);
        }
        if let Some(cursor) = binds.cursor {
            query = query.bind(DbTime(cursor.published_at)).bind(cursor.id);
        }
        let rows = query.bind(binds.limit.max(0)).fetch_all(&self.pool).await.map_err(db_err("listing articles"))?;
        rows.iter().map(list_item_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err("reading listed articles"))
    }

    async fn fetch_sources(&self, query: sqlx::query::Query<'_, DB, DB::Arguments>) -> StoreResult<Vec<Source>> {
        let rows = query.fetch_all(&self.pool).await.map_err(db_err("listing sources"))?;
        rows.iter().map(source_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err("reading sources"))
    }

    async fn fetch_source(&self, query: sqlx::query::Query<'_, DB, DB::Arguments>) -> StoreResult<Option<Source>> {
        let row = query.fetch_optional(&self.pool).await.map_err(db_err("reading a source"))?;
        row.as_ref().map(source_from_row::<DB>).transpose().map_err(db_err("reading a source"))
    }
}

/// The optional parts of an article list query, bound in this order after the fixed SQL.
struct ListBinds {
    source: Option<SourceId>,
    cursor: Option<ArticleCursor>,
    limit: i64,
}

#[async_trait]
impl<DB> Store for SqlStore<DB>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'a> &'a str: ColumnIndex<DB::Row> + Type<DB> + Encode<'a, DB>,
    i64: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    i32: Type<DB> + for<'r> Decode<'r, DB>,
    bool: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    DbTime: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    // sqlx implements Encode for Option per backend, not generically.
    for<'a> Option<&'a str>: Encode<'a, DB>,
    Option<DbTime>: for<'q> Encode<'q, DB>,
    Option<i64>: for<'q> Encode<'q, DB>,
    f64: Type<DB> + for<'q> Encode<'q, DB>,
{
    fn backend(&self) -> &'static str {
        DB::BACKEND
    }

    fn accounts(&self) -> &dyn AccountStore {
        self
    }

    fn machine_summaries(&self) -> &dyn MachineSummaryStore {
        self
    }

    async fn add_source(&self, source: NewSource) -> StoreResult<Source> {
        let now = DbTime(Utc::now());
        let row = sqlx::query(concat!(
            "INSERT INTO sources (url, kind, title, site_url, category, created_at, next_poll_at, \
             poll_interval_secs) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING ",
            source_columns!()
        ))
        .bind(clean(&source.url).as_ref())
        .bind(source.kind.as_str())
        .bind(clean_opt(&source.title).as_deref())
        .bind(clean_opt(&source.site_url).as_deref())
        .bind(clean_opt(&source.category).as_deref())
        .bind(now)
        .bind(DEFAULT_POLL_INTERVAL_SECS)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            // The only unique key a new source can violate is its URL.
            if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
                StoreError::DuplicateSource(source.url.clone())
            } else {
                db_err(format_args!("adding source {}", source.url))(e)
            }
        })?;
        source_from_row::<DB>(&row).map_err(db_err("reading the new source"))
    }

    async fn remove_source(&self, id: SourceId) -> StoreResult<bool> {
        let doing = || format!("removing source {id}");
        let mut tx = self.pool.begin().await.map_err(db_err(doing()))?;
        // A write first, as in record_poll: SQLite takes its write lock before this transaction reads, and
        // PostgreSQL locks the source's row, so a poll of it waits and cannot add articles the counts below miss.
        let found = sqlx::query("UPDATE sources SET disabled = disabled WHERE id = $1 RETURNING id")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err(doing()))?;
        if found.is_none() {
            return Ok(false);
        }
        // What the source's articles count in: their stories, entities and topics keep counts of articles (the
        // lists read the counts, not the articles), to be redone once the articles are gone.
        let ids =
            |rows: Vec<DB::Row>| -> Result<Vec<i64>, sqlx::Error> { rows.iter().map(|r| r.try_get("id")).collect() };
        // Written, not only read: on PostgreSQL this locks every article of the source, so a clustering or an
        // enrichment of one of them that is under way finishes first (its story, its links are then seen here)
        // and one that starts later waits for the articles to be gone. SQLite's one writer already holds off both.
        let mut stories: Vec<i64> =
            sqlx::query("UPDATE articles SET story_id = story_id WHERE source_id = $1 RETURNING story_id")
                .bind(id)
                .fetch_all(&mut *tx)
                .await
                .and_then(|rows| {
                    rows.iter().map(|r| r.try_get::<Option<i64>, _>("story_id")).collect::<Result<Vec<_>, _>>()
                })
                .map_err(db_err(doing()))?
                .into_iter()
                .flatten()
                .collect();
        stories.sort_unstable();
        stories.dedup();
        let entities = sqlx::query(
            "SELECT DISTINCT ae.entity_id AS id FROM article_entities ae JOIN articles a ON a.id = ae.article_id \
             WHERE a.source_id = $1",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .and_then(ids)
        .map_err(db_err(doing()))?;
        let topics = sqlx::query(
            "SELECT DISTINCT t.topic FROM article_topics t JOIN articles a ON a.id = t.article_id \
             WHERE a.source_id = $1",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .and_then(|rows| rows.iter().map(|r| r.try_get::<String, _>("topic")).collect::<Result<Vec<_>, _>>())
        .map_err(db_err(doing()))?;

        // Articles, their categories, entity and topic links, saves and comments go with it by ON DELETE CASCADE.
        sqlx::query("DELETE FROM sources WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(db_err(doing()))?;

        // Counted again from what is left. A story left with no article keeps its row (its comments, and the
        // stories merged into it, still point there) with a count of 0, which keeps it out of every list, as a
        // merged story's is; its times stay as they were.
        let recount = [
            "UPDATE stories SET \
               article_count = (SELECT COUNT(*) FROM articles a WHERE a.story_id = stories.id), \
               outlet_count = (SELECT COUNT(DISTINCT a.source_id) FROM articles a WHERE a.story_id = stories.id), \
               first_at = COALESCE((SELECT MIN(a.sort_at) FROM articles a WHERE a.story_id = stories.id), first_at), \
               latest_at = COALESCE((SELECT MAX(a.sort_at) FROM articles a WHERE a.story_id = stories.id), latest_at) \
             WHERE id IN ({})",
            "UPDATE entities SET \
               article_count = (SELECT COUNT(*) FROM article_entities ae WHERE ae.entity_id = entities.id) \
             WHERE id IN ({})",
        ];
        for (sql, ids) in recount.into_iter().zip([&stories, &entities]) {
            for chunk in ids.chunks(crate::accounts::IN_LIST_CHUNK) {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(in_list(sql, chunk.len())));
                for id in chunk {
                    query = query.bind(*id);
                }
                query.execute(&mut *tx).await.map_err(db_err(doing()))?;
            }
        }
        for chunk in topics.chunks(crate::accounts::IN_LIST_CHUNK) {
            let sql = "UPDATE topics SET \
                         article_count = (SELECT COUNT(*) FROM article_topics t WHERE t.topic = topics.name) \
                       WHERE name IN ({})";
            let mut query = sqlx::query(sqlx::AssertSqlSafe(in_list(sql, chunk.len())));
            for name in chunk {
                query = query.bind(name.as_str());
            }
            query.execute(&mut *tx).await.map_err(db_err(doing()))?;
        }
        tx.commit().await.map_err(db_err(doing()))?;
        Ok(true)
    }

    async fn source(&self, id: SourceId) -> StoreResult<Option<Source>> {
        self.fetch_source(sqlx::query(concat!("SELECT ", source_columns!(), " FROM sources WHERE id = $1")).bind(id))
            .await
    }

    async fn source_by_url(&self, url: &str) -> StoreResult<Option<Source>> {
        self.fetch_source(sqlx::query(concat!("SELECT ", source_columns!(), " FROM sources WHERE url = $1")).bind(url))
            .await
    }

    async fn sources(&self) -> StoreResult<Vec<Source>> {
        self.fetch_sources(sqlx::query(concat!("SELECT ", source_columns!(), " FROM sources ORDER BY id"))).await
    }

    async fn due_sources(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Source>> {
        // `NOT disabled` matches the partial index sources_due word for word, which SQLite needs to use it.
        self.fetch_sources(
            sqlx::query(concat!(
                "SELECT ",
                source_columns!(),
                " FROM sources WHERE NOT disabled AND next_poll_at <= $1 ORDER BY next_poll_at, id LIMIT $2"
            ))
            .bind(DbTime(now))
            .bind(limit.max(0)),
        )
        .await
    }

    async fn enable_source(&self, id: SourceId, now: DateTime<Utc>) -> StoreResult<()> {
        let row = sqlx::query(
            "UPDATE sources SET disabled = $2, error_count = 0, next_poll_at = $3 WHERE id = $1 RETURNING id",
        )
        .bind(id)
        .bind(false)
        .bind(DbTime(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(format_args!("enabling source {id}")))?;
        row.map(|_| ()).ok_or(StoreError::NotFound { what: "source", id })
    }

    async fn schedule_now(&self, id: SourceId, now: DateTime<Utc>) -> StoreResult<()> {
        let row = sqlx::query("UPDATE sources SET next_poll_at = $2 WHERE id = $1 RETURNING id")
            .bind(id)
            .bind(DbTime(now))
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err(format_args!("scheduling source {id}")))?;
        row.map(|_| ()).ok_or(StoreError::NotFound { what: "source", id })
    }

    async fn record_poll(&self, source: SourceId, at: DateTime<Utc>, poll: PollSuccess) -> StoreResult<PollReport> {
        let doing = || format!("recording a poll of source {source}");
        let mut tx = self.pool.begin().await.map_err(db_err(doing()))?;

        // The source's update comes first: it is a write, so SQLite takes the write lock before this transaction
        // reads anything (a read-then-write transaction could fail with SQLITE_BUSY when another writer got in
        // between), and PostgreSQL locks the row, so two workers polling the same source at once store it one after
        // the other and the second sees the first's articles as duplicates instead of failing on the unique key.
        // Validators: a 304 carries none, so the old ones stay; a 200 without them means the server dropped them.
        let updated = sqlx::query(
            "UPDATE sources SET \
               etag = CASE WHEN $2 THEN COALESCE($3, etag) ELSE $3 END, \
               last_modified = CASE WHEN $2 THEN COALESCE($4, last_modified) ELSE $4 END, \
               last_polled_at = $5, last_success_at = $5, error_count = 0, last_error = NULL, \
               next_poll_at = $6, poll_interval_secs = $7, \
               title = CASE WHEN title IS NULL OR title = '' THEN $8 ELSE title END, \
               site_url = CASE WHEN site_url IS NULL OR site_url = '' THEN $9 ELSE site_url END \
             WHERE id = $1 RETURNING id",
        )
        .bind(source)
        .bind(poll.not_modified)
        .bind(clean_opt(&poll.etag).as_deref())
        .bind(clean_opt(&poll.last_modified).as_deref())
        .bind(DbTime(at))
        .bind(DbTime(poll.next_poll_at))
        .bind(poll.poll_interval_secs)
        .bind(clean_opt(&poll.feed_title).as_deref().filter(|t| !t.trim().is_empty()))
        .bind(clean_opt(&poll.site_url).as_deref().filter(|u| !u.trim().is_empty()))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err(doing()))?;
        if updated.is_none() {
            return Err(StoreError::NotFound { what: "source", id: source });
        }

        let mut report = PollReport::default();
        for article in &poll.articles {
            if Self::store_article(&mut tx, source, at, article).await? {
                report.inserted += 1;
            } else {
                report.duplicates += 1;
            }
        }
        // Any error above returned early and dropped `tx`, which rolls the whole poll back.
        tx.commit().await.map_err(db_err(doing()))?;
        Ok(report)
    }

    async fn record_failure(&self, source: SourceId, at: DateTime<Utc>, failure: PollFailure) -> StoreResult<()> {
        let row = sqlx::query(
            "UPDATE sources SET last_error = $2, last_error_at = $3, last_polled_at = $3, \
             error_count = error_count + 1, next_poll_at = $4, disabled = (disabled OR $5) \
             WHERE id = $1 RETURNING id",
        )
        .bind(source)
        .bind(clean(&failure.error).as_ref())
        .bind(DbTime(at))
        .bind(DbTime(failure.next_poll_at))
        .bind(failure.disable)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(format_args!("recording a failed poll of source {source}")))?;
        row.map(|_| ()).ok_or(StoreError::NotFound { what: "source", id: source })
    }

    async fn latest_articles(&self, limit: i64, cursor: Option<ArticleCursor>) -> StoreResult<Vec<ArticleListItem>> {
        // Two texts rather than `($n IS NULL OR …)`, so each gets a plan that walks the articles_latest index; the
        // row comparison is what both planners turn into an index range (an OR of comparisons becomes a filter).
        let sql = match cursor {
            None => concat!(
                "SELECT ",
                list_columns!(),
                " FROM articles a JOIN sources s ON s.id = a.source_id \
                 ORDER BY a.sort_at DESC, a.id DESC LIMIT $1"
            ),
            Some(_) => concat!(
                "SELECT ",
                list_columns!(),
                " FROM articles a JOIN sources s ON s.id = a.source_id \
                 WHERE (a.sort_at, a.id) < ($1, $2) \
                 ORDER BY a.sort_at DESC, a.id DESC LIMIT $3"
            ),
        };
        self.list(sql, ListBinds { source: None, cursor, limit }).await
    }

    async fn source_articles(&self, source: SourceId, limit: i64) -> StoreResult<Vec<ArticleListItem>> {
        let sql = concat!(
            "SELECT ",
            list_columns!(),
            " FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.source_id = $1 \
             ORDER BY a.sort_at DESC, a.id DESC LIMIT $2"
        );
        self.list(sql, ListBinds { source: Some(source), cursor: None, limit }).await
    }

    async fn topics(&self) -> StoreResult<Vec<(String, i64)>> {
        let doing = "listing topics";
        // Sources' categories with how many sources have each, and the enrichment stage's topics (no sources).
        let rows = sqlx::query(
            "SELECT category AS name, COUNT(*) AS n FROM sources WHERE category IS NOT NULL AND category <> '' \
             GROUP BY category UNION ALL SELECT name, 0 FROM topics WHERE article_count > 0",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing))?;
        let mut topics = std::collections::BTreeMap::<String, i64>::new();
        for row in &rows {
            let name: String = row.try_get("name").map_err(db_err(doing))?;
            *topics.entry(name).or_default() += row.try_get::<i64, _>("n").map_err(db_err(doing))?;
        }
        Ok(topics.into_iter().collect())
    }

    async fn topic_articles(
        &self,
        topic: &str,
        limit: i64,
        cursor: Option<ArticleCursor>,
    ) -> StoreResult<Vec<ArticleListItem>> {
        let doing = || format!("listing the articles of topic {topic:?}");
        // An article is in a topic by its source's category or by the enrichment stage's topics. Each branch
        // reads its own index, newest first and only as far as one page; the union is then cut to the page.
        let (newer_by_source, newer_by_topic) = match cursor {
            None => ("", ""),
            Some(_) => ("AND (a2.sort_at, a2.id) < ($3, $4)", "AND (sort_at, article_id) < ($3, $4)"),
        };
        let sql = format!(
            concat!(
                "SELECT ",
                list_columns!(),
                " FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.id IN ( \
                 SELECT id FROM (SELECT a2.id FROM articles a2 JOIN sources s2 ON s2.id = a2.source_id \
                   WHERE s2.category = $1 {} ORDER BY a2.sort_at DESC, a2.id DESC LIMIT $2) by_source \
                 UNION SELECT article_id FROM (SELECT article_id FROM article_topics WHERE topic = $1 {} \
                   ORDER BY sort_at DESC, article_id DESC LIMIT $2) by_topic) \
                 ORDER BY a.sort_at DESC, a.id DESC LIMIT $2"
            ),
            newer_by_source, newer_by_topic
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(clean(topic).into_owned()).bind(limit.max(0));
        if let Some(c) = cursor {
            query = query.bind(DbTime(c.published_at)).bind(c.id);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(db_err(doing()))?;
        rows.iter().map(list_item_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(doing()))
    }

    async fn article(&self, id: ArticleId) -> StoreResult<Option<Article>> {
        let doing = || format!("reading article {id}");
        let Some(row) = sqlx::query(
            "SELECT id, source_id, guid, url, canonical_url, title, author, summary_html, content_html, \
             content_text, published_at, updated_at, language, image_url, content_hash, fetched_at, \
             extracted_html, extracted_text, word_count, extraction_error, story_id, original_article_id \
             FROM articles WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(doing()))?
        else {
            return Ok(None);
        };
        let categories = sqlx::query("SELECT name FROM article_categories WHERE article_id = $1 ORDER BY position")
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err(doing()))?
            .iter()
            .map(|r| r.try_get::<String, _>("name"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_err(doing()))?;
        let read = || -> Result<Article, sqlx::Error> {
            let opt_time = |col: &str| row.try_get::<Option<DbTime>, _>(col).map(|t| t.map(|t| t.0));
            Ok(Article {
                id: row.try_get("id")?,
                source_id: row.try_get("source_id")?,
                fetched_at: row.try_get::<DbTime, _>("fetched_at")?.0,
                extracted: match (
                    row.try_get::<Option<String>, _>("extracted_html")?,
                    row.try_get::<Option<String>, _>("extracted_text")?,
                ) {
                    (Some(html), Some(text)) => Some(ExtractedBody {
                        html,
                        text,
                        word_count: row.try_get::<Option<i64>, _>("word_count")?.unwrap_or_default(),
                    }),
                    _ => None,
                },
                extraction_error: row.try_get("extraction_error")?,
                story_id: row.try_get("story_id")?,
                original_article_id: row.try_get("original_article_id")?,
                fields: NewArticle {
                    guid: row.try_get("guid")?,
                    url: row.try_get("url")?,
                    canonical_url: row.try_get("canonical_url")?,
                    title: row.try_get("title")?,
                    author: row.try_get("author")?,
                    summary_html: row.try_get("summary_html")?,
                    content_html: row.try_get("content_html")?,
                    content_text: row.try_get("content_text")?,
                    published_at: opt_time("published_at")?,
                    updated_at: opt_time("updated_at")?,
                    language: row.try_get("language")?,
                    image_url: row.try_get("image_url")?,
                    categories,
                    content_hash: row.try_get("content_hash")?,
                },
            })
        };
        read().map(Some).map_err(db_err(doing()))
    }

    async fn update_source_settings(&self, id: SourceId, change: &SourceSettingsChange) -> StoreResult<()> {
        let rules = change.skip_rules.as_deref();
        if let Some(rule) = rules.into_iter().flatten().find(|r| r.contains(['\n', '\r']) || r.trim().is_empty()) {
            return Err(StoreError::Refused(format!("skip rule {rule:?}: a rule is one line, not empty")));
        }
        let category =
            change.category.as_ref().map(|c| clean_opt(c).map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()));
        let joined_rules = rules.map(|rules| rules.join("\n"));
        let row = sqlx::query(
            "UPDATE sources SET category = CASE WHEN $2 THEN $3 ELSE category END, \
             extract_mode = COALESCE($4, extract_mode), lean = CASE WHEN $5 THEN $6 ELSE lean END, \
             skip_rules = COALESCE($7, skip_rules) WHERE id = $1 RETURNING id",
        )
        .bind(id)
        .bind(category.is_some())
        .bind(category.as_ref().and_then(|c| c.as_deref()))
        .bind(change.extract_mode.map(ExtractMode::as_str))
        .bind(change.lean.is_some())
        .bind(change.lean.flatten().map_or("", Lean::as_str))
        .bind(joined_rules.as_deref())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(format_args!("changing the settings of source {id}")))?;
        row.map(|_| ()).ok_or(StoreError::NotFound { what: "source", id })
    }

    async fn pending_extractions(&self, limit: i64, teaser_max_chars: i64) -> StoreResult<Vec<ExtractionJob>> {
        let doing = "listing articles to extract";
        // The same articles as `page_wanted!()` selects, read through the two partial indexes of migration 0005
        // (the articles of `always` sources by source, and `auto` teasers by text length) rather than by walking
        // every article never extracted, which under `auto` is nearly all of them. The `+ 0` keeps SQLite from
        // reading the whole table in id order to spare itself sorting the few rows found.
        let rows = sqlx::query(
            "SELECT id, url FROM ( \
               SELECT a.id, a.url FROM articles a \
                WHERE a.source_id IN (SELECT id FROM sources WHERE extract_mode = 'always') \
                  AND a.extracted_at IS NULL AND a.url IS NOT NULL \
               UNION ALL \
               SELECT a.id, a.url FROM articles a JOIN sources s ON s.id = a.source_id \
                WHERE length(a.content_text) < $2 AND a.extracted_at IS NULL AND a.url IS NOT NULL \
                  AND s.extract_mode = 'auto' \
             ) AS queue ORDER BY id + 0 DESC LIMIT $1",
        )
        .bind(limit.max(0))
        .bind(teaser_max_chars)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing))?;
        rows.iter()
            .map(|row| Ok(ExtractionJob { article_id: row.try_get("id")?, url: row.try_get("url")? }))
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db_err(doing))
    }

    async fn record_extraction(
        &self,
        article: ArticleId,
        at: DateTime<Utc>,
        outcome: Result<ExtractedBody, String>,
    ) -> StoreResult<()> {
        let (html, text, words, error) = match &outcome {
            Ok(body) => (Some(clean(&body.html)), Some(clean(&body.text)), Some(body.word_count), None),
            Err(error) => (None, None, None, Some(clean(error))),
        };
        let row = sqlx::query(
            "UPDATE articles SET extracted_html = $2, extracted_text = $3, word_count = $4, \
             extraction_error = $5, extracted_at = $6, \
             indexed_at = CASE WHEN $3 IS NULL THEN indexed_at ELSE NULL END, \
             enriched_at = CASE WHEN $3 IS NULL THEN enriched_at ELSE NULL END WHERE id = $1 RETURNING id",
        )
        .bind(article)
        .bind(html.as_deref())
        .bind(text.as_deref())
        .bind(words)
        .bind(error.as_deref())
        .bind(DbTime(at))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(format_args!("recording the extraction of article {article}")))?;
        row.map(|_| ()).ok_or(StoreError::NotFound { what: "article", id: article })
    }

    async fn count_articles(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM articles")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err("counting articles"))?;
        row.try_get("n").map_err(db_err("counting articles"))
    }

    async fn pending_clustering(
        &self,
        limit: i64,
        teaser_max_chars: i64,
        extraction_grace_before: DateTime<Utc>,
    ) -> StoreResult<Vec<ClusterJob>> {
        let doing = "listing articles to cluster";
        let rows = sqlx::query(concat!(
            "SELECT ",
            cluster_job_columns!(),
            " FROM articles a JOIN sources s ON s.id = a.source_id \
             WHERE a.clustered_at IS NULL \
               AND (a.extracted_at IS NOT NULL OR a.url IS NULL OR a.fetched_at < $3 OR NOT ",
            page_wanted!(),
            ") ORDER BY a.id LIMIT $1"
        ))
        .bind(limit.max(0))
        .bind(teaser_max_chars)
        .bind(DbTime(extraction_grace_before))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing))?;
        rows.iter().map(cluster_job_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(doing))
    }

    async fn recent_clustered(&self, since: DateTime<Utc>, limit: i64) -> StoreResult<Vec<ClusterJob>> {
        let doing = "reading recently clustered articles";
        let rows = sqlx::query(concat!(
            "SELECT ",
            cluster_job_columns!(),
            " FROM articles a JOIN sources s ON s.id = a.source_id \
             WHERE a.sort_at >= $1 AND a.clustered_at IS NOT NULL \
             ORDER BY a.clustered_at, a.id LIMIT $2"
        ))
        .bind(DbTime(since))
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing))?;
        rows.iter().map(cluster_job_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(doing))
    }

    async fn record_clustering(&self, at: DateTime<Utc>, batch: ClusteringBatch) -> StoreResult<Vec<StoryId>> {
        let doing = "recording clustered articles";
        let mut tx = self.pool.begin().await.map_err(db_err(doing))?;
        let mut created = Vec::with_capacity(batch.new_stories.len());
        for headline in &batch.new_stories {
            let row = sqlx::query(
                "INSERT INTO stories (headline, created_at, updated_at, latest_at, first_at, article_count, \
                 outlet_count) VALUES ($1, $2, $2, $2, $2, 0, 0) RETURNING id",
            )
            .bind(clean(headline).as_ref())
            .bind(DbTime(at))
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err(doing))?;
            created.push(row.try_get::<i64, _>("id").map_err(db_err(doing))?);
        }
        let resolve = |target: StoryTarget| -> StoreResult<StoryId> {
            match target {
                StoryTarget::Existing(id) => Ok(id),
                StoryTarget::New(i) => created.get(i).copied().ok_or_else(|| {
                    StoreError::Database(format!("{doing}: new story {i} of a batch that creates {}", created.len()))
                }),
            }
        };
        let mut touched: Vec<StoryId> = Vec::new();
        for &(gone, into) in &batch.merges {
            let into = resolve(into)?;
            if gone == into {
                continue;
            }
            // The discussion goes where the articles go: the gone story's page now redirects to `into`, so its
            // comments would otherwise vanish from view, and its lock would stop holding. `into` is locked if
            // either was. The comments move after `gone` is marked merged: on PostgreSQL a comment being posted
            // on `gone` meanwhile holds its row (see add_comment), so the marking waits for that comment to
            // commit and this statement, which reads afresh, moves it too.
            for sql in [
                "UPDATE articles SET story_id = $2 WHERE story_id = $1",
                "UPDATE stories SET merged_into = $2 WHERE merged_into = $1",
                "UPDATE stories SET merged_into = $2, article_count = 0, outlet_count = 0 WHERE id = $1",
                "DELETE FROM story_relations WHERE story_id = $1 OR related_id = $1",
                "UPDATE comments SET story_id = $2 WHERE story_id = $1",
                "INSERT INTO locked_threads (story_id, locked_at) \
                 SELECT $2, locked_at FROM locked_threads WHERE story_id = $1 ON CONFLICT DO NOTHING",
                "DELETE FROM locked_threads WHERE story_id = $1",
            ] {
                sqlx::query(sql).bind(gone).bind(into).execute(&mut *tx).await.map_err(db_err(doing))?;
            }
            touched.push(into);
        }
        for &(article, target) in &batch.assignments {
            let story = resolve(target)?;
            sqlx::query("UPDATE articles SET story_id = $2, clustered_at = $3 WHERE id = $1")
                .bind(article)
                .bind(story)
                .bind(DbTime(at))
                .execute(&mut *tx)
                .await
                .map_err(db_err(doing))?;
            touched.push(story);
        }
        for &(article, original) in &batch.originals {
            sqlx::query("UPDATE articles SET original_article_id = $2, original_reason = $3 WHERE id = $1")
                .bind(article)
                .bind(original.map(|o| o.0))
                .bind(original.map(|o| o.1.as_str()))
                .execute(&mut *tx)
                .await
                .map_err(db_err(doing))?;
        }
        for (target, headline) in &batch.headlines {
            sqlx::query("UPDATE stories SET headline = $2 WHERE id = $1")
                .bind(resolve(*target)?)
                .bind(clean(headline).as_ref())
                .execute(&mut *tx)
                .await
                .map_err(db_err(doing))?;
        }
        touched.sort_unstable();
        touched.dedup();
        for story in touched {
            sqlx::query(
                "UPDATE stories SET updated_at = $2, \
                   article_count = (SELECT COUNT(*) FROM articles WHERE story_id = $1), \
                   outlet_count = (SELECT COUNT(DISTINCT source_id) FROM articles WHERE story_id = $1), \
                   first_at = COALESCE((SELECT MIN(sort_at) FROM articles WHERE story_id = $1), first_at), \
                   latest_at = COALESCE((SELECT MAX(sort_at) FROM articles WHERE story_id = $1), latest_at) \
                 WHERE id = $1",
            )
            .bind(story)
            .bind(DbTime(at))
            .execute(&mut *tx)
            .await
            .map_err(db_err(doing))?;
        }
        tx.commit().await.map_err(db_err(doing))?;
        Ok(created)
    }

    async fn record_related(&self, story: StoryId, related: &[(StoryId, f32)]) -> StoreResult<()> {
        let doing = || format!("recording the stories related to story {story}");
        let mut tx = self.pool.begin().await.map_err(db_err(doing()))?;
        sqlx::query("DELETE FROM story_relations WHERE story_id = $1")
            .bind(story)
            .execute(&mut *tx)
            .await
            .map_err(db_err(doing()))?;
        for (position, &(other, score)) in related.iter().enumerate() {
            if other == story {
                continue;
            }
            sqlx::query(
                "INSERT INTO story_relations (story_id, related_id, position, score) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (story_id, related_id) DO NOTHING",
            )
            .bind(story)
            .bind(other)
            .bind(position as i64)
            .bind(f64::from(score))
            .execute(&mut *tx)
            .await
            .map_err(db_err(doing()))?;
        }
        tx.commit().await.map_err(db_err(doing()))
    }

    async fn latest_stories(&self, limit: i64, cursor: Option<StoryCursor>) -> StoreResult<Vec<StorySummary>> {
        let doing = "listing stories";
        let query = match cursor {
            None => sqlx::query(concat!(
                "SELECT ",
                story_columns!(),
                " FROM stories WHERE merged_into IS NULL AND article_count > 0 \
                 ORDER BY latest_at DESC, id DESC LIMIT $1"
            ))
            .bind(limit.max(0)),
            Some(c) => sqlx::query(concat!(
                "SELECT ",
                story_columns!(),
                " FROM stories WHERE merged_into IS NULL AND article_count > 0 AND (latest_at, id) < ($2, $3) \
                 ORDER BY latest_at DESC, id DESC LIMIT $1"
            ))
            .bind(limit.max(0))
            .bind(DbTime(c.last_updated))
            .bind(c.id),
        };
        let rows = query.fetch_all(&self.pool).await.map_err(db_err(doing))?;
        rows.iter().map(story_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(doing))
    }

    async fn story(&self, id: StoryId) -> StoreResult<Option<StorySummary>> {
        let doing = || format!("reading story {id}");
        // Merges flatten their chains (see record_clustering), so one hop reaches the live story.
        let row = sqlx::query(concat!(
            "SELECT ",
            story_columns!(),
            " FROM stories WHERE id = (SELECT COALESCE(merged_into, id) FROM stories WHERE id = $1)"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(doing()))?;
        row.as_ref().map(story_from_row::<DB>).transpose().map_err(db_err(doing()))
    }

    async fn story_articles(&self, id: StoryId, limit: i64) -> StoreResult<Vec<StoryArticle>> {
        self.story_articles_ordered(id, limit, "a.sort_at, a.id").await
    }

    async fn newest_story_articles(&self, id: StoryId, limit: i64) -> StoreResult<Vec<StoryArticle>> {
        self.story_articles_ordered(id, limit, "a.sort_at DESC, a.id DESC").await
    }

    async fn source_stories(&self, source: SourceId, limit: i64) -> StoreResult<Vec<StorySummary>> {
        let doing = || format!("listing the stories of source {source}");
        let rows = sqlx::query(concat!(
            "SELECT ",
            story_columns!(),
            " FROM stories WHERE merged_into IS NULL AND article_count > 0 AND id IN \
             (SELECT story_id FROM articles WHERE source_id = $1 AND story_id IS NOT NULL) \
             ORDER BY latest_at DESC, id DESC LIMIT $2"
        ))
        .bind(source)
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing()))?;
        rows.iter().map(story_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(doing()))
    }

    async fn related_stories(&self, id: StoryId, limit: i64) -> StoreResult<Vec<StorySummary>> {
        let doing = || format!("listing the stories related to story {id}");
        let rows = sqlx::query(
            "SELECT st.id, st.headline, st.article_count, st.outlet_count, st.first_at, st.latest_at \
             FROM story_relations r JOIN stories st ON st.id = r.related_id \
             WHERE r.story_id = $1 AND st.merged_into IS NULL AND st.article_count > 0 \
             ORDER BY r.position LIMIT $2",
        )
        .bind(id)
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing()))?;
        rows.iter().map(story_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(doing()))
    }

    async fn story_lean_coverage(&self, id: StoryId) -> StoreResult<LeanCoverage> {
        let doing = || format!("counting the outlets of story {id} by lean");
        let rows = sqlx::query(
            "SELECT s.lean AS lean, COUNT(DISTINCT a.source_id) AS outlets FROM articles a \
             JOIN sources s ON s.id = a.source_id \
             WHERE a.story_id = (SELECT COALESCE(merged_into, id) FROM stories WHERE id = $1) GROUP BY s.lean",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing()))?;
        let rows = rows.iter().map(|row| Ok(((), lean_count::<DB>(row)?))).collect::<Result<Vec<_>, _>>();
        let coverage = fold_lean_rows(rows.map_err(db_err(doing()))?);
        Ok(coverage.into_iter().next().map(|(_, c)| c).unwrap_or_default())
    }

    async fn stories_lean_coverage(&self, ids: &[StoryId]) -> StoreResult<Vec<(StoryId, LeanCoverage)>> {
        let doing = "counting the outlets of listed stories by lean";
        let mut coverage: Vec<(StoryId, LeanCoverage)> = Vec::new();
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(crate::accounts::IN_LIST_CHUNK) {
            let sql = in_list(
                "SELECT a.story_id AS story, s.lean AS lean, COUNT(DISTINCT a.source_id) AS outlets FROM articles a \
                 JOIN sources s ON s.id = a.source_id WHERE a.story_id IN ({}) GROUP BY a.story_id, s.lean \
                 ORDER BY a.story_id",
                chunk.len(),
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            let rows = query.fetch_all(&self.pool).await.map_err(db_err(doing))?;
            let rows = rows
                .iter()
                .map(|row| Ok((row.try_get::<StoryId, _>("story")?, lean_count::<DB>(row)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(db_err(doing))?;
            coverage.extend(fold_lean_rows(rows));
        }
        Ok(coverage)
    }

    async fn rated_coverage_since(
        &self,
        since: DateTime<Utc>,
        min_outlets: i64,
        scan: i64,
    ) -> StoreResult<Vec<(StoryId, LeanCoverage)>> {
        let doing = "counting the outlets of recent stories by lean";
        // The newest `scan` stories with enough outlets first (walking stories_live, whose entries the outlet
        // count then filters: the live stories of the span at most), then their articles' sources, each counted
        // once. A republished copy counts for its outlet: running a wire story is covering it.
        let rows = sqlx::query(
            "SELECT st.id AS story, s.lean AS lean, COUNT(DISTINCT a.source_id) AS outlets \
             FROM (SELECT id, latest_at FROM stories \
                   WHERE merged_into IS NULL AND article_count > 0 AND latest_at >= $1 AND outlet_count >= $2 \
                   ORDER BY latest_at DESC, id DESC LIMIT $3) st \
             JOIN articles a ON a.story_id = st.id JOIN sources s ON s.id = a.source_id \
             GROUP BY st.latest_at, st.id, s.lean ORDER BY st.latest_at DESC, st.id DESC",
        )
        .bind(DbTime(since))
        .bind(min_outlets)
        .bind(scan.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing))?;
        let rows = rows
            .iter()
            .map(|row| Ok((row.try_get::<StoryId, _>("story")?, lean_count::<DB>(row)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db_err(doing))?;
        let mut stories = fold_lean_rows(rows);
        stories.retain(|(_, coverage)| coverage.rated() > 0);
        Ok(stories)
    }

    async fn syndication(&self, article: ArticleId) -> StoreResult<Syndication> {
        let doing = || format!("reading the copies of article {article}");
        let root = sqlx::query("SELECT COALESCE(original_article_id, id) AS root FROM articles WHERE id = $1")
            .bind(article)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err(doing()))?;
        let Some(root) = root else { return Ok(Syndication::default()) };
        let root: ArticleId = root.try_get("root").map_err(db_err(doing()))?;
        let rows = sqlx::query(concat!(
            "SELECT ",
            list_columns!(),
            ", a.original_reason FROM articles a JOIN sources s ON s.id = a.source_id \
             WHERE a.id = $1 OR a.original_article_id = $1 ORDER BY a.sort_at, a.id LIMIT 200"
        ))
        .bind(root)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing()))?;
        let mut out = Syndication::default();
        for row in &rows {
            let item = list_item_from_row::<DB>(row).map_err(db_err(doing()))?;
            if item.id == root {
                out.original = Some(item);
            } else {
                let reason: Option<String> = row.try_get("original_reason").map_err(db_err(doing()))?;
                out.reason = out.reason.or(reason.as_deref().and_then(OriginalReason::parse));
                out.copies.push(item);
            }
        }
        if out.copies.is_empty() {
            return Ok(Syndication::default());
        }
        Ok(out)
    }

    async fn pending_indexing(&self, limit: i64) -> StoreResult<Vec<SearchDoc>> {
        let doing = "listing articles to index for search";
        let rows = sqlx::query(
            "SELECT a.id, a.source_id, a.title, substr(COALESCE(a.extracted_text, a.content_text), 1, 100000) AS text, \
             s.title AS source_title, s.url AS source_url, s.site_url, s.category, a.sort_at \
             FROM articles a JOIN sources s ON s.id = a.source_id \
             WHERE a.indexed_at IS NULL ORDER BY a.id LIMIT $1",
        )
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing))?;
        rows.iter().map(search_doc_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(doing))
    }

    async fn mark_indexed(&self, ids: &[ArticleId], at: DateTime<Utc>) -> StoreResult<()> {
        let doing = "marking articles as indexed";
        let mut tx = self.pool.begin().await.map_err(db_err(doing))?;
        for id in ids {
            sqlx::query("UPDATE articles SET indexed_at = $2 WHERE id = $1")
                .bind(id)
                .bind(DbTime(at))
                .execute(&mut *tx)
                .await
                .map_err(db_err(doing))?;
        }
        tx.commit().await.map_err(db_err(doing))
    }

    async fn reset_indexing(&self) -> StoreResult<i64> {
        let doing = "putting every article back on the search indexing queue";
        sqlx::query("UPDATE articles SET indexed_at = NULL WHERE indexed_at IS NOT NULL")
            .execute(&self.pool)
            .await
            .map_err(db_err(doing))?;
        self.count_articles().await
    }

    async fn count_pending_indexing(&self) -> StoreResult<i64> {
        let doing = "counting articles waiting for the search index";
        let row = sqlx::query("SELECT COUNT(*) AS n FROM articles WHERE indexed_at IS NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err(doing))?;
        row.try_get("n").map_err(db_err(doing))
    }

    async fn articles_by_ids(&self, ids: &[ArticleId]) -> StoreResult<Vec<ArticleListItem>> {
        let doing = "reading articles by id";
        let mut wanted = ids.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let mut found: std::collections::HashMap<ArticleId, ArticleListItem> =
            std::collections::HashMap::with_capacity(wanted.len());
        // In chunks: a statement binds at most 32,766 values on SQLite and 65,535 on PostgreSQL, and a caller
        // may pass any number of ids (`tidings search` with a large limit).
        for chunk in wanted.chunks(crate::accounts::IN_LIST_CHUNK) {
            let sql = in_list(
                concat!(
                    "SELECT ",
                    list_columns!(),
                    " FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.id IN ({})"
                ),
                chunk.len(),
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            let rows = query.fetch_all(&self.pool).await.map_err(db_err(doing))?;
            for row in &rows {
                let item = list_item_from_row::<DB>(row).map_err(db_err(doing))?;
                found.insert(item.id, item);
            }
        }
        // In the caller's order, each article once (at its first mention).
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    async fn pending_enrichment(&self, limit: i64) -> StoreResult<Vec<EnrichmentJob>> {
        let doing = "listing articles to enrich";
        let rows = sqlx::query(
            "SELECT a.id, a.title, substr(COALESCE(a.extracted_text, a.content_text), 1, 60000) AS text, \
             a.language, s.category FROM articles a JOIN sources s ON s.id = a.source_id \
             WHERE a.enriched_at IS NULL ORDER BY a.id LIMIT $1",
        )
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing))?;
        rows.iter()
            .map(|row| {
                Ok(EnrichmentJob {
                    id: row.try_get("id")?,
                    title: row.try_get("title")?,
                    text: row.try_get("text")?,
                    declared_language: row.try_get("language")?,
                    category: row.try_get::<Option<String>, _>("category")?.filter(|c| !c.trim().is_empty()),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db_err(doing))
    }

    async fn record_enrichment(&self, article: ArticleId, at: DateTime<Utc>, aids: &Enrichment) -> StoreResult<()> {
        let doing = || format!("storing the reading aids of article {article}");
        let mut tx = self.pool.begin().await.map_err(db_err(doing()))?;
        // A write first: SQLite then takes the write lock at once (waiting for it as configured) instead of
        // failing with SQLITE_BUSY when this read would have to become a write after another writer committed,
        // and PostgreSQL locks the article's row, so two processes enriching one article take turns and the
        // second replaces the first's links (and counts) rather than both subtracting the old ones.
        let Some(row) = sqlx::query("UPDATE articles SET enriched_at = $2 WHERE id = $1 RETURNING sort_at")
            .bind(article)
            .bind(DbTime(at))
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err(doing()))?
        else {
            // Deleted with its source while it was being enriched: nothing to keep.
            return Ok(());
        };
        let sort_at: DbTime = row.try_get("sort_at").map_err(db_err(doing()))?;
        // Replacing earlier aids: the counts drop by what the old links added.
        for statement in [
            "UPDATE entities SET article_count = article_count - 1 \
             WHERE id IN (SELECT entity_id FROM article_entities WHERE article_id = $1)",
            "UPDATE topics SET article_count = article_count - 1 \
             WHERE name IN (SELECT topic FROM article_topics WHERE article_id = $1)",
            "DELETE FROM article_entities WHERE article_id = $1",
            "DELETE FROM article_topics WHERE article_id = $1",
        ] {
            sqlx::query(statement).bind(article).execute(&mut *tx).await.map_err(db_err(doing()))?;
        }
        let mut seen = std::collections::HashSet::new();
        for entity in aids.entities.iter().filter(|e| seen.insert(e.key.as_str())) {
            let row = sqlx::query(
                "INSERT INTO entities (key, kind, name, article_count) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (key) DO UPDATE SET article_count = entities.article_count + 1 RETURNING id",
            )
            .bind(clean(&entity.key).as_ref())
            .bind(entity.kind.as_str())
            .bind(clean(&entity.name).as_ref())
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err(doing()))?;
            let entity_id: i64 = row.try_get("id").map_err(db_err(doing()))?;
            sqlx::query(
                "INSERT INTO article_entities (article_id, entity_id, mentions, sort_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(article)
            .bind(entity_id)
            .bind(i64::from(entity.mentions.max(1)))
            .bind(sort_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err(doing()))?;
        }
        let mut seen = std::collections::HashSet::new();
        for topic in aids.topics.iter().filter(|t| !t.trim().is_empty() && seen.insert(t.as_str())) {
            sqlx::query(
                "INSERT INTO topics (name, article_count) VALUES ($1, 1) \
                 ON CONFLICT (name) DO UPDATE SET article_count = topics.article_count + 1",
            )
            .bind(clean(topic).as_ref())
            .execute(&mut *tx)
            .await
            .map_err(db_err(doing()))?;
            sqlx::query("INSERT INTO article_topics (article_id, topic, sort_at) VALUES ($1, $2, $3)")
                .bind(article)
                .bind(clean(topic).as_ref())
                .bind(sort_at)
                .execute(&mut *tx)
                .await
                .map_err(db_err(doing()))?;
        }
        sqlx::query("UPDATE articles SET detected_language = $2, summary_text = $3, key_points = $4 WHERE id = $1")
            .bind(article)
            .bind(aids.language.as_deref())
            .bind(lines(&aids.summary).as_str())
            .bind(lines(&aids.key_points).as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err(doing()))?;
        tx.commit().await.map_err(db_err(doing()))
    }

    async fn article_aids(&self, article: ArticleId) -> StoreResult<Option<Enrichment>> {
        let doing = || format!("reading the reading aids of article {article}");
        let Some(row) = sqlx::query(
            "SELECT detected_language, summary_text, key_points FROM articles \
             WHERE id = $1 AND enriched_at IS NOT NULL",
        )
        .bind(article)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(doing()))?
        else {
            return Ok(None);
        };
        let split = |column: &str| -> Result<Vec<String>, sqlx::Error> {
            Ok(row
                .try_get::<Option<String>, _>(column)?
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect())
        };
        let language: Option<String> = row.try_get("detected_language").map_err(db_err(doing()))?;
        let summary = split("summary_text").map_err(db_err(doing()))?;
        let key_points = split("key_points").map_err(db_err(doing()))?;
        let topics = sqlx::query("SELECT topic FROM article_topics WHERE article_id = $1 ORDER BY topic")
            .bind(article)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err(doing()))?
            .iter()
            .map(|r| r.try_get::<String, _>("topic"))
            .collect::<Result<_, _>>()
            .map_err(db_err(doing()))?;
        let entities = sqlx::query(
            "SELECT e.key, e.kind, e.name, ae.mentions FROM article_entities ae JOIN entities e ON e.id = ae.entity_id \
             WHERE ae.article_id = $1 ORDER BY ae.mentions DESC, e.name",
        )
        .bind(article)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing()))?
        .iter()
        .map(|r| {
            Ok(EntityRef {
                key: r.try_get("key")?,
                name: r.try_get("name")?,
                kind: EntityKind::parse(&r.try_get::<String, _>("kind")?).unwrap_or(EntityKind::Other),
                mentions: i32::try_from(r.try_get::<i64, _>("mentions")?).unwrap_or(i32::MAX),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db_err(doing()))?;
        Ok(Some(Enrichment { language, summary, key_points, topics, entities }))
    }

    async fn entity(&self, key: &str) -> StoreResult<Option<EntitySummary>> {
        let doing = || format!("reading entity {key:?}");
        let row = sqlx::query("SELECT key, kind, name, article_count FROM entities WHERE key = $1")
            .bind(clean(key).as_ref())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err(doing()))?;
        row.as_ref().map(entity_from_row::<DB>).transpose().map_err(db_err(doing()))
    }

    async fn entity_articles(&self, key: &str, limit: i64) -> StoreResult<Vec<ArticleListItem>> {
        let doing = || format!("listing the articles naming {key:?}");
        let rows = sqlx::query(concat!(
            "SELECT ",
            list_columns!(),
            " FROM article_entities ae JOIN articles a ON a.id = ae.article_id JOIN sources s ON s.id = a.source_id \
             WHERE ae.entity_id = (SELECT id FROM entities WHERE key = $1) \
             ORDER BY ae.sort_at DESC, ae.article_id DESC LIMIT $2"
        ))
        .bind(clean(key).as_ref())
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing()))?;
        rows.iter().map(list_item_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(doing()))
    }

    async fn entity_stories(&self, key: &str, limit: i64) -> StoreResult<Vec<StorySummary>> {
        let doing = || format!("listing the stories naming {key:?}");
        let rows = sqlx::query(concat!(
            "SELECT ",
            story_columns!(),
            " FROM stories WHERE merged_into IS NULL AND article_count > 0 AND id IN \
             (SELECT a.story_id FROM article_entities ae JOIN articles a ON a.id = ae.article_id \
              WHERE ae.entity_id = (SELECT id FROM entities WHERE key = $1) AND a.story_id IS NOT NULL) \
             ORDER BY latest_at DESC, id DESC LIMIT $2"
        ))
        .bind(clean(key).as_ref())
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing()))?;
        rows.iter().map(story_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(doing()))
    }

    async fn story_entities(&self, story: StoryId, limit: i64) -> StoreResult<Vec<EntitySummary>> {
        let doing = || format!("listing the entities of story {story}");
        let rows = sqlx::query(
            "SELECT e.key, e.kind, e.name, COUNT(*) AS article_count \
             FROM articles a JOIN article_entities ae ON ae.article_id = a.id JOIN entities e ON e.id = ae.entity_id \
             WHERE a.story_id = $1 GROUP BY e.id, e.key, e.kind, e.name \
             ORDER BY COUNT(*) DESC, SUM(ae.mentions) DESC, e.name LIMIT $2",
        )
        .bind(story)
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing()))?;
        rows.iter().map(entity_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(doing()))
    }

    async fn top_entities(&self, limit: i64) -> StoreResult<Vec<EntitySummary>> {
        let doing = "listing the most named entities";
        let rows = sqlx::query(
            "SELECT key, kind, name, article_count FROM entities WHERE article_count > 0 \
             ORDER BY article_count DESC, id LIMIT $1",
        )
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing))?;
        rows.iter().map(entity_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(doing))
    }

    async fn story_topics(&self, story: StoryId) -> StoreResult<Vec<(String, i64)>> {
        let doing = || format!("listing the topics of story {story}");
        let rows = sqlx::query(
            "SELECT t.topic, COUNT(*) AS n FROM articles a JOIN article_topics t ON t.article_id = a.id \
             WHERE a.story_id = $1 GROUP BY t.topic ORDER BY COUNT(*) DESC, t.topic",
        )
        .bind(story)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing()))?;
        rows.iter()
            .map(|row| Ok((row.try_get("topic")?, row.try_get("n")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db_err(doing()))
    }
}

/// `sql` with its one `{}` replaced by `n` numbered placeholders (`$1, $2, …`): only those are spliced in, the
/// values are bound.
pub(crate) fn in_list(sql: &str, n: usize) -> String {
    let placeholders: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
    sql.replacen("{}", &placeholders.join(", "), 1)
}

/// One line per item; a line break inside an item would split it in two when read back.
fn lines(items: &[String]) -> String {
    items.iter().map(|s| clean(s).replace(['\n', '\r'], " ")).collect::<Vec<_>>().join("\n")
}

fn entity_from_row<DB>(row: &DB::Row) -> Result<EntitySummary, sqlx::Error>
where
    DB: Database,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'r> Decode<'r, DB>,
{
    Ok(EntitySummary {
        key: row.try_get("key")?,
        name: row.try_get("name")?,
        kind: EntityKind::parse(&row.try_get::<String, _>("kind")?).unwrap_or(EntityKind::Other),
        article_count: row.try_get("article_count")?,
    })
}

fn search_doc_from_row<DB>(row: &DB::Row) -> Result<SearchDoc, sqlx::Error>
where
    DB: Database,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'r> Decode<'r, DB>,
    DbTime: Type<DB> + for<'r> Decode<'r, DB>,
{
    // The outlet is searched by its name and by its hosts, so `outlet:ledger` finds "The Daily Ledger" at
    // dailyledger.example.
    let mut outlet: Vec<String> = Vec::new();
    if let Some(title) = row.try_get::<Option<String>, _>("source_title")? {
        outlet.push(title);
    }
    for column in ["source_url", "site_url"] {
        let host = row.try_get::<Option<String>, _>(column)?.and_then(|u| tidings_core::urlnorm::host_of(&u));
        if let Some(host) = host.filter(|h| !outlet.contains(h)) {
            outlet.push(host);
        }
    }
    Ok(SearchDoc {
        id: row.try_get("id")?,
        source_id: row.try_get("source_id")?,
        title: row.try_get("title")?,
        text: row.try_get("text")?,
        outlet: outlet.join(" "),
        topic: row.try_get::<Option<String>, _>("category")?.unwrap_or_default(),
        published_at: row.try_get::<DbTime, _>("sort_at")?.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn sort_time_clamps_far_future_to_fetch_time() {
        let fetched = t("2025-01-01T00:00:00Z");
        assert_eq!(sort_time(None, fetched), fetched);
        assert_eq!(sort_time(Some(t("2024-12-31T00:00:00Z")), fetched), t("2024-12-31T00:00:00Z"));
        // Within a day ahead is kept: feeds with a slightly wrong time zone are common and harmless.
        assert_eq!(sort_time(Some(t("2025-01-01T23:00:00Z")), fetched), t("2025-01-01T23:00:00Z"));
        assert_eq!(sort_time(Some(t("2025-03-01T00:00:00Z")), fetched), fetched);
    }

    #[test]
    fn excerpt_cuts_at_a_word_with_an_ellipsis() {
        assert_eq!(excerpt("  short text "), "short text");
        let long = "word ".repeat(100);
        let e = excerpt(&long);
        assert!(e.ends_with("word…"), "{e}");
        assert!(e.chars().count() <= EXCERPT_CHARS + 1);
        let unbroken = "é".repeat(400);
        assert_eq!(excerpt(&unbroken).chars().count(), EXCERPT_CHARS + 1);
    }

    #[test]
    fn nul_characters_are_dropped() {
        assert_eq!(clean("a\0b"), "ab");
        assert!(matches!(clean("ab"), Cow::Borrowed(_)));
    }

    #[test]
    fn implausible_dates_are_unknown() {
        assert_eq!(plausible(Some(t("2025-01-01T00:00:00Z"))), Some(t("2025-01-01T00:00:00Z")));
        let far = DateTime::<Utc>::MAX_UTC;
        assert_eq!(plausible(Some(far)), None);
    }
}
