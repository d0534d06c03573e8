//! Topics of an article from a fixed set, from two sources: the categories its source gave it (any of several
//! languages, through a small alias table) and a text classifier.
//!
//! The classifier is multinomial logistic regression over stemmed words and word pairs of the title (counted
//! twice) and the start of the text. It is trained on a small hand-written English corpus
//! (`crates/text/data/topics/<topic>.txt`) by `cargo run --release -p tidings-text --example train_topics`,
//! which writes `crates/text/models/topics-en.tsv`; that file ships inside the binary. **The classifier is
//! English-only**: for text in any other language only category topics are given. [`Topic::Local`] comes only
//! from categories: a text cannot tell whether it is local to its reader.
//!
//! ```
//! use tidings_text::topics::{classify, Topic, TopicSource};
//! let t = classify(
//!     "Striker's late double sends United into the cup final",
//!     "Two goals in the last ten minutes turned the semi-final around as the visitors' defence tired.",
//!     &["Fútbol"],
//!     Some("en"),
//! );
//! assert_eq!((t[0].topic, t[0].from), (Topic::Sports, TopicSource::Category));
//! assert_eq!(t.len(), 1, "the text agrees: no second entry for Sports");
//! ```

use crate::tokenize::{Token, tokenize, tokenize_prefix};
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::Hasher;
use std::sync::OnceLock;

/// A topic from the fixed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// International affairs, conflicts, diplomacy.
    World,
    /// Government, elections, legislation, parties.
    Politics,
    /// Companies, markets, the economy, work and money.
    Business,
    /// Computing, the internet, gadgets, the tech industry.
    Technology,
    /// Research, space, the natural sciences.
    Science,
    /// Medicine, public health, wellbeing.
    Health,
    /// Sport of every kind.
    Sports,
    /// Film, television, music, books, celebrities, the arts.
    Entertainment,
    /// Climate, pollution, nature, conservation.
    Environment,
    /// News of one town or region (only from source categories).
    Local,
}

impl Topic {
    /// Every topic, in a fixed order.
    pub const ALL: [Topic; 10] = [
        Topic::World,
        Topic::Politics,
        Topic::Business,
        Topic::Technology,
        Topic::Science,
        Topic::Health,
        Topic::Sports,
        Topic::Entertainment,
        Topic::Environment,
        Topic::Local,
    ];

    /// The topics the text classifier can give (all but [`Topic::Local`]), in the model's order.
    pub const TEXT: [Topic; 9] = [
        Topic::World,
        Topic::Politics,
        Topic::Business,
        Topic::Technology,
        Topic::Science,
        Topic::Health,
        Topic::Sports,
        Topic::Entertainment,
        Topic::Environment,
    ];

    /// Stable lowercase identifier for URLs and storage: "technology".
    pub fn slug(self) -> &'static str {
        match self {
            Topic::World => "world",
            Topic::Politics => "politics",
            Topic::Business => "business",
            Topic::Technology => "technology",
            Topic::Science => "science",
            Topic::Health => "health",
            Topic::Sports => "sports",
            Topic::Entertainment => "entertainment",
            Topic::Environment => "environment",
            Topic::Local => "local",
        }
    }

    /// English display name: "Technology".
    pub fn label(self) -> &'static str {
        match self {
            Topic::World => "World",
            Topic::Politics => "Politics",
            Topic::Business => "Business",
            Topic::Technology => "Technology",
            Topic::Science => "Science",
            Topic::Health => "Health",
            Topic::Sports => "Sports",
            Topic::Entertainment => "Entertainment",
            Topic::Environment => "Environment",
            Topic::Local => "Local",
        }
    }

    /// The topic with this [`slug`](Topic::slug).
    pub fn from_slug(slug: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.slug() == slug)
    }
}

/// Where a topic came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicSource {
    /// A category the source gave the article.
    Category,
    /// The text classifier.
    Text,
}

/// One topic of an article.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TopicScore {
    /// The topic.
    pub topic: Topic,
    /// 1.0 for category topics; the classifier's probability (0..1) for text topics.
    pub score: f32,
    /// Where it came from.
    pub from: TopicSource,
}

/// Most topics an article gets.
pub const MAX_TOPICS: usize = 3;
/// Most topics the text classifier adds.
const MAX_TEXT_TOPICS: usize = 2;
/// Probability from which the classifier's best topic is given.
pub const TEXT_THRESHOLD: f32 = 0.5;
/// Probability from which the classifier's second topic is given as well.
const SECOND_THRESHOLD: f32 = 0.3;

