//! Readers that turn files and streams into raqib's model: raqib JSON Lines, CSV with a
//! column mapping, JSON arrays of records, Twitter API v2 responses, tweet objects a line
//! each (API v1.1, or v2 flattened), ActivityPub objects and Mastodon API statuses, Matrix
//! rooms, Discord channels, Meta's exported Messenger and Instagram threads, and Telegram
//! Desktop exports, plain or
//! gzip/zstd-compressed, from a path or `-` for standard input.
//!
//! **Invariant:** bad input is data. A malformed record becomes a [`Diagnostic`] with its
//! file and line, and reading goes on; only a file that cannot be opened at all, or a CSV
//! whose header cannot be mapped, is an [`OpenError`].
//!
//! The reader hands out [`Chunk`]s rather than records so that the expensive part of JSON
//! Lines (parsing) can run on worker threads: [`Chunk::records`] parses a chunk anywhere.
//!
//! ```no_run
//! use raqib_ingest::{open_chunks, Options};
//! for chunk in open_chunks("posts.jsonl.gz", &Options::default()).unwrap() {
//!     for item in chunk.records() {
//!         match item {
//!             Ok(record) => println!("{record:?}"),
//!             Err(diag) => eprintln!("{diag}"),
//!         }
//!     }
//! }
//! ```

mod activitypub;
mod array;
mod beside;
mod bluesky;
mod bluesky_car;
mod csvfmt;
mod discord;
mod discord_package;
mod html;
mod input;
mod instagram;
mod jsonfast;
mod jsonl;
mod mapped;
mod matrix;
mod meta;
mod place;
mod reddit;
mod reddit_export;
mod source;
mod tar;
mod tar_index;
mod telegram;
mod telegram_html;
mod time;
mod tweets;
mod twitter;
mod twitter_archive;
mod whatsapp;
mod zip_archive;
mod zstd_frames;

use std::io::BufRead;

pub use activitypub::parse_activitypub;
pub use csvfmt::{CsvMapping, CSV_FIELDS};
pub use discord::parse_discord;
#[cfg(target_os = "linux")]
pub use input::cached_pages;
pub use input::{open_input, open_reader, Compression, Opened};
pub use jsonl::{parse_raqib_line, parse_raqib_line_reusing, parse_raqib_line_serde};
pub use mapped::JsonMapping;
pub use matrix::parse_matrix;
pub use meta::{
    is_html_page as is_meta_html_page, meta_export_others, HTML_EXPORT as META_HTML_EXPORT,
    UNKNOWN_OWNER as UNKNOWN_META_OWNER,
};
pub use raqib_model::{Diagnostic, Record};
pub use time::parse_time;
pub use tweets::parse_tweet;
pub use twitter::parse_twitter_page;
pub use twitter_archive::Notes as TwitterArchiveNotes;

/// The input formats raqib reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Decide from the file name and the first bytes.
    Auto,
    /// raqib's own JSON Lines (`docs/format.md`).
    Jsonl,
    /// CSV with a header row, mapped by [`CsvMapping`].
    Csv,
    /// Twitter API v2 responses: one JSON document, or one response per line.
    TwitterV2,
    /// Tweet objects, one per line: API v1.1, or v2 as `twarc2 flatten` writes them.
    Tweets,
    /// The fediverse: ActivityPub objects (a Mastodon archive's `outbox.json` and
    /// `actor.json`) and Mastodon API statuses.
    ActivityPub,
    /// Matrix rooms: an Element "Export chat" JSON, API responses, or events a line.
    Matrix,
    /// Discord channels: DiscordChatExporter's JSON, or API messages.
    Discord,
    /// Meta's "Download Your Information" export: Messenger and Instagram threads
    /// (`messages/inbox/THREAD/message_1.json`).
    Meta,
    /// Reddit comments and submissions, one a line (Pushshift's dumps, the API's things).
    Reddit,
    /// Bluesky: Jetstream firehose events, and the AT Protocol API's JSON.
    Bluesky,
    /// Telegram Desktop's `result.json` export.
    Telegram,
    /// Telegram Desktop's HTML export (`messages.html`, `messages2.html`, ...).
    TelegramHtml,
    /// Twitter's account archive: `tweets.js` and `deleted-tweets.js` in its `data/`
    /// folder, with the owner from the `account.js` beside them.
    TwitterArchive,
    /// WhatsApp's "Export chat" text file.
    WhatsApp,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "auto" => Format::Auto,
            "jsonl" | "raqib" => Format::Jsonl,
            "csv" => Format::Csv,
            "twitter" | "twitter-v2" => Format::TwitterV2,
            "tweets" | "twitter-v1" => Format::Tweets,
            "activitypub" | "mastodon" | "fediverse" => Format::ActivityPub,
            "matrix" | "element" => Format::Matrix,
            "discord" => Format::Discord,
            "meta" | "messenger" | "facebook" | "instagram" => Format::Meta,
            "reddit" | "pushshift" => Format::Reddit,
            "bluesky" | "bsky" | "atproto" | "jetstream" => Format::Bluesky,
            "telegram" => Format::Telegram,
            "telegram-html" => Format::TelegramHtml,
            "twitter-archive" => Format::TwitterArchive,
            "whatsapp" => Format::WhatsApp,
            _ => {
                return Err(format!(
                    "unknown format `{s}`: use auto, jsonl, csv, twitter-v2, tweets, twitter-archive, activitypub, matrix, discord, meta, reddit, bluesky, telegram, telegram-html or whatsapp"
                ))
            }
        })
    }
}

/// How to read inputs.
#[derive(Debug, Clone)]
pub struct Options {
    pub format: Format,
    pub csv: CsvMapping,
    /// Records longer than this many bytes are skipped with a diagnostic.
    pub max_record_bytes: usize,
    /// Target size of a chunk of JSON Lines handed to a worker. 512 KiB by default: every
    /// chunk in flight (queued, being read, being scored, its report lines being written)
    /// holds a buffer of about this size, and on a VM each fresh page of them is cleared
    /// at a cost; 1 MiB chunks took 4% more time on 1M posts, 256 KiB measured the same.
    pub chunk_bytes: usize,
    /// The platform to assume where the input does not say.
    pub default_platform: Option<String>,
    /// JSON records read through this mapping instead of by their format (`--json-map`).
    pub json_map: Option<std::sync::Arc<JsonMapping>>,
    /// The zones of times written without one (a WhatsApp chat's, the exporting phone's
    /// local time), for every input or for some (`--utc-offset`): see
    /// [`Options::utc_offset_for`]. None applying takes them as UTC.
    pub utc_offsets: Vec<UtcOffsetRule>,
    /// Bytes read ahead of the records, added to as they are read (a Twitter archive's
    /// tweets, read first for which of them take the long posts of its `note-tweet.js`),
    /// for a progress display: the records' own bytes come after. Shared by the clones.
    pub pre_read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Bytes of a zip that comes as a stream copied so far to the temporary folder, added
    /// to as they are copied, before its first record (see `ZipChunks::spool`), for a
    /// progress display. Shared by the clones.
    pub spooled: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// How many archives (tar or zip) the input being read lies inside: set by the
    /// archive readers for their members; an archive deeper than [`MAX_NESTING`] is not
    /// opened.
    pub nesting: u32,
}

/// The deepest an archive may lie inside other archives and still be opened: real exports
/// nest two or three deep, and a zip that holds itself (a zip quine, `r.zip`) would
/// otherwise be opened for ever.
pub const MAX_NESTING: u32 = 16;

impl Options {
    /// The offset for the times of the input `path`: that of the rule naming the file, or
    /// the deepest folder above it, else that of a rule naming no path, else none (UTC).
    pub fn utc_offset_for(&self, path: &str) -> Option<UtcOffset> {
        let mut best: Option<(usize, UtcOffset)> = None;
        for rule in &self.utc_offsets {
            let depth = match &rule.path {
                None => 0,
                Some(p) if path_under(path, p) => 1 + path_parts(p).count(),
                Some(_) => continue,
            };
            if best.is_none_or(|(d, _)| depth >= d) {
                best = Some((depth, rule.offset));
            }
        }
        best.map(|(_, o)| o)
    }

    /// [`Options::utc_offset_for`] as a line field of the readers that put it on each line
    /// for the workers: its seconds, empty for none (or zero).
    pub(crate) fn utc_offset_field(&self, path: &str) -> String {
        self.utc_offset_for(path)
            .filter(|o| o.seconds() != 0)
            .map(|o| o.seconds().to_string())
            .unwrap_or_default()
    }
}

/// The seconds a line's [`Options::utc_offset_field`] holds (0 for an empty field).
pub(crate) fn utc_offset_of_field(field: &[u8]) -> i64 {
    std::str::from_utf8(field)
        .ok()
        .and_then(|o| o.parse().ok())
        .unwrap_or(0)
}

/// A path's parts, `.` left out (`./chats/a.txt` is `chats/a.txt`).
fn path_parts(p: &str) -> impl Iterator<Item = std::path::Component<'_>> {
    std::path::Path::new(p)
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
}

