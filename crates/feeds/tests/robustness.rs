//! `parse` must never panic: arbitrary bytes, mutated valid feeds, and (when present) the
//! shared conformance corpus.

use proptest::prelude::*;
use tidings_feeds::{ParseOptions, compat, parse};

const SEEDS: &[&str] = &[
    include_str!("fixtures/podcast.xml"),
    r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://e/"><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">a<b>b</b></div></title><entry><content type="html">&lt;p&gt;x&lt;/p&gt;</content><link href="x"/></entry></feed>"#,
    r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1","content_html":"<p>x</p>"}]}"#,
];

fn check(bytes: &[u8]) {
    let opts = ParseOptions { base_url: Some("http://example.com/feed".into()), ..Default::default() };
    if let Ok(f) = parse(bytes, &opts) {
        let _ = compat::feedparser_view(&f);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes);
    }

    #[test]
    fn mutated_feeds_never_panic(seed in 0..SEEDS.len(), edits in proptest::collection::vec((any::<u16>(), any::<u8>(), 0u8..3), 1..24)) {
        let mut bytes = SEEDS[seed].as_bytes().to_vec();
        for (pos, byte, op) in edits {
            if bytes.is_empty() { break; }
            let i = usize::from(pos) % bytes.len();
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        check(&bytes);
    }
}

#[test]
fn conformance_corpus_never_panics() {
    let root = std::path::Path::new("/work/shared/bench/feeds/feedparser");
    if !root.exists() {
        eprintln!("skipping: {} not present", root.display());
        return;
    }
    let mut stack = vec![root.to_path_buf()];
    let mut n = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                check(&bytes);
                n += 1;
            }
        }
    }
    assert!(n > 1000, "expected the whole corpus, read {n} files");
}
