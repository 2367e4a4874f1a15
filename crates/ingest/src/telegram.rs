//! Telegram Desktop's JSON export (`result.json`): one chat (`messages` at the top) or a
//! whole account (`chats.list[].messages` and `left_chats.list[].messages`). Message text
//! is a string or a list of plain strings and entity objects; links in entities become
//! URLs.
//!
//! Read as a stream: an account's export is one JSON document of gigabytes, so it is never
//! held whole. On a thread of its own, a skimmer walks the document's outline (the chats
//! and their `messages` arrays) byte by byte, counting lines, and passes the messages'
//! bytes in batches to a second thread, which parses each alone with serde_json and sends
//! the records on in order. Memory is a few batches; a message that is not valid JSON is
//! a diagnostic at its line and the ones after it are still read; a document cut short
//! keeps every message before the cut.

use std::sync::Arc;

use crate::source::Source;
use crate::Chunk;
use raqib_model::{Account, Diagnostic, MediaRef, Post, Record};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

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

/// Messages sent on in chunks of this many (a worker's share of the work): each makes a
/// post, a diagnostic or nothing, and its sender's account record the first time.
const MESSAGES_PER_CHUNK: usize = 4096;

/// The chunks of a Telegram export, parsed on a thread of their own as they are read.
pub(crate) struct TelegramChunks {
    rx: std::sync::mpsc::Receiver<Batch>,
    file: Arc<str>,
    platform: Arc<str>,
    max_record: usize,
    /// `--utc-offset` for this file, in seconds (its text form on each line; empty for
    /// none): the zone of a `date` an older export gives without `date_unixtime`.
    offset: String,
    queued: std::collections::VecDeque<Chunk>,
    pool: crate::BufferPool,
}

/// Separates a line's chat id, chat name, message number, offset and message JSON.
use crate::FIELD_SEP as SEP;

impl TelegramChunks {
    pub(crate) fn new(
        reader: Box<dyn std::io::BufRead + Send>,
        file: Arc<str>,
        opts: &crate::Options,
    ) -> TelegramChunks {
        let (btx, brx) = std::sync::mpsc::sync_channel::<Batch>(2);
        let max_record = opts.max_record_bytes;
        let offset = opts.utc_offset_field(&file);
        std::thread::Builder::new()
            .name("raqib-telegram".into())
            .spawn(move || Parser::new(reader, max_record, btx).run())
            .expect("a thread for the Telegram reader");
        TelegramChunks {
            rx: brx,
            file,
            platform: Arc::from(opts.default_platform.as_deref().unwrap_or("telegram")),
            max_record,
            offset,
            queued: Default::default(),
            pool: Default::default(),
        }
    }

    /// A batch as chunks: its messages a line each (chat id, chat name, message number,
    /// then the message's JSON with its line breaks made spaces, which JSON allows only
    /// between tokens), for the workers to parse; then the diagnostics of the messages
    /// over the size limit and of where reading stopped.
    fn queue(&mut self, batch: Batch) {
        let mut bytes = crate::pooled_buffer(&self.pool, 0);
        let mut numbers = Vec::with_capacity(batch.messages.len());
        let mut diags = Vec::new();
        let chat = batch.chat_name.as_deref().unwrap_or(&batch.chat_id);
        for f in &batch.messages {
            if f.size > self.max_record {
                let d = Diagnostic::new(
                    &*self.file,
                    f.line,
                    format!(
                        "chat {chat:?} message #{} is {} bytes, over the limit of {} \
                         (--max-record-bytes); skipped",
                        f.number, f.size, self.max_record
                    ),
                );
                diags.push((f.line, Err(d)));
                continue;
            }
            crate::push_field(&mut bytes, &batch.chat_id);
            crate::push_field(&mut bytes, batch.chat_name.as_deref().unwrap_or_default());
            crate::push_field(&mut bytes, &batch.link_base);
            crate::push_field(&mut bytes, &f.number.to_string());
            crate::push_field(&mut bytes, &self.offset);
            crate::push_one_line(&mut bytes, &batch.bytes[f.range.clone()]);
            numbers.push(f.line);
        }
        if let Some((line, message)) = batch.stopped {
            diags.push((line, Err(Diagnostic::new(&*self.file, line, message))));
        }
        let mut read = Some(batch.read);
        if !numbers.is_empty() {
            self.queued.push_back(Chunk::Lines {
                file: self.file.clone(),
                first_line: numbers[0],
                format: crate::LineFormat::Telegram,
                default_platform: Some(self.platform.clone()),
                bytes: crate::PooledBytes {
                    bytes,
                    pool: self.pool.clone(),
                },
                line_numbers: Some(numbers),
                read: read.take().unwrap_or(0),
                mapping: None,
                notes: None,
            });
        }
        if !diags.is_empty() || read.is_some() {
            self.queued.push_back(Chunk::Records {
                file: self.file.clone(),
                items: diags,
                read: read.take().unwrap_or(0),
            });
        }
    }
}

