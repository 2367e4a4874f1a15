//! Zip archives, read as the folder they hold: how exports are handed over (Twitter's
//! account archive is a zip; a Telegram export or a folder of dumps is zipped to be sent).
//!
//! A zip's index (the central directory) is at its end, so an archive is read from a file,
//! not a stream: the index is read with the `zip` crate, and each member chosen as a
//! folder's files are ([`crate::tar::is_member_input`]) is opened at its data and
//! decompressed here as a stream (stored, deflate, Deflate64, bzip2, zstd, xz), its
//! CRC-32 and size checked at its end. A member is then a file of its own,
//! `ARCHIVE/MEMBER`, with its own compression, format and line numbers; a Twitter
//! archive's `tweets.js` reads the `account.js` beside it in the archive
//! ([`crate::beside::Beside`]).
//!
//! Members are taken in name order, as a folder's files are; hidden ones and macOS's
//! `__MACOSX/` copies are passed over, and an export's HTML pages where a `result.json`
//! holds the same messages. An encrypted member, or one compressed another way, is a
//! diagnostic that says what to do; a damaged one is read up to the damage.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::sync::{Arc, Mutex};

use crate::beside::Beside;
use crate::tar::{diagnostic_chunk, is_member_input, no_input_message};
use crate::{Chunk, OpenError, Options};

/// The most of a member read whole (a Twitter archive's `account.js`, `note-tweet.js`).
const WHOLE_MAX: u64 = 1 << 30;

/// Whether the file at `path` is a zip archive, by its first four bytes (a local file
/// header, or the end of an empty archive). `false` for anything that cannot be read: its
/// opening says why.
pub(crate) fn is_zip_file(path: &str) -> bool {
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && is_zip_magic(&magic)
}

