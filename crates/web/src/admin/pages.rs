//! The `/admin` pages: sign-in, the sources with their health, and forms to add, import, poll, resume and
//! remove sources. Every form posts and redirects back to `/admin`, where its outcome is shown once.

use std::sync::Arc;

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use tidings_core::{ExtractMode, Source};

use super::auth::{self, AdminAuth, FLASH_COOKIE, Flash, SESSION_COOKIE, Session};
use super::{AddSource, SourceAdminError, check_url, clean_category};
use crate::pages::{ErrorPage, render, source_name};
use crate::{AppState, PageError, timefmt};

/// How long a flash message waits for the page that shows it, seconds.
const FLASH_MAX_AGE: i64 = 60;

fn html(status: StatusCode, template: &impl Template, state: &AppState) -> Response {
    match render(template) {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => PageError::internal(state, &e).into_response(),
    }
}

fn message_page(status: StatusCode, heading: &str, message: String) -> Response {
    match render(&ErrorPage { heading: heading.to_owned(), message: message.clone() }) {
        Ok(body) => (status, Html(body)).into_response(),
        Err(_) => (status, message).into_response(),
    }
}

/// The answer of every admin page when no admin token is configured.
fn disabled() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "Admin pages are off",
        "The admin pages are off because no admin token is configured. Set [web] admin_token (or \
         TIDINGS_WEB__ADMIN_TOKEN) to a secret of at least 16 characters and restart Tidings; until then, manage \
         sources with `tidings sources …`."
            .to_owned(),
    )
}

fn refused(reason: &str) -> Response {
    message_page(StatusCode::FORBIDDEN, "Refused", format!("Refused: {reason}. Use the forms on /admin."))
}

/// Why a form's request is refused before it does anything.
enum Refusal {
    /// No admin token is configured.
    Disabled,
    /// Sent from another site, or without the session's CSRF token.
    Refused(String),
    /// No valid session cookie.
    NotSignedIn,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Disabled => disabled(),
            Refusal::Refused(reason) => refused(&reason),
            Refusal::NotSignedIn => message_page(
                StatusCode::FORBIDDEN,
                "Not signed in",
                "Your admin session is missing or has expired: sign in again at /admin.".to_owned(),
            ),
        }
    }
}

/// A POST's checks before its body is read: admin on, same origin, signed in.
fn signed_in(state: &AppState, headers: &HeaderMap, uri: &Uri) -> Result<(Arc<AdminAuth>, Session), Refusal> {
    let Some(auth) = state.admin.clone() else { return Err(Refusal::Disabled) };
    if let Some(reason) = auth::cross_site(headers, uri) {
        return Err(Refusal::Refused(reason));
    }
    match auth.session(headers) {
        Some(session) => Ok((auth, session)),
        None => Err(Refusal::NotSignedIn),
    }
}

fn check_csrf(auth: &AdminAuth, session: &Session, given: &str) -> Result<(), Refusal> {
    if auth.is_csrf_token(session, given) {
        Ok(())
    } else {
        Err(Refusal::Refused(
            "the form's security token is missing or out of date (reload /admin and try again)".to_owned(),
        ))
    }
}

/// 303 to `/admin`, which shows `flash` once.
fn back(auth: &AdminAuth, headers: &HeaderMap, uri: &Uri, flash: &Flash) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/admin")]).into_response();
    let secure = auth::over_https(headers, uri);
    if let Some(cookie) = auth::set_cookie(FLASH_COOKIE, &auth.flash_value(flash), FLASH_MAX_AGE, secure) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The flash text for a failed operation; internal causes go to the log only.
fn failure(state: &AppState, error: SourceAdminError) -> Flash {
    match error {
        SourceAdminError::Internal(cause) => {
            let request_id = state.next_request_id();
            tracing::error!(%request_id, %cause, "admin action failed");
            Flash::error(format!("The server could not do that. Request id: {request_id}."))
        }
        other => Flash::error(other.to_string()),
    }
}

fn store_failure(state: &AppState, error: tidings_core::StoreError) -> Flash {
    failure(state, SourceAdminError::Internal(error.to_string()))
}

#[derive(Template)]
#[template(path = "admin_login.html")]
struct LoginPage {
    flash: Option<Flash>,
    error: Option<String>,
}

pub(crate) struct AdminSourceRow {
    id: i64,
    name: String,
    url: String,
    category: String,
    extract: &'static str,
    status: &'static str,
    failing: bool,
    disabled: bool,
    last_success: String,
    error_count: i32,
    last_error: Option<String>,
    last_error_when: String,
    next_poll: String,
}

