//! URL joining with the semantics feeds expect, and resolution of relative links inside HTML.

use std::borrow::Cow;

use url::Url;

const SAFE_SCHEMES: &[&str] = &[
    "file", "ftp", "gopher", "h323", "hdl", "http", "https", "imap", "magnet", "mailto", "mms", "news", "nntp",
    "prospero", "rsync", "rtsp", "rtspu", "sftp", "shttp", "sip", "sips", "snews", "svn", "svn+ssh", "telnet", "wais",
    "aim", "callto", "cvs", "facetime", "feed", "git", "gtalk", "irc", "ircs", "irc6", "itms", "msnim", "skype", "ssh",
    "smb", "ymsg",
];

/// The scheme of `s` if it starts with one (`http:`), lowercased.
fn scheme_of(s: &str) -> Option<String> {
    let colon = s.find(':')?;
    let sch = &s[..colon];
    let mut chars = sch.chars();
    let first = chars.next()?;
    if !first.is_ascii_alphabetic() || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) {
        return None;
    }
    Some(sch.to_ascii_lowercase())
}

/// Collapses `http:////host` to `http://host`, which some feeds produce.
fn fix_slashes(uri: &str) -> Cow<'_, str> {
    if let Some(i) = uri.find("://")
        && scheme_of(uri).is_some_and(|s| s.len() == i)
        && uri[i + 3..].starts_with('/')
    {
        let rest = uri[i + 3..].trim_start_matches('/');
        return Cow::Owned(format!("{}{}", &uri[..i + 3], rest));
    }
    Cow::Borrowed(uri)
}

/// Resolves `uri` against `base`. Absolute references are returned as written (not normalised),
/// and an unusable base leaves the reference alone.
pub(crate) fn urljoin(base: &str, uri: &str) -> String {
    let uri = fix_slashes(uri);
    if base.is_empty() {
        return uri.into_owned();
    }
    if uri.is_empty() {
        return base.to_string();
    }
    if scheme_of(&uri).is_some() {
        return uri.into_owned();
    }
    match Url::parse(base) {
        Ok(b) if !b.cannot_be_a_base() => match b.join(&uri) {
            Ok(u) => u.to_string(),
            Err(_) => uri.into_owned(),
        },
        _ => uri.into_owned(),
    }
}

/// Like [`urljoin`] but refuses results with schemes that could run script (`javascript:`).
pub(crate) fn safe_absolute(base: &str, rel: &str) -> String {
    if base.is_empty() {
        return rel.to_string();
    }
    if rel.is_empty() {
        return match scheme_of(base) {
            None => base.to_string(),
            Some(s) if SAFE_SCHEMES.contains(&s.as_str()) => base.to_string(),
            Some(_) => String::new(),
        };
    }
    let joined = urljoin(base, rel);
    match scheme_of(joined.trim()) {
        Some(s) if SAFE_SCHEMES.contains(&s.as_str()) => joined,
        _ => String::new(),
    }
}

fn is_uri_attr(tag: &str, attr: &str) -> bool {
    matches!(
        (tag, attr),
        ("a", "href")
            | ("applet", "codebase")
            | ("area", "href")
            | ("audio", "src")
            | ("blockquote", "cite")
            | ("body", "background")
            | ("del", "cite")
            | ("form", "action")
            | ("frame", "longdesc")
            | ("frame", "src")
            | ("iframe", "longdesc")
            | ("iframe", "src")
            | ("head", "profile")
            | ("img", "longdesc")
            | ("img", "src")
            | ("img", "usemap")
            | ("input", "src")
            | ("input", "usemap")
            | ("ins", "cite")
            | ("link", "href")
            | ("object", "classid")
            | ("object", "codebase")
            | ("object", "data")
            | ("object", "usemap")
            | ("q", "cite")
            | ("script", "src")
            | ("source", "src")
            | ("video", "poster")
            | ("video", "src")
    )
}

/// Rewrites relative URLs in link-bearing attributes of `html` (`<a href>`, `<img src>`, …) to
/// absolute ones against `base`. Everything else is copied unchanged.
pub fn resolve_relative_uris(html: &str, base: &str) -> String {
    if base.is_empty() {
        return html.to_string();
    }
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len() + 64);
    let mut copied = 0;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let lt = i + off;
        i = lt + 1;
        let mut j = i;
        while j < b.len() && b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if j == i {
            continue;
        }
        let tag = html[i..j].to_ascii_lowercase();
        // Walk the attributes of this tag.
        loop {
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' || b[j] == b'/' || b[j] == b'<' {
                break;
            }
            let ns = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && !matches!(b[j], b'=' | b'>' | b'/' | b'<') {
                j += 1;
            }
            if ns == j {
                j += 1;
                continue;
            }
            let attr = html[ns..j].to_ascii_lowercase();
            let mut k = j;
            while k < b.len() && b[k].is_ascii_whitespace() {
                k += 1;
            }
            if k >= b.len() || b[k] != b'=' {
                continue;
            }
            k += 1;
            while k < b.len() && b[k].is_ascii_whitespace() {
                k += 1;
            }
            let (vs, ve, next) = match b.get(k) {
                Some(&q @ (b'"' | b'\'')) => match memchr::memchr(q, &b[k + 1..]) {
                    Some(e) => (k + 1, k + 1 + e, k + 2 + e),
                    None => (k + 1, b.len(), b.len()),
                },
                _ => {
                    let mut e = k;
                    while e < b.len() && !b[e].is_ascii_whitespace() && b[e] != b'>' {
                        e += 1;
                    }
                    (k, e, e)
                }
            };
            j = next;
            if is_uri_attr(&tag, &attr) {
                let raw = &html[vs..ve];
                let value = raw.replace("&amp;", "&");
                let resolved = safe_absolute(base, value.trim());
                let escaped = resolved.replace('&', "&amp;").replace('"', "&quot;");
                out.push_str(&html[copied..ns]);
                out.push_str(&html[ns..j.min(ns + attr.len())]);
                out.push_str("=\"");
                out.push_str(&escaped);
                out.push('"');
                copied = next.min(b.len());
            }
        }
        i = j.max(i);
    }
    out.push_str(&html[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_keeps_absolute_references_verbatim() {
        assert_eq!(urljoin("http://a/b/c", "http://example.com"), "http://example.com");
        assert_eq!(urljoin("http://a/b/c", "d"), "http://a/b/d");
        assert_eq!(urljoin("http://a/b/c", "/d?x=1"), "http://a/d?x=1");
        assert_eq!(urljoin("", "d"), "d");
        assert_eq!(urljoin("http://a/", "http:///b"), "http://b");
    }

    #[test]
    fn unsafe_schemes_are_dropped() {
        assert_eq!(safe_absolute("http://a/", "javascript:alert(1)"), "");
        assert_eq!(safe_absolute("http://a/", "x"), "http://a/x");
    }

    #[test]
    fn rewrites_links_in_html() {
        let html = r#"<p><a href="/x">x</a> <img alt="i" src='y.png'> <span href="z">z</span></p>"#;
        assert_eq!(
            resolve_relative_uris(html, "http://ex.com/d/"),
            r#"<p><a href="http://ex.com/x">x</a> <img alt="i" src="http://ex.com/d/y.png"> <span href="z">z</span></p>"#
        );
    }
}
