//! A JSON array of records, as `json.dump(posts, f)` and many tools' "export as JSON"
//! write them: `[{...}, {...}]`, on one line or pretty-printed over many. The array is
//! read as a stream: each element's bytes are made one line (line breaks and the
//! indentation after them left out) and handed on in line chunks, as JSON Lines are, so the elements are
//! parsed on the workers by the line format they are in: raqib records, tweet objects,
//! or Twitter API v2 responses (decided from the first element unless `--format` says).
//! Each record keeps the line its element starts on.

use std::collections::VecDeque;
use std::sync::Arc;

use raqib_model::Diagnostic;

use crate::source::Source;
use crate::{Chunk, LineFormat, PooledBytes, Reader};

pub(crate) struct ArrayChunks {
    src: Source,
    /// Where the last chunk ended in the input.
    read_to: u64,
    file: Arc<str>,
    platform: Option<Arc<str>>,
    /// The elements' format: given, or decided from the first element.
    format: Option<LineFormat>,
    max_record: usize,
    chunk_bytes: usize,
    started: bool,
    done: bool,
    /// For a document that is an object: the members that may hold the array of records
    /// (see [`ArrayChunks::document`]), and whether the array being read is one.
    keys: Option<&'static [&'static str]>,
    in_object: bool,
    /// Elements read so far, for the message that says where an array was cut.
    elements: u64,
    /// Documents begun: a file may hold several, one after another.
    documents: u64,
    queued: VecDeque<Chunk>,
    pool: crate::BufferPool,
    mapping: Option<Arc<crate::JsonMapping>>,
    /// What each element's line starts with (a Twitter archive's owner).
    prefix: Vec<u8>,
    /// A Twitter archive's long posts, for the workers to complete its tweets with.
    notes: Option<Arc<crate::twitter_archive::Notes>>,
    /// With [`ArrayChunks::with_ordinals`]: the time of the last element, and how many
    /// elements in a row had it.
    ordinals: Option<(Vec<u8>, u32)>,
}

/// The time a Meta export's element gives first: the value of its first `timestamp`,
/// `timestamp_ms` or `creation_timestamp` member (a post's, a message's; a comment's is in
/// `string_map_data.Time`), as written. Elements are written latest first, so those of the
/// same time are in a row.
pub(crate) fn time_of(element: &[u8]) -> Option<&[u8]> {
    memchr::memmem::find_iter(element, b"timestamp").find_map(|at| {
        let rest = &element[at + b"timestamp".len()..];
        let rest = rest.strip_prefix(b"_ms").unwrap_or(rest);
        let rest = rest.strip_prefix(b"\"")?.trim_ascii_start();
        let rest = rest.strip_prefix(b":")?.trim_ascii_start();
        let end = rest
            .iter()
            .position(|b| !matches!(b, b'0'..=b'9' | b'.' | b'-' | b'e' | b'E' | b'+'))
            .unwrap_or(rest.len());
        (end > 0).then(|| &rest[..end])
    })
}

/// The bytes [`ArrayChunks::container`] stops at: quotes, brackets and line breaks.
static STRUCTURAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'{' as usize] = true;
    t[b'}' as usize] = true;
    t[b'[' as usize] = true;
    t[b']' as usize] = true;
    t[b'\n' as usize] = true;
    t
};

/// The bytes that end a string's plain run: its closing quote, an escape, a raw line break.
static STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[b'\n' as usize] = true;
    t
};

/// How far [`ArrayChunks::container`] looks for a string's end itself before handing the
/// string to memchr (whose setup costs more than a short key).
const SHORT_STRING: usize = 48;

/// Reading cannot go on: the diagnostic says where and why.
struct Stop(u64, String);

impl ArrayChunks {
    pub(crate) fn new(
        src: Reader,
        file: Arc<str>,
        format: Option<LineFormat>,
        opts: &crate::Options,
    ) -> ArrayChunks {
        ArrayChunks {
            src: Source::new(src),
            read_to: 0,
            file,
            platform: opts.default_platform.as_deref().map(Arc::from),
            format,
            max_record: opts.max_record_bytes.max(1),
            chunk_bytes: opts.chunk_bytes.max(1),
            started: false,
            done: false,
            keys: None,
            in_object: false,
            elements: 0,
            documents: 0,
            queued: VecDeque::new(),
            pool: Default::default(),
            mapping: opts.json_map.clone(),
            prefix: Vec::new(),
            notes: None,
            ordinals: None,
        }
    }

