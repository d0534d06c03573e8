//! Builds the typed model from the feedparser-layout records, moving values out of them.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::Value;

use crate::handler::{Dict, MAX_TAGS};
use crate::text::strip_html;
use crate::{Enclosure, Entry, FeedMeta, Link, Person, Text, TextKind};

/// Takes a non-empty string value out of `d`.
fn s(d: &mut Dict, k: &str) -> Option<String> {
    match d.remove(k) {
        Some(Value::String(v)) if !v.is_empty() => Some(v),
        _ => None,
    }
}

/// A non-empty string value of `d`, borrowed.
fn sr<'d>(d: &'d Dict, k: &str) -> Option<&'d str> {
    d.get(k).and_then(Value::as_str).filter(|v| !v.is_empty())
}

fn date(d: &Dict, k: &str) -> Option<DateTime<Utc>> {
    let a = d.get(k)?.as_array()?;
    let n = |i: usize| a.get(i).and_then(Value::as_i64);
    let day =
        NaiveDate::from_ymd_opt(i32::try_from(n(0)?).ok()?, u32::try_from(n(1)?).ok()?, u32::try_from(n(2)?).ok()?)?;
    let t = day.and_hms_opt(u32::try_from(n(3)?).ok()?, u32::try_from(n(4)?).ok()?, u32::try_from(n(5)?).ok()?)?;
    Some(Utc.from_utc_datetime(&t))
}

fn take_object(d: &mut Dict, k: &str) -> Option<Dict> {
    match d.remove(k) {
        Some(Value::Object(o)) => Some(o),
        _ => None,
    }
}

