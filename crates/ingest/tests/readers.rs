//! Every reader on files shaped like the real thing, compression, and the line
//! accounting that diagnostics rely on.

use std::io::Write;

use proptest::prelude::*;
use raqib_ingest::{open_chunks, read_all, Format, Options};
use raqib_model::{Diagnostic, Record};

fn data(name: &str) -> String {
    format!("{}/../../tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn split(items: Vec<Result<Record, Diagnostic>>) -> (Vec<Record>, Vec<Diagnostic>) {
    let mut r = Vec::new();
    let mut d = Vec::new();
    for i in items {
        match i {
            Ok(x) => r.push(x),
            Err(x) => d.push(x),
        }
    }
    (r, d)
}

/// The posts among `(line, record or diagnostic)` items, with their lines.
fn posts_ok_at(items: &[(u64, Result<Record, Diagnostic>)]) -> Vec<(u64, &raqib_model::Post)> {
    items
        .iter()
        .filter_map(|(l, r)| match r {
            Ok(Record::Post(p)) => Some((*l, &**p)),
            _ => None,
        })
        .collect()
}

/// The posts among `(line, record)` items, with their lines.
fn posts_at(items: &[(u64, Record)]) -> Vec<(u64, &raqib_model::Post)> {
    items
        .iter()
        .filter_map(|(l, r)| match r {
            Record::Post(p) => Some((*l, &**p)),
            _ => None,
        })
        .collect()
}

fn posts(records: &[Record]) -> Vec<&raqib_model::Post> {
    records
        .iter()
        .filter_map(|r| {
            if let Record::Post(p) = r {
                Some(&**p)
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn twitter_v2_document_is_detected_and_joined() {
    let (recs, diags) = split(read_all(&data("twitter_v2.json"), &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let p = posts(&recs);
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].reach, Some(1200));
    assert_eq!(p[1].share_of.as_deref(), Some("1499"));
    assert!(recs
        .iter()
        .any(|r| matches!(r, Record::Account(a) if a.handle.as_deref() == Some("example_ansar"))));
}

#[test]
fn telegram_export_is_detected() {
    let (recs, diags) =
        split(read_all(&data("telegram_result.json"), &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let p = posts(&recs);
    assert_eq!(
        p.len(),
        3,
        "service message skipped, media-only message kept"
    );
    assert_eq!(p[0].urls, vec!["https://t.me/example_backup"]);
    assert_eq!(p[2].media[0].kind, "video");
}

/// A poll is read as its author wrote it, question and answers, in both of Telegram
/// Desktop's export forms (the JSON as its writer emits `poll`, the HTML as its pages show
/// one, a voted answer's tally in a `details` span), and the two give the same text; a
/// message with words of its own keeps them first.
#[test]
fn a_telegram_poll_is_read_from_json_and_from_html_alike() {
    let dir = tempfile::tempdir().unwrap();
    let json = r#"{"name":"Polls","type":"public_channel","id":5,"messages":[
 {"id":10,"type":"message","date":"2026-11-01T09:00:00","date_unixtime":"1761987600","from":"Polls","from_id":"channel5",
  "poll":{"question":"Which release next?","closed":false,"total_voters":12,
   "answers":[{"text":"the new one","voters":7,"chosen":false},{"text":"  ","voters":0,"chosen":false},{"text":"the old one","voters":5,"chosen":true}]},
  "text":"","text_entities":[]},
 {"id":11,"type":"message","date_unixtime":"1761987700","from_id":"channel5",
  "poll":{"question":"ok?","closed":true,"total_voters":0,"answers":[{"text":"yes","voters":0,"chosen":false}]},
  "text":"Vote below"},
 {"id":12,"type":"message","date_unixtime":"1761987800","from_id":"channel5","poll":"no poll","text":"just text"}
]}"#;
    let html = r#"<!DOCTYPE html><html><head><meta charset="utf-8"/><title>Exported Data</title></head><body>
<div class="page_wrap"><div class="page_header"><div class="content"><div class="text bold">
Polls
</div></div></div><div class="page_body chat_page"><div class="history">
<div class="message default clearfix" id="message10">
 <div class="body">
  <div class="pull_right date details" title="01.11.2026 09:00:00 UTC+00:00">
09:00
  </div>
  <div class="from_name">
Polls
  </div>
  <div class="media_wrap clearfix">
   <div class="media_poll">
    <div class="question bold">
Which release next?
    </div>
    <div class="details">
Anonymous poll
    </div>
    <div class="answer">
- the new one <span class="details">7 votes</span>
    </div>
    <div class="answer">
- the old one <span class="details">5 votes, chosen vote</span>
    </div>
    <div class="total details&#x09;">
12 votes
    </div>
   </div>
  </div>
 </div>
</div>
<div class="message default clearfix joined" id="message11">
 <div class="body">
  <div class="pull_right date details" title="01.11.2026 09:01:40 UTC+00:00">
09:01
  </div>
  <div class="media_wrap clearfix">
   <div class="media_poll">
    <div class="question bold">
ok?
    </div>
    <div class="details">
Closed poll
    </div>
    <div class="answer">
- yes
    </div>
    <div class="total details&#x09;">
0 votes
    </div>
   </div>
  </div>
  <div class="text">
Vote below
  </div>
 </div>
</div>
</div></div></div></body></html>
"#;
    let texts = |name: &str, doc: &str| -> Vec<String> {
        let f = write(&dir, name, doc.as_bytes());
        let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
        assert!(diags.is_empty(), "{name}: {diags:?}");
        posts(&recs).iter().map(|p| p.text.clone()).collect()
    };
    let from_json = texts("result.json", json);
    assert_eq!(
        from_json,
        [
            "Which release next?\n- the new one\n- the old one",
            "Vote below\n\nok?\n- yes",
            "just text"
        ]
    );
    assert_eq!(texts("messages.html", html), from_json[..2]);
}

/// Where a post was made: a Telegram chat's name, a subreddit, a raqib record's or a CSV
/// column's `place` (or a subreddit column), read by each reader alike.
#[test]
fn where_a_post_was_made_is_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let places = |name: &str, doc: &str| -> Vec<Option<String>> {
        let f = write(&dir, name, doc.as_bytes());
        let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
        assert!(diags.is_empty(), "{name}: {diags:?}");
        posts(&recs).iter().map(|p| p.place.clone()).collect()
    };
    let (recs, _) = split(read_all(&data("telegram_result.json"), &Options::default()).unwrap());
    assert!(posts(&recs)
        .iter()
        .all(|p| p.place.as_deref() == Some("Example Channel")));
    assert_eq!(
        places(
            "RC.jsonl",
            r#"{"id":"c1","name":"t1_c1","author":"a","body":"words","subreddit":"news","created_utc":1}
{"id":"c2","name":"t1_c2","author":"a","body":"more words","created_utc":2}
"#
        ),
        [Some("r/news".to_string()), None]
    );
    assert_eq!(
        places(
            "p.jsonl",
            r#"{"raqib":1,"type":"post","id":"1","text":"x","place":"Town forum / general"}
{"raqib":1,"type":"post","id":"2","text":"y"}
"#
        ),
        [Some("Town forum / general".to_string()), None]
    );
    assert_eq!(
        places("p.csv", "id,text,subreddit\n1,hello,news\n2,hi,\n"),
        [Some("news".to_string()), None]
    );
}

/// A post's page on its platform (`permalink`): a tweet's from its id, a Bluesky post's
/// from its AT URI, a fediverse note's `url`, a Reddit thing's `permalink`, a raqib
/// record's or a CSV column's as given.
#[test]
fn a_posts_page_on_its_platform_is_its_permalink() {
    let dir = tempfile::tempdir().unwrap();
    let first = |path: &str| -> Option<String> {
        let (recs, diags) = split(read_all(path, &Options::default()).unwrap());
        assert!(diags.is_empty(), "{path}: {diags:?}");
        posts(&recs)[0].permalink.clone()
    };
    assert_eq!(
        first(&data("twitter_v2.json")).as_deref(),
        Some("https://x.com/i/web/status/1500000000000000001")
    );
    assert_eq!(
        first(&data("bluesky/author_feed.json")).as_deref(),
        Some("https://bsky.app/profile/did:plc:spreaderexample1/post/3m1bpost0001")
    );
    assert_eq!(
        first(&data("mastodon/outbox.json")).as_deref(),
        Some("https://social.example/users/someone/statuses/1")
    );
    let reddit = write(
        &dir,
        "RC.jsonl",
        br#"{"id":"c1","name":"t1_c1","author":"a","body":"words","subreddit":"news","created_utc":1,"permalink":"/r/news/comments/x/t/c1/"}
"#,
    );
    assert_eq!(
        first(&reddit).as_deref(),
        Some("https://www.reddit.com/r/news/comments/x/t/c1/")
    );
    let jsonl = write(
        &dir,
        "p.jsonl",
        br#"{"raqib":1,"type":"post","id":"1","text":"x","permalink":"https://forum.example/t/1"}
"#,
    );
    assert_eq!(first(&jsonl).as_deref(), Some("https://forum.example/t/1"));
    let csv = write(
        &dir,
        "p.csv",
        b"id,text,post_url\n1,hello,https://forum.example/t/2\n",
    );
    assert_eq!(first(&csv).as_deref(), Some("https://forum.example/t/2"));
}

/// Telegram's HTML export is known by its content (no `--format`), whatever the name.
#[test]
fn telegram_html_export_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("saved_page.htm");
    std::fs::copy(data("telegram_html/messages.html"), &page).unwrap();
    let (recs, diags) = split(read_all(page.to_str().unwrap(), &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let p = posts(&recs);
    assert_eq!(p.len(), 6);
    assert_eq!(p[0].urls, vec!["https://t.me/example_backup"]);
    assert_eq!(p[0].platform, "telegram");
    // Other HTML is not taken for CSV: it is told what raqib reads.
    let blog = dir.path().join("blog.html");
    std::fs::write(
        &blog,
        "<!doctype html>\n<html><body><p>hello</p></body></html>\n",
    )
    .unwrap();
    let (recs, diags) = split(read_all(blog.to_str().unwrap(), &Options::default()).unwrap());
    assert!(recs.is_empty());
    assert_eq!(diags.len(), 1);
    assert!(
        diags[0].message.contains("Telegram Desktop"),
        "{}",
        diags[0].message
    );
}

/// An older Telegram export writes its times in the exporting computer's zone without
/// saying which (JSON: `date` without `date_unixtime`; HTML: a title without `UTC+03:00`):
/// `--utc-offset` for the file gives it; a time that says its zone keeps it.
#[test]
fn telegram_times_without_a_zone_take_the_files_offset() {
    let dir = tempfile::tempdir().unwrap();
    let json = write(
        &dir,
        "result.json",
        br#"{"name": "C", "type": "public_channel", "id": 5, "messages": [
 {"id": 1, "type": "message", "date": "2026-11-01T09:05:00", "from": "C", "from_id": "channel5", "text": "local"},
 {"id": 2, "type": "message", "date": "2026-11-01T09:05:00", "date_unixtime": "1793527500", "from": "C", "from_id": "channel5", "text": "unix"}
]}"#,
    );
    let page = dir.path().join("messages.html");
    let html = std::fs::read_to_string(data("telegram_html/messages.html")).unwrap();
    // The first message's title without its offset, as older exports write it.
    let old = html.replacen("01.11.2026 09:05:00 UTC+03:00", "01.11.2026 09:05:00", 1);
    assert_ne!(old, html);
    std::fs::write(&page, old).unwrap();
    let at = |path: &str, given: &[&str]| -> Vec<Option<i64>> {
        let opts = Options {
            utc_offsets: given.iter().map(|r| r.parse().unwrap()).collect(),
            ..Default::default()
        };
        let (recs, diags) = split(read_all(path, &opts).unwrap());
        assert!(diags.is_empty(), "{diags:?}");
        posts(&recs).iter().map(|p| p.created_at).collect()
    };
    let naive = 1793523900; // 2026-11-01 09:05:00 taken as UTC
    assert_eq!(at(&json, &[]), [Some(naive), Some(1793527500)]);
    assert_eq!(
        at(&json, &["+03:00"]),
        [Some(naive - 10_800), Some(1793527500)]
    );
    let page = page.to_str().unwrap();
    let plain = at(page, &[]);
    let moved = at(page, &[&format!("{}=+03:00", dir.path().display())]);
    assert_eq!(plain[0], Some(naive));
    assert_eq!(moved[0], Some(naive - 10_800));
    assert_eq!(plain[1..], moved[1..], "times that say their zone keep it");
    assert_eq!(plain[1], Some(1793513160));
}

/// Twitter's information-operations archives (the public CSVs of accounts it took down)
/// load with no mapping: their column names are aliases, their account creation dates
/// are days, their URL columns lists. The fixture is synthetic, in their layout.
#[test]
fn an_information_operations_archive_needs_no_mapping() {
    let (recs, diags) = split(read_all(&data("io_archive.csv"), &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let p = posts(&recs);
    assert_eq!(p.len(), 3);
    assert_eq!(p[0].id, "1000000000000000001");
    assert_eq!(p[0].account, "Zq3xExampleHashedUserId01=");
    assert!(p[0].text.starts_with("Join the soldiers"));
    assert_eq!(p[0].lang.as_deref(), Some("en"));
    assert_eq!(
        p[0].created_at,
        raqib_ingest::parse_time("2015-03-01T10:00:00Z")
    );
    assert_eq!(p[0].urls, ["https://archive.example/release"]);
    assert_eq!(p[1].share_of.as_deref(), Some("1000000000000000001"));
    assert_eq!(p[2].reply_to.as_deref(), Some("1000000000000000001"));
    assert_eq!(
        p[2].urls,
        [
            "https://news.example/report?a=1&b=2",
            "https://news.example/second"
        ]
    );
    let media = recs
        .iter()
        .find_map(|r| match r {
            Record::Account(a) if a.id == "Zq3xExampleHashedUserId01=" => Some(a),
            _ => None,
        })
        .unwrap();
    assert_eq!(media.handle.as_deref(), Some("example_media"));
    assert_eq!(media.display_name.as_deref(), Some("Example Media"));
    assert_eq!(
        media.bio.as_deref(),
        Some("official releases of the example media office")
    );
    assert_eq!(media.followers, Some(840));
    assert_eq!(media.created_at, raqib_ingest::parse_time("2014-06-01"));
}

#[test]
fn csv_with_the_shared_data_header_needs_no_mapping() {
    let (recs, diags) = split(read_all(&data("shared_shape.csv"), &Options::default()).unwrap());
    let p = posts(&recs);
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].text, "multi\nline text");
    assert_eq!(p[0].label, Some(true));
    assert_eq!(p[0].reach, Some(10));
    assert_eq!(p[0].account, "user_a");
    // Row 3 has a bad date, row 4 no text: both are diagnostics with their lines.
    let lines: Vec<u64> = diags.iter().map(|d| d.at.line).collect();
    assert_eq!(lines, vec![5, 6], "{diags:?}");
    assert!(diags[0].message.contains("created_at"));
    assert!(diags[1].message.contains("no text"));
}

#[test]
fn csv_without_a_text_column_says_how_to_map_one() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.csv");
    std::fs::write(&f, "id,post_body\n1,hello\n").unwrap();
    let err = read_all(f.to_str().unwrap(), &Options::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("--csv-map text=COLUMN") && err.contains("post_body"),
        "{err}"
    );
    let opts = Options {
        csv: "text=post_body".parse().unwrap(),
        ..Default::default()
    };
    let (recs, _) = split(read_all(f.to_str().unwrap(), &opts).unwrap());
    assert_eq!(posts(&recs)[0].text, "hello");
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

const TWO: &str = "{\"id\":1,\"text\":\"a\"}\n{\"id\":2,\"text\":\"b\"}\n";

#[test]
fn gzip_and_zstd_are_read_transparently() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(TWO.as_bytes()).unwrap();
    let gz = write(&dir, "p.jsonl.gz", &gz.finish().unwrap());
    let zst = zstd::encode_all(TWO.as_bytes(), 1).unwrap();
    let zst = write(&dir, "p.jsonl.zst", &zst);
    // A compressed file with a misleading name is still detected by its magic bytes.
    let odd = write(&dir, "p.data", &std::fs::read(&gz).unwrap());
    for f in [gz, zst, odd] {
        let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
        assert_eq!(posts(&recs).len(), 2, "{f}: {diags:?}");
    }
}

/// A gzip file of several members (files joined with `cat`) is read to its end, and zeros
/// after the last member (a file padded to a block size) are passed over as `gzip -d`
/// passes them; bytes that are neither are an error at the line reached, the posts before
/// kept.
#[test]
fn gzip_members_are_read_whole_and_zero_padding_is_passed_over() {
    let dir = tempfile::tempdir().unwrap();
    let gz = |t: &str| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(t.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let (one, two) = TWO.split_at(TWO.find('\n').unwrap() + 1);
    let mut joined = gz(one);
    joined.extend(gz(two));
    let mut padded = joined.clone();
    padded.extend([0u8; 10_000]);
    let mut empty_member = gz("");
    empty_member.extend(gz(TWO));
    for (name, bytes) in [
        ("joined.jsonl.gz", &joined),
        ("padded.jsonl.gz", &padded),
        ("empty_first.jsonl.gz", &empty_member),
    ] {
        let f = write(&dir, name, bytes);
        let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
        let ids: Vec<&str> = posts(&recs).iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["1", "2"], "{name}: {diags:?}");
        assert!(diags.is_empty(), "{name}: {diags:?}");
    }
    let mut garbage = padded.clone();
    garbage.extend(b"not gzip");
    let f = write(&dir, "garbage.jsonl.gz", &garbage);
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert_eq!(posts(&recs).len(), 2, "{diags:?}");
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(diags[0].message.contains("gzip"), "{diags:?}");
}

/// A zstd file of several frames is read to its end: files joined with `cat`, `pzstd`'s
/// frames each after a skippable frame, in a file or a zip member; a damaged frame is a
/// diagnostic at the line it was reached, the posts before it kept.
#[test]
fn zstd_of_several_frames_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let zstd = |t: &str| {
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
        e.include_checksum(true).unwrap();
        e.write_all(t.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let (one, two) = TWO.split_at(TWO.find('\n').unwrap() + 1);
    let mut joined = zstd(one);
    joined.extend(zstd(two));
    // pzstd: an 8-byte skippable frame (magic 0x184D2A50, length 4) holding the next
    // frame's size before each frame.
    let mut pz = Vec::new();
    for part in [one, two] {
        let frame = zstd(part);
        pz.extend([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0]);
        pz.extend((frame.len() as u32).to_le_bytes());
        pz.extend(frame);
    }
    let joined_f = write(&dir, "joined.jsonl.zst", &joined);
    let pz_f = write(&dir, "pz.jsonl.zst", &pz);
    let zip = {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        w.start_file("joined.jsonl.zst", o).unwrap();
        w.write_all(&joined).unwrap();
        w.finish().unwrap().into_inner()
    };
    let zip_f = write(&dir, "dump.zip", &zip);
    for f in [&joined_f, &pz_f, &zip_f] {
        let (recs, diags) = split(read_all(f, &Options::default()).unwrap());
        let ids: Vec<&str> = posts(&recs).iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["1", "2"], "{f}: {diags:?}");
        assert!(diags.is_empty(), "{f}: {diags:?}");
    }
    // The second frame's checksum broken: the first post is kept, and the damage named.
    let last = joined.len() - 1;
    joined[last] ^= 1;
    let damaged = write(&dir, "damaged.jsonl.zst", &joined);
    let (recs, diags) = split(read_all(&damaged, &Options::default()).unwrap());
    assert_eq!(posts(&recs)[0].id, "1");
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(
        diags[0].message.contains("checksum") && diags[0].message.contains("damaged"),
        "{diags:?}"
    );
}

/// bzip2 (one stream, or several as `pbzip2` writes them) and xz (several streams too) are
/// undone like gzip, by their magic bytes; UTF-16 with a byte-order mark (Excel's "Unicode
/// Text") is read as the same text.
#[test]
fn bzip2_xz_and_utf16_are_read_transparently() {
    let dir = tempfile::tempdir().unwrap();
    let bz = |text: &str| {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let xz = |text: &str| {
        let mut e =
            lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::default()).unwrap();
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let (one, two) = TWO.split_at(TWO.find('\n').unwrap() + 1);
    let utf16 = |big_endian: bool| -> Vec<u8> {
        let text = "id,text\n1,سلام 𝕏\n2,b\n";
        std::iter::once(0xfeff)
            .chain(text.encode_utf16())
            .flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    };
    for (name, bytes) in [
        ("p.jsonl.bz2", bz(TWO)),
        ("multi.jsonl.bz2", [bz(one), bz(two)].concat()),
        ("p.jsonl.xz", xz(TWO)),
        ("multi.jsonl.xz", [xz(one), xz(two)].concat()),
        ("named-oddly.data", bz(TWO)),
        ("le.csv", utf16(false)),
        ("be.csv", utf16(true)),
    ] {
        let f = write(&dir, name, &bytes);
        let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
        let texts: Vec<&str> = posts(&recs).iter().map(|p| p.text.as_str()).collect();
        assert!(diags.is_empty(), "{name}: {diags:?}");
        if name.ends_with(".csv") {
            assert_eq!(texts, ["سلام 𝕏", "b"], "{name}");
        } else {
            assert_eq!(texts, ["a", "b"], "{name}");
        }
    }
    // Cut short: what came before the cut is read, the cut is a diagnostic at its line.
    // Text that compresses little, so that the cut falls many blocks in.
    let mut long = String::new();
    for i in 0..20_000u64 {
        let noise = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (i << 29);
        long.push_str(&format!("{{\"id\":{i},\"text\":\"post {noise:016x}\"}}\n"));
    }
    for (name, bytes) in [("cut.jsonl.xz", xz(&long)), ("cut.jsonl.bz2", bz(&long))] {
        let f = write(&dir, name, &bytes[..bytes.len() * 2 / 3]);
        let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
        assert!(
            !posts(&recs).is_empty() && posts(&recs).len() < 20_000,
            "{name}"
        );
        assert!(
            diags
                .iter()
                .any(|d| d.message.contains("rest of the file is skipped")),
            "{name}: {diags:?}"
        );
    }
}

/// An archive raqib does not read inside, binary data or a file in a legacy encoding is
/// refused with what it is and what to do, not read as a CSV whose header is garbage.
#[test]
fn archives_binary_data_and_legacy_encodings_are_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    // «سلام عليكم» in Windows-1256, as Excel saves an Arabic CSV.
    let cp1256 = [
        b"id,text\n1,".as_slice(),
        &[0xd3, 0xe1, 0xc7, 0xe3, 0x20, 0xda, 0xe1, 0xed, 0xdf, 0xe3],
        b"\n",
    ]
    .concat();
    for (name, bytes, says) in [
        (
            "posts.7z",
            b"7z\xbc\xaf\x27\x1c\x00\x04rest".to_vec(),
            "7-Zip",
        ),
        ("garbage.bin", garbage, "binary data"),
        ("arabic.csv", cp1256.repeat(20), "iconv -f WINDOWS-1256"),
    ] {
        let f = write(&dir, name, &bytes);
        let e = read_all(&f, &Options::default())
            .err()
            .unwrap_or_else(|| panic!("{name} was read"));
        let e = e.to_string();
        assert!(e.contains(name) && e.contains(says), "{name}: {e}");
        assert!(!e.chars().any(|c| c.is_control()), "{name}: {e:?}");
        if name == "garbage.bin" {
            // What it does read, archives included.
            assert!(e.contains("in a zip or tar archive"), "{e}");
        }
    }
    // JSON Lines are never refused for bad bytes, however many: each bad line is a
    // diagnostic, the good ones are read.
    let mut crashed = [0u8, 1, 2, 3, 0xff, b'\n'].repeat(40);
    crashed.extend_from_slice(b"{\"id\":\"k\",\"text\":\"kept\"}\n");
    let f = write(&dir, "crashed.jsonl", &crashed);
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert_eq!(posts(&recs)[0].text, "kept");
    assert_eq!(diags.len(), 40);
    // A few bad bytes in a text file are the records' diagnostics, not a refusal.
    let latin = b"id,text\n1,caf\xe9 au lait\n2,plain text here\n3,more plain text\n".to_vec();
    let f = write(&dir, "latin.csv", &latin);
    let (recs, _) = split(read_all(&f, &Options::default()).unwrap());
    assert!(posts(&recs).len() >= 2);
}

/// A tar archive is read as the folder it holds: its input members in order, each named
/// `ARCHIVE/MEMBER` with its own lines, compressed or not; GNU long names and pax paths
/// name their members; other members are left out; the archive gzipped as a whole is read
/// the same; a cut or a corrupt header ends it with a diagnostic, the members before it
/// read.
#[test]
fn a_tar_archive_is_read_as_the_folder_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let bz = {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(b"{\"id\":\"m1\",\"text\":\"minute one\"}\n{\"id\":\"m2\",\"text\":\"x\"}\n")
            .unwrap();
        e.finish().unwrap()
    };
    let long = format!("{}/deep.jsonl", "a-folder-with-a-long-name".repeat(6));
    let build = |pax: bool| -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |name: &str, data: &[u8]| {
            let mut h = if pax {
                tar::Header::new_ustar()
            } else {
                tar::Header::new_gnu()
            };
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            if pax && name.len() > 100 {
                b.append_pax_extensions([("path", name.as_bytes())])
                    .unwrap();
                h.set_path("placeholder.bin").unwrap();
                h.set_cksum();
                b.append(&h, data).unwrap();
            } else {
                b.append_data(&mut h, name, data).unwrap();
            }
        };
        add("README.md", b"# notes, not posts\n");
        add("2015/06/01/00.json.bz2", &bz);
        add("photo.jpg", &[0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0]);
        add(&long, b"{\"id\":\"d\",\"text\":\"deep\"}\n");
        add("rows.csv", b"id,text\n7,a row\n");
        b.into_inner().unwrap()
    };
    let gnu = build(false);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&gnu).unwrap();
    for (name, bytes) in [
        ("day.tar", gnu.clone()),
        ("pax.tar", build(true)),
        ("day.tar.gz", gz.finish().unwrap()),
    ] {
        let f = write(&dir, name, &bytes);
        let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
        let ids: Vec<&str> = posts(&recs).iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["m1", "m2", "d", "7"], "{name}");
        assert!(diags.is_empty(), "{name}: {diags:?}");
        // Each member is a file of its own, with its own line numbers.
        let mut files = Vec::new();
        for c in open_chunks(&f, &Options::default()).unwrap() {
            c.for_each_record(|line, r| {
                let r = r.unwrap();
                if let raqib_model::Record::Post(p) = r {
                    files.push((c.file().to_string(), line, p.id));
                }
            });
        }
        assert_eq!(
            files,
            [
                (format!("{f}/2015/06/01/00.json.bz2"), 1, "m1".to_string()),
                (format!("{f}/2015/06/01/00.json.bz2"), 2, "m2".to_string()),
                (format!("{f}/{long}"), 1, "d".to_string()),
                (format!("{f}/rows.csv"), 2, "7".to_string()),
            ],
            "{name}"
        );
    }
    // Cut inside the last member: what came before is read, the cut is a diagnostic.
    let cut = write(&dir, "cut.tar", &gnu[..gnu.len() - 1024 - 512 - 10]);
    let (recs, diags) = split(read_all(&cut, &Options::default()).unwrap());
    let ids: Vec<&str> = posts(&recs).iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["m1", "m2", "d"]);
    assert!(
        diags.iter().any(|d| d.message.contains("ends inside")),
        "{diags:?}"
    );
    // A header whose checksum does not add up ends the archive at its byte.
    let mut bad = gnu.clone();
    let second = 512 + bz.len().div_ceil(512) * 512 + 512 + 512;
    bad[second + 20] ^= 0x55;
    let bad = write(&dir, "bad.tar", &bad);
    let (recs, diags) = split(read_all(&bad, &Options::default()).unwrap());
    assert!(posts(&recs).iter().any(|p| p.id == "m1"));
    assert!(
        diags
            .iter()
            .any(|d| d.at.file.ends_with("bad.tar") && d.message.contains("checksum")),
        "{diags:?}"
    );
    // A Twitter account archive's tweets inside a tar: read, with nothing looked for
    // beside them (there is no folder to look in).
    let mut b = tar::Builder::new(Vec::new());
    let js = "window.YTD.tweets.part0 = [\n  {\n    \"tweet\" : {\n      \"id_str\" : \"1\",\n      \"full_text\" : \"from the archive\"\n    }\n  }\n]";
    let mut h = tar::Header::new_gnu();
    h.set_size(js.len() as u64);
    b.append_data(&mut h, "data/tweets.js", js.as_bytes())
        .unwrap();
    let archive = write(&dir, "twitter.tar", &b.into_inner().unwrap());
    let (recs, diags) = split(read_all(&archive, &Options::default()).unwrap());
    assert_eq!(posts(&recs)[0].text, "from the archive");
    assert!(diags.is_empty(), "{diags:?}");
    // An archive with no input in it says so.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(3);
    b.append_data(&mut h, "a.jpg", &b"abc"[..]).unwrap();
    let none = write(&dir, "none.tar", &b.into_inner().unwrap());
    let (_, diags) = split(read_all(&none, &Options::default()).unwrap());
    assert!(
        diags[0].message.contains("no input file in this archive"),
        "{diags:?}"
    );
}

