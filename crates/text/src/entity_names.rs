//! Normal forms of entity names: the variants one article uses for one entity ("President Xi", "Xi", "Xi
//! Jinping"; "the European Central Bank", "ECB") become one entity with one key, shown under its fullest name.
//!
//! News style names a person in full first and by surname after, and an organisation in full before its
//! initials, so the variants are resolved within the article against its fuller mentions.

use std::collections::HashMap;

use tidings_core::{EntityKind, EntityRef};

/// Words that precede a person's name without being part of it. Compared lowercased, without a final dot.
const PERSON_TITLES: &[&str] = &[
    "president",
    "vice",
    "prime",
    "minister",
    "chancellor",
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "professor",
    "sir",
    "dame",
    "lord",
    "lady",
    "senator",
    "sen",
    "rep",
    "representative",
    "gov",
    "governor",
    "mayor",
    "king",
    "queen",
    "prince",
    "princess",
    "pope",
    "general",
    "gen",
    "col",
    "colonel",
    "capt",
    "captain",
    "judge",
    "justice",
    "chief",
    "executive",
    "ceo",
    "coach",
    "councillor",
    "councilor",
    "inspector",
    "detective",
    "officer",
    "secretary",
    "chairman",
    "chairwoman",
    "chair",
    "director",
    "premier",
    "sheikh",
    "ayatollah",
    "rev",
    "reverend",
    "father",
    "sister",
    "st",
    "saint",
    "foreign",
    "finance",
    "defence",
    "defense",
    "health",
    "interior",
    "state",
    "deputy",
    "former",
    "late",
    "presidente",
    "señor",
    "señora",
    "sr",
    "sra",
    "herr",
    "frau",
    "monsieur",
    "madame",
];

/// One name as the tagger found it in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMention<'a> {
    /// The words as written.
    pub text: &'a str,
    /// What the tagger says it is.
    pub kind: EntityKind,
}

