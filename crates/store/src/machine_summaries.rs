//! The [`MachineSummaryStore`] implementation: machine-written summaries and their queue (migration 0009),
//! written once over sqlx like `sql.rs` (same `$N` SQL text for both backends, timestamps through [`DbTime`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};
use tidings_core::{
    ArticleId, MachineSummary, MachineSummaryFailure, MachineSummaryJob, MachineSummaryStore, StoreResult,
};

use crate::sql::{Backend, SqlStore, clean, db_err};
use crate::time::DbTime;

/// The columns [`summary_from_row`] reads.
macro_rules! summary_columns {
    () => {
        "article_id, model, summary, created_at"
    };
}

fn summary_from_row<DB>(row: &DB::Row) -> Result<MachineSummary, sqlx::Error>
where
    DB: Backend,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'r> Decode<'r, DB>,
    DbTime: Type<DB> + for<'r> Decode<'r, DB>,
{
    Ok(MachineSummary {
        article_id: row.try_get("article_id")?,
        model: row.try_get("model")?,
        text: row.try_get("summary")?,
        created_at: row.try_get::<DbTime, _>("created_at")?.0,
    })
}

fn jobs_from_rows<DB>(rows: &[DB::Row]) -> Result<Vec<MachineSummaryJob>, sqlx::Error>
where
    DB: Backend,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'r> Decode<'r, DB>,
    DbTime: Type<DB> + for<'r> Decode<'r, DB>,
{
    rows.iter()
        .map(|row| {
            Ok(MachineSummaryJob {
                article_id: row.try_get("article_id")?,
                queued_at: row.try_get::<DbTime, _>("queued_at")?.0,
                attempts: count(row.try_get("attempts")?),
                claimed_until: None,
            })
        })
        .collect()
}

/// A stored count as the domain's `u32`, saturating (it only ever counts a handful of retries).
fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