#[test]
fn corrupt_gzip_is_an_error_naming_the_file_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    bytes.extend_from_slice(&[0xff; 64]);
    let f = write(&dir, "bad.jsonl.gz", &bytes);
    match read_all(&f, &Options::default()) {
        Err(e) => assert!(e.to_string().contains("bad.jsonl.gz"), "{e}"),
        Ok(items) => assert!(items.iter().any(|i| i.is_err()), "{items:?}"),
    }
}

/// A zip archive built in memory: `(name, method, data)` members (a name ending in `/` is
/// a folder).
fn zip_of(members: &[(&str, zip::CompressionMethod, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, method, data) in members {
        let o = zip::write::SimpleFileOptions::default().compression_method(*method);
        if name.ends_with('/') {
            z.add_directory(*name, o).unwrap();
        } else {
            z.start_file(*name, o).unwrap();
            z.write_all(data).unwrap();
        }
    }
    z.finish().unwrap().into_inner()
}

/// A one-member zip archive written by hand, for the methods `zip_of` cannot write.
fn zip_by_hand(name: &str, method: u16, packed: &[u8], plain: &[u8]) -> Vec<u8> {
    let crc = crc32(plain);
    let fields = |out: &mut Vec<u8>| {
        for v in [20u16, 0, method, 0, 0] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, packed.len() as u32, plain.len() as u32] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
    };
    let mut z = b"PK\x03\x04".to_vec();
    fields(&mut z);
    z.extend_from_slice(name.as_bytes());
    z.extend_from_slice(packed);
    let cd = z.len();
    z.extend_from_slice(b"PK\x01\x02\x14\x00");
    fields(&mut z);
    z.extend_from_slice(&[0u8; 14]); // comment length, disk, attributes, local offset 0
    z.extend_from_slice(name.as_bytes());
    let cd_len = z.len() - cd;
    z.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\x00\x01\x00");
    z.extend_from_slice(&(cd_len as u32).to_le_bytes());
    z.extend_from_slice(&(cd as u32).to_le_bytes());
    z.extend_from_slice(&[0, 0]);
    z
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The posts of an input as `(file, line, id)`.
fn posts_by_file(path: &str) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    for c in open_chunks(path, &Options::default()).unwrap() {
        c.for_each_record(|line, r| {
            if let Ok(Record::Post(p)) = r {
                out.push((c.file().to_string(), line, p.id));
            }
        });
    }
    out
}

/// An export handed over zipped is read as the folder it holds: its input members in name
/// order, each a file of its own, compressed any way zip tools write.
#[test]
fn a_zip_archive_is_read_as_the_folder_it_holds() {
    use zip::CompressionMethod::{Bzip2, Deflated, Stored};
    let dir = tempfile::tempdir().unwrap();
    let bz = {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(b"{\"id\":\"m1\",\"text\":\"minute one\"}\n{\"id\":\"m2\",\"text\":\"x\"}\n")
            .unwrap();
        e.finish().unwrap()
    };
    let long = format!("{}/deep.jsonl", "a-folder-with-a-long-name".repeat(6));
    let deep = format!("{{\"id\":\"d\",\"text\":\"{}\"}}\n", "deep ".repeat(200));
    let archive = zip_of(&[
        ("rows.csv", Bzip2, b"id,text\n7,a row\n"),
        ("README.md", Deflated, b"# notes, not posts\n"),
        ("2015/", Stored, b""),
        ("2015/06/01/00.json.bz2", Stored, &bz),
        ("photo.jpg", Stored, &[0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0]),
        (&long, Deflated, deep.as_bytes()),
        (
            "__MACOSX/._rows.csv",
            Stored,
            b"\0\x05\x16\x07 resource fork",
        ),
        (
            ".hidden.jsonl",
            Stored,
            b"{\"id\":\"h\",\"text\":\"hidden\"}\n",
        ),
    ]);
    let f = write(&dir, "export.zip", &archive);
    let (_, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        raqib_ingest::zip_contents(&f),
        Some(raqib_ingest::ZipContents {
            inputs: 3,
            others: 4,
            doubled: 0,
            recovered: false
        })
    );
    assert_eq!(
        posts_by_file(&f),
        [
            (format!("{f}/2015/06/01/00.json.bz2"), 1, "m1".to_string()),
            (format!("{f}/2015/06/01/00.json.bz2"), 2, "m2".to_string()),
            (format!("{f}/{long}"), 1, "d".to_string()),
            (format!("{f}/rows.csv"), 2, "7".to_string()),
        ]
    );
    // Deflate64 (what Windows' Explorer writes for a large file; this one by 7-Zip), xz
    // and zstd members.
    let post = b"{\"id\":\"x1\",\"text\":\"an xz member\"}\n";
    let mut xz = lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::default()).unwrap();
    xz.write_all(post).unwrap();
    let xz = write(
        &dir,
        "xz.zip",
        &zip_by_hand("a.jsonl", 95, &xz.finish().unwrap(), post),
    );
    let zpost = b"{\"id\":\"z1\",\"text\":\"a zstd member\"}\n";
    let zst = zstd::encode_all(&zpost[..], 1).unwrap();
    let zst = write(&dir, "zst.zip", &zip_by_hand("a.jsonl", 93, &zst, zpost));
    for (path, ids) in [
        (data("deflate64.zip"), vec!["d64-1", "d64-2"]),
        (xz, vec!["x1"]),
        (zst, vec!["z1"]),
    ] {
        let (recs, diags) = split(read_all(&path, &Options::default()).unwrap());
        let got: Vec<&str> = posts(&recs).iter().map(|p| p.id.as_str()).collect();
        assert_eq!(got, ids, "{path}");
        assert!(diags.is_empty(), "{path}: {diags:?}");
    }
    // A method raqib does not undo (LZMA) and an encrypted member: a diagnostic each that
    // says what to do; the members beside them are read.
    let lzma = zip_by_hand("a.jsonl", 14, b"\x09\x14\x05\x00", b"x");
    let f = write(&dir, "lzma.zip", &lzma);
    let (_, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert!(
        diags[0].message.contains("LZMA") && diags[0].message.contains("7z x"),
        "{diags:?}"
    );
    let mut locked = zip_of(&[
        ("a.jsonl", Stored, b"{\"id\":\"a\",\"text\":\"secret\"}\n"),
        ("b.jsonl", Stored, b"{\"id\":\"b\",\"text\":\"open\"}\n"),
    ]);
    let cd = memchr::memmem::find(&locked, b"PK\x01\x02").unwrap();
    locked[cd + 8] |= 1; // the first member's "encrypted" flag, in the index
    let f = write(&dir, "locked.zip", &locked);
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert_eq!(posts(&recs)[0].id, "b");
    assert!(
        diags[0].at.file.ends_with("locked.zip/a.jsonl")
            && diags[0].message.contains("encrypted")
            && diags[0].message.contains("password"),
        "{diags:?}"
    );
}

/// A damaged zip loses only what the damage touches, and says where; one that cannot be
/// read at all, or that comes as a stream, says what to do.
#[test]
fn a_damaged_zip_archive_keeps_what_it_can() {
    use zip::CompressionMethod::{Deflated, Stored};
    let dir = tempfile::tempdir().unwrap();
    let many: String = (0..200)
        .map(|i| format!("{{\"id\":\"p{i}\",\"text\":\"post number {i}\"}}\n"))
        .collect();
    let good = zip_of(&[
        ("a.jsonl", Deflated, many.as_bytes()),
        ("b.jsonl", Stored, b"{\"id\":\"b\",\"text\":\"after\"}\n"),
    ]);
    // A byte of the deflated member changed: its CRC or its stream says so, at the member;
    // the next member is read.
    let at = memchr::memmem::find(&good, b"a.jsonl").unwrap() + 7 + 200;
    let mut bad = good.clone();
    bad[at] ^= 0x5a;
    let f = write(&dir, "bad.zip", &bad);
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert!(posts(&recs).iter().any(|p| p.id == "b"), "{recs:?}");
    assert!(
        diags.iter().any(|d| d.at.file.ends_with("bad.zip/a.jsonl")),
        "{diags:?}"
    );
    // Cut short (a download that stopped), its index lost: the members are found by their
    // own headers, those before the cut read whole, the one it ends inside up to the cut.
    // Written by a tool that puts sizes in the headers, and by a streaming one that puts
    // them after the data (decoded to find its end, or, stored, up to a descriptor).
    let streamed = {
        let mut z = zip::ZipWriter::new_stream(Vec::new());
        for (name, method, data) in [
            ("a.jsonl", Deflated, many.as_bytes()),
            // A photo whose bytes hold a descriptor's signature that does not fit it.
            (
                "s.jpg",
                Stored,
                b"\xff\xd8PK\x07\x08\0\0\0\0\x05\0\0\0 photo".as_slice(),
            ),
            ("b.jsonl", Stored, b"{\"id\":\"b\",\"text\":\"after\"}\n"),
        ] {
            let o = zip::write::SimpleFileOptions::default().compression_method(method);
            z.start_file(name, o).unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap().into_inner()
    };
    for (name, bytes) in [("sized", &good), ("streamed", &streamed)] {
        let ids = |bytes: &[u8], label: &str| {
            let f = write(&dir, &format!("{name}-{label}.zip"), bytes);
            let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
            assert!(
                diags[0].at.file.ends_with(".zip") && diags[0].message.contains("index"),
                "{name} {label}: {diags:?}"
            );
            let got: Vec<String> = posts(&recs).iter().map(|p| p.id.clone()).collect();
            (got, diags)
        };
        // Cut inside the index: every member read.
        let (got, diags) = ids(&bytes[..bytes.len() - 30], "index");
        assert_eq!(got.len(), 201, "{name}: {diags:?}");
        assert_eq!(got.last().map(String::as_str), Some("b"), "{name}");
        // Cut inside the first member: its posts before the cut, and a diagnostic at it.
        let (got, diags) = ids(&bytes[..400], "member");
        assert!(!got.is_empty() && got.len() < 200, "{name}: {got:?}");
        assert!(
            got.iter().enumerate().all(|(i, id)| *id == format!("p{i}")),
            "{name}: {got:?}"
        );
        assert!(
            diags.iter().any(|d| d.at.file.ends_with("a.jsonl")),
            "{name}: {diags:?}"
        );
    }
    // Zip64 (what a writer uses for a member or an archive over 4 GiB, as a Twitter
    // archive with its media can be): read from the index, and, the index lost, from the
    // members' own headers, with sizes in their headers and after their data.
    for streamed in [false, true] {
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(Deflated)
            .large_file(true);
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let mut s = zip::ZipWriter::new_stream(Vec::new());
        for (name, data) in [
            ("a.jsonl", many.as_bytes()),
            ("b.jsonl", b"{\"id\":\"b\",\"text\":\"after\"}\n"),
        ] {
            if streamed {
                s.start_file(name, o).unwrap();
                s.write_all(data).unwrap();
            } else {
                z.start_file(name, o).unwrap();
                z.write_all(data).unwrap();
            }
        }
        let bytes = if streamed {
            s.finish().unwrap().into_inner()
        } else {
            z.finish().unwrap().into_inner()
        };
        for (label, bytes) in [("whole", &bytes[..]), ("cut", &bytes[..bytes.len() - 30])] {
            let f = write(&dir, &format!("zip64-{streamed}-{label}.zip"), bytes);
            let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
            assert_eq!(posts(&recs).len(), 201, "{streamed} {label}: {diags:?}");
            assert_eq!(diags.len(), usize::from(label == "cut"), "{diags:?}");
        }
    }
    // Nothing that could be a member: an error that says so.
    let f = write(&dir, "junk.zip", b"PK\x03\x04\x14\x00");
    let e = read_all(&f, &Options::default())
        .expect_err("no member")
        .to_string();
    assert!(e.contains("junk.zip") && e.contains("index"), "{e}");
    // An empty archive, and one with no input in it.
    let empty = [b"PK\x05\x06".as_slice(), &[0u8; 18]].concat();
    let photos = zip_of(&[("a.jpg", Stored, b"\xff\xd8")]);
    for (name, bytes) in [("empty.zip", empty), ("photos.zip", photos)] {
        let f = write(&dir, name, &bytes);
        let (_, diags) = split(read_all(&f, &Options::default()).unwrap());
        assert!(
            diags[0].message.contains("no input file in this archive"),
            "{name}: {diags:?}"
        );
    }
    // An upload (or a message) that is a zip is refused with what to do: a service does
    // not copy whatever it is sent to disk.
    let e = raqib_ingest::open_bytes(good.clone(), "upload.zip", &Options::default())
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("upload.zip") && e.contains("send the files inside it"),
        "{e}"
    );
    // A zip that comes as a stream (a member of a tar archive, a `.zip.gz`) is copied to a
    // temporary file with no name and read inside, each member named through the stream's
    // name (`raqib scan -` in `crates/cli/tests/media.rs` checks that its `TMPDIR` stays
    // empty).
    let whole = |name: &str| {
        let mut want: Vec<(String, String)> = (0..200)
            .map(|i| (format!("p{i}"), format!("{name}/a.jsonl")))
            .collect();
        want.push(("b".into(), format!("{name}/b.jsonl")));
        want
    };
    // Every post with its file, and no diagnostic.
    let read_whole = |f: &str| {
        let (_, diags) = split(read_all(f, &Options::default()).unwrap());
        assert!(diags.is_empty(), "{diags:?}");
        posts_by_file(f)
            .into_iter()
            .map(|(file, _, id)| (id, file))
            .collect::<Vec<_>>()
    };
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(good.len() as u64);
    b.append_data(&mut h, "inner.zip", &good[..]).unwrap();
    let f = write(&dir, "outer.tar", &b.into_inner().unwrap());
    assert_eq!(read_whole(&f), whole(&format!("{f}/inner.zip")));
    // The copy is counted as it is made, for the progress line.
    let opts = Options::default();
    read_all(&f, &opts).unwrap();
    assert_eq!(
        opts.spooled.load(std::sync::atomic::Ordering::Relaxed),
        good.len() as u64
    );
    // Its members stay reachable by the names its posts give them (a post's photo, hashed
    // by a scan's worker after the reader has moved on), though no file has that path.
    let member = |p: String| {
        let mut got = String::new();
        raqib_ingest::zip_member_reader(std::path::Path::new(&p))
            .expect("inside a spooled zip")
            .expect("opens")
            .read_to_string(&mut got)
            .unwrap();
        got
    };
    assert!(member(format!("{f}/inner.zip/b.jsonl")).contains("\"b\""));
    assert!(
        raqib_ingest::zip_member_reader(std::path::Path::new(&format!("{f}/inner.zip/none.jpg")))
            .expect("inside a spooled zip")
            .is_err()
    );
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&good).unwrap();
        e.finish().unwrap()
    };
    let f = write(&dir, "export.zip.gz", &gz);
    assert_eq!(read_whole(&f), whole(&f));
    // Cut short inside the gzip: what came is read as a zip cut short is, and the break
    // is said first.
    let f = write(&dir, "cut.zip.gz", &gz[..gz.len() * 2 / 3]);
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert!(
        diags[0].message.contains("stream broke") && diags[1].message.contains("index"),
        "{diags:?}"
    );
    let ids: Vec<&str> = posts(&recs).iter().map(|p| p.id.as_str()).collect();
    assert!(!ids.is_empty() && ids.iter().enumerate().all(|(i, id)| *id == format!("p{i}")));
}

