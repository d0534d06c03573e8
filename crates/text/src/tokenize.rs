//! Language-agnostic word tokenisation for scripts that separate words with spaces, with light English
//! stemming, stopwords (English, and the function words of Spanish, French, German, Portuguese and Italian),
//! and a flag for names (capitalised words that are not merely sentence-initial).

use rustc_hash::FxHashSet;
use std::sync::OnceLock;

/// One word of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The normalised term: lowercased, possessive dropped, lightly stemmed.
    pub term: String,
    /// The word was capitalised where capitals are not required (mid-sentence), or is all-caps/mixed case:
    /// likely part of a name.
    pub name: bool,
    /// The word was capitalised in the source text, wherever it stood.
    pub capitalised: bool,
    /// The word starts a sentence (or the text).
    pub sentence_start: bool,
    /// The word is a stopword (kept so that name sequences can be split by them).
    pub stop: bool,
}

/// English function words and words too common in news to tell stories apart.
const STOPWORDS_EN: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "said",
    "says",
    "say",
    "new",
    "one",
    "two",
    "first",
    "last",
    "year",
    "years",
    "week",
    "day",
    "days",
    "time",
    "according",
    "told",
    "like",
    "many",
    "much",
    "may",
    "might",
    "must",
    "per",
    "since",
    "still",
    "yet",
    "get",
    "got",
    "make",
    "made",
    "amid",
    "among",
    "via",
    "us",
    "mr",
    "ms",
    "mrs",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "news",
    "report",
    "reports",
    "reported",
    "people",
    "including",
    "could",
    "can't",
    "won't",
    "don't",
    "it's",
];

/// Spanish function words (articles, prepositions, pronouns, conjunctions, auxiliaries).
const STOPWORDS_ES: &[&str] = &[
    "el", "la", "los", "las", "lo", "un", "una", "unos", "unas", "de", "del", "al", "a", "en", "y", "e", "o", "u",
    "ni", "que", "se", "su", "sus", "por", "para", "con", "sin", "sobre", "entre", "hasta", "desde", "tras", "ante",
    "contra", "según", "es", "está", "están", "fue", "han", "ha", "hay", "ser", "sido", "como", "más", "pero", "muy",
    "ya", "también", "cuando", "donde", "porque", "este", "esta", "estos", "estas", "ese", "esa", "él", "ella",
    "ellos", "ellas", "le", "les", "nos", "mi", "tu", "todo", "todos", "otro", "otra",
];

/// French function words (articles, prepositions, pronouns, conjunctions, auxiliaries).
const STOPWORDS_FR: &[&str] = &[
    "le", "la", "les", "un", "une", "des", "du", "de", "au", "aux", "et", "ou", "mais", "donc", "ni", "que", "qui",
    "quoi", "dont", "où", "ce", "cet", "cette", "ces", "il", "elle", "ils", "elles", "nous", "vous", "je", "tu", "se",
    "sa", "ses", "leur", "leurs", "dans", "par", "pour", "sur", "avec", "sans", "sous", "vers", "chez", "est", "sont",
    "été", "être", "avoir", "ont", "était", "fait", "plus", "pas", "ne", "très", "aussi", "comme", "tout", "tous",
    "après", "avant",
];

/// German function words (articles, prepositions, pronouns, conjunctions, auxiliaries).
const STOPWORDS_DE: &[&str] = &[
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines", "und", "oder", "aber",
    "doch", "dass", "nicht", "kein", "keine", "mit", "von", "zu", "zum", "zur", "bei", "nach", "aus", "auf", "für",
    "über", "unter", "vor", "durch", "gegen", "ohne", "im", "ins", "vom", "beim", "er", "sie", "es", "wir", "ich",
    "sich", "sein", "seine", "ihre", "ist", "sind", "wird", "werden", "wurde", "wurden", "hat", "haben", "hatte",
    "auch", "noch", "nur", "wie", "als", "wenn", "schon", "sehr",
];

/// Portuguese function words (articles, prepositions, pronouns, conjunctions, auxiliaries).
const STOPWORDS_PT: &[&str] = &[
    "o", "os", "um", "uma", "uns", "umas", "do", "da", "dos", "das", "em", "no", "na", "nos", "nas", "pelo", "pela",
    "pelos", "pelas", "para", "com", "sem", "sobre", "entre", "e", "ou", "mas", "que", "se", "não", "é", "são", "foi",
    "ser", "está", "estão", "ter", "tem", "têm", "como", "mais", "muito", "também", "já", "ao", "aos", "à", "às",
    "seu", "sua", "seus", "suas", "ele", "ela", "eles", "elas", "isso", "este", "esta", "esse", "essa",
];

/// Italian function words (articles, prepositions, pronouns, conjunctions, auxiliaries).
const STOPWORDS_IT: &[&str] = &[
    "il", "lo", "la", "gli", "le", "un", "uno", "una", "di", "da", "in", "con", "su", "per", "tra", "fra", "del",
    "dello", "della", "dei", "degli", "delle", "al", "allo", "alla", "ai", "agli", "alle", "nel", "nella", "nei",
    "sul", "sulla", "ed", "ma", "che", "chi", "non", "è", "sono", "stato", "stata", "essere", "ha", "hanno", "come",
    "più", "anche", "questo", "questa", "quello", "quella", "suo", "sua", "suoi", "loro", "si", "ci", "ne",
];

