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

/// What a package says of its channels, by channel id: found once per package, for all
/// its channels.
#[derive(Default)]
struct Channels {
    /// Each channel's place, from `Messages/index.json` at the package's root.
    places: std::collections::HashMap<String, String>,
    /// Each channel's `channel.json`, in a tar: all read in the one read of the archive
    /// that finds the index (a read for each would read a compressed archive again from
    /// its start for each channel). On disk or in a zip, read beside each channel's
    /// messages instead, and none here.
    files: Option<std::collections::HashMap<String, ChannelFile>>,
}

static CHANNELS: crate::beside::Memo<std::sync::Arc<Channels>> = crate::beside::Memo::new();

/// The most of an `index.json` read (a package's has a line per channel).
const INDEX_MAX: u64 = 64 << 20;

/// The most of a `channel.json` read.
const CHANNEL_FILE_MAX: usize = 1 << 20;

/// What the package at `root` says of its channels.
fn channels(root: &crate::beside::Beside) -> std::sync::Arc<Channels> {
    CHANNELS.get(root, || {
        // Each file to its own bound: a hostile package's huge ones are not read.
        let wanted = |rel: &str| {
            if is_index(rel) {
                Some(INDEX_MAX)
            } else {
                channel_file_of(rel).map(|_| CHANNEL_FILE_MAX as u64)
            }
        };
        // A damaged archive gives what came before the damage (its own reading says why).
        if let Some(found) = root.tar_files_below(wanted) {
            let mut c = Channels {
                places: Default::default(),
                files: Some(Default::default()),
            };
            for (rel, bytes) in found.unwrap_or_default() {
                if is_index(&rel) {
                    c.places = parse_index(&bytes[..]).unwrap_or_default();
                } else if let (Some(id), Some(f)) = (channel_file_of(&rel), parse_channel(&bytes)) {
                    c.files.get_or_insert_default().insert(id, f);
                }
            }
            return std::sync::Arc::new(c);
        }
        let places = ["Messages/", "messages/"]
            .iter()
            .find_map(|sub| parse_index(root.down(sub).open("index.json")?.reader))
            .unwrap_or_default();
        std::sync::Arc::new(Channels {
            places,
            files: None,
        })
    })
}

/// Whether a package's path (from its root) is its `Messages/index.json`.
fn is_index(rel: &str) -> bool {
    rel.split_once('/')
        .is_some_and(|(dir, name)| dir.eq_ignore_ascii_case("messages") && name == "index.json")
}

/// Each channel's place by its id, from a package's `Messages/index.json`, which names
/// each channel: `general in Example Server` (given as `Example Server / #general`, as a
/// DiscordChatExporter channel's), or `Direct Message with NAME`; a channel it names `None`
/// or `Unknown channel` has none.
fn parse_index(reader: impl std::io::Read) -> Option<std::collections::HashMap<String, String>> {
    let map: std::collections::HashMap<String, Option<String>> =
        serde_json::from_reader(std::io::BufReader::new(reader.take(INDEX_MAX))).ok()?;
    Some(
        map.into_iter()
            .filter_map(|(id, name)| Some((id, place_name(name?.trim())?)))
            .collect(),
    )
}

/// What a package says of one channel's messages.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Channel {
    /// Where they were posted: from `Messages/index.json`, else from the channel's own
    /// `channel.json` (`Server / #channel`).
    pub place: Option<String>,
    /// The start of each message's page, its id to follow:
    /// `https://discord.com/channels/GUILD/CHANNEL/` (`@me` in place of the guild for a
    /// direct or group message), from the channel's `channel.json`; a referral to Discord
    /// names a message so.
    pub link_base: Option<String>,
}

