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
    assert_eq!(member_ids(c), ["f0", "f1", "f2", "f3"]);
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

/// Where the flood was posted comes with each shared item's example post: in the JSON and
/// in the readable summary.
#[test]
fn a_shared_items_example_names_where_it_was_posted() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("flood.jsonl");
    let text = std::fs::read_to_string(root().join("examples/flood.jsonl")).unwrap();
    let placed: String = text
        .lines()
        .map(|l| match l.strip_suffix('}') {
            Some(open) if l.contains("\"type\": \"post\"") => {
                format!("{open},\"place\":\"Example market group\"}}\n")
            }
            _ => format!("{l}\n"),
        })
        .collect();
    std::fs::write(&f, placed).unwrap();
    let o = run(&["networks", f.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = clusters(&o);
    assert_eq!(v.len(), 1, "{v:?}");
    for s in v[0]["shared"].as_array().unwrap() {
        assert_eq!(s["example_place"], "Example market group", "{s}");
    }
    let o = run(&["networks", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = String::from_utf8_lossy(&o.stdout);
    assert!(
        summary.contains(" in Example market group at "),
        "{summary}"
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

/// A cluster's members' ids, sorted.
fn member_ids(cluster: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = cluster["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// `raqib scan FILE --out OUT --quiet`, with `--networks` or without; it must succeed.
fn scan(f: &std::path::Path, out: &std::path::Path, networks: bool) {
    let mut args = vec![
        "scan",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    if networks {
        args.push("--networks");
    }
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
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
    scan(&f, &out, true);
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
    scan(&f, &out2, false);
    assert!(!out2.join("networks.jsonl").exists());
    let plain = std::fs::read_to_string(out2.join("accounts.jsonl")).unwrap();
    let f0: serde_json::Value = plain
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|a| a["id"] == "f0")
        .unwrap();
    assert_eq!(f0["flagged"], false);
}

/// 2026-12-01T10:00:00Z, the morning of the Bluesky captures below.
const T0: i64 = 1_796_119_200;
/// The account whose posts the rings below share, and its three posts: the first flagged
/// by the built-in model, the others not.
const ORIGIN: &str = "did:plc:originexample0001";
const ORIGIN_TEXTS: [&str; 3] = [
    "Join the soldiers of the khilafah and spread the release",
    "Good morning, the weather is fine today",
    "Lovely walk by the river this afternoon",
];

/// A time of that morning as a record's `createdAt` writes it.
fn jetstream_time(t: i64) -> String {
    let s = t - T0 + 10 * 3600;
    format!(
        "2026-12-01T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// A Jetstream line: `did` creates post `rkey` at `t` with `text` and `embed` (JSON to
/// follow `"text":...`, e.g. `,"embed":{...}`, or nothing).
fn jetstream_post(did: &str, rkey: &str, t: i64, text: &str, embed: &str) -> String {
    format!(
        r#"{{"did":"{did}","time_us":{},"kind":"commit","commit":{{"rev":"r","operation":"create","collection":"app.bsky.feed.post","rkey":"{rkey}","record":{{"$type":"app.bsky.feed.post","createdAt":"{}","langs":["en"],"text":"{text}"{embed}}},"cid":"c"}}}}"#,
        t * 1_000_000,
        jetstream_time(t)
    )
}

/// Accounts that quote a flagged post together, with words of their own that rebut it (a
/// counter-messaging campaign), are a cluster, but not a ring that amplifies it: a quote
/// is weighed by its own words, so neither the cluster nor its members are flagged for the
/// post they quote, and their quotes count as no reposts of it.
#[test]
fn accounts_quoting_a_flagged_post_to_rebut_it_are_not_flagged_for_it() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("jetstream.jsonl");
    let mut lines = Vec::new();
    for (k, text) in ORIGIN_TEXTS.iter().enumerate() {
        let t = T0 + 600 * k as i64;
        lines.push(jetstream_post(ORIGIN, &format!("post{k}"), t, text, ""));
        for r in 0..4 {
            let embed = format!(
                r#","embed":{{"$type":"app.bsky.embed.record","record":{{"uri":"at://{ORIGIN}/app.bsky.feed.post/post{k}","cid":"c"}}}}"#
            );
            lines.push(jetstream_post(
                &format!("did:plc:counterexample{r}"),
                &format!("q{k}"),
                t + 5 + 3 * r,
                "This is propaganda. Report the account and do not spread it",
                &embed,
            ));
        }
    }
    std::fs::write(&f, lines.join("\n") + "\n").unwrap();
    let out = d.path().join("report");
    scan(&f, &out, true);
    let clusters = read_json_lines(&out.join("networks.jsonl"));
    assert_eq!(clusters.len(), 1, "{clusters:?}");
    let c = &clusters[0];
    assert_eq!(c["size"], 4, "{c}");
    assert!(c["shared"].to_string().contains("share"), "{c}");
    assert!(c.get("flagged_shared").is_none(), "{c}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["posts"], 15, "quotes are posts: {summary}");
    assert_eq!(summary["flagged_posts"], 1, "{summary}");
    assert!(summary.get("reposts_of_flagged").is_none(), "{summary}");
    for a in read_json_lines(&out.join("accounts.jsonl")) {
        if a["id"] != ORIGIN {
            assert_eq!(a["flagged"], false, "{a}");
            assert_eq!(a["posts"], 3, "{a}");
            assert!(a.get("reposts").is_none(), "{a}");
            assert!(a["network"].is_object(), "{a}");
        }
    }
}

/// A post's id is unique on its platform only: a scan of a forum's and a chat's exports,
/// each numbering its posts from 1, has a post `5` on each. Accounts that share the chat's
/// ordinary post 5 are not credited with the forum's flagged post 5, and are not flagged;
/// a forum account that shares the forum's is.
#[test]
fn a_share_is_of_the_post_on_its_own_platform() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("two-platforms.jsonl");
    let post = |platform: &str, id: &str, account: &str, t: i64, text: &str, share: &str| {
        let share = if share.is_empty() {
            String::new()
        } else {
            format!(r#","share_of":"{share}""#)
        };
        format!(
            r#"{{"raqib":1,"type":"post","id":"{id}","platform":"{platform}","account":"{account}","created_at":{t},"text":"{text}"{share}}}"#
        )
    };
    let mut lines = vec![
        post("forum", "5", "writer", T0, ORIGIN_TEXTS[0], ""),
        post("chat", "5", "host", T0, ORIGIN_TEXTS[2], ""),
        post("forum", "6", "fan", T0 + 30, "", "5"),
    ];
    for r in 0..3 {
        let id = format!("{}", 10 + r);
        lines.push(post(
            "chat",
            &id,
            &format!("c{r}"),
            T0 + 10 + r as i64,
            "",
            "5",
        ));
    }
    std::fs::write(&f, lines.join("\n") + "\n").unwrap();
    let out = d.path().join("report");
    scan(&f, &out, true);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["flagged_posts"], 1, "{summary}");
    assert_eq!(
        summary["reposts_of_flagged"], 1,
        "only the forum's fan: {summary}"
    );
    let accounts = read_json_lines(&out.join("accounts.jsonl"));
    let get = |platform: &str, id: &str| {
        accounts
            .iter()
            .find(|a| a["platform"] == platform && a["id"] == id)
            .unwrap_or_else(|| panic!("{platform}:{id}: {accounts:?}"))
    };
    let fan = get("forum", "fan");
    assert_eq!(fan["reposts"]["flagged"], 1, "{fan}");
    // Reposters of an ordinary post are not listed; none of the chat's is credited.
    let credited: Vec<String> = accounts
        .iter()
        .filter(|a| a["reposts"]["flagged"].as_u64().unwrap_or(0) > 0 || a["flagged"] == true)
        .map(|a| format!("{}:{}", a["platform"], a["id"]))
        .collect();
    assert_eq!(credited, ["\"forum\":\"fan\""], "{accounts:?}");
}

/// Bluesky's firehose gives a repost by reference only (the post it names, no text). A ring
/// of accounts reposting one account's posts within seconds of each other is a cluster of
/// shares; `scan` does not score the reposts (there is nothing in them), but lists the
/// ring's accounts with `--networks`, counts each repost for its reposter with the
/// reposted post's score, and flags the ring when what it shared is a post the scan
/// flagged.
#[test]
fn a_bluesky_repost_ring_is_a_cluster_and_is_flagged_for_the_flagged_post_it_amplifies() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("jetstream.jsonl");
    let (t0, at) = (T0, jetstream_time);
    let origin = ORIGIN;
    let mut lines = Vec::new();
    for (k, text) in ORIGIN_TEXTS.iter().enumerate() {
        let t = t0 + 600 * k as i64;
        lines.push(jetstream_post(origin, &format!("post{k}"), t, text, ""));
        // Four accounts repost it within seconds, and each likes it (passed over).
        for r in 0..4 {
            let tr = t + 5 + 3 * r;
            lines.push(format!(
                r#"{{"did":"did:plc:ringexample000{r}","time_us":{},"kind":"commit","commit":{{"rev":"r","operation":"create","collection":"app.bsky.feed.repost","rkey":"rp{k}","record":{{"$type":"app.bsky.feed.repost","createdAt":"{}","subject":{{"uri":"at://{origin}/app.bsky.feed.post/post{k}","cid":"c"}}}},"cid":"c"}}}}"#,
                tr * 1_000_000,
                at(tr)
            ));
            lines.push(format!(
                r#"{{"did":"did:plc:ringexample000{r}","time_us":{},"kind":"commit","commit":{{"rev":"r","operation":"create","collection":"app.bsky.feed.like","rkey":"lk{k}","record":{{"subject":{{"uri":"at://{origin}/app.bsky.feed.post/post{k}","cid":"c"}},"createdAt":"{}"}}}}}}"#,
                tr * 1_000_000,
                at(tr)
            ));
        }
    }
    // A reader who reposts the first post hours later is no part of it; nor is the origin
    // reposting its own post, which is not counted again for it.
    let late = t0 + 7200;
    for who in ["did:plc:latereader00001", origin] {
        lines.push(format!(
            r#"{{"did":"{who}","time_us":{},"kind":"commit","commit":{{"rev":"r","operation":"create","collection":"app.bsky.feed.repost","rkey":"rpl","record":{{"subject":{{"uri":"at://{origin}/app.bsky.feed.post/post0","cid":"c"}},"createdAt":"{}"}}}}}}"#,
            late * 1_000_000,
            at(late)
        ));
    }
    std::fs::write(&f, lines.join("\n") + "\n").unwrap();
    let ring: Vec<String> = (0..4)
        .map(|r| format!("did:plc:ringexample000{r}"))
        .collect();

    let o = run(&["networks", f.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = clusters(&o);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(member_ids(&v[0]), ring, "{v:?}");
    let shares: Vec<&str> = v[0]["shared"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "share")
        .map(|s| s["value"].as_str().unwrap())
        .collect();
    assert_eq!(shares.len(), 3, "{v:?}");
    assert!(
        shares.contains(&format!("at://{origin}/app.bsky.feed.post/post0").as_str()),
        "{shares:?}"
    );

    let out = d.path().join("report");
    scan(&f, &out, true);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["posts"], 3,
        "reposts are not scored as posts: {summary}"
    );
    assert_eq!(summary["shares_by_reference"], 14, "{summary}");
    assert_eq!(summary["flagged_posts"], 1, "{summary}");
    // The ring's four and the late reader; the origin's own repost is not one.
    assert_eq!(summary["reposts_of_flagged"], 5, "{summary}");
    let accounts = read_json_lines(&out.join("accounts.jsonl"));
    let get = |id: &str| {
        accounts
            .iter()
            .find(|a| a["id"] == id)
            .unwrap_or_else(|| panic!("{id}: {accounts:?}"))
    };
    let author = get(origin);
    assert_eq!(author["posts"], 3, "{author}");
    assert!(author.get("reposts").is_none(), "{author}");
    for id in &ring {
        let a = get(id);
        assert_eq!(a["posts"], 0, "{a}");
        assert_eq!(a["flagged"], true, "{id} amplifies a flagged post: {a}");
        // Reposting the three posts counts as writing them: the author's risk.
        assert_eq!(a["reposts"]["scored"], 3, "{a}");
        assert_eq!(a["reposts"]["flagged"], 1, "{a}");
        assert_eq!(a["risk"], author["risk"], "{a}");
        assert_eq!(a["mean_score"], author["mean_score"], "{a}");
        assert!(a["risk"].as_f64().unwrap() > 0.3, "{a}");
        assert!(
            a["why"]
                .as_str()
                .unwrap()
                .contains("reposted 3 post(s) the scan scored, 1 flagged"),
            "{a}"
        );
        assert_eq!(a["network"]["size"], 4, "{a}");
        assert_eq!(a["network"]["flagged_shared"], 1, "{a}");
        assert_eq!(
            a["network"]["flagged_shared_examples"][0],
            format!("at://{origin}/app.bsky.feed.post/post0"),
            "{a}"
        );
        assert!(
            a["why"]
                .as_str()
                .unwrap()
                .contains("its members shared 1 flagged post(s)"),
            "{a}"
        );
    }
    // The late reader is in no cluster and has no post or profile, but reposted the
    // flagged post: listed with it, as an account with that one post would be, and not
    // flagged for one post, as that account would not be.
    let reader = get("did:plc:latereader00001");
    assert_eq!(reader["flagged"], false, "{reader}");
    assert!(reader.get("network").is_none(), "{reader}");
    assert_eq!(reader["reposts"]["scored"], 1, "{reader}");
    assert_eq!(
        reader["reposts"]["flagged_examples"][0],
        format!("at://{origin}/app.bsky.feed.post/post0"),
        "{reader}"
    );
    assert_eq!(reader["max_score"], author["max_score"], "{reader}");
    let readable = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(
        readable.contains("of them 5 of flagged posts"),
        "{readable}"
    );
    let nets = std::fs::read_to_string(out.join("networks.jsonl")).unwrap();
    assert!(nets.contains("\"flagged_shared\":1"), "{nets}");

    // Without --networks the reposts are counted, and their accounts, known by nothing
    // else, are not listed.
    let out2 = d.path().join("report2");
    scan(&f, &out2, false);
    let plain = read_json_lines(&out2.join("accounts.jsonl"));
    let ids: Vec<&str> = plain.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [origin], "{plain:?}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out2.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["shares_by_reference"], 14, "{summary}");
    assert!(summary.get("reposts_of_flagged").is_none(), "{summary}");
}
