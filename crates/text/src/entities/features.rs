//! The features of the entity tagger, defined once: the runtime tagger and the training dump
//! (`examples/ner_features.rs`) both call [`Document`], so a model can never see features at run
//! time that were computed differently from those it was trained on.
//!
//! A feature is a 64-bit hash of a template number and its values (words, shapes, affixes...), so no string is
//! built per feature: the model maps these hashes to weights. Only the token text is used (no part of speech),
//! since real articles come without any.
//!
//! Besides the usual local features (word, shape, affixes, capitalisation, the two words and shapes either
//! side, bigrams), there are:
//! - gazetteer features: the token lies in a phrase listed as a person, organisation, place or other name
//!   (lists built from the training data and shipped with the model);
//! - document features: how the same word is written elsewhere in the document (lowercase, capitalised
//!   mid-sentence, all capitals), which tells a name in an all-caps headline or at a sentence start from an
//!   ordinary word, and the words around its other occurrences;
//! - second-pass features (when a first pass's labels are given): the labels given to the same word elsewhere
//!   in the document, so that one name gets one type throughout an article.

use rustc_hash::FxHashMap;

/// Bit of a person name in gazetteer masks and label kinds.
pub const PER: u8 = 1;
/// Bit of an organisation name.
pub const ORG: u8 = 2;
/// Bit of a place name.
pub const LOC: u8 = 4;
/// Bit of any other name (events, nationalities, works...).
pub const MISC: u8 = 8;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over bytes: fixed forever, since model files store hashes computed with it.
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

fn fnv_char(h: u64, c: char) -> u64 {
    let mut buf = [0u8; 4];
    fnv(h, c.encode_utf8(&mut buf).as_bytes())
}

/// The hash of a string, as stored in models.
pub fn hash_str(s: &str) -> u64 {
    fnv(FNV_OFFSET, s.as_bytes())
}

/// The hash of a string's lowercase form, without building it.
pub fn hash_lower(s: &str) -> u64 {
    s.chars().flat_map(char::to_lowercase).fold(FNV_OFFSET, fnv_char)
}

/// Combines two hashes (order matters), with a splitmix64 finish so that nearby inputs spread.
fn mix(a: u64, b: u64) -> u64 {
    let mut x = a ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Feature templates. The numbers are part of the model format: add new ones at the end, never renumber.
#[derive(Clone, Copy)]
#[repr(u64)]
enum T {
    Bias = 1,
    Word,
    Exact,
    Shape,
    LongShape,
    Prefix,
    Suffix,
    Case,
    Flags,
    Length,
    SentStart,
    CapsSentence,
    WordAt,
    ShapeAt,
    BigramPrev,
    BigramNext,
    ShapeTri,
    ShapeBiPrev,
    ShapeBiNext,
    PrevWordShape,
    ShapeNextWord,
    GazPhrase,
    GazWord,
    DocCase,
    DocCaseOwn,
    DocCount,
    AggPrev,
    AggNext,
    P2Self,
    P2Other,
    P2Major,
    P2OtherLong,
    P2Around,
    WordCaps,
    SuffixAt,
}

#[inline]
fn f1(t: T, a: u64) -> u64 {
    mix(t as u64, a)
}

#[inline]
fn f2(t: T, a: u64, b: u64) -> u64 {
    mix(mix(t as u64, a), b)
}

#[inline]
fn f3(t: T, a: u64, b: u64, c: u64) -> u64 {
    mix(mix(mix(t as u64, a), b), c)
}

/// How a token is capitalised.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Case {
    /// No letters (numbers, punctuation).
    NoLetter = 0,
    /// Every letter lowercase.
    Lower = 1,
    /// First letter uppercase, the others lowercase (or a single capital).
    Title = 2,
    /// Two or more letters, all uppercase.
    Upper = 3,
    /// Anything else ("McDonald", "iPhone").
    Mixed = 4,
}

