//! `posts.jsonl` lines written straight from borrowed fields.
//!
//! A flagged post's line used to be built as an owned [`crate::FlaggedPost`] (four
//! string copies) and serialised by serde_json (a formatter call per token);
//! at a quarter of a million flagged posts a second that was a tenth of the
//! scan. [`write_post`] writes the same bytes — same field order, same
//! escaping, same number formatting (floats still go through serde_json) —
//! from what the worker already holds; a property test keeps it equal to
//! serde_json for arbitrary posts.

use raqib_model::TextSpan;

/// A flagged post's fields, borrowed.
pub(crate) struct PostView<'a> {
    pub file: &'a str,
    pub line: u64,
    pub id: &'a str,
    pub platform: &'a str,
    pub account: &'a str,
    pub score: f32,
    pub flagged: bool,
    pub lang: &'a str,
    pub reach: Option<u64>,
    pub created_at: Option<i64>,
    pub first_version: Option<&'a str>,
    pub place: Option<&'a str>,
    pub permalink: Option<&'a str>,
    pub text: &'a str,
    /// The media's descriptions and kinds, written as `media_alt` and `media_kind` (none
    /// where no medium has a description).
    pub media_alt: Alts<'a>,
    pub evidence: &'a [TextSpan],
    pub media_matches: &'a [raqib_media::lists::ListMatch],
}

/// A post's media's descriptions and kinds, from its media or as a report holds them
/// (descriptions, then kinds).
#[derive(Clone, Copy)]
pub(crate) enum Alts<'a> {
    Media(&'a [raqib_model::MediaRef]),
    Texts(&'a [String], &'a [String]),
}

impl<'a> Alts<'a> {
    fn len(&self) -> usize {
        match self {
            Alts::Media(m) => m.len(),
            Alts::Texts(t, _) => t.len(),
        }
    }

    /// The `i`th medium's description (empty where it has none).
    fn get(&self, i: usize) -> &'a str {
        match self {
            Alts::Media(m) => m[i].description().unwrap_or_default(),
            Alts::Texts(t, _) => &t[i],
        }
    }

    /// The `i`th medium's kind (empty where the report holds none).
    fn kind(&self, i: usize) -> &'a str {
        match self {
            Alts::Media(m) => &m[i].kind,
            Alts::Texts(_, k) => k.get(i).map_or("", String::as_str),
        }
    }
}

impl crate::FlaggedPost {
    /// The post's fields, borrowed.
    pub(crate) fn view(&self) -> PostView<'_> {
        PostView {
            file: &self.file,
            line: self.line,
            id: &self.id,
            platform: &self.platform,
            account: &self.account,
            score: self.score,
            flagged: self.flagged,
            lang: &self.lang,
            reach: self.reach,
            created_at: self.created_at,
            first_version: self.first_version.as_deref(),
            place: self.place.as_deref(),
            permalink: self.permalink.as_deref(),
            text: &self.text,
            media_alt: Alts::Texts(&self.media_alt, &self.media_kind),
            evidence: &self.evidence,
            media_matches: &self.media_matches,
        }
    }
}

impl PostView<'_> {
    /// The owned post (for the summary's strongest posts: few, so the copies are rare).
    pub(crate) fn to_post(&self) -> crate::FlaggedPost {
        crate::FlaggedPost {
            file: self.file.to_string(),
            line: self.line,
            id: self.id.to_string(),
            platform: self.platform.to_string(),
            account: self.account.to_string(),
            score: self.score,
            flagged: self.flagged,
            lang: self.lang.to_string(),
            reach: self.reach,
            created_at: self.created_at,
            first_version: self.first_version.map(str::to_string),
            place: self.place.map(str::to_string),
            permalink: self.permalink.map(str::to_string),
            text: self.text.to_string(),
            media_alt: (0..self.media_alt.len())
                .map(|i| self.media_alt.get(i).to_string())
                .collect(),
            media_kind: (0..self.media_alt.len())
                .map(|i| self.media_alt.kind(i).to_string())
                .collect(),
            evidence: self.evidence.to_vec(),
            media_matches: self.media_matches.to_vec(),
        }
    }
}

