//! Readers' accounts, comments, moderation and personal lists: the domain types and the [`AccountStore`]
//! interface the storage backends implement beside [`crate::Store`] (reach it with [`crate::Store::accounts`]).
//!
//! Secrets never reach the store in the clear: sessions, API tokens, invitations and password-reset links are
//! stored as the SHA-256 of their token (the caller hashes), and passwords as argon2id hashes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{ArticleId, ArticleListItem, StoryId};
use crate::store::StoreResult;

/// Row id of a user.
pub type UserId = i64;
/// Row id of a comment.
pub type CommentId = i64;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads, comments, votes, reports, follows.
    #[default]
    Reader,
    /// Also hides comments, locks threads, bans readers and works the moderation queue.
    Moderator,
    /// Also changes roles and issues invitations and password-reset links.
    Admin,
}

impl Role {
    /// The name stored in the database and used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored or typed name.
    pub fn parse(name: &str) -> Option<Role> {
        match name.trim().to_ascii_lowercase().as_str() {
            "reader" => Some(Role::Reader),
            "moderator" => Some(Role::Moderator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Whether the role may moderate (moderators and admins).
    pub fn moderates(self) -> bool {
        self >= Role::Moderator
    }
}

/// An account, without its secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Row id.
    pub id: UserId,
    /// The public name, unique regardless of case.
    pub username: String,
    /// For password-reset mail, if given.
    pub email: Option<String>,
    /// What the account may do.
    pub role: Role,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
    /// The last successful sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Set while the account may not post.
    pub banned_until: Option<DateTime<Utc>>,
    /// Whether sign-in asks for a one-time code.
    pub totp_enabled: bool,
}

impl User {
    /// Whether the account is banned at `now`.
    pub fn banned_at(&self, now: DateTime<Utc>) -> bool {
        self.banned_until.is_some_and(|until| until > now)
    }
}

/// An account to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The public name (already checked by the caller).
    pub username: String,
    /// An e-mail address, if given.
    pub email: Option<String>,
    /// The argon2id hash of the password (PHC string).
    pub password_hash: String,
    /// The account's role.
    pub role: Role,
    /// When it is made.
    pub created_at: DateTime<Utc>,
}

/// What signing in checks: the account and its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The account.
    pub user: User,
    /// The argon2id hash of the password.
    pub password_hash: String,
    /// The TOTP secret (base32), when the second factor is on.
    pub totp_secret: Option<String>,
}

/// What a one-time token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OneTimePurpose {
    /// Lets its holder sign up while sign-up is by invitation.
    Invite,
    /// Lets its holder set a new password for one account.
    PasswordReset,
}

impl OneTimePurpose {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            OneTimePurpose::Invite => "invite",
            OneTimePurpose::PasswordReset => "password_reset",
        }
    }
}

/// An API token as listed to its owner (the token itself is shown once, when made, and never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// Row id.
    pub id: i64,
    /// The owner's label for it.
    pub label: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What a comment is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum CommentTarget {
    /// An article.
    Article(ArticleId),
    /// A story.
    Story(StoryId),
}

impl CommentTarget {
    /// `article` or `story`, as in the moderation log and URLs.
    pub fn kind(self) -> &'static str {
        match self {
            CommentTarget::Article(_) => "article",
            CommentTarget::Story(_) => "story",
        }
    }

    /// The article's or story's id.
    pub fn id(self) -> i64 {
        match self {
            CommentTarget::Article(id) | CommentTarget::Story(id) => id,
        }
    }
}

/// Who sees a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CommentStatus {
    /// Everyone.
    #[default]
    Visible,
    /// Its author and moderators, until a moderator approves it (held by a spam signal or a word filter).
    Pending,
    /// Hidden by a moderator: its author and moderators see it, marked so.
    Hidden,
    /// Deleted by its author (or with the account): the body is gone, the place in the thread stays.
    Removed,
}

impl CommentStatus {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            CommentStatus::Visible => "visible",
            CommentStatus::Pending => "pending",
            CommentStatus::Hidden => "hidden",
            CommentStatus::Removed => "removed",
        }
    }

    /// Parses the stored name; unknown names count as hidden, the safe side.
    pub fn parse(name: &str) -> CommentStatus {
        match name {
            "visible" => CommentStatus::Visible,
            "pending" => CommentStatus::Pending,
            "removed" => CommentStatus::Removed,
            _ => CommentStatus::Hidden,
        }
    }
}

