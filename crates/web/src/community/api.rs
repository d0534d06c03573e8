//! The JSON API of comments and of a reader's own data, with API tokens (`Authorization: Bearer tid_…`, made
//! on the account page). The session cookie is not accepted here, so no other site can make a reader's
//! browser post through the API; reading a thread needs no token.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tidings_community::{markdown, tokens};
use tidings_core::StoreError;
use tidings_core::accounts::{Comment, CommentStatus, CommentTarget, Follow, User};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, ToSchema};

use super::comments::{self, CommentError, Sort};
use super::personal::follow_of;
use super::session;
use crate::AppState;
use crate::api::{ApiError, ArticleSummary, error, internal};
use crate::json_body::{BodyRejection, JsonObject};

/// The OpenAPI name of the API-token scheme.
const SECURITY_SCHEME: &str = "api_token";

/// Adds the API-token bearer scheme to the OpenAPI document.
pub struct ApiTokenScheme;

impl Modify for ApiTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SECURITY_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A reader's API token, made on their account page (`tid_…`)."))
                    .build(),
            ),
        );
    }
}

fn unauthorized(message: &str) -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, "unauthorized", message.to_owned());
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"tidings\""));
    response
}

/// The account of the request's API token, or the 401 that says what is missing.
async fn api_user(state: &AppState, headers: &HeaderMap) -> Result<User, Response> {
    let Some(token) = session::bearer(headers) else {
        return Err(unauthorized(
            "this endpoint needs an API token (make one on your account page): send `Authorization: Bearer <token>`; \
             the session cookie is not accepted by the API",
        ));
    };
    match state.store.accounts().api_token_user(&tokens::hash(token), Utc::now()).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(unauthorized("the bearer token is not an API token of this site (revoked, or mistyped?)")),
        Err(e) => Err(internal(state, &e)),
    }
}

/// A comment body longer than the limit as sent (the OpenAPI document's maxLength counts what is sent; the
/// rules count after cleaning and trimming, which a padded body would slip under).
fn too_long(state: &AppState, body: &str) -> Option<Response> {
    let (chars, max) = (body.chars().count(), state.community.config.max_comment_chars);
    (chars > max).then(|| {
        let why = format!("The comment is too long: {chars} characters, and the limit is {max} characters.");
        error(StatusCode::UNPROCESSABLE_ENTITY, "rejected", why)
    })
}

fn comment_error(state: &AppState, e: CommentError) -> Response {
    match e {
        CommentError::RateLimited => error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many comments in a short time; wait a minute".into(),
        ),
        CommentError::Rejected(why) => error(StatusCode::UNPROCESSABLE_ENTITY, "rejected", why),
        CommentError::Refused(why) => error(StatusCode::CONFLICT, "refused", why),
        CommentError::Forbidden => {
            error(StatusCode::FORBIDDEN, "forbidden", "this account may not do that to this comment".into())
        }
        CommentError::NotFound => {
            error(StatusCode::NOT_FOUND, "not_found", "there is no such comment, article or story".into())
        }
        CommentError::Internal(e) => internal(state, &e),
    }
}

/// A comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentInfo {
    /// Comment id.
    pub id: i64,
    /// `article` or `story`.
    pub on: String,
    /// The article's or story's id.
    pub on_id: i64,
    /// The comment it replies to.
    pub parent_id: Option<i64>,
    /// The author's name (none once the account is deleted).
    pub author: Option<String>,
    /// The text as written (a safe Markdown subset); empty once deleted.
    pub body: String,
    /// The text as HTML (only `p br em strong code pre blockquote ul ol li a`).
    pub body_html: String,
    /// `visible`, `pending` (held for a moderator), `hidden` or `removed`.
    pub status: String,
    /// Upvotes minus downvotes.
    pub score: i64,
    /// The asking account's vote: -1, 0 or 1.
    pub my_vote: i8,
    /// When posted.
    pub created_at: DateTime<Utc>,
    /// When last edited.
    pub edited_at: Option<DateTime<Utc>>,
}

impl From<Comment> for CommentInfo {
    fn from(c: Comment) -> Self {
        CommentInfo {
            id: c.id,
            on: c.target.kind().to_owned(),
            on_id: c.target.id(),
            parent_id: c.parent_id,
            author: c.author,
            body_html: markdown::render(&c.body),
            body: c.body,
            status: c.status.as_str().to_owned(),
            score: c.score,
            my_vote: c.my_vote,
            created_at: c.created_at,
            edited_at: c.edited_at,
        }
    }
}

