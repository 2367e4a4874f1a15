//! Telegram Desktop's HTML export: what "Export chat history" writes unless JSON is
//! chosen, so the form a channel's archive most often arrives in. A chat's messages are in
//! `messages.html`, `messages2.html`, ..., a thousand to a file, each message a
//! `<div class="message default clearfix" id="message123">` holding its date (the `title`
//! of its `date` div), its sender's name (`from_name`; left out when the sender is the
//! one of the message before, within a file, and the div is marked `joined`), the
//! forwarded original, the reply's link, media links and the text as inline HTML.
//!
//! The HTML has no user or chat ids: a sender's account is its name, and a post's id is
//! the chat's name (the page header) and the message's number.
//!
//! Read as a stream: on the reading thread, tags are found with memchr and `<div>`s
//! counted, so that a message's bytes are cut out whole (over `--max-record-bytes`, skipped
//! with a diagnostic) and its sender named (a `joined` message's is the one before); each
//! message is handed on as one line (its chat's and sender's names, then its HTML with its
//! line breaks made spaces), and the workers read the lines in parallel, as JSON Lines are
//! read. Memory is one message and a few chunks of lines.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::Arc;

use crate::html;
use crate::{Chunk, Item, LineFormat, Reader};
use raqib_model::{Diagnostic, MediaRef, Post, Record};

const READ: usize = 256 << 10;
/// Separates a line's chat name, sender name and message HTML (Telegram writes control
/// characters as `&#x1F;`, so none is in its names or markup).
use crate::FIELD_SEP as SEP;

/// One message of the export, as its HTML says.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct HtmlMessage {
    pub id: String,
    pub date: Option<i64>,
    /// Whether the date's title gave its offset from UTC (older exports leave it out).
    pub date_zoned: bool,
    pub forwarded_from: Option<String>,
    pub text: String,
    pub urls: Vec<String>,
    pub media: Vec<MediaRef>,
    /// The number of the message this one replies to, in the same chat.
    pub reply_to: Option<String>,
    /// A poll's question and answers (`media_poll`), joined to the text at the end.
    pub poll_question: String,
    pub poll_answers: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum TagKind {
    DivOpen,
    DivClose,
    Other,
}

fn kind(tag: &[u8]) -> TagKind {
    let name = |b: &[u8]| {
        b.len() >= 3
            && b[..3].eq_ignore_ascii_case(b"div")
            && b.get(3).is_none_or(|c| !c.is_ascii_alphanumeric())
    };
    if tag.len() > 2 && tag[1] == b'/' && name(&tag[2..]) {
        TagKind::DivClose
    } else if name(&tag[1..]) {
        TagKind::DivOpen
    } else {
        TagKind::Other
    }
}

/// A tag's `class` attribute as written (class names hold no entities), or "".
fn classes(tag: &str) -> &str {
    let b = tag.as_bytes();
    let Some(k) = memchr::memmem::find(b, b"class=") else {
        return "";
    };
    // `class=` as an attribute's name: after whitespace, not inside another name.
    if k == 0 || !b[k - 1].is_ascii_whitespace() {
        return html_class_slow(tag);
    }
    match b.get(k + 6) {
        Some(&q @ (b'"' | b'\'')) => {
            let from = k + 7;
            let end = memchr::memchr(q, &b[from..]).map_or(b.len(), |e| from + e);
            &tag[from..end]
        }
        _ => html_class_slow(tag),
    }
}

/// [`classes`] for the odd tag (no quotes, `class=` inside another attribute's name).
#[cold]
fn html_class_slow(tag: &str) -> &str {
    let Some(value) = html::attribute(tag, "class") else {
        return "";
    };
    // Find the value in the tag to borrow it (it has no entities to decode when found).
    tag.find(value.as_str())
        .map_or("", |k| &tag[k..k + value.len()])
}

fn has(classes: &str, c: &str) -> bool {
    classes.split_ascii_whitespace().any(|x| x == c)
}

