//! Character encoding detection and decoding to UTF-8.
//!
//! Follows RFC 3023 the way feedparser does: the HTTP charset wins for XML media types, `text/*`
//! without a charset means US-ASCII, and otherwise the BOM and the XML declaration decide. When
//! the chosen encoding cannot decode the bytes we fall back (declared, BOM, statistical detection,
//! UTF-8, windows-1252) and report the override as a bozo reason.

use std::borrow::Cow;

use encoding_rs::Encoding;

pub(crate) struct Decoded<'a> {
    pub text: Cow<'a, str>,
    /// The encoding name as feedparser reports it.
    pub encoding: String,
    pub bozo: Option<String>,
    pub json: bool,
}

/// Splits a Content-Type header into its lowercase media type and charset parameter.
pub(crate) fn parse_content_type(line: &str) -> (String, String) {
    let mut chunks = line.split(';');
    let mime = chunks.next().unwrap_or("").trim().to_ascii_lowercase();
    let mut charset = String::new();
    for chunk in chunks {
        if let Some((k, v)) = chunk.split_once('=')
            && k.trim().eq_ignore_ascii_case("charset")
        {
            charset = v.trim().trim_matches(|c| c == '"' || c == '\'').to_string();
        }
    }
    (mime, charset)
}

fn bom(data: &[u8]) -> (&'static str, usize) {
    match data {
        [0, 0, 0xFE, 0xFF, ..] => ("utf-32be", 4),
        [0xFF, 0xFE, 0, 0, ..] => ("utf-32le", 4),
        [0xFE, 0xFF, a, b, ..] if (*a, *b) != (0, 0) => ("utf-16be", 2),
        [0xFF, 0xFE, a, b, ..] if (*a, *b) != (0, 0) => ("utf-16le", 2),
        [0xFE, 0xFF] => ("utf-16be", 2),
        [0xFF, 0xFE] => ("utf-16le", 2),
        [0xEF, 0xBB, 0xBF, ..] => ("utf-8", 3),
        [0, 0x3C, 0, 0x3F, ..] => ("utf-16be", 0),
        [0x3C, 0, 0x3F, 0, ..] => ("utf-16le", 0),
        [0, 0, 0, 0x3C, ..] => ("utf-32be", 0),
        [0x3C, 0, 0, 0, ..] => ("utf-32le", 0),
        _ => ("", 0),
    }
}

fn decode_utf32(data: &[u8], big_endian: bool) -> Option<String> {
    if !data.len().is_multiple_of(4) {
        return None;
    }
    data.chunks_exact(4)
        .map(|c| {
            let v = if big_endian {
                u32::from_be_bytes([c[0], c[1], c[2], c[3]])
            } else {
                u32::from_le_bytes([c[0], c[1], c[2], c[3]])
            };
            char::from_u32(v)
        })
        .collect()
}

/// Strictly decodes `data` as `label`, or None if the label is unknown or the bytes are invalid.
fn try_decode<'a>(data: &'a [u8], label: &str) -> Option<Cow<'a, str>> {
    let l = label.trim().to_ascii_lowercase();
    match l.as_str() {
        "utf-8" | "utf8" | "u8" => return simdutf8::basic::from_utf8(data).ok().map(Cow::Borrowed),
        "us-ascii" | "ascii" | "ansi_x3.4-1968" | "646" => {
            return data.is_ascii().then(|| Cow::Borrowed(std::str::from_utf8(data).unwrap_or("")));
        }
        "utf-32be" | "utf_32_be" => return decode_utf32(data, true).map(Cow::Owned),
        "utf-32le" | "utf_32_le" => return decode_utf32(data, false).map(Cow::Owned),
        "utf-32" | "utf32" | "utf_32" => {
            return match data {
                [0, 0, 0xFE, 0xFF, rest @ ..] => decode_utf32(rest, true),
                [0xFF, 0xFE, 0, 0, rest @ ..] => decode_utf32(rest, false),
                _ => decode_utf32(data, true),
            }
            .map(Cow::Owned);
        }
        "utf-16" | "utf16" | "utf_16" => {
            let (enc, rest) = match data {
                [0xFE, 0xFF, rest @ ..] => (encoding_rs::UTF_16BE, rest),
                [0xFF, 0xFE, rest @ ..] => (encoding_rs::UTF_16LE, rest),
                _ => (encoding_rs::UTF_16LE, data),
            };
            return enc.decode_without_bom_handling_and_without_replacement(rest).map(|c| Cow::Owned(c.into_owned()));
        }
        _ => {}
    }
    let enc = Encoding::for_label(l.replace('_', "-").as_bytes())?;
    if enc == encoding_rs::UTF_8 {
        return simdutf8::basic::from_utf8(data).ok().map(Cow::Borrowed);
    }
    if enc == encoding_rs::REPLACEMENT {
        return None;
    }
    enc.decode_without_bom_handling_and_without_replacement(data)
}

