//! Video hashing compatible with vPDQ: one PDQ hash per sampled frame,
//! frames decoded by the `ffmpeg` command, and vPDQ's match rule.
//!
//! Frames are sampled as vPDQ samples them: every `⌊seconds × fps⌋`-th
//! decoded frame (fps from the stream's average frame rate), converted to
//! RGB by swscale with the area filter, hashed with single-precision luma.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::pdq::{Hash256, PdqHasher};

/// vPDQ's defaults.
pub const FRAME_DISTANCE: u32 = 31;
pub const FRAME_QUALITY: u8 = 50;
/// Share of the query's frames that must match for a video match (percent).
pub const QUERY_SHARE: f64 = 80.0;
/// Share of the target's frames that must match (percent); 0 = any.
pub const TARGET_SHARE: f64 = 0.0;

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Frame {
    pub frame: u64,
    /// Seconds from the start.
    pub t: f64,
    pub hash: Hash256,
    pub quality: u8,
    /// Consecutive frames folded into this one (1 = none).
    pub span: u32,
}

#[derive(Clone, Debug)]
pub struct VideoOptions {
    pub seconds_per_hash: f64,
    /// Fold a frame into the previous kept one when within this distance;
    /// `None` keeps every sampled frame (vPDQ's own output).
    pub collapse: Option<u32>,
    pub ffmpeg: String,
    pub ffprobe: String,
    pub max_pixels: u64,
}

impl Default for VideoOptions {
    fn default() -> Self {
        VideoOptions {
            seconds_per_hash: 1.0,
            collapse: Some(2),
            ffmpeg: "ffmpeg".into(),
            ffprobe: "ffprobe".into(),
            max_pixels: crate::decode::DEFAULT_MAX_PIXELS,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error(
        "`{0}` was not found; raqib decodes video with ffmpeg. Install it (Debian/Ubuntu: \
         `apt-get install ffmpeg`; macOS: `brew install ffmpeg`) or point --ffmpeg at it"
    )]
    MissingTool(String),
    #[error("not a video ffmpeg can read: {0}")]
    Unreadable(String),
    #[error("{width}×{height} frames are over the pixel limit of {limit}")]
    TooLarge { width: u64, height: u64, limit: u64 },
    #[error("over the limit of {0} bytes")]
    TooManyBytes(u64),
    #[error(
        "copying it to the temporary folder {dir} for ffmpeg (which reads files) failed: \
         {error}; set TMPDIR to a folder with room for it, or extract the archive"
    )]
    Copy { dir: String, error: std::io::Error },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A tool that will not start: missing (say how to install it) or otherwise.
fn start_error(e: std::io::Error, tool: &str) -> VideoError {
    match e.kind() {
        std::io::ErrorKind::NotFound => VideoError::MissingTool(tool.to_string()),
        _ => VideoError::Io(e),
    }
}

struct Probe {
    width: usize,
    height: usize,
    fps: f64,
}

