#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Behaviour of the online story clusterer on small hand-written fixtures.

use chrono::{TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use tidings_text::{ClusterConfig, ClusterInput, StoryClusterer, StoryId};

/// Background articles on unrelated events, so that document frequencies mean something.
const BACKGROUND: &[(&str, &str)] = &[
    (
        "City council approves new budget for schools",
        "The city council voted on Tuesday to approve a budget that raises spending on public schools and libraries.",
    ),
    (
        "Storm knocks out power to thousands on the coast",
        "A winter storm brought heavy snow and strong winds, leaving thousands of homes without electricity.",
    ),
    (
        "Central bank holds interest rates steady",
        "The central bank kept its benchmark interest rate unchanged, citing slowing inflation and a cooling labour market.",
    ),
    (
        "Football club sacks manager after losing streak",
        "The club dismissed its manager after a run of six defeats left the team near the bottom of the league.",
    ),
    (
        "Scientists discover new species of frog in rainforest",
        "Researchers exploring the rainforest found a tiny frog species previously unknown to science.",
    ),
    (
        "Airline cancels flights as pilots strike over pay",
        "Hundreds of flights were cancelled after pilots walked out in a dispute over wages and working hours.",
    ),
    (
        "Museum returns looted statues to Greece",
        "The museum handed back ancient marble statues that investigators said had been looted decades ago.",
    ),
    (
        "Tech company unveils foldable phone",
        "The company showed off a smartphone with a folding screen and a longer battery life at its annual event.",
    ),
];

fn input<'a>(title: &'a str, text: &'a str) -> ClusterInput<'a> {
    ClusterInput { title, text, outlet: None, published: None }
}

fn with_background() -> StoryClusterer {
    let mut c = StoryClusterer::new(ClusterConfig::default());
    for (t, x) in BACKGROUND {
        c.add(&input(t, x));
    }
    c
}

#[test]
fn same_event_in_different_words_joins_one_story() {
    let mut c = with_background();
    let a = c.add(&input(
        "Earthquake of magnitude 7.1 strikes off Valparaiso, Chile",
        "A powerful earthquake struck off the coast of Valparaiso on Sunday, shaking buildings in Santiago and prompting a tsunami warning.",
    ));
    let b = c.add(&input(
        "Chile quake: tsunami warning after 7.1 tremor near Valparaiso",
        "Chilean authorities issued a tsunami warning after a magnitude 7.1 earthquake hit near Valparaiso, with tremors felt in Santiago.",
    ));
    assert_eq!(c.resolve(a), c.resolve(b));
    assert_eq!(c.story(b).unwrap().size, 2);
}

#[test]
fn different_events_stay_apart() {
    let mut c = with_background();
    let a = c.add(&input(
        "Earthquake of magnitude 7.1 strikes off Valparaiso, Chile",
        "A powerful earthquake struck off the coast of Valparaiso on Sunday, prompting a tsunami warning.",
    ));
    let b = c.add(&input(
        "Parliament passes law on online privacy",
        "Lawmakers passed a bill that limits how companies can collect and sell personal data gathered online.",
    ));
    let d = c.add(&input(
        "Wildfire forces evacuations in California valley",
        "Firefighters battled a fast-moving wildfire that forced thousands of residents to evacuate their homes.",
    ));
    assert_ne!(c.resolve(a), c.resolve(b));
    assert_ne!(c.resolve(b), c.resolve(d));
    assert_ne!(c.resolve(a), c.resolve(d));
}

#[test]
fn every_article_gets_a_story_in_arrival_order() {
    let mut c = StoryClusterer::new(ClusterConfig::default());
    let ids: Vec<StoryId> = BACKGROUND.iter().map(|(t, x)| c.add(&input(t, x))).collect();
    assert_eq!(c.articles(), BACKGROUND.len());
    // Unrelated articles each start their own story, numbered in arrival order.
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(c.resolve(*id), StoryId(i as u32));
        assert_eq!(c.story(*id).unwrap().articles, &[i as u32]);
    }
    assert_eq!(c.stories(), BACKGROUND.len());
}

