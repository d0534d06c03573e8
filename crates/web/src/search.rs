//! Search: the page at `/search?q=`, its Atom feed, and `/api/v1/search`, all over the same [`SearchIndex`]
//! call. The index ranks and cuts snippets; the store then supplies each hit's current title, outlet and time,
//! and leaves out articles deleted since they were indexed.

use askama::Template;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tidings_core::search::{Fragment, QueryError};
use tidings_core::{ArticleListItem, SearchQuery};
use utoipa::{IntoParams, ToSchema};

use crate::api::{ApiError, ArticleSummary, error, internal};
use crate::pages::{ArticleRow, render};
use crate::strings::Strings;
use crate::{AppState, PageError};

/// Results per page on the site.
const PAGE_RESULTS: usize = 20;
/// Results per page in the API, unless the request asks for fewer.
const API_RESULTS: usize = 20;
/// The API's largest page.
const API_MAX_RESULTS: usize = 50;
/// Results are served up to this deep; beyond, narrow the query.
const MAX_OFFSET: usize = 1000;
/// Entries in a search's Atom feed.
const FEED_RESULTS: usize = 50;

/// What a search found, ready for any of the three outputs.
struct Found {
    total: usize,
    items: Vec<(ArticleListItem, Vec<Fragment>)>,
}

enum Failed {
    Disabled,
    BadQuery(QueryError),
    TooDeep,
    Internal(String),
}

async fn run(state: &AppState, raw: &str, offset: usize, limit: usize) -> Result<Found, Failed> {
    let Some(index) = &state.search else { return Err(Failed::Disabled) };
    let query = SearchQuery::parse(raw).map_err(Failed::BadQuery)?;
    if offset > MAX_OFFSET {
        return Err(Failed::TooDeep);
    }
    let results = index.search(&query, offset, limit, Utc::now()).await.map_err(|e| Failed::Internal(e.to_string()))?;
    let ids: Vec<i64> = results.hits.iter().map(|h| h.id).collect();
    let mut listed = state.store.articles_by_ids(&ids).await.map_err(|e| Failed::Internal(e.to_string()))?.into_iter();
    let mut items = Vec::with_capacity(ids.len());
    let mut next = listed.next();
    for hit in results.hits {
        if let Some(item) = next.take_if(|item| item.id == hit.id) {
            items.push((item, hit.snippet));
            next = listed.next();
        }
    }
    Ok(Found { total: results.total, items })
}

struct ResultRow {
    article: ArticleRow,
    snippet: Vec<Fragment>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    t: &'static Strings,
    q: String,
    error: Option<String>,
    total: usize,
    results: Vec<ResultRow>,
    page: usize,
    previous: Option<usize>,
    next: Option<usize>,
    feed: Option<String>,
}

impl SearchPage {
    fn empty(t: &'static Strings, q: String) -> SearchPage {
        SearchPage { t, q, error: None, total: 0, results: Vec::new(), page: 1, previous: None, next: None, feed: None }
    }
}

/// Why a query cannot be searched, in the reader's language.
fn query_problem(t: &Strings, error: &QueryError) -> String {
    match error {
        QueryError::Empty => t.query_empty.to_owned(),
        QueryError::TooLong(n) => {
            t.fill(t.query_too_long, &[("n", n), ("max", &tidings_core::search::MAX_QUERY_CHARS)])
        }
        QueryError::TooManyClauses(n) => {
            t.fill(t.query_too_many, &[("n", n), ("max", &tidings_core::search::MAX_QUERY_CLAUSES)])
        }
        QueryError::BadDate { filter, value } => t.fill(t.query_bad_date, &[("filter", filter), ("value", value)]),
        QueryError::OnlyExclusions => t.query_only_exclusions.to_owned(),
    }
}

/// The site's search parameters.
#[derive(Deserialize)]
pub(crate) struct PageParams {
    #[serde(default)]
    q: String,
    page: Option<String>,
}

