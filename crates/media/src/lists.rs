//! Hash lists: named sets of known media (PDQ, video frame hashes, MD5,
//! SHA-256, URLs, domains), each entry with a label, source and date.
//!
//! A list is a folder:
//!
//! - `list.json`: name, description, PDQ radius, and how much of the log the
//!   segment already holds.
//! - `log.jsonl`: every addition and removal, appended and synced before it
//!   is acknowledged. The whole history; never rewritten.
//! - `pdq.hix`: the compacted PDQ index (memory-mapped), and `meta.json`,
//!   the label/source/date table its entries point into.
//!
//! Opening maps the segment and replays only the log written since the last
//! compaction, so a list of ten million hashes opens in milliseconds.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::exact::parse_digest;
use crate::index::{HashIndex, Segment};
use crate::pdq::Hash256;
use crate::url::{canonical_domain, canonicalise, domain_suffixes, CanonicalUrl};

/// PDQ radius used when a list does not set one (the industry's default).
pub const DEFAULT_RADIUS: u32 = 31;
/// PDQ hashes below this quality are not match targets unless asked.
pub const MIN_QUALITY: u8 = 50;

/// The kinds of signal a list holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignalType {
    Pdq,
    Video,
    Md5,
    Sha256,
    Url,
    Domain,
}

impl SignalType {
    pub fn name(self) -> &'static str {
        match self {
            SignalType::Pdq => "pdq",
            SignalType::Video => "video",
            SignalType::Md5 => "md5",
            SignalType::Sha256 => "sha256",
            SignalType::Url => "url",
            SignalType::Domain => "domain",
        }
    }

    /// Names used by ThreatExchange / HMA exports as well as raqib's own.
    pub fn parse(s: &str) -> Option<SignalType> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pdq" | "hash_pdq" | "photo_pdq" => Some(SignalType::Pdq),
            "video" | "vpdq" | "hash_vpdq" | "video_vpdq" => Some(SignalType::Video),
            "md5" | "hash_md5" | "video_md5" | "photo_md5" => Some(SignalType::Md5),
            "sha256" | "hash_sha256" => Some(SignalType::Sha256),
            "url" | "uri" | "raw_uri" => Some(SignalType::Url),
            "domain" => Some(SignalType::Domain),
            _ => None,
        }
    }
}

/// Label, source and date of an entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Meta {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub date: String,
}

/// One frame hash of a video entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameHash {
    pub hash: String,
    pub quality: u8,
    #[serde(default)]
    pub t: f64,
}

/// A line of the log.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum LogOp {
    Add {
        #[serde(rename = "type")]
        kind: SignalType,
        /// The hash, digest, URL or domain (empty for video: see `frames`).
        value: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quality: Option<u8>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        frames: Vec<FrameHash>,
        #[serde(flatten)]
        meta: Meta,
    },
    Remove {
        #[serde(rename = "type")]
        kind: SignalType,
        value: String,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ListInfo {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_radius")]
    pub radius: u32,
    /// Bytes of `log.jsonl` already folded into `pdq.hix` (PDQ) and
    /// `other.jsonl` (every other live entry).
    #[serde(default)]
    pub compacted_bytes: u64,
    /// Lines of `log.jsonl` in those bytes (to number later lines).
    #[serde(default)]
    pub compacted_lines: u64,
    #[serde(default)]
    pub format: u32,
}

fn default_radius() -> u32 {
    DEFAULT_RADIUS
}

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Segment(#[from] crate::index::SegmentError),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ListError + '_ {
    move |error| ListError::Io {
        path: path.display().to_string(),
        error,
    }
}

/// A video entry: its frame hashes (quality-filtered) and metadata.
#[derive(Clone, Debug)]
pub struct VideoEntry {
    pub id: String,
    pub frames: Vec<Hash256>,
    pub meta: u32,
}

/// An open list.
pub struct HashList {
    pub dir: PathBuf,
    pub info: ListInfo,
    metas: Vec<Meta>,
    meta_ids: HashMap<Meta, u32>,
    pdq: HashIndex,
    /// Frame index: payload = video number.
    frames: HashIndex,
    videos: Vec<VideoEntry>,
    removed_videos: HashSet<String>,
    exact: HashMap<(SignalType, String), u32>,
    log: Option<File>,
    /// Diagnostics from replaying the log (damaged lines are skipped).
    pub warnings: Vec<String>,
}

/// What a query matched in a list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ListMatch {
    pub list: String,
    #[serde(rename = "type")]
    pub kind: SignalType,
    /// The list's entry that matched.
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<u32>,
    #[serde(flatten)]
    pub meta: Meta,
}

