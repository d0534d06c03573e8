//! The image proxy: an article's images are served from our own origin, so a reader's browser asks no outlet
//! (or anyone else) for anything and tells nobody what it reads.
//!
//! Pages link to `/img/{signature}/{hex of the image URL}`. The signature (HMAC-SHA256 under the installation's
//! key) is what keeps this from being an open proxy: only URLs our own pages named can be fetched through it.
//! The first request fetches the image through an [`ImageSource`] (the binary gives it the guarded fetcher the
//! feeds use, so private addresses stay refused), checks that the bytes are an image, and keeps them on disk;
//! every later request is served from the disk.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ring::hmac;

use crate::AppState;

/// The largest image kept and served.
pub const MAX_IMAGE_BYTES: usize = 8 * 1024 * 1024;

/// The bytes of an image, as fetched from its outlet.
#[derive(Debug, Clone)]
pub struct FetchedImage {
    /// The body.
    pub bytes: Vec<u8>,
    /// The `Content-Type` the outlet sent, if any.
    pub content_type: Option<String>,
}

/// Fetches images for the proxy. The binary implements it over the guarded fetcher.
#[async_trait]
pub trait ImageSource: Send + Sync {
    /// Fetches `url`; the error is a message for the log, naming the URL and the problem.
    async fn fetch_image(&self, url: &str) -> Result<FetchedImage, String>;
}

/// Signs image URLs for pages and serves them from the disk cache.
pub struct ImageProxy {
    key: hmac::Key,
    cache_dir: PathBuf,
    source: Arc<dyn ImageSource>,
}

impl std::fmt::Debug for ImageProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageProxy").field("cache_dir", &self.cache_dir).finish_non_exhaustive()
    }
}

/// The signature is cut to 128 bits: plenty against forgery, and shorter links.
const SIGNATURE_BYTES: usize = 16;

impl ImageProxy {
    /// A proxy signing with `secret` (keep it stable across restarts, or links in pages readers saved offline
    /// stop working) and keeping images under `cache_dir`.
    pub fn new(secret: &[u8], cache_dir: PathBuf, source: Arc<dyn ImageSource>) -> ImageProxy {
        ImageProxy { key: hmac::Key::new(hmac::HMAC_SHA256, secret), cache_dir, source }
    }

    /// Our own path serving the image at `url`; `None` for anything but an http(s) URL.
    pub fn path_for(&self, url: &str) -> Option<String> {
        let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return None;
        }
        let tag = hmac::sign(&self.key, url.as_bytes());
        let signature = tag.as_ref().get(..SIGNATURE_BYTES)?;
        Some(format!("/img/{}/{}", hex::encode(signature), hex::encode(url.as_bytes())))
    }

    /// The image URL a path names, when its signature is ours.
    fn verified_url(&self, signature: &str, encoded: &str) -> Option<String> {
        let signature = hex::decode(signature).ok()?;
        let url = String::from_utf8(hex::decode(encoded).ok()?).ok()?;
        let tag = hmac::sign(&self.key, url.as_bytes());
        let expected = tag.as_ref().get(..SIGNATURE_BYTES)?;
        constant_time_eq(expected, &signature).then_some(url)
    }

    /// `html` (sanitised article HTML) with every `<img src>` pointing through the proxy. An image whose URL
    /// cannot be proxied loses its `src`: better no image than a request to a third party.
    pub fn rewrite_html(&self, html: &str) -> String {
        rewrite_img_sources(html, |url| self.path_for(url))
    }

    fn cache_path(&self, url: &str) -> PathBuf {
        let digest = ring::digest::digest(&ring::digest::SHA256, url.as_bytes());
        let name = hex::encode(digest.as_ref());
        self.cache_dir.join(&name[..2]).join(name)
    }

    /// The image at `url`, from the disk when we have it, else fetched, checked and kept.
    async fn image(&self, url: &str) -> Result<(&'static str, Vec<u8>), String> {
        let path = self.cache_path(url);
        if let Ok(bytes) = tokio::fs::read(&path).await
            && let Some(kind) = sniff(&bytes, None)
        {
            return Ok((kind, bytes));
        }
        let fetched = self.source.fetch_image(url).await?;
        if fetched.bytes.len() > MAX_IMAGE_BYTES {
            return Err(format!("image {url}: {} bytes, over the limit of {MAX_IMAGE_BYTES}", fetched.bytes.len()));
        }
        let Some(kind) = sniff(&fetched.bytes, fetched.content_type.as_deref()) else {
            return Err(format!(
                "image {url}: not an image we serve (sent as {})",
                fetched.content_type.as_deref().unwrap_or("no content type")
            ));
        };
        if let Err(error) = keep(&path, &fetched.bytes).await {
            // Serving it still works; the next request fetches again.
            tracing::warn!(%error, path = %path.display(), "could not keep a proxied image on disk");
        }
        Ok((kind, fetched.bytes))
    }
}

