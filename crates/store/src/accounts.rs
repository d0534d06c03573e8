//! The [`AccountStore`] implementation: accounts, sessions and tokens, comments, moderation and personal lists,
//! written once over sqlx like `sql.rs` (same `$N` SQL text for both backends, timestamps through [`DbTime`]).
//!
//! Writes and SQLite: SQLite has one writer at a time, and a connection that finds the database locked sleeps in
//! its busy handler (in steps of up to 100 ms) rather than queueing. Every write here therefore first takes the
//! store's in-process write gate (SQLite only), so the writers of this process queue in order and each finds the
//! lock free; reads never take it. Transactions that read before they write begin with `BEGIN IMMEDIATE` on
//! SQLite, taking the write lock up front: a deferred transaction that read first could not upgrade to writing
//! once another connection (the poller, say) had committed since, and would fail instead of waiting.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Row, Transaction, Type};
use tidings_core::accounts::{
    ApiToken, Comment, CommentId, CommentStatus, CommentTarget, Credentials, Follow, FollowKind, ModerationEntry,
    NewComment, NewUser, OneTimePurpose, Report, Role, User, UserId,
};
use tidings_core::{AccountStore, ArticleId, ArticleListItem, StoreError, StoreResult};

use crate::sql::{Backend, SqlStore, clean, clean_opt, db_err, list_columns, list_item_from_row};
use crate::time::DbTime;

/// An API token's last use is recorded to this resolution: a client calling many times a minute would otherwise
/// make every one of its requests a write.
const TOKEN_USE_RESOLUTION: TimeDelta = TimeDelta::minutes(1);

/// How many ids one `IN (…)` list binds at most (SQLite allows a few thousand parameters per statement at the
/// least; lists of cards are far shorter).
pub(crate) const IN_LIST_CHUNK: usize = 500;

/// Up to this many followed outlets, topics or entities, `for_you` reads each one's newest articles through its
/// own index range; beyond it, that kind is read as one `IN` list (SQLite caps a compound SELECT at 500 parts).
const FOR_YOU_BRANCHES_PER_KIND: usize = 50;

/// The columns [`user_from_row`] reads, from `users` unaliased.
macro_rules! user_columns {
    () => {
        "id, username, email, role, created_at, last_login_at, banned_until, totp_secret"
    };
}

/// The columns [`user_from_row`] reads, from `users` as `u` beside other tables.
macro_rules! user_columns_u {
    () => {
        "u.id, u.username, u.email, u.role, u.created_at, u.last_login_at, u.banned_until, u.totp_secret"
    };
}

/// The columns [`comment_from_row`] reads, from [`comment_from!`].
macro_rules! comment_columns {
    () => {
        "c.id, c.article_id, c.story_id, c.parent_id, c.user_id, u.username AS author, c.body, c.status, c.score, \
         c.created_at, c.edited_at, COALESCE(v.value, 0) AS my_vote"
    };
}

/// Comments `c` with their author `u` and the vote `v` of the viewer bound as `$1` (NULL for nobody).
macro_rules! comment_from {
    () => {
        "comments c LEFT JOIN users u ON u.id = c.user_id \
         LEFT JOIN votes v ON v.comment_id = c.id AND v.user_id = $1"
    };
}

fn user_from_row<DB>(row: &DB::Row) -> Result<User, sqlx::Error>
where
    DB: Database,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'r> Decode<'r, DB>,
    DbTime: Type<DB> + for<'r> Decode<'r, DB>,
{
    let opt_time = |col: &str| row.try_get::<Option<DbTime>, _>(col).map(|t| t.map(|t| t.0));
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        // An unknown role grants nothing beyond reading.
        role: Role::parse(&row.try_get::<String, _>("role")?).unwrap_or_default(),
        created_at: row.try_get::<DbTime, _>("created_at")?.0,
        last_login_at: opt_time("last_login_at")?,
        banned_until: opt_time("banned_until")?,
        totp_enabled: row.try_get::<Option<String>, _>("totp_secret")?.is_some(),
    })
}

fn comment_from_row<DB>(row: &DB::Row) -> Result<Comment, sqlx::Error>
where
    DB: Database,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'r> Decode<'r, DB>,
    i32: Type<DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'r> Decode<'r, DB>,
    DbTime: Type<DB> + for<'r> Decode<'r, DB>,
{
    let target = target_from_row::<DB>(row)?;
    let vote = row.try_get::<i32, _>("my_vote")?;
    Ok(Comment {
        id: row.try_get("id")?,
        target,
        parent_id: row.try_get("parent_id")?,
        author_id: row.try_get("user_id")?,
        author: row.try_get("author")?,
        body: row.try_get("body")?,
        status: CommentStatus::parse(&row.try_get::<String, _>("status")?),
        score: row.try_get("score")?,
        created_at: row.try_get::<DbTime, _>("created_at")?.0,
        edited_at: row.try_get::<Option<DbTime>, _>("edited_at")?.map(|t| t.0),
        // The column only ever holds -1 or 1; signum keeps a stray value inside the type.
        my_vote: if vote > 0 {
            1
        } else if vote < 0 {
            -1
        } else {
            0
        },
    })
}

/// The target of a comment row (`article_id`, `story_id`; the schema guarantees exactly one is set).
fn target_from_row<DB>(row: &DB::Row) -> Result<CommentTarget, sqlx::Error>
where
    DB: Database,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'r> Decode<'r, DB>,
{
    match (row.try_get::<Option<i64>, _>("article_id")?, row.try_get::<Option<i64>, _>("story_id")?) {
        (Some(article), _) => Ok(CommentTarget::Article(article)),
        (None, Some(story)) => Ok(CommentTarget::Story(story)),
        (None, None) => Err(sqlx::Error::Decode("a comment on neither an article nor a story".into())),
    }
}

fn api_token_from_row<DB>(row: &DB::Row) -> Result<ApiToken, sqlx::Error>
where
    DB: Database,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'r> Decode<'r, DB>,
    DbTime: Type<DB> + for<'r> Decode<'r, DB>,
{
    Ok(ApiToken {
        id: row.try_get("id")?,
        label: row.try_get("label")?,
        created_at: row.try_get::<DbTime, _>("created_at")?.0,
        last_used_at: row.try_get::<Option<DbTime>, _>("last_used_at")?.map(|t| t.0),
    })
}

/// The article and story columns to bind for a target, in that order.
fn target_columns(target: CommentTarget) -> (Option<i64>, Option<i64>) {
    match target {
        CommentTarget::Article(id) => (Some(id), None),
        CommentTarget::Story(id) => (None, Some(id)),
    }
}

/// Counts the lock rows of a target's thread (bound as `$1`). A story merged into another is the story it became
/// (merges flatten their chains, so one hop reaches the live story, as in `Store::story`): its lock moved there.
fn lock_count_sql(target: CommentTarget) -> &'static str {
    match target {
        CommentTarget::Article(_) => "SELECT COUNT(*) AS n FROM locked_threads WHERE article_id = $1",
        CommentTarget::Story(_) => {
            "SELECT COUNT(*) AS n FROM locked_threads \
             WHERE story_id = (SELECT COALESCE(merged_into, id) FROM stories WHERE id = $1)"
        }
    }
}

/// The locking clause that makes a read of a story's row wait for a merge of it in progress, and a merge wait for
/// the reader's transaction (see `SqlStore::live_target`). PostgreSQL only: SQLite's writers take turns anyway,
/// and it has no such clause.
fn share_lock<DB: Backend>() -> &'static str {
    if DB::BACKEND == "postgres" { " FOR SHARE" } else { "" }
}

