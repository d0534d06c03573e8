//! Splits raw article text into sentences of tokens the way the tagger's training data was tokenised
//! (CoNLL-2003): punctuation apart from words ("Paris," is "Paris" ","), possessives and contractions apart
//! ("Smith's" is "Smith" "'s", "don't" is "do" "n't"), but abbreviations, numbers, dates and hyphenated words
//! whole ("U.S.", "1,000", "1996-08-22", "Anglo-Dutch").

/// Characters split off the front of a word.
fn is_leading(c: char) -> bool {
    matches!(c, '"' | '\'' | '(' | '[' | '{' | '“' | '‘' | '«' | '‹' | '`' | '¿' | '¡' | '„' | '‚')
}

/// Characters split off the end of a word ('.' is decided apart).
fn is_trailing(c: char) -> bool {
    matches!(c, ',' | ';' | ':' | '!' | '?' | '"' | '\'' | ')' | ']' | '}' | '”' | '’' | '»' | '›' | '…' | '.')
}

/// Characters that are a token on their own wherever they stand.
fn is_breaking(c: char) -> bool {
    matches!(c, '—' | '–' | '―')
}

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "inc", "ltd", "corp", "co", "gen", "gov", "sen", "rep", "col",
    "lt", "sgt", "capt", "cmdr", "adm", "maj", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "no", "vs", "etc", "mt", "ft", "rev", "messrs", "bros", "dept", "univ", "ave", "blvd",
];

/// A word ending in '.' that keeps it: "U.S.", "J.", "Mr.", "Corp.".
fn is_abbreviation(word: &str) -> bool {
    let Some(stem) = word.strip_suffix('.') else {
        return false;
    };
    if stem.is_empty() || !stem.chars().all(|c| c.is_alphabetic() || c == '.') {
        return false;
    }
    if stem.contains('.') || stem.chars().count() == 1 {
        return true;
    }
    let lower = stem.to_lowercase();
    ABBREVIATIONS.contains(&lower.as_str())
}

/// Where a contraction or possessive starts in `word` (a byte offset > 0), if it ends in one.
fn clitic_start(word: &str) -> Option<usize> {
    let lower = word.to_lowercase();
    if lower.len() != word.len() {
        return None;
    }
    for suffix in ["n't", "n’t"] {
        if lower.len() > suffix.len() && lower.ends_with(suffix) {
            return Some(word.len() - suffix.len());
        }
    }
    for apos in ['\'', '’'] {
        if let Some(p) = lower.rfind(apos) {
            let rest = &lower[p + apos.len_utf8()..];
            if p > 0 && matches!(rest, "s" | "re" | "ve" | "ll" | "d" | "m") {
                return Some(p);
            }
        }
    }
    None
}

fn push_core(word: &str, start: usize, out: &mut Vec<(usize, usize)>) {
    if word.is_empty() {
        return;
    }
    // Dashes inside a word ("war—and") are tokens of their own.
    let mut from = 0;
    for (i, c) in word.char_indices() {
        if is_breaking(c) {
            push_word(&word[from..i], start + from, out);
            out.push((start + i, start + i + c.len_utf8()));
            from = i + c.len_utf8();
        }
    }
    push_word(&word[from..], start + from, out);
}

fn push_word(word: &str, start: usize, out: &mut Vec<(usize, usize)>) {
    if word.is_empty() {
        return;
    }
    match clitic_start(word) {
        Some(p) => {
            out.push((start, start + p));
            out.push((start + p, start + word.len()));
        }
        None => out.push((start, start + word.len())),
    }
}

/// Splits one whitespace-free chunk into token spans (byte offsets into the text, `start` being the chunk's).
fn split_chunk(chunk: &str, start: usize, out: &mut Vec<(usize, usize)>) {
    let mut a = 0;
    let mut b = chunk.len();
    while let Some(c) = chunk[a..b].chars().next() {
        if !is_leading(c) {
            break;
        }
        out.push((start + a, start + a + c.len_utf8()));
        a += c.len_utf8();
    }
    let mut tail: Vec<(usize, usize)> = Vec::new();
    while let Some(c) = chunk[a..b].chars().next_back() {
        if !is_trailing(c) {
            break;
        }
        if c == '.' {
            if is_abbreviation(&chunk[a..b]) {
                break;
            }
            // "..." is one token.
            let dots = chunk[a..b].bytes().rev().take_while(|&x| x == b'.').count();
            tail.push((start + b - dots, start + b));
            b -= dots;
            continue;
        }
        // An apostrophe that ends a possessive plural stays a token; so does any other trailing mark.
        tail.push((start + b - c.len_utf8(), start + b));
        b -= c.len_utf8();
    }
    push_core(&chunk[a..b], start + a, out);
    out.extend(tail.into_iter().rev());
}

