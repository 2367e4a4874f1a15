//! CSV with a header row. Columns are found by name: raqib's field names and common
//! aliases need no mapping (so `id, username, display_name, bio, followers, created_at,
//! text, label, lang` loads as it is); anything else is mapped with `FIELD=COLUMN`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use raqib_model::{Account, Diagnostic, Post, Record};

use crate::jsonl::parse_label;
use crate::{Chunk, OpenError, Options, Reader};

/// The fields a CSV column can fill, with the column names found without a mapping.
pub const CSV_FIELDS: &[(&str, &[&str])] = &[
    (
        "id",
        &["id", "post_id", "tweet_id", "tweetid", "message_id"],
    ),
    (
        "text",
        &[
            "text",
            "tweet",
            "tweets",
            "content",
            "message",
            "body",
            "tweet_text",
            "full_text",
        ],
    ),
    ("label", &["label", "class", "is_propaganda"]),
    ("lang", &["lang", "language", "tweet_language"]),
    ("platform", &["platform"]),
    (
        "account",
        &["account", "account_id", "user_id", "author_id", "userid"],
    ),
    (
        "handle",
        &[
            "username",
            "handle",
            "screen_name",
            "user",
            "user_screen_name",
        ],
    ),
    (
        "display_name",
        &["display_name", "name", "user_name", "user_display_name"],
    ),
    (
        "bio",
        &[
            "bio",
            "description",
            "user_description",
            "user_profile_description",
        ],
    ),
    (
        "followers",
        &["followers", "followers_count", "follower_count"],
    ),
    (
        "created_at",
        &["created_at", "time", "timestamp", "date", "tweet_time"],
    ),
    (
        "account_created_at",
        &[
            "account_created_at",
            "user_created_at",
            "account_creation_date",
        ],
    ),
    ("reach", &["reach", "views", "impressions"]),
    ("urls", &["urls", "url"]),
    (
        "reply_to",
        &[
            "reply_to",
            "in_reply_to",
            "in_reply_to_status_id",
            "in_reply_to_tweetid",
        ],
    ),
    (
        "share_of",
        &[
            "share_of",
            "retweet_of",
            "retweeted_status_id",
            "retweet_tweetid",
        ],
    ),
    ("media", &["media", "media_urls", "media_url"]),
    ("media_sha256", &["media_sha256", "sha256"]),
    ("media_pdq", &["media_pdq", "pdq"]),
    ("first_version", &["first_version"]),
    ("category", &["category"]),
    (
        "place",
        &[
            "place",
            "subreddit",
            "chat_name",
            "channel_name",
            "group_name",
        ],
    ),
    (
        "permalink",
        &["permalink", "post_url", "tweet_url", "message_url"],
    ),
];

/// Explicit `FIELD=COLUMN` mappings; fields not named here are found by [`CSV_FIELDS`].
#[derive(Debug, Clone, Default)]
pub struct CsvMapping {
    pub columns: HashMap<String, String>,
    /// Field separator; `None` is `,` (or tab for `.tsv` files).
    pub delimiter: Option<u8>,
}

