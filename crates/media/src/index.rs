//! An exact Hamming-radius index over 256-bit hashes: multi-index hashing
//! (Norouzi, Punjani & Fleet), persistent and memory-mapped.
//!
//! The hash is cut into `m` chunks. If two hashes are within distance `r`,
//! then, with `r' = r / m` and `a = r - m r'`, one of the first `a + 1`
//! chunks is within `r'` or one of the others within `r' - 1` (else the
//! distance would be at least `r + 1`). So probing every chunk table for
//! values that near finds every match; each candidate is then checked on the
//! full 256 bits. Nothing within the radius is ever missed
//! (`tests/index.rs` checks this against brute force).
//!
//! Each chunk table is sorted by chunk value: an offsets array over the top
//! 16 or 17 bits of the chunk and, for chunks wider than that, one byte per
//! entry with the low bits, scanned with a popcount budget. The chunk width
//! grows with the number of hashes (about `log2 n`), which keeps candidate
//! lists short at ten million hashes.
//!
//! The index has two parts: a base [`Segment`] (a file, memory-mapped, opened
//! without reading it through) and a live [`Delta`] in memory for hashes
//! added since, with tombstones for removals. Both are searched by every
//! query, so an added hash matches at once; `compact` folds the delta into a
//! new segment.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use std::sync::OnceLock;

use memmap2::Mmap;

use crate::pdq::Hash256;

const MAGIC: &[u8; 8] = b"RAQIBHIX";
/// Version 3 stores each payload in as few bytes as the largest needs (1 to 4) and says
/// how many top bits of a chunk its offsets cover (16 or 17); version 2 files (4-byte
/// payloads, 16 bits, header checksum at byte 40) still open.
const VERSION: u32 = 3;
const HEADER_LEN: usize = 64;

/// How the 256 bits are cut into chunks: `(start bit, width)` per chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub chunks: Vec<(u16, u8)>,
}

impl Layout {
    /// `256 / log2 n` near-equal chunks (11 to 16 of them, so 16 to 24 bits
    /// each): about one stored hash per chunk value, the balance between
    /// probes and candidates that multi-index hashing calls for.
    pub fn for_size(n: usize) -> Layout {
        let bits = (n.max(2) as f64).log2();
        let m = ((256.0 / bits).floor() as usize).clamp(11, 16);
        Layout::equal(m)
    }

    pub fn equal(m: usize) -> Layout {
        assert!((11..=16).contains(&m), "chunks must be 16 to 24 bits wide");
        let base = 256 / m;
        let extra = 256 % m;
        let mut chunks = Vec::with_capacity(m);
        let mut start = 0u16;
        for i in 0..m {
            let w = base + usize::from(i < extra);
            chunks.push((start, w as u8));
            start += w as u16;
        }
        Layout { chunks }
    }

    /// The probing radius of each chunk for a search radius `r`; `None` for a
    /// chunk that need not be probed.
    pub fn radii(&self, r: u32) -> Vec<Option<u32>> {
        let m = self.chunks.len() as u32;
        let rp = r / m;
        let a = r - m * rp;
        (0..m)
            .map(|k| {
                if k <= a {
                    Some(rp)
                } else if rp >= 1 {
                    Some(rp - 1)
                } else {
                    None
                }
            })
            .collect()
    }
}

/// Bits `start..start+width` of the hash (bit 0 is the first hex digit's top bit).
#[inline]
pub fn chunk(h: &Hash256, start: u16, width: u8) -> u32 {
    let start = start as usize;
    let width = width as u32;
    let w = start / 64;
    let off = (start % 64) as u32;
    let hi = h.words[w] as u128;
    let lo = if w + 1 < 4 { h.words[w + 1] as u128 } else { 0 };
    let both = (hi << 64) | lo;
    ((both >> (128 - off - width)) & ((1u128 << width) - 1)) as u32
}

/// Call `f(variant, flips)` for every value within `radius` bit flips of
/// `value` over its low `bits` bits.
fn for_each_near(value: u32, bits: u32, radius: u32, f: &mut impl FnMut(u32, u32)) {
    // The common cases (radius ≤ 2, the usual PDQ radii) come from a table of
    // flip masks built once; larger radii enumerate recursively.
    if radius <= 2 && bits <= 17 {
        for &(mask, flips) in near_masks(bits, radius) {
            f(value ^ mask, flips);
        }
        return;
    }
    fn rec(v: u32, from: u32, bits: u32, left: u32, used: u32, f: &mut impl FnMut(u32, u32)) {
        f(v, used);
        if left == 0 {
            return;
        }
        for b in from..bits {
            rec(v ^ (1 << b), b + 1, bits, left - 1, used + 1, f);
        }
    }
    rec(value, 0, bits, radius, 0, f);
}

