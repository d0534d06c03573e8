//! Comment threads on article and story pages, and what readers do to comments: post, reply, edit within the
//! window, delete, vote, report. The rules live in [`post`], [`edit`], [`remove`], [`vote`] and [`report`],
//! shared by the pages and the API; the handlers only translate.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{TimeDelta, Utc};
use serde::Deserialize;
use tidings_community::markdown;
use tidings_community::moderation::{self, Context, Verdict};
use tidings_core::StoreError;
use tidings_core::accounts::{Comment, CommentId, CommentStatus, CommentTarget, NewComment, User};

use super::session::{self, Viewer};
use super::{Guard, refused, see_other};
use crate::strings::Strings;
use crate::{AppState, PageError, timefmt};

/// How many of an account's comments of the last hour a new one is compared with for repeats.
const RECENT_FOR_REPEATS: i64 = 20;

/// Replies deeper than this are shown at this depth (still linked to their parent).
const MAX_DEPTH: usize = 5;

/// Why a comment action was refused. The messages are the reader's; the API adds a code.
#[derive(Debug)]
pub(crate) enum CommentError {
    /// Too many comments too fast (per account, or per address).
    RateLimited,
    /// The text cannot be posted (empty, too long, a repeat): why.
    Rejected(String),
    /// The thread is locked, the parent is on another page, the edit window closed: why.
    Refused(String),
    /// Not the author, or not a moderator.
    Forbidden,
    /// No such comment, article or story.
    NotFound,
    /// The store failed.
    Internal(StoreError),
}

impl From<StoreError> for CommentError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => CommentError::NotFound,
            StoreError::Refused(why) => CommentError::Refused(why),
            other => CommentError::Internal(other),
        }
    }
}

impl CommentError {
    /// The page that says so.
    pub(crate) fn page(self, state: &AppState) -> Response {
        let t = state.strings;
        match self {
            CommentError::RateLimited => refused(t, StatusCode::TOO_MANY_REQUESTS, t.comment_rate_limited.to_owned()),
            CommentError::Rejected(why) => refused(t, StatusCode::UNPROCESSABLE_ENTITY, why),
            CommentError::Refused(why) => refused(t, StatusCode::CONFLICT, why),
            CommentError::Forbidden => refused(t, StatusCode::FORBIDDEN, t.not_yours.to_owned()),
            CommentError::NotFound => refused(t, StatusCode::NOT_FOUND, t.no_comment.to_owned()),
            CommentError::Internal(e) => PageError::internal(state, &e).into_response(),
        }
    }
}

/// Posts a comment for `user`, after the rate limits, the body checks and the spam signals: published, held for
/// a moderator, or refused.
pub(crate) async fn post(
    state: &AppState,
    user: &User,
    ip: Option<std::net::IpAddr>,
    target: CommentTarget,
    parent: Option<CommentId>,
    body: &str,
) -> Result<Comment, CommentError> {
    let community = &state.community;
    if user.banned_at(Utc::now()) {
        return Err(CommentError::Forbidden);
    }
    if !community.throttle.allow_request(ip) {
        return Err(CommentError::RateLimited);
    }
    let body = moderation::check_body(body, &community.rules).map_err(CommentError::Rejected)?;
    let accounts = state.store.accounts();
    let now = Utc::now();
    let last_hour = accounts.recent_comment_bodies(user.id, now - TimeDelta::hours(1), RECENT_FOR_REPEATS).await?;
    let limit = community.config.comments_per_minute;
    if limit > 0 {
        let last_minute =
            accounts.recent_comment_bodies(user.id, now - TimeDelta::minutes(1), i64::from(limit)).await?;
        if last_minute.len() >= limit as usize {
            return Err(CommentError::RateLimited);
        }
    }
    let context = Context { account_age_hours: (now - user.created_at).num_hours(), recent_bodies: &last_hour };
    let status = match moderation::assess(&body, &community.rules, &context) {
        Verdict::Publish => CommentStatus::Visible,
        Verdict::Hold(why) => {
            tracing::info!(user = %user.username, %why, "comment held for a moderator");
            CommentStatus::Pending
        }
        // A repeat of a recent comment: the text is fine, the state is not.
        Verdict::Reject(why) => return Err(CommentError::Refused(why)),
    };
    let comment = accounts
        .add_comment(NewComment { target, parent_id: parent, author: user.id, body, status, created_at: now })
        .await?;
    metrics::counter!("tidings_comments_posted_total", "status" => status.as_str()).increment(1);
    Ok(comment)
}

