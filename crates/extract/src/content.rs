//! Finding the article body: boilerplate subtrees are marked dead (by tag, role, visibility and class/id
//! vocabulary), paragraphs are scored readability-style and their scores flow to their ancestors, the best
//! container and its qualifying siblings are rendered to a stream of lines, and each line is judged again
//! trafilatura-style (link density, promo and "Related:" patterns, duplicate captions).

use url::Url;

use crate::dom::Dom;
use crate::meta::{Meta, clean_byline, plausible_name};
use crate::render::{Line, LineKind, render_lines, to_html};
use crate::text::{collapse, text_weight};

/// What the body pass found.
pub struct Body {
    pub lines: Vec<String>,
    pub html: String,
    pub captions: Vec<String>,
    pub originally_published_by: Option<String>,
    pub bylines: Vec<String>,
    pub source: &'static str,
}

/// Per-node figures from one bottom-up pass.
#[derive(Clone, Copy, Default)]
pub struct Stats {
    /// Letters and digits below the node (live nodes only).
    pub text: u32,
    /// Of which inside links.
    pub link: u32,
    /// Commas below the node.
    pub commas: u32,
    /// Letters and digits in the node's own text children.
    pub direct: u32,
    /// Letters and digits inside `<p>` elements.
    pub ptext: u32,
}

fn tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|t| !t.is_empty())
}

/// Class/id vocabulary of page chrome. A token matches when it starts with one of these (so
/// `sharebar`, `social-links`, `relatedStories` all match) — compared lower-case.
const NEGATIVE_PREFIXES: &[&str] = &[
    "share",
    "sharing",
    "social",
    "related",
    "recommend",
    "newsletter",
    "subscri",
    "promo",
    "advert",
    "sponsor",
    "comment",
    "disqus",
    "breadcrumb",
    "sidebar",
    "footer",
    "masthead",
    "cookie",
    "consent",
    "gdpr",
    "paywall",
    "popup",
    "modal",
    "outbrain",
    "taboola",
    "signup",
    "toolbar",
    "pagination",
    "pager",
    "byline",
    "author",
    "trending",
    "popular",
    "mostread",
    "readmore",
    "morestories",
    "navbar",
    "navigation",
    "widget",
    "banner",
    "skiplink",
    "login",
    "signin",
    "register",
    "dateline",
    "timestamp",
    "credit",
    "copyright",
    "disclaimer",
    "tags",
    "keywords",
    "tooltip",
    "rollover",
    "popover",
    "hovercard",
    "overlay",
    "inread",
    "dfp",
    "adslot",
    "adunit",
    "adwrap",
    "adbox",
    "adcontainer",
    "nocontent",
    "offscreen",
    "bio",
    "follow",
    "rating",
    "printonly",
    "playlist",
];

/// Tokens that must match exactly (too short or too common as prefixes).
const NEGATIVE_EXACT: &[&str] = &[
    "ad",
    "ads",
    "adv",
    "nav",
    "menu",
    "header",
    "meta",
    "date",
    "time",
    "tag",
    "rail",
    "aside",
    "secondary",
    "complementary",
    "print",
    "rss",
    "tools",
    "utility",
    "hide",
    "sr",
    "more",
    "links",
    "email",
    "alert",
    "teaser",
    "teasers",
    "topics",
    "ticker",
    "masthead",
    "toc",
];

/// Tokens that mark a likely article container.
const POSITIVE: &[&str] = &[
    "article",
    "articlebody",
    "body",
    "content",
    "entry",
    "main",
    "post",
    "story",
    "text",
    "blog",
    "prose",
    "rte",
    "richtext",
];

fn class_id(n: &crate::dom::Node) -> String {
    let mut s = String::new();
    if let Some(c) = n.attr("class") {
        s.push_str(c);
    }
    if let Some(c) = n.attr("id") {
        s.push(' ');
        s.push_str(c);
    }
    s.make_ascii_lowercase();
    s
}

fn negative_class(ci: &str) -> bool {
    tokens(ci).any(|t| NEGATIVE_EXACT.contains(&t) || NEGATIVE_PREFIXES.iter().any(|p| t.starts_with(p)))
}

