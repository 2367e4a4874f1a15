//! A fast path for the common raqib JSON Lines record: one flat object whose values are
//! strings, non-negative integers, booleans or `null`. It reads such a line into the same
//! [`Wire`] that serde_json would, without serde's per-field dispatch; anything else (an
//! array or object value, a number with a sign, fraction or exponent, a duplicate field,
//! an escape in a key, invalid JSON) answers `None` and the caller parses the line with
//! serde_json, which also words the error. A property test and the `jsonl_line` fuzz
//! target check that both paths give the same record for every line.

use std::borrow::Cow;

use crate::jsonl::{parse_label, Id, Label, Time, Wire};

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

enum Value<'a> {
    Str(Cow<'a, str>),
    /// A non-negative integer that fits in 64 bits.
    Uint(u64),
    Bool(bool),
    Null,
}

/// `b` as text: ASCII needs no check (`ascii` says whether every byte is below 0x80);
/// anything else must be valid UTF-8.
#[inline]
fn utf8(b: &[u8], ascii: bool) -> Option<&str> {
    if ascii {
        debug_assert!(b.is_ascii());
        // SAFETY: every byte is below 0x80 (the caller saw each one), and ASCII is UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(b) })
    } else {
        // simdutf8 checks 32 bytes a step; the standard check goes character by character
        // once it meets a non-ASCII byte (all of an Arabic text).
        simdutf8::basic::from_utf8(b).ok()
    }
}

