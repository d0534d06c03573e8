//! The story stage: every stored article joins a story (or starts one) and is checked for being a copy of
//! another outlet's article, in arrival order, as it is ingested.
//!
//! The work is done in memory by [`StoryEngine`] (the online clusterer and the near-duplicate index of
//! `tidings-text`), over the articles of the last `stories.window_days`; the store holds the outcome. On start
//! the engine replays those recent articles from the store to rebuild its state, so a restart neither forgets
//! open stories nor reassigns stored articles.

use std::collections::VecDeque;

use chrono::{DateTime, TimeDelta, Utc};
use rustc_hash::FxHashMap;
use tidings_core::config::StoriesConfig;
use tidings_core::urlnorm::host_of;
use tidings_core::{
    ArticleId, ClusterJob, ClusteringBatch, OriginalReason, SourceId, Store, StoreError, StoryId, StoryTarget,
};
use tidings_text::{
    ClusterConfig, ClusterInput, CopyEvidence, DupConfig, DupIndex, StoryClusterer, choose_original, pick_headline,
};

/// Titles kept per story for choosing its headline.
const HEADLINE_CANDIDATES: usize = 12;
/// Related stories kept per story.
const RELATED_STORIES: usize = 6;
/// Below this centroid similarity another story is not related enough to show.
const RELATED_MIN_SIMILARITY: f32 = 0.08;
/// Characters kept from each end of an article's text for credit lines and datelines.
const EVIDENCE_CHARS: usize = 600;

/// An article's new original (`None` when it is the original itself) and why.
type OriginalChange = (ArticleId, Option<(ArticleId, OriginalReason)>);

/// What is kept about a recent article to decide, later, which of its copies is the original.
#[derive(Debug, Clone)]
struct Evidence {
    source_id: SourceId,
    host: String,
    outlet: Option<String>,
    canonical_url: Option<String>,
    author: Option<String>,
    /// The first and last [`EVIDENCE_CHARS`] characters of the text.
    text_ends: String,
    published: Option<DateTime<Utc>>,
    seen: DateTime<Utc>,
}

impl Evidence {
    fn of(job: &ClusterJob) -> Evidence {
        let count = job.text.chars().count();
        let text_ends = if count <= 2 * EVIDENCE_CHARS {
            job.text.clone()
        } else {
            let head: String = job.text.chars().take(EVIDENCE_CHARS).collect();
            let tail: String = job.text.chars().skip(count - EVIDENCE_CHARS).collect();
            format!("{head}\n…\n{tail}")
        };
        Evidence {
            source_id: job.source_id,
            host: host_of(job.url.as_deref().unwrap_or(&job.source_url)).unwrap_or_default(),
            outlet: job.source_title.clone(),
            canonical_url: job.canonical_url.clone(),
            author: job.author.clone(),
            text_ends,
            published: job.published_at,
            seen: job.fetched_at,
        }
    }

    fn as_copy(&self) -> CopyEvidence<'_> {
        CopyEvidence {
            host: &self.host,
            outlet: self.outlet.as_deref(),
            canonical_url: self.canonical_url.as_deref(),
            author: self.author.as_deref(),
            text: &self.text_ends,
            published: self.published,
            seen: self.seen,
        }
    }
}

/// In-memory state of the story stage. Not shared: one task owns it (see [`crate::Ingester::cluster_pending`]).
pub struct StoryEngine {
    config: StoriesConfig,
    clusterer: StoryClusterer,
    dups: DupIndex<ArticleId>,
    evidence: FxHashMap<ArticleId, Evidence>,
    evidence_order: VecDeque<ArticleId>,
    /// For each article in a group of copies, the group's original.
    original_of: FxHashMap<ArticleId, ArticleId>,
    /// Each original's copies (not including itself).
    copies_of: FxHashMap<ArticleId, Vec<ArticleId>>,
    /// The stored story of each clusterer story.
    stored: FxHashMap<u32, StoryId>,
    /// Recent titles of each clusterer story, for its headline, and the headline last stored.
    titles: FxHashMap<u32, (Vec<String>, String)>,
    /// Articles seen (replayed or new), and the arrival of each story's latest article, oldest first: stories
    /// idle for more than `memory_articles` arrivals are forgotten (the clusterer retires them too), so the
    /// engine's memory stays bounded however long it runs.
    arrivals: u64,
    last_arrival: FxHashMap<u32, u64>,
    arrival_order: VecDeque<(u32, u64)>,
}