/// Every mask of at most `radius` (≤ 2) set bits among the low `bits` (≤ 17),
/// with its popcount; built once per (bits, radius).
fn near_masks(bits: u32, radius: u32) -> &'static [(u32, u32)] {
    /// Indexed by bits, then radius.
    type Masks = Vec<Vec<Vec<(u32, u32)>>>;
    static TABLE: OnceLock<Masks> = OnceLock::new();
    let t = TABLE.get_or_init(|| {
        (0..=17u32)
            .map(|b| {
                (0..=2u32)
                    .map(|r| {
                        let mut v = vec![(0, 0)];
                        if r >= 1 {
                            v.extend((0..b).map(|i| (1 << i, 1)));
                        }
                        if r >= 2 {
                            for i in 0..b {
                                for j in i + 1..b {
                                    v.push(((1 << i) | (1 << j), 2));
                                }
                            }
                        }
                        v
                    })
                    .collect()
            })
            .collect()
    });
    &t[bits as usize][radius as usize]
}

fn binomial_ball(bits: u32, radius: u32) -> f64 {
    let mut total = 0f64;
    let mut c = 1f64;
    for k in 0..=radius.min(bits) {
        if k > 0 {
            c = c * (bits - k + 1) as f64 / k as f64;
        }
        total += c;
    }
    total
}

/// A match: the entry's position in its part of the index and its distance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    pub distance: u32,
    pub payload: u32,
    pub hash: Hash256,
}

/// Reasons a segment file is refused.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error(
        "{path}: not a raqib hash index (wrong magic bytes); rebuild it with `raqib lists compact`"
    )]
    Magic { path: String },
    #[error("{path}: hash index version {found}, this raqib reads versions 2 and {VERSION}; rebuild it with `raqib lists compact`")]
    Version { path: String, found: u32 },
    #[error("{path}: damaged hash index ({why}); rebuild it with `raqib lists compact`")]
    Damaged { path: String, why: String },
}

/// One bucket to read: a table, the top bits to look up, how many more bit
/// differences the low bits may add, and the query's low bits.
#[derive(Clone, Copy)]
struct Probe {
    table: u16,
    top: u32,
    budget: u32,
    qlow: u8,
}

/// Table geometry shared by build and open.
struct TableGeom {
    start: u16,
    width: u8,
    /// The chunk's top bits, which the offsets array covers (`2^top_bits + 1` offsets).
    top_bits: u32,
    low_bits: u32,
    offsets_at: usize,
    /// Entries sorted by chunk: the chunk's low bits (one byte, 0 when the
    /// chunk is no wider than its top bits), then the id; scanned as one stream per bucket.
    entries_at: usize,
}

/// A hint to bring the cache line at `p` in; never faults, whatever `p` is.
#[inline(always)]
fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint to the cache: it reads nothing into
    // the program and cannot fault, even for an address outside the mapping.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8)
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// A little-endian id of 3 or 4 bytes.
#[inline]
fn read_id(b: &[u8]) -> u32 {
    match *b {
        [a, b, c] => u32::from_le_bytes([a, b, c, 0]),
        [a, b, c, d] => u32::from_le_bytes([a, b, c, d]),
        _ => u32::MAX,
    }
}

/// Bytes per entry id in the chunk tables: 3 while ids fit in 24 bits.
fn id_bytes(n: usize) -> usize {
    if n <= 1 << 24 {
        3
    } else {
        4
    }
}

/// How a segment is laid out: the chunks, the id width and the top bits of a chunk that
/// its offsets cover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentShape {
    pub layout: Layout,
    pub id_bytes: usize,
    /// 16 or 17 (never more than a chunk's width; the rest, at most 8, is the entry's
    /// low byte).
    pub top_bits: u32,
}

impl SegmentShape {
    /// The shape chosen for `n` hashes: from a million hashes on, 17 top bits, so
    /// buckets hold half as many entries (at a million ~8 instead of ~15, at ten million
    /// ~75 instead of ~150) and a one-bit budget reads half the lines, while the 512 KiB
    /// offsets arrays still mostly hit cache. Both layouts of the same hashes queried
    /// alternately in one process, nine rounds: +17% queries/s at 1M, +1% (noise) at
    /// 10M; 18 bits was slower at 10M (its 1 MiB arrays miss).
    pub fn for_size(n: usize) -> SegmentShape {
        SegmentShape {
            layout: Layout::for_size(n),
            id_bytes: id_bytes(n),
            top_bits: if n >= 1_000_000 { 17 } else { 16 },
        }
    }
}

