//! The tantivy index end to end: the query language, ranking, snippets, updates, and the writer lock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, Utc};
use tidings_core::{SearchDoc, SearchError, SearchIndex, SearchQuery};
use tidings_search::TantivyIndex;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z").unwrap().with_timezone(&Utc)
}

fn doc(id: i64, outlet: &str, topic: &str, days_ago: i64, title: &str, text: &str) -> SearchDoc {
    SearchDoc {
        id,
        source_id: id % 3,
        title: title.to_owned(),
        text: text.to_owned(),
        outlet: outlet.to_owned(),
        topic: topic.to_owned(),
        published_at: now() - Duration::days(days_ago),
    }
}

async fn corpus(dir: &std::path::Path) -> TantivyIndex {
    let index = TantivyIndex::open(dir, true).unwrap();
    index
        .upsert(vec![
            doc(
                1,
                "The Daily Ledger dailyledger.example",
                "World",
                1,
                "River floods the old town",
                "Heavy rain made the river burst its banks. The river authority issued a flood warning for the valley.",
            ),
            doc(
                2,
                "Harbour Times harbourtimes.example",
                "World",
                10,
                "Flood defences hold in the harbour",
                "The new flood defences held overnight, the harbour master said. No homes were flooded.",
            ),
            doc(
                3,
                "Harbour Times harbourtimes.example",
                "Sport",
                2,
                "Cup final goes to extra time",
                "The final went to extra time after a late equaliser. Fans waited in the rain.",
            ),
            doc(
                4,
                "Valley Post valleypost.example",
                "Business",
                0,
                "Insurers count the cost of the floods",
                "Insurers said claims from the river floods would be large. The river authority declined to comment.",
            ),
            doc(
                5,
                "Valley Post valleypost.example",
                "World",
                30,
                "Press release: flood warning app launched",
                "A press release announced an app that sends a flood warning to phones.",
            ),
        ])
        .await
        .unwrap();
    index
}

async fn ids(index: &TantivyIndex, raw: &str) -> Vec<i64> {
    let query = SearchQuery::parse(raw).unwrap();
    index.search(&query, 0, 20, now()).await.unwrap().hits.iter().map(|h| h.id).collect()
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort();
    v
}

#[tokio::test]
async fn words_are_stemmed_and_all_required() {
    let dir = tempfile::tempdir().unwrap();
    let index = corpus(dir.path()).await;
    assert_eq!(sorted(ids(&index, "flooded").await), [1, 2, 4, 5], "flood, floods and flooded share a stem");
    assert_eq!(sorted(ids(&index, "river authority").await), [1, 4]);
    assert_eq!(ids(&index, "harbour master").await, [2]);
    assert!(ids(&index, "volcano").await.is_empty());
}

#[tokio::test]
async fn phrases_need_the_words_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let index = corpus(dir.path()).await;
    assert_eq!(sorted(ids(&index, "\"flood warning\"").await), [1, 5]);
    assert!(ids(&index, "\"warning flood\"").await.is_empty());
}

#[tokio::test]
async fn exclusions_drop_words_and_phrases() {
    let dir = tempfile::tempdir().unwrap();
    let index = corpus(dir.path()).await;
    assert_eq!(sorted(ids(&index, "flood -\"press release\"").await), [1, 2, 4]);
    assert_eq!(sorted(ids(&index, "flood -harbour -insurers").await), [1, 5]);
}

#[tokio::test]
async fn outlet_topic_and_date_filters() {
    let dir = tempfile::tempdir().unwrap();
    let index = corpus(dir.path()).await;
    assert_eq!(sorted(ids(&index, "flood outlet:\"harbour times\"").await), [2]);
    assert_eq!(sorted(ids(&index, "outlet:valleypost").await), [4, 5], "the host names the outlet too");
    assert_eq!(sorted(ids(&index, "rain topic:sport").await), [3]);
    assert_eq!(sorted(ids(&index, "flood topic:world after:2026-11-15").await), [1]);
    assert_eq!(sorted(ids(&index, "flood before:2026-11-15").await), [2, 5]);
}

#[tokio::test]
async fn recency_breaks_ties_and_filters_alone_list_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let index = corpus(dir.path()).await;
    // Same outlet filter, no words: every match scores alike, so the newest leads.
    assert_eq!(ids(&index, "outlet:valleypost").await, [4, 5]);
    assert_eq!(ids(&index, "topic:world").await, [1, 2, 5]);
}

