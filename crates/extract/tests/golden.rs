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

#[test]
fn metadata_from_opengraph_twitter_microdata_and_time() {
    let page = br#"<!DOCTYPE html><html><head>
<meta property="og:title" content="Ferry timetable changes from May | Island News">
<meta name="twitter:title" content="Ferry timetable changes (Twitter)">
<meta property="og:site_name" content="Island News">
<meta name="twitter:image" content="/img/ferry.jpg">
<meta property="og:locale" content="en_GB">
<base href="https://islandnews.example/news/">
</head><body>
<article itemscope itemtype="https://schema.org/NewsArticle">
<h1>Ferry timetable changes from May</h1>
<p class="byline" itemprop="author" itemscope itemtype="https://schema.org/Person">By <span itemprop="name">Ana Souza</span></p>
<time datetime="2024-04-02T07:00:00+01:00">2 April</time>
<div itemprop="articleBody">
<p>The morning ferry to the mainland will leave twenty minutes earlier from the first of May, the operator said, to connect with the first train of the day.</p>
<p>The evening sailing moves later, which islanders have asked for since the winter, and a <a href="timetable.html">new timetable</a> is online.</p>
</div></article></body></html>"#;
    let a = extract(page, &ExtractOptions::default()).unwrap();
    assert_eq!(a.title.as_deref(), Some("Ferry timetable changes from May"));
    assert_eq!(a.authors, ["Ana Souza"]);
    assert_eq!(a.published.map(|d| d.to_rfc3339()).as_deref(), Some("2024-04-02T06:00:00+00:00"));
    assert_eq!(a.site_name.as_deref(), Some("Island News"));
    assert_eq!(a.lead_image.as_deref(), Some("https://islandnews.example/img/ferry.jpg"));
    assert_eq!(a.language.as_deref(), Some("en-GB"));
    assert!(a.html.contains("https://islandnews.example/news/timetable.html"), "{}", a.html);
    assert!(!a.text.contains("Ana Souza"));
    assert_eq!(a.text.lines().count(), 2);
}

#[test]
fn json_ld_wins_over_opengraph_and_bad_modified_dates_are_dropped() {
    let page = br#"<html><head>
<meta property="og:title" content="Short social headline">
<meta property="article:published_time" content="2024-01-01T00:00:00Z">
<script type="application/ld+json">{"@type":"NewsArticle","headline":"The full headline of the story",
"datePublished":"2024-01-02T10:00:00Z","dateModified":"2023-12-31T10:00:00Z","author":"Lee Chan"}</script>
</head><body><p>Body text long enough to count as the article, with a comma, and then some more words.</p></body></html>"#;
    let a = extract(page, &ExtractOptions::default()).unwrap();
    assert_eq!(a.title.as_deref(), Some("The full headline of the story"));
    assert_eq!(a.published.map(|d| d.to_rfc3339()).as_deref(), Some("2024-01-02T10:00:00+00:00"));
    assert_eq!(a.modified, None);
    assert_eq!(a.authors, ["Lee Chan"]);
}
