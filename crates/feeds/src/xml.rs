//! A tolerant XML tokenizer.
//!
//! Real feeds are often not well-formed (undeclared HTML entities, bare `&`, stray `<`, unclosed
//! elements), so instead of failing like a conforming XML parser this tokenizer always produces
//! events and records the first problem it saw; the caller reports that as `bozo`.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::entities;

/// One attribute of a start tag, value with entities resolved and whitespace normalised.
#[derive(Debug, Clone)]
pub(crate) struct Attr<'a> {
    pub name: &'a str,
    pub value: Cow<'a, str>,
}

/// A piece of the document.
#[derive(Debug)]
pub(crate) enum Event<'a> {
    /// `<name attr="v">`, or `<name/>` when `empty`.
    Start { name: &'a str, attrs: Vec<Attr<'a>>, empty: bool },
    /// `</name>`.
    End { name: &'a str },
    /// Character data with references resolved, or a CDATA section's contents.
    Text(Cow<'a, str>),
}

pub(crate) struct Tokenizer<'a> {
    src: &'a str,
    pos: usize,
    /// Internal entities declared in the DOCTYPE, used before the HTML table. A map, as a body may hold
    /// millions of references to up to [`MAX_DOC_ENTITIES`] declarations.
    doc_entities: HashMap<String, String>,
    /// Bytes that DOCTYPE entity references may still add. Each declaration is capped, but a few bytes of
    /// `&a;` can stand for kilobytes, so without a total a 10 MiB body could grow a thousandfold in memory.
    expansion_left: usize,
    /// The first well-formedness problem met, if any.
    pub error: Option<String>,
    /// Whether a DOCTYPE named the Netscape RSS 0.91 DTD.
    pub netscape_doctype: bool,
}

/// What DOCTYPE entities may add beyond the document's own length: room for a feed that legitimately uses
/// them everywhere, while keeping the decoded text within a small multiple of the input.
const EXPANSION_ALLOWANCE: usize = 64 * 1024;

/// How many DOCTYPE entity declarations are kept.
const MAX_DOC_ENTITIES: usize = 1024;

fn is_name_end(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'/' | b'>' | b'=')
}

impl<'a> Tokenizer<'a> {
    pub fn new(src: &'a str) -> Self {
        Tokenizer {
            src,
            pos: 0,
            doc_entities: HashMap::new(),
            expansion_left: src.len().saturating_add(EXPANSION_ALLOWANCE),
            error: None,
            netscape_doctype: false,
        }
    }

    fn fail(&mut self, msg: impl FnOnce() -> String) {
        if self.error.is_none() {
            self.error = Some(msg());
        }
    }

