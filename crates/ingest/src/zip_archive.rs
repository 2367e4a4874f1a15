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
//! diagnostic that says what to do; a damaged one is read up to the damage. An archive
//! whose index cannot be read (cut short: a download that stopped) is read by its members'
//! own headers from its start ([`find_members`]), up to the cut.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

use crate::beside::Beside;
use crate::tar::{diagnostic_chunk, is_member_input, no_input_message, Members};
use crate::{Chunk, OpenError, Options};

/// The most of a member read whole (a Twitter archive's `account.js`, `note-tweet.js`).
const WHOLE_MAX: u64 = 1 << 30;

/// Whether the file at `path` is a zip archive, by its first four bytes (a local file
/// header, or the end of an empty archive). `false` for anything that cannot be read (its
/// opening says why) and for anything but a regular file: the bytes of a named pipe
/// (`raqib scan <(zcat dump.gz)`) would be lost to the look.
pub(crate) fn is_zip_file(path: &str) -> bool {
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
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
    /// The archive's name in messages and reports: its path, or for a zip that came as a
    /// stream the name of the stream (`-`, `dump.zip.gz`, `bundle.tar/inner.zip`).
    archive: String,
    /// Its bytes: the archive's file, or the copy a stream was spooled to (a file with no
    /// name, so nothing is left behind however raqib ends), read at a member's offset by
    /// each reader on its own.
    data: Arc<File>,
    /// The archive's own index, where it could be read.
    zip: Option<Mutex<::zip::ZipArchive<BufReader<File>>>>,
    /// The file members by name (a leading `./` or `/` dropped), in the order a folder's
    /// walk takes its files.
    files: Vec<(String, Member)>,
    by_name: HashMap<String, usize>,
    /// Why the index could not be read, where the members were found by their own headers.
    pub(crate) recovered: Option<String>,
}

/// Where a member is: its number in the archive's index, or found by its own header.
#[derive(Clone)]
pub(crate) enum Member {
    Indexed(usize),
    Found(Entry),
}

