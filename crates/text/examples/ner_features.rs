//! Training and evaluation harness for the entity tagger (see tools/ner/README.md).
//!
//! - `dump IN.conll OUT.txt --gaz TRAIN.conll [--folds K] [--pass1 TAGS]`: features per token in crfsuite's
//!   text layout (`LABEL\tHASH\tHASH...`, a blank line after each sentence, `#doc` before each document),
//!   labels converted to BIO. With `--folds K` (IN being TRAIN), each document's gazetteer is built from the
//!   documents of the other folds, so the CRF learns how far a gazetteer match can be trusted on unseen text.
//!   `--pass1` gives first-pass labels (one per token line, blank lines between sentences) for the second pass.
//! - `pack --gaz TRAIN.conll --out MODEL W1.txt [W2.txt]`: builds a model file from weights written by train.py.
//! - `tag MODEL IN.conll OUT.conll [PASSES]`: what `tidings eval entities` does, with any model file.
//! - `bench MODEL IN.conll`: tagging speed.
#![allow(missing_docs)]

#[path = "../../tidings/src/eval/entities.rs"]
#[allow(dead_code)]
mod entities;

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use entities::{Line, documents, read_conll, token};
use tidings_text::entities::EntityTagger;
use tidings_text::entities::features::{Document, Gazetteer, LOC, MISC, ORG, PER};
use tidings_text::entities::model::{ModelData, StateWeights};

const LABELS: [&str; 9] = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"];

struct Doc {
    words: Vec<Vec<String>>,
    /// Gold labels as in the file (IOB1).
    gold: Vec<Vec<String>>,
}

fn load(path: &Path) -> anyhow::Result<Vec<Doc>> {
    let lines = read_conll(path)?;
    let docs = documents(&lines);
    Ok(docs
        .iter()
        .map(|d| {
            let mut words = Vec::new();
            let mut gold = Vec::new();
            for s in d {
                let mut w = Vec::new();
                let mut g = Vec::new();
                for &i in s {
                    if let Line::Token(l) = &lines[i] {
                        w.push(token(l).to_string());
                        g.push(l.split_whitespace().last().unwrap_or("O").to_string());
                    }
                }
                words.push(w);
                gold.push(g);
            }
            Doc { words, gold }
        })
        .collect())
}

fn kind_bit(kind: &str) -> u8 {
    match kind {
        "PER" => PER,
        "ORG" => ORG,
        "LOC" => LOC,
        _ => MISC,
    }
}

/// IOB1 (or BIO) to BIO.
fn bio(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    let mut prev_kind: Option<&str> = None;
    for t in tags {
        if t == "O" {
            out.push("O".into());
            prev_kind = None;
            continue;
        }
        let (pre, kind) = t.split_once('-').unwrap_or(("I", "MISC"));
        if pre == "B" || prev_kind != Some(kind) {
            out.push(format!("B-{kind}"));
        } else {
            out.push(format!("I-{kind}"));
        }
        prev_kind = Some(kind);
    }
    out
}

