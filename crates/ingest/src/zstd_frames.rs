//! Zstandard streams of any number of frames, as the format allows and as they are made:
//! files joined with `cat a.zst b.zst`, `pzstd` (a skippable frame before each frame, so
//! that its frames can be found and decoded in parallel), the seekable format (a skippable
//! seek table at the end), and logs compressed a piece at a time. Decoded by libzstd (the
//! `zstd` crate, its C library built from the bundled source), which reads them all,
//! passes skippable frames over and checks each frame's content checksum where the frame
//! has one (`zstd` writes it by default).
//!
//! libzstd rather than the pure-Rust `ruzstd`, which read only a stream's first frame (half
//! of a `cat`-joined dump lost with no word said, `pzstd`'s output not known as zstd) and,
//! for a frame with a long window, grew its ring buffer to the next power of two above the
//! window and copied it over: Pushshift's Reddit dumps are made with `--long=31`, and a
//! 1.1 GiB window took 3.4 GB and 9–12 s to read where libzstd holds the window once
//! (docs/benchmarks.md).

use std::io::{self, BufRead, Read};

/// The first four bytes of a zstd frame.
pub(crate) const FRAME_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The largest window a frame may ask for: 2 GiB (`zstd --long=31`, as Pushshift's dumps
/// are made), held once in memory while the frame is read.
const WINDOW_LOG_MAX: u32 = 31;

/// Whether `head` starts a zstd stream: a frame, or a skippable frame (magic
/// 0x184D2A50–0x184D2A5F, little-endian) as `pzstd` and the seekable format put first.
pub(crate) fn starts_zstd(head: &[u8]) -> bool {
    head.starts_with(&FRAME_MAGIC)
        || (head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18])
}

/// Every frame of a zstd stream decoded, one after another, skippable frames passed over.
/// After an error it reads nothing more.
pub(crate) struct ZstdFrames<R: BufRead> {
    inner: zstd::stream::read::Decoder<'static, R>,
    failed: bool,
}

impl<R: BufRead> ZstdFrames<R> {
    pub(crate) fn new(source: R) -> io::Result<Self> {
        let mut inner = zstd::stream::read::Decoder::with_buffer(source)?;
        inner.window_log_max(WINDOW_LOG_MAX)?;
        Ok(ZstdFrames {
            inner,
            failed: false,
        })
    }
}