/// Where a member's data is and how it is packed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    start: u64,
    compressed: u64,
    /// Its size and CRC-32 as known (from the index, or found decoding it); none for a
    /// member the archive ends inside.
    size: Option<u64>,
    crc: Option<u32>,
    method: u16,
    encrypted: bool,
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
    /// Read the index of the archive at `path`; where it cannot be read (an archive cut
    /// short loses it), find the members by their own headers from the start.
    pub(crate) fn open(path: &str) -> Result<ZipIndex, OpenError> {
        let file = File::open(path).map_err(|e| OpenError::Io {
            path: path.to_string(),
            error: e,
        })?;
        Self::of_file(file, path)
    }

    /// [`ZipIndex::open`] for the archive whose bytes are `file` (its own, or the copy of a
    /// stream), named `path`.
    fn of_file(file: File, path: &str) -> Result<ZipIndex, OpenError> {
        let io = |e: std::io::Error| OpenError::Io {
            path: path.to_string(),
            error: e,
        };
        let data = Arc::new(file);
        // The index's reader has a handle of its own, whose position it moves (under its
        // lock); members are read by offset, which on Unix moves none.
        let handle = || data.try_clone().map_err(io);
        let (zip, mut files, recovered) = match ::zip::ZipArchive::new(BufReader::new(handle()?)) {
            Ok(zip) => {
                let mut files = Vec::new();
                for i in 0..zip.len() {
                    let Ok(entry) = zip.by_index_data(i) else {
                        continue;
                    };
                    if entry.is_dir() || entry.is_symlink() {
                        continue;
                    }
                    let name = match entry.name() {
                        Ok(n) => n.into_owned(),
                        Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
                    };
                    files.push((name, Member::Indexed(i)));
                }
                (Some(Mutex::new(zip)), files, None)
            }
            Err(e) => {
                let found = find_members(&mut BufReader::new(handle()?)).map_err(io)?;
                if found.is_empty() {
                    return Err(OpenError::Invalid {
                        path: path.to_string(),
                        message: format!(
                            "is a zip archive whose index (at its end) cannot be read ({e}), \
                             and no member's own header could be read from its start: \
                             download it again"
                        ),
                    });
                }
                let files = found
                    .into_iter()
                    .map(|(n, e)| (n, Member::Found(e)))
                    .collect();
                (None, files, Some(e.to_string()))
            }
        };
        files.retain_mut(|(name, _)| {
            *name = clean_name(name);
            !name.is_empty() && !name.ends_with('/')
        });
        files.sort_by(|a, b| a.0.split('/').cmp(b.0.split('/')));
        let by_name = files
            .iter()
            .enumerate()
            .map(|(k, (n, _))| (n.clone(), k))
            .collect();
        Ok(ZipIndex {
            archive: path.to_string(),
            data,
            zip,
            files,
            by_name,
            recovered,
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
        let k = *self
            .by_name
            .get(name)
            .ok_or_else(|| "not in the archive".to_string())?;
        self.open_file(k).map(|(r, _)| r)
    }

    /// The whole of member `name`; `Ok(None)` where the archive has none.
    pub(crate) fn read_whole(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        let Some(&k) = self.by_name.get(name) else {
            return Ok(None);
        };
        let (reader, size) = self.open_file(k)?;
        let size = size.unwrap_or(0);
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

    /// Where member number `i` of the archive's index is.
    fn indexed(&self, i: usize) -> Result<Entry, String> {
        let zip = self.zip.as_ref().ok_or("no index")?;
        let mut zip = zip.lock().unwrap_or_else(|e| e.into_inner());
        let f = zip.by_index_raw(i).map_err(|e| e.to_string())?;
        #[allow(deprecated)] // the number is what a message names
        let method = f.compression().to_u16();
        Ok(Entry {
            start: f
                .data_start()
                .ok_or_else(|| "its data cannot be found".to_string())?,
            compressed: f.compressed_size(),
            size: Some(f.size()),
            crc: Some(f.crc32()),
            method,
            encrypted: f.encrypted(),
        })
    }

    /// The `k`th of the files as a decompressed stream, with its size where known.
    fn open_file(&self, k: usize) -> Result<(Box<dyn Read + Send>, Option<u64>), String> {
        let entry = match &self.files[k].1 {
            Member::Indexed(i) => self.indexed(*i)?,
            Member::Found(e) => e.clone(),
        };
        if entry.encrypted {
            return Err(
                "is encrypted, and raqib takes no password: extract the archive with its \
                 password (`7z x FILE -oDIR`) and give the folder"
                    .into(),
            );
        }
        let at = At {
            file: self.data.clone(),
            pos: entry.start,
            end: entry.start.saturating_add(entry.compressed),
        };
        let raw = BufReader::with_capacity(1 << 16, at);
        let decoded = decoder(raw, entry.method)?;
        Ok((
            Box::new(Checked {
                inner: decoded,
                crc: crc32fast::Hasher::new(),
                got: 0,
                size: entry.size,
                want: entry.crc,
            }),
            entry.size,
        ))
    }
}

/// The bytes of a file from `pos` to `end`, read by offset: readers of one file's members
/// share its handle and never move its position.
pub(crate) struct At {
    pub(crate) file: Arc<File>,
    pub(crate) pos: u64,
    pub(crate) end: u64,
}

impl Read for At {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = buf.len().min(self.end.saturating_sub(self.pos) as usize);
        if want == 0 {
            return Ok(0);
        }
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(&*self.file, &mut buf[..want], self.pos)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(&*self.file, &mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// A member's data decompressed by its zip method.
fn decoder<'a, R: std::io::BufRead + Send + 'a>(
    raw: R,
    method: u16,
) -> Result<Box<dyn Read + Send + 'a>, String> {
    Ok(match method {
        0 => Box::new(raw),
        8 => Box::new(flate2::bufread::DeflateDecoder::new(raw)),
        9 => Box::new(deflate64::Deflate64Decoder::with_buffer(raw)),
        12 => Box::new(bzip2::bufread::BzDecoder::new(raw)),
        93 => Box::new(
            crate::zstd_frames::ZstdFrames::new(raw)
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
    })
}

/// The members of an archive whose index cannot be read, found by their own (local)
/// headers from its start, as `zip -FF` finds them: each header gives the member's name and
/// method, and its sizes, or (where they follow the data, as streaming writers put them)
/// the data's end is found by decoding it. The walk stops at the index, at bytes that are
/// not a header, or at the member the archive ends inside (kept, to be read up to the cut).
fn find_members(file: &mut BufReader<File>) -> std::io::Result<Vec<(String, Entry)>> {
    let len = file.get_ref().metadata()?.len();
    let mut found = Vec::new();
    let mut pos = 0u64;
    loop {
        file.seek(SeekFrom::Start(pos))?;
        let mut h = [0u8; 30];
        if file.read_exact(&mut h).is_err() || &h[..4] != b"PK\x03\x04" {
            break;
        }
        let u16_at = |i: usize| u16::from_le_bytes([h[i], h[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let (flags, method, crc) = (u16_at(6), u16_at(8), u32_at(14));
        let (mut compressed, mut size) = (u64::from(u32_at(18)), u64::from(u32_at(22)));
        let mut name = vec![0u8; usize::from(u16_at(26))];
        let mut extra = vec![0u8; usize::from(u16_at(28))];
        if file.read_exact(&mut name).is_err() || file.read_exact(&mut extra).is_err() {
            break;
        }
        let zip64 = zip64_sizes(&extra, &mut size, &mut compressed);
        let start = pos + 30 + name.len() as u64 + extra.len() as u64;
        let name = String::from_utf8_lossy(&name).into_owned();
        let mut entry = Entry {
            start,
            compressed,
            size: Some(size),
            crc: Some(crc),
            method,
            encrypted: flags & 1 == 1,
        };
        if flags & 8 == 0 {
            // The sizes are in the header: the data ends where they say.
            let end = start.saturating_add(compressed);
            found.push((name, entry));
            if end > len {
                break;
            }
            pos = end;
            continue;
        }
        // The sizes follow the data (a "data descriptor"): its end is found.
        match data_end(file, start, method) {
            Some((compressed, size, crc)) => {
                entry.compressed = compressed;
                entry.size = Some(size);
                entry.crc = Some(crc);
                found.push((name, entry));
                let end = start + compressed;
                let Some(next) = after_descriptor(file, end, zip64)? else {
                    break;
                };
                pos = next;
            }
            None => {
                // The archive ends inside it: read up to the cut.
                entry.compressed = len.saturating_sub(start);
                entry.size = None;
                entry.crc = None;
                found.push((name, entry));
                break;
            }
        }
    }
    Ok(found)
}

/// A local header's zip64 sizes (extra field 1), where its 32-bit ones say to look there;
/// whether it has them (its data descriptor then has 64-bit sizes).
fn zip64_sizes(mut extra: &[u8], size: &mut u64, compressed: &mut u64) -> bool {
    while extra.len() >= 4 {
        let id = u16::from_le_bytes([extra[0], extra[1]]);
        let n = usize::from(u16::from_le_bytes([extra[2], extra[3]]));
        let Some(body) = extra.get(4..4 + n) else {
            return false;
        };
        if id == 1 {
            let mut fields = body
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")));
            if *size == 0xffff_ffff {
                *size = fields.next().unwrap_or(*size);
            }
            if *compressed == 0xffff_ffff {
                *compressed = fields.next().unwrap_or(*compressed);
            }
            return true;
        }
        extra = &extra[4 + n..];
    }
    false
}

/// Counts the bytes a decoder takes from a buffered reader.
struct Counting<'a, R> {
    inner: &'a mut R,
    taken: u64,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.taken += n as u64;
        Ok(n)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for Counting<'_, R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.taken += n as u64;
        self.inner.consume(n);
    }
}

/// Where the data of a member whose sizes follow it ends: decoded to its end (the
/// compressed methods end themselves), or, stored, up to a data descriptor that gives its
/// length. `(compressed, size, crc)`; `None` where the archive ends first or the data
/// cannot be decoded.
fn data_end(file: &mut BufReader<File>, start: u64, method: u16) -> Option<(u64, u64, u32)> {
    file.seek(SeekFrom::Start(start)).ok()?;
    if method == 0 {
        return stored_end(file);
    }
    if !matches!(method, 8 | 9 | 12) {
        return None;
    }
    let mut counting = Counting {
        inner: file,
        taken: 0,
    };
    let mut sink = Crc {
        crc: crc32fast::Hasher::new(),
        size: 0,
    };
    {
        let mut dec = decoder(&mut counting, method).ok()?;
        std::io::copy(&mut dec, &mut sink).ok()?;
    }
    Some((counting.taken, sink.size, sink.crc.finalize()))
}

/// A stored member's end: the first data descriptor signature followed by the length of
/// the bytes before it.
fn stored_end(file: &mut BufReader<File>) -> Option<(u64, u64, u32)> {
    let mut crc = crc32fast::Hasher::new();
    let mut window: Vec<u8> = Vec::new();
    let mut base = 0u64; // how many data bytes precede `window`
    loop {
        let mut block = vec![0u8; 1 << 16];
        let n = file.read(&mut block).ok()?;
        if n == 0 {
            return None;
        }
        window.extend_from_slice(&block[..n]);
        let mut from = 0;
        while let Some(at) = memchr::memmem::find(&window[from..], b"PK\x07\x08") {
            let at = from + at;
            let Some(d) = window.get(at + 8..at + 12) else {
                break;
            };
            let length = base + at as u64;
            if u64::from(u32::from_le_bytes(d.try_into().expect("4 bytes"))) == length & 0xffff_ffff
            {
                crc.update(&window[..at]);
                return Some((length, length, crc.finalize()));
            }
            from = at + 1;
        }
        // Keep the last bytes, where a signature may start.
        let keep = window.len().saturating_sub(11);
        crc.update(&window[..keep]);
        base += keep as u64;
        window.drain(..keep);
    }
}

/// A sink that counts and checksums what is written to it.
struct Crc {
    crc: crc32fast::Hasher,
    size: u64,
}

impl std::io::Write for Crc {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.crc.update(buf);
        self.size += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Where the next header is after a data descriptor at `end` (its signature optional, its
/// sizes 4 or 8 bytes): the first of the places it could end at that a header, the index
/// or the archive's end follows. `None` where none does.
fn after_descriptor(
    file: &mut BufReader<File>,
    end: u64,
    zip64: bool,
) -> std::io::Result<Option<u64>> {
    let lens: &[u64] = if zip64 {
        &[24, 20, 16, 12]
    } else {
        &[16, 12, 24, 20]
    };
    for &l in lens {
        file.seek(SeekFrom::Start(end + l))?;
        let mut sig = [0u8; 4];
        match file.read_exact(&mut sig) {
            Ok(()) if matches!(&sig, b"PK\x03\x04" | b"PK\x01\x02" | b"PK\x05\x06") => {
                return Ok(Some(end + l));
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            _ => {}
        }
    }
    Ok(None)
}

/// A member's decompressed bytes, checked against the size and CRC-32 its index gives:
/// a damaged member ends in a read error, after the bytes before the damage. A member the
/// archive ends inside (found without an index) ends in a read error at the cut.
struct Checked {
    inner: Box<dyn Read + Send>,
    crc: crc32fast::Hasher,
    got: u64,
    size: Option<u64>,
    want: Option<u32>,
}

impl Read for Checked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let damaged = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) if self.size.is_none() => {
                return Err(damaged(format!(
                    "the archive ends inside this member, after {} of its bytes ({e})",
                    self.got
                )))
            }
            Err(e) => return Err(e),
        };
        self.got += n as u64;
        let Some(size) = self.size else {
            if n == 0 && !buf.is_empty() {
                return Err(damaged(format!(
                    "the archive ends inside this member, after {} of its bytes",
                    self.got
                )));
            }
            return Ok(n);
        };
        if self.got > size {
            return Err(damaged(format!(
                "the member holds more than the {size} bytes its index gives: damaged"
            )));
        }
        self.crc.update(&buf[..n]);
        if n == 0 && !buf.is_empty() {
            if self.got < size {
                return Err(damaged(format!(
                    "the member ends after {} of its {size} bytes: damaged or cut short",
                    self.got
                )));
            }
            let crc = self.crc.clone().finalize();
            if let Some(want) = self.want.filter(|&w| w != crc) {
                return Err(damaged(format!(
                    "the member's CRC-32 is {crc:08x} where its index gives {want:08x}: damaged"
                )));
            }
        }
        Ok(n)
    }
}

/// The zip archive `path` lies inside (`EXPORT.zip/photos/a.jpg`, as a member's media
/// reference resolves against the member's folder), with the member's name: the nearest
/// ancestor of `path` that is a regular file, if it is a zip archive. `None` where no
/// ancestor is a file, or the one that is is not a zip.
fn inside_zip(path: &std::path::Path) -> Option<(String, String)> {
    inside_file(path).filter(|(archive, _)| is_zip_file(archive))
}

/// The nearest ancestor of `path` that is a regular file (an archive, where `path` names a
/// member of it), with the rest of `path` below it as a member's name. `None` where an
/// ancestor is a folder first, or none exists.
pub(crate) fn inside_file(path: &std::path::Path) -> Option<(String, String)> {
    for a in path.ancestors().skip(1) {
        let meta = std::fs::metadata(a);
        if meta.as_ref().is_ok_and(|m| m.is_dir()) {
            return None;
        }
        if meta.is_ok_and(|m| m.is_file()) {
            let archive = a.to_str()?;
            let name = path.strip_prefix(a).ok()?.to_str()?.replace('\\', "/");
            return Some((archive.to_string(), name));
        }
    }
    None
}

/// The archives that came as streams and were spooled ([`ZipChunks::spool`]), the latest
/// last: their members' media are named through the stream's name (`-/photos/a.jpg`),
/// which no file on disk has, and are hashed by the scan's workers after the reader has
/// moved on. The last [`RECENT_MAX`] are kept while raqib runs; their copies have no
/// name, so their room is given back when one is dropped or raqib ends.
static SPOOLED: Mutex<Vec<Arc<ZipIndex>>> = Mutex::new(Vec::new());

fn remember_spooled(ix: &Arc<ZipIndex>) {
    let mut spooled = SPOOLED.lock().unwrap_or_else(|e| e.into_inner());
    if spooled.len() >= RECENT_MAX {
        spooled.remove(0);
    }
    spooled.push(ix.clone());
}

/// The spooled archive `path` lies inside, by the stream's name, with the member's name.
fn inside_spooled(path: &std::path::Path) -> Option<(Arc<ZipIndex>, String)> {
    let spooled = SPOOLED.lock().unwrap_or_else(|e| e.into_inner());
    if spooled.is_empty() {
        return None;
    }
    for a in path.ancestors().skip(1) {
        let Some(shown) = a.to_str().filter(|s| !s.is_empty()) else {
            continue;
        };
        if let Some(ix) = spooled.iter().rev().find(|ix| ix.archive == shown) {
            let name = path.strip_prefix(a).ok()?.to_str()?.replace('\\', "/");
            return Some((ix.clone(), name));
        }
    }
    None
}

/// The index of the archive `path` lies inside and the member's name: a spooled stream's,
/// or a zip file's on disk. `None` where `path` is inside no zip archive.
fn index_holding(path: &std::path::Path) -> Option<(Result<Arc<ZipIndex>, String>, String)> {
    if let Some((ix, name)) = inside_spooled(path) {
        return Some((Ok(ix), name));
    }
    let (archive, name) = inside_zip(path)?;
    Some((index_of(&archive).map_err(|e| e.to_string()), name))
}

/// The indexes of the archives read last: a zipped export's media are read a file at a
/// time ([`member_reader`]), so the index of a Twitter archive (tens of thousands of
/// members) is read once, not once a photo.
/// Each with the archive's length and modification time when its index was read: an
/// archive replaced since is read again.
#[allow(clippy::type_complexity)]
static RECENT: Mutex<Vec<(String, Stamp, Arc<ZipIndex>)>> = Mutex::new(Vec::new());

/// A file's length and modification time.
pub(crate) type Stamp = (u64, Option<std::time::SystemTime>);

pub(crate) fn stamp(path: &str) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()))
}

/// How many archives' indexes [`RECENT`] keeps.
const RECENT_MAX: usize = 4;

fn index_of(archive: &str) -> Result<Arc<ZipIndex>, OpenError> {
    let now = stamp(archive);
    let mut recent = RECENT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, _, ix)) = recent
        .iter()
        .find(|(a, s, _)| a == archive && now.is_some() && Some(*s) == now)
    {
        return Ok(ix.clone());
    }
    recent.retain(|(a, _, _)| a != archive);
    let ix = Arc::new(ZipIndex::open(archive)?);
    if recent.len() >= RECENT_MAX {
        recent.remove(0);
    }
    if let Some(s) = now {
        recent.push((archive.to_string(), s, ix.clone()));
    }
    Ok(ix)
}

