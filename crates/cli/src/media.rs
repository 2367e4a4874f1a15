//! `raqib hash`, `raqib match` and `raqib lists`: glue over raqib-media.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use raqib_media::decode::{decode_rgb, DEFAULT_MAX_PIXELS};
use raqib_media::exact::{digests_of, md5_hex, sha256_hex};
use raqib_media::lists::{self, FrameHash, HashList, ListMatch, LogOp, Meta, SignalType};
use raqib_media::video::{self, VideoOptions};
use raqib_media::{Dihedral, Hash256, PdqHasher};
use serde_json::{json, Value};

#[derive(Args, Debug, Clone)]
pub struct MediaOpts {
    /// Refuse images (and video frames) with more pixels than this: decompression bombs.
    #[arg(long, default_value_t = DEFAULT_MAX_PIXELS, value_name = "PIXELS")]
    pub max_pixels: u64,
    /// Video: hash one frame every this many seconds (vPDQ's default is 1).
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    pub seconds_per_hash: f64,
    /// Video: fold consecutive frames within this distance of the previous kept frame.
    #[arg(long, default_value_t = 2, value_name = "BITS")]
    pub collapse_distance: u32,
    /// Video: keep every sampled frame (vPDQ's own output).
    #[arg(long)]
    pub no_collapse: bool,
    /// The ffmpeg command (ffprobe is looked for beside it).
    #[arg(long, default_value = "ffmpeg", value_name = "PATH")]
    pub ffmpeg: String,
    /// Worker threads. Default: one per core.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Write JSON Lines here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

impl MediaOpts {
    fn video(&self) -> VideoOptions {
        let ffprobe = match self.ffmpeg.strip_suffix("ffmpeg") {
            Some(prefix) => format!("{prefix}ffprobe"),
            None => "ffprobe".into(),
        };
        VideoOptions {
            seconds_per_hash: self.seconds_per_hash,
            collapse: (!self.no_collapse).then_some(self.collapse_distance),
            ffmpeg: self.ffmpeg.clone(),
            ffprobe,
            max_pixels: self.max_pixels,
        }
    }
}

#[derive(Args, Debug)]
pub struct HashArgs {
    /// Image and video files, or folders (searched recursively).
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub inputs: Vec<PathBuf>,
    /// Also give the eight dihedral variants (rotations and flips) of each image hash.
    #[arg(long)]
    pub dihedral: bool,
    #[command(flatten)]
    pub media: MediaOpts,
}

#[derive(Args, Debug)]
pub struct MatchArgs {
    /// The folder of hash lists (see `raqib lists`).
    #[arg(long, required = true, value_name = "DIR")]
    pub lists: PathBuf,
    /// Image and video files, or folders (searched recursively).
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub inputs: Vec<PathBuf>,
    /// Also write a line for files that matched nothing.
    #[arg(long)]
    pub all: bool,
    /// Also try the seven rotated and flipped variants of each image.
    #[arg(long)]
    pub dihedral: bool,
    /// Video: a match needs at least this percentage of the query's frames matched.
    #[arg(long, default_value_t = video::QUERY_SHARE, value_name = "PERCENT")]
    pub query_share: f64,
    /// Video: and at least this percentage of the listed video's frames.
    #[arg(long, default_value_t = video::TARGET_SHARE, value_name = "PERCENT")]
    pub target_share: f64,
    #[command(flatten)]
    pub media: MediaOpts,
}

#[derive(Args, Debug)]
pub struct ListsArgs {
    /// The folder holding the lists, one subfolder each.
    #[arg(long, global = true, default_value = "lists", value_name = "DIR")]
    pub dir: PathBuf,
    #[command(subcommand)]
    pub command: ListsCommand,
}

#[derive(Args, Debug, Clone, Default)]
pub struct EntryMeta {
    /// Label for the entries, e.g. the outlet that published the media.
    #[arg(long)]
    pub label: Option<String>,
    /// Where the entries come from, e.g. a hash-sharing programme.
    #[arg(long)]
    pub source: Option<String>,
    /// When they were added to the source (any text; ISO 8601 advised).
    #[arg(long)]
    pub date: Option<String>,
}

impl EntryMeta {
    fn meta(&self) -> Meta {
        Meta {
            label: self.label.clone().unwrap_or_default(),
            source: self.source.clone().unwrap_or_default(),
            date: self.date.clone().unwrap_or_default(),
        }
    }
}

/// Entries named on the command line, by type.
#[derive(Args, Debug, Clone, Default)]
pub struct EntryValues {
    /// A PDQ hash (64 hex digits). Repeat for several.
    #[arg(long)]
    pub pdq: Vec<String>,
    /// An MD5 digest (32 hex digits).
    #[arg(long)]
    pub md5: Vec<String>,
    /// A SHA-256 digest (64 hex digits).
    #[arg(long)]
    pub sha256: Vec<String>,
    /// A URL; stored and matched in canonical form (see docs/format.md).
    #[arg(long)]
    pub url: Vec<String>,
    /// A domain; matches it and every subdomain.
    #[arg(long)]
    pub domain: Vec<String>,
}

impl EntryValues {
    fn is_empty(&self) -> bool {
        self.pdq.is_empty()
            && self.md5.is_empty()
            && self.sha256.is_empty()
            && self.url.is_empty()
            && self.domain.is_empty()
    }

