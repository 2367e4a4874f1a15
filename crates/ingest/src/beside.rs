//! The files beside an input that its reader reads too: a Twitter archive's `tweets.js`
//! is read with the `account.js`, `profile.js` and `note-tweet.js` in its folder, whether
//! that folder is on disk, inside a zip archive, or inside a tar archive on disk.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use crate::input::Opened;
use crate::zip_archive::ZipIndex;

/// What an export's files found once, by the export's root: its owner, read from a file
/// beside (a profile, an account file) for every file of the export that names none. An
/// export has many such files (a Discord package a file per channel, an Instagram export
/// its posts, reels, stories and comments), and inside a compressed tar each lookup would
/// read the archive again from its start.
pub(crate) struct Memo<T>(
    std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, T>>>,
);

impl<T: Clone> Memo<T> {
    pub(crate) const fn new() -> Memo<T> {
        Memo(std::sync::OnceLock::new())
    }

    /// What `find` gives for the folder `root`, found once.
    pub(crate) fn get(&self, root: &Beside, find: impl FnOnce() -> T) -> T {
        let key = root.shown("");
        let map = self.0.get_or_init(Default::default);
        if let Some(v) = map.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return v.clone();
        }
        let v = find();
        map.lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, v.clone());
        v
    }
}

/// The most of an export's profile file read (a few kilobytes in a real export): one
/// larger is not parsed, rather than read whole into memory.
pub(crate) const PROFILE_MAX: usize = 64 << 20;

/// Where an input's neighbours are.
#[derive(Clone)]
pub(crate) enum Beside {
    /// A folder on disk.
    Folder(PathBuf),
    /// A folder inside a zip archive: its path there, empty or ending with `/`.
    Zip(Arc<ZipIndex>, String),
    /// A folder inside a tar archive that is a file on disk.
    Tar(Arc<TarDir>),
}

/// A folder inside a tar archive that is a file on disk, its files found when a neighbour
/// is first asked for: the names and the small files the readers read whole (see
/// [`crate::twitter_archive::is_read_whole_beside`]). An uncompressed tar's are read by
/// offset from its index ([`crate::tar_index`]); a compressed tar's likewise where its
/// media were indexed already, and otherwise it is read again from its start, once for
/// those and once for each file to stream (not copied whole into the temporary folder for
/// a few small files).
pub(crate) struct TarDir {
    archive: String,
    /// Its path in the archive, empty or ending with `/`.
    dir: String,
    loaded: std::sync::OnceLock<Result<crate::tar::Neighbours, String>>,
}

impl TarDir {
    pub(crate) fn new(archive: &str, dir: &str) -> TarDir {
        TarDir {
            archive: archive.to_string(),
            dir: dir.to_string(),
            loaded: Default::default(),
        }
    }

    fn loaded(&self) -> &Result<crate::tar::Neighbours, String> {
        self.loaded.get_or_init(|| {
            crate::tar::neighbours(&self.archive, &self.dir, |name| {
                crate::twitter_archive::is_read_whole_beside(name)
                    || crate::meta::is_read_whole_beside(name)
                    || crate::instagram::is_read_whole_beside(name)
            })
            .map(|(mut names, kept)| {
                names.sort();
                names.dedup();
                (names, kept)
            })
        })
    }

    /// The member `name` of the folder as a stream, by a read of the archive of its own.
    fn member(&self, name: &str) -> Result<Option<Box<dyn std::io::Read + Send>>, String> {
        crate::tar::member_of(&self.archive, &format!("{}{name}", self.dir))
    }
}