/// What one call of [`StoryEngine::cluster`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClusterReport {
    /// Articles clustered.
    pub articles: usize,
    /// Stories created.
    pub new_stories: usize,
    /// Stored stories merged into another.
    pub merges: usize,
    /// Articles found to be copies of another outlet's article.
    pub copies: usize,
}

impl StoryEngine {
    /// An empty engine.
    pub fn new(config: StoriesConfig) -> StoryEngine {
        let cluster = ClusterConfig {
            window: TimeDelta::days(i64::from(config.window_days)),
            idle_articles: u32::try_from(config.memory_articles).unwrap_or(u32::MAX),
            ..ClusterConfig::default()
        };
        let capacity = config.memory_articles;
        StoryEngine {
            config,
            clusterer: StoryClusterer::new(cluster),
            dups: DupIndex::new(DupConfig::default(), capacity),
            evidence: FxHashMap::default(),
            evidence_order: VecDeque::new(),
            original_of: FxHashMap::default(),
            copies_of: FxHashMap::default(),
            stored: FxHashMap::default(),
            titles: FxHashMap::default(),
            arrivals: 0,
            last_arrival: FxHashMap::default(),
            arrival_order: VecDeque::new(),
        }
    }

    /// Rebuilds the in-memory state from the articles clustered within the window: each joins the stored story
    /// it already has. Returns how many were replayed.
    pub async fn warm_up(&mut self, store: &dyn Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let since = now - TimeDelta::days(i64::from(self.config.window_days));
        let limit = i64::try_from(self.config.memory_articles).unwrap_or(i64::MAX);
        let jobs = store.recent_clustered(since, limit).await?;
        for (n, job) in jobs.iter().enumerate() {
            if n % 256 == 255 {
                // Replaying a large window is seconds of CPU work: let the rest of the server run meanwhile.
                tokio::task::yield_now().await;
            }
            self.remember_copy(job);
            let story = self.clusterer.add(&input_of(job));
            let story = self.clusterer.resolve(story).0;
            if let Some(stored) = job.story_id {
                // The first stored story seen for a clusterer story names it; replay never rewrites the store.
                self.stored.entry(story).or_insert(stored);
            }
            self.note_title(story, &job.title, None);
        }
        // Stories the replay merged are known under the survivor.
        let merged: Vec<(u32, StoryId)> = self
            .stored
            .iter()
            .filter(|&(&s, _)| self.clusterer.resolve(tidings_text::StoryId(s)).0 != s)
            .map(|(&s, &id)| (s, id))
            .collect();
        for (gone, id) in merged {
            self.stored.remove(&gone);
            self.stored.entry(self.clusterer.resolve(tidings_text::StoryId(gone)).0).or_insert(id);
        }
        Ok(jobs.len())
    }

    /// Clusters one batch of pending articles and stores the outcome in one transaction.
    pub async fn cluster(
        &mut self,
        store: &dyn Store,
        teaser_max_chars: i64,
        now: DateTime<Utc>,
    ) -> Result<ClusterReport, StoreError> {
        let grace = TimeDelta::seconds(i64::try_from(self.config.extraction_grace_secs).unwrap_or(i64::MAX));
        let jobs = store.pending_clustering(self.config.batch_size, teaser_max_chars, now - grace).await?;
        if jobs.is_empty() {
            return Ok(ClusterReport::default());
        }
        let plan = self.plan(&jobs);
        let report = plan.report;
        let created = store.record_clustering(now, plan.batch).await?;
        for (story, index) in plan.created {
            if let Some(&id) = created.get(index) {
                self.stored.insert(story, id);
            }
        }
        // Related stories change as stories grow: refresh them for the stories this batch touched.
        for story in plan.touched {
            let story = self.clusterer.resolve(tidings_text::StoryId(story)).0;
            let Some(&id) = self.stored.get(&story) else { continue };
            let related: Vec<(StoryId, f32)> = self
                .clusterer
                .related(tidings_text::StoryId(story), RELATED_STORIES, RELATED_MIN_SIMILARITY)
                .into_iter()
                .filter_map(|(other, sim)| self.stored.get(&other.0).map(|&o| (o, sim)))
                .filter(|&(o, _)| o != id)
                .collect();
            store.record_related(id, &related).await?;
        }
        Ok(report)
    }