    fn into_pairs(self) -> Vec<(SignalType, String)> {
        [
            (SignalType::Pdq, self.pdq),
            (SignalType::Md5, self.md5),
            (SignalType::Sha256, self.sha256),
            (SignalType::Url, self.url),
            (SignalType::Domain, self.domain),
        ]
        .into_iter()
        .flat_map(|(k, vs)| vs.into_iter().map(move |v| (k, v)))
        .collect()
    }
}

#[derive(Subcommand, Debug)]
pub enum ListsCommand {
    /// Make a new, empty list.
    Create {
        /// The list's name (its folder under --dir).
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// PDQ match radius for this list (bits out of 256).
        #[arg(long, default_value_t = lists::DEFAULT_RADIUS)]
        radius: u32,
    },
    /// Import hashes from CSV: ThreatExchange/HMA signal CSV (`signal_type,signal_value,tags`)
    /// or plain `hash,label,source` (optional `date`, `quality`, `type` columns).
    Import {
        /// The list (its folder name under --dir).
        name: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Type of every row when the file does not say: pdq, md5, sha256, url, domain.
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        /// Source for rows that do not name one. Default: the file name.
        #[arg(long)]
        source: Option<String>,
        /// Import PDQ hashes whose stated quality is below 50 (they match too much).
        #[arg(long)]
        allow_low_quality: bool,
    },
    /// Write a list as CSV or JSON Lines.
    Export {
        /// The list (its folder name under --dir).
        name: String,
        /// hma (`signal_type,signal_value,tags`), plain (`type,hash,label,source,date`) or jsonl.
        #[arg(long, default_value = "hma")]
        format: String,
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Add entries: hashes, digests, URLs, domains, or media files (hashed here).
    Add {
        /// The list (its folder name under --dir).
        name: String,
        #[command(flatten)]
        entries: EntryValues,
        /// Image or video files: images add their PDQ hash, videos their frame hashes;
        /// both add their MD5 and SHA-256.
        #[arg(long, value_name = "FILE")]
        file: Vec<PathBuf>,
        /// Add image hashes of quality below 50 too.
        #[arg(long)]
        allow_low_quality: bool,
        #[command(flatten)]
        meta: EntryMeta,
        #[command(flatten)]
        media: MediaOpts,
    },
    /// Remove entries; they stop matching at once.
    Remove {
        /// The list (its folder name under --dir).
        name: String,
        #[command(flatten)]
        entries: EntryValues,
        /// A video entry, by the SHA-256 it was added under.
        #[arg(long)]
        video: Vec<String>,
    },
    /// Show the lists (or one) with their counts.
    Show { name: Option<String> },
    /// Fold additions and removals into the memory-mapped index (faster opening).
    Compact { name: String },
}

fn writer(out: &Option<PathBuf>) -> Result<Box<dyn Write + Send>> {
    Ok(match out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    })
}

/// Every file under the inputs; unreadable folders and symlink loops become
/// messages, not failures.
pub fn collect_files(inputs: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for input in inputs {
        if !input.exists() {
            problems.push(format!("{}: no such file or folder", input.display()));
            continue;
        }
        for entry in walkdir::WalkDir::new(input)
            .follow_links(true)
            .sort_by_file_name()
        {
            match entry {
                Ok(e) if e.file_type().is_file() => files.push(e.into_path()),
                Ok(_) => {}
                Err(e) => problems.push(crate::inputs::walk_error(&e, input)),
            }
        }
    }
    (files, problems)
}

/// What one file hashed to.
pub enum Hashed {
    Image {
        format: &'static str,
        width: usize,
        height: usize,
        pdq: Hash256,
        quality: u8,
        dihedral: Option<Box<[Hash256; 8]>>,
    },
    Video {
        frames: Vec<video::Frame>,
    },
}

pub struct FileHashes {
    pub md5: String,
    pub sha256: String,
    pub media: Hashed,
}

pub fn hash_file(
    path: &Path,
    opts: &MediaOpts,
    dihedral: bool,
    hasher: &mut PdqHasher,
) -> Result<FileHashes, String> {
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let size = file.metadata().map_err(|e| e.to_string())?.len();
    if size == 0 {
        return Err("empty file (0 bytes)".into());
    }
    let mut head = [0u8; 32];
    let got = std::io::Read::read(&mut file, &mut head).map_err(|e| e.to_string())?;
    let is_image = raqib_media::decode::sniff(&head[..got]).is_some();
    if !is_image && !video::is_video_path(path) {
        return Err(
            "not an image (JPEG, PNG, GIF, WebP, BMP) or a video raqib recognises by its extension"
                .into(),
        );
    }
    // Images are read once, whole (a compressed image is smaller than its
    // pixels, so a file far past the pixel limit is refused unread); other
    // files, videos above all, are only streamed through the digests.
    let (md5, sha256, bytes) = if is_image {
        let max_bytes = opts.max_pixels.saturating_mul(8).max(64 << 20);
        if size > max_bytes {
            return Err(format!(
                "{size} bytes is too large for an image within --max-pixels {} (over {max_bytes} bytes)",
                opts.max_pixels
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        (md5_hex(&bytes), sha256_hex(&bytes), Some(bytes))
    } else {
        drop(file);
        let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
        let (m, s, _) = digests_of(std::io::BufReader::new(f)).map_err(|e| e.to_string())?;
        (m, s, None)
    };
    let media = if let Some(bytes) = bytes {
        let img = decode_rgb(&bytes, opts.max_pixels).map_err(|e| e.to_string())?;
        drop(bytes);
        if dihedral {
            let (all, quality) = hasher.hash_rgb_dihedral(&img.pixels, img.width, img.height);
            Hashed::Image {
                format: img.format,
                width: img.width,
                height: img.height,
                pdq: all[0],
                quality,
                dihedral: Some(Box::new(all)),
            }
        } else {
            let h = hasher.hash_rgb(&img.pixels, img.width, img.height);
            Hashed::Image {
                format: img.format,
                width: img.width,
                height: img.height,
                pdq: h.hash,
                quality: h.quality,
                dihedral: None,
            }
        }
    } else {
        Hashed::Video {
            frames: video::hash_video(path, &opts.video()).map_err(|e| e.to_string())?,
        }
    };
    Ok(FileHashes { md5, sha256, media })
}

fn hashed_json(path: &Path, h: &FileHashes) -> Value {
    let mut v = json!({ "file": path.display().to_string(), "md5": h.md5, "sha256": h.sha256 });
    match &h.media {
        Hashed::Image {
            format,
            width,
            height,
            pdq,
            quality,
            dihedral,
        } => {
            v["kind"] = json!("image");
            v["format"] = json!(format);
            v["width"] = json!(width);
            v["height"] = json!(height);
            v["pdq"] = json!(pdq.to_string());
            v["quality"] = json!(quality);
            if let Some(all) = dihedral {
                let m: serde_json::Map<String, Value> = Dihedral::ALL
                    .iter()
                    .zip(all.iter())
                    .map(|(d, h)| (d.name().to_string(), json!(h.to_string())))
                    .collect();
                v["dihedral"] = Value::Object(m);
            }
        }
        Hashed::Video { frames } => {
            v["kind"] = json!("video");
            v["frames"] = json!(frames);
        }
    }
    v
}

/// Run `work` over files on `threads` threads, writing each result line as it
/// comes; returns (done, failed).
fn parallel_files(
    files: &[PathBuf],
    threads: Option<usize>,
    quiet: bool,
    out: &Mutex<Box<dyn Write + Send>>,
    work: impl Fn(&Path, &mut PdqHasher) -> Result<Option<Value>, String> + Sync,
) -> Result<(usize, usize)> {
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let bar = crate::commands::file_progress(files.len() as u64, quiet);
    let write_err: Mutex<Option<std::io::Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut hasher = PdqHasher::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let line = match work(path, &mut hasher) {
                        Ok(v) => v,
                        Err(e) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            bar.suspend(|| {
                                let line = format!("{}: {e}", path.display());
                                eprintln!("raqib: {}", raqib_model::printable(&line))
                            });
                            Some(json!({ "file": path.display().to_string(), "error": e }))
                        }
                    };
                    if let Some(v) = line {
                        let mut o = out.lock().expect("writer");
                        if let Err(e) = writeln!(o, "{v}") {
                            *write_err.lock().expect("err") = Some(e);
                            next.store(usize::MAX / 2, Ordering::Relaxed);
                        }
                    }
                    bar.inc(1);
                }
            });
        }
    });
    bar.finish_and_clear();
    if let Some(e) = write_err.into_inner().expect("err") {
        return Err(e).context("cannot write the results");
    }
    out.lock()
        .expect("writer")
        .flush()
        .context("cannot write the results")?;
    Ok((files.len(), failed.into_inner()))
}

