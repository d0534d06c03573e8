//! Coverage by lean: the story page's count of outlets by the lean the operator rates them, the blindspots page
//! (stories one side of the press covers and the other hardly does) and their JSON.

use std::fmt::Write as _;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{TimeDelta, Utc};
use serde::Serialize;
use tidings_core::{Lean, LeanCoverage, Side, StorySummary};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::StoryInfo;
use crate::feeds_out::xml as escape;
use crate::stories::StoryRow;
use crate::strings::Strings;
use crate::{PageError, pages::page};

/// Blindspots are looked for among the stories updated in this many days up to the newest story.
pub(crate) const BLINDSPOT_DAYS: i64 = 14;
/// ... and among at most this many of the newest of them with enough outlets, to bound the page's cost.
const BLINDSPOT_SCAN: i64 = 2_000;
/// Blindspots listed per side.
const BLINDSPOTS_SHOWN: usize = 20;

/// The coverage block of a story page.
pub(crate) struct LeanView {
    /// Inline SVG built from escaped text: one bar split by lean.
    pub(crate) bar: String,
    /// Each lean with its count, left to right (`Left: 2`).
    pub(crate) counts: Vec<String>,
    /// Outlets with no lean, counted in words; empty when there are none.
    pub(crate) unrated: String,
    /// The blindspot sentence, when the story is one.
    pub(crate) blindspot: Option<&'static str>,
}

/// CSS classes of the bar's parts, left to right (colours in the style sheet).
const CLASSES: [&str; 5] = ["lean-l", "lean-ll", "lean-c", "lean-lr", "lean-r"];

impl LeanView {
    /// The block for `coverage`, or `None` when no outlet of the story has a lean rated.
    pub(crate) fn new(t: &Strings, coverage: &LeanCoverage) -> Option<LeanView> {
        let rated = coverage.rated();
        if rated == 0 {
            return None;
        }
        let counts = lean_counts(t, coverage, true);
        let bar = bar_svg(t, coverage, "lean-bar");
        let unrated = if coverage.unrated > 0 { t.count(&t.lean_unrated, coverage.unrated) } else { String::new() };
        Some(LeanView { bar, counts, unrated, blindspot: blindspot_sentence(t, coverage.blindspot()) })
    }
}

/// A lean in words (`t.lean_names` is in the order of the enum, left to right).
pub(crate) fn lean_name(t: &Strings, lean: Lean) -> &'static str {
    t.lean_names[lean as usize]
}

/// Each lean with its count in words (`Left: 2`), left to right; leans no outlet has only `with_zeros`.
fn lean_counts(t: &Strings, coverage: &LeanCoverage, with_zeros: bool) -> Vec<String> {
    Lean::ALL
        .into_iter()
        .filter(|&lean| with_zeros || coverage.of(lean) > 0)
        .map(|lean| t.fill(t.lean_count, &[("lean", &lean_name(t, lean)), ("n", &coverage.of(lean))]))
        .collect()
}

/// One bar split by the rated outlets' leans (`coverage` has some), its accessible name the counts in words.
fn bar_svg(t: &Strings, coverage: &LeanCoverage, class: &str) -> String {
    let mut bar = format!(
        "<svg class=\"{class}\" viewBox=\"0 0 100 6\" preserveAspectRatio=\"none\" role=\"img\" \
         aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        escape(&t.with(t.lean_bar_title, t.list(&lean_counts(t, coverage, false))))
    );
    let rated = coverage.rated().max(1) as f64;
    let mut x = 0.0;
    for (lean, part) in Lean::ALL.iter().zip(CLASSES) {
        let n = coverage.of(*lean);
        if n == 0 {
            continue;
        }
        let width = 100.0 * n as f64 / rated;
        let _ = write!(bar, "<rect x=\"{x:.2}\" y=\"0\" width=\"{width:.2}\" height=\"6\" class=\"{part}\"/>");
        x += width;
    }
    bar.push_str("</svg>");
    bar
}

/// Gives each listed story whose outlets include rated ones its small lean bar. Best effort, as comment counts
/// are: a list shows without the bars if they cannot be read.
pub(crate) async fn mark_stories(state: &AppState, rows: &mut [StoryRow]) {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    match state.store.stories_lean_coverage(&ids).await {
        Ok(coverage) => {
            for row in rows {
                row.lean_bar = coverage
                    .iter()
                    .find(|(id, c)| *id == row.id && c.rated() > 0)
                    .map(|(_, c)| bar_svg(state.strings, c, "lean-bar lean-bar-card"));
            }
        }
        Err(e) => tracing::warn!(error = %e, "story list shown without lean bars"),
    }
}

