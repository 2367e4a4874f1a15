//! The files beside an input that its reader reads too: a Twitter archive's `tweets.js`
//! is read with the `account.js`, `profile.js` and `note-tweet.js` in its folder, whether
//! that folder is on disk or inside a zip archive.

use std::path::PathBuf;
use std::sync::Arc;

use crate::input::Opened;
use crate::zip_archive::ZipIndex;

/// Where an input's neighbours are.
#[derive(Clone)]
pub(crate) enum Beside {
    /// A folder on disk.
    Folder(PathBuf),
    /// A folder inside a zip archive: its path there, empty or ending with `/`.
    Zip(Arc<ZipIndex>, String),
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

    /// The path of `name` as messages show it.
    pub(crate) fn shown(&self, name: &str) -> String {
        match self {
            Beside::Folder(dir) => dir.join(name).display().to_string(),
            Beside::Zip(index, dir) => index.shown(&format!("{dir}{name}")),
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
        }
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
        }
    }
}
