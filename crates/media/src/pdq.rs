//! PDQ, Meta's 256-bit perceptual image hash, ported from the reference C++
//! (`ThreatExchange/pdq/cpp`, as wrapped by the `pdqhash` PyPI package).
//!
//! Every floating-point operation is done in the same type and the same order
//! as the reference, so the hash and the quality score are bit-exact with it
//! (checked against `pdqhash` on generated images: `tests/pdq_oracle.rs`).
//! One part is laid out differently for speed without changing any result:
//! the column passes of the box filter run over all columns at once, row by
//! row, and the second filter pass only divides at the pixels the 64×64
//! decimation reads (the running sums, which carry rounding, are still
//! accumulated over every pixel in the reference order).

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// Smaller images hash to all zeros with quality 0, as in the reference.
pub const MIN_HASHABLE_DIM: usize = 5;

/// A 256-bit perceptual hash. `words[0]` holds the first 16 hex digits of the
/// reference's string form (its bits 255..192), `words[3]` the last.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Hash256 {
    pub words: [u64; 4],
}

impl Hash256 {
    pub const ZERO: Hash256 = Hash256 { words: [0; 4] };

    /// Bit `k` in the reference's numbering (`Hash256::setBit(k)`).
    #[inline]
    pub fn set_bit(&mut self, k: usize) {
        self.words[3 - k / 64] |= 1u64 << (k % 64);
    }

    #[inline]
    pub fn bit(&self, k: usize) -> bool {
        self.words[3 - k / 64] >> (k % 64) & 1 == 1
    }

    /// Number of differing bits.
    #[inline]
    pub fn distance(&self, other: &Hash256) -> u32 {
        (self.words[0] ^ other.words[0]).count_ones()
            + (self.words[1] ^ other.words[1]).count_ones()
            + (self.words[2] ^ other.words[2]).count_ones()
            + (self.words[3] ^ other.words[3]).count_ones()
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, w) in self.words.iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&w.to_be_bytes());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8; 32]) -> Hash256 {
        let mut words = [0u64; 4];
        for (i, w) in words.iter_mut().enumerate() {
            *w = u64::from_be_bytes(bytes[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        }
        Hash256 { words }
    }

    /// The 16-bit chunk `i` (0..16) of the hash, most significant first.
    #[inline]
    pub fn chunk16(&self, i: usize) -> u16 {
        (self.words[i / 4] >> (48 - 16 * (i % 4))) as u16
    }
}

impl fmt::Display for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for w in self.words {
            write!(f, "{w:016x}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for Hash256 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Hash256 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash256({self})")
    }
}

/// Why a hash string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseHashError {
    #[error("a PDQ hash is 64 hexadecimal digits; this one has {0}")]
    Length(usize),
    #[error("a PDQ hash is 64 hexadecimal digits; {0:?} is not one")]
    Digit(char),
}

impl FromStr for Hash256 {
    type Err = ParseHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.len() != 64 {
            return Err(ParseHashError::Length(s.chars().count()));
        }
        if let Some(c) = s.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(ParseHashError::Digit(c));
        }
        let mut words = [0u64; 4];
        for (i, w) in words.iter_mut().enumerate() {
            *w = u64::from_str_radix(&s[i * 16..i * 16 + 16], 16).expect("checked hex");
        }
        Ok(Hash256 { words })
    }
}

/// A PDQ hash with the reference's integer quality score (0–100).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PdqHash {
    pub hash: Hash256,
    pub quality: u8,
}

/// The eight dihedral variants, in the reference's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dihedral {
    Original,
    Rotate90,
    Rotate180,
    Rotate270,
    FlipX,
    FlipY,
    FlipPlus1,
    FlipMinus1,
}