fn geometry(
    layout: &Layout,
    top_bits: u32,
    n: usize,
    ib: usize,
    mut at: usize,
) -> (Vec<TableGeom>, usize) {
    let mut out = Vec::new();
    for &(start, width) in &layout.chunks {
        let top = top_bits.min(width as u32);
        let low_bits = width as u32 - top;
        let offsets_at = at;
        at += ((1usize << top) + 1) * 4;
        let entries_at = at;
        at += n * (1 + ib);
        at = at.next_multiple_of(8);
        out.push(TableGeom {
            start,
            width,
            top_bits: top,
            low_bits,
            offsets_at,
            entries_at,
        });
    }
    (out, at)
}

/// An immutable, memory-mapped base segment.
pub struct Segment {
    map: Mmap,
    n: usize,
    id_bytes: usize,
    layout: Layout,
    tables: Vec<TableGeom>,
    hashes_at: usize,
    payloads_at: usize,
    /// Bytes per payload, 1 to 4.
    payload_bytes: usize,
}

/// Bytes a little-endian payload needs to hold `max` (at least one).
fn payload_bytes(max: u32) -> usize {
    (4 - max.leading_zeros() as usize / 8).max(1)
}

impl Segment {
    /// Write a segment for `entries` (hash, payload) to `path`, atomically.
    pub fn write(path: &Path, entries: &[(Hash256, u32)]) -> std::io::Result<()> {
        Segment::write_shaped(path, entries, &SegmentShape::for_size(entries.len()))
    }