/// Whether `path` is `dir` or a path under it, part by part.
pub fn path_under(path: &str, dir: &str) -> bool {
    let mut parts = path_parts(path);
    path_parts(dir).all(|d| parts.next() == Some(d))
}

/// One `--utc-offset`: `OFFSET` for every input, or `PATH=OFFSET` for the file `PATH` or
/// the files under the folder `PATH` (a chat exported on a phone set to another zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UtcOffsetRule {
    pub path: Option<String>,
    pub offset: UtcOffset,
}

impl std::str::FromStr for UtcOffsetRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.rsplit_once('=') {
            Some((path, offset)) if !path.trim().is_empty() => Ok(UtcOffsetRule {
                path: Some(path.to_string()),
                offset: offset.parse()?,
            }),
            Some(_) => Err(format!(
                "`{s}` names no file before `=`: give PATH=OFFSET (`chats/baghdad.txt=+03:00`), \
                 or OFFSET alone for every input"
            )),
            None => Ok(UtcOffsetRule {
                path: None,
                offset: s.parse()?,
            }),
        }
    }
}

/// The account of a sender an export knows by name alone (Telegram's HTML pages, WhatsApp
/// chats): the name is its id and its display name.
pub(crate) fn named_account(platform: &str, name: &str) -> Record {
    Record::Account(Box::new(raqib_model::Account {
        id: name.to_string(),
        platform: platform.to_string(),
        display_name: Some(name.to_string()),
        ..Default::default()
    }))
}

/// A fixed offset from UTC, as `--utc-offset` gives it: `+03:00`, `-05:30`, `+3`, `UTC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UtcOffset(pub i32);

impl UtcOffset {
    /// Seconds east of UTC.
    pub fn seconds(self) -> i32 {
        self.0
    }
}

/// As it is written: `+03:00`, `-05:30`.
impl std::fmt::Display for UtcOffset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (sign, s) = if self.0 < 0 {
            ('-', -self.0)
        } else {
            ('+', self.0)
        };
        write!(f, "{sign}{:02}:{:02}", s / 3600, s % 3600 / 60)
    }
}

