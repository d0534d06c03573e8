//! Reading aids on the pages and in the API: an article's summary, key points, names and topics (computed by
//! the enrichment stage and stored), a story's brief (computed here from its articles), the pages of names, and
//! Ask (search, then sentence scoring, over stored coverage).

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tidings_core::{ArticleId, Enrichment, EntityKind, EntitySummary, SearchQuery, StoryId};
use tidings_text::ask::{Answer, Passage};
use utoipa::{IntoParams, ToSchema};

use crate::pages::{ArticleRow, page};
use crate::stories::StoryRow;
use crate::strings::Strings;
use crate::{AppState, PageError};

/// The longest question accepted.
pub(crate) const MAX_QUESTION_CHARS: usize = 300;

/// Articles a question is asked of, at most.
const ASK_ARTICLES: usize = 12;

/// Articles of a story the brief reads: one per outlet, the first of each. The brief is computed as the page
/// renders, and its cost grows with the square of the sentences read: ten outlets keep a rendering of a large
/// story within tens of milliseconds.
const BRIEF_ARTICLES: usize = 10;

/// Names shown on an article or story page.
const PAGE_ENTITIES: usize = 18;

/// A link to a name's page.
pub(crate) struct EntityLink {
    pub(crate) key: String,
    pub(crate) name: String,
    /// For story pages: how many of its articles name it.
    pub(crate) count: i64,
}

/// Names of one kind.
pub(crate) struct EntityGroup {
    pub(crate) label: &'static str,
    pub(crate) entities: Vec<EntityLink>,
}

/// Groups names by kind, in a fixed order (people, organisations, places, other).
fn group_entities(t: &Strings, entities: Vec<(EntityKind, EntityLink)>) -> Vec<EntityGroup> {
    let kinds = EntityKind::ALL;
    let mut groups: Vec<EntityGroup> =
        (0..4).map(|i| EntityGroup { label: t.entity_kinds[i], entities: Vec::new() }).collect();
    for (kind, link) in entities {
        if let Some(i) = kinds.iter().position(|k| *k == kind) {
            groups[i].entities.push(link);
        }
    }
    groups.retain(|g| !g.entities.is_empty());
    groups
}

/// A topic link.
pub(crate) struct TopicLink {
    pub(crate) name: String,
    pub(crate) slug: String,
}

/// An article's aids as its page shows them.
#[derive(Default)]
pub(crate) struct ArticleAids {
    pub(crate) summary: Vec<String>,
    pub(crate) key_points: Vec<String>,
    /// Why there is no summary, when the language is the reason.
    pub(crate) summary_unsupported: Option<String>,
    /// Why there are no names, when the language is the reason.
    pub(crate) entities_unsupported: Option<String>,
    pub(crate) groups: Vec<EntityGroup>,
    pub(crate) topics: Vec<TopicLink>,
}

impl ArticleAids {
    pub(crate) fn new(t: &Strings, aids: Option<Enrichment>) -> ArticleAids {
        let Some(aids) = aids else { return ArticleAids::default() };
        let support = aids.language.as_deref().map(tidings_text::supports_aids);
        let unsupported = |ok: fn(&tidings_text::AidSupport) -> bool| match (&aids.language, &support) {
            (Some(language), Some(support)) if !ok(support) => Some(language.clone()),
            _ => None,
        };
        let summary_unsupported = unsupported(|s| s.summary).map(|l| t.with(t.summary_unsupported, l));
        let entities_unsupported = unsupported(|s| s.entities).map(|l| t.with(t.entities_unsupported, l));
        let mut summary = aids.summary;
        // Key points that repeat a summary sentence add nothing under it.
        let key_points = aids.key_points.into_iter().filter(|p| !summary.contains(p)).collect();
        summary.truncate(4);
        ArticleAids {
            summary,
            key_points,
            summary_unsupported,
            entities_unsupported,
            groups: group_entities(
                t,
                aids.entities
                    .into_iter()
                    .take(PAGE_ENTITIES)
                    .map(|e| (e.kind, EntityLink { key: e.key, name: e.name, count: i64::from(e.mentions) }))
                    .collect(),
            ),
            topics: aids
                .topics
                .into_iter()
                .map(|name| TopicLink { slug: crate::topics::path_segment(&name), name })
                .collect(),
        }
    }
}

