//! Bytes to text: the encoding from the HTTP header, a BOM, `<meta charset>` or detection, and the checks
//! that refuse what is not HTML before the parser spends time on it.

use encoding_rs::{Encoding, UTF_8};

use crate::ExtractError;

/// Decodes a page to text. The order follows the HTML standard's encoding sniffing: a BOM wins, then the
/// transport's charset, then a `<meta>` declaration in the first bytes, then detection. Invalid sequences
/// become U+FFFD rather than failing, since one bad byte must not lose an article.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> Result<String, ExtractError> {
    if let Some(ct) = content_type {
        check_content_type(ct)?;
    }
    let (bom_encoding, bom_len) = match Encoding::for_bom(bytes) {
        Some((enc, len)) => (Some(enc), len),
        None => (None, 0),
    };
    let body = &bytes[bom_len..];
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ExtractError::Empty);
    }
    if bom_encoding.is_none() {
        sniff_binary(body)?;
    }
    let encoding = bom_encoding
        .or_else(|| content_type.and_then(charset_from_content_type))
        .or_else(|| prescan_meta(&body[..body.len().min(4096)]))
        .map(|e| {
            // A page cannot be UTF-16 if the declaration itself was readable as ASCII.
            if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE {
                if bom_encoding.is_some() { e } else { UTF_8 }
            } else {
                e
            }
        })
        .unwrap_or_else(|| detect(body));
    let (text, _) = encoding.decode_without_bom_handling(body);
    Ok(text.into_owned())
}

fn check_content_type(ct: &str) -> Result<(), ExtractError> {
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let ok = mime.is_empty()
        || mime == "text/html"
        || mime == "application/xhtml+xml"
        || mime.ends_with("+xml")
        || mime == "application/xml"
        || mime == "text/xml"
        || mime == "application/octet-stream"
        || mime == "text/plain";
    if ok { Ok(()) } else { Err(ExtractError::NotHtml(format!("content type {mime}"))) }
}

fn charset_from_content_type(ct: &str) -> Option<&'static Encoding> {
    ct.split(';').skip(1).find_map(|part| {
        let (k, v) = part.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("charset") {
            Encoding::for_label(v.trim().trim_matches(['"', '\'']).as_bytes())
        } else {
            None
        }
    })
}

/// Known binary signatures, so the error says what the file is.
fn sniff_binary(bytes: &[u8]) -> Result<(), ExtractError> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"%PDF", "a PDF file"),
        (b"\x89PNG", "a PNG image"),
        (b"GIF8", "a GIF image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"\x1F\x8B", "gzip-compressed data (decompress it first)"),
        (b"RIFF", "a RIFF media file"),
        (b"\x00\x00\x00", "binary data"),
        (b"\x7FELF", "an executable"),
    ];
    for (magic, what) in MAGIC {
        if bytes.starts_with(magic) {
            return Err(ExtractError::NotHtml(format!("the input is {what}")));
        }
    }
    let head = &bytes[..bytes.len().min(8192)];
    let controls = head.iter().filter(|&&b| b < 0x09 || (0x0E..0x20).contains(&b) && b != 0x1B).count();
    if head.contains(&0) || controls * 20 > head.len() {
        return Err(ExtractError::NotHtml("the input is binary data (control bytes)".into()));
    }
    Ok(())
}

/// Finds `charset=` in a `<meta>` within the first bytes, like the standard's prescan (simplified: the
/// first `<meta` carrying a charset wins).
fn prescan_meta(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos;
        let end = lower[start..].iter().position(|&b| b == b'>').map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(cs) = find(tag, b"charset") {
            let rest = &tag[cs + 7..];
            let rest = rest.iter().position(|&b| b != b' ' && b != b'=').map_or(&rest[rest.len()..], |p| &rest[p..]);
            let rest = rest.strip_prefix(b"\"").or_else(|| rest.strip_prefix(b"'")).unwrap_or(rest);
            let label_end = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\'' || b == b';' || b == b' ' || b == b'/')
                .unwrap_or(rest.len());
            if let Some(enc) = Encoding::for_label(&rest[..label_end]) {
                // The standard maps a declared x-user-defined to windows-1252.
                return Some(if enc == encoding_rs::X_USER_DEFINED { encoding_rs::WINDOWS_1252 } else { enc });
            }
        }
        from = end;
        if from >= lower.len() {
            break;
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn detect(bytes: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    let mut det = chardetng::EncodingDetector::new();
    det.feed(bytes, true);
    det.guess(None, true)
}

/// Refuses text with no markup at all, and JSON, which parse into an "article" of garbage otherwise.
pub fn check_markup(source: &str) -> Result<(), ExtractError> {
    let trimmed = source.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.is_empty() {
        return Err(ExtractError::Empty);
    }
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && serde_json::from_str::<serde_json::Value>(trimmed).is_ok()
    {
        return Err(ExtractError::NotHtml("the input is JSON".into()));
    }
    let head = &trimmed.as_bytes()[..trimmed.len().min(65536)];
    let has_tag = head.windows(2).any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'!'));
    if !has_tag {
        return Err(ExtractError::NotHtml("no HTML markup in the first 64 KiB (plain text?)".into()));
    }
    if head.starts_with(b"<?xml") {
        let lower = String::from_utf8_lossy(&head[..head.len().min(2048)]).to_ascii_lowercase();
        if (lower.contains("<rss") || lower.contains("<feed") || lower.contains("<rdf:rdf")) && !lower.contains("<html")
        {
            return Err(ExtractError::NotHtml("the input is a feed (RSS/Atom), not a page".into()));
        }
    }
    Ok(())
}

