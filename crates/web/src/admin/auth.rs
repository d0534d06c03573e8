//! The admin token, sessions, CSRF tokens, sign-in throttling and the same-origin check.
//!
//! Nothing here stores the token or sends it back: the session cookie is `expiry.nonce.tag`, where `tag` is an
//! HMAC-SHA256 of `expiry.nonce` under a key derived from the token, so a session is valid only while the
//! token is unchanged and until it expires, and signing out revokes its nonce. The CSRF token of a session is
//! an HMAC of its nonce under another derived key. Every comparison of a secret is an HMAC verification,
//! which takes the same time whatever the input.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, Uri, header};
use chrono::Utc;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "tidings_admin";
/// The cookie carrying the message shown after a form's redirect.
pub(crate) const FLASH_COOKIE: &str = "tidings_admin_flash";
/// How long a session lasts.
const SESSION_SECS: i64 = 12 * 60 * 60;
/// Wrong tokens allowed in a row before sign-ins are slowed down.
const FREE_FAILURES: u32 = 5;
/// The wait after [`FREE_FAILURES`] wrong tokens; it doubles with every further one.
const FIRST_WAIT: Duration = Duration::from_secs(10);
/// The longest wait between sign-in attempts.
const MAX_WAIT: Duration = Duration::from_secs(5 * 60);

/// A signed-in admin session, read from its cookie.
pub(crate) struct Session {
    nonce: String,
    expiry: i64,
}

/// A message for the next page, and whether it reports a failure.
pub(crate) struct Flash {
    pub(crate) ok: bool,
    pub(crate) text: String,
}

impl Flash {
    pub(crate) fn ok(text: impl Into<String>) -> Flash {
        Flash { ok: true, text: text.into() }
    }

    pub(crate) fn error(text: impl Into<String>) -> Flash {
        Flash { ok: false, text: text.into() }
    }
}

/// Consecutive wrong tokens at the sign-in form.
#[derive(Default)]
struct Failures {
    count: u32,
    last: Option<Instant>,
}

/// The admin token's keys and the in-memory state of sign-ins.
pub(crate) struct AdminAuth {
    /// Compares a given token with the configured one: a per-process random key, so the comparison is of two
    /// HMACs, whose time says nothing about the token.
    compare_key: hmac::Key,
    token_tag: hmac::Tag,
    session_key: hmac::Key,
    csrf_key: hmac::Key,
    flash_key: hmac::Key,
    rng: SystemRandom,
    /// Nonces of sessions signed out before they expired, with their expiry.
    revoked: Mutex<HashMap<String, i64>>,
    failures: Mutex<Failures>,
    /// Whether a token was configured: without one, only admin accounts reach `/admin`, and the keys above
    /// come from a per-process random root.
    token_configured: bool,
}

/// A key for one purpose, derived from the token.
fn derive(root: &hmac::Key, purpose: &str) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, hmac::sign(root, purpose.as_bytes()).as_ref())
}

impl AdminAuth {
    /// Keys for `token` (non-empty; the configuration has checked its length). `None` when the system has no
    /// random numbers to give.
    pub(crate) fn new(token: &str) -> Option<AdminAuth> {
        AdminAuth::with_root(token.as_bytes(), true)
    }

    /// Keys for a server with no admin token: `/admin` is for admin accounts only, no token signs in, and the
    /// forms' keys are random for this process. `None` when the system has no random numbers to give.
    pub(crate) fn accounts_only() -> Option<AdminAuth> {
        let mut root = [0u8; 32];
        SystemRandom::new().fill(&mut root).ok()?;
        AdminAuth::with_root(&root, false)
    }

    fn with_root(token: &[u8], token_configured: bool) -> Option<AdminAuth> {
        let rng = SystemRandom::new();
        let compare_key = hmac::Key::generate(hmac::HMAC_SHA256, &rng).ok()?;
        let root = hmac::Key::new(hmac::HMAC_SHA256, token);
        Some(AdminAuth {
            token_configured,
            token_tag: hmac::sign(&compare_key, token),
            compare_key,
            session_key: derive(&root, "tidings admin session v1"),
            csrf_key: derive(&root, "tidings admin csrf v1"),
            flash_key: derive(&root, "tidings admin flash v1"),
            rng,
            revoked: Mutex::default(),
            failures: Mutex::default(),
        })
    }