impl std::str::FromStr for CsvMapping {
    type Err = String;
    /// Parse `text=tweet,account=user_id`.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut m = CsvMapping::default();
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, col) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}` is not FIELD=COLUMN"))?;
            if !CSV_FIELDS.iter().any(|(f, _)| *f == field.trim()) {
                let known: Vec<_> = CSV_FIELDS.iter().map(|(f, _)| *f).collect();
                return Err(format!(
                    "unknown field `{field}`: fields are {}",
                    known.join(", ")
                ));
            }
            m.columns
                .insert(field.trim().to_string(), col.trim().to_string());
        }
        Ok(m)
    }
}

/// Column index for each field (in [`CSV_FIELDS`] order), resolved against one file's
/// header once: a row's fields are then found by index, not by hashing their names
/// (which was a tenth of a CSV scan's CPU time).
#[derive(Debug, Default)]
struct Columns {
    idx: [Option<usize>; CSV_FIELDS.len()],
}

/// Places in [`CSV_FIELDS`].
mod field {
    pub const ID: usize = 0;
    pub const TEXT: usize = 1;
    pub const LABEL: usize = 2;
    pub const LANG: usize = 3;
    pub const PLATFORM: usize = 4;
    pub const ACCOUNT: usize = 5;
    pub const HANDLE: usize = 6;
    pub const DISPLAY_NAME: usize = 7;
    pub const BIO: usize = 8;
    pub const FOLLOWERS: usize = 9;
    pub const CREATED_AT: usize = 10;
    pub const ACCOUNT_CREATED_AT: usize = 11;
    pub const REACH: usize = 12;
    pub const URLS: usize = 13;
    pub const REPLY_TO: usize = 14;
    pub const SHARE_OF: usize = 15;
    pub const MEDIA: usize = 16;
    pub const MEDIA_SHA256: usize = 17;
    pub const MEDIA_PDQ: usize = 18;
    pub const FIRST_VERSION: usize = 19;
    pub const CATEGORY: usize = 20;
    pub const PLACE: usize = 21;
    pub const PERMALINK: usize = 22;
}

impl Columns {
    fn resolve(header: &[String], mapping: &CsvMapping, path: &str) -> Result<Columns, OpenError> {
        let find = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        let mut idx = [None; CSV_FIELDS.len()];
        for (slot, (field, aliases)) in idx.iter_mut().zip(CSV_FIELDS) {
            if let Some(col) = mapping.columns.get(*field) {
                let i = find(col).ok_or_else(|| OpenError::Invalid {
                    path: path.to_string(),
                    message: format!(
                        "--csv-map names column `{col}` for `{field}`, but the header has: {}",
                        shown(header)
                    ),
                })?;
                *slot = Some(i);
            } else if let Some(i) = aliases.iter().find_map(|a| find(a)) {
                *slot = Some(i);
            }
        }
        if idx[field::TEXT].is_none() {
            // One column that holds separators: the file's separator is another.
            let hint = match header {
                [one] => [',', ';', '\t', '|']
                    .into_iter()
                    .find(|&c| one.contains(c))
                    .map(|c| {
                        let c = if c == '\t' {
                            "tab".to_string()
                        } else {
                            c.to_string()
                        };
                        format!(
                            " (one column: if the fields are separated by `{c}`, say so with \
                             --csv-delimiter '{c}')"
                        )
                    })
                    .unwrap_or_default(),
                _ => String::new(),
            };
            return Err(OpenError::Invalid {
                path: path.to_string(),
                message: format!(
                    "CSV header has no text column (looked for {}); map one with --csv-map text=COLUMN. The header has: {}{hint}",
                    CSV_FIELDS[field::TEXT].1.join(", "),
                    shown(header)
                ),
            });
        }
        Ok(Columns { idx })
    }
}

/// A header's columns as a message shows them: control characters escaped (none reaches
/// the terminal), cut after 300 characters.
fn shown(header: &[String]) -> String {
    let all = header.join(", ");
    let mut out: String = all
        .chars()
        .take(300)
        .flat_map(|c| {
            let escaped = c.is_control().then(|| c.escape_default().to_string());
            escaped
                .unwrap_or_else(|| c.to_string())
                .chars()
                .collect::<Vec<_>>()
        })
        .collect();
    if all.chars().nth(300).is_some() {
        out.push('…');
    }
    out
}

/// What the workers need to read a CSV file's rows: the columns its header gave, its
/// separator, and the platform for rows that name none.
#[derive(Debug)]
pub struct CsvLayout {
    cols: Columns,
    delimiter: u8,
    platform: String,
    /// The header row's cells as written (a byte-order mark left out): a row equal to it
    /// is the header again, where files were joined with `cat`.
    header: Vec<Vec<u8>>,
    /// A file of Reddit's data request export, read by its own columns.
    reddit: Option<crate::reddit_export::Layout>,
}

impl CsvLayout {
    /// Whether `rec` is the header row again.
    fn is_header(&self, rec: &csv::ByteRecord) -> bool {
        rec.len() == self.header.len()
            && rec
                .iter()
                .zip(&self.header)
                .enumerate()
                .all(|(i, (cell, h))| {
                    let cell = if i == 0 {
                        cell.strip_prefix("\u{feff}".as_bytes()).unwrap_or(cell)
                    } else {
                        cell
                    };
                    cell == h.as_slice()
                })
    }
}

/// The chunks of a CSV file: on the reading thread, rows are only told apart (quotes
/// followed, so that a line break inside a quoted field stays in its row) and handed on
/// as bytes, about `chunk_bytes` at a time; the workers parse them ([`parse_rows`]) as
/// they parse JSON Lines. Before, the reading thread parsed every row and made its post,
/// and the workers waited on it.
pub(crate) struct CsvChunks {
    src: Reader,
    file: Arc<str>,
    layout: Arc<CsvLayout>,
    /// Bytes read and not yet handed on (they start at a row's start), and how far the
    /// row scanner has looked into them.
    pending: Vec<u8>,
    scanned: usize,
    rows: RowScanner,
    /// The line of `pending[0]`.
    next_line: u64,
    max_record: usize,
    chunk_bytes: usize,
    eof: bool,
    done: bool,
    /// A row over `--max-record-bytes` being passed over: the line `pending[0]` is on.
    skipping: Option<u64>,
    any_row: bool,
    queued: VecDeque<Chunk>,
    pool: crate::BufferPool,
    taken: u64,
    reported: u64,
}

/// Where CSV rows end, as the csv crate reads them (RFC 4180 with its leniencies): a line
/// break ends a row unless inside a quoted field, a quote opens one only at a field's
/// start, and `""` inside one is a quote.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum RowState {
    /// At a field's start (a row's start included).
    #[default]
    FieldStart,
    /// In an unquoted field: quotes are data.
    Unquoted,
    /// In a quoted field.
    Quoted,
    /// Just after a quote in a quoted field: `"` again is a quote, anything else ends
    /// the quoting.
    QuoteInQuoted,
}

/// How much of a CSV is read to find its first line's end, for [`sniff_delimiter`].
const SNIFF_BYTES: usize = 64 << 10;

/// The field separator of a CSV whose first line (its header) is at the start of `head`:
/// of `,`, `;` (what Excel writes as "CSV" where the decimal mark is a comma: most of
/// Europe, parts of the Arab world), tab (Excel's "Unicode Text") and `|`, the one the
/// line has most of outside quotes; `,` when it has none, or as many of another.
pub(crate) fn sniff_delimiter(head: &[u8]) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
    let line = match memchr::memchr2(b'\n', b'\r', head) {
        Some(end) => &head[..end],
        None => head,
    };
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(i) = CANDIDATES.iter().position(|&c| c == b) {
                counts[i] += 1;
            }
        }
    }
    let mut best = 0;
    for i in 1..CANDIDATES.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    CANDIDATES[best]
}

#[derive(Debug, Default)]
struct RowScanner {
    state: RowState,
    delimiter: u8,
}

