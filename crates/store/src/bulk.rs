//! Bulk loading, for benchmarks: rows written with their ids, many per statement and many statements per
//! transaction, bypassing the per-item deduplication of [`tidings_core::Store::record_poll`].
//!
//! Nothing here is part of the [`tidings_core::Store`] interface: only `tidings bench seed` uses it, to fill a
//! database with a million synthetic articles in minutes. Every row is written as the pipeline would have
//! left it (listing time, clustering time, story, original), so the pages read it exactly as they read real
//! data.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{
    ColumnIndex, ConnectOptions, Database, Decode, Encode, Executor, IntoArguments, Postgres, QueryBuilder, Row,
    Sqlite, Type,
};
use tidings_core::{ExtractMode, OriginalReason, StoreError, StoreResult};

use crate::sql::{SqlStore, sort_time};
use crate::time::DbTime;
use crate::{Backend, SQLITE_BUSY_TIMEOUT, redact};

/// Bind parameters per statement at most: under SQLite's limit (32766) and PostgreSQL's (65535).
const MAX_BINDS: usize = 30_000;

/// A source, with its id and polling state.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkSource {
    /// Row id.
    pub id: i64,
    /// Feed URL (unique).
    pub url: String,
    /// Outlet name.
    pub title: String,
    /// Home page.
    pub site_url: String,
    /// Category, which is its topic.
    pub category: Option<String>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it last answered.
    pub last_success_at: Option<DateTime<Utc>>,
    /// When it is due next.
    pub next_poll_at: DateTime<Utc>,
    /// Its polling interval, seconds.
    pub poll_interval_secs: i64,
    /// When its item pages are extracted.
    pub extract_mode: ExtractMode,
}

/// A story, with its counts and times as the story stage would have stored them.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkStory {
    /// Row id.
    pub id: i64,
    /// Headline.
    pub headline: String,
    /// Articles in it.
    pub article_count: i64,
    /// Distinct outlets in it.
    pub outlet_count: i64,
    /// Its earliest article's listing time.
    pub first_at: DateTime<Utc>,
    /// Its latest article's listing time.
    pub latest_at: DateTime<Utc>,
    /// When it was created (its first article clustered).
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// An article, clustered, with its story and (for a copy) its original.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BulkArticle {
    /// Row id.
    pub id: i64,
    /// Its source.
    pub source_id: i64,
    /// GUID, unique within the source.
    pub guid: String,
    /// Link.
    pub url: Option<String>,
    /// Canonical link.
    pub canonical_url: Option<String>,
    /// Title.
    pub title: String,
    /// Byline.
    pub author: Option<String>,
    /// Teaser, safe HTML.
    pub summary_html: Option<String>,
    /// Body, safe HTML.
    pub content_html: Option<String>,
    /// Body, plain text.
    pub content_text: String,
    /// Hex SHA-256 of the folded text.
    pub content_hash: String,
    /// Publication time.
    pub published_at: Option<DateTime<Utc>>,
    /// Language tag.
    pub language: Option<String>,
    /// Lead image.
    pub image_url: Option<String>,
    /// When it was stored.
    pub fetched_at: DateTime<Utc>,
    /// Its story.
    pub story_id: Option<i64>,
    /// When it was clustered.
    pub clustered_at: Option<DateTime<Utc>>,
    /// Its original, when it is a copy, and why that one.
    pub original: Option<(i64, OriginalReason)>,
    /// Feed categories, in order.
    pub categories: Vec<String>,
}

/// A related-stories row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BulkRelation {
    /// The story.
    pub story_id: i64,
    /// A story related to it.
    pub related_id: i64,
    /// Rank, best first.
    pub position: i64,
    /// Similarity.
    pub score: f64,
}

/// The next free id of each table, so a load can add to a database that already has rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextIds {
    /// First free source id.
    pub source: i64,
    /// First free story id.
    pub story: i64,
    /// First free article id.
    pub article: i64,
}

/// Writes rows in bulk to one database. Open it with [`open_bulk`].
pub struct BulkLoader {
    inner: Inner,
}

