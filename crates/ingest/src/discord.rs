//! Discord channels: what DiscordChatExporter writes as JSON (the `guild`, the `channel`
//! and its `messages`), the tool researchers and moderators use to keep a channel's
//! record, and messages as the Discord API returns them (a JSON array, or one a line).
//!
//! A message (type `Default` or `Reply`, or the API's 0 and 19) is a post: its `id`, its
//! author's account (once: name, nickname, avatar), `content` as text, attachments as
//! media, embedded links as URLs (their previews' title and description are the linked
//! page's words, not the author's: each preview is a link card medium, scored apart from
//! the text), the message it answers as `reply_to`. Other messages (joins,
//! pins, calls, thread starts) are passed over. The platform is `discord`.

use std::borrow::Cow;

use raqib_model::{Account, MediaRef, Post, Record};
use serde::Deserialize;

use crate::jsonl::Id;

const PLATFORM: &str = "discord";

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<Id<'a>>,
    /// DiscordChatExporter: `"Default"`, `"Reply"`...; the API: 0, 19...
    #[serde(rename = "type", default)]
    kind: Option<serde_json::Value>,
    #[serde(default, borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default, borrow)]
    author: Option<Author<'a>>,
    #[serde(default)]
    attachments: Vec<Attachment>,
    #[serde(default)]
    embeds: Vec<Embed>,
    #[serde(default, borrow)]
    reference: Option<Reference<'a>>,
    #[serde(default, borrow)]
    message_reference: Option<Reference<'a>>,
}

#[derive(Deserialize)]
struct Author<'a> {
    #[serde(borrow)]
    id: Option<Id<'a>>,
    #[serde(default, alias = "username")]
    name: Option<String>,
    #[serde(default, borrow)]
    discriminator: Option<Cow<'a, str>>,
    #[serde(default, alias = "global_name")]
    nickname: Option<String>,
    #[serde(rename = "avatarUrl", default)]
    avatar_url: Option<String>,
}

#[derive(Deserialize)]
struct Attachment {
    #[serde(default)]
    url: Option<String>,
    #[serde(rename = "fileName", alias = "filename", default)]
    file_name: Option<String>,
    #[serde(default)]
    content_type: Option<String>,
    /// Its description (alt text), as the API gives it.
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct Embed {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct Reference<'a> {
    #[serde(rename = "messageId", alias = "message_id", default, borrow)]
    message_id: Option<Id<'a>>,
}

/// What an attachment is, from its content type or its file name's extension.
fn media_kind(a: &Attachment) -> &'static str {
    let by_type = a.content_type.as_deref().and_then(|t| t.split('/').next());
    match by_type {
        Some("image") => return "image",
        Some("video") => return "video",
        Some("audio") => return "audio",
        _ => {}
    }
    let name = a
        .file_name
        .as_deref()
        .or(a.url.as_deref())
        .unwrap_or_default();
    let ext = name
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp" => "image",
        "mp4" | "webm" | "mov" | "mkv" | "avi" => "video",
        "mp3" | "ogg" | "wav" | "m4a" | "opus" => "audio",
        _ => "file",
    }
}

/// Whether a message's type is one a person wrote: DiscordChatExporter's `Default` and
/// `Reply`, the API's 0 and 19; a message without a type is taken as written.
fn written(kind: &Option<serde_json::Value>) -> bool {
    match kind {
        None | Some(serde_json::Value::Null) => true,
        Some(serde_json::Value::String(s)) => s == "Default" || s == "Reply",
        Some(serde_json::Value::Number(n)) => matches!(n.as_u64(), Some(0 | 19)),
        Some(_) => false,
    }
}

/// Read one Discord message into its records; its author's account is given unless
/// `seen` says it was before. A line may start with its channel's place
/// ([`crate::place::prefix`]).
pub(crate) fn parse_discord_line(
    bytes: &[u8],
    mut seen: impl FnMut(&str) -> bool,
    mut out: impl FnMut(Record),
) -> Result<(), String> {
    let (place, link_base, bytes) = crate::place::split(bytes)?;
    let m: Message = crate::parse_object(bytes, "a Discord message")?;
    if !written(&m.kind) {
        return Ok(());
    }
    let id =
        m.id.map(|i| i.0.into_owned())
            .filter(|i| !i.is_empty())
            .ok_or("message has no `id`")?;
    let mut account = String::new();
    if let Some(a) = m.author {
        if let Some(aid) = a.id.map(|i| i.0.into_owned()).filter(|i| !i.is_empty()) {
            if !seen(&aid) {
                // Names from before 2023 carry a discriminator (`name#1234`).
                let handle = match (a.name, a.discriminator.as_deref()) {
                    (Some(n), Some(d)) if !matches!(d, "" | "0" | "0000") => {
                        Some(format!("{n}#{d}"))
                    }
                    (n, _) => n,
                };
                out(Record::Account(Box::new(Account {
                    id: aid.clone(),
                    platform: PLATFORM.into(),
                    handle,
                    display_name: a.nickname,
                    avatar: a
                        .avatar_url
                        .filter(|u| u.starts_with("http"))
                        .map(|url| MediaRef {
                            kind: "image".into(),
                            url: Some(url),
                            ..Default::default()
                        }),
                    ..Default::default()
                })));
            }
            account = aid;
        }
    }
    // Its files, then the cards of the links it embeds (each page's title and
    // description: the page's words, scored apart from the author's).
    let media = m
        .attachments
        .iter()
        .map(|a| MediaRef {
            kind: media_kind(a).into(),
            url: a.url.clone(),
            alt: a.description.clone().filter(|d| !d.trim().is_empty()),
            ..Default::default()
        })
        .chain(m.embeds.iter().filter_map(|e| {
            MediaRef::link_card(
                e.url.as_deref(),
                e.title.as_deref(),
                e.description.as_deref(),
            )
        }))
        .collect();
    let permalink = link_base.map(|b| format!("{b}{id}"));
    out(Record::Post(Box::new(Post {
        id,
        platform: PLATFORM.into(),
        account,
        created_at: m.timestamp.as_deref().and_then(crate::parse_time),
        text: m.content.unwrap_or_default(),
        lang: None,
        urls: m.embeds.into_iter().filter_map(|e| e.url).collect(),
        media,
        reply_to: m
            .reference
            .or(m.message_reference)
            .and_then(|r| r.message_id)
            .map(|i| i.0.into_owned()),
        share_of: None,
        first_version: None,
        place: place.map(str::to_string),
        permalink,
        reach: None,
        label: None,
        category: None,
    })));
    Ok(())
}

