//! Whether a comment is published at once, held for a moderator, or refused.
//!
//! The signals are deliberately few and explainable: a moderator sees why a comment was held, and an author
//! sees why theirs was refused. Holding is the cautious answer for anything that merely looks like spam;
//! refusing is kept for what is certainly unwanted (an exact repeat a moment after the first).

use crate::markdown;

/// The site's moderation settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Comments with more links than this are held.
    pub max_links: usize,
    /// Accounts younger than this many hours may not post links without review.
    pub new_account_hours: i64,
    /// Words or phrases that send a comment to review (matched as whole words, ignoring case).
    pub held_words: Vec<String>,
    /// Longest comment accepted, in characters.
    pub max_body_chars: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Rules { max_links: 3, new_account_hours: 24, held_words: Vec::new(), max_body_chars: 10_000 }
    }
}

/// What is known about the author when a comment is assessed.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Hours since the author's account was created.
    pub account_age_hours: i64,
    /// The author's comments of the last hour, newest first.
    pub recent_bodies: &'a [String],
}

/// The outcome of [`assess`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Show the comment now.
    Publish,
    /// Keep the comment for a moderator; the reason is for the moderator.
    Hold(String),
    /// Refuse the comment; the reason is for the author.
    Reject(String),
}

/// Cleans a comment body before it is stored: line endings unified, control characters other than newline and
/// tab removed (they are invisible and only ever used to disguise text), surrounding whitespace trimmed.
/// Returns the cleaned body, or a sentence for the author when it is empty or too long.
pub fn check_body(body: &str, rules: &Rules) -> Result<String, String> {
    let mut clean = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                clean.push('\n');
            }
            '\n' | '\t' => clean.push(c),
            c if c.is_control() => {}
            c => clean.push(c),
        }
    }
    let clean = clean.trim();
    if clean.is_empty() {
        return Err("The comment is empty.".to_string());
    }
    let chars = clean.chars().count();
    if chars > rules.max_body_chars {
        return Err(format!(
            "The comment is too long: {chars} characters, and the limit is {} characters.",
            rules.max_body_chars
        ));
    }
    Ok(clean.to_string())
}

