//! A tar archive read as the folder it holds: each member that is an input by its name (as
//! a folder's files are chosen: [`is_input_name`] and the exports' own names) is opened as
//! a file of its own, `ARCHIVE/MEMBER`, its compression and format detected as for any
//! file, and read in turn from the one stream. Dumps are handed over so (the Internet
//! Archive's Twitter Stream Grab: a tar of a day's minutes as `.json.bz2`), often gzipped
//! as a whole (`.tar.gz`), which [`crate::open_input`] has undone before this.
//!
//! Headers are ustar's and GNU's, with GNU long names (`L`) and pax `path` records (`x`);
//! a header whose checksum does not add up ends the archive with a diagnostic at its byte
//! offset, as a read error ends a file.

use std::io::{BufRead, Read};
use std::sync::{Arc, Mutex};

use raqib_model::Diagnostic;

use crate::{Chunk, Item, Options};

pub(crate) const BLOCK: u64 = 512;

/// Whether `head` starts with a tar header: a named first block whose checksum adds up
/// (ustar's and GNU's magic is not enough: a text that has `ustar` at byte 257, "mustard"
/// say, would be taken for an archive; an old v7 archive has no magic at all).
pub(crate) fn is_tar(head: &[u8]) -> bool {
    head.get(..BLOCK as usize)
        .is_some_and(|h| h[0] != 0 && checksum_ok(h))
}

/// Whether a header's checksum field holds the sum of its bytes, the field itself counted
/// as spaces.
pub(crate) fn checksum_ok(h: &[u8]) -> bool {
    let sum: u64 = h
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum();
    number(&h[148..156]) == Some(sum)
}

/// The stream the members are read from, in turn.
struct Stream {
    reader: Box<dyn BufRead + Send>,
    /// Bytes of the current member not yet read, and the padding after them.
    left: u64,
    pad: u64,
    /// Bytes of the archive read so far.
    offset: u64,
}

impl Stream {
    /// Read exactly `buf.len()` bytes; false at a clean end before the first.
    fn fill(&mut self, buf: &mut [u8]) -> std::io::Result<bool> {
        let mut got = 0;
        while got < buf.len() {
            match self.reader.read(&mut buf[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the archive ends inside a header",
                    ))
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.offset += buf.len() as u64;
        Ok(true)
    }

    /// Skip what is left of the current member and its padding.
    fn skip_rest(&mut self) -> std::io::Result<()> {
        let n = self.left + self.pad;
        let skipped = std::io::copy(&mut (&mut self.reader).take(n), &mut std::io::sink())?;
        self.offset += skipped;
        self.left = 0;
        self.pad = 0;
        if skipped < n {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the archive ends inside a member",
            ));
        }
        Ok(())
    }

    /// Read `size` bytes of a member into memory (a long name, a pax header), at most
    /// 1 MiB of them.
    fn small_member(&mut self, size: u64) -> std::io::Result<Vec<u8>> {
        if size > 1 << 20 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("a header record of {size} bytes"),
            ));
        }
        let mut data = vec![0u8; size as usize];
        if !self.fill(&mut data)? && size > 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.left = 0;
        self.pad = padding(size);
        self.skip_rest()?;
        Ok(data)
    }
}

pub(crate) fn padding(size: u64) -> u64 {
    (BLOCK - size % BLOCK) % BLOCK
}

/// A member's bytes, read from the shared stream.
struct Member(Arc<Mutex<Stream>>);

impl Read for Member {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if s.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(s.left).unwrap_or(usize::MAX));
        let n = s.reader.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the archive ends inside this member",
            ));
        }
        s.left -= n as u64;
        s.offset += n as u64;
        Ok(n)
    }
}

/// One header, read.
enum Entry {
    /// A regular file: its name and size.
    File(String, u64),
    /// Anything else (a folder, a link, a device): skipped.
    Other,
    /// The two zero blocks that end an archive, or its end.
    End,
}