/// The topics of an article: those its source categories name (always, first, in category order), then those the
/// text classifier is confident of (best first), at most [`MAX_TOPICS`] in all, each topic once.
///
/// `language` is the article's language (any tag, "en-GB" is English); the classifier is English-only, so for
/// any other language the text adds nothing. `None` (unknown) runs it: the words of other languages are mostly
/// unknown to it and leave it below its threshold.
pub fn classify(title: &str, text: &str, categories: &[&str], language: Option<&str>) -> Vec<TopicScore> {
    let mut out: Vec<TopicScore> = Vec::new();
    for category in categories {
        for topic in category_topics(category) {
            if out.len() < MAX_TOPICS && !out.iter().any(|t| t.topic == topic) {
                out.push(TopicScore { topic, score: 1.0, from: TopicSource::Category });
            }
        }
    }
    let english = language.is_none_or(|l| crate::language::normalize_code(l) == Some("en"));
    if !english || out.len() >= MAX_TOPICS {
        return out;
    }
    let mut scores = text_scores(title, text);
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (rank, (topic, p)) in scores.into_iter().take(MAX_TEXT_TOPICS).enumerate() {
        let threshold = if rank == 0 { TEXT_THRESHOLD } else { SECOND_THRESHOLD };
        if p < threshold || out.len() >= MAX_TOPICS {
            break;
        }
        if !out.iter().any(|t| t.topic == topic) {
            out.push(TopicScore { topic, score: p, from: TopicSource::Text });
        }
    }
    out
}

/// The shipped classifier's probability for each of [`Topic::TEXT`] (summing to 1), whatever the language.
pub fn text_scores(title: &str, text: &str) -> [(Topic, f32); 9] {
    shipped().probabilities(title, text)
}

/// The shipped model's text, as `train_topics` writes it.
pub const SHIPPED_MODEL: &str = include_str!("../models/topics-en.tsv");

fn shipped() -> &'static TopicModel {
    static MODEL: OnceLock<TopicModel> = OnceLock::new();
    // A shipped file that does not parse is caught by the tests; an empty model gives uniform scores (no text
    // topics) rather than a panic.
    MODEL.get_or_init(|| TopicModel::from_text(SHIPPED_MODEL).unwrap_or_default())
}

// ---------------------------------------------------------------------------------------------------------------
// Categories

