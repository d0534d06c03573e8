//! Near-duplicate detection: the same text at different outlets, even with a new headline, added boilerplate,
//! dropped or reordered paragraphs and light edits.
//!
//! A text becomes a set of overlapping word shingles (three words; runs of CJK characters count one
//! character per word, since those scripts do not separate words). The set is summarised by a MinHash
//! signature computed with one-permutation hashing (one hash per shingle, not one per shingle and
//! permutation, which keeps fingerprinting cheap on long articles), densified so short texts still fill every
//! slot. Candidates come from locality-sensitive hashing over bands of the signature; each candidate is then
//! confirmed on the estimated *containment* of the shorter text in the longer one, which, unlike plain
//! resemblance, stays high when a copy trims paragraphs or wraps the text in boilerplate.

use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::hash::Hash;

/// Tuning of near-duplicate detection. The defaults are the recommended settings.
#[derive(Debug, Clone)]
pub struct DupConfig {
    /// Words per shingle.
    pub shingle_words: usize,
    /// Number of LSH bands; the signature has `bands * rows` slots.
    pub bands: usize,
    /// Slots per band. Fewer rows find copies with lower resemblance but produce more candidates to check.
    pub rows: usize,
    /// Texts with fewer distinct shingles than this are not fingerprinted: a headline or a one-line teaser
    /// says too little to call it a copy.
    pub min_shingles: usize,
    /// Estimated share of the shorter text's shingles found in the longer one for a candidate to count as a
    /// copy.
    pub min_containment: f32,
    /// Estimated number of shingles the two texts share, at least, for a candidate to count as a copy: two
    /// short teasers quoting the same sentence share a large part of their text without being copies.
    pub min_shared: f32,
    /// Words read at most from a text.
    pub max_words: usize,
}

impl Default for DupConfig {
    fn default() -> Self {
        Self {
            shingle_words: 3,
            bands: 48,
            rows: 2,
            min_shingles: 24,
            min_containment: 0.4,
            min_shared: 30.0,
            max_words: 5_000,
        }
    }
}

/// The MinHash signature of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    slots: Box<[u16]>,
    shingles: u32,
}

/// How much two fingerprinted texts overlap (both estimated from their signatures).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlap {
    /// Jaccard resemblance of the two shingle sets.
    pub resemblance: f32,
    /// Share of the shorter text's shingles that the longer one also has.
    pub containment: f32,
    /// Number of shingles the two texts share.
    pub shared: f32,
}

const EMPTY: u32 = u32::MAX;

fn mix64(mut x: u64) -> u64 {
    // splitmix64's finaliser: a fast, well-spread bijection.
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Hashes of the words of `text`: alphanumeric runs, and single CJK characters.
/// FNV-1a's offset basis and prime: the word hash is FNV-1a over the word's lowercased UTF-8 bytes, stable across
/// runs and platforms, which matters because fingerprints are compared across restarts.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv_byte(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
}

/// Adds a (non-ASCII) character, lowercased, to a word's hash.
fn fnv_char(mut h: u64, c: char) -> u64 {
    for lower in c.to_lowercase() {
        let mut buf = [0u8; 4];
        for &b in lower.encode_utf8(&mut buf).as_bytes() {
            h = fnv_byte(h, b);
        }
    }
    h
}

/// The hashes of the first `max_words` words of `text` (runs of letters and digits; each CJK character is a word
/// of its own), hashed as they are read: one pass, ASCII a byte at a time.
fn word_hashes(text: &str, max_words: usize) -> Vec<u64> {
    let mut out = Vec::with_capacity(max_words.min(text.len() / 4 + 1));
    // The hash of the word being read, if one is.
    let mut word: Option<u64> = None;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if out.len() >= max_words {
            return out;
        }
        let b = bytes[i];
        if b.is_ascii() {
            i += 1;
            if b.is_ascii_alphanumeric() {
                word = Some(fnv_byte(word.unwrap_or(FNV_OFFSET), b.to_ascii_lowercase()));
            } else if let Some(h) = word.take() {
                out.push(h);
            }
            continue;
        }
        let Some(c) = text.get(i..).and_then(|rest| rest.chars().next()) else { break };
        i += c.len_utf8();
        if is_cjk(c) {
            // The word before it and the character itself, even if that makes one more than `max_words` (as
            // fingerprints stored before this function was rewritten were made).
            if let Some(h) = word.take() {
                out.push(h);
            }
            out.push(fnv_char(FNV_OFFSET, c));
        } else if c.is_alphanumeric() {
            word = Some(fnv_char(word.unwrap_or(FNV_OFFSET), c));
        } else if let Some(h) = word.take() {
            out.push(h);
        }
    }
    if let Some(h) = word
        && out.len() < max_words
    {
        out.push(h);
    }
    out
}

