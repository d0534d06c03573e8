#![no_main]
//! `opml::parse` must never panic, whatever the bytes; what it reads must survive `write` and a re-parse.

use libfuzzer_sys::fuzz_target;
use tidings_feeds::opml;

fuzz_target!(|data: &[u8]| {
    if let Ok(feeds) = opml::parse(data) {
        let written = opml::write("fuzz", &feeds);
        let _ = opml::parse(written.as_bytes());
    }
});