#[test]
fn adding_is_incremental_earlier_assignments_stand() {
    // Clustering a prefix gives the same stories as the same prefix within a longer run.
    let articles: Vec<(String, String)> = (0..40)
        .map(|i| {
            let topic = ["harbour strike", "vaccine trial", "mayoral election", "bridge collapse"][i % 4];
            (
                format!("Update {i} on the {topic}"),
                format!("Officials gave news about the {topic} today, report number {i}."),
            )
        })
        .collect();
    let mut short = StoryClusterer::new(ClusterConfig::default());
    let mut long = StoryClusterer::new(ClusterConfig::default());
    let mut a = Vec::new();
    for (t, x) in &articles[..20] {
        a.push(short.add(&input(t, x)));
    }
    let mut b = Vec::new();
    for (t, x) in &articles {
        b.push(long.add(&input(t, x)));
    }
    assert_eq!(a, b[..20].to_vec());
}

#[test]
fn time_window_keeps_old_stories_closed() {
    let mut c = with_background();
    let t0 = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
    let text = "A powerful earthquake struck off the coast of Valparaiso, prompting a tsunami warning.";
    let a = c.add(&ClusterInput { published: Some(t0), ..input("Earthquake strikes Valparaiso", text) });
    let b = c.add(&ClusterInput {
        published: Some(t0 + TimeDelta::days(1)),
        ..input("Earthquake strikes Valparaiso", text)
    });
    let d = c.add(&ClusterInput {
        published: Some(t0 + TimeDelta::days(30)),
        ..input("Earthquake strikes Valparaiso", text)
    });
    assert_eq!(c.resolve(a), c.resolve(b));
    assert_ne!(c.resolve(a), c.resolve(d));
    let s = c.story(a).unwrap();
    assert_eq!(s.first_seen, Some(t0));
    assert_eq!(s.last_updated, Some(t0 + TimeDelta::days(1)));
}

#[test]
fn outlets_and_headline_are_kept() {
    let mut c = with_background();
    let text = "A powerful earthquake struck off the coast of Valparaiso, prompting a tsunami warning.";
    let a = c.add(&ClusterInput { outlet: Some("El Mercurio"), ..input("Earthquake strikes Valparaiso", text) });
    c.add(&ClusterInput { outlet: Some("Reuters"), ..input("Valparaiso earthquake triggers tsunami warning", text) });
    let s = c.story(a).unwrap();
    assert_eq!(s.headline, "Earthquake strikes Valparaiso");
    assert_eq!(s.outlets, &["El Mercurio".to_string(), "Reuters".to_string()]);
}

#[test]
fn empty_articles_do_not_panic() {
    let mut c = StoryClusterer::new(ClusterConfig::default());
    let a = c.add(&input("", ""));
    let b = c.add(&input("", ""));
    assert_ne!(a, b, "empty articles share nothing");
    c.add(&input("...", "!!! ??? ---"));
}

proptest! {
    #[test]
    fn never_panics_and_ids_resolve(articles in proptest::collection::vec((".{0,40}", ".{0,200}", proptest::option::of(0i64..100)), 0..30)) {
        let mut c = StoryClusterer::new(ClusterConfig::default());
        let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        for (t, x, d) in &articles {
            let id = c.add(&ClusterInput { title: t, text: x, outlet: None, published: d.map(|d| t0 + TimeDelta::days(d)) });
            prop_assert!(c.story(id).is_some());
        }
        let total: usize = (0..c.articles() as u32).map(StoryId).filter_map(|id| {
            let r = c.resolve(id);
            (r == id).then(|| c.story(id).map(|s| s.size)).flatten()
        }).sum();
        prop_assert_eq!(total, articles.len());
    }
}

#[test]
fn idle_stories_retire_and_take_no_more_articles() {
    let config = ClusterConfig { idle_articles: 8, ..ClusterConfig::default() };
    let mut c = StoryClusterer::new(config);
    let text = "A powerful earthquake struck off the coast of Valparaiso, prompting a tsunami warning.";
    let a = c.add(&input("Earthquake strikes Valparaiso", text));
    let b = c.add(&input("Earthquake strikes Valparaiso", text));
    assert_eq!(c.resolve(a), c.resolve(b));
    for (t, x) in BACKGROUND.iter().chain(BACKGROUND) {
        c.add(&input(t, x));
    }
    let d = c.add(&input("Earthquake strikes Valparaiso", text));
    assert_ne!(c.resolve(a), c.resolve(d), "the idle story was retired");
    assert_eq!(c.story(a).unwrap().size, 2, "a retired story keeps its articles");
}

