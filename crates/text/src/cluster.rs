//! Online story clustering: each article joins the most similar active story or starts a new one, in arrival
//! order, with a bounded amount of work per article.
//!
//! An article becomes a sparse vector of terms (title, opening and body words, weighted by field; names
//! boosted; adjacent names also as a pair). Similarity is TF-IDF cosine with document frequencies counted
//! online. Candidate stories come from an inverted index over each article's most distinctive terms, each
//! posting list capped to its most recent stories, so the work per article does not grow with the number of
//! articles stored. A candidate's similarity is lowered by how similar the article and the story have been
//! to their nearest others (a hubness correction), and an article that fits two stories about equally well
//! starts its own. Long texts share a smaller part of their vocabulary than short ones, so the join threshold
//! falls with length, from `threshold` for headline-and-opening items to `long_threshold` for full articles.
//! When dates exist, a story only takes articles within `window` of its activity. After an article joins,
//! stories that have converged on the same event are merged.

use chrono::{DateTime, TimeDelta, Utc};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::VecDeque;
use std::fmt;

use crate::tokenize::{Token, is_title_case, tokenize, tokenize_prefix};
use std::borrow::Cow;

/// Identifies a story. After merges, [`StoryClusterer::resolve`] gives the story an id now belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoryId(pub u32);

impl fmt::Display for StoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}

/// One article to cluster.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClusterInput<'a> {
    /// The headline.
    pub title: &'a str,
    /// The article text (or its opening); may be empty.
    pub text: &'a str,
    /// The outlet that published it, when known.
    pub outlet: Option<&'a str>,
    /// When it was published, when known.
    pub published: Option<DateTime<Utc>>,
}

