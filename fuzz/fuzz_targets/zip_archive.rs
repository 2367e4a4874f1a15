//! A zip archive read from a file: either the fuzzed bytes themselves, or a valid archive
//! of up to three fuzzed members (stored or deflated, under names a folder would read)
//! damaged at fuzzed places, so that the fuzzer gets past the index to the members.
//! Reading never panics and every chunk and diagnostic names the archive.
#![no_main]
use std::io::Write;

use libfuzzer_sys::fuzz_target;
use raqib_ingest::{open_chunks, Options};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let bytes = if sel & 1 == 0 {
        rest.to_vec()
    } else {
        // The last bytes say where to damage the archive: (position, xor) pairs.
        let damage_len = (usize::from(sel >> 1) % 4 * 3).min(rest.len());
        let (body, damage) = rest.split_at(rest.len() - damage_len);
        let names = ["a.jsonl", "d/b.csv", "messages.html", "data/tweets.js", "c.json.gz"];
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (k, part) in body.splitn(3, |&b| b == 0xff).enumerate() {
            let method = if (sel >> (3 + k)) & 1 == 1 {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            };
            let name = names[(usize::from(sel) + k) % names.len()];
            let o = zip::write::SimpleFileOptions::default().compression_method(method);
            if z.start_file(format!("{k}/{name}"), o).is_err() || z.write_all(part).is_err() {
                return;
            }
        }
        let Ok(c) = z.finish() else { return };
        let mut archive = c.into_inner();
        for d in damage.chunks_exact(3) {
            let at = usize::from(u16::from_le_bytes([d[0], d[1]])) % archive.len();
            archive[at] ^= d[2];
        }
        archive
    };
    let path = std::env::temp_dir().join(format!("raqib-fuzz-{}.zip", std::process::id()));
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    let path = path.to_string_lossy().into_owned();
    let opts = Options {
        max_record_bytes: 256,
        chunk_bytes: 64,
        ..Default::default()
    };
    if let Ok(chunks) = open_chunks(&path, &opts) {
        for c in chunks {
            assert!(c.file().starts_with(&path), "{}", c.file());
            c.for_each_record(|_, r| {
                if let Err(d) = r {
                    assert!(d.at.file.starts_with(&path), "{}", d.at.file);
                }
            });
        }
    }
});
