//! The catalogue of every piece of text the site shows, one [`Strings`] per language, so the site can be
//! translated without touching a template or a handler.
//!
//! Templates reach the catalogue through their `t` field (`{{ t.nav_home }}`, `{{ t.count(&t.outlets, n) }}`),
//! handlers through [`crate::AppState`]'s strings. The language is chosen with `[web] language` (see
//! [`for_language`]); `<html lang>` is the catalogue's [`Strings::lang`].
//!
//! The kinds of entry:
//! - plain text (`&'static str`), escaped wherever it is shown;
//! - patterns with named placeholders in braces, `"Read at {outlet}"`, filled by [`Strings::fill`] (or
//!   [`Strings::with`] when there is one placeholder); a translation may move the placeholders but keeps their
//!   names (a test checks this against English);
//! - counts, [`Plural`]: one pattern per plural category of the language, chosen by its
//!   [`Strings::plural_rule`], with the number as `{n}`;
//! - fields whose names end in `_html`: trusted markup (`<code>`, `<strong>`), shown unescaped, with no
//!   placeholders;
//! - month and weekday names, and patterns for dates and times (`{weekday} {day} {month} {mon} {year} {hour}
//!   {minute}`).
//!
//! What is not here, on purpose: content from feeds (titles, outlet names, article text) is data; the JSON
//! API's error messages and OpenAPI descriptions are for developers and stay in English in `api.rs`,
//! `admin/api.rs` and `search.rs`, as do the plain-text answers of `/healthz`, `/readyz`, `/metrics` and a
//! search feed's errors; the operator's diagnostics that come from below the site (a fetch or discovery error,
//! a poll's report, which the command line shares) are shown as they come; logs are English.
//!
//! Adding a language: write `pub static XX: Strings = Strings { lang: "xx", … }` below (the compiler lists
//! any field left out), add it to [`LANGUAGES`], and set `[web] language = "xx"`.

use std::fmt::{Display, Write as _};

/// A plural category (Unicode CLDR): which form of a counted phrase a number takes in a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluralCategory {
    /// Zero items, in languages that say it differently (Arabic, Latvian).
    Zero,
    /// One item (English "1 outlet").
    One,
    /// Two items, in languages with a dual (Arabic, Slovenian).
    Two,
    /// A few items (Polish, Czech, Russian).
    Few,
    /// Many items (Polish, Russian, Arabic).
    Many,
    /// Every other number (English "5 outlets").
    Other,
}

/// The forms of a counted phrase, `{n}` being the number. A form left empty falls back to `other`, so a
/// language fills only the categories its plural rule returns.
#[derive(Debug, Clone, Copy)]
pub struct Plural {
    /// For [`PluralCategory::Zero`].
    pub zero: &'static str,
    /// For [`PluralCategory::One`].
    pub one: &'static str,
    /// For [`PluralCategory::Two`].
    pub two: &'static str,
    /// For [`PluralCategory::Few`].
    pub few: &'static str,
    /// For [`PluralCategory::Many`].
    pub many: &'static str,
    /// For [`PluralCategory::Other`], and for any category left empty.
    pub other: &'static str,
}

impl Plural {
    /// A phrase with a singular and a plural form, as in English.
    pub const fn new(one: &'static str, other: &'static str) -> Plural {
        Plural { zero: "", one, two: "", few: "", many: "", other }
    }

    /// The form for `category`.
    pub fn form(&self, category: PluralCategory) -> &'static str {
        let form = match category {
            PluralCategory::Zero => self.zero,
            PluralCategory::One => self.one,
            PluralCategory::Two => self.two,
            PluralCategory::Few => self.few,
            PluralCategory::Many => self.many,
            PluralCategory::Other => self.other,
        };
        if form.is_empty() { self.other } else { form }
    }
}

/// One line of the search page's help: an example query (markup: `<code>` elements) and what it finds.
#[derive(Debug, Clone, Copy)]
pub struct SearchHelp {
    /// The example, as trusted markup.
    pub example_html: &'static str,
    /// What it finds.
    pub meaning: &'static str,
}