impl AdminSourceRow {
    fn new(s: &Source, now: chrono::DateTime<Utc>) -> AdminSourceRow {
        AdminSourceRow {
            id: s.id,
            name: source_name(s),
            url: s.url.clone(),
            category: s.category.clone().unwrap_or_default(),
            extract: s.extract_mode.as_str(),
            status: if s.disabled {
                "stopped"
            } else if s.error_count > 0 {
                "failing"
            } else if s.last_success_at.is_none() {
                "not polled yet"
            } else {
                "working"
            },
            failing: s.disabled || s.error_count > 0,
            disabled: s.disabled,
            last_success: s.last_success_at.map(|t| timefmt::relative(t, now)).unwrap_or_else(|| "never".to_owned()),
            error_count: s.error_count,
            last_error: s.last_error.clone().filter(|_| s.error_count > 0 || s.disabled),
            last_error_when: s.last_error_at.map(|t| timefmt::relative(t, now)).unwrap_or_default(),
            next_poll: if s.disabled { "stopped".to_owned() } else { until(s.next_poll_at, now) },
        }
    }
}

/// "due now", "in 5 minutes", "in 3 hours": when a source is next polled.
fn until(then: chrono::DateTime<Utc>, now: chrono::DateTime<Utc>) -> String {
    let seconds = (then - now).num_seconds();
    let plural = |n: i64, unit: &str| if n == 1 { format!("in 1 {unit}") } else { format!("in {n} {unit}s") };
    match seconds {
        s if s < 60 => "due now".to_owned(),
        s if s < 3_600 => plural(s / 60, "minute"),
        s if s < 86_400 => plural(s / 3_600, "hour"),
        s => plural(s / 86_400, "day"),
    }
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    flash: Option<Flash>,
    csrf: String,
    can_add: bool,
    sources: Vec<AdminSourceRow>,
}

/// `GET /admin`: the sign-in form, or the sources with their health and the forms.
pub(super) async fn home(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let Some(auth) = state.admin.clone() else { return disabled() };
    let flash = auth.flash(&headers);
    let had_flash = flash.is_some();
    let mut response = match auth.session(&headers) {
        None => html(StatusCode::OK, &LoginPage { flash, error: None }, &state),
        Some(session) => match state.store.sources().await {
            Ok(sources) => {
                let now = Utc::now();
                let page = AdminPage {
                    flash,
                    csrf: auth.csrf_token(&session),
                    can_add: state.source_admin.is_some(),
                    sources: sources.iter().map(|s| AdminSourceRow::new(s, now)).collect(),
                };
                html(StatusCode::OK, &page, &state)
            }
            Err(e) => PageError::internal(&state, &e).into_response(),
        },
    };
    if had_flash && let Some(clear) = auth::set_cookie(FLASH_COOKIE, "", 0, auth::over_https(&headers, &uri)) {
        response.headers_mut().append(header::SET_COOKIE, clear);
    }
    response
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct LoginForm {
    token: String,
}

/// `POST /admin/login`: a session cookie for the right token; wrong ones are counted and, after a few in a
/// row, slowed down.
pub(super) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Some(auth) = state.admin.clone() else { return disabled() };
    if let Some(reason) = auth::cross_site(&headers, &uri) {
        return refused(&reason);
    }
    if let Some(wait) = auth.throttled() {
        let secs = wait.as_secs().max(1);
        let error = format!("Too many wrong tokens in a row: wait {secs} seconds, then try again.");
        let mut response = html(StatusCode::TOO_MANY_REQUESTS, &LoginPage { flash: None, error: Some(error) }, &state);
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return response;
    }
    let token = form.map(|Form(f)| f.token).unwrap_or_default();
    if !auth.is_token(&token) {
        auth.record_failure();
        tracing::warn!("admin sign-in refused: wrong token");
        let error = Some("That is not the admin token.".to_owned());
        return html(StatusCode::UNAUTHORIZED, &LoginPage { flash: None, error }, &state);
    }
    auth.record_success();
    let Some(cookie) = auth.new_session() else {
        return PageError::internal(&state, &"no random numbers for a session").into_response();
    };
    let mut response = back(&auth, &headers, &uri, &Flash::ok("Signed in."));
    if let Some(cookie) =
        auth::set_cookie(SESSION_COOKIE, &cookie, auth::SESSION_MAX_AGE, auth::over_https(&headers, &uri))
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CsrfForm {
    csrf: String,
}

/// `POST /admin/logout`: ends the session (its cookie stops working even where it was copied).
pub(super) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let (auth, session) = match signed_in(&state, &headers, &uri) {
        Ok(ok) => ok,
        Err(refusal) => return refusal.into_response(),
    };
    let form = form.map(|Form(f)| f).unwrap_or_default();
    if let Err(refusal) = check_csrf(&auth, &session, &form.csrf) {
        return refusal.into_response();
    }
    auth.revoke(&session);
    let mut response = back(&auth, &headers, &uri, &Flash::ok("Signed out."));
    if let Some(clear) = auth::set_cookie(SESSION_COOKIE, "", 0, auth::over_https(&headers, &uri)) {
        response.headers_mut().append(header::SET_COOKIE, clear);
    }
    response
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct AddForm {
    csrf: String,
    url: String,
    category: String,
    extract: String,
}

/// `POST /admin/sources`: follows a feed, or the feed a page advertises.
pub(super) async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<AddForm>, FormRejection>,
) -> Response {
    let (auth, session) = match signed_in(&state, &headers, &uri) {
        Ok(ok) => ok,
        Err(refusal) => return refusal.into_response(),
    };
    let form = form.map(|Form(f)| f).unwrap_or_default();
    if let Err(refusal) = check_csrf(&auth, &session, &form.csrf) {
        return refusal.into_response();
    }
    let flash = add_source(&state, &form).await;
    back(&auth, &headers, &uri, &flash)
}

