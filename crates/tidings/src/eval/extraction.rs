//! `tidings eval extraction DIR OUT`: extracts every page of a benchmark folder and writes the
//! `{"id","text"}` lines its scorer reads.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Extracts every `.html` / `.html.gz` file under `dir` (recursively) and writes one `{"id","text"}` line
/// per file to `out`, the id being the file name up to its first dot. A page that fails (or panics)
/// still gets a line with empty text, so the scorer counts it as a miss rather than skipping it.
pub fn run(dir: &Path, out: &Path) -> anyhow::Result<String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if is_page(&path) {
                files.push(path);
            }
        }
    }
    files.sort();
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut w = BufWriter::new(file);
    let (mut ok, mut failed, mut panicked) = (0usize, 0usize, 0usize);
    let started = std::time::Instant::now();
    for path in &files {
        let id =
            path.file_name().and_then(|n| n.to_str()).and_then(|n| n.split('.').next()).unwrap_or_default().to_owned();
        let bytes = read_page(path)?;
        let result =
            std::panic::catch_unwind(|| tidings_extract::extract(&bytes, &tidings_extract::ExtractOptions::default()));
        let text = match result {
            Ok(Ok(article)) => {
                ok += 1;
                article.text
            }
            Ok(Err(e)) => {
                failed += 1;
                eprintln!("{}: {e}", path.display());
                String::new()
            }
            Err(_) => {
                panicked += 1;
                eprintln!("{}: extractor panicked", path.display());
                String::new()
            }
        };
        serde_json::to_writer(&mut w, &serde_json::json!({ "id": id, "text": text }))?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(format!(
        "extraction: {} pages, {ok} extracted, {failed} errors, {panicked} panics, {:.1} s → {}",
        files.len(),
        started.elapsed().as_secs_f64(),
        out.display()
    ))
}

fn is_page(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".html") || name.ends_with(".html.gz") || name.ends_with(".htm")
}

fn read_page(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    let raw = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .with_context(|| format!("decompressing {}", path.display()))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}