/// The entities (kind, tokens) of a sentence.
fn spans(words: &[String], tags: &[String]) -> Vec<(u8, Vec<String>)> {
    let b = bio(tags);
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if let Some(kind) = b[i].strip_prefix("B-") {
            let mut j = i + 1;
            while j < b.len() && b[j].strip_prefix("I-") == Some(kind) {
                j += 1;
            }
            out.push((kind_bit(kind), words[i..j].to_vec()));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

fn gazetteer(docs: &[Doc], skip: impl Fn(usize) -> bool) -> Gazetteer {
    let mut g = Gazetteer::new();
    for (d, doc) in docs.iter().enumerate() {
        if skip(d) {
            continue;
        }
        for (w, t) in doc.words.iter().zip(&doc.gold) {
            for (k, toks) in spans(w, t) {
                g.add(k, &toks);
            }
        }
    }
    g
}

fn kinds(labels: &[String]) -> Vec<(u8, bool)> {
    labels
        .iter()
        .map(|l| match l.split_once('-') {
            Some((pre, k)) => (kind_bit(k), pre == "B"),
            None => (0, false),
        })
        .collect()
}

fn read_pass1(path: &Path) -> anyhow::Result<Vec<Vec<String>>> {
    let mut out = vec![Vec::new()];
    for line in BufReader::new(File::open(path)?).lines() {
        let line = line?;
        let line = line.trim();
        if line.is_empty() {
            if out.last().is_some_and(|s| !s.is_empty()) {
                out.push(Vec::new());
            }
        } else {
            if let Some(s) = out.last_mut() {
                s.push(line.to_string());
            }
        }
    }
    out.retain(|s| !s.is_empty());
    Ok(out)
}

fn dump(args: &[String]) -> anyhow::Result<()> {
    let [input, out, rest @ ..] = args else { bail!("usage: dump IN OUT --gaz TRAIN [--folds K] [--pass1 TAGS]") };
    let mut gaz_path = None;
    let mut folds = 0usize;
    let mut pass1 = None;
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--gaz" => gaz_path = it.next().cloned(),
            "--folds" => folds = it.next().context("--folds K")?.parse()?,
            "--pass1" => pass1 = it.next().cloned(),
            other => bail!("unknown option {other}"),
        }
    }
    let docs = load(Path::new(input))?;
    let gaz_docs = load(Path::new(&gaz_path.context("--gaz is required")?))?;
    let full = gazetteer(&gaz_docs, |_| false);
    let fold_gaz: Vec<Gazetteer> = (0..folds).map(|k| gazetteer(&gaz_docs, |d| d % folds == k)).collect();
    let pass1 = pass1.map(|p| read_pass1(Path::new(&p))).transpose()?;
    let mut next_sentence = 0usize;
    let mut w = BufWriter::new(File::create(out)?);
    for (d, doc) in docs.iter().enumerate() {
        let g = if folds > 0 { &fold_gaz[d % folds] } else { &full };
        let first: Option<Vec<Vec<(u8, bool)>>> = pass1
            .as_ref()
            .map(|p| doc.words.iter().enumerate().map(|(s, _)| kinds(&p[next_sentence + s])).collect::<Vec<_>>());
        if let Some(f) = &first {
            for (s, words) in doc.words.iter().enumerate() {
                if f[s].len() != words.len() {
                    bail!("pass-1 labels do not line up with document {d}, sentence {s}");
                }
            }
        }
        next_sentence += doc.words.len();
        let document = Document::new(&doc.words);
        let local = document.local_features(g);
        let extra = first.as_ref().map(|f| document.second_pass_features(f));
        writeln!(w, "#doc")?;
        for (s, (words, gold)) in doc.words.iter().zip(&doc.gold).enumerate() {
            let labels = bio(gold);
            for (t, label) in labels.iter().enumerate().take(words.len()) {
                write!(w, "{label}")?;
                let more = extra.as_ref().map(|e| e.token(s, t)).unwrap_or(&[]);
                for f in local.token(s, t).iter().chain(more) {
                    write!(w, "\t{f:016x}")?;
                }
                writeln!(w)?;
            }
            writeln!(w)?;
        }
    }
    w.flush()?;
    Ok(())
}

type PassWeights = (Vec<f32>, Vec<(u64, u8, f32)>);

fn read_weights(path: &Path) -> anyhow::Result<PassWeights> {
    let mut labels: Vec<String> = Vec::new();
    let mut transitions = vec![0f32; LABELS.len() * LABELS.len()];
    let mut state = Vec::new();
    let index = |labels: &[String], l: &str| -> anyhow::Result<usize> {
        let name = labels.get(l.parse::<usize>()?).context("label index")?;
        LABELS.iter().position(|x| x == name).with_context(|| format!("unknown label {name}"))
    };
    for line in BufReader::new(File::open(path)?).lines() {
        let line = line?;
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            ["labels", rest @ ..] => labels = rest.iter().map(|s| s.to_string()).collect(),
            ["t", a, b, x] => {
                let (a, b) = (index(&labels, a)?, index(&labels, b)?);
                transitions[a * LABELS.len() + b] = x.parse()?;
            }
            ["f", h, l, x] => state.push((u64::from_str_radix(h, 16)?, index(&labels, l)? as u8, x.parse()?)),
            _ => bail!("bad weights line {line:?}"),
        }
    }
    Ok((transitions, state))
}

