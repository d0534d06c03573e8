//! The brief of a story: what its outlets agree on, and what only some of them report.
//!
//! Every article's first [`MAX_SENTENCES`] usable sentences (the summariser's noise filters apply) become
//! vectors of stemmed content terms, weighted by rarity among the story's sentences (idf) and more for names
//! and numbers, which carry the facts. Two sentences of different articles say the same thing when their
//! cosine reaches [`SAME_CLAIM`].
//!
//! - **Agreed**: a sentence echoed by articles of at least one other outlet is a point the outlets agree on;
//!   points are ranked by how many outlets carry them, then by how closely they match, and a point too like one
//!   already listed is skipped. The representative sentence is the best-matching one among those of a
//!   reasonable length.
//! - **Only some**: an informative sentence (with a name or a number, of bullet length) that no other article
//!   comes near ([`UNIQUE_BELOW`]) is reported by that article alone; at most one per article is taken before
//!   any article gets a second, so one long article does not fill the list.
//!
//! Cost: quadratic in the story's sentences, bounded by [`MAX_ARTICLES`] × [`MAX_SENTENCES`].

use rustc_hash::{FxHashMap, FxHashSet};

use crate::summary::{Candidate, SummaryConfig, candidates, trim_attribution};

/// Sentences of each article read (the lead carries the facts outlets share).
pub const MAX_SENTENCES: usize = 25;
/// Articles of a story read, in the order given.
pub const MAX_ARTICLES: usize = 60;
/// Cosine at or above which two sentences make the same claim.
pub const SAME_CLAIM: f32 = 0.45;
/// A sentence is unique to its article when no sentence of another article reaches this cosine with it.
pub const UNIQUE_BELOW: f32 = 0.25;
/// At most this many points of each kind.
pub const MAX_POINTS: usize = 5;
/// Representative sentences and unique points have at most this many words (and at least [`MIN_WORDS`]).
const MAX_WORDS: usize = 40;
const MIN_WORDS: usize = 8;
/// Openings that leave a sentence unclear on its own.
const PRONOUNS: &[&str] = &["It", "He", "She", "They", "This", "These", "That", "Those", "His", "Her", "Their", "Its"];
/// Names and numbers weigh this much more than other terms.
const HEAVY_WEIGHT: f32 = 1.5;

/// One article of a story.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BriefArticle {
    /// The article's id (whatever the caller uses to find it again).
    pub id: i64,
    /// The outlet that published it; articles of the same outlet do not confirm each other.
    pub outlet: String,
    /// The article's title.
    pub title: String,
    /// The article's text.
    pub text: String,
}

/// One point of a brief.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BriefPoint {
    /// A sentence that states the point, as one article has it (attribution trimmed).
    pub sentence: String,
    /// The article the sentence comes from.
    pub article: i64,
    /// Every article that carries the point, the sentence's own first, then in the order given.
    pub articles: Vec<i64>,
    /// How many distinct outlets carry the point.
    pub outlets: usize,
}

/// What a story's outlets agree on and what only some report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Brief {
    /// Points carried by at least two outlets, most widely carried first.
    pub agreed: Vec<BriefPoint>,
    /// Points found in one article only, each with that article.
    pub only_some: Vec<BriefPoint>,
}

impl Brief {
    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.agreed.is_empty() && self.only_some.is_empty()
    }
}

/// A sentence of the story.
struct Item {
    article: usize,
    position: usize,
    cand: Candidate,
    /// Sorted by term id, unit length.
    vector: Vec<(u32, f32)>,
}

fn cosine(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut dot) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    dot
}