/// The entities of one article from its mentions (in text order): one [`EntityRef`] per entity, the most
/// mentioned first (then the first mentioned).
pub fn normalise_mentions(mentions: &[RawMention<'_>]) -> Vec<EntityRef> {
    struct Variant {
        words: Vec<String>,
        shown: String,
        kind: EntityKind,
        first: usize,
        count: i32,
    }
    // Distinct variants, by kind and words.
    let mut variants: Vec<Variant> = Vec::new();
    let mut index: HashMap<(EntityKind, Vec<String>), usize> = HashMap::new();
    // The tagger can give one name different kinds in different sentences ("Tallis Pass" a place, then a
    // person): a name keeps the kind most of its mentions have (the first seen on a tie).
    let cleaned: Vec<Option<(String, Vec<String>)>> = mentions.iter().map(|m| clean_name(m.text, m.kind)).collect();
    let mut kinds: HashMap<Vec<String>, Vec<(EntityKind, usize)>> = HashMap::new();
    for (mention, clean) in mentions.iter().zip(&cleaned) {
        let Some((_, words)) = clean else { continue };
        let votes = kinds.entry(words.iter().map(|w| w.to_lowercase()).collect()).or_default();
        match votes.iter_mut().find(|(k, _)| *k == mention.kind) {
            Some(vote) => vote.1 += 1,
            None => votes.push((mention.kind, 1)),
        }
    }
    let majority = |words: &[String]| -> Option<EntityKind> {
        let votes = kinds.get(words)?;
        let best = votes.iter().map(|v| v.1).max()?;
        votes.iter().find(|v| v.1 == best).map(|v| v.0)
    };
    for (position, (mention, clean)) in mentions.iter().zip(cleaned).enumerate() {
        let Some((shown, words)) = clean else { continue };
        let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
        let kind = majority(&lower).unwrap_or(mention.kind);
        let key = (kind, lower);
        match index.get(&key) {
            Some(&i) => variants[i].count += 1,
            None => {
                index.insert(key.clone(), variants.len());
                variants.push(Variant { words: key.1, shown, kind, first: position, count: 1 });
            }
        }
    }
    // Each variant points at the fullest variant of the same kind it abbreviates.
    let mut target: Vec<usize> = (0..variants.len()).collect();
    for (i, v) in variants.iter().enumerate() {
        let mut best: Option<usize> = None;
        for (j, w) in variants.iter().enumerate() {
            if i == j || w.kind != v.kind || w.words.len() <= v.words.len() {
                continue;
            }
            if abbreviates(&v.words, &w.words, v.kind) && best.is_none_or(|b| variants[b].words.len() < w.words.len()) {
                best = Some(j);
            }
        }
        if let Some(b) = best {
            target[i] = b;
        }
    }
    // Follow chains ("Xi" → "Xi Jinping" → ...), bounded by the number of variants.
    for i in 0..target.len() {
        let mut t = target[i];
        for _ in 0..target.len() {
            if target[t] == t {
                break;
            }
            t = target[t];
        }
        target[i] = t;
    }
    let mut merged: HashMap<usize, (i32, usize)> = HashMap::new();
    for (i, v) in variants.iter().enumerate() {
        let entry = merged.entry(target[i]).or_insert((0, v.first));
        entry.0 += v.count;
        entry.1 = entry.1.min(v.first);
    }
    let mut out: Vec<(usize, EntityRef)> = merged
        .into_iter()
        .map(|(t, (count, first))| {
            let v = &variants[t];
            let key = format!("{}/{}", v.kind.as_str(), slug(&v.words));
            (first, EntityRef { key, name: v.shown.clone(), kind: v.kind, mentions: count })
        })
        .collect();
    out.sort_by(|a, b| b.1.mentions.cmp(&a.1.mentions).then(a.0.cmp(&b.0)));
    // Two variants can still share a key (the same words under different capitalisation were merged above, but
    // punctuation can differ): keep the first.
    let mut seen = std::collections::HashSet::new();
    out.into_iter().map(|(_, e)| e).filter(|e| seen.insert(e.key.clone())).collect()
}

/// Whether `short` is a shorter way to name `long`: a person's surname or first name (or both, with titles
/// gone), or an organisation's initials.
fn abbreviates(short: &[String], long: &[String], kind: EntityKind) -> bool {
    match kind {
        EntityKind::Person => {
            // "Xi" for "Xi Jinping", "Jinping" too; "Anna Weber" for "Anna Maria Weber".
            short.iter().all(|w| long.contains(w))
                && (short.len() > 1 || long.first() == short.first() || long.last() == short.first())
        }
        EntityKind::Organisation | EntityKind::Other | EntityKind::Place => {
            if short.len() == 1 && long.len() >= 2 {
                let initials: String = long
                    .iter()
                    .filter(|w| !matches!(w.as_str(), "of" | "the" | "and" | "for" | "de" | "du" | "la" | "&"))
                    .filter_map(|w| w.chars().next())
                    .collect();
                if initials.chars().count() >= 2 && initials == short[0] {
                    return true;
                }
            }
            // "Copperfield Ledger" for "The Copperfield Ledger" is handled by dropping "the"; "Harbor Council" is
            // not taken for "Harbor City Council": only a prefix of the full name, kept whole, abbreviates it.
            kind == EntityKind::Organisation && short.len() >= 2 && long.starts_with(short)
        }
    }
}

/// The name without titles, possessives and surrounding punctuation, with its words; `None` when nothing
/// name-like is left.
fn clean_name(text: &str, kind: EntityKind) -> Option<(String, Vec<String>)> {
    let mut words: Vec<&str> = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !(c.is_alphanumeric() || c == '.' || c == '&' || c == '-' || c == '\'')))
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| !w.is_empty())
        .collect();
    if let Some(last) = words.last_mut() {
        *last = last.strip_suffix("'s").or_else(|| last.strip_suffix("’s")).unwrap_or(last);
        *last = last.trim_end_matches('\'');
    }
    match kind {
        EntityKind::Person => {
            while words.len() > 1 && PERSON_TITLES.contains(&words[0].to_lowercase().trim_end_matches('.')) {
                words.remove(0);
            }
        }
        _ => {
            if words.len() > 1 && words[0].eq_ignore_ascii_case("the") {
                words.remove(0);
            }
        }
    }
    words.retain(|w| !w.is_empty());
    if words.is_empty() || !words.iter().any(|w| w.chars().any(char::is_alphabetic)) {
        return None;
    }
    let shown = words.join(" ");
    if shown.chars().count() > 80 {
        return None;
    }
    Some((shown, words.iter().map(|w| w.to_string()).collect()))
}

