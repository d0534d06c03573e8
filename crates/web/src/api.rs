//! The JSON API under `/api/v1` and its OpenAPI 3.1 document at `/api/openapi.json`.
//!
//! The response types here are the API's contract, separate from the store's types so the store can change
//! without breaking clients. Lists are paginated by opaque cursors (`next`, passed back as `after`). Every
//! error has the body [`ApiError`] with a stable `code`; internal failures answer 500 with a request id and
//! log the cause.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tidings_core::accounts::CommentTarget;
use tidings_core::{ArticleCursor, ArticleListItem, OriginalReason, Source, StoryArticle, StorySummary, Syndication};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::admin::api::AdminTokenScheme;
use crate::community::api::ApiTokenScheme;
use crate::stories::{RELATED, STORY_ARTICLES};
use crate::{AppState, admin, community};

/// Items per page of a list.
const API_PAGE: i64 = 50;

/// The OpenAPI document of the API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tidings API",
        description = "JSON API of a Tidings news aggregator: stories, articles with their attribution and \
                       syndication, outlets and topics, entities, answers and comment threads; with a reader's API \
                       token, posting and voting on comments and the reader's own follows and saved articles; and, \
                       with the server's admin token, the sources it follows.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        list_articles,
        get_article,
        list_stories,
        get_story,
        crate::lean::api_blindspots,
        list_outlets,
        get_outlet,
        list_topics,
        topic_articles,
        crate::search::api,
        crate::aids::api_entities,
        crate::aids::api_entity,
        crate::aids::ask_api,
        admin::api::list_sources,
        admin::api::create_source,
        admin::api::delete_source,
        admin::api::update_source,
        community::api::article_comments,
        community::api::create_on_article,
        community::api::story_comments,
        community::api::create_on_story,
        community::api::edit,
        community::api::delete,
        community::api::vote,
        community::api::report,
        community::api::me,
        community::api::follows,
        community::api::add_follow,
        community::api::remove_follow,
        community::api::for_you,
        community::api::saved,
        community::api::save,
        community::api::unsave,
        community::api::export
    ),
    components(schemas(
        ApiError,
        ArticleSummary,
        ArticleList,
        ArticleDetail,
        SyndicationInfo,
        Reason,
        StoryInfo,
        StoryList,
        StoryDetail,
        StoryArticleInfo,
        crate::lean::LeanCoverageInfo,
        crate::lean::MissingSide,
        crate::lean::LeanInfo,
        crate::lean::BlindspotInfo,
        crate::lean::BlindspotList,
        OutletInfo,
        OutletList,
        OutletDetail,
        TopicInfo,
        TopicList,
        crate::search::SnippetPart,
        crate::search::SearchResult,
        crate::search::SearchResultList,
        crate::aids::EntityInfo,
        crate::aids::EntityDetail,
        crate::aids::EntityList,
        crate::aids::CitedSentence,
        crate::aids::AskAnswer,
        ArticleAidsInfo,
        ArticleEntity,
        MachineSummaryInfo,
        admin::api::SourceInfo,
        admin::api::SourceList,
        admin::api::NewSourceRequest,
        admin::api::SourceChanges,
        admin::api::Extract,
        community::api::CommentInfo,
        community::api::CommentList,
        community::api::NewCommentRequest,
        community::api::EditCommentRequest,
        community::api::VoteRequest,
        community::api::VoteResult,
        community::api::ReportRequest,
        community::api::MeInfo,
        community::api::FollowInfo,
        community::api::FollowList,
        community::api::PersonalArticles,
        community::api::Export,
        community::api::TokenInfo
    )),
    modifiers(&AdminTokenScheme, &ApiTokenScheme),
    tags((name = "stories"), (name = "articles"), (name = "outlets"), (name = "topics"), (name = "search"), (name = "entities"), (name = "ask"), (name = "sources"), (name = "comments"), (name = "me"))
)]
pub struct ApiDoc;

