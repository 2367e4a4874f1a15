//! Discord's data package ("Request all of my Data", Privacy & Safety): what Discord gives
//! an account's owner, and what the owner can give a researcher or an investigator. It
//! holds the messages the owner sent, one folder per channel:
//! `Messages/c<CHANNEL_ID>/messages.json` (a JSON array; `messages.csv` in packages before
//! 2024, `messages/` lower-case in older ones), each message an `ID` (Discord's snowflake,
//! the id the API and DiscordChatExporter give it), a `Timestamp` (`2021-10-13 15:35:46`,
//! UTC), its `Contents` and its `Attachments` (the attachments' CDN URLs, separated by
//! spaces). Every message is the owner's; the owner is in `Account/user.json` at the
//! package's root (`id`, `username`, `global_name`: a file of up to hundreds of megabytes,
//! streamed once per package for those three). A message is a post on `discord`: its id
//! the message's, its account the owner's id (as DiscordChatExporter's reader gives an
//! author), so the owner's messages in a package and in a channel's export make one
//! account. A message with neither text nor attachment (a deleted one, a call) is passed
//! over.

use raqib_model::{Account, MediaRef, Post, Record};
use serde::Deserialize;

use crate::jsonl::Id;

const PLATFORM: &str = "discord";

/// The account the messages are credited to where the package's owner is not found.
pub const UNKNOWN_OWNER: &str = "(owner of the package)";

/// The package's root for a channel's messages at `path` (`/`- or `\`-separated):
/// `ROOT/Messages/c<DIGITS>/messages.json` or `messages.csv` (compressed or not). The
/// folder above `Messages/`, with its `/` (empty where the path starts there); `None` for
/// any other path.
pub(crate) fn package_root(path: &str) -> Option<&str> {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let n = parts.len();
    if n < 3 {
        return None;
    }
    let base = crate::strip_compression_ext(parts[n - 1]).to_ascii_lowercase();
    let channel = parts[n - 2]
        .strip_prefix('c')
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    let ok = matches!(base.as_str(), "messages.json" | "messages.csv")
        && channel
        && parts[n - 3].eq_ignore_ascii_case("messages");
    if !ok {
        return None;
    }
    let len: usize = parts[..n - 3].iter().map(|p| p.len() + 1).sum();
    Some(&path[..len])
}

