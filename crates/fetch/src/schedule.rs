//! When to poll a source next: adaptive intervals from its publishing rhythm, backoff after errors, and
//! `Retry-After` parsing. Pure functions of their inputs (the clock is a parameter), so the poller and the
//! tests agree on the maths.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use tidings_core::config::PollConfig;

/// How many of the most recent publication times count: enough to smooth out one burst, recent enough that
/// a source that changed its rhythm is followed within a few polls.
const RECENT_ITEMS: usize = 21;

/// The longest `Retry-After` honoured. A server may ask for a pause, but a (broken or hostile) answer of
/// "come back in ten years" must not silently retire a source.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 60 * 60);

fn clamp(value: Duration, config: &PollConfig) -> Duration {
    // max-then-min rather than `Duration::clamp`, which panics if a hand-built config has min > max.
    value.max(Duration::from_secs(config.min_interval_secs)).min(Duration::from_secs(config.max_interval_secs))
}

/// The next polling interval from the recent publication times of a source's items: the median gap between
/// consecutive items (among the most recent ones), clamped to `[min_interval_secs, max_interval_secs]`;
/// `default_interval_secs` (clamped too) when there are fewer than two dates.
///
/// The median rather than the mean, so one long holiday or one burst of ten items in a minute does not
/// swing the interval. The dates may come in any order.
pub fn adaptive_interval(published: &[DateTime<Utc>], config: &PollConfig) -> Duration {
    let mut dates = published.to_vec();
    dates.sort_unstable();
    let recent = &dates[dates.len().saturating_sub(RECENT_ITEMS)..];
    let mut gaps: Vec<Duration> =
        recent.windows(2).map(|pair| (pair[1] - pair[0]).to_std().unwrap_or(Duration::ZERO)).collect();
    if gaps.is_empty() {
        return clamp(Duration::from_secs(config.default_interval_secs), config);
    }
    gaps.sort_unstable();
    let mid = gaps.len() / 2;
    let median = if gaps.len().is_multiple_of(2) { (gaps[mid - 1] + gaps[mid]) / 2 } else { gaps[mid] };
    clamp(median, config)
}

/// The delay before retrying a source after `consecutive_errors` failures in a row:
/// `error_backoff_secs * 2^(n-1)`, capped at `max_interval_secs`, and at least `retry_after` when the server
/// asked for a pause (itself capped at [`MAX_RETRY_AFTER`]). Zero errors is treated as one: the caller is
/// asking because something failed.
pub fn backoff(consecutive_errors: u32, retry_after: Option<Duration>, config: &PollConfig) -> Duration {
    let doublings = consecutive_errors.saturating_sub(1).min(63);
    let secs = config.error_backoff_secs.saturating_mul(1u64 << doublings).min(config.max_interval_secs);
    let exponential = Duration::from_secs(secs);
    match retry_after {
        Some(wait) => exponential.max(wait.min(MAX_RETRY_AFTER)),
        None => exponential,
    }
}

/// Parses a `Retry-After` header value: delay-seconds (`120`) or an HTTP-date (`Wed, 21 Oct 2015 07:28:00
/// GMT`, and the obsolete RFC 850 and asctime forms), relative to `now`. A date in the past means "now"
/// (zero); anything unparseable is `None`. The result is capped at [`MAX_RETRY_AFTER`].
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only, but possibly more than fit in u64: that is "a very long time", not garbage.
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let when = httpdate::parse_http_date(value).ok()?;
        when.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn config() -> PollConfig {
        PollConfig {
            min_interval_secs: 300,
            max_interval_secs: 86_400,
            default_interval_secs: 1_800,
            error_backoff_secs: 60,
            ..PollConfig::default()
        }
    }

    fn hours_apart(hours: &[i64]) -> Vec<DateTime<Utc>> {
        let start = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap();
        hours.iter().map(|h| start + chrono::Duration::hours(*h)).collect()
    }

    #[test]
    fn hourly_source_is_polled_more_often_than_weekly() {
        let hourly = adaptive_interval(&hours_apart(&[0, 1, 2, 3, 4, 5]), &config());
        let weekly = adaptive_interval(&hours_apart(&[0, 168, 336, 504]), &config());
        assert_eq!(hourly, Duration::from_secs(3_600));
        assert_eq!(weekly, Duration::from_secs(86_400), "clamped to max");
        assert!(hourly < weekly);
    }

    #[test]
    fn median_ignores_one_outlier_and_order() {
        // Gaps 1, 1, 1, 100 hours (shuffled input): the median is 1 hour.
        let dates = hours_apart(&[103, 0, 102, 2, 1]);
        assert_eq!(adaptive_interval(&dates, &config()), Duration::from_secs(3_600));
        // An even number of gaps averages the middle two: gaps 1 h and 3 h → 2 h.
        assert_eq!(adaptive_interval(&hours_apart(&[0, 1, 4]), &config()), Duration::from_secs(7_200));
    }

    #[test]
    fn bursts_are_clamped_to_min_and_few_dates_give_the_default() {
        let same = hours_apart(&[5, 5, 5, 5]);
        assert_eq!(adaptive_interval(&same, &config()), Duration::from_secs(300));
        assert_eq!(adaptive_interval(&hours_apart(&[1]), &config()), Duration::from_secs(1_800));
        assert_eq!(adaptive_interval(&[], &config()), Duration::from_secs(1_800));
        let odd = PollConfig { default_interval_secs: 10, ..config() };
        assert_eq!(adaptive_interval(&[], &odd), Duration::from_secs(300), "default is clamped too");
    }

    #[test]
    fn only_recent_items_count() {
        // 30 daily items, then 21 hourly ones: the source now publishes hourly.
        let mut hours: Vec<i64> = (0..30).map(|d| d * 24).collect();
        let last = 29 * 24;
        hours.extend((1..=21).map(|h| last + h));
        assert_eq!(adaptive_interval(&hours_apart(&hours), &config()), Duration::from_secs(3_600));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let c = config();
        assert_eq!(backoff(1, None, &c), Duration::from_secs(60));
        assert_eq!(backoff(2, None, &c), Duration::from_secs(120));
        assert_eq!(backoff(3, None, &c), Duration::from_secs(240));
        assert_eq!(backoff(0, None, &c), Duration::from_secs(60));
        assert_eq!(backoff(20, None, &c), Duration::from_secs(86_400));
        assert_eq!(backoff(u32::MAX, None, &c), Duration::from_secs(86_400));
    }

    #[test]
    fn backoff_honours_retry_after() {
        let c = config();
        assert_eq!(backoff(1, Some(Duration::from_secs(600)), &c), Duration::from_secs(600));
        assert_eq!(backoff(5, Some(Duration::from_secs(10)), &c), Duration::from_secs(960), "never shorter");
        // Longer than max_interval: the server's wish wins, up to a week.
        assert_eq!(backoff(1, Some(Duration::from_secs(200_000)), &c), Duration::from_secs(200_000));
        assert_eq!(backoff(1, Some(Duration::from_secs(u64::MAX)), &c), MAX_RETRY_AFTER);
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now), Some(Duration::from_secs(60)));
        assert_eq!(parse_retry_after("Wed Oct 21 07:28:30 2015", now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("Tue, 20 Oct 2015 07:28:00 GMT", now), Some(Duration::ZERO), "past");
        assert_eq!(parse_retry_after("99999999999999999999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("1.5", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }
}
