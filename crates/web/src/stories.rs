//! Story pages, the story parts of the article page, and the JSON for stories and articles.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tidings_core::{ArticleListItem, StoryArticle, StorySummary, Syndication};

use crate::AppState;
use crate::feeds_out::xml as escape;
use crate::pages::{ArticleRow, PAGE_SIZE, page};
use crate::strings::Strings;
use crate::{PageError, timefmt};

/// Articles shown on a story's page at most.
pub(crate) const STORY_ARTICLES: i64 = 200;
/// Related stories shown.
pub(crate) const RELATED: i64 = 5;
/// Stories considered for the home page's top stories.
const TOP_CANDIDATES: i64 = 100;
/// Top stories shown on the home page.
pub(crate) const TOP_STORIES: usize = 8;

/// A story in a list.
pub(crate) struct StoryRow {
    pub(crate) id: i64,
    pub(crate) headline: String,
    pub(crate) articles: i64,
    pub(crate) outlets: i64,
    pub(crate) iso: String,
    pub(crate) absolute: String,
    pub(crate) relative: String,
    /// Visible comments (filled in by [`crate::community::comments::count_stories`] where lists show them).
    pub(crate) comments: i64,
    /// Its outlets by lean as a small bar, when some are rated (filled in by [`crate::lean::mark_stories`] where
    /// lists show it).
    pub(crate) lean_bar: Option<String>,
}

impl StoryRow {
    pub(crate) fn new(t: &Strings, story: &StorySummary, now: DateTime<Utc>) -> StoryRow {
        StoryRow {
            id: story.id,
            headline: story.headline.clone(),
            articles: story.article_count,
            outlets: story.outlet_count,
            iso: timefmt::iso(story.last_updated),
            absolute: timefmt::absolute(t, story.last_updated),
            relative: timefmt::relative(t, story.last_updated, now),
            comments: 0,
            lean_bar: None,
        }
    }
}

/// Ranks stories for the home page: breadth of coverage (outlets) decayed by the age of the latest article,
/// so a story many outlets cover stays up for a while and a single-outlet item sinks fast. Stories covered by
/// one outlet only are left to the "Latest" list.
pub(crate) fn top_stories(mut stories: Vec<StorySummary>, now: DateTime<Utc>) -> Vec<StorySummary> {
    let score = |s: &StorySummary| {
        let hours = (now - s.last_updated).num_minutes().max(0) as f64 / 60.0;
        (s.outlet_count as f64 + 0.25 * s.article_count as f64) / (hours + 2.0).powf(1.2)
    };
    stories.retain(|s| s.outlet_count >= 2);
    stories.sort_by(|a, b| score(b).total_cmp(&score(a)).then(b.id.cmp(&a.id)));
    stories.truncate(TOP_STORIES);
    stories
}

/// The home page's top stories.
pub(crate) async fn home_stories(state: &AppState) -> Result<Vec<StoryRow>, PageError> {
    let candidates =
        state.store.latest_stories(TOP_CANDIDATES, None).await.map_err(|e| PageError::internal(state, &e))?;
    let now = Utc::now();
    let mut rows: Vec<StoryRow> =
        top_stories(candidates, now).iter().map(|s| StoryRow::new(state.strings, s, now)).collect();
    crate::community::comments::count_stories(state, &mut rows).await;
    crate::lean::mark_stories(state, &mut rows).await;
    Ok(rows)
}

#[derive(Template)]
#[template(path = "stories.html")]
struct StoriesPage {
    t: &'static Strings,
    stories: Vec<StoryRow>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    pub(crate) after: Option<String>,
}

pub(crate) async fn stories(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let cursor = match query.after.as_deref() {
        None => None,
        Some(raw) => Some(crate::cursor::story(raw).ok_or_else(|| crate::pages::no_such_page(&state, raw))?),
    };
    let list = state.store.latest_stories(PAGE_SIZE, cursor).await.map_err(|e| PageError::internal(&state, &e))?;
    let (t, now) = (state.strings, Utc::now());
    let next = crate::cursor::after_stories(&list, PAGE_SIZE);
    let mut stories: Vec<StoryRow> = list.iter().map(|s| StoryRow::new(t, s, now)).collect();
    crate::community::comments::count_stories(&state, &mut stories).await;
    crate::lean::mark_stories(&state, &mut stories).await;
    page(&StoriesPage { t, stories, next }, &state)
}

