//! Opening an input: a path or `-`, with gzip or zstd undone by looking at the first bytes.

use std::io::{BufRead, BufReader, Read};

use crate::OpenError;

/// The compression found on an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
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

/// Open `path` (`-` is standard input), undoing gzip or zstd compression transparently.
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
    let magic = fill_at_least(&mut raw, 4).map_err(io_err)?;
    // Exports are handed over zipped (a Twitter archive always is, Telegram's often).
    if magic.starts_with(b"PK\x03\x04") || magic.starts_with(b"PK\x05\x06") {
        return Err(OpenError::Invalid {
            path: path.to_string(),
            message: "is a zip archive, which raqib does not read inside: unzip it \
                      (`unzip FILE -d DIR`) and give the folder"
                .into(),
        });
    }
    let (reader, compression): (Box<dyn BufRead + Send>, _) = if magic.starts_with(&[0x1f, 0x8b]) {
        let dec = flate2::bufread::MultiGzDecoder::new(raw);
        (
            Box::new(BufReader::with_capacity(BUF, dec)),
            Compression::Gzip,
        )
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let dec = ruzstd::decoding::StreamingDecoder::new(raw).map_err(|e| OpenError::Invalid {
            path: path.to_string(),
            message: format!("looks like zstd but cannot be decoded: {e}"),
        })?;
        (
            Box::new(BufReader::with_capacity(BUF, dec)),
            Compression::Zstd,
        )
    } else {
        (Box::new(raw), Compression::None)
    };
    let mut reader = reader;
    let head = match fill_at_least(&mut reader, HEAD) {
        Ok(h) => h,
        Err(e) => {
            return Err(OpenError::Invalid {
                path: path.to_string(),
                message: format!("cannot decompress ({compression:?}): {e}"),
            })
        }
    };
    Ok(Opened {
        reader,
        head,
        compression,
    })
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