/// Category words (lowercase, without accents) and the topics they name. Several words make a phrase that must
/// appear in that order. English, Spanish, French, German, Italian and Portuguese.
const ALIASES: &[(&str, Topic)] = &[
    // World
    ("world", Topic::World),
    ("international", Topic::World),
    ("foreign", Topic::World),
    ("middle east", Topic::World),
    ("europe", Topic::World),
    ("africa", Topic::World),
    ("asia", Topic::World),
    ("americas", Topic::World),
    ("mundo", Topic::World),
    ("internacional", Topic::World),
    ("monde", Topic::World),
    ("welt", Topic::World),
    ("ausland", Topic::World),
    ("internazionale", Topic::World),
    ("esteri", Topic::World),
    ("estero", Topic::World),
    ("mondo", Topic::World),
    // Politics
    ("politics", Topic::Politics),
    ("political", Topic::Politics),
    ("government", Topic::Politics),
    ("election", Topic::Politics),
    ("elections", Topic::Politics),
    ("parliament", Topic::Politics),
    ("congress", Topic::Politics),
    ("white house", Topic::Politics),
    ("politica", Topic::Politics),
    ("politique", Topic::Politics),
    ("politik", Topic::Politics),
    ("gobierno", Topic::Politics),
    ("elecciones", Topic::Politics),
    ("gouvernement", Topic::Politics),
    ("regierung", Topic::Politics),
    ("wahlen", Topic::Politics),
    ("wahl", Topic::Politics),
    ("governo", Topic::Politics),
    ("elezioni", Topic::Politics),
    ("eleicoes", Topic::Politics),
    // Business
    ("business", Topic::Business),
    ("economy", Topic::Business),
    ("economics", Topic::Business),
    ("economic", Topic::Business),
    ("finance", Topic::Business),
    ("financial", Topic::Business),
    ("markets", Topic::Business),
    ("money", Topic::Business),
    ("companies", Topic::Business),
    ("industry", Topic::Business),
    ("trade", Topic::Business),
    ("real estate", Topic::Business),
    ("economia", Topic::Business),
    ("negocios", Topic::Business),
    ("finanzas", Topic::Business),
    ("empresas", Topic::Business),
    ("mercados", Topic::Business),
    ("economie", Topic::Business),
    ("finances", Topic::Business),
    ("entreprises", Topic::Business),
    ("marches", Topic::Business),
    ("affaires", Topic::Business),
    ("wirtschaft", Topic::Business),
    ("finanzen", Topic::Business),
    ("unternehmen", Topic::Business),
    ("borse", Topic::Business),
    ("finanza", Topic::Business),
    ("borsa", Topic::Business),
    ("aziende", Topic::Business),
    ("mercado", Topic::Business),
    // Technology
    ("tech", Topic::Technology),
    ("technology", Topic::Technology),
    ("technologies", Topic::Technology),
    ("gadgets", Topic::Technology),
    ("internet", Topic::Technology),
    ("computing", Topic::Technology),
    ("software", Topic::Technology),
    ("cybersecurity", Topic::Technology),
    ("ai", Topic::Technology),
    ("artificial intelligence", Topic::Technology),
    ("video games", Topic::Technology),
    ("gaming", Topic::Technology),
    ("tecnologia", Topic::Technology),
    ("technologie", Topic::Technology),
    ("high tech", Topic::Technology),
    ("technik", Topic::Technology),
    ("digital", Topic::Technology),
    ("netzwelt", Topic::Technology),
    ("informatique", Topic::Technology),
    ("videojuegos", Topic::Technology),
    // Science
    ("science", Topic::Science),
    ("sciences", Topic::Science),
    ("space", Topic::Science),
    ("research", Topic::Science),
    ("astronomy", Topic::Science),
    ("physics", Topic::Science),
    ("biology", Topic::Science),
    ("ciencia", Topic::Science),
    ("ciencias", Topic::Science),
    ("espacio", Topic::Science),
    ("espace", Topic::Science),
    ("wissenschaft", Topic::Science),
    ("wissen", Topic::Science),
    ("weltraum", Topic::Science),
    ("forschung", Topic::Science),
    ("scienza", Topic::Science),
    ("scienze", Topic::Science),
    ("spazio", Topic::Science),
    ("recherche", Topic::Science),
    // Health
    ("health", Topic::Health),
    ("healthcare", Topic::Health),
    ("medicine", Topic::Health),
    ("medical", Topic::Health),
    ("wellness", Topic::Health),
    ("wellbeing", Topic::Health),
    ("coronavirus", Topic::Health),
    ("covid", Topic::Health),
    ("fitness", Topic::Health),
    ("nutrition", Topic::Health),
    ("salud", Topic::Health),
    ("sante", Topic::Health),
    ("gesundheit", Topic::Health),
    ("salute", Topic::Health),
    ("saude", Topic::Health),
    ("medicina", Topic::Health),
    ("medecine", Topic::Health),
    ("medizin", Topic::Health),
    ("bienestar", Topic::Health),
    // Sports
    ("sport", Topic::Sports),
    ("sports", Topic::Sports),
    ("football", Topic::Sports),
    ("soccer", Topic::Sports),
    ("basketball", Topic::Sports),
    ("tennis", Topic::Sports),
    ("golf", Topic::Sports),
    ("cricket", Topic::Sports),
    ("rugby", Topic::Sports),
    ("baseball", Topic::Sports),
    ("hockey", Topic::Sports),
    ("boxing", Topic::Sports),
    ("cycling", Topic::Sports),
    ("athletics", Topic::Sports),
    ("olympics", Topic::Sports),
    ("motorsport", Topic::Sports),
    ("formula 1", Topic::Sports),
    ("formula one", Topic::Sports),
    ("f1", Topic::Sports),
    ("nfl", Topic::Sports),
    ("nba", Topic::Sports),
    ("mlb", Topic::Sports),
    ("nhl", Topic::Sports),
    ("deportes", Topic::Sports),
    ("deporte", Topic::Sports),
    ("futbol", Topic::Sports),
    ("baloncesto", Topic::Sports),
    ("tenis", Topic::Sports),
    ("ciclismo", Topic::Sports),
    ("atletismo", Topic::Sports),
    ("fussball", Topic::Sports),
    ("calcio", Topic::Sports),
    ("futebol", Topic::Sports),
    ("esporte", Topic::Sports),
    ("esportes", Topic::Sports),
    ("desporto", Topic::Sports),
    ("basket", Topic::Sports),
    // Entertainment
    ("entertainment", Topic::Entertainment),
    ("culture", Topic::Entertainment),
    ("arts", Topic::Entertainment),
    ("movies", Topic::Entertainment),
    ("film", Topic::Entertainment),
    ("films", Topic::Entertainment),
    ("tv", Topic::Entertainment),
    ("television", Topic::Entertainment),
    ("music", Topic::Entertainment),
    ("celebrity", Topic::Entertainment),
    ("celebrities", Topic::Entertainment),
    ("showbiz", Topic::Entertainment),
    ("books", Topic::Entertainment),
    ("theatre", Topic::Entertainment),
    ("theater", Topic::Entertainment),
    ("cultura", Topic::Entertainment),
    ("espectaculos", Topic::Entertainment),
    ("entretenimiento", Topic::Entertainment),
    ("cine", Topic::Entertainment),
    ("musica", Topic::Entertainment),
    ("libros", Topic::Entertainment),
    ("teatro", Topic::Entertainment),
    ("famosos", Topic::Entertainment),
    ("divertissement", Topic::Entertainment),
    ("cinema", Topic::Entertainment),
    ("musique", Topic::Entertainment),
    ("livres", Topic::Entertainment),
    ("kultur", Topic::Entertainment),
    ("unterhaltung", Topic::Entertainment),
    ("kino", Topic::Entertainment),
    ("fernsehen", Topic::Entertainment),
    ("musik", Topic::Entertainment),
    ("buecher", Topic::Entertainment),
    ("bucher", Topic::Entertainment),
    ("spettacoli", Topic::Entertainment),
    ("spettacolo", Topic::Entertainment),
    ("intrattenimento", Topic::Entertainment),
    ("libri", Topic::Entertainment),
    ("entretenimento", Topic::Entertainment),
    ("livros", Topic::Entertainment),
    ("televisao", Topic::Entertainment),
    // Environment
    ("environment", Topic::Environment),
    ("environmental", Topic::Environment),
    ("climate", Topic::Environment),
    ("sustainability", Topic::Environment),
    ("nature", Topic::Environment),
    ("wildlife", Topic::Environment),
    ("medio ambiente", Topic::Environment),
    ("medioambiente", Topic::Environment),
    ("clima", Topic::Environment),
    ("naturaleza", Topic::Environment),
    ("ecologia", Topic::Environment),
    ("environnement", Topic::Environment),
    ("climat", Topic::Environment),
    ("planete", Topic::Environment),
    ("ecologie", Topic::Environment),
    ("umwelt", Topic::Environment),
    ("klima", Topic::Environment),
    ("natur", Topic::Environment),
    ("ambiente", Topic::Environment),
    ("natureza", Topic::Environment),
    // Local
    ("local", Topic::Local),
    ("locales", Topic::Local),
    ("locale", Topic::Local),
    ("locali", Topic::Local),
    ("regional", Topic::Local),
    ("regionales", Topic::Local),
    ("regionale", Topic::Local),
    ("metro", Topic::Local),
    ("community", Topic::Local),
    ("ciudad", Topic::Local),
    ("ville", Topic::Local),
    ("lokal", Topic::Local),
    ("lokales", Topic::Local),
    ("stadt", Topic::Local),
    ("citta", Topic::Local),
    ("cidade", Topic::Local),
];

