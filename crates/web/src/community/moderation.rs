//! The moderators' pages: the queue (reports and held comments), the log of actions, the accounts list; and
//! their actions: hide, approve, dismiss reports, lock threads, ban, and (admins) roles, invitations and
//! password-reset links. Every action is logged with who did it.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{TimeDelta, Utc};
use serde::Deserialize;
use tidings_community::{markdown, tokens};
use tidings_core::accounts::{CommentStatus, CommentTarget, ModerationEntry, OneTimePurpose, Role, User, UserId};

use super::comments::target_href;
use super::session::Viewer;
use super::{Guard, refused, see_other};
use crate::strings::Strings;
use crate::{AppState, PageError, timefmt};

/// Appends to the moderation log; a failure is logged, never fatal to the action already done.
pub(crate) async fn log(state: &AppState, by: &User, action: &str, kind: &str, id: i64, reason: Option<String>) {
    let entry = ModerationEntry {
        id: 0,
        moderator_id: Some(by.id),
        moderator: None,
        action: action.to_owned(),
        target_kind: kind.to_owned(),
        target_id: id,
        reason,
        created_at: Utc::now(),
    };
    if let Err(e) = state.store.accounts().log_moderation(&entry).await {
        tracing::error!(error = %e, action, kind, id, "writing the moderation log failed");
    }
    tracing::info!(moderator = %by.username, action, kind, id, "moderation");
}

/// A signed-in moderator for a page, or where to send the reader instead.
fn moderator_of(state: &AppState, viewer: &Viewer, here: &str) -> Result<User, Response> {
    let t = state.strings;
    match &viewer.user {
        None => Err(see_other(&format!("/login?next={here}"))),
        Some(user) if user.role.moderates() => Ok(user.clone()),
        Some(_) => Err(refused(t, StatusCode::FORBIDDEN, t.moderators_only.to_owned())),
    }
}

struct QueueItem {
    comment_id: i64,
    author: String,
    body_html: String,
    href: String,
    status: &'static str,
    reasons: Vec<String>,
    when: String,
}

#[derive(Template)]
#[template(path = "moderation.html")]
struct QueuePage {
    t: &'static Strings,
    csrf: String,
    reported: Vec<QueueItem>,
    held: Vec<QueueItem>,
    admin: bool,
    invite: Option<String>,
}

/// `GET /moderation`.
pub(crate) async fn queue(State(state): State<AppState>, viewer: Viewer) -> Response {
    let user = or_return!(moderator_of(&state, &viewer, "/moderation"));
    queue_page(&state, &viewer, &user, None).await
}

async fn queue_page(state: &AppState, viewer: &Viewer, user: &User, invite: Option<String>) -> Response {
    let t = state.strings;
    let accounts = state.store.accounts();
    let (reports, pending) = match tokio::try_join!(accounts.open_reports(200), accounts.pending_comments(200)) {
        Ok(both) => both,
        Err(e) => return PageError::internal(state, &e).into_response(),
    };
    let now = Utc::now();
    let mut reported: Vec<QueueItem> = Vec::new();
    for report in reports {
        let reason = match &report.reporter {
            Some(who) => format!("{who}: {}", report.reason),
            None => report.reason.clone(),
        };
        if let Some(item) = reported.iter_mut().find(|i| i.comment_id == report.comment.id) {
            item.reasons.push(reason);
            continue;
        }
        let c = report.comment;
        reported.push(QueueItem {
            comment_id: c.id,
            author: c.author.unwrap_or_else(|| t.deleted_author.to_owned()),
            body_html: markdown::render(&c.body),
            href: format!("{}#comment-{}", target_href(c.target), c.id),
            status: c.status.as_str(),
            reasons: vec![reason],
            when: timefmt::relative(t, c.created_at, now),
        });
    }
    let held = pending
        .into_iter()
        .map(|c| QueueItem {
            comment_id: c.id,
            author: c.author.unwrap_or_else(|| t.deleted_author.to_owned()),
            body_html: markdown::render(&c.body),
            href: format!("{}#comment-{}", target_href(c.target), c.id),
            status: c.status.as_str(),
            reasons: Vec::new(),
            when: timefmt::relative(t, c.created_at, now),
        })
        .collect();
    let page = QueuePage { t, csrf: viewer.csrf(), reported, held, admin: user.role == Role::Admin, invite };
    crate::pages::page(&page, state).unwrap_or_else(IntoResponse::into_response)
}

