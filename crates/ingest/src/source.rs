//! A byte source for the readers that walk a JSON document byte by byte (Telegram
//! exports, JSON arrays): a buffer over the input, the line of the next byte, and the bytes
//! taken so far (for progress).

use crate::Reader;

pub(crate) struct Source {
    src: Reader,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// The 1-based line of the next byte.
    pub line: u64,
    /// The error that ended reading, if one did (taken by whoever reports it).
    pub io_error: Option<std::io::Error>,
    /// Bytes taken from the input so far.
    taken: u64,
}

impl Source {
    pub fn new(src: Reader) -> Source {
        Source {
            src,
            buf: vec![0; 256 << 10],
            pos: 0,
            end: 0,
            line: 1,
            io_error: None,
            taken: 0,
        }
    }

    /// The next byte, not consumed; `None` at the end of the input (or after an error).
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        if self.pos == self.end {
            self.fill();
        }
        (self.pos < self.end).then(|| self.buf[self.pos])
    }

    #[cold]
    fn fill(&mut self) {
        if self.io_error.is_some() {
            return;
        }
        loop {
            match std::io::Read::read(&mut self.src, &mut self.buf) {
                Ok(n) => {
                    self.pos = 0;
                    self.end = n;
                    self.taken += n as u64;
                    return;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.io_error = Some(e);
                    self.pos = 0;
                    self.end = 0;
                    return;
                }
            }
        }
    }

    /// The next byte, consumed (lines counted).
    #[inline]
    pub fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    /// Skip JSON whitespace.
    pub fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.bump();
        }
    }

    /// The bytes of the buffer not yet consumed (empty at the end of the input; after
    /// [`Source::peek`] they are not, unless the input has ended).
    pub fn buffered(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// Consume the first `n` buffered bytes, which hold no line break or whose line breaks
    /// the caller counted into `line`.
    pub fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.end - self.pos);
        self.pos += n;
    }

    /// Input bytes consumed so far.
    pub fn consumed(&self) -> u64 {
        self.taken - (self.end - self.pos) as u64
    }
}
