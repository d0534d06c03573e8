//! Skip rules: regular expressions on items' titles and links (`[poll] skip_rules`, and each source's own). The
//! ingester drops the items they match between parsing a feed and storing it, so sponsored posts, podcasts or
//! live blogs never become articles, stories or search results; the admin pages, the sources API and the CLI
//! check a source's rules with [`SkipRules::parse`] before storing them.

use crate::NewArticle;
use regex::{Regex, RegexBuilder};

/// The longest compiled rule, in bytes of the regex engine's program: a rule is a short pattern, and a huge one
/// would only slow every poll down.
const MAX_RULE_SIZE: usize = 1 << 20;

/// Compiled skip rules; empty skips nothing.
#[derive(Debug, Clone, Default)]
pub struct SkipRules {
    rules: Vec<Regex>,
}

/// A rule that is not a regular expression.
#[derive(Debug, thiserror::Error)]
#[error("skip rule #{number} {rule:?}: {message}", number = index + 1)]
pub struct SkipRuleError {
    /// Its place in the list, from 0.
    pub index: usize,
    /// The rule as written.
    pub rule: String,
    /// What is wrong with it.
    pub message: String,
}

impl SkipRules {
    /// Compiles `rules` (case ignored); the first that does not compile is named in the error.
    pub fn parse(rules: &[String]) -> Result<SkipRules, SkipRuleError> {
        let compiled = rules
            .iter()
            .enumerate()
            .map(|(index, rule)| {
                if rule.trim().is_empty() {
                    let message = "an empty rule would skip every item".to_owned();
                    return Err(SkipRuleError { index, rule: rule.clone(), message });
                }
                RegexBuilder::new(rule).case_insensitive(true).size_limit(MAX_RULE_SIZE).build().map_err(|e| {
                    // The regex crate's message spans several lines with a caret under the fault; the last line
                    // says what it is.
                    let message = e.to_string().lines().last().unwrap_or("not a regular expression").trim().to_owned();
                    SkipRuleError { index, rule: rule.clone(), message }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SkipRules { rules: compiled })
    }

    /// Whether no rule is set.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether `article` is to be skipped: a rule matches its title or its link.
    pub fn skips(&self, article: &NewArticle) -> bool {
        self.rules
            .iter()
            .any(|rule| rule.is_match(&article.title) || article.url.as_deref().is_some_and(|url| rule.is_match(url)))
    }

    /// Drops the articles a rule matches; how many were dropped.
    pub fn apply(&self, articles: &mut Vec<NewArticle>) -> usize {
        if self.rules.is_empty() {
            return 0;
        }
        let before = articles.len();
        articles.retain(|article| !self.skips(article));
        before - articles.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn item(title: &str, url: &str) -> NewArticle {
        NewArticle { title: title.into(), url: Some(url.into()), ..NewArticle::default() }
    }

    #[test]
    fn a_rule_matches_the_title_or_the_link_with_case_ignored() {
        let rules = SkipRules::parse(&["^sponsored\\b".to_owned(), "/podcasts?/".to_owned()]).unwrap();
        let mut items = vec![
            item("SPONSORED: the best mattress", "https://news.example/a"),
            item("Council approves tram", "https://news.example/podcast/episode-4"),
            item("Sponsorship row at the club", "https://news.example/b"),
            item("Why we stopped sponsored posts", "https://news.example/c"),
        ];
        assert_eq!(rules.apply(&mut items), 2);
        let kept: Vec<&str> = items.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(kept, ["Sponsorship row at the club", "Why we stopped sponsored posts"]);
        let mut untouched = vec![item("Anything", "https://x.example/")];
        assert_eq!(SkipRules::default().apply(&mut untouched), 0);
        assert!(SkipRules::parse(&[]).unwrap().is_empty());
    }

    #[test]
    fn a_bad_rule_is_named_with_its_place_and_fault() {
        let err = SkipRules::parse(&["fine".to_owned(), "live (blog".to_owned()]).unwrap_err();
        assert_eq!(err.index, 1);
        let shown = err.to_string();
        assert!(shown.starts_with("skip rule #2 \"live (blog\": "), "{shown}");
        assert!(shown.contains("unclosed group"), "{shown}");
        assert!(!shown.contains('\n'), "one line for the log: {shown}");
        let empty = SkipRules::parse(&["  ".to_owned()]).unwrap_err().to_string();
        assert!(empty.contains("an empty rule would skip every item"), "{empty}");
    }
}