    /// Start each element's line with `prefix`: what the line format reads before the
    /// element (a Twitter archive's owner and the field separator).
    pub(crate) fn with_line_prefix(mut self, prefix: Vec<u8>) -> ArrayChunks {
        self.prefix = prefix;
        self
    }

    /// End each element's line with [`crate::FIELD_SEP`] and its ordinal among the elements
    /// in a row with the same time (1 for the first; see [`time_of`]): a Meta export's posts
    /// and messages have ids made from their time, and two in the same second (or
    /// millisecond) are told apart by it, the same wherever the file was cut into chunks
    /// and whichever worker reads each (see [`crate::meta::emit`]).
    pub(crate) fn with_ordinals(mut self) -> ArrayChunks {
        self.ordinals = Some((Vec::new(), 0));
        self
    }

    /// Give every chunk a Twitter archive's long posts, to complete its tweets with.
    pub(crate) fn with_notes(
        mut self,
        notes: Option<Arc<crate::twitter_archive::Notes>>,
    ) -> ArrayChunks {
        self.notes = notes;
        self
    }

    /// A document that is one JSON object: its records are the elements of its first member
    /// named one of `keys` that is an array (an ActivityPub collection's `orderedItems`),
    /// the members before it passed over; an object without one is itself the one record
    /// (an actor, or any record pretty-printed), in `format` or the one it looks like.
    pub(crate) fn document(
        src: Reader,
        file: Arc<str>,
        format: Option<LineFormat>,
        keys: &'static [&'static str],
        opts: &crate::Options,
    ) -> ArrayChunks {
        let mut a = ArrayChunks::new(src, file, format, opts);
        a.keys = Some(keys);
        a
    }

    /// Reading stops here: the file is cut, unreadable, or not an array's shape.
    fn stop(&mut self, what: &str) -> Stop {
        let why = match self.src.io_error.take() {
            Some(e) => format!("cannot read on: {e}"),
            None if self.src.peek().is_none() => "the file ends here (cut short?)".to_string(),
            None => what.to_string(),
        };
        // At the start of the file, the file may be JSON Lines with a broken first line.
        let hint = if self.src.line <= 2 && self.keys.is_none() {
            " (a file of JSON Lines whose first line starts with `[` is read as lines with \
             --format jsonl)"
        } else {
            ""
        };
        Stop(
            self.src.line,
            format!(
                "{} cannot be followed past this line: {why}; the {} records before it were \
                 read{hint}",
                if self.keys.is_some() {
                    "JSON document"
                } else {
                    "JSON array"
                },
                self.elements
            ),
        )
    }

    /// One element, its bytes added to `out` as one line (no more than `max_record` and a
    /// step of them: a huge element is counted, not kept); its whole size returned.
    fn element(&mut self, out: &mut Vec<u8>) -> Result<usize, Stop> {
        let limit = out.len() + self.max_record + 1;
        match self.src.peek() {
            Some(b']' | b'}' | b',' | b':') => Err(self.stop("expected a record")),
            None => Err(self.stop("a record is not closed")),
            Some(b'"') => {
                self.src.bump();
                if out.len() < limit {
                    out.push(b'"');
                }
                Ok(1 + self.string_rest(out, limit)?)
            }
            Some(b'{' | b'[') => self.container(out, limit),
            Some(_) => {
                // A scalar runs on to the next delimiter.
                let mut size = 0;
                while let Some(c) = self.src.peek() {
                    if matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.src.bump();
                    size += 1;
                    if out.len() < limit {
                        out.push(c);
                    }
                }
                Ok(size)
            }
        }
    }

    /// An object or array, up to its closing bracket, made one line. The buffered bytes are
    /// walked in runs: a table finds the next byte that matters (a quote, a bracket, a line
    /// break), and the run before it is copied whole; a line break and the indentation after
    /// it (most of a pretty-printed document's whitespace) are left out, other whitespace
    /// (`" : "`) kept. Strings go to [`ArrayChunks::string_rest`].
    fn container(&mut self, out: &mut Vec<u8>, limit: usize) -> Result<usize, Stop> {
        let mut size = 0usize;
        let mut depth = 0usize;
        loop {
            if self.src.peek().is_none() {
                return Err(self.stop("a record is not closed"));
            }
            let buf = self.src.buffered();
            let (mut i, mut newlines, mut string, mut closed) = (0, 0, false, false);
            while i < buf.len() {
                let run = i;
                while i < buf.len() && !STRUCTURAL[buf[i] as usize] {
                    i += 1;
                }
                if out.len() < limit {
                    let take = (i - run).min(limit - out.len());
                    out.extend_from_slice(&buf[run..run + take]);
                }
                let Some(&b) = buf.get(i) else { break };
                i += 1;
                match b {
                    b'\n' => {
                        newlines += 1;
                        while i < buf.len() && matches!(buf[i], b' ' | b'\t' | b'\r') {
                            i += 1;
                        }
                        continue;
                    }
                    b'"' => {
                        // A short string with no escape (a key, most values) is copied here;
                        // anything else goes to `string_rest`.
                        let end = (i + SHORT_STRING).min(buf.len());
                        let close = buf[i..end].iter().position(|&c| STRING_STOP[c as usize]);
                        match close {
                            Some(n) if buf[i + n] == b'"' => {
                                if out.len() < limit {
                                    let take = (n + 2).min(limit - out.len());
                                    out.extend_from_slice(&buf[i - 1..i - 1 + take]);
                                }
                                i += n + 1;
                                continue;
                            }
                            _ => string = true,
                        }
                    }
                    b'{' | b'[' => depth += 1,
                    _ => {
                        depth -= 1;
                        closed = depth == 0;
                    }
                }
                if out.len() < limit {
                    out.push(b);
                }
                if string || closed {
                    break;
                }
            }
            self.src.line += newlines;
            self.src.consume(i);
            size += i;
            if closed {
                return Ok(size);
            }
            if string {
                size += self.string_rest(out, limit)?;
            }
        }
    }

    /// After an opening quote: the rest of a string, copied while within `limit`; its
    /// length returned. A raw line break inside a string (not valid JSON) is copied as
    /// byte 0x01, which keeps the element one line and still not valid JSON.
    fn string_rest(&mut self, out: &mut Vec<u8>, limit: usize) -> Result<usize, Stop> {
        let mut size = 0usize;
        loop {
            if self.src.peek().is_none() {
                return Err(self.stop("a string is not closed"));
            }
            let avail = self.src.buffered();
            let avail_len = avail.len();
            let run = memchr::memchr3(b'"', b'\\', b'\n', avail).unwrap_or(avail_len);
            if out.len() < limit {
                let take = run.min(limit - out.len());
                out.extend_from_slice(&avail[..take]);
            }
            self.src.consume(run);
            size += run;
            if run == avail_len {
                // The buffer ends inside the string: read on.
                continue;
            }
            let b = self.src.bump();
            size += 1;
            let copy = |out: &mut Vec<u8>, b: u8| {
                if out.len() < limit {
                    out.push(b);
                }
            };
            match b {
                Some(b'"') => {
                    copy(out, b'"');
                    return Ok(size);
                }
                Some(b'\\') => {
                    copy(out, b'\\');
                    match self.src.bump() {
                        Some(b'\n') => copy(out, 1),
                        Some(e) => copy(out, e),
                        None => return Err(self.stop("a string is not closed")),
                    }
                    size += 1;
                }
                Some(b'\n') => copy(out, 1),
                _ => {}
            }
        }
    }

    /// Read elements into `out` until the chunk is full or the array ends; each element's
    /// line goes into `lines`, an over-long one's diagnostic into `diags`.
    fn fill_chunk(
        &mut self,
        out: &mut Vec<u8>,
        lines: &mut Vec<u64>,
        diags: &mut Vec<(u64, String)>,
    ) -> Result<(), Stop> {
        while out.len() < self.chunk_bytes && !self.done {
            if !self.started {
                self.started = true;
                self.src.ws();
                if self.documents == 0 && self.src.peek() == Some(0xEF) {
                    for _ in 0..3 {
                        self.src.bump();
                    }
                    self.src.ws();
                }
                self.documents += 1;
                if self.keys.is_some() {
                    if !self.open_object(out, lines, diags)? {
                        continue;
                    }
                } else if self.src.bump() != Some(b'[') {
                    return Err(self.stop("expected a JSON array"));
                }
                self.src.ws();
                if self.src.peek() == Some(b']') {
                    self.src.bump();
                    diags.push((self.src.line, "the array is empty: no records".to_string()));
                    self.after_array()?;
                    continue;
                }
            }
            self.src.ws();
            let line = self.src.line;
            let start = out.len();
            out.extend_from_slice(&self.prefix);
            let size = self.element(out).inspect_err(|_| out.truncate(start))?;
            self.take(out, start, size, line, lines, diags);
            self.src.ws();
            match self.src.bump() {
                Some(b',') => {}
                Some(b']') => self.after_array()?,
                _ => return Err(self.stop("expected `,` or `]` after a record")),
            }
        }
        Ok(())
    }

    /// An element read into `out[start..]` (`size` bytes in the input, at `line`): kept as a
    /// line, or dropped with a diagnostic when over the size limit.
    fn take(
        &mut self,
        out: &mut Vec<u8>,
        start: usize,
        size: usize,
        line: u64,
        lines: &mut Vec<u64>,
        diags: &mut Vec<(u64, String)>,
    ) {
        self.elements += 1;
        if size > self.max_record {
            out.truncate(start);
            diags.push((
                line,
                format!(
                    "record of {size} bytes is over the limit of {} bytes \
                     (--max-record-bytes); skipped",
                    self.max_record
                ),
            ));
        } else {
            if self.format.is_none() {
                self.format = Some(crate::element_format(&out[start..]));
            }
            if let Some((last, run)) = &mut self.ordinals {
                let time = time_of(&out[start + self.prefix.len()..]).unwrap_or_default();
                if *run > 0 && time == last.as_slice() {
                    *run += 1;
                } else {
                    last.clear();
                    last.extend_from_slice(time);
                    *run = 1;
                }
                let n = *run;
                out.push(crate::FIELD_SEP);
                out.extend_from_slice(n.to_string().as_bytes());
            }
            out.push(b'\n');
            lines.push(line);
        }
    }

    /// The start of a document that is an object, up to the array of records in it (true)
    /// or, where it has none, the whole object as the one record (false).
    fn open_object(
        &mut self,
        out: &mut Vec<u8>,
        lines: &mut Vec<u64>,
        diags: &mut Vec<(u64, String)>,
    ) -> Result<bool, Stop> {
        let line = self.src.line;
        if self.src.bump() != Some(b'{') {
            return Err(self.stop("expected a JSON object"));
        }
        let start = out.len();
        let size = self
            .object_members(out)
            .inspect_err(|_| out.truncate(start))?;
        let Some(size) = size else {
            return Ok(true);
        };
        self.take(out, start, size, line, lines, diags);
        self.after_end()?;
        Ok(false)
    }

    /// The members of the document's object, copied to `out` as one element (its size
    /// returned), until one named in `keys` is an array: then `None`, `out` as it was, and
    /// the array's elements next.
    fn object_members(&mut self, out: &mut Vec<u8>) -> Result<Option<usize>, Stop> {
        let start = out.len();
        out.push(b'{');
        let mut size = 1;
        self.src.ws();
        if self.src.peek() == Some(b'}') {
            self.src.bump();
        } else {
            loop {
                self.src.ws();
                if out.len() > start + 1 {
                    out.push(b',');
                }
                let key_at = out.len();
                size += self.element(out)?;
                let key = serde_json::from_slice::<String>(&out[key_at..]).ok();
                self.src.ws();
                if self.src.bump() != Some(b':') {
                    return Err(self.stop("expected `:` after a key"));
                }
                self.src.ws();
                let keys = self.keys.unwrap_or_default();
                let wanted = key.is_some_and(|k| keys.contains(&k.as_str()));
                if wanted && self.src.peek() == Some(b'[') {
                    self.src.bump();
                    out.truncate(start);
                    self.in_object = true;
                    return Ok(None);
                }
                out.push(b':');
                size += self.element(out)? + 1;
                self.src.ws();
                match self.src.bump() {
                    Some(b',') => size += 1,
                    Some(b'}') => break,
                    _ => return Err(self.stop("expected `,` or `}` in an object")),
                }
            }
        }
        out.push(b'}');
        Ok(Some(size + 1))
    }

    /// After the array's closing bracket: the rest of the object it is in (its members
    /// passed over), then the end of the input.
    fn after_array(&mut self) -> Result<(), Stop> {
        if self.in_object {
            let mut scratch = Vec::new();
            loop {
                self.src.ws();
                match self.src.bump() {
                    Some(b'}') => break,
                    Some(b',') => {
                        for part in ["a key", "a value"] {
                            self.src.ws();
                            scratch.clear();
                            self.element(&mut scratch)?;
                            self.src.ws();
                            if part == "a key" && self.src.bump() != Some(b':') {
                                return Err(self.stop("expected `:` after a key"));
                            }
                        }
                    }
                    _ => return Err(self.stop("expected `,` or `}` in an object")),
                }
            }
        }
        self.after_end()
    }

    /// After a document: the end of the input, or the next document of a stream of them
    /// (`jq .`'s pretty-printed objects one after another, arrays appended to a file),
    /// read as the first was; anything else stops reading.
    fn after_end(&mut self) -> Result<(), Stop> {
        self.src.ws();
        let opens = if self.keys.is_some() { b'{' } else { b'[' };
        match self.src.peek() {
            None => self.done = true,
            Some(c) if c == opens => {
                self.started = false;
                self.in_object = false;
            }
            Some(_) => {
                return Err(self.stop(if self.keys.is_some() {
                    "more after the end of the document, not another JSON object"
                } else {
                    "more after the end of the array, not another JSON array"
                }))
            }
        }
        Ok(())
    }
}