/// The topics a free-text source category names: "Tech" and "Technologie" are Technology, "Science &
/// Environment" is both, "Fútbol" is Sports, "Opinion" is nothing. Case, accents and a plural "s" are ignored.
pub fn category_topics(category: &str) -> Vec<Topic> {
    let words: Vec<String> =
        fold(category).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect();
    let mut out = Vec::new();
    if words.is_empty() || words.len() > 12 {
        // Not a category but a sentence: a mis-filled field.
        return out;
    }
    let same = |word: &str, alias: &str| {
        word == alias
            || (word.len() > 3 && word.strip_suffix('s') == Some(alias))
            || (word.len() > 4 && word.strip_suffix("es") == Some(alias))
    };
    // Scan in word order so that "Science & Environment" lists Science first.
    for start in 0..words.len() {
        for (alias, topic) in ALIASES {
            let parts = alias.split(' ');
            let n = parts.clone().count();
            if start + n <= words.len()
                && parts.zip(&words[start..start + n]).all(|(a, w)| same(w, a))
                && !out.contains(topic)
            {
                out.push(*topic);
            }
        }
    }
    out
}

/// Lowercase, with the accents of Latin letters dropped and "ß" as "ss", so that "Économie" matches "economie".
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' => out.push('a'),
            'ä' => out.push_str("ae"),
            'ç' | 'č' | 'ć' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' | 'ń' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ø' => out.push('o'),
            'ö' => out.push_str("oe"),
            'ù' | 'ú' | 'û' => out.push('u'),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'ý' | 'ÿ' => out.push('y'),
            other => out.push(other),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Features

/// Body tokens read: the topic is settled in the first paragraphs, and the cap bounds the cost.
const MAX_BODY_TOKENS: usize = 300;
/// Bytes of body tokenised (`tokenize_prefix` still reads the whole string into characters).
const MAX_BODY_BYTES: usize = 3000;
/// Title words are worth this many body words.
const TITLE_WEIGHT: f32 = 2.0;

/// A feature's identity: the hash of its term, or of its two terms. Never stored, so the hasher may differ
/// between platforms.
fn hash_terms(a: &str, b: Option<&str>) -> u64 {
    let mut h = FxHasher::default();
    h.write(a.as_bytes());
    if let Some(b) = b {
        h.write_u8(0xff);
        h.write(b.as_bytes());
    }
    h.finish()
}

