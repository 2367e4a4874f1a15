//! An uncompressed tar archive on disk, indexed: a tar has no index of its own, but its
//! headers say where each member's bytes lie, so one walk over the headers alone (a
//! 512-byte read each, the members' bytes passed over) finds every member by name, and a
//! member is then read by offset like a file. This is how the media a tarred export's
//! posts name (`EXPORT.tar/photos/a.jpg`) are hashed, and how a tarred Twitter archive's
//! `account.js` is found beside its `tweets.js` without reading the archive again.
//!
//! A compressed tar (`.tar.gz`, `.tar.zst`, `.tar.bz2`, `.tar.xz`) cannot be read from the
//! middle: its members are reached only by reading it from its start. When its members are
//! first asked for by name, it is decompressed once into a file with no name in the
//! temporary folder (removed by the system when the index is dropped or the process ends,
//! however it ends) and indexed there; where that fails (no room, a copy that would leave
//! less than [`KEEP_FREE`] free, or one past [`MAX_RATIO`] times the archive's size: a
//! decompression bomb), the message says why and to decompress it. The files beside a
//! Twitter archive's tweets are found by a read of their own ([`crate::tar::neighbours`]).

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::sync::{Arc, Mutex};

use crate::tar::{checksum_ok, header_name, number, padding, pax_path, text, BLOCK};
use crate::zip_archive::{stamp, At, Stamp};

/// The most bytes a GNU long name or a pax header may hold.
const RECORD_MAX: u64 = 1 << 20;

/// Where the file members of an uncompressed tar archive on disk lie.
pub(crate) struct TarIndex {
    /// The archive's path.
    pub(crate) archive: String,
    file: Arc<File>,
    /// Each file member by its name (`./` dropped): where its bytes start, and how many. A
    /// name given twice is its later member, as extracting the archive would leave it.
    by_name: HashMap<String, (u64, u64)>,
    /// Why the walk stopped before the archive's end (a damaged header, a member cut
    /// short): the members after that are not in the index.
    pub(crate) damaged: Option<String>,
}

impl TarIndex {
    /// Walk the headers of the tar archive `file` (`len` bytes) named `archive`.
    fn walk(archive: &str, file: File, len: u64) -> TarIndex {
        let file = Arc::new(file);
        let mut by_name = HashMap::new();
        let mut damaged = None;
        let mut at = 0u64;
        let mut long_name: Option<String> = None;
        let mut h = [0u8; BLOCK as usize];
        let read_at = |buf: &mut [u8], pos: u64| read_exact_at(&file, buf, pos);
        loop {
            if at >= len {
                break;
            }
            if len - at < BLOCK {
                damaged = Some(format!("byte {at}: the archive ends inside a header"));
                break;
            }
            if let Err(e) = read_at(&mut h, at) {
                damaged = Some(format!("byte {at}: {e}"));
                break;
            }
            if h.iter().all(|&b| b == 0) {
                break;
            }
            if !checksum_ok(&h) {
                damaged = Some(format!(
                    "byte {at}: not a tar header (its checksum does not add up)"
                ));
                break;
            }
            let Some(size) = number(&h[124..136]) else {
                damaged = Some(format!(
                    "byte {at}: a tar header with a size that is no number"
                ));
                break;
            };
            let data = at + BLOCK;
            let next = data
                .checked_add(size)
                .and_then(|e| e.checked_add(padding(size)));
            let Some(next) = next.filter(|_| data + size <= len) else {
                damaged = Some(format!("byte {at}: the archive ends inside a member"));
                break;
            };
            match h[156] {
                b'L' | b'x' => {
                    if size > RECORD_MAX {
                        damaged = Some(format!("byte {at}: a header record of {size} bytes"));
                        break;
                    }
                    let mut record = vec![0u8; size as usize];
                    if let Err(e) = read_at(&mut record, data) {
                        damaged = Some(format!("byte {at}: {e}"));
                        break;
                    }
                    if h[156] == b'L' {
                        long_name = Some(text(&record));
                    } else if let Some(p) = pax_path(&record) {
                        long_name = Some(p);
                    }
                }
                b'0' | 0 | b'7' => {
                    let name = long_name.take().unwrap_or_else(|| header_name(&h));
                    let name = name.trim_start_matches("./").to_string();
                    by_name.insert(name, (data, size));
                }
                // A folder, a link, a device: its long name, if any, was its own.
                _ => long_name = None,
            }
            at = next;
        }
        TarIndex {
            archive: archive.to_string(),
            file,
            by_name,
            damaged,
        }
    }

