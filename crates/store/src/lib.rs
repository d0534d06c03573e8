//! Tidings' [`Store`] on SQLite and PostgreSQL.
//!
//! [`open`] picks the backend from the URL (`sqlite://PATH`, `sqlite::memory:`, `postgres://…`), applies that
//! backend's migrations (`migrations/{sqlite,postgres}/*.sql`, embedded at build time) and returns a
//! `dyn Store`. Both backends run the same code and the same SQL text (see `sql.rs`); the schemas differ only in
//! types.
//!
//! Conventions every query in this crate follows:
//! - ids are `i64`;
//! - timestamps are UTC: `TIMESTAMPTZ` on PostgreSQL, INTEGER microseconds since the Unix epoch on SQLite, and
//!   always bound and read through `time::DbTime` so either backend orders and compares them correctly;
//! - the application writes every time, never an SQL default, so both backends hold the same values.
//!
//! Migrations are applied in order of their number and recorded (with a checksum) in `_sqlx_migrations`: never edit
//! one that has shipped; add the next number to both folders, keeping the two schemas in step.
//!
//! Deduplication in [`Store::record_poll`]: an item is a duplicate when its source already has an article with
//! the same GUID, else the same canonical URL (when the item has one), else the same content hash — where a
//! content hash alone only counts for bodies of at least [`MIN_HASH_ONLY_DEDUP_CHARS`] characters and shorter
//! ones must match the title too. Items earlier in the same poll count. A duplicate whose `updated_at` is later
//! than the stored one refreshes the stored title, summary, content, hash and `updated_at`, and puts the article
//! back on the search indexing and enrichment queues; otherwise it changes nothing.
//!
//! Ordering of article lists: by publication time, newest first, then id; an article without a publication time,
//! or claiming one more than a day after it was fetched, is ordered by its fetch time instead (so a wrong clock
//! cannot pin it to the top). [`tidings_core::ArticleListItem::published_at`] is that ordering time, so a cursor
//! built from the last item of a page continues exactly after it.
#![deny(missing_docs)]

mod accounts;
pub mod bulk;
mod machine_summaries;
mod pg_search;
mod sql;
mod time;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, PgConnection};
use tidings_core::{SearchIndex, Store, StoreError};

pub use bulk::{BulkLoader, open_bulk};
pub use sql::{DEFAULT_POLL_INTERVAL_SECS, MIN_HASH_ONLY_DEDUP_CHARS};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// How long an SQLite connection waits for another writer before giving up. Writers hold the lock for one poll's
/// transaction, which is milliseconds; seconds of waiting means something is stuck.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How much of an SQLite database is read through a memory map (address space, not memory: the OS caches the
/// pages either way; SQLite lowers it to its compile-time maximum). Measured at 1M articles by
/// bench/throughput.sh: pages rendered at random ran about a fifth faster with it.
const SQLITE_MMAP_BYTES: &str = "17179869184";

/// Opens the database at `database_url`, creating it if needed, and brings its schema up to date.
///
/// - `sqlite://PATH` (relative or, with a third slash, absolute; query parameters as sqlx accepts them): the file
///   and its parent directory are created if missing; WAL journal, `synchronous=NORMAL`, foreign keys on, a busy
///   timeout for concurrent writers.
/// - `sqlite::memory:`: a private in-memory database on a single connection, gone when the store is dropped.
/// - `postgres://…` or `postgresql://…`: a connection pool; the schema lives in the connection's `search_path`.
///
/// Anything else is [`StoreError::BadUrl`]; a server that cannot be reached is [`StoreError::Database`]; a
/// migration that fails is [`StoreError::Migration`].
pub async fn open(database_url: &str) -> Result<Arc<dyn Store>, StoreError> {
    match Backend::of(database_url)? {
        Backend::Sqlite => open_sqlite(database_url).await,
        Backend::Postgres => open_postgres(database_url, None).await,
    }
}

/// Like [`open`] for PostgreSQL, with every table in `schema` (created if missing) instead of the default
/// `search_path`: for deployments that share a database, and for tests, which each work in a fresh schema.
///
/// `schema` must be a plain identifier (ASCII letters, digits and `_`, not starting with a digit, at most 63
/// bytes). SQLite URLs are refused with [`StoreError::BadUrl`]: a file is its own namespace.
pub async fn open_in_schema(database_url: &str, schema: &str) -> Result<Arc<dyn Store>, StoreError> {
    match Backend::of(database_url)? {
        Backend::Sqlite => Err(StoreError::BadUrl {
            url: redact(database_url),
            reason: "schemas are a PostgreSQL feature; use another SQLite file instead".to_owned(),
        }),
        Backend::Postgres => open_postgres(database_url, Some(schema)).await,
    }
}