/// A story's names, grouped, most widely named first.
pub(crate) async fn story_entities(state: &AppState, story: StoryId) -> Result<Vec<EntityGroup>, PageError> {
    let entities =
        state.store.story_entities(story, PAGE_ENTITIES as i64).await.map_err(|e| PageError::internal(state, &e))?;
    Ok(group_entities(
        state.strings,
        entities
            .into_iter()
            .map(|e| (e.kind, EntityLink { key: e.key, name: e.name, count: e.article_count }))
            .collect(),
    ))
}

/// One point of a story's brief, as shown.
#[derive(Debug)]
pub(crate) struct BriefRow {
    pub(crate) sentence: String,
    pub(crate) article_id: i64,
    pub(crate) outlets: String,
}

/// A story's brief, as shown.
#[derive(Default, Debug)]
pub(crate) struct BriefView {
    pub(crate) agreed: Vec<BriefRow>,
    pub(crate) only_some: Vec<BriefRow>,
}

impl BriefView {
    pub(crate) fn is_empty(&self) -> bool {
        self.agreed.is_empty() && self.only_some.is_empty()
    }
}

/// Briefs already computed, by story, article count and last update: a story's page is rendered again each time
/// its cached copy expires, and its brief changes only when an article joins it.
#[derive(Debug, Default)]
pub(crate) struct BriefCache {
    briefs: std::sync::Mutex<std::collections::HashMap<(StoryId, i64, i64), std::sync::Arc<BriefView>>>,
}

/// Briefs kept at most; the cache is emptied when it is full (stories being read change slowly).
const BRIEFS_KEPT: usize = 4096;

/// The brief of `story` from its articles (`(id, outlet)`, timeline order): the first article of each outlet is
/// read, and the brief is computed off the async threads, once per version of the story.
pub(crate) async fn story_brief(
    state: &AppState,
    story: &tidings_core::StorySummary,
    articles: &[(i64, String)],
) -> Result<std::sync::Arc<BriefView>, PageError> {
    let key = (story.id, story.article_count, story.last_updated.timestamp_millis());
    if let Some(brief) = state.briefs.briefs.lock().ok().and_then(|b| b.get(&key).cloned()) {
        return Ok(brief);
    }
    let brief = std::sync::Arc::new(compute_brief(state, articles).await?);
    if let Ok(mut briefs) = state.briefs.briefs.lock() {
        if briefs.len() >= BRIEFS_KEPT {
            briefs.clear();
        }
        briefs.insert(key, brief.clone());
    }
    Ok(brief)
}

async fn compute_brief(state: &AppState, articles: &[(i64, String)]) -> Result<BriefView, PageError> {
    let t = state.strings;
    let mut picked: Vec<(i64, String)> = Vec::new();
    for (id, outlet) in articles {
        if picked.len() < BRIEF_ARTICLES && !picked.iter().any(|(_, o)| o == outlet) {
            picked.push((*id, outlet.clone()));
        }
    }
    if picked.len() < 2 {
        return Ok(BriefView::default());
    }
    let mut input = Vec::with_capacity(picked.len());
    for (id, outlet) in &picked {
        if let Some((title, text)) = article_text(state, *id).await.map_err(|e| PageError::internal(state, &e))? {
            input.push(tidings_text::BriefArticle { id: *id, outlet: outlet.clone(), title, text });
        }
    }
    let brief = tokio::task::spawn_blocking(move || tidings_text::story_brief(&input))
        .await
        .map_err(|e| PageError::internal(state, &e))?;
    let outlet_of = |id: i64| picked.iter().find(|(a, _)| *a == id).map(|(_, o)| o.clone());
    let row = |p: tidings_text::BriefPoint| {
        let mut outlets: Vec<String> = Vec::new();
        for id in p.articles.iter().chain(std::iter::once(&p.article)) {
            if let Some(o) = outlet_of(*id)
                && !outlets.contains(&o)
            {
                outlets.push(o);
            }
        }
        BriefRow { sentence: p.sentence, article_id: p.article, outlets: t.with(t.brief_reported_by, t.list(&outlets)) }
    };
    Ok(BriefView {
        agreed: brief.agreed.into_iter().map(row).collect(),
        only_some: brief.only_some.into_iter().map(row).collect(),
    })
}

