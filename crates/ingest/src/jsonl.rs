//! raqib's own JSON Lines format, version 1 (`docs/format.md`): one post or account per
//! line. Unknown fields are ignored so that newer writers stay readable.

use std::borrow::Cow;

use raqib_model::{Account, AccountStatus, MediaRef, Post, Record, FORMAT_VERSION};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// An id that a producer may write as a string or as a number.
#[derive(Debug, Default)]
pub(crate) struct Id<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Id<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Id<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or integer id")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Id<'de>, E> {
                Ok(Id(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id<'de>, E> {
                Ok(Id(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Id<'de>, E> {
                Ok(Id(Cow::Owned(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id<'de>, E> {
                Ok(Id(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id<'de>, E> {
                Ok(Id(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// A timestamp written as a string in any shape [`crate::parse_time`] reads, or as Unix
/// seconds. An unreadable string is kept so the caller can report it.
#[derive(Debug)]
pub(crate) enum Time<'a> {
    Secs(i64),
    Text(Cow<'a, str>),
}

impl<'de: 'a, 'a> Deserialize<'de> for Time<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Time<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a timestamp string or Unix seconds")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Time<'de>, E> {
                Ok(Time::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Time<'de>, E> {
                Ok(Time::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Time<'de>, E> {
                i64::try_from(v)
                    .map(Time::Secs)
                    .map_err(|_| E::custom("timestamp out of range"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Time<'de>, E> {
                Ok(Time::Secs(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Time<'de>, E> {
                Ok(Time::Secs(v as i64))
            }
        }
        d.deserialize_any(V)
    }
}

impl Time<'_> {
    pub(crate) fn resolve(&self, field: &str) -> Result<i64, String> {
        match self {
            Time::Secs(s) => Ok(*s),
            Time::Text(t) => crate::parse_time(t)
                .ok_or_else(|| format!("`{field}` is not a timestamp I can read: {t:?} (use RFC 3339, e.g. 2024-01-31T12:00:00Z, or Unix seconds)")),
        }
    }
}

/// A label written as `1`/`0`, `true`/`false`, or a word such as `"propaganda"`.
#[derive(Debug)]
pub(crate) struct Label(pub Option<bool>);

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Label;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a label: 1, 0, true, false, or a word such as \"propaganda\"")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Label, E> {
                Ok(Label(Some(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Label, E> {
                match v {
                    0 => Ok(Label(Some(false))),
                    1 => Ok(Label(Some(true))),
                    _ => Err(E::custom(format!("label {v} is neither 0 nor 1"))),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Label, E> {
                self.visit_u64(u64::try_from(v).map_err(|_| E::custom("label is negative"))?)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Label, E> {
                parse_label(v).map(Label).map_err(E::custom)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Label, E> {
                Ok(Label(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Read a label cell: `1`, `0`, `true`, `false`, `yes`, `no`, `propaganda`, `benign`...;
/// empty is unknown.
pub fn parse_label(v: &str) -> Result<Option<bool>, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "" | "null" | "?" => Ok(None),
        "1" | "true" | "yes" | "y" | "pos" | "positive" | "propaganda" | "extremist"
        | "terrorist" => Ok(Some(true)),
        "0" | "false" | "no" | "n" | "neg" | "negative" | "benign" | "not_propaganda" | "ok" => {
            Ok(Some(false))
        }
        other => Err(format!("label {other:?} is not one I read: use 1 or 0")),
    }
}

#[derive(Deserialize, Debug)]
pub(crate) struct WireMedia<'a> {
    #[serde(default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    url: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    sha256: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pdq: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    alt: Option<Cow<'a, str>>,
}

impl WireMedia<'_> {
    fn into_model(self) -> MediaRef {
        MediaRef {
            kind: self.kind.map(Cow::into_owned).unwrap_or_default(),
            url: self.url.map(Cow::into_owned),
            sha256: self.sha256.map(Cow::into_owned),
            pdq: self.pdq.map(Cow::into_owned),
            alt: self.alt.map(Cow::into_owned),
        }
    }
}

/// Every field either record kind may carry; which are required depends on `type`.
#[derive(Deserialize, Debug, Default)]
pub(crate) struct Wire<'a> {
    #[serde(default)]
    pub(crate) raqib: Option<u32>,
    #[serde(default, rename = "type", borrow)]
    pub(crate) kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) id: Option<Id<'a>>,
    #[serde(default, borrow)]
    pub(crate) platform: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(crate) account: Option<Id<'a>>,
    #[serde(default, borrow)]
    pub(crate) created_at: Option<Time<'a>>,
    #[serde(default, borrow)]
    pub(crate) text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(crate) lang: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(crate) urls: Vec<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(crate) media: Vec<WireMedia<'a>>,
    #[serde(default, borrow)]
    pub(crate) reply_to: Option<Id<'a>>,
    #[serde(default, borrow)]
    pub(crate) share_of: Option<Id<'a>>,
    #[serde(default, borrow)]
    pub(crate) first_version: Option<Id<'a>>,
    #[serde(default, borrow)]
    pub(crate) place: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(crate) permalink: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(crate) reach: Option<u64>,
    #[serde(default)]
    pub(crate) label: Option<Label>,
    #[serde(default, borrow)]
    pub(crate) category: Option<Cow<'a, str>>,
    // Account fields.
    #[serde(default, borrow)]
    pub(crate) handle: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(crate) display_name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(crate) bio: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(crate) avatar: Option<WireMedia<'a>>,
    #[serde(default)]
    pub(crate) followers: Option<u64>,
    #[serde(default)]
    pub(crate) status: Option<AccountStatus>,
    #[serde(default, borrow)]
    pub(crate) follows: Vec<Id<'a>>,
}

fn owned(c: Option<Cow<'_, str>>) -> Option<String> {
    c.map(Cow::into_owned)
}

/// Parse one line of raqib JSON Lines. `Ok(None)` for a line that holds no record (a
/// header line `{"raqib":1}`); `Err` with a message a user can act on.
pub fn parse_raqib_line(
    line: &[u8],
    default_platform: Option<&str>,
) -> Result<Option<Record>, String> {
    // The fast path checks UTF-8 string by string as it reads; whatever it leaves (and
    // every error) goes through the whole-line check and serde_json.
    parse_raqib_line_reusing(line, default_platform, None)
}

/// [`parse_raqib_line`], filling `spare` (a post already read and done with) when the line
/// is a post: its strings keep their memory, so a stream of posts allocates none.
pub fn parse_raqib_line_reusing(
    line: &[u8],
    default_platform: Option<&str>,
    spare: Option<Box<Post>>,
) -> Result<Option<Record>, String> {
    let bytes = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if let Some(w) = crate::jsonfast::wire(bytes) {
        return from_wire(w, default_platform, spare);
    }
    parse_raqib_text(utf8_line(line)?, default_platform, false)
}

/// [`parse_raqib_line`] by serde_json alone, without the fast path: for the fuzz target
/// that checks the two agree.
#[doc(hidden)]
pub fn parse_raqib_line_serde(
    line: &[u8],
    default_platform: Option<&str>,
) -> Result<Option<Record>, String> {
    parse_raqib_text(utf8_line(line)?, default_platform, false)
}

fn utf8_line(line: &[u8]) -> Result<&str, String> {
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    std::str::from_utf8(line)
        .map_err(|e| format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()))
}

/// `parse_raqib_line` after the UTF-8 check; `fast` tries [`crate::jsonfast`] first.
pub(crate) fn parse_raqib_text(
    text: &str,
    default_platform: Option<&str>,
    fast: bool,
) -> Result<Option<Record>, String> {
    let fast = if fast {
        crate::jsonfast::wire(text.as_bytes())
    } else {
        None
    };
    let w: Wire = match fast {
        Some(w) => w,
        None => serde_json::from_str(text).map_err(|e| {
            let what = if e.is_syntax() || e.is_eof() {
                "not valid JSON"
            } else {
                "not a raqib record"
            };
            format!("{what}: {e}")
        })?,
    };
    from_wire(w, default_platform, None)
}

/// `dst` holding `src`, in the memory `dst` already has.
fn set(dst: &mut String, src: &str) {
    dst.clear();
    dst.push_str(src);
}

fn set_opt(dst: &mut Option<String>, src: Option<&str>) {
    match (dst.as_mut(), src) {
        (Some(d), Some(s)) => set(d, s),
        (_, s) => *dst = s.map(str::to_owned),
    }
}

/// The record a line's fields make; a post fills `spare` when given one.
fn from_wire(
    w: Wire<'_>,
    default_platform: Option<&str>,
    spare: Option<Box<Post>>,
) -> Result<Option<Record>, String> {
    if let Some(v) = w.raqib {
        if v > FORMAT_VERSION {
            return Err(format!(
                "record is raqib format version {v}; this build reads version {FORMAT_VERSION}: upgrade raqib"
            ));
        }
    }
    let kind = w.kind.as_deref().unwrap_or("post");
    let Some(id) = w.id else {
        if kind == "post" && w.text.is_none() && w.raqib.is_some() {
            return Ok(None);
        }
        return Err(format!("{kind} record has no `id`"));
    };
    let created_at = w
        .created_at
        .as_ref()
        .map(|t| t.resolve("created_at"))
        .transpose()?;
    if let (Some(mut p), "post") = (spare, kind) {
        let text = w.text.ok_or("post record has no `text`")?;
        let platform = w
            .platform
            .as_deref()
            .or(default_platform)
            .unwrap_or_default();
        let account = match (&w.account, &w.handle) {
            (Some(a), _) => &*a.0,
            (None, Some(h)) => &**h,
            (None, None) => "",
        };
        set(&mut p.id, &id.0);
        set(&mut p.platform, platform);
        set(&mut p.account, account);
        p.created_at = created_at;
        set(&mut p.text, &text);
        set_opt(&mut p.lang, w.lang.as_deref());
        p.urls.clear();
        p.urls.extend(w.urls.into_iter().map(Cow::into_owned));
        p.media.clear();
        p.media
            .extend(w.media.into_iter().map(WireMedia::into_model));
        set_opt(&mut p.reply_to, w.reply_to.as_ref().map(|i| &*i.0));
        set_opt(&mut p.share_of, w.share_of.as_ref().map(|i| &*i.0));
        set_opt(
            &mut p.first_version,
            w.first_version.as_ref().map(|i| &*i.0),
        );
        set_opt(&mut p.place, w.place.as_deref());
        set_opt(&mut p.permalink, w.permalink.as_deref());
        p.reach = w.reach;
        p.label = w.label.and_then(|l| l.0);
        set_opt(&mut p.category, w.category.as_deref());
        return Ok(Some(Record::Post(p)));
    }
    let platform = owned(w.platform)
        .or_else(|| default_platform.map(str::to_owned))
        .unwrap_or_default();
    match kind {
        "post" => {
            let text = w.text.ok_or("post record has no `text`")?;
            let account = w
                .account
                .map(|a| a.0.into_owned())
                .or_else(|| owned(w.handle.clone()))
                .unwrap_or_default();
            Ok(Some(Record::Post(Box::new(Post {
                id: id.0.into_owned(),
                platform,
                account,
                created_at,
                text: text.into_owned(),
                lang: owned(w.lang),
                urls: w.urls.into_iter().map(Cow::into_owned).collect(),
                media: w.media.into_iter().map(WireMedia::into_model).collect(),
                reply_to: w.reply_to.map(|i| i.0.into_owned()),
                share_of: w.share_of.map(|i| i.0.into_owned()),
                first_version: w.first_version.map(|i| i.0.into_owned()),
                place: owned(w.place),
                permalink: owned(w.permalink),
                reach: w.reach,
                label: w.label.and_then(|l| l.0),
                category: owned(w.category),
            }))))
        }
        "account" => Ok(Some(Record::Account(Box::new(Account {
            id: id.0.into_owned(),
            platform,
            handle: owned(w.handle),
            display_name: owned(w.display_name),
            bio: owned(w.bio),
            created_at,
            avatar: w.avatar.map(WireMedia::into_model),
            followers: w.followers,
            status: w.status.unwrap_or_default(),
            follows: w.follows.into_iter().map(|i| i.0.into_owned()).collect(),
        })))),
        other => Err(format!(
            "unknown record type {other:?}: use \"post\" or \"account\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(line: &str) -> Post {
        match parse_raqib_line(line.as_bytes(), None) {
            Ok(Some(Record::Post(p))) => *p,
            other => panic!("expected a post, got {other:?}"),
        }
    }

    #[test]
    fn reads_a_full_post() {
        let p = post(
            r#"{"raqib":1,"type":"post","id":7,"platform":"x","account":"a1","created_at":"2024-01-31T12:00:00Z","text":"hi \u0627","lang":"ar","urls":["https://e.com"],"media":[{"kind":"image","sha256":"ab"}],"reply_to":"5","share_of":6,"reach":99,"label":1,"extra":{"ignored":true}}"#,
        );
        assert_eq!(p.id, "7");
        assert_eq!(p.text, "hi ا");
        assert_eq!(p.created_at, Some(1706702400));
        assert_eq!(p.share_of.as_deref(), Some("6"));
        assert_eq!(p.media[0].sha256.as_deref(), Some("ab"));
        assert_eq!(p.label, Some(true));
        assert_eq!(p.reach, Some(99));
    }

    #[test]
    fn reads_an_account() {
        let r = parse_raqib_line(
            br#"{"type":"account","id":"a1","handle":"abu","bio":"b","created_at":1700000000,"status":"suspended"}"#,
            Some("telegram"),
        )
        .unwrap();
        let Some(Record::Account(a)) = r else {
            panic!("{r:?}")
        };
        assert_eq!(a.platform, "telegram");
        assert_eq!(a.status, AccountStatus::Suspended);
        assert_eq!(a.created_at, Some(1700000000));
    }

    #[test]
    fn says_what_is_wrong() {
        let cases: &[(&[u8], &str)] = &[
            (b"{\"id\":1", "not valid JSON"),
            (b"[1,2]", "not a raqib record"),
            (b"{\"text\":\"x\"}", "no `id`"),
            (b"{\"id\":1}", "no `text`"),
            (
                b"{\"id\":1,\"text\":\"x\",\"created_at\":\"soon\"}",
                "not a timestamp",
            ),
            (b"{\"id\":1,\"text\":\"x\",\"label\":\"maybe\"}", "label"),
            (b"{\"raqib\":9,\"id\":1,\"text\":\"x\"}", "upgrade raqib"),
            (
                b"{\"id\":1,\"type\":\"poll\",\"text\":\"x\"}",
                "unknown record type",
            ),
            (b"{\"id\":1,\"text\":\"\xff\"}", "invalid UTF-8"),
        ];
        for (line, want) in cases {
            let err = parse_raqib_line(line, None).unwrap_err();
            assert!(
                err.contains(want),
                "{:?}: {err}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn header_line_is_not_a_record() {
        assert_eq!(parse_raqib_line(br#"{"raqib":1}"#, None), Ok(None));
    }
}