/// Read one message's HTML (from its `<div class="message ...">` to its `</div>`).
/// `Ok(None)` for a service message (a date line, a join, a pin) or a message with
/// neither text nor media.
pub(crate) fn parse_message(h: &str) -> Result<Option<HtmlMessage>, String> {
    let mut m = HtmlMessage::default();
    // The classes of the divs open around the current place, the message's own first.
    let mut stack: Vec<&str> = Vec::new();
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &h.as_bytes()[i..]) {
        let s = i + off;
        let Some(len) = html::tag_len(&h[s..]) else {
            i = s + 1;
            continue;
        };
        let tag = &h[s + 1..s + len - 1];
        let e = s + len;
        i = e;
        match kind(&h.as_bytes()[s..e]) {
            TagKind::DivClose => {
                stack.pop();
            }
            TagKind::DivOpen => {
                let cls = classes(tag);
                if stack.is_empty() {
                    if !has(cls, "message") {
                        return Err("is not a message div".into());
                    }
                    if has(cls, "service") {
                        return Ok(None);
                    }
                    let id = html::attribute(tag, "id").unwrap_or_default();
                    m.id = id
                        .strip_prefix("message")
                        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(|| format!("message has no number in its id ({id:?})"))?
                        .to_string();
                    stack.push(cls);
                    continue;
                }
                let in_media = stack.iter().any(|&c| has(c, "media_wrap"));
                let forwarded = stack.iter().any(|&c| has(c, "forwarded"));
                // The inside of a div that holds no div (text, names, dates, replies).
                let inner = || {
                    let end = h[e..].find("</div>").map_or(h.len(), |k| e + k);
                    (&h[e..end], end)
                };
                if has(cls, "date") && has(cls, "details") && !forwarded && !in_media {
                    if m.date.is_none() {
                        let date = html::attribute(tag, "title")
                            .as_deref()
                            .and_then(crate::time::telegram_html_zoned);
                        m.date = date.map(|(t, _)| t);
                        m.date_zoned = date.is_some_and(|(_, zoned)| zoned);
                    }
                } else if has(cls, "from_name") && !in_media {
                    // The sender's own name is the reader's to find (see `sender_in`).
                    let (inside, end) = inner();
                    if forwarded && m.forwarded_from.is_none() {
                        m.forwarded_from = sender_name(inside);
                    }
                    i = end;
                } else if has(cls, "text") && !in_media && m.text.is_empty() {
                    let (inside, end) = inner();
                    let (text, links) = html::to_text_and_links(inside.trim());
                    m.text = text;
                    m.urls = links
                        .into_iter()
                        .filter(|l| {
                            let web =
                                l.href.starts_with("http://") || l.href.starts_with("https://");
                            // A mention links to the account: `@name` to https://t.me/name.
                            let mention = l.anchor.starts_with('@')
                                && l.href.trim_end_matches('/').ends_with(&l.anchor[1..]);
                            web && !mention
                        })
                        .map(|l| l.href)
                        .collect();
                    i = end;
                } else if has(cls, "reply_to") && !in_media {
                    let (inside, end) = inner();
                    m.reply_to = reply_number(inside);
                    i = end;
                } else if in_media && stack.iter().any(|&c| has(c, "media_poll")) {
                    // `<div class="question bold">Q</div>`, then `<div class="answer">- A
                    // <span class="details">3 votes</span></div>` for each answer.
                    if has(cls, "question") || has(cls, "answer") {
                        let (inside, end) = inner();
                        let words = inside.find("<span").map_or(inside, |k| &inside[..k]);
                        let (text, _) = html::to_text(words.trim());
                        if has(cls, "question") {
                            m.poll_question = text;
                        } else {
                            let text = text.trim();
                            m.poll_answers
                                .push(text.strip_prefix('-').unwrap_or(text).trim().to_string());
                        }
                        i = end;
                    }
                } else if in_media && has(cls, "media") {
                    // A file not downloaded: a div, not a link.
                    if let Some(kind) = media_kind(cls) {
                        m.media.push(MediaRef {
                            kind: kind.into(),
                            ..Default::default()
                        });
                    }
                }
                stack.push(cls);
            }
            TagKind::Other => {
                let in_media = stack.iter().any(|&c| has(c, "media_wrap"));
                let b = tag.as_bytes();
                let link =
                    b.len() > 1 && b[0].eq_ignore_ascii_case(&b'a') && b[1].is_ascii_whitespace();
                if in_media && link {
                    let cls = classes(tag);
                    if let Some(kind) = media_kind(cls) {
                        m.media.push(MediaRef {
                            kind: kind.into(),
                            url: html::attribute(tag, "href").filter(|u| !u.is_empty()),
                            ..Default::default()
                        });
                    }
                }
            }
        }
    }
    let poll = crate::poll_text(&m.poll_question, &m.poll_answers);
    if !poll.is_empty() {
        crate::append_part(&mut m.text, &poll);
    }
    if m.text.is_empty() && m.media.is_empty() {
        return Ok(None);
    }
    Ok(Some(m))
}

