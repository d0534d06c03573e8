//! `tidings bench seed`: fills the configured database with synthetic but realistic news, to measure the site
//! at scale.
//!
//! Everything is generated here, from a seed: outlet names, people, places and organisations are made of
//! syllables, and bodies are sentences over a generated vocabulary mixed with English function words. The
//! shape follows a real deployment: outlets with categories (so topics work), a few wire services, stories
//! covered by one to sixty articles from many outlets over hours to days, syndicated copies of wire and
//! partner articles, related stories, and times spread over months up to now. Rows are written as the
//! pipeline would have left them (clustered, with stories and originals), in big transactions through the
//! store's bulk loader, while another thread writes the next batch's text.
//!
//! Sources are due for polling only in a year, so a server started on the database does not try to fetch
//! the fictional outlets.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{DateTime, TimeDelta, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use tidings_core::{Config, ExtractMode, OriginalReason};
use tidings_store::bulk::{BulkArticle, BulkRelation, BulkSource, BulkStory};

use crate::cli::BenchCommand;

/// Articles written per transaction.
const BATCH: usize = 4000;
/// Name of the file, in the data directory, that names a typical story and article for the benchmarks.
pub(crate) const SAMPLE_FILE: &str = "bench-sample.txt";

pub(crate) async fn run(config: &Config, command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Seed { articles, sources, days, seed } => {
            seed_database(config, SeedOptions { articles, sources, days, seed }).await
        }
        BenchCommand::Comments { url, commenters, secs, think_ms } => {
            crate::bench_comments::run(crate::bench_comments::CommentLoad { url, commenters, secs, think_ms }).await
        }
    }
}

/// What `bench seed` makes.
#[derive(Debug, Clone, Copy)]
struct SeedOptions {
    articles: u64,
    sources: u32,
    days: u32,
    seed: u64,
}

async fn seed_database(config: &Config, options: SeedOptions) -> anyhow::Result<()> {
    if options.articles == 0 || options.sources < 2 || options.days == 0 {
        bail!("give at least 1 article, 2 sources and 1 day");
    }
    let url = config.effective_database_url();
    let started = Instant::now();
    let loader = tidings_store::open_bulk(&url)
        .await
        .with_context(|| format!("opening the database {}", tidings_store::redact(&url)))?;
    let next = loader.next_ids().await?;
    if next.source > 1 || next.article > 1 || next.story > 1 {
        bail!(
            "the database {} already has sources, stories or articles: seed an empty one (another --config, \
             TIDINGS_DATA_DIR or TIDINGS_DATABASE_URL)",
            tidings_store::redact(&url)
        );
    }
    let now = Utc::now();
    eprintln!(
        "planning {} articles from {} outlets over {} days ({} database {})",
        options.articles,
        options.sources,
        options.days,
        loader.backend(),
        tidings_store::redact(&url)
    );
    let plan = Plan::new(options, now);
    loader.sources(&plan.bulk_sources(now)).await?;
    loader.stories(&plan.bulk_stories()).await?;

    let bar = ProgressBar::new(plan.slots.len() as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "seeding {bar:30} {human_pos}/{human_len} articles  {per_sec}  {elapsed_precise} (eta {eta})",
    ) {
        bar.set_style(style);
    }
    // One thread writes the text of the next batch while this task stores the current one.
    let plan = std::sync::Arc::new(plan);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<BulkArticle>>(3);
    let writer = {
        let plan = plan.clone();
        std::thread::spawn(move || {
            let mut start = 0;
            while start < plan.slots.len() {
                let end = (start + BATCH).min(plan.slots.len());
                let batch: Vec<BulkArticle> = (start..end).map(|i| plan.article(i)).collect();
                if tx.blocking_send(batch).is_err() {
                    return;
                }
                start = end;
            }
        })
    };
    while let Some(batch) = rx.recv().await {
        loader.articles(&batch).await?;
        bar.inc(batch.len() as u64);
    }
    if writer.join().is_err() {
        bail!("the thread writing articles failed");
    }
    bar.finish_and_clear();
    loader.relations(&plan.relations()).await?;
    loader.finish().await?;
    let elapsed = started.elapsed().as_secs_f64();

    let (story, article) = plan.sample().context("no story fits as the benchmark's sample")?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let sample = config.data_dir.join(SAMPLE_FILE);
    let counts = format!("stories={}\narticles={}\n", plan.stories.len(), plan.slots.len());
    std::fs::write(&sample, format!("story={story}\narticle={article}\n{counts}"))
        .with_context(|| format!("writing {}", sample.display()))?;
    let size = database_size(&url);
    println!(
        "seeded {} articles in {} stories from {} outlets in {elapsed:.0}s{}",
        plan.slots.len(),
        plan.stories.len(),
        plan.sources.len(),
        size.map(|b| format!("; database {:.2} GB", b as f64 / 1e9)).unwrap_or_default()
    );
    println!("sample story {story}, article {article} (written to {})", sample.display());
    Ok(())
}

