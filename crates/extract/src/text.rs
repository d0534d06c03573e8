//! Small text helpers shared by the metadata and body passes.

/// Collapses runs of whitespace (including no-break spaces) to one space and trims.
pub fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() || c == '\u{200b}' || c == '\u{feff}' {
            pending_space = true;
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}

/// Ideographic scripts write words without spaces; counting their characters keeps word counts and
/// reading times meaningful for Chinese and Japanese.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xAC00..=0xD7AF)
}

/// Words in a text: whitespace-separated runs containing a letter or digit, plus one per CJK character.
pub fn word_count(s: &str) -> usize {
    let mut n = 0;
    for w in s.split_whitespace() {
        let cjk = w.chars().filter(|&c| is_cjk(c)).count();
        if cjk > 0 {
            n += cjk;
            if w.chars().any(|c| c.is_alphanumeric() && !is_cjk(c)) {
                n += 1;
            }
        } else if w.chars().any(char::is_alphanumeric) {
            n += 1;
        }
    }
    n
}

/// Reading time at 230 words a minute, rounded up.
pub fn reading_minutes(words: usize) -> u32 {
    if words == 0 { 0 } else { u32::try_from(words.div_ceil(230)).unwrap_or(u32::MAX) }
}

/// Characters that count towards "how much text": letters and digits only, so punctuation-heavy chrome
/// ("| · » ...") weighs nothing.
pub fn text_weight(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphanumeric()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(word_count("Hello, world — again"), 3);
        assert_eq!(word_count("東京で会議"), 5);
        assert_eq!(reading_minutes(0), 0);
        assert_eq!(reading_minutes(231), 2);
        assert_eq!(collapse("  a \n\u{a0} b "), "a b");
    }
}
