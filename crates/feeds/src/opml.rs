//! OPML import and export: the subscription lists that every feed reader exchanges.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// One feed from an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    /// The feed URL (`xmlUrl`).
    pub xml_url: String,
    /// The outlet's name (`title`, else `text`).
    pub title: Option<String>,
    /// The outlet's home page (`htmlUrl`).
    pub html_url: Option<String>,
    /// The enclosing folder outlines joined with `/` (`World/Europe`), or the outline's own `category`.
    pub category: Option<String>,
    /// The outlet's political lean as the list's author rates it (`lean`, Tidings' own attribute: `left`,
    /// `lean-left`, `center`, `lean-right` or `right`), as written; the importer checks it.
    pub lean: Option<String>,
}

/// Why an OPML file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    /// The XML is broken beyond recovery.
    #[error("OPML is not well-formed XML at byte {position}: {message}")]
    Xml {
        /// Byte offset of the problem.
        position: u64,
        /// What the XML reader said.
        message: String,
    },
    /// The document is XML but not OPML.
    #[error("not an OPML document: {0}")]
    NotOpml(String),
}

/// Reads every feed outline of an OPML document, with categories from the folders around it.
///
/// Lenient where real exports are sloppy: `xmlurl` in any case, outlines without `type="rss"`, and
/// outlines nested in other feed outlines. Outlines without a feed URL are folders.
pub fn parse(bytes: &[u8]) -> Result<Vec<OpmlFeed>, OpmlError> {
    let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes));
    let mut reader = Reader::from_str(&text);
    reader.config_mut().check_end_names = false;
    reader.config_mut().trim_text(true);
    let mut feeds = Vec::new();
    // One entry per open <outline>: the folder name it contributes (None for a feed outline).
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut saw_opml = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| OpmlError::Xml { position: reader.error_position(), message: e.to_string() })?;
        match event {
            Event::Start(ref tag) | Event::Empty(ref tag) => {
                let is_empty = matches!(event, Event::Empty(_));
                let name = tag.local_name();
                let name = name.as_ref();
                if name.eq_ignore_ascii_case(b"opml") {
                    saw_opml = true;
                }
                if !name.eq_ignore_ascii_case(b"outline") {
                    continue;
                }
                let attrs = attributes(tag);
                let get = |key: &str| {
                    attrs
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(key))
                        .map(|(_, v)| v.trim().to_owned())
                        .filter(|v| !v.is_empty())
                };
                let label = get("title").or_else(|| get("text"));
                match get("xmlUrl") {
                    Some(xml_url) => {
                        let path: Vec<&str> = folders.iter().flatten().map(String::as_str).collect();
                        let category = if path.is_empty() {
                            get("category").and_then(|c| {
                                c.split(',').next().map(|first| first.trim().trim_start_matches('/').to_owned())
                            })
                        } else {
                            Some(path.join("/"))
                        }
                        .filter(|c| !c.is_empty());
                        feeds.push(OpmlFeed {
                            xml_url,
                            title: label,
                            html_url: get("htmlUrl"),
                            category,
                            lean: get("lean"),
                        });
                        if !is_empty {
                            folders.push(None);
                        }
                    }
                    None => {
                        if !is_empty {
                            folders.push(label);
                        }
                    }
                }
            }
            Event::End(ref tag) if tag.local_name().as_ref().eq_ignore_ascii_case(b"outline") => {
                folders.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_opml {
        return Err(OpmlError::NotOpml("no <opml> element".to_owned()));
    }
    Ok(feeds)
}

fn attributes(tag: &BytesStart<'_>) -> Vec<(String, String)> {
    tag.html_attributes()
        .flatten()
        .map(|attr| {
            let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
            let value = match attr.unescape_value() {
                Ok(v) => v.into_owned(),
                // A bare `&` in a title is common; keep the raw text rather than drop the feed.
                Err(_) => String::from_utf8_lossy(&attr.value).into_owned(),
            };
            (key, value)
        })
        .collect()
}

/// Writes an OPML 2.0 document with one folder outline per category.
pub fn write(title: &str, feeds: &[OpmlFeed]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n");
    out.push_str(&format!("    <title>{}</title>\n  </head>\n  <body>\n", escape(title)));
    let mut categories: Vec<Option<&str>> = Vec::new();
    for feed in feeds {
        let c = feed.category.as_deref();
        if !categories.contains(&c) {
            categories.push(c);
        }
    }
    for category in categories {
        let indent = if category.is_some() { "      " } else { "    " };
        if let Some(name) = category {
            out.push_str(&format!("    <outline text=\"{0}\" title=\"{0}\">\n", escape(name)));
        }
        for feed in feeds.iter().filter(|f| f.category.as_deref() == category) {
            let label = escape(feed.title.as_deref().unwrap_or(&feed.xml_url));
            out.push_str(&format!(
                "{indent}<outline type=\"rss\" text=\"{label}\" title=\"{label}\" xmlUrl=\"{}\"",
                escape(&feed.xml_url)
            ));
            if let Some(html) = &feed.html_url {
                out.push_str(&format!(" htmlUrl=\"{}\"", escape(html)));
            }
            if let Some(lean) = &feed.lean {
                out.push_str(&format!(" lean=\"{}\"", escape(lean)));
            }
            out.push_str("/>\n");
        }
        if category.is_some() {
            out.push_str("    </outline>\n");
        }
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SAMPLE: &str = r#"<?xml version="1.0"?>
<opml version="2.0"><head><title>Mine</title></head><body>
  <outline text="World">
    <outline text="Europe">
      <outline type="rss" text="Harbor Herald" xmlUrl="https://harbor.example/feed.xml" htmlUrl="https://harbor.example/" lean="center"/>
    </outline>
    <outline type="rss" title="Wire &amp; Co" text="ignored" xmlurl="https://wire.example/atom.xml"></outline>
  </outline>
  <outline text="Loose" xmlUrl="https://loose.example/rss" category="/Tech,Science"/>
  <outline text="Empty folder"/>
</body></opml>"#;

    #[test]
    fn categories_come_from_folders() {
        let feeds = parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(feeds.len(), 3);
        assert_eq!(feeds[0].category.as_deref(), Some("World/Europe"));
        assert_eq!(feeds[0].html_url.as_deref(), Some("https://harbor.example/"));
        assert_eq!(feeds[1].title.as_deref(), Some("Wire & Co"));
        assert_eq!(feeds[1].category.as_deref(), Some("World"));
        assert_eq!(feeds[2].category.as_deref(), Some("Tech"));
        assert_eq!(feeds[0].lean.as_deref(), Some("center"));
        assert_eq!(feeds[1].lean, None);
    }

    #[test]
    fn export_round_trips() {
        let feeds = parse(SAMPLE.as_bytes()).unwrap();
        let written = write("Tidings sources", &feeds);
        assert_eq!(parse(written.as_bytes()).unwrap(), feeds);
    }

    #[test]
    fn not_opml_is_an_error() {
        let err = parse(b"<html><body>hello</body></html>").unwrap_err();
        assert!(err.to_string().contains("not an OPML document"), "{err}");
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn any_titles_round_trip(title in "\\PC{0,30}", url in "https://[a-z]{1,10}\\.example/[a-z&?=]{0,10}") {
            let feeds = vec![OpmlFeed { xml_url: url, title: Some(title.trim().to_owned()).filter(|t| !t.is_empty()), html_url: None, category: Some("A".into()), lean: None }];
            let back = parse(write("t", &feeds).as_bytes()).unwrap();
            prop_assert_eq!(back[0].xml_url.clone(), feeds[0].xml_url.clone());
        }
    }
}
