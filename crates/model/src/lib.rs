//! Plain data types shared by every raqib crate: posts, accounts, media references,
//! signals and the evidence a reviewer reads.
//!
//! **Invariant:** this crate does no I/O and holds no logic beyond small helpers; every
//! other crate speaks these types. Field names are part of the JSON Lines format
//! (`docs/format.md`), so renaming one is a format change.

use serde::{Deserialize, Serialize};

/// The version of raqib's own JSON Lines format that this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// A post (tweet, message, status) on some platform.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Post {
    /// The platform's id for the post, unique within `platform`.
    pub id: String,
    /// Where the post was made, e.g. `twitter`, `telegram`, `mastodon`.
    #[serde(default)]
    pub platform: String,
    /// The id of the account that posted it (or its handle where no id is known).
    #[serde(default)]
    pub account: String,
    /// Unix seconds, UTC, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// The text as posted, untouched.
    #[serde(default)]
    pub text: String,
    /// A language code (`ar`, `en`, ...) when the source says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// URLs in or attached to the post, expanded where the source gives the expansion.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// Media attached to the post.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<MediaRef>,
    /// The id of the post this one replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// The id of the post this one shares (retweet, forward, boost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_of: Option<String>,
    /// For a platform that keeps each edit of a post as a record of its own (Twitter gives
    /// every version an id; Matrix makes an edit an event; a fediverse collection holds a
    /// note again, under its id, once edited): the id of the post's first version, on every
    /// version the source shows to be one, the first included: where it lists its edits (as
    /// Twitter's archives do), or where the post may still be edited (a Matrix message, a
    /// fediverse note, an edit-eligible tweet: its own id, so that a later version collected
    /// after it counts with it). An account's counts take the versions of one post as one
    /// post (flagged if any version is, scored by its strongest); unset for a post never
    /// edited that the source does not show may be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_version: Option<String>,
    /// Where it was posted, as its platform names the place: a Telegram chat or channel, a
    /// Discord server and channel (`Server / #channel`), a subreddit (`r/name`), a Matrix
    /// room, a group. What a reviewer reports a post by, beside its id. Unset where the
    /// source does not say (a post on an account's own timeline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// The post's own address on its platform, where the source gives it or it follows
    /// from the post's id (a tweet's, a Bluesky post's, a Reddit thing's `permalink`, a
    /// fediverse status's `url`): what a referral to the platform names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permalink: Option<String>,
    /// How many people it can reach: views, or the author's followers when that is all
    /// the source has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reach: Option<u64>,
    /// A ground-truth label for training and evaluation: `true` = propaganda.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<bool>,
    /// What kind of post a labelled one is (news, counter-speech, religious, chatter...):
    /// `raqib eval` reports each kind apart, so the false positives on hard negatives can
    /// be read by kind. Free text; scoring ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

impl Post {
    /// A share by reference only: a post that names the post it shares (`share_of`) and
    /// has nothing of its own to read (no text, link or media). Bluesky's reposts come so:
    /// the repost names its subject, whose text is elsewhere. There is nothing in it to
    /// score, so `scan` counts it apart from the posts it scores; it is still an action of
    /// its account, which networks read (many accounts sharing one post within seconds).
    pub fn is_reference_only(&self) -> bool {
        self.share_of.as_deref().is_some_and(|s| !s.is_empty())
            && self.text.trim().is_empty()
            && self.urls.is_empty()
            && self.media.is_empty()
    }
}

/// A reference to an image, video or file attached to a post or used as an avatar, or to
/// a link card (kind [`MediaRef::LINK`]): the preview of a linked page that a post shows,
/// whose title and description are its `alt`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    /// `image`, `video`, `file`, `link` (a link card) or the source's own word.
    #[serde(default)]
    pub kind: String,
    /// Where the media is: a URL or a path relative to the export (a link card's: the
    /// linked page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Hex SHA-256 of the file when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Hex PDQ hash when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdq: Option<String>,
    /// Its description as its poster wrote it (alt text: Bluesky's `alt`, a Mastodon
    /// attachment's `description`, Twitter's `alt_text`), scored on its own as the post's
    /// text is. A link card's is the linked page's title and description, as the post
    /// shows them, a line each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
}

impl MediaRef {
    /// The kind of a link card.
    pub const LINK: &'static str = "link";

