//! Meta's "Download Your Information" exports, in JSON: the direct messages of Facebook
//! Messenger and of Instagram, one thread a folder (`messages/inbox/THREAD/message_1.json`,
//! `message_2.json`, ... for a long one), what a platform hands over for an account and
//! what an account's owner can give a researcher.
//!
//! A thread's file is one object: its `participants`, then its `messages` (newest first),
//! then its `title` and `thread_path`. Each message is read as a stream, at the line it
//! starts on ([`crate::array::ArrayChunks`]). A message is a post: `sender_name` is its
//! account (Meta's export gives names, never ids), `timestamp_ms` its time, `content` its
//! text, `photos`, `videos`, `gifs`, `audio_files`, `files` and a `sticker` its media,
//! `share.link` a URL. Calls, joins and leaves, and messages unsent or with nothing in them,
//! are passed over. A post's id is the thread's folder (`inbox/THREAD`) and the message's
//! time, the thread read from the file's path, as its `thread_path` (written after the
//! messages) says.
//!
//! Meta writes every text's UTF-8 bytes as if each were a character (`Ø§Ù„Ù„Ù‡` for
//! «الله», `Ã©` for `é`, an emoji as four): every string is mended back ([`unmangle`]), so
//! that Arabic reads as Arabic.
//!
//! Media are named from the export's root (`messages/inbox/THREAD/photos/1.jpg`, under
//! `your_facebook_activity/` or `your_instagram_activity/` in newer exports): each is made
//! a path from the thread's folder (`photos/1.jpg`), so that `scan --hash-media` finds it
//! beside the thread's file, as an export unpacked or zipped holds it.

use std::borrow::Cow;

use raqib_model::{Account, MediaRef, Post, Record};
use serde::Deserialize;

use crate::FIELD_SEP;

/// The text Meta wrote, mended: where every character is below U+0100 and, taken as bytes,
/// they are UTF-8 with at least one character of more than a byte, those bytes are the
/// text. Anything else (plain ASCII, Latin-1 that is not UTF-8 as bytes, any text with a
/// character above U+00FF, Arabic among them) is left as it is. Each string of an export
/// is mended once, as it is read.
pub(crate) fn unmangle(s: &str) -> Cow<'_, str> {
    if s.is_ascii() || s.chars().any(|c| c as u32 > 0xFF) {
        return Cow::Borrowed(s);
    }
    let bytes: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
    match String::from_utf8(bytes) {
        Ok(text) => Cow::Owned(text),
        Err(_) => Cow::Borrowed(s),
    }
}

fn mend(s: Option<String>) -> Option<String> {
    s.map(|s| match unmangle(&s) {
        Cow::Owned(t) => t,
        Cow::Borrowed(_) => s,
    })
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    sender_name: Option<String>,
    #[serde(default)]
    timestamp_ms: Option<serde_json::Number>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    photos: Vec<Uri>,
    #[serde(default)]
    videos: Vec<Uri>,
    #[serde(default)]
    gifs: Vec<Uri>,
    #[serde(default)]
    audio_files: Vec<Uri>,
    #[serde(default)]
    files: Vec<Uri>,
    #[serde(default)]
    sticker: Option<Uri>,
    #[serde(default)]
    share: Option<Share>,
    /// Older exports: `Generic`, `Share`, `Call`, `Subscribe`, `Unsubscribe`.
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    is_unsent: Option<bool>,
}

#[derive(Deserialize)]
struct Uri {
    #[serde(default)]
    uri: Option<String>,
}

#[derive(Deserialize)]
struct Share {
    #[serde(default)]
    link: Option<String>,
}