impl Case {
    /// The capitalisation of `s`.
    pub fn of(s: &str) -> Case {
        let mut letters = 0usize;
        let mut upper = 0usize;
        let mut first_upper = false;
        let mut rest_upper = false;
        for c in s.chars() {
            if c.is_alphabetic() {
                let u = c.is_uppercase();
                if letters == 0 {
                    first_upper = u;
                } else if u {
                    rest_upper = true;
                }
                letters += 1;
                upper += usize::from(u);
            }
        }
        if letters == 0 {
            Case::NoLetter
        } else if upper == 0 {
            Case::Lower
        } else if letters >= 2 && upper == letters {
            Case::Upper
        } else if first_upper && !rest_upper {
            Case::Title
        } else {
            Case::Mixed
        }
    }

    /// Starts with a capital or is all capitals: could be (part of) a name.
    pub fn capitalised(self) -> bool {
        matches!(self, Case::Title | Case::Upper | Case::Mixed)
    }
}

fn shape_class(c: char) -> char {
    if c.is_uppercase() {
        'X'
    } else if c.is_lowercase() || c.is_alphabetic() {
        'x'
    } else if c.is_numeric() {
        'd'
    } else {
        c
    }
}

/// What is computed once per token and reused by every feature that mentions it.
#[derive(Clone, Debug)]
struct Tok {
    lower: u64,
    exact: u64,
    shape: u64,
    long_shape: u64,
    prefix: [u64; 4],
    suffix: [u64; 4],
    n_prefix: usize,
    case: Case,
    flags: u64,
    length: u64,
}

impl Tok {
    fn new(s: &str) -> Tok {
        let mut shape = FNV_OFFSET;
        let mut long_shape = FNV_OFFSET;
        let mut last = '\0';
        let mut run = 0usize;
        let mut prefix = [0u64; 4];
        let mut n_prefix = 0usize;
        let mut p = FNV_OFFSET;
        let mut tail = ['\0'; 4];
        let mut n = 0usize;
        let (mut digit, mut hyphen, mut period, mut apos, mut alnum) = (false, false, false, false, false);
        for c in s.chars() {
            let k = shape_class(c);
            if k == last {
                run += 1;
            } else {
                run = 1;
                last = k;
                shape = fnv_char(shape, k);
            }
            if run <= 4 {
                long_shape = fnv_char(long_shape, k);
            }
            for l in c.to_lowercase() {
                if n_prefix < 4 {
                    p = fnv_char(p, l);
                    prefix[n_prefix] = p;
                    n_prefix += 1;
                }
                tail.rotate_left(1);
                tail[3] = l;
                n += 1;
            }
            digit |= c.is_numeric();
            hyphen |= c == '-';
            period |= c == '.';
            apos |= c == '\'';
            alnum |= c.is_alphanumeric();
        }
        let mut suffix = [0u64; 4];
        for (k, slot) in suffix.iter_mut().enumerate().take(n.min(4)) {
            // The last k+1 characters.
            *slot = tail[3 - k..].iter().fold(FNV_OFFSET, |h, &c| fnv_char(h, c));
        }
        let flags = u64::from(digit)
            | u64::from(hyphen) << 1
            | u64::from(period) << 2
            | u64::from(apos) << 3
            | u64::from(!alnum) << 4;
        let length = match n {
            0..=4 => n as u64,
            5..=6 => 5,
            7..=9 => 7,
            _ => 10,
        };
        Tok {
            lower: hash_lower(s),
            exact: hash_str(s),
            shape,
            long_shape,
            prefix,
            suffix,
            n_prefix,
            case: Case::of(s),
            flags,
            length,
        }
    }
}

const BOUNDARY: u64 = 0x5eed_0000_0000_0001;

/// Lists of names by type, matched case-insensitively over token sequences.
#[derive(Default, Clone, Debug)]
pub struct Gazetteer {
    entries: FxHashMap<String, u8>,
    phrases: FxHashMap<u64, u8>,
    words: FxHashMap<u64, u8>,
    max_len: usize,
}

/// The longest phrase matched in a gazetteer, in tokens.
const GAZ_MAX_LEN: usize = 8;