impl Dihedral {
    pub const ALL: [Dihedral; 8] = [
        Dihedral::Original,
        Dihedral::Rotate90,
        Dihedral::Rotate180,
        Dihedral::Rotate270,
        Dihedral::FlipX,
        Dihedral::FlipY,
        Dihedral::FlipPlus1,
        Dihedral::FlipMinus1,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dihedral::Original => "original",
            Dihedral::Rotate90 => "rotate90",
            Dihedral::Rotate180 => "rotate180",
            Dihedral::Rotate270 => "rotate270",
            Dihedral::FlipX => "flipx",
            Dihedral::FlipY => "flipy",
            Dihedral::FlipPlus1 => "flipplus1",
            Dihedral::FlipMinus1 => "flipminus1",
        }
    }

    /// The DCT-domain transform of the reference (`dct16OriginalTo*`).
    fn apply(self, a: &[[f32; 16]; 16]) -> [[f32; 16]; 16] {
        let mut b = [[0f32; 16]; 16];
        for i in 0..16 {
            for j in 0..16 {
                let v = a[i][j];
                match self {
                    Dihedral::Original => b[i][j] = v,
                    Dihedral::Rotate90 => b[j][i] = if j & 1 == 1 { v } else { -v },
                    Dihedral::Rotate180 => b[i][j] = if (i + j) & 1 == 1 { -v } else { v },
                    Dihedral::Rotate270 => b[j][i] = if i & 1 == 1 { v } else { -v },
                    Dihedral::FlipX => b[i][j] = if i & 1 == 1 { v } else { -v },
                    Dihedral::FlipY => b[i][j] = if j & 1 == 1 { v } else { -v },
                    Dihedral::FlipPlus1 => b[j][i] = v,
                    Dihedral::FlipMinus1 => b[j][i] = if (i + j) & 1 == 1 { -v } else { v },
                }
            }
        }
        b
    }
}

fn dct_matrix() -> &'static [f32; 16 * 64] {
    static M: OnceLock<[f32; 16 * 64]> = OnceLock::new();
    M.get_or_init(|| {
        let mut m = [0f32; 16 * 64];
        let scale = (2.0f64 / 64.0).sqrt() as f32;
        for i in 0..16 {
            for j in 0..64 {
                let angle =
                    (std::f64::consts::PI / 2.0 / 64.0) * (i + 1) as f64 * (2 * j + 1) as f64;
                m[i * 64 + j] = (scale as f64 * angle.cos()) as f32;
            }
        }
        m
    })
}

/// Luma as the `pdqhash` package computes it: in double precision, then
/// rounded to `f32`.
#[inline]
pub fn luma(r: u8, g: u8, b: u8) -> f32 {
    (r as f64 * 0.299 + g as f64 * 0.587 + b as f64 * 0.114) as f32
}

/// Reusable buffers for hashing; one per thread.
#[derive(Default)]
pub struct PdqHasher {
    luma: Vec<f32>,
    tmp: Vec<f32>,
    sums: Vec<f32>,
    cols64: Vec<f32>,
}

impl PdqHasher {
    pub fn new() -> PdqHasher {
        PdqHasher::default()
    }

    /// Hash packed 8-bit RGB pixels, row-major, `width × height × 3` bytes.
    pub fn hash_rgb(&mut self, rgb: &[u8], width: usize, height: usize) -> PdqHash {
        self.fill_rgb(rgb, width, height);
        let (dct, quality) = self.dct_from_luma(height, width);
        PdqHash {
            hash: bits(&dct),
            quality,
        }
    }

    /// Hash 8-bit greyscale pixels.
    pub fn hash_grey(&mut self, grey: &[u8], width: usize, height: usize) -> PdqHash {
        assert_eq!(grey.len(), width * height, "grey buffer size");
        self.luma.clear();
        self.luma.extend(grey.iter().map(|&v| v as f32));
        let (dct, quality) = self.dct_from_luma(height, width);
        PdqHash {
            hash: bits(&dct),
            quality,
        }
    }

    /// All eight dihedral variants (in [`Dihedral::ALL`] order) and the quality.
    pub fn hash_rgb_dihedral(
        &mut self,
        rgb: &[u8],
        width: usize,
        height: usize,
    ) -> ([Hash256; 8], u8) {
        self.fill_rgb(rgb, width, height);
        let (dct, quality) = self.dct_from_luma(height, width);
        let mut out = [Hash256::ZERO; 8];
        if width < MIN_HASHABLE_DIM || height < MIN_HASHABLE_DIM {
            return (out, 0);
        }
        for (slot, d) in out.iter_mut().zip(Dihedral::ALL) {
            *slot = bits(&d.apply(&dct));
        }
        (out, quality)
    }

    /// Hash RGB pixels with the luma computed in single precision, as the
    /// reference C++ (`fillFloatLumaFromRGB`) and vPDQ's frame hasher do.
    pub fn hash_rgb_f32_luma(&mut self, rgb: &[u8], width: usize, height: usize) -> PdqHash {
        assert_eq!(rgb.len(), width * height * 3, "rgb buffer size");
        self.luma.clear();
        self.luma.extend(
            rgb.chunks_exact(3)
                .map(|p| 0.299f32 * p[0] as f32 + 0.587f32 * p[1] as f32 + 0.114f32 * p[2] as f32),
        );
        let (dct, quality) = self.dct_from_luma(height, width);
        PdqHash {
            hash: bits(&dct),
            quality,
        }
    }