/// `/search?q=…&page=N`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
) -> Result<Response, PageError> {
    let t = state.strings;
    let q = params.q.trim().to_owned();
    if q.is_empty() {
        let page = SearchPage::empty(t, q);
        return match state.search {
            Some(_) => crate::pages::page(&page, &state),
            None => refused_page(&state, StatusCode::SERVICE_UNAVAILABLE, page, t.search_off),
        };
    }
    let number = match params.page.as_deref().map(str::parse::<usize>) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => {
            let page = t.quote(params.page.as_deref().unwrap_or_default());
            return Err(PageError::not_found(&state, t.with(t.no_results_page, page)));
        }
    };
    // Saturating: a page number past any result is "too deep", not an overflow.
    let offset = (number - 1).saturating_mul(PAGE_RESULTS);
    let found = match run(&state, &q, offset, PAGE_RESULTS).await {
        Ok(found) => found,
        Err(Failed::Internal(cause)) => return Err(PageError::internal(&state, &cause)),
        Err(Failed::Disabled) => {
            return refused_page(&state, StatusCode::SERVICE_UNAVAILABLE, SearchPage::empty(t, q), t.search_off);
        }
        Err(Failed::BadQuery(e)) => {
            let message = t.with(t.search_refused, query_problem(t, &e));
            return refused_page(&state, StatusCode::BAD_REQUEST, SearchPage::empty(t, q), &message);
        }
        Err(Failed::TooDeep) => {
            let message = t.with(t.search_too_deep, MAX_OFFSET);
            return refused_page(&state, StatusCode::BAD_REQUEST, SearchPage::empty(t, q), &message);
        }
    };
    let now = Utc::now();
    let feed = Some(query_string(&q));
    let shown_to = offset + found.items.len();
    let results = found
        .items
        .into_iter()
        .map(|(item, snippet)| ResultRow { article: ArticleRow::new(t, item, now), snippet })
        .collect();
    let next = (shown_to < found.total && offset + PAGE_RESULTS <= MAX_OFFSET).then_some(number + 1);
    let previous = (number > 1).then(|| number - 1);
    let page = SearchPage { t, q, error: None, total: found.total, results, page: number, previous, next, feed };
    crate::pages::page(&page, &state)
}

fn refused_page(
    state: &AppState,
    status: StatusCode,
    mut page: SearchPage,
    message: &str,
) -> Result<Response, PageError> {
    page.error = Some(message.to_owned());
    let html = render(&page).map_err(|e| PageError::internal(state, &e))?;
    Ok((status, Html(html)).into_response())
}

/// `q` as a URL query value.
fn query_string(q: &str) -> String {
    let mut out = String::new();
    for byte in q.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `/search/feed.atom?q=…`: the newest-ranked results of a search as an Atom feed, to follow a search in a
/// feed reader.
pub(crate) async fn feed(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let q = params.q.trim().to_owned();
    let found = match run(&state, &q, 0, FEED_RESULTS).await {
        Ok(found) => found,
        Err(Failed::Internal(cause)) => return Err(PageError::internal(&state, &cause)),
        Err(Failed::Disabled) => {
            return Ok((StatusCode::SERVICE_UNAVAILABLE, "search is turned off on this server").into_response());
        }
        Err(Failed::BadQuery(e)) => return Ok((StatusCode::BAD_REQUEST, e.to_string()).into_response()),
        Err(Failed::TooDeep) => return Ok((StatusCode::BAD_REQUEST, "too deep").into_response()),
    };
    let base = crate::feeds_out::origin(&state, &headers);
    let encoded = query_string(&q);
    let mut out = String::new();
    crate::feeds_out::feed_head(
        &mut out,
        &state.strings.with(state.strings.feed_search_title, &q),
        &format!("{base}/search/feed.atom?q={encoded}"),
        &format!("{base}/search?q={encoded}"),
        found.items.iter().map(|(a, _)| a.published_at).max().unwrap_or_else(Utc::now),
    );
    for (item, _) in &found.items {
        crate::feeds_out::article_entry(state.strings, &mut out, &base, item);
    }
    out.push_str("</feed>\n");
    Ok(crate::feeds_out::atom_response(out))
}

/// The API's search parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ApiParams {
    /// The query: words, "phrases", -exclusions, outlet:NAME, topic:NAME, after:YYYY-MM-DD, before:YYYY-MM-DD.
    /// A query that selects nothing (empty, or only exclusions) finds nothing.
    #[param(max_length = 500)]
    q: String,
    /// At most this many results (1 to 50, default 20).
    #[param(minimum = 1, maximum = 50)]
    limit: Option<u32>,
    /// The `next` of the previous page (an empty `after=` is none).
    #[param(pattern = r"^(r([0-9]{1,3}|1000))?$")]
    after: Option<String>,
}