    /// Whether an admin token is configured (else only admin accounts reach `/admin`, and the sources API is
    /// off).
    pub(crate) fn token_configured(&self) -> bool {
        self.token_configured
    }

    /// Whether `given` is the admin token, in time independent of both.
    pub(crate) fn is_token(&self, given: &str) -> bool {
        self.token_configured && hmac::verify(&self.compare_key, given.as_bytes(), self.token_tag.as_ref()).is_ok()
    }

    /// The admin token of an `Authorization: Bearer …` header: `Ok` when it is the token, else why not.
    pub(crate) fn check_bearer(&self, headers: &HeaderMap) -> Result<(), &'static str> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err("this endpoint needs the admin token: send `Authorization: Bearer <token>`");
        };
        let given = value.to_str().ok().and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        });
        match given {
            Some(token) if self.is_token(token) => Ok(()),
            Some(_) => Err("the bearer token is not the admin token"),
            None => Err("the Authorization header is not `Bearer <token>`"),
        }
    }

    /// How long sign-ins must still wait after too many wrong tokens; `None` when one may be tried now.
    pub(crate) fn throttled(&self) -> Option<Duration> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.count < FREE_FAILURES {
            return None;
        }
        let doublings = (failures.count - FREE_FAILURES).min(16);
        let wait = FIRST_WAIT.saturating_mul(1 << doublings).min(MAX_WAIT);
        let since = failures.last.map(|t| t.elapsed()).unwrap_or(wait);
        wait.checked_sub(since).filter(|left| !left.is_zero())
    }

    /// Counts a wrong token.
    pub(crate) fn record_failure(&self) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.count = failures.count.saturating_add(1);
        failures.last = Some(Instant::now());
    }

    /// Forgets earlier wrong tokens after a successful sign-in.
    pub(crate) fn record_success(&self) {
        *self.failures.lock().unwrap_or_else(|e| e.into_inner()) = Failures::default();
    }

    /// A new session's cookie value; `None` when no random nonce could be drawn.
    pub(crate) fn new_session(&self) -> Option<String> {
        let mut nonce = [0u8; 16];
        self.rng.fill(&mut nonce).ok()?;
        let body = format!("{}.{}", Utc::now().timestamp() + SESSION_SECS, hex::encode(nonce));
        let tag = hmac::sign(&self.session_key, body.as_bytes());
        Some(format!("{body}.{}", hex::encode(tag.as_ref())))
    }

    /// The valid session among the request's cookies, if any.
    pub(crate) fn session(&self, headers: &HeaderMap) -> Option<Session> {
        cookies(headers, SESSION_COOKIE).into_iter().find_map(|value| self.verify_session(&value))
    }

    fn verify_session(&self, value: &str) -> Option<Session> {
        let (body, tag) = value.rsplit_once('.')?;
        let tag = hex::decode(tag).ok()?;
        hmac::verify(&self.session_key, body.as_bytes(), &tag).ok()?;
        let (expiry, nonce) = body.split_once('.')?;
        let expiry: i64 = expiry.parse().ok()?;
        if expiry <= Utc::now().timestamp() {
            return None;
        }
        let revoked = self.revoked.lock().unwrap_or_else(|e| e.into_inner());
        if revoked.contains_key(nonce) {
            return None;
        }
        Some(Session { nonce: nonce.to_owned(), expiry })
    }

    /// Signs a session out: its cookie stops working even if it was copied.
    pub(crate) fn revoke(&self, session: &Session) {
        let now = Utc::now().timestamp();
        let mut revoked = self.revoked.lock().unwrap_or_else(|e| e.into_inner());
        revoked.retain(|_, expiry| *expiry > now);
        revoked.insert(session.nonce.clone(), session.expiry);
    }

    /// The CSRF token every form of `session` carries.
    pub(crate) fn csrf_token(&self, session: &Session) -> String {
        hex::encode(hmac::sign(&self.csrf_key, session.nonce.as_bytes()).as_ref())
    }

    /// Whether `given` is the CSRF token of `session`.
    pub(crate) fn is_csrf_token(&self, session: &Session, given: &str) -> bool {
        hex::decode(given.trim()).is_ok_and(|tag| hmac::verify(&self.csrf_key, session.nonce.as_bytes(), &tag).is_ok())
    }

    /// The keys a flash message for this request is signed with. With an admin token, the one derived from it.
    /// Without one (admin accounts only), one derived from each site session the request carries: the keys of
    /// this mode are random per process, and the reader's session is the secret every web process shares with
    /// them, so a message set by one process shows on a page another renders.
    fn flash_keys(&self, headers: &HeaderMap) -> Vec<hmac::Key> {
        if self.token_configured {
            return vec![self.flash_key.clone()];
        }
        cookies(headers, crate::community::session::SESSION_COOKIE)
            .iter()
            .map(|session| derive(&hmac::Key::new(hmac::HMAC_SHA256, session.as_bytes()), "tidings admin flash v1"))
            .collect()
    }

    /// The flash cookie's value for `flash` (signed, so no other site or port can put words on our pages), for
    /// the request `headers` came with; none when there is no key for it.
    pub(crate) fn flash_value(&self, flash: &Flash, headers: &HeaderMap) -> Option<String> {
        let key = self.flash_keys(headers).into_iter().next()?;
        // Cookies stay small: a long report is cut.
        let text: String = flash.text.chars().take(1200).collect();
        let body = format!("{}.{}", if flash.ok { "ok" } else { "error" }, hex::encode(text.as_bytes()));
        let tag = hmac::sign(&key, body.as_bytes());
        Some(format!("{body}.{}", hex::encode(tag.as_ref())))
    }

    /// The message left for this page, if any.
    pub(crate) fn flash(&self, headers: &HeaderMap) -> Option<Flash> {
        let keys = self.flash_keys(headers);
        cookies(headers, FLASH_COOKIE).into_iter().find_map(|value| {
            let (body, tag) = value.rsplit_once('.')?;
            let tag = hex::decode(tag).ok()?;
            keys.iter().find(|key| hmac::verify(key, body.as_bytes(), &tag).is_ok())?;
            let (kind, text) = body.split_once('.')?;
            let text = String::from_utf8(hex::decode(text).ok()?).ok()?;
            Some(Flash { ok: kind == "ok", text })
        })
    }
}