impl Iterator for ArrayChunks {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        if let Some(c) = self.queued.pop_front() {
            return Some(c);
        }
        if self.done {
            return None;
        }
        let mut out = crate::pooled_buffer(&self.pool, self.chunk_bytes + crate::CHUNK_MARGIN);
        let mut lines = Vec::new();
        let mut diags = Vec::new();
        if let Err(Stop(line, message)) = self.fill_chunk(&mut out, &mut lines, &mut diags) {
            diags.push((line, message));
            self.done = true;
        }
        let at = self.src.consumed();
        let read = (at - self.read_to) as usize;
        self.read_to = at;
        if !diags.is_empty() {
            let items = diags
                .into_iter()
                .map(|(line, m)| (line, Err(Diagnostic::new(&*self.file, line, m))))
                .collect();
            self.queued.push_back(Chunk::Records {
                file: self.file.clone(),
                items,
                read: if out.is_empty() { read } else { 0 },
            });
        }
        if !out.is_empty() {
            self.queued.push_front(Chunk::Lines {
                file: self.file.clone(),
                first_line: lines.first().copied().unwrap_or(1),
                format: self.format.unwrap_or(LineFormat::Raqib),
                default_platform: self.platform.clone(),
                bytes: PooledBytes {
                    bytes: out,
                    pool: self.pool.clone(),
                },
                line_numbers: Some(lines),
                mapping: self.mapping.clone(),
                notes: self.notes.clone(),
                read,
            });
        }
        self.queued.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use crate::{open_bytes, Format, Options};
    use proptest::prelude::*;
    use raqib_model::Record;

