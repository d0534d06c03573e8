//! A direct path from XML events to the typed model for plain, well-formed RSS 2.0.
//!
//! Most real feeds are RSS 2.0 with a handful of elements (`title`, `link`, `guid`, `pubDate`,
//! `dc:creator`, `category`, `description`, `content:encoded`, `enclosure`). For those, building
//! feedparser's records and converting them afterwards costs more than the tokenizing itself, so
//! this module fills [`FeedMeta`] and [`Entry`] directly, applying the same rules as
//! [`crate::handler`] (which stays the reference: `compat::feedparser_view` always uses it).
//!
//! Anything outside that subset (another element or attribute, a namespace it does not know, a
//! well-formedness problem, a non-UTF-8 source, a default language) makes [`parse_rss`] return
//! `None`, and the general parser runs instead. The typed result is identical either way.

use std::borrow::Cow;
use std::collections::HashSet;

use crate::dates::parse_date;
use crate::handler::{MAX_TAGS, fix_query_entities, normalize_uri, split_author, standard_prefix};
use crate::text::{fix_cp1252, fix_double_utf8, looks_like_html, strip_html};
use crate::urls::{resolve_relative_uris, urljoin};
use crate::xml::{Attr, Event, Tokenizer};
use crate::{Enclosure, Entry, FeedMeta, FeedVersion, Link, Person, Text, TextKind};

/// How many namespace prefixes the root may declare for the fast path.
const MAX_PREFIXES: usize = 32;

/// Text-bearing elements the fast path understands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum El {
    Title,
    Link,
    Description,
    Language,
    PubDate,
    LastBuildDate,
    Guid,
    Creator,
    Category,
    ContentEncoded,
}

/// Names an element by its feedparser key, given the root's namespace map.
fn classify(qname: &str, ns: &[(&str, &'static str)]) -> Option<(&'static str, &'static str)> {
    let (prefix, local) = match qname.split_once(':') {
        Some((p, l)) => (ns.iter().find(|(q, _)| *q == p)?.1, l),
        None => ("", qname),
    };
    const LOCALS: &[&str] = &[
        "rss",
        "channel",
        "item",
        "title",
        "link",
        "description",
        "language",
        "pubdate",
        "lastbuilddate",
        "guid",
        "creator",
        "category",
        "encoded",
        "enclosure",
    ];
    let local = LOCALS.iter().find(|l| l.eq_ignore_ascii_case(local))?;
    Some((prefix, local))
}

fn text_el(prefix: &str, local: &str) -> Option<El> {
    Some(match (prefix, local) {
        ("", "title") => El::Title,
        ("", "link") => El::Link,
        ("", "description") => El::Description,
        ("", "language") => El::Language,
        ("", "pubdate") => El::PubDate,
        ("", "lastbuilddate") => El::LastBuildDate,
        ("", "guid") => El::Guid,
        ("dc", "creator") => El::Creator,
        ("", "category") => El::Category,
        ("content", "encoded") => El::ContentEncoded,
        _ => return None,
    })
}

/// How an element's text is typed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Not a text construct (links, dates, names): never rewritten as HTML.
    Plain,
    /// An HTML text construct whose links are resolved against the base.
    Html,
    /// A `text/plain` title that becomes HTML when it looks like HTML.
    Detect,
}

/// What feedparser's text pipeline does to an element's character data (see `Handler::pop_ws`).
struct Pipeline<'b> {
    base: &'b str,
}

impl Pipeline<'_> {
    /// The element's final value and whether it is HTML. `relative_uri`: the element is a URI,
    /// resolved against the base when non-empty.
    fn run(&self, pieces: &mut Vec<Cow<'_, str>>, relative_uri: bool, mode: Mode) -> (String, bool) {
        let joined: String = if pieces.len() == 1 {
            pieces.pop().map(Cow::into_owned).unwrap_or_default()
        } else {
            let s = pieces.concat();
            pieces.clear();
            s
        };
        let t = joined.trim();
        let mut output = if t.len() == joined.len() { joined } else { t.to_string() };
        if relative_uri && !output.is_empty() {
            output = urljoin(self.base, &output);
        }
        let html = match mode {
            Mode::Plain => false,
            Mode::Html => true,
            Mode::Detect => looks_like_html(&output),
        };
        if html && !self.base.is_empty() && output.contains('<') {
            output = resolve_relative_uris(&output, self.base);
        }
        (fix_cp1252(fix_double_utf8(Cow::Owned(output))).into_owned(), html)
    }

    fn value(&self, pieces: &mut Vec<Cow<'_, str>>) -> String {
        self.run(pieces, false, Mode::Plain).0
    }
}