impl<'a> Cursor<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    /// Skip a string's plain bytes, up to the first stop (`"`, `\` or a control
    /// character) or the end of the line (see [`raqib_model::json::plain_run`]); whether
    /// any of them was 0x80 or above.
    fn skip_plain(&mut self) -> bool {
        let (n, high) = raqib_model::json::plain_run(&self.b[self.i..]);
        self.i += n;
        high
    }

    /// A string whose opening quote is at the cursor; borrowed when it has no escapes.
    /// A string with a byte of 0x80 or above is checked for UTF-8 (invalid: `None`, and
    /// the caller's UTF-8 check words the error).
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.i;
        let high = self.skip_plain();
        match *self.b.get(self.i)? {
            b'"' => {
                self.i += 1;
                let raw = &self.b[start..self.i - 1];
                return utf8(raw, !high).map(Cow::Borrowed);
            }
            b'\\' => {}
            _ => return None,
        }
        // Room for the rest of a tweet-length text, so that most never grow.
        let mut out: Vec<u8> = Vec::with_capacity(self.i - start + 256);
        out.extend_from_slice(&self.b[start..self.i]);
        loop {
            let run = self.i;
            // After an escape too (a fifth of tweets have a newline or a quote, most of
            // their text after it); the result is checked whole at the end.
            self.skip_plain();
            out.extend_from_slice(&self.b[run..self.i]);
            match *self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    // simdutf8, as for a string without escapes.
                    simdutf8::basic::from_utf8(&out).ok()?;
                    // SAFETY: just checked to be UTF-8.
                    return Some(Cow::Owned(unsafe { String::from_utf8_unchecked(out) }));
                }
                b'\\' => {
                    self.i += 1;
                    let e = *self.b.get(self.i)?;
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                _ => return None,
            }
        }
    }

    /// The rest of a `\u` escape: four hex digits, and a second escape for a surrogate pair.
    fn unicode_escape(&mut self) -> Option<char> {
        let hi = self.hex4()?;
        match hi {
            0xD800..=0xDBFF => {
                self.eat(b'\\')?;
                self.eat(b'u')?;
                let lo = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return None;
                }
                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
            }
            0xDC00..=0xDFFF => None,
            c => char::from_u32(c),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.b.get(self.i..self.i + 4)?;
        let mut v = 0u32;
        for &d in digits {
            v = v * 16 + (d as char).to_digit(16)?;
        }
        self.i += 4;
        Some(v)
    }

    fn value(&mut self) -> Option<Value<'a>> {
        match *self.b.get(self.i)? {
            b'"' => self.string().map(Value::Str),
            b'0'..=b'9' => {
                let start = self.i;
                let mut n = 0u64;
                while let Some(&d @ b'0'..=b'9') = self.b.get(self.i) {
                    n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
                    self.i += 1;
                }
                if self.i - start > 1 && self.b[start] == b'0' {
                    return None;
                }
                if let Some(b'.' | b'e' | b'E') = self.b.get(self.i) {
                    return None;
                }
                Some(Value::Uint(n))
            }
            b't' => self.word(b"true", Value::Bool(true)),
            b'f' => self.word(b"false", Value::Bool(false)),
            b'n' => self.word(b"null", Value::Null),
            _ => None,
        }
    }

    fn word(&mut self, w: &[u8], v: Value<'a>) -> Option<Value<'a>> {
        self.b[self.i..].starts_with(w).then(|| {
            self.i += w.len();
            v
        })
    }
}

/// An id: a string, or an integer written as its digits.
fn id(v: Value<'_>) -> Option<Option<Id<'_>>> {
    match v {
        Value::Str(s) => Some(Some(Id(s))),
        Value::Uint(n) => Some(Some(Id(Cow::Owned(n.to_string())))),
        Value::Null => Some(None),
        Value::Bool(_) => None,
    }
}

fn text(v: Value<'_>) -> Option<Option<Cow<'_, str>>> {
    match v {
        Value::Str(s) => Some(Some(s)),
        Value::Null => Some(None),
        _ => None,
    }
}

fn uint(v: Value<'_>) -> Option<Option<u64>> {
    match v {
        Value::Uint(n) => Some(Some(n)),
        Value::Null => Some(None),
        _ => None,
    }
}

/// Read `line` the fast way, or say `None` to have serde_json read it. The line need not
/// be valid UTF-8: each string is checked as it is read (bytes outside strings must be
/// JSON's ASCII), so a line this accepts is valid UTF-8 throughout.
pub(crate) fn wire(line: &[u8]) -> Option<Wire<'_>> {
    let mut c = Cursor { b: line, i: 0 };
    let mut w = Wire::default();
    let mut seen = 0u32;
    c.ws();
    c.eat(b'{')?;
    c.ws();
    if c.eat(b'}').is_none() {
        loop {
            c.ws();
            let key = c.string()?;
            let Cow::Borrowed(key) = key else {
                return None;
            };
            c.ws();
            c.eat(b':')?;
            c.ws();
            let v = c.value()?;
            let bit = match key {
                "raqib" => {
                    w.raqib = match v {
                        Value::Uint(n) => Some(u32::try_from(n).ok()?),
                        Value::Null => None,
                        _ => return None,
                    };
                    1
                }
                "type" => {
                    w.kind = text(v)?;
                    2
                }
                "id" => {
                    w.id = id(v)?;
                    3
                }
                "platform" => {
                    w.platform = text(v)?;
                    4
                }
                "account" => {
                    w.account = id(v)?;
                    5
                }
                "created_at" => {
                    w.created_at = match v {
                        Value::Str(s) => Some(Time::Text(s)),
                        Value::Uint(n) => Some(Time::Secs(i64::try_from(n).ok()?)),
                        Value::Null => None,
                        Value::Bool(_) => return None,
                    };
                    6
                }
                "text" => {
                    w.text = text(v)?;
                    7
                }
                "lang" => {
                    w.lang = text(v)?;
                    8
                }
                "reply_to" => {
                    w.reply_to = id(v)?;
                    9
                }
                "share_of" => {
                    w.share_of = id(v)?;
                    10
                }
                "reach" => {
                    w.reach = uint(v)?;
                    11
                }
                "label" => {
                    w.label = match v {
                        Value::Bool(b) => Some(Label(Some(b))),
                        Value::Uint(0) => Some(Label(Some(false))),
                        Value::Uint(1) => Some(Label(Some(true))),
                        Value::Str(s) => Some(Label(parse_label(&s).ok()?)),
                        Value::Null => None,
                        Value::Uint(_) => return None,
                    };
                    12
                }
                "handle" => {
                    w.handle = text(v)?;
                    13
                }
                "display_name" => {
                    w.display_name = text(v)?;
                    14
                }
                "bio" => {
                    w.bio = text(v)?;
                    15
                }
                "followers" => {
                    w.followers = uint(v)?;
                    16
                }
                "first_version" => {
                    w.first_version = id(v)?;
                    17
                }
                "category" => {
                    w.category = text(v)?;
                    18
                }
                "place" => {
                    w.place = text(v)?;
                    19
                }
                "permalink" => {
                    w.permalink = text(v)?;
                    20
                }
                // Fields whose values are arrays or objects take the serde path.
                "urls" | "media" | "avatar" | "status" | "follows" => return None,
                _ => 0,
            };
            if bit != 0 {
                if seen & (1 << bit) != 0 {
                    return None;
                }
                seen |= 1 << bit;
            }
            c.ws();
            if c.eat(b',').is_some() {
                continue;
            }
            c.eat(b'}')?;
            break;
        }
    }
    c.ws();
    (c.i == c.b.len()).then_some(w)
}

#[cfg(test)]
mod tests {
    use super::wire;
    use crate::jsonl::parse_raqib_text;
    use proptest::prelude::*;

    #[test]
    fn ordinary_lines_take_the_fast_path() {
        for line in [
            r#"{"id": "1", "platform": "twitter", "account": "a1", "created_at": 1600000000, "text": "hi \"there\" \u0627\ud83d\ude00\n"}"#,
            r#"{"raqib":1,"type":"account","id":7,"handle":"h","bio":"b","followers":12,"label":"propaganda","views":3,"note":null}"#,
            "{}",
        ] {
            assert!(wire(line.as_bytes()).is_some(), "{line}");
        }
        let w = wire(br#"{"id":"1","text":"a\tb \u00e9 \ud83d\ude00"}"#).unwrap();
        assert_eq!(w.text.as_deref(), Some("a\tb é 😀"));
    }

    #[test]
    fn broken_utf8_in_a_string_is_the_line_check_error() {
        let line = b"{\"id\":\"1\",\"text\":\"abcdefghij\xff\"}";
        assert!(wire(line).is_none());
        assert_eq!(
            crate::parse_raqib_line(line, None),
            Err("invalid UTF-8 at byte 28 of the line".to_string())
        );
        // Valid non-ASCII text is read on the fast path.
        let w = wire("{\"id\":\"1\",\"text\":\"نص عربي طويل بما يكفي\"}".as_bytes()).unwrap();
        assert_eq!(w.text.as_deref(), Some("نص عربي طويل بما يكفي"));
    }

    #[test]
    fn unusual_lines_are_left_to_serde() {
        for line in [
            r#"{"id":"1","text":"x","urls":["https://e.com"]}"#,
            r#"{"id":"1","id":"2","text":"x"}"#,
            r#"{"id":-1,"text":"x"}"#,
            r#"{"id":1.5,"text":"x"}"#,
            r#"{"id":01,"text":"x"}"#,
            r#"{"id":"1","text":"\ud800"}"#,
            r#"{"id":"1","text":"x"} trailing"#,
            r#"{"id":"1","text":"x",}"#,
            "{\"id\":\"1\",\"text\":\"tab\there\"}",
            r#"{"id":"1","extra":{"a":1},"text":"x"}"#,
        ] {
            assert!(wire(line.as_bytes()).is_none(), "{line}");
        }
    }

    fn key() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "raqib",
            "type",
            "id",
            "platform",
            "account",
            "created_at",
            "text",
            "lang",
            "reply_to",
            "share_of",
            "first_version",
            "place",
            "permalink",
            "reach",
            "label",
            "category",
            "handle",
            "display_name",
            "bio",
            "followers",
            "urls",
            "media",
            "status",
            "avatar",
            "follows",
            "extra",
            "t\\u0065xt",
        ])
        .prop_map(|k| format!("\"{k}\""))
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            // Valid strings, escaped by serde_json (quotes, backslashes, controls, unicode).
            any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
            "[a-z\u{627}-\u{64a} ]{0,12}".prop_map(|s| format!("\"{s}\"")),
            // Hand-written escapes, valid and not.
            prop::sample::select(vec![
                r#""\u0627\u0644""#,
                r#""\ud83d\ude00""#,
                r#""\ud800""#,
                r#""\udc00x""#,
                r#""\ud800\u0041""#,
                r#""\x""#,
                r#""\u12""#,
                r#""\/\b\f\n\r\t""#,
                "\"raw\ttab\"",
                "\"unterminated",
                r#""a\\""#,
                r#""\u00zz""#,
            ])
            .prop_map(str::to_string),
            prop::sample::select(vec![
                "0",
                "1",
                "2",
                "01",
                "00",
                "123",
                "4294967295",
                "4294967296",
                "9223372036854775807",
                "9223372036854775808",
                "18446744073709551615",
                "18446744073709551616",
                "-1",
                "-0",
                "1.5",
                "1e3",
                "1E3",
                "0.0",
            ])
            .prop_map(str::to_string),
            prop::sample::select(vec![
                "true",
                "false",
                "null",
                "nul",
                "[]",
                "[1,\"a\"]",
                "{}",
                "{\"kind\":\"image\"}",
                "\"post\"",
                "\"account\"",
                "\"poll\"",
                "\"propaganda\"",
                "\"maybe\"",
                "\"2024-01-31T12:00:00Z\"",
                "\"soon\"",
                "\"suspended\"",
                "\"en\"",
                "\"ar\"",
                "\"a\u{1f}b\"",
                "\"\\n\u{10}\"",
                "\"\u{7f}\"",
            ])
            .prop_map(str::to_string),
        ]
    }

    fn ws() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["", "", " ", "\t", "  ", "\r", "\n"]).prop_map(str::to_string)
    }

    /// Mostly records: an id and a text (strings with every kind of escape), and other
    /// fields, known and not, with any value, in any order; sometimes a broken ending.
    fn line() -> impl Strategy<Value = String> {
        let field = (key(), ws(), ws(), value(), ws())
            .prop_map(|(k, a, b, v, c)| format!("{k}{a}:{b}{v}{c}"));
        let string = prop_oneof![
            value(),
            any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
            prop::collection::vec(
                prop::sample::select(vec![
                    "a",
                    "b",
                    " ",
                    "\u{627}",
                    r"\\",
                    r"\/",
                    r"\n",
                    r#"\""#,
                    r"\t",
                    r"\u0627",
                    r"\u00e9",
                    r"\ud83d\ude00",
                    r"\u0000",
                    "\u{1F600}",
                ]),
                0..10,
            )
            .prop_map(|parts| format!("\"{}\"", parts.concat())),
        ];
        (
            ws(),
            string.clone().prop_map(|v| format!("\"id\":{v}")),
            string.prop_map(|v| format!("\"text\":{v}")),
            prop::collection::vec(field, 0..6),
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            prop::sample::select(vec!["}", "}", "}", "}", "}", "", ",}", "} x", "}}", "} "]),
        )
            .prop_map(|(lead, id, text, mut fields, i, j, end)| {
                fields.insert(i.index(fields.len() + 1), id);
                fields.insert(j.index(fields.len() + 1), text);
                format!("{lead}{{{}{end}", fields.join(","))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        #[test]
        fn fast_path_reads_every_line_as_serde_does(l in line()) {
            prop_assert_eq!(
                parse_raqib_text(&l, Some("x"), true),
                parse_raqib_text(&l, Some("x"), false),
                "{}", l
            );
        }

        /// The fast path reads bytes and checks UTF-8 string by string: a line with a
        /// byte that breaks UTF-8 anywhere (in a string, a key, between fields) gets
        /// the whole-line check's error, as serde_json's path gives it.
        #[test]
        fn fast_path_agrees_on_broken_utf8(
            l in line(),
            at in any::<prop::sample::Index>(),
            bad in prop::sample::select(vec![
                vec![0xffu8], vec![0x80], vec![0xc3], vec![0xe2, 0x82], vec![0xed, 0xa0, 0x80],
                vec![0xf8, 0x88, 0x80, 0x80, 0x80], vec![0xc0, 0xaf], vec![0xef, 0xbb, 0xbf],
            ]),
        ) {
            let mut b = l.into_bytes();
            let i = at.index(b.len() + 1);
            b.splice(i..i, bad);
            prop_assert_eq!(
                crate::parse_raqib_line(&b, Some("x")),
                crate::parse_raqib_line_serde(&b, Some("x"))
            );
        }

        #[test]
        fn fast_path_agrees_on_arbitrary_bytes(b in prop::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(
                crate::parse_raqib_line(&b, None),
                crate::parse_raqib_line_serde(&b, None)
            );
        }

        /// Long strings cross the eight-byte steps at every offset, with the quote,
        /// backslash, control character or non-ASCII byte anywhere in them.
        #[test]
        fn fast_path_agrees_on_long_strings(
            parts in prop::collection::vec(
                prop::sample::select(vec![
                    "abcdefgh", "a", "\u{627}", "\\\"", "\\n", "\u{1F600}", "xyz", " ",
                ]),
                0..40,
            ),
            pad in 0usize..9,
            raw_control in any::<bool>(),
        ) {
            let mut text = parts.concat();
            if raw_control {
                text.push('\u{1}');
            }
            let l = format!("{{\"id\":\"{}\",\"text\":\"{text}\"}}", "p".repeat(pad));
            prop_assert_eq!(
                crate::parse_raqib_line(l.as_bytes(), None),
                crate::parse_raqib_line_serde(l.as_bytes(), None),
                "{}", l
            );
        }

        /// A post read into a spare one (whose strings and lists held another post)
        /// equals the post read fresh: nothing of the old post survives.
        #[test]
        fn reading_into_a_spare_post_equals_reading_fresh(
            l in line(),
            old in any::<String>(),
            some in any::<bool>(),
        ) {
            let opt = |s: &str| some.then(|| s.to_string());
            let spare = raqib_model::Post {
                id: old.clone(),
                platform: old.clone(),
                account: old.clone(),
                created_at: some.then_some(7),
                text: old.repeat(3),
                lang: opt(&old),
                urls: vec![old.clone(); some as usize],
                media: vec![raqib_model::MediaRef::default(); some as usize],
                reply_to: opt(&old),
                share_of: opt("x"),
                first_version: opt("y"),
                place: opt("z"),
                permalink: opt("https://example.org/p/1"),
                reach: some.then_some(9),
                label: some.then_some(true),
                category: opt("news"),
            };
            for platform in [Some("x"), None] {
                prop_assert_eq!(
                    crate::parse_raqib_line_reusing(l.as_bytes(), platform, Some(Box::new(spare.clone()))),
                    crate::parse_raqib_line(l.as_bytes(), platform),
                    "{}", l
                );
            }
        }

        #[test]
        fn fast_path_agrees_on_arbitrary_text(l in any::<String>()) {
            prop_assert_eq!(
                parse_raqib_text(&l, None, true),
                parse_raqib_text(&l, None, false)
            );
        }
    }
}
