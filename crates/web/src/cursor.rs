//! Page cursors in links and API responses: `<unix microseconds>_<id>` of the last item of a page. The store
//! orders by microseconds, so anything coarser would skip the items that share the page's last second.

use chrono::{DateTime, Utc};
use tidings_core::{ArticleCursor, ArticleListItem, StoryCursor, StorySummary};

fn decode(raw: &str) -> Option<(DateTime<Utc>, i64)> {
    let (micros, id) = raw.split_once('_')?;
    Some((DateTime::from_timestamp_micros(micros.parse().ok()?)?, id.parse().ok()?))
}

/// The cursor after `items` when they fill a page of `limit`; none after the last page.
fn next<T>(items: &[T], limit: i64, key: impl Fn(&T) -> (DateTime<Utc>, i64)) -> Option<String> {
    let last = items.last().filter(|_| items.len() as i64 == limit)?;
    let (at, id) = key(last);
    Some(format!("{}_{id}", at.timestamp_micros()))
}

pub(crate) fn article(raw: &str) -> Option<ArticleCursor> {
    decode(raw).map(|(published_at, id)| ArticleCursor { published_at, id })
}

pub(crate) fn story(raw: &str) -> Option<StoryCursor> {
    decode(raw).map(|(last_updated, id)| StoryCursor { last_updated, id })
}

pub(crate) fn after_articles(items: &[ArticleListItem], limit: i64) -> Option<String> {
    next(items, limit, |a| (a.published_at, a.id))
}

pub(crate) fn after_stories(stories: &[StorySummary], limit: i64) -> Option<String> {
    next(stories, limit, |s| (s.last_updated, s.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_nonsense_is_none() {
        let at = DateTime::from_timestamp_micros(1_795_000_000_123_456).unwrap();
        let raw = format!("{}_{}", at.timestamp_micros(), 42);
        assert_eq!(article(&raw), Some(ArticleCursor { published_at: at, id: 42 }));
        assert_eq!(story(&raw), Some(StoryCursor { last_updated: at, id: 42 }));
        assert_eq!(article("x_1"), None);
        assert_eq!(article(""), None);
    }
}