/// The visible comments of an article or story.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentList {
    /// In the order asked for (best or newest), replies among them naming their parent.
    pub comments: Vec<CommentInfo>,
    /// Whether the thread is locked (no new comments, edits or votes).
    pub locked: bool,
}

/// How a thread is ordered.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ThreadParams {
    /// `best` (highest score first, the default) or `newest`.
    pub sort: Option<String>,
}

async fn list(state: &AppState, target: CommentTarget, sort: Sort) -> Response {
    let accounts = state.store.accounts();
    let exists = match target {
        CommentTarget::Article(id) => state.store.article(id).await.map(|a| a.is_some()),
        CommentTarget::Story(id) => state.store.story(id).await.map(|s| s.is_some()),
    };
    match exists {
        Ok(true) => {}
        Ok(false) => {
            return error(StatusCode::NOT_FOUND, "not_found", format!("there is no {} {}", target.kind(), target.id()));
        }
        Err(e) => return internal(state, &e),
    }
    let (mut comments, locked) =
        match tokio::try_join!(accounts.comments_on(target, None), accounts.thread_locked(target)) {
            Ok(both) => both,
            Err(e) => return internal(state, &e),
        };
    comments.retain(|c| c.status == CommentStatus::Visible);
    comments.sort_by(|a, b| sort.compare(a, b));
    Json(CommentList { comments: comments.into_iter().map(Into::into).collect(), locked }).into_response()
}

fn id_of(path: Result<Path<i64>, PathRejection>, what: &str) -> Result<i64, Response> {
    path.map(|Path(id)| id)
        .map_err(|_| error(StatusCode::BAD_REQUEST, "bad_request", format!("the {what} id must be a whole number")))
}

/// The visible comments of an article.
#[utoipa::path(get, path = "/api/v1/articles/{id}/comments", tag = "comments",
    params(("id" = i64, Path, description = "Article id"), ThreadParams),
    responses((status = 200, body = CommentList), (status = 400, body = ApiError), (status = 404, body = ApiError),
              (status = 500, body = ApiError)))]
pub(crate) async fn article_comments(
    State(state): State<AppState>,
    path: Result<Path<i64>, PathRejection>,
    query: Result<Query<ThreadParams>, QueryRejection>,
) -> Response {
    let params = match query {
        Ok(Query(params)) => params,
        Err(rejection) => return crate::api::bad_query(&rejection),
    };
    match id_of(path, "article") {
        Ok(id) => list(&state, CommentTarget::Article(id), Sort::parse(params.sort.as_deref())).await,
        Err(response) => response,
    }
}

/// The visible comments of a story.
#[utoipa::path(get, path = "/api/v1/stories/{id}/comments", tag = "comments",
    params(("id" = i64, Path, description = "Story id"), ThreadParams),
    responses((status = 200, body = CommentList), (status = 400, body = ApiError), (status = 404, body = ApiError),
              (status = 500, body = ApiError)))]
pub(crate) async fn story_comments(
    State(state): State<AppState>,
    path: Result<Path<i64>, PathRejection>,
    query: Result<Query<ThreadParams>, QueryRejection>,
) -> Response {
    let params = match query {
        Ok(Query(params)) => params,
        Err(rejection) => return crate::api::bad_query(&rejection),
    };
    match id_of(path, "story") {
        Ok(id) => list(&state, CommentTarget::Story(id), Sort::parse(params.sort.as_deref())).await,
        Err(response) => response,
    }
}

/// A comment to post.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommentRequest {
    /// The text, in the safe Markdown subset, at most the site's `[accounts] max_comment_chars` (10,000 by default).
    #[schema(min_length = 1, max_length = 10000, pattern = r"[^\s\x00-\x1f\x7f-\x9f]")]
    pub body: String,
    /// The comment this replies to, on the same article or story.
    #[serde(default, deserialize_with = "optional_whole_number")]
    pub parent_id: Option<i64>,
}

/// A JSON number with no fraction (`3` or `3.0`, as JSON Schema's `integer` allows), as an `i64`.
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    if let Some(n) = number.as_i64() {
        return Ok(n);
    }
    match number.as_f64() {
        Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => Ok(f as i64),
        _ => Err(serde::de::Error::custom(format!("{number} is not a whole number in range"))),
    }
}

fn optional_whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Option::<serde_json::Value>::deserialize(deserializer)?
        .map(|value| whole_number(value).map_err(serde::de::Error::custom))
        .transpose()
}