/// An article's title and readable text (the extracted page when it is the longer, else the feed's).
async fn article_text(state: &AppState, id: ArticleId) -> Result<Option<(String, String)>, String> {
    let Some(article) = state.store.article(id).await.map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let text = article.readable_text().to_owned();
    Ok(Some((article.fields.title, text)))
}

// ---------------------------------------------------------------------------------------------------------
// Names.

#[derive(Template)]
#[template(path = "entities.html")]
struct EntitiesPage {
    t: &'static Strings,
    groups: Vec<EntityGroup>,
}

/// `/entities`: the most named people, organisations and places.
pub(crate) async fn entities(State(state): State<AppState>) -> Result<Response, PageError> {
    let top = state.store.top_entities(120).await.map_err(|e| PageError::internal(&state, &e))?;
    let groups = group_entities(
        state.strings,
        top.into_iter().map(|e| (e.kind, EntityLink { key: e.key, name: e.name, count: e.article_count })).collect(),
    );
    page(&EntitiesPage { t: state.strings, groups }, &state)
}

#[derive(Template)]
#[template(path = "entity.html")]
struct EntityPage {
    t: &'static Strings,
    follow: Option<crate::community::personal::FollowButton>,
    name: String,
    kind_label: &'static str,
    article_count: i64,
    stories: Vec<StoryRow>,
    articles: Vec<ArticleRow>,
}

/// `/entities/{kind}/{name}`: the stories and articles naming one entity, newest first.
pub(crate) async fn entity(
    State(state): State<AppState>,
    Path((kind, name)): Path<(String, String)>,
    viewer: crate::community::Viewer,
) -> Result<Response, PageError> {
    let t = state.strings;
    let key = format!("{kind}/{name}");
    let follow = crate::community::personal::FollowButton::for_viewer(
        &state,
        &viewer,
        tidings_core::accounts::FollowKind::Entity,
        key.clone(),
        format!("/entities/{}/{}", crate::topics::path_segment(&kind), crate::topics::path_segment(&name)),
    )
    .await;
    let internal = |e: tidings_core::StoreError| PageError::internal(&state, &e);
    let Some(entity) = state.store.entity(&key).await.map_err(internal)? else {
        return Err(PageError::not_found(&state, t.with(t.no_entity, t.quote(&key))));
    };
    let stories = state.store.entity_stories(&key, 20).await.map_err(internal)?;
    let articles = state.store.entity_articles(&key, 50).await.map_err(internal)?;
    let now = Utc::now();
    let kind_index = EntityKind::ALL.iter().position(|k| *k == entity.kind).unwrap_or(3);
    page(
        &EntityPage {
            follow,
            t,
            name: entity.name,
            kind_label: t.entity_kinds[kind_index],
            article_count: entity.article_count,
            stories: {
                let mut rows: Vec<StoryRow> = stories.iter().map(|s| StoryRow::new(t, s, now)).collect();
                crate::lean::mark_stories(&state, &mut rows).await;
                rows
            },
            articles: articles.into_iter().map(|a| ArticleRow::new(t, a, now)).collect(),
        },
        &state,
    )
}

/// A named entity in the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntityInfo {
    /// Its key, also the path of its page under `/entities/` and of its API resource under `/api/v1/entities/`.
    pub key: String,
    /// The name as shown.
    pub name: String,
    /// `person`, `organisation`, `place` or `other`.
    pub kind: String,
    /// Articles naming it.
    pub article_count: i64,
}

impl From<EntitySummary> for EntityInfo {
    fn from(e: EntitySummary) -> Self {
        EntityInfo { key: e.key, name: e.name, kind: e.kind.as_str().to_owned(), article_count: e.article_count }
    }
}

