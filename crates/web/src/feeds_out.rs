//! Atom feeds out: top stories (`/feeds/top.atom`) and one story's coverage (`/stories/{id}/feed.atom`), so
//! readers can follow Tidings itself in a feed reader.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use tidings_core::{ArticleListItem, StorySummary};

use crate::stories::{TOP_STORIES, top_stories};
use crate::strings::Strings;
use crate::{AppState, PageError};

/// Articles listed in a story's feed at most.
const STORY_FEED_ARTICLES: i64 = 100;

/// Escapes text for XML (and SVG) character data and attribute values.
pub(crate) fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and newlines are not allowed in XML 1.0 at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The site's origin, for the absolute links Atom needs: `[accounts] public_url` when it is set (the address
/// readers use, https behind a proxy included), else the host the client reached. Only a plain host (and port)
/// is taken from the request; anything else falls back to localhost rather than echo a forged header into a
/// feed.
pub(crate) fn origin(state: &AppState, headers: &HeaderMap) -> String {
    origin_of(&state.community.config.public_url, headers)
}

fn origin_of(public_url: &str, headers: &HeaderMap) -> String {
    let configured = public_url.trim().trim_end_matches('/');
    if !configured.is_empty() {
        return configured.to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

pub(crate) fn atom_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], body).into_response()
}

pub(crate) fn feed_head(out: &mut String, title: &str, self_url: &str, alternate: &str, updated: DateTime<Utc>) {
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <title>{}</title>\n<id>{}</id>\n<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<updated>{}</updated>\n\
         <generator>Tidings</generator>\n",
        xml(title),
        xml(self_url),
        xml(self_url),
        xml(alternate),
        updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
}

fn story_entry(t: &Strings, out: &mut String, base: &str, story: &StorySummary) {
    let url = format!("{base}/stories/{}", story.id);
    let summary = t.list(&[t.count(&t.outlets, story.outlet_count), t.count(&t.articles, story.article_count)]);
    let _ = write!(
        out,
        "<entry>\n<title>{}</title>\n<id>{}</id>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
         <published>{}</published>\n<updated>{}</updated>\n<summary>{}</summary>\n</entry>\n",
        xml(&story.headline),
        xml(&url),
        xml(&url),
        story.first_seen.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        story.last_updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        xml(&summary),
    );
}

pub(crate) fn article_entry(t: &Strings, out: &mut String, base: &str, item: &ArticleListItem) {
    let page = format!("{base}/articles/{}", item.id);
    let outlet = item.source_title.clone().unwrap_or_default();
    let _ = write!(
        out,
        "<entry>\n<title>{}</title>\n<id>{}</id>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
         <updated>{}</updated>\n<author><name>{}</name></author>\n<summary>{}</summary>\n</entry>\n",
        xml(&item.title),
        xml(&page),
        xml(&page),
        item.published_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        xml(if outlet.is_empty() { t.unknown_outlet } else { &outlet }),
        xml(&item.excerpt),
    );
}

/// `/feeds/top.atom`: the home page's top stories.
pub(crate) async fn top(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    let candidates = state.store.latest_stories(100, None).await.map_err(|e| PageError::internal(&state, &e))?;
    let now = Utc::now();
    let stories = top_stories(candidates, now);
    let (t, base) = (state.strings, origin(&state, &headers));
    let updated = stories.iter().map(|s| s.last_updated).max().unwrap_or(now);
    let mut out = String::new();
    feed_head(&mut out, t.feed_top_title, &format!("{base}/feeds/top.atom"), &format!("{base}/"), updated);
    for story in stories.iter().take(TOP_STORIES) {
        story_entry(t, &mut out, &base, story);
    }
    out.push_str("</feed>\n");
    Ok(atom_response(out))
}

/// `/stories/{id}/feed.atom`: every article of one story, newest first.
pub(crate) async fn story(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let t = state.strings;
    let internal = |e: tidings_core::StoreError| PageError::internal(&state, &e);
    let Some(story) = state.store.story(id).await.map_err(internal)? else {
        return Err(PageError::not_found(&state, t.with(t.no_story, id)));
    };
    if story.id != id {
        return Ok(Redirect::permanent(&format!("/stories/{}/feed.atom", story.id)).into_response());
    }
    let articles = state.store.newest_story_articles(id, STORY_FEED_ARTICLES).await.map_err(internal)?;
    let base = origin(&state, &headers);
    let mut out = String::new();
    feed_head(
        &mut out,
        &t.with(t.feed_story_title, &story.headline),
        &format!("{base}/stories/{id}/feed.atom"),
        &format!("{base}/stories/{id}"),
        story.last_updated,
    );
    for a in &articles {
        article_entry(t, &mut out, &base, &a.article);
    }
    out.push_str("</feed>\n");
    Ok(atom_response(out))
}

/// `/topics/{name}/feed.atom`: the newest articles of a topic.
pub(crate) async fn topic(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let t = state.strings;
    let internal = |e: tidings_core::StoreError| PageError::internal(&state, &e);
    if !state.store.topics().await.map_err(internal)?.iter().any(|(topic, _)| *topic == name) {
        return Err(PageError::not_found(&state, t.with(t.no_topic, t.quote(&name))));
    }
    let articles = state.store.topic_articles(&name, STORY_FEED_ARTICLES, None).await.map_err(internal)?;
    let base = origin(&state, &headers);
    let slug = crate::topics::path_segment(&name);
    let mut out = String::new();
    feed_head(
        &mut out,
        &t.with(t.feed_topic_title, &name),
        &format!("{base}/topics/{slug}/feed.atom"),
        &format!("{base}/topics/{slug}"),
        articles.first().map_or_else(Utc::now, |a| a.published_at),
    );
    for a in &articles {
        article_entry(t, &mut out, &base, a);
    }
    out.push_str("</feed>\n");
    Ok(atom_response(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_control_characters_dropped() {
        assert_eq!(xml("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }

    #[test]
    fn a_forged_host_header_is_not_echoed() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "news.example:8080".parse().unwrap());
        assert_eq!(origin_of("", &headers), "http://news.example:8080");
        headers.insert(header::HOST, "evil.example/\"><script>".parse().unwrap());
        assert_eq!(origin_of("", &headers), "http://localhost");
    }

    #[test]
    fn a_configured_public_url_is_the_origin_whatever_the_host() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(origin_of("https://news.example/", &headers), "https://news.example");
    }
}
