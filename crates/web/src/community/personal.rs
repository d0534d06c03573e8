//! What a reader keeps: follows (topics, outlets, names), the "For you" page built from them, and saved
//! articles.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use tidings_core::accounts::{Follow, FollowKind, User};

use super::accounts::FollowRow;
use super::session::Viewer;
use super::{Guard, local_next, refused, see_other};
use crate::pages::ArticleRow;
use crate::strings::Strings;
use crate::{AppState, PageError};

/// Articles on the For you and Saved pages.
const LIST: i64 = 60;

#[derive(Template)]
#[template(path = "for_you.html")]
struct ForYouPage {
    t: &'static Strings,
    articles: Vec<ArticleRow>,
    follows: Vec<FollowRow>,
}

/// `GET /for-you`.
pub(crate) async fn for_you(State(state): State<AppState>, viewer: Viewer) -> Response {
    let Some(user) = viewer.user.clone() else { return see_other("/login?next=/for-you") };
    let t = state.strings;
    let accounts = state.store.accounts();
    let (items, follows) = match tokio::try_join!(accounts.for_you(user.id, LIST), accounts.follows(user.id)) {
        Ok(both) => both,
        Err(e) => return PageError::internal(&state, &e).into_response(),
    };
    let now = Utc::now();
    let mut rows = Vec::with_capacity(follows.len());
    for follow in follows {
        rows.push(super::accounts::follow_row(&state, follow).await);
    }
    let page =
        ForYouPage { t, articles: items.into_iter().map(|a| ArticleRow::new(t, a, now)).collect(), follows: rows };
    crate::pages::page(&page, &state).unwrap_or_else(IntoResponse::into_response)
}

#[derive(Template)]
#[template(path = "saved.html")]
struct SavedPage {
    t: &'static Strings,
    articles: Vec<ArticleRow>,
}

/// `GET /saved`.
pub(crate) async fn saved(State(state): State<AppState>, viewer: Viewer) -> Response {
    let Some(user) = viewer.user.clone() else { return see_other("/login?next=/saved") };
    let t = state.strings;
    let items = match state.store.accounts().saved_articles(user.id, LIST).await {
        Ok(items) => items,
        Err(e) => return PageError::internal(&state, &e).into_response(),
    };
    let now = Utc::now();
    let page = SavedPage { t, articles: items.into_iter().map(|a| ArticleRow::new(t, a, now)).collect() };
    crate::pages::page(&page, &state).unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct FollowForm {
    csrf: String,
    kind: String,
    key: String,
    back: String,
}

/// A follow as asked for, checked: a known kind, a key of sensible length (an outlet's is its id).
pub(crate) fn follow_of(kind: &str, key: &str) -> Result<Follow, String> {
    let kind =
        FollowKind::parse(kind).ok_or_else(|| format!("{kind:?}: not something to follow (topic, outlet, entity)"))?;
    let key = key.trim();
    if key.is_empty() || key.chars().count() > 200 || key.chars().any(char::is_control) {
        return Err(format!("{key:?}: not a {} to follow", kind.as_str()));
    }
    if kind == FollowKind::Outlet && key.parse::<i64>().is_err() {
        return Err(format!("{key:?}: an outlet is followed by its id"));
    }
    Ok(Follow { kind, key: key.to_owned() })
}

async fn follow_action(
    state: AppState,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    form: FollowForm,
    on: bool,
) -> Response {
    let user: User = or_return!(Guard::form(&state, &viewer, &headers, &uri, &form.csrf));
    let follow = match follow_of(&form.kind, &form.key) {
        Ok(follow) => follow,
        Err(why) => return refused(state.strings, StatusCode::UNPROCESSABLE_ENTITY, why),
    };
    let accounts = state.store.accounts();
    let done = if on {
        accounts.follow(user.id, &follow, Utc::now()).await
    } else {
        accounts.unfollow(user.id, &follow).await
    };
    if let Err(e) = done {
        return PageError::internal(&state, &e).into_response();
    }
    see_other(&local_next(Some(&form.back)))
}

/// `POST /follow`.
pub(crate) async fn follow(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<FollowForm>,
) -> Response {
    follow_action(state, viewer, headers, uri, form, true).await
}

/// `POST /unfollow`.
pub(crate) async fn unfollow(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<FollowForm>,
) -> Response {
    follow_action(state, viewer, headers, uri, form, false).await
}

async fn save_action(
    state: AppState,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    id: i64,
    form: FollowForm,
    on: bool,
) -> Response {
    let user = or_return!(Guard::form(&state, &viewer, &headers, &uri, &form.csrf));
    let t = state.strings;
    let accounts = state.store.accounts();
    let done = if on {
        match state.store.article(id).await {
            Ok(Some(_)) => accounts.save_article(user.id, id, Utc::now()).await,
            Ok(None) => return refused(t, StatusCode::NOT_FOUND, t.with(t.no_article, id)),
            Err(e) => Err(e),
        }
    } else {
        accounts.unsave_article(user.id, id).await
    };
    if let Err(e) = done {
        return PageError::internal(&state, &e).into_response();
    }
    let back = if form.back.is_empty() { format!("/articles/{id}") } else { local_next(Some(&form.back)) };
    see_other(&back)
}

/// `POST /articles/{id}/save`.
pub(crate) async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<i64>,
    Form(form): Form<FollowForm>,
) -> Response {
    save_action(state, viewer, headers, uri, id, form, true).await
}

/// `POST /articles/{id}/unsave`.
pub(crate) async fn unsave(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<i64>,
    Form(form): Form<FollowForm>,
) -> Response {
    save_action(state, viewer, headers, uri, id, form, false).await
}

/// The follow button of a topic, outlet or entity page, for a signed-in reader.
pub(crate) struct FollowButton {
    pub(crate) kind: &'static str,
    pub(crate) key: String,
    pub(crate) following: bool,
    pub(crate) csrf: String,
    pub(crate) back: String,
}

impl FollowButton {
    /// The button for `viewer` (none when signed out: the page is the same for every anonymous reader).
    pub(crate) async fn for_viewer(
        state: &AppState,
        viewer: &Viewer,
        kind: FollowKind,
        key: String,
        back: String,
    ) -> Option<FollowButton> {
        let user = viewer.user.as_ref()?;
        let following = match state.store.accounts().follows(user.id).await {
            Ok(follows) => follows.iter().any(|f| f.kind == kind && f.key == key),
            Err(e) => {
                tracing::warn!(error = %e, "reading follows failed");
                false
            }
        };
        Some(FollowButton { kind: kind.as_str(), key, following, csrf: viewer.csrf(), back })
    }
}
