//! The harness both store test files run on: every test once per backend, on a fresh SQLite file and, when
//! `TIDINGS_TEST_DATABASE_URL` is set, on PostgreSQL in a fresh schema dropped afterwards (pass or fail).

// The helpers below are test code too, but outside `#[test]` functions, where clippy.toml's test allowance stops.
#![allow(clippy::unwrap_used, dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use sqlx::Connection;
use tidings_core::Store;

/// Where one run of a test keeps its data.
#[derive(Clone)]
pub struct Db {
    pub backend: &'static str,
    pub url: String,
    pub schema: Option<String>,
    _dir: Option<Arc<tempfile::TempDir>>,
}

impl Db {
    pub async fn open(&self) -> Arc<dyn Store> {
        let store = match &self.schema {
            None => tidings_store::open(&self.url).await,
            Some(schema) => tidings_store::open_in_schema(&self.url, schema).await,
        };
        let store = store.unwrap_or_else(|e| panic!("opening {} at {}: {e}", self.backend, self.url));
        assert_eq!(store.backend(), self.backend);
        store
    }
}

fn unique_schema() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    format!("tidings_test_{}_{}_{}", std::process::id(), nanos, COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Runs `test` on SQLite, then on PostgreSQL when configured. A panic in the test still drops its schema.
pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tidings.db").display());
    let db = Db { backend: "sqlite", url, schema: None, _dir: Some(Arc::new(dir)) };
    if let Err(e) = tokio::spawn(test(db)).await {
        eprintln!("failed on SQLite");
        std::panic::resume_unwind(e.into_panic());
    }

    let Ok(url) = std::env::var("TIDINGS_TEST_DATABASE_URL") else { return };
    let schema = unique_schema();
    let db = Db { backend: "postgres", url: url.clone(), schema: Some(schema.clone()), _dir: None };
    let result = tokio::spawn(test(db)).await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")))
        .execute(&mut conn)
        .await
        .unwrap();
    if let Err(e) = result {
        eprintln!("failed on PostgreSQL (schema {schema})");
        std::panic::resume_unwind(e.into_panic());
    }
}

/// A fixed day, at `hour:minute` UTC.
pub fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, hour, minute, 0).unwrap()
}

/// Another process's write left open: on a connection of its own, `statement` (with `id` bound as `$1`) runs in
/// a transaction that holds its locks until `commit` is sent. Resolves once the statement has run, so whatever
/// the test does next meets the uncommitted write; the handle ends with the commit.
pub async fn hold_write(
    db: &Db,
    statement: &'static str,
    id: i64,
) -> (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    use std::str::FromStr;
    let (ran_tx, ran) = tokio::sync::oneshot::channel();
    let (commit, commit_rx) = tokio::sync::oneshot::channel::<()>();
    let db = db.clone();
    let held = tokio::spawn(async move {
        match &db.schema {
            None => {
                let options = sqlx::sqlite::SqliteConnectOptions::from_str(&db.url).unwrap().foreign_keys(true);
                let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
                // IMMEDIATE: the write lock is taken now, as a writer holding it would.
                sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut conn).await.unwrap();
                sqlx::query(statement).bind(id).execute(&mut conn).await.unwrap();
                ran_tx.send(()).unwrap();
                commit_rx.await.unwrap();
                sqlx::raw_sql("COMMIT").execute(&mut conn).await.unwrap();
            }
            Some(schema) => {
                let options =
                    sqlx::postgres::PgConnectOptions::from_str(&db.url).unwrap().options([("search_path", schema)]);
                let mut conn = sqlx::PgConnection::connect_with(&options).await.unwrap();
                sqlx::raw_sql("BEGIN").execute(&mut conn).await.unwrap();
                sqlx::query(statement).bind(id).execute(&mut conn).await.unwrap();
                ran_tx.send(()).unwrap();
                commit_rx.await.unwrap();
                sqlx::raw_sql("COMMIT").execute(&mut conn).await.unwrap();
            }
        }
    });
    ran.await.unwrap();
    (commit, held)
}
