//! Date parsing for the formats feeds really use, always into UTC.
//!
//! Tried in order: W3C-DTF / ISO 8601 (`2003-12-31T10:14:55Z`, also with a space and no zone),
//! RFC 822 / RFC 2822 (two-digit years, wrong or missing day names, swapped day and month, named
//! zones such as `EST`, `GMT+2`), compact ISO 8601 (`20031231T101455Z`), asctime
//! (`Sun Jan  4 16:29:06 2004`) and Perforce (`2004/01/04 16:29:06 PST`).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};

fn zone_hours(name: &str) -> Option<i64> {
    Some(match name {
        "ut" | "utc" | "gmt" | "z" => 0,
        "adt" => -3,
        "ast" | "at" | "edt" => -4,
        "est" | "et" | "cdt" => -5,
        "cst" | "ct" | "mdt" => -6,
        "mst" | "mt" | "pdt" => -7,
        "pst" | "pt" => -8,
        "a" => -1,
        "n" => 1,
        "m" => -12,
        "y" => 12,
        "met" | "cet" => 1,
        "mest" | "cest" | "eet" => 2,
        "eest" => 3,
        "bst" => 1,
        "ist" => 5,
        "jst" | "kst" => 9,
        "hst" => -10,
        "akst" => -9,
        "akdt" => -8,
        "aest" => 10,
        "aedt" => 11,
        _ => return None,
    })
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn month_number(s: &str) -> Option<u32> {
    let p = s.get(..3)?;
    MONTHS.iter().position(|m| *m == p).map(|i| i as u32 + 1)
}

/// Python's `int()` on a short field: optional sign, digits, surrounding spaces.
fn int(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 9 {
        return None;
    }
    s.parse::<i64>().ok()
}

fn build(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, offset_minutes: i64) -> Option<DateTime<Utc>> {
    if !(1..=9999).contains(&y) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(y as i32, u32::try_from(mo).ok()?, u32::try_from(d).ok()?)?;
    let s = if s == 60 { 59 } else { s };
    let t = date.and_hms_opt(u32::try_from(h).ok()?, u32::try_from(mi).ok()?, u32::try_from(s).ok()?)?;
    let utc = t.checked_sub_signed(Duration::minutes(offset_minutes))?;
    Some(Utc.from_utc_datetime(&utc))
}

/// W3C-DTF and the MSSQL-style variant with a space instead of `T`.
fn w3dtf(input: &str) -> Option<DateTime<Utc>> {
    let lower = input.trim().to_ascii_lowercase();
    if lower.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = lower.split('t').map(str::to_string).collect();
    if parts.len() == 1 {
        parts = parts[0].split_whitespace().map(str::to_string).collect();
        if parts.len() == 1 {
            parts.push("00:00:00z".into());
        }
    } else if parts.len() > 2 {
        return None;
    }
    if parts.len() < 2 {
        return None;
    }
    let mut date: Vec<&str> = parts[0].splitn(3, '-').collect();
    if date.is_empty() || date[0].len() != 4 {
        return None;
    }
    while date.len() < 3 {
        date.push("1");
    }
    let (y, mo, d) = (int(date[0])?, int(date[1])?, int(date[2])?);
    if parts[1].ends_with('z') {
        parts[1].pop();
        parts.push("z".into());
    }
    let p1 = parts[1].clone();
    let loc = p1.find('-').or_else(|| p1.find('+')).unwrap_or(p1.len());
    let zone = p1[loc..].to_string();
    let time_part = &p1[..loc];
    let zone = if parts.len() > 2 { parts[2].clone() } else { zone };
    let mut time: Vec<&str> = time_part.splitn(3, ':').collect();
    while time.len() < 3 {
        time.push("0");
    }
    let offset = if zone.starts_with(['-', '+']) {
        let h = int(zone.get(1..3)?)?;
        // Minutes follow the hours with or without a colon (`+05:30`, `+0530`); feedparser skips one
        // character either way and so reads `+0530` as five hours flat.
        let rest = zone.get(3..)?;
        let rest = rest.strip_prefix(':').unwrap_or(rest);
        let m = if rest.is_empty() { 0 } else { int(rest)? };
        let v = h * 60 + m;
        if zone.starts_with('-') { -v } else { v }
    } else {
        zone_hours(zone.trim()).unwrap_or(0) * 60
    };
    let f = |s: &str| -> Option<i64> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        s.parse::<f64>().ok().filter(|v| v.is_finite() && v.abs() < 1e9).map(|v| v.trunc() as i64)
    };
    let (h, mi, s) = (f(time[0])?, f(time[1])?, f(time[2])?);
    build(y, mo, d, h, mi, s, offset)
}