    fn fill_rgb(&mut self, rgb: &[u8], width: usize, height: usize) {
        assert_eq!(rgb.len(), width * height * 3, "rgb buffer size");
        self.luma.clear();
        self.luma
            .extend(rgb.chunks_exact(3).map(|p| luma(p[0], p[1], p[2])));
    }

    /// The 16×16 DCT block and quality from `self.luma` (`rows × cols`).
    /// Images below the minimum size give an all-zero block (hash zero).
    fn dct_from_luma(&mut self, rows: usize, cols: usize) -> ([[f32; 16]; 16], u8) {
        if rows < MIN_HASHABLE_DIM || cols < MIN_HASHABLE_DIM {
            return ([[0f32; 16]; 16], 0);
        }
        let mut b64 = [[0f32; 64]; 64];
        if rows == 64 && cols == 64 {
            for (i, row) in b64.iter_mut().enumerate() {
                row.copy_from_slice(&self.luma[i * 64..i * 64 + 64]);
            }
        } else {
            self.jarosz_decimate(rows, cols, &mut b64);
        }
        let quality = quality(&b64);
        (dct64_to_16(&b64), quality)
    }

    /// Two passes of the reference's box filter (rows then columns), then the
    /// 64×64 decimation.
    fn jarosz_decimate(&mut self, rows: usize, cols: usize, out: &mut [[f32; 64]; 64]) {
        let wr = window_size(cols, 64);
        let wc = window_size(rows, 64);
        self.tmp.resize(rows * cols, 0.0);
        // Pass 1, every pixel.
        for i in 0..rows {
            box_1d(
                &self.luma[i * cols..(i + 1) * cols],
                &mut self.tmp[i * cols..(i + 1) * cols],
                wr,
            );
        }
        box_cols(&self.tmp, &mut self.luma, rows, cols, wc, &mut self.sums);
        // Pass 2: the row filter only needs outputs at the 64 sampled columns,
        // the column filter only at the 64 sampled rows.
        let sample_cols: [usize; 64] = std::array::from_fn(|j| sample_index(j, cols));
        let sample_rows: [usize; 64] = std::array::from_fn(|i| sample_index(i, rows));
        self.cols64.resize(rows * 64, 0.0);
        for i in 0..rows {
            box_1d_sampled(
                &self.luma[i * cols..(i + 1) * cols],
                wr,
                &sample_cols,
                &mut self.cols64[i * 64..(i + 1) * 64],
            );
        }
        box_cols_sampled(&self.cols64, rows, wc, &sample_rows, out, &mut self.sums);
    }
}

fn window_size(old: usize, new: usize) -> usize {
    old.div_ceil(2 * new)
}

fn sample_index(out: usize, n: usize) -> usize {
    (((out as f64 + 0.5) * n as f64) / 64.0) as usize
}

/// The phases of the reference's `box1DFloat` for a vector of `len` and a
/// window of `w`: how many adds before the first output, then outputs while
/// the window grows, while it slides, and while it shrinks.
#[derive(Clone, Copy)]
struct Phases {
    p1: usize,
    p2: usize,
    p3: usize,
    p4: usize,
}

fn phases(len: usize, w: usize) -> Phases {
    let half = (w + 2) / 2;
    Phases {
        p1: half - 1,
        p2: w - half + 1,
        p3: len.saturating_sub(w),
        p4: half - 1,
    }
}

/// `box1DFloat` with stride 1: the running sum in the reference's order,
/// `emit(i, sum, size)` for each output position `i`; the caller divides
/// where it needs a value.
#[inline(always)]
fn box_1d_with(input: &[f32], w: usize, mut emit: impl FnMut(usize, f32, i32)) {
    let ph = phases(input.len(), w);
    let (mut li, mut ri, mut oi) = (0usize, 0usize, 0usize);
    let mut sum = 0f32;
    let mut size = 0i32;
    for _ in 0..ph.p1 {
        sum += input[ri];
        size += 1;
        ri += 1;
    }
    for _ in 0..ph.p2 {
        sum += input[ri];
        size += 1;
        emit(oi, sum, size);
        ri += 1;
        oi += 1;
    }
    for _ in 0..ph.p3 {
        sum += input[ri];
        sum -= input[li];
        emit(oi, sum, size);
        li += 1;
        ri += 1;
        oi += 1;
    }
    for _ in 0..ph.p4 {
        sum -= input[li];
        size -= 1;
        emit(oi, sum, size);
        li += 1;
        oi += 1;
    }
}