/// Tuning of the clusterer. The defaults are the recommended settings.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// A story takes an article only if the article is dated within this span of the story's first and last
    /// articles (ignored when either side has no date). Default 7 days.
    pub window: TimeDelta,
    /// Minimum score (cosine similarity between an article and a story's recent articles, less the hubness
    /// correction, see `hub_k`) for the article to join the story, for short texts (see `short_terms`).
    pub threshold: f32,
    /// The join threshold for long texts (see `long_terms`). Long full-text articles share a smaller part of
    /// their vocabulary than headlines with an opening sentence do, so their cosine similarities run lower:
    /// a score is rescaled by `threshold / threshold_for(terms)` before it is compared with `threshold` and
    /// `margin`. Equal to `threshold` turns the length dependence off.
    pub long_threshold: f32,
    /// Length, in distinct content terms (the geometric mean of the article's and the story's articles'
    /// mean), up to which `threshold` applies.
    pub short_terms: usize,
    /// Length, in distinct content terms, from which `long_threshold` applies; in between, the threshold
    /// moves linearly in the logarithm of the length.
    pub long_terms: usize,
    /// Minimum cosine similarity between two story centroids for them to merge.
    pub merge_threshold: f32,
    /// How many of an article's most distinctive terms are looked up in the index.
    pub query_terms: usize,
    /// How many of an article's most distinctive terms are indexed for its story.
    pub index_terms: usize,
    /// Each term's posting list keeps at most this many (most recent) stories.
    pub postings_cap: usize,
    /// At most this many candidate stories are scored in full per article.
    pub candidates: usize,
    /// Weight of a title word.
    pub title_weight: f32,
    /// Weight of a word in the opening of the text.
    pub opening_weight: f32,
    /// Weight of a later body word.
    pub body_weight: f32,
    /// Number of words that count as the opening.
    pub opening_words: usize,
    /// Words of text read at most (the rest adds little and costs time).
    pub max_text_words: usize,
    /// Multiplier for words that are (part of) names.
    pub name_boost: f32,
    /// Weight of a pair of adjacent names ("supreme court") relative to its words.
    pub name_pair_weight: f32,
    /// Weight of a pair of adjacent content words ("grand jury", "net neutrality") relative to its words.
    pub word_pair_weight: f32,
    /// A story keeps at most this many terms in its centroid (the heaviest).
    pub max_story_terms: usize,
    /// A story that no article has joined during this many arrivals is retired (its term vectors are freed
    /// and it takes no more articles), which bounds memory for streams without dates. Dated stories retire
    /// once the newest date seen is more than twice `window` past their last article (late arrivals still fit).
    pub idle_articles: u32,
    /// Multiplier on the similarity to a story that already has an article from the same outlet.
    pub same_outlet_factor: f32,
    /// Average-link similarity is computed over at most this many of a story's most recent articles.
    pub max_members: usize,
    /// Only an article's this many heaviest terms (among those another article has too) are looked up when
    /// scoring candidates (its norm still counts every term): the light tail adds little to a cosine and most
    /// of the cost on long articles.
    pub score_terms: usize,
    /// Terms are cut to at most this many characters (a crude, language-agnostic stemmer that conflates
    /// "investigate" and "investigation"); 0 keeps them whole.
    pub prefix_chars: usize,
    /// Documents assumed seen before the first, containing none of the terms: with few articles, document
    /// frequencies are noise, and a term shared by three of seven articles is not common.
    pub prior_docs: f32,
    /// Exponent applied to inverse document frequency (above 1 favours rare, distinctive terms).
    pub idf_power: f32,
    /// Hubness correction: each article and story keeps the `hub_k` highest similarities it has had to others
    /// (an article: to the candidates scored for it; a story: from every article that scored it), and a
    /// candidate's score is its similarity minus `hub_weight` times the mean of the two averages (CSLS-like),
    /// so stories that resemble everything on a broad subject stop attracting unrelated articles.
    /// 0 turns it off.
    pub hub_k: usize,
    /// Weight of the hubness correction (see `hub_k`).
    pub hub_weight: f32,
    /// The best candidate must score at least this much more than the second best (or than 0 when it is
    /// the only one) for the article to join it: an article that fits two stories about equally well starts
    /// its own.
    pub margin: f32,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            window: TimeDelta::days(7),
            threshold: 0.24,
            long_threshold: 0.12,
            short_terms: 40,
            long_terms: 120,
            merge_threshold: 0.5,
            query_terms: 8,
            index_terms: 16,
            postings_cap: 64,
            candidates: 12,
            title_weight: 2.5,
            opening_weight: 1.5,
            body_weight: 1.0,
            opening_words: 40,
            max_text_words: 250,
            name_boost: 1.0,
            name_pair_weight: 0.0,
            word_pair_weight: 0.0,
            max_story_terms: 400,
            idle_articles: 200_000,
            same_outlet_factor: 1.0,
            max_members: 16,
            score_terms: 96,
            prefix_chars: 0,
            idf_power: 1.0,
            prior_docs: 1000.0,
            hub_k: 5,
            hub_weight: 0.3,
            margin: 0.02,
        }
    }
}

impl ClusterConfig {
    /// The join threshold for texts of `terms` distinct content terms: `threshold` up to `short_terms`,
    /// `long_threshold` from `long_terms`, and in between linear in the logarithm of `terms`.
    pub fn threshold_for(&self, terms: f32) -> f32 {
        let (lo, hi) = (self.short_terms.max(1) as f32, self.long_terms.max(1) as f32);
        if terms <= lo || hi <= lo {
            return if terms >= hi { self.long_threshold } else { self.threshold };
        }
        if terms >= hi {
            return self.long_threshold;
        }
        let f = (terms / lo).ln() / (hi / lo).ln();
        self.threshold + f * (self.long_threshold - self.threshold)
    }

    /// The factor that brings a similarity between texts of `terms` distinct content terms to the scale of
    /// short texts: `threshold / threshold_for(terms)`.
    pub fn length_scale(&self, terms: f32) -> f32 {
        let t = self.threshold_for(terms);
        if t > 0.0 && self.threshold > 0.0 { self.threshold / t } else { 1.0 }
    }
}

