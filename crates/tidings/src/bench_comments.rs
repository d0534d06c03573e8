//! `tidings bench comments`: many readers commenting at once on a running site, over loopback HTTP, then a count
//! of what was stored: every acknowledged comment exactly once, none lost, none doubled.
//!
//! Each commenter signs up through the form (so the site hashes its password and makes a session as for any
//! reader), reads an article page for the form's CSRF token, then posts comments to it until the time is up,
//! waiting about `think_ms` between posts (at random between half and one and a half times it, so readers are
//! not in step). Latency is measured per post, from sending to the 303 that acknowledges it.
//! Run it against a site whose per-account and per-address limits are off (all commenters share one address
//! and post faster than any person): `bench/comments.sh` does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::StreamExt;
use reqwest::header;

/// What to run.
#[derive(Debug, Clone)]
pub(crate) struct CommentLoad {
    pub(crate) url: String,
    pub(crate) commenters: usize,
    pub(crate) secs: u64,
    pub(crate) think_ms: u64,
}

struct Commenter {
    name: String,
    cookie: String,
    csrf: String,
    article: i64,
}

#[derive(Default)]
struct Outcome {
    /// Latency of each acknowledged post, in microseconds.
    latencies: Vec<u64>,
    /// Bodies acknowledged with a 303.
    acknowledged: Vec<String>,
    errors: Vec<String>,
}

pub(crate) async fn run(load: CommentLoad) -> anyhow::Result<()> {
    tidings_fetch::install_crypto_provider();
    let base = load.url.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(load.commenters)
        .timeout(Duration::from_secs(30))
        .build()
        .context("making the HTTP client")?;
    let articles: serde_json::Value = client
        .get(format!("{base}/api/v1/articles"))
        .send()
        .await
        .with_context(|| format!("reaching {base} (is the site running?)"))?
        .json()
        .await
        .context("reading /api/v1/articles")?;
    let ids: Vec<i64> = articles["articles"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["id"].as_i64()).take(20).collect())
        .unwrap_or_default();
    if ids.is_empty() {
        bail!("{base} has no articles to comment on");
    }
    let run_id = format!("{:x}", std::process::id() ^ (chrono::Utc::now().timestamp() as u32));
    eprintln!("signing up {} commenters on {base} (run {run_id})…", load.commenters);
    let started = Instant::now();
    let mut commenters = Vec::with_capacity(load.commenters);
    let mut signups = futures::stream::iter((0..load.commenters).map(|i| {
        let client = client.clone();
        let base = base.clone();
        let name = format!("load{run_id}-{i}");
        let article = ids[i % ids.len()];
        async move { sign_up(&client, &base, name, article).await }
    }))
    .buffer_unordered(4);
    while let Some(commenter) = signups.next().await {
        commenters.push(commenter?);
    }
    eprintln!(
        "{} commenters signed up in {:.1} s; commenting for {} s…",
        commenters.len(),
        started.elapsed().as_secs_f64(),
        load.secs
    );

    let deadline = Instant::now() + Duration::from_secs(load.secs);
    let began = Instant::now();
    let tasks: Vec<_> = commenters
        .into_iter()
        .map(|commenter| {
            let client = client.clone();
            let base = base.clone();
            let think = Duration::from_millis(load.think_ms);
            tokio::spawn(async move { comment_until(&client, &base, Arc::new(commenter), deadline, think).await })
        })
        .collect();
    let mut outcome = Outcome::default();
    let mut used: Vec<i64> = Vec::new();
    for task in tasks {
        let (article, one) = task.await.context("a commenter stopped")?;
        if !used.contains(&article) {
            used.push(article);
        }
        outcome.latencies.extend(one.latencies);
        outcome.acknowledged.extend(one.acknowledged);
        outcome.errors.extend(one.errors);
    }
    let elapsed = began.elapsed().as_secs_f64();

    // Count what the site stored, thread by thread.
    let prefix = format!("load {run_id} ");
    let mut stored: Vec<String> = Vec::new();
    for article in &used {
        let thread: serde_json::Value = client
            .get(format!("{base}/api/v1/articles/{article}/comments?sort=newest"))
            .send()
            .await?
            .json()
            .await
            .with_context(|| format!("reading the comments of article {article}"))?;
        for comment in thread["comments"].as_array().into_iter().flatten() {
            if let Some(body) = comment["body"].as_str().filter(|b| b.starts_with(&prefix)) {
                stored.push(body.to_owned());
            }
        }
    }
    let mut acknowledged = outcome.acknowledged.clone();
    acknowledged.sort();
    stored.sort();
    let doubled = stored.windows(2).filter(|w| w[0] == w[1]).count();
    let stored_set: std::collections::BTreeSet<&String> = stored.iter().collect();
    let lost = acknowledged.iter().filter(|b| !stored_set.contains(b)).count();
    let acknowledged_set: std::collections::BTreeSet<&String> = acknowledged.iter().collect();
    let unacknowledged = stored_set.iter().filter(|b| !acknowledged_set.contains(**b)).count();

    let mut latencies = outcome.latencies;
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1).min(latencies.len() - 1);
        latencies[i] as f64 / 1000.0
    };
    println!(
        "comments: {} commenters, {:.0} s, think {} ms: {} posted ({:.0} req/s), {} errors; stored {} (lost {}, doubled {}, \
         stored without acknowledgement {}); latency ms p50 {:.1} p95 {:.1} p99 {:.1} max {:.1}",
        load.commenters,
        elapsed,
        load.think_ms,
        acknowledged.len(),
        acknowledged.len() as f64 / elapsed,
        outcome.errors.len(),
        stored.len(),
        lost,
        doubled,
        unacknowledged,
        pct(0.50),
        pct(0.95),
        pct(0.99),
        latencies.last().copied().unwrap_or(0) as f64 / 1000.0,
    );
    for error in outcome.errors.iter().take(10) {
        eprintln!("error: {error}");
    }
    if !outcome.errors.is_empty() || lost > 0 || doubled > 0 {
        bail!("the load run had errors, lost or doubled comments");
    }
    Ok(())
}

