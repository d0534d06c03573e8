//! Times as readers want them: "26 minutes ago", computed when the page is rendered, with the absolute time
//! kept for the `<time>` element's `datetime` and `title`.

use chrono::{DateTime, Utc};

/// "just now", "5 minutes ago", "3 hours ago", "2 days ago", or the date for anything older than a week.
/// Times in the future (clock skew at the source) read as "just now".
pub fn relative(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - then).num_seconds();
    if seconds < 60 {
        return "just now".to_owned();
    }
    let plural = |n: i64, unit: &str| if n == 1 { format!("1 {unit} ago") } else { format!("{n} {unit}s ago") };
    match seconds {
        s if s < 3_600 => plural(s / 60, "minute"),
        s if s < 86_400 => plural(s / 3_600, "hour"),
        s if s < 7 * 86_400 => plural(s / 86_400, "day"),
        _ => then.format("%-d %b %Y").to_string(),
    }
}

/// RFC 3339 for `datetime` attributes.
pub fn iso(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The absolute time shown on hover.
pub fn absolute(time: DateTime<Utc>) -> String {
    time.format("%A %-d %B %Y, %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn relative_times() {
        let now = Utc::now();
        assert_eq!(relative(now - Duration::seconds(5), now), "just now");
        assert_eq!(relative(now + Duration::hours(2), now), "just now");
        assert_eq!(relative(now - Duration::minutes(26), now), "26 minutes ago");
        assert_eq!(relative(now - Duration::minutes(61), now), "1 hour ago");
        assert_eq!(relative(now - Duration::hours(49), now), "2 days ago");
        let old = "2026-01-05T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(relative(old, now), "5 Jan 2026");
    }
}