/// The name in a `from_name` div's inside: what comes before any tag (a forward's date
/// span), entities decoded, without the ` via @bot` written after it.
fn sender_name(inside: &str) -> Option<String> {
    let name = inside.split('<').next().unwrap_or_default();
    let mut name = html::decode_entities(name.trim());
    if let Some(k) = name.rfind(" via @") {
        if !name[k + 6..].contains(char::is_whitespace) {
            name.truncate(k);
        }
    }
    Some(name).filter(|n| !n.is_empty())
}

/// The sender named in a message's bytes: its first `from_name` (a message that is not
/// `joined` names its sender before anything it forwards).
fn sender_in(msg: &[u8]) -> Option<String> {
    let k = memchr::memmem::find(msg, b"class=\"from_name\"")?;
    let from = k + memchr::memchr(b'>', &msg[k..])? + 1;
    let end = memchr::memchr(b'<', &msg[from..]).map_or(msg.len(), |e| from + e);
    sender_name(std::str::from_utf8(&msg[from..end]).ok()?)
}

/// Read one line a reader of this module made (chat, sender, message HTML): the post, and
/// the sender's account the first time `seen` says it is new.
pub(crate) fn parse_line(
    line: &[u8],
    platform: &str,
    mut seen: impl FnMut(&str) -> bool,
    mut out: impl FnMut(Record),
) -> Result<(), String> {
    let mut parts = line.splitn(4, |&b| b == SEP);
    let (Some(chat), Some(from), Some(offset), Some(h)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a message of a Telegram HTML page".into());
    };
    // `--utc-offset` for a date whose title gives no offset (an older export's).
    let offset = crate::utc_offset_of_field(offset);
    let text = |b| {
        std::str::from_utf8(b).map_err(|e| {
            format!(
                "message is not valid UTF-8 (byte {} of it)",
                e.valid_up_to()
            )
        })
    };
    let (chat, from, h) = (text(chat)?, text(from)?, text(h)?);
    let Some(m) = parse_message(h)? else {
        return Ok(());
    };
    if !from.is_empty() && !seen(from) {
        out(crate::named_account(platform, from));
    }
    out(Record::Post(Box::new(Post {
        id: format!("{chat}/{}", m.id),
        platform: platform.to_string(),
        account: from.to_string(),
        created_at: m.date.map(|t| if m.date_zoned { t } else { t - offset }),
        text: m.text,
        lang: None,
        urls: m.urls,
        media: m.media,
        reply_to: m.reply_to.map(|r| format!("{chat}/{r}")),
        share_of: m.forwarded_from.map(|f| format!("forwarded:{f}")),
        first_version: None,
        place: (!chat.trim().is_empty()).then(|| chat.to_string()),
        permalink: None,
        reach: None,
        label: None,
        category: None,
    })));
    Ok(())
}

/// The kind of a media link or box by its classes, as the JSON export names them.
fn media_kind(cls: &str) -> Option<&'static str> {
    cls.split_ascii_whitespace().find_map(|c| {
        Some(match c {
            "photo_wrap" | "media_photo" => "image",
            "video_file_wrap" | "animated_wrap" | "media_video" => "video",
            "sticker_wrap" => "sticker",
            "media_voice_message" => "voice_message",
            "media_audio_file" => "audio_file",
            "media_file" => "file",
            _ => return None,
        })
    })
}

