//! URL normalisation: the canonical form used to recognise the same article behind different links.

use url::Url;

/// Query parameters that only track the reader; they never change which article a URL points at.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "ocid",
    "cmpid",
    "ncid",
    "sr_share",
    "smid",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "__twitter_impression",
    "s_cid",
    "guccounter",
    "guce_referrer",
    "guce_referrer_sig",
];

fn is_tracking_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("utm_") || lower.starts_with("at_") || TRACKING_PARAMS.contains(&lower.as_str())
}

/// The host of a URL (`news.example.org`), to name an outlet that has no title.
pub fn host_of(raw: &str) -> Option<String> {
    Url::parse(raw.trim()).ok()?.host_str().map(str::to_owned)
}

/// The canonical form of an article URL, or `None` when it is not an absolute http(s) URL.
///
/// Two links to the same article map to the same string: the scheme becomes `https`, the host loses a
/// leading `www.` and is lower-cased, default ports, fragments and tracking parameters (`utm_*`, `fbclid`, …)
/// go, the remaining query parameters are sorted, and an empty path becomes `/`.
pub fn canonical_url(raw: &str) -> Option<String> {
    let url = Url::parse(raw.trim()).ok()?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).trim_end_matches('.');
    // `url` already drops a port that is its scheme's default; any port left matters, whatever the scheme.
    let port = match url.port() {
        None => String::new(),
        Some(p) => format!(":{p}"),
    };
    let mut params: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking_param(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    params.sort();
    let path = if url.path().is_empty() { "/" } else { url.path() };
    let mut out = format!("https://{host}{port}{path}");
    if !params.is_empty() {
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
        out.push('?');
        out.push_str(&query);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn scheme_www_and_tracking_do_not_matter() {
        let a = canonical_url("http://www.Example.com/news/a?utm_source=x&id=3&fbclid=abc#top").unwrap();
        let b = canonical_url("https://example.com/news/a?id=3").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, "https://example.com/news/a?id=3");
    }

    #[test]
    fn meaningful_query_is_kept_and_sorted() {
        assert_eq!(canonical_url("https://e.com/?b=2&a=1").unwrap(), "https://e.com/?a=1&b=2");
        assert_ne!(canonical_url("https://e.com/a?id=1"), canonical_url("https://e.com/a?id=2"));
    }

    #[test]
    fn non_http_is_none() {
        assert_eq!(canonical_url("mailto:a@b.c"), None);
        assert_eq!(canonical_url("not a url"), None);
        assert_eq!(canonical_url("/relative"), None);
    }

    #[test]
    fn ports() {
        assert_eq!(canonical_url("http://e.com:80/x").unwrap(), "https://e.com/x");
        assert_eq!(canonical_url("http://e.com:8080/x").unwrap(), "https://e.com:8080/x");
        assert_eq!(canonical_url("https://e.com:443/x").unwrap(), "https://e.com/x");
        assert_ne!(canonical_url("https://e.com:80/x"), canonical_url("https://e.com/x"));
    }

    proptest! {
        #[test]
        fn canonical_is_idempotent(path in "[a-z0-9/]{0,20}", q in "[a-z]{1,5}", v in "[a-z0-9]{0,5}") {
            let raw = format!("http://www.example.org/{path}?{q}={v}&utm_medium=rss");
            let once = canonical_url(&raw).unwrap();
            prop_assert_eq!(canonical_url(&once).unwrap(), once);
        }
    }
}