/// A number of a header field: octal digits (spaces and NULs around them), or GNU's
/// base-256 (the first byte's high bit set).
pub(crate) fn number(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        return field[1..]
            .iter()
            .try_fold(u64::from(field[0] & 0x7f), |n, &b| {
                n.checked_mul(256).map(|n| n | u64::from(b))
            });
    }
    let digits: &[u8] = {
        let s = field
            .iter()
            .position(|b| !matches!(b, b' ' | 0))
            .unwrap_or(field.len());
        let e = field[s..]
            .iter()
            .position(|b| matches!(b, b' ' | 0))
            .map_or(field.len(), |e| s + e);
        &field[s..e]
    };
    if digits.is_empty() {
        return Some(0);
    }
    digits.iter().try_fold(0u64, |n, &b| {
        (b'0'..=b'7')
            .contains(&b)
            .then(|| n.checked_mul(8).map(|n| n + u64::from(b - b'0')))
            .flatten()
    })
}

/// A NUL-terminated header field as text.
pub(crate) fn text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// The `path` of a pax extended header's records (`LEN path=VALUE\n`).
pub(crate) fn pax_path(data: &[u8]) -> Option<String> {
    let mut rest = data;
    while !rest.is_empty() {
        let sp = rest.iter().position(|&b| b == b' ')?;
        let len: usize = std::str::from_utf8(&rest[..sp]).ok()?.parse().ok()?;
        if len <= sp || len > rest.len() {
            return None;
        }
        let record = &rest[sp + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(v) = record.strip_prefix(b"path=") {
            return Some(String::from_utf8_lossy(v).into_owned());
        }
        rest = &rest[len..];
    }
    None
}

/// The name a header gives its member: ustar's prefix and name joined.
pub(crate) fn header_name(h: &[u8]) -> String {
    let prefix = text(&h[345..500]);
    let name = text(&h[..100]);
    if h[257..263] == *b"ustar\0" && !prefix.is_empty() {
        format!("{prefix}/{name}")
    } else {
        name
    }
}

/// Read headers up to the next member with data to read (a file) or the end. A GNU long
/// name or a pax path names the member after it.
fn next_entry(s: &mut Stream) -> Result<Entry, String> {
    let mut long_name: Option<String> = None;
    loop {
        let at = s.offset;
        let mut h = [0u8; BLOCK as usize];
        match s.fill(&mut h) {
            Ok(false) => return Ok(Entry::End),
            Ok(true) => {}
            Err(e) => return Err(format!("byte {at}: {e}")),
        }
        if h.iter().all(|&b| b == 0) {
            return Ok(Entry::End);
        }
        if !checksum_ok(&h) {
            return Err(format!(
                "byte {at}: not a tar header (its checksum does not add up); the rest of the \
                 archive is skipped"
            ));
        }
        let size = number(&h[124..136])
            .ok_or_else(|| format!("byte {at}: a tar header with a size that is no number"))?;
        let err = |e: std::io::Error| format!("byte {at}: {e}");
        match h[156] {
            b'L' => {
                let data = s.small_member(size).map_err(err)?;
                long_name = Some(text(&data));
            }
            b'x' => {
                let data = s.small_member(size).map_err(err)?;
                if let Some(p) = pax_path(&data) {
                    long_name = Some(p);
                }
            }
            b'0' | 0 | b'7' => {
                let name = long_name.take().unwrap_or_else(|| header_name(&h));
                s.left = size;
                s.pad = padding(size);
                return Ok(Entry::File(name, size));
            }
            // A folder, a link, a device: its long name, if any, was its own.
            _ => {
                s.left = size;
                s.pad = padding(size);
                s.skip_rest().map_err(err)?;
                return Ok(Entry::Other);
            }
        }
    }
}

/// The most of a neighbour read whole from a tar (a Twitter archive's `follower.js`).
pub(crate) const NEIGHBOUR_MAX: u64 = 1 << 30;

/// The tar archive at `archive` (a file on disk, compressed or not), opened again to be
/// read from its start.
fn reopen(archive: &str) -> Result<Stream, String> {
    let opened = crate::open_input(archive).map_err(|e| e.to_string())?;
    if !is_tar(&opened.head) {
        return Err(format!("{archive}: no longer a tar archive"));
    }
    Ok(Stream {
        reader: opened.reader,
        left: 0,
        pad: 0,
        offset: 0,
    })
}

/// The next file member of `s` (its name, `./` dropped, and size), its data next to read;
/// `None` at the archive's end.
fn next_file(s: &mut Stream, archive: &str) -> Result<Option<(String, u64)>, String> {
    loop {
        s.skip_rest()
            .map_err(|e| format!("{archive}: byte {}: {e}", s.offset))?;
        match next_entry(s).map_err(|e| format!("{archive}: {e}"))? {
            Entry::End => return Ok(None),
            Entry::Other => {}
            Entry::File(name, size) => {
                return Ok(Some((name.trim_start_matches("./").to_string(), size)))
            }
        }
    }
}

/// A folder's file names, and the bytes of some of its files by name.
pub(crate) type Neighbours = (Vec<String>, std::collections::HashMap<String, Vec<u8>>);

/// The files directly in folder `dir` (empty, or ending with `/`) of the tar archive at
/// `archive` (a file on disk), by name, and the bytes of those `keep` chooses (up to 1 GiB
/// each): found by the index of an uncompressed tar ([`crate::tar_index`]) or of a
/// compressed one already indexed for its media, or in one read of a compressed one from
/// its start. An archive damaged or cut short gives what came
/// before the damage (its own reading reports it).
pub(crate) fn neighbours(
    archive: &str,
    dir: &str,
    keep: impl Fn(&str) -> bool,
) -> Result<Neighbours, String> {
    // An uncompressed tar's index finds them without reading the members between.
    if let Some(Ok(ix)) = crate::tar_index::ready_index_of(archive).as_deref() {
        let names = ix.names_in(dir);
        let mut kept = std::collections::HashMap::new();
        for name in names.iter().filter(|n| keep(n)) {
            if let Some(bytes) = indexed_whole(ix, &format!("{dir}{name}"), NEIGHBOUR_MAX) {
                kept.insert(name.clone(), bytes);
            }
        }
        return Ok((names, kept));
    }
    gather(archive, |name| {
        let rest = name
            .strip_prefix(dir)
            .filter(|r| !r.is_empty() && !r.contains('/'))?;
        Some((rest.to_string(), if keep(rest) { NEIGHBOUR_MAX } else { 0 }))
    })
}

/// The files below folder `dir` (empty, or ending with `/`) of the tar archive at
/// `archive` (a file on disk) that `keep` chooses by their path under it (giving the most
/// bytes of each to read: a larger one is left out), read whole, by that path: what a
/// reader needs of many small files in many folders (each channel's `channel.json` of a
/// Discord package), found in one read of a compressed archive rather than one for each
/// (by the index where there is one).
pub(crate) fn files_below(
    archive: &str,
    dir: &str,
    keep: impl Fn(&str) -> Option<u64>,
) -> Result<std::collections::HashMap<String, Vec<u8>>, String> {
    let chosen = |name: &str| -> Option<(String, u64)> {
        let rest = name.strip_prefix(dir)?;
        Some((rest.to_string(), keep(rest)?))
    };
    if let Some(Ok(ix)) = crate::tar_index::ready_index_of(archive).as_deref() {
        let mut kept = std::collections::HashMap::new();
        for name in ix.names() {
            if let Some((rest, max)) = chosen(name) {
                if let Some(bytes) = indexed_whole(ix, name, max) {
                    kept.insert(rest, bytes);
                }
            }
        }
        return Ok(kept);
    }
    gather(archive, chosen).map(|(_, kept)| kept)
}

/// The whole of member `name` of an indexed archive, where it is no more than `max` bytes
/// and reads without error.
fn indexed_whole(ix: &crate::tar_index::TarIndex, name: &str, max: u64) -> Option<Vec<u8>> {
    let mut r = ix.reader(name)?;
    let mut bytes = Vec::new();
    (r.end - r.pos <= max && r.read_to_end(&mut bytes).is_ok()).then_some(bytes)
}

/// One read of the tar archive at `archive` from its start: the members `choose` names
/// (given each member's path, `./` dropped: the name to give it, and the most bytes of it
/// to keep, 0 for none: a larger one's are not kept). An archive damaged or cut short gives
/// what came before the damage.
fn gather(
    archive: &str,
    choose: impl Fn(&str) -> Option<(String, u64)>,
) -> Result<Neighbours, String> {
    let mut s = reopen(archive)?;
    let mut names = Vec::new();
    let mut kept = std::collections::HashMap::new();
    while let Ok(Some((name, size))) = next_file(&mut s, archive) {
        let Some((rest, max)) = choose(&name) else {
            continue;
        };
        if max > 0 && size <= max {
            // Grown as it is read: a header's size is not trusted with an allocation.
            let mut bytes = Vec::new();
            let read = (&mut s.reader).take(size).read_to_end(&mut bytes);
            if read.is_err() || bytes.len() as u64 != size {
                break;
            }
            s.left = 0;
            s.offset += size;
            kept.insert(rest.clone(), bytes);
        }
        names.push(rest);
    }
    Ok((names, kept))
}

/// The names (`./` dropped) of all the file members of the tar archive at `archive` (a file
/// on disk): by its index where it has one ready (an uncompressed tar, or a compressed one
/// indexed for its media), else in one read from its start. An archive damaged or cut short
/// gives those before the damage (its own reading reports it).
pub(crate) fn all_names(archive: &str) -> Result<Vec<String>, String> {
    if let Some(Ok(ix)) = crate::tar_index::ready_index_of(archive).as_deref() {
        return Ok(ix.names().map(str::to_string).collect());
    }
    let mut s = reopen(archive)?;
    let mut names = Vec::new();
    while let Ok(Some((name, _))) = next_file(&mut s, archive) {
        names.push(name);
    }
    Ok(names)
}

/// The member `name` (`./` dropped) of the tar archive at `archive` (a file on disk), as a
/// stream: read by offset from an uncompressed tar (or a compressed one already indexed),
/// read again from its start from a compressed one; `None` where the archive has none.
pub(crate) fn member_of(archive: &str, name: &str) -> Result<Option<Box<dyn Read + Send>>, String> {
    if let Some(Ok(ix)) = crate::tar_index::ready_index_of(archive).as_deref() {
        return Ok(ix.reader(name).map(|r| {
            Box::new(std::io::BufReader::with_capacity(1 << 16, r)) as Box<dyn Read + Send>
        }));
    }
    let mut s = reopen(archive)?;
    while let Some((n, _)) = next_file(&mut s, archive)? {
        if n == name {
            return Ok(Some(Box::new(Member(Arc::new(Mutex::new(s))))));
        }
    }
    Ok(None)
}

/// The chunks of an archive's input members, one member after another.
pub(crate) struct TarChunks {
    stream: Arc<Mutex<Stream>>,
    archive: String,
    opts: Options,
    current: Option<Box<dyn Iterator<Item = Chunk> + Send>>,
    /// Members read, and members left out by their names.
    read: usize,
    left_out: usize,
    done: bool,
    /// Whether the archive is a file on disk, which can be read again for a member's
    /// neighbours; the folders asked about so far.
    on_disk: bool,
    dirs: std::collections::HashMap<String, Arc<crate::beside::TarDir>>,
    /// A Meta export's sections besides its threads, posts and comments, left out as a
    /// folder's are (see [`crate::meta::meta_export_others`]): the roots of the exports
    /// whose files were met so far, and, once a member's path says the archive holds a
    /// Meta export, the names of all such sections in an archive on disk (listed once).
    meta_roots: Vec<String>,
    meta_others: Option<std::collections::HashSet<String>>,
    /// Of the members left out, the pages of a Meta export made in HTML.
    meta_html: usize,
}

impl TarChunks {
    pub(crate) fn new(reader: Box<dyn BufRead + Send>, archive: &str, opts: &Options) -> Self {
        TarChunks {
            stream: Arc::new(Mutex::new(Stream {
                reader,
                left: 0,
                pad: 0,
                offset: 0,
            })),
            archive: archive.to_string(),
            opts: Options {
                nesting: opts.nesting + 1,
                ..opts.clone()
            },
            current: None,
            read: 0,
            left_out: 0,
            done: false,
            on_disk: std::fs::metadata(archive).is_ok_and(|m| m.is_file()),
            dirs: Default::default(),
            meta_roots: Vec::new(),
            meta_others: None,
            meta_html: 0,
        }
    }

    /// Whether member `name` is a Meta export's section besides its threads, posts and
    /// comments (its profile, likes, settings), which is not read: as a folder's walk
    /// leaves them out, whatever their order in the archive where it is on disk, else where
    /// a file of the export came before.
    fn is_meta_other(&mut self, name: &str) -> bool {
        if let Some(root) = crate::meta::others_root(name) {
            if !self.meta_roots.iter().any(|r| r == root) {
                self.meta_roots.push(root.to_string());
            }
            return false;
        }
        let base = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
        let base = crate::strip_compression_ext(&base);
        // Reddit's export is CSV at its root: its other files are known only beside its
        // `statistics.csv` and posts, so from the archive's names (on disk only).
        if base.ends_with(".csv") {
            if !self.on_disk || !crate::reddit_export::is_other_file(base) {
                return false;
            }
            return self.others_by_names().contains(name);
        }
        if !base.ends_with(".json") {
            return false;
        }
        if self.meta_others.is_none() && self.on_disk && crate::meta::is_export_section(name) {
            self.others_by_names();
        }
        match &self.meta_others {
            Some(others) => others.contains(name),
            None => self.meta_roots.iter().any(|r| name.starts_with(r.as_str())),
        }
    }

    /// The members an export holds besides its posts (see
    /// [`crate::meta::meta_export_others`]), from all the archive's names, found once.
    fn others_by_names(&mut self) -> &std::collections::HashSet<String> {
        self.meta_others.get_or_insert_with(|| {
            let names = all_names(&self.archive).unwrap_or_default();
            let others = crate::meta::meta_export_others(names.iter().map(String::as_str));
            others.into_iter().map(|k| names[k].clone()).collect()
        })
    }

    /// Open the next member that is an input, or say why there is none.
    fn advance(&mut self) -> Option<Chunk> {
        loop {
            let entry = {
                let mut s = self.stream.lock().unwrap_or_else(|e| e.into_inner());
                s.skip_rest()
                    .map_err(|e| format!("byte {}: {e}", s.offset))
                    .and_then(|()| next_entry(&mut s))
            };
            match entry {
                Err(message) => {
                    self.done = true;
                    return Some(diagnostic_chunk(&self.archive, message));
                }
                Ok(Entry::End) => {
                    self.done = true;
                    if self.read == 0 {
                        let message = no_input_message(self.left_out, self.meta_html);
                        return Some(diagnostic_chunk(&self.archive, message));
                    }
                    return None;
                }
                Ok(Entry::Other) => {}
                Ok(Entry::File(name, size)) => {
                    let base = name.rsplit('/').next().unwrap_or(&name).to_string();
                    let name = name.trim_start_matches("./");
                    if !is_member_input(&base) || size == 0 || self.is_meta_other(name) {
                        self.left_out += 1;
                        self.meta_html += usize::from(crate::meta::is_html_page(name));
                        continue;
                    }
                    self.read += 1;
                    let path = format!("{}/{name}", self.archive);
                    // A tar on disk can be read again for the files beside a member (a
                    // Twitter archive's `account.js`), whatever their order in it.
                    let beside = self.on_disk.then(|| {
                        let dir = name.rfind('/').map_or("", |k| &name[..=k]);
                        let archive = &self.archive;
                        let t = self
                            .dirs
                            .entry(dir.to_string())
                            .or_insert_with(|| Arc::new(crate::beside::TarDir::new(archive, dir)));
                        crate::beside::Beside::Tar(t.clone())
                    });
                    let member = Box::new(Member(self.stream.clone()));
                    let opened = crate::input::open_reader(member, &path)
                        .and_then(|o| crate::chunks_of(o, &path, &self.opts, beside));
                    match opened {
                        Ok(chunks) => self.current = Some(chunks),
                        Err(e) => {
                            return Some(diagnostic_chunk(&path, e.to_string()));
                        }
                    }
                    return None;
                }
            }
        }
    }
}

/// A chunk of one diagnostic about `file` as a whole.
pub(crate) fn diagnostic_chunk(file: &str, message: String) -> Chunk {
    let item: Item = (0, Err(Diagnostic::new(file, 0, message)));
    Chunk::Records {
        file: Arc::from(file),
        items: vec![item],
        read: 0,
    }
}

/// What an archive with no input member says: of its `others` members, `meta_html` are
/// pages of a Meta export made in HTML, which it says what to do about.
pub(crate) fn no_input_message(others: usize, meta_html: usize) -> String {
    if meta_html > 0 {
        return format!(
            "no input file in this archive: {meta_html} of its {others} members are pages \
             of Meta's \"Download Your Information\" export in HTML, and raqib reads the \
             export's JSON format; {}",
            crate::meta::REQUEST_JSON
        );
    }
    format!(
        "no input file in this archive ({others} other members; inputs are named as a \
         folder's are: .jsonl, .ndjson, .json, .csv, .tsv, .tar or .zip, optionally .gz, \
         .zst, .bz2 or .xz, and the exports' own names)"
    )
}

/// Whether a member is read, by its base name: as a folder's files are chosen.
pub(crate) fn is_member_input(base: &str) -> bool {
    crate::is_input_name(base)
        || crate::is_telegram_page(base)
        || crate::is_twitter_archive_tweets(base)
        || crate::is_whatsapp_chat_name(base)
}

/// An archive read a member after another (a tar's, a zip's): its chunks are the
/// members' chunks in turn, with a diagnostic wherever one cannot be opened.
pub(crate) trait Members {
    /// The chunks of the member being read.
    fn current(&mut self) -> &mut Option<Box<dyn Iterator<Item = Chunk> + Send>>;
    /// Whether no member is left.
    fn done(&self) -> bool;
    /// Open the next member into [`Members::current`], or say why it cannot be.
    fn advance(&mut self) -> Option<Chunk>;

    /// The next chunk of the archive.
    fn next_member_chunk(&mut self) -> Option<Chunk> {
        loop {
            if let Some(c) = self.current().as_mut().and_then(|it| it.next()) {
                return Some(c);
            }
            *self.current() = None;
            if self.done() {
                return None;
            }
            if let Some(d) = self.advance() {
                return Some(d);
            }
        }
    }
}

impl Members for TarChunks {
    fn current(&mut self) -> &mut Option<Box<dyn Iterator<Item = Chunk> + Send>> {
        &mut self.current
    }
    fn done(&self) -> bool {
        self.done
    }
    fn advance(&mut self) -> Option<Chunk> {
        TarChunks::advance(self)
    }
}

impl Iterator for TarChunks {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        self.next_member_chunk()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text with `ustar` where the magic would be is not an archive.
    #[test]
    fn the_magic_alone_is_not_an_archive() {
        let mut text = format!("{{\"id\":\"1\",\"text\":\"{}\"}}\n", "a".repeat(600)).into_bytes();
        text[257..262].copy_from_slice(b"ustar");
        assert!(!is_tar(&text));
        let mut h = [0u8; 512];
        h[..7].copy_from_slice(b"a.jsonl");
        h[124..135].copy_from_slice(b"00000000000");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        assert!(is_tar(&h));
        h[0] = b'b';
        assert!(!is_tar(&h));
    }

    #[test]
    fn numbers_are_octal_or_base_256() {
        assert_eq!(number(b"0000644\0"), Some(0o644));
        assert_eq!(number(b"   17 \0"), Some(0o17));
        assert_eq!(number(b"\0\0\0\0"), Some(0));
        assert_eq!(number(b"0000009\0"), None);
        assert_eq!(number(&[0x80, 0, 0, 0, 0, 0, 1, 0]), Some(256));
        assert_eq!(number(&[0xff; 12]), None);
    }

    #[test]
    fn a_pax_header_gives_its_path() {
        assert_eq!(
            pax_path(b"20 mtime=1700000000\n28 path=dir/a-long-name.json\n"),
            Some("dir/a-long-name.json".into())
        );
        assert_eq!(pax_path(b"99 path=x\n"), None);
        assert_eq!(pax_path(b"garbage"), None);
    }
}
