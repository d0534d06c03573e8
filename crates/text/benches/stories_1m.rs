//! Speed and memory of online story clustering at scale: stores 1,000,000 synthetic articles, then clusters
//! 50,000 new ones and reports the online rate, per-article latency and resident memory.
//!
//! `cargo bench -p tidings-text --bench stories_1m` (single-threaded). `STORIES_BENCH_STORED=N` stores N
//! articles instead of 1,000,000 and `STORIES_BENCH_NEW=N` measures N new ones instead of 50,000, for quick runs.
//!
//! Each article goes through the per-article work of the product: fingerprint the text, look up its copies
//! in a capacity-bounded [`DupIndex`] and insert it, then [`StoryClusterer::add`] with the default
//! configuration. Only those calls are timed; generating the text is not.
//!
//! The stream is deterministic: a vocabulary of a few thousand generated words with Zipf-like frequencies
//! plus English function words; about 3,000 events active at a time, each with names and terms of its own and
//! a subject shared with other events, producing a few to a few dozen articles over a few days; titles of
//! ~10 words and texts of 300-600 words from 300 outlets; publication times advancing so that 1M articles span
//! 100 days; 7% syndicated copies of recent articles with light edits (new title, changed words, dropped
//! paragraph, boilerplate).
#![allow(missing_docs)]

/// The `tidings` binary's allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::VecDeque;
use std::rc::Rc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use rustc_hash::{FxHashMap, FxHashSet};
use tidings_text::{ClusterConfig, ClusterInput, DupConfig, DupIndex, StoryClusterer};

const STORED: usize = 1_000_000;
const NEW: usize = 50_000;
const DUP_CAPACITY: usize = 200_000;
const TARGET_RATE: f64 = 5_000.0;
/// 100 days over 1M articles.
const SECONDS_PER_ARTICLE: f64 = 100.0 * 86_400.0 / 1_000_000.0;

/// splitmix64: deterministic and dependency-free.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n.max(1) as u64) >> 32) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// Words with Zipf-like frequencies (weight 1 / rank^s).
struct Zipf {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(words: Vec<String>, s: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (0..words.len())
            .map(|r| {
                total += 1.0 / ((r + 1) as f64).powf(s);
                total
            })
            .collect();
        Self { words, cumulative }
    }
    fn pick(&self, rng: &mut Rng) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * total;
        let i = self.cumulative.partition_point(|&c| c < u).min(self.words.len() - 1);
        &self.words[i]
    }
}

const SYLLABLES_ON: &[&str] = &["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st", "tr"];
const SYLLABLES_NU: &[&str] = &["a", "e", "i", "o", "u", "ai", "ou", "ea"];
const SYLLABLES_CO: &[&str] = &["", "", "", "n", "r", "s", "l", "nd", "rt"];

/// A pronounceable word of 2-4 syllables that no other call returned (per `seen`).
fn fresh_word(rng: &mut Rng, seen: &mut FxHashSet<String>) -> String {
    loop {
        let mut w = String::new();
        for _ in 0..rng.range(2, 4) {
            w.push_str(SYLLABLES_ON[rng.below(SYLLABLES_ON.len())]);
            w.push_str(SYLLABLES_NU[rng.below(SYLLABLES_NU.len())]);
            w.push_str(SYLLABLES_CO[rng.below(SYLLABLES_CO.len())]);
        }
        if seen.insert(w.clone()) {
            return w;
        }
    }
}

