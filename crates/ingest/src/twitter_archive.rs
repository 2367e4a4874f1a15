//! Twitter's account archive ("Download an archive of your data", what a platform hands
//! over for one account, and what an account's owner can give a researcher): a folder
//! `data/` of JavaScript files, each one assignment of a JSON array,
//! `window.YTD.tweets.part0 = [ {"tweet": {...}}, ... ]`.
//!
//! The tweets (`tweets.js`, `tweets-part1.js`, ... for a large archive; `tweet.js` in
//! archives before 2020, whose elements are the tweet objects themselves, unwrapped) are
//! API v1.1 tweet objects without their author: every one is the archive owner's. So the
//! owner is read first, from the files beside the tweets: `account.js` (id, handle,
//! display name, creation date), `profile.js` (bio, avatar), `follower.js` (how many
//! followers: the reach) and `following.js` (the accounts followed). `deleted-tweets.js`
//! (tweets the owner deleted, kept by Twitter) and `community-tweet.js` (tweets posted in
//! a Community, kept apart from the others) are read the same way.
//!
//! A post longer than 280 characters (a "note tweet", since 2023) is in `tweets.js` cut
//! short; its whole text is in `note-tweet.js` beside it, which names no tweet, so each
//! note is matched to its tweet by the second it was posted and the start of its text
//! ([`Notes`]): a reviewer sees, and the model scores, what was posted, not its first 280
//! characters. A note no tweet takes is a post of its own, read with `tweets.js`.
//!
//! The assignment is passed over and the array is read as any JSON array is
//! ([`crate::array::ArrayChunks`]), each element made a line prefixed with the owner's
//! id; the workers parse them ([`parse_line`]).

use std::io::{BufRead, Read};
use std::path::Path;

use raqib_model::{Account, MediaRef, Record};
use serde::Deserialize;

use crate::beside::Beside;
use crate::tweets::{tweet_records, Tweet};
use crate::FIELD_SEP;

/// How every archive file starts.
const PREFIX: &[u8] = b"window.YTD.";

/// The longest assignment before the array that is looked for (`window.YTD.` and a data
/// kind's name, `.partN = `).
const MAX_ASSIGNMENT: usize = 256;

/// The data kinds whose elements are tweets.
const TWEET_KINDS: &[&str] = &[
    "tweets",
    "tweet",
    "deleted_tweets",
    "deleted_tweet",
    "community_tweet",
];

/// Whether `head` (a file's first bytes) opens a Twitter archive file.
pub(crate) fn looks_like_archive(head: &[u8]) -> bool {
    crate::skip_bom_and_space(head).starts_with(PREFIX)
}

/// The archive file's assignment at the start of `head`: the data kind it names
/// (`tweets` in `window.YTD.tweets.part0 = [`) and how many bytes up to and with the `=`.
fn assignment(head: &[u8]) -> Result<(String, usize), String> {
    let lead = head.len() - crate::skip_bom_and_space(head).len();
    let rest = &head[lead..];
    let not_one = || {
        "not a Twitter archive file: it should start `window.YTD.NAME.partN = [` \
         (as the files in an archive's `data/` folder do)"
            .to_string()
    };
    let name = rest.strip_prefix(PREFIX).ok_or_else(not_one)?;
    let eq = memchr::memchr(b'=', &name[..name.len().min(MAX_ASSIGNMENT)]).ok_or_else(not_one)?;
    let dotted = std::str::from_utf8(&name[..eq])
        .map_err(|_| not_one())?
        .trim();
    let kind = dotted.split('.').next().unwrap_or_default();
    if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(not_one());
    }
    Ok((kind.to_string(), lead + PREFIX.len() + eq + 1))
}

/// Pass over the assignment at the start of `reader` (whose first bytes are `head`),
/// leaving it at the array; an error where the file holds no tweets (`like.js`,
/// `account.js`, ...) says which files do.
pub(crate) fn skip_assignment(reader: &mut impl BufRead, head: &[u8]) -> Result<(), String> {
    let (kind, len) = assignment(head)?;
    if !TWEET_KINDS.contains(&kind.as_str()) {
        return Err(format!(
            "a Twitter archive's `{kind}` file holds no tweets: raqib reads an archive's \
             tweets.js (tweets-part1.js, ...), deleted-tweets.js and community-tweet.js, with \
             the account from the account.js and the long posts from the note-tweet.js \
             beside them; name those files, or the archive's folder"
        ));
    }
    std::io::copy(&mut reader.by_ref().take(len as u64), &mut std::io::sink())
        .map_err(|e| format!("cannot read: {e}"))?;
    Ok(())
}

/// The JSON array of an archive file's bytes (the assignment passed over).
fn array_of(bytes: &[u8]) -> Result<serde_json::Value, String> {
    let (_, len) = assignment(&bytes[..bytes.len().min(MAX_ASSIGNMENT + 16)])?;
    serde_json::from_slice(&bytes[len..]).map_err(|e| format!("not valid JSON: {e}"))
}

/// The members of each element's object `key` (`{"account": {...}}`).
fn members<'v>(
    array: &'v serde_json::Value,
    key: &'v str,
) -> impl Iterator<Item = &'v serde_json::Value> {
    array
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(move |e| e.get(key))
}

fn str_at<'v>(v: &'v serde_json::Value, path: &[&str]) -> Option<&'v str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
}

