//! A linear-chain CRF's weights and Viterbi decoding, and the model file that holds them.
//!
//! File layout (little-endian, then gzip): `b"TNER"`, version byte 1; label count (u8) and each label
//! (u8 length, bytes); pass count (u8), then per pass the transition matrix (from × to, f32); the state
//! features: count (u32), then per feature its hash (u64), its weight count (u8) and the (pass u8, label u8,
//! f32) triples; last the gazetteer: count (u32), then per name its kinds (u8), length (u16) and lowercase text,
//! tokens separated by single spaces.

use std::fmt;
use std::io::{Read, Write};

use rustc_hash::FxHashMap;

use super::features::Gazetteer;

/// A model file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError(pub String);

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entity model: {}", self.0)
    }
}

impl std::error::Error for ModelError {}

const MAGIC: &[u8; 5] = b"TNER\x01";

/// The state weights of all passes: feature hash to (pass, label, weight), so one look-up per feature serves
/// every pass (the passes share most features).
#[derive(Debug, Clone, Default)]
pub struct StateWeights {
    index: FxHashMap<u64, (u32, u32)>,
    weights: Vec<(u8, u8, f32)>,
}

impl StateWeights {
    /// From (feature hash, pass, label, weight) entries.
    pub fn new(mut entries: Vec<(u64, u8, u8, f32)>) -> StateWeights {
        entries.sort_by_key(|e| (e.0, e.1, e.2));
        let mut index = FxHashMap::default();
        index.reserve(entries.len());
        let mut weights = Vec::with_capacity(entries.len());
        let mut i = 0;
        while i < entries.len() {
            let h = entries[i].0;
            let start = weights.len() as u32;
            while i < entries.len() && entries[i].0 == h {
                weights.push((entries[i].1, entries[i].2, entries[i].3));
                i += 1;
            }
            index.insert(h, (start, weights.len() as u32));
        }
        StateWeights { index, weights }
    }

    /// Number of features with a weight in `pass`.
    pub fn features(&self, pass: u8) -> usize {
        self.index.values().filter(|&&(a, b)| self.weights[a as usize..b as usize].iter().any(|w| w.0 == pass)).count()
    }

    /// Adds the weights of `feats` to `scores`, laid out pass by pass, `labels` per pass; passes before
    /// `min_pass` are skipped.
    pub fn score(&self, feats: &[u64], labels: usize, min_pass: u8, scores: &mut [f32]) {
        for f in feats {
            if let Some(&(a, b)) = self.index.get(f) {
                for &(p, l, w) in &self.weights[a as usize..b as usize] {
                    if p >= min_pass
                        && let Some(s) = scores.get_mut(usize::from(p) * labels + usize::from(l))
                    {
                        *s += w;
                    }
                }
            }
        }
    }
}

/// The best label sequence for a sentence of `n` tokens, `state[i * labels + y]` being the score of label `y` at
/// token `i` and `transitions[p * labels + y]` that of going from `p` to `y`. `allowed(prev, next)` forbids
/// transitions (`prev` None at the sentence start).
pub fn viterbi(
    n: usize,
    labels: usize,
    state: &[f32],
    transitions: &[f32],
    allowed: &dyn Fn(Option<usize>, usize) -> bool,
) -> Vec<usize> {
    let l = labels;
    if n == 0 || l == 0 || state.len() < n * l || transitions.len() < l * l {
        return vec![0; n];
    }
    let mut delta = vec![0f32; n * l];
    let mut back = vec![0u16; n * l];
    for y in 0..l {
        delta[y] = if allowed(None, y) { state[y] } else { f32::NEG_INFINITY };
    }
    let ok: Vec<bool> = (0..l * l).map(|k| allowed(Some(k / l), k % l)).collect();
    for i in 1..n {
        for y in 0..l {
            let mut best = f32::NEG_INFINITY;
            let mut arg = 0u16;
            for p in 0..l {
                if !ok[p * l + y] {
                    continue;
                }
                let v = delta[(i - 1) * l + p] + transitions[p * l + y];
                if v > best {
                    best = v;
                    arg = p as u16;
                }
            }
            delta[i * l + y] = best + state[i * l + y];
            back[i * l + y] = arg;
        }
    }
    let mut y = (0..l).max_by(|&a, &b| delta[(n - 1) * l + a].total_cmp(&delta[(n - 1) * l + b])).unwrap_or(0);
    let mut out = vec![0usize; n];
    for i in (0..n).rev() {
        out[i] = y;
        y = usize::from(back[i * l + y]);
    }
    out
}