enum Inner {
    Sqlite(SqlStore<Sqlite>),
    Postgres(SqlStore<Postgres>),
}

/// Opens `database_url` for bulk loading (creating it and applying migrations, as [`crate::open`] does).
///
/// SQLite is opened on one connection with `synchronous=OFF` and a large page cache: a load that crashes
/// may leave a damaged file, which for a benchmark database only means seeding it again. Its journal stays
/// WAL, as the server expects.
pub async fn open_bulk(database_url: &str) -> Result<BulkLoader, StoreError> {
    let bad = |reason: String| StoreError::BadUrl { url: redact(database_url), reason };
    let inner = match Backend::of(database_url)? {
        Backend::Sqlite => {
            let options = SqliteConnectOptions::from_str(database_url)
                .map_err(|e| bad(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Off)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                // 1 GiB of page cache: the indexes of a million articles stay in memory while they grow.
                .pragma("cache_size", "-1048576")
                // A statement of 1500 rows is slow by design; logging it would print every placeholder.
                .disable_statement_logging();
            let path = options.get_filename();
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| bad(format!("cannot create the directory {}: {e}", parent.display())))?;
            }
            let setup = crate::setup_lock(path, database_url).await?;
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .map_err(|e| StoreError::Database(format!("opening {}: {e}", redact(database_url))))?;
            crate::SQLITE_MIGRATIONS
                .run(&pool)
                .await
                .map_err(|e| StoreError::Migration(format!("{}: {e}", redact(database_url))))?;
            drop(setup);
            Inner::Sqlite(SqlStore::new(pool))
        }
        Backend::Postgres => {
            let options =
                PgConnectOptions::from_str(database_url).map_err(|e| bad(e.to_string()))?.disable_statement_logging();
            let pool = crate::connect_postgres(database_url, options, 2).await?;
            Inner::Postgres(SqlStore::new(pool))
        }
    };
    Ok(BulkLoader { inner })
}

macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match &$self.inner {
            Inner::Sqlite($store) => $call,
            Inner::Postgres($store) => $call,
        }
    };
}

impl BulkLoader {
    /// The backend's name ("sqlite" or "postgres").
    pub fn backend(&self) -> &'static str {
        match self.inner {
            Inner::Sqlite(_) => "sqlite",
            Inner::Postgres(_) => "postgres",
        }
    }

    /// The first free id of sources, stories and articles.
    pub async fn next_ids(&self) -> StoreResult<NextIds> {
        dispatch!(self, store => store.bulk_next_ids().await)
    }

    /// Writes sources, in one transaction.
    pub async fn sources(&self, rows: &[BulkSource]) -> StoreResult<()> {
        dispatch!(self, store => store.bulk_sources(rows).await)
    }

    /// Writes stories, in one transaction.
    pub async fn stories(&self, rows: &[BulkStory]) -> StoreResult<()> {
        dispatch!(self, store => store.bulk_stories(rows).await)
    }

    /// Writes articles with their categories, in one transaction. Their sources and stories must be written,
    /// and an original must come before its copies (here or in an earlier call).
    pub async fn articles(&self, rows: &[BulkArticle]) -> StoreResult<()> {
        dispatch!(self, store => store.bulk_articles(rows).await)
    }

    /// Writes related-stories rows, in one transaction.
    pub async fn relations(&self, rows: &[BulkRelation]) -> StoreResult<()> {
        dispatch!(self, store => store.bulk_relations(rows).await)
    }

    /// Ends the load: PostgreSQL's id sequences move past the written ids and its statistics are refreshed;
    /// SQLite's write-ahead log is folded into the database file.
    pub async fn finish(&self) -> StoreResult<()> {
        let doing = "finishing the bulk load";
        match &self.inner {
            Inner::Sqlite(store) => {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&store.pool)
                    .await
                    .map_err(|e| StoreError::Database(format!("{doing}: {e}")))?;
            }
            Inner::Postgres(store) => {
                for table in ["sources", "stories", "articles"] {
                    let sql = format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                         GREATEST((SELECT MAX(id) FROM {table}), 1))"
                    );
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&store.pool)
                        .await
                        .map_err(|e| StoreError::Database(format!("{doing}: {e}")))?;
                }
                sqlx::query("ANALYZE")
                    .execute(&store.pool)
                    .await
                    .map_err(|e| StoreError::Database(format!("{doing}: {e}")))?;
            }
        }
        Ok(())
    }
}