/// Archives inside archives are opened up to `MAX_NESTING` deep, zips and tars alike;
/// deeper, the innermost is a diagnostic that says what to do, never an endless descent (a
/// zip that holds itself) or a stack overflow.
#[test]
fn archives_nested_too_deep_are_a_diagnostic() {
    use zip::CompressionMethod::Stored;
    let dir = tempfile::tempdir().unwrap();
    let tar_of = |name: &str, data: &[u8]| {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        b.append_data(&mut h, name, data).unwrap();
        b.into_inner().unwrap()
    };
    // `levels` archives, zip and tar by turns, the innermost holding a.jsonl.
    let nested = |levels: u32| {
        let (mut data, mut name) = (TWO.as_bytes().to_vec(), "a.jsonl".to_string());
        for i in 0..levels {
            data = match i % 2 {
                0 => zip_of(&[(name.as_str(), Stored, &data)]),
                _ => tar_of(&name, &data),
            };
            name = format!("{i}.{}", if i % 2 == 0 { "zip" } else { "tar" });
        }
        data
    };
    let deepest = raqib_ingest::MAX_NESTING + 1;
    let f = write(&dir, "ok.zip", &nested(deepest));
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert_eq!(posts(&recs).len(), 2, "{diags:?}");
    assert!(diags.is_empty(), "{diags:?}");
    let f = write(&dir, "deep.zip", &nested(deepest + 1));
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert!(posts(&recs).is_empty());
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(
        diags[0].message.contains("deeper than raqib opens")
            && diags[0].message.contains("extract it"),
        "{diags:?}"
    );
}

/// An iPhone's WhatsApp export as it is shared, `WhatsApp Chat - NAME.zip` with `_chat.txt`
/// and the attachments: read as is, the chat named by the zip, the photo a media reference
/// beside the chat in the zip.
#[test]
fn a_zipped_whatsapp_export_is_read_as_shared() {
    use zip::CompressionMethod::{Deflated, Stored};
    let dir = tempfile::tempdir().unwrap();
    let chat =
        "[02/11/2026, 10:00:00] Ann: \u{200e}<attached: 00000012-PHOTO-2026-11-02-10-00-00.jpg>\n\
                [02/11/2026, 10:01:00] Bob: hello\n";
    let f = write(
        &dir,
        "WhatsApp Chat - Family.zip",
        &zip_of(&[
            ("_chat.txt", Deflated, chat.as_bytes()),
            (
                "00000012-PHOTO-2026-11-02-10-00-00.jpg",
                Stored,
                b"\xff\xd8\xff",
            ),
        ]),
    );
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let p = posts(&recs);
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].id, "Family/1");
    assert_eq!(p[1].text, "hello");
    let photo = p[0].media[0].url.as_deref().unwrap();
    let at = std::path::Path::new(&f).join(photo);
    assert!(raqib_ingest::is_zip_member(&at), "{}", at.display());
}

/// A zipped Telegram export made in both forms (HTML and JSON) is read once, from its
/// `result.json`, as its folder is; the pages left out are counted.
#[test]
fn a_zipped_telegram_export_in_both_forms_is_read_once() {
    use zip::CompressionMethod::Deflated;
    let dir = tempfile::tempdir().unwrap();
    let json = std::fs::read(data("telegram_result.json")).unwrap();
    let page = std::fs::read(data("telegram_html/messages.html")).unwrap();
    let page2 = std::fs::read(data("telegram_html/messages2.html")).unwrap();
    let both = zip_of(&[
        ("ChatExport/result.json", Deflated, &json),
        ("ChatExport/messages.html", Deflated, &page),
        ("ChatExport/messages2.html", Deflated, &page2),
    ]);
    let f = write(&dir, "both.zip", &both);
    let from_zip: Vec<String> = posts(&split(read_all(&f, &Options::default()).unwrap()).0)
        .iter()
        .map(|p| p.id.clone())
        .collect();
    let from_json: Vec<String> =
        posts(&split(read_all(&data("telegram_result.json"), &Options::default()).unwrap()).0)
            .iter()
            .map(|p| p.id.clone())
            .collect();
    assert_eq!(from_zip, from_json);
    let c = raqib_ingest::zip_contents(&f).unwrap();
    assert_eq!((c.inputs, c.others, c.doubled), (1, 0, 2));
    // Made in HTML only: its pages are read.
    let html = zip_of(&[
        ("ChatExport/messages.html", Deflated, &page),
        ("ChatExport/messages2.html", Deflated, &page2),
    ]);
    let f = write(&dir, "html.zip", &html);
    assert!(!posts(&split(read_all(&f, &Options::default()).unwrap()).0).is_empty());
    assert_eq!(raqib_ingest::zip_contents(&f).unwrap().inputs, 2);
    // An archive replaced at the same path is read anew.
    std::fs::write(&f, &both).unwrap();
    let again: Vec<String> = posts(&split(read_all(&f, &Options::default()).unwrap()).0)
        .iter()
        .map(|p| p.id.clone())
        .collect();
    assert_eq!(again, from_json);
}

/// A zipped export's media, as `--hash-media` reads them: a path through the archive
/// (`EXPORT.zip/photos/a.jpg`) gives the member's bytes; a path that is not inside a zip
/// gives nothing; an archive replaced at the same path is read anew, not from the index
/// kept of it.
#[test]
fn a_member_of_a_zip_is_read_by_its_path_through_the_archive() {
    use std::io::Read;
    use zip::CompressionMethod::{Deflated, Stored};
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "export.zip",
        &zip_of(&[("chat/photos/a.jpg", Deflated, b"first photo")]),
    );
    let read = |p: &str| -> Option<Result<Vec<u8>, String>> {
        raqib_ingest::zip_member_reader(std::path::Path::new(p)).map(|r| {
            let mut b = Vec::new();
            r?.read_to_end(&mut b).map_err(|e| e.to_string())?;
            Ok(b)
        })
    };
    let member = format!("{f}/chat/photos/a.jpg");
    assert_eq!(read(&member), Some(Ok(b"first photo".to_vec())));
    assert!(raqib_ingest::is_zip_member(std::path::Path::new(&member)));
    assert!(matches!(
        read(&format!("{f}/chat/photos/b.jpg")),
        Some(Err(_))
    ));
    assert!(!raqib_ingest::is_zip_member(std::path::Path::new(
        &format!("{f}/b.jpg")
    )));
    let plain = write(&dir, "plain.jsonl", b"{}\n");
    assert_eq!(read(&format!("{plain}/a.jpg")), None);
    assert_eq!(
        read(&format!("{}/photos/a.jpg", dir.path().display())),
        None
    );
    std::fs::write(
        &f,
        zip_of(&[
            ("README.md", Stored, b"notes"),
            ("chat/photos/a.jpg", Stored, b"the second photo"),
        ]),
    )
    .unwrap();
    assert_eq!(read(&member), Some(Ok(b"the second photo".to_vec())));
}

/// A Twitter account archive as Twitter hands it over, zipped: its tweets read with the
/// owner and the long posts from the files beside them in the archive, as from the folder.
#[test]
fn a_zipped_twitter_archive_reads_as_the_folder() {
    use zip::CompressionMethod::Deflated;
    let dir = tempfile::tempdir().unwrap();
    let folder = data("twitter_archive/data");
    let mut members: Vec<(String, Vec<u8>)> = std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                format!("data/{}", e.file_name().to_string_lossy()),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    members.push(("Your archive.html".into(), b"<html></html>".to_vec()));
    members.push(("data/tweets_media/1-a.jpg".into(), vec![0xff, 0xd8]));
    let list: Vec<(&str, zip::CompressionMethod, &[u8])> = members
        .iter()
        .map(|(n, b)| (n.as_str(), Deflated, b.as_slice()))
        .collect();
    let f = write(&dir, "twitter-2026-11-30.zip", &zip_of(&list));
    let from_zip = read_all(&f, &Options::default()).unwrap();
    let mut from_folder = Vec::new();
    for tweets in ["deleted-tweets.js", "tweets.js"] {
        from_folder.extend(read_all(&format!("{folder}/{tweets}"), &Options::default()).unwrap());
    }
    let (zip_records, zip_diags) = split(from_zip);
    let (folder_records, _) = split(from_folder);
    assert!(zip_diags.is_empty(), "{zip_diags:?}");
    assert!(matches!(&zip_records[0], Record::Account(a) if a.id == "9000000101"));
    assert_eq!(zip_records, folder_records);
    // The long post no tweet takes is a post of its own here too.
    assert!(posts(&zip_records)
        .iter()
        .any(|p| p.id == "1600000000000000998"));
}

/// A Twitter account archive in a tar on disk (`tar czf`), its `account.js` and notes after
/// its tweets: the archive is read again for the files beside the tweets, which read with
/// their owner and long posts as from the folder. A tar that comes as a stream cannot be
/// read again, and gives the tweets alone.
#[test]
fn a_tarred_twitter_archive_reads_as_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let folder = data("twitter_archive/data");
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    // The tweets first, their neighbours after them: the order a folder's walk may give.
    names.sort_by_key(|n| (!n.contains("tweets"), n.starts_with("deleted"), n.clone()));
    assert_eq!(names[0], "tweets.js", "{names:?}");
    let mut b = tar::Builder::new(Vec::new());
    for n in &names {
        let bytes = std::fs::read(format!("{folder}/{n}")).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        b.append_data(&mut h, format!("./data/{n}"), &bytes[..])
            .unwrap();
    }
    let tar = b.into_inner().unwrap();
    let mut from_folder = Vec::new();
    for tweets in ["tweets.js", "deleted-tweets.js"] {
        from_folder.extend(read_all(&format!("{folder}/{tweets}"), &Options::default()).unwrap());
    }
    let (folder_records, _) = split(from_folder);
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&tar).unwrap();
        e.finish().unwrap()
    };
    for (name, bytes) in [("archive.tar", &tar), ("archive.tar.gz", &gz)] {
        let f = write(&dir, name, bytes);
        let (records, diags) = split(read_all(&f, &Options::default()).unwrap());
        assert!(diags.is_empty(), "{name}: {diags:?}");
        assert!(
            matches!(&records[0], Record::Account(a) if a.id == "9000000101"),
            "{name}"
        );
        assert_eq!(records, folder_records, "{name}");
        assert!(posts(&records)
            .iter()
            .any(|p| p.id == "1600000000000000998"));
    }
    // Cut short inside its tweets, with the owner's files first: the owner is still read
    // (what came before the cut), and the cut is reported.
    let mut b = tar::Builder::new(Vec::new());
    let mut tweets_at = 0;
    for n in names.iter().rev() {
        let bytes = std::fs::read(format!("{folder}/{n}")).unwrap();
        if n == "tweets.js" {
            tweets_at = b.get_ref().len();
        }
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        b.append_data(&mut h, format!("data/{n}"), &bytes[..])
            .unwrap();
    }
    let whole = b.into_inner().unwrap();
    let f = write(&dir, "cut.tar", &whole[..tweets_at + 512 + 300]);
    let (records, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert!(
        matches!(&records[0], Record::Account(a) if a.id == "9000000101"),
        "{records:?}"
    );
    assert!(!diags.is_empty());
    // Inside a zip (a stream to the tar reader): the tweets alone, no owner.
    let f = write(
        &dir,
        "outer.zip",
        &zip_of(&[("archive.tar", zip::CompressionMethod::Stored, &tar[..])]),
    );
    let (records, _) = split(read_all(&f, &Options::default()).unwrap());
    assert!(!records.iter().any(|r| matches!(r, Record::Account(_))));
    assert!(!posts(&records).is_empty());
}

#[test]
fn bad_lines_are_diagnostics_with_their_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = Vec::new();
    b.extend_from_slice(b"\xEF\xBB\xBF{\"id\":1,\"text\":\"with bom\"}\r\n"); // 1
    b.extend_from_slice(b"{\"id\":2,\"text\":\"trunc"); // 2
    b.extend_from_slice(b"\n\n"); // 3 blank
    b.extend_from_slice(b"not json at all\n"); // 4
    b.extend_from_slice(b"{\"id\":5,\"text\":\"\xff\xfe\"}\n"); // 5
    b.extend_from_slice(&[0u8, 1, 2, 3, 0x80, b'\n']); // 6 binary
    b.extend_from_slice(b"{\"id\":7,\"text\":\"ok\",\"new_field\":[1,{\"x\":2}]}\n"); // 7
    b.extend_from_slice(format!("{{\"id\":8,\"text\":\"{}\"}}\n", "x".repeat(5000)).as_bytes()); // 8 long
    b.extend_from_slice(b"{\"id\":9,\"text\":\"last, no newline\"}");
    let f = write(&dir, "mixed.jsonl", &b);
    let opts = Options {
        max_record_bytes: 1000,
        chunk_bytes: 64,
        ..Default::default()
    };
    let (recs, diags) = split(read_all(&f, &opts).unwrap());
    let ids: Vec<&str> = posts(&recs).iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, vec!["1", "7", "9"]);
    let mut lines: Vec<u64> = diags.iter().map(|d| d.at.line).collect();
    lines.sort_unstable();
    assert_eq!(lines, vec![2, 4, 5, 6, 8], "{diags:#?}");
    let long = diags.iter().find(|d| d.at.line == 8).unwrap();
    assert!(long.message.contains("--max-record-bytes"), "{long}");
    let utf = diags.iter().find(|d| d.at.line == 5).unwrap();
    assert!(utf.message.contains("UTF-8"), "{utf}");
}

#[test]
fn empty_file_missing_file_and_directory_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "empty.jsonl", b"");
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert!(recs.is_empty());
    assert!(diags[0].message.contains("empty"), "{diags:?}");
    let err = read_all("/nonexistent/x.jsonl", &Options::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("/nonexistent/x.jsonl") && err.contains("cannot open"),
        "{err}"
    );
    let err = read_all(dir.path().to_str().unwrap(), &Options::default())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("directory"), "{err}");
}

#[test]
fn explicit_format_overrides_detection() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "posts.txt", b"text,label\nhello,1\n");
    let opts = Options {
        format: Format::Csv,
        ..Default::default()
    };
    let (recs, _) = split(read_all(&f, &opts).unwrap());
    assert_eq!(posts(&recs)[0].label, Some(true));
}

#[derive(Debug, Clone)]
enum Line {
    Good,
    Garbage(Vec<u8>),
    Long,
    Blank,
}

fn line_strategy() -> impl Strategy<Value = Line> {
    prop_oneof![
        4 => Just(Line::Good),
        1 => proptest::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 1..40).prop_map(Line::Garbage),
        1 => Just(Line::Long),
        1 => Just(Line::Blank),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every line is accounted for at its own line number, whatever the chunk size: good
    /// lines are records, over-long ones diagnostics, blank ones nothing.
    #[test]
    fn every_line_is_accounted_for(lines in proptest::collection::vec(line_strategy(), 0..40), chunk in 1usize..300, last_newline in any::<bool>()) {
        let mut bytes = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            match l {
                Line::Good => bytes.extend_from_slice(format!("{{\"id\":\"{}\",\"text\":\"t\"}}", i + 1).as_bytes()),
                Line::Garbage(g) => bytes.extend_from_slice(g),
                Line::Long => bytes.extend_from_slice(format!("{{\"id\":\"{}\",\"text\":\"{}\"}}", i + 1, "y".repeat(200)).as_bytes()),
                Line::Blank => {}
            }
            bytes.push(b'\n');
        }
        if !last_newline {
            bytes.pop(); // a file whose last line has no newline
        }
        let dir = tempfile::tempdir().unwrap();
        let f = write(&dir, "p.jsonl", &bytes);
        let opts = Options { max_record_bytes: 100, chunk_bytes: chunk, format: Format::Jsonl, ..Default::default() };
        let mut got_ok = Vec::new();
        let mut got_err = Vec::new();
        for c in open_chunks(&f, &opts).unwrap() {
            c.for_each_record(|line, r| match r {
                Ok(Record::Post(p)) => { assert_eq!(p.id, line.to_string()); got_ok.push(line) }
                Ok(_) => {}
                Err(d) => { assert_eq!(d.at.line, line); got_err.push(line) }
            });
        }
        let want_ok: Vec<u64> = lines.iter().enumerate().filter(|(_, l)| matches!(l, Line::Good)).map(|(i, _)| i as u64 + 1).collect();
        got_ok.sort_unstable();
        prop_assert_eq!(got_ok, want_ok);
        for (i, l) in lines.iter().enumerate() {
            if matches!(l, Line::Long) {
                prop_assert!(got_err.contains(&(i as u64 + 1)), "long line {} not reported: {:?}", i + 1, got_err);
            }
        }
        if lines.is_empty() {
            prop_assert_eq!(got_err, vec![0]);
        }
    }

    #[test]
    fn line_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = raqib_ingest::parse_raqib_line(&bytes, None);
        let _ = raqib_ingest::parse_twitter_page(&bytes);
    }
}