    pub fn next_event(&mut self) -> Option<Event<'a>> {
        let bytes = self.src.as_bytes();
        loop {
            if self.pos >= bytes.len() {
                return None;
            }
            if bytes[self.pos] != b'<' {
                let start = self.pos;
                let end = memchr::memchr(b'<', &bytes[start..]).map_or(bytes.len(), |i| start + i);
                self.pos = end;
                let raw = &self.src[start..end];
                return Some(Event::Text(self.decode_text(raw)));
            }
            let rest = &self.src[self.pos..];
            let rb = rest.as_bytes();
            if rest.starts_with("<!--") {
                match memchr::memmem::find(&rest.as_bytes()[4..], b"-->") {
                    Some(i) => self.pos += 4 + i + 3,
                    None => {
                        self.fail(|| "unterminated comment".into());
                        self.pos = bytes.len();
                    }
                }
                continue;
            }
            if let Some(body) = rest.strip_prefix("<![CDATA[") {
                let (text, adv) = match memchr::memmem::find(body.as_bytes(), b"]]>") {
                    Some(i) => (&body[..i], 9 + i + 3),
                    None => {
                        self.fail(|| "unterminated CDATA section".into());
                        (body, rest.len())
                    }
                };
                self.pos += adv;
                return Some(Event::Text(Cow::Borrowed(text)));
            }
            if rest.starts_with("<?") {
                match memchr::memmem::find(rest.as_bytes(), b"?>") {
                    Some(i) => self.pos += i + 2,
                    None => {
                        self.fail(|| "unterminated processing instruction".into());
                        self.pos = bytes.len();
                    }
                }
                continue;
            }
            if rest.starts_with("<!") {
                self.skip_declaration();
                continue;
            }
            if rb.len() > 1 && rb[1] == b'/' {
                let name_start = 2;
                let mut i = name_start;
                while i < rb.len() && !is_name_end(rb[i]) && rb[i] != b'<' {
                    i += 1;
                }
                let name = &rest[name_start..i];
                // The tag ends at the first '>' unless a '<' comes before it. Stopping at whichever comes first
                // keeps this scan local: looking for '>' alone would run to the end of the document for every
                // `</a` without one, quadratic on a hostile body.
                match memchr::memchr2(b'>', b'<', &rb[i..]) {
                    Some(j) if rb[i + j] == b'>' => {
                        if !rest[i..i + j].trim().is_empty() {
                            self.fail(|| format!("junk in end tag </{name}>"));
                        }
                        self.pos += i + j + 1;
                    }
                    None if rest[i..].trim().is_empty() => {
                        // `</rss` with the final '>' missing: nothing is lost, so no complaint.
                        self.pos = bytes.len();
                    }
                    _ => {
                        self.fail(|| format!("unterminated end tag </{name}"));
                        self.pos += i;
                    }
                }
                if name.is_empty() {
                    continue;
                }
                return Some(Event::End { name });
            }
            // A start tag needs a name right after '<'; anything else is a stray '<' in text.
            if rb.len() < 2 || !(rb[1].is_ascii_alphabetic() || rb[1] == b'_' || rb[1] == b':' || rb[1] >= 0x80) {
                self.fail(|| "stray '<' in text".into());
                self.pos += 1;
                return Some(Event::Text(Cow::Borrowed("<")));
            }
            return Some(self.start_tag());
        }
    }

    fn skip_declaration(&mut self) {
        let rest = &self.src[self.pos..];
        let rb = rest.as_bytes();
        let mut i = 2;
        let mut quote = 0u8;
        let mut subset_start = None;
        let mut subset_end = None;
        while i < rb.len() {
            let b = rb[i];
            if quote != 0 {
                if b == quote {
                    quote = 0;
                }
            } else if b == b'"' || b == b'\'' {
                quote = b;
            } else if b == b'[' && subset_start.is_none() {
                subset_start = Some(i + 1);
                // The internal subset may contain '>' inside declarations; skip to its ']'.
                match rest[i..].find("]") {
                    Some(j) => {
                        subset_end = Some(i + j);
                        i += j;
                    }
                    None => i = rb.len(),
                }
            } else if b == b'>' {
                break;
            }
            i += 1;
        }
        let decl = &rest[..i.min(rest.len())];
        if decl.len() > 9
            && decl.as_bytes()[..9].eq_ignore_ascii_case(b"<!DOCTYPE")
            && decl.to_ascii_lowercase().contains("netscape")
        {
            self.netscape_doctype = true;
        }
        if let (Some(s), Some(e)) = (subset_start, subset_end)
            && rest.as_bytes()[..s].to_ascii_uppercase().starts_with(b"<!DOCTYPE")
        {
            let subset = rest[s..e].to_string();
            self.read_entity_decls(&subset);
        }
        if i >= rb.len() {
            self.fail(|| "unterminated declaration".into());
        }
        self.pos = (self.pos + i + 1).min(self.src.len());
    }

    fn read_entity_decls(&mut self, subset: &str) {
        let mut rest = subset;
        while let Some(i) = rest.find("<!ENTITY") {
            rest = &rest[i + 8..];
            let decl = match rest.find('>') {
                Some(j) => &rest[..j],
                None => rest,
            };
            let mut parts = decl.trim_start().splitn(2, char::is_whitespace);
            let name = parts.next().unwrap_or("");
            let value = parts.next().unwrap_or("").trim();
            // Parameter entities and external (SYSTEM/PUBLIC) entities are not expanded.
            if name == "%" || name.is_empty() {
                continue;
            }
            let q = value.chars().next();
            if let Some(q @ ('"' | '\'')) = q
                && let Some(end) = value[1..].find(q)
            {
                let v = value[1..1 + end].to_string();
                if self.doc_entities.len() < MAX_DOC_ENTITIES && v.len() < 4096 && !v.contains('&') {
                    // The first declaration of a name is the binding one, as in XML.
                    self.doc_entities.entry(name.to_string()).or_insert(v);
                }
            }
        }
    }

    fn start_tag(&mut self) -> Event<'a> {
        let src = self.src;
        let rb = &src.as_bytes()[self.pos..];
        let base = self.pos;
        let mut i = 1;
        while i < rb.len() && !is_name_end(rb[i]) && rb[i] != b'<' {
            i += 1;
        }
        let name = &src[base + 1..base + i];
        let mut attrs = Vec::new();
        let mut empty = false;
        loop {
            while i < rb.len() && rb[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= rb.len() {
                self.fail(|| format!("unterminated start tag <{name}"));
                break;
            }
            match rb[i] {
                b'>' => {
                    i += 1;
                    break;
                }
                b'/' => {
                    if rb.get(i + 1) == Some(&b'>') {
                        empty = true;
                        i += 2;
                        break;
                    }
                    i += 1;
                    continue;
                }
                b'<' => {
                    self.fail(|| format!("unterminated start tag <{name}"));
                    break;
                }
                _ => {}
            }
            let an_start = i;
            while i < rb.len() && !is_name_end(rb[i]) && rb[i] != b'<' {
                i += 1;
            }
            if i == an_start {
                // A lone '=' or similar junk: skip it.
                self.fail(|| format!("malformed attribute in <{name}>"));
                i += 1;
                continue;
            }
            let an = &src[base + an_start..base + i];
            while i < rb.len() && rb[i].is_ascii_whitespace() {
                i += 1;
            }
            if rb.get(i) != Some(&b'=') {
                self.fail(|| format!("attribute {an} without a value in <{name}>"));
                attrs.push(Attr { name: an, value: Cow::Borrowed("") });
                continue;
            }
            i += 1;
            while i < rb.len() && rb[i].is_ascii_whitespace() {
                i += 1;
            }
            let raw = match rb.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let vs = i + 1;
                    match memchr::memchr(q, &rb[vs..]) {
                        Some(j) => {
                            i = vs + j + 1;
                            &src[base + vs..base + vs + j]
                        }
                        None => {
                            self.fail(|| format!("unterminated attribute value in <{name}>"));
                            i = rb.len();
                            &src[base + vs..]
                        }
                    }
                }
                _ => {
                    self.fail(|| format!("unquoted attribute value in <{name}>"));
                    let vs = i;
                    while i < rb.len() && !rb[i].is_ascii_whitespace() && rb[i] != b'>' {
                        i += 1;
                    }
                    &src[base + vs..base + i]
                }
            };
            let value = self.decode_attr(raw);
            attrs.push(Attr { name: an, value });
        }
        self.pos = base + i.min(rb.len());
        Event::Start { name, attrs, empty }
    }

    fn decode_attr(&mut self, raw: &'a str) -> Cow<'a, str> {
        let v = self.decode_text(raw);
        if v.bytes().any(|b| matches!(b, b'\t' | b'\n' | b'\r')) {
            Cow::Owned(v.replace(['\t', '\n', '\r'], " "))
        } else {
            v
        }
    }

    /// Resolves character and entity references; unknown references are kept as written.
    pub fn decode_text(&mut self, raw: &'a str) -> Cow<'a, str> {
        let Some(first) = memchr::memchr(b'&', raw.as_bytes()) else {
            return Cow::Borrowed(raw);
        };
        let mut out = String::with_capacity(raw.len());
        out.push_str(&raw[..first]);
        let mut rest = &raw[first..];
        while !rest.is_empty() {
            // rest starts with '&'
            let (consumed, ok) = self.reference(rest, &mut out);
            if !ok {
                out.push('&');
            }
            rest = &rest[consumed..];
            match memchr::memchr(b'&', rest.as_bytes()) {
                Some(i) => {
                    out.push_str(&rest[..i]);
                    rest = &rest[i..];
                }
                None => {
                    out.push_str(rest);
                    break;
                }
            }
        }
        Cow::Owned(out)
    }

    /// Decodes the reference at the start of `s` (which begins with '&') into `out`.
    /// Returns (bytes consumed, whether a reference was recognised).
    fn reference(&mut self, s: &str, out: &mut String) -> (usize, bool) {
        let b = s.as_bytes();
        let limit = b.len().min(40);
        let Some(semi) = b[1..limit].iter().position(|&c| c == b';').map(|p| p + 1) else {
            return (1, false);
        };
        let name = &s[1..semi];
        if let Some(num) = name.strip_prefix('#') {
            let code = if let Some(hex) = num.strip_prefix(['x', 'X']) {
                u32::from_str_radix(hex, 16).ok()
            } else {
                num.parse::<u32>().ok()
            };
            return match code.and_then(char::from_u32) {
                Some(c) if c != '\0' => {
                    out.push(c);
                    (semi + 1, true)
                }
                _ => (1, false),
            };
        }
        if name.is_empty() || !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.') {
            return (1, false);
        }
        let predefined = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => None,
        };
        if let Some(c) = predefined {
            out.push(c);
            return (semi + 1, true);
        }
        if let Some(v) = self.doc_entities.get(name) {
            if v.len() <= self.expansion_left {
                self.expansion_left -= v.len();
                out.push_str(v);
            } else {
                // Past the budget the reference stays as written: the text is still readable, and the
                // feed is reported as not well-formed instead of exhausting memory.
                let limit = self.src.len().saturating_add(EXPANSION_ALLOWANCE);
                // Nothing expands after this, not even a smaller entity that would still fit, so the message
                // holds and the output does not depend on which entities come last.
                self.expansion_left = 0;
                self.fail(|| {
                    format!(
                        "DOCTYPE entities expand to more than {limit} bytes (the document's length plus {} KiB); \
                         &{name}; and later references are left as written",
                        EXPANSION_ALLOWANCE / 1024
                    )
                });
                out.push_str(&s[..semi + 1]);
            }
            return (semi + 1, true);
        }
        match entities::lookup(name) {
            Some(c) => {
                out.push(c);
                (semi + 1, true)
            }
            // Unknown entity: keep it literally, the way lenient feed readers show it.
            None => {
                out.push_str(&s[..semi + 1]);
                (semi + 1, true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(src: &str) -> (Vec<String>, Option<String>) {
        let mut t = Tokenizer::new(src);
        let mut v = Vec::new();
        while let Some(e) = t.next_event() {
            v.push(match e {
                Event::Start { name, attrs, empty } => {
                    let a: Vec<String> = attrs.iter().map(|a| format!("{}={}", a.name, a.value)).collect();
                    format!("<{name} {}{}>", a.join(","), if empty { "/" } else { "" })
                }
                Event::End { name } => format!("</{name}>"),
                Event::Text(t) => format!("T:{t}"),
            });
        }
        (v, t.error)
    }

    #[test]
    fn entities_and_cdata() {
        let (ev, err) = events("<a x='1 &amp; 2'>&lt;b&gt; &eacute; &bogus; &#233; &#xe9; & x<![CDATA[<i>]]></a>");
        assert_eq!(ev[0], "<a x=1 & 2>");
        assert_eq!(ev[1], "T:<b> é &bogus; é é & x");
        assert_eq!(ev[2], "T:<i>");
        assert_eq!(ev[3], "</a>");
        assert!(err.is_none());
    }

    #[test]
    fn doctype_entities_are_used() {
        let (ev, _) = events("<!DOCTYPE rss [<!ENTITY me \"Mark\">]><t>&me;</t>");
        assert_eq!(ev[1], "T:Mark");
    }

    #[test]
    fn doctype_entity_budget_scales_with_the_input() {
        // Small expansions well within the allowance are untouched, and no problem is reported.
        let refs = "&me;".repeat(1000);
        let (ev, err) = events(&format!("<!DOCTYPE rss [<!ENTITY me \"Mark\">]><t>{refs}</t>"));
        assert_eq!(ev[1].len(), 2 + 4 * 1000);
        assert!(err.is_none(), "{err:?}");
        // An attribute value spends the same budget as text.
        let big = "y".repeat(4000);
        let refs = "&b;".repeat(40);
        let (ev, err) = events(&format!("<!DOCTYPE rss [<!ENTITY b \"{big}\">]><t x=\"{refs}\">{refs}</t>"));
        assert!(ev.concat().contains("&b;"), "references past the budget are kept as written");
        assert!(err.is_some_and(|e| e.contains("DOCTYPE entities")));
    }

    /// Regression: an end tag's '>' was looked for to the end of the document, once per `</a` without one.
    /// The scan now stops at the next '<' or '>', with the same outcomes.
    #[test]
    fn regression_end_tag_scan_stops_at_the_next_tag() {
        let (ev, err) = events("<a>x</a  >");
        assert_eq!(ev, ["<a >", "T:x", "</a>"]);
        assert!(err.is_none());
        let (ev, err) = events("<a>x</a y>");
        assert_eq!(ev.last().map(String::as_str), Some("</a>"));
        assert!(err.is_some_and(|e| e.contains("junk in end tag")));
        let (ev, err) = events("<a><b>x</b</a>");
        assert_eq!(ev, ["<a >", "<b >", "T:x", "</b>", "</a>"]);
        assert!(err.is_some_and(|e| e.contains("unterminated end tag </b")));
        let (ev, err) = events("<a>x</a \n");
        assert_eq!(ev, ["<a >", "T:x", "</a>"]);
        assert!(err.is_none(), "a missing final '>' is not worth a complaint");
        let (ev, err) = events(&format!("<r>{}", "</a".repeat(10_000)));
        assert_eq!(ev.len(), 10_001);
        assert!(err.is_some_and(|e| e.contains("unterminated end tag </a")));
    }

    /// DOCTYPE entities are kept in a map; the first declaration of a name is the one used.
    #[test]
    fn regression_doctype_entities_are_looked_up_by_name_first_declaration_wins() {
        let decls: String = (0..2_000).map(|i| format!("<!ENTITY e{i} \"{i}\">")).collect();
        let (ev, err) =
            events(&format!("<!DOCTYPE r [<!ENTITY a \"1\"><!ENTITY a \"2\">{decls}]><t>&a;&e1022;&e1023;</t>"));
        assert_eq!(ev[1], "T:11022&e1023;", "names past MAX_DOC_ENTITIES distinct ones are ignored");
        assert!(err.is_none());
    }

    #[test]
    fn broken_markup_is_reported_not_fatal() {
        let (ev, err) = events("<a b=c><![CDATA[x");
        assert_eq!(ev[0], "<a b=c>");
        assert_eq!(ev[1], "T:x");
        assert!(err.is_some());
        let (ev, err) = events("1 < 2");
        assert_eq!(ev.concat(), "T:1 T:<T: 2");
        assert!(err.is_some());
    }
}