/// Compares without stopping at the first difference, so timing tells a forger nothing about the signature.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Writes `bytes` to `path` through a temporary file, so a reader never sees half an image.
async fn keep(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let temporary = path.with_extension(format!("part{}", std::process::id()));
    tokio::fs::write(&temporary, bytes).await?;
    tokio::fs::rename(&temporary, path).await
}

/// The media type of `bytes` when they are an image we serve, by their first bytes; SVG (text) only when the
/// outlet said so. Anything else (HTML, scripts, an error page sent with status 200) is refused.
fn sniff(bytes: &[u8], declared: Option<&str>) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if starts(b"\xFF\xD8\xFF") {
        return Some("image/jpeg");
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some("image/gif");
    }
    if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return Some("image/webp");
    }
    if bytes.get(4..12).is_some_and(|b| b == b"ftypavif" || b == b"ftypavis") {
        return Some("image/avif");
    }
    let head = String::from_utf8_lossy(bytes.get(..512).unwrap_or(bytes)).trim_start_matches('\u{feff}').to_owned();
    let head = head.trim_start();
    let declared_svg = declared.is_none_or(|t| t.to_ascii_lowercase().starts_with("image/svg+xml"));
    if declared_svg && (head.starts_with("<svg") || (head.starts_with("<?xml") && head.contains("<svg"))) {
        return Some("image/svg+xml");
    }
    None
}

/// `GET /img/{signature}/{url}`.
pub(crate) async fn serve(
    State(state): State<AppState>,
    UrlPath((signature, encoded)): UrlPath<(String, String)>,
) -> Response {
    let Some(proxy) = state.images.as_deref() else {
        return (StatusCode::NOT_FOUND, "the image proxy is off").into_response();
    };
    // A forged or mangled link gets nothing: the proxy fetches only what our pages named.
    let Some(url) = proxy.verified_url(&signature, &encoded) else {
        return (StatusCode::NOT_FOUND, "no such image").into_response();
    };
    match proxy.image(&url).await {
        Ok((kind, bytes)) => {
            metrics::counter!("tidings_image_proxy_served_total").increment(1);
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=604800"));
            // Opened on its own, an SVG is a document of our origin: it must not run anything.
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
            );
            response
        }
        Err(error) => {
            metrics::counter!("tidings_image_proxy_failed_total").increment(1);
            tracing::warn!(%error, "image proxy");
            (StatusCode::BAD_GATEWAY, "the image could not be fetched").into_response()
        }
    }
}

/// Rewrites the `src` of every `<img>` in `html` with `proxied`; drops it where `proxied` gives `None`.
///
/// `html` is the sanitiser's output, which writes every attribute as `name="value"` with `&`, `"` and `<`
/// escaped, so a scan of the tags is exact here (it would not be on arbitrary HTML).
fn rewrite_img_sources(html: &str, proxied: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(start) = find_img_tag(rest) {
        let (before, tag_and_after) = rest.split_at(start);
        out.push_str(before);
        let end = tag_and_after.find('>').map_or(tag_and_after.len(), |i| i + 1);
        let (tag, after) = tag_and_after.split_at(end);
        out.push_str(&rewrite_tag(tag, &proxied));
        rest = after;
    }
    out.push_str(rest);
    out
}