/// Read a line [`TelegramChunks`] made: the message's post, and its sender's account the
/// first time `seen` says the sender is new.
pub(crate) fn parse_line(
    line: &[u8],
    platform: &str,
    seen: impl FnMut(&str) -> bool,
    out: impl FnMut(Record),
) -> Result<(), String> {
    let mut parts = line.splitn(6, |&b| b == SEP);
    let (Some(id), Some(name), Some(link_base), Some(number), Some(offset), Some(bytes)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err("not a message of a Telegram export".into());
    };
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let chat = ChatInfo {
        name: Some(text(name)).filter(|n| !n.is_empty()),
        id: text(id),
        kind: None,
        seen: 0,
        offset: crate::utc_offset_of_field(offset),
    };
    let link_base = std::str::from_utf8(link_base).unwrap_or_default();
    let where_ = format!(
        "chat {:?} message #{} ",
        chat.name.as_deref().unwrap_or(&chat.id),
        text(number)
    );
    let object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    match serde_json::from_slice::<Message>(bytes) {
        Ok(m) => message_records(&m, &chat, link_base, &where_, platform, seen, out),
        Err(e) => Err(
            if !object && serde_json::from_slice::<IgnoredAny>(bytes).is_ok() {
                format!("{where_}is not an object")
            } else {
                format!("{where_}is not valid JSON: {e}")
            },
        ),
    }
}

/// Messages as the reading thread found them, for the thread that makes their records:
/// one chat's, in order.
#[derive(Default)]
struct Batch {
    chat_name: Option<String>,
    chat_id: String,
    /// See [`ChatInfo::link_base`].
    link_base: String,
    /// The messages' bytes, one after another.
    bytes: Vec<u8>,
    messages: Vec<Found>,
    /// Input bytes read since the batch before.
    read: usize,
    /// Where and why reading stopped, after these messages.
    stopped: Option<(u64, String)>,
}

struct Found {
    /// Its bytes in `Batch::bytes` (none when over the size limit).
    range: std::ops::Range<usize>,
    line: u64,
    /// Its place in its chat's `messages`, from 1.
    number: usize,
    /// Its whole length.
    size: usize,
}

impl Iterator for TelegramChunks {
    type Item = Chunk;
    fn next(&mut self) -> Option<Chunk> {
        loop {
            if let Some(c) = self.queued.pop_front() {
                return Some(c);
            }
            let batch = self.rx.recv().ok()?;
            self.queue(batch);
        }
    }
}

/// What is known of the chat whose messages are being read.
#[derive(Default)]
struct ChatInfo {
    name: Option<String>,
    id: String,
    /// Its `type`: `public_channel`, `private_supergroup`, `personal_chat`…
    kind: Option<String>,
    /// Messages of this chat seen so far, service messages included (for "message #N").
    seen: usize,
    /// Seconds east of UTC of a `date` written without a zone (`--utc-offset`).
    offset: i64,
}

/// Stop reading: the consumer has gone, or the document cannot be followed further.
struct Stop;

struct Parser {
    src: Source,
    max_record: usize,
    tx: std::sync::mpsc::SyncSender<Batch>,
    batch: Batch,
    /// Messages read, for the message that says where a document was cut.
    messages: u64,
    /// The value being captured (a message, a key, a chat's name or id), no more than
    /// `max_record` bytes of it (and one step more), so one huge message cannot take the
    /// memory the stream saves.
    capture: Vec<u8>,
    /// The captured value's whole length, kept or not.
    captured: usize,
    /// Where the last chunk sent ended in the input.
    read_to: u64,
}

/// Where a skipped value's bytes go: nowhere, or into the capture (see
/// [`Parser::keep`]).
#[derive(Clone, Copy, PartialEq)]
enum Keep {
    No,
    Yes,
}

impl Parser {
    fn new(
        src: Box<dyn std::io::BufRead + Send>,
        max_record: usize,
        tx: std::sync::mpsc::SyncSender<Batch>,
    ) -> Parser {
        Parser {
            src: Source::new(src),
            max_record,
            tx,
            batch: Batch::default(),
            messages: 0,
            capture: Vec::new(),
            captured: 0,
            read_to: 0,
        }
    }

    /// Read the document, sending its records on; what is left is sent at the end, after
    /// a diagnostic where reading stopped early. Sends fail only when the consumer has
    /// gone, and then nothing is left to do.
    fn run(&mut self) {
        let _ = self.document();
        let _ = self.flush();
    }

