//! Small text helpers shared by the XML handler: HTML sniffing, windows-1252 repair, base64.

use std::borrow::Cow;

use crate::entities;

const ACCEPTABLE_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "big",
    "blockquote",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "command",
    "datagrid",
    "datalist",
    "dd",
    "del",
    "details",
    "dfn",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "em",
    "event-source",
    "fieldset",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "i",
    "img",
    "input",
    "ins",
    "kbd",
    "keygen",
    "label",
    "legend",
    "li",
    "m",
    "map",
    "menu",
    "meter",
    "multicol",
    "nav",
    "nextid",
    "noscript",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "pre",
    "progress",
    "q",
    "s",
    "samp",
    "section",
    "select",
    "small",
    "sound",
    "source",
    "spacer",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "video",
];

fn word_len(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_').count()
}

/// Whether nominally plain text is really HTML: it must have a close tag or an entity, every tag
/// must be a common HTML element and every entity a known one. Errs towards "plain text", since
/// treating text as HTML silently loses data.
pub(crate) fn looks_like_html(s: &str) -> bool {
    let b = s.as_bytes();
    let mut has_close = false;
    let mut has_entity = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                let close = b.get(i + 1) == Some(&b'/');
                let start = i + 1 + usize::from(close);
                let n = word_len(&b[start..]);
                if n > 0 {
                    let name = s[start..start + n].to_ascii_lowercase();
                    if !ACCEPTABLE_ELEMENTS.contains(&name.as_str()) {
                        return false;
                    }
                    if close && b.get(start + n) == Some(&b'>') {
                        has_close = true;
                    }
                }
                i = start + n;
                if n == 0 {
                    i = start;
                }
            }
            b'&' => {
                let num = b.get(i + 1) == Some(&b'#');
                let start = i + 1 + usize::from(num);
                let n = word_len(&b[start..]);
                if n > 0 && b.get(start + n) == Some(&b';') {
                    has_entity = true;
                    if !num && !entities::is_entity(&s[start..start + n]) {
                        return false;
                    }
                }
                i = start + n;
                if n == 0 {
                    i = start;
                }
            }
            _ => i += 1,
        }
    }
    has_close || has_entity
}

/// Maps C1 control characters to the windows-1252 characters they were almost certainly meant to
/// be (curly quotes, dashes, the euro sign): documents labelled ISO-8859-1 are usually cp1252.
pub(crate) fn fix_cp1252(s: Cow<'_, str>) -> Cow<'_, str> {
    // U+0080..U+009F encode as C2 80..C2 9F; look for those bytes rather than decoding chars.
    let b = s.as_bytes();
    let has_c1 = memchr::memchr_iter(0xC2, b).any(|i| b.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n)));
    if !has_c1 {
        return s;
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if ('\u{80}'..='\u{9f}').contains(&c) {
                    let byte = [c as u32 as u8];
                    let (decoded, _, _) = encoding_rs::WINDOWS_1252.decode(&byte);
                    decoded.chars().next().unwrap_or(c)
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// Undoes the common mistake of UTF-8 bytes decoded as Latin-1 and re-encoded as UTF-8.
pub(crate) fn fix_double_utf8(s: Cow<'_, str>) -> Cow<'_, str> {
    // Only strings made entirely of Latin-1 characters, with some in the high half, can qualify.
    // Characters above U+00FF have lead bytes >= C4; Latin-1-only text has only C2/C3 leads.
    if s.is_ascii() || s.bytes().any(|b| b >= 0xC4) {
        return s;
    }
    let bytes: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
    match String::from_utf8(bytes) {
        Ok(fixed) => Cow::Owned(fixed),
        Err(_) => s,
    }
}

/// Decodes base64 text, ignoring whitespace; None if it is not valid base64.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    let mut pad = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                pad += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        if pad > 0 {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Escapes text for inclusion in XML/HTML element content.
pub(crate) fn escape(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| matches!(b, b'&' | b'<' | b'>')) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"))
}

/// Removes tags and decodes entities, for plain-text views of HTML.
pub fn strip_html(s: &str) -> String {
    if !s.contains(['<', '&']) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let mut tok = crate::xml::Tokenizer::new("");
    tok.decode_text(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_sniffing() {
        assert!(looks_like_html("<b>bold</b>"));
        assert!(looks_like_html("AT&amp;T"));
        assert!(!looks_like_html("a < b"));
        assert!(!looks_like_html("<foo>x</foo>"));
        assert!(!looks_like_html("&bogus;"));
    }

    #[test]
    fn cp1252_and_double_encoding() {
        assert_eq!(fix_cp1252(Cow::Borrowed("\u{93}hi\u{94}")), "\u{201c}hi\u{201d}");
        assert_eq!(fix_double_utf8(Cow::Borrowed("caf\u{c3}\u{a9}")), "café");
        assert_eq!(fix_double_utf8(Cow::Borrowed("café")), "café");
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode("a!"), None);
    }

    #[test]
    fn strips_tags() {
        assert_eq!(strip_html("<b>A &amp; B</b>"), "A & B");
    }
}