struct LogRow {
    who: String,
    action: String,
    target: String,
    href: Option<String>,
    reason: String,
    when: String,
}

#[derive(Template)]
#[template(path = "moderation_log.html")]
struct LogPage {
    t: &'static Strings,
    rows: Vec<LogRow>,
}

/// `GET /moderation/log`.
pub(crate) async fn log_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    if let Err(response) = moderator_of(&state, &viewer, "/moderation/log") {
        return response;
    }
    let t = state.strings;
    let entries = match state.store.accounts().moderation_log(500).await {
        Ok(entries) => entries,
        Err(e) => return PageError::internal(&state, &e).into_response(),
    };
    let rows = entries
        .into_iter()
        .map(|e| LogRow {
            who: e.moderator.unwrap_or_else(|| t.deleted_author.to_owned()),
            href: match e.target_kind.as_str() {
                "article" => Some(format!("/articles/{}", e.target_id)),
                "story" => Some(format!("/stories/{}", e.target_id)),
                _ => None,
            },
            target: format!("{} {}", e.target_kind, e.target_id),
            action: e.action,
            reason: e.reason.unwrap_or_default(),
            when: timefmt::absolute(t, e.created_at),
        })
        .collect();
    crate::pages::page(&LogPage { t, rows }, &state).unwrap_or_else(IntoResponse::into_response)
}

struct UserRow {
    id: UserId,
    username: String,
    role: &'static str,
    joined: String,
    banned_until: Option<String>,
}

#[derive(Template)]
#[template(path = "moderation_users.html")]
struct UsersPage {
    t: &'static Strings,
    csrf: String,
    users: Vec<UserRow>,
    admin: bool,
    me: UserId,
    reset_link: Option<(String, String)>,
}

/// `GET /moderation/users`.
pub(crate) async fn users(State(state): State<AppState>, viewer: Viewer) -> Response {
    let user = or_return!(moderator_of(&state, &viewer, "/moderation/users"));
    users_page(&state, &viewer, &user, None).await
}