impl Beside {
    /// The folder of the file at `path` on disk; none for standard input or for a path
    /// whose folder is not one (a member of a tar archive, `ARCHIVE/data/tweets.js`).
    pub(crate) fn of_path(path: &str) -> Option<Beside> {
        if path == "-" {
            return None;
        }
        let dir = std::path::Path::new(path).parent()?;
        let dir = if dir.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            dir
        };
        dir.is_dir().then(|| Beside::Folder(dir.to_path_buf()))
    }

    /// The folder above, in the same folder tree, zip or tar; `None` above its top.
    pub(crate) fn up(&self) -> Option<Beside> {
        let parent = |dir: &str| -> Option<String> {
            let trimmed = dir.strip_suffix('/')?;
            Some(match trimmed.rfind('/') {
                Some(k) => trimmed[..=k].to_string(),
                None => String::new(),
            })
        };
        Some(match self {
            Beside::Folder(dir) => {
                let abs = std::fs::canonicalize(dir).ok()?;
                Beside::Folder(abs.parent()?.to_path_buf())
            }
            Beside::Zip(index, dir) => Beside::Zip(index.clone(), parent(dir)?),
            Beside::Tar(t) => Beside::Tar(Arc::new(TarDir::new(&t.archive, &parent(&t.dir)?))),
        })
    }

    /// The folder's own name (its last part); `None` for an archive's top.
    pub(crate) fn name(&self) -> Option<String> {
        let last = |dir: &str| {
            let d = dir.strip_suffix('/')?;
            Some(d.rsplit('/').next().unwrap_or(d).to_string())
        };
        match self {
            Beside::Folder(dir) => std::fs::canonicalize(dir)
                .ok()?
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            Beside::Zip(_, dir) => last(dir),
            Beside::Tar(t) => last(&t.dir),
        }
    }

    /// The folder `sub` (ending with `/`) below this one, in the same folder tree, zip or
    /// tar.
    pub(crate) fn down(&self, sub: &str) -> Beside {
        match self {
            Beside::Folder(dir) => Beside::Folder(dir.join(sub)),
            Beside::Zip(index, dir) => Beside::Zip(index.clone(), format!("{dir}{sub}")),
            Beside::Tar(t) => Beside::Tar(Arc::new(TarDir::new(
                &t.archive,
                &format!("{}{sub}", t.dir),
            ))),
        }
    }

    /// The path of `name` as messages show it.
    pub(crate) fn shown(&self, name: &str) -> String {
        match self {
            Beside::Folder(dir) => dir.join(name).display().to_string(),
            Beside::Zip(index, dir) => index.shown(&format!("{dir}{name}")),
            Beside::Tar(t) => format!("{}/{}{name}", t.archive, t.dir),
        }
    }

    /// The whole of `name`; `Ok(None)` where there is none. An error names the file.
    pub(crate) fn read(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        match self {
            Beside::Folder(dir) => match std::fs::read(dir.join(name)) {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(format!("{}: {e}", self.shown(name))),
            },
            Beside::Zip(index, dir) => index
                .read_whole(&format!("{dir}{name}"))
                .map_err(|e| format!("{}: {e}", self.shown(name))),
            Beside::Tar(t) => {
                let (names, kept) = t.loaded().as_ref().map_err(Clone::clone)?;
                if let Some(bytes) = kept.get(name) {
                    return Ok(Some(bytes.clone()));
                }
                if !names.iter().any(|n| n == name) {
                    return Ok(None);
                }
                let mut bytes = Vec::new();
                if let Some(r) = t.member(name)? {
                    r.take(crate::tar::NEIGHBOUR_MAX + 1)
                        .read_to_end(&mut bytes)
                        .map_err(|e| format!("{}: {e}", self.shown(name)))?;
                }
                Ok(Some(bytes))
            }
        }
    }

    /// The last `n` bytes (or fewer) of `name`, as stored (not decompressed): read from
    /// its end on disk; in a zip, the member read through to its end, for what a file
    /// writes after its records (a Meta thread's `title`). `None` where there is no such
    /// file, or it is inside a tar archive (a compressed one would be read again from its
    /// start for each).
    pub(crate) fn tail(&self, name: &str, n: usize) -> Option<Vec<u8>> {
        use std::io::{Seek, SeekFrom};
        match self {
            Beside::Folder(dir) => {
                let mut f = std::fs::File::open(dir.join(name)).ok()?;
                let len = f.metadata().ok()?.len();
                f.seek(SeekFrom::Start(len.saturating_sub(n as u64))).ok()?;
                let mut out = Vec::new();
                f.take(n as u64).read_to_end(&mut out).ok()?;
                Some(out)
            }
            Beside::Zip(index, dir) => {
                let mut r = index.member(&format!("{dir}{name}")).ok()?;
                // The last `n` bytes seen, in a buffer of twice that, moved down when full.
                let mut kept = Vec::with_capacity(2 * n);
                let mut block = vec![0u8; 64 << 10];
                loop {
                    let got = match r.read(&mut block) {
                        Ok(0) => break,
                        Ok(got) => got,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(_) => return None,
                    };
                    kept.extend_from_slice(&block[..got]);
                    if kept.len() > 2 * n {
                        kept.drain(..kept.len() - n);
                    }
                }
                let from = kept.len().saturating_sub(n);
                Some(kept.split_off(from))
            }
            Beside::Tar(_) => None,
        }
    }

    /// For a folder inside a tar archive: the files below it that `keep` chooses by their
    /// path under it (giving the most bytes of each to read), read whole in one pass over
    /// the archive, by that path (reading each alone would read a compressed archive again
    /// from its start for each). `None` for a folder on disk or in a zip, whose files are as
    /// cheaply read each alone.
    pub(crate) fn tar_files_below(
        &self,
        keep: impl Fn(&str) -> Option<u64>,
    ) -> Option<Result<std::collections::HashMap<String, Vec<u8>>, String>> {
        match self {
            Beside::Tar(t) => Some(crate::tar::files_below(&t.archive, &t.dir, keep)),
            Beside::Folder(_) | Beside::Zip(..) => None,
        }
    }

    /// The first `max` bytes of `name` (and one more, so that a caller can tell a file
    /// over the limit), for a small file a hostile export could make huge; `None` where
    /// there is none or it cannot be read.
    pub(crate) fn read_at_most(&self, name: &str, max: usize) -> Option<Vec<u8>> {
        let limit = max as u64 + 1;
        let mut out = Vec::new();
        match self {
            Beside::Folder(dir) => {
                let f = std::fs::File::open(dir.join(name)).ok()?;
                f.take(limit).read_to_end(&mut out).ok()?;
            }
            Beside::Zip(index, dir) => {
                let r = index.member(&format!("{dir}{name}")).ok()?;
                r.take(limit).read_to_end(&mut out).ok()?;
            }
            Beside::Tar(_) => {
                out = self.read(name).ok()??;
                out.truncate(max + 1);
            }
        }
        Some(out)
    }

    /// The names of the files beside, in name order.
    pub(crate) fn names(&self) -> Vec<String> {
        match self {
            Beside::Folder(dir) => {
                let mut names: Vec<String> = std::fs::read_dir(dir)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                names
            }
            Beside::Zip(index, dir) => index.names_in(dir),
            Beside::Tar(t) => t
                .loaded()
                .as_ref()
                .map(|(names, _)| names.clone())
                .unwrap_or_default(),
        }
    }

    /// `name` opened as an input (decompressed); `None` where it cannot be (its own scan
    /// says why).
    pub(crate) fn open(&self, name: &str) -> Option<Opened> {
        match self {
            Beside::Folder(dir) => crate::open_input(&dir.join(name).to_string_lossy()).ok(),
            Beside::Zip(index, dir) => {
                let inner = format!("{dir}{name}");
                let member = index.member(&inner).ok()?;
                crate::input::open_reader(member, &index.shown(&inner)).ok()
            }
            Beside::Tar(t) => {
                let member = t.member(name).ok()??;
                crate::input::open_reader(member, &self.shown(name)).ok()
            }
        }
    }
}