fn blindspot_sentence(t: &Strings, missing: Option<Side>) -> Option<&'static str> {
    match missing? {
        Side::Right => Some(t.blindspot_right),
        Side::Left => Some(t.blindspot_left),
        Side::Center => None,
    }
}

/// The story's coverage by lean, for its page.
pub(crate) async fn story_lean(state: &AppState, story: &StorySummary) -> Result<Option<LeanView>, PageError> {
    let coverage = state.store.story_lean_coverage(story.id).await.map_err(|e| PageError::internal(state, &e))?;
    Ok(LeanView::new(state.strings, &coverage))
}

/// The recent blindspots, newest first: (the side that hardly covers it, story, coverage), at most
/// [`BLINDSPOTS_SHOWN`] per side; `None` when no recent story has a rated outlet at all.
async fn find_blindspots(
    state: &AppState,
) -> Result<Option<Vec<(Side, StorySummary, LeanCoverage)>>, tidings_core::StoreError> {
    // The days up to the newest story rather than up to now: a site whose sources have gone quiet for a while
    // (or the demo, whose articles are dated) still shows its latest blindspots.
    let newest = state.store.latest_stories(1, None).await?.first().map(|s| s.last_updated);
    let since = newest.map_or_else(Utc::now, |newest| newest.min(Utc::now())) - TimeDelta::days(BLINDSPOT_DAYS);
    let candidates =
        state.store.rated_coverage_since(since, LeanCoverage::BLINDSPOT_MIN_OUTLETS, BLINDSPOT_SCAN).await?;
    if candidates.is_empty() && !state.store.sources().await?.iter().any(|s| s.lean.is_some()) {
        return Ok(None);
    }
    let (mut left, mut right) = (0, 0);
    let mut found = Vec::new();
    for (id, coverage) in candidates {
        let Some(side) = coverage.blindspot() else { continue };
        let shown = if side == Side::Left { &mut left } else { &mut right };
        if *shown < BLINDSPOTS_SHOWN {
            // Only the few shown are read in full (the candidates' query stays narrow).
            if let Some(story) = state.store.story(id).await? {
                *shown += 1;
                found.push((side, story, coverage));
            }
        }
    }
    Ok(Some(found))
}

#[derive(askama::Template)]
#[template(path = "blindspots.html")]
struct BlindspotsPage {
    t: &'static Strings,
    intro: String,
    /// `None`: no source has a lean rated.
    sides: Option<Vec<BlindspotSide>>,
}

struct BlindspotSide {
    heading: &'static str,
    stories: Vec<StoryRow>,
    /// Each story's outlets by lean, in words.
    counts: Vec<String>,
}

/// `/blindspots`.
pub(crate) async fn blindspots(State(state): State<AppState>) -> Result<Response, PageError> {
    let t = state.strings;
    let found = find_blindspots(&state).await.map_err(|e| PageError::internal(&state, &e))?;
    let now = Utc::now();
    let mut sides: Option<Vec<BlindspotSide>> = found.map(|found| {
        [(Side::Right, t.blindspots_right), (Side::Left, t.blindspots_left)]
            .into_iter()
            .map(|(side, heading)| {
                let of_side = || found.iter().filter(move |(s, _, _)| *s == side);
                BlindspotSide {
                    heading,
                    stories: of_side().map(|(_, story, _)| StoryRow::new(t, story, now)).collect(),
                    counts: of_side().map(|(_, _, coverage)| t.list(&lean_counts(t, coverage, false))).collect(),
                }
            })
            .collect()
    });
    for side in sides.iter_mut().flatten() {
        crate::community::comments::count_stories(&state, &mut side.stories).await;
        mark_stories(&state, &mut side.stories).await;
    }
    let share = format!("{:.0}%", LeanCoverage::BLINDSPOT_SHARE * 100.0);
    let intro = t.fill(
        t.blindspots_intro,
        &[("days", &BLINDSPOT_DAYS), ("min", &LeanCoverage::BLINDSPOT_MIN_OUTLETS), ("share", &share)],
    );
    page(&BlindspotsPage { t, intro, sides }, &state)
}

