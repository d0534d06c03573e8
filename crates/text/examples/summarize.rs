//! Development harness for `tidings eval summaries` (the binary wires the same file):
//! `cargo run --release -p tidings-text --example summarize -- IN.jsonl OUT.jsonl [lead3|summary|points]`.
//! `lead3` writes the first three sentences (the baseline), `points` the key points. Settings can be
//! overridden for tuning with `SUMMARY_<FIELD>=value` environment variables.
#![allow(missing_docs)]

#[path = "../../tidings/src/eval/summaries.rs"]
#[allow(dead_code)]
mod summaries;

use tidings_text::sentences::{dateline_len, sentences};
use tidings_text::summary::{SummaryConfig, key_points_with, summarize_with};

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
        max_read: env("MAX_READ", d.max_read),
    };
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