/// Whether `base` (a file name) is a thread's file of a Meta export: `message_N.json`.
pub(crate) fn is_thread_file_name(base: &str) -> bool {
    let lower = crate::strip_compression_ext(base).to_ascii_lowercase();
    lower
        .strip_prefix("message_")
        .and_then(|r| r.strip_suffix(".json"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The folders a thread's, posts' or comments' file at `path` (`/`-separated) names its
/// export's root: `ROOT/messages/BOX/THREAD/message_N.json`, `ROOT/posts/your_posts_N.json`,
/// `ROOT/comments_and_reactions/comments.json`, or the same under
/// `ROOT/your_..._activity/` in newer exports; or an Instagram export's posts, stories or
/// comments (see [`crate::instagram::export_root`]). `None` where `path` is none of those.
pub(crate) fn export_root(path: &str) -> Option<&str> {
    if let Some(root) = crate::instagram::export_root(path) {
        return Some(root);
    }
    let parts: Vec<&str> = path.split('/').collect();
    let n = parts.len();
    let thread = n >= 4 && is_thread_file_name(parts[n - 1]) && parts[n - 4] == "messages";
    // A Facebook export's posts (`ROOT/posts/your_posts_1.json`) and comments
    // (`ROOT/comments_and_reactions/comments.json`, `ROOT/comments/comments.json`).
    let posts = n >= 2 && parts[n - 2] == "posts" && is_posts_file_name(parts[n - 1]);
    let comments = n >= 2
        && matches!(parts[n - 2], "comments_and_reactions" | "comments")
        && crate::strip_compression_ext(parts[n - 1]).eq_ignore_ascii_case("comments.json");
    // Its posts and comments in groups (`ROOT/groups/your_posts_in_groups.json`, ...).
    let groups = n >= 2 && parts[n - 2] == "groups" && is_group_file_name(parts[n - 1]);
    let mut root = match (thread, posts || comments || groups) {
        (true, _) => n - 4,
        (false, true) => n - 2,
        (false, false) => return None,
    };
    if root > 0 && parts[root - 1].starts_with("your_") {
        root -= 1;
    }
    // The length of `ROOT/` (empty where the export is the path's start).
    let len: usize = parts[..root].iter().map(|p| p.len() + 1).sum();
    Some(&path[..len])
}

/// The export's root for a Facebook export's comments' file at `path`, or its file of
/// posts and comments in groups, whose media (a sticker, a photo) are named from that root.
pub(crate) fn comments_media_root(path: &str) -> Option<&str> {
    let base = path.rsplit(['/', '\\']).next()?;
    let comments = crate::strip_compression_ext(base).eq_ignore_ascii_case("comments.json")
        || is_group_file_name(base);
    comments.then(|| export_root(path)).flatten()
}

/// Whether `base` (a file name) is a Facebook export's file of its owner's posts or
/// comments in groups: `your_posts_in_groups.json` and `your_comments_in_groups.json`, or
/// `group_posts_and_comments.json` in newer exports (`group_posts_v2`,
/// `group_comments_v2`).
pub(crate) fn is_group_file_name(base: &str) -> bool {
    let lower = crate::strip_compression_ext(base).to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "your_posts_in_groups.json"
            | "your_comments_in_groups.json"
            | "group_posts_and_comments.json"
    )
}

/// The members of a Facebook export's document whose elements are posts or comments.
pub(crate) const POSTS_DOCUMENT_KEYS: &[&str] =
    &["comments_v2", "group_posts_v2", "group_comments_v2"];

/// The group a post in a group was posted in, from its `title` as Facebook writes it
/// (`Ann Example posted in Example Group.`); `None` for any other title.
fn group_of_title(title: &str) -> Option<String> {
    let (_, group) = title.split_once(" posted in ")?;
    let group = group.trim().trim_end_matches('.').trim();
    (!group.is_empty()).then(|| group.to_string())
}

/// The root of the export a file of messages, posts or comments at `path` is of: a Meta
/// export's ([`export_root`]) or a Discord data package's; `None` for any other file.
pub(crate) fn others_root(path: &str) -> Option<&str> {
    export_root(path).or_else(|| crate::discord_package::package_root(path))
}

/// Whether `path` (`/`- or `\\`-separated) is a page of a Meta export made in HTML
/// ("Download Your Information" with the format HTML): a thread's `message_N.html`, or the
/// posts' or comments' page of a Facebook or Instagram export (`your_posts_1.html`,
/// `posts_1.html`, `comments.html`, ...), where its JSON file would be.
pub fn is_html_page(path: &str) -> bool {
    let lower = crate::strip_compression_ext(path).to_ascii_lowercase();
    let Some(stem) = lower.strip_suffix(".html") else {
        return false;
    };
    export_root(&format!("{stem}.json").replace('\\', "/")).is_some()
}

/// How to get a Meta export raqib reads.
macro_rules! request_json {
    () => {
        "request the export again with Format: JSON (Accounts Center → Your information and \
         permissions → Download your information)"
    };
}

/// How to get a Meta export raqib reads, where one came in HTML.
pub(crate) const REQUEST_JSON: &str = request_json!();

/// What raqib says of a Meta export made in HTML.
pub const HTML_EXPORT: &str = concat!(
    "a page of Meta's \"Download Your Information\" export in HTML: raqib reads the \
     export's JSON format; ",
    request_json!()
);

/// Whether `path` (`/`-separated) passes through a folder that only a Meta export has at
/// its root (`your_facebook_activity`, `your_instagram_activity`, `personal_information`,
/// and the like), or a Discord data package (`Account`, `Activity`, `Servers`, ...).
pub(crate) fn is_export_section(path: &str) -> bool {
    path.split('/').any(|p| {
        (p.starts_with("your_") && p.ends_with("_activity"))
            || matches!(
                p,
                "personal_information"
                    | "Account"
                    | "Activity"
                    | "Ads"
                    | "Servers"
                    | "Support_Tickets"
                    | "logged_information"
                    | "ads_information"
                    | "security_and_login_information"
                    | "apps_and_websites_off_of_instagram"
                    | "apps_and_websites_off_of_facebook"
            )
    })
}

/// Of the files `paths` (`/`-separated) found in a folder or an archive, the positions of
/// those a Meta export (Facebook's or Instagram's) holds besides its threads, posts,
/// stories and comments, or a Discord data package besides its channels' messages: the
/// JSON of its
/// other sections (its profile, ads, logins, settings, likes: hundreds of files, none of
/// them posts or messages), which are left out as a folder's files not named as inputs
/// are. Only the files under the root of an export whose threads, posts or comments are
/// among `paths` are counted. Likewise the CSV files of Reddit's data export besides its
/// posts, comments and messages (`statistics.csv`, `ip_logs.csv`, votes, subscriptions,
/// by their names), in a folder that holds its `statistics.csv`, one of those and another
/// of its own files.
pub fn meta_export_others<'a>(paths: impl Iterator<Item = &'a str> + Clone) -> Vec<usize> {
    let mut roots: Vec<&str> = paths.clone().filter_map(others_root).collect();
    roots.sort_unstable();
    roots.dedup();
    let split = |p: &'a str| p.rsplit_once('/').unwrap_or(("", p));
    let mut by_folder: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for p in paths.clone().filter(|p| p.ends_with(".csv")) {
        let (dir, base) = split(p);
        by_folder.entry(dir).or_default().push(base);
    }
    by_folder.retain(|_, names| crate::reddit_export::is_export_folder(names.iter().copied()));
    if roots.is_empty() && by_folder.is_empty() {
        return Vec::new();
    }
    paths
        .enumerate()
        .filter(|(_, p)| {
            let base = p.rsplit('/').next().unwrap_or(p);
            let lower = crate::strip_compression_ext(&base.to_ascii_lowercase()).to_string();
            let json = lower.ends_with(".json");
            let reddit_other =
                crate::reddit_export::is_other_file(base) && by_folder.contains_key(split(p).0);
            reddit_other
                || (json && others_root(p).is_none() && roots.iter().any(|r| p.starts_with(r)))
        })
        .map(|(k, _)| k)
        .collect()
}

/// Whether the first bytes of a JSON object are a Meta thread's: its `participants`, then
/// messages with a `sender_name`.
pub(crate) fn looks_like_thread(head: &str) -> bool {
    head.contains("\"participants\"") && head.contains("\"sender_name\"")
}

/// What each message's line starts with for a thread's file at `path`: the thread
/// (`inbox/THREAD`, from the two folders above the file; empty for standard input), the
/// platform (`platform` where given; else `instagram` where a folder above the thread's is
/// `your_instagram_activity` or Meta's `instagram-USER-DATE` download, else `facebook`)
/// and the thread's title, its place ([`thread_title`]; empty where not known), each
/// followed by [`FIELD_SEP`].
pub(crate) fn line_prefix(path: &str, platform: Option<&str>, place: Option<&str>) -> Vec<u8> {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let thread = match parts.len() {
        0..=1 => String::new(),
        2 => parts[0].to_string(),
        n => format!("{}/{}", parts[n - 3], parts[n - 2]),
    };
    // Only the folders above the thread's: a thread's own folder is named for a person.
    let above = &parts[..parts.len().saturating_sub(3)];
    let platform = platform.unwrap_or_else(|| {
        if above
            .iter()
            .any(|p| *p == "your_instagram_activity" || p.starts_with("instagram-"))
        {
            "instagram"
        } else {
            "facebook"
        }
    });
    let mut out = Vec::new();
    crate::push_field(&mut out, &thread);
    crate::push_field(&mut out, platform);
    crate::push_field(&mut out, place.unwrap_or_default());
    out
}

/// How much of a thread's file's end [`thread_title`] reads.
pub(crate) const TITLE_TAIL: usize = 64 << 10;

/// A thread's `title` (a group chat's name; in a chat of two, the other's), from the end of
/// its file (`tail`, the last [`TITLE_TAIL`] bytes): Meta writes it after the messages,
/// so a stream of them cannot know it, but a file's end is cheap to read. The title is the
/// one whose `"title"` opens the rest of the thread's object (`{` and what follows it
/// parse as one object to the file's end), not one inside a message. `None` where there is
/// none, or it is blank.
pub(crate) fn thread_title(tail: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Rest {
        title: String,
    }
    let finder = memchr::memmem::FinderRev::new(b"\"title\"");
    let mut end = tail.len();
    for _ in 0..16 {
        let at = finder.rfind(&tail[..end])?;
        let mut rest = Vec::with_capacity(tail.len() - at + 1);
        rest.push(b'{');
        rest.extend_from_slice(&tail[at..]);
        if let Ok(r) = serde_json::from_slice::<Rest>(&rest) {
            let title = unmangle(r.title.trim()).into_owned();
            return (!title.is_empty()).then_some(title);
        }
        end = at;
    }
    None
}

/// A media file's path as the export names it, from the thread's folder: the part after
/// `/THREAD/` (`messages/inbox/ann_1/photos/2.jpg` → `photos/2.jpg`). A URL, or a path
/// that does not pass through the thread's folder, is kept as it is.
fn media_path(uri: &str, thread: &str) -> String {
    let folder = thread.rsplit('/').next().unwrap_or_default();
    if folder.is_empty() || uri.contains("://") {
        return uri.to_string();
    }
    let marker = format!("/{folder}/");
    match uri.find(&marker) {
        Some(k) => uri[k + marker.len()..].to_string(),
        None => uri.strip_prefix(&marker[1..]).unwrap_or(uri).to_string(),
    }
}

/// A line's prefix (its `first` field, a thread or an owner, and the platform) and the
/// JSON after it.
pub(crate) fn split_line<'a>(
    line: &'a [u8],
    first: &str,
) -> Result<(&'a str, &'a str, &'a [u8]), String> {
    let mut fields = line.splitn(3, |&b| b == FIELD_SEP);
    let (Some(head), Some(platform), Some(json)) = (fields.next(), fields.next(), fields.next())
    else {
        return Err("not a line of a Meta export".into());
    };
    let head = std::str::from_utf8(head).map_err(|_| format!("invalid UTF-8 in the {first}"))?;
    let platform = std::str::from_utf8(platform).map_err(|_| "invalid UTF-8 in the platform")?;
    Ok((head, platform, json))
}