/// What the package says of the channel whose folder (`Messages/c<ID>/`) is `beside`.
pub(crate) fn channel_of(beside: Option<&crate::beside::Beside>) -> Channel {
    let found = || -> Option<Channel> {
        let beside = beside?;
        let id = channel_id(&beside.name()?)?;
        let package = channels(&beside.up()?.up()?);
        let file = match &package.files {
            Some(files) => files.get(&id).cloned(),
            None => parse_channel(&beside.read_at_most("channel.json", CHANNEL_FILE_MAX)?),
        };
        Some(Channel {
            place: (package.places.get(&id).cloned())
                .or_else(|| file.as_ref().and_then(ChannelFile::place)),
            link_base: file.and_then(|f| f.link_base(&id)),
        })
    };
    found().unwrap_or_default()
}

/// A `channel.json` read, where it is one.
fn parse_channel(bytes: &[u8]) -> Option<ChannelFile> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.len() > CHANNEL_FILE_MAX {
        return None;
    }
    serde_json::from_slice(bytes).ok()
}

/// The channel id of a channel's folder name, `c<ID>`.
fn channel_id(folder: &str) -> Option<String> {
    folder
        .strip_prefix('c')
        .filter(|d| (1..=32).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
}

/// The fields of a channel's `channel.json` that raqib reads: `{"id", "type", "name",
/// "guild": {"id", "name"}}` for a server's channel, `{"id", "type", "recipients"}` for a
/// direct message (`type` a name, `GUILD_TEXT`, `DM`, `GROUP_DM`, or in older packages
/// Discord's number for it, 0, 1, 3).
#[derive(Clone, Deserialize)]
struct ChannelFile {
    #[serde(default, rename = "type")]
    kind: Option<serde_json::Value>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    guild: Option<GuildRef>,
}

#[derive(Clone, Deserialize)]
struct GuildRef {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    name: Option<String>,
}

impl ChannelFile {
    fn place(&self) -> Option<String> {
        let channel = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())?;
        let guild = self.guild.as_ref()?.name.as_deref().map(str::trim);
        Some(match guild.filter(|g| !g.is_empty()) {
            Some(g) => format!("{g} / #{channel}"),
            None => format!("#{channel}"),
        })
    }

    /// See [`Channel::link_base`]: `None` for a channel in no server that is not said to
    /// be a direct or group message (a link under `@me` would be a guess).
    fn link_base(&self, channel: &str) -> Option<String> {
        let guild = match self.guild.as_ref().and_then(|g| g.id.as_ref()) {
            Some(serde_json::Value::String(s)) => Some(s.trim().to_string()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let guild =
            guild.filter(|g| (1..=32).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()));
        let direct = match &self.kind {
            Some(serde_json::Value::String(t)) => matches!(t.as_str(), "DM" | "GROUP_DM"),
            Some(serde_json::Value::Number(n)) => matches!(n.as_u64(), Some(1 | 3)),
            _ => false,
        };
        match guild {
            Some(g) => Some(format!("https://discord.com/channels/{g}/{channel}/")),
            None if direct => Some(format!("https://discord.com/channels/@me/{channel}/")),
            None => None,
        }
    }
}

/// The channel id of a package's path `Messages/c<ID>/channel.json` (`messages/` in older
/// packages), from its root.
fn channel_file_of(rel: &str) -> Option<String> {
    let mut parts = rel.split('/');
    let (Some(messages), Some(folder), Some("channel.json"), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    messages
        .eq_ignore_ascii_case("messages")
        .then(|| channel_id(folder))
        .flatten()
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
/// not known), the platform, the channel's place and its link base (each empty where not
/// known), each followed by [`crate::FIELD_SEP`].
pub(crate) fn line_prefix(
    owner: Option<&Account>,
    platform: Option<&str>,
    channel: &Channel,
) -> Vec<u8> {
    let mut out = Vec::new();
    crate::push_field(&mut out, owner.map_or(UNKNOWN_OWNER, |a| a.id.as_str()));
    crate::push_field(&mut out, platform.unwrap_or(PLATFORM));
    crate::push_field(&mut out, channel.place.as_deref().unwrap_or_default());
    crate::push_field(&mut out, channel.link_base.as_deref().unwrap_or_default());
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
/// in `channel`.
fn post_of(
    id: String,
    timestamp: Option<&str>,
    contents: String,
    attachments: &str,
    account: &str,
    platform: &str,
    channel: (Option<&str>, Option<&str>),
) -> Result<Option<Post>, String> {
    let (place, link_base) = channel;
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
    let permalink = link_base
        .filter(|_| id.bytes().all(|b| b.is_ascii_digit()))
        .map(|base| format!("{base}{id}"));
    Ok(Some(Post {
        id,
        platform: platform.into(),
        account: account.into(),
        created_at,
        text: contents,
        media,
        place: place.map(str::to_string),
        permalink,
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
    let (owner, platform, mut rest) = crate::meta::split_line(line, "owner")?;
    let mut field = || -> Result<Option<&str>, String> {
        let end =
            memchr::memchr(crate::FIELD_SEP, rest).ok_or("not a line of a Discord package")?;
        let s = std::str::from_utf8(&rest[..end]).map_err(|_| "invalid UTF-8 in a channel")?;
        rest = &rest[end + 1..];
        Ok((!s.is_empty()).then_some(s))
    };
    let channel = (field()?, field()?);
    let json = rest;
    let m: Message = crate::parse_object(json, "a Discord data package's message")?;
    let id = m.id.map(|i| i.0.into_owned()).unwrap_or_default();
    let post = post_of(
        id,
        m.timestamp.as_deref(),
        m.contents.unwrap_or_default(),
        m.attachments.as_deref().unwrap_or_default(),
        owner,
        platform,
        channel,
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
    channel: &Channel,
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
                    (channel.place.as_deref(), channel.link_base.as_deref()),
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
        crate::read_prefixed(
            line_prefix(owner, None, &Channel::default()),
            element,
            |l, s, o| parse_line(l, s, o),
        )
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

    /// A channel's `channel.json` gives its messages' pages: under its guild, under `@me`
    /// for a direct or group message (by name or by number), none where neither is said;
    /// and its place where `index.json` names none.
    #[test]
    fn a_channel_file_gives_its_messages_pages() {
        let file = |json: &str| serde_json::from_str::<ChannelFile>(json).unwrap();
        let base = |json: &str| file(json).link_base("2");
        assert_eq!(
            base(
                r#"{"id":"2","type":"GUILD_TEXT","name":"general","guild":{"id":"1","name":"S"}}"#
            )
            .as_deref(),
            Some("https://discord.com/channels/1/2/")
        );
        assert_eq!(
            base(r#"{"id":"2","type":0,"guild":{"id":1}}"#).as_deref(),
            Some("https://discord.com/channels/1/2/")
        );
        for direct in [
            r#"{"type":"DM"}"#,
            r#"{"type":"GROUP_DM"}"#,
            r#"{"type":1}"#,
            r#"{"type":3}"#,
        ] {
            assert_eq!(
                base(direct).as_deref(),
                Some("https://discord.com/channels/@me/2/"),
                "{direct}"
            );
        }
        assert_eq!(base(r#"{"id":"2","type":"GUILD_TEXT"}"#), None);
        assert_eq!(base(r#"{"guild":{"id":"1/../x"}}"#), None);
        assert_eq!(
            file(r#"{"name":"general","guild":{"id":"1","name":" S "}}"#)
                .place()
                .as_deref(),
            Some("S / #general")
        );
        assert_eq!(file(r#"{"type":"DM"}"#).place(), None);
        assert_eq!(
            channel_file_of("Messages/c12/channel.json").as_deref(),
            Some("12")
        );
        assert_eq!(
            channel_file_of("messages/c12/channel.json").as_deref(),
            Some("12")
        );
        assert_eq!(channel_file_of("Messages/12/channel.json"), None);
        assert_eq!(channel_file_of("x/Messages/c12/channel.json"), None);
        assert_eq!(channel_file_of("Messages/c12/messages.json"), None);
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
        let items = csv_items(
            csv.as_bytes(),
            "m.csv",
            Some(&owner()),
            None,
            &Channel::default(),
        );
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
            for (line, _) in csv_items(&bytes, "m.csv", None, None, &Channel::default()) {
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