/// Calls `f(first term, optional second term, weight)` for each word and adjacent word pair (stopwords and
/// numbers left out, pairs not crossing sentences) of the title and the start of the text.
fn for_each_feature(title: &str, text: &str, mut f: impl FnMut(&str, Option<&str>, f32)) {
    let body = {
        let mut end = text.len().min(MAX_BODY_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        &text[..end]
    };
    let keep = |t: &Token| !t.stop && t.term.chars().count() >= 2 && t.term.chars().any(char::is_alphabetic);
    for (tokens, weight) in [(tokenize(title), TITLE_WEIGHT), (tokenize_prefix(body, MAX_BODY_TOKENS), 1.0)] {
        let mut prev: Option<&str> = None;
        for t in &tokens {
            if t.sentence_start {
                prev = None;
            }
            if !keep(t) {
                // A pair may skip stopwords ("price of oil") but not numbers or other dropped tokens.
                if !t.stop {
                    prev = None;
                }
                continue;
            }
            f(&t.term, None, weight);
            if let Some(p) = prev {
                f(p, Some(&t.term), weight);
            }
            prev = Some(&t.term);
        }
    }
}

/// The feature vector of a text: feature hash -> value, log-scaled counts, unit length over all features (known
/// to the model or not, so that pruning the vocabulary does not change the scale).
fn vectorize(title: &str, text: &str) -> Vec<(u64, f32)> {
    let mut counts: FxHashMap<u64, f32> = FxHashMap::default();
    for_each_feature(title, text, |a, b, w| *counts.entry(hash_terms(a, b)).or_insert(0.0) += w);
    let mut v: Vec<(u64, f32)> = counts.into_iter().map(|(h, c)| (h, (1.0 + c).ln())).collect();
    let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, x) in &mut v {
            *x /= norm;
        }
    }
    // Hash-map order is arbitrary; a fixed order keeps float sums (and so training) reproducible.
    v.sort_unstable_by_key(|(h, _)| *h);
    v
}

// ---------------------------------------------------------------------------------------------------------------
// The model

const CLASSES: usize = Topic::TEXT.len();
/// Weights are stored as integers in these units.
const SCALE: f64 = 1000.0;
const HEADER: &str = "# tidings topic model v1";

/// A trained text classifier: a weight per topic for each known feature, and a bias per topic.
#[derive(Debug, Clone, Default)]
pub struct TopicModel {
    /// Feature text ("term" or "term1 term2") and its weights, in file order.
    features: Vec<(String, [i32; CLASSES])>,
    bias: [i32; CLASSES],
    index: FxHashMap<u64, usize>,
}

/// One labelled training text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// Its topic.
    pub topic: Topic,
    /// Its headline.
    pub title: String,
    /// Its text.
    pub text: String,
}

/// Training settings (the defaults made the shipped model).
#[derive(Debug, Clone, Copy)]
pub struct TrainConfig {
    /// Passes over the data.
    pub epochs: usize,
    /// Initial learning rate.
    pub learning_rate: f64,
    /// L2 penalty.
    pub l2: f64,
    /// A feature must occur in at least this many examples to be learnt.
    pub min_df: usize,
    /// Features whose largest weight is below this (in weight units) are dropped from the model.
    pub prune_below: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig { epochs: 60, learning_rate: 3.0, l2: 1e-4, min_df: 2, prune_below: 0.02 }
    }
}

/// Reads a corpus file: examples separated by blank lines, each a headline line followed by its text; lines
/// starting with `#` are comments.
pub fn parse_corpus(topic: Topic, content: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut lines: Vec<&str> = Vec::new();
    let mut flush = |lines: &mut Vec<&str>| {
        if let Some((title, rest)) = lines.split_first() {
            out.push(Example { topic, title: title.trim().to_string(), text: rest.join(" ").trim().to_string() });
        }
        lines.clear();
    };
    for line in content.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            flush(&mut lines);
        } else {
            lines.push(line);
        }
    }
    flush(&mut lines);
    out
}

/// Reads `<dir>/<slug>.txt` for every topic of [`Topic::TEXT`].
pub fn load_corpus(dir: &std::path::Path) -> std::io::Result<Vec<Example>> {
    let mut out = Vec::new();
    for topic in Topic::TEXT {
        let content = std::fs::read_to_string(dir.join(format!("{}.txt", topic.slug())))?;
        out.extend(parse_corpus(topic, &content));
    }
    Ok(out)
}

/// A small deterministic generator for shuffling (the same on every platform).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