fn rfc822(input: &str) -> Option<DateTime<Utc>> {
    let lower = input.to_ascii_lowercase();
    let mut parts: Vec<String> = lower.split_whitespace().map(str::to_string).collect();
    if parts.is_empty() {
        return None;
    }
    if parts.len() < 5 {
        parts.push("00:00:00".into());
        parts.push("0000".into());
    }
    if parts[0].get(..3).is_some_and(|p| DAYS.contains(&p)) {
        if parts[0].contains(',') && !parts[0].ends_with(',') {
            let after = parts[0].rsplit(',').next().unwrap_or("").to_string();
            parts.insert(1, after);
        }
        parts.remove(0);
    }
    if parts.len() < 5 {
        return None;
    }
    let mut month = month_number(&parts[1]);
    let day = match int(&parts[0]) {
        Some(d) => d,
        None => {
            let m = month_number(&parts[0])?;
            let d = int(&parts[1])?;
            month = Some(m);
            d
        }
    };
    let month = month?;
    let mut year = int(&parts[2])?;
    if parts[2].trim().len() <= 2 {
        year += if year < 90 { 2000 } else { 1900 };
    }
    let mut tp: Vec<&str> = parts[3].split(':').collect();
    while tp.len() < 3 {
        tp.push("0");
    }
    if tp.len() > 3 {
        return None;
    }
    let (h, mi, s) = (int(tp[0])?, int(tp[1])?, int(tp[2])?);
    let mut tz = parts[4].clone();
    if let Some(t) = tz.strip_prefix("etc/") {
        tz = t.to_string();
    }
    if let Some(t) = tz.strip_prefix("gmt") {
        let t: String = t.split(':').collect();
        tz = if t.is_empty() { "gmt".into() } else { t };
    }
    let offset = if tz.starts_with(['-', '+']) {
        let (hh, mm) = if tz.contains(':') {
            (int(tz.get(1..3)?)?, int(tz.get(4..)?)?)
        } else {
            (int(tz.get(1..3)?)?, if tz.len() > 3 { int(tz.get(3..)?)? } else { 0 })
        };
        let v = hh * 60 + mm;
        if tz.starts_with('-') { -v } else { v }
    } else {
        zone_hours(&tz).unwrap_or(0) * 60
    };
    build(year, i64::from(month), day, h, mi, s, offset)
}