/// Chrome names that stay chrome even next to a content-ish token ("related-posts", "comment-body").
const STRONG_NEGATIVE: &[&str] = &[
    "share",
    "social",
    "related",
    "recommend",
    "newsletter",
    "subscri",
    "promo",
    "advert",
    "sponsor",
    "comment",
    "disqus",
    "breadcrumb",
    "outbrain",
    "taboola",
    "cookie",
    "consent",
    "popup",
    "modal",
    "footer",
    "navbar",
    "navigation",
    "trending",
    "popular",
    "mostread",
];

fn strong_negative(ci: &str) -> bool {
    tokens(ci).any(|t| matches!(t, "ad" | "ads" | "nav" | "menu") || STRONG_NEGATIVE.iter().any(|p| t.starts_with(p)))
}

fn positive_class(ci: &str) -> bool {
    tokens(ci).any(|t| POSITIVE.iter().any(|p| t.starts_with(p)))
}

fn class_weight(ci: &str) -> f32 {
    let mut w = 0.0;
    if positive_class(ci) {
        w += 25.0;
    }
    if negative_class(ci) {
        w -= 25.0;
    }
    w
}

/// Whether a class/id names an article body outright (itemprop handled separately).
fn body_class(ci: &str) -> bool {
    [
        "article-body",
        "articlebody",
        "article__body",
        "story-body",
        "storybody",
        "entry-content",
        "post-content",
        "article-content",
        "story-content",
        "article-text",
        "post-body",
        "body-text",
        "article__content",
        "story__body",
    ]
    .iter()
    .any(|p| ci.contains(p))
}

/// Hard chrome: never article text whatever its size.
fn dead_tag(tag: &str) -> bool {
    matches!(tag, "nav" | "aside" | "footer" | "menu" | "form" | "head" | "title" | "meta" | "label" | "fieldset")
}

fn hidden(n: &crate::dom::Node) -> bool {
    if n.attr("hidden").is_some() || n.attr("aria-hidden") == Some("true") {
        return true;
    }
    if let Some(style) = n.attr("style") {
        let s: String = style.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        if s.contains("display:none") || s.contains("visibility:hidden") {
            return true;
        }
    }
    matches!(
        n.attr("role"),
        Some(
            "navigation"
                | "complementary"
                | "banner"
                | "contentinfo"
                | "dialog"
                | "alertdialog"
                | "search"
                | "menu"
                | "menubar"
                | "toolbar"
                | "tablist"
        )
    )
}

/// Bottom-up figures for every node, skipping dead subtrees.
fn compute_stats(dom: &Dom, dead: &[bool]) -> Vec<Stats> {
    let nodes = &dom.nodes;
    let mut st = vec![Stats::default(); nodes.len()];
    for i in (1..nodes.len()).rev() {
        if dead[i] {
            continue;
        }
        let n = &nodes[i];
        if n.tag.is_none() {
            let w = text_weight(&n.text) as u32;
            st[i].text = w;
            st[i].commas = n.text.chars().filter(|&c| c == ',' || c == '，' || c == '、').count() as u32;
            let p = n.parent as usize;
            st[p].direct += w;
        } else if n.is("a") {
            st[i].link = st[i].text;
        } else if n.is("p") {
            st[i].ptext = st[i].text;
        }
        let s = st[i];
        let p = &mut st[n.parent as usize];
        p.text += s.text;
        p.link += s.link;
        p.commas += s.commas;
        p.ptext += s.ptext;
    }
    st
}

