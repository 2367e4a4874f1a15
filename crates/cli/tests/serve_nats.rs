//! `raqib serve --nats`: posts read from a real NATS JetStream server (Debian's
//! `nats-server -js`), scored, stored and acknowledged once stored; a bad message refused
//! with its stream sequence; `kill -9` while reading loses nothing and stores nothing
//! twice; a store that refuses writes for a while (PostgreSQL, `RAQIB_TEST_PG`) loses
//! nothing. `.ci/run` installs nats-server; elsewhere these tests say they were skipped.

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use common::server::{fresh_pg, token, Server};
use futures_util::StreamExt;
use serde_json::{json, Value};

const PROPAGANDA: &str =
    "join the soldiers of the caliphate, the islamic state remains باقية وتتمدد";

/// A nats-server with JetStream on a free port, its store in a folder of its own.
struct Nats {
    child: Child,
    url: String,
    port: u16,
    bin: PathBuf,
    dir: tempfile::TempDir,
}

impl Nats {
    fn spawn(bin: &PathBuf, port: u16, dir: &std::path::Path) -> Child {
        let child = Command::new(bin)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "nats-server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        child
    }

    /// Stop the server (SIGKILL) and start it again on the same port and store.
    fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = Nats::spawn(&self.bin, self.port, self.dir.path());
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn nats_server() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|d| d.join("nats-server"))
        .find(|p| p.is_file())
}

fn start_nats() -> Option<Nats> {
    let Some(bin) = nats_server() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "nats-server is missing: .ci/run must install it (apt-get install nats-server)"
        );
        eprintln!("skipped: install nats-server (Debian: apt-get install nats-server) to run");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Nats::spawn(&bin, port, dir.path());
    Some(Nats {
        child,
        url: format!("nats://127.0.0.1:{port}"),
        port,
        bin,
        dir,
    })
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Publish each payload to `subject` through JetStream, each stored by the stream.
fn publish(url: &str, subject: &str, payloads: &[String]) {
    rt().block_on(async {
        let js = jetstream::new(async_nats::connect(url).await.unwrap());
        // A window of acknowledgements at a time: the client holds only so many open.
        for window in payloads.chunks(500) {
            let mut acks = Vec::new();
            for p in window {
                acks.push(
                    js.publish(subject.to_string(), p.clone().into())
                        .await
                        .unwrap(),
                );
            }
            for a in acks {
                a.await.expect("the stream keeps the message");
            }
        }
    })
}

/// The consumer's messages not yet delivered and those delivered but not acknowledged.
fn consumer_state(url: &str, stream: &str, consumer: &str) -> (u64, usize) {
    rt().block_on(async {
        let js = jetstream::new(async_nats::connect(url).await.unwrap());
        let mut c: jetstream::consumer::PullConsumer = js
            .get_stream(stream)
            .await
            .unwrap()
            .get_consumer(consumer)
            .await
            .unwrap();
        let i = c.info().await.unwrap();
        (i.num_pending, i.num_ack_pending)
    })
}