#[async_trait]
impl<DB> MachineSummaryStore for SqlStore<DB>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'a> &'a str: ColumnIndex<DB::Row> + Type<DB> + Encode<'a, DB>,
    i64: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    DbTime: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    // sqlx implements Encode for Option per backend, not generically.
    Option<DbTime>: for<'q> Encode<'q, DB>,
{
    async fn queue_machine_summaries(&self, articles: &[ArticleId], at: DateTime<Utc>) -> StoreResult<()> {
        if articles.is_empty() {
            return Ok(());
        }
        let doing = || format!("queueing {} articles for machine-written summaries", articles.len());
        let mut tx = self.pool.begin().await.map_err(db_err(doing()))?;
        for &article in articles {
            // Queued again, an article starts afresh: its text changed, so the old failures say nothing about it.
            // One a worker holds stays held until its claim ends (the worker's outcome is for the old entry, so
            // the article is due again then): two requests for one article never run at once.
            // SQLite parses an upsert after a SELECT only when the SELECT has a WHERE clause, as this one does.
            sqlx::query(
                "INSERT INTO machine_summary_queue \
                 (article_id, queued_at, next_attempt_at, attempts, last_error, last_error_at) \
                 SELECT id, $2, $2, 0, NULL, NULL FROM articles WHERE id = $1 \
                 ON CONFLICT (article_id) DO UPDATE SET queued_at = excluded.queued_at, \
                 next_attempt_at = CASE WHEN machine_summary_queue.claimed_until > excluded.next_attempt_at \
                 THEN machine_summary_queue.claimed_until ELSE excluded.next_attempt_at END, \
                 attempts = 0, last_error = NULL, last_error_at = NULL",
            )
            .bind(article)
            .bind(DbTime(at))
            .execute(&mut *tx)
            .await
            .map_err(db_err(doing()))?;
        }
        tx.commit().await.map_err(db_err(doing()))
    }

    async fn pending_machine_summaries(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<MachineSummaryJob>> {
        let doing = "listing articles waiting for a machine-written summary";
        let rows = sqlx::query(
            "SELECT article_id, queued_at, attempts FROM machine_summary_queue \
             WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, article_id LIMIT $2",
        )
        .bind(DbTime(now))
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing))?;
        jobs_from_rows::<DB>(&rows).map_err(db_err(doing))
    }

    async fn claim_machine_summaries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<MachineSummaryJob>> {
        let doing = "taking articles off the queue for machine-written summaries";
        // One statement. SQLite runs one writer at a time. On PostgreSQL the rows another worker is claiming are
        // skipped rather than waited for (so that worker's claim does not leave this one with nothing), and
        // the outer condition is checked again on any row updated meanwhile (its lease is then in the future).
        let skip_locked = if DB::BACKEND == "postgres" { " FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE machine_summary_queue SET next_attempt_at = $2, claimed_until = $2 \
             WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1 AND article_id IN \
             (SELECT article_id FROM machine_summary_queue WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1 \
              ORDER BY next_attempt_at, article_id LIMIT $3{skip_locked}) \
             RETURNING article_id, queued_at, attempts"
        );
        // Only a constant is spliced in.
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(DbTime(now))
            .bind(DbTime(lease_until))
            .bind(limit.max(0))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err(doing))?;
        let mut jobs = jobs_from_rows::<DB>(&rows).map_err(db_err(doing))?;
        for job in &mut jobs {
            job.claimed_until = Some(lease_until);
        }
        // RETURNING gives no order.
        jobs.sort_by(|a, b| a.queued_at.cmp(&b.queued_at).then(a.article_id.cmp(&b.article_id)));
        Ok(jobs)
    }

    async fn cached_machine_summary(
        &self,
        article: ArticleId,
        model: &str,
        input_hash: &str,
    ) -> StoreResult<Option<MachineSummary>> {
        let doing = || format!("reading the cached machine-written summary of article {article}");
        let row = sqlx::query(concat!(
            "SELECT ",
            summary_columns!(),
            " FROM machine_summaries WHERE article_id = $1 AND model = $2 AND input_hash = $3"
        ))
        .bind(article)
        .bind(clean(model).as_ref())
        .bind(input_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(doing()))?;
        row.map(|row| summary_from_row::<DB>(&row)).transpose().map_err(db_err(doing()))
    }

    async fn record_machine_summary(
        &self,
        job: &MachineSummaryJob,
        summary: &MachineSummary,
        input_hash: &str,
    ) -> StoreResult<()> {
        let article = summary.article_id;
        let doing = || format!("storing the machine-written summary of article {article}");
        let mut tx = self.pool.begin().await.map_err(db_err(doing()))?;
        // An article deleted with its source while its summary was being written is skipped, not an error.
        sqlx::query(
            "INSERT INTO machine_summaries (article_id, model, input_hash, summary, created_at) \
             SELECT id, $2, $3, $4, $5 FROM articles WHERE id = $1 \
             ON CONFLICT (article_id, model, input_hash) DO NOTHING",
        )
        .bind(article)
        .bind(clean(&summary.model).as_ref())
        .bind(input_hash)
        .bind(clean(&summary.text).as_ref())
        .bind(DbTime(summary.created_at))
        .execute(&mut *tx)
        .await
        .map_err(db_err(doing()))?;
        sqlx::query("DELETE FROM machine_summary_queue WHERE article_id = $1 AND queued_at = $2")
            .bind(job.article_id)
            .bind(DbTime(job.queued_at))
            .execute(&mut *tx)
            .await
            .map_err(db_err(doing()))?;
        tx.commit().await.map_err(db_err(doing()))
    }

    async fn record_machine_summary_failure(
        &self,
        job: &MachineSummaryJob,
        at: DateTime<Utc>,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        let article = job.article_id;
        // A claimed job's row still holds its claim unless another worker has claimed it since.
        let (sql, lease) = match job.claimed_until {
            None => (
                "UPDATE machine_summary_queue SET attempts = attempts + 1, last_error = $3, last_error_at = $4, \
                 next_attempt_at = $5 WHERE article_id = $1 AND queued_at = $2",
                None,
            ),
            Some(lease) => (
                "UPDATE machine_summary_queue SET attempts = attempts + 1, last_error = $3, last_error_at = $4, \
                 next_attempt_at = $5, claimed_until = NULL \
                 WHERE article_id = $1 AND queued_at = $2 AND claimed_until = $6",
                Some(DbTime(lease)),
            ),
        };
        let mut query = sqlx::query(sql)
            .bind(article)
            .bind(DbTime(job.queued_at))
            .bind(clean(error).as_ref())
            .bind(DbTime(at))
            .bind(retry_at.map(DbTime));
        if let Some(lease) = lease {
            query = query.bind(lease);
        }
        query
            .execute(&self.pool)
            .await
            .map_err(db_err(format_args!("recording the failed machine-written summary of article {article}")))?;
        Ok(())
    }

    async fn release_machine_summaries(&self, jobs: &[MachineSummaryJob], now: DateTime<Utc>) -> StoreResult<()> {
        let doing = || format!("handing back {} claimed articles for machine-written summaries", jobs.len());
        let mut tx = self.pool.begin().await.map_err(db_err(doing()))?;
        for job in jobs {
            // Only a claim still in force: a job done or failed since has none, one taken over has another's.
            let Some(lease) = job.claimed_until else { continue };
            sqlx::query(
                "UPDATE machine_summary_queue SET next_attempt_at = $2, claimed_until = NULL \
                 WHERE article_id = $1 AND claimed_until = $3",
            )
            .bind(job.article_id)
            .bind(DbTime(now))
            .bind(DbTime(lease))
            .execute(&mut *tx)
            .await
            .map_err(db_err(doing()))?;
        }
        tx.commit().await.map_err(db_err(doing()))
    }

    async fn machine_summary(&self, article: ArticleId) -> StoreResult<Option<MachineSummary>> {
        let doing = || format!("reading the machine-written summary of article {article}");
        let row = sqlx::query(concat!(
            "SELECT ",
            summary_columns!(),
            " FROM machine_summaries WHERE article_id = $1 ORDER BY created_at DESC LIMIT 1"
        ))
        .bind(article)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(doing()))?;
        row.map(|row| summary_from_row::<DB>(&row)).transpose().map_err(db_err(doing()))
    }

    async fn machine_summary_failures(&self, limit: i64) -> StoreResult<Vec<MachineSummaryFailure>> {
        let doing = "listing failed machine-written summaries";
        let rows = sqlx::query(
            "SELECT q.article_id, a.title, q.last_error, q.last_error_at, q.attempts, q.next_attempt_at \
             FROM machine_summary_queue q JOIN articles a ON a.id = q.article_id \
             WHERE q.last_error_at IS NOT NULL ORDER BY q.last_error_at DESC, q.article_id DESC LIMIT $1",
        )
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing))?;
        rows.iter()
            .map(|row| {
                Ok(MachineSummaryFailure {
                    article_id: row.try_get("article_id")?,
                    title: row.try_get("title")?,
                    error: row.try_get::<Option<String>, _>("last_error")?.unwrap_or_default(),
                    failed_at: row.try_get::<DbTime, _>("last_error_at")?.0,
                    attempts: count(row.try_get("attempts")?),
                    next_attempt_at: row.try_get::<Option<DbTime>, _>("next_attempt_at")?.map(|t| t.0),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db_err(doing))
    }
}
