//! "Ask": a reader's question answered from stored coverage, by citing the sentences that answer it, or by
//! saying that the coverage holds no answer.
//!
//! Extractive and explainable: the candidate articles (typically the top search hits for the question) are
//! split into sentences, and each sentence is scored by
//!
//! - **term overlap** with the question's content terms (stemmed, stopwords and question words out), each term
//!   weighted by its rarity among the candidate sentences and saturated BM25-style by the sentence's length;
//!   word forms ("install"/"installation") and a small news thesaurus ("firm"/"company") count for less;
//! - **context**: question terms found in the article's title, or in the sentence before, but not in the
//!   sentence itself count for part of their weight (the sentence need not repeat its subject); so do names the
//!   question gives that the article's lead mentions (the lead, like the title, says what the article is about);
//! - **proximity**: matched terms close together count more than terms scattered over a long sentence (terms
//!   matched through synonyms do not count here: one synonym can stand for two question words);
//! - **answer type**: the question's expected kind of answer (a name for "who", a date or time for "when", a
//!   number for "how many", a number with a unit for "how long", an amount of money for "how much ... cost", a
//!   capitalised name after "in"/"at" for "where", a cue such as "because" for "why") must be present in the
//!   sentence and not merely repeated from the question, and it must stand near (see [`FOCUS_WINDOW`]) a matched
//!   term saying what is asked; a capitalised word opening a sentence counts as a name when the article writes
//!   it as one elsewhere; vague plurals ("thousands of fans") are no count; a "caused"/"led to" whose subject is
//!   the question's own event gives an effect, not a cause;
//! - **restatement**: a sentence that adds (almost) nothing beyond the question's own words is penalised.
//!
//! A sentence can answer only if it covers enough of the question (see [`MIN_COVERAGE`]), every name and number
//! the question asks about occurs in its article, it (or the sentence before, or the title) says a form of the
//! question's main verb when the question's shape shows one ("who *designed*", "when did the wall *collapse*";
//! for "how many X" a count of X will do), and it holds the expected answer type near what is asked. When no sentence
//! qualifies, the answer is [`Answer::NoAnswer`].

use chrono::{DateTime, Utc};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::OnceLock;

use crate::sentences::{dateline_len, split_sentences};
use crate::tokenize::{Token, stem, tokenize};

/// BM25 term-frequency saturation.
const K1: f32 = 1.2;
/// BM25 length normalisation: 0 ignores sentence length, 1 normalises fully.
const B: f32 = 0.75;
/// A question term that only the sentence before matches (in the same paragraph: what "it" and "they" refer
/// to) counts for this share of its weight, in the score and in the coverage test.
pub const CONTEXT_CREDIT: f32 = 0.5;
/// A question term that only the article's title matches counts for this share of its weight: every sentence
/// of an article is about its title, so the sentence need not repeat it.
pub const TITLE_CREDIT: f32 = 0.8;
/// A question term matched through a derived form ("installation" for "install") counts this much.
const DERIVED_CREDIT: f32 = 0.8;
/// Added to the score, times the density of the matched terms in the shortest window holding them all.
const PROXIMITY_WEIGHT: f32 = 0.15;
/// Added to the score when the sentence holds the expected kind of answer (or a cause, for "why"), in full when
/// the answer stands within [`NEAR_TOKENS`] of a matched question term, in proportion beyond.
const TYPE_BONUS: f32 = 0.25;
/// See [`TYPE_BONUS`].
const NEAR_TOKENS: usize = 5;
/// A sentence answers only if an answer of the asked kind (a name, a number, a date...) stands within this many
/// tokens of a matched term that says what is asked ("how many *goals*", "who *founded*"; the question's own
/// names say about whom, so they count only when the question has nothing else): a number elsewhere in a
/// sentence that mentions the subject answers some other question.
pub const FOCUS_WINDOW: usize = 6;
/// Multiplies the score of a sentence that adds fewer than [`MIN_NOVEL_TERMS`] content terms of its own (one
/// that adds none cannot answer at all).
const RESTATE_PENALTY: f32 = 0.5;
/// Content terms a sentence must add to the question's to not be a mere restatement.
const MIN_NOVEL_TERMS: usize = 2;
/// The least share of the question's term weight a sentence (with its context, see [`CONTEXT_CREDIT`] and
/// [`TITLE_CREDIT`]) must cover to answer it.
pub const MIN_COVERAGE: f32 = 0.55;
/// Further sentences are cited after the best one when they qualify and score at least this share of it.
const FOLLOW_RATIO: f32 = 0.8;
/// At most this many sentences are cited.
const MAX_CITED: usize = 3;
/// Sentences with fewer tokens are never cited ("Become a member").
const MIN_SENTENCE_TOKENS: usize = 4;

/// One candidate article for answering a question.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Passage {
    /// The article's id, reported back in [`Cited::article_id`].
    pub article_id: i64,
    /// The article's title.
    pub title: String,
    /// The article's text (one paragraph per line, as extracted).
    pub text: String,
    /// When the article was published; among equally good sentences the newer one is cited first.
    pub published: Option<DateTime<Utc>>,
}

/// One sentence cited as (part of) an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Cited {
    /// The article the sentence comes from.
    pub article_id: i64,
    /// The sentence, as it stands in the article's text (`text[start..end]`).
    pub sentence: String,
    /// How well the sentence answers the question; higher is better, comparable within one answer only.
    pub score: f32,
    /// Byte offset of the sentence in the passage's text.
    pub start: usize,
    /// Byte offset just past the sentence in the passage's text.
    pub end: usize,
}

/// The answer to a question.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Sentences that answer the question, best first (one to three).
    Answered {
        /// The cited sentences, best first.
        sentences: Vec<Cited>,
    },
    /// The coverage holds no answer to the question.
    NoAnswer,
}

/// The kind of answer a question expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerType {
    /// A person, organisation or other named thing ("who", "which company", "what is the name").
    Name,
    /// A place ("where", "which town").
    Place,
    /// A date, day, month, year or time of day ("when", "what year").
    Time,
    /// A number or measure ("how many", "how far", "how much" of something other than money).
    Quantity,
    /// A length of time or distance: a number with a unit ("how long").
    Measure,
    /// An amount of money ("how much did it cost", "what price").
    Money,
    /// A cause or reason ("why", "what caused"); not required, only rewarded.
    Reason,
    /// Anything else ("what", "how"): no constraint.
    Other,
}

/// Words that ask rather than inform: never content terms of a question.
const QUESTION_WORDS: &[&str] = &["who", "whom", "whose", "what", "when", "where", "why", "which", "how"];

