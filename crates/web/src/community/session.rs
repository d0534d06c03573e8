//! Who is asking: the session cookie and API tokens, the CSRF checks on every form, and the throttles on
//! sign-ins and on what one address may send.
//!
//! A session is a random token in an HttpOnly, SameSite=Lax cookie (Secure over HTTPS); the database keeps only
//! its SHA-256, so any web process can serve any reader and a copy of the database signs no one in. A form of a
//! signed-in reader carries the session's CSRF token (derived from the session token, which another site
//! cannot read), and every state-changing request from another site is refused on `Sec-Fetch-Site` (or `Origin`
//! from browsers too old to send it) before anything else is looked at. The JSON API takes API tokens
//! (`Authorization: Bearer …`) and never the cookie, so another site cannot make a reader's browser call it.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{TimeDelta, Utc};
use tidings_community::tokens;
use tidings_core::accounts::User;
use tidings_core::{AccountStore, StoreError};

use crate::AppState;

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "tidings_session";
/// A session is extended (and its last use recorded) at most this often, so reading pages writes nothing.
const TOUCH_EVERY: TimeDelta = TimeDelta::minutes(10);

/// The reader behind a request: signed in or not.
#[derive(Clone, Default)]
pub(crate) struct Viewer {
    /// The account, when signed in.
    pub(crate) user: Option<User>,
    /// The session's token (from the cookie), when signed in.
    session: Option<String>,
    /// Whether this request extended the session in the database (so the cookie should be extended too).
    extended: bool,
}

impl Viewer {
    /// The CSRF token the forms of this session carry; empty when signed out.
    pub(crate) fn csrf(&self) -> String {
        self.session.as_deref().map(tokens::csrf_for).unwrap_or_default()
    }

    /// Whether `given` is this session's CSRF token.
    pub(crate) fn csrf_ok(&self, given: &str) -> bool {
        self.session.as_deref().is_some_and(|s| tokens::constant_eq(&tokens::csrf_for(s), given.trim()))
    }

    /// The CSRF token of `/admin`'s forms for this session (an admin account's), never the site's own.
    pub(crate) fn admin_csrf(&self) -> String {
        self.session.as_deref().map(tokens::admin_csrf_for).unwrap_or_default()
    }

    /// Whether `given` is this session's `/admin` CSRF token.
    pub(crate) fn admin_csrf_ok(&self, given: &str) -> bool {
        self.session.as_deref().is_some_and(|s| tokens::constant_eq(&tokens::admin_csrf_for(s), given.trim()))
    }

    /// The session's token hash, to end it.
    pub(crate) fn session_hash(&self) -> Option<String> {
        self.session.as_deref().map(tokens::hash)
    }

    /// Whether the reader moderates.
    pub(crate) fn moderates(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.moderates())
    }

    /// The account's id.
    pub(crate) fn id(&self) -> Option<i64> {
        self.user.as_ref().map(|u| u.id)
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Viewer, Response> {
        if let Some(viewer) = parts.extensions.get::<Viewer>() {
            return Ok(viewer.clone());
        }
        let viewer = viewer_of(state, &parts.headers)
            .await
            .map_err(|e| crate::PageError::internal(state, &format!("reading the session: {e}")).into_response())?;
        if let (true, Some(token), Some(renewal)) =
            (viewer.extended, viewer.session.as_deref(), parts.extensions.get::<CookieRenewal>())
        {
            let secure = crate::admin::auth::over_https(&parts.headers, &parts.uri);
            renewal.set(session_cookie(token, session_max_age(state), secure));
        }
        parts.extensions.insert(viewer.clone());
        Ok(viewer)
    }
}

/// The session cookie's lifetime in seconds: as long as the session lasts in the database.
pub(crate) fn session_max_age(state: &AppState) -> i64 {
    i64::from(state.community.config.session_days) * 24 * 60 * 60
}

/// Where the request's [`Viewer`] leaves a renewed session cookie for the response. The database extends a
/// session each time it is used (at most every [`TOUCH_EVERY`]); the cookie set at sign-in would still expire
/// `session_days` after sign-in, so a reader who comes back every day would be signed out all the same. The
/// renewal is sent with whatever response the request gets, unless that response sets the cookie itself (a
/// sign-out ends it).
#[derive(Clone, Default)]
pub(crate) struct CookieRenewal(Arc<Mutex<Option<HeaderValue>>>);

