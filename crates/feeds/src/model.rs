//! Builds the typed model from the feedparser-layout records.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::Value;

use crate::handler::Dict;
use crate::text::strip_html;
use crate::{Enclosure, Entry, FeedMeta, Link, Person, Text, TextKind};

fn s(d: &Dict, k: &str) -> Option<String> {
    d.get(k).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_string)
}

fn date(d: &Dict, k: &str) -> Option<DateTime<Utc>> {
    let a = d.get(k)?.as_array()?;
    let n = |i: usize| a.get(i).and_then(Value::as_i64);
    let day =
        NaiveDate::from_ymd_opt(i32::try_from(n(0)?).ok()?, u32::try_from(n(1)?).ok()?, u32::try_from(n(2)?).ok()?)?;
    let t = day.and_hms_opt(u32::try_from(n(3)?).ok()?, u32::try_from(n(4)?).ok()?, u32::try_from(n(5)?).ok()?)?;
    Some(Utc.from_utc_datetime(&t))
}

fn text(d: &Dict, k: &str) -> Option<Text> {
    let detail = d.get(&format!("{k}_detail")).and_then(Value::as_object);
    let value = detail.and_then(|x| x.get("value")).and_then(Value::as_str).map(str::to_string).or_else(|| s(d, k))?;
    Some(text_from(detail, value))
}

fn text_from(detail: Option<&Dict>, value: String) -> Text {
    let media_type = detail.and_then(|x| x.get("type")).and_then(Value::as_str).unwrap_or("text/html").to_string();
    let kind = match media_type.as_str() {
        "text/plain" => TextKind::Text,
        "application/xhtml+xml" => TextKind::Xhtml,
        _ => TextKind::Html,
    };
    Text {
        kind,
        value,
        language: detail.and_then(|x| x.get("language")).and_then(Value::as_str).map(str::to_string),
        base: detail.and_then(|x| x.get("base")).and_then(Value::as_str).filter(|b| !b.is_empty()).map(str::to_string),
        media_type,
        src: detail.and_then(|x| x.get("src")).and_then(Value::as_str).map(str::to_string),
    }
}

/// Plain-text rendering of a text construct.
fn plain(t: &Text) -> String {
    match t.kind {
        TextKind::Text => t.value.clone(),
        _ => strip_html(&t.value),
    }
}

fn people(d: &Dict, k: &str) -> Vec<Person> {
    let Some(list) = d.get(k).and_then(Value::as_array) else { return Vec::new() };
    list.iter()
        .filter_map(Value::as_object)
        .map(|p| Person { name: s(p, "name"), email: s(p, "email"), uri: s(p, "href") })
        .filter(|p| p.name.is_some() || p.email.is_some() || p.uri.is_some())
        .collect()
}

fn categories(d: &Dict) -> Vec<String> {
    let Some(tags) = d.get("tags").and_then(Value::as_array) else { return Vec::new() };
    let mut out: Vec<String> = Vec::new();
    for t in tags.iter().filter_map(Value::as_object) {
        if let Some(term) = s(t, "term").or_else(|| s(t, "label"))
            && !out.contains(&term)
        {
            out.push(term);
        }
    }
    out
}

fn links(d: &Dict) -> Vec<Link> {
    let Some(list) = d.get("links").and_then(Value::as_array) else { return Vec::new() };
    list.iter()
        .filter_map(Value::as_object)
        .filter_map(|l| {
            Some(Link {
                href: s(l, "href")?,
                rel: s(l, "rel").unwrap_or_else(|| "alternate".into()),
                mime_type: s(l, "type"),
                title: s(l, "title"),
            })
        })
        .collect()
}

