//! Turns XML events into feed and entry records in feedparser's layout.
//!
//! The record layout (keys such as `title_detail`, `links`, `tags`, `author_detail`) and the
//! precedence rules (first `<title>` wins, `<content:encoded>` also fills an empty summary, a
//! `<guid>` is a link unless `isPermaLink="false"`) follow feedparser, because its test suite is
//! our conformance bar and its behaviour is what feed publishers have tested against for twenty
//! years. The typed model is derived from these records afterwards, except for the plain RSS 2.0
//! documents that `crate::fast` turns into the typed model directly (with the same rules).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::dates::{parse_date, time_tuple};
use crate::text::{base64_decode, escape, fix_cp1252, fix_double_utf8, looks_like_html};
use crate::urls::{resolve_relative_uris, safe_absolute, urljoin};
use crate::xml::Attr;

pub(crate) type Dict = Map<String, Value>;

/// Maps a namespace URI to the prefix feedparser uses for its elements ("" for the core formats).
pub(crate) fn standard_prefix(uri: &str) -> Option<&'static str> {
    Some(match uri {
        ""
        | "http://backend.userland.com/rss"
        | "http://blogs.law.harvard.edu/tech/rss"
        | "http://purl.org/rss/1.0/"
        | "http://my.netscape.com/rdf/simple/0.9/"
        | "http://example.com/newformat#"
        | "http://example.com/necho"
        | "http://purl.org/echo/"
        | "uri/of/echo/namespace#"
        | "http://purl.org/pie/"
        | "http://purl.org/atom/ns#"
        | "http://www.w3.org/2005/atom"
        | "http://purl.org/rss/1.0/modules/rss091#" => "",
        "http://webns.net/mvcb/" => "admin",
        "http://purl.org/rss/1.0/modules/aggregation/" => "ag",
        "http://purl.org/rss/1.0/modules/annotate/" => "annotate",
        "http://media.tangent.org/rss/1.0/" => "audio",
        "http://backend.userland.com/blogchannelmodule" => "blogChannel",
        "http://creativecommons.org/ns#license" | "http://web.resource.org/cc/" => "cc",
        "http://cyber.law.harvard.edu/rss/creativecommonsrssmodule.html"
        | "http://backend.userland.com/creativecommonsrssmodule" => "creativeCommons",
        "http://purl.org/rss/1.0/modules/company" => "co",
        "http://purl.org/rss/1.0/modules/content/" => "content",
        "http://my.theinfo.org/changed/1.0/rss/" => "cp",
        "http://purl.org/dc/elements/1.1/" => "dc",
        "http://purl.org/dc/terms/" => "dcterms",
        "http://purl.org/rss/1.0/modules/email/" => "email",
        "http://purl.org/rss/1.0/modules/event/" => "ev",
        "http://rssnamespace.org/feedburner/ext/1.0" => "feedburner",
        "http://freshmeat.net/rss/fm/" => "fm",
        "http://xmlns.com/foaf/0.1/" => "foaf",
        "http://www.w3.org/2003/01/geo/wgs84_pos#" => "geo",
        "http://www.georss.org/georss" => "georss",
        "http://www.opengis.net/gml" => "gml",
        "http://postneo.com/icbm/" => "icbm",
        "http://purl.org/rss/1.0/modules/image/" => "image",
        "http://www.itunes.com/dtds/podcast-1.0.dtd" | "http://example.com/dtds/podcast-1.0.dtd" => "itunes",
        "http://purl.org/rss/1.0/modules/link/" => "l",
        "http://search.yahoo.com/mrss" | "http://search.yahoo.com/mrss/" => "media",
        "http://madskills.com/public/xml/rss/module/pingback/" => "pingback",
        "http://prismstandard.org/namespaces/1.2/basic/" => "prism",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#" => "rdf",
        "http://www.w3.org/2000/01/rdf-schema#" => "rdfs",
        "http://purl.org/rss/1.0/modules/reference/" => "ref",
        "http://purl.org/rss/1.0/modules/richequiv/" => "reqv",
        "http://purl.org/rss/1.0/modules/search/" => "search",
        "http://purl.org/rss/1.0/modules/slash/" => "slash",
        "http://schemas.xmlsoap.org/soap/envelope/" => "soap",
        "http://purl.org/rss/1.0/modules/servicestatus/" => "ss",
        "http://hacks.benhammersley.com/rss/streaming/" => "str",
        "http://purl.org/rss/1.0/modules/subscription/" => "sub",
        "http://purl.org/rss/1.0/modules/syndication/" => "sy",
        "http://schemas.pocketsoap.com/rss/mydescmodule/" => "szf",
        "http://purl.org/rss/1.0/modules/taxonomy/" => "taxo",
        "http://purl.org/rss/1.0/modules/threading/" => "thr",
        "http://purl.org/rss/1.0/modules/textinput/" => "ti",
        "http://madskills.com/public/xml/rss/module/trackback/" => "trackback",
        "http://wellformedweb.org/commentapi/" => "wfw",
        "http://purl.org/rss/1.0/modules/wiki/" => "wiki",
        "http://www.w3.org/1999/xhtml" => "xhtml",
        "http://www.w3.org/1999/xlink" => "xlink",
        "http://www.w3.org/xml/1998/namespace" => "xml",
        "http://podlove.org/simple-chapters" => "psc",
        _ => return None,
    })
}

pub(crate) fn normalize_uri(uri: &str) -> Cow<'_, str> {
    let lower = uri.to_ascii_lowercase();
    if lower.contains("backend.userland.com/rss") {
        return Cow::Borrowed("http://backend.userland.com/rss");
    }
    if lower == uri { Cow::Borrowed(uri) } else { Cow::Owned(lower) }
}

const CAN_BE_RELATIVE_URI: &[&str] =
    &["comments", "docs", "href", "icon", "id", "link", "logo", "url", "wfw_comment", "wfw_commentrss"];
const CAN_CONTAIN_RELATIVE_URIS: &[&str] =
    &["content", "copyright", "description", "info", "rights", "subtitle", "summary", "tagline", "title"];
const VOID_ELEMENTS: &[&str] =
    &["area", "base", "basefont", "br", "col", "frame", "hr", "img", "input", "isindex", "link", "meta", "param"];

fn map_content_type(t: &str) -> String {
    let l = t.to_ascii_lowercase();
    match l.as_str() {
        "text" | "plain" => "text/plain".into(),
        "html" => "text/html".into(),
        "xhtml" => "application/xhtml+xml".into(),
        _ => l,
    }
}

/// `is_html_type(&map_content_type(t))` without allocating.
fn is_html_content_type(t: &str) -> bool {
    t.eq_ignore_ascii_case("html")
        || t.eq_ignore_ascii_case("xhtml")
        || t.eq_ignore_ascii_case("text/html")
        || t.eq_ignore_ascii_case("application/xhtml+xml")
}

/// The key of `element`'s detail record: `title_detail`, `summary_detail`, …
fn detail_key(element: &str) -> String {
    match element {
        "title" => "title_detail".to_string(),
        "summary" => "summary_detail".to_string(),
        "subtitle" => "subtitle_detail".to_string(),
        "rights" => "rights_detail".to_string(),
        _ => format!("{element}_detail"),
    }
}

fn is_html_type(t: &str) -> bool {
    t == "text/html" || t == "application/xhtml+xml"
}

#[derive(Clone, Debug)]
struct ContentParams {
    ctype: String,
    language: Option<String>,
    base: String,
    base64: bool,
    src: Option<String>,
}

impl ContentParams {
    fn to_dict(&self, value: &str) -> Value {
        let mut d = Dict::new();
        d.insert("type".into(), Value::String(self.ctype.clone()));
        d.insert("language".into(), self.language.clone().map_or(Value::Null, Value::String));
        d.insert("base".into(), Value::String(self.base.clone()));
        if let Some(src) = &self.src {
            d.insert("src".into(), Value::String(src.clone()));
        }
        d.insert("value".into(), Value::String(value.to_string()));
        Value::Object(d)
    }
}

struct Frame<'a> {
    element: String,
    expecting_text: bool,
    pieces: Vec<Cow<'a, str>>,
}

/// Ordered, case-normalised attributes of one element.
type Attrs = Vec<(String, String)>;

fn get<'x>(attrs: &'x Attrs, k: &str) -> Option<&'x str> {
    attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn set(attrs: &mut Attrs, k: &str, v: String) {
    match attrs.iter_mut().find(|(n, _)| n == k) {
        Some(slot) => slot.1 = v,
        None => attrs.push((k.to_string(), v)),
    }
}

fn remove(attrs: &mut Attrs, k: &str) {
    attrs.retain(|(n, _)| n != k);
}

fn attrs_to_dict(attrs: &Attrs) -> Dict {
    attrs.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Source,
    Image,
    TextInput,
    Entry,
    Feed,
}

#[derive(Clone, Copy, PartialEq)]
enum Geometry {
    None,
    Point,
    LineString,
    Polygon,
}

