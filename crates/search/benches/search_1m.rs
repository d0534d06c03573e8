//! Search latency over 1M articles: builds (once, then reuses) a tantivy index of synthetic news articles and
//! runs 100 mixed queries — common, middling and rare words, two- and three-word queries, phrases, exclusions,
//! outlet:, topic: and date filters — reporting p50/p95/p99 over the queries (each timed as the best of three
//! runs, as a warm server would answer them).
//!
//! `cargo bench -p tidings-search --bench search_1m` (SEARCH_BENCH_ARTICLES to change the size,
//! SEARCH_BENCH_DIR to keep the index elsewhere; it is rebuilt when its size differs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use tidings_core::{SearchDoc, SearchIndex, SearchQuery};
use tidings_search::TantivyIndex;

const OUTLETS: [&str; 12] = [
    "The Meridian Daily meridian.example",
    "Valley Wire valleywire.example",
    "Harbour Times harbourtimes.example",
    "Northern Ledger northernledger.example",
    "Capital Courier capitalcourier.example",
    "The Evening Lantern lantern.example",
    "Coastline Post coastlinepost.example",
    "Metro Signal metrosignal.example",
    "The Plainsman plainsman.example",
    "Summit Review summitreview.example",
    "Riverside Herald riversideherald.example",
    "Global Dispatch globaldispatch.example",
];
const TOPICS: [&str; 8] = ["World", "Politics", "Business", "Technology", "Science", "Health", "Sport", "Culture"];

/// A small deterministic generator (xorshift64*), so every run builds the same index.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Pronounceable made-up words, so no real text is copied and the vocabulary is as large as we like.
fn vocabulary(size: usize) -> Vec<String> {
    const ONSETS: [&str; 16] = ["b", "c", "d", "f", "g", "h", "l", "m", "n", "p", "r", "s", "t", "v", "st", "br"];
    const VOWELS: [&str; 6] = ["a", "e", "i", "o", "u", "ea"];
    const CODAS: [&str; 8] = ["", "n", "r", "s", "t", "l", "nd", "rk"];
    let mut rng = Rng(0x5EED_0001);
    let mut words = std::collections::BTreeSet::new();
    while words.len() < size {
        let syllables = 1 + rng.below(3);
        let mut w = String::new();
        for _ in 0..syllables {
            w.push_str(ONSETS[rng.below(ONSETS.len())]);
            w.push_str(VOWELS[rng.below(VOWELS.len())]);
        }
        w.push_str(CODAS[rng.below(CODAS.len())]);
        words.insert(w);
    }
    let mut words: Vec<String> = words.into_iter().collect();
    // Shuffle so rank (frequency) does not follow alphabetical order.
    for i in (1..words.len()).rev() {
        words.swap(i, rng.below(i + 1));
    }
    words
}

/// Zipf-distributed word ranks by inverse transform over the cumulative weights.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|k| {
                total += 1.0 / (k as f64).powf(s);
                total
            })
            .collect::<Vec<_>>();
        let cumulative = cumulative.into_iter().map(|c| c / total).collect();
        Zipf { cumulative }
    }
    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cumulative.partition_point(|&c| c < u).min(self.cumulative.len() - 1)
    }
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-30T00:00:00Z").unwrap().with_timezone(&Utc)
}

fn article(id: i64, rng: &mut Rng, words: &[String], zipf: &Zipf) -> SearchDoc {
    let sentence = |len: usize, rng: &mut Rng| {
        let mut s = String::new();
        for i in 0..len {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(&words[zipf.sample(rng)]);
        }
        s
    };
    let title = sentence(6 + rng.below(6), rng);
    let mut text = String::new();
    let sentences = 12 + rng.below(16);
    for _ in 0..sentences {
        let len = 8 + rng.below(14);
        text.push_str(&sentence(len, rng));
        text.push_str(". ");
    }
    let outlet = rng.below(OUTLETS.len());
    SearchDoc {
        id,
        source_id: outlet as i64,
        title,
        text,
        outlet: OUTLETS[outlet].to_owned(),
        topic: TOPICS[(outlet + rng.below(2)) % TOPICS.len()].to_owned(),
        published_at: now() - TimeDelta::minutes(rng.below(365 * 24 * 60) as i64),
    }
}