pub fn extract_body(dom: &Dom, meta: &Meta, base: Option<&Url>) -> Body {
    let nodes = &dom.nodes;
    let n = nodes.len();
    let none_dead = vec![false; n];
    let raw = compute_stats(dom, &none_dead);
    let total = raw.first().map_or(0, |s| s.text).max(1);
    let ptotal = raw.first().map_or(0, |s| s.ptext).max(1);

    let mut dead = vec![false; n];
    let mut bylines: Vec<String> = Vec::new();
    let mut body_marked: Vec<usize> = Vec::new();
    for i in 1..n {
        let node = &nodes[i];
        if dead[node.parent as usize] {
            dead[i] = true;
            continue;
        }
        let Some(tag) = node.tag.as_deref() else { continue };
        if dead_tag(tag) {
            // A page wrapped whole in one <form> (ASP.NET) would lose everything.
            dead[i] = !(tag == "form" && raw[i].text * 2 > total);
            continue;
        }
        if hidden(node) {
            dead[i] = true;
            continue;
        }
        let ci = class_id(node);
        let prop = node.attr("itemprop").unwrap_or("");
        if prop == "articleBody" || body_class(&ci) {
            body_marked.push(i);
            continue;
        }
        if ci.is_empty() {
            continue;
        }
        // Embedded posts (tweets, Instagram) are quoted content: their wrappers often say "social", but
        // their chrome is judged line by line instead.
        if negative_class(&ci) && !ci.contains("embed") {
            let share = raw[i].ptext as f32 / ptotal as f32;
            let big = if matches!(tag, "article" | "main" | "body" | "html") {
                true
            } else if strong_negative(&ci) {
                share > 0.6
            } else {
                share > 0.3 || positive_class(&ci)
            };
            if tokens(&ci).any(|t| t.starts_with("byline") || t.starts_with("author")) && raw[i].text < 200 {
                let t = clean_byline(&crate::meta::text_of(dom, i));
                if plausible_name(&t) && !bylines.contains(&t) {
                    bylines.push(t);
                }
            }
            if !big {
                dead[i] = true;
            }
        }
    }

    let st = compute_stats(dom, &dead);

    // Readability-style scores: each paragraph adds to its ancestors, less the further up.
    let mut score = vec![0f32; n];
    let mut touched = vec![false; n];
    for i in 1..n {
        if dead[i] {
            continue;
        }
        let node = &nodes[i];
        let Some(tag) = node.tag.as_deref() else { continue };
        let is_para = match tag {
            "p" | "pre" | "td" | "blockquote" => true,
            "div" | "section" | "article" | "span" | "font" | "dd" | "li" => st[i].direct >= 40,
            _ => false,
        };
        if !is_para {
            continue;
        }
        let s = &st[i];
        let w = if matches!(tag, "div" | "section" | "article" | "span" | "font" | "dd" | "li") {
            s.direct
        } else {
            s.text
        };
        if w < 25 {
            continue;
        }
        let ld = if s.text > 0 { s.link as f32 / s.text as f32 } else { 0.0 };
        if ld > 0.5 {
            continue;
        }
        let ps = 1.0 + s.commas.min(20) as f32 + (w as f32 / 100.0).min(3.0);
        let mut a = node.parent as usize;
        let mut level = 0;
        while level < 5 && a != 0 {
            if !touched[a] {
                touched[a] = true;
                score[a] = init_score(&nodes[a]);
            }
            let div = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f32 * 3.0,
            };
            score[a] += ps / div;
            a = nodes[a].parent as usize;
            level += 1;
        }
    }
    let mut best: Option<(usize, f32)> = None;
    for i in 1..n {
        if !touched[i] || dead[i] {
            continue;
        }
        let ld = if st[i].text > 0 { st[i].link as f32 / st[i].text as f32 } else { 0.0 };
        let mut s = score[i] * (1.0 - ld);
        if body_marked.contains(&i) && st[i].text > 200 {
            s *= 1.5;
            s += 30.0;
        }
        score[i] = s;
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((i, s));
        }
    }

    // Second opinion on the container, trafilatura-like: credit every rendered line of the page as good
    // (a sentence-length line that passes the line judge) or bad (chrome) to its ancestors, and take the
    // element with the most good text net of bad. Unlike per-paragraph scores this finds a body split
    // into many sibling blocks at their common parent.
    let all = render_lines(dom, &dead, &[0], base, false);
    let mut good = vec![0f32; n];
    let mut bad = vec![0f32; n];
    for l in &all {
        if matches!(l.kind, LineKind::Image | LineKind::Caption) {
            continue;
        }
        let w = text_weight(&l.text) as f32;
        if line_is_good(l, meta) {
            if w >= 40.0 {
                good[l.owner] += w;
            } else {
                bad[l.owner] += w * SHORT_PENALTY;
            }
        } else {
            bad[l.owner] += w;
        }
    }
    for i in (1..n).rev() {
        let p = nodes[i].parent as usize;
        good[p] += good[i];
        bad[p] += bad[i];
    }
    let mut roots: Vec<usize> = Vec::new();
    if let Some((top, top_score)) = best {
        // Climb while the parent holds little beyond the candidate: wrappers add nothing, and a body split
        // into sibling blocks is found at their common parent.
        let mut c = top;
        loop {
            let p = nodes[c].parent as usize;
            if p == 0 || dead[p] || nodes[p].is("body") || nodes[p].is("html") {
                break;
            }
            let extra = st[p].text.saturating_sub(st[c].text);
            let extra_link = st[p].link.saturating_sub(st[c].link);
            let parent_score = if touched[p] { score[p] } else { 0.0 };
            if (extra as f32) < st[c].text as f32 * 0.1 || (parent_score > top_score * 0.9 && extra_link * 3 < extra) {
                c = p;
            } else {
                break;
            }
        }
        let parent = nodes[c].parent as usize;
        let threshold = (top_score * 0.2).max(10.0);
        for s in dom.children(parent) {
            if s == c {
                roots.push(s);
                continue;
            }
            if dead[s] || nodes[s].tag.is_none() {
                continue;
            }
            let ss = &st[s];
            let ld = if ss.text > 0 { ss.link as f32 / ss.text as f32 } else { 1.0 };
            let sib_score = if touched[s] { score[s] } else { 0.0 };
            // Readability's rule: a sibling styled like the candidate is likely more of the same body.
            let same_class = nodes[s].attr("class").is_some() && nodes[s].attr("class") == nodes[c].attr("class");
            let class_bonus = if same_class { top_score * 0.2 } else { 0.0 };
            let para_like = nodes[s].is("p") || st[s].direct >= 40;
            let keep = (sib_score > 0.0 && sib_score + class_bonus >= threshold && ld < 0.25)
                || (para_like && ss.text > 80 && ld < 0.25)
                || (nodes[s].is("p") && ss.text > 0 && ld == 0.0 && ends_sentence(dom, s));
            if keep {
                roots.push(s);
            }
        }
    }

    let mut net_best: Option<(usize, f32)> = None;
    for i in 1..n {
        if dead[i] || nodes[i].tag.is_none() {
            continue;
        }
        let v = good[i] - ALPHA * bad[i];
        if net_best.is_none_or(|(_, b)| v > b) {
            net_best = Some((i, v));
        }
    }
    if let Some((net, _)) = net_best {
        let got: f32 = roots.iter().map(|&r| good[r]).sum();
        let inside = roots.iter().any(|&r| r < net && net < nodes[r].end as usize);
        if got < 0.3 * good[net] {
            // The scored container holds a small part of the page's body-like text: scoring was misled.
            roots = vec![net];
        } else if inside && good[net] >= 0.9 * got {
            // A tighter container with (almost) all the same body text and less chrome.
            roots = vec![net];
        }
    }
    let lines = render_lines(dom, &dead, &roots, base, true);
    let mut body = judge(lines, meta);
    body.bylines = bylines;

    if let Some(ab) = &meta.article_body {
        use_stated_body(&mut body, ab);
    }
    body
}