/// Read a line of a thread ([`line_prefix`], then one message): the message's post, and
/// its sender's account the first time `seen` says the sender is new.
pub(crate) fn parse_line(
    line: &[u8],
    ordinal: u32,
    seen: impl FnMut(&str) -> bool,
    out: impl FnMut(Record),
) -> Result<(), String> {
    let (thread, platform, rest) = split_line(line, "thread")?;
    let end = memchr::memchr(FIELD_SEP, rest).ok_or("not a line of a Meta export's thread")?;
    let place = std::str::from_utf8(&rest[..end]).map_err(|_| "invalid UTF-8 in the title")?;
    let json = &rest[end + 1..];
    let m: Message = crate::parse_object(json, "a Meta export's message")?;
    if matches!(
        m.kind.as_deref(),
        Some("Call" | "Subscribe" | "Unsubscribe")
    ) || m.is_unsent == Some(true)
    {
        return Ok(());
    }
    let ms = m
        .timestamp_ms
        .as_ref()
        .and_then(|n| n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)))
        .ok_or("message has no `timestamp_ms`")?;
    let sender = mend(m.sender_name)
        .filter(|s| !s.is_empty())
        .ok_or("message has no `sender_name`")?;
    let mut media = Vec::new();
    for (kind, uris) in [
        ("image", &m.photos),
        ("image", &m.gifs),
        ("video", &m.videos),
        ("audio", &m.audio_files),
        ("file", &m.files),
    ] {
        media.extend(
            uris.iter()
                .filter_map(|u| u.uri.as_deref())
                .map(|u| MediaRef {
                    kind: kind.into(),
                    url: Some(media_path(&unmangle(u), thread)),
                    ..Default::default()
                }),
        );
    }
    if let Some(u) = m.sticker.and_then(|s| s.uri) {
        media.push(MediaRef {
            kind: "image".into(),
            url: Some(media_path(&unmangle(&u), thread)),
            ..Default::default()
        });
    }
    let urls: Vec<String> = m
        .share
        .and_then(|s| s.link)
        .filter(|l| !l.is_empty())
        .into_iter()
        .collect();
    let text = mend(m.content).unwrap_or_default();
    if text.is_empty() && media.is_empty() && urls.is_empty() {
        return Ok(());
    }
    // Two messages of a thread in the same millisecond keep ids of their own.
    let base_id = if thread.is_empty() {
        ms.to_string()
    } else {
        format!("{thread}/{ms}")
    };
    emit(
        Post {
            platform: platform.into(),
            account: sender,
            created_at: Some(ms.div_euclid(1000)),
            text,
            urls,
            media,
            place: (!place.is_empty()).then(|| place.to_string()),
            ..Default::default()
        },
        base_id,
        ordinal,
        true,
        seen,
        out,
    );
    Ok(())
}

