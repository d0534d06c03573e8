//! `/api/v1/sources`: the followed sources with their polling health, and adding and removing them. Every
//! endpoint needs the admin token as `Authorization: Bearer <token>` (401 otherwise), because a source's last
//! error can name addresses inside the operator's network; the public view of sources is `/api/v1/outlets`.
//! With no admin token configured they answer 403.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tidings_core::{ExtractMode, Source, SourceSettingsChange};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, ToSchema};

use super::{AddSource, SourceAdminError, check_url, clean_category};
use crate::AppState;
use crate::api::{ApiError, error, internal};
use crate::json_body::{BodyRejection, JsonObject};

/// The name of the bearer security scheme in the OpenAPI document.
pub(crate) const SECURITY_SCHEME: &str = "admin_token";

/// Adds the admin token's bearer scheme to the OpenAPI document.
pub(crate) struct AdminTokenScheme;

impl Modify for AdminTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SECURITY_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The server's admin token (`[web] admin_token`)."))
                    .build(),
            ),
        );
    }
}

/// When a source's item pages are fetched and their article extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Extract {
    /// Only when the feed carries a teaser.
    Auto,
    /// For every item.
    Always,
    /// Never: the feed's text is kept.
    Never,
}

impl From<Extract> for ExtractMode {
    fn from(e: Extract) -> Self {
        match e {
            Extract::Auto => ExtractMode::Auto,
            Extract::Always => ExtractMode::Always,
            Extract::Never => ExtractMode::Never,
        }
    }
}

impl From<ExtractMode> for Extract {
    fn from(e: ExtractMode) -> Self {
        match e {
            ExtractMode::Auto => Extract::Auto,
            ExtractMode::Always => Extract::Always,
            ExtractMode::Never => Extract::Never,
        }
    }
}

/// A followed source with its polling health, for the operator.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceInfo {
    /// Source id (the same as its outlet id).
    pub id: i64,
    /// The URL that is polled.
    pub url: String,
    /// The outlet's name, when known.
    pub title: Option<String>,
    /// The outlet's web site.
    pub site_url: Option<String>,
    /// Its topic.
    pub category: Option<String>,
    /// When its items' pages are fetched and extracted.
    pub extract: Extract,
    /// Its own skip rules (regular expressions on items' titles and links; `tidings sources skip`, `/admin` and
    /// `PATCH /api/v1/sources/{id}` set them).
    pub skip_rules: Vec<String>,
    /// Its political lean, as the operator rates it (`tidings sources lean` or `/admin`); null: not rated.
    pub lean: Option<crate::lean::LeanInfo>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it was last polled, successfully or not.
    pub last_polled_at: Option<DateTime<Utc>>,
    /// When a poll last worked.
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last poll error.
    pub last_error: Option<String>,
    /// When the last error happened.
    pub last_error_at: Option<DateTime<Utc>>,
    /// Failed polls in a row (0 when the last one worked).
    pub error_count: i32,
    /// When it is next due (meaningless while `disabled`).
    pub next_poll_at: DateTime<Utc>,
    /// The adaptive interval between polls, seconds.
    pub poll_interval_secs: i64,
    /// Polling has stopped (a 410 Gone, an invalid URL) until the operator resumes it.
    pub disabled: bool,
}

impl From<Source> for SourceInfo {
    fn from(s: Source) -> Self {
        SourceInfo {
            id: s.id,
            url: s.url,
            title: s.title,
            site_url: s.site_url,
            category: s.category,
            extract: s.extract_mode.into(),
            skip_rules: s.skip_rules,
            lean: s.lean.map(Into::into),
            created_at: s.created_at,
            last_polled_at: s.last_polled_at,
            last_success_at: s.last_success_at,
            last_error: s.last_error,
            last_error_at: s.last_error_at,
            error_count: s.error_count,
            next_poll_at: s.next_poll_at,
            poll_interval_secs: s.poll_interval_secs,
            disabled: s.disabled,
        }
    }
}

/// Every followed source.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceList {
    /// The sources, by id.
    pub sources: Vec<SourceInfo>,
}

/// A source to follow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSourceRequest {
    /// A feed's URL, or a web page whose advertised feed is followed (http or https).
    #[schema(pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/]+\S*$", max_length = 2048)]
    pub url: String,
    /// Its topic.
    pub category: Option<String>,
    /// When its items' pages are fetched (default `auto`).
    pub extract: Option<Extract>,
}

