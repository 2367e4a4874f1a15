//! Opening an input: a path or `-`, with gzip or zstd undone by looking at the first bytes.

use std::io::{BufRead, BufReader, Read};

use crate::OpenError;

/// The compression found on an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// An opened input: a buffered reader over the decompressed bytes and a copy of the first
/// bytes for format detection.
pub struct Opened {
    pub reader: Box<dyn BufRead + Send>,
    pub head: Vec<u8>,
    pub compression: Compression,
}

const BUF: usize = 1 << 18;

/// A read shorter than this came from a source with nothing more to give right now.
pub(crate) const SHORT_READ: usize = 1 << 16;
const HEAD: usize = 64 << 10;

/// Open `path` (`-` is standard input), undoing gzip or zstd compression transparently.
pub fn open_input(path: &str) -> Result<Opened, OpenError> {
    let io_err = |e: std::io::Error| OpenError::Io {
        path: path.to_string(),
        error: e,
    };
    let raw: Box<dyn Read + Send> = if path == "-" {
        Box::new(std::io::stdin())
    } else {
        let meta = std::fs::metadata(path).map_err(io_err)?;
        if meta.is_dir() {
            return Err(OpenError::Invalid {
                path: path.to_string(),
                message: "is a directory; give the files in it".into(),
            });
        }
        Box::new(std::fs::File::open(path).map_err(io_err)?)
    };
    open_reader(raw, path)
}

/// Like [`open_input`], for bytes from any reader; `path` names it in messages.
pub fn open_reader(raw: Box<dyn Read + Send>, path: &str) -> Result<Opened, OpenError> {
    let io_err = |e: std::io::Error| OpenError::Io {
        path: path.to_string(),
        error: e,
    };
    let mut raw = BufReader::with_capacity(BUF, raw);
    let magic = fill_at_least(&mut raw, 4).map_err(io_err)?;
    let (reader, compression): (Box<dyn BufRead + Send>, _) = if magic.starts_with(&[0x1f, 0x8b]) {
        let dec = flate2::bufread::MultiGzDecoder::new(raw);
        (
            Box::new(BufReader::with_capacity(BUF, dec)),
            Compression::Gzip,
        )
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let dec = ruzstd::decoding::StreamingDecoder::new(raw).map_err(|e| OpenError::Invalid {
            path: path.to_string(),
            message: format!("looks like zstd but cannot be decoded: {e}"),
        })?;
        (
            Box::new(BufReader::with_capacity(BUF, dec)),
            Compression::Zstd,
        )
    } else {
        (Box::new(raw), Compression::None)
    };
    let mut reader = reader;
    let head = match fill_at_least(&mut reader, HEAD) {
        Ok(h) => h,
        Err(e) => {
            return Err(OpenError::Invalid {
                path: path.to_string(),
                message: format!("cannot decompress ({compression:?}): {e}"),
            })
        }
    };
    Ok(Opened {
        reader,
        head,
        compression,
    })
}

/// Copy up to `want` bytes from the front of the reader without consuming them. A single
/// `fill_buf` may return fewer bytes than are coming (pipes), which is fine for sniffing.
fn fill_at_least<R: BufRead + ?Sized>(r: &mut R, want: usize) -> std::io::Result<Vec<u8>> {
    loop {
        match r.fill_buf() {
            Ok(b) => return Ok(b[..b.len().min(want)].to_vec()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}