#[test]
fn twitter_responses_one_per_line_are_read_as_a_stream() {
    let dir = tempfile::tempdir().unwrap();
    let lines = concat!(
        r#"{"data":[{"id":"1","text":"first","author_id":"9"}],"includes":{"users":[{"id":"9","username":"u9"}]}}"#,
        "\n",
        "{\"data\":[{\"id\":\"2\"\n",
        r#"{"data":{"id":"3","text":"third"}}"#,
        "\n",
    );
    let f = write(&dir, "stream.jsonl", lines.as_bytes());
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    let ids: Vec<&str> = posts(&recs).iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, vec!["1", "3"]);
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].at.line, 2);
    assert!(diags[0].message.contains("Twitter API v2"), "{}", diags[0]);
}

#[test]
fn telegram_whole_account_export_reads_every_chat() {
    let dir = tempfile::tempdir().unwrap();
    let doc = r#"{"about":"export","chats":{"about":"","list":[
        {"name":"A","type":"public_channel","id":1,"messages":[{"id":1,"type":"message","from_id":"channel1","text":"a"}]},
        {"name":"B","type":"private_group","id":2,"messages":[{"id":1,"type":"message","from":"x","from_id":"user5","text":[{"type":"bold","text":"b"}]}]}
    ]}}"#;
    let f = write(&dir, "result.json", doc.as_bytes());
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let p = posts(&recs);
    assert_eq!(p.len(), 2);
    assert_eq!((p[0].id.as_str(), p[1].id.as_str()), ("1/1", "2/1"));
    assert_eq!(p[1].text, "b");
    assert_eq!(p[1].account, "user5");
}

#[test]
fn tsv_and_a_byte_order_mark_are_handled() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "posts.tsv",
        "\u{feff}id\ttext\tlabel\n1\thello, world\t0\n".as_bytes(),
    );
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(posts(&recs)[0].text, "hello, world");
    assert_eq!(posts(&recs)[0].id, "1");
}

/// A CSV whose rows repeat their author's profile columns gives one account record per
/// account (platform and id), from the first row that names it, before that row's post;
/// a later row's malformed account column is still that row's diagnostic.
#[test]
fn csv_makes_one_account_record_per_account() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    std::fs::write(
        &path,
        "id,platform,user_id,username,bio,followers,account_created_at,text\n\
         1,x,7,first_handle,bio one,10,2020-01-01,hello\n\
         2,x,7,later_handle,bio two,20,2020-01-01,again\n\
         3,y,7,other_platform,,,,same id elsewhere\n\
         4,x,8,,,,,no profile columns\n\
         5,x,7,first_handle,bio one,10,not a date,bad account date\n\
         6,x,9,third,,5,,third account\n",
    )
    .unwrap();
    let (recs, diags) = split(read_all(path.to_str().unwrap(), &Options::default()).unwrap());
    let accounts: Vec<(String, String, Option<String>, Option<u64>)> = recs
        .iter()
        .filter_map(|r| match r {
            Record::Account(a) => Some((
                a.platform.clone(),
                a.id.clone(),
                a.handle.clone(),
                a.followers,
            )),
            _ => None,
        })
        .collect();
    let want = |p: &str, id: &str, h: &str, f: Option<u64>| {
        (p.to_string(), id.to_string(), Some(h.to_string()), f)
    };
    assert_eq!(
        accounts,
        vec![
            want("x", "7", "first_handle", Some(10)),
            want("y", "7", "other_platform", None),
            want("x", "9", "third", Some(5)),
        ]
    );
    // The account comes before its first post.
    assert!(matches!(&recs[0], Record::Account(a) if a.id == "7"));
    assert_eq!(posts(&recs).len(), 5);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].at.line, 6);
    assert!(diags[0].message.contains("account_created_at"), "{diags:?}");
}

/// A CSV row whose text is not UTF-8 is a diagnostic that names the column, the byte and
/// the line; the rows around it still load, and an invalid column raqib does not read
/// costs nothing.
#[test]
fn csv_row_with_invalid_utf8_is_a_diagnostic_with_its_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    let mut bytes = b"id,text,notes\n1,before,x\n2,".to_vec();
    bytes.extend_from_slice("نص ".as_bytes());
    bytes.extend_from_slice(b"\xff\xfe tail,y\n3,after,\xc3\n");
    std::fs::write(&path, bytes).unwrap();
    let (recs, diags) = split(read_all(path.to_str().unwrap(), &Options::default()).unwrap());
    let texts: Vec<&str> = posts(&recs).iter().map(|p| p.text.as_str()).collect();
    assert_eq!(texts, vec!["before", "after"]);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].at.line, 3);
    assert!(
        diags[0]
            .message
            .contains("column `text` is not valid UTF-8 (byte 5)"),
        "{diags:?}"
    );
}

/// A CSV's chunks say how many bytes they were read from, so progress on a CSV shows its
/// megabytes: every byte once, header included.
#[test]
fn csv_chunks_count_the_bytes_they_were_read_from() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.csv");
    let mut body = String::from("id,text\n");
    for i in 0..10_000 {
        body.push_str(&format!("{i},\"post number {i}, with a comma\"\n"));
    }
    std::fs::write(&path, &body).unwrap();
    let chunks: Vec<_> = open_chunks(path.to_str().unwrap(), &Options::default())
        .unwrap()
        .collect();
    assert!(chunks.len() > 1, "{} chunks", chunks.len());
    let read: usize = chunks.iter().map(|c| c.len_bytes()).sum();
    assert_eq!(read, body.len());
}

/// A tweet as the v1.1 streaming API wrote it (shortened), with the author inline.
fn v1_tweet(id: u64, user: u64, text: &str) -> String {
    serde_json::json!({
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "id": id, "id_str": id.to_string(), "text": text, "truncated": false,
        "entities": {"hashtags": [], "urls": [], "user_mentions": []},
        "user": {"id": user, "id_str": user.to_string(), "screen_name": format!("user{user}"),
                 "description": "a bio", "followers_count": user * 10},
        "retweet_count": 0, "lang": "en"
    })
    .to_string()
}

#[test]
fn a_v1_stream_of_tweets_is_detected_and_read_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = vec![
        v1_tweet(1050118621198921728, 7, "first &amp; foremost"), // 1
        r#"{"delete":{"status":{"id":5,"id_str":"5","user_id":7}}}"#.to_string(), // 2
        v1_tweet(2, 8, "second"),                                 // 3
        "{\"id_str\":\"4\",\"text\":\"cut".to_string(),           // 4
        r#"{"limit":{"track":3,"timestamp_ms":"1539202764000"}}"#.to_string(), // 5
        r#"{"id_str":"6","user":{"id_str":"7"}}"#.to_string(),    // 6
    ];
    for i in 0..1000 {
        lines.push(v1_tweet(100 + i, 7 + i % 2, "more")); // 7..1006
    }
    let body = lines.join("\n") + "\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.as_bytes()).unwrap();
    let f = write(&dir, "stream.json.gz", &gz.finish().unwrap());
    let opts = Options {
        chunk_bytes: 2048, // several chunks
        ..Default::default()
    };
    let mut items = Vec::new();
    let mut chunks = 0;
    for c in open_chunks(&f, &opts).unwrap() {
        chunks += 1;
        let mut accounts = Vec::new();
        c.for_each_record(|line, r| {
            if let Ok(Record::Account(a)) = &r {
                assert!(
                    !accounts.contains(&a.id),
                    "account {} twice in a chunk",
                    a.id
                );
                accounts.push(a.id.clone());
            }
            items.push((line, r))
        });
    }
    assert!(chunks >= 2, "{chunks} chunks");
    let ps = posts_ok_at(&items);
    assert_eq!(ps.len(), 1002);
    assert_eq!(ps[0].0, 1);
    assert_eq!(ps[0].1.id, "1050118621198921728", "ids past 2^53 exact");
    assert_eq!(ps[0].1.text, "first & foremost");
    assert_eq!((ps[0].1.account.as_str(), ps[0].1.reach), ("7", Some(70)));
    assert_eq!(ps[1].0, 3);
    let mut diags: Vec<(u64, String)> = items
        .iter()
        .filter_map(|(l, r)| r.as_ref().err().map(|d| (*l, d.message.clone())))
        .collect();
    diags.sort();
    assert_eq!(diags.len(), 2, "{diags:?}");
    assert_eq!(diags[0].0, 4);
    assert!(diags[0].1.contains("not a tweet object"), "{}", diags[0].1);
    assert_eq!(diags[1].0, 6);
    assert!(
        diags[1].1.contains("tweet 6 has no `text`"),
        "{}",
        diags[1].1
    );
    // Each author's account is there, with its profile.
    for id in ["7", "8"] {
        let a = items.iter().find_map(|(_, r)| match r {
            Ok(Record::Account(a)) if a.id == id => Some(a),
            _ => None,
        });
        assert_eq!(a.unwrap().handle, Some(format!("user{id}")));
    }
}

#[test]
fn flattened_v2_tweets_are_detected_and_a_raqib_file_is_not_taken_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let flat = concat!(
        r#"{"id":"20","text":"hi","author_id":"3","author":{"id":"3","username":"u3","public_metrics":{"followers_count":5}},"__twarc":{"version":"2.0.0"}}"#,
        "\n",
        r#"{"id":"21","text":"there","author_id":"3"}"#,
        "\n"
    );
    let f = write(&dir, "flat.jsonl", flat.as_bytes());
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let ps = posts(&recs);
    assert_eq!(ps.len(), 2);
    assert!(ps
        .iter()
        .all(|p| p.account == "3" && p.platform == "twitter"));
    assert_eq!(recs.len(), 3, "one account record");

    // raqib's own records (an `account`, no tweet fields) stay raqib's.
    let own = "{\"id\":\"1\",\"text\":\"x\",\"account\":\"a\",\"author_id\":\"b\"}\n";
    let f = write(&dir, "own.jsonl", own.as_bytes());
    let (recs, _) = split(read_all(&f, &Options::default()).unwrap());
    assert_eq!(posts(&recs)[0].account, "a");
    // `--format tweets` reads a file whose first line says nothing either way.
    let f = write(
        &dir,
        "odd.jsonl",
        b"{\"id\":9,\"text\":\"t\",\"author_id\":1}\n",
    );
    let opts = Options {
        format: "tweets".parse().unwrap(),
        ..Default::default()
    };
    let (recs, _) = split(read_all(&f, &opts).unwrap());
    assert_eq!(posts(&recs)[0].account, "1");
}

/// What Twitter does to a tweet's text: `&`, `<`, `>` as HTML entities.
fn twitter_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A tweet's text comes back as it was written, whatever it holds (entities the
    /// author typed included), and its ids exactly, in both versions' shapes.
    #[test]
    fn tweet_text_and_ids_survive_the_reader(text in "[a-z &;<>#@\u{0600}-\u{06FF}]{0,40}", id in any::<u64>(), user in any::<u64>(), v2 in any::<bool>()) {
        let line = if v2 {
            serde_json::json!({"id": id.to_string(), "text": twitter_escape(&text), "author_id": user.to_string(),
                               "author": {"id": user.to_string(), "username": "u"}})
        } else {
            serde_json::json!({"id": id, "id_str": id.to_string(), "text": twitter_escape(&text),
                               "user": {"id": user, "id_str": user.to_string(), "screen_name": "u"}})
        };
        let recs = raqib_ingest::parse_tweet(line.to_string().as_bytes()).unwrap();
        let ps = posts(&recs);
        prop_assert_eq!(ps.len(), 1);
        prop_assert_eq!(&ps[0].text, &text);
        prop_assert_eq!(&ps[0].id, &id.to_string());
        prop_assert_eq!(&ps[0].account, &user.to_string());
    }

    #[test]
    fn the_tweet_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = raqib_ingest::parse_tweet(&bytes);
    }
}

/// What `json.dump(records, f, indent=2)` writes, gzipped: read as a stream of records,
/// accounts and posts alike, each at the line its element starts on.
#[test]
fn a_json_array_as_python_writes_it_is_read_record_by_record() {
    let records = serde_json::json!([
        {"type": "account", "id": "a1", "handle": "someone", "followers": 12},
        {"id": "p1", "account": "a1", "text": "first"},
        {"id": "p2", "account": "a1", "text": "second", "urls": ["https://example.org/x"]}
    ]);
    let doc = serde_json::to_string_pretty(&records).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(doc.as_bytes()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "export.json.gz", &gz.finish().unwrap());
    let mut items = Vec::new();
    for c in open_chunks(&f, &Options::default()).unwrap() {
        c.for_each_record(|line, r| items.push((line, r.unwrap())));
    }
    assert_eq!(items.len(), 3);
    let Record::Account(a) = &items[0].1 else {
        panic!("{:?}", items[0])
    };
    assert_eq!((items[0].0, a.handle.as_deref()), (2, Some("someone")));
    let lines: Vec<u64> = items.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![2, 8, 13]);
    let ps: Vec<Record> = items.into_iter().map(|(_, r)| r).collect();
    let ps = posts(&ps);
    assert_eq!(ps[1].urls, vec!["https://example.org/x"]);
}

/// A Mastodon account archive: `actor.json` is the account, `outbox.json` a collection
/// whose `orderedItems` are read one by one (in chunks, at their lines), whatever
/// members come before or after them.
#[test]
fn a_mastodon_archive_reads_as_its_account_and_posts() {
    let (recs, diags) = split(read_all(&data("mastodon/actor.json"), &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let Record::Account(a) = &recs[0] else {
        panic!("{recs:?}")
    };
    assert_eq!(a.id, "https://social.example/users/someone");
    assert_eq!(a.handle.as_deref(), Some("someone"));
    assert_eq!(recs.len(), 1);

    let opts = Options {
        chunk_bytes: 64,
        ..Default::default()
    };
    let mut items = Vec::new();
    let mut chunks = 0;
    for c in open_chunks(&data("mastodon/outbox.json"), &opts).unwrap() {
        chunks += 1;
        c.for_each_record(|line, r| items.push((line, r.unwrap())));
    }
    assert!(chunks >= 2);
    let ps = posts_at(&items);
    assert_eq!(ps.len(), 2, "the boost by reference holds no post");
    assert_eq!(ps[0].0, 7);
    assert_eq!(ps[0].1.account, "https://social.example/users/someone");
    assert!(ps[0].1.text.starts_with("Join the soldiers"));
    assert_eq!(ps[0].1.urls, vec!["https://files.example/release"]);
    assert_eq!(
        ps[0].1.media[0].alt.as_deref(),
        Some("A poster with a black flag"),
        "an attachment's name is its description"
    );
    assert_eq!(ps[1].0, 31);

    // Members after the items, and a document cut short.
    let dir = tempfile::tempdir().unwrap();
    let doc = r#"{"orderedItems": [{"type":"Note","id":"n1","content":"a"}], "totalItems": 1, "x": {"y": [1]}}"#;
    let f = write(&dir, "outbox.json", doc.as_bytes());
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert_eq!((recs.len(), diags.len()), (1, 0), "{diags:?}");
    let cut = "{\"@context\": \"x\", \"orderedItems\": [\n{\"type\":\"Note\",\"id\":\"n1\",\"content\":\"a\"},\n{\"type\":\"No";
    let f = write(&dir, "cut.json", cut.as_bytes());
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert_eq!(recs.len(), 1);
    assert_eq!(diags[0].at.line, 3, "{diags:?}");
    assert!(diags[0].message.contains("cut short"), "{}", diags[0]);
}

/// Mastodon API statuses as the API returns them (a JSON array), and ActivityPub
/// objects one per line.
#[test]
fn mastodon_statuses_and_activitypub_lines_are_detected() {
    let (recs, diags) =
        split(read_all(&data("mastodon_statuses.json"), &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let ps = posts(&recs);
    assert_eq!(ps.len(), 2);
    assert_eq!(ps[0].lang.as_deref(), Some("ar"));
    let alts: Vec<Option<&str>> = ps
        .iter()
        .flat_map(|p| p.media.iter().map(|m| m.alt.as_deref()))
        .collect();
    assert_eq!(alts, [Some("A crowd at a market")]);
    assert_eq!(
        ps[1].share_of.as_deref(),
        Some("https://far.example/users/x/statuses/1")
    );
    assert_eq!(recs.len(), 3, "the booster's account once");

    let dir = tempfile::tempdir().unwrap();
    let lines = concat!(
        r#"{"type":"Create","actor":"a","object":{"type":"Note","id":"n1","content":"<p>one</p>"}}"#,
        "\n",
        r#"{"type":"Like","actor":"a","object":"n0"}"#,
        "\n",
        r#"{"type":"Note","content":"no id"}"#,
        "\n",
    );
    let f = write(&dir, "inbox.jsonl", lines.as_bytes());
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert_eq!(posts(&recs)[0].text, "one");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].at.line, 3);
}

/// An Element "Export chat" JSON: taken for a Matrix room (not for a Telegram export,
/// though both have `messages`), its events read one by one at their lines: the member's
/// account, the messages, a reply without its quote, an image, and the encrypted event
/// as a diagnostic.
#[test]
fn an_element_export_is_read_event_by_event() {
    let opts = Options {
        chunk_bytes: 200,
        ..Default::default()
    };
    let mut items = Vec::new();
    for c in open_chunks(&data("element_export.json"), &opts).unwrap() {
        c.for_each_record(|line, r| items.push((line, r)));
    }
    let accounts: Vec<&str> = items
        .iter()
        .filter_map(|(_, r)| match r {
            Ok(Record::Account(a)) => Some(a.display_name.as_deref().unwrap_or("")),
            _ => None,
        })
        .collect();
    assert_eq!(accounts, vec!["Some One"]);
    let ps = posts_ok_at(&items);
    assert_eq!(ps.len(), 3);
    assert_eq!(ps[0].1.account, "@someone:chat.example");
    assert_eq!(ps[0].1.platform, "matrix");
    let line_of = |id: &str| {
        let text = std::fs::read_to_string(data("element_export.json")).unwrap();
        let at = text.find(&format!("\"event_id\": \"{id}\"")).unwrap();
        // The event starts at the last `{` at two levels of indentation before its id.
        let start = text[..at].rfind("\n    {").unwrap() + 1;
        text[..start].matches('\n').count() as u64 + 1
    };
    assert_eq!(ps[0].0, line_of("$m1"));
    assert_eq!(
        ps[1].1.text,
        "Police say two men were arrested over the posts"
    );
    assert_eq!(ps[1].1.reply_to.as_deref(), Some("$m1"));
    assert_eq!(ps[2].1.media[0].kind, "image");
    let diags: Vec<(u64, &Diagnostic)> = items
        .iter()
        .filter_map(|(l, r)| r.as_ref().err().map(|d| (*l, d)))
        .collect();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].0, line_of("$m4"));
    assert!(diags[0].1.message.contains("encrypted"));
}

/// A channel as DiscordChatExporter writes it: taken for Discord (not for a Telegram
/// export, though both have `messages`), its messages read at their lines, a join notice
/// passed over, each author's account once.
#[test]
fn a_discord_chat_export_is_read_message_by_message() {
    let mut items = Vec::new();
    for c in open_chunks(&data("discord_channel.json"), &Options::default()).unwrap() {
        c.for_each_record(|line, r| items.push((line, r.unwrap())));
    }
    let (accounts, ps): (Vec<_>, Vec<_>) = items
        .iter()
        .partition(|(_, r)| matches!(r, Record::Account(_)));
    assert_eq!(accounts.len(), 2);
    assert_eq!(ps.len(), 2, "the join notice holds no post");
    let Record::Post(first) = &ps[0].1 else {
        panic!()
    };
    assert_eq!(first.platform, "discord");
    assert_eq!(first.media[0].kind, "image");
    let text = std::fs::read_to_string(data("discord_channel.json")).unwrap();
    let id_at = text.find("\"800000000000000002\"").unwrap();
    let start = text[..id_at].rfind("\n    {").unwrap() + 1;
    assert_eq!(ps[0].0, text[..start].matches('\n').count() as u64 + 1);
    let Record::Post(reply) = &ps[1].1 else {
        panic!()
    };
    assert_eq!(reply.reply_to.as_deref(), Some("800000000000000002"));
    assert_eq!(
        reply.text,
        "Police say two men were arrested over the posts"
    );
}