/// `/api/openapi.json`, with the limits this site is configured with.
pub(crate) async fn openapi(State(state): State<AppState>) -> Response {
    let mut doc = match serde_json::to_value(ApiDoc::openapi()) {
        Ok(doc) => doc,
        Err(e) => return internal(&state, &format_args!("writing the OpenAPI document: {e}")),
    };
    // The schemas say 10,000, the default; an operator may set `[accounts] max_comment_chars` otherwise.
    let max_comment = state.community.config.max_comment_chars;
    for schema in ["NewCommentRequest", "EditCommentRequest"] {
        if let Some(body) = doc.pointer_mut(&format!("/components/schemas/{schema}/properties/body")) {
            body["maxLength"] = max_comment.into();
        }
    }
    Json(doc).into_response()
}

/// Every API error: a stable machine-readable code and a message for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiError {
    /// `not_found`, `bad_cursor`, `bad_request` or `internal`; for `/api/v1/search` also `bad_query` and
    /// `search_disabled`; for `/api/v1/sources` also `unauthorized`,
    /// `admin_disabled`, `duplicate`, `no_feed` and `unavailable`.
    pub code: &'static str,
    /// What went wrong, naming the input.
    pub message: String,
}

pub(crate) fn error(status: StatusCode, code: &'static str, message: String) -> Response {
    (status, Json(ApiError { code, message })).into_response()
}

pub(crate) fn internal(state: &AppState, cause: &dyn std::fmt::Display) -> Response {
    let request_id = state.next_request_id();
    tracing::error!(%request_id, %cause, "API request failed");
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("internal error; request id {request_id}"))
}

fn not_found(what: &str, id: i64) -> Response {
    error(StatusCode::NOT_FOUND, "not_found", format!("there is no {what} {id}"))
}

/// An article in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleSummary {
    /// Article id.
    pub id: i64,
    /// Headline.
    pub title: String,
    /// Link to the article at its outlet.
    pub url: Option<String>,
    /// The outlet's id.
    pub outlet_id: i64,
    /// The outlet's name.
    pub outlet: Option<String>,
    /// Publication time (the time it was fetched when the outlet gave none).
    pub published_at: DateTime<Utc>,
    /// The first ~300 characters of its text.
    pub excerpt: String,
    /// Readers' comments on it that everyone can see (`/api/v1/articles/{id}/comments` lists them).
    pub comments: i64,
}

impl From<ArticleListItem> for ArticleSummary {
    fn from(a: ArticleListItem) -> Self {
        ArticleSummary {
            id: a.id,
            title: a.title,
            url: a.url,
            outlet_id: a.source_id,
            outlet: a.source_title,
            published_at: a.published_at,
            excerpt: a.excerpt,
            // Filled in by `count_comments` before the list goes out.
            comments: 0,
        }
    }
}

/// A page of articles, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleList {
    /// The articles.
    pub articles: Vec<ArticleSummary>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// Why an article is taken for the original of a text several outlets carry.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A copy's canonical link points to it.
    CanonicalLink,
    /// A copy credits it ("originally appeared in …").
    Credit,
    /// It is the wire service a copy's byline names.
    Wire,
    /// It was published first.
    Earliest,
}

impl From<OriginalReason> for Reason {
    fn from(r: OriginalReason) -> Self {
        match r {
            OriginalReason::CanonicalLink => Reason::CanonicalLink,
            OriginalReason::Credit => Reason::Credit,
            OriginalReason::Wire => Reason::Wire,
            OriginalReason::Earliest => Reason::Earliest,
        }
    }
}

/// "First published by X; also at Y, Z": the original of the article's text and the other outlets carrying it.
/// Empty when no other outlet carries the text.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct SyndicationInfo {
    /// The first publisher's article (may be the article itself).
    pub original: Option<ArticleSummary>,
    /// Why that one is the original.
    pub reason: Option<Reason>,
    /// The other copies, earliest first.
    pub copies: Vec<ArticleSummary>,
}

impl From<Syndication> for SyndicationInfo {
    fn from(s: Syndication) -> Self {
        SyndicationInfo {
            original: s.original.map(Into::into),
            reason: s.reason.map(Into::into),
            copies: s.copies.into_iter().map(Into::into).collect(),
        }
    }
}