/// One entity with the articles and stories naming it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntityDetail {
    /// The entity.
    pub entity: EntityInfo,
    /// The newest articles naming it.
    pub articles: Vec<crate::api::ArticleSummary>,
    /// The stories whose articles name it, latest first.
    pub stories: Vec<crate::api::StoryInfo>,
}

/// The most named entities.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntityList {
    /// Most named first.
    pub entities: Vec<EntityInfo>,
}

/// The most named people, organisations, places and other names.
#[utoipa::path(get, path = "/api/v1/entities", tag = "entities",
    responses((status = 200, body = EntityList), (status = 500, body = crate::api::ApiError)))]
pub(crate) async fn api_entities(State(state): State<AppState>) -> Response {
    match state.store.top_entities(200).await {
        Ok(top) => Json(EntityList { entities: top.into_iter().map(Into::into).collect() }).into_response(),
        Err(e) => crate::api::internal(&state, &e),
    }
}

/// One entity, with the articles and stories naming it.
#[utoipa::path(get, path = "/api/v1/entities/{kind}/{name}", tag = "entities",
    params(("kind" = String, Path, description = "person, organisation, place or other"),
           ("name" = String, Path, description = "The name part of the entity's key")),
    responses((status = 200, body = EntityDetail), (status = 404, body = crate::api::ApiError),
              (status = 500, body = crate::api::ApiError)))]
