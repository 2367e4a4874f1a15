//! `raqib networks` end to end on the bundled synthetic flood (examples/flood.jsonl): four
//! accounts posting the same links with near-duplicate text within seconds, readers of one
//! news article hours apart, ordinary chatter.

mod common;

use common::{json_lines as clusters, read_json_lines, root, run, stderr};

#[test]
fn the_flood_is_one_cluster_with_evidence_and_the_readers_are_not() {
    let o = run(&["networks", "examples/flood.jsonl", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = clusters(&o);
    assert_eq!(v.len(), 1, "{v:?}");
    let c = &v[0];
    let mut ids: Vec<&str> = c["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, ["f0", "f1", "f2", "f3"]);
    let shared = c["shared"].as_array().unwrap();
    // Links are canonical (tracking parameters gone), with an example post and its place.
    let url = shared
        .iter()
        .find(|s| s["kind"] == "url")
        .expect("a shared link");
    assert!(
        url["value"]
            .as_str()
            .unwrap()
            .starts_with("https://files.example.org/release/"),
        "{url}"
    );
    assert!(!url["value"].as_str().unwrap().contains("utm_"), "{url}");
    assert!(
        url["example_at"]
            .as_str()
            .unwrap()
            .starts_with("examples/flood.jsonl:"),
        "{url}"
    );
    // Obfuscated near-copies of the text are found as near-duplicates.
    assert!(
        shared
            .iter()
            .any(|s| s["kind"] == "near_text" && s["accounts"] == 4),
        "{shared:?}"
    );
    assert_eq!(
        c["burst"]["accounts"], 4,
        "created within hours of each other"
    );
    assert!(
        c["why"]
            .as_str()
            .unwrap()
            .contains("4 accounts posted the same items within 60 s"),
        "{c}"
    );
    assert!(
        stderr(&o).contains("1 posts have no time"),
        "{}",
        stderr(&o)
    );
}

/// `--since` / `--until`: a window that holds the flood finds it as before; one that ends
/// before it (its posts from 1717000000 on) finds nothing and says how many posts it
/// passed over.
#[test]
fn a_time_window_finds_only_what_was_posted_in_it() {
    let o = run(&[
        "networks",
        "examples/flood.jsonl",
        "--json",
        "--since",
        "2024-05-29",
        "--until",
        "2024-05-31",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(clusters(&o).len(), 1);
    let o = run(&[
        "networks",
        "examples/flood.jsonl",
        "--json",
        "--until",
        "1717000000",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(clusters(&o).is_empty());
    assert!(
        stderr(&o).contains("posts made outside --since/--until passed over"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn out_folder_has_clusters_edges_in_toolkit_columns_and_a_summary() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("net");
    let o = run(&[
        "networks",
        "examples/flood.jsonl",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "--quiet with --out prints nothing");
    let edges = std::fs::read_to_string(out.join("edges.csv")).unwrap();
    let mut lines = edges.lines();
    assert_eq!(lines.next(), Some("user_1,user_2,weight"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 12, "4 accounts, both directions: {edges}");
    assert!(rows.contains(&"x:f0,x:f1,3"), "{edges}");
    assert_eq!(
        std::fs::read_to_string(out.join("clusters.jsonl"))
            .unwrap()
            .lines()
            .count(),
        1
    );
    let summary = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(summary.contains("members: @relay_0"), "{summary}");
}

#[test]
fn a_trending_item_is_a_mass_item_and_a_narrow_kind_list_finds_less() {
    let o = run(&[
        "networks",
        "examples/flood.jsonl",
        "--kinds",
        "url",
        "--max-group",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("mass item(s)"), "{s}");
    assert!(s.contains("0 cluster(s)"), "{s}");
    // Hashtags alone: three rounds give each pair weight 3, short of --min-weight 4.
    let o = run(&[
        "networks",
        "examples/flood.jsonl",
        "--kinds",
        "hashtag",
        "--json",
    ]);
    assert_eq!(clusters(&o).len(), 1);
    let o = run(&[
        "networks",
        "examples/flood.jsonl",
        "--kinds",
        "hashtag",
        "--min-weight",
        "4",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(clusters(&o).is_empty());
}

#[test]
fn bad_input_becomes_diagnostics_and_bad_options_say_what_to_do() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("posts.jsonl");
    let mut text = std::fs::read_to_string(root().join("examples/flood.jsonl")).unwrap();
    text.insert_str(0, "{not json\n{\"raqib\":1,\"type\":\"post\",\"id\":\"z\",\"account\":\"a\",\"created_at\":\"soon\",\"text\":\"x\"}\n");
    text.push_str("{\"raqib\":1,\"type\":\"post\",\"id\":\"late\",\"platform\":\"x\",\"account\":\"f0\",\"created_at\":\"2024-05-29T18:40:00+02:00\",\"text\":\"hello there\"}\n");
    std::fs::write(&f, text).unwrap();
    let o = run(&["networks", f.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("posts.jsonl:1:"), "{err}");
    assert!(err.contains("posts.jsonl:2:"), "{err}");
    assert_eq!(clusters(&o).len(), 1, "the run goes on");

    let o = run(&["networks", "examples/flood.jsonl", "--kinds", "likes"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("unknown item kind `likes`"),
        "{}",
        stderr(&o)
    );
    let o = run(&["networks", "no/such/file.jsonl"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no/such/file.jsonl"), "{}", stderr(&o));
}

#[test]
fn scan_with_networks_flags_the_members_of_a_cluster_with_a_flagged_member() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("posts.jsonl");
    let mut text = std::fs::read_to_string(root().join("examples/flood.jsonl")).unwrap();
    // One relay account also posts a line the starter model flags (from examples/sample.jsonl).
    text.push_str("{\"raqib\":1,\"type\":\"post\",\"id\":\"f1x\",\"platform\":\"x\",\"account\":\"f1\",\"created_at\":1717020000,\"text\":\"Renew your bay'ah to the khalifah, the d.a.w.l.a remains and expands #baqiya\"}\n");
    std::fs::write(&f, text).unwrap();
    let out = d.path().join("report");
    let o = run(&[
        "scan",
        f.to_str().unwrap(),
        "--networks",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let accounts = read_json_lines(&out.join("accounts.jsonl"));
    let get = |id: &str| {
        accounts
            .iter()
            .find(|a| a["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    assert_eq!(get("f1")["flagged_posts"], 1);
    for id in ["f0", "f1", "f2", "f3"] {
        let a = get(id);
        assert_eq!(a["flagged"], true, "{id} acts with a flagged account: {a}");
        assert_eq!(a["network"]["size"], 4);
        assert!(
            a["why"]
                .as_str()
                .unwrap()
                .contains("1 member(s) with flagged posts"),
            "{a}"
        );
    }
    assert_eq!(get("reader0")["flagged"], false);
    assert!(get("reader0").get("network").is_none());
    let nets = std::fs::read_to_string(out.join("networks.jsonl")).unwrap();
    assert_eq!(nets.lines().count(), 1);
    assert!(nets.contains("\"flagged_members\":1"), "{nets}");
    // Without --networks there is no network file and no network flag.
    let out2 = d.path().join("report2");
    let o = run(&[
        "scan",
        f.to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success());
    assert!(!out2.join("networks.jsonl").exists());
    let plain = std::fs::read_to_string(out2.join("accounts.jsonl")).unwrap();
    let f0: serde_json::Value = plain
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|a| a["id"] == "f0")
        .unwrap();
    assert_eq!(f0["flagged"], false);
}