/// A stored comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    /// Row id.
    pub id: CommentId,
    /// What it is about.
    pub target: CommentTarget,
    /// The comment it replies to.
    pub parent_id: Option<CommentId>,
    /// Its author's id (none once the account is deleted).
    pub author_id: Option<UserId>,
    /// Its author's name (none once the account is deleted).
    pub author: Option<String>,
    /// The Markdown source as written (empty once removed).
    pub body: String,
    /// Who sees it.
    pub status: CommentStatus,
    /// Upvotes minus downvotes.
    pub score: i64,
    /// When it was posted.
    pub created_at: DateTime<Utc>,
    /// When it was last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// The asking reader's vote on it (-1, 0 or 1).
    pub my_vote: i8,
}

/// A comment to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComment {
    /// What it is about.
    pub target: CommentTarget,
    /// The comment it replies to, which must be on the same target.
    pub parent_id: Option<CommentId>,
    /// The author.
    pub author: UserId,
    /// The Markdown source.
    pub body: String,
    /// Visible, or pending when a spam signal or word filter held it.
    pub status: CommentStatus,
    /// When it is posted.
    pub created_at: DateTime<Utc>,
}

/// A reader's report of a comment, as the moderation queue shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Row id.
    pub id: i64,
    /// The comment reported.
    pub comment: Comment,
    /// Who reported it (none once that account is deleted).
    pub reporter: Option<String>,
    /// Why, in the reporter's words.
    pub reason: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// What a moderator did, for the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModerationEntry {
    /// Row id (0 for an entry not yet stored).
    pub id: i64,
    /// Who did it (none for the system, or once the account is deleted).
    pub moderator_id: Option<UserId>,
    /// The moderator's name, when listed.
    pub moderator: Option<String>,
    /// `hide`, `approve`, `lock`, `unlock`, `ban`, `unban`, `role`, `dismiss`…
    pub action: String,
    /// `comment`, `user`, `article` or `story`.
    pub target_kind: String,
    /// The row acted on.
    pub target_id: i64,
    /// Why, if given.
    pub reason: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// What a reader can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FollowKind {
    /// A topic, by name.
    Topic,
    /// An outlet (a source), by id.
    Outlet,
    /// A named entity, by its key (`kind/slug`, as in entity pages' paths).
    Entity,
}

impl FollowKind {
    /// The name stored in the database and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowKind::Topic => "topic",
            FollowKind::Outlet => "outlet",
            FollowKind::Entity => "entity",
        }
    }

    /// Parses the stored or URL name.
    pub fn parse(name: &str) -> Option<FollowKind> {
        match name {
            "topic" => Some(FollowKind::Topic),
            "outlet" => Some(FollowKind::Outlet),
            "entity" => Some(FollowKind::Entity),
            _ => None,
        }
    }
}

/// One thing a reader follows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Follow {
    /// What kind of thing.
    pub kind: FollowKind,
    /// Its key: a topic's name, an outlet's id as text, an entity's key.
    pub key: String,
}

/// The storage of accounts, comments, moderation and personal lists. Every method that changes several rows does
/// so in one transaction.
#[async_trait]
pub trait AccountStore: Send + Sync {
    // --- Accounts ---

    /// Creates an account. [`crate::StoreError::Duplicate`] when the name (or e-mail) is taken, regardless of
    /// case.
    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    /// One account by id.
    async fn user(&self, id: UserId) -> StoreResult<Option<User>>;
    /// One account by name, regardless of case.
    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>>;
    /// An account with its secrets, by name regardless of case, for signing in.
    async fn credentials(&self, username: &str) -> StoreResult<Option<Credentials>>;
    /// Accounts, newest first.
    async fn users(&self, limit: i64) -> StoreResult<Vec<User>>;
    /// How many accounts there are.
    async fn count_users(&self) -> StoreResult<i64>;
    /// Records a successful sign-in.
    async fn record_login(&self, user: UserId, at: DateTime<Utc>) -> StoreResult<()>;
    /// Replaces the password hash and ends every session of the account.
    async fn set_password(&self, user: UserId, password_hash: &str) -> StoreResult<()>;
    /// Turns the second factor on (its secret as the web layer keeps it: sealed, or base32) or off (`None`).
    async fn set_totp(&self, user: UserId, secret: Option<&str>) -> StoreResult<()>;
    /// Every account's second-factor secret as stored (accounts without one left out), for the start-up check
    /// that the configured key opens them.
    async fn totp_secrets(&self) -> StoreResult<Vec<(UserId, String)>>;
    /// Replaces the second-factor secret `current` of `user` with `replacement` (the same secret sealed), only if
    /// `current` is still the one stored: false, changing nothing, when it was turned off or replaced meanwhile.
    async fn reseal_totp(&self, user: UserId, current: &str, replacement: &str) -> StoreResult<bool>;
    /// Records that the code of time step `step` signed `user` in; false, recording nothing, when a code of that
    /// step or a later one did already (a code is good once), or there is no such account.
    async fn use_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool>;
    /// Changes an account's role.
    async fn set_role(&self, user: UserId, role: Role) -> StoreResult<()>;
    /// Bans an account until `until`, or lifts the ban (`None`).
    async fn set_ban(&self, user: UserId, until: Option<DateTime<Utc>>) -> StoreResult<()>;
    /// Deletes an account and everything personal to it (sessions, tokens, votes, follows, saved articles); its
    /// comments stay in their threads, removed and without author. False when there was no such account.
    async fn delete_user(&self, user: UserId) -> StoreResult<bool>;

