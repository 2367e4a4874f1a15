//! `raqib serve` end to end: a real server process, real HTTP, the embedded store (and
//! PostgreSQL where `RAQIB_TEST_PG` is set).

mod common;

use common::server::{fresh_pg, token, Server};
use serde_json::{json, Value};

const PROPAGANDA: &str =
    "join the soldiers of the caliphate, the islamic state remains باقية وتتمدد";
const NEWS: &str = "Reuters: the group claimed the attack, officials said on Monday";

fn post(id: &str, text: &str) -> String {
    json!({"id": id, "platform": "x", "account": "acc1", "text": text, "created_at": 1_790_000_000})
        .to_string()
}

struct Setup {
    _dir: tempfile::TempDir,
    srv: Server,
    admin: String,
    ingest: String,
    reviewer: String,
}

fn setup(extra: &[&str]) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let admin = token(&data, None, "admin", "admin");
    let ingest = token(&data, None, "platform-1", "ingest");
    let reviewer = token(&data, None, "alice", "reviewer");
    let srv = Server::start(&data, extra);
    Setup {
        _dir: dir,
        srv,
        admin,
        ingest,
        reviewer,
    }
}

/// The server runs without transparent huge pages (faulting one in stalled requests),
/// which the allocator asks for in every other command.
#[cfg(target_os = "linux")]
#[test]
fn the_server_runs_without_huge_pages() {
    let s = setup(&[]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", s.srv.child.id())).unwrap();
    // Kernels since 6.4 show the switch; older ones have no line for it.
    if let Some(line) = status.lines().find(|l| l.starts_with("THP_enabled:")) {
        assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
    }
}

/// A referral unit works through one channel at a time: the queue filtered by where the
/// posts were made, the whole name with case and spaces aside; each item says its place.
#[test]
fn the_queue_is_filtered_by_place() {
    let s = setup(&[]);
    let (ing, rev) = (Some(s.ingest.as_str()), Some(s.reviewer.as_str()));
    for (id, place) in [
        ("c1", Some("Example Channel")),
        ("g1", Some("Other Group")),
        ("c2", Some("example channel")),
        ("n1", None),
    ] {
        let mut body: Value = serde_json::from_str(&post(id, PROPAGANDA)).unwrap();
        if let Some(p) = place {
            body["place"] = json!(p);
        }
        let (st, v) = s
            .srv
            .req("POST", "/api/v1/posts", ing, Some(&body.to_string()));
        assert_eq!((st, v["state"].as_str()), (201, Some("open")), "{v}");
        assert_eq!(v["place"].as_str(), place, "{v}");
    }
    let keys = |q: &str| -> Vec<String> {
        let (st, v) = s.srv.req("GET", &format!("/api/v1/queue{q}"), rev, None);
        assert_eq!(st, 200, "{v}");
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        keys("?place=%20EXAMPLE%20channel"),
        ["post:x:c1", "post:x:c2"]
    );
    assert_eq!(keys("?place=Other+Group&platform=x"), ["post:x:g1"]);
    assert_eq!(
        keys("?place=Example"),
        Vec::<String>::new(),
        "the whole name"
    );
    assert_eq!(keys("?place=").len(), 4, "an empty filter is none");
}

#[test]
fn submit_explain_queue_review_undo_appeal_and_record() {
    let s = setup(&[]);
    let (ing, rev, adm) = (
        Some(s.ingest.as_str()),
        Some(s.reviewer.as_str()),
        Some(s.admin.as_str()),
    );
    // A propaganda-style post: flagged with evidence spans, queued by the built-in policy.
    let mut body: Value = serde_json::from_str(&post("p1", PROPAGANDA)).unwrap();
    body["client_id"] = json!("sub-1");
    let (st, v) = s
        .srv
        .req("POST", "/api/v1/posts", ing, Some(&body.to_string()));
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["key"], "post:x:p1");
    assert_eq!(v["duplicate"], false);
    assert_eq!(v["state"], "open");
    let text = &v["body"]["verdict"]["signals"][0];
    assert_eq!(
        (text["kind"].as_str(), text["flagged"].as_bool()),
        (Some("text"), Some(true))
    );
    let spans = text["evidence"]["spans"].as_array().unwrap();
    assert!(!spans.is_empty());
    for sp in spans {
        let (a, b) = (
            sp["start"].as_u64().unwrap() as usize,
            sp["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            &PROPAGANDA[a..b],
            sp["text"].as_str().unwrap(),
            "spans index the original text"
        );
    }
    assert_eq!(v["body"]["decision"]["action"], "queue");
    // Idempotent: the same client id again returns the stored item, 200, not stored twice.
    let (st, v2) = s
        .srv
        .req("POST", "/api/v1/posts", ing, Some(&body.to_string()));
    assert_eq!(
        (st, &v2["duplicate"], &v2["seq"]),
        (200, &json!(true), &v["seq"])
    );
    let (_, by_cid) = s.srv.req("GET", "/api/v1/items?client_id=sub-1", ing, None);
    assert_eq!(by_cid["key"], "post:x:p1");
    // News about the group: not flagged, not queued.
    let (st, n) = s
        .srv
        .req("POST", "/api/v1/posts", ing, Some(&post("p2", NEWS)));
    assert_eq!(st, 201);
    assert_eq!(
        (
            n["state"].as_str(),
            n["body"]["decision"]["action"].as_str()
        ),
        (Some("closed"), Some("ignore"))
    );

    // The queue: the reviewer sees the flagged post only; ingest may not read it.
    let (st, q) = s.srv.req("GET", "/api/v1/queue", rev, None);
    assert_eq!(st, 200);
    let keys: Vec<&str> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["post:x:p1"]);
    assert_eq!(
        s.srv
            .req("GET", "/api/v1/queue?platform=telegram", rev, None)
            .1["items"],
        json!([])
    );
    assert_eq!(s.srv.req("GET", "/api/v1/queue", ing, None).0, 403);

    // Review, then undo, then decide again.
    let (st, r) = s.srv.req(
        "POST",
        "/api/v1/items/post:x:p1/review",
        rev,
        Some(r#"{"decision":"remove","note":"outlet logo"}"#),
    );
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["state"], "closed");
    let (st, e) = s.srv.req(
        "POST",
        "/api/v1/items/post:x:p1/review",
        rev,
        Some(r#"{"decision":"no_action"}"#),
    );
    assert_eq!(st, 409, "a decided item is not decided twice: {e}");
    let (st, e) = s.srv.req(
        "POST",
        "/api/v1/items/post:x:p1/review",
        rev,
        Some(r#"{"decision":"delete_everything"}"#),
    );
    assert_eq!(st, 400);
    assert!(e["error"].as_str().unwrap().contains("no_action"));
    let (st, u) = s.srv.req("POST", "/api/v1/items/post:x:p1/undo", rev, None);
    assert_eq!((st, u["state"].as_str()), (200, Some("open")));
    assert_eq!(
        s.srv
            .req(
                "POST",
                "/api/v1/items/post:x:p1/review",
                rev,
                Some(r#"{"decision":"remove"}"#)
            )
            .0,
        200
    );
    // Appeal from the platform: reopened at high priority; the reviewer reverses it.
    let (st, a) = s.srv.req(
        "POST",
        "/api/v1/items/post:x:p1/appeal",
        ing,
        Some(r#"{"reason":"it is a quote in a news piece"}"#),
    );
    assert_eq!((st, a["state"].as_str()), (200, Some("open")));
    assert!(a["priority"].as_u64().unwrap() >= 90);
    assert_eq!(
        s.srv
            .req("POST", "/api/v1/items/post:x:p1/appeal", ing, None)
            .0,
        409
    );
    assert_eq!(
        s.srv
            .req(
                "POST",
                "/api/v1/items/post:x:p1/review",
                rev,
                Some(r#"{"decision":"no_action"}"#)
            )
            .0,
        200
    );

    // Decisions become training data: the post with the reviewer's label.
    let (st, td) = s.srv.req("GET", "/api/v1/training-data", adm, None);
    assert_eq!(st, 200);
    // JSON Lines (one line here, so it also parses as one JSON value).
    let td = match td {
        Value::String(t) => t,
        v => v.to_string(),
    };
    let lines: Vec<Value> = td
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0]["id"].as_str(), lines[0]["label"].as_bool()),
        (Some("p1"), Some(false))
    );
    assert_eq!(lines[0]["text"], PROPAGANDA);
    assert_eq!(s.srv.req("GET", "/api/v1/training-data", rev, None).0, 403);

    // Health, metrics, the API description.
    let (st, h) = s.srv.req("GET", "/health", None, None);
    assert_eq!((st, h["counts"]["items"].as_u64()), (200, Some(2)));
    let (st, m) = s.srv.req("GET", "/metrics", None, None);
    assert_eq!(st, 200);
    let m = m.as_str().unwrap();
    assert!(m.contains("raqib_items_stored_total 2"), "{m}");
    assert!(m.contains("raqib_submit_seconds_count 3"), "{m}");
    assert!(
        !m.contains("raqib_stream_"),
        "no stream figures without --nats: {m}"
    );
    let (st, api) = s.srv.req("GET", "/openapi.json", None, None);
    assert_eq!(st, 200);
    assert!(api["paths"]["/api/v1/posts"]["post"].is_object());

    // The audit log in the store: every decision, the chain intact, and the report counts.
    drop(s.srv);
    let loc = s._dir.path().join("data/raqib.redb");
    let loc = loc.to_str().unwrap();
    let o = common::run(&["audit", "verify", "--store", loc]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("chain intact"));
    let out = s._dir.path().join("report");
    let o = common::run(&["report", "--store", loc, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let rep: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(rep["appeals"], 1);
    assert!(
        rep["reversals"].as_u64().unwrap() >= 2,
        "undo of a removal and the appeal's reversal: {rep}"
    );
    assert_eq!(rep["by_action"]["remove"], 2);
}

#[test]
fn bad_input_and_abuse_get_clear_statuses_and_store_nothing() {
    let s = setup(&["--max-body", "65536", "--max-batch", "100"]);
    let (ing, rev) = (Some(s.ingest.as_str()), Some(s.reviewer.as_str()));
    let err = |v: &Value| v["error"].as_str().unwrap_or_default().to_string();
    // Tokens and roles.
    let (st, v) = s
        .srv
        .req("POST", "/api/v1/posts", None, Some(&post("a", "x")));
    assert_eq!(st, 401);
    assert!(err(&v).contains("raqib token add"));
    assert_eq!(
        s.srv
            .req(
                "POST",
                "/api/v1/posts",
                Some("rqb_wrong"),
                Some(&post("a", "x"))
            )
            .0,
        401
    );
    let (st, v) = s.srv.req("GET", "/api/v1/tokens", rev, None);
    assert_eq!(st, 403);
    assert!(err(&v).contains("role reviewer"), "{v}");
    assert_eq!(
        s.srv
            .req(
                "POST",
                "/api/v1/tokens",
                rev,
                Some(r#"{"name":"x","role":"admin"}"#)
            )
            .0,
        403
    );
    assert_eq!(
        s.srv
            .req(
                "POST",
                "/api/v1/items/post:x:a/review",
                ing,
                Some(r#"{"decision":"remove"}"#)
            )
            .0,
        403
    );
    // Malformed JSON, wrong types, unknown fields, missing id.
    let (st, v) = s
        .srv
        .req("POST", "/api/v1/posts", ing, Some("{\"id\": \"a\", "));
    assert_eq!(st, 400);
    assert!(err(&v).contains("not valid JSON"), "{v}");
    let (st, v) = s.srv.req(
        "POST",
        "/api/v1/posts",
        ing,
        Some(r#"{"id":"a","text":"x","reach":"many"}"#),
    );
    assert_eq!(st, 400);
    assert!(err(&v).contains("`reach`"), "{v}");
    let (st, v) = s.srv.req(
        "POST",
        "/api/v1/posts",
        ing,
        Some(r#"{"id":"a","txt":"x"}"#),
    );
    assert_eq!(st, 400);
    assert!(err(&v).contains("unknown field `txt`"), "{v}");
    assert_eq!(
        s.srv
            .req("POST", "/api/v1/posts", ing, Some(r#"{"text":"x"}"#))
            .0,
        400
    );
    assert_eq!(
        s.srv.req("POST", "/api/v1/posts", ing, Some("[1,2]")).0,
        400
    );
    assert_eq!(s.srv.req("POST", "/api/v1/posts", ing, Some("")).0, 400);
    // A huge body: 413.
    let huge = post("big", &"a".repeat(100_000));
    assert_eq!(s.srv.req("POST", "/api/v1/posts", ing, Some(&huge)).0, 413);
    // A batch with one bad record stores none of them.
    let batch = json!({"posts": [
        {"id": "b1", "platform": "x", "text": PROPAGANDA},
        {"id": "b2", "platform": "x", "text": 7},
        {"id": "b3", "platform": "x", "text": "hello"}
    ]});
    let (st, v) = s
        .srv
        .req("POST", "/api/v1/posts/batch", ing, Some(&batch.to_string()));
    assert_eq!(st, 400);
    assert!(
        err(&v).contains("posts[1]") && err(&v).contains("nothing stored"),
        "{v}"
    );
    assert_eq!(
        s.srv.req("GET", "/api/v1/items/post:x:b1", ing, None).0,
        404
    );
    let big_batch = json!({"posts": (0..101).map(|i| json!({"id": format!("m{i}"), "text": "x"})).collect::<Vec<_>>()});
    assert_eq!(
        s.srv
            .req(
                "POST",
                "/api/v1/posts/batch",
                ing,
                Some(&big_batch.to_string())
            )
            .0,
        413
    );
    // Unknown routes and methods.
    assert_eq!(s.srv.req("GET", "/api/v1/nothing", ing, None).0, 404);
    assert_eq!(s.srv.req("GET", "/api/v1/posts", ing, None).0, 405);
    assert_eq!(
        s.srv.req("GET", "/api/v1/items/post:x:nope", ing, None).0,
        404
    );
    // A page request signed in by cookie must carry the page's header.
    let cookie = format!("raqib_session={}", s.reviewer);
    let (st, _) = s.srv.req_with(
        "POST",
        "/api/v1/items/post:x:a/undo",
        None,
        None,
        &[("Cookie", &cookie)],
    );
    assert_eq!(st, 403);
    // An upload whose name tries a path: kept as a label only; not an image: 422.
    let (st, v) = s.srv.req_with(
        "POST",
        "/api/v1/media?name=../../etc/passwd",
        ing,
        Some(b"not an image"),
        &[],
    );
    assert_eq!(st, 422, "{v}");
    let (st, v) = s.srv.req_with(
        "POST",
        "/api/v1/media?name=..%2F..%2Fetc%2Fpasswd",
        ing,
        Some(&bmp(64, 64)),
        &[],
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["body"]["submitted"]["name"], "passwd");
    assert!(!s.srv.data.join("etc").exists());
    // Nothing half-stored along the way: the only items are the good upload.
    let (_, h) = s.srv.req("GET", "/health", None, None);
    assert_eq!(h["counts"]["items"], 1, "{h}");
}

/// A 24-bit BMP with a diagonal gradient.
fn bmp(w: u32, h: u32) -> Vec<u8> {
    let row = (w * 3).div_ceil(4) * 4;
    let size = 54 + row * h;
    let mut b = Vec::new();
    b.extend_from_slice(b"BM");
    for v in [size, 0, 54, 40] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&(w as i32).to_le_bytes());
    b.extend_from_slice(&(h as i32).to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    for v in [0u32, row * h, 2835, 2835, 0, 0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for y in 0..h {
        for x in 0..w {
            b.extend_from_slice(&[(x * 4) as u8, (y * 4) as u8, ((x + y) * 2) as u8]);
        }
        b.resize(b.len() + (row - w * 3) as usize, 0);
    }
    b
}

#[test]
fn rate_limit_answers_429_with_retry_after() {
    let s = setup(&["--rate-limit", "5"]);
    let ing = Some(s.ingest.as_str());
    let statuses: Vec<u16> = (0..12)
        .map(|i| {
            s.srv
                .req(
                    "POST",
                    "/api/v1/posts",
                    ing,
                    Some(&post(&format!("r{i}"), "hello")),
                )
                .0
        })
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(statuses.iter().filter(|&&x| x == 201).count() >= 5);
    // Another token has its own allowance.
    assert_eq!(
        s.srv.req("GET", "/api/v1/queue", Some(&s.reviewer), None).0,
        200
    );
}

#[test]
fn policy_reloads_and_a_bad_file_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let pol = dir.path().join("policy.toml");
    std::fs::write(
        &pol,
        "version = 1\n[[rule]]\nsignal = \"text\"\naction = \"queue\"\npriority = 10\n",
    )
    .unwrap();
    let s = setup(&["--policy", pol.to_str().unwrap()]);
    let ing = Some(s.ingest.as_str());
    let (_, v) = s
        .srv
        .req("POST", "/api/v1/posts", ing, Some(&post("q1", PROPAGANDA)));
    assert_eq!(v["body"]["decision"]["action"], "queue");
    // A broken file: refused, the line named, the old policy in force.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(
        &pol,
        "version = 1\n[[rule]]\nsignal = \"text\"\naction = \"explode\"\n",
    )
    .unwrap();
    let (st, v) = s
        .srv
        .req("POST", "/api/v1/policy/reload", Some(&s.admin), None);
    assert_eq!(st, 422);
    assert!(v["error"].as_str().unwrap().contains(":4:"), "{v}");
    let (_, v) = s
        .srv
        .req("POST", "/api/v1/posts", ing, Some(&post("q2", PROPAGANDA)));
    assert_eq!(v["body"]["decision"]["action"], "queue");
    let (_, h) = s.srv.req("GET", "/health", None, None);
    assert!(h["policy_error"].as_str().unwrap().contains("unchanged"));
    // A good change is picked up without a restart (by the watcher, within seconds).
    std::fs::write(
        &pol,
        "version = 1\n[[rule]]\nsignal = \"text\"\naction = \"remove\"\npriority = 10\n",
    )
    .unwrap();
    let mut action = String::new();
    for i in 0..40 {
        std::thread::sleep(std::time::Duration::from_millis(250));
        let (_, v) = s.srv.req(
            "POST",
            "/api/v1/posts",
            ing,
            Some(&post(&format!("w{i}"), PROPAGANDA)),
        );
        action = v["body"]["decision"]["action"]
            .as_str()
            .unwrap()
            .to_string();
        if action == "remove" {
            break;
        }
    }
    assert_eq!(action, "remove");
}

/// What a receiver got: (request head, body) per request.
type Calls = std::sync::Arc<std::sync::Mutex<Vec<(String, Vec<u8>)>>>;

/// A tiny webhook receiver: answers `fail_first` requests with 503, then 200; records
/// (headers, body) of each.
fn receiver(fail_first: usize) -> (String, Calls) {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for (n, conn) in l.incoming().enumerate() {
            let Ok(mut c) = conn else { continue };
            let mut buf = Vec::new();
            let mut tmp = [0u8; 4096];
            let (head, body) = loop {
                let k = c.read(&mut tmp).unwrap_or(0);
                if k == 0 {
                    break (String::new(), Vec::new());
                }
                buf.extend_from_slice(&tmp[..k]);
                if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..p]).to_string();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    while buf.len() < p + 4 + len {
                        let k = c.read(&mut tmp).unwrap_or(0);
                        if k == 0 {
                            break;
                        }
                        buf.extend_from_slice(&tmp[..k]);
                    }
                    break (head, buf[p + 4..].to_vec());
                }
            };
            g.lock().unwrap().push((head, body));
            let status = if n < fail_first {
                "503 Service Unavailable"
            } else {
                "200 OK"
            };
            let _ = write!(
                c,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (url, got)
}

fn header<'a>(head: &'a str, name: &str) -> &'a str {
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
        .unwrap_or("")
}

#[test]
fn webhooks_are_signed_retried_with_one_idempotency_key_and_dead_lettered() {
    let dir = tempfile::tempdir().unwrap();
    let pol = dir.path().join("policy.toml");
    std::fs::write(
        &pol,
        "version = 1\n[[rule]]\nsignal = \"text\"\naction = \"remove\"\n",
    )
    .unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "hook-secret\n").unwrap();
    let (ok_url, got) = receiver(2);
    let (dead_url, dead_got) = receiver(usize::MAX);
    let s = setup(&[
        "--policy",
        pol.to_str().unwrap(),
        "--webhook",
        &ok_url,
        "--webhook",
        &dead_url,
        "--webhook-secret-file",
        secret.to_str().unwrap(),
        "--webhook-backoff-ms",
        "50",
        "--webhook-attempts",
        "3",
    ]);
    let (st, v) = s.srv.req(
        "POST",
        "/api/v1/posts",
        Some(&s.ingest),
        Some(&post("h1", PROPAGANDA)),
    );
    assert_eq!(
        (st, v["body"]["decision"]["action"].as_str()),
        (201, Some("remove"))
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let dead = loop {
        let (_, d) = s
            .srv
            .req("GET", "/api/v1/deadletters", Some(&s.admin), None);
        if d["dead_letters"].as_array().is_some_and(|a| !a.is_empty())
            && got.lock().unwrap().len() >= 3
        {
            break d;
        }
        assert!(std::time::Instant::now() < deadline, "no dead letter: {d}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let calls = got.lock().unwrap().clone();
    assert_eq!(calls.len(), 3, "two failures, then delivered, then no more");
    let keys: Vec<&str> = calls
        .iter()
        .map(|(h, _)| header(h, "idempotency-key"))
        .collect();
    assert!(
        keys.iter().all(|k| *k == keys[0] && !k.is_empty()),
        "{keys:?}"
    );
    for (h, body) in &calls {
        let sig = header(h, "x-raqib-signature");
        assert!(
            raqib_server::hooks::verify_signature(b"hook-secret", sig, body),
            "{h}"
        );
        assert!(!raqib_server::hooks::verify_signature(b"other", sig, body));
        assert_eq!(header(h, "x-raqib-event"), "action");
        let p: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(
            (p["action"].as_str(), p["item"].as_str()),
            (Some("remove"), Some("post:x:h1"))
        );
    }
    let d = &dead["dead_letters"][0];
    assert_eq!(
        (d["url"].as_str(), d["attempts"].as_u64()),
        (Some(dead_url.as_str()), Some(3))
    );
    assert!(d["last_error"].as_str().unwrap().contains("503"));
    assert_eq!(dead_got.lock().unwrap().len(), 3);
    // An admin puts it back: it is tried again.
    let id = d["id"].as_u64().unwrap();
    assert_eq!(
        s.srv
            .req(
                "POST",
                &format!("/api/v1/deadletters/{id}/retry"),
                Some(&s.admin),
                None
            )
            .0,
        200
    );
    assert_eq!(
        s.srv
            .req(
                "POST",
                &format!("/api/v1/deadletters/{id}/retry"),
                Some(&s.reviewer),
                None
            )
            .0,
        403
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while dead_got.lock().unwrap().len() < 4 {
        assert!(std::time::Instant::now() < deadline, "not retried");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Submit from several threads while the server is killed with SIGKILL; restart; every
/// item that was acknowledged is there.
fn acknowledged_items_survive_kill_9(store: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ingest = token(&data, store, "platform-1", "ingest");
    // Made now: a running server holds the embedded store's lock (the API creates tokens
    // while it runs).
    let reader = token(&data, store, "check", "reviewer");
    let extra: Vec<&str> = store.map(|s| vec!["--store", s]).unwrap_or_default();
    let mut srv = Server::start(&data, &extra);
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut handles = Vec::new();
    for t in 0..4 {
        let (base, ingest, acked, stop) = (
            srv.base.clone(),
            ingest.clone(),
            acked.clone(),
            stop.clone(),
        );
        handles.push(std::thread::spawn(move || {
            let agent = common::server::agent();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let batch = t % 2 == 1;
                let ids: Vec<String> = (0..if batch { 20 } else { 1 }).map(|k| format!("t{t}-{i}-{k}")).collect();
                let body = if batch {
                    json!({"posts": ids.iter().map(|id| json!({"id": id, "platform": "x", "text": PROPAGANDA})).collect::<Vec<_>>()}).to_string()
                } else {
                    json!({"id": ids[0], "platform": "x", "text": PROPAGANDA}).to_string()
                };
                let url = format!("{base}/api/v1/posts{}", if batch { "/batch" } else { "" });
                match agent.post(&url).header("Authorization", &format!("Bearer {ingest}")).send(body.as_bytes()) {
                    Ok(r) if r.status().is_success() => acked.lock().unwrap().extend(ids),
                    _ => break, // the server is gone
                }
            }
        }));
    }
    std::thread::sleep(std::time::Duration::from_millis(1500));
    srv.kill9();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 50,
        "only {} items acknowledged before the kill",
        acked.len()
    );
    let srv = Server::start(&data, &extra);
    let missing: Vec<&String> = acked
        .iter()
        .filter(|id| {
            srv.req(
                "GET",
                &format!("/api/v1/items/post:x:{id}"),
                Some(&reader),
                None,
            )
            .0 != 200
        })
        .collect();
    eprintln!(
        "kill -9: {} acknowledged items, {} missing after restart",
        acked.len(),
        missing.len()
    );
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged items lost: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
}

#[test]
fn acknowledged_items_survive_kill_9_embedded() {
    acknowledged_items_survive_kill_9(None);
}

#[test]
fn acknowledged_items_survive_kill_9_postgres() {
    let Some(url) = fresh_pg("raqib_test_serve_kill") else {
        return;
    };
    acknowledged_items_survive_kill_9(Some(&url));
}

#[test]
fn serve_runs_on_postgres() {
    let Some(url) = fresh_pg("raqib_test_serve_api") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ingest = token(&data, Some(&url), "platform-1", "ingest");
    let reviewer = token(&data, Some(&url), "alice", "reviewer");
    let srv = Server::start(&data, &["--store", &url]);
    let (st, v) = srv.req(
        "POST",
        "/api/v1/posts",
        Some(&ingest),
        Some(&post("pg1", PROPAGANDA)),
    );
    assert_eq!((st, v["state"].as_str()), (201, Some("open")), "{v}");
    let (_, q) = srv.req("GET", "/api/v1/queue", Some(&reviewer), None);
    assert_eq!(q["items"][0]["key"], "post:x:pg1");
    assert_eq!(
        srv.req(
            "POST",
            "/api/v1/items/post:x:pg1/review",
            Some(&reviewer),
            Some(r#"{"decision":"remove"}"#)
        )
        .0,
        200
    );
    drop(srv);
    let o = common::run(&["audit", "verify", "--store", &url]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("4 entries"),
        "two tokens, the policy's decision, the review: {}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn lists_and_suspended_accounts_are_managed_through_the_api_and_match_at_once() {
    let s = setup(&[]);
    let (adm, ing, rev) = (
        Some(s.admin.as_str()),
        Some(s.ingest.as_str()),
        Some(s.reviewer.as_str()),
    );
    let pdq = "8b0e7153bf7c3706d85c524e440066559a6656c90bd5482a90a29b9fa5ff5180";
    // A list, created and filled by an admin; reviewers may not change it.
    assert_eq!(
        s.srv
            .req("POST", "/api/v1/lists/outlet-a", rev, Some("{}"))
            .0,
        403
    );
    let (st, v) = s.srv.req(
        "POST",
        "/api/v1/lists/outlet-a",
        adm,
        Some(r#"{"description":"posters"}"#),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(
        s.srv
            .req("POST", "/api/v1/lists/outlet-a", adm, Some("{}"))
            .0,
        409
    );
    assert_eq!(
        s.srv
            .req("POST", "/api/v1/lists/..%2Fescape", adm, Some("{}"))
            .0,
        400
    );
    let entries = json!({"entries": [{"op": "add", "type": "pdq", "value": pdq, "label": "outlet A poster"}]});
    let (st, v) = s.srv.req(
        "POST",
        "/api/v1/lists/outlet-a/entries",
        adm,
        Some(&entries.to_string()),
    );
    assert_eq!((st, v["applied"].as_u64()), (200, Some(1)), "{v}");
    assert_eq!(
        s.srv
            .req(
                "POST",
                "/api/v1/lists/nope/entries",
                adm,
                Some(&entries.to_string())
            )
            .0,
        404
    );
    let (_, l) = s.srv.req("GET", "/api/v1/lists", rev, None);
    assert_eq!(l["lists"][0]["name"], "outlet-a");
    // A post carrying a near copy (a few bits off) matches at once, with the entry as evidence.
    let near = "8b0e7153bf7c3706d85c524e440066559a6656c90bd5482a90a29b9fa5ff5181";
    let p = json!({"id": "m1", "platform": "x", "text": "look", "media": [{"kind": "image", "pdq": near}]});
    let (st, v) = s
        .srv
        .req("POST", "/api/v1/posts", ing, Some(&p.to_string()));
    assert_eq!(st, 201);
    let media = v["body"]["verdict"]["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "media")
        .cloned()
        .expect("a media signal");
    assert_eq!(
        (media["list"].as_str(), media["evidence"]["label"].as_str()),
        (Some("outlet-a"), Some("outlet A poster"))
    );
    assert_eq!(media["evidence"]["distance"], 1);
    assert_eq!(v["lists"], json!(["outlet-a"]));
    assert_eq!(v["state"], "open");
    let (_, q) = s.srv.req("GET", "/api/v1/queue?list=outlet-a", rev, None);
    assert_eq!(q["items"][0]["key"], "post:x:m1");
    // By hash alone.
    let (st, v) = s.srv.req(
        "POST",
        "/api/v1/media/hash",
        ing,
        Some(&json!({"platform": "x", "pdq": pdq}).to_string()),
    );
    assert_eq!(
        (st, v["key"].as_str()),
        (201, Some(format!("media:pdq-{pdq}").as_str())),
        "{v}"
    );
    assert_eq!(v["lists"], json!(["outlet-a"]));
    assert_eq!(
        s.srv
            .req("POST", "/api/v1/media/hash", ing, Some(r#"{"pdq":"xyz"}"#))
            .0,
        400
    );

    // Suspended accounts: added by an admin; a returning account submitted at sign-up links.
    let sus: Vec<Value> = std::fs::read_to_string(common::root().join("examples/suspended.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "account")
        .map(|mut v| {
            let o = v.as_object_mut().unwrap();
            o.remove("raqib");
            o.remove("type");
            o.remove("created_at");
            v
        })
        .collect();
    let (st, v) = s.srv.req(
        "POST",
        "/api/v1/suspended",
        adm,
        Some(&json!({"accounts": sus}).to_string()),
    );
    assert_eq!(st, 200, "{v}");
    let back = json!({"id": "n1", "platform": "x", "handle": "nour_alwadi_7", "display_name": "Nour Alwadi",
                      "bio": "the valley channel updates, back again t.me/nour_alwadi_ch"});
    let (st, v) = s
        .srv
        .req("POST", "/api/v1/accounts", ing, Some(&back.to_string()));
    assert_eq!(st, 201, "{v}");
    let link = v["body"]["verdict"]["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "link")
        .cloned()
        .expect("a link signal");
    assert_eq!(link["evidence"]["handle"], "nour_alwadi_6");
    assert!(
        link["evidence"]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["text"]
                .as_str()
                .unwrap()
                .contains("telegram:nour_alwadi_ch")),
        "{link}"
    );
    assert_eq!(
        s.srv.req("DELETE", "/api/v1/suspended/x/s1", adm, None).0,
        200
    );
    assert_eq!(
        s.srv.req("DELETE", "/api/v1/suspended/x/s1", adm, None).0,
        404
    );
    let again = json!({"id": "n9", "platform": "x", "handle": "nour_alwadi_7", "bio": "the valley channel updates, back again t.me/nour_alwadi_ch"});
    let (_, v) = s
        .srv
        .req("POST", "/api/v1/accounts", ing, Some(&again.to_string()));
    assert!(
        v["body"]["verdict"]["signals"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["kind"] != "link"),
        "removed from the index: {v}"
    );
}

#[test]
fn accounts_posting_the_same_link_within_a_minute_raise_the_network_signal() {
    let s = setup(&[]);
    let ing = Some(s.ingest.as_str());
    let post = |id: &str, account: &str, t: i64, url: &str| {
        json!({"id": id, "platform": "x", "account": account, "created_at": t,
               "text": format!("read this {url}"), "urls": [url]})
        .to_string()
    };
    let url = "https://files.example/release-12?utm_source=tg";
    let (_, a) = s.srv.req(
        "POST",
        "/api/v1/posts",
        ing,
        Some(&post("c1", "u1", 1_790_000_000, url)),
    );
    assert!(a["signals"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k != "network"));
    // The same link (tracking parameter aside) from a second account: noted, not flagged.
    let (_, b) = s.srv.req(
        "POST",
        "/api/v1/posts",
        ing,
        Some(&post(
            "c2",
            "u2",
            1_790_000_010,
            "https://files.example/release-12",
        )),
    );
    let net = |v: &Value| {
        v["body"]["verdict"]["signals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["kind"] == "network")
            .cloned()
    };
    let nb = net(&b).expect("a network signal");
    assert_eq!(nb["flagged"], false);
    // A third account within the minute: flagged, queued by the built-in policy, with who and when.
    let (_, c) = s.srv.req(
        "POST",
        "/api/v1/posts",
        ing,
        Some(&post("c3", "u3", 1_790_000_030, url)),
    );
    let nc = net(&c).expect("a network signal");
    assert_eq!(nc["flagged"], true, "{nc}");
    assert_eq!(nc["evidence"]["accounts"], json!(["u1", "u2"]));
    let shared = &nc["evidence"]["shared"][0];
    assert_eq!(shared["kind"], "url");
    assert_eq!(shared["others"][0]["account"], "u2");
    assert_eq!(shared["others"][0]["seconds_apart"], 20);
    assert_eq!(c["state"], "open");
    assert_eq!(c["body"]["decision"]["rule"], "coordinated posting");
    // Past the window, the same link from a fourth account is not coordination.
    let (_, d) = s.srv.req(
        "POST",
        "/api/v1/posts",
        ing,
        Some(&post("c4", "u4", 1_790_000_500, url)),
    );
    assert!(net(&d).is_none(), "{d}");
}

/// Co-posting is seen across platforms: the same link from an account of one platform and
/// an account of another with the same id is two accounts' posts, the other named with its
/// platform.
#[test]
fn the_same_id_on_two_platforms_is_two_accounts_co_posting() {
    let s = setup(&[]);
    let ing = Some(s.ingest.as_str());
    let url = "https://files.example/release-40";
    let post = |platform: &str, id: &str, t: i64| {
        json!({"id": id, "platform": platform, "account": "u1", "created_at": t,
               "text": format!("read this {url}"), "urls": [url]})
        .to_string()
    };
    let (st, _) = s.srv.req(
        "POST",
        "/api/v1/posts",
        ing,
        Some(&post("telegram", "t1", 1_790_000_000)),
    );
    assert_eq!(st, 201);
    let (_, v) = s.srv.req(
        "POST",
        "/api/v1/posts",
        ing,
        Some(&post("x", "x1", 1_790_000_005)),
    );
    let net = v["body"]["verdict"]["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "network")
        .cloned()
        .expect("a network signal across platforms");
    assert_eq!(net["evidence"]["accounts"], json!(["telegram:u1"]));
    let other = &net["evidence"]["shared"][0]["others"][0];
    assert_eq!(
        (other["platform"].as_str(), other["account"].as_str()),
        (Some("telegram"), Some("u1"))
    );
}

/// The service flags by the same rule as `scan`: a text needs its own evidence, so "🤔"
/// is not flagged even at a threshold below the model's prior.
#[test]
fn a_text_without_evidence_is_not_flagged_by_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("small.jsonl");
    let mut lines = String::new();
    for i in 0..40 {
        lines += &format!(
            "{{\"id\":\"p{i}\",\"text\":\"khilafah soldiers advance {i}\",\"label\":1}}\n"
        );
    }
    for i in 0..10 {
        lines += &format!(
            "{{\"id\":\"n{i}\",\"text\":\"lovely weather in the park {i}\",\"label\":0}}\n"
        );
    }
    std::fs::write(&train, lines).unwrap();
    let model = dir.path().join("small.model");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_raqib"))
        .args(["train", "--threads", "1", "--data"])
        .arg(&train)
        .arg("--out")
        .arg(&model)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = setup(&["--model", model.to_str().unwrap(), "--threshold", "0.3"]);
    let ing = Some(s.ingest.as_str());
    let text_signal = |id: &str, text: &str| {
        let (st, v) = s
            .srv
            .req("POST", "/api/v1/posts", ing, Some(&post(id, text)));
        assert_eq!(st, 201, "{v}");
        let sig = v["body"]["verdict"]["signals"][0].clone();
        assert_eq!(sig["kind"], "text", "{v}");
        sig
    };
    let none = text_signal("e1", "🤔");
    assert!(none["score"].as_f64().unwrap() > 0.3, "{none}");
    assert_eq!(none["flagged"], false, "{none}");
    let some = text_signal("e2", "khilafah soldiers advance");
    assert_eq!(some["flagged"], true, "{some}");
}

/// An account submitted again with another profile is a new version of it: an account
/// that signs up as a cooking page and takes the group's words into its bio is scored and
/// decided again, queued, with the profile it had kept as `previous` and the fields the
/// new record leaves out (its handle, its name) kept. Going back to harmless words sheds
/// nothing: the account is judged by the strongest version of its profile, as a scan
/// judges it, and stays flagged and queued with that version's text and evidence. Two
/// versions in one batch are both kept, the second merged with the first rather than
/// with the profile both were read against. A record with nothing new (followers
/// alone), or a retry with the item's client id, stays a duplicate. The audit chain holds.
fn a_changed_profile_is_scored_again(store: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ingest = token(&data, store, "platform-1", "ingest");
    let reviewer = token(&data, store, "alice", "reviewer");
    let extra: Vec<&str> = store.map(|u| vec!["--store", u]).unwrap_or_default();
    let srv = Server::start(&data, &extra);
    let ing = Some(ingest.as_str());
    let send = |a: Value| srv.req("POST", "/api/v1/accounts", ing, Some(&a.to_string()));
    let (st, v) = send(json!({"id": "a1", "platform": "x", "handle": "cook_7",
        "display_name": "Home cooking", "bio": "recipes and football", "followers": 10}));
    assert_eq!(
        (st, &v["flagged"], &v["state"]),
        (201, &json!(false), &json!("closed")),
        "{v}"
    );
    // Followers alone: nothing new.
    let (st, v) = send(json!({"id": "a1", "platform": "x", "followers": 20}));
    assert_eq!((st, &v["duplicate"]), (200, &json!(true)), "{v}");
    assert!(v.get("updated").is_none(), "{v}");
    // The group's words in its bio: a new version, flagged and queued.
    let (st, v) = send(json!({"id": "a1", "platform": "x", "bio": PROPAGANDA, "followers": 5000}));
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (&v["duplicate"], &v["updated"]),
        (&json!(false), &json!(true)),
        "{v}"
    );
    assert_eq!(
        (&v["flagged"], &v["state"]),
        (&json!(true), &json!("open")),
        "{v}"
    );
    let sub = &v["body"]["submitted"];
    assert_eq!(
        (&sub["handle"], &sub["display_name"]),
        (&json!("cook_7"), &json!("Home cooking"))
    );
    assert_eq!(
        (&sub["bio"], &sub["followers"]),
        (&json!(PROPAGANDA), &json!(5000))
    );
    let prev = &v["body"]["previous"][0];
    assert_eq!(
        (&prev["submitted"]["bio"], &prev["flagged"]),
        (&json!("recipes and football"), &json!(false)),
        "{v}"
    );
    let (_, q) = srv.req("GET", "/api/v1/queue", Some(&reviewer), None);
    assert!(
        q["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["key"] == "account:x:a1"),
        "{q}"
    );
    // Back to harmless words, in a batch with a new account: still in the queue.
    let (st, v) = srv.req(
        "POST",
        "/api/v1/accounts/batch",
        ing,
        Some(&json!({"accounts": [{"id": "a1", "platform": "x", "bio": "recipes again"},
                                  {"id": "a3", "platform": "x", "bio": "hello", "client_id": "c-3"}]})
            .to_string()),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (&v["items"][0]["updated"], &v["items"][0]["duplicate"]),
        (&json!(true), &json!(false)),
        "{v}"
    );
    assert_eq!(v["items"][1]["duplicate"], false, "{v}");
    assert!(v["items"][1].get("updated").is_none(), "{v}");
    let (_, item) = srv.req("GET", "/api/v1/items/account:x:a1", Some(&reviewer), None);
    assert_eq!(
        (&item["flagged"], &item["state"], &item["action"]),
        (&json!(true), &json!("open"), &json!("queue")),
        "{item}"
    );
    assert_eq!(
        item["body"]["previous"].as_array().unwrap().len(),
        2,
        "{item}"
    );
    let signals = item["body"]["verdict"]["signals"].as_array().unwrap();
    let now = signals
        .iter()
        .find(|s| s["detector"] == "text.linear")
        .unwrap();
    assert_eq!(now["flagged"], false, "{item}");
    let earlier = signals
        .iter()
        .find(|s| s["detector"] == "text.linear.earlier")
        .unwrap_or_else(|| panic!("the earlier version's signal: {item}"));
    assert_eq!(
        (&earlier["kind"], &earlier["flagged"]),
        (&json!("profile"), &json!(true))
    );
    let text = earlier["earlier"].as_str().unwrap();
    assert!(text.contains(PROPAGANDA), "{earlier}");
    let spans = earlier["evidence"]["spans"].as_array().unwrap();
    assert!(!spans.is_empty(), "{earlier}");
    for sp in spans {
        let (a, b) = (sp["start"].as_u64().unwrap(), sp["end"].as_u64().unwrap());
        assert_eq!(&text[a as usize..b as usize], sp["text"], "{sp}");
    }
    // Two versions in one batch, each read against the same stored profile: the second
    // is merged with the first, so the handle of one and the name of the other are kept.
    let (st, v) = srv.req(
        "POST",
        "/api/v1/accounts/batch",
        ing,
        Some(&json!({"accounts": [{"id": "a1", "platform": "x", "handle": "cook_8"},
                                  {"id": "a1", "platform": "x", "display_name": "Cooking at home"}]})
            .to_string()),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (&v["items"][0]["updated"], &v["items"][1]["updated"]),
        (&json!(true), &json!(true)),
        "{v}"
    );
    let (_, item) = srv.req("GET", "/api/v1/items/account:x:a1", Some(&reviewer), None);
    let sub = &item["body"]["submitted"];
    assert_eq!(
        (&sub["handle"], &sub["display_name"], &sub["bio"]),
        (
            &json!("cook_8"),
            &json!("Cooking at home"),
            &json!("recipes again")
        ),
        "{item}"
    );
    assert_eq!(
        item["body"]["previous"].as_array().unwrap().len(),
        4,
        "{item}"
    );
    // The strongest version is still what it is judged by.
    assert_eq!(item["flagged"], true, "{item}");
    // Versions sent at once, each changing another field: none is lost to another.
    let (st, _) = send(json!({"id": "a5", "platform": "x", "handle": "h", "bio": "b"}));
    assert_eq!(st, 201);
    for round in 0..5 {
        let fields = [
            ("handle", format!("h{round}")),
            ("display_name", format!("name {round}")),
            ("bio", format!("bio {round}")),
            ("avatar", format!("https://img.example/{round}.jpg")),
        ];
        std::thread::scope(|sc| {
            for (field, value) in &fields {
                let send = &send;
                sc.spawn(move || {
                    let value = if *field == "avatar" {
                        json!({"kind": "image", "url": value})
                    } else {
                        json!(value)
                    };
                    let mut a = json!({"id": "a5", "platform": "x"});
                    a[*field] = value;
                    let (st, v) = send(a);
                    assert_eq!(st, 200, "{v}");
                });
            }
        });
        let (_, item) = srv.req("GET", "/api/v1/items/account:x:a5", Some(&reviewer), None);
        let sub = &item["body"]["submitted"];
        for (field, value) in &fields {
            let got = if *field == "avatar" {
                &sub["avatar"]["url"]
            } else {
                &sub[*field]
            };
            assert_eq!(got, &json!(value), "round {round}: {item}");
        }
    }
    // A retry with the item's own client id stays a duplicate, whatever it holds.
    let (st, v) = send(json!({"id": "a3", "platform": "x", "bio": PROPAGANDA, "client_id": "c-3"}));
    assert_eq!(
        (st, &v["duplicate"], &v["flagged"]),
        (200, &json!(true), &json!(false)),
        "{v}"
    );
    let (_, m) = srv.req("GET", "/metrics", None, None);
    assert!(
        m.as_str().unwrap().contains("raqib_items_updated_total 24"),
        "{m}"
    );
    drop(srv);
    let at = store
        .map(str::to_string)
        .unwrap_or_else(|| data.join("raqib.redb").display().to_string());
    let o = common::run(&["audit", "verify", "--store", &at]);
    assert!(o.status.success(), "{}", common::stderr(&o));
}

#[test]
fn a_changed_profile_is_scored_again_embedded() {
    a_changed_profile_is_scored_again(None);
}

#[test]
fn a_changed_profile_is_scored_again_postgres() {
    let Some(url) = fresh_pg("raqib_test_serve_profiles") else {
        return;
    };
    a_changed_profile_is_scored_again(Some(&url));
}