/// The encoding named in `<?xml ... encoding="..."?>` at the very start of the document.
fn xml_declared_encoding(prefix: &[u8]) -> Option<String> {
    if !prefix.starts_with(b"<?") {
        return None;
    }
    let end = memchr::memmem::find(prefix, b"?>")?;
    let decl = &prefix[..end];
    let at = memchr::memmem::find(decl, b"encoding=")?;
    let rest = &decl[at + 9..];
    let q = *rest.first()?;
    if q != b'"' && q != b'\'' {
        return None;
    }
    let close = memchr::memchr(q, &rest[1..])?;
    Some(String::from_utf8_lossy(&rest[1..1 + close]).to_ascii_lowercase())
}

/// Names chardetng's guesses the way the chardet package (and so feedparser) spells them.
fn detected_name(enc: &'static Encoding) -> &'static str {
    match enc.name() {
        "GBK" | "gb18030" => "GB2312",
        "Shift_JIS" => "SHIFT_JIS",
        "windows-874" => "TIS-620",
        "windows-1252" => "ISO-8859-1",
        other => other,
    }
}

fn detect(data: &[u8]) -> Option<(&'static Encoding, &'static str)> {
    let mut det = chardetng::EncodingDetector::new();
    det.feed(data, true);
    let enc = det.guess(None, true);
    if enc == encoding_rs::UTF_8 {
        return None;
    }
    Some((enc, detected_name(enc)))
}

/// Decodes a feed body. `content_type` is the HTTP Content-Type when the bytes came over HTTP.
pub(crate) fn decode<'a>(input: &'a [u8], content_type: Option<&str>) -> Decoded<'a> {
    let (bom_enc, bom_len) = bom(input);
    let data = &input[bom_len..];
    let mut xml_enc = String::new();
    let head = &data[..data.len().min(1024)];
    let ascii_head: Option<Cow<'_, str>> = if bom_enc.is_empty() || bom_enc == "utf-8" {
        None
    } else {
        // Only whole code units: a truncated tail would make the strict decoder refuse.
        let unit = if bom_enc.starts_with("utf-32") { 4 } else { 2 };
        try_decode(&head[..head.len() - head.len() % unit], bom_enc)
    };
    let declared = match &ascii_head {
        Some(t) => xml_declared_encoding(t.as_bytes()),
        None if bom_enc.is_empty() || bom_enc == "utf-8" => xml_declared_encoding(head),
        None => None,
    };
    if let Some(d) = declared {
        xml_enc = d;
        const UNICODE: &[&str] = &[
            "u16",
            "utf-16",
            "utf16",
            "utf_16",
            "u32",
            "utf-32",
            "utf32",
            "utf_32",
            "iso-10646-ucs-2",
            "iso-10646-ucs-4",
            "csucs4",
            "csunicode",
            "ucs-2",
            "ucs-4",
        ];
        if !bom_enc.is_empty() && UNICODE.contains(&xml_enc.as_str()) {
            xml_enc = bom_enc.to_string();
        }
    }

    let (mime, http_enc) = content_type.map(parse_content_type).unwrap_or_default();
    let mut acceptable = false;
    let mut json = false;
    let app_types = ["application/xml", "application/xml-dtd", "application/xml-external-parsed-entity"];
    let text_types = ["text/xml", "text/xml-external-parsed-entity"];
    let rfc3023: String =
        if app_types.contains(&mime.as_str()) || (mime.starts_with("application/") && mime.ends_with("+xml")) {
            acceptable = true;
            first_non_empty(&[&http_enc, &xml_enc, "utf-8"])
        } else if text_types.contains(&mime.as_str()) || (mime.starts_with("text/") && mime.ends_with("+xml")) {
            acceptable = true;
            first_non_empty(&[&http_enc, "us-ascii"])
        } else if mime == "application/feed+json" || mime == "application/json" {
            acceptable = true;
            json = true;
            first_non_empty(&[&http_enc, "utf-8"])
        } else if data.trim_ascii_start().first() == Some(&b'{') {
            // Not labelled XML, and it opens like a JSON object: many servers send JSON Feeds as text/plain or
            // application/octet-stream, and no XML document starts with '{'. JSON is UTF-8 unless the header says
            // otherwise; a label other than JSON's is still reported.
            acceptable = mime.is_empty() || mime.contains("json");
            json = true;
            first_non_empty(&[&http_enc, "utf-8"])
        } else if mime.starts_with("text/") {
            first_non_empty(&[&http_enc, "us-ascii"])
        } else {
            first_non_empty(&[&xml_enc, "utf-8"])
        };
    let fix_gb = |s: String| if s.eq_ignore_ascii_case("gb2312") { "gb18030".to_string() } else { s };
    let rfc3023 = fix_gb(rfc3023);
    let xml_enc = fix_gb(xml_enc);

    let mut bozo = None;
    if content_type.is_some() && !acceptable {
        let expected = if json { "a JSON" } else { "an XML" };
        bozo = Some(format!("{} is not {expected} media type", content_type.unwrap_or_default()));
    }

    let mut tried: Vec<String> = Vec::new();
    let candidates: [&str; 3] = [&rfc3023, &xml_enc, bom_enc];
    for cand in candidates {
        if cand.is_empty() || tried.iter().any(|t| t == cand) {
            continue;
        }
        tried.push(cand.to_string());
        if let Some(text) = try_decode(data, cand) {
            if cand != rfc3023 && bozo.is_none() {
                bozo = Some(format!("document declared as {rfc3023}, but parsed as {cand}"));
            }
            return Decoded { text, encoding: cand.to_string(), bozo, json };
        }
    }
    if let Some((enc, name)) = detect(data)
        && !tried.iter().any(|t| t.eq_ignore_ascii_case(name))
        && let Some(text) = enc.decode_without_bom_handling_and_without_replacement(data)
    {
        let bozo = bozo.or_else(|| Some(format!("document declared as {rfc3023}, but parsed as {name}")));
        return Decoded { text, encoding: name.to_string(), bozo, json };
    }
    for cand in ["utf-8", "windows-1252"] {
        if tried.iter().any(|t| t == cand) {
            continue;
        }
        if let Some(text) = try_decode(data, cand) {
            let bozo = bozo.or_else(|| Some(format!("document declared as {rfc3023}, but parsed as {cand}")));
            return Decoded { text, encoding: cand.to_string(), bozo, json };
        }
    }
    // windows-1252 maps every byte, so this is only reached for impossible inputs; stay total.
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(data);
    Decoded {
        text: Cow::Owned(text.into_owned()),
        encoding: "windows-1252".into(),
        bozo: Some("document encoding unknown".into()),
        json,
    }
}