/// The archive's owner, from the `account.js` in `dir` and what `profile.js`,
/// `follower.js` and `following.js` there add. `Ok(None)` where there is no `account.js`;
/// an error names the file that could not be read.
pub(crate) fn owner_in(dir: &Beside) -> Result<Option<Account>, String> {
    let read = |name: &str| dir.read(name);
    let parsed = |name: &str| -> Result<Option<serde_json::Value>, String> {
        read(name)?
            .map(|b| array_of(&b).map_err(|e| format!("{}: {e}", dir.shown(name))))
            .transpose()
    };
    let Some(accounts) = parsed("account.js")? else {
        return Ok(None);
    };
    let Some(a) = members(&accounts, "account").next() else {
        return Err(format!("{}: no `account` in it", dir.shown("account.js")));
    };
    let Some(id) = str_at(a, &["accountId"]) else {
        return Err(format!(
            "{}: the account has no `accountId`",
            dir.shown("account.js")
        ));
    };
    let mut account = Account {
        id: id.to_string(),
        platform: "twitter".into(),
        handle: str_at(a, &["username"]).map(str::to_owned),
        display_name: str_at(a, &["accountDisplayName"]).map(str::to_owned),
        created_at: str_at(a, &["createdAt"]).and_then(crate::parse_time),
        ..Default::default()
    };
    if let Some(profiles) = parsed("profile.js")? {
        if let Some(p) = members(&profiles, "profile").next() {
            account.bio = str_at(p, &["description", "bio"]).map(str::to_owned);
            account.avatar = str_at(p, &["avatarMediaUrl"]).map(|url| MediaRef {
                kind: "image".into(),
                url: Some(url.to_string()),
                ..Default::default()
            });
        }
    }
    // Followers are counted, not parsed: a large account's list is long.
    if let Some(bytes) = read("follower.js")? {
        let n = memchr::memmem::find_iter(&bytes, b"\"accountId\"").count();
        account.followers = Some(n as u64);
    }
    if let Some(following) = parsed("following.js")? {
        account.follows = members(&following, "following")
            .filter_map(|f| str_at(f, &["accountId"]).map(str::to_owned))
            .collect();
    }
    Ok(Some(account))
}

/// The long posts of an archive: `note-tweet.js` (and `note-tweet-part1.js`, ...), each
/// element `{"noteTweet": {"noteTweetId", "createdAt", "core": {"text", "urls": [...]}}}`.
/// The notes name no tweet (a note written by another exporter may: `tweetId`, used
/// where present), so a tweet takes the note posted in the same second whose text starts
/// as the tweet's does (see [`text_key`]); a tweet no note matches keeps its text. A note
/// that no tweet of the archive takes (its tweet is not in the archive, or its text does
/// not start as the note's) is a post of its own ([`Notes::left_over`]), so that nothing
/// the owner wrote is lost. Read whole: only long posts are in it.
#[derive(Debug, Default)]
pub struct Notes {
    notes: Vec<Note>,
    /// The files the notes were read from.
    files: Vec<std::sync::Arc<str>>,
    by_tweet: std::collections::HashMap<String, usize>,
    by_second: std::collections::HashMap<i64, Vec<usize>>,
}

#[derive(Debug)]
struct Note {
    text: String,
    urls: Vec<String>,
    key: String,
    /// `noteTweetId` (empty where the note has none).
    id: String,
    created_at: Option<i64>,
    /// Its file in [`Notes::files`], and the line its `noteTweetId` is on (0 if none).
    file: usize,
    line: u64,
    /// Whether a tweet has taken it.
    taken: std::sync::atomic::AtomicBool,
}

/// A note's element, as the archives write it (and as some exporters do: the text under
/// `noteTweetResults`, the tweet named).
#[derive(Deserialize)]
struct NoteElement {
    #[serde(rename = "noteTweet")]
    note: Option<NoteTweet>,
}

#[derive(Deserialize)]
struct NoteTweet {
    #[serde(rename = "noteTweetId")]
    id: Option<String>,
    #[serde(rename = "createdAt")]
    created_at: Option<String>,
    #[serde(rename = "tweetId")]
    tweet_id: Option<String>,
    core: Option<NoteCore>,
    #[serde(rename = "noteTweetResults")]
    results: Option<NoteCore>,
}

#[derive(Deserialize)]
struct NoteCore {
    text: Option<String>,
    #[serde(default)]
    urls: Vec<NoteUrl>,
}

#[derive(Deserialize)]
struct NoteUrl {
    #[serde(rename = "expandedUrl")]
    expanded: Option<String>,
    #[serde(rename = "shortUrl")]
    short: Option<String>,
}

/// Characters of a text's start that [`text_key`] keeps: enough to tell posts of one
/// second apart, few enough that a tweet cut at 280 characters has them all.
const KEY_CHARS: usize = 48;

/// Fewer than this many characters in the shorter of two keys: no match (a tweet this
/// short was not cut).
const MIN_KEY_CHARS: usize = 16;

/// What a tweet's text and its note's text share at their start: the letters and digits,
/// lower-cased, after leading @mentions (a reply's tweet has them, its note may not), with
/// links left out (the tweet's are `t.co` links, the note's may be expanded), and HTML
/// escapes decoded (the tweets have them, a note may not), up to [`KEY_CHARS`] of them.
fn text_key(text: &str) -> String {
    let (mut key, mut kept) = (String::new(), 0);
    let mut words = text.split_whitespace().peekable();
    while words.next_if(|w| w.starts_with('@')).is_some() {}
    for w in words {
        if w.starts_with("http://") || w.starts_with("https://") {
            continue;
        }
        let mut rest = w;
        while let Some(c) = rest.chars().next() {
            let entity = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                .into_iter()
                .find(|e| rest.starts_with(e));
            rest = &rest[entity.map_or(c.len_utf8(), str::len)..];
            if entity.is_none() && c.is_alphanumeric() {
                key.extend(c.to_lowercase());
                kept += 1;
                if kept == KEY_CHARS {
                    return key;
                }
            }
        }
    }
    key
}

/// Whether a tweet's key and a note's key are of one post: one starts the other, and the
/// shorter is long enough to tell.
fn keys_match(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long.starts_with(short) && (short == long || short.chars().count() >= MIN_KEY_CHARS)
}

