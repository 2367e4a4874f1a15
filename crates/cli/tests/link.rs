//! `raqib suspended`, `raqib link` and `raqib scan --suspended` end to end, on the bundled
//! synthetic sample (examples/suspended.jsonl, examples/new_accounts.jsonl).

mod common;

use common::{json_lines as lines, read_json_lines, run, stderr};

fn by_id<'a>(v: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    v.iter()
        .find(|l| l["id"] == id)
        .unwrap_or_else(|| panic!("no line for {id}: {v:?}"))
}

fn reasons(line: &serde_json::Value) -> String {
    line["links"][0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn returning_accounts_are_linked_with_reasons_and_others_are_not() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("susp");
    let dir = dir.to_str().unwrap();
    let o = run(&["suspended", "--dir", dir, "add", "examples/suspended.jsonl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("5 accounts added"), "{}", stderr(&o));

    let o = run(&[
        "link",
        "--suspended",
        dir,
        "--accounts",
        "examples/new_accounts.jsonl",
        "--all",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = lines(&o);
    assert_eq!(v.len(), 6, "--all writes every account");
    // Handle increment, same avatar re-encoded, same Telegram channel, name in Latin script.
    let n1 = by_id(&v, "n1");
    assert_eq!(n1["links"][0]["id"], "s1");
    let r = reasons(n1);
    assert!(r.contains("continues @nour_alwadi_6"), "{r}");
    assert!(r.contains("avatar PDQ distance 9"), "{r}");
    assert!(r.contains("telegram:nour_alwadi_ch"), "{r}");
    assert_eq!(n1["links"][0]["profile_only"], true);
    // Leetspeak in the handle.
    assert_eq!(by_id(&v, "n2")["links"][0]["id"], "s2");
    // Reordered bilingual bio, same Arabic name, half the follows.
    let n3 = by_id(&v, "n3");
    assert_eq!(n3["links"][0]["id"], "s3");
    assert!(
        reasons(n3).contains("of followed accounts shared"),
        "{}",
        reasons(n3)
    );
    // A different "Sami" who follows the same news channel, a baker, a weather account.
    for id in ["n4", "n5", "n6"] {
        assert_eq!(
            by_id(&v, id)["linked"],
            false,
            "{id} must not be linked: {:?}",
            by_id(&v, id)
        );
    }

    // Removing the suspended account removes the link.
    let o = run(&["suspended", "--dir", dir, "remove", "s1", "--platform", "x"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "link",
        "--suspended",
        dir,
        "--accounts",
        "examples/new_accounts.jsonl",
    ]);
    let v = lines(&o);
    assert!(v.iter().all(|l| l["id"] != "n1"), "{v:?}");
    assert_eq!(v.len(), 2);
    let o = run(&["suspended", "--dir", dir, "list"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 4);
    // Removing what is not there says so.
    let o = run(&[
        "suspended",
        "--dir",
        dir,
        "remove",
        "nope",
        "--platform",
        "x",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("nope on x is not in the index"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_file_of_suspended_accounts_works_without_an_index_folder() {
    let o = run(&[
        "link",
        "--suspended",
        "examples/suspended.jsonl",
        "--accounts",
        "examples/new_accounts.jsonl",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ids: Vec<String> = lines(&o)
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["n1", "n2", "n3"]);
    assert!(stderr(&o).contains("3 linked"), "{}", stderr(&o));
}

#[test]
fn bad_account_records_become_diagnostics_and_the_run_goes_on() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("bad.jsonl");
    let huge = "x".repeat(200_000);
    let text = format!(
        concat!(
            "{{\"raqib\":1,\"type\":\"account\",\"id\":\"a1\",\"platform\":\"x\",\"handle\":\"nour_alwadi_8\",\"created_at\":\"Wed Oct 10 20:19:24 +0000 2018\"}}\n",
            "not json at all\n",
            "{{\"raqib\":1,\"type\":\"account\",\"platform\":\"x\",\"handle\":\"no_id\"}}\n",
            "{{\"raqib\":1,\"type\":\"account\",\"id\":\"a2\",\"platform\":\"x\",\"handle\":\"\",\"display_name\":\"\",\"bio\":\"{huge}\"}}\n",
            "{{\"raqib\":1,\"type\":\"account\",\"id\":\"a1\",\"platform\":\"x\",\"handle\":\"other_name\"}}\n",
            "{{\"raqib\":1,\"type\":\"account\",\"id\":\"a3\",\"platform\":\"x\",\"created_at\":\"yesterday\"}}\n",
            "{{\"raqib\":1,\"type\":\"post\",\"id\":\"p1\",\"platform\":\"x\",\"account\":\"a4\",\"text\":\"t.me/nour_alwadi_ch\",\"created_at\":\"2024-05-01T10:00:00+03:00\"}}\n",
            "{{\"raqib\":1,\"type\":\"account\",\"id\":\"a5\",\"platform\":\"x\",\"handle\":\"\u{202e}\u{200b}\",\"bio\":\"\\u0000 \u{fdfd}\"}}\n",
            "{{\"raqib\":1,\"type\":\"account\",\"id\":\"a6\",\"platform\":\"x\",\"bio\":\"\u{0}\"}}\n",
        ),
        huge = huge
    );
    std::fs::write(&f, text).unwrap();
    let o = run(&[
        "link",
        "--suspended",
        "examples/suspended.jsonl",
        "--accounts",
        f.to_str().unwrap(),
        "--all",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("bad.jsonl:2:"), "{err}");
    assert!(err.contains("bad.jsonl:3:"), "{err}");
    assert!(
        err.contains("bad.jsonl:5: account a1 appears again with another handle"),
        "{err}"
    );
    assert!(err.contains("bad.jsonl:6:"), "unparseable time: {err}");
    assert!(err.contains("bad.jsonl:9:"), "raw control character: {err}");
    let v = lines(&o);
    let ids: Vec<&str> = v.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a1", "a2", "a4", "a5"], "{v:?}");
    // A post-only account is checked from its posts.
    assert_eq!(by_id(&v, "a4")["posts"], 1);
    assert_eq!(
        by_id(&v, "a1")["handle"],
        "other_name",
        "the later record wins"
    );
}

#[test]
fn scan_flags_accounts_linked_to_suspended_ones() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("susp");
    let out = d.path().join("report");
    let o = run(&[
        "suspended",
        "--dir",
        dir.to_str().unwrap(),
        "add",
        "examples/suspended.jsonl",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "scan",
        "examples/new_accounts.jsonl",
        "--suspended",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let accounts = read_json_lines(&out.join("accounts.jsonl"));
    let n1 = accounts
        .iter()
        .find(|a| a["id"] == "n1")
        .expect("n1 reported");
    assert_eq!(n1["flagged"], true);
    assert_eq!(n1["links"][0]["id"], "s1");
    assert!(
        n1["why"]
            .as_str()
            .unwrap()
            .contains("linked to suspended x:nour_alwadi_6"),
        "{n1}"
    );
    let n5 = accounts
        .iter()
        .find(|a| a["id"] == "n5")
        .expect("n5 reported");
    assert_eq!(n5["flagged"], false);
    assert!(n5.get("links").is_none());
    let summary = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(
        summary.contains("linked to suspended accounts: 3"),
        "{summary}"
    );
}

#[test]
fn missing_index_folder_says_how_to_make_one() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("none");
    let o = run(&["suspended", "--dir", dir.to_str().unwrap(), "list"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("raqib suspended --dir"),
        "{}",
        stderr(&o)
    );
}