/// Deepest element nesting passed to the parser. Real pages stay under a few hundred; the HTML tree
/// builder checks element scopes by scanning its stack of open elements, so a page nesting 100,000
/// elements costs it quadratic time unless the excess is removed first.
pub const MAX_NESTING: usize = 512;

/// Elements that never hold children or close themselves implicitly, so they do not count as depth.
fn no_depth(name: &[u8]) -> bool {
    matches!(
        name,
        b"br"
            | b"img"
            | b"meta"
            | b"link"
            | b"input"
            | b"hr"
            | b"area"
            | b"base"
            | b"col"
            | b"embed"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
            | b"p"
            | b"li"
            | b"td"
            | b"th"
            | b"tr"
            | b"option"
            | b"dt"
            | b"dd"
            | b"tbody"
            | b"thead"
            | b"colgroup"
            | b"!doctype"
    )
}

/// Drops start tags nested deeper than `max` (and as many end tags after them), keeping all text: a
/// best-effort flattening of hostile markup in one linear pass. Pages within the limit are untouched.
pub fn cap_nesting(src: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let b = src.as_bytes();
    let scan = |mut out: Option<&mut String>| -> bool {
        let (mut depth, mut skipped, mut last, mut i) = (0usize, 0usize, 0usize, 0usize);
        let mut exceeded = false;
        while let Some(off) = memchr::memchr(b'<', &b[i..]) {
            let start = i + off;
            let close = b.get(start + 1) == Some(&b'/');
            let name_start = start + 1 + usize::from(close);
            let mut name = [0u8; 16];
            let mut name_len = 0;
            while name_len < name.len() {
                match b.get(name_start + name_len) {
                    Some(&c) if c.is_ascii_alphanumeric() || c == b'!' => {
                        name[name_len] = c.to_ascii_lowercase();
                        name_len += 1;
                    }
                    _ => break,
                }
            }
            if name_len == 0 {
                i = start + 1;
                continue;
            }
            let end = memchr::memchr(b'>', &b[start..]).map_or(b.len(), |e| start + e + 1);
            let self_closing = end >= 2 && b[end - 2] == b'/';
            let mut drop = false;
            if !no_depth(&name[..name_len]) && !self_closing {
                if close {
                    if skipped > 0 {
                        skipped -= 1;
                        drop = true;
                    } else {
                        depth = depth.saturating_sub(1);
                    }
                } else if depth >= max {
                    skipped += 1;
                    drop = true;
                    exceeded = true;
                } else {
                    depth += 1;
                }
            }
            if drop {
                if let Some(o) = out.as_deref_mut() {
                    o.push_str(&src[last..start]);
                }
                last = end;
            }
            i = end.max(start + 1);
            if i >= b.len() {
                break;
            }
        }
        if let Some(o) = out {
            o.push_str(&src[last.min(src.len())..]);
        }
        exceeded
    };
    if !scan(None) {
        return std::borrow::Cow::Borrowed(src);
    }
    let mut out = String::with_capacity(src.len());
    scan(Some(&mut out));
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_charset_wins_over_meta() {
        let page = b"<meta charset=utf-8><p>caf\xe9</p>";
        let s = decode_html(page, Some("text/html; charset=ISO-8859-1")).unwrap();
        assert!(s.contains("café"));
    }

    #[test]
    fn meta_charset_used() {
        let page = b"<html><head><meta http-equiv=Content-Type content='text/html; charset=windows-1251'></head><p>\xcf\xf0\xe8\xe2\xe5\xf2</p>";
        let s = decode_html(page, None).unwrap();
        assert!(s.contains("Привет"), "{s}");
    }

    #[test]
    fn bom_wins() {
        let mut page = vec![0xFF, 0xFE];
        for u in "<p>héllo</p>".encode_utf16() {
            page.extend_from_slice(&u.to_le_bytes());
        }
        let s = decode_html(&page, Some("text/html; charset=iso-8859-1")).unwrap();
        assert!(s.contains("héllo"));
    }

    #[test]
    fn detection_without_declaration() {
        let (bytes, _, _) =
            encoding_rs::SHIFT_JIS.encode("<p>日本語のニュース記事です。東京で会議が開かれました。</p>");
        let s = decode_html(&bytes, None).unwrap();
        assert!(s.contains("日本語のニュース"), "{s}");
    }

    #[test]
    fn binary_refused() {
        assert!(matches!(decode_html(b"\x89PNG\r\n\x1a\n\0\0", None), Err(ExtractError::NotHtml(_))));
        assert!(matches!(decode_html(b"hello", Some("image/png")), Err(ExtractError::NotHtml(_))));
    }
}
