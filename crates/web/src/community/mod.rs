//! Readers' accounts, comments, moderation and personal lists: the pages under `/signup`, `/login`,
//! `/account`, `/comments`, `/moderation`, `/for-you` and `/saved`, the comment threads on article and story
//! pages, and their JSON API (with API tokens).
//!
//! Every state-changing route goes through [`Guard`]: refused when sent from another site, then when signed
//! out, then when the form's CSRF token is not the session's, then when the account may not (banned, not the
//! author, not a moderator). `tests/authorization.rs` checks that order on every mutating route of the router.

// A refusal is the response itself, sent at once; boxing it would only add an allocation to the refusal path.
#![allow(clippy::result_large_err)]

/// The value of an `Ok`, or returns the `Err` (a response that refuses the request) from the handler.
macro_rules! or_return {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(refusal) => return refusal,
        }
    };
}

pub(crate) mod accounts;
pub(crate) mod api;
pub(crate) mod comments;
mod mail;
pub(crate) mod moderation;
pub(crate) mod personal;
pub(crate) mod session;

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use tidings_community::moderation::Rules;
use tidings_core::accounts::User;
use tidings_core::config::AccountsConfig;

use crate::admin::auth::cross_site;
use crate::strings::Strings;
use crate::{AppState, Routes};
pub(crate) use session::Viewer;

/// The settings and in-memory state of accounts in one web process.
pub(crate) struct Community {
    pub(crate) config: AccountsConfig,
    pub(crate) rules: Rules,
    pub(crate) throttle: session::Throttle,
}

impl Community {
    pub(crate) fn new(config: AccountsConfig) -> Community {
        let rules = Rules {
            max_links: config.max_links,
            new_account_hours: config.new_account_hours,
            held_words: config.held_words.clone(),
            max_body_chars: config.max_comment_chars,
        };
        let throttle = session::Throttle::new(config.login_free_failures, config.requests_per_minute_per_ip);
        Community { config, rules, throttle }
    }
}

impl Default for Community {
    fn default() -> Self {
        Community::new(AccountsConfig::default())
    }
}

/// The pages and API of accounts, comments, moderation and personal lists (the caller marks them not to be
/// cached).
pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/signup", accounts::signup_page)
        .post("/signup", accounts::signup)
        .get("/login", accounts::login_page)
        .post("/login", accounts::login)
        .post("/logout", accounts::logout)
        .get("/account", accounts::account)
        .post("/account/password", accounts::change_password)
        .post("/account/tokens", accounts::create_token)
        .post("/account/tokens/{id}/delete", accounts::delete_token)
        .post("/account/totp/setup", accounts::totp_setup)
        .post("/account/totp", accounts::totp_enable)
        .post("/account/totp/disable", accounts::totp_disable)
        .get("/account/export.json", accounts::export)
        .post("/account/delete", accounts::delete_account)
        .get("/forgot", accounts::forgot_page)
        .post("/forgot", accounts::forgot)
        .get("/reset/{token}", accounts::reset_page)
        .post("/reset/{token}", accounts::reset)
        .post("/articles/{id}/comments", comments::post_on_article)
        .post("/stories/{id}/comments", comments::post_on_story)
        .get("/comments/{id}/edit", comments::edit_page)
        .post("/comments/{id}/edit", comments::edit_form)
        .post("/comments/{id}/delete", comments::delete_form)
        .post("/comments/{id}/vote", comments::vote_form)
        .post("/comments/{id}/report", comments::report_form)
        .get("/moderation", moderation::queue)
        .get("/moderation/log", moderation::log_page)
        .get("/moderation/users", moderation::users)
        .post("/moderation/comments/{id}/hide", moderation::hide)
        .post("/moderation/comments/{id}/approve", moderation::approve)
        .post("/moderation/comments/{id}/dismiss", moderation::dismiss)
        .post("/moderation/threads/{kind}/{id}/lock", moderation::lock)
        .post("/moderation/threads/{kind}/{id}/unlock", moderation::unlock)
        .post("/moderation/users/{id}/ban", moderation::ban)
        .post("/moderation/users/{id}/unban", moderation::unban)
        .post("/moderation/users/{id}/role", moderation::set_role)
        .post("/moderation/users/{id}/reset-link", moderation::reset_link)
        .post("/moderation/invites", moderation::invite)
        .get("/for-you", personal::for_you)
        .get("/saved", personal::saved)
        .post("/follow", personal::follow)
        .post("/unfollow", personal::unfollow)
        .post("/articles/{id}/save", personal::save)
        .post("/articles/{id}/unsave", personal::unsave)
        .get("/api/v1/articles/{id}/comments", api::article_comments)
        .post("/api/v1/articles/{id}/comments", api::create_on_article)
        .get("/api/v1/stories/{id}/comments", api::story_comments)
        .post("/api/v1/stories/{id}/comments", api::create_on_story)
        .patch("/api/v1/comments/{id}", api::edit)
        .delete("/api/v1/comments/{id}", api::delete)
        .put("/api/v1/comments/{id}/vote", api::vote)
        .post("/api/v1/comments/{id}/reports", api::report)
        .get("/api/v1/me", api::me)
        .get("/api/v1/me/follows", api::follows)
        .post("/api/v1/me/follows", api::add_follow)
        .delete("/api/v1/me/follows", api::remove_follow)
        .get("/api/v1/me/for-you", api::for_you)
        .get("/api/v1/me/saved", api::saved)
        .put("/api/v1/me/saved/{id}", api::save)
        .delete("/api/v1/me/saved/{id}", api::unsave)
        .get("/api/v1/me/export", api::export)
}