static STOPWORD_SET: OnceLock<FxHashSet<&'static str>> = OnceLock::new();

/// Whether a lowercased word is a stopword: an English, Spanish, French, German, Portuguese or Italian
/// function word, or an English word too common in news to tell stories apart.
pub fn is_stopword(word: &str) -> bool {
    STOPWORD_SET
        .get_or_init(|| {
            [STOPWORDS_EN, STOPWORDS_ES, STOPWORDS_FR, STOPWORDS_DE, STOPWORDS_PT, STOPWORDS_IT]
                .into_iter()
                .flatten()
                .copied()
                .collect()
        })
        .contains(word)
}

/// A light, consistent English suffix stripper (plurals, -ing, -ed, -ly); other scripts pass unchanged
/// except for lowercasing. Conflation matters more here than linguistic accuracy.
pub fn stem(word: &str) -> String {
    let mut w = word.to_string();
    stem_in_place(&mut w);
    w
}

/// [`stem`] without allocating: shortens (and at most re-suffixes) `w` where it is.
fn stem_in_place(w: &mut String) {
    if !w.is_ascii() || w.len() <= 3 || w.bytes().any(|b| b.is_ascii_digit()) {
        return;
    }
    let ends = |w: &String, suffix: &str, min_rest: usize| w.ends_with(suffix) && w.len() - suffix.len() >= min_rest;
    if ends(w, "ies", 3) {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if ends(w, "sses", 2) {
        w.truncate(w.len() - 2);
    } else if !(w.ends_with("ss") || w.ends_with("us") || w.ends_with("is")) && ends(w, "s", 3) {
        w.truncate(w.len() - 1);
    }
    let undouble = |w: &mut String| {
        let b = w.as_bytes();
        if b.len() >= 2 && b[b.len() - 1] == b[b.len() - 2] && !matches!(b[b.len() - 1], b'l' | b's' | b'z') {
            w.truncate(w.len() - 1);
        }
    };
    if ends(w, "ing", 3) {
        w.truncate(w.len() - 3);
        undouble(w);
    } else if ends(w, "ed", 3) {
        w.truncate(w.len() - 2);
        undouble(w);
    } else if ends(w, "ly", 4) {
        w.truncate(w.len() - 2);
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Splits `text` into tokens. Digits joined by `.` or `,` stay one number ("1,000", "3.5"); internal
/// apostrophes stay ("don't"); a trailing possessive `'s` is dropped.
pub fn tokenize(text: &str) -> Vec<Token> {
    tokenize_prefix(text, usize::MAX)
}

/// Bytes read per wanted token at first by [`tokenize_prefix`]: news prose runs about six bytes a word, so a
/// prefix this long nearly always holds enough tokens, and is doubled when it does not.
const PREFIX_BYTES_PER_TOKEN: usize = 12;

/// The first `max_tokens` tokens of `text` (what [`tokenize`] would give, cut), reading only as much of the text
/// as they take.
pub fn tokenize_prefix(text: &str, max_tokens: usize) -> Vec<Token> {
    let mut budget = max_tokens.saturating_mul(PREFIX_BYTES_PER_TOKEN).max(64);
    loop {
        if budget >= text.len() {
            return tokenize_words(text, max_tokens);
        }
        // Cut at whitespace: what the tokenizer does with a word depends only on the word and the character
        // after it, and at a cut, as at the whitespace there, no word goes on.
        let mut from = budget;
        while !text.is_char_boundary(from) {
            from += 1;
        }
        let cut = text.get(from..).and_then(|rest| rest.find(char::is_whitespace)).map_or(text.len(), |at| from + at);
        let Some(prefix) = text.get(..cut) else { return tokenize_words(text, max_tokens) };
        let tokens = tokenize_words(prefix, max_tokens);
        if tokens.len() >= max_tokens || cut >= text.len() {
            return tokens;
        }
        budget = budget.saturating_mul(2);
    }
}

/// [`tokenize_prefix`] over the whole of `text`.
fn tokenize_words(text: &str, max_tokens: usize) -> Vec<Token> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut sentence_start = true;
    while i < chars.len() && out.len() < max_tokens {
        let c = chars[i];
        if !is_word_char(c) {
            if matches!(c, '.' | '!' | '?' | '\n' | ':' | ';' | '|' | '—' | '–') {
                // "U.S." and "Jan. 6" end no sentence worth tracking; a lone period after a short word is
                // ambiguous, so treat any terminator as a start (capitals there carry less weight).
                sentence_start = true;
            }
            i += 1;
            continue;
        }
        // Most words fit; growing a string a character at a time costs more than the spare bytes.
        let mut word = String::with_capacity(16);
        while i < chars.len() {
            let c = chars[i];
            if is_word_char(c) {
                word.push(c);
                i += 1;
            } else if matches!(c, '\'' | '’') && i + 1 < chars.len() && chars[i + 1].is_alphabetic() && !word.is_empty()
            {
                word.push('\'');
                i += 1;
            } else if matches!(c, '.' | ',')
                && i + 1 < chars.len()
                && chars[i + 1].is_ascii_digit()
                && word.chars().last().is_some_and(|d| d.is_ascii_digit())
            {
                if c == '.' {
                    word.push('.');
                }
                i += 1;
            } else if c == '.'
                && word.chars().count() == 1
                && word.chars().all(char::is_uppercase)
                && i + 1 < chars.len()
                && chars[i + 1].is_uppercase()
            {
                // Initialisms: "U.S.", "U.N.".
                i += 1;
            } else {
                break;
            }
        }
        let first = word.chars().next().unwrap_or(' ');
        let capitalised = first.is_uppercase();
        let upper_count = if word.is_ascii() {
            word.bytes().filter(u8::is_ascii_uppercase).count()
        } else {
            word.chars().filter(|c| c.is_uppercase()).count()
        };
        let mut term = if word.is_ascii() {
            word.make_ascii_lowercase();
            word
        } else {
            word.to_lowercase()
        };
        if term.ends_with("'s") {
            term.truncate(term.len() - 2);
        }
        let stop = is_stopword(&term);
        let name = !stop && ((capitalised && !sentence_start) || upper_count >= 2);
        stem_in_place(&mut term);
        if !term.is_empty() {
            out.push(Token { term, name, capitalised, sentence_start, stop });
        }
        sentence_start = false;
    }
    out
}

/// Whether a title is written in title case (most content words capitalised), in which case its capitals say
/// nothing about names.
pub fn is_title_case(tokens: &[Token]) -> bool {
    let content: Vec<&Token> =
        tokens.iter().filter(|t| !t.stop && !t.term.chars().all(|c| c.is_ascii_digit())).collect();
    if content.len() < 3 {
        return false;
    }
    let caps = content.iter().filter(|t| t.capitalised).count();
    caps * 10 >= content.len() * 7
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_prefix_is_the_whole_texts_tokens_cut(
            words in proptest::collection::vec("[A-Za-z0-9.,'’é ]{0,12}|[\\s\n.!?—]{1,3}|\\PC{0,4}", 0..120),
            max in 0usize..40,
        ) {
            let text = words.concat();
            let whole = tokenize(&text);
            let cut: Vec<Token> = whole.into_iter().take(max).collect();
            prop_assert_eq!(tokenize_prefix(&text, max), cut);
        }
    }

    #[test]
    fn stems_plurals_and_verbs_consistently() {
        assert_eq!(stem("elections"), stem("election"));
        assert_eq!(stem("policies"), "policy");
        assert_eq!(stem("voting"), stem("voted"));
        assert_eq!(stem("bus"), "bus");
        assert_eq!(stem("crisis"), "crisis");
    }

    #[test]
    fn names_are_mid_sentence_capitals() {
        let toks = tokenize("The senator met Nancy Pelosi in Washington. Then they left.");
        let names: Vec<&str> = toks.iter().filter(|t| t.name).map(|t| t.term.as_str()).collect();
        assert_eq!(names, vec!["nancy", "pelosi", "washington"]);
    }

    #[test]
    fn keeps_numbers_and_initialisms() {
        let toks = tokenize("The U.S. spent $1,000.5 million on Jan. 6 and Biden's plan.");
        let terms: Vec<&str> = toks.iter().map(|t| t.term.as_str()).collect();
        assert!(terms.contains(&"us"), "{terms:?}");
        assert!(terms.contains(&"1000.5"), "{terms:?}");
        assert!(terms.contains(&"biden"), "{terms:?}");
    }

    #[test]
    fn other_scripts_tokenise_on_spaces() {
        let toks = tokenize("Выборы в Москве прошли спокойно");
        assert_eq!(toks.len(), 5);
        assert_eq!(toks[2].term, "москве");
        assert!(toks[2].name);
    }

    #[test]
    fn function_words_of_other_languages_are_stopwords() {
        for w in ["los", "del", "une", "dans", "der", "und", "não", "pelo", "della", "anche"] {
            assert!(is_stopword(w), "{w}");
        }
        // English content words spelt like foreign function words stay.
        for w in ["son", "car", "war", "era", "storm"] {
            assert!(!is_stopword(w), "{w}");
        }
        let toks = tokenize("El temporal deja sin luz a miles de hogares en la costa");
        let content: Vec<&str> = toks.iter().filter(|t| !t.stop).map(|t| t.term.as_str()).collect();
        assert_eq!(content, vec!["temporal", "deja", "luz", "mile", "hogare", "costa"]);
    }

    #[test]
    fn detects_title_case() {
        assert!(is_title_case(&tokenize("Leak Investigations Triple Under Trump, Sessions Says")));
        assert!(!is_title_case(&tokenize("Pelosi plans announcement on select committee to investigate siege")));
    }
}