/// The comment `id`, when `user` may change it (its author, or a moderator when `moderator_may`).
async fn own_comment(
    state: &AppState,
    user: &User,
    id: CommentId,
    moderator_may: bool,
) -> Result<Comment, CommentError> {
    let comment = state.store.accounts().comment(id, Some(user.id)).await?.ok_or(CommentError::NotFound)?;
    let mine = comment.author_id == Some(user.id);
    if !(mine || moderator_may && user.role.moderates()) {
        return Err(CommentError::Forbidden);
    }
    if comment.status == CommentStatus::Removed {
        return Err(CommentError::NotFound);
    }
    Ok(comment)
}

/// Edits `user`'s own comment, within the edit window and while the thread is open.
pub(crate) async fn edit(state: &AppState, user: &User, id: CommentId, body: &str) -> Result<Comment, CommentError> {
    let t = state.strings;
    if user.banned_at(Utc::now()) {
        return Err(CommentError::Forbidden);
    }
    let comment = own_comment(state, user, id, false).await?;
    let window = TimeDelta::minutes(i64::from(state.community.config.edit_window_mins));
    if Utc::now() - comment.created_at > window {
        return Err(CommentError::Refused(t.with(t.edit_window_closed, state.community.config.edit_window_mins)));
    }
    let accounts = state.store.accounts();
    if accounts.thread_locked(comment.target).await? {
        return Err(CommentError::Refused(t.thread_locked.to_owned()));
    }
    let body = moderation::check_body(body, &state.community.rules).map_err(CommentError::Rejected)?;
    // The new text meets the same hold rules as a new comment (links, a new account's link, held words), or an
    // edit would publish what posting it would have held. The repeat check is left out: the comment's own
    // earlier text is among the author's recent ones.
    let now = Utc::now();
    let context = Context { account_age_hours: (now - user.created_at).num_hours(), recent_bodies: &[] };
    match moderation::assess(&body, &state.community.rules, &context) {
        Verdict::Publish => {}
        Verdict::Hold(why) => {
            if comment.status == CommentStatus::Visible {
                tracing::info!(user = %user.username, comment = id, %why, "edited comment held for a moderator");
                // Held before the text changes: should the edit then fail, the old text waits, hidden, rather
                // than the new one showing unchecked.
                accounts.set_comment_status(id, CommentStatus::Pending).await?;
            }
        }
        Verdict::Reject(why) => return Err(CommentError::Refused(why)),
    }
    accounts.edit_comment(id, &body, now).await?;
    accounts.comment(id, Some(user.id)).await?.ok_or(CommentError::NotFound)
}

/// Deletes a comment: its author may, and so may a moderator (logged).
pub(crate) async fn remove(state: &AppState, user: &User, id: CommentId) -> Result<Comment, CommentError> {
    let comment = own_comment(state, user, id, true).await?;
    let accounts = state.store.accounts();
    accounts.remove_comment(id).await?;
    if comment.author_id != Some(user.id) {
        super::moderation::log(state, user, "delete", "comment", id, None).await;
    }
    Ok(comment)
}

/// Votes on someone else's visible comment in an open thread; returns the new score.
pub(crate) async fn vote(state: &AppState, user: &User, id: CommentId, value: i8) -> Result<i64, CommentError> {
    let t = state.strings;
    let accounts = state.store.accounts();
    let comment = accounts.comment(id, Some(user.id)).await?.ok_or(CommentError::NotFound)?;
    if comment.status != CommentStatus::Visible {
        return Err(CommentError::NotFound);
    }
    if comment.author_id == Some(user.id) {
        return Err(CommentError::Refused(t.own_vote.to_owned()));
    }
    if accounts.thread_locked(comment.target).await? {
        return Err(CommentError::Refused(t.thread_locked.to_owned()));
    }
    Ok(accounts.vote(user.id, id, value.clamp(-1, 1), Utc::now()).await?)
}