/// `box1DFloat` along a row, every output.
fn box_1d(input: &[f32], output: &mut [f32], w: usize) {
    box_1d_with(input, w, |i, sum, size| output[i] = sum / size as f32);
}

/// `box1DFloat` along a row, keeping only the outputs at `samples` (sorted).
fn box_1d_sampled(input: &[f32], w: usize, samples: &[usize; 64], out: &mut [f32]) {
    let mut next = 0usize;
    box_1d_with(input, w, |i, sum, size| {
        while next < 64 && samples[next] == i {
            out[next] = sum / size as f32;
            next += 1;
        }
    });
}

/// `box1DFloat` down every column, all columns advanced together row by row
/// (each column's sum sees the same operations in the same order as the
/// reference's strided loop).
fn box_cols(
    input: &[f32],
    output: &mut [f32],
    rows: usize,
    cols: usize,
    w: usize,
    sums: &mut Vec<f32>,
) {
    let ph = phases(rows, w);
    sums.clear();
    sums.resize(cols, 0.0);
    let row = |r: usize| &input[r * cols..(r + 1) * cols];
    let (mut li, mut ri, mut oi) = (0usize, 0usize, 0usize);
    let mut size = 0i32;
    for _ in 0..ph.p1 {
        for (s, &v) in sums.iter_mut().zip(row(ri)) {
            *s += v;
        }
        size += 1;
        ri += 1;
    }
    for _ in 0..ph.p2 {
        size += 1;
        let d = size as f32;
        let out = &mut output[oi * cols..(oi + 1) * cols];
        for ((s, &v), o) in sums.iter_mut().zip(row(ri)).zip(out) {
            *s += v;
            *o = *s / d;
        }
        ri += 1;
        oi += 1;
    }
    for _ in 0..ph.p3 {
        let d = size as f32;
        let out = &mut output[oi * cols..(oi + 1) * cols];
        for (((s, &a), &r), o) in sums.iter_mut().zip(row(ri)).zip(row(li)).zip(out) {
            *s += a;
            *s -= r;
            *o = *s / d;
        }
        li += 1;
        ri += 1;
        oi += 1;
    }
    for _ in 0..ph.p4 {
        size -= 1;
        let d = size as f32;
        let out = &mut output[oi * cols..(oi + 1) * cols];
        for ((s, &r), o) in sums.iter_mut().zip(row(li)).zip(out) {
            *s -= r;
            *o = *s / d;
        }
        li += 1;
        oi += 1;
    }
}

/// The column filter over a `rows × 64` buffer, keeping the sampled rows.
fn box_cols_sampled(
    input: &[f32],
    rows: usize,
    w: usize,
    samples: &[usize; 64],
    out: &mut [[f32; 64]; 64],
    sums: &mut Vec<f32>,
) {
    let ph = phases(rows, w);
    sums.clear();
    sums.resize(64, 0.0);
    let row = |r: usize| &input[r * 64..(r + 1) * 64];
    let (mut li, mut ri, mut oi) = (0usize, 0usize, 0usize);
    let mut size = 0i32;
    let mut next = 0usize;
    let mut emit = |oi: usize, size: i32, sums: &[f32]| {
        while next < 64 && samples[next] == oi {
            let d = size as f32;
            for (o, s) in out[next].iter_mut().zip(sums) {
                *o = *s / d;
            }
            next += 1;
        }
    };
    for _ in 0..ph.p1 {
        for (s, &v) in sums.iter_mut().zip(row(ri)) {
            *s += v;
        }
        size += 1;
        ri += 1;
    }
    for _ in 0..ph.p2 {
        for (s, &v) in sums.iter_mut().zip(row(ri)) {
            *s += v;
        }
        size += 1;
        emit(oi, size, sums);
        ri += 1;
        oi += 1;
    }
    for _ in 0..ph.p3 {
        for ((s, &a), &r) in sums.iter_mut().zip(row(ri)).zip(row(li)) {
            *s += a;
            *s -= r;
        }
        emit(oi, size, sums);
        li += 1;
        ri += 1;
        oi += 1;
    }
    for _ in 0..ph.p4 {
        for (s, &r) in sums.iter_mut().zip(row(li)) {
            *s -= r;
        }
        size -= 1;
        emit(oi, size, sums);
        li += 1;
        oi += 1;
    }
}