#[tokio::test]
async fn snippets_highlight_positive_words_only() {
    let dir = tempfile::tempdir().unwrap();
    let index = corpus(dir.path()).await;
    let query = SearchQuery::parse("authority -insurers").unwrap();
    let results = index.search(&query, 0, 10, now()).await.unwrap();
    assert_eq!(results.total, 1);
    let snippet = &results.hits[0].snippet;
    let hits: Vec<&str> = snippet.iter().filter(|f| f.hit).map(|f| f.text.as_str()).collect();
    assert_eq!(hits, ["authority"]);
    let text: String = snippet.iter().map(|f| f.text.as_str()).collect();
    assert!(text.contains("river authority issued"), "{text}");
}

#[tokio::test]
async fn title_only_matches_show_the_opening() {
    let dir = tempfile::tempdir().unwrap();
    let index = corpus(dir.path()).await;
    let results = index.search(&SearchQuery::parse("cup").unwrap(), 0, 10, now()).await.unwrap();
    assert_eq!(results.hits[0].snippet.len(), 1);
    assert!(results.hits[0].snippet[0].text.starts_with("The final went"));
}

#[tokio::test]
async fn paging_counts_and_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let index = corpus(dir.path()).await;
    let query = SearchQuery::parse("flood").unwrap();
    let all = index.search(&query, 0, 10, now()).await.unwrap();
    assert_eq!(all.total, 4);
    let second = index.search(&query, 2, 2, now()).await.unwrap();
    assert_eq!(second.total, 4);
    let expected: Vec<i64> = all.hits[2..4].iter().map(|h| h.id).collect();
    assert_eq!(second.hits.iter().map(|h| h.id).collect::<Vec<_>>(), expected);
}

#[tokio::test]
async fn upsert_replaces_and_remove_and_clear_delete() {
    let dir = tempfile::tempdir().unwrap();
    let index = corpus(dir.path()).await;
    index
        .upsert(vec![doc(3, "Harbour Times", "Sport", 2, "Cup final", "Penalties decided the volcano cup")])
        .await
        .unwrap();
    assert_eq!(ids(&index, "volcano").await, [3]);
    assert!(ids(&index, "equaliser").await.is_empty(), "the old text of 3 is gone");
    assert_eq!(index.count().await.unwrap(), 5);
    index.remove(vec![3]).await.unwrap();
    assert!(ids(&index, "volcano").await.is_empty());
    index.clear().await.unwrap();
    assert_eq!(index.count().await.unwrap(), 0);
}

#[tokio::test]
async fn a_second_writer_is_refused_with_a_clear_error_and_readers_still_open() {
    let dir = tempfile::tempdir().unwrap();
    let _writer = corpus(dir.path()).await;
    match TantivyIndex::open(dir.path(), true) {
        Err(SearchError::Open { reason, .. }) => assert!(reason.contains("another Tidings process"), "{reason}"),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a second writer was allowed"),
    }
    let reader = TantivyIndex::open(dir.path(), false).unwrap();
    assert_eq!(ids(&reader, "harbour").await, [2]);
    assert!(reader.upsert(vec![doc(9, "x", "", 0, "x", "x")]).await.is_err());
}

#[tokio::test]
async fn reopening_keeps_the_documents() {
    let dir = tempfile::tempdir().unwrap();
    drop(corpus(dir.path()).await);
    let index = TantivyIndex::open(dir.path(), true).unwrap();
    assert_eq!(index.count().await.unwrap(), 5);
    assert_eq!(sorted(ids(&index, "river").await), [1, 4]);
}

/// Regression: an excluded phrase beside a required word tripped tantivy's phrase scorer (a debug assertion);
/// the answer must equal a brute-force check over many documents, where the exclusion scorer skips around.
#[tokio::test]
async fn regression_excluded_phrase_beside_required_words() {
    let dir = tempfile::tempdir().unwrap();
    let index = TantivyIndex::open(dir.path(), true).unwrap();
    let texts: Vec<String> = (0..300)
        .map(|i| {
            let mut t = String::from("storm");
            if i % 3 == 0 {
                t.push_str(" press release");
            }
            if i % 5 == 0 {
                t.push_str(" release press");
            }
            if i % 7 == 0 {
                t.push_str(" press then release");
            }
            t
        })
        .collect();
    let docs = texts.iter().enumerate().map(|(i, t)| doc(i as i64 + 1, "o", "t", 1, "title", t)).collect();
    index.upsert(docs).await.unwrap();
    let query = SearchQuery::parse("storm -\"press release\"").unwrap();
    let results = index.search(&query, 0, 300, now()).await.unwrap();
    let expected: Vec<i64> =
        texts.iter().enumerate().filter(|(_, t)| !t.contains("press release")).map(|(i, _)| i as i64 + 1).collect();
    assert_eq!(results.total, expected.len());
    assert_eq!(sorted(results.hits.iter().map(|h| h.id).collect()), expected);
}