impl RowScanner {
    fn new(delimiter: u8) -> Self {
        RowScanner {
            state: RowState::FieldStart,
            delimiter,
        }
    }

    /// The index just after the next row's end in `b` (a `\n` or `\r` outside quotes),
    /// going on from the state the bytes before left; `None` when `b` ends first.
    fn next_end(&mut self, b: &[u8]) -> Option<usize> {
        let (d, mut i) = (self.delimiter, 0);
        while i < b.len() {
            match self.state {
                RowState::FieldStart => {
                    match b[i] {
                        b'"' => self.state = RowState::Quoted,
                        b'\n' | b'\r' => return Some(i + 1),
                        c if c == d => {}
                        _ => self.state = RowState::Unquoted,
                    }
                    i += 1;
                }
                RowState::Unquoted => {
                    let k = memchr::memchr3(d, b'\n', b'\r', &b[i..])?;
                    self.state = RowState::FieldStart;
                    if b[i + k] != d {
                        return Some(i + k + 1);
                    }
                    i += k + 1;
                }
                RowState::Quoted => {
                    let k = memchr::memchr(b'"', &b[i..])?;
                    self.state = RowState::QuoteInQuoted;
                    i += k + 1;
                }
                RowState::QuoteInQuoted => {
                    match b[i] {
                        b'"' => self.state = RowState::Quoted,
                        b'\n' | b'\r' => {
                            self.state = RowState::FieldStart;
                            return Some(i + 1);
                        }
                        c if c == d => self.state = RowState::FieldStart,
                        _ => self.state = RowState::Unquoted,
                    }
                    i += 1;
                }
            }
        }
        None
    }
}

const READ: usize = 256 << 10;

/// An account's key: a 64-bit hash of platform and id (the scan keys its aggregates the
/// same way). Two accounts share one only by a hash collision, about three chances in a
/// million among ten million accounts; the second would then have no profile record.
fn account_key(platform: &str, id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(
        id.as_bytes(),
        xxhash_rust::xxh3::xxh3_64(platform.as_bytes()),
    )
}

/// Read up to [`READ`] more bytes onto `buf`; how many came.
fn read_more(src: &mut Reader, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let len = buf.len();
    buf.resize(len + READ, 0);
    loop {
        match std::io::Read::read(src, &mut buf[len..]) {
            Ok(n) => {
                buf.truncate(len + n);
                return Ok(n);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                buf.truncate(len);
                return Err(e);
            }
        }
    }
}