/// Changes to a source: each field given is set, each left out is kept.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceChanges {
    /// Its political lean as you rate it; null removes the rating.
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<crate::lean::LeanInfo>)]
    pub lean: Option<Option<crate::lean::LeanInfo>>,
    /// When its items' pages are fetched (not null).
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Extract, required = false)]
    pub extract: Option<Extract>,
    /// Its topic; null or blank removes it.
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub category: Option<Option<String>>,
    /// Its own skip rules, replacing the ones it has (not null; `[]` removes them): regular expressions, case
    /// ignored, on its items' titles and links; an item one of them matches is not stored.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Vec<String>, required = false)]
    pub skip_rules: Option<Vec<String>>,
}

impl SourceChanges {
    /// The change to store, or why it cannot be (the message of a 422).
    fn to_settings(&self) -> Result<SourceSettingsChange, String> {
        let change = SourceSettingsChange {
            category: self.category.as_ref().map(|c| clean_category(c.as_deref())),
            extract_mode: self.extract.map(Into::into),
            lean: self.lean.map(|l| l.map(Into::into)),
            skip_rules: self.skip_rules.clone(),
        };
        change.check().map(|()| change)
    }
}

/// A field that is present, null or not: `Some(None)` for null, so that null can mean "remove".
fn given<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A field that may be left out but is never null.
fn not_null<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The admin token check of every endpoint here: the refusal to answer, if any. A request without a bearer
/// token is 401 (even when the server has no admin token: the header is what is missing); one with a token is
/// 403 when the server has none configured, and 401 when it is not the admin token.
fn refusal(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let unauthorized = |problem: &str| {
        let mut response = error(StatusCode::UNAUTHORIZED, "unauthorized", problem.to_owned());
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"tidings\""));
        response
    };
    let Some(auth) = state.admin.as_ref().filter(|auth| auth.token_configured()) else {
        return Some(if headers.contains_key(header::AUTHORIZATION) {
            error(
                StatusCode::FORBIDDEN,
                "admin_disabled",
                format!("{DISABLED}: its operator has set no [web] admin_token"),
            )
        } else {
            unauthorized(&format!("{DISABLED}, and this request has no `Authorization: Bearer <token>` either"))
        });
    };
    auth.check_bearer(headers).err().map(unauthorized)
}

/// The start of the message of every answer while no admin token is configured.
const DISABLED: &str = "the sources API is off on this server";

/// Every followed source with its health (admin token required).
#[utoipa::path(get, path = "/api/v1/sources", tag = "sources", security(("admin_token" = [])),
    responses((status = 200, body = SourceList), (status = 401, body = ApiError, description = "No bearer token, or not the admin token"), (status = 403, body = ApiError, description = "The server has no admin token set"),
        (status = 500, body = ApiError)))]
pub(crate) async fn list_sources(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(refused) = refusal(&state, &headers) {
        return refused;
    }
    match state.store.sources().await {
        Ok(sources) => Json(SourceList { sources: sources.into_iter().map(Into::into).collect() }).into_response(),
        Err(e) => internal(&state, &e),
    }
}

/// Follows a feed, or the feed a web page advertises (admin token required). The server fetches the URL.
#[utoipa::path(post, path = "/api/v1/sources", tag = "sources", security(("admin_token" = [])),
    request_body = NewSourceRequest,
    responses((status = 201, body = SourceInfo, description = "Followed; polled soon"),
        (status = 400, body = ApiError, description = "Not JSON of this shape, or not an http(s) URL"),
        (status = 401, body = ApiError, description = "No bearer token, or not the admin token"), (status = 403, body = ApiError, description = "The server has no admin token set"),
        (status = 409, body = ApiError, description = "The feed is followed already"),
        (status = 422, body = ApiError, description = "No feed at or advertised by the URL"),
        (status = 500, body = ApiError),
        (status = 503, body = ApiError, description = "This server process cannot fetch sources")))]