/// `--json-map` reads JSON of any shape: lines, an array, one pretty-printed object, each
/// record at its line; CSV files keep their own mapping.
#[test]
fn a_json_mapping_reads_records_of_any_shape() {
    let opts = Options {
        json_map: Some(std::sync::Arc::new(
            "text=body,account=author.id,handle=author.name,created_at=ts"
                .parse()
                .unwrap(),
        )),
        default_platform: Some("forum".into()),
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let rec = |i: u32| serde_json::json!({"body": format!("post {i}"), "author": {"id": i % 2, "name": format!("u{}", i % 2)}, "ts": 1600000000 + i});
    let lines: String = (0..4).map(|i| rec(i).to_string() + "\n").collect();
    let array = serde_json::to_string_pretty(&(0..4).map(rec).collect::<Vec<_>>()).unwrap();
    let one = serde_json::to_string_pretty(&rec(0)).unwrap();
    for (name, body, n, first_line) in [
        ("f.jsonl", lines, 4, 1),
        ("a.json", array, 4, 2),
        ("o.json", one, 1, 1),
    ] {
        let f = write(&dir, name, body.as_bytes());
        let mut items = Vec::new();
        for c in open_chunks(&f, &opts).unwrap() {
            c.for_each_record(|line, r| items.push((line, r.unwrap())));
        }
        let ps = posts_at(&items);
        assert_eq!(ps.len(), n, "{name}");
        assert_eq!(ps[0].0, first_line, "{name}");
        assert_eq!(ps[0].1.text, "post 0");
        assert_eq!(ps[0].1.platform, "forum");
        assert_eq!(ps[0].1.created_at, Some(1600000000));
        let accounts = items.len() - ps.len();
        assert_eq!(accounts, n.min(2), "{name}: each author once");
    }
    let f = write(&dir, "c.csv", b"text,username\nhello,u\n");
    let (recs, diags) = split(read_all(&f, &opts).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(posts(&recs)[0].text, "hello");
}

/// One reader's memory of the authors it gave is kept per format: a Discord user and a
/// Twitter user with the same id are two accounts, each given once.
#[test]
fn authors_seen_are_kept_apart_by_platform() {
    let tweets = b"{\"id_str\":\"1\",\"text\":\"a\",\"user\":{\"id_str\":\"123\",\"screen_name\":\"t\"}}\n{\"id_str\":\"2\",\"text\":\"b\",\"user\":{\"id_str\":\"123\",\"screen_name\":\"t\"}}\n";
    let discord = b"{\"id\":\"9\",\"content\":\"c\",\"timestamp\":\"2026-11-01T00:00:00Z\",\"author\":{\"id\":\"123\",\"name\":\"d\",\"discriminator\":\"0\"}}\n";
    let mut state = raqib_ingest::ReadState::default();
    let mut accounts = Vec::new();
    for (name, bytes) in [("t.jsonl", &tweets[..]), ("d.jsonl", &discord[..])] {
        for c in raqib_ingest::open_bytes(bytes.to_vec(), name, &Options::default()).unwrap() {
            c.for_each_record_reusing(&mut state, |_, r, _| {
                if let Ok(Record::Account(a)) = r {
                    accounts.push((a.platform.clone(), a.id.clone()));
                }
            });
        }
    }
    assert_eq!(
        accounts,
        vec![
            ("twitter".to_string(), "123".to_string()),
            ("discord".to_string(), "123".to_string())
        ]
    );
}

/// Twitter's account archive: the tweets file detected by its first bytes, the owner's
/// account first (`account.js`, with `profile.js`'s bio and avatar, `follower.js`'s count
/// and `following.js`'s ids), then every tweet as the owner's post at the line its
/// element starts on.
#[test]
fn a_twitter_archive_reads_as_its_owner_and_tweets() {
    let items = read_all(&data("twitter_archive/data/tweets.js"), &Options::default()).unwrap();
    let (records, diags) = split(items);
    assert!(diags.is_empty(), "{diags:?}");
    let Record::Account(owner) = &records[0] else {
        panic!("the owner first: {:?}", records[0])
    };
    assert_eq!(owner.id, "9000000101");
    assert_eq!(owner.platform, "twitter");
    assert_eq!(owner.handle.as_deref(), Some("example_ansar"));
    assert_eq!(owner.display_name.as_deref(), Some("Example Owner"));
    assert_eq!(owner.bio.as_deref(), Some("synthetic test account"));
    assert_eq!(owner.created_at, Some(1793347200));
    assert_eq!(
        owner.avatar.as_ref().and_then(|a| a.url.as_deref()),
        Some("https://pbs.example/profile_images/1/a.jpg")
    );
    assert_eq!(owner.followers, Some(3));
    assert_eq!(owner.follows, ["9000000301", "9000000302"]);
    let all = posts(&records);
    assert_eq!(all.len(), 7);
    assert!(all.iter().all(|p| p.account == "9000000101"));
    // First, the long post that no tweet of the archive takes (written in the same second
    // as another, its text starting as no tweet's does): a post of its own, whole.
    let note = &all[0];
    assert_eq!(note.id, "1600000000000000998");
    assert!(note
        .text
        .starts_with("Another long post written in the same second"));
    assert!(note.text.ends_with("paper. "), "{}", note.text);
    assert_eq!(note.created_at, Some(1793815200));
    let p = &all[1..];
    assert_eq!(p[1].urls, ["https://news.example/trial"]);
    assert_eq!(p[2].reply_to.as_deref(), Some("1600000000000000050"));
    assert_eq!(p[3].media.len(), 1);
    assert_eq!(
        p[3].media[0].url.as_deref(),
        Some("https://pbs.example/media/m1.jpg")
    );
    let opts = Options::default();
    let chunks = open_chunks(&data("twitter_archive/data/tweets.js"), &opts);
    // The tweet files (tweets.js, deleted-tweets.js) were read once before the posts, for
    // which take the long posts, and a progress display can say so: each file but its
    // `window.YTD...` assignment.
    let ahead = opts.pre_read.load(std::sync::atomic::Ordering::Relaxed);
    let size: u64 = ["tweets.js", "deleted-tweets.js"]
        .iter()
        .map(|f| {
            std::fs::metadata(data(&format!("twitter_archive/data/{f}")))
                .unwrap()
                .len()
        })
        .sum();
    assert!(ahead > size - 80 && ahead <= size, "{ahead} of {size}");
    let lines: Vec<(String, u64)> = chunks
        .unwrap()
        .flat_map(|c| {
            let mut l = Vec::new();
            let file = c.file().rsplit('/').next().unwrap_or_default().to_string();
            c.for_each_record(|line, r| {
                if let Ok(Record::Post(_)) = r {
                    l.push((file.clone(), line))
                }
            });
            l
        })
        .collect();
    let at = |f: &str, l: u64| (f.to_string(), l);
    assert_eq!(
        lines,
        [
            at("note-tweet.js", 4),
            at("tweets.js", 2),
            at("tweets.js", 37),
            at("tweets.js", 82),
            at("tweets.js", 132),
            at("tweets.js", 185),
            at("tweets.js", 220)
        ]
    );
    // A video: its MP4 of the highest bitrate, whose copy the archive keeps.
    assert_eq!(p[5].media.len(), 1);
    assert_eq!(p[5].media[0].kind, "video");
    assert_eq!(
        p[5].media[0].url.as_deref(),
        Some("https://video.example/ext_tw_video/1/pu/vid/320x240/v1.mp4?tag=12")
    );
    // A long post: cut short in tweets.js, whole in note-tweet.js, where another note of
    // the same second comes first; the tweet takes the note whose text starts as its own.
    let long = &p[4];
    assert_eq!(long.id, "1600000000000000106");
    assert!(
        long.text.starts_with("A long day at the market")
            && long.text.ends_with(
                "glad tidings for the soldiers of the khilafah & their brothers https://t.co/note2"
            ),
        "{}",
        long.text
    );
    assert!(!long.text.contains('\u{2026}'), "{}", long.text);
    assert!(
        long.urls.iter().any(|u| u == "https://example.org/long"),
        "{:?}",
        long.urls
    );
    // The other tweets keep their own texts.
    assert_eq!(
        p[1].text,
        "Police say the trial of two suspects opens next week https://t.co/abc"
    );
}

/// An archive from before 2020 (`tweet.js`, the elements bare tweet objects), a tweets file
/// with no `account.js` beside it (its posts credited to no account, nothing skipped), a
/// broken `account.js` (a diagnostic naming it, the tweets read), and an archive file that
/// holds no tweets (refused, saying which files do).
#[test]
fn twitter_archives_old_alone_broken_and_not_tweets() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["old", "alone", "broken"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
    }
    let tweet =
        r#"{"id_str":"5","full_text":"hello there","created_at":"Mon Nov 02 10:00:00 +0000 2026"}"#;
    let old = write(
        &dir,
        "old/tweet.js",
        format!("\u{feff}window.YTD.tweet.part0 = [ {tweet} ]").as_bytes(),
    );
    write(
        &dir,
        "old/account.js",
        br#"window.YTD.account.part0 = [ {"account": {"accountId": "77", "username": "old_one"}} ]"#,
    );
    let (records, diags) = split(read_all(&old, &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    assert!(matches!(&records[0], Record::Account(a) if a.id == "77"));
    assert_eq!(posts(&records)[0].account, "77");
    assert_eq!(posts(&records)[0].text, "hello there");

    let alone = write(
        &dir,
        "alone/tweets.js",
        format!("window.YTD.tweets.part0 = [ {{\"tweet\": {tweet}}} ]").as_bytes(),
    );
    let opts = Options::default();
    let (records, diags) = split(read_all(&alone, &opts).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(records.len(), 1);
    // No long posts beside it: the tweets are not read ahead.
    assert_eq!(opts.pre_read.load(std::sync::atomic::Ordering::Relaxed), 0);
    assert_eq!(posts(&records)[0].account, "");

    let broken = write(
        &dir,
        "broken/tweets.js",
        format!("window.YTD.tweets.part0 = [ {{\"tweet\": {tweet}}} ]").as_bytes(),
    );
    write(&dir, "broken/account.js", b"window.YTD.account.part0 = [ {");
    let (records, diags) = split(read_all(&broken, &Options::default()).unwrap());
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(
        diags[0].message.contains("account.js") && diags[0].message.contains("not valid JSON"),
        "{}",
        diags[0].message
    );
    assert_eq!(posts(&records).len(), 1);

    let likes = data("twitter_archive/data/like.js");
    let e = read_all(&likes, &Options::default()).expect_err("refused");
    assert!(e.to_string().contains("`like` file holds no tweets"), "{e}");
}

/// A note that no tweet of the archive takes is a post of its own, read with the main
/// tweets file (once, whichever files are scanned): here one whose text starts as no
/// tweet's, and one naming a tweet the archive lacks. A note a deleted tweet takes
/// completes that tweet in `deleted-tweets.js` and is not a post of its own.
#[test]
fn notes_no_tweet_takes_are_posts_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let cut = |id: &str, text: &str| {
        format!(
            r#"{{"tweet": {{"id_str":"{id}","full_text":"{text} \u2026 https://t.co/x","created_at":"Mon Nov 02 10:00:00 +0000 2026"}}}}"#
        )
    };
    let note = |id: &str, tweet: &str, text: &str| {
        format!(
            r#"{{"noteTweet": {{"noteTweetId": "{id}",{tweet} "createdAt": "2026-11-02T10:00:00.000Z", "core": {{"text": "{text}", "urls": []}}}}}}"#
        )
    };
    let kept = "Kept in the tweets, and the rest of it goes on here";
    let deleted = "Deleted later by the owner, who wrote much more after it";
    let tweets = write(
        &dir,
        "tweets.js",
        format!("window.YTD.tweets.part0 = [ {} ]", cut("11", &kept[..30])).as_bytes(),
    );
    let deleted_file = write(
        &dir,
        "deleted-tweets.js",
        format!(
            "window.YTD.deleted_tweets.part0 = [ {} ]",
            cut("12", &deleted[..30])
        )
        .as_bytes(),
    );
    write(
        &dir,
        "account.js",
        br#"window.YTD.account.part0 = [ {"account": {"accountId": "77", "username": "owner"}} ]"#,
    );
    write(
        &dir,
        "note-tweet.js",
        format!(
            "window.YTD.note_tweet.part0 = [\n{},\n{},\n{},\n{}\n]",
            note("901", "", kept),
            note("902", "", deleted),
            note("903", "", "A note whose tweet is not in the archive at all"),
            note(
                "904",
                r#" "tweetId": "999","#,
                "Naming a tweet the archive lacks"
            ),
        )
        .as_bytes(),
    );
    let read = |path: &str| {
        let mut found = Vec::new();
        for c in open_chunks(path, &Options::default()).unwrap() {
            let file = c.file().rsplit('/').next().unwrap_or_default().to_string();
            c.for_each_record(|line, r| match r {
                Ok(Record::Post(p)) => found.push((
                    file.clone(),
                    line,
                    p.id.clone(),
                    p.text.clone(),
                    p.account.clone(),
                )),
                Ok(_) => {}
                Err(d) => panic!("{d:?}"),
            });
        }
        found
    };
    let main = read(&tweets);
    let ids: Vec<(&str, u64, &str)> = main
        .iter()
        .map(|(f, l, id, _, _)| (f.as_str(), *l, id.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("note-tweet.js", 4, "903"),
            ("note-tweet.js", 5, "904"),
            ("tweets.js", 1, "11")
        ]
    );
    assert_eq!(main[0].3, "A note whose tweet is not in the archive at all");
    assert!(main.iter().all(|p| p.4 == "77"));
    assert_eq!(main[2].3, kept);
    let other = read(&deleted_file);
    assert_eq!(other.len(), 1, "{other:?}");
    assert_eq!((other[0].2.as_str(), other[0].3.as_str()), ("12", deleted));
}

/// Tweets the owner posted in a Community are kept apart, in `community-tweet.js`: read as
/// the owner's posts like the others.
#[test]
fn a_twitter_archives_community_tweets_are_the_owners_posts() {
    let dir = tempfile::tempdir().unwrap();
    let tweet = r#"{"tweet": {"id_str":"8","full_text":"posted in a community","created_at":"Mon Nov 02 10:00:00 +0000 2026","community_id_str":"1500"}}"#;
    let path = write(
        &dir,
        "community-tweet.js",
        format!("window.YTD.community_tweet.part0 = [ {tweet} ]").as_bytes(),
    );
    write(
        &dir,
        "account.js",
        br#"window.YTD.account.part0 = [ {"account": {"accountId": "77", "username": "owner"}} ]"#,
    );
    let (records, diags) = split(read_all(&path, &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let p = posts(&records);
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].id.as_str(), p[0].account.as_str()), ("8", "77"));
    assert_eq!(p[0].text, "posted in a community");
}

/// Chats exported by phones in Korean, Chinese, Indonesian and Spanish are found by their
/// first line and read with their times (31 December 2026, 21:41 UTC, no offset given).
#[test]
fn whatsapp_chats_of_asian_and_spanish_phones_are_read() {
    let dir = tempfile::tempdir().unwrap();
    for (name, chat) in [
        (
            "ko.txt",
            "2026. 12. 31. 오후 9:41 - 민수: 안녕하세요\n2026. 12. 31. 오후 9:42 - 민수: 둘째 줄\n",
        ),
        (
            "zh.txt",
            "2026/12/31 下午9:41 - 小明: 你好\n2026/12/31 下午9:42 - 小明: 第二\n",
        ),
        (
            "id.txt",
            "31/12/26 21.41 - Budi: halo semua\n31/12/26 21.42 - Budi: kedua\n",
        ),
        (
            "es.txt",
            "31/12/26, 9:41 p. m. - Ana: hola\n31/12/26, 9:42 p. m. - Ana: dos\n",
        ),
    ] {
        let path = write(&dir, name, chat.as_bytes());
        let (recs, diags) = split(read_all(&path, &Options::default()).unwrap());
        assert!(diags.is_empty(), "{name}: {diags:?}");
        let p = posts(&recs);
        assert_eq!(p.len(), 2, "{name}");
        assert_eq!(p[0].created_at, Some(1798753260), "{name}");
        assert_eq!(p[1].created_at, Some(1798753320), "{name}");
        assert_eq!(p[0].platform, "whatsapp", "{name}");
    }
}

/// A WhatsApp chat is found by its first line whatever its name (here gzipped), by its
/// name whatever its first line (text before the first message is a diagnostic), and the
/// iPhone's system lines and attachments are told apart from what people wrote.
#[test]
fn whatsapp_chats_are_detected_by_content_or_name() {
    let dir = tempfile::tempdir().unwrap();
    let chat = "[02/11/2026, 10:00:00] Ann: hello https://x.example/a.\n\
                [02/11/2026, 10:01:00] Bob: \u{200e}<attached: 00000003-VIDEO-2026-11-02-10-01-00.mp4>\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(chat.as_bytes()).unwrap();
    let gz = write(&dir, "export.txt.gz", &gz.finish().unwrap());
    let (recs, diags) = split(read_all(&gz, &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let p = posts(&recs);
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].id, "export/1");
    assert_eq!(p[0].urls, ["https://x.example/a"]);
    assert_eq!(p[1].media[0].kind, "video");
    assert_eq!(p[1].text, "");

    let named = write(
        &dir,
        "WhatsApp Chat with Ann.txt",
        format!("exported 2 Nov\n{chat}").as_bytes(),
    );
    let (recs, diags) = split(read_all(&named, &Options::default()).unwrap());
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].at.line, 1);
    assert_eq!(posts(&recs)[0].id, "Ann/2");

    // Named as a chat, holding none: said once at its start and once at its end.
    let none = write(
        &dir,
        "_chat.txt",
        b"not
a chat
at all
",
    );
    let (recs, diags) = split(read_all(&none, &Options::default()).unwrap());
    assert!(recs.is_empty());
    let said: Vec<(u64, bool)> = diags
        .iter()
        .map(|d| {
            (
                d.at.line,
                d.message.contains("no WhatsApp message in this file"),
            )
        })
        .collect();
    assert_eq!(said, [(1, false), (3, true)], "{diags:?}");
}

/// A platform's CSV export with its media: the URL (or path) column and the hashes it keeps
/// of each upload, found by their usual names, become the post's media, so hash lists can
/// match them; a hash that is not one is a diagnostic at its line, and the scan goes on.
#[test]
fn csv_media_columns_become_media_with_their_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let sha = "c".repeat(64);
    let pdq = "F0".repeat(32);
    let csv = format!(
        "id,text,media_url,sha256,pdq\n\
         1,a photo,https://cdn.example/p/1.png,{sha},{pdq}\n\
         2,no media,,,\n\
         3,a broken hash,https://cdn.example/p/3.png,{sha},xyz\n\
         4,two,https://cdn.example/v/4.mp4|https://cdn.example/p/4.gif,,\n"
    );
    let path = write(&dir, "export.csv", csv.as_bytes());
    let (records, diags) = split(read_all(&path, &Options::default()).unwrap());
    let p = posts(&records);
    assert_eq!(p.len(), 3);
    assert_eq!(p[0].media.len(), 1);
    assert_eq!(p[0].media[0].kind, "image");
    assert_eq!(
        p[0].media[0].url.as_deref(),
        Some("https://cdn.example/p/1.png")
    );
    assert_eq!(p[0].media[0].sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(
        p[0].media[0].pdq.as_deref(),
        Some(pdq.to_lowercase().as_str())
    );
    assert!(p[1].media.is_empty());
    let kinds: Vec<&str> = p[2].media.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(kinds, ["video", "image"]);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].at.line, 4);
    assert!(
        diags[0].message.contains("`media_pdq` is not a PDQ hash"),
        "{}",
        diags[0].message
    );
}

/// Each post's id and first version's id.
fn versions(records: &[Record]) -> Vec<(&str, Option<&str>)> {
    posts(records)
        .into_iter()
        .map(|p| (p.id.as_str(), p.first_version.as_deref()))
        .collect()
}

