//! Matrix rooms (Element and other clients): the JSON an Element "Export chat" writes (the
//! room's `messages`, each a Matrix event), what the client-server and Synapse admin APIs
//! return (`chunk`), or events one per line.
//!
//! - `m.room.message` (text, notice, emote, and media with or without a caption): a post,
//!   its id the `event_id`, its account the `sender`; an edit (an event of its own) reads
//!   as the new text, its `first_version` the message it edits, and a message not an
//!   edit is its own first version (any message may be edited later); a reply without
//!   the quote of what it answers.
//! - `m.room.member` with a display name or avatar: the member's account.
//! - `m.room.encrypted`: a diagnostic (what the export could not decrypt cannot be read).
//! - Other events (state, reactions, redactions, redacted messages): passed over.

use std::borrow::Cow;

use raqib_model::{Account, MediaRef, Post, Record};
use serde::Deserialize;
use serde_json::{Map, Value};

const PLATFORM: &str = "matrix";

type Object = Map<String, Value>;

fn str_of<'a>(o: &'a Object, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A user's handle: the id without its sigil (`alice:example.org`).
fn handle(user: &str) -> String {
    user.strip_prefix('@').unwrap_or(user).to_string()
}

/// A reply's body without the quote of what it answers: the `> ` lines it opens with and
/// the blank line after them, as clients write the fallback.
fn without_reply_quote(body: &str) -> &str {
    let mut rest = body;
    let mut quoted = false;
    while let Some(line_end) = rest.starts_with("> ").then(|| rest.find('\n')).flatten() {
        rest = &rest[line_end + 1..];
        quoted = true;
    }
    if quoted {
        rest.strip_prefix('\n').unwrap_or(rest)
    } else {
        body
    }
}

/// The event's page, `https://matrix.to/#/ROOM/EVENT`, which every Matrix client opens:
/// where the room's id (`!…:server`) and the event's (`$…`) are ids, of the characters ids
/// are made of.
fn matrix_to(room: &str, event: &str) -> Option<String> {
    let id_chars = |s: &str| {
        s.len() <= 255
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!$:._-+/=~[]".contains(&b))
    };
    (room.starts_with('!') && event.starts_with('$') && id_chars(room) && id_chars(event))
        .then(|| format!("https://matrix.to/#/{room}/{event}"))
}

/// The parts of an event raqib reads; serde passes over the rest (`unsigned`, `hashes`,
/// signatures...) without building it.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    event_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    sender: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    room_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    state_key: Option<Cow<'a, str>>,
    #[serde(default)]
    origin_server_ts: Option<i64>,
    #[serde(default, borrow)]
    content: Option<Content<'a>>,
}

#[derive(Deserialize, Default)]
struct Content<'a> {
    #[serde(default, borrow)]
    msgtype: Option<Cow<'a, str>>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default, borrow)]
    filename: Option<Cow<'a, str>>,
    #[serde(default)]
    url: Option<String>,
    #[serde(rename = "m.new_content", default, borrow)]
    new_content: Option<Box<Content<'a>>>,
    #[serde(rename = "m.relates_to", default, borrow)]
    relates_to: Option<Relation<'a>>,
    #[serde(default)]
    displayname: Option<String>,
    #[serde(default)]
    avatar_url: Option<String>,
}

#[derive(Deserialize)]
struct Relation<'a> {
    #[serde(rename = "m.in_reply_to", default, borrow)]
    in_reply_to: Option<Reply<'a>>,
    /// `m.replace` on an edit, whose `event_id` is the message edited.
    #[serde(default, borrow)]
    rel_type: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    event_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Reply<'a> {
    #[serde(default, borrow)]
    event_id: Option<Cow<'a, str>>,
}

fn nonempty<T: AsRef<str>>(s: Option<T>) -> Option<T> {
    s.filter(|s| !s.as_ref().is_empty())
}