pub(crate) struct Handler<'a> {
    pub feed: Dict,
    pub entries: Vec<Dict>,
    entry_depths: Vec<HashMap<String, i64>>,
    source: Dict,
    pub version: String,
    pub bozo: Option<String>,
    utf8_source: bool,
    namespaces_in_use: HashMap<String, String>,
    /// In-scope namespace declarations, innermost last: (prefix, depth of the declaring element).
    scopes: Vec<(String, i64)>,
    /// Per prefix, the feedparser prefix of each in-scope declaration of it, innermost last. Looked up for
    /// every element and attribute, so a map rather than a scan of `scopes`, which a hostile root can make long.
    bindings: HashMap<String, Vec<Option<&'static str>>>,
    /// The keys of the tags list last added to, so finding a duplicate tag is not a scan of the list.
    tag_index: Option<TagIndex>,
    infeed: bool,
    inentry: bool,
    incontent: i64,
    intextinput: bool,
    inimage: bool,
    inauthor: bool,
    incontributor: bool,
    inpublisher: bool,
    insource: bool,
    cp: Option<ContentParams>,
    summary_key: Option<&'static str>,
    stack: Vec<Frame<'a>>,
    basestack: Vec<Rc<str>>,
    langstack: Vec<Option<Rc<str>>>,
    baseuri: Rc<str>,
    lang: Option<Rc<str>>,
    title_depth: i64,
    depth: i64,
    has_content: bool,
    guidislink: bool,
    isentrylink: bool,
    svg_ok: i64,
    psc_chapters_flag: bool,
    ingeometry: Geometry,
    /// Per open element: whether its start tag was swallowed (typepad's escaped `<div>`).
    skipped: Vec<bool>,
}

impl<'a> Handler<'a> {
    /// Forces the version before parsing (a Netscape RSS 0.91 DOCTYPE decides it).
    pub fn set_version(&mut self, v: &str) {
        self.version = v.to_string();
    }

    pub fn new(base: String, lang: Option<String>, utf8_source: bool) -> Self {
        let mut feed = Dict::new();
        if let Some(l) = &lang {
            feed.insert("language".into(), Value::String(l.replace('_', "-")));
        }
        Handler {
            feed,
            entries: Vec::new(),
            entry_depths: Vec::new(),
            source: Dict::new(),
            version: String::new(),
            bozo: None,
            utf8_source,
            namespaces_in_use: HashMap::new(),
            scopes: Vec::new(),
            bindings: HashMap::new(),
            tag_index: None,
            infeed: false,
            inentry: false,
            incontent: 0,
            intextinput: false,
            inimage: false,
            inauthor: false,
            incontributor: false,
            inpublisher: false,
            insource: false,
            cp: None,
            summary_key: None,
            stack: Vec::new(),
            basestack: Vec::new(),
            langstack: Vec::new(),
            baseuri: Rc::from(base),
            lang: lang.map(Rc::from),
            title_depth: -1,
            depth: 0,
            has_content: false,
            guidislink: false,
            isentrylink: false,
            svg_ok: 0,
            psc_chapters_flag: false,
            ingeometry: Geometry::None,
            skipped: Vec::new(),
        }
    }

    fn fail(&mut self, msg: String) {
        if self.bozo.is_none() {
            self.bozo = Some(msg);
        }
    }

    // ----- context access -------------------------------------------------------------------

    fn which_ctx(&self) -> Ctx {
        if self.insource {
            Ctx::Source
        } else if self.inimage && self.feed.get("image").is_some_and(Value::is_object) {
            Ctx::Image
        } else if self.intextinput {
            Ctx::TextInput
        } else if self.inentry && !self.entries.is_empty() {
            Ctx::Entry
        } else {
            Ctx::Feed
        }
    }

    fn ctx_of(&mut self, which: Ctx) -> &mut Dict {
        match which {
            Ctx::Source => &mut self.source,
            Ctx::Entry => {
                if self.entries.is_empty() {
                    self.entries.push(Dict::new());
                    self.entry_depths.push(HashMap::new());
                }
                let n = self.entries.len() - 1;
                &mut self.entries[n]
            }
            Ctx::Feed => &mut self.feed,
            Ctx::Image | Ctx::TextInput => {
                let key = if which == Ctx::Image { "image" } else { "textinput" };
                let slot = self.feed.entry(key.to_string()).or_insert_with(|| Value::Object(Dict::new()));
                if !slot.is_object() {
                    *slot = Value::Object(Dict::new());
                }
                match slot {
                    Value::Object(m) => m,
                    _ => unreachable_dict(),
                }
            }
        }
    }

    fn ctx(&mut self) -> &mut Dict {
        let w = self.which_ctx();
        self.ctx_of(w)
    }

    // ----- element stack ----------------------------------------------------------------------

    fn push(&mut self, element: &str, expecting_text: bool) {
        self.stack.push(Frame { element: element.to_string(), expecting_text, pieces: Vec::new() });
    }

    fn handle_data(&mut self, text: Cow<'a, str>, allow_escape: bool) {
        let Some(top) = self.stack.last_mut() else { return };
        let xhtml = self.cp.as_ref().is_some_and(|c| c.ctype == "application/xhtml+xml");
        if allow_escape && xhtml {
            top.pieces.push(Cow::Owned(escape(&text).into_owned()));
        } else {
            top.pieces.push(text);
        }
    }

    /// Character data from the document.
    pub fn text(&mut self, text: Cow<'a, str>) {
        self.handle_data(text, true);
    }

    fn pop(&mut self, element: &str) -> Option<String> {
        self.pop_ws(element, true)
    }

    fn pop_ws(&mut self, element: &str, strip_whitespace: bool) -> Option<String> {
        if self.stack.last()?.element != element {
            return None;
        }
        let frame = self.stack.pop()?;
        let mut pieces = frame.pieces;
        if self.version == "atom10" && self.cp.as_ref().is_some_and(|c| c.ctype == "application/xhtml+xml") {
            strip_wrapping_div(&mut pieces);
        }
        let mut output: String =
            if pieces.len() == 1 { pieces.pop().map(Cow::into_owned).unwrap_or_default() } else { pieces.concat() };
        if strip_whitespace {
            let t = output.trim();
            if t.len() != output.len() {
                output = t.to_string();
            }
        }
        if !frame.expecting_text {
            return Some(output);
        }
        let mut element: &str = element;
        if let Some(cp) = &self.cp
            && cp.base64
            && let Some(s) = base64_decode(&output).and_then(|b| String::from_utf8(b).ok())
        {
            output = s;
        }
        if CAN_BE_RELATIVE_URI.contains(&element) && !output.is_empty() && (element != "id" || self.guidislink) {
            output = urljoin(&self.baseuri, &output);
        }
        if !self.version.starts_with("atom")
            && let Some(cp) = &mut self.cp
            && cp.ctype == "text/plain"
            && looks_like_html(&output)
        {
            cp.ctype = "text/html".into();
        }
        if let Some(cp) = &mut self.cp {
            cp.base64 = false;
        }
        let html = self.cp.as_ref().is_none_or(|c| is_html_content_type(&c.ctype));
        if html && CAN_CONTAIN_RELATIVE_URIS.contains(&element) && !self.baseuri.is_empty() && output.contains('<') {
            output = resolve_relative_uris(&output, &self.baseuri);
        }
        let mut out: Cow<'_, str> = Cow::Owned(output);
        if self.utf8_source {
            out = fix_double_utf8(out);
        }
        let output = fix_cp1252(out).into_owned();

        if matches!(element, "category" | "tags" | "itunes_keywords") {
            return Some(output);
        }
        if element == "title" && -1 < self.title_depth && self.title_depth <= self.depth {
            return Some(output);
        }

        if self.inentry && !self.insource && !self.entries.is_empty() {
            let n = self.entries.len() - 1;
            if element == "content" {
                let detail = self.cp.as_ref().map_or_else(
                    || {
                        ContentParams {
                            ctype: "text/plain".into(),
                            language: None,
                            base: String::new(),
                            base64: false,
                            src: None,
                        }
                        .to_dict(&output)
                    },
                    |c| c.to_dict(&output),
                );
                let e = &mut self.entries[n];
                let list = e.entry("content".to_string()).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = list {
                    a.push(detail);
                }
            } else if element == "link" {
                if !self.inimage {
                    let fixed = fix_query_entities(&output.replace("&amp;", "&"));
                    let e = &mut self.entries[n];
                    if self.isentrylink || !e.contains_key("link") {
                        e.insert("link".into(), Value::String(fixed.clone()));
                    }
                    if !fixed.is_empty()
                        && let Some(Value::Array(links)) = e.get_mut("links")
                        && let Some(Value::Object(last)) = links.last_mut()
                    {
                        last.insert("href".into(), Value::String(fixed));
                    }
                }
            } else {
                if element == "description" {
                    element = "summary";
                }
                let depth = self.depth;
                let store = match self.entry_depths.get_mut(n) {
                    Some(m) => match m.get_mut(element) {
                        Some(d) if depth <= *d => {
                            *d = depth;
                            true
                        }
                        Some(_) => false,
                        None => {
                            m.insert(element.to_string(), depth);
                            true
                        }
                    },
                    None => true,
                };
                if store {
                    self.entries[n].insert(element.to_string(), Value::String(output.clone()));
                }
                if self.incontent > 0
                    && let Some(cp) = &self.cp
                {
                    let d = cp.to_dict(&output);
                    self.entries[n].insert(detail_key(element), d);
                }
            }
        } else if self.infeed || self.insource {
            if element == "description" {
                element = "subtitle";
            }
            let detail = if self.incontent > 0 { self.cp.as_ref().map(|c| c.to_dict(&output)) } else { None };
            let isentrylink = self.isentrylink;
            let ctx = self.ctx();
            if element == "link" {
                let fixed = fix_query_entities(&output);
                if isentrylink || !ctx.contains_key("link") {
                    ctx.insert("link".into(), Value::String(fixed.clone()));
                }
                if let Some(Value::Array(links)) = ctx.get_mut("links")
                    && let Some(Value::Object(last)) = links.last_mut()
                {
                    last.insert("href".into(), Value::String(fixed));
                }
            } else {
                ctx.insert(element.to_string(), Value::String(output.clone()));
                if let Some(d) = detail {
                    ctx.insert(detail_key(element), d);
                }
            }
        }
        Some(output)
    }

