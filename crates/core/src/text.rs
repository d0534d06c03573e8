//! Small text helpers shared by the stages that shorten text for display or for a request.

/// `text` cut to at most `max` characters, at the last whitespace before the limit when that keeps more than half
/// of it (else mid-word), with an ellipsis when anything was cut.
pub fn cut_at_word(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((cut, _)) => {
            let head = &text[..cut];
            let head = match head.rfind(char::is_whitespace) {
                Some(space) if space > cut / 2 => &head[..space],
                _ => head,
            };
            format!("{}…", head.trim_end())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_at_a_word_with_an_ellipsis() {
        assert_eq!(cut_at_word("short", 10), "short");
        assert_eq!(cut_at_word("the harbour tram", 12), "the harbour…");
        assert_eq!(cut_at_word("Harbourtramextension", 8), "Harbourt…", "no space: cut mid-word");
        assert_eq!(cut_at_word("ééé ééé", 5), "ééé…", "characters, not bytes");
    }
}
