//! Normalisation never panics, is idempotent, and maps every output character to a
//! character boundary of the input; word sets from the raw-token cache equal those of
//! normalising the whole text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let mut n = raqib_text::Normaliser::default();
    let out = n.run(s).clone();
    assert_eq!(out.chars.len(), out.src.len());
    for &o in &out.src {
        assert!(s.is_char_boundary(o as usize));
    }
    let once = out.as_string();
    assert_eq!(raqib_text::normalise(&once), once);
    let mut exact = Vec::new();
    raqib_text::minhash::word_set(&mut n, s, &mut exact);
    let mut sets = raqib_text::minhash::WordSets::default();
    let mut cached = Vec::new();
    // A token of the input seen before (in the cache) and the whole input after it.
    sets.word_set(s.split_whitespace().next().unwrap_or(""), &mut cached);
    sets.word_set(s, &mut cached);
    assert_eq!(cached, exact);
});