    fn push_content(&mut self, tag: &str, attrs: &Attrs, default_type: &str, expecting_text: bool) {
        self.incontent += 1;
        if let Some(l) = &mut self.lang
            && l.contains('_')
        {
            *l = Rc::from(l.replace('_', "-"));
        }
        let ctype = map_content_type(get(attrs, "type").unwrap_or(default_type));
        let base64 = get(attrs, "mode") == Some("base64")
            || !(ctype.starts_with("text/") || ctype.ends_with("+xml") || ctype.ends_with("/xml"));
        self.cp = Some(ContentParams {
            ctype,
            language: self.lang.as_deref().map(str::to_string),
            base: self.baseuri.to_string(),
            base64,
            src: None,
        });
        self.push(tag, expecting_text);
    }

    fn pop_content(&mut self, tag: &str) -> Option<String> {
        let v = self.pop(tag);
        self.incontent -= 1;
        self.cp = None;
        v
    }

    // ----- helpers ported from feedparser's mixin --------------------------------------------

    fn save(&mut self, key: &str, value: Value, overwrite: bool) {
        let ctx = self.ctx();
        if overwrite || !ctx.contains_key(key) {
            ctx.insert(key.to_string(), value);
        }
    }

    fn save_date(&mut self, key: &str, raw: Option<String>) {
        let v = raw.as_deref().and_then(parse_date).map_or(Value::Null, |d| Value::from(time_tuple(&d).to_vec()));
        self.save(key, v, true);
    }

    fn save_author(&mut self, key: &str, value: Option<String>, prefix: &str) {
        let v = value.map_or(Value::Null, Value::String);
        {
            let ctx = self.ctx();
            let det = ctx.entry(format!("{prefix}_detail")).or_insert_with(|| Value::Object(Dict::new()));
            if let Value::Object(d) = det {
                d.insert(key.to_string(), v.clone());
            }
        }
        self.sync_author_detail(prefix);
        let ctx = self.ctx();
        let list = ctx.entry(format!("{prefix}s")).or_insert_with(|| Value::Array(vec![Value::Object(Dict::new())]));
        if let Value::Array(a) = list {
            if a.is_empty() {
                a.push(Value::Object(Dict::new()));
            }
            if let Some(Value::Object(last)) = a.last_mut() {
                last.insert(key.to_string(), v);
            }
        }
    }

    fn save_contributor(&mut self, key: &str, value: Option<String>) {
        let ctx = self.ctx();
        let list =
            ctx.entry("contributors".to_string()).or_insert_with(|| Value::Array(vec![Value::Object(Dict::new())]));
        if let Value::Array(a) = list {
            if a.is_empty() {
                a.push(Value::Object(Dict::new()));
            }
            if let Some(Value::Object(last)) = a.last_mut() {
                last.insert(key.to_string(), value.map_or(Value::Null, Value::String));
            }
        }
    }

