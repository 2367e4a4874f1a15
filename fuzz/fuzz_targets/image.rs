//! Untrusted image bytes: decoding under a small pixel limit then hashing
//! never panics and never allocates past the limit.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(img) = raqib_media::decode::decode_rgb(data, 1 << 20) {
        assert!(img.width * img.height <= 1 << 20);
        let mut h = raqib_media::PdqHasher::new();
        let a = h.hash_rgb(&img.pixels, img.width, img.height);
        assert!(a.quality <= 100);
    }
});
