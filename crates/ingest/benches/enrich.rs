//! Enrichment speed: language, summary and key points, topics and entities for every demo article (the 41
//! English and Spanish pages of `crates/tidings/demo`, extracted as ingestion does), on one thread, repeated
//! until a few seconds have passed. The bar: at least 300 articles a second, so enrichment never holds
//! ingestion back.
//!
//! Run: `cargo bench -p tidings-ingest --bench enrich`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use tidings_core::EnrichmentJob;

fn demo_articles() -> Vec<EnrichmentJob> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tidings/demo");
    let mut pages = Vec::new();
    for outlet in std::fs::read_dir(&root).unwrap().flatten() {
        let dir = outlet.path().join("articles");
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for page in entries.flatten() {
            pages.push((outlet.file_name().to_string_lossy().into_owned(), page.path()));
        }
    }
    pages.sort();
    pages
        .iter()
        .enumerate()
        .map(|(i, (outlet, path))| {
            let html = std::fs::read_to_string(path).unwrap().replace("{{BASE}}", "http://127.0.0.1:8080");
            let options = tidings_extract::ExtractOptions {
                url: Some(format!("http://127.0.0.1:8080/{outlet}/articles/x.html")),
                ..Default::default()
            };
            let article = tidings_extract::extract(html.as_bytes(), &options).unwrap();
            EnrichmentJob {
                id: i as i64,
                title: article.title.unwrap_or_default(),
                text: article.text,
                declared_language: None,
                category: None,
            }
        })
        .collect()
}

fn main() {
    let articles = demo_articles();
    // Loads the models outside the timing.
    let _ = tidings_ingest::enrich::enrich(&articles[0]);
    measure("demo articles", &articles);
    // Demo articles are short; news articles run to 600 words and more. Three consecutive demo articles
    // joined make one of about 700 words (the entity and summary work grows with the length).
    let long: Vec<EnrichmentJob> = (0..articles.len())
        .map(|i| {
            let parts: Vec<&str> = (0..3).map(|k| articles[(i + k) % articles.len()].text.as_str()).collect();
            EnrichmentJob { text: parts.join("\n\n"), ..articles[i].clone() }
        })
        .collect();
    measure("long articles (three demo articles joined)", &long);
}

fn measure(what: &str, articles: &[EnrichmentJob]) {
    let words: usize = articles.iter().map(|a| a.text.split_whitespace().count()).sum();
    println!("{what}: {}, {:.0} words on average", articles.len(), words as f64 / articles.len() as f64);

    let mut done = 0usize;
    let mut slowest = Duration::ZERO;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        for job in articles {
            let one = Instant::now();
            std::hint::black_box(tidings_ingest::enrich::enrich(std::hint::black_box(job)));
            slowest = slowest.max(one.elapsed());
            done += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "enrichment: {done} articles in {elapsed:.2} s = {:.0} articles/s on one thread (bar: 300); mean {:.2} ms, \
         slowest {:.2} ms",
        done as f64 / elapsed,
        elapsed * 1000.0 / done as f64,
        slowest.as_secs_f64() * 1000.0
    );
}