pub(crate) async fn create_source(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<JsonObject<NewSourceRequest>, BodyRejection>,
) -> Response {
    if let Some(refused) = refusal(&state, &headers) {
        return refused;
    }
    let request = match body {
        Ok(JsonObject(request)) => request,
        Err(rejection) => {
            return error(StatusCode::BAD_REQUEST, "bad_request", format!("bad request body: {rejection}"));
        }
    };
    let url = match check_url(&request.url) {
        Ok(url) => url,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_request", e.to_string()),
    };
    let Some(admin) = &state.source_admin else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "this server process cannot fetch sources; add them with `tidings sources add`".to_owned(),
        );
    };
    let add = AddSource {
        url,
        category: clean_category(request.category.as_deref()),
        extract: request.extract.map(Into::into).unwrap_or_default(),
    };
    match admin.add(add).await {
        Ok(source) => (StatusCode::CREATED, Json(SourceInfo::from(source))).into_response(),
        Err(SourceAdminError::Invalid(m)) => error(StatusCode::BAD_REQUEST, "bad_request", m),
        Err(SourceAdminError::NoFeed(m)) => error(StatusCode::UNPROCESSABLE_ENTITY, "no_feed", m),
        Err(SourceAdminError::Duplicate(m)) => error(StatusCode::CONFLICT, "duplicate", m),
        Err(SourceAdminError::NotFound(m)) => error(StatusCode::NOT_FOUND, "not_found", m),
        Err(SourceAdminError::Internal(cause)) => internal(&state, &cause),
    }
}

/// The source id in the path, or the message of the API's 404 for one that cannot be.
fn source_id(path: Result<Path<String>, PathRejection>) -> Result<i64, String> {
    let raw = path.map(|Path(raw)| raw).unwrap_or_default();
    raw.parse::<i64>().map_err(|_| format!("there is no source {raw:?}"))
}

/// Changes a source's settings: lean, full-text mode, category, skip rules (admin token required); answers the
/// source as it now is. The changes given are made together or not at all.
#[utoipa::path(patch, path = "/api/v1/sources/{id}", tag = "sources", security(("admin_token" = [])),
    params(("id" = i64, Path, description = "Source id")), request_body = SourceChanges,
    responses((status = 200, body = SourceInfo, description = "Changed"),
        (status = 400, body = ApiError, description = "Not JSON of this shape"),
        (status = 401, body = ApiError, description = "No bearer token, or not the admin token"),
        (status = 403, body = ApiError, description = "The server has no admin token set"),
        (status = 404, body = ApiError, description = "No such source"),
        (status = 422, body = ApiError, description = "A skip rule that is not a regular expression, or a category too long"),
        (status = 500, body = ApiError, description = "Internal error")))]
pub(crate) async fn update_source(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<JsonObject<SourceChanges>, BodyRejection>,
) -> Response {
    if let Some(refused) = refusal(&state, &headers) {
        return refused;
    }
    let id = match source_id(path) {
        Ok(id) => id,
        Err(message) => return error(StatusCode::NOT_FOUND, "not_found", message),
    };
    let changes = match body {
        Ok(JsonObject(changes)) => changes,
        Err(rejection) => {
            return error(StatusCode::BAD_REQUEST, "bad_request", format!("bad request body: {rejection}"));
        }
    };
    let not_found = || error(StatusCode::NOT_FOUND, "not_found", format!("there is no source {id}"));
    let settings = match changes.to_settings() {
        Ok(settings) => settings,
        Err(message) => return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_settings", message),
    };
    let outcome = async {
        if !settings.is_empty() {
            state.store.update_source_settings(id, &settings).await?;
        }
        state.store.source(id).await
    };
    match outcome.await {
        Ok(Some(source)) => Json(SourceInfo::from(source)).into_response(),
        Ok(None) | Err(tidings_core::StoreError::NotFound { .. }) => not_found(),
        Err(tidings_core::StoreError::Refused(message)) => {
            error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_settings", message)
        }
        Err(e) => internal(&state, &e),
    }
}

/// Stops following a source and deletes its articles (admin token required).
#[utoipa::path(delete, path = "/api/v1/sources/{id}", tag = "sources", security(("admin_token" = [])),
    params(("id" = i64, Path, description = "Source id")),
    responses((status = 204, description = "Removed"), (status = 401, body = ApiError, description = "No bearer token, or not the admin token"),
        (status = 403, body = ApiError, description = "The server has no admin token set"), (status = 404, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn delete_source(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    if let Some(refused) = refusal(&state, &headers) {
        return refused;
    }
    let id = match source_id(path) {
        Ok(id) => id,
        Err(message) => return error(StatusCode::NOT_FOUND, "not_found", message),
    };
    match state.store.remove_source(id).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => error(StatusCode::NOT_FOUND, "not_found", format!("there is no source {id}")),
        Err(e) => internal(&state, &e),
    }
}