/// libzstd's error, with what it means for the file.
fn explain(e: &io::Error) -> String {
    let said = e.to_string();
    let what = if e.kind() == io::ErrorKind::UnexpectedEof {
        "the file is cut short"
    } else if said.contains("checksum") {
        "the file is damaged, and the text read from its last frame may be too"
    } else if said.contains("Unknown frame descriptor") {
        "bytes that are not a zstd frame: the file is damaged or other data was appended to it"
    } else if said.contains("Frame requires too much memory") {
        "a frame asks for a window over 2 GiB: decompress it with `zstd -d --long=31` or \
         more, and give the result"
    } else {
        "the file is damaged"
    };
    format!("zstd: {said} ({what}); what came before is kept")
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "zstd: read again after an error",
            ));
        }
        self.inner.read(buf).map_err(|e| {
            self.failed = true;
            io::Error::new(io::ErrorKind::InvalidData, explain(&e))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Write;

    /// One frame, with a content checksum, as the `zstd` command writes it.
    fn zstd(data: &[u8]) -> Vec<u8> {
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
        e.include_checksum(true).unwrap();
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn skippable(nibble: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0x50 | nibble, 0x2a, 0x4d, 0x18];
        v.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        v.extend_from_slice(payload);
        v
    }

    fn decode(bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        ZstdFrames::new(bytes)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn frames_joined_are_read_as_one_stream() {
        let mut joined = zstd(b"{\"id\":\"1\",\"text\":\"first frame\"}\n{\"id\":\"2\",");
        joined.extend(zstd(b"\"text\":\"a line across two frames\"}\n"));
        joined.extend(zstd(b""));
        joined.extend(zstd(b"{\"id\":\"3\",\"text\":\"third\"}\n"));
        assert_eq!(
            decode(&joined).unwrap(),
            b"{\"id\":\"1\",\"text\":\"first frame\"}\n{\"id\":\"2\",\"text\":\"a line across two \
              frames\"}\n{\"id\":\"3\",\"text\":\"third\"}\n"
        );
    }

    #[test]
    fn skippable_frames_are_passed_over_first_between_and_last() {
        let mut v = skippable(0, &[4, 0, 0, 0]);
        v.extend(zstd(b"one\n"));
        v.extend(skippable(0xe, b"seek table or anything"));
        v.extend(zstd(b"two\n"));
        v.extend(skippable(5, b""));
        assert!(starts_zstd(&v));
        assert_eq!(decode(&v).unwrap(), b"one\ntwo\n");
        // Nothing but a skippable frame: an empty stream.
        assert_eq!(decode(&skippable(1, b"x")).unwrap(), b"");
    }

    #[test]
    fn what_is_not_zstd_is_not_taken_for_it() {
        assert!(!starts_zstd(b"{\"id\":1}"));
        assert!(!starts_zstd(&[0x50, 0x2a, 0x4d])); // too short to tell
        assert!(!starts_zstd(&[0x60, 0x2a, 0x4d, 0x18]));
        assert!(starts_zstd(&FRAME_MAGIC));
        let e = decode(b"PK\x03\x04 not zstd").unwrap_err().to_string();
        assert!(e.contains("not a zstd frame"), "{e}");
    }

    #[test]
    fn bytes_after_a_frame_that_are_not_a_frame_are_an_error_after_its_text() {
        let mut v = zstd(b"kept line\n");
        v.extend_from_slice(b"garbage appended");
        let mut r = ZstdFrames::new(&v[..]).unwrap();
        let mut out = Vec::new();
        let e = r.read_to_end(&mut out).unwrap_err();
        assert_eq!(out, b"kept line\n");
        let m = e.to_string();
        assert!(
            m.contains("not a zstd frame") && m.contains("what came before is kept"),
            "{m}"
        );
        // Asked again, it does not go on as if nothing had happened.
        assert!(r.read(&mut [0u8; 8]).is_err());
    }

    #[test]
    fn a_damaged_checksum_or_a_cut_frame_is_an_error_that_says_so() {
        let mut v = zstd(b"first\n");
        let mut second = zstd(b"second frame's text, long enough to matter\n");
        let last = second.len() - 1;
        second[last] ^= 0x55; // the content checksum is a frame's last four bytes
        v.extend(second.iter());
        let e = decode(&v).unwrap_err().to_string();
        assert!(e.contains("checksum") && e.contains("damaged"), "{e}");

        let mut v = zstd(b"first\n");
        v.extend(&second[..second.len() / 2]);
        let e = decode(&v).unwrap_err().to_string();
        assert!(e.contains("cut short"), "{e}");

        let mut v = zstd(b"first\n");
        v.extend(&skippable(0, &[0; 100])[..20]);
        let e = decode(&v).unwrap_err().to_string();
        assert!(e.contains("cut short"), "{e}");
    }

    proptest! {
        /// Any text cut into any frames, with skippable frames among them, reads back as
        /// the text, whatever size the reads.
        #[test]
        fn any_frames_read_back_whole(
            text in proptest::collection::vec(any::<u8>(), 0..3000),
            cuts in proptest::collection::vec(0usize..3000, 0..6),
            skips in proptest::collection::vec(any::<bool>(), 0..7),
            read_size in 1usize..5000,
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(text.len())).collect();
            cuts.push(0);
            cuts.push(text.len());
            cuts.sort_unstable();
            let mut stream = Vec::new();
            for (i, w) in cuts.windows(2).enumerate() {
                if skips.get(i).copied().unwrap_or(false) {
                    stream.extend(skippable((i % 16) as u8, &text[w[0]..w[1]]));
                }
                stream.extend(zstd(&text[w[0]..w[1]]));
            }
            let mut r = ZstdFrames::new(&stream[..]).unwrap();
            let mut out = Vec::new();
            let mut buf = vec![0u8; read_size];
            loop {
                let n = r.read(&mut buf).unwrap();
                if n == 0 { break; }
                out.extend_from_slice(&buf[..n]);
            }
            prop_assert_eq!(out, text);
        }

        /// Any bytes after a zstd magic: an error or some text, never a panic.
        #[test]
        fn any_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut v = FRAME_MAGIC.to_vec();
            v.extend(tail);
            if let Ok(mut r) = ZstdFrames::new(&v[..]) {
                let _ = r.read_to_end(&mut Vec::new());
            }
        }
    }
}
