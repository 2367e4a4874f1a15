//! A report file that, once large, leaves the page cache behind its writer.
//!
//! A scan of a dump of many gigabytes writes gigabytes of `posts.jsonl`. Each page written
//! is a fresh page of the page cache, and on a virtual machine a page the host has not
//! backed yet is dear to touch: copying the report into the cache was 7.8% of a 5 GB
//! scan's CPU samples (`copy_folio_from_iter_atomic`), six times what reading the 5 GB in
//! cost once the reader dropped its pages behind it (`raqib_ingest`'s `DropBehind`). And
//! the cache fills with report pages that nobody reads before the scan ends.
//!
//! Past [`WRITE_BEHIND_MIN`] bytes, every [`STEP`] written: the kernel is asked to start
//! writing out what was written since the last step (`sync_file_range`), waits for the
//! step before that (started a step earlier, so usually done), and is told it may drop
//! everything up to there (`POSIX_FADV_DONTNEED`; only clean pages can be dropped, hence
//! the writeback first). Written pages are only written out sooner than the kernel would
//! have: nothing written is lost, and a crash loses no more than before. Below the size a
//! report is written as before: it stays in the cache for whoever reads it next.

use std::io::Write;

/// Bytes written before the writer starts dropping pages behind it.
pub const WRITE_BEHIND_MIN: u64 = 1 << 30;
/// How often (in bytes written) writeback is started and older pages dropped.
const STEP: u64 = 8 << 20;

pub(crate) struct WriteBehind {
    file: std::fs::File,
    written: u64,
    /// Writeback has been started for `[0, started)`.
    started: u64,
    /// `[0, dropped)` has been written out and advised away.
    dropped: u64,
    min: u64,
    step: u64,
}

impl WriteBehind {
    pub(crate) fn new(file: std::fs::File) -> Self {
        Self::with(file, WRITE_BEHIND_MIN, STEP)
    }

    fn with(file: std::fs::File, min: u64, step: u64) -> Self {
        WriteBehind {
            file,
            written: 0,
            started: 0,
            dropped: 0,
            min,
            step,
        }
    }

    /// Start writeback of what was written since the last step; wait for the step before
    /// and drop everything up to it. Errors are left to the kernel's writeback, which
    /// reports them as it would have without this.
    fn behind(&mut self) {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let fd = self.file.as_raw_fd();
            // SAFETY: writeback requests and advice on ranges of a file we hold open; they
            // change no memory of ours.
            unsafe {
                libc::sync_file_range(
                    fd,
                    self.started as libc::off64_t,
                    (self.written - self.started) as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
                if self.started > self.dropped {
                    libc::sync_file_range(
                        fd,
                        self.dropped as libc::off64_t,
                        (self.started - self.dropped) as libc::off64_t,
                        libc::SYNC_FILE_RANGE_WAIT_BEFORE
                            | libc::SYNC_FILE_RANGE_WRITE
                            | libc::SYNC_FILE_RANGE_WAIT_AFTER,
                    );
                    // From the file's start, as the reader does: the cache keeps a large
                    // folio that a range covers only in part.
                    libc::posix_fadvise(
                        fd,
                        0,
                        self.started as libc::off_t,
                        libc::POSIX_FADV_DONTNEED,
                    );
                    self.dropped = self.started;
                }
            }
        }
        self.started = self.written;
    }
}

impl Write for WriteBehind {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written >= self.min && self.written - self.started >= self.step {
            self.behind();
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    fn page_size() -> usize {
        // SAFETY: sysconf reads a constant of the system.
        unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
    }

    fn resident(file: &std::fs::File, len: usize) -> Vec<bool> {
        raqib_ingest::cached_pages(file, len).unwrap()
    }

    fn bytes(len: usize) -> Vec<u8> {
        let line = b"{\"id\":\"1\",\"score\":0.97,\"text\":\"some text\"}\n";
        line.iter().copied().cycle().take(len).collect()
    }

    #[test]
    fn a_large_report_leaves_the_cache_behind_its_writer_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let len: usize = (6 << 20) + 12_345;
        // Whether this file system drops written pages on advice at all (tmpfs keeps
        // them: they are the file): asked directly, on a file like the one written below.
        let probe_path = dir.path().join("probe");
        std::fs::write(&probe_path, bytes(len)).unwrap();
        let probe = std::fs::File::open(&probe_path).unwrap();
        probe.sync_all().unwrap();
        // SAFETY: advice on our own open file.
        unsafe { libc::posix_fadvise(probe.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        if resident(&probe, len).iter().filter(|&&c| c).count() > 10 {
            eprintln!("this file system keeps pages on POSIX_FADV_DONTNEED; nothing to measure");
            return;
        }

        let path = dir.path().join("posts.jsonl");
        let want = bytes(len);
        // Dropping starts after 2 MiB, a step every 1 MiB; written in lines through a
        // buffer of 64 KiB, as the scan writes.
        let mut w = std::io::BufWriter::with_capacity(
            64 << 10,
            WriteBehind::with(std::fs::File::create(&path).unwrap(), 2 << 20, 1 << 20),
        );
        for line in want.chunks(700) {
            w.write_all(line).unwrap();
        }
        w.flush().unwrap();
        let w = w.into_inner().map_err(|e| e.into_error()).unwrap();
        // Every step started writeback of itself and dropped the one before: at least the
        // first 4 MiB are gone from the cache, the last step or two are still there.
        let cached = resident(&std::fs::File::open(&path).unwrap(), len);
        let gone = (4 << 20) / page_size();
        assert!(
            !cached[..gone].iter().any(|&c| c),
            "{} of the first {gone} pages still cached",
            cached[..gone].iter().filter(|&&c| c).count()
        );
        assert!(cached[cached.len() - 1], "the last page, just written");
        drop(w);
        assert_eq!(std::fs::read(&path).unwrap(), want);
    }

    #[test]
    fn a_small_report_stays_in_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("posts.jsonl");
        let len: usize = 3 << 20;
        let mut w = WriteBehind::with(std::fs::File::create(&path).unwrap(), 4 << 20, 1 << 20);
        for chunk in bytes(len).chunks(100_000) {
            w.write_all(chunk).unwrap();
        }
        assert_eq!((w.started, w.dropped), (0, 0));
        assert!(resident(&std::fs::File::open(&path).unwrap(), len)
            .iter()
            .all(|&c| c));
        assert_eq!(std::fs::read(&path).unwrap(), bytes(len));
    }
}