impl CookieRenewal {
    fn set(&self, cookie: Option<HeaderValue>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = cookie;
    }

    /// Adds the renewed cookie to `response`, if the session was extended and the response does not set the
    /// session cookie already.
    pub(crate) fn apply(&self, response: &mut Response) {
        let Some(cookie) = self.0.lock().unwrap_or_else(|e| e.into_inner()).take() else { return };
        let prefix = format!("{SESSION_COOKIE}=");
        let sets_session = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.starts_with(&prefix)));
        if !sets_session {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
}

async fn viewer_of(state: &AppState, headers: &HeaderMap) -> Result<Viewer, tidings_core::StoreError> {
    let accounts = state.store.accounts();
    for token in crate::admin::auth::cookies(headers, SESSION_COOKIE) {
        let hash = tokens::hash(&token);
        let now = Utc::now();
        if let Some((user, last_seen)) = accounts.session_user(&hash, now).await? {
            let extended = now - last_seen > TOUCH_EVERY;
            if extended {
                let expires = now + TimeDelta::days(i64::from(state.community.config.session_days));
                accounts.touch_session(&hash, now, expires).await?;
            }
            return Ok(Viewer { user: Some(user), session: Some(token), extended });
        }
    }
    Ok(Viewer::default())
}

/// The `Set-Cookie` value that starts (or, with `max_age` 0, ends) a session.
pub(crate) fn session_cookie(token: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

/// The API token of an `Authorization: Bearer …` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// The address the request came from (the connection's peer), when the server recorded it.
pub(crate) fn client_ip(state: &AppState, request: &axum::extract::Request) -> Option<IpAddr> {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip())?;
    let forwarded = request.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
    let trusted = state.trusted_proxies.iter().any(|range| range.contains(peer));
    // A proxy in front that is not listed makes every reader behind it one address to the limits: the most
    // common way to misconfigure them, said once per process. (A client may write the header itself too.)
    if !trusted
        && request.headers().contains_key("x-forwarded-for")
        && !state.untrusted_forwarding_noted.swap(true, std::sync::atomic::Ordering::Relaxed)
    {
        tracing::warn!(
            %peer,
            "a request came with X-Forwarded-For from {peer}, which is not in [web] trusted_proxies: the per-address \
             limits count {peer} for every reader behind it. If it is your reverse proxy, list it there (said once)"
        );
    }
    Some(behind_proxies(peer, forwarded, &state.trusted_proxies))
}

/// The address a request comes from: `peer`, or, when `peer` is a trusted proxy, the nearest address in
/// `X-Forwarded-For` (read from the right, each proxy appending the address it heard from) that is not itself a
/// trusted proxy. Addresses further left were written by the client and prove nothing.
fn behind_proxies<'a>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: &[tidings_core::config::IpRange],
) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|range| range.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for.flat_map(|value| value.split(',')).map(str::trim).collect();
    let mut nearest = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else { return nearest };
        nearest = ip;
        if !is_trusted(ip) {
            return ip;
        }
    }
    nearest
}

/// The wait after the free failures; it doubles with each further one, up to [`MAX_WAIT`].
const FIRST_WAIT: Duration = Duration::from_secs(10);
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// Addresses remembered at most by the request limit; past this the idle ones are forgotten.
const MAX_KEYS: usize = 100_000;

/// The throttles of sign-in and of requests. Failed sign-ins, by account name and by address, are counted in the
/// store, so every web process of a deployment shares them; requests per minute by address are counted in this
/// process (a deployment of several processes allows that many times the request limit, which is about spam,
/// not guessing).
pub(crate) struct Throttle {
    free_failures: u32,
    requests: PerAddressLimit,
}

/// Requests per minute by address, counted in this process. An IPv6 address counts with its /64 network: one
/// host is usually given a whole /64, and could otherwise ask from a fresh address each time.
#[derive(Default)]
pub(crate) struct PerAddressLimit {
    per_minute: u32,
    requests: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    by_address: HashMap<IpAddr, (Instant, u32)>,
    /// When the idle addresses were last forgotten: at most every [`SWEEP_EVERY`], so a flood of new
    /// addresses does not make every request walk the whole map.
    last_sweep: Option<Instant>,
}