    /// Send the batch on (if it holds anything), with the input bytes read since the last.
    fn flush(&mut self) -> Result<(), Stop> {
        if self.batch.messages.is_empty() && self.batch.stopped.is_none() {
            return Ok(());
        }
        let mut batch = std::mem::take(&mut self.batch);
        let at = self.src.consumed();
        batch.read = (at - self.read_to) as usize;
        self.read_to = at;
        self.tx.send(batch).map_err(|_| Stop)
    }

    /// A diagnostic at `line`; reading stops after it.
    fn fatal(&mut self, line: u64, message: String) -> Stop {
        self.batch.stopped = Some((line, message));
        Stop
    }

    /// The document is cut short or not an export's shape at the current line.
    fn malformed(&mut self, what: &str) -> Stop {
        let (line, read) = (self.src.line, self.messages);
        let why = match self.src.io_error.take() {
            Some(e) => format!("cannot read on: {e}"),
            None if self.peek().is_none() => "the file ends here (cut short?)".to_string(),
            None => what.to_string(),
        };
        let message = format!(
            "Telegram export (result.json) cannot be followed past this line: {why}; the {read} \
             messages before it were read"
        );
        self.fatal(line, message)
    }

    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.src.peek()
    }

    #[inline]
    fn bump(&mut self, keep: Keep) -> Option<u8> {
        let b = self.src.bump()?;
        if keep == Keep::Yes {
            self.keep(&[b]);
        }
        Some(b)
    }

    /// Add bytes to the capture while it is within the size limit; count them either way.
    #[inline]
    fn keep(&mut self, bytes: &[u8]) {
        self.captured += bytes.len();
        if self.capture.len() <= self.max_record {
            self.capture.extend_from_slice(bytes);
        }
    }

    fn start_capture(&mut self) {
        self.capture.clear();
        self.captured = 0;
    }

    fn ws(&mut self) {
        self.src.ws();
    }

    fn expect(&mut self, c: u8, what: &str) -> Result<(), Stop> {
        self.ws();
        match self.peek() {
            Some(b) if b == c => {
                self.bump(Keep::No);
                Ok(())
            }
            _ => Err(self.malformed(what)),
        }
    }

    /// After an opening quote: the rest of a string, its bytes kept if asked. Runs of
    /// plain bytes are found with memchr.
    fn string_rest(&mut self, keep: Keep) -> Result<(), Stop> {
        loop {
            if self.peek().is_none() {
                return Err(self.malformed("a string is not closed"));
            }
            let avail = self.src.buffered();
            let run = memchr::memchr2(b'"', b'\\', avail).unwrap_or(avail.len());
            // Raw newlines are not valid inside a JSON string, but are counted all the same.
            let lines = memchr::memchr_iter(b'\n', &avail[..run]).count() as u64;
            if keep == Keep::Yes {
                self.captured += run;
                if self.capture.len() <= self.max_record {
                    self.capture.extend_from_slice(&avail[..run]);
                }
            }
            self.src.line += lines;
            self.src.consume(run);
            match self.bump(keep) {
                Some(b'"') => return Ok(()),
                Some(b'\\') => {
                    self.bump(keep);
                }
                _ => {}
            }
        }
    }

    /// A key and the colon after it, the key decoded.
    fn key(&mut self) -> Result<String, Stop> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(self.malformed("expected a key"));
        }
        self.start_capture();
        self.bump(Keep::Yes);
        self.string_rest(Keep::Yes)?;
        let key = serde_json::from_slice::<String>(&self.capture).ok();
        self.start_capture();
        let key = key.ok_or_else(|| self.malformed("a key is not a valid string"))?;
        self.expect(b':', "expected `:` after a key")?;
        Ok(key)
    }

    /// Skip one value, keeping its bytes if asked.
    fn value(&mut self, keep: Keep) -> Result<(), Stop> {
        self.ws();
        match self.peek() {
            Some(b'"') => {
                self.bump(keep);
                self.string_rest(keep)
            }
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                loop {
                    match self.bump(keep) {
                        Some(b'"') => self.string_rest(keep)?,
                        Some(b'{' | b'[') => depth += 1,
                        Some(b'}' | b']') => {
                            depth -= 1;
                            if depth == 0 {
                                return Ok(());
                            }
                        }
                        Some(_) => {}
                        None => return Err(self.malformed("a value is not closed")),
                    }
                }
            }
            Some(b',' | b'}' | b']' | b':') | None => Err(self.malformed("expected a value")),
            Some(_) => {
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.bump(keep);
                }
                Ok(())
            }
        }
    }

    /// A small value (a chat's name or id), parsed.
    fn small_value(&mut self) -> Result<Value, Stop> {
        self.start_capture();
        self.value(Keep::Yes)?;
        let v = serde_json::from_slice(&self.capture).unwrap_or(Value::Null);
        self.start_capture();
        Ok(v)
    }

    /// The members of an object, `each(key)` reading each value; the opening brace first.
    fn object(
        &mut self,
        what: &str,
        mut each: impl FnMut(&mut Self, String) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        self.expect(b'{', what)?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.bump(Keep::No);
            return Ok(());
        }
        loop {
            let key = self.key()?;
            each(self, key)?;
            self.ws();
            match self.bump(Keep::No) {
                Some(b',') => {}
                Some(b'}') => return Ok(()),
                _ => return Err(self.malformed("expected `,` or `}` in an object")),
            }
        }
    }

    /// The elements of an array, `each` reading each one; the opening bracket first.
    fn array(
        &mut self,
        what: &str,
        mut each: impl FnMut(&mut Self) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        self.expect(b'[', what)?;
        self.ws();
        if self.peek() == Some(b']') {
            self.bump(Keep::No);
            return Ok(());
        }
        loop {
            each(self)?;
            self.ws();
            match self.bump(Keep::No) {
                Some(b',') => {}
                Some(b']') => return Ok(()),
                _ => return Err(self.malformed("expected `,` or `]` in an array")),
            }
        }
    }

    /// The whole document: a chat (`name`, `id`, `messages`) or an account's export
    /// (`chats.list` and `left_chats.list`, each a chat); every other member is skipped.
    fn document(&mut self) -> Result<(), Stop> {
        self.ws();
        // A byte-order mark, as some tools write.
        if self.peek() == Some(0xEF) {
            for _ in 0..3 {
                self.bump(Keep::No);
            }
        }
        let mut top = ChatInfo::default();
        self.object(
            "not a Telegram Desktop export (result.json): expected a JSON object",
            |p, key| match key.as_str() {
                // Chats the account left are read too: leaving a channel does not make
                // what it posted less worth scanning.
                "chats" | "left_chats" => p.object("expected a list of chats", |p, key| {
                    if key == "list" {
                        p.array("expected a list of chats to be an array", |p| p.chat())
                    } else {
                        p.value(Keep::No)
                    }
                }),
                _ => p.chat_member(&mut top, &key),
            },
        )?;
        self.ws();
        if self.peek().is_some() {
            return Err(self.malformed("more after the end of the document"));
        }
        Ok(())
    }

    /// One chat of `chats.list`.
    fn chat(&mut self) -> Result<(), Stop> {
        let mut chat = ChatInfo::default();
        self.object("expected a chat object in `chats.list`", |p, key| {
            p.chat_member(&mut chat, &key)
        })
    }

    /// A member of a chat object. Telegram writes `name` and `id` before `messages`, so
    /// a message's post id and sender know their chat.
    fn chat_member(&mut self, chat: &mut ChatInfo, key: &str) -> Result<(), Stop> {
        match key {
            "name" => {
                // Cut as every message's line will carry it (and a diagnostic name it).
                chat.name = self
                    .small_value()?
                    .as_str()
                    .map(|n| crate::line_name(n).to_string());
                Ok(())
            }
            "id" => {
                chat.id = value_id(&self.small_value()?).unwrap_or_default();
                Ok(())
            }
            "type" => {
                chat.kind = self.small_value()?.as_str().map(str::to_string);
                Ok(())
            }
            "messages" => self.array("expected `messages` to be an array", |p| p.message(chat)),
            _ => self.value(Keep::No),
        }
    }

    /// One element of a `messages` array: its bytes captured (up to the size limit) and
    /// put in the batch, to be parsed on the records thread.
    fn message(&mut self, chat: &mut ChatInfo) -> Result<(), Stop> {
        self.ws();
        let line = self.src.line;
        chat.seen += 1;
        self.messages += 1;
        self.start_capture();
        self.value(Keep::Yes)?;
        let link_base = link_base(chat);
        let same_chat = self.batch.chat_id == chat.id
            && self.batch.chat_name == chat.name
            && self.batch.link_base == link_base;
        if !self.batch.messages.is_empty() && !same_chat {
            self.flush()?;
        }
        if self.batch.messages.is_empty() {
            self.batch.chat_id.clone_from(&chat.id);
            self.batch.chat_name.clone_from(&chat.name);
            self.batch.link_base = link_base;
        }
        let start = self.batch.bytes.len();
        if self.captured <= self.max_record {
            self.batch.bytes.extend_from_slice(&self.capture);
        }
        self.batch.messages.push(Found {
            range: start..self.batch.bytes.len(),
            line,
            number: chat.seen,
            size: self.captured,
        });
        if self.batch.messages.len() >= MESSAGES_PER_CHUNK || self.batch.bytes.len() >= 4 << 20 {
            self.flush()?;
        }
        Ok(())
    }
}