    /// [`Segment::write`] with a chosen shape (tests use it to cover every
    /// layout on small inputs).
    pub fn write_shaped(
        path: &Path,
        entries: &[(Hash256, u32)],
        shape: &SegmentShape,
    ) -> std::io::Result<()> {
        let n = entries.len();
        let layout = shape.layout.clone();
        let ib = shape.id_bytes;
        assert!(
            (ib == 3 && n <= 1 << 24) || ib == 4,
            "ids of {ib} bytes cannot number {n} hashes"
        );
        let top = shape.top_bits;
        assert!((16..=17).contains(&top), "offsets cover 16 or 17 top bits");
        let hashes_at = HEADER_LEN;
        let payloads_at = hashes_at + n * 32;
        // Payloads are label numbers (a list's distinct label records, usually few): as
        // narrow as the largest allows.
        let pb = payload_bytes(entries.iter().map(|e| e.1).max().unwrap_or(0));
        let (tables, total) = geometry(
            &layout,
            top,
            n,
            ib,
            (payloads_at + n * pb).next_multiple_of(8),
        );
        let tmp = path.with_extension("tmp");
        let file = File::create(&tmp)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&VERSION.to_le_bytes());
        header.extend_from_slice(&(layout.chunks.len() as u32).to_le_bytes());
        header.extend_from_slice(&(n as u64).to_le_bytes());
        header.extend_from_slice(&(total as u64).to_le_bytes());
        header.extend_from_slice(&(ib as u32).to_le_bytes());
        header.extend_from_slice(&(pb as u32).to_le_bytes());
        header.extend_from_slice(&top.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        let check = xxhash_rust::xxh3::xxh3_64(&header);
        header.extend_from_slice(&check.to_le_bytes());
        header.resize(HEADER_LEN, 0);
        w.write_all(&header)?;
        for (h, _) in entries {
            for word in h.words {
                w.write_all(&word.to_le_bytes())?;
            }
        }
        let mut buf = Vec::with_capacity(n * pb);
        for (_, p) in entries {
            buf.extend_from_slice(&p.to_le_bytes()[..pb]);
        }
        w.write_all(&buf)?;
        drop(buf);
        let mut written = payloads_at + n * pb;
        pad(&mut w, &mut written)?;
        for t in &tables {
            // Entry ids sorted by chunk value: a stable counting sort by the
            // low bits, then one by the top bits (buckets come out sorted
            // by low bits, which `scan` relies on).
            let chunks: Vec<u32> = entries
                .iter()
                .map(|(h, _)| chunk(h, t.start, t.width))
                .collect();
            let buckets = 1usize << t.top_bits;
            let mut offsets = vec![0u32; buckets + 1];
            for &c in &chunks {
                offsets[(c >> t.low_bits) as usize + 1] += 1;
            }
            for i in 0..buckets {
                offsets[i + 1] += offsets[i];
            }
            let mask = (1u32 << t.low_bits) - 1;
            let mut by_low = vec![0u32; 257];
            for &c in &chunks {
                by_low[(c & mask) as usize + 1] += 1;
            }
            for i in 0..256 {
                by_low[i + 1] += by_low[i];
            }
            // (chunk, id) pairs, so the second pass reads sequentially.
            let mut first = vec![(0u32, 0u32); n];
            for (id, &c) in chunks.iter().enumerate() {
                let slot = &mut by_low[(c & mask) as usize];
                first[*slot as usize] = (c, id as u32);
                *slot += 1;
            }
            drop(chunks);
            let mut fill = offsets.clone();
            let mut sorted = vec![(0u8, 0u32); n];
            for &(c, id) in &first {
                let slot = &mut fill[(c >> t.low_bits) as usize];
                sorted[*slot as usize] = ((c & mask) as u8, id);
                *slot += 1;
            }
            drop(first);
            for o in &offsets {
                w.write_all(&o.to_le_bytes())?;
            }
            written += (buckets + 1) * 4;
            let mut buf = Vec::with_capacity(n * (1 + ib));
            for &(low, id) in &sorted {
                buf.push(low);
                buf.extend_from_slice(&id.to_le_bytes()[..ib]);
            }
            w.write_all(&buf)?;
            written += buf.len();
            pad(&mut w, &mut written)?;
        }
        assert_eq!(written, total, "segment layout and writer agree");
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    /// Open and map a segment. Reads only the header; every later access is
    /// bounds-checked, so a damaged body gives wrong answers at worst, never
    /// a crash (`verify` checks the body).
    pub fn open(path: &Path) -> Result<Segment, SegmentError> {
        let p = || path.display().to_string();
        let file = File::open(path).map_err(|error| SegmentError::Io { path: p(), error })?;
        let ioerr = |error| SegmentError::Io { path: p(), error };
        // SAFETY: the file is opened read-only; raqib replaces segments by
        // rename, never in place, so the mapping does not change under us.
        let map = unsafe { Mmap::map(&file) }.map_err(ioerr)?;
        #[cfg(target_os = "linux")]
        let _ = map.advise(memmap2::Advice::HugePage);
        if map.len() < HEADER_LEN || &map[..8] != MAGIC {
            return Err(SegmentError::Magic { path: p() });
        }
        let u32_at = |o: usize| u32::from_le_bytes(map[o..o + 4].try_into().expect("4"));
        let u64_at = |o: usize| u64::from_le_bytes(map[o..o + 8].try_into().expect("8"));
        let version = u32_at(8);
        if version != VERSION && version != 2 {
            return Err(SegmentError::Version {
                path: p(),
                found: version,
            });
        }
        // Version 2's header checksum covers 40 bytes, version 3's 48.
        let checked = if version == 2 { 40 } else { 48 };
        if xxhash_rust::xxh3::xxh3_64(&map[..checked]) != u64_at(checked) {
            return Err(SegmentError::Damaged {
                path: p(),
                why: "header checksum".into(),
            });
        }
        let m = u32_at(12) as usize;
        let n = u64_at(16) as usize;
        let total = u64_at(24) as usize;
        let ib = u32_at(32) as usize;
        if !(11..=16).contains(&m) || !(ib == 3 && n <= 1 << 24 || ib == 4) {
            return Err(SegmentError::Damaged {
                path: p(),
                why: format!("{m} chunk tables with {ib}-byte ids for {n} hashes"),
            });
        }
        if n > map.len() / 36 {
            return Err(SegmentError::Damaged {
                path: p(),
                why: format!("header says {n} hashes; the file is {} bytes", map.len()),
            });
        }
        let layout = Layout::equal(m);
        let hashes_at = HEADER_LEN;
        // Version 2 kept this word zero, payloads in 4 bytes and offsets over 16 bits.
        let (pb, top) = if version == 2 {
            (4, 16)
        } else {
            (u32_at(36) as usize, u32_at(40))
        };
        if !(1..=4).contains(&pb) || !(16..=17).contains(&top) {
            return Err(SegmentError::Damaged {
                path: p(),
                why: format!("{pb}-byte payloads, offsets over {top} bits"),
            });
        }
        let payloads_at = hashes_at + n * 32;
        let (tables, expect) = geometry(
            &layout,
            top,
            n,
            ib,
            (payloads_at + n * pb).next_multiple_of(8),
        );
        if total != expect || map.len() != expect {
            return Err(SegmentError::Damaged {
                path: p(),
                why: format!("{} bytes, expected {expect}", map.len()),
            });
        }
        Ok(Segment {
            map,
            n,
            id_bytes: ib,
            layout,
            tables,
            hashes_at,
            payloads_at,
            payload_bytes: pb,
        })
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn file_bytes(&self) -> usize {
        self.map.len()
    }

    #[inline]
    fn u32_at(&self, o: usize) -> Option<u32> {
        self.map
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4")))
    }

    /// The hash stored at `id`.
    #[inline]
    pub fn hash(&self, id: usize) -> Option<Hash256> {
        let o = self.hashes_at + id * 32;
        let b = self.map.get(o..o + 32)?;
        let mut words = [0u64; 4];
        for (i, w) in words.iter_mut().enumerate() {
            *w = u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8"));
        }
        Some(Hash256 { words })
    }

    pub fn payload(&self, id: usize) -> Option<u32> {
        if id >= self.n {
            return None;
        }
        let o = self.payloads_at + id * self.payload_bytes;
        let b = self.map.get(o..o + self.payload_bytes)?;
        let mut le = [0u8; 4];
        le[..b.len()].copy_from_slice(b);
        Some(u32::from_le_bytes(le))
    }

    /// Whether probing would touch so much of the index that a linear scan
    /// is cheaper (very large radii).
    fn linear_is_cheaper(&self, radius: u32) -> bool {
        let estimate: f64 = self
            .tables
            .iter()
            .zip(self.layout.radii(radius))
            .filter_map(|(t, r)| {
                let per_bucket = self.n as f64 / (1u64 << t.top_bits) as f64;
                r.map(|r| binomial_ball(t.top_bits, r) * per_bucket)
            })
            .sum();
        estimate > self.n as f64 / 4.0
    }

    fn linear(&self, q: &Hash256, radius: u32, out: &mut Vec<(u32, u32)>) {
        for id in 0..self.n {
            if let Some(h) = self.hash(id) {
                let d = h.distance(q);
                if d <= radius {
                    out.push((id as u32, d));
                }
            }
        }
    }

    /// Every bucket a query must read, with its budget for the low bits.
    fn probes(&self, q: &Hash256, radius: u32, mut f: impl FnMut(Probe)) {
        for (k, (t, r)) in self
            .tables
            .iter()
            .zip(self.layout.radii(radius))
            .enumerate()
        {
            let Some(r) = r else { continue };
            let c = chunk(q, t.start, t.width);
            let top_bits = t.top_bits;
            let qlow = (c & ((1u32 << t.low_bits) - 1)) as u8;
            for_each_near(c >> t.low_bits, top_bits, r, &mut |top, flips| {
                f(Probe {
                    table: k as u16,
                    top,
                    budget: r - flips,
                    qlow,
                });
            });
        }
    }

    /// The entry range of a bucket.
    #[inline]
    fn bucket(&self, table: u16, top: u32) -> (usize, usize) {
        let t = &self.tables[table as usize];
        let at = t.offsets_at + top as usize * 4;
        match self.map.get(at..at + 8) {
            Some(b) => (
                u32::from_le_bytes(b[..4].try_into().expect("4")) as usize,
                (u32::from_le_bytes(b[4..].try_into().expect("4")) as usize).min(self.n),
            ),
            None => (0, 0),
        }
    }

    /// Ids in a bucket whose low bits are within the probe's budget. A
    /// bucket is sorted by low bits, so a small budget looks each allowed
    /// value up (from its interpolated position) instead of reading the whole bucket.
    #[inline]
    fn scan(&self, p: &Probe, (lo, hi): (usize, usize), mut f: impl FnMut(u32)) {
        if lo >= hi {
            return;
        }
        let t = &self.tables[p.table as usize];
        let eb = 1 + self.id_bytes;
        let Some(bucket) = self.map.get(t.entries_at + lo * eb..t.entries_at + hi * eb) else {
            return;
        };
        let len = hi - lo;
        if p.budget >= t.low_bits {
            bucket.chunks_exact(eb).for_each(|e| f(read_id(&e[1..])));
            return;
        }
        // Low bits are close to uniform, so a value's entries sit near
        // `len × value / 2^low_bits`: start there and walk (a few steps, one
        // or two cache lines, where a binary search would chain misses).
        // Unless the lookups are many for the bucket (at ten million hashes,
        // the nine of a one-bit budget in a bucket of ~150): `search` has
        // then asked for the whole bucket, and one branch-light pass over it
        // beats nine walks (+9% queries/s, measured alternating).
        let lookups = binomial_ball(t.low_bits, p.budget) as usize;
        if len <= 16 || lookups * 32 >= len {
            for e in bucket.chunks_exact(eb) {
                if (e[0] ^ p.qlow).count_ones() <= p.budget {
                    f(read_id(&e[1..]));
                }
            }
            return;
        }
        let low = |i: usize| bucket[i * eb];
        for_each_near(p.qlow as u32, t.low_bits, p.budget, &mut |v, _| {
            let v = v as u8;
            let mut i = ((len * v as usize) >> t.low_bits).min(len - 1);
            while i > 0 && low(i - 1) >= v {
                i -= 1;
            }
            while i < len && low(i) < v {
                i += 1;
            }
            while i < len && low(i) == v {
                f(read_id(&bucket[i * eb + 1..i * eb + eb]));
                i += 1;
            }
        });
    }

    /// Every entry id within `radius` of `q` (possibly repeated), unfiltered
    /// by tombstones.
    fn search(&self, q: &Hash256, radius: u32, out: &mut Vec<(u32, u32)>) {
        if self.n == 0 {
            return;
        }
        if self.linear_is_cheaper(radius) {
            return self.linear(q, radius, out);
        }
        // Gather every probe first, then read all their offsets in one tight
        // loop (independent loads overlap in the memory system), then scan.
        let mut probes: Vec<Probe> = Vec::with_capacity(2048);
        self.probes(q, radius, |p| probes.push(p));
        let ranges: Vec<(usize, usize)> =
            probes.iter().map(|p| self.bucket(p.table, p.top)).collect();
        let ib = self.id_bytes;
        let base = self.map.as_ptr();
        // Ask for a bucket a few probes before scanning it, and for a
        // candidate's hash a few candidates before checking it: the misses
        // then overlap instead of queueing.
        const AHEAD: usize = 16;
        let prefetch_bucket = |i: usize| {
            if let (Some(p), Some(&(lo, hi))) = (probes.get(i), ranges.get(i)) {
                let t = &self.tables[p.table as usize];
                let len = hi.saturating_sub(lo);
                let eb = 1 + ib;
                let start = t.entries_at + lo * eb;
                let end = start + len * eb;
                if p.budget > 0 && len * eb <= 16 * 64 {
                    // Several lookups (or a whole scan) spread over a bucket
                    // of a few lines: ask for all of them, or the lookups
                    // after the first stall one by one.
                    let mut a = start & !63;
                    while a < end {
                        prefetch(base.wrapping_add(a));
                        a += 64;
                    }
                } else {
                    // Where the scan looks first: the start, or for a lookup
                    // the interpolated position of the query's own low bits.
                    let at = if p.budget >= t.low_bits {
                        0
                    } else {
                        (len * p.qlow as usize) >> t.low_bits
                    };
                    prefetch(base.wrapping_add(start + at * eb));
                }
            }
        };
        (0..AHEAD).for_each(prefetch_bucket);
        let mut cands: Vec<u32> = Vec::with_capacity(4096);
        for (i, (p, &range)) in probes.iter().zip(&ranges).enumerate() {
            prefetch_bucket(i + AHEAD);
            self.scan(p, range, |id| cands.push(id));
        }
        let hash_at = |id: u32| base.wrapping_add(self.hashes_at + id as usize * 32);
        for &id in cands.iter().take(AHEAD) {
            prefetch(hash_at(id));
        }
        for (j, &id) in cands.iter().enumerate() {
            if let Some(&next) = cands.get(j + AHEAD) {
                prefetch(hash_at(next));
            }
            if let Some(h) = self.hash(id as usize) {
                let d = h.distance(q);
                if d <= radius {
                    out.push((id, d));
                }
            }
        }
    }

    /// Entry `i` of a table: its low bits and id.
    fn entry(&self, t: &TableGeom, i: usize) -> Option<(u8, u32)> {
        let eb = 1 + self.id_bytes;
        let e = self
            .map
            .get(t.entries_at + i * eb..t.entries_at + (i + 1) * eb)?;
        Some((e[0], read_id(&e[1..])))
    }

    /// Check the whole body: every offsets array ordered and ending at `n`,
    /// every id in range, every id in the bucket of its chunk.
    pub fn verify(&self) -> Result<(), String> {
        for (k, t) in self.tables.iter().enumerate() {
            let mut prev = 0;
            let buckets = 1usize << t.top_bits;
            for b in 0..=buckets {
                let o = self.u32_at(t.offsets_at + b * 4).ok_or("truncated")?;
                if o < prev || o as usize > self.n {
                    return Err(format!("table {k}: offsets out of order at bucket {b}"));
                }
                prev = o;
            }
            if prev as usize != self.n {
                return Err(format!("table {k}: offsets end at {prev}, not {}", self.n));
            }
            for b in 0..buckets {
                let lo = self.u32_at(t.offsets_at + b * 4).ok_or("truncated")? as usize;
                let hi = self.u32_at(t.offsets_at + b * 4 + 4).ok_or("truncated")? as usize;
                for i in lo..hi {
                    let (low, id) = self.entry(t, i).ok_or("truncated")?;
                    let id = id as usize;
                    let h = self
                        .hash(id)
                        .ok_or_else(|| format!("table {k}: id {id} out of range"))?;
                    let c = chunk(&h, t.start, t.width);
                    if (c >> t.low_bits) as usize != b {
                        return Err(format!("table {k}: id {id} in the wrong bucket"));
                    }
                    if i > lo && self.entry(t, i - 1).is_some_and(|(prev, _)| prev > low) {
                        return Err(format!("table {k}: bucket {b} is not sorted by low bits"));
                    }
                    if low != (c & ((1 << t.low_bits) - 1)) as u8 {
                        return Err(format!("table {k}: low bits of id {id} differ"));
                    }
                }
            }
        }
        Ok(())
    }
}

fn pad(w: &mut impl Write, written: &mut usize) -> std::io::Result<()> {
    let to = written.next_multiple_of(8);
    w.write_all(&vec![0u8; to - *written])?;
    *written = to;
    Ok(())
}

/// Hashes added since the segment: 16 tables of 16-bit chunks in memory.
#[derive(Default)]
pub struct Delta {
    hashes: Vec<Hash256>,
    payloads: Vec<u32>,
    tables: Vec<Vec<Vec<u32>>>,
}

impl Delta {
    const M: usize = 16;

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    pub fn push(&mut self, h: Hash256, payload: u32) -> u32 {
        if self.tables.is_empty() {
            self.tables = (0..Self::M).map(|_| vec![Vec::new(); 65536]).collect();
        }
        let id = self.hashes.len() as u32;
        for (k, t) in self.tables.iter_mut().enumerate() {
            t[h.chunk16(k) as usize].push(id);
        }
        self.hashes.push(h);
        self.payloads.push(payload);
        id
    }

    pub fn entries(&self) -> impl Iterator<Item = (Hash256, u32)> + '_ {
        self.hashes
            .iter()
            .copied()
            .zip(self.payloads.iter().copied())
    }

    fn search(&self, q: &Hash256, radius: u32, out: &mut Vec<(u32, u32)>) {
        if self.hashes.is_empty() {
            return;
        }
        let m = Self::M as u32;
        let rp = radius / m;
        let a = radius - m * rp;
        if rp >= 2 || self.hashes.len() < 4096 {
            for (id, h) in self.hashes.iter().enumerate() {
                let d = h.distance(q);
                if d <= radius {
                    out.push((id as u32, d));
                }
            }
            return;
        }
        for (k, t) in self.tables.iter().enumerate() {
            let r = if (k as u32) <= a {
                rp
            } else if rp >= 1 {
                rp - 1
            } else {
                continue;
            };
            for_each_near(q.chunk16(k) as u32, 16, r, &mut |v, _| {
                for &id in &t[v as usize] {
                    let d = self.hashes[id as usize].distance(q);
                    if d <= radius {
                        out.push((id, d));
                    }
                }
            });
        }
    }
}

/// A base segment plus live additions and removals.
#[derive(Default)]
pub struct HashIndex {
    base: Option<Segment>,
    delta: Delta,
    /// Tombstones: hashes removed, checked on every hit.
    removed: std::collections::HashSet<Hash256>,
}

impl HashIndex {
    pub fn new() -> HashIndex {
        HashIndex::default()
    }