impl TopicModel {
    /// Trains a model on `examples` (multinomial logistic regression, plain SGD, a fixed shuffle: the same data
    /// and settings give the same model).
    pub fn train(examples: &[Example], config: &TrainConfig) -> TopicModel {
        // Vocabulary: features in at least min_df examples, in a fixed (sorted) order.
        let mut df: FxHashMap<String, usize> = FxHashMap::default();
        for e in examples {
            let mut seen: FxHashMap<String, ()> = FxHashMap::default();
            for_each_feature(&e.title, &e.text, |a, b, _| {
                let key = match b {
                    Some(b) => format!("{a} {b}"),
                    None => a.to_string(),
                };
                seen.insert(key, ());
            });
            for k in seen.into_keys() {
                *df.entry(k).or_insert(0) += 1;
            }
        }
        let mut vocab: Vec<String> = df.into_iter().filter(|(_, n)| *n >= config.min_df).map(|(k, _)| k).collect();
        vocab.sort();
        let index: FxHashMap<u64, usize> = vocab.iter().enumerate().map(|(i, f)| (feature_hash(f), i)).collect();
        let data: Vec<(usize, Vec<(usize, f64)>)> = examples
            .iter()
            .filter_map(|e| {
                let class = Topic::TEXT.iter().position(|t| *t == e.topic)?;
                let x = vectorize(&e.title, &e.text)
                    .into_iter()
                    .filter_map(|(h, v)| Some((*index.get(&h)?, f64::from(v))))
                    .collect();
                Some((class, x))
            })
            .collect();

        let mut w = vec![[0f64; CLASSES]; vocab.len()];
        let mut bias = [0f64; CLASSES];
        let mut order: Vec<usize> = (0..data.len()).collect();
        let mut rng = Lcg(0x0074_6964_696e_6773);
        for epoch in 0..config.epochs {
            for i in (1..order.len()).rev() {
                let j = (rng.next() % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
            let lr = config.learning_rate / (1.0 + epoch as f64 * 0.2);
            for &n in &order {
                let (class, x) = &data[n];
                let mut z = bias;
                for &(f, v) in x {
                    for (k, zk) in z.iter_mut().enumerate() {
                        *zk += w[f][k] * v;
                    }
                }
                let p = softmax(z);
                for k in 0..CLASSES {
                    let g = p[k] - if k == *class { 1.0 } else { 0.0 };
                    bias[k] -= lr * g;
                    for &(f, v) in x {
                        w[f][k] -= lr * (g * v + config.l2 * w[f][k]);
                    }
                }
            }
        }

        let quantize = |x: f64| (x * SCALE).round() as i32;
        let features = vocab
            .into_iter()
            .zip(w)
            .filter(|(_, ws)| ws.iter().any(|x| x.abs() >= config.prune_below))
            .map(|(f, ws)| (f, ws.map(quantize)))
            .collect();
        TopicModel::new(features, bias.map(quantize))
    }

    fn new(features: Vec<(String, [i32; CLASSES])>, bias: [i32; CLASSES]) -> TopicModel {
        let index = features.iter().enumerate().map(|(i, (f, _))| (feature_hash(f), i)).collect();
        TopicModel { features, bias, index }
    }

    /// The model as text: a header, the topic order, the biases, then one line per feature, weights in
    /// thousandths.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let slugs: Vec<&str> = Topic::TEXT.iter().map(|t| t.slug()).collect();
        let _ = writeln!(s, "{HEADER}\n# topics\t{}", slugs.join("\t"));
        let row = |ws: &[i32; CLASSES]| ws.iter().map(i32::to_string).collect::<Vec<_>>().join("\t");
        let _ = writeln!(s, "#bias\t{}", row(&self.bias));
        for (f, ws) in &self.features {
            let _ = writeln!(s, "{f}\t{}", row(ws));
        }
        s
    }

    /// Parses what [`to_text`](TopicModel::to_text) wrote; `None` if it is malformed.
    pub fn from_text(text: &str) -> Option<TopicModel> {
        let mut lines = text.lines();
        if lines.next()? != HEADER {
            return None;
        }
        let parse_row = |fields: std::str::Split<'_, char>| -> Option<[i32; CLASSES]> {
            let v: Vec<i32> = fields.map(|x| x.parse().ok()).collect::<Option<_>>()?;
            v.try_into().ok()
        };
        let topics = lines.next()?.strip_prefix("# topics\t")?;
        if !topics.split('\t').eq(Topic::TEXT.iter().map(|t| t.slug())) {
            return None;
        }
        let bias = parse_row(lines.next()?.strip_prefix("#bias\t")?.split('\t'))?;
        let mut features = Vec::new();
        for line in lines {
            let (f, rest) = line.split_once('\t')?;
            features.push((f.to_string(), parse_row(rest.split('\t'))?));
        }
        Some(TopicModel::new(features, bias))
    }

    /// Number of features the model knows.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether the model knows no features (an untrained model: uniform scores).
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The probability of each of [`Topic::TEXT`] for a text (summing to 1).
    pub fn probabilities(&self, title: &str, text: &str) -> [(Topic, f32); 9] {
        let mut z = self.bias.map(|b| f64::from(b) / SCALE);
        for (h, v) in vectorize(title, text) {
            if let Some(&i) = self.index.get(&h) {
                for (zk, wk) in z.iter_mut().zip(&self.features[i].1) {
                    *zk += f64::from(*wk) / SCALE * f64::from(v);
                }
            }
        }
        let p = softmax(z);
        std::array::from_fn(|k| (Topic::TEXT[k], p[k] as f32))
    }

