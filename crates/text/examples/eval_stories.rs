//! Development harness for `tidings eval stories` (which the binary will wire to the same file):
//! `cargo run --release -p tidings-text --example eval_stories -- IN.jsonl OUT.jsonl`.
//! Settings can be overridden for tuning with `STORIES_<FIELD>=value` environment variables.
#![allow(missing_docs)]

#[path = "../../tidings/src/eval/stories.rs"]
#[allow(dead_code)]
mod stories;

use tidings_text::ClusterConfig;

fn env_f32(name: &str, default: f32) -> f32 {
    std::env::var(format!("STORIES_{name}")).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(format!("STORIES_{name}")).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out] = args.as_slice() else {
        anyhow::bail!("usage: eval_stories IN.jsonl OUT.jsonl");
    };
    let d = ClusterConfig::default();
    let config = ClusterConfig {
        threshold: env_f32("THRESHOLD", d.threshold),
        long_threshold: env_f32("LONG_THRESHOLD", d.long_threshold),
        short_terms: env_usize("SHORT_TERMS", d.short_terms),
        long_terms: env_usize("LONG_TERMS", d.long_terms),
        merge_threshold: env_f32("MERGE_THRESHOLD", d.merge_threshold),
        query_terms: env_usize("QUERY_TERMS", d.query_terms),
        index_terms: env_usize("INDEX_TERMS", d.index_terms),
        postings_cap: env_usize("POSTINGS_CAP", d.postings_cap),
        candidates: env_usize("CANDIDATES", d.candidates),
        title_weight: env_f32("TITLE_WEIGHT", d.title_weight),
        opening_weight: env_f32("OPENING_WEIGHT", d.opening_weight),
        body_weight: env_f32("BODY_WEIGHT", d.body_weight),
        opening_words: env_usize("OPENING_WORDS", d.opening_words),
        name_boost: env_f32("NAME_BOOST", d.name_boost),
        name_pair_weight: env_f32("NAME_PAIR_WEIGHT", d.name_pair_weight),
        same_outlet_factor: env_f32("SAME_OUTLET_FACTOR", d.same_outlet_factor),
        max_members: env_usize("MAX_MEMBERS", d.max_members),
        score_terms: env_usize("SCORE_TERMS", d.score_terms),
        prefix_chars: env_usize("PREFIX_CHARS", d.prefix_chars),
        idf_power: env_f32("IDF_POWER", d.idf_power),
        prior_docs: env_f32("PRIOR_DOCS", d.prior_docs),
        max_text_words: env_usize("MAX_TEXT_WORDS", d.max_text_words),
        word_pair_weight: env_f32("WORD_PAIR_WEIGHT", d.word_pair_weight),
        hub_k: env_usize("HUB_K", d.hub_k),
        hub_weight: env_f32("HUB_WEIGHT", d.hub_weight),
        margin: env_f32("MARGIN", d.margin),
        ..d
    };
    let summary = stories::run_with(input.as_ref(), out.as_ref(), config)?;
    println!("{summary}");
    Ok(())
}
