//! `tidings eval entities IN OUT`: tags a CoNLL file (token first on each line, other columns ignored) with
//! the shipped entity tagger and writes every line of IN with the predicted tag (BIO) appended, for
//! `bench/entities/score.py`. `-DOCSTART-` and blank lines are copied as they are; the sentences between two
//! `-DOCSTART-` lines are tagged together, as one article.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use tidings_text::entities::EntityTagger;

/// One line of a CoNLL file.
pub enum Line {
    /// `-DOCSTART-`, kept as written.
    DocStart(String),
    /// A blank line: the end of a sentence.
    Blank,
    /// A token line, kept as written; its first column is the token.
    Token(String),
}

/// Reads the lines of a CoNLL file.
pub fn read_conll(path: &Path) -> anyhow::Result<Vec<Line>> {
    let reader = BufReader::new(File::open(path).with_context(|| format!("opening {}", path.display()))?);
    let mut lines = Vec::new();
    for line in reader.lines() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        let trimmed = line.trim_end().to_string();
        lines.push(if trimmed.is_empty() {
            Line::Blank
        } else if trimmed.starts_with("-DOCSTART-") {
            Line::DocStart(trimmed)
        } else {
            Line::Token(trimmed)
        });
    }
    Ok(lines)
}

/// The documents of a CoNLL file: per document its sentences, per sentence the indices of its token lines.
pub fn documents(lines: &[Line]) -> Vec<Vec<Vec<usize>>> {
    let mut docs: Vec<Vec<Vec<usize>>> = vec![Vec::new()];
    let mut sent: Vec<usize> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match line {
            Line::Token(_) => sent.push(i),
            Line::Blank | Line::DocStart(_) => {
                if !sent.is_empty()
                    && let Some(d) = docs.last_mut()
                {
                    d.push(std::mem::take(&mut sent));
                }
                if matches!(line, Line::DocStart(_)) && docs.last().is_some_and(|d| !d.is_empty()) {
                    docs.push(Vec::new());
                }
            }
        }
    }
    if !sent.is_empty()
        && let Some(d) = docs.last_mut()
    {
        d.push(sent);
    }
    docs.retain(|d| !d.is_empty());
    docs
}

/// The token of a token line (its first column).
pub fn token(line: &str) -> &str {
    line.split_whitespace().next().unwrap_or("")
}

/// Tags with the shipped English model; returns a one-line summary.
pub fn run(input: &Path, out: &Path) -> anyhow::Result<String> {
    let tagger = EntityTagger::english().context("loading the entity model")?;
    run_with(tagger, input, out, usize::MAX)
}

/// Tags with `tagger`, running at most `passes` of its passes; returns a one-line summary.
pub fn run_with(tagger: &EntityTagger, input: &Path, out: &Path, passes: usize) -> anyhow::Result<String> {
    let lines = read_conll(input)?;
    let docs = documents(&lines);
    let mut predicted: Vec<Option<String>> = (0..lines.len()).map(|_| None).collect();
    let started = Instant::now();
    let mut n_tokens = 0usize;
    for doc in &docs {
        let words: Vec<Vec<&str>> = doc
            .iter()
            .map(|s| {
                s.iter()
                    .map(|&i| match &lines[i] {
                        Line::Token(l) => token(l),
                        _ => "",
                    })
                    .collect()
            })
            .collect();
        let tags = tagger.tag_passes(&words, passes);
        for (sent, tags) in doc.iter().zip(tags) {
            n_tokens += sent.len();
            for (&i, tag) in sent.iter().zip(tags) {
                predicted[i] = Some(tag.bio());
            }
        }
    }
    let elapsed = started.elapsed();
    let mut w = BufWriter::new(File::create(out).with_context(|| format!("creating {}", out.display()))?);
    for (line, tag) in lines.iter().zip(&predicted) {
        match line {
            Line::DocStart(l) => writeln!(w, "{l}")?,
            Line::Blank => writeln!(w)?,
            Line::Token(l) => writeln!(w, "{l} {}", tag.as_deref().unwrap_or("O"))?,
        }
    }
    w.flush()?;
    Ok(format!(
        "tagged {} documents, {n_tokens} tokens in {:.2}s ({:.0} tokens/s)",
        docs.len(),
        elapsed.as_secs_f64(),
        n_tokens as f64 / elapsed.as_secs_f64().max(1e-9)
    ))
}
