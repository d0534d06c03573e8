//! The Markdown subset readers may use in comments, rendered to HTML that is safe by construction.
//!
//! Written by hand rather than with a Markdown crate plus a sanitiser because the guarantee is easier to keep
//! when nothing can pass through: every input character is either consumed as syntax or HTML-escaped, so the
//! only tags in the output are the ones this module writes (`p`, `br`, `em`, `strong`, `code`, `pre`,
//! `blockquote`, `ul`, `ol`, `li`, and `a` with `href` and `rel`), and every `href` is an http(s) URL.
//!
//! Supported: paragraphs, line breaks, `*em*`/`_em_`, `**strong**`/`__strong__`, `` `code` ``, fenced code
//! blocks, `> ` quotes (one level), `- `/`* ` and `1. ` lists, `[text](url)` links, bare http(s) URLs, and
//! backslash escapes for punctuation. Anything else is shown as typed.
//!
//! Every scan is bounded so that hostile input cannot make rendering quadratic: bracket and URL scans stop at
//! the next `[`, code spans find their closer through a precomputed index, and emphasis is matched with one
//! stack per delimiter character.

use std::collections::HashMap;

/// The `rel` every link gets: user links earn no ranking credit (`nofollow ugc`) and the opened page gets no
/// handle on ours (`noopener noreferrer`).
const REL: &str = "nofollow ugc noopener noreferrer";