pub(crate) async fn api_entity(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
) -> Response {
    // Not UTF-8 once decoded: a key no entity has, answered with the JSON 404 below.
    let (kind, name) = path.map(|Path(parts)| parts).unwrap_or_default();
    let key = format!("{kind}/{name}");
    let entity = match state.store.entity(&key).await {
        Ok(Some(entity)) => entity,
        Ok(None) => {
            return crate::api::error(StatusCode::NOT_FOUND, "not_found", format!("there is no entity {key:?}"));
        }
        Err(e) => return crate::api::internal(&state, &e),
    };
    let articles = match state.store.entity_articles(&key, 50).await {
        Ok(a) => a,
        Err(e) => return crate::api::internal(&state, &e),
    };
    let stories = match state.store.entity_stories(&key, 20).await {
        Ok(s) => s,
        Err(e) => return crate::api::internal(&state, &e),
    };
    let mut detail = EntityDetail {
        entity: entity.into(),
        articles: articles.into_iter().map(Into::into).collect(),
        stories: stories.into_iter().map(Into::into).collect(),
    };
    let articles = detail.articles.iter_mut().map(|a| a as &mut dyn crate::api::Commented);
    let stories = detail.stories.iter_mut().map(|s| s as &mut dyn crate::api::Commented);
    match crate::api::count_comments(&state, articles.chain(stories)).await {
        Ok(()) => Json(detail).into_response(),
        Err(e) => crate::api::internal(&state, &e),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Ask.

/// A question, and what it is asked of.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AskQuery {
    /// The question.
    #[param(max_length = 300)]
    #[serde(default)]
    q: String,
    /// Ask only the coverage of this story.
    story: Option<i64>,
    /// Ask the coverage of this article's story (or the article alone).
    article: Option<i64>,
}

/// A cited sentence.
struct CitedRow {
    sentence: String,
    article_id: i64,
    source: String,
}

#[derive(Template)]
#[template(path = "ask.html")]
struct AskPage {
    t: &'static Strings,
    q: String,
    story: Option<i64>,
    article: Option<i64>,
    scope: String,
    error: Option<String>,
    /// `None` before a question is asked.
    answer: Option<Vec<CitedRow>>,
}

/// The articles a question is asked of, and a description of that scope.
async fn ask_scope(state: &AppState, query: &AskQuery) -> Result<(Vec<ArticleId>, String), String> {
    let t = state.strings;
    let internal = |e: tidings_core::StoreError| e.to_string();
    let story = match (query.story, query.article) {
        (Some(story), _) => Some(story),
        (None, Some(article)) => match state.store.article(article).await.map_err(internal)? {
            Some(a) => match a.story_id {
                Some(story) => Some(story),
                None => return Ok((vec![article], t.with(t.asked_of_story, a.fields.title))),
            },
            None => None,
        },
        (None, None) => None,
    };
    if let Some(story) = story
        && let Some(summary) = state.store.story(story).await.map_err(internal)?
    {
        let articles = state.store.story_articles(summary.id, 200).await.map_err(internal)?;
        let mut ids = Vec::new();
        let mut outlets = Vec::new();
        // One article per outlet first (the coverage's breadth), then the rest.
        for a in &articles {
            if !outlets.contains(&a.article.source_id) {
                outlets.push(a.article.source_id);
                ids.push(a.article.id);
            }
        }
        for a in &articles {
            if !ids.contains(&a.article.id) {
                ids.push(a.article.id);
            }
        }
        ids.truncate(ASK_ARTICLES * 2);
        return Ok((ids, t.with(t.asked_of_story, summary.headline)));
    }
    Ok((search_for_question(state, &query.q).await?, t.asked_of_all.to_owned()))
}

/// The articles that best match a question's content words: each word is searched on its own (a question's
/// words are not all in its answer), and articles found by more words come first.
async fn search_for_question(state: &AppState, question: &str) -> Result<Vec<ArticleId>, String> {
    let words: Vec<String> = tidings_text::tokenize::tokenize(question)
        .into_iter()
        .filter(|t| !t.stop && t.term.chars().count() > 1)
        .map(|t| t.term)
        .collect();
    let Some(index) = state.search.as_ref() else {
        // No index in this process: the newest articles are all there is to ask.
        let latest = state.store.latest_articles(60, None).await.map_err(|e| e.to_string())?;
        return Ok(latest.into_iter().map(|a| a.id).collect());
    };
    let mut scores: Vec<(ArticleId, f32)> = Vec::new();
    for word in words.iter().take(8) {
        let Ok(query) = SearchQuery::parse(word) else { continue };
        let Ok(results) = index.search(&query, 0, 20, Utc::now()).await else { continue };
        for (rank, hit) in results.hits.iter().enumerate() {
            let gain = 1.0 / (rank as f32 + 2.0) + 1.0;
            match scores.iter_mut().find(|(id, _)| *id == hit.id) {
                Some(entry) => entry.1 += gain,
                None => scores.push((hit.id, gain)),
            }
        }
    }
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(scores.into_iter().take(ASK_ARTICLES).map(|(id, _)| id).collect())
}

/// How long a question waits for one of the answering slots before it is answered "busy".
const ASK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What keeps questions from taking the server's time from everything else: answering one reads and scores a
/// dozen articles, and the scoring runs on the blocking pool, which would otherwise grow a thread per question.
pub(crate) struct AskLimits {
    per_address: crate::community::session::PerAddressLimit,
    slots: std::sync::Arc<tokio::sync::Semaphore>,
    wait: std::time::Duration,
}

impl Default for AskLimits {
    fn default() -> Self {
        let web = tidings_core::config::WebConfig::default();
        AskLimits::new(web.asks_per_minute_per_ip, web.max_concurrent_asks)
    }
}

/// Why a question was not answered.
#[derive(Debug, Clone, Copy)]
enum AskRefusal {
    /// Its address asked too many in the last minute.
    TooMany,
    /// Every slot stayed taken for as long as a question waits ([`ASK_WAIT`]).
    Busy,
}

impl AskRefusal {
    /// The API's error code, also the metric's label.
    fn code(self) -> &'static str {
        match self {
            AskRefusal::TooMany => "too_many_requests",
            AskRefusal::Busy => "busy",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            AskRefusal::TooMany => StatusCode::TOO_MANY_REQUESTS,
            AskRefusal::Busy => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Seconds to wait before asking again: the per-address count starts afresh within a minute; a slot is
    /// usually free within seconds.
    fn retry_after(self) -> axum::http::HeaderValue {
        axum::http::HeaderValue::from_static(match self {
            AskRefusal::TooMany => "60",
            AskRefusal::Busy => "5",
        })
    }
}

impl AskLimits {
    pub(crate) fn new(per_minute_per_ip: u32, concurrent: usize) -> AskLimits {
        AskLimits {
            per_address: crate::community::session::PerAddressLimit::new(per_minute_per_ip),
            slots: std::sync::Arc::new(tokio::sync::Semaphore::new(
                concurrent.clamp(1, tidings_core::config::WebConfig::MAX_CONCURRENT_ASKS),
            )),
            wait: ASK_WAIT,
        }
    }

    /// Counts a question from `ip` and waits for a slot to answer it in; the slot is held until the permit
    /// is dropped, which [`answer`] does only when the scoring is over, even if the reader has gone.
    async fn admit(&self, ip: Option<std::net::IpAddr>) -> Result<tokio::sync::OwnedSemaphorePermit, AskRefusal> {
        let refused = |reason: AskRefusal| {
            metrics::counter!("tidings_asks_refused_total", "reason" => reason.code()).increment(1);
            reason
        };
        if !self.per_address.allow(ip) {
            return Err(refused(AskRefusal::TooMany));
        }
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphore is never closed; a timeout is the one way here.
            _ => Err(refused(AskRefusal::Busy)),
        }
    }
}

/// Asks `question` of the articles `ids`; the cited sentences with their articles' outlets and titles. `slot` is
/// held by the scoring on the blocking pool, which goes on when the request is dropped (a reader who leaves),
/// so that leaving does not free a slot for more work while the work goes on.
async fn answer(
    state: &AppState,
    question: &str,
    ids: &[ArticleId],
    slot: tokio::sync::OwnedSemaphorePermit,
) -> Result<Vec<CitedRow>, String> {
    let t = state.strings;
    let mut passages = Vec::with_capacity(ids.len());
    for id in ids.iter().take(ASK_ARTICLES * 2) {
        if let Some((title, text)) = article_text(state, *id).await? {
            passages.push(Passage { article_id: *id, title, text, published: None });
        }
    }
    let listing = state.store.articles_by_ids(ids).await.map_err(|e| e.to_string())?;
    let question = question.to_owned();
    let found = tokio::task::spawn_blocking(move || {
        let found = tidings_text::ask::answer(&question, &passages);
        drop(slot);
        found
    })
    .await
    .map_err(|e| format!("answering a question: {e}"))?;
    let Answer::Answered { sentences } = found else { return Ok(Vec::new()) };
    Ok(sentences
        .into_iter()
        .map(|c| {
            let item = listing.iter().find(|a| a.id == c.article_id);
            let outlet = item
                .map(|a| a.source_title.clone().unwrap_or_else(|| crate::pages::outlet_from_url(t, a.url.as_deref())))
                .unwrap_or_default();
            let title = item.map(|a| a.title.clone()).unwrap_or_default();
            CitedRow {
                sentence: c.sentence,
                article_id: c.article_id,
                source: t.fill(t.cited_from, &[("outlet", &outlet), ("title", &title)]),
            }
        })
        .collect())
}

/// `/ask?q=…[&story=…|&article=…]`.
pub(crate) async fn ask_page(
    State(state): State<AppState>,
    query: Result<Query<AskQuery>, axum::extract::rejection::QueryRejection>,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    let t = state.strings;
    let query = query.map(|Query(q)| q).unwrap_or(AskQuery { q: String::new(), story: None, article: None });
    let q = query.q.trim().to_owned();
    let mut view = AskPage {
        t,
        q: q.clone(),
        story: query.story,
        article: query.article,
        scope: String::new(),
        error: None,
        answer: None,
    };
    let mut status = StatusCode::OK;
    let mut refusal = None;
    // Measured as sent, as the API does, so the page and the API refuse the same questions.
    if query.q.chars().count() > MAX_QUESTION_CHARS {
        view.error = Some(t.ask_bad_question.to_owned());
        status = StatusCode::BAD_REQUEST;
    } else if !q.is_empty() {
        let ip = crate::community::session::client_ip(&state, &request);
        match state.asks.admit(ip).await {
            Ok(slot) => {
                let failed = |e: String| PageError::internal(&state, &e);
                let (ids, scope) = ask_scope(&state, &query).await.map_err(failed)?;
                view.scope = scope;
                view.answer = Some(answer(&state, &q, &ids, slot).await.map_err(failed)?);
            }
            Err(refused) => {
                view.error = Some(match refused {
                    AskRefusal::TooMany => t.ask_too_many.to_owned(),
                    AskRefusal::Busy => t.ask_busy.to_owned(),
                });
                status = refused.status();
                refusal = Some(refused);
            }
        }
    }
    let mut response = page(&view, &state)?;
    *response.status_mut() = status;
    if let Some(refused) = refusal {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, refused.retry_after());
    }
    Ok(response)
}

