//! Deciding which of several copies of one text is the original.
//!
//! Evidence, strongest first: a copy's canonical link pointing at another member's site; a credit line in a
//! copy ("This article originally appeared in X", "Republished with permission of X") naming another
//! member; a wire byline or dateline (AP, Reuters, AFP) when the wire itself is a member; and otherwise the
//! earliest publication, then the earliest seen.

use chrono::{DateTime, Utc};
pub use tidings_core::OriginalReason;

/// What is known about one copy.
#[derive(Debug, Clone, Default)]
pub struct CopyEvidence<'a> {
    /// The site it was published on (a host such as `www.example.com`).
    pub host: &'a str,
    /// The outlet's name, when known ("South China Morning Post").
    pub outlet: Option<&'a str>,
    /// Its canonical link, when the page or feed declares one.
    pub canonical_url: Option<&'a str>,
    /// The byline.
    pub author: Option<&'a str>,
    /// The article text (credit lines are looked for in its first and last paragraphs).
    pub text: &'a str,
    /// Publication time, when known.
    pub published: Option<DateTime<Utc>>,
    /// When Tidings first saw it.
    pub seen: DateTime<Utc>,
}

/// The index of the original among `copies` and the reason, or `None` for an empty slice.
pub fn choose_original(copies: &[CopyEvidence<'_>]) -> Option<(usize, OriginalReason)> {
    if copies.is_empty() {
        return None;
    }
    let sites: Vec<String> = copies.iter().map(|c| site_of(c.host)).collect();
    let names: Vec<Option<String>> = copies.iter().map(|c| c.outlet.map(squash)).collect();
    let mut votes = vec![[0u32; 3]; copies.len()];
    for (i, copy) in copies.iter().enumerate() {
        if let Some(target) = copy.canonical_url.and_then(host_of_url).map(|h| site_of(&h))
            && target != sites[i]
            && let Some(j) = sites.iter().position(|s| *s == target)
        {
            votes[j][0] += 1;
        }
        for credited in credits(copy.text) {
            let credited_squashed = squash(&credited);
            if credited_squashed.is_empty() {
                continue;
            }
            let matches = |j: usize| {
                j != i
                    && (names[j].as_deref().is_some_and(|n| n == credited_squashed)
                        || squash(site_label(&sites[j])) == credited_squashed
                        || credited_squashed.contains(&squash(&sites[j])))
            };
            if let Some(j) = (0..copies.len()).find(|&j| matches(j)) {
                votes[j][1] += 1;
            }
        }
        if let Some(wire) = wire_of(copy.author.unwrap_or(""), copy.text)
            && let Some(j) = (0..copies.len()).find(|&j| j != i && WIRE_SITES[wire].contains(&sites[j].as_str()))
        {
            votes[j][2] += 1;
        }
    }
    for (kind, reason) in
        [(0, OriginalReason::CanonicalLink), (1, OriginalReason::Credit), (2, OriginalReason::Wire)].into_iter()
    {
        if let Some(best) = (0..copies.len()).filter(|&j| votes[j][kind] > 0).max_by_key(|&j| votes[j][kind]) {
            return Some((best, reason));
        }
    }
    let earliest = (0..copies.len()).min_by_key(|&j| {
        let c = &copies[j];
        // Undated copies sort after dated ones; a publication date later than first sight is a wrong clock.
        let when = c.published.map(|p| p.min(c.seen));
        (when.is_none(), when, c.seen, j)
    })?;
    Some((earliest, OriginalReason::Earliest))
}

/// Wire services, by index into [`WIRE_SITES`].
const WIRE_SITES: [&[&str]; 3] = [&["apnews.com", "ap.org"], &["reuters.com"], &["afp.com"]];

/// Which wire (index into [`WIRE_SITES`]) a byline or the opening dateline credits, if any.
fn wire_of(author: &str, text: &str) -> Option<usize> {
    let opening: String = text.chars().take(160).collect();
    let author = author.to_lowercase();
    if author.contains("associated press") || opening.contains("(AP)") || opening.contains("(AP) ") {
        return Some(0);
    }
    if author.contains("reuters") || opening.contains("(Reuters)") {
        return Some(1);
    }
    if author.contains("afp") || author.contains("agence france-presse") || opening.contains("(AFP)") {
        return Some(2);
    }
    None
}

/// Outlet names credited by lines such as "This article originally appeared in X." in the first or last
/// 600 characters of `text`.
fn credits(text: &str) -> Vec<String> {
    const PHRASES: [&str; 9] = [
        "originally appeared in ",
        "originally appeared on ",
        "originally published in ",
        "originally published on ",
        "originally published by ",
        "first appeared in ",
        "first appeared on ",
        "first published by ",
        "republished with permission from ",
    ];
    let head: String = text.chars().take(600).collect();
    let tail: String = {
        let n = text.chars().count();
        text.chars().skip(n.saturating_sub(600)).collect()
    };
    let mut out = Vec::new();
    for part in [head, tail] {
        let lower = part.to_lowercase();
        for phrase in PHRASES {
            let mut from = 0;
            while let Some(pos) = lower[from..].find(phrase) {
                let start = from + pos + phrase.len();
                // The name runs to the end of the sentence or clause.
                let rest = &part[start.min(part.len())..];
                let end = rest.find(['.', ',', ';', '\n', '(', ')', '!']).unwrap_or(rest.len());
                let name = rest[..end].trim().trim_start_matches("the ").trim_start_matches("The ");
                if !name.is_empty() && name.len() <= 80 {
                    out.push(name.to_string());
                }
                from = start.min(lower.len());
            }
        }
    }
    out
}

/// Lowercase letters and digits only, so "South China Morning Post" matches "southchinamorningpost".
fn squash(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The registrable-looking part of a host: `www.news.example.com` → `example.com` (two labels, or three for
/// two-letter country second levels such as `co.uk`).
fn site_of(host: &str) -> String {
    let host = host.trim_end_matches('.').to_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let keep = if labels.len() >= 3
        && labels[labels.len() - 1].len() == 2
        && matches!(labels[labels.len() - 2], "co" | "com" | "org" | "net" | "ac" | "gov" | "ne" | "or")
    {
        3
    } else {
        2
    };
    labels[labels.len().saturating_sub(keep)..].join(".")
}

/// The name part of a site: `scmp.com` → `scmp`.
fn site_label(site: &str) -> &str {
    site.split('.').next().unwrap_or(site)
}

fn host_of_url(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    (!host.is_empty()).then(|| host.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, hour, 0, 0).unwrap()
    }

    fn copy<'a>(host: &'a str, published: u32) -> CopyEvidence<'a> {
        CopyEvidence { host, published: Some(at(published)), seen: at(published), ..Default::default() }
    }

    #[test]
    fn earliest_wins_without_other_evidence() {
        let copies = [copy("b.example", 9), copy("a.example", 7), copy("c.example", 8)];
        assert_eq!(choose_original(&copies), Some((1, OriginalReason::Earliest)));
    }

    #[test]
    fn a_canonical_link_to_another_member_beats_time() {
        let mut aggregator = copy("news.portal.example", 6);
        aggregator.canonical_url = Some("https://www.harbourpost.example/2026/tram");
        let copies = [aggregator, copy("harbourpost.example", 8)];
        assert_eq!(choose_original(&copies), Some((1, OriginalReason::CanonicalLink)));
    }

    #[test]
    fn a_credit_line_names_the_original_by_outlet_name() {
        let mut portal = copy("portal.example", 5);
        portal.text = "Body of the story.\n\nThis article originally appeared in the Harbour Post.";
        let mut post = copy("harbourpost.example", 7);
        post.outlet = Some("Harbour Post");
        assert_eq!(choose_original(&[portal, post]), Some((1, OriginalReason::Credit)));
    }

    #[test]
    fn a_wire_dateline_points_to_the_wire_when_it_is_a_member() {
        let mut paper = copy("dailyrecord.example", 5);
        paper.text = "LISBON, Portugal (AP) — The storm reached the coast on Tuesday.";
        let copies = [paper, copy("apnews.com", 6)];
        assert_eq!(choose_original(&copies), Some((1, OriginalReason::Wire)));
    }

    #[test]
    fn a_wrong_future_date_does_not_make_a_copy_late_and_undated_copies_come_last() {
        let mut undated = copy("a.example", 1);
        undated.published = None;
        let copies = [undated, copy("b.example", 9)];
        assert_eq!(choose_original(&copies).map(|c| c.0), Some(1));
    }

    #[test]
    fn sites_drop_subdomains_but_keep_country_second_levels() {
        assert_eq!(site_of("www.news.example.com"), "example.com");
        assert_eq!(site_of("www.bbc.co.uk"), "bbc.co.uk");
        assert_eq!(host_of_url("https://user@www.example.com:8443/a?b").as_deref(), Some("www.example.com"));
    }
}