/// Every value of the cookie `name` in the request (another application on the same host may have set one
/// with the same name, so all are tried).
pub(crate) fn cookies(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
        .collect()
}

/// Whether the request reached us over HTTPS (directly, or through a proxy that says so).
pub(crate) fn over_https(headers: &HeaderMap, uri: &Uri) -> bool {
    let forwarded = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    forwarded || uri.scheme_str() == Some("https")
}

/// A `Set-Cookie` value scoped to the admin pages: HttpOnly, SameSite=Strict, Path=/admin, and Secure when the
/// request came over HTTPS. `max_age` 0 deletes the cookie.
pub(crate) fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"))
        .ok()
}

/// The session cookie's lifetime, for its `Max-Age`.
pub(crate) const SESSION_MAX_AGE: i64 = SESSION_SECS;

/// A state-changing request sent from another site: the header that says so and its value.
pub(crate) struct CrossSite {
    pub(crate) header: &'static str,
    pub(crate) value: String,
}

/// Why a state-changing request is refused as cross-site, or `None` when it comes from our own pages.
///
/// Browsers say where a request comes from in `Sec-Fetch-Site`; only `same-origin` (and `none`, a request the
/// user made directly) passes. Browsers too old for that header send `Origin`, whose host must be ours. A
/// request with neither did not come from a browser form on another site; the CSRF token still guards it.
pub(crate) fn cross_site(headers: &HeaderMap, uri: &Uri) -> Option<CrossSite> {
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or("");
        return match site {
            "same-origin" | "none" => None,
            other => Some(CrossSite { header: "Sec-Fetch-Site", value: other.to_owned() }),
        };
    }
    let origin = headers.get(header::ORIGIN)?.to_str().unwrap_or("null");
    let origin_host = origin.split_once("://").map(|(_, rest)| rest.trim_end_matches('/'));
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).or_else(|| uri.authority().map(|a| a.as_str()));
    match (origin_host, host) {
        (Some(from), Some(ours)) if from.eq_ignore_ascii_case(ours) => None,
        _ => Some(CrossSite { header: "Origin", value: origin.to_owned() }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const TOKEN: &str = "correct horse battery staple";

    fn with_cookie(name: &str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&format!("other=1; {name}={value}")).unwrap());
        headers
    }

    #[test]
    fn sessions_are_signed_by_the_token_and_revocable() {
        let auth = AdminAuth::new(TOKEN).unwrap();
        let cookie = auth.new_session().unwrap();
        assert!(!cookie.contains(TOKEN));
        let session = auth.session(&with_cookie(SESSION_COOKIE, &cookie)).unwrap();
        // Another token's keys do not accept it.
        assert!(
            AdminAuth::new("another token, also long")
                .unwrap()
                .session(&with_cookie(SESSION_COOKIE, &cookie))
                .is_none()
        );
        // A forged expiry breaks the tag.
        let (_, rest) = cookie.split_once('.').unwrap();
        assert!(auth.session(&with_cookie(SESSION_COOKIE, &format!("99999999999.{rest}"))).is_none());
        let csrf = auth.csrf_token(&session);
        assert!(auth.is_csrf_token(&session, &csrf));
        assert!(!auth.is_csrf_token(&session, "00"));
        auth.revoke(&session);
        assert!(auth.session(&with_cookie(SESSION_COOKIE, &cookie)).is_none());
    }

    #[test]
    fn tokens_and_bearers_are_compared() {
        let auth = AdminAuth::new(TOKEN).unwrap();
        assert!(auth.is_token(TOKEN));
        assert!(!auth.is_token("correct horse battery stapl"));
        let mut headers = HeaderMap::new();
        assert!(auth.check_bearer(&headers).is_err());
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {TOKEN}")).unwrap());
        assert!(auth.check_bearer(&headers).is_ok());
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic eDp5"));
        assert!(auth.check_bearer(&headers).is_err());
    }

    #[test]
    fn flash_messages_survive_the_cookie_and_forgeries_do_not() {
        let auth = AdminAuth::new(TOKEN).unwrap();
        let value = auth.flash_value(&Flash::error("https://x/feed: no feed found; «ü»"), &HeaderMap::new()).unwrap();
        let flash = auth.flash(&with_cookie(FLASH_COOKIE, &value)).unwrap();
        assert!(!flash.ok);
        assert_eq!(flash.text, "https://x/feed: no feed found; «ü»");
        let forged = format!("ok.{}.00", hex::encode("hello"));
        assert!(auth.flash(&with_cookie(FLASH_COOKIE, &forged)).is_none());
    }

    #[test]
    fn sign_ins_slow_down_after_repeated_failures() {
        let auth = AdminAuth::new(TOKEN).unwrap();
        for _ in 0..FREE_FAILURES {
            assert!(auth.throttled().is_none());
            auth.record_failure();
        }
        assert!(auth.throttled().is_some_and(|left| left <= FIRST_WAIT));
        auth.record_success();
        assert!(auth.throttled().is_none());
    }

    #[test]
    fn cross_site_requests_are_recognised() {
        let uri: Uri = "/admin/sources".parse().unwrap();
        let mut headers = HeaderMap::new();
        assert!(cross_site(&headers, &uri).is_none(), "no browser headers: the CSRF token decides");
        headers.insert(header::HOST, HeaderValue::from_static("news.example:8080"));
        headers.insert(header::ORIGIN, HeaderValue::from_static("http://news.example:8080"));
        assert!(cross_site(&headers, &uri).is_none());
        headers.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(cross_site(&headers, &uri).is_some());
        headers.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(cross_site(&headers, &uri).is_some());
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(cross_site(&headers, &uri).is_none(), "Sec-Fetch-Site wins over Origin");
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-site"));
        assert!(cross_site(&headers, &uri).is_some());
    }
}