/// Words that, after "how", turn it into a question about a measure ("how long", "how far"): they are part of
/// the question word, not content.
const HOW_MEASURES: &[&str] = &[
    "many", "much", "long", "far", "old", "big", "high", "tall", "large", "often", "soon", "fast", "strong", "deep",
    "heavy", "late", "early", "wide", "quickly", "severe", "bad",
];

/// Filler that questions use and answers rarely repeat.
const QUESTION_FILLER: &[&str] = &["happen", "exactly", "kind", "sort", "tell", "know", "actually", "going"];

/// Nouns that make "which/what X" a question about a name.
const NAME_NOUNS: &[&str] = &[
    "who",
    "person",
    "people",
    "man",
    "woman",
    "member",
    "members",
    "company",
    "companies",
    "firm",
    "firms",
    "team",
    "club",
    "player",
    "players",
    "minister",
    "official",
    "officials",
    "group",
    "consortium",
    "bank",
    "lender",
    "lenders",
    "organisation",
    "organization",
    "volunteer",
    "volunteers",
    "student",
    "scientist",
    "coach",
    "manager",
    "councillor",
    "councillors",
    "rider",
    "riders",
    "runner",
    "athlete",
    "owner",
    "rival",
    "supplier",
    "contractor",
    "chain",
    "shop",
    "business",
    "brand",
    "agency",
    "authority",
    "side",
    "name",
    "called",
];

/// Words skipped after "what"/"which" when looking for what the question is about.
const SKIP_AFTER_WHAT: &[&str] = &[
    "is", "was", "are", "were", "the", "a", "an", "did", "does", "do", "will", "would", "has", "have", "had", "of",
    "its", "their", "his", "her", "this", "that", "now", "new", "main", "exact",
];

/// Nouns that make "which/what X" a question about a place.
const PLACE_NOUNS: &[&str] = &[
    "city", "town", "village", "country", "street", "road", "stadium", "place", "region", "venue", "area", "district",
    "island", "islands", "port", "harbour", "coast", "river", "station", "yard", "building",
];

/// Nouns that make "which/what X" a question about a time.
const TIME_NOUNS: &[&str] = &["time", "day", "date", "year", "month", "season", "hour", "week", "night", "morning"];

/// Nouns that make "what X" a question about a quantity.
const QUANTITY_NOUNS: &[&str] = &[
    "percentage",
    "proportion",
    "number",
    "amount",
    "share",
    "rate",
    "speed",
    "size",
    "distance",
    "length",
    "height",
    "weight",
    "score",
    "total",
    "age",
    "count",
    "figure",
];

/// Words of a question about money.
const MONEY_WORDS: &[&str] = &[
    "cost",
    "costs",
    "price",
    "prices",
    "pay",
    "paid",
    "spend",
    "spent",
    "worth",
    "budget",
    "charge",
    "fee",
    "fees",
    "money",
    "fund",
    "funds",
    "raise",
    "raised",
    "compensation",
    "value",
    "sum",
    "fine",
    "salary",
];

/// Words that mark a sentence as giving a cause or reason; the first [`STRONG_REASON_CUES`] of them say so
/// outright, the rest only often.
const REASON_CUES: &[&str] = &[
    "because",
    "due",
    "cause",
    "caused",
    "causes",
    "causing",
    "reason",
    "reasons",
    "result",
    "blame",
    "blamed",
    "responsible",
    "thanks",
    "owing",
    "defect",
    "fault",
    "explanation",
    "after",
    "since",
    "led",
    "following",
    "so",
    "for",
    "made",
    "timing",
];
/// Cues that put the cause before them and the effect after ("X caused Y").
const EFFECT_CUES: &[&str] = &["cause", "caused", "causes", "causing", "led"];
/// How many of [`REASON_CUES`] are strong.
const STRONG_REASON_CUES: usize = 17;

/// Words that mark a sentence as giving a time.
const TIME_WORDS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "today",
    "yesterday",
    "tomorrow",
    "tonight",
    "morning",
    "afternoon",
    "evening",
    "night",
    "midnight",
    "noon",
    "midday",
    "dawn",
    "spring",
    "summer",
    "autumn",
    "winter",
    "weekend",
    "am",
    "pm",
    "o'clock",
    "overnight",
    "decade",
    "century",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "season",
];

/// Words that spell numbers. Vague plurals ("thousands of fans", "dozens of homes") are left out: they do not
/// answer "how many".
const NUMBER_WORDS: &[&str] = &[
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
    "thousand",
    "million",
    "billion",
    "half",
    "third",
    "quarter",
    "dozen",
    "double",
    "twice",
];

/// Units of time and length, which make a number a measure ("75-minute", "two weeks", "6.8km").
const UNITS: &[&str] = &[
    "second",
    "seconds",
    "minute",
    "minutes",
    "hour",
    "hours",
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "decade",
    "decades",
    "km",
    "kilometre",
    "kilometres",
    "kilometer",
    "kilometers",
    "metre",
    "metres",
    "meter",
    "meters",
    "m",
    "mile",
    "miles",
    "cm",
    "centimetre",
    "centimetres",
    "mm",
    "millimetre",
    "millimetres",
];

/// Prepositions before a place ("in Brennhaven", "at the Tarrant yard").
const LOCATIVES: &[&str] = &[
    "in", "at", "near", "from", "to", "outside", "across", "along", "between", "into", "onto", "inside", "towards",
    "toward", "around", "beyond", "via", "through", "on",
];

/// Words that name money.
const CURRENCY_WORDS: &[&str] = &[
    "mark", "marks", "dollar", "dollars", "euro", "euros", "pound", "pounds", "pence", "cents", "yen", "franc",
    "francs", "krona", "kronor", "crown", "crowns",
];

/// Irregular forms mapped to the form the stemmer gives their regular relatives.
const IRREGULAR: &[(&str, &str)] = &[
    ("won", "win"),
    ("winner", "win"),
    ("fell", "fall"),
    ("fallen", "fall"),
    ("built", "build"),
    ("sold", "sell"),
    ("bought", "buy"),
    ("rose", "rise"),
    ("risen", "rise"),
    ("ran", "run"),
    ("began", "begin"),
    ("begun", "begin"),
    ("gave", "give"),
    ("given", "give"),
    ("took", "take"),
    ("taken", "take"),
    ("broke", "break"),
    ("broken", "break"),
    ("struck", "strike"),
    ("paid", "pay"),
    ("spent", "spend"),
    ("met", "meet"),
    ("led", "lead"),
    ("chose", "choose"),
    ("chosen", "choose"),
    ("drove", "drive"),
    ("driven", "drive"),
    ("hurt", "injur"),
    ("injury", "injur"),
    ("injuries", "injur"),
];