fn find_img_tag(html: &str) -> Option<usize> {
    let bytes = html.as_bytes();
    let mut from = 0;
    while let Some(i) = html[from..].find('<').map(|i| i + from) {
        let name = bytes.get(i + 1..i + 4);
        let after = bytes.get(i + 4).copied();
        if name.is_some_and(|n| n.eq_ignore_ascii_case(b"img"))
            && after.is_none_or(|c| c.is_ascii_whitespace() || c == b'>' || c == b'/')
        {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

fn rewrite_tag(tag: &str, proxied: &impl Fn(&str) -> Option<String>) -> String {
    let Some(at) = tag.find(" src=\"") else { return tag.to_owned() };
    let value_start = at + " src=\"".len();
    let Some(len) = tag[value_start..].find('"') else { return tag.to_owned() };
    let url = unescape_attribute(&tag[value_start..value_start + len]);
    let mut out = String::with_capacity(tag.len() + 64);
    out.push_str(&tag[..at]);
    if let Some(path) = proxied(&url) {
        out.push_str(" src=\"");
        out.push_str(&path);
        out.push('"');
    }
    out.push_str(&tag[value_start + len + 1..]);
    out
}

fn unescape_attribute(value: &str) -> String {
    if !value.contains('&') {
        return value.to_owned();
    }
    value.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'").replace("&amp;", "&")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    struct Nothing;

    #[async_trait]
    impl ImageSource for Nothing {
        async fn fetch_image(&self, url: &str) -> Result<FetchedImage, String> {
            Err(format!("{url}: offline"))
        }
    }

    fn proxy() -> ImageProxy {
        ImageProxy::new(b"test key", PathBuf::from("/nonexistent"), Arc::new(Nothing))
    }

    #[test]
    fn signed_paths_verify_and_forgeries_do_not() {
        let proxy = proxy();
        let path = proxy.path_for("https://outlet.example/a.png?w=600&h=400").unwrap();
        let parts: Vec<&str> = path.trim_start_matches("/img/").split('/').collect();
        assert_eq!(proxy.verified_url(parts[0], parts[1]).as_deref(), Some("https://outlet.example/a.png?w=600&h=400"));
        let other = hex::encode("https://evil.example/x.png");
        assert_eq!(proxy.verified_url(parts[0], &other), None);
        assert_eq!(proxy.verified_url("00", parts[1]), None);
        assert_eq!(proxy.verified_url("zz", "zz"), None);
        let other_key = ImageProxy::new(b"another key", PathBuf::new(), Arc::new(Nothing));
        assert_eq!(other_key.verified_url(parts[0], parts[1]), None);
    }

    #[test]
    fn only_web_urls_are_proxied() {
        let proxy = proxy();
        assert!(proxy.path_for("HTTPS://outlet.example/a.png").is_some());
        assert!(proxy.path_for("data:image/png;base64,AAAA").is_none());
        assert!(proxy.path_for("javascript:alert(1)").is_none());
        assert!(proxy.path_for("/relative.png").is_none());
    }

    #[test]
    fn every_img_src_is_rewritten_and_nothing_else() {
        let html = r#"<p>See <a href="https://outlet.example/a.png">this</a></p><figure><img src="https://outlet.example/a.png?x=1&amp;y=2" alt="A &amp; B"><figcaption>Cap</figcaption></figure><IMG alt="x" src="http://o.example/b.gif"><img alt="no source"><imgx src="https://o.example/c">"#;
        let out = rewrite_img_sources(html, |url| Some(format!("/p/{}", url.len())));
        assert!(out.contains(r#"<a href="https://outlet.example/a.png">"#), "{out}");
        assert!(out.contains(r#"<img src="/p/36" alt="A &amp; B">"#), "{out}");
        assert!(out.contains(r#"<IMG alt="x" src="/p/22">"#), "{out}");
        assert!(out.contains(r#"<img alt="no source">"#), "{out}");
        assert!(out.contains(r#"<imgx src="https://o.example/c">"#), "{out}");
    }

    #[test]
    fn an_image_that_cannot_be_proxied_loses_its_source() {
        let out = rewrite_img_sources(r#"<img src="ftp://x/y.png" alt="y">"#, |_| None);
        assert_eq!(out, r#"<img alt="y">"#);
    }

    #[test]
    fn sniffing_accepts_images_and_refuses_the_rest() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....", Some("text/html")), Some("image/png"));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0..", None), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a..", None), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ", None), Some("image/webp"));
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>", Some("image/svg+xml")),
            Some("image/svg+xml")
        );
        assert_eq!(sniff(b"<svg/>", Some("text/html")), None);
        assert_eq!(sniff(b"<html><script>alert(1)</script>", Some("image/png")), None);
        assert_eq!(sniff(b"", None), None);
    }
}