impl Fingerprint {
    /// Fingerprints `text`, or `None` when it is too short to judge (see [`DupConfig::min_shingles`]).
    pub fn of(text: &str, config: &DupConfig) -> Option<Self> {
        let k = config.shingle_words.max(1);
        let slots = (config.bands * config.rows).max(1);
        let words = word_hashes(text, config.max_words);
        if words.len() < k {
            return None;
        }
        let mut bins = vec![EMPTY; slots];
        let mut seen: rustc_hash::FxHashSet<u64> =
            rustc_hash::FxHashSet::with_capacity_and_hasher(words.len(), Default::default());
        for window in words.windows(k) {
            let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
            for &w in window {
                h = mix64(h ^ w);
            }
            if !seen.insert(h) {
                continue;
            }
            let bin = ((h >> 32) as usize * slots) >> 32;
            let value = h as u32 >> 1; // below EMPTY, so a filled bin never reads as empty
            if value < bins[bin] {
                bins[bin] = value;
            }
        }
        if seen.len() < config.min_shingles {
            return None;
        }
        // Densification: an empty bin borrows from the next filled one to its right, offset by the distance so
        // borrowed values differ from the originals. Both texts of a pair borrow the same way, so equal slots
        // still estimate resemblance.
        let filled: Vec<u32> = bins.clone();
        for (i, bin) in bins.iter_mut().enumerate() {
            if *bin != EMPTY {
                continue;
            }
            for d in 1..slots {
                let v = filled[(i + d) % slots];
                if v != EMPTY {
                    *bin = (mix64(u64::from(v) ^ (d as u64) << 40) as u32) >> 1;
                    break;
                }
            }
        }
        let slots = bins.iter().map(|&v| (mix64(u64::from(v)) >> 48) as u16).collect();
        Some(Self { slots, shingles: seen.len() as u32 })
    }

    /// Number of distinct shingles in the text.
    pub fn shingles(&self) -> u32 {
        self.shingles
    }

    /// Estimated overlap with `other` (fingerprinted with the same configuration).
    pub fn overlap(&self, other: &Fingerprint) -> Overlap {
        let n = self.slots.len().min(other.slots.len());
        if n == 0 {
            return Overlap { resemblance: 0.0, containment: 0.0, shared: 0.0 };
        }
        let same = self.slots.iter().zip(other.slots.iter()).filter(|(a, b)| a == b).count();
        let j = same as f32 / n as f32;
        let (a, b) = (self.shingles as f32, other.shingles as f32);
        // |A ∩ B| = J (|A| + |B|) / (1 + J); containment divides it by the smaller set.
        let shared = j * (a + b) / (1.0 + j);
        Overlap { resemblance: j, containment: (shared / a.min(b)).min(1.0), shared }
    }

    /// The key of one band in the index. 32 bits keep the index small (it holds `bands` keys per text); two
    /// bands that happen to share a key only add a candidate, which the overlap check then rejects.
    fn band_key(&self, band: usize, rows: usize) -> u32 {
        let mut h = mix64(band as u64 + 1);
        for &v in &self.slots[band * rows..(band + 1) * rows] {
            h = mix64(h ^ u64::from(v));
        }
        (h >> 32) as u32
    }
}

/// An index of recent fingerprints that finds the copies of a new text, with memory bounded by a capacity
/// (the oldest entries leave first).
#[derive(Debug)]
pub struct DupIndex<K> {
    config: DupConfig,
    capacity: usize,
    /// Band key → first entry in its chain; an entry is `slot * bands + band`.
    heads: FxHashMap<u32, u32>,
    /// Next entry in the chain, or `EMPTY`.
    next: Vec<u32>,
    docs: Vec<Option<(K, Fingerprint)>>,
    /// Insertion number of each slot's current text, so stale entries in `order` are recognised.
    generation: Vec<u64>,
    inserted: u64,
    free: Vec<u32>,
    by_key: FxHashMap<K, u32>,
    /// (slot, insertion number), oldest first; entries whose slot was since freed or reused are stale.
    order: VecDeque<(u32, u64)>,
}