/// `pdqImageDomainQualityMetric`.
fn quality(b: &[[f32; 64]; 64]) -> u8 {
    let mut gradient_sum: i32 = 0;
    for pair in b.windows(2) {
        for (u, v) in pair[0].iter().zip(&pair[1]) {
            let d = (((u - v) * 100.0) / 255.0) as i32;
            gradient_sum += d.abs();
        }
    }
    for row in b.iter() {
        for j in 0..63 {
            let d = (((row[j] - row[j + 1]) * 100.0) / 255.0) as i32;
            gradient_sum += d.abs();
        }
    }
    (gradient_sum / 90).min(100) as u8
}

/// `dct64To16`: the same sums in the same order.
fn dct64_to_16(a: &[[f32; 64]; 64]) -> [[f32; 16]; 16] {
    let d = dct_matrix();
    let mut t = [[0f32; 64]; 16];
    for i in 0..16 {
        let pd = &d[i * 64..i * 64 + 64];
        // Accumulate column sums for all j at once, k in reference order.
        let mut acc = [0f32; 64];
        for (k, &dk) in pd.iter().enumerate() {
            for (s, &v) in acc.iter_mut().zip(&a[k]) {
                *s += dk * v;
            }
        }
        t[i] = acc;
    }
    let mut b = [[0f32; 16]; 16];
    for i in 0..16 {
        for j in 0..16 {
            let pd = &d[j * 64..j * 64 + 64];
            let mut s = 0f32;
            for k in 0..64 {
                s += t[i][k] * pd[k];
            }
            b[i][j] = s;
        }
    }
    b
}

/// Torben's median, as the reference computes it (float comparisons and all).
fn torben(m: &[f32]) -> f32 {
    let n = m.len() as i32;
    let mut min = m[0];
    let mut max = m[0];
    for &v in &m[1..] {
        if v < min {
            min = v;
        }
        if v > max {
            max = v;
        }
    }
    let (mut less, mut greater, mut equal);
    let (mut guess, mut maxlt, mut mingt);
    loop {
        guess = (min + max) / 2.0;
        less = 0;
        greater = 0;
        equal = 0;
        maxlt = min;
        mingt = max;
        for &v in m {
            if v < guess {
                less += 1;
                if v > maxlt {
                    maxlt = v;
                }
            } else if v > guess {
                greater += 1;
                if v < mingt {
                    mingt = v;
                }
            } else {
                equal += 1;
            }
        }
        if less <= (n + 1) / 2 && greater <= (n + 1) / 2 {
            break;
        } else if less > greater {
            max = maxlt;
        } else {
            min = mingt;
        }
    }
    if less >= (n + 1) / 2 {
        maxlt
    } else if less + equal >= (n + 1) / 2 {
        guess
    } else {
        mingt
    }
}

fn bits(dct: &[[f32; 16]; 16]) -> Hash256 {
    let flat: Vec<f32> = dct.iter().flatten().copied().collect();
    let median = torben(&flat);
    let mut h = Hash256::ZERO;
    for (k, &v) in flat.iter().enumerate() {
        if v > median {
            h.set_bit(k);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_bit_numbering() {
        let mut h = Hash256::ZERO;
        h.set_bit(255);
        h.set_bit(0);
        let s = h.to_string();
        assert_eq!(&s[..1], "8");
        assert_eq!(&s[63..], "1");
        assert_eq!(s.parse::<Hash256>().unwrap(), h);
        assert_eq!(Hash256::from_bytes(&h.to_bytes()), h);
        assert!(h.bit(255) && h.bit(0) && !h.bit(1));
        assert_eq!(h.chunk16(0), 0x8000);
        assert_eq!(h.chunk16(15), 1);
    }

    #[test]
    fn bad_hash_strings_say_why() {
        assert_eq!("abc".parse::<Hash256>(), Err(ParseHashError::Length(3)));
        let bad = format!("{}g", "0".repeat(63));
        assert_eq!(bad.parse::<Hash256>(), Err(ParseHashError::Digit('g')));
    }

    #[test]
    fn tiny_images_hash_to_zero_with_quality_zero() {
        let mut h = PdqHasher::new();
        let got = h.hash_rgb(&[200u8; 4 * 4 * 3], 4, 4);
        assert_eq!(
            got,
            PdqHash {
                hash: Hash256::ZERO,
                quality: 0
            }
        );
    }

    #[test]
    fn flat_image_has_quality_zero() {
        let mut h = PdqHasher::new();
        let got = h.hash_rgb(&vec![90u8; 100 * 80 * 3], 100, 80);
        assert_eq!(got.quality, 0);
    }

    #[test]
    fn torben_is_the_median() {
        let v: Vec<f32> = (0..256).map(|i| ((i * 37) % 256) as f32).collect();
        let m = torben(&v);
        assert_eq!(v.iter().filter(|&&x| x < m).count(), 127);
    }
}