/// How many outlets of each lean cover a story.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct LeanCoverageInfo {
    /// Outlets rated left.
    pub left: i64,
    /// Outlets rated leaning left.
    pub lean_left: i64,
    /// Outlets rated centre.
    pub center: i64,
    /// Outlets rated leaning right.
    pub lean_right: i64,
    /// Outlets rated right.
    pub right: i64,
    /// Outlets with no lean rated.
    pub unrated: i64,
    /// The side that hardly covers the story while the other does (at least 3 outlets on one side and 80% of
    /// those rated left or right), if any.
    pub blindspot: Option<MissingSide>,
}

impl From<LeanCoverage> for LeanCoverageInfo {
    fn from(c: LeanCoverage) -> Self {
        LeanCoverageInfo {
            left: c.left,
            lean_left: c.lean_left,
            center: c.center,
            lean_right: c.lean_right,
            right: c.right,
            unrated: c.unrated,
            blindspot: c.blindspot().and_then(MissingSide::of),
        }
    }
}

/// The side of the press that hardly covers a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MissingSide {
    /// Outlets rated left and leaning left.
    Left,
    /// Outlets rated leaning right and right.
    Right,
}

impl MissingSide {
    /// The side a blindspot misses (the centre is never one: it counts for neither side).
    fn of(side: Side) -> Option<MissingSide> {
        match side {
            Side::Left => Some(MissingSide::Left),
            Side::Right => Some(MissingSide::Right),
            Side::Center => None,
        }
    }
}

/// An outlet's political lean, as the operator rates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LeanInfo {
    /// Left.
    Left,
    /// Leaning left.
    LeanLeft,
    /// Centre.
    Center,
    /// Leaning right.
    LeanRight,
    /// Right.
    Right,
}

impl From<LeanInfo> for Lean {
    fn from(l: LeanInfo) -> Self {
        match l {
            LeanInfo::Left => Lean::Left,
            LeanInfo::LeanLeft => Lean::LeanLeft,
            LeanInfo::Center => Lean::Center,
            LeanInfo::LeanRight => Lean::LeanRight,
            LeanInfo::Right => Lean::Right,
        }
    }
}

impl From<Lean> for LeanInfo {
    fn from(l: Lean) -> Self {
        match l {
            Lean::Left => LeanInfo::Left,
            Lean::LeanLeft => LeanInfo::LeanLeft,
            Lean::Center => LeanInfo::Center,
            Lean::LeanRight => LeanInfo::LeanRight,
            Lean::Right => LeanInfo::Right,
        }
    }
}

/// A story one side hardly covers.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlindspotInfo {
    /// The story.
    #[serde(flatten)]
    pub story: StoryInfo,
    /// Its outlets by lean (`blindspot` is always set here).
    pub lean_coverage: LeanCoverageInfo,
}

/// The recent blindspots.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlindspotList {
    /// Stories updated in this many days up to the newest story are considered.
    pub days: i64,
    /// Whether any source has a lean rated (with none, there can be no blindspot).
    pub rated: bool,
    /// The blindspots, newest first (at most 20 for each side).
    pub stories: Vec<BlindspotInfo>,
}

/// Stories outlets on one side cover and those on the other side hardly do, by the leans the operator gives
/// the sources: at least 3 outlets on one side and 80% of the outlets rated left or right.
#[utoipa::path(get, path = "/api/v1/blindspots", tag = "stories",
    responses((status = 200, body = BlindspotList), (status = 500, body = crate::api::ApiError)))]
pub(crate) async fn api_blindspots(State(state): State<AppState>) -> Response {
    let found = match find_blindspots(&state).await {
        Ok(found) => found,
        Err(e) => return crate::api::internal(&state, &e),
    };
    let rated = found.is_some();
    let mut stories: Vec<BlindspotInfo> = found
        .unwrap_or_default()
        .into_iter()
        .map(|(_, story, coverage)| BlindspotInfo { story: story.into(), lean_coverage: coverage.into() })
        .collect();
    let mut counted = stories.iter_mut().map(|s| &mut s.story as &mut dyn crate::api::Commented);
    if let Err(e) = crate::api::count_comments(&state, &mut counted).await {
        return crate::api::internal(&state, &e);
    }
    Json(BlindspotList { days: BLINDSPOT_DAYS, rated, stories }).into_response()
}