/// Words that news writing uses for one another. A match through a synonym counts [`SYNONYM_CREDIT`].
const SYNONYMS: &[&[&str]] = &[
    &["company", "firm", "group", "business", "consortium", "corporation", "contractor"],
    &["build", "construct", "construction", "builder"],
    &["create", "found", "establish", "launch", "form"],
    &["shut", "close", "closure"],
    &["boss", "executive", "chief", "head", "leader"],
    &["lead", "head", "chair", "coordinate", "manage", "run", "charge"],
    &["watch", "attend", "attendance", "crowd", "spectator", "audience", "supporter"],
    &["speak", "talk", "address", "conference", "briefing"],
    &["press", "reporter", "journalist", "media", "conference"],
    &["price", "cost"],
    &["buy", "purchase", "acquire", "acquisition", "takeover"],
    &["deal", "agreement", "takeover", "merger"],
    &["kill", "death", "dead", "die", "fatal"],
    &["injure", "injury", "hurt", "wound"],
    &["rise", "increase", "climb", "jump", "gain"],
    &["fall", "drop", "decline", "slide", "slip", "lower", "cut", "reduce", "reduction"],
    &["begin", "start", "commence"],
    &["finish", "complete", "end"],
    &["home", "house", "household", "property", "dwelling"],
    &["power", "electricity", "supply"],
    &["resident", "inhabitant", "villager", "people"],
    &["discover", "find", "spot", "notice", "rediscover"],
    &["allow", "permit"],
    &["maximum", "limit", "cap"],
    &["forecast", "predict", "expect", "forecaster", "meteorological"],
    &["victory", "win", "triumph"],
    &["parade", "procession"],
    &["rain", "rainfall"],
    &["ship", "vessel", "ferry", "boat"],
    &["goal", "score", "equaliser"],
    &["fix", "repair", "restore"],
    &["shop", "store", "outlet"],
    &["money", "cash", "fund", "funding"],
    &["employee", "staff", "worker"],
    &["car", "vehicle"],
    &["sack", "fire", "dismiss"],
    &["send", "dismissal"],
    &["singer", "member", "chorister"],
    &["dissent", "dissenter", "oppose", "opponent", "opposition"],
];

/// A question term matched through a synonym counts this much.
const SYNONYM_CREDIT: f32 = 0.7;

/// Endings that derive a word from another with much the same meaning ("install" / "installation").
const DERIVATIONS: &[&str] = &[
    "ion", "ions", "ation", "ations", "er", "ers", "or", "ors", "est", "y", "ity", "ment", "ments", "al", "ance",
    "ence", "ive", "ness", "ist", "ists", "ic", "ful",
];

/// The key two terms must share to match exactly: the tokenizer's stem, irregular forms regularised and a
/// final "e" dropped, so that "score" and "scored" (stemmed "scor") meet.
fn match_key(term: &str) -> String {
    let term = IRREGULAR.iter().find(|(from, _)| *from == term).map_or(term, |(_, to)| to);
    let mut key = term.to_string();
    if key.len() >= 4 && key.is_ascii() && key.ends_with('e') && !key.ends_with("ee") {
        key.pop();
    }
    key
}

/// Whether `longer` is `shorter` plus a derivational ending.
fn derived(shorter: &str, longer: &str) -> bool {
    shorter.len() >= 4
        && longer.len() > shorter.len()
        && longer.starts_with(shorter)
        && longer.is_char_boundary(shorter.len())
        && DERIVATIONS.contains(&&longer[shorter.len()..])
}

/// The synonym groups each match key belongs to.
fn synonym_groups() -> &'static FxHashMap<String, Vec<usize>> {
    static GROUPS: OnceLock<FxHashMap<String, Vec<usize>>> = OnceLock::new();
    GROUPS.get_or_init(|| {
        let mut map: FxHashMap<String, Vec<usize>> = FxHashMap::default();
        for (g, words) in SYNONYMS.iter().enumerate() {
            for w in *words {
                map.entry(match_key(&stem(w))).or_default().push(g);
            }
        }
        map
    })
}

/// How much a sentence term counts for a question term: 1 for the same key, [`DERIVED_CREDIT`] for a
/// derived form, [`SYNONYM_CREDIT`] for a synonym, 0 otherwise.
fn credit(question_key: &str, sentence_key: &str) -> f32 {
    if question_key == sentence_key {
        1.0
    } else if derived(question_key, sentence_key) || derived(sentence_key, question_key) {
        DERIVED_CREDIT
    } else {
        let groups = synonym_groups();
        match (groups.get(question_key), groups.get(sentence_key)) {
            (Some(a), Some(b)) if a.iter().any(|g| b.contains(g)) => SYNONYM_CREDIT,
            _ => 0.0,
        }
    }
}

fn lower_words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().replace('’', "'"))
        .collect()
}

/// The kind of answer `question` expects, from its question words.
pub fn answer_type(question: &str) -> AnswerType {
    let words = lower_words(question);
    let money = words.iter().any(|w| MONEY_WORDS.contains(&w.as_str()));
    let mut found = None;
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).map(String::as_str).unwrap_or("");
        let kind = match w.as_str() {
            "who" | "whom" | "whose" => Some(AnswerType::Name),
            "when" => Some(AnswerType::Time),
            "where" => Some(AnswerType::Place),
            "why" => Some(AnswerType::Reason),
            "how" if next == "much" && money => Some(AnswerType::Money),
            // Depth, height and width are lengths: the answer carries a unit.
            "how" if matches!(next, "long" | "deep" | "high" | "tall" | "wide") => Some(AnswerType::Measure),
            "how" if HOW_MEASURES.contains(&next) => Some(AnswerType::Quantity),
            "what" | "which" => {
                // The first two words after the question word that are not auxiliaries or articles say what
                // is asked about: "what caused", "which city", "what is the price", "in what year".
                let mut nouns = words[i + 1..].iter().map(String::as_str).filter(|w| !SKIP_AFTER_WHAT.contains(w));
                let first = nouns.next().unwrap_or("");
                let second = nouns.next().unwrap_or("");
                let noun = |list: &[&str]| list.contains(&first) || list.contains(&second);
                if matches!(next, "caused" | "causes" | "cause" | "led" | "made" | "prompted" | "triggered") {
                    Some(AnswerType::Reason)
                } else if noun(TIME_NOUNS) {
                    Some(AnswerType::Time)
                } else if noun(PLACE_NOUNS) {
                    Some(AnswerType::Place)
                } else if noun(MONEY_WORDS) {
                    Some(AnswerType::Money)
                } else if noun(QUANTITY_NOUNS) {
                    Some(AnswerType::Quantity)
                } else if noun(NAME_NOUNS) {
                    Some(AnswerType::Name)
                } else {
                    None
                }
            }
            _ => None,
        };
        if let Some(kind) = kind {
            found = Some(kind);
            break;
        }
    }
    found.unwrap_or(AnswerType::Other)
}