    /// Decides stories and originals for `jobs` (in order) and updates the in-memory state; the store is
    /// written by the caller.
    fn plan(&mut self, jobs: &[ClusterJob]) -> Plan {
        let mut report = ClusterReport { articles: jobs.len(), ..ClusterReport::default() };
        let mut batch = ClusteringBatch::default();
        let mut new_in_batch: FxHashMap<u32, usize> = FxHashMap::default();
        let mut joined: Vec<(ArticleId, u32)> = Vec::with_capacity(jobs.len());
        let mut originals: FxHashMap<ArticleId, Option<(ArticleId, OriginalReason)>> = FxHashMap::default();
        for job in jobs {
            if let Some(changes) = self.remember_copy(job) {
                report.copies += 1;
                originals.extend(changes);
            }
            let live_before = self.clusterer.stories();
            let added = self.clusterer.add(&input_of(job));
            let story = self.clusterer.resolve(added).0;
            let is_new = !self.stored.contains_key(&story) && !new_in_batch.contains_key(&story);
            if is_new {
                new_in_batch.insert(story, batch.new_stories.len());
                batch.new_stories.push(job.title.clone());
            }
            // Fewer live stories than expected means the article made two stories converge: find the stored
            // ones that now resolve elsewhere.
            if self.clusterer.stories() < live_before + usize::from(is_new) {
                let moved: Vec<(u32, StoryId)> = self
                    .stored
                    .iter()
                    .filter(|&(&s, _)| self.clusterer.resolve(tidings_text::StoryId(s)).0 != s)
                    .map(|(&s, &id)| (s, id))
                    .collect();
                for (gone, id) in moved {
                    self.stored.remove(&gone);
                    let into = self.clusterer.resolve(tidings_text::StoryId(gone)).0;
                    if let Some((titles, _)) = self.titles.remove(&gone) {
                        for title in titles {
                            self.note_title(into, &title, None);
                        }
                    }
                    match self.stored.get(&into) {
                        Some(&kept) => batch.merges.push((id, StoryTarget::Existing(kept))),
                        // The survivor was born in this batch: the stored story lives on under it instead. The
                        // batch still creates the new row, which stays empty (lists skip empty stories).
                        None => {
                            new_in_batch.remove(&into);
                            self.stored.insert(into, id);
                        }
                    }
                    report.merges += 1;
                }
            }
            joined.push((job.article_id, story));
            self.note_title(story, &job.title, Some(&mut batch));
        }
        let mut created = Vec::new();
        let mut touched: Vec<u32> = joined.iter().map(|&(_, s)| s).collect();
        touched.sort_unstable();
        touched.dedup();
        for (article, story) in joined {
            let story = self.clusterer.resolve(tidings_text::StoryId(story)).0;
            let target = match (self.stored.get(&story), new_in_batch.get(&story)) {
                (Some(&id), _) => StoryTarget::Existing(id),
                (None, Some(&index)) => StoryTarget::New(index),
                (None, None) => {
                    // A story created earlier in this batch and merged into another new one.
                    let index = batch.new_stories.len();
                    batch.new_stories.push(self.titles.get(&story).map(|t| t.1.clone()).unwrap_or_default());
                    new_in_batch.insert(story, index);
                    StoryTarget::New(index)
                }
            };
            batch.assignments.push((article, target));
        }
        for (&story, &index) in &new_in_batch {
            created.push((story, index));
            if let Some((_, headline)) = self.titles.get(&story)
                && let Some(slot) = batch.new_stories.get_mut(index)
            {
                slot.clone_from(headline);
            }
        }
        let created = compact_new_stories(&mut batch, created);
        report.new_stories = created.len();
        batch.headlines.retain(|(target, _)| matches!(target, StoryTarget::Existing(_)));
        batch.originals = originals.into_iter().collect();
        batch.originals.sort_by_key(|(article, _)| *article);
        Plan { batch, created, touched, report }
    }

    /// Adds a story's title and, when the representative title changes for a stored story, queues the new
    /// headline in `batch`.
    fn note_title(&mut self, story: u32, title: &str, batch: Option<&mut ClusteringBatch>) {
        self.touch(story);
        let entry = self.titles.entry(story).or_insert_with(|| (Vec::new(), title.to_owned()));
        if entry.0.len() >= HEADLINE_CANDIDATES {
            entry.0.remove(0);
        }
        entry.0.push(title.to_owned());
        let refs: Vec<&str> = entry.0.iter().map(String::as_str).collect();
        let Some(best) = pick_headline(&refs).and_then(|i| entry.0.get(i)) else { return };
        if *best != entry.1 {
            entry.1 = best.clone();
            if let (Some(batch), Some(&id)) = (batch, self.stored.get(&story)) {
                batch.headlines.retain(|(t, _)| *t != StoryTarget::Existing(id));
                batch.headlines.push((StoryTarget::Existing(id), best.clone()));
            }
        }
    }