#[test]
fn a_close_call_between_two_stories_starts_a_new_one_under_a_margin() {
    let run = |margin: f32| {
        let config = ClusterConfig { threshold: 0.05, hub_k: 0, margin, ..ClusterConfig::default() };
        let mut c = StoryClusterer::new(config);
        for (t, x) in BACKGROUND {
            c.add(&input(t, x));
        }
        let a = c
            .add(&input("Volcano erupts in Iceland", "Lava from the volcano forced the evacuation of a fishing town."));
        let b = c.add(&input(
            "Peru parliament removes president",
            "Lawmakers voted to remove the president after a corruption inquiry.",
        ));
        assert_ne!(a, b);
        let x = c.add(&input(
            "Volcano erupts in Iceland as Peru parliament removes president",
            "Lava forced an evacuation while lawmakers voted to remove the president.",
        ));
        (a, b, c.resolve(x))
    };
    let (a, b, x) = run(0.0);
    assert!(x == a || x == b, "without a margin the article joins one of the two");
    let (a, b, x) = run(0.2);
    assert!(x != a && x != b, "with a margin an article between two stories starts its own");
}

#[test]
fn hubness_correction_keeps_a_broad_subject_story_from_attracting_articles() {
    let run = |hub_k: usize| {
        // Broad-subject articles resemble the first story but not enough to join it; each adds to its hub list.
        // No prior documents: the test's few articles set the document frequencies on their own.
        let config = ClusterConfig {
            threshold: 0.25,
            hub_k,
            hub_weight: 2.0,
            margin: 0.0,
            prior_docs: 0.0,
            ..ClusterConfig::default()
        };
        let mut c = StoryClusterer::new(config);
        for (t, x) in BACKGROUND {
            c.add(&input(t, x));
        }
        let hub = c.add(&input("Supreme Court hears arguments", "The Supreme Court heard arguments on Tuesday."));
        let quiet = c.add(&input(
            "Mining company fined over river pollution",
            "A mining company was fined for polluting a river.",
        ));
        for (t, x) in [
            ("Supreme Court rejects voting maps", "Justices threw out district maps drawn by the legislature."),
            ("Supreme Court strikes down gun permit law", "Justices struck down limits on concealed carry permits."),
            ("Supreme Court blocks student loan forgiveness", "Justices blocked the plan to cancel student debt."),
            ("Supreme Court sides with baker in wedding cake case", "Justices ruled for a baker who refused an order."),
            ("Supreme Court upholds travel ban", "Justices allowed limits on visitors from several countries."),
        ] {
            assert_ne!(c.add(&input(t, x)), hub);
        }
        let x = c.add(&input(
            "Supreme Court hears arguments in appeal by fined mining company",
            "The court heard arguments on Tuesday.",
        ));
        (hub, quiet, c.resolve(x))
    };
    let (hub, _, x) = run(0);
    assert_eq!(x, hub, "without the correction the article joins the broad-subject story");
    let (hub, quiet, x) = run(5);
    assert!(x != hub && x != quiet, "with it, sharing the broad subject is not enough");
}

