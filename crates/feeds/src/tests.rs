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