/// The brief of a story (see the module documentation). Empty for fewer than two articles.
pub fn story_brief(articles: &[BriefArticle]) -> Brief {
    let articles = &articles[..articles.len().min(MAX_ARTICLES)];
    if articles.len() < 2 {
        return Brief::default();
    }
    let cfg = SummaryConfig { max_read: MAX_SENTENCES, ..SummaryConfig::default() };
    let mut items: Vec<Item> = Vec::new();
    for (a, article) in articles.iter().enumerate() {
        let cands = candidates(&article.text, &cfg);
        for (position, cand) in cands.into_iter().filter(|c| c.usable && !c.terms.is_empty()).enumerate() {
            items.push(Item { article: a, position, cand, vector: Vec::new() });
        }
    }
    // Term ids and document frequencies over the story's sentences.
    let mut ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut df: Vec<f32> = Vec::new();
    let item_terms: Vec<Vec<u32>> = items
        .iter()
        .map(|it| {
            it.cand
                .terms
                .iter()
                .map(|t| {
                    let next = ids.len() as u32;
                    let id = *ids.entry(t.clone()).or_insert(next);
                    if id as usize == df.len() {
                        df.push(0.0);
                    }
                    df[id as usize] += 1.0;
                    id
                })
                .collect()
        })
        .collect();
    let n = items.len() as f32;
    for (it, terms) in items.iter_mut().zip(&item_terms) {
        let mut v: Vec<(u32, f32)> = terms
            .iter()
            .zip(&it.cand.heavy)
            .map(|(&id, &heavy)| {
                let idf = (1.0 + n / df[id as usize]).ln();
                (id, if heavy { idf * HEAVY_WEIGHT } else { idf })
            })
            .collect();
        v.sort_unstable_by_key(|x| x.0);
        let norm = v.iter().map(|x| x.1 * x.1).sum::<f32>().sqrt().max(1e-6);
        v.iter_mut().for_each(|x| x.1 /= norm);
        it.vector = v;
    }
    // For each sentence, the best match in every other article.
    let outlet_key = |a: usize| {
        let o = articles[a].outlet.trim().to_lowercase();
        if o.is_empty() { format!("#{}", articles[a].id) } else { o }
    };
    let outlet_of: Vec<String> = (0..articles.len()).map(outlet_key).collect();
    let mut best: Vec<FxHashMap<usize, f32>> = vec![FxHashMap::default(); items.len()];
    for i in 0..items.len() {
        for j in i + 1..items.len() {
            if items[i].article == items[j].article {
                continue;
            }
            let sim = cosine(&items[i].vector, &items[j].vector);
            if sim < UNIQUE_BELOW {
                continue;
            }
            let (ai, aj) = (items[i].article, items[j].article);
            let e = best[i].entry(aj).or_insert(0.0);
            *e = e.max(sim);
            let e = best[j].entry(ai).or_insert(0.0);
            *e = e.max(sim);
        }
    }
    let support = |i: usize| -> Vec<usize> {
        let mut s: Vec<usize> = best[i].iter().filter(|&(_, &sim)| sim >= SAME_CLAIM).map(|(&a, _)| a).collect();
        s.sort_unstable();
        s
    };
    let outlets_of = |i: usize, sup: &[usize]| -> usize {
        let mut set: FxHashSet<&str> = sup.iter().map(|&a| outlet_of[a].as_str()).collect();
        set.insert(outlet_of[items[i].article].as_str());
        set.len()
    };
    let fits = |c: &Candidate| (MIN_WORDS..=MAX_WORDS).contains(&c.words) && !c.weak;

    // Agreed points.
    let mut ranked: Vec<(usize, usize, f32)> = (0..items.len())
        .filter(|&i| fits(&items[i].cand))
        .filter_map(|i| {
            let sup = support(i);
            let outlets = outlets_of(i, &sup);
            let strength: f32 = sup.iter().map(|a| best[i][a]).sum();
            // A sentence opening on a pronoun ("It will run …") needs its neighbours; another wording reads better.
            let first = items[i].cand.text.split_whitespace().next().unwrap_or("");
            let pronoun = if PRONOUNS.contains(&first) { 0.5 } else { 0.0 };
            (outlets >= 2).then_some((i, outlets, strength - pronoun - 0.01 * items[i].position as f32))
        })
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.total_cmp(&a.2)).then(a.0.cmp(&b.0)));
    let mut agreed: Vec<BriefPoint> = Vec::new();
    let mut taken: Vec<usize> = Vec::new();
    for (i, outlets, _) in ranked {
        if agreed.len() >= MAX_POINTS {
            break;
        }
        if taken.iter().any(|&j| cosine(&items[i].vector, &items[j].vector) >= SAME_CLAIM) {
            continue;
        }
        let mut ids = vec![articles[items[i].article].id];
        ids.extend(support(i).into_iter().map(|a| articles[a].id));
        agreed.push(BriefPoint {
            sentence: trim_attribution(&items[i].cand.text),
            article: articles[items[i].article].id,
            articles: ids,
            outlets,
        });
        taken.push(i);
    }

    // Points only one article reports: informative, unmatched, spread over the articles.
    let mut unique: Vec<(usize, f32)> = (0..items.len())
        .filter(|&i| {
            fits(&items[i].cand) && best[i].is_empty() && items[i].cand.specific > 0 && items[i].cand.terms.len() >= 5
        })
        .map(|i| {
            let c = &items[i].cand;
            (i, c.specific as f32 / c.terms.len() as f32 + 1.0 / (1.0 + items[i].position as f32))
        })
        .collect();
    unique.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut only_some: Vec<BriefPoint> = Vec::new();
    let mut per_article: FxHashMap<usize, usize> = FxHashMap::default();
    for round in 1..=MAX_POINTS {
        for &(i, _) in &unique {
            if only_some.len() >= MAX_POINTS {
                break;
            }
            let a = items[i].article;
            if per_article.get(&a).copied().unwrap_or(0) >= round
                || taken.contains(&i)
                || taken.iter().any(|&j| cosine(&items[i].vector, &items[j].vector) >= UNIQUE_BELOW)
            {
                continue;
            }
            *per_article.entry(a).or_insert(0) += 1;
            taken.push(i);
            only_some.push(BriefPoint {
                sentence: trim_attribution(&items[i].cand.text),
                article: articles[a].id,
                articles: vec![articles[a].id],
                outlets: 1,
            });
        }
    }
    Brief { agreed, only_some }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn article(id: i64, outlet: &str, text: &str) -> BriefArticle {
        BriefArticle { id, outlet: outlet.into(), title: String::new(), text: text.into() }
    }

    fn story() -> Vec<BriefArticle> {
        vec![
            article(
                1,
                "Harbour Herald",
                "The Portville council approved a 40 million euro tram line to the harbour on Tuesday. \
                 The line will run six kilometres from the central station to the ferry terminal. \
                 Mayor Ana Ruiz said the vote ended a decade of debate. \
                 Local bakers plan a tram-shaped cake contest for the opening in 2028.",
            ),
            article(
                2,
                "Daily Courier",
                "Portville's council voted on Tuesday to build a 40 million euro tram line to the harbour. \
                 It will run six kilometres between the central station and the ferry terminal, officials said. \
                 Opposition leader Tomas Berg called the 40 million price far too high for the city budget.",
            ),
            article(
                3,
                "Evening Post",
                "A tram line to Portville harbour costing 40 million euros was approved by the council. \
                 The route runs six kilometres from the central station to the ferry terminal with nine stops. \
                 Construction firms have until March 2026 to bid for the contract with the Portville council.",
            ),
        ]
    }

    #[test]
    fn agreed_and_unique_points() {
        let brief = story_brief(&story());
        assert!(!brief.agreed.is_empty(), "{brief:#?}");
        let first = &brief.agreed[0];
        assert_eq!(first.outlets, 3, "{brief:#?}");
        assert_eq!(first.articles.len(), 3);
        assert!(brief.agreed.len() <= MAX_POINTS && brief.only_some.len() <= MAX_POINTS);
        // The approval and the route are shared; the cake, the opposition and the bids are not.
        assert!(brief.agreed.iter().all(|p| !p.sentence.starts_with("It ")), "{brief:#?}");
        let agreed_text: String = brief.agreed.iter().map(|p| p.sentence.as_str()).collect();
        assert!(agreed_text.contains("40 million") && agreed_text.contains("six kilometres"), "{brief:#?}");
        let unique: Vec<&str> = brief.only_some.iter().map(|p| p.sentence.as_str()).collect();
        assert!(unique.iter().any(|s| s.contains("Tomas Berg")), "{brief:#?}");
        assert!(unique.iter().any(|s| s.contains("March 2026")), "{brief:#?}");
        for p in &brief.only_some {
            assert_eq!(p.articles, [p.article]);
            assert!(!agreed_text.contains(&p.sentence));
        }
    }

    #[test]
    fn one_outlet_does_not_agree_with_itself() {
        let mut s = story();
        for a in &mut s {
            a.outlet = "Same Group".into();
        }
        assert!(story_brief(&s).agreed.is_empty());
    }

    #[test]
    fn small_inputs() {
        assert!(story_brief(&[]).is_empty());
        assert!(story_brief(&story()[..1]).is_empty());
        let empty = [article(1, "A", ""), article(2, "B", "")];
        assert!(story_brief(&empty).is_empty());
    }

    #[test]
    fn fifty_articles_stay_fast() {
        let base = story();
        let many: Vec<BriefArticle> = (0..50)
            .map(|i| {
                let mut a = base[i % 3].clone();
                a.id = i as i64;
                a.outlet = format!("Outlet {i}");
                a.text = a.text.repeat(8);
                a
            })
            .collect();
        let start = std::time::Instant::now();
        let brief = story_brief(&many);
        assert!(brief.agreed.len() <= MAX_POINTS);
        // Generous for debug builds on a shared machine; release is far faster.
        assert!(start.elapsed().as_secs_f64() < 5.0);
    }
}
