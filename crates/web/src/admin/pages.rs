//! The `/admin` pages: sign-in, the sources with their health, and forms to add, import, poll, resume, rate,
//! change and remove sources. Every form posts and redirects back to `/admin`, where its outcome is shown once
//! (a source's settings that cannot be saved are shown again on their form instead).

use std::sync::Arc;

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use tidings_core::accounts::Role;
use tidings_core::{ExtractMode, Lean, Source, SourceSettingsChange, StoreError};

use super::auth::{self, AdminAuth, CrossSite, FLASH_COOKIE, Flash, SESSION_COOKIE, Session};
use super::{AddSource, BadUrl, SourceAdminError, check_url, clean_category};
use crate::community::session::Viewer;
use crate::pages::{message_page, render, source_name};
use crate::strings::Strings;
use crate::{AppState, PageError, timefmt};

/// How long a flash message waits for the page that shows it, seconds.
const FLASH_MAX_AGE: i64 = 60;

fn html(status: StatusCode, template: &impl Template, state: &AppState) -> Response {
    match render(template) {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => PageError::internal(state, &e).into_response(),
    }
}

/// The answer of every admin page when no admin token is configured.
fn disabled(t: &'static Strings) -> Response {
    message_page(t, StatusCode::NOT_FOUND, t.admin_off, t.admin_off_message.to_owned())
}

fn refused(t: &'static Strings, reason: &str) -> Response {
    message_page(t, StatusCode::FORBIDDEN, t.refused, t.with(t.refused_message, reason))
}

/// The reason a form sent from another site is refused.
fn cross_site_reason(t: &Strings, cross: &CrossSite) -> String {
    t.fill(t.refused_cross_site, &[("header", &cross.header), ("value", &cross.value)])
}

