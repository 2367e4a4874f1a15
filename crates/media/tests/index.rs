//! The hash index is exact: it returns precisely what brute force returns.

use proptest::prelude::*;
use raqib_media::index::{HashIndex, Hit, Layout, Segment, SegmentShape};
use raqib_media::Hash256;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn hash(&mut self) -> Hash256 {
        Hash256 {
            words: [self.next(), self.next(), self.next(), self.next()],
        }
    }
    /// `h` with exactly `d` distinct bits flipped.
    fn flip(&mut self, h: &Hash256, d: u32) -> Hash256 {
        let mut out = *h;
        let mut flipped = std::collections::HashSet::new();
        while flipped.len() < d as usize {
            let b = (self.next() % 256) as usize;
            if flipped.insert(b) {
                out.words[b / 64] ^= 1 << (b % 64);
            }
        }
        out
    }
}

fn brute(entries: &[(Hash256, u32)], q: &Hash256, r: u32) -> Vec<Hit> {
    let mut v: Vec<Hit> = entries
        .iter()
        .filter(|(h, _)| h.distance(q) <= r)
        .map(|(h, p)| Hit {
            payload: *p,
            distance: h.distance(q),
            hash: *h,
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// A corpus with clusters of near-duplicates at every distance around the radius.
fn corpus(rng: &mut Rng, n: usize) -> (Vec<(Hash256, u32)>, Vec<Hash256>) {
    let mut entries = Vec::new();
    let mut queries = Vec::new();
    for i in 0..n {
        entries.push((rng.hash(), i as u32));
    }
    for _ in 0..60 {
        let base = rng.hash();
        queries.push(base);
        for d in [0, 1, 2, 5, 15, 16, 17, 24, 29, 30, 31, 32, 33, 40] {
            let id = entries.len() as u32;
            entries.push((rng.flip(&base, d), id));
        }
    }
    (entries, queries)
}

#[test]
fn segment_search_equals_brute_force_at_every_radius() {
    let mut rng = Rng(0x9e3779b97f4a7c15);
    // Sizes pick different chunk layouts (16 chunks of 16 bits up to 12 of 21-22).
    for n in [0usize, 50, 70_000, 400_000] {
        let (entries, queries) = corpus(&mut rng, n);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seg.hix");
        Segment::write(&path, &entries).unwrap();
        let seg = Segment::open(&path).unwrap();
        seg.verify().unwrap();
        assert_eq!(seg.len(), entries.len());
        let index = HashIndex::with_segment(seg);
        for r in [0, 1, 10, 16, 31, 32, 40] {
            for q in &queries {
                assert_eq!(index.search(q, r), brute(&entries, q, r), "n={n} r={r}");
            }
        }
    }
}

#[test]
fn every_chunk_layout_and_id_width_equals_brute_force() {
    // The layouts large lists get (11 chunks of 23-24 bits with 7-8 low
    // bits, up to 16 of 16), and both id widths, on a small corpus.
    let mut rng = Rng(0x51ed270b27e8a1c3);
    let (entries, queries) = corpus(&mut rng, 20_000);
    for (m, id_bytes, top_bits) in [11, 12, 13, 14, 16]
        .into_iter()
        .flat_map(|m| [(m, 3, 16), (m, 4, 16), (m, 3, 17)])
    {
        {
            let shape = SegmentShape {
                layout: Layout::equal(m),
                id_bytes,
                top_bits,
            };
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("seg.hix");
            Segment::write_shaped(&path, &entries, &shape).unwrap();
            let seg = Segment::open(&path).unwrap();
            assert_eq!(seg.layout(), &shape.layout);
            seg.verify().unwrap();
            let index = HashIndex::with_segment(seg);
            for r in [0, 2, 23, 31, 32] {
                for q in &queries {
                    assert_eq!(
                        index.search(q, r),
                        brute(&entries, q, r),
                        "m={m} ids={id_bytes} top={top_bits} r={r}"
                    );
                }
            }
        }
    }
}

#[test]
fn crowded_buckets_equal_brute_force() {
    // Thousands of variants of a few images: buckets of hundreds of entries,
    // where allowed low values are looked up rather than the bucket read whole.
    let mut rng = Rng(0x2545f4914f6cdd1d);
    let mut entries = Vec::new();
    let mut queries = Vec::new();
    for _ in 0..3 {
        let base = rng.hash();
        for _ in 0..3000 {
            let d = (rng.next() % 48) as u32;
            let id = entries.len() as u32;
            entries.push((rng.flip(&base, d), id));
        }
        for d in [0, 3, 8, 20] {
            queries.push(rng.flip(&base, d));
        }
    }
    for (m, top_bits) in [(11, 16), (11, 17), (12, 16), (12, 17), (16, 16)] {
        let shape = SegmentShape {
            layout: Layout::equal(m),
            id_bytes: 3,
            top_bits,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seg.hix");
        Segment::write_shaped(&path, &entries, &shape).unwrap();
        let seg = Segment::open(&path).unwrap();
        seg.verify().unwrap();
        let index = HashIndex::with_segment(seg);
        for r in [0, 5, 17, 31] {
            for q in &queries {
                assert_eq!(
                    index.search(q, r),
                    brute(&entries, q, r),
                    "m={m} top={top_bits} r={r}"
                );
            }
        }
    }
}

#[test]
fn additions_match_at_once_and_removals_stop_matching() {
    let mut rng = Rng(42);
    let (entries, queries) = corpus(&mut rng, 5_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seg.hix");
    Segment::write(&path, &entries[..3_000]).unwrap();
    let mut index = HashIndex::with_segment(Segment::open(&path).unwrap());
    for (h, p) in &entries[3_000..] {
        index.add(*h, *p);
    }
    for q in &queries {
        assert_eq!(index.search(q, 31), brute(&entries, q, 31));
    }
    // Remove half the hashes, from both parts.
    let gone: std::collections::HashSet<Hash256> = entries
        .iter()
        .filter(|e| e.1 % 2 == 0)
        .map(|e| e.0)
        .collect();
    for h in &gone {
        index.remove(*h);
    }
    let live: Vec<(Hash256, u32)> = entries
        .iter()
        .copied()
        .filter(|e| !gone.contains(&e.0))
        .collect();
    for q in &queries {
        assert_eq!(index.search(q, 31), brute(&live, q, 31));
    }
    assert_eq!(index.entries().len(), live.len());
}

#[test]
fn damaged_segments_are_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seg.hix");
    let mut rng = Rng(7);
    let entries: Vec<_> = (0..100).map(|i| (rng.hash(), i)).collect();
    Segment::write(&path, &entries).unwrap();
    let good = std::fs::read(&path).unwrap();

    std::fs::write(&path, &good[..good.len() - 10]).unwrap();
    let err = Segment::open(&path).err().expect("truncated").to_string();
    assert!(
        err.contains("damaged") && err.contains("raqib lists compact"),
        "{err}"
    );

    let mut bad = good.clone();
    bad[20] ^= 1;
    std::fs::write(&path, &bad).unwrap();
    assert!(Segment::open(&path)
        .err()
        .unwrap()
        .to_string()
        .contains("header checksum"));

    std::fs::write(
        &path,
        b"GIF89a not an index at all, just some bytes that are long enough to have a header",
    )
    .unwrap();
    assert!(Segment::open(&path)
        .err()
        .unwrap()
        .to_string()
        .contains("not a raqib hash index"));

    // A flipped id in the body: opening is cheap and does not notice, but
    // searching never panics and `verify` names the problem.
    let mut body = good.clone();
    let at = body.len() - 50;
    body[at] ^= 0xff;
    std::fs::write(&path, &body).unwrap();
    let seg = Segment::open(&path).unwrap();
    assert!(seg.verify().is_err());
    let index = HashIndex::with_segment(seg);
    for (h, _) in &entries {
        let _ = index.search(h, 31);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn index_is_exact_on_arbitrary_small_sets(
        words in proptest::collection::vec(any::<[u64; 4]>(), 0..200),
        qw in any::<[u64; 4]>(),
        flips in proptest::collection::vec((0usize..200, 0usize..256), 0..200),
        r in 0u32..64,
    ) {
        let mut entries: Vec<(Hash256, u32)> = words.iter().enumerate().map(|(i, w)| (Hash256 { words: *w }, i as u32)).collect();
        let q = Hash256 { words: qw };
        // Bring some entries near the query.
        for (i, b) in flips {
            if let Some(e) = entries.get_mut(i) {
                let mut h = q;
                h.words[b / 64] ^= 1 << (b % 64);
                e.0 = h;
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.hix");
        let half = entries.len() / 2;
        Segment::write(&path, &entries[..half]).unwrap();
        let mut index = HashIndex::with_segment(Segment::open(&path).unwrap());
        for (h, p) in &entries[half..] {
            index.add(*h, *p);
        }
        prop_assert_eq!(index.search(&q, r), brute(&entries, &q, r));
    }
}

/// A header as the writer makes it: patch a field and the checksum (over the first 48
/// bytes, at 48, as version 3 has it; over 40, at 40, for version 2).
fn patch_header(file: &mut [u8], at: usize, value: u32) {
    file[at..at + 4].copy_from_slice(&value.to_le_bytes());
    let covered = if file[8..12] == 2u32.to_le_bytes() {
        40
    } else {
        48
    };
    let check = xxhash_rust::xxh3::xxh3_64(&file[..covered]);
    file[covered..covered + 8].copy_from_slice(&check.to_le_bytes());
}

#[test]
fn payloads_keep_their_value_in_as_few_bytes_as_they_need() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(11);
    let hashes: Vec<Hash256> = (0..2000).map(|_| rng.hash()).collect();
    let mut sizes = Vec::new();
    for max in [
        0u32,
        255,
        256,
        65_535,
        65_536,
        16_777_215,
        16_777_216,
        u32::MAX,
    ] {
        // Every payload from 0 to max appears, spread over the hashes.
        let entries: Vec<(Hash256, u32)> = hashes
            .iter()
            .enumerate()
            .map(|(i, h)| {
                (
                    *h,
                    if i == 0 {
                        max
                    } else {
                        (i as u32) % (max / 2 + 1)
                    },
                )
            })
            .collect();
        let path = dir.path().join(format!("seg{max}.hix"));
        Segment::write(&path, &entries).unwrap();
        let seg = Segment::open(&path).unwrap();
        seg.verify().unwrap();
        for (id, e) in entries.iter().enumerate() {
            assert_eq!(seg.payload(id), Some(e.1), "max {max}, id {id}");
        }
        sizes.push(seg.file_bytes());
        let index = HashIndex::with_segment(seg);
        let hit = &index.search(&entries[0].0, 0)[0];
        assert_eq!(hit.payload, max);
    }
    // 1, 1, 2, 2, 3, 3, 4, 4 bytes a payload (each file padded to 8 bytes).
    for pair in sizes.chunks(2) {
        assert_eq!(pair[0], pair[1]);
    }
    for w in sizes.chunks(2).collect::<Vec<_>>().windows(2) {
        assert!(
            w[1][0] > w[0][0] && w[1][0] - w[0][0] <= 2000 + 8,
            "{sizes:?}"
        );
    }
}

#[test]
fn version_2_files_still_open_and_other_versions_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seg.hix");
    let mut rng = Rng(12);
    // Payloads that need all four bytes: laid out as version 2 laid them out.
    let entries: Vec<_> = (0..500u32)
        .map(|i| (rng.hash(), i.wrapping_mul(2_654_435_761)))
        .collect();
    Segment::write(&path, &entries).unwrap();
    let v3 = std::fs::read(&path).unwrap();
    assert_eq!(u32::from_le_bytes(v3[8..12].try_into().unwrap()), 3);
    let mut v2 = v3.clone();
    patch_header(&mut v2, 8, 2);
    patch_header(&mut v2, 36, 0);
    std::fs::write(&path, &v2).unwrap();
    let seg = Segment::open(&path).unwrap();
    seg.verify().unwrap();
    for (id, e) in entries.iter().enumerate() {
        assert_eq!(seg.payload(id), Some(e.1));
    }

    let mut v4 = v3.clone();
    patch_header(&mut v4, 8, 4);
    std::fs::write(&path, &v4).unwrap();
    let err = Segment::open(&path).err().expect("version 4").to_string();
    assert!(
        err.contains("version 4") && err.contains("raqib lists compact"),
        "{err}"
    );

    let mut wide = v3;
    patch_header(&mut wide, 36, 5);
    std::fs::write(&path, &wide).unwrap();
    let err = Segment::open(&path)
        .err()
        .expect("5-byte payloads")
        .to_string();
    assert!(err.contains("damaged"), "{err}");
}

/// Flip bit `p` of `h`, numbered as the chunks number them (bit 0 is the top bit of
/// the first word).
fn flip_at(h: &mut Hash256, p: usize) {
    h.words[p / 64] ^= 1 << (63 - p % 64);
}

#[test]
fn a_match_only_one_table_can_find_is_found_at_every_bit_of_it() {
    // For each chunk k and each bit b of it: a stored hash and a query at distance ≤ 31
    // that differ by one bit in chunk k (bit b) and, in every other probed chunk, by one
    // bit more than that chunk's probing radius, so table k alone can find it. Every bit
    // of every chunk (the offsets' top bits and the entries' low bits alike) must then be
    // probed right, for every layout and both offsets widths.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (m, top_bits) in [(11, 16), (11, 17), (12, 16), (12, 17), (16, 16)] {
        let layout = Layout::equal(m);
        let radii = layout.radii(31);
        let mut entries: Vec<(Hash256, u32)> = (0..3000).map(|i| (rng.hash(), i)).collect();
        let mut cases = Vec::new();
        for (k, &(start, width)) in layout.chunks.iter().enumerate() {
            for b in 0..width as usize {
                let h = rng.hash();
                let mut q = h;
                flip_at(&mut q, start as usize + b);
                for (j, &(sj, wj)) in layout.chunks.iter().enumerate() {
                    if let (true, Some(rj)) = (j != k, radii[j]) {
                        for i in 0..=rj as usize {
                            flip_at(&mut q, sj as usize + (b + 3 * i) % wj as usize);
                        }
                    }
                }
                assert!(h.distance(&q) <= 31, "m={m} k={k}: {}", h.distance(&q));
                cases.push((entries.len(), q, k, b));
                entries.push((h, entries.len() as u32));
            }
        }
        let shape = SegmentShape {
            layout: layout.clone(),
            id_bytes: 3,
            top_bits,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seg.hix");
        Segment::write_shaped(&path, &entries, &shape).unwrap();
        let index = HashIndex::with_segment(Segment::open(&path).unwrap());
        for (at, q, k, b) in cases {
            let hits = index.search(&q, 31);
            assert!(
                hits.iter().any(|h| h.payload == at as u32),
                "m={m} top={top_bits}: chunk {k} bit {b} not found"
            );
            assert_eq!(hits, brute(&entries, &q, 31));
        }
    }
}