/// A line of a Meta export's file and its element's ordinal among those of its time, which
/// the reader put at its end ([`crate::array::ArrayChunks::with_ordinals`]); 1 where it has
/// none.
pub(crate) fn split_ordinal(line: &[u8]) -> (&[u8], u32) {
    match memchr::memrchr(FIELD_SEP, line) {
        Some(at) => match std::str::from_utf8(&line[at + 1..])
            .ok()
            .and_then(|n| n.parse().ok())
        {
            Some(n) => (&line[..at], n),
            None => (line, 1),
        },
        None => (line, 1),
    }
}

/// Send `post` with an id of its own, after its account, where `announce`, the first time
/// `seen` says the account is new (an account by name, its `display_name` the name). The
/// id is `base_id` for the first post of its time in the file (`ordinal` 1), `base_id-2`
/// for the second in a row of the same time, and so on; where `seen` knew that one (posts of
/// one time that are not in a row), the next number free.
pub(crate) fn emit(
    mut post: Post,
    base_id: String,
    ordinal: u32,
    announce: bool,
    mut seen: impl FnMut(&str) -> bool,
    mut out: impl FnMut(Record),
) {
    let platform = post.platform.clone();
    let mut n = ordinal.max(1);
    let with = |n: u32| {
        if n == 1 {
            base_id.clone()
        } else {
            format!("{base_id}-{n}")
        }
    };
    let mut id = with(n);
    while seen(&format!("\u{1}{platform}\u{1}{id}")) {
        n += 1;
        id = with(n);
    }
    if announce && !seen(&format!("{platform}\u{1}{}", post.account)) {
        out(Record::Account(Box::new(Account {
            id: post.account.clone(),
            platform: platform.clone(),
            display_name: Some(post.account.clone()),
            ..Default::default()
        })));
    }
    post.id = id;
    out(Record::Post(Box::new(post)));
}