/// Whether bytes start as a zip archive does.
pub(crate) fn is_zip_magic(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// A zip archive's index: its file members and where their data is.
pub(crate) struct ZipIndex {
    /// The archive's path.
    archive: String,
    zip: Mutex<::zip::ZipArchive<BufReader<File>>>,
    /// The file members by name (a leading `./` or `/` dropped), in the order a folder's
    /// walk takes its files, with their numbers in the archive.
    files: Vec<(String, usize)>,
    by_name: HashMap<String, usize>,
}

/// A member's name as a path inside the archive: `./` and `/` at its start dropped, `\`
/// (written by some Windows tools) read as `/`.
fn clean_name(name: &str) -> String {
    let name = name.replace('\\', "/");
    let mut s = name.as_str();
    loop {
        if let Some(r) = s.strip_prefix("./") {
            s = r;
        } else if let Some(r) = s.strip_prefix('/') {
            s = r;
        } else {
            return s.to_string();
        }
    }
}

impl ZipIndex {
    /// Read the index of the archive at `path`.
    pub(crate) fn open(path: &str) -> Result<ZipIndex, OpenError> {
        let file = File::open(path).map_err(|e| OpenError::Io {
            path: path.to_string(),
            error: e,
        })?;
        let zip = ::zip::ZipArchive::new(BufReader::new(file)).map_err(|e| OpenError::Invalid {
            path: path.to_string(),
            message: format!(
                "is a zip archive whose index (at its end) cannot be read: {e}. An archive \
                 cut short (a download that stopped) has lost its index: download it again, \
                 or recover the members before the cut with `zip -FF FILE --out FIXED.zip`"
            ),
        })?;
        let mut files = Vec::new();
        for i in 0..zip.len() {
            let Ok(entry) = zip.by_index_data(i) else {
                continue;
            };
            if entry.is_dir() || entry.is_symlink() {
                continue;
            }
            let name = match entry.name() {
                Ok(n) => clean_name(&n),
                Err(_) => clean_name(&String::from_utf8_lossy(entry.name_raw())),
            };
            if !name.is_empty() && !name.ends_with('/') {
                files.push((name, i));
            }
        }
        files.sort_by(|a, b| a.0.split('/').cmp(b.0.split('/')));
        let by_name = files.iter().map(|(n, i)| (n.clone(), *i)).collect();
        Ok(ZipIndex {
            archive: path.to_string(),
            zip: Mutex::new(zip),
            files,
            by_name,
        })
    }

    /// How a member is named in messages and reports: `ARCHIVE/MEMBER`.
    pub(crate) fn shown(&self, name: &str) -> String {
        format!("{}/{name}", self.archive)
    }

    /// The names (without the folder) of the files directly in `dir` (empty, or ending
    /// with `/`), in name order.
    pub(crate) fn names_in(&self, dir: &str) -> Vec<String> {
        self.files
            .iter()
            .filter_map(|(n, _)| n.strip_prefix(dir))
            .filter(|rest| !rest.contains('/'))
            .map(str::to_string)
            .collect()
    }

    /// The member `name`, decompressed, its size and CRC-32 checked at its end.
    pub(crate) fn member(&self, name: &str) -> Result<Box<dyn Read + Send>, String> {
        let i = *self
            .by_name
            .get(name)
            .ok_or_else(|| "not in the archive".to_string())?;
        self.open_number(i).map(|(r, _)| r)
    }

    /// The whole of member `name`; `Ok(None)` where the archive has none.
    pub(crate) fn read_whole(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        let Some(&i) = self.by_name.get(name) else {
            return Ok(None);
        };
        let (reader, size) = self.open_number(i)?;
        if size > WHOLE_MAX {
            return Err(format!(
                "{size} bytes, more than the {WHOLE_MAX} read whole; extract the archive and \
                 give the folder"
            ));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        reader
            .take(WHOLE_MAX + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        Ok(Some(bytes))
    }

    /// Member number `i` as a decompressed stream, with its declared size.
    fn open_number(&self, i: usize) -> Result<(Box<dyn Read + Send>, u64), String> {
        let (start, compressed, size, crc, method, encrypted) = {
            let mut zip = self.zip.lock().unwrap_or_else(|e| e.into_inner());
            let f = zip.by_index_raw(i).map_err(|e| e.to_string())?;
            #[allow(deprecated)] // the number is what a message names
            let method = f.compression().to_u16();
            (
                f.data_start(),
                f.compressed_size(),
                f.size(),
                f.crc32(),
                method,
                f.encrypted(),
            )
        };
        if encrypted {
            return Err(
                "is encrypted, and raqib takes no password: extract the archive \
                        with its password (`7z x FILE -oDIR`) and give the folder"
                    .into(),
            );
        }
        let start = start.ok_or_else(|| "its data cannot be found".to_string())?;
        let mut file = File::open(&self.archive).map_err(|e| e.to_string())?;
        file.seek(SeekFrom::Start(start))
            .map_err(|e| e.to_string())?;
        let raw = BufReader::with_capacity(1 << 16, file.take(compressed));
        let decoded: Box<dyn Read + Send> = match method {
            0 => Box::new(raw),
            8 => Box::new(flate2::bufread::DeflateDecoder::new(raw)),
            9 => Box::new(deflate64::Deflate64Decoder::with_buffer(raw)),
            12 => Box::new(bzip2::bufread::BzDecoder::new(raw)),
            93 => Box::new(
                ruzstd::decoding::StreamingDecoder::new(raw)
                    .map_err(|e| format!("zstd that cannot be decoded: {e}"))?,
            ),
            95 => Box::new(lzma_rust2::XzReader::new(raw, false)),
            m => {
                let what = match m {
                    1..=6 => "an obsolete method (Shrink, Reduce or Implode)",
                    14 => "LZMA",
                    98 => "PPMd",
                    99 => "AES encryption",
                    _ => "a method raqib does not know",
                };
                return Err(format!(
                    "is compressed with {what} (zip method {m}), which raqib does not undo: \
                     extract the archive (`7z x FILE -oDIR`) and give the folder"
                ));
            }
        };
        Ok((
            Box::new(Checked {
                inner: decoded,
                crc: crc32fast::Hasher::new(),
                got: 0,
                size,
                want: crc,
            }),
            size,
        ))
    }
}

/// A member's decompressed bytes, checked against the size and CRC-32 its index gives:
/// a damaged member ends in a read error, after the bytes before the damage.
struct Checked {
    inner: Box<dyn Read + Send>,
    crc: crc32fast::Hasher,
    got: u64,
    size: u64,
    want: u32,
}

impl Read for Checked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let damaged = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
        let n = self.inner.read(buf)?;
        self.got += n as u64;
        if self.got > self.size {
            return Err(damaged(format!(
                "the member holds more than the {} bytes its index gives: damaged",
                self.size
            )));
        }
        self.crc.update(&buf[..n]);
        if n == 0 && !buf.is_empty() {
            if self.got < self.size {
                return Err(damaged(format!(
                    "the member ends after {} of its {} bytes: damaged or cut short",
                    self.got, self.size
                )));
            }
            let crc = self.crc.clone().finalize();
            if crc != self.want {
                return Err(damaged(format!(
                    "the member's CRC-32 is {crc:08x} where its index gives {:08x}: damaged",
                    self.want
                )));
            }
        }
        Ok(n)
    }
}

/// Whether a member is left out whatever its name: hidden (a component starting with a
/// dot, as a folder's walk passes over) or one of macOS's `__MACOSX/` resource copies.
fn is_hidden(name: &str) -> bool {
    name.split('/')
        .any(|c| c.starts_with('.') || c == "__MACOSX")
}

/// The chunks of a zip archive: each input member's, in name order.
pub(crate) struct ZipChunks {
    index: Arc<ZipIndex>,
    /// The members to read, as positions in the index's files.
    chosen: std::vec::IntoIter<usize>,
    opts: Options,
    current: Option<Box<dyn Iterator<Item = Chunk> + Send>>,
    /// Members left out: by their names, and HTML pages doubled by a `result.json`.
    left_out: usize,
    doubled: usize,
    /// Whether any member was chosen.
    any: bool,
    done: bool,
}

impl ZipChunks {
    pub(crate) fn open(path: &str, opts: &Options) -> Result<ZipChunks, OpenError> {
        let index = ZipIndex::open(path)?;
        let base = |n: &str| n.rsplit('/').next().unwrap_or(n).to_string();
        let dir_of = |n: &str| n.rfind('/').map_or("", |k| &n[..=k]).to_string();
        // The folders holding a Telegram JSON export: their HTML pages are the same
        // messages again, as a folder's walk leaves them out.
        let json_exports: Vec<String> = index
            .files
            .iter()
            .filter(|(n, _)| !is_hidden(n) && base(n).eq_ignore_ascii_case("result.json"))
            .map(|(n, _)| dir_of(n))
            .collect();
        let (mut chosen, mut left_out, mut doubled) = (Vec::new(), 0, 0);
        for (k, (name, _)) in index.files.iter().enumerate() {
            let b = base(name);
            if is_hidden(name) || !is_member_input(&b) {
                left_out += 1;
            } else if crate::is_telegram_page(&b)
                && json_exports.iter().any(|d| name.starts_with(d.as_str()))
            {
                doubled += 1;
            } else {
                chosen.push(k);
            }
        }
        Ok(ZipChunks {
            any: !chosen.is_empty(),
            index: Arc::new(index),
            chosen: chosen.into_iter(),
            opts: opts.clone(),
            current: None,
            left_out,
            doubled,
            done: false,
        })
    }

    /// Open the next chosen member, or say why it cannot be read.
    fn advance(&mut self) -> Option<Chunk> {
        let Some(k) = self.chosen.next() else {
            self.done = true;
            if !self.any {
                let archive = &self.index.archive;
                return Some(diagnostic_chunk(
                    archive,
                    no_input_message(self.left_out + self.doubled),
                ));
            }
            return None;
        };
        let (name, i) = self.index.files[k].clone();
        let path = self.index.shown(&name);
        let dir = name.rfind('/').map_or("", |j| &name[..=j]).to_string();
        let opened = self
            .index
            .open_number(i)
            .map_err(|message| OpenError::Invalid {
                path: path.clone(),
                message,
            })
            .and_then(|(member, _)| crate::input::open_reader(member, &path))
            .and_then(|o| {
                let beside = Beside::Zip(self.index.clone(), dir);
                crate::chunks_of(o, &path, &self.opts, Some(beside))
            });
        match opened {
            Ok(chunks) => {
                self.current = Some(chunks);
                None
            }
            Err(e) => Some(diagnostic_chunk(&path, e.to_string())),
        }
    }
}

impl Iterator for ZipChunks {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        loop {
            if let Some(c) = self.current.as_mut().and_then(|it| it.next()) {
                return Some(c);
            }
            self.current = None;
            if self.done {
                return None;
            }
            if let Some(d) = self.advance() {
                return Some(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_and_hidden_ones_known() {
        assert_eq!(clean_name("./data/tweets.js"), "data/tweets.js");
        assert_eq!(clean_name("/a.jsonl"), "a.jsonl");
        assert_eq!(clean_name("dir\\a.csv"), "dir/a.csv");
        assert!(is_hidden("__MACOSX/data/._tweets.js"));
        assert!(is_hidden("data/.hidden.jsonl"));
        assert!(!is_hidden("data/tweets.js"));
    }

    #[test]
    fn the_magic_says_zip() {
        assert!(is_zip_magic(b"PK\x03\x04rest"));
        assert!(is_zip_magic(b"PK\x05\x06"));
        assert!(!is_zip_magic(b"PK"));
        assert!(!is_zip_magic(b"{\"id\":1}"));
    }
}