/// How often a full map is swept of idle addresses at most.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// The key an address is counted under: itself for IPv4 (and IPv4 written as IPv6), its /64 for IPv6.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(v6.to_bits() & !((1u128 << 64) - 1))),
        },
    }
}

impl PerAddressLimit {
    /// At most `per_minute` requests a minute from each address; 0 for no limit.
    pub(crate) fn new(per_minute: u32) -> PerAddressLimit {
        PerAddressLimit { per_minute, requests: Mutex::default() }
    }

    /// Counts one request from `ip`; false when it is over the limit. A request whose address is unknown is
    /// not limited here.
    pub(crate) fn allow(&self, ip: Option<IpAddr>) -> bool {
        let (Some(ip), limit) = (ip, self.per_minute) else { return true };
        if limit == 0 {
            return true;
        }
        let now = Instant::now();
        let mut counts = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        if counts.by_address.len() > MAX_KEYS && counts.last_sweep.is_none_or(|at| now - at >= SWEEP_EVERY) {
            counts.by_address.retain(|_, (start, _)| now.saturating_duration_since(*start) < Duration::from_secs(60));
            counts.last_sweep = Some(now);
        }
        let entry = counts.by_address.entry(address_key(ip)).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= limit
    }
}

/// A key whose last failure is older than the longest wait (and a day) has nothing left to say.
fn forget_before(now: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
    now - TimeDelta::from_std(MAX_WAIT).unwrap_or(TimeDelta::minutes(15)) - TimeDelta::days(1)
}

/// How long to wait after `failures` wrong tries in a row, the last `since` ago, when `free` are allowed.
fn wait_after(free: u32, failures: u32, since: Duration) -> Option<Duration> {
    if failures < free.max(1) {
        return None;
    }
    let doublings = (failures - free.max(1)).min(16);
    let wait = FIRST_WAIT.saturating_mul(1 << doublings).min(MAX_WAIT);
    wait.checked_sub(since).filter(|left| !left.is_zero())
}

impl Throttle {
    pub(crate) fn new(free_failures: u32, per_minute: u32) -> Throttle {
        Throttle { free_failures, requests: PerAddressLimit::new(per_minute) }
    }

    /// Starts a sign-in attempt under `keys`: how long it must still wait, if any of them failed too often;
    /// otherwise the attempt is counted as a failure in advance, on every process at once (see
    /// [`AccountStore::begin_sign_in_attempt`]), and [`Throttle::login_succeeded`] clears it.
    pub(crate) async fn begin_login(
        &self,
        accounts: &dyn AccountStore,
        keys: &[String],
    ) -> Result<Option<Duration>, StoreError> {
        let now = Utc::now();
        let free = self.free_failures;
        let wait = move |failures: u32, last: chrono::DateTime<Utc>| {
            wait_after(free, failures, (now - last).to_std().unwrap_or(Duration::ZERO))
        };
        accounts.begin_sign_in_attempt(keys, now, forget_before(now), &wait).await
    }

    /// Forgets the failures under `keys` after a sign-in succeeded.
    pub(crate) async fn login_succeeded(&self, accounts: &dyn AccountStore, keys: &[String]) -> Result<(), StoreError> {
        accounts.clear_sign_in_failures(keys).await
    }

    /// Takes back the failure counted in advance for an attempt that was neither right nor wrong: the password
    /// was right but the second-factor code was not sent. Taken back, not cleared, so sending no code never
    /// wipes out the failed codes guessed before it.
    pub(crate) async fn login_undecided(&self, accounts: &dyn AccountStore, keys: &[String]) -> Result<(), StoreError> {
        accounts.refund_sign_in_attempt(keys).await
    }

