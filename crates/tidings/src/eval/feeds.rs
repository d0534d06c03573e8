//! `tidings eval feeds CASES OUT`: runs the feed parser over the feedparser conformance cases and
//! writes one prediction per case in feedparser's result layout, for `bench/feeds/score.py`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use anyhow::Context;
use serde_json::{Value, json};
use tidings_feeds::{ParseOptions, compat};

/// Decodes "text" input the way the reference harness does: by BOM, else as UTF-8.
fn decode_text(bytes: &[u8]) -> String {
    fn utf16(b: &[u8], be: bool) -> String {
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| if be { u16::from_be_bytes([c[0], c[1]]) } else { u16::from_le_bytes([c[0], c[1]]) })
            .collect();
        String::from_utf16_lossy(&units)
    }
    fn utf32(b: &[u8], be: bool) -> String {
        b.chunks_exact(4)
            .map(|c| {
                let v = if be {
                    u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                } else {
                    u32::from_le_bytes([c[0], c[1], c[2], c[3]])
                };
                char::from_u32(v).unwrap_or('\u{fffd}')
            })
            .collect()
    }
    match bytes {
        [0, 0, 0xFE, 0xFF, rest @ ..] => utf32(rest, true),
        [0xFF, 0xFE, 0, 0, rest @ ..] => utf32(rest, false),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, true),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, false),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn header<'a>(headers: &'a Value, name: &str) -> Option<&'a str> {
    headers.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.as_str())
}

/// Parses one case and renders the prediction line's payload (`result` or `error`).
fn predict(case: &Value, dir: &Path) -> Value {
    let file = case.get("file").and_then(Value::as_str).unwrap_or_default();
    let bytes = match std::fs::read(dir.join(file)) {
        Ok(b) => b,
        Err(e) => return json!({ "file": file, "error": format!("reading {file}: {e}") }),
    };
    let headers = case.get("headers").cloned().unwrap_or(Value::Null);
    let http = case.get("http").and_then(Value::as_bool).unwrap_or(false);
    let opts = ParseOptions {
        content_type: header(&headers, "content-type").map(str::to_string),
        base_url: if http { case.get("url").and_then(Value::as_str).map(str::to_string) } else { None },
        content_language: header(&headers, "content-language").map(str::to_string),
        content_location: header(&headers, "content-location").map(str::to_string),
    };
    let text_input = case.get("input").and_then(Value::as_str) == Some("text");
    let parsed = catch_unwind(AssertUnwindSafe(|| {
        if text_input {
            tidings_feeds::parse_str(&decode_text(&bytes), &opts)
        } else {
            tidings_feeds::parse(&bytes, &opts)
        }
    }));
    match parsed {
        Ok(Ok(feed)) => json!({ "file": file, "result": compat::feedparser_view(&feed) }),
        // feedparser never refuses input: unreadable documents come back empty and bozo.
        Ok(Err(e)) => json!({ "file": file, "result": compat::error_view(&e, if text_input { "utf-8" } else { "" }) }),
        Err(_) => json!({ "file": file, "error": "parser panicked" }),
    }
}

/// Runs every case in `cases` (JSON lines; feed paths relative to its folder) and writes the
/// predictions to `out`. Returns a one-line summary.
pub fn run(cases: &Path, out: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(cases).with_context(|| format!("reading cases file {}", cases.display()))?;
    let dir = cases.parent().unwrap_or(Path::new("."));
    let mut w = BufWriter::new(File::create(out).with_context(|| format!("creating {}", out.display()))?);
    let (mut n, mut refused, mut panicked, mut bozo) = (0usize, 0usize, 0usize, 0usize);
    let started = std::time::Instant::now();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let case: Value =
            serde_json::from_str(line).with_context(|| format!("{}:{}: invalid JSON", cases.display(), i + 1))?;
        let pred = predict(&case, dir);
        n += 1;
        match pred.get("result") {
            Some(r) => {
                bozo += usize::from(r.get("bozo").and_then(Value::as_bool).unwrap_or(false));
                refused += usize::from(
                    r.get("version").and_then(Value::as_str) == Some("")
                        && r["entries"].as_array().is_some_and(Vec::is_empty)
                        && r["feed"].as_object().is_some_and(|f| f.is_empty()),
                );
            }
            None => panicked += usize::from(pred.get("error").and_then(Value::as_str) == Some("parser panicked")),
        }
        serde_json::to_writer(&mut w, &pred)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(format!(
        "eval feeds: {n} cases in {:.2}s, {bozo} bozo, {refused} unreadable, {panicked} panics; predictions in {}",
        started.elapsed().as_secs_f64(),
        out.display()
    ))
}