/// A page whose markup hides the body (client-side rendering) may still state it in JSON-LD or in a
/// hydration script: that text replaces what the markup gave when it is more than twice as long.
pub fn use_stated_body(body: &mut Body, stated: &str) {
    let got: usize = body.lines.iter().map(|l| text_weight(l)).sum();
    if got * 2 < text_weight(stated) {
        let lines: Vec<String> = stated.split('\n').map(collapse).filter(|l| !l.is_empty()).collect();
        body.html = lines.iter().map(|l| format!("<p>{}</p>", crate::render::escape(l))).collect();
        body.lines = lines;
        body.source = "json-ld";
    }
}

/// A link-dense list item or heading longer than this is content (a summary bullet), not navigation.
const LIST_LINK_MAX: usize = 100;

/// Weight of a short (under 40 letters) line that passes the judge: neither clearly body nor chrome.
const SHORT_PENALTY: f32 = 0.3;
/// How much one letter of chrome costs against one letter of body text when ranking containers.
const ALPHA: f32 = 1.0;

/// The stateless part of [`judge`], for ranking containers.
fn line_is_good(line: &Line, meta: &Meta) -> bool {
    let t = &line.text;
    let w = text_weight(t);
    if w == 0 || matches!(line.kind, LineKind::Heading(1)) {
        return false;
    }
    if meta.title.as_deref().is_some_and(|x| norm(x) == norm(t)) {
        return false;
    }
    let ld = line.link as f32 / w as f32;
    let list = matches!(line.kind, LineKind::ListItem | LineKind::Heading(_));
    if ld > 0.8 || (ld > 0.5 && ((list && w < LIST_LINK_MAX) || w < 20)) {
        return false;
    }
    !(is_boilerplate_line(t, w, line.link > 0) || is_dateline_stub(t, w) || caption_like(t))
}

