//! Snapshot of the typed result for a small podcast feed we wrote.

use tidings_feeds::{ParseOptions, parse};

#[test]
fn podcast_fixture_snapshot() {
    let bytes = include_bytes!("fixtures/podcast.xml");
    let opts = ParseOptions { base_url: Some("https://harbour.example/feed.xml".into()), ..Default::default() };
    let feed = parse(bytes, &opts).map_err(|e| e.to_string());
    insta::assert_debug_snapshot!(feed.map(|f| (f.version, f.encoding, f.bozo, f.feed, f.entries)));
}
