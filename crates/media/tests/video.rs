//! vPDQ compatibility: frame hashes of the committed test videos (made with
//! ffmpeg's test sources) equal the `vpdq` PyPI package's, frame for frame.
//! Needs the `ffmpeg` command (Debian: `apt-get install ffmpeg`).

use std::path::PathBuf;

use raqib_media::video::{hash_video, match_shares, VideoError, VideoOptions};
use raqib_media::Hash256;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/video")
}

#[test]
fn frame_hashes_equal_vpdq() {
    let text = std::fs::read_to_string(dir().join("expected.jsonl")).unwrap();
    let opts = VideoOptions {
        collapse: None,
        ..VideoOptions::default()
    };
    for line in text.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        let file = e["file"].as_str().unwrap();
        let got =
            hash_video(&dir().join(file), &opts).unwrap_or_else(|err| panic!("{file}: {err}"));
        let want = e["frames"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{file}: frame count");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(
                g.hash.to_string(),
                w["hash"].as_str().unwrap(),
                "{file} frame {}",
                g.frame
            );
            assert_eq!(g.quality as u64, w["quality"].as_u64().unwrap());
            assert_eq!(g.frame, w["frame"].as_u64().unwrap());
            assert!((g.t - w["t"].as_f64().unwrap()).abs() < 1e-6);
        }
    }
}

#[test]
fn collapsing_folds_near_identical_neighbours() {
    let all = hash_video(
        &dir().join("testsrc.mp4"),
        &VideoOptions {
            collapse: None,
            ..Default::default()
        },
    )
    .unwrap();
    let folded = hash_video(
        &dir().join("testsrc.mp4"),
        &VideoOptions {
            collapse: Some(256),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(folded.len(), 1);
    assert_eq!(folded[0].span as usize, all.len());
}

#[test]
fn a_video_matches_itself_and_not_another() {
    let o = VideoOptions {
        collapse: None,
        ..Default::default()
    };
    let a = hash_video(&dir().join("testsrc.mp4"), &o).unwrap();
    let b = hash_video(&dir().join("mandelbrot.mp4"), &o).unwrap();
    let q: Vec<(Hash256, u8)> = a.iter().map(|f| (f.hash, f.quality)).collect();
    let ta: Vec<Hash256> = a
        .iter()
        .filter(|f| f.quality >= 50)
        .map(|f| f.hash)
        .collect();
    let tb: Vec<Hash256> = b
        .iter()
        .filter(|f| f.quality >= 50)
        .map(|f| f.hash)
        .collect();
    let same = match_shares(&q, &ta, 31);
    assert_eq!((same.query_share, same.target_share), (100.0, 100.0));
    let other = match_shares(&q, &tb, 31);
    assert!(other.query_share < 50.0, "{other:?}");
}

#[test]
fn missing_ffmpeg_says_how_to_install_it() {
    let o = VideoOptions {
        ffprobe: "/nonexistent/ffprobe".into(),
        ..Default::default()
    };
    let err = hash_video(&dir().join("testsrc.mp4"), &o).unwrap_err();
    assert!(matches!(err, VideoError::MissingTool(_)));
    assert!(err.to_string().contains("apt-get install ffmpeg"), "{err}");
}

#[test]
fn a_non_video_is_refused_clearly() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("fake.mp4");
    std::fs::write(&p, b"this is not a video at all").unwrap();
    let err = hash_video(&p, &VideoOptions::default()).unwrap_err();
    assert!(matches!(err, VideoError::Unreadable(_)), "{err}");
}

/// A video read from a stream (a member of a zipped export) hashes frame for frame as its
/// file does; one over the byte limit is refused before anything is decoded.
#[test]
fn a_video_read_from_a_stream_hashes_as_its_file() {
    use raqib_media::video::hash_video_read;
    let path = dir().join("testsrc.mp4");
    let bytes = std::fs::read(&path).unwrap();
    let opts = VideoOptions::default();
    let from_file = hash_video(&path, &opts).unwrap();
    let from_stream = hash_video_read(&bytes[..], "mp4", 1 << 30, &opts).unwrap();
    assert!(!from_file.is_empty());
    assert_eq!(from_stream, from_file);
    let limit = bytes.len() as u64 - 1;
    let err = hash_video_read(&bytes[..], "mp4", limit, &opts).unwrap_err();
    assert!(
        matches!(err, VideoError::TooManyBytes(l) if l == limit),
        "{err}"
    );
    // A stream that breaks (a damaged member) says so, not that the disk is full.
    struct Breaks;
    impl std::io::Read for Breaks {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other(
                "the member's CRC-32 does not match: damaged",
            ))
        }
    }
    let err = hash_video_read(Breaks, "mp4", 1 << 30, &opts).unwrap_err();
    assert!(matches!(err, VideoError::Io(_)), "{err}");
    assert!(err.to_string().contains("damaged") && !err.to_string().contains("TMPDIR"));
    // An extension that is not one cannot name a path outside the temporary folder.
    let odd = hash_video_read(&bytes[..], "/../../x", 1 << 30, &opts).unwrap();
    assert_eq!(odd, from_file);
}
