//! Every word the site shows comes from the catalogue (`src/strings.rs`), so a translation covers all of it:
//! no template may carry text of its own, in its content or in an attribute a reader sees or hears; and a
//! catalogue given to the app is the one its pages speak.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use axum::body::Body;
use axum::http::Request;
use chrono::Utc;
use tidings_core::{NewArticle, PollSuccess};
use tidings_web::strings::{EN, Plural, Strings};
use tidings_web::{AppState, router};
use tower::ServiceExt;

/// Attributes whose values are shown or read aloud.
const VISIBLE_ATTRIBUTES: &[&str] = &[
    "title",
    "alt",
    "placeholder",
    "label",
    "lang",
    "aria-label",
    "aria-description",
    "aria-placeholder",
    "aria-roledescription",
    "aria-valuetext",
    "data-label",
];

/// `text` without every `open … close` span.
fn without(text: &str, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        out.push_str(&rest[..start]);
        match rest[start + open.len()..].find(close) {
            Some(end) => rest = &rest[start + open.len() + end + close.len()..],
            None => panic!("unclosed {open:?} in {:?}", &rest[start..]),
        }
    }
    out.push_str(rest);
    out
}

/// The values of the visible attributes of one tag (its text between `<` and `>`), and of `value` on a button
/// input.
fn visible_attribute_values(tag: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let lower = tag.to_ascii_lowercase();
    let is_button_input = lower.starts_with("input")
        && ["submit", "button", "reset"].iter().any(|kind| lower.contains(&format!("type=\"{kind}\"")));
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].rsplit(|c: char| c.is_whitespace()).next().unwrap_or("").to_ascii_lowercase();
        let after = &rest[eq + 2..];
        let end = after.find('"').unwrap_or(after.len());
        if VISIBLE_ATTRIBUTES.contains(&name.as_str()) || (is_button_input && name == "value") {
            found.push((name, after[..end].to_owned()));
        }
        rest = &after[(end + 1).min(after.len())..];
    }
    found
}

/// The words left in a template once its expressions, statements, comments, markup and entities are gone,
/// with the visible attributes' words.
fn stray_words(template: &str) -> Vec<String> {
    let code = without(&without(&without(template, "{#", "#}"), "{{", "}}"), "{%", "%}");
    let code = without(&code, "<!--", "-->");
    let mut words = Vec::new();
    let mut text = String::with_capacity(code.len());
    let mut rest = code.as_str();
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        text.push(' ');
        let end = rest[open..].find('>').map_or(rest.len(), |e| open + e + 1);
        let tag = &rest[open + 1..end.saturating_sub(1).max(open + 1)];
        for (name, value) in visible_attribute_values(tag) {
            if value.chars().any(char::is_alphabetic) {
                words.push(format!("{name}=\"{value}\""));
            }
        }
        rest = &rest[end..];
    }
    text.push_str(rest);
    let text = without(&text, "&", ";");
    words.extend(text.split_whitespace().filter(|w| w.chars().any(char::is_alphabetic)).map(str::to_owned));
    words
}

#[test]
fn no_template_has_text_outside_the_catalogue() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut checked = 0;
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("html") {
            continue;
        }
        let template = std::fs::read_to_string(&path).unwrap();
        let words = stray_words(&template);
        if !words.is_empty() {
            problems.push(format!("{}: {words:?}", path.file_name().unwrap().to_string_lossy()));
        }
        checked += 1;
    }
    assert!(checked >= 10, "the templates are in {}", dir.display());
    assert!(
        problems.is_empty(),
        "text written in templates instead of the catalogue (crates/web/src/strings.rs):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_check_finds_text_in_content_and_in_visible_attributes() {
    assert!(stray_words("<p>{{ t.ok }}</p> {% if x %}&amp; · …{% endif %}<!-- note -->{# note #}").is_empty());
    assert!(stray_words("<a href=\"/about\" class=\"nav link\">{{ t.about }}</a>").is_empty());
    assert_eq!(stray_words("<p>Hello {{ name }}</p>"), ["Hello"]);
    assert_eq!(stray_words("<html lang=\"en\">"), ["lang=\"en\""]);
    assert_eq!(stray_words("<nav aria-label=\"Site\"><input placeholder=\"{{ t.x }}\">"), ["aria-label=\"Site\""]);
    assert_eq!(
        stray_words("<input type=\"submit\" value=\"Go\"><input type=\"hidden\" value=\"x\">"),
        ["value=\"Go\""]
    );
    assert_eq!(stray_words("<td data-label=\"Errors\">1</td>"), ["data-label=\"Errors\""]);
}

/// English with a few entries changed, as a translation would change them all.
static PSEUDO: Strings = Strings {
    lang: "en-XA",
    page_title: "{page} · [Tídings]",
    nav_home: "[Hóme]",
    latest: "[Látest]",
    minutes_ago: Plural::new("[{n} mínute ágo]", "[{n} mínutes ágo]"),
    months: [
        "[Jánuary]",
        "[Fébruary]",
        "[Márch]",
        "[Ápril]",
        "[Máy]",
        "[Júne]",
        "[Júly]",
        "[Áugust]",
        "[Séptember]",
        "[Óctober]",
        "[Nóvember]",
        "[Décember]",
    ],
    not_found: "[Nót fóund]",
    no_article: "[Nó árticle {id}]",
    ..EN
};

#[tokio::test]
async fn the_pages_speak_the_catalogue_they_are_given() {
    let (store, source, _dir) = common::gazette("Gazette", None).await;
    let now = Utc::now();
    let article = NewArticle {
        guid: "g1".into(),
        title: "Tram approved".into(),
        content_text: "Body".into(),
        published_at: Some(now - chrono::Duration::minutes(26)),
        content_hash: "h1".into(),
        ..NewArticle::default()
    };
    let poll = PollSuccess { articles: vec![article], next_poll_at: now, ..PollSuccess::default() };
    store.record_poll(source, now, poll).await.unwrap();
    let app = router(AppState::new(store).with_strings(&PSEUDO));
    let get = |path: &str| {
        let app = app.clone();
        let request = Request::get(path).body(Body::empty()).unwrap();
        async move {
            let response = app.oneshot(request).await.unwrap();
            String::from_utf8(axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap()
        }
    };
    let home = get("/").await;
    assert!(home.contains("<html lang=\"en-XA\">"), "{home}");
    assert!(home.contains("[Hóme]") && home.contains("[Látest]") && home.contains("[26 mínutes ágo]"), "{home}");
    assert!(home.contains("· [Tídings]</title>") && home.contains("Tram approved"), "{home}");
    assert!(!home.contains(">Home<") && !home.contains("minutes ago"), "{home}");
    assert!(PSEUDO.months.iter().any(|month| home.contains(month)), "the absolute time's month: {home}");
    let missing = get("/articles/999").await;
    assert!(missing.contains("[Nót fóund]") && missing.contains("[Nó árticle 999]"), "{missing}");
}