#[derive(Default)]
struct ItemState {
    entry: Entry,
    /// `link` key present in feedparser's record (possibly empty).
    link: Option<String>,
    title_locked: bool,
    /// The first `content:encoded` value (feedparser copies it into an absent summary).
    first_content: Option<String>,
    description_seen: bool,
    has_content: bool,
    enclosure_lengths: Vec<Option<u64>>,
    /// The categories so far, for the duplicate check (a scan of the list is quadratic in a hostile feed).
    categories: HashSet<String>,
}

fn text(kind: TextKind, value: String, base: &str, media_type: &str) -> Text {
    Text {
        kind,
        value,
        language: None,
        base: (!base.is_empty()).then(|| base.to_string()),
        media_type: media_type.to_string(),
        src: None,
    }
}

fn plain(t: &Text) -> String {
    match t.kind {
        TextKind::Text => t.value.clone(),
        _ => strip_html(&t.value),
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// Value of the last attribute named `name` (ASCII case-insensitively, as feedparser lowercases).
fn attr<'x>(attrs: &'x [Attr<'_>], name: &str) -> Option<&'x str> {
    attrs.iter().rev().find(|a| a.name.eq_ignore_ascii_case(name)).map(|a| &*a.value)
}

fn only_attrs(attrs: &[Attr<'_>], allowed: &[&str]) -> bool {
    attrs.iter().all(|a| allowed.iter().any(|n| a.name.eq_ignore_ascii_case(n)))
}

/// Parses `text` (a UTF-8 document) if it is plain RSS 2.0; `None` sends it to the general parser.
pub(crate) fn parse_rss(text: &str, base: &str) -> Option<(FeedVersion, FeedMeta, Vec<Entry>)> {
    let mut tok = Tokenizer::new(text);
    let pipe = Pipeline { base };
    let mut ns: Vec<(&str, &'static str)> = Vec::new();
    // Open elements: (qname, text element, its character data).
    let mut open: Vec<(&str, Option<El>)> = Vec::new();
    let mut pieces: Vec<Cow<'_, str>> = Vec::new();
    let mut feed = FeedMeta::default();
    let mut seen_channel: Vec<El> = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut item: Option<ItemState> = None;
    let mut root_done = false;
    let mut channel_seen = false;
    let mut guid_is_link = false;

    while let Some(ev) = tok.next_event() {
        if tok.netscape_doctype {
            return None;
        }
        if root_done {
            match ev {
                Event::Text(t) if t.trim().is_empty() => continue,
                _ => return None,
            }
        }
        match ev {
            Event::Text(t) => {
                if open.is_empty() {
                    if !t.trim().is_empty() {
                        return None;
                    }
                } else if open.last().is_some_and(|(_, el)| el.is_some()) {
                    pieces.push(t);
                }
            }
            Event::Start { name, attrs, empty } => {
                let depth = open.len();
                if depth == 0 {
                    if name != "rss" || attr(&attrs, "version") != Some("2.0") {
                        return None;
                    }
                    for a in &attrs {
                        if a.name == "version" {
                            continue;
                        }
                        let p = a.name.strip_prefix("xmlns:")?;
                        // Prefixes are looked up in a list, per declaration and per element: a root declaring
                        // more than plain RSS needs goes to the general parser rather than make that quadratic.
                        if p.is_empty()
                            || p.contains(':')
                            || ns.len() >= MAX_PREFIXES
                            || ns.iter().any(|(q, _)| *q == p)
                        {
                            return None;
                        }
                        let std = standard_prefix(&normalize_uri(&a.value))?;
                        if std.is_empty() && !a.value.eq_ignore_ascii_case("http://www.w3.org/2005/atom") {
                            return None;
                        }
                        ns.push((p, std));
                    }
                    if empty {
                        return None;
                    }
                    open.push((name, None));
                    continue;
                }
                // Nothing nests inside a text element.
                if open.last().is_some_and(|(_, el)| el.is_some()) {
                    return None;
                }
                let (prefix, local) = classify(name, &ns)?;
                match (depth, prefix, local) {
                    (1, "", "channel") if attrs.is_empty() && !empty && !channel_seen => {
                        channel_seen = true;
                        open.push((name, None));
                        continue;
                    }
                    (2, "", "item") if attrs.is_empty() && !empty => {
                        item = Some(ItemState::default());
                        open.push((name, None));
                        continue;
                    }
                    (2, "", "link") if item.is_none() && entries.is_empty() && !attrs.is_empty() => {
                        // atom:link (feedparser maps the Atom namespace to no prefix).
                        if !empty || !only_attrs(&attrs, &["href", "rel", "type"]) {
                            return None;
                        }
                        let href = attr(&attrs, "href").filter(|h| !h.is_empty())?;
                        let rel = attr(&attrs, "rel").map_or_else(|| "alternate".to_string(), str::to_lowercase);
                        let ty = match attr(&attrs, "type") {
                            Some(t) => t.to_lowercase(),
                            None if rel == "self" => "application/atom+xml".to_string(),
                            None => "text/html".to_string(),
                        };
                        let href = urljoin(base, href);
                        if rel == "alternate"
                            && matches!(ty.as_str(), "text/html" | "application/xhtml+xml" | "html" | "xhtml")
                        {
                            // An alternate HTML link replaces the feed link; keep this rare case general.
                            return None;
                        }
                        feed.links.push(Link { href, rel: non_empty(rel)?, mime_type: non_empty(ty), title: None });
                        continue;
                    }
                    (3, "", "enclosure") => {
                        let it = item.as_mut()?;
                        if !only_attrs(&attrs, &["url", "length", "type"]) {
                            return None;
                        }
                        let url = attr(&attrs, "url").filter(|u| !u.is_empty())?;
                        let ty = attr(&attrs, "type").map(str::to_lowercase).and_then(non_empty);
                        let length =
                            attr(&attrs, "length").filter(|l| !l.is_empty()).and_then(|n| n.trim().parse().ok());
                        it.entry.links.push(Link {
                            href: url.to_string(),
                            rel: "enclosure".to_string(),
                            mime_type: ty,
                            title: None,
                        });
                        it.enclosure_lengths.push(length);
                        if !empty {
                            open.push((name, None));
                        }
                        continue;
                    }
                    _ => {}
                }
                let el = text_el(prefix, local)?;
                let in_item = depth == 3 && item.is_some();
                let in_channel = depth == 2 && item.is_none() && entries.is_empty();
                if !(in_item || in_channel) {
                    return None;
                }
                if el == El::Guid {
                    if !in_item || !only_attrs(&attrs, &["ispermalink"]) {
                        return None;
                    }
                    guid_is_link = attr(&attrs, "ispermalink").unwrap_or("true") == "true";
                } else if !attrs.is_empty() {
                    return None;
                }
                if in_channel {
                    if seen_channel.contains(&el)
                        || !matches!(
                            el,
                            El::Title | El::Link | El::Description | El::Language | El::PubDate | El::LastBuildDate
                        )
                    {
                        return None;
                    }
                    seen_channel.push(el);
                } else if let Some(it) = &item {
                    // A second description before any content:encoded becomes content in
                    // feedparser; leave that to it.
                    if el == El::Description && it.description_seen {
                        return None;
                    }
                    if matches!(el, El::Language | El::LastBuildDate) {
                        return None;
                    }
                }
                if empty {
                    // No character data and no end event: end it now.
                    if in_channel {
                        channel_end(&pipe, el, &mut pieces, &mut feed)?;
                    } else {
                        item_end(&pipe, el, &mut pieces, item.as_mut()?, guid_is_link)?;
                    }
                    pieces.clear();
                } else {
                    open.push((name, Some(el)));
                }
            }
            Event::End { name } => {
                let (open_name, el) = open.pop()?;
                if open_name != name {
                    return None;
                }
                let depth = open.len();
                if depth == 0 {
                    root_done = true;
                    continue;
                }
                let Some(el) = el else {
                    if depth == 2
                        && let Some((_, local)) = classify(name, &ns)
                        && local == "item"
                    {
                        let it = item.take()?;
                        entries.push(finish_item(it));
                    }
                    continue;
                };
                if depth == 2 {
                    channel_end(&pipe, el, &mut pieces, &mut feed)?;
                } else {
                    let it = item.as_mut()?;
                    item_end(&pipe, el, &mut pieces, it, guid_is_link)?;
                }
                pieces.clear();
            }
        }
    }
    if !root_done || tok.error.is_some() || item.is_some() {
        return None;
    }
    Some((FeedVersion::Rss20, feed, entries))
}

fn channel_end(pipe: &Pipeline<'_>, el: El, pieces: &mut Vec<Cow<'_, str>>, feed: &mut FeedMeta) -> Option<()> {
    match el {
        El::Title => {
            let (v, html) = pipe.run(pieces, false, Mode::Detect);
            let t = if html {
                text(TextKind::Html, v, pipe.base, "text/html")
            } else {
                text(TextKind::Text, v, pipe.base, "text/plain")
            };
            feed.title = Some(plain(&t));
            feed.title_detail = Some(t);
        }
        El::Description => {
            let v = pipe.run(pieces, false, Mode::Html).0;
            let t = text(TextKind::Html, v, pipe.base, "text/html");
            feed.subtitle = Some(plain(&t));
            feed.subtitle_detail = Some(t);
        }
        El::Link => {
            let v = pipe.run(pieces, true, Mode::Plain).0;
            let fixed = fix_query_entities(&v);
            feed.link = non_empty(fixed.clone());
            if !fixed.is_empty() {
                feed.links.push(Link {
                    href: fixed,
                    rel: "alternate".to_string(),
                    mime_type: Some("text/html".to_string()),
                    title: None,
                });
            }
        }
        El::Language => feed.language = non_empty(pipe.value(pieces)),
        El::PubDate => feed.published = parse_date(&pipe.value(pieces)),
        El::LastBuildDate => feed.updated = parse_date(&pipe.value(pieces)),
        _ => return None,
    }
    Some(())
}

fn item_end(
    pipe: &Pipeline<'_>,
    el: El,
    pieces: &mut Vec<Cow<'_, str>>,
    it: &mut ItemState,
    guid_is_link: bool,
) -> Option<()> {
    match el {
        El::Title => {
            let (v, html) = pipe.run(pieces, false, Mode::Detect);
            if !it.title_locked {
                let locked = !v.is_empty();
                let t = if html {
                    text(TextKind::Html, v, pipe.base, "text/html")
                } else {
                    text(TextKind::Text, v, pipe.base, "text/plain")
                };
                it.entry.title = Some(plain(&t));
                it.entry.title_detail = Some(t);
                it.title_locked = locked;
            }
        }
        El::Link => {
            let v = pipe.run(pieces, true, Mode::Plain).0;
            let fixed = fix_query_entities(&v.replace("&amp;", "&"));
            // The element's own link record gets the href when it is non-empty.
            let rec = Link {
                href: fixed.clone(),
                rel: "alternate".to_string(),
                mime_type: Some("text/html".to_string()),
                title: None,
            };
            if !fixed.is_empty() {
                it.entry.links.push(rec);
            }
            it.link = Some(fixed);
        }
        El::Guid => {
            let v = pipe.run(pieces, guid_is_link, Mode::Plain).0;
            if guid_is_link && it.link.is_none() {
                it.link = Some(v.clone());
            }
            it.entry.id = non_empty(v);
        }
        El::PubDate => it.entry.published = parse_date(&pipe.value(pieces)),
        El::Creator => {
            let v = pipe.value(pieces);
            if !v.is_empty() {
                let (name, email) = split_author(&v);
                let p = Person { name: name.and_then(non_empty), email: email.and_then(non_empty), uri: None };
                if p.name.is_some() || p.email.is_some() {
                    it.entry.authors.push(p);
                }
            }
        }
        El::Category => {
            let v = pipe.value(pieces);
            // The general parser keeps the first MAX_TAGS distinct ones; so does this.
            if !v.is_empty() && it.entry.categories.len() < MAX_TAGS && it.categories.insert(v.clone()) {
                it.entry.categories.push(v);
            }
        }
        El::Description => {
            let v = pipe.run(pieces, false, Mode::Html).0;
            it.description_seen = true;
            it.entry.summary = Some(text(TextKind::Html, v, pipe.base, "text/html"));
        }
        El::ContentEncoded => {
            let v = pipe.run(pieces, false, Mode::Html).0;
            it.has_content = true;
            if it.first_content.is_none() {
                it.first_content = Some(v.clone());
            }
            it.entry.content.push(text(TextKind::Html, v, pipe.base, "text/html"));
        }
        El::Language | El::LastBuildDate => return None,
    }
    Some(())
}

fn finish_item(mut it: ItemState) -> Entry {
    if !it.description_seen
        && let Some(c) = it.first_content.take().and_then(non_empty)
    {
        // feedparser's summary copied from content has no detail record.
        it.entry.summary = Some(Text {
            kind: TextKind::Html,
            value: c,
            language: None,
            base: None,
            media_type: "text/html".to_string(),
            src: None,
        });
    }
    let _ = it.has_content;
    it.entry.link = it.link.and_then(non_empty);
    let mut lengths = it.enclosure_lengths.into_iter();
    it.entry.enclosures = it
        .entry
        .links
        .iter()
        .filter(|l| l.rel == "enclosure")
        .map(|l| Enclosure { url: l.href.clone(), mime_type: l.mime_type.clone(), length: lengths.next().flatten() })
        .collect();
    it.entry.image = it
        .entry
        .links
        .iter()
        .find(|l| l.rel == "enclosure" && l.mime_type.as_deref().is_some_and(|t| t.starts_with("image/")))
        .map(|l| l.href.clone());
    it.entry
}

#[cfg(test)]
mod tests {
    use crate::{ParseOptions, parse, parse_str};

    /// The fast path and the general parser give the same typed result (`parse_str` never takes
    /// the fast path).
    fn same(doc: &str, base: Option<&str>) {
        let opts = ParseOptions { base_url: base.map(str::to_string), ..Default::default() };
        let fast = super::parse_rss(doc, base.unwrap_or(""));
        assert!(fast.is_some(), "fast path declined: {doc}");
        let a = parse(doc.as_bytes(), &opts).unwrap();
        let b = parse_str(doc, &opts).unwrap();
        assert_eq!((a.version, &a.bozo, &a.feed, &a.entries), (b.version, &b.bozo, &b.feed, &b.entries));
    }

    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel><title>A &amp; B</title><link>/home?a=1&amp;b=2</link>
<atom:link href="/feed" rel="self" type="application/rss+xml"/>
<description>About &lt;b&gt;us&lt;/b&gt;</description><language>en-us</language>
<lastBuildDate>Sun, 03 Aug 2025 22:06:00 +0000</lastBuildDate>"#;

    #[test]
    fn fast_path_matches_general_parser() {
        let items = [
            r#"<item><title>One &lt;b&gt;bold&lt;/b&gt;</title><link>/a?x=1&amp;y=2</link>
               <guid isPermaLink="false">urn:1</guid><pubDate>Tue, 15 Jul 2025 10:58:00 +0000</pubDate>
               <dc:creator>Jo Bloggs (jo@example.com)</dc:creator><category>x</category><category>x</category>
               <category>y</category><description><![CDATA[<p><a href="/rel">r</a> caf&eacute;</p>]]></description>
               <content:encoded><![CDATA[<p>full <img src="i.png"></p>]]></content:encoded>
               <enclosure url="http://e.com/a.mp3" length=" 123 " type="Audio/MPEG"/>
               <enclosure url="http://e.com/a.jpg" type="image/jpeg"/></item>"#,
            r#"<item><guid>/perma</guid><title></title><title>Second</title><title>Third</title>
               <content:encoded>first</content:encoded><content:encoded>second</content:encoded></item>"#,
            r#"<item><link></link><guid>http://g.example/1</guid><content:encoded>c</content:encoded>
               <description>after</description><dc:creator></dc:creator><pubDate>garbage</pubDate></item>"#,
            r#"<item><title>  spaced  </title><dc:creator>a@b.com</dc:creator><description/></item>"#,
        ];
        let doc = format!("{HEAD}\n{}\n</channel>\n</rss>\n", items.join("\n"));
        same(&doc, None);
        same(&doc, Some("http://example.org/dir/feed.xml"));
    }

    #[test]
    fn fast_path_declines_what_it_does_not_know() {
        for doc in [
            "<rss version=\"2.0\"><channel><title>t</title><ttl>5</ttl></channel></rss>",
            "<rss version=\"0.91\"><channel><title>t</title></channel></rss>",
            "<rss version=\"2.0\"><channel><item><title>t</item></channel></rss>",
            "<rss version=\"2.0\" xml:lang=\"fr\"><channel/></rss>",
            "<rss version=\"2.0\"><channel><item><description>a</description><description>b</description></item></channel></rss>",
        ] {
            assert!(super::parse_rss(doc, "").is_none(), "{doc}");
        }
    }
}