impl HashList {
    /// Create an empty list folder.
    pub fn create(
        dir: &Path,
        name: &str,
        description: &str,
        radius: u32,
    ) -> Result<HashList, ListError> {
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(ListError::Invalid(format!(
                "{name:?} is not a usable list name (no slashes, not starting with a dot)"
            )));
        }
        if dir.join("list.json").exists() {
            return Err(ListError::Invalid(format!(
                "a list already exists at {}",
                dir.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let info = ListInfo {
            name: name.to_string(),
            description: description.to_string(),
            radius,
            compacted_bytes: 0,
            compacted_lines: 0,
            format: 1,
        };
        write_atomic(
            &dir.join("list.json"),
            &serde_json::to_vec_pretty(&info).expect("json"),
        )?;
        HashList::open(dir)
    }

    pub fn open(dir: &Path) -> Result<HashList, ListError> {
        let info_path = dir.join("list.json");
        let text = std::fs::read(&info_path).map_err(io(&info_path))?;
        let info: ListInfo = serde_json::from_slice(&text)
            .map_err(|e| ListError::Invalid(format!("{}: {e}", info_path.display())))?;
        let meta_path = dir.join("meta.json");
        let metas: Vec<Meta> = if meta_path.exists() {
            let t = std::fs::read(&meta_path).map_err(io(&meta_path))?;
            serde_json::from_slice(&t)
                .map_err(|e| ListError::Invalid(format!("{}: {e}", meta_path.display())))?
        } else {
            Vec::new()
        };
        let seg_path = dir.join("pdq.hix");
        // The log is the source of truth: an index file that cannot be used
        // (older format, damaged) is set aside and the whole log replayed.
        let mut warnings = Vec::new();
        let mut info = info;
        let pdq = if seg_path.exists() {
            match Segment::open(&seg_path) {
                Ok(seg) => HashIndex::with_segment(seg),
                Err(e) => {
                    warnings.push(format!("{e}; using the log instead until then"));
                    info.compacted_bytes = 0;
                    HashIndex::new()
                }
            }
        } else {
            HashIndex::new()
        };
        let meta_ids = metas
            .iter()
            .enumerate()
            .map(|(i, m)| (m.clone(), i as u32))
            .collect();
        let mut list = HashList {
            dir: dir.to_path_buf(),
            info,
            metas,
            meta_ids,
            pdq,
            frames: HashIndex::new(),
            videos: Vec::new(),
            removed_videos: HashSet::new(),
            exact: HashMap::new(),
            log: None,
            warnings,
        };
        list.replay()?;
        Ok(list)
    }

    /// Replay the log: everything for exact and video entries (they live in
    /// memory), only the part after `compacted_bytes` for PDQ.
    fn replay(&mut self) -> Result<(), ListError> {
        let path = self.dir.join("log.jsonl");
        let other = self.dir.join("other.jsonl");
        // After a compaction, the non-PDQ entries are in `other.jsonl` and only
        // the log written since is read. Without that snapshot, the whole log
        // is read and its compacted PDQ lines skipped.
        let (start, first_line) = if self.info.compacted_bytes > 0 && other.is_file() {
            self.replay_file(&other, 0, 0, false)?;
            (self.info.compacted_bytes, self.info.compacted_lines)
        } else {
            (0, 0)
        };
        self.replay_file(&path, start, first_line, true)
    }

    /// Apply the operations in `path` from byte `start`, numbering lines
    /// after `first_line`. With `skip_segment`, PDQ lines before
    /// `compacted_bytes` are already in the segment and not applied again.
    fn replay_file(
        &mut self,
        path: &Path,
        start: u64,
        first_line: u64,
        skip_segment: bool,
    ) -> Result<(), ListError> {
        let Ok(mut file) = File::open(path) else {
            return Ok(());
        };
        file.seek(SeekFrom::Start(start)).map_err(io(path))?;
        let mut reader = BufReader::new(file);
        let mut offset = start;
        let mut line_no = first_line;
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader.read_line(&mut line).map_err(io(path))?;
            if n == 0 {
                break;
            }
            line_no += 1;
            let in_segment = skip_segment && offset < self.info.compacted_bytes;
            offset += n as u64;
            if !line.ends_with('\n') {
                // A torn last write (crash mid-append): never acknowledged.
                self.warnings.push(format!(
                    "{}:{line_no}: incomplete last line ignored",
                    path.display()
                ));
                break;
            }
            let op: LogOp = match serde_json::from_str(line.trim_end()) {
                Ok(op) => op,
                Err(e) => {
                    self.warnings
                        .push(format!("{}:{line_no}: {e}; line skipped", path.display()));
                    continue;
                }
            };
            if let Err(e) = self.apply(&op, in_segment) {
                self.warnings
                    .push(format!("{}:{line_no}: {e}; line skipped", path.display()));
            }
        }
        Ok(())
    }

    fn meta_id(&mut self, meta: &Meta) -> u32 {
        if let Some(&id) = self.meta_ids.get(meta) {
            return id;
        }
        let id = self.metas.len() as u32;
        self.metas.push(meta.clone());
        self.meta_ids.insert(meta.clone(), id);
        id
    }

    fn apply(&mut self, op: &LogOp, pdq_in_segment: bool) -> Result<(), String> {
        match op {
            LogOp::Add {
                kind: SignalType::Pdq,
                value,
                meta,
                ..
            } => {
                let h: Hash256 = value.parse().map_err(|e| format!("{e}"))?;
                let id = self.meta_id(meta);
                if !pdq_in_segment {
                    self.pdq.add(h, id);
                }
            }
            LogOp::Remove {
                kind: SignalType::Pdq,
                value,
            } => {
                let h: Hash256 = value.parse().map_err(|e| format!("{e}"))?;
                if !pdq_in_segment {
                    self.pdq.remove(h);
                }
            }
            LogOp::Add {
                kind: SignalType::Video,
                value,
                frames,
                meta,
                ..
            } => {
                let id = self.meta_id(meta);
                let mut hashes = Vec::new();
                for f in frames {
                    if f.quality >= MIN_QUALITY {
                        hashes.push(
                            f.hash
                                .parse::<Hash256>()
                                .map_err(|e| format!("frame: {e}"))?,
                        );
                    }
                }
                // Adding a video again (after a removal, or replayed twice)
                // replaces its entry rather than listing it twice.
                let entry = VideoEntry {
                    id: value.clone(),
                    frames: hashes,
                    meta: id,
                };
                let vid = match self.videos.iter().position(|v| v.id == *value) {
                    Some(pos) => {
                        self.videos[pos] = entry;
                        pos
                    }
                    None => {
                        self.videos.push(entry);
                        self.videos.len() - 1
                    }
                };
                for h in &self.videos[vid].frames {
                    self.frames.add(*h, vid as u32);
                }
                self.removed_videos.remove(value);
            }
            LogOp::Remove {
                kind: SignalType::Video,
                value,
            } => {
                self.removed_videos.insert(value.clone());
            }
            LogOp::Add {
                kind, value, meta, ..
            } => {
                let key = canonical(*kind, value)?;
                let id = self.meta_id(meta);
                self.exact.insert((*kind, key), id);
            }
            LogOp::Remove { kind, value } => {
                let key = canonical(*kind, value)?;
                self.exact.remove(&(*kind, key));
            }
        }
        Ok(())
    }

    /// Append operations to the log (synced to disk before returning) and
    /// apply them. Returns how many were applied; invalid ones are refused
    /// with a message and not written.
    pub fn append(&mut self, ops: &[LogOp]) -> Result<(usize, Vec<String>), ListError> {
        let path = self.dir.join("log.jsonl");
        if self.log.is_none() {
            self.log = Some(open_log_for_append(&path).map_err(io(&path))?);
        }
        let mut buf = Vec::new();
        let mut refused = Vec::new();
        let mut good = Vec::new();
        for op in ops {
            if let Err(e) = validate(op) {
                refused.push(e);
                continue;
            }
            serde_json::to_writer(&mut buf, op).expect("json");
            buf.push(b'\n');
            good.push(op);
        }
        let f = self.log.as_mut().expect("opened");
        f.write_all(&buf).map_err(io(&path))?;
        f.sync_data().map_err(io(&path))?;
        for op in &good {
            self.apply(op, false).map_err(ListError::Invalid)?;
        }
        Ok((good.len(), refused))
    }

    /// Fold the log into a new PDQ segment (dropping removed hashes).
    pub fn compact(&mut self) -> Result<(), ListError> {
        let entries = self.pdq.entries();
        let log_path = self.dir.join("log.jsonl");
        let (log_len, log_lines) = match File::open(&log_path) {
            Ok(f) => {
                let mut lines = 0u64;
                let mut bytes = 0u64;
                let mut r = BufReader::new(f);
                let mut buf = Vec::new();
                loop {
                    buf.clear();
                    let n = r.read_until(b'\n', &mut buf).map_err(io(&log_path))?;
                    if n == 0 || buf.last() != Some(&b'\n') {
                        break; // a torn last line stays in the tail
                    }
                    bytes += n as u64;
                    lines += 1;
                }
                (bytes, lines)
            }
            Err(_) => (0, 0),
        };
        let mut other = Vec::new();
        for op in &self.other_ops() {
            serde_json::to_writer(&mut other, op).expect("json");
            other.push(b'\n');
        }
        write_atomic(&self.dir.join("other.jsonl"), &other)?;
        write_atomic(
            &self.dir.join("meta.json"),
            &serde_json::to_vec(&self.metas).expect("json"),
        )?;
        let seg_path = self.dir.join("pdq.hix");
        Segment::write(&seg_path, &entries).map_err(io(&seg_path))?;
        self.info.compacted_bytes = log_len;
        self.info.compacted_lines = log_lines;
        write_atomic(
            &self.dir.join("list.json"),
            &serde_json::to_vec_pretty(&self.info).expect("json"),
        )?;
        self.pdq = HashIndex::with_segment(Segment::open(&seg_path)?);
        Ok(())
    }

    pub fn name(&self) -> &str {
        &self.info.name
    }

    pub fn meta(&self, id: u32) -> Meta {
        self.metas.get(id as usize).cloned().unwrap_or_default()
    }

    /// Counts by signal type.
    pub fn counts(&self) -> Vec<(SignalType, usize)> {
        let mut by: HashMap<SignalType, usize> = HashMap::new();
        by.insert(SignalType::Pdq, self.pdq.live_len());
        by.insert(
            SignalType::Video,
            self.videos
                .iter()
                .filter(|v| !self.removed_videos.contains(&v.id))
                .count(),
        );
        for (k, _) in self.exact.keys() {
            *by.entry(*k).or_default() += 1;
        }
        let mut v: Vec<_> = by.into_iter().filter(|(_, n)| *n > 0).collect();
        v.sort_by_key(|(k, _)| k.name());
        v
    }

    pub fn pdq_index(&self) -> &HashIndex {
        &self.pdq
    }

    pub fn match_pdq(&self, h: &Hash256) -> Vec<ListMatch> {
        self.pdq
            .search(h, self.info.radius)
            .into_iter()
            .map(|hit| ListMatch {
                list: self.info.name.clone(),
                kind: SignalType::Pdq,
                value: hit.hash.to_string(),
                distance: Some(hit.distance),
                meta: self.meta(hit.payload),
            })
            .collect()
    }

    pub fn match_exact(&self, kind: SignalType, value: &str) -> Option<ListMatch> {
        let key = canonical(kind, value).ok()?;
        let id = self.exact.get(&(kind, key.clone()))?;
        Some(ListMatch {
            list: self.info.name.clone(),
            kind,
            value: key,
            distance: None,
            meta: self.meta(*id),
        })
    }

    /// A URL matches a URL entry (canonical forms equal) or a domain entry
    /// (its host or a parent domain).
    pub fn match_url(&self, raw: &str) -> Vec<ListMatch> {
        match canonicalise(raw) {
            Ok(c) => self.match_canonical_url(&c),
            Err(_) => Vec::new(),
        }
    }

    /// [`HashList::match_url`] for a URL already canonicalised (canonicalise
    /// once when matching against several lists).
    pub fn match_canonical_url(&self, c: &CanonicalUrl) -> Vec<ListMatch> {
        let mut out = Vec::new();
        if let Some(id) = self.exact.get(&(SignalType::Url, c.url.clone())) {
            out.push(ListMatch {
                list: self.info.name.clone(),
                kind: SignalType::Url,
                value: c.url.clone(),
                distance: None,
                meta: self.meta(*id),
            });
        }
        for d in domain_suffixes(&c.host) {
            if let Some(id) = self.exact.get(&(SignalType::Domain, d.to_string())) {
                out.push(ListMatch {
                    list: self.info.name.clone(),
                    kind: SignalType::Domain,
                    value: d.to_string(),
                    distance: None,
                    meta: self.meta(*id),
                });
                break;
            }
        }
        out
    }

    /// Videos sharing at least one frame within `distance` of a query frame.
    pub fn video_candidates(&self, frames: &[Hash256], distance: u32) -> Vec<&VideoEntry> {
        let mut ids: Vec<u32> = frames
            .iter()
            .flat_map(|f| self.frames.search(f, distance))
            .map(|h| h.payload)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .filter_map(|i| self.videos.get(i as usize))
            .filter(|v| !self.removed_videos.contains(&v.id))
            .collect()
    }

    /// The listed videos that a video's frames match by vPDQ's rule: at least
    /// `query_share` percent of its good frames (quality ≥ 50) within
    /// [`crate::video::FRAME_DISTANCE`] of one of the listed video's, and at least
    /// `target_share` percent of the listed video's within that of one of its own; each
    /// with the two shares.
    pub fn match_video(
        &self,
        frames: &[crate::video::Frame],
        query_share: f64,
        target_share: f64,
    ) -> Vec<(ListMatch, crate::video::VideoShares)> {
        use crate::video::{match_shares, FRAME_DISTANCE, FRAME_QUALITY};
        let q: Vec<(Hash256, u8)> = frames.iter().map(|f| (f.hash, f.quality)).collect();
        let good: Vec<Hash256> = frames
            .iter()
            .filter(|f| f.quality >= FRAME_QUALITY)
            .map(|f| f.hash)
            .collect();
        let mut out = Vec::new();
        for target in self.video_candidates(&good, FRAME_DISTANCE) {
            let shares = match_shares(&q, &target.frames, FRAME_DISTANCE);
            if shares.query_share >= query_share && shares.target_share >= target_share {
                let m = ListMatch {
                    list: self.name().to_string(),
                    kind: SignalType::Video,
                    value: target.id.clone(),
                    distance: None,
                    meta: self.meta(target.meta),
                };
                out.push((m, shares));
            }
        }
        out
    }

    /// Every live entry as log operations (for export).
    pub fn export_ops(&self) -> Vec<LogOp> {
        let mut out: Vec<LogOp> = self
            .pdq
            .entries()
            .into_iter()
            .map(|(h, p)| LogOp::Add {
                kind: SignalType::Pdq,
                value: h.to_string(),
                quality: None,
                frames: Vec::new(),
                meta: self.meta(p),
            })
            .collect();
        out.extend(self.other_ops());
        out
    }

    /// Every live entry that is not a PDQ hash, as log operations.
    fn other_ops(&self) -> Vec<LogOp> {
        let mut out = Vec::new();
        let mut exact: Vec<_> = self.exact.iter().collect();
        exact.sort();
        for ((k, v), id) in exact {
            out.push(LogOp::Add {
                kind: *k,
                value: v.clone(),
                quality: None,
                frames: Vec::new(),
                meta: self.meta(*id),
            });
        }
        for v in self
            .videos
            .iter()
            .filter(|v| !self.removed_videos.contains(&v.id))
        {
            out.push(LogOp::Add {
                kind: SignalType::Video,
                value: v.id.clone(),
                quality: None,
                frames: v
                    .frames
                    .iter()
                    .map(|h| FrameHash {
                        hash: h.to_string(),
                        quality: 100,
                        t: 0.0,
                    })
                    .collect(),
                meta: self.meta(v.meta),
            });
        }
        out
    }
}

/// The key an exact entry is stored and looked up under.
pub fn canonical(kind: SignalType, value: &str) -> Result<String, String> {
    match kind {
        SignalType::Md5 => parse_digest(value, 32)
            .ok_or_else(|| format!("{value:?} is not an MD5 (32 hex digits)")),
        SignalType::Sha256 => parse_digest(value, 64)
            .ok_or_else(|| format!("{value:?} is not a SHA-256 (64 hex digits)")),
        SignalType::Url => canonicalise(value)
            .map(|c| c.url)
            .map_err(|e| e.to_string()),
        SignalType::Domain => canonical_domain(value).map_err(|e| e.to_string()),
        SignalType::Pdq => value
            .parse::<Hash256>()
            .map(|h| h.to_string())
            .map_err(|e| e.to_string()),
        SignalType::Video => Ok(value.to_string()),
    }
}

fn validate(op: &LogOp) -> Result<(), String> {
    match op {
        LogOp::Add {
            kind: SignalType::Video,
            frames,
            ..
        } => {
            for f in frames {
                f.hash
                    .parse::<Hash256>()
                    .map_err(|e| format!("video frame: {e}"))?;
            }
            Ok(())
        }
        LogOp::Add { kind, value, .. } | LogOp::Remove { kind, value } => {
            canonical(*kind, value).map(|_| ())
        }
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ListError> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))?;
    Ok(())
}

/// All lists in a folder (each subfolder with a `list.json`), by name.
pub fn open_all(dir: &Path) -> Result<Vec<HashList>, ListError> {
    let mut out = Vec::new();
    let rd = std::fs::read_dir(dir).map_err(io(dir))?;
    let mut dirs: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("list.json").is_file())
        .collect();
    dirs.sort();
    for d in dirs {
        out.push(HashList::open(&d)?);
    }
    Ok(out)
}

