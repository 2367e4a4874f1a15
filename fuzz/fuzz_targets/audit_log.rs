//! An audit log's bytes (possibly tampered with): verified or refused with a line, never a
//! panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = raqib_store::audit::verify_reader(bytes, "f");
});
