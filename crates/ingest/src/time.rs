//! Timestamps in the shapes platforms write them, to Unix seconds UTC.

use chrono::{DateTime, NaiveDateTime};

/// Parse a timestamp: RFC 3339 (`2015-07-07T06:02:00Z`, with offset or fraction),
/// `2015-07-07 06:02:00` (taken as UTC), Twitter v1 (`Wed Oct 10 20:19:24 +0000 2018`),
/// a bare date, or Unix seconds or milliseconds as digits. `None` when it is none of these.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) && s.len() <= 13 {
        let n: i64 = s.parse().ok()?;
        // 13 digits is milliseconds (from 2001 on); fewer is seconds.
        return Some(if s.len() == 13 { n / 1000 } else { n });
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %H:%M",
        "%m/%d/%Y %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc().timestamp());
        }
    }
    for f in [
        "%a %b %d %H:%M:%S %z %Y",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M:%S%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(t.timestamp());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::parse_time;

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
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        for s in ["", "yesterday", "2015-13-40", "99999999999999999999"] {
            assert_eq!(parse_time(s), None, "{s}");
        }
    }
}