impl CsvChunks {
    /// `beside`: the file's folder, where a file of an export names its owner.
    pub(crate) fn new(
        mut src: Reader,
        file: Arc<str>,
        opts: &Options,
        beside: Option<&crate::beside::Beside>,
    ) -> Result<Self, OpenError> {
        let tsv = file
            .trim_end_matches(".gz")
            .trim_end_matches(".zst")
            .ends_with(".tsv");
        let invalid = |message: String| OpenError::Invalid {
            path: file.to_string(),
            message,
        };
        let mut pending = Vec::new();
        let (mut eof, mut taken) = (false, 0u64);
        // Enough of the file for its first line, to tell its separator by.
        while !eof && memchr::memchr(b'\n', &pending).is_none() && pending.len() < SNIFF_BYTES {
            let n = read_more(&mut src, &mut pending)
                .map_err(|e| invalid(format!("cannot read the CSV header: {e}")))?;
            taken += n as u64;
            eof = n == 0;
        }
        let delimiter = match opts.csv.delimiter {
            Some(d) => d,
            None if tsv => b'\t',
            None => sniff_delimiter(&pending),
        };
        // The header: the first row, read whole (line breaks in quotes and all).
        let mut rows = RowScanner::new(delimiter);
        let mut scanned = 0usize;
        let header_end = loop {
            if let Some(k) = rows.next_end(&pending[scanned..]) {
                break scanned + k;
            }
            scanned = pending.len();
            if eof {
                break pending.len();
            }
            if pending.len() > opts.max_record_bytes.max(1) {
                return Err(invalid(format!(
                    "the CSV header runs past {} bytes without ending (an unclosed quote?)",
                    pending.len()
                )));
            }
            let n = read_more(&mut src, &mut pending)
                .map_err(|e| invalid(format!("cannot read the CSV header: {e}")))?;
            taken += n as u64;
            eof = n == 0;
        };
        let mut header_reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(&pending[..header_end]);
        let mut rec = csv::ByteRecord::new();
        let got = header_reader
            .read_byte_record(&mut rec)
            .map_err(|e| invalid(format!("cannot read the CSV header: {e}")))?;
        let header: Vec<String> = rec
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim_start_matches('\u{feff}')
                    .to_string()
            })
            .collect();
        if !got || (header.len() <= 1 && header.first().is_none_or(|h| h.is_empty())) {
            return Err(invalid(
                "file is empty: a CSV input needs a header row".into(),
            ));
        }
        // A file of Reddit's export is known by its header, unless columns were mapped.
        let reddit = if opts.csv.columns.is_empty() {
            crate::reddit_export::Layout::of_header(&header, || {
                crate::reddit_export::owner_of(beside)
            })
        } else {
            None
        };
        let cols = match reddit {
            Some(_) => Columns::default(),
            None => Columns::resolve(&header, &opts.csv, &file)?,
        };
        let next_line = 1 + memchr::memchr_iter(b'\n', &pending[..header_end]).count() as u64;
        pending.drain(..header_end);
        Ok(CsvChunks {
            src,
            file,
            layout: Arc::new(CsvLayout {
                cols,
                header: header.iter().map(|h| h.as_bytes().to_vec()).collect(),
                delimiter,
                platform: opts.default_platform.clone().unwrap_or_default(),
                reddit,
            }),
            pending,
            scanned: 0,
            rows: RowScanner::new(delimiter),
            next_line,
            max_record: opts.max_record_bytes.max(1),
            chunk_bytes: opts.chunk_bytes.max(1),
            eof,
            done: false,
            skipping: None,
            any_row: false,
            queued: VecDeque::new(),
            pool: Default::default(),
            taken,
            reported: 0,
        })
    }

    fn diag(&mut self, line: u64, message: String) {
        self.queued.push_back(Chunk::Records {
            file: self.file.clone(),
            items: vec![(line, Err(Diagnostic::new(&*self.file, line, message)))],
            read: 0,
        });
    }

    /// Hand on `pending[..end]` (whole rows) as a chunk, after what is queued.
    fn emit(&mut self, end: usize) {
        let mut bytes = crate::pooled_buffer(&self.pool, end);
        bytes.extend_from_slice(&self.pending[..end]);
        let first_line = self.next_line;
        self.next_line += memchr::memchr_iter(b'\n', &bytes).count() as u64;
        self.pending.drain(..end);
        self.scanned -= end;
        // Rows other than empty lines (which the csv crate passes over).
        if !bytes.iter().all(|b| matches!(b, b'\n' | b'\r')) {
            self.any_row = true;
        }
        let read = (self.taken - self.reported) as usize;
        self.reported = self.taken;
        self.queued.push_back(Chunk::Csv {
            file: self.file.clone(),
            first_line,
            bytes: crate::PooledBytes {
                bytes,
                pool: self.pool.clone(),
            },
            layout: self.layout.clone(),
            read,
        });
    }

    /// Scan what is pending for whole rows; queue a chunk when there are enough (or, at
    /// a short read or the end, whatever there is). `false` when more input is needed.
    fn scan(&mut self) -> bool {
        let mut last_end = 0usize;
        loop {
            let Some(k) = self.rows.next_end(&self.pending[self.scanned..]) else {
                // The scanner has seen every pending byte (its state says where it is).
                self.scanned = self.pending.len();
                break;
            };
            self.scanned += k;
            let over = self.scanned - last_end > self.max_record;
            if over && self.skipping.is_none() {
                // A whole row longer than any record: the rows before it go on, it is a
                // diagnostic.
                if last_end > 0 {
                    self.emit(last_end);
                }
                self.over_long();
            }
            if let Some(line) = self.skipping.take() {
                // The end of an over-long row: dropped, its lines counted.
                let end = self.scanned;
                self.next_line =
                    line + memchr::memchr_iter(b'\n', &self.pending[..end]).count() as u64;
                self.pending.drain(..end);
                self.scanned = 0;
                last_end = 0;
                continue;
            }
            last_end = self.scanned;
            if last_end >= self.chunk_bytes {
                self.emit(last_end);
                return true;
            }
        }
        if let Some(line) = &mut self.skipping {
            // Inside an over-long row: keep nothing of it.
            *line += memchr::memchr_iter(b'\n', &self.pending[..self.scanned]).count() as u64;
            self.pending.drain(..self.scanned);
            self.scanned = 0;
        } else if self.pending.len() - last_end > self.max_record {
            // A row already longer than any record, its end not yet read (an unclosed
            // quote makes the rest of the file one row): passed over to its end.
            if last_end > 0 {
                self.emit(last_end);
            }
            self.over_long();
            return true;
        }
        if self.eof {
            self.done = true;
            if self.skipping.take().is_none() && !self.pending.is_empty() {
                // The last row, with no line break after it.
                self.scanned = self.pending.len();
                self.emit(self.pending.len());
            }
            if !self.any_row {
                self.diag(0, "CSV has a header but no rows".into());
            }
            return true;
        }
        if last_end > 0 {
            // A short read (a pipe with nothing more for now): hand on the rows there are.
            self.emit(last_end);
            return true;
        }
        false
    }

    /// The row at the start of `pending` is over `--max-record-bytes`: a diagnostic at its
    /// line, and the row passed over to its end.
    fn over_long(&mut self) {
        // Its own line: past the empty lines (a `\r\n`'s `\n`) it starts with.
        let blank = self
            .pending
            .iter()
            .take_while(|&&b| b == b'\n' || b == b'\r')
            .filter(|&&b| b == b'\n')
            .count() as u64;
        let line = self.next_line + blank;
        // A row, if not one that could be read: no "no rows" at the end.
        self.any_row = true;
        let max = self.max_record;
        // One wording whatever has been read of the row yet: the size of a read must not
        // change a report.
        let message = format!(
            "CSV row over the limit of {max} bytes (--max-record-bytes); skipped to its end \
             (a quote left open runs it to the end of the file)"
        );
        self.diag(line, message);
        self.skipping = Some(self.next_line);
    }
}

impl Iterator for CsvChunks {
    type Item = Chunk;
    fn next(&mut self) -> Option<Chunk> {
        loop {
            if let Some(c) = self.queued.pop_front() {
                return Some(c);
            }
            if self.done {
                return None;
            }
            if self.scan() {
                continue;
            }
            match read_more(&mut self.src, &mut self.pending) {
                Ok(n) => {
                    self.taken += n as u64;
                    self.eof = n == 0;
                }
                Err(e) => {
                    let line = self.next_line;
                    self.diag(
                        line,
                        format!("read error: {e}; the rest of the file is skipped"),
                    );
                    self.eof = true;
                }
            }
        }
    }
}