fn take_objects(d: &mut Dict, k: &str) -> Vec<Dict> {
    match d.remove(k) {
        Some(Value::Array(a)) => a
            .into_iter()
            .filter_map(|v| match v {
                Value::Object(o) => Some(o),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The text construct `k`, from `{k}_detail` (`detail_key`) or the bare value.
fn text(d: &mut Dict, k: &str, detail_key: &str) -> Option<Text> {
    let mut detail = take_object(d, detail_key);
    let value = match detail.as_mut().and_then(|x| x.remove("value")) {
        Some(Value::String(v)) => v,
        _ => s(d, k)?,
    };
    Some(text_from(detail, value))
}

fn opt_string(d: &mut Dict, k: &str) -> Option<String> {
    match d.remove(k) {
        Some(Value::String(v)) => Some(v),
        _ => None,
    }
}

fn text_from(detail: Option<Dict>, value: String) -> Text {
    let Some(mut detail) = detail else {
        return Text {
            kind: TextKind::Html,
            value,
            language: None,
            base: None,
            media_type: "text/html".to_string(),
            src: None,
        };
    };
    let media_type = opt_string(&mut detail, "type").unwrap_or_else(|| "text/html".to_string());
    let kind = match media_type.as_str() {
        "text/plain" => TextKind::Text,
        "application/xhtml+xml" => TextKind::Xhtml,
        _ => TextKind::Html,
    };
    Text {
        kind,
        value,
        language: opt_string(&mut detail, "language"),
        base: opt_string(&mut detail, "base").filter(|b| !b.is_empty()),
        media_type,
        src: opt_string(&mut detail, "src"),
    }
}

/// Plain-text rendering of a text construct.
fn plain(t: &Text) -> String {
    match t.kind {
        TextKind::Text => t.value.clone(),
        _ => strip_html(&t.value),
    }
}

fn person(mut p: Dict) -> Person {
    Person { name: s(&mut p, "name"), email: s(&mut p, "email"), uri: s(&mut p, "href") }
}

fn people(d: &mut Dict, k: &str) -> Vec<Person> {
    take_objects(d, k)
        .into_iter()
        .map(person)
        .filter(|p| p.name.is_some() || p.email.is_some() || p.uri.is_some())
        .collect()
}

fn authors(d: &mut Dict) -> Vec<Person> {
    let mut authors = people(d, "authors");
    if authors.is_empty()
        && let Some(a) = take_object(d, "author_detail")
    {
        let p = person(a);
        if p != Person::default() {
            authors.push(p);
        }
    }
    authors
}

fn categories(d: &mut Dict) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // A set for the duplicate check: a list scan per tag is quadratic in a hostile feed's tags.
    let mut seen: HashSet<String> = HashSet::new();
    for mut t in take_objects(d, "tags") {
        if out.len() >= MAX_TAGS {
            break;
        }
        if let Some(term) = s(&mut t, "term").or_else(|| s(&mut t, "label"))
            && seen.insert(term.clone())
        {
            out.push(term);
        }
    }
    out
}

/// All links, plus the length of each enclosure link (in order).
fn links(d: &mut Dict) -> (Vec<Link>, Vec<Option<u64>>) {
    let mut out = Vec::new();
    let mut lengths = Vec::new();
    for mut l in take_objects(d, "links") {
        let Some(href) = s(&mut l, "href") else { continue };
        let rel = s(&mut l, "rel").unwrap_or_else(|| "alternate".into());
        if rel == "enclosure" {
            lengths.push(sr(&l, "length").and_then(|n| n.trim().parse().ok()));
        }
        out.push(Link { href, rel, mime_type: s(&mut l, "type"), title: s(&mut l, "title") });
    }
    (out, lengths)
}

pub(crate) fn feed_meta(d: &mut Dict) -> FeedMeta {
    let title_detail = text(d, "title", "title_detail");
    let subtitle_detail = text(d, "subtitle", "subtitle_detail");
    let image = take_object(d, "image")
        .and_then(|mut i| s(&mut i, "href").or_else(|| s(&mut i, "url")))
        .or_else(|| s(d, "logo"));
    let authors = authors(d);
    let rights = text(d, "rights", "rights_detail").as_ref().map(plain);
    FeedMeta {
        title: title_detail.as_ref().map(plain),
        link: s(d, "link"),
        subtitle: subtitle_detail.as_ref().map(plain),
        language: s(d, "language"),
        updated: date(d, "updated_parsed"),
        image,
        authors,
        categories: categories(d),
        id: s(d, "id"),
        rights,
        generator: s(d, "generator"),
        icon: s(d, "icon"),
        links: links(d).0,
        title_detail,
        subtitle_detail,
        published: date(d, "published_parsed"),
        ttl: sr(d, "ttl").and_then(|t| t.trim().parse().ok()),
    }
}

fn is_image(m: &Dict) -> bool {
    sr(m, "medium") == Some("image") || sr(m, "type").is_some_and(|t| t.starts_with("image/"))
}

pub(crate) fn entry(mut d: Dict) -> Entry {
    let d = &mut d;
    let title_detail = text(d, "title", "title_detail");
    let summary = text(d, "summary", "summary_detail");
    let content: Vec<Text> = take_objects(d, "content")
        .into_iter()
        .map(|mut c| {
            let v = match c.remove("value") {
                Some(Value::String(v)) => v,
                _ => String::new(),
            };
            text_from(Some(c), v)
        })
        .collect();
    let (all_links, lengths) = links(d);
    let mut enclosures: Vec<Enclosure> = all_links
        .iter()
        .filter(|l| l.rel == "enclosure")
        .zip(lengths.into_iter().chain(std::iter::repeat(None)))
        .map(|(l, length)| Enclosure { url: l.href.clone(), mime_type: l.mime_type.clone(), length })
        .collect();
    let media_content = take_objects(d, "media_content");
    // A set for the duplicate check, as an item may carry any number of links and media.
    let mut enclosure_urls: HashSet<String> = enclosures.iter().map(|e| e.url.clone()).collect();
    for m in &media_content {
        if let Some(url) = sr(m, "url")
            && !is_image(m)
            && enclosure_urls.insert(url.to_string())
        {
            enclosures.push(Enclosure {
                url: url.to_string(),
                mime_type: sr(m, "type").map(str::to_string),
                length: sr(m, "filesize").and_then(|n| n.trim().parse().ok()),
            });
        }
    }
    let image = take_objects(d, "media_thumbnail")
        .into_iter()
        .find_map(|m| sr(&m, "url").or_else(|| sr(&m, "href")).map(str::to_string))
        .or_else(|| media_content.iter().filter(|m| is_image(m)).find_map(|m| sr(m, "url")).map(str::to_string))
        .or_else(|| take_object(d, "image").and_then(|mut i| s(&mut i, "href")))
        .or_else(|| {
            all_links
                .iter()
                .find(|l| l.rel == "enclosure" && l.mime_type.as_deref().is_some_and(|t| t.starts_with("image/")))
                .map(|l| l.href.clone())
        });
    let authors = authors(d);
    let language = title_detail
        .as_ref()
        .and_then(|t| t.language.clone())
        .or_else(|| summary.as_ref().and_then(|t| t.language.clone()))
        .or_else(|| content.first().and_then(|t| t.language.clone()))
        .or_else(|| s(d, "language"));
    let rights = text(d, "rights", "rights_detail").as_ref().map(plain);
    Entry {
        id: s(d, "id"),
        title: title_detail.as_ref().map(plain),
        link: s(d, "link"),
        summary,
        content,
        published: date(d, "published_parsed"),
        updated: date(d, "updated_parsed"),
        authors,
        categories: categories(d),
        enclosures,
        image,
        language,
        links: all_links,
        title_detail,
        comments: s(d, "comments"),
        contributors: people(d, "contributors"),
        rights,
    }
}
