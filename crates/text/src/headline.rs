//! Choosing a story's headline from its articles' titles: the most representative one (sharing the most words
//! with the others), so the headline does not depend on which outlet happened to report first.

use rustc_hash::FxHashSet;

use crate::tokenize::is_stopword;

fn words(title: &str) -> FxHashSet<String> {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !is_stopword(w))
        .collect()
}

/// The index of the most representative title, or `None` for none. Ties go to the earliest; empty titles and
/// titles in capitals only ("BREAKING: …" shouting) lose to any other.
pub fn pick_headline(titles: &[&str]) -> Option<usize> {
    let sets: Vec<FxHashSet<String>> = titles.iter().map(|t| words(t)).collect();
    let mut best: Option<(usize, f32)> = None;
    for (i, set) in sets.iter().enumerate() {
        let title = titles[i].trim();
        let shouting = title.chars().any(char::is_alphabetic) && !title.chars().any(char::is_lowercase);
        let mut score = if title.is_empty() || set.is_empty() || shouting { -1.0 } else { 0.0 };
        for (j, other) in sets.iter().enumerate() {
            if i == j || set.is_empty() || other.is_empty() {
                continue;
            }
            let shared = set.intersection(other).count() as f32;
            score += shared / (set.len() + other.len()) as f32 * 2.0;
        }
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((i, score));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_closest_to_the_others_wins() {
        let titles = [
            "Opinion: why the harbour deserves better",
            "Council approves tram extension to harbour",
            "Tram extension to the harbour approved by council",
            "Harbour tram line: council approves extension after decade",
        ];
        assert_eq!(pick_headline(&titles), Some(1));
    }

    #[test]
    fn shouting_and_empty_titles_lose() {
        assert_eq!(pick_headline(&["TRAM APPROVED", "", "Tram approved"]), Some(2));
        assert_eq!(pick_headline(&[]), None);
        assert_eq!(pick_headline(&["Only one"]), Some(0));
    }
}