/// A story as the clusterer sees it.
#[derive(Debug, Clone)]
pub struct StoryView<'a> {
    /// The story's id.
    pub id: StoryId,
    /// The headline: the title of the article that started the story (empty once the story is retired).
    pub headline: &'a str,
    /// Number of articles.
    pub size: usize,
    /// Arrival numbers (0-based, in the order of `add`) of its articles (empty once the story is retired:
    /// retired stories keep only their size and dates, so memory stays bounded).
    pub articles: &'a [u32],
    /// Distinct outlets, in order of appearance (empty once the story is retired).
    pub outlets: &'a [String],
    /// Earliest publication date among its articles.
    pub first_seen: Option<DateTime<Utc>>,
    /// Latest publication date among its articles.
    pub last_updated: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
struct Story {
    /// Number of articles (kept when the story retires and frees its lists).
    size: u32,
    terms: FxHashMap<u32, f32>,
    /// Term vectors of the most recent articles (at most `max_members`), for average-link similarity.
    members: VecDeque<Vec<(u32, f32)>>,
    /// The sum of the members' IDF-weighted, unit-length vectors (IDF as of the last join): the mean cosine
    /// between an article and the members is its dot product with this sum over the member count, one pass
    /// over the article's terms instead of one per member.
    link: FxHashMap<u32, f32>,
    /// Articles seen when `link` was computed; it is recomputed once the collection has grown by a tenth, so
    /// its IDF never drifts far from the current one.
    link_docs: u32,
    headline: String,
    articles: Vec<u32>,
    outlets: Vec<String>,
    first_seen: Option<DateTime<Utc>>,
    last_updated: Option<DateTime<Utc>>,
    /// Arrival number of the last article that joined.
    last_touch: u32,
    /// Retired: inactive beyond the window, its term vectors freed; it takes no more articles.
    retired: bool,
    /// The highest similarities seen between this story and other articles (descending, at most `hub_k`).
    hub: Vec<f32>,
}

/// [`StoryClusterer::merged`] of a story that was not merged.
const NOT_MERGED: u32 = u32::MAX;

/// Inserts `x` into `top` (descending, at most `k` long).
fn push_top(top: &mut Vec<f32>, x: f32, k: usize) {
    if k == 0 {
        return;
    }
    let at = top.partition_point(|&y| y >= x);
    if at < k {
        top.insert(at, x);
        top.truncate(k);
    }
}

/// Mean of `top` over `k` slots (missing ones count as 0).
fn hub_mean(top: &[f32], k: usize) -> f32 {
    if k == 0 { 0.0 } else { top.iter().sum::<f32>() / k as f32 }
}

/// The online clusterer. See the module documentation.
#[derive(Debug, Default)]
pub struct StoryClusterer {
    config: ClusterConfig,
    vocab: FxHashMap<String, u32>,
    df: Vec<u32>,
    docs: u32,
    postings: FxHashMap<u32, VecDeque<u32>>,
    stories: Vec<Story>,
    /// The story each story was merged into (`NOT_MERGED` for none), apart from [`Story`]: resolving every
    /// posting of every query term reads this compact array instead of one large story after another.
    merged: Vec<u32>,
    live_stories: usize,
    /// (arrival number, story) of each join, oldest first, to retire inactive stories in O(1) amortised.
    activity: VecDeque<(u32, u32)>,
    /// The latest publication date seen.
    latest: Option<DateTime<Utc>>,
}

impl StoryClusterer {
    /// An empty clusterer.
    pub fn new(config: ClusterConfig) -> Self {
        Self { config, ..Self::default() }
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// Number of articles added.
    pub fn articles(&self) -> usize {
        self.docs as usize
    }

    /// Number of stories (after merges).
    pub fn stories(&self) -> usize {
        self.live_stories
    }

    fn is_merged(&self, sid: u32) -> bool {
        self.merged.get(sid as usize).is_some_and(|&m| m != NOT_MERGED)
    }

    /// The story `id` belongs to now (itself unless it was merged into another).
    pub fn resolve(&self, id: StoryId) -> StoryId {
        let mut cur = id.0;
        while let Some(&next) = self.merged.get(cur as usize).filter(|&&next| next != NOT_MERGED) {
            cur = next;
        }
        StoryId(cur)
    }

    /// The story `id` (resolved through merges), if it exists.
    pub fn story(&self, id: StoryId) -> Option<StoryView<'_>> {
        let id = self.resolve(id);
        let s = self.stories.get(id.0 as usize)?;
        Some(StoryView {
            id,
            headline: &s.headline,
            size: s.size as usize,
            articles: &s.articles,
            outlets: &s.outlets,
            first_seen: s.first_seen,
            last_updated: s.last_updated,
        })
    }

