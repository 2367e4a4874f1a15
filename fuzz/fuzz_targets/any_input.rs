//! Whole inputs in every format, compressed or not: the first byte picks the format and
//! whether a field mapping is given (so the fuzzer reaches CSV, Telegram, Twitter
//! documents, tweet lines, JSON arrays, ActivityPub, Matrix, Discord, Telegram's HTML
//! export, Twitter's account archive, WhatsApp chats, Meta's exported threads, Reddit's
//! comments and submissions, Bluesky's firehose, API JSON and repositories (CAR), and
//! `--json-map` too), the rest is the file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use raqib_ingest::{open_bytes, Format, Options};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, bytes)) = data.split_first() else {
        return;
    };
    let format = [
        Format::Auto,
        Format::Jsonl,
        Format::Csv,
        Format::TwitterV2,
        Format::Telegram,
        Format::Tweets,
        Format::ActivityPub,
        Format::Matrix,
        Format::Discord,
        Format::TelegramHtml,
        Format::TwitterArchive,
        Format::WhatsApp,
        Format::Meta,
        Format::Reddit,
        Format::Bluesky,
    ][sel as usize % 15];
    // A selector byte of 128 or more reads the input through a field mapping too.
    let json_map = (sel >= 128).then(|| {
        std::sync::Arc::new(
            "text=body+title,account=author.id,handle=author.name,created_at=ts,label=l,urls=u.0"
                .parse()
                .expect("a valid mapping"),
        )
    });
    let opts = Options {
        format,
        max_record_bytes: 256,
        chunk_bytes: 64,
        json_map,
        ..Default::default()
    };
    if let Ok(chunks) = open_bytes(bytes.to_vec(), "fuzz.input", &opts) {
        for c in chunks {
            c.for_each_record(|line, r| {
                if let Err(d) = r {
                    assert_eq!(d.at.file, "fuzz.input");
                    let _ = line;
                }
            });
        }
    }
});
