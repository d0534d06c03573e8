//! Trains the topic classifier on `crates/text/data/topics/*.txt` and writes `crates/text/models/topics-en.tsv`,
//! which the library ships (`include_str!`); a unit test checks that the two agree.
//!
//! `cargo run --release -p tidings-text --example train_topics` trains and writes the model, after reporting
//! held-out accuracy by 5-fold cross-validation (each fold holds out 20% of every topic);
//! `-- --cv-only` only reports.
#![allow(missing_docs)]

use std::path::Path;
use tidings_text::topics::{Example, TEXT_THRESHOLD, Topic, TopicModel, TrainConfig, load_corpus};

const FOLDS: usize = 5;

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = load_corpus(&root.join("data/topics"))?;
    // Overrides for tuning; the shipped model uses the defaults (the reproduction test retrains with them).
    let mut config = TrainConfig::default();
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<f64>().ok());
    if let Some(v) = env("TOPICS_EPOCHS") {
        config.epochs = v as usize;
    }
    if let Some(v) = env("TOPICS_LR") {
        config.learning_rate = v;
    }
    if let Some(v) = env("TOPICS_L2") {
        config.l2 = v;
    }
    if let Some(v) = env("TOPICS_PRUNE") {
        config.prune_below = v;
    }
    println!("corpus: {} examples", corpus.len());
    for topic in Topic::TEXT {
        print!("{}={} ", topic.slug(), corpus.iter().filter(|e| e.topic == topic).count());
    }
    println!();

    // Stratified folds: the i-th example of each topic goes to fold i % FOLDS.
    let mut fold_of = vec![0; corpus.len()];
    for topic in Topic::TEXT {
        for (i, (n, _)) in corpus.iter().enumerate().filter(|(_, e)| e.topic == topic).enumerate() {
            fold_of[n] = i % FOLDS;
        }
    }
    let (mut correct, mut confident, mut confident_correct) = (0, 0, 0);
    let mut second = 0;
    let thresholds = [0.3f32, 0.4, 0.5, 0.6];
    let mut at = [(0usize, 0usize); 4];
    let mut confusion = [[0usize; 9]; 9];
    for fold in 0..FOLDS {
        let train: Vec<Example> =
            corpus.iter().zip(&fold_of).filter(|(_, f)| **f != fold).map(|(e, _)| e.clone()).collect();
        let model = TopicModel::train(&train, &config);
        for (e, _) in corpus.iter().zip(&fold_of).filter(|(_, f)| **f == fold) {
            let (topic, p) = model.predict(&e.title, &e.text);
            let mut ps = model.probabilities(&e.title, &e.text);
            ps.sort_by(|a, b| b.1.total_cmp(&a.1));
            second += usize::from(ps[1].1 >= 0.3);
            for (t, a) in thresholds.iter().zip(&mut at) {
                if p >= *t {
                    a.0 += 1;
                    a.1 += usize::from(topic == e.topic);
                }
            }
            let want = Topic::TEXT.iter().position(|t| *t == e.topic).unwrap_or(0);
            let got = Topic::TEXT.iter().position(|t| *t == topic).unwrap_or(0);
            confusion[want][got] += 1;
            correct += usize::from(topic == e.topic);
            if p >= TEXT_THRESHOLD {
                confident += 1;
                confident_correct += usize::from(topic == e.topic);
            }
        }
    }
    let n = corpus.len() as f64;
    println!("{FOLDS}-fold cross-validation (20% held out per fold):");
    println!("  top-1 accuracy: {:.1}% ({correct}/{})", 100.0 * correct as f64 / n, corpus.len());
    println!(
        "  at the {TEXT_THRESHOLD} threshold: {:.1}% of articles get a text topic, {:.1}% of those right",
        100.0 * confident as f64 / n,
        100.0 * confident_correct as f64 / confident.max(1) as f64
    );
    for (t, (k, ok)) in thresholds.iter().zip(at) {
        println!(
            "    threshold {t}: coverage {:.1}%, precision {:.1}%",
            100.0 * k as f64 / n,
            100.0 * ok as f64 / k.max(1) as f64
        );
    }
    println!("  a second topic at 0.3: {:.1}% of articles", 100.0 * second as f64 / n);
    println!("  confusion (rows: true, columns: predicted):");
    print!("  {:>14}", "");
    for t in Topic::TEXT {
        print!("{:>6}", &t.slug()[..5]);
    }
    println!();
    for (i, row) in confusion.iter().enumerate() {
        print!("  {:>14}", Topic::TEXT[i].slug());
        for c in row {
            print!("{c:>6}");
        }
        println!();
    }

    if std::env::args().any(|a| a == "--cv-only") {
        return Ok(());
    }
    let model = TopicModel::train(&corpus, &config);
    let out = root.join("models/topics-en.tsv");
    std::fs::write(&out, model.to_text())?;
    println!("wrote {} ({} features)", out.display(), model.len());
    Ok(())
}
