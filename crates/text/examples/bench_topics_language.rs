//! Times topic classification and language detection on a 600-word English article:
//! `cargo run --release -p tidings-text --example bench_topics_language`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Instant;
use tidings_text::language::detect_language;
use tidings_text::topics::classify;

fn main() {
    let paragraph = "The regional transport authority said on Tuesday that it would spend more on new trains \
        and signalling over the next five years, after a winter of cancelled services and crowded platforms. \
        Passenger groups welcomed the plan but warned that fares were rising faster than wages, and that the \
        promised upgrades had been delayed twice before. Engineers expect the first new carriages to arrive \
        next spring, with the busiest commuter lines upgraded first. ";
    let words_per = paragraph.split_whitespace().count();
    let text = paragraph.repeat(600 / words_per + 1);
    let text: String = text.split_whitespace().take(600).collect::<Vec<_>>().join(" ");
    let title = "Transport authority promises new trains after winter of cancellations";
    let n = 3000;
    // Warm the lazily loaded model and detector tables.
    black_box(classify(title, &text, &["Local"], Some("en")));
    black_box(detect_language(title, &text, Some("en-GB")));

    let t = Instant::now();
    for _ in 0..n {
        black_box(classify(black_box(title), black_box(&text), &["Local"], Some("en")));
    }
    let classify_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    let t = Instant::now();
    for _ in 0..n {
        black_box(detect_language(black_box(title), black_box(&text), Some("en-GB")));
    }
    let detect_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("600-word article, {n} runs each:");
    println!("  classify:        {classify_us:.1} µs");
    println!("  detect_language: {detect_us:.1} µs");
    println!(
        "  both:            {:.1} µs ({:.0} articles/s on one core)",
        classify_us + detect_us,
        1e6 / (classify_us + detect_us)
    );
}
