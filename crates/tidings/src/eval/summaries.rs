//! `tidings eval summaries IN OUT`: summarises the articles of IN (`{id, text}` per line; any other field is
//! ignored) and writes `{"id", "summary"}` per article, the summary's sentences separated by line breaks, for
//! `bench/summaries/score.py`.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use serde_json::{Value, json};
use tidings_text::summary::{SummaryConfig, summarize_with};

fn id_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Summarises with the default configuration; returns a one-line report.
pub fn run(input: &Path, out: &Path) -> anyhow::Result<String> {
    run_with(input, out, &SummaryConfig::default(), |text| {
        summarize_with(None, text, &SummaryConfig::default()).lines()
    })
}

/// Summarises every article with `summarise`; returns a one-line report (`config` only names the settings).
pub fn run_with(
    input: &Path,
    out: &Path,
    _config: &SummaryConfig,
    summarise: impl Fn(&str) -> String,
) -> anyhow::Result<String> {
    let reader = BufReader::new(File::open(input).with_context(|| format!("opening {}", input.display()))?);
    let mut w = BufWriter::new(File::create(out).with_context(|| format!("creating {}", out.display()))?);
    let (mut n, mut empty, mut secs) = (0usize, 0usize, 0f64);
    for (line_no, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", input.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: invalid JSON", input.display(), line_no + 1))?;
        let text = v.get("text").and_then(Value::as_str).unwrap_or("");
        let start = Instant::now();
        let summary = summarise(text);
        secs += start.elapsed().as_secs_f64();
        n += 1;
        if summary.is_empty() {
            empty += 1;
        }
        let id = v.get("id").map(id_string).unwrap_or_default();
        writeln!(w, "{}", json!({"id": id, "summary": summary}))
            .with_context(|| format!("writing {}", out.display()))?;
    }
    w.flush().with_context(|| format!("writing {}", out.display()))?;
    Ok(format!(
        "summaries: {n} articles ({empty} without a summary) in {:.3}s ({:.0} articles/s)",
        secs,
        n as f64 / secs.max(1e-9)
    ))
}