/// Whether the first bytes are a channel's messages of a data package: a JSON array of
/// objects with an `ID`, a `Timestamp` and `Contents`, or the CSV of older packages (its
/// header exactly `ID,Timestamp,Contents,Attachments`).
pub(crate) fn looks_like(head: &[u8]) -> bool {
    if is_csv(head) {
        return true;
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let s = String::from_utf8_lossy(head);
    s.trim_start().starts_with('[')
        && s.contains("\"ID\"")
        && s.contains("\"Timestamp\"")
        && s.contains("\"Contents\"")
}

/// Whether `head` is the CSV form (packages before 2024): its header line exactly
/// `ID,Timestamp,Contents,Attachments` (a CSV of other columns is read as CSV is).
pub(crate) fn is_csv(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let header = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let header = header.strip_suffix(b"\r").unwrap_or(header);
    header == b"ID,Timestamp,Contents,Attachments" && head.len() > header.len()
}

/// The fields of `Account/user.json` that name the owner; the rest (settings, payments,
/// relationships: most of the file) is skipped as it streams, never kept.
#[derive(Deserialize)]
struct User {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    discriminator: Option<serde_json::Value>,
    #[serde(default)]
    global_name: Option<String>,
}

/// The owners found so far, by package: a package's channels are many files, its
/// `user.json` one, and large.
static OWNERS: crate::beside::Memo<Option<Account>> = crate::beside::Memo::new();

/// The package's owner, from `Account/user.json` (`account/` in older packages) at its
/// root, two folders above `beside` (the channel's folder). `None` where it is not found
/// or names no `id`.
pub(crate) fn owner_of(
    beside: Option<&crate::beside::Beside>,
    platform: Option<&str>,
) -> Option<Account> {
    let root = beside?.up()?.up()?;
    let found = OWNERS.get(&root, || {
        ["Account/", "account/"]
            .iter()
            .find_map(|sub| read_owner(root.down(sub).open("user.json")?.reader))
    });
    found.map(|mut a| {
        if let Some(p) = platform {
            a.platform = p.to_string();
        }
        a
    })
}

/// The owner a `user.json` names, its top object streamed.
fn read_owner(reader: impl std::io::Read) -> Option<Account> {
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
    let u = User::deserialize(&mut de).ok()?;
    let text = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let id = text(u.id).filter(|i| !i.is_empty())?;
    let handle = match (u.username, text(u.discriminator).as_deref()) {
        (Some(n), Some(d)) if !matches!(d, "" | "0" | "0000") => Some(format!("{n}#{d}")),
        (n, _) => n,
    };
    Some(Account {
        id,
        platform: PLATFORM.into(),
        handle,
        display_name: u.global_name.filter(|n| !n.trim().is_empty()),
        ..Default::default()
    })
}

/// The places of a package's channels, by channel id, found so far, by package: from
/// `Messages/index.json` at its root, read once for all its channels.
type Places = Option<std::sync::Arc<std::collections::HashMap<String, String>>>;
static PLACES: crate::beside::Memo<Places> = crate::beside::Memo::new();

/// The most of an `index.json` read (a package's has a line per channel).
const INDEX_MAX: u64 = 64 << 20;

/// Where the messages of the channel folder `beside` (`Messages/c<ID>/`) were posted, from
/// the package's `Messages/index.json`, which names each channel: `general in Example
/// Server` (given as `Example Server / #general`, as a DiscordChatExporter channel's), or
/// `Direct Message with NAME`. `None` where the index is not found or does not name the
/// channel (`None`, `Unknown channel`).
pub(crate) fn place_of(beside: Option<&crate::beside::Beside>) -> Option<String> {
    let beside = beside?;
    let channel = beside.name()?.strip_prefix('c')?.to_string();
    let messages = beside.up()?;
    let root = messages.up()?;
    let places = PLACES.get(&root, || {
        ["Messages/", "messages/"].iter().find_map(|sub| {
            let opened = root.down(sub).open("index.json")?;
            let map: std::collections::HashMap<String, Option<String>> = serde_json::from_reader(
                std::io::BufReader::new(std::io::Read::take(opened.reader, INDEX_MAX)),
            )
            .ok()?;
            let named = map
                .into_iter()
                .filter_map(|(id, name)| Some((id, place_name(name?.trim())?)))
                .collect();
            Some(std::sync::Arc::new(named))
        })
    })?;
    places.get(&channel).cloned()
}

/// A channel's place from its name in `index.json` (see [`place_of`]).
fn place_name(name: &str) -> Option<String> {
    if name.is_empty() || matches!(name, "None" | "Unknown channel") {
        return None;
    }
    // A server's channel: `CHANNEL in SERVER` (a text channel's name has no spaces).
    Some(match name.split_once(" in ") {
        Some((channel, server)) if !channel.contains(' ') && !server.trim().is_empty() => {
            format!("{} / #{channel}", server.trim())
        }
        _ => name.to_string(),
    })
}

/// What each message's line starts with: the owner's id ([`UNKNOWN_OWNER`] where it is
/// not known), the platform and the channel's place (empty where not known), each
/// followed by [`crate::FIELD_SEP`].
pub(crate) fn line_prefix(
    owner: Option<&Account>,
    platform: Option<&str>,
    place: Option<&str>,
) -> Vec<u8> {
    let mut out = Vec::new();
    crate::push_field(&mut out, owner.map_or(UNKNOWN_OWNER, |a| a.id.as_str()));
    crate::push_field(&mut out, platform.unwrap_or(PLATFORM));
    crate::push_field(&mut out, place.unwrap_or_default());
    out
}

/// A message as a package writes it.
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(rename = "ID", borrow)]
    id: Option<Id<'a>>,
    #[serde(rename = "Timestamp", default)]
    timestamp: Option<String>,
    #[serde(rename = "Contents", default)]
    contents: Option<String>,
    #[serde(rename = "Attachments", default)]
    attachments: Option<String>,
}