fn bad_json(rejection: BodyRejection) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "bad_request",
        format!("the request body is not JSON of the documented shape: {rejection}"),
    )
}

async fn create(
    state: AppState,
    headers: HeaderMap,
    target: Result<CommentTarget, Response>,
    body: Result<JsonObject<NewCommentRequest>, BodyRejection>,
) -> Response {
    let user = or_return!(api_user(&state, &headers).await);
    let target = or_return!(target);
    let JsonObject(request) = match body {
        Ok(body) => body,
        Err(rejection) => return bad_json(rejection),
    };
    if user.banned_at(Utc::now()) {
        return error(StatusCode::FORBIDDEN, "banned", "this account is banned from posting".into());
    }
    if let Some(refused) = too_long(&state, &request.body) {
        return refused;
    }
    match comments::post(&state, &user, None, target, request.parent_id, &request.body).await {
        Ok(comment) => (StatusCode::CREATED, Json(CommentInfo::from(comment))).into_response(),
        Err(e) => comment_error(&state, e),
    }
}

/// Comments on an article (API token). A comment a spam signal or word filter holds is answered with status
/// `pending`: moderators see it before anyone else does.
#[utoipa::path(post, path = "/api/v1/articles/{id}/comments", tag = "comments", security(("api_token" = [])),
    params(("id" = i64, Path, description = "Article id")), request_body = NewCommentRequest,
    responses((status = 201, body = CommentInfo), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 403, body = ApiError, description = "The account is banned"),
              (status = 404, body = ApiError), (status = 409, body = ApiError, description = "Locked thread, the parent is elsewhere, or a repeat of a recent comment"),
              (status = 422, body = ApiError, description = "Empty, too long, or a repeat"),
              (status = 429, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn create_on_article(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<i64>, PathRejection>,
    body: Result<JsonObject<NewCommentRequest>, BodyRejection>,
) -> Response {
    let target = id_of(path, "article").map(CommentTarget::Article);
    create(state, headers, target, body).await
}

/// Comments on a story (API token).
#[utoipa::path(post, path = "/api/v1/stories/{id}/comments", tag = "comments", security(("api_token" = [])),
    params(("id" = i64, Path, description = "Story id")), request_body = NewCommentRequest,
    responses((status = 201, body = CommentInfo), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 403, body = ApiError, description = "The account is banned"),
              (status = 404, body = ApiError), (status = 409, body = ApiError, description = "Locked thread, the parent is elsewhere, or a repeat of a recent comment"),
              (status = 422, body = ApiError, description = "Empty, too long, or a repeat"),
              (status = 429, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn create_on_story(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<i64>, PathRejection>,
    body: Result<JsonObject<NewCommentRequest>, BodyRejection>,
) -> Response {
    let target = id_of(path, "story").map(CommentTarget::Story);
    create(state, headers, target, body).await
}

/// A new text for a comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditCommentRequest {
    /// The new text.
    #[schema(min_length = 1, max_length = 10000, pattern = r"[^\s\x00-\x1f\x7f-\x9f]")]
    pub body: String,
}

/// Edits one's own comment, within the edit window (API token).
#[utoipa::path(patch, path = "/api/v1/comments/{id}", tag = "comments", security(("api_token" = [])),
    params(("id" = i64, Path, description = "Comment id")), request_body = EditCommentRequest,
    responses((status = 200, body = CommentInfo), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 403, body = ApiError, description = "Not the author"), (status = 404, body = ApiError),
              (status = 409, body = ApiError, description = "The edit window closed, or the thread is locked"),
              (status = 422, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<i64>, PathRejection>,
    body: Result<JsonObject<EditCommentRequest>, BodyRejection>,
) -> Response {
    let user = or_return!(api_user(&state, &headers).await);
    let id = or_return!(id_of(path, "comment"));
    let JsonObject(request) = match body {
        Ok(body) => body,
        Err(rejection) => return bad_json(rejection),
    };
    if let Some(refused) = too_long(&state, &request.body) {
        return refused;
    }
    match comments::edit(&state, &user, id, &request.body).await {
        Ok(comment) => Json(CommentInfo::from(comment)).into_response(),
        Err(e) => comment_error(&state, e),
    }
}

/// Deletes a comment: one's own, or any as a moderator (API token).
#[utoipa::path(delete, path = "/api/v1/comments/{id}", tag = "comments", security(("api_token" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    responses((status = 204, description = "Deleted"), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<i64>, PathRejection>,
) -> Response {
    let user = or_return!(api_user(&state, &headers).await);
    let id = or_return!(id_of(path, "comment"));
    match comments::remove(&state, &user, id).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => comment_error(&state, e),
    }
}