/// Writes a consistent copy of the SQLite database at `database_url` to `destination`, a file that must not exist
/// yet, while other processes go on reading and writing the database: SQLite's `VACUUM INTO` reads one snapshot
/// and writes it whole and compacted. Its size in bytes. PostgreSQL is refused ([`StoreError::BadUrl`]):
/// `pg_dump` is the tool for it.
pub async fn backup_sqlite(database_url: &str, destination: &std::path::Path) -> Result<u64, StoreError> {
    let bad = |reason: String| StoreError::BadUrl { url: redact(database_url), reason };
    if let Backend::Postgres = Backend::of(database_url)? {
        return Err(bad("tidings backup copies a SQLite database; back PostgreSQL up with pg_dump".to_owned()));
    }
    if database_url.contains(":memory:") || database_url.contains("mode=memory") {
        return Err(bad("an in-memory database has nothing to back up".to_owned()));
    }
    if destination.exists() {
        return Err(StoreError::Refused(format!("{} exists already; name a new file", destination.display())));
    }
    // Absolute, so that SQLite never reads a name starting with `file:` as a URI and writes somewhere else.
    let absolute =
        std::path::absolute(destination).map_err(|e| StoreError::Refused(format!("{}: {e}", destination.display())))?;
    let Some(target) = absolute.to_str() else {
        return Err(StoreError::Refused(format!("{}: the path is not UTF-8", destination.display())));
    };
    // No create_if_missing: backing up a database that is not there is a mistake to report, not an empty copy.
    let options =
        SqliteConnectOptions::from_str(database_url).map_err(|e| bad(e.to_string()))?.busy_timeout(SQLITE_BUSY_TIMEOUT);
    let mut connection = sqlx::SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| StoreError::Database(format!("opening {} to back it up: {e}", redact(database_url))))?;
    let result = sqlx::query("VACUUM INTO $1").bind(target).execute(&mut connection).await;
    let _ = connection.close().await;
    // SQLite does not sync the file VACUUM INTO writes: a backup is only one once it is on the disk.
    let written = result.map_err(|e| e.to_string()).and_then(|_| {
        let file = std::fs::File::open(&absolute).map_err(|e| e.to_string())?;
        file.sync_all().map_err(|e| e.to_string())?;
        file.metadata().map(|m| m.len()).map_err(|e| e.to_string())
    });
    written.map_err(|e| {
        // Half a backup would only be refused next time ("exists already").
        let _ = std::fs::remove_file(&absolute);
        StoreError::Database(format!("writing the backup {}: {e}", destination.display()))
    })
}

enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn of(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::BadUrl {
                url: redact(url),
                reason: "expected sqlite://PATH, sqlite::memory: or postgres://USER@HOST/DATABASE".to_owned(),
            })
        }
    }
}

/// The URL with any password replaced, so it can go into errors and logs.
/// The database URL with its password masked, for logs and error messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Only fails for URLs that cannot have a password, which this one has.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

async fn open_sqlite(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let bad = |reason: String| StoreError::BadUrl { url: redact(url), reason };
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| bad(e.to_string()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        // Pages are read through a memory map rather than a read() call each: with a large database most of a
        // page's time goes to reading article rows that are already in the OS cache.
        .pragma("mmap_size", SQLITE_MMAP_BYTES);
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let file = (!in_memory).then(|| options.get_filename().to_path_buf());

    let pool_options = if in_memory {
        // Each connection to `:memory:` would otherwise be its own database, and the last one closing would drop
        // it: keep exactly one, forever.
        SqlitePoolOptions::new().max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None)
    } else {
        let path = options.get_filename();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| bad(format!("cannot create the directory {}: {e}", parent.display())))?;
        }
        // WAL lets readers run beside the one writer; a few connections serve the web pages while the poller
        // writes.
        SqlitePoolOptions::new().max_connections(8)
    };

    let setup = match &file {
        Some(file) => Some(setup_lock(file, url).await?),
        None => None,
    };
    let pool = pool_options
        .connect_with(options)
        .await
        .map_err(|e| StoreError::Database(format!("opening {}: {e}", redact(url))))?;
    SQLITE_MIGRATIONS.run(&pool).await.map_err(|e| StoreError::Migration(format!("{}: {e}", redact(url))))?;
    drop(setup);
    tracing::debug!(url = %redact(url), "opened the SQLite store");
    Ok(Arc::new(sql::SqlStore::new(pool).with_write_gate()))
}