/// Wait until every message of the stream is delivered and acknowledged.
fn drained(url: &str) {
    let started = Instant::now();
    loop {
        let s = consumer_state(url, "POSTS", "raqib");
        if s == (0, 0) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not drained: {s:?} (pending, waiting for an ack)"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn post(id: &str, text: &str) -> Value {
    json!({"id": id, "platform": "telegram", "account": "chan-1", "place": "Example Channel", "text": text})
}

fn metric(s: &Server, adm: &str, outcome: &str) -> u64 {
    let (st, v) = s.req("GET", "/metrics", Some(adm).filter(|t| !t.is_empty()), None);
    assert_eq!(st, 200);
    let text = v.as_str().unwrap().to_string();
    let key = format!("raqib_stream_messages_total{{outcome=\"{outcome}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key))
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        .parse()
        .unwrap()
}

#[test]
fn posts_from_a_jetstream_stream_are_scored_stored_acknowledged_and_their_verdicts_published() {
    let Some(nats) = start_nats() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let adm = token(&data, None, "admin", "admin");
    let log = dir.path().join("serve.log");
    let srv = Server::start_logged(
        &data,
        &["--nats", &nats.url, "--nats-verdicts", "raqib.verdicts"],
        &log,
    );
    // Live subscribers get the verdicts: one for each stored item, none for a refused
    // message.
    let (url, (tx, rx)) = (nats.url.clone(), std::sync::mpsc::channel::<Value>());
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let listener = std::thread::spawn(move || {
        rt().block_on(async {
            let c = async_nats::connect(url.as_str()).await.unwrap();
            let mut sub = c.subscribe("raqib.verdicts").await.unwrap();
            c.flush().await.unwrap();
            ready_tx.send(()).unwrap();
            for _ in 0..4 {
                let m = tokio::time::timeout(Duration::from_secs(30), sub.next())
                    .await
                    .expect("a verdict within 30 s")
                    .unwrap();
                tx.send(serde_json::from_slice(&m.payload).unwrap())
                    .unwrap();
            }
        })
    });
    ready_rx.recv().unwrap();
    let messages = [
        post("p1", PROPAGANDA).to_string(),
        "{not json".to_string(),
        json!({"posts": [
            post("p2", "Reuters: the group claimed the attack, officials said on Monday"),
            post("p3", "brothers and sisters, dinner is ready")
        ]})
        .to_string(),
        json!({"accounts": [{"id": "chan-1", "platform": "telegram", "handle": "example"}]})
            .to_string(),
        json!({"id": "p4", "platform": "telegram", "text": "hello", "colour": "blue"}).to_string(),
    ];
    publish(&nats.url, "posts.telegram", &messages);
    drained(&nats.url);
    listener.join().unwrap();
    let mut keys: Vec<String> = rx
        .try_iter()
        .map(|v| v["key"].as_str().unwrap().to_string())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "account:telegram:chan-1",
            "post:telegram:p1",
            "post:telegram:p2",
            "post:telegram:p3"
        ]
    );

    // Stored, scored and under the policy as an API submission is: the propaganda-style
    // post queued with its evidence, the news and the chatter not.
    let (st, v) = srv.req("GET", "/api/v1/items/post:telegram:p1", Some(&adm), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (
            v["flagged"].as_bool(),
            v["action"].as_str(),
            v["place"].as_str()
        ),
        (Some(true), Some("queue"), Some("Example Channel")),
        "{v}"
    );
    let spans = v["body"]["verdict"]["signals"][0]["evidence"]["spans"]
        .as_array()
        .unwrap();
    assert!(!spans.is_empty(), "{v}");
    for k in ["post:telegram:p2", "post:telegram:p3"] {
        let (st, v) = srv.req("GET", &format!("/api/v1/items/{k}"), Some(&adm), None);
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["flagged"], false, "{v}");
    }
    let (st, _) = srv.req("GET", "/api/v1/items/post:telegram:p4", Some(&adm), None);
    assert_eq!(st, 404, "a message with an unknown field is refused whole");
    let (st, h) = srv.req("GET", "/health", None, None);
    assert_eq!(st, 200, "{h}");
    assert_eq!(h["stream"]["connection"], "connected", "{h}");
    assert!(
        h["stream"]["source"]
            .as_str()
            .is_some_and(|s| s.contains("stream POSTS") && s.contains("consumer raqib")),
        "{h}"
    );
    let (_, m) = srv.req("GET", "/metrics", None, None);
    let m = m.as_str().unwrap();
    assert!(
        m.contains("\nraqib_stream_pending_messages 0\n")
            && m.contains("\nraqib_stream_unacknowledged_messages 0\n"),
        "{m}"
    );
    assert_eq!(metric(&srv, &adm, "stored"), 3);
    assert_eq!(metric(&srv, &adm, "refused"), 2);

    // Each refused message is named by its stream sequence, with why.
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("NATS stream POSTS message 2 (posts.telegram): body is not valid JSON"),
        "{log}"
    );
    assert!(
        log.contains("message 5 (posts.telegram)") && log.contains("colour"),
        "{log}"
    );
}