    /// Its description, where it has one that is not blank.
    pub fn description(&self) -> Option<&str> {
        self.alt.as_deref().filter(|a| !a.trim().is_empty())
    }

    /// Whether it is a link card, not a file.
    pub fn is_link_card(&self) -> bool {
        self.kind == Self::LINK
    }

    /// The card a post shows for the page at `url`: its `title` and `description`, a line
    /// each (either may be missing). `None` where both are missing or blank: a card with
    /// no words adds nothing the post's links do not hold.
    pub fn link_card(
        url: Option<&str>,
        title: Option<&str>,
        description: Option<&str>,
    ) -> Option<Self> {
        let mut words: Vec<&str> = [title, description]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .collect();
        // Pages whose description repeats the title show it once.
        words.dedup();
        if words.is_empty() {
            return None;
        }
        Some(MediaRef {
            kind: Self::LINK.into(),
            url: url
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_string),
            alt: Some(words.join("\n")),
            ..Default::default()
        })
    }
}

/// The state of an account on its platform.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    #[default]
    Active,
    Suspended,
    Deleted,
    Unknown,
}

/// An account (user, channel) on some platform.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// The platform's id for the account (or its handle where no id is known).
    pub id: String,
    #[serde(default)]
    pub platform: String,
    /// The @-name, without the `@`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    /// Unix seconds, UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<MediaRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<u64>,
    #[serde(default)]
    pub status: AccountStatus,
    /// Ids of the accounts this one follows (friends, subscriptions), when the source has
    /// them. Linking compares them with suspended accounts' follows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub follows: Vec<String>,
}

impl Account {
    /// Fill what this record of an account leaves out from `old`, a record of the same
    /// account read or stored before: a source may give an account in parts (Bluesky's
    /// firehose gives the handle in one event, the display name and bio in another, a
    /// suspension in a third). What this record gives wins. A record that says nothing of
    /// the status (active is the default) keeps the one before. `true` where that filled
    /// in text of the profile (its handle, name or bio).
    pub fn fill_from(&mut self, old: Account) -> bool {
        let mut filled_text = false;
        let mut fill = |new: &mut Option<String>, old: Option<String>| {
            if new.is_none() && old.is_some() {
                *new = old;
                filled_text = true;
            }
        };
        fill(&mut self.handle, old.handle);
        fill(&mut self.display_name, old.display_name);
        fill(&mut self.bio, old.bio);
        self.created_at = self.created_at.or(old.created_at);
        self.avatar = self.avatar.take().or(old.avatar);
        self.followers = self.followers.or(old.followers);
        if self.follows.is_empty() {
            self.follows = old.follows;
        }
        if self.status == AccountStatus::Active {
            self.status = old.status;
        }
        filled_text
    }

    /// The profile text a text model can score: display name, handle and bio.
    pub fn profile_text(&self) -> String {
        let parts = [&self.display_name, &self.handle, &self.bio];
        let mut out = String::new();
        for p in parts.into_iter().flatten() {
            if !p.is_empty() {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(p);
            }
        }
        out
    }
}

/// One record read from an input: a post or an account profile. Boxed, so that a record
/// handed along a reader's and a scanner's calls moves a pointer, not a few hundred bytes
/// (a post's moves were about 3% of a scan's time).
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Post(Box<Post>),
    Account(Box<Account>),
}

/// A span of an original text, in UTF-8 byte offsets, with why it matters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextSpan {
    /// Byte offset of the first byte in the original text.
    pub start: usize,
    /// Byte offset one past the last byte in the original text.
    pub end: usize,
    /// The original text of the span, as posted.
    pub text: String,
    /// The feature the model saw there, in normalised form (e.g. `w:dawla`, `c:خلاف`).
    pub feature: String,
    /// How much this span moved the score (log-odds contribution).
    pub weight: f32,
    /// The post's medium (its index in `media`) whose description (alt text) the span is
    /// in, its offsets then in that description; `None` for the post's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<u32>,
}

/// Evidence a reviewer can read for one signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// Spans of text that drove a text model's score.
    TextSpans { spans: Vec<TextSpan> },
    /// A free-text note, for detectors whose evidence is not a span.
    Note { text: String },
}

/// What one detector says about one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// The detector's name, e.g. `text.linear`.
    pub detector: String,
    /// A calibrated probability in [0, 1] that the item is propaganda.
    pub score: f32,
    /// Whether the score passed the detector's threshold.
    pub flagged: bool,
    pub evidence: Vec<Evidence>,
}