/// Bytes of an SQLite database (file and its WAL); `None` for other backends.
fn database_size(url: &str) -> Option<u64> {
    let path = url.strip_prefix("sqlite://")?.split('?').next()?;
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    Some(size(Path::new(path)) + size(Path::new(&format!("{path}-wal"))))
}

/// A small, fast, seedable random number generator (SplitMix64): the data only needs to look varied and be
/// the same for the same seed.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    /// A generator for one item, independent of how many numbers others drew.
    fn derive(seed: u64, stream: u64, item: u64) -> Rng {
        let mut r =
            Rng::new(seed ^ stream.wrapping_mul(0xd1b5_4a32_d192_ed03) ^ item.wrapping_mul(0x94d0_49bb_1331_11eb));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        ((self.next() >> 11) % n.max(1) as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const ONSETS: &[&str] =
    &["b", "br", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "st", "tr", ""];
const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea"];
const CODAS: &[&str] = &["", "", "", "n", "r", "l", "s", "t", "m", "nd"];

/// Function words and common newsroom words that glue the generated ones into sentences.
const GLUE: &[&str] = &[
    "the",
    "the",
    "the",
    "of",
    "of",
    "to",
    "to",
    "and",
    "and",
    "a",
    "a",
    "in",
    "in",
    "that",
    "is",
    "for",
    "on",
    "with",
    "as",
    "was",
    "said",
    "by",
    "at",
    "from",
    "it",
    "has",
    "have",
    "be",
    "this",
    "are",
    "were",
    "after",
    "will",
    "not",
    "but",
    "their",
    "they",
    "its",
    "which",
    "who",
    "over",
    "more",
    "than",
    "about",
    "into",
    "last",
    "new",
    "year",
    "week",
    "officials",
    "people",
    "government",
    "plan",
    "report",
    "could",
    "would",
    "also",
    "two",
    "three",
    "first",
    "since",
    "before",
    "while",
    "under",
    "against",
    "between",
    "some",
    "many",
    "most",
    "other",
    "local",
    "public",
    "city",
    "country",
    "according",
    "expected",
    "during",
    "told",
    "statement",
    "on Monday",
    "on Tuesday",
    "on Wednesday",
    "on Thursday",
    "on Friday",
    "this week",
    "residents",
    "experts",
    "data",
];

/// Verbs for headlines, present tense.
const VERBS: &[&str] = &[
    "backs",
    "rejects",
    "delays",
    "unveils",
    "warns over",
    "calls for",
    "approves",
    "halts",
    "expands",
    "cuts",
    "probes",
    "launches",
    "defends",
    "weighs",
    "signs",
    "scraps",
    "reviews",
    "doubles",
    "opens",
    "closes",
];
/// Verbs for headlines, past participle.
const PARTICIPLES: &[&str] = &[
    "approved",
    "delayed",
    "suspended",
    "confirmed",
    "extended",
    "overturned",
    "announced",
    "questioned",
    "cancelled",
    "reopened",
    "expanded",
    "restricted",
];
const ORG_KINDS: &[&str] = &[
    "Council",
    "Ministry",
    "Bank",
    "Institute",
    "Union",
    "Group",
    "Authority",
    "Party",
    "Agency",
    "Foundation",
    "Commission",
    "Federation",
];
const OUTLET_KINDS: &[&str] = &[
    "Courier",
    "Ledger",
    "Post",
    "Herald",
    "Gazette",
    "Chronicle",
    "Tribune",
    "Observer",
    "Record",
    "Daily",
    "Journal",
    "Review",
    "Times",
    "Dispatch",
    "Sentinel",
];
const WIRE_KINDS: &[&str] = &["Wire", "Press Agency", "News Service"];
/// Topics: the outlets' categories (nested ones read "Parent/Child", as OPML folders give them).
const TOPICS: &[&str] = &[
    "World",
    "Politics",
    "Business",
    "Business/Markets",
    "Technology",
    "Technology/AI",
    "Science",
    "Health",
    "Sport",
    "Culture",
    "Climate",
    "Local",
];

/// Names, places, organisations and words of one seeded world.
struct Lexicon {
    words: Vec<String>,
    names: Vec<String>,
    places: Vec<String>,
}

fn syllables(rng: &mut Rng, count: usize) -> String {
    let mut word = String::new();
    for i in 0..count {
        word.push_str(rng.pick::<&str>(ONSETS));
        word.push_str(rng.pick::<&str>(VOWELS));
        if i + 1 == count || rng.chance(0.2) {
            word.push_str(rng.pick::<&str>(CODAS));
        }
    }
    word
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl Lexicon {
    fn new(seed: u64) -> Lexicon {
        let mut rng = Rng::derive(seed, 1, 0);
        let mut words: Vec<String> = Vec::with_capacity(6000);
        let mut seen = std::collections::HashSet::new();
        while words.len() < 6000 {
            let n = match rng.below(10) {
                0..=3 => 1,
                4..=8 => 2,
                _ => 3,
            };
            let w = syllables(&mut rng, n);
            if w.len() >= 3 && seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let names = (0..3000).map(|_| capitalised(&syllables(&mut rng, 2))).collect();
        let places = (0..2000)
            .map(|_| {
                let n = 2 + rng.below(2);
                capitalised(&syllables(&mut rng, n))
            })
            .collect();
        Lexicon { words, names, places }
    }

    /// A word, more often from the head of the list (words are Zipf-like: few frequent, many rare).
    fn word(&self, rng: &mut Rng) -> &str {
        let u = rng.unit();
        &self.words[((u * u * u) * self.words.len() as f64) as usize % self.words.len()]
    }

    fn person(&self, rng: &mut Rng) -> String {
        format!("{} {}", rng.pick(&self.names), rng.pick(&self.names))
    }
}

/// One outlet.
struct Outlet {
    name: String,
    slug: String,
    topic: usize,
    wire: bool,
    authors: Vec<String>,
}

/// One story: an event with its own people, place, organisation and words.
struct StoryPlan {
    topic: usize,
    seed: u64,
    /// Its articles (indexes into `slots` after sorting), in time order.
    slots: Vec<u32>,
}

/// One article to write.
#[derive(Clone, Copy)]
struct Slot {
    story: u32,
    source: u32,
    published: DateTime<Utc>,
    fetched: DateTime<Utc>,
    /// The article whose text this one carries (an index into `slots`), when it is a copy.
    copy_of: Option<u32>,
    credit: bool,
    /// Which headline this outlet wrote.
    variant: u32,
}

/// Everything decided before any text is written: outlets, stories, and when each article appeared where.
struct Plan {
    seed: u64,
    lexicon: Lexicon,
    sources: Vec<Outlet>,
    stories: Vec<StoryPlan>,
    slots: Vec<Slot>,
}

/// How many articles a story has: most events are covered once or twice, a few by dozens of outlets.
fn story_size(rng: &mut Rng) -> usize {
    let u = rng.unit();
    if u < 0.45 {
        1
    } else if u < 0.65 {
        2 + rng.below(2)
    } else if u < 0.85 {
        4 + rng.below(5)
    } else if u < 0.97 {
        9 + rng.below(12)
    } else {
        21 + rng.below(40)
    }
}

impl Plan {
    fn new(options: SeedOptions, now: DateTime<Utc>) -> Plan {
        let seed = options.seed;
        let lexicon = Lexicon::new(seed);
        let mut rng = Rng::derive(seed, 2, 0);
        let mut sources = Vec::with_capacity(options.sources as usize);
        let mut slugs = std::collections::HashSet::new();
        while sources.len() < options.sources as usize {
            let place = rng.pick(&lexicon.places).clone();
            let wire = sources.len() % 20 == 3;
            let name = if wire {
                format!("{place} {}", rng.pick(WIRE_KINDS))
            } else if rng.chance(0.6) {
                format!("The {place} {}", rng.pick(OUTLET_KINDS))
            } else {
                format!("{place} {}", rng.pick(OUTLET_KINDS))
            };
            let slug: String = name
                .to_lowercase()
                .trim_start_matches("the ")
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            if !slugs.insert(slug.clone()) {
                continue;
            }
            let topic = if wire { 0 } else { sources.len() % TOPICS.len() };
            let authors = (0..4 + rng.below(12)).map(|_| lexicon.person(&mut rng)).collect();
            sources.push(Outlet { name, slug, topic, wire, authors });
        }
        let mut by_topic: Vec<Vec<u32>> = vec![Vec::new(); TOPICS.len()];
        for (i, s) in sources.iter().enumerate() {
            by_topic[s.topic].push(i as u32);
        }
        let wires: Vec<u32> = (0..sources.len() as u32).filter(|&i| sources[i as usize].wire).collect();

        let span = TimeDelta::days(i64::from(options.days));
        let mut stories = Vec::new();
        let mut slots: Vec<Slot> = Vec::with_capacity(options.articles as usize);
        while (slots.len() as u64) < options.articles {
            let story = stories.len() as u32;
            let size = story_size(&mut rng).min((options.articles - slots.len() as u64) as usize);
            let topic = rng.below(TOPICS.len());
            let start = now - span + TimeDelta::seconds((rng.unit() * span.num_seconds() as f64) as i64);
            let first = slots.len();
            let mut used: Vec<u32> = Vec::new();
            for k in 0..size {
                // The first report at the start, the rest over the next hours or days.
                let after = if k == 0 { 0.0 } else { -(1.0 - rng.unit()).ln() * 8.0 * 3600.0 };
                let published = (start + TimeDelta::seconds(after.min(4.0 * 86_400.0) as i64 + k as i64))
                    .min(now - TimeDelta::minutes(30));
                let fetched =
                    (published + TimeDelta::seconds(60 + rng.below(1200) as i64)).min(now - TimeDelta::minutes(10));
                let in_topic = rng.chance(0.7) && !by_topic[topic].is_empty();
                let mut source = if in_topic { *rng.pick(&by_topic[topic]) } else { rng.below(sources.len()) as u32 };
                // Mostly a new outlet per article; sometimes the same outlet follows up.
                for _ in 0..4 {
                    if !used.contains(&source) || rng.chance(0.1) {
                        break;
                    }
                    source = rng.below(sources.len()) as u32;
                }
                used.push(source);
                slots.push(Slot {
                    story,
                    source,
                    published,
                    fetched,
                    copy_of: None,
                    credit: false,
                    variant: rng.below(1000) as u32,
                });
            }
            // Syndication: a wire or partner article republished by a few others.
            if size >= 3 && rng.chance(0.35) {
                let earliest = (first..slots.len()).min_by_key(|&i| slots[i].published).unwrap_or(first);
                if rng.chance(0.5) && !wires.is_empty() {
                    slots[earliest].source = *rng.pick(&wires);
                }
                let copies = 1 + rng.below(4.min(size - 1));
                let mut made = 0;
                for i in first..slots.len() {
                    if made == copies {
                        break;
                    }
                    if i == earliest || slots[i].source == slots[earliest].source {
                        continue;
                    }
                    // A copy appears after its original, and is fetched after it (so its id is higher).
                    let original = slots[earliest];
                    slots[i].published = slots[i].published.max(original.published + TimeDelta::seconds(90));
                    slots[i].fetched = slots[i]
                        .fetched
                        .max(slots[i].published + TimeDelta::seconds(30))
                        .max(original.fetched + TimeDelta::seconds(30));
                    slots[i].copy_of = Some(earliest as u32);
                    slots[i].credit = rng.chance(0.4);
                    slots[i].variant = if rng.chance(0.5) { slots[earliest].variant } else { slots[i].variant };
                    made += 1;
                }
            }
            stories.push(StoryPlan { topic, seed: rng.next(), slots: Vec::new() });
        }

        // Ids follow arrival, as they do when feeds are polled: sort by fetch time and renumber the copies.
        let mut order: Vec<u32> = (0..slots.len() as u32).collect();
        order.sort_by_key(|&i| (slots[i as usize].fetched, i));
        let mut position = vec![0u32; slots.len()];
        for (new, &old) in order.iter().enumerate() {
            position[old as usize] = new as u32;
        }
        let mut sorted: Vec<Slot> = order.iter().map(|&i| slots[i as usize]).collect();
        for slot in &mut sorted {
            slot.copy_of = slot.copy_of.map(|o| position[o as usize]);
        }
        for (i, slot) in sorted.iter().enumerate() {
            stories[slot.story as usize].slots.push(i as u32);
        }
        Plan { seed, lexicon, sources, stories, slots: sorted }
    }

    fn bulk_sources(&self, now: DateTime<Utc>) -> Vec<BulkSource> {
        self.sources
            .iter()
            .enumerate()
            .map(|(i, s)| BulkSource {
                id: i as i64 + 1,
                url: format!("https://{}.example/feed.xml", s.slug),
                title: s.name.clone(),
                site_url: format!("https://{}.example/", s.slug),
                category: Some(TOPICS[s.topic].to_owned()),
                created_at: now - TimeDelta::days(400),
                last_success_at: Some(now - TimeDelta::minutes(7)),
                // Far in the future: a server on this database never fetches the fictional outlets.
                next_poll_at: now + TimeDelta::days(365),
                poll_interval_secs: 1800,
                extract_mode: ExtractMode::Never,
            })
            .collect()
    }

    fn story_words(&self, story: &StoryPlan) -> StoryWords {
        let mut rng = Rng::derive(self.seed, 3, story.seed);
        let l = &self.lexicon;
        StoryWords {
            person: l.person(&mut rng),
            other: l.person(&mut rng),
            place: rng.pick(&l.places).clone(),
            org: format!("{} {}", rng.pick(&l.places), rng.pick(ORG_KINDS)),
            terms: (0..6).map(|_| l.word(&mut rng).to_owned()).collect(),
            number: 2 + rng.below(90),
        }
    }

    fn title(&self, words: &StoryWords, variant: u32) -> String {
        let mut rng = Rng::derive(self.seed, 4, u64::from(variant));
        let t = &words.terms;
        let (a, b, c) = (&t[rng.below(3)], &t[3 + rng.below(3)], &t[rng.below(6)]);
        let title = match variant % 9 {
            0 => format!("{} {} {a} {b} plan", words.org, rng.pick(VERBS)),
            1 => format!("{} {} {} over {a} {b}", words.person, rng.pick(VERBS), words.place),
            2 => format!("{}: {a} {b} {} after {c} dispute", words.place, rng.pick(PARTICIPLES)),
            3 => format!("What the {a} {b} means for {}", words.place),
            4 => format!("{} and {} split over {a} {c}", words.org, words.other),
            5 => format!("{} {a} {} for {} days", words.place, rng.pick(PARTICIPLES), words.number),
            6 => format!("{} {} {a} as {b} concerns grow", words.org, rng.pick(VERBS)),
            7 => format!("{} says {a} {b} will be {}", words.person, rng.pick(PARTICIPLES)),
            _ => format!("{} {b}: {} {} {a} {c}", words.place, words.org, rng.pick(VERBS)),
        };
        capitalised(&title)
    }

    fn bulk_stories(&self) -> Vec<BulkStory> {
        self.stories
            .iter()
            .enumerate()
            .map(|(i, story)| {
                let slots: Vec<&Slot> = story.slots.iter().map(|&s| &self.slots[s as usize]).collect();
                let mut outlets: Vec<u32> = slots.iter().map(|s| s.source).collect();
                outlets.sort_unstable();
                outlets.dedup();
                let first = slots.iter().map(|s| s.published).min().unwrap_or_default();
                let latest = slots.iter().map(|s| s.published).max().unwrap_or_default();
                let created = slots.iter().map(|s| s.fetched).min().unwrap_or_default();
                let updated = slots.iter().map(|s| s.fetched).max().unwrap_or_default();
                let headline = match slots.first() {
                    Some(s) => self.title(&self.story_words(story), s.variant),
                    None => String::from("(empty)"),
                };
                BulkStory {
                    id: i as i64 + 1,
                    headline,
                    article_count: slots.len() as i64,
                    outlet_count: outlets.len() as i64,
                    first_at: first,
                    latest_at: latest,
                    created_at: created + TimeDelta::seconds(5),
                    updated_at: updated + TimeDelta::seconds(5),
                }
            })
            .collect()
    }

    /// The body of article `index` as paragraphs: sentences over the story's words and the vocabulary.
    fn paragraphs(&self, index: usize, words: &StoryWords) -> Vec<String> {
        let mut rng = Rng::derive(self.seed, 5, index as u64);
        let target = 220 + rng.below(180);
        let mut paragraphs = Vec::new();
        let mut count = 0;
        while count < target {
            let mut paragraph = String::new();
            for _ in 0..2 + rng.below(3) {
                let (sentence, n) = self.sentence(&mut rng, words);
                if !paragraph.is_empty() {
                    paragraph.push(' ');
                }
                paragraph.push_str(&sentence);
                count += n;
            }
            paragraphs.push(paragraph);
        }
        paragraphs
    }

    fn sentence(&self, rng: &mut Rng, words: &StoryWords) -> (String, usize) {
        let length = 8 + rng.below(16);
        let mut parts: Vec<&str> = Vec::with_capacity(length + 4);
        for _ in 0..length {
            let u = rng.unit();
            parts.push(if u < 0.42 {
                *rng.pick(GLUE)
            } else if u < 0.55 {
                rng.pick(&words.terms).as_str()
            } else if u < 0.6 {
                match rng.below(3) {
                    0 => words.place.as_str(),
                    1 => words.org.as_str(),
                    _ => words.person.as_str(),
                }
            } else {
                self.lexicon.word(rng)
            });
        }
        let body = parts.join(" ");
        let sentence = if rng.chance(0.12) {
            let speaker = if rng.chance(0.5) { &words.person } else { &words.other };
            format!("\u{201c}{},\u{201d} said {speaker}.", capitalised(&body))
        } else {
            format!("{}.", capitalised(&body))
        };
        (sentence, length)
    }

    /// The article at `index`, with its text.
    fn article(&self, index: usize) -> BulkArticle {
        let slot = self.slots[index];
        let story = &self.stories[slot.story as usize];
        let outlet = &self.sources[slot.source as usize];
        let words = self.story_words(story);
        let mut rng = Rng::derive(self.seed, 6, index as u64);
        // A copy carries its original's text (and, when it credits it, a line saying so).
        let text_of = slot.copy_of.map_or(index, |o| o as usize);
        let mut paragraphs = self.paragraphs(text_of, &words);
        if slot.credit
            && let Some(original) = slot.copy_of
        {
            let from = &self.sources[self.slots[original as usize].source as usize];
            paragraphs.push(format!("This article originally appeared in {}.", from.name));
        }
        let title = self.title(&words, slot.variant);
        let id = index as i64 + 1;
        let path: String = title
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|p| !p.is_empty())
            .take(8)
            .collect::<Vec<_>>()
            .join("-");
        let url = format!("https://{}.example/{}/{path}-{id}", outlet.slug, slot.published.format("%Y/%m/%d"));
        let content_text = paragraphs.join("\n");
        let content_html: String = paragraphs.iter().map(|p| format!("<p>{}</p>", escape(p))).collect();
        let summary: String = paragraphs.first().map(|p| p.chars().take(240).collect()).unwrap_or_default();
        let copy_source = slot.copy_of.map(|o| &self.sources[self.slots[o as usize].source as usize]);
        let author = match copy_source {
            Some(from) if from.wire && rng.chance(0.7) => Some(format!("{} staff", from.name)),
            _ => Some(rng.pick(&outlet.authors).clone()),
        };
        let original = slot.copy_of.map(|o| {
            let reason = match copy_source {
                Some(from) if from.wire => OriginalReason::Wire,
                _ if slot.credit => OriginalReason::Credit,
                _ => OriginalReason::Earliest,
            };
            (i64::from(o) + 1, reason)
        });
        let mut categories = vec![TOPICS[story.topic].rsplit('/').next().unwrap_or("News").to_owned()];
        if rng.chance(0.5) {
            categories.push(words.place.clone());
        }
        BulkArticle {
            id,
            source_id: i64::from(slot.source) + 1,
            guid: url.clone(),
            url: Some(url.clone()),
            canonical_url: Some(url),
            title,
            author,
            summary_html: Some(format!("<p>{}…</p>", escape(&summary))),
            content_hash: tidings_ingest::normalise::content_hash(&content_text),
            content_html: Some(content_html),
            content_text,
            published_at: Some(slot.published),
            language: Some("en".to_owned()),
            image_url: rng.chance(0.6).then(|| format!("https://{}.example/images/{id}.jpg", outlet.slug)),
            fetched_at: slot.fetched,
            story_id: Some(i64::from(slot.story) + 1),
            clustered_at: Some(slot.fetched + TimeDelta::seconds(5)),
            original,
            categories,
        }
    }

    /// Related stories: neighbours in time within the same topic, among stories covered by several outlets.
    fn relations(&self) -> Vec<BulkRelation> {
        let broad: Vec<usize> = (0..self.stories.len()).filter(|&i| self.outlets(i) >= 2).collect();
        let mut by_topic: HashMap<usize, Vec<usize>> = HashMap::new();
        for &i in &broad {
            by_topic.entry(self.stories[i].topic).or_default().push(i);
        }
        let mut rows = Vec::new();
        for list in by_topic.values_mut() {
            list.sort_by_key(|&i| self.first_published(i));
            for (k, &story) in list.iter().enumerate() {
                let mut rng = Rng::derive(self.seed, 7, story as u64);
                let wanted = rng.below(6);
                let neighbours = (1..=3).flat_map(|d| [k.checked_sub(d), Some(k + d)]).flatten();
                for (position, other) in neighbours.filter_map(|j| list.get(j)).take(wanted).enumerate() {
                    rows.push(BulkRelation {
                        story_id: story as i64 + 1,
                        related_id: *other as i64 + 1,
                        position: position as i64,
                        score: 0.4 - 0.05 * position as f64,
                    });
                }
            }
        }
        rows
    }

    fn outlets(&self, story: usize) -> usize {
        let mut outlets: Vec<u32> = self.stories[story].slots.iter().map(|&s| self.slots[s as usize].source).collect();
        outlets.sort_unstable();
        outlets.dedup();
        outlets.len()
    }

    fn first_published(&self, story: usize) -> DateTime<Utc> {
        self.stories[story].slots.iter().map(|&s| self.slots[s as usize].published).min().unwrap_or_default()
    }

    /// A typical well-covered story for the benchmarks (12 to 25 articles, with copies, the most recent such)
    /// and its original article (whose page lists the copies and the rest of the story).
    fn sample(&self) -> Option<(i64, i64)> {
        let fits = |i: &usize| {
            let story = &self.stories[*i];
            (12..=25).contains(&story.slots.len())
                && story.slots.iter().any(|&s| self.slots[s as usize].copy_of.is_some())
        };
        let story = (0..self.stories.len()).filter(fits).max_by_key(|&i| self.first_published(i)).or_else(|| {
            (0..self.stories.len()).max_by_key(|&i| (self.stories[i].slots.len().min(25), self.first_published(i)))
        })?;
        let slots = &self.stories[story].slots;
        let article = slots.iter().find_map(|&s| self.slots[s as usize].copy_of).or_else(|| slots.first().copied())?;
        Some((story as i64 + 1, i64::from(article) + 1))
    }
}

/// The words one story's articles share.
struct StoryWords {
    person: String,
    other: String,
    place: String,
    org: String,
    terms: Vec<String>,
    number: usize,
}

/// Escapes text for HTML (the generated words never hold markup, but quotes and ampersands may come one day).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Plan {
        Plan::new(SeedOptions { articles: 3000, sources: 40, days: 30, seed: 7 }, Utc::now())
    }

    #[test]
    fn plans_are_deterministic_and_complete() {
        let (a, b) = (small(), small());
        assert_eq!(a.slots.len(), 3000);
        assert_eq!(a.stories.len(), b.stories.len());
        assert_eq!(a.article(17).content_text, b.article(17).content_text);
        let total: usize = a.stories.iter().map(|s| s.slots.len()).sum();
        assert_eq!(total, 3000);
    }

    #[test]
    fn ids_follow_arrival_and_copies_follow_their_original() {
        let plan = small();
        assert!(plan.slots.windows(2).all(|w| w[0].fetched <= w[1].fetched));
        let mut copies = 0;
        for (i, slot) in plan.slots.iter().enumerate() {
            if let Some(original) = slot.copy_of {
                copies += 1;
                assert!((original as usize) < i);
                assert_eq!(plan.slots[original as usize].story, slot.story);
                assert_ne!(plan.slots[original as usize].source, slot.source);
            }
        }
        assert!(copies > 30, "{copies} copies");
    }

    #[test]
    fn articles_read_like_articles() {
        let plan = small();
        let article = plan.article(100);
        let words = article.content_text.split_whitespace().count();
        assert!((200..500).contains(&words), "{words} words");
        assert!(article.content_html.as_deref().is_some_and(|h| h.starts_with("<p>")));
        assert!(!article.title.is_empty() && article.title.len() < 140, "{}", article.title);
        assert_eq!(article.content_hash.len(), 64);
        let stories = plan.bulk_stories();
        assert!(stories.iter().any(|s| s.outlet_count >= 10));
        assert!(stories.iter().all(|s| s.first_at <= s.latest_at && s.article_count >= s.outlet_count));
        assert!(plan.sample().is_some());
        assert!(!plan.relations().is_empty());
    }
}