/// A refused request, as the page that says why.
pub(crate) fn refused(t: &'static Strings, status: StatusCode, message: String) -> Response {
    crate::pages::message_page(t, status, t.refused_heading, message)
}

/// The checks every state-changing form passes, in order: same site, signed in, CSRF token.
pub(crate) struct Guard;

impl Guard {
    /// The signed-in account behind a form, or the response that refuses it.
    pub(crate) fn form(
        state: &AppState,
        viewer: &Viewer,
        headers: &HeaderMap,
        uri: &Uri,
        csrf: &str,
    ) -> Result<User, Response> {
        let t = state.strings;
        if let Some(cross) = cross_site(headers, uri) {
            tracing::warn!(header = cross.header, value = %cross.value, path = %uri.path(), "cross-site form refused");
            return Err(refused(t, StatusCode::FORBIDDEN, t.cross_site_refused.to_owned()));
        }
        let Some(user) = viewer.user.clone() else {
            let next = page_of_form(uri.path());
            return Err(Redirect::to(&format!("/login?next={}", encode_next(&next))).into_response());
        };
        if !viewer.csrf_ok(csrf) {
            return Err(refused(t, StatusCode::FORBIDDEN, t.csrf_refused.to_owned()));
        }
        Ok(user)
    }

    /// As [`Guard::form`], and the account must not be banned.
    pub(crate) fn poster(
        state: &AppState,
        viewer: &Viewer,
        headers: &HeaderMap,
        uri: &Uri,
        csrf: &str,
    ) -> Result<User, Response> {
        let user = Guard::form(state, viewer, headers, uri, csrf)?;
        let t = state.strings;
        if let Some(until) = user.banned_until.filter(|until| *until > Utc::now()) {
            let when = crate::timefmt::absolute(t, until);
            return Err(refused(t, StatusCode::FORBIDDEN, t.with(t.banned_until, when)));
        }
        Ok(user)
    }

    /// As [`Guard::form`], and the account must moderate.
    pub(crate) fn moderator(
        state: &AppState,
        viewer: &Viewer,
        headers: &HeaderMap,
        uri: &Uri,
        csrf: &str,
    ) -> Result<User, Response> {
        let user = Guard::form(state, viewer, headers, uri, csrf)?;
        if !user.role.moderates() {
            let t = state.strings;
            return Err(refused(t, StatusCode::FORBIDDEN, t.moderators_only.to_owned()));
        }
        Ok(user)
    }