/// One content term of the question.
#[derive(Debug)]
struct QueryTerm {
    key: String,
    /// Written as a name in the question: the cited article must mention it.
    name: bool,
    idf: f32,
}

fn question_terms(question: &str) -> Vec<QueryTerm> {
    let tokens = tokenize(question);
    let raw = lower_words(question);
    // Measure words right after "how" belong to the question word ("how long"), not the content.
    let mut measure_words: FxHashSet<String> = FxHashSet::default();
    for pair in raw.windows(2) {
        if pair[0] == "how" && HOW_MEASURES.contains(&pair[1].as_str()) {
            measure_words.insert(stem(&pair[1]));
        }
    }
    let mut seen = FxHashSet::default();
    let mut out = Vec::new();
    for t in &tokens {
        if t.stop
            || QUESTION_WORDS.contains(&t.term.as_str())
            || QUESTION_FILLER.contains(&t.term.as_str())
            || measure_words.contains(&t.term)
        {
            continue;
        }
        let key = match_key(&t.term);
        if seen.insert(key.clone()) {
            // A number in the question ("Nimbus 6", "the 2028 Olympics") pins it down as a name does.
            let name = t.name || t.term.bytes().any(|b| b.is_ascii_digit());
            out.push(QueryTerm { key, name, idf: 0.0 });
        }
    }
    out
}

/// Auxiliaries that, after a question word, put the subject before the main verb ("when did the wall collapse").
const AUXILIARIES: &[&str] = &["did", "does", "do", "will", "has", "have", "had", "can", "could", "would", "should"];

/// The match key of the question's main verb, when its shape shows it: "who *designed* ...", "how many passengers
/// *travelled*", "when did the sea wall *collapse*". A sentence that never says (a form of) what the question
/// asks happened answers some neighbouring question ("will carry" is not "travelled").
/// With it, for "how many X", the key of X: a count of X ("2,300 signatures") says the verb's fact without it.
fn question_verb(question: &str) -> Option<(String, Option<String>)> {
    let words: Vec<&str> =
        question.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’')).filter(|w| !w.is_empty()).collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let qi = lower.iter().position(|w| QUESTION_WORDS.contains(&w.as_str()))?;
    let content = |i: usize| {
        words.get(i).is_some_and(|w| {
            w.chars().next().is_some_and(char::is_lowercase)
                && !crate::tokenize::is_stopword(&lower[i])
                && !AUXILIARIES.contains(&lower[i].as_str())
                && !w.bytes().any(|b| b.is_ascii_digit())
        })
    };
    let mut j = qi + 1;
    let mut counted = None;
    if lower[qi] == "how" && lower.get(j).is_some_and(|w| HOW_MEASURES.contains(&w.as_str())) {
        j += 1;
        if matches!(lower[qi + 1].as_str(), "many" | "much") && content(j) {
            counted = Some(match_key(&stem(&lower[j])));
            j += 1;
        }
    }
    // Light verbs ("go over budget", "make up") say little of their own.
    let key =
        |i: usize| (!LIGHT_VERBS.contains(&lower[i].as_str())).then(|| (match_key(&stem(&lower[i])), counted.clone()));
    if !lower.get(j).is_some_and(|w| AUXILIARIES.contains(&w.as_str())) {
        // "Who designed", "how many passengers travelled": a past form right after the question.
        return if content(j) && (lower[qi] == "who" || lower[j].ends_with("ed")) { key(j) } else { None };
    }
    // After the auxiliary comes the subject, then the verb: the last word before a function word.
    let mut i = j + 1;
    if lower.get(i).is_some_and(|w| matches!(w.as_str(), "the" | "a" | "an" | "its" | "their")) {
        i += 1;
    }
    let start = i;
    while i < words.len() && (content(i) || words[i].chars().next().is_some_and(char::is_uppercase)) {
        i += 1;
    }
    if i >= start + 2 && content(i - 1) { key(i - 1) } else { None }
}

/// Verbs too general to require ("go", "make", "take").
const LIGHT_VERBS: &[&str] = &[
    "go", "goes", "went", "get", "gets", "got", "make", "makes", "made", "take", "takes", "took", "put", "come",
    "came", "give", "gave", "keep", "kept", "see", "saw", "happen", "happened",
];

/// Whether a sentence key says the question's verb: any credited form, or the same word with another ending
/// ("supply" / "supplied").
fn says_verb(verb: &str, keys: &[String]) -> bool {
    keys.iter().any(|k| {
        credit(verb, k) > 0.0 || {
            let shared = verb.bytes().zip(k.bytes()).take_while(|(a, b)| a == b).count();
            shared >= 4 && shared + 1 >= verb.len().min(k.len())
        }
    })
}

/// Whether a token in a sentence is evidence of a name (a capitalised word that is not just starting the
/// sentence, or is followed by another capitalised word), and not one the question already gives.
fn is_name_evidence(
    tokens: &[Token],
    i: usize,
    question_keys: &FxHashSet<String>,
    article_names: &FxHashSet<String>,
) -> bool {
    let t = &tokens[i];
    if !t.capitalised || t.stop || t.term.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return false;
    }
    if TIME_WORDS.contains(&t.term.as_str()) || question_keys.contains(&match_key(&t.term)) {
        return false;
    }
    // At the start of a sentence a capital says nothing, unless the article writes the word as a name elsewhere.
    !t.sentence_start || tokens.get(i + 1).is_some_and(|n| n.capitalised && !n.stop) || article_names.contains(&t.term)
}

/// What kinds of answer a sentence holds, given the words of the question (so that repeating the question's
/// own date or number does not count).
struct Evidence {
    name: bool,
    place: bool,
    time: bool,
    measure: bool,
    quantity: bool,
    money: bool,
    reason: bool,
    strong_reason: bool,
    /// Token positions of the names, places, numbers and times found.
    names: Vec<usize>,
    places: Vec<usize>,
    numbers: Vec<usize>,
    times: Vec<usize>,
}

