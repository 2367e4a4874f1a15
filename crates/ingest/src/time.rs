//! Timestamps in the shapes platforms write them, to Unix seconds UTC.

use chrono::{DateTime, Datelike, NaiveDateTime};

/// Parse a timestamp: RFC 3339 (`2015-07-07T06:02:00Z`, with offset or fraction),
/// `2015-07-07 06:02:00` (taken as UTC), Twitter v1 (`Wed Oct 10 20:19:24 +0000 2018`),
/// a bare date, or Unix seconds or milliseconds as digits. `None` when it is none of these.
pub fn parse_time(s: &str) -> Option<i64> {
    parse_zoned(s).map(|(t, _)| t)
}

/// [`parse_time`], a time written without a zone taken as `offset` seconds east of UTC
/// (`--utc-offset`); one with a zone, or Unix time, as it says.
pub(crate) fn parse_time_in(s: &str, offset: i64) -> Option<i64> {
    parse_zoned(s).map(|(t, zoned)| if zoned { t } else { t - offset })
}

/// The time, and whether it said its zone.
fn parse_zoned(s: &str) -> Option<(i64, bool)> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) && s.len() <= 13 {
        let n: i64 = s.parse().ok()?;
        // 13 digits is milliseconds (from 2001 on); fewer is seconds.
        return Some((if s.len() == 13 { n / 1000 } else { n }, true));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some((t.timestamp(), true));
    }
    // A time that names its zone by name, UTC (`2023-01-15 12:34:56 UTC`, as Reddit's
    // data export writes it): the time before it, in UTC.
    if let Some(rest) = s.strip_suffix(" UTC").or_else(|| s.strip_suffix(" GMT")) {
        if let Some((t, false)) = parse_zoned(rest) {
            return Some((t, true));
        }
    }
    if let Some(t) = twitter_v1(s) {
        return Some((t, true));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %H:%M",
        "%m/%d/%Y %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some((t.and_utc().timestamp(), false));
        }
    }
    for f in [
        "%a %b %d %H:%M:%S %z %Y",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M:%S%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some((t.timestamp(), true));
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some((d.and_hms_opt(0, 0, 0)?.and_utc().timestamp(), false));
    }
    None
}

/// The time in a Telegram HTML export's date `title`: `27.04.2020 15:23:19 UTC+03:00`,
/// the exporting machine's local time and its offset (older exports leave the offset out;
/// the time is then taken as UTC).
#[cfg(test)]
pub(crate) fn telegram_html(s: &str) -> Option<i64> {
    telegram_html_zoned(s).map(|(t, _)| t)
}

/// [`telegram_html`]'s time, and whether the title gave its offset.
pub(crate) fn telegram_html_zoned(s: &str) -> Option<(i64, bool)> {
    let s = s.trim();
    let (local, offset) = match s.find(" UTC") {
        Some(k) => (&s[..k], Some(&s[k + 4..])),
        None => (s, None),
    };
    // `dd.mm.yyyy hh:mm:ss`, by position (a format string parsed for every message was a
    // tenth of reading them).
    let b = local.as_bytes();
    if b.len() != 19 || [b[2], b[5], b[10], b[13], b[16]] != *b".. ::" {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let d = &b[r];
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| d.iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0')))
    };
    let date = chrono::NaiveDate::from_ymd_opt(num(6..10)? as i32, num(3..5)?, num(0..2)?)?;
    let t = date
        .and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?
        .and_utc()
        .timestamp();
    let Some(off) = offset else {
        return Some((t, false));
    };
    let (sign, hm) = match off.as_bytes().first()? {
        b'+' => (1, &off[1..]),
        b'-' => (-1, &off[1..]),
        _ => return None,
    };
    let (h, m) = hm.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 || !hm.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return None;
    }
    Some((t - sign * (h * 3600 + m * 60), true))
}

