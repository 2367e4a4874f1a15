//! Reports do not depend on thread scheduling: posts and diagnostics come out in input
//! order, and two runs over the same input write the same bytes and the same summary.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use raqib_scan::{run, Progress, ScanConfig};
use raqib_text::{train, Example, ModelSet, TrainConfig};

fn models() -> ModelSet {
    let ex = |t: &str, label| Example {
        text: t.into(),
        label,
    };
    let data: Vec<Example> = (0..40)
        .flat_map(|i| {
            [
                ex(&format!("join the fighters of the state now {i}"), true),
                ex(&format!("news report on the attack today {i}"), false),
            ]
        })
        .collect();
    let cfg = TrainConfig {
        threads: 1,
        ..Default::default()
    };
    ModelSet::new(train(&data, None, &cfg).unwrap().0, "test")
}

fn input(dir: &Path) -> String {
    let mut s = String::new();
    for i in 0..12000 {
        if i % 997 == 0 {
            s.push_str("{not json\n");
        }
        let text = if i % 3 == 0 {
            "join the fighters of the state"
        } else {
            "news report on the attack"
        };
        // Propaganda-style posts all alike, so thousands tie for the strongest.
        let text = if i % 3 == 0 {
            text.to_string()
        } else {
            format!("{text} {i}")
        };
        s.push_str(&format!(
            "{{\"id\":\"{i}\",\"account\":\"a{}\",\"created_at\":{},\"text\":\"{text}\"}}\n",
            i % 37,
            1_700_000_000 + i
        ));
    }
    let p = dir.join("posts.jsonl");
    std::fs::write(&p, s).unwrap();
    p.to_str().unwrap().to_string()
}

fn scan(models: &ModelSet, input: &str, out: &Path) {
    let mut cfg = ScanConfig {
        inputs: vec![input.to_string()],
        out_dir: Some(out.to_path_buf()),
        threads: 3,
        all_posts: true,
        ..Default::default()
    };
    // Small chunks, so that the workers finish them out of order.
    cfg.ingest.chunk_bytes = 1024;
    let progress = Progress::default();
    let stop = Arc::new(AtomicBool::new(false));
    run(models, &cfg, &progress, &stop, &mut |_| {}).unwrap();
}

fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn reports_keep_input_order_and_repeat_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let input = input(dir.path());
    let models = models();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    scan(&models, &input, &a);
    scan(&models, &input, &b);
    let posts = lines(&a.join("posts.jsonl"));
    assert_eq!(posts.len(), 12000);
    let order: Vec<u64> = posts.iter().map(|p| p["line"].as_u64().unwrap()).collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "posts out of input order"
    );
    let diags = lines(&a.join("diagnostics.jsonl"));
    assert_eq!(diags.len(), 13);
    let order: Vec<u64> = diags.iter().map(|d| d["line"].as_u64().unwrap()).collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "diagnostics out of order"
    );
    for f in [
        "posts.jsonl",
        "diagnostics.jsonl",
        "accounts.jsonl",
        "accounts.csv",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between two runs"
        );
    }
    // The summary's strongest posts too, although many posts tie on score.
    let top = |d: &Path| {
        let s: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("summary.json")).unwrap()).unwrap();
        s["top_posts"].clone()
    };
    assert_eq!(top(&a), top(&b), "the summary's strongest posts differ");
    let scores: Vec<f64> = top(&a)
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).any(|w| w[0] == w[1]),
        "no tie: {scores:?}"
    );
}

