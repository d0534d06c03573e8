//! Managing the followed sources from the web: the `/admin` pages, signed in with the admin token
//! (`[web] admin_token`) or as an admin account of the site, and the sources endpoints of the JSON API with the
//! token as a bearer token.
//!
//! Without a token the API is off (401 without a bearer token, 403 with one, each saying so) and the pages are
//! for admin accounts only (404, saying how to get in, for everyone else).
//! Adding a source and importing OPML need the network (feed discovery), which this crate does not do: the
//! process that serves the site lends a [`SourceAdmin`] ([`crate::AppState::with_source_admin`]).
//!
//! Security: the session cookie is HttpOnly, SameSite=Strict, limited to `/admin`, Secure over HTTPS, and
//! holds an HMAC-signed session, never the token; every form carries a CSRF token derived from the session,
//! and every state-changing request from another site (`Sec-Fetch-Site`, else `Origin`) is refused. Wrong
//! tokens at the sign-in form are slowed down after a few in a row.

pub(crate) mod api;
pub(crate) mod auth;
mod pages;

use async_trait::async_trait;
use tidings_core::{ExtractMode, Source, SourceId};

use crate::Routes;

/// A source the operator asked to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddSource {
    /// A feed's URL, or a web page whose feed is to be discovered.
    pub url: String,
    /// Its topic, if given.
    pub category: Option<String>,
    /// When its items' pages are fetched and extracted.
    pub extract: ExtractMode,
}

/// How an OPML import went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Feeds now followed.
    pub added: usize,
    /// Feeds that were followed already (skipped, not errors).
    pub already: usize,
}

/// What polling one source now did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollResult {
    /// Whether the poll worked.
    pub ok: bool,
    /// What happened, for the operator ("3 new articles, 12 already stored", or the error).
    pub message: String,
}

/// Why a source could not be added, imported or polled. Each message names the input and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceAdminError {
    /// The input cannot be used: not a web address, not an OPML document.
    #[error("{0}")]
    Invalid(String),
    /// Nothing at the address is a feed or advertises one (or it could not be fetched).
    #[error("{0}")]
    NoFeed(String),
    /// The feed is followed already.
    #[error("{0}")]
    Duplicate(String),
    /// There is no such source.
    #[error("{0}")]
    NotFound(String),
    /// Anything else (the store failed); the message goes to the log, not to the client.
    #[error("{0}")]
    Internal(String),
}

/// The source operations that need more than the store: discovery and polling go over the network, which
/// the binary wires in (with the ingester's fetcher and its SSRF guard).
#[async_trait]
pub trait SourceAdmin: Send + Sync + 'static {
    /// Follows the feed at `request.url`, or the feed the page there advertises.
    async fn add(&self, request: AddSource) -> Result<Source, SourceAdminError>;
    /// Follows every feed of an OPML document, with categories from its folders.
    async fn import_opml(&self, opml: &[u8]) -> Result<ImportReport, SourceAdminError>;
    /// Polls one source at once.
    async fn poll_now(&self, id: SourceId) -> Result<PollResult, SourceAdminError>;
}

/// The admin pages and the sources endpoints of the API (the caller marks them not to be cached).
pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/admin", pages::home)
        .post("/admin/login", pages::login)
        .post("/admin/logout", pages::logout)
        .post("/admin/sources", pages::add)
        .post("/admin/import", pages::import)
        .get("/admin/sources/{id}/remove", pages::confirm_remove)
        .post("/admin/sources/{id}/remove", pages::remove)
        .post("/admin/sources/{id}/enable", pages::enable)
        .post("/admin/sources/{id}/poll", pages::poll)
        .post("/admin/sources/{id}/lean", pages::set_lean)
        .get("/admin/sources/{id}/settings", pages::settings)
        .post("/admin/sources/{id}/settings", pages::save_settings)
        .get("/api/v1/sources", api::list_sources)
        .post("/api/v1/sources", api::create_source)
        .delete("/api/v1/sources/{id}", api::delete_source)
        .patch("/api/v1/sources/{id}", api::update_source)
}

/// Why what the operator typed is not a source's address. The messages are the API's (English); the admin
/// pages say it in the site's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BadUrl {
    /// Nothing was typed.
    #[error("URL: enter the address of a feed or of a web page")]
    Empty,
    /// Not an http(s) URL with a host.
    #[error("{0}: not a web address (it must start with http:// or https:// and name a host)")]
    NotWeb(String),
}

/// Checks what the operator typed as a source's address: an http(s) URL with a host.
pub(crate) fn check_url(raw: &str) -> Result<String, BadUrl> {
    let url = raw.trim();
    if url.is_empty() {
        return Err(BadUrl::Empty);
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !url.chars().any(char::is_whitespace) => {
            Ok(url.to_owned())
        }
        _ => Err(BadUrl::NotWeb(url.to_owned())),
    }
}

/// A category as typed: trimmed, and none when empty.
pub(crate) fn clean_category(raw: Option<&str>) -> Option<String> {
    raw.map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_addresses_are_checked() {
        assert_eq!(check_url(" https://news.example/feed ").as_deref(), Ok("https://news.example/feed"));
        assert!(check_url("HTTP://news.example").is_ok());
        for bad in ["", "news.example", "ftp://news.example", "https://", "http:///feed", "https://a b"] {
            assert!(check_url(bad).is_err(), "{bad:?}");
        }
        assert_eq!(clean_category(Some("  ")), None);
        assert_eq!(clean_category(Some(" World ")).as_deref(), Some("World"));
    }
}