/// A piece of a snippet; `hit` marks text that matched the query.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnippetPart {
    /// The text (plain, not HTML).
    pub text: String,
    /// True when it matched a query word.
    pub hit: bool,
}

/// One search result.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    /// The article.
    pub article: ArticleSummary,
    /// A passage around the matches.
    pub snippet: Vec<SnippetPart>,
}

/// A page of search results, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResultList {
    /// How many articles match in all.
    pub total: u64,
    /// This page.
    pub results: Vec<SearchResult>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// Full-text search over articles, ranked by relevance blended with recency.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(ApiParams),
    responses((status = 200, body = SearchResultList), (status = 400, body = ApiError),
              (status = 503, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn api(State(state): State<AppState>, params: Result<Query<ApiParams>, QueryRejection>) -> Response {
    let Query(params) = match params {
        Ok(params) => params,
        Err(r) => return error(StatusCode::BAD_REQUEST, "bad_request", format!("bad query string: {}", r.body_text())),
    };
    let limit = params.limit.unwrap_or(API_RESULTS as u32) as usize;
    if !(1..=API_MAX_RESULTS).contains(&limit) {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("limit must be between 1 and {API_MAX_RESULTS}, not {limit}"),
        );
    }
    let offset = match params.after.as_deref().filter(|a| !a.is_empty()) {
        None => 0,
        Some(raw) => match raw.strip_prefix('r').and_then(|n| n.parse::<usize>().ok()) {
            Some(offset) => offset,
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "bad_cursor",
                    format!("`after` is not a cursor from this API: {raw:?}"),
                );
            }
        },
    };
    match run(&state, &params.q, offset, limit).await {
        Ok(found) => {
            let end = offset + limit;
            let next = (end < found.total && end <= MAX_OFFSET).then(|| format!("r{end}"));
            let mut results: Vec<SearchResult> = found
                .items
                .into_iter()
                .map(|(item, snippet)| SearchResult {
                    article: item.into(),
                    snippet: snippet.into_iter().map(|f| SnippetPart { text: f.text, hit: f.hit }).collect(),
                })
                .collect();
            if let Err(e) = crate::api::count_comments(&state, results.iter_mut().map(|r| &mut r.article)).await {
                return internal(&state, &e);
            }
            Json(SearchResultList { total: found.total as u64, results, next }).into_response()
        }
        Err(Failed::Disabled) => {
            error(StatusCode::SERVICE_UNAVAILABLE, "search_disabled", "search is turned off on this server".to_owned())
        }
        // A query that selects nothing finds nothing: an empty answer, not an error, as the schema allows any q.
        Err(Failed::BadQuery(QueryError::Empty | QueryError::OnlyExclusions)) => {
            Json(SearchResultList { total: 0, results: Vec::new(), next: None }).into_response()
        }
        Err(Failed::BadQuery(e)) => error(StatusCode::BAD_REQUEST, "bad_query", format!("q: {e}")),
        Err(Failed::TooDeep) => error(
            StatusCode::BAD_REQUEST,
            "bad_cursor",
            format!("results are served up to number {MAX_OFFSET}; narrow the query"),
        ),
        Err(Failed::Internal(cause)) => internal(&state, &cause),
    }
}