impl Notes {
    /// The notes of one archive file's bytes (the assignment passed over), read from `file`.
    fn add_file(&mut self, bytes: &[u8], file: &str) -> Result<(), String> {
        let (_, len) = assignment(&bytes[..bytes.len().min(MAX_ASSIGNMENT + 16)])?;
        let elements: Vec<NoteElement> =
            serde_json::from_slice(&bytes[len..]).map_err(|e| format!("not valid JSON: {e}"))?;
        let lines = id_lines(bytes);
        for n in elements.into_iter().filter_map(|e| e.note) {
            let Some(core) = n.core.or(n.results) else {
                continue;
            };
            let Some(text) = core.text.filter(|t| !t.trim().is_empty()) else {
                continue;
            };
            let urls = core
                .urls
                .into_iter()
                .filter_map(|u| u.expanded.or(u.short))
                .filter(|u| !u.is_empty())
                .collect();
            let i = self.notes.len();
            if let Some(id) = n.tweet_id.filter(|id| !id.is_empty()) {
                self.by_tweet.insert(id, i);
            }
            let created_at = n.created_at.as_deref().and_then(crate::parse_time);
            if let Some(t) = created_at {
                self.by_second.entry(t).or_default().push(i);
            }
            let id = n.id.unwrap_or_default();
            self.notes.push(Note {
                key: text_key(&text),
                text,
                urls,
                line: lines.get(id.as_str()).copied().unwrap_or(0),
                id,
                created_at,
                file: self.files.len(),
                taken: Default::default(),
            });
        }
        self.files.push(std::sync::Arc::from(file));
        Ok(())
    }

    /// The notes no tweet has taken, as posts of `owner` (`noteTweetId` their id), in the
    /// order of their files: what [`crate::open_chunks`] reads before the tweets of an
    /// archive's main tweets file, once the archive's tweet files have been read for which
    /// notes they take.
    pub(crate) fn left_over(&self, owner: Option<&str>) -> Vec<crate::Chunk> {
        let mut chunks: Vec<crate::Chunk> = Vec::new();
        for (i, n) in self.notes.iter().enumerate() {
            if n.taken.load(std::sync::atomic::Ordering::Relaxed) {
                continue;
            }
            let post = raqib_model::Post {
                id: if n.id.is_empty() {
                    format!("note-{}", i + 1)
                } else {
                    n.id.clone()
                },
                platform: "twitter".into(),
                account: owner.unwrap_or_default().into(),
                created_at: n.created_at,
                text: n.text.clone(),
                urls: n.urls.clone(),
                ..Default::default()
            };
            let item = (n.line, Ok(Record::Post(Box::new(post))));
            match chunks.last_mut() {
                Some(crate::Chunk::Records { file, items, .. })
                    if **file == *self.files[n.file] =>
                {
                    items.push(item)
                }
                _ => chunks.push(crate::Chunk::Records {
                    file: self.files[n.file].clone(),
                    items: vec![item],
                    read: 0,
                }),
            }
        }
        chunks
    }

    /// Mark the notes the tweets in `lines` take (an archive's tweet elements, one a line
    /// as its chunks hold them), as scanning them would, without making their posts: only
    /// a tweet that could take a note is parsed ([`Notes::could_take`]). Reading an
    /// archive of a million tweets for its notes took longer than scanning it when every
    /// tweet was parsed into a post.
    pub(crate) fn mark_taken_in(&self, lines: &[u8]) {
        for line in lines.split(|&b| b == b'\n') {
            if self.could_take(line) {
                let _ = parse_line(line, Some(self), |_| true, |_| {});
            }
        }
    }

    /// Mark the notes the tweets of one tweets file take, reading it as Twitter lays it out
    /// (`reader` past its assignment): each element of the array starts on a line of its
    /// own, `  {`, two spaces in. A JSON string holds no raw line break, so such a line is
    /// never inside one, and the file splits into its elements with one search for that
    /// line, no skim: a few times faster. Only a piece that could take a note
    /// ([`Notes::could_take`]) is parsed, cut from its first `{` to its last `}`.
    /// `Ok(false)` where the file is not laid out so (no such line in its first 8 MiB or in
    /// any 32 MiB after, or
    /// a piece to parse that is not one tweet element): the caller reads it the slow way,
    /// and what was marked here stands (a note is marked only by the tweet that takes it).
    pub(crate) fn mark_taken_in_layout(
        &self,
        reader: &mut impl std::io::Read,
        prefix: &[u8],
    ) -> std::io::Result<bool> {
        self.mark_taken_in_blocks(reader, prefix, 8 << 20)
    }