/// Reports a comment to the moderators.
pub(crate) async fn report(
    state: &AppState,
    user: &User,
    id: CommentId,
    reason: &str,
) -> Result<Comment, CommentError> {
    let t = state.strings;
    let accounts = state.store.accounts();
    let comment = accounts.comment(id, Some(user.id)).await?.ok_or(CommentError::NotFound)?;
    if comment.status == CommentStatus::Removed {
        return Err(CommentError::NotFound);
    }
    let reason: String = reason.trim().chars().filter(|c| !c.is_control()).take(500).collect();
    let reason = if reason.is_empty() { t.report_no_reason.to_owned() } else { reason };
    accounts.report_comment(id, user.id, &reason, Utc::now()).await?;
    metrics::counter!("tidings_comment_reports_total").increment(1);
    Ok(comment)
}

/// The page a comment is on.
pub(crate) fn target_href(target: CommentTarget) -> String {
    match target {
        CommentTarget::Article(id) => format!("/articles/{id}"),
        CommentTarget::Story(id) => format!("/stories/{id}"),
    }
}

/// Fills in the visible comments of listed stories. Counts decorate a list: when they cannot be read, the list
/// is shown without them (and the failure logged).
pub(crate) async fn count_stories(state: &AppState, rows: &mut [crate::stories::StoryRow]) {
    let targets: Vec<CommentTarget> = rows.iter().map(|r| CommentTarget::Story(r.id)).collect();
    let counts = counts(state, &targets).await;
    for row in rows {
        row.comments = counts.get(&CommentTarget::Story(row.id)).copied().unwrap_or(0);
    }
}

/// Fills in the visible comments of listed articles (as [`count_stories`]).
pub(crate) async fn count_articles(state: &AppState, rows: &mut [crate::pages::ArticleRow]) {
    let targets: Vec<CommentTarget> = rows.iter().map(|r| CommentTarget::Article(r.id)).collect();
    let counts = counts(state, &targets).await;
    for row in rows {
        row.comments = counts.get(&CommentTarget::Article(row.id)).copied().unwrap_or(0);
    }
}

async fn counts(state: &AppState, targets: &[CommentTarget]) -> HashMap<CommentTarget, i64> {
    if targets.is_empty() {
        return HashMap::new();
    }
    match state.store.accounts().comment_counts(targets).await {
        Ok(counts) => counts.into_iter().collect(),
        Err(e) => {
            tracing::warn!(error = %e, "counting comments for a list failed; shown without counts");
            HashMap::new()
        }
    }
}

/// How a thread is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Sort {
    /// Highest score first, older first among equals.
    #[default]
    Best,
    /// Newest first.
    Newest,
}

impl Sort {
    /// The order of two comments (siblings in a thread, or the API's flat list).
    pub(crate) fn compare(self, a: &Comment, b: &Comment) -> std::cmp::Ordering {
        match self {
            Sort::Best => b.score.cmp(&a.score).then(a.created_at.cmp(&b.created_at)),
            Sort::Newest => b.created_at.cmp(&a.created_at),
        }
    }

    pub(crate) fn parse(raw: Option<&str>) -> Sort {
        match raw {
            Some("newest") => Sort::Newest,
            _ => Sort::Best,
        }
    }
}

/// One comment as a thread shows it.
pub(crate) struct CommentView {
    pub(crate) id: CommentId,
    pub(crate) depth: usize,
    pub(crate) author: Option<String>,
    pub(crate) parent: Option<(CommentId, String)>,
    /// The body rendered from its safe Markdown subset: the only unescaped text of a comment.
    pub(crate) body_html: String,
    /// Why others do not see it (held, hidden), for its author and moderators.
    pub(crate) note: Option<&'static str>,
    pub(crate) removed: bool,
    /// Held or hidden, kept only as a placeholder above a reply this reader sees.
    pub(crate) withheld: bool,
    pub(crate) score: i64,
    pub(crate) my_vote: i8,
    pub(crate) iso: String,
    pub(crate) relative: String,
    pub(crate) edited: bool,
    pub(crate) can_edit: bool,
    pub(crate) can_delete: bool,
    pub(crate) can_vote: bool,
    pub(crate) can_report: bool,
    pub(crate) status: &'static str,
}

