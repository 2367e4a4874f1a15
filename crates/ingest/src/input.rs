//! Opening an input: a path or `-`, with gzip, zstd, bzip2 or xz undone and UTF-16 made
//! UTF-8, by looking at the first bytes; an archive raqib does not read, binary data and
//! legacy encodings told apart from an export.

use std::io::{BufRead, BufReader, Read};

use crate::OpenError;

/// The compression found on an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

/// An opened input: a buffered reader over the decompressed bytes and a copy of the first
/// bytes for format detection.
pub struct Opened {
    pub reader: Box<dyn BufRead + Send>,
    pub head: Vec<u8>,
    pub compression: Compression,
}

const BUF: usize = 1 << 18;

/// A read shorter than this came from a source with nothing more to give right now.
pub(crate) const SHORT_READ: usize = 1 << 16;
const HEAD: usize = 64 << 10;

/// Open `path` (`-` is standard input), undoing gzip, zstd, bzip2 or xz compression and
/// UTF-16 transparently.
pub fn open_input(path: &str) -> Result<Opened, OpenError> {
    let io_err = |e: std::io::Error| OpenError::Io {
        path: path.to_string(),
        error: e,
    };
    let raw: Box<dyn Read + Send> = if path == "-" {
        Box::new(std::io::stdin())
    } else {
        let meta = std::fs::metadata(path).map_err(io_err)?;
        if meta.is_dir() {
            return Err(OpenError::Invalid {
                path: path.to_string(),
                message: "is a directory; give the files in it".into(),
            });
        }
        let file = std::fs::File::open(path).map_err(io_err)?;
        if meta.len() >= DROP_BEHIND_MIN {
            Box::new(DropBehind::new(file))
        } else {
            Box::new(file)
        }
    };
    open_reader(raw, path)
}

/// Like [`open_input`], for bytes from any reader; `path` names it in messages.
pub fn open_reader(raw: Box<dyn Read + Send>, path: &str) -> Result<Opened, OpenError> {
    let io_err = |e: std::io::Error| OpenError::Io {
        path: path.to_string(),
        error: e,
    };
    let mut raw = BufReader::with_capacity(BUF, raw);
    let mut magic = fill_at_least(&mut raw, XZ_MAGIC.len()).map_err(io_err)?;
    // A pipe (`curl URL | raqib scan -`) can hand over its first bytes a few at a time: the
    // magic bytes are made whole before anything is decided.
    if !magic.is_empty() && magic.len() < XZ_MAGIC.len() {
        raw.consume(magic.len());
        let mut b = [0u8; 6];
        while magic.len() < XZ_MAGIC.len() {
            match raw.read(&mut b[..XZ_MAGIC.len() - magic.len()]) {
                Ok(0) => break,
                Ok(n) => magic.extend_from_slice(&b[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_err(e)),
            }
        }
        let again: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(magic.clone()).chain(raw));
        raw = BufReader::with_capacity(BUF, again);
    }
    let (reader, compression): (Box<dyn BufRead + Send>, _) = if magic.starts_with(&[0x1f, 0x8b]) {
        let dec = GzMembers::new(raw);
        (
            Box::new(BufReader::with_capacity(BUF, dec)),
            Compression::Gzip,
        )
    } else if crate::zstd_frames::starts_zstd(&magic) {
        // Every frame, as `cat`, `pzstd` and the seekable format join them.
        let dec = crate::zstd_frames::ZstdFrames::new(raw).map_err(|e| OpenError::Invalid {
            path: path.to_string(),
            message: format!("looks like zstd but cannot be decoded: {e}"),
        })?;
        (
            Box::new(BufReader::with_capacity(BUF, dec)),
            Compression::Zstd,
        )
    } else if magic.starts_with(b"BZh") && magic.get(3).is_some_and(|b| (b'1'..=b'9').contains(b)) {
        // Several streams one after another, as `pbzip2` and `lbzip2` write them.
        let dec = bzip2::bufread::MultiBzDecoder::new(raw);
        (
            Box::new(BufReader::with_capacity(BUF, dec)),
            Compression::Bzip2,
        )
    } else if magic.starts_with(XZ_MAGIC) {
        // Concatenated streams read on, as `xz` itself does.
        let dec = lzma_rust2::XzReader::new(raw, true);
        (
            Box::new(BufReader::with_capacity(BUF, dec)),
            Compression::Xz,
        )
    } else {
        (Box::new(raw), Compression::None)
    };
    let mut reader = reader;
    let cannot = |e: std::io::Error| OpenError::Invalid {
        path: path.to_string(),
        message: format!("cannot decompress ({compression:?}): {e}"),
    };
    let mut head = fill_at_least(&mut reader, HEAD).map_err(cannot)?;
    // Excel's "Unicode Text" and PowerShell's `>` write UTF-16 with a byte-order mark.
    if let Some(big_endian) = utf16_bom(&head) {
        reader = Box::new(BufReader::with_capacity(
            BUF,
            Utf16Reader::new(reader, big_endian),
        ));
        head = fill_at_least(&mut reader, HEAD).map_err(cannot)?;
    }
    if let Some(message) = not_an_export(&head) {
        return Err(OpenError::Invalid {
            path: path.to_string(),
            message,
        });
    }
    Ok(Opened {
        reader,
        head,
        compression,
    })
}