impl Gazetteer {
    /// An empty gazetteer.
    pub fn new() -> Gazetteer {
        Gazetteer::default()
    }

    /// Adds a name of the kinds in `mask` (bits [`PER`], [`ORG`], [`LOC`], [`MISC`]) made of `tokens`.
    pub fn add<S: AsRef<str>>(&mut self, mask: u8, tokens: &[S]) {
        if tokens.is_empty() || tokens.len() > GAZ_MAX_LEN {
            return;
        }
        let key = tokens.iter().map(|t| t.as_ref().to_lowercase()).collect::<Vec<_>>().join(" ");
        *self.entries.entry(key).or_insert(0) |= mask;
        let mut h = BOUNDARY;
        for t in tokens {
            let w = hash_lower(t.as_ref());
            h = mix(h, w);
            *self.words.entry(w).or_insert(0) |= mask;
        }
        *self.phrases.entry(h).or_insert(0) |= mask;
        self.max_len = self.max_len.max(tokens.len());
    }

    /// The names, lowercased with tokens joined by spaces, and their kinds; sorted, for storing.
    pub fn entries(&self) -> Vec<(&str, u8)> {
        let mut v: Vec<(&str, u8)> = self.entries.iter().map(|(k, &m)| (k.as_str(), m)).collect();
        v.sort_unstable();
        v
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No names.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The features of one document, flat: token `t` of sentence `s` has
/// `feats[offsets[s][t] as usize..offsets[s][t + 1] as usize]`.
#[derive(Default, Debug, Clone)]
pub struct DocFeatures {
    /// Feature hashes of all tokens of the document.
    pub feats: Vec<u64>,
    /// Per sentence, the start of each token's features and, last, the end of the sentence's.
    pub offsets: Vec<Vec<u32>>,
}

impl DocFeatures {
    /// The features of token `t` of sentence `s`.
    pub fn token(&self, s: usize, t: usize) -> &[u64] {
        let o = &self.offsets[s];
        &self.feats[o[t] as usize..o[t + 1] as usize]
    }
}

/// How a word is written in the document, per occurrence kind.
#[derive(Default, Clone, Copy)]
struct DocWord {
    /// Counts of: lowercase; capitalised mid-sentence; capitalised at a sentence start; all capitals mid-sentence
    /// (each in sentences that are not all capitals), and all occurrences.
    counts: [u16; 5],
}

fn occurrence_kind(case: Case, sentence_start: bool, caps_sentence: bool) -> Option<usize> {
    if caps_sentence {
        return None;
    }
    match case {
        Case::Lower => Some(0),
        Case::Title | Case::Mixed if !sentence_start => Some(1),
        Case::Title | Case::Mixed => Some(2),
        Case::Upper if !sentence_start => Some(3),
        _ => None,
    }
}

/// Sentences mostly in capitals: headlines, where capitals say nothing about names.
fn is_caps_sentence(toks: &[Tok]) -> bool {
    let mut words = 0usize;
    let mut upper = 0usize;
    for t in toks {
        match t.case {
            Case::Upper => {
                words += 1;
                upper += 1;
            }
            Case::Lower | Case::Mixed => words += 1,
            // Single letters ("A") are ambiguous.
            Case::Title => {}
            Case::NoLetter => {}
        }
    }
    words > 0 && upper * 5 >= words * 4
}

/// Kind of a label for the second pass: 0 none, else one of the kind bits.
pub type LabelKind = u8;

/// A document's tokens and what is known about each word across the document, from which the features of
/// each pass are computed.
pub struct Document {
    toks: Vec<Vec<Tok>>,
    caps: Vec<bool>,
    words: FxHashMap<u64, DocWord>,
    /// Where each capitalised word occurs (at most a dozen places).
    places: FxHashMap<u64, Vec<(u32, u32)>>,
}

impl Document {
    /// A document of `sentences` of tokens.
    pub fn new<S: AsRef<str>>(sentences: &[Vec<S>]) -> Document {
        let toks: Vec<Vec<Tok>> = sentences.iter().map(|s| s.iter().map(|w| Tok::new(w.as_ref())).collect()).collect();
        let caps: Vec<bool> = toks.iter().map(|s| is_caps_sentence(s)).collect();
        let mut words: FxHashMap<u64, DocWord> = FxHashMap::default();
        let mut places: FxHashMap<u64, Vec<(u32, u32)>> = FxHashMap::default();
        for (si, sent) in toks.iter().enumerate() {
            for (ti, t) in sent.iter().enumerate() {
                let w = words.entry(t.lower).or_default();
                if let Some(k) = occurrence_kind(t.case, ti == 0, caps[si]) {
                    w.counts[k] = w.counts[k].saturating_add(1);
                }
                w.counts[4] = w.counts[4].saturating_add(1);
                if t.case.capitalised() {
                    let v = places.entry(t.lower).or_default();
                    if v.len() < 12 {
                        v.push((si as u32, ti as u32));
                    }
                }
            }
        }
        Document { toks, caps, words, places }
    }

    /// The features of the first pass: everything but the first pass's labels.
    pub fn local_features(&self, gazetteer: &Gazetteer) -> DocFeatures {
        let toks = &self.toks;
        let mut out = DocFeatures::default();
        out.feats.reserve(toks.iter().map(Vec::len).sum::<usize>() * 40);
        let mut gaz: Vec<(u32, u64)> = Vec::new();
        for (si, sent) in toks.iter().enumerate() {
            let n = sent.len();
            let caps_sent = self.caps[si];
            // Gazetteer matches: (token, feature).
            gaz.clear();
            for i in 0..n {
                if !sent[i].case.capitalised() {
                    continue;
                }
                let mut h = BOUNDARY;
                for len in 1..=gazetteer.max_len.min(n - i) {
                    h = mix(h, sent[i + len - 1].lower);
                    let Some(&mask) = gazetteer.phrases.get(&h) else { continue };
                    for bit in [PER, ORG, LOC, MISC] {
                        if mask & bit == 0 {
                            continue;
                        }
                        for k in 0..len {
                            let pos = if len == 1 {
                                0
                            } else if k == 0 {
                                1
                            } else if k == len - 1 {
                                3
                            } else {
                                2
                            };
                            gaz.push(((i + k) as u32, f2(T::GazPhrase, u64::from(bit), pos)));
                        }
                    }
                }
            }
            gaz.sort_unstable();
            gaz.dedup();
            let mut g = 0;
            let mut offs = Vec::with_capacity(n + 1);
            for i in 0..n {
                offs.push(out.feats.len() as u32);
                let buf = &mut out.feats;
                let t = &sent[i];
                let word_at = |d: isize| -> u64 {
                    let j = i as isize + d;
                    if j < 0 || j >= n as isize { BOUNDARY ^ (d as u64) } else { sent[j as usize].lower }
                };
                let shape_at = |d: isize| -> u64 {
                    let j = i as isize + d;
                    if j < 0 || j >= n as isize { BOUNDARY ^ (d as u64) } else { sent[j as usize].shape }
                };
                buf.push(T::Bias as u64);
                buf.push(f1(T::Word, t.lower));
                buf.push(f1(T::Exact, t.exact));
                buf.push(f1(T::Shape, t.shape));
                buf.push(f1(T::LongShape, t.long_shape));
                for k in 0..t.n_prefix.min(4) {
                    buf.push(f2(T::Prefix, k as u64, t.prefix[k]));
                    buf.push(f2(T::Suffix, k as u64, t.suffix[k]));
                }
                buf.push(f1(T::Case, t.case as u64));
                buf.push(f1(T::Flags, t.flags));
                buf.push(f1(T::Length, t.length));
                if i == 0 {
                    buf.push(f1(T::SentStart, t.case as u64));
                }
                if caps_sent {
                    buf.push(f1(T::CapsSentence, t.case as u64));
                    buf.push(f1(T::WordCaps, t.lower));
                }
                for d in [-2isize, -1, 1, 2] {
                    buf.push(f2(T::WordAt, d as u64, word_at(d)));
                    buf.push(f2(T::ShapeAt, d as u64, shape_at(d)));
                }
                for d in [-1isize, 1] {
                    let j = i as isize + d;
                    if j >= 0 && j < n as isize {
                        let s = &sent[j as usize];
                        if s.n_prefix >= 3 {
                            buf.push(f2(T::SuffixAt, d as u64, s.suffix[2]));
                        }
                    }
                }
                buf.push(f2(T::BigramPrev, word_at(-1), t.lower));
                buf.push(f2(T::BigramNext, t.lower, word_at(1)));
                buf.push(f3(T::ShapeTri, shape_at(-1), t.shape, shape_at(1)));
                buf.push(f2(T::ShapeBiPrev, shape_at(-1), t.shape));
                buf.push(f2(T::ShapeBiNext, t.shape, shape_at(1)));
                buf.push(f2(T::PrevWordShape, word_at(-1), t.shape));
                buf.push(f2(T::ShapeNextWord, t.shape, word_at(1)));
                while g < gaz.len() && gaz[g].0 as usize == i {
                    buf.push(gaz[g].1);
                    g += 1;
                }
                if t.case.capitalised()
                    && let Some(&mask) = gazetteer.words.get(&t.lower)
                {
                    for bit in [PER, ORG, LOC, MISC] {
                        if mask & bit != 0 {
                            buf.push(f1(T::GazWord, u64::from(bit)));
                        }
                    }
                }

                // How the word is written elsewhere in the document.
                if let Some(w) = self.words.get(&t.lower) {
                    let mut counts = w.counts;
                    if let Some(k) = occurrence_kind(t.case, i == 0, caps_sent) {
                        counts[k] -= 1;
                    }
                    let mut any = false;
                    for (k, &c) in counts[..4].iter().enumerate() {
                        if c > 0 {
                            any = true;
                            buf.push(f1(T::DocCase, k as u64));
                            buf.push(f2(T::DocCaseOwn, k as u64, t.case as u64));
                        }
                    }
                    if !any {
                        buf.push(f1(T::DocCase, 9));
                        buf.push(f2(T::DocCaseOwn, 9, t.case as u64));
                    }
                    let others = counts[4].saturating_sub(1);
                    let bucket = match others {
                        0..=2 => u64::from(others),
                        3..=5 => 3,
                        _ => 6,
                    };
                    if t.case.capitalised() {
                        buf.push(f1(T::DocCount, bucket));
                    }
                }

                // The words around the other capitalised occurrences of this word.
                if t.case.capitalised()
                    && let Some(ps) = self.places.get(&t.lower)
                {
                    let from = buf.len();
                    for &(s2, t2) in ps {
                        let (s2, t2) = (s2 as usize, t2 as usize);
                        if s2 == si && t2 == i {
                            continue;
                        }
                        let other = &toks[s2];
                        let prev = if t2 == 0 { BOUNDARY } else { other[t2 - 1].lower };
                        let next = if t2 + 1 == other.len() { BOUNDARY ^ 1 } else { other[t2 + 1].lower };
                        buf.push(f1(T::AggPrev, prev));
                        buf.push(f1(T::AggNext, next));
                    }
                    dedup_tail(buf, from);
                }
            }
            offs.push(out.feats.len() as u32);
            out.offsets.push(offs);
        }
        out
    }

    /// The features that the second pass adds to the local ones: the first pass's labels (kind, or 0, and
    /// whether it begins a name) of this token, its neighbours and the same word elsewhere in the document.
    pub fn second_pass_features(&self, first_pass: &[Vec<(LabelKind, bool)>]) -> DocFeatures {
        let labels = first_pass;
        // The length of the first-pass entity each token lies in.
        let lens: Vec<Vec<usize>> = labels
            .iter()
            .map(|sent| {
                let mut lens = vec![0usize; sent.len()];
                let mut i = 0;
                while i < sent.len() {
                    let (k, _) = sent[i];
                    if k == 0 {
                        i += 1;
                        continue;
                    }
                    let mut j = i + 1;
                    while j < sent.len() && sent[j].0 == k && !sent[j].1 {
                        j += 1;
                    }
                    for l in &mut lens[i..j] {
                        *l = j - i;
                    }
                    i = j;
                }
                lens
            })
            .collect();
        let label = |s: usize, t: usize| labels.get(s).and_then(|x| x.get(t)).copied().unwrap_or((0, false));
        let mut out = DocFeatures::default();
        for (si, sent) in self.toks.iter().enumerate() {
            let n = sent.len();
            let mut offs = Vec::with_capacity(n + 1);
            for (i, t) in sent.iter().enumerate() {
                offs.push(out.feats.len() as u32);
                let buf = &mut out.feats;
                let (own, own_b) = label(si, i);
                buf.push(f2(T::P2Self, u64::from(own), u64::from(own_b)));
                let before = if i == 0 { 99 } else { u64::from(label(si, i - 1).0) };
                let after = if i + 1 == n { 99 } else { u64::from(label(si, i + 1).0) };
                buf.push(f3(T::P2Around, before, u64::from(own), after));
                if t.case.capitalised()
                    && let Some(ps) = self.places.get(&t.lower)
                {
                    let from = buf.len();
                    let mut tally = [0u16; 16];
                    for &(s2, t2) in ps {
                        let (s2, t2) = (s2 as usize, t2 as usize);
                        if s2 == si && t2 == i {
                            continue;
                        }
                        let k = label(s2, t2).0;
                        tally[usize::from(k & 15)] += 1;
                        buf.push(f1(T::P2Other, u64::from(k)));
                        if k != 0 && lens.get(s2).and_then(|l| l.get(t2)).is_some_and(|&l| l > 1) {
                            buf.push(f1(T::P2OtherLong, u64::from(k)));
                        }
                    }
                    if let Some((k, _)) =
                        tally.iter().enumerate().filter(|(_, c)| **c > 0).max_by_key(|(k, c)| (**c, usize::MAX - k))
                    {
                        buf.push(f1(T::P2Major, k as u64));
                    }
                    dedup_tail(buf, from);
                }
            }
            offs.push(out.feats.len() as u32);
            out.offsets.push(offs);
        }
        out
    }
}

/// Sorts and dedups `buf[from..]`: a feature is present or not, never counted twice.
fn dedup_tail(buf: &mut Vec<u64>, from: usize) {
    if buf.len() - from < 2 {
        return;
    }
    buf[from..].sort_unstable();
    let mut w = from + 1;
    for r in from + 1..buf.len() {
        if buf[r] != buf[w - 1] {
            buf[w] = buf[r];
            w += 1;
        }
    }
    buf.truncate(w);
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn case_classes() {
        assert_eq!(Case::of("hello"), Case::Lower);
        assert_eq!(Case::of("Hello"), Case::Title);
        assert_eq!(Case::of("NATO"), Case::Upper);
        assert_eq!(Case::of("McDonald"), Case::Mixed);
        assert_eq!(Case::of("1996-08-22"), Case::NoLetter);
        assert_eq!(Case::of("I"), Case::Title);
    }

    #[test]
    fn lower_hash_matches_lowercased_string() {
        assert_eq!(hash_lower("Ünïcode ABC"), hash_str(&"Ünïcode ABC".to_lowercase()));
    }

    #[test]
    fn features_are_deterministic_and_per_token() {
        let doc = vec![vec!["Anna", "Lindqvist", "visited", "Oslo", "."], vec!["Lindqvist", "left", "."]];
        let mut g = Gazetteer::new();
        g.add(LOC, &["Oslo"]);
        let a = Document::new(&doc).local_features(&g);
        let b = Document::new(&doc).local_features(&g);
        assert_eq!(a.feats, b.feats);
        assert_eq!(a.offsets.len(), 2);
        assert_eq!(a.offsets[0].len(), 6);
        let oslo = a.token(0, 3);
        assert!(oslo.contains(&f2(T::GazPhrase, u64::from(LOC), 0)));
        assert!(!a.token(0, 2).contains(&f2(T::GazPhrase, u64::from(LOC), 0)));
    }
}
