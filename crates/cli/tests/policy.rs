//! `raqib policy check` and `raqib policy apply` end to end.

mod common;

use common::{json_lines, run, stderr};

#[test]
fn check_lists_the_rules_and_refuses_a_bad_file_with_its_line() {
    let o = run(&["policy", "check", "examples/policy.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("5 rule(s)"), "{out}");
    assert!(
        out.contains("known media") && out.contains("→ remove (priority 90)"),
        "{out}"
    );

    let d = tempfile::tempdir().unwrap();
    let bad = d.path().join("bad.toml");
    let text = std::fs::read_to_string(common::root().join("examples/policy.toml")).unwrap();
    std::fs::write(
        &bad,
        text.replacen("action = \"suspend\"", "action = \"ban\"", 1),
    )
    .unwrap();
    let o = run(&["policy", "check", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("bad.toml:17:"), "{err}");
    assert!(err.contains("ban"), "{err}");
}

/// A scan's report folder holding `posts` as its `posts.jsonl`.
fn report_with_posts(posts: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let report = d.path().join("report");
    std::fs::create_dir(&report).unwrap();
    std::fs::write(report.join("posts.jsonl"), posts).unwrap();
    (d, report)
}

/// A rule may name the place a post was made (`place`, as `posts.jsonl` gives it): posts
/// flagged in a watched channel are referred; the same score elsewhere is only queued.
#[test]
fn apply_matches_a_rule_by_where_the_post_was_made() {
    let (d, report) = report_with_posts(concat!(
        "{\"id\":\"p1\",\"platform\":\"telegram\",\"score\":0.9,\"place\":\"Example Channel\"}\n",
        "{\"id\":\"p2\",\"platform\":\"telegram\",\"score\":0.9,\"place\":\"Other Channel\"}\n",
        "{\"id\":\"p3\",\"platform\":\"telegram\",\"score\":0.9}\n",
    ));
    let text = std::fs::read_to_string(common::root().join("examples/policy.toml")).unwrap();
    let policy = d.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "{text}\n[[rule]]\nname = \"watched channel\"\nsignal = \"text\"\nplace = \"Example Channel\"\nmin_score = 0.75\naction = \"refer\"\nrefer_to = \"telegram\"\npriority = 70\n"
        ),
    )
    .unwrap();
    let o = run(&["policy", "check", policy.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let listed = String::from_utf8_lossy(&o.stdout);
    assert!(
        listed.contains("text ≥ 0.75, place \"Example Channel\" → refer (priority 70)"),
        "{listed}"
    );
    let o = run(&[
        "policy",
        "apply",
        "--policy",
        policy.to_str().unwrap(),
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<(String, String)> = json_lines(&o)
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap().to_string(),
                l["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [("p1", "refer"), ("p2", "queue"), ("p3", "queue")];
    assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));
}

#[test]
fn apply_turns_each_signal_into_its_action_most_severe_first() {
    let (d, report) = report_with_posts(concat!(
        "{\"id\":\"p1\",\"platform\":\"x\",\"score\":0.2,\"reach\":10,\"media_matches\":[{\"list\":\"outlet-x\",\"type\":\"pdq\",\"value\":\"ab\"}]}\n",
        "{\"id\":\"p2\",\"platform\":\"x\",\"score\":0.97,\"reach\":100000}\n",
        "{\"id\":\"p3\",\"platform\":\"x\",\"score\":0.5}\n",
        "not json\n",
    ));
    std::fs::write(
        report.join("accounts.jsonl"),
        concat!(
            "{\"id\":\"a1\",\"platform\":\"x\",\"links\":[{\"id\":\"s1\",\"score\":0.97}]}\n",
            "{\"id\":\"a2\",\"platform\":\"x\",\"network\":{\"flagged_members\":2}}\n",
            "{\"id\":\"a3\",\"platform\":\"x\",\"network\":{\"flagged_members\":0}}\n",
            // A ring that reposted a flagged post, none of its members flagged itself.
            "{\"id\":\"a4\",\"platform\":\"x\",\"network\":{\"flagged_members\":0,\"flagged_shared\":1}}\n",
        ),
    )
    .unwrap();
    let o = run(&[
        "policy",
        "apply",
        "--policy",
        "examples/policy.toml",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json_lines(&o);
    let got: Vec<(&str, &str, u64)> = v
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap(),
                l["action"].as_str().unwrap(),
                l["priority"].as_u64().unwrap(),
            )
        })
        .collect();
    // p2: strong text, priority 60 + 5 × log10(100001) = 85.
    assert_eq!(
        got,
        vec![
            ("p1", "remove", 95),
            ("p2", "queue", 85),
            ("a1", "suspend", 80),
            ("a2", "queue", 50),
            ("a4", "queue", 50)
        ]
    );
    let err = stderr(&o);
    assert!(err.contains("posts.jsonl:4:"), "{err}");
    assert!(err.contains("remove 1, suspend 1, queue 3"), "{err}");

    // Dry run: the same decisions, marked.
    let dry = d.path().join("dry.toml");
    let text = std::fs::read_to_string(common::root().join("examples/policy.toml")).unwrap();
    std::fs::write(&dry, text.replace("dry_run = false", "dry_run = true")).unwrap();
    let o = run(&[
        "policy",
        "apply",
        "--policy",
        dry.to_str().unwrap(),
        report.to_str().unwrap(),
    ]);
    assert!(json_lines(&o).iter().all(|l| l["dry_run"] == true));
    assert!(
        stderr(&o).contains("DRY RUN: would remove 1"),
        "{}",
        stderr(&o)
    );

    let o = run(&[
        "policy",
        "apply",
        "--policy",
        "examples/policy.toml",
        d.path().to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("raqib scan --out DIR"),
        "{}",
        stderr(&o)
    );
}

/// Scan the bundled sample into `dir/report`; return the report folder.
fn scanned_sample(dir: &std::path::Path) -> std::path::PathBuf {
    let report = dir.join("report");
    let o = run(&[
        "scan",
        "examples/sample.jsonl",
        "--out",
        report.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    report
}

/// `raqib policy apply` with the example policy and an audit log.
fn apply_with_audit(report: &std::path::Path, audit: &std::path::Path) -> std::process::Output {
    run(&[
        "policy",
        "apply",
        "--policy",
        "examples/policy.toml",
        report.to_str().unwrap(),
        "--audit",
        audit.to_str().unwrap(),
    ])
}

#[test]
fn decisions_go_to_a_hash_chained_audit_log_that_verify_checks() {
    let d = tempfile::tempdir().unwrap();
    let report = scanned_sample(d.path());
    let audit = d.path().join("audit.jsonl");
    let apply = |audit: &std::path::Path| apply_with_audit(&report, audit);
    let o = apply(&audit);
    assert!(o.status.success(), "{}", stderr(&o));
    let decisions = json_lines(&o).len();
    assert!(decisions > 0);
    let o = apply(&audit);
    assert!(
        o.status.success(),
        "a second run appends to the same chain: {}",
        stderr(&o)
    );
    let o = run(&["audit", "verify", audit.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("{} entries, chain intact", 2 * decisions)),
        "{out}"
    );

    // Change one decision after the fact: verify names the line; apply refuses to append.
    let text = std::fs::read_to_string(&audit).unwrap();
    let tampered = text.replacen("\"action\":\"queue\"", "\"action\":\"ignore\"", 1);
    assert_ne!(text, tampered);
    std::fs::write(&audit, tampered).unwrap();
    let o = run(&["audit", "verify", audit.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("audit.jsonl:1: the entry does not match its hash"),
        "{}",
        stderr(&o)
    );
    let o = apply(&audit);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("does not match its hash"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_transparency_report_counts_what_the_audit_log_records() {
    let d = tempfile::tempdir().unwrap();
    let report = scanned_sample(d.path());
    let audit = d.path().join("audit.jsonl");
    let o = apply_with_audit(&report, &audit);
    let decisions = json_lines(&o);
    let out = d.path().join("transparency");
    let o = run(&[
        "report",
        "--audit",
        audit.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(t["actions"].as_u64().unwrap() as usize, decisions.len());
    let queued = decisions.iter().filter(|x| x["action"] == "queue").count() as u64;
    assert_eq!(t["by_action"]["queue"].as_u64().unwrap_or(0), queued);
    assert_eq!(t["proactive_share"], 1.0);
    assert!(t["time_to_action"]["median_s"].as_i64().is_some(), "{t}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("Transparency report") && html.contains("<svg"),
        "{html}"
    );

    // A window before everything: nothing counted.
    let o = run(&[
        "report",
        "--audit",
        audit.to_str().unwrap(),
        "--to",
        "2001-01-01",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(t["actions"], 0);
    let o = run(&[
        "report",
        "--audit",
        audit.to_str().unwrap(),
        "--from",
        "last week",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("`last week` is not a time"),
        "{}",
        stderr(&o)
    );
}
