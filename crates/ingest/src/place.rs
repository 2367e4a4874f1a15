//! Where a document's posts were made, when the document says so once, before its
//! records: a DiscordChatExporter channel's `guild` and `channel`, an Element export's
//! `room_name`. Found in the document's first bytes and carried on each record's line.

use serde::Deserialize;

/// Where the records of a document whose first bytes are `head` were posted, for its
/// reader's `format`: a DiscordChatExporter channel's `Server / #channel` (`#channel` where
/// the server has no name), an Element export's room name. `None` where the head names no
/// place before its `messages`.
pub(crate) fn of_document(head: &[u8], format: crate::Format) -> Option<String> {
    #[derive(Deserialize)]
    struct Named {
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
    match format {
        crate::Format::Discord => {
            let channel = trimmed(h.channel.and_then(|c| c.name))?;
            Some(match trimmed(h.guild.and_then(|g| g.name)) {
                Some(g) => format!("{g} / #{channel}"),
                None => format!("#{channel}"),
            })
        }
        crate::Format::Matrix => trimmed(h.room_name),
        _ => None,
    }
}

/// The prefix of each record's line of a document with a place: [`crate::FIELD_SEP`], the
/// place, and the separator again (a JSON line never starts with it).
pub(crate) fn prefix(place: &str) -> Vec<u8> {
    let mut out = vec![crate::FIELD_SEP];
    crate::push_field(&mut out, place);
    out
}

/// A line's place (where it starts with a [`prefix`]) and the record after it.
pub(crate) fn split(line: &[u8]) -> Result<(Option<&str>, &[u8]), String> {
    match line.split_first() {
        Some((&crate::FIELD_SEP, rest)) => {
            let end =
                memchr::memchr(crate::FIELD_SEP, rest).ok_or("a line's place is not closed")?;
            let place =
                std::str::from_utf8(&rest[..end]).map_err(|_| "invalid UTF-8 in the place")?;
            Ok((Some(place), &rest[end + 1..]))
        }
        _ => Ok((None, line)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Format;

    #[test]
    fn a_documents_head_names_its_place() {
        let dce = br#"{"guild":{"id":"1","name":"Example server"},"channel":{"id":"2","name":"general"},"messages":[{"id":"3""#;
        assert_eq!(
            of_document(dce, Format::Discord).as_deref(),
            Some("Example server / #general")
        );
        // `"messages"` as a string first: the head is cut at the key.
        let tricky =
            br#"{"guild":{"name":"g"},"channel":{"name":"c","topic":"messages"},"messages":["#;
        assert_eq!(
            of_document(tricky, Format::Discord).as_deref(),
            Some("g / #c")
        );
        let element =
            b"{\n \"room_name\": \"Example room\",\n \"topic\": \"\",\n \"messages\": [\n";
        assert_eq!(
            of_document(element, Format::Matrix).as_deref(),
            Some("Example room")
        );
        assert_eq!(of_document(element, Format::Discord), None);
        assert_eq!(of_document(b"{\"messages\":[]}", Format::Discord), None);
        assert_eq!(of_document(b"[{\"id\":1}]", Format::Matrix), None);
        // A place's line breaks and separators do not break the line it prefixes.
        let mut line = prefix("a\nb\u{1f}c");
        line.extend_from_slice(b"{}");
        assert_eq!(split(&line).unwrap(), (Some("a b c"), &b"{}"[..]));
        assert_eq!(split(b"{}").unwrap(), (None, &b"{}"[..]));
        assert!(split(b"\x1fnever closed").is_err());
    }
}
