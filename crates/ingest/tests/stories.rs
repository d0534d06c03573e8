//! The story stage over a real SQLite store: reports of one event from several outlets become one story, a
//! republished copy points to its original, and a restarted engine keeps adding to the stories it stored.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use common::TestStore;
use tidings_core::config::{FetchConfig, PollConfig};
use tidings_core::{ExtractMode, NewArticle, NewSource, OriginalReason, PollSuccess, SourceKind, Store};
use tidings_ingest::Ingester;

const TRAM_1: &str = "The Port Alder city council approved the Harborline tram extension on Tuesday night after \
    a nine-hour session, clearing the way for tracks to run from the central station to the Eastmere docks. \
    Councillors voted 31 to 14 for the plan, which will cost 412 million marks and add seven stops. Construction \
    is due to begin next spring, and the first trams should reach Eastmere in 2030, the transport department said.";
const TRAM_2: &str = "Eastmere will finally get its tram. After years of delay, Port Alder councillors backed the \
    Harborline extension by 31 votes to 14, approving seven new stops between the central station and the docks. \
    Shop owners on Ferrier Street worry about years of roadworks, while commuters welcomed the vote. The 412 \
    million mark project is expected to open in 2030.";
const TRAM_3: &str = "Port Alder's council has given the green light to the Harborline tram extension to Eastmere. \
    The 412 million mark line, approved 31 to 14 late on Tuesday, adds seven stops and is meant to relieve the \
    crowded harbour buses. Work starts next spring; the council expects trams to run to the docks by 2030.";
const STORM_1: &str = "Storm Imke cut power to 38,000 homes along the Saltmarsh Coast overnight as gusts reached \
    140 kilometres an hour and the surge flooded the Port Alder harbour front. Ferries to the Gannet Islands were \
    cancelled and the coastguard moved families from low-lying streets in Wrenmouth to the village school.";
const STORM_2: &str = "Thousands of homes on the Saltmarsh Coast were without electricity on Wednesday after Storm \
    Imke brought gusts of 140 kilometres an hour and the highest surge since 1999. The Gannet Islands ferry was \
    cancelled and Wrenmouth families spent the night in the school hall as the sea wall gave way.";
const ORCHID: &str = "A volunteer surveying the Aldermoor bog has found the marsh lady's-tresses orchid in flower, \
    a plant not recorded in the county since 1946. Botanists from the county wildlife trust confirmed the find \
    last week and counted eleven flowering spikes in a wet hollow near the old peat cuttings. The exact place is \
    being kept secret to protect the plants from collectors, and the trust will now ask the landowner to keep \
    cattle off the hollow during the flowering season.";

fn article(key: &str, title: &str, text: &str, published: DateTime<Utc>) -> NewArticle {
    NewArticle {
        guid: key.into(),
        url: Some(format!("https://{key}.example/story")),
        title: title.into(),
        content_text: text.into(),
        content_hash: format!("hash-{key}"),
        published_at: Some(published),
        ..NewArticle::default()
    }
}

async fn outlet(store: &Arc<dyn Store>, name: &str, articles: Vec<NewArticle>) -> i64 {
    let source = store
        .add_source(NewSource {
            url: format!("https://{}.example/feed", name.to_lowercase().replace(' ', "")),
            kind: SourceKind::Feed,
            title: Some(name.into()),
            site_url: None,
            category: None,
        })
        .await
        .unwrap();
    // These texts are whole articles, not teasers waiting for their page.
    store.set_extract_mode(source.id, ExtractMode::Never).await.unwrap();
    let now = Utc::now();
    let poll = PollSuccess { articles, next_poll_at: now, poll_interval_secs: 1800, ..PollSuccess::default() };
    store.record_poll(source.id, now, poll).await.unwrap();
    source.id
}

fn ingester(store: &TestStore) -> Ingester {
    let fetcher = tidings_fetch::Fetcher::new(&FetchConfig::default()).unwrap();
    Ingester::new(store.store.clone(), Arc::new(fetcher), PollConfig::default())
}

async fn story_of(store: &Arc<dyn Store>, guid: &str) -> (i64, Option<i64>, i64) {
    let latest = store.latest_articles(100, None).await.unwrap();
    let item = latest.iter().find(|a| a.url.as_deref() == Some(&format!("https://{guid}.example/story"))).unwrap();
    let stored = store.article(item.id).await.unwrap().unwrap();
    (stored.story_id.expect("clustered"), stored.original_article_id, item.id)
}

#[tokio::test]
async fn one_event_from_several_outlets_is_one_story_and_a_copy_points_to_its_original() {
    let store = TestStore::new().await;
    let s = &store.store;
    let hour = |h: i64| Utc::now() - TimeDelta::hours(48 - h);
    outlet(
        s,
        "Harbour Post",
        vec![
            article("tram1", "Council approves Harborline tram extension", TRAM_1, hour(1)),
            article("storm1", "Storm Imke leaves 38,000 homes without power", STORM_1, hour(2)),
            article("orchid1", "Orchid last seen in 1946 found in Aldermoor bog", ORCHID, hour(3)),
        ],
    )
    .await;
    outlet(
        s,
        "Eastmere Echo",
        vec![
            article("tram2", "Eastmere commuters cheer tram vote", TRAM_2, hour(4)),
            article("storm2", "Saltmarsh Coast in the dark after Storm Imke", STORM_2, hour(5)),
        ],
    )
    .await;
    let credited = format!("{ORCHID}\n\nThis article originally appeared in the Harbour Post.");
    outlet(
        s,
        "Regional Wire",
        vec![
            article("tram3", "Green light for Harborline tram line", TRAM_3, hour(6)),
            // Published "earlier" by a wrong clock, but it credits the Harbour Post.
            article("orchid2", "Lost orchid rediscovered on the moor", &credited, hour(0)),
        ],
    )
    .await;

    let report = ingester(&store).cluster_all_pending().await.unwrap();
    assert_eq!(report.articles, 7);
    assert_eq!(report.copies, 1);

    let (tram, _, _) = story_of(s, "tram1").await;
    assert_eq!(story_of(s, "tram2").await.0, tram);
    assert_eq!(story_of(s, "tram3").await.0, tram);
    let (storm, _, _) = story_of(s, "storm1").await;
    assert_eq!(story_of(s, "storm2").await.0, storm);
    assert_ne!(tram, storm);
    let story = s.story(tram).await.unwrap().unwrap();
    assert_eq!((story.article_count, story.outlet_count), (3, 3));

    let (_, none, orchid_original) = story_of(s, "orchid1").await;
    assert_eq!(none, None, "the original points nowhere");
    let (_, copy_of, copy) = story_of(s, "orchid2").await;
    assert_eq!(copy_of, Some(orchid_original));
    let syndication = s.syndication(copy).await.unwrap();
    assert_eq!(syndication.original.map(|o| o.source_title), Some(Some("Harbour Post".to_string())));
    assert_eq!(syndication.reason, Some(OriginalReason::Credit));
    assert_eq!(syndication.copies.len(), 1);

    // A restart: a new engine replays the stored window, and a fourth tram report joins the stored story.
    let later = ingester(&store);
    outlet(
        s,
        "Dockside Daily",
        vec![article("tram4", "Harborline tram to Eastmere approved by council, 31 to 14", TRAM_2, hour(8))],
    )
    .await;
    let report = later.cluster_all_pending().await.unwrap();
    assert_eq!((report.articles, report.new_stories), (1, 0));
    assert_eq!(story_of(s, "tram4").await.0, tram);
    assert!(s.related_stories(tram, 5).await.unwrap().iter().all(|r| r.id != tram));
}