/// Whether `base` (a file name) is a Facebook export's posts file: `your_posts_N.json`,
/// or `your_posts__check_ins__photos_and_videos_N.json` in newer exports.
pub(crate) fn is_posts_file_name(base: &str) -> bool {
    let lower = crate::strip_compression_ext(base).to_ascii_lowercase();
    let Some(stem) = lower.strip_suffix(".json") else {
        return false;
    };
    ["your_posts_", "your_posts__check_ins__photos_and_videos_"]
        .iter()
        .any(|p| {
            stem.strip_prefix(p)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// Whether the first bytes are a Facebook export's posts (an array of objects with a
/// `timestamp` and `data` holding `post`s) or its comments (`comments_v2`).
pub(crate) fn looks_like_posts(head: &str) -> bool {
    let array = head.trim_start().starts_with('[')
        && head.contains("\"timestamp\"")
        && head.contains("\"data\"")
        && (head.contains("\"post\"") || head.contains("\"update_timestamp\""));
    array
        || POSTS_DOCUMENT_KEYS
            .iter()
            .any(|k| head.contains(&format!("\"{k}\"")))
}

/// Whether a file beside others is one [`owner_of`] reads whole: an export's profile.
pub(crate) fn is_read_whole_beside(name: &str) -> bool {
    name == "profile_information.json"
}

/// The name of a Facebook export's owner, from its profile (`profile_v2.name.full_name`,
/// mended) in `personal_information/profile_information/profile_information.json`, or in
/// `profile_information/` in older exports, at the export's root: the folder above
/// `beside` (the posts' or comments' folder), or the one above that where it is a
/// `your_..._activity` folder. One folder of an archive is listed for it (a compressed
/// tar read once from its start). `None` where no profile is found.
pub(crate) fn owner_of(beside: Option<&crate::beside::Beside>) -> Option<String> {
    static OWNERS: crate::beside::Memo<Option<String>> = crate::beside::Memo::new();
    let mut root = beside?.up()?;
    if root.name().is_some_and(|n| n.starts_with("your_")) {
        root = root.up()?;
    }
    // Read once per export: its posts' and comments' files all ask.
    OWNERS.get(&root, || {
        [
            "personal_information/profile_information/",
            "profile_information/",
        ]
        .iter()
        .find_map(|sub| {
            let bytes = root
                .down(sub)
                .read_at_most("profile_information.json", crate::beside::PROFILE_MAX)?;
            let v = serde_json::from_slice::<serde_json::Value>(&bytes).ok()?;
            let name = ["profile_v2", "profile"]
                .iter()
                .find_map(|k| v.get(k)?.get("name")?.get("full_name")?.as_str())?;
            (!name.trim().is_empty()).then(|| unmangle(name).into_owned())
        })
    })
}

/// The account a Facebook export's posts are credited to where its profile is not found.
pub const UNKNOWN_OWNER: &str = "(owner of the export)";

/// What each post's or comment's line of a Facebook export starts with: its owner (see
/// [`owner_of`]) and the platform, each followed by [`FIELD_SEP`].
pub(crate) fn posts_line_prefix(
    owner: Option<&str>,
    platform: Option<&str>,
    media_from_root: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    crate::push_field(&mut out, owner.unwrap_or(UNKNOWN_OWNER));
    crate::push_field(&mut out, platform.unwrap_or("facebook"));
    crate::push_field(&mut out, if media_from_root { "root" } else { "" });
    out
}

/// Read a line of a Facebook export's posts or comments ([`posts_line_prefix`], then one
/// element): its post, and its account the first time `seen` says it is new. A post's text
/// is its `data[].post` (a note's `text` too), a comment's its `data[].comment.comment`,
/// by its `author`; a post's account is the export's owner. `attachments[].data[]` give
/// its media (`media.uri`, a note's `media[].uri`; paths from the posts' folder, see
/// [`media_path`]) and links (`external_context.url`, its `name`, the page's title, as a
/// link card medium). An element with nothing to read (a
/// check-in, a saved event, an update with no text) is passed over.
pub(crate) fn parse_posts_line(
    line: &[u8],
    ordinal: u32,
    seen: impl FnMut(&str) -> bool,
    out: impl FnMut(Record),
) -> Result<(), String> {
    use serde_json::Value;
    let (owner, platform, rest) = split_line(line, "owner")?;
    let end = memchr::memchr(FIELD_SEP, rest).ok_or("not a line of a Facebook export")?;
    // The file names its posts' media from the export's root (groups' posts).
    let from_root = &rest[..end] == b"root";
    let json = &rest[end + 1..];
    let v: Value = crate::parse_object(json, "a Facebook export's post")?;
    let time = v
        .get("timestamp")
        .and_then(|t| t.as_i64().or_else(|| t.as_f64().map(|f| f as i64)))
        .ok_or("post has no `timestamp` (Unix seconds)")?;
    let text_of = |x: Option<&Value>| x.and_then(Value::as_str).map(|s| unmangle(s).into_owned());
    let mut texts = Vec::new();
    let mut author = None;
    let mut kind = "posts";
    // A post in a group names it in its title; a comment in a group in `comment.group`.
    let mut place = v
        .get("title")
        .and_then(Value::as_str)
        .and_then(|t| group_of_title(&unmangle(t)));
    for d in v
        .get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        texts.extend(text_of(d.get("post")));
        if let Some(c) = d.get("comment") {
            kind = "comments";
            texts.extend(text_of(c.get("comment")));
            author = author.or_else(|| text_of(c.get("author")));
            place = place.or_else(|| text_of(c.get("group")).filter(|g| !g.trim().is_empty()));
        }
    }
    let mut media = Vec::new();
    let mut urls: Vec<String> = Vec::new();
    // A post's media are made paths from the posts' folder; a comment's are kept as named,
    // from the export's root (see `comments_media_root`).
    let add_media = |uri: Option<&Value>, media: &mut Vec<MediaRef>, kind: &str| {
        if let Some(u) = uri.and_then(Value::as_str).filter(|u| !u.is_empty()) {
            let url = if from_root || kind == "comments" {
                unmangle(u).into_owned()
            } else {
                media_path(&unmangle(u), "posts/posts")
            };
            media.push(MediaRef {
                kind: crate::media_kind(&url).into(),
                url: Some(url),
                ..Default::default()
            });
        }
    };
    let attached = v
        .get("attachments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("data").and_then(Value::as_array))
        .flatten();
    let mut cards = Vec::new();
    for d in attached {
        add_media(d.get("media").and_then(|m| m.get("uri")), &mut media, kind);
        let link = d.get("external_context");
        let url = link
            .and_then(|e| e.get("url"))
            .and_then(Value::as_str)
            .filter(|u| u.contains('.'));
        if let Some(u) = url {
            if !urls.iter().any(|x| x == u) {
                urls.push(u.to_string());
            }
        }
        // The linked page's title, as the post showed it: its link card.
        let name = text_of(link.and_then(|e| e.get("name")));
        cards.extend(MediaRef::link_card(url, name.as_deref(), None));
        if let Some(note) = d.get("note") {
            texts.extend(text_of(note.get("text")));
            for m in note
                .get("media")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                add_media(m.get("uri"), &mut media, kind);
            }
        }
    }
    media.extend(cards);
    texts.retain(|t| !t.trim().is_empty());
    texts.dedup();
    let text = texts.join("\n");
    if text.is_empty() && media.is_empty() && urls.is_empty() {
        return Ok(());
    }
    let account = author
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| owner.to_string());
    // Two posts of an account in the same second keep ids of their own.
    let base_id = format!("{account}/{kind}/{time}");
    emit(
        Post {
            platform: platform.into(),
            account,
            created_at: Some(time),
            text,
            urls,
            media,
            place,
            ..Default::default()
        },
        base_id,
        ordinal,
        true,
        seen,
        out,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mangle(s: &str) -> String {
        s.bytes().map(char::from).collect()
    }

    fn read(prefix_path: &str, message: &str) -> Result<Vec<Record>, String> {
        let mut line = line_prefix(prefix_path, None, None);
        line.extend_from_slice(message.as_bytes());
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        parse_line(&line, 1, |k| !seen.insert(k.to_string()), |r| out.push(r))?;
        Ok(out)
    }

    /// A thread's title is read from its file's end: the thread's own, not a "title" in a
    /// message's text or in a shared link's fields, and mended as every string is.
    #[test]
    fn a_threads_title_is_read_from_its_end() {
        let doc = format!(
            r#"{{
  "participants": [{{"name": "A"}}, {{"name": "B"}}],
  "messages": [
    {{"sender_name": "A", "timestamp_ms": 2, "content": "\"title\": \"not this\"",
      "share": {{"link": "https://e.org/", "title": "nor this"}}}}
  ],
  "title": "{}",
  "is_still_participant": true,
  "thread_path": "inbox/examplegroup_1",
  "magic_words": [],
  "image": {{"uri": "messages/inbox/examplegroup_1/photos/g.jpg", "title": "x"}}
}}
"#,
            mangle("Ëxample Group ✓")
        );
        assert_eq!(
            thread_title(doc.as_bytes()).as_deref(),
            Some("Ëxample Group ✓")
        );
        // A tail that starts inside a message still finds it; one with no title gives none.
        let tail = &doc.as_bytes()[60..];
        assert_eq!(thread_title(tail).as_deref(), Some("Ëxample Group ✓"));
        assert_eq!(thread_title(br#"{"participants":[],"messages":[]}"#), None);
        assert_eq!(thread_title(br#"{"messages":[],"title":"  "}"#), None);
        // A file cut short has no end to read it from.
        assert_eq!(thread_title(&doc.as_bytes()[..doc.len() - 40]), None);
    }

    #[test]
    fn text_meta_mangled_is_mended_and_nothing_else_is_touched() {
        for s in ["الله أكبر", "café", "👍 ok", "Ann Example", "Ünïcödé ✓"] {
            let m = mangle(s);
            assert_eq!(unmangle(&m), s, "{m}");
        }
        // Latin-1 that is no UTF-8 as bytes stays.
        assert_eq!(unmangle("Mañana, ¿sí?"), "Mañana, ¿sí?");
        // Text with a character above U+00FF was never mangled.
        assert_eq!(unmangle("الله"), "الله");
        assert_eq!(unmangle("Ã© ✓"), "Ã© ✓");
        assert_eq!(unmangle("Ø§"), "ا");
    }

    #[test]
    fn a_message_with_its_sender_media_and_link() {
        let m = format!(
            r#"{{"sender_name":"{}","timestamp_ms":1793527200123,"content":"{}",
            "photos":[{{"uri":"your_facebook_activity/messages/inbox/ann_123/photos/9.jpg","creation_timestamp":1}}],
            "videos":[{{"uri":"messages/inbox/ann_123/videos/v.mp4"}}],
            "share":{{"link":"https://news.example/a"}},"reactions":[{{"reaction":"x","actor":"B"}}],
            "is_geoblocked_for_viewer":false}}"#,
            mangle("Ann Ëxample"),
            mangle("انضموا الآن")
        );
        let recs = read("export/messages/inbox/ann_123/message_1.json", &m).unwrap();
        let Record::Account(a) = &recs[0] else {
            panic!("{recs:?}")
        };
        assert_eq!(a.id, "Ann Ëxample");
        assert_eq!(a.platform, "facebook");
        let p = crate::first_post(&recs);
        assert_eq!(p.id, "inbox/ann_123/1793527200123");
        assert_eq!(p.account, "Ann Ëxample");
        assert_eq!(p.text, "انضموا الآن");
        assert_eq!(p.created_at, Some(1793527200));
        assert_eq!(p.urls, ["https://news.example/a"]);
        let media: Vec<(&str, &str)> = p
            .media
            .iter()
            .map(|m| (m.kind.as_str(), m.url.as_deref().unwrap()))
            .collect();
        assert_eq!(
            media,
            [("image", "photos/9.jpg"), ("video", "videos/v.mp4")]
        );
    }

    #[test]
    fn instagram_ids_of_their_own_and_what_is_passed_over() {
        let path = "x/your_instagram_activity/messages/inbox/bob_9/message_1.json";
        let mut line = line_prefix(path, None, None);
        line.extend_from_slice(br#"{"sender_name":"Bob","timestamp_ms":5000,"content":"a"}"#);
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for _ in 0..3 {
            parse_line(&line, 1, |k| !seen.insert(k.to_string()), |r| out.push(r)).unwrap();
        }
        let ids: Vec<&str> = out
            .iter()
            .filter_map(|r| match r {
                Record::Post(p) => Some(p.id.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            ids,
            [
                "inbox/bob_9/5000",
                "inbox/bob_9/5000-2",
                "inbox/bob_9/5000-3"
            ]
        );
        assert_eq!(out.len(), 4, "the sender's account once");
        assert!(matches!(&out[0], Record::Account(a) if a.platform == "instagram"));
        for passed in [
            r#"{"sender_name":"B","timestamp_ms":1,"content":"B started a call.","type":"Call"}"#,
            r#"{"sender_name":"B","timestamp_ms":1,"is_unsent":true}"#,
            r#"{"sender_name":"B","timestamp_ms":1,"reactions":[]}"#,
        ] {
            assert!(read(path, passed).unwrap().is_empty(), "{passed}");
        }
        for (bad, why) in [
            (r#"{"sender_name":"B","content":"x"}"#, "no `timestamp_ms`"),
            (r#"{"timestamp_ms":1,"content":"x"}"#, "no `sender_name`"),
            (
                r#"{"sender_name":"B","timestamp_ms":1,"photos":7}"#,
                "message",
            ),
            ("[1]", "not a JSON object"),
        ] {
            let e = read(path, bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn an_exports_other_sections_are_told_from_its_threads() {
        let paths = [
            "dl/fb/your_facebook_activity/messages/inbox/a_1/message_1.json",
            "dl/fb/your_facebook_activity/messages/inbox/a_1/photos/1.jpg",
            "dl/fb/personal_information/profile_information/profile_information.json",
            "dl/fb/your_facebook_activity/posts/your_posts_1.json",
            "dl/fb/ads_information/advertisers.json.gz",
            "dl/telegram/result.json",
            "dl/old/messages/archived_threads/b_2/message_3.json",
            "dl/old/profile_information/profile_information.json",
        ];
        // The posts are read; the profile and the ads are not.
        assert_eq!(meta_export_others(paths.iter().copied()), [2, 4, 7]);
        assert_eq!(export_root(paths[0]), Some("dl/fb/"));
        assert_eq!(export_root(paths[3]), Some("dl/fb/"));
        assert_eq!(
            export_root("x/comments_and_reactions/comments.json"),
            Some("x/")
        );
        assert_eq!(export_root("messages/inbox/c/message_1.json"), Some(""));
        assert_eq!(export_root("inbox/c/message_1.json"), None);
        assert_eq!(export_root("blog/comments.json"), None);
        // An export of posts alone: its other sections are still told from them.
        assert_eq!(meta_export_others(paths[2..6].iter().copied()), [0, 2]);
        // No thread, posts or comments: nothing is left out.
        assert!(meta_export_others([paths[2], paths[4], paths[5]].into_iter()).is_empty());
    }

    #[test]
    fn names_and_shapes() {
        assert!(is_thread_file_name("message_1.json"));
        assert!(is_thread_file_name("message_12.json.gz"));
        assert!(!is_thread_file_name("message_.json"));
        assert!(!is_thread_file_name("messages.json"));
        assert!(is_posts_file_name("your_posts_1.json"));
        assert!(is_posts_file_name(
            "your_posts__check_ins__photos_and_videos_2.json.gz"
        ));
        assert!(!is_posts_file_name("your_posts_.json"));
        assert!(!is_posts_file_name("posts_1.json"));
        assert!(looks_like_posts(
            "[\n  {\n    \"timestamp\": 1,\n    \"data\": [\n      {\n        \"post\": \"a\""
        ));
        assert!(looks_like_posts("{\n  \"comments_v2\": ["));
        assert!(!looks_like_posts("[{\"id\": \"1\", \"text\": \"a post\"}]"));
        assert!(looks_like_thread(
            "{\n  \"participants\": [{\"name\": \"A\"}],\n  \"messages\": [{\"sender_name\": \"A\""
        ));
        assert_eq!(
            line_prefix("-", Some("messenger"), None),
            b"\x1fmessenger\x1f\x1f"
        );
        // A Facebook thread with someone whose name holds "instagram" stays Facebook's.
        let fb = line_prefix(
            "dl/messages/inbox/instagramfan_12/message_1.json",
            None,
            Some("Fans"),
        );
        assert_eq!(fb, b"inbox/instagramfan_12\x1ffacebook\x1fFans\x1f");
        let ig = line_prefix(
            "instagram-ann-2026-01-01/messages/inbox/b_1/message_1.json",
            None,
            None,
        );
        assert!(ig.ends_with(b"\x1finstagram\x1f\x1f"));
        assert_eq!(
            media_path("https://cdn.example/s.png", "inbox/a_1"),
            "https://cdn.example/s.png"
        );
        assert_eq!(
            media_path("messages/inbox/a_1/files/f.pdf", "inbox/a_1"),
            "files/f.pdf"
        );
        assert_eq!(
            media_path("elsewhere/f.pdf", "inbox/a_1"),
            "elsewhere/f.pdf"
        );
    }

    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        /// Whatever bytes come before it (a tail cut anywhere, in the middle of a message
        /// or a character), a thread's end gives its title, and any bytes at all give a
        /// title or none without a panic.
        #[test]
        fn a_title_at_the_end_is_found_whatever_precedes_it(
            before in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            title in "[A-Za-z0-9][A-Za-z0-9 ]{0,20}",
        ) {
            let _ = thread_title(&before);
            let mut tail = before.clone();
            tail.extend_from_slice(
                format!(
                    "],\n \"title\": {},\n \"is_still_participant\": true,\n \"thread_path\": \"inbox/x_1\"\n}}\n",
                    serde_json::to_string(&title).unwrap()
                )
                .as_bytes(),
            );
            proptest::prop_assert_eq!(thread_title(&tail), Some(title.trim().to_string()));
        }

        /// Mending undoes Meta's mangling of any text, and leaves any text with a
        /// character above U+00FF as it is.
        #[test]
        fn mending_undoes_the_mangling(s in "\\PC{0,40}") {
            let mended = unmangle(&mangle(&s)).into_owned();
            proptest::prop_assert_eq!(&mended, &s);
            if s.chars().any(|c| c as u32 > 0xFF) {
                proptest::prop_assert_eq!(unmangle(&s).into_owned(), s.clone());
            }
        }

        /// Any string at all mends without a panic, to valid text.
        #[test]
        fn any_string_mends(s in "[\\x00-\\u{FF}]{0,40}") {
            let _ = unmangle(&s);
        }

        /// A post of any shape (its fields of any JSON type, nested anyhow) reads without
        /// a panic: a post with a time, or an error, or nothing where it has nothing.
        #[test]
        fn any_post_shape_reads_or_says_why(
            ts in proptest::option::of(proptest::prop_oneof![
                proptest::num::i64::ANY.prop_map(|n| n.to_string()),
                "\"[a-z0-9]{0,5}\"".prop_map(String::from),
                proptest::strategy::Just("1.5e3".to_string()),
            ]),
            data in "\\[(\\{\"(post|comment|update_timestamp)\":(\"[^\"\\\\]{0,8}\"|\\{\"comment\":\"x\",\"author\":(\"\"|\"a\"|3)\\}|7|null)\\},?){0,3}\\]",
            attached in "\\[(\\{\"data\":\\[\\{\"(media|external_context|note)\":(\\{\"(uri|url|text|media)\":(\"[a-z./:]{0,12}\"|\\[\\]|1)\\}|null)\\}\\]\\},?){0,2}\\]",
        ) {
            let mut json = String::from("{");
            if let Some(t) = &ts {
                json.push_str(&format!("\"timestamp\":{t},"));
            }
            json.push_str(&format!("\"data\":{data},\"attachments\":{attached}}}"));
            let mut line = posts_line_prefix(Some("owner"), None, false);
            line.extend_from_slice(json.as_bytes());
            let mut got = Vec::new();
            let r = parse_posts_line(&line, 1, |_| false, |rec| got.push(rec));
            if r.is_ok() {
                proptest::prop_assert!(got.len() <= 2);
            }
        }
    }
}
