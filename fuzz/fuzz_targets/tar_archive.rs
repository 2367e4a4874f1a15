//! A tar archive with fuzzed headers and members: the first bytes choose the first member's
//! name and size, its header gets a checksum that adds up (so the fuzzer gets past it), and
//! the rest is the member's bytes and whatever follows (more headers, good or bad). Read
//! from memory, or (half of the time) from a file, which a Twitter archive's tweets read
//! again for the files beside them, and whose members are then read by name from its
//! index (a quarter of the time gzipped, and then half of the time cut short: its members
//! read from a decompressed copy). Reading never panics and every diagnostic names the archive or one of its
//! members.
#![no_main]
use libfuzzer_sys::fuzz_target;
use raqib_ingest::{open_bytes, open_chunks, Options};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    // A Meta export's posts and another of its sections: the other sections are left out
    // by the names of all the archive's members, listed once where it is on disk.
    let names: [&[u8]; 7] = [
        b"a.jsonl",
        b"b.csv",
        b"c.json.gz",
        b"messages.html",
        b"data/tweets.js",
        b"ig/your_instagram_activity/content/posts_1.json",
        b"ig/personal_information/likes.json",
    ];
    let name = names[sel as usize % names.len()];
    let size = (rest.len() as u64).min(u64::from(sel) * 7);
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name);
    h[100..107].copy_from_slice(b"0000644");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    let mut bytes = h.to_vec();
    bytes.extend_from_slice(rest);
    let opts = Options {
        max_record_bytes: 256,
        chunk_bytes: 64,
        ..Default::default()
    };
    let on_disk = sel & 0x80 != 0;
    // On disk, a quarter of the time gzipped (its members then read from a decompressed
    // copy in the temporary folder), and half of those cut short.
    let gzipped = on_disk && sel & 0x40 != 0;
    let file = std::env::temp_dir().join(format!("raqib-fuzz-{}.tar", std::process::id()));
    let name = if on_disk {
        let written = if gzipped {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut gz, &bytes).expect("to memory");
            let mut gz = gz.finish().expect("to memory");
            if sel & 0x20 != 0 {
                gz.truncate(gz.len() / 2);
            }
            gz
        } else {
            bytes.clone()
        };
        std::fs::write(&file, &written).expect("temporary folder writable");
        file.to_str().expect("a UTF-8 temporary path").to_string()
    } else {
        "fuzz.tar".to_string()
    };
    let opened = if on_disk {
        open_chunks(&name, &opts)
    } else {
        open_bytes(bytes, &name, &opts)
    };
    if let Ok(chunks) = opened {
        for c in chunks {
            assert!(c.file().starts_with(&name), "{}", c.file());
            c.for_each_record(|_, r| {
                if let Err(d) = r {
                    assert!(d.at.file.starts_with(&name), "{}", d.at.file);
                }
            });
        }
    }
    if on_disk {
        // The archive indexed, its members read by name (as a tarred export's media are).
        for member in names {
            let path = file.join(std::str::from_utf8(member).expect("UTF-8 names"));
            let _ = raqib_ingest::is_archive_member(&path);
            if let Some(Ok(mut r)) = raqib_ingest::archive_member_reader(&path) {
                let mut bytes = Vec::new();
                let _ = std::io::Read::read_to_end(&mut r, &mut bytes);
                assert!(bytes.len() <= data.len(), "more bytes than the archive holds");
            }
        }
        let _ = std::fs::remove_file(&file);
    }
});
