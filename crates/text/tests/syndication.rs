//! The syndication bar: copies of real article texts (the 181 ground-truth bodies of the extraction benchmark
//! in `../shared/bench/extraction`, read at test time and never stored in the repository), each with a new
//! headline, added boilerplate, dropped and reordered paragraphs and 10% of its words changed, must be found
//! as copies of their original (precision ≥ 0.99, recall ≥ 0.95), and no two distinct articles may match.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use tidings_text::dedup::{DupConfig, DupIndex};

fn ground_truth() -> Option<Vec<String>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/bench/extraction/scrapinghub/ground-truth.json");
    let raw = std::fs::read_to_string(&path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&raw).expect("ground-truth.json is JSON");
    let mut texts: Vec<(String, String)> = value
        .as_object()?
        .iter()
        .map(|(id, v)| (id.clone(), v["articleBody"].as_str().unwrap_or_default().to_string()))
        .collect();
    texts.sort();
    Some(texts.into_iter().map(|(_, t)| t).collect())
}

/// A small deterministic generator (xorshift), so the copies are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const REPLACEMENTS: [&str; 12] =
    ["said", "new", "reported", "officials", "week", "also", "however", "people", "major", "local", "plan", "more"];

/// Makes a syndicated copy: a new headline and boilerplate around the body, one paragraph in five dropped
/// (when there are at least three), two paragraphs swapped, and 10% of the words replaced.
fn make_copy(original: &str, rng: &mut Rng) -> String {
    let mut paragraphs: Vec<String> =
        original.split('\n').map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect();
    if paragraphs.len() >= 3 {
        let drop = (paragraphs.len() / 5).max(1);
        for _ in 0..drop {
            let i = rng.below(paragraphs.len());
            paragraphs.remove(i);
        }
    }
    if paragraphs.len() >= 2 {
        let i = rng.below(paragraphs.len() - 1);
        paragraphs.swap(i, i + 1);
    }
    let edited: Vec<String> = paragraphs
        .iter()
        .map(|p| {
            p.split(' ')
                .map(|w| if rng.below(10) == 0 { REPLACEMENTS[rng.below(REPLACEMENTS.len())] } else { w })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    format!(
        "Read this: a fresh headline written by the republisher\n\nSign up for our morning newsletter and never \
         miss a story. Follow us on social media for updates.\n\n{}\n\nThis story was shared through a content \
         partnership. Comments are closed. Copyright the republisher, all rights reserved.",
        edited.join("\n\n")
    )
}

#[test]
fn syndicated_copies_are_found_with_high_precision_and_recall_and_distinct_articles_never_match() {
    let Some(originals) = ground_truth() else {
        eprintln!("skipped: ../shared/bench/extraction is not present next to the repository");
        return;
    };
    assert_eq!(originals.len(), 181);
    let config = DupConfig::default();
    let mut index: DupIndex<usize> = DupIndex::new(config.clone(), 10_000);
    let mut distinct_merged = Vec::new();
    let mut unfingerprinted = 0;
    for (i, text) in originals.iter().enumerate() {
        let Some(fp) = index.fingerprint(text) else {
            unfingerprinted += 1;
            continue;
        };
        for (j, overlap) in index.find(&fp) {
            distinct_merged.push((j, i, overlap));
        }
        index.insert(i, fp);
    }
    assert!(distinct_merged.is_empty(), "distinct articles matched: {distinct_merged:?}");
    // The closest two distinct articles come, for the margin under the thresholds.
    let fps: Vec<_> = originals.iter().filter_map(|t| index.fingerprint(t)).collect();
    let mut closest = (0.0f32, 0.0f32);
    for (a, fa) in fps.iter().enumerate() {
        for fb in &fps[a + 1..] {
            let o = fa.overlap(fb);
            if o.containment > closest.0 {
                closest = (o.containment, o.shared);
            }
        }
    }
    eprintln!("closest distinct pair: containment={:.3} shared={:.1}", closest.0, closest.1);

    let (mut true_pos, mut false_pos, mut missed, mut copies) = (0usize, 0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for round in 0..3u64 {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (round + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
        for (i, text) in originals.iter().enumerate() {
            let copy = make_copy(text, &mut rng);
            copies += 1;
            let found = index.fingerprint(&copy).map(|fp| index.find(&fp)).unwrap_or_default();
            let mut hit = false;
            for (j, _) in &found {
                if *j == i {
                    hit = true;
                    true_pos += 1;
                } else {
                    false_pos += 1;
                }
            }
            if !hit {
                missed += 1;
                misses.push((i, text.split_whitespace().count(), found));
            }
        }
    }
    let precision = true_pos as f64 / (true_pos + false_pos).max(1) as f64;
    let recall = (copies - missed) as f64 / copies as f64;
    eprintln!(
        "syndication: copies={copies} precision={precision:.4} recall={recall:.4} false_pos={false_pos} \
         missed={missed} unfingerprinted_originals={unfingerprinted}"
    );
    for (i, words, found) in misses.iter().take(10) {
        eprintln!("  missed original {i} ({words} words): found {found:?}");
    }
    assert!(precision >= 0.99, "precision {precision:.4}");
    assert!(recall >= 0.95, "recall {recall:.4}");
}