    /// Whether the archive has a file member `name`.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// The names of all its file members.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    /// The names of the file members directly in folder `dir` (empty, or ending with `/`),
    /// their paths below it.
    pub(crate) fn names_in(&self, dir: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .by_name
            .keys()
            .filter_map(|n| n.strip_prefix(dir))
            .filter(|rest| !rest.is_empty() && !rest.contains('/'))
            .map(str::to_string)
            .collect();
        names.sort();
        names
    }

    /// The bytes of member `name`, read by offset; `None` where there is no such member.
    pub(crate) fn reader(&self, name: &str) -> Option<At> {
        let &(pos, size) = self.by_name.get(name)?;
        Some(At {
            file: self.file.clone(),
            pos,
            end: pos + size,
        })
    }

    /// Why member `name` cannot be read: none by that name, or one inside an archive that
    /// is itself a member.
    pub(crate) fn missing(&self, name: &str) -> String {
        let inner = name
            .match_indices('/')
            .map(|(k, _)| &name[..k])
            .find(|prefix| self.has(prefix));
        match inner {
            Some(inner) => format!(
                "{}: {name} is inside {inner}, an archive inside this one, whose members are \
                 not read by name: extract {inner} and scan the folder",
                self.archive
            ),
            None => {
                let after = self
                    .damaged
                    .as_ref()
                    .map(|d| format!(" (the archive was read up to its damage at {d})"))
                    .unwrap_or_default();
                format!("{}: no member {name}{after}", self.archive)
            }
        }
    }
}

fn read_exact_at(file: &Arc<File>, buf: &mut [u8], pos: u64) -> std::io::Result<()> {
    let mut at = At {
        file: file.clone(),
        pos,
        end: pos + buf.len() as u64,
    };
    at.read_exact(buf)
}

/// Index the tar archive at `archive`: an error where it cannot be opened, or is not a tar
/// archive. A compressed one is decompressed into a file with no name first (see the
/// module); an error where that fails says to decompress it.
fn open(archive: &str) -> Result<TarIndex, String> {
    let mut file = File::open(archive).map_err(|e| format!("{archive}: {e}"))?;
    let len = file
        .metadata()
        .map_err(|e| format!("{archive}: {e}"))?
        .len();
    let mut head = Vec::with_capacity(BLOCK as usize);
    (&mut file)
        .take(BLOCK)
        .read_to_end(&mut head)
        .map_err(|e| format!("{archive}: {e}"))?;
    if crate::tar::is_tar(&head) {
        return Ok(TarIndex::walk(archive, file, len));
    }
    let compressed_tar = crate::open_input(archive)
        .ok()
        .filter(|o| o.compression != crate::Compression::None && crate::tar::is_tar(&o.head));
    let Some(mut tar) = compressed_tar else {
        return Err(format!(
            "{archive} is not an archive whose members raqib reads by name"
        ));
    };
    let (what, undo) = match tar.compression {
        crate::Compression::Gzip => ("gzip", "gunzip -k"),
        crate::Compression::Zstd => ("zstd", "zstd -d"),
        crate::Compression::Bzip2 => ("bzip2", "bunzip2 -k"),
        _ => ("xz", "xz -dk"),
    };
    let cap = len.saturating_mul(MAX_RATIO).saturating_add(RATIO_FLOOR);
    *COPYING.lock().unwrap_or_else(|e| e.into_inner()) = Some(archive.to_string());
    let copied = decompressed(&mut tar.reader, cap);
    *COPYING.lock().unwrap_or_else(|e| e.into_inner()) = None;
    let (file, len, cut) = copied.map_err(|e| {
        format!(
            "{archive} is a tar archive compressed with {what}, whose members can be reached \
             only by reading it from its start, and decompressing it into the temporary folder \
             ({}) failed: {e}; decompress it (`{undo} {archive}`) and scan the .tar, or extract \
             it and scan the folder",
            std::env::temp_dir().display()
        )
    })?;
    let mut ix = TarIndex::walk(archive, file, len);
    // A compressed stream cut short or damaged: the members before the damage are indexed,
    // and why the rest are not is the decompression's own error.
    if let Some(e) = cut {
        ix.damaged = Some(format!(
            "byte {len} of the decompressed archive, where {what} stopped: {e}"
        ));
    }
    Ok(ix)
}