/// Append `v` as one JSON object (no newline), byte for byte what
/// `serde_json::to_writer` writes for the equal [`crate::FlaggedPost`].
pub(crate) fn write_post(out: &mut Vec<u8>, v: &PostView<'_>) {
    out.extend_from_slice(b"{\"file\":");
    string(out, v.file);
    out.extend_from_slice(b",\"line\":");
    int(out, v.line);
    out.extend_from_slice(b",\"id\":");
    string(out, v.id);
    out.extend_from_slice(b",\"platform\":");
    string(out, v.platform);
    out.extend_from_slice(b",\"account\":");
    string(out, v.account);
    out.extend_from_slice(b",\"score\":");
    float(out, v.score);
    out.extend_from_slice(if v.flagged {
        b",\"flagged\":true,\"lang\":"
    } else {
        b",\"flagged\":false,\"lang\":"
    });
    string(out, v.lang);
    if let Some(r) = v.reach {
        out.extend_from_slice(b",\"reach\":");
        int(out, r);
    }
    if let Some(t) = v.created_at {
        out.extend_from_slice(b",\"created_at\":");
        let mut b = itoa::Buffer::new();
        out.extend_from_slice(b.format(t).as_bytes());
    }
    if let Some(f) = v.first_version {
        out.extend_from_slice(b",\"first_version\":");
        string(out, f);
    }
    if let Some(p) = v.place {
        out.extend_from_slice(b",\"place\":");
        string(out, p);
    }
    if let Some(l) = v.permalink {
        out.extend_from_slice(b",\"permalink\":");
        string(out, l);
    }
    out.extend_from_slice(b",\"text\":");
    string(out, v.text);
    if v.media_alt.len() > 0 {
        out.extend_from_slice(b",\"media_alt\":[");
        for i in 0..v.media_alt.len() {
            if i > 0 {
                out.push(b',');
            }
            string(out, v.media_alt.get(i));
        }
        out.extend_from_slice(b"],\"media_kind\":[");
        for i in 0..v.media_alt.len() {
            if i > 0 {
                out.push(b',');
            }
            string(out, v.media_alt.kind(i));
        }
        out.push(b']');
    }
    out.extend_from_slice(b",\"evidence\":[");
    for (i, s) in v.evidence.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"start\":");
        int(out, s.start as u64);
        out.extend_from_slice(b",\"end\":");
        int(out, s.end as u64);
        out.extend_from_slice(b",\"text\":");
        string(out, &s.text);
        out.extend_from_slice(b",\"feature\":");
        string(out, &s.feature);
        out.extend_from_slice(b",\"weight\":");
        float(out, s.weight);
        if let Some(k) = s.media {
            out.extend_from_slice(b",\"media\":");
            int(out, u64::from(k));
        }
        out.push(b'}');
    }
    out.push(b']');
    if !v.media_matches.is_empty() {
        // Rare (a post that carries a listed hash or link), so serde_json.
        out.extend_from_slice(b",\"media_matches\":");
        serde_json::to_writer(&mut *out, v.media_matches)
            .expect("serialising to memory cannot fail");
    }
    out.push(b'}');
}