/// A row parsed from an import CSV, or why not.
pub type ImportRow = Result<LogOp, String>;

/// Parse a CSV of hashes. Two layouts are recognised from the header:
/// ThreatExchange/HMA signal CSV (`signal_type,signal_value,tags`; also
/// without a header, three columns) and raqib's plain `hash,label,source`
/// (optional `date`, `quality`, `type`). Rows are numbered from 1 with the
/// header. Hashes whose stated quality is below 50 are refused unless
/// `allow_low_quality`.
pub fn parse_import_csv(
    text: &str,
    default_kind: Option<SignalType>,
    source: &str,
    allow_low_quality: bool,
) -> Vec<(u64, ImportRow)> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut header: Option<Vec<String>> = None;
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                out.push((line, Err(format!("unreadable CSV row: {e}"))));
                continue;
            }
        };
        let cells: Vec<String> = rec.iter().map(|c| c.trim().to_string()).collect();
        if i == 0 {
            let lower: Vec<String> = cells.iter().map(|c| c.to_ascii_lowercase()).collect();
            let known = [
                "signal_type",
                "signal_value",
                "hash",
                "label",
                "source",
                "tags",
                "quality",
                "type",
                "value",
            ];
            if lower.iter().any(|c| known.contains(&c.as_str())) {
                header = Some(lower);
                continue;
            }
        }
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        out.push((
            line,
            row_op(
                &cells,
                header.as_deref(),
                default_kind,
                source,
                allow_low_quality,
            ),
        ));
    }
    out
}

