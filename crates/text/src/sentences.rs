//! A sentence splitter for news text in languages with Latin-style sentence punctuation: byte spans of the
//! sentences of a text, with the paragraph each belongs to.
//!
//! News text is full of full stops that end nothing ("Mr. Smith", "the U.S. Army", "Jan. 6", "3.5 per cent",
//! "John F. Kennedy", "No. 10") and of sentences that end in quotes or brackets (`he said.' Then`). A line break
//! always ends a sentence: extracted text puts bylines, captions and paragraphs on lines of their own.

/// One sentence of a text: `text[start..end]`, trimmed of surrounding white space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentenceSpan {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset just past the last character (the closing punctuation, quote or bracket included).
    pub end: usize,
    /// Index of the paragraph (0-based); paragraphs are separated by line breaks.
    pub paragraph: usize,
}

impl SentenceSpan {
    /// The sentence's text within `text` (the text the span was made from); empty if it does not fit.
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.start..self.end).unwrap_or("")
    }
}

/// Titles written before a name: a full stop after them never ends a sentence.
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "mt", "ft", "gen", "lt", "col", "capt", "cpt", "sgt", "cpl", "pvt", "spc",
    "maj", "adm", "cmdr", "cdr", "gov", "sen", "rep", "rev", "hon", "pres", "supt", "det", "insp", "fr", "messrs",
    "vs", "v", "ave", "blvd", "rd", "approx", "dept", "est", "mme", "mlle", "sra", "sr", "jr",
];

/// Abbreviations that are followed by a number ("Jan. 6", "No. 10", "p. 4"); before a capital they may end
/// a sentence.
const BEFORE_NUMBERS: &[&str] = &[
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "nos", "vol", "art",
    "p", "pp", "fig", "ch", "sec", "para", "tel", "ext",
];

/// Words that commonly open an English sentence: after an initialism ("U.S.", "p.m.") only these make the
/// full stop a sentence end, since a capital there is most often a name ("the U.S. Army").
const OPENERS: &[&str] = &[
    "the",
    "a",
    "an",
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "you",
    "but",
    "and",
    "in",
    "on",
    "at",
    "this",
    "that",
    "there",
    "these",
    "those",
    "his",
    "her",
    "their",
    "its",
    "our",
    "my",
    "if",
    "when",
    "while",
    "after",
    "before",
    "as",
    "for",
    "so",
    "some",
    "many",
    "most",
    "officials",
    "police",
    "no",
    "not",
    "one",
    "what",
    "who",
    "why",
    "how",
];

fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | '’' | '”' | '»' | ')' | ']' | '}' | '›')
}

fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '。' | '！' | '？')
}