/// The line a record starts on in `bytes` (1 for the first line): the csv crate gives
/// the line where its read began, before the empty lines it passed over.
fn record_line(bytes: &[u8], pos: Option<&csv::Position>) -> u64 {
    let Some(pos) = pos else {
        return 1;
    };
    let from = (pos.byte() as usize).min(bytes.len());
    let blank = bytes[from..]
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .filter(|&&b| b == b'\n')
        .count();
    pos.line() + blank as u64
}

/// Read a chunk of CSV rows (whole rows, as [`CsvChunks`] cut them) into records: each
/// row's post, and its account's record the first time `seen` says the account (by its
/// key) is new. `first_line` is the line the chunk starts on.
pub(crate) fn parse_rows(
    layout: &CsvLayout,
    bytes: &[u8],
    file: &str,
    first_line: u64,
    mut seen: impl FnMut(u64) -> bool,
    mut f: impl FnMut(u64, Result<Record, Diagnostic>),
) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(layout.delimiter)
        .from_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line = first_line + record_line(bytes, rec.position()) - 1;
                if layout.is_header(&rec) {
                    let m = "the header row again (files joined one after another?): skipped; \
                             the rows after it are read by the first header's columns";
                    f(line, Err(Diagnostic::new(file, line, m.to_string())));
                    continue;
                }
                row(layout, &rec, line, file, &mut seen, &mut f);
            }
            Err(e) => {
                let line = first_line + e.position().map_or(1, |p| p.line()) - 1;
                f(
                    line,
                    Err(Diagnostic::new(file, line, format!("bad CSV row: {e}"))),
                );
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
            }
        }
    }
}