fn row_op(
    cells: &[String],
    header: Option<&[String]>,
    default_kind: Option<SignalType>,
    source: &str,
    allow_low_quality: bool,
) -> ImportRow {
    let col = |names: &[&str]| -> Option<&str> {
        let h = header?;
        let i = h.iter().position(|c| names.contains(&c.as_str()))?;
        cells.get(i).map(|s| s.as_str())
    };
    let (kind_s, value, label, src, date, quality) = match header {
        Some(_) => (
            col(&["signal_type", "type"]),
            col(&["signal_value", "hash", "value", "signal"]).unwrap_or(""),
            col(&["label", "tags"]).unwrap_or(""),
            col(&["source"]).unwrap_or(""),
            col(&["date", "added", "time"]).unwrap_or(""),
            col(&["quality"]),
        ),
        None if cells.len() >= 3 && SignalType::parse(&cells[0]).is_some() => (
            Some(cells[0].as_str()),
            cells[1].as_str(),
            cells[2].as_str(),
            "",
            "",
            None,
        ),
        None => (
            None,
            cells[0].as_str(),
            cells.get(1).map_or("", |s| s.as_str()),
            cells.get(2).map_or("", |s| s.as_str()),
            "",
            None,
        ),
    };
    let kind = match kind_s {
        Some(k) if !k.is_empty() => SignalType::parse(k).ok_or_else(|| {
            format!("unknown signal type {k:?} (raqib reads pdq, video, md5, sha256, url, domain)")
        })?,
        _ => match default_kind {
            Some(k) => k,
            None => guess_kind(value).ok_or_else(|| unrecognised(value))?,
        },
    };
    if value.is_empty() {
        return Err("empty hash".into());
    }
    let quality = match quality.filter(|q| !q.is_empty()) {
        Some(q) => Some(
            q.parse::<u8>()
                .map_err(|_| format!("quality {q:?} is not a number from 0 to 100"))?,
        ),
        None => None,
    };
    if kind == SignalType::Pdq {
        if let Some(q) = quality {
            if q < MIN_QUALITY && !allow_low_quality {
                return Err(format!(
                    "quality {q} is below {MIN_QUALITY}; such hashes match too much (flat or tiny images). \
                     Not imported; pass --allow-low-quality to import it anyway"
                ));
            }
        }
    }
    if kind == SignalType::Video {
        return Err(
            "video hashes are imported with `raqib lists add --video`, one video at a time".into(),
        );
    }
    let value = canonical(kind, value)?;
    let src = if src.is_empty() { source } else { src };
    Ok(LogOp::Add {
        kind,
        value,
        quality,
        frames: Vec::new(),
        meta: Meta {
            label: label.to_string(),
            source: src.to_string(),
            date: date.to_string(),
        },
    })
}