async fn sign_up(client: &reqwest::Client, base: &str, name: String, article: i64) -> anyhow::Result<Commenter> {
    // The password rules refuse one that contains the user name.
    let password = "a long private passphrase";
    let form = [("username", name.as_str()), ("password", password), ("confirm", password), ("next", "/")];
    let response = client.post(format!("{base}/signup")).form(&form).send().await.context("signing up")?;
    if response.status() != reqwest::StatusCode::SEE_OTHER {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        bail!("signing up {name}: {status}: {}", text.chars().take(300).collect::<String>());
    }
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tidings_session="))
        .and_then(|v| v.split(';').next())
        .with_context(|| format!("signing up {name}: no session cookie"))?
        .to_owned();
    let page =
        client.get(format!("{base}/articles/{article}")).header(header::COOKIE, &cookie).send().await?.text().await?;
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .with_context(|| format!("article {article} shows {name} no comment form"))?
        .to_owned();
    Ok(Commenter { name, cookie, csrf, article })
}

async fn comment_until(
    client: &reqwest::Client,
    base: &str,
    commenter: Arc<Commenter>,
    deadline: Instant,
    think: Duration,
) -> (i64, Outcome) {
    let mut outcome = Outcome::default();
    let run_id = commenter.name.trim_start_matches("load").split('-').next().unwrap_or("").to_owned();
    let url = format!("{base}/articles/{}/comments", commenter.article);
    let mut seq = 0u64;
    // Readers do not post in step: each waits a random part of its think time before its first comment, and
    // between two comments waits between half and one and a half times it.
    let mut random = Xorshift(0x9e37_79b9_7f4a_7c15 ^ (commenter.name.len() as u64) ^ hash(&commenter.name));
    if !think.is_zero() {
        tokio::time::sleep(think.mul_f64(random.unit())).await;
    }
    while Instant::now() < deadline {
        seq += 1;
        let body = format!("load {run_id} {} comment {seq}: what the coverage says, in my words.", commenter.name);
        let sent = Instant::now();
        let result = client
            .post(&url)
            .header(header::COOKIE, &commenter.cookie)
            .header("sec-fetch-site", "same-origin")
            .form(&[("csrf", commenter.csrf.as_str()), ("body", body.as_str())])
            .send()
            .await;
        match result {
            Ok(response) if response.status() == reqwest::StatusCode::SEE_OTHER => {
                outcome.latencies.push(sent.elapsed().as_micros() as u64);
                outcome.acknowledged.push(body);
            }
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                outcome.errors.push(format!(
                    "{}: {status}: {}",
                    commenter.name,
                    text.chars().take(200).collect::<String>()
                ));
            }
            Err(e) => outcome.errors.push(format!("{}: {e}", commenter.name)),
        }
        if !think.is_zero() {
            tokio::time::sleep(think.mul_f64(0.5 + random.unit())).await;
        }
    }
    (commenter.article, outcome)
}

/// A small generator for the commenters' pauses (no need for a crate).
struct Xorshift(u64);

impl Xorshift {
    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