fn pack(args: &[String]) -> anyhow::Result<()> {
    let mut gaz_path = None;
    let mut out = None;
    let mut weights = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--gaz" => gaz_path = it.next().cloned(),
            "--out" => out = it.next().cloned(),
            w => weights.push(w.to_string()),
        }
    }
    let gaz_docs = load(Path::new(&gaz_path.context("--gaz is required")?))?;
    let passes = weights.iter().map(|w| read_weights(Path::new(w))).collect::<anyhow::Result<Vec<_>>>()?;
    let mut transitions = Vec::new();
    let mut entries = Vec::new();
    for (p, (t, state)) in passes.into_iter().enumerate() {
        transitions.push(t);
        entries.extend(state.into_iter().map(|(h, l, w)| (h, p as u8, l, w)));
    }
    let model = ModelData {
        labels: LABELS.iter().map(|s| s.to_string()).collect(),
        transitions,
        weights: StateWeights::new(entries),
        gazetteer: gazetteer(&gaz_docs, |_| false),
    };
    let bytes = model.to_gzip()?;
    let out = out.context("--out is required")?;
    std::fs::write(&out, &bytes)?;
    // Check that it reads back.
    let back = EntityTagger::from_bytes(&bytes)?;
    eprintln!(
        "{out}: {} bytes, passes with {:?} features, {} names",
        bytes.len(),
        (0..back.model().transitions.len()).map(|p| back.model().weights.features(p as u8)).collect::<Vec<_>>(),
        back.model().gazetteer.len()
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("dump") => dump(&args[1..]),
        Some("pack") => pack(&args[1..]),
        Some("tag") => {
            let [model, input, out, rest @ ..] = &args[1..] else { bail!("usage: tag MODEL IN OUT [PASSES]") };
            let tagger = EntityTagger::from_bytes(&std::fs::read(model)?)?;
            let passes = rest.first().map(|p| p.parse()).transpose()?.unwrap_or(usize::MAX);
            let summary = entities::run_with(&tagger, Path::new(input), Path::new(out), passes)?;
            eprintln!("{summary}");
            Ok(())
        }
        Some("text") => {
            let [model] = &args[1..] else { bail!("usage: text MODEL < TEXT") };
            let tagger = EntityTagger::from_bytes(&std::fs::read(model)?)?;
            let text = std::io::read_to_string(std::io::stdin())?;
            for m in tagger.mentions(&text) {
                println!("{}\t{}", tidings_text::entities::conll(m.kind), m.text);
            }
            Ok(())
        }
        Some("bench") => {
            let [model, input] = &args[1..] else { bail!("usage: bench MODEL IN") };
            let tagger = EntityTagger::from_bytes(&std::fs::read(model)?)?;
            let docs = load(Path::new(input))?;
            let tokens: usize = docs.iter().map(|d| d.words.iter().map(Vec::len).sum::<usize>()).sum();
            // CPU time of this thread (the machine is shared, so wall time overstates).
            let cpu = || -> f64 {
                std::fs::read_to_string("/proc/thread-self/schedstat")
                    .ok()
                    .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse::<f64>().ok()))
                    .map_or(f64::NAN, |ns| ns / 1e9)
            };
            let mut best = f64::MAX;
            let mut best_wall = f64::MAX;
            for _ in 0..5 {
                let t = Instant::now();
                let c = cpu();
                let mut n = 0usize;
                for d in &docs {
                    n += tagger.tag_document(&d.words).len();
                }
                std::hint::black_box(n);
                best = best.min(cpu() - c);
                best_wall = best_wall.min(t.elapsed().as_secs_f64());
            }
            println!(
                "{} documents, {tokens} tokens: best of 5 {:.3}s CPU ({best_wall:.3}s wall), {:.0} tokens/s, {:.3} ms per 600 tokens",
                docs.len(),
                best,
                tokens as f64 / best,
                600.0 * best * 1000.0 / tokens as f64
            );
            Ok(())
        }
        _ => bail!("usage: ner_features dump|pack|tag|bench ..."),
    }
}
