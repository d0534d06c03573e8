//! Page handlers and their templates.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tidings_core::{ArticleListItem, Source};

use crate::stories::{ArticleContext, StoryRow};
use crate::timefmt;
use crate::{AppState, PageError};

pub(crate) const PAGE_SIZE: i64 = 50;

pub(crate) fn render(template: &impl Template) -> Result<String, askama::Error> {
    template.render()
}

pub(crate) fn page(template: &impl Template, state: &AppState) -> Result<Response, PageError> {
    render(template).map(|html| Html(html).into_response()).map_err(|e| PageError::internal(state, &e))
}

pub(crate) struct ArticleRow {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) source_id: i64,
    pub(crate) outlet: String,
    pub(crate) excerpt: String,
    pub(crate) iso: String,
    pub(crate) absolute: String,
    pub(crate) relative: String,
}

impl ArticleRow {
    pub(crate) fn new(item: ArticleListItem, now: DateTime<Utc>) -> ArticleRow {
        let outlet = item.source_title.unwrap_or_else(|| outlet_from_url(item.url.as_deref()));
        ArticleRow {
            id: item.id,
            title: item.title,
            source_id: item.source_id,
            outlet,
            excerpt: item.excerpt,
            iso: timefmt::iso(item.published_at),
            absolute: timefmt::absolute(item.published_at),
            relative: timefmt::relative(item.published_at, now),
        }
    }
}

/// An outlet's name when all we have is a URL.
pub(crate) fn outlet_from_url(url: Option<&str>) -> String {
    url.and_then(tidings_core::urlnorm::host_of).unwrap_or_else(|| "unknown outlet".to_owned())
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    top: Vec<StoryRow>,
    articles: Vec<ArticleRow>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct IndexQuery {
    after: Option<String>,
}

pub(crate) async fn index(
    State(state): State<AppState>,
    Query(query): Query<IndexQuery>,
) -> Result<Response, PageError> {
    let cursor = match query.after.as_deref() {
        None => None,
        Some(raw) => {
            Some(crate::cursor::article(raw).ok_or_else(|| PageError::NotFound(format!("No such page: {raw:?}.")))?)
        }
    };
    let items = state.store.latest_articles(PAGE_SIZE, cursor).await.map_err(|e| PageError::internal(&state, &e))?;
    let next = crate::cursor::after_articles(&items, PAGE_SIZE);
    let now = Utc::now();
    let articles = items.into_iter().map(|item| ArticleRow::new(item, now)).collect();
    // Top stories lead the first page only; later pages continue the plain list.
    let top = if cursor.is_none() { crate::stories::home_stories(&state).await? } else { Vec::new() };
    page(&IndexPage { top, articles, next }, &state)
}

#[derive(Template)]
#[template(path = "article.html")]
struct ArticlePage {
    extraction_failed: bool,
    title: String,
    lang: Option<String>,
    rtl: bool,
    source_id: i64,
    outlet: String,
    author: Option<String>,
    url: Option<String>,
    body_html: String,
    iso: String,
    absolute: String,
    relative: String,
    context: ArticleContext,
}

pub(crate) async fn article(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, PageError> {
    let article = state.store.article(id).await.map_err(|e| PageError::internal(&state, &e))?;
    let Some(article) = article else { return Err(PageError::NotFound(format!("There is no article {id}."))) };
    let source = state.store.source(article.source_id).await.map_err(|e| PageError::internal(&state, &e))?;
    let fields = article.fields;
    let when = fields.published_at.unwrap_or(article.fetched_at);
    let outlet = source.as_ref().map(source_name).unwrap_or_else(|| outlet_from_url(fields.url.as_deref()));
    // Stored HTML was sanitised at ingestion; it is the only unescaped value on the page. The page's extracted
    // article wins over the feed's text when it is the longer of the two (the feed had a teaser).
    let feed_words = fields.content_text.split_whitespace().count() as i64;
    let body_html = match article.extracted {
        Some(extracted) if extracted.word_count > feed_words => extracted.html,
        _ => fields.content_html.or(fields.summary_html).unwrap_or_else(|| {
            askama::filters::escape(&fields.content_text, askama::filters::Html)
                .map(|s| s.to_string())
                .unwrap_or_default()
        }),
    };
    // The error itself can name internal addresses the fetcher refused; readers only learn that it failed.
    let extraction_failed = article.extraction_error.is_some();
    let context = crate::stories::article_context(&state, id, article.source_id, article.story_id).await?;
    page(
        &ArticlePage {
            extraction_failed,
            rtl: fields.language.as_deref().is_some_and(is_right_to_left),
            lang: fields.language.clone(),
            title: fields.title,
            source_id: article.source_id,
            outlet,
            author: fields.author,
            url: fields.url,
            body_html,
            iso: timefmt::iso(when),
            absolute: timefmt::absolute(when),
            relative: timefmt::relative(when, Utc::now()),
            context,
        },
        &state,
    )
}

/// Languages written right to left, by primary subtag.
fn is_right_to_left(language: &str) -> bool {
    let primary = language.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
    matches!(primary.as_str(), "ar" | "he" | "iw" | "fa" | "ur" | "yi" | "ps" | "sd" | "ug" | "dv" | "ckb" | "syr")
}

pub(crate) fn source_name(source: &Source) -> String {
    source.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| outlet_from_url(Some(&source.url)))
}

pub(crate) struct SourceRow {
    id: i64,
    name: String,
    url: String,
    category: String,
    last_success: String,
    error_count: i32,
    next_poll: String,
    failing: bool,
}

#[derive(Template)]
#[template(path = "sources.html")]
struct SourcesPage {
    sources: Vec<SourceRow>,
}

pub(crate) async fn sources(State(state): State<AppState>) -> Result<Response, PageError> {
    let now = Utc::now();
    let sources = state.store.sources().await.map_err(|e| PageError::internal(&state, &e))?;
    let sources = sources
        .into_iter()
        .map(|s| SourceRow {
            id: s.id,
            name: source_name(&s),
            url: s.url.clone(),
            category: s.category.clone().unwrap_or_default(),
            last_success: s.last_success_at.map(|t| timefmt::relative(t, now)).unwrap_or_else(|| "never".to_owned()),
            error_count: s.error_count,
            next_poll: if s.disabled { "stopped".to_owned() } else { timefmt::absolute(s.next_poll_at) },
            failing: s.error_count > 0 || s.disabled,
        })
        .collect();
    page(&SourcesPage { sources }, &state)
}

#[derive(Template)]
#[template(path = "source.html")]
struct SourcePage {
    name: String,
    url: String,
    site_url: Option<String>,
    category: Option<String>,
    disabled: bool,
    failing: bool,
    last_success: String,
    next_poll: String,
    poll_every: String,
    articles: Vec<ArticleRow>,
    stories: Vec<StoryRow>,
}

/// "every 30 minutes", "every 2 hours": a poll interval for people.
fn interval(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("every {s} seconds"),
        s if s < 2 * 3600 => format!("every {} minutes", s / 60),
        s if s < 2 * 86_400 => format!("every {} hours", s / 3600),
        s => format!("every {} days", s / 86_400),
    }
}