fn ends_sentence(dom: &Dom, i: usize) -> bool {
    let t = crate::meta::text_of(dom, i);
    let t = t.trim_end();
    t.ends_with('.') || t.ends_with('。') || t.ends_with('!') || t.ends_with('?')
}

fn init_score(n: &crate::dom::Node) -> f32 {
    let base = match n.tag_str() {
        "div" | "article" | "section" | "main" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    };
    base + class_weight(&class_id(n))
}

/// Line-level judgement: the second filter, for chrome that sits inside the article container.
fn judge(lines: Vec<Line>, meta: &Meta) -> Body {
    let mut kept: Vec<Line> = Vec::new();
    let mut captions: Vec<String> = Vec::new();
    let mut caption_keys: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut last_key: Option<String> = None;
    let mut originally = None;
    let title_norm = meta.title.as_deref().map(norm);
    for line in lines {
        match line.kind {
            LineKind::Image => {
                kept.push(line);
                continue;
            }
            LineKind::Caption => {
                let key = norm(&line.text);
                if !key.is_empty() && caption_keys.insert(key) {
                    captions.push(line.text.clone());
                    kept.push(line);
                }
                continue;
            }
            _ => {}
        }
        let t = &line.text;
        let w = text_weight(t);
        if w == 0 {
            continue;
        }
        let key = norm(t);
        if caption_keys.contains(&key) || caption_like(t) {
            continue;
        }
        if matches!(line.kind, LineKind::Heading(1)) || title_norm.as_deref() == Some(key.as_str()) {
            continue;
        }
        // Only an immediate repeat is a rendering artefact (headline or caption printed twice); the same
        // line further on can be real (recipe steps, refrains, list entries).
        if w < 200 && last_key.as_deref() == Some(key.as_str()) {
            continue;
        }
        let ld = line.link as f32 / w as f32;
        let list = matches!(line.kind, LineKind::ListItem | LineKind::Heading(_));
        if ld > 0.8 || (ld > 0.5 && ((list && w < LIST_LINK_MAX) || w < 20)) {
            continue;
        }
        if let Some(publisher) = syndication_credit(t) {
            originally.get_or_insert(publisher);
            continue;
        }
        if is_boilerplate_line(t, w, line.link > 0) || is_dateline_stub(t, w) {
            continue;
        }
        last_key = Some(key);
        kept.push(line);
    }
    // An author bio closing the body: "Jane Roe is a reporter who covers…", named like a byline.
    while kept.last().is_some_and(|l| l.kind == LineKind::Para && is_author_bio(&l.text, &meta.authors)) {
        kept.pop();
    }
    // Press-release boilerplate closes many wire stories: "About X" and "X is a leading provider of…".
    while kept
        .last()
        .is_some_and(|l| matches!(l.kind, LineKind::Para | LineKind::Heading(_)) && is_company_boilerplate(&l.text))
    {
        kept.pop();
    }
    // Drop trailing headings and list stubs left after the body ended ("Related Articles").
    while kept.last().is_some_and(|l| matches!(l.kind, LineKind::Heading(_))) {
        kept.pop();
    }
    let html = to_html(&kept);
    let lines = kept
        .iter()
        .filter(|l| !matches!(l.kind, LineKind::Image | LineKind::Caption))
        .map(|l| l.text.clone())
        .collect();
    Body { lines, html, captions, originally_published_by: originally, bylines: Vec::new(), source: "dom" }
}