    fn idf(&self, term: u32) -> f32 {
        let df = self.df.get(term as usize).copied().unwrap_or(0) as f32;
        // The prior documents (in which no term occurs) keep a young clusterer's IDF from punishing the very
        // words that a handful of reports of one event share.
        let n = self.docs as f32 + self.config.prior_docs;
        let idf = ((n + 1.0) / (df + 0.5)).ln().max(0.0);
        if self.config.idf_power == 1.0 { idf } else { idf.powf(self.config.idf_power) }
    }

    fn intern(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.vocab.get(term) {
            return id;
        }
        let id = self.df.len() as u32;
        self.vocab.insert(term.to_string(), id);
        self.df.push(0);
        id
    }

    /// Builds the raw (un-IDF-weighted) term vector of an article.
    fn vectorize(&mut self, article: &ClusterInput<'_>) -> Vec<(u32, f32)> {
        let cfg = &self.config;
        let title = tokenize(article.title);
        let text = tokenize_prefix(article.text, cfg.max_text_words);
        let title_case = is_title_case(&title);
        let text_names: FxHashSet<&str> = text.iter().filter(|t| t.name).map(|t| t.term.as_str()).collect();
        let mut raw: FxHashMap<Cow<'_, str>, f32> =
            FxHashMap::with_capacity_and_hasher(title.len() + text.len(), Default::default());
        let tw = cfg.title_weight;
        add_terms(&mut raw, cfg, &text_names, title_case, &title, &|_| tw, true);
        let (ow, bw, on) = (cfg.opening_weight, cfg.body_weight, cfg.opening_words);
        add_terms(&mut raw, cfg, &text_names, title_case, &text, &|i| if i < on { ow } else { bw }, false);
        let mut v: Vec<(u32, f32)> = raw.into_iter().map(|(t, w)| (self.intern(&t), (1.0 + w).ln())).collect();
        v.sort_unstable_by_key(|&(t, _)| t);
        v
    }

    fn in_window(&self, s: &Story, when: Option<DateTime<Utc>>) -> bool {
        let Some(when) = when else { return true };
        let w = self.config.window;
        match (s.first_seen, s.last_updated) {
            (Some(first), Some(last)) => when <= last + w && when >= first - w,
            _ => true,
        }
    }

