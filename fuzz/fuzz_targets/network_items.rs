//! A post from untrusted input: its network items and their readable names, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use raqib_model::Record;
use raqib_network::{ItemConfig, ItemExtractor};

fuzz_target!(|bytes: &[u8]| {
    let Ok(Some(Record::Post(p))) = raqib_ingest::parse_raqib_line(bytes, Some("x")) else {
        return;
    };
    let mut ex = ItemExtractor::new(ItemConfig::default());
    let mut items = Vec::new();
    ex.items(&p, &mut items);
    let named = raqib_network::items::named_items(&p, &mut ex);
    assert!(named.len() <= items.len() + p.urls.len() + p.text.len());
});