fn capitalise(w: &str) -> String {
    let mut c = w.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

const FUNCTION_WORDS: &[&str] = &[
    "the", "of", "and", "to", "a", "in", "that", "is", "was", "for", "on", "with", "as", "by", "at", "from", "it",
    "his", "her", "their", "said", "has", "have", "had", "were", "be", "been", "an", "this", "which", "after", "but",
    "not", "they", "who", "will", "would", "its", "more", "than", "also", "over", "into", "about", "when",
];

/// The fixed material of the stream: vocabulary, subjects, names and outlets.
struct World {
    vocab: Zipf,
    /// Words of each subject (politics, sport, ...), shared by many events.
    subjects: Vec<Vec<String>>,
    /// Capitalised name words (people, places, organisations).
    names: Vec<String>,
    outlets: Vec<String>,
}

impl World {
    fn new(rng: &mut Rng) -> Self {
        let mut seen: FxHashSet<String> = FUNCTION_WORDS.iter().map(|w| (*w).to_string()).collect();
        let vocab: Vec<String> = (0..4_000).map(|_| fresh_word(rng, &mut seen)).collect();
        let subjects =
            (0..24).map(|_| (0..40).map(|_| vocab[rng.range(100, vocab.len() - 1)].clone()).collect()).collect();
        let names = (0..30_000).map(|_| capitalise(&fresh_word(rng, &mut seen))).collect();
        let outlets = (0..300).map(|i| format!("{}{i}.example", fresh_word(rng, &mut seen))).collect();
        Self { vocab: Zipf::new(vocab, 1.0), subjects, names, outlets }
    }
}

/// A news event: the names and terms its articles share.
struct Event {
    id: u32,
    subject: usize,
    /// Multi-word names ("Varoneska Tribaldo").
    names: Vec<Vec<String>>,
    terms: Vec<String>,
}

/// An event in the active pool.
struct Slot {
    event: Rc<Event>,
    remaining: usize,
    until: f64,
}

struct Article {
    title: String,
    text: String,
    outlet: usize,
    published: DateTime<Utc>,
    event: u32,
    /// For a syndicated copy: the sequence number of the article it copies.
    copy_of: Option<u32>,
}

/// What is kept of a recent article to syndicate it later: enough to regenerate its text.
struct Recent {
    seq: u32,
    event: Rc<Event>,
    seed: u64,
    outlet: usize,
}

struct Stream {
    world: World,
    rng: Rng,
    pool: Vec<Slot>,
    next_event: u32,
    recent: VecDeque<Recent>,
    seq: u32,
    t0: DateTime<Utc>,
}

const ACTIVE_EVENTS: usize = 3_000;
const RECENT: usize = 5_000;
const COPY_SHARE: f64 = 0.07;

impl Stream {
    fn new(seed: u64) -> Self {
        let mut rng = Rng(seed);
        let world = World::new(&mut rng);
        let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().unwrap_or_default();
        let mut s = Self { world, rng, pool: Vec::new(), next_event: 0, recent: VecDeque::new(), seq: 0, t0 };
        for _ in 0..ACTIVE_EVENTS {
            let slot = s.new_slot(0.0);
            s.pool.push(slot);
        }
        s
    }

    fn new_slot(&mut self, now: f64) -> Slot {
        let rng = &mut self.rng;
        let names = (0..rng.range(2, 5))
            .map(|_| {
                (0..rng.range(1, 2)).map(|_| self.world.names[rng.below(self.world.names.len())].clone()).collect()
            })
            .collect();
        // Mid-frequency words: distinctive, but shared with other events.
        let vocab = &self.world.vocab.words;
        let terms = (0..rng.range(6, 12)).map(|_| vocab[rng.range(50, vocab.len() - 1)].clone()).collect();
        let subject = rng.below(self.world.subjects.len());
        let event = Rc::new(Event { id: self.next_event, subject, names, terms });
        self.next_event += 1;
        // Sizes skewed: most events get a few articles, some get dozens (mean about 10).
        let remaining = match rng.below(10) {
            0..=5 => rng.range(1, 6),
            6..=8 => rng.range(6, 20),
            _ => rng.range(20, 60),
        };
        let until = now + rng.range(86_400, 5 * 86_400) as f64;
        Slot { event, remaining, until }
    }

    fn next(&mut self) -> Article {
        let seq = self.seq;
        self.seq += 1;
        let now = f64::from(seq) * SECONDS_PER_ARTICLE;
        let jitter = self.rng.below(3_600) as f64 - 1_800.0;
        let published = self.t0 + TimeDelta::milliseconds(((now + jitter).max(0.0) * 1000.0) as i64);
        if self.rng.chance(COPY_SHARE) && !self.recent.is_empty() {
            let r = &self.recent[self.rng.below(self.recent.len())];
            let (event, seed, from, original) = (Rc::clone(&r.event), r.seed, r.outlet, r.seq);
            let (mut title, mut text) = compose(&self.world, &event, seed);
            let rng = &mut self.rng;
            if rng.chance(0.5) {
                title = compose(&self.world, &event, rng.next()).0;
            }
            text = edit(&self.world, rng, &text);
            let mut outlet = rng.below(self.world.outlets.len());
            if outlet == from {
                outlet = (outlet + 1) % self.world.outlets.len();
            }
            if rng.chance(0.5) {
                text = format!("{text}\n\nThis story was first published by {}.", self.world.outlets[from]);
            }
            return Article { title, text, outlet, published, event: event.id, copy_of: Some(original) };
        }
        let i = self.rng.below(self.pool.len());
        let expired = self.pool[i].remaining == 0 || self.pool[i].until < now;
        if expired {
            self.pool[i] = self.new_slot(now);
        }
        self.pool[i].remaining = self.pool[i].remaining.saturating_sub(1);
        let event = Rc::clone(&self.pool[i].event);
        let seed = self.rng.next();
        let outlet = self.rng.below(self.world.outlets.len());
        let (title, text) = compose(&self.world, &event, seed);
        if self.recent.len() >= RECENT {
            self.recent.pop_front();
        }
        let id = event.id;
        self.recent.push_back(Recent { seq, event, seed, outlet });
        Article { title, text, outlet, published, event: id, copy_of: None }
    }
}

/// One word of an article about `event`: a function word, an event term or name, a subject word or any word.
fn push_word(world: &World, event: &Event, rng: &mut Rng, out: &mut Vec<String>, name_share: f64) {
    let r = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
    if r < 0.30 {
        out.push(FUNCTION_WORDS[rng.below(FUNCTION_WORDS.len())].to_string());
    } else if r < 0.42 {
        out.push(event.terms[rng.below(event.terms.len())].clone());
    } else if r < 0.42 + name_share {
        out.extend(event.names[rng.below(event.names.len())].iter().cloned());
    } else if r < 0.55 + name_share {
        let subject = &world.subjects[event.subject];
        out.push(subject[rng.below(subject.len())].clone());
    } else {
        out.push(world.vocab.pick(rng).to_string());
    }
}

/// Title and text of an article about `event`, determined by `seed`.
fn compose(world: &World, event: &Event, seed: u64) -> (String, String) {
    let mut rng = Rng(seed);
    let mut words = Vec::new();
    let len = rng.range(8, 12);
    while words.len() < len {
        push_word(world, event, &mut rng, &mut words, 0.15);
    }
    let mut title = capitalise(&words[0]);
    for w in &words[1..] {
        title.push(' ');
        title.push_str(w);
    }
    let target = rng.range(300, 600);
    let mut text = String::with_capacity(target * 8);
    let mut count = 0;
    let mut sentences_in_paragraph = 0;
    while count < target {
        let mut sentence = Vec::new();
        let len = rng.range(8, 22);
        while sentence.len() < len {
            push_word(world, event, &mut rng, &mut sentence, 0.05);
        }
        count += sentence.len();
        if !text.is_empty() {
            if sentences_in_paragraph >= rng.range(3, 5) {
                text.push_str("\n\n");
                sentences_in_paragraph = 0;
            } else {
                text.push(' ');
            }
        }
        text.push_str(&capitalise(&sentence[0]));
        for w in &sentence[1..] {
            text.push(' ');
            text.push_str(w);
        }
        text.push('.');
        sentences_in_paragraph += 1;
    }
    (title, text)
}

/// Light edits of a syndicated copy: a few words changed, sometimes the last paragraph dropped.
fn edit(world: &World, rng: &mut Rng, text: &str) -> String {
    let mut paragraphs: Vec<&str> = text.split("\n\n").collect();
    if paragraphs.len() > 2 && rng.chance(0.3) {
        paragraphs.pop();
    }
    let mut out = String::with_capacity(text.len() + 64);
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        for (j, w) in p.split(' ').enumerate() {
            if j > 0 {
                out.push(' ');
            }
            if rng.chance(0.02) {
                out.push_str(world.vocab.pick(rng));
            } else {
                out.push_str(w);
            }
        }
    }
    out
}

