//! Model files: a damaged or hostile file is refused with an error, never a panic; one
//! that loads can score text. Half the inputs get a correct checksum, so that the header
//! and size checks behind it are fuzzed too (xxh3 is a checksum, not a signature).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let mut b = bytes.to_vec();
    if b.len() >= 24 && b[0] & 1 == 1 {
        b[..8].copy_from_slice(b"RAQIBMDL");
        let end = b.len() - 8;
        let sum = xxhash_rust::xxh3::xxh3_64(&b[..end]);
        b[end..].copy_from_slice(&sum.to_le_bytes());
    }
    if let Ok(m) = raqib_text::Model::from_bytes(&b, "fuzz.model") {
        let p = m.score("test text", &mut raqib_text::Scratch::default());
        assert!(p.is_nan() || (0.0..=1.0).contains(&p));
    }
});