    /// The fields of a form that needs no account (sign-up, sign-in, forgotten password), after the same-site
    /// check and the per-address limit; the address is read from the request before its body is.
    pub(crate) async fn anonymous_form<T>(
        state: &AppState,
        headers: &HeaderMap,
        uri: &Uri,
        request: axum::extract::Request,
    ) -> Result<(T, Option<std::net::IpAddr>), Response>
    where
        T: serde::de::DeserializeOwned + Send,
    {
        Guard::anonymous(state, headers, uri)?;
        let t = state.strings;
        let ip = session::client_ip(state, &request);
        if !state.community.throttle.allow_request(ip) {
            return Err(refused(t, StatusCode::TOO_MANY_REQUESTS, t.too_many_requests.to_owned()));
        }
        match <axum::extract::Form<T> as axum::extract::FromRequest<AppState>>::from_request(request, state).await {
            Ok(axum::extract::Form(form)) => Ok((form, ip)),
            Err(_) => Err(refused(t, StatusCode::BAD_REQUEST, t.bad_form.to_owned())),
        }
    }

    /// A form that needs no account (sign-up, sign-in, a password reset): only the same-site check, since there
    /// is no session whose token it could carry.
    pub(crate) fn anonymous(state: &AppState, headers: &HeaderMap, uri: &Uri) -> Result<(), Response> {
        if let Some(cross) = cross_site(headers, uri) {
            tracing::warn!(header = cross.header, value = %cross.value, path = %uri.path(), "cross-site form refused");
            let t = state.strings;
            return Err(refused(t, StatusCode::FORBIDDEN, t.cross_site_refused.to_owned()));
        }
        Ok(())
    }
}

/// The page a form was on, to come back to after signing in (the form's own path answers POST only): the
/// article or story of `/articles/{id}/…` and `/stories/{id}/…`, else the account page.
fn page_of_form(path: &str) -> String {
    let mut parts = path.trim_start_matches('/').split('/');
    match (parts.next(), parts.next()) {
        (Some(kind @ ("articles" | "stories")), Some(id)) if id.bytes().all(|b| b.is_ascii_digit()) => {
            format!("/{kind}/{id}")
        }
        _ => "/account".to_owned(),
    }
}

/// A path for `?next=`, percent-encoded.
pub(crate) fn encode_next(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where to go after signing in: a path of this site only (never `//host` or a scheme), else the home page.
/// Browsers drop tabs and line breaks from a `Location` (so `/\t/evil.example` would become `//evil.example`),
/// and a control character cannot be in a header at all: a path with any whitespace or control character is
/// not taken either.
pub(crate) fn local_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.contains("://")
                && !path.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// A 303 to `to`, after a form.
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A 303 to `to` that also sets `cookie`.
pub(crate) fn see_other_with_cookie(to: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = Redirect::to(to).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_paths_stay_on_this_site() {
        assert_eq!(local_next(Some("/articles/3")), "/articles/3");
        for bad in ["//evil.example", "https://evil.example", "/\\evil", "evil", "/x?u=https://e"] {
            assert_eq!(local_next(Some(bad)), "/", "{bad}");
        }
        // regression: a tab or line break inside the path (browsers drop them: `/\t/evil.example` is
        // `//evil.example`), and control characters that no header may hold.
        for bad in ["/\t/evil.example", "/\n/evil.example", "/\r\n/x", "/a b", "/\u{0}x", "/\u{7f}", "/\u{85}/e"] {
            assert_eq!(local_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_next(None), "/");
        assert_eq!(encode_next("/a b?c"), "/a%20b%3Fc");
        assert_eq!(page_of_form("/articles/12/comments"), "/articles/12");
        assert_eq!(page_of_form("/stories/3/comments"), "/stories/3");
        assert_eq!(page_of_form("/comments/9/vote"), "/account");
    }
}
