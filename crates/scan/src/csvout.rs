//! `accounts.csv` rows written straight into a buffer.
//!
//! The csv crate's writer runs a state machine per field; at tens of thousands of accounts
//! that made `accounts.csv` the last report a scan waited for. [`write_account`] writes
//! the same bytes: fields quoted only where they hold a comma, a quote, CR or LF (quotes
//! doubled), numbers in Rust's `Display` form, `\n` after each row. A property test keeps
//! it equal to the csv crate for arbitrary rows.
//!
//! `accounts.csv` is what an analyst opens in a spreadsheet, and its names are the
//! accounts' own: a text field a spreadsheet would read as a formula (one that starts with
//! `=`, `+`, `-`, `@`, a tab or a carriage return, and is not a number: a display name of
//! `=HYPERLINK(...)`) is written after an apostrophe, which spreadsheets read as "text"
//! (OWASP's advice against CSV injection). `accounts.jsonl` holds every value as it was.

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
    int(out, true, r.rank_risk as u64);
    int(out, false, r.rank_reach as u64);
    text(out, r.platform.as_bytes());
    text(out, r.id.as_bytes());
    text(out, r.handle.as_deref().unwrap_or_default().as_bytes());
    text(
        out,
        r.display_name.as_deref().unwrap_or_default().as_bytes(),
    );
    float(out, r.risk);
    out.extend_from_slice(if r.flagged { b",true" } else { b",false" });
    float(out, r.priority);
    int(out, false, r.posts);
    int(out, false, r.flagged_posts);
    float(out, r.max_score);
    float(out, r.mean_score);
    match r.profile_score {
        Some(p) => float(out, p),
        None => out.push(b','),
    }
    match r.reach {
        Some(p) => int(out, false, p),
        None => out.push(b','),
    }
    // The top posts' ids, space-separated, as one field (after an apostrophe where the
    // first would make it a formula).
    out.push(b',');
    let quote = r.top_posts.iter().any(|p| needs_quotes(p.as_bytes()));
    if quote {
        out.push(b'"');
    }
    let guard = match r.top_posts.as_slice() {
        [] => false,
        [one] => formula_like(one.as_bytes()),
        // With a space in it, the field is never a number.
        [first, ..] => starts_like_formula(first.as_bytes()),
    };
    if guard {
        out.push(b'\'');
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
    text(out, r.why.as_bytes());
    out.push(b'\n');
}

/// Whether a spreadsheet would read a text field as a formula: it starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return, and is not a number (`-1001234567`, a Telegram
/// chat's id, is read as the number it is).
pub(crate) fn formula_like(s: &[u8]) -> bool {
    starts_like_formula(s) && !std::str::from_utf8(s).is_ok_and(|t| t.parse::<f64>().is_ok())
}

/// Whether `s` starts as a formula does (`=`, `+`, `-`, `@`, a tab or a carriage return).
fn starts_like_formula(s: &[u8]) -> bool {
    matches!(s.first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'))
}

/// A text field from the input: as [`field`], after an apostrophe where a spreadsheet
/// would read it as a formula.
fn text(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b',');
    field_body(out, formula_like(s), s);
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
    field_body(out, false, s);
}

/// A field's bytes: quoted where it needs quotes (quotes doubled), after an apostrophe
/// where `guard`.
fn field_body(out: &mut Vec<u8>, guard: bool, s: &[u8]) {
    let quote = needs_quotes(s);
    if quote {
        out.push(b'"');
    }
    if guard {
        out.push(b'\'');
    }
    if quote {
        quoted_body(out, s);
        out.push(b'"');
    } else {
        out.extend_from_slice(s);
    }
}

/// An integer field (never quoted).
fn int(out: &mut Vec<u8>, first: bool, x: u64) {
    if !first {
        out.push(b',');
    }
    out.extend_from_slice(itoa::Buffer::new().format(x).as_bytes());
}

