//! Parses a corpus folder repeatedly, for profiling.
fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "/tmp/synth".into());
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if let Ok(b) = std::fs::read(e.path()) {
            files.push(b);
        }
    }
    let opts = tidings_feeds::ParseOptions::default();
    let mut n = 0;
    for _ in 0..2 {
        for f in &files {
            n += tidings_feeds::parse(f, &opts).map(|f| f.entries.len()).unwrap_or(0);
        }
    }
    println!("{n}");
}