/// Renders a comment to HTML.
pub fn render(source: &str) -> String {
    let text = normalise(source);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = String::with_capacity(text.len() + text.len() / 4 + 16);
    blocks(&lines, true, &mut out);
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

/// The comment's text without Markdown syntax, for excerpts and notifications: paragraphs separated by a
/// blank line, line breaks and list items on their own lines, links reduced to their text. The result is
/// plain text, not HTML: callers that put it into a page must escape it.
pub fn to_plain(source: &str) -> String {
    let html = render(source);
    let mut text = String::with_capacity(html.len());
    let mut rest = html.as_str();
    while let Some(lt) = rest.find('<') {
        text.push_str(&rest[..lt]);
        let Some(gt) = rest[lt..].find('>') else {
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        if matches!(tag, "/p" | "/pre" | "/ul" | "/ol" | "/blockquote") {
            text.push('\n');
        }
        rest = &rest[lt + gt + 1..];
    }
    text.push_str(rest);
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    // Trailing spaces go, and runs of blank lines become one.
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out
}

/// How many links the rendered comment contains: what a reader could click, which is what link spam is about.
pub(crate) fn link_count(source: &str) -> usize {
    render(source).matches("<a href=").count()
}

/// Unifies line endings and replaces NUL and the other C0 controls (except tab and newline), which have no
/// business in a comment and some of which HTML parsers treat specially.
fn normalise(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for HTML content and for double- or single-quoted attribute values alike.
fn escape_into(c: char, out: &mut String) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

fn escape_str(s: &str, out: &mut String) {
    for c in s.chars() {
        escape_into(c, out);
    }
}

/// What a line starts, judged by its first non-blank characters.
enum Line<'a> {
    Blank,
    /// An opening (or closing) code fence, with its number of backticks.
    Fence(usize),
    /// A quoted line, with the quote marker removed.
    Quote(&'a str),
    /// A list item: whether the list is ordered, whether the number is 1 (only such a list may interrupt a
    /// paragraph, so that "in\n1984. We" stays a paragraph), and the item's text.
    Item {
        ordered: bool,
        first: bool,
        text: &'a str,
    },
    Text,
}

fn classify(line: &str, quotes: bool) -> Line<'_> {
    let t = line.trim_start();
    if t.is_empty() {
        return Line::Blank;
    }
    if t.starts_with("```") {
        let ticks = t.bytes().take_while(|&b| b == b'`').count();
        // A backtick in the info string means this is inline code on one line, as in CommonMark.
        if !t[ticks..].contains('`') {
            return Line::Fence(ticks);
        }
    }
    if quotes && let Some(rest) = t.strip_prefix('>') {
        return Line::Quote(rest.strip_prefix([' ', '\t']).unwrap_or(rest));
    }
    if let Some(rest) = t.strip_prefix(['-', '*'])
        && rest.starts_with([' ', '\t'])
    {
        return Line::Item { ordered: false, first: true, text: rest.trim() };
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &t[digits..];
        if let Some(rest) = rest.strip_prefix(['.', ')'])
            && (rest.is_empty() || rest.starts_with([' ', '\t']))
        {
            let first = t[..digits].trim_start_matches('0') == "1";
            return Line::Item { ordered: true, first, text: rest.trim() };
        }
    }
    Line::Text
}

/// Renders a sequence of lines as blocks, each ending in a newline. Quotes are recognised only at the top
/// level, so a quote holds paragraphs, lists and code but not another quote.
fn blocks(lines: &[&str], quotes: bool, out: &mut String) {
    let mut i = 0;
    while i < lines.len() {
        match classify(lines[i], quotes) {
            Line::Blank => i += 1,
            Line::Fence(ticks) => {
                out.push_str("<pre><code>");
                i += 1;
                while i < lines.len() {
                    let t = lines[i].trim();
                    if t.len() >= ticks && t.bytes().all(|b| b == b'`') {
                        i += 1;
                        break;
                    }
                    escape_str(lines[i], out);
                    out.push('\n');
                    i += 1;
                }
                out.push_str("</code></pre>\n");
            }
            Line::Quote(_) => {
                let mut inner = Vec::new();
                while i < lines.len() {
                    let Line::Quote(rest) = classify(lines[i], true) else { break };
                    inner.push(rest);
                    i += 1;
                }
                out.push_str("<blockquote>\n");
                blocks(&inner, false, out);
                out.push_str("</blockquote>\n");
            }
            Line::Item { ordered, .. } => i = list(lines, i, ordered, quotes, out),
            Line::Text => {
                let mut text = String::new();
                while i < lines.len() {
                    // The first line is text by construction, so the paragraph is never empty.
                    let ends_paragraph = match classify(lines[i], quotes) {
                        Line::Text => false,
                        Line::Item { ordered: true, first, .. } => first,
                        _ => true,
                    };
                    if ends_paragraph && !text.is_empty() {
                        break;
                    }
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    text.push_str(lines[i].trim());
                    i += 1;
                }
                out.push_str("<p>");
                inline(&text.chars().collect::<Vec<_>>(), true, out);
                out.push_str("</p>\n");
            }
        }
    }
}

/// Renders the list starting at line `i` and returns the index of the first line after it. Items are tight
/// (no paragraphs inside); a line that starts no block continues the item above it, and blank lines between
/// items of the same kind do not end the list.
fn list(lines: &[&str], mut i: usize, ordered: bool, quotes: bool, out: &mut String) -> usize {
    let mut items: Vec<String> = Vec::new();
    while i < lines.len() {
        match classify(lines[i], quotes) {
            Line::Item { ordered: o, text, .. } if o == ordered => {
                items.push(text.to_string());
                i += 1;
            }
            Line::Text => match items.last_mut() {
                Some(item) => {
                    item.push('\n');
                    item.push_str(lines[i].trim());
                    i += 1;
                }
                None => break,
            },
            Line::Blank => {
                let next = (i..lines.len()).find(|&j| !matches!(classify(lines[j], quotes), Line::Blank));
                match next.map(|j| (j, classify(lines[j], quotes))) {
                    Some((j, Line::Item { ordered: o, .. })) if o == ordered => i = j,
                    _ => break,
                }
            }
            _ => break,
        }
    }
    let tag = if ordered { "ol" } else { "ul" };
    out.push('<');
    out.push_str(tag);
    out.push_str(">\n");
    for item in &items {
        out.push_str("<li>");
        inline(&item.chars().collect::<Vec<_>>(), true, out);
        out.push_str("</li>\n");
    }
    out.push_str("</");
    out.push_str(tag);
    out.push_str(">\n");
    i
}

/// A piece of inline output: finished HTML, or a run of `*` or `_` waiting to learn whether it is emphasis.
enum Tok {
    Html(String),
    Delim(Delim),
}

struct Delim {
    ch: char,
    /// Characters not (yet) used by a match; these are shown literally.
    left: usize,
    open: bool,
    close: bool,
    /// Tags this run opens, innermost first (the order they were matched).
    opens: Vec<&'static str>,
    /// Tags this run closes, innermost first.
    closes: Vec<&'static str>,
}

fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation() || !(c.is_alphanumeric() || c.is_whitespace() || c.is_control())
}

/// Finds, for a backtick run at some position, the next run of the same length after it, in amortised constant
/// time: positions per length are sorted, and the inline scan only moves forward.
struct Backticks {
    runs: HashMap<usize, (Vec<usize>, usize)>,
}

impl Backticks {
    fn new(chars: &[char]) -> Self {
        let mut runs: HashMap<usize, (Vec<usize>, usize)> = HashMap::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '`' {
                let len = chars[i..].iter().take_while(|&&c| c == '`').count();
                runs.entry(len).or_default().0.push(i);
                i += len;
            } else {
                i += 1;
            }
        }
        Backticks { runs }
    }

    fn closer(&mut self, at: usize, len: usize) -> Option<usize> {
        let (starts, cursor) = self.runs.get_mut(&len)?;
        while *cursor < starts.len() && starts[*cursor] <= at {
            *cursor += 1;
        }
        starts.get(*cursor).copied()
    }
}