    fn sync_author_detail(&mut self, key: &str) {
        let ctx = self.ctx();
        let detail: Dict = match ctx.get(&format!("{key}s")) {
            Some(Value::Array(a)) => match a.last() {
                Some(Value::Object(d)) => d.clone(),
                _ => Dict::new(),
            },
            _ => Dict::new(),
        };
        if !detail.is_empty() {
            let name = detail.get("name").and_then(Value::as_str).filter(|s| !s.is_empty());
            let email = detail.get("email").and_then(Value::as_str).filter(|s| !s.is_empty());
            let joined = match (name, email) {
                (Some(n), Some(e)) => Some(format!("{n} ({e})")),
                (Some(n), None) => Some(n.to_string()),
                (None, Some(e)) => Some(e.to_string()),
                (None, None) => None,
            };
            if let Some(j) = joined {
                ctx.insert(key.to_string(), Value::String(j));
            }
            return;
        }
        let Some(author) = ctx.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string) else {
            return;
        };
        let (name, email) = split_author(&author);
        if name.is_none() && email.is_none() {
            return;
        }
        let mut d = Dict::new();
        if let Some(n) = name {
            d.insert("name".into(), Value::String(n));
        }
        if let Some(e) = email {
            d.insert("email".into(), Value::String(e));
        }
        let dk = format!("{key}_detail");
        if !ctx.contains_key(&dk) {
            ctx.insert(dk, Value::Object(d.clone()));
        }
        if let Some(Value::Array(a)) = ctx.get_mut(&format!("{key}s"))
            && let Some(Value::Object(last)) = a.last_mut()
        {
            last.extend(d);
        }
    }

    fn add_tag(&mut self, term: Option<String>, scheme: Option<String>, label: Option<String>) {
        let which = self.which_ctx();
        let owner = (which, self.entries.len());
        let index = self.tag_index.take();
        let ctx = self.ctx_of(which);
        let tags = ctx.entry("tags".to_string()).or_insert_with(|| Value::Array(Vec::new()));
        let empty = |v: &Option<String>| v.as_deref().is_none_or(str::is_empty);
        if empty(&term) && empty(&scheme) && empty(&label) {
            self.tag_index = index;
            return;
        }
        let Value::Array(a) = tags else {
            self.tag_index = index;
            return;
        };
        if a.len() >= MAX_TAGS {
            self.tag_index = index;
            return;
        }
        let mut index = TagIndex::for_list(index, owner, a);
        let key: TagKey = [term, scheme, label];
        if !index.keys.contains(&key) {
            let mut d = Dict::new();
            for (name, part) in ["term", "scheme", "label"].into_iter().zip(&key) {
                d.insert(name.into(), part.clone().map_or(Value::Null, Value::String));
            }
            a.push(Value::Object(d));
            index.len = a.len();
            index.keys.insert(key);
        }
        self.tag_index = Some(index);
    }

    fn append_to(&mut self, key: &str, v: Value) {
        let ctx = self.ctx();
        let list = ctx.entry(key.to_string()).or_insert_with(|| Value::Array(Vec::new()));
        if !list.is_array() {
            *list = Value::Array(Vec::new());
        }
        if let Value::Array(a) = list {
            a.push(v);
        }
    }

    fn resolve_uri(&self, uri: &str) -> String {
        urljoin(&self.baseuri, uri)
    }

    fn track_namespace(&mut self, prefix: Option<&str>, uri: &str) {
        let lower = uri.to_ascii_lowercase();
        if self.version.is_empty() {
            if prefix.is_none() && lower == "http://my.netscape.com/rdf/simple/0.9/" {
                self.version = "rss090".into();
            } else if lower == "http://purl.org/rss/1.0/" {
                self.version = "rss10".into();
            } else if lower == "http://www.w3.org/2005/atom" {
                self.version = "atom10".into();
            }
        }
        let norm = normalize_uri(uri);
        match standard_prefix(&norm) {
            Some(p) => {
                self.namespaces_in_use.insert(p.to_string(), uri.to_string());
            }
            None => {
                self.namespaces_in_use.insert(prefix.unwrap_or("").to_string(), uri.to_string());
            }
        }
    }

    /// The namespace bound to `prefix`: None if undeclared, else its feedparser prefix if known.
    fn lookup_ns(&self, prefix: &str) -> Option<Option<&'static str>> {
        if prefix == "xml" {
            return Some(Some("xml"));
        }
        self.bindings.get(prefix).and_then(|stack| stack.last().copied())
    }

    /// The element's name as feedparser's handlers know it: `dc:creator`, `title`, `foo:bar`.
    fn element_name<'q>(&mut self, qname: &'q str) -> Cow<'q, str> {
        let (given, local) = match qname.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, qname),
        };
        let bound = self.lookup_ns(given.unwrap_or(""));
        let known = bound.flatten();
        let local: Cow<'q, str> = if local.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(local.to_ascii_lowercase())
        } else {
            Cow::Borrowed(local)
        };
        match given {
            Some(g) => {
                if bound.is_none() && !self.namespaces_in_use.contains_key(g) {
                    self.fail(format!("'{g}' is not associated with a namespace"));
                }
                let prefix = known.map_or_else(|| g.to_ascii_lowercase(), |p| p.to_ascii_lowercase());
                if prefix.is_empty() { local } else { Cow::Owned(format!("{prefix}:{local}")) }
            }
            None => match known {
                Some(p) if !p.is_empty() => Cow::Owned(format!("{}:{local}", p.to_ascii_lowercase())),
                _ => local,
            },
        }
    }

    fn attr_name(&self, qname: &str) -> Vec<String> {
        let lower = qname.to_ascii_lowercase();
        if let Some((p, l)) = qname.split_once(':') {
            let known = self.lookup_ns(p).flatten();
            if let Some(k) = known.filter(|k| !k.is_empty()) {
                let alt = format!("{}:{}", k, l).to_ascii_lowercase();
                if alt != lower {
                    return vec![alt, lower];
                }
            }
        }
        vec![lower]
    }

    // ----- events -----------------------------------------------------------------------------

    /// A start tag.
    pub fn start(&mut self, qname: &str, raw: &[Attr<'a>]) {
        self.depth += 1;
        for a in raw {
            if a.name == "xmlns" {
                let std = standard_prefix(&normalize_uri(&a.value));
                self.declare(String::new(), std);
                if !a.value.is_empty() {
                    self.track_namespace(None, &a.value);
                }
            } else if let Some(p) = a.name.strip_prefix("xmlns:") {
                let std = standard_prefix(&normalize_uri(&a.value));
                self.declare(p.to_string(), std);
                if !a.value.is_empty() {
                    self.track_namespace(Some(p), &a.value);
                }
            }
        }
        let tag = self.element_name(qname);
        let mut attrs: Attrs = Vec::with_capacity(raw.len());
        // Where each name is in `attrs`, for elements with more attributes than a scan handles well: `set` looks
        // through them all, quadratic on a hostile element with thousands.
        let mut positions: Option<HashMap<String, usize>> = (raw.len() > 16).then(HashMap::new);
        for a in raw {
            if a.name == "xmlns" || a.name.starts_with("xmlns:") {
                continue;
            }
            for name in self.attr_name(a.name) {
                let value = if name == "rel" || name == "type" { a.value.to_lowercase() } else { a.value.to_string() };
                match &mut positions {
                    Some(at) => match at.get(&name) {
                        Some(&i) => attrs[i].1 = value,
                        None => {
                            at.insert(name.clone(), attrs.len());
                            attrs.push((name, value));
                        }
                    },
                    None => set(&mut attrs, &name, value),
                }
            }
        }

        let base = get(&attrs, "xml:base").or_else(|| get(&attrs, "base")).map(str::to_string);
        if let Some(b) = base.filter(|b| !b.is_empty()) {
            if self.baseuri.is_empty() {
                self.baseuri = Rc::from(urljoin("", &b));
            } else {
                let j = safe_absolute(&self.baseuri, &b);
                if !j.is_empty() {
                    self.baseuri = Rc::from(j);
                }
            }
        }
        let lang = match get(&attrs, "xml:lang").or_else(|| get(&attrs, "lang")) {
            Some("") => None,
            Some(l) => Some(Rc::from(l)),
            None => self.lang.clone(),
        };
        if let Some(l) = &lang
            && matches!(&*tag, "feed" | "rss" | "rdf:RDF")
        {
            self.feed.insert("language".into(), Value::String(l.replace('_', "-")));
        }
        self.lang = lang.clone();
        self.basestack.push(self.baseuri.clone());
        self.langstack.push(lang);

        if self.incontent > 0
            && let Some(cp) = &mut self.cp
            && !cp.ctype.ends_with("xml")
        {
            if tag == "xhtml:div" || tag == "div" {
                self.skipped.push(true);
                return;
            }
            cp.ctype = "application/xhtml+xml".into();
        }
        self.skipped.push(false);
        if self.incontent > 0 && self.cp.as_ref().is_some_and(|c| c.ctype == "application/xhtml+xml") {
            let local = tag.rsplit(':').next().unwrap_or(&tag).to_string();
            let mut attrs = attrs;
            if let Some((p, _)) = tag.split_once(':') {
                let ns = self.namespaces_in_use.get(p).cloned().unwrap_or_default();
                if (local == "math" && ns == "http://www.w3.org/1998/Math/MathML")
                    || (local == "svg" && ns == "http://www.w3.org/2000/svg")
                {
                    attrs.push(("xmlns".into(), ns));
                }
            }
            if local == "svg" {
                self.svg_ok += 1;
            }
            let mut s = format!("<{local}");
            for (k, v) in &attrs {
                s.push(' ');
                s.push_str(k);
                s.push_str("=\"");
                s.push_str(&escape(v).replace('"', "&quot;"));
                s.push('"');
            }
            s.push_str(if VOID_ELEMENTS.contains(&local.as_str()) { " />" } else { ">" });
            self.handle_data(Cow::Owned(s), false);
            return;
        }

        let (prefix, suffix) = match tag.split_once(':') {
            Some((p, s)) => (p, s),
            None => ("", &*tag),
        };
        if prefix.is_empty() && !matches!(&*tag, "title" | "link" | "description" | "name") {
            self.intextinput = false;
        }
        if prefix.is_empty() && !matches!(&*tag, "title" | "link" | "description" | "url" | "href" | "width" | "height")
        {
            self.inimage = false;
        }
        let key: Cow<'_, str> =
            if prefix.is_empty() { Cow::Borrowed(suffix) } else { Cow::Owned(format!("{prefix}_{suffix}")) };
        if !self.dispatch_start(&key, &attrs) {
            if attrs.is_empty() {
                self.push(&key, true);
            } else {
                let d = Value::Object(attrs_to_dict(&attrs));
                self.ctx().insert(key.into_owned(), d);
            }
        }
    }

    /// An end tag (the driver guarantees it matches the innermost open element).
    pub fn end(&mut self, qname: &str) {
        let tag = self.element_name(qname);
        let skipped = self.skipped.pop().unwrap_or(false);
        if skipped {
            // The matching start was an escaped-content <div> we ignored; ignore its end too.
            self.unwind_scopes();
            return;
        }
        let (prefix, suffix) = match tag.split_once(':') {
            Some((p, s)) => (p, s),
            None => ("", &*tag),
        };
        let in_xhtml = self.incontent > 0 && self.cp.as_ref().is_some_and(|c| c.ctype == "application/xhtml+xml");
        let key: Cow<'_, str> =
            if prefix.is_empty() { Cow::Borrowed(suffix) } else { Cow::Owned(format!("{prefix}_{suffix}")) };
        if suffix == "svg" && self.svg_ok > 0 {
            self.svg_ok -= 1;
        }
        let inline = in_xhtml && self.stack.last().is_none_or(|f| f.element != content_frame_name(&key));
        if inline {
            if !VOID_ELEMENTS.contains(&suffix) {
                self.handle_data(Cow::Owned(format!("</{suffix}>")), false);
            }
        } else if self.svg_ok > 0 || !self.dispatch_end(&key) {
            self.pop(&key);
        }

        if self.basestack.pop().is_some()
            && let Some(b) = self.basestack.last()
            && !b.is_empty()
        {
            self.baseuri = b.clone();
        }
        if self.langstack.pop().is_some()
            && let Some(l) = self.langstack.last()
        {
            self.lang = l.clone();
        }
        self.depth -= 1;
        self.unwind_scopes();
    }

    fn declare(&mut self, prefix: String, std: Option<&'static str>) {
        self.bindings.entry(prefix.clone()).or_default().push(std);
        self.scopes.push((prefix, self.depth));
    }

    fn unwind_scopes(&mut self) {
        while self.scopes.last().is_some_and(|(_, d)| *d > self.depth) {
            if let Some((prefix, _)) = self.scopes.pop()
                && let Some(stack) = self.bindings.get_mut(&prefix)
            {
                stack.pop();
                if stack.is_empty() {
                    self.bindings.remove(&prefix);
                }
            }
        }
    }

    fn cdf_common(&mut self, attrs: &Attrs) {
        if let Some(v) = get(attrs, "lastmod") {
            self.push("updated", true);
            if let Some(f) = self.stack.last_mut() {
                f.pieces = vec![Cow::Owned(v.to_string())];
            }
            self.dispatch_end("updated");
        }
        if let Some(v) = get(attrs, "href") {
            self.dispatch_start("link", &Vec::new());
            if let Some(f) = self.stack.last_mut()
                && f.element == "link"
            {
                f.pieces = vec![Cow::Owned(v.to_string())];
            }
            self.dispatch_end("link");
        }
    }

    fn start_content(&mut self, attrs: &Attrs) {
        self.has_content = true;
        self.push_content("content", attrs, "text/plain", true);
        if let Some(src) = get(attrs, "src") {
            let src = src.to_string();
            if let Some(cp) = &mut self.cp {
                cp.src = Some(src);
            }
        }
    }

    fn end_content(&mut self) {
        let copy = self.cp.as_ref().is_some_and(|c| {
            let t = map_content_type(&c.ctype);
            t == "text/plain" || is_html_type(&t)
        });
        let value = self.pop_content("content");
        if copy {
            self.save("summary", value.map_or(Value::Null, Value::String), false);
        }
    }

    fn start_category(&mut self, attrs: &Attrs) {
        let term = get(attrs, "term").map(str::to_string);
        let scheme = get(attrs, "scheme").or_else(|| get(attrs, "domain")).map(str::to_string);
        let label = get(attrs, "label").map(str::to_string);
        self.add_tag(term, scheme, label);
        self.push("category", true);
    }

    fn end_category(&mut self) {
        let Some(value) = self.pop("category").filter(|v| !v.is_empty()) else { return };
        let which = self.which_ctx();
        let owner = (which, self.entries.len());
        let mut index = self.tag_index.take();
        let ctx = self.ctx_of(which);
        if let Some(Value::Array(tags)) = ctx.get_mut("tags") {
            let len = tags.len();
            if let Some(Value::Object(last)) = tags.last_mut()
                && last.get("term").is_none_or(|t| t.is_null() || t.as_str() == Some(""))
            {
                // The last tag gets its term from the element's text. Its old key was unique in the list (added
                // only when absent, and only the last tag is ever changed), so it leaves the index.
                let old = tag_key(last);
                last.insert("term".into(), Value::String(value));
                let new = tag_key(last);
                if let Some(i) = &mut index
                    && i.owner == owner
                    && i.len == len
                {
                    i.keys.remove(&old);
                    i.keys.insert(new);
                }
                self.tag_index = index;
                return;
            }
        }
        self.tag_index = index;
        self.add_tag(Some(value), None, None);
    }

    fn end_name(&mut self) {
        let value = self.pop("name");
        if self.inpublisher {
            self.save_author("name", value, "publisher");
        } else if self.inauthor {
            self.save_author("name", value, "author");
        } else if self.incontributor {
            self.save_contributor("name", value);
        } else if self.intextinput {
            self.ctx().insert("name".into(), value.map_or(Value::Null, Value::String));
        }
    }

    fn start_author(&mut self) {
        self.inauthor = true;
        self.push("author", true);
        self.append_to("authors", Value::Object(Dict::new()));
    }

    fn end_author(&mut self) {
        self.pop("author");
        self.inauthor = false;
        self.sync_author_detail("author");
    }

    fn start_title(&mut self, attrs: &Attrs) {
        let expecting = self.infeed || self.inentry || self.insource;
        self.push_content("title", attrs, "text/plain", expecting);
    }

    fn end_title(&mut self) {
        let value = self.pop_content("title");
        if value.is_some_and(|v| !v.is_empty()) {
            self.title_depth = self.depth;
        }
    }

    fn start_description(&mut self, attrs: &Attrs) {
        if self.ctx().contains_key("summary") && !self.has_content {
            self.summary_key = Some("content");
            self.start_content(attrs);
        } else {
            let expecting = self.infeed || self.inentry || self.insource;
            self.push_content("description", attrs, "text/html", expecting);
        }
    }

    fn end_description(&mut self) {
        if self.summary_key == Some("content") {
            self.end_content();
        } else {
            self.pop_content("description");
        }
        self.summary_key = None;
    }

    fn start_geometry_container(&mut self) {
        self.push("geometry", false);
        self.ctx().insert("where".into(), Value::Object(Dict::new()));
    }

    fn save_where(&mut self, geometry: Option<Dict>) {
        if let Some(g) = geometry
            && let Some(Value::Object(w)) = self.ctx().get_mut("where")
        {
            w.extend(g);
        }
    }

    fn parse_srs(&mut self, attrs: &Attrs) {
        let name = get(attrs, "srsname").map(str::to_string);
        let dims = get(attrs, "srsdimension").and_then(|d| d.trim().parse::<i64>().ok()).unwrap_or(2);
        let ctx = self.ctx();
        let w = ctx.entry("where".to_string()).or_insert_with(|| Value::Object(Dict::new()));
        if let Value::Object(w) = w {
            w.insert("srsName".into(), name.map_or(Value::Null, Value::String));
            w.insert("srsDimension".into(), Value::from(dims));
        }
    }

    fn gml_swap_dims(&mut self) -> (bool, usize) {
        let ctx = self.ctx();
        let w = ctx.get("where").and_then(Value::as_object);
        let srs = w.and_then(|w| w.get("srsName")).and_then(Value::as_str).map(str::to_string);
        let dims = w.and_then(|w| w.get("srsDimension")).and_then(Value::as_i64).unwrap_or(2);
        let swap = match srs {
            Some(s) if s.contains("EPSG") => {
                let code = s.rsplit(':').next().and_then(|c| c.parse::<u32>().ok()).unwrap_or(0);
                is_geographic_epsg(code)
            }
            _ => true,
        };
        (swap, if dims == 3 { 3 } else { 2 })
    }

    /// Runs the special start handler for `key`; false when there is none.
    fn dispatch_start(&mut self, key: &str, attrs: &Attrs) -> bool {
        match key {
            "rss" => {
                if !self.version.starts_with("rss") {
                    let v = get(attrs, "version").unwrap_or("");
                    self.version = match v {
                        "0.91" => "rss091u".into(),
                        "0.92" => "rss092".into(),
                        "0.93" => "rss093".into(),
                        "0.94" => "rss094".into(),
                        v if v.starts_with("2.") => "rss20".into(),
                        _ => "rss".into(),
                    };
                }
            }
            "channel" => {
                self.infeed = true;
                self.cdf_common(attrs);
            }
            "feed" => {
                self.infeed = true;
                if self.version.is_empty() {
                    self.version = match get(attrs, "version") {
                        Some("0.1") => "atom01".into(),
                        Some("0.2") => "atom02".into(),
                        Some("0.3") => "atom03".into(),
                        _ => "atom".into(),
                    };
                }
            }
            "image" => {
                if !self.inentry {
                    let ctx = self.ctx();
                    if !ctx.get("image").is_some_and(Value::is_object) {
                        ctx.insert("image".into(), Value::Object(Dict::new()));
                    }
                }
                self.inimage = true;
                self.title_depth = -1;
                self.push("image", false);
            }
            "textinput" => {
                let ctx = self.ctx();
                if !ctx.get("textinput").is_some_and(Value::is_object) {
                    ctx.insert("textinput".into(), Value::Object(Dict::new()));
                }
                self.intextinput = true;
                self.title_depth = -1;
                self.push("textinput", false);
            }
            "author" | "managingeditor" | "dc_author" | "dc_creator" | "itunes_author" => self.start_author(),
            "contributor" => {
                self.incontributor = true;
                self.append_to("contributors", Value::Object(Dict::new()));
                self.push("contributor", false);
            }
            "dc_contributor" => {
                self.incontributor = true;
                self.append_to("contributors", Value::Object(Dict::new()));
                self.push("name", false);
            }
            "name" | "itunes_name" => self.push("name", false),
            "width" => self.push("width", false),
            "height" => self.push("height", false),
            "url" | "homepage" | "uri" => self.push("href", true),
            "email" | "itunes_email" => self.push("email", false),
            "subtitle" | "tagline" | "itunes_subtitle" => self.push_content("subtitle", attrs, "text/plain", true),
            "rights" | "copyright" | "dc_rights" => self.push_content("rights", attrs, "text/plain", true),
            "item" | "entry" => {
                self.entries.push(Dict::new());
                self.entry_depths.push(HashMap::new());
                self.push("item", false);
                self.inentry = true;
                self.guidislink = false;
                self.title_depth = -1;
                if let Some(id) = get(attrs, "rdf:about") {
                    let id = id.to_string();
                    self.ctx().insert("id".into(), Value::String(id));
                }
                self.cdf_common(attrs);
            }
            "language" | "dc_language" => self.push("language", true),
            "webmaster" | "dc_publisher" => self.push("publisher", true),
            "published" | "issued" | "pubdate" | "dcterms_issued" => self.push("published", true),
            "updated" | "modified" | "lastbuilddate" | "dc_date" | "dcterms_modified" => self.push("updated", true),
            "created" | "dcterms_created" => self.push("created", true),
            "expirationdate" => self.push("expired", true),
            "category" | "keywords" | "dc_subject" => self.start_category(attrs),
            "media_category" => {
                let mut attrs = attrs.clone();
                if get(&attrs, "scheme").is_none() {
                    attrs.push(("scheme".into(), "http://search.yahoo.com/mrss/category_schema".into()));
                }
                self.start_category(&attrs);
            }
            "itunes_category" => {
                let text = get(attrs, "text").map(str::to_string);
                self.add_tag(text, Some("http://www.itunes.com/".into()), None);
                self.push("category", true);
            }
            "cloud" => {
                let d = Value::Object(attrs_to_dict(attrs));
                self.ctx().insert("cloud".into(), d);
            }
            "link" => self.start_link(attrs.clone()),
            "guid" | "id" => {
                self.guidislink = get(attrs, "ispermalink").unwrap_or("true") == "true";
                self.push("id", true);
            }
            "title" | "dc_title" | "media_title" => {
                if self.svg_ok > 0 {
                    return false;
                }
                self.start_title(attrs);
            }
            "description" | "dc_description" | "media_description" => self.start_description(attrs),
            "abstract" => {
                let expecting = self.infeed || self.inentry || self.insource;
                self.push_content("description", attrs, "text/plain", expecting);
            }
            "info" | "feedburner_browserfriendly" => self.push_content("info", attrs, "text/plain", true),
            "generator" => {
                let mut attrs = attrs.clone();
                if !attrs.is_empty() {
                    enforce_href(&mut attrs);
                    if let Some(h) = get(&attrs, "href").map(str::to_string) {
                        let r = self.resolve_uri(&h);
                        set(&mut attrs, "href", r);
                    }
                }
                let d = Value::Object(attrs_to_dict(&attrs));
                self.ctx().insert("generator_detail".into(), d);
                self.push("generator", true);
            }
            "summary" | "itunes_summary" => {
                if self.ctx().contains_key("summary") && !self.has_content {
                    self.summary_key = Some("content");
                    self.start_content(attrs);
                } else {
                    self.summary_key = Some("summary");
                    self.push_content("summary", attrs, "text/plain", true);
                }
            }
            "enclosure" => {
                let mut attrs = attrs.clone();
                enforce_href(&mut attrs);
                set(&mut attrs, "rel", "enclosure".into());
                self.append_to("links", Value::Object(attrs_to_dict(&attrs)));
            }
            "source" => {
                if let Some(u) = get(attrs, "url") {
                    self.source.insert("href".into(), Value::String(u.to_string()));
                }
                self.push("source", true);
                self.insource = true;
                self.title_depth = -1;
            }
            "content" => self.start_content(attrs),
            "body" | "xhtml_body" => self.push_content("content", attrs, "application/xhtml+xml", true),
            "content_encoded" | "fullitem" => {
                self.has_content = true;
                self.push_content("content", attrs, "text/html", true);
            }
            "newlocation" => self.push("newlocation", true),
            "tags" => self.push("tags", true),
            "dcterms_valid" => self.push("validity", true),
            "itunes_owner" => {
                self.inpublisher = true;
                self.push("publisher", false);
            }
            "itunes_image" | "itunes_link" => {
                self.push("itunes_image", false);
                if let Some(h) =
                    get(attrs, "href").filter(|h| !h.is_empty()).or_else(|| get(attrs, "url").filter(|h| !h.is_empty()))
                {
                    let mut d = Dict::new();
                    d.insert("href".into(), Value::String(h.to_string()));
                    self.ctx().insert("image".into(), Value::Object(d));
                }
            }
            "media_group" => {}
            "media_rating" | "media_restriction" | "media_license" => {
                let k = key.to_string();
                let ctx = self.ctx();
                if !ctx.contains_key(&k) {
                    ctx.insert(k, Value::Object(attrs_to_dict(attrs)));
                }
                self.push(&key["media_".len()..], true);
            }
            "media_credit" => {
                self.append_to("media_credit", Value::Object(attrs_to_dict(attrs)));
                self.push("credit", true);
            }
            "media_content" => self.append_to("media_content", Value::Object(attrs_to_dict(attrs))),
            "media_thumbnail" => {
                self.push("url", true);
                self.append_to("media_thumbnail", Value::Object(attrs_to_dict(attrs)));
            }
            "media_player" => {
                self.push("media_player", false);
                let d = Value::Object(attrs_to_dict(attrs));
                self.ctx().insert("media_player".into(), d);
            }
            "georss_point" | "georss_line" | "georss_polygon" | "georss_box" => self.start_geometry_container(),
            "where" | "georss_where" => {
                self.push("where", false);
                self.ctx().insert("where".into(), Value::Object(Dict::new()));
            }
            "gml_point" => {
                self.parse_srs(attrs);
                self.ingeometry = Geometry::Point;
                self.push("geometry", false);
            }
            "gml_linestring" => {
                self.parse_srs(attrs);
                self.ingeometry = Geometry::LineString;
                self.push("geometry", false);
            }
            "gml_polygon" => {
                self.parse_srs(attrs);
                self.push("geometry", false);
            }
            "gml_exterior" => self.push("geometry", false),
            "gml_linearring" => {
                self.ingeometry = Geometry::Polygon;
                self.push("geometry", false);
            }
            "gml_pos" | "gml_poslist" => self.push("pos", false),
            "psc_chapters" => {
                if !self.ctx().contains_key("psc_chapters") {
                    self.psc_chapters_flag = true;
                    let mut d = attrs_to_dict(attrs);
                    d.insert("chapters".into(), Value::Array(Vec::new()));
                    self.ctx().insert("psc_chapters".into(), Value::Object(d));
                }
            }
            "psc_chapter" => {
                if self.psc_chapters_flag {
                    let mut d = attrs_to_dict(attrs);
                    let start = get(attrs, "start").and_then(parse_chapter_start);
                    d.insert("start_parsed".into(), start.map_or(Value::Null, Value::from));
                    if let Some(Value::Object(pc)) = self.ctx().get_mut("psc_chapters")
                        && let Some(Value::Array(ch)) = pc.get_mut("chapters")
                    {
                        ch.push(Value::Object(d));
                    }
                }
            }
            "cc_license" => {
                let mut d = Dict::new();
                d.insert("rel".into(), Value::String("license".into()));
                if let Some(v) = get(attrs, "rdf:resource").filter(|v| !v.is_empty()) {
                    d.insert("href".into(), Value::String(v.to_string()));
                }
                self.append_to("links", Value::Object(d));
            }
            "creativecommons_license" => self.push("license", true),
            _ => return false,
        }
        true
    }

    fn start_link(&mut self, mut attrs: Attrs) {
        if get(&attrs, "rel").is_none() {
            attrs.push(("rel".into(), "alternate".into()));
        }
        if get(&attrs, "type").is_none() {
            let t = if get(&attrs, "rel") == Some("self") { "application/atom+xml" } else { "text/html" };
            attrs.push(("type".into(), t.into()));
        }
        enforce_href(&mut attrs);
        if let Some(h) = get(&attrs, "href").map(str::to_string) {
            let r = self.resolve_uri(&h);
            set(&mut attrs, "href", r);
        }
        if get(&attrs, "rel") == Some("alternate") && is_html_type(&map_content_type(get(&attrs, "type").unwrap_or("")))
        {
            self.isentrylink = true;
        }
        let expecting = self.infeed || self.inentry || self.insource;
        let skip = self.inentry && self.inimage;
        let href = get(&attrs, "href").map(str::to_string);
        let isentrylink = self.isentrylink;
        let ctx = self.ctx();
        let links = ctx.entry("links".to_string()).or_insert_with(|| Value::Array(Vec::new()));
        if !skip && let Value::Array(a) = links {
            a.push(Value::Object(attrs_to_dict(&attrs)));
        }
        match href {
            Some(h) => {
                if isentrylink {
                    ctx.insert("link".into(), Value::String(h));
                }
            }
            None => self.push("link", expecting),
        }
    }

    /// Runs the special end handler for `key`; false when there is none.
    fn dispatch_end(&mut self, key: &str) -> bool {
        match key {
            "channel" | "feed" => self.infeed = false,
            "image" => {
                self.pop("image");
                self.inimage = false;
            }
            "textinput" => {
                self.pop("textinput");
                self.intextinput = false;
            }
            "author" | "managingeditor" | "dc_author" | "dc_creator" | "itunes_author" => self.end_author(),
            "contributor" => {
                self.pop("contributor");
                self.incontributor = false;
            }
            "dc_contributor" => {
                self.end_name();
                self.incontributor = false;
            }
            "name" | "itunes_name" => self.end_name(),
            "width" | "height" => {
                let v = self.pop(key);
                let n = v.and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(0);
                if self.inimage {
                    self.ctx().insert(key.to_string(), Value::from(n));
                }
            }
            "url" | "homepage" | "uri" => {
                let v = self.pop("href");
                if self.inauthor {
                    self.save_author("href", v, "author");
                } else if self.incontributor {
                    self.save_contributor("href", v);
                }
            }
            "email" | "itunes_email" => {
                let v = self.pop("email");
                if self.inpublisher {
                    self.save_author("email", v, "publisher");
                } else if self.inauthor {
                    self.save_author("email", v, "author");
                } else if self.incontributor {
                    self.save_contributor("email", v);
                }
            }
            "subtitle" | "tagline" | "itunes_subtitle" => {
                self.pop_content("subtitle");
            }
            "rights" | "copyright" | "dc_rights" => {
                self.pop_content("rights");
            }
            "item" | "entry" => {
                self.pop("item");
                self.inentry = false;
                self.has_content = false;
            }
            "language" | "dc_language" => {
                let v = self.pop("language");
                self.lang = v.map(Rc::from);
            }
            "webmaster" | "dc_publisher" => {
                self.pop("publisher");
                self.sync_author_detail("publisher");
            }
            "published" | "issued" | "pubdate" | "dcterms_issued" => {
                let v = self.pop("published");
                self.save_date("published_parsed", v);
            }
            "updated" | "modified" | "lastbuilddate" | "dc_date" | "dcterms_modified" => {
                let v = self.pop("updated");
                self.save_date("updated_parsed", v);
            }
            "created" | "dcterms_created" => {
                let v = self.pop("created");
                self.save_date("created_parsed", v);
            }
            "expirationdate" => {
                let v = self.pop("expired");
                self.save_date("expired_parsed", v);
            }
            "category" | "keywords" | "dc_subject" | "itunes_category" | "media_category" => self.end_category(),
            "link" => {
                self.pop("link");
                self.isentrylink = false;
            }
            "guid" | "id" => {
                let v = self.pop("id");
                let has_link = self.ctx().contains_key("link");
                let gil = self.guidislink && !has_link;
                self.save("guidislink", Value::Bool(gil), false);
                if self.guidislink {
                    self.save("link", v.map_or(Value::Null, Value::String), false);
                }
            }
            "title" | "dc_title" => {
                if self.svg_ok > 0 {
                    return false;
                }
                self.end_title();
            }
            "media_title" => {
                let d = self.title_depth;
                self.end_title();
                self.title_depth = d;
            }
            "description" | "dc_description" | "media_description" | "abstract" => self.end_description(),
            "info" | "feedburner_browserfriendly" => {
                self.pop_content("info");
            }
            "generator" => {
                let v = self.pop("generator");
                if let Some(Value::Object(d)) = self.ctx().get_mut("generator_detail") {
                    d.insert("name".into(), v.map_or(Value::Null, Value::String));
                }
            }
            "summary" | "itunes_summary" => {
                if self.summary_key == Some("content") {
                    self.end_content();
                } else {
                    let k = self.summary_key.unwrap_or("summary");
                    self.pop_content(k);
                }
                self.summary_key = None;
            }
            "source" => {
                self.insource = false;
                let v = self.pop("source");
                if let Some(v) = v.filter(|v| !v.is_empty()) {
                    self.source.insert("title".into(), Value::String(v));
                }
                let src = std::mem::take(&mut self.source);
                self.ctx().insert("source".into(), Value::Object(src));
            }
            "content" | "body" | "xhtml_body" | "content_encoded" | "fullitem" => self.end_content(),
            "newlocation" => {
                let url = self.pop("newlocation").unwrap_or_default();
                if self.which_ctx() == Ctx::Feed {
                    let v = safe_absolute(&self.baseuri, url.trim());
                    self.feed.insert("newlocation".into(), Value::String(v));
                }
            }
            "tags" => {
                let v = self.pop("tags").unwrap_or_default();
                for term in v.split(',') {
                    self.add_tag(Some(term.trim().to_string()), None, None);
                }
            }
            "dcterms_valid" => {
                let v = self.pop("validity").unwrap_or_default();
                for part in v.split(';') {
                    if let Some((k, val)) = part.split_once('=')
                        && (k == "start" || k == "end")
                    {
                        self.save(&format!("validity_{k}"), Value::String(val.to_string()), true);
                        self.save_date(&format!("validity_{k}_parsed"), Some(val.to_string()));
                    }
                }
            }
            "itunes_owner" => {
                self.pop("publisher");
                self.inpublisher = false;
                self.sync_author_detail("publisher");
            }
            "itunes_keywords" | "media_keywords" => {
                let v = self.pop(key).unwrap_or_default();
                let scheme = (key == "itunes_keywords").then(|| "http://www.itunes.com/".to_string());
                for term in v.split(',') {
                    if !term.trim().is_empty() {
                        self.add_tag(Some(term.trim().to_string()), scheme.clone(), None);
                    }
                }
            }
            "itunes_block" => {
                let v = self.pop_ws("itunes_block", false);
                let b = matches!(v.as_deref(), Some("yes" | "Yes"));
                self.ctx().insert("itunes_block".into(), Value::from(i64::from(b)));
            }
            "itunes_explicit" => {
                let v = self.pop_ws("itunes_explicit", false);
                let e = match v.as_deref() {
                    Some("yes" | "true") => Value::Bool(true),
                    Some("clean" | "no" | "false") => Value::Bool(false),
                    _ => Value::Null,
                };
                self.ctx().insert("itunes_explicit".into(), e);
            }
            "media_rating" | "media_license" => {
                let inner = &key["media_".len()..];
                let v = self.pop(inner);
                if let Some(v) = v.filter(|v| !v.trim().is_empty())
                    && let Some(Value::Object(d)) = self.ctx().get_mut(key)
                {
                    d.insert("content".into(), Value::String(v));
                }
            }
            "media_restriction" => {
                let v = self.pop("restriction");
                if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
                    let list: Vec<Value> = v.split(' ').map(|c| Value::String(c.trim().to_lowercase())).collect();
                    if let Some(Value::Object(d)) = self.ctx().get_mut("media_restriction") {
                        d.insert("content".into(), Value::Array(list));
                    }
                }
            }
            "media_credit" => {
                let v = self.pop("credit");
                if let Some(v) = v.filter(|v| !v.trim().is_empty())
                    && let Some(Value::Array(a)) = self.ctx().get_mut("media_credit")
                    && let Some(Value::Object(d)) = a.last_mut()
                {
                    d.insert("content".into(), Value::String(v));
                }
            }
            "media_thumbnail" => {
                let v = self.pop("url");
                if let Some(v) = v.filter(|v| !v.trim().is_empty())
                    && let Some(Value::Array(a)) = self.ctx().get_mut("media_thumbnail")
                    && let Some(Value::Object(d)) = a.last_mut()
                    && !d.contains_key("url")
                {
                    d.insert("url".into(), Value::String(v));
                }
            }
            "media_player" => {
                let v = self.pop("media_player");
                if let Some(Value::Object(d)) = self.ctx().get_mut("media_player") {
                    d.insert("content".into(), v.map_or(Value::Null, Value::String));
                }
            }
            "georss_point" | "georss_line" | "georss_polygon" | "georss_box" => {
                let v = self.pop("geometry").unwrap_or_default();
                let g = match key {
                    "georss_point" => geo_point(&v, true, 2),
                    "georss_line" => geo_line(&v, true, 2),
                    "georss_polygon" => geo_polygon(&v),
                    _ => geo_box(&v),
                };
                self.save_where(g);
            }
            "gml_pos" => {
                let v = self.pop("pos").unwrap_or_default();
                let (swap, dims) = self.gml_swap_dims();
                let g = geo_point(&v, swap, dims);
                self.save_where(g);
            }
            "gml_poslist" => {
                let v = self.pop("pos").unwrap_or_default();
                let (swap, dims) = self.gml_swap_dims();
                let g = match self.ingeometry {
                    Geometry::LineString => geo_line(&v, swap, dims),
                    Geometry::Polygon => geo_line(&v, swap, dims).map(|mut l| {
                        let ring = l.remove("coordinates").unwrap_or(Value::Null);
                        let mut d = Dict::new();
                        d.insert("type".into(), Value::String("Polygon".into()));
                        d.insert("coordinates".into(), Value::Array(vec![ring]));
                        d
                    }),
                    _ => None,
                };
                self.save_where(g);
            }
            "gml_point" | "gml_linestring" | "gml_linearring" | "gml_exterior" | "gml_polygon" => {
                self.ingeometry = Geometry::None;
                self.pop("geometry");
            }
            "where" | "georss_where" => {
                self.pop("where");
            }
            "psc_chapters" => self.psc_chapters_flag = false,
            "creativecommons_license" => {
                let v = self.pop("license");
                if let Some(v) = v {
                    let mut d = Dict::new();
                    d.insert("rel".into(), Value::String("license".into()));
                    if !v.is_empty() {
                        d.insert("href".into(), Value::String(v));
                    }
                    self.append_to("links", Value::Object(d));
                    self.ctx().remove("license");
                }
            }
            _ => return false,
        }
        true
    }
}