    /// Fingerprints the article, and when it copies a recent article of another source, joins their group and
    /// decides the group's original again. Returns the originals that changed (`None` for the original itself),
    /// or `None` when the article is not a copy.
    fn remember_copy(&mut self, job: &ClusterJob) -> Option<Vec<OriginalChange>> {
        let fingerprint = self.dups.fingerprint(&job.text)?;
        let evidence = Evidence::of(job);
        let matched =
            self.dups.find(&fingerprint).into_iter().map(|(id, _)| id).find(|id| {
                id != &job.article_id && self.evidence.get(id).is_some_and(|e| e.source_id != job.source_id)
            });
        self.dups.insert(job.article_id, fingerprint);
        self.evidence.insert(job.article_id, evidence);
        self.evidence_order.push_back(job.article_id);
        self.forget_oldest();
        if let Some(original) = job.original_article_id {
            // Replay: the stored decision stands.
            self.link(original, job.article_id);
            return None;
        }
        let matched = matched?;
        let root = self.original_of.get(&matched).copied().unwrap_or(matched);
        self.link(root, job.article_id);
        let mut members = vec![root];
        members.extend(self.copies_of.get(&root).cloned().unwrap_or_default());
        let present: Vec<ArticleId> = members.iter().copied().filter(|m| self.evidence.contains_key(m)).collect();
        let copies: Vec<CopyEvidence<'_>> =
            present.iter().filter_map(|m| self.evidence.get(m)).map(Evidence::as_copy).collect();
        let (best, reason) = choose_original(&copies)?;
        let new_root = present.get(best).copied().unwrap_or(root);
        let mut changes = Vec::with_capacity(members.len());
        if new_root != root {
            let all = members.clone();
            self.copies_of.remove(&root);
            for m in &all {
                self.original_of.remove(m);
            }
            for &m in &all {
                if m != new_root {
                    self.link(new_root, m);
                }
            }
        }
        for &m in &members {
            if m == new_root {
                changes.push((m, None));
            } else if m == job.article_id || new_root != root {
                changes.push((m, Some((new_root, reason))));
            }
        }
        Some(changes)
    }

    /// Records an article's arrival in `story` and forgets stories idle beyond the memory bound.
    fn touch(&mut self, story: u32) {
        self.arrivals += 1;
        self.last_arrival.insert(story, self.arrivals);
        self.arrival_order.push_back((story, self.arrivals));
        let horizon = self.config.memory_articles as u64;
        while let Some(&(old, at)) = self.arrival_order.front() {
            if at + horizon >= self.arrivals {
                break;
            }
            self.arrival_order.pop_front();
            if self.last_arrival.get(&old) == Some(&at) {
                self.last_arrival.remove(&old);
                self.titles.remove(&old);
                self.stored.remove(&old);
            }
        }
    }

    fn link(&mut self, original: ArticleId, copy: ArticleId) {
        if original == copy {
            return;
        }
        self.original_of.insert(copy, original);
        let copies = self.copies_of.entry(original).or_default();
        if !copies.contains(&copy) {
            copies.push(copy);
        }
    }

    /// Drops the copy-detection state of articles beyond the memory bound (the near-duplicate index evicts
    /// the same ones, oldest first).
    fn forget_oldest(&mut self) {
        while self.evidence_order.len() > self.config.memory_articles {
            let Some(old) = self.evidence_order.pop_front() else { break };
            self.evidence.remove(&old);
            if let Some(root) = self.original_of.remove(&old)
                && let Some(copies) = self.copies_of.get_mut(&root)
            {
                copies.retain(|c| *c != old);
            }
            if let Some(copies) = self.copies_of.remove(&old) {
                for c in copies {
                    self.original_of.remove(&c);
                }
            }
        }
    }
}

struct Plan {
    batch: ClusteringBatch,
    /// Clusterer story → index into `batch.new_stories`.
    created: Vec<(u32, usize)>,
    /// Clusterer stories that took articles.
    touched: Vec<u32>,
    report: ClusterReport,
}

