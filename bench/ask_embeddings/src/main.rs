//! Embeds every sentence of the demo articles (after its article's title) and every question of the Ask sets with
//! paraphrase-MiniLM-L3-v2 (the pocket-encoder crate), and writes one line per question: its set, whether the
//! rules (`tidings_text::ask::answer`, all articles) cited a right first sentence, and for every sentence its
//! cosine with the question, whether it is a right one and whether the rules cited it first. `score.py` reads it.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tidings_text::ask::{Answer, Passage, answer};
use tidings_text::sentences::{dateline_len, split_sentences};

const SETS: [&str; 5] = ["ask.jsonl", "ask-heldout.jsonl", "ask-heldout2.jsonl", "ask-heldout3.jsonl", "ask-heldout4.jsonl"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// (`outlet/slug`, passage) for every demo article page, as the Ask test extracts them.
fn articles() -> Vec<(String, Passage)> {
    let mut pages = Vec::new();
    for outlet in std::fs::read_dir(repo().join("crates/tidings/demo")).unwrap() {
        let dir = outlet.unwrap().path().join("articles");
        if dir.is_dir() {
            for page in std::fs::read_dir(&dir).unwrap() {
                let page = page.unwrap().path();
                if page.extension().is_some_and(|e| e == "html") {
                    pages.push(page);
                }
            }
        }
    }
    pages.sort();
    let base = "http://127.0.0.1:8080";
    pages
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let outlet = path.parent().unwrap().parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
            let slug = path.file_stem().unwrap().to_string_lossy().into_owned();
            let html = std::fs::read_to_string(path).unwrap().replace("{{BASE}}", base);
            let options = tidings_extract::ExtractOptions {
                url: Some(format!("{base}/{outlet}/articles/{slug}.html")),
                ..Default::default()
            };
            let article = tidings_extract::extract(html.as_bytes(), &options).unwrap();
            let passage = Passage {
                article_id: i as i64,
                title: article.title.unwrap_or_default(),
                text: article.text,
                published: article.published,
            };
            (format!("{outlet}/{slug}"), passage)
        })
        .collect()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "/tmp/ask-embeddings.jsonl".into());
    let articles = articles();
    let passages: Vec<Passage> = articles.iter().map(|(_, p)| p.clone()).collect();
    // (article index, sentence), the sentences the rules may cite (four words or more, datelines off).
    let mut sentences = Vec::new();
    for (i, (_, p)) in articles.iter().enumerate() {
        for span in split_sentences(&p.text) {
            let text = span.text(&p.text);
            let text = &text[dateline_len(text)..];
            if text.split_whitespace().count() >= 4 {
                sentences.push((i, text.to_owned()));
            }
        }
    }
    let encoder = pocket_encoder::Encoder::new().unwrap();
    let clock = std::time::Instant::now();
    let titled: Vec<String> = sentences.iter().map(|(i, s)| format!("{}. {s}", articles[*i].1.title)).collect();
    let embedded: Vec<Vec<f32>> = titled.chunks(256).flat_map(|chunk| encoder.embed(chunk).unwrap()).collect();
    let per_sentence = clock.elapsed().as_secs_f64() * 1000.0 / sentences.len() as f64;
    eprintln!("{} sentences, {per_sentence:.1} ms each", sentences.len());

    let mut lines = String::new();
    for set in SETS {
        let text = std::fs::read_to_string(repo().join("crates/text/tests/fixtures").join(set)).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let case: Value = serde_json::from_str(line).unwrap();
            let question = case["question"].as_str().unwrap();
            let answers: Vec<(&str, &str)> = case["answers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| (a["article"].as_str().unwrap(), a["contains"].as_str().unwrap()))
                .collect();
            let right = |i: usize, s: &str| answers.iter().any(|(a, c)| (*a == "*" || *a == articles[i].0) && s.contains(c));
            let q = &encoder.embed(&[question]).unwrap()[0];
            let cited = match answer(question, &passages) {
                Answer::Answered { sentences } => sentences.first().map(|c| (c.article_id as usize, c.sentence.clone())),
                Answer::NoAnswer => None,
            };
            let rows: Vec<Value> = sentences
                .iter()
                .zip(&embedded)
                .map(|((i, s), e)| {
                    let by_rules = cited.as_ref().is_some_and(|(ci, cs)| ci == i && (cs.contains(s.as_str()) || s.contains(cs.as_str())));
                    json!([dot(q, e), right(*i, s), by_rules])
                })
                .collect();
            let rules_right = cited.as_ref().map(|(i, s)| right(*i, s));
            let row = json!({"id": case["id"], "set": set, "answerable": !answers.is_empty(), "rules": rules_right, "sentences": rows});
            lines.push_str(&row.to_string());
            lines.push('\n');
        }
    }
    std::fs::write(&out, lines).unwrap();
    eprintln!("wrote {out}");
}