fn report_problems(problems: &[String]) {
    for p in problems {
        eprintln!("raqib: {p}");
    }
}

pub fn hash(a: HashArgs) -> Result<i32> {
    let (files, problems) = collect_files(&a.inputs);
    report_problems(&problems);
    let out = Mutex::new(writer(&a.media.out)?);
    let (n, failed) = parallel_files(&files, a.media.threads, a.media.quiet, &out, |p, hasher| {
        hash_file(p, &a.media, a.dihedral, hasher).map(|h| Some(hashed_json(p, &h)))
    })?;
    if !a.media.quiet {
        eprintln!(
            "raqib: hashed {} of {n} files; {failed} could not be read{}",
            n - failed,
            if problems.is_empty() {
                String::new()
            } else {
                format!(", {} paths skipped", problems.len())
            }
        );
    }
    Ok(if failed + problems.len() > 0 && n == failed {
        1
    } else {
        0
    })
}

/// Everything a file matched across the lists.
pub fn match_file(
    lists: &[HashList],
    h: &FileHashes,
    dihedral: bool,
    query_share: f64,
    target_share: f64,
) -> Vec<Value> {
    let mut out = Vec::new();
    let to_json = |m: ListMatch| serde_json::to_value(m).expect("json");
    for l in lists {
        if let Some(m) = l.match_exact(SignalType::Md5, &h.md5) {
            out.push(to_json(m));
        }
        if let Some(m) = l.match_exact(SignalType::Sha256, &h.sha256) {
            out.push(to_json(m));
        }
        match &h.media {
            Hashed::Image {
                pdq,
                quality,
                dihedral: variants,
                ..
            } => {
                let mut seen = std::collections::HashSet::new();
                let queries: Vec<(&str, Hash256)> = match (dihedral, variants) {
                    (true, Some(all)) => Dihedral::ALL
                        .iter()
                        .map(|d| d.name())
                        .zip(all.iter().copied())
                        .collect(),
                    _ => vec![("original", *pdq)],
                };
                for (variant, q) in queries {
                    for m in l.match_pdq(&q) {
                        if seen.insert(m.value.clone()) {
                            let mut v = to_json(m);
                            v["query_quality"] = json!(quality);
                            if variant != "original" {
                                v["variant"] = json!(variant);
                            }
                            out.push(v);
                        }
                    }
                }
            }
            Hashed::Video { frames } => {
                for (m, shares) in l.match_video(frames, query_share, target_share) {
                    let mut v = to_json(m);
                    v["query_share"] = json!(shares.query_share);
                    v["target_share"] = json!(shares.target_share);
                    out.push(v);
                }
            }
        }
    }
    out
}