/// A vote.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// 1 up, -1 down, 0 to take the vote back.
    #[schema(minimum = -1, maximum = 1, value_type = i64)]
    #[serde(deserialize_with = "whole_number")]
    pub value: i64,
}

/// A comment's score after a vote.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteResult {
    /// Upvotes minus downvotes.
    pub score: i64,
}

/// Votes on someone else's comment (API token).
#[utoipa::path(put, path = "/api/v1/comments/{id}/vote", tag = "comments", security(("api_token" = [])),
    params(("id" = i64, Path, description = "Comment id")), request_body = VoteRequest,
    responses((status = 200, body = VoteResult), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 403, body = ApiError, description = "The account is banned"),
              (status = 404, body = ApiError), (status = 409, body = ApiError, description = "One's own comment, or a locked thread"),
              (status = 500, body = ApiError)))]
pub(crate) async fn vote(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<i64>, PathRejection>,
    body: Result<JsonObject<VoteRequest>, BodyRejection>,
) -> Response {
    let user = or_return!(api_user(&state, &headers).await);
    let id = or_return!(id_of(path, "comment"));
    let JsonObject(request) = match body {
        Ok(body) => body,
        Err(rejection) => return bad_json(rejection),
    };
    let Ok(value) =
        i8::try_from(request.value).map_err(drop).and_then(|v| if (-1..=1).contains(&v) { Ok(v) } else { Err(()) })
    else {
        return error(StatusCode::BAD_REQUEST, "bad_request", format!("value {} is not -1, 0 or 1", request.value));
    };
    if user.banned_at(Utc::now()) {
        return error(StatusCode::FORBIDDEN, "banned", "this account is banned".into());
    }
    match comments::vote(&state, &user, id, value).await {
        Ok(score) => Json(VoteResult { score }).into_response(),
        Err(e) => comment_error(&state, e),
    }
}

/// A report of a comment to the moderators.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// Why (up to 500 characters).
    #[serde(default)]
    pub reason: String,
}

/// Reports a comment (API token). Reporting it again changes nothing.
#[utoipa::path(post, path = "/api/v1/comments/{id}/reports", tag = "comments", security(("api_token" = [])),
    params(("id" = i64, Path, description = "Comment id")), request_body = ReportRequest,
    responses((status = 202, description = "Sent to the moderators"), (status = 400, body = ApiError),
              (status = 401, body = ApiError), (status = 404, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<i64>, PathRejection>,
    body: Result<JsonObject<ReportRequest>, BodyRejection>,
) -> Response {
    let user = or_return!(api_user(&state, &headers).await);
    let id = or_return!(id_of(path, "comment"));
    let JsonObject(request) = match body {
        Ok(body) => body,
        Err(rejection) => return bad_json(rejection),
    };
    match comments::report(&state, &user, id, &request.reason).await {
        Ok(_) => StatusCode::ACCEPTED.into_response(),
        Err(e) => comment_error(&state, e),
    }
}

/// The account of the token.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeInfo {
    /// Account id.
    pub id: i64,
    /// Public name.
    pub username: String,
    /// `reader`, `moderator` or `admin`.
    pub role: String,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
}

/// The account an API token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("api_token" = [])),
    responses((status = 200, body = MeInfo), (status = 401, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn me(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match api_user(&state, &headers).await {
        Ok(user) => Json(MeInfo {
            id: user.id,
            username: user.username,
            role: user.role.as_str().to_owned(),
            created_at: user.created_at,
        })
        .into_response(),
        Err(response) => response,
    }
}

/// Something followed: a topic by name, an outlet by id, an entity by key (`person/…`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FollowInfo {
    /// A topic.
    Topic {
        /// Its name.
        #[schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )]
        key: String,
    },
    /// An outlet.
    Outlet {
        /// Its id, as text.
        #[schema(pattern = r"^[0-9]{1,18}$")]
        key: String,
    },
    /// A named entity.
    Entity {
        /// Its key.
        #[schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )]
        key: String,
    },
}

impl FollowInfo {
    fn parts(&self) -> (&'static str, &str) {
        match self {
            FollowInfo::Topic { key } => ("topic", key),
            FollowInfo::Outlet { key } => ("outlet", key),
            FollowInfo::Entity { key } => ("entity", key),
        }
    }
}

impl From<Follow> for FollowInfo {
    fn from(f: Follow) -> Self {
        use tidings_core::accounts::FollowKind;
        match f.kind {
            FollowKind::Topic => FollowInfo::Topic { key: f.key },
            FollowKind::Outlet => FollowInfo::Outlet { key: f.key },
            FollowKind::Entity => FollowInfo::Entity { key: f.key },
        }
    }
}

/// What an account follows.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowList {
    /// In the order followed.
    pub follows: Vec<FollowInfo>,
}