/// The post of a message (`None` for one with nothing in it), by `account` on `platform`,
/// in `place`.
fn post_of(
    id: String,
    timestamp: Option<&str>,
    contents: String,
    attachments: &str,
    account: &str,
    platform: &str,
    place: Option<&str>,
) -> Result<Option<Post>, String> {
    if id.is_empty() {
        return Err("message has no `ID`".into());
    }
    let created_at = match timestamp.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(crate::parse_time(t).ok_or_else(|| {
            format!("`Timestamp` {t:?} is not a time (2021-10-13 15:35:46, UTC)")
        })?),
        None => None,
    };
    let media: Vec<MediaRef> = attachments
        .split_whitespace()
        .map(|u| MediaRef {
            kind: crate::media_kind(u).into(),
            url: Some(u.to_string()),
            ..Default::default()
        })
        .collect();
    if contents.trim().is_empty() && media.is_empty() {
        return Ok(None);
    }
    Ok(Some(Post {
        id,
        platform: platform.into(),
        account: account.into(),
        created_at,
        text: contents,
        media,
        place: place.map(str::to_string),
        ..Default::default()
    }))
}

/// Read a line ([`line_prefix`], then one message of `messages.json`): its post, and the
/// owner's account the first time `seen` says it is new where the owner is not known (a
/// known owner's account was read first).
pub(crate) fn parse_line(
    line: &[u8],
    mut seen: impl FnMut(&str) -> bool,
    mut out: impl FnMut(Record),
) -> Result<(), String> {
    let (owner, platform, rest) = crate::meta::split_line(line, "owner")?;
    let end = memchr::memchr(crate::FIELD_SEP, rest).ok_or("not a line of a Discord package")?;
    let place = std::str::from_utf8(&rest[..end]).map_err(|_| "invalid UTF-8 in the place")?;
    let place = (!place.is_empty()).then_some(place);
    let json = &rest[end + 1..];
    let m: Message = crate::parse_object(json, "a Discord data package's message")?;
    let id = m.id.map(|i| i.0.into_owned()).unwrap_or_default();
    let post = post_of(
        id,
        m.timestamp.as_deref(),
        m.contents.unwrap_or_default(),
        m.attachments.as_deref().unwrap_or_default(),
        owner,
        platform,
        place,
    )?;
    if let Some(p) = post {
        if owner == UNKNOWN_OWNER && !seen(owner) {
            out(Record::Account(Box::new(Account {
                id: owner.into(),
                platform: platform.into(),
                ..Default::default()
            })));
        }
        out(Record::Post(Box::new(p)));
    }
    Ok(())
}