/// Which stack frame name the content-bearing element `key` pushes, to tell its own end tag
/// from inline XHTML end tags inside it.
fn content_frame_name(key: &str) -> &str {
    match key {
        "title" | "dc_title" | "media_title" => "title",
        "subtitle" | "tagline" | "itunes_subtitle" => "subtitle",
        "rights" | "copyright" | "dc_rights" => "rights",
        "info" | "feedburner_browserfriendly" => "info",
        "summary" | "itunes_summary" => "summary",
        "description" | "dc_description" | "media_description" | "abstract" => "description",
        "content" | "body" | "xhtml_body" | "content_encoded" | "fullitem" => "content",
        _ => "\u{0}",
    }
}

/// How many tags one feed, entry or source keeps. Real feeds use a few dozen at most; a hostile one could send
/// millions, each stored and later turned into a category.
pub(crate) const MAX_TAGS: usize = 100;

/// A tag's term, scheme and label (`None` where the record has null).
type TagKey = [Option<String>; 3];

fn tag_key(tag: &Dict) -> TagKey {
    ["term", "scheme", "label"].map(|k| tag.get(k).and_then(Value::as_str).map(str::to_string))
}

/// The keys of one tags list, to tell duplicates without scanning it.
struct TagIndex {
    /// Whose list: the context, and for entries which one (the entry count when it was built).
    owner: (Ctx, usize),
    /// The list's length when the index last matched it; another length means the list is another one (a
    /// replaced image or source record) and the index is rebuilt.
    len: usize,
    keys: HashSet<TagKey>,
}