/// A comma, then `x` exactly as `Display` writes it (`0.25`, `1`, `0.0001`, `-0`, `NaN`).
///
/// `Display` found the shortest digits with Grisu through `core::fmt`, and at tens of
/// thousands of rows of five numbers that was most of the CSV's time, the last report a
/// scan waited for. zmij finds the same shortest digits (both give the shortest string
/// that reads back as `x`, the nearest where several are as short) in a fraction of the
/// time, in its own layout (`1.0`, `1e-4`); they are laid out again here. The two part
/// only where `x` lies exactly halfway between two shortest strings (`5.97265625`: zmij
/// keeps the even digit, `Display` rounds up), which needs `x`'s exact decimal form to be
/// short; such a value (and every value that is not finite) is left to `Display`. A test
/// holds the two equal over millions of values, every kind of `f32` among them.
fn float(out: &mut Vec<u8>, x: f32) {
    out.push(b',');
    if !x.is_finite() || exact_digits_at_most(x, 10) {
        use std::io::Write as _;
        write!(out, "{x}").expect("writing to a Vec cannot fail");
        return;
    }
    let mut buf = zmij::Buffer::new();
    let s = buf.format_finite(x).as_bytes();
    let (neg, s) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let (mantissa, exp) = match s.iter().position(|&b| b == b'e') {
        Some(e) => {
            let digits = std::str::from_utf8(&s[e + 1..]).unwrap_or("0");
            (&s[..e], digits.parse::<i32>().unwrap_or(0))
        }
        None => (s, 0),
    };
    // The digits, and where the decimal point falls among them.
    let whole = mantissa
        .iter()
        .position(|&b| b == b'.')
        .unwrap_or(mantissa.len());
    let mut digits = [0u8; 48];
    let mut n = 0;
    for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
        if n < digits.len() {
            digits[n] = b;
            n += 1;
        }
    }
    let mut point = whole as i32 + exp;
    let lead = digits[..n].iter().take_while(|&&b| b == b'0').count();
    let d = &digits[lead..n];
    point -= lead as i32;
    let d = &d[..d.len() - d.iter().rev().take_while(|&&b| b == b'0').count()];
    if neg {
        out.push(b'-');
    }
    if d.is_empty() {
        out.push(b'0');
    } else if point <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', point.unsigned_abs() as usize));
        out.extend_from_slice(d);
    } else if point as usize >= d.len() {
        out.extend_from_slice(d);
        out.extend(std::iter::repeat_n(b'0', point as usize - d.len()));
    } else {
        out.extend_from_slice(&d[..point as usize]);
        out.push(b'.');
        out.extend_from_slice(&d[point as usize..]);
    }
}

/// Whether the exact decimal form of `x` (finite) has at most `n` significant digits.
/// An `f32` is `m × 2^e`; with `m` odd, that is the integer `m × 2^e` when `e ≥ 0`, else
/// `m × 5^-e / 10^-e`, whose digits are those of `m × 5^-e` (odd, so no trailing zero).
fn exact_digits_at_most(x: f32, n: u32) -> bool {
    let bits = x.to_bits();
    let (exp_bits, frac) = ((bits >> 23) & 0xff, bits & 0x7f_ffff);
    let (mut m, mut e) = match exp_bits {
        0 => (u64::from(frac), -149i32),
        _ => (u64::from(frac | 0x80_0000), exp_bits as i32 - 150),
    };
    if m == 0 {
        return true;
    }
    let z = m.trailing_zeros();
    m >>= z;
    e += z as i32;
    let limit = 10u128.pow(n);
    if e >= 0 {
        // An integer: at most 2^128 for an f32; drop its trailing zeros.
        let Some(mut v) = u128::from(m).checked_shl(e as u32) else {
            return false;
        };
        while v % 10 == 0 {
            v /= 10;
        }
        v < limit
    } else {
        // 5^27 × 2^24 still fits; past that the digits are far more than ten.
        let k = -e as u32;
        k <= 27 && u128::from(m) * 5u128.pow(k) < limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonout::tests::account;
    use proptest::prelude::*;

    fn display(x: f32) -> String {
        let mut out = Vec::new();
        float(&mut out, x);
        String::from_utf8(out).unwrap()
    }

    /// Every 4,999th bit pattern (860,000 values: both signs, subnormals, the largest,
    /// NaNs and infinities among them), every score a scan writes (multiples of 1/1000,
    /// and 1/10000), and the edges.
    #[test]
    fn floats_are_written_as_display_writes_them() {
        let edges = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            f32::MIN_POSITIVE,
            f32::MAX,
            f32::MIN,
            f32::EPSILON,
            1e-45,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            16_777_216.0,
            1e16,
            0.3,
        ];
        let scores = (0..=10_000).map(|i| i as f32 / 10_000.0);
        let thousandths = (0..=1_000).map(|i| (i as f32 / 1000.0 * 1000.0).round() / 1000.0);
        let patterns = (0..=u32::MAX).step_by(4999).map(f32::from_bits);
        for x in edges
            .into_iter()
            .chain(scores)
            .chain(thousandths)
            .chain(patterns)
        {
            assert_eq!(display(x), format!(",{x}"), "bits {:#x}", x.to_bits());
        }
    }

    /// A text field as the writer guards it: after an apostrophe where a spreadsheet
    /// would read it as a formula.
    fn guarded(s: &str) -> String {
        if formula_like(s.as_bytes()) {
            format!("'{s}")
        } else {
            s.to_string()
        }
    }

    /// What the csv crate writes for the same row (the writer this module replaced), its
    /// text fields guarded.
    fn reference(rows: &[AccountReport]) -> Vec<u8> {
        let mut c = csv::Writer::from_writer(Vec::new());
        c.write_record(ACCOUNT_COLUMNS).unwrap();
        for r in rows {
            let mut rec: Vec<String> = vec![
                r.rank_risk.to_string(),
                r.rank_reach.to_string(),
                guarded(&r.platform),
                guarded(&r.id),
                guarded(&r.handle.clone().unwrap_or_default()),
                guarded(&r.display_name.clone().unwrap_or_default()),
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
            rec.push(guarded(&r.top_posts.join(" ")));
            rec.push(guarded(&r.why));
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
            reposts: None,
            flagged_in: Vec::new(),
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