/// One entry of a story's timeline.
struct TimelineRow {
    row: ArticleRow,
    copy_of: Option<String>,
}

#[derive(Template)]
#[template(path = "story.html")]
struct StoryPage {
    t: &'static Strings,
    story: StoryRow,
    first_iso: String,
    first_absolute: String,
    first_relative: String,
    /// The outlets covering the story, as a list in words.
    outlets: String,
    timeline: Vec<TimelineRow>,
    related: Vec<StoryRow>,
    /// Inline SVG built from escaped text (see `chart.rs`).
    chart: Option<String>,
    brief: std::sync::Arc<crate::aids::BriefView>,
    /// The story's names, by kind.
    groups: Vec<crate::aids::EntityGroup>,
    /// The topics of its articles.
    topics: Vec<crate::aids::TopicLink>,
    /// Its outlets by lean, when some are rated.
    lean: Option<crate::lean::LeanView>,
    thread: crate::community::comments::ThreadView,
}

pub(crate) async fn story(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    viewer: crate::community::Viewer,
    query: axum::extract::Query<crate::community::comments::ThreadQuery>,
) -> Result<Response, PageError> {
    let t = state.strings;
    let internal = |e: tidings_core::StoreError| PageError::internal(&state, &e);
    let Some(story) = state.store.story(id).await.map_err(internal)? else {
        return Err(PageError::not_found(&state, t.with(t.no_story, id)));
    };
    if story.id != id {
        // Merged into another story: old links lead to where its articles went.
        return Ok(Redirect::permanent(&format!("/stories/{}", story.id)).into_response());
    }
    let articles = state.store.story_articles(id, STORY_ARTICLES).await.map_err(internal)?;
    let related = state.store.related_stories(id, RELATED).await.map_err(internal)?;
    let now = Utc::now();
    let mut outlets: Vec<String> = Vec::new();
    let names: Vec<(i64, String)> = articles.iter().map(|a| (a.article.id, outlet_name(t, &a.article))).collect();
    let points: Vec<(String, DateTime<Utc>)> =
        articles.iter().map(|a| (outlet_name(t, &a.article), a.article.published_at)).collect();
    let chart = crate::chart::coverage_svg(t, &points);
    let by_outlet: Vec<(i64, String)> = names.clone();
    let brief = crate::aids::story_brief(&state, &story, &by_outlet).await?;
    let groups = crate::aids::story_entities(&state, id).await?;
    let sort = crate::community::comments::sort_of(&query);
    let target = tidings_core::accounts::CommentTarget::Story(id);
    let thread = crate::community::comments::thread(&state, &viewer, target, sort).await.map_err(internal)?;
    let topics = state.store.story_topics(id).await.map_err(internal)?;
    let lean = crate::lean::story_lean(&state, &story).await?;
    let mut related: Vec<StoryRow> = related.iter().map(|s| StoryRow::new(t, s, now)).collect();
    crate::lean::mark_stories(&state, &mut related).await;
    let topics = topics
        .into_iter()
        .map(|(name, _)| crate::aids::TopicLink { slug: crate::topics::path_segment(&name), name })
        .collect();
    let timeline = articles
        .into_iter()
        .map(|a| {
            let copy_of =
                a.original_article_id.and_then(|o| names.iter().find(|(id, _)| *id == o)).map(|n| n.1.clone());
            let row = ArticleRow::new(t, a.article, now);
            if !outlets.contains(&row.outlet) {
                outlets.push(row.outlet.clone());
            }
            TimelineRow { row, copy_of }
        })
        .collect();
    page(
        &StoryPage {
            t,
            first_iso: timefmt::iso(story.first_seen),
            first_absolute: timefmt::absolute(t, story.first_seen),
            first_relative: timefmt::relative(t, story.first_seen, now),
            story: StoryRow::new(t, &story, now),
            outlets: t.list(&outlets),
            timeline,
            related,
            chart,
            brief,
            groups,
            topics,
            lean,
            thread,
        },
        &state,
    )
}

fn outlet_name(t: &Strings, item: &ArticleListItem) -> String {
    item.source_title.clone().unwrap_or_else(|| crate::pages::outlet_from_url(t, item.url.as_deref()))
}