/// One article with its attribution.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleDetail {
    /// Article id.
    pub id: i64,
    /// Headline.
    pub title: String,
    /// Link to the article at its outlet.
    pub url: Option<String>,
    /// The outlet's id.
    pub outlet_id: i64,
    /// The outlet's name.
    pub outlet: Option<String>,
    /// Byline.
    pub author: Option<String>,
    /// Publication time, when the outlet gave one.
    pub published_at: Option<DateTime<Utc>>,
    /// Language tag, when known.
    pub language: Option<String>,
    /// The story it belongs to, once clustered.
    pub story_id: Option<i64>,
    /// Plain text: the extracted article when there is one, else the feed's text.
    pub text: String,
    /// Its original and the other outlets carrying the same text.
    pub syndication: SyndicationInfo,
    /// Its reading aids, once the enrichment stage has seen it.
    pub aids: Option<ArticleAidsInfo>,
    /// A summary written by a language model, when the server has one configured (`[llm]`, off by default) and it
    /// has written one for this article; null otherwise. Label it as machine-written wherever it is shown.
    pub machine_summary: Option<MachineSummaryInfo>,
    /// Readers' comments on it that everyone can see (`/api/v1/articles/{id}/comments` lists them).
    pub comments: i64,
}

/// A summary of an article written by a language model, not by the outlet nor chosen from the article's own
/// sentences like `aids.summary`: it may contain errors.
#[derive(Debug, Serialize, ToSchema)]
pub struct MachineSummaryInfo {
    /// The summary: one paragraph of plain text, usually three sentences.
    pub text: String,
    /// The model that wrote it, as the server's endpoint names it.
    pub model: String,
    /// When it was written.
    pub created: DateTime<Utc>,
}

impl From<tidings_core::MachineSummary> for MachineSummaryInfo {
    fn from(s: tidings_core::MachineSummary) -> Self {
        MachineSummaryInfo { text: s.text, model: s.model, created: s.created_at }
    }
}

/// An article's reading aids, computed by Tidings from its text.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleAidsInfo {
    /// The language detected from the text (ISO 639-1), else the declared one.
    pub language: Option<String>,
    /// About three sentences chosen from the article, in its order. Empty when Tidings cannot summarise the
    /// language.
    pub summary: Vec<String>,
    /// Short points from the article.
    pub key_points: Vec<String>,
    /// Topics, from the outlet's category and the topic classifier.
    pub topics: Vec<String>,
    /// People, organisations, places and other names, the most mentioned first (English articles only).
    pub entities: Vec<ArticleEntity>,
}

/// A name an article mentions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleEntity {
    /// Its key, also the path of its page under `/entities/` and of its API resource under `/api/v1/entities/`.
    pub key: String,
    /// The name as shown (the fullest form the article uses).
    pub name: String,
    /// `person`, `organisation`, `place` or `other`.
    pub kind: String,
    /// How often the article names it, all its variants counted.
    pub mentions: i32,
}

/// A story: the coverage of one event.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoryInfo {
    /// Story id.
    pub id: i64,
    /// Headline, chosen from its articles' titles.
    pub headline: String,
    /// Number of articles.
    pub article_count: i64,
    /// Number of distinct outlets.
    pub outlet_count: i64,
    /// Its earliest article's time.
    pub first_seen: DateTime<Utc>,
    /// Its newest article's time.
    pub last_updated: DateTime<Utc>,
    /// Readers' comments on the story that everyone can see (`/api/v1/stories/{id}/comments` lists them).
    pub comments: i64,
}

impl From<StorySummary> for StoryInfo {
    fn from(s: StorySummary) -> Self {
        StoryInfo {
            id: s.id,
            headline: s.headline,
            article_count: s.article_count,
            outlet_count: s.outlet_count,
            first_seen: s.first_seen,
            last_updated: s.last_updated,
            // Filled in by `count_comments` before the list goes out.
            comments: 0,
        }
    }
}

/// A page of stories, most recently updated first.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoryList {
    /// The stories.
    pub stories: Vec<StoryInfo>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// An article on a story's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoryArticleInfo {
    /// The article.
    #[serde(flatten)]
    pub article: ArticleSummary,
    /// Its original, when it is a copy of another outlet's article.
    pub original_article_id: Option<i64>,
}

impl From<StoryArticle> for StoryArticleInfo {
    fn from(a: StoryArticle) -> Self {
        StoryArticleInfo { article: a.article.into(), original_article_id: a.original_article_id }
    }
}