async fn add_source(state: &AppState, form: &AddForm) -> Flash {
    let url = match check_url(&form.url) {
        Ok(url) => url,
        Err(e) => return Flash::error(e.to_string()),
    };
    let extract = match form.extract.trim() {
        "" => ExtractMode::default(),
        raw => match ExtractMode::parse(raw) {
            Some(mode) => mode,
            None => return Flash::error(format!("Full text: {raw:?} is not a choice (auto, always or never)")),
        },
    };
    let Some(admin) = &state.source_admin else { return not_here("Adding a source") };
    let request = AddSource { url: url.clone(), category: clean_category(Some(&form.category)), extract };
    match admin.add(request).await {
        Ok(source) => Flash::ok(format!("Added {} ({}); it is due for polling now.", source_name(&source), source.url)),
        Err(error) => failure(state, error),
    }
}

fn not_here(what: &str) -> Flash {
    Flash::error(format!(
        "{what} needs the poller's network access, which this process does not have: use `tidings sources …`."
    ))
}

/// `POST /admin/import` (multipart): follows every feed of an uploaded or pasted OPML document.
pub(super) async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let (auth, session) = match signed_in(&state, &headers, &uri) {
        Ok(ok) => ok,
        Err(refusal) => return refusal.into_response(),
    };
    let Ok(multipart) = multipart else {
        return refused("the import form must be sent as multipart/form-data");
    };
    let upload = match read_upload(multipart).await {
        Ok(upload) => upload,
        Err(problem) => return back(&auth, &headers, &uri, &Flash::error(problem)),
    };
    if let Err(refusal) = check_csrf(&auth, &session, &upload.csrf) {
        return refusal.into_response();
    }
    let flash = import_upload(&state, upload).await;
    back(&auth, &headers, &uri, &flash)
}

#[derive(Default)]
struct Upload {
    csrf: String,
    file_name: Option<String>,
    file: Vec<u8>,
    text: String,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, String> {
    let mut upload = Upload::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(upload),
            Err(e) => return Err(format!("OPML: the upload could not be read ({})", e.body_text())),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned).filter(|n| !n.is_empty());
        let bytes =
            field.bytes().await.map_err(|e| format!("OPML: the upload could not be read ({})", e.body_text()))?;
        match name.as_str() {
            "csrf" => upload.csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => {
                upload.file_name = file_name;
                upload.file = bytes.to_vec();
            }
            "text" => upload.text = String::from_utf8_lossy(&bytes).into_owned(),
            _ => {}
        }
    }
}

async fn import_upload(state: &AppState, upload: Upload) -> Flash {
    let (what, bytes) = if !upload.file.is_empty() {
        (upload.file_name.unwrap_or_else(|| "the uploaded file".to_owned()), upload.file)
    } else if !upload.text.trim().is_empty() {
        ("the pasted OPML".to_owned(), upload.text.into_bytes())
    } else {
        return Flash::error("OPML: choose a file or paste the OPML text");
    };
    let Some(admin) = &state.source_admin else { return not_here("Importing OPML") };
    match admin.import_opml(&bytes).await {
        Ok(report) if report.added == 0 && report.already == 0 => {
            Flash::error(format!("{what}: the OPML lists no feeds"))
        }
        Ok(report) => {
            Flash::ok(format!("Imported {} sources from {what} ({} already followed).", report.added, report.already))
        }
        Err(SourceAdminError::Invalid(problem)) => Flash::error(format!("{what}: {problem}")),
        Err(error) => failure(state, error),
    }
}