/// The story and syndication parts of an article's page.
pub(crate) struct ArticleContext {
    /// "First published by X; also at Y, Z", as parts: the original (when this is a copy), and the others.
    pub(crate) first_published: Option<OutletLink>,
    pub(crate) also_at: Vec<OutletLink>,
    pub(crate) is_copy: bool,
    pub(crate) story: Option<StoryRow>,
    /// The story's other articles, one per outlet, newest first.
    pub(crate) coverage: Vec<ArticleRow>,
    pub(crate) related: Vec<StoryRow>,
}

pub(crate) async fn article_context(
    state: &AppState,
    article_id: i64,
    source_id: i64,
    story_id: Option<i64>,
) -> Result<ArticleContext, PageError> {
    let internal = |e: tidings_core::StoreError| PageError::internal(state, &e);
    let (t, now) = (state.strings, Utc::now());
    let syndication = state.store.syndication(article_id).await.map_err(internal)?;
    let (first_published, also_at, is_copy) = syndication_parts(t, &syndication, article_id);
    let (mut story, mut coverage, mut related) = (None, Vec::new(), Vec::new());
    if let Some(story_id) = story_id
        && let Some(summary) = state.store.story(story_id).await.map_err(internal)?
    {
        let articles: Vec<StoryArticle> =
            state.store.story_articles(summary.id, STORY_ARTICLES).await.map_err(internal)?;
        let mut seen_outlets = vec![source_id];
        for a in articles.into_iter().rev() {
            if a.article.id == article_id || seen_outlets.contains(&a.article.source_id) {
                continue;
            }
            seen_outlets.push(a.article.source_id);
            coverage.push(ArticleRow::new(t, a.article, now));
        }
        related = state
            .store
            .related_stories(summary.id, RELATED)
            .await
            .map_err(internal)?
            .iter()
            .map(|s| StoryRow::new(t, s, now))
            .collect();
        crate::lean::mark_stories(state, &mut related).await;
        story = Some(StoryRow::new(t, &summary, now));
    }
    Ok(ArticleContext { first_published, also_at, is_copy, story, coverage, related })
}

/// An article id and its outlet's name, for a link.
type OutletLink = (i64, String);

fn syndication_parts(
    t: &Strings,
    syndication: &Syndication,
    article_id: i64,
) -> (Option<OutletLink>, Vec<OutletLink>, bool) {
    let Some(original) = &syndication.original else { return (None, Vec::new(), false) };
    let also = syndication
        .copies
        .iter()
        .chain(std::iter::once(original))
        // Neither the original nor the page's own article: a copy's page says where *else* the text ran.
        .filter(|c| c.id != original.id && c.id != article_id)
        .map(|c| (c.id, outlet_name(t, c)))
        .collect();
    (Some((original.id, outlet_name(t, original))), also, original.id != article_id)
}

/// "First published by X; also at Y, Z." as markup: the catalogue's sentence, escaped, around links to the
/// original (when this article is a copy) and to the other copies, whose names are escaped too.
pub(crate) fn syndication_html(t: &Strings, context: &ArticleContext) -> Option<String> {
    let (original_id, original_outlet) = context.first_published.as_ref()?;
    let link = |id: &i64, name: &str| format!("<a href=\"/articles/{id}\">{}</a>", escape(name));
    let original = if context.is_copy { link(original_id, original_outlet) } else { escape(original_outlet) };
    let others: Vec<String> = context.also_at.iter().map(|(id, name)| link(id, name)).collect();
    let pattern = if others.is_empty() { t.first_published } else { t.first_published_also };
    Some(t.fill(&escape(pattern), &[("original", &original), ("others", &others.join(&escape(t.list_separator)))]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn story(id: i64, outlets: i64, hours_ago: i64, now: DateTime<Utc>) -> StorySummary {
        StorySummary {
            id,
            headline: format!("s{id}"),
            article_count: outlets,
            outlet_count: outlets,
            first_seen: now - TimeDelta::hours(hours_ago + 1),
            last_updated: now - TimeDelta::hours(hours_ago),
        }
    }

    #[test]
    fn top_stories_weigh_breadth_against_age_and_skip_single_outlet_items() {
        let now = Utc::now();
        let ranked =
            top_stories(vec![story(1, 1, 0, now), story(2, 3, 1, now), story(3, 6, 2, now), story(4, 3, 48, now)], now);
        assert_eq!(ranked.iter().map(|s| s.id).collect::<Vec<_>>(), [3, 2, 4]);
    }
}
