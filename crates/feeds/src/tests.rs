//! Format-level unit tests on small hand-written feeds.

use super::*;

fn p(s: &str) -> ParsedFeed {
    match parse(s.as_bytes(), &ParseOptions::default()) {
        Ok(f) => f,
        Err(e) => panic!("parse failed: {e}"),
    }
}

#[test]
fn rss20_basics() {
    let f = p(r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>T &amp; co</title><link>http://example.com/</link><description>D</description>
<language>en-gb</language><lastBuildDate>Sat, 07 Sep 2002 09:42:31 GMT</lastBuildDate>
<item><title>First &lt;b&gt;post&lt;/b&gt;</title><link>/p/1</link><guid isPermaLink="false">abc</guid>
<description><![CDATA[<p>Hello &eacute;</p>]]></description><dc:creator>Jo</dc:creator>
<pubDate>Mon, 09 Sep 2002 09:42:31 EST</pubDate><category>news</category>
<enclosure url="http://example.com/a.mp3" length="123" type="audio/mpeg"/>
<media:thumbnail url="http://example.com/t.jpg"/></item>
</channel></rss>"#);
    assert_eq!(f.version, FeedVersion::Rss20);
    assert!(f.bozo.is_none(), "{:?}", f.bozo);
    assert_eq!(f.feed.title.as_deref(), Some("T & co"));
    assert_eq!(f.feed.language.as_deref(), Some("en-gb"));
    assert!(f.feed.updated.is_some());
    let e = &f.entries[0];
    assert_eq!(e.title.as_deref(), Some("First post"));
    assert_eq!(e.id.as_deref(), Some("abc"));
    assert_eq!(e.summary.as_ref().map(|s| s.kind), Some(TextKind::Html));
    assert_eq!(e.summary.as_ref().map(|s| s.value.as_str()), Some("<p>Hello &eacute;</p>"));
    assert_eq!(e.authors[0].name.as_deref(), Some("Jo"));
    assert_eq!(e.published.map(|d| d.to_rfc3339()), Some("2002-09-09T14:42:31+00:00".into()));
    assert_eq!(e.categories, vec!["news".to_string()]);
    assert_eq!(e.enclosures[0].length, Some(123));
    assert_eq!(e.image.as_deref(), Some("http://example.com/t.jpg"));
}

#[test]
fn atom10_text_constructs_and_base() {
    let f = p(r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://example.org/blog/" xml:lang="en">
<title type="html">A &lt;em&gt;B&lt;/em&gt;</title><updated>2005-07-31T12:29:29Z</updated>
<link href="/"/><author><name>Ann</name><email>ann@example.org</email></author>
<entry><id>tag:x,2005:1</id><title>E</title><link rel="alternate" href="e1"/>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi <a href="x">x</a><br/></p></div></content>
<published>2005-07-31T12:29:29-07:00</published></entry></feed>"#);
    assert_eq!(f.version, FeedVersion::Atom10);
    assert!(f.bozo.is_none(), "{:?}", f.bozo);
    assert_eq!(f.feed.title.as_deref(), Some("A B"));
    assert_eq!(f.feed.link.as_deref(), Some("http://example.org/"));
    assert_eq!(f.feed.authors[0].email.as_deref(), Some("ann@example.org"));
    let e = &f.entries[0];
    assert_eq!(e.link.as_deref(), Some("http://example.org/blog/e1"));
    assert_eq!(e.content[0].kind, TextKind::Xhtml);
    assert_eq!(e.content[0].value, r#"<p>Hi <a href="http://example.org/blog/x">x</a><br /></p>"#);
    assert_eq!(e.language.as_deref(), Some("en"));
    assert_eq!(e.published.map(|d| d.to_rfc3339()), Some("2005-07-31T19:29:29+00:00".into()));
}

#[test]
fn rss10_rdf() {
    let f = p(
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://x/"><title>R</title><link>http://x/</link></channel>
<item rdf:about="http://x/1"><title>One</title><link>http://x/1</link><dc:date>2004-01-01T00:00:00Z</dc:date></item></rdf:RDF>"#,
    );
    assert_eq!(f.version, FeedVersion::Rss10);
    assert_eq!(f.entries[0].id.as_deref(), Some("http://x/1"));
    assert!(f.entries[0].updated.is_some());
}

#[test]
fn atom03() {
    let f = p(r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title mode="escaped">x</title>
<entry><title>e</title><issued>2003-12-13T08:29:29-04:00</issued><content type="text/html" mode="base64">PGI+aGk8L2I+</content></entry></feed>"#);
    assert_eq!(f.version, FeedVersion::Atom03);
    assert_eq!(f.entries[0].content[0].value, "<b>hi</b>");
    assert!(f.entries[0].published.is_some());
}

#[test]
fn json_feed() {
    let f = p(r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","home_page_url":"https://j.example/",
"items":[{"id":"1","url":"https://j.example/1","title":"One","content_html":"<p>x</p>","date_published":"2020-01-02T03:04:05Z",
"tags":["a"],"attachments":[{"url":"https://j.example/a.mp3","mime_type":"audio/mpeg","size_in_bytes":5}]}]}"#);
    assert_eq!(f.version, FeedVersion::Json11);
    assert_eq!(f.feed.title.as_deref(), Some("J"));
    let e = &f.entries[0];
    assert_eq!(e.content[0].kind, TextKind::Html);
    assert_eq!(e.enclosures[0].length, Some(5));
    assert_eq!(e.categories, vec!["a".to_string()]);
}

#[test]
fn lenient_with_broken_markup() {
    let f = p(
        "<rss version=\"2.0\"><channel><title>A & B &nbsp;\u{1}</title><item><title>x</title><link>http://e/?a=1&b=2</link></item>",
    );
    assert!(f.bozo.is_some());
    assert_eq!(f.feed.title.as_deref(), Some("A & B \u{a0}\u{1}"));
    assert_eq!(f.entries[0].link.as_deref(), Some("http://e/?a=1&b=2"));
}

#[test]
fn not_feeds_are_errors() {
    assert_eq!(parse(b"  ", &ParseOptions::default()).err(), Some(FeedError::Empty));
    assert!(matches!(
        parse(b"<!doctype html><html><body>x</body></html>", &ParseOptions::default()),
        Err(FeedError::Html(_))
    ));
    assert!(matches!(parse(b"just text", &ParseOptions::default()), Err(FeedError::NoContent(_))));
}

#[test]
fn base_from_content_location() {
    let opts = ParseOptions {
        base_url: Some("http://feed.example/rss".into()),
        content_location: Some("/other/".into()),
        ..Default::default()
    };
    let f = parse(b"<rss version='2.0'><channel><item><link>p</link></item></channel></rss>", &opts).ok();
    assert_eq!(f.and_then(|f| f.entries[0].link.clone()).as_deref(), Some("http://feed.example/other/p"));
}

#[test]
fn encodings_are_detected() {
    let f = parse(
        b"<?xml version='1.0' encoding='windows-1252'?><rss><channel><title>\x93q\x94</title></channel></rss>",
        &ParseOptions::default(),
    );
    let f = f.ok();
    assert_eq!(f.as_ref().and_then(|f| f.feed.title.clone()).as_deref(), Some("\u{201c}q\u{201d}"));
    assert_eq!(f.map(|f| f.encoding).as_deref(), Some("windows-1252"));
}

/// Regression: every end tag searched all open elements, so `<a>`×n then `</b>`×n took time quadratic in n
/// (about an hour for 10 MiB, on the poller's async worker). Nesting is now capped at `MAX_DEPTH`: deeper
/// elements are dropped (their text kept) and the feed is bozo; what follows them still parses.
#[test]
fn regression_deeply_nested_elements_parse_in_linear_time() {
    let n = 5_000;
    let hostile = format!(
        "<rss version=\"2.0\"><channel><title>T</title><item><title>One</title>{}deep{}</item>\
         <item><title>Two</title></item></channel></rss>",
        "<a>".repeat(n),
        "</a>".repeat(n)
    );
    for f in [p(&hostile), parse_str(&hostile, &ParseOptions::default()).unwrap()] {
        let bozo = f.bozo.clone().unwrap_or_default();
        assert!(bozo.contains("nested more than 256 deep"), "{bozo}");
        assert_eq!(f.feed.title.as_deref(), Some("T"));
        let titles: Vec<_> = f.entries.iter().map(|e| e.title.as_deref()).collect();
        assert_eq!(titles, [Some("One"), Some("Two")], "the end tags of dropped elements close only them");
    }
    // Unmatched end tags past the cap cost no more than matched ones.
    let unmatched = format!("<rss><channel><title>T</title>{}{}", "<a>".repeat(n), "</b>".repeat(n));
    let f = p(&unmatched);
    assert!(f.bozo.as_deref().is_some_and(|b| b.contains("nested more than 256 deep")));
    assert_eq!(f.feed.title.as_deref(), Some("T"));
    // The feedparser view goes through the same driver.
    let view = compat::feedparser_view(&f);
    assert_eq!(view["bozo"], serde_json::Value::Bool(true));
    // Nesting within the cap (XHTML content can be deep) is not reported.
    let within = format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>E</title><content type=\"xhtml\">\
         <div xmlns=\"http://www.w3.org/1999/xhtml\">{}x{}</div></content></entry></feed>",
        "<span>".repeat(200),
        "</span>".repeat(200)
    );
    let f = p(&within);
    assert!(f.bozo.is_none(), "{:?}", f.bozo);
    assert_eq!(f.entries[0].content[0].value.matches("<span>").count(), 200);
}

/// Regression: past the nesting cap, every end tag was taken to close a dropped element, so HTML left unclosed
/// in one description (300 `<br>`) swallowed `</description>`, `</item>` and every item after it.
#[test]
fn regression_unclosed_html_past_the_depth_cap_does_not_swallow_the_next_items() {
    let feed = format!(
        "<rss version=\"2.0\"><channel><title>T</title>\
         <item><title>One</title><description>{}text</description></item>\
         <item><title>Two</title><description>Fine</description></item>\
         <item><title>Three</title></item></channel></rss>",
        "<br>".repeat(300)
    );
    for f in [p(&feed), parse_str(&feed, &ParseOptions::default()).unwrap()] {
        let titles: Vec<_> = f.entries.iter().map(|e| e.title.as_deref()).collect();
        assert_eq!(titles, [Some("One"), Some("Two"), Some("Three")], "{:?}", f.bozo);
        assert_eq!(f.entries[1].summary.as_ref().map(|t| t.value.as_str()), Some("Fine"));
    }
}

/// Regression: each `</a` without a `>` made the tokenizer look for `>` to the end of the document.
#[test]
fn regression_unclosed_end_tags_do_not_rescan_the_document() {
    let f = p(&format!("<rss version=\"2.0\"><channel><title>T</title>{}", "</a".repeat(20_000)));
    assert_eq!(f.feed.title.as_deref(), Some("T"));
    assert!(f.bozo.is_some_and(|b| b.contains("unterminated end tag </a")));
    // A '>' far away, after another '<', does not close them either.
    let f = p(&format!("<rss version=\"2.0\"><channel><title>T</title>{}></channel></rss>", "</a".repeat(20_000)));
    assert_eq!(f.feed.title.as_deref(), Some("T"));
    assert!(f.bozo.is_some_and(|b| b.contains("unterminated end tag </a")));
}

/// Regression: duplicate categories were found by scanning the item's list (in the fast path, the handler and
/// the typed model), quadratic in the number of categories. They are now found with sets, and an item keeps
/// its first `MAX_TAGS` distinct ones, in document order, whichever parser reads it.
#[test]
fn regression_many_categories_are_deduplicated_with_sets_and_capped() {
    let cats: String = (0..150).chain(0..150).map(|i| format!("<category>c{i}</category>")).collect();
    let doc = format!("<rss version=\"2.0\"><channel><item><title>x</title>{cats}</item></channel></rss>");
    let expected: Vec<String> = (0..handler::MAX_TAGS).map(|i| format!("c{i}")).collect();
    assert!(fast::parse_rss(&doc, "").is_some(), "the fast path reads it");
    assert_eq!(p(&doc).entries[0].categories, expected);
    assert_eq!(parse_str(&doc, &ParseOptions::default()).unwrap().entries[0].categories, expected);
    let f = p(&doc.replace("<rss version=\"2.0\">", "<rss version=\"2.0\" xml:lang=\"en\">"));
    assert_eq!(f.entries[0].categories, expected, "the general parser");
    assert_eq!(compat::feedparser_view(&f)["entries"][0]["tags"].as_array().map(Vec::len), Some(handler::MAX_TAGS));

    // A category with a domain gets its term when its text ends; the index follows, so the same domain with
    // another term is not taken for a duplicate, and a repeated one still is.
    let doc = "<rss version=\"2.0\"><channel><item><category domain=\"d\">a</category>\
               <category domain=\"d\">b</category><category domain=\"d\">a</category></item></channel></rss>";
    let f = p(doc);
    assert_eq!(f.entries[0].categories, ["a", "b"]);
    let tags = compat::feedparser_view(&f)["entries"][0]["tags"].clone();
    let terms: Vec<_> =
        tags.as_array().into_iter().flatten().map(|t| (t["term"].clone(), t["scheme"].clone())).collect();
    assert_eq!(terms.len(), 3, "feedparser keeps the scheme-only tag the third start tag adds: {tags}");
    assert_eq!(terms[0], ("a".into(), "d".into()));
    assert_eq!(terms[1], ("b".into(), "d".into()));

    // Comma-separated keywords are capped the same way.
    let keywords = (0..1000).map(|i| format!("k{i}")).collect::<Vec<_>>().join(",");
    let f = p(&format!(
        "<rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\"><channel><item>\
         <itunes:keywords>{keywords}</itunes:keywords></item></channel></rss>"
    ));
    assert_eq!(f.entries[0].categories.len(), handler::MAX_TAGS);
    assert_eq!(f.entries[0].categories[99], "k99");
}

/// Regression: namespace prefixes were looked up by scanning every in-scope declaration, for each element and
/// attribute, quadratic with a root declaring thousands. Lookups now use a map; scoping is unchanged.
#[test]
fn regression_namespace_lookups_do_not_scan_every_declaration() {
    let decls: String = (0..3_000).map(|i| format!(" xmlns:p{i}=\"http://purl.org/dc/elements/1.1/\"")).collect();
    let items: String = (0..3_000).map(|i| format!("<item><p{i}:creator>A{i}</p{i}:creator></item>")).collect();
    let f = p(&format!("<rss version=\"2.0\"{decls}><channel>{items}</channel></rss>"));
    assert_eq!(f.entries.len(), 3_000);
    assert_eq!(f.entries[2_999].authors[0].name.as_deref(), Some("A2999"));
    // An inner declaration shadows the outer one only inside its element.
    let f = p("<rss version=\"2.0\" xmlns:x=\"http://purl.org/dc/elements/1.1/\"><channel><item>\
               <a xmlns:x=\"urn:other\"><x:creator>inner</x:creator></a><x:creator>outer</x:creator></item>\
               <item><b xmlns:y=\"http://purl.org/dc/elements/1.1/\"/><y:creator>gone</y:creator></item></channel></rss>");
    let names: Vec<_> =
        f.entries.iter().map(|e| e.authors.iter().filter_map(|a| a.name.clone()).collect::<Vec<_>>()).collect();
    assert_eq!(names, [vec!["outer".to_string()], vec![]]);
    assert!(f.bozo.is_some_and(|b| b.contains("'y' is not associated with a namespace")));
}

/// Regression: an element's attributes were de-duplicated by scanning those already kept, quadratic in an
/// element with thousands. Many attributes are now indexed; the result is the same (first position, last value).
#[test]
fn regression_elements_with_many_attributes_keep_the_last_value_of_each() {
    let filler: String = (0..3_000).map(|i| format!(" a{i}=\"v\"")).collect();
    let doc = |extra: &str| {
        format!(
            "<rss version=\"2.0\" xml:lang=\"en\"><channel><item><enclosure url=\"http://e/1.mp3\"{extra} \
             type=\"audio/mpeg\" url=\"http://e/2.mp3\" length=\"5\"/></item></channel></rss>"
        )
    };
    let few = p(&doc(""));
    let many = p(&doc(&filler));
    assert_eq!(many.entries[0].enclosures, few.entries[0].enclosures);
    assert_eq!(many.entries[0].enclosures[0].url, "http://e/2.mp3");
}

/// Regression: leading blank pieces of Atom XHTML content were removed one `remove(0)` at a time.
#[test]
fn regression_blank_pieces_before_an_xhtml_div_are_dropped_in_one_pass() {
    let f = p(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><content type=\"xhtml\">{}<div><p>x</p></div>\
         </content></entry></feed>",
        " <!-- -->".repeat(5_000)
    ));
    assert_eq!(f.entries[0].content[0].value, "<p>x</p>");
}

/// Regression: enclosures from `media:content` were de-duplicated by scanning the list built so far.
#[test]
fn regression_media_content_duplicates_are_found_with_a_set() {
    let media: String =
        (0..2_000).chain(0..2_000).map(|i| format!("<media:content url=\"http://e/{i}.mp3\"/>")).collect();
    let f = p(&format!(
        "<rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\"><channel><item>\
         <enclosure url=\"http://e/7.mp3\" type=\"audio/mpeg\"/>{media}\
         <media:content url=\"http://e/img.jpg\" medium=\"image\"/></item></channel></rss>"
    ));
    let urls: Vec<_> = f.entries[0].enclosures.iter().map(|e| e.url.as_str()).collect();
    assert_eq!(urls.len(), 2_000);
    assert_eq!(&urls[..3], ["http://e/7.mp3", "http://e/0.mp3", "http://e/1.mp3"]);
    assert_eq!(f.entries[0].image.as_deref(), Some("http://e/img.jpg"));
}

/// Regression: a JSON Feed served as text/plain or application/octet-stream was read as XML and refused
/// ("no XML element found"). A body opening with '{' is JSON unless the label says XML.
#[test]
fn regression_json_feed_with_a_non_xml_content_type_is_parsed() {
    let body = "\u{feff} \n{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"J\",\
                \"items\":[{\"id\":\"1\",\"url\":\"https://j.example/1\",\"title\":\"One\"}]}";
    for ct in ["text/plain; charset=utf-8", "application/octet-stream", "text/html"] {
        let opts = ParseOptions { content_type: Some(ct.into()), ..Default::default() };
        for f in [parse(body.as_bytes(), &opts), parse_str(body, &opts)] {
            let f = f.unwrap_or_else(|e| panic!("{ct}: {e}"));
            assert_eq!(f.version, FeedVersion::Json11, "{ct}");
            assert_eq!(f.entries[0].title.as_deref(), Some("One"));
            // Mislabelled, as XML served as text/plain is.
            assert_eq!(f.bozo, Some(format!("{ct} is not a JSON media type")));
        }
    }
    let opts = ParseOptions { content_type: Some("application/feed+json".into()), ..Default::default() };
    assert_eq!(parse(body.as_bytes(), &opts).unwrap().bozo, None);
    // XML with such labels is still XML.
    let opts = ParseOptions { content_type: Some("text/plain".into()), ..Default::default() };
    let f = parse(b"<rss version=\"2.0\"><channel><title>X</title></channel></rss>", &opts).unwrap();
    assert_eq!(f.feed.title.as_deref(), Some("X"));
    assert_eq!(f.bozo.as_deref(), Some("text/plain is not an XML media type"));
}

/// Regression: a JSON Feed took a relative Content-Location as its base as written, so relative item URLs
/// stayed relative (and were dropped downstream); it is now resolved against the feed URL, as for XML.
#[test]
fn regression_json_feed_relative_content_location_is_resolved_against_the_feed_url() {
    let opts = ParseOptions {
        base_url: Some("http://feed.example/feeds/j.json".into()),
        content_location: Some("/other/".into()),
        content_type: Some("application/feed+json".into()),
        ..Default::default()
    };
    let body = br#"{"version":"https://jsonfeed.org/version/1","home_page_url":"home","items":[{"id":"1","url":"p"}]}"#;
    let f = parse(body, &opts).unwrap();
    assert_eq!(f.entries[0].link.as_deref(), Some("http://feed.example/other/p"));
    assert_eq!(f.feed.link.as_deref(), Some("http://feed.example/other/home"));
    let opts = ParseOptions { content_location: None, ..opts };
    let f = parse(body, &opts).unwrap();
    assert_eq!(f.entries[0].link.as_deref(), Some("http://feed.example/feeds/p"));
}
