//! Telegram Desktop's JSON export (`result.json`): one chat (`messages` at the top) or a
//! whole account (`chats.list[].messages`). Message text is a string or a list of plain
//! strings and entity objects; links in entities become URLs.

use std::collections::HashSet;

use crate::Item;
use raqib_model::{Account, Diagnostic, MediaRef, Post, Record};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Export {
    #[serde(default)]
    chats: Option<ChatList>,
    #[serde(flatten)]
    chat: Chat,
}

#[derive(Deserialize)]
struct ChatList {
    #[serde(default)]
    list: Vec<Chat>,
}

#[derive(Deserialize, Default)]
struct Chat {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    messages: Vec<Value>,
}

fn value_id(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn flatten_text(v: &Value, text: &mut String, urls: &mut Vec<String>) {
    match v {
        Value::String(s) => text.push_str(s),
        Value::Array(parts) => parts.iter().for_each(|p| flatten_text(p, text, urls)),
        Value::Object(o) => {
            if let Some(Value::String(s)) = o.get("text") {
                text.push_str(s);
                match o.get("type").and_then(Value::as_str) {
                    Some("link") => urls.push(s.clone()),
                    Some("text_link") => {
                        if let Some(Value::String(h)) = o.get("href") {
                            urls.push(h.clone());
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

pub(crate) fn parse_document(
    bytes: &[u8],
    file: &str,
    platform: Option<&str>,
) -> Result<Vec<Item>, String> {
    let export: Export = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a Telegram Desktop export (result.json): {e}"))?;
    let mut chats = export.chats.map(|c| c.list).unwrap_or_default();
    if !export.chat.messages.is_empty() || chats.is_empty() {
        chats.push(export.chat);
    }
    let platform = platform.unwrap_or("telegram").to_string();
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for chat in chats {
        let chat_id = chat.id.as_ref().and_then(value_id).unwrap_or_default();
        for (i, m) in chat.messages.iter().enumerate() {
            let where_ = format!(
                "chat {:?} message #{} ",
                chat.name.as_deref().unwrap_or(&chat_id),
                i + 1
            );
            let Some(obj) = m.as_object() else {
                let d = Diagnostic::new(file, 0, format!("{where_}is not an object"));
                out.push((0, Err(d)));
                continue;
            };
            if obj
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t != "message")
            {
                continue; // service messages: joins, pins, calls.
            }
            let Some(id) = obj.get("id").and_then(value_id) else {
                out.push((
                    0,
                    Err(Diagnostic::new(file, 0, format!("{where_}has no id"))),
                ));
                continue;
            };
            let mut text = String::new();
            let mut urls = Vec::new();
            if let Some(t) = obj.get("text") {
                flatten_text(t, &mut text, &mut urls);
            }
            let from_id = obj
                .get("from_id")
                .and_then(value_id)
                .unwrap_or_else(|| chat_id.clone());
            let from = obj
                .get("from")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| chat.name.clone());
            let created_at = obj
                .get("date_unixtime")
                .and_then(value_id)
                .and_then(|s| s.parse().ok())
                .or_else(|| {
                    obj.get("date")
                        .and_then(Value::as_str)
                        .and_then(crate::parse_time)
                });
            let mut media = Vec::new();
            if let Some(p) = obj.get("photo").and_then(Value::as_str) {
                media.push(MediaRef {
                    kind: "image".into(),
                    url: Some(p.into()),
                    ..Default::default()
                });
            }
            if let Some(f) = obj.get("file").and_then(Value::as_str) {
                let kind = obj
                    .get("media_type")
                    .and_then(Value::as_str)
                    .unwrap_or("file");
                let kind = if kind.contains("video") || kind == "animation" {
                    "video"
                } else {
                    kind
                };
                media.push(MediaRef {
                    kind: kind.into(),
                    url: Some(f.into()),
                    ..Default::default()
                });
            }
            if text.is_empty() && media.is_empty() {
                continue;
            }
            if seen.insert(from_id.clone()) {
                out.push((
                    0,
                    Ok(Record::Account(Box::new(Account {
                        id: from_id.clone(),
                        platform: platform.clone(),
                        display_name: from,
                        ..Default::default()
                    }))),
                ));
            }
            let share_of = obj
                .get("forwarded_from")
                .and_then(Value::as_str)
                .map(|f| format!("forwarded:{f}"));
            out.push((
                0,
                Ok(Record::Post(Box::new(Post {
                    id: format!("{chat_id}/{id}"),
                    platform: platform.clone(),
                    account: from_id,
                    created_at,
                    text,
                    lang: None,
                    urls,
                    media,
                    reply_to: obj
                        .get("reply_to_message_id")
                        .and_then(value_id)
                        .map(|r| format!("{chat_id}/{r}")),
                    share_of,
                    reach: None,
                    label: None,
                }))),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_channel_export() {
        let doc = br#"{"name":"News","type":"public_channel","id":123,"messages":[
            {"id":1,"type":"service","action":"create_channel"},
            {"id":2,"type":"message","date":"2021-03-04T12:00:00","date_unixtime":"1614859200","from":"News","from_id":"channel123",
             "text":["see ",{"type":"link","text":"https://t.me/x"}," and ",{"type":"text_link","text":"this","href":"https://e.org/"}],
             "photo":"photos/p.jpg"},
            {"id":3,"type":"message","from_id":"channel123","text":"plain","reply_to_message_id":2},
            42]}"#;
        let recs = parse_document(doc, "result.json", None).unwrap();
        let posts: Vec<_> = recs
            .iter()
            .filter_map(|r| match &r.1 {
                Ok(Record::Post(p)) => Some(&**p),
                _ => None,
            })
            .collect();
        assert_eq!(posts.len(), 2);
        assert_eq!(posts[0].text, "see https://t.me/x and this");
        assert_eq!(posts[0].urls, vec!["https://t.me/x", "https://e.org/"]);
        assert_eq!(posts[0].created_at, Some(1614859200));
        assert_eq!(posts[0].media[0].kind, "image");
        assert_eq!(posts[1].reply_to.as_deref(), Some("123/2"));
        assert!(recs
            .iter()
            .any(|r| matches!(&r.1, Err(d) if d.message.contains("not an object"))));
    }
}
