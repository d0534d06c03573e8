//! Throughput of `tidings_feeds::parse` against the feed-rs crate on the same files, same run.
//!
//! `TIDINGS_FEED_CORPUS=/tmp/synth cargo bench -p tidings-feeds --bench throughput`
//! (generate the corpus with `python3 bench/feeds/gen_synth.py /tmp/synth 200`). Files are
//! preloaded; each parser makes several passes on one thread and the median pass is reported.

use std::hint::black_box;
use std::time::{Duration, Instant};

fn load(dir: &str) -> Vec<Vec<u8>> {
    let mut paths: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect(),
        Err(e) => {
            eprintln!("cannot read {dir}: {e}");
            return Vec::new();
        }
    };
    paths.sort();
    paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

fn median_pass(files: &[Vec<u8>], passes: usize, mut f: impl FnMut(&[u8]) -> usize) -> (Duration, usize) {
    let mut times = Vec::new();
    let mut entries = 0;
    for _ in 0..passes {
        let t = Instant::now();
        entries = files.iter().map(|b| f(b)).sum();
        times.push(t.elapsed());
    }
    times.sort();
    (times[times.len() / 2], entries)
}

fn main() {
    let Ok(dir) = std::env::var("TIDINGS_FEED_CORPUS") else {
        eprintln!("set TIDINGS_FEED_CORPUS to a folder of feeds (python3 bench/feeds/gen_synth.py /tmp/synth 200)");
        return;
    };
    let passes: usize = std::env::var("TIDINGS_BENCH_PASSES").ok().and_then(|p| p.parse().ok()).unwrap_or(5);
    let files = load(&dir);
    let bytes: usize = files.iter().map(Vec::len).sum();
    let mb = bytes as f64 / 1e6;
    println!("corpus: {} files, {:.1} MB, {passes} passes each, one thread", files.len(), mb);

    let opts = tidings_feeds::ParseOptions::default();
    let (ours, our_entries) = median_pass(&files, passes, |b| {
        black_box(tidings_feeds::parse(black_box(b), &opts)).map(|f| f.entries.len()).unwrap_or(0)
    });
    let (theirs, their_entries) = median_pass(&files, passes, |b| {
        black_box(feed_rs::parser::parse(black_box(b))).map(|f| f.entries.len()).unwrap_or(0)
    });
    let ours_mbs = mb / ours.as_secs_f64();
    let theirs_mbs = mb / theirs.as_secs_f64();
    println!("tidings-feeds: {ours_mbs:8.1} MB/s  ({:.3} s/pass, {our_entries} entries)", ours.as_secs_f64());
    println!("feed-rs:       {theirs_mbs:8.1} MB/s  ({:.3} s/pass, {their_entries} entries)", theirs.as_secs_f64());
    println!("ratio: {:.2}x", ours_mbs / theirs_mbs);
}