    /// Adds an article: it joins the most similar active story or starts a new one. Returns that story.
    pub fn add(&mut self, article: &ClusterInput<'_>) -> StoryId {
        let vec = self.vectorize(article);
        self.docs += 1;
        for &(t, _) in &vec {
            if let Some(df) = self.df.get_mut(t as usize) {
                *df += 1;
            }
        }
        let weighted: Vec<(u32, f32)> = vec.iter().map(|&(t, w)| (t, w * self.idf(t))).collect();
        let norm = weighted.iter().map(|&(_, x)| x * x).sum::<f32>().sqrt();
        let mut by_weight: Vec<(u32, f32)> = weighted.clone();
        by_weight.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));

        // Candidates from the inverted index.
        let mut cand: FxHashMap<u32, f32> =
            FxHashMap::with_capacity_and_hasher(self.config.query_terms * self.config.postings_cap, Default::default());
        for &(t, x) in by_weight.iter().take(self.config.query_terms) {
            if let Some(list) = self.postings.get(&t) {
                for &sid in list {
                    let sid = self.resolve(StoryId(sid)).0;
                    *cand.entry(sid).or_default() += x;
                }
            }
        }
        let mut cand: Vec<(u32, f32)> = cand.into_iter().collect();
        cand.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        cand.truncate(self.config.candidates);

        let mut scored: Vec<(u32, f32)> = Vec::with_capacity(cand.len());
        // Per candidate, the factor that rescales its similarity to the short-text scale (see `long_threshold`).
        let mut scales: FxHashMap<u32, f32> = FxHashMap::default();
        let article_terms = vec.len() as f32;
        // A term no other article has (document frequency 1, this one) cannot add to any similarity.
        let scoring: Vec<(u32, f32)> = by_weight
            .iter()
            .copied()
            .filter(|&(t, _)| self.df.get(t as usize).is_some_and(|&df| df > 1))
            .take(self.config.score_terms.max(1))
            .collect();
        let scoring = scoring.as_slice();
        let stale: Vec<u32> = cand
            .iter()
            .map(|&(sid, _)| sid)
            .filter(|&sid| {
                self.stories
                    .get(sid as usize)
                    .is_some_and(|s| !s.retired && u64::from(self.docs) * 10 > u64::from(s.link_docs) * 11)
            })
            .collect();
        for sid in stale {
            self.refresh_link(sid);
        }
        if norm > 0.0 {
            for &(sid, _) in &cand {
                let Some(s) = self.stories.get(sid as usize) else { continue };
                if s.retired || !self.in_window(s, article.published) {
                    continue;
                }
                let mut sim = self.average_link(scoring, norm, s);
                if let Some(o) = article.outlet
                    && s.outlets.iter().any(|so| so == o)
                {
                    sim *= self.config.same_outlet_factor;
                }
                scored.push((sid, sim));
                let member_terms =
                    s.members.iter().map(|m| m.len() as f32).sum::<f32>() / s.members.len().max(1) as f32;
                scales.insert(sid, self.config.length_scale((article_terms * member_terms).sqrt()));
            }
        }
        scored.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));

        // Hubness correction and the decision.
        let k = self.config.hub_k;
        let mut own_hub: Vec<f32> = scored.iter().take(k).map(|&(_, sim)| sim).collect();
        own_hub.retain(|&x| x > 0.0);
        let r_x = hub_mean(&own_hub, k);
        let mut adjusted: Vec<(u32, f32)> = Vec::with_capacity(scored.len());
        for &(sid, sim) in &scored {
            let Some(s) = self.stories.get_mut(sid as usize) else { continue };
            // The story's list takes this article's similarity first, as a batch k-nearest-neighbour list would.
            push_top(&mut s.hub, sim, k);
            let score = if k > 0 { sim - self.config.hub_weight * 0.5 * (r_x + hub_mean(&s.hub, k)) } else { sim };
            adjusted.push((sid, score * scales.get(&sid).copied().unwrap_or(1.0)));
        }
        adjusted.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let second = adjusted.get(1).map_or(0.0, |a| a.1.max(0.0));
        let chosen = match adjusted.first() {
            Some(&(sid, score)) if score >= self.config.threshold && score - second >= self.config.margin => sid,
            _ => {
                let sid = self.stories.len() as u32;
                self.merged.push(NOT_MERGED);
                self.stories.push(Story {
                    headline: article.title.to_string(),
                    hub: own_hub,
                    link_docs: self.docs,
                    ..Story::default()
                });
                self.live_stories += 1;
                sid
            }
        };
        let seq = self.docs - 1;
        // The article's unit vector, as `unit` would make it (IDF has not moved since `weighted`).
        let unit: Vec<(u32, f32)> =
            if norm > 0.0 { weighted.iter().map(|&(t, x)| (t, x / norm)).collect() } else { Vec::new() };
        self.join(chosen, &vec, unit, seq, article);
        if let Some(p) = article.published {
            self.latest = Some(self.latest.map_or(p, |l| l.max(p)));
        }

        // Index the article's distinctive terms for its story.
        for &(t, _) in by_weight.iter().take(self.config.index_terms) {
            let list = self.postings.entry(t).or_default();
            if !list.contains(&chosen) {
                list.push_back(chosen);
                if list.len() > self.config.postings_cap {
                    list.pop_front();
                }
            }
        }

        // Stories that have converged merge into the chosen one.
        let mut target = chosen;
        for &(other, sim) in scored.iter() {
            let scale = scales.get(&other).copied().unwrap_or(1.0);
            if other == chosen || sim * scale < self.config.threshold * 0.75 {
                continue;
            }
            let (Some(a), Some(b)) = (self.stories.get(target as usize), self.stories.get(other as usize)) else {
                continue;
            };
            if self.is_merged(other) || !self.in_window(b, a.last_updated) {
                continue;
            }
            if self.story_similarity(a, b) >= self.config.merge_threshold {
                target = self.merge(target, other);
            }
        }
        self.activity.push_back((seq, target));
        self.retire_inactive();
        StoryId(target)
    }

    /// Retires stories that have been idle too long (see [`ClusterConfig::idle_articles`]).
    fn retire_inactive(&mut self) {
        while let Some(&(seq, sid)) = self.activity.front() {
            let Some(s) = self.stories.get(sid as usize) else {
                self.activity.pop_front();
                continue;
            };
            if self.is_merged(sid) || s.retired || s.last_touch != seq {
                // Stale entry: the story moved on (a later entry stands for it) or is gone.
                self.activity.pop_front();
                continue;
            }
            let idle = self.docs.saturating_sub(seq) > self.config.idle_articles;
            let expired =
                matches!((s.last_updated, self.latest), (Some(last), Some(now)) if last + self.config.window * 2 < now);
            if !(idle || expired) {
                break;
            }
            self.activity.pop_front();
            if let Some(s) = self.stories.get_mut(sid as usize) {
                s.retired = true;
                s.members = VecDeque::new();
                s.terms = FxHashMap::default();
                s.link = FxHashMap::default();
                s.hub = Vec::new();
                s.articles = Vec::new();
                s.outlets = Vec::new();
                s.headline = String::new();
            }
        }
    }

    /// Mean cosine between the members of two stories: with [`Story::link`] sums, one sparse dot product.
    fn story_similarity(&self, a: &Story, b: &Story) -> f32 {
        if a.members.is_empty() || b.members.is_empty() {
            return 0.0;
        }
        let (small, large) = if a.link.len() <= b.link.len() { (&a.link, &b.link) } else { (&b.link, &a.link) };
        let dot: f32 = small.iter().filter_map(|(t, x)| large.get(t).map(|y| x * y)).sum();
        dot / (a.members.len() * b.members.len()) as f32
    }

    /// IDF-weights a raw term vector.
    fn weigh(&self, raw: &[(u32, f32)]) -> Vec<(u32, f32)> {
        raw.iter().map(|&(t, w)| (t, w * self.idf(t))).collect()
    }

    /// Mean cosine similarity between an IDF-weighted vector (with its norm) and a story's recent articles.
    /// The stories most like `id` (cosine of their IDF-weighted term centroids), best first: at most `n`, each
    /// at least `min_similarity`. Candidates come from the same bounded index as for new articles, so the cost
    /// does not grow with the number of stories.
    pub fn related(&self, id: StoryId, n: usize, min_similarity: f32) -> Vec<(StoryId, f32)> {
        let id = self.resolve(id);
        let Some(story) = self.stories.get(id.0 as usize) else { return Vec::new() };
        let weigh = |terms: &FxHashMap<u32, f32>| -> (FxHashMap<u32, f32>, f32) {
            let weighted: FxHashMap<u32, f32> = terms.iter().map(|(&t, &w)| (t, w * self.idf(t))).collect();
            let norm = weighted.values().map(|x| x * x).sum::<f32>().sqrt();
            (weighted, norm)
        };
        let (own, own_norm) = weigh(&story.terms);
        if own_norm <= 0.0 {
            return Vec::new();
        }
        let mut by_weight: Vec<(u32, f32)> = own.iter().map(|(&t, &x)| (t, x)).collect();
        by_weight.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut candidates: Vec<u32> = Vec::new();
        for &(t, _) in by_weight.iter().take(self.config.query_terms) {
            for &sid in self.postings.get(&t).into_iter().flatten() {
                let sid = self.resolve(StoryId(sid)).0;
                if sid != id.0 && !candidates.contains(&sid) {
                    candidates.push(sid);
                }
            }
        }
        let mut scored: Vec<(StoryId, f32)> = candidates
            .into_iter()
            .filter_map(|sid| {
                let other = self.stories.get(sid as usize).filter(|o| !o.retired)?;
                let (theirs, norm) = weigh(&other.terms);
                if norm <= 0.0 {
                    return None;
                }
                let dot: f32 = own.iter().filter_map(|(t, x)| theirs.get(t).map(|y| x * y)).sum();
                let sim = dot / (own_norm * norm);
                (sim >= min_similarity).then_some((StoryId(sid), sim))
            })
            .collect();
        scored.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(n);
        scored
    }

    fn average_link(&self, weighted: &[(u32, f32)], norm: f32, s: &Story) -> f32 {
        if norm <= 0.0 || s.members.is_empty() {
            return 0.0;
        }
        let dot: f32 = weighted.iter().filter_map(|(t, x)| s.link.get(t).map(|y| x * y)).sum();
        dot / (norm * s.members.len() as f32)
    }

    /// Recomputes a story's [`Story::link`] from its members with the current IDF.
    fn refresh_link(&mut self, sid: u32) {
        let Some(s) = self.stories.get(sid as usize) else { return };
        let mut link: FxHashMap<u32, f32> = FxHashMap::default();
        for m in &s.members {
            for (t, x) in self.unit(m) {
                *link.entry(t).or_default() += x;
            }
        }
        let docs = self.docs;
        if let Some(s) = self.stories.get_mut(sid as usize) {
            s.link = link;
            s.link_docs = docs;
        }
    }

    /// Adds an article (its raw vector and its unit vector) to a story.
    fn join(&mut self, sid: u32, vec: &[(u32, f32)], added: Vec<(u32, f32)>, seq: u32, article: &ClusterInput<'_>) {
        let cap = self.config.max_story_terms;
        let max_members = self.config.max_members;
        let Some(s) = self.stories.get_mut(sid as usize) else { return };
        for &(t, w) in vec {
            *s.terms.entry(t).or_default() += w;
        }
        s.articles.push(seq);
        s.size += 1;
        s.last_touch = seq;
        s.members.push_back(vec.to_vec());
        let dropped = if s.members.len() > max_members { s.members.pop_front() } else { None };
        if let Some(o) = article.outlet
            && !s.outlets.iter().any(|so| so == o)
        {
            s.outlets.push(o.to_string());
        }
        if let Some(p) = article.published {
            s.first_seen = Some(s.first_seen.map_or(p, |f| f.min(p)));
            s.last_updated = Some(s.last_updated.map_or(p, |l| l.max(p)));
        }
        prune(&mut s.terms, cap);
        // The link sum follows the members: add the newcomer, take out the member that left (a full refresh
        // happens when the IDF has drifted, see `add`).
        let removed = dropped.map(|d| self.unit(&d)).unwrap_or_default();
        if let Some(s) = self.stories.get_mut(sid as usize) {
            for (t, x) in added {
                *s.link.entry(t).or_default() += x;
            }
            for (t, x) in removed {
                if let Some(y) = s.link.get_mut(&t) {
                    *y -= x;
                    if y.abs() < 1e-6 {
                        s.link.remove(&t);
                    }
                }
            }
        }
    }

    /// An IDF-weighted raw vector scaled to unit length (empty when it has no weight).
    fn unit(&self, raw: &[(u32, f32)]) -> Vec<(u32, f32)> {
        let weighted = self.weigh(raw);
        let norm = weighted.iter().map(|&(_, x)| x * x).sum::<f32>().sqrt();
        if norm <= 0.0 {
            return Vec::new();
        }
        weighted.into_iter().map(|(t, x)| (t, x / norm)).collect()
    }

    /// Merges the smaller of two stories into the larger; returns the survivor.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        let (size_a, size_b) = match (self.stories.get(a as usize), self.stories.get(b as usize)) {
            (Some(x), Some(y)) => (x.size, y.size),
            _ => return a,
        };
        let (keep, gone) = if size_a >= size_b { (a, b) } else { (b, a) };
        let Some(taken) = self.stories.get_mut(gone as usize).map(std::mem::take) else { return keep };
        if let Some(m) = self.merged.get_mut(gone as usize) {
            *m = keep;
        }
        let cap = self.config.max_story_terms;
        let max_members = self.config.max_members;
        if let Some(k) = self.stories.get_mut(keep as usize) {
            for (t, w) in taken.terms {
                *k.terms.entry(t).or_default() += w;
            }
            k.articles.extend(taken.articles);
            k.size += taken.size;
            k.last_touch = k.last_touch.max(taken.last_touch);
            k.members.extend(taken.members);
            while k.members.len() > max_members {
                k.members.pop_front();
            }
            k.articles.sort_unstable();
            for o in taken.outlets {
                if !k.outlets.contains(&o) {
                    k.outlets.push(o);
                }
            }
            k.first_seen = match (k.first_seen, taken.first_seen) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
            k.last_updated = match (k.last_updated, taken.last_updated) {
                (Some(x), Some(y)) => Some(x.max(y)),
                (x, y) => x.or(y),
            };
            prune(&mut k.terms, cap);
        }
        self.refresh_link(keep);
        self.live_stories = self.live_stories.saturating_sub(1);
        keep
    }
}