/// Append `r` as one JSON object (no newline), byte for byte what
/// `serde_json::to_writer` writes for it. The accounts report is tens of thousands of
/// rows written after the scan, while nothing else runs; serde_json's formatter call per
/// token made it a tenth of a million-post scan.
pub(crate) fn write_account(out: &mut Vec<u8>, r: &crate::accounts::AccountReport) {
    out.extend_from_slice(b"{\"platform\":");
    string(out, &r.platform);
    out.extend_from_slice(b",\"id\":");
    string(out, &r.id);
    out.extend_from_slice(b",\"handle\":");
    opt_string(out, r.handle.as_deref());
    out.extend_from_slice(b",\"display_name\":");
    opt_string(out, r.display_name.as_deref());
    out.extend_from_slice(b",\"risk\":");
    float(out, r.risk);
    out.extend_from_slice(if r.flagged {
        b",\"flagged\":true,\"priority\":"
    } else {
        b",\"flagged\":false,\"priority\":"
    });
    float(out, r.priority);
    out.extend_from_slice(b",\"rank_risk\":");
    int(out, r.rank_risk as u64);
    out.extend_from_slice(b",\"rank_reach\":");
    int(out, r.rank_reach as u64);
    out.extend_from_slice(b",\"posts\":");
    int(out, r.posts);
    out.extend_from_slice(b",\"flagged_posts\":");
    int(out, r.flagged_posts);
    out.extend_from_slice(b",\"max_score\":");
    float(out, r.max_score);
    out.extend_from_slice(b",\"mean_score\":");
    float(out, r.mean_score);
    out.extend_from_slice(b",\"profile_score\":");
    match r.profile_score {
        Some(x) => float(out, x),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"reach\":");
    match r.reach {
        Some(n) => int(out, n),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"top_posts\":[");
    for (i, p) in r.top_posts.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, p);
    }
    out.extend_from_slice(b"],\"why\":");
    string(out, &r.why);
    // Links and networks come with `--suspended` and `--networks` only: serde_json.
    if !r.links.is_empty() {
        out.extend_from_slice(b",\"links\":");
        serde_json::to_writer(&mut *out, &r.links).expect("serialising to memory cannot fail");
    }
    if let Some(n) = &r.network {
        out.extend_from_slice(b",\"network\":");
        serde_json::to_writer(&mut *out, n).expect("serialising to memory cannot fail");
    }
    if let Some(n) = &r.reposts {
        out.extend_from_slice(b",\"reposts\":");
        serde_json::to_writer(&mut *out, n).expect("serialising to memory cannot fail");
    }
    if !r.flagged_in.is_empty() {
        out.extend_from_slice(b",\"flagged_in\":");
        serde_json::to_writer(&mut *out, &r.flagged_in).expect("serialising to memory cannot fail");
    }
    out.push(b'}');
}

fn opt_string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

fn int(out: &mut Vec<u8>, n: u64) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(n).as_bytes());
}

/// serde_json's float formatting (shortest round-trip form, `null` for
/// NaN and infinities), so both writers agree on every value.
fn float(out: &mut Vec<u8>, x: f32) {
    if !fixed(out, x) {
        serde_json::to_writer(&mut *out, &x).expect("serialising to memory cannot fail");
    }
}

/// Write `x` as serde_json would if it is a multiple of 1/1000 or 1/10000 (the f32
/// nearest to one) of magnitude at least 0.001 and below 100: what scores and evidence
/// weights are, rounded to four and three places. Then the shortest digits that read back
/// as `x` are those places, trailing zeros dropped (any other decimal as short is at least
/// 0.0001 away, and `x`'s neighbours are within 0.00001), so they are written straight
/// from the integer; serde_json's formatter through its serializer was most of a flagged
/// post's float cost. A test holds the two equal for every such value.
fn fixed(out: &mut Vec<u8>, x: f32) -> bool {
    if !(x == 0.0 || (0.001..100.0).contains(&x.abs())) {
        return false;
    }
    // A multiple of 1/1000 is one of 1/10000, and the f32 nearest to it the same; `x`
    // times 10,000 is within 0.2 of the integer, so any rounding finds it.
    let k = (x * 10_000.0).round_ties_even();
    if k / 10_000.0 != x {
        return false;
    }
    if x.is_sign_negative() {
        out.push(b'-');
    }
    let k = k.abs() as u32;
    let (whole, frac) = (k / 10_000, k % 10_000);
    if whole >= 10 {
        out.push(b'0' + (whole / 10) as u8);
    }
    out.push(b'0' + (whole % 10) as u8);
    out.push(b'.');
    let digits = [frac / 1000, frac / 100 % 10, frac / 10 % 10, frac % 10].map(|d| b'0' + d as u8);
    let keep = 4 - digits.iter().rev().take_while(|&&d| d == b'0').count();
    out.extend_from_slice(&digits[..keep.max(1)]);
    true
}

