//! Times as readers want them: "26 minutes ago", computed when the page is rendered, with the absolute time
//! kept for the `<time>` element's `datetime` and `title`. The words and the order of a date's parts come from
//! the catalogue ([`Strings`]).

use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::strings::Strings;

/// "just now", "5 minutes ago", "3 hours ago", "2 days ago", or the date for anything older than a week.
/// Times in the future (clock skew at the source) read as "just now".
pub fn relative(t: &Strings, then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    match (now - then).num_seconds() {
        s if s < 60 => t.just_now.to_owned(),
        s if s < 3_600 => t.count(&t.minutes_ago, s / 60),
        s if s < 86_400 => t.count(&t.hours_ago, s / 3_600),
        s if s < 7 * 86_400 => t.count(&t.days_ago, s / 86_400),
        _ => format(t, t.date, then),
    }
}

/// "due now", "in 5 minutes", "in 3 hours": when something is next due.
pub fn until(t: &Strings, then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    match (then - now).num_seconds() {
        s if s < 60 => t.due_now.to_owned(),
        s if s < 3_600 => t.count(&t.in_minutes, s / 60),
        s if s < 86_400 => t.count(&t.in_hours, s / 3_600),
        s => t.count(&t.in_days, s / 86_400),
    }
}

/// "every 30 minutes", "every 2 hours": a poll interval for people.
pub fn interval(t: &Strings, secs: i64) -> String {
    match secs {
        s if s < 120 => t.count(&t.every_seconds, s),
        s if s < 2 * 3600 => t.count(&t.every_minutes, s / 60),
        s if s < 2 * 86_400 => t.count(&t.every_hours, s / 3600),
        s => t.count(&t.every_days, s / 86_400),
    }
}

/// RFC 3339 for `datetime` attributes.
pub fn iso(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The absolute time shown on hover.
pub fn absolute(t: &Strings, time: DateTime<Utc>) -> String {
    format(t, t.date_time, time)
}

/// `time` (UTC) in one of the catalogue's date patterns: `{weekday}`, `{day}` (1–31), `{month}`, `{mon}` (short
/// month), `{year}`, `{hour}` (00–23) and `{minute}` (00–59).
pub fn format(t: &Strings, pattern: &str, time: DateTime<Utc>) -> String {
    let month = time.month0() as usize;
    let (hour, minute) = (format!("{:02}", time.hour()), format!("{:02}", time.minute()));
    crate::strings::fill(
        pattern,
        &[
            ("weekday", &t.weekdays[time.weekday().num_days_from_monday() as usize]),
            ("day", &time.day()),
            ("month", &t.months[month]),
            ("mon", &t.months_short[month]),
            ("year", &time.year()),
            ("hour", &hour),
            ("minute", &minute),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strings::EN;
    use chrono::Duration;

    #[test]
    fn relative_times() {
        let now = Utc::now();
        assert_eq!(relative(&EN, now - Duration::seconds(5), now), "just now");
        assert_eq!(relative(&EN, now + Duration::hours(2), now), "just now");
        assert_eq!(relative(&EN, now - Duration::minutes(26), now), "26 minutes ago");
        assert_eq!(relative(&EN, now - Duration::minutes(61), now), "1 hour ago");
        assert_eq!(relative(&EN, now - Duration::hours(49), now), "2 days ago");
        let old = "2026-01-05T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(relative(&EN, old, now), "5 Jan 2026");
    }

    #[test]
    fn absolute_times_match_the_old_english_format() {
        for raw in ["2026-01-05T10:07:00Z", "2026-11-29T23:59:59Z", "2027-06-20T00:00:00Z"] {
            let time = raw.parse::<DateTime<Utc>>().unwrap();
            assert_eq!(absolute(&EN, time), time.format("%A %-d %B %Y, %H:%M UTC").to_string());
            assert_eq!(format(&EN, EN.chart_axis_time, time), time.format("%-d %b %H:%M").to_string());
        }
    }

    #[test]
    fn next_polls_read_forward() {
        let now = Utc::now();
        assert_eq!(until(&EN, now - Duration::minutes(3), now), "due now");
        assert_eq!(until(&EN, now + Duration::seconds(90), now), "in 1 minute");
        assert_eq!(until(&EN, now + Duration::minutes(30), now), "in 30 minutes");
        assert_eq!(until(&EN, now + Duration::hours(5), now), "in 5 hours");
        assert_eq!(until(&EN, now + Duration::days(2), now), "in 2 days");
    }

    #[test]
    fn poll_intervals() {
        assert_eq!(interval(&EN, 30), "every 30 seconds");
        assert_eq!(interval(&EN, 1800), "every 30 minutes");
        assert_eq!(interval(&EN, 3 * 3600), "every 3 hours");
        assert_eq!(interval(&EN, 86_400), "every 24 hours");
        assert_eq!(interval(&EN, 3 * 86_400), "every 3 days");
    }
}