/// The first `n` characters of `s` (all of it when `n` is 0).
/// Adds the terms of one field of an article to its raw term weights (see `StoryClusterer::vectorize`).
fn add_terms<'a>(
    raw: &mut FxHashMap<Cow<'a, str>, f32>,
    cfg: &ClusterConfig,
    text_names: &FxHashSet<&str>,
    title_case: bool,
    tokens: &'a [Token],
    weight_at: &dyn Fn(usize) -> f32,
    in_title: bool,
) {
    let mut prev_name: Option<&str> = None;
    let mut prev_word: Option<&str> = None;
    for (i, t) in tokens.iter().enumerate() {
        if t.stop || (t.term.len() < 2 && t.term.is_ascii()) {
            prev_name = None;
            prev_word = None;
            continue;
        }
        let name = if in_title && title_case {
            text_names.contains(t.term.as_str())
        } else {
            t.name || (t.capitalised && text_names.contains(t.term.as_str()))
        };
        let w = weight_at(i) * if name { cfg.name_boost } else { 1.0 };
        let term = truncate_chars(&t.term, cfg.prefix_chars);
        *raw.entry(Cow::Borrowed(term)).or_default() += w;
        if let Some(p) = prev_word
            && cfg.word_pair_weight > 0.0
        {
            *raw.entry(format!("{p}+{term}").into()).or_default() += w * cfg.word_pair_weight;
        }
        prev_word = Some(term);
        if name {
            if let Some(p) = prev_name
                && cfg.name_pair_weight > 0.0
            {
                *raw.entry(format!("{p} {term}").into()).or_default() += w * cfg.name_pair_weight;
            }
            prev_name = Some(term);
        } else {
            prev_name = None;
        }
    }
}

fn truncate_chars(s: &str, n: usize) -> &str {
    if n == 0 {
        return s;
    }
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Keeps the `cap` heaviest terms (pruning to three quarters of it once it is exceeded).
fn prune(terms: &mut FxHashMap<u32, f32>, cap: usize) {
    if terms.len() <= cap {
        return;
    }
    let mut v: Vec<(u32, f32)> = terms.drain().collect();
    v.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(cap * 3 / 4);
    terms.extend(v);
}
