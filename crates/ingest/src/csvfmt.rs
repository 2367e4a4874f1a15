//! CSV with a header row. Columns are found by name: raqib's field names and common
//! aliases need no mapping (so `id, username, display_name, bio, followers, created_at,
//! text, label, lang` loads as it is); anything else is mapped with `FIELD=COLUMN`.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::sync::Arc;

use crate::Item;
use raqib_model::{Account, Diagnostic, Post, Record};

use crate::jsonl::parse_label;
use crate::{Chunk, OpenError, Options};

/// The fields a CSV column can fill, with the column names found without a mapping.
pub const CSV_FIELDS: &[(&str, &[&str])] = &[
    (
        "id",
        &["id", "post_id", "tweet_id", "tweetid", "message_id"],
    ),
    (
        "text",
        &["text", "tweet", "tweets", "content", "message", "body"],
    ),
    ("label", &["label", "class", "is_propaganda"]),
    ("lang", &["lang", "language"]),
    ("platform", &["platform"]),
    (
        "account",
        &["account", "account_id", "user_id", "author_id", "userid"],
    ),
    ("handle", &["username", "handle", "screen_name", "user"]),
    ("display_name", &["display_name", "name", "user_name"]),
    ("bio", &["bio", "description", "user_description"]),
    (
        "followers",
        &["followers", "followers_count", "follower_count"],
    ),
    ("created_at", &["created_at", "time", "timestamp", "date"]),
    (
        "account_created_at",
        &["account_created_at", "user_created_at"],
    ),
    ("reach", &["reach", "views", "impressions"]),
    ("urls", &["urls", "url"]),
    (
        "reply_to",
        &["reply_to", "in_reply_to", "in_reply_to_status_id"],
    ),
    (
        "share_of",
        &["share_of", "retweet_of", "retweeted_status_id"],
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
                        header.join(", ")
                    ),
                })?;
                *slot = Some(i);
            } else if let Some(i) = aliases.iter().find_map(|a| find(a)) {
                *slot = Some(i);
            }
        }
        if idx[field::TEXT].is_none() {
            return Err(OpenError::Invalid {
                path: path.to_string(),
                message: format!(
                    "CSV header has no text column (looked for {}); map one with --csv-map text=COLUMN. The header has: {}",
                    CSV_FIELDS[field::TEXT].1.join(", "),
                    header.join(", ")
                ),
            });
        }
        Ok(Columns { idx })
    }
}

pub(crate) struct CsvChunks {
    reader: csv::Reader<Box<dyn BufRead + Send>>,
    file: Arc<str>,
    cols: Columns,
    platform: String,
    /// Keys of the accounts whose record was made (see [`account_key`]).
    seen_accounts: HashSet<u64, std::hash::BuildHasherDefault<KeyHasher>>,
    done: bool,
    rows: u64,
    /// The input byte the last chunk ended at.
    read_to: u64,
}

const ROWS_PER_CHUNK: usize = 4096;

/// An account's key: a 64-bit hash of platform and id (the scan keys its aggregates the
/// same way). Two accounts share one only by a hash collision, about three chances in a
/// million among ten million accounts; the second would then have no profile record.
fn account_key(platform: &str, id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(
        id.as_bytes(),
        xxhash_rust::xxh3::xxh3_64(platform.as_bytes()),
    )
}

/// A hasher for keys that are hashes already: the key is its own hash.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed; other input still hashes, if slowly.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl CsvChunks {
    pub(crate) fn new(
        reader: Box<dyn BufRead + Send>,
        file: Arc<str>,
        opts: &Options,
    ) -> Result<Self, OpenError> {
        let tsv = file
            .trim_end_matches(".gz")
            .trim_end_matches(".zst")
            .ends_with(".tsv");
        let delimiter = opts.csv.delimiter.unwrap_or(if tsv { b'\t' } else { b',' });
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(reader);
        let header = reader.byte_headers().map_err(|e| OpenError::Invalid {
            path: file.to_string(),
            message: format!("cannot read the CSV header: {e}"),
        })?;
        let header: Vec<String> = header
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim_start_matches('\u{feff}')
                    .to_string()
            })
            .collect();
        if header.len() <= 1 && header.first().is_none_or(|h| h.is_empty()) {
            return Err(OpenError::Invalid {
                path: file.to_string(),
                message: "file is empty: a CSV input needs a header row".into(),
            });
        }
        let cols = Columns::resolve(&header, &opts.csv, &file)?;
        Ok(CsvChunks {
            reader,
            file,
            cols,
            platform: opts.default_platform.clone().unwrap_or_default(),
            seen_accounts: HashSet::default(),
            done: false,
            rows: 0,
            read_to: 0,
        })
    }

    fn row(&mut self, rec: &csv::ByteRecord, line: u64, out: &mut Vec<Item>) {
        let get = |f: usize| -> Result<Option<&str>, String> {
            let Some(i) = self.cols.idx[f] else {
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
                .unwrap_or_else(|| self.platform.clone());
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
                urls: get(field::URLS)?
                    .map(|u| {
                        u.split([' ', '|', ';'])
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                media: Vec::new(),
                reply_to: get(field::REPLY_TO)?.map(str::to_string),
                share_of: get(field::SHARE_OF)?.map(str::to_string),
                reach,
                label: get(field::LABEL)?.map(parse_label).transpose()?.flatten(),
            };
            let display_name = get(field::DISPLAY_NAME)?;
            let bio = get(field::BIO)?;
            let account_created_at = time("account_created_at", get(field::ACCOUNT_CREATED_AT)?)?;
            // An account record once per account: the first row that names it with any
            // profile column.
            let profiled =
                handle.is_some() || display_name.is_some() || bio.is_some() || followers.is_some();
            let acct = if !account.is_empty()
                && profiled
                && self.seen_accounts.insert(account_key(&platform, &account))
            {
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
                    out.push((line, Ok(Record::Account(Box::new(a)))));
                }
                out.push((line, Ok(Record::Post(Box::new(post)))));
            }
            Err(m) => out.push((line, Err(Diagnostic::new(&*self.file, line, m)))),
        }
    }
}

impl Iterator for CsvChunks {
    type Item = Chunk;
    fn next(&mut self) -> Option<Chunk> {
        if self.done {
            return None;
        }
        let mut out = Vec::with_capacity(ROWS_PER_CHUNK);
        let mut rec = csv::ByteRecord::new();
        while out.len() < ROWS_PER_CHUNK {
            match self.reader.read_byte_record(&mut rec) {
                Ok(false) => {
                    self.done = true;
                    if self.rows == 0 {
                        let d = Diagnostic::new(&*self.file, 0, "CSV has a header but no rows");
                        out.push((0, Err(d)));
                    }
                    break;
                }
                Ok(true) => {
                    self.rows += 1;
                    let line = rec.position().map_or(0, |p| p.line());
                    self.row(&rec, line, &mut out);
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    let fatal = matches!(e.kind(), csv::ErrorKind::Io(_));
                    let d = Diagnostic::new(&*self.file, line, format!("bad CSV row: {e}"));
                    out.push((line, Err(d)));
                    if fatal {
                        self.done = true;
                        break;
                    }
                }
            }
        }
        if out.is_empty() {
            None
        } else {
            let at = self.reader.position().byte();
            let read = at.saturating_sub(self.read_to) as usize;
            self.read_to = at;
            Some(Chunk::Records {
                file: self.file.clone(),
                items: out,
                read,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