/// Why a form's request is refused before it does anything.
enum Refusal {
    /// No admin token is configured.
    Disabled(&'static Strings),
    /// Sent from another site, or without the session's CSRF token: the reason, in words.
    Refused(&'static Strings, String),
    /// No valid session cookie.
    NotSignedIn(&'static Strings),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Disabled(t) => disabled(t),
            Refusal::Refused(t, reason) => refused(t, &reason),
            Refusal::NotSignedIn(t) => {
                message_page(t, StatusCode::FORBIDDEN, t.not_signed_in, t.not_signed_in_message.to_owned())
            }
        }
    }
}

/// Who works `/admin`.
enum Signed {
    /// A session signed in with the admin token.
    Token(Session),
    /// An admin account signed in to the site, by name. Its forms carry a CSRF token derived from its site
    /// session (so any web process checks it, with no key to share) and it leaves by signing out of the site.
    Account(String),
}

impl Signed {
    /// The CSRF token of this admin's forms.
    fn csrf(&self, auth: &AdminAuth, viewer: &Viewer) -> String {
        match self {
            Signed::Token(session) => auth.csrf_token(session),
            Signed::Account(_) => viewer.admin_csrf(),
        }
    }
}

/// The admin behind a request: a session signed in with the admin token, or else an admin account signed in to
/// the site (its role read from the store on every request, so a demoted or banned admin is out at once).
fn current(auth: &AdminAuth, headers: &HeaderMap, viewer: &Viewer) -> Option<Signed> {
    if let Some(session) = auth.session(headers) {
        return Some(Signed::Token(session));
    }
    let user = viewer.user.as_ref().filter(|u| u.role == Role::Admin && !u.banned_at(Utc::now()))?;
    Some(Signed::Account(user.username.clone()))
}

/// A POST's checks before its body is read: admin on, same origin, signed in.
fn signed_in(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<(Arc<AdminAuth>, Signed), Refusal> {
    let t = state.strings;
    let Some(auth) = state.admin.clone() else { return Err(Refusal::Disabled(t)) };
    if let Some(cross) = auth::cross_site(headers, uri) {
        return Err(Refusal::Refused(t, cross_site_reason(t, &cross)));
    }
    match current(&auth, headers, viewer) {
        Some(signed) => Ok((auth, signed)),
        None if auth.token_configured() => Err(Refusal::NotSignedIn(t)),
        None => Err(Refusal::Disabled(t)),
    }
}

fn check_csrf(
    state: &AppState,
    auth: &AdminAuth,
    viewer: &Viewer,
    signed: &Signed,
    given: &str,
) -> Result<(), Refusal> {
    let ok = match signed {
        Signed::Token(session) => auth.is_csrf_token(session, given),
        Signed::Account(_) => viewer.admin_csrf_ok(given),
    };
    if ok { Ok(()) } else { Err(Refusal::Refused(state.strings, state.strings.refused_csrf.to_owned())) }
}

/// 303 to `/admin`, which shows `flash` once.
fn back(auth: &AdminAuth, headers: &HeaderMap, uri: &Uri, flash: &Flash) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/admin")]).into_response();
    let secure = auth::over_https(headers, uri);
    if let Some(cookie) =
        auth.flash_value(flash, headers).and_then(|value| auth::set_cookie(FLASH_COOKIE, &value, FLASH_MAX_AGE, secure))
    {
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
            Flash::error(state.strings.with(state.strings.admin_internal_error, request_id))
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
    t: &'static Strings,
    flash: Option<Flash>,
    error: Option<String>,
}

pub(crate) struct AdminSourceRow {
    id: i64,
    name: String,
    url: String,
    category: String,
    /// The full-text mode, in words.
    extract: &'static str,
    /// Its own skip rules, in a line; empty when it has none.
    skip_rules: String,
    /// Its lean's stored name; empty when it has none.
    lean: &'static str,
    status: &'static str,
    failing: bool,
    disabled: bool,
    last_success: String,
    error_count: i32,
    /// The last error and when it happened, in a sentence.
    last_error: Option<String>,
    next_poll: String,
}

impl AdminSourceRow {
    fn new(t: &'static Strings, s: &Source, now: chrono::DateTime<Utc>) -> AdminSourceRow {
        AdminSourceRow {
            id: s.id,
            name: source_name(t, s),
            url: s.url.clone(),
            category: s.category.clone().unwrap_or_default(),
            extract: match s.extract_mode {
                ExtractMode::Auto => t.extract_auto,
                ExtractMode::Always => t.extract_always,
                ExtractMode::Never => t.extract_never,
            },
            skip_rules: if s.skip_rules.is_empty() {
                String::new()
            } else {
                t.fill(t.skip_rules_line, &[("rules", &s.skip_rules.join("   "))])
            },
            lean: s.lean.map_or("", Lean::as_str),
            status: if s.disabled {
                t.stopped
            } else if s.error_count > 0 {
                t.status_failing
            } else if s.last_success_at.is_none() {
                t.status_not_polled
            } else {
                t.status_working
            },
            failing: s.disabled || s.error_count > 0,
            disabled: s.disabled,
            last_success: s.last_success_at.map_or_else(|| t.never.to_owned(), |at| timefmt::relative(t, at, now)),
            error_count: s.error_count,
            last_error: s.last_error.as_ref().filter(|_| s.error_count > 0 || s.disabled).map(|error| {
                let when = s.last_error_at.map(|at| timefmt::relative(t, at, now)).unwrap_or_default();
                t.fill(t.last_error_line, &[("when", &when), ("error", error)])
            }),
            next_poll: if s.disabled { t.stopped.to_owned() } else { timefmt::until(t, s.next_poll_at, now) },
        }
    }
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    t: &'static Strings,
    flash: Option<Flash>,
    csrf: String,
    /// The admin account's name when signed in as one (signing out of `/admin` signs it out of the site).
    account: Option<String>,
    can_add: bool,
    sources: Vec<AdminSourceRow>,
    /// The leans a source can be given: (stored name, words), "not rated" first.
    lean_choices: Vec<(&'static str, &'static str)>,
    /// Failed machine-written summaries (`[llm]`), latest first; empty when there are none (or it is off).
    summary_failures: Vec<SummaryFailureRow>,
}

/// Failed machine-written summaries shown at most.
const SUMMARY_FAILURES_SHOWN: i64 = 20;

/// A failed machine-written summary, as its row on `/admin` shows it.
pub(crate) struct SummaryFailureRow {
    article_id: i64,
    title: String,
    /// The error, naming the endpoint.
    error: String,
    /// When it failed and how often in a row, in words.
    when: String,
    /// When it is tried again, in words.
    next: String,
}

impl SummaryFailureRow {
    fn new(t: &'static Strings, f: tidings_core::MachineSummaryFailure, now: chrono::DateTime<Utc>) -> Self {
        let attempts = t.count(&t.failed_attempts, i64::from(f.attempts));
        SummaryFailureRow {
            article_id: f.article_id,
            title: f.title,
            error: f.error,
            when: format!("{} · {attempts}", timefmt::relative(t, f.failed_at, now)),
            next: f
                .next_attempt_at
                .map_or_else(|| t.machine_summary_given_up.to_owned(), |at| timefmt::until(t, at, now)),
        }
    }
}

/// `GET /admin`: the sign-in form, or the sources with their health and the forms.
pub(super) async fn home(State(state): State<AppState>, viewer: Viewer, headers: HeaderMap, uri: Uri) -> Response {
    let t = state.strings;
    let Some(auth) = state.admin.clone() else { return disabled(t) };
    let flash = auth.flash(&headers);
    let had_flash = flash.is_some();
    let mut response = match current(&auth, &headers, &viewer) {
        None if !auth.token_configured() => disabled(t),
        None => html(StatusCode::OK, &LoginPage { t, flash, error: None }, &state),
        Some(signed) => match admin_lists(&state).await {
            Ok((sources, failures)) => {
                let now = Utc::now();
                let page = AdminPage {
                    t,
                    flash,
                    csrf: signed.csrf(&auth, &viewer),
                    account: match signed {
                        Signed::Account(name) => Some(name),
                        Signed::Token(_) => None,
                    },
                    can_add: state.source_admin.is_some(),
                    sources: sources.iter().map(|s| AdminSourceRow::new(t, s, now)).collect(),
                    lean_choices: lean_choices(t),
                    summary_failures: failures.into_iter().map(|f| SummaryFailureRow::new(t, f, now)).collect(),
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

/// What `/admin` lists: the sources, and the failed machine-written summaries.
async fn admin_lists(
    state: &AppState,
) -> Result<(Vec<Source>, Vec<tidings_core::MachineSummaryFailure>), tidings_core::StoreError> {
    let sources = state.store.sources().await?;
    let failures = state.store.machine_summaries().machine_summary_failures(SUMMARY_FAILURES_SHOWN).await?;
    Ok((sources, failures))
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
    let t = state.strings;
    let Some(auth) = state.admin.clone().filter(|auth| auth.token_configured()) else { return disabled(t) };
    if let Some(cross) = auth::cross_site(&headers, &uri) {
        return refused(t, &cross_site_reason(t, &cross));
    }
    if let Some(wait) = auth.throttled() {
        let secs = wait.as_secs().max(1);
        let error = Some(t.count(&t.too_many_tokens, secs));
        let mut response = html(StatusCode::TOO_MANY_REQUESTS, &LoginPage { t, flash: None, error }, &state);
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return response;
    }
    let token = form.map(|Form(f)| f.token).unwrap_or_default();
    if !auth.is_token(&token) {
        auth.record_failure();
        tracing::warn!("admin sign-in refused: wrong token");
        let error = Some(t.wrong_token.to_owned());
        return html(StatusCode::UNAUTHORIZED, &LoginPage { t, flash: None, error }, &state);
    }
    auth.record_success();
    let Some(cookie) = auth.new_session() else {
        return PageError::internal(&state, &"no random numbers for a session").into_response();
    };
    let mut response = back(&auth, &headers, &uri, &Flash::ok(t.signed_in));
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
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let (auth, signed) = match signed_in(&state, &viewer, &headers, &uri) {
        Ok(ok) => ok,
        Err(refusal) => return refusal.into_response(),
    };
    let form = form.map(|Form(f)| f).unwrap_or_default();
    if let Err(refusal) = check_csrf(&state, &auth, &viewer, &signed, &form.csrf) {
        return refusal.into_response();
    }
    let secure = auth::over_https(&headers, &uri);
    let clear = match signed {
        Signed::Token(session) => {
            auth.revoke(&session);
            auth::set_cookie(SESSION_COOKIE, "", 0, secure)
        }
        // An admin account is signed in to /admin by its site session: signing out here ends that session.
        Signed::Account(_) => {
            if let Some(hash) = viewer.session_hash()
                && let Err(e) = state.store.accounts().delete_session(&hash).await
            {
                return PageError::internal(&state, &e).into_response();
            }
            crate::community::session::session_cookie("", 0, secure)
        }
    };
    let mut response = back(&auth, &headers, &uri, &Flash::ok(state.strings.signed_out));
    if let Some(clear) = clear {
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
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<AddForm>, FormRejection>,
) -> Response {
    let (auth, signed) = match signed_in(&state, &viewer, &headers, &uri) {
        Ok(ok) => ok,
        Err(refusal) => return refusal.into_response(),
    };
    let form = form.map(|Form(f)| f).unwrap_or_default();
    if let Err(refusal) = check_csrf(&state, &auth, &viewer, &signed, &form.csrf) {
        return refusal.into_response();
    }
    let flash = add_source(&state, &form).await;
    back(&auth, &headers, &uri, &flash)
}

async fn add_source(state: &AppState, form: &AddForm) -> Flash {
    let t = state.strings;
    let url = match check_url(&form.url) {
        Ok(url) => url,
        Err(BadUrl::Empty) => return Flash::error(t.url_empty),
        Err(BadUrl::NotWeb(url)) => return Flash::error(t.with(t.url_not_web, url)),
    };
    let extract = match form.extract.trim() {
        "" => ExtractMode::default(),
        raw => match ExtractMode::parse(raw) {
            Some(mode) => mode,
            None => return Flash::error(t.with(t.extract_not_a_choice, t.quote(raw))),
        },
    };
    let Some(admin) = &state.source_admin else { return Flash::error(t.cannot_add_here) };
    let request = AddSource { url: url.clone(), category: clean_category(Some(&form.category)), extract };
    match admin.add(request).await {
        Ok(source) => Flash::ok(t.fill(t.added, &[("name", &source_name(t, &source)), ("url", &source.url)])),
        Err(error) => failure(state, error),
    }
}

/// `POST /admin/import` (multipart): follows every feed of an uploaded or pasted OPML document.
pub(super) async fn import(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let (auth, signed) = match signed_in(&state, &viewer, &headers, &uri) {
        Ok(ok) => ok,
        Err(refusal) => return refusal.into_response(),
    };
    let t = state.strings;
    let Ok(multipart) = multipart else {
        return refused(t, t.refused_not_multipart);
    };
    let upload = match read_upload(multipart).await {
        Ok(upload) => upload,
        Err(problem) => return back(&auth, &headers, &uri, &Flash::error(t.with(t.upload_unreadable, problem))),
    };
    if let Err(refusal) = check_csrf(&state, &auth, &viewer, &signed, &upload.csrf) {
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

/// The form's fields, or why the upload could not be read (axum's words).
async fn read_upload(mut multipart: Multipart) -> Result<Upload, String> {
    let mut upload = Upload::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(upload),
            Err(e) => return Err(e.body_text()),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned).filter(|n| !n.is_empty());
        let bytes = field.bytes().await.map_err(|e| e.body_text())?;
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
    let t = state.strings;
    let (what, bytes) = if !upload.file.is_empty() {
        (upload.file_name.unwrap_or_else(|| t.uploaded_file.to_owned()), upload.file)
    } else if !upload.text.trim().is_empty() {
        (t.pasted_opml.to_owned(), upload.text.into_bytes())
    } else {
        return Flash::error(t.opml_missing);
    };
    let Some(admin) = &state.source_admin else { return Flash::error(t.cannot_import_here) };
    match admin.import_opml(&bytes).await {
        Ok(report) if report.added == 0 && report.already == 0 => Flash::error(t.with(t.opml_no_feeds, what)),
        Ok(report) => {
            Flash::ok(t.count_with(&t.imported, report.added, &[("what", &what), ("already", &report.already)]))
        }
        Err(SourceAdminError::Invalid(problem)) => Flash::error(format!("{what}: {problem}")),
        Err(error) => failure(state, error),
    }
}

/// The source a path names, or the page to answer instead.
async fn source_of(state: &AppState, raw: &str) -> Result<Source, Response> {
    let t = state.strings;
    let Ok(id) = raw.parse::<i64>() else {
        return Err(message_page(t, StatusCode::NOT_FOUND, t.not_found, t.with(t.no_source, t.quote(raw))));
    };
    match state.store.source(id).await {
        Ok(Some(source)) => Ok(source),
        Ok(None) => Err(message_page(t, StatusCode::NOT_FOUND, t.not_found, t.with(t.no_source, id))),
        Err(e) => Err(PageError::internal(state, &e).into_response()),
    }
}

#[derive(Template)]
#[template(path = "admin_remove.html")]
struct RemovePage {
    t: &'static Strings,
    csrf: String,
    id: i64,
    name: String,
    url: String,
}

/// `GET /admin/sources/{id}/remove`: asks before removing.
pub(super) async fn confirm_remove(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    let t = state.strings;
    let Some(auth) = state.admin.clone() else { return disabled(t) };
    let Some(signed) = current(&auth, &headers, &viewer) else {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "/admin")]).into_response();
    };
    match source_of(&state, &raw).await {
        Ok(source) => {
            let page = RemovePage {
                t,
                csrf: signed.csrf(&auth, &viewer),
                id: source.id,
                name: source_name(t, &source),
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
    viewer: &Viewer,
    headers: &HeaderMap,
    uri: &Uri,
    raw: &str,
    csrf: &str,
) -> Result<(Arc<AdminAuth>, Result<Source, Flash>), Refusal> {
    let t = state.strings;
    let (auth, signed) = signed_in(state, viewer, headers, uri)?;
    check_csrf(state, &auth, viewer, &signed, csrf)?;
    let source = match raw.parse::<i64>() {
        Ok(id) => match state.store.source(id).await {
            Ok(Some(source)) => Ok(source),
            Ok(None) => Err(Flash::error(t.with(t.source_gone, id))),
            Err(e) => Err(store_failure(state, e)),
        },
        Err(_) => Err(Flash::error(t.with(t.not_a_source_id, t.quote(raw)))),
    };
    Ok((auth, source))
}

/// `POST /admin/sources/{id}/remove`: stops following a source and deletes its articles.
pub(super) async fn remove(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(raw): Path<String>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let csrf = form.map(|Form(f)| f.csrf).unwrap_or_default();
    let (auth, source) = match source_action(&state, &viewer, &headers, &uri, &raw, &csrf).await {
        Ok(checked) => checked,
        Err(refusal) => return refusal.into_response(),
    };
    let flash = match source {
        Ok(source) => match state.store.remove_source(source.id).await {
            Ok(_) => {
                let t = state.strings;
                Flash::ok(t.fill(t.removed, &[("name", &source_name(t, &source)), ("url", &source.url)]))
            }
            Err(e) => store_failure(&state, e),
        },
        Err(flash) => flash,
    };
    back(&auth, &headers, &uri, &flash)
}

/// `POST /admin/sources/{id}/enable`: resumes polling a stopped source.
pub(super) async fn enable(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(raw): Path<String>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let csrf = form.map(|Form(f)| f.csrf).unwrap_or_default();
    let (auth, source) = match source_action(&state, &viewer, &headers, &uri, &raw, &csrf).await {
        Ok(checked) => checked,
        Err(refusal) => return refusal.into_response(),
    };
    let flash = match source {
        Ok(source) => match state.store.enable_source(source.id, Utc::now()).await {
            Ok(()) => Flash::ok(state.strings.with(state.strings.resumed, source_name(state.strings, &source))),
            Err(e) => store_failure(&state, e),
        },
        Err(flash) => flash,
    };
    back(&auth, &headers, &uri, &flash)
}

/// What the lean form of a source sends.
#[derive(Debug, Default, Deserialize)]
pub(super) struct LeanForm {
    #[serde(default)]
    csrf: String,
    /// A lean's stored name; empty for none.
    #[serde(default)]
    lean: String,
}

/// `POST /admin/sources/{id}/lean`: rates (or unrates) a source's political lean.
pub(super) async fn set_lean(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(raw): Path<String>,
    form: Result<Form<LeanForm>, FormRejection>,
) -> Response {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let (auth, source) = match source_action(&state, &viewer, &headers, &uri, &raw, &form.csrf).await {
        Ok(checked) => checked,
        Err(refusal) => return refusal.into_response(),
    };
    let t = state.strings;
    let flash = match source {
        Ok(source) => {
            let lean = if form.lean.is_empty() { Some(None) } else { Lean::parse(&form.lean).map(Some) };
            match lean {
                None => Flash::error(t.with(t.not_a_lean, t.quote(&form.lean))),
                Some(lean) => match state.store.set_lean(source.id, lean).await {
                    Ok(()) => {
                        let words = lean.map_or(t.lean_not_rated, |l| crate::lean::lean_name(t, l));
                        Flash::ok(t.fill(t.lean_set, &[("name", &source_name(t, &source)), ("lean", &words)]))
                    }
                    Err(e) => store_failure(&state, e),
                },
            }
        }
        Err(flash) => flash,
    };
    back(&auth, &headers, &uri, &flash)
}

/// The leans a source can be given: (stored name, words), "not rated" first.
fn lean_choices(t: &'static Strings) -> Vec<(&'static str, &'static str)> {
    std::iter::once(("", t.lean_not_rated))
        .chain(Lean::ALL.map(|l| (l.as_str(), crate::lean::lean_name(t, l))))
        .collect()
}

#[derive(Template)]
#[template(path = "admin_source.html")]
struct SettingsPage {
    t: &'static Strings,
    csrf: String,
    id: i64,
    name: String,
    url: String,
    /// Why what was sent is not saved, when it is not.
    error: Option<String>,
    category: String,
    /// The full-text mode's stored name.
    extract: String,
    /// The lean's stored name; empty for none.
    lean: String,
    /// One rule a line.
    skip_rules: String,
    /// (stored name, words) of each full-text mode.
    extract_choices: Vec<(&'static str, &'static str)>,
    lean_choices: Vec<(&'static str, &'static str)>,
}

impl SettingsPage {
    /// The page for `source`, its fields filled from `form` (what was sent, kept when it is refused) or else
    /// from what is stored.
    fn new(t: &'static Strings, csrf: String, source: &Source, form: Option<&SettingsForm>) -> SettingsPage {
        let stored = || SettingsForm {
            csrf: String::new(),
            category: source.category.clone().unwrap_or_default(),
            extract: source.extract_mode.as_str().to_owned(),
            lean: source.lean.map_or("", Lean::as_str).to_owned(),
            skip_rules: source.skip_rules.join("\n"),
        };
        let fields = form.cloned().unwrap_or_else(stored);
        SettingsPage {
            t,
            csrf,
            id: source.id,
            name: source_name(t, source),
            url: source.url.clone(),
            error: None,
            category: fields.category,
            extract: fields.extract,
            lean: fields.lean,
            skip_rules: fields.skip_rules,
            extract_choices: vec![
                (ExtractMode::Auto.as_str(), t.extract_auto_option),
                (ExtractMode::Always.as_str(), t.extract_always_option),
                (ExtractMode::Never.as_str(), t.extract_never_option),
            ],
            lean_choices: lean_choices(t),
        }
    }
}

/// `GET /admin/sources/{id}/settings`: a source's category, full-text mode, lean and skip rules, in one form.
pub(super) async fn settings(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    let t = state.strings;
    let Some(auth) = state.admin.clone() else { return disabled(t) };
    let Some(signed) = current(&auth, &headers, &viewer) else {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "/admin")]).into_response();
    };
    match source_of(&state, &raw).await {
        Ok(source) => html(StatusCode::OK, &SettingsPage::new(t, signed.csrf(&auth, &viewer), &source, None), &state),
        Err(response) => response,
    }
}

/// What the settings form sends.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct SettingsForm {
    csrf: String,
    category: String,
    extract: String,
    lean: String,
    /// One rule a line, spaces kept; blank lines are ignored.
    skip_rules: String,
}

impl SettingsForm {
    /// The change it asks for, or why it cannot be made, in words.
    fn change(&self, t: &'static Strings) -> Result<SourceSettingsChange, String> {
        let extract = ExtractMode::parse(self.extract.trim())
            .ok_or_else(|| t.with(t.extract_not_a_choice, t.quote(&self.extract)))?;
        let lean = match self.lean.trim() {
            "" => None,
            raw => Some(Lean::parse(raw).ok_or_else(|| t.with(t.not_a_lean, t.quote(raw)))?),
        };
        // Lines as typed (`lines` drops the `\r` of a form's line breaks): spaces at either end of a regular
        // expression are part of it, and a rule set by the CLI or the API with them must survive saving the form.
        let rules = self.skip_rules.lines().filter(|r| !r.trim().is_empty()).map(str::to_owned).collect();
        let change = SourceSettingsChange {
            category: Some(clean_category(Some(&self.category))),
            extract_mode: Some(extract),
            lean: Some(lean),
            skip_rules: Some(rules),
        };
        change.check().map(|()| change)
    }
}

/// `POST /admin/sources/{id}/settings`: saves a source's settings, all together; what cannot be saved is shown
/// on the form again, with what was typed.
pub(super) async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(raw): Path<String>,
    form: Result<Form<SettingsForm>, FormRejection>,
) -> Response {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let (auth, source) = match source_action(&state, &viewer, &headers, &uri, &raw, &form.csrf).await {
        Ok(checked) => checked,
        Err(refusal) => return refusal.into_response(),
    };
    let t = state.strings;
    let source = match source {
        Ok(source) => source,
        Err(flash) => return back(&auth, &headers, &uri, &flash),
    };
    let refuse = |problem: String| {
        let page =
            SettingsPage { error: Some(problem), ..SettingsPage::new(t, form.csrf.clone(), &source, Some(&form)) };
        html(StatusCode::UNPROCESSABLE_ENTITY, &page, &state)
    };
    let change = match form.change(t) {
        Ok(change) => change,
        Err(problem) => return refuse(problem),
    };
    let flash = match state.store.update_source_settings(source.id, &change).await {
        Ok(()) => Flash::ok(t.with(t.settings_saved, source_name(t, &source))),
        Err(StoreError::Refused(problem)) => return refuse(problem),
        Err(StoreError::NotFound { .. }) => Flash::error(t.with(t.source_gone, source.id)),
        Err(e) => store_failure(&state, e),
    };
    back(&auth, &headers, &uri, &flash)
}

/// `POST /admin/sources/{id}/poll`: polls a source now (or, without the poller's network access here, makes it
/// due now).
pub(super) async fn poll(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(raw): Path<String>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let csrf = form.map(|Form(f)| f.csrf).unwrap_or_default();
    let (auth, source) = match source_action(&state, &viewer, &headers, &uri, &raw, &csrf).await {
        Ok(checked) => checked,
        Err(refusal) => return refusal.into_response(),
    };
    let flash = match source {
        Ok(source) => {
            let t = state.strings;
            let name = source_name(t, &source);
            match &state.source_admin {
                Some(admin) => match admin.poll_now(source.id).await {
                    Ok(result) if result.ok => Flash::ok(format!("{name}: {}", result.message)),
                    Ok(result) => Flash::error(format!("{name}: {}", result.message)),
                    Err(error) => failure(&state, error),
                },
                None => match state.store.schedule_now(source.id, Utc::now()).await {
                    Ok(()) => Flash::ok(t.with(t.made_due, name)),
                    Err(e) => store_failure(&state, e),
                },
            }
        }
        Err(flash) => flash,
    };
    back(&auth, &headers, &uri, &flash)
}