#[test]
fn kill_9_while_reading_a_stream_loses_nothing_and_stores_nothing_twice() {
    let Some(nats) = start_nats() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let adm = token(&data, None, "admin", "admin");
    let args = [
        "--nats",
        nats.url.as_str(),
        "--nats-batch",
        "20",
        "--nats-ack-wait",
        "1",
    ];
    let n = 20_000;
    let messages: Vec<String> = (0..n)
        .map(|i| post(&format!("m{i}"), &format!("message number {i} of the day")).to_string())
        .collect();
    // The first server creates the stream; it reads as the messages come.
    let mut srv = Server::start(&data, &args);
    publish(&nats.url, "posts.x", &messages);
    let items = |s: &Server| -> u64 {
        let (st, v) = s.req("GET", "/health", Some(&adm), None);
        assert_eq!(st, 200, "{v}");
        v["counts"]["items"].as_u64().unwrap()
    };
    // Killed three times mid-stream, each time after it stored more: any message
    // acknowledged before its items were durable would be lost by one of the kills.
    let mut stored = 0;
    for _ in 0..3 {
        let started = Instant::now();
        while items(&srv) <= stored {
            assert!(started.elapsed() < Duration::from_secs(30), "nothing read");
            std::thread::sleep(Duration::from_millis(2));
        }
        srv.kill9();
        let (pending, unacked) = consumer_state(&nats.url, "POSTS", "raqib");
        assert!(
            pending + unacked as u64 > 0,
            "killed after the stream was read"
        );
        stored = items(&Server::start(&data, &[]));
        assert!(stored < n, "{stored}");
        srv = Server::start(&data, &args);
    }
    drained(&nats.url);
    assert_eq!(items(&srv), n, "every message stored once");
}

/// The NATS server goes away mid-run (SIGKILL) and comes back: the client reconnects, the
/// log says so, and what is published after is read as before, nothing lost or stored
/// twice.
#[test]
fn reading_goes_on_after_the_nats_server_restarts() {
    let Some(mut nats) = start_nats() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("serve.log");
    let srv = Server::start_logged(&data, &["--nats", &nats.url, "--nats-ack-wait", "1"], &log);
    let batch = |from: usize| -> Vec<String> {
        (from..from + 10)
            .map(|i| post(&format!("q{i}"), &format!("note {i}")).to_string())
            .collect()
    };
    publish(&nats.url, "posts.x", &batch(0));
    drained(&nats.url);
    nats.restart();
    publish(&nats.url, "posts.x", &batch(10));
    drained(&nats.url);
    let started = Instant::now();
    let health = loop {
        let (_, h) = srv.req("GET", "/health", None, None);
        if h["counts"]["items"] == 20 && h["stream"]["connection"] == "connected" {
            break h;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{h}");
        std::thread::sleep(Duration::from_millis(50));
    };
    // A server killed before it wrote the consumer's last acknowledgements down delivers
    // those messages again: read again, not stored again.
    assert!(metric(&srv, "", "stored") >= 20, "{health}");
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("disconnected; reconnecting"), "{log}");
}