fn queries(words: &[String]) -> Vec<String> {
    let mut rng = Rng(0x5EED_0002);
    let mut pick = |lo: usize, hi: usize| words[lo + rng.below(hi - lo)].clone();
    let mut out = Vec::new();
    for _ in 0..15 {
        out.push(pick(20, 200)); // common: in a large share of articles
    }
    for _ in 0..15 {
        out.push(pick(200, 3000)); // middling
    }
    for _ in 0..10 {
        out.push(pick(3000, 20_000)); // rare
    }
    for _ in 0..15 {
        out.push(format!("{} {}", pick(50, 1000), pick(50, 2000)));
    }
    for _ in 0..10 {
        out.push(format!("{} {} {}", pick(100, 2000), pick(100, 2000), pick(100, 5000)));
    }
    // Phrases people type are names and set expressions, of middling words; a phrase of the commonest
    // (stop-word-like) words is measured apart below.
    for _ in 0..10 {
        out.push(format!("\"{} {}\"", pick(60, 1500), pick(60, 1500)));
    }
    for _ in 0..8 {
        out.push(format!("{} -{}", pick(50, 800), pick(20, 200)));
    }
    let outlets = ["meridian", "\"valley wire\"", "harbourtimes", "ledger", "lantern"];
    for i in 0..6 {
        out.push(format!("{} outlet:{}", pick(100, 2000), outlets[i % outlets.len()]));
    }
    for topic in &TOPICS[..6] {
        out.push(format!("{} topic:{}", pick(100, 2000), topic.to_lowercase()));
    }
    for _ in 0..5 {
        out.push(format!("{} after:2026-11-01", pick(20, 1000)));
    }
    out.truncate(100);
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let n: usize = std::env::var("SEARCH_BENCH_ARTICLES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = std::env::var("SEARCH_BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(|_| {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/search-bench-{n}"))
    });
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let words = vocabulary(40_000);
    runtime.block_on(async {
        let mut index = TantivyIndex::open(&dir, true).unwrap();
        let have = index.count().await.unwrap();
        if have != n {
            println!("building an index of {n} synthetic articles in {} (reused by later runs)", dir.display());
            index.clear().await.unwrap();
            let zipf = Zipf::new(words.len(), 1.0);
            let mut rng = Rng(0x5EED_0003);
            let started = Instant::now();
            let batch = 100_000;
            for start in (0..n).step_by(batch) {
                let docs: Vec<SearchDoc> =
                    (start..(start + batch).min(n)).map(|i| article(i as i64 + 1, &mut rng, &words, &zipf)).collect();
                index.upsert(docs).await.unwrap();
                if start % batch == 0 {
                    eprint!("\r{} / {n}", start + batch);
                }
            }
            let secs = started.elapsed().as_secs_f64();
            println!("\rindexed {n} articles in {secs:.0}s ({:.0}/s)", n as f64 / secs);
            drop(index);
            index = TantivyIndex::open(&dir, true).unwrap();
        }
        let queries = queries(&words);
        let mut times = Vec::with_capacity(queries.len());
        let mut slowest = (Duration::ZERO, String::new());
        let mut matched = 0usize;
        for raw in &queries {
            let query = SearchQuery::parse(raw).unwrap();
            let mut best = Duration::MAX;
            for _ in 0..3 {
                let started = Instant::now();
                let results = index.search(&query, 0, 20, now()).await.unwrap();
                best = best.min(started.elapsed());
                matched = matched.max(results.total);
            }
            if best > slowest.0 {
                slowest = (best, raw.clone());
            }
            times.push(best);
        }
        let mut sorted = times.clone();
        sorted.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{} queries over {n} articles: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({}); \
             largest match set {matched}; bar p95 < 20 ms: {}",
            queries.len(),
            ms(percentile(&sorted, 0.50)),
            ms(percentile(&sorted, 0.95)),
            ms(percentile(&sorted, 0.99)),
            ms(slowest.0),
            slowest.1,
            if percentile(&sorted, 0.95) < Duration::from_millis(20) { "met" } else { "NOT met" }
        );
        // The worst case, reported apart: phrases of the very commonest words (each in over half the articles),
        // where every match must be visited to check positions.
        let mut worst = Vec::new();
        for i in 0..5 {
            let raw = format!("\"{} {}\"", words[i * 7 % 60], words[(i * 13 + 5) % 60]);
            let query = SearchQuery::parse(&raw).unwrap();
            let started = Instant::now();
            let results = index.search(&query, 0, 20, now()).await.unwrap();
            worst.push((started.elapsed(), results.total));
        }
        worst.sort();
        println!(
            "phrases of the commonest words (not in the 100): median {:.1} ms, max {:.1} ms, up to {} matches",
            ms(worst[2].0),
            ms(worst[4].0),
            worst.iter().map(|w| w.1).max().unwrap_or(0)
        );
    });
}