/// A story with its timeline and related stories.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoryDetail {
    /// The story.
    #[serde(flatten)]
    pub story: StoryInfo,
    /// Its articles, oldest first.
    pub articles: Vec<StoryArticleInfo>,
    /// Stories sharing names and terms with it, best first.
    pub related: Vec<StoryInfo>,
    /// The names its articles mention, the most widely named first (`article_count` counts within the story).
    pub entities: Vec<crate::aids::EntityInfo>,
    /// Its articles' topics, the most common first.
    pub topics: Vec<String>,
    /// Its outlets by the lean the operator rates them, and whether it is a blindspot.
    pub lean_coverage: crate::lean::LeanCoverageInfo,
}

/// An outlet (a followed source).
#[derive(Debug, Serialize, ToSchema)]
pub struct OutletInfo {
    /// Outlet id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its web site.
    pub site_url: Option<String>,
    /// Its topic (from the OPML folder or `--category`).
    pub category: Option<String>,
    /// Whether its last poll worked (the error itself is for operators only).
    pub healthy: bool,
    /// When a poll last worked.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Its political lean, as the operator rates it (null: not rated).
    pub lean: Option<crate::lean::LeanInfo>,
}

impl From<&Source> for OutletInfo {
    fn from(s: &Source) -> Self {
        OutletInfo {
            id: s.id,
            // The API speaks English whatever the site's language (see `strings.rs`).
            name: crate::pages::source_name(&crate::strings::EN, s),
            site_url: s.site_url.clone(),
            category: s.category.clone(),
            healthy: s.error_count == 0 && !s.disabled,
            last_success_at: s.last_success_at,
            lean: s.lean.map(Into::into),
        }
    }
}

/// Every outlet.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutletList {
    /// The outlets, by id.
    pub outlets: Vec<OutletInfo>,
}

/// An outlet with its latest articles.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutletDetail {
    /// The outlet.
    #[serde(flatten)]
    pub outlet: OutletInfo,
    /// Its newest articles.
    pub articles: Vec<ArticleSummary>,
}

/// Pagination of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Page {
    /// The `next` value of the previous page.
    #[param(pattern = r"^(-?[0-9]{1,18}_[0-9]{1,18})?$")]
    after: Option<String>,
}

impl Page {
    /// The cursor text, when one was given (an empty `after=` is none).
    fn after(&self) -> Option<&str> {
        self.after.as_deref().filter(|a| !a.is_empty())
    }
}

/// A path that is not an id names nothing here, so it is a 404 like an id that does not exist.
fn not_an_id(raw: &str, what: &str) -> Response {
    error(StatusCode::NOT_FOUND, "not_found", format!("there is no {what} {raw:?}"))
}

/// A query string that does not fit the parameters (a repeated `after`, say), answered in JSON like every error.
pub(crate) fn bad_query(rejection: &QueryRejection) -> Response {
    error(StatusCode::BAD_REQUEST, "bad_request", format!("bad query string: {}", rejection.body_text()))
}

fn bad_cursor(raw: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "bad_cursor", format!("`after` is not a cursor from this API: {raw:?}"))
}

/// A request's query refused: an [`ApiError`] with its status, turned into a response by the handler.
struct Refused(StatusCode, &'static str, String);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        error(self.0, self.1, self.2)
    }
}

/// The article cursor a list request asks for (none for the first page).
fn article_cursor(page: Result<Query<Page>, QueryRejection>) -> Result<Option<ArticleCursor>, Refused> {
    let Query(page) = page
        .map_err(|r| Refused(StatusCode::BAD_REQUEST, "bad_request", format!("bad query string: {}", r.body_text())))?;
    match page.after() {
        None => Ok(None),
        Some(raw) => crate::cursor::article(raw).map(Some).ok_or_else(|| {
            Refused(StatusCode::BAD_REQUEST, "bad_cursor", format!("`after` is not a cursor from this API: {raw:?}"))
        }),
    }
}

