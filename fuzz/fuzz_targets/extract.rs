#![no_main]
//! Article extraction must never panic, whatever the bytes: a clear error or a best-effort article.

use libfuzzer_sys::fuzz_target;
use tidings_extract::{ExtractOptions, extract};

fuzz_target!(|data: &[u8]| {
    let opts = ExtractOptions { url: Some("https://example.org/a/b.html".into()), ..Default::default() };
    let _ = extract(data, &opts);
});
