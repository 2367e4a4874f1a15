//! PDQ bit-exactness against Meta's reference: the expected hashes in
//! tests/data/pdq/expected.jsonl were computed by the `pdqhash` PyPI package
//! (the reference C++) on the committed images (`scripts/pdq-oracle.py`).

use std::path::PathBuf;

use raqib_media::decode::{decode_rgb, DEFAULT_MAX_PIXELS};
use raqib_media::{Dihedral, Hash256, PdqHasher};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/pdq")
}

fn expected() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(data_dir().join("expected.jsonl")).expect("expected.jsonl");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

#[test]
fn every_generated_image_hashes_bit_exact_with_the_reference() {
    let mut hasher = PdqHasher::new();
    let mut mismatches = Vec::new();
    let all = expected();
    assert!(all.len() >= 20, "the oracle set covers many images");
    for e in &all {
        let file = e["file"].as_str().unwrap();
        let bytes = std::fs::read(data_dir().join(file)).unwrap();
        let img =
            decode_rgb(&bytes, DEFAULT_MAX_PIXELS).unwrap_or_else(|err| panic!("{file}: {err}"));
        assert_eq!(
            img.width as u64,
            e["width"].as_u64().unwrap(),
            "{file} width"
        );
        assert_eq!(
            img.height as u64,
            e["height"].as_u64().unwrap(),
            "{file} height"
        );
        let got = hasher.hash_rgb(&img.pixels, img.width, img.height);
        let want: Hash256 = e["hash"].as_str().unwrap().parse().unwrap();
        let want_q = e["quality"].as_u64().unwrap() as u8;
        if got.hash != want || got.quality != want_q {
            mismatches.push(format!(
                "{file}: got {} q{} want {} q{} (distance {})",
                got.hash,
                got.quality,
                want,
                want_q,
                got.hash.distance(&want)
            ));
        }
        let (variants, q) = hasher.hash_rgb_dihedral(&img.pixels, img.width, img.height);
        assert_eq!(q, got.quality);
        for (v, d) in variants.iter().zip(Dihedral::ALL) {
            let want: Hash256 = e["dihedral"][d.name()].as_str().unwrap().parse().unwrap();
            if *v != want {
                mismatches.push(format!("{file} {}: got {v} want {want}", d.name()));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "not bit-exact:\n{}",
        mismatches.join("\n")
    );
}