/// The URL-safe form of a name: lowercase letters and digits (any script) joined by hyphens.
fn slug(words: &[String]) -> String {
    let mut out = String::new();
    for word in words {
        let mut part = String::new();
        for c in word.chars().flat_map(char::to_lowercase) {
            if c.is_alphanumeric() {
                part.push(c);
            } else if !part.is_empty() && !part.ends_with('-') && c != '.' && c != '\'' && c != '’' {
                part.push('-');
            }
        }
        let part = part.trim_matches('-');
        if part.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(text: &str, kind: EntityKind) -> RawMention<'_> {
        RawMention { text, kind }
    }

    #[test]
    fn a_title_and_a_surname_merge_into_the_full_name() {
        let out = normalise_mentions(&[
            m("Xi Jinping", EntityKind::Person),
            m("President Xi", EntityKind::Person),
            m("Xi", EntityKind::Person),
            m("Beijing", EntityKind::Place),
        ]);
        assert_eq!(out[0].key, "person/xi-jinping");
        assert_eq!(out[0].name, "Xi Jinping");
        assert_eq!(out[0].mentions, 3);
        assert_eq!(out[1].key, "place/beijing");
    }

    #[test]
    fn initials_merge_into_the_organisation() {
        let out = normalise_mentions(&[
            m("the European Central Bank", EntityKind::Organisation),
            m("ECB", EntityKind::Organisation),
            m("ECB's", EntityKind::Organisation),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].key, "organisation/european-central-bank");
        assert_eq!(out[0].mentions, 3);
    }

    #[test]
    fn different_people_with_one_shared_word_stay_apart() {
        let out = normalise_mentions(&[m("Anna Weber", EntityKind::Person), m("Tomas Weber", EntityKind::Person)]);
        assert_eq!(out.len(), 2);
        // A bare surname shared by two full names goes to one of them, never creates a third.
        let out = normalise_mentions(&[
            m("Anna Weber", EntityKind::Person),
            m("Tomas Weber", EntityKind::Person),
            m("Weber", EntityKind::Person),
        ]);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn possessives_and_punctuation_go() {
        let out = normalise_mentions(&[m("Mayor Ilse Varga's", EntityKind::Person), m("Varga,", EntityKind::Person)]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].name, "Ilse Varga");
        assert_eq!(out[0].key, "person/ilse-varga");
    }

    #[test]
    fn a_name_tagged_two_ways_keeps_its_commonest_kind() {
        let out = normalise_mentions(&[
            m("Tallis Pass", EntityKind::Place),
            m("Tallis Pass", EntityKind::Person),
            m("Tallis Pass", EntityKind::Place),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].key.as_str(), out[0].mentions), ("place/tallis-pass", 3));
    }

    #[test]
    fn slugs_keep_letters_of_any_script() {
        assert_eq!(slug(&["São".into(), "Paulo".into()]), "são-paulo");
        assert_eq!(slug(&["U.S.".into()]), "us");
        assert_eq!(slug(&["AT&T".into()]), "at-t");
    }

    proptest! {
        #[test]
        fn never_panics_and_keys_are_unique(names in proptest::collection::vec(".{0,30}", 0..12)) {
            let mentions: Vec<RawMention<'_>> = names.iter().enumerate().map(|(i, n)| RawMention {
                text: n,
                kind: [EntityKind::Person, EntityKind::Organisation, EntityKind::Place, EntityKind::Other][i % 4],
            }).collect();
            let out = normalise_mentions(&mentions);
            let mut keys: Vec<&str> = out.iter().map(|e| e.key.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            prop_assert_eq!(keys.len(), out.len());
            for e in &out {
                prop_assert!(!e.key.ends_with('/'));
            }
        }
    }
}