async fn users_page(state: &AppState, viewer: &Viewer, me: &User, reset_link: Option<(String, String)>) -> Response {
    let t = state.strings;
    let list = match state.store.accounts().users(500).await {
        Ok(list) => list,
        Err(e) => return PageError::internal(state, &e).into_response(),
    };
    let now = Utc::now();
    let users = list
        .into_iter()
        .map(|u| UserRow {
            id: u.id,
            banned_until: u.banned_until.filter(|until| *until > now).map(|until| timefmt::absolute(t, until)),
            username: u.username,
            role: u.role.as_str(),
            joined: timefmt::absolute(t, u.created_at),
        })
        .collect();
    let page = UsersPage { t, csrf: viewer.csrf(), users, admin: me.role == Role::Admin, me: me.id, reset_link };
    crate::pages::page(&page, state).unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ModForm {
    csrf: String,
    reason: String,
    days: String,
    role: String,
    /// Where to go afterwards (the queue's forms say `/moderation`); else the comment in its thread.
    back: String,
}

fn reason_of(form: &ModForm) -> Option<String> {
    let reason: String = form.reason.trim().chars().filter(|c| !c.is_control()).take(500).collect();
    (!reason.is_empty()).then_some(reason)
}

async fn comment_action(
    state: AppState,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    id: i64,
    form: ModForm,
    action: &'static str,
) -> Response {
    let user = or_return!(Guard::moderator(&state, &viewer, &headers, &uri, &form.csrf));
    let t = state.strings;
    let accounts = state.store.accounts();
    let comment = match accounts.comment(id, None).await {
        Ok(Some(comment)) => comment,
        Ok(None) => return refused(t, StatusCode::NOT_FOUND, t.no_comment.to_owned()),
        Err(e) => return PageError::internal(&state, &e).into_response(),
    };
    let now = Utc::now();
    let result = match action {
        // A comment its author deleted stays deleted: "approve" would bring it back, empty, under their name.
        _ if comment.status == CommentStatus::Removed => Ok(()),
        "hide" => accounts.set_comment_status(id, CommentStatus::Hidden).await,
        "approve" => accounts.set_comment_status(id, CommentStatus::Visible).await,
        _ => Ok(()),
    };
    let result = match result {
        Ok(()) => accounts.resolve_reports(id, user.id, action, now).await,
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        return PageError::internal(&state, &e).into_response();
    }
    log(&state, &user, action, "comment", id, reason_of(&form)).await;
    let back = if form.back.is_empty() {
        format!("{}#comment-{id}", target_href(comment.target))
    } else {
        super::local_next(Some(&form.back))
    };
    see_other(&back)
}

/// `POST /moderation/comments/{id}/hide`: others stop seeing it; its reports are resolved.
pub(crate) async fn hide(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<i64>,
    Form(form): Form<ModForm>,
) -> Response {
    comment_action(state, viewer, headers, uri, id, form, "hide").await
}

/// `POST /moderation/comments/{id}/approve`: visible to all (a held or hidden comment); reports resolved.
pub(crate) async fn approve(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<i64>,
    Form(form): Form<ModForm>,
) -> Response {
    comment_action(state, viewer, headers, uri, id, form, "approve").await
}

/// `POST /moderation/comments/{id}/dismiss`: the reports were unfounded; the comment stays as it is.
pub(crate) async fn dismiss(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<i64>,
    Form(form): Form<ModForm>,
) -> Response {
    comment_action(state, viewer, headers, uri, id, form, "dismiss").await
}

fn thread_target(kind: &str, id: i64) -> Option<CommentTarget> {
    match kind {
        "articles" | "article" => Some(CommentTarget::Article(id)),
        "stories" | "story" => Some(CommentTarget::Story(id)),
        _ => None,
    }
}

async fn lock_action(
    state: AppState,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    (kind, id): (String, i64),
    form: ModForm,
    locked: bool,
) -> Response {
    let user = or_return!(Guard::moderator(&state, &viewer, &headers, &uri, &form.csrf));
    let t = state.strings;
    let Some(target) = thread_target(&kind, id) else {
        return refused(t, StatusCode::NOT_FOUND, t.with(t.no_thread, kind));
    };
    if let Err(e) = state.store.accounts().set_thread_locked(target, locked, Utc::now()).await {
        return PageError::internal(&state, &e).into_response();
    }
    log(&state, &user, if locked { "lock" } else { "unlock" }, target.kind(), id, reason_of(&form)).await;
    see_other(&format!("{}#comments", target_href(target)))
}

/// `POST /moderation/threads/{kind}/{id}/lock`.
pub(crate) async fn lock(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(path): Path<(String, i64)>,
    Form(form): Form<ModForm>,
) -> Response {
    lock_action(state, viewer, headers, uri, path, form, true).await
}

/// `POST /moderation/threads/{kind}/{id}/unlock`.
pub(crate) async fn unlock(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(path): Path<(String, i64)>,
    Form(form): Form<ModForm>,
) -> Response {
    lock_action(state, viewer, headers, uri, path, form, false).await
}

/// The account acted on, when the actor may act on it: never oneself, and a moderator only on readers.
async fn subject(state: &AppState, actor: &User, id: UserId) -> Result<User, Response> {
    let t = state.strings;
    let target = match state.store.accounts().user(id).await {
        Ok(Some(user)) => user,
        Ok(None) => return Err(refused(t, StatusCode::NOT_FOUND, t.with(t.no_user, id))),
        Err(e) => return Err(PageError::internal(state, &e).into_response()),
    };
    if target.id == actor.id || (actor.role != Role::Admin && target.role.moderates()) {
        return Err(refused(t, StatusCode::FORBIDDEN, t.not_on_this_account.to_owned()));
    }
    Ok(target)
}

/// `POST /moderation/users/{id}/ban`: `days` long, or for good when 0 or empty.
pub(crate) async fn ban(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<UserId>,
    Form(form): Form<ModForm>,
) -> Response {
    let actor = or_return!(Guard::moderator(&state, &viewer, &headers, &uri, &form.csrf));
    let target = or_return!(subject(&state, &actor, id).await);
    let days: i64 = form.days.trim().parse().unwrap_or(0).clamp(0, 36_500);
    let until = Utc::now() + if days == 0 { TimeDelta::days(36_500) } else { TimeDelta::days(days) };
    if let Err(e) = state.store.accounts().set_ban(target.id, Some(until)).await {
        return PageError::internal(&state, &e).into_response();
    }
    log(&state, &actor, "ban", "user", target.id, reason_of(&form)).await;
    see_other("/moderation/users")
}

/// `POST /moderation/users/{id}/unban`.
pub(crate) async fn unban(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<UserId>,
    Form(form): Form<ModForm>,
) -> Response {
    let actor = or_return!(Guard::moderator(&state, &viewer, &headers, &uri, &form.csrf));
    let target = or_return!(subject(&state, &actor, id).await);
    if let Err(e) = state.store.accounts().set_ban(target.id, None).await {
        return PageError::internal(&state, &e).into_response();
    }
    log(&state, &actor, "unban", "user", target.id, reason_of(&form)).await;
    see_other("/moderation/users")
}

fn admin_only(state: &AppState, user: &User) -> Result<(), Response> {
    if user.role == Role::Admin {
        return Ok(());
    }
    let t = state.strings;
    Err(refused(t, StatusCode::FORBIDDEN, t.admins_only.to_owned()))
}

/// `POST /moderation/users/{id}/role` (admins).
pub(crate) async fn set_role(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<UserId>,
    Form(form): Form<ModForm>,
) -> Response {
    let actor = or_return!(Guard::moderator(&state, &viewer, &headers, &uri, &form.csrf));
    if let Err(response) = admin_only(&state, &actor) {
        return response;
    }
    let t = state.strings;
    let Some(role) = Role::parse(&form.role) else {
        return refused(t, StatusCode::UNPROCESSABLE_ENTITY, t.with(t.bad_role, t.quote(&form.role)));
    };
    let target = or_return!(subject(&state, &actor, id).await);
    if let Err(e) = state.store.accounts().set_role(target.id, role).await {
        return PageError::internal(&state, &e).into_response();
    }
    log(&state, &actor, &format!("role {}", role.as_str()), "user", target.id, reason_of(&form)).await;
    see_other("/moderation/users")
}

/// The address of a one-time link: after `[accounts] public_url` when set, else a path.
pub(crate) fn link(state: &AppState, path: &str) -> String {
    format!("{}{path}", state.community.config.public_url.trim_end_matches('/'))
}

/// `POST /moderation/users/{id}/reset-link` (admins): a password-reset link valid for a day, shown once.
pub(crate) async fn reset_link(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<UserId>,
    Form(form): Form<ModForm>,
) -> Response {
    let actor = or_return!(Guard::moderator(&state, &viewer, &headers, &uri, &form.csrf));
    if let Err(response) = admin_only(&state, &actor) {
        return response;
    }
    let target = or_return!(subject(&state, &actor, id).await);
    let Some(token) = tokens::new_token() else {
        return PageError::internal(&state, &"the system gave no random numbers for a link").into_response();
    };
    let expires = Utc::now() + TimeDelta::days(1);
    let accounts = state.store.accounts();
    let stored = accounts
        .create_one_time_token(
            OneTimePurpose::PasswordReset,
            &tokens::hash(&token),
            Some(target.id),
            Some(actor.id),
            expires,
        )
        .await;
    if let Err(e) = stored {
        return PageError::internal(&state, &e).into_response();
    }
    log(&state, &actor, "reset-link", "user", target.id, None).await;
    users_page(&state, &viewer, &actor, Some((target.username, link(&state, &format!("/reset/{token}"))))).await
}

/// `POST /moderation/invites` (admins): an invitation link valid for a week, shown once.
pub(crate) async fn invite(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<ModForm>,
) -> Response {
    let actor = or_return!(Guard::moderator(&state, &viewer, &headers, &uri, &form.csrf));
    if let Err(response) = admin_only(&state, &actor) {
        return response;
    }
    let Some(token) = tokens::new_token() else {
        return PageError::internal(&state, &"the system gave no random numbers for a link").into_response();
    };
    let expires = Utc::now() + TimeDelta::days(7);
    let stored = state
        .store
        .accounts()
        .create_one_time_token(OneTimePurpose::Invite, &tokens::hash(&token), None, Some(actor.id), expires)
        .await;
    if let Err(e) = stored {
        return PageError::internal(&state, &e).into_response();
    }
    queue_page(&state, &viewer, &actor, Some(link(&state, &format!("/signup?invite={token}")))).await
}