/// Drops the batch's new stories that no article ended in (they merged into another story within the batch),
/// so no empty story row is created, and renumbers the rest. Returns `created` with the new numbers.
fn compact_new_stories(batch: &mut ClusteringBatch, created: Vec<(u32, usize)>) -> Vec<(u32, usize)> {
    let mut used: Vec<usize> = batch
        .assignments
        .iter()
        .filter_map(|(_, t)| match t {
            StoryTarget::New(i) => Some(*i),
            StoryTarget::Existing(_) => None,
        })
        .collect();
    used.sort_unstable();
    used.dedup();
    let renumber = |i: usize| used.binary_search(&i).ok();
    batch.new_stories = used.iter().filter_map(|&i| batch.new_stories.get(i).cloned()).collect();
    for (_, target) in &mut batch.assignments {
        if let StoryTarget::New(i) = target
            && let Some(n) = renumber(*i)
        {
            *i = n;
        }
    }
    for (_, target) in &mut batch.merges {
        if let StoryTarget::New(i) = target
            && let Some(n) = renumber(*i)
        {
            *i = n;
        }
    }
    created.into_iter().filter_map(|(story, i)| renumber(i).map(|n| (story, n))).collect()
}

fn input_of(job: &ClusterJob) -> ClusterInput<'_> {
    ClusterInput {
        title: &job.title,
        text: &job.text,
        outlet: job.source_title.as_deref().or(Some(job.source_url.as_str())),
        published: job.published_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(n: i64) -> ClusterJob {
        // Distinct made-up words per article, so each starts its own story and has its own fingerprint.
        let words: Vec<String> = (0..60).map(|i| format!("w{n}x{i}")).collect();
        ClusterJob {
            article_id: n,
            source_id: n % 7,
            source_title: Some(format!("Outlet {}", n % 7)),
            source_url: format!("https://o{}.example/feed", n % 7),
            url: Some(format!("https://o{}.example/{n}", n % 7)),
            canonical_url: None,
            title: format!("Headline w{n}x1 w{n}x2 w{n}x3"),
            author: None,
            text: words.join(" "),
            published_at: None,
            fetched_at: Utc::now(),
            story_id: None,
            original_article_id: None,
        }
    }

    #[test]
    fn memory_stays_bounded_over_a_long_run() {
        let config = StoriesConfig { memory_articles: 1000, ..StoriesConfig::default() };
        let mut engine = StoryEngine::new(config);
        for chunk in (0..5000).collect::<Vec<i64>>().chunks(500) {
            let jobs: Vec<ClusterJob> = chunk.iter().map(|&n| job(n)).collect();
            let plan = engine.plan(&jobs);
            assert_eq!(plan.batch.assignments.len(), jobs.len());
        }
        assert!(engine.titles.len() <= 1001, "{}", engine.titles.len());
        assert!(engine.last_arrival.len() <= 1001);
        assert!(engine.arrival_order.len() <= 1001);
        assert!(engine.evidence.len() <= 1000 && engine.dups.len() <= 1000);
    }

    #[test]
    fn new_stories_that_merged_within_the_batch_create_no_empty_rows() {
        let mut batch = ClusteringBatch {
            new_stories: vec!["a".into(), "b (merged into c)".into(), "c".into()],
            assignments: vec![(1, StoryTarget::New(0)), (2, StoryTarget::New(2)), (3, StoryTarget::Existing(9))],
            merges: vec![(7, StoryTarget::New(2))],
            ..ClusteringBatch::default()
        };
        let created = compact_new_stories(&mut batch, vec![(10, 0), (11, 1), (12, 2)]);
        assert_eq!(batch.new_stories, ["a", "c"]);
        assert_eq!(
            batch.assignments,
            [(1, StoryTarget::New(0)), (2, StoryTarget::New(1)), (3, StoryTarget::Existing(9))]
        );
        assert_eq!(batch.merges, [(7, StoryTarget::New(1))]);
        assert_eq!(created, [(10, 0), (12, 1)]);
    }

    #[test]
    fn a_copy_found_in_the_same_batch_points_to_the_earlier_outlet() {
        let mut engine = StoryEngine::new(StoriesConfig::default());
        let original = job(1);
        let mut copy = job(2);
        copy.text = format!("Shared from a partner. {}", original.text);
        copy.fetched_at = original.fetched_at + TimeDelta::minutes(5);
        let plan = engine.plan(&[original, copy]);
        assert_eq!(plan.report.copies, 1);
        assert!(plan.batch.originals.contains(&(2, Some((1, OriginalReason::Earliest)))), "{:?}", plan.batch.originals);
        assert!(plan.batch.originals.contains(&(1, None)));
    }
}