    type Got = Vec<(u64, Result<(String, String), String>)>;

    /// Every item of a JSON array document: (line, post id and text, or the diagnostic).
    fn read(doc: &[u8], opts: &Options) -> Got {
        collect(open_bytes(doc.to_vec(), "a.json", opts).unwrap())
    }

    /// A source that gives at most `step` bytes a read, so a value straddles reads.
    struct Trickle(std::io::Cursor<Vec<u8>>, usize);

    impl std::io::Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.1);
            self.0.read(&mut buf[..n])
        }
    }

    /// [`read`], the document given `step` bytes at a time.
    fn read_trickled(doc: &[u8], opts: &Options, step: usize) -> Got {
        let src = std::io::BufReader::with_capacity(
            step,
            Trickle(std::io::Cursor::new(doc.to_vec()), step),
        );
        collect(Box::new(super::ArrayChunks::new(
            Box::new(src),
            "a.json".into(),
            None,
            opts,
        )))
    }

    fn collect(chunks: Box<dyn Iterator<Item = crate::Chunk> + Send>) -> Got {
        let mut out = Vec::new();
        for c in chunks {
            c.for_each_record(|line, r| match r {
                Ok(Record::Post(p)) => out.push((line, Ok((p.id, p.text)))),
                Ok(Record::Account(a)) => out.push((line, Ok((a.id, "(account)".into())))),
                Err(d) => {
                    assert_eq!(d.at.line, line);
                    out.push((line, Err(d.message)))
                }
            });
        }
        out
    }

    fn post(line: u64, id: &str, text: &str) -> (u64, Result<(String, String), String>) {
        (line, Ok((id.to_string(), text.to_string())))
    }

    #[test]
    fn a_pretty_printed_array_keeps_each_records_line() {
        let doc = br#"[
  {
    "id": "1",
    "text": "brackets ] and } and \" inside, a \\ and a \n",
    "extra": [1, {"a": [2, "]"]}]
  },
  {"id": 2, "text": "second"}
]
"#;
        assert_eq!(
            read(doc, &Options::default()),
            vec![
                post(2, "1", "brackets ] and } and \" inside, a \\ and a \n"),
                post(7, "2", "second")
            ]
        );
        let one_line = br#"[{"id":"1","text":"a"},{"id":"2","text":"b"}]"#;
        assert_eq!(
            read(one_line, &Options::default()),
            vec![post(1, "1", "a"), post(1, "2", "b")]
        );
    }

    #[test]
    fn bad_elements_are_diagnostics_and_reading_goes_on() {
        let doc = format!(
            "[\n{{\"id\":\"1\",\"text\":\"a\"}},\n{{\"id\":\"2\",\"text\":\"raw\nbreak\"}},\n\"a string\",\n{{\"id\":\"4\",\"text\":\"{}\"}},\n{{\"id\":\"5\",\"text\":\"e\"}}\n]",
            "x".repeat(300)
        );
        let opts = Options {
            max_record_bytes: 200,
            chunk_bytes: 16,
            ..Default::default()
        };
        let got = read(doc.as_bytes(), &opts);
        assert_eq!(got.len(), 5, "{got:?}");
        assert_eq!(got[0], post(2, "1", "a"));
        assert_eq!(got[1].0, 3);
        assert!(
            got[1].1.as_ref().unwrap_err().contains("control character"),
            "{got:?}"
        );
        assert_eq!(got[2].0, 5);
        assert!(
            got[2]
                .1
                .as_ref()
                .unwrap_err()
                .contains("not a raqib record"),
            "{got:?}"
        );
        let long = got.iter().find(|g| g.0 == 6).unwrap();
        assert!(
            long.1.as_ref().unwrap_err().contains("--max-record-bytes"),
            "{got:?}"
        );
        assert!(got.contains(&post(7, "5", "e")), "{got:?}");
    }

    #[test]
    fn a_cut_or_broken_array_keeps_what_came_before() {
        for (doc, line, why) in [
            (
                &br#"[{"id":"1","text":"a"}, {"id":"2","te"#[..],
                1,
                "the file ends here",
            ),
            (
                b"[{\"id\":\"1\",\"text\":\"a\"}\n{\"id\":\"2\"}]",
                2,
                "expected `,` or `]`",
            ),
            (
                b"[{\"id\":\"1\",\"text\":\"a\"}] trailing",
                1,
                "more after the end",
            ),
            (
                b"[{\"id\":\"1\",\"text\":\"a\"},\n]",
                2,
                "expected a record",
            ),
        ] {
            let got = read(doc, &Options::default());
            assert_eq!(
                got.len(),
                2,
                "the record, then where reading stopped: {got:?}"
            );
            assert_eq!(got[0], post(1, "1", "a"), "{got:?}");
            let (l, d) = got.last().unwrap();
            let d = d.as_ref().unwrap_err();
            assert_eq!(*l, line, "{d}");
            assert!(
                d.contains(why) && d.contains("the 1 records before it"),
                "{d}"
            );
        }
        let got = read(b"  []\n", &Options::default());
        assert_eq!(got.len(), 1);
        assert!(got[0].1.as_ref().unwrap_err().contains("empty"));
    }

    #[test]
    fn the_elements_format_is_the_first_ones_or_the_one_given() {
        let tweets = br#"[{"id_str":"1","text":"a","user":{"id_str":"9","screen_name":"u"}},
            {"id_str":"2","text":"b","user":{"id_str":"9","screen_name":"u"}}]"#;
        assert_eq!(
            read(tweets, &Options::default()),
            vec![
                post(1, "9", "(account)"),
                post(1, "1", "a"),
                post(2, "2", "b")
            ]
        );
        let pages =
            br#"[{"data":[{"id":"1","text":"a","author_id":"9"}]},{"data":{"id":"2","text":"b"}}]"#;
        let got = read(pages, &Options::default());
        assert_eq!(got, vec![post(1, "1", "a"), post(1, "2", "b")]);
        let opts = Options {
            format: Format::Tweets,
            ..Default::default()
        };
        let ambiguous = br#"[{"id":"1","text":"a","author_id":"9"}]"#;
        assert_eq!(read(ambiguous, &opts), vec![post(1, "1", "a")]);
    }

    #[test]
    fn json_lines_whose_first_line_is_an_array_stay_lines() {
        let doc = b"[1, 2]\n{\"id\":\"2\",\"text\":\"b\"}\n";
        let got = read(doc, &Options::default());
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, 1);
        assert!(got[0].1.is_err());
        assert_eq!(got[1], post(2, "2", "b"));
        // A broken first line is taken for an array, and the message says what to do.
        let got = read(
            b"[oops\n{\"id\":\"2\",\"text\":\"b\"}\n",
            &Options::default(),
        );
        let d = got.last().unwrap().1.as_ref().unwrap_err();
        assert!(d.contains("--format jsonl"), "{d}");
        let opts = Options {
            format: Format::Jsonl,
            ..Default::default()
        };
        let got = read(b"[oops\n{\"id\":\"2\",\"text\":\"b\"}\n", &opts);
        assert_eq!(got[1], post(2, "2", "b"));
    }

    #[test]
    fn a_pretty_printed_object_is_one_record_not_a_diagnostic_a_line() {
        let one = b"{\n  \"id\": \"r1\",\n  \"text\": \"a\"\n}\n";
        assert_eq!(read(one, &Options::default()), vec![post(1, "r1", "a")]);
        let unknown = b"{\n  \"kind\": \"Catalogue\",\n  \"children\": [1, 2]\n}\n";
        let got = read(unknown, &Options::default());
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].1.is_err());
        // Cut short: where, and no word of arrays.
        let got = read(b"{\n  \"id\": \"r1\",", &Options::default());
        let d = got[0].1.as_ref().unwrap_err();
        assert!(
            d.starts_with("JSON document cannot be followed") && d.contains("cut short"),
            "{d}"
        );
        assert!(!d.contains("--format jsonl"), "{d}");
        // Given as JSON Lines, lines it is.
        let opts = Options {
            format: Format::Jsonl,
            ..Default::default()
        };
        assert_eq!(read(unknown, &opts).len(), 4);
    }

    /// `jq .` writes the objects of a file pretty-printed one after another; a file may
    /// have had arrays, or whole documents, appended to it. Each is read, at its lines.
    #[test]
    fn documents_one_after_another_are_each_read() {
        let jq = b"{\n  \"id\": \"1\",\n  \"text\": \"a\"\n}\n{\n  \"id\": \"2\",\n  \
                   \"text\": \"b\"\n}\n{\"id\":\"3\",\"text\":\"c\"}";
        let want = vec![post(1, "1", "a"), post(5, "2", "b"), post(9, "3", "c")];
        assert_eq!(read(jq, &Options::default()), want);
        // In chunks of any size and reads of any length.
        let small = Options {
            chunk_bytes: 8,
            ..Default::default()
        };
        assert_eq!(read(jq, &small), want);
        let arrays = b"[\n{\"id\":\"1\",\"text\":\"a\"}]\n[]\n[\n{\"id\":\"2\",\"text\":\"b\"}]\n";
        let mut got = read(arrays, &Options::default());
        got.sort_by_key(|g| g.0); // a chunk's diagnostics come after its records
        assert_eq!(got[0], post(2, "1", "a"));
        assert!(
            got[1].1.as_ref().is_err_and(|d| d.contains("empty")),
            "{got:?}"
        );
        assert_eq!(got[2], post(5, "2", "b"));
        let mut trickled = read_trickled(arrays, &Options::default(), 3);
        trickled.sort_by_key(|g| g.0);
        assert_eq!(trickled, got);
        // Pages of a collection one after another: every page's items.
        let pages = b"{\"type\":\"OrderedCollectionPage\",\"orderedItems\":[{\"id\":\"1\",\
                      \"text\":\"a\"}],\"next\":\"p2\"}\n{\"orderedItems\":[{\"id\":\"2\",\"text\":\"b\"}]}";
        let src = Box::new(std::io::Cursor::new(pages.to_vec()));
        let got = collect(Box::new(super::ArrayChunks::document(
            src,
            "a.json".into(),
            None,
            &["orderedItems"],
            &Options::default(),
        )));
        assert_eq!(got, vec![post(1, "1", "a"), post(2, "2", "b")]);
        // What is not another document still stops reading, saying what came instead.
        let got = read(
            b"{\n\"id\":\"1\",\"text\":\"a\"\n}\n\"x\"",
            &Options::default(),
        );
        let d = got[1].1.as_ref().unwrap_err();
        assert!(
            d.contains("not another JSON object") && d.contains("the 1 records"),
            "{d}"
        );
    }

    #[test]
    fn chunks_count_the_bytes_they_came_from() {
        let mut doc = b"[\n".to_vec();
        for i in 0..500 {
            let sep = if i == 0 { "" } else { ",\n" };
            doc.extend_from_slice(
                format!("{sep}  {{\"id\": \"{i}\", \"text\": \"t\"}}").as_bytes(),
            );
        }
        doc.extend_from_slice(b"\n]\n");
        let opts = Options {
            chunk_bytes: 512,
            ..Default::default()
        };
        let chunks: Vec<_> = open_bytes(doc.clone(), "a.json", &opts).unwrap().collect();
        assert!(chunks.len() > 5);
        let read: usize = chunks.iter().map(|c| c.len_bytes()).sum();
        assert_eq!(read, doc.len());
    }

    /// The time of a Meta export's element: its first `timestamp`, `timestamp_ms` or
    /// `creation_timestamp`, as written, spaces about the colon allowed; none where no such
    /// member has a number.
    #[test]
    fn an_elements_time_is_its_first_timestamp() {
        use super::time_of;
        let t = |s: &str| time_of(s.as_bytes()).map(|b| String::from_utf8(b.to_vec()).unwrap());
        assert_eq!(
            t(r#"{"timestamp": 1700000200, "data": []}"#).as_deref(),
            Some("1700000200")
        );
        assert_eq!(
            t(r#"{"sender_name":"a","timestamp_ms":1700000200123}"#).as_deref(),
            Some("1700000200123")
        );
        assert_eq!(
            t(r#"{"media":[{"uri":"x"}],"creation_timestamp" :  1700000201}"#).as_deref(),
            Some("1700000201")
        );
        assert_eq!(
            t(r#"{"string_map_data":{"Time":{"timestamp":1700000202}}}"#).as_deref(),
            Some("1700000202")
        );
        // A word in a text, or a member that is no number, is passed over.
        assert_eq!(
            t(r#"{"text":"timestamp: soon","timestamp":"x","timestamp":5}"#).as_deref(),
            Some("5")
        );
        assert_eq!(t(r#"{"text":"no time here"}"#), None);
    }

    proptest! {
        /// Any bytes: a time or none, never a panic; a time is digits and number signs
        /// taken from the element.
        #[test]
        fn an_elements_time_is_read_from_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Some(t) = super::time_of(&bytes) {
                prop_assert!(!t.is_empty());
                prop_assert!(t.iter().all(|b| b"0123456789.-eE+".contains(b)));
            }
        }

        /// Whatever the records and however the array is laid out (one line, pretty-printed,
        /// in chunks of any size), each comes back in order, whole, at the line its element
        /// starts on.
        #[test]
        fn every_element_comes_back_at_its_line(
            texts in proptest::collection::vec("[a-z \\[\\]{}\",:\\\\\n\u{0600}-\u{0605}]{0,20}", 0..30),
            pretty in any::<bool>(),
            chunk in 1usize..400,
            step in 1usize..40,
        ) {
            let records: Vec<serde_json::Value> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| serde_json::json!({"id": i.to_string(), "text": t, "nested": [{"t": t}]}))
                .collect();
            let doc = if pretty {
                serde_json::to_string_pretty(&records).unwrap()
            } else {
                serde_json::to_string(&records).unwrap()
            };
            // Where each element starts: pretty-printed, each record's `{` at two spaces.
            let mut want_lines = Vec::new();
            for (n, l) in doc.lines().enumerate() {
                if l == "  {" {
                    want_lines.push(n as u64 + 1);
                }
            }
            let opts = Options { chunk_bytes: chunk, ..Default::default() };
            let got = read(doc.as_bytes(), &opts);
            prop_assert_eq!(&read_trickled(doc.as_bytes(), &opts, step), &got);
            if texts.is_empty() {
                prop_assert_eq!(got.len(), 1);
                prop_assert!(got[0].1.is_err());
                return Ok(());
            }
            prop_assert_eq!(got.len(), texts.len());
            for (i, (line, r)) in got.iter().enumerate() {
                let (id, text) = r.as_ref().unwrap();
                prop_assert_eq!(id, &i.to_string());
                prop_assert_eq!(text, &texts[i]);
                prop_assert_eq!(*line, if pretty { want_lines[i] } else { 1 });
            }
        }
    }
}