/// Which members of an archive are read.
struct Choice {
    /// Positions in the index's files.
    chosen: Vec<usize>,
    /// Left out by their names (or hidden), and HTML pages doubled by a `result.json`.
    left_out: usize,
    doubled: usize,
    /// Of those left out, the pages of a Meta export made in HTML.
    meta_html: usize,
}

impl ZipIndex {
    /// The members read: chosen by their names as a folder's files are, hidden ones and
    /// `__MACOSX/` passed over, and a Telegram export's HTML pages where a `result.json`
    /// above them holds the same messages (as a folder's walk leaves them out), and a Meta
    /// export's sections besides its threads.
    fn choose(&self) -> Choice {
        let base = |n: &str| n.rsplit('/').next().unwrap_or(n).to_string();
        let dir_of = |n: &str| n.rfind('/').map_or("", |k| &n[..=k]).to_string();
        let json_exports: Vec<String> = self
            .files
            .iter()
            .filter(|(n, _)| !is_hidden(n) && base(n).eq_ignore_ascii_case("result.json"))
            .map(|(n, _)| dir_of(n))
            .collect();
        // A Meta export's sections besides its threads: left out as other members are.
        let meta_others: std::collections::HashSet<usize> =
            crate::meta::meta_export_others(self.files.iter().map(|(n, _)| n.as_str()))
                .into_iter()
                .collect();
        let mut c = Choice {
            chosen: Vec::new(),
            left_out: 0,
            doubled: 0,
            meta_html: 0,
        };
        for (k, (name, _)) in self.files.iter().enumerate() {
            let b = base(name);
            if is_hidden(name) || !is_member_input(&b) || meta_others.contains(&k) {
                c.left_out += 1;
                c.meta_html += usize::from(crate::meta::is_html_page(name));
            } else if crate::is_telegram_page(&b)
                && json_exports.iter().any(|d| name.starts_with(d.as_str()))
            {
                c.doubled += 1;
            } else {
                c.chosen.push(k);
            }
        }
        c
    }
}

