//! Development harness for `tidings eval summaries` (the binary wires the same file):
//! `cargo run --release -p tidings-text --example summarize -- IN.jsonl OUT.jsonl [lead3|summary|points]`.
//! `lead3` writes the first three sentences (the baseline), `points` the key points. Settings can be
//! overridden for tuning with `SUMMARY_<FIELD>=value` environment variables.
#![allow(missing_docs)]

#[path = "../../tidings/src/eval/summaries.rs"]
#[allow(dead_code)]
mod summaries;

use tidings_text::sentences::{dateline_len, sentences};
use tidings_text::summary::{SummaryConfig, digest_with, key_points_with, summarize_with};

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(format!("SUMMARY_{name}")).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (input, out, mode) = match args.as_slice() {
        [i, o] => (i, o, "summary"),
        [i, o, m] => (i, o, m.as_str()),
        _ => anyhow::bail!("usage: summarize IN.jsonl OUT.jsonl [lead3|summary|points]"),
    };
    let d = SummaryConfig::default();
    let cfg = SummaryConfig {
        target_words: env("TARGET_WORDS", d.target_words),
        max_sentences: env("MAX_SENTENCES", d.max_sentences),
        position_weight: env("POSITION_WEIGHT", d.position_weight),
        centroid_weight: env("CENTROID_WEIGHT", d.centroid_weight),
        title_weight: env("TITLE_WEIGHT", d.title_weight),
        max_overlap: env("MAX_OVERLAP", d.max_overlap),
        max_overshoot: env("MAX_OVERSHOOT", d.max_overshoot),
        min_words: env("MIN_WORDS", d.min_words),
        max_words: env("MAX_WORDS", d.max_words),
        trim: env("TRIM", d.trim),
        max_read: env("MAX_READ", d.max_read),
    };
    if mode == "speed" {
        // Summary and key points of every article, ten times over: the enrichment cost per article.
        let texts: Vec<String> = std::fs::read_to_string(input)?
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_string))
            .collect();
        let words: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
        let start = std::time::Instant::now();
        let mut n = 0usize;
        for _ in 0..10 {
            for t in &texts {
                let d = digest_with(None, t, 4, &cfg);
                n += d.summary.sentences.len() + d.key_points.len();
            }
        }
        let per = start.elapsed().as_secs_f64() / (10 * texts.len()) as f64;
        println!(
            "summary + key points: {:.3} ms per article ({:.0} words on average), {:.0} articles/s on one core ({n})",
            per * 1e3,
            words as f64 / texts.len() as f64,
            1.0 / per
        );
        return Ok(());
    }
    let report = match mode {
        "lead3" => summaries::run_with(input.as_ref(), out.as_ref(), &cfg, |text| {
            sentences(text).iter().take(3).map(|s| &s[dateline_len(s)..]).collect::<Vec<_>>().join("\n")
        })?,
        "points" => summaries::run_with(input.as_ref(), out.as_ref(), &cfg, |text| {
            key_points_with(None, text, 4, &cfg).join("\n")
        })?,
        _ => summaries::run_with(input.as_ref(), out.as_ref(), &cfg, |text| summarize_with(None, text, &cfg).lines())?,
    };
    println!("{report}");
    Ok(())
}