/// Posts of 400 accounts (the same ids on two platforms), each account's posts spread over
/// many small chunks, with a profile record for some of them somewhere among their posts;
/// most posts made in one of seven places.
fn many_accounts(dir: &Path) -> String {
    let mut s = String::new();
    for i in 0..9000u32 {
        let (platform, account) = (["twitter", "telegram"][(i % 2) as usize], i / 2 % 200);
        if i % 9 == 4 {
            s.push_str(&format!(
                "{{\"type\":\"account\",\"id\":\"u{account}\",\"platform\":\"{platform}\",\
                 \"handle\":\"h{account}\",\"bio\":\"join the fighters of the state\",\
                 \"followers\":{i}}}\n"
            ));
        }
        let text = if i % 3 == 0 {
            "join the fighters of the state now".to_string()
        } else {
            format!("news report on the attack {i}")
        };
        let place = if i % 5 == 0 {
            String::new()
        } else {
            // An account's posts are 400 lines apart: each of its places holds several,
            // in chunks that different workers read.
            format!(",\"place\":\"Channel {}\"", i / 400 % 7)
        };
        s.push_str(&format!(
            "{{\"id\":\"p{i}\",\"platform\":\"{platform}\",\"account\":\"u{account}\",\
             \"reach\":{},\"text\":\"{text}\"{place}}}\n",
            i % 1000
        ));
    }
    let p = dir.join("many.jsonl");
    std::fs::write(&p, s).unwrap();
    p.to_str().unwrap().to_string()
}