/// Renders inline syntax. `links` is false inside link text, where a nested link would make invalid HTML.
fn inline(chars: &[char], links: bool, out: &mut String) {
    let n = chars.len();
    let mut toks: Vec<Tok> = Vec::new();
    let mut buf = String::with_capacity(n);
    let mut ticks = Backticks::new(chars);
    let mut i = 0;
    while i < n {
        let c = chars[i];
        match c {
            '\\' if i + 1 < n && chars[i + 1].is_ascii_punctuation() => {
                escape_into(chars[i + 1], &mut buf);
                i += 2;
            }
            '`' => {
                let len = chars[i..].iter().take_while(|&&c| c == '`').count();
                match ticks.closer(i, len) {
                    Some(end) => {
                        code_span(&chars[i + len..end], &mut buf);
                        i = end + len;
                    }
                    None => {
                        buf.extend(std::iter::repeat_n('`', len));
                        i += len;
                    }
                }
            }
            '[' if links => match link(chars, i) {
                Some(next) => {
                    let (html, next) = next;
                    buf.push_str(&html);
                    i = next;
                }
                None => {
                    buf.push('[');
                    i += 1;
                }
            },
            'h' | 'H' if links && (i == 0 || !chars[i - 1].is_alphanumeric()) => match autolink(chars, i) {
                Some(end) => {
                    let url: String = chars[i..end].iter().collect();
                    anchor(&url, None, &mut buf);
                    i = end;
                }
                None => {
                    buf.push(c);
                    i += 1;
                }
            },
            '*' | '_' => {
                let len = chars[i..].iter().take_while(|&&d| d == c).count();
                let before = if i == 0 { ' ' } else { chars[i - 1] };
                let after = chars.get(i + len).copied().unwrap_or(' ');
                let left_flanking =
                    !after.is_whitespace() && (!is_punct(after) || before.is_whitespace() || is_punct(before));
                let right_flanking =
                    !before.is_whitespace() && (!is_punct(before) || after.is_whitespace() || is_punct(after));
                // Underscores inside words (snake_case, file_names) are not emphasis.
                let (open, close) = if c == '*' {
                    (left_flanking, right_flanking)
                } else {
                    (
                        left_flanking && (!right_flanking || is_punct(before)),
                        right_flanking && (!left_flanking || is_punct(after)),
                    )
                };
                if !buf.is_empty() {
                    toks.push(Tok::Html(std::mem::take(&mut buf)));
                }
                toks.push(Tok::Delim(Delim { ch: c, left: len, open, close, opens: vec![], closes: vec![] }));
                i += len;
            }
            '\n' => {
                buf.push_str("<br>\n");
                i += 1;
            }
            c => {
                escape_into(c, &mut buf);
                i += 1;
            }
        }
    }
    if !buf.is_empty() {
        toks.push(Tok::Html(buf));
    }
    emphasis(&mut toks);
    for tok in toks {
        match tok {
            Tok::Html(html) => out.push_str(&html),
            Tok::Delim(d) => {
                for tag in &d.closes {
                    out.push_str("</");
                    out.push_str(tag);
                    out.push('>');
                }
                out.extend(std::iter::repeat_n(d.ch, d.left));
                for tag in d.opens.iter().rev() {
                    out.push('<');
                    out.push_str(tag);
                    out.push('>');
                }
            }
        }
    }
}