    /// [`Notes::mark_taken_in_layout`], reading `block` bytes at a time.
    fn mark_taken_in_blocks(
        &self,
        reader: &mut impl std::io::Read,
        prefix: &[u8],
        block: usize,
    ) -> std::io::Result<bool> {
        const START: &[u8] = b"\n  {\n";
        let block = block.max(1);
        let finder = memchr::memmem::Finder::new(START);
        let mut buf: Vec<u8> = Vec::with_capacity(block * 2);
        let mut line = prefix.to_vec();
        // Whether the piece at `buf`'s start is what comes before the first element.
        let mut first = true;
        loop {
            let had = buf.len();
            buf.resize(had + block, 0);
            let mut got = 0;
            while got < block {
                match reader.read(&mut buf[had + got..]) {
                    Ok(0) => break,
                    Ok(n) => got += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            buf.truncate(had + got);
            let eof = got < block;
            // Element starts found in what is new (the one before stays the piece's start).
            let from = had.saturating_sub(START.len() - 1);
            let mut starts: Vec<usize> = finder
                .find_iter(&buf[from..])
                .map(|i| from + i + 1)
                .collect();
            if first && starts.is_empty() && !eof && buf.len() >= block {
                return Ok(false);
            }
            if eof {
                starts.push(buf.len());
            }
            let mut begin = 0;
            for end in starts {
                if end <= begin {
                    continue;
                }
                let piece = &buf[begin..end];
                if first {
                    // Before the first element: the array's `[` alone.
                    first = false;
                    if self.could_take(piece) {
                        return Ok(false);
                    }
                } else if self.could_take(piece) {
                    let (Some(a), Some(b)) =
                        (memchr::memchr(b'{', piece), memchr::memrchr(b'}', piece))
                    else {
                        return Ok(false);
                    };
                    line.truncate(prefix.len());
                    line.extend_from_slice(&piece[a..=b]);
                    if parse_line(&line, Some(self), |_| true, |_| {}).is_err() {
                        return Ok(false);
                    }
                }
                begin = end;
            }
            if eof {
                return Ok(true);
            }
            if begin == 0 && buf.len() >= 4 * block {
                // No element start in four blocks: not the layout (or no tweet elements).
                return Ok(false);
            }
            buf.drain(..begin);
        }
    }

    /// Whether the tweet element `bytes` could take a note: one names a tweet (then any
    /// could), or a `"created_at"` in it gives a second some note was posted in. A quick
    /// look, no parse: it may say yes to a tweet that takes none (a tweet's text quoting
    /// such a key), never no to one that takes one, as the key is in every tweet as
    /// written.
    fn could_take(&self, bytes: &[u8]) -> bool {
        if !self.by_tweet.is_empty() {
            return true;
        }
        const KEY: &[u8] = b"\"created_at\"";
        memchr::memmem::find_iter(bytes, KEY).any(|at| {
            let rest = bytes[at + KEY.len()..].trim_ascii_start();
            let Some(value) = rest
                .strip_prefix(b":")
                .and_then(|r| r.trim_ascii_start().strip_prefix(b"\""))
            else {
                return false;
            };
            let Some(end) = memchr::memchr2(b'"', b'\\', value) else {
                return false;
            };
            if value[end] == b'\\' {
                return true; // an escape: let the parse decide
            }
            std::str::from_utf8(&value[..end])
                .ok()
                .and_then(crate::parse_time)
                .is_none_or(|t| self.by_second.contains_key(&t))
        })
    }

    /// How many notes were read.
    pub fn len(&self) -> usize {
        self.notes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.notes.is_empty()
    }

    /// The note of `post`, if one is: by the tweet it names, else by the second and the
    /// start of the text.
    fn note_of(&self, post: &raqib_model::Post) -> Option<&Note> {
        let note = self.find_note(post)?;
        note.taken.store(true, std::sync::atomic::Ordering::Relaxed);
        Some(note)
    }

    fn find_note(&self, post: &raqib_model::Post) -> Option<&Note> {
        if let Some(&i) = (!self.by_tweet.is_empty())
            .then(|| self.by_tweet.get(&post.id))
            .flatten()
        {
            return self.notes.get(i);
        }
        let candidates = self.by_second.get(&post.created_at?)?;
        let key = text_key(&post.text);
        candidates
            .iter()
            .map(|&i| &self.notes[i])
            .find(|n| keys_match(&key, &n.key))
    }

    /// Give `post` its note's whole text and links, if it has a note. The tweet's leading
    /// @mentions are kept where the note's text lacks them.
    pub(crate) fn complete(&self, post: &mut raqib_model::Post) {
        let Some(note) = self.note_of(post) else {
            return;
        };
        let mentions_end = post
            .text
            .split_inclusive(char::is_whitespace)
            .take_while(|w| w.starts_with('@'))
            .map(str::len)
            .sum::<usize>();
        let mentions = &post.text[..mentions_end];
        post.text = if !mentions.is_empty() && !note.text.starts_with('@') {
            format!("{mentions}{}", note.text)
        } else {
            note.text.clone()
        };
        for u in &note.urls {
            if !post.urls.contains(u) {
                post.urls.push(u.clone());
            }
        }
    }
}

/// The line of each `"noteTweetId": "ID"` in a notes file, by ID: where a reviewer finds
/// a note that became a post of its own. One pass; an ID of other than plain characters
/// (none is: they are digits) is not found, and its note has line 0.
fn id_lines(bytes: &[u8]) -> std::collections::HashMap<&str, u64> {
    const NAME: &[u8] = b"\"noteTweetId\"";
    let mut lines = std::collections::HashMap::new();
    let (mut line, mut counted) = (1u64, 0usize);
    for at in memchr::memmem::find_iter(bytes, NAME) {
        line += memchr::memchr_iter(b'\n', &bytes[counted..at]).count() as u64;
        counted = at;
        let rest = &bytes[at + NAME.len()..];
        let rest = rest.trim_ascii_start().strip_prefix(b":").unwrap_or(b"");
        let Some(value) = rest.trim_ascii_start().strip_prefix(b"\"") else {
            continue;
        };
        let Some(end) = memchr::memchr2(b'"', b'\\', value) else {
            continue;
        };
        if value[end] == b'"' {
            if let Ok(id) = std::str::from_utf8(&value[..end]) {
                lines.entry(id).or_insert(line);
            }
        }
    }
    lines
}

/// The notes in `dir` (`note-tweet.js`, `note-tweet-part1.js`, ...): `Ok(None)` where
/// there are none; an error names the file that could not be read.
pub(crate) fn notes_in(dir: &Beside) -> Result<Option<Notes>, String> {
    let mut notes = Notes::default();
    let mut found = false;
    for part in 0.. {
        let name = match part {
            0 => "note-tweet.js".to_string(),
            n => format!("note-tweet-part{n}.js"),
        };
        let bytes = match dir.read(&name)? {
            Some(b) => b,
            None if part > 0 => break,
            None => continue,
        };
        found = true;
        let path = dir.shown(&name);
        notes
            .add_file(&bytes, &path)
            .map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(found.then_some(notes))
}

/// Whether a file beside an archive's tweets is one its readers read whole: the owner's
/// (`account.js`, `profile.js`, `follower.js`, `following.js`) and the long posts
/// (`note-tweet.js`, `note-tweet-part1.js`, ...).
pub(crate) fn is_read_whole_beside(name: &str) -> bool {
    matches!(
        name,
        "account.js" | "profile.js" | "follower.js" | "following.js" | "note-tweet.js"
    ) || name
        .strip_prefix("note-tweet-part")
        .and_then(|r| r.strip_suffix(".js"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The owner's id a [`line_prefix`] holds, if any.
pub(crate) fn owner_of_prefix(prefix: &[u8]) -> Option<&str> {
    let id = prefix.strip_suffix(&[FIELD_SEP])?;
    std::str::from_utf8(id).ok().filter(|id| !id.is_empty())
}

/// Whether a file's name is one of an archive's tweet files: `tweets.js`,
/// `tweets-part1.js`, ... (`tweet.js` before 2020), `deleted-tweets.js` and
/// `community-tweet.js`, compressed or not (the archive's other files hold no posts:
/// likes, direct messages, settings, and the viewer's own scripts).
pub fn is_tweets_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let Some(stem) = crate::strip_compression_ext(&lower).strip_suffix(".js") else {
        return false;
    };
    let stem = stem.strip_prefix("deleted-").unwrap_or(stem);
    let part = |rest: &str| {
        rest.strip_prefix("-part")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    ["tweets", "tweet", "community-tweet"].iter().any(|t| {
        stem.strip_prefix(t)
            .is_some_and(|r| r.is_empty() || part(r))
    })
}

/// Whether the file at `path` is an archive's main tweets file (`tweets.js`, or `tweet.js`
/// before 2020; compressed or not), whose reading also gives the notes no tweet takes.
pub(crate) fn is_main_tweets_file(path: &str) -> bool {
    let name = Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    matches!(
        crate::strip_compression_ext(&name),
        "tweets.js" | "tweet.js"
    )
}

/// The start of each element line: the owner's id (empty where unknown) and the
/// separator.
pub(crate) fn line_prefix(owner: Option<&Account>) -> Vec<u8> {
    let mut p = Vec::new();
    crate::push_field(&mut p, owner.map_or("", |a| a.id.as_str()));
    p
}

/// An element as the archives write it: `{"tweet": {...}}`; before 2020, the tweet itself.
#[derive(Deserialize)]
struct Wrapped<'a> {
    #[serde(default, borrow)]
    tweet: Option<Tweet<'a>>,
}

/// Parse one element line (`owner SEP element`) into its post. Tweets that name their
/// author inline (none do in an archive) give that author's account once, as `seen` says.
pub(crate) fn parse_line(
    line: &[u8],
    notes: Option<&Notes>,
    seen: impl FnMut(&str) -> bool,
    mut out: impl FnMut(Record),
) -> Result<(), String> {
    let sep = memchr::memchr(FIELD_SEP, line).ok_or("not a line of a Twitter archive")?;
    let owner = std::str::from_utf8(&line[..sep]).map_err(|_| "invalid UTF-8")?;
    let json = &line[sep + 1..];
    let text = std::str::from_utf8(json)
        .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?;
    crate::require_object(json, "a Twitter archive's tweet")?;
    let wrapped: Wrapped =
        serde_json::from_str(text).map_err(|e| format!("not a Twitter archive's tweet: {e}"))?;
    let tweet = match wrapped.tweet {
        Some(t) => t,
        None => {
            serde_json::from_str(text).map_err(|e| format!("not a Twitter archive's tweet: {e}"))?
        }
    };
    let owner = (!owner.is_empty()).then_some(owner);
    match notes {
        Some(notes) => tweet_records(tweet, owner, seen, |mut r| {
            if let Record::Post(p) = &mut r {
                notes.complete(p);
            }
            out(r)
        }),
        None => tweet_records(tweet, owner, seen, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_assignment_names_the_kind_and_ends_at_its_sign() {
        let head = b"window.YTD.tweets.part0 = [ {";
        assert_eq!(assignment(head), Ok(("tweets".to_string(), 25)));
        assert_eq!(&head[25..], b" [ {");
        let bom = b"\xEF\xBB\xBF\n window.YTD.deleted_tweets.part12=[]";
        let (kind, len) = assignment(bom).unwrap();
        assert_eq!(kind, "deleted_tweets");
        assert_eq!(&bom[len..], b"[]");
        for bad in [
            &b"window.YTD.tweets.part0 [ {"[..],
            b"windows.YTD.tweets = []",
            b"window.YTD. = []",
            b"window.YTD.a b = []",
            b"",
        ] {
            let e = assignment(bad).unwrap_err();
            assert!(e.contains("window.YTD.NAME.partN = ["), "{e}");
        }
    }

    #[test]
    fn files_without_tweets_are_refused_with_the_ones_to_read() {
        let head = b"window.YTD.like.part0 = [ {\"like\": {}} ]";
        let mut r: &[u8] = head;
        let e = skip_assignment(&mut r, head).unwrap_err();
        assert!(e.contains("`like`") && e.contains("tweets.js"), "{e}");
        let head = b"window.YTD.tweets.part1 = [ ]";
        let mut r: &[u8] = head;
        skip_assignment(&mut r, head).unwrap();
        assert_eq!(r, b" [ ]");
    }

    fn post_of(line: &[u8]) -> Result<raqib_model::Post, String> {
        let mut got = Vec::new();
        parse_line(line, None, |_| false, |r| got.push(r))?;
        match got.pop() {
            Some(Record::Post(p)) => Ok(*p),
            other => panic!("a post, not {other:?}"),
        }
    }

    #[test]
    fn a_wrapped_and_a_bare_tweet_are_the_owners() {
        let tweet = r#"{"id_str":"7","full_text":"a &amp; b https://t.co/x","created_at":"Wed Oct 10 20:19:24 +0000 2018","lang":"en","in_reply_to_status_id_str":"6","favorite_count":"3","entities":{"urls":[{"url":"https://t.co/x","expanded_url":"https://example.org/a"}]},"extended_entities":{"media":[{"type":"photo","media_url_https":"https://pbs.example/m.jpg"}]}}"#;
        for line in [
            format!("42\u{1f}{{\"tweet\":{tweet}}}"),
            format!("42\u{1f}{tweet}"),
        ] {
            let p = post_of(line.as_bytes()).unwrap();
            assert_eq!(p.id, "7");
            assert_eq!(p.account, "42");
            assert_eq!(p.platform, "twitter");
            assert_eq!(p.text, "a & b https://t.co/x");
            assert_eq!(p.created_at, Some(1539202764));
            assert_eq!(p.reply_to.as_deref(), Some("6"));
            assert_eq!(p.urls, ["https://example.org/a"]);
            assert_eq!(p.media.len(), 1);
            assert_eq!(p.media[0].kind, "photo");
        }
        // No owner known: no account.
        let p = post_of(format!("\u{1f}{{\"tweet\":{tweet}}}").as_bytes()).unwrap();
        assert_eq!(p.account, "");
    }

    #[test]
    fn broken_elements_say_what_is_wrong() {
        for (line, says) in [
            (&b"no separator"[..], "not a line of a Twitter archive"),
            (b"1\x1f[1, 2]", "not a Twitter archive's tweet"),
            (b"1\x1f{\"tweet\": 5}", "not a Twitter archive's tweet"),
            (b"1\x1f{\"tweet\": {\"full_text\": \"x\"}}", "no `id`"),
            (b"1\x1f{\"tweet\": {\"id_str\": \"9\"}}", "no `text`"),
            (b"1\x1f{\"tweet\": \xff}", "invalid UTF-8"),
        ] {
            let e = post_of(line).unwrap_err();
            assert!(e.contains(says), "{e} should say {says}");
        }
    }

    proptest! {
        /// The line of each note's id, whatever the lines around it hold; any bytes
        /// give some map without a panic.
        #[test]
        fn a_notes_id_is_found_on_its_line(
            gaps in proptest::collection::vec(0usize..4, 1..6),
            junk in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let mut file = String::from("window.YTD.note_tweet.part0 = [");
            let mut want = Vec::new();
            for (i, g) in gaps.iter().enumerate() {
                file.push_str(&"\n".repeat(*g));
                want.push((format!("{i}7"), file.matches('\n').count() as u64 + 1));
                file.push_str(&format!("{{\"noteTweet\" : {{ \"noteTweetId\" :  \"{i}7\" }} }},"));
            }
            let lines = id_lines(file.as_bytes());
            for (id, line) in &want {
                prop_assert_eq!(lines.get(id.as_str()), Some(line));
            }
            id_lines(&junk);
        }
    }

    fn notes(json: &str) -> Notes {
        let mut n = Notes::default();
        n.add_file(
            format!("window.YTD.note_tweet.part0 = {json}").as_bytes(),
            "note-tweet.js",
        )
        .unwrap();
        n
    }

    fn post(id: &str, created_at: i64, text: &str) -> raqib_model::Post {
        raqib_model::Post {
            id: id.into(),
            created_at: Some(created_at),
            text: text.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_text_key_is_its_first_letters_and_digits_after_mentions_without_links() {
        assert_eq!(
            text_key("@a @b_c Fish &amp; chips, 2 of them… https://t.co/x"),
            "fishchips2ofthem"
        );
        assert_eq!(text_key("صباح الخير يا أصدقاء"), "صباحالخيرياأصدقاء");
        assert_eq!(text_key(&"word ".repeat(40)).chars().count(), KEY_CHARS);
        assert_eq!(text_key(""), "");
        assert!(keys_match("abcdefghijklmnop", "abcdefghijklmnopqrs"));
        assert!(
            !keys_match("abcdefghijklmno", "abcdefghijklmnopqrs"),
            "too short to tell"
        );
        assert!(keys_match("abc", "abc"));
        assert!(!keys_match("abcdefghijklmnopx", "abcdefghijklmnopy"));
    }

    /// A tweet takes the note of its second whose text starts as its own (not merely the
    /// first note of that second); its leading mentions stay; the note's links are added;
    /// a tweet of another second, or whose text starts otherwise, keeps its own.
    #[test]
    fn a_tweet_takes_its_own_note() {
        let long = format!(
            "{} and the end of it https://t.co/n",
            "the start of a long post ".repeat(12)
        );
        let n = notes(&format!(
            r#"[
              {{"noteTweet": {{"noteTweetId": "1", "createdAt": "2026-11-04T18:00:00.000Z",
                "core": {{"text": "Something else said in the same second, and at length", "urls": []}}}}}},
              {{"noteTweet": {{"noteTweetId": "2", "createdAt": "2026-11-04T18:00:00.000Z",
                "core": {{"text": {long:?}, "urls": [{{"shortUrl": "https://t.co/n", "expandedUrl": "https://example.org/n"}}]}}}}}},
              {{"noteTweet": {{"noteTweetId": "3", "createdAt": "not a time", "core": {{"text": "x"}}}}}},
              {{"noteTweet": {{"noteTweetId": "4", "createdAt": "2026-11-04T18:00:00.000Z"}}}},
              {{"other": 1}}
            ]"#
        ));
        assert_eq!(n.len(), 3);
        let second = crate::parse_time("2026-11-04T18:00:00.000Z").unwrap();
        let cut = format!("@someone {}\u{2026} https://t.co/self", &long[..270]);
        let mut p = post("9", second, &cut);
        p.urls = vec!["https://twitter.com/i/web/status/9".into()];
        n.complete(&mut p);
        assert_eq!(p.text, format!("@someone {long}"));
        assert_eq!(
            p.urls,
            [
                "https://twitter.com/i/web/status/9",
                "https://example.org/n"
            ]
        );
        for mut other in [
            post("10", second + 1, &cut),
            post(
                "11",
                second,
                "The start of something else entirely, cut… https://t.co/y",
            ),
            post("12", second, "short"),
        ] {
            let before = other.text.clone();
            n.complete(&mut other);
            assert_eq!(other.text, before);
        }
    }

    /// The notes' pre-read parses only a tweet that could take a note: one posted in a
    /// note's second (its `created_at` found without a parse, whatever the spacing), or
    /// any where a note names its tweet. A tweet of another second is not parsed, and
    /// takes none.
    #[test]
    fn only_a_tweet_of_a_notes_second_is_parsed_for_the_notes() {
        let text = "the start of a long post ".repeat(12);
        let n = notes(&format!(
            r#"[{{"noteTweet": {{"noteTweetId": "1", "createdAt": "2026-11-04T18:00:00.000Z",
                "core": {{"text": {text:?}}}}}}}]"#
        ));
        let tweet = |at: &str, sep: &str| {
            format!(
                "\u{1f}{{\"tweet\" : {{\"id_str\" : \"9\", \"full_text\" : {:?}, \"created_at\"{sep}\"{at}\"}}}}",
                &text[..100]
            )
        };
        let same = "Wed Nov 04 18:00:00 +0000 2026";
        assert!(n.could_take(tweet(same, " : ").as_bytes()));
        assert!(n.could_take(tweet(same, ":").as_bytes()));
        assert!(n.could_take(tweet(same, "\n  :\n  ").as_bytes()));
        let other = tweet("Wed Nov 04 18:00:01 +0000 2026", " : ");
        assert!(!n.could_take(other.as_bytes()));
        assert!(!n.could_take(b"\x1f{\"tweet\" : {\"id_str\" : \"9\"}}"));
        // A text that quotes the key with the note's second may be parsed for nothing.
        let quoted = format!(
            "\u{1f}{{\"tweet\" : {{\"full_text\" : \"\\\"created_at\\\" : \\\"{same}\\\"\", \"created_at\" : \"Wed Nov 04 18:00:01 +0000 2026\"}}}}"
        );
        assert!(
            serde_json::from_str::<serde_json::Value>(&quoted[1..]).is_ok(),
            "{quoted}"
        );
        n.mark_taken_in(format!("{other}\n{quoted}").as_bytes());
        assert_eq!(
            n.left_over(None).len(),
            1,
            "a tweet of another second takes none"
        );
        n.mark_taken_in(tweet(same, " : ").as_bytes());
        assert!(n.left_over(None).is_empty(), "its tweet took it");
        let named = notes(
            r#"[{"noteTweet": {"noteTweetId": "1", "tweetId": "77", "noteTweetResults": {"text": "x"}}}]"#,
        );
        assert_eq!(named.len(), 1);
        assert!(named.could_take(other.as_bytes()));
    }

    /// A note that names its tweet (as some exporters write it, the text under
    /// `noteTweetResults`) goes to that tweet whatever its time.
    #[test]
    fn a_note_that_names_its_tweet_goes_to_it() {
        let n = notes(
            r#"[{"noteTweet": {"noteTweetId": "1", "tweetId": "77",
                "noteTweetResults": {"text": "the whole text"}}}]"#,
        );
        let mut p = post("77", 5, "the whole t…");
        n.complete(&mut p);
        assert_eq!(p.text, "the whole text");
    }