pub fn match_cmd(a: MatchArgs) -> Result<i32> {
    let lists = open_lists(&a.lists)?;
    let (files, problems) = collect_files(&a.inputs);
    report_problems(&problems);
    let out = Mutex::new(writer(&a.media.out)?);
    let matched = AtomicUsize::new(0);
    let (n, failed) = parallel_files(&files, a.media.threads, a.media.quiet, &out, |p, hasher| {
        let h = hash_file(p, &a.media, a.dihedral, hasher)?;
        let matches = match_file(&lists, &h, a.dihedral, a.query_share, a.target_share);
        if matches.is_empty() && !a.all {
            return Ok(None);
        }
        if !matches.is_empty() {
            matched.fetch_add(1, Ordering::Relaxed);
        }
        let mut v = json!({ "file": p.display().to_string(), "md5": h.md5, "sha256": h.sha256 });
        if let Hashed::Image { pdq, quality, .. } = &h.media {
            v["pdq"] = json!(pdq.to_string());
            v["quality"] = json!(quality);
        }
        v["matches"] = Value::Array(matches);
        Ok(Some(v))
    })?;
    if !a.media.quiet {
        eprintln!(
            "raqib: {} of {n} files matched a list; {failed} could not be read{}",
            matched.into_inner(),
            if problems.is_empty() {
                String::new()
            } else {
                format!(", {} paths skipped", problems.len())
            }
        );
    }
    Ok(0)
}