/// Read one Matrix event into its records; a member's account is given unless `seen`
/// says it was before.
pub(crate) fn parse_matrix_line(
    bytes: &[u8],
    mut seen: impl FnMut(&str) -> bool,
    mut out: impl FnMut(Record),
) -> Result<(), String> {
    let (place, _, bytes) = crate::place::split(bytes)?;
    let ev: Event = crate::parse_object(bytes, "a Matrix event")?;
    let kind = nonempty(ev.kind).ok_or("not a Matrix event: no `type`")?;
    let content = ev.content.unwrap_or_default();
    match &*kind {
        "m.room.message" => {
            let Content {
                msgtype,
                body,
                filename,
                url,
                new_content,
                relates_to,
                ..
            } = content;
            // An edit carries the new content; the event's own body is " * " and the text.
            let (msgtype, body, filename, url) = match new_content {
                Some(n) => (n.msgtype, n.body, n.filename, n.url),
                None => (msgtype, body, filename, url),
            };
            let Some(body) = body else {
                return Ok(()); // redacted: its content is gone
            };
            let id = nonempty(ev.event_id).ok_or("message has no `event_id`")?;
            let (reply_to, first_version) = match relates_to {
                Some(r) => {
                    let edited = r.rel_type.as_deref() == Some("m.replace");
                    (
                        nonempty(r.in_reply_to.and_then(|i| i.event_id)),
                        nonempty(r.event_id.filter(|_| edited)),
                    )
                }
                None => (None, None),
            };
            // Any message may be edited later, and its edits name it: it is its own first
            // version, so that they count with it.
            let first_version = first_version.or_else(|| Some(id.clone()));
            let msgtype = msgtype.unwrap_or(Cow::Borrowed("m.text"));
            let (text, media) = match &*msgtype {
                "m.image" | "m.video" | "m.audio" | "m.file" | "m.sticker" => {
                    // `body` is the file's name unless a `filename` is given: then it is
                    // the caption.
                    let caption = match filename {
                        Some(f) if *f != *body => body,
                        _ => String::new(),
                    };
                    let kind = msgtype.trim_start_matches("m.").to_string();
                    (
                        caption,
                        vec![MediaRef {
                            kind,
                            url: nonempty(url),
                            ..Default::default()
                        }],
                    )
                }
                _ if reply_to.is_some() => (without_reply_quote(&body).to_string(), Vec::new()),
                _ => (body, Vec::new()),
            };
            let permalink = ev.room_id.as_deref().and_then(|r| matrix_to(r, &id));
            out(Record::Post(Box::new(Post {
                id: id.into_owned(),
                platform: PLATFORM.into(),
                account: ev.sender.map(Cow::into_owned).unwrap_or_default(),
                created_at: ev.origin_server_ts.map(|ms| ms.div_euclid(1000)),
                text,
                lang: None,
                urls: Vec::new(),
                media,
                reply_to: reply_to.map(Cow::into_owned),
                share_of: None,
                first_version: first_version.map(Cow::into_owned),
                // The room's name where the export gives it, else its id: what a
                // homeserver's admins act on.
                place: place
                    .map(str::to_string)
                    .or_else(|| nonempty(ev.room_id.clone()).map(Cow::into_owned)),
                permalink,
                reach: None,
                label: None,
                category: None,
            })));
            Ok(())
        }
        "m.room.member" => {
            let user = nonempty(ev.state_key).or(nonempty(ev.sender));
            let name = nonempty(content.displayname);
            let avatar = nonempty(content.avatar_url);
            if let (Some(user), true) = (user, name.is_some() || avatar.is_some()) {
                if !seen(&user) {
                    out(Record::Account(Box::new(Account {
                        id: user.to_string(),
                        platform: PLATFORM.into(),
                        handle: Some(handle(&user)),
                        display_name: name,
                        avatar: avatar.map(|url| MediaRef {
                            kind: "image".into(),
                            url: Some(url),
                            ..Default::default()
                        }),
                        ..Default::default()
                    })));
                }
            }
            Ok(())
        }
        "m.room.encrypted" => Err(
            "an end-to-end encrypted event: its text cannot be read (export the room from a \
             client that holds its keys, as Element's export does)"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// Parse one Matrix event into its records.
pub fn parse_matrix(bytes: &[u8]) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    parse_matrix_line(bytes, |_| false, |r| out.push(r))?;
    Ok(out)
}

/// Whether a JSON object is a Matrix event: a `type` in the `m.` namespace and an
/// `event_id` or `origin_server_ts`.
pub(crate) fn looks_like_matrix(bytes: &[u8]) -> bool {
    let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(bytes) else {
        return false;
    };
    str_of(&o, "type").is_some_and(|t| t.starts_with("m."))
        && (o.contains_key("event_id") || o.contains_key("origin_server_ts"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::first_post as post;

    fn parse(json: &str) -> Vec<Record> {
        parse_matrix(json.as_bytes()).unwrap()
    }

    #[test]
    fn a_message_is_its_senders_post() {
        let recs = parse(
            r#"{"type":"m.room.message","sender":"@a:example.org","event_id":"$e1","room_id":"!r:example.org",
            "origin_server_ts":1793527200123,"content":{"msgtype":"m.text","body":"hello there",
            "format":"org.matrix.custom.html","formatted_body":"<b>hello</b> there"}}"#,
        );
        let p = post(&recs);
        assert_eq!(p.id, "$e1");
        assert_eq!(p.account, "@a:example.org");
        assert_eq!(p.platform, "matrix");
        assert_eq!(p.text, "hello there");
        assert_eq!(p.created_at, Some(1793527200));
        // Events from the API name no room: its id is the place, and the event's page is
        // the matrix.to link every client opens.
        assert_eq!(p.place.as_deref(), Some("!r:example.org"));
        assert_eq!(
            p.permalink.as_deref(),
            Some("https://matrix.to/#/!r:example.org/$e1")
        );
        // Ids that are no ids make no link.
        assert_eq!(matrix_to("!r:x", "$a b"), None);
        assert_eq!(matrix_to("r:x", "$e"), None);
        assert_eq!(matrix_to("!r:x\"><script>", "$e"), None);
    }

    #[test]
    fn replies_edits_and_media() {
        let recs = parse(
            r#"{"type":"m.room.message","sender":"@a:x","event_id":"$r","content":{"msgtype":"m.text",
            "body":"> <@b:x> the question\n> second line\n\nthe answer","m.relates_to":{"m.in_reply_to":{"event_id":"$q"}}}}"#,
        );
        let p = post(&recs);
        assert_eq!(p.text, "the answer");
        assert_eq!(p.reply_to.as_deref(), Some("$q"));

        let recs = parse(
            r#"{"type":"m.room.message","sender":"@a:x","event_id":"$ed","content":{"msgtype":"m.text","body":" * fixed",
            "m.new_content":{"msgtype":"m.text","body":"fixed"},"m.relates_to":{"rel_type":"m.replace","event_id":"$o"}}}"#,
        );
        assert_eq!(post(&recs).text, "fixed");
        // An edit is an event of its own: it names the message it edits, and the message,
        // which does not know it will be edited, names itself.
        assert_eq!(post(&recs).first_version.as_deref(), Some("$o"));
        assert_eq!(post(&parse(r#"{"type":"m.room.message","sender":"@a:x","event_id":"$o","content":{"msgtype":"m.text","body":"fixd"}}"#)).first_version.as_deref(), Some("$o"));

        let recs = parse(
            r#"{"type":"m.room.message","sender":"@a:x","event_id":"$i","content":{"msgtype":"m.image","body":"photo.png","url":"mxc://x/abc"}}"#,
        );
        let p = post(&recs);
        assert_eq!((p.text.as_str(), p.media[0].kind.as_str()), ("", "image"));
        assert_eq!(p.media[0].url.as_deref(), Some("mxc://x/abc"));
        let recs = parse(
            r#"{"type":"m.room.message","sender":"@a:x","event_id":"$c","content":{"msgtype":"m.video","body":"a caption","filename":"v.mp4","url":"mxc://x/v"}}"#,
        );
        assert_eq!(post(&recs).text, "a caption");
    }

    #[test]
    fn members_other_events_and_errors() {
        let recs = parse(
            r#"{"type":"m.room.member","sender":"@a:x","state_key":"@a:x","event_id":"$m","content":{"membership":"join","displayname":"Alice","avatar_url":"mxc://x/av"}}"#,
        );
        let Record::Account(a) = &recs[0] else {
            panic!()
        };
        assert_eq!((a.id.as_str(), a.handle.as_deref()), ("@a:x", Some("a:x")));
        assert_eq!(a.display_name.as_deref(), Some("Alice"));
        for other in [
            r#"{"type":"m.reaction","event_id":"$x","content":{}}"#,
            r#"{"type":"m.room.topic","event_id":"$x","content":{"topic":"t"}}"#,
            r#"{"type":"m.room.message","event_id":"$x","content":{}}"#,
        ] {
            assert!(parse(other).is_empty(), "{other}");
        }
        for (bad, why) in [
            (
                r#"{"type":"m.room.encrypted","event_id":"$x","content":{"ciphertext":"..."}}"#,
                "encrypted",
            ),
            (r#"{"event_id":"$x"}"#, "no `type`"),
            (
                r#"{"type":"m.room.message","content":{"body":"x"}}"#,
                "no `event_id`",
            ),
            ("[1]", "not a JSON object"),
        ] {
            let e = parse_matrix(bad.as_bytes()).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert!(looks_like_matrix(
            br#"{"type":"m.room.message","event_id":"$x"}"#
        ));
        assert!(!looks_like_matrix(
            br#"{"type":"post","id":"1","text":"x"}"#
        ));
    }
}
