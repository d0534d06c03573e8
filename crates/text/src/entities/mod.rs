//! Named entities: people, organisations, places and other names in English news text.
//!
//! A linear-chain CRF over token-text features ([`features`]), trained on news (see `tools/ner/README.md`),
//! run in two passes: the second sees the first's labels for the same words elsewhere in the article, so that
//! a name keeps one type throughout. The weights ship in the crate (`models/ner-en.bin`).
//!
//! ```
//! use tidings_text::entities::{entities, EntityKind};
//! let found = entities("Angela Merkel met bankers from Deutsche Bank in Munich on Tuesday.");
//! assert!(found.iter().any(|m| m.text == "Munich" && m.kind == EntityKind::Place));
//! ```

pub mod features;
pub mod model;
pub mod tokenise;

use std::sync::OnceLock;

use features::{Document, LOC, MISC, ORG, PER};
pub use model::ModelError;
use model::{ModelData, viterbi};

/// The kind of a named entity: the domain's own type, so mentions need no translation on their way to the store.
pub use tidings_core::EntityKind;

/// The CoNLL type name of a kind: PER, ORG, LOC, MISC.
pub fn conll(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Person => "PER",
        EntityKind::Organisation => "ORG",
        EntityKind::Place => "LOC",
        EntityKind::Other => "MISC",
    }
}

/// The gazetteer bit of a kind.
fn bit(kind: EntityKind) -> u8 {
    match kind {
        EntityKind::Person => PER,
        EntityKind::Organisation => ORG,
        EntityKind::Place => LOC,
        EntityKind::Other => MISC,
    }
}

fn from_conll(s: &str) -> Option<EntityKind> {
    match s {
        "PER" => Some(EntityKind::Person),
        "ORG" => Some(EntityKind::Organisation),
        "LOC" => Some(EntityKind::Place),
        "MISC" => Some(EntityKind::Other),
        _ => None,
    }
}

/// The label of one token (BIO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    /// Not part of a name.
    Outside,
    /// The first token of a name.
    Begin(EntityKind),
    /// A following token of a name.
    Inside(EntityKind),
}

impl Tag {
    /// The BIO label: "O", "B-PER", "I-LOC"...
    pub fn bio(self) -> String {
        match self {
            Tag::Outside => "O".to_string(),
            Tag::Begin(k) => format!("B-{}", conll(k)),
            Tag::Inside(k) => format!("I-{}", conll(k)),
        }
    }

    /// The kind of name, if any.
    pub fn kind(self) -> Option<EntityKind> {
        match self {
            Tag::Outside => None,
            Tag::Begin(k) | Tag::Inside(k) => Some(k),
        }
    }

    fn parse(label: &str) -> Option<Tag> {
        if label == "O" {
            return Some(Tag::Outside);
        }
        let (pre, kind) = label.split_once('-')?;
        let kind = from_conll(kind)?;
        match pre {
            "B" => Some(Tag::Begin(kind)),
            "I" => Some(Tag::Inside(kind)),
            _ => None,
        }
    }
}

/// A name found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// The name as written.
    pub text: String,
    /// Its kind.
    pub kind: EntityKind,
    /// Byte offset of its start in the text.
    pub start: usize,
    /// Byte offset of its end in the text.
    pub end: usize,
}

/// A trained tagger. Load once ([`EntityTagger::english`]) and share: tagging takes `&self`.
#[derive(Debug)]
pub struct EntityTagger {
    model: ModelData,
    tags: Vec<Tag>,
}

static ENGLISH_MODEL: &[u8] = include_bytes!("../../models/ner-en.bin");

