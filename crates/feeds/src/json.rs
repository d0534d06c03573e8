//! JSON Feed 1.0 / 1.1, mapped onto the same records as the XML formats.

use serde_json::Value;

use crate::dates::{parse_date, time_tuple};
use crate::handler::Dict;
use crate::urls::urljoin;
use crate::{FeedError, ParseOptions, Raw, RawResult};

fn str_of(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn detail(ctype: &str, value: &str, base: &str) -> Value {
    serde_json::json!({ "type": ctype, "language": Value::Null, "base": base, "value": value })
}

fn put_date(d: &mut Dict, key: &str, raw: Option<String>) {
    if let Some(r) = raw {
        let parsed = parse_date(&r).map_or(Value::Null, |t| Value::from(time_tuple(&t).to_vec()));
        d.insert(key.to_string(), Value::String(r));
        d.insert(format!("{key}_parsed"), parsed);
    }
}

fn people(v: &Value) -> Vec<Value> {
    let mut list: Vec<&Value> = Vec::new();
    if let Some(Value::Array(a)) = v.get("authors") {
        list.extend(a.iter());
    } else if let Some(a) = v.get("author").filter(|a| a.is_object()) {
        list.push(a);
    }
    list.into_iter()
        .map(|a| {
            let mut p = Dict::new();
            if let Some(n) = str_of(a, "name") {
                p.insert("name".into(), Value::String(n));
            }
            if let Some(u) = str_of(a, "url") {
                p.insert("href".into(), Value::String(u));
            }
            if let Some(u) = str_of(a, "avatar") {
                p.insert("image".into(), Value::String(u));
            }
            Value::Object(p)
        })
        .collect()
}

fn set_authors(d: &mut Dict, v: &Value) {
    let authors = people(v);
    if let Some(Value::Object(first)) = authors.first() {
        if let Some(n) = first.get("name").and_then(Value::as_str) {
            d.insert("author".into(), Value::String(n.to_string()));
        }
        d.insert("author_detail".into(), Value::Object(first.clone()));
    }
    if !authors.is_empty() {
        d.insert("authors".into(), Value::Array(authors));
    }
}

fn link(href: &str, rel: &str, ctype: &str) -> Value {
    serde_json::json!({ "href": href, "rel": rel, "type": ctype })
}

pub(crate) fn parse(
    text: &str,
    opts: &ParseOptions,
    encoding: String,
    bozo: Option<String>,
) -> Result<RawResult, FeedError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| FeedError::Json(e.to_string()))?;
    if !doc.is_object() {
        return Err(FeedError::Json("the top level is not an object".into()));
    }
    // Content-Location may be relative to the URL fetched, as for XML feeds.
    let base = crate::base_of(opts);
    let version = match doc.get("version").and_then(Value::as_str) {
        Some(v) if v.trim_end_matches('/').ends_with("version/1.1") => "json11",
        Some(v) if v.trim_end_matches('/').ends_with("version/1") => "json1",
        _ => "",
    };
    let mut feed = Dict::new();
    if let Some(t) = str_of(&doc, "title") {
        feed.insert("title_detail".into(), detail("text/plain", &t, &base));
        feed.insert("title".into(), Value::String(t));
    }
    if let Some(u) = str_of(&doc, "home_page_url") {
        let u = urljoin(&base, &u);
        feed.insert("links".into(), Value::Array(vec![link(&u, "alternate", "text/html")]));
        feed.insert("link".into(), Value::String(u));
    }
    if let Some(u) = str_of(&doc, "feed_url") {
        let u = urljoin(&base, &u);
        let l = link(&u, "self", "application/feed+json");
        match feed.get_mut("links") {
            Some(Value::Array(a)) => a.push(l),
            _ => {
                feed.insert("links".into(), Value::Array(vec![l]));
            }
        }
    }
    if let Some(t) = str_of(&doc, "description") {
        feed.insert("subtitle_detail".into(), detail("text/plain", &t, &base));
        feed.insert("subtitle".into(), Value::String(t));
    }
    if let Some(i) = str_of(&doc, "icon").or_else(|| str_of(&doc, "favicon")) {
        feed.insert("image".into(), serde_json::json!({ "href": urljoin(&base, &i) }));
    }
    if let Some(i) = str_of(&doc, "favicon") {
        feed.insert("icon".into(), Value::String(urljoin(&base, &i)));
    }
    if let Some(l) = str_of(&doc, "language") {
        feed.insert("language".into(), Value::String(l));
    }
    set_authors(&mut feed, &doc);

    let mut entries = Vec::new();
    for item in doc.get("items").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
        if !item.is_object() {
            continue;
        }
        let mut e = Dict::new();
        if let Some(id) =
            item.get("id").and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_number().map(|n| n.to_string())))
        {
            e.insert("id".into(), Value::String(id));
        }
        if let Some(t) = str_of(item, "title") {
            e.insert("title_detail".into(), detail("text/plain", &t, &base));
            e.insert("title".into(), Value::String(t));
        }
        let mut links = Vec::new();
        if let Some(u) = str_of(item, "url") {
            let u = urljoin(&base, &u);
            links.push(link(&u, "alternate", "text/html"));
            e.insert("link".into(), Value::String(u));
        }
        if let Some(u) = str_of(item, "external_url") {
            links.push(link(&urljoin(&base, &u), "related", "text/html"));
        }
        let mut content = Vec::new();
        if let Some(h) = str_of(item, "content_html") {
            content.push(detail("text/html", &h, &base));
        }
        if let Some(t) = str_of(item, "content_text") {
            content.push(detail("text/plain", &t, &base));
        }
        if let Some(s) = str_of(item, "summary") {
            e.insert("summary_detail".into(), detail("text/plain", &s, &base));
            e.insert("summary".into(), Value::String(s));
        } else if let Some(Value::Object(first)) = content.first()
            && let Some(v) = first.get("value")
        {
            e.insert("summary".into(), v.clone());
            e.insert("summary_detail".into(), Value::Object(first.clone()));
        }
        if !content.is_empty() {
            e.insert("content".into(), Value::Array(content));
        }
        if let Some(i) = str_of(item, "image").or_else(|| str_of(item, "banner_image")) {
            e.insert("image".into(), serde_json::json!({ "href": urljoin(&base, &i) }));
        }
        put_date(&mut e, "published", str_of(item, "date_published"));
        put_date(&mut e, "updated", str_of(item, "date_modified"));
        set_authors(&mut e, item);
        if let Some(Value::Array(tags)) = item.get("tags") {
            let t: Vec<Value> = tags
                .iter()
                .filter_map(Value::as_str)
                .map(|t| serde_json::json!({ "term": t, "scheme": Value::Null, "label": Value::Null }))
                .collect();
            e.insert("tags".into(), Value::Array(t));
        }
        if let Some(l) = str_of(item, "language") {
            e.insert("language".into(), Value::String(l));
        }
        for a in item.get("attachments").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
            let Some(u) = str_of(a, "url") else { continue };
            let mut l = Dict::new();
            l.insert("href".into(), Value::String(urljoin(&base, &u)));
            l.insert("rel".into(), Value::String("enclosure".into()));
            if let Some(t) = str_of(a, "mime_type") {
                l.insert("type".into(), Value::String(t));
            }
            if let Some(n) = a.get("size_in_bytes").and_then(Value::as_u64) {
                l.insert("length".into(), Value::String(n.to_string()));
            }
            if let Some(t) = str_of(a, "title") {
                l.insert("title".into(), Value::String(t));
            }
            links.push(Value::Object(l));
        }
        if !links.is_empty() {
            e.insert("links".into(), Value::Array(links));
        }
        entries.push(e);
    }
    let raw = Raw { feed, entries, version: version.to_string() };
    Ok(RawResult { raw, encoding, bozo })
}
