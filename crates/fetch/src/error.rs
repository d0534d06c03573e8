//! What can go wrong fetching a source, in words an operator understands: every message starts with the URL
//! and says what happened and, where it helps, which setting governs it.

use std::time::Duration;

/// A failed fetch. Every variant names the URL that was asked for.
#[derive(thiserror::Error, Debug)]
pub enum FetchError {
    /// The URL does not parse, has no host, or uses a scheme other than http/https.
    #[error("{url}: not a fetchable URL: {reason}")]
    InvalidUrl {
        /// The URL asked for.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The SSRF guard refused the address or name, on the URL itself, after DNS, or on a redirect hop.
    #[error("{url}: {reason} (internal addresses are refused unless fetch.allow_private_networks = true)")]
    Blocked {
        /// The URL asked for.
        url: String,
        /// What was refused and why, e.g. "redirect to http://127.0.0.1/ blocked: 127.0.0.1 is a loopback
        /// address".
        reason: String,
    },
    /// Connecting or the whole exchange took longer than the configured timeouts.
    #[error(
        "{url}: timed out waiting for the server (limits: fetch.connect_timeout_secs to connect, \
         fetch.timeout_secs for the whole fetch)"
    )]
    Timeout {
        /// The URL asked for.
        url: String,
    },
    /// The connection could not be made (DNS failure, refused, reset, TLS failure).
    #[error("{url}: could not connect: {reason}")]
    Connect {
        /// The URL asked for.
        url: String,
        /// The underlying cause.
        reason: String,
    },
    /// More redirects than `fetch.max_redirects`.
    #[error("{url}: gave up after {limit} redirects (fetch.max_redirects)")]
    TooManyRedirects {
        /// The URL asked for.
        url: String,
        /// The limit that was reached.
        limit: usize,
    },
    /// A redirect pointed at a scheme other than http/https (`feed:`, `itpc:`, a typo). Unlike an invalid URL
    /// of the source itself this is the server's doing, and it may well be fixed, so it is retried.
    #[error("{url}: redirect to {target} uses the unsupported scheme {scheme} (only http and https are fetched)")]
    RedirectScheme {
        /// The URL asked for.
        url: String,
        /// Where the redirect pointed.
        target: String,
        /// The scheme that was refused.
        scheme: String,
    },
    /// A redirect led back to a URL already visited.
    #[error("{url}: redirect loop: {target} was already visited")]
    RedirectLoop {
        /// The URL asked for.
        url: String,
        /// The URL the loop came back to.
        target: String,
    },
    /// The decompressed body grew past `fetch.max_body_bytes`; reading stopped there.
    #[error("{url}: body is larger than the limit of {} (fetch.max_body_bytes); stopped reading", human_bytes(*limit))]
    BodyTooLarge {
        /// The URL asked for.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The server answered with an error status (other than 410).
    #[error("{url}: server answered {}{}", status_line(*status), retry_note(*retry_after))]
    Status {
        /// The URL asked for.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// How long the server asked us to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// 410 Gone: the server says the resource is removed for good.
    #[error("{url}: server answered 410 Gone: the source was removed for good")]
    Gone {
        /// The URL asked for.
        url: String,
    },
    /// The body could not be read or decompressed.
    #[error("{url}: failed reading the body: {reason}")]
    Body {
        /// The URL asked for.
        url: String,
        /// The underlying cause.
        reason: String,
    },
    /// Any other HTTP-level failure (a malformed response, a protocol error).
    #[error("{url}: HTTP request failed: {reason}")]
    Http {
        /// The URL asked for.
        url: String,
        /// The underlying cause.
        reason: String,
    },
    /// The HTTP client could not be built from the configuration.
    #[error("could not set up the HTTP client: {reason}")]
    Setup {
        /// The underlying cause.
        reason: String,
    },
}

impl FetchError {
    /// How long the server asked us to wait before trying again (`Retry-After` on an error status).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether retrying cannot help until someone changes the source: 410 Gone (disable the source) and a
    /// URL that is not fetchable at all. Everything else, including a guard refusal that depends on what a
    /// name resolves to today and a redirect to an unsupported scheme, is worth retrying with backoff.
    pub fn is_permanent(&self) -> bool {
        matches!(self, FetchError::Gone { .. } | FetchError::InvalidUrl { .. })
    }

    /// The URL the failed fetch asked for (`None` only for [`FetchError::Setup`]).
    pub fn url(&self) -> Option<&str> {
        match self {
            FetchError::InvalidUrl { url, .. }
            | FetchError::Blocked { url, .. }
            | FetchError::Timeout { url }
            | FetchError::Connect { url, .. }
            | FetchError::TooManyRedirects { url, .. }
            | FetchError::RedirectLoop { url, .. }
            | FetchError::RedirectScheme { url, .. }
            | FetchError::BodyTooLarge { url, .. }
            | FetchError::Status { url, .. }
            | FetchError::Gone { url }
            | FetchError::Body { url, .. }
            | FetchError::Http { url, .. } => Some(url),
            FetchError::Setup { .. } => None,
        }
    }
}

fn status_line(status: u16) -> String {
    match reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()) {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

fn retry_note(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!("; retry after {} s", wait.as_secs()),
        None => String::new(),
    }
}

fn human_bytes(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    const KIB: u64 = 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_messages_read_like_the_issue() {
        let e = FetchError::Status {
            url: "https://x/feed".into(),
            status: 429,
            retry_after: Some(Duration::from_secs(120)),
        };
        assert_eq!(e.to_string(), "https://x/feed: server answered 429 Too Many Requests; retry after 120 s");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(120)));
        assert!(!e.is_permanent());
        let e = FetchError::Status { url: "https://x/feed".into(), status: 599, retry_after: None };
        assert_eq!(e.to_string(), "https://x/feed: server answered 599");
    }

    #[test]
    fn gone_and_invalid_urls_are_permanent() {
        assert!(FetchError::Gone { url: "u".into() }.is_permanent());
        assert!(FetchError::InvalidUrl { url: "u".into(), reason: "r".into() }.is_permanent());
        assert!(!FetchError::Timeout { url: "u".into() }.is_permanent());
        assert!(!FetchError::Blocked { url: "u".into(), reason: "r".into() }.is_permanent());
    }

    /// Regression: a redirect to `feed:` or a mistyped scheme was an `InvalidUrl`, which is permanent, so one
    /// bad redirect disabled the source for good.
    #[test]
    fn regression_redirect_to_unsupported_scheme_is_retried() {
        let e = FetchError::RedirectScheme {
            url: "https://x/feed".into(),
            target: "feed://x/feed".into(),
            scheme: "feed".into(),
        };
        assert!(!e.is_permanent());
        assert_eq!(e.url(), Some("https://x/feed"));
        assert_eq!(
            e.to_string(),
            "https://x/feed: redirect to feed://x/feed uses the unsupported scheme feed (only http and https are fetched)"
        );
    }

    #[test]
    fn sizes_are_human() {
        assert_eq!(human_bytes(10 * 1024 * 1024), "10 MiB");
        assert_eq!(human_bytes(64 * 1024), "64 KiB");
        assert_eq!(human_bytes(1000), "1000 bytes");
        let e = FetchError::BodyTooLarge { url: "https://x/".into(), limit: 10 * 1024 * 1024 };
        assert!(e.to_string().starts_with("https://x/: body is larger than the limit of 10 MiB"), "{e}");
    }
}
