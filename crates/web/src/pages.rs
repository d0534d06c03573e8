//! Page handlers and their templates.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tidings_core::{ArticleListItem, Source};

use crate::stories::{ArticleContext, StoryRow};
use crate::strings::Strings;
use crate::timefmt;
use crate::{AppState, PageError};

pub(crate) const PAGE_SIZE: i64 = 50;

pub(crate) fn render(template: &impl Template) -> Result<String, askama::Error> {
    template.render()
}

pub(crate) fn page(template: &impl Template, state: &AppState) -> Result<Response, PageError> {
    render(template).map(|html| Html(html).into_response()).map_err(|e| PageError::internal(state, &e))
}

/// A page with a heading and one message (errors, refusals), answered with `status`.
pub(crate) fn message_page(t: &'static Strings, status: StatusCode, heading: &str, message: String) -> Response {
    match render(&ErrorPage { t, heading: heading.to_owned(), message: message.clone() }) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, message).into_response(),
    }
}

/// The 404 for a page cursor (`?after=`) that is not one.
pub(crate) fn no_such_page(state: &AppState, raw: &str) -> PageError {
    let t = state.strings;
    PageError::not_found(state, t.with(t.no_such_page, t.quote(raw)))
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
    /// Visible comments (filled in by [`crate::community::comments::count_articles`] where lists show them).
    pub(crate) comments: i64,
}

impl ArticleRow {
    pub(crate) fn new(t: &Strings, item: ArticleListItem, now: DateTime<Utc>) -> ArticleRow {
        let outlet = item.source_title.unwrap_or_else(|| outlet_from_url(t, item.url.as_deref()));
        ArticleRow {
            id: item.id,
            title: item.title,
            source_id: item.source_id,
            outlet,
            excerpt: item.excerpt,
            iso: timefmt::iso(item.published_at),
            absolute: timefmt::absolute(t, item.published_at),
            relative: timefmt::relative(t, item.published_at, now),
            comments: 0,
        }
    }
}

/// An outlet's name when all we have is a URL.
pub(crate) fn outlet_from_url(t: &Strings, url: Option<&str>) -> String {
    url.and_then(tidings_core::urlnorm::host_of).unwrap_or_else(|| t.unknown_outlet.to_owned())
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    t: &'static Strings,
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
        Some(raw) => Some(crate::cursor::article(raw).ok_or_else(|| no_such_page(&state, raw))?),
    };
    let items = state.store.latest_articles(PAGE_SIZE, cursor).await.map_err(|e| PageError::internal(&state, &e))?;
    let next = crate::cursor::after_articles(&items, PAGE_SIZE);
    let now = Utc::now();
    let t = state.strings;
    let mut articles: Vec<ArticleRow> = items.into_iter().map(|item| ArticleRow::new(t, item, now)).collect();
    crate::community::comments::count_articles(&state, &mut articles).await;
    // Top stories lead the first page only; later pages continue the plain list.
    let top = if cursor.is_none() { crate::stories::home_stories(&state).await? } else { Vec::new() };
    page(&IndexPage { t, top, articles, next }, &state)
}

#[derive(Template)]
#[template(path = "article.html")]
struct ArticlePage {
    t: &'static Strings,
    id: i64,
    aids: crate::aids::ArticleAids,
    /// A summary written by a language model (`[llm]`), with its model's name, shown apart and labelled.
    machine_summary: Option<tidings_core::MachineSummary>,
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
    /// "First published by X; also at Y, Z", as markup built from escaped names (see `stories.rs`).
    syndication: Option<String>,
    thread: crate::community::comments::ThreadView,
    /// For a signed-in reader: whether the article is saved, and the form's CSRF token.
    save: Option<(bool, String)>,
}

