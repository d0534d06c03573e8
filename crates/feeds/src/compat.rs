//! Python feedparser's result layout, for conformance testing against its suite.

use serde_json::{Map, Value};

use crate::handler::Dict;
use crate::{FeedError, ParsedFeed};

/// Adds the keys feedparser derives on access (`category`, `enclosures`, `license`).
fn with_derived(d: &Dict) -> Value {
    let mut out = d.clone();
    if let Some(Value::Array(tags)) = d.get("tags")
        && let Some(term) = tags.first().and_then(|t| t.get("term"))
    {
        out.entry("category".to_string()).or_insert_with(|| term.clone());
    }
    if let Some(Value::Array(links)) = d.get("links") {
        let enclosures: Vec<Value> = links
            .iter()
            .filter_map(Value::as_object)
            .filter(|l| l.get("rel").and_then(Value::as_str) == Some("enclosure"))
            .map(|l| {
                let mut e = l.clone();
                e.remove("rel");
                Value::Object(e)
            })
            .collect();
        if !enclosures.is_empty() {
            out.entry("enclosures".to_string()).or_insert(Value::Array(enclosures));
        }
        if let Some(lic) = links
            .iter()
            .filter_map(Value::as_object)
            .find(|l| l.get("rel").and_then(Value::as_str) == Some("license") && l.contains_key("href"))
            && let Some(h) = lic.get("href")
        {
            out.entry("license".to_string()).or_insert_with(|| h.clone());
        }
    }
    if let Some(Value::Object(src)) = d.get("source") {
        let v = with_derived(src);
        out.insert("source".into(), v);
    }
    Value::Object(out)
}

/// Renders `feed` the way Python feedparser would: `bozo`, `encoding`, `version`, `feed`
/// (with `*_detail` records and `*_parsed` 9-item UTC tuples) and `entries`.
pub fn feedparser_view(feed: &ParsedFeed) -> Value {
    let mut top = Map::new();
    // The typed parse does not keep feedparser's records; rebuild them from the same input.
    let raw = match feed.source.reparse() {
        Ok(r) => r.raw,
        Err(e) => return error_view(&e, &feed.encoding),
    };
    top.insert("bozo".into(), Value::Bool(feed.bozo.is_some()));
    if let Some(b) = &feed.bozo {
        top.insert("bozo_exception".into(), Value::String(b.clone()));
    }
    top.insert("encoding".into(), Value::String(feed.encoding.clone()));
    top.insert("version".into(), Value::String(raw.version.clone()));
    top.insert("feed".into(), with_derived(&raw.feed));
    top.insert("entries".into(), Value::Array(raw.entries.iter().map(with_derived).collect()));
    Value::Object(top)
}

/// What feedparser returns for input it cannot read at all: an empty, bozo result.
pub fn error_view(err: &FeedError, encoding: &str) -> Value {
    serde_json::json!({
        "bozo": true,
        "bozo_exception": err.to_string(),
        "encoding": encoding,
        "version": "",
        "feed": {},
        "entries": [],
    })
}