/// Twitter v1's `Wed Oct 10 20:19:24 +0000 2018`, read by hand: a tweet archive has two a
/// line (the tweet's and its author's), and chrono's `parse_from_str`, which reads its
/// format string each call and was tried after five other formats, took 6% of a scan's
/// time. The same as chrono's `%a %b %d %H:%M:%S %z %Y` where it gives a time (the weekday
/// must be the date's); `None` sends anything else on to chrono.
fn twitter_v1(s: &str) -> Option<i64> {
    const DAYS: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let b: &[u8; 30] = s.as_bytes().try_into().ok()?;
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let spaces = [3, 7, 10, 19, 25];
    if spaces.iter().any(|&i| b[i] != b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let weekday = DAYS.iter().position(|d| d[..] == b[0..3])?;
    let month = MONTHS.iter().position(|m| m[..] == b[4..7])? as u32 + 1;
    let date = chrono::NaiveDate::from_ymd_opt(num(26..30)? as i32, month, num(8..10)?)?;
    let time = chrono::NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
    if date.weekday().num_days_from_monday() as usize != weekday {
        return None;
    }
    let sign = match b[20] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (oh, om) = (num(21..23)?, num(23..25)?);
    if om >= 60 || oh >= 24 {
        return None;
    }
    let offset = sign * i64::from(oh * 3600 + om * 60);
    Some(date.and_time(time).and_utc().timestamp() - offset)
}

#[cfg(test)]
mod tests {
    use super::{parse_time, parse_time_in};
    use proptest::prelude::*;

    /// An offset moves only the times written without a zone.
    #[test]
    fn an_offset_moves_times_without_a_zone_only() {
        for (s, moved) in [
            ("2026-11-01T09:05:00", true),
            ("2026-11-01 09:05", true),
            ("2026-11-01", true),
            ("2026-11-01T09:05:00Z", false),
            ("2026-11-01T09:05:00+03:00", false),
            ("Sun Nov 01 09:05:00 +0000 2026", false),
            ("1793523900", false),
            ("2026-11-01 09:05:00 UTC", false),
        ] {
            let t = parse_time(s).unwrap();
            let want = if moved { t - 10_800 } else { t };
            assert_eq!(parse_time_in(s, 10_800), Some(want), "{s}");
        }
        assert_eq!(parse_time_in("not a time", 10_800), None);
    }

    proptest! {
        /// The hand-read Twitter v1 dates are chrono's: any weekday, month, day, time,
        /// offset and year, valid or not (a wrong weekday, the 31st of a short month, a
        /// leap day, hour 24, minute 60), where chrono reads them.
        #[test]
        fn twitter_v1_dates_read_as_chrono_reads_them(
            wd in 0usize..8, mon in 0usize..13, day in 0u32..33, h in 0u32..26, m in 0u32..62, sec in 0u32..62,
            sign in prop_oneof![Just('+'), Just('-'), Just('x')], oh in 0u32..26, om in 0u32..62, year in 1960i32..2100,
        ) {
            let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Xyz"];
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Foo"];
            let s = format!("{} {} {day:02} {h:02}:{m:02}:{sec:02} {sign}{oh:02}{om:02} {year}", days[wd], months[mon]);
            let chrono = chrono::DateTime::parse_from_str(&s, "%a %b %d %H:%M:%S %z %Y").ok().map(|t| t.timestamp());
            let ours = super::twitter_v1(&s);
            if ours.is_some() {
                prop_assert_eq!(ours, chrono, "{}", s);
            }
            prop_assert_eq!(parse_time(&s), chrono, "{}", s);
        }
    }

    #[test]
    fn reads_the_shapes_platforms_use() {
        let want = Some(1436248920);
        assert_eq!(parse_time("2015-07-07T06:02:00Z"), want);
        assert_eq!(parse_time("2015-07-07T08:02:00+02:00"), want);
        assert_eq!(parse_time("2015-07-07 06:02:00"), want);
        assert_eq!(parse_time("2015-07-07T06:02:00.000Z"), want);
        assert_eq!(parse_time("Tue Jul 07 06:02:00 +0000 2015"), want);
        assert_eq!(parse_time("1436248920"), want);
        assert_eq!(parse_time("1436248920000"), want);
        assert_eq!(parse_time("7/7/2015 06:02"), want);
        assert_eq!(parse_time("2015-07-07"), Some(1436227200));
        // Reddit's data export.
        assert_eq!(parse_time("2015-07-07 06:02:00 UTC"), want);
        assert_eq!(parse_time("2015-07-07 06:02:00 GMT"), want);
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        for s in [
            "",
            "yesterday",
            "2015-13-40",
            "99999999999999999999",
            " UTC",
            "UTC",
            "2015-07-07T06:02:00Z UTC",
        ] {
            assert_eq!(parse_time(s), None, "{s}");
        }
    }
}