/// A JSON string as serde_json escapes it: `"` and `\`, the five short
/// escapes, other control characters as `\u00XX`; everything else as is.
fn string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    loop {
        let i = skip_plain(bytes, start);
        let Some(&b) = bytes.get(i) else { break };
        out.extend_from_slice(&bytes[start..i]);
        start = i + 1;
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 15) as usize],
            ]),
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// The first byte at or after `i` that needs an escape, else the length (see
/// [`raqib_model::json::plain_run`]: most strings need none, and a text with a newline
/// has long runs between them).
#[inline]
fn skip_plain(bytes: &[u8], i: usize) -> usize {
    i + raqib_model::json::plain_run(&bytes[i..]).0
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::FlaggedPost;
    use proptest::prelude::*;
    use raqib_media::lists::{ListMatch, Meta, SignalType};

    fn text() -> impl Strategy<Value = String> {
        // Plain text, every escape class (JSON's, and CSV's comma and CR), Arabic, emoji,
        // DEL and C1 controls.
        prop_oneof![
            "\\PC{0,24}",
            // What a spreadsheet reads as a formula, or as a number that starts alike.
            "[=+@\\-\t\r]([0-9.e]{0,6}|[A-Z(\"|,]{0,8})",
            proptest::collection::vec(
                prop_oneof![
                    Just('"'),
                    Just('\\'),
                    Just('\n'),
                    Just('\r'),
                    Just(','),
                    Just('\u{1}'),
                    Just('\u{1f}'),
                    Just('\u{7f}'),
                    Just('\u{85}'),
                    Just('/'),
                    Just('د'),
                    Just('😀'),
                    Just('a'),
                    any::<char>(),
                ],
                0..16
            )
            .prop_map(|c| c.into_iter().collect()),
            // Runs of plain text longer than a word (skipped eight bytes at a time)
            // between escapes.
            proptest::collection::vec(
                (
                    "[a-z د😀]{0,20}",
                    prop_oneof![Just('"'), Just('\\'), Just('\n'), Just('\u{1}')]
                ),
                0..6
            )
            .prop_map(|v| v.into_iter().map(|(a, c)| format!("{a}{c}")).collect()),
        ]
    }

    /// Every multiple of 1/1000 and of 1/10000 below 100 in magnitude (and the f32s
    /// beside each), as serde_json writes it.
    #[test]
    fn rounded_floats_are_written_as_serde_json_writes_them() {
        let mut out = Vec::new();
        let mut check = |x: f32| {
            out.clear();
            super::float(&mut out, x);
            let want = serde_json::to_string(&x).unwrap();
            assert_eq!(
                std::str::from_utf8(&out).unwrap(),
                want,
                "bits {:#x}",
                x.to_bits()
            );
        };
        for k in -1_000_000i32..=1_000_000 {
            let x = k as f32 / 10_000.0;
            check(x);
            check(f32::from_bits(x.to_bits() + 1));
            check(f32::from_bits(x.to_bits().wrapping_sub(1)));
            check(k as f32 / 1000.0);
        }
        for x in [-0.0, 100.0, -100.0, 99.999, 0.0009, 0.001, 1e-7, 1000.0] {
            check(x);
        }
    }

    fn float() -> impl Strategy<Value = f32> {
        prop_oneof![
            any::<f32>(),
            (0u32..=10000).prop_map(|x| x as f32 / 10000.0),
            Just(f32::NAN),
            Just(f32::INFINITY),
            Just(1e-7f32),
            Just(-0.0f32),
        ]
    }

    fn span() -> impl Strategy<Value = TextSpan> {
        (
            any::<usize>(),
            any::<usize>(),
            text(),
            text(),
            float(),
            proptest::option::of(any::<u32>()),
        )
            .prop_map(|(start, end, text, feature, weight, media)| TextSpan {
                start,
                end,
                text,
                feature,
                weight,
                media,
            })
    }

    prop_compose! {
        fn post()(
            strings in proptest::collection::vec(text(), 8),
            edited in any::<bool>(),
            placed in any::<bool>(),
            linked in any::<bool>(),
            line in any::<u64>(),
            score in float(),
            flagged in any::<bool>(),
            reach in proptest::option::of(any::<u64>()),
            created_at in proptest::option::of(any::<i64>()),
            evidence in proptest::collection::vec(span(), 0..4),
            media_alt in proptest::collection::vec((text(), "image|video|link"), 0..3),
            matched in any::<bool>(),
        ) -> FlaggedPost {
            let media_matches = if matched {
                vec![ListMatch {
                    list: strings[6].clone(),
                    kind: SignalType::Url,
                    value: "https://example.org/x".into(),
                    distance: Some(3),
                    meta: Meta::default(),
                }]
            } else {
                Vec::new()
            };
            FlaggedPost {
                file: strings[0].clone(),
                line,
                id: strings[1].clone(),
                platform: strings[2].clone(),
                account: strings[3].clone(),
                score,
                flagged,
                lang: strings[4].clone(),
                reach,
                created_at,
                first_version: edited.then(|| strings[7].clone()),
                place: placed.then(|| strings[6].clone()),
                permalink: linked.then(|| strings[7].clone()),
                text: strings[5].clone(),
                media_kind: media_alt.iter().map(|a| a.1.clone()).collect(),
                media_alt: media_alt.into_iter().map(|a| a.0).collect(),
                evidence,
                media_matches,
            }
        }
    }

    proptest! {
        #[test]
        fn a_view_gives_back_its_post(p in post()) {
            // NaN scores compare unequal: compare their serialisations instead.
            prop_assert_eq!(
                serde_json::to_string(&p.view().to_post()).unwrap(),
                serde_json::to_string(&p).unwrap()
            );
        }

        #[test]
        fn equals_serde_json(p in post()) {
            let mut fast = Vec::new();
            write_post(&mut fast, &p.view());
            let serde = serde_json::to_vec(&p).unwrap();
            prop_assert_eq!(String::from_utf8_lossy(&fast), String::from_utf8_lossy(&serde));
        }
    }

    prop_compose! {
        /// An account report with every field drawn (also the CSV writer's test input).
        pub(crate) fn account()(
            strings in proptest::collection::vec(text(), 6),
            opt in proptest::collection::vec(any::<bool>(), 4),
            floats in proptest::collection::vec(float(), 5),
            ints in proptest::collection::vec(any::<u64>(), 5),
            flagged in any::<bool>(),
            top_posts in proptest::collection::vec(text(), 0..4),
            linked in any::<bool>(),
            network in any::<bool>(),
            reposted in any::<bool>(),
            places in proptest::collection::vec((text(), any::<u64>()), 0..3),
        ) -> crate::accounts::AccountReport {
            crate::accounts::AccountReport {
                platform: strings[0].clone(),
                id: strings[1].clone(),
                handle: opt[0].then(|| strings[2].clone()),
                display_name: opt[1].then(|| strings[3].clone()),
                risk: floats[0],
                flagged,
                priority: floats[1],
                rank_risk: ints[0] as usize,
                rank_reach: ints[1] as usize,
                posts: ints[2],
                flagged_posts: ints[3],
                max_score: floats[2],
                mean_score: floats[3],
                profile_score: opt[2].then_some(floats[4]),
                reach: opt[3].then_some(ints[4]),
                top_posts,
                why: strings[4].clone(),
                links: if linked {
                    vec![raqib_link::Link {
                        platform: strings[5].clone(),
                        id: "s1".into(),
                        handle: String::new(),
                        score: floats[4],
                        profile_only: flagged,
                        reasons: Vec::new(),
                        features: Default::default(),
                    }]
                } else {
                    Vec::new()
                },
                network: network.then(|| Box::new(crate::accounts::NetworkInfo {
                    cluster: 3,
                    size: 12,
                    co_actions: ints[4],
                    shared: vec![strings[5].clone()],
                    example_posts: top_posts_example(),
                    flagged_members: 2,
                    flagged_shared: ints[4] as usize % 3,
                    flagged_shared_examples: top_posts_example(),
                })),
                reposts: reposted.then(|| {
                    let mut r = crate::accounts::Reposts::default();
                    r.add(floats[2], true, Some(&strings[5]));
                    r.add(floats[3], false, None);
                    Box::new(r)
                }),
                flagged_in: places
                    .into_iter()
                    .map(|(place, flagged_posts)| crate::accounts::PlaceCount {
                        place,
                        flagged_posts,
                    })
                    .collect(),
            }
        }
    }

    fn top_posts_example() -> Vec<String> {
        vec!["p\"1".into(), "دعم".into()]
    }

    proptest! {
        #[test]
        fn accounts_equal_serde_json(r in account()) {
            let mut fast = Vec::new();
            write_account(&mut fast, &r);
            let serde = serde_json::to_vec(&r).unwrap();
            prop_assert_eq!(String::from_utf8_lossy(&fast), String::from_utf8_lossy(&serde));
        }
    }

    #[test]
    fn escapes_like_serde_json() {
        for s in [
            "",
            "plain",
            "a\"b\\c",
            "\u{0}\u{8}\u{c}\u{1b}\r\t\n",
            "\u{7f}/</script>",
            "داعش 😀",
            "eight ok, then \" late",
            "0123456789abcdef\n",
            "01234567\\",
        ] {
            let mut fast = Vec::new();
            string(&mut fast, s);
            assert_eq!(fast, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }
}
