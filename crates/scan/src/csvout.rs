//! `accounts.csv` rows written straight into a buffer.
//!
//! The csv crate's writer runs a state machine per field; at tens of thousands of accounts
//! that made `accounts.csv` the last report a scan waited for. [`write_account`] writes
//! the same bytes: fields quoted only where they hold a comma, a quote, CR or LF (quotes
//! doubled), numbers in Rust's `Display` form, `\n` after each row. A property test keeps
//! it equal to the csv crate for arbitrary rows.

use crate::accounts::AccountReport;

/// The header row's fields.
pub(crate) const ACCOUNT_COLUMNS: [&str; 17] = [
    "rank_risk",
    "rank_reach",
    "platform",
    "id",
    "handle",
    "display_name",
    "risk",
    "flagged",
    "priority",
    "posts",
    "flagged_posts",
    "max_score",
    "mean_score",
    "profile_score",
    "reach",
    "top_posts",
    "why",
];

/// The header row, with its line end.
pub(crate) fn write_header(out: &mut Vec<u8>) {
    for (i, c) in ACCOUNT_COLUMNS.iter().enumerate() {
        field(out, i == 0, c.as_bytes());
    }
    out.push(b'\n');
}

/// One account's row, with its line end.
pub(crate) fn write_account(out: &mut Vec<u8>, r: &AccountReport) {
    number(out, true, r.rank_risk);
    number(out, false, r.rank_reach);
    field(out, false, r.platform.as_bytes());
    field(out, false, r.id.as_bytes());
    field(
        out,
        false,
        r.handle.as_deref().unwrap_or_default().as_bytes(),
    );
    field(
        out,
        false,
        r.display_name.as_deref().unwrap_or_default().as_bytes(),
    );
    number(out, false, r.risk);
    number(out, false, r.flagged);
    number(out, false, r.priority);
    number(out, false, r.posts);
    number(out, false, r.flagged_posts);
    number(out, false, r.max_score);
    number(out, false, r.mean_score);
    match r.profile_score {
        Some(p) => number(out, false, p),
        None => out.push(b','),
    }
    match r.reach {
        Some(p) => number(out, false, p),
        None => out.push(b','),
    }
    // The top posts' ids, space-separated, as one field.
    out.push(b',');
    let quote = r.top_posts.iter().any(|p| needs_quotes(p.as_bytes()));
    if quote {
        out.push(b'"');
    }
    for (i, p) in r.top_posts.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        if quote {
            quoted_body(out, p.as_bytes());
        } else {
            out.extend_from_slice(p.as_bytes());
        }
    }
    if quote {
        out.push(b'"');
    }
    field(out, false, r.why.as_bytes());
    out.push(b'\n');
}

#[inline]
fn needs_quotes(s: &[u8]) -> bool {
    s.iter().any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
}

/// The bytes of a quoted field between its quotes: quotes doubled.
fn quoted_body(out: &mut Vec<u8>, s: &[u8]) {
    for part in s.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(part);
        if part.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
}

fn field(out: &mut Vec<u8>, first: bool, s: &[u8]) {
    if !first {
        out.push(b',');
    }
    if needs_quotes(s) {
        out.push(b'"');
        quoted_body(out, s);
        out.push(b'"');
    } else {
        out.extend_from_slice(s);
    }
}

/// A field in its `Display` form (numbers and `true`/`false` never need quotes).
fn number(out: &mut Vec<u8>, first: bool, x: impl std::fmt::Display) {
    use std::io::Write as _;
    if !first {
        out.push(b',');
    }
    write!(out, "{x}").expect("writing to a Vec cannot fail");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonout::tests::account;
    use proptest::prelude::*;

    /// What the csv crate writes for the same row (the writer this module replaced).
    fn reference(rows: &[AccountReport]) -> Vec<u8> {
        let mut c = csv::Writer::from_writer(Vec::new());
        c.write_record(ACCOUNT_COLUMNS).unwrap();
        for r in rows {
            let mut rec: Vec<String> = vec![
                r.rank_risk.to_string(),
                r.rank_reach.to_string(),
                r.platform.clone(),
                r.id.clone(),
                r.handle.clone().unwrap_or_default(),
                r.display_name.clone().unwrap_or_default(),
                r.risk.to_string(),
                r.flagged.to_string(),
                r.priority.to_string(),
                r.posts.to_string(),
                r.flagged_posts.to_string(),
                r.max_score.to_string(),
                r.mean_score.to_string(),
            ];
            rec.push(r.profile_score.map(|p| p.to_string()).unwrap_or_default());
            rec.push(r.reach.map(|p| p.to_string()).unwrap_or_default());
            rec.push(r.top_posts.join(" "));
            rec.push(r.why.clone());
            c.write_record(&rec).unwrap();
        }
        c.into_inner().unwrap()
    }

    proptest! {
        #[test]
        fn rows_equal_the_csv_crate(rows in proptest::collection::vec(account(), 0..4)) {
            let mut fast = Vec::new();
            write_header(&mut fast);
            for r in &rows {
                write_account(&mut fast, r);
            }
            let want = reference(&rows);
            prop_assert_eq!(String::from_utf8_lossy(&fast), String::from_utf8_lossy(&want));
        }
    }

    #[test]
    fn a_field_with_quotes_and_commas_reads_back_whole() {
        let row = AccountReport {
            platform: "x".into(),
            id: "a,\"b\"".into(),
            handle: None,
            display_name: Some("line\nbreak".into()),
            risk: 0.5,
            flagged: true,
            priority: 1.0,
            rank_risk: 1,
            rank_reach: 1,
            posts: 2,
            flagged_posts: 1,
            max_score: 0.9,
            mean_score: 0.5,
            profile_score: None,
            reach: Some(10),
            top_posts: vec!["p\"1".into(), "p2".into()],
            why: "1 of 2 posts flagged".into(),
            links: Vec::new(),
            network: None,
        };
        let mut out = Vec::new();
        write_header(&mut out);
        write_account(&mut out, &row);
        let mut rd = csv::Reader::from_reader(&out[..]);
        let rec = rd.records().next().unwrap().unwrap();
        assert_eq!(&rec[3], "a,\"b\"");
        assert_eq!(&rec[5], "line\nbreak");
        assert_eq!(&rec[15], "p\"1 p2");
        assert_eq!(rec.len(), ACCOUNT_COLUMNS.len());
    }
}
