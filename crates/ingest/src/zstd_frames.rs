//! Zstandard streams of any number of frames, as the format allows and as they are made:
//! files joined with `cat a.zst b.zst`, `pzstd` (a skippable frame before each frame, so
//! that its frames can be found and decoded in parallel), the seekable format (a skippable
//! seek table at the end), and logs compressed a piece at a time. `ruzstd`'s decoder reads
//! one frame; read alone, such a file would end after its first frame with no word said
//! (half of a `cat`-joined dump lost), or, from `pzstd`, not be known as zstd at all.
//!
//! Each frame's content checksum, where the frame has one (`zstd` writes it by default), is
//! checked at the frame's end: a damaged file is an error at that frame, not wrong text.
//! A frame may ask for any window (Pushshift's Reddit dumps are made with `--long=31`, a
//! 2 GiB window; the decoder holds as much of it as the frame uses).

use std::io::{self, BufRead, Read};

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

/// The first four bytes of a zstd frame.
pub(crate) const FRAME_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Whether `head` starts a zstd stream: a frame, or a skippable frame (magic
/// 0x184D2A50–0x184D2A5F, little-endian) as `pzstd` and the seekable format put first.
pub(crate) fn starts_zstd(head: &[u8]) -> bool {
    head.starts_with(&FRAME_MAGIC)
        || (head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18])
}

/// Every frame of a zstd stream decoded, one after another, skippable frames passed over.
pub(crate) struct ZstdFrames<R: BufRead> {
    source: R,
    /// The frame being decoded; `None` between frames.
    frame: Option<FrameDecoder>,
    /// Frames begun, skippable ones included: the one an error names.
    frames: u64,
    failed: bool,
}

impl<R: BufRead> ZstdFrames<R> {
    /// Reads up to the first frame's header, so that a stream that is not zstd, or whose
    /// header cannot be decoded, is an error here.
    pub(crate) fn new(source: R) -> io::Result<Self> {
        let mut frames = ZstdFrames {
            source,
            frame: None,
            frames: 0,
            failed: false,
        };
        while frames.frame.is_none() {
            if !frames.start_frame()? {
                break;
            }
        }
        Ok(frames)
    }

    fn error(&mut self, message: String) -> io::Error {
        self.failed = true;
        io::Error::new(io::ErrorKind::InvalidData, message)
    }

    /// Reads the next frame's header. `Ok(false)` at the end of the stream; `Ok(true)` with
    /// `self.frame` still `None` after a skippable frame.
    fn start_frame(&mut self) -> io::Result<bool> {
        if self.source.fill_buf()?.is_empty() {
            return Ok(false);
        }
        self.frames += 1;
        let mut decoder = FrameDecoder::new();
        match decoder.init(&mut self.source) {
            Ok(()) => {
                self.frame = Some(decoder);
                Ok(true)
            }
            Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                length,
                ..
            })) => {
                let skipped =
                    io::copy(&mut (&mut self.source).take(length as u64), &mut io::sink())?;
                if skipped < length as u64 {
                    let n = self.frames;
                    return Err(self.error(format!(
                        "zstd: the stream ends inside its frame {n}, a skippable frame of \
                         {length} bytes, {skipped} of them there: the file is cut short"
                    )));
                }
                Ok(true)
            }
            Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::BadMagicNumber(
                magic,
            ))) => {
                let n = self.frames;
                let what = if n == 1 {
                    "it does not start with a zstd frame".to_string()
                } else {
                    format!(
                        "after its frame {} come bytes that are not a zstd frame",
                        n - 1
                    )
                };
                Err(self.error(format!(
                    "zstd: {what} (they start {:02x} {:02x} {:02x} {:02x}): the file is \
                     damaged or other data was appended to it; what came before is kept",
                    magic & 0xff,
                    (magic >> 8) & 0xff,
                    (magic >> 16) & 0xff,
                    magic >> 24
                )))
            }
            Err(e) => {
                let n = self.frames;
                Err(self.error(format!("zstd: frame {n}'s header cannot be read: {e}")))
            }
        }
    }
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.failed {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "zstd: read again after an error",
            ));
        }
        loop {
            if let Some(decoder) = self.frame.as_mut() {
                // As ruzstd's own streaming decoder does: a block may fill the decoder's
                // buffer with bytes that cannot be collected yet (the window's history).
                let mut failed = None;
                while decoder.can_collect() < buf.len() && !decoder.is_finished() {
                    let want = buf.len() - decoder.can_collect();
                    if let Err(e) = decoder
                        .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBytes(want))
                    {
                        failed = Some(e);
                        break;
                    }
                }
                if let Some(e) = failed {
                    let n = self.frames;
                    return Err(self.error(format!(
                        "zstd: frame {n} cannot be decoded ({e}): the file is damaged or cut \
                         short; what came before is kept"
                    )));
                }
                let got = decoder.read(buf)?;
                if got > 0 {
                    return Ok(got);
                }
                if !decoder.is_finished() {
                    continue;
                }
                if let (Some(written), Some(computed)) = (
                    decoder.get_checksum_from_data(),
                    decoder.get_calculated_checksum(),
                ) {
                    if written != computed {
                        let n = self.frames;
                        return Err(self.error(format!(
                            "zstd: frame {n}'s content checksum does not match what was \
                             decoded (written {written:08x}, computed {computed:08x}): the \
                             file is damaged, and the text read from this frame may be too"
                        )));
                    }
                }
                self.frame = None;
            }
            if !self.start_frame()? {
                return Ok(0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ruzstd::encoding::{compress_to_vec, CompressionLevel};

    fn zstd(data: &[u8]) -> Vec<u8> {
        compress_to_vec(data, CompressionLevel::Fastest)
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
        let e = ZstdFrames::new(&b"PK\x03\x04 not zstd"[..]).err().unwrap();
        assert!(
            e.to_string().contains("does not start with a zstd frame"),
            "{e}"
        );
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
            m.contains("after its frame 1") && m.contains("67 61 72 62"),
            "{m}"
        );
        // Asked again, it does not go on as if nothing had happened.
        assert!(r.read(&mut [0u8; 8]).is_err());
    }

    #[test]
    fn a_damaged_checksum_or_a_cut_frame_is_an_error_naming_the_frame() {
        let mut v = zstd(b"first\n");
        let mut second = zstd(b"second frame's text, long enough to matter\n");
        let last = second.len() - 1;
        second[last] ^= 0x55; // the content checksum is a frame's last four bytes
        v.extend(second.iter());
        let e = decode(&v).unwrap_err().to_string();
        assert!(
            e.contains("frame 2's content checksum does not match"),
            "{e}"
        );

        let mut v = zstd(b"first\n");
        v.extend(&second[..second.len() / 2]);
        let e = decode(&v).unwrap_err().to_string();
        assert!(e.contains("frame 2") && e.contains("cut short"), "{e}");

        let mut v = zstd(b"first\n");
        v.extend(&skippable(0, &[0; 100])[..20]);
        let e = decode(&v).unwrap_err().to_string();
        assert!(e.contains("inside its frame 2, a skippable frame"), "{e}");
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