impl Evidence {
    /// Where in the sentence the answer of `kind` may stand.
    fn positions(&self, kind: AnswerType) -> &[usize] {
        match kind {
            AnswerType::Name => &self.names,
            AnswerType::Place => &self.places,
            AnswerType::Time => &self.times,
            AnswerType::Quantity | AnswerType::Measure | AnswerType::Money => &self.numbers,
            AnswerType::Reason | AnswerType::Other => &[],
        }
    }
}

/// [`TIME_WORDS`] as the tokenizer stems them.
fn time_word_stems() -> &'static FxHashSet<String> {
    static STEMS: OnceLock<FxHashSet<String>> = OnceLock::new();
    STEMS.get_or_init(|| TIME_WORDS.iter().map(|w| stem(w)).collect())
}

fn is_year(w: &str) -> bool {
    let digits = w.trim_end_matches('s');
    digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) && (b"12".contains(&digits.as_bytes()[0]))
}

fn is_clock(w: &str) -> bool {
    // "15:00", "10.30pm", "3am", "2:21:48".
    let lower = w.to_ascii_lowercase();
    let core = lower.trim_end_matches("am").trim_end_matches("pm");
    let digits_then = |sep: char| {
        let mut parts = core.split(sep);
        let first = parts.next().unwrap_or("");
        !first.is_empty()
            && first.len() <= 2
            && first.bytes().all(|b| b.is_ascii_digit())
            && parts.clone().count() >= 1
            && parts.all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
    };
    digits_then(':')
        || (core.len() < lower.len()
            && (digits_then('.') || (!core.is_empty() && core.bytes().all(|b| b.is_ascii_digit()))))
}

fn evidence(
    sentence: &str,
    tokens: &[Token],
    question_keys: &FxHashSet<String>,
    question_raw: &[String],
    article_names: &FxHashSet<String>,
) -> Evidence {
    let names: Vec<usize> =
        (0..tokens.len()).filter(|&i| is_name_evidence(tokens, i, question_keys, article_names)).collect();
    let places: Vec<usize> = names
        .iter()
        .copied()
        .filter(|&i| {
            let before = |k: usize| i.checked_sub(k).map(|j| tokens[j].term.as_str());
            before(1).is_some_and(|w| LOCATIVES.contains(&w))
                || (before(1) == Some("the") && before(2).is_some_and(|w| LOCATIVES.contains(&w)))
        })
        .collect();
    let fresh = |t: &Token| !question_keys.contains(&match_key(&t.term));
    let numbers: Vec<usize> = (0..tokens.len())
        .filter(|&i| {
            let t = &tokens[i];
            fresh(t) && (t.term.bytes().any(|b| b.is_ascii_digit()) || NUMBER_WORDS.contains(&t.term.as_str()))
        })
        .collect();
    let times: Vec<usize> = (0..tokens.len())
        .filter(|&i| {
            let t = &tokens[i];
            fresh(t) && (is_year(&t.term) || is_clock(&t.term) || time_word_stems().contains(t.term.as_str()))
        })
        .collect();
    // Raw words (split on white space, punctuation trimmed) keep "2,300", "10.30pm", "412m-mark" whole.
    let raw: Vec<String> = sentence
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    let is_number = |w: &str| w.bytes().any(|b| b.is_ascii_digit()) || NUMBER_WORDS.contains(&w);
    let mut time = false;
    let mut quantity = false;
    let mut measure = false;
    let mut currency = sentence.contains(['£', '$', '€', '¥']);
    for (i, w) in raw.iter().enumerate() {
        if question_raw.contains(w) {
            continue;
        }
        let has_digit = w.bytes().any(|b| b.is_ascii_digit());
        if is_year(w) || is_clock(w) || TIME_WORDS.contains(&w.as_str()) {
            time = true;
        }
        if (has_digit && !is_year(w)) || NUMBER_WORDS.contains(&w.as_str()) {
            quantity = true;
        }
        let parts: Vec<&str> = w.split(|c: char| !c.is_alphanumeric() && c != '.').filter(|p| !p.is_empty()).collect();
        // "412m-mark", "1.1bn-mark", "million-mark": the currency word may sit inside a hyphenated compound.
        if parts.iter().any(|p| CURRENCY_WORDS.contains(p)) {
            currency = true;
        }
        // "75-minute", "6.8km", "two weeks", "19 centimetres".
        let unit_suffix = |p: &str| {
            let digits = p.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            !digits.is_empty() && digits.len() < p.len() && UNITS.contains(&&p[digits.len()..]) && has_digit
        };
        if parts.windows(2).any(|p| is_number(p[0]) && UNITS.contains(&p[1]))
            || parts.iter().any(|p| unit_suffix(p))
            || (is_number(w) && raw.get(i + 1).is_some_and(|n| UNITS.contains(&n.as_str())))
        {
            measure = true;
        }
    }
    // A cue counts when what follows it is not the question's own event: "sent off for a second bookable
    // offence" explains, "ten men after Brandvold was sent off" does not.
    let words = lower_words(sentence);
    let asked = |x: &&String| !crate::tokenize::is_stopword(x) && question_keys.contains(&match_key(&stem(x)));
    let cue = |i: usize, w: &String| {
        let at = REASON_CUES.iter().position(|c| c == w)?;
        // "X caused Y", "X led to Y" give the cause first: when the question's own event stands before the
        // verb, the sentence tells what it caused, not what caused it ("overheating, which caused fires").
        let effect_after = EFFECT_CUES.contains(&w.as_str()) && words.get(i + 1).is_none_or(|n| n != "by");
        let restates = if effect_after {
            words[..i].iter().any(|x| asked(&x))
        } else {
            words[i + 1..].iter().filter(|x| !crate::tokenize::is_stopword(x)).take(2).any(|x| asked(&x))
        };
        (!restates).then_some(at < STRONG_REASON_CUES)
    };
    let cues: Vec<bool> = words.iter().enumerate().filter_map(|(i, w)| cue(i, w)).collect();
    Evidence {
        name: !names.is_empty(),
        place: !places.is_empty(),
        time,
        measure,
        quantity,
        money: quantity && currency,
        reason: !cues.is_empty(),
        strong_reason: cues.contains(&true),
        names,
        places,
        numbers,
        times,
    }
}

fn holds(kind: AnswerType, e: &Evidence) -> bool {
    match kind {
        AnswerType::Name => e.name,
        AnswerType::Place => e.place,
        AnswerType::Time => e.time,
        AnswerType::Measure => e.measure,
        AnswerType::Quantity => e.quantity || e.money,
        AnswerType::Money => e.money,
        AnswerType::Reason => e.reason,
        AnswerType::Other => true,
    }
}