/// The fields of a message that raqib reads, each kept as its JSON text: serde skips the
/// others (`text_entities`, `edited`, reactions…) without building them, and a field is
/// parsed only when it is read.
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(default, borrow)]
    id: Option<&'a RawValue>,
    #[serde(default, borrow, rename = "type")]
    kind: Option<&'a RawValue>,
    #[serde(default, borrow)]
    text: Option<&'a RawValue>,
    #[serde(default, borrow)]
    from_id: Option<&'a RawValue>,
    #[serde(default, borrow)]
    from: Option<&'a RawValue>,
    #[serde(default, borrow)]
    date_unixtime: Option<&'a RawValue>,
    #[serde(default, borrow)]
    date: Option<&'a RawValue>,
    #[serde(default, borrow)]
    photo: Option<&'a RawValue>,
    #[serde(default, borrow)]
    file: Option<&'a RawValue>,
    #[serde(default, borrow)]
    media_type: Option<&'a RawValue>,
    #[serde(default, borrow)]
    reply_to_message_id: Option<&'a RawValue>,
    #[serde(default, borrow)]
    forwarded_from: Option<&'a RawValue>,
    #[serde(default, borrow)]
    poll: Option<&'a RawValue>,
}

/// A poll as Telegram Desktop's JSON export writes it: `{"question": "...", "closed":
/// false, "total_voters": 12, "answers": [{"text": "...", "voters": 3, "chosen": false}]}`.
#[derive(Deserialize)]
struct Poll {
    #[serde(default)]
    question: Value,
    #[serde(default)]
    answers: Vec<PollAnswer>,
}