/// Read the CSV form of a channel's messages (`ID,Timestamp,Contents,Attachments`, RFC 4180
/// quoting, a message's text over several lines) into its items, each at the line its row
/// starts on; a row that cannot be read is a diagnostic there.
pub(crate) fn csv_items(
    bytes: &[u8],
    file: &str,
    owner: Option<&Account>,
    platform: Option<&str>,
    place: Option<&str>,
) -> Vec<crate::Item> {
    let account = owner.map_or(UNKNOWN_OWNER, |a| a.id.as_str());
    let platform = platform.unwrap_or(PLATFORM);
    let mut items: Vec<crate::Item> = Vec::new();
    if owner.is_none() {
        items.push((
            0,
            Ok(Record::Account(Box::new(Account {
                id: account.into(),
                platform: platform.into(),
                ..Default::default()
            }))),
        ));
    }
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes));
    let mut row = csv::ByteRecord::new();
    loop {
        let at = r.position().line();
        match r.read_byte_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {
                // The line the row starts on.
                let line = row.position().map_or(at, |p| p.line());
                let field = |k: usize| String::from_utf8_lossy(row.get(k).unwrap_or_default());
                let post = post_of(
                    field(0).trim().to_string(),
                    Some(&field(1)),
                    field(2).into_owned(),
                    &field(3),
                    account,
                    platform,
                    place,
                );
                match post {
                    Ok(Some(p)) => items.push((line, Ok(Record::Post(Box::new(p))))),
                    Ok(None) => {}
                    Err(m) => items.push((line, Err(raqib_model::Diagnostic::new(file, line, m)))),
                }
            }
            Err(e) => {
                let line = e.position().map_or(at, |p| p.line());
                items.push((
                    line,
                    Err(raqib_model::Diagnostic::new(file, line, e.to_string())),
                ));
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(owner: Option<&Account>, element: &str) -> Result<Vec<Record>, String> {
        crate::read_prefixed(line_prefix(owner, None, None), element, |l, s, o| {
            parse_line(l, s, o)
        })
    }

    /// A channel's name in `index.json` as a place: a server's channel as
    /// DiscordChatExporter's are named, a direct message as written, none for the names
    /// Discord gives channels it no longer knows.
    #[test]
    fn index_names_are_places() {
        let place = |n: &str| place_name(n);
        assert_eq!(
            place("general in Example Server").as_deref(),
            Some("Example Server / #general")
        );
        assert_eq!(
            place("news in Friends in Town").as_deref(),
            Some("Friends in Town / #news"),
            "the first ` in ` ends the channel's name"
        );
        assert_eq!(
            place("Direct Message with someone#0").as_deref(),
            Some("Direct Message with someone#0")
        );
        assert_eq!(place("None"), None);
        assert_eq!(place("Unknown channel"), None);
        assert_eq!(place(""), None);
    }

    fn owner() -> Account {
        Account {
            id: "111".into(),
            platform: PLATFORM.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_message_with_its_attachments_is_the_owners_post() {
        let recs = read(
            Some(&owner()),
            r#"{"ID":897870239797215243,"Timestamp":"2021-10-13 15:35:46","Contents":"look",
               "Attachments":"https://cdn.discordapp.com/attachments/1/2/a.jpg?ex=0 https://cdn.discordapp.com/attachments/1/3/b.mp4"}"#,
        )
        .unwrap();
        assert_eq!(recs.len(), 1, "the owner was read first: {recs:?}");
        let p = crate::first_post(&recs);
        assert_eq!(p.id, "897870239797215243");
        assert_eq!(
            (p.account.as_str(), p.platform.as_str()),
            ("111", "discord")
        );
        assert_eq!(p.created_at, Some(1634139346));
        assert_eq!(p.text, "look");
        let kinds: Vec<&str> = p.media.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(kinds, ["image", "video"]);
    }

    #[test]
    fn empty_messages_are_passed_over_and_bad_ones_say_why() {
        let none = read(
            Some(&owner()),
            r#"{"ID":"1","Timestamp":"2020-01-03 22:27:54","Contents":"","Attachments":""}"#,
        )
        .unwrap();
        assert!(none.is_empty());
        let e = read(Some(&owner()), r#"{"Timestamp":"x","Contents":"a"}"#).unwrap_err();
        assert!(e.contains("`ID`"), "{e}");
        let e = read(
            Some(&owner()),
            r#"{"ID":"2","Timestamp":"soon","Contents":"a"}"#,
        )
        .unwrap_err();
        assert!(e.contains("Timestamp"), "{e}");
        let recs = read(None, r#"{"ID":"3","Contents":"a"}"#).unwrap();
        let Record::Account(a) = &recs[0] else {
            panic!("{recs:?}")
        };
        assert_eq!(a.id, UNKNOWN_OWNER);
    }

    #[test]
    fn the_owner_is_streamed_from_user_json() {
        let user = br#"{"id": "247424274304991233", "username": "example_user", "discriminator": "0",
            "global_name": "Example", "email": "x@example.org",
            "settings": {"a": [1, 2, {"b": null}]}, "relationships": [{"id": "1", "user": {"username": "friend"}}]}"#;
        let a = read_owner(&user[..]).unwrap();
        assert_eq!(a.id, "247424274304991233");
        assert_eq!(a.handle.as_deref(), Some("example_user"));
        assert_eq!(a.display_name.as_deref(), Some("Example"));
        let old = br#"{"id": 5, "username": "old", "discriminator": 1234}"#;
        assert_eq!(
            read_owner(&old[..]).unwrap().handle.as_deref(),
            Some("old#1234")
        );
        assert!(read_owner(&b"{\"username\": \"no id\"}"[..]).is_none());
        assert!(read_owner(&b"not json"[..]).is_none());
    }

    #[test]
    fn the_csv_of_older_packages_reads_row_by_row() {
        let csv = "ID,Timestamp,Contents,Attachments\n\
                   1,2020-01-01 10:00:00,\"two\nlines\",\n\
                   2,2020-01-01 10:01:00,,https://cdn.discordapp.com/attachments/1/2/x.png\n\
                   3,2020-01-01 10:02:00,,\n\
                   4,later,text,\n";
        let items = csv_items(csv.as_bytes(), "m.csv", Some(&owner()), None, None);
        let got: Vec<(u64, String)> = items
            .iter()
            .map(|(l, r)| match r {
                Ok(Record::Post(p)) => (*l, p.id.clone()),
                Ok(other) => (*l, format!("{other:?}")),
                Err(d) => (*l, format!("error: {}", d.message)),
            })
            .collect();
        assert_eq!(got[0], (2, "1".to_string()));
        assert_eq!(got[1], (4, "2".to_string()));
        assert_eq!(got[2].0, 6);
        assert!(got[2].1.contains("Timestamp"), "{got:?}");
        assert_eq!(got.len(), 3, "the empty message passed over");
    }

    proptest::proptest! {
        /// A message of any shape (its fields of any JSON type) reads without a panic: one
        /// post at most, or an error.
        #[test]
        fn any_message_reads_or_says_why(
            id in "(1|\"2\"|\"\"|null|\\[\\]|-3)",
            time in "(\"2021-10-13 15:35:46\"|\"\"|\"x\"|7|null)",
            contents in "(\"[a-zء-ي ]{0,8}\"|null|1|\\{\\})",
            attachments in "(\"[a-z:/. ]{0,20}\"|null|\\[\"a\"\\])",
        ) {
            let json = format!(
                r#"{{"ID":{id},"Timestamp":{time},"Contents":{contents},"Attachments":{attachments}}}"#
            );
            if let Ok(recs) = read(Some(&owner()), &json) {
                proptest::prop_assert!(recs.len() <= 1, "{json}: {recs:?}");
            }
        }

        /// Any bytes as the CSV of a channel: read without a panic, every item at a line
        /// of the file.
        #[test]
        fn any_csv_reads_or_says_why(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let mut bytes = b"ID,Timestamp,Contents,Attachments\n".to_vec();
            bytes.extend_from_slice(&body);
            let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            for (line, _) in csv_items(&bytes, "m.csv", None, None, None) {
                proptest::prop_assert!(line <= lines);
            }
        }
    }

    #[test]
    fn packages_are_known_by_their_paths_and_first_bytes() {
        assert_eq!(package_root("p/Messages/c123/messages.json"), Some("p/"));
        assert_eq!(package_root("messages/c1/messages.csv"), Some(""));
        assert_eq!(package_root("p/Messages/123/messages.json"), None);
        assert_eq!(package_root("p/Messages/c123/channel.json"), None);
        assert!(looks_like(
            br#"[{"ID": 1, "Timestamp": "2021-10-13 15:35:46", "Contents": "x"#
        ));
        assert!(looks_like(b"ID,Timestamp,Contents,Attachments\n"));
        assert!(looks_like(
            b"\xEF\xBB\xBFID,Timestamp,Contents,Attachments\r\n1,"
        ));
        assert!(!looks_like(b"ID,Timestamp,Contents,Account\n1,2,3,4\n"));
        assert!(!looks_like(
            br#"[{"id": 1, "timestamp": "x", "content": "y"}]"#
        ));
    }
}