fn norm(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Photo credits and caption-ish stubs printed as paragraphs.
fn caption_like(t: &str) -> bool {
    let l = t.to_lowercase();
    let w = text_weight(t);
    w < 80
        && (l.starts_with("photo:")
            || l.starts_with("image:")
            || l.starts_with("photograph:")
            || l.starts_with("picture:")
            || l.starts_with("(photo")
            || l.starts_with("credit:")
            || l.ends_with("getty images")
            || l.ends_with("/ afp")
            || l.ends_with("/afp")
            || l.ends_with("/ reuters")
            || l.ends_with("/reuters")
            || l.ends_with("/ap")
            || l.ends_with("/ ap"))
}

/// "This article originally appeared in the Example Post, …" → "the Example Post".
fn syndication_credit(t: &str) -> Option<String> {
    let l = t.to_lowercase();
    let markers = [
        "this article originally appeared in ",
        "this article originally appeared on ",
        "this article was originally published in ",
        "this article was originally published on ",
        "this article was originally published by ",
        "this story originally appeared in ",
        "this story originally appeared on ",
        "this story was originally published in ",
        "this story was originally published on ",
        "this story was originally published by ",
        "originally published in ",
        "originally published on ",
        "originally published by ",
        "this article first appeared in ",
        "this article first appeared on ",
        "this story first appeared in ",
        "this story first appeared on ",
    ];
    for m in markers {
        if let Some(pos) = l.find(m) {
            if pos > 40 {
                continue;
            }
            let start = pos + m.len();
            let rest = t.get(start..)?;
            let end = rest.find([',', '.', ';', '(', '—']).unwrap_or(rest.len());
            let name = rest[..end].trim();
            let name = name.strip_prefix("the ").unwrap_or(name);
            if !name.is_empty() && name.chars().count() < 80 {
                return Some(name.trim().to_owned());
            }
        }
    }
    None
}

fn is_author_bio(t: &str, authors: &[String]) -> bool {
    if text_weight(t) > 600 {
        return false;
    }
    authors.iter().any(|a| {
        let first = a.split_whitespace().next().unwrap_or("");
        let head: String = t.chars().take(80).collect();
        (head.contains(a.as_str()) || (first.len() > 2 && t.starts_with(first)))
            && [" is a ", " is an ", " is the ", " writes ", " covers ", " reports ", " has been "]
                .iter()
                .any(|v| t.contains(v))
    })
}

/// "About Acme" / "Acme is a global provider of…" / "Acme is headquartered in…".
fn is_company_boilerplate(t: &str) -> bool {
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.len() <= 5 && words.first().is_some_and(|w| *w == "About") {
        return true;
    }
    if words.len() > 120 || !t.starts_with(|c: char| c.is_uppercase()) {
        return false;
    }
    let l = t.to_lowercase();
    let head: String = l.chars().take(60).collect();
    let intro = [" is a ", " is an ", " is the ", " is headquartered", " was founded", " are a "]
        .iter()
        .any(|p| head.contains(p));
    let corporate = [
        "global",
        "leading",
        "provider",
        "headquartered",
        "founded in",
        "employs",
        "listed on",
        "subsidiaries",
        "company",
        "nasdaq",
        "nyse",
    ]
    .iter()
    .filter(|k| l.contains(*k))
    .count();
    intro && corporate >= 2
}

const MONTHS: &[&str] = &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// Date and byline stubs above or below the text ("Updated Nov. 19, 2019 8:21 am ET", "By", "12.11.2018").
fn is_dateline_stub(t: &str, w: usize) -> bool {
    // "— Jane Roe (@jane) November 18, 2019" closes an embedded post: part of the quote, not a dateline.
    if t.contains("(@") {
        return false;
    }
    if w < 120 {
        let l = t.to_lowercase();
        if ["publicado por", "posted by", "published by", "written by", "posted in", "posted on"]
            .iter()
            .any(|p| l.contains(p))
        {
            return true;
        }
    }
    if w >= 60 {
        return false;
    }
    let l = t.trim().to_lowercase();
    let words: Vec<&str> = l.split_whitespace().collect();
    if words.len() > 10 {
        return false;
    }
    let orig: Vec<&str> = t.split_whitespace().collect();
    let first = words.first().copied().unwrap_or("");
    // "By Jane Roe", "By: Staff" — but not "By the end of the day, it was over."
    if matches!(first, "by" | "by:" | "von" | "por" | "par")
        && (words.len() == 1
            || (words.len() <= 7
                && !t.trim_end().ends_with('.')
                && orig.get(1).is_some_and(|w| w.starts_with(|c: char| c.is_uppercase()))))
    {
        return true;
    }
    // "Updated 8:21 am", "Published: 19.11.2019", "Last updated 2 hours ago"
    if matches!(first, "updated" | "updated:" | "published" | "published:" | "posted" | "posted:" | "last")
        && l.chars().any(|c| c.is_ascii_digit())
    {
        return true;
    }
    let digits = l.chars().filter(char::is_ascii_digit).count();
    let has_year =
        l.split(|c: char| !c.is_ascii_digit()).any(|d| d.len() == 4 && (d.starts_with("19") || d.starts_with("20")));
    let has_month = words
        .iter()
        .any(|w| MONTHS.iter().any(|m| w.trim_matches(|c: char| !c.is_alphabetic()).starts_with(m) && w.len() <= 10));
    let clock_time = words.iter().any(|w| {
        let w = w.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        w.split_once(':').is_some_and(|(h, m)| {
            !h.is_empty()
                && h.len() <= 2
                && h.chars().all(|c| c.is_ascii_digit())
                && m.starts_with(|c: char| c.is_ascii_digit())
        })
    });
    let zone = words.iter().any(|w| {
        matches!(
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '.'),
            "am" | "pm"
                | "a.m."
                | "p.m."
                | "gmt"
                | "et"
                | "est"
                | "edt"
                | "pt"
                | "utc"
                | "bst"
                | "cet"
                | "cest"
                | "ist"
                | "ast"
        )
    });
    let has_clock = clock_time && zone;
    (has_year && (has_month || digits >= 6) && words.len() <= 8) || (has_clock && words.len() <= 8)
}

