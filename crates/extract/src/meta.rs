//! Metadata from every place a page states it, reconciled by a fixed preference: the page's structured
//! data (JSON-LD) first, then OpenGraph / article:*, then Twitter cards and other `<meta>`, then
//! microdata and `<time>`, then what is visible (h1, bylines). Structured data is preferred because it is
//! written for machines and rarely carries the site-name suffixes and "By" prefixes of visible text.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;
use url::Url;

use crate::dom::Dom;
use crate::text::collapse;

#[derive(Default, Debug)]
pub struct Meta {
    pub title: Option<String>,
    pub authors: Vec<String>,
    pub published: Option<DateTime<Utc>>,
    pub modified: Option<DateTime<Utc>>,
    pub site_name: Option<String>,
    pub canonical_url: Option<String>,
    pub lead_image: Option<String>,
    pub language: Option<String>,
    pub description: Option<String>,
    pub base_href: Option<String>,
    /// JSON-LD `articleBody`, used to find (or stand in for) the body.
    pub article_body: Option<String>,
}

#[derive(Default)]
struct Sources {
    ld_headline: Option<String>,
    ld_authors: Vec<String>,
    ld_published: Option<String>,
    ld_modified: Option<String>,
    ld_publisher: Option<String>,
    ld_image: Option<String>,
    ld_description: Option<String>,
    ld_language: Option<String>,
    ld_url: Option<String>,
    ld_body: Option<String>,
    metas: Vec<(String, String)>,
    canonical: Option<String>,
    html_lang: Option<String>,
    h1: Option<String>,
    micro_authors: Vec<String>,
    micro_published: Option<String>,
    micro_modified: Option<String>,
    time_datetime: Option<String>,
    rel_authors: Vec<String>,
}

impl Sources {
    fn meta(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| {
            self.metas.iter().find(|(name, v)| name == k && !v.trim().is_empty()).map(|(_, v)| collapse(v))
        })
    }

    fn metas_all(&self, key: &str) -> Vec<String> {
        self.metas.iter().filter(|(name, v)| name == key && !v.trim().is_empty()).map(|(_, v)| collapse(v)).collect()
    }
}