    pub fn with_segment(seg: Segment) -> HashIndex {
        HashIndex {
            base: Some(seg),
            ..HashIndex::default()
        }
    }

    /// Add a hash; it matches from the next query on.
    pub fn add(&mut self, h: Hash256, payload: u32) {
        self.removed.remove(&h);
        self.delta.push(h, payload);
    }

    /// Remove every entry with this hash (a tombstone; `compact` drops it).
    pub fn remove(&mut self, h: Hash256) {
        self.removed.insert(h);
    }

    pub fn is_removed(&self, h: &Hash256) -> bool {
        self.removed.contains(h)
    }

    pub fn len(&self) -> usize {
        self.base.as_ref().map_or(0, Segment::len) + self.delta.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn segment(&self) -> Option<&Segment> {
        self.base.as_ref()
    }

    pub fn delta_len(&self) -> usize {
        self.delta.len()
    }

    /// Every live entry within `radius` of `q`, each once, nearest first.
    pub fn search(&self, q: &Hash256, radius: u32) -> Vec<Hit> {
        let mut raw = Vec::new();
        if let Some(seg) = &self.base {
            seg.search(q, radius, &mut raw);
        }
        self.finish(q, radius, raw)
    }

    /// Segment hits (ids) plus the delta's, tombstones dropped, sorted, once each.
    fn finish(&self, q: &Hash256, radius: u32, seg_hits: Vec<(u32, u32)>) -> Vec<Hit> {
        let mut hits = Vec::with_capacity(seg_hits.len());
        let mut raw = seg_hits;
        if let Some(seg) = &self.base {
            for &(id, d) in &raw {
                if let (Some(p), Some(h)) = (seg.payload(id as usize), seg.hash(id as usize)) {
                    hits.push(Hit {
                        payload: p,
                        distance: d,
                        hash: h,
                    });
                }
            }
            raw.clear();
        }
        self.delta.search(q, radius, &mut raw);
        for &(id, d) in &raw {
            hits.push(Hit {
                payload: self.delta.payloads[id as usize],
                distance: d,
                hash: self.delta.hashes[id as usize],
            });
        }
        if !self.removed.is_empty() {
            hits.retain(|h| !self.removed.contains(&h.hash));
        }
        hits.sort_unstable();
        hits.dedup();
        hits
    }

    /// How many entries are live, without collecting them.
    pub fn live_len(&self) -> usize {
        if self.removed.is_empty() {
            return self.len();
        }
        let seg = self.base.as_ref().map_or(0, |seg| {
            (0..seg.len())
                .filter(|&id| seg.hash(id).is_some_and(|h| !self.removed.contains(&h)))
                .count()
        });
        seg + self
            .delta
            .hashes
            .iter()
            .filter(|h| !self.removed.contains(h))
            .count()
    }

    /// All live entries (segment then delta).
    pub fn entries(&self) -> Vec<(Hash256, u32)> {
        let mut out = Vec::with_capacity(self.len());
        if let Some(seg) = &self.base {
            for id in 0..seg.len() {
                if let (Some(h), Some(p)) = (seg.hash(id), seg.payload(id)) {
                    out.push((h, p));
                }
            }
        }
        out.extend(self.delta.entries());
        out.retain(|(h, _)| !self.removed.contains(h));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_tile_the_hash() {
        for n in [10, 100_000, 1_000_000, 10_000_000, 100_000_000] {
            let l = Layout::for_size(n);
            let total: u32 = l.chunks.iter().map(|c| c.1 as u32).sum();
            assert_eq!(total, 256, "{n}");
            let mut next = 0u16;
            for &(s, w) in &l.chunks {
                assert_eq!(s, next);
                assert!((16..=24).contains(&w));
                next += w as u16;
            }
        }
        assert_eq!(Layout::for_size(10_000_000).chunks.len(), 11);
        assert_eq!(Layout::for_size(1_000_000).chunks.len(), 12);
        assert_eq!(Layout::for_size(1_000).chunks.len(), 16);
    }

    #[test]
    fn chunk_extracts_bits_across_words() {
        let h: Hash256 = "0123456789abcdef fedcba9876543210 0000000000000000 ffffffffffffffff"
            .replace(' ', "")
            .parse()
            .unwrap();
        assert_eq!(chunk(&h, 0, 16), 0x0123);
        assert_eq!(chunk(&h, 56, 16), 0xeffe);
        assert_eq!(chunk(&h, 240, 16), 0xffff);
        assert_eq!(chunk(&h, 60, 24), 0xffedcb);
    }

    #[test]
    fn radii_follow_the_pigeonhole_bound() {
        let l = Layout::equal(12);
        let r = l.radii(31);
        // 31 = 12*2 + 7: eight chunks at 2, four at 1.
        assert_eq!(r.iter().filter(|x| **x == Some(2)).count(), 8);
        assert_eq!(r.iter().filter(|x| **x == Some(1)).count(), 4);
        let r = l.radii(5);
        assert_eq!(r.iter().filter(|x| **x == Some(0)).count(), 6);
        assert_eq!(r.iter().filter(|x| x.is_none()).count(), 6);
    }

    #[test]
    fn near_values_are_enumerated_once_each() {
        let mut seen = std::collections::HashSet::new();
        for_each_near(0b1010, 16, 2, &mut |v, f| {
            assert_eq!((v ^ 0b1010).count_ones(), f);
            assert!(seen.insert(v));
        });
        assert_eq!(seen.len(), 1 + 16 + 120);
    }
}