/// How many times its own size a compressed tar may grow to when it is decompressed for
/// its media ([`RATIO_FLOOR`] more allowed): an export's media hardly compress, and the
/// JSON of a text-only one compresses some tens of times; a stream that grows past this
/// is a decompression bomb, which would otherwise fill the temporary folder.
const MAX_RATIO: u64 = 200;

/// What any compressed tar may grow to whatever its size (see [`MAX_RATIO`]).
const RATIO_FLOOR: u64 = 64 << 20;

/// The room the copy of a compressed tar leaves in the temporary folder: the copy stops
/// where less would be left, so that a scan never fills the disk it runs on.
const KEEP_FREE: u64 = 1 << 30;

/// The compressed tar being decompressed for its media now, if any (one at a time: the
/// copy is made under [`RECENT`]'s lock), and how many bytes of it so far ([`COPIED`]).
static COPYING: Mutex<Option<String>> = Mutex::new(None);
static COPIED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The compressed tar being decompressed into the temporary folder for its media, and the
/// bytes written so far: `None` when none is. A scan's progress line says so, since the
/// posts wait for it.
pub fn copy_progress() -> Option<(String, u64)> {
    let name = COPYING.lock().unwrap_or_else(|e| e.into_inner()).clone()?;
    Some((name, COPIED.load(std::sync::atomic::Ordering::Relaxed)))
}

/// The bytes free to us on the file system that holds `file`; `None` where that cannot be
/// told.
fn free_beside(file: &File) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
        // SAFETY: `fstatvfs` fills the struct it is given for a descriptor we hold open,
        // and the struct is read only where it says it did.
        let ok = unsafe { libc::fstatvfs(file.as_raw_fd(), st.as_mut_ptr()) } == 0;
        if !ok {
            return None;
        }
        // SAFETY: filled by the successful call above.
        let st = unsafe { st.assume_init() };
        // The fields' types differ between systems (32 bits on some).
        #[allow(clippy::unnecessary_cast)]
        Some((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        None
    }
}

/// `reader` (a compressed tar, decompressing) copied into a file with no name in the
/// temporary folder: the file, its length, and the error that stopped the copy early where
/// one did (what came before it is kept). An error where no file can be made, the folder
/// has no room (or would be left with less than [`KEEP_FREE`]), or the stream grows past
/// `cap` bytes (a decompression bomb: see [`MAX_RATIO`]).
fn decompressed(reader: &mut dyn Read, cap: u64) -> std::io::Result<(File, u64, Option<String>)> {
    let mut file = tempfile::tempfile()?;
    let free_at_start = free_beside(&file);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, &mut file);
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    let mut cut = None;
    COPIED.store(0, std::sync::atomic::Ordering::Relaxed);
    let gib = |n: u64| format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64);
    loop {
        if len > cap {
            return Err(std::io::Error::other(format!(
                "it grew past {} ({MAX_RATIO} times the archive's size and 64 MiB more), more than an export's media \
                 and text ever do: a decompression bomb, or an archive to decompress by hand",
                gib(cap)
            )));
        }
        if free_at_start.is_some_and(|free| free.saturating_sub(len) < KEEP_FREE) {
            return Err(std::io::Error::other(format!(
                "{} decompressed, it would leave less than {} free there",
                gib(len),
                gib(KEEP_FREE)
            )));
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                cut = Some(e.to_string());
                break;
            }
        };
        std::io::Write::write_all(&mut out, &buf[..n])?;
        len += n as u64;
        COPIED.store(len, std::sync::atomic::Ordering::Relaxed);
    }
    std::io::Write::flush(&mut out)?;
    drop(out);
    Ok((file, len, cut))
}

/// The indexes (or why there is none) of the tar archives asked about last, each with the
/// archive's length and modification time when it was read: one replaced since is read
/// again.
#[allow(clippy::type_complexity)]
static RECENT: Mutex<Vec<(String, Stamp, Arc<Result<TarIndex, String>>)>> = Mutex::new(Vec::new());