impl TagIndex {
    /// `index` if it still describes `list`, else one built from `list`.
    fn for_list(index: Option<TagIndex>, owner: (Ctx, usize), list: &[Value]) -> TagIndex {
        match index {
            Some(i) if i.owner == owner && i.len == list.len() => i,
            _ => TagIndex {
                owner,
                len: list.len(),
                keys: list.iter().filter_map(Value::as_object).map(tag_key).collect(),
            },
        }
    }
}

fn unreachable_dict() -> &'static mut Dict {
    // Only reached if a just-normalised slot is not an object, which cannot happen; leak a fresh
    // map rather than panic so the parser stays total.
    Box::leak(Box::new(Dict::new()))
}

fn enforce_href(attrs: &mut Attrs) {
    let href = get(attrs, "url").or_else(|| get(attrs, "uri")).or_else(|| get(attrs, "href")).map(str::to_string);
    if let Some(h) = href.filter(|h| !h.is_empty()) {
        remove(attrs, "url");
        remove(attrs, "uri");
        set(attrs, "href", h);
    }
}

/// `?a=1&b;=2` style damage from HTML-entity-aware serialisers: `&name;` → `&name`.
pub(crate) fn fix_query_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        let n = rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
        if n > 0 && rest.as_bytes().get(n) == Some(&b';') {
            out.push_str(&rest[..n]);
            rest = &rest[n + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// feedparser drops an Atom XHTML wrapper `<div>` when it encloses everything.
fn strip_wrapping_div(pieces: &mut Vec<Cow<'_, str>>) {
    while pieces.len() > 1 && pieces.last().is_some_and(|p| p.trim().is_empty()) {
        pieces.pop();
    }
    // Leading blanks go in one drain: removing them one at a time shifts the rest each time.
    let blanks = pieces.iter().take(pieces.len().saturating_sub(1)).take_while(|p| p.trim().is_empty()).count();
    pieces.drain(..blanks);
    let (Some(first), Some(last)) = (pieces.first(), pieces.last()) else { return };
    if !(first == "<div>" || first.starts_with("<div ")) || last != "</div>" {
        return;
    }
    let mut depth = 0i64;
    for p in &pieces[..pieces.len() - 1] {
        if p.starts_with("</") {
            depth -= 1;
            if depth == 0 {
                return;
            }
        } else if p.starts_with('<') && !p.ends_with("/>") {
            depth += 1;
        }
    }
    pieces.pop();
    pieces.remove(0);
}

/// Splits an RSS author string such as `jo@example.com (Jo Bloggs)` into name and email.
pub(crate) fn split_author(author: &str) -> (Option<String>, Option<String>) {
    let Some((start, end)) = find_email(author) else {
        return (Some(author.to_string()), None);
    };
    let email = author[start..end].to_string();
    let mut name = author.replace(&email, "");
    for junk in ["()", "<>", "&lt;&gt;"] {
        name = name.replace(junk, "");
    }
    let mut name = name.trim().to_string();
    if name.starts_with('(') {
        name.remove(0);
    }
    if name.ends_with(')') {
        name.pop();
    }
    let name = name.trim().to_string();
    ((!name.is_empty()).then_some(name), Some(email))
}

fn find_email(s: &str) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    let local = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'+' | b'-');
    let label = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
    for (at, _) in s.match_indices('@') {
        let mut start = at;
        while start > 0 && local(b[start - 1]) {
            start -= 1;
        }
        if start == at {
            continue;
        }
        // Greedy run of `label.` groups, then a TLD; back off one label at a time on failure.
        let mut label_ends = Vec::new();
        let mut i = at + 1;
        loop {
            let ls = i;
            while i < b.len() && label(b[i]) {
                i += 1;
            }
            if i > ls && i < b.len() && b[i] == b'.' {
                i += 1;
                label_ends.push(i);
            } else {
                break;
            }
        }
        while let Some(&pos) = label_ends.last() {
            let alpha = b[pos..].iter().take(4).take_while(|c| c.is_ascii_alphabetic()).count();
            let digits = b[pos..].iter().take(3).take_while(|c| c.is_ascii_digit()).count();
            let tld = if alpha >= 2 { alpha } else { digits };
            if tld > 0 {
                let mut end = pos + tld;
                if b.get(end) == Some(&b']') {
                    end += 1;
                }
                if s[end..].starts_with("?subject=") {
                    let extra = s[end + 9..].bytes().take_while(|c| !c.is_ascii_whitespace()).count();
                    if extra > 0 {
                        end += 9 + extra;
                    }
                }
                return Some((start, end));
            }
            label_ends.pop();
        }
    }
    None
}