pub(crate) async fn source(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, PageError> {
    let internal = |e: tidings_core::StoreError| PageError::internal(&state, &e);
    let Some(source) = state.store.source(id).await.map_err(internal)? else {
        return Err(PageError::NotFound(format!("There is no source {id}.")));
    };
    let items = state.store.source_articles(id, PAGE_SIZE).await.map_err(internal)?;
    let stories = state.store.source_stories(id, 10).await.map_err(internal)?;
    let now = Utc::now();
    page(
        &SourcePage {
            name: source_name(&source),
            url: source.url.clone(),
            site_url: source.site_url.clone(),
            category: source.category.clone().filter(|c| !c.is_empty()),
            disabled: source.disabled,
            failing: source.error_count > 0,
            last_success: source.last_success_at.map(|t| timefmt::relative(t, now)).unwrap_or_else(|| "never".into()),
            next_poll: if source.disabled { "stopped".to_owned() } else { timefmt::relative(source.next_poll_at, now) },
            poll_every: interval(source.poll_interval_secs),
            articles: items.into_iter().map(|item| ArticleRow::new(item, now)).collect(),
            stories: stories.iter().map(|s| StoryRow::new(s, now)).collect(),
        },
        &state,
    )
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub(crate) heading: String,
    pub(crate) message: String,
}

pub(crate) async fn not_found() -> PageError {
    PageError::NotFound("There is no page at this address.".to_owned())
}

pub(crate) async fn ready(State(state): State<AppState>) -> Response {
    match state.store.count_articles().await {
        Ok(n) => (StatusCode::OK, format!("ready: {n} articles ({})", state.store.backend())).into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response()
        }
    }
}