/// How many archives [`RECENT`] keeps.
const RECENT_MAX: usize = 4;

/// The index [`RECENT`] (`recent`) keeps of `archive`, where it was read when the archive
/// had the stamp it has `now`.
#[allow(clippy::type_complexity)]
fn kept(
    recent: &[(String, Stamp, Arc<Result<TarIndex, String>>)],
    archive: &str,
    now: Option<Stamp>,
) -> Option<Arc<Result<TarIndex, String>>> {
    recent
        .iter()
        .find(|(a, s, _)| a == archive && now.is_some() && Some(*s) == now)
        .map(|(_, _, ix)| ix.clone())
}

/// The index of the tar archive at `archive`, read once while it is unchanged.
pub(crate) fn index_of(archive: &str) -> Arc<Result<TarIndex, String>> {
    let now = stamp(archive);
    let mut recent = RECENT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(ix) = kept(&recent, archive, now) {
        return ix;
    }
    recent.retain(|(a, _, _)| a != archive);
    let ix = Arc::new(open(archive));
    if recent.len() >= RECENT_MAX {
        recent.remove(0);
    }
    if let Some(s) = now {
        recent.push((archive.to_string(), s, ix.clone()));
    }
    ix
}

/// The index of the tar archive at `archive` where one is at hand without decompressing
/// it: an uncompressed tar's (read once while it is unchanged), or a compressed one's
/// already made for its media. `None` for a compressed tar not yet indexed, which the
/// readers of an export's files beside its posts read from its start rather than copy
/// whole into the temporary folder.
pub(crate) fn ready_index_of(archive: &str) -> Option<Arc<Result<TarIndex, String>>> {
    let recent = RECENT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(ix) = kept(&recent, archive, stamp(archive)) {
        return Some(ix);
    }
    drop(recent);
    let mut head = Vec::with_capacity(BLOCK as usize);
    File::open(archive)
        .and_then(|f| f.take(BLOCK).read_to_end(&mut head))
        .ok()?;
    crate::tar::is_tar(&head).then(|| index_of(archive))
}

/// The archive `path` lies inside and the member's name: the nearest ancestor of `path`
/// that is a regular file, where it is not a zip archive (whose members
/// [`crate::zip_archive`] reads). `None` where no ancestor is a file.
fn inside_tar(path: &std::path::Path) -> Option<(String, String)> {
    crate::zip_archive::inside_file(path)
        .filter(|(archive, _)| !crate::zip_archive::is_zip_archive(std::path::Path::new(archive)))
}

/// Whether `path` names a file member of a tar archive on disk.
pub(crate) fn is_member(path: &std::path::Path) -> bool {
    inside_tar(path).is_some_and(|(archive, name)| {
        index_of(&archive)
            .as_ref()
            .as_ref()
            .is_ok_and(|ix| ix.has(&name))
    })
}