    /// Failed sign-ins in a row counted under each of `keys` (an account name, an address) that has any: the key,
    /// the count and the last failure. Shared by every process on the database.
    async fn sign_in_failures(&self, keys: &[String]) -> StoreResult<Vec<(String, u32, DateTime<Utc>)>>;
    /// Forgets the failed sign-ins counted under `keys` (one succeeded).
    async fn clear_sign_in_failures(&self, keys: &[String]) -> StoreResult<()>;
    /// Takes back the one failure [`AccountStore::begin_sign_in_attempt`] counted in advance under `keys`, for an
    /// attempt that neither failed nor succeeded (the right password, sent without the second-factor code).
    async fn refund_sign_in_attempt(&self, keys: &[String]) -> StoreResult<()>;
    /// Starts a sign-in attempt under `keys`, in one transaction: reads their failures, asks `wait` (given a key's
    /// failures in a row and its last failure) how long each must still wait, and either returns the longest wait,
    /// counting nothing, or counts the attempt as a failure in advance (a success then clears it) and returns
    /// `None`. Attempts on the same keys are taken one at a time, on every process, so a burst of guesses sent at
    /// once cannot all pass the same check. Forgets keys whose last failure is before `forget_before`.
    async fn begin_sign_in_attempt(
        &self,
        keys: &[String],
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
        wait: &(dyn Fn(u32, DateTime<Utc>) -> Option<std::time::Duration> + Send + Sync),
    ) -> StoreResult<Option<std::time::Duration>>;

    // --- Sessions and tokens (all by the SHA-256 of the token, hex) ---

