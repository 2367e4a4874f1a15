//! `raqib hash`, `raqib lists` and `raqib match` end to end.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_raqib"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("raqib runs")
}

fn lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn pdq_dir() -> PathBuf {
    root().join("tests/data/pdq")
}

#[test]
fn hash_gives_the_reference_pdq_and_digests_and_skips_bad_files_with_reasons() {
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(pdq_dir().join("photo.jpg"), d.path().join("photo.jpg")).unwrap();
    std::fs::write(d.path().join("empty.png"), b"").unwrap();
    let full = std::fs::read(pdq_dir().join("photo.png")).unwrap();
    std::fs::write(d.path().join("truncated.png"), &full[..full.len() / 3]).unwrap();
    std::fs::write(d.path().join("notes.txt"), b"hello").unwrap();
    std::fs::create_dir(d.path().join("sub")).unwrap();
    std::fs::copy(pdq_dir().join("text.gif"), d.path().join("sub/text.gif")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(d.path(), d.path().join("sub/loop")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("/nonexistent-raqib-target", d.path().join("gone.jpg")).unwrap();

    let o = run_in(d.path(), &["hash", "--dihedral", "."]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    let out = lines(&o);
    let by_file = |name: &str| {
        out.iter()
            .find(|v| v["file"].as_str().unwrap().ends_with(name))
            .cloned()
    };
    let expected: Vec<serde_json::Value> =
        std::fs::read_to_string(pdq_dir().join("expected.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let want = |name: &str| expected.iter().find(|e| e["file"] == name).unwrap().clone();
    let photo = by_file("photo.jpg").expect("photo hashed");
    assert_eq!(photo["pdq"], want("photo.jpg")["hash"]);
    assert_eq!(photo["quality"], want("photo.jpg")["quality"]);
    assert_eq!(
        photo["dihedral"]["rotate90"],
        want("photo.jpg")["dihedral"]["rotate90"]
    );
    assert_eq!(photo["md5"].as_str().unwrap().len(), 32);
    assert_eq!(photo["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        by_file("text.gif").expect("recursed")["pdq"],
        want("text.gif")["hash"]
    );
    assert!(by_file("empty.png").unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("empty"));
    assert!(by_file("truncated.png").unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("truncated"));
    assert!(by_file("notes.txt").unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("not an image"));
    #[cfg(unix)]
    assert!(err.contains("loop"), "{err}");
    #[cfg(unix)]
    assert!(
        err.contains("gone.jpg: broken symbolic link (to /nonexistent-raqib-target"),
        "{err}"
    );
    assert!(
        err.contains("hashed 2 of 5 files; 3 could not be read"),
        "{err}"
    );
}

#[test]
fn a_decompression_bomb_is_refused_within_the_pixel_limit() {
    let o = run_in(
        &root(),
        &[
            "hash",
            "--max-pixels",
            "1000000",
            "tests/data/pdq/huge_4000x3000.png",
        ],
    );
    let out = lines(&o);
    let e = out[0]["error"].as_str().unwrap();
    assert!(
        e.contains("12000000 pixels") && e.contains("--max-pixels"),
        "{e}"
    );
}

#[test]
fn lists_import_add_match_remove_export_round_trip() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let lists = p.join("lists");
    let ls = lists.to_str().unwrap();
    let ok = |o: Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o
    };
    ok(run_in(
        p,
        &[
            "lists",
            "--dir",
            ls,
            "create",
            "outlet-x",
            "--description",
            "test list",
        ],
    ));
    // An HMA-style export with a bad row and a low-quality row.
    let expected = std::fs::read_to_string(pdq_dir().join("expected.jsonl")).unwrap();
    let rec: Vec<serde_json::Value> = expected
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let photo = rec.iter().find(|e| e["file"] == "photo.png").unwrap()["hash"]
        .as_str()
        .unwrap()
        .to_string();
    let text = rec.iter().find(|e| e["file"] == "text.png").unwrap()["hash"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(
        p.join("hma.csv"),
        format!("signal_type,signal_value,tags\npdq,{photo},outlet-x poster\npdq,nothex,bad\nmd5,0123456789abcdef0123456789abcdef,clip\n"),
    )
    .unwrap();
    let o = ok(run_in(
        p,
        &["lists", "--dir", ls, "import", "outlet-x", "hma.csv"],
    ));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains("hma.csv:3") && err.contains("64 hexadecimal digits"),
        "{err}"
    );
    assert!(err.contains("imported 2 entries, refused 1"), "{err}");
    std::fs::write(
        p.join("plain.csv"),
        format!(
            "hash,label,source,quality\n{text},banner,unit-a,20\n{},cut,unit-a,80\n",
            &text[..63]
        ),
    )
    .unwrap();
    let o = ok(run_in(
        p,
        &["lists", "--dir", ls, "import", "outlet-x", "plain.csv"],
    ));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(err.contains("below 50"), "{err}");
    assert!(
        err.contains("plain.csv:3") && err.contains("is 63 hex digits"),
        "{err}"
    );
    ok(run_in(
        p,
        &[
            "lists",
            "--dir",
            ls,
            "import",
            "outlet-x",
            "--allow-low-quality",
            "plain.csv",
        ],
    ));

    // The JPEG re-encode of the listed PNG matches within the radius.
    let m = ok(run_in(
        p,
        &[
            "match",
            "--lists",
            ls,
            pdq_dir().join("photo_q40.jpg").to_str().unwrap(),
        ],
    ));
    let out = lines(&m);
    assert_eq!(out.len(), 1);
    let hit = &out[0]["matches"][0];
    assert_eq!(hit["list"], "outlet-x");
    assert_eq!(hit["label"], "outlet-x poster");
    assert_eq!(hit["type"], "pdq");
    assert!(hit["distance"].as_u64().unwrap() <= 31);

    // Compact, add one more live, and both match; then remove and it stops.
    ok(run_in(p, &["lists", "--dir", ls, "compact", "outlet-x"]));
    ok(run_in(
        p,
        &[
            "lists",
            "--dir",
            ls,
            "add",
            "outlet-x",
            "--file",
            pdq_dir().join("hd_1920x1080.webp").to_str().unwrap(),
            "--label",
            "hd",
        ],
    ));
    let m = ok(run_in(
        p,
        &[
            "match",
            "--lists",
            ls,
            pdq_dir().join("photo.png").to_str().unwrap(),
            pdq_dir().join("hd_1920x1080.webp").to_str().unwrap(),
        ],
    ));
    let out = lines(&m);
    assert_eq!(out.len(), 2, "{out:?}");
    let hd = out
        .iter()
        .find(|v| v["file"].as_str().unwrap().ends_with("webp"))
        .unwrap();
    let kinds: Vec<&str> = hd["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"pdq") && kinds.contains(&"md5") && kinds.contains(&"sha256"),
        "{kinds:?}"
    );
    ok(run_in(
        p,
        &["lists", "--dir", ls, "remove", "outlet-x", "--pdq", &photo],
    ));
    let m = ok(run_in(
        p,
        &[
            "match",
            "--lists",
            ls,
            pdq_dir().join("photo.png").to_str().unwrap(),
        ],
    ));
    assert!(lines(&m).is_empty());

    let e = ok(run_in(
        p,
        &[
            "lists", "--dir", ls, "export", "outlet-x", "--format", "hma",
        ],
    ));
    let csv = String::from_utf8_lossy(&e.stdout).to_string();
    assert!(csv.starts_with("signal_type,signal_value,tags"));
    assert!(csv.contains(&text) && !csv.contains(&photo), "{csv}");
    let s = ok(run_in(p, &["lists", "--dir", ls, "show"]));
    assert!(String::from_utf8_lossy(&s.stdout).contains("\"name\":\"outlet-x\""));
}

#[test]
fn a_torn_log_line_is_ignored_with_a_warning_and_appends_go_on() {
    let d = tempfile::tempdir().unwrap();
    let ls = d.path().join("lists");
    let ls = ls.to_str().unwrap();
    let o = run_in(d.path(), &["lists", "--dir", ls, "create", "l"]);
    assert!(o.status.success());
    let h = "f".repeat(64);
    assert!(
        run_in(d.path(), &["lists", "--dir", ls, "add", "l", "--pdq", &h])
            .status
            .success()
    );
    // A crash mid-append leaves half a line.
    let log = d.path().join("lists/l/log.jsonl");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str("{\"op\":\"add\",\"type\":\"pdq\",\"val");
    std::fs::write(&log, text).unwrap();
    let h2 = "0".repeat(64);
    let o = run_in(d.path(), &["lists", "--dir", ls, "add", "l", "--pdq", &h2]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = run_in(d.path(), &["lists", "--dir", ls, "show", "l"]);
    assert!(
        String::from_utf8_lossy(&s.stderr).contains("line skipped")
            || String::from_utf8_lossy(&s.stderr).contains("ignored")
    );
    let v: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    assert_eq!(v["entries"][0]["count"], 2, "{v}");
}

#[test]
fn lists_add_or_remove_with_nothing_named_says_what_to_give() {
    let d = tempfile::tempdir().unwrap();
    let ls = d.path().join("lists");
    let ls = ls.to_str().unwrap();
    assert!(run_in(d.path(), &["lists", "--dir", ls, "create", "l"])
        .status
        .success());
    for cmd in ["add", "remove"] {
        let o = run_in(d.path(), &["lists", "--dir", ls, cmd, "l"]);
        assert!(!o.status.success());
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("--pdq, --md5"),
            "{cmd}"
        );
    }
}

#[test]
fn match_without_a_lists_folder_says_how_to_make_one() {
    let d = tempfile::tempdir().unwrap();
    let o = run_in(d.path(), &["match", "--lists", "nowhere", "x.png"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("raqib lists --dir nowhere create"));
}

#[test]
fn scan_flags_posts_carrying_listed_media_or_links_with_the_match_as_evidence() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let ls = p.join("lists");
    let ls = ls.to_str().unwrap();
    let listed = "d4db132511e2252e".to_string() + &"5a".repeat(24);
    // Two bits away from the listed hash.
    let near = "d4db132511e2252f".to_string() + &"5a".repeat(23) + "5b";
    assert!(run_in(p, &["lists", "--dir", ls, "create", "outlet-x"])
        .status
        .success());
    let o = run_in(
        p,
        &[
            "lists",
            "--dir",
            ls,
            "add",
            "outlet-x",
            "--pdq",
            &listed,
            "--domain",
            "bad-outlet.example",
            "--label",
            "outlet X",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let posts = [
        format!(r#"{{"id":"1","account":"a","text":"good morning everyone","media":[{{"kind":"image","pdq":"{near}"}}]}}"#),
        // Its link's card names the same page: one match, not two.
        r#"{"id":"2","account":"b","text":"read this","urls":["https://www.Bad-Outlet.example/news/1?utm_source=x"],"media":[{"kind":"link","url":"https://bad-outlet.example/news/1","alt":"Today's weather"}]}"#.to_string(),
        r#"{"id":"3","account":"c","text":"lovely weather at the beach today","urls":["https://example.org/"]}"#.to_string(),
    ];
    std::fs::write(p.join("posts.jsonl"), posts.join("\n") + "\n").unwrap();
    let o = run_in(
        p,
        &[
            "scan",
            "--lists",
            ls,
            "posts.jsonl",
            "--out",
            "report",
            "--quiet",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out: Vec<serde_json::Value> = std::fs::read_to_string(p.join("report/posts.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_id = |id: &str| out.iter().find(|v| v["id"] == id).cloned();
    let one = by_id("1").expect("media match flagged");
    assert_eq!(one["media_matches"][0]["distance"], 2);
    assert_eq!(one["media_matches"][0]["label"], "outlet X");
    let two = by_id("2").expect("domain match flagged");
    assert_eq!(two["media_matches"][0]["type"], "domain");
    assert_eq!(two["media_matches"].as_array().unwrap().len(), 1, "{two}");
    assert!(by_id("3").is_none());
}

#[test]
fn a_damaged_index_file_falls_back_to_the_log_and_compact_repairs_it() {
    let d = tempfile::tempdir().unwrap();
    let ls = d.path().join("lists");
    let ls = ls.to_str().unwrap();
    assert!(run_in(d.path(), &["lists", "--dir", ls, "create", "l"])
        .status
        .success());
    let h = "d4db132511e2252e".to_string() + &"5a".repeat(24);
    assert!(
        run_in(d.path(), &["lists", "--dir", ls, "add", "l", "--pdq", &h])
            .status
            .success()
    );
    assert!(run_in(d.path(), &["lists", "--dir", ls, "compact", "l"])
        .status
        .success());
    std::fs::write(
        d.path().join("lists/l/pdq.hix"),
        b"RAQIBHIX garbage, not an index",
    )
    .unwrap();
    let s = run_in(d.path(), &["lists", "--dir", ls, "show", "l"]);
    assert!(s.status.success());
    let err = String::from_utf8_lossy(&s.stderr);
    assert!(
        err.contains("raqib lists compact") && err.contains("using the log"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    assert_eq!(v["entries"][0]["count"], 1, "{v}");
    assert!(run_in(d.path(), &["lists", "--dir", ls, "compact", "l"])
        .status
        .success());
    let s = run_in(d.path(), &["lists", "--dir", ls, "show", "l"]);
    assert!(
        String::from_utf8_lossy(&s.stderr).is_empty(),
        "{}",
        String::from_utf8_lossy(&s.stderr)
    );
}

#[test]
fn after_compaction_only_the_new_log_is_read_and_every_entry_type_survives() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let ls = p.join("lists");
    let ls = ls.to_str().unwrap();
    let ok = |o: Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o
    };
    ok(run_in(p, &["lists", "--dir", ls, "create", "l"]));
    let video = root().join("tests/data/video/testsrc.mp4");
    ok(run_in(
        p,
        &[
            "lists",
            "--dir",
            ls,
            "add",
            "l",
            "--pdq",
            &"ab".repeat(32),
            "--domain",
            "bad.example",
            "--file",
            video.to_str().unwrap(),
        ],
    ));
    ok(run_in(p, &["lists", "--dir", ls, "compact", "l"]));
    // Prove the compacted part of the log is not read again: damage every
    // line of it (keeping the line structure, so numbering is unchanged).
    let log = p.join("lists/l/log.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    let damaged: String = text.lines().map(|l| "x".repeat(l.len()) + "\n").collect();
    std::fs::write(&log, damaged).unwrap();
    ok(run_in(
        p,
        &["lists", "--dir", ls, "add", "l", "--md5", &"0".repeat(32)],
    ));
    let mut bad = std::fs::read_to_string(&log).unwrap();
    bad.push_str("not json\n");
    std::fs::write(&log, bad).unwrap();
    let s = ok(run_in(p, &["lists", "--dir", ls, "show", "l"]));
    let err = String::from_utf8_lossy(&s.stderr);
    // Only the line appended after the compaction is reported, by its number in the whole log.
    let log_lines = std::fs::read_to_string(&log).unwrap().lines().count();
    assert_eq!(err.matches("line skipped").count(), 1, "{err}");
    assert!(err.contains(&format!("log.jsonl:{log_lines}:")), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    let counts: std::collections::HashMap<String, u64> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_string(),
                e["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts.get("pdq"), Some(&1), "{v}");
    assert_eq!(counts.get("domain"), Some(&1), "{v}");
    assert_eq!(counts.get("video"), Some(&1), "{v}");
    assert_eq!(counts.get("md5"), Some(&2), "{v}"); // the video's and the added one
                                                    // The listed video still matches itself.
    let m = ok(run_in(
        p,
        &["match", "--lists", ls, video.to_str().unwrap()],
    ));
    let out = lines(&m);
    assert!(
        out[0]["matches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["type"] == "video" && x["query_share"] == 100.0),
        "{out:?}"
    );
}

fn ok_run(o: Output) -> Output {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// A hash list `known` in `dir/lists` holding the test photo (labelled `poster`); its path.
fn list_with_the_poster(dir: &Path) -> PathBuf {
    let poster = pdq_dir().join("photo.png");
    ok_run(run_in(dir, &["lists", "--dir", "lists", "create", "known"]));
    ok_run(run_in(
        dir,
        &[
            "lists",
            "--dir",
            "lists",
            "add",
            "known",
            "--file",
            poster.to_str().unwrap(),
            "--label",
            "poster",
        ],
    ));
    poster
}

/// Add the test video (`tests/data/video/testsrc.mp4`) to the list `known` in `dir/lists`
/// under `label`; its path.
fn add_the_test_video(dir: &Path, label: &str) -> PathBuf {
    let video = root().join("tests/data/video/testsrc.mp4");
    let file = video.to_str().unwrap();
    ok_run(run_in(
        dir,
        &[
            "lists", "--dir", "lists", "add", "known", "--file", file, "--label", label,
        ],
    ));
    video
}

/// A scan report's `posts.jsonl` and `summary.json` in `dir`.
fn report(dir: &Path) -> (Vec<serde_json::Value>, serde_json::Value) {
    let posts = std::fs::read_to_string(dir.join("posts.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    (posts, summary)
}

/// `raqib scan INPUT --lists lists --hash-media --out r` in `dir`: the report.
fn scan_hashing_media(dir: &Path, input: &str) -> (Vec<serde_json::Value>, serde_json::Value) {
    ok_run(run_in(
        dir,
        &[
            "scan",
            input,
            "-q",
            "--lists",
            "lists",
            "--hash-media",
            "--out",
            "r",
        ],
    ));
    report(&dir.join("r"))
}

/// `scan --lists --hash-media`: the images a WhatsApp export carries beside its chat are
/// hashed and matched (a re-encode of a listed poster by PDQ), a missing one is counted, a
/// path that leaves the export is never read; without `--hash-media` nothing is matched.
#[test]
fn scan_hashes_an_exports_media_files_to_match_lists() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let ok = ok_run;
    let poster = list_with_the_poster(p);
    std::fs::create_dir(p.join("chat")).unwrap();
    std::fs::copy(pdq_dir().join("photo_q40.jpg"), p.join("chat/IMG-1.jpg")).unwrap();
    std::fs::copy(pdq_dir().join("odd_641x479.jpg"), p.join("chat/IMG-2.jpg")).unwrap();
    // Outside the export: would match if it were read.
    std::fs::copy(&poster, p.join("outside.png")).unwrap();
    std::fs::write(
        p.join("chat/WhatsApp Chat with Example.txt"),
        "02/11/2026, 10:00 - Ann: IMG-1.jpg (file attached)\nlook\n\
         02/11/2026, 10:01 - Bob: IMG-2.jpg (file attached)\n\
         02/11/2026, 10:02 - Cy: IMG-3.jpg (file attached)\n\
         02/11/2026, 10:03 - Dee: ../outside.png (file attached)\n",
    )
    .unwrap();
    let scan = |more: &[&str]| {
        let mut args = vec!["scan", "chat", "--all-posts", "-q", "--lists", "lists"];
        args.extend_from_slice(more);
        args.extend_from_slice(&["--out", "r"]);
        ok(run_in(p, &args));
        report(&p.join("r"))
    };
    let (posts, summary) = scan(&["--hash-media"]);
    let flagged: Vec<&str> = posts
        .iter()
        .filter(|p| p["flagged"] == true)
        .map(|p| p["account"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, ["Ann"], "{posts:?}");
    let hit = &posts[0]["media_matches"][0];
    assert_eq!(hit["list"], "known");
    assert_eq!(hit["label"], "poster");
    assert_eq!(hit["type"], "pdq");
    assert_eq!(summary["local_media"]["hashed"], 2, "{summary}");
    assert_eq!(summary["local_media"]["not_hashed"], 1, "{summary}");
    assert!(std::fs::read_to_string(p.join("r/summary.txt"))
        .unwrap()
        .contains("local media: 2 file(s) hashed, 1 could not be"));

    let (posts, summary) = scan(&[]);
    assert!(posts.iter().all(|p| p["flagged"] == false), "{posts:?}");
    assert!(summary.get("local_media").is_none());
    // --hash-media needs lists to match against.
    let o = run_in(p, &["scan", "chat", "--hash-media"]);
    assert_eq!(o.status.code(), Some(2));
}

/// A Twitter archive's media are URLs in its tweets; `--hash-media` finds the archive's own
/// copies in `tweets_media/` (`<tweet id>-<file name>`: a photo's, and a video's by the
/// name of its MP4) and matches them, the video by its frames.
#[test]
fn scan_hashes_a_twitter_archives_own_copies_of_its_media() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    list_with_the_poster(p);
    add_the_test_video(p, "release");
    let archive = root().join("tests/data/twitter_archive");
    let (posts, summary) = scan_hashing_media(p, archive.to_str().unwrap());
    assert_the_archives_media_matched(&posts, &summary, archive.to_str().unwrap());
}

/// The test Twitter archive zipped into `dir/twitter.zip`, as Twitter hands it over.
fn zip_the_test_archive(dir: &Path) {
    use std::io::Write;
    let archive = root().join("tests/data/twitter_archive");
    let mut z = zip::ZipWriter::new(std::fs::File::create(dir.join("twitter.zip")).unwrap());
    let mut stack = vec![archive.clone()];
    while let Some(folder) = stack.pop() {
        for e in std::fs::read_dir(folder).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
                continue;
            }
            let name = e
                .path()
                .strip_prefix(&archive)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let o = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            z.start_file(name, o).unwrap();
            z.write_all(&std::fs::read(e.path()).unwrap()).unwrap();
        }
    }
    z.finish().unwrap();
}

/// What a scan of the test archive (`FILE`, a folder or zipped) must find: the photo
/// matched by PDQ, the video by its frames (from a zip, copied out for ffmpeg) as well as
/// its SHA-256, both hashed, each post at `FILE/data/tweets.js`.
fn assert_the_archives_media_matched(
    posts: &[serde_json::Value],
    summary: &serde_json::Value,
    file: &str,
) {
    let by_id = |id: &str| {
        posts
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("{id} flagged: {posts:?}"))
    };
    let photo = by_id("1600000000000000104");
    assert_eq!(photo["media_matches"][0]["type"], "pdq");
    assert_eq!(photo["file"], format!("{file}/data/tweets.js"));
    let types: Vec<&str> = by_id("1600000000000000107")["media_matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"video"), "{types:?}");
    assert!(types.contains(&"sha256"), "{types:?}");
    assert_eq!(summary["local_media"]["hashed"], 2, "{summary}");
    assert_eq!(summary["local_media"]["not_hashed"], 0, "{summary}");
    assert_eq!(summary["local_media"]["videos_framed"], 1, "{summary}");
    assert_eq!(summary["local_media"]["videos_not_framed"], 0, "{summary}");
}

/// `raqib scan --lists --hash-media` of the zipped test archive, named (`twitter.zip`),
/// piped in (`-`) or inside a tar (`bundle.tar`), or of the archive tarred
/// (`twitter.tar`, `twitter.tar.gz`), with a `TMPDIR` of its own: the report, and what is left in `TMPDIR`.
fn scan_the_zipped_archive(input: &str) -> (Vec<serde_json::Value>, serde_json::Value, usize) {
    use std::io::Write;
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    list_with_the_poster(p);
    add_the_test_video(p, "release");
    zip_the_test_archive(p);
    let mut tar = tar::Builder::new(std::fs::File::create(p.join("bundle.tar")).unwrap());
    tar.append_path_with_name(p.join("twitter.zip"), "twitter.zip")
        .unwrap();
    tar.finish().unwrap();
    let mut tar = tar::Builder::new(std::fs::File::create(p.join("twitter.tar")).unwrap());
    tar.append_dir_all(".", root().join("tests/data/twitter_archive"))
        .unwrap();
    tar.finish().unwrap();
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(p.join("twitter.tar.gz")).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(&std::fs::read(p.join("twitter.tar")).unwrap())
        .unwrap();
    gz.finish().unwrap();
    let tmp = p.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_raqib"))
        .args(["scan", input, "-q", "--lists", "lists", "--hash-media"])
        .args(["--out", "r"])
        .env("TMPDIR", &tmp)
        .current_dir(p)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = match input {
        "-" => std::fs::read(p.join("twitter.zip")).unwrap(),
        _ => Vec::new(),
    };
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    ok_run(o);
    let (posts, summary) = report(&p.join("r"));
    (posts, summary, std::fs::read_dir(&tmp).unwrap().count())
}

/// A Twitter archive as Twitter hands it over, zipped: its media are members of the zip,
/// hashed from it without unpacking it, its video framed from a copy that is then removed.
#[test]
fn scan_hashes_a_zipped_archives_media_inside_the_zip() {
    let (posts, summary, left) = scan_the_zipped_archive("twitter.zip");
    assert_the_archives_media_matched(&posts, &summary, "twitter.zip");
    assert_eq!(left, 0, "copies left in TMPDIR");
}

/// The zipped archive inside a tar: the zip comes to the reader as a stream and is spooled,
/// and its media are reached through it though the tar's own are not.
#[test]
fn scan_hashes_the_media_of_a_zip_inside_a_tar() {
    let (posts, summary, left) = scan_the_zipped_archive("bundle.tar");
    assert_the_archives_media_matched(&posts, &summary, "bundle.tar/twitter.zip");
    assert_eq!(left, 0, "copies left in TMPDIR");
}

/// The archive in an uncompressed tar: its media are found by the tar's headers and read
/// by offset, as a zip's members are, its photo matched and its video framed from a copy
/// that is then removed; its owner is read from the `account.js` beside the tweets.
#[test]
fn scan_hashes_a_tarred_archives_media_inside_the_tar() {
    let (posts, summary, left) = scan_the_zipped_archive("twitter.tar");
    assert_the_archives_media_matched(&posts, &summary, "twitter.tar");
    assert_eq!(left, 0, "copies left in TMPDIR");
    assert!(
        posts.iter().all(|p| p["account"] != "(unknown)"),
        "{posts:?}"
    );
}

/// The archive in a gzipped tar: decompressed once into a file with no name in the
/// temporary folder, its media then read from it by offset as from a `.tar` (its video
/// framed from a copy), its owner read from the `account.js` beside the tweets; nothing is
/// left in the folder.
#[test]
fn scan_hashes_the_media_of_an_archive_in_a_gzipped_tar() {
    let (posts, summary, left) = scan_the_zipped_archive("twitter.tar.gz");
    assert_the_archives_media_matched(&posts, &summary, "twitter.tar.gz");
    assert_eq!(left, 0, "copies left in TMPDIR");
    assert!(
        posts.iter().all(|p| p["account"] != "(unknown)"),
        "{posts:?}"
    );
}

/// The zipped archive piped in (`curl URL | raqib scan -`): the zip is spooled to a file
/// with no name, and its media, named through the stream (`-/data/tweets_media/...`), are
/// hashed from that copy as from a zip on disk; nothing is left in the temporary folder.
#[test]
fn scan_hashes_the_media_of_a_zip_that_comes_as_a_stream() {
    let (posts, summary, left) = scan_the_zipped_archive("-");
    assert_the_archives_media_matched(&posts, &summary, "-");
    assert_eq!(left, 0, "copies left in TMPDIR");
}

/// The test Telegram export (JSON) in `dir/export`, with the listed poster under the
/// export's name for it in its `photos/`.
fn telegram_export_with_the_poster(dir: &Path) {
    std::fs::create_dir_all(dir.join("export/photos")).unwrap();
    std::fs::copy(
        root().join("tests/data/telegram_result.json"),
        dir.join("export/result.json"),
    )
    .unwrap();
    std::fs::copy(
        pdq_dir().join("photo_q40.jpg"),
        dir.join("export/photos/photo_1.jpg"),
    )
    .unwrap();
}

/// A Telegram Desktop export (JSON) with its `photos/` beside `result.json`: the listed
/// poster, saved under the export's name for it, flags its message; the video the export
/// names but does not hold is counted as not hashed, and the summary says which and why.
#[test]
fn scan_hashes_a_telegram_exports_photos() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    list_with_the_poster(p);
    telegram_export_with_the_poster(p);
    let why = scan_the_export_with_the_poster(p, "export");
    assert!(why.starts_with("export/video_files/"), "{why}");
}

/// Scan the export with the poster (`input`, in `dir`) hashing its media: the message with
/// the photo flagged by it, the photo hashed and the missing video not; why it was not.
fn scan_the_export_with_the_poster(dir: &Path, input: &str) -> String {
    let (posts, summary) = scan_hashing_media(dir, input);
    let hit = posts
        .iter()
        .find(|p| p["id"] == "777/2")
        .expect("the message with the photo flagged");
    assert_eq!(hit["media_matches"][0]["label"], "poster");
    assert_eq!(summary["local_media"]["hashed"], 1, "{summary}");
    assert_eq!(summary["local_media"]["not_hashed"], 1, "{summary}");
    summary["local_media"]["media_error"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `dir/export` tarred into `out`, as `export/...`; `out` given back.
fn tar_the_export<W: std::io::Write>(dir: &Path, out: W) -> W {
    let mut tar = tar::Builder::new(out);
    tar.append_dir_all("export", dir.join("export")).unwrap();
    tar.into_inner().unwrap()
}

/// The same export as a `.tar`: its photo is read from the tar by offset and flags its
/// message as from the folder; the video it names and does not hold is counted, with why.
#[test]
fn scan_hashes_a_tarred_exports_photos() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    list_with_the_poster(p);
    telegram_export_with_the_poster(p);
    tar_the_export(p, std::fs::File::create(p.join("export.tar")).unwrap());
    let why = scan_the_export_with_the_poster(p, "export.tar");
    assert!(
        why.starts_with("export.tar/export/video_files/") && why.contains("no member"),
        "{why}"
    );
}

/// `scan --hash-media` on the export tarred and compressed, with a `TMPDIR` of its own
/// (`tmp` in `dir`, made where `make_tmp`): the report; what is left in `TMPDIR`.
fn scan_compressed_tar(
    dir: &Path,
    input: &str,
    make_tmp: bool,
) -> (Vec<serde_json::Value>, serde_json::Value, usize) {
    let tmp = dir.join("tmp");
    if make_tmp {
        std::fs::create_dir_all(&tmp).unwrap();
    }
    let _ = std::fs::remove_dir_all(dir.join("r"));
    ok_run(
        Command::new(env!("CARGO_BIN_EXE_raqib"))
            .args(["scan", input, "-q", "--lists", "lists", "--hash-media"])
            .args(["--out", "r"])
            .env("TMPDIR", &tmp)
            .current_dir(dir)
            .output()
            .expect("raqib runs"),
    );
    let (posts, summary) = report(&dir.join("r"));
    let left = std::fs::read_dir(&tmp).map_or(0, |d| d.count());
    (posts, summary, left)
}

/// The export as a `.tar.gz` and a `.tar.zst`: a compressed tar has no member but at its
/// start, so it is decompressed once into a file with no name in the temporary folder and
/// its photo read from there, flagging its message as from the `.tar`; nothing is left in
/// the folder. Where the temporary folder cannot hold it, its media are counted as not
/// hashed and the summary says why and how to decompress it by hand.
#[test]
fn scan_hashes_a_compressed_tarred_exports_photos_or_says_why_not() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    list_with_the_poster(p);
    telegram_export_with_the_poster(p);
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(p.join("export.tar.gz")).unwrap(),
        flate2::Compression::fast(),
    );
    tar_the_export(p, gz).finish().unwrap();
    let tar = tar_the_export(p, Vec::new());
    std::fs::write(
        p.join("export.tar.zst"),
        zstd::encode_all(&tar[..], 3).unwrap(),
    )
    .unwrap();

    for input in ["export.tar.gz", "export.tar.zst"] {
        let (posts, summary, left) = scan_compressed_tar(p, input, true);
        let hit = posts
            .iter()
            .find(|p| p["id"] == "777/2")
            .expect("the message with the photo flagged");
        assert_eq!(hit["media_matches"][0]["label"], "poster", "{input}");
        assert_eq!(summary["local_media"]["hashed"], 1, "{input}: {summary}");
        assert_eq!(
            summary["local_media"]["not_hashed"], 1,
            "{input}: {summary}"
        );
        let why = summary["local_media"]["media_error"].as_str().unwrap();
        assert!(
            why.starts_with(&format!("{input}/export/video_files/")) && why.contains("no member"),
            "{why}"
        );
        assert_eq!(left, 0, "{input}: copies left in TMPDIR");
    }

    // A temporary folder that is not there: nothing can be decompressed into it.
    let _ = std::fs::remove_dir_all(p.join("tmp"));
    let (posts, summary, _) = scan_compressed_tar(p, "export.tar.gz", false);
    assert!(
        posts.iter().all(|p| p["media_matches"].is_null()),
        "{posts:?}"
    );
    assert_eq!(summary["local_media"]["hashed"], 0, "{summary}");
    assert_eq!(summary["local_media"]["not_hashed"], 2, "{summary}");
    let why = summary["local_media"]["media_error"].as_str().unwrap();
    assert!(
        why.starts_with("export.tar.gz/export/")
            && why.contains("compressed with gzip")
            && why.contains("temporary folder")
            && why.contains("gunzip -k export.tar.gz"),
        "{why}"
    );
    let text = std::fs::read_to_string(p.join("r/summary.txt")).unwrap();
    assert!(text.contains("compressed with gzip"), "{text}");
}

/// A Facebook export's posts and comments ("Download Your Information", JSON) as a folder,
/// zipped and as a `.tar.gz`: each post is credited to the export's owner, named by the
/// profile at the export's root (Meta's posts name no author), the listed poster among its
/// posts' photos flags its post, and as a comment's sticker (named from the export's root)
/// its comment; the photo it names and does not hold is counted with why.
#[test]
fn scan_reads_a_facebook_exports_posts_with_their_owner_and_hashes_their_photos() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    list_with_the_poster(p);
    let files = [
        "your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json",
        "your_facebook_activity/comments_and_reactions/comments.json",
        "personal_information/profile_information/profile_information.json",
    ];
    let photos = [
        "your_facebook_activity/posts/media/Mobileuploads_1/1001.jpg",
        "your_facebook_activity/posts/media/stickers_used/2001.png",
    ];
    export_with_the_poster(p, "fb", "meta_export", &files, &photos);
    for input in ["fb", "fb.zip", "fb.tar.gz"] {
        let (posts, summary, left) = scan_compressed_tar(p, input, true);
        let hit = posts
            .iter()
            .find(|p| p["id"] == "مهاجر/posts/1793527900")
            .unwrap_or_else(|| panic!("{input}: the post with the photo flagged: {posts:?}"));
        assert_eq!(hit["media_matches"][0]["label"], "poster", "{input}");
        assert_eq!(hit["account"], "مهاجر", "{input}");
        assert_eq!(hit["platform"], "facebook", "{input}");
        let sticker = posts
            .iter()
            .find(|p| p["id"] == "مهاجر/comments/1793528300")
            .unwrap_or_else(|| panic!("{input}: the comment with the sticker: {posts:?}"));
        assert_eq!(sticker["media_matches"][0]["label"], "poster", "{input}");
        assert!(
            posts.iter().all(|p| p["account"] == "مهاجر"),
            "{input}: {posts:?}"
        );
        assert_eq!(summary["local_media"]["hashed"], 2, "{input}: {summary}");
        assert_eq!(
            summary["local_media"]["not_hashed"], 1,
            "{input}: {summary}"
        );
        let why = summary["local_media"]["media_error"].as_str().unwrap();
        assert!(why.contains("media/your_posts/1002.jpg"), "{input}: {why}");
        assert_eq!(left, 0, "{input}: copies left in TMPDIR");
    }
}

/// An export in the folder `dir` of `p`: the `files` of the fixture `tests/data/FIXTURE`
/// and the listed poster as each of `photos`; also as `dir.zip` and `dir.tar.gz`, as an
/// export is handed over.
fn export_with_the_poster(p: &Path, dir: &str, fixture: &str, files: &[&str], photos: &[&str]) {
    for f in files {
        std::fs::create_dir_all(p.join(dir).join(f).parent().unwrap()).unwrap();
        std::fs::copy(
            root().join("tests/data").join(fixture).join(f),
            p.join(dir).join(f),
        )
        .unwrap();
    }
    for photo in photos {
        std::fs::create_dir_all(p.join(dir).join(photo).parent().unwrap()).unwrap();
        std::fs::copy(pdq_dir().join("photo_q40.jpg"), p.join(dir).join(photo)).unwrap();
    }
    let members = files.iter().chain(photos);
    let mut z = zip::ZipWriter::new(std::fs::File::create(p.join(format!("{dir}.zip"))).unwrap());
    for f in members {
        z.start_file(*f, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut z, &std::fs::read(p.join(dir).join(f)).unwrap()).unwrap();
    }
    z.finish().unwrap();
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(p.join(format!("{dir}.tar.gz"))).unwrap(),
        flate2::Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    tar.append_dir_all(".", p.join(dir)).unwrap();
    tar.into_inner().unwrap().finish().unwrap();
}

/// `scan --lists --hash-media` on an Instagram export, unpacked, zipped or as a `.tar.gz`:
/// its posts name their photos from the export's root (`media/posts/...`, two folders above
/// the posts' file), where the listed photo is found and flags its post; the owner's
/// account is the profile's (handle, name and bio), and holds the owner's messages too (a
/// thread names them by name); the export's other JSON (likes) is left out, not read as
/// posts; nothing is left in the temporary folder.
#[test]
fn scan_reads_an_instagram_exports_posts_and_hashes_their_photos_from_its_root() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    list_with_the_poster(p);
    let files = [
        "your_instagram_activity/content/posts_1.json",
        "your_instagram_activity/likes/liked_posts.json",
        "your_instagram_activity/messages/inbox/friend_1001/message_1.json",
        "personal_information/personal_information/personal_information.json",
    ];
    // The caption of the post with the listed photo is news: only the photo flags it.
    let photo = "media/posts/202611/1003.jpg";
    export_with_the_poster(p, "ig", "instagram_export", &files, &[photo]);
    for input in ["ig", "ig.zip", "ig.tar.gz"] {
        let (posts, summary, left) = scan_compressed_tar(p, input, true);
        assert_eq!(
            summary["posts"], 5,
            "{input}: 3 posts and 2 messages, the likes not posts: {summary}"
        );
        assert_eq!(summary["skipped_records"], 0, "{input}: {summary}");
        let hit = posts
            .iter()
            .find(|p| p["id"] == "مهاجر/posts/1793527900")
            .unwrap_or_else(|| panic!("{input}: the post with the photo: {posts:?}"));
        assert_eq!(hit["media_matches"][0]["label"], "poster", "{input}");
        assert_eq!(hit["flagged"], true, "{input}");
        assert_eq!(hit["platform"], "instagram", "{input}");
        assert_eq!(summary["local_media"]["hashed"], 1, "{input}: {summary}");
        assert_eq!(
            summary["local_media"]["not_hashed"], 3,
            "{input}: {summary}"
        );
        let why = summary["local_media"]["media_error"].as_str().unwrap();
        assert!(why.contains("media/posts/202611/100"), "{input}: {why}");
        assert_eq!(left, 0, "{input}: copies left in TMPDIR");
        let accounts = std::fs::read_to_string(p.join("r/accounts.jsonl")).unwrap();
        let accounts: Vec<serde_json::Value> = accounts
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(accounts.len(), 2, "{input}: the owner and a friend");
        let owner = accounts
            .iter()
            .find(|a| a["id"] == "مهاجر")
            .unwrap_or_else(|| panic!("{input}: {accounts:?}"));
        assert_eq!(owner["posts"], 4, "{input}: 3 posts and a message: {owner}");
        assert_eq!(owner["handle"], "muhajir_example", "{input}");
        assert_eq!(owner["display_name"], "مهاجر", "{input}");
    }
}

/// `scan --lists --hash-media` on an export's videos: the frames of each are hashed (vPDQ,
/// by ffmpeg), so a re-encode of a listed video (larger, another bitrate: a new SHA-256)
/// flags its message, while another video does not. Without ffmpeg the videos are still
/// hashed by SHA-256 (an exact copy of a listed video still matches), and the summary says
/// why their frames were not. Needs the `ffmpeg` command.
#[test]
fn scan_hashes_an_exports_videos_frame_by_frame() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    list_with_the_poster(p);
    let video = add_the_test_video(p, "nasheed");
    std::fs::create_dir(p.join("chat")).unwrap();
    let encoded = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-i"])
        .arg(&video)
        .args(["-vf", "scale=480:-2", "-c:v", "libx264", "-crf", "30"])
        .arg(p.join("chat/VID-1.mp4"))
        .status()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(encoded.success());
    std::fs::copy(
        root().join("tests/data/video/mandelbrot.mp4"),
        p.join("chat/VID-2.mp4"),
    )
    .unwrap();
    std::fs::copy(&video, p.join("chat/VID-3.mp4")).unwrap();
    std::fs::write(
        p.join("chat/WhatsApp Chat with Example.txt"),
        "02/11/2026, 10:00 - Ann: VID-1.mp4 (file attached)\n\
         02/11/2026, 10:01 - Bob: VID-2.mp4 (file attached)\n\
         02/11/2026, 10:02 - Cy: VID-3.mp4 (file attached)\n",
    )
    .unwrap();
    let flagged = |posts: &[serde_json::Value]| -> Vec<String> {
        posts
            .iter()
            .filter(|p| p["flagged"] == true)
            .map(|p| p["account"].as_str().unwrap().to_string())
            .collect()
    };
    let (posts, summary) = scan_hashing_media(p, "chat");
    assert_eq!(flagged(&posts), ["Ann", "Cy"], "{posts:?}");
    let ann = &posts[0];
    assert!(
        ann["media_matches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["type"] == "video" && m["label"] == "nasheed"),
        "{ann}"
    );
    let local = &summary["local_media"];
    assert_eq!(local["hashed"], 3, "{summary}");
    assert_eq!(local["videos_framed"], 3, "{summary}");
    assert_eq!(local["videos_not_framed"], 0, "{summary}");

    // No ffmpeg on the PATH: SHA-256 alone (the exact copy matches, the re-encode cannot).
    let empty = p.join("no-tools");
    std::fs::create_dir(&empty).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_raqib"))
        .args([
            "scan",
            "chat",
            "-q",
            "--lists",
            "lists",
            "--hash-media",
            "--out",
            "r2",
        ])
        .current_dir(p)
        .env("PATH", &empty)
        .output()
        .unwrap();
    ok_run(o);
    let (posts, summary) = report(&p.join("r2"));
    assert_eq!(flagged(&posts), ["Cy"], "{posts:?}");
    let local = &summary["local_media"];
    assert_eq!(local["videos_framed"], 0, "{summary}");
    assert_eq!(local["videos_not_framed"], 3, "{summary}");
    assert!(
        local["video_error"]
            .as_str()
            .unwrap()
            .contains("apt-get install ffmpeg"),
        "{summary}"
    );
    let text = std::fs::read_to_string(p.join("r2/summary.txt")).unwrap();
    assert!(
        text.contains("local videos: 0 with their frames hashed (vPDQ), 3 by their SHA-256 alone"),
        "{text}"
    );
}

/// A platform's CSV export that keeps a SHA-256 of each upload: `scan --lists` matches the
/// hash column against the lists without the files (the row with the listed poster's
/// digest is flagged, whatever its text); a row with a malformed hash is a diagnostic.
#[test]
fn scan_matches_the_media_hashes_of_a_csv_export() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let poster = list_with_the_poster(p);
    let o = ok_run(run_in(p, &["hash", poster.to_str().unwrap()]));
    let hashed: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&o.stdout).lines().next().unwrap()).unwrap();
    let sha = hashed["sha256"].as_str().unwrap().to_uppercase();
    std::fs::write(
        p.join("export.csv"),
        format!(
            "id,username,text,media_url,sha256\n\
             1,ann,nice weather today,https://cdn.example/1.png,{sha}\n\
             2,bob,nice weather today,https://cdn.example/2.png,{}\n\
             3,cy,nice weather today,https://cdn.example/3.png,abc\n",
            "0".repeat(64)
        ),
    )
    .unwrap();
    ok_run(run_in(
        p,
        &["scan", "export.csv", "-q", "--lists", "lists", "--out", "r"],
    ));
    let (posts, summary) = report(&p.join("r"));
    let ids: Vec<&str> = posts.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["1"], "{posts:?}");
    assert_eq!(posts[0]["media_matches"][0]["type"], "sha256");
    assert_eq!(posts[0]["media_matches"][0]["label"], "poster");
    assert_eq!(summary["skipped_records"], 1, "{summary}");
    let diags = std::fs::read_to_string(p.join("r/diagnostics.jsonl")).unwrap();
    assert!(diags.contains("not a SHA-256"), "{diags}");
}

/// A Meta "Download Your Information" export, as a folder and as the zip Meta hands over:
/// its Messenger thread is read (mangled Arabic mended, so the text model reads it), the
/// listed poster in the thread's `photos/` flags its message by PDQ, and the export's other
/// JSON sections are left out with a line that says so instead of a diagnostic each.
#[test]
fn scan_reads_a_meta_exports_threads_and_hashes_their_photos() {
    use std::io::Write;
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    list_with_the_poster(p);
    let thread = "fb/your_facebook_activity/messages/inbox/example_1001";
    std::fs::create_dir_all(p.join(thread).join("photos")).unwrap();
    std::fs::copy(
        root().join("tests/data/meta_export/your_facebook_activity/messages/inbox/example_1001/message_1.json"),
        p.join(thread).join("message_1.json"),
    )
    .unwrap();
    std::fs::copy(
        pdq_dir().join("photo_q40.jpg"),
        p.join(thread).join("photos/1.jpg"),
    )
    .unwrap();
    std::fs::create_dir_all(p.join("fb/personal_information/profile_information")).unwrap();
    std::fs::write(
        p.join("fb/personal_information/profile_information/profile_information.json"),
        r#"{"profile_v2": {"name": {"full_name": "Sara Example"}}}"#,
    )
    .unwrap();
    let mut z = zip::ZipWriter::new(std::fs::File::create(p.join("fb.zip")).unwrap());
    for f in [
        "your_facebook_activity/messages/inbox/example_1001/message_1.json",
        "your_facebook_activity/messages/inbox/example_1001/photos/1.jpg",
        "personal_information/profile_information/profile_information.json",
    ] {
        z.start_file(f, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(&std::fs::read(p.join("fb").join(f)).unwrap())
            .unwrap();
    }
    z.finish().unwrap();
    for input in ["fb", "fb.zip"] {
        let o = ok_run(run_in(
            p,
            &[
                "scan",
                input,
                "--lists",
                "lists",
                "--hash-media",
                "--out",
                "r",
            ],
        ));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("skipped"), "{input}: {err}");
        if input == "fb" {
            assert!(
                err.contains("1 other file of an export (Meta's, Discord's, Reddit's) left out"),
                "{err}"
            );
        }
        let (posts, summary) = report(&p.join("r"));
        assert_eq!(summary["local_media"]["hashed"], 1, "{input}: {summary}");
        let hit = posts
            .iter()
            .find(|p| p["id"] == "inbox/example_1001/1793527500000")
            .unwrap_or_else(|| panic!("{input}: the message with the photo flagged: {posts:?}"));
        assert_eq!(hit["media_matches"][0]["label"], "poster");
        assert_eq!(hit["platform"], "facebook");
        assert_eq!(hit["account"], "مهاجر");
        assert!(
            hit["text"].as_str().unwrap().starts_with("يا أنصار الخلافة"),
            "{hit}"
        );
    }
}