impl EntityTagger {
    /// The English tagger shipped with the crate, loaded on first use.
    pub fn english() -> Result<&'static EntityTagger, ModelError> {
        static TAGGER: OnceLock<Result<EntityTagger, ModelError>> = OnceLock::new();
        TAGGER.get_or_init(|| EntityTagger::from_bytes(ENGLISH_MODEL)).as_ref().map_err(Clone::clone)
    }

    /// A tagger from a model file's bytes (for tools that train and compare models).
    pub fn from_bytes(bytes: &[u8]) -> Result<EntityTagger, ModelError> {
        EntityTagger::from_model(ModelData::from_gzip(bytes)?)
    }

    /// A tagger from a model's parts.
    pub fn from_model(model: ModelData) -> Result<EntityTagger, ModelError> {
        let tags = model
            .labels
            .iter()
            .map(|l| Tag::parse(l).ok_or_else(|| ModelError(format!("unknown label {l:?}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(EntityTagger { model, tags })
    }

    /// The model's parts.
    pub fn model(&self) -> &ModelData {
        &self.model
    }

    /// Tags a document given as sentences of tokens (already tokenised the CoNLL way). The whole document
    /// informs each token's tag: pass a whole article at once.
    pub fn tag_document<S: AsRef<str>>(&self, sentences: &[Vec<S>]) -> Vec<Vec<Tag>> {
        self.tag_passes(sentences, self.model.transitions.len())
    }

    /// Tags with only the first `passes` passes (1 or 2), for measuring what the second adds.
    pub fn tag_passes<S: AsRef<str>>(&self, sentences: &[Vec<S>], passes: usize) -> Vec<Vec<Tag>> {
        let m = &self.model;
        let l = self.tags.len();
        let passes = passes.clamp(1, m.transitions.len());
        let width = l * passes;
        let doc = Document::new(sentences);
        let local = doc.local_features(&m.gazetteer);
        // State scores of every token for every pass, from the features all passes share.
        let mut scores: Vec<Vec<f32>> = sentences.iter().map(|s| vec![0f32; s.len() * width]).collect();
        for (s, sc) in scores.iter_mut().enumerate() {
            for (t, row) in sc.chunks_mut(width).enumerate() {
                m.weights.score(local.token(s, t), l, 0, row);
            }
        }
        let allowed = |prev: Option<usize>, next: usize| match self.tags[next] {
            Tag::Inside(k) => prev.is_some_and(|p| self.tags[p].kind() == Some(k)),
            _ => true,
        };
        let mut labels: Vec<Vec<usize>> = Vec::with_capacity(sentences.len());
        for pass in 0..passes {
            if pass > 0 {
                let first: Vec<Vec<(u8, bool)>> = labels
                    .iter()
                    .map(|s| {
                        s.iter()
                            .map(|&y| match self.tags[y] {
                                Tag::Outside => (0, false),
                                Tag::Begin(k) => (bit(k), true),
                                Tag::Inside(k) => (bit(k), false),
                            })
                            .collect()
                    })
                    .collect();
                let extra = doc.second_pass_features(&first);
                for (s, sc) in scores.iter_mut().enumerate() {
                    for (t, row) in sc.chunks_mut(width).enumerate() {
                        m.weights.score(extra.token(s, t), l, pass as u8, row);
                    }
                }
            }
            let trans = &m.transitions[pass];
            labels = scores
                .iter()
                .map(|sc| {
                    let n = sc.len() / width;
                    let state: Vec<f32> =
                        sc.chunks(width).flat_map(|row| row[pass * l..(pass + 1) * l].iter().copied()).collect();
                    viterbi(n, l, &state, trans, &allowed)
                })
                .collect();
        }
        labels.into_iter().map(|s| s.into_iter().map(|y| self.tags[y]).collect()).collect()
    }

    /// Tags one sentence on its own.
    pub fn tag_tokens(&self, tokens: &[&str]) -> Vec<Tag> {
        self.tag_document(&[tokens.to_vec()]).pop().unwrap_or_default()
    }

    /// The names in raw text (an article: its sentences are tagged together).
    pub fn mentions(&self, text: &str) -> Vec<Mention> {
        let spans = tokenise::sentences(text);
        let words: Vec<Vec<&str>> = spans.iter().map(|s| s.iter().map(|&(a, b)| &text[a..b]).collect()).collect();
        let tags = self.tag_document(&words);
        let mut out = Vec::new();
        for (sent, tags) in spans.iter().zip(&tags) {
            let mut open: Option<(EntityKind, usize, usize)> = None;
            for (&(a, b), &tag) in sent.iter().zip(tags) {
                match tag {
                    Tag::Inside(k) if open.is_some_and(|(ok, _, _)| ok == k) => {
                        if let Some(o) = open.as_mut() {
                            o.2 = b;
                        }
                    }
                    Tag::Outside => {
                        if let Some((k, s, e)) = open.take() {
                            out.push(Mention { text: text[s..e].to_string(), kind: k, start: s, end: e });
                        }
                    }
                    Tag::Begin(k) | Tag::Inside(k) => {
                        if let Some((k0, s, e)) = open.take() {
                            out.push(Mention { text: text[s..e].to_string(), kind: k0, start: s, end: e });
                        }
                        open = Some((k, a, b));
                    }
                }
            }
            if let Some((k, s, e)) = open {
                out.push(Mention { text: text[s..e].to_string(), kind: k, start: s, end: e });
            }
        }
        out
    }
}

/// The names in raw English text, with the shipped model. Empty if the model cannot be loaded (which tests
/// rule out).
pub fn entities(text: &str) -> Vec<Mention> {
    EntityTagger::english().map(|t| t.mentions(text)).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn shipped_model_loads() {
        let t = EntityTagger::english().unwrap();
        assert!(t.model().weights.features(0) > 1000);
        assert!(t.model().gazetteer.len() > 1000);
    }

    fn found(text: &str) -> Vec<(String, EntityKind)> {
        entities(text).into_iter().map(|m| (m.text, m.kind)).collect()
    }

    #[test]
    fn tags_invented_sentences() {
        use EntityKind::*;
        let cases: &[(&str, &[(&str, EntityKind)])] = &[
            (
                "Angela Merkel met bankers from Deutsche Bank in Munich on Tuesday.",
                &[("Angela Merkel", Person), ("Deutsche Bank", Organisation), ("Munich", Place)],
            ),
            (
                "Prime Minister John Carter flew to Washington to meet officials of the World Bank.",
                &[("John Carter", Person), ("Washington", Place), ("World Bank", Organisation)],
            ),
            (
                "Toyota said on Friday that its sales in Brazil rose 4 percent, and Carter's aides agreed.",
                &[("Toyota", Organisation), ("Brazil", Place), ("Carter", Person)],
            ),
        ];
        for (text, want) in cases {
            let want: Vec<(String, EntityKind)> = want.iter().map(|(s, k)| (s.to_string(), *k)).collect();
            assert_eq!(found(text), want, "{text}");
        }
    }

    #[test]
    fn mentions_have_offsets_into_the_text() {
        let text = "“We will stay,” said Maria Okafor, head of Lagos-based Dangote Cement.";
        for m in entities(text) {
            assert_eq!(&text[m.start..m.end], m.text);
        }
    }
}