/// Lower case with whitespace collapsed: two comments that differ only in that are the same comment.
fn normalised(text: &str) -> String {
    text.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

/// The words of a text (runs of letters and digits), lower-cased, for whole-word matching.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Decides what happens to a comment. The body is cleaned with [`check_body`] first, so an empty or overlong
/// body is refused here too.
pub fn assess(body: &str, rules: &Rules, ctx: &Context) -> Verdict {
    let body = match check_body(body, rules) {
        Ok(body) => body,
        Err(why) => return Verdict::Reject(why),
    };
    let norm = normalised(&body);
    if ctx.recent_bodies.iter().any(|recent| normalised(recent) == norm) {
        return Verdict::Reject("you posted the same comment a moment ago".to_string());
    }

    let mut reasons = Vec::new();
    let links = markdown::link_count(&body);
    if links > rules.max_links {
        reasons.push(format!("{links} links (more than {})", rules.max_links));
    }
    if links > 0 && ctx.account_age_hours < rules.new_account_hours {
        reasons.push(format!(
            "links from an account {} hours old (younger than {} hours)",
            ctx.account_age_hours.max(0),
            rules.new_account_hours
        ));
    }
    let body_words = words(&body);
    for held in &rules.held_words {
        let phrase = words(held);
        if !phrase.is_empty() && body_words.windows(phrase.len()).any(|w| w == phrase.as_slice()) {
            reasons.push(format!("contains the held word “{}”", held.trim()));
        }
    }
    if reasons.is_empty() { Verdict::Publish } else { Verdict::Hold(reasons.join("; ")) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ctx(age: i64, recent: &[String]) -> Context<'_> {
        Context { account_age_hours: age, recent_bodies: recent }
    }

    #[test]
    fn bodies_are_cleaned() {
        let rules = Rules::default();
        assert_eq!(check_body("  hello\r\nworld\u{0}\u{7}\t!  ", &rules).unwrap(), "hello\nworld\t!");
        assert_eq!(check_body("a\rb", &rules).unwrap(), "a\nb");
        assert!(check_body("", &rules).unwrap_err().contains("empty"));
        assert!(check_body(" \n\t\u{0} ", &rules).unwrap_err().contains("empty"));
        let small = Rules { max_body_chars: 5, ..Rules::default() };
        assert_eq!(check_body("ééééé", &small).unwrap(), "ééééé");
        let err = check_body("ééééé!", &small).unwrap_err();
        assert!(err.contains("limit is 5 characters"), "{err}");
        // The limit applies after trimming.
        assert!(check_body("   abc   ", &small).is_ok());
    }

    #[test]
    fn defaults() {
        let r = Rules::default();
        assert_eq!((r.max_links, r.new_account_hours, r.max_body_chars), (3, 24, 10_000));
        assert!(r.held_words.is_empty());
    }

    #[test]
    fn ordinary_comment_is_published() {
        assert_eq!(assess("Good piece, thanks.", &Rules::default(), &ctx(100, &[])), Verdict::Publish);
    }

    #[test]
    fn repeats_are_rejected() {
        let recent = vec!["Something else".to_string(), "Great   ARTICLE\n".to_string()];
        assert_eq!(
            assess("great article", &Rules::default(), &ctx(100, &recent)),
            Verdict::Reject("you posted the same comment a moment ago".to_string())
        );
        assert_eq!(assess("great article!", &Rules::default(), &ctx(100, &recent)), Verdict::Publish);
    }

    #[test]
    fn empty_or_long_is_rejected() {
        assert!(matches!(assess("   ", &Rules::default(), &ctx(100, &[])), Verdict::Reject(_)));
        let small = Rules { max_body_chars: 3, ..Rules::default() };
        assert!(matches!(assess("abcd", &small, &ctx(100, &[])), Verdict::Reject(m) if m.contains('3')));
    }

    #[test]
    fn links_are_counted_as_rendered() {
        let rules = Rules::default();
        let three = "https://a.example [b](https://b.example) and http://c.example.";
        assert_eq!(assess(three, &rules, &ctx(100, &[])), Verdict::Publish);
        let four = format!("{three} https://d.example");
        let Verdict::Hold(why) = assess(&four, &rules, &ctx(100, &[])) else { panic!() };
        assert!(why.contains("4 links"), "{why}");
        // A URL inside code is not clickable and not counted; a rejected scheme is not a link.
        let code = format!("`{four}` [x](javascript:alert(1))");
        assert_eq!(assess(&code, &rules, &ctx(100, &[])), Verdict::Publish);
    }

    #[test]
    fn new_accounts_posting_links_are_held() {
        let rules = Rules::default();
        let Verdict::Hold(why) = assess("see https://a.example", &rules, &ctx(2, &[])) else { panic!() };
        assert!(why.contains("2 hours old"), "{why}");
        assert_eq!(assess("no links here", &rules, &ctx(2, &[])), Verdict::Publish);
        assert_eq!(assess("see https://a.example", &rules, &ctx(24, &[])), Verdict::Publish);
    }

    #[test]
    fn held_words_match_whole_words_and_phrases() {
        let rules = Rules { held_words: vec!["casino".to_string(), " Cheap   Pills ".to_string()], ..Rules::default() };
        let Verdict::Hold(why) = assess("Visit the CASINO, now!", &rules, &ctx(100, &[])) else { panic!() };
        assert!(why.contains("“casino”"), "{why}");
        assert_eq!(assess("casinos are not matched", &rules, &ctx(100, &[])), Verdict::Publish);
        let Verdict::Hold(why) = assess("buy cheap\npills.", &rules, &ctx(100, &[])) else { panic!() };
        assert!(why.contains("“Cheap   Pills”"), "{why}");
        assert_eq!(
            assess("cheap, pills", &rules, &ctx(100, &[])),
            Verdict::Hold("contains the held word “Cheap   Pills”".to_string())
        );
        assert_eq!(assess("cheap and pills", &rules, &ctx(100, &[])), Verdict::Publish);
    }

    #[test]
    fn several_reasons_are_all_given() {
        let rules = Rules { held_words: vec!["casino".to_string()], ..Rules::default() };
        let Verdict::Hold(why) = assess("casino https://x.example", &rules, &ctx(1, &[])) else { panic!() };
        assert!(why.contains("casino") && why.contains("hours old"), "{why}");
    }
}