/// Pairs delimiter runs into `em` and `strong`. Each closer takes the nearest open run of its own character;
/// open runs of the other character between the two can no longer close anything (their emphasis would cross
/// this one), so they are dropped. That keeps the tags properly nested and the work linear.
fn emphasis(toks: &mut [Tok]) {
    let mut stacks: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for idx in 0..toks.len() {
        let Tok::Delim(d) = &toks[idx] else { continue };
        let (k, open, close) = (usize::from(d.ch == '_'), d.open, d.close);
        if close {
            while let Some(&op) = stacks[k].last() {
                let (Some(op_left), Some(cl_left)) = (left(&toks[op]), left(&toks[idx])) else { break };
                if cl_left == 0 {
                    break;
                }
                let (used, tag) = if op_left >= 2 && cl_left >= 2 { (2, "strong") } else { (1, "em") };
                if let Tok::Delim(o) = &mut toks[op] {
                    o.left -= used;
                    o.opens.push(tag);
                }
                if let Tok::Delim(c) = &mut toks[idx] {
                    c.left -= used;
                    c.closes.push(tag);
                }
                while stacks[1 - k].last().is_some_and(|&o| o > op) {
                    stacks[1 - k].pop();
                }
                if op_left == used {
                    stacks[k].pop();
                }
            }
        }
        if open && left(&toks[idx]).is_some_and(|l| l > 0) {
            stacks[k].push(idx);
        }
    }
}

fn left(tok: &Tok) -> Option<usize> {
    match tok {
        Tok::Delim(d) => Some(d.left),
        Tok::Html(_) => None,
    }
}

/// A code span's content: newlines become spaces, and one space is stripped from each side when both are
/// there, so `` ` `code` ` `` can show backticks.
fn code_span(content: &[char], out: &mut String) {
    let text: String = content.iter().map(|&c| if c == '\n' { ' ' } else { c }).collect();
    let text = if text.len() >= 2 && text.starts_with(' ') && text.ends_with(' ') && text.trim() != "" {
        &text[1..text.len() - 1]
    } else {
        text.as_str()
    };
    out.push_str("<code>");
    escape_str(text, out);
    out.push_str("</code>");
}

/// The URL as an href when it is an absolute http(s) URL with something after the scheme; the scheme is
/// lower-cased so the result always starts with `http://` or `https://`.
fn safe_href(url: &str) -> Option<String> {
    let url = url.trim();
    let lower_prefix: String = url.chars().take(8).collect::<String>().to_ascii_lowercase();
    let scheme_len = if lower_prefix.starts_with("https://") {
        8
    } else if lower_prefix.starts_with("http://") {
        7
    } else {
        return None;
    };
    let rest = &url[scheme_len..];
    if rest.is_empty() || rest.starts_with('/') || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    Some(format!("{}{rest}", &lower_prefix[..scheme_len]))
}

/// Writes a link to a URL already known to be safe, with `text` (already HTML) or the URL itself as its text.
fn anchor(url: &str, text: Option<&str>, out: &mut String) {
    let Some(href) = safe_href(url) else {
        escape_str(url, out);
        return;
    };
    out.push_str("<a href=\"");
    escape_str(&href, out);
    out.push_str("\" rel=\"");
    out.push_str(REL);
    out.push_str("\">");
    match text {
        Some(text) => out.push_str(text),
        None => escape_str(url, out),
    }
    out.push_str("</a>");
}

/// Tries `[text](url)` at `start`. Returns the HTML and the position after the link; for a well-formed link
/// whose URL is not http(s), the HTML is the source itself, escaped, so `javascript:` links show as typed.
fn link(chars: &[char], start: usize) -> Option<(String, usize)> {
    let n = chars.len();
    // Link text may not contain brackets: the scan stops at the next `[`, so no character is scanned twice.
    let close = (start + 1..n).find(|&j| chars[j] == '[' || chars[j] == ']')?;
    if chars[close] != ']' || chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let mut j = close + 2;
    while j < n && (chars[j] == ' ' || chars[j] == '\t') {
        j += 1;
    }
    let url_start = j;
    let mut depth = 0usize;
    let url_end = loop {
        match chars.get(j)? {
            '(' => depth += 1,
            ')' if depth == 0 => break j,
            ')' => depth -= 1,
            ' ' | '\t' => break j,
            '[' | ']' | '\n' => return None,
            _ => {}
        }
        j += 1;
    };
    while j < n && (chars[j] == ' ' || chars[j] == '\t') {
        j += 1;
    }
    if chars.get(j) != Some(&')') || url_end == url_start {
        return None;
    }
    let end = j + 1;
    let url: String = chars[url_start..url_end].iter().collect();
    let mut html = String::new();
    if safe_href(&url).is_some() {
        let text_chars = &chars[start + 1..close];
        let mut text = String::new();
        if text_chars.iter().any(|c| !c.is_whitespace()) {
            inline(text_chars, false, &mut text);
        }
        anchor(&url, if text.is_empty() { None } else { Some(&text) }, &mut html);
    } else {
        for &c in &chars[start..end] {
            escape_into(c, &mut html);
        }
    }
    Some((html, end))
}