/// (VmRSS, VmHWM) in MiB.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> f64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(f64::NAN, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Time spent in each step of the per-article work.
#[derive(Default)]
struct Breakdown {
    fingerprint: Duration,
    find: Duration,
    insert: Duration,
    add: Duration,
}

impl Breakdown {
    fn total(&self) -> Duration {
        self.fingerprint + self.find + self.insert + self.add
    }
    fn describe(&self, n: usize) -> String {
        let us = |d: Duration| d.as_secs_f64() * 1e6 / n.max(1) as f64;
        format!(
            "fingerprint {:.1} µs, find {:.1} µs, insert {:.1} µs, add {:.1} µs",
            us(self.fingerprint),
            us(self.find),
            us(self.insert),
            us(self.add)
        )
    }
}

/// The product's per-article work.
struct Pipeline {
    dups: DupIndex<u32>,
    clusterer: StoryClusterer,
    /// Copies whose original was found among the held fingerprints, and copies seen.
    copies_found: usize,
    copies: usize,
}

impl Pipeline {
    /// Runs one article through the pipeline, adding the time of each step to `b`. Returns the total time.
    fn process(&mut self, seq: u32, a: &Article, world: &World, b: &mut Breakdown) -> (Duration, u32) {
        let t0 = Instant::now();
        let fingerprint = self.dups.fingerprint(&a.text);
        let t1 = Instant::now();
        let mut matched = None;
        let mut t2 = t1;
        let mut t3 = t1;
        if let Some(fp) = fingerprint {
            matched = self.dups.find(&fp).first().map(|f| f.0);
            t2 = Instant::now();
            self.dups.insert(seq, fp);
            t3 = Instant::now();
        }
        let story = self.clusterer.add(&ClusterInput {
            title: &a.title,
            text: &a.text,
            outlet: Some(&world.outlets[a.outlet]),
            published: Some(a.published),
        });
        let t4 = Instant::now();
        b.fingerprint += t1 - t0;
        b.find += t2 - t1;
        b.insert += t3 - t2;
        b.add += t4 - t3;
        if let Some(original) = a.copy_of {
            self.copies += 1;
            if matched == Some(original) {
                self.copies_found += 1;
            }
        }
        (t4 - t0, story.0)
    }
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1_000.0
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that is not ours means another bench was asked for.
    if std::env::args().skip(1).any(|a| !a.starts_with("--") && !"stories_1m".contains(a.as_str())) {
        return;
    }
    let stored = env_count("STORIES_BENCH_STORED", STORED);
    let new = env_count("STORIES_BENCH_NEW", NEW);
    let report_every = (stored / 10).max(1);
    let config = ClusterConfig::default();
    println!(
        "stories_1m: storing {stored} synthetic articles, then clustering {new} new ones online \
         (single thread; DupIndex capacity {DUP_CAPACITY}; ClusterConfig::default(): window {} days, idle_articles {})",
        config.window.num_days(),
        config.idle_articles
    );
    let wall = Instant::now();
    let mut stream = Stream::new(0x5_EED0_F570_A1E5);
    let mut p = Pipeline {
        dups: DupIndex::new(DupConfig::default(), DUP_CAPACITY),
        clusterer: StoryClusterer::new(config),
        copies_found: 0,
        copies: 0,
    };
    let (rss, hwm) = memory_mib();
    println!("  generator ready: RSS {rss:.0} MiB, peak {hwm:.0} MiB");

