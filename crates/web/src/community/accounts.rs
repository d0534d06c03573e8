//! Signing up, in and out; the account page (password, second factor, API tokens, what is followed, export
//! and deletion); password resets by one-time link.

use askama::Template;
use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{TimeDelta, Utc};
use serde::Deserialize;
use tidings_community::{names, password, tokens, totp};
use tidings_core::StoreError;
use tidings_core::accounts::{ApiToken, Follow, NewUser, OneTimePurpose, Role, User};
use tidings_core::config::SignupMode;

use crate::admin::auth::over_https;

use super::session::{self, Viewer};
use super::{Guard, local_next, refused, see_other, see_other_with_cookie};
use crate::pages::render;
use crate::strings::Strings;
use crate::{AppState, PageError};

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    t: &'static Strings,
    mode: SignupMode,
    invite: String,
    username: String,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: &'static Strings,
    /// Whether "forgot your password" can mail a link.
    mail: bool,
    username: String,
    next: String,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct NextQuery {
    next: Option<String>,
    invite: Option<String>,
    done: Option<String>,
}

fn html(status: StatusCode, template: &impl Template) -> Response {
    match render(template) {
        Ok(body) => (status, axum::response::Html(body)).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("rendering failed: {e}")).into_response(),
    }
}

/// `GET /signup`.
pub(crate) async fn signup_page(State(state): State<AppState>, Query(q): Query<NextQuery>) -> Response {
    let t = state.strings;
    html(
        StatusCode::OK,
        &SignupPage {
            t,
            mode: state.community.config.signup,
            invite: q.invite.unwrap_or_default(),
            username: String::new(),
            email: String::new(),
            next: local_next(q.next.as_deref()),
            error: None,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SignupForm {
    username: String,
    email: String,
    password: String,
    confirm: String,
    invite: String,
    next: String,
}

/// `POST /signup`.
pub(crate) async fn signup(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    request: axum::extract::Request,
) -> Response {
    let (form, _) = or_return!(Guard::anonymous_form::<SignupForm>(&state, &headers, &uri, request).await);
    let t = state.strings;
    let mode = state.community.config.signup;
    let again = |status: StatusCode, error: String| {
        html(
            status,
            &SignupPage {
                t,
                mode,
                invite: form.invite.clone(),
                username: form.username.clone(),
                email: form.email.clone(),
                next: local_next(Some(&form.next)),
                error: Some(error),
            },
        )
    };
    let accounts = state.store.accounts();
    let invite_hash = tokens::hash(form.invite.trim());
    match mode {
        SignupMode::Closed => return again(StatusCode::FORBIDDEN, t.signup_closed.to_owned()),
        SignupMode::Invite => {
            match accounts.peek_one_time_token(OneTimePurpose::Invite, &invite_hash, Utc::now()).await {
                Ok(Some(_)) => {}
                Ok(None) => return again(StatusCode::FORBIDDEN, t.invite_invalid.to_owned()),
                Err(e) => return PageError::internal(&state, &e).into_response(),
            }
        }
        SignupMode::Open => {}
    }
    let username = match names::check_username(&form.username) {
        Ok(name) => name,
        Err(why) => return again(StatusCode::UNPROCESSABLE_ENTITY, why),
    };
    let email = Some(form.email.trim().to_owned()).filter(|e| !e.is_empty());
    if email.as_deref().is_some_and(|e| !plausible_email(e)) {
        return again(StatusCode::UNPROCESSABLE_ENTITY, t.bad_email.to_owned());
    }
    if let Err(why) = password::check_new(&form.password, &username) {
        return again(StatusCode::UNPROCESSABLE_ENTITY, why);
    }
    if form.password != form.confirm {
        return again(StatusCode::UNPROCESSABLE_ENTITY, t.passwords_differ.to_owned());
    }
    let hash = match hash_password(form.password.clone()).await {
        Ok(hash) => hash,
        Err(e) => return PageError::internal(&state, &e).into_response(),
    };
    if mode == SignupMode::Invite {
        match accounts.take_one_time_token(OneTimePurpose::Invite, &invite_hash, Utc::now()).await {
            Ok(Some(_)) => {}
            Ok(None) => return again(StatusCode::FORBIDDEN, t.invite_invalid.to_owned()),
            Err(e) => return PageError::internal(&state, &e).into_response(),
        }
    }
    let new_user = NewUser { username, email, password_hash: hash, role: Role::Reader, created_at: Utc::now() };
    let user = match accounts.create_user(new_user).await {
        Ok(user) => user,
        Err(StoreError::Duplicate { what, value }) => {
            return again(StatusCode::CONFLICT, t.fill(t.name_taken, &[("what", &what), ("value", &value)]));
        }
        Err(e) => return PageError::internal(&state, &e).into_response(),
    };
    tracing::info!(user = %user.username, "account created");
    start_session(&state, &headers, &uri, &user, &local_next(Some(&form.next))).await
}

/// A rough check: something, `@`, a host with a dot; the mail itself is the real test.
fn plausible_email(email: &str) -> bool {
    let Some((local, host)) = email.rsplit_once('@') else { return false };
    !local.is_empty()
        && host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Hashes off the async threads: argon2id takes tens of milliseconds on purpose.
pub(crate) async fn hash_password(plain: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || password::hash(&plain).map_err(|e| e.to_string()))
        .await
        .map_err(|e| format!("hashing a password: {e}"))?
}

async fn verify_password(plain: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || password::verify(&plain, &hash)).await.unwrap_or(false)
}

/// Starts a session for `user` and sends the reader to `next` with its cookie.
async fn start_session(state: &AppState, headers: &HeaderMap, uri: &Uri, user: &User, next: &str) -> Response {
    let Some(token) = tokens::new_token() else {
        return PageError::internal(state, &"the system gave no random numbers for a session").into_response();
    };
    let now = Utc::now();
    let days = i64::from(state.community.config.session_days);
    let accounts = state.store.accounts();
    if let Err(e) = accounts.create_session(&tokens::hash(&token), user.id, now, now + TimeDelta::days(days)).await {
        return PageError::internal(state, &e).into_response();
    }
    if let Err(e) = accounts.record_login(user.id, now).await {
        tracing::warn!(error = %e, "recording a sign-in failed");
    }
    let cookie = session::session_cookie(&token, session::session_max_age(state), over_https(headers, uri));
    see_other_with_cookie(next, cookie)
}

/// `GET /login`.
pub(crate) async fn login_page(State(state): State<AppState>, Query(q): Query<NextQuery>) -> Response {
    let t = state.strings;
    let notice = match q.done.as_deref() {
        Some("reset") => Some(t.password_was_reset.to_owned()),
        Some("deleted") => Some(t.account_deleted.to_owned()),
        _ => None,
    };
    html(
        StatusCode::OK,
        &LoginPage {
            t,
            mail: state.community.config.smtp_relay().is_some(),
            username: String::new(),
            next: local_next(q.next.as_deref()),
            notice,
            error: None,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    code: String,
    next: String,
}

/// `POST /login`.
pub(crate) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    request: axum::extract::Request,
) -> Response {
    let (form, ip) = or_return!(Guard::anonymous_form::<LoginForm>(&state, &headers, &uri, request).await);
    let t = state.strings;
    let next = local_next(Some(&form.next));
    let again = |status: StatusCode, error: String| {
        html(
            status,
            &LoginPage {
                t,
                mail: state.community.config.smtp_relay().is_some(),
                username: form.username.clone(),
                next: next.clone(),
                notice: None,
                error: Some(error),
            },
        )
    };
    let mut keys = vec![format!("user:{}", form.username.trim().to_lowercase())];
    if let Some(ip) = ip {
        keys.push(format!("ip:{ip}"));
    }
    let throttle = &state.community.throttle;
    let accounts = state.store.accounts();
    // Counted as a failure before the password is checked (a success clears it), so that guesses sent all at
    // once cannot all pass the same check.
    match throttle.begin_login(accounts, &keys).await {
        Ok(Some(wait)) => return again(StatusCode::TOO_MANY_REQUESTS, t.with(t.login_wait, wait.as_secs().max(1))),
        Ok(None) => {}
        Err(e) => return PageError::internal(&state, &e).into_response(),
    }
    let credentials = match state.store.accounts().credentials(form.username.trim()).await {
        Ok(c) => c,
        Err(e) => return PageError::internal(&state, &e).into_response(),
    };
    // A missing account costs the same hashing time as a wrong password, so timing does not reveal names.
    const NO_SUCH_ACCOUNT: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$0000000000000000000000000000000000000000000";
    let hash = credentials.as_ref().map(|c| c.password_hash.clone()).unwrap_or_else(|| NO_SUCH_ACCOUNT.to_owned());
    let password_ok = verify_password(form.password.clone(), hash).await;
    let Some(credentials) = credentials.filter(|_| password_ok) else {
        tracing::info!(username = %form.username.trim(), "sign-in failed: wrong name or password");
        return again(StatusCode::UNAUTHORIZED, t.wrong_login.to_owned());
    };
    if let Some(stored) = &credentials.totp_secret {
        if form.code.trim().is_empty() {
            if let Err(error) = throttle.login_undecided(accounts, &keys).await {
                tracing::error!(%error, "taking back a sign-in attempt that asked for the code");
            }
            return again(StatusCode::UNAUTHORIZED, t.code_needed.to_owned());
        }
        let user = &credentials.user;
        let secret = match totp::unseal(state.sealing_key.as_deref(), user.id, stored) {
            Ok(secret) => secret,
            Err(error) => {
                // The reader cannot fix this; the operator can (the key file, or `tidings users remove-2fa`).
                tracing::error!(username = %user.username, %error,
                    "sign-in refused: the account's second factor cannot be read (check [accounts] secret_key_file, \
                     or turn it off with `tidings users remove-2fa`)");
                return again(StatusCode::UNAUTHORIZED, t.code_wrong.to_owned());
            }
        };
        let Some(step) = totp::verify_step(&secret, &form.code, Utc::now().timestamp()) else {
            return again(StatusCode::UNAUTHORIZED, t.code_wrong.to_owned());
        };
        // A code is good once: one seen over a shoulder or relayed by a phishing page is refused the second time.
        match accounts.use_totp_step(user.id, step).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(username = %user.username, "sign-in refused: its second-factor code was used already");
                return again(StatusCode::UNAUTHORIZED, t.code_used.to_owned());
            }
            Err(e) => return PageError::internal(&state, &e).into_response(),
        }
        // Stored plain before a key was configured: sealed now that it is known to be right (unless the reader
        // turned it off or set up another one meanwhile).
        if let Some(key) = state.sealing_key.as_deref()
            && !totp::is_sealed(stored)
            && let Some(sealed) = totp::seal(key, user.id, &secret)
            && let Err(error) = accounts.reseal_totp(user.id, stored, &sealed).await
        {
            tracing::error!(%error, username = %user.username, "sealing a second-factor secret stored plain");
        }
    }
    if let Err(error) = throttle.login_succeeded(accounts, &keys).await {
        tracing::error!(%error, "forgetting failed sign-ins after a sign-in");
    }
    start_session(&state, &headers, &uri, &credentials.user, &next).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct CsrfForm {
    csrf: String,
}

/// `POST /logout`.
pub(crate) async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(refusal) = Guard::form(&state, &viewer, &headers, &uri, &form.csrf) {
        return refusal;
    }
    if let Some(hash) = viewer.session_hash()
        && let Err(e) = state.store.accounts().delete_session(&hash).await
    {
        return PageError::internal(&state, &e).into_response();
    }
    let mut response = see_other_with_cookie("/", session::session_cookie("", 0, over_https(&headers, &uri)));
    // Pages kept by the browser while signed in go with the session.
    response
        .headers_mut()
        .insert(header::HeaderName::from_static("clear-site-data"), header::HeaderValue::from_static("\"cache\""));
    response
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    t: &'static Strings,
    user: User,
    signed_in_line: String,
    csrf: String,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    follows: Vec<FollowRow>,
    totp_setup: Option<TotpSetup>,
    message: Option<String>,
    error: Option<String>,
}

struct TokenRow {
    id: i64,
    label: String,
    created: String,
    last_used: String,
}

pub(crate) struct FollowRow {
    pub(crate) kind: &'static str,
    pub(crate) key: String,
    pub(crate) label: String,
    pub(crate) href: String,
}

struct TotpSetup {
    secret: String,
    uri: String,
}

impl TokenRow {
    fn new(t: &'static Strings, token: ApiToken) -> TokenRow {
        TokenRow {
            id: token.id,
            label: token.label,
            created: crate::timefmt::absolute(t, token.created_at),
            last_used: token
                .last_used_at
                .map(|at| crate::timefmt::absolute(t, at))
                .unwrap_or_else(|| t.never.to_owned()),
        }
    }
}

/// How a followed thing is shown and linked.
pub(crate) async fn follow_row(state: &AppState, follow: Follow) -> FollowRow {
    use tidings_core::accounts::FollowKind;
    let (label, href) = match follow.kind {
        FollowKind::Topic => (follow.key.clone(), format!("/topics/{}", crate::topics::path_segment(&follow.key))),
        FollowKind::Outlet => {
            let id: i64 = follow.key.parse().unwrap_or(0);
            let name = match state.store.source(id).await {
                Ok(Some(source)) => crate::pages::source_name(state.strings, &source),
                _ => follow.key.clone(),
            };
            (name, format!("/sources/{id}"))
        }
        FollowKind::Entity => {
            let name = match state.store.entity(&follow.key).await {
                Ok(Some(entity)) => entity.name,
                _ => follow.key.clone(),
            };
            (name, format!("/entities/{}", follow.key))
        }
    };
    FollowRow { kind: follow.kind.as_str(), key: follow.key, label, href }
}

/// What the account page shows after a form (`None`: just the page).
struct Outcome {
    new_token: Option<String>,
    totp_setup: Option<TotpSetup>,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
}

impl Outcome {
    fn page() -> Outcome {
        Outcome { new_token: None, totp_setup: None, message: None, error: None, status: StatusCode::OK }
    }
    fn message(text: String) -> Outcome {
        Outcome { message: Some(text), ..Outcome::page() }
    }
    fn error(status: StatusCode, text: String) -> Outcome {
        Outcome { error: Some(text), status, ..Outcome::page() }
    }
}

async fn account_page(state: &AppState, viewer: &Viewer, user: User, outcome: Outcome) -> Response {
    let t = state.strings;
    let accounts = state.store.accounts();
    let tokens = match accounts.api_tokens(user.id).await {
        Ok(tokens) => tokens.into_iter().map(|token| TokenRow::new(t, token)).collect(),
        Err(e) => return PageError::internal(state, &e).into_response(),
    };
    let follows = match accounts.follows(user.id).await {
        Ok(follows) => follows,
        Err(e) => return PageError::internal(state, &e).into_response(),
    };
    let mut rows = Vec::with_capacity(follows.len());
    for follow in follows {
        rows.push(follow_row(state, follow).await);
    }
    html(
        outcome.status,
        &AccountPage {
            t,
            signed_in_line: t.fill(t.signed_in_as, &[("name", &user.username), ("role", &user.role.as_str())]),
            user,
            csrf: viewer.csrf(),
            tokens,
            new_token: outcome.new_token,
            follows: rows,
            totp_setup: outcome.totp_setup,
            message: outcome.message,
            error: outcome.error,
        },
    )
}

/// `GET /account`: signed out, the sign-in page.
pub(crate) async fn account(State(state): State<AppState>, viewer: Viewer) -> Response {
    let Some(user) = viewer.user.clone() else { return see_other("/login?next=/account") };
    account_page(&state, &viewer, user, Outcome::page()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct PasswordForm {
    csrf: String,
    current: String,
    password: String,
    confirm: String,
}

/// `POST /account/password`: needs the current password; ends every other session.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<PasswordForm>,
) -> Response {
    let user = or_return!(Guard::form(&state, &viewer, &headers, &uri, &form.csrf));
    let t = state.strings;
    if !current_password_ok(&state, &user, &form.current).await {
        return account_page(&state, &viewer, user, Outcome::error(StatusCode::UNAUTHORIZED, t.wrong_password.into()))
            .await;
    }
    if let Err(why) = password::check_new(&form.password, &user.username) {
        return account_page(&state, &viewer, user, Outcome::error(StatusCode::UNPROCESSABLE_ENTITY, why)).await;
    }
    if form.password != form.confirm {
        let outcome = Outcome::error(StatusCode::UNPROCESSABLE_ENTITY, t.passwords_differ.into());
        return account_page(&state, &viewer, user, outcome).await;
    }
    let hash = match hash_password(form.password).await {
        Ok(hash) => hash,
        Err(e) => return PageError::internal(&state, &e).into_response(),
    };
    if let Err(e) = state.store.accounts().set_password(user.id, &hash).await {
        return PageError::internal(&state, &e).into_response();
    }
    // Every session ended with the old password, this one too: start a fresh one here.
    start_session(&state, &headers, &uri, &user, "/account").await
}

async fn current_password_ok(state: &AppState, user: &User, given: &str) -> bool {
    match state.store.accounts().credentials(&user.username).await {
        Ok(Some(credentials)) => verify_password(given.to_owned(), credentials.password_hash).await,
        _ => false,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct TokenForm {
    csrf: String,
    label: String,
}

/// `POST /account/tokens`: the new token is shown once, on the page this answers with.
pub(crate) async fn create_token(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<TokenForm>,
) -> Response {
    let user = or_return!(Guard::form(&state, &viewer, &headers, &uri, &form.csrf));
    let t = state.strings;
    let label: String = form.label.trim().chars().take(80).collect();
    let label = if label.is_empty() { t.token_default_label.to_owned() } else { label };
    let Some(token) = tokens::new_token() else {
        return PageError::internal(&state, &"the system gave no random numbers for a token").into_response();
    };
    let token = format!("tid_{token}");
    if let Err(e) = state.store.accounts().create_api_token(user.id, &tokens::hash(&token), &label, Utc::now()).await {
        return PageError::internal(&state, &e).into_response();
    }
    account_page(&state, &viewer, user, Outcome { new_token: Some(token), ..Outcome::page() }).await
}

/// `POST /account/tokens/{id}/delete`.
pub(crate) async fn delete_token(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let user = or_return!(Guard::form(&state, &viewer, &headers, &uri, &form.csrf));
    let t = state.strings;
    match state.store.accounts().delete_api_token(user.id, id).await {
        Ok(true) => account_page(&state, &viewer, user, Outcome::message(t.token_revoked.into())).await,
        Ok(false) => refused(t, StatusCode::NOT_FOUND, t.with(t.no_token, id)),
        Err(e) => PageError::internal(&state, &e).into_response(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct TotpForm {
    csrf: String,
    secret: String,
    code: String,
    current: String,
}

/// `POST /account/totp/setup`: a new secret to add to an authenticator app, confirmed by its first code.
pub(crate) async fn totp_setup(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<CsrfForm>,
) -> Response {
    let user = or_return!(Guard::form(&state, &viewer, &headers, &uri, &form.csrf));
    let Some(secret) = totp::new_secret() else {
        return PageError::internal(&state, &"the system gave no random numbers for a secret").into_response();
    };
    let uri = totp::otpauth_uri(state.strings.site_name, &user.username, &secret);
    account_page(&state, &viewer, user, Outcome { totp_setup: Some(TotpSetup { secret, uri }), ..Outcome::page() })
        .await
}

/// `POST /account/totp`: turns the second factor on once a code from the new secret checks out.
pub(crate) async fn totp_enable(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<TotpForm>,
) -> Response {
    let user = or_return!(Guard::form(&state, &viewer, &headers, &uri, &form.csrf));
    let t = state.strings;
    let secret = form.secret.trim().to_owned();
    let step = totp::code_at(&secret, 0).and_then(|_| totp::verify_step(&secret, &form.code, Utc::now().timestamp()));
    let Some(step) = step else {
        let setup = TotpSetup { uri: totp::otpauth_uri(t.site_name, &user.username, &secret), secret };
        let outcome = Outcome {
            totp_setup: Some(setup),
            ..Outcome::error(StatusCode::UNPROCESSABLE_ENTITY, t.code_wrong.into())
        };
        return account_page(&state, &viewer, user, outcome).await;
    };
    let stored = match state.sealing_key.as_deref() {
        Some(key) => match totp::seal(key, user.id, &secret) {
            Some(sealed) => sealed,
            None => {
                return PageError::internal(&state, &"the system gave no random numbers to seal a secret")
                    .into_response();
            }
        },
        None => secret,
    };
    if let Err(e) = state.store.accounts().set_totp(user.id, Some(&stored)).await {
        return PageError::internal(&state, &e).into_response();
    }
    // The code that confirmed the setup is used: it does not sign in as well. (False, an older step, is fine.)
    if let Err(e) = state.store.accounts().use_totp_step(user.id, step).await {
        return PageError::internal(&state, &e).into_response();
    }
    let user = User { totp_enabled: true, ..user };
    account_page(&state, &viewer, user, Outcome::message(t.totp_on.into())).await
}

/// `POST /account/totp/disable`: needs the password.
pub(crate) async fn totp_disable(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<TotpForm>,
) -> Response {
    let user = or_return!(Guard::form(&state, &viewer, &headers, &uri, &form.csrf));
    let t = state.strings;
    if !current_password_ok(&state, &user, &form.current).await {
        return account_page(&state, &viewer, user, Outcome::error(StatusCode::UNAUTHORIZED, t.wrong_password.into()))
            .await;
    }
    if let Err(e) = state.store.accounts().set_totp(user.id, None).await {
        return PageError::internal(&state, &e).into_response();
    }
    let user = User { totp_enabled: false, ..user };
    account_page(&state, &viewer, user, Outcome::message(t.totp_off.into())).await
}

/// `GET /account/export.json`: everything the site holds about the account, as JSON.
pub(crate) async fn export(State(state): State<AppState>, viewer: Viewer) -> Response {
    let Some(user) = viewer.user.clone() else { return see_other("/login?next=/account") };
    match super::api::export_of(&state, &user).await {
        Ok(export) => {
            let disposition = format!("attachment; filename=\"tidings-{}.json\"", user.username);
            let mut response = Json(export).into_response();
            if let Ok(value) = disposition.parse() {
                response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(e) => PageError::internal(&state, &e).into_response(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DeleteForm {
    csrf: String,
    current: String,
}

/// `POST /account/delete`: needs the password; the comments stay in their threads without body or author.
pub(crate) async fn delete_account(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<DeleteForm>,
) -> Response {
    let user = or_return!(Guard::form(&state, &viewer, &headers, &uri, &form.csrf));
    let t = state.strings;
    if !current_password_ok(&state, &user, &form.current).await {
        return account_page(&state, &viewer, user, Outcome::error(StatusCode::UNAUTHORIZED, t.wrong_password.into()))
            .await;
    }
    if let Err(e) = state.store.accounts().delete_user(user.id).await {
        return PageError::internal(&state, &e).into_response();
    }
    tracing::info!(user = %user.username, "account deleted by its owner");
    see_other_with_cookie("/login?done=deleted", session::session_cookie("", 0, over_https(&headers, &uri)))
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    t: &'static Strings,
    /// Whether this site sends reset mail at all.
    mail: bool,
    sent: bool,
}

/// `GET /forgot`: asks for the user name, when the site sends mail; else says to ask an admin.
pub(crate) async fn forgot_page(State(state): State<AppState>) -> Response {
    let mail = state.community.config.smtp_relay().is_some();
    html(StatusCode::OK, &ForgotPage { t: state.strings, mail, sent: false })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ForgotForm {
    username: String,
}

/// `POST /forgot`: mails a reset link (valid for an hour) to the account's address, if it has one. The answer
/// is the same whether or not the account exists or has an address, so it tells no one which names are taken.
pub(crate) async fn forgot(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    request: axum::extract::Request,
) -> Response {
    let (form, _) = or_return!(Guard::anonymous_form::<ForgotForm>(&state, &headers, &uri, request).await);
    let t = state.strings;
    let config = &state.community.config;
    let Some(relay) = config.smtp_relay() else {
        return html(StatusCode::OK, &ForgotPage { t, mail: false, sent: false });
    };
    let accounts = state.store.accounts();
    let user = match accounts.user_by_name(form.username.trim()).await {
        Ok(user) => user,
        Err(e) => return PageError::internal(&state, &e).into_response(),
    };
    if let Some((user, to)) = user.and_then(|u| u.email.clone().map(|to| (u, to))) {
        let Some(token) = tokens::new_token() else {
            return PageError::internal(&state, &"the system gave no random numbers for a link").into_response();
        };
        let expires = Utc::now() + TimeDelta::hours(1);
        let stored = accounts
            .create_one_time_token(OneTimePurpose::PasswordReset, &tokens::hash(&token), Some(user.id), None, expires)
            .await;
        if let Err(e) = stored {
            return PageError::internal(&state, &e).into_response();
        }
        let link = super::moderation::link(&state, &format!("/reset/{token}"));
        let body =
            t.fill(t.reset_mail_body, &[("name", &user.username), ("link", &link), ("site", &config.public_url)]);
        let (from, subject) = (config.mail_from.clone(), t.reset_mail_subject.to_owned());
        // Sent after answering, so how long the relay takes says nothing about the account either.
        tokio::spawn(async move {
            match super::mail::send(&relay, &from, &to, &subject, &body).await {
                Ok(()) => tracing::info!(user = %user.username, "password reset mail sent"),
                Err(e) => tracing::error!(user = %user.username, error = %e, "password reset mail failed"),
            }
        });
    }
    html(StatusCode::OK, &ForgotPage { t, mail: true, sent: true })
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    t: &'static Strings,
    token: String,
    error: Option<String>,
}

/// `GET /reset/{token}`.
pub(crate) async fn reset_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let t = state.strings;
    match state
        .store
        .accounts()
        .peek_one_time_token(OneTimePurpose::PasswordReset, &tokens::hash(&token), Utc::now())
        .await
    {
        Ok(Some(Some(_))) => html(StatusCode::OK, &ResetPage { t, token, error: None }),
        Ok(_) => refused(t, StatusCode::NOT_FOUND, t.reset_invalid.to_owned()),
        Err(e) => PageError::internal(&state, &e).into_response(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ResetForm {
    password: String,
    confirm: String,
}

/// `POST /reset/{token}`: sets the new password once, and ends the account's sessions.
pub(crate) async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Response {
    if let Err(refusal) = Guard::anonymous(&state, &headers, &uri) {
        return refusal;
    }
    let t = state.strings;
    let accounts = state.store.accounts();
    let hash = tokens::hash(&token);
    let user_id = match accounts.peek_one_time_token(OneTimePurpose::PasswordReset, &hash, Utc::now()).await {
        Ok(Some(Some(id))) => id,
        Ok(_) => return refused(t, StatusCode::NOT_FOUND, t.reset_invalid.to_owned()),
        Err(e) => return PageError::internal(&state, &e).into_response(),
    };
    let user = match accounts.user(user_id).await {
        Ok(Some(user)) => user,
        Ok(None) => return refused(t, StatusCode::NOT_FOUND, t.reset_invalid.to_owned()),
        Err(e) => return PageError::internal(&state, &e).into_response(),
    };
    let again = |error: String| {
        html(StatusCode::UNPROCESSABLE_ENTITY, &ResetPage { t, token: token.clone(), error: Some(error) })
    };
    if let Err(why) = password::check_new(&form.password, &user.username) {
        return again(why);
    }
    if form.password != form.confirm {
        return again(t.passwords_differ.to_owned());
    }
    let new_hash = match hash_password(form.password).await {
        Ok(h) => h,
        Err(e) => return PageError::internal(&state, &e).into_response(),
    };
    match accounts.take_one_time_token(OneTimePurpose::PasswordReset, &hash, Utc::now()).await {
        Ok(Some(Some(id))) if id == user.id => {}
        Ok(_) => return refused(t, StatusCode::NOT_FOUND, t.reset_invalid.to_owned()),
        Err(e) => return PageError::internal(&state, &e).into_response(),
    }
    if let Err(e) = accounts.set_password(user.id, &new_hash).await {
        return PageError::internal(&state, &e).into_response();
    }
    tracing::info!(user = %user.username, "password reset by one-time link");
    see_other("/login?done=reset")
}