/// One sentence of a passage, tokenised.
struct Candidate {
    passage: usize,
    /// Keys of the sentence before, in the same paragraph: what "it" and "they" refer to.
    context: Vec<String>,
    start: usize,
    end: usize,
    keys: Vec<String>,
    tokens: Vec<Token>,
}

/// The best credit any key in `keys` gives `q`, and the positions that give it.
fn best_credit(q: &str, keys: &[String]) -> (f32, Vec<usize>) {
    let mut best = 0.0f32;
    let mut at = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let c = credit(q, k);
        if c > best {
            best = c;
            at.clear();
        }
        if c > 0.0 && c == best {
            at.push(i);
        }
    }
    (best, at)
}

/// The shortest span of token positions holding one position of each list.
fn shortest_window(lists: &[Vec<usize>]) -> usize {
    let mut events: Vec<(usize, usize)> =
        lists.iter().enumerate().flat_map(|(l, ps)| ps.iter().map(move |&p| (p, l))).collect();
    events.sort_unstable();
    let mut counts = vec![0usize; lists.len()];
    let mut covered = 0;
    let mut best = usize::MAX;
    let mut lo = 0;
    for hi in 0..events.len() {
        let (_, l) = events[hi];
        counts[l] += 1;
        if counts[l] == 1 {
            covered += 1;
        }
        while covered == lists.len() && lo <= hi {
            best = best.min(events[hi].0 - events[lo].0 + 1);
            let (_, ll) = events[lo];
            counts[ll] -= 1;
            if counts[ll] == 0 {
                covered -= 1;
            }
            lo += 1;
        }
    }
    best
}