/// Rows per multi-row INSERT for a table of `columns` columns.
fn rows_per_statement(columns: usize) -> usize {
    (MAX_BINDS / columns).max(1)
}

impl<DB> SqlStore<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB> + Default,
    for<'a> &'a str: ColumnIndex<DB::Row> + Type<DB> + Encode<'a, DB>,
    i64: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    f64: Type<DB> + for<'q> Encode<'q, DB>,
    bool: Type<DB> + for<'q> Encode<'q, DB>,
    DbTime: Type<DB> + for<'q> Encode<'q, DB>,
    for<'a> Option<&'a str>: Encode<'a, DB> + Type<DB>,
    Option<DbTime>: for<'q> Encode<'q, DB> + Type<DB>,
    Option<i64>: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB>,
{
    async fn bulk_next_ids(&self) -> StoreResult<NextIds> {
        let doing = "reading the highest ids";
        let row = sqlx::query(
            "SELECT (SELECT MAX(id) FROM sources) AS s, (SELECT MAX(id) FROM stories) AS st, \
             (SELECT MAX(id) FROM articles) AS a",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|e| StoreError::Database(format!("{doing}: {e}")))?;
        let next = |col: &str| -> StoreResult<i64> {
            let max: Option<i64> = row.try_get(col).map_err(|e| StoreError::Database(format!("{doing}: {e}")))?;
            Ok(max.unwrap_or(0) + 1)
        };
        Ok(NextIds { source: next("s")?, story: next("st")?, article: next("a")? })
    }

    async fn bulk_sources(&self, rows: &[BulkSource]) -> StoreResult<()> {
        let doing = "writing sources";
        let err = |e: sqlx::Error| StoreError::Database(format!("{doing}: {e}"));
        let mut tx = self.pool.begin().await.map_err(err)?;
        for chunk in rows.chunks(rows_per_statement(11)) {
            let mut q = QueryBuilder::<DB>::new(
                "INSERT INTO sources (id, url, kind, title, site_url, category, created_at, last_success_at, \
                 last_polled_at, next_poll_at, poll_interval_secs, extract_mode) ",
            );
            q.push_values(chunk, |mut b, s| {
                b.push_bind(s.id)
                    .push_bind(s.url.as_str())
                    .push_bind("feed")
                    .push_bind(s.title.as_str())
                    .push_bind(s.site_url.as_str())
                    .push_bind(s.category.as_deref())
                    .push_bind(DbTime(s.created_at))
                    .push_bind(s.last_success_at.map(DbTime))
                    .push_bind(s.last_success_at.map(DbTime))
                    .push_bind(DbTime(s.next_poll_at))
                    .push_bind(s.poll_interval_secs)
                    .push_bind(s.extract_mode.as_str());
            });
            q.build().execute(&mut *tx).await.map_err(err)?;
        }
        tx.commit().await.map_err(err)
    }

    async fn bulk_stories(&self, rows: &[BulkStory]) -> StoreResult<()> {
        let doing = "writing stories";
        let err = |e: sqlx::Error| StoreError::Database(format!("{doing}: {e}"));
        let mut tx = self.pool.begin().await.map_err(err)?;
        for chunk in rows.chunks(rows_per_statement(8)) {
            let mut q = QueryBuilder::<DB>::new(
                "INSERT INTO stories (id, headline, created_at, updated_at, latest_at, first_at, article_count, \
                 outlet_count) ",
            );
            q.push_values(chunk, |mut b, s| {
                b.push_bind(s.id)
                    .push_bind(s.headline.as_str())
                    .push_bind(DbTime(s.created_at))
                    .push_bind(DbTime(s.updated_at))
                    .push_bind(DbTime(s.latest_at))
                    .push_bind(DbTime(s.first_at))
                    .push_bind(s.article_count)
                    .push_bind(s.outlet_count);
            });
            q.build().execute(&mut *tx).await.map_err(err)?;
        }
        tx.commit().await.map_err(err)
    }

    async fn bulk_articles(&self, rows: &[BulkArticle]) -> StoreResult<()> {
        let doing = "writing articles";
        let err = |e: sqlx::Error| StoreError::Database(format!("{doing}: {e}"));
        let mut tx = self.pool.begin().await.map_err(err)?;
        for chunk in rows.chunks(rows_per_statement(21)) {
            let mut q = QueryBuilder::<DB>::new(
                "INSERT INTO articles (id, source_id, guid, url, canonical_url, title, author, summary_html, \
                 content_html, content_text, published_at, language, image_url, content_hash, fetched_at, sort_at, \
                 story_id, clustered_at, original_article_id, original_reason, enriched_at) ",
            );
            q.push_values(chunk, |mut b, a| {
                b.push_bind(a.id)
                    .push_bind(a.source_id)
                    .push_bind(a.guid.as_str())
                    .push_bind(a.url.as_deref())
                    .push_bind(a.canonical_url.as_deref())
                    .push_bind(a.title.as_str())
                    .push_bind(a.author.as_deref())
                    .push_bind(a.summary_html.as_deref())
                    .push_bind(a.content_html.as_deref())
                    .push_bind(a.content_text.as_str())
                    .push_bind(a.published_at.map(DbTime))
                    .push_bind(a.language.as_deref())
                    .push_bind(a.image_url.as_deref())
                    .push_bind(a.content_hash.as_str())
                    .push_bind(DbTime(a.fetched_at))
                    .push_bind(DbTime(sort_time(a.published_at, a.fetched_at)))
                    .push_bind(a.story_id)
                    .push_bind(a.clustered_at.map(DbTime))
                    .push_bind(a.original.map(|o| o.0))
                    .push_bind(a.original.map(|o| o.1.as_str()))
                    // Synthetic text has nothing to summarise: kept off the enrichment queue, so a server on a
                    // seeded database measures serving, not a million enrichments in the background.
                    .push_bind(DbTime(a.fetched_at));
            });
            q.build().execute(&mut *tx).await.map_err(err)?;
        }
        let categories: Vec<(i64, i64, &str)> = rows
            .iter()
            .flat_map(|a| (0_i64..).zip(&a.categories).map(move |(position, name)| (a.id, position, name.as_str())))
            .collect();
        for chunk in categories.chunks(rows_per_statement(3)) {
            let mut q = QueryBuilder::<DB>::new("INSERT INTO article_categories (article_id, position, name) ");
            q.push_values(chunk, |mut b, &(article, position, name)| {
                b.push_bind(article).push_bind(position).push_bind(name);
            });
            q.build().execute(&mut *tx).await.map_err(err)?;
        }
        tx.commit().await.map_err(err)
    }

    async fn bulk_relations(&self, rows: &[BulkRelation]) -> StoreResult<()> {
        let doing = "writing related stories";
        let err = |e: sqlx::Error| StoreError::Database(format!("{doing}: {e}"));
        let mut tx = self.pool.begin().await.map_err(err)?;
        for chunk in rows.chunks(rows_per_statement(4)) {
            let mut q = QueryBuilder::<DB>::new("INSERT INTO story_relations (story_id, related_id, position, score) ");
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.story_id).push_bind(r.related_id).push_bind(r.position).push_bind(r.score);
            });
            q.build().execute(&mut *tx).await.map_err(err)?;
        }
        tx.commit().await.map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_stay_under_the_bind_limits() {
        assert!(rows_per_statement(20) * 20 <= 32_766);
        assert_eq!(rows_per_statement(100_000), 1);
    }
}