/// `20031231T101455Z`, `2003-12-31T10:14Z`, `2003-335` and friends that W3C-DTF rejects.
fn iso8601_compact(input: &str) -> Option<DateTime<Utc>> {
    let s = input.trim();
    let (date, rest) = match s.find(['T', 't']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    let digits: String = date.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 8 || !date.chars().all(|c| c.is_ascii_digit() || c == '-') {
        return None;
    }
    let (y, mo, d) = (int(&digits[..4])?, int(&digits[4..6])?, int(&digits[6..8])?);
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let time: String = rest[..zone_at].chars().filter(char::is_ascii_digit).collect();
    let (h, mi, sec) = match time.len() {
        0 => (0, 0, 0),
        2 => (int(&time)?, 0, 0),
        4 => (int(&time[..2])?, int(&time[2..])?, 0),
        l if l >= 6 => (int(&time[..2])?, int(&time[2..4])?, int(&time[4..6])?),
        _ => return None,
    };
    let zone = &rest[zone_at..];
    let offset = if zone.starts_with(['+', '-']) {
        let z: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
        let v = match z.len() {
            2 => int(&z)? * 60,
            4 => int(&z[..2])? * 60 + int(&z[2..])?,
            _ => return None,
        };
        if zone.starts_with('-') { -v } else { v }
    } else {
        0
    };
    build(y, mo, d, h, mi, sec, offset)
}

/// `Sun Jan  4 16:29:06 PST 2004` / `Sun Jan 4 16:29:06 2004`.
fn asctime(input: &str) -> Option<DateTime<Utc>> {
    let lower = input.to_ascii_lowercase();
    let p: Vec<&str> = lower.split_whitespace().collect();
    if p.len() < 5 || !DAYS.contains(&p.first()?.get(..3)?) {
        return None;
    }
    let month = month_number(p[1])?;
    let day = int(p[2])?;
    let t: Vec<&str> = p[3].split(':').collect();
    if t.len() != 3 {
        return None;
    }
    let (zone, year) = if p.len() >= 6 { (p[4], p[5]) } else { ("gmt", p[4]) };
    let offset = zone_hours(zone).unwrap_or(0) * 60;
    build(int(year)?, i64::from(month), day, int(t[0])?, int(t[1])?, int(t[2])?, offset)
}

/// Perforce: `Fri, 2006/09/15 08:19:53 EDT`.
fn perforce(input: &str) -> Option<DateTime<Utc>> {
    let lower = input.to_ascii_lowercase();
    let mut p: Vec<&str> = lower.split_whitespace().collect();
    if p.first().is_some_and(|d| d.trim_end_matches(',').len() == 3 && DAYS.contains(&d.trim_end_matches(','))) {
        p.remove(0);
    }
    if p.len() != 3 {
        return None;
    }
    let d: Vec<&str> = p[0].split('/').collect();
    let t: Vec<&str> = p[1].split(':').collect();
    if d.len() != 3 || t.len() != 3 {
        return None;
    }
    let offset = zone_hours(p[2])? * 60;
    build(int(d[0])?, int(d[1])?, int(d[2])?, int(t[0])?, int(t[1])?, int(t[2])?, offset)
}

/// Parses a date as found in a feed, or None when no known format matches.
pub fn parse_date(input: &str) -> Option<DateTime<Utc>> {
    let s = input.trim();
    if s.is_empty() || s.len() > 200 {
        return None;
    }
    if let Some(d) = fast(s.as_bytes()) {
        return Some(d);
    }
    w3dtf(s).or_else(|| rfc822(s)).or_else(|| iso8601_compact(s)).or_else(|| asctime(s)).or_else(|| perforce(s))
}

fn digits(b: &[u8]) -> Option<i64> {
    let mut v = 0i64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

/// The two shapes nearly every feed uses, without allocating: `2003-12-31T10:14:55Z` /
/// `…+01:00` and `Wed, 31 Dec 2003 10:14:55 +0000` / `… GMT`. Gives exactly what the general
/// parsers give for them; anything else (including invalid values) is left to those.
fn fast(b: &[u8]) -> Option<DateTime<Utc>> {
    let d = |r: std::ops::Range<usize>| b.get(r).and_then(digits);
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if (b.len() == 20 || b.len() == 25) && at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':') {
        let offset = if b.len() == 20 {
            if !at(19, b'Z') {
                return None;
            }
            0
        } else {
            let sign = match b[19] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if !at(22, b':') {
                return None;
            }
            sign * (d(20..22)? * 60 + d(23..25)?)
        };
        return build(d(0..4)?, d(5..7)?, d(8..10)?, d(11..13)?, d(14..16)?, d(17..19)?, offset);
    }
    if (b.len() == 31 || b.len() == 29)
        && at(3, b',')
        && at(4, b' ')
        && at(7, b' ')
        && at(11, b' ')
        && at(16, b' ')
        && at(19, b':')
        && at(22, b':')
        && at(25, b' ')
    {
        let lower3 = |i: usize| -> Option<[u8; 3]> {
            let s = b.get(i..i + 3)?;
            Some([s[0].to_ascii_lowercase(), s[1].to_ascii_lowercase(), s[2].to_ascii_lowercase()])
        };
        let day_name = lower3(0)?;
        if !DAYS.iter().any(|n| n.as_bytes() == day_name) {
            return None;
        }
        let mon = lower3(8)?;
        let month = MONTHS.iter().position(|m| m.as_bytes() == mon)? as i64 + 1;
        let offset = if b.len() == 31 {
            let sign = match b[26] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            sign * (d(27..29)? * 60 + d(29..31)?)
        } else {
            let z = lower3(26)?;
            if &z != b"gmt" && &z != b"utc" {
                return None;
            }
            0
        };
        return build(d(12..16)?, month, d(5..7)?, d(17..19)?, d(20..22)?, d(23..25)?, offset);
    }
    None
}

/// Python's `time.struct_time` for a UTC instant, as feedparser's `*_parsed` fields hold it.
pub(crate) fn time_tuple(d: &DateTime<Utc>) -> [i64; 9] {
    [
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
        i64::from(d.hour()),
        i64::from(d.minute()),
        i64::from(d.second()),
        i64::from(d.weekday().num_days_from_monday()),
        i64::from(d.ordinal()),
        0,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> String {
        parse_date(s).map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
    }

    #[test]
    fn fast_path_matches_general_parsers() {
        let samples = [
            "2003-12-31T10:14:55Z",
            "2003-12-31T10:14:55+01:30",
            "2003-12-31T10:14:55-08:00",
            "2024-02-29T23:59:60Z",
            "2023-02-29T10:00:00Z",
            "0000-01-01T00:00:00Z",
            "2003-13-31T10:14:55Z",
            "Wed, 31 Dec 2003 10:14:55 +0000",
            "wed, 31 dec 2003 23:14:55 -0530",
            "Sat, 01 Feb 2025 12:34:56 GMT",
            "Sat, 01 Oct 2025 12:34:56 UTC",
            "Thu, 01 Jan 2004 19:48:21 +0100",
            "Xyz, 01 Jan 2004 19:48:21 +0100",
            "Thu, 32 Jan 2004 19:48:21 +0100",
            "Thu, 01 Foo 2004 19:48:21 +0100",
            "Thu, 01 Jan 2004 25:48:21 +0100",
        ];
        for s in samples {
            let general = w3dtf(s)
                .or_else(|| rfc822(s))
                .or_else(|| iso8601_compact(s))
                .or_else(|| asctime(s))
                .or_else(|| perforce(s));
            assert_eq!(parse_date(s), general, "{s}");
            if let Some(f) = fast(s.as_bytes()) {
                assert_eq!(Some(f), general, "{s}");
            }
        }
    }

    #[test]
    fn rfc822_variants() {
        assert_eq!(iso("Thu, 01 Jan 2004 19:48:21 GMT"), "2004-01-01T19:48:21Z");
        assert_eq!(iso("Thu, 01 Jan 04 19:48:21 -0500"), "2004-01-02T00:48:21Z");
        assert_eq!(iso("Mon, 01 Jan 2004 19:48:21 EST"), "2004-01-02T00:48:21Z", "wrong day name is ignored");
        assert_eq!(iso("01 Jan 2004"), "2004-01-01T00:00:00Z");
        assert_eq!(iso("Fri,24 Nov 2023 18:28:36 -0000"), "2023-11-24T18:28:36Z");
        assert_eq!(iso("Sun, Jan 04 2004 12:00:00 GMT+02:00"), "2004-01-04T10:00:00Z");
        assert_eq!(iso("Thu, 01 Jan 99 00:00 PST"), "1999-01-01T08:00:00Z");
    }

    #[test]
    fn iso_variants() {
        assert_eq!(iso("2003-12-31T10:14:55Z"), "2003-12-31T10:14:55Z");
        assert_eq!(iso("2003-12-31T10:14:55-08:00"), "2003-12-31T18:14:55Z");
        assert_eq!(iso("2003-12-31T10:14:55.123+01:00"), "2003-12-31T09:14:55Z");
        assert_eq!(iso("2003-12-31"), "2003-12-31T00:00:00Z");
        assert_eq!(iso("2003-12"), "2003-12-01T00:00:00Z");
        assert_eq!(iso("2003-12-31 10:14:55"), "2003-12-31T10:14:55Z");
        assert_eq!(iso("20031231T101455Z"), "2003-12-31T10:14:55Z");
    }

    /// Regression: W3C-DTF offsets without a colon lost their minutes (`+0530` was read as `+05:00`).
    #[test]
    fn regression_offsets_without_colon_keep_their_minutes() {
        assert_eq!(iso("2003-12-31T10:14:55+0530"), "2003-12-31T04:44:55Z");
        assert_eq!(iso("2003-12-31T10:14:55-0330"), "2003-12-31T13:44:55Z");
        assert_eq!(iso("2003-12-31T10:14:55+0545"), "2003-12-31T04:29:55Z");
        assert_eq!(iso("2003-12-31T10:14:55+05:45"), "2003-12-31T04:29:55Z");
        assert_eq!(iso("2003-12-31T10:14:55.5-0330"), "2003-12-31T13:44:55Z");
        assert_eq!(iso("2003-12-31T10:14:55-05"), "2003-12-31T15:14:55Z");
        assert_eq!(iso("2003-12-31T10:14:55+00:00"), "2003-12-31T10:14:55Z");
    }

    #[test]
    fn other_formats_and_garbage() {
        assert_eq!(iso("Sun Jan  4 16:29:06 2004"), "2004-01-04T16:29:06Z");
        assert_eq!(iso("Fri, 2006/09/15 08:19:53 EDT"), "2006-09-15T12:19:53Z");
        assert_eq!(iso("not a date"), "");
        assert_eq!(iso("2003-13-45"), "");
        assert_eq!(iso(""), "");
    }

    #[test]
    fn tuple_matches_python() {
        let d = parse_date("2004-01-01T19:48:21Z").unwrap_or_default();
        assert_eq!(time_tuple(&d), [2004, 1, 1, 19, 48, 21, 3, 1, 0]);
    }
}