/// Tries a bare `http://` or `https://` URL at `start` and returns where it ends. Trailing punctuation that
/// usually belongs to the sentence (a full stop, a closing parenthesis without an opening one) is left out.
fn autolink(chars: &[char], start: usize) -> Option<usize> {
    let prefix: String = chars[start..].iter().take(8).collect::<String>().to_ascii_lowercase();
    let scheme = if prefix.starts_with("https://") {
        8
    } else if prefix.starts_with("http://") {
        7
    } else {
        return None;
    };
    let mut end = start + scheme;
    while end < chars.len()
        && !chars[end].is_whitespace()
        && !chars[end].is_control()
        && !matches!(chars[end], '<' | '>' | '"' | '`' | '[' | ']' | '{' | '}' | '|' | '\\' | '^')
    {
        end += 1;
    }
    // Counted once and updated while trimming, so a URL ending in thousands of `)` is not recounted each time.
    let opening = chars[start..end].iter().filter(|&&c| c == '(').count();
    let mut closing = chars[start..end].iter().filter(|&&c| c == ')').count();
    while end > start + scheme {
        let last = chars[end - 1];
        if matches!(last, '.' | ',' | ':' | ';' | '!' | '?' | '\'' | '*' | '_' | '~')
            || (last == ')' && closing > opening)
        {
            if last == ')' {
                closing -= 1;
            }
            end -= 1;
        } else {
            break;
        }
    }
    let url: String = chars[start..end].iter().collect();
    safe_href(&url).map(|_| end)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    const A: &str = "rel=\"nofollow ugc noopener noreferrer\"";

    fn link_html(href: &str, text: &str) -> String {
        format!("<a href=\"{href}\" {A}>{text}</a>")
    }

    #[test]
    fn paragraphs_and_breaks() {
        assert_eq!(render(""), "");
        assert_eq!(render("  \n\n "), "");
        assert_eq!(render("hello"), "<p>hello</p>");
        assert_eq!(render("one\ntwo\n\n\nthree"), "<p>one<br>\ntwo</p>\n<p>three</p>");
        assert_eq!(render("a\r\nb\rc"), "<p>a<br>\nb<br>\nc</p>");
        assert_eq!(render("  indented  \n  lines  "), "<p>indented<br>\nlines</p>");
    }

    #[test]
    fn emphasis_and_strong() {
        assert_eq!(render("*em* and _em_"), "<p><em>em</em> and <em>em</em></p>");
        assert_eq!(render("**strong** __too__"), "<p><strong>strong</strong> <strong>too</strong></p>");
        assert_eq!(render("***both***"), "<p><em><strong>both</strong></em></p>");
        assert_eq!(render("**bold *and em* inside**"), "<p><strong>bold <em>and em</em> inside</strong></p>");
        assert_eq!(render("*across\nlines*"), "<p><em>across<br>\nlines</em></p>");
        assert_eq!(render("snake_case_name"), "<p>snake_case_name</p>");
        assert_eq!(render("2 * 3 * 4"), "<p>2 * 3 * 4</p>");
        assert_eq!(render("a*b*c"), "<p>a<em>b</em>c</p>");
        assert_eq!(render("*unclosed"), "<p>*unclosed</p>");
        assert_eq!(render("**unclosed *em*"), "<p>**unclosed <em>em</em></p>");
        assert_eq!(render("\\*not em\\*"), "<p>*not em*</p>");
        // Crossing delimiters never produce crossing tags.
        assert_eq!(render("*a _b* c_"), "<p><em>a _b</em> c_</p>");
    }

    #[test]
    fn code_spans_and_blocks() {
        assert_eq!(render("use `a < b` here"), "<p>use <code>a &lt; b</code> here</p>");
        assert_eq!(render("`*not em* [x](https://a.b)`"), "<p><code>*not em* [x](https://a.b)</code></p>");
        assert_eq!(render("`` a ` b ``"), "<p><code>a ` b</code></p>");
        assert_eq!(render("`unclosed"), "<p>`unclosed</p>");
        assert_eq!(
            render("```rust\nlet x = 1 < 2;\n  *y*\n```\nafter"),
            "<pre><code>let x = 1 &lt; 2;\n  *y*\n</code></pre>\n<p>after</p>"
        );
        assert_eq!(render("```\nno end\n\nstill code"), "<pre><code>no end\n\nstill code\n</code></pre>");
        assert_eq!(render("```inline```"), "<p><code>inline</code></p>");
        assert_eq!(render("text\n```\ncode\n```"), "<p>text</p>\n<pre><code>code\n</code></pre>");
    }

    #[test]
    fn quotes() {
        assert_eq!(
            render("> quoted *text*\n> more"),
            "<blockquote>\n<p>quoted <em>text</em><br>\nmore</p>\n</blockquote>"
        );
        assert_eq!(render(">a\n>\n>b\nafter"), "<blockquote>\n<p>a</p>\n<p>b</p>\n</blockquote>\n<p>after</p>");
        assert_eq!(render("> > nested"), "<blockquote>\n<p>&gt; nested</p>\n</blockquote>");
        assert_eq!(
            render("> - item\n> ```\n> code"),
            "<blockquote>\n<ul>\n<li>item</li>\n</ul>\n<pre><code>code\n</code></pre>\n</blockquote>"
        );
        assert_eq!(render("a > b"), "<p>a &gt; b</p>");
    }

    #[test]
    fn lists() {
        assert_eq!(
            render("- one\n- **two**\n* three"),
            "<ul>\n<li>one</li>\n<li><strong>two</strong></li>\n<li>three</li>\n</ul>"
        );
        assert_eq!(
            render("1. first\n2. second\n10) tenth"),
            "<ol>\n<li>first</li>\n<li>second</li>\n<li>tenth</li>\n</ol>"
        );
        assert_eq!(
            render("- a\ncontinued\n\n- b\n\nafter"),
            "<ul>\n<li>a<br>\ncontinued</li>\n<li>b</li>\n</ul>\n<p>after</p>"
        );
        assert_eq!(render("- a\n1. b"), "<ul>\n<li>a</li>\n</ul>\n<ol>\n<li>b</li>\n</ol>");
        assert_eq!(render("intro\n- a"), "<p>intro</p>\n<ul>\n<li>a</li>\n</ul>");
        // Only a list starting at 1 interrupts a paragraph.
        assert_eq!(render("born in\n1984. Then"), "<p>born in<br>\n1984. Then</p>");
        assert_eq!(render("-not a list"), "<p>-not a list</p>");
    }

    #[test]
    fn links() {
        assert_eq!(
            render("[Tidings](https://tidings.example/a?b=1&c=2)"),
            format!("<p>{}</p>", link_html("https://tidings.example/a?b=1&amp;c=2", "Tidings"))
        );
        assert_eq!(
            render("[*em* text](http://x.example)"),
            format!("<p>{}</p>", link_html("http://x.example", "<em>em</em> text"))
        );
        assert_eq!(
            render("[]( https://x.example )"),
            format!("<p>{}</p>", link_html("https://x.example", "https://x.example"))
        );
        assert_eq!(
            render("[w](https://en.wikipedia.org/wiki/Rust_(language))"),
            format!("<p>{}</p>", link_html("https://en.wikipedia.org/wiki/Rust_(language)", "w"))
        );
        assert_eq!(render("[x](HTTPS://X.example)"), format!("<p>{}</p>", link_html("https://X.example", "x")));
        // A nested link would be invalid HTML: the URL in link text stays text.
        assert_eq!(
            render("[see https://a.example](https://b.example)"),
            format!("<p>{}</p>", link_html("https://b.example", "see https://a.example"))
        );
        assert_eq!(render("[x](/relative)"), "<p>[x](/relative)</p>");
        assert_eq!(render("[x](mailto:a@b.example)"), "<p>[x](mailto:a@b.example)</p>");
        assert_eq!(render("[x](https://)"), "<p>[x](https://)</p>");
        assert_eq!(
            render("[x] (https://a.example)"),
            format!("<p>[x] ({})</p>", link_html("https://a.example", "https://a.example"))
        );
    }

    #[test]
    fn autolinks() {
        assert_eq!(
            render("see https://a.example/x."),
            format!("<p>see {}.</p>", link_html("https://a.example/x", "https://a.example/x"))
        );
        assert_eq!(
            render("(http://a.example/b)"),
            format!("<p>({})</p>", link_html("http://a.example/b", "http://a.example/b"))
        );
        assert_eq!(
            render("**https://a.example**"),
            format!("<p><strong>{}</strong></p>", link_html("https://a.example", "https://a.example"))
        );
        assert_eq!(
            render("https://a.example/snake_case_path"),
            format!("<p>{}</p>", link_html("https://a.example/snake_case_path", "https://a.example/snake_case_path"))
        );
        assert_eq!(render("xhttps://a.example"), "<p>xhttps://a.example</p>");
        assert_eq!(render("https:// nothing"), "<p>https:// nothing</p>");
        assert_eq!(render("ftp://a.example"), "<p>ftp://a.example</p>");
    }

    #[test]
    fn hostile_inputs() {
        assert_eq!(render("<script>alert(1)</script>"), "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
        assert_eq!(render("<img src=x onerror=alert(1)>"), "<p>&lt;img src=x onerror=alert(1)&gt;</p>");
        assert_eq!(render("[x](javascript:alert(1))"), "<p>[x](javascript:alert(1))</p>");
        assert_eq!(render("[x](JaVaScRiPt:alert(1))"), "<p>[x](JaVaScRiPt:alert(1))</p>");
        assert_eq!(render("[x]( javascript:alert(1))"), "<p>[x]( javascript:alert(1))</p>");
        assert_eq!(render("[x](data:text/html;base64,PHNjcmlwdD4=)"), "<p>[x](data:text/html;base64,PHNjcmlwdD4=)</p>");
        assert_eq!(render("[x](java\tscript:alert(1))"), "<p>[x](java\tscript:alert(1))</p>");
        assert_eq!(
            render("[x](https://a\"onmouseover=\"alert(1))"),
            format!("<p>{}</p>", link_html("https://a&quot;onmouseover=&quot;alert(1)", "x"))
        );
        assert_eq!(
            render("https://a.example/\"onmouseover=alert(1)"),
            format!("<p>{}&quot;onmouseover=alert(1)</p>", link_html("https://a.example/", "https://a.example/"))
        );
        assert_eq!(render("[a [b](https://x.example)]"), format!("<p>[a {}]</p>", link_html("https://x.example", "b")));
        assert_eq!(
            render("[[x]](https://x.example)"),
            "<p>[[x]](<a href=\"https://x.example\" rel=\"nofollow ugc noopener noreferrer\">https://x.example</a>)</p>"
        );
        assert_eq!(
            render("[x](https://a.example"),
            format!("<p>[x]({}</p>", link_html("https://a.example", "https://a.example"))
        );
        assert_eq!(render("[unterminated"), "<p>[unterminated</p>");
        assert_eq!(render("&lt; &amp; &#60;"), "<p>&amp;lt; &amp;amp; &amp;#60;</p>");
        assert_eq!(render("a\0b"), "<p>a\u{FFFD}b</p>");
        assert_eq!(render("'quote\""), "<p>&#39;quote&quot;</p>");
        assert_eq!(
            render("<a href=\"javascript:x\">y</a>"),
            "<p>&lt;a href=&quot;javascript:x&quot;&gt;y&lt;/a&gt;</p>"
        );
    }

    #[test]
    fn long_and_pathological_inputs_render_quickly() {
        let started = std::time::Instant::now();
        for unit in ["*[", "[a](", "`", "``a`", "_*", "**a", "[https://", "https://a.example/)", "> ", "- ", "\n"] {
            let input = unit.repeat(100_000 / unit.len());
            let html = render(&input);
            assert_eq!(check_html(&html), Ok(()), "{unit:?}");
            let _ = to_plain(&input);
        }
        let mixed = "Some *text* with [a link](https://a.example) and `code`.\n".repeat(20_000);
        assert!(render(&mixed).contains("<em>text</em>"));
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
    }

    #[test]
    fn plain_text() {
        assert_eq!(to_plain("Hello *world*, see [this](https://a.example) & `x<y`"), "Hello world, see this & x<y");
        assert_eq!(
            to_plain("one\ntwo\n\n- a\n- b\n\n> quoted\n\n```\ncode\n```"),
            "one\ntwo\n\na\nb\n\nquoted\n\ncode"
        );
        assert_eq!(to_plain("[x](javascript:alert(1))"), "[x](javascript:alert(1))");
        assert_eq!(to_plain("&lt;b&gt;"), "&lt;b&gt;");
        assert_eq!(to_plain(""), "");
    }

    #[test]
    fn counts_links() {
        assert_eq!(link_count("none"), 0);
        assert_eq!(link_count("[a](https://a.example) https://b.example `https://c.example`"), 2);
    }

    /// Scans rendered HTML the way an attacker would hope a browser does: every `<` must open one of the
    /// allowed tags with only the allowed attributes, tags must nest properly, and no stray `>` or quote may
    /// appear in text.
    fn check_html(html: &str) -> Result<(), String> {
        const ALLOWED: &[&str] = &["p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"];
        let mut stack: Vec<String> = Vec::new();
        let mut rest = html;
        loop {
            let lt = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..lt];
            if text.contains(['>', '"', '\'']) {
                return Err(format!("unescaped character in text {text:?}"));
            }
            for (k, _) in text.match_indices('&') {
                let entity = &text[k..];
                if !["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].iter().any(|e| entity.starts_with(e)) {
                    return Err(format!("bare ampersand in {text:?}"));
                }
            }
            if lt == rest.len() {
                break;
            }
            let gt = rest[lt..].find('>').ok_or("unclosed tag")? + lt;
            let tag = &rest[lt + 1..gt];
            rest = &rest[gt + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                if stack.pop().as_deref() != Some(name) {
                    return Err(format!("mis-nested </{name}>"));
                }
                continue;
            }
            let (name, attrs) = tag.split_once(' ').unwrap_or((tag, ""));
            if !ALLOWED.contains(&name) {
                return Err(format!("tag {name:?}"));
            }
            if name == "a" {
                if stack.iter().any(|t| t == "a") {
                    return Err("nested link".to_string());
                }
                let rel_at = attrs.find("\" rel=\"").ok_or("link without rel")?;
                let href = attrs[..rel_at].strip_prefix("href=\"").ok_or("link without href")?;
                if href.contains(['"', '<', '>', '\'']) {
                    return Err(format!("unescaped href {href:?}"));
                }
                if !(href.starts_with("http://") || href.starts_with("https://")) {
                    return Err(format!("href {href:?}"));
                }
                if &attrs[rel_at..] != "\" rel=\"nofollow ugc noopener noreferrer\"" {
                    return Err(format!("attributes {attrs:?}"));
                }
            } else if !attrs.is_empty() {
                return Err(format!("attributes on {name}: {attrs:?}"));
            }
            if name != "br" {
                stack.push(name.to_string());
            }
        }
        if stack.is_empty() { Ok(()) } else { Err(format!("unclosed {stack:?}")) }
    }

    #[test]
    fn the_checker_catches_bad_html() {
        assert!(check_html("<p>ok <a href=\"https://x\" rel=\"nofollow ugc noopener noreferrer\">x</a></p>").is_ok());
        assert!(check_html("<script>").is_err());
        assert!(check_html("<p onclick=\"x\">").is_err());
        assert!(check_html("<a href=\"javascript:x\" rel=\"nofollow ugc noopener noreferrer\"></a>").is_err());
        assert!(check_html("<em><strong></em></strong>").is_err());
        assert!(check_html("a > b").is_err());
        assert!(check_html("a & b").is_err());
    }

    fn markdownish() -> impl Strategy<Value = String> {
        let pieces = prop_oneof![
            Just("*"),
            Just("**"),
            Just("_"),
            Just("__"),
            Just("`"),
            Just("```"),
            Just("["),
            Just("]"),
            Just("("),
            Just(")"),
            Just("]("),
            Just("> "),
            Just("- "),
            Just("* "),
            Just("1. "),
            Just("\n"),
            Just("\n\n"),
            Just(" "),
            Just("\\"),
            Just("https://"),
            Just("http://a.example/"),
            Just("javascript:"),
            Just("HTTPS://"),
            Just("<"),
            Just(">"),
            Just("&"),
            Just("\""),
            Just("'"),
            Just("\0"),
            Just("\r"),
            Just("word"),
            Just("é"),
            Just("<script>"),
            Just("onerror="),
            Just("\t"),
            Just("."),
        ];
        proptest::collection::vec(pieces, 0..60).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_text_renders_safely(source in "\\PC{0,300}") {
            let html = render(&source);
            prop_assert!(check_html(&html).is_ok(), "{:?} -> {:?}: {:?}", source, html, check_html(&html));
            let _ = to_plain(&source);
        }

        #[test]
        fn markdown_soup_renders_safely(source in markdownish()) {
            let html = render(&source);
            prop_assert!(check_html(&html).is_ok(), "{:?} -> {:?}: {:?}", source, html, check_html(&html));
            let _ = to_plain(&source);
        }
    }
}