fn ends_sentence(tok: &str) -> bool {
    matches!(tok, "." | "!" | "?" | "..." | "…") || tok.ends_with("!") || tok.ends_with("?")
}

fn closes(tok: &str) -> bool {
    matches!(tok, "\"" | "'" | ")" | "]" | "”" | "’" | "»")
}

/// The sentences of `text`, each a list of token spans (byte offsets, on character boundaries). A line break
/// always ends a sentence; so does a full stop, question or exclamation mark (and any closing quotes or
/// brackets after it) followed by a word that does not start in lowercase.
pub fn sentences(text: &str) -> Vec<Vec<(usize, usize)>> {
    let mut out: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut current: Vec<(usize, usize)> = Vec::new();
    let mut toks: Vec<(usize, usize)> = Vec::new();
    let mut pending_end = false;
    let mut pos = 0;
    while pos < text.len() {
        // Whitespace, noting line breaks.
        let mut newline = false;
        while let Some(c) = text[pos..].chars().next() {
            if !c.is_whitespace() {
                break;
            }
            newline |= c == '\n' || c == '\u{2029}';
            pos += c.len_utf8();
        }
        if pos >= text.len() {
            break;
        }
        let start = pos;
        while let Some(c) = text[pos..].chars().next() {
            if c.is_whitespace() {
                break;
            }
            pos += c.len_utf8();
        }
        if newline && !current.is_empty() {
            out.push(std::mem::take(&mut current));
            pending_end = false;
        }
        toks.clear();
        split_chunk(&text[start..pos], start, &mut toks);
        for &(a, b) in &toks {
            let tok = &text[a..b];
            if pending_end {
                if closes(tok) {
                    current.push((a, b));
                    continue;
                }
                let starts_lower = tok.chars().next().is_some_and(char::is_lowercase);
                if !starts_lower && !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                pending_end = false;
            }
            current.push((a, b));
            if ends_sentence(tok) {
                pending_end = true;
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(text: &str) -> Vec<Vec<&str>> {
        sentences(text).into_iter().map(|s| s.into_iter().map(|(a, b)| &text[a..b]).collect()).collect()
    }

    #[test]
    fn splits_punctuation_and_clitics() {
        assert_eq!(
            words("Ms. Varga's firm, \"Brightwater\", didn't move to the U.S. market."),
            vec![vec![
                "Ms.",
                "Varga",
                "'s",
                "firm",
                ",",
                "\"",
                "Brightwater",
                "\"",
                ",",
                "did",
                "n't",
                "move",
                "to",
                "the",
                "U.S.",
                "market",
                "."
            ]]
        );
    }

    #[test]
    fn splits_sentences() {
        assert_eq!(
            words("It rained in Quito. Then it stopped!\nNext line (new) and 1,000 cars on 2024-05-01..."),
            vec![
                vec!["It", "rained", "in", "Quito", "."],
                vec!["Then", "it", "stopped", "!"],
                vec!["Next", "line", "(", "new", ")", "and", "1,000", "cars", "on", "2024-05-01", "..."],
            ]
        );
    }

    #[test]
    fn keeps_lowercase_continuations_together() {
        assert_eq!(words("He said yes. and left"), vec![vec!["He", "said", "yes", ".", "and", "left"]]);
    }

    proptest! {
        #[test]
        fn spans_are_ordered_char_boundaries(text in "\\PC{0,200}|[a-zA-Z.,'’\"() \\n—-]{0,200}") {
            let mut last = 0;
            for s in sentences(&text) {
                prop_assert!(!s.is_empty());
                for (a, b) in s {
                    prop_assert!(a < b && b <= text.len());
                    prop_assert!(a >= last);
                    prop_assert!(text.is_char_boundary(a) && text.is_char_boundary(b));
                    prop_assert!(!text[a..b].chars().any(char::is_whitespace));
                    last = b;
                }
            }
        }
    }
}