/// Everything a model file holds.
#[derive(Debug, Clone, Default)]
pub struct ModelData {
    /// Label names ("O", "B-PER"...).
    pub labels: Vec<String>,
    /// Per pass (the second sees the first's labels), the transition weights, from × to.
    pub transitions: Vec<Vec<f32>>,
    /// The state weights of all passes.
    pub weights: StateWeights,
    /// Names known by type.
    pub gazetteer: Gazetteer,
}

struct Cursor<'a> {
    b: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        if self.b.len() < n {
            return Err(ModelError("truncated".into()));
        }
        let (a, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, ModelError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn f32(&mut self) -> Result<f32, ModelError> {
        Ok(f32::from_bits(self.u32()?))
    }
    fn u64(&mut self) -> Result<u64, ModelError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn str(&mut self, n: usize) -> Result<&'a str, ModelError> {
        std::str::from_utf8(self.take(n)?).map_err(|_| ModelError("bad UTF-8".into()))
    }
}

impl ModelData {
    /// Reads a gzipped model file.
    pub fn from_gzip(bytes: &[u8]) -> Result<ModelData, ModelError> {
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut raw).map_err(|e| ModelError(format!("gzip: {e}")))?;
        let mut c = Cursor { b: &raw };
        if c.take(MAGIC.len())? != MAGIC {
            return Err(ModelError("not a model file (magic)".into()));
        }
        let n_labels = usize::from(c.u8()?);
        let mut labels = Vec::with_capacity(n_labels);
        for _ in 0..n_labels {
            let len = usize::from(c.u8()?);
            labels.push(c.str(len)?.to_string());
        }
        let n_passes = c.u8()?;
        let mut transitions = Vec::new();
        for _ in 0..n_passes {
            let mut t = Vec::with_capacity(n_labels * n_labels);
            for _ in 0..n_labels * n_labels {
                t.push(c.f32()?);
            }
            transitions.push(t);
        }
        let n_feats = c.u32()? as usize;
        let mut entries = Vec::with_capacity(n_feats * 2);
        for _ in 0..n_feats {
            let h = c.u64()?;
            let k = c.u8()?;
            for _ in 0..k {
                let p = c.u8()?;
                let l = c.u8()?;
                if usize::from(l) >= n_labels || p >= n_passes {
                    return Err(ModelError("label or pass out of range".into()));
                }
                entries.push((h, p, l, c.f32()?));
            }
        }
        let weights = StateWeights::new(entries);
        let n_gaz = c.u32()?;
        let mut gazetteer = Gazetteer::new();
        for _ in 0..n_gaz {
            let mask = c.u8()?;
            let len = usize::from(c.u16()?);
            let text = c.str(len)?;
            gazetteer.add(mask, &text.split(' ').collect::<Vec<_>>());
        }
        if transitions.is_empty() {
            return Err(ModelError("no CRF".into()));
        }
        Ok(ModelData { labels, transitions, weights, gazetteer })
    }

    /// Writes the model file (gzipped).
    pub fn to_gzip(&self) -> std::io::Result<Vec<u8>> {
        let mut w = Vec::new();
        w.extend_from_slice(MAGIC);
        w.push(self.labels.len() as u8);
        for l in &self.labels {
            w.push(l.len() as u8);
            w.extend_from_slice(l.as_bytes());
        }
        w.push(self.transitions.len() as u8);
        for t in &self.transitions {
            for x in t {
                w.extend_from_slice(&x.to_le_bytes());
            }
        }
        let mut keys: Vec<(&u64, &(u32, u32))> = self.weights.index.iter().collect();
        keys.sort_unstable();
        w.extend_from_slice(&(keys.len() as u32).to_le_bytes());
        for (h, &(a, b)) in keys {
            w.extend_from_slice(&h.to_le_bytes());
            w.push((b - a) as u8);
            for &(p, l, x) in &self.weights.weights[a as usize..b as usize] {
                w.push(p);
                w.push(l);
                w.extend_from_slice(&x.to_le_bytes());
            }
        }
        let entries = self.gazetteer.entries();
        w.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        for (text, mask) in entries {
            w.push(mask);
            w.extend_from_slice(&(text.len() as u16).to_le_bytes());
            w.extend_from_slice(text.as_bytes());
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&w)?;
        gz.finish()
    }
}