pub(crate) fn feed_meta(d: &Dict) -> FeedMeta {
    let title_detail = text(d, "title");
    let subtitle_detail = text(d, "subtitle");
    let image = d
        .get("image")
        .and_then(Value::as_object)
        .and_then(|i| s(i, "href").or_else(|| s(i, "url")))
        .or_else(|| s(d, "logo"));
    let mut authors = people(d, "authors");
    if authors.is_empty()
        && let Some(a) = d.get("author_detail").and_then(Value::as_object)
    {
        let p = Person { name: s(a, "name"), email: s(a, "email"), uri: s(a, "href") };
        if p != Person::default() {
            authors.push(p);
        }
    }
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
        rights: text(d, "rights").as_ref().map(plain),
        generator: s(d, "generator"),
        icon: s(d, "icon"),
        links: links(d),
        title_detail,
        subtitle_detail,
        published: date(d, "published_parsed"),
        ttl: s(d, "ttl").and_then(|t| t.trim().parse().ok()),
    }
}

fn is_image(m: &Dict) -> bool {
    let medium = s(m, "medium");
    let ty = s(m, "type");
    medium.as_deref() == Some("image") || ty.as_deref().is_some_and(|t| t.starts_with("image/"))
}

pub(crate) fn entry(d: &Dict) -> Entry {
    let title_detail = text(d, "title");
    let summary = text(d, "summary");
    let content: Vec<Text> = d
        .get("content")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_object)
                .map(|c| text_from(Some(c), c.get("value").and_then(Value::as_str).unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    let all_links = links(d);
    let enclosures = all_links
        .iter()
        .filter(|l| l.rel == "enclosure")
        .map(|l| Enclosure { url: l.href.clone(), mime_type: l.mime_type.clone(), length: None })
        .collect::<Vec<_>>();
    // Lengths live on the raw link records; pick them up in order.
    let lengths: Vec<Option<u64>> = d
        .get("links")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_object)
                .filter(|l| s(l, "rel").as_deref() == Some("enclosure") && s(l, "href").is_some())
                .map(|l| s(l, "length").and_then(|n| n.trim().parse().ok()))
                .collect()
        })
        .unwrap_or_default();
    let enclosures =
        enclosures.into_iter().zip(lengths.into_iter().chain(std::iter::repeat(None))).map(|(mut e, l)| {
            e.length = l;
            e
        });
    let mut enclosures: Vec<Enclosure> = enclosures.collect();
    let media = |k: &str| -> Vec<&Dict> {
        d.get(k).and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_object).collect()).unwrap_or_default()
    };
    for m in media("media_content") {
        if let Some(url) = s(m, "url")
            && !enclosures.iter().any(|e| e.url == url)
            && !is_image(m)
        {
            enclosures.push(Enclosure {
                url,
                mime_type: s(m, "type"),
                length: s(m, "filesize").and_then(|n| n.trim().parse().ok()),
            });
        }
    }
    let image = media("media_thumbnail")
        .into_iter()
        .find_map(|m| s(m, "url").or_else(|| s(m, "href")))
        .or_else(|| media("media_content").into_iter().filter(|m| is_image(m)).find_map(|m| s(m, "url")))
        .or_else(|| d.get("image").and_then(Value::as_object).and_then(|i| s(i, "href")))
        .or_else(|| {
            all_links
                .iter()
                .find(|l| l.rel == "enclosure" && l.mime_type.as_deref().is_some_and(|t| t.starts_with("image/")))
                .map(|l| l.href.clone())
        });
    let mut authors = people(d, "authors");
    if authors.is_empty()
        && let Some(a) = d.get("author_detail").and_then(Value::as_object)
    {
        let p = Person { name: s(a, "name"), email: s(a, "email"), uri: s(a, "href") };
        if p != Person::default() {
            authors.push(p);
        }
    }
    let language = title_detail
        .as_ref()
        .and_then(|t| t.language.clone())
        .or_else(|| summary.as_ref().and_then(|t| t.language.clone()))
        .or_else(|| content.first().and_then(|t| t.language.clone()))
        .or_else(|| s(d, "language"));
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
        rights: text(d, "rights").as_ref().map(plain),
    }
}