    /// `note-tweet.js` and its parts are read from the archive's folder; none is `None`;
    /// a broken one is an error that names it.
    #[test]
    fn notes_are_read_from_the_folder_and_a_broken_file_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(notes_in(&Beside::Folder(dir.path().to_path_buf()))
            .unwrap()
            .is_none());
        let one = r#"window.YTD.note_tweet.part0 = [{"noteTweet": {"createdAt": "2026-11-04T18:00:00.000Z", "core": {"text": "a"}}}]"#;
        std::fs::write(dir.path().join("note-tweet.js"), one).unwrap();
        std::fs::write(
            dir.path().join("note-tweet-part1.js"),
            one.replace("part0", "part1"),
        )
        .unwrap();
        assert_eq!(
            notes_in(&Beside::Folder(dir.path().to_path_buf()))
                .unwrap()
                .unwrap()
                .len(),
            2
        );
        std::fs::write(
            dir.path().join("note-tweet-part1.js"),
            "window.YTD.note_tweet.part1 = [{",
        )
        .unwrap();
        let e = notes_in(&Beside::Folder(dir.path().to_path_buf())).unwrap_err();
        assert!(
            e.contains("note-tweet-part1.js") && e.contains("not valid JSON"),
            "{e}"
        );
    }

    proptest! {
        /// Any text's key is at most [`KEY_CHARS`] letters and digits, and a text over 280
        /// characters cut anywhere past them (an ellipsis and a link after the cut, `&`
        /// escaped, as `tweets.js` has it) keeps its key.
        #[test]
        fn a_cut_text_keeps_its_key(
            words in proptest::collection::vec("[a-zA-Z0-9&é\u{0627}-\u{064a}]{1,9}", 60..90),
            cut in 200usize..280,
        ) {
            let text = words.join(" ");
            let key = text_key(&text);
            prop_assert!(key.chars().count() <= KEY_CHARS);
            prop_assert!(key.chars().all(char::is_alphanumeric));
            let at = (cut..=text.len()).find(|&i| text.is_char_boundary(i)).unwrap();
            let tweet = format!("{}\u{2026} https://t.co/x", text[..at].replace('&', "&amp;"));
            let tweet_key = text_key(&tweet);
            prop_assert!(keys_match(&tweet_key, &key), "{} / {}", tweet_key, key);
        }

        #[test]
        fn any_text_gives_a_key_never_a_panic(text in "\\PC{0,200}") {
            let key = text_key(&text);
            prop_assert!(key.chars().count() <= KEY_CHARS + 2);
        }

        #[test]
        fn any_head_gives_an_assignment_or_an_error_never_a_panic(head in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok((kind, len)) = assignment(&head) {
                prop_assert!(len <= head.len());
                prop_assert_eq!(head[len - 1], b'=');
                prop_assert!(!kind.is_empty());
            }
        }

        #[test]
        fn any_line_parses_or_is_refused_never_a_panic(line in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_line(&line, None, |_| false, |_| {});
        }

        /// Reading a tweets file by Twitter's layout marks the notes that parsing each of
        /// its tweets marks: any texts (quotes, escapes, line breaks, braces, a `{` line
        /// inside a string), tweets of a note's second or not, pretty-printed as Twitter
        /// writes it or on one line, read in blocks of any size. Where it gives up
        /// (`false`) it has marked no note its tweets do not take.
        #[test]
        fn the_layout_read_marks_what_parsing_each_tweet_marks(
            tweets in proptest::collection::vec((0usize..4, 0i64..3, "\\PC{0,40}", any::<bool>()), 0..12),
            pretty in any::<bool>(),
            block in 1usize..400,
        ) {
            let texts = [
                "the start of a long post about the market, \"quoted\" and {braced}\n  {\n ",
                "another long post that begins in its own words and goes on",
                "a third note, with an escape \\ and a tab\t and more words",
                "short",
            ];
            let json = texts
                .iter()
                .enumerate()
                .map(|(i, t)| format!(
                    r#"{{"noteTweet": {{"noteTweetId": "{i}", "createdAt": "2026-11-04T18:00:0{i}.000Z", "core": {{"text": {}}}}}}}"#,
                    serde_json::to_string(t).unwrap()
                ))
                .collect::<Vec<_>>()
                .join(",");
            let (fast, slow) = (notes(&format!("[{json}]")), notes(&format!("[{json}]")));
            let elements: Vec<serde_json::Value> = tweets
                .iter()
                .enumerate()
                .map(|(i, (note, later, own, starts_as_note))| {
                    let text = if *starts_as_note { format!("{}{own}", texts[*note]) } else { own.clone() };
                    let at = format!("Wed Nov 04 18:00:0{} +0000 2026", *note as i64 + later);
                    serde_json::json!({"tweet": {"id_str": i.to_string(), "full_text": text, "created_at": at}})
                })
                .collect();
            let file = if pretty {
                serde_json::to_string_pretty(&elements).unwrap()
            } else {
                serde_json::to_string(&elements).unwrap()
            };
            let prefix = [FIELD_SEP];
            for e in &elements {
                let mut line = prefix.to_vec();
                line.extend_from_slice(serde_json::to_string(e).unwrap().as_bytes());
                parse_line(&line, Some(&slow), |_| true, |_| {}).unwrap();
            }
            let ids = |n: &Notes| -> Vec<String> {
                n.left_over(None)
                    .iter()
                    .flat_map(|c| {
                        let mut v = Vec::new();
                        c.for_each_record(|_, r| if let Ok(Record::Post(p)) = r { v.push(p.id) });
                        v
                    })
                    .collect()
            };
            let done = fast.mark_taken_in_blocks(&mut file.as_bytes(), &prefix, block).unwrap();
            let (left_fast, left_slow) = (ids(&fast), ids(&slow));
            if done {
                prop_assert_eq!(left_fast, left_slow, "{}", file);
            } else {
                // Gave up: every note it marked, a tweet takes.
                for id in &left_slow {
                    prop_assert!(left_fast.contains(id), "{} marked wrongly in {}", id, file);
                }
            }
            // A block longer than the file shows its end at once (one just as long does
            // not: with no element in it, `[]`, the reader gives up before it reads on).
            if pretty && block > file.len() {
                prop_assert!(done, "Twitter's layout read whole: {}", file);
            }
        }

        /// Any bytes, in blocks of any size, are read or given up on, never a panic.
        #[test]
        fn any_file_is_read_by_layout_or_given_up_never_a_panic(
            parts in proptest::collection::vec(prop_oneof![
                Just(b"\n  {\n".to_vec()),
                Just(br#""created_at" : "Wed Nov 04 18:00:00 +0000 2026""#.to_vec()),
                Just(b"}".to_vec()),
                proptest::collection::vec(any::<u8>(), 0..20),
            ], 0..30),
            block in 1usize..64,
        ) {
            let n = notes(
                r#"[{"noteTweet": {"noteTweetId": "1", "createdAt": "2026-11-04T18:00:00.000Z", "core": {"text": "some long text of a note, long enough"}}}]"#,
            );
            let file = parts.concat();
            let _ = n.mark_taken_in_blocks(&mut file.as_slice(), &[FIELD_SEP], block);
        }

        /// The quick look never passes over a tweet that takes a note: whatever its text
        /// (one that starts as the note's, or any, quotes and escapes included), second
        /// and layout (compact or pretty-printed), a tweet it says no to takes none.
        #[test]
        fn the_quick_look_never_misses_a_tweet_that_takes_a_note(
            cut in 0usize..120,
            own in "\\PC{0,60}",
            starts_as_note in any::<bool>(),
            later in 0i64..2,
            pretty in any::<bool>(),
        ) {
            let note = "the start of a long post, \"quoted\" \\ and more ".repeat(4);
            let n = notes(&format!(
                r#"[{{"noteTweet": {{"noteTweetId": "1", "createdAt": "2026-11-04T18:00:00.000Z",
                    "core": {{"text": {}}}}}}}]"#,
                serde_json::to_string(&note).unwrap()
            ));
            let at = format!("Wed Nov 04 18:00:0{later} +0000 2026");
            let text = if starts_as_note { format!("{}{own}", &note[..cut]) } else { own };
            let tweet = serde_json::json!({"tweet": {"id_str": "9", "full_text": text, "created_at": at}});
            let element = if pretty {
                serde_json::to_string_pretty(&tweet).unwrap()
            } else {
                serde_json::to_string(&tweet).unwrap()
            };
            let line = format!("\u{1f}{element}");
            let looked = n.could_take(line.as_bytes());
            parse_line(line.as_bytes(), Some(&n), |_| true, |_| {}).unwrap();
            let taken = n.left_over(None).is_empty();
            prop_assert!(looked || !taken, "{line}");
        }
    }
}
