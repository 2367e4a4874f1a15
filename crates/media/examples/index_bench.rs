//! Hash-index benchmark: build, open, query and live-add figures.
//!
//! cargo run --release -p raqib-media --example index_bench -- N QUERIES DIR [LABELS]
//!
//! LABELS: how many distinct payloads (a list's label records) the hashes carry; by
//! default one per hash, the widest payloads. A real list has a few hundred label
//! records (outlet, source, date), so its payloads take one or two bytes.
//!
//! Writes DIR/hashes.bin (N × 32 bytes) and DIR/queries.bin (QUERIES × 32
//! bytes; half near-duplicates of stored hashes at distance 0–40, half
//! random) so that `scripts/peer-media.py` runs faiss on the same data, and
//! DIR/raqib.json with the figures.

use std::path::PathBuf;
use std::time::Instant;

use raqib_media::index::{HashIndex, Segment};
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
}

fn rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn write_hashes(path: &std::path::Path, hs: impl Iterator<Item = Hash256>) {
    let mut buf = Vec::new();
    for h in hs {
        buf.extend_from_slice(&h.to_bytes());
    }
    std::fs::write(path, buf).unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let nq: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let dir = PathBuf::from(
        args.get(3)
            .cloned()
            .unwrap_or_else(|| "target/index-bench".into()),
    );
    std::fs::create_dir_all(&dir).unwrap();
    let labels: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(n).max(1);
    let mut rng = Rng(0x243f6a8885a308d3);
    let entries: Vec<(Hash256, u32)> = (0..n).map(|i| (rng.hash(), (i % labels) as u32)).collect();
    let queries: Vec<Hash256> = (0..nq)
        .map(|i| {
            if i % 2 == 0 {
                let mut h = entries[(rng.next() % n as u64) as usize].0;
                for _ in 0..(rng.next() % 41) {
                    let b = (rng.next() % 256) as usize;
                    h.words[b / 64] ^= 1 << (b % 64);
                }
                h
            } else {
                rng.hash()
            }
        })
        .collect();
    write_hashes(&dir.join("hashes.bin"), entries.iter().map(|e| e.0));
    write_hashes(&dir.join("queries.bin"), queries.iter().copied());

    let seg_path = dir.join("index.hix");
    let t = Instant::now();
    Segment::write(&seg_path, &entries).unwrap();
    let build_s = t.elapsed().as_secs_f64();
    drop(entries);
    let rss_before = rss_mb();
    let t = Instant::now();
    let seg = Segment::open(&seg_path).unwrap();
    let open_s = t.elapsed().as_secs_f64();
    let file_mb = seg.file_bytes() as f64 / 1e6;
    let mut index = HashIndex::with_segment(seg);

    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let run = |index: &HashIndex| {
        let t = Instant::now();
        let per = queries.len().div_ceil(threads);
        let matched: usize = std::thread::scope(|s| {
            let hs: Vec<_> = queries
                .chunks(per)
                .map(|qs| {
                    s.spawn(move || qs.iter().map(|q| index.search(q, 31).len()).sum::<usize>())
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum()
        });
        (queries.len() as f64 / t.elapsed().as_secs_f64(), matched)
    };
    // Warm the page cache once, then measure.
    let _ = run(&index);
    let (qps, matched) = run(&index);
    let rss_after = rss_mb();

    let adds: Vec<Hash256> = (0..100_000).map(|_| rng.hash()).collect();
    let t = Instant::now();
    for (i, h) in adds.iter().enumerate() {
        index.add(*h, (n + i) as u32);
    }
    let add_s = t.elapsed().as_secs_f64();
    let found = adds
        .iter()
        .take(1000)
        .filter(|h| !index.search(h, 31).is_empty())
        .count();
    let (qps_delta, _) = run(&index);

    let out = serde_json::json!({
        "n": n, "queries": nq, "threads": threads, "radius": 31, "labels": labels,
        "build_s": build_s, "open_s": open_s, "file_mb": file_mb,
        "rss_mb_after_queries": rss_after, "rss_mb_before_open": rss_before,
        "queries_per_s": qps, "matches": matched,
        "add_100k_s": add_s, "added_found_of_1000": found, "queries_per_s_with_100k_delta": qps_delta,
        "chunks": Layout_len(&seg_path),
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
    std::fs::write(dir.join("raqib.json"), out.to_string()).unwrap();
}

#[allow(non_snake_case)]
fn Layout_len(p: &std::path::Path) -> usize {
    Segment::open(p)
        .map(|s| s.layout().chunks.len())
        .unwrap_or(0)
}