    // Phase 1: store.
    let mut block = Breakdown::default();
    let mut phase1 = Breakdown::default();
    let mut in_block = 0usize;
    let (mut words, mut bytes) = (0usize, 0usize);
    for seq in 0..stored {
        let a = stream.next();
        words += a.text.split_ascii_whitespace().count();
        bytes += a.text.len();
        p.process(seq as u32, &a, &stream.world, &mut block);
        in_block += 1;
        if in_block == report_every || seq + 1 == stored {
            let (rss, hwm) = memory_mib();
            println!(
                "  {:>8} stored: {:>6.0} art/s over the last {in_block} ({}), {} stories, {} fingerprints held, \
                 RSS {rss:.0} MiB, peak {hwm:.0} MiB",
                seq + 1,
                in_block as f64 / block.total().as_secs_f64().max(1e-9),
                block.describe(in_block),
                p.clusterer.stories(),
                p.dups.len(),
            );
            phase1.fingerprint += block.fingerprint;
            phase1.find += block.find;
            phase1.insert += block.insert;
            phase1.add += block.add;
            block = Breakdown::default();
            in_block = 0;
        }
    }
    let n = stored.max(1);
    println!(
        "  phase 1: {stored} articles in {:.1} s of pipeline work ({:.0} art/s; {:.1} s wall with generation); \
         texts average {} words, {} bytes; {} events, {} stories; copies found {}/{}",
        phase1.total().as_secs_f64(),
        stored as f64 / phase1.total().as_secs_f64().max(1e-9),
        wall.elapsed().as_secs_f64(),
        words / n,
        bytes / n,
        stream.next_event,
        p.clusterer.stories(),
        p.copies_found,
        p.copies,
    );