/// The newest articles.
#[utoipa::path(get, path = "/api/v1/articles", tag = "articles", params(Page),
    responses((status = 200, body = ArticleList), (status = 400, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn list_articles(
    State(state): State<AppState>,
    page: Result<Query<Page>, QueryRejection>,
) -> Response {
    let cursor = match article_cursor(page) {
        Ok(cursor) => cursor,
        Err(refused) => return refused.into_response(),
    };
    match state.store.latest_articles(API_PAGE, cursor).await {
        Ok(items) => {
            let next = crate::cursor::after_articles(&items, API_PAGE);
            let mut articles: Vec<ArticleSummary> = items.into_iter().map(Into::into).collect();
            if let Err(e) = count_comments(&state, &mut articles).await {
                return internal(&state, &e);
            }
            Json(ArticleList { articles, next }).into_response()
        }
        Err(e) => internal(&state, &e),
    }
}

/// One article, with its story and syndication.
#[utoipa::path(get, path = "/api/v1/articles/{id}", tag = "articles", params(("id" = i64, Path, description = "Article id")),
    responses((status = 200, body = ArticleDetail), (status = 404, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn get_article(State(state): State<AppState>, path: Result<Path<String>, PathRejection>) -> Response {
    let raw = raw_segment(path);
    let Ok(id) = raw.parse::<i64>() else { return not_an_id(&raw, "article") };
    let article = match state.store.article(id).await {
        Ok(Some(article)) => article,
        Ok(None) => return not_found("article", id),
        Err(e) => return internal(&state, &e),
    };
    let outlet = match state.store.source(article.source_id).await {
        Ok(source) => source.as_ref().map(|s| crate::pages::source_name(&crate::strings::EN, s)),
        Err(e) => return internal(&state, &e),
    };
    let syndication = match state.store.syndication(id).await {
        Ok(s) => s,
        Err(e) => return internal(&state, &e),
    };
    let aids = match state.store.article_aids(id).await {
        Ok(a) => a,
        Err(e) => return internal(&state, &e),
    };
    let machine_summary = match state.store.machine_summaries().machine_summary(id).await {
        Ok(m) => m.map(Into::into),
        Err(e) => return internal(&state, &e),
    };
    let comments = match visible_comments(&state, CommentTarget::Article(id)).await {
        Ok(n) => n,
        Err(e) => return internal(&state, &e),
    };
    let mut syndication: SyndicationInfo = syndication.into();
    if let Err(e) = count_comments(&state, syndication.original.iter_mut().chain(&mut syndication.copies)).await {
        return internal(&state, &e);
    }
    let text = article.readable_text().to_owned();
    Json(ArticleDetail {
        id,
        title: article.fields.title,
        url: article.fields.url,
        outlet_id: article.source_id,
        outlet,
        author: article.fields.author,
        published_at: article.fields.published_at,
        language: article.fields.language,
        story_id: article.story_id,
        text,
        syndication,
        aids: aids.map(|a| ArticleAidsInfo {
            language: a.language,
            summary: a.summary,
            key_points: a.key_points,
            topics: a.topics,
            entities: a
                .entities
                .into_iter()
                .map(|e| ArticleEntity {
                    key: e.key,
                    name: e.name,
                    kind: e.kind.as_str().to_owned(),
                    mentions: e.mentions,
                })
                .collect(),
        }),
        machine_summary,
        comments,
    })
    .into_response()
}

/// How many comments on `target` everyone can see.
async fn visible_comments(state: &AppState, target: CommentTarget) -> Result<i64, tidings_core::StoreError> {
    let counts = state.store.accounts().comment_counts(&[target]).await?;
    Ok(counts.into_iter().find(|(t, _)| *t == target).map_or(0, |(_, n)| n))
}

/// An API object that carries a visible comment count.
pub(crate) trait Commented: Send {
    /// What its comments are on.
    fn target(&self) -> CommentTarget;
    /// Sets its count.
    fn set_comments(&mut self, n: i64);
}

impl Commented for ArticleSummary {
    fn target(&self) -> CommentTarget {
        CommentTarget::Article(self.id)
    }
    fn set_comments(&mut self, n: i64) {
        self.comments = n;
    }
}

impl Commented for StoryInfo {
    fn target(&self) -> CommentTarget {
        CommentTarget::Story(self.id)
    }
    fn set_comments(&mut self, n: i64) {
        self.comments = n;
    }
}

/// Fills in how many comments everyone can see on each of `items` (one store call for the lot, a query per kind
/// of object; items of different kinds go together as `&mut dyn Commented`).
pub(crate) async fn count_comments<'a, T: Commented + ?Sized + 'a>(
    state: &AppState,
    items: impl IntoIterator<Item = &'a mut T>,
) -> Result<(), tidings_core::StoreError> {
    let mut items: Vec<&mut T> = items.into_iter().collect();
    let targets: Vec<CommentTarget> = items.iter().map(|i| i.target()).collect();
    let counts = comment_counts(state, &targets).await?;
    for item in &mut items {
        let n = counts.get(&item.target()).copied().unwrap_or(0);
        item.set_comments(n);
    }
    Ok(())
}

async fn comment_counts(
    state: &AppState,
    targets: &[CommentTarget],
) -> Result<std::collections::HashMap<CommentTarget, i64>, tidings_core::StoreError> {
    if targets.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(state.store.accounts().comment_counts(targets).await?.into_iter().collect())
}

/// Stories, most recently updated first.
#[utoipa::path(get, path = "/api/v1/stories", tag = "stories", params(Page),
    responses((status = 200, body = StoryList), (status = 400, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn list_stories(State(state): State<AppState>, page: Result<Query<Page>, QueryRejection>) -> Response {
    let page = match page {
        Ok(Query(page)) => page,
        Err(rejection) => return bad_query(&rejection),
    };
    let cursor = match page.after() {
        None => None,
        Some(raw) => match crate::cursor::story(raw) {
            Some(c) => Some(c),
            None => return bad_cursor(raw),
        },
    };
    match state.store.latest_stories(API_PAGE, cursor).await {
        Ok(stories) => {
            let next = crate::cursor::after_stories(&stories, API_PAGE);
            let mut stories: Vec<StoryInfo> = stories.into_iter().map(Into::into).collect();
            if let Err(e) = count_comments(&state, &mut stories).await {
                return internal(&state, &e);
            }
            Json(StoryList { stories, next }).into_response()
        }
        Err(e) => internal(&state, &e),
    }
}

/// One story: its timeline and related stories. A story merged into another answers as the one it became.
#[utoipa::path(get, path = "/api/v1/stories/{id}", tag = "stories", params(("id" = i64, Path, description = "Story id")),
    responses((status = 200, body = StoryDetail), (status = 404, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn get_story(State(state): State<AppState>, path: Result<Path<String>, PathRejection>) -> Response {
    let raw = raw_segment(path);
    let Ok(id) = raw.parse::<i64>() else { return not_an_id(&raw, "story") };
    let story = match state.store.story(id).await {
        Ok(Some(story)) => story,
        Ok(None) => return not_found("story", id),
        Err(e) => return internal(&state, &e),
    };
    let articles = state.store.story_articles(story.id, STORY_ARTICLES).await;
    let related = state.store.related_stories(story.id, RELATED).await;
    let entities = state.store.story_entities(story.id, 30).await;
    let topics = match state.store.story_topics(story.id).await {
        Ok(topics) => topics.into_iter().map(|(name, _)| name).collect(),
        Err(e) => return internal(&state, &e),
    };
    let lean_coverage = state.store.story_lean_coverage(story.id).await;
    let (articles, related, entities, lean_coverage) = match (articles, related, entities, lean_coverage) {
        (Ok(articles), Ok(related), Ok(entities), Ok(lean_coverage)) => (articles, related, entities, lean_coverage),
        (Err(e), _, _, _) | (_, Err(e), _, _) | (_, _, Err(e), _) | (_, _, _, Err(e)) => return internal(&state, &e),
    };
    let mut detail = StoryDetail {
        topics,
        lean_coverage: lean_coverage.into(),
        story: story.into(),
        articles: articles.into_iter().map(Into::into).collect(),
        related: related.into_iter().map(Into::into).collect(),
        entities: entities.into_iter().map(Into::into).collect(),
    };
    let stories = std::iter::once(&mut detail.story).chain(&mut detail.related).map(|s| s as &mut dyn Commented);
    let articles = detail.articles.iter_mut().map(|a| &mut a.article as &mut dyn Commented);
    match count_comments(&state, stories.chain(articles)).await {
        Ok(()) => Json(detail).into_response(),
        Err(e) => internal(&state, &e),
    }
}

/// Every outlet, with its health.
#[utoipa::path(get, path = "/api/v1/outlets", tag = "outlets",
    responses((status = 200, body = OutletList), (status = 500, body = ApiError)))]
pub(crate) async fn list_outlets(State(state): State<AppState>) -> Response {
    match state.store.sources().await {
        Ok(sources) => Json(OutletList { outlets: sources.iter().map(Into::into).collect() }).into_response(),
        Err(e) => internal(&state, &e),
    }
}

/// One outlet and its newest articles.
#[utoipa::path(get, path = "/api/v1/outlets/{id}", tag = "outlets", params(("id" = i64, Path, description = "Outlet id")),
    responses((status = 200, body = OutletDetail), (status = 404, body = ApiError), (status = 500, body = ApiError)))]
pub(crate) async fn get_outlet(State(state): State<AppState>, path: Result<Path<String>, PathRejection>) -> Response {
    let raw = raw_segment(path);
    let Ok(id) = raw.parse::<i64>() else { return not_an_id(&raw, "outlet") };
    let source = match state.store.source(id).await {
        Ok(Some(source)) => source,
        Ok(None) => return not_found("outlet", id),
        Err(e) => return internal(&state, &e),
    };
    match state.store.source_articles(id, API_PAGE).await {
        Ok(items) => {
            let mut articles: Vec<ArticleSummary> = items.into_iter().map(Into::into).collect();
            if let Err(e) = count_comments(&state, &mut articles).await {
                return internal(&state, &e);
            }
            Json(OutletDetail { outlet: (&source).into(), articles }).into_response()
        }
        Err(e) => internal(&state, &e),
    }
}

/// A topic: a category of followed sources.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopicInfo {
    /// Its name, as the sources' category spells it.
    pub name: String,
    /// How many sources carry it.
    pub sources: i64,
}

/// Every topic, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopicList {
    /// The topics.
    pub topics: Vec<TopicInfo>,
}

/// Every topic.
#[utoipa::path(get, path = "/api/v1/topics", tag = "topics",
    responses((status = 200, body = TopicList), (status = 500, body = ApiError)))]