fn coords(value: &str, swap: bool, dims: usize) -> Option<Vec<Vec<f64>>> {
    let nums: Vec<f64> =
        value.replace(',', " ").split_whitespace().map(|t| t.parse::<f64>()).collect::<Result<_, _>>().ok()?;
    let mut out = Vec::new();
    let mut it = nums.into_iter();
    while let (Some(a), Some(b)) = (it.next(), it.next()) {
        let mut t = if swap { vec![b, a] } else { vec![a, b] };
        if dims == 3 {
            match it.next() {
                Some(c) => t.push(c),
                None => break,
            }
        }
        out.push(t);
    }
    Some(out)
}

fn geo(kind: &str, coordinates: Value) -> Dict {
    let mut d = Dict::new();
    d.insert("type".into(), Value::String(kind.into()));
    d.insert("coordinates".into(), coordinates);
    d
}

fn geo_point(v: &str, swap: bool, dims: usize) -> Option<Dict> {
    let c = coords(v, swap, dims)?;
    let first = c.into_iter().next()?;
    Some(geo("Point", Value::from(first)))
}

fn geo_line(v: &str, swap: bool, dims: usize) -> Option<Dict> {
    let c = coords(v, swap, dims)?;
    Some(geo("LineString", Value::from(c)))
}

fn geo_polygon(v: &str) -> Option<Dict> {
    let ring = coords(v, true, 2)?;
    if ring.len() < 4 {
        return None;
    }
    Some(geo("Polygon", Value::Array(vec![Value::from(ring)])))
}

