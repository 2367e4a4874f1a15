//! The previous run's reports, deleted off the scan's path.
//!
//! A scan into a directory that holds an earlier scan's reports used to truncate
//! `posts.jsonl` before reading its first post, and to free each old whole-file report as
//! the new one was renamed over it. Freeing a file's pages and blocks is the kernel's work,
//! and it grows with the file: about 50 ms for the 200 MB a million-post scan writes, and
//! seconds for the reports of a 5 GB input, spent before the scan starts or while it ends.
//! Instead an old file is moved (or, where the new one will replace it, linked) to a hidden
//! name in the same directory, and a thread of its own deletes it while the scan runs.
//!
//! What a reader of the directory sees is unchanged: a streamed report is a new, empty file
//! from the start, as a truncated one was, and a whole-file report is the old one until the
//! new one replaces it in one rename. Where the file system refuses the move or the link,
//! the old way serves. A run stopped before its thread was done leaves hidden files, which
//! the next run in that directory deletes.

use std::path::{Path, PathBuf};

/// The hidden names' prefix.
const PREFIX: &str = ".raqib-old-";

/// Old report files waiting to be deleted, and the thread that deletes them.
pub(crate) struct Trash {
    tx: Option<crossbeam_channel::Sender<PathBuf>>,
    thread: Option<std::thread::JoinHandle<()>>,
    next: std::sync::atomic::AtomicU64,
}

impl Trash {
    /// A trash for the reports in `dir`, which also takes the hidden files a stopped run
    /// left there.
    pub(crate) fn new(dir: &Path) -> Trash {
        let (tx, rx) = crossbeam_channel::unbounded::<PathBuf>();
        let thread = std::thread::Builder::new()
            .name("raqib-trash".into())
            .spawn(move || {
                for p in rx {
                    let _ = std::fs::remove_file(p);
                }
            })
            .ok();
        let t = Trash {
            tx: thread.as_ref().map(|_| tx),
            thread,
            next: Default::default(),
        };
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let left = e
                    .file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with(PREFIX))
                    && e.file_type().is_ok_and(|t| t.is_file());
                if left {
                    t.delete(e.path());
                }
            }
        }
        t
    }

    /// A hidden name beside `path`, unique to this process and call.
    fn aside(&self, path: &Path) -> Option<PathBuf> {
        let name = path.file_name()?.to_str()?;
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let hidden = format!("{PREFIX}{}-{n}-{name}", std::process::id());
        Some(path.with_file_name(hidden))
    }

    fn delete(&self, p: PathBuf) {
        match &self.tx {
            Some(tx) => {
                let _ = tx.send(p);
            }
            None => {
                let _ = std::fs::remove_file(p);
            }
        }
    }

    /// Whether `path` is a regular file (not a link to one: writing to a link, to a pipe
    /// say, goes on writing there).
    fn is_file(path: &Path) -> bool {
        std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
    }

    /// Before `path` is created again: move the old file out of the way, to be deleted.
    pub(crate) fn clear(&self, path: &Path) {
        self.set_aside(path, |from, to| std::fs::rename(from, to));
    }

    /// Before a new file is renamed over `path`: keep the old one's content under a
    /// second name, so that the rename frees nothing, and delete it from there.
    pub(crate) fn keep_until_replaced(&self, path: &Path) {
        self.set_aside(path, |from, to| std::fs::hard_link(from, to));
    }

    /// Put `path`'s file under a hidden name by `place` (a move or a link) and delete it
    /// from there; nothing when it is no regular file or the deleting thread is missing.
    fn set_aside(&self, path: &Path, place: fn(&Path, &Path) -> std::io::Result<()>) {
        if !Self::is_file(path) || self.tx.is_none() {
            return;
        }
        if let Some(hidden) = self.aside(path) {
            if place(path, &hidden).is_ok() {
                self.delete(hidden);
            }
        }
    }

    /// Wait until every old file given is deleted.
    pub(crate) fn finish(mut self) {
        self.wait();
    }

    fn wait(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Trash {
    fn drop(&mut self) {
        self.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn old_files_go_and_new_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.json"));
        std::fs::write(&a, "old a").unwrap();
        std::fs::write(&b, "old b").unwrap();
        // Left by a run that was stopped.
        std::fs::write(dir.path().join(".raqib-old-1-1-a.jsonl"), "older").unwrap();
        std::fs::write(dir.path().join("mine.txt"), "not a report").unwrap();
        let t = Trash::new(dir.path());
        t.clear(&a);
        assert!(!a.exists(), "a streamed report starts afresh");
        std::fs::write(&a, "new a").unwrap();
        t.keep_until_replaced(&b);
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "old b");
        let tmp = dir.path().join("b.json.tmp");
        std::fs::write(&tmp, "new b").unwrap();
        std::fs::rename(&tmp, &b).unwrap();
        // Nothing there yet: clearing it is no error.
        t.clear(&dir.path().join("c.jsonl"));
        t.finish();
        assert_eq!(names(dir.path()), ["a.jsonl", "b.json", "mine.txt"]);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "new b");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_left_to_be_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "x").unwrap();
        let link = dir.path().join("posts.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let t = Trash::new(dir.path());
        t.clear(&link);
        t.keep_until_replaced(&link);
        t.finish();
        assert_eq!(names(dir.path()), ["elsewhere", "posts.jsonl"]);
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }
}