    /// Counts one request from `ip`; false when it is over the per-minute limit.
    pub(crate) fn allow_request(&self, ip: Option<IpAddr>) -> bool {
        self.requests.allow(ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_behind_trusted_proxies_is_the_nearest_untrusted_hop() {
        let trusted = [
            tidings_core::config::IpRange::parse("127.0.0.1").unwrap(),
            tidings_core::config::IpRange::parse("10.0.0.0/8").unwrap(),
        ];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let from = |peer: &str, xff: &[&str]| behind_proxies(ip(peer), xff.iter().copied(), &trusted);
        assert_eq!(from("192.0.2.9", &["198.51.100.1"]), ip("192.0.2.9"), "not from a proxy: the header is ignored");
        assert_eq!(from("127.0.0.1", &["198.51.100.1"]), ip("198.51.100.1"));
        assert_eq!(from("127.0.0.1", &["6.6.6.6, 198.51.100.1, 10.1.1.1"]), ip("198.51.100.1"), "a forged left part");
        assert_eq!(from("127.0.0.1", &["6.6.6.6", "198.51.100.1"]), ip("198.51.100.1"), "several headers");
        assert_eq!(from("127.0.0.1", &["garbage, 198.51.100.1"]), ip("198.51.100.1"));
        assert_eq!(from("127.0.0.1", &["198.51.100.1, garbage"]), ip("127.0.0.1"), "unreadable: the proxy itself");
        assert_eq!(from("127.0.0.1", &[]), ip("127.0.0.1"));
        assert_eq!(behind_proxies(ip("127.0.0.1"), ["198.51.100.1"].into_iter(), &[]), ip("127.0.0.1"), "none trusted");
    }

    #[tokio::test]
    async fn forwarding_from_an_unlisted_proxy_is_noted_once_and_not_believed() {
        let store = tidings_store::open("sqlite::memory:").await.unwrap();
        let state = AppState::new(store);
        let request = |xff: Option<&str>| {
            let mut builder = axum::http::Request::get("/ask");
            if let Some(xff) = xff {
                builder = builder.header("x-forwarded-for", xff);
            }
            let mut request = builder.body(axum::body::Body::empty()).unwrap();
            request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 5000))));
            request
        };
        let noted = || state.untrusted_forwarding_noted.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(client_ip(&state, &request(None)), Some([127, 0, 0, 1].into()));
        assert!(!noted(), "no header, nothing to say");
        assert_eq!(client_ip(&state, &request(Some("198.51.100.7"))), Some([127, 0, 0, 1].into()), "not believed");
        assert!(noted());
        let trusted = AppState::new(tidings_store::open("sqlite::memory:").await.unwrap())
            .with_trusted_proxies(&["127.0.0.1".to_owned()]);
        assert_eq!(client_ip(&trusted, &request(Some("198.51.100.7"))), Some([198, 51, 100, 7].into()));
        assert!(!trusted.untrusted_forwarding_noted.load(std::sync::atomic::Ordering::Relaxed));
    }

    #[test]
    fn sign_ins_wait_longer_after_each_failure_past_the_free_ones() {
        let secs = |failures, since| wait_after(3, failures, Duration::from_secs(since)).map(|d| d.as_secs());
        assert_eq!(secs(2, 0), None, "free");
        assert_eq!(secs(3, 0), Some(10));
        assert_eq!(secs(4, 0), Some(20));
        assert_eq!(secs(4, 15), Some(5), "the wait runs from the last failure");
        assert_eq!(secs(4, 20), None);
        assert_eq!(secs(40, 0), Some(15 * 60), "capped");
    }

    #[test]
    fn requests_per_address_are_limited() {
        let throttle = Throttle::new(3, 2);
        let ip: IpAddr = [10, 0, 0, 1].into();
        assert!(throttle.allow_request(Some(ip)));
        assert!(throttle.allow_request(Some(ip)));
        assert!(!throttle.allow_request(Some(ip)));
        assert!(throttle.allow_request(Some([10, 0, 0, 2].into())));
        assert!(throttle.allow_request(None), "no address known: not limited here");
        assert!(Throttle::new(3, 0).allow_request(Some(ip)), "0 means no limit");
    }

    #[test]
    fn an_ipv6_host_counts_with_its_network() {
        let limit = PerAddressLimit::new(2);
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert!(limit.allow(ip("2001:db8:1:2::1")));
        assert!(limit.allow(ip("2001:db8:1:2:ffff::9")), "another address of the same /64");
        assert!(!limit.allow(ip("2001:db8:1:2:abcd::1")), "the /64 has had its two");
        assert!(limit.allow(ip("2001:db8:1:3::1")), "the next /64 is someone else");
        assert!(limit.allow(ip("::ffff:192.0.2.1")) && limit.allow(ip("192.0.2.1")));
        assert!(!limit.allow(ip("192.0.2.1")), "IPv4 written as IPv6 is the same address");
        assert!(limit.allow(ip("192.0.2.2")), "an IPv4 address is its own");
    }
}