fn geo_box(v: &str) -> Option<Dict> {
    let c = coords(v, true, 2)?;
    Some(geo("Box", Value::from(c)))
}

fn is_geographic_epsg(code: u32) -> bool {
    matches!(code, 3819 | 3821 | 3824 | 3889 | 3906 | 4001..=4016 | 4018..=4025 | 4027..=4036 | 4041..=4047
        | 4052..=4055 | 4075 | 4081 | 4120..=4176 | 4178..=4185 | 4188..=4216 | 4218..=4289 | 4291..=4304
        | 4306..=4319 | 4322 | 4324 | 4326 | 4463 | 4470 | 4475 | 4483 | 4490 | 4555 | 4558 | 4600..=4646
        | 4657..=4765 | 4801..=4811 | 4813..=4821 | 4823 | 4824 | 4901..=4904 | 4979)
}

/// Podlove chapter start (`hh:mm:ss.mmm`) in seconds.
fn parse_chapter_start(s: &str) -> Option<f64> {
    let (main, ms) = match s.split_once('.') {
        Some((m, f)) if f.len() == 3 && f.bytes().all(|c| c.is_ascii_digit()) => (m, f.parse::<f64>().ok()?),
        Some(_) => return None,
        None => (s, 0.0),
    };
    let parts: Vec<&str> = main.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2 || !p.bytes().all(|c| c.is_ascii_digit())) {
        return None;
    }
    let nums: Vec<f64> = parts.iter().filter_map(|p| p.parse::<f64>().ok()).collect();
    let (h, m, sec) = if nums.len() == 3 { (nums[0], nums[1], nums[2]) } else { (0.0, nums[0], nums[1]) };
    Some(h * 3600.0 + m * 60.0 + sec + ms / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_strings() {
        assert_eq!(
            split_author("jo@example.com (Jo Bloggs)"),
            (Some("Jo Bloggs".into()), Some("jo@example.com".into()))
        );
        assert_eq!(
            split_author("Jo Bloggs <jo@example.co.uk>"),
            (Some("Jo Bloggs".into()), Some("jo@example.co.uk".into()))
        );
        assert_eq!(split_author("Jo Bloggs"), (Some("Jo Bloggs".into()), None));
    }

    #[test]
    fn query_entity_repair() {
        assert_eq!(fix_query_entities("http://x/?a=1&b;=2"), "http://x/?a=1&b=2");
        assert_eq!(fix_query_entities("http://x/?a=1&b=2"), "http://x/?a=1&b=2");
    }

    #[test]
    fn chapter_starts() {
        assert_eq!(parse_chapter_start("00:01:02.500"), Some(62.5));
        assert_eq!(parse_chapter_start("01:02"), Some(62.0));
        assert_eq!(parse_chapter_start("1:2"), None);
    }
}