/// Answers `question` from `passages` (the candidate articles): the one to three sentences that answer it
/// best, or [`Answer::NoAnswer`] when none does well enough. Pure and deterministic.
pub fn answer(question: &str, passages: &[Passage]) -> Answer {
    let kind = answer_type(question);
    let mut terms = question_terms(question);
    if kind == AnswerType::Reason {
        // "What caused X" asks for the cause of X; "cause" itself is part of the question word.
        terms.retain(|t| !matches!(t.key.as_str(), "caus" | "reason"));
    }
    if terms.is_empty() || passages.is_empty() {
        return Answer::NoAnswer;
    }
    let question_keys: FxHashSet<String> = terms.iter().map(|t| t.key.clone()).collect();
    let verb = question_verb(question).filter(|(v, _)| question_keys.contains(v));
    let question_raw = lower_words(question);

    let mut candidates = Vec::new();
    let mut article_keys: Vec<FxHashSet<String>> = Vec::with_capacity(passages.len());
    let mut article_names: Vec<FxHashSet<String>> = Vec::with_capacity(passages.len());
    // Keys of each article's title and of its first sentence: what every sentence of the article is about.
    let mut article_topics: Vec<(Vec<String>, Vec<String>)> = Vec::with_capacity(passages.len());
    for (p, passage) in passages.iter().enumerate() {
        let title: Vec<String> =
            tokenize(&passage.title).iter().filter(|t| !t.stop).map(|t| match_key(&t.term)).collect();
        let mut all: FxHashSet<String> = title.iter().cloned().collect();
        let mut names: FxHashSet<String> = FxHashSet::default();
        let mut sentences = Vec::new();
        for span in split_sentences(&passage.text) {
            let text = span.text(&passage.text);
            // A wire dateline ("COPPERFIELD, Nov 16 (Valley Wire) - ") is not part of what the sentence says.
            let start = span.start + dateline_len(text);
            let Some(text) = passage.text.get(start..span.end) else { continue };
            let tokens = tokenize(text);
            let keys: Vec<String> = tokens.iter().map(|t| match_key(&t.term)).collect();
            all.extend(keys.iter().cloned());
            names.extend(tokens.iter().filter(|t| t.name).map(|t| t.term.clone()));
            sentences.push((start, span.end, span.paragraph, tokens, keys));
        }
        // The lead says what the article is about, as the title does.
        let lead: Vec<String> = sentences
            .iter()
            .find(|s| s.3.len() >= MIN_SENTENCE_TOKENS)
            .map(|s| s.4.iter().zip(&s.3).filter(|(_, t)| !t.stop).map(|(k, _)| k.clone()).collect())
            .unwrap_or_default();
        for (i, (start, end, paragraph, tokens, keys)) in sentences.iter().enumerate() {
            if tokens.len() < MIN_SENTENCE_TOKENS {
                continue;
            }
            let mut context = Vec::new();
            for (j, other) in sentences.iter().enumerate() {
                if j + 1 == i && other.2 == *paragraph {
                    context.extend(other.4.iter().cloned());
                }
            }
            candidates.push(Candidate {
                passage: p,
                context,
                start: *start,
                end: *end,
                keys: keys.clone(),
                tokens: tokens.clone(),
            });
        }
        article_keys.push(all);
        article_topics.push((title, lead));
        article_names.push(names);
    }
    if candidates.is_empty() {
        return Answer::NoAnswer;
    }

    // Rarity of each question term among the candidate sentences (BM25's idf); a term found nowhere weighs most.
    let n = candidates.len() as f32;
    for t in &mut terms {
        // Synonyms are looser than word forms: they do not make a term common.
        let df =
            candidates.iter().filter(|c| c.keys.iter().any(|k| credit(&t.key, k) >= DERIVED_CREDIT)).count() as f32;
        t.idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
    }
    let total_weight: f32 = terms.iter().map(|t| t.idf).sum();
    let avg_len = candidates.iter().map(|c| c.tokens.len()).sum::<usize>() as f32 / n;
    // How well each article (title and text) matches each question term, anywhere.
    let article_credit: Vec<Vec<f32>> = article_keys
        .iter()
        .map(|keys| terms.iter().map(|t| keys.iter().map(|k| credit(&t.key, k)).fold(0.0, f32::max)).collect())
        .collect();
    // How well each article's title and lead match each question term.
    let topic_credit: Vec<Vec<(f32, f32)>> = article_topics
        .iter()
        .map(|(title, lead)| {
            terms.iter().map(|t| (best_credit(&t.key, title).0, best_credit(&t.key, lead).0)).collect()
        })
        .collect();
    let all_names = terms.iter().all(|t| t.name);

    struct Scored {
        candidate: usize,
        score: f32,
        eligible: bool,
    }
    let mut scored: Vec<Scored> = Vec::with_capacity(candidates.len());
    for (ci, c) in candidates.iter().enumerate() {
        let len_norm = 1.0 - B + B * c.tokens.len() as f32 / avg_len.max(1.0);
        let mut relevance = 0.0;
        let mut covered = 0.0;
        let mut matched_terms = 0usize;
        let mut in_sentence = 0usize;
        let mut positions = Vec::new();
        // Positions of the terms matched by their own forms: a synonym can stand for two question terms at
        // once ("equaliser" for "scored" and "goal"), which is no evidence that they stand together.
        let mut close = Vec::new();
        // Positions of the matched terms that say what is asked (not the names that say about whom).
        let mut anchors: Vec<usize> = Vec::new();
        let mut names_ok = true;
        let in_article = &article_credit[c.passage];

        for ((t, &ac), &(tc, lc)) in terms.iter().zip(in_article).zip(&topic_credit[c.passage]) {
            let (cr, at) = best_credit(&t.key, &c.keys);
            if cr > 0.0 {
                let tf = at.len() as f32;
                relevance += t.idf * cr * tf * (K1 + 1.0) / (tf + K1 * len_norm);
                covered += t.idf * cr;
                matched_terms += 1;
                in_sentence += 1;
                if cr >= DERIVED_CREDIT {
                    close.push(at.clone());
                }
                if !t.name || all_names {
                    anchors.extend(at.iter().copied());
                }
                positions.push(at);
            } else {
                let (pc, _) = best_credit(&t.key, &c.context);
                // A name the question gives and the article's lead mentions is what the article is about: its
                // sentences need not repeat it, as they need not repeat the title.
                let named = if t.name { TITLE_CREDIT * lc } else { 0.0 };
                let context = (CONTEXT_CREDIT * pc).max(TITLE_CREDIT * tc).max(named);
                if context > 0.0 {
                    relevance += t.idf * context;
                    covered += t.idf * context;
                    matched_terms += 1;
                }
            }
            // A name the question gives must be in the article.
            names_ok &= !t.name || ac > 0.0;
        }
        let coverage = covered / total_weight.max(f32::EPSILON);
        let mut score = relevance / total_weight.max(f32::EPSILON);
        if close.len() >= 2 {
            let span = shortest_window(&close);
            score += PROXIMITY_WEIGHT * close.len() as f32 / span.max(1) as f32;
        }
        let ev = evidence(c_text(passages, c), &c.tokens, &question_keys, &question_raw, &article_names[c.passage]);
        // How far the nearest answer of the asked kind stands from what the question asks about.
        let distance = ev
            .positions(kind)
            .iter()
            .flat_map(|&a| anchors.iter().map(move |&m| a.abs_diff(m)))
            .min()
            .unwrap_or(usize::MAX);
        let anchored = ev.positions(kind).is_empty() || distance <= FOCUS_WINDOW;
        let typed = holds(kind, &ev);
        if match kind {
            AnswerType::Reason => ev.reason,
            AnswerType::Other => false,
            _ => typed,
        } {
            // The answer is most likely the one next to what the question asks about: full bonus within
            // NEAR_TOKENS of a matched term, less the further it is.
            score += TYPE_BONUS * NEAR_TOKENS as f32 / distance.max(NEAR_TOKENS) as f32;
        }
        if kind == AnswerType::Reason && ev.strong_reason {
            score += TYPE_BONUS;
        }
        let novel = c
            .tokens
            .iter()
            .zip(&c.keys)
            .filter(|(t, k)| !t.stop && !terms.iter().any(|q| credit(&q.key, k) > 0.0))
            .count();
        if novel < MIN_NOVEL_TERMS {
            score *= RESTATE_PENALTY;
        }
        // The question's verb must be said, in the sentence or the one before it, or in the title.
        let verb_ok = verb.as_ref().is_none_or(|(v, counted)| {
            says_verb(v, &c.keys)
                || says_verb(v, &c.context)
                || says_verb(v, &article_topics[c.passage].0)
                || counted.as_ref().is_some_and(|n| {
                    best_credit(n, &c.keys).1.iter().any(|&p| ev.numbers.iter().any(|&x| x < p && p - x <= 3))
                })
        });
        let eligible = typed
            && verb_ok
            && anchored
            && names_ok
            && in_sentence > 0
            && coverage >= MIN_COVERAGE
            && matched_terms * 2 >= terms.len()
            && novel > 0;
        scored.push(Scored { candidate: ci, score, eligible });
    }

    scored.retain(|s| s.eligible);
    scored.sort_by(|a, b| {
        let pa = passages[candidates[a.candidate].passage].published;
        let pb = passages[candidates[b.candidate].passage].published;
        b.score.total_cmp(&a.score).then(pb.cmp(&pa)).then(a.candidate.cmp(&b.candidate))
    });
    let Some(best) = scored.first().map(|s| s.score) else {
        return Answer::NoAnswer;
    };
    let mut cited: Vec<Cited> = Vec::new();
    let mut seen_text: FxHashSet<String> = FxHashSet::default();
    for s in &scored {
        if cited.len() >= MAX_CITED || s.score < best * FOLLOW_RATIO {
            break;
        }
        let c = &candidates[s.candidate];
        let sentence = c_text(passages, c).to_string();
        // Syndicated copies repeat sentences word for word: cite each once.
        if !seen_text.insert(sentence.to_lowercase()) {
            continue;
        }
        let passage = &passages[c.passage];
        cited.push(Cited { article_id: passage.article_id, sentence, score: s.score, start: c.start, end: c.end });
    }
    Answer::Answered { sentences: cited }
}

