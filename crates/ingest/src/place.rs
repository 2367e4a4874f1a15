//! Where a document's posts were made, when the document says so once, before its
//! records: a DiscordChatExporter channel's `guild` and `channel` (names, and the ids its
//! messages' links are made of), an Element export's `room_name`. Found in the document's
//! first bytes and carried on each record's line.

use serde::Deserialize;

/// What a document says once of all its records.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Context {
    /// Where they were posted: a channel's `Server / #channel` (`#channel` where the server
    /// has no name), a room's name.
    pub place: Option<String>,
    /// The start of each record's page, its id to follow: a Discord channel's
    /// `https://discord.com/channels/GUILD/CHANNEL/` (`@me` for a direct message's).
    pub link_base: Option<String>,
}

/// What the head of a document (its first bytes, `head`) says of its records, for its
/// reader's `format`. `None` where it says nothing before its `messages`.
pub(crate) fn of_document(head: &[u8], format: crate::Format) -> Option<Context> {
    #[derive(Deserialize)]
    struct Named {
        #[serde(default)]
        id: Option<serde_json::Value>,
        #[serde(default)]
        name: Option<String>,
    }
    #[derive(Deserialize)]
    struct Head {
        #[serde(default)]
        guild: Option<Named>,
        #[serde(default)]
        channel: Option<Named>,
        #[serde(default)]
        room_name: Option<String>,
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    // The members before `messages`, closed into an object of their own: at the first
    // `"messages"` that gives one (one inside a string does not).
    let h: Head = memchr::memmem::find_iter(head, b"\"messages\"")
        .take(64)
        .find_map(|at| {
            let mut doc = head[..at].to_vec();
            doc.extend_from_slice(b"\"messages\":[]}");
            serde_json::from_slice(&doc).ok()
        })?;
    let trimmed = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    // A snowflake, as a string or a number.
    let id = |n: &Option<Named>| -> Option<String> {
        let s = match n.as_ref()?.id.as_ref()? {
            serde_json::Value::String(s) => s.trim().to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return None,
        };
        // A snowflake has at most 20 digits; a longer one is no id.
        ((1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
    };
    let c = match format {
        crate::Format::Discord => {
            let link_base = match (id(&h.guild), id(&h.channel)) {
                // Direct messages are in no server: DiscordChatExporter gives them guild 0.
                (Some(g), Some(c)) if g == "0" => {
                    Some(format!("https://discord.com/channels/@me/{c}/"))
                }
                (Some(g), Some(c)) => Some(format!("https://discord.com/channels/{g}/{c}/")),
                _ => None,
            };
            let channel = trimmed(h.channel.and_then(|c| c.name));
            let place = channel.map(|channel| match trimmed(h.guild.and_then(|g| g.name)) {
                Some(g) => format!("{g} / #{channel}"),
                None => format!("#{channel}"),
            });
            Context { place, link_base }
        }
        crate::Format::Matrix => Context {
            place: trimmed(h.room_name),
            link_base: None,
        },
        _ => return None,
    };
    (c != Context::default()).then_some(c)
}

/// The prefix of each record's line of a document with a [`Context`]:
/// [`crate::FIELD_SEP`], the place, the link base, each followed by the separator (empty
/// where not known; a JSON line never starts with it).
pub(crate) fn prefix(c: &Context) -> Vec<u8> {
    let mut out = vec![crate::FIELD_SEP];
    crate::push_field(&mut out, c.place.as_deref().unwrap_or_default());
    crate::push_field(&mut out, c.link_base.as_deref().unwrap_or_default());
    out
}

/// A line's place and link base (where it starts with a [`prefix`]), and the record after
/// it.
pub(crate) type Split<'a> = (Option<&'a str>, Option<&'a str>, &'a [u8]);

/// See [`Split`].
pub(crate) fn split(line: &[u8]) -> Result<Split<'_>, String> {
    let Some((&crate::FIELD_SEP, mut rest)) = line.split_first() else {
        return Ok((None, None, line));
    };
    let mut field = || -> Result<Option<&str>, String> {
        let end = memchr::memchr(crate::FIELD_SEP, rest).ok_or("a line's context is not closed")?;
        let s =
            std::str::from_utf8(&rest[..end]).map_err(|_| "invalid UTF-8 in a line's context")?;
        rest = &rest[end + 1..];
        Ok((!s.is_empty()).then_some(s))
    };
    let place = field()?;
    let link_base = field()?;
    Ok((place, link_base, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Format;

    fn place(head: &[u8], f: Format) -> Option<String> {
        of_document(head, f).and_then(|c| c.place)
    }

    /// Each record's line carries the place cut to a few hundred bytes, at a character's
    /// end: a channel named with a record's worth of text is not copied onto every message.
    #[test]
    fn a_lines_place_is_bounded() {
        let long = "ق".repeat(10_000);
        let line = prefix(&Context {
            place: Some(long.clone()),
            link_base: Some("https://discord.com/channels/1/2/".into()),
        });
        let (place, base, rest) = split(&line).unwrap();
        let place = place.unwrap();
        assert!(place.len() <= crate::LINE_NAME_MAX && long.starts_with(place));
        assert_eq!(base, Some("https://discord.com/channels/1/2/"));
        assert!(rest.is_empty());
        let huge_id = format!(
            r#"{{"guild":{{"id":"{}","name":"g"}},"channel":{{"id":"2","name":"c"}},"messages":["#,
            "1".repeat(40)
        );
        assert_eq!(
            of_document(huge_id.as_bytes(), Format::Discord).and_then(|c| c.link_base),
            None,
            "no snowflake has forty digits"
        );
    }

    #[test]
    fn a_documents_head_names_its_place_and_its_links() {
        let dce = br#"{"guild":{"id":"1","name":"Example server"},"channel":{"id":"2","name":"general"},"messages":[{"id":"3""#;
        assert_eq!(
            of_document(dce, Format::Discord),
            Some(Context {
                place: Some("Example server / #general".into()),
                link_base: Some("https://discord.com/channels/1/2/".into()),
            })
        );
        // A direct message: guild 0, the links under `@me`.
        let dm = br#"{"guild":{"id":"0","name":"Direct Messages"},"channel":{"id":77,"name":"someone"},"messages":["#;
        assert_eq!(
            of_document(dm, Format::Discord)
                .and_then(|c| c.link_base)
                .as_deref(),
            Some("https://discord.com/channels/@me/77/")
        );
        // `"messages"` as a string first: the head is cut at the key.
        let tricky =
            br#"{"guild":{"name":"g"},"channel":{"name":"c","topic":"messages"},"messages":["#;
        assert_eq!(place(tricky, Format::Discord).as_deref(), Some("g / #c"));
        let element =
            b"{\n \"room_name\": \"Example room\",\n \"topic\": \"\",\n \"messages\": [\n";
        assert_eq!(
            place(element, Format::Matrix).as_deref(),
            Some("Example room")
        );
        assert_eq!(of_document(element, Format::Discord), None);
        assert_eq!(of_document(b"{\"messages\":[]}", Format::Discord), None);
        assert_eq!(of_document(b"[{\"id\":1}]", Format::Matrix), None);
        // A place's line breaks and separators do not break the line it prefixes.
        let mut line = prefix(&Context {
            place: Some("a\nb\u{1f}c".into()),
            link_base: None,
        });
        line.extend_from_slice(b"{}");
        assert_eq!(split(&line).unwrap(), (Some("a b c"), None, &b"{}"[..]));
        assert_eq!(split(b"{}").unwrap(), (None, None, &b"{}"[..]));
        assert!(split(b"\x1fnever closed").is_err());
    }
}
