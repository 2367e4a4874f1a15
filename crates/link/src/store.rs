//! The suspended-account index on disk: a folder holding `suspended.jsonl`, an
//! append-only log of fingerprints added and accounts removed, synced before a command
//! reports success. Only fingerprints are kept (MinHash of the bio, not the bio; PDQ of the
//! avatar, not the image), plus handle and display name for the evidence.
//!
//! **Invariant:** a line is acknowledged only after `fsync`; a torn last line (a crash
//! mid-write) is ignored with a warning and never appended after.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fingerprint::{Fingerprint, FINGERPRINT_VERSION};
use crate::index::{Inserted, SuspendedIndex};

pub const LOG_FILE: &str = "suspended.jsonl";

/// One line of the log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    Add {
        /// Unix seconds when added.
        at: i64,
        #[serde(default = "version1")]
        v: u32,
        fingerprint: Box<Fingerprint>,
    },
    Remove {
        at: i64,
        platform: String,
        id: String,
    },
}

fn version1() -> u32 {
    1
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{0}")]
    Invalid(String),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |error| StoreError::Io {
        path: path.display().to_string(),
        error,
    }
}

/// An open suspended-account folder: the index in memory and the log to append to.
pub struct SuspendedStore {
    dir: PathBuf,
    pub index: SuspendedIndex,
    /// Problems met while reading the log (file:line), for the user to see.
    pub warnings: Vec<String>,
    log: Option<File>,
}