fn c_text<'a>(passages: &'a [Passage], c: &Candidate) -> &'a str {
    passages[c.passage].text.get(c.start..c.end).unwrap_or("")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn passage(id: i64, title: &str, text: &str) -> Passage {
        Passage { article_id: id, title: title.into(), text: text.into(), published: None }
    }

    fn sample() -> Vec<Passage> {
        vec![
            passage(
                1,
                "Council approves harbour bridge",
                "The city council approved the new harbour bridge on Thursday night. The vote was nine to two.\n\
                 Mayor Greta Holm said construction would begin in March 2027. The bridge will cost 80 million \
                 marks, paid by the regional government.",
            ),
            passage(
                2,
                "Storm closes schools",
                "Heavy snow closed every school in the valley on Monday. Forecasters expect more snow overnight \
                 because a cold front is stalled over the hills.",
            ),
        ]
    }

    fn first(a: &Answer) -> &Cited {
        match a {
            Answer::Answered { sentences } => &sentences[0],
            Answer::NoAnswer => panic!("no answer"),
        }
    }

    #[test]
    fn no_answer_without_passages_or_terms() {
        assert_eq!(answer("Who is the mayor?", &[]), Answer::NoAnswer);
        assert_eq!(answer("", &sample()), Answer::NoAnswer);
        assert_eq!(answer("Who is it?", &sample()), Answer::NoAnswer);
        assert_eq!(answer("Who is the mayor?", &[passage(1, "", "")]), Answer::NoAnswer);
    }

    #[test]
    fn detects_answer_types() {
        assert_eq!(answer_type("Who scored the winning goal?"), AnswerType::Name);
        assert_eq!(answer_type("Which company will build the line?"), AnswerType::Name);
        assert_eq!(answer_type("When does the line open?"), AnswerType::Time);
        assert_eq!(answer_type("In what year was the orchid last seen?"), AnswerType::Time);
        assert_eq!(answer_type("How many homes lost power?"), AnswerType::Quantity);
        assert_eq!(answer_type("How long will the road stay closed?"), AnswerType::Measure);
        assert_eq!(answer_type("How much will the bridge cost?"), AnswerType::Money);
        assert_eq!(answer_type("What is the price of the ticket?"), AnswerType::Money);
        assert_eq!(answer_type("How much rain fell?"), AnswerType::Quantity);
        assert_eq!(answer_type("Where was the final played?"), AnswerType::Place);
        assert_eq!(answer_type("Which town flooded?"), AnswerType::Place);
        assert_eq!(answer_type("Why did the wall collapse?"), AnswerType::Reason);
        assert_eq!(answer_type("What caused the fires?"), AnswerType::Reason);
        assert_eq!(answer_type("What did the council decide?"), AnswerType::Other);
    }

    #[test]
    fn answers_with_the_sentence_holding_the_expected_type() {
        let p = sample();
        let a = answer("Who is the mayor?", &p);
        let c = first(&a);
        assert!(c.sentence.contains("Greta Holm"), "{a:?}");
        assert_eq!(c.article_id, 1);
        assert_eq!(&p[0].text[c.start..c.end], c.sentence);
        assert!(first(&answer("When does construction begin?", &p)).sentence.contains("March 2027"));
        assert!(first(&answer("How much is the bridge going to cost?", &p)).sentence.contains("80 million"));
        assert!(first(&answer("Why is more snow expected overnight?", &p)).sentence.contains("cold front"));
    }

    #[test]
    fn says_no_answer_when_the_coverage_does_not_hold_it() {
        let p = sample();
        // The terms are there but no name is, or the subject is missing altogether.
        assert_eq!(answer("Who voted against the bridge?", &p), Answer::NoAnswer);
        assert_eq!(answer("What is the population of the valley?", &p), Answer::NoAnswer);
        assert_eq!(answer("When will the airport reopen?", &p), Answer::NoAnswer);
        // A name asked about must be in the cited article.
        assert_eq!(answer("When will the Wexford bridge open?", &p), Answer::NoAnswer);
    }

    #[test]
    fn restating_the_question_is_not_an_answer() {
        let p = vec![passage(1, "", "The council approved the harbour bridge. Approval came after a long debate.")];
        assert_eq!(answer("Did the council approve the harbour bridge?", &p), Answer::NoAnswer);
    }

    #[test]
    fn syndicated_copies_are_cited_once() {
        let text = "Mayor Greta Holm opened the new harbour bridge on Friday with a ribbon.";
        let p = vec![passage(1, "Bridge opens", text), passage(2, "Bridge opens", text)];
        match answer("Who opened the harbour bridge?", &p) {
            Answer::Answered { sentences } => assert_eq!(sentences.len(), 1),
            Answer::NoAnswer => panic!("no answer"),
        }
    }

    #[test]
    fn matches_word_forms() {
        assert_eq!(match_key("scor"), match_key("score"));
        assert_eq!(match_key("won"), match_key("win"));
        assert!(credit("install", "installation") > 0.0);
        assert_eq!(credit("mark", "market"), 0.0);
        assert!(is_clock("15:00") && is_clock("10.30pm") && is_clock("3am") && !is_clock("3.25"));
        assert!(is_year("1987") && is_year("1950s") && !is_year("2,300"));
    }

    #[test]
    fn finds_the_question_verb() {
        let verb = |q: &str| question_verb(q).map(|(v, _)| v);
        assert_eq!(verb("Who designed the new ferry?"), Some(match_key(&stem("designed"))));
        assert_eq!(verb("When did the Wrenmouth sea wall collapse?"), Some(match_key(&stem("collapse"))));
        assert_eq!(verb("How many passengers travelled on the ferry?"), Some(match_key(&stem("travelled"))));
        assert_eq!(question_verb("How many goals did Keel score?").and_then(|(_, n)| n), Some(match_key("goal")));
        assert_eq!(verb("Who is the mayor?"), None);
        assert_eq!(verb("By how much did the work go over budget?"), None);
        assert!(says_verb(&match_key(&stem("supply")), &[match_key(&stem("supplied"))]));
    }

    #[test]
    fn the_question_verb_must_be_said() {
        let p = vec![passage(
            1,
            "New ferry ordered",
            "The new ferry, which will carry 320 passengers, was ordered on Monday from the Tarrant yard.",
        )];
        assert_eq!(answer("Who designed the new ferry?", &p), Answer::NoAnswer);
        assert!(first(&answer("Who ordered the new ferry?", &p)).sentence.contains("Tarrant"));
    }

    #[test]
    fn shortest_window_spans_one_of_each() {
        assert_eq!(shortest_window(&[vec![0, 9], vec![5], vec![7]]), 5);
        assert_eq!(shortest_window(&[vec![3]]), 1);
    }

    proptest! {
        #[test]
        fn never_panics_and_offsets_hold(
            q in "\\PC{0,60}",
            texts in proptest::collection::vec(("\\PC{0,30}", "\\PC{0,300}"), 0..4),
        ) {
            let passages: Vec<Passage> =
                texts.iter().enumerate().map(|(i, (t, x))| passage(i as i64, t, x)).collect();
            if let Answer::Answered { sentences } = answer(&q, &passages) {
                prop_assert!(!sentences.is_empty() && sentences.len() <= MAX_CITED);
                for c in sentences {
                    let p = passages.iter().find(|p| p.article_id == c.article_id).unwrap();
                    prop_assert_eq!(p.text.get(c.start..c.end), Some(c.sentence.as_str()));
                    prop_assert!(c.score.is_finite());
                }
            }
        }

        #[test]
        fn never_panics_on_wordy_input(
            q in "(who|when|how many|why|where|what) [a-zA-Z0-9 ,.?]{0,40}",
            x in "[A-Za-z0-9 ,.?!:'’\\n-]{0,400}",
        ) {
            let _ = answer(&q, &[passage(1, "Title Here", &x)]);
        }
    }
}