/// A failed insert: a missing referenced account (a foreign key) is [`StoreError::NotFound`], anything else a
/// database error.
fn missing_or_db_err(
    what: &'static str,
    id: i64,
    doing: impl std::fmt::Display,
) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| {
        if e.as_database_error().is_some_and(|d| d.is_foreign_key_violation()) {
            StoreError::NotFound { what, id }
        } else {
            db_err(doing)(e)
        }
    }
}

/// A value bound into the dynamically built `for_you` query.
enum Bind {
    Id(i64),
    Text(String),
}

/// A comment as it stands right after it was posted as `comment` with row id `id`.
/// `target` is where it was stored: the story a merged story became, for a comment posted on the merged one.
fn posted(comment: &NewComment, target: CommentTarget, id: CommentId, author: Option<String>, body: String) -> Comment {
    Comment {
        id,
        target,
        parent_id: comment.parent_id,
        author_id: Some(comment.author),
        author,
        body,
        status: comment.status,
        score: 0,
        created_at: comment.created_at,
        edited_at: None,
        my_vote: 0,
    }
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
    for<'a> Option<&'a str>: Encode<'a, DB>,
    Option<DbTime>: for<'q> Encode<'q, DB>,
    Option<i64>: for<'q> Encode<'q, DB>,
{
    /// Waits for this process's turn to write (SQLite); no wait on PostgreSQL. Taken before a connection is, so
    /// queued writers do not hold pool connections the readers need.
    async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write_gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }

    /// Begins a transaction that will write; on SQLite it takes the write lock at once (see the module's notes).
    async fn begin_write(&self, doing: &str) -> StoreResult<Transaction<'static, DB>> {
        let statement = if DB::BACKEND == "sqlite" { "BEGIN IMMEDIATE" } else { "BEGIN" };
        self.pool.begin_with(statement).await.map_err(db_err(doing))
    }

    /// Commits on success and rolls back on failure, both before the caller lets go of the write gate: a rollback
    /// left to the dropped transaction would run later and keep SQLite's lock past the gate.
    async fn finish<T: Send>(tx: Transaction<'static, DB>, result: StoreResult<T>, doing: &str) -> StoreResult<T> {
        match result {
            Ok(value) => {
                tx.commit().await.map_err(db_err(doing))?;
                Ok(value)
            }
            Err(e) => {
                // The error that made us roll back is the one worth reporting.
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }

    /// The one account `query` selects (its [`user_columns!`]), if any.
    async fn fetch_user(
        &self,
        query: sqlx::query::Query<'_, DB, DB::Arguments>,
        doing: &str,
    ) -> StoreResult<Option<User>> {
        let row = query.fetch_optional(&self.pool).await.map_err(db_err(doing))?;
        row.as_ref().map(user_from_row::<DB>).transpose().map_err(db_err(doing))
    }

    async fn fetch_comments(
        &self,
        query: sqlx::query::Query<'_, DB, DB::Arguments>,
        doing: &str,
    ) -> StoreResult<Vec<Comment>> {
        let rows = query.fetch_all(&self.pool).await.map_err(db_err(doing))?;
        rows.iter().map(comment_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(doing))
    }

    /// Checks the name and address are free, then inserts the account, inside the caller's transaction.
    async fn insert_user(conn: &mut DB::Connection, user: &NewUser) -> StoreResult<User> {
        let doing = || format!("creating user {:?}", user.username);
        let username = clean(&user.username);
        let email = clean_opt(&user.email);
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE lower(username) = lower($1)")
            .bind(username.as_ref())
            .fetch_one(&mut *conn)
            .await
            .and_then(|r| r.try_get("n"))
            .map_err(db_err(doing()))?;
        if n > 0 {
            return Err(StoreError::Duplicate { what: "username", value: user.username.clone() });
        }
        if let Some(email) = &email {
            let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE lower(email) = lower($1)")
                .bind(email.as_ref())
                .fetch_one(&mut *conn)
                .await
                .and_then(|r| r.try_get("n"))
                .map_err(db_err(doing()))?;
            if n > 0 {
                return Err(StoreError::Duplicate { what: "e-mail address", value: email.clone().into_owned() });
            }
        }
        let row = sqlx::query(concat!(
            "INSERT INTO users (username, email, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING ",
            user_columns!()
        ))
        .bind(username.as_ref())
        .bind(email.as_deref())
        .bind(user.password_hash.as_str())
        .bind(user.role.as_str())
        .bind(DbTime(user.created_at))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| match e.as_database_error() {
            // Only a concurrent sign-up on PostgreSQL gets past the checks above (SQLite's writers take turns);
            // the index named in the message says which value it took.
            Some(d) if d.is_unique_violation() && d.message().contains("users_email") => {
                StoreError::Duplicate { what: "e-mail address", value: user.email.clone().unwrap_or_default() }
            }
            Some(d) if d.is_unique_violation() => {
                StoreError::Duplicate { what: "username", value: user.username.clone() }
            }
            _ => db_err(doing())(e),
        })?;
        user_from_row::<DB>(&row).map_err(db_err(doing()))
    }

    /// Whether a target's thread is locked, inside the caller's transaction.
    async fn locked_in(conn: &mut DB::Connection, target: CommentTarget, doing: &str) -> StoreResult<bool> {
        let n: i64 = sqlx::query(lock_count_sql(target))
            .bind(target.id())
            .fetch_one(&mut *conn)
            .await
            .and_then(|r| r.try_get("n"))
            .map_err(db_err(doing))?;
        Ok(n > 0)
    }

    /// The thread a target's comments and lock live in, inside the caller's transaction: an article as it is, a
    /// story merged into another as the story it became (its comments and lock moved there). None when there is
    /// no such article or story.
    ///
    /// On PostgreSQL the story's row is held until the transaction ends, so a merge of it waits, and then moves
    /// whatever this transaction wrote to the thread (see `record_clustering`); SQLite's writers take turns.
    async fn live_target(
        conn: &mut DB::Connection,
        target: CommentTarget,
        doing: &str,
    ) -> StoreResult<Option<CommentTarget>> {
        match target {
            CommentTarget::Article(id) => {
                let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM articles WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await
                    .and_then(|r| r.try_get("n"))
                    .map_err(db_err(doing))?;
                Ok((n > 0).then_some(target))
            }
            CommentTarget::Story(id) => {
                let sql = format!(
                    "SELECT COALESCE(merged_into, id) AS live FROM stories WHERE id = $1{}",
                    share_lock::<DB>()
                );
                // Only a constant is spliced in.
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_err(doing))?;
                row.map(|r| r.try_get("live").map(CommentTarget::Story)).transpose().map_err(db_err(doing))
            }
        }
    }

    /// The checks and the insert of [`AccountStore::add_comment`], inside the caller's transaction.
    async fn insert_comment(conn: &mut DB::Connection, comment: &NewComment) -> StoreResult<Comment> {
        let doing = format!("posting a comment on {} {}", comment.target.kind(), comment.target.id());
        let Some(target) = Self::live_target(conn, comment.target, &doing).await? else {
            return Err(StoreError::NotFound { what: comment.target.kind(), id: comment.target.id() });
        };
        // The target, its lock and the author's name in one round trip: the write gate is held meanwhile.
        let sql = match target {
            CommentTarget::Article(_) => {
                "SELECT (SELECT COUNT(*) FROM articles WHERE id = $1) AS found, \
                 (SELECT COUNT(*) FROM locked_threads WHERE article_id = $1) AS locked, \
                 (SELECT username FROM users WHERE id = $2) AS author"
            }
            CommentTarget::Story(_) => {
                "SELECT (SELECT COUNT(*) FROM stories WHERE id = $1) AS found, \
                 (SELECT COUNT(*) FROM locked_threads WHERE story_id = $1) AS locked, \
                 (SELECT username FROM users WHERE id = $2) AS author"
            }
        };
        let row = sqlx::query(sql)
            .bind(target.id())
            .bind(comment.author)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err(&doing))?;
        let read = || -> Result<(i64, i64, Option<String>), sqlx::Error> {
            Ok((row.try_get("found")?, row.try_get("locked")?, row.try_get("author")?))
        };
        let (found, locked, author) = read().map_err(db_err(&doing))?;
        if found == 0 {
            return Err(StoreError::NotFound { what: target.kind(), id: target.id() });
        }
        let Some(author) = author else {
            return Err(StoreError::NotFound { what: "user", id: comment.author });
        };
        if locked > 0 {
            return Err(StoreError::Refused("this thread is locked".to_owned()));
        }
        if let Some(parent) = comment.parent_id {
            let row = sqlx::query("SELECT article_id, story_id FROM comments WHERE id = $1")
                .bind(parent)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err(&doing))?;
            let parent_target = row.as_ref().map(target_from_row::<DB>).transpose().map_err(db_err(&doing))?;
            if parent_target != Some(target) {
                return Err(StoreError::Refused(format!("comment {parent} is not a comment on this page")));
            }
        }
        let body = clean(&comment.body);
        let (article_id, story_id) = target_columns(target);
        let row = sqlx::query(
            "INSERT INTO comments (article_id, story_id, parent_id, user_id, body, status, score, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7) RETURNING id",
        )
        .bind(article_id)
        .bind(story_id)
        .bind(comment.parent_id)
        .bind(comment.author)
        .bind(body.as_ref())
        .bind(comment.status.as_str())
        .bind(DbTime(comment.created_at))
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err(&doing))?;
        let id = row.try_get("id").map_err(db_err(&doing))?;
        Ok(posted(comment, target, id, Some(author), body.into_owned()))
    }

    /// The target of a comment, locking its row on PostgreSQL until the transaction ends (the no-op update), so
    /// concurrent votes on one comment add up their score one after the other. NotFound when there is none.
    async fn lock_comment(
        conn: &mut DB::Connection,
        id: CommentId,
        doing: &str,
    ) -> StoreResult<(CommentTarget, String)> {
        let row = sqlx::query("UPDATE comments SET score = score WHERE id = $1 RETURNING article_id, story_id, status")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err(doing))?
            .ok_or(StoreError::NotFound { what: "comment", id })?;
        let target = target_from_row::<DB>(&row).map_err(db_err(doing))?;
        let status = row.try_get::<String, _>("status").map_err(db_err(doing))?;
        Ok((target, status))
    }

    async fn edit_in(conn: &mut DB::Connection, id: CommentId, body: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let doing = format!("editing comment {id}");
        let (target, status) = Self::lock_comment(conn, id, &doing).await?;
        if Self::locked_in(conn, target, &doing).await? {
            return Err(StoreError::Refused("this thread is locked".to_owned()));
        }
        if status == CommentStatus::Removed.as_str() {
            return Err(StoreError::Refused("a removed comment cannot be edited".to_owned()));
        }
        sqlx::query("UPDATE comments SET body = $2, edited_at = $3 WHERE id = $1")
            .bind(id)
            .bind(clean(body).as_ref())
            .bind(DbTime(at))
            .execute(&mut *conn)
            .await
            .map_err(db_err(&doing))?;
        Ok(())
    }

    async fn vote_in(
        conn: &mut DB::Connection,
        user: UserId,
        comment: CommentId,
        value: i8,
        at: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let doing = format!("recording a vote on comment {comment}");
        let (target, _) = Self::lock_comment(conn, comment, &doing).await?;
        if Self::locked_in(conn, target, &doing).await? {
            return Err(StoreError::Refused("this thread is locked".to_owned()));
        }
        if value == 0 {
            sqlx::query("DELETE FROM votes WHERE user_id = $1 AND comment_id = $2")
                .bind(user)
                .bind(comment)
                .execute(&mut *conn)
                .await
                .map_err(db_err(&doing))?;
        } else {
            sqlx::query(
                "INSERT INTO votes (user_id, comment_id, value, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, comment_id) DO UPDATE SET value = excluded.value, created_at = excluded.created_at",
            )
            .bind(user)
            .bind(comment)
            .bind(i64::from(value.signum()))
            .bind(DbTime(at))
            .execute(&mut *conn)
            .await
            .map_err(missing_or_db_err("user", user, &doing))?;
        }
        // Recounted rather than adjusted: the stored score can never drift from the votes.
        let row = sqlx::query(
            "UPDATE comments SET score = (SELECT COALESCE(SUM(value), 0) FROM votes WHERE comment_id = $1) \
             WHERE id = $1 RETURNING score",
        )
        .bind(comment)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err(&doing))?;
        row.try_get("score").map_err(db_err(&doing))
    }

    async fn delete_user_in(conn: &mut DB::Connection, user: UserId) -> StoreResult<bool> {
        let doing = format!("deleting user {user}");
        for statement in [
            // The account's votes go with it (ON DELETE CASCADE); the scores they made go first.
            "UPDATE comments SET score = score - COALESCE((SELECT v.value FROM votes v \
               WHERE v.comment_id = comments.id AND v.user_id = $1), 0) \
             WHERE id IN (SELECT comment_id FROM votes WHERE user_id = $1)",
            // Its comments keep their place in their threads (user_id becomes NULL) but lose their words.
            "UPDATE comments SET status = 'removed', body = '' WHERE user_id = $1",
        ] {
            sqlx::query(statement).bind(user).execute(&mut *conn).await.map_err(db_err(&doing))?;
        }
        // Sessions, tokens, follows and saves cascade; reports, log entries and invitations keep their rows
        // without the account.
        let row = sqlx::query("DELETE FROM users WHERE id = $1 RETURNING id")
            .bind(user)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err(&doing))?;
        Ok(row.is_some())
    }

    /// Runs a single-row update of `users` (`$1` is the id) and says NotFound when there is no such account.
    async fn update_user(
        &self,
        query: sqlx::query::Query<'_, DB, DB::Arguments>,
        user: UserId,
        doing: &str,
    ) -> StoreResult<()> {
        let updated = self.update_if(query, doing).await?;
        updated.then_some(()).ok_or(StoreError::NotFound { what: "user", id: user })
    }

    /// Runs a conditional single-row update that returns its id: whether a row was changed.
    async fn update_if(&self, query: sqlx::query::Query<'_, DB, DB::Arguments>, doing: &str) -> StoreResult<bool> {
        let _turn = self.write_turn().await;
        let row = query.fetch_optional(&self.pool).await.map_err(db_err(doing))?;
        Ok(row.is_some())
    }

    /// Runs a single-row update of `comments` returning its id, and says NotFound when there is no such comment.
    async fn update_comment(
        &self,
        query: sqlx::query::Query<'_, DB, DB::Arguments>,
        id: CommentId,
        doing: &str,
    ) -> StoreResult<()> {
        let updated = self.update_if(query, doing).await?;
        updated.then_some(()).ok_or(StoreError::NotFound { what: "comment", id })
    }

    /// Runs a write that returns nothing, in this process's turn.
    async fn write(&self, query: sqlx::query::Query<'_, DB, DB::Arguments>, doing: &str) -> StoreResult<()> {
        let _turn = self.write_turn().await;
        query.execute(&self.pool).await.map(|_| ()).map_err(db_err(doing))
    }

    async fn count(&self, query: sqlx::query::Query<'_, DB, DB::Arguments>, doing: &str) -> StoreResult<i64> {
        query.fetch_one(&self.pool).await.and_then(|r| r.try_get("n")).map_err(db_err(doing))
    }

    /// The ids among `ids` with comments that everyone sees, and how many; `column` is `article_id` or
    /// `story_id`.
    async fn count_visible(&self, column: &str, ids: &[i64], doing: &str) -> StoreResult<HashMap<i64, i64>> {
        let mut counts = HashMap::new();
        for chunk in ids.chunks(IN_LIST_CHUNK) {
            // Only the column name (one of two constants) and numbered placeholders are spliced in.
            let sql = crate::sql::in_list(
                &format!(
                    "SELECT {column} AS target, COUNT(*) AS n FROM comments \
                     WHERE {column} IS NOT NULL AND {column} IN ({{}}) AND status = 'visible' GROUP BY {column}"
                ),
                chunk.len(),
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&self.pool).await.map_err(db_err(doing))? {
                let target: i64 = row.try_get("target").map_err(db_err(doing))?;
                counts.insert(target, row.try_get::<i64, _>("n").map_err(db_err(doing))?);
            }
        }
        Ok(counts)
    }
}

