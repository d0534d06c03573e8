//! The chosen containers as a stream of lines (one per paragraph, heading, list item, caption or image),
//! each with its link weight so the judge can drop link lists, and the kept lines as safe HTML.

use std::collections::{HashMap, HashSet};

use url::Url;

use crate::dom::Dom;
use crate::text::{collapse, text_weight};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    Para,
    Heading(u8),
    ListItem,
    Quote,
    Pre,
    Caption,
    Image,
}

#[derive(Clone, Debug)]
pub struct Line {
    pub kind: LineKind,
    /// Plain text (for `Image`, the alt text, never shown as body text).
    pub text: String,
    /// Inline HTML (escaped text with links and emphasis); for `Image`, the image URL.
    pub html: String,
    /// Letters and digits inside links.
    pub link: usize,
    /// The parent of the line's last text node: where its weight is credited when ranking containers.
    pub owner: usize,
}

#[derive(Clone, Copy)]
enum Frame {
    Block,
    Inline(&'static str),
    Link,
    Caption,
    Heading,
    Pre,
    Quote,
    Item,
}

fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "header"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "table"
            | "tbody"
            | "thead"
            | "tr"
            | "td"
            | "th"
            | "figure"
            | "address"
            | "center"
            | "details"
            | "summary"
            | "hr"
            | "caption"
            | "hgroup"
    )
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    escape_into(&mut o, s);
    o
}

struct Walker<'a> {
    base: Option<&'a Url>,
    lines: Vec<Line>,
    text: String,
    html: String,
    link: usize,
    link_depth: u32,
    caption: u32,
    heading: u8,
    pre: u32,
    quote: u32,
    item: u32,
    owner: usize,
    /// Images met inside the current line, emitted after it so they do not cut a paragraph in two.
    pending: Vec<Line>,
    want_html: bool,
}

impl Walker<'_> {
    fn flush(&mut self) {
        let raw = std::mem::take(&mut self.text);
        let html = std::mem::take(&mut self.html);
        let link = std::mem::take(&mut self.link);
        let text = if self.pre > 0 { raw.trim_matches('\n').to_owned() } else { collapse(&raw) };
        if text.is_empty() {
            self.lines.append(&mut self.pending);
            return;
        }
        let kind = if self.caption > 0 {
            LineKind::Caption
        } else if self.heading > 0 {
            LineKind::Heading(self.heading)
        } else if self.pre > 0 {
            LineKind::Pre
        } else if self.item > 0 {
            LineKind::ListItem
        } else if self.quote > 0 {
            LineKind::Quote
        } else {
            LineKind::Para
        };
        self.lines.push(Line { kind, text, html: html.trim().to_owned(), link, owner: self.owner });
        self.lines.append(&mut self.pending);
    }

    fn abs(&self, u: &str) -> Option<String> {
        let u = u.trim();
        if u.is_empty() || u.starts_with("data:") || u.starts_with("javascript:") {
            return None;
        }
        match self.base {
            Some(b) => b.join(u).ok().map(|x| x.to_string()),
            None => Some(u.to_owned()),
        }
    }
}

fn is_caption_class(n: &crate::dom::Node) -> bool {
    n.attr("class").is_some_and(|c| {
        c.split(|ch: char| !ch.is_ascii_alphanumeric())
            .any(|t| t.eq_ignore_ascii_case("caption") || t.eq_ignore_ascii_case("figcaption"))
    })
}

/// Renders the live parts of `roots` to lines. With `want_html` false only text and link weights are
/// produced (the cheap pass that ranks containers over the whole page).
pub fn render_lines(dom: &Dom, dead: &[bool], roots: &[usize], base: Option<&Url>, want_html: bool) -> Vec<Line> {
    let nodes = &dom.nodes;
    let mut w = Walker {
        base,
        lines: Vec::new(),
        text: String::new(),
        html: String::new(),
        link: 0,
        link_depth: 0,
        caption: 0,
        heading: 0,
        pre: 0,
        quote: 0,
        item: 0,
        owner: 0,
        pending: Vec::new(),
        want_html,
    };
    for &root in roots {
        let end = nodes[root].end as usize;
        let mut stack: Vec<(usize, Frame)> = Vec::new();
        let mut j = root;
        loop {
            while let Some(&(e, f)) = stack.last() {
                if e > j && j < end {
                    break;
                }
                stack.pop();
                close(&mut w, f);
            }
            if j >= end {
                break;
            }
            if dead[j] {
                j = nodes[j].end as usize;
                continue;
            }
            let n = &nodes[j];
            let e = n.end as usize;
            let Some(tag) = n.tag.as_deref() else {
                w.text.push_str(&n.text);
                if w.want_html {
                    escape_into(&mut w.html, &n.text);
                }
                if w.link_depth > 0 {
                    w.link += text_weight(&n.text);
                }
                if !n.text.trim().is_empty() {
                    w.owner = n.parent as usize;
                }
                j += 1;
                continue;
            };
            match tag {
                "figcaption" => {
                    w.flush();
                    w.caption += 1;
                    stack.push((e, Frame::Caption));
                }
                _ if is_caption_class(n) && !matches!(tag, "span" | "a" | "em" | "i") => {
                    w.flush();
                    w.caption += 1;
                    stack.push((e, Frame::Caption));
                }
                "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                    w.flush();
                    w.heading = tag.as_bytes()[1] - b'0';
                    stack.push((e, Frame::Heading));
                }
                "pre" => {
                    w.flush();
                    w.pre += 1;
                    stack.push((e, Frame::Pre));
                }
                "blockquote" => {
                    w.flush();
                    w.quote += 1;
                    stack.push((e, Frame::Quote));
                }
                "li" => {
                    w.flush();
                    w.item += 1;
                    stack.push((e, Frame::Item));
                }
                "br" => {
                    w.flush();
                }
                "a" => {
                    w.link_depth += 1;
                    match n.attr("href").filter(|_| w.want_html).and_then(|h| w.abs(h)) {
                        Some(h) => {
                            w.html.push_str("<a href=\"");
                            escape_into(&mut w.html, &h);
                            w.html.push_str("\">");
                        }
                        None => w.html.push_str("<a>"),
                    }
                    stack.push((e, Frame::Link));
                }
                "em" | "i" | "strong" | "b" | "code" | "sup" | "sub" => {
                    let (open, close) = match tag {
                        "em" | "i" => ("<em>", "</em>"),
                        "strong" | "b" => ("<strong>", "</strong>"),
                        "code" => ("<code>", "</code>"),
                        "sup" => ("<sup>", "</sup>"),
                        _ => ("<sub>", "</sub>"),
                    };
                    w.html.push_str(open);
                    stack.push((e, Frame::Inline(close)));
                }
                "img" => {
                    let src = ["data-src", "data-original", "data-lazy-src", "src"]
                        .iter()
                        .find_map(|a| n.attr(a).filter(|v| !v.trim().is_empty() && !v.starts_with("data:")))
                        .or_else(|| {
                            n.attr("srcset").or_else(|| n.attr("data-srcset")).and_then(|s| s.split_whitespace().next())
                        })
                        .and_then(|s| w.abs(s));
                    let tiny = n.attr("width").is_some_and(|v| v.trim() == "1" || v.trim() == "0");
                    if let Some(src) = src.filter(|_| !tiny) {
                        w.pending.push(Line {
                            kind: LineKind::Image,
                            text: collapse(n.attr("alt").unwrap_or("")),
                            html: src,
                            link: 0,
                            owner: j,
                        });
                    }
                }
                t if is_block(t) => {
                    w.flush();
                    stack.push((e, Frame::Block));
                }
                _ => {
                    // Inline wrappers (span, font, time…) add nothing but their text.
                }
            }
            j += 1;
        }
        w.flush();
    }
    w.lines
}