pub fn open_lists(dir: &Path) -> Result<Vec<HashList>> {
    if !dir.is_dir() {
        bail!(
            "{} is not a folder of hash lists; make one with `raqib lists --dir {} create NAME`",
            dir.display(),
            dir.display()
        );
    }
    let lists = lists::open_all(dir)?;
    for l in &lists {
        for w in &l.warnings {
            eprintln!("raqib: {w}");
        }
    }
    if lists.is_empty() {
        eprintln!(
            "raqib: {} holds no lists yet (`raqib lists create NAME`)",
            dir.display()
        );
    }
    Ok(lists)
}

fn open_list(dir: &Path, name: &str) -> Result<HashList> {
    let path = dir.join(name);
    if !path.join("list.json").is_file() {
        bail!(
            "no list named {name:?} in {} (make it with `raqib lists --dir {} create {name}`)",
            dir.display(),
            dir.display()
        );
    }
    let l = HashList::open(&path)?;
    for w in &l.warnings {
        eprintln!("raqib: {w}");
    }
    Ok(l)
}

/// PDQ hashes waiting in the log past which `import` and `add` compact the
/// list: each later open then maps them instead of replaying them.
const COMPACT_AFTER: usize = 100_000;

fn compact_if_large(list: &mut HashList) -> Result<()> {
    let pending = list.pdq_index().delta_len();
    if pending >= COMPACT_AFTER {
        list.compact()?;
        eprintln!(
            "raqib: {}: {pending} new PDQ hashes folded into the index (lists compact)",
            list.name()
        );
    }
    Ok(())
}