#[derive(Deserialize)]
struct PollAnswer {
    #[serde(default)]
    text: Value,
}

/// A poll's question and its answers as text (see [`poll_text`]); empty for a poll
/// with neither, or a `poll` that is no poll.
fn poll_of(raw: &RawValue) -> String {
    let Ok(p) = serde_json::from_str::<Poll>(raw.get()) else {
        return String::new();
    };
    let words = |v: &Value| {
        let (mut text, mut urls) = (String::new(), Vec::new());
        flatten_text(v, &mut text, &mut urls);
        text
    };
    let answers: Vec<String> = p.answers.iter().map(|a| words(&a.text)).collect();
    crate::poll_text(&words(&p.question), &answers)
}

/// A field's value (`None` where absent).
fn field(raw: Option<&RawValue>) -> Option<Value> {
    raw.and_then(|r| serde_json::from_str(r.get()).ok())
}

/// A field's value when it is a string.
fn field_str(raw: Option<&RawValue>) -> Option<String> {
    match field(raw)? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// The start of the links to a chat's messages, their ids to follow: a channel's or a
/// supergroup's `https://t.me/c/ID/`. Telegram's own "copy link" gives this form for a
/// chat with no public username (an export names none); it opens for whoever can see the
/// chat, as a platform's moderators can. Basic groups and private chats have no message
/// links: empty for them, as for a chat with no numeric id.
fn link_base(chat: &ChatInfo) -> String {
    let linked = matches!(
        chat.kind.as_deref(),
        Some("public_channel" | "private_channel" | "public_supergroup" | "private_supergroup")
    );
    // Telegram Desktop writes the bare id; other tools, the Bot API's `-100` form.
    let id = chat.id.strip_prefix("-100").unwrap_or(&chat.id);
    // Telegram's ids have at most 19 digits; a longer one is no chat's.
    if linked && (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()) {
        format!("https://t.me/c/{id}/")
    } else {
        String::new()
    }
}

/// The records of one message: its post, and its sender's account the first time the
/// sender is seen. Service messages (joins, pins, calls) and messages with neither text nor
/// media make none.
fn message_records(
    m: &Message<'_>,
    chat: &ChatInfo,
    link_base: &str,
    where_: &str,
    platform: &str,
    mut seen: impl FnMut(&str) -> bool,
    mut out: impl FnMut(Record),
) -> Result<(), String> {
    if field_str(m.kind).is_some_and(|t| t != "message") {
        return Ok(());
    }
    let Some(id) = field(m.id).as_ref().and_then(value_id) else {
        return Err(format!("{where_}has no id"));
    };
    let chat_id = &chat.id;
    let mut text = String::new();
    let mut urls = Vec::new();
    if let Some(t) = m.text {
        // Most texts are one plain string: no `Value` for them.
        match serde_json::from_str::<String>(t.get()) {
            Ok(s) => text = s,
            Err(_) => {
                if let Ok(v) = serde_json::from_str::<Value>(t.get()) {
                    flatten_text(&v, &mut text, &mut urls);
                }
            }
        }
    }
    if let Some(poll) = m.poll.map(poll_of).filter(|p| !p.is_empty()) {
        crate::append_part(&mut text, &poll);
    }
    let from_id = field(m.from_id)
        .as_ref()
        .and_then(value_id)
        .unwrap_or_else(|| chat_id.clone());
    let from = field_str(m.from).or_else(|| chat.name.clone());
    let created_at = field(m.date_unixtime)
        .as_ref()
        .and_then(value_id)
        .and_then(|s| s.parse().ok())
        // An older export's `date` alone: the exporting computer's local time, no zone.
        .or_else(|| crate::time::parse_time_in(&field_str(m.date)?, chat.offset));
    let mut media = Vec::new();
    if let Some(p) = field_str(m.photo) {
        media.push(MediaRef {
            kind: "image".into(),
            url: Some(p),
            ..Default::default()
        });
    }
    if let Some(f) = field_str(m.file) {
        let kind = field_str(m.media_type).unwrap_or_else(|| "file".into());
        let kind = if kind.contains("video") || kind == "animation" {
            "video".to_string()
        } else {
            kind
        };
        media.push(MediaRef {
            kind,
            url: Some(f),
            ..Default::default()
        });
    }
    if text.is_empty() && media.is_empty() {
        return Ok(());
    }
    if !seen(&from_id) {
        out(Record::Account(Box::new(Account {
            id: from_id.clone(),
            platform: platform.to_string(),
            display_name: from,
            ..Default::default()
        })));
    }
    let share_of = field_str(m.forwarded_from).map(|f| format!("forwarded:{f}"));
    out(Record::Post(Box::new(Post {
        id: format!("{chat_id}/{id}"),
        platform: platform.to_string(),
        account: from_id,
        created_at,
        text,
        lang: None,
        urls,
        media,
        reply_to: field(m.reply_to_message_id)
            .as_ref()
            .and_then(value_id)
            .map(|r| format!("{chat_id}/{r}")),
        share_of,
        first_version: None,
        place: chat.name.clone().filter(|n| !n.trim().is_empty()),
        permalink: (!link_base.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
            .then(|| format!("{link_base}{id}")),
        reach: None,
        label: None,
        category: None,
    })));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Item;

    fn opts() -> crate::Options {
        crate::Options::default()
    }

    fn chunks(doc: &[u8], opts: &crate::Options) -> Vec<Chunk> {
        let reader = Box::new(std::io::Cursor::new(doc.to_vec()));
        TelegramChunks::new(reader, Arc::from("result.json"), opts).collect()
    }

    /// Every record and diagnostic of the chunks, read as a worker reads them.
    fn items_of(chunks: Vec<Chunk>) -> Vec<Item> {
        let mut state = crate::ReadState::default();
        let mut items = Vec::new();
        for c in chunks {
            c.for_each_record_reusing(&mut state, |l, r, _| items.push((l, r)));
        }
        items
    }

    fn parse(doc: &[u8]) -> Vec<Item> {
        items_of(chunks(doc, &opts()))
    }

    use crate::testing::{diags, posts};

    #[test]
    fn reads_a_channel_export() {
        let doc = br#"{"name":"News","type":"public_channel","id":123,"messages":[
            {"id":1,"type":"service","action":"create_channel"},
            {"id":2,"type":"message","date":"2021-03-04T12:00:00","date_unixtime":"1614859200","from":"News","from_id":"channel123",
             "text":["see ",{"type":"link","text":"https://t.me/x"}," and ",{"type":"text_link","text":"this","href":"https://e.org/"}],
             "photo":"photos/p.jpg"},
            {"id":3,"type":"message","from_id":"channel123","text":"plain","reply_to_message_id":2},
            42]}"#;
        let recs = parse(doc);
        let posts = posts(&recs);
        assert_eq!(posts.len(), 2);
        let (line, p) = posts[0];
        assert_eq!(line, 3, "the line the message starts on");
        assert_eq!(p.id, "123/2");
        assert_eq!(p.text, "see https://t.me/x and this");
        assert_eq!(p.urls, vec!["https://t.me/x", "https://e.org/"]);
        assert_eq!(p.created_at, Some(1614859200));
        assert_eq!(p.media[0].kind, "image");
        assert_eq!(posts[1].1.reply_to.as_deref(), Some("123/2"));
        assert_eq!(p.permalink.as_deref(), Some("https://t.me/c/123/2"));
        assert_eq!(
            posts[1].1.permalink.as_deref(),
            Some("https://t.me/c/123/3")
        );
        let d = diags(&recs);
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message.contains("message #4 is not an object"),
            "{d:?}"
        );
        assert_eq!(d[0].at.line, 7);
    }

    /// A whole account's export: every chat of `chats.list` and `left_chats.list`, each
    /// message with its own chat's id; everything else (profile, contacts) skipped, strings
    /// with braces, brackets and escaped quotes included.
    #[test]
    fn reads_an_account_export_chat_by_chat() {
        let doc = br#"{
 "about": "Here is the data you requested {not json} \"quoted\" [x]",
 "personal_information": {"user_id": 1, "bio": "a \\ b } ] \" {"},
 "contacts": {"list": [{"first_name": "A", "phone_number": "+0"}]},
 "chats": {
  "about": "chats",
  "list": [
   {"name": "First", "type": "private_channel", "id": 10, "messages": [
     {"id": 1, "type": "message", "from": "First", "from_id": "channel10", "text": "one", "text_entities": [{"type": "plain", "text": "one"}], "reactions": [{"type": "emoji", "count": 2, "emoji": "\u2764"}], "edited_unixtime": "1"}
   ]},
   {"name": "Second", "type": "public_supergroup", "id": 20, "messages": [
     {"id": 1, "type": "message", "from": "U", "from_id": "user5", "text": "two"},
     {"id": 2, "type": "message", "from": "U", "from_id": "user5", "text": ["three ", {"type": "bold", "text": "bold"}]}
   ]}
  ]
 },
 "left_chats": {"about": "left", "list": [{"name": "Gone", "id": 30, "messages": [
   {"id": 1, "type": "message", "from_id": "user9", "text": "left, still read"}]}]}
}"#;
        let recs = parse(doc);
        assert!(diags(&recs).is_empty(), "{:?}", diags(&recs));
        let got: Vec<(u64, &str, &str, &str)> = posts(&recs)
            .into_iter()
            .map(|(l, p)| (l, p.id.as_str(), p.account.as_str(), p.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (9, "10/1", "channel10", "one"),
                (12, "20/1", "user5", "two"),
                (13, "20/2", "user5", "three bold"),
                (18, "30/1", "user9", "left, still read"),
            ]
        );
        let accounts = recs
            .iter()
            .filter(|(_, r)| matches!(r, Ok(Record::Account(_))))
            .count();
        assert_eq!(accounts, 3, "one account record per sender");
        let links: Vec<Option<&str>> = posts(&recs)
            .into_iter()
            .map(|(_, p)| p.permalink.as_deref())
            .collect();
        assert_eq!(
            links,
            vec![
                Some("https://t.me/c/10/1"),
                Some("https://t.me/c/20/1"),
                Some("https://t.me/c/20/2"),
                // A left chat whose type is not written: no link guessed.
                None,
            ]
        );
    }

    /// A chat's name as long as a record is carried onto each message's line cut to a few
    /// hundred bytes (a hostile export's would otherwise be copied onto every message), and
    /// an id no chat has makes no link.
    #[test]
    fn a_huge_chat_name_is_not_copied_onto_every_message() {
        let name = "ن".repeat(50_000);
        let doc = format!(
            r#"{{"name":"{name}","type":"public_channel","id":{},"messages":[
{{"id":1,"type":"message","text":"a"}},{{"id":2,"type":"message","text":"b"}}]}}"#,
            "9".repeat(40)
        );
        let recs = parse(doc.as_bytes());
        let posts = posts(&recs);
        assert_eq!(posts.len(), 2);
        for (_, p) in posts {
            let place = p.place.as_deref().unwrap();
            assert!(
                place.len() <= crate::LINE_NAME_MAX && name.starts_with(place),
                "{}",
                place.len()
            );
            assert_eq!(p.permalink, None);
        }
    }

    /// Only channels and supergroups have links to their messages; a chat of the Bot API's
    /// `-100` ids gets the bare id Telegram's links use.
    #[test]
    fn messages_link_to_their_chat_only_where_telegram_has_links() {
        let link = |kind: &str, id: &str| {
            let doc = format!(
                r#"{{"name":"C","type":"{kind}","id":{id},"messages":[{{"id":7,"type":"message","text":"x"}}]}}"#
            );
            let recs = parse(doc.as_bytes());
            let posts = posts(&recs);
            assert_eq!(posts.len(), 1, "{kind} {id}");
            posts[0].1.permalink.clone()
        };
        assert_eq!(
            link("private_supergroup", "5").as_deref(),
            Some("https://t.me/c/5/7")
        );
        assert_eq!(
            link("public_channel", "-1005").as_deref(),
            Some("https://t.me/c/5/7")
        );
        assert_eq!(link("personal_chat", "5"), None);
        assert_eq!(link("private_group", "5"), None);
        assert_eq!(link("bot_chat", "5"), None);
        assert_eq!(link("public_channel", "\"x/y\""), None);
    }

    /// A message that is not valid JSON is a diagnostic at its line, and the messages after
    /// it are read; so is one over the size limit.
    #[test]
    fn a_broken_message_is_a_diagnostic_and_reading_goes_on() {
        let doc = br#"{"name":"C","id":1,"messages":[
{"id":1,"type":"message","text":"before"},
{"id":2,"type":"message","text":tru},
{"id":3,"type":"message","text":"long long long long long long long long long long long long"},
{"id":4,"type":"message","text":"after"}
]}"#;
        let mut o = opts();
        o.max_record_bytes = 80;
        let recs: Vec<Item> = items_of(chunks(doc, &o));
        let texts: Vec<&str> = posts(&recs).iter().map(|(_, p)| p.text.as_str()).collect();
        assert_eq!(texts, vec!["before", "after"]);
        let d = diags(&recs);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[0].at.line, 3);
        assert!(
            d[0].message.contains("message #2 is not valid JSON"),
            "{d:?}"
        );
        assert_eq!(d[1].at.line, 4);
        // Its whole length, though no more than the limit was kept.
        let long = std::str::from_utf8(doc).unwrap().lines().nth(3).unwrap();
        let len = long.trim_end_matches(',').len();
        assert!(
            d[1].message
                .contains(&format!("is {len} bytes, over the limit of 80")),
            "{d:?}"
        );
    }

    /// A document cut short keeps every message before the cut and says where it stopped.
    #[test]
    fn a_document_cut_short_keeps_what_came_before() {
        let doc = b"{\"name\":\"C\",\"id\":1,\"messages\":[\n{\"id\":1,\"type\":\"message\",\"text\":\"kept\"},\n{\"id\":2,\"type\":\"message\",\"text\":\"cut he";
        let recs = parse(doc);
        let texts: Vec<&str> = posts(&recs).iter().map(|(_, p)| p.text.as_str()).collect();
        assert_eq!(texts, vec!["kept"]);
        let d = diags(&recs);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].at.line, 3);
        assert!(
            d[0].message.contains("cannot be followed past this line")
                && d[0].message.contains("cut short")
                && d[0].message.contains("the 2 messages before it"),
            "{d:?}"
        );
        // Not an export at all.
        let d = parse(b"[1, 2]");
        assert!(
            matches!(&d[..], [(1, Err(d))] if d.message.contains("expected a JSON object")),
            "{d:?}"
        );
    }

    /// A large export comes in several chunks, so workers share it and memory holds a
    /// chunk, not the file; stopping early does not hang the reading thread.
    #[test]
    fn a_large_export_streams_in_chunks() {
        let mut doc = String::from("{\"name\":\"Big\",\"id\":7,\"messages\":[\n");
        let n = MESSAGES_PER_CHUNK * 2 + 10;
        for i in 0..n {
            if i > 0 {
                doc.push_str(",\n");
            }
            doc.push_str(&format!(
                "{{\"id\":{i},\"type\":\"message\",\"from_id\":\"user{}\",\"text\":\"post {i}\"}}",
                i % 3
            ));
        }
        doc.push_str("\n]}\n");
        let cs = chunks(doc.as_bytes(), &opts());
        assert!(cs.len() >= 3, "{} chunks", cs.len());
        let mut lines = Vec::new();
        // Every byte is counted once, for the progress shown.
        let read: usize = cs.iter().map(Chunk::len_bytes).sum();
        assert_eq!(read, doc.len());
        let line_chunks = cs
            .iter()
            .filter(|c| matches!(c, Chunk::Lines { .. }))
            .count();
        assert!(line_chunks >= 3, "{line_chunks} chunks of messages");
        for c in cs {
            let mut posts = 0;
            c.for_each_record(|l, r| {
                if matches!(r, Ok(Record::Post(_))) {
                    posts += 1;
                    lines.push(l);
                }
            });
            assert!(posts <= MESSAGES_PER_CHUNK);
        }
        assert_eq!(lines.len(), n);
        assert_eq!(lines[0], 2);
        assert_eq!(lines[n - 1], n as u64 + 1);
        // The consumer takes one chunk and goes.
        let reader = Box::new(std::io::Cursor::new(doc.into_bytes()));
        let first = TelegramChunks::new(reader, Arc::from("r.json"), &opts()).next();
        assert!(first.is_some());
    }
}