/// A sentence cited in an answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CitedSentence {
    /// The sentence, as the article has it.
    pub sentence: String,
    /// The article it comes from.
    pub article_id: i64,
    /// That article's page.
    pub article_path: String,
}

/// The answer to a question.
#[derive(Debug, Serialize, ToSchema)]
pub struct AskAnswer {
    /// The question, as asked.
    pub question: String,
    /// Whether the coverage answers it; when false, `sentences` is empty.
    pub answered: bool,
    /// The sentences that answer it, best first.
    pub sentences: Vec<CitedSentence>,
}

/// Asks a question of the stored coverage (all of it, or one story's): the answer is sentences of the articles,
/// each with its article, or `answered: false` when the coverage holds no answer.
#[utoipa::path(get, path = "/api/v1/ask", tag = "ask", params(AskQuery),
    responses((status = 200, body = AskAnswer), (status = 400, body = crate::api::ApiError),
              (status = 429, description = "Too many questions from this address in the last minute (`Retry-After`)",
               body = crate::api::ApiError),
              (status = 500, body = crate::api::ApiError),
              (status = 503, description = "Every slot for answering is taken (`Retry-After`)",
               body = crate::api::ApiError)))]
pub(crate) async fn ask_api(
    State(state): State<AppState>,
    query: Result<Query<AskQuery>, axum::extract::rejection::QueryRejection>,
    request: axum::extract::Request,
) -> Response {
    let query = match query {
        Ok(Query(q)) => q,
        Err(rejection) => return crate::api::error(StatusCode::BAD_REQUEST, "bad_query", rejection.body_text()),
    };
    // The limit is on what was sent, as the OpenAPI document's maxLength says, before any trimming.
    if query.q.chars().count() > MAX_QUESTION_CHARS {
        let message = format!("q: a question is at most {MAX_QUESTION_CHARS} characters");
        return crate::api::error(StatusCode::BAD_REQUEST, "bad_question", message);
    }
    let question = query.q.trim().to_owned();
    if question.is_empty() {
        return Json(AskAnswer { question, answered: false, sentences: Vec::new() }).into_response();
    }
    let ip = crate::community::session::client_ip(&state, &request);
    let slot = match state.asks.admit(ip).await {
        Ok(slot) => slot,
        Err(refused) => {
            let message = match refused {
                AskRefusal::TooMany => "too many questions from this address in the last minute",
                AskRefusal::Busy => "every slot for answering questions is taken; ask again in a few seconds",
            };
            let mut response = crate::api::error(refused.status(), refused.code(), message.to_owned());
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, refused.retry_after());
            return response;
        }
    };
    let result = async {
        let (ids, _) = ask_scope(&state, &query).await?;
        answer(&state, &question, &ids, slot).await
    }
    .await;
    match result {
        Ok(cited) => Json(AskAnswer {
            answered: !cited.is_empty(),
            question,
            sentences: cited
                .into_iter()
                .map(|c| CitedSentence {
                    article_path: format!("/articles/{}", c.article_id),
                    sentence: c.sentence,
                    article_id: c.article_id,
                })
                .collect(),
        })
        .into_response(),
        Err(error) => crate::api::internal(&state, &error),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_question_that_finds_every_slot_taken_is_answered_busy_after_a_wait() {
        let wait = std::time::Duration::from_millis(50);
        let limits = AskLimits { wait, ..AskLimits::new(0, 1) };
        let held = limits.admit(None).await.ok().unwrap();
        let started = std::time::Instant::now();
        assert!(matches!(limits.admit(None).await, Err(AskRefusal::Busy)));
        assert!(started.elapsed() >= wait, "it waited for a slot first");
        drop(held);
        assert!(limits.admit(None).await.is_ok(), "a slot given back is taken again");
    }
}