/// Each worker keeps the aggregates of its own share of the accounts and sends the others
/// what it reads for theirs: every account's counts, strongest posts, profile and reach come
/// out as one thread makes them, and in the same ranks.
#[test]
fn accounts_are_the_same_whatever_the_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let input = many_accounts(dir.path());
    let models = models();
    let scan_with = |threads: usize, out: &Path| {
        let mut cfg = ScanConfig {
            inputs: vec![input.clone()],
            out_dir: Some(out.to_path_buf()),
            threads,
            ..Default::default()
        };
        cfg.ingest.chunk_bytes = 700;
        let stop = Arc::new(AtomicBool::new(false));
        run(&models, &cfg, &Progress::default(), &stop, &mut |_| {}).unwrap()
    };
    let one = scan_with(1, &dir.path().join("one"));
    let four = scan_with(4, &dir.path().join("four"));
    assert_eq!(one.accounts, 400);
    assert_eq!(four.accounts, 400);
    assert_eq!(one.flagged_accounts, four.flagged_accounts);
    let a = lines(&dir.path().join("one/accounts.jsonl"));
    let b = lines(&dir.path().join("four/accounts.jsonl"));
    assert_eq!(a.len(), 400);
    let with_profile = a.iter().filter(|r| r["handle"].is_string()).count();
    assert!(with_profile >= 100, "{with_profile} profiles");
    for (x, y) in a.iter().zip(&b) {
        // The mean is summed in another order by more threads: its last digit may differ.
        let (mx, my) = (x["mean_score"].as_f64(), y["mean_score"].as_f64());
        assert!((mx.unwrap() - my.unwrap()).abs() <= 0.0011, "{x}\n{y}");
        let strip = |v: &serde_json::Value| {
            let mut v = v.clone();
            v.as_object_mut().unwrap().remove("mean_score");
            v
        };
        assert_eq!(strip(x), strip(y));
    }
    // Each account's places: where its flagged posts (`posts.jsonl`) were made, counted.
    let mut want: std::collections::HashMap<(String, String), Vec<(String, u64)>> =
        Default::default();
    for p in lines(&dir.path().join("four/posts.jsonl")) {
        let Some(place) = p["place"].as_str() else {
            continue;
        };
        let key = (p["platform"].to_string(), p["account"].to_string());
        let places = want.entry(key).or_default();
        match places.iter_mut().find(|(w, _)| w == place) {
            Some((_, n)) => *n += 1,
            None => places.push((place.to_string(), 1)),
        }
    }
    assert!(
        want.values().any(|w| w.len() > 5),
        "an account in many places"
    );
    let mut listed = 0;
    for r in &b {
        let key = (r["platform"].to_string(), r["id"].to_string());
        let mut w = want.remove(&key).unwrap_or_default();
        w.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
        let in_all = w.len();
        w.truncate(5);
        let got: Vec<(String, u64)> = r["flagged_in"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| {
                        (
                            p["place"].as_str().unwrap().to_string(),
                            p["flagged_posts"].as_u64().unwrap(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(got, w, "{r}");
        if in_all > 3 {
            let why = r["why"].as_str().unwrap();
            assert!(
                why.contains(&format!("and {} more place(s)", in_all - 3)),
                "{why}"
            );
        }
        listed += usize::from(!got.is_empty());
    }
    assert!(listed >= 50, "{listed} accounts with places");
}

/// The progress a caller shows: every input opened is counted, the one being read named,
/// an unreadable one included, and the bytes and posts add up.
#[test]
fn progress_follows_the_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let first = input(dir.path());
    let second = dir.path().join("second.jsonl");
    std::fs::write(&second, "{\"id\":\"s1\",\"text\":\"hello\"}\n").unwrap();
    let missing = dir.path().join("missing.jsonl");
    let inputs = vec![
        first.clone(),
        missing.to_str().unwrap().to_string(),
        second.to_str().unwrap().to_string(),
    ];
    let cfg = ScanConfig {
        inputs: inputs.clone(),
        threads: 2,
        ..Default::default()
    };
    let progress = Progress::default();
    assert!(progress.files.current().is_none());
    let stop = Arc::new(AtomicBool::new(false));
    let summary = run(&models(), &cfg, &progress, &stop, &mut |_| {}).unwrap();
    let (opened, name) = progress.files.current().unwrap();
    assert_eq!(opened, 3);
    assert_eq!(&*name, inputs[2].as_str());
    assert_eq!(progress.posts.load(Ordering::Relaxed), summary.posts);
    let bytes =
        std::fs::metadata(&first).unwrap().len() + std::fs::metadata(&second).unwrap().len();
    assert_eq!(progress.bytes.load(Ordering::Relaxed), bytes);
}

/// Posts for twenty accounts, each with five edited posts of three versions (Twitter gives
/// each version its own id; every version names the first) and five posts never edited.
/// An even edited post is propaganda in every version; an odd one is news at first and
/// propaganda once edited. The versions are far apart in the file, so that different
/// workers read them. `kind`: `edited` as described; `apart`, the versions without
/// `first_version`, posts apart; `once`, each edited post once, as its last version.
fn edited_posts(dir: &Path, kind: &str) -> String {
    let mut s = String::new();
    for version in 0..3 {
        for account in 0..20 {
            for post in 0..5 {
                if kind == "once" && version < 2 {
                    continue;
                }
                let text = if post % 2 == 0 || version > 0 {
                    "join the fighters of the state now"
                } else {
                    "news report on the attack today"
                };
                let edit = if kind == "edited" {
                    format!(",\"first_version\":\"e{account}-{post}-0\"")
                } else {
                    String::new()
                };
                s.push_str(&format!(
                    "{{\"id\":\"e{account}-{post}-{version}\",\"account\":\"a{account}\"{edit},\"text\":\"{text}\"}}\n"
                ));
            }
            if version == 0 {
                for post in 0..5 {
                    s.push_str(&format!(
                        "{{\"id\":\"p{account}-{post}\",\"account\":\"a{account}\",\"text\":\"news report on the attack {post}\"}}\n"
                    ));
                }
            }
        }
    }
    let p = dir.join(format!("{kind}.jsonl"));
    std::fs::write(&p, s).unwrap();
    p.to_str().unwrap().to_string()
}

/// An edited post counts once for its account: flagged if any version is, scored by its
/// strongest, whichever worker reads each version; each version is still a post of the
/// report, naming its first version.
#[test]
fn an_edited_post_counts_once_for_its_account_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let models = models();
    let scan_with = |input: &str, threads: usize, out: &Path| {
        let mut cfg = ScanConfig {
            inputs: vec![input.to_string()],
            out_dir: Some(out.to_path_buf()),
            threads,
            all_posts: true,
            ..Default::default()
        };
        cfg.ingest.chunk_bytes = 700;
        let stop = Arc::new(AtomicBool::new(false));
        run(&models, &cfg, &Progress::default(), &stop, &mut |_| {}).unwrap()
    };
    let edited = edited_posts(dir.path(), "edited");
    let mut seen = Vec::new();
    for threads in [1, 4] {
        let out = dir.path().join(format!("t{threads}"));
        let summary = scan_with(&edited, threads, &out);
        assert_eq!(summary.posts, 400, "every version is scanned");
        assert_eq!(
            summary.edited_versions_merged, 200,
            "two later versions of 100 posts"
        );
        // The summary's strongest posts: ten posts, each once, whichever workers read
        // their versions.
        let chains: std::collections::HashSet<(&str, &str)> = summary
            .top_posts
            .iter()
            .map(|p| {
                (
                    p.account.as_str(),
                    p.first_version.as_deref().unwrap_or(&p.id),
                )
            })
            .collect();
        assert_eq!(summary.top_posts.len(), 10);
        assert_eq!(chains.len(), 10, "{:?}", summary.top_posts);
        let accounts = lines(&out.join("accounts.jsonl"));
        assert_eq!(accounts.len(), 20);
        for a in &accounts {
            assert_eq!(a["posts"], 10, "{a}");
            assert_eq!(a["flagged_posts"], 5, "{a}");
        }
        let posts = lines(&out.join("posts.jsonl"));
        let version = posts.iter().find(|p| p["id"] == "e3-1-2").unwrap();
        assert_eq!(version["first_version"], "e3-1-0", "{version}");
        let plain = posts.iter().find(|p| p["id"] == "p3-1").unwrap();
        assert!(plain.get("first_version").is_none(), "{plain}");
        seen.push(accounts);
    }
    // The versions apart: each a post of the account's.
    scan_with(
        &edited_posts(dir.path(), "apart"),
        4,
        &dir.path().join("apart"),
    );
    for a in &lines(&dir.path().join("apart/accounts.jsonl")) {
        assert_eq!(a["posts"], 20, "{a}");
        assert_eq!(a["flagged_posts"], 13, "{a}");
    }
    // Each edited post once, as its strongest version: the same accounts, score for
    // score (the mean summed in another order by more threads: its last digit may differ).
    scan_with(
        &edited_posts(dir.path(), "once"),
        1,
        &dir.path().join("once"),
    );
    let once = lines(&dir.path().join("once/accounts.jsonl"));
    let strip = |v: &serde_json::Value| {
        let mut v = v.clone();
        let o = v.as_object_mut().unwrap();
        o.remove("mean_score");
        o.remove("top_posts");
        o.remove("why");
        v
    };
    for edited in &seen {
        assert_eq!(edited.len(), once.len());
        for (x, y) in edited.iter().zip(&once) {
            assert_eq!(strip(x), strip(y));
            let (mx, my) = (x["mean_score"].as_f64(), y["mean_score"].as_f64());
            assert!((mx.unwrap() - my.unwrap()).abs() <= 0.0011, "{x}\n{y}");
        }
    }
    // Keeping track of no post, every version counts as a post, and the summary says how
    // many later ones did.
    let mut cfg = ScanConfig {
        inputs: vec![edited.clone()],
        out_dir: Some(dir.path().join("none")),
        threads: 2,
        max_edited: 0,
        ..Default::default()
    };
    cfg.ingest.chunk_bytes = 700;
    let stop = Arc::new(AtomicBool::new(false));
    let summary = run(&models, &cfg, &Progress::default(), &stop, &mut |_| {}).unwrap();
    // The first versions count as posts as ever; the 200 later ones, their first not
    // found, as posts of their own.
    assert_eq!(summary.edited_versions_apart, 200);
    assert_eq!(summary.edited_versions_merged, 0);
    for a in &lines(&dir.path().join("none/accounts.jsonl")) {
        assert_eq!(
            (&a["posts"], &a["flagged_posts"]),
            (&20.into(), &13.into()),
            "{a}"
        );
    }
    let text = std::fs::read_to_string(dir.path().join("none/summary.txt")).unwrap();
    assert!(
        text.contains("edited posts: 200 later version(s) counted"),
        "{text}"
    );
    // One thread and four: the same accounts, their top posts and reasons too.
    for (x, y) in seen[0].iter().zip(&seen[1]) {
        let mut y = y.clone();
        y["mean_score"] = x["mean_score"].clone();
        assert_eq!(x, &y);
    }
}