/// Short promotional or navigational lines inside an article container.
fn is_boilerplate_line(t: &str, w: usize, has_link: bool) -> bool {
    let l = t.trim().to_lowercase();
    const STARTS: &[&str] = &[
        "related:",
        "related articles",
        "related stories",
        "related coverage",
        "more:",
        "read more",
        "read also",
        "also read",
        "see also",
        "download the app",
        "get the app",
        "share this",
        "follow us",
        "listen to this article",
        "scroll to continue",
        "continue reading",
        "story continues",
        "article continues",
        "watch:",
        "watch now",
        "video:",
        "no comments",
        "copyright ©",
        "copyright (c)",
        "©",
        "all rights reserved",
        "this content is",
        "you might also like",
        "we've noticed",
        "already a subscriber",
        "to continue reading",
        "please enable",
        "this article was generated",
        "ai-generated",
        "this story was generated",
        "reporting by",
        "(reporting by",
        "additional reporting",
        "editing by",
        "(editing by",
        "writing by",
        "compiled by",
        "if you enjoyed this article",
        "this article is related to",
        "reach the reporter",
        "chat with us",
        "explore further",
        "you may also like",
        "you might like",
        "previous post",
        "next post",
        "previous article",
        "next article",
        "our standards",
        "this post may contain affiliate",
        "this article contains affiliate",
        "[button",
        "note: we are temporarily",
        "tags:",
        "filed under",
        "topics:",
    ];
    if w < 250 && STARTS.iter().any(|s| l.starts_with(s)) {
        return true;
    }
    // Single-word labels only as labels ("Recommended:", "Trending now", "Sign up"), never as the
    // first word of a sentence ("Recommended daily doses were…", "Subscribers will get…").
    const LABEL_STARTS: &[&str] = &[
        "recommended",
        "advertisement",
        "sponsored",
        "sign up",
        "subscribe",
        "comments",
        "trending",
        "loading",
        "more from",
        "most read",
        "join our",
        "share on",
    ];
    let word_count = l.split_whitespace().count();
    if w < 250
        && LABEL_STARTS.iter().any(|s| {
            l.strip_prefix(s).is_some_and(|rest| {
                !rest.starts_with(|c: char| c.is_alphabetic())
                    && (word_count <= 6 || rest.trim_start().starts_with(':') || *s == "join our")
            })
        })
    {
        return true;
    }
    const LABELS: &[&str] = &[
        "caption",
        "tags",
        "topics",
        "advert",
        "advertisement",
        "ad",
        "anzeige",
        "werbung",
        "iklan",
        "publicidad",
        "publicité",
        "pubblicità",
        "реклама",
        "share",
        "close",
        "print",
        "email",
    ];
    let bare = l.trim_matches(|c: char| !c.is_alphanumeric());
    if LABELS.contains(&bare) {
        return true;
    }
    if let Some(rest) = bare.strip_prefix("image ")
        && rest.split(" of ").count() == 2
        && rest.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == 'o' || c == 'f')
    {
        return true;
    }
    if w < 150
        && (l.contains("follow") || l.contains("find us") || l.contains("like us"))
        && ["twitter", "facebook", "instagram", "linkedin", "youtube", "tiktok"].iter().any(|n| l.contains(n))
    {
        return true;
    }
    if w < 40 && has_link && (l.ends_with('»') || l.ends_with('›') || l.ends_with("→")) {
        return true;
    }
    if w < 300
        && (l.contains("contributed to this report")
            || l.contains("contributed reporting")
            || (l.contains("affiliate") && (l.contains("commission") || l.contains("links"))))
    {
        return true;
    }
    // Phrases, not topics: an article about newsletters, cookies or the App Store keeps its sentences.
    const PROMO: &[&str] = &[
        "our newsletter",
        "the newsletter",
        "newsletter:",
        "sign up for our",
        "sign up to our",
        "subscribe to our",
        "subscribe now",
        "download our app",
        "download the app",
        "get our app",
        "our new platform",
        "follow us on",
        "all rights reserved",
        "we use cookies",
        "accept cookies",
        "cookie policy",
        "cookie settings",
        "enable javascript",
        "javascript is disabled",
        "javascript enabled",
        "ad blocker",
        "adblock",
    ];
    if w < 300 && PROMO.iter().any(|p| l.contains(p)) {
        return true;
    }
    if w < 300
        && (l.contains("app store") || l.contains("google play"))
        && (l.contains("download") || l.contains("get the") || l.contains("available on"))
    {
        return true;
    }
    t.len() < 40 && t.chars().all(|c| !c.is_lowercase()) && l.contains("advert")
}