    // Phase 2: new articles, online, timed one by one.
    let (copies_found, copies) = (p.copies_found, p.copies);
    let mut b = Breakdown::default();
    let mut latencies: Vec<u64> = Vec::with_capacity(new);
    let mut assignments: Vec<(u32, u32)> = Vec::with_capacity(new);
    for seq in stored..stored + new {
        let a = stream.next();
        let (took, story) = p.process(seq as u32, &a, &stream.world, &mut b);
        latencies.push(took.as_nanos() as u64);
        assignments.push((a.event, story));
    }
    let busy = b.total().as_secs_f64().max(1e-9);
    let rate = new as f64 / busy;
    latencies.sort_unstable();
    let (p50, p99, p999) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99), percentile(&latencies, 0.999));
    let max = latencies.last().map_or(f64::NAN, |&x| x as f64 / 1_000.0);
    let (rss, hwm) = memory_mib();

    // A rough check that the stream exercises real clustering: stories per event and events per story among
    // the new articles (syndicated copies count under their original's event).
    let mut stories_of: FxHashMap<u32, FxHashSet<u32>> = FxHashMap::default();
    let mut events_of: FxHashMap<u32, FxHashSet<u32>> = FxHashMap::default();
    for &(event, story) in &assignments {
        let story = p.clusterer.resolve(tidings_text::StoryId(story)).0;
        stories_of.entry(event).or_default().insert(story);
        events_of.entry(story).or_default().insert(event);
    }
    let mean = |m: &FxHashMap<u32, FxHashSet<u32>>| {
        m.values().map(FxHashSet::len).sum::<usize>() as f64 / m.len().max(1) as f64
    };
    println!(
        "  phase 2: {new} new articles in {busy:.2} s: {rate:.0} art/s; latency p50 {p50:.0} µs, p99 {p99:.0} µs, \
         p99.9 {p999:.0} µs, max {max:.0} µs; {}",
        b.describe(new)
    );
    println!(
        "  phase 2 clustering: {} events over {} stories, {:.2} stories per event, {:.2} events per story; \
         copies found {}/{}",
        stories_of.len(),
        events_of.len(),
        mean(&stories_of),
        mean(&events_of),
        p.copies_found - copies_found,
        p.copies - copies,
    );
    println!(
        "stories_1m: stored={stored} new={new} rate={rate:.0} art/s p50={p50:.0} µs p99={p99:.0} µs \
         rss={rss:.0} MiB peak={hwm:.0} MiB"
    );
    println!(
        "stories_1m: rate {} {TARGET_RATE:.0} art/s ({})",
        if rate >= TARGET_RATE { ">=" } else { "<" },
        if rate >= TARGET_RATE { "meets the bar" } else { "BELOW the bar" }
    );
}