/// What a zip archive holds, for a line about it before it is read.
#[derive(Debug, Clone, PartialEq)]
pub struct ZipContents {
    /// Members read as inputs.
    pub inputs: usize,
    /// Members left out: not inputs by their names (media, notes), hidden, `__MACOSX/`, a
    /// Meta export's sections besides its threads.
    pub others: usize,
    /// Telegram HTML pages left out for the `result.json` that holds the same messages.
    pub doubled: usize,
    /// Whether its index was lost and its members found by their own headers.
    pub recovered: bool,
}

/// What the zip archive at `path` holds; `None` where it is not a zip archive or cannot be
/// read (its reading says why).
pub fn zip_contents(path: &str) -> Option<ZipContents> {
    if !is_zip_file(path) {
        return None;
    }
    let ix = ZipIndex::open(path).ok()?;
    let c = ix.choose();
    Some(ZipContents {
        inputs: c.chosen.len(),
        others: c.left_out,
        doubled: c.doubled,
        recovered: ix.recovered.is_some(),
    })
}

/// Whether the file at `path` is a zip archive (by its first bytes; a regular file only).
pub fn is_zip_archive(path: &std::path::Path) -> bool {
    path.to_str().is_some_and(is_zip_file)
}

/// Whether `path` names a member of a zip archive (see [`member_reader`]).
pub fn is_zip_member(path: &std::path::Path) -> bool {
    index_holding(path).is_some_and(|(ix, name)| ix.is_ok_and(|ix| ix.by_name.contains_key(&name)))
}