    /// The most probable topic and its probability.
    pub fn predict(&self, title: &str, text: &str) -> (Topic, f32) {
        self.probabilities(title, text)
            .into_iter()
            .fold((Topic::World, -1.0), |best, x| if x.1 > best.1 { x } else { best })
    }
}

/// The hash of a stored feature ("term" or "term1 term2"), as [`vectorize`] computes it from tokens.
fn feature_hash(feature: &str) -> u64 {
    match feature.split_once(' ') {
        Some((a, b)) => hash_terms(a, Some(b)),
        None => hash_terms(feature, None),
    }
}

fn softmax(z: [f64; CLASSES]) -> [f64; CLASSES] {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e = z.map(|x| (x - max).exp());
    let sum: f64 = e.iter().sum();
    e.map(|x| x / sum)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn corpus_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/topics")
    }

    #[test]
    fn slugs_and_labels() {
        for t in Topic::ALL {
            assert_eq!(Topic::from_slug(t.slug()), Some(t));
            assert_eq!(t.label().to_lowercase(), t.slug());
        }
        assert_eq!(Topic::Technology.slug(), "technology");
        assert_eq!(Topic::Technology.label(), "Technology");
    }

    #[test]
    fn category_aliases_in_several_languages() {
        let cases: &[(&str, &[Topic])] = &[
            ("Tech", &[Topic::Technology]),
            ("technology", &[Topic::Technology]),
            ("Sport", &[Topic::Sports]),
            ("SPORTS", &[Topic::Sports]),
            ("Football", &[Topic::Sports]),
            ("Fútbol", &[Topic::Sports]),
            ("Calcio", &[Topic::Sports]),
            ("Économie", &[Topic::Business]),
            ("Economía", &[Topic::Business]),
            ("Wirtschaft", &[Topic::Business]),
            ("Politik", &[Topic::Politics]),
            ("Política", &[Topic::Politics]),
            ("Local", &[Topic::Local]),
            ("Local news", &[Topic::Local]),
            ("World", &[Topic::World]),
            ("Internacional", &[Topic::World]),
            ("Science", &[Topic::Science]),
            ("Health", &[Topic::Health]),
            ("Santé", &[Topic::Health]),
            ("Saúde", &[Topic::Health]),
            ("Medio Ambiente", &[Topic::Environment]),
            ("Umwelt", &[Topic::Environment]),
            ("Kultur", &[Topic::Entertainment]),
            ("Spettacoli", &[Topic::Entertainment]),
            ("Science & Environment", &[Topic::Science, Topic::Environment]),
            ("News > Technology", &[Topic::Technology]),
            ("ciencia y tecnología", &[Topic::Science, Topic::Technology]),
            ("Elections", &[Topic::Politics]),
            ("Opinion", &[]),
            ("Lifestyle", &[]),
            ("", &[]),
            ("News", &[]),
        ];
        for (category, want) in cases {
            assert_eq!(category_topics(category), *want, "{category}");
        }
    }

    #[test]
    fn categories_come_first_and_local_only_from_them() {
        let t = classify(
            "Council approves new bus lanes on the high street",
            "The town council voted to add bus lanes along the high street after months of consultation.",
            &["Local", "Politics"],
            Some("en"),
        );
        assert_eq!(t[0], TopicScore { topic: Topic::Local, score: 1.0, from: TopicSource::Category });
        assert_eq!(t[1].topic, Topic::Politics);
        assert!(t.len() <= MAX_TOPICS);
        for t in classify("Council approves bus lanes", "The council voted on bus lanes.", &[], Some("en")) {
            assert_ne!(t.topic, Topic::Local);
        }
    }

    #[test]
    fn classifies_invented_headlines() {
        let cases = [
            (
                "Striker's late double sends Rovers into the cup final",
                "Two goals in the final ten minutes turned the semi-final around as the home side's defence tired \
                 and the coach praised his substitutes.",
                Topic::Sports,
            ),
            (
                "Chipmaker unveils faster processor for laptops",
                "The new chip promises longer battery life and better graphics, and the company says the first \
                 laptops using it will ship in the autumn alongside a software update.",
                Topic::Technology,
            ),
            (
                "Central bank holds interest rates as inflation cools",
                "Policymakers kept the benchmark rate unchanged, saying price growth had slowed but wages were \
                 still rising faster than expected. Shares rose on the decision.",
                Topic::Business,
            ),
            (
                "Senate passes budget bill after all-night session",
                "Lawmakers approved the spending package by a narrow margin, sending it to the president, while the \
                 opposition leader vowed to campaign against it before the election.",
                Topic::Politics,
            ),
            (
                "Astronomers spot water vapour on distant planet",
                "Using a space telescope, researchers detected the signature of water in the atmosphere of an \
                 exoplanet orbiting a small star, according to a study published this week.",
                Topic::Science,
            ),
            (
                "Hospitals brace for winter flu surge",
                "Doctors urged older patients to get vaccinated as emergency departments reported rising numbers of \
                 flu cases and health officials warned of long waits.",
                Topic::Health,
            ),
            (
                "Director's new thriller tops the weekend box office",
                "The film, starring two award-winning actors, earned more than expected in cinemas, and critics \
                 praised its soundtrack and performances.",
                Topic::Entertainment,
            ),
            (
                "Drought pushes river to record low as heatwave continues",
                "Conservation groups warned that fish and wildlife were at risk, and scientists linked the longer dry \
                 seasons to climate change and rising emissions.",
                Topic::Environment,
            ),
            (
                "Ceasefire talks resume as envoys arrive in the capital",
                "Diplomats from neighbouring countries met the foreign minister to press for a truce, while the \
                 United Nations called for aid corridors to reach civilians near the border.",
                Topic::World,
            ),
        ];
        for (title, text, want) in cases {
            let t = classify(title, text, &[], Some("en-GB"));
            assert_eq!(t.first().map(|t| (t.topic, t.from)), Some((want, TopicSource::Text)), "{title}: {t:?}");
        }
    }

    #[test]
    fn no_text_topics_for_other_languages() {
        let title = "Striker's late double sends Rovers into the cup final";
        let text = "Two goals in the final ten minutes turned the semi-final around.";
        assert!(classify(title, text, &[], Some("es")).is_empty());
        assert!(!classify(title, text, &[], None).is_empty());
        let t = classify("El Mariners conquista la copa", "El equipo ganó la final.", &["Deportes"], Some("es"));
        assert_eq!(t, vec![TopicScore { topic: Topic::Sports, score: 1.0, from: TopicSource::Category }]);
    }

    #[test]
    fn vague_text_gets_no_topic() {
        assert!(classify("", "", &[], Some("en")).is_empty());
        assert!(classify("Thank you for reading", "See you tomorrow.", &[], Some("en")).is_empty());
    }

    #[test]
    fn shipped_model_parses_and_round_trips() {
        let m = TopicModel::from_text(SHIPPED_MODEL).expect("shipped model parses");
        assert!(m.len() > 500, "{}", m.len());
        assert_eq!(m.to_text(), SHIPPED_MODEL);
    }

    /// The shipped weights are what the shipped corpus trains: neither can change without the other.
    #[test]
    fn retraining_reproduces_the_shipped_model() {
        let corpus = load_corpus(&corpus_dir()).unwrap();
        let retrained = TopicModel::train(&corpus, &TrainConfig::default());
        let shipped = TopicModel::from_text(SHIPPED_MODEL).unwrap();
        if retrained.to_text() == SHIPPED_MODEL {
            return;
        }
        // Another platform's `exp` may differ in the last bit; allow that, but not a different model.
        assert_eq!(
            retrained.features.iter().map(|f| &f.0).collect::<Vec<_>>(),
            shipped.features.iter().map(|f| &f.0).collect::<Vec<_>>(),
            "the vocabulary differs: run `cargo run --release -p tidings-text --example train_topics`"
        );
        for ((_, a), (_, b)) in retrained.features.iter().zip(&shipped.features) {
            assert!(a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 2), "weights differ: retrain");
        }
        for e in &corpus {
            assert_eq!(retrained.predict(&e.title, &e.text).0, shipped.predict(&e.title, &e.text).0, "{}", e.title);
        }
    }

    #[test]
    fn corpus_is_balanced_and_large_enough() {
        let corpus = load_corpus(&corpus_dir()).unwrap();
        for topic in Topic::TEXT {
            let n = corpus.iter().filter(|e| e.topic == topic).count();
            assert!(n >= 40, "{topic:?}: {n}");
        }
        for e in &corpus {
            assert!(!e.title.is_empty() && e.text.split_whitespace().count() >= 15, "{e:?}");
        }
    }

    #[test]
    fn parses_corpus_blocks() {
        let c = "# comment\nTitle one\nBody one.\nMore one.\n\n\nTitle two\nBody two.\n";
        let e = parse_corpus(Topic::Health, c);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].title, "Title one");
        assert_eq!(e[0].text, "Body one. More one.");
        assert_eq!(e[1].text, "Body two.");
    }

    proptest! {
        #[test]
        fn classify_never_panics(
            title in "\\PC{0,60}",
            text in "\\PC{0,600}",
            cats in proptest::collection::vec("\\PC{0,20}", 0..4),
            lang in proptest::option::of("\\PC{0,8}"),
        ) {
            let cats: Vec<&str> = cats.iter().map(String::as_str).collect();
            let t = classify(&title, &text, &cats, lang.as_deref());
            prop_assert!(t.len() <= MAX_TOPICS);
            for s in &t {
                prop_assert!((0.0..=1.0).contains(&s.score));
            }
        }
    }
}