/// What the token's account follows.
#[utoipa::path(get, path = "/api/v1/me/follows", tag = "me", security(("api_token" = [])),
    responses((status = 200, body = FollowList), (status = 401, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn follows(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let user = or_return!(api_user(&state, &headers).await);
    match state.store.accounts().follows(user.id).await {
        Ok(follows) => Json(FollowList { follows: follows.into_iter().map(Into::into).collect() }).into_response(),
        Err(e) => internal(&state, &e),
    }
}

async fn change_follow(
    state: AppState,
    headers: HeaderMap,
    request: Result<(String, String), Response>,
    on: bool,
) -> Response {
    let user = or_return!(api_user(&state, &headers).await);
    let request = or_return!(request);
    let (kind, key) = request;
    // Taking back a follow checks less: unfollowing what is not followed changes nothing.
    let checked = if on {
        follow_of(&kind, &key)
    } else {
        tidings_core::accounts::FollowKind::parse(&kind)
            .map(|kind| Follow { kind, key: key.trim().to_owned() })
            .ok_or_else(|| format!("{kind:?}: not something to follow (topic, outlet, entity)"))
    };
    let follow = match checked {
        Ok(follow) => follow,
        Err(why) => return error(StatusCode::BAD_REQUEST, "bad_request", why),
    };
    let accounts = state.store.accounts();
    let done = if on {
        accounts.follow(user.id, &follow, Utc::now()).await
    } else {
        accounts.unfollow(user.id, &follow).await
    };
    match done {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => internal(&state, &e),
    }
}

/// Follows a topic, outlet or entity (following twice is one follow).
#[utoipa::path(post, path = "/api/v1/me/follows", tag = "me", security(("api_token" = [])), request_body = FollowInfo,
    responses((status = 204, description = "Followed"), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 500, body = ApiError)))]
pub(crate) async fn add_follow(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<JsonObject<FollowInfo>, BodyRejection>,
) -> Response {
    let request = body
        .map(|JsonObject(f)| {
            let (kind, key) = f.parts();
            (kind.to_owned(), key.to_owned())
        })
        .map_err(bad_json);
    change_follow(state, headers, request, true).await
}

/// Stops following a topic, outlet or entity.
#[utoipa::path(delete, path = "/api/v1/me/follows", tag = "me", security(("api_token" = [])), params(FollowParams),
    responses((status = 204, description = "Not followed any more"), (status = 400, body = ApiError),
              (status = 401, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn remove_follow(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<FollowParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let request = query
        .map(|Query(p)| (p.kind, p.key))
        .map_err(|e| error(StatusCode::BAD_REQUEST, "bad_request", format!("give kind and key: {e}")));
    change_follow(state, headers, request, false).await
}

/// What to stop following.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowParams {
    /// `topic`, `outlet` or `entity`.
    #[param(pattern = "^(topic|outlet|entity)$")]
    pub kind: String,
    /// A topic's name, an outlet's id, an entity's key.
    pub key: String,
}

/// Articles of a personal list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonalArticles {
    /// Newest (or most recently saved) first.
    pub articles: Vec<ArticleSummary>,
}