/// Where a stream keeps the verdicts subject, the verdicts are stored in it, one per item:
/// a post sent twice (a repeat the store does not keep again) publishes its verdict once.
#[test]
fn verdicts_go_to_a_stream_that_keeps_them_once_per_item() {
    let Some(nats) = start_nats() else { return };
    let dir = tempfile::tempdir().unwrap();
    let kept: Vec<Value> = {
        rt().block_on(async {
            let js = jetstream::new(async_nats::connect(nats.url.as_str()).await.unwrap());
            js.create_stream(jetstream::stream::Config {
                name: "VERDICTS".into(),
                subjects: vec!["raqib.verdicts".into()],
                ..Default::default()
            })
            .await
            .unwrap();
        });
        let log = dir.path().join("serve.log");
        let srv = Server::start_logged(
            &dir.path().join("data"),
            &["--nats", &nats.url, "--nats-verdicts", "raqib.verdicts"],
            &log,
        );
        let messages = [
            post("v1", PROPAGANDA).to_string(),
            post("v2", "the weather is fine today").to_string(),
            post("v1", PROPAGANDA).to_string(),
        ];
        publish(&nats.url, "posts.x", &messages);
        drained(&nats.url);
        assert_eq!(metric(&srv, "", "stored"), 3);
        let log = std::fs::read_to_string(&log).unwrap();
        assert!(
            log.contains("verdicts to raqib.verdicts (kept by a stream)"),
            "{log}"
        );
        rt().block_on(async {
            let js = jetstream::new(async_nats::connect(nats.url.as_str()).await.unwrap());
            let mut st = js.get_stream("VERDICTS").await.unwrap();
            let count = st.info().await.unwrap().state.messages;
            let mut out = Vec::new();
            for seq in 1..=count {
                let m = st.get_raw_message(seq).await.unwrap();
                out.push(serde_json::from_slice(&m.payload).unwrap());
            }
            out
        })
    };
    let keys: Vec<&str> = kept.iter().map(|v| v["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["post:telegram:v1", "post:telegram:v2"], "{kept:?}");
    assert_eq!(kept[0]["flagged"], true);
    assert_eq!(kept[0]["duplicate"], false);
}

/// Two servers on one consumer and one PostgreSQL store share the stream: each message
/// goes to one of them, both take part, every post is stored once.
#[test]
fn two_servers_on_one_consumer_share_the_stream() {
    let Some(nats) = start_nats() else { return };
    let Some(pg) = fresh_pg("raqib_test_serve_nats_shared") else {
        return;
    };
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let args = ["--store", &pg, "--nats", &nats.url, "--nats-batch", "50"];
    let a = Server::start(&dirs[0].path().join("data"), &args);
    let b = Server::start(&dirs[1].path().join("data"), &args);
    let n = 4000;
    let messages: Vec<String> = (0..n)
        .map(|i| post(&format!("s{i}"), &format!("update number {i}")).to_string())
        .collect();
    publish(&nats.url, "posts.x", &messages);
    drained(&nats.url);
    let (sa, sb) = (metric(&a, "", "stored"), metric(&b, "", "stored"));
    assert_eq!(sa + sb, n, "{sa} + {sb}");
    assert!(sa > 0 && sb > 0, "both servers read: {sa} and {sb}");
    let (_, h) = a.req("GET", "/health", None, None);
    assert_eq!(h["counts"]["items"], n, "{h}");
}

/// The store refuses writes for a while (PostgreSQL without the right to insert): the
/// messages are handed back, nothing is acknowledged, and once the store takes writes
/// again every post is stored.
#[test]
fn messages_the_store_cannot_take_are_delivered_again_and_stored_later() {
    let Some(nats) = start_nats() else { return };
    let Some(pg) = fresh_pg("raqib_test_serve_nats_nak") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("serve.log");
    let srv = Server::start_logged(
        &data,
        &["--store", &pg, "--nats", &nats.url, "--nats-ack-wait", "1"],
        &log,
    );
    let mut db = postgres::Client::connect(&pg, postgres::NoTls).unwrap();
    db.batch_execute("REVOKE INSERT ON raqib_items FROM CURRENT_USER")
        .unwrap();
    let messages: Vec<String> = (0..5)
        .map(|i| post(&format!("r{i}"), "brothers and sisters, dinner is ready").to_string())
        .collect();
    publish(&nats.url, "posts.x", &messages);
    let started = Instant::now();
    while metric(&srv, "", "retried") < 5 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never retried: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (_, h) = srv.req("GET", "/health", None, None);
    assert_eq!(h["counts"]["items"], 0, "{h}");
    assert_ne!(
        consumer_state(&nats.url, "POSTS", "raqib"),
        (0, 0),
        "nothing acknowledged while the store refuses"
    );
    db.batch_execute("GRANT INSERT ON raqib_items TO CURRENT_USER")
        .unwrap();
    drained(&nats.url);
    let (_, h) = srv.req("GET", "/health", None, None);
    assert_eq!(h["counts"]["items"], 5, "{h}");
    assert_eq!(metric(&srv, "", "stored"), 5);
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("they will be delivered again"), "{log}");
}

#[test]
fn a_nats_server_that_cannot_be_reached_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let o = Command::new(env!("CARGO_BIN_EXE_raqib"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .args(["--nats", &format!("nats://user:s3cret@127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("cannot reach NATS at nats://***@127.0.0.1:{port}"))
            && err.contains("nats-server"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
}

/// An account read from the stream again with another profile is a new version of it, as
/// through the API: scored and decided again, with the profile it had kept.
#[test]
fn an_account_from_the_stream_with_a_changed_profile_is_scored_again() {
    let Some(nats) = start_nats() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let adm = token(&data, None, "admin", "admin");
    let srv = Server::start(&data, &["--nats", &nats.url]);
    let account = |bio: &str| {
        json!({"accounts": [{"id": "chan-9", "platform": "telegram", "handle": "kitchen", "bio": bio}]})
            .to_string()
    };
    publish(&nats.url, "posts.telegram", &[account("recipes")]);
    drained(&nats.url);
    publish(&nats.url, "posts.telegram", &[account(PROPAGANDA)]);
    drained(&nats.url);
    let (st, item) = srv.req(
        "GET",
        "/api/v1/items/account:telegram:chan-9",
        Some(&adm),
        None,
    );
    assert_eq!(st, 200, "{item}");
    assert_eq!(
        (&item["flagged"], &item["state"]),
        (&json!(true), &json!("open")),
        "{item}"
    );
    assert_eq!(item["body"]["submitted"]["bio"], PROPAGANDA);
    assert_eq!(
        item["body"]["previous"][0]["submitted"]["bio"], "recipes",
        "{item}"
    );
}