/// Where a diagnostic points: a file (or `-` for stdin) and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub file: String,
    /// 1-based line number; 0 when the problem concerns the whole file.
    pub line: u64,
}

/// Written for a person to read: a file name from the input (an archive's member) with a
/// control character in it is escaped (see [`printable`]).
impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = printable(&self.file);
        if self.line == 0 {
            write!(f, "{file}")
        } else {
            write!(f, "{file}:{}", self.line)
        }
    }
}

/// A problem with the input that did not stop the run: the record was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    #[serde(flatten)]
    pub at: Location,
    pub message: String,
}

impl Diagnostic {
    pub fn new(file: impl Into<String>, line: u64, message: impl Into<String>) -> Self {
        Diagnostic {
            at: Location {
                file: file.into(),
                line,
            },
            message: message.into(),
        }
    }
}

/// Written for a person to read: its file and message on one line, with what the input
/// put in them that could drive a terminal escaped (see [`printable`]): a message quotes
/// a value of the record now and then (an unknown status, a field's name).
impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, printable(&self.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_could_drive_a_terminal_is_escaped() {
        // An escape sequence, a line break, a right-to-left override: escaped.
        assert_eq!(
            printable("id\u{1b}[2J\nFAKE\u{202e}gpj"),
            "id\\u{1b}[2J\\u{a}FAKE\\u{202e}gpj"
        );
        assert_eq!(printable_lines("a\nb\tc\u{9b}d\r"), "a\nb\tc\\u{9b}d\\u{d}");
        // Arabic, emoji and the marks that only say a direction are shown as they are.
        let ok = "جنود الخلافة 🙂 \u{200f}x";
        assert!(matches!(printable(ok), std::borrow::Cow::Borrowed(_)));
        // A diagnostic is one line, whatever its file and message hold.
        let d = Diagnostic::new("a\nb.json", 3, "unknown status `\u{1b}]52;c;x\u{7}`");
        let shown = d.to_string();
        assert_eq!(shown.lines().count(), 1, "{shown}");
        assert!(!shown.contains('\u{1b}'), "{shown}");
        assert!(
            shown.starts_with("a\\u{a}b.json:3: unknown status"),
            "{shown}"
        );
    }

    #[test]
    fn a_link_card_holds_the_pages_words_a_line_each() {
        let c = MediaRef::link_card(
            Some("https://news.example/a"),
            Some(" A title "),
            Some("What the page says"),
        )
        .unwrap();
        assert!(c.is_link_card());
        assert_eq!(c.url.as_deref(), Some("https://news.example/a"));
        assert_eq!(c.description(), Some("A title\nWhat the page says"));
        // Either alone; a description that repeats the title once.
        let t = MediaRef::link_card(None, Some("T"), Some("  ")).unwrap();
        assert_eq!((t.url, t.alt.as_deref()), (None, Some("T")));
        let d = MediaRef::link_card(Some(""), None, Some("D")).unwrap();
        assert_eq!((d.url, d.alt.as_deref()), (None, Some("D")));
        let same = MediaRef::link_card(None, Some("Same"), Some("Same")).unwrap();
        assert_eq!(same.alt.as_deref(), Some("Same"));
        // No words, no card: the post's links hold the address.
        assert_eq!(
            MediaRef::link_card(Some("https://x.example"), None, Some(" ")),
            None
        );
        assert!(!MediaRef {
            kind: "image".into(),
            ..Default::default()
        }
        .is_link_card());
    }

    #[test]
    fn a_cut_ends_at_a_character_and_within_the_bound() {
        assert_eq!(cut_at_char("abc", 10), "abc");
        assert_eq!(cut_at_char("abc", 2), "ab");
        // «ق» is two bytes: a cut inside it drops it.
        assert_eq!(cut_at_char("aقb", 2), "a");
        assert_eq!(cut_at_char("aقb", 3), "aق");
        assert_eq!(cut_at_char("", 0), "");
    }

    #[test]
    fn profile_text_joins_present_fields_only() {
        let a = Account {
            id: "1".into(),
            handle: Some("abu_x".into()),
            bio: Some("news".into()),
            ..Default::default()
        };
        assert_eq!(a.profile_text(), "abu_x\nnews");
    }

    #[test]
    fn diagnostic_displays_file_and_line() {
        let d = Diagnostic::new("in.jsonl", 7, "not JSON");
        assert_eq!(d.to_string(), "in.jsonl:7: not JSON");
        assert_eq!(
            Diagnostic::new("in.jsonl", 0, "empty").to_string(),
            "in.jsonl: empty"
        );
    }

    #[test]
    fn evidence_serialises_with_kind_tag() {
        let e = Evidence::Note { text: "x".into() };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"kind":"note","text":"x"}"#
        );
    }
}

