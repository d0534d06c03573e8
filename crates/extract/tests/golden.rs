#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Golden tests: pages we wrote, each shaped like a kind of news page, with the whole extracted article
//! as an insta snapshot.

use tidings_extract::{ExtractOptions, ExtractedArticle, extract};

fn run(name: &str, url: &str) -> ExtractedArticle {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    let opts = ExtractOptions { url: Some(url.to_owned()), ..ExtractOptions::default() };
    extract(&bytes, &opts).unwrap()
}

#[test]
fn aggregator_page_loses_its_clutter_and_keeps_the_credit() {
    let a = run("aggregator_syndicated.html", "https://daily8.example/news/harbour-tidal-barges");
    let text = &a.text;
    for clutter in [
        "Do you have questions",
        "Orange background",
        "Related:",
        "More:",
        "download the Coastal Courier app",
        "originally appeared",
        "Try Our AI Features",
        "No comments yet",
        "time26 minutes ago",
        "Share",
    ] {
        assert!(!text.contains(clutter), "{clutter:?} leaked into the text:\n{text}");
    }
    assert!(!text.contains("A tidal barge moored"), "caption in the text:\n{text}");
    assert_eq!(a.captions.len(), 1, "the doubled caption is kept once");
    assert_eq!(a.originally_published_by.as_deref(), Some("Coastal Courier"));
    assert!(!a.html.contains("<script"));
    assert!(a.html.contains("https://daily8.example/img/barge.jpg"));
    insta::assert_yaml_snapshot!(a);
}

#[test]
fn json_ld_only_metadata() {
    let a = run("jsonld_only.html", "https://ledger.example/2024/05/library");
    assert_eq!(a.authors, ["Mara Lindqvist", "Tom Okafor"]);
    assert_eq!(a.site_name.as_deref(), Some("The Valley Ledger"));
    insta::assert_yaml_snapshot!(a);
}

#[test]
fn page_without_metadata() {
    let a = run("no_metadata.html", "http://village.example/fete.html");
    assert!(a.text.contains("four thousand pounds"));
    assert!(!a.text.contains("Back to the front page"));
    insta::assert_yaml_snapshot!(a);
}

#[test]
fn right_to_left_page() {
    let a = run("rtl.html", "https://madina.example/a/1");
    assert_eq!(a.language.as_deref(), Some("ar"));
    insta::assert_yaml_snapshot!(a);
}

#[test]
fn live_blog() {
    let a = run("live_blog.html", "https://citywire.example/live/marathon");
    assert!(a.text.contains("course record"));
    assert!(a.text.contains("thirty thousand runners"));
    insta::assert_yaml_snapshot!(a);
}

#[test]
fn photo_gallery() {
    let a = run("photo_gallery.html", "https://gardenpost.example/gallery/flowers");
    assert_eq!(a.captions.len(), 3);
    assert!(!a.text.contains("Visitors queue"));
    insta::assert_yaml_snapshot!(a);
}

#[test]
fn paywalled_teaser() {
    let a = run("paywalled_teaser.html", "https://harbourtimes.example/port");
    assert!(!a.text.contains("Subscribe"));
    assert!(!a.text.contains("cookies"));
    assert_eq!(a.authors, ["Jane Whitfield"]);
    insta::assert_yaml_snapshot!(a);
}