/// The message number a reply links to: `#go_to_message123`, or in another file of the
/// chat `messages2.html#go_to_message123`. `None` for "a message in another chat".
fn reply_number(inside: &str) -> Option<String> {
    let k = inside.find("go_to_message")? + "go_to_message".len();
    let digits: String = inside[k..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

/// A message being cut out of the stream: where it starts in the buffer, its line, and
/// how many divs are open in it.
struct Open {
    start: usize,
    line: u64,
    depth: u32,
    /// Over `--max-record-bytes`: skipped to its end, its bytes dropped as they come.
    skipping: bool,
    /// Its sender is the one of the message before; a service message has none.
    joined: bool,
    service: bool,
}

/// The chunks of a Telegram HTML export file.
pub(crate) struct TelegramHtmlChunks {
    src: Reader,
    file: Arc<str>,
    /// `--utc-offset` for this file, in seconds (its text on each line; empty for none).
    offset: String,
    platform: Arc<str>,
    max_record: usize,
    chunk_bytes: usize,
    buf: Vec<u8>,
    /// The next byte to look at in `buf`; `line` is the line of `buf[counted]` (lines are
    /// counted only up to where one is needed).
    pos: usize,
    counted: usize,
    line: u64,
    eof: bool,
    done: bool,
    msg: Option<Open>,
    /// The page header's state: 0 not seen, 1 in it, 2 its title read; and where the
    /// title's text starts in `buf` while it is being read.
    header: u8,
    title_from: Option<usize>,
    chat: Option<String>,
    /// The sender of the message before, in this file.
    last_from: Option<String>,
    messages: u64,
    /// The lines of the chunk being made, their line numbers, and the diagnostics met.
    lines: Vec<u8>,
    numbers: Vec<u64>,
    diags: Vec<Item>,
    queued: VecDeque<Chunk>,
    pool: crate::BufferPool,
    /// Input bytes taken, and those counted in chunks already handed on.
    taken: u64,
    reported: u64,
}

impl TelegramHtmlChunks {
    pub(crate) fn new(src: Reader, file: Arc<str>, opts: &crate::Options) -> Self {
        TelegramHtmlChunks {
            src,
            offset: opts.utc_offset_field(&file),
            file,
            platform: Arc::from(opts.default_platform.as_deref().unwrap_or("telegram")),
            max_record: opts.max_record_bytes.max(1),
            chunk_bytes: opts.chunk_bytes.max(1),
            buf: Vec::new(),
            pos: 0,
            counted: 0,
            line: 1,
            eof: false,
            done: false,
            msg: None,
            header: 0,
            title_from: None,
            chat: None,
            last_from: None,
            messages: 0,
            lines: Vec::new(),
            numbers: Vec::new(),
            diags: Vec::new(),
            queued: VecDeque::new(),
            pool: Default::default(),
            taken: 0,
            reported: 0,
        }
    }

    fn diag(&mut self, line: u64, message: String) {
        let d = Diagnostic::new(&*self.file, line, message);
        self.diags.push((line, Err(d)));
    }

    /// Read more input onto the buffer, first dropping what is no longer needed.
    fn fill(&mut self) {
        // A page title longer than any record is no title (and is not kept in memory).
        if self
            .title_from
            .is_some_and(|t| self.pos - t > self.max_record)
        {
            self.title_from = None;
            self.header = 2;
        }
        let mut keep = self.pos;
        if let Some(m) = self.msg.as_ref().filter(|m| !m.skipping) {
            keep = keep.min(m.start);
        }
        if let Some(t) = self.title_from {
            keep = keep.min(t);
        }
        self.line_at(keep);
        self.buf.drain(..keep);
        self.pos -= keep;
        self.counted -= keep;
        if let Some(m) = &mut self.msg {
            m.start = m.start.saturating_sub(keep);
        }
        if let Some(t) = &mut self.title_from {
            *t -= keep;
        }
        let len = self.buf.len();
        self.buf.resize(len + READ, 0);
        loop {
            match self.src.read(&mut self.buf[len..]) {
                Ok(n) => {
                    self.buf.truncate(len + n);
                    self.taken += n as u64;
                    self.eof = n == 0;
                    return;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(len);
                    let at = self.pos;
                    let line = self.line_at(at);
                    self.diag(
                        line,
                        format!("read error: {e}; the rest of the file is skipped"),
                    );
                    self.eof = true;
                    return;
                }
            }
        }
    }

    fn advance(&mut self, to: usize) {
        self.pos = to;
    }

    /// The line of `buf[at]` (`at` at or after what was counted before).
    fn line_at(&mut self, at: usize) -> u64 {
        if at > self.counted {
            self.line += memchr::memchr_iter(b'\n', &self.buf[self.counted..at]).count() as u64;
            self.counted = at;
        }
        self.line
    }

    /// Look at the next tag; `false` when the buffer holds no whole tag from `pos`.
    fn step(&mut self) -> bool {
        let Some(off) = memchr::memchr(b'<', &self.buf[self.pos..]) else {
            let end = self.buf.len();
            self.advance(end);
            return false;
        };
        let s = self.pos + off;
        self.advance(s);
        // A `<` with no `>` within a record's length (or before the end) is text, not a
        // tag: decided by where the bytes lie, never by how much a read brought in.
        let limit = self.buf.len().min(s + self.max_record + 1);
        let Some(len) = html::tag_end(&self.buf[s..limit]) else {
            if self.eof || self.buf.len() > s + self.max_record {
                self.advance(s + 1);
                return true;
            }
            return false;
        };
        let e = s + len;
        let kind = kind(&self.buf[s..e]);
        if let Some(m) = &mut self.msg {
            match kind {
                TagKind::DivOpen => m.depth += 1,
                TagKind::DivClose => m.depth -= 1,
                TagKind::Other => {}
            }
            let (done, start, line, skipping) = (m.depth == 0, m.start, m.line, m.skipping);
            let (joined, service) = (m.joined, m.service);
            self.advance(e);
            let over = !skipping && e - start > self.max_record;
            if over {
                let max = self.max_record;
                self.diag(
                    line,
                    format!("message over the limit of {max} bytes (--max-record-bytes); skipped"),
                );
                match &mut self.msg {
                    Some(m) if !done => m.skipping = true,
                    // Found too long at its closing tag: a message all the same, as it is
                    // when found too long before it (the file is an export page).
                    _ => {
                        self.msg = None;
                        self.messages += 1;
                    }
                }
            } else if done {
                self.msg = None;
                self.messages += 1;
                if !skipping && !service {
                    self.message(start, e, line, joined);
                }
            }
            return true;
        }
        let tag = String::from_utf8_lossy(&self.buf[s + 1..e - 1]).into_owned();
        match kind {
            TagKind::DivOpen => {
                let cls = classes(&tag);
                if has(cls, "message") {
                    // A title with no end before the messages: none.
                    self.title_from = None;
                    self.msg = Some(Open {
                        start: s,
                        line: self.line_at(s),
                        depth: 1,
                        skipping: false,
                        joined: has(cls, "joined"),
                        service: has(cls, "service"),
                    });
                } else if self.header == 0 && has(cls, "page_header") {
                    self.header = 1;
                } else if self.header == 1 && has(cls, "text") && has(cls, "bold") {
                    self.title_from = Some(e);
                }
            }
            TagKind::DivClose => {
                if let Some(t) = self.title_from.take() {
                    let title = String::from_utf8_lossy(&self.buf[t..s]);
                    let title = html::decode_entities(title.trim());
                    self.chat = Some(title).filter(|t| !t.is_empty());
                    self.header = 2;
                }
            }
            TagKind::Other => {}
        }
        self.advance(e);
        true
    }

    /// Hand on the message in `buf[start..end]` as a line: its chat's and sender's names,
    /// then its HTML, its line breaks made spaces.
    fn message(&mut self, start: usize, end: usize, line: u64, joined: bool) {
        let sender = if joined {
            self.last_from.clone()
        } else {
            sender_in(&self.buf[start..end])
        };
        // A sender unknown (a joined message first in a file): the chat, as for a channel.
        let sender = sender.or_else(|| self.chat.clone()).unwrap_or_default();
        crate::push_field(&mut self.lines, self.chat.as_deref().unwrap_or_default());
        crate::push_field(&mut self.lines, &sender);
        crate::push_field(&mut self.lines, &self.offset);
        crate::push_one_line(&mut self.lines, &self.buf[start..end]);
        self.numbers.push(line);
        self.last_from = Some(sender);
    }

    /// What reading has come to at the end of the file: a message cut short, or a file
    /// with no message at all.
    fn finish(&mut self) {
        if let Some(m) = self.msg.take() {
            if !m.skipping && self.pos - m.start > self.max_record {
                let max = self.max_record;
                self.diag(
                    m.line,
                    format!("message over the limit of {max} bytes (--max-record-bytes); skipped"),
                );
            }
            self.diag(
                m.line,
                "message cut short: the file ends inside it (an export interrupted?)".into(),
            );
        }
        if self.messages == 0 {
            let what = if self.header == 0 {
                "no Telegram export page found (no `page_header`, no `<div class=\"message ...\">`): raqib reads the messages*.html of Telegram Desktop's \"Export chat history\""
            } else {
                "Telegram export page with no messages"
            };
            self.diag(0, what.into());
        }
    }
}

impl Iterator for TelegramHtmlChunks {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        if let Some(c) = self.queued.pop_front() {
            return Some(c);
        }
        if self.lines.capacity() == 0 {
            self.lines = crate::pooled_buffer(&self.pool, self.chunk_bytes + crate::CHUNK_MARGIN);
        }
        while !self.done && self.lines.len() < self.chunk_bytes && self.diags.len() < 4096 {
            if self.step() {
                continue;
            }
            if self.eof {
                self.finish();
                self.done = true;
                break;
            }
            // A message scanned past the limit with no tag ending there: skipped from here.
            let max = self.max_record;
            let over = self
                .msg
                .as_ref()
                .is_some_and(|m| !m.skipping && self.pos - m.start > max);
            if over {
                if let Some(m) = &mut self.msg {
                    m.skipping = true;
                    let line = m.line;
                    self.diag(
                        line,
                        format!(
                            "message over the limit of {max} bytes (--max-record-bytes); skipped"
                        ),
                    );
                }
            }
            self.fill();
        }
        let read = (self.taken - self.reported) as usize;
        self.reported = self.taken;
        crate::queue_lines(
            &mut self.queued,
            &self.file,
            LineFormat::TelegramHtml,
            &self.platform,
            (
                std::mem::take(&mut self.lines),
                std::mem::take(&mut self.numbers),
            ),
            std::mem::take(&mut self.diags),
            &self.pool,
            read,
        );
        self.queued.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fixture(name: &str) -> String {
        let p = format!(
            "{}/../../tests/data/telegram_html/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(p).unwrap()
    }

    /// A reader that gives at most `step` bytes a read.
    struct Trickle(std::io::Cursor<Vec<u8>>, usize);
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.1);
            self.0.read(&mut buf[..n])
        }
    }

    fn items_with(doc: &[u8], step: usize, max: usize) -> Vec<Item> {
        let src: Reader = Box::new(std::io::BufReader::new(Trickle(
            std::io::Cursor::new(doc.to_vec()),
            step,
        )));
        let opts = crate::Options {
            max_record_bytes: max,
            ..Default::default()
        };
        // One reading state for the whole file, as a worker keeps one.
        let mut state = crate::ReadState::default();
        let mut items = Vec::new();
        for c in TelegramHtmlChunks::new(src, Arc::from("messages.html"), &opts) {
            c.for_each_record_reusing(&mut state, |l, r, _| items.push((l, r)));
        }
        items
    }

    fn items(doc: &[u8]) -> Vec<Item> {
        items_with(doc, usize::MAX, 1 << 20)
    }

    use crate::testing::{diags, posts};

    fn utc(s: &str) -> Option<i64> {
        crate::parse_time(s)
    }

    #[test]
    fn reads_a_channel_page() {
        let doc = fixture("messages.html");
        let items = items(doc.as_bytes());
        assert!(diags(&items).is_empty(), "{:?}", diags(&items));
        let p = posts(&items);
        let ids: Vec<&str> = p.iter().map(|(_, p)| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "Example Channel/2",
                "Example Channel/3",
                "Example Channel/4",
                "Example Channel/6",
                "Example Channel/7",
                "Example Channel/8"
            ],
            "service messages (a date, a pin) make no post"
        );
        // Each post's line is the line its message div opens on.
        for (line, post) in &p {
            let number = post.id.rsplit('/').next().unwrap();
            let opens = format!("id=\"message{number}\"");
            let want = doc.lines().position(|l| l.contains(&opens)).unwrap() as u64 + 1;
            assert_eq!(*line, want, "{}", post.id);
        }
        let (_, first) = p[0];
        assert_eq!(first.text, "إصدار جديد https://t.me/example_backup");
        assert_eq!(first.urls, ["https://t.me/example_backup"]);
        assert_eq!(first.media[0].kind, "image");
        assert_eq!(
            first.media[0].url.as_deref(),
            Some("photos/photo_1@01-11-2026_09-05-00.jpg")
        );
        assert_eq!(
            first.created_at,
            utc("2026-11-01T06:05:00Z"),
            "UTC+03:00 undone"
        );
        assert_eq!(first.account, "Example Channel");
        assert_eq!(first.platform, "telegram");
        // A joined message is its previous message's sender's.
        let (_, reply) = p[1];
        assert_eq!(reply.account, "Example Channel");
        assert_eq!(reply.reply_to.as_deref(), Some("Example Channel/2"));
        assert_eq!(reply.text, "plain text message");
        let (_, video) = p[2];
        assert_eq!(
            (video.text.as_str(), video.media[0].kind.as_str()),
            ("", "video")
        );
        assert_eq!(video.media[0].url.as_deref(), Some("video_files/v.mp4"));
        // A forward: the original's text and name, the forwarder's account and date.
        let (_, fwd) = p[3];
        assert_eq!(
            fwd.text,
            "Join the soldiers of the khilafah and spread the release"
        );
        assert_eq!(fwd.share_of.as_deref(), Some("forwarded:Other Channel"));
        assert_eq!(fwd.account, "Example Channel");
        assert_eq!(fwd.created_at, utc("2026-11-01T07:00:00Z"));
        // Entities decoded, markup dropped, <br> a line break; a mention and a hashtag
        // are not URLs, a text link is.
        let (_, news) = p[4];
        assert_eq!(
            news.text,
            "Police say two men were arrested over the posts \"praising\" the attack, via @newsdesk_world #news\nFull report: read here"
        );
        assert_eq!(news.urls, ["https://news.example/report?a=1&b=2"]);
        assert_eq!(
            news.account, "Newsdesk & Friends",
            "` via @bot` is not the name"
        );
        // A voice message not downloaded: media with no file, the joined sender's.
        let (_, voice) = p[5];
        assert_eq!(voice.media.len(), 1);
        assert_eq!(
            (voice.media[0].kind.as_str(), voice.media[0].url.as_deref()),
            ("voice_message", None)
        );
        assert_eq!(voice.account, "Newsdesk & Friends");
        assert_eq!(
            voice.text, "",
            "the media box's title and status are not text"
        );
        // One account record per sender.
        let accounts = crate::testing::account_ids(&items);
        assert_eq!(accounts, ["Example Channel", "Newsdesk & Friends"]);
    }

    #[test]
    fn a_later_page_replies_into_an_earlier_one() {
        let items = items(fixture("messages2.html").as_bytes());
        let p = posts(&items);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].1.id, "Example Channel/1001");
        assert_eq!(p[0].1.reply_to.as_deref(), Some("Example Channel/2"));
    }

    #[test]
    fn read_a_few_bytes_at_a_time_it_gives_the_same_records() {
        let doc = fixture("messages.html");
        let whole = format!("{:?}", items(doc.as_bytes()));
        for step in [1, 2, 7, 64, 1000] {
            let trickled = format!("{:?}", items_with(doc.as_bytes(), step, 1 << 20));
            assert_eq!(trickled, whole, "{step} bytes a read");
        }
    }

    #[test]
    fn an_over_long_message_is_skipped_and_the_rest_read() {
        let doc = fixture("messages.html");
        // Message 7 (the news) made longer than the limit; the others stay under it.
        let long = "x".repeat(4000);
        let doc = doc.replace("the market", "m").replace(
            "Police say</strong>",
            &format!("Police say</strong> {long}"),
        );
        for step in [usize::MAX, 3, 500] {
            let items = items_with(doc.as_bytes(), step, 3000);
            let d = diags(&items);
            assert_eq!(d.len(), 1, "{d:?}");
            assert!(
                d[0].message.contains("--max-record-bytes"),
                "{}",
                d[0].message
            );
            let at = doc
                .lines()
                .position(|l| l.contains("id=\"message7\""))
                .unwrap() as u64
                + 1;
            assert_eq!(d[0].at.line, at);
            let ids: Vec<String> = posts(&items).iter().map(|(_, p)| p.id.clone()).collect();
            assert_eq!(ids.len(), 5, "{ids:?}");
            assert!(
                ids.last().unwrap().ends_with("/8"),
                "read on after it: {ids:?}"
            );
        }
    }

    #[test]
    fn a_page_cut_short_keeps_the_messages_before_the_cut() {
        let doc = fixture("messages.html");
        let cut = doc.find("id=\"message6\"").unwrap() + 40;
        let items = items(&doc.as_bytes()[..cut]);
        assert_eq!(posts(&items).len(), 3);
        let d = diags(&items);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("cut short"), "{}", d[0].message);
    }

    #[test]
    fn html_that_is_no_telegram_export_says_what_raqib_reads() {
        let items = items(b"<!DOCTYPE html><html><body><p>a blog post</p></body></html>");
        let d = diags(&items);
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message.contains("Export chat history"),
            "{}",
            d[0].message
        );
        assert!(posts(&items).is_empty());
    }

    #[test]
    fn a_broken_message_is_a_diagnostic_at_its_line() {
        let doc = fixture("messages.html").replace("id=\"message3\"", "id=\"messageX\"");
        let items = items(doc.as_bytes());
        let d = diags(&items);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("no number"), "{}", d[0].message);
        assert_eq!(posts(&items).len(), 5);
        let bad = [0xff, 0xfe];
        let mut doc = fixture("messages.html").into_bytes();
        let at = memchr::memmem::find(&doc, b"plain text").unwrap();
        doc.splice(at..at, bad);
        let items = items_with(&doc, usize::MAX, 1 << 20);
        let d = diags(&items);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("UTF-8"), "{}", d[0].message);
    }

    /// Memory stays about a record's size whatever the input: an unending title, tag or
    /// message is not held whole.
    #[test]
    fn what_never_ends_is_not_kept_in_memory() {
        let filler = "word ".repeat(1 << 20); // 5 MB
        for doc in [
            format!("<div class=\"page_header\"><div class=\"text bold\">{filler}"),
            format!("<div class=\"history\"><a href=\"{filler}"),
            format!("<div class=\"message default\" id=\"message1\"><div class=\"text\">{filler}"),
        ] {
            let src: Reader = Box::new(std::io::Cursor::new(doc.into_bytes()));
            let opts = crate::Options {
                max_record_bytes: 10_000,
                ..Default::default()
            };
            let mut r = TelegramHtmlChunks::new(src, Arc::from("p.html"), &opts);
            let chunks: Vec<Chunk> = r.by_ref().collect();
            assert!(!chunks.is_empty(), "a diagnostic at least");
            assert!(
                r.buf.capacity() < 2 << 20,
                "held {} bytes",
                r.buf.capacity()
            );
        }
    }

    #[test]
    fn dates_read_with_and_without_their_offset() {
        use crate::time::telegram_html as t;
        assert_eq!(
            t("27.04.2020 15:23:19 UTC+03:00"),
            utc("2020-04-27T12:23:19Z")
        );
        assert_eq!(
            t("27.04.2020 15:23:19 UTC-05:30"),
            utc("2020-04-27T20:53:19Z")
        );
        assert_eq!(t("27.04.2020 15:23:19"), utc("2020-04-27T15:23:19Z"));
        for bad in [
            "",
            "27.04.2020",
            "31.02.2020 10:00:00",
            "27.04.2020 15:23:19 UTC+3",
            "27.04.2020 15:23:19 UTC+99:00",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }

    /// A tag's end by its definition, a byte at a time.
    fn tag_end_bytewise(b: &[u8]) -> Option<usize> {
        let mut quote = None;
        for (i, &c) in b.iter().enumerate().skip(1) {
            match (quote, c) {
                (None, b'"' | b'\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, b'>') => return Some(i + 1),
                _ => {}
            }
        }
        None
    }

    proptest! {
        /// The tag's end found by jumps between quotes is the one found a byte at a time.
        #[test]
        fn tag_ends_are_found_as_defined(s in "<[a-z\"' =>]{0,30}") {
            prop_assert_eq!(html::tag_end(s.as_bytes()), tag_end_bytewise(s.as_bytes()));
        }

        /// Any bytes: no panic, and the same records whatever the reads' sizes.
        #[test]
        fn any_input_reads_the_same_in_any_steps(
            parts in proptest::collection::vec(prop_oneof![
                Just("<div class=\"message default clearfix\" id=\"message1\">".to_string()),
                Just("<div class=\"message default clearfix joined\" id=\"message2\">".to_string()),
                Just("<div class=\"text\">".to_string()),
                Just("<div class=\"from_name\">".to_string()),
                Just("<div class=\"media_wrap\"><a class=\"photo_wrap\" href=\"p.jpg\">".to_string()),
                Just("<div class=\"media_wrap\"><div class=\"media_poll\"><div class=\"question bold\">".to_string()),
                Just("<div class=\"answer\">- a <span class=\"details\">".to_string()),
                Just("</div>".to_string()),
                Just("</a>".to_string()),
                Just("<div class=\"page_header\"><div class=\"text bold\">".to_string()),
                Just("<".to_string()),
                Just(">".to_string()),
                Just("\"".to_string()),
                "[a-z &;#<>\n]{0,12}",
            ], 0..40),
            step in 1usize..50,
        ) {
            let doc: String = parts.concat();
            let whole = format!("{:?}", items_with(doc.as_bytes(), usize::MAX, 200));
            let trickled = format!("{:?}", items_with(doc.as_bytes(), step, 200));
            prop_assert_eq!(trickled, whole);
        }
    }
}