#[test]
fn the_join_threshold_falls_with_text_length() {
    let config = ClusterConfig {
        threshold: 0.24,
        long_threshold: 0.12,
        short_terms: 40,
        long_terms: 160,
        ..ClusterConfig::default()
    };
    assert_eq!(config.threshold_for(10.0), 0.24, "short texts use the short-text threshold");
    assert_eq!(config.threshold_for(40.0), 0.24);
    assert_eq!(config.threshold_for(160.0), 0.12, "long texts use the long-text threshold");
    assert_eq!(config.threshold_for(1000.0), 0.12);
    // Linear in the logarithm of the length: halfway (in log) between 40 and 160 is 80.
    assert!((config.threshold_for(80.0) - 0.18).abs() < 1e-5, "{}", config.threshold_for(80.0));
    let mut prev = f32::INFINITY;
    for n in (0..400).step_by(5) {
        let t = config.threshold_for(n as f32);
        assert!(t <= prev && (0.12..=0.24).contains(&t), "{n}: {t}");
        prev = t;
    }
    assert!((config.length_scale(160.0) - 2.0).abs() < 1e-5);
    assert_eq!(config.length_scale(20.0), 1.0);
    let flat = ClusterConfig { long_threshold: 0.24, ..config };
    assert_eq!(flat.threshold_for(300.0), 0.24, "equal thresholds turn the length dependence off");
}

/// A long article: a core about one event, padded with `pad` words of its own (as full texts carry background,
/// quotes and detail that other reports of the event do not share).
fn long_article(core: &str, tag: &str, pad: usize) -> String {
    let mut text = core.to_string();
    for i in 0..pad {
        text.push_str(&format!(" {tag}detail{i}"));
    }
    text
}

#[test]
fn long_reports_of_one_event_join_at_the_lower_long_text_threshold() {
    // Two full-length reports share a paragraph on the event; the rest of each is its own.
    let run = |config: ClusterConfig| {
        let mut c = StoryClusterer::new(config);
        for (t, x) in BACKGROUND {
            c.add(&input(t, x));
        }
        let core = "A powerful earthquake of magnitude 7.1 struck off the coast of Valparaiso, shaking buildings in \
                    Santiago and prompting a tsunami warning from Chilean authorities. Residents fled coastal \
                    neighbourhoods for higher ground as sirens sounded, ports suspended operations, schools \
                    closed and the navy's oceanographic service measured waves along the central shoreline.";
        let other = "Lawmakers passed a bill that limits how companies can collect and sell personal data gathered \
                     online, after months of negotiation between the two chambers over fines, consent rules and \
                     the powers of a new regulator that will audit advertising firms and data brokers.";
        let (a_text, b_text, c_text) =
            (long_article(core, "a", 150), long_article(core, "b", 150), long_article(other, "c", 150));
        let a = c.add(&input("Earthquake strikes off Valparaiso", &a_text));
        let b = c.add(&input("Earthquake strikes off Valparaiso", &b_text));
        let x = c.add(&input("Parliament passes online privacy law", &c_text));
        (c.resolve(a) == c.resolve(b), c.resolve(x) != c.resolve(a))
    };
    let default = ClusterConfig { prior_docs: 0.0, ..ClusterConfig::default() };
    assert!(default.threshold_for(170.0) < default.threshold);
    let (joined, apart) = run(default.clone());
    assert!(joined, "long reports of one event join under the long-text threshold");
    assert!(apart, "a long report of another event stays apart");
    let (joined, _) = run(ClusterConfig { long_threshold: default.threshold, ..default });
    assert!(!joined, "under the short-text threshold alone they would not");
}

#[test]
fn prior_documents_let_the_first_few_reports_of_an_event_join() {
    // Three reports of one event among the first articles ever seen: without a prior, the words they share
    // are "common" (in three of five documents) and weigh less than each report's own words.
    let reports = [
        (
            "Tram extension approved",
            "Councillors approved the Harborline tram extension to Eastmere by 31 votes to 14.",
        ),
        ("Eastmere to get its tram", "The Harborline tram extension to Eastmere won council approval, 31 votes to 14."),
        ("Green light for tram line", "Eastmere's Harborline tram extension was approved 31 to 14 by the council."),
    ];
    let run = |prior_docs: f32| {
        let mut c = StoryClusterer::new(ClusterConfig { prior_docs, ..ClusterConfig::default() });
        c.add(&input("Storm cuts power", "A storm cut power to thousands of homes on the coast."));
        let ids: Vec<_> = reports.iter().map(|(t, x)| c.add(&input(t, x))).collect();
        ids.iter().all(|&id| c.resolve(id) == c.resolve(ids[0]))
    };
    assert!(run(ClusterConfig::default().prior_docs));
}