pub fn lists_cmd(a: ListsArgs) -> Result<i32> {
    let dir = &a.dir;
    match a.command {
        ListsCommand::Create {
            name,
            description,
            radius,
        } => {
            if radius > 128 {
                bail!(
                    "a radius of {radius} bits matches unrelated images; PDQ lists use 31 or less"
                );
            }
            HashList::create(&dir.join(&name), &name, &description, radius)?;
            eprintln!(
                "raqib: created list {name:?} in {} (radius {radius})",
                dir.display()
            );
        }
        ListsCommand::Import {
            name,
            files,
            kind,
            source,
            allow_low_quality,
        } => {
            let mut list = open_list(dir, &name)?;
            let kind = kind
                .map(|k| {
                    SignalType::parse(&k).with_context(|| {
                        format!("unknown type {k:?}: pdq, md5, sha256, url, domain")
                    })
                })
                .transpose()?;
            let (mut added, mut refused) = (0usize, 0usize);
            for f in files {
                let text =
                    std::fs::read(&f).with_context(|| format!("cannot read {}", f.display()))?;
                let text = String::from_utf8_lossy(&text);
                let src = source.clone().unwrap_or_else(|| {
                    f.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                });
                let rows = lists::parse_import_csv(&text, kind, &src, allow_low_quality);
                let mut ops = Vec::new();
                for (line, row) in rows {
                    match row {
                        Ok(op) => ops.push(op),
                        Err(e) => {
                            refused += 1;
                            eprintln!("raqib: {}:{line}: {e}", f.display());
                        }
                    }
                }
                for chunk in ops.chunks(100_000) {
                    let (n, bad) = list.append(chunk)?;
                    added += n;
                    refused += bad.len();
                    for b in bad {
                        eprintln!("raqib: {}: {b}", f.display());
                    }
                }
            }
            eprintln!("raqib: {name}: imported {added} entries, refused {refused}");
            compact_if_large(&mut list)?;
        }
        ListsCommand::Export { name, format, out } => {
            let list = open_list(dir, &name)?;
            let ops = list.export_ops();
            let w = writer(&out)?;
            match format.as_str() {
                "hma" => lists::export_csv(&ops, lists::CsvLayout::Hma, w)?,
                "plain" => lists::export_csv(&ops, lists::CsvLayout::Plain, w)?,
                "jsonl" => {
                    let mut w = w;
                    for op in &ops {
                        writeln!(w, "{}", serde_json::to_string(op)?)?;
                    }
                    w.flush()?;
                }
                other => bail!("unknown export format {other:?}: hma, plain or jsonl"),
            }
        }
        ListsCommand::Add {
            name,
            entries,
            file,
            allow_low_quality,
            meta,
            media,
        } => {
            if entries.is_empty() && file.is_empty() {
                bail!("nothing to add: give --pdq, --md5, --sha256, --url, --domain or --file (see `raqib lists add --help`)");
            }
            let mut list = open_list(dir, &name)?;
            let m = meta.meta();
            let mut ops: Vec<LogOp> = entries
                .into_pairs()
                .into_iter()
                .map(|(kind, value)| LogOp::Add {
                    kind,
                    value,
                    quality: None,
                    frames: Vec::new(),
                    meta: m.clone(),
                })
                .collect();
            let mut hasher = PdqHasher::new();
            let mut refused = 0;
            for f in &file {
                let h = match hash_file(f, &media, false, &mut hasher) {
                    Ok(h) => h,
                    Err(e) => {
                        eprintln!("raqib: {}: {e}", f.display());
                        refused += 1;
                        continue;
                    }
                };
                let add = |kind, value: &str| LogOp::Add {
                    kind,
                    value: value.to_string(),
                    quality: None,
                    frames: Vec::new(),
                    meta: m.clone(),
                };
                ops.push(add(SignalType::Md5, &h.md5));
                ops.push(add(SignalType::Sha256, &h.sha256));
                match h.media {
                    Hashed::Image { pdq, quality, .. } => {
                        if quality < lists::MIN_QUALITY && !allow_low_quality {
                            eprintln!(
                                "raqib: {}: PDQ quality {quality} is below {}; its hash would match too much, so only \
                                 its MD5 and SHA-256 were added (--allow-low-quality adds it anyway)",
                                f.display(),
                                lists::MIN_QUALITY
                            );
                        } else {
                            ops.push(LogOp::Add {
                                kind: SignalType::Pdq,
                                value: pdq.to_string(),
                                quality: Some(quality),
                                frames: Vec::new(),
                                meta: m.clone(),
                            });
                        }
                    }
                    Hashed::Video { frames } => ops.push(LogOp::Add {
                        kind: SignalType::Video,
                        value: h.sha256.clone(),
                        quality: None,
                        frames: frames
                            .iter()
                            .map(|f| FrameHash {
                                hash: f.hash.to_string(),
                                quality: f.quality,
                                t: f.t,
                            })
                            .collect(),
                        meta: m.clone(),
                    }),
                }
            }
            let (n, bad) = list.append(&ops)?;
            for b in &bad {
                eprintln!("raqib: refused: {b}");
            }
            eprintln!(
                "raqib: {name}: added {n} entries, refused {}",
                bad.len() + refused
            );
            compact_if_large(&mut list)?;
            if n == 0 && !ops.is_empty() || (ops.is_empty() && refused > 0) {
                return Ok(1);
            }
        }
        ListsCommand::Remove {
            name,
            entries,
            video,
        } => {
            if entries.is_empty() && video.is_empty() {
                bail!("nothing to remove: give --pdq, --md5, --sha256, --url, --domain or --video");
            }
            let mut list = open_list(dir, &name)?;
            let ops: Vec<LogOp> = entries
                .into_pairs()
                .into_iter()
                .chain(video.into_iter().map(|v| (SignalType::Video, v)))
                .map(|(kind, value)| LogOp::Remove { kind, value })
                .collect();
            let (n, bad) = list.append(&ops)?;
            for b in &bad {
                eprintln!("raqib: refused: {b}");
            }
            eprintln!("raqib: {name}: removed {n} entries");
        }
        ListsCommand::Show { name } => {
            let lists = match name {
                Some(n) => vec![open_list(dir, &n)?],
                None => open_lists(dir)?,
            };
            for l in &lists {
                let counts: Vec<Value> = l
                    .counts()
                    .iter()
                    .map(|(k, n)| json!({ "type": k.name(), "count": n }))
                    .collect();
                let v = json!({
                    "name": l.name(),
                    "description": l.info.description,
                    "radius": l.info.radius,
                    "entries": counts,
                    "pending_in_log": l.pdq_index().delta_len(),
                    "path": l.dir.display().to_string(),
                });
                println!("{v}");
            }
        }
        ListsCommand::Compact { name } => {
            let mut list = open_list(dir, &name)?;
            list.compact()?;
            eprintln!(
                "raqib: {name}: compacted {} PDQ hashes into {}",
                list.pdq_index().len(),
                list.dir.join("pdq.hix").display()
            );
        }
    }
    Ok(0)
}