    /// Starts a session.
    async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The account of an unexpired session, and when the session was last seen.
    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<(User, DateTime<Utc>)>>;
    /// Records that a session was used (callers do so at most every few minutes) and extends it to `expires_at`.
    async fn touch_session(&self, token_hash: &str, at: DateTime<Utc>, expires_at: DateTime<Utc>) -> StoreResult<()>;
    /// Ends a session.
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Makes an API token for an account.
    async fn create_api_token(
        &self,
        user: UserId,
        token_hash: &str,
        label: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<ApiToken>;
    /// The account an API token belongs to (and records its use at `at`).
    async fn api_token_user(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<Option<User>>;
    /// An account's API tokens, newest first.
    async fn api_tokens(&self, user: UserId) -> StoreResult<Vec<ApiToken>>;
    /// Revokes one of an account's API tokens; false when it has no such token.
    async fn delete_api_token(&self, user: UserId, id: i64) -> StoreResult<bool>;
    /// Stores a one-time token (an invitation, or a reset link for `user`), valid until `expires_at`.
    async fn create_one_time_token(
        &self,
        purpose: OneTimePurpose,
        token_hash: &str,
        user: Option<UserId>,
        created_by: Option<UserId>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Whether an unused, unexpired token of `purpose` exists (without using it), and its account.
    async fn peek_one_time_token(
        &self,
        purpose: OneTimePurpose,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Option<UserId>>>;
    /// Uses a one-time token: `Some(its account)` once, when it is of `purpose`, unused and unexpired; `None`
    /// otherwise and ever after.
    async fn take_one_time_token(
        &self,
        purpose: OneTimePurpose,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Option<UserId>>>;

    // --- Comments ---

    /// Posts a comment. [`crate::StoreError::Refused`] when the thread is locked or the parent is not a comment
    /// on the same target; [`crate::StoreError::NotFound`] when the article or story does not exist. A story
    /// merged into another is the story it became (its comments and lock moved there): the comment is stored
    /// there, and the returned comment's target says so.
    async fn add_comment(&self, comment: NewComment) -> StoreResult<Comment>;
    /// One comment (with `viewer`'s vote on it).
    async fn comment(&self, id: CommentId, viewer: Option<UserId>) -> StoreResult<Option<Comment>>;
    /// Every comment on a target in every status, oldest first, with `viewer`'s votes; the caller decides what
    /// each reader sees and how to order the thread. A merged story's are those of the story it became.
    async fn comments_on(&self, target: CommentTarget, viewer: Option<UserId>) -> StoreResult<Vec<Comment>>;
    /// An account's comments, newest first, in every status.
    async fn user_comments(&self, user: UserId, limit: i64) -> StoreResult<Vec<Comment>>;
    /// The bodies of an account's comments since `since`, newest first, at most `limit` (rate limits and
    /// repeated-text checks).
    async fn recent_comment_bodies(&self, user: UserId, since: DateTime<Utc>, limit: i64) -> StoreResult<Vec<String>>;
    /// Replaces a comment's body and records the edit time.
    async fn edit_comment(&self, id: CommentId, body: &str, at: DateTime<Utc>) -> StoreResult<()>;
    /// Removes a comment: its body is cleared and its status set to removed.
    async fn remove_comment(&self, id: CommentId) -> StoreResult<()>;
    /// Sets a comment's status (hide, approve).
    async fn set_comment_status(&self, id: CommentId, status: CommentStatus) -> StoreResult<()>;
    /// Records `user`'s vote (1, -1, or 0 to take it back) and returns the comment's new score.
    async fn vote(&self, user: UserId, comment: CommentId, value: i8, at: DateTime<Utc>) -> StoreResult<i64>;
    /// Visible comments per target, for cards and lists; targets without comments are left out.
    async fn comment_counts(&self, targets: &[CommentTarget]) -> StoreResult<Vec<(CommentTarget, i64)>>;
    /// Locks (no new comments, edits or votes) or unlocks a thread (a merged story's: the story it became).
    async fn set_thread_locked(&self, target: CommentTarget, locked: bool, at: DateTime<Utc>) -> StoreResult<()>;
    /// Whether a thread is locked (a merged story's: the story it became).
    async fn thread_locked(&self, target: CommentTarget) -> StoreResult<bool>;

    // --- Moderation ---

    /// Files a report. A second report of the same comment by the same account is ignored.
    async fn report_comment(
        &self,
        comment: CommentId,
        reporter: UserId,
        reason: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Unresolved reports, oldest first.
    async fn open_reports(&self, limit: i64) -> StoreResult<Vec<Report>>;
    /// Comments held for review, oldest first.
    async fn pending_comments(&self, limit: i64) -> StoreResult<Vec<Comment>>;
    /// Resolves every open report of a comment.
    async fn resolve_reports(
        &self,
        comment: CommentId,
        by: UserId,
        resolution: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Appends to the moderation log (`entry.id` and `entry.moderator` are ignored).
    async fn log_moderation(&self, entry: &ModerationEntry) -> StoreResult<()>;
    /// The moderation log, newest first.
    async fn moderation_log(&self, limit: i64) -> StoreResult<Vec<ModerationEntry>>;

    // --- Personal lists ---

    /// Follows something (following twice is one follow).
    async fn follow(&self, user: UserId, follow: &Follow, at: DateTime<Utc>) -> StoreResult<()>;
    /// Stops following something.
    async fn unfollow(&self, user: UserId, follow: &Follow) -> StoreResult<()>;
    /// What an account follows, in the order followed.
    async fn follows(&self, user: UserId) -> StoreResult<Vec<Follow>>;
    /// The newest articles from what an account follows: its outlets, its topics (source categories and
    /// classified topics) and its entities, newest first, each article once.
    async fn for_you(&self, user: UserId, limit: i64) -> StoreResult<Vec<ArticleListItem>>;
    /// Saves an article for later (saving twice is one save).
    async fn save_article(&self, user: UserId, article: ArticleId, at: DateTime<Utc>) -> StoreResult<()>;
    /// Takes an article off the saved list.
    async fn unsave_article(&self, user: UserId, article: ArticleId) -> StoreResult<()>;
    /// The saved articles, most recently saved first.
    async fn saved_articles(&self, user: UserId, limit: i64) -> StoreResult<Vec<ArticleListItem>>;
    /// Whether an account saved an article.
    async fn is_saved(&self, user: UserId, article: ArticleId) -> StoreResult<bool>;
}