/// Whether a full stop at byte `dot` (preceded by `text[..dot]`), followed after white space by `next_word`,
/// belongs to an abbreviation, an initial or an initialism rather than ending the sentence.
fn abbreviation_continues(text: &str, dot: usize, next_word: &str) -> bool {
    let before = &text[..dot];
    // The word before the dot, dots inside it included ("U.S", "a.m").
    let word_start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '.'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &before[word_start..];
    if word.is_empty() {
        return false;
    }
    let next_first = next_word.chars().next().unwrap_or(' ');
    let next_lower: String =
        next_word.chars().take_while(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    let opener = OPENERS.contains(&next_lower.as_str());
    if word.contains('.') {
        // An initialism: "U.S.", "a.m.", "B.B. King".
        return !opener;
    }
    let letters = word.chars().count();
    if letters == 1 && word.chars().all(char::is_uppercase) {
        // An initial ("John F. Kennedy"); "Plan B. The …" is rarer than initials before a surname.
        return !opener;
    }
    let lower = word.to_lowercase();
    if TITLES.contains(&lower.as_str()) && word.chars().next().is_some_and(char::is_uppercase) {
        return true;
    }
    if BEFORE_NUMBERS.contains(&lower.as_str()) {
        return next_first.is_ascii_digit();
    }
    false
}

/// Splits `text` into sentences. Never panics; every span lies on character boundaries of `text`, spans are in
/// order and do not overlap, and each holds at least one letter or digit.
pub fn split_sentences(text: &str) -> Vec<SentenceSpan> {
    let mut out = Vec::new();
    let mut paragraph = 0usize;
    let mut paragraph_used = false;
    let mut start: Option<usize> = None;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut push = |from: usize, to: usize, paragraph: usize, used: &mut bool| {
        let s = &text[from..to];
        let trimmed_start = from + (s.len() - s.trim_start().len());
        let trimmed_end = from + s.trim_end().len();
        if trimmed_end > trimmed_start && text[trimmed_start..trimmed_end].chars().any(char::is_alphanumeric) {
            out.push(SentenceSpan { start: trimmed_start, end: trimmed_end, paragraph });
            *used = true;
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c == '\n' || c == '\r' || c == '\u{2029}' {
            if let Some(s) = start.take() {
                push(s, pos, paragraph, &mut paragraph_used);
            }
            if paragraph_used {
                paragraph += 1;
                paragraph_used = false;
            }
            i += 1;
            continue;
        }
        if start.is_none() {
            if c.is_whitespace() {
                i += 1;
                continue;
            }
            start = Some(pos);
        }
        if !is_terminator(c) {
            i += 1;
            continue;
        }
        // A run of terminators, then closing quotes and brackets (and terminators after them: `?'.`).
        let mut j = i;
        while j < chars.len() && is_terminator(chars[j].1) {
            j += 1;
        }
        let run_is_single_dot = j == i + 1 && c == '.';
        while j < chars.len() && (is_closer(chars[j].1) || is_terminator(chars[j].1)) {
            j += 1;
        }
        let end = chars.get(j).map_or(text.len(), |&(p, _)| p);
        // What follows: nothing, a line break, or white space and then the next word.
        let mut k = j;
        while k < chars.len() && chars[k].1.is_whitespace() && !matches!(chars[k].1, '\n' | '\r' | '\u{2029}') {
            k += 1;
        }
        let boundary = if k == chars.len() || matches!(chars[k].1, '\n' | '\r' | '\u{2029}') {
            true
        } else if k == j && !matches!(c, '。' | '！' | '？') {
            // No space after the mark: "3.5", "U.S.", "Yahoo!", "money…with".
            false
        } else {
            // A lower-case word goes on the sentence ("'Why?' she asked"); so does anything after an abbreviation.
            let next_word = &text[chars[k].0..];
            !(chars[k].1.is_lowercase() || (run_is_single_dot && abbreviation_continues(text, pos, next_word)))
        };
        if boundary {
            if let Some(s) = start.take() {
                push(s, end, paragraph, &mut paragraph_used);
            }
            i = j;
        } else {
            i = j.max(i + 1);
        }
    }
    if let Some(s) = start {
        push(s, text.len(), paragraph, &mut paragraph_used);
    }
    out
}

/// The sentences of `text` as string slices (see [`split_sentences`]).
pub fn sentences(text: &str) -> Vec<&str> {
    split_sentences(text).iter().map(|s| s.text(text)).collect()
}

/// The length in bytes of a dateline or agency credit at the start of a sentence, to be skipped when the
/// sentence is shown on its own: "WASHINGTON (AP) — ", "Kathmandu, Nepal (CNN)", "LONDON, March 3 (Reuters) - ",
/// "PARIS — ". Zero when there is none.
pub fn dateline_len(sentence: &str) -> usize {
    let head_end = sentence.char_indices().nth(80).map_or(sentence.len(), |(i, _)| i);
    let head = &sentence[..head_end];
    let skip_dash = |from: usize| -> usize {
        let rest = &sentence[from..];
        let t = rest.trim_start_matches([' ', '\u{a0}', '\t']);
        let after_dash = t.trim_start_matches(['-', '—', '–', ':']);
        if after_dash.len() < t.len() {
            let t2 = after_dash.trim_start_matches([' ', '\u{a0}', '\t']);
            sentence.len() - t2.len()
        } else {
            sentence.len() - t.len()
        }
    };
    // An agency in brackets: "(CNN)", "(AP)", "(Reuters)".
    if let Some(open) = head.find('(')
        && let Some(close_rel) = head[open..].find(')')
    {
        let inside = &head[open + 1..open + close_rel];
        let place = &head[..open];
        let agency_like = (2..=12).contains(&inside.chars().count())
            && inside.chars().all(|c| c.is_alphabetic() || c == ' ' || c == '-')
            && inside.chars().next().is_some_and(char::is_uppercase);
        let place_words = place.split_whitespace().count();
        let place_like = place_words <= 6
            && place.split_whitespace().all(|w| {
                w.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
                    || w.trim_matches(',').is_empty()
            });
        if agency_like && place_like {
            return skip_dash(open + close_rel + 1);
        }
    }
    // An upper-case place and a dash: "PARIS — ", "NEW YORK -- ".
    for dash in [" — ", " -- ", " – ", " - "] {
        if let Some(at) = head.find(dash) {
            let place = &head[..at];
            let letters: Vec<char> = place.chars().filter(|c| c.is_alphabetic()).collect();
            if letters.len() >= 3 && letters.iter().all(|c| c.is_uppercase()) && place.split_whitespace().count() <= 4 {
                return at + dash.len();
            }
        }
    }
    0
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_sentences() {
        assert_eq!(
            sentences("The cat sat. The dog ran! Did it? Yes."),
            ["The cat sat.", "The dog ran!", "Did it?", "Yes."]
        );
    }

    #[test]
    fn titles_and_initials() {
        let t = "Mr. Smith met Dr. Jones at St. Mary's on Jan. 6 at 5 p.m. Friday. John F. Kennedy was there.";
        assert_eq!(
            sentences(t),
            ["Mr. Smith met Dr. Jones at St. Mary's on Jan. 6 at 5 p.m. Friday.", "John F. Kennedy was there."]
        );
    }

    #[test]
    fn initialisms() {
        assert_eq!(
            sentences("He moved to the U.S. from Ukraine. The U.S. Army agreed."),
            ["He moved to the U.S. from Ukraine.", "The U.S. Army agreed."]
        );
        assert_eq!(
            sentences("She lives in the U.S. The rest stayed home."),
            ["She lives in the U.S.", "The rest stayed home."]
        );
        assert_eq!(sentences("Blues legend B.B. King played on."), ["Blues legend B.B. King played on."]);
    }

    #[test]
    fn numbers_and_decimals() {
        assert_eq!(
            sentences("Prices rose 3.5 per cent. No. 10 said so. It cost $1,000.50 in all."),
            ["Prices rose 3.5 per cent.", "No. 10 said so.", "It cost $1,000.50 in all."]
        );
    }

    #[test]
    fn quotes_and_brackets() {
        let t = "He said: 'I am fine.' Then he left. 'Why?' she asked. (It was late.) The end.";
        assert_eq!(
            sentences(t),
            ["He said: 'I am fine.'", "Then he left.", "'Why?' she asked.", "(It was late.)", "The end."]
        );
        let t = "\u{201c}We won,\u{201d} he said. \u{201c}It is over.\u{201d} Fans cheered.";
        assert_eq!(sentences(t), ["\u{201c}We won,\u{201d} he said.", "\u{201c}It is over.\u{201d}", "Fans cheered."]);
    }

    #[test]
    fn ellipses() {
        assert_eq!(
            sentences("We waited... and waited. Then... Nothing came."),
            ["We waited... and waited.", "Then...", "Nothing came."]
        );
        assert_eq!(
            sentences("It was money\u{2026}with no skill. Done."),
            ["It was money\u{2026}with no skill.", "Done."]
        );
    }

    #[test]
    fn paragraphs_and_lines() {
        let t = "By Jane Doe\nLONDON (Reuters) - Rain fell. Roads closed.\n\nA caption without a stop\nMore text.";
        let spans = split_sentences(t);
        let texts: Vec<&str> = spans.iter().map(|s| s.text(t)).collect();
        assert_eq!(
            texts,
            ["By Jane Doe", "LONDON (Reuters) - Rain fell.", "Roads closed.", "A caption without a stop", "More text."]
        );
        let paragraphs: Vec<usize> = spans.iter().map(|s| s.paragraph).collect();
        assert_eq!(paragraphs, [0, 1, 1, 2, 3]);
    }

    #[test]
    fn datelines() {
        let s = "LONDON (Reuters) - Rain fell.";
        assert_eq!(&s[dateline_len(s)..], "Rain fell.");
        let s = "Kathmandu, Nepal (CNN)Rescuers pulled a man out.";
        assert_eq!(&s[dateline_len(s)..], "Rescuers pulled a man out.");
        let s = "(CNN)A trip to a mansion.";
        assert_eq!(&s[dateline_len(s)..], "A trip to a mansion.");
        let s = "WASHINGTON — The Senate voted.";
        assert_eq!(&s[dateline_len(s)..], "The Senate voted.");
        assert_eq!(dateline_len("The Senate (upper house) voted."), 0);
        assert_eq!(dateline_len("He said - quietly - no."), 0);
    }

    #[test]
    fn other_scripts_and_edges() {
        assert_eq!(sentences(""), Vec::<&str>::new());
        assert_eq!(sentences("  ...  "), Vec::<&str>::new());
        assert_eq!(sentences("no stop at all"), ["no stop at all"]);
        assert_eq!(sentences("Il pleut. Das ist gut! ¿Qué? Sí."), ["Il pleut.", "Das ist gut!", "¿Qué?", "Sí."]);
        assert_eq!(sentences("今天下雨。明天晴天。"), ["今天下雨。", "明天晴天。"]);
    }

    proptest! {
        #[test]
        fn never_panics_and_spans_are_sound(s in "(\\PC|[.!?'\" \n…A-Za-z0-9])*") {
            let spans = split_sentences(&s);
            let mut last = 0;
            for sp in &spans {
                prop_assert!(sp.start >= last && sp.start < sp.end && sp.end <= s.len());
                prop_assert!(s.is_char_boundary(sp.start) && s.is_char_boundary(sp.end));
                last = sp.end;
            }
            let _ = dateline_len(&s);
            for sp in &spans {
                let _ = dateline_len(sp.text(&s));
            }
        }
    }
}