/// The magic bytes of an xz stream.
const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0];

/// Why the first bytes (decompressed) cannot begin an export raqib reads: an archive other
/// than tar (which [`crate::tar`] reads) or a zip as a stream, or another compression, known
/// by its magic bytes. `None` for anything else (a bad record is a diagnostic; see
/// [`not_text`] for a file that is not text at all).
fn not_an_export(head: &[u8]) -> Option<String> {
    let known: [(&[u8], &str); 4] = [
        (
            b"7z\xbc\xaf\x27\x1c",
            "a 7-Zip archive: extract it (`7z x FILE -oDIR`) and give the folder",
        ),
        (
            b"Rar!\x1a\x07",
            "a RAR archive: extract it (`unrar x FILE DIR/`) and give the folder",
        ),
        (
            b"\x04\x22\x4d\x18",
            "LZ4-compressed: undo it (`lz4 -dc FILE | raqib scan -`)",
        ),
        (
            b"SQLite format 3\0",
            "an SQLite database: export its posts as CSV or JSON Lines first",
        ),
    ];
    if let Some((_, what)) = known.iter().find(|(m, _)| head.starts_with(m)) {
        return Some(format!("is {what}"));
    }
    // A zip is read inside, named as a file or (copied to one first) as a stream: see
    // `crate::zip_archive`.
    None
}

/// What a file's first kilobyte says it is when it is not UTF-8 text.
pub(crate) enum NotText {
    /// More than a tenth of it control characters (a NUL among them), or control
    /// characters and bytes that are not UTF-8 together.
    Binary(String),
    /// More than a tenth of it not UTF-8, with no control characters: a legacy encoding.
    Legacy(String),
}

/// Whether `head` is not UTF-8 text, and why, with what to do. Used where a file cannot be
/// read anyway (a CSV header with no text column: what binary data read as CSV gives; a CSV
/// in a legacy encoding, whose every row would be a diagnostic), never to refuse a file of
/// JSON Lines with bad lines among good ones, which is read line by line.
pub(crate) fn not_text(head: &[u8]) -> Option<NotText> {
    let start = &head[..head.len().min(1024)];
    if start.len() < 64 {
        return None;
    }
    let control = start
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    let invalid = match simdutf8::compat::from_utf8(start) {
        Ok(_) => 0,
        Err(_) => String::from_utf8_lossy(start)
            .trim_end_matches('\u{fffd}')
            .matches('\u{fffd}')
            .count(),
    };
    let first: Vec<String> = start.iter().take(8).map(|b| format!("{b:02x}")).collect();
    if control * 10 > start.len() || (control > 0 && (control + invalid) * 10 > start.len()) {
        return Some(NotText::Binary(format!(
            "is binary data, not a text export (it starts with the bytes {}): raqib reads JSON \
             Lines, CSV or TSV and the platform exports in `raqib scan --help`, plain or \
             compressed with gzip, zstd, bzip2 or xz, or in a zip or tar archive; another \
             archive (7-Zip, RAR) or compression must be unpacked first",
            first.join(" ")
        )));
    }
    if invalid * 10 > start.len() {
        return Some(NotText::Legacy(format!(
            "is not UTF-8 text ({invalid} invalid sequences in its first {} bytes): a file saved in a \
             legacy encoding, such as a CSV from Excel in Windows-1256 (Arabic) or \
             Windows-1252, must be converted first: `iconv -f WINDOWS-1256 -t UTF-8 FILE > \
             FILE.utf8.csv`, or saved as \"CSV UTF-8\"",
            start.len()
        )));
    }
    None
}

/// `Some(big_endian)` where `head` starts with a UTF-16 byte-order mark (and not UTF-32's).
fn utf16_bom(head: &[u8]) -> Option<bool> {
    if head.starts_with(&[0xff, 0xfe, 0, 0]) {
        return None;
    }
    match head {
        [0xff, 0xfe, ..] => Some(false),
        [0xfe, 0xff, ..] => Some(true),
        _ => None,
    }
}

