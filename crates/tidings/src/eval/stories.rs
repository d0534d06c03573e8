//! `tidings eval stories IN OUT`: clusters the articles of IN (`{id, title, text, outlet, published}` per
//! line; any gold `story` field is ignored) online in file order and writes `{"id", "story"}` per article,
//! for `bench/stories/score.py`.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use tidings_text::{ClusterConfig, ClusterInput, StoryClusterer};

fn parse_date(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str()?;
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?.and_hms_opt(0, 0, 0).map(|d| d.and_utc())
}

fn id_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs the clusterer with the default configuration; returns a one-line summary.
pub fn run(input: &Path, out: &Path) -> anyhow::Result<String> {
    run_with(input, out, ClusterConfig::default())
}

/// Runs the clusterer with `config`; returns a one-line summary.
pub fn run_with(input: &Path, out: &Path, config: ClusterConfig) -> anyhow::Result<String> {
    let reader = BufReader::new(File::open(input).with_context(|| format!("opening {}", input.display()))?);
    let mut rows = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", input.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value =
            serde_json::from_str(&line).with_context(|| format!("{}:{}: invalid JSON", input.display(), n + 1))?;
        rows.push(v);
    }
    let mut clusterer = StoryClusterer::new(config);
    let start = Instant::now();
    let mut assigned = Vec::with_capacity(rows.len());
    for v in &rows {
        let text = |k: &str| v.get(k).and_then(Value::as_str);
        let input = ClusterInput {
            title: text("title").unwrap_or(""),
            text: text("text").unwrap_or(""),
            outlet: text("outlet"),
            published: v.get("published").and_then(parse_date),
        };
        assigned.push(clusterer.add(&input));
    }
    let secs = start.elapsed().as_secs_f64();
    let mut w = BufWriter::new(File::create(out).with_context(|| format!("creating {}", out.display()))?);
    for (v, sid) in rows.iter().zip(&assigned) {
        let id = v.get("id").map(id_string).unwrap_or_default();
        let story = clusterer.resolve(*sid).to_string();
        writeln!(w, "{}", json!({"id": id, "story": story})).with_context(|| format!("writing {}", out.display()))?;
    }
    w.flush().with_context(|| format!("writing {}", out.display()))?;
    let n = rows.len();
    Ok(format!(
        "stories: {n} articles into {} stories in {:.2}s ({:.0} articles/s)",
        clusterer.stories(),
        secs,
        n as f64 / secs.max(1e-9)
    ))
}