/// The first `max` bytes of `s` or fewer, cut at a character's end: a name or key of
/// untrusted length kept to a bound without splitting a character.
pub fn cut_at_char(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Whether a character can act on a terminal or on the order in which a line is shown,
/// rather than show as itself: a control character (C0, DEL, C1: escape sequences, line
/// breaks, carriage returns) or a bidirectional embedding, override or isolate
/// (U+202A–U+202E, U+2066–U+2069), which can make a line read in another order.
fn acts(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` as it may be written on a terminal within a line: every character that [`acts`]
/// (an escape sequence's ESC, a line break, a right-to-left override) written as
/// `\u{..}`, so that an id, a name or a file name from untrusted input can neither drive
/// the reader's terminal nor forge a line of a report. `s` itself where nothing acts.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    escape_where(s, acts)
}

/// [`printable`] for a block of lines: line breaks and tabs kept, every other character
/// that acts escaped.
pub fn printable_lines(s: &str) -> std::borrow::Cow<'_, str> {
    escape_where(s, |c| c != '\n' && c != '\t' && acts(c))
}

fn escape_where(s: &str, escape: impl Fn(char) -> bool) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(&escape) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if escape(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Scanning JSON string contents, for the reader's fast path and the report writers.
pub mod json {
    /// The length of `b`'s run of plain string bytes (up to the first `"`, `\` or
    /// control character below 0x20, which end a JSON string or need an escape), and
    /// whether any byte of the run is 0x80 or above (not ASCII, so to be checked as UTF-8).
    ///
    /// Sixteen bytes a step with SSE2, which every x86-64 processor has; the last step
    /// reads the last sixteen bytes again, those already seen masked off. Shorter slices
    /// (an id, a platform name, a word of evidence) and other processors go byte by byte.
    /// A property test holds both to the byte-by-byte definition.
    #[inline]
    pub fn plain_run(b: &[u8]) -> (usize, bool) {
        #[cfg(target_arch = "x86_64")]
        if b.len() >= 16 {
            let mut i = 0;
            let mut high = false;
            loop {
                let (from, skip) = if i + 16 <= b.len() {
                    (i, 0)
                } else if i < b.len() {
                    (b.len() - 16, i + 16 - b.len())
                } else {
                    return (i, high);
                };
                let (stops, hi) = block16(&b[from..from + 16]);
                let (stops, hi) = (stops >> skip, hi >> skip);
                if stops != 0 {
                    let n = stops.trailing_zeros();
                    return (i + n as usize, high | (hi & ((1 << n) - 1) != 0));
                }
                high |= hi != 0;
                i += 16 - skip;
            }
        }
        plain_run_bytes(b)
    }

    /// [`plain_run`] byte by byte: the definition.
    pub fn plain_run_bytes(b: &[u8]) -> (usize, bool) {
        let mut high = false;
        for (i, &c) in b.iter().enumerate() {
            if c < 0x20 || c == b'"' || c == b'\\' {
                return (i, high);
            }
            high |= c >= 0x80;
        }
        (b.len(), high)
    }

    /// Sixteen bytes: a bit for each that is a stop, and one for each of 0x80 or above.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn block16(b: &[u8]) -> (u32, u32) {
        use std::arch::x86_64::*;
        assert_eq!(b.len(), 16);
        // SAFETY: SSE2 is part of x86-64, so its instructions are always there; the load
        // is unaligned and reads exactly the 16 bytes of `b`.
        unsafe {
            let v = _mm_loadu_si128(b.as_ptr().cast::<__m128i>());
            // A byte below 0x20: its unsigned minimum with 0x1f is itself.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            let stops = _mm_or_si128(control, _mm_or_si128(quote, backslash));
            (_mm_movemask_epi8(stops) as u32, _mm_movemask_epi8(v) as u32)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use proptest::prelude::*;

        fn bytes() -> impl Strategy<Value = Vec<u8>> {
            // Mostly plain bytes, ASCII and not, with the stops and the bytes next to
            // them (0x1f, 0x20, 0x7f, 0x80) sprinkled in; lengths across the 16-byte steps.
            proptest::collection::vec(
                prop_oneof![
                    8 => 0x20u8..0x7f,
                    2 => 0x80u8..=0xff,
                    1 => prop_oneof![
                        Just(b'"'),
                        Just(b'\\'),
                        Just(0x1fu8),
                        Just(0x20u8),
                        Just(0x7fu8),
                        Just(0x80u8),
                        0u8..0x20
                    ],
                ],
                0..80,
            )
        }

        proptest! {
            #[test]
            fn plain_run_is_the_byte_by_byte_run(b in bytes(), from in 0usize..20) {
                let b = &b[from.min(b.len())..];
                prop_assert_eq!(plain_run(b), plain_run_bytes(b));
            }
        }

        #[test]
        fn plain_run_stops_where_json_needs_an_escape() {
            assert_eq!(plain_run(b"abc"), (3, false));
            assert_eq!(plain_run("سلام\"".as_bytes()), (8, true));
            let long = format!("{}\n{}", "a".repeat(20), "ب".repeat(10));
            assert_eq!(plain_run(long.as_bytes()), (20, false));
            let tail = format!("{}é", "a".repeat(30));
            assert_eq!(plain_run(tail.as_bytes()), (32, true));
            let quote_last = format!("{}\"", "a".repeat(16));
            assert_eq!(plain_run(quote_last.as_bytes()), (16, false));
            assert_eq!(plain_run(&[0x7f; 17]), (17, false));
            assert_eq!(plain_run(&[0x1f; 17]), (0, false));
        }
    }
}

/// Hints to the CPU and the kernel for hot loops.
pub mod hint {
    /// Ask the CPU to start loading the cache lines that hold `v`, so that a later read
    /// finds them in cache. A hint only: it reads nothing into the program, never faults
    /// and changes nothing.
    #[inline(always)]
    pub fn prefetch<T>(v: &T) {
        #[cfg(target_arch = "x86_64")]
        {
            let p = v as *const T as *const i8;
            let size = std::mem::size_of::<T>().max(1);
            // Every 64 bytes from the start, and the last byte: a value not aligned to a
            // line ends in one the steps would miss.
            for off in (0..size).step_by(64).chain((size > 64).then_some(size - 1)) {
                // SAFETY: a prefetch is only a hint to the cache and cannot fault, even
                // for an address outside any mapping.
                unsafe {
                    std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                        p.wrapping_add(off),
                    )
                };
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = v;
    }

    /// Ask the kernel to back a vector's buffer (all its capacity) with huge pages where
    /// it has them. For tables read at random all through a scan (per-account counts):
    /// with 4 KiB pages nearly every such read misses the TLB too. A hint only: contents
    /// stay as they are, and it does nothing off Linux or for buffers under 4 MiB.
    pub fn huge_pages<T>(v: &Vec<T>) {
        #[cfg(target_os = "linux")]
        {
            const HUGE: usize = 2 << 20;
            let start = v.as_ptr() as usize;
            let end = start + v.capacity() * std::mem::size_of::<T>();
            let (a, b) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
            if b >= a + HUGE {
                // SAFETY: the range lies inside the vector's own allocation, and
                // MADV_HUGEPAGE changes how it is backed, never what it holds.
                unsafe { libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_HUGEPAGE) };
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = v;
    }
}

/// Maps keyed by a 64-bit hash the caller has already computed (a token's or an account's
/// key), so the map does not hash again.
pub mod hashed {
    /// A hasher that passes a `u64` key through unchanged.
    #[derive(Default, Clone, Copy)]
    pub struct KeyIsHash(u64);

    impl std::hash::Hasher for KeyIsHash {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for &b in bytes {
                self.0 = self.0.rotate_left(8) ^ b as u64;
            }
        }
        fn write_u64(&mut self, n: u64) {
            self.0 = n;
        }
    }

    /// A map from a precomputed 64-bit hash to `V`.
    pub type U64Map<V> =
        std::collections::HashMap<u64, V, std::hash::BuildHasherDefault<KeyIsHash>>;
}