impl<K: Copy + Eq + Hash> DupIndex<K> {
    /// An empty index holding at most `capacity` texts.
    pub fn new(config: DupConfig, capacity: usize) -> Self {
        Self {
            config,
            capacity: capacity.max(1),
            heads: FxHashMap::default(),
            next: Vec::new(),
            docs: Vec::new(),
            generation: Vec::new(),
            inserted: 0,
            free: Vec::new(),
            by_key: FxHashMap::default(),
            order: VecDeque::new(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &DupConfig {
        &self.config
    }

    /// Number of texts held.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether the index holds nothing.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Fingerprints `text` with this index's configuration.
    pub fn fingerprint(&self, text: &str) -> Option<Fingerprint> {
        Fingerprint::of(text, &self.config)
    }

    /// The held texts that `fingerprint` copies (or that copy it), best first, with their overlap.
    pub fn find(&self, fingerprint: &Fingerprint) -> Vec<(K, Overlap)> {
        let (bands, rows) = (self.config.bands, self.config.rows);
        let mut candidates: Vec<u32> = Vec::new();
        for band in 0..bands {
            let Some(&head) = self.heads.get(&fingerprint.band_key(band, rows)) else { continue };
            let mut entry = head;
            while entry != EMPTY {
                candidates.push(entry / bands as u32);
                entry = self.next[entry as usize];
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut found: Vec<(K, Overlap)> = candidates
            .into_iter()
            .filter_map(|slot| {
                let (key, other) = self.docs.get(slot as usize)?.as_ref()?;
                let overlap = fingerprint.overlap(other);
                self.is_copy(&overlap).then_some((*key, overlap))
            })
            .collect();
        found.sort_by(|a, b| b.1.containment.total_cmp(&a.1.containment));
        found
    }

    /// Whether an overlap is large enough to call the two texts copies of one another.
    pub fn is_copy(&self, overlap: &Overlap) -> bool {
        overlap.containment >= self.config.min_containment && overlap.shared >= self.config.min_shared
    }

    /// Adds a text (replacing any held under the same key), evicting the oldest beyond capacity.
    pub fn insert(&mut self, key: K, fingerprint: Fingerprint) {
        self.remove(key);
        while self.by_key.len() >= self.capacity {
            let Some((oldest, generation)) = self.order.pop_front() else { break };
            if self.generation.get(oldest as usize) != Some(&generation) {
                continue;
            }
            if let Some(Some((k, _))) = self.docs.get(oldest as usize) {
                let k = *k;
                self.remove(k);
            }
        }
        let bands = self.config.bands;
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.docs.push(None);
                self.generation.push(0);
                self.next.resize(self.docs.len() * bands, EMPTY);
                (self.docs.len() - 1) as u32
            }
        };
        for band in 0..bands {
            let entry = slot * bands as u32 + band as u32;
            let key = fingerprint.band_key(band, self.config.rows);
            let previous = self.heads.insert(key, entry).unwrap_or(EMPTY);
            self.next[entry as usize] = previous;
        }
        self.docs[slot as usize] = Some((key, fingerprint));
        self.by_key.insert(key, slot);
        self.inserted += 1;
        self.generation[slot as usize] = self.inserted;
        self.order.push_back((slot, self.inserted));
        // Removals leave stale entries in `order`; compact it when they dominate so it stays bounded.
        if self.order.len() > 2 * self.capacity {
            let (docs, generation) = (&self.docs, &self.generation);
            self.order.retain(|&(s, g)| {
                docs.get(s as usize).is_some_and(Option::is_some) && generation.get(s as usize) == Some(&g)
            });
        }
    }

    /// Removes the text held under `key`, if any.
    pub fn remove(&mut self, key: K) -> bool {
        let Some(slot) = self.by_key.remove(&key) else { return false };
        let Some((_, fingerprint)) = self.docs.get_mut(slot as usize).and_then(Option::take) else { return false };
        let bands = self.config.bands;
        for band in 0..bands {
            let entry = slot * bands as u32 + band as u32;
            let band_key = fingerprint.band_key(band, self.config.rows);
            let Some(&head) = self.heads.get(&band_key) else { continue };
            if head == entry {
                let after = self.next[entry as usize];
                if after == EMPTY {
                    self.heads.remove(&band_key);
                } else {
                    self.heads.insert(band_key, after);
                }
            } else {
                let mut cur = head;
                while cur != EMPTY {
                    let after = self.next[cur as usize];
                    if after == entry {
                        self.next[cur as usize] = self.next[entry as usize];
                        break;
                    }
                    cur = after;
                }
            }
            self.next[entry as usize] = EMPTY;
        }
        // The slot's entry in `order` goes stale (its generation no longer matches once reused); eviction
        // skips it.
        self.generation[slot as usize] = 0;
        self.free.push(slot);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The hash of one word, as it was first written (FNV-1a over the lowercased characters).
    fn word_hash(word: &str) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        if word.is_ascii() {
            // Fast path, same hash: an ASCII character lowercases to one ASCII byte.
            for b in word.bytes() {
                h ^= u64::from(b.to_ascii_lowercase());
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            return h;
        }
        for c in word.chars().flat_map(char::to_lowercase) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        h
    }

    /// The words' hashes as they were first computed: each word sliced out, then hashed.
    fn word_hashes_by_slices(text: &str, max_words: usize) -> Vec<u64> {
        let mut out = Vec::new();
        let mut start: Option<usize> = None;
        for (i, c) in text.char_indices() {
            if out.len() >= max_words {
                return out;
            }
            if is_cjk(c) {
                if let Some(s) = start.take() {
                    out.push(word_hash(&text[s..i]));
                }
                out.push(word_hash(&text[i..i + c.len_utf8()]));
            } else if c.is_alphanumeric() {
                start.get_or_insert(i);
            } else if let Some(s) = start.take() {
                out.push(word_hash(&text[s..i]));
            }
        }
        if let Some(s) = start
            && out.len() < max_words
        {
            out.push(word_hash(&text[s..]));
        }
        out
    }

    proptest! {
        #[test]
        fn words_hash_as_they_did_when_hashed_one_slice_at_a_time(
            text in "([A-Za-z0-9'’ ,.\n]|\\PC){0,200}",
            max in 0usize..60,
        ) {
            prop_assert_eq!(word_hashes(&text, max), word_hashes_by_slices(&text, max));
        }
    }

    const TEXT: &str = "The city council voted on Tuesday to extend the tram line to the harbour district, \
        ending a decade of argument over the route. Construction starts next spring and should take three years, \
        the transport department said. Residents of the old warehouse quarter had campaigned for the extension \
        since the last ferry service closed, and shop owners along the planned route welcomed the decision.";

    #[test]
    fn a_copy_with_boilerplate_is_found_and_an_unrelated_text_is_not() {
        let config = DupConfig::default();
        let mut index = DupIndex::new(config.clone(), 10);
        index.insert(1, Fingerprint::of(TEXT, &config).unwrap());
        let copy = format!("Subscribe to our newsletter for more local news. {TEXT} Copyright Example Media.");
        let found = index.find(&Fingerprint::of(&copy, &config).unwrap());
        assert_eq!(found.first().map(|f| f.0), Some(1), "{found:?}");
        let other = "Heavy rain flooded the lower town overnight and the river rose above its banks for the first \
            time since records began; emergency crews moved families from riverside homes to the school hall, and \
            the weather service warned of more storms over the weekend across the whole northern region.";
        assert!(index.find(&Fingerprint::of(other, &config).unwrap()).is_empty());
    }

    #[test]
    fn two_short_reports_quoting_the_same_sentence_are_not_copies() {
        let quote = "\"We will not let the harbour district wait another ten years for a tram that was promised to \
            every family living along the old warehouse streets,\" the mayor told reporters.";
        let a = format!("The tram extension passed the council with a narrow majority on Tuesday evening. {quote}");
        let b = format!("Opposition members walked out before the vote and called the plan a costly mistake. {quote}");
        let config = DupConfig::default();
        let mut index = DupIndex::new(config.clone(), 10);
        index.insert(1, Fingerprint::of(&a, &config).unwrap());
        assert!(index.find(&Fingerprint::of(&b, &config).unwrap()).is_empty());
    }

    #[test]
    fn ascii_words_hash_as_the_general_path_does() {
        let general = |word: &str| {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for c in word.chars().flat_map(char::to_lowercase) {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    h ^= u64::from(b);
                    h = h.wrapping_mul(0x0000_0100_0000_01b3);
                }
            }
            h
        };
        for word in ["", "Tram", "HARBOUR", "council2025", "x"] {
            assert_eq!(word_hash(word), general(word), "{word}");
        }
        assert_eq!(word_hash("Zürich"), general("Zürich"));
    }

    #[test]
    fn short_texts_are_not_fingerprinted() {
        assert!(Fingerprint::of("Tram line extended", &DupConfig::default()).is_none());
    }

    #[test]
    fn cjk_text_is_shingled_by_character() {
        let text = "市议会周二投票决定将有轨电车线路延长至港口区结束了十年来关于路线的争论工程将于明年春天开始";
        assert!(Fingerprint::of(text, &DupConfig::default()).is_some());
    }

    #[test]
    fn eviction_and_removal_keep_the_index_consistent() {
        let config = DupConfig::default();
        let mut index = DupIndex::new(config.clone(), 2);
        let fp = Fingerprint::of(TEXT, &config).unwrap();
        index.insert(1, fp.clone());
        index.insert(2, fp.clone());
        index.insert(3, fp.clone());
        assert_eq!(index.len(), 2);
        let keys: Vec<i32> = index.find(&fp).into_iter().map(|f| f.0).collect();
        assert_eq!(keys.len(), 2);
        assert!(!keys.contains(&1));
        assert!(index.remove(2));
        assert_eq!(index.find(&fp).into_iter().map(|f| f.0).collect::<Vec<_>>(), vec![3]);
        index.insert(4, fp.clone());
        index.insert(5, fp.clone());
        assert_eq!(index.len(), 2);
    }
}