pub(crate) async fn list_topics(State(state): State<AppState>) -> Response {
    match state.store.topics().await {
        Ok(topics) => {
            Json(TopicList { topics: topics.into_iter().map(|(name, sources)| TopicInfo { name, sources }).collect() })
                .into_response()
        }
        Err(e) => internal(&state, &e),
    }
}

/// The newest articles of a topic.
#[utoipa::path(get, path = "/api/v1/topics/{name}/articles", tag = "topics",
    params(("name" = String, Path, description = "Topic name"), Page),
    responses((status = 200, body = ArticleList), (status = 400, body = ApiError), (status = 404, body = ApiError),
        (status = 500, body = ApiError)))]
pub(crate) async fn topic_articles(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    page: Result<Query<Page>, QueryRejection>,
) -> Response {
    let name = raw_segment(path);
    let cursor = match article_cursor(page) {
        Ok(cursor) => cursor,
        Err(refused) => return refused.into_response(),
    };
    match state.store.topics().await {
        Ok(topics) if topics.iter().any(|(t, _)| *t == name) => {}
        Ok(_) => return error(StatusCode::NOT_FOUND, "not_found", format!("there is no topic {name:?}")),
        Err(e) => return internal(&state, &e),
    }
    match state.store.topic_articles(&name, API_PAGE, cursor).await {
        Ok(items) => {
            let next = crate::cursor::after_articles(&items, API_PAGE);
            let mut articles: Vec<ArticleSummary> = items.into_iter().map(Into::into).collect();
            if let Err(e) = count_comments(&state, &mut articles).await {
                return internal(&state, &e);
            }
            Json(ArticleList { articles, next }).into_response()
        }
        Err(e) => internal(&state, &e),
    }
}

/// A path segment as sent, or empty when it is not one (not UTF-8 once decoded): an address that names nothing,
/// which the handlers answer with their JSON 404 rather than axum's plain-text 400.
pub(crate) fn raw_segment(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(raw)| raw).unwrap_or_default()
}

/// Unknown paths under `/api/` answer JSON, not the HTML error page.
pub(crate) async fn unknown() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", "no API endpoint at this path; see /api/openapi.json".to_owned())
}