fn first_non_empty(options: &[&str]) -> String {
    options.iter().find(|s| !s.is_empty()).copied().unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_default_borrows() {
        let d = decode(b"<rss/>", None);
        assert!(matches!(d.text, Cow::Borrowed(_)));
        assert_eq!(d.encoding, "utf-8");
        assert!(d.bozo.is_none());
    }

    #[test]
    fn declaration_and_bom() {
        let d = decode(b"<?xml version='1.0' encoding='iso-8859-1'?><a>\xe9</a>", None);
        assert_eq!(d.encoding, "iso-8859-1");
        assert!(d.text.contains('é'));
        let mut v = vec![0xFF, 0xFE];
        for c in "<a>é</a>".encode_utf16() {
            v.extend_from_slice(&c.to_le_bytes());
        }
        let d = decode(&v, None);
        assert_eq!(d.encoding, "utf-16le");
        assert_eq!(d.text, "<a>é</a>");
    }

    #[test]
    fn http_charset_rules() {
        let d = decode(b"<?xml version='1.0' encoding='iso-8859-1'?><a/>", Some("text/xml"));
        assert_eq!(d.encoding, "us-ascii");
        let d = decode(b"<a/>", Some("application/atom+xml; charset='gb2312'"));
        assert_eq!(d.encoding, "gb18030");
        let d = decode(b"<a/>", Some("text/plain"));
        assert!(d.bozo.is_some());
    }

    #[test]
    fn invalid_utf8_falls_back_with_bozo() {
        let d = decode(b"<a>caf\xe9</a>", None);
        assert!(d.bozo.is_some());
        assert!(d.text.contains('é'));
    }

    #[test]
    fn json_is_sniffed() {
        assert!(decode(b"  {\"version\": 1}", None).json);
    }
}
