//! Hash index files (`pdq.hix`): a damaged or hostile file is refused with an error, or
//! opens and then answers searches and `verify` without a panic (every body access is
//! bounds-checked). Most inputs are a real segment, built from hashes the input names,
//! with input bytes XORed over its body and header fields, the header checksum then made
//! right, so that the checks behind it are reached; the rest are the raw bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use raqib_media::index::{HashIndex, Layout, Segment, SegmentShape};
use raqib_media::Hash256;
use std::collections::BTreeMap;
use std::sync::Mutex;

fn hash(seed: u64) -> Hash256 {
    let mut x = seed | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    Hash256 {
        words: [next(), next(), next(), next()],
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    // tmpfs where there is one: every run writes a file of a few megabytes.
    let shm = std::path::Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("raqib-fuzz-hix-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("seg.hix");
    let bytes = if mode & 3 == 0 {
        rest.to_vec()
    } else {
        // A segment of near-duplicates of a few hashes, label numbers up to the width the
        // mode picks; then the rest of the input XORed in at offsets it names.
        // Few shapes (each is written and synced once): 0 to 3,000 hashes, 11 or 16
        // chunk tables (so with and without low bits in the entries), 3- or 4-byte ids.
        let n = [0usize, 1, 5, 300, 3000][(mode as usize >> 4) % 5];
        let m = if mode & 0x40 == 0 { 11 } else { 16 };
        let ib = if mode & 0x20 == 0 { 3 } else { 4 };
        let wide = [1u32, 300, 70_000, u32::MAX][(mode >> 2) as usize % 4];
        // Built once per shape (writing syncs the file, which is slow), then copied.
        static TEMPLATES: Mutex<BTreeMap<(usize, u32, usize, usize, u8), Vec<u8>>> =
            Mutex::new(BTreeMap::new());
        let mut templates = TEMPLATES.lock().unwrap_or_else(|e| e.into_inner());
        let template = templates
            .entry((n, wide, m, ib, mode >> 7))
            .or_insert_with(|| {
                let entries: Vec<(Hash256, u32)> = (0..n)
                    .map(|i| {
                        let mut h = hash(i as u64 % 37);
                        h.words[i % 4] ^= 1 << (i % 64);
                        (h, (i as u32).wrapping_mul(2_654_435_761) % wide)
                    })
                    .collect();
                let t = dir.join("template.hix");
                let shape = SegmentShape {
                    layout: Layout::equal(m),
                    id_bytes: ib,
                    top_bits: 16 + (mode as u32 >> 7),
                };
                Segment::write_shaped(&t, &entries, &shape).expect("writing a segment");
                std::fs::read(&t).expect("reading it back")
            });
        let mut b = template.clone();
        drop(templates);
        for edit in rest.chunks(4) {
            if let [a, c, d, v] = *edit {
                let at = u32::from_le_bytes([a, c, d, 0]) as usize;
                if !b.is_empty() {
                    let at = at % b.len();
                    b[at] ^= v;
                }
            }
        }
        if b.len() >= 64 && mode & 0x3 != 3 {
            // The checksum over the first 40 bytes at 40 (version 2) or 48 at 48.
            let covered = if b[8..12] == 2u32.to_le_bytes() {
                40
            } else {
                48
            };
            let sum = xxhash_rust::xxh3::xxh3_64(&b[..covered]);
            b[covered..covered + 8].copy_from_slice(&sum.to_le_bytes());
        }
        b
    };
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    if let Ok(seg) = Segment::open(&path) {
        let _ = seg.verify();
        let n = seg.len();
        for id in [0, n / 2, n.saturating_sub(1), n] {
            let _ = (seg.hash(id), seg.payload(id));
        }
        let index = HashIndex::with_segment(seg);
        for q in 0..4u64 {
            for r in [0, 8, 31] {
                for hit in index.search(&hash(q), r) {
                    assert!(hit.distance <= r);
                }
            }
        }
    }
});
