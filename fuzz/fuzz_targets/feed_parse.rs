#![no_main]
//! `parse` (and the feedparser view of its result) must never panic, whatever the bytes.

use libfuzzer_sys::fuzz_target;
use tidings_feeds::{ParseOptions, compat, parse, parse_str};

fuzz_target!(|data: &[u8]| {
    let opts = ParseOptions { base_url: Some("http://example.com/feed".into()), ..Default::default() };
    if let Ok(feed) = parse(data, &opts) {
        let _ = compat::feedparser_view(&feed);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_str(text, &opts);
    }
});