fn close(w: &mut Walker<'_>, f: Frame) {
    match f {
        Frame::Block => w.flush(),
        Frame::Inline(c) => w.html.push_str(c),
        Frame::Link => {
            w.link_depth = w.link_depth.saturating_sub(1);
            w.html.push_str("</a>");
        }
        Frame::Caption => {
            w.flush();
            w.caption = w.caption.saturating_sub(1);
        }
        Frame::Heading => {
            w.flush();
            w.heading = 0;
        }
        Frame::Pre => {
            w.flush();
            w.pre = w.pre.saturating_sub(1);
        }
        Frame::Quote => {
            w.flush();
            w.quote = w.quote.saturating_sub(1);
        }
        Frame::Item => {
            w.flush();
            w.item = w.item.saturating_sub(1);
        }
    }
}

/// The kept lines as HTML (sanitised afterwards, so a stray tag here cannot become a hole).
pub fn to_html(lines: &[Line]) -> String {
    let mut out = String::new();
    let mut in_list = false;
    let mut in_figure = false;
    for l in lines {
        if in_list && l.kind != LineKind::ListItem {
            out.push_str("</ul>");
            in_list = false;
        }
        if in_figure && l.kind != LineKind::Caption {
            out.push_str("</figure>");
            in_figure = false;
        }
        match l.kind {
            LineKind::Para => {
                out.push_str("<p>");
                out.push_str(&l.html);
                out.push_str("</p>");
            }
            LineKind::Heading(h) => {
                let h = h.clamp(2, 6);
                out.push_str(&format!("<h{h}>{}</h{h}>", l.html));
            }
            LineKind::ListItem => {
                if !in_list {
                    out.push_str("<ul>");
                    in_list = true;
                }
                out.push_str("<li>");
                out.push_str(&l.html);
                out.push_str("</li>");
            }
            LineKind::Quote => {
                out.push_str("<blockquote><p>");
                out.push_str(&l.html);
                out.push_str("</p></blockquote>");
            }
            LineKind::Pre => {
                out.push_str("<pre>");
                escape_into(&mut out, &l.text);
                out.push_str("</pre>");
            }
            LineKind::Image => {
                out.push_str("<figure><img src=\"");
                escape_into(&mut out, &l.html);
                out.push_str("\" alt=\"");
                escape_into(&mut out, &l.text);
                out.push_str("\">");
                in_figure = true;
            }
            LineKind::Caption => {
                if in_figure {
                    out.push_str("<figcaption>");
                    escape_into(&mut out, &l.text);
                    out.push_str("</figcaption></figure>");
                    in_figure = false;
                }
            }
        }
    }
    if in_list {
        out.push_str("</ul>");
    }
    if in_figure {
        out.push_str("</figure>");
    }
    out
}

/// The allow-list: structure, emphasis, links and images only; relative URLs made absolute.
pub fn sanitize(html: &str, base: Option<&Url>) -> String {
    let tags: HashSet<&str> = [
        "p",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "blockquote",
        "pre",
        "code",
        "em",
        "strong",
        "a",
        "figure",
        "figcaption",
        "img",
        "br",
        "sup",
        "sub",
    ]
    .into_iter()
    .collect();
    let mut attrs: HashMap<&str, HashSet<&str>> = HashMap::new();
    attrs.insert("a", ["href"].into_iter().collect());
    attrs.insert("img", ["src", "alt"].into_iter().collect());
    let mut b = ammonia::Builder::empty();
    b.tags(tags)
        .tag_attributes(attrs)
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true);
    if let Some(base) = base {
        b.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
    }
    b.clean(html).to_string()
}