/// The source a path names, or the page to answer instead.
async fn source_of(state: &AppState, raw: &str) -> Result<Source, Response> {
    let Ok(id) = raw.parse::<i64>() else {
        return Err(message_page(StatusCode::NOT_FOUND, "Not found", format!("There is no source {raw:?}.")));
    };
    match state.store.source(id).await {
        Ok(Some(source)) => Ok(source),
        Ok(None) => Err(message_page(StatusCode::NOT_FOUND, "Not found", format!("There is no source {id}."))),
        Err(e) => Err(PageError::internal(state, &e).into_response()),
    }
}

#[derive(Template)]
#[template(path = "admin_remove.html")]
struct RemovePage {
    csrf: String,
    id: i64,
    name: String,
    url: String,
}

/// `GET /admin/sources/{id}/remove`: asks before removing.
pub(super) async fn confirm_remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    let Some(auth) = state.admin.clone() else { return disabled() };
    let Some(session) = auth.session(&headers) else {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "/admin")]).into_response();
    };
    match source_of(&state, &raw).await {
        Ok(source) => {
            let page = RemovePage {
                csrf: auth.csrf_token(&session),
                id: source.id,
                name: source_name(&source),
                url: source.url,
            };
            html(StatusCode::OK, &page, &state)
        }
        Err(response) => response,
    }
}

/// The checks shared by the per-source actions: signed in, CSRF token, and the source itself.
async fn source_action(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    raw: &str,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<(Arc<AdminAuth>, Result<Source, Flash>), Refusal> {
    let (auth, session) = signed_in(state, headers, uri)?;
    let form = form.map(|Form(f)| f).unwrap_or_default();
    check_csrf(&auth, &session, &form.csrf)?;
    let source = match raw.parse::<i64>() {
        Ok(id) => match state.store.source(id).await {
            Ok(Some(source)) => Ok(source),
            Ok(None) => Err(Flash::error(format!("Source {id}: there is no such source (removed already?)"))),
            Err(e) => Err(store_failure(state, e)),
        },
        Err(_) => Err(Flash::error(format!("Source {raw:?}: not a source id"))),
    };
    Ok((auth, source))
}

/// `POST /admin/sources/{id}/remove`: stops following a source and deletes its articles.
pub(super) async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(raw): Path<String>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let (auth, source) = match source_action(&state, &headers, &uri, &raw, form).await {
        Ok(checked) => checked,
        Err(refusal) => return refusal.into_response(),
    };
    let flash = match source {
        Ok(source) => match state.store.remove_source(source.id).await {
            Ok(_) => Flash::ok(format!("Removed {} ({}) and its articles.", source_name(&source), source.url)),
            Err(e) => store_failure(&state, e),
        },
        Err(flash) => flash,
    };
    back(&auth, &headers, &uri, &flash)
}

/// `POST /admin/sources/{id}/enable`: resumes polling a stopped source.
pub(super) async fn enable(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(raw): Path<String>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let (auth, source) = match source_action(&state, &headers, &uri, &raw, form).await {
        Ok(checked) => checked,
        Err(refusal) => return refusal.into_response(),
    };
    let flash = match source {
        Ok(source) => match state.store.enable_source(source.id, Utc::now()).await {
            Ok(()) => Flash::ok(format!("{} will be polled again; it is due now.", source_name(&source))),
            Err(e) => store_failure(&state, e),
        },
        Err(flash) => flash,
    };
    back(&auth, &headers, &uri, &flash)
}

/// `POST /admin/sources/{id}/poll`: polls a source now (or, without the poller's network access here, makes it
/// due now).
pub(super) async fn poll(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(raw): Path<String>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let (auth, source) = match source_action(&state, &headers, &uri, &raw, form).await {
        Ok(checked) => checked,
        Err(refusal) => return refusal.into_response(),
    };
    let flash = match source {
        Ok(source) => {
            let name = source_name(&source);
            match &state.source_admin {
                Some(admin) => match admin.poll_now(source.id).await {
                    Ok(result) if result.ok => Flash::ok(format!("{name}: {}", result.message)),
                    Ok(result) => Flash::error(format!("{name}: {}", result.message)),
                    Err(error) => failure(&state, error),
                },
                None => match state.store.schedule_now(source.id, Utc::now()).await {
                    Ok(()) => Flash::ok(format!("{name} is due now; the poller fetches it within seconds.")),
                    Err(e) => store_failure(&state, e),
                },
            }
        }
        Err(flash) => flash,
    };
    back(&auth, &headers, &uri, &flash)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    #[test]
    fn next_polls_read_forward() {
        let now = Utc::now();
        assert_eq!(super::until(now - Duration::minutes(3), now), "due now");
        assert_eq!(super::until(now + Duration::seconds(90), now), "in 1 minute");
        assert_eq!(super::until(now + Duration::minutes(30), now), "in 30 minutes");
        assert_eq!(super::until(now + Duration::hours(5), now), "in 5 hours");
        assert_eq!(super::until(now + Duration::days(2), now), "in 2 days");
    }
}