/// An exclusive lock on `<file>.migrate-lock`, held from before the first connection to a SQLite database file
/// until its migrations are applied. sqlx takes no lock of its own on SQLite and reads which migrations are
/// applied once, before applying any, so two processes starting together on a database an upgrade left behind
/// (`tidings serve` and a CLI command) would otherwise both apply the new ones, and the second would fail on what
/// the first added; and on a new file, switching it to WAL while another connection sets it up fails at once
/// ("database is locked") rather than waiting.
pub(crate) async fn setup_lock(file: &std::path::Path, url: &str) -> Result<std::fs::File, StoreError> {
    let mut name = file.as_os_str().to_owned();
    name.push(".migrate-lock");
    let lock_path = std::path::PathBuf::from(name);
    let failed = |e: &dyn std::fmt::Display| {
        StoreError::Migration(format!("{}: locking the database while it is set up: {e}", redact(url)))
    };
    tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
        let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path)?;
        match lock.lock() {
            Ok(()) => {}
            // Some network and FUSE file systems have no locks: the database still opens, as it did before
            // there was this lock, with the (rare) race it prevents.
            Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
                tracing::warn!(path = %lock_path.display(), "this file system has no file locks: migrations run unlocked");
            }
            Err(e) => return Err(e),
        }
        Ok(lock)
    })
    .await
    .map_err(|e| failed(&e))?
    .map_err(|e| failed(&e))
}

fn valid_schema_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 63
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

async fn open_postgres(url: &str, schema: Option<&str>) -> Result<Arc<dyn Store>, StoreError> {
    let options = postgres_options(url, schema).await?;
    let pool = connect_postgres(url, options, 10).await?;
    tracing::debug!(url = %redact(url), schema, "opened the PostgreSQL store");
    Ok(Arc::new(sql::SqlStore::new(pool)))
}

/// The search a database answers itself: PostgreSQL's full-text search for `postgres://` URLs (in `schema` when
/// given, as [`open_in_schema`]); none for SQLite, whose deployments search a tantivy index.
pub async fn open_database_search(
    database_url: &str,
    schema: Option<&str>,
) -> Result<Option<Arc<dyn SearchIndex>>, StoreError> {
    match Backend::of(database_url)? {
        Backend::Sqlite => Ok(None),
        Backend::Postgres => {
            let options = postgres_options(database_url, schema).await?;
            let pool = connect_postgres(database_url, options, 4).await?;
            Ok(Some(Arc::new(pg_search::PgSearch { pool })))
        }
    }
}

/// Connection options for `url`, pointed at `schema` (created if missing) when given.
async fn postgres_options(url: &str, schema: Option<&str>) -> Result<PgConnectOptions, StoreError> {
    let bad = |reason: String| StoreError::BadUrl { url: redact(url), reason };
    let unreachable = |e: sqlx::Error| StoreError::Database(format!("connecting to {}: {e}", redact(url)));
    let mut options = PgConnectOptions::from_str(url).map_err(|e| bad(e.to_string()))?;

    if let Some(schema) = schema {
        if !valid_schema_name(schema) {
            return Err(bad(format!("schema name {schema:?} is not a plain identifier")));
        }
        // Created on a connection of its own: the pool's connections point their search_path at it from the
        // start, and migrations must find it there.
        let mut conn = PgConnection::connect_with(&options).await.map_err(unreachable)?;
        let create = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
        sqlx::raw_sql(sqlx::AssertSqlSafe(create))
            .execute(&mut conn)
            .await
            .map_err(|e| StoreError::Database(format!("creating schema {schema}: {e}")))?;
        // A failed close only loses a connection we are done with.
        let _ = conn.close().await;
        options = options.options([("search_path", schema)]);
    }
    Ok(options)
}

/// A pool of at most `connections` on `options`, with the schema brought up to date.
async fn connect_postgres(url: &str, options: PgConnectOptions, connections: u32) -> Result<sqlx::PgPool, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(connections)
        .connect_with(options)
        .await
        .map_err(|e| StoreError::Database(format!("connecting to {}: {e}", redact(url))))?;
    POSTGRES_MIGRATIONS.run(&pool).await.map_err(|e| StoreError::Migration(format!("{}: {e}", redact(url))))?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn schema_names_are_identifiers() {
        assert!(valid_schema_name("tidings_test_1a2b"));
        assert!(!valid_schema_name("1abc"));
        assert!(!valid_schema_name("a\"; DROP TABLE x; --"));
        assert!(!valid_schema_name(""));
    }
}