/// The newest articles from what the token's account follows.
#[utoipa::path(get, path = "/api/v1/me/for-you", tag = "me", security(("api_token" = [])),
    responses((status = 200, body = PersonalArticles), (status = 401, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn for_you(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let user = or_return!(api_user(&state, &headers).await);
    match state.store.accounts().for_you(user.id, 50).await {
        Ok(items) => {
            let mut articles: Vec<ArticleSummary> = items.into_iter().map(Into::into).collect();
            match crate::api::count_comments(&state, &mut articles).await {
                Ok(()) => Json(PersonalArticles { articles }).into_response(),
                Err(e) => internal(&state, &e),
            }
        }
        Err(e) => internal(&state, &e),
    }
}

/// The token's account's saved articles.
#[utoipa::path(get, path = "/api/v1/me/saved", tag = "me", security(("api_token" = [])),
    responses((status = 200, body = PersonalArticles), (status = 401, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn saved(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let user = or_return!(api_user(&state, &headers).await);
    match state.store.accounts().saved_articles(user.id, 200).await {
        Ok(items) => {
            let mut articles: Vec<ArticleSummary> = items.into_iter().map(Into::into).collect();
            match crate::api::count_comments(&state, &mut articles).await {
                Ok(()) => Json(PersonalArticles { articles }).into_response(),
                Err(e) => internal(&state, &e),
            }
        }
        Err(e) => internal(&state, &e),
    }
}

async fn change_saved(
    state: AppState,
    headers: HeaderMap,
    path: Result<Path<i64>, PathRejection>,
    on: bool,
) -> Response {
    let user = or_return!(api_user(&state, &headers).await);
    let id = or_return!(id_of(path, "article"));
    let accounts = state.store.accounts();
    let done = if on {
        match state.store.article(id).await {
            Ok(Some(_)) => accounts.save_article(user.id, id, Utc::now()).await,
            Ok(None) => return error(StatusCode::NOT_FOUND, "not_found", format!("there is no article {id}")),
            Err(e) => Err(e),
        }
    } else {
        accounts.unsave_article(user.id, id).await
    };
    match done {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => internal(&state, &e),
    }
}

/// Saves an article for later.
#[utoipa::path(put, path = "/api/v1/me/saved/{id}", tag = "me", security(("api_token" = [])),
    params(("id" = i64, Path, description = "Article id")),
    responses((status = 204, description = "Saved"), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 404, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<i64>, PathRejection>,
) -> Response {
    change_saved(state, headers, path, true).await
}

/// Takes an article off the saved list.
#[utoipa::path(delete, path = "/api/v1/me/saved/{id}", tag = "me", security(("api_token" = [])),
    params(("id" = i64, Path, description = "Article id")),
    responses((status = 204, description = "Not saved any more"), (status = 400, body = ApiError),
              (status = 401, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn unsave(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<i64>, PathRejection>,
) -> Response {
    change_saved(state, headers, path, false).await
}

/// Everything the site keeps about an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Export {
    /// The account.
    pub account: MeInfo,
    /// Its e-mail address, if given.
    pub email: Option<String>,
    /// Whether sign-in asks for a one-time code.
    pub two_factor: bool,
    /// Its comments, newest first, in every status.
    pub comments: Vec<CommentInfo>,
    /// What it follows.
    pub follows: Vec<FollowInfo>,
    /// Its saved articles.
    pub saved: Vec<ArticleSummary>,
    /// Its API tokens (labels and dates; the tokens themselves are never kept).
    pub api_tokens: Vec<TokenInfo>,
}

/// An API token as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    /// Its label.
    pub label: String,
    /// When made.
    pub created_at: DateTime<Utc>,
    /// When last used.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The export of `user`'s data (the account page's download and `GET /api/v1/me/export`).
pub(crate) async fn export_of(state: &AppState, user: &User) -> Result<Export, StoreError> {
    let accounts = state.store.accounts();
    let (comments, follows, saved, tokens) = tokio::try_join!(
        accounts.user_comments(user.id, 100_000),
        accounts.follows(user.id),
        accounts.saved_articles(user.id, 100_000),
        accounts.api_tokens(user.id),
    )?;
    let mut saved: Vec<ArticleSummary> = saved.into_iter().map(Into::into).collect();
    crate::api::count_comments(state, &mut saved).await?;
    Ok(Export {
        account: MeInfo {
            id: user.id,
            username: user.username.clone(),
            role: user.role.as_str().to_owned(),
            created_at: user.created_at,
        },
        email: user.email.clone(),
        two_factor: user.totp_enabled,
        comments: comments.into_iter().map(Into::into).collect(),
        follows: follows.into_iter().map(Into::into).collect(),
        saved,
        api_tokens: tokens
            .into_iter()
            .map(|t| TokenInfo { label: t.label, created_at: t.created_at, last_used_at: t.last_used_at })
            .collect(),
    })
}

/// Everything the site keeps about the token's account.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "me", security(("api_token" = [])),
    responses((status = 200, body = Export), (status = 401, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn export(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let user = or_return!(api_user(&state, &headers).await);
    match export_of(&state, &user).await {
        Ok(export) => Json(export).into_response(),
        Err(e) => internal(&state, &e),
    }
}