/// A thread and the forms around it, for the comments section of an article or story page.
pub(crate) struct ThreadView {
    pub(crate) action: String,
    pub(crate) here: String,
    pub(crate) comments: Vec<CommentView>,
    pub(crate) count: usize,
    pub(crate) newest: bool,
    pub(crate) signed_in: bool,
    pub(crate) can_post: bool,
    pub(crate) csrf: String,
    pub(crate) locked: bool,
    pub(crate) moderates: bool,
    pub(crate) target_kind: &'static str,
    pub(crate) target_id: i64,
}

/// Loads the thread of `target` as `viewer` may see it.
pub(crate) async fn thread(
    state: &AppState,
    viewer: &Viewer,
    target: CommentTarget,
    sort: Sort,
) -> Result<ThreadView, StoreError> {
    let t = state.strings;
    let accounts = state.store.accounts();
    let (comments, locked) =
        tokio::try_join!(accounts.comments_on(target, viewer.id()), accounts.thread_locked(target))?;
    let now = Utc::now();
    let moderates = viewer.moderates();
    let me = viewer.id();
    let window = TimeDelta::minutes(i64::from(state.community.config.edit_window_mins));
    let names: HashMap<CommentId, String> =
        comments.iter().map(|c| (c.id, c.author.clone().unwrap_or_else(|| t.deleted_author.to_owned()))).collect();
    let shown = visible_ids(&comments, me, moderates);
    let mut children: HashMap<Option<CommentId>, Vec<&Comment>> = HashMap::new();
    for comment in comments.iter().filter(|c| shown.contains_key(&c.id)) {
        // A reply whose parent is not shown hangs at the top.
        let parent = comment.parent_id.filter(|p| shown.contains_key(p));
        children.entry(parent).or_default().push(comment);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| sort.compare(a, b));
    }
    let banned = viewer.user.as_ref().is_some_and(|u| u.banned_at(now));
    let mut out = Vec::new();
    let mut stack: Vec<(&Comment, usize)> =
        children.get(&None).map(|top| top.iter().rev().map(|c| (*c, 0)).collect()).unwrap_or_default();
    while let Some((comment, depth)) = stack.pop() {
        let mine = me.is_some() && comment.author_id == me;
        let full = shown.get(&comment.id).copied().unwrap_or(false);
        let removed = comment.status == CommentStatus::Removed || !full;
        let note = match comment.status {
            _ if !full => None,
            CommentStatus::Pending => Some(t.comment_pending),
            CommentStatus::Hidden => Some(t.comment_hidden),
            _ => None,
        };
        let open = !locked && !banned;
        out.push(CommentView {
            id: comment.id,
            depth: depth.min(MAX_DEPTH),
            author: if removed { None } else { comment.author.clone() },
            parent: comment.parent_id.and_then(|p| names.get(&p).map(|name| (p, name.clone()))),
            body_html: if removed { String::new() } else { markdown::render(&comment.body) },
            note,
            removed,
            withheld: !full && comment.status != CommentStatus::Removed,
            score: comment.score,
            my_vote: comment.my_vote,
            iso: timefmt::iso(comment.created_at),
            relative: timefmt::relative(t, comment.created_at, now),
            edited: comment.edited_at.is_some(),
            can_edit: mine && !removed && open && now - comment.created_at <= window,
            can_delete: !removed && (mine || moderates),
            can_vote: !mine && me.is_some() && !removed && open && comment.status == CommentStatus::Visible,
            can_report: !mine && me.is_some() && !removed,
            status: comment.status.as_str(),
        });
        if let Some(replies) = children.get(&Some(comment.id)) {
            stack.extend(replies.iter().rev().map(|c| (*c, depth + 1)));
        }
    }
    let count = out.iter().filter(|c| !c.removed && c.note.is_none()).count();
    let here = target_href(target);
    Ok(ThreadView {
        action: format!("{here}/comments"),
        here,
        comments: out,
        count,
        newest: sort == Sort::Newest,
        signed_in: viewer.user.is_some(),
        can_post: viewer.user.is_some() && !locked && !banned,
        csrf: viewer.csrf(),
        locked,
        moderates,
        target_kind: target.kind(),
        target_id: target.id(),
    })
}