/// UTF-16 text read as UTF-8: its byte-order mark dropped, a lone surrogate made U+FFFD
/// (as invalid UTF-8 is elsewhere), an odd byte at the end dropped.
struct Utf16Reader<R> {
    inner: R,
    big_endian: bool,
    /// Bytes read but not yet decoded: an odd byte, or a high surrogate's two.
    carry: Vec<u8>,
    /// UTF-8 decoded but not yet handed out.
    out: Vec<u8>,
    at: usize,
    started: bool,
}

impl<R: Read> Utf16Reader<R> {
    fn new(inner: R, big_endian: bool) -> Self {
        Utf16Reader {
            inner,
            big_endian,
            carry: Vec::new(),
            out: Vec::new(),
            at: 0,
            started: false,
        }
    }

    /// Decode the next block into `out`; false at the end.
    fn refill(&mut self) -> std::io::Result<bool> {
        let mut buf = vec![0u8; 1 << 16];
        buf[..self.carry.len()].copy_from_slice(&self.carry);
        let n = loop {
            match self.inner.read(&mut buf[self.carry.len()..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        let end = n == 0;
        let len = self.carry.len() + n;
        self.carry.clear();
        if end && len < 2 {
            return Ok(false);
        }
        let mut units: Vec<u16> = buf[..len - len % 2]
            .chunks_exact(2)
            .map(|c| {
                if self.big_endian {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        let mut keep = len % 2;
        // A high surrogate last waits for its pair, unless the text ends there.
        if !end && units.last().is_some_and(|u| (0xd800..0xdc00).contains(u)) {
            units.pop();
            keep += 2;
        }
        self.carry.extend_from_slice(&buf[len - keep..len]);
        if !self.started && !units.is_empty() {
            self.started = true;
            if units[0] == 0xfeff {
                units.remove(0);
            }
        }
        self.out.clear();
        self.at = 0;
        let mut tmp = [0u8; 4];
        for c in char::decode_utf16(units) {
            let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
            self.out
                .extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
        }
        Ok(!self.out.is_empty() || !end)
    }
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, dst: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.out.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = dst.len().min(self.out.len() - self.at);
        dst[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Copy up to `want` bytes from the front of the reader without consuming them. A single
/// `fill_buf` may return fewer bytes than are coming (pipes), which is fine for sniffing.
fn fill_at_least<R: BufRead + ?Sized>(r: &mut R, want: usize) -> std::io::Result<Vec<u8>> {
    loop {
        match r.fill_buf() {
            Ok(b) => return Ok(b[..b.len().min(want)].to_vec()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Files at least this large are read with [`DropBehind`].
pub const DROP_BEHIND_MIN: u64 = 1 << 30;

/// A large file, read once from start to end: the kernel is told, every few megabytes, that
/// it may drop the pages already read from its cache (`POSIX_FADV_DONTNEED`). Filling the
/// page cache with a dump read once pushed out what else was cached, and on the
/// development machine (a virtual machine) the fresh pages cost more than reading them:
/// a 5 GB scan read from disk went from 34–36 s to 30–32 s, its kernel CPU from 8.5–10.4 s
/// to 3.5–4.4 s. A scan of the same file again reads it from disk, which kept ahead of
/// scanning there.
pub(crate) struct DropBehind {
    file: std::fs::File,
    read: u64,
    dropped: u64,
    step: u64,
}

impl DropBehind {
    pub(crate) fn new(file: std::fs::File) -> Self {
        Self::with_step(file, 8 << 20)
    }

    fn with_step(file: std::fs::File, step: u64) -> Self {
        DropBehind {
            file,
            read: 0,
            dropped: 0,
            step,
        }
    }

    /// Advise the kernel to drop what has been read. The page cache holds a file in
    /// folios of up to a few megabytes and keeps a folio that a range covers only in part,
    /// so each range starts at the file's start: the part already dropped costs the
    /// kernel a walk over an empty index.
    fn drop_read(&mut self) {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: advice on a range of a file we hold open; it changes no memory of
            // ours, and a failure (an unsupported file system) leaves the cache as it was.
            unsafe {
                libc::posix_fadvise(
                    self.file.as_raw_fd(),
                    0,
                    self.read as libc::off_t,
                    libc::POSIX_FADV_DONTNEED,
                );
            }
        }
        self.dropped = self.read;
    }
}

impl Read for DropBehind {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read += n as u64;
        // Every step, and at the end of the file (a read of nothing into room for something).
        if self.read - self.dropped >= self.step || (n == 0 && !buf.is_empty()) {
            self.drop_read();
        }
        Ok(n)
    }
}

/// Whether each page of `file`'s first `len` bytes is in the page cache (`mincore` on a
/// shared read-only mapping; `file` must be open for reading). What the drop-behind tests
/// of readers and writers check.
#[cfg(target_os = "linux")]
pub fn cached_pages(file: &std::fs::File, len: usize) -> std::io::Result<Vec<bool>> {
    use std::os::fd::AsRawFd;
    if len == 0 {
        return Ok(Vec::new());
    }
    // SAFETY: sysconf reads a constant of the system.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let mut v = vec![0u8; len.div_ceil(page)];
    // SAFETY: a shared read-only mapping of a file we hold, never read through and unmapped
    // before return; mincore writes one byte per page into a vector of that many bytes.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        );
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        let r = libc::mincore(p, len, v.as_mut_ptr());
        let err = std::io::Error::last_os_error();
        libc::munmap(p, len);
        if r != 0 {
            return Err(err);
        }
    }
    Ok(v.iter().map(|b| b & 1 == 1).collect())
}

#[cfg(all(test, target_os = "linux"))]
mod drop_behind_tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;

    fn resident_pages(file: &std::fs::File, len: usize) -> usize {
        resident(file, len).iter().filter(|&&c| c).count()
    }

    fn page_size() -> usize {
        // SAFETY: sysconf reads a constant of the system.
        unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
    }

    fn resident(file: &std::fs::File, len: usize) -> Vec<bool> {
        cached_pages(file, len).unwrap()
    }

    fn written_and_cached(len: usize) -> (tempfile::NamedTempFile, std::fs::File) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let line = b"{\"id\":\"1\",\"account\":\"a\",\"text\":\"some text\"}\n";
        let mut data = Vec::with_capacity(len);
        while data.len() < len {
            data.extend_from_slice(line);
        }
        data.truncate(len);
        f.write_all(&data).unwrap();
        f.as_file().sync_all().unwrap(); // clean pages: only clean pages can be dropped
        let file = std::fs::File::open(f.path()).unwrap();
        std::fs::read(f.path()).unwrap(); // now cached
        (f, file)
    }

    #[test]
    fn a_file_read_through_it_gives_the_same_bytes_and_leaves_the_cache() {
        // Not a multiple of the step: the tail is dropped at the end of the file.
        let len: usize = (4 << 20) + 100_000;
        let pages = len.div_ceil(page_size());
        // Whether this file system drops pages on advice at all (tmpfs, for one, keeps
        // them: they are the file): asked directly, on a file like the one read below.
        let (_probe, probe) = written_and_cached(len);
        assert_eq!(resident_pages(&probe, len), pages, "just read, so cached");
        // SAFETY: advice on our own open file.
        unsafe { libc::posix_fadvise(probe.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        if resident_pages(&probe, len) > pages / 10 {
            eprintln!("this file system keeps pages on POSIX_FADV_DONTNEED; nothing to measure");
            return;
        }

        let (f, file) = written_and_cached(len);
        let want = std::fs::read(f.path()).unwrap();
        let mut r = DropBehind::with_step(file, 1 << 20);
        let (mut got, mut buf) = (Vec::new(), vec![0u8; 64 << 10]);
        // Part of the file: what was read is dropped as reading goes on (a range's last
        // folio, which it covers in part, stays until the next range).
        while got.len() < 3 << 20 {
            let n = r.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        let cached = resident(&r.file, len);
        let first = (2 << 20) / page_size();
        assert!(
            !cached[..first].iter().any(|&c| c),
            "the first 2 MiB, read, still cached"
        );
        // The rest, to the end: the tail after the last full step is dropped too.
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, want);
        let left = resident(&r.file, len).iter().filter(|&&c| c).count();
        assert_eq!(left, 0, "{left} of {pages} pages still cached");
    }
}

/// Gzip members one after another (files joined with `cat`, `pigz`'s blocks), and zero
/// bytes after the last one passed over, as `gzip -d` passes them over: a file padded to a
/// block size (a tape archive's blocks, a copy made with `dd`). Anything else after a
/// member that does not open another is an error, as garbage.
struct GzMembers<R: BufRead> {
    dec: Option<flate2::bufread::GzDecoder<R>>,
}

impl<R: BufRead> GzMembers<R> {
    fn new(raw: R) -> GzMembers<R> {
        GzMembers {
            dec: Some(flate2::bufread::GzDecoder::new(raw)),
        }
    }
}

impl<R: BufRead> Read for GzMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let Some(dec) = self.dec.as_mut() else {
                return Ok(0);
            };
            let n = dec.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // The member ended: the file ends, or zeros end it, or another member follows.
            let mut raw = self.dec.take().expect("a member").into_inner();
            loop {
                let rest = raw.fill_buf()?;
                if rest.is_empty() {
                    return Ok(0);
                }
                let zeros = rest.iter().take_while(|&&b| b == 0).count();
                if zeros == 0 {
                    if rest[0] != 0x1f || rest.get(1).is_some_and(|&b| b != 0x8b) {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            "bytes after the end of the gzip data that are not gzip (trailing \
                             garbage: the file was appended to, or joined with another)",
                        ));
                    }
                    break;
                }
                raw.consume(zeros);
            }
            self.dec = Some(flate2::bufread::GzDecoder::new(raw));
        }
    }
}

#[cfg(test)]
mod utf16_tests {
    use super::*;
    use proptest::prelude::*;

    /// A reader that hands out its bytes in the given sizes, as a pipe does.
    struct Trickle {
        bytes: Vec<u8>,
        at: usize,
        sizes: Vec<usize>,
        k: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, dst: &mut [u8]) -> std::io::Result<usize> {
            let want = self.sizes[self.k % self.sizes.len()].max(1);
            self.k += 1;
            let n = want.min(dst.len()).min(self.bytes.len() - self.at);
            dst[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn encode(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        bom.then_some(0xfeff)
            .into_iter()
            .chain(text.encode_utf16())
            .flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    }

    proptest! {
        /// Any text, surrogate pairs and all, comes back as itself however the UTF-16
        /// bytes arrive (an odd byte or half a pair at the end of a read included), its
        /// byte-order mark dropped.
        #[test]
        fn utf16_reads_back_as_the_same_text(
            text in "\\PC{0,200}",
            big_endian: bool,
            sizes in proptest::collection::vec(1usize..9, 1..6),
        ) {
            let mut r = Utf16Reader::new(
                Trickle { bytes: encode(&text, big_endian, true), at: 0, sizes, k: 0 },
                big_endian,
            );
            let mut got = String::new();
            r.read_to_string(&mut got).unwrap();
            prop_assert_eq!(got, text);
        }

        /// Any bytes at all: no panic, valid UTF-8 out.
        #[test]
        fn any_bytes_read_as_utf16_are_valid_utf8(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
            big_endian: bool,
        ) {
            let mut r = Utf16Reader::new(&bytes[..], big_endian);
            let mut got = Vec::new();
            r.read_to_end(&mut got).unwrap();
            prop_assert!(std::str::from_utf8(&got).is_ok());
        }
    }

    /// A pipe that hands over its bytes one or two at a time: the compression is still
    /// found by its magic bytes, and nothing is lost or doubled.
    #[test]
    fn a_pipe_that_trickles_its_first_bytes_is_still_decompressed() {
        use std::io::Write;
        let text = "{\"id\":\"1\",\"text\":\"through a slow pipe\"}\n".repeat(50);
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        let bz = e.finish().unwrap();
        for (bytes, want) in [
            (bz, Compression::Bzip2),
            (text.clone().into_bytes(), Compression::None),
        ] {
            let pipe = Trickle {
                bytes,
                at: 0,
                sizes: vec![1, 2],
                k: 0,
            };
            let mut o = open_reader(Box::new(pipe), "-").unwrap();
            assert_eq!(o.compression, want);
            let mut got = String::new();
            o.reader.read_to_string(&mut got).unwrap();
            assert_eq!(got, text);
        }
    }

    /// A block boundary inside a surrogate pair, and one lone surrogate: the pair whole,
    /// the lone one U+FFFD.
    #[test]
    fn a_pair_split_across_blocks_stays_whole() {
        let text = format!("{}𝕏x", "a".repeat((1 << 15) - 2));
        let bytes = encode(&text, false, true);
        let mut r = Utf16Reader::new(&bytes[..], false);
        let mut got = String::new();
        r.read_to_string(&mut got).unwrap();
        assert_eq!(got, text);
        let lone = [0xff, 0xfe, b'a', 0, 0x00, 0xd8, b'b', 0];
        let mut got = String::new();
        Utf16Reader::new(&lone[..], false)
            .read_to_string(&mut got)
            .unwrap();
        assert_eq!(got, "a\u{fffd}b");
    }
}