/// Parse one Discord message into its records.
pub fn parse_discord(bytes: &[u8]) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    parse_discord_line(bytes, |_| false, |r| out.push(r))?;
    Ok(out)
}

/// Whether a JSON object is a Discord message: an `author` object with a
/// `discriminator`, or a `timestamp`, `content` and `author` object together.
pub(crate) fn looks_like_discord(bytes: &[u8]) -> bool {
    let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(bytes)
    else {
        return false;
    };
    let author = o.get("author").and_then(serde_json::Value::as_object);
    author.is_some_and(|a| a.contains_key("discriminator"))
        || (author.is_some() && o.contains_key("timestamp") && o.contains_key("content"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::first_post as post;

    #[test]
    fn an_exported_message_and_its_author() {
        let recs = parse_discord(
            br#"{"id":"1001","type":"Reply","timestamp":"2026-11-01T10:00:00.123+00:00","content":"hello there",
            "author":{"id":"77","name":"someone","discriminator":"1234","nickname":"Some One","isBot":false,
              "avatarUrl":"https://cdn.example/avatars/77.png"},
            "attachments":[{"id":"5","url":"https://cdn.example/a/clip.MP4?ex=1","fileName":"clip.MP4"}],
            "embeds":[{"title":"a page","url":"https://news.example/x","description":"the page's own words"}],
            "reference":{"messageId":"1000","channelId":"9"}}"#,
        )
        .unwrap();
        let Record::Account(a) = &recs[0] else {
            panic!()
        };
        assert_eq!(a.id, "77");
        assert_eq!(a.handle.as_deref(), Some("someone#1234"));
        assert_eq!(a.display_name.as_deref(), Some("Some One"));
        let p = post(&recs);
        assert_eq!((p.id.as_str(), p.account.as_str()), ("1001", "77"));
        assert_eq!(p.platform, "discord");
        assert_eq!(
            p.text, "hello there",
            "an embed's words are the page's, not the author's"
        );
        assert_eq!(p.urls, vec!["https://news.example/x"]);
        assert_eq!(p.media[0].kind, "video");
        assert_eq!(p.media[1].kind, "link", "the embed's card, after the files");
        assert_eq!(p.media[1].url.as_deref(), Some("https://news.example/x"));
        assert_eq!(
            p.media[1].description(),
            Some("a page\nthe page's own words")
        );
        assert_eq!(p.media.len(), 2);
        assert_eq!(p.reply_to.as_deref(), Some("1000"));
        assert_eq!(p.created_at, Some(1793527200));
    }

    #[test]
    fn api_messages_other_types_and_errors() {
        let recs = parse_discord(
            br#"{"id":"2","type":0,"content":"x","timestamp":"2026-11-01T10:00:00Z","channel_id":"9",
            "author":{"id":"8","username":"newname","discriminator":"0","global_name":"New","avatar":"abc123"},
            "attachments":[{"url":"https://cdn.example/f","filename":"f.bin","content_type":"image/png","description":"a poster"}],
            "message_reference":{"message_id":"1"}}"#,
        )
        .unwrap();
        let Record::Account(a) = &recs[0] else {
            panic!()
        };
        assert_eq!(
            a.handle.as_deref(),
            Some("newname"),
            "no discriminator since 2023"
        );
        assert!(a.avatar.is_none(), "the API's avatar is a hash, not a URL");
        let p = post(&recs);
        assert_eq!(p.media[0].kind, "image");
        assert_eq!(
            p.media[0].alt.as_deref(),
            Some("a poster"),
            "its description"
        );
        assert_eq!(p.reply_to.as_deref(), Some("1"));
        for other in [
            r#"{"id":"3","type":"GuildMemberJoin","content":"","author":{"id":"8"}}"#,
            r#"{"id":"3","type":7,"content":"","author":{"id":"8"}}"#,
        ] {
            assert!(
                parse_discord(other.as_bytes()).unwrap().is_empty(),
                "{other}"
            );
        }
        for (bad, why) in [
            (r#"{"content":"x"}"#, "no `id`"),
            ("[1]", "not a JSON object"),
            ("{\"id\":", "not a Discord message"),
        ] {
            let e = parse_discord(bad.as_bytes()).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert!(looks_like_discord(
            br#"{"id":"1","author":{"id":"2","discriminator":"0"}}"#
        ));
        assert!(!looks_like_discord(
            br#"{"id":"1","text":"x","account":"a"}"#
        ));
    }
}