impl std::str::FromStr for UtcOffset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{s}` is not an offset from UTC: write it as +03:00, -05:30, +3 or UTC (the \
                 zone the exporting phone was set to)"
            )
        };
        let t = s.trim();
        let t = t
            .strip_prefix("UTC")
            .or_else(|| t.strip_prefix("utc"))
            .or_else(|| t.strip_prefix("GMT"))
            .unwrap_or(t);
        if t.is_empty() || t == "Z" {
            return Ok(UtcOffset(0));
        }
        let (sign, rest) = match t.as_bytes()[0] {
            b'+' => (1, &t[1..]),
            b'-' => (-1, &t[1..]),
            _ => return Err(bad()),
        };
        let (h, m) = match rest.split_once(':') {
            Some((h, m)) => (h, m),
            None if rest.len() == 4 && rest.is_ascii() => (&rest[..2], &rest[2..]),
            None => (rest, "0"),
        };
        let digits =
            |x: &str| !x.is_empty() && x.len() <= 2 && x.bytes().all(|b| b.is_ascii_digit());
        if !digits(h) || !digits(m) {
            return Err(bad());
        }
        let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 14 || m > 59 {
            return Err(bad());
        }
        Ok(UtcOffset(sign * (h * 3600 + m * 60)))
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: Format::Auto,
            csv: CsvMapping::default(),
            max_record_bytes: 1 << 20,
            chunk_bytes: 1 << 19,
            default_platform: None,
            json_map: None,
            utc_offsets: Vec::new(),
            pre_read: Default::default(),
            spooled: Default::default(),
            nesting: 0,
        }
    }
}

/// A reader that adds what it reads to a count (see [`Options::pre_read`]).
struct Counted<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.count
            .fetch_add(amt as u64, std::sync::atomic::Ordering::Relaxed);
        self.inner.consume(amt)
    }
}

/// A file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{path}: cannot open: {error}")]
    Io {
        path: String,
        // The cause is in the message, so it is not also a `source` (printed twice).
        error: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// What the readers' unit tests look at in the items a reader gives.
#[cfg(test)]
pub(crate) mod testing {
    use crate::Item;
    use raqib_model::{Diagnostic, Post, Record};

    /// The posts among the items, with their lines.
    pub(crate) fn posts(items: &[Item]) -> Vec<(u64, &Post)> {
        items
            .iter()
            .filter_map(|(l, r)| match r {
                Ok(Record::Post(p)) => Some((*l, &**p)),
                _ => None,
            })
            .collect()
    }

    /// The diagnostics among the items.
    pub(crate) fn diags(items: &[Item]) -> Vec<&Diagnostic> {
        items.iter().filter_map(|(_, r)| r.as_ref().err()).collect()
    }

    /// The ids of the account records among the items, in order.
    pub(crate) fn account_ids(items: &[Item]) -> Vec<&str> {
        items
            .iter()
            .filter_map(|(_, r)| match r {
                Ok(Record::Account(a)) => Some(a.id.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Buffers handed back once used (by dropped chunks, for the reader that made them; by a
/// scan's writer, for the workers that fill report lines), to be filled again.
pub type BufferPool = std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>;

/// How many buffers a pool keeps: enough for the chunks in flight.
const POOL_KEEP: usize = 64;

/// Hand `b` back to `pool`, emptied (dropped if the pool has enough).
pub fn give_back_buffer(pool: &BufferPool, mut b: Vec<u8>) {
    b.clear();
    if let Ok(mut pool) = pool.lock() {
        if pool.len() < POOL_KEEP {
            pool.push(b);
        }
    }
}

/// A buffer from `pool` (one a dropped chunk gave back), else a new one, with room for
/// `want` bytes. A reader that fills chunks to about `chunk_bytes` asks for that and a
/// margin for the record that crosses it: a buffer left to grow would double past it (2 MiB
/// for a 1 MiB chunk), and every chunk in flight would hold twice the memory, fresh pages
/// the kernel must clear (the WhatsApp reader's thread: 4.5% of a scan's samples before,
/// 0.8% after, on a machine whose page clearing varies much from run to run).
pub fn pooled_buffer(pool: &BufferPool, want: usize) -> Vec<u8> {
    let mut b: Vec<u8> = pool
        .lock()
        .ok()
        .and_then(|mut p| p.pop())
        .unwrap_or_default();
    b.reserve(want);
    b
}

/// A chunk's worth of a reader that makes each record a line with its context (Telegram's
/// HTML pages, WhatsApp chats): the lines (if any), each with its own line number, then
/// the diagnostics met (if any), queued; the input bytes they came from counted once.
#[allow(clippy::too_many_arguments)]
pub(crate) fn queue_lines(
    queued: &mut std::collections::VecDeque<Chunk>,
    file: &std::sync::Arc<str>,
    format: LineFormat,
    platform: &std::sync::Arc<str>,
    (lines, numbers): (Vec<u8>, Vec<u64>),
    diags: Vec<Item>,
    pool: &BufferPool,
    read: usize,
) {
    let mut read_left = Some(read);
    if !lines.is_empty() {
        queued.push_back(Chunk::Lines {
            file: file.clone(),
            first_line: numbers.first().copied().unwrap_or(1),
            format,
            default_platform: Some(platform.clone()),
            bytes: PooledBytes {
                bytes: lines,
                pool: pool.clone(),
            },
            line_numbers: Some(numbers),
            read: read_left.take().unwrap_or(0),
            mapping: None,
            notes: None,
        });
    }
    if !diags.is_empty() {
        queued.push_back(Chunk::Records {
            file: file.clone(),
            items: diags,
            read: read_left.take().unwrap_or(0),
        });
    }
}

/// How much a chunk's buffer is asked to hold beyond `chunk_bytes`: the record that
/// crosses the line.
pub(crate) const CHUNK_MARGIN: usize = 256 << 10;

/// Separates the fields of a line that carries its context (the Telegram readers' lines:
/// chat, sender, then the message): a control character that neither JSON nor Telegram's
/// HTML writes raw.
pub(crate) const FIELD_SEP: u8 = 0x1f;

/// A poll as a post's text: its question, then each answer on a line of its own after
/// `- ` (as Telegram's HTML export shows them). A poll is what its author wrote, its
/// answers included ("Which operation next? - ..."), so it is scored with the post.
/// Empty parts are left out; empty for a poll with no words at all.
pub(crate) fn poll_text(question: &str, answers: &[String]) -> String {
    let mut out = question.trim().to_string();
    for a in answers.iter().map(|a| a.trim()).filter(|a| !a.is_empty()) {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("- ");
        out.push_str(a);
    }
    out
}

/// Append `part` to a post's `text`, after a blank line when there is text already.
pub(crate) fn append_part(text: &mut String, part: &str) {
    if !text.trim().is_empty() {
        text.push_str("\n\n");
    } else {
        text.clear();
    }
    text.push_str(part);
}

/// The most bytes of a name that a reader carries on every record's line (a chat's, a
/// channel's, a thread's title, a link's start): a real one is a few dozen, and a hostile
/// file's name as long as a record would be copied onto every one of its messages.
pub(crate) const LINE_NAME_MAX: usize = 500;

/// `name` cut to [`LINE_NAME_MAX`] bytes, at a character's end.
pub(crate) fn line_name(name: &str) -> &str {
    raqib_model::cut_at_char(name, LINE_NAME_MAX)
}

/// Append `name` (cut to [`LINE_NAME_MAX`] bytes: see [`line_name`]) and [`FIELD_SEP`] to
/// a line: the separator and line breaks in the name made spaces.
pub(crate) fn push_field(out: &mut Vec<u8>, name: &str) {
    let name = line_name(name);
    out.extend(name.bytes().map(|b| match b {
        FIELD_SEP | b'\n' | b'\r' => b' ',
        b => b,
    }));
    out.push(FIELD_SEP);
}

/// Append a record's bytes as the rest of a line, its line breaks made spaces (JSON and
/// Telegram's markup have them only where a space reads the same), and the line's end.
pub(crate) fn push_one_line(out: &mut Vec<u8>, bytes: &[u8]) {
    let from = out.len();
    out.extend_from_slice(bytes);
    // Branch-free, so that the compiler does it many bytes a step.
    for b in &mut out[from..] {
        let nl = (*b == b'\n') | (*b == b'\r');
        *b = if nl { b' ' } else { *b };
    }
    out.push(b'\n');
}

/// A chunk's bytes, returned to the reader's pool when dropped, so a long scan reuses a
/// few buffers instead of asking the allocator (and the kernel) for fresh ones.
pub struct PooledBytes {
    bytes: Vec<u8>,
    pool: BufferPool,
}

impl std::ops::Deref for PooledBytes {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.bytes
    }
}

impl std::fmt::Debug for PooledBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PooledBytes({} bytes)", self.bytes.len())
    }
}

impl Drop for PooledBytes {
    fn drop(&mut self) {
        give_back_buffer(&self.pool, std::mem::take(&mut self.bytes));
    }
}

/// One record or diagnostic, with the line it starts on (0 where the format has no lines).
pub type Item = (u64, Result<Record, Diagnostic>);

/// A parser of a whole-file format: bytes, file name, default platform.
type DocumentParser = fn(&[u8], &str, Option<&str>) -> Result<Vec<Item>, String>;

/// Which JSON Lines dialect a chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    Raqib,
    TwitterV2,
    Tweets,
    ActivityPub,
    Matrix,
    Discord,
    /// A message of a Meta export's thread, with the thread and the platform.
    Meta,
    /// A post or comment of a Facebook export, with its owner and the platform.
    MetaPost,
    /// A post, story or comment of an Instagram export, with its owner and the platform.
    Instagram,
    /// A message of a Discord data package, with its owner and the platform.
    DiscordPackage,
    /// Any JSON record, through `--json-map` (the chunk holds the mapping).
    Mapped,
    /// A message of a Telegram HTML page, with its chat's and sender's names.
    TelegramHtml,
    /// A message of a Telegram JSON export, with its chat's id and name.
    Telegram,
    /// A tweet of a Twitter archive, with its owner's id.
    TwitterArchive,
    /// A message of a WhatsApp chat, with its chat's name and date order.
    WhatsApp,
    /// A Reddit comment or submission.
    Reddit,
    /// A Bluesky firehose event, API response or item of one.
    Bluesky,
}

/// A piece of an input, ready to be turned into records on any thread.
#[derive(Debug)]
pub enum Chunk {
    /// Whole lines of JSON; `first_line` is the 1-based number of the first, and the
    /// others follow it, unless `line_numbers` gives each line's own (the elements of a
    /// JSON array, each made one line); `read` is how many input bytes they came from.
    Lines {
        file: std::sync::Arc<str>,
        first_line: u64,
        format: LineFormat,
        default_platform: Option<std::sync::Arc<str>>,
        bytes: PooledBytes,
        line_numbers: Option<Vec<u64>>,
        read: usize,
        /// The mapping of [`LineFormat::Mapped`] lines.
        mapping: Option<std::sync::Arc<JsonMapping>>,
        /// The long posts of the Twitter archive [`LineFormat::TwitterArchive`] lines are of.
        notes: Option<std::sync::Arc<twitter_archive::Notes>>,
    },
    /// Whole CSV rows as their bytes, the first on line `first_line`, read by the layout
    /// the file's header gave.
    Csv {
        file: std::sync::Arc<str>,
        first_line: u64,
        bytes: PooledBytes,
        layout: std::sync::Arc<csvfmt::CsvLayout>,
        read: usize,
    },
    /// Records already parsed (Telegram, Twitter API documents), with their
    /// diagnostics and the line each started on (0 where the format has no lines), and
    /// how many input bytes they were read from (for progress; 0 for a diagnostic alone).
    Records {
        file: std::sync::Arc<str>,
        items: Vec<Item>,
        read: usize,
    },
}

impl Chunk {
    /// The input this chunk came from, as given (`-` for stdin).
    pub fn file(&self) -> &std::sync::Arc<str> {
        match self {
            Chunk::Lines { file, .. } | Chunk::Records { file, .. } | Chunk::Csv { file, .. } => {
                file
            }
        }
    }

    /// The number of input bytes this chunk stands for, for progress reporting.
    pub fn len_bytes(&self) -> usize {
        match self {
            Chunk::Lines { read, .. } | Chunk::Records { read, .. } | Chunk::Csv { read, .. } => {
                *read
            }
        }
    }

    /// Parse the chunk into records and diagnostics, in input order.
    pub fn records(&self) -> Vec<Result<Record, Diagnostic>> {
        let mut out = Vec::new();
        self.for_each_record(|_, r| out.push(r));
        out
    }

    /// Parse the chunk, calling `f(line, item)` for each record or diagnostic in input
    /// order; `line` is where the record starts (0 where the format has no lines).
    pub fn for_each_record(&self, mut f: impl FnMut(u64, Result<Record, Diagnostic>)) {
        self.for_each_record_reusing(&mut ReadState::default(), |l, r, _| f(l, r));
    }

    /// [`Chunk::for_each_record`] with what a reader of many chunks keeps between them
    /// (see [`ReadState`]): posts are read into the spare posts in `state.spare` while
    /// there are any, and `f` gets `state.spare` back to return posts it is done with, so a
    /// stream of posts allocates none.
    #[allow(clippy::vec_box)] // boxed posts move as pointers (see `Record`)
    pub fn for_each_record_reusing(
        &self,
        state: &mut ReadState,
        mut f: impl FnMut(u64, Result<Record, Diagnostic>, &mut Vec<Box<raqib_model::Post>>),
    ) {
        let ReadState { spare, authors } = state;
        match self {
            Chunk::Records { items, .. } => items
                .iter()
                .for_each(|(l, r)| f(*l, r.clone(), &mut *spare)),
            Chunk::Csv {
                file,
                first_line,
                bytes,
                layout,
                ..
            } => csvfmt::parse_rows(
                layout,
                bytes,
                file,
                *first_line,
                // Keyed apart from the line formats' authors (their keys are seeded by the
                // format's number).
                |key| !authors.insert(key ^ 0x6373_7672_6f77_7321),
                |l, r| f(l, r, &mut *spare),
            ),
            Chunk::Lines {
                file,
                first_line,
                format,
                default_platform,
                bytes,
                line_numbers,
                mapping,
                notes,
                ..
            } => {
                let platform = default_platform.as_deref();
                // Lines found with memchr (16–32 bytes a step), as `split` on b'\n' would
                // give them, the last one included.
                let ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
                let mut start = 0;
                let mut ids = std::collections::HashSet::<
                    u64,
                    std::hash::BuildHasherDefault<raqib_model::hashed::KeyIsHash>,
                >::default();
                // The chunk was written by the reading thread, on another core: each
                // line's first touch here waited on its cache lines (a twentieth of a
                // scan with little flagged, in memchr's loads). Asking for them a
                // few lines ahead overlaps those waits with the work on this line.
                let mut fetched = 0usize;
                for (i, end) in ends.enumerate() {
                    let want = (start + FETCH_AHEAD).min(bytes.len());
                    while fetched < want {
                        raqib_model::hint::prefetch(&bytes[fetched]);
                        fetched += 64;
                    }
                    let line = &bytes[start..end];
                    start = end + 1;
                    let line_no = match line_numbers {
                        Some(n) => n.get(i).copied().unwrap_or(0),
                        None => first_line + i as u64,
                    };
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    match format {
                        LineFormat::Raqib => {
                            match parse_raqib_line_reusing(line, platform, spare.pop()) {
                                Ok(Some(r)) => f(line_no, Ok(r), &mut *spare),
                                Ok(None) => {}
                                Err(m) => f(
                                    line_no,
                                    Err(Diagnostic::new(&**file, line_no, m)),
                                    &mut *spare,
                                ),
                            }
                        }
                        LineFormat::TwitterV2 => match parse_twitter_page(line) {
                            Ok(records) => records
                                .into_iter()
                                .for_each(|r| f(line_no, Ok(r), &mut *spare)),
                            Err(m) => f(
                                line_no,
                                Err(Diagnostic::new(&**file, line_no, m)),
                                &mut *spare,
                            ),
                        },
                        LineFormat::Tweets
                        | LineFormat::ActivityPub
                        | LineFormat::Matrix
                        | LineFormat::Discord
                        | LineFormat::Meta
                        | LineFormat::MetaPost
                        | LineFormat::Instagram
                        | LineFormat::DiscordPackage
                        | LineFormat::Reddit
                        | LineFormat::Bluesky
                        | LineFormat::Mapped
                        | LineFormat::TelegramHtml
                        | LineFormat::Telegram
                        | LineFormat::TwitterArchive
                        | LineFormat::WhatsApp => {
                            // Keyed by the format too: one platform's id may be another's.
                            // A post id made from its time (`meta::emit`, its key starting
                            // U+0001) is known within the chunk only: the same whichever
                            // worker reads it, and not kept once the chunk is read.
                            let seen = |a: &str| {
                                let key = xxhash_rust::xxh3::xxh3_64_with_seed(
                                    a.as_bytes(),
                                    *format as u64,
                                );
                                if a.starts_with('\u{1}') {
                                    !ids.insert(key)
                                } else {
                                    !authors.insert(key)
                                }
                            };
                            // A Meta export's line ends with its ordinal among the posts
                            // of its time (`ArrayChunks::with_ordinals`).
                            let (line, ordinal) = match format {
                                LineFormat::Meta | LineFormat::MetaPost | LineFormat::Instagram => {
                                    meta::split_ordinal(line)
                                }
                                _ => (line, 1),
                            };
                            let out = |r| f(line_no, Ok(r), &mut *spare);
                            let parsed = match format {
                                LineFormat::Tweets => tweets::parse_tweet_line(line, seen, out),
                                LineFormat::TwitterArchive => {
                                    twitter_archive::parse_line(line, notes.as_deref(), seen, out)
                                }
                                LineFormat::WhatsApp => whatsapp::parse_line(
                                    line,
                                    line_no,
                                    platform.unwrap_or("whatsapp"),
                                    seen,
                                    out,
                                ),
                                LineFormat::Matrix => matrix::parse_matrix_line(line, seen, out),
                                LineFormat::Discord => discord::parse_discord_line(line, seen, out),
                                LineFormat::Meta => meta::parse_line(line, ordinal, seen, out),
                                LineFormat::MetaPost => {
                                    meta::parse_posts_line(line, ordinal, seen, out)
                                }
                                LineFormat::Instagram => {
                                    instagram::parse_line(line, ordinal, seen, out)
                                }
                                LineFormat::DiscordPackage => {
                                    discord_package::parse_line(line, seen, out)
                                }
                                LineFormat::Reddit => reddit::parse_line(
                                    line,
                                    platform.unwrap_or("reddit"),
                                    seen,
                                    out,
                                ),
                                LineFormat::Bluesky => bluesky::parse_line(
                                    line,
                                    platform.unwrap_or("bluesky"),
                                    seen,
                                    out,
                                ),
                                LineFormat::Telegram => telegram::parse_line(
                                    line,
                                    platform.unwrap_or("telegram"),
                                    seen,
                                    out,
                                ),
                                LineFormat::TelegramHtml => telegram_html::parse_line(
                                    line,
                                    platform.unwrap_or("telegram"),
                                    seen,
                                    out,
                                ),
                                LineFormat::Mapped => match mapping {
                                    Some(m) => mapped::parse_mapped_line(
                                        line, m, line_no, platform, seen, out,
                                    ),
                                    None => Err("no --json-map for this chunk".to_string()),
                                },
                                _ => activitypub::parse_activitypub_line(line, seen, out),
                            };
                            if let Err(m) = parsed {
                                f(
                                    line_no,
                                    Err(Diagnostic::new(&**file, line_no, m)),
                                    &mut *spare,
                                )
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What a reader of many chunks keeps from one to the next: spare posts whose strings
/// keep their memory, and the authors whose account records it gave, by format (a tweet,
/// a status, a message carries its author; its account is made the first time this
/// reader meets it, not once a post). Bounded by the accounts read: 8 bytes each.
#[derive(Default)]
pub struct ReadState {
    #[allow(clippy::vec_box)] // boxed posts move as pointers (see `Record`)
    pub spare: Vec<Box<raqib_model::Post>>,
    authors: std::collections::HashSet<
        u64,
        std::hash::BuildHasherDefault<raqib_model::hashed::KeyIsHash>,
    >,
}

/// A record's bytes must be a JSON object: serde would read a struct from an array too, by
/// position. `what` names what the record should have been.
fn require_object(bytes: &[u8], what: &str) -> Result<(), String> {
    if bytes.trim_ascii_start().first() == Some(&b'{') {
        return Ok(());
    }
    Err(
        match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Ok(_) => format!("not {what}: not a JSON object"),
            Err(e) => json_error(bytes, what, e),
        },
    )
}

/// A record's parse error, worded for `what` it should have been: bad UTF-8, not JSON at
/// all, or JSON of the wrong shape.
fn json_error(bytes: &[u8], what: &str, e: serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        _ if std::str::from_utf8(bytes).is_err() => "invalid UTF-8".to_string(),
        Category::Syntax | Category::Eof | Category::Io => {
            format!("not {what}: not valid JSON: {e}")
        }
        Category::Data => format!("not {what}: {e}"),
    }
}

/// Parse a record that must be a JSON object (into a map, or the typed fields a reader
/// reads), its errors worded for `what` it should be.
fn parse_object<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T, String> {
    require_object(bytes, what)?;
    serde_json::from_slice(bytes).map_err(|e| json_error(bytes, what, e))
}

/// The records of `element` read as a line after `prefix` by `parse` (a reader's
/// `parse_line`), each account once (for the readers' tests).
#[cfg(test)]
fn read_prefixed(
    mut prefix: Vec<u8>,
    element: &str,
    parse: impl FnOnce(
        &[u8],
        &mut dyn FnMut(&str) -> bool,
        &mut dyn FnMut(Record),
    ) -> Result<(), String>,
) -> Result<Vec<Record>, String> {
    prefix.extend_from_slice(element.as_bytes());
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    parse(
        &prefix,
        &mut |k: &str| !seen.insert(k.to_string()),
        &mut |r| out.push(r),
    )?;
    Ok(out)
}

/// The first post among `recs` (for the readers' tests).
#[cfg(test)]
fn first_post(recs: &[Record]) -> &raqib_model::Post {
    recs.iter()
        .find_map(|r| match r {
            Record::Post(p) => Some(&**p),
            _ => None,
        })
        .expect("a post")
}

/// How far ahead of the line being parsed a chunk's bytes are asked for: about four
/// tweet-length lines (1 KiB, 2 KiB and 4 KiB measured the same).
const FETCH_AHEAD: usize = 1024;

/// Open `path` (or `-` for standard input) and return its chunks.
pub fn open_chunks(
    path: &str,
    opts: &Options,
) -> Result<Box<dyn Iterator<Item = Chunk> + Send>, OpenError> {
    // A zip archive is the folder it holds; its index is at its end, so only a file is.
    if path != "-" && zip_archive::is_zip_file(path) {
        return Ok(Box::new(zip_archive::ZipChunks::open(path, opts)?));
    }
    chunks_of(open_input(path)?, path, opts, beside::Beside::of_path(path))
}

/// Read records from bytes in memory (an upload, a message), named `name` in diagnostics;
/// the format is detected as for a file of that name.
pub fn open_bytes(
    bytes: Vec<u8>,
    name: &str,
    opts: &Options,
) -> Result<Box<dyn Iterator<Item = Chunk> + Send>, OpenError> {
    let opened = input::open_reader(Box::new(std::io::Cursor::new(bytes)), name)?;
    // An upload or a message is records; a zip would be copied to disk to be read, which
    // a service should not do for whoever sends one.
    if zip_archive::is_zip_magic(&opened.head) {
        return Err(OpenError::Invalid {
            path: name.to_string(),
            message: "is a zip archive: an upload or a message is read as records, not as \
                      an archive's members; send the files inside it, or give the zip to \
                      `raqib scan`"
                .into(),
        });
    }
    chunks_of(opened, name, opts, None)
}

/// The chunks of an opened input named `path`; `beside` is where the files beside it are,
/// for the formats that read them too (a Twitter archive's `account.js`).
fn chunks_of(
    opened: input::Opened,
    path: &str,
    opts: &Options,
    beside: Option<beside::Beside>,
) -> Result<Box<dyn Iterator<Item = Chunk> + Send>, OpenError> {
    let input::Opened {
        mut reader, head, ..
    } = opened;
    let archive = tar::is_tar(&head) || zip_archive::is_zip_magic(&head);
    if archive && opts.nesting > MAX_NESTING {
        return Err(OpenError::Invalid {
            path: path.to_string(),
            message: format!(
                "is an archive inside {} others, deeper than raqib opens (a zip that holds \
                 itself would never end): extract it and give the folder",
                opts.nesting
            ),
        });
    }
    // A tar archive is the folder it holds: its input members, each a file of its own.
    if tar::is_tar(&head) {
        return Ok(Box::new(tar::TarChunks::new(reader, path, opts)));
    }
    // So is a zip; one that comes as a stream is copied to a file first.
    if zip_archive::is_zip_magic(&head) {
        return Ok(Box::new(zip_archive::ZipChunks::spool(
            &mut *reader,
            path,
            opts,
        )?));
    }
    let name: std::sync::Arc<str> = std::sync::Arc::from(path);
    let format = match opts.format {
        Format::Auto => detect_format(path, &head),
        f => f,
    };
    // `--json-map`: JSON records of any shape through the mapping (CSV, Telegram and the
    // formats read whole aside; a Bluesky repository is CBOR, not JSON).
    if opts.json_map.is_some()
        && !(format == Format::Bluesky && bluesky_car::looks_like_car(&head))
        && !matches!(
            format,
            Format::Csv
                | Format::Telegram
                | Format::TelegramHtml
                | Format::Meta
                | Format::TwitterArchive
                | Format::WhatsApp
        )
    {
        return Ok(if is_array_document(&head) {
            Box::new(array::ArrayChunks::new(
                reader,
                name,
                Some(LineFormat::Mapped),
                opts,
            ))
        } else if first_line(&head) == Some(b"{") {
            Box::new(array::ArrayChunks::document(
                reader,
                name,
                Some(LineFormat::Mapped),
                &[],
                opts,
            ))
        } else {
            Box::new(LineChunks::new(reader, name, LineFormat::Mapped, opts))
        });
    }
    // A Discord data package's messages: its owner's account first, then each message.
    if format == Format::Discord && discord_package::looks_like(&head) {
        return discord_package_chunks(reader, &head, name, beside, opts);
    }
    // A JSON array of records: its elements in the format given, or the first one's.
    // `--format jsonl` means lines, whatever the first holds.
    let given = match opts.format {
        Format::Auto => Some(None),
        Format::Tweets => Some(Some(LineFormat::Tweets)),
        Format::TwitterV2 => Some(Some(LineFormat::TwitterV2)),
        Format::ActivityPub => Some(Some(LineFormat::ActivityPub)),
        Format::Matrix => Some(Some(LineFormat::Matrix)),
        Format::Discord => Some(Some(LineFormat::Discord)),
        Format::Reddit => Some(Some(LineFormat::Reddit)),
        Format::Bluesky => Some(Some(LineFormat::Bluesky)),
        _ => None,
    };
    if let Some(given) = given {
        let lines = matches!(
            format,
            Format::Jsonl
                | Format::Tweets
                | Format::TwitterV2
                | Format::ActivityPub
                | Format::Matrix
                | Format::Discord
                | Format::Reddit
                | Format::Bluesky
        );
        // A Reddit thread's API JSON is an array of listings, read whole below.
        let listing = format == Format::Reddit && reddit::looks_like_listing(&head);
        if lines && is_array_document(&head) && !listing {
            return Ok(Box::new(array::ArrayChunks::new(reader, name, given, opts)));
        }
    }
    Ok(match format {
        // A pretty-printed object (its first line a lone `{`) of no shape detected above:
        // one record, not a diagnostic a line.
        Format::Jsonl if opts.format == Format::Auto && first_line(&head) == Some(b"{") => {
            Box::new(array::ArrayChunks::document(reader, name, None, &[], opts))
        }
        Format::Jsonl | Format::Auto => {
            Box::new(LineChunks::new(reader, name, LineFormat::Raqib, opts))
        }
        Format::TwitterV2 => {
            if looks_like_single_document(&head) {
                Box::new(whole_document(reader, name, opts, twitter::parse_document)?)
            } else {
                Box::new(LineChunks::new(reader, name, LineFormat::TwitterV2, opts))
            }
        }
        // Pretty-printed tweet objects one after another (`jq .` of a file of them).
        Format::Tweets if first_line(&head) == Some(b"{") => Box::new(
            array::ArrayChunks::document(reader, name, Some(LineFormat::Tweets), &[], opts),
        ),
        Format::Tweets => Box::new(LineChunks::new(reader, name, LineFormat::Tweets, opts)),
        // The API's JSON: listings of things, a thread's comment tree.
        Format::Reddit if reddit::looks_like_listing(&head) => Box::new(whole_document(
            reader,
            name,
            opts,
            reddit::parse_listing_document,
        )?),
        // Pretty-printed, or a line each.
        Format::Reddit if first_line(&head) == Some(b"{") => Box::new(
            array::ArrayChunks::document(reader, name, Some(LineFormat::Reddit), &[], opts),
        ),
        Format::Reddit => Box::new(LineChunks::new(reader, name, LineFormat::Reddit, opts)),
        // An account's repository, as `getRepo` gives it.
        Format::Bluesky if bluesky_car::looks_like_car(&head) => {
            let bytes = read_whole(reader, &name)?;
            let platform = opts.default_platform.as_deref();
            Box::new(
                bluesky_car::CarChunks::new(bytes, name.clone(), platform).map_err(|m| {
                    OpenError::Invalid {
                        path: name.to_string(),
                        message: m,
                    }
                })?,
            )
        }
        // A response or event a line, or pretty-printed responses one after another, each
        // item at the line it starts on.
        Format::Bluesky if first_line(&head) == Some(b"{") => {
            Box::new(array::ArrayChunks::document(
                reader,
                name,
                Some(LineFormat::Bluesky),
                &["posts", "feed", "records", "profiles"],
                opts,
            ))
        }
        Format::Bluesky => Box::new(LineChunks::new(reader, name, LineFormat::Bluesky, opts)),
        // One document (its records the items of its collection, an Element export's or a
        // DiscordChatExporter channel's `messages`, an API response's `chunk`), or one
        // record a line.
        Format::ActivityPub | Format::Matrix | Format::Discord => {
            let (line_format, keys): (_, &'static [&'static str]) = match format {
                Format::ActivityPub => (LineFormat::ActivityPub, &["orderedItems", "items"]),
                Format::Matrix => (LineFormat::Matrix, &["messages", "chunk", "events"]),
                _ => (LineFormat::Discord, &["messages"]),
            };
            if looks_like_single_document(&head) {
                let chunks =
                    array::ArrayChunks::document(reader, name, Some(line_format), keys, opts);
                // A DiscordChatExporter channel's messages carry its server and channel, an
                // Element export's its room.
                match place::of_document(&head, format) {
                    Some(c) => Box::new(chunks.with_line_prefix(place::prefix(&c))),
                    None => Box::new(chunks),
                }
            } else {
                Box::new(LineChunks::new(reader, name, line_format, opts))
            }
        }
        // An Instagram export's posts, stories or comments: its owner's account first (from
        // the profile at its root), then each record, its line carrying the owner.
        Format::Meta
            if instagram::looks_like(&String::from_utf8_lossy(&head))
                || instagram::export_root(path).is_some() =>
        {
            let platform = opts.default_platform.as_deref();
            let owner = instagram::owner_of(beside.as_ref(), platform);
            let prefix = instagram::line_prefix(owner.as_ref(), platform);
            let chunks = if first_byte(&head) == Some(b'[') {
                array::ArrayChunks::new(reader, name.clone(), Some(LineFormat::Instagram), opts)
            } else {
                array::ArrayChunks::document(
                    reader,
                    name.clone(),
                    Some(LineFormat::Instagram),
                    instagram::DOCUMENT_KEYS,
                    opts,
                )
            };
            let first = owner.map(|a| Chunk::Records {
                file: name,
                items: vec![(0, Ok(Record::Account(Box::new(a))))],
                read: 0,
            });
            Box::new(
                first
                    .into_iter()
                    .chain(chunks.with_line_prefix(prefix).with_ordinals()),
            )
        }
        // A Facebook export's posts (an array) or comments (`comments_v2`), each line
        // carrying the export's owner, from the profile at its root.
        Format::Meta if meta::looks_like_posts(&String::from_utf8_lossy(&head)) => {
            let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
            let prefix = meta::posts_line_prefix(
                meta::owner_of(beside.as_ref()).as_deref(),
                opts.default_platform.as_deref(),
                meta::is_group_file_name(base),
            );
            let chunks = if first_byte(&head) == Some(b'[') {
                array::ArrayChunks::new(reader, name, Some(LineFormat::MetaPost), opts)
            } else {
                array::ArrayChunks::document(
                    reader,
                    name,
                    Some(LineFormat::MetaPost),
                    meta::POSTS_DOCUMENT_KEYS,
                    opts,
                )
            };
            Box::new(chunks.with_line_prefix(prefix).with_ordinals())
        }
        // A thread's messages, each line carrying the thread and platform its path gives,
        // and its title from the file's end.
        Format::Meta => {
            let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
            let title = beside
                .as_ref()
                .and_then(|b| b.tail(base, meta::TITLE_TAIL))
                .and_then(|t| meta::thread_title(&t));
            let prefix =
                meta::line_prefix(path, opts.default_platform.as_deref(), title.as_deref());
            Box::new(
                array::ArrayChunks::document(
                    reader,
                    name,
                    Some(LineFormat::Meta),
                    &["messages"],
                    opts,
                )
                .with_line_prefix(prefix)
                .with_ordinals(),
            )
        }
        Format::Telegram => Box::new(telegram::TelegramChunks::new(reader, name, opts)),
        // A page of a Meta export made in HTML: said so, and what to download instead.
        Format::TelegramHtml if meta::is_html_page(path) => {
            return Err(OpenError::Invalid {
                path: path.to_string(),
                message: meta::HTML_EXPORT.into(),
            })
        }
        Format::TelegramHtml => {
            Box::new(telegram_html::TelegramHtmlChunks::new(reader, name, opts))
        }
        Format::Csv => {
            // Not UTF-8 text: a CSV in a legacy encoding would give a diagnostic for every
            // row; binary data read as CSV has no text column in its "header".
            let not_text = input::not_text(&head);
            if let Some(input::NotText::Legacy(message)) = not_text {
                return Err(OpenError::Invalid {
                    path: path.to_string(),
                    message,
                });
            }
            Box::new(
                csvfmt::CsvChunks::new(reader, name, opts, beside.as_ref()).map_err(|e| match (
                    e, not_text,
                ) {
                    (OpenError::Invalid { path, .. }, Some(input::NotText::Binary(message))) => {
                        OpenError::Invalid { path, message }
                    }
                    (e, _) => e,
                })?,
            )
        }
        Format::TwitterArchive => twitter_archive_chunks(reader, &head, name, beside, opts)?,
        Format::WhatsApp => Box::new(whatsapp::WhatsAppChunks::new(reader, &head, name, opts)),
    })
}

/// A Discord data package's channel (`Messages/c…/messages.json`, or `messages.csv` in
/// older packages): the owner's account first (from `Account/user.json` at the package's
/// root), then its messages, streamed as a JSON array whose element lines start with the
/// owner's id; the CSV read whole (a channel's messages).
fn discord_package_chunks(
    reader: Reader,
    head: &[u8],
    name: std::sync::Arc<str>,
    beside: Option<beside::Beside>,
    opts: &Options,
) -> Result<Box<dyn Iterator<Item = Chunk> + Send>, OpenError> {
    let platform = opts.default_platform.as_deref();
    let owner = discord_package::owner_of(beside.as_ref(), platform);
    let channel = discord_package::channel_of(beside.as_ref());
    if discord_package::is_csv(head) {
        let bytes = read_whole(reader, &name)?;
        let mut items =
            discord_package::csv_items(&bytes, &name, owner.as_ref(), platform, &channel);
        if let Some(a) = owner {
            items.insert(0, (0, Ok(Record::Account(Box::new(a)))));
        }
        return Ok(Box::new(std::iter::once(Chunk::Records {
            file: name,
            items,
            read: bytes.len(),
        })));
    }
    let prefix = discord_package::line_prefix(owner.as_ref(), platform, &channel);
    let first = owner.map(|a| Chunk::Records {
        file: name.clone(),
        items: vec![(0, Ok(Record::Account(Box::new(a))))],
        read: 0,
    });
    let messages = array::ArrayChunks::new(reader, name, Some(LineFormat::DiscordPackage), opts)
        .with_line_prefix(prefix);
    Ok(Box::new(first.into_iter().chain(messages)))
}

/// A Twitter archive's tweets file: its owner's account first (from the `account.js`
/// beside it; a diagnostic where that cannot be read), then its tweets, streamed as a JSON
/// array whose element lines start with the owner's id.
fn twitter_archive_chunks(
    mut reader: Reader,
    head: &[u8],
    name: std::sync::Arc<str>,
    beside: Option<beside::Beside>,
    opts: &Options,
) -> Result<Box<dyn Iterator<Item = Chunk> + Send>, OpenError> {
    twitter_archive::skip_assignment(&mut reader, head).map_err(|message| OpenError::Invalid {
        path: name.to_string(),
        message,
    })?;
    let mut first = Vec::new();
    let owner = match beside.as_ref().map(twitter_archive::owner_in).transpose() {
        Ok(owner) => owner.flatten(),
        Err(m) => {
            first.push((0, Err(Diagnostic::new(&*name, 0, m))));
            None
        }
    };
    let prefix = twitter_archive::line_prefix(owner.as_ref());
    if let Some(a) = owner {
        first.push((0, Ok(Record::Account(Box::new(a)))));
    }
    let notes = match beside.as_ref().map(twitter_archive::notes_in).transpose() {
        Ok(notes) => notes.flatten().map(std::sync::Arc::new),
        Err(m) => {
            first.push((0, Err(Diagnostic::new(&*name, 0, m))));
            None
        }
    };
    // The main tweets file also gives the notes no tweet of the archive takes, as posts.
    let left = match (&notes, &beside) {
        (Some(notes), Some(beside)) if twitter_archive::is_main_tweets_file(&name) => {
            notes_no_tweet_takes(beside, notes, &prefix, opts)
        }
        _ => Vec::new(),
    };
    let tweets =
        array::ArrayChunks::new(reader, name.clone(), Some(LineFormat::TwitterArchive), opts)
            .with_line_prefix(prefix)
            .with_notes(notes);
    let first = (!first.is_empty()).then_some(Chunk::Records {
        file: name,
        items: first,
        read: 0,
    });
    Ok(Box::new(first.into_iter().chain(left).chain(tweets)))
}

/// Read every tweet file of the archive beside (as a scan of them does) for which of
/// `notes` their tweets take, and give the others as posts. A file that cannot be read
/// here is passed over: its own scan reports it.
fn notes_no_tweet_takes(
    beside: &beside::Beside,
    notes: &std::sync::Arc<twitter_archive::Notes>,
    prefix: &[u8],
    opts: &Options,
) -> Vec<Chunk> {
    let files: Vec<String> = beside
        .names()
        .into_iter()
        .filter(|n| is_twitter_archive_tweets(n))
        .collect();
    let open = |name: &str| {
        let mut opened = beside.open(name)?;
        twitter_archive::skip_assignment(&mut opened.reader, &opened.head).ok()?;
        Some(Counted {
            inner: opened.reader,
            count: opts.pre_read.clone(),
        })
    };
    for f in files {
        let Some(mut reader) = open(&f) else {
            continue;
        };
        // Twitter's own layout first; a file laid out otherwise is read again, skimmed.
        if let Ok(true) = notes.mark_taken_in_layout(&mut reader, prefix) {
            continue;
        }
        let Some(reader) = open(&f) else {
            continue;
        };
        let chunks = array::ArrayChunks::new(
            Box::new(reader),
            std::sync::Arc::from(beside.shown(&f)),
            Some(LineFormat::TwitterArchive),
            opts,
        )
        .with_line_prefix(prefix.to_vec())
        .with_notes(Some(notes.clone()));
        for c in chunks {
            match &c {
                Chunk::Lines { bytes, .. } => notes.mark_taken_in(bytes),
                other => other.for_each_record(|_, _| {}),
            }
        }
    }
    let owner = twitter_archive::owner_of_prefix(prefix);
    notes.left_over(owner)
}

pub use twitter_archive::is_tweets_file as is_twitter_archive_tweets;
pub use whatsapp::is_chat_file_name as is_whatsapp_chat_name;
pub use zip_archive::{
    is_zip_archive, is_zip_member, member_reader as zip_member_reader, zip_contents, ZipContents,
};

/// Whether `path` names a file inside an archive whose members raqib reads by name: a zip
/// archive on disk or one that came as a stream (`-/photos/a.jpg`), or a tar archive on
/// disk (`EXPORT.tar/photos/a.jpg`; a compressed one, `EXPORT.tar.gz/photos/a.jpg`, is
/// decompressed once into the temporary folder to be indexed). An export's media are found so.
pub fn is_archive_member(path: &std::path::Path) -> bool {
    zip_archive::is_zip_member(path) || tar_index::is_member(path)
}

/// The compressed tar being decompressed into the temporary folder for its media (see
/// [`is_archive_member`]) and the bytes written so far, while one is; a scan's posts wait
/// for it.
pub use tar_index::copy_progress as archive_copy_progress;

/// The file `path` names inside an archive (see [`is_archive_member`]), as it is read
/// (decompressed, and checked at its end for a zip's): `None` where `path` is inside no
/// archive; an error that says why where the member is not there or cannot be read (a
/// compressed tar that could not be decompressed into the temporary folder: the message
/// says why and to decompress it).
pub fn archive_member_reader(
    path: &std::path::Path,
) -> Option<Result<Box<dyn std::io::Read + Send>, String>> {
    zip_archive::member_reader(path).or_else(|| tar_index::member_reader(path))
}

/// A post's media from the `media`, `media_sha256` and `media_pdq` fields of a CSV row or a
/// mapped JSON record: each URL or path a media reference (its kind from its extension),
/// the n-th SHA-256 and PDQ hash given to the n-th of them, or a reference of their own
/// past the last. A hash that is not 64 hex digits is an error that says which.
pub(crate) fn media_refs(
    refs: Vec<String>,
    sha256: Vec<String>,
    pdq: Vec<String>,
) -> Result<Vec<raqib_model::MediaRef>, String> {
    let hex64 = |field: &str, what: &str, h: String| -> Result<String, String> {
        if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(h.to_ascii_lowercase())
        } else {
            Err(format!(
                "`{field}` is not a {what} (64 hex digits): {:?}",
                h.chars().take(80).collect::<String>()
            ))
        }
    };
    let mut media: Vec<raqib_model::MediaRef> = refs
        .into_iter()
        .map(|url| raqib_model::MediaRef {
            kind: media_kind(&url).into(),
            url: Some(url),
            ..Default::default()
        })
        .collect();
    type Slot = fn(&mut raqib_model::MediaRef) -> &mut Option<String>;
    let kinds: [(Vec<String>, &str, &str, &str, Slot); 2] = [
        (sha256, "media_sha256", "SHA-256", "file", |m| &mut m.sha256),
        (pdq, "media_pdq", "PDQ hash", "image", |m| &mut m.pdq),
    ];
    for (hashes, field, what, kind, slot) in kinds {
        for (i, h) in hashes.into_iter().enumerate() {
            let h = hex64(field, what, h)?;
            if i >= media.len() {
                media.push(raqib_model::MediaRef {
                    kind: kind.into(),
                    ..Default::default()
                });
            }
            *slot(&mut media[i]) = Some(h);
        }
    }
    Ok(media)
}

/// `image`, `video` or `file`, by a URL's or path's extension (its query left out).
fn media_kind(reference: &str) -> &'static str {
    let path = reference.split(['?', '#']).next().unwrap_or_default();
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" | "png" | "gif" | "webp" | "bmp" | "heic" => "image",
        "mp4" | "mov" | "webm" | "mkv" | "avi" | "m4v" | "3gp" => "video",
        _ => "file",
    }
}

/// Read every record of `path` in order, for small inputs and tests.
pub fn read_all(path: &str, opts: &Options) -> Result<Vec<Result<Record, Diagnostic>>, OpenError> {
    Ok(open_chunks(path, opts)?.flat_map(|c| c.records()).collect())
}

type Reader = Box<dyn BufRead + Send>;

/// `path` without a compression suffix (`.gz`, `.zst`, `.zstd`, `.bz2`, `.xz`).
fn strip_compression_ext(path: &str) -> &str {
    [".gz", ".zst", ".zstd", ".bz2", ".xz"]
        .iter()
        .find_map(|c| path.strip_suffix(c))
        .unwrap_or(path)
}

/// What a file under a folder (or a member of a tar archive) must be called to be read:
/// these names, optionally compressed (`.gz`, `.zst`, `.bz2`, `.xz`). A file named on the
/// command line is read whatever its name.
/// (A tar or zip archive among them is read as the folder it holds.)
pub const INPUT_EXTENSIONS: &[&str] =
    &["jsonl", "ndjson", "json", "csv", "tsv", "tar", "zip", "car"];

/// Whether a file found in a folder or an archive is an input by its name: one of
/// [`INPUT_EXTENSIONS`], compressed or not. Media (`photo.jpg`), notes (`README.md`) and
/// the export's HTML view are not.
pub fn is_input_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".tgz") {
        return true;
    }
    std::path::Path::new(strip_compression_ext(&lower))
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| INPUT_EXTENSIONS.contains(&e))
}

/// Whether a file found in a folder or an archive is a page of Telegram Desktop's HTML
/// export: `messages.html`, `messages2.html`, ..., compressed or not (the export's other
/// pages, `export_results.html` and `lists/*.html`, hold no posts).
pub fn is_telegram_page(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    strip_compression_ext(&lower)
        .strip_prefix("messages")
        .and_then(|r| r.strip_suffix(".html"))
        .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
}

/// The folder the media of the posts in the file at `path` are named from, where it is not
/// the file's own: the export's root (without its last `/`) for an Instagram export's
/// posts, stories and comments and a Facebook export's comments, whose media paths start
/// there (`media/posts/202611/1.jpg`, two folders above
/// `your_instagram_activity/content/posts_1.json`). `None` for any other file.
pub fn media_root(path: &str) -> Option<&str> {
    let root = instagram::export_root(path).or_else(|| meta::comments_media_root(path))?;
    Some(root.strip_suffix(['/', '\\']).unwrap_or(root))
}

/// Decide the format of an input from its name, or from its first bytes.
fn detect_format(path: &str, head: &[u8]) -> Format {
    let name = strip_compression_ext(path).to_ascii_lowercase();
    // A Discord data package's channel, in the CSV of older packages.
    if discord_package::is_csv(head) {
        return Format::Discord;
    }
    if name.ends_with(".csv") || name.ends_with(".tsv") {
        return Format::Csv;
    }
    // A Bluesky account's repository (`getRepo`, "Export my data"): a CAR file.
    if bluesky_car::looks_like_car(head) {
        return Format::Bluesky;
    }
    // A WhatsApp chat opens with a dated message (a digit, `[`, or a direction mark), and
    // its file is named for it.
    if whatsapp::looks_like_whatsapp(head) || whatsapp::is_chat_file_name(path) {
        return Format::WhatsApp;
    }
    match first_byte(head) {
        Some(b'{') => {
            let head_str = String::from_utf8_lossy(head);
            let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
            // A Meta thread, a Discord channel and a Matrix room before Telegram: their
            // exports have `messages` too.
            if meta::looks_like_thread(&head_str)
                || meta::is_thread_file_name(base)
                || meta::looks_like_posts(&head_str)
                || instagram::looks_like(&head_str)
            {
                Format::Meta
            } else if first_line(head).is_some_and(reddit::looks_like_reddit)
                || reddit::looks_like_listing(head)
            {
                Format::Reddit
            } else if bluesky::looks_like_bluesky(head) {
                Format::Bluesky
            } else if (head_str.contains("\"guild\"") && head_str.contains("\"channel\""))
                || first_line(head).is_some_and(discord::looks_like_discord)
            {
                Format::Discord
            } else if head_str.contains("\"room_name\"")
                || head_str.contains("\"origin_server_ts\"")
                || first_line(head).is_some_and(matrix::looks_like_matrix)
            {
                Format::Matrix
            } else if head_str.contains("\"messages\"") || head_str.contains("\"chats\"") {
                Format::Telegram
            } else if head_str.contains("\"@context\"")
                || head_str.contains("\"orderedItems\"")
                || first_line(head).is_some_and(activitypub::looks_like_activitypub)
            {
                Format::ActivityPub
            } else if head_str.contains("\"data\"") && !head_str.contains("\"raqib\"") {
                Format::TwitterV2
            } else if first_line(head).is_some_and(tweets::looks_like_tweet) {
                Format::Tweets
            } else {
                Format::Jsonl
            }
        }
        // A Reddit thread's API JSON: an array of two listings.
        Some(b'[') if reddit::looks_like_listing(head) => Format::Reddit,
        // A Facebook export's posts, an Instagram export's posts or comments.
        Some(b'[')
            if meta::looks_like_posts(&String::from_utf8_lossy(head))
                || instagram::looks_like(&String::from_utf8_lossy(head))
                || meta::is_posts_file_name(path.rsplit(['/', '\\']).next().unwrap_or(path)) =>
        {
            Format::Meta
        }
        // A Discord data package's channel.
        Some(b'[') if discord_package::looks_like(head) => Format::Discord,
        // A JSON array of records.
        Some(b'[') => Format::Jsonl,
        // A Twitter archive's files are JavaScript: `window.YTD.tweets.part0 = [`.
        Some(b'w') if twitter_archive::looks_like_archive(head) => Format::TwitterArchive,
        // HTML: Telegram Desktop's export is the HTML raqib reads (anything else is told so).
        Some(b'<') if looks_like_html(head) => Format::TelegramHtml,
        Some(_)
            if !name.ends_with(".jsonl")
                && !name.ends_with(".ndjson")
                && !name.ends_with(".json") =>
        {
            Format::Csv
        }
        _ => Format::Jsonl,
    }
}

/// Whether `head` opens an HTML page: a doctype or an `<html>` tag first, or Telegram's
/// `page_wrap`.
fn looks_like_html(head: &[u8]) -> bool {
    let rest = skip_bom_and_space(head);
    let lower: Vec<u8> = rest[..rest.len().min(16)]
        .iter()
        .map(u8::to_ascii_lowercase)
        .collect();
    lower.starts_with(b"<!doctype html")
        || lower.starts_with(b"<html")
        || memchr::memmem::find(head, b"class=\"page_wrap\"").is_some()
}

/// The first byte of `head` that is not whitespace or a byte-order mark.
fn first_byte(head: &[u8]) -> Option<u8> {
    skip_bom_and_space(head).first().copied()
}

/// `head` from its first byte that is not whitespace or a byte-order mark.
fn skip_bom_and_space(head: &[u8]) -> &[u8] {
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF)
        .unwrap_or(head.len());
    &head[start..]
}

/// Whether a file that starts with `[` is one JSON array rather than JSON Lines whose
/// first line is an array: it is, unless that first line is a whole JSON value by itself
/// with more lines after it.
fn is_array_document(head: &[u8]) -> bool {
    if first_byte(head) != Some(b'[') {
        return false;
    }
    let Some(line) = first_line(head) else {
        return false;
    };
    let whole = serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok();
    // `line` lies within `head`: what follows it is the rest of the head.
    let end = line.as_ptr() as usize - head.as_ptr() as usize + line.len();
    !(whole && head[end..].iter().any(|b| !b.is_ascii_whitespace()))
}

/// The line format of a JSON array's elements, from the first (made one line): a Twitter
/// API v2 response, a tweet object, or else a raqib record.
fn element_format(element: &[u8]) -> LineFormat {
    match serde_json::from_slice::<serde_json::Value>(element) {
        Ok(serde_json::Value::Object(o)) if o.contains_key("data") && !o.contains_key("raqib") => {
            LineFormat::TwitterV2
        }
        _ if tweets::looks_like_tweet(element) => LineFormat::Tweets,
        _ if reddit::looks_like_reddit(element) => LineFormat::Reddit,
        _ if bluesky::looks_like_bluesky(element) => LineFormat::Bluesky,
        _ if activitypub::looks_like_activitypub(element) => LineFormat::ActivityPub,
        _ if matrix::looks_like_matrix(element) => LineFormat::Matrix,
        _ if discord::looks_like_discord(element) => LineFormat::Discord,
        _ => LineFormat::Raqib,
    }
}

/// The first non-blank line of `head` (a byte-order mark and a `\r` left off); cut short
/// where `head` ends within it.
fn first_line(head: &[u8]) -> Option<&[u8]> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &head[start..];
    let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    Some(rest[..end].strip_suffix(b"\r").unwrap_or(&rest[..end]))
}

fn looks_like_single_document(head: &[u8]) -> bool {
    // A response per line has its first newline after a closing brace; a pretty-printed
    // document has a newline right after its opening brace.
    let trimmed: Vec<u8> = head
        .iter()
        .copied()
        .skip_while(|b| b.is_ascii_whitespace())
        .collect();
    match trimmed.iter().position(|&b| b == b'\n') {
        Some(nl) => !trimmed[..nl].trim_ascii_end().ends_with(b"}"),
        None => true,
    }
}

/// The rest of an input, read into memory (a format read whole).
fn read_whole(mut reader: Reader, name: &str) -> Result<Vec<u8>, OpenError> {
    let mut buf = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut buf).map_err(|e| OpenError::Io {
        path: name.to_string(),
        error: e,
    })?;
    Ok(buf)
}

fn whole_document(
    reader: Reader,
    name: std::sync::Arc<str>,
    opts: &Options,
    parse: DocumentParser,
) -> Result<std::iter::Once<Chunk>, OpenError> {
    let buf = read_whole(reader, &name)?;
    let items =
        parse(&buf, &name, opts.default_platform.as_deref()).map_err(|m| OpenError::Invalid {
            path: name.to_string(),
            message: m,
        })?;
    Ok(std::iter::once(Chunk::Records {
        file: name,
        items,
        read: buf.len(),
    }))
}

/// Splits a byte stream into chunks of whole lines, skipping over-long lines.
struct LineChunks {
    reader: Reader,
    file: std::sync::Arc<str>,
    format: LineFormat,
    platform: Option<std::sync::Arc<str>>,
    max_record: usize,
    chunk_bytes: usize,
    next_line: u64,
    pending: Vec<u8>,
    queued: std::collections::VecDeque<Chunk>,
    done: bool,
    saw_any: bool,
    pool: BufferPool,
    mapping: Option<std::sync::Arc<JsonMapping>>,
}

impl LineChunks {
    fn new(reader: Reader, file: std::sync::Arc<str>, format: LineFormat, opts: &Options) -> Self {
        LineChunks {
            reader,
            file,
            format,
            platform: opts.default_platform.as_deref().map(std::sync::Arc::from),
            max_record: opts.max_record_bytes.max(1),
            chunk_bytes: opts.chunk_bytes.max(1),
            next_line: 1,
            pending: Vec::new(),
            queued: Default::default(),
            done: false,
            saw_any: false,
            pool: Default::default(),
            mapping: opts.json_map.clone(),
        }
    }

    /// A buffer for the next chunk: a returned one if there is one, else a new one.
    fn buffer(&self) -> Vec<u8> {
        pooled_buffer(&self.pool, self.chunk_bytes + CHUNK_MARGIN)
    }

    fn diag(&mut self, line: u64, message: String) {
        let d = Diagnostic::new(&*self.file, line, message);
        self.queued.push_back(Chunk::Records {
            file: self.file.clone(),
            items: vec![(line, Err(d))],
            read: 0,
        });
    }

    /// Skip the rest of an over-long line whose first part is in `pending`.
    fn skip_long_line(&mut self) {
        let mut skipped = self.pending.len();
        self.pending.clear();
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) => {
                    let line = self.next_line;
                    self.diag(line, format!("read error: {e}"));
                    self.done = true;
                    return;
                }
            };
            if buf.is_empty() {
                break;
            }
            match memchr::memchr(b'\n', buf) {
                Some(i) => {
                    skipped += i;
                    self.reader.consume(i + 1);
                    break;
                }
                None => {
                    let n = buf.len();
                    skipped += n;
                    self.reader.consume(n);
                }
            }
        }
        let line = self.next_line;
        let max = self.max_record;
        self.diag(
            line,
            format!("record of {skipped} bytes is over the limit of {max} bytes (--max-record-bytes); skipped"),
        );
        self.next_line += 1;
    }
}

impl Iterator for LineChunks {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        loop {
            if let Some(c) = self.queued.pop_front() {
                return Some(c);
            }
            if self.done {
                return None;
            }
            // Fill `pending` with at least `chunk_bytes`, cut at the last newline.
            let start_line = self.next_line;
            let mut out = self.buffer();
            out.append(&mut self.pending);
            let mut line_start = 0usize;
            loop {
                let buf = match self.reader.fill_buf() {
                    Ok(b) => b,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let line = self.next_line;
                        self.diag(
                            line,
                            format!("read error: {e}; the rest of the file is skipped"),
                        );
                        self.done = true;
                        break;
                    }
                };
                if buf.is_empty() {
                    self.done = true;
                    break;
                }
                self.saw_any = true;
                let n = buf.len();
                out.extend_from_slice(buf);
                self.reader.consume(n);
                // Count lines and police their length in the bytes just added.
                let mut pos = out.len() - n;
                while let Some(i) = memchr::memchr(b'\n', &out[pos..]) {
                    let end = pos + i;
                    if end - line_start > self.max_record {
                        // An over-long complete line inside the buffer: drop it.
                        let ln = self.next_line;
                        let len = end - line_start;
                        out.drain(line_start..=end);
                        self.diag(
                            ln,
                            format!("record of {len} bytes is over the limit of {} bytes (--max-record-bytes); skipped", self.max_record),
                        );
                        // Keep line numbering right: an empty line stands in for it.
                        out.insert(line_start, b'\n');
                        pos = line_start + 1;
                        line_start = pos;
                        self.next_line += 1;
                        continue;
                    }
                    pos = end + 1;
                    line_start = pos;
                    self.next_line += 1;
                }
                if out.len() - line_start > self.max_record {
                    // The current line is already too long: keep what is complete, skip it.
                    self.pending = out.split_off(line_start);
                    self.skip_long_line();
                    // The skipped line counts as a line: keep numbering with a blank.
                    out.push(b'\n');
                    line_start = out.len();
                    if self.done {
                        break;
                    }
                }
                // A full chunk, or a short read (a pipe with nothing more for now): hand
                // over the complete lines so a slow stream is scanned as it arrives.
                if line_start >= self.chunk_bytes || (n < input::SHORT_READ && line_start > 0) {
                    break;
                }
            }
            if !self.done {
                self.pending.extend_from_slice(&out[line_start..]);
                out.truncate(line_start);
            }
            if self.done && !self.saw_any && start_line == 1 {
                let d = Diagnostic::new(&*self.file, 0, "file is empty");
                self.queued.push_back(Chunk::Records {
                    file: self.file.clone(),
                    items: vec![(0, Err(d))],
                    read: 0,
                });
            }
            if !out.is_empty() {
                let chunk = Chunk::Lines {
                    file: self.file.clone(),
                    first_line: start_line,
                    format: self.format,
                    default_platform: self.platform.clone(),
                    read: out.len(),
                    bytes: PooledBytes {
                        bytes: out,
                        pool: self.pool.clone(),
                    },
                    line_numbers: None,
                    mapping: self.mapping.clone(),
                    notes: None,
                };
                // Diagnostics for skipped lines were queued while filling; they go after.
                self.queued.push_front(chunk);
            }
        }
    }
}
