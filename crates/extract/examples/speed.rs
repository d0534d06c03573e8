//! Times `tidings_extract::extract` per page, one thread, parsing included: `speed DIR [ROUNDS]`.
//! Prints one JSON object: per-page milliseconds (the median of the rounds) keyed by page id.
//! `bench/extraction_speed.py` runs this next to trafilatura on the same pages.
use std::io::Read;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| ".".into());
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
    let mut pages = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)?.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    names.sort();
    for path in names {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_owned();
        if !(name.ends_with(".html") || name.ends_with(".html.gz")) {
            continue;
        }
        let raw = std::fs::read(&path)?;
        let bytes = if name.ends_with(".gz") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out)?;
            out
        } else {
            raw
        };
        pages.push((name.split('.').next().unwrap_or("").to_owned(), bytes));
    }
    let opts = tidings_extract::ExtractOptions::default();
    let mut times = vec![Vec::with_capacity(rounds); pages.len()];
    let mut words = 0usize;
    for _ in 0..rounds {
        for (i, (_, bytes)) in pages.iter().enumerate() {
            let t = Instant::now();
            let article = tidings_extract::extract(bytes, &opts);
            times[i].push(t.elapsed().as_secs_f64() * 1000.0);
            words += article.map(|a| a.word_count).unwrap_or(0);
        }
    }
    let mut out = serde_json::Map::new();
    for ((id, _), mut t) in pages.iter().zip(times) {
        t.sort_by(f64::total_cmp);
        out.insert(id.clone(), serde_json::json!(t[t.len() / 2]));
    }
    eprintln!("{} pages x {rounds} rounds, {words} words", pages.len());
    println!("{}", serde_json::Value::Object(out));
    Ok(())
}