/// The file `path` names inside a zip archive (`EXPORT.zip/photos/a.jpg`: a zipped
/// export's media, which its posts name by paths beside them), decompressed as it is read
/// and checked at its end: `None` where `path` is not inside a zip archive; an error where
/// the member is not there or cannot be opened.
pub fn member_reader(path: &std::path::Path) -> Option<Result<Box<dyn Read + Send>, String>> {
    let (ix, name) = index_holding(path)?;
    Some((|| {
        let ix = ix?;
        let &k = ix
            .by_name
            .get(&name)
            .ok_or_else(|| format!("no member {name} in {}", ix.archive))?;
        ix.open_file(k).map(|(reader, _)| reader)
    })())
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
    /// Members left out: by their names (of them, pages of a Meta export in HTML), and
    /// HTML pages doubled by a `result.json`.
    left_out: usize,
    meta_html: usize,
    doubled: usize,
    /// Whether any member was chosen.
    any: bool,
    done: bool,
}

impl ZipChunks {
    pub(crate) fn open(path: &str, opts: &Options) -> Result<ZipChunks, OpenError> {
        // Read afresh, whatever [`RECENT`] keeps: what is read is the file as it is now.
        Self::of_index(Arc::new(ZipIndex::open(path)?), opts)
    }

    /// A zip that comes as a stream (standard input, a member of a tar or of another zip,
    /// a `.zip.gz`), named `path`: a zip is read from its index at its end, so the stream
    /// is first copied to a file with no name in the temporary folder (`TMPDIR`), whose
    /// room is given back when its members have been read and its media hashed (see
    /// [`SPOOLED`]), and in any case when raqib ends.
    pub(crate) fn spool(
        reader: &mut dyn BufRead,
        path: &str,
        opts: &Options,
    ) -> Result<ZipChunks, OpenError> {
        let dir = std::env::temp_dir();
        let failed = |e: std::io::Error| OpenError::Invalid {
            path: path.to_string(),
            message: format!(
                "is a zip archive that comes as a stream; a zip is read from its index at \
                 its end, so raqib copies it to the temporary folder {} first, and that \
                 failed: {e}. Set TMPDIR to a folder with room for it, or save it to a file \
                 and give its path",
                dir.display()
            ),
        };
        // A file with no name (removed as it is made, on Unix): nothing is left behind
        // however the scan ends, and its room is given back when its last reader is done.
        let mut copy = tempfile::tempfile_in(&dir).map_err(failed)?;
        let mut broke = None;
        loop {
            let n = match reader.fill_buf() {
                Ok([]) => break,
                Ok(b) => {
                    copy.write_all(b).map_err(failed)?;
                    opts.spooled
                        .fetch_add(b.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    b.len()
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // The stream itself broke (a `.zip.gz` cut short): what came is read, as
                // a zip cut short is.
                Err(e) => {
                    broke = Some(e);
                    break;
                }
            };
            reader.consume(n);
        }
        copy.flush().map_err(failed)?;
        let index = match ZipIndex::of_file(copy, path) {
            Ok(index) => Arc::new(index),
            // Too little came to find a member: the break is what to say.
            Err(e) => {
                return Err(match broke {
                    Some(error) => OpenError::Io {
                        path: path.to_string(),
                        error,
                    },
                    None => e,
                })
            }
        };
        remember_spooled(&index);
        let mut chunks = Self::of_index(index, opts)?;
        if let Some(e) = broke {
            let message = format!("the stream broke after its first part: {e}");
            let rest = chunks.current.take().into_iter().flatten();
            chunks.current = Some(Box::new(
                std::iter::once(diagnostic_chunk(path, message)).chain(rest),
            ));
        }
        Ok(chunks)
    }

    fn of_index(index: Arc<ZipIndex>, opts: &Options) -> Result<ZipChunks, OpenError> {
        let path = index.archive.as_str();
        let Choice {
            chosen,
            left_out,
            doubled,
            meta_html,
        } = index.choose();
        // An archive read without its index says so first.
        let current = index.recovered.as_ref().map(|why| {
            let message = format!(
                "the archive's index (at its end) cannot be read ({why}): it was cut short \
                 or damaged. Its members were found by their own headers from its start \
                 ({} found); a member it ends inside is read up to the cut, and what it held \
                 after that is lost",
                index.files.len()
            );
            Box::new(std::iter::once(diagnostic_chunk(path, message)))
                as Box<dyn Iterator<Item = Chunk> + Send>
        });
        Ok(ZipChunks {
            any: !chosen.is_empty(),
            index,
            chosen: chosen.into_iter(),
            opts: Options {
                nesting: opts.nesting + 1,
                ..opts.clone()
            },
            current,
            left_out,
            meta_html,
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
                    no_input_message(self.left_out + self.doubled, self.meta_html),
                ));
            }
            return None;
        };
        let name = self.index.files[k].0.clone();
        let path = self.index.shown(&name);
        let dir = name.rfind('/').map_or("", |j| &name[..=j]).to_string();
        let opened = self
            .index
            .open_file(k)
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

impl Members for ZipChunks {
    fn current(&mut self) -> &mut Option<Box<dyn Iterator<Item = Chunk> + Send>> {
        &mut self.current
    }
    fn done(&self) -> bool {
        self.done
    }
    fn advance(&mut self) -> Option<Chunk> {
        ZipChunks::advance(self)
    }
}

impl Iterator for ZipChunks {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        self.next_member_chunk()
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