pub(crate) async fn article(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    viewer: crate::community::Viewer,
    query: Query<crate::community::comments::ThreadQuery>,
) -> Result<Response, PageError> {
    let t = state.strings;
    let article = state.store.article(id).await.map_err(|e| PageError::internal(&state, &e))?;
    let Some(article) = article else { return Err(PageError::not_found(&state, t.with(t.no_article, id))) };
    let source = state.store.source(article.source_id).await.map_err(|e| PageError::internal(&state, &e))?;
    // The page's extracted article wins over the feed's text when it is the fuller of the two.
    let fuller_html = article.fuller_extraction().map(|e| e.html.clone());
    let fields = article.fields;
    let when = fields.published_at.unwrap_or(article.fetched_at);
    let outlet =
        source.as_ref().map(|s| source_name(t, s)).unwrap_or_else(|| outlet_from_url(t, fields.url.as_deref()));
    // Stored HTML was sanitised at ingestion; it is the only unescaped value on the page.
    let body_html = match fuller_html {
        Some(html) => html,
        None => fields.content_html.or(fields.summary_html).unwrap_or_else(|| {
            askama::filters::escape(&fields.content_text, askama::filters::Html)
                .map(|s| s.to_string())
                .unwrap_or_default()
        }),
    };
    let body_html = match state.images.as_deref() {
        Some(proxy) => proxy.rewrite_html(&body_html),
        None => body_html,
    };
    // The error itself can name internal addresses the fetcher refused; readers only learn that it failed.
    let extraction_failed = article.extraction_error.is_some();
    let context = crate::stories::article_context(&state, id, article.source_id, article.story_id).await?;
    let aids = state.store.article_aids(id).await.map_err(|e| PageError::internal(&state, &e))?;
    let machine_summary =
        state.store.machine_summaries().machine_summary(id).await.map_err(|e| PageError::internal(&state, &e))?;
    let sort = crate::community::comments::sort_of(&query);
    let target = tidings_core::accounts::CommentTarget::Article(id);
    let thread = crate::community::comments::thread(&state, &viewer, target, sort)
        .await
        .map_err(|e| PageError::internal(&state, &e))?;
    let save = match viewer.id() {
        Some(user) => {
            let saved = state.store.accounts().is_saved(user, id).await.map_err(|e| PageError::internal(&state, &e))?;
            Some((saved, viewer.csrf()))
        }
        None => None,
    };
    page(
        &ArticlePage {
            t,
            id,
            thread,
            save,
            aids: crate::aids::ArticleAids::new(t, aids),
            machine_summary,
            syndication: crate::stories::syndication_html(t, &context),
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
            absolute: timefmt::absolute(t, when),
            relative: timefmt::relative(t, when, Utc::now()),
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

pub(crate) fn source_name(t: &Strings, source: &Source) -> String {
    source
        .title
        .clone()
        .filter(|title| !title.trim().is_empty())
        .unwrap_or_else(|| outlet_from_url(t, Some(&source.url)))
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
    t: &'static Strings,
    sources: Vec<SourceRow>,
}

pub(crate) async fn sources(State(state): State<AppState>) -> Result<Response, PageError> {
    let (t, now) = (state.strings, Utc::now());
    let sources = state.store.sources().await.map_err(|e| PageError::internal(&state, &e))?;
    let sources = sources
        .into_iter()
        .map(|s| SourceRow {
            id: s.id,
            name: source_name(t, &s),
            url: s.url.clone(),
            category: s.category.clone().unwrap_or_default(),
            last_success: s.last_success_at.map_or_else(|| t.never.to_owned(), |at| timefmt::relative(t, at, now)),
            error_count: s.error_count,
            next_poll: if s.disabled { t.stopped.to_owned() } else { timefmt::absolute(t, s.next_poll_at) },
            failing: s.error_count > 0 || s.disabled,
        })
        .collect();
    page(&SourcesPage { t, sources }, &state)
}

#[derive(Template)]
#[template(path = "source.html")]
struct SourcePage {
    t: &'static Strings,
    follow: Option<crate::community::personal::FollowButton>,
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

pub(crate) async fn source(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    viewer: crate::community::Viewer,
) -> Result<Response, PageError> {
    let follow = crate::community::personal::FollowButton::for_viewer(
        &state,
        &viewer,
        tidings_core::accounts::FollowKind::Outlet,
        id.to_string(),
        format!("/sources/{id}"),
    )
    .await;
    let t = state.strings;
    let internal = |e: tidings_core::StoreError| PageError::internal(&state, &e);
    let Some(source) = state.store.source(id).await.map_err(internal)? else {
        return Err(PageError::not_found(&state, t.with(t.no_source, id)));
    };
    let items = state.store.source_articles(id, PAGE_SIZE).await.map_err(internal)?;
    let stories = state.store.source_stories(id, 10).await.map_err(internal)?;
    let now = Utc::now();
    page(
        &SourcePage {
            follow,
            t,
            name: source_name(t, &source),
            url: source.url.clone(),
            site_url: source.site_url.clone(),
            category: source.category.clone().filter(|c| !c.is_empty()),
            disabled: source.disabled,
            failing: source.error_count > 0,
            last_success: source.last_success_at.map_or_else(|| t.never.to_owned(), |at| timefmt::relative(t, at, now)),
            next_poll: if source.disabled {
                t.stopped.to_owned()
            } else {
                timefmt::relative(t, source.next_poll_at, now)
            },
            poll_every: timefmt::interval(t, source.poll_interval_secs),
            articles: items.into_iter().map(|item| ArticleRow::new(t, item, now)).collect(),
            stories: {
                let mut rows: Vec<StoryRow> = stories.iter().map(|s| StoryRow::new(t, s, now)).collect();
                crate::lean::mark_stories(&state, &mut rows).await;
                rows
            },
        },
        &state,
    )
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub(crate) t: &'static Strings,
    pub(crate) heading: String,
    pub(crate) message: String,
}

pub(crate) async fn not_found(State(state): State<AppState>) -> PageError {
    PageError::not_found(&state, state.strings.no_page.to_owned())
}

/// A path that exists, asked with a method it does not take: JSON under `/api/`, the error page elsewhere (axum
/// adds the `Allow` header).
pub(crate) async fn method_not_allowed(State(state): State<AppState>, method: Method, uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        let message = format!("{method} is not an operation of {}; see /api/openapi.json", uri.path());
        return crate::api::error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", message);
    }
    let t = state.strings;
    message_page(t, StatusCode::METHOD_NOT_ALLOWED, t.method_not_allowed, t.with(t.method_not_allowed_message, method))
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