/// Twitter keeps each version of an edited tweet as a tweet with an id of its own; every
/// version names the first (`Post::first_version`), so that an account's counts take them
/// as one post. A tweet never edited (its versions' ids its own alone) names none.
#[test]
fn each_version_of_an_edited_tweet_names_the_first() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let at = r#""created_at":"Mon Nov 02 10:00:00 +0000 2026""#;
    // An archive: the first version lists every version's id; a later one names the first.
    let first = format!(
        r#"{{"tweet":{{"edit_info":{{"initial":{{"editTweetIds":["11","12","13"],"editsRemaining":"3"}}}},"id_str":"11","full_text":"first words",{at}}}}}"#
    );
    let second = format!(
        r#"{{"tweet":{{"edit_info":{{"edit":{{"initialTweetId":"11","editControlInitial":{{"editTweetIds":["11","12","13"]}}}}}},"id_str":"12","full_text":"second words",{at}}}}}"#
    );
    // An edit whose list was cut to its own id still names its first version.
    let third = format!(
        r#"{{"tweet":{{"edit_info":{{"edit":{{"initialTweetId":"11","editControlInitial":{{"editTweetIds":["13"]}}}}}},"id_str":"13","full_text":"third words",{at}}}}}"#
    );
    // An archive lists every version: a tweet that lists only itself was never edited,
    // eligible or not.
    let plain = format!(
        r#"{{"tweet":{{"edit_info":{{"initial":{{"editTweetIds":["20"],"isEditEligible":true}}}},"id_str":"20","full_text":"never edited",{at}}}}}"#
    );
    // Edit metadata of another shape reads as none: the tweet is not lost over it.
    let odd = format!(
        r#"{{"tweet":{{"edit_info":{{"initial":{{"editTweetIds":"21"}}}},"id_str":"21","full_text":"odd metadata",{at}}}}}"#
    );
    let archive = write(
        &dir,
        "data/tweets.js",
        format!("window.YTD.tweets.part0 = [ {first}, {second}, {third}, {plain}, {odd} ]")
            .as_bytes(),
    );
    let (records, diags) = split(read_all(&archive, &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let got = versions(&records);
    assert_eq!(
        got,
        [
            ("11", Some("11")),
            ("12", Some("11")),
            ("13", Some("11")),
            ("20", None),
            ("21", None)
        ]
    );

    // API v2, one tweet a line (`twarc2 flatten`), and v1.1's `edit_history`.
    let lines = write(
        &dir,
        "tweets.jsonl",
        concat!(
            r#"{"id":"31","text":"v2 first","edit_history_tweet_ids":["31","32"]}"#, "\n",
            r#"{"id":"32","text":"v2 edit","edit_history_tweet_ids":["31","32"]}"#, "\n",
            r#"{"id":"33","text":"v2 plain","edit_history_tweet_ids":["33"]}"#, "\n",
            r#"{"id_str":"41","full_text":"v1.1 edit","edit_history":{"initial_tweet_id":"40","edit_tweet_ids":["40","41"]}}"#, "\n",
            r#"{"id_str":"42","full_text":"v1.1 plain","edit_history":{"initial_tweet_id":"42","edit_tweet_ids":["42"]}}"#, "\n",
            r#"{"id":"43","text":"odd","edit_history_tweet_ids":5,"edit_history":"x"}"#, "\n",
            // Collected as posted, not edited yet, but it could be: its own first version.
            r#"{"id":"34","text":"v2 eligible","edit_history_tweet_ids":["34"],"edit_controls":{"edits_remaining":5,"is_edit_eligible":true,"editable_until":"2026-11-02T11:00:00.000Z"}}"#, "\n",
            r#"{"id":"35","text":"v2 not eligible","edit_history_tweet_ids":["35"],"edit_controls":{"edits_remaining":5,"is_edit_eligible":false}}"#, "\n",
            r#"{"id_str":"44","full_text":"v1.1 eligible","edit_history":{"initial_tweet_id":"44","edit_tweet_ids":["44"]},"edit_controls":{"edits_remaining":"5","is_edit_eligible":true,"editable_until_msecs":"1793620800000"}}"#, "\n",
            // A retweet is not edited, whatever its controls say; odd controls read as none.
            r#"{"id":"36","text":"RT @u: x","edit_history_tweet_ids":["36"],"edit_controls":{"is_edit_eligible":true},"referenced_tweets":[{"type":"retweeted","id":"30"}]}"#, "\n",
            r#"{"id":"37","text":"odd controls","edit_history_tweet_ids":["37"],"edit_controls":{"is_edit_eligible":"yes"}}"#, "\n",
            // v1.1 with `include_ext_edit_control`: a first version, eligible, and an edit.
            r#"{"id_str":"45","full_text":"v1.1 ext first","ext_edit_control":{"initial":{"edit_tweet_ids":["45"],"editable_until_msecs":"1793620800000","edits_remaining":"5","is_edit_eligible":true}}}"#, "\n",
            r#"{"id_str":"46","full_text":"v1.1 ext edit","ext_edit_control":{"edit":{"initial_tweet_id":"45","edit_control_initial":{"edit_tweet_ids":["45","46"],"editable_until_msecs":"1793620800000","edits_remaining":"4","is_edit_eligible":true}}}}"#, "\n",
            r#"{"id_str":"47","full_text":"v1.1 ext not eligible","ext_edit_control":{"initial":{"edit_tweet_ids":["47"],"is_edit_eligible":false}}}"#, "\n",
            // The enterprise APIs: `editable` at the root.
            r#"{"id_str":"48","text":"enterprise","edit_history":{"initial_tweet_id":"48","edit_tweet_ids":["48"]},"edit_controls":{"editable_until_ms":1793620800000,"edits_remaining":5},"editable":true}"#, "\n",
            r#"{"id_str":"49","text":"enterprise, poll","edit_history":{"initial_tweet_id":"49","edit_tweet_ids":["49"]},"editable":false}"#, "\n",
        )
        .as_bytes(),
    );
    let opts = Options {
        format: Format::Tweets,
        ..Default::default()
    };
    let (records, diags) = split(read_all(&lines, &opts).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let got = versions(&records);
    assert_eq!(
        got,
        [
            ("31", Some("31")),
            ("32", Some("31")),
            ("33", None),
            ("41", Some("40")),
            ("42", None),
            ("43", None),
            ("34", Some("34")),
            ("35", None),
            ("44", Some("44")),
            ("36", None),
            ("37", None),
            ("45", Some("45")),
            ("46", Some("45")),
            ("47", None),
            ("48", Some("48")),
            ("49", None)
        ]
    );

    // An API v2 response: `data` with `includes`.
    let page = write(
        &dir,
        "page.json",
        br#"{"data":[{"id":"51","author_id":"9","text":"edited","edit_history_tweet_ids":["50","51"]},{"id":"52","author_id":"9","text":"not","edit_history_tweet_ids":["52"]},{"id":"53","author_id":"9","text":"odd","edit_history_tweet_ids":{"a":1}},{"id":"54","author_id":"9","text":"eligible","edit_history_tweet_ids":["54"],"edit_controls":{"is_edit_eligible":true}},{"id":"55","author_id":"9","text":"RT","edit_history_tweet_ids":["55"],"edit_controls":{"is_edit_eligible":true},"referenced_tweets":[{"type":"retweeted","id":"50"}]}],"includes":{"users":[{"id":"9","username":"u"}]}}"#,
    );
    let opts = Options {
        format: Format::TwitterV2,
        ..Default::default()
    };
    let (records, diags) = split(read_all(&page, &opts).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let got = versions(&records);
    assert_eq!(
        got,
        [
            ("51", Some("50")),
            ("52", None),
            ("53", None),
            ("54", Some("54")),
            ("55", None)
        ]
    );

    // A CSV column of that name needs no mapping.
    let csv = write(
        &dir,
        "posts.csv",
        b"id,text,first_version\n71,a,70\n72,b,\n",
    );
    let (records, diags) = split(read_all(&csv, &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(versions(&records), [("71", Some("70")), ("72", None)]);

    // raqib's own JSON Lines carry it, on the fast path and serde's (an array field).
    let own = write(
        &dir,
        "own.jsonl",
        concat!(
            r#"{"id":"61","text":"a","first_version":"60"}"#,
            "\n",
            r#"{"id":"62","text":"b","first_version":60,"urls":["https://e.org"]}"#,
            "\n",
            r#"{"id":"63","text":"c"}"#,
            "\n",
        )
        .as_bytes(),
    );
    let (records, diags) = split(read_all(&own, &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let got = versions(&records);
    assert_eq!(got, [("61", Some("60")), ("62", Some("60")), ("63", None)]);
}

/// A small archive of three JSON Lines members, GNU long name included.
fn three_member_tar() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (i, name) in [
        "a.jsonl".to_string(),
        format!("{}.jsonl", "n".repeat(120)),
        "c.json".into(),
    ]
    .iter()
    .enumerate()
    {
        let data = format!("{{\"id\":\"p{i}\",\"text\":\"post {i}\"}}\n");
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        b.append_data(&mut h, name, data.as_bytes()).unwrap();
    }
    b.into_inner().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A tar archive damaged anywhere (cut short, bytes changed) is read without a panic;
    /// one only cut short gives only its members' posts; a member before the damage is read.
    #[test]
    fn a_damaged_tar_archive_never_panics_and_keeps_what_came_before(
        cut in 0usize..6000,
        flips in proptest::collection::vec((0usize..6000, 1u8..=255), 0..4),
    ) {
        let mut bytes = three_member_tar();
        let len = bytes.len();
        let cut = cut.min(len);
        let mut first_damage = cut;
        for &(at, x) in &flips {
            if at < len {
                bytes[at] ^= x;
                first_damage = first_damage.min(at);
            }
        }
        bytes.truncate(cut);
        let dir = tempfile::tempdir().unwrap();
        let f = write(&dir, "damaged.tar", &bytes);
        let Ok(items) = read_all(&f, &Options::default()) else {
            return Ok(());
        };
        let (recs, _) = split(items);
        // A changed byte in a member's data changes what it says (tar keeps no checksum of
        // data); an archive only cut short says only what its members say.
        if flips.iter().all(|&(at, _)| at >= cut) {
            for p in posts(&recs) {
                prop_assert!(["p0", "p1", "p2"].contains(&p.id.as_str()), "{:?}", p.id);
            }
        }
        // The first member's header and data lie in its first kilobyte.
        if first_damage >= 1024 {
            prop_assert!(posts(&recs).iter().any(|p| p.id == "p0"));
        }
    }
}

/// A zip of three one-post members, each stored or deflated by `methods`' bits, written
/// with sizes in the headers or (`streamed`) after the data.
fn three_member_zip(methods: u8, streamed: bool) -> Vec<u8> {
    let members: Vec<(String, String)> = (0..3)
        .map(|i| {
            (
                format!("{i}.jsonl"),
                format!("{{\"id\":\"p{i}\",\"text\":\"post {i}\"}}\n"),
            )
        })
        .collect();
    let method = |i: usize| {
        if methods >> i & 1 == 1 {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        }
    };
    if !streamed {
        let list: Vec<(&str, zip::CompressionMethod, &[u8])> = members
            .iter()
            .enumerate()
            .map(|(i, (n, d))| (n.as_str(), method(i), d.as_bytes()))
            .collect();
        return zip_of(&list);
    }
    let mut z = zip::ZipWriter::new_stream(Vec::new());
    for (i, (n, d)) in members.iter().enumerate() {
        let o = zip::write::SimpleFileOptions::default().compression_method(method(i));
        z.start_file(n.as_str(), o).unwrap();
        z.write_all(d.as_bytes()).unwrap();
    }
    z.finish().unwrap().into_inner()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A zip archive damaged anywhere (cut short, bytes changed) is read without a panic;
    /// one only cut short gives only its members' posts, in order, and every member that
    /// lies before the cut (found by its own header once the index is gone).
    #[test]
    fn a_damaged_zip_archive_never_panics_and_keeps_what_came_before(
        methods in 0u8..8,
        streamed in any::<bool>(),
        cut in 0usize..1000,
        flips in proptest::collection::vec((0usize..1000, 1u8..=255), 0..4),
    ) {
        let mut bytes = three_member_zip(methods, streamed);
        let len = bytes.len();
        let cut = cut.min(len);
        // Where each member after the first starts: the ones before it end there.
        let starts: Vec<usize> = memchr::memmem::find_iter(&bytes, b"PK\x03\x04").collect();
        for &(at, x) in &flips {
            if at < len {
                bytes[at] ^= x;
            }
        }
        bytes.truncate(cut);
        let dir = tempfile::tempdir().unwrap();
        let f = write(&dir, "damaged.zip", &bytes);
        let Ok(items) = read_all(&f, &Options::default()) else {
            return Ok(());
        };
        if flips.is_empty() {
            let (recs, _) = split(items);
            let ids: Vec<&str> = posts(&recs).iter().map(|p| p.id.as_str()).collect();
            let whole = ["p0", "p1", "p2"];
            let mut expected: Vec<&str> = Vec::new();
            for (k, id) in whole.iter().enumerate() {
                if starts.get(k + 1).is_some_and(|&s| s <= cut) {
                    expected.push(id);
                }
            }
            prop_assert!(
                ids.starts_with(&expected) && ids.len() <= 3,
                "{ids:?} where {expected:?} lie before the cut at {cut} of {len}"
            );
            prop_assert!(ids.iter().zip(whole).all(|(a, b)| *a == b), "{ids:?}");
        }
    }
}

/// A named pipe (`raqib scan <(zcat dump.gz)`) is read whole: looking for a zip archive's
/// first bytes must not take them from the pipe.
#[cfg(unix)]
#[test]
fn a_named_pipe_loses_no_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("posts.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            for i in 0..3 {
                // A reader that closed the pipe early makes this fail: what it read tells.
                let _ = writeln!(f, "{{\"id\":\"f{i}\",\"text\":\"through a pipe\"}}");
            }
        })
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let path = fifo.to_str().unwrap().to_string();
    std::thread::spawn(move || {
        let (recs, diags) = split(read_all(&path, &Options::default()).unwrap());
        let ids: Vec<String> = posts(&recs).iter().map(|p| p.id.clone()).collect();
        let _ = tx.send((ids, diags));
    });
    let (ids, diags) = match rx.recv_timeout(std::time::Duration::from_secs(30)) {
        Ok(got) => got,
        Err(_) => {
            // The reader opened the pipe a second time and waits for a writer long gone.
            let _ = std::fs::OpenOptions::new().write(true).open(&fifo);
            panic!("the pipe was opened twice: the first opening took its first bytes");
        }
    };
    writer.join().unwrap();
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(ids, ["f0", "f1", "f2"]);
}

const META_THREAD: &str =
    "meta_export/your_facebook_activity/messages/inbox/example_1001/message_1.json";

/// A Messenger thread of Meta's "Download Your Information" export, known by its shape and
/// read message by message: Meta's mangled UTF-8 mended (Arabic reads as Arabic), each
/// sender an account once, the call passed over, media named from the thread's folder,
/// a post id of the thread and time; each post at the line its message starts on.
#[test]
fn a_meta_export_thread_reads_as_its_messages() {
    let path = data(META_THREAD);
    let opts = Options {
        chunk_bytes: 64,
        ..Default::default()
    };
    let mut items = Vec::new();
    for c in open_chunks(&path, &opts).unwrap() {
        c.for_each_record(|line, r| items.push((line, r.unwrap())));
    }
    let accounts: std::collections::BTreeSet<&str> = items
        .iter()
        .filter_map(|(_, r)| match r {
            Record::Account(a) => Some(a.id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(accounts, ["Sara Example", "مهاجر"].into());
    let ps = posts_at(&items);
    let lines: Vec<u64> = ps.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [11, 23, 35], "the call passed over");
    let first = ps[0].1;
    assert_eq!(
        first.text,
        "يا أنصار الخلافة هذا الحساب الاحتياطي تابعوا وانشروا"
    );
    assert_eq!(first.platform, "facebook");
    assert_eq!(first.id, "inbox/example_1001/1793527500000");
    assert_eq!(first.created_at, Some(1793527500));
    assert_eq!(first.media[0].url.as_deref(), Some("photos/1.jpg"));
    assert_eq!(ps[1].1.text, "Good morning ☕ رمضان كريم");
    assert_eq!(ps[2].1.urls, ["https://news.example/iraq"]);
    // The thread's title (here the other's name), from the file's end: each post's place.
    assert!(
        ps.iter().all(|(_, p)| p.place.as_deref() == Some("مهاجر")),
        "{ps:?}"
    );
    // `--format instagram` names the platform; a bad message is a diagnostic at its line
    // and the rest are read; a file cut short keeps what came before the cut.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let broken = text.replacen(
        "\"timestamp_ms\": 1793527400000",
        "\"timestamp_ms\": \"x\"",
        1,
    );
    let f = write(&dir, "message_1.json", broken.as_bytes());
    let opts = Options {
        format: Format::Meta,
        default_platform: Some("instagram".into()),
        ..Default::default()
    };
    let (recs, diags) = split(read_all(&f, &opts).unwrap());
    assert_eq!(posts(&recs).len(), 2);
    assert!(posts(&recs).iter().all(|p| p.platform == "instagram"));
    assert_eq!((diags.len(), diags[0].at.line), (1, 23), "{diags:?}");
    let cut = &text[..text.find("Iraqi").unwrap()];
    let f = write(&dir, "message_2.json", cut.as_bytes());
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert_eq!(posts(&recs).len(), 2);
    assert!(diags[0].message.contains("cut short"), "{}", diags[0]);
    assert!(
        posts(&recs).iter().all(|p| p.place.is_none()),
        "no end, no title"
    );
    // Zipped as Meta hands it over: the title read through to the member's end.
    let mut z = zip::ZipWriter::new(std::fs::File::create(dir.path().join("dyi.zip")).unwrap());
    z.start_file(
        "your_facebook_activity/messages/inbox/example_1001/message_1.json",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    z.write_all(text.as_bytes()).unwrap();
    z.finish().unwrap();
    let zipped = dir.path().join("dyi.zip").display().to_string();
    let (recs, diags) = split(read_all(&zipped, &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(posts(&recs).len(), 3);
    assert!(
        posts(&recs)
            .iter()
            .all(|p| p.place.as_deref() == Some("مهاجر")),
        "{recs:?}"
    );
}

const FB_POSTS: &str =
    "meta_export/your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json";
const FB_COMMENTS: &str = "meta_export/your_facebook_activity/comments_and_reactions/comments.json";

/// A Facebook export's posts and comments in groups (`groups/group_posts_and_comments.json`,
/// `group_posts_v2`; `your_comments_in_groups.json`, `group_comments_v2`): read as its
/// posts and comments are, by the export's owner, each with the group it was posted in as
/// its place (from a post's title, `NAME posted in GROUP.`, a comment's `group`; mangled
/// UTF-8 mended); their media named from the export's root; found as inputs in the
/// export's folder, not left out with its other files.
#[test]
fn a_facebook_exports_posts_and_comments_in_groups_name_their_group() {
    let file = |name: &str| data(&format!("meta_export/your_facebook_activity/groups/{name}"));
    let read = |name: &str| {
        let (recs, diags) = split(read_all(&file(name), &Options::default()).unwrap());
        assert!(diags.is_empty(), "{name}: {diags:?}");
        recs
    };
    let recs = read("group_posts_and_comments.json");
    let ps = posts(&recs);
    let got: Vec<(&str, Option<&str>)> = ps
        .iter()
        .map(|p| (p.account.as_str(), p.place.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("مهاجر", Some("Example Town Market")),
            ("مهاجر", Some("حلقة القراءة")),
            ("مهاجر", None)
        ]
    );
    assert_eq!(
        ps[0].text,
        "يا أنصار الخلافة انشروا الإصدار الجديد في كل مكان"
    );
    assert_eq!(
        ps[0].media[0].url.as_deref(),
        Some("your_facebook_activity/groups/media/3001.jpg")
    );
    assert_eq!(
        raqib_ingest::media_root(&file("group_posts_and_comments.json")),
        Some(data("meta_export").as_str())
    );
    let recs = read("your_comments_in_groups.json");
    let cs = posts(&recs);
    assert_eq!(
        (cs[0].text.as_str(), cs[0].place.as_deref()),
        ("See you all on Thursday", Some("حلقة القراءة"))
    );
    // In the whole export, the groups' files are inputs: only the profile is left out.
    let files = [
        "fb/personal_information/profile_information/profile_information.json",
        "fb/your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json",
        "fb/your_facebook_activity/groups/group_posts_and_comments.json",
        "fb/your_facebook_activity/groups/your_comments_in_groups.json",
        "fb/your_facebook_activity/groups/your_group_membership_activity.json",
    ];
    assert_eq!(
        raqib_ingest::meta_export_others(files.iter().copied()),
        [0, 4]
    );
}

/// A Facebook export's posts and comments ("Download Your Information", JSON), streamed
/// element by element: Meta's mangled UTF-8 mended; every post credited to the export's
/// owner, named by the profile at the export's root (Meta's posts name no author), a
/// comment to its `author`; a photo named from the posts' folder, a shared link as a URL
/// and its title as a link card, a note's text and photo; elements with nothing to read (an update with no text, a saved
/// event) passed over; two posts of one second with ids of their own.
#[test]
fn a_facebook_exports_posts_and_comments_read_with_their_owner() {
    let items: Vec<(u64, Record)> = items_at(&data(FB_POSTS))
        .into_iter()
        .map(|(l, r)| (l, r.unwrap()))
        .collect();
    let accounts: Vec<&str> = items
        .iter()
        .filter_map(|(_, r)| match r {
            Record::Account(a) => Some(a.id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(accounts, ["مهاجر"]);
    let ps = posts_at(&items);
    let got: Vec<(u64, &str)> = ps.iter().map(|(l, p)| (*l, p.id.as_str())).collect();
    assert_eq!(
        got,
        [
            (2, "مهاجر/posts/1793528000"),
            (14, "مهاجر/posts/1793527900"),
            (37, "مهاجر/posts/1793527800"),
            (90, "مهاجر/posts/1793527500"),
            (116, "مهاجر/posts/1793527500-2"),
        ],
        "the update with no text and the event passed over"
    );
    let p = |k: usize| ps[k].1;
    assert_eq!(p(0).text, "يا أنصار الخلافة انشروا الإصدار الجديد");
    assert_eq!(
        (p(0).platform.as_str(), p(0).account.as_str()),
        ("facebook", "مهاجر")
    );
    assert_eq!(p(0).created_at, Some(1793528000));
    assert_eq!(
        p(1).media[0].url.as_deref(),
        Some("media/Mobileuploads_1/1001.jpg")
    );
    assert_eq!(p(1).media[0].kind, "image");
    assert_eq!(p(2).urls, ["https://news.example/iraq-village"]);
    // The shared link's title, as the post showed it: its card.
    assert_eq!(p(2).media.len(), 1);
    assert!(p(2).media[0].is_link_card());
    assert_eq!(
        p(2).media[0].url.as_deref(),
        Some("https://news.example/iraq-village")
    );
    assert_eq!(
        p(2).media[0].description(),
        Some("Families return to a village in Iraq")
    );
    assert_eq!(p(3).text, "Notes from the reading circle");
    assert_eq!(
        p(3).media[0].url.as_deref(),
        Some("media/your_posts/1002.jpg")
    );

    // Comments: by their author; a GIF reply with no words kept for its link.
    let (recs, diags) = split(read_all(&data(FB_COMMENTS), &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let cs = posts(&recs);
    assert_eq!(cs.len(), 3);
    assert_eq!(cs[0].text, "بارك الله فيكم يا إخوة");
    // A sticker named from the export's root, as the scan's media root finds it.
    assert_eq!(
        cs[2].media[0].url.as_deref(),
        Some("your_facebook_activity/posts/media/stickers_used/2001.png")
    );
    assert_eq!(
        raqib_ingest::media_root(&data(FB_COMMENTS)),
        Some(data("meta_export").as_str())
    );
    assert_eq!(raqib_ingest::media_root(&data(FB_POSTS)), None);
    assert_eq!(
        (cs[0].account.as_str(), cs[0].id.as_str()),
        ("مهاجر", "مهاجر/comments/1793528100")
    );
    assert_eq!((cs[1].text.as_str(), cs[1].urls.len()), ("", 1));

    // Alone, under another name: known by its shape, its owner unknown and said so; a bad
    // element is a diagnostic at its line and the rest are read.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(data(FB_POSTS)).unwrap();
    let broken = text.replacen("\"timestamp\": 1793527900", "\"timestamp\": \"x\"", 1);
    let f = write(&dir, "posts.json", broken.as_bytes());
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert_eq!(posts(&recs).len(), 4);
    assert!(posts(&recs)
        .iter()
        .all(|p| p.account == raqib_ingest::UNKNOWN_META_OWNER));
    assert_eq!((diags.len(), diags[0].at.line), (1, 14), "{diags:?}");
    assert!(diags[0].message.contains("timestamp"), "{}", diags[0]);

    // An older export's layout: `posts/` and `profile_information/` at its root.
    std::fs::create_dir_all(dir.path().join("old/posts")).unwrap();
    std::fs::create_dir_all(dir.path().join("old/profile_information")).unwrap();
    std::fs::write(
        dir.path()
            .join("old/profile_information/profile_information.json"),
        r#"{"profile": {"name": {"full_name": "Old Owner"}}}"#,
    )
    .unwrap();
    let f = dir.path().join("old/posts/your_posts_1.json");
    std::fs::write(&f, &text).unwrap();
    let (recs, _) = split(read_all(f.to_str().unwrap(), &Options::default()).unwrap());
    assert_eq!(posts(&recs).len(), 5);
    assert!(posts(&recs).iter().all(|p| p.account == "Old Owner"));
}

/// Posts of a Facebook export (and messages of a thread) written in the same second keep
/// ids of their own, the same however the file is cut into chunks and whichever worker
/// (each with its own reading state) reads each chunk: the second in a row of a time is
/// `-2`, the third `-3`, and one of that time further on takes the next number free in its
/// chunk.
#[test]
fn same_second_posts_keep_their_ids_across_chunks_and_workers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("fb/posts")).unwrap();
    let post =
        |t: u64, text: &str| format!(r#"{{"timestamp": {t}, "data": [{{"post": "{text}"}}]}}"#);
    let body = format!(
        "[{}]",
        [
            post(1700000300, "a"),
            post(1700000200, "b"),
            post(1700000200, "c"),
            post(1700000200, "d"),
            post(1700000100, "e"),
            post(1700000100, "f"),
        ]
        .join(",\n")
    );
    let f = dir.path().join("fb/posts/your_posts_1.json");
    std::fs::write(&f, &body).unwrap();
    let f = f.to_str().unwrap();
    let ids = |chunk_bytes: usize, state_per_chunk: bool| {
        let opts = Options {
            chunk_bytes,
            ..Default::default()
        };
        let mut state = raqib_ingest::ReadState::default();
        let mut got = Vec::new();
        for c in open_chunks(f, &opts).unwrap() {
            if state_per_chunk {
                state = raqib_ingest::ReadState::default();
            }
            c.for_each_record_reusing(&mut state, |_, r, _| {
                if let Ok(Record::Post(p)) = r {
                    got.push((p.text.clone(), p.id.clone()));
                }
            });
        }
        got
    };
    let whole = ids(1 << 20, false);
    let o = raqib_ingest::UNKNOWN_META_OWNER;
    let want: Vec<(String, String)> = [
        ("a", "1700000300"),
        ("b", "1700000200"),
        ("c", "1700000200-2"),
        ("d", "1700000200-3"),
        ("e", "1700000100"),
        ("f", "1700000100-2"),
    ]
    .iter()
    .map(|(t, id)| (t.to_string(), format!("{o}/posts/{id}")))
    .collect();
    assert_eq!(whole, want);
    // A chunk an element, each read as another worker would: the same ids.
    assert_eq!(ids(1, true), want);
    assert_eq!(ids(1, false), want);

    // A thread's messages in the same millisecond, a chunk each.
    std::fs::create_dir_all(dir.path().join("fb/messages/inbox/friend_1")).unwrap();
    let m = |text: &str| {
        format!(r#"{{"sender_name": "A", "timestamp_ms": 1700000000123, "content": "{text}"}}"#)
    };
    let thread = format!(
        r#"{{"participants": [{{"name": "A"}}], "messages": [{}], "title": "A"}}"#,
        [m("one"), m("two"), m("three")].join(",\n")
    );
    let t = dir.path().join("fb/messages/inbox/friend_1/message_1.json");
    std::fs::write(&t, thread).unwrap();
    let opts = Options {
        chunk_bytes: 1,
        ..Default::default()
    };
    let mut got = Vec::new();
    for c in open_chunks(t.to_str().unwrap(), &opts).unwrap() {
        let mut state = raqib_ingest::ReadState::default();
        c.for_each_record_reusing(&mut state, |_, r, _| {
            if let Ok(Record::Post(p)) = r {
                got.push(p.id.rsplit('/').next().unwrap().to_string());
            }
        });
    }
    assert_eq!(got, ["1700000000123", "1700000000123-2", "1700000000123-3"]);

    // Not in a row: the later one takes the next number free in its chunk.
    let body = format!(
        "[{}]",
        [
            post(1700000200, "x"),
            post(1700000100, "y"),
            post(1700000200, "z")
        ]
        .join(",")
    );
    std::fs::write(dir.path().join("fb/posts/your_posts_2.json"), &body).unwrap();
    let f2 = dir.path().join("fb/posts/your_posts_2.json");
    let (recs, _) = split(read_all(f2.to_str().unwrap(), &Options::default()).unwrap());
    let got: Vec<&str> = posts(&recs).iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        got,
        [
            format!("{o}/posts/1700000200"),
            format!("{o}/posts/1700000100"),
            format!("{o}/posts/1700000200-2"),
        ]
    );
}

const IG: &str = "instagram_export/your_instagram_activity";

/// An Instagram export ("Download Your Information", JSON): its posts (a caption of its
/// own for several photos, a photo's title for one), stories, reels and comments, each
/// the owner's, whose account (handle, name, bio, from the profile at the export's root)
/// comes first; every text mended from Meta's encoding; media named from the export's root.
#[test]
fn an_instagram_exports_posts_stories_and_comments_read_with_their_owner() {
    let (owner, items) = owner_first(&data(&format!("{IG}/content/posts_1.json")));
    assert_eq!(owner.id, "مهاجر", "the name its messages carry");
    assert_eq!(owner.platform, "instagram");
    assert_eq!(owner.handle.as_deref(), Some("muhajir_example"));
    assert_eq!(owner.display_name.as_deref(), Some("مهاجر"));
    assert_eq!(owner.bio.as_deref(), Some("نصرة الدولة"));
    let accounts = items
        .iter()
        .filter(|(_, r)| matches!(r, Record::Account(_)))
        .count();
    assert_eq!(accounts, 1, "the owner once: {items:?}");
    let ps = posts_at(&items);
    let got: Vec<(u64, &str, &str)> = ps
        .iter()
        .map(|(l, p)| (*l, p.id.as_str(), p.text.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                2,
                "مهاجر/posts/1793528000",
                "يا أنصار الخلافة انشروا الإصدار الجديد"
            ),
            (
                27,
                "مهاجر/posts/1793527900",
                "Iraqi forces retake a village, officials say"
            ),
            (39, "مهاجر/posts/1793527700", "عيد مبارك للجميع"),
        ]
    );
    let p = ps[0].1;
    assert_eq!(
        (p.account.as_str(), p.platform.as_str()),
        ("مهاجر", "instagram")
    );
    let media: Vec<&str> = p.media.iter().filter_map(|m| m.url.as_deref()).collect();
    assert_eq!(
        media,
        ["media/posts/202611/1001.jpg", "media/posts/202611/1002.jpg"]
    );
    assert_eq!(ps[1].1.created_at, Some(1793527900), "a photo's own time");

    // Stories (one with no words, kept for its photo), reels and comments.
    let read = |f: &str| {
        let (recs, diags) =
            split(read_all(&data(&format!("{IG}/{f}")), &Options::default()).unwrap());
        assert!(diags.is_empty(), "{f}: {diags:?}");
        posts(&recs)
            .iter()
            .map(|p| (p.id.clone(), p.text.clone(), p.media.len()))
            .collect::<Vec<_>>()
    };
    let s = |id: &str, text: &str, media: usize| (id.to_string(), text.to_string(), media);
    assert_eq!(
        read("content/stories.json"),
        [
            s("مهاجر/stories/1793528100", "", 1),
            s("مهاجر/stories/1793528200", "صباح الخير", 1)
        ]
    );
    assert_eq!(
        read("content/reels.json"),
        [s(
            "مهاجر/posts/1793528300",
            "Why young people reject extremist recruiters: a short explainer",
            1
        )]
    );
    assert_eq!(
        read("comments/post_comments_1.json"),
        [
            s("مهاجر/comments/1793528400", "بارك الله فيكم يا إخوة", 0),
            s("مهاجر/comments/1793528400-2", "see you at the match", 0)
        ],
        "two comments of one second keep ids of their own"
    );
    assert_eq!(
        read("comments/reels_comments.json"),
        [s("مهاجر/comments/1793528500", "great explainer", 0)]
    );

    // The owner's messages are the account of the owner's posts: Meta names a thread's
    // senders by their names.
    let (recs, _) = split(
        read_all(
            &data(&format!("{IG}/messages/inbox/friend_1001/message_1.json")),
            &Options::default(),
        )
        .unwrap(),
    );
    let by: Vec<(&str, &str)> = posts(&recs)
        .iter()
        .map(|p| (p.account.as_str(), p.platform.as_str()))
        .collect();
    assert_eq!(by, [("صديق", "instagram"), ("مهاجر", "instagram")]);

    // Alone, under another name: known by its shape, its owner unknown and said so; a bad
    // element is a diagnostic at its line and the rest are read.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(data(&format!("{IG}/content/posts_1.json"))).unwrap();
    let broken = text.replace(
        "\"creation_timestamp\": 1793527900",
        "\"creation_timestamp\": \"x\"",
    );
    let f = write(&dir, "instagram.json", broken.as_bytes());
    let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
    assert_eq!(posts(&recs).len(), 2);
    assert!(posts(&recs)
        .iter()
        .all(|p| p.account == raqib_ingest::UNKNOWN_META_OWNER));
    assert_eq!((diags.len(), diags[0].at.line), (1, 27), "{diags:?}");
    assert!(
        diags[0].message.contains("creation_timestamp"),
        "{}",
        diags[0]
    );

    // An older export's layout: `content/` and `personal_information/` at its root.
    std::fs::create_dir_all(dir.path().join("old/content")).unwrap();
    std::fs::create_dir_all(dir.path().join("old/personal_information")).unwrap();
    std::fs::write(
        dir.path()
            .join("old/personal_information/personal_information.json"),
        r#"{"profile_user": [{"string_map_data": {"Username": {"value": "old_owner"}}}]}"#,
    )
    .unwrap();
    let f = dir.path().join("old/content/posts_1.json");
    std::fs::write(&f, &text).unwrap();
    let (recs, _) = split(read_all(f.to_str().unwrap(), &Options::default()).unwrap());
    assert_eq!(posts(&recs).len(), 3);
    assert!(posts(&recs).iter().all(|p| p.account == "old_owner"));
}

/// An Instagram export as a tar (plain or gzipped), its profile and likes before its
/// posts: the likes are left out (not read as posts, no diagnostic) as a folder's walk
/// leaves them, and the posts are the owner's; from standard input (where the archive
/// cannot be read again), the likes after the posts are still left out.
#[test]
fn a_tarred_instagram_export_leaves_its_other_sections_out_whatever_their_order() {
    let files = [
        "personal_information/personal_information/personal_information.json",
        "your_instagram_activity/likes/liked_posts.json",
        "your_instagram_activity/content/posts_1.json",
    ];
    let tar_of = |order: &[&str]| {
        let mut t = tar::Builder::new(Vec::new());
        for f in order {
            let bytes = std::fs::read(data(&format!("instagram_export/{f}"))).unwrap();
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            t.append_data(&mut h, format!("export/{f}"), &bytes[..])
                .unwrap();
        }
        t.into_inner().unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar_of(&files)).unwrap();
    for (name, bytes) in [
        ("ig.tar", tar_of(&files)),
        ("ig.tar.gz", gz.finish().unwrap()),
    ] {
        let f = write(&dir, name, &bytes);
        let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
        assert!(diags.is_empty(), "{name}: {diags:?}");
        assert_eq!(posts(&recs).len(), 3, "{name}");
        assert!(
            posts(&recs).iter().all(|p| p.account == "مهاجر"),
            "{name}: {recs:?}"
        );
    }
    let streamed = tar_of(&[files[2], files[1]]);
    let mut recs = Vec::new();
    for c in raqib_ingest::open_bytes(streamed, "-", &Options::default()).unwrap() {
        c.for_each_record(|_, r| recs.push(r));
    }
    let (recs, diags) = split(recs);
    assert!(diags.is_empty(), "from a stream: {diags:?}");
    assert_eq!(posts(&recs).len(), 3, "from a stream");
}

/// A Meta export made in HTML (Meta offers HTML or JSON): a page of it, given alone, and
/// a zip or a tar of nothing else, each say what it is and to request the JSON format.
#[test]
fn a_meta_export_in_html_says_to_request_its_json() {
    let dir = tempfile::tempdir().unwrap();
    let page = "your_facebook_activity/messages/inbox/ann_1/message_1.html";
    let html = b"<!DOCTYPE html><html><head><title>Ann</title></head><body>hi</body></html>";
    std::fs::create_dir_all(dir.path().join(page).parent().unwrap()).unwrap();
    std::fs::write(dir.path().join(page), html).unwrap();
    let f = dir.path().join(page).display().to_string();
    let e = read_all(&f, &Options::default()).unwrap_err().to_string();
    assert!(e.contains("in HTML") && e.contains("Format: JSON"), "{e}");

    let mut z = zip::ZipWriter::new(std::fs::File::create(dir.path().join("meta.zip")).unwrap());
    let mut t = tar::Builder::new(Vec::new());
    for name in [
        page,
        "your_instagram_activity/content/posts_1.html",
        "index.html",
    ] {
        z.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(html).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(html.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        t.append_data(&mut h, name, &html[..]).unwrap();
    }
    z.finish().unwrap();
    let tar = write(&dir, "meta.tar", &t.into_inner().unwrap());
    for f in [dir.path().join("meta.zip").display().to_string(), tar] {
        let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
        assert!(recs.is_empty());
        assert_eq!(diags.len(), 1, "{diags:?}");
        let m = &diags[0].message;
        assert!(
            m.contains("2 of its 3 members") && m.contains("Format: JSON"),
            "{f}: {m}"
        );
    }
}

/// A Discord data package ("Request all of my Data"): each channel's messages are the
/// owner's posts, the owner's account (id, username, global name, streamed from
/// `Account/user.json` at the package's root) read first; a message with nothing in it
/// passed over; the package zipped or tarred (its account file first) reads the same,
/// its other sections (the account, servers, activity logs) left out, not read as posts;
/// an older package's CSV is read row by row, a message over several lines at the line it
/// starts on.
#[test]
fn a_discord_data_package_reads_as_its_owners_messages() {
    let channel = "discord_package/Messages/c200000000000000001/messages.json";
    let (owner, items) = owner_first(&data(channel));
    assert_eq!(owner.id, "100000000000000001");
    assert_eq!(owner.handle.as_deref(), Some("example_user"));
    assert_eq!(owner.display_name.as_deref(), Some("Example"));
    let ps = posts_at(&items);
    let got: Vec<(u64, &str, &str)> = ps
        .iter()
        .map(|(l, p)| (*l, p.id.as_str(), p.account.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (2, "1300000000000000001", "100000000000000001"),
            (8, "1300000000000000002", "100000000000000001"),
            (20, "1300000000000000004", "100000000000000001"),
        ],
        "the empty message passed over"
    );
    assert_eq!(ps[0].1.created_at, Some(1793527200));
    assert_eq!(ps[0].1.platform, "discord");
    assert_eq!(ps[1].1.media[0].kind, "image");
    // Each channel's place, from the package's `Messages/index.json`.
    assert!(
        ps.iter()
            .all(|(_, p)| p.place.as_deref() == Some("Example Server / #general")),
        "{ps:?}"
    );
    // Each message's page, from the guild's id in the channel's `channel.json`.
    assert_eq!(
        ps[0].1.permalink.as_deref(),
        Some("https://discord.com/channels/300000000000000001/200000000000000001/1300000000000000001")
    );

    // Zipped, and tarred with its account file first.
    let dir = tempfile::tempdir().unwrap();
    let root = data("discord_package");
    let mut files: Vec<String> = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(&root)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e.path().strip_prefix(&root).unwrap().display().to_string();
                files.push(rel);
            }
        }
    }
    files.sort_by_key(|f| (!f.starts_with("Account"), f.clone()));
    let members: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(format!("{root}/{f}")).unwrap();
            (format!("package/{f}"), bytes)
        })
        .collect();
    // Compressed, a tar has no index: each channel's `channel.json` is found in one read.
    for f in archives_of(&dir, "p", &members) {
        let (recs, diags) = split(read_all(&f, &Options::default()).unwrap());
        assert!(diags.is_empty(), "{f}: {diags:?}");
        assert_eq!(posts(&recs).len(), 4, "{f}");
        assert!(
            posts(&recs)
                .iter()
                .all(|p| p.account == "100000000000000001"),
            "{f}"
        );
        let mut places: Vec<&str> = posts(&recs)
            .iter()
            .map(|p| p.place.as_deref().unwrap_or("(none)"))
            .collect();
        places.dedup();
        assert_eq!(
            places,
            [
                "Example Server / #general",
                "Direct Message with friend_example#0"
            ],
            "{f}"
        );
        let links: Vec<&str> = posts(&recs)
            .iter()
            .map(|p| p.permalink.as_deref().unwrap_or("(none)"))
            .collect();
        assert_eq!(
            links,
            [
                "https://discord.com/channels/300000000000000001/200000000000000001/1300000000000000001",
                "https://discord.com/channels/300000000000000001/200000000000000001/1300000000000000002",
                "https://discord.com/channels/300000000000000001/200000000000000001/1300000000000000004",
                "https://discord.com/channels/@me/200000000000000002/1300000000000000010",
            ],
            "{f}"
        );
    }

    // An older package: lower-case folders, the CSV.
    let csv = "discord_package_csv/messages/c200000000000000003/messages.csv";
    let (owner, items) = owner_first(&data(csv));
    assert_eq!(owner.handle.as_deref(), Some("old_example#1234"));
    let ps = posts_at(&items);
    assert_eq!(ps.len(), 2);
    assert_eq!(
        (ps[0].0, ps[0].1.text.as_str()),
        (2, "first line\nsecond line")
    );
    assert_eq!(ps[0].1.created_at, Some(1588320000));
    assert_eq!((ps[1].0, ps[1].1.media[0].kind.as_str()), (4, "video"));
    // A direct message (`"type": 1` in an older package): its pages under `@me`.
    assert!(
        ps[0]
            .1
            .permalink
            .as_deref()
            .is_some_and(|l| l.starts_with("https://discord.com/channels/@me/200000000000000003/")),
        "{:?}",
        ps[0].1.permalink
    );
}

/// `members` (each a path and its bytes) as an export is handed over: a zip, a tar, and a
/// gzipped tar (which has no index, so is read from its start) in `dir`, named `STEM.zip`,
/// `STEM.tar`, `STEM.tar.gz`; their paths.
fn archives_of(dir: &tempfile::TempDir, stem: &str, members: &[(String, Vec<u8>)]) -> [String; 3] {
    let zipped = dir.path().join(format!("{stem}.zip"));
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zipped).unwrap());
    let mut t = tar::Builder::new(Vec::new());
    for (name, bytes) in members {
        z.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(bytes).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        t.append_data(&mut h, name, &bytes[..]).unwrap();
    }
    z.finish().unwrap();
    let tar_bytes = t.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar_bytes).unwrap();
    [
        zipped.display().to_string(),
        write(dir, &format!("{stem}.tar"), &tar_bytes),
        write(dir, &format!("{stem}.tar.gz"), &gz.finish().unwrap()),
    ]
}

/// The items of `path` (each read without error), with their lines, and the account that
/// comes first: an export's owner.
fn owner_first(path: &str) -> (raqib_model::Account, Vec<(u64, Record)>) {
    let items: Vec<(u64, Record)> = items_at(path)
        .into_iter()
        .map(|(l, r)| (l, r.unwrap()))
        .collect();
    let Record::Account(owner) = &items[0].1 else {
        panic!("the owner first: {items:?}")
    };
    (*owner.clone(), items)
}

/// Every item of `path`, with its line, in reading order.
fn items_at(path: &str) -> Vec<(u64, Result<Record, Diagnostic>)> {
    let mut items = Vec::new();
    for c in open_chunks(path, &Options::default()).unwrap() {
        c.for_each_record(|line, r| items.push((line, r)));
    }
    items
}

/// `jq . FILE` (and scripts that `json.dump(obj, f, indent=2)` one object after another)
/// write a file's objects pretty-printed one after another: raqib records, tweet objects
/// and Twitter API v2 responses so written are each read, at the line each starts on.
#[test]
fn pretty_printed_objects_one_after_another_are_each_read() {
    let dir = tempfile::tempdir().unwrap();
    let pretty = |lines: &str| -> String {
        lines
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                serde_json::to_string_pretty(&v).unwrap() + "\n"
            })
            .collect()
    };
    // raqib's own records.
    let records = pretty(
        "{\"id\":\"r1\",\"account\":\"a\",\"text\":\"first\"}\n\
         {\"id\":\"r2\",\"account\":\"b\",\"text\":\"second\"}\n\
         {\"id\":\"r3\",\"account\":\"a\",\"text\":\"third\"}\n",
    );
    let f = write(&dir, "records.json", records.as_bytes());
    let items = items_at(&f);
    let ps = posts_ok_at(&items);
    let got: Vec<(u64, &str)> = ps.iter().map(|(l, p)| (*l, p.id.as_str())).collect();
    assert_eq!(got, [(1, "r1"), (6, "r2"), (11, "r3")], "{items:?}");

    // Tweet objects (API v1.1), as the fixture's lines, pretty-printed.
    let tweets = std::fs::read_to_string(data("tweets_v1.jsonl")).unwrap();
    let want: Vec<String> = {
        let (recs, _) = split(read_all(&data("tweets_v1.jsonl"), &Options::default()).unwrap());
        posts(&recs).iter().map(|p| p.id.clone()).collect()
    };
    assert!(want.len() >= 3);
    let f = write(&dir, "tweets.json", pretty(&tweets).as_bytes());
    let items = items_at(&f);
    assert!(items.iter().all(|(_, r)| r.is_ok()), "{items:?}");
    let ids: Vec<String> = posts_ok_at(&items)
        .iter()
        .map(|(_, p)| p.id.clone())
        .collect();
    assert_eq!(ids, want);

    // Twitter API v2 responses: the fixture twice, the second's ids changed.
    let page = std::fs::read_to_string(data("twitter_v2.json")).unwrap();
    let second = page.replace("15000000000000000", "16000000000000000");
    let lines_first = page.trim_end().lines().count() as u64;
    let f = write(
        &dir,
        "pages.json",
        format!("{}\n{second}", page.trim_end()).as_bytes(),
    );
    let items = items_at(&f);
    let ps = posts_ok_at(&items);
    assert_eq!(ps.len(), 4, "{items:?}");
    assert!(ps[0].1.id.starts_with("15") && ps[0].0 == 1);
    assert!(
        ps[2].1.id.starts_with("16") && ps[2].0 == lines_first + 1,
        "{ps:?}"
    );
    // A broken second response: the first's posts, then a diagnostic at its line.
    let f = write(
        &dir,
        "cut.json",
        format!("{page}\n{{\"data\": [").as_bytes(),
    );
    let items = items_at(&f);
    assert_eq!(posts_ok_at(&items).len(), 2);
    let diag = items
        .iter()
        .find_map(|(l, r)| r.as_ref().err().map(|d| (*l, d)));
    let (line, d) = diag.expect("a diagnostic for the cut response");
    assert!(
        line > lines_first && d.message.contains("cannot be read past this line"),
        "{d:?}"
    );
}

/// A thread saved from Reddit's API (`reddit.com/r/NAME/comments/ID.json`: the submission's
/// listing, then the comment tree's) is found by its listings and read whole: the
/// submission, each comment and each reply at any depth, as replies to their parents; the
/// comments the file left to "load more" are counted in a diagnostic.
#[test]
fn a_reddit_threads_api_json_is_read_with_its_comment_tree() {
    let items = items_at(&data("reddit/thread.json"));
    let ps = posts_ok_at(&items);
    let got: Vec<(&str, Option<&str>, &str)> = ps
        .iter()
        .map(|(_, p)| (p.id.as_str(), p.reply_to.as_deref(), p.account.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("t3_s10", None, "news_reader"),
            ("t1_c10", Some("t3_s10"), "spreader_two"),
            ("t1_c11", Some("t1_c10"), "news_reader"),
        ],
        "{items:?}"
    );
    assert!(ps.iter().all(|(_, p)| p.platform == "reddit"));
    let diags: Vec<&Diagnostic> = items.iter().filter_map(|(_, r)| r.as_ref().err()).collect();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(diags[0]
        .message
        .contains("2 comments of this thread were not in the file"));
}

#[test]
fn a_bluesky_jetstream_capture_is_read_event_by_event() {
    let items = items_at(&data("bluesky/jetstream.jsonl"));
    let ps = posts_ok_at(&items);
    let got: Vec<(u64, &str, &str)> = ps
        .iter()
        .map(|(l, p)| (*l, p.id.as_str(), p.account.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                3,
                "at://did:plc:spreaderexample1/app.bsky.feed.post/3m1bpost0001",
                "did:plc:spreaderexample1"
            ),
            (
                4,
                "at://did:plc:spreaderexample1/app.bsky.feed.post/3m1cpost0002",
                "did:plc:spreaderexample1"
            ),
            (
                6,
                "at://did:plc:readerexample22/app.bsky.feed.repost/3m1erepost",
                "did:plc:readerexample22"
            ),
            (
                7,
                "at://did:plc:newsdeskexample3/app.bsky.feed.post/3m1fnews0001",
                "did:plc:newsdeskexample3"
            ),
        ],
        "likes and deletions hold no post: {items:?}"
    );
    assert!(ps.iter().all(|(_, p)| p.platform == "bluesky"));
    // The repost shares the first post, by reference only.
    let repost = ps[2].1;
    assert_eq!(repost.share_of.as_deref(), Some(ps[0].1.id.as_str()));
    assert!(repost.is_reference_only());
    let news = ps[3].1;
    assert_eq!(
        news.reply_to.as_deref(),
        Some(ps[0].1.id.as_str()),
        "a reply's parent is a post's id"
    );
    assert_eq!(news.urls, ["https://news.example/court"]);
    // The image's blob CID gives its SHA-256 (of the five bytes "hello").
    assert_eq!(
        ps[1].1.media[0].sha256.as_deref(),
        Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    );
    let accounts: Vec<(u64, &raqib_model::Account)> = items
        .iter()
        .filter_map(|(l, r)| match r {
            Ok(Record::Account(a)) => Some((*l, &**a)),
            _ => None,
        })
        .collect();
    let lines: Vec<u64> = accounts.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [1, 2, 10], "profile, identity and account events");
    assert_eq!(
        accounts[0].1.bio.as_deref(),
        Some("Join the soldiers of the khilafah and spread the release")
    );
    assert_eq!(
        accounts[1].1.handle.as_deref(),
        Some("spreader-one.example")
    );
    assert_eq!(accounts[2].1.status, raqib_model::AccountStatus::Suspended);
    // A line cut short is a diagnostic at its line; the lines after it are read.
    let diags: Vec<&Diagnostic> = items.iter().filter_map(|(_, r)| r.as_ref().err()).collect();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].at.line, 9);
}

