//! A policy file's bytes: a policy or an error with a line inside the file, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    match raqib_policy::Policy::parse(text, "f") {
        Ok(p) => {
            let _ = p.decide(&raqib_policy::Item::default());
        }
        Err(e) => assert!(e.line >= 1 && e.line <= text.lines().count() + 1),
    }
});