fn probe(path: &Path, opts: &VideoOptions) -> Result<Probe, VideoError> {
    let out = Command::new(&opts.ffprobe)
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .arg("stream=width,height,avg_frame_rate,r_frame_rate")
        .args(["-of", "json"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| start_error(e, &opts.ffprobe))?;
    let first_err = || {
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or("no video stream")
            .to_string()
    };
    if !out.status.success() {
        return Err(VideoError::Unreadable(first_err()));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| VideoError::Unreadable(e.to_string()))?;
    let s = v["streams"]
        .get(0)
        .ok_or_else(|| VideoError::Unreadable("no video stream".into()))?;
    let rate = |k: &str| -> f64 {
        let r = s[k].as_str().unwrap_or("0/0");
        let (n, d) = r.split_once('/').unwrap_or((r, "1"));
        let (n, d) = (
            n.parse::<f64>().unwrap_or(0.0),
            d.parse::<f64>().unwrap_or(0.0),
        );
        if n > 0.0 && d > 0.0 {
            n / d
        } else {
            0.0
        }
    };
    let mut fps = rate("avg_frame_rate");
    if fps == 0.0 {
        fps = rate("r_frame_rate");
    }
    let width = s["width"].as_u64().unwrap_or(0) as usize;
    let height = s["height"].as_u64().unwrap_or(0) as usize;
    if width == 0 || height == 0 || fps == 0.0 {
        return Err(VideoError::Unreadable("no frame size or frame rate".into()));
    }
    Ok(Probe { width, height, fps })
}

/// Hash a video file's frames.
pub fn hash_video(path: &Path, opts: &VideoOptions) -> Result<Vec<Frame>, VideoError> {
    let p = probe(path, opts)?;
    if (p.width as u64) * (p.height as u64) > opts.max_pixels {
        return Err(VideoError::TooLarge {
            width: p.width as u64,
            height: p.height as u64,
            limit: opts.max_pixels,
        });
    }
    let every = ((opts.seconds_per_hash * p.fps) as u64).max(1);
    let mut child = Command::new(&opts.ffmpeg)
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(path)
        .args([
            "-map",
            "0:v:0",
            "-vf",
            &format!("select=not(mod(n\\,{every}))"),
            "-fps_mode",
            "passthrough",
        ])
        .args([
            "-sws_flags",
            "area",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| start_error(e, &opts.ffmpeg))?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let frame_bytes = p.width * p.height * 3;
    let mut buf = vec![0u8; frame_bytes];
    let mut hasher = PdqHasher::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut k = 0u64;
    loop {
        match read_full(&mut stdout, &mut buf)? {
            0 => break,
            n if n < frame_bytes => break,
            _ => {}
        }
        let number = k * every;
        let h = hasher.hash_rgb_f32_luma(&buf, p.width, p.height);
        let t = (number as f32 / p.fps as f32) as f64;
        k += 1;
        if let (Some(limit), Some(last)) = (opts.collapse, frames.last_mut()) {
            if last.hash.distance(&h.hash) <= limit {
                last.span += 1;
                continue;
            }
        }
        frames.push(Frame {
            frame: number,
            t,
            hash: h.hash,
            quality: h.quality,
            span: 1,
        });
    }
    let status = child.wait()?;
    let err = err_thread.join().unwrap_or_default();
    if frames.is_empty() {
        let why = err
            .lines()
            .next()
            .unwrap_or("no frames decoded")
            .to_string();
        return Err(VideoError::Unreadable(if status.success() {
            "no frames decoded".into()
        } else {
            why
        }));
    }
    Ok(frames)
}

/// Hash the frames of a video read from `r` (a member of a zipped export). ffmpeg reads a
/// file it can seek in (an MP4's index is often at its end), so the video is first copied
/// to a file in the temporary folder (`TMPDIR`), named with `ext` (the video's extension),
/// and removed once hashed. A video of more than `max_bytes` is an error, and nothing is
/// decoded.
pub fn hash_video_read(
    r: impl Read,
    ext: &str,
    max_bytes: u64,
    opts: &VideoOptions,
) -> Result<Vec<Frame>, VideoError> {
    let ext: String = ext.chars().filter(char::is_ascii_alphanumeric).collect();
    let dir = std::env::temp_dir();
    let failed = |error| VideoError::Copy {
        dir: dir.display().to_string(),
        error,
    };
    let mut copy = tempfile::Builder::new()
        .prefix("raqib-video-")
        .suffix(&format!(".{ext}"))
        .tempfile_in(&dir)
        .map_err(failed)?;
    // Reading (a damaged member) and writing (no room) fail with different advice.
    let mut r = r.take(max_bytes.saturating_add(1));
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let got = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(got) => got,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(VideoError::Io(e)),
        };
        std::io::Write::write_all(copy.as_file_mut(), &buf[..got]).map_err(failed)?;
        n += got as u64;
    }
    if n > max_bytes {
        return Err(VideoError::TooManyBytes(max_bytes));
    }
    std::io::Write::flush(copy.as_file_mut()).map_err(failed)?;
    hash_video(copy.path(), opts)
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// vPDQ's match: the percentage of query frames with a target frame within
/// `distance`, and of target frames with a query frame within it, both over
/// frames of quality ≥ 50 (the target's are filtered when listed).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct VideoShares {
    pub query_share: f64,
    pub target_share: f64,
}

pub fn match_shares(query: &[(Hash256, u8)], target: &[Hash256], distance: u32) -> VideoShares {
    let q: Vec<Hash256> = query
        .iter()
        .filter(|(_, ql)| *ql >= FRAME_QUALITY)
        .map(|(h, _)| *h)
        .collect();
    let share = |a: &[Hash256], b: &[Hash256]| -> f64 {
        if a.is_empty() {
            return 0.0;
        }
        let n = a
            .iter()
            .filter(|x| b.iter().any(|y| x.distance(y) <= distance))
            .count();
        n as f64 * 100.0 / a.len() as f64
    };
    VideoShares {
        query_share: share(&q, target),
        target_share: share(target, &q),
    }
}

/// Whether a path looks like a video (by extension; content is checked by ffmpeg).
pub fn is_video_path(p: &Path) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref(),
        Some(
            "mp4"
                | "m4v"
                | "mov"
                | "mkv"
                | "webm"
                | "avi"
                | "flv"
                | "wmv"
                | "mpg"
                | "mpeg"
                | "ts"
                | "3gp"
                | "ogv"
        )
    )
}