#[test]
fn bluesky_api_json_pretty_printed_gives_each_item_at_its_line() {
    let items = items_at(&data("bluesky/author_feed.json"));
    assert!(items.iter().all(|(_, r)| r.is_ok()), "{items:?}");
    let ps = posts_ok_at(&items);
    let got: Vec<(&str, &str, Option<&str>)> = ps
        .iter()
        .map(|(_, p)| (p.id.as_str(), p.account.as_str(), p.share_of.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "at://did:plc:spreaderexample1/app.bsky.feed.post/3m1bpost0001",
                "did:plc:spreaderexample1",
                None
            ),
            (
                "at://did:plc:spreaderexample1/app.bsky.feed.repost/of/at://did:plc:newsdeskexample3/app.bsky.feed.post/3m1fnews0001",
                "did:plc:spreaderexample1",
                Some("at://did:plc:newsdeskexample3/app.bsky.feed.post/3m1fnews0001")
            ),
            (
                "at://did:plc:spreaderexample1/app.bsky.feed.post/3m1cpost0002",
                "did:plc:spreaderexample1",
                None
            ),
        ]
    );
    // Each item where it starts in the file, not all at line 1.
    let lines: Vec<u64> = ps.iter().map(|(l, _)| *l).collect();
    assert!(
        lines.windows(2).all(|w| w[0] < w[1]) && lines[0] > 1,
        "{lines:?}"
    );
    assert_eq!(ps[0].1.reach, Some(6), "likes, reposts and quotes");
    // The feed's owner once, the reposted post's author not at all.
    let accounts: Vec<&str> = items
        .iter()
        .filter_map(|(_, r)| match r {
            Ok(Record::Account(a)) => Some(a.id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(accounts, ["did:plc:spreaderexample1"]);
}

/// An account's repository as `com.atproto.sync.getRepo` gives it (`scripts/make_car.py`
/// wrote the fixture; the AT Protocol SDK's decoder, PyPI `libipld`, read it back): its
/// profile, then its posts by record key, each under its AT URI; likes passed over.
#[test]
fn a_bluesky_repository_car_file_is_read_record_by_record() {
    let items = items_at(&data("bluesky/repo.car"));
    assert!(items.iter().all(|(_, r)| r.is_ok()), "{items:?}");
    let Ok(Record::Account(owner)) = &items[0].1 else {
        panic!("{items:?}")
    };
    assert_eq!(owner.id, "did:plc:spreaderexample1");
    assert_eq!(owner.display_name.as_deref(), Some("Khilafah soldiers"));
    let ps = posts_ok_at(&items);
    let ids: Vec<&str> = ps.iter().map(|(_, p)| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "at://did:plc:spreaderexample1/app.bsky.feed.post/3m1bpost0001",
            "at://did:plc:spreaderexample1/app.bsky.feed.post/3m1cpost0002",
            "at://did:plc:spreaderexample1/app.bsky.feed.post/3m1dpost0003",
            "at://did:plc:spreaderexample1/app.bsky.feed.repost/3m1frepost01",
        ],
        "posts, then reposts; the like is not read"
    );
    assert!(ps
        .iter()
        .all(|(_, p)| p.account == owner.id && p.platform == "bluesky"));
    assert_eq!(
        ps[3].1.share_of.as_deref(),
        Some("at://did:plc:other/app.bsky.feed.post/2")
    );
    assert!(ps[3].1.is_reference_only());
    assert_eq!(
        ps[1].1.media[0].sha256.as_deref(),
        Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
        "a blob link (CBOR tag 42) read as the firehose's"
    );
    assert_eq!(
        ps[2].1.reply_to.as_deref(),
        Some("at://did:plc:other/app.bsky.feed.post/1")
    );
    assert_eq!(
        ps[0].1.created_at,
        raqib_ingest::parse_time("2026-11-29T10:00:00Z")
    );
    // A folder of JSON read through `--json-map` may hold repositories too: they are CBOR,
    // read by their own reader, not line by line through the mapping.
    let opts = Options {
        json_map: Some(std::sync::Arc::new("text=text".parse().unwrap())),
        ..Default::default()
    };
    let mut mapped = 0;
    for c in open_chunks(&data("bluesky/repo.car"), &opts).unwrap() {
        c.for_each_record(|_, r| {
            assert!(r.is_ok(), "{r:?}");
            mapped += usize::from(matches!(r, Ok(Record::Post(_))));
        });
    }
    assert_eq!(mapped, 4);
}

/// A download cut short keeps what it holds: its records, under ids made from their CIDs
/// where the tree's nodes that named them were cut off, and diagnostics that say so.
#[test]
fn a_bluesky_repository_cut_short_keeps_its_records_and_says_so() {
    let whole = std::fs::read(data("bluesky/repo.car")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = write(&dir, "repo.car", &whole[..whole.len() - 120]);
    let items = items_at(&cut);
    let ps = posts_ok_at(&items);
    assert_eq!(ps.len(), 4, "{items:?}");
    assert!(ps.iter().all(|(_, p)| p
        .id
        .starts_with("at://did:plc:spreaderexample1/app.bsky.feed.")));
    let diags: Vec<&str> = items
        .iter()
        .filter_map(|(_, r)| r.as_ref().err().map(|d| d.message.as_str()))
        .collect();
    assert!(diags.iter().any(|m| m.contains("cut short")), "{diags:?}");
    // Bytes that only open like a CAR are refused with what they lack, not a panic.
    let bad = write(&dir, "bad.car", &whole[..60]);
    let err = match open_chunks(&bad, &Options::default()) {
        Err(e) => e.to_string(),
        Ok(chunks) => chunks
            .flat_map(|c| c.records())
            .filter_map(|r| r.err().map(|d| d.message))
            .collect::<Vec<_>>()
            .join("; "),
    };
    assert!(err.contains("commit") || err.contains("cut short"), "{err}");
}

/// Reddit's data request export: `posts.csv`, `comments.csv` and `messages.csv` known by
/// their headers; every post and comment the owner's (`statistics.csv`'s `account name`),
/// with fullnames for ids, the subreddit as its place and its page; a deleted post passed
/// over and a row whose date is not one a diagnostic at its line; zipped as Reddit hands it
/// over, its other files (statistics, IP logs, votes) left out, not read as posts.
#[test]
fn a_reddit_data_export_reads_as_its_owners_posts_and_comments() {
    let file = |name: &str| data(&format!("reddit_export/{name}"));
    let (recs, diags) = split(read_all(&file("posts.csv"), &Options::default()).unwrap());
    assert!(diags.is_empty(), "{diags:?}");
    let ps = posts(&recs);
    let got: Vec<(&str, &str, Option<&str>)> = ps
        .iter()
        .map(|p| (p.id.as_str(), p.account.as_str(), p.place.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("t3_abc1", "example_user", Some("r/example_sub")),
            ("t3_abc2", "example_user", Some("r/worldnews")),
        ],
        "the deleted post passed over"
    );
    assert_eq!(ps[0].platform, "reddit");
    assert_eq!(ps[0].created_at, Some(1_790_848_800));
    assert!(
        ps[0].urls.is_empty(),
        "a self post's own page is no link it shares"
    );
    assert_eq!(ps[1].urls, ["https://news.example/report"]);
    assert_eq!(
        ps[1].permalink.as_deref(),
        Some("https://www.reddit.com/r/worldnews/comments/abc2/report/")
    );
    let accounts: Vec<&raqib_model::Account> = recs
        .iter()
        .filter_map(|r| match r {
            Record::Account(a) => Some(&**a),
            _ => None,
        })
        .collect();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].handle.as_deref(), Some("example_user"));

    let (recs, diags) = split(read_all(&file("comments.csv"), &Options::default()).unwrap());
    let ps = posts(&recs);
    assert_eq!(ps.len(), 2);
    assert_eq!(
        ps[0].text,
        "Spread the release of the islamic state,\nthe caliphate remains"
    );
    assert_eq!(
        ps[0].reply_to.as_deref(),
        Some("t3_abc1"),
        "its post, from its link"
    );
    assert_eq!(
        ps[1].reply_to.as_deref(),
        Some("t1_c0"),
        "its parent comment"
    );
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].at.line, 5, "the row after a two-line comment");
    assert!(diags[0].message.contains("`date`"), "{}", diags[0]);

    // Zipped, tarred and gzipped: the three files with posts read, the rest left out
    // without a word.
    let dir = tempfile::tempdir().unwrap();
    let members: Vec<(String, Vec<u8>)> = [
        "statistics.csv",
        "posts.csv",
        "comments.csv",
        "messages.csv",
        "ip_logs.csv",
        "post_votes.csv",
    ]
    .iter()
    .map(|name| (format!("export/{name}"), std::fs::read(file(name)).unwrap()))
    .collect();
    let archives = archives_of(&dir, "export", &members);
    for f in &archives {
        let (recs, diags) = split(read_all(f, &Options::default()).unwrap());
        assert_eq!(diags.len(), 1, "{f}: only the bad date: {diags:?}");
        let mut ids: Vec<&str> = posts(&recs).iter().map(|p| p.id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(
            ids,
            ["t1_c1", "t1_c2", "t3_abc1", "t3_abc2", "t4_m1"],
            "{f}"
        );
        assert!(
            posts(&recs)
                .iter()
                .filter(|p| p.id != "t4_m1")
                .all(|p| p.account == "example_user"),
            "{f}: the owner from statistics.csv beside"
        );
    }
    let (recs, _) = split(read_all(&archives[0], &Options::default()).unwrap());
    let m = posts(&recs).into_iter().find(|p| p.id == "t4_m1").unwrap();
    assert_eq!(m.account, "someone_else", "a message is its sender's");
    // The export's IP addresses (a post's `ip`, the login log) are read nowhere.
    let all = format!("{recs:?}");
    assert!(!all.contains("198.51.100.7") && !all.contains("192.0.2.1"));
}