pub fn collect(dom: &Dom, base: Option<&Url>) -> Meta {
    let mut s = Sources::default();
    for block in &dom.json_ld {
        if let Ok(v) = serde_json::from_str::<Value>(block.trim()) {
            read_json_ld(&v, &mut s);
        }
    }
    let mut base_href = None;
    let nodes = &dom.nodes;
    let mut i = 0;
    while i < nodes.len() {
        let n = &nodes[i];
        match n.tag_str() {
            "html" if s.html_lang.is_none() => {
                s.html_lang = n.attr("lang").or_else(|| n.attr("xml:lang")).map(str::to_owned);
            }
            "meta" => {
                let key = n
                    .attr("property")
                    .or_else(|| n.attr("name"))
                    .or_else(|| n.attr("itemprop"))
                    .or_else(|| n.attr("http-equiv"));
                if let (Some(k), Some(v)) = (key, n.attr("content")) {
                    s.metas.push((k.trim().to_ascii_lowercase(), v.to_owned()));
                }
            }
            "link" if s.canonical.is_none() => {
                if let (Some(rel), Some(href)) = (n.attr("rel"), n.attr("href"))
                    && rel.eq_ignore_ascii_case("canonical")
                {
                    s.canonical = Some(href.trim().to_owned());
                }
            }
            "base" if base_href.is_none() => {
                base_href = n.attr("href").map(|h| h.trim().to_owned());
            }
            "h1" if s.h1.is_none() => {
                let t = collapse(&text_of(dom, i));
                if !t.is_empty() {
                    s.h1 = Some(t);
                }
            }
            "time" if s.time_datetime.is_none() => {
                s.time_datetime = n.attr("datetime").map(str::to_owned);
            }
            "a" if n.attr("rel").is_some_and(|r| r.split_whitespace().any(|t| t == "author")) => {
                let t = collapse(&text_of(dom, i));
                if plausible_name(&t) {
                    s.rel_authors.push(t);
                }
            }
            _ => {}
        }
        if let Some(prop) = n.attr("itemprop") {
            let value = || {
                n.attr("content")
                    .or_else(|| n.attr("datetime"))
                    .map(str::to_owned)
                    .unwrap_or_else(|| collapse(&text_of(dom, i)))
            };
            match prop {
                "author" | "creator" if !n.is("meta") => {
                    // An author microdata item holds its name in a child itemprop=name.
                    let name = (i + 1..(n.end as usize).min(i + 200))
                        .find(|&j| nodes[j].attr("itemprop") == Some("name"))
                        .map(|j| {
                            nodes[j].attr("content").map(str::to_owned).unwrap_or_else(|| collapse(&text_of(dom, j)))
                        })
                        .unwrap_or_else(value);
                    let name = clean_byline(&name);
                    if plausible_name(&name) {
                        s.micro_authors.push(name);
                    }
                }
                "datePublished" if s.micro_published.is_none() => {
                    s.micro_published = Some(value());
                }
                "dateModified" if s.micro_modified.is_none() => {
                    s.micro_modified = Some(value());
                }
                _ => {}
            }
        }
        i += 1;
    }

    let page_url = base;
    // `<base href>` re-bases every relative URL of the page, metadata included.
    let based = base_href.as_deref().and_then(|h| match base {
        Some(b) => b.join(h).ok(),
        None => Url::parse(h).ok(),
    });
    let base = based.as_ref().or(base);
    let abs = |u: &str| -> String {
        let u = u.trim();
        match base {
            Some(b) => b.join(u).map(|x| x.to_string()).unwrap_or_else(|_| u.to_owned()),
            None => u.to_owned(),
        }
    };

    let site_name = s
        .meta(&["og:site_name", "application-name", "twitter:site"])
        .or(s.ld_publisher.clone())
        .map(|x| x.trim_start_matches('@').to_owned());
    let title = s
        .ld_headline
        .clone()
        .or_else(|| s.meta(&["og:title", "twitter:title", "dc.title", "title"]))
        .or_else(|| s.h1.clone())
        .or_else(|| dom.title.as_deref().map(collapse))
        .map(|t| strip_site_suffix(&t, site_name.as_deref()))
        .filter(|t| !t.is_empty());

    let mut authors: Vec<String> = Vec::new();
    let candidates = if !s.ld_authors.is_empty() {
        s.ld_authors.clone()
    } else {
        let mut v = s.metas_all("author");
        v.extend(s.metas_all("article:author"));
        v.extend(s.metas_all("parsely-author"));
        v.extend(s.metas_all("sailthru.author"));
        v.extend(s.metas_all("dc.creator"));
        v.extend(s.metas_all("byl"));
        if v.iter().all(|a| !plausible_name(&clean_byline(a))) {
            v = s.micro_authors.clone();
        }
        if v.is_empty() {
            v = s.rel_authors.clone();
        }
        v
    };
    for a in candidates {
        for name in split_names(&clean_byline(&a)) {
            if plausible_name(&name) && !authors.iter().any(|x| x.eq_ignore_ascii_case(&name)) {
                authors.push(name);
            }
        }
    }

    let published = [
        s.ld_published.clone(),
        s.meta(&[
            "article:published_time",
            "og:article:published_time",
            "datepublished",
            "publishdate",
            "pubdate",
            "date",
            "dc.date",
            "dc.date.issued",
            "dcterms.created",
            "sailthru.date",
            "parsely-pub-date",
            "article.published",
        ]),
        s.micro_published.clone(),
        s.time_datetime.clone(),
    ]
    .into_iter()
    .flatten()
    .find_map(|d| parse_date(&d));
    let modified = [
        s.ld_modified.clone(),
        s.meta(&[
            "article:modified_time",
            "og:updated_time",
            "datemodified",
            "last-modified",
            "dcterms.modified",
            "article.updated",
        ]),
        s.micro_modified.clone(),
    ]
    .into_iter()
    .flatten()
    .find_map(|d| parse_date(&d))
    // A modification before publication is a page error; the publication time is the better answer.
    .filter(|m| published.is_none_or(|p| *m >= p));

    let canonical_url = s
        .canonical
        .clone()
        .or_else(|| s.meta(&["og:url"]))
        .or(s.ld_url.clone())
        .map(|u| abs(&u))
        .filter(|u| u.starts_with("http"))
        .or_else(|| page_url.map(|b| b.to_string()));
    let lead_image = s
        .meta(&["og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"])
        .or(s.ld_image.clone())
        .map(|u| abs(&u));
    let language = s
        .html_lang
        .clone()
        .or_else(|| s.meta(&["content-language", "dc.language", "language"]))
        .or(s.ld_language.clone())
        .or_else(|| s.meta(&["og:locale"]).map(|l| l.replace('_', "-")))
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty());
    let description = s
        .meta(&["og:description", "description", "twitter:description", "dc.description"])
        .or(s.ld_description.clone());

    Meta {
        title,
        authors,
        published,
        modified,
        site_name,
        canonical_url,
        lead_image,
        language,
        description,
        base_href,
        article_body: s.ld_body,
    }
}