#[async_trait]
impl<DB> AccountStore for SqlStore<DB>
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
    // --- Accounts ---

    async fn create_user(&self, user: NewUser) -> StoreResult<User> {
        let doing = format!("creating user {:?}", user.username);
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write(&doing).await?;
        let result = Self::insert_user(&mut tx, &user).await;
        Self::finish(tx, result, &doing).await
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        let query = sqlx::query(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1")).bind(id);
        self.fetch_user(query, &format!("reading user {id}")).await
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        // `lower(username)` is what the unique index users_username holds, so this is an index lookup.
        let query = sqlx::query(concat!("SELECT ", user_columns!(), " FROM users WHERE lower(username) = lower($1)"))
            .bind(clean(username).into_owned());
        self.fetch_user(query, &format!("reading user {username:?}")).await
    }

    async fn credentials(&self, username: &str) -> StoreResult<Option<Credentials>> {
        let doing = format!("reading the credentials of {username:?}");
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            ", password_hash FROM users WHERE lower(username) = lower($1)"
        ))
        .bind(clean(username).as_ref())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(&doing))?;
        let Some(row) = row else { return Ok(None) };
        let read = || -> Result<Credentials, sqlx::Error> {
            Ok(Credentials {
                user: user_from_row::<DB>(&row)?,
                password_hash: row.try_get("password_hash")?,
                totp_secret: row.try_get("totp_secret")?,
            })
        };
        read().map(Some).map_err(db_err(&doing))
    }

    async fn users(&self, limit: i64) -> StoreResult<Vec<User>> {
        let doing = "listing users";
        let rows =
            sqlx::query(concat!("SELECT ", user_columns!(), " FROM users ORDER BY created_at DESC, id DESC LIMIT $1"))
                .bind(limit.max(0))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err(doing))?;
        rows.iter().map(user_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(doing))
    }

    async fn count_users(&self) -> StoreResult<i64> {
        self.count(sqlx::query("SELECT COUNT(*) AS n FROM users"), "counting users").await
    }

    async fn record_login(&self, user: UserId, at: DateTime<Utc>) -> StoreResult<()> {
        let query =
            sqlx::query("UPDATE users SET last_login_at = $2 WHERE id = $1 RETURNING id").bind(user).bind(DbTime(at));
        self.update_user(query, user, &format!("recording a sign-in of user {user}")).await
    }

    async fn set_password(&self, user: UserId, password_hash: &str) -> StoreResult<()> {
        let doing = format!("setting the password of user {user}");
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write(&doing).await?;
        let result = async {
            sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1 RETURNING id")
                .bind(user)
                .bind(password_hash)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err(&doing))?
                .ok_or(StoreError::NotFound { what: "user", id: user })?;
            // Whoever knew the old password is signed out everywhere.
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await
                .map_err(db_err(&doing))?;
            Ok(())
        }
        .await;
        Self::finish(tx, result, &doing).await
    }

    async fn set_totp(&self, user: UserId, secret: Option<&str>) -> StoreResult<()> {
        let query = sqlx::query("UPDATE users SET totp_secret = $2 WHERE id = $1 RETURNING id").bind(user).bind(secret);
        self.update_user(query, user, &format!("setting the second factor of user {user}")).await
    }

    async fn totp_secrets(&self) -> StoreResult<Vec<(UserId, String)>> {
        let rows = sqlx::query("SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err("reading second-factor secrets"))?;
        rows.iter()
            .map(|row| Ok((row.try_get("id")?, row.try_get("totp_secret")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db_err("reading second-factor secrets"))
    }

    async fn reseal_totp(&self, user: UserId, current: &str, replacement: &str) -> StoreResult<bool> {
        let query = sqlx::query("UPDATE users SET totp_secret = $3 WHERE id = $1 AND totp_secret = $2 RETURNING id")
            .bind(user)
            .bind(current)
            .bind(replacement);
        self.update_if(query, &format!("sealing the second factor of user {user}")).await
    }

    async fn use_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool> {
        // One statement, so two sign-ins racing with the same code cannot both pass.
        let query = sqlx::query(
            "UPDATE users SET totp_last_step = $2 \
             WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING id",
        )
        .bind(user)
        .bind(step);
        self.update_if(query, &format!("recording the second-factor step of user {user}")).await
    }

    async fn set_role(&self, user: UserId, role: Role) -> StoreResult<()> {
        let query = sqlx::query("UPDATE users SET role = $2 WHERE id = $1 RETURNING id").bind(user).bind(role.as_str());
        self.update_user(query, user, &format!("setting the role of user {user}")).await
    }

    async fn set_ban(&self, user: UserId, until: Option<DateTime<Utc>>) -> StoreResult<()> {
        let query = sqlx::query("UPDATE users SET banned_until = $2 WHERE id = $1 RETURNING id")
            .bind(user)
            .bind(until.map(DbTime));
        self.update_user(query, user, &format!("setting the ban of user {user}")).await
    }

    async fn delete_user(&self, user: UserId) -> StoreResult<bool> {
        let doing = format!("deleting user {user}");
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write(&doing).await?;
        let result = Self::delete_user_in(&mut tx, user).await;
        Self::finish(tx, result, &doing).await
    }

    // --- Sessions and tokens ---

    async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let doing = format!("starting a session of user {user}");
        let _turn = self.write_turn().await;
        // The account's expired sessions are cleared on the way: nothing else deletes them.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
            .bind(user)
            .bind(DbTime(at))
            .execute(&self.pool)
            .await
            .map_err(db_err(&doing))?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)",
        )
        .bind(token_hash)
        .bind(user)
        .bind(DbTime(at))
        .bind(DbTime(expires_at))
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(missing_or_db_err("user", user, &doing))
    }

    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<(User, DateTime<Utc>)>> {
        let doing = "reading a session";
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns_u!(),
            ", s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.expires_at > $2"
        ))
        .bind(token_hash)
        .bind(DbTime(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(doing))?;
        let Some(row) = row else { return Ok(None) };
        let user = user_from_row::<DB>(&row).map_err(db_err(doing))?;
        let seen = row.try_get::<DbTime, _>("last_seen_at").map_err(db_err(doing))?.0;
        Ok(Some((user, seen)))
    }

    async fn touch_session(&self, token_hash: &str, at: DateTime<Utc>, expires_at: DateTime<Utc>) -> StoreResult<()> {
        // An expired session stays expired: touching it must not bring it back.
        let query =
            sqlx::query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1 AND expires_at > $2")
                .bind(token_hash)
                .bind(DbTime(at))
                .bind(DbTime(expires_at));
        self.write(query, "extending a session").await
    }

    async fn sign_in_failures(&self, keys: &[String]) -> StoreResult<Vec<(String, u32, DateTime<Utc>)>> {
        let doing = "reading failed sign-ins";
        let mut found = Vec::new();
        for key in keys {
            let row = sqlx::query("SELECT failures, last_failure_at FROM sign_in_failures WHERE key = $1")
                .bind(clean(key).as_ref())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err(doing))?;
            if let Some(row) = row {
                let failures: i64 = row.try_get("failures").map_err(db_err(doing))?;
                let last: DbTime = row.try_get("last_failure_at").map_err(db_err(doing))?;
                found.push((key.clone(), u32::try_from(failures.max(0)).unwrap_or(u32::MAX), last.0));
            }
        }
        Ok(found)
    }

    async fn begin_sign_in_attempt(
        &self,
        keys: &[String],
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
        wait: &(dyn Fn(u32, DateTime<Utc>) -> Option<std::time::Duration> + Send + Sync),
    ) -> StoreResult<Option<std::time::Duration>> {
        let doing = "starting a sign-in attempt";
        // SQLite: one writer at a time (BEGIN IMMEDIATE). PostgreSQL: each key's row is made to exist, then locked,
        // so that a concurrent attempt on the same key waits for this one's count.
        let lock = if DB::BACKEND == "postgres" { " FOR UPDATE" } else { "" };
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write(doing).await?;
        let result = async {
            sqlx::query("DELETE FROM sign_in_failures WHERE last_failure_at < $1")
                .bind(DbTime(forget_before))
                .execute(&mut *tx)
                .await
                .map_err(db_err(doing))?;
            let mut longest: Option<std::time::Duration> = None;
            // Locked in one order everywhere, so two attempts sharing keys cannot wait on each other.
            let mut sorted: Vec<&String> = keys.iter().collect();
            sorted.sort();
            for key in sorted {
                let key = clean(key);
                sqlx::query(
                    "INSERT INTO sign_in_failures (key, failures, last_failure_at) VALUES ($1, 0, $2) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(key.as_ref())
                .bind(DbTime(at))
                .execute(&mut *tx)
                .await
                .map_err(db_err(doing))?;
                let sql = format!("SELECT failures, last_failure_at FROM sign_in_failures WHERE key = $1{lock}");
                // Only a constant is spliced in.
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(key.as_ref())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err(doing))?;
                let failures: i64 = row.try_get("failures").map_err(db_err(doing))?;
                let last: DbTime = row.try_get("last_failure_at").map_err(db_err(doing))?;
                if let Some(left) = wait(u32::try_from(failures.max(0)).unwrap_or(u32::MAX), last.0) {
                    longest = Some(longest.map_or(left, |l| l.max(left)));
                }
            }
            if longest.is_none() {
                for key in keys {
                    sqlx::query(
                        "UPDATE sign_in_failures SET failures = failures + 1, last_failure_at = $2 WHERE key = $1",
                    )
                    .bind(clean(key).as_ref())
                    .bind(DbTime(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err(doing))?;
                }
            }
            Ok(longest)
        }
        .await;
        // A refused attempt changes nothing: its placeholder rows go with the rollback.
        match result {
            Ok(Some(left)) => {
                let _ = tx.rollback().await;
                Ok(Some(left))
            }
            other => Self::finish(tx, other, doing).await,
        }
    }

    async fn clear_sign_in_failures(&self, keys: &[String]) -> StoreResult<()> {
        for key in keys {
            self.write(
                sqlx::query("DELETE FROM sign_in_failures WHERE key = $1").bind(clean(key).as_ref()),
                "forgetting failed sign-ins",
            )
            .await?;
        }
        Ok(())
    }

    async fn refund_sign_in_attempt(&self, keys: &[String]) -> StoreResult<()> {
        for key in keys {
            self.write(
                sqlx::query("UPDATE sign_in_failures SET failures = failures - 1 WHERE key = $1 AND failures > 0")
                    .bind(clean(key).as_ref()),
                "taking back a counted sign-in attempt",
            )
            .await?;
        }
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        self.write(sqlx::query("DELETE FROM sessions WHERE id = $1").bind(token_hash), "ending a session").await
    }

    async fn create_api_token(
        &self,
        user: UserId,
        token_hash: &str,
        label: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<ApiToken> {
        let doing = format!("making an API token for user {user}");
        let label = clean(label);
        let _turn = self.write_turn().await;
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_id, token_hash, label, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user)
        .bind(token_hash)
        .bind(label.as_ref())
        .bind(DbTime(at))
        .fetch_one(&self.pool)
        .await
        .map_err(missing_or_db_err("user", user, &doing))?;
        let id = row.try_get("id").map_err(db_err(&doing))?;
        Ok(ApiToken { id, label: label.into_owned(), created_at: at, last_used_at: None })
    }

    async fn api_token_user(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<Option<User>> {
        let doing = "reading an API token";
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns_u!(),
            ", t.id AS token_id, t.last_used_at AS token_used_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(doing))?;
        let Some(row) = row else { return Ok(None) };
        let user = user_from_row::<DB>(&row).map_err(db_err(doing))?;
        let token: i64 = row.try_get("token_id").map_err(db_err(doing))?;
        let used = row.try_get::<Option<DbTime>, _>("token_used_at").map_err(db_err(doing))?.map(|t| t.0);
        // Recorded to the minute (TOKEN_USE_RESOLUTION), so a busy client's reads stay reads.
        if used.is_none_or(|used| at - used >= TOKEN_USE_RESOLUTION || at < used) {
            let query =
                sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1").bind(token).bind(DbTime(at));
            self.write(query, "recording the use of an API token").await?;
        }
        Ok(Some(user))
    }

    async fn api_tokens(&self, user: UserId) -> StoreResult<Vec<ApiToken>> {
        let doing = format!("listing the API tokens of user {user}");
        let rows = sqlx::query(
            "SELECT id, label, created_at, last_used_at FROM api_tokens WHERE user_id = $1 \
             ORDER BY created_at DESC, id DESC",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(&doing))?;
        rows.iter().map(api_token_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(&doing))
    }

    async fn delete_api_token(&self, user: UserId, id: i64) -> StoreResult<bool> {
        let _turn = self.write_turn().await;
        let row = sqlx::query("DELETE FROM api_tokens WHERE user_id = $1 AND id = $2 RETURNING id")
            .bind(user)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err(format_args!("revoking API token {id} of user {user}")))?;
        Ok(row.is_some())
    }

    async fn create_one_time_token(
        &self,
        purpose: OneTimePurpose,
        token_hash: &str,
        user: Option<UserId>,
        created_by: Option<UserId>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let doing = format!("storing a one-time token ({})", purpose.as_str());
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO one_time_tokens (token_hash, purpose, user_id, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(user)
        .bind(created_by)
        .bind(DbTime(Utc::now()))
        .bind(DbTime(expires_at))
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(missing_or_db_err("user", user.or(created_by).unwrap_or_default(), &doing))
    }

    async fn peek_one_time_token(
        &self,
        purpose: OneTimePurpose,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Option<UserId>>> {
        let doing = "reading a one-time token";
        let row = sqlx::query(
            "SELECT user_id FROM one_time_tokens \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(DbTime(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(doing))?;
        row.map(|r| r.try_get::<Option<i64>, _>("user_id")).transpose().map_err(db_err(doing))
    }

    async fn take_one_time_token(
        &self,
        purpose: OneTimePurpose,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Option<UserId>>> {
        let doing = "using a one-time token";
        let _turn = self.write_turn().await;
        // Check and use in one statement: of two concurrent takes, the second finds used_at set (PostgreSQL
        // re-reads the row after waiting for the first's lock; SQLite runs one writer at a time).
        let row = sqlx::query(
            "UPDATE one_time_tokens SET used_at = $3 \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(DbTime(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(doing))?;
        row.map(|r| r.try_get::<Option<i64>, _>("user_id")).transpose().map_err(db_err(doing))
    }

    // --- Comments ---

    async fn add_comment(&self, comment: NewComment) -> StoreResult<Comment> {
        let target = comment.target;
        let doing = format!("posting a comment on {} {}", target.kind(), target.id());
        let _turn = self.write_turn().await;
        // The usual case in one statement, atomic on its own: the comment is inserted only if its target exists,
        // its thread is open and its parent is on the same target. Every round trip to the database is a thread
        // hop for SQLite, and commenting is the busiest write the site has. A story merged into another is
        // commented on as the story it became, where its comments and lock went (see `live_target`), by the
        // transaction below: this statement's lock check reads the snapshot it started with, from before a merge
        // it waited for (on PostgreSQL) moved the merged story's lock, so it takes unmerged stories only.
        let sql = match target {
            CommentTarget::Article(_) => Cow::Borrowed(
                "INSERT INTO comments (article_id, story_id, parent_id, user_id, body, status, score, created_at) \
                 SELECT $1, NULL, $2, $3, $4, $5, 0, $6 \
                 WHERE EXISTS (SELECT 1 FROM articles WHERE id = $1) \
                 AND NOT EXISTS (SELECT 1 FROM locked_threads WHERE article_id = $1) \
                 AND ($2 IS NULL OR EXISTS (SELECT 1 FROM comments p WHERE p.id = $2 AND p.article_id = $1)) \
                 RETURNING id, story_id, (SELECT username FROM users WHERE users.id = comments.user_id) AS author",
            ),
            CommentTarget::Story(_) => Cow::Owned(format!(
                "INSERT INTO comments (article_id, story_id, parent_id, user_id, body, status, score, created_at) \
                 SELECT NULL, st.live, $2, $3, $4, $5, 0, $6 \
                 FROM (SELECT id AS live FROM stories WHERE id = $1 AND merged_into IS NULL{}) st \
                 WHERE NOT EXISTS (SELECT 1 FROM locked_threads WHERE story_id = st.live) \
                 AND ($2 IS NULL OR EXISTS (SELECT 1 FROM comments p WHERE p.id = $2 AND p.story_id = st.live)) \
                 RETURNING id, story_id, (SELECT username FROM users WHERE users.id = comments.user_id) AS author",
                share_lock::<DB>()
            )),
        };
        let body = clean(&comment.body);
        // Only a constant is spliced in.
        let inserted = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(target.id())
            .bind(comment.parent_id)
            .bind(comment.author)
            .bind(body.as_ref())
            .bind(comment.status.as_str())
            .bind(DbTime(comment.created_at))
            .fetch_optional(&self.pool)
            .await;
        match inserted {
            Ok(Some(row)) => {
                let read = || -> Result<(i64, Option<i64>, Option<String>), sqlx::Error> {
                    Ok((row.try_get("id")?, row.try_get("story_id")?, row.try_get("author")?))
                };
                let (id, story, author) = read().map_err(db_err(&doing))?;
                let stored = match (target, story) {
                    (CommentTarget::Story(_), Some(live)) => CommentTarget::Story(live),
                    _ => target,
                };
                return Ok(posted(&comment, stored, id, author, body.into_owned()));
            }
            // A check failed: the transaction below finds which, and says so (or, if the state changed meanwhile,
            // posts the comment after all). A missing author fails the foreign key: the same path names it.
            Ok(None) | Err(sqlx::Error::Database(_)) => {}
            Err(e) => return Err(db_err(&doing)(e)),
        }
        let mut tx = self.begin_write(&doing).await?;
        let result = Self::insert_comment(&mut tx, &comment).await;
        Self::finish(tx, result, &doing).await
    }

    async fn comment(&self, id: CommentId, viewer: Option<UserId>) -> StoreResult<Option<Comment>> {
        let doing = format!("reading comment {id}");
        let row = sqlx::query(concat!("SELECT ", comment_columns!(), " FROM ", comment_from!(), " WHERE c.id = $2"))
            .bind(viewer)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err(&doing))?;
        row.as_ref().map(comment_from_row::<DB>).transpose().map_err(db_err(&doing))
    }

    async fn comments_on(&self, target: CommentTarget, viewer: Option<UserId>) -> StoreResult<Vec<Comment>> {
        let sql = match target {
            CommentTarget::Article(_) => concat!(
                "SELECT ",
                comment_columns!(),
                " FROM ",
                comment_from!(),
                " WHERE c.article_id = $2 ORDER BY c.created_at, c.id"
            ),
            CommentTarget::Story(_) => concat!(
                "SELECT ",
                comment_columns!(),
                " FROM ",
                comment_from!(),
                // A merged story's comments moved to the story it became, which is what its id shows.
                " WHERE c.story_id = (SELECT COALESCE(merged_into, id) FROM stories WHERE id = $2) \
                 ORDER BY c.created_at, c.id"
            ),
        };
        let doing = format!("reading the comments on {} {}", target.kind(), target.id());
        self.fetch_comments(sqlx::query(sql).bind(viewer).bind(target.id()), &doing).await
    }

    async fn user_comments(&self, user: UserId, limit: i64) -> StoreResult<Vec<Comment>> {
        let sql = concat!(
            "SELECT ",
            comment_columns!(),
            " FROM ",
            comment_from!(),
            " WHERE c.user_id = $2 ORDER BY c.created_at DESC, c.id DESC LIMIT $3"
        );
        // Read by their author, so `my_vote` is the author's own.
        let query = sqlx::query(sql).bind(Some(user)).bind(user).bind(limit.max(0));
        self.fetch_comments(query, &format!("listing the comments of user {user}")).await
    }

    async fn recent_comment_bodies(&self, user: UserId, since: DateTime<Utc>, limit: i64) -> StoreResult<Vec<String>> {
        let doing = format!("reading the recent comments of user {user}");
        sqlx::query(
            "SELECT body FROM comments WHERE user_id = $1 AND created_at >= $2 ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(user)
        .bind(DbTime(since))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(&doing))?
        .iter()
        .map(|r| r.try_get::<String, _>("body"))
        .collect::<Result<_, _>>()
        .map_err(db_err(&doing))
    }

    async fn edit_comment(&self, id: CommentId, body: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let doing = format!("editing comment {id}");
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write(&doing).await?;
        let result = Self::edit_in(&mut tx, id, body, at).await;
        Self::finish(tx, result, &doing).await
    }

    async fn remove_comment(&self, id: CommentId) -> StoreResult<()> {
        let query =
            sqlx::query("UPDATE comments SET status = 'removed', body = '' WHERE id = $1 RETURNING id").bind(id);
        self.update_comment(query, id, &format!("removing comment {id}")).await
    }

    async fn set_comment_status(&self, id: CommentId, status: CommentStatus) -> StoreResult<()> {
        // Removed means the words are gone, whichever way a comment gets there.
        let query = sqlx::query(
            "UPDATE comments SET status = $2, body = CASE WHEN $2 = 'removed' THEN '' ELSE body END \
             WHERE id = $1 RETURNING id",
        )
        .bind(id)
        .bind(status.as_str());
        self.update_comment(query, id, &format!("setting the status of comment {id}")).await
    }

    async fn vote(&self, user: UserId, comment: CommentId, value: i8, at: DateTime<Utc>) -> StoreResult<i64> {
        let doing = format!("recording a vote on comment {comment}");
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write(&doing).await?;
        let result = Self::vote_in(&mut tx, user, comment, value, at).await;
        Self::finish(tx, result, &doing).await
    }

    async fn comment_counts(&self, targets: &[CommentTarget]) -> StoreResult<Vec<(CommentTarget, i64)>> {
        let doing = "counting comments";
        let mut seen = HashSet::new();
        let targets: Vec<CommentTarget> = targets.iter().copied().filter(|t| seen.insert(*t)).collect();
        let ids = |story: bool| -> Vec<i64> {
            targets.iter().filter(|t| matches!(t, CommentTarget::Story(_)) == story).map(|t| t.id()).collect()
        };
        let articles = self.count_visible("article_id", &ids(false), doing).await?;
        let stories = self.count_visible("story_id", &ids(true), doing).await?;
        Ok(targets
            .into_iter()
            .filter_map(|target| {
                let counts = match target {
                    CommentTarget::Article(_) => &articles,
                    CommentTarget::Story(_) => &stories,
                };
                counts.get(&target.id()).map(|n| (target, *n))
            })
            .collect())
    }

    async fn set_thread_locked(&self, target: CommentTarget, locked: bool, at: DateTime<Utc>) -> StoreResult<()> {
        let doing = format!("locking {} {}", target.kind(), target.id());
        let _turn = self.write_turn().await;
        if !locked {
            // A merged story's lock is the one of the story it became (see `lock_count_sql`).
            let sql = match target {
                CommentTarget::Article(_) => "DELETE FROM locked_threads WHERE article_id = $1",
                CommentTarget::Story(_) => {
                    "DELETE FROM locked_threads \
                     WHERE story_id = (SELECT COALESCE(merged_into, id) FROM stories WHERE id = $1)"
                }
            };
            return sqlx::query(sql).bind(target.id()).execute(&self.pool).await.map(|_| ()).map_err(db_err(&doing));
        }
        let mut tx = self.begin_write(&doing).await?;
        let result = async {
            let Some(live) = Self::live_target(&mut tx, target, &doing).await? else {
                return Err(StoreError::NotFound { what: target.kind(), id: target.id() });
            };
            let (article_id, story_id) = target_columns(live);
            sqlx::query(
                "INSERT INTO locked_threads (article_id, story_id, locked_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(article_id)
            .bind(story_id)
            .bind(DbTime(at))
            .execute(&mut *tx)
            .await
            .map_err(db_err(&doing))?;
            Ok(())
        }
        .await;
        Self::finish(tx, result, &doing).await
    }

    async fn thread_locked(&self, target: CommentTarget) -> StoreResult<bool> {
        let doing = format!("checking the lock of {} {}", target.kind(), target.id());
        Ok(self.count(sqlx::query(lock_count_sql(target)).bind(target.id()), &doing).await? > 0)
    }

    // --- Moderation ---

    async fn report_comment(
        &self,
        comment: CommentId,
        reporter: UserId,
        reason: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let doing = format!("reporting comment {comment}");
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write(&doing).await?;
        let result = async {
            let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM comments WHERE id = $1")
                .bind(comment)
                .fetch_one(&mut *tx)
                .await
                .and_then(|r| r.try_get("n"))
                .map_err(db_err(&doing))?;
            if n == 0 {
                return Err(StoreError::NotFound { what: "comment", id: comment });
            }
            // A repeat by the same reader meets reports_once and is dropped.
            sqlx::query(
                "INSERT INTO reports (comment_id, reporter_id, reason, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(comment)
            .bind(reporter)
            .bind(clean(reason).as_ref())
            .bind(DbTime(at))
            .execute(&mut *tx)
            .await
            .map_err(missing_or_db_err("user", reporter, &doing))?;
            Ok(())
        }
        .await;
        Self::finish(tx, result, &doing).await
    }

    async fn open_reports(&self, limit: i64) -> StoreResult<Vec<Report>> {
        let doing = "listing open reports";
        let rows = sqlx::query(concat!(
            "SELECT ",
            comment_columns!(),
            ", r.id AS report_id, ru.username AS reporter, r.reason, r.created_at AS reported_at FROM ",
            comment_from!(),
            " JOIN reports r ON r.comment_id = c.id LEFT JOIN users ru ON ru.id = r.reporter_id \
             WHERE r.resolved_at IS NULL ORDER BY r.created_at, r.id LIMIT $2"
        ))
        .bind(None::<i64>)
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing))?;
        rows.iter()
            .map(|row| {
                Ok(Report {
                    id: row.try_get("report_id")?,
                    comment: comment_from_row::<DB>(row)?,
                    reporter: row.try_get("reporter")?,
                    reason: row.try_get("reason")?,
                    created_at: row.try_get::<DbTime, _>("reported_at")?.0,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db_err(doing))
    }

    async fn pending_comments(&self, limit: i64) -> StoreResult<Vec<Comment>> {
        let sql = concat!(
            "SELECT ",
            comment_columns!(),
            " FROM ",
            comment_from!(),
            " WHERE c.status = 'pending' ORDER BY c.created_at, c.id LIMIT $2"
        );
        self.fetch_comments(sqlx::query(sql).bind(None::<i64>).bind(limit.max(0)), "listing held comments").await
    }

    async fn resolve_reports(
        &self,
        comment: CommentId,
        by: UserId,
        resolution: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let query = sqlx::query(
            "UPDATE reports SET resolved_at = $3, resolved_by = $2, resolution = $4 \
             WHERE comment_id = $1 AND resolved_at IS NULL",
        )
        .bind(comment)
        .bind(by)
        .bind(DbTime(at))
        .bind(clean(resolution).into_owned());
        self.write(query, &format!("resolving the reports of comment {comment}")).await
    }

    async fn log_moderation(&self, entry: &ModerationEntry) -> StoreResult<()> {
        let doing = format!("logging {} of {} {}", entry.action, entry.target_kind, entry.target_id);
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO moderation_log (moderator_id, action, target_kind, target_id, reason, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(entry.moderator_id)
        .bind(clean(&entry.action).as_ref())
        .bind(entry.target_kind.as_str())
        .bind(entry.target_id)
        .bind(clean_opt(&entry.reason).as_deref())
        .bind(DbTime(entry.created_at))
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(missing_or_db_err("user", entry.moderator_id.unwrap_or_default(), &doing))
    }

    async fn moderation_log(&self, limit: i64) -> StoreResult<Vec<ModerationEntry>> {
        let doing = "reading the moderation log";
        let rows = sqlx::query(
            "SELECT m.id, m.moderator_id, u.username AS moderator, m.action, m.target_kind, m.target_id, m.reason, \
             m.created_at FROM moderation_log m LEFT JOIN users u ON u.id = m.moderator_id \
             ORDER BY m.created_at DESC, m.id DESC LIMIT $1",
        )
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(doing))?;
        rows.iter()
            .map(|row| {
                Ok(ModerationEntry {
                    id: row.try_get("id")?,
                    moderator_id: row.try_get("moderator_id")?,
                    moderator: row.try_get("moderator")?,
                    action: row.try_get("action")?,
                    target_kind: row.try_get("target_kind")?,
                    target_id: row.try_get("target_id")?,
                    reason: row.try_get("reason")?,
                    created_at: row.try_get::<DbTime, _>("created_at")?.0,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db_err(doing))
    }

    // --- Personal lists ---

    async fn follow(&self, user: UserId, follow: &Follow, at: DateTime<Utc>) -> StoreResult<()> {
        let doing = format!("following {} {:?}", follow.kind.as_str(), follow.key);
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO follows (user_id, kind, key, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(user)
        .bind(follow.kind.as_str())
        .bind(clean(&follow.key).as_ref())
        .bind(DbTime(at))
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(missing_or_db_err("user", user, &doing))
    }

    async fn unfollow(&self, user: UserId, follow: &Follow) -> StoreResult<()> {
        let query = sqlx::query("DELETE FROM follows WHERE user_id = $1 AND kind = $2 AND key = $3")
            .bind(user)
            .bind(follow.kind.as_str())
            .bind(clean(&follow.key).into_owned());
        self.write(query, &format!("unfollowing {} {:?}", follow.kind.as_str(), follow.key)).await
    }

    async fn follows(&self, user: UserId) -> StoreResult<Vec<Follow>> {
        let doing = format!("listing what user {user} follows");
        let rows = sqlx::query("SELECT kind, key FROM follows WHERE user_id = $1 ORDER BY created_at, kind, key")
            .bind(user)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err(&doing))?;
        let mut follows = Vec::with_capacity(rows.len());
        for row in &rows {
            let kind: String = row.try_get("kind").map_err(db_err(&doing))?;
            // The CHECK constraint admits only the three kinds.
            if let Some(kind) = FollowKind::parse(&kind) {
                follows.push(Follow { kind, key: row.try_get("key").map_err(db_err(&doing))? });
            }
        }
        Ok(follows)
    }

    async fn for_you(&self, user: UserId, limit: i64) -> StoreResult<Vec<ArticleListItem>> {
        let doing = format!("listing the articles for user {user}");
        // First what the follows stand for: the sources of followed outlets and of followed topics (by category,
        // regardless of case), the classified topics by their stored name, the entities by id. These tables are
        // small; the articles are not, so they are read below through one index range per followed thing.
        let rows = sqlx::query(
            "SELECT 'source' AS what, s.id AS num, CAST(NULL AS TEXT) AS name FROM sources s JOIN follows f \
               ON f.user_id = $1 AND ((f.kind = 'outlet' AND f.key = CAST(s.id AS TEXT)) \
                 OR (f.kind = 'topic' AND lower(f.key) = lower(s.category))) \
             UNION SELECT 'topic', 0, t.name FROM topics t JOIN follows f \
               ON f.user_id = $1 AND f.kind = 'topic' AND lower(f.key) = lower(t.name) \
             UNION SELECT 'entity', e.id, NULL FROM entities e JOIN follows f \
               ON f.user_id = $1 AND f.kind = 'entity' AND f.key = e.key",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(&doing))?;
        let (mut sources, mut topics, mut entities) = (Vec::new(), Vec::new(), Vec::new());
        for row in &rows {
            match row.try_get::<String, _>("what").map_err(db_err(&doing))?.as_str() {
                "source" => sources.push(row.try_get::<i64, _>("num").map_err(db_err(&doing))?),
                "topic" => topics.push(row.try_get::<String, _>("name").map_err(db_err(&doing))?),
                _ => entities.push(row.try_get::<i64, _>("num").map_err(db_err(&doing))?),
            }
        }

        // `$1` is the limit; every other value is bound, only numbered placeholders are spliced in.
        let mut binds: Vec<Bind> = Vec::new();
        let mut branches: Vec<String> = Vec::new();
        let mut branch = |binds: &mut Vec<Bind>, values: Vec<Bind>, select: &str, column: &str, order: &str| {
            let first = binds.len() + 2;
            let n = values.len();
            binds.extend(values);
            if n <= FOR_YOU_BRANCHES_PER_KIND {
                for p in first..first + n {
                    branches.push(format!(
                        "SELECT id FROM ({select} WHERE {column} = ${p} ORDER BY {order} LIMIT $1) AS b{p}"
                    ));
                }
            } else {
                let list: Vec<String> = (first..first + n).map(|p| format!("${p}")).collect();
                branches.push(format!(
                    "SELECT id FROM ({select} WHERE {column} IN ({}) ORDER BY {order} LIMIT $1) AS b{first}",
                    list.join(", ")
                ));
            }
        };
        branch(
            &mut binds,
            sources.into_iter().map(Bind::Id).collect(),
            "SELECT id, sort_at FROM articles",
            "source_id",
            "sort_at DESC, id DESC",
        );
        branch(
            &mut binds,
            topics.into_iter().map(Bind::Text).collect(),
            "SELECT article_id AS id, sort_at FROM article_topics",
            "topic",
            "sort_at DESC, article_id DESC",
        );
        branch(
            &mut binds,
            entities.into_iter().map(Bind::Id).collect(),
            "SELECT article_id AS id, sort_at FROM article_entities",
            "entity_id",
            "sort_at DESC, article_id DESC",
        );
        if branches.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            concat!(
                "SELECT ",
                list_columns!(),
                " FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.id IN ({}) \
                 ORDER BY a.sort_at DESC, a.id DESC LIMIT $1"
            ),
            branches.join(" UNION ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit.max(0));
        for value in binds {
            query = match value {
                Bind::Id(id) => query.bind(id),
                Bind::Text(text) => query.bind(text),
            };
        }
        let rows = query.fetch_all(&self.pool).await.map_err(db_err(&doing))?;
        rows.iter().map(list_item_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(&doing))
    }

    async fn save_article(&self, user: UserId, article: ArticleId, at: DateTime<Utc>) -> StoreResult<()> {
        let doing = format!("saving article {article} for user {user}");
        let turn = self.write_turn().await;
        // Saved only if the article is there when the row is written (not when an earlier check ran), so an
        // article deleted with its source meanwhile is reported as the missing article it is. SQLite parses an
        // upsert after a SELECT only when the SELECT has a WHERE clause, as this one does.
        let saved = sqlx::query(
            "INSERT INTO saved_articles (user_id, article_id, saved_at) SELECT $1, id, $3 FROM articles WHERE id = $2 \
             ON CONFLICT DO NOTHING RETURNING article_id",
        )
        .bind(user)
        .bind(article)
        .bind(DbTime(at))
        .fetch_optional(&self.pool)
        .await;
        // What is left only reads.
        drop(turn);
        let missing_article = StoreError::NotFound { what: "article", id: article };
        match saved {
            Ok(Some(_)) => Ok(()),
            // Nothing written: saved already, or no such article.
            Ok(None) => {
                let query = sqlx::query("SELECT COUNT(*) AS n FROM articles WHERE id = $1").bind(article);
                if self.count(query, &doing).await? > 0 { Ok(()) } else { Err(missing_article) }
            }
            // A foreign key names neither side on SQLite, and on PostgreSQL the article can still go between the
            // SELECT and the key's check: whichever is missing now is the one to report.
            Err(e) if e.as_database_error().is_some_and(|d| d.is_foreign_key_violation()) => {
                let query = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE id = $1").bind(user);
                if self.count(query, &doing).await? == 0 {
                    Err(StoreError::NotFound { what: "user", id: user })
                } else {
                    Err(missing_article)
                }
            }
            Err(e) => Err(db_err(&doing)(e)),
        }
    }

    async fn unsave_article(&self, user: UserId, article: ArticleId) -> StoreResult<()> {
        let query =
            sqlx::query("DELETE FROM saved_articles WHERE user_id = $1 AND article_id = $2").bind(user).bind(article);
        self.write(query, &format!("unsaving article {article} for user {user}")).await
    }

    async fn saved_articles(&self, user: UserId, limit: i64) -> StoreResult<Vec<ArticleListItem>> {
        let doing = format!("listing the saved articles of user {user}");
        let rows = sqlx::query(concat!(
            "SELECT ",
            list_columns!(),
            " FROM saved_articles sa JOIN articles a ON a.id = sa.article_id JOIN sources s ON s.id = a.source_id \
             WHERE sa.user_id = $1 ORDER BY sa.saved_at DESC, sa.article_id DESC LIMIT $2"
        ))
        .bind(user)
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(&doing))?;
        rows.iter().map(list_item_from_row::<DB>).collect::<Result<_, _>>().map_err(db_err(&doing))
    }

    async fn is_saved(&self, user: UserId, article: ArticleId) -> StoreResult<bool> {
        let query = sqlx::query("SELECT COUNT(*) AS n FROM saved_articles WHERE user_id = $1 AND article_id = $2")
            .bind(user)
            .bind(article);
        Ok(self.count(query, &format!("checking whether user {user} saved article {article}")).await? > 0)
    }
}