/// The longest `"articleBody": "…"` JSON string anywhere in the page source (hydration state of
/// client-rendered sites), with any markup inside it reduced to line breaks.
pub fn script_article_body(source: &str) -> Option<String> {
    const KEY: &str = "\"articleBody\"";
    let mut best: Option<String> = None;
    let mut from = 0;
    let mut tries = 0;
    let finder = memchr::memmem::Finder::new(KEY);
    while let Some(pos) = finder.find(&source.as_bytes()[from..]) {
        tries += 1;
        if tries > 20 {
            break;
        }
        let start = from + pos + KEY.len();
        from = start;
        let Some(rest) = source.get(start..) else { continue };
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix(':') else { continue };
        let rest = rest.trim_start();
        if !rest.starts_with('"') {
            continue;
        }
        let bytes = rest.as_bytes();
        let mut i = 1;
        while i < bytes.len() && bytes[i] != b'"' {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        let Some(lit) = rest.get(..(i + 1).min(rest.len())) else { continue };
        if let Ok(text) = serde_json::from_str::<String>(lit)
            && best.as_ref().is_none_or(|b| text.len() > b.len())
        {
            best = Some(text);
        }
    }
    let text = best?;
    let text = if text.contains('<') { strip_tags(&text) } else { text };
    (text_weight(&text) > 200).then_some(text)
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push('\n');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syndication_credit_names_the_publisher() {
        assert_eq!(
            syndication_credit("This article originally appeared in the South Example Post, the region's paper.")
                .as_deref(),
            Some("South Example Post")
        );
        assert_eq!(syndication_credit("The mayor originally opposed the plan."), None);
    }

    #[test]
    fn closing_boilerplate() {
        assert!(is_company_boilerplate("Acme is a leading global provider of widgets, headquartered in Baar."));
        assert!(is_company_boilerplate("About Acme"));
        assert!(!is_company_boilerplate("The council is a body of nine members elected every four years."));
        let authors = vec!["Jane Roe".to_owned()];
        assert!(is_author_bio("Jane Roe is a reporter covering city hall.", &authors));
        assert!(!is_author_bio("The mayor is a former teacher.", &authors));
    }

    #[test]
    fn line_patterns() {
        assert!(is_boilerplate_line("Related: Another story", 18, true));
        assert!(is_boilerplate_line("(Reporting by Jane Roe; Editing by John Doe)", 30, false));
        assert!(!is_boilerplate_line("The related cases were heard on Monday.", 30, false));
        assert!(is_dateline_stub("Updated Nov. 19, 2019 8:21 am ET", 20));
        assert!(!is_dateline_stub("1a etapa: 10 de março – Interlagos", 25));
        assert!(!is_dateline_stub("— Jane Roe (@jane) November 18, 2019", 25));
        assert!(is_dateline_stub("By Jane Roe and John Doe", 18));
        assert!(!is_dateline_stub("By the end of the day, it was over.", 25));
        assert!(!is_boilerplate_line("Recommended daily doses were raised last year.", 38, false));
        assert!(!is_boilerplate_line("Subscribers will get the new edition first.", 36, false));
        assert!(is_boilerplate_line("Recommended", 11, false));
        assert!(is_boilerplate_line("Trending: the week in pictures", 24, true));
    }
}