impl SuspendedStore {
    /// Open (or create, when `create`) a folder and replay its log.
    pub fn open(dir: &Path, create: bool, threads: usize) -> Result<SuspendedStore, StoreError> {
        if !dir.is_dir() {
            if !create {
                return Err(StoreError::Invalid(format!(
                    "{}: no suspended-account index here; create one with `raqib suspended --dir {} add FILE`",
                    dir.display(),
                    dir.display()
                )));
            }
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let path = dir.join(LOG_FILE);
        let mut warnings = Vec::new();
        let mut fps: Vec<Fingerprint> = Vec::new();
        let mut removes: Vec<(usize, String, String)> = Vec::new();
        if let Ok(f) = File::open(&path) {
            let mut renew = crate::fingerprint::Fingerprinter::default();
            let mut reader = BufReader::new(f);
            let mut line = String::new();
            let mut no = 0u64;
            loop {
                line.clear();
                let n = reader.read_line(&mut line).map_err(io(&path))?;
                if n == 0 {
                    break;
                }
                no += 1;
                if !line.ends_with('\n') {
                    warnings.push(format!(
                        "{}:{no}: incomplete last line ignored",
                        path.display()
                    ));
                    break;
                }
                match serde_json::from_str::<Op>(line.trim_end()) {
                    Ok(Op::Add { mut fingerprint, v, .. }) if v <= FINGERPRINT_VERSION => {
                        if v < FINGERPRINT_VERSION {
                            // Its name keys were made by an older normaliser.
                            renew.renew_names(&mut fingerprint);
                        }
                        fps.push(*fingerprint)
                    }
                    Ok(Op::Add { v, .. }) => warnings.push(format!(
                        "{}:{no}: fingerprint version {v} is newer than this build reads ({FINGERPRINT_VERSION}); line skipped: upgrade raqib",
                        path.display()
                    )),
                    Ok(Op::Remove { platform, id, .. }) => removes.push((fps.len(), platform, id)),
                    Err(e) => warnings.push(format!("{}:{no}: {e}; line skipped", path.display())),
                }
            }
        }
        // Removals apply to what was added before them; a later re-add stands.
        let mut index = if removes.is_empty() {
            SuspendedIndex::build(fps, threads)
        } else {
            let mut keep = vec![true; fps.len()];
            let mut pos: std::collections::HashMap<(String, String), Vec<usize>> =
                Default::default();
            for (i, f) in fps.iter().enumerate() {
                pos.entry((f.platform.to_string(), f.id.to_string()))
                    .or_default()
                    .push(i);
            }
            for (before, p, id) in &removes {
                if let Some(v) = pos.get(&(p.clone(), id.clone())) {
                    for &i in v.iter().filter(|&&i| i < *before) {
                        keep[i] = false;
                    }
                }
            }
            let kept = fps
                .into_iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(f, _)| f)
                .collect();
            SuspendedIndex::build(kept, threads)
        };
        if let Some(w) = std::env::var_os("RAQIB_LINK_WEIGHTS") {
            // For experiments only: weights as "bias,w1,...,w10".
            if let Some(w) = parse_weights(&w.to_string_lossy()) {
                index.set_weights(w);
            }
        }
        Ok(SuspendedStore {
            dir: dir.to_path_buf(),
            index,
            warnings,
            log: None,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn log_file(&mut self) -> Result<&mut File, StoreError> {
        let path = self.dir.join(LOG_FILE);
        if self.log.is_none() {
            self.log = Some(raqib_media::lists::open_log_for_append(&path).map_err(io(&path))?);
        }
        Ok(self.log.as_mut().expect("opened"))
    }

    /// Add fingerprints (synced before returning). Returns how many replaced an entry
    /// with the same platform and id.
    pub fn add(&mut self, fps: Vec<Fingerprint>, now: i64) -> Result<usize, StoreError> {
        let mut buf = Vec::new();
        for f in &fps {
            let op = Op::Add {
                at: now,
                v: FINGERPRINT_VERSION,
                fingerprint: Box::new(f.clone()),
            };
            serde_json::to_writer(&mut buf, &op).expect("json");
            buf.push(b'\n');
        }
        let path = self.dir.join(LOG_FILE);
        let f = self.log_file()?;
        f.write_all(&buf).map_err(io(&path))?;
        f.sync_data().map_err(io(&path))?;
        Ok(fps
            .into_iter()
            .filter(|f| self.index.insert(f.clone()) == Inserted::Replaced)
            .count())
    }

    /// Remove accounts (synced before returning). Returns those that were not there.
    pub fn remove(
        &mut self,
        ids: &[(String, String)],
        now: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let (present, absent): (Vec<_>, Vec<_>) = ids
            .iter()
            .cloned()
            .partition(|(p, id)| self.index.get(p, id).is_some());
        let mut buf = Vec::new();
        for (platform, id) in &present {
            serde_json::to_writer(
                &mut buf,
                &Op::Remove {
                    at: now,
                    platform: platform.clone(),
                    id: id.clone(),
                },
            )
            .expect("json");
            buf.push(b'\n');
        }
        if !buf.is_empty() {
            let path = self.dir.join(LOG_FILE);
            let f = self.log_file()?;
            f.write_all(&buf).map_err(io(&path))?;
            f.sync_data().map_err(io(&path))?;
        }
        for (p, id) in &present {
            self.index.remove(p, id);
        }
        Ok(absent)
    }
}

fn parse_weights(s: &str) -> Option<crate::score::Weights> {
    let v: Vec<f32> = s
        .split(',')
        .map(|x| x.trim().parse().ok())
        .collect::<Option<_>>()?;
    if v.len() != 11 {
        return None;
    }
    let mut w = [0f32; 10];
    w.copy_from_slice(&v[1..]);
    Some(crate::score::Weights { bias: v[0], w })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(id: &str, handle: &str) -> Fingerprint {
        Fingerprint {
            platform: "x".into(),
            id: id.into(),
            handle: handle.into(),
            stem: handle.into(),
            ..Default::default()
        }
    }

    #[test]
    fn add_remove_survive_reopen_and_torn_line() {
        let d = tempfile::tempdir().unwrap();
        let mut s = SuspendedStore::open(d.path(), true, 1).unwrap();
        assert_eq!(
            s.add(vec![fp("1", "alpha"), fp("2", "bravo")], 10).unwrap(),
            0
        );
        assert_eq!(
            s.add(vec![fp("1", "alpha2")], 11).unwrap(),
            1,
            "same id replaces"
        );
        let absent = s
            .remove(&[("x".into(), "2".into()), ("x".into(), "9".into())], 12)
            .unwrap();
        assert_eq!(absent, vec![("x".to_string(), "9".to_string())]);
        drop(s);
        // A crash mid-append leaves a torn line.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(d.path().join(LOG_FILE))
            .unwrap();
        f.write_all(br#"{"op":"add","at":1,"fingerp"#).unwrap();
        drop(f);
        let mut s = SuspendedStore::open(d.path(), false, 1).unwrap();
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        assert!(
            s.warnings[0].contains(":5: incomplete last line"),
            "{:?}",
            s.warnings
        );
        assert_eq!(s.index.len(), 1);
        assert_eq!(&*s.index.get("x", "1").unwrap().handle, "alpha2");
        assert!(s.index.get("x", "2").is_none());
        // Appending after the torn line starts a fresh line.
        s.add(vec![fp("2", "bravo")], 13).unwrap();
        drop(s);
        let s = SuspendedStore::open(d.path(), false, 1).unwrap();
        assert_eq!(s.index.len(), 2);
        assert_eq!(
            s.warnings.len(),
            1,
            "the torn line is reported, the next line reads"
        );
    }

    /// An index written before normaliser v5 (fingerprint v1) keeps a fancy-text handle's
    /// and an Urdu-spelt name's keys as that normaliser made them; read now, they are made
    /// again, so the returning account with the plain handle and name meets them, as
    /// one fingerprinted today would. A v2 line is read as it was written.
    #[test]
    fn an_index_from_the_previous_normaliser_has_its_name_keys_made_again() {
        let account = |id: &str, handle: &str, name: &str| raqib_model::Account {
            id: id.into(),
            platform: "x".into(),
            handle: Some(handle.into()),
            display_name: Some(name.into()),
            ..Default::default()
        };
        let mut fper = crate::fingerprint::Fingerprinter::default();
        let fancy = fper.fingerprint(&account("1", "ᴀʙᴜ_ʜᴀʀʙ", "ابو حرب الشامی"), &[]);
        let plain = fper.fingerprint(&account("9", "abu_harb", "ابو حرب الشامي"), &[]);
        assert_eq!(fancy.stem, plain.stem);
        assert_eq!(fancy.name_words, plain.name_words);
        // As normaliser v4 left them: the letters as they were.
        let mut old = fancy.clone();
        old.stem = "ᴀʙᴜʜᴀʀʙ".into();
        old.handle_cons = 7;
        old.name_cons = 7;
        old.name_words = vec![1, 2, 3].into();
        let mut written = old.clone();
        written.id = "2".into();
        let d = tempfile::tempdir().unwrap();
        let mut log = String::new();
        for (v, f) in [(1, &old), (2, &written)] {
            let op = Op::Add {
                at: 1,
                v,
                fingerprint: Box::new(f.clone()),
            };
            log += &serde_json::to_string(&op).unwrap();
            log.push('\n');
        }
        std::fs::write(d.path().join(LOG_FILE), log).unwrap();
        let s = SuspendedStore::open(d.path(), false, 1).unwrap();
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        let renewed = s.index.get("x", "1").unwrap();
        assert_eq!(renewed, &fancy);
        let kept = s.index.get("x", "2").unwrap();
        assert_eq!(&*kept.stem, "ᴀʙᴜʜᴀʀʙ");
        assert_eq!(kept.handle_cons, 7);
    }

    #[test]
    fn missing_folder_says_how_to_create_it() {
        let d = tempfile::tempdir().unwrap();
        let e = SuspendedStore::open(&d.path().join("none"), false, 1)
            .err()
            .unwrap();
        assert!(e.to_string().contains("raqib suspended --dir"), "{e}");
    }
}