/// Lists every text of an entry, for [`Strings::texts`], each named by its field (and its form or index).
trait Entry {
    fn collect(&self, field: &str, out: &mut Vec<(String, &'static str)>);
}

impl Entry for &'static str {
    fn collect(&self, field: &str, out: &mut Vec<(String, &'static str)>) {
        out.push((field.to_owned(), self));
    }
}

impl Entry for Plural {
    fn collect(&self, field: &str, out: &mut Vec<(String, &'static str)>) {
        let forms = [("zero", self.zero), ("one", self.one), ("two", self.two), ("few", self.few), ("many", self.many)];
        for (form, text) in forms.into_iter().chain([("other", self.other)]) {
            if !text.is_empty() {
                out.push((format!("{field}.{form}"), text));
            }
        }
    }
}

impl<const N: usize> Entry for [&'static str; N] {
    fn collect(&self, field: &str, out: &mut Vec<(String, &'static str)>) {
        out.extend(self.iter().enumerate().map(|(i, text)| (format!("{field}[{i}]"), *text)));
    }
}

impl Entry for &'static [SearchHelp] {
    fn collect(&self, field: &str, out: &mut Vec<(String, &'static str)>) {
        for (i, help) in self.iter().enumerate() {
            out.push((format!("{field}[{i}].example_html"), help.example_html));
            out.push((format!("{field}[{i}].meaning"), help.meaning));
        }
    }
}

impl Entry for fn(u64) -> PluralCategory {
    fn collect(&self, _: &str, _: &mut Vec<(String, &'static str)>) {}
}

/// Declares [`Strings`] and its [`Strings::texts`], which lists every field's texts by the field's name.
macro_rules! catalogue {
    ($(#[$meta:meta])* pub struct Strings { $($(#[$field_meta:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        pub struct Strings {
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        impl Strings {
            /// Every text of the catalogue with the name of its field, in the order of the fields: a counted
            /// phrase gives one line per form (`outlets.one`), a list one per item (`months[0]`). For tests and
            /// tools.
            pub fn texts(&self) -> Vec<(String, &'static str)> {
                let mut out = Vec::new();
                $(Entry::collect(&self.$field, stringify!($field), &mut out);)*
                out
            }
        }
    };
}

catalogue! {
    /// All the text of the site in one language. See the [module](self) for the kinds of entry.
    pub struct Strings {
        // The language itself.
        /// Its BCP 47 tag: `<html lang>`, and the value of `[web] language` that selects it.
        pub lang: &'static str,
        /// Its name, in itself (for messages listing the languages).
        pub name: &'static str,
        /// Which plural category a count takes.
        pub plural_rule: fn(u64) -> PluralCategory,
        /// Between items of a list ("Gazette, Herald").
        pub list_separator: &'static str,
        /// A text quoted inside a message: `{text}`.
        pub quoted: &'static str,

        // Every page's frame (base.html).
        /// The site's name: the brand in the header and the title of a page with none of its own.
        pub site_name: &'static str,
        /// A page's `<title>`: `{page}`.
        pub page_title: &'static str,
        /// The link that skips the header.
        pub skip_to_content: &'static str,
        /// The accessible name of the main navigation.
        pub nav_label: &'static str,
        /// Navigation: the front page.
        pub nav_home: &'static str,
        /// Navigation, and the stories page's heading.
        pub nav_stories: &'static str,
        /// Navigation, and the topics page's heading.
        pub nav_topics: &'static str,
        /// Navigation, and the sources page's heading.
        pub nav_sources: &'static str,
        /// Navigation, the search page's heading and its button.
        pub nav_search: &'static str,
        /// Navigation: the page of names in the news.
        pub nav_entities: &'static str,
        /// Navigation, and the blindspots page's heading.
        pub nav_blindspots: &'static str,
        /// The accessible name of the search form in every page's header.
        pub site_search_label: &'static str,
        /// The label of a search box.
        pub search_articles: &'static str,
        /// The placeholder of the header's search box.
        pub search_placeholder: &'static str,
        /// The footer, before the link to the admin pages.
        pub footer: &'static str,
        /// The footer's link to the admin pages, and their heading.
        pub admin: &'static str,
        /// The title of the top stories' Atom feed (linked from every page, and the feed's own title).
        pub feed_top_title: &'static str,
        /// The title of one story's Atom feed: `{headline}`.
        pub feed_story_title: &'static str,
        /// The title of a topic's Atom feed: `{topic}`.
        pub feed_topic_title: &'static str,
        /// The title of a search's Atom feed: `{q}`.
        pub feed_search_title: &'static str,
        /// The link to a search's Atom feed from its page (`<link rel="alternate">`): `{q}`.
        pub search_feed_link: &'static str,
        /// The installed app's description (`/manifest.webmanifest`).
        pub app_description: &'static str,
        /// What the service worker answers for a page that was not kept for offline reading.
        pub offline: &'static str,

        // Error pages.
        /// The heading of a 404 page.
        pub not_found: &'static str,
        /// The heading of a 500 page.
        pub internal_error: &'static str,
        /// The text of a 500 page: `{id}`, the request id the log has.
        pub internal_error_message: &'static str,
        /// The error pages' link home.
        pub go_home: &'static str,
        /// 404: an unknown address.
        pub no_page: &'static str,
        /// 405: the heading.
        pub method_not_allowed: &'static str,
        /// 405: a request method the address does not take; `{method}`.
        pub method_not_allowed_message: &'static str,
        /// 404: a page cursor that is not one: `{page}`.
        pub no_such_page: &'static str,
        /// 404: `{id}`.
        pub no_article: &'static str,
        /// 404: `{id}`.
        pub no_story: &'static str,
        /// 404: `{id}`.
        pub no_source: &'static str,
        /// 404: `{topic}`, quoted.
        pub no_topic: &'static str,
        /// An outlet known by nothing but an address without a host.
        pub unknown_outlet: &'static str,

        // Counts, shared by many pages.
        /// Outlets covering a story: `{n}`.
        pub outlets: Plural,
        /// Articles of a story: `{n}`.
        pub articles: Plural,
        /// Sources filed under a topic: `{n}`.
        pub sources: Plural,

        // Times.
        /// Less than a minute ago (or in the future).
        pub just_now: &'static str,
        /// `{n}` minutes ago.
        pub minutes_ago: Plural,
        /// `{n}` hours ago.
        pub hours_ago: Plural,
        /// `{n}` days ago.
        pub days_ago: Plural,
        /// A date: `{day}`, `{mon}` (short month name), `{year}`.
        pub date: &'static str,
        /// A full time, shown on hover: `{weekday} {day} {month} {year} {hour} {minute}`.
        pub date_time: &'static str,
        /// A time on the coverage chart: `{day} {mon} {hour} {minute}`.
        pub chart_time: &'static str,
        /// A time on the coverage chart's axis: `{day} {mon} {hour} {minute}`.
        pub chart_axis_time: &'static str,
        /// Month names, January first.
        pub months: [&'static str; 12],
        /// Short month names, January first.
        pub months_short: [&'static str; 12],
        /// Weekday names, Monday first.
        pub weekdays: [&'static str; 7],
        /// A source never polled successfully.
        pub never: &'static str,
        /// A source whose polling is stopped, in place of its next poll.
        pub stopped: &'static str,
        /// How often a source is polled: `{n}` seconds.
        pub every_seconds: Plural,
        /// `{n}` minutes.
        pub every_minutes: Plural,
        /// `{n}` hours.
        pub every_hours: Plural,
        /// `{n}` days.
        pub every_days: Plural,
        /// A next poll already due.
        pub due_now: &'static str,
        /// A next poll in `{n}` minutes.
        pub in_minutes: Plural,
        /// In `{n}` hours.
        pub in_hours: Plural,
        /// In `{n}` days.
        pub in_days: Plural,

        // The front page (index.html) and the lists.
        /// The front page's title.
        pub home_title: &'static str,
        /// The front page's top stories heading.
        pub top_stories: &'static str,
        /// The link from the top stories to the stories page.
        pub all_stories: &'static str,
        /// The heading of the latest articles.
        pub latest: &'static str,
        /// The front page with no article.
        pub home_empty_html: &'static str,
        /// The link to the next page of articles.
        pub older_articles: &'static str,
        /// The link to the next page of stories.
        pub older_stories: &'static str,
        /// The stories page with no story.
        pub stories_empty: &'static str,
        /// A story in a list or on its page: `{time}`, a `<time>` element.
        pub updated: &'static str,

        // An article (article.html).
        /// The original of syndicated text, when no other outlet carries it: `{original}`.
        pub first_published: &'static str,
        /// The original and the other outlets carrying the text: `{original}`, `{others}`.
        pub first_published_also: &'static str,
        /// When the outlet's page could not be extracted.
        pub extraction_failed: &'static str,
        /// The link to the article at its outlet: `{outlet}`.
        pub read_at: &'static str,
        /// The heading of the article's story.
        pub coverage_heading: &'static str,
        /// The article's story: `{story}`, a link.
        pub part_of: &'static str,
        /// The heading of related stories.
        pub related_stories: &'static str,

        // A story (story.html).
        /// When a story began: `{time}`, a `<time>` element.
        pub first_seen: &'static str,
        /// The link to a story's Atom feed.
        pub follow_story: &'static str,
        /// The outlets covering a story: `{outlets}`.
        pub covered_by: &'static str,
        /// The caption of the coverage chart.
        pub chart_caption: &'static str,
        /// The chart's accessible title: `{description}`.
        pub chart_title: &'static str,
        /// The chart's description: `{articles}` and `{outlets}` (counted), `{first}`, `{last}`.
        pub chart_description: &'static str,
        /// Outlets left out of the chart: `{n}`.
        pub chart_hidden: Plural,
        /// The heading of a story's coverage by the lean of its outlets.
        pub lean_heading: &'static str,
        /// The leans, left to right: left, leaning left, centre, leaning right, right.
        pub lean_names: [&'static str; 5],
        /// One lean's count in the coverage list: `{lean}`, `{n}`.
        pub lean_count: &'static str,
        /// Outlets with no lean rated: `{n}`.
        pub lean_unrated: Plural,
        /// The bar's accessible title: `{counts}`, the leans' counts as a list.
        pub lean_bar_title: &'static str,
        /// Under the coverage by lean: where the ratings come from.
        pub lean_note: &'static str,
        /// A story outlets on the left cover and those on the right hardly do.
        pub blindspot_right: &'static str,
        /// A story outlets on the right cover and those on the left hardly do.
        pub blindspot_left: &'static str,
        /// The heading of a story's timeline.
        pub timeline: &'static str,
        /// A copy in a timeline: `{outlet}`, the original's.
        pub republished_from: &'static str,

        // Blindspots (blindspots.html).
        /// What the page lists: `{days}`, `{min}` (outlets), `{share}` (a percentage).
        pub blindspots_intro: &'static str,
        /// The heading of the stories the right hardly covers.
        pub blindspots_right: &'static str,
        /// The heading of the stories the left hardly covers.
        pub blindspots_left: &'static str,
        /// A side with no blindspot.
        pub blindspots_none: &'static str,
        /// The page when no source has a lean rated.
        pub blindspots_unrated_html: &'static str,

        // Topics (topics.html, topic.html).
        /// The topics page with no topic.
        pub topics_empty_html: &'static str,
        /// The link to a topic's Atom feed.
        pub follow_topic: &'static str,
        /// A topic with no article.
        pub topic_empty: &'static str,

        // Sources (sources.html, source.html).
        /// The sources page with no source.
        pub sources_empty_html: &'static str,
        /// A column: the source.
        pub col_source: &'static str,
        /// A column: its category.
        pub col_category: &'static str,
        /// A column: its last successful poll.
        pub col_last_success: &'static str,
        /// A column: its errors in a row.
        pub col_errors: &'static str,
        /// A column: its next poll.
        pub col_next_poll: &'static str,
        /// A failing source in the list.
        pub failing_see_html: &'static str,
        /// The heading of an outlet's feed health.
        pub feed_health: &'static str,
        /// A source's status.
        pub status: &'static str,
        /// Status: stopped.
        pub status_stopped: &'static str,
        /// Status: failing.
        pub status_failing: &'static str,
        /// After "failing" on an outlet's page.
        pub status_failing_why_html: &'static str,
        /// Status: working.
        pub status_working: &'static str,
        /// Status: never polled (admin page).
        pub status_not_polled: &'static str,
        /// An outlet's last successful poll.
        pub last_successful_poll: &'static str,
        /// How often the outlet is polled.
        pub polled: &'static str,
        /// The heading of an outlet's stories.
        pub stories_it_covers: &'static str,
        /// The heading of an outlet's articles.
        pub latest_articles: &'static str,

        // Search (search.html).
        /// A search page's title: `{q}`.
        pub search_title: &'static str,
        /// The search help's summary.
        pub search_help_summary: &'static str,
        /// The search help's lines.
        pub search_help: &'static [SearchHelp],
        /// Past the last page of results.
        pub no_more_results: &'static str,
        /// No result: `{q}`.
        pub nothing_matches: &'static str,
        /// Results: `{n}`.
        pub results_count: Plural,
        /// The page of results: `{n}`.
        pub results_page: &'static str,
        /// The link to a search's Atom feed.
        pub follow_search: &'static str,
        /// The accessible name of the result pages' navigation.
        pub result_pages: &'static str,
        /// The link to the previous results.
        pub previous_results: &'static str,
        /// The link to the next results.
        pub more_results: &'static str,
        /// Search is not configured.
        pub search_off: &'static str,
        /// A query that cannot be searched: `{problem}`.
        pub search_refused: &'static str,
        /// Past the deepest result served: `{n}`.
        pub search_too_deep: &'static str,
        /// 404: a page number that is not one: `{page}`.
        pub no_results_page: &'static str,
        /// The query is empty.
        pub query_empty: &'static str,
        /// The query is too long: `{n}` characters, `{max}` allowed.
        pub query_too_long: &'static str,
        /// Too many words: `{n}`, `{max}` allowed.
        pub query_too_many: &'static str,
        /// `after:`/`before:` with no date: `{filter}`, `{value}`.
        pub query_bad_date: &'static str,
        /// A query of exclusions only.
        pub query_only_exclusions: &'static str,

        // The admin pages (admin*.html, admin/pages.rs).
        /// Sign out.
        pub sign_out: &'static str,
        /// The heading of the form to add a source.
        pub add_a_source: &'static str,
        /// Its address field.
        pub add_url_label: &'static str,
        /// The address field's help.
        pub add_url_help: &'static str,
        /// Its category field.
        pub add_category_label: &'static str,
        /// Its full-text field, and the admin list's line.
        pub full_text: &'static str,
        /// The full-text mode `auto`, short.
        pub extract_auto: &'static str,
        /// `always`, short.
        pub extract_always: &'static str,
        /// `never`, short.
        pub extract_never: &'static str,
        /// The option `auto`, explained.
        pub extract_auto_option: &'static str,
        /// The option `always`, explained.
        pub extract_always_option: &'static str,
        /// The option `never`, explained.
        pub extract_never_option: &'static str,
        /// The add form's button.
        pub add_source_button: &'static str,
        /// When this process cannot add sources.
        pub admin_cannot_add_html: &'static str,
        /// The heading of the OPML import.
        pub import_opml: &'static str,
        /// Its file field.
        pub opml_file: &'static str,
        /// Its text field.
        pub opml_paste: &'static str,
        /// Its button.
        pub import_button: &'static str,
        /// The heading of the admin's sources: `{n}`.
        pub admin_sources_heading: &'static str,
        /// No source yet (admin).
        pub no_sources_yet: &'static str,
        /// A column: health.
        pub col_health: &'static str,
        /// A column: actions.
        pub col_actions: &'static str,
        /// A source's category: `{category}`.
        pub category_line: &'static str,
        /// A source's full-text mode: `{mode}`.
        pub full_text_line: &'static str,
        /// A source's own skip rules: `{rules}`.
        pub skip_rules_line: &'static str,
        /// The label of a source's lean choice: `{name}`, the source's.
        pub lean_label: &'static str,
        /// The choice of no lean.
        pub lean_not_rated: &'static str,
        /// The button that sets a source's lean.
        pub set_lean: &'static str,
        /// A source's lean was set: `{name}`, `{lean}`.
        pub lean_set: &'static str,
        /// A lean that is not one: `{lean}`, quoted.
        pub not_a_lean: &'static str,
        /// A source's last success: `{when}`.
        pub last_success_line: &'static str,
        /// A source's errors in a row: `{n}`.
        pub errors_in_a_row_line: &'static str,
        /// A source's last error: `{when}`, `{error}`.
        pub last_error_line: &'static str,
        /// A button.
        pub poll_now: &'static str,
        /// A button.
        pub resume_polling: &'static str,
        /// A link to the removal's confirmation.
        pub remove: &'static str,
        /// Hidden after an action's name, for screen readers: `{name}`, the source's.
        pub action_source: &'static str,
        /// The sign-in page's explanation.
        pub sign_in_intro_html: &'static str,
        /// `/admin`'s head when an admin account works it; `{}` is the account's name.
        pub admin_as_account: &'static str,
        /// The token field.
        pub admin_token: &'static str,
        /// The sign-in button.
        pub sign_in: &'static str,
        /// The removal's question: `{name}`.
        pub remove_question: &'static str,
        /// What removal does: `{url}`, a `<code>` element.
        pub remove_explanation: &'static str,
        /// The removal's button: `{name}`.
        pub remove_button: &'static str,
        /// Leaves the removal page.
        pub cancel: &'static str,
        /// The link to a source's settings page.
        pub source_settings: &'static str,
        /// The settings page's heading: `{name}`, the source's.
        pub source_settings_heading: &'static str,
        /// The settings page's lean field.
        pub lean_field: &'static str,
        /// The settings page's skip rules field.
        pub skip_rules_label: &'static str,
        /// What skip rules do.
        pub skip_rules_help: &'static str,
        /// The settings page's button.
        pub save_settings: &'static str,
        /// A source's settings were saved: `{name}`.
        pub settings_saved: &'static str,
        /// The settings were not saved: `{problem}`.
        pub settings_not_saved: &'static str,
        /// The heading when no admin token is configured.
        pub admin_off: &'static str,
        /// The text when no admin token is configured.
        pub admin_off_message: &'static str,
        /// The heading of a refused form.
        pub refused: &'static str,
        /// A refused form: `{reason}`.
        pub refused_message: &'static str,
        /// Reason: another site sent the form: `{header}` and its `{value}`.
        pub refused_cross_site: &'static str,
        /// Reason: no or a stale CSRF token.
        pub refused_csrf: &'static str,
        /// Reason: the import was not multipart.
        pub refused_not_multipart: &'static str,
        /// The heading without a session.
        pub not_signed_in: &'static str,
        /// The text without a session.
        pub not_signed_in_message: &'static str,
        /// Sign-in throttled: `{n}` seconds to wait.
        pub too_many_tokens: Plural,
        /// Sign-in refused.
        pub wrong_token: &'static str,
        /// Signed in.
        pub signed_in: &'static str,
        /// Signed out.
        pub signed_out: &'static str,
        /// An action failed inside the server: `{id}`.
        pub admin_internal_error: &'static str,
        /// An address field left empty.
        pub url_empty: &'static str,
        /// An address that is not http(s): `{url}`.
        pub url_not_web: &'static str,
        /// A full-text mode that is not one: `{value}`, quoted.
        pub extract_not_a_choice: &'static str,
        /// A source added: `{name}`, `{url}`.
        pub added: &'static str,
        /// This process cannot add sources.
        pub cannot_add_here: &'static str,
        /// This process cannot import OPML.
        pub cannot_import_here: &'static str,
        /// An unreadable upload: `{problem}`.
        pub upload_unreadable: &'static str,
        /// What was imported, when it was a file with no name.
        pub uploaded_file: &'static str,
        /// What was imported, when it was pasted.
        pub pasted_opml: &'static str,
        /// An import with nothing to import.
        pub opml_missing: &'static str,
        /// An OPML document without feeds: `{what}`.
        pub opml_no_feeds: &'static str,
        /// An import's result: `{n}` added, from `{what}`, `{already}` followed already.
        pub imported: Plural,
        /// A removed source's action: `{id}` is gone.
        pub source_gone: &'static str,
        /// A source id that is not one: `{id}`, quoted.
        pub not_a_source_id: &'static str,
        /// A source removed: `{name}`, `{url}`.
        pub removed: &'static str,
        /// A source resumed: `{name}`.
        pub resumed: &'static str,
        /// A source made due, for the poller of another process: `{name}`.
        pub made_due: &'static str,
        /// The heading of the failed machine-written summaries (`[llm]`): `{n}`.
        pub machine_summary_failures_heading: &'static str,
        /// What that list is.
        pub machine_summary_failures_intro: &'static str,
        /// A column: the article.
        pub col_article: &'static str,
        /// A column: the last error.
        pub col_last_error: &'static str,
        /// A column: the next attempt.
        pub col_next_attempt: &'static str,
        /// Failed requests for one article in a row: `{n}`.
        pub failed_attempts: Plural,
        /// No next attempt: the stage gave up on the article.
        pub machine_summary_given_up: &'static str,

        // Reading aids (aids.rs): summaries, key points, names, topics, the story brief and Ask.
        /// The article summary's heading.
        pub summary_heading: &'static str,
        /// Under a summary: how it was made.
        pub summary_note: &'static str,
        /// The key points' heading.
        pub key_points_heading: &'static str,
        /// No summary, because the article's language has no summariser: `{language}` (a language tag).
        pub summary_unsupported: &'static str,
        /// The heading of a summary written by a language model (`[llm]`).
        pub machine_summary_heading: &'static str,
        /// Under it: who wrote it and that it may be wrong: `{model}`.
        pub machine_summary_note: &'static str,
        /// No names, because the tagger reads only English: `{language}`.
        pub entities_unsupported: &'static str,
        /// The heading of an article's names.
        pub names_in_article: &'static str,
        /// The heading of a story's names.
        pub names_in_story: &'static str,
        /// The label before an article's topics.
        pub topics_label: &'static str,
        /// The kinds of names, as group labels: people, organisations, places, other names.
        pub entity_kinds: [&'static str; 4],
        /// The page of all names: its heading.
        pub entities_heading: &'static str,
        /// The names page, when nothing has been found yet.
        pub no_entities_yet: &'static str,
        /// How many articles name an entity.
        pub naming_articles: Plural,
        /// An entity page's list of stories.
        pub entity_stories: &'static str,
        /// An entity page's list of articles: `{name}`.
        pub entity_articles: &'static str,
        /// An entity key that names nothing: `{key}`, quoted.
        pub no_entity: &'static str,
        /// The story brief's heading.
        pub brief_heading: &'static str,
        /// The brief's points that several outlets report.
        pub brief_agreed: &'static str,
        /// The brief's points that only one outlet reports.
        pub brief_only_some: &'static str,
        /// Who carries a point of the brief: `{outlets}`, a list.
        pub brief_reported_by: &'static str,
        /// Under the brief: how it was made.
        pub brief_note: &'static str,
        /// The question box's label.
        pub ask_label: &'static str,
        /// The question box's placeholder.
        pub ask_placeholder: &'static str,
        /// The question box's button, and the Ask page's heading.
        pub ask_button: &'static str,
        /// The Ask page's title: `{question}`.
        pub ask_title: &'static str,
        /// The answer's heading.
        pub answer_heading: &'static str,
        /// The coverage holds no answer.
        pub no_answer: &'static str,
        /// Under an answer: where it comes from.
        pub answer_note: &'static str,
        /// Where a question was asked: of one story, `{headline}`.
        pub asked_of_story: &'static str,
        /// Where a question was asked: of everything stored.
        pub asked_of_all: &'static str,
        /// A cited sentence's source line: `{outlet}`, `{title}`.
        pub cited_from: &'static str,
        /// A question too long or empty.
        pub ask_bad_question: &'static str,
        /// A reader's address has asked too many questions in the last minute.
        pub ask_too_many: &'static str,
        /// Every slot for answering is taken.
        pub ask_busy: &'static str,

        // Accounts, comments and moderation (community/).
        /// The header's link to the reader's own page.
        pub nav_for_you: &'static str,
        /// The header's link to the account page (or sign-in).
        pub nav_account: &'static str,
        /// The heading of a page that refuses a request.
        pub refused_heading: &'static str,
        /// A form sent from another site.
        pub cross_site_refused: &'static str,
        /// A form without its session's CSRF token (an old tab, another session).
        pub csrf_refused: &'static str,
        /// A reader tried a moderator's page or action.
        pub moderators_only: &'static str,
        /// A moderator tried an admin's action.
        pub admins_only: &'static str,
        /// A banned account tried to post: `{until}`, a date.
        pub banned_until: &'static str,
        /// Too many requests from one address.
        pub too_many_requests: &'static str,
        /// A form that could not be read.
        pub bad_form: &'static str,
        /// The sign-up page's heading and links to it.
        pub signup_heading: &'static str,
        /// Sign-up is closed.
        pub signup_closed: &'static str,
        /// Sign-up needs an invitation.
        pub signup_invite_only: &'static str,
        /// The invitation code field.
        pub invite_label: &'static str,
        /// An invitation that is unknown, used or expired.
        pub invite_invalid: &'static str,
        /// The user name field.
        pub username_label: &'static str,
        /// Under the user name field.
        pub username_help: &'static str,
        /// The e-mail field.
        pub email_label: &'static str,
        /// Under the e-mail field.
        pub email_help: &'static str,
        /// An e-mail address that cannot be one.
        pub bad_email: &'static str,
        /// The password field.
        pub password_label: &'static str,
        /// Under a new password field.
        pub password_help: &'static str,
        /// The field repeating a new password.
        pub confirm_label: &'static str,
        /// The two passwords typed differ.
        pub passwords_differ: &'static str,
        /// The sign-up form's button.
        pub signup_button: &'static str,
        /// A name or address already used: `{what}` (user name, e-mail address) and `{value}`.
        pub name_taken: &'static str,
        /// Under the sign-up form: `{link}` is the sign-in link.
        pub have_account: &'static str,
        /// Under the sign-in form: `{link}` is the sign-up link.
        pub no_account: &'static str,
        /// Under the sign-in form: how to reset a password.
        pub forgot_password: &'static str,
        /// Under the sign-in form when the site mails reset links.
        pub forgot_link: &'static str,
        /// The forgotten-password page's heading.
        pub forgot_heading: &'static str,
        /// What the forgotten-password page does.
        pub forgot_intro: &'static str,
        /// Its button.
        pub forgot_button: &'static str,
        /// After asking: the same whether or not the account exists.
        pub forgot_sent: &'static str,
        /// The reset mail's subject.
        pub reset_mail_subject: &'static str,
        /// The reset mail's text: `{name}`, `{link}`, `{site}`.
        pub reset_mail_body: &'static str,
        /// The one-time code field.
        pub code_label: &'static str,
        /// Under the one-time code field at sign-in.
        pub code_help: &'static str,
        /// An account with two-step sign-in, signed in without its code.
        pub code_needed: &'static str,
        /// A wrong one-time code.
        pub code_wrong: &'static str,
        /// A second-factor code that signed in already.
        pub code_used: &'static str,
        /// A wrong user name or password.
        pub wrong_login: &'static str,
        /// Sign-ins slowed down after failures: `{seconds}`.
        pub login_wait: &'static str,
        /// After a password reset.
        pub password_was_reset: &'static str,
        /// After deleting one's account.
        pub account_deleted: &'static str,
        /// The account page's heading.
        pub account_heading: &'static str,
        /// The account page's first line: `{name}`, `{role}`.
        pub signed_in_as: &'static str,
        /// The list of what a reader follows.
        pub follows_heading: &'static str,
        /// A reader follows nothing yet.
        pub follows_none: &'static str,
        /// The follow button.
        pub follow: &'static str,
        /// The follow button while following (pressing it stops).
        pub following: &'static str,
        /// The button that stops following.
        pub unfollow: &'static str,
        /// The account page's password section.
        pub password_heading: &'static str,
        /// The current password field.
        pub current_password_label: &'static str,
        /// The new password field.
        pub new_password_label: &'static str,
        /// The password form's button.
        pub change_password_button: &'static str,
        /// A wrong current password.
        pub wrong_password: &'static str,
        /// The account page's two-step sign-in section.
        pub totp_heading: &'static str,
        /// Two-step sign-in is on.
        pub totp_is_on: &'static str,
        /// Two-step sign-in is off.
        pub totp_is_off: &'static str,
        /// Starts turning two-step sign-in on.
        pub totp_setup_button: &'static str,
        /// How to set up the authenticator app.
        pub totp_setup_intro: &'static str,
        /// Confirms two-step sign-in with a code.
        pub totp_enable_button: &'static str,
        /// Turns two-step sign-in off.
        pub totp_disable_button: &'static str,
        /// Two-step sign-in was turned on.
        pub totp_on: &'static str,
        /// Two-step sign-in was turned off.
        pub totp_off: &'static str,
        /// The API tokens section.
        pub tokens_heading: &'static str,
        /// What API tokens are for.
        pub tokens_intro: &'static str,
        /// Before a new token, shown once.
        pub token_made: &'static str,
        /// A token's label.
        pub token_label_col: &'static str,
        /// When a token was made.
        pub token_created_col: &'static str,
        /// When a token was last used.
        pub token_used_col: &'static str,
        /// The label of a token made without one.
        pub token_default_label: &'static str,
        /// Makes a token.
        pub token_make_button: &'static str,
        /// A token was revoked.
        pub token_revoked: &'static str,
        /// No such token: `{id}`.
        pub no_token: &'static str,
        /// Revokes a token.
        pub revoke: &'static str,
        /// The account page's data section.
        pub your_data_heading: &'static str,
        /// Downloads one's data.
        pub export_link: &'static str,
        /// What deleting an account does.
        pub delete_account_intro: &'static str,
        /// Deletes the account.
        pub delete_account_button: &'static str,
        /// The password reset page's heading.
        pub reset_heading: &'static str,
        /// The reset form's button.
        pub reset_button: &'static str,
        /// A reset link unknown, used or expired.
        pub reset_invalid: &'static str,
        /// The comments section's heading.
        pub comments_count: Plural,
        /// Before the thread's sort links.
        pub sort_label: &'static str,
        /// Sorting by score.
        pub sort_best: &'static str,
        /// Sorting by time.
        pub sort_newest: &'static str,
        /// A locked thread.
        pub thread_locked: &'static str,
        /// A moderator's button locking a thread.
        pub lock_thread: &'static str,
        /// A moderator's button unlocking a thread.
        pub unlock_thread: &'static str,
        /// The comment field.
        pub comment_label: &'static str,
        /// Under a comment field: the formatting it takes.
        pub markdown_help: &'static str,
        /// Posts a comment.
        pub post_comment: &'static str,
        /// To signed-out readers: `{link}`, the sign-in link.
        pub sign_in_to_comment: &'static str,
        /// A thread without comments.
        pub no_comments: &'static str,
        /// A deleted comment's place in a thread.
        pub comment_removed: &'static str,
        /// The place in a thread of a comment held or hidden from this reader, above a reply they see.
        pub comment_withheld: &'static str,
        /// The author of a comment whose account is gone.
        pub deleted_author: &'static str,
        /// A reply's link to its parent: `{name}`.
        pub in_reply_to: &'static str,
        /// After an edited comment's time.
        pub edited: &'static str,
        /// A comment's score.
        pub points: Plural,
        /// On a held comment, for its author and moderators.
        pub comment_pending: &'static str,
        /// On a hidden comment, for its author and moderators.
        pub comment_hidden: &'static str,
        /// The upvote button.
        pub vote_up: &'static str,
        /// The downvote button.
        pub vote_down: &'static str,
        /// The edit link.
        pub edit: &'static str,
        /// The delete button.
        pub delete: &'static str,
        /// A moderator's hide button.
        pub hide: &'static str,
        /// A moderator's approve button.
        pub approve: &'static str,
        /// Opens the reply form.
        pub reply: &'static str,
        /// The reply field.
        pub reply_label: &'static str,
        /// Posts a reply.
        pub post_reply: &'static str,
        /// Opens the report form.
        pub report: &'static str,
        /// The report's reason field.
        pub report_reason_label: &'static str,
        /// Sends a report.
        pub send_report: &'static str,
        /// A report sent without a reason.
        pub report_no_reason: &'static str,
        /// After a report.
        pub report_thanks_heading: &'static str,
        /// After a report: `{page}`, the page of the comment.
        pub report_thanks: &'static str,
        /// Too many comments too fast.
        pub comment_rate_limited: &'static str,
        /// Changing someone else's comment.
        pub not_yours: &'static str,
        /// No such comment.
        pub no_comment: &'static str,
        /// Voting on one's own comment.
        pub own_vote: &'static str,
        /// Editing after the window: `{minutes}`.
        pub edit_window_closed: &'static str,
        /// The edit page's heading.
        pub edit_comment_heading: &'static str,
        /// Saves an edit.
        pub save_edit_button: &'static str,
        /// The moderation queue's heading.
        pub moderation_heading: &'static str,
        /// The moderation log's heading.
        pub moderation_log_heading: &'static str,
        /// The accounts list's heading.
        pub moderation_users_heading: &'static str,
        /// The queue's reported comments.
        pub reported_comments: Plural,
        /// The queue's held comments.
        pub held_comments: Plural,
        /// An empty part of the queue.
        pub queue_empty: &'static str,
        /// A queued comment's link to its thread.
        pub see_in_thread: &'static str,
        /// Dismisses a comment's reports.
        pub dismiss_reports: &'static str,
        /// An admin's button making an invitation.
        pub make_invite: &'static str,
        /// Before a new invitation link.
        pub invite_made: &'static str,
        /// An empty moderation log.
        pub log_empty: &'static str,
        /// Log column.
        pub log_when: &'static str,
        /// Log column.
        pub log_who: &'static str,
        /// Log column.
        pub log_action: &'static str,
        /// Log column.
        pub log_target: &'static str,
        /// Log column.
        pub log_reason: &'static str,
        /// An account's role.
        pub role_col: &'static str,
        /// When an account was made.
        pub joined_col: &'static str,
        /// Bans an account.
        pub ban: &'static str,
        /// Lifts a ban.
        pub unban: &'static str,
        /// The ban's length field.
        pub ban_days_label: &'static str,
        /// Changes an account's role.
        pub set_role: &'static str,
        /// The roles, as the role menu names them: reader, moderator, admin.
        pub role_names: [&'static str; 3],
        /// Not a role: `{role}`.
        pub bad_role: &'static str,
        /// An admin's button making a reset link.
        pub make_reset_link: &'static str,
        /// Before a new reset link: `{name}`.
        pub reset_link_made: &'static str,
        /// Not a kind of thread: `{kind}`.
        pub no_thread: &'static str,
        /// No such account: `{id}`.
        pub no_user: &'static str,
        /// A moderator acting on themselves or on another moderator.
        pub not_on_this_account: &'static str,
        /// The For you page's heading.
        pub for_you_heading: &'static str,
        /// For you without follows.
        pub for_you_empty: &'static str,
        /// Before the list of what feeds the page.
        pub for_you_from: &'static str,
        /// Follows without articles yet.
        pub for_you_nothing_yet: &'static str,
        /// The saved articles page's heading.
        pub saved_heading: &'static str,
        /// No saved articles.
        pub saved_empty: &'static str,
        /// Saves an article.
        pub save_button: &'static str,
        /// On a saved article (pressing it unsaves).
        pub saved_button: &'static str,
    }
}

/// English plurals: one for 1, other for the rest.
fn english_plural(n: u64) -> PluralCategory {
    if n == 1 { PluralCategory::One } else { PluralCategory::Other }
}

/// English.
pub static EN: Strings = Strings {
    lang: "en",
    name: "English",
    plural_rule: english_plural,
    list_separator: ", ",
    quoted: "\"{text}\"",

    site_name: "Tidings",
    page_title: "{page} — Tidings",
    skip_to_content: "Skip to content",
    nav_label: "Site",
    nav_home: "Home",
    nav_stories: "Stories",
    nav_topics: "Topics",
    nav_sources: "Sources",
    nav_search: "Search",
    nav_entities: "Names",
    nav_blindspots: "Blindspots",
    site_search_label: "Site search",
    search_articles: "Search articles",
    search_placeholder: "Search",
    footer: "Tidings — your own news aggregator. No tracking.",
    admin: "Admin",
    feed_top_title: "Tidings: top stories",
    feed_story_title: "Tidings: {headline}",
    feed_topic_title: "Tidings: {topic}",
    feed_search_title: "Tidings search: {q}",
    search_feed_link: "Search: {q}",
    app_description: "Your own news aggregator: stories from the outlets you follow, with where each came from.",
    offline: "You are offline and this page was not saved.",

    not_found: "Not found",
    internal_error: "Something went wrong",
    internal_error_message: "The server could not answer this request. Request id: {id}.",
    go_home: "Go to the front page",
    no_page: "There is no page at this address.",
    method_not_allowed: "Not allowed",
    method_not_allowed_message: "This address does not take {method} requests.",
    no_such_page: "No such page: {page}.",
    no_article: "There is no article {id}.",
    no_story: "There is no story {id}.",
    no_source: "There is no source {id}.",
    no_topic: "There is no topic {topic}.",
    unknown_outlet: "unknown outlet",

    outlets: Plural::new("{n} outlet", "{n} outlets"),
    articles: Plural::new("{n} article", "{n} articles"),
    sources: Plural::new("{n} source", "{n} sources"),

    just_now: "just now",
    minutes_ago: Plural::new("{n} minute ago", "{n} minutes ago"),
    hours_ago: Plural::new("{n} hour ago", "{n} hours ago"),
    days_ago: Plural::new("{n} day ago", "{n} days ago"),
    date: "{day} {mon} {year}",
    date_time: "{weekday} {day} {month} {year}, {hour}:{minute} UTC",
    chart_time: "{day} {mon} {hour}:{minute} UTC",
    chart_axis_time: "{day} {mon} {hour}:{minute}",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    months_short: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    weekdays: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    never: "never",
    stopped: "stopped",
    every_seconds: Plural::new("every {n} second", "every {n} seconds"),
    every_minutes: Plural::new("every {n} minute", "every {n} minutes"),
    every_hours: Plural::new("every {n} hour", "every {n} hours"),
    every_days: Plural::new("every {n} day", "every {n} days"),
    due_now: "due now",
    in_minutes: Plural::new("in {n} minute", "in {n} minutes"),
    in_hours: Plural::new("in {n} hour", "in {n} hours"),
    in_days: Plural::new("in {n} day", "in {n} days"),

    home_title: "Latest news",
    top_stories: "Top stories",
    all_stories: "All stories",
    latest: "Latest",
    home_empty_html: "No articles yet. Add a source with <code>tidings sources add URL</code>; new articles appear here \
                      as sources are polled.",
    older_articles: "Older articles",
    older_stories: "Older stories",
    stories_empty: "No stories yet. Articles are grouped into stories as they arrive.",
    updated: "updated {time}",

    first_published: "First published by {original}.",
    first_published_also: "First published by {original}; also at {others}.",
    extraction_failed: "The full article could not be fetched from the outlet, so this is the text its feed carried.",
    read_at: "Read at {outlet}",
    coverage_heading: "Coverage of this story",
    part_of: "Part of {story}",
    related_stories: "Related stories",

    first_seen: "first seen {time}",
    follow_story: "Follow this story (Atom feed)",
    covered_by: "Covered by: {outlets}",
    chart_caption: "Articles over time, one row per outlet.",
    chart_title: "Coverage over time: {description}",
    chart_description: "{articles} from {outlets} between {first} and {last}",
    chart_hidden: Plural::new("and {n} more outlet not drawn", "and {n} more outlets not drawn"),
    lean_heading: "Coverage by lean",
    lean_names: ["Left", "Lean left", "Center", "Lean right", "Right"],
    lean_count: "{lean}: {n}",
    lean_unrated: Plural::new("{n} outlet not rated", "{n} outlets not rated"),
    lean_bar_title: "Outlets by lean: {counts}",
    lean_note: "Leans are the ratings this site's operator gives its sources.",
    blindspot_right: "Blindspot for the right: outlets on the left cover this story, those on the right hardly at all.",
    blindspot_left: "Blindspot for the left: outlets on the right cover this story, those on the left hardly at all.",
    timeline: "Timeline",
    republished_from: "republished from {outlet}",

    blindspots_intro: "Stories of the latest {days} days of coverage that outlets on one side cover and those on \
                       the other side hardly do: at least {min} outlets on one side, and {share} of the outlets rated \
                       left or right.",
    blindspots_right: "Hardly covered on the right",
    blindspots_left: "Hardly covered on the left",
    blindspots_none: "None at the moment.",
    blindspots_unrated_html: "No source has a lean rated yet, so there is nothing to compare. The operator rates \
                              each outlet with <code>tidings sources lean SOURCE LEAN</code> (left, lean-left, \
                              center, lean-right or right), or with a <code>lean</code> attribute in an imported \
                              OPML file.",

    topics_empty_html: "No topics yet. Topics come from the categories of sources (<code>tidings sources add URL \
                        --category NAME</code>, or the folders of an imported OPML file).",
    follow_topic: "Follow this topic (Atom feed)",
    topic_empty: "No articles in this topic yet.",

    sources_empty_html: "No sources yet. Add one with <code>tidings sources add URL</code> or import an OPML file with \
                         <code>tidings sources import FILE.opml</code>.",
    col_source: "Source",
    col_category: "Category",
    col_last_success: "Last success",
    col_errors: "Errors",
    col_next_poll: "Next poll",
    failing_see_html: "failing: see <code>tidings sources list</code>",
    feed_health: "Feed health",
    status: "Status",
    status_stopped: "polling stopped",
    status_failing: "failing",
    status_failing_why_html: "(the operator sees why in <code>tidings sources list</code>)",
    status_working: "working",
    status_not_polled: "not polled yet",
    last_successful_poll: "Last successful poll",
    polled: "Polled",
    stories_it_covers: "Stories it covers",
    latest_articles: "Latest articles",

    search_title: "{q} — Search",
    search_help_summary: "How to search",
    search_help: &[
        SearchHelp {
            example_html: "<code>flood warning</code>",
            meaning: "articles with both words (flooded, floods and flood all count)",
        },
        SearchHelp { example_html: "<code>\"river authority\"</code>", meaning: "the words together, in this order" },
        SearchHelp {
            example_html: "<code>-sport</code>, <code>-\"press release\"</code>",
            meaning: "without the word or phrase",
        },
        SearchHelp {
            example_html: "<code>outlet:ledger</code>, <code>outlet:\"daily ledger\"</code>",
            meaning: "from one outlet",
        },
        SearchHelp { example_html: "<code>topic:world</code>", meaning: "from sources filed under a topic" },
        SearchHelp {
            example_html: "<code>after:2026-11-01</code>, <code>before:2026-12-01</code>",
            meaning: "published from or before a day",
        },
    ],
    no_more_results: "No more results.",
    nothing_matches: "Nothing matches “{q}”. Try fewer words, or other ones.",
    results_count: Plural::new("{n} article matches", "{n} articles match"),
    results_page: "page {n}",
    follow_search: "Follow this search (Atom feed)",
    result_pages: "Result pages",
    previous_results: "Previous results",
    more_results: "More results",
    search_off: "Search is turned off on this server.",
    search_refused: "Cannot search: {problem}.",
    search_too_deep: "Results are shown up to number {n}; narrow the search to see others.",
    no_results_page: "No such page of results: {page}.",
    query_empty: "the query is empty: type some words, a \"phrase\", or a filter such as outlet:NAME",
    query_too_long: "the query is {n} characters long; the limit is {max}",
    query_too_many: "the query has {n} words and phrases; the limit is {max}",
    query_bad_date: "{filter}:{value} is not a date: write it as YYYY-MM-DD",
    query_only_exclusions: "the query only excludes; add a word, a phrase or a filter to search for",

    sign_out: "Sign out",
    add_a_source: "Add a source",
    add_url_label: "Address of a feed or of a web page",
    add_url_help: "For a web page, Tidings follows the feed the page advertises.",
    add_category_label: "Category (optional)",
    full_text: "Full text",
    extract_auto: "auto",
    extract_always: "always",
    extract_never: "never",
    extract_auto_option: "auto: fetch an item's page when the feed has only a teaser",
    extract_always_option: "always: fetch every item's page",
    extract_never_option: "never: keep the feed's text",
    add_source_button: "Add source",
    admin_cannot_add_html: "Adding and importing sources need the poller's network access, which this process does \
                            not have; use <code>tidings sources add</code> and <code>tidings sources import</code>.",
    import_opml: "Import OPML",
    opml_file: "OPML file",
    opml_paste: "Or paste the OPML",
    import_button: "Import",
    admin_sources_heading: "Sources ({n})",
    no_sources_yet: "No sources yet.",
    col_health: "Health",
    col_actions: "Actions",
    category_line: "Category: {category}",
    full_text_line: "Full text: {mode}",
    skip_rules_line: "Skips items matching: {rules}",
    lean_label: "Lean of {name}",
    lean_not_rated: "Not rated",
    set_lean: "Set lean",
    lean_set: "{name}: lean {lean}.",
    not_a_lean: "{lean} is not a lean: choose left, lean-left, center, lean-right or right.",
    last_success_line: "Last success: {when}",
    errors_in_a_row_line: "Errors in a row: {n}",
    last_error_line: "Last error, {when}: {error}",
    poll_now: "Poll now",
    resume_polling: "Resume polling",
    remove: "Remove",
    action_source: ": {name}",
    sign_in_intro_html: "Sign in with the admin token (<code>[web] admin_token</code> in the configuration) to add, \
                         import, poll and remove sources, or <a href=\"/login?next=/admin\">sign in to the site</a> \
                         with an admin account.",
    admin_as_account: "Signed in to the site as {}, an admin account: signing out here signs out of the site.",
    admin_token: "Admin token",
    sign_in: "Sign in",
    remove_question: "Remove {name}?",
    remove_explanation: "Tidings will stop following {url} and delete the articles it stored from it. This cannot be \
                         undone; the source can be added again later.",
    remove_button: "Remove {name}",
    cancel: "Cancel",
    source_settings: "Settings",
    source_settings_heading: "Settings of {name}",
    lean_field: "Political lean",
    skip_rules_label: "Skip rules, one per line",
    skip_rules_help: "Regular expressions, case ignored, matched against each new item's title and link: an item one \
                      of them matches is not stored (the rules of [poll] skip_rules apply too). Articles stored \
                      already stay.",
    save_settings: "Save settings",
    settings_saved: "{name}: settings saved.",
    settings_not_saved: "Not saved: {problem}",
    admin_off: "Admin pages are off",
    admin_off_message: "The admin pages are only for admin accounts here, because no admin token is configured: \
                        sign in to the site with an admin account (`tidings users add NAME --admin` makes one), or \
                        set [web] admin_token (or TIDINGS_WEB__ADMIN_TOKEN) to a secret of at least 16 characters \
                        and restart Tidings. Sources can also be managed with `tidings sources …`.",
    refused: "Refused",
    refused_message: "Refused: {reason}. Use the forms on /admin.",
    refused_cross_site: "the form was sent from another site ({header}: {value})",
    refused_csrf: "the form's security token is missing or out of date (reload /admin and try again)",
    refused_not_multipart: "the import form must be sent as multipart/form-data",
    not_signed_in: "Not signed in",
    not_signed_in_message: "Your admin session is missing or has expired: sign in again at /admin.",
    too_many_tokens: Plural::new(
        "Too many wrong tokens in a row: wait {n} second, then try again.",
        "Too many wrong tokens in a row: wait {n} seconds, then try again.",
    ),
    wrong_token: "That is not the admin token.",
    signed_in: "Signed in.",
    signed_out: "Signed out.",
    admin_internal_error: "The server could not do that. Request id: {id}.",
    url_empty: "URL: enter the address of a feed or of a web page",
    url_not_web: "{url}: not a web address (it must start with http:// or https:// and name a host)",
    extract_not_a_choice: "Full text: {value} is not a choice (auto, always or never)",
    added: "Added {name} ({url}); it is due for polling now.",
    cannot_add_here: "Adding a source needs the poller's network access, which this process does not have: use \
                      `tidings sources …`.",
    cannot_import_here: "Importing OPML needs the poller's network access, which this process does not have: use \
                         `tidings sources …`.",
    upload_unreadable: "OPML: the upload could not be read ({problem})",
    uploaded_file: "the uploaded file",
    pasted_opml: "the pasted OPML",
    opml_missing: "OPML: choose a file or paste the OPML text",
    opml_no_feeds: "{what}: the OPML lists no feeds",
    imported: Plural::new(
        "Imported {n} source from {what} ({already} already followed).",
        "Imported {n} sources from {what} ({already} already followed).",
    ),
    source_gone: "Source {id}: there is no such source (removed already?)",
    not_a_source_id: "Source {id}: not a source id",
    removed: "Removed {name} ({url}) and its articles.",
    resumed: "{name} will be polled again; it is due now.",
    made_due: "{name} is due now; the poller fetches it within seconds.",
    machine_summary_failures_heading: "Machine-written summaries that failed ({n})",
    machine_summary_failures_intro: "Requests to the language model endpoint ([llm] in the configuration) that \
                                     failed, latest first. Each is tried again a few times; the articles themselves are \
                                     stored and shown as usual.",
    col_article: "Article",
    col_last_error: "Last error",
    col_next_attempt: "Next attempt",
    failed_attempts: Plural::new("{n} failed attempt", "{n} failed attempts"),
    machine_summary_given_up: "None: given up until the article's text changes",
    summary_heading: "Summary",
    summary_note: "Sentences chosen from the article by Tidings, not written by a machine.",
    key_points_heading: "Key points",
    summary_unsupported: "No summary: Tidings cannot yet summarise articles in this language ({language}).",
    machine_summary_heading: "Machine-written summary",
    machine_summary_note: "Written by a language model ({model}), not by the outlet or by Tidings' own summariser; it \
                           may contain errors, so check it against the article.",
    entities_unsupported: "Names are found in English articles only; this one is in {language}.",
    names_in_article: "Names in this article",
    names_in_story: "Names in this story",
    topics_label: "Topics:",
    entity_kinds: ["People", "Organisations", "Places", "Other names"],
    entities_heading: "Names in the news",
    no_entities_yet: "No names yet: they appear as articles are read.",
    naming_articles: Plural::new("{n} article", "{n} articles"),
    entity_stories: "Stories",
    entity_articles: "Articles naming {name}",
    no_entity: "There is no name {key} here.",
    brief_heading: "Brief",
    brief_agreed: "What several outlets report",
    brief_only_some: "What only one outlet reports",
    brief_reported_by: "Reported by {outlets}",
    brief_note: "Sentences chosen from the coverage by Tidings; follow a link to read each in its article.",
    ask_label: "Ask the coverage",
    ask_placeholder: "A question, e.g. who won the cup final?",
    ask_button: "Ask",
    ask_title: "Ask: {question}",
    answer_heading: "Answer",
    no_answer: "The coverage here does not answer this question.",
    answer_note: "The answer is sentences from the articles themselves, with links to each.",
    asked_of_story: "Asked of the coverage of {headline}.",
    asked_of_all: "Asked of every article here.",
    cited_from: "{outlet}: {title}",
    ask_bad_question: "Ask a question of up to 300 characters.",
    ask_too_many: "Too many questions from your address in the last minute. Wait a minute and ask again.",
    ask_busy: "Too many questions are being answered right now. Ask again in a few seconds.",
    nav_for_you: "For you",
    nav_account: "Account",
    refused_heading: "Not allowed",
    cross_site_refused: "This form was sent from another site, so it was refused. Use the form on this site's own page.",
    csrf_refused: "This form has expired (you may have signed out or in since it was opened). Reload the page and try again.",
    moderators_only: "Only moderators can do this.",
    admins_only: "Only admins can do this.",
    banned_until: "This account may not post until {until}.",
    too_many_requests: "Too many requests from your address in the last minute. Wait a minute and try again.",
    bad_form: "The form could not be read. Reload the page and try again.",
    signup_heading: "Create an account",
    signup_closed: "Sign-up is closed on this site: ask its operator for an account.",
    signup_invite_only: "Sign-up on this site is by invitation: open the invitation link you were given, or paste its code below.",
    invite_label: "Invitation code",
    invite_invalid: "This invitation is not valid: it may have been used already or have expired.",
    username_label: "User name",
    username_help: "3 to 32 letters, digits, dots, dashes or underscores. Shown with your comments.",
    email_label: "E-mail address (optional)",
    email_help: "Only used to reset your password. Never shown.",
    bad_email: "The e-mail address does not look like one (name@example.org).",
    password_label: "Password",
    password_help: "At least 10 characters; a few unrelated words make a good one.",
    confirm_label: "Password again",
    passwords_differ: "The two passwords are not the same.",
    signup_button: "Create account",
    name_taken: "That {what} ({value}) is taken; choose another.",
    have_account: "Have an account already? {link}.",
    no_account: "No account yet? {link}.",
    forgot_password: "Forgot your password? Ask an admin of this site for a reset link.",
    forgot_link: "Forgot your password?",
    forgot_heading: "Forgotten password",
    forgot_intro: "Give your user name: if the account has an e-mail address, a link to choose a new password is sent there. It works once, for an hour.",
    forgot_button: "Send the link",
    forgot_sent: "If that account exists and has an e-mail address, a link is on its way. It works once, for an hour.",
    reset_mail_subject: "Your password reset link",
    reset_mail_body: "Hello {name},\n\nsomeone (we hope you) asked to reset your password at {site}.\nChoose a new one here (the link works once, for an hour):\n\n{link}\n\nIf it was not you, ignore this mail: your password stays as it is.",
    code_label: "Code from your authenticator app",
    code_help: "Only if you turned on two-step sign-in.",
    code_needed: "This account uses two-step sign-in: enter the code from your authenticator app.",
    code_wrong: "That code is not right. Codes change every 30 seconds; check your device's clock and try the current one.",
    code_used: "That code has been used to sign in already. Wait for the next one and enter it.",
    wrong_login: "Wrong user name or password.",
    login_wait: "Too many failed sign-ins. Wait {seconds} seconds and try again.",
    password_was_reset: "Your password was changed. Sign in with the new one.",
    account_deleted: "Your account and personal data were deleted.",
    account_heading: "Your account",
    signed_in_as: "Signed in as {name} ({role}).",
    follows_heading: "What you follow",
    follows_none: "Nothing yet. Follow topics, outlets and names from their pages.",
    follow: "Follow",
    following: "Following",
    unfollow: "Unfollow",
    password_heading: "Password",
    current_password_label: "Current password",
    new_password_label: "New password",
    change_password_button: "Change password",
    wrong_password: "That is not your current password.",
    totp_heading: "Two-step sign-in",
    totp_is_on: "On: signing in asks for a code from your authenticator app.",
    totp_is_off: "Off. Turn it on to ask for a code from an authenticator app at every sign-in.",
    totp_setup_button: "Set up two-step sign-in",
    totp_setup_intro: "Add this key to your authenticator app (or open the otpauth link below with it), then enter the code it shows.",
    totp_enable_button: "Turn on",
    totp_disable_button: "Turn off two-step sign-in",
    totp_on: "Two-step sign-in is on.",
    totp_off: "Two-step sign-in is off.",
    tokens_heading: "API tokens",
    tokens_intro: "A token lets a program use the JSON API as you (its Authorization header says Bearer and the token). Revoke any you no longer use.",
    token_made: "Your new token, shown only this once:",
    token_label_col: "Label",
    token_created_col: "Made",
    token_used_col: "Last used",
    token_default_label: "API token",
    token_make_button: "Make a token",
    token_revoked: "The token was revoked.",
    no_token: "There is no token {id} on this account.",
    revoke: "Revoke",
    your_data_heading: "Your data",
    export_link: "Download everything this site keeps about you (JSON)",
    delete_account_intro: "Deleting your account removes your sign-ins, tokens, votes, follows and saved articles, and empties your comments (replies to them stay). This cannot be undone.",
    delete_account_button: "Delete my account",
    reset_heading: "Choose a new password",
    reset_button: "Set password",
    reset_invalid: "This password reset link is not valid: it may have been used already or have expired. Ask an admin for a new one.",
    comments_count: Plural::new("{n} comment", "{n} comments"),
    sort_label: "Sort:",
    sort_best: "best",
    sort_newest: "newest",
    thread_locked: "This thread is locked: no new comments, edits or votes.",
    lock_thread: "Lock thread",
    unlock_thread: "Unlock thread",
    comment_label: "Your comment",
    markdown_help: "Formatting: *italic*, **bold**, `code`, > quote, - list, [link](https://…). No HTML.",
    post_comment: "Post comment",
    sign_in_to_comment: "{link} to comment.",
    no_comments: "No comments yet.",
    comment_removed: "[deleted]",
    comment_withheld: "[not shown]",
    deleted_author: "[deleted account]",
    in_reply_to: "in reply to {name}",
    edited: "edited",
    points: Plural::new("{n} point", "{n} points"),
    comment_pending: "Held for a moderator: others do not see it yet.",
    comment_hidden: "Hidden by a moderator: others do not see it.",
    vote_up: "Upvote",
    vote_down: "Downvote",
    edit: "Edit",
    delete: "Delete",
    hide: "Hide",
    approve: "Approve",
    reply: "Reply",
    reply_label: "Your reply",
    post_reply: "Post reply",
    report: "Report",
    report_reason_label: "What is wrong with it? (optional)",
    send_report: "Send report",
    report_no_reason: "(no reason given)",
    report_thanks_heading: "Report sent",
    report_thanks: "Thank you: the moderators will look at it. The comment is on {page}.",
    comment_rate_limited: "You are commenting faster than this site allows. Wait a minute and try again.",
    not_yours: "This is not your comment.",
    no_comment: "There is no such comment (it may have been deleted).",
    own_vote: "You cannot vote on your own comment.",
    edit_window_closed: "Comments can be edited for {minutes} minutes after posting; this one can no longer be.",
    edit_comment_heading: "Edit comment",
    save_edit_button: "Save changes",
    moderation_heading: "Moderation",
    moderation_log_heading: "Moderation log",
    moderation_users_heading: "Accounts",
    reported_comments: Plural::new("{n} reported comment", "{n} reported comments"),
    held_comments: Plural::new("{n} comment held for review", "{n} comments held for review"),
    queue_empty: "Nothing here.",
    see_in_thread: "see in thread",
    dismiss_reports: "Dismiss reports",
    make_invite: "Make an invitation link",
    invite_made: "Invitation link (valid for 7 days, once):",
    log_empty: "No moderation actions yet.",
    log_when: "When",
    log_who: "Who",
    log_action: "Action",
    log_target: "On",
    log_reason: "Reason",
    role_col: "Role",
    joined_col: "Joined",
    ban: "Ban",
    unban: "Lift ban",
    ban_days_label: "Days (0: for good)",
    set_role: "Set role",
    role_names: ["reader", "moderator", "admin"],
    bad_role: "{role} is not a role (reader, moderator, admin).",
    make_reset_link: "Make a password reset link",
    reset_link_made: "Password reset link for {name} (valid for a day, once):",
    no_thread: "{kind}: not a kind of page with comments (articles, stories).",
    no_user: "There is no account {id}.",
    not_on_this_account: "You cannot do this to this account (your own, or another moderator's).",
    for_you_heading: "For you",
    for_you_empty: "Follow topics, outlets and names (from their pages) and their newest articles gather here.",
    for_you_from: "From what you follow:",
    for_you_nothing_yet: "No articles from what you follow yet.",
    saved_heading: "Saved articles",
    saved_empty: "Nothing saved yet: use the Save button on an article.",
    save_button: "Save",
    saved_button: "Saved",
};

/// Every catalogue, English first (the default).
pub static LANGUAGES: &[&Strings] = &[&EN];

/// The catalogue whose [`Strings::lang`] is `lang` (ASCII case ignored), if there is one.
pub fn for_language(lang: &str) -> Option<&'static Strings> {
    LANGUAGES.iter().copied().find(|s| s.lang.eq_ignore_ascii_case(lang.trim()))
}

/// The tags of every catalogue, for `[web] language`'s check.
pub fn language_tags() -> Vec<&'static str> {
    LANGUAGES.iter().map(|s| s.lang).collect()
}

/// A number of things, counted by [`Strings::count`].
pub trait Count: Copy + Display {
    /// Its size, for the plural rule.
    fn magnitude(self) -> u64;
}

impl Count for i32 {
    fn magnitude(self) -> u64 {
        u64::from(self.unsigned_abs())
    }
}

impl Count for i64 {
    fn magnitude(self) -> u64 {
        self.unsigned_abs()
    }
}

impl Count for usize {
    fn magnitude(self) -> u64 {
        self as u64
    }
}

impl Count for u64 {
    fn magnitude(self) -> u64 {
        self
    }
}

impl<T: Count> Count for &T {
    fn magnitude(self) -> u64 {
        (*self).magnitude()
    }
}

impl std::fmt::Debug for Strings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Strings").field("lang", &self.lang).finish_non_exhaustive()
    }
}

/// `pattern` with each `{name}` replaced by its value in `args`; a placeholder without a value stays as it is.
pub fn fill(pattern: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        out.push_str(&rest[..open]);
        let name = &after[..close];
        match args.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => {
                let _ = write!(out, "{value}");
            }
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The names of the placeholders of `pattern`, in order.
pub fn placeholders(pattern: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        names.push(&after[..close]);
        rest = &after[close + 1..];
    }
    names
}

impl Strings {
    /// `pattern` (one of this catalogue's) with its placeholders filled from `args`.
    pub fn fill(&self, pattern: &str, args: &[(&str, &dyn Display)]) -> String {
        fill(pattern, args)
    }

    /// `pattern` with its one placeholder, whatever its name, replaced by `value`. For templates.
    pub fn with(&self, pattern: &str, value: impl Display) -> String {
        match placeholders(pattern).first() {
            Some(name) => fill(pattern, &[(name, &value)]),
            None => pattern.to_owned(),
        }
    }

    /// The text of `pattern` before its placeholder, for templates that wrap the placeholder in markup.
    pub fn before<'a>(&self, pattern: &'a str) -> &'a str {
        pattern.split_once('{').map_or(pattern, |(before, _)| before)
    }

    /// The text of `pattern` after its (first) placeholder.
    pub fn after<'a>(&self, pattern: &'a str) -> &'a str {
        pattern.split_once('{').and_then(|(_, rest)| rest.split_once('}')).map_or("", |(_, after)| after)
    }

    /// The form of `plural` for `n`, with `{n}` filled.
    pub fn count(&self, plural: &Plural, n: impl Count) -> String {
        self.count_with(plural, n, &[])
    }

    /// The form of `plural` for `n`, with `{n}` and the placeholders of `args` filled.
    pub fn count_with(&self, plural: &Plural, n: impl Count, args: &[(&str, &dyn Display)]) -> String {
        let pattern = plural.form((self.plural_rule)(n.magnitude()));
        let mut all: Vec<(&str, &dyn Display)> = vec![("n", &n)];
        all.extend_from_slice(args);
        fill(pattern, &all)
    }

    /// `text` in this language's quotation marks.
    pub fn quote(&self, text: &str) -> String {
        fill(self.quoted, &[("text", &text)])
    }

    /// `items` joined with the list separator.
    pub fn list<S: AsRef<str>>(&self, items: &[S]) -> String {
        items.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(self.list_separator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_filled_by_name() {
        assert_eq!(fill("Added {name} ({url}).", &[("url", &"u"), ("name", &"N")]), "Added N (u).");
        assert_eq!(fill("{missing} stays", &[]), "{missing} stays");
        assert_eq!(fill("an { unclosed", &[]), "an { unclosed");
        assert_eq!(EN.with(EN.read_at, "Gazette <b>"), "Read at Gazette <b>");
        assert_eq!((EN.before(EN.updated), EN.after(EN.updated)), ("updated ", ""));
        assert_eq!((EN.before(EN.part_of), EN.after(EN.remove_question)), ("Part of ", "?"));
    }

    #[test]
    fn counts_take_their_plural_form() {
        assert_eq!(EN.count(&EN.outlets, 1), "1 outlet");
        assert_eq!(EN.count(&EN.outlets, 5), "5 outlets");
        assert_eq!(EN.count(&EN.results_count, 2), "2 articles match");
        assert_eq!(
            EN.count_with(&EN.imported, 2, &[("what", &"subs.opml"), ("already", &1)]),
            "Imported 2 sources from subs.opml (1 already followed)."
        );
        let polish_like = Plural { few: "{n} few", ..Plural::new("{n} one", "{n} other") };
        assert_eq!(polish_like.form(PluralCategory::Few), "{n} few");
        assert_eq!(polish_like.form(PluralCategory::Many), "{n} other", "an empty form falls back to other");
    }

    #[test]
    fn languages_are_found_by_tag() {
        assert_eq!(for_language("en").map(|s| s.lang), Some("en"));
        assert_eq!(for_language(" EN ").map(|s| s.lang), Some("en"));
        assert!(for_language("xx").is_none());
        assert_eq!(language_tags(), ["en"]);
    }

    /// A translation has every entry of English and keeps the placeholders of each (in any order), or a value
    /// would be lost or a `{name}` shown to readers; markup stays in `_html` entries, which take no placeholders.
    #[test]
    fn every_language_has_the_entries_and_placeholders_of_english() {
        /// The field an entry belongs to: `outlets` for `outlets.few`, `months` for `months[3]`.
        fn field(name: &str) -> &str {
            name.split(['.', '[']).next().unwrap_or(name)
        }
        fn names(text: &str) -> Vec<&str> {
            let mut names = placeholders(text);
            names.sort_unstable();
            names.dedup();
            names
        }
        let english = EN.texts();
        let fields = |texts: &[(String, &str)]| {
            let mut fields: Vec<String> = texts.iter().map(|(name, _)| field(name).to_owned()).collect();
            fields.dedup();
            fields
        };
        for strings in LANGUAGES {
            let texts = strings.texts();
            assert_eq!(fields(&texts), fields(&english), "{}: every entry, in order", strings.lang);
            for (name, text) in &texts {
                assert!(!text.trim().is_empty() || name == "list_separator", "{}.{name} is empty", strings.lang);
                let mut expected: Vec<&str> =
                    english.iter().filter(|(n, _)| field(n) == field(name)).flat_map(|(_, t)| names(t)).collect();
                expected.sort_unstable();
                expected.dedup();
                if name.starts_with("search_help[") {
                    expected.clear();
                }
                assert_eq!(names(text), expected, "{}.{name}: {text:?}", strings.lang);
                if name.ends_with("_html") {
                    assert!(names(text).is_empty(), "{}.{name}: markup entries take no placeholders", strings.lang);
                } else {
                    assert!(!text.contains('<'), "{}.{name}: markup only in `_html` entries: {text:?}", strings.lang);
                }
            }
        }
    }
}
