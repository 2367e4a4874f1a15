//! An account record from untrusted input: fingerprinted and linked against a small index
//! (and a suspended-index log line parsed), never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use raqib_link::{Fingerprinter, SuspendedIndex};
use raqib_model::{Account, Record};

fuzz_target!(|bytes: &[u8]| {
    let _ = serde_json::from_slice::<raqib_link::store::Op>(bytes);
    let account = match raqib_ingest::parse_raqib_line(bytes, Some("x")) {
        Ok(Some(Record::Account(a))) => *a,
        Ok(Some(Record::Post(p))) => Account {
            id: p.account.clone(),
            bio: Some(p.text),
            ..Default::default()
        },
        _ => return,
    };
    let mut fp = Fingerprinter::default();
    let f = fp.fingerprint(&account, &[]);
    let mut other = account.clone();
    other.id.push('2');
    let idx = SuspendedIndex::build(vec![fp.fingerprint(&other, &[])], 1);
    let _ = idx.link(&f, 0.0, 3);
    let _ = serde_json::to_string(&f);
});