/// The file `path` names inside a tar archive on disk (`EXPORT.tar/photos/a.jpg`, or
/// `EXPORT.tar.gz/photos/a.jpg`: see the module), read by offset: `None` where `path` is
/// inside no archive but a zip; an error where the archive has no such member, or is
/// compressed and could not be decompressed.
pub(crate) fn member_reader(
    path: &std::path::Path,
) -> Option<Result<Box<dyn Read + Send>, String>> {
    let (archive, name) = inside_tar(path)?;
    let ix = index_of(&archive);
    Some(match ix.as_ref() {
        Err(e) => Err(e.clone()),
        Ok(ix) => match ix.reader(&name) {
            Some(r) => Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, r))),
            None => Err(ix.missing(&name)),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = ::tar::Builder::new(Vec::new());
        for (name, data) in members {
            let mut h = ::tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn indexed(bytes: &[u8]) -> (tempfile::TempDir, TarIndex) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tar");
        std::fs::write(&path, bytes).unwrap();
        let ix = open(path.to_str().unwrap()).unwrap();
        (dir, ix)
    }

    fn read(ix: &TarIndex, name: &str) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        ix.reader(name)?.read_to_end(&mut out).unwrap();
        Some(out)
    }

    #[test]
    fn members_are_read_by_name_long_names_included() {
        let long = format!("{}/photo.jpg", "d".repeat(150));
        let bytes = tar_of(&[
            ("./data/tweets.js", b"window.YTD.tweets.part0 = []"),
            ("photos/a.jpg", b"jpeg bytes"),
            (&long, b"long"),
            ("photos/a.jpg", b"the later copy"),
            ("empty", b""),
        ]);
        let (_d, ix) = indexed(&bytes);
        assert_eq!(ix.damaged, None);
        assert_eq!(
            read(&ix, "data/tweets.js").as_deref(),
            Some(&b"window.YTD.tweets.part0 = []"[..])
        );
        assert_eq!(read(&ix, &long).as_deref(), Some(&b"long"[..]));
        assert_eq!(
            read(&ix, "photos/a.jpg").as_deref(),
            Some(&b"the later copy"[..])
        );
        assert_eq!(read(&ix, "empty").as_deref(), Some(&b""[..]));
        assert_eq!(read(&ix, "photos/b.jpg"), None);
        assert_eq!(ix.names_in("photos/"), vec!["a.jpg"]);
        assert_eq!(ix.names_in(""), vec!["empty"]);
        assert!(ix
            .missing("photos/b.jpg")
            .ends_with("no member photos/b.jpg"));
    }

    #[test]
    fn a_damaged_or_cut_archive_keeps_the_members_before_the_damage() {
        let bytes = tar_of(&[("a.txt", b"first"), ("b.txt", b"second")]);
        // The second header's checksum broken.
        let mut broken = bytes.clone();
        broken[1024] ^= 0x20;
        let (_d, ix) = indexed(&broken);
        assert_eq!(read(&ix, "a.txt").as_deref(), Some(&b"first"[..]));
        assert!(!ix.has("b.txt"));
        let why = ix.missing("b.txt");
        assert!(
            why.contains("byte 1024") && why.contains("checksum"),
            "{why}"
        );
        // Cut inside the second member's bytes.
        let (_d, ix) = indexed(&bytes[..1024 + 512 + 3]);
        assert!(ix.has("a.txt") && !ix.has("b.txt"));
        assert!(ix
            .damaged
            .as_deref()
            .unwrap()
            .contains("ends inside a member"));
        // Cut inside the second header.
        let (_d, ix) = indexed(&bytes[..1024 + 100]);
        assert!(ix.has("a.txt"));
        assert!(ix.damaged.as_deref().unwrap().contains("inside a header"));
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, bytes).unwrap();
        gz.finish().unwrap()
    }

    /// A compressed tar (gzip, zstd, bzip2) is decompressed into the temporary folder and
    /// its members read by name as an uncompressed one's; it is indexed once, and its
    /// neighbours are then found from that index.
    #[test]
    fn a_compressed_tars_members_are_read_by_name() {
        let bytes = tar_of(&[("photos/a.jpg", b"jpeg bytes"), ("data/b.js", b"[1]")]);
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        std::io::Write::write_all(&mut bz, &bytes).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for (name, packed) in [
            ("a.tar.gz", gzip(&bytes)),
            ("a.tar.zst", zstd::encode_all(&bytes[..], 1).unwrap()),
            ("a.tar.bz2", bz.finish().unwrap()),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, packed).unwrap();
            let archive = path.to_str().unwrap();
            assert!(ready_index_of(archive).is_none(), "{name}: not yet indexed");
            let inner = path.join("photos/a.jpg");
            assert!(is_member(&inner), "{name}");
            let mut got = Vec::new();
            member_reader(&inner)
                .unwrap()
                .unwrap()
                .read_to_end(&mut got)
                .unwrap();
            assert_eq!(got, b"jpeg bytes", "{name}");
            let why = member_reader(&path.join("photos/b.jpg"))
                .unwrap()
                .err()
                .unwrap();
            assert!(why.ends_with("no member photos/b.jpg"), "{why}");
            let ix = ready_index_of(archive).expect("indexed once, kept");
            assert_eq!(
                ix.as_ref().as_ref().unwrap().names_in("data/"),
                vec!["b.js"]
            );
        }
    }

    /// While a compressed tar is decompressed, which one and how far along is told (a
    /// scan's progress line says so while its posts wait), and nothing once it is done.
    #[test]
    fn the_copy_of_a_compressed_tar_is_told_while_it_is_made() {
        let zeros = vec![0u8; 64 << 20];
        let bytes = tar_of(&[("big.bin", &zeros), ("a.jpg", b"x")]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.tar.zst");
        std::fs::write(&path, zstd::encode_all(&bytes[..], 1).unwrap()).unwrap();
        let archive = path.to_str().unwrap().to_string();
        let copy = {
            let archive = archive.clone();
            std::thread::spawn(move || open(&archive).map(|ix| ix.has("a.jpg")))
        };
        let mut seen = 0;
        while !copy.is_finished() {
            if let Some((name, bytes)) = copy_progress() {
                if name == archive {
                    seen = seen.max(bytes);
                }
            }
        }
        assert_eq!(copy.join().unwrap(), Ok(true));
        assert!(seen > 0, "the copy was never told");
        assert!(copy_progress().is_none_or(|(name, _)| name != archive));
    }

    /// A stream that grows past its cap (a decompression bomb: a few kilobytes of gzip
    /// that would fill the disk with zeros) stops the copy with an error that says so;
    /// one within it is copied whole.
    #[test]
    fn a_decompression_bomb_is_stopped_at_its_cap() {
        let zeros = vec![0u8; 8 << 20];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &zeros).unwrap();
        let bomb = gz.finish().unwrap();
        assert!(bomb.len() < 16 << 10, "{}", bomb.len());
        let mut r = flate2::read::GzDecoder::new(&bomb[..]);
        let err = decompressed(&mut r, 1 << 20).err().unwrap().to_string();
        assert!(err.contains("decompression bomb"), "{err}");
        let mut r = flate2::read::GzDecoder::new(&bomb[..]);
        let (mut file, len, cut) = decompressed(&mut r, 16 << 20).unwrap();
        assert_eq!((len, cut), (8 << 20, None));
        let mut back = Vec::new();
        std::io::Seek::rewind(&mut file).unwrap();
        file.read_to_end(&mut back).unwrap();
        assert!(back == zeros);
    }

    /// A compressed tar cut short: the members before the cut are read, and one after it
    /// is said to be missing where the stream stopped.
    #[test]
    fn a_cut_compressed_tar_keeps_the_members_before_the_cut() {
        let big: Vec<u8> = (0..200_000u32).flat_map(|k| k.to_le_bytes()).collect();
        let bytes = tar_of(&[("a.txt", b"first"), ("b.bin", &big), ("c.txt", b"last")]);
        let gz = gzip(&bytes);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.tar.gz");
        std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
        let ix = open(path.to_str().unwrap()).unwrap();
        assert_eq!(read(&ix, "a.txt").as_deref(), Some(&b"first"[..]));
        assert!(!ix.has("c.txt"));
        let why = ix.missing("c.txt");
        assert!(why.contains("where gzip stopped"), "{why}");
    }

    #[test]
    fn a_member_inside_an_inner_archive_is_said_to_be_so() {
        let inner = tar_of(&[("p.jpg", b"x")]);
        let bytes = tar_of(&[("inner.tar", &inner)]);
        let (_d, ix) = indexed(&bytes);
        let why = ix.missing("inner.tar/p.jpg");
        assert!(
            why.contains("inside inner.tar") && why.contains("extract"),
            "{why}"
        );
    }

    proptest::proptest! {
        /// Whatever the members (names of any length and depth, sizes on and off the
        /// block), each reads back exactly by its name, and the walk reaches the end.
        #[test]
        fn every_member_reads_back_by_its_name(
            members in proptest::collection::btree_map(
                "[a-z]{1,40}(/[a-z0-9_-][a-z0-9._-]{0,59}){0,3}",
                proptest::collection::vec(proptest::num::u8::ANY, 0..1600),
                1..12,
            )
        ) {
            let list: Vec<(&str, &[u8])> =
                members.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
            let (_d, ix) = indexed(&tar_of(&list));
            proptest::prop_assert_eq!(ix.damaged.clone(), None);
            for (name, data) in &members {
                let got = read(&ix, name);
                proptest::prop_assert_eq!(got.as_deref(), Some(data.as_slice()));
            }
        }
    }
}