/// Which comments the reader sees: visible ones; their own and (for moderators) everyone's held or hidden
/// ones; and removed ones that still have a shown reply (as a placeholder keeping the thread together).
/// The value says whether the comment is shown in full (`true`) or only as a placeholder above a reply (`false`).
fn visible_ids(comments: &[Comment], me: Option<i64>, moderates: bool) -> HashMap<CommentId, bool> {
    let mut shown: HashMap<CommentId, bool> = comments
        .iter()
        .filter(|c| match c.status {
            CommentStatus::Visible => true,
            CommentStatus::Pending | CommentStatus::Hidden => moderates || (me.is_some() && c.author_id == me),
            CommentStatus::Removed => false,
        })
        .map(|c| (c.id, true))
        .collect();
    let parents: HashMap<CommentId, Option<CommentId>> = comments.iter().map(|c| (c.id, c.parent_id)).collect();
    let shown_now: Vec<CommentId> = shown.keys().copied().collect();
    for id in shown_now {
        let mut parent = parents.get(&id).copied().flatten();
        let mut hops = 0;
        while let Some(p) = parent {
            if hops > comments.len() {
                break;
            }
            // A held or hidden parent this reader may not see keeps its place, but not its text.
            shown.entry(p).or_insert(false);
            parent = parents.get(&p).copied().flatten();
            hops += 1;
        }
    }
    shown
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct CommentForm {
    csrf: String,
    body: String,
    parent: Option<String>,
}

/// `POST /articles/{id}/comments`.
pub(crate) async fn post_on_article(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<i64>,
    request: axum::extract::Request,
) -> Response {
    post_form(state, viewer, headers, uri, CommentTarget::Article(id), request).await
}

/// `POST /stories/{id}/comments`.
pub(crate) async fn post_on_story(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<i64>,
    request: axum::extract::Request,
) -> Response {
    post_form(state, viewer, headers, uri, CommentTarget::Story(id), request).await
}

async fn post_form(
    state: AppState,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    target: CommentTarget,
    request: axum::extract::Request,
) -> Response {
    let ip = session::client_ip(&state, &request);
    let form = match <Form<CommentForm> as axum::extract::FromRequest<AppState>>::from_request(request, &state).await {
        Ok(Form(form)) => form,
        Err(_) => CommentForm::default(),
    };
    let user = or_return!(Guard::poster(&state, &viewer, &headers, &uri, &form.csrf));
    let parent = form.parent.as_deref().map(str::trim).filter(|p| !p.is_empty()).and_then(|p| p.parse().ok());
    match post(&state, &user, ip, target, parent, &form.body).await {
        Ok(comment) => see_other(&format!("{}#comment-{}", target_href(target), comment.id)),
        Err(e) => e.page(&state),
    }
}

#[derive(Template)]
#[template(path = "comment_edit.html")]
struct EditPage {
    t: &'static Strings,
    id: CommentId,
    body: String,
    back: String,
    csrf: String,
}

/// `GET /comments/{id}/edit`.
pub(crate) async fn edit_page(State(state): State<AppState>, viewer: Viewer, Path(id): Path<CommentId>) -> Response {
    let Some(user) = viewer.user.clone() else {
        return see_other(&format!("/login?next=/comments/{id}/edit"));
    };
    match own_comment(&state, &user, id, false).await {
        Ok(comment) => {
            let page = EditPage {
                t: state.strings,
                id,
                body: comment.body,
                back: target_href(comment.target),
                csrf: viewer.csrf(),
            };
            match crate::pages::page(&page, &state) {
                Ok(response) => response,
                Err(e) => e.into_response(),
            }
        }
        Err(e) => e.page(&state),
    }
}

/// `POST /comments/{id}/edit`.
pub(crate) async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<CommentId>,
    Form(form): Form<CommentForm>,
) -> Response {
    let user = or_return!(Guard::poster(&state, &viewer, &headers, &uri, &form.csrf));
    match edit(&state, &user, id, &form.body).await {
        Ok(comment) => see_other(&format!("{}#comment-{id}", target_href(comment.target))),
        Err(e) => e.page(&state),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ActionForm {
    csrf: String,
    value: String,
    reason: String,
}

/// `POST /comments/{id}/delete`.
pub(crate) async fn delete_form(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<CommentId>,
    Form(form): Form<ActionForm>,
) -> Response {
    let user = or_return!(Guard::form(&state, &viewer, &headers, &uri, &form.csrf));
    match remove(&state, &user, id).await {
        Ok(comment) => see_other(&format!("{}#comments", target_href(comment.target))),
        Err(e) => e.page(&state),
    }
}

/// `POST /comments/{id}/vote`: `value` up, down or clear.
pub(crate) async fn vote_form(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<CommentId>,
    Form(form): Form<ActionForm>,
) -> Response {
    let user = or_return!(Guard::poster(&state, &viewer, &headers, &uri, &form.csrf));
    let value = match form.value.as_str() {
        "up" | "1" => 1,
        "down" | "-1" => -1,
        _ => 0,
    };
    match vote(&state, &user, id, value).await {
        Ok(_) => match state.store.accounts().comment(id, None).await {
            Ok(Some(comment)) => see_other(&format!("{}#comment-{id}", target_href(comment.target))),
            Ok(None) => CommentError::NotFound.page(&state),
            Err(e) => PageError::internal(&state, &e).into_response(),
        },
        Err(e) => e.page(&state),
    }
}

/// `POST /comments/{id}/report`.
pub(crate) async fn report_form(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<CommentId>,
    Form(form): Form<ActionForm>,
) -> Response {
    let user = or_return!(Guard::form(&state, &viewer, &headers, &uri, &form.csrf));
    let t = state.strings;
    match report(&state, &user, id, &form.reason).await {
        Ok(comment) => crate::pages::message_page(
            t,
            StatusCode::OK,
            t.report_thanks_heading,
            t.with(t.report_thanks, target_href(comment.target)),
        ),
        Err(e) => e.page(&state),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ThreadQuery {
    pub(crate) comments: Option<String>,
}

/// The sort asked for in `?comments=`.
pub(crate) fn sort_of(query: &Query<ThreadQuery>) -> Sort {
    Sort::parse(query.comments.as_deref())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn comment(id: i64, parent: Option<i64>, author: i64, status: CommentStatus) -> Comment {
        Comment {
            id,
            target: CommentTarget::Article(1),
            parent_id: parent,
            author_id: Some(author),
            author: Some(format!("user{author}")),
            body: "text".into(),
            status,
            score: 0,
            created_at: Utc::now(),
            edited_at: None,
            my_vote: 0,
        }
    }

    /// Regression: a hidden comment with a reply was shown in full to everyone, as the reply's parent.
    #[test]
    fn a_hidden_comment_with_a_reply_is_only_a_placeholder_for_other_readers() {
        let comments =
            vec![comment(1, None, 10, CommentStatus::Hidden), comment(2, Some(1), 11, CommentStatus::Visible)];
        let anonymous = visible_ids(&comments, None, false);
        assert_eq!(anonymous.get(&1), Some(&false), "its place only");
        assert_eq!(anonymous.get(&2), Some(&true));
        assert_eq!(visible_ids(&comments, Some(10), false).get(&1), Some(&true), "its author sees it, marked");
        assert_eq!(visible_ids(&comments, Some(99), true).get(&1), Some(&true), "moderators see it");
    }

    #[test]
    fn held_and_hidden_comments_are_shown_to_their_author_and_moderators_only() {
        let comments = vec![
            comment(1, None, 10, CommentStatus::Visible),
            comment(2, None, 11, CommentStatus::Pending),
            comment(3, None, 12, CommentStatus::Hidden),
            comment(4, None, 13, CommentStatus::Removed),
            comment(5, None, 14, CommentStatus::Removed),
            comment(6, Some(5), 15, CommentStatus::Visible),
        ];
        let anonymous = visible_ids(&comments, None, false);
        let mut ids: Vec<i64> = anonymous.keys().copied().collect();
        ids.sort();
        assert_eq!(ids, vec![1, 5, 6], "a removed comment stays as a placeholder only above a shown reply");
        assert!(anonymous[&1] && !anonymous[&5] && anonymous[&6]);
        assert!(visible_ids(&comments, Some(11), false).contains_key(&2));
        assert!(!visible_ids(&comments, Some(11), false).contains_key(&3));
        let moderator = visible_ids(&comments, Some(99), true);
        assert!(moderator.contains_key(&2) && moderator.contains_key(&3) && !moderator.contains_key(&4));
    }
}
