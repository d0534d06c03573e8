#![no_main]
//! Feed discovery in HTML and the feed sniffer must never panic, whatever the bytes.

use libfuzzer_sys::fuzz_target;
use tidings_feeds::discover::{discover_feeds, looks_like_feed};

fuzz_target!(|data: &[u8]| {
    let _ = looks_like_feed(data);
    let _ = discover_feeds(data, "https://example.org/");
});
