//! Topic pages: the categories of followed sources (from OPML folders or `--category`), each with its newest
//! articles, an Atom feed and JSON. Classification will add topics to articles later; the pages stay.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::Utc;

use crate::pages::{ArticleRow, PAGE_SIZE, page};
use crate::stories::ListQuery;
use crate::strings::Strings;
use crate::{AppState, PageError};

/// A topic in the list.
struct TopicRow {
    name: String,
    /// The name made safe for a URL path segment.
    slug: String,
    sources: i64,
}

/// Percent-encodes a topic name for one path segment (axum decodes it back).
pub(crate) fn path_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Template)]
#[template(path = "topics.html")]
struct TopicsPage {
    t: &'static Strings,
    topics: Vec<TopicRow>,
}

pub(crate) async fn topics(State(state): State<AppState>) -> Result<Response, PageError> {
    let topics = state.store.topics().await.map_err(|e| PageError::internal(&state, &e))?;
    let topics =
        topics.into_iter().map(|(name, sources)| TopicRow { slug: path_segment(&name), name, sources }).collect();
    page(&TopicsPage { t: state.strings, topics }, &state)
}

#[derive(Template)]
#[template(path = "topic.html")]
struct TopicPage {
    t: &'static Strings,
    follow: Option<crate::community::personal::FollowButton>,
    name: String,
    slug: String,
    articles: Vec<ArticleRow>,
    next: Option<String>,
}

pub(crate) async fn topic(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<ListQuery>,
    viewer: crate::community::Viewer,
) -> Result<Response, PageError> {
    let follow = crate::community::personal::FollowButton::for_viewer(
        &state,
        &viewer,
        tidings_core::accounts::FollowKind::Topic,
        name.clone(),
        format!("/topics/{}", path_segment(&name)),
    )
    .await;
    let cursor = match query.after.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(raw) => Some(crate::cursor::article(raw).ok_or_else(|| crate::pages::no_such_page(&state, raw))?),
    };
    let known = state.store.topics().await.map_err(|e| PageError::internal(&state, &e))?;
    if !known.iter().any(|(t, _)| *t == name) {
        let t = state.strings;
        return Err(PageError::not_found(&state, t.with(t.no_topic, t.quote(&name))));
    }
    let items =
        state.store.topic_articles(&name, PAGE_SIZE, cursor).await.map_err(|e| PageError::internal(&state, &e))?;
    let next = crate::cursor::after_articles(&items, PAGE_SIZE);
    let (t, now) = (state.strings, Utc::now());
    page(
        &TopicPage {
            follow,
            t,
            slug: path_segment(&name),
            name,
            articles: items.into_iter().map(|i| ArticleRow::new(t, i, now)).collect(),
            next,
        },
        &state,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_are_encoded_for_paths() {
        assert_eq!(path_segment("World"), "World");
        assert_eq!(path_segment("Science & Tech/Å"), "Science%20%26%20Tech%2F%C3%85");
    }
}