/// Guess a value's type from its shape.
/// Why a value is not a hash raqib recognises, as precisely as its shape allows.
fn unrecognised(value: &str) -> String {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        format!(
            "{v:?} is {} hex digits: a PDQ or SHA-256 hash has 64, an MD5 32 (cut or padded?)",
            v.len()
        )
    } else {
        format!("cannot tell what {value:?} is; give --type")
    }
}

pub fn guess_kind(value: &str) -> Option<SignalType> {
    let v = value.trim();
    let hex = v.bytes().all(|b| b.is_ascii_hexdigit());
    match (v.len(), hex) {
        // PDQ and SHA-256 look alike; hash lists of 64 hex digits are PDQ
        // unless the file or `--type sha256` says otherwise.
        (64, true) => Some(SignalType::Pdq),
        (32, true) => Some(SignalType::Md5),
        _ if v.contains("://") => Some(SignalType::Url),
        _ => None,
    }
}

/// CSV layouts `raqib lists export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvLayout {
    /// HMA/ThreatExchange signal CSV: `signal_type,signal_value,tags`.
    Hma,
    /// raqib's plain CSV: `type,hash,label,source,date`.
    Plain,
}

/// Write the non-video entries as CSV (video entries are sets of frame
/// hashes; export them as JSON Lines).
pub fn export_csv(ops: &[LogOp], layout: CsvLayout, out: impl Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    match layout {
        CsvLayout::Hma => w.write_record(["signal_type", "signal_value", "tags"])?,
        CsvLayout::Plain => w.write_record(["type", "hash", "label", "source", "date"])?,
    }
    for op in ops {
        let LogOp::Add {
            kind, value, meta, ..
        } = op
        else {
            continue;
        };
        if *kind == SignalType::Video {
            continue;
        }
        match layout {
            CsvLayout::Hma => w.write_record([kind.name(), value, &meta.label])?,
            CsvLayout::Plain => {
                w.write_record([kind.name(), value, &meta.label, &meta.source, &meta.date])?
            }
        }
    }
    w.flush()
}

/// Open an append-only JSON Lines log for appending, creating it if needed. A torn last
/// line (a crash mid-append) is closed with a newline first, so the next line is never
/// glued onto it; readers skip the torn line.
pub fn open_log_for_append(path: &Path) -> std::io::Result<File> {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)?;
    let len = f.seek(SeekFrom::End(0))?;
    if len > 0 {
        let mut last = [0u8; 1];
        f.seek(SeekFrom::Start(len - 1))?;
        std::io::Read::read_exact(&mut f, &mut last)?;
        if last[0] != b'\n' {
            f.write_all(b"\n")?;
        }
    }
    Ok(f)
}