/// Concatenated text of a subtree (no separators: for short inline things like headings and names).
pub fn text_of(dom: &Dom, i: usize) -> String {
    let mut out = String::new();
    // Bounded: callers want short things, and a hostile page may nest thousands of empty elements.
    let end = (dom.nodes[i].end as usize).min(i + 2000);
    for n in &dom.nodes[i..end] {
        if n.tag.is_none() {
            out.push_str(&n.text);
            if out.len() > 4096 {
                break;
            }
        }
    }
    out
}

const ARTICLE_TYPES: &[&str] = &[
    "NewsArticle",
    "Article",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "ReviewNewsArticle",
    "BackgroundNewsArticle",
    "AskPublicNewsArticle",
    "BlogPosting",
    "LiveBlogPosting",
    "SocialMediaPosting",
    "Report",
    "ScholarlyArticle",
    "TechArticle",
    "Review",
];

fn types_of(v: &Value) -> Vec<&str> {
    match v.get("@type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Walks JSON-LD with an explicit stack (no recursion: the JSON is page-controlled) and reads the first
/// article-typed object, then fills gaps from a `WebPage`.
fn read_json_ld(root: &Value, s: &mut Sources) {
    let mut stack = vec![root];
    let mut article: Option<&Value> = None;
    let mut page: Option<&Value> = None;
    let mut budget = 10_000;
    while let Some(v) = stack.pop() {
        budget -= 1;
        if budget == 0 {
            break;
        }
        match v {
            Value::Array(a) => stack.extend(a.iter().rev()),
            Value::Object(o) => {
                let types = types_of(v);
                if article.is_none() && types.iter().any(|t| ARTICLE_TYPES.contains(t)) {
                    article = Some(v);
                } else if page.is_none() && types.iter().any(|t| t.ends_with("WebPage")) {
                    page = Some(v);
                }
                if let Some(g) = o.get("@graph") {
                    stack.push(g);
                }
                if let Some(m) = o.get("mainEntity") {
                    stack.push(m);
                }
            }
            _ => {}
        }
    }
    for obj in [article, page].into_iter().flatten() {
        let str_of = |key: &str| -> Option<String> {
            match obj.get(key)? {
                Value::String(x) => Some(collapse(x)).filter(|x| !x.is_empty()),
                Value::Array(a) => a.iter().find_map(Value::as_str).map(collapse),
                Value::Object(o) => o
                    .get("url")
                    .or_else(|| o.get("name"))
                    .or_else(|| o.get("@id"))
                    .and_then(Value::as_str)
                    .map(collapse),
                _ => None,
            }
        };
        fill(&mut s.ld_headline, str_of("headline").or_else(|| str_of("name")));
        fill(&mut s.ld_published, str_of("datePublished").or_else(|| str_of("dateCreated")));
        fill(&mut s.ld_modified, str_of("dateModified"));
        fill(&mut s.ld_description, str_of("description"));
        fill(&mut s.ld_language, str_of("inLanguage"));
        fill(&mut s.ld_url, str_of("url"));
        fill(&mut s.ld_image, image_of(obj.get("image")).or_else(|| image_of(obj.get("thumbnailUrl"))));
        if s.ld_publisher.is_none() {
            s.ld_publisher = obj
                .get("publisher")
                .and_then(|p| match p {
                    Value::Array(a) => a.first(),
                    x => Some(x),
                })
                .and_then(|p| p.get("name"))
                .and_then(Value::as_str)
                .map(collapse);
        }
        if s.ld_authors.is_empty() {
            let list: Vec<&Value> = match obj.get("author").or_else(|| obj.get("creator")) {
                Some(Value::Array(a)) => a.iter().collect(),
                Some(x) => vec![x],
                None => Vec::new(),
            };
            for a in list {
                let name = match a {
                    Value::String(x) => Some(x.as_str()),
                    Value::Object(o) => o.get("name").and_then(Value::as_str),
                    _ => None,
                };
                if let Some(n) = name {
                    let n = collapse(n);
                    if !n.starts_with("http") && !n.is_empty() {
                        s.ld_authors.push(n);
                    }
                }
            }
        }
        if s.ld_body.is_none() && article.is_some_and(|a| std::ptr::eq(a, obj)) {
            s.ld_body = obj.get("articleBody").and_then(Value::as_str).map(str::to_owned).filter(|b| b.len() > 200);
        }
    }
}

fn fill(slot: &mut Option<String>, v: Option<String>) {
    if slot.is_none() {
        *slot = v;
    }
}

fn image_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.iter().find_map(|x| image_of(Some(x))),
        Value::Object(o) => o.get("url").or_else(|| o.get("contentUrl")).and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// "By Jane Doe, Staff Writer" → "Jane Doe".
pub fn clean_byline(s: &str) -> String {
    let mut t = collapse(s);
    for prefix in ["by ", "By ", "BY ", "Von ", "von ", "Par ", "par ", "Por ", "por ", "Di ", "Door "] {
        if let Some(rest) = t.strip_prefix(prefix) {
            t = rest.to_owned();
        }
    }
    for sep in [" | ", " - ", " — ", ", Staff", ", staff", " Updated", " Published", " on "] {
        if let Some((head, _)) = t.split_once(sep) {
            t = head.to_owned();
        }
    }
    t.trim_matches(|c: char| c.is_whitespace() || c == ',' || c == ':' || c == '|').to_owned()
}

fn split_names(s: &str) -> Vec<String> {
    s.split([',', ';', '&'])
        .flat_map(|p| p.split(" and "))
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

pub fn plausible_name(s: &str) -> bool {
    let words = s.split_whitespace().count();
    !s.is_empty()
        && s.chars().count() <= 60
        && words <= 6
        && !s.contains("://")
        && !s.contains('@')
        && s.chars().any(char::is_alphabetic)
}

/// Removes "| Site Name" / "- Site Name" suffixes that `<title>` and `og:title` often carry.
fn strip_site_suffix(t: &str, site: Option<&str>) -> String {
    let t = collapse(t);
    for sep in [" | ", " - ", " – ", " — ", " :: ", " · "] {
        if let Some(pos) = t.rfind(sep) {
            let tail = &t[pos + sep.len()..];
            let is_site = site.is_some_and(|s| {
                let s = s.to_lowercase();
                let tl = tail.to_lowercase();
                tl.contains(&s) || s.contains(&tl)
            });
            if is_site || (tail.split_whitespace().count() <= 3 && pos > 20 && sep != " - ") {
                return t[..pos].trim().to_owned();
            }
        }
    }
    t
}

/// Parses the date formats found in page metadata; a time without a zone is taken as UTC.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M:%S%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y%m%dT%H%M%S",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some(Utc.from_utc_datetime(&d));
        }
    }
    // "2019-11-19T10:00:00.000Z"-like strings with a trailing zone name, and bare dates.
    let head: String = s.chars().take(10).collect();
    for f in ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(&head, f) {
            return d.and_hms_opt(0, 0, 0).map(|x| Utc.from_utc_datetime(&x));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(parse_date("2019-11-19T10:00:00Z").is_some());
        assert!(parse_date("2019-11-19T10:00:00+0100").is_some());
        assert!(parse_date("2019-11-19").is_some());
        assert!(parse_date("Tue, 19 Nov 2019 10:00:00 GMT").is_some());
        assert!(parse_date("yesterday").is_none());
    }

    #[test]
    fn bylines() {
        assert_eq!(clean_byline("By Jane Doe | Staff"), "Jane Doe");
        assert_eq!(split_names("Jane Doe and John Roe"), vec!["Jane Doe", "John Roe"]);
        assert_eq!(
            strip_site_suffix("Big news today in town | The Daily", Some("The Daily")),
            "Big news today in town"
        );
    }
}