/// A URLs column's links: separated by spaces, `|` or `;`, or written as a list
/// (`[https://a.example/x, https://b.example/]`, or Python's `['...', '...']`, as Twitter's
/// information-operations archives have them).
fn split_urls(u: &str) -> Vec<String> {
    let list = u.strip_prefix('[').and_then(|l| l.strip_suffix(']'));
    let (body, seps): (&str, &[char]) = match list {
        Some(l) => (l, &[' ', '|', ';', ',']),
        None => (u, &[' ', '|', ';']),
    };
    body.split(seps)
        .map(|s| s.trim_matches(['\'', '"']))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// One row's records: its post, and its account's record the first time `seen` says the
/// account is new; or a diagnostic.
fn row(
    layout: &CsvLayout,
    rec: &csv::ByteRecord,
    line: u64,
    file: &str,
    seen: &mut impl FnMut(u64) -> bool,
    f: &mut impl FnMut(u64, Result<Record, Diagnostic>),
) {
    if let Some(r) = &layout.reddit {
        return reddit_row(layout, r, rec, line, file, seen, f);
    }
    let get = |f: usize| -> Result<Option<&str>, String> {
        let Some(i) = layout.cols.idx[f] else {
            return Ok(None);
        };
        let field = CSV_FIELDS[f].0;
        match rec.get(i) {
            None => Ok(None),
            // simdutf8 first (a text's 32 bytes a step); the standard check only to
            // word an error.
            Some(b) => simdutf8::basic::from_utf8(b)
                .or_else(|_| std::str::from_utf8(b))
                .map(|s| Some(s.trim()).filter(|s| !s.is_empty()))
                .map_err(|e| {
                    format!(
                        "column `{field}` is not valid UTF-8 (byte {})",
                        e.valid_up_to()
                    )
                }),
        }
    };
    let res = (|| -> Result<(Post, Option<Account>), String> {
        let text = get(field::TEXT)?.ok_or("row has no text")?.to_string();
        let id = get(field::ID)?
            .map(str::to_string)
            .unwrap_or_else(|| format!("line-{line}"));
        let platform = get(field::PLATFORM)?
            .map(str::to_string)
            .unwrap_or_else(|| layout.platform.clone());
        let handle = get(field::HANDLE)?.map(|h| h.trim_start_matches('@'));
        let account = get(field::ACCOUNT)?
            .or(handle)
            .unwrap_or_default()
            .to_string();
        let parse_u64 = |f: &str, v: Option<&str>| -> Result<Option<u64>, String> {
            v.map(|v| {
                v.replace([',', '_'], "")
                    .parse::<f64>()
                    .ok()
                    .filter(|n| *n >= 0.0)
                    .map(|n| n as u64)
                    .ok_or_else(|| format!("column `{f}` is not a count: {v:?}"))
            })
            .transpose()
        };
        let time = |f: &str, v: Option<&str>| -> Result<Option<i64>, String> {
            v.map(|v| {
                crate::parse_time(v)
                    .ok_or_else(|| format!("column `{f}` is not a timestamp I can read: {v:?}"))
            })
            .transpose()
        };
        let followers = parse_u64("followers", get(field::FOLLOWERS)?)?;
        let reach = parse_u64("reach", get(field::REACH)?)?.or(followers);
        let mut post = Post {
            id,
            platform: String::new(),
            account: String::new(),
            created_at: time("created_at", get(field::CREATED_AT)?)?,
            text,
            lang: get(field::LANG)?.map(str::to_string),
            urls: get(field::URLS)?.map(split_urls).unwrap_or_default(),
            media: crate::media_refs(
                get(field::MEDIA)?.map(split_urls).unwrap_or_default(),
                get(field::MEDIA_SHA256)?
                    .map(split_urls)
                    .unwrap_or_default(),
                get(field::MEDIA_PDQ)?.map(split_urls).unwrap_or_default(),
            )?,
            reply_to: get(field::REPLY_TO)?.map(str::to_string),
            share_of: get(field::SHARE_OF)?.map(str::to_string),
            first_version: get(field::FIRST_VERSION)?.map(str::to_string),
            place: get(field::PLACE)?.map(str::to_string),
            permalink: get(field::PERMALINK)?.map(str::to_string),
            reach,
            label: get(field::LABEL)?.map(parse_label).transpose()?.flatten(),
            category: get(field::CATEGORY)?.map(str::to_string),
        };
        let display_name = get(field::DISPLAY_NAME)?;
        let bio = get(field::BIO)?;
        let account_created_at = time("account_created_at", get(field::ACCOUNT_CREATED_AT)?)?;
        // An account record once per account: the first row that names it with any
        // profile column.
        let profiled =
            handle.is_some() || display_name.is_some() || bio.is_some() || followers.is_some();
        let acct = if !account.is_empty() && profiled && !seen(account_key(&platform, &account)) {
            Some(Account {
                id: account.clone(),
                platform: platform.clone(),
                handle: handle.map(str::to_string),
                display_name: display_name.map(str::to_string),
                bio: bio.map(str::to_string),
                created_at: account_created_at,
                avatar: None,
                followers,
                status: Default::default(),
                follows: Vec::new(),
            })
        } else {
            None
        };
        // Moved in last: only a row that makes an account record copies them.
        post.platform = platform;
        post.account = account;
        Ok((post, acct))
    })();
    match res {
        Ok((post, acct)) => {
            if let Some(a) = acct {
                f(line, Ok(Record::Account(Box::new(a))));
            }
            f(line, Ok(Record::Post(Box::new(post))));
        }
        Err(m) => f(line, Err(Diagnostic::new(file, line, m))),
    }
}

/// A row of a file of Reddit's export ([`crate::reddit_export`]): its post, and its
/// account's record the first time `seen` says the account is new.
fn reddit_row(
    layout: &CsvLayout,
    r: &crate::reddit_export::Layout,
    rec: &csv::ByteRecord,
    line: u64,
    file: &str,
    seen: &mut impl FnMut(u64) -> bool,
    f: &mut impl FnMut(u64, Result<Record, Diagnostic>),
) {
    let header = &layout.header;
    let get = |k: usize| -> Result<Option<&str>, String> {
        match rec.get(k) {
            None => Ok(None),
            Some(b) => simdutf8::basic::from_utf8(b)
                .map(|s| Some(s.trim()).filter(|s| !s.is_empty()))
                .map_err(|_| {
                    format!(
                        "column `{}` is not valid UTF-8",
                        String::from_utf8_lossy(header.get(k).map_or(&[][..], Vec::as_slice))
                    )
                }),
        }
    };
    let platform = if layout.platform.is_empty() {
        "reddit"
    } else {
        layout.platform.as_str()
    };
    match crate::reddit_export::post_of(r, platform, rec.len(), get) {
        Ok(Some(post)) => {
            if !post.account.is_empty() && !seen(account_key(&post.platform, &post.account)) {
                let a = crate::reddit_export::account_of(&post);
                f(line, Ok(Record::Account(Box::new(a))));
            }
            f(line, Ok(Record::Post(Box::new(post))));
        }
        Ok(None) => {}
        Err(m) => f(line, Err(Diagnostic::new(file, line, m))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every record of `bytes` as the csv crate reads it, with its line.
    fn csv_records(bytes: &[u8], first_line: u64) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut rec = csv::ByteRecord::new();
        let mut out = Vec::new();
        while r.read_byte_record(&mut rec).unwrap() {
            let line = first_line + record_line(bytes, rec.position()) - 1;
            out.push((line, rec.iter().map(<[u8]>::to_vec).collect()));
        }
        out
    }

    /// A file's posts and diagnostics, read with `chunk_bytes` and `max_record_bytes`.
    fn read(doc: &str, chunk: usize, max: usize) -> Vec<(u64, Result<String, String>)> {
        read_trickled(doc, 1 << 20, chunk, max)
    }

    /// `cat a.csv b.csv`: the second file's header (with Excel's byte-order mark or not) is
    /// a diagnostic, not a post whose text is "text" from an account named "username".
    #[test]
    fn a_header_row_again_is_skipped_with_a_diagnostic() {
        let doc = "\u{feff}id,username,text\n1,u1,a\n\u{feff}id,username,text\n2,u2,b\n\
                   id,username,text\n3,u3,text\n";
        let got = read(doc, 16, 1 << 20);
        let posts: Vec<&str> = got
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok())
            .filter(|t| !t.starts_with("account"))
            .map(String::as_str)
            .collect();
        assert_eq!(posts, ["1:u1:a", "2:u2:b", "3:u3:text"], "{got:?}");
        let diags: Vec<u64> = got
            .iter()
            .filter(|(_, r)| r.is_err())
            .map(|g| g.0)
            .collect();
        assert_eq!(diags, [3, 5], "{got:?}");
        assert!(got
            .iter()
            .any(|(_, r)| r.as_ref().is_err_and(|d| d.contains("header row again"))));
    }

    #[test]
    fn the_separator_is_told_from_the_header_line() {
        assert_eq!(sniff_delimiter(b"id,username,text\n1;2;3;4;5\n"), b',');
        assert_eq!(sniff_delimiter(b"id;username;text\r\n1,5;a"), b';');
        assert_eq!(sniff_delimiter(b"id\tusername\ttext"), b'\t');
        assert_eq!(sniff_delimiter(b"id|text\n"), b'|');
        // Separators inside quotes are not the file's.
        assert_eq!(sniff_delimiter(b"\"a;b;c\",\"d;e\",text\n"), b',');
        assert_eq!(sniff_delimiter(b"\"x, y\";text\n"), b';');
        // One column, or a tie: a comma.
        assert_eq!(sniff_delimiter(b"text\nhello; there"), b',');
        assert_eq!(sniff_delimiter(b"a,b;c\n"), b',');
        assert_eq!(sniff_delimiter(b""), b',');
    }

    #[test]
    fn a_semicolon_csv_reads_as_its_columns_and_a_one_column_header_says_what_to_do() {
        let doc = "id;username;text\n1;u1;\"hello, world\"\n2;u2;second\n";
        let got = read(doc, 1 << 20, 1 << 20);
        assert_eq!(
            got,
            vec![
                (2, Ok("account u1".into())),
                (2, Ok("1:u1:hello, world".into())),
                (3, Ok("account u2".into())),
                (3, Ok("2:u2:second".into()))
            ],
            "{got:?}"
        );
        // Told a comma, the header is one column; the message says which separator it holds.
        let opts = Options {
            csv: CsvMapping {
                delimiter: Some(b','),
                ..Default::default()
            },
            ..Default::default()
        };
        let src: crate::Reader = Box::new(std::io::Cursor::new(doc.as_bytes().to_vec()));
        let Err(OpenError::Invalid { message, .. }) =
            CsvChunks::new(src, "x.csv".into(), &opts, None)
        else {
            panic!("a one-column header read as a CSV without text")
        };
        assert!(message.contains("--csv-delimiter ';'"), "{message}");
    }

    proptest! {
        /// A header of two or more plain column names, joined by any of the separators, is
        /// told to be joined by it.
        #[test]
        fn any_header_gives_its_separator(
            names in proptest::collection::vec("[a-z_][a-z0-9_ ]{0,12}", 2..8),
            sep in prop::sample::select(vec![b',', b';', b'\t', b'|']),
            rest in "[ -~\n]{0,40}",
        ) {
            let mut head = names.join(std::str::from_utf8(&[sep]).unwrap()).into_bytes();
            head.push(b'\n');
            head.extend_from_slice(rest.as_bytes());
            prop_assert_eq!(sniff_delimiter(&head), sep);
        }

        /// Cut where the row scanner says rows end, the pieces read as the whole does:
        /// the same records, on the same lines. Fails if a quote or a line break is
        /// followed differently from the csv crate (a row cut inside a quoted field).
        #[test]
        fn rows_are_cut_where_the_csv_crate_ends_them(
            doc in proptest::collection::vec(prop_oneof![
                Just(b'a'), Just(b','), Just(b'"'), Just(b'\n'), Just(b'\r'), Just(b' '),
            ], 0..80),
        ) {
            let whole = csv_records(&doc, 1);
            let mut scanner = RowScanner::new(b',');
            let (mut start, mut at, mut line) = (0usize, 0usize, 1u64);
            let mut pieces = Vec::new();
            while let Some(k) = scanner.next_end(&doc[at..]) {
                at += k;
                pieces.extend(csv_records(&doc[start..at], line));
                line += doc[start..at].iter().filter(|&&b| b == b'\n').count() as u64;
                start = at;
            }
            pieces.extend(csv_records(&doc[start..], line));
            prop_assert_eq!(pieces, whole);
        }

        /// The reader gives the same posts, accounts and lines whatever its chunk size.
        #[test]
        fn any_chunk_size_reads_the_same(
            rows in proptest::collection::vec(("[a-c]{1,3}", "[a-z ,\"\n]{0,12}"), 1..20),
            chunk in 1usize..64,
        ) {
            let mut doc = String::from("id,username,text\n");
            for (i, (user, text)) in rows.iter().enumerate() {
                doc.push_str(&format!("{i},{user},\"{}\"\n", text.replace('"', "\"\"")));
            }
            prop_assert_eq!(read(&doc, chunk, 1 << 20), read(&doc, 1 << 20, 1 << 20));
        }
    }

    /// A reader that gives at most `step` bytes a read (a pipe, a slow disk).
    struct Trickle(std::io::Cursor<Vec<u8>>, usize);
    impl std::io::Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.1);
            self.0.read(&mut buf[..n])
        }
    }

    fn read_trickled(
        doc: &str,
        step: usize,
        chunk: usize,
        max: usize,
    ) -> Vec<(u64, Result<String, String>)> {
        let opts = Options {
            chunk_bytes: chunk,
            max_record_bytes: max,
            ..Default::default()
        };
        let src: Reader = Box::new(std::io::BufReader::with_capacity(
            step,
            Trickle(std::io::Cursor::new(doc.as_bytes().to_vec()), step),
        ));
        let mut out = Vec::new();
        let mut state = crate::ReadState::default();
        for c in CsvChunks::new(src, Arc::from("t.csv"), &opts, None).unwrap() {
            c.for_each_record_reusing(&mut state, |l, r, _| match r {
                Ok(Record::Post(p)) => {
                    out.push((l, Ok(format!("{}:{}:{}", p.id, p.account, p.text))))
                }
                Ok(Record::Account(a)) => out.push((l, Ok(format!("account {}", a.id)))),
                Err(d) => out.push((l, Err(d.message))),
            });
        }
        out
    }

    proptest! {
        /// Read a few bytes at a time, in chunks of any size, with rows over the limit
        /// among them: the same records, diagnostics and lines as read whole.
        #[test]
        fn a_trickle_reads_as_the_whole_does(
            rows in proptest::collection::vec(("[a-c]{1,3}", "[a-z ,\"\n\r]{0,40}"), 1..16),
            step in 1usize..40,
            chunk in 1usize..200,
        ) {
            let mut doc = String::from("id,username,text\r\n");
            for (i, (user, text)) in rows.iter().enumerate() {
                doc.push_str(&format!("{i},{user},\"{}\"\n", text.replace('"', "\"\"")));
            }
            let whole = read_trickled(&doc, 1 << 20, 1 << 20, 30);
            prop_assert_eq!(read_trickled(&doc, step, chunk, 30), whole);
        }
    }

    #[test]
    fn an_over_long_row_is_skipped_and_the_rows_after_read() {
        let long = "x".repeat(500);
        let doc = format!("id,text\n1,short\n2,\"{long}\nstill the same row\"\n3,after\n");
        let long_row = "CSV row over the limit of 200 bytes (--max-record-bytes); skipped to \
                        its end (a quote left open runs it to the end of the file)";
        // The same lines with `\r\n` line ends (the text's own line break too).
        let crlf = doc.replace('\n', "\r\n");
        for (doc, chunk) in [
            (&doc, 1),
            (&doc, 7),
            (&doc, 1 << 20),
            (&crlf, 1),
            (&crlf, 1 << 20),
        ] {
            let got = read(doc, chunk, 200);
            assert_eq!(
                got,
                vec![
                    (2, Ok("1::short".to_string())),
                    (3, Err(long_row.to_string())),
                    (5, Ok("3::after".to_string())),
                ],
                "chunk {chunk}, {} line ends",
                if doc.contains('\r') { "CRLF" } else { "LF" }
            );
        }
        // An unclosed quote: the rest of the file is one row, over the limit.
        let doc = format!(
            "id,text\n1,fine\n2,\"never closed\n{}",
            "3,lost\n".repeat(100)
        );
        let got = read(&doc, 1 << 20, 200);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            matches!(&got[1], (3, Err(m)) if m.contains("quote left open")),
            "{got:?}"
        );
    }

    #[test]
    fn a_last_row_without_a_line_break_and_crlf_rows_are_read() {
        let got = read("id,text\r\n1,a\r\n2,\"b\r\nc\"\r\n3,d", 1 << 20, 1 << 20);
        assert_eq!(
            got,
            vec![
                (2, Ok("1::a".to_string())),
                (3, Ok("2::b\r\nc".to_string())),
                (5, Ok("3::d".to_string())),
            ]
        );
        let got = read("id,text\n\n\r\n", 1 << 20, 1 << 20);
        assert!(
            matches!(&got[..], [(0, Err(m))] if m.contains("no rows")),
            "{got:?}"
        );
        let got = read("id,text\n\n  \n", 1 << 20, 1 << 20);
        assert!(
            matches!(&got[..], [(3, Err(m))] if m.contains("no text")),
            "{got:?}"
        );
    }

    #[test]
    fn url_columns_read_as_lists_or_separated() {
        assert_eq!(
            split_urls("https://a.example/x https://b.example/|https://c.example/"),
            [
                "https://a.example/x",
                "https://b.example/",
                "https://c.example/"
            ]
        );
        assert_eq!(
            split_urls("['https://a.example/?q=1', 'http://b.example/']"),
            ["https://a.example/?q=1", "http://b.example/"]
        );
        assert_eq!(split_urls("[https://a.example/]"), ["https://a.example/"]);
        assert_eq!(split_urls("[]"), Vec::<String>::new());
        // A comma in a URL that is not in a list stays.
        assert_eq!(
            split_urls("https://a.example/a,b"),
            ["https://a.example/a,b"]
        );
    }

    #[test]
    fn field_places_name_their_fields() {
        use field::*;
        let places = [
            (ID, "id"),
            (TEXT, "text"),
            (LABEL, "label"),
            (LANG, "lang"),
            (PLATFORM, "platform"),
            (ACCOUNT, "account"),
            (HANDLE, "handle"),
            (DISPLAY_NAME, "display_name"),
            (BIO, "bio"),
            (FOLLOWERS, "followers"),
            (CREATED_AT, "created_at"),
            (ACCOUNT_CREATED_AT, "account_created_at"),
            (REACH, "reach"),
            (URLS, "urls"),
            (REPLY_TO, "reply_to"),
            (SHARE_OF, "share_of"),
            (MEDIA, "media"),
            (MEDIA_SHA256, "media_sha256"),
            (MEDIA_PDQ, "media_pdq"),
            (FIRST_VERSION, "first_version"),
            (CATEGORY, "category"),
            (PLACE, "place"),
            (PERMALINK, "permalink"),
        ];
        assert_eq!(places.len(), CSV_FIELDS.len());
        for (i, name) in places {
            assert_eq!(CSV_FIELDS[i].0, name);
        }
    }

    #[test]
    fn mapping_parses_and_rejects_unknown_fields() {
        let m: CsvMapping = "text=tweet, account=uid".parse().unwrap();
        assert_eq!(m.columns["text"], "tweet");
        assert!("txt=tweet"
            .parse::<CsvMapping>()
            .unwrap_err()
            .contains("unknown field"));
        assert!("text"
            .parse::<CsvMapping>()
            .unwrap_err()
            .contains("FIELD=COLUMN"));
    }
}
