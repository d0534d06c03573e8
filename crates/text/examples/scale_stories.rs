//! Scale check for the online clusterer: streams synthetic articles (events drawn from a large vocabulary,
//! one article a minute) and prints the rate per block of arrivals and the resident memory, to show that the
//! cost of an article does not grow with the number stored.
//! `cargo run --release -p tidings-text --example scale_stories -- [ARTICLES]` (default 300000).
#![allow(missing_docs)]

use std::time::Instant;

use chrono::{TimeDelta, TimeZone, Utc};
use tidings_text::{ClusterConfig, ClusterInput, StoryClusterer};

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn word(n: u64) -> String {
    // Letters only, so every word is a term of its own.
    let mut s = String::new();
    let mut n = n + 1;
    while n > 0 {
        s.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
    }
    s.push_str("on");
    s
}

fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let total: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(300_000);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut c = StoryClusterer::new(ClusterConfig::default());
    let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().unwrap_or_default();
    let block = 50_000u64.min(total.max(1));
    let mut busy = 0.0f64;
    for i in 0..total {
        // Each event lasts ~3 days of arrivals and has 10 words of its own from a 200k-word vocabulary.
        let event = i / 5 + rng.below(4);
        let mut ev = Rng(event.wrapping_mul(0x9E37_79B9).wrapping_add(1));
        let own: Vec<String> = (0..10).map(|_| word(1000 + ev.below(200_000))).collect();
        let mut pick = |n: usize| -> String {
            (0..n)
                .map(|_| if rng.below(2) == 0 { own[rng.below(10) as usize].clone() } else { word(rng.below(1000)) })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let title = pick(8);
        let text = pick(60);
        let published = Some(t0 + TimeDelta::minutes(i as i64));
        let t = Instant::now();
        c.add(&ClusterInput { title: &title, text: &text, outlet: None, published });
        busy += t.elapsed().as_secs_f64();
        if (i + 1) % block == 0 {
            println!(
                "{:>8} stored: {:>7.0} articles/s in add() over the last {block}, {} stories, RSS {:.0} MiB",
                i + 1,
                block as f64 / busy.max(1e-9),
                c.stories(),
                rss_mib().unwrap_or(f64::NAN)
            );
            busy = 0.0;
        }
    }
}
