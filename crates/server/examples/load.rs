//! Load generator for `raqib serve` (docs/benchmarks.md, "Service").
//!
//! ```text
//! load batch  --url http://127.0.0.1:8080 --token T [--posts 1000000] [--batch 1000] [--conns 4]
//! load single --url http://127.0.0.1:8080 --token T [--rate 2000] [--seconds 30] [--conns 16]
//! ```
//!
//! Every post has a fresh id, so every request stores something (no duplicate short-cuts).
//! Texts cycle through the project's own corpus (`corpus/starter.jsonl`, about a third of it
//! propaganda-style; `--propaganda-share 0.45` gives the mix of the documented corpus-mix
//! figures, measured when it was 45%); `--propaganda-share 0.05` mixes 5% propaganda-style posts with hard
//! negatives and chatter instead, nearer to a platform's real traffic.
//!
//! ```text
//! load nats-publish --nats nats://127.0.0.1:4222 [--posts 500000] [--per-message 1]
//! load nats-wait    --nats nats://127.0.0.1:4222 --expect N [--consumer raqib]
//! load nats-floor   --nats nats://127.0.0.1:4222 --expect N [--batch 1000]
//! ```
//!
//! `nats-publish` puts posts on the stream `POSTS` (subject `posts.bench`, created when
//! missing), `--per-message` posts a message (1: a post as its own message; more: `{"posts":
//! [...]}`); `nats-wait` waits until `raqib serve --nats` has read and acknowledged them all
//! and says how long that took from its start; `nats-floor` reads and acknowledges them
//! with a consumer of its own that does nothing else: what the transport costs alone.
//!
//! `single` is open-loop: requests are due at a fixed rate and each latency is measured
//! from when it was due, not when it was sent, so a stalled server is not hidden
//! (coordinated omission corrected, as wrk2 and oha's `--latency-correction` do).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

struct Conn {
    r: BufReader<TcpStream>,
    host: String,
}

impl Conn {
    fn open(url: &str) -> Conn {
        let host = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let s = TcpStream::connect(&host).expect("connect to the server");
        s.set_nodelay(true).unwrap();
        Conn {
            r: BufReader::new(s),
            host,
        }
    }

    /// POST and read the whole response; the status.
    fn post(&mut self, path: &str, token: &str, body: &[u8]) -> u16 {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let s = self.r.get_mut();
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut line = String::new();
        self.r.read_line(&mut line).unwrap();
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|x| x.parse().ok())
            .unwrap_or(0);
        let mut len = 0usize;
        loop {
            line.clear();
            self.r.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut buf = vec![0u8; len];
        self.r.read_exact(&mut buf).unwrap();
        status
    }
}

/// Texts from the corpus; with `share` (0–1), a mix in which that share is
/// propaganda-style (label 1) and the rest hard negatives and chatter.
fn texts(share: Option<f64>) -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus/starter.jsonl");
    let all: Vec<(String, bool)> = std::fs::read_to_string(path)
        .expect("corpus/starter.jsonl")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let label = v["label"]
                .as_bool()
                .unwrap_or(v["label"].as_i64() == Some(1));
            v["text"].as_str().map(|t| (t.to_string(), label))
        })
        .collect();
    assert!(!all.is_empty());
    let Some(share) = share else {
        return all.into_iter().map(|(t, _)| t).collect();
    };
    let pos: Vec<&String> = all.iter().filter(|x| x.1).map(|x| &x.0).collect();
    let neg: Vec<&String> = all.iter().filter(|x| !x.1).map(|x| &x.0).collect();
    // 1,000 texts with round(share × 1000) positives, spread evenly.
    let n_pos = (share * 1000.0).round() as usize;
    (0..1000)
        .map(|i| {
            if (i * n_pos) / 1000 != ((i + 1) * n_pos) / 1000 {
                pos[i % pos.len()].clone()
            } else {
                neg[i % neg.len()].clone()
            }
        })
        .collect()
}

/// Post number `n`: its own account (one of 50,000), time (2,000 posts a second of post
/// time) and text (a corpus text with the post's number, so texts are not repeated word for
/// word by many accounts within a minute, which would be coordination).
fn post_json(id: &str, n: u64, text: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "platform": "bench",
        "account": format!("a{}", n.wrapping_mul(2_654_435_761) % 50_000),
        "text": format!("{text} {n}"),
        "created_at": 1_790_000_000 + (n / 2000) as i64,
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).cloned().unwrap_or_default();
    let url = arg(&args, "--url", "http://127.0.0.1:8080");
    let token = arg(&args, "--token", "");
    let run = arg(&args, "--run", &format!("{}", std::process::id()));
    let share = args
        .iter()
        .position(|a| a == "--propaganda-share")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse::<f64>().expect("--propaganda-share takes 0–1"));
    let texts = texts(share);
    match mode.as_str() {
        "batch" => {
            let posts: u64 = arg(&args, "--posts", "1000000").parse().unwrap();
            let batch: u64 = arg(&args, "--batch", "1000").parse().unwrap();
            let conns: u64 = arg(&args, "--conns", "4").parse().unwrap();
            let n_batches = posts.div_ceil(batch);
            // Bodies are built before the clock starts.
            let bodies: Vec<Vec<u8>> = (0..n_batches)
                .map(|b| {
                    let ps: Vec<_> = (0..batch)
                        .map(|i| {
                            let n = b * batch + i;
                            post_json(&format!("{run}-{n}"), n, &texts[n as usize % texts.len()])
                        })
                        .collect();
                    serde_json::to_vec(&serde_json::json!({ "posts": ps })).unwrap()
                })
                .collect();
            let bytes: usize = bodies.iter().map(Vec::len).sum();
            let bodies = Arc::new(bodies);
            let next = Arc::new(AtomicU64::new(0));
            let t0 = Instant::now();
            let hs: Vec<_> = (0..conns)
                .map(|_| {
                    let (bodies, next, url, token) =
                        (bodies.clone(), next.clone(), url.clone(), token.clone());
                    std::thread::spawn(move || {
                        let mut c = Conn::open(&url);
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                            let Some(b) = bodies.get(i) else { break };
                            let st = c.post("/api/v1/posts/batch", &token, b);
                            assert_eq!(st, 200, "batch {i} answered {st}");
                        }
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
            let s = t0.elapsed().as_secs_f64();
            println!(
                "batch: {posts} posts in {n_batches} requests of {batch}, {conns} connections: {s:.2} s, {:.0} posts/s, {:.1} MB/s of JSON",
                posts as f64 / s,
                bytes as f64 / s / 1e6
            );
        }
        "single" => {
            let rate: f64 = arg(&args, "--rate", "2000").parse().unwrap();
            let seconds: f64 = arg(&args, "--seconds", "30").parse().unwrap();
            let conns: usize = arg(&args, "--conns", "16").parse().unwrap();
            let total = (rate * seconds) as u64;
            let interval = Duration::from_secs_f64(1.0 / rate);
            let next = Arc::new(AtomicU64::new(0));
            let lat = Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
            let errors = Arc::new(AtomicU64::new(0));
            let texts = Arc::new(texts);
            let t0 = Instant::now() + Duration::from_millis(200);
            let hs: Vec<_> = (0..conns)
                .map(|_| {
                    let (next, lat, errors, texts, url, token, run) = (
                        next.clone(),
                        lat.clone(),
                        errors.clone(),
                        texts.clone(),
                        url.clone(),
                        token.clone(),
                        run.clone(),
                    );
                    std::thread::spawn(move || {
                        let mut c = Conn::open(&url);
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= total {
                                break;
                            }
                            let due = t0 + interval * i as u32;
                            let now = Instant::now();
                            if due > now {
                                std::thread::sleep(due - now);
                            }
                            let body = serde_json::to_vec(&post_json(
                                &format!("{run}-s{i}"),
                                i,
                                &texts[i as usize % texts.len()],
                            ))
                            .unwrap();
                            let st = c.post("/api/v1/posts", &token, &body);
                            if st != 201 {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                            mine.push(due.elapsed());
                        }
                        lat.lock().unwrap().extend(mine);
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
            let wall = t0.elapsed().as_secs_f64();
            let mut l = lat.lock().unwrap().clone();
            l.sort();
            let p = |q: f64| {
                l[((q * l.len() as f64).ceil() as usize).clamp(1, l.len()) - 1].as_secs_f64() * 1e3
            };
            println!(
                "single: {} requests at {rate:.0}/s target ({:.0}/s achieved), {conns} connections, {} errors; latency from due time: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
                l.len(),
                l.len() as f64 / wall,
                errors.load(Ordering::Relaxed),
                p(0.5),
                p(0.9),
                p(0.99),
                p(0.999),
                l.last().unwrap().as_secs_f64() * 1e3
            );
        }
        "nats-publish" | "nats-wait" | "nats-floor" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(nats(&mode, &args, &run, &texts));
        }
        _ => {
            eprintln!(
                "usage: load batch|single|nats-publish|nats-wait|nats-floor [options]; see the file's header"
            );
            std::process::exit(2);
        }
    }
}

async fn nats(mode: &str, args: &[String], run: &str, texts: &[String]) {
    use async_nats::jetstream::{self, consumer::pull, consumer::AckPolicy};
    use futures_util::StreamExt;
    let url = arg(args, "--nats", "nats://127.0.0.1:4222");
    let js = jetstream::new(async_nats::connect(url.as_str()).await.expect("NATS"));
    let stream = js
        .get_or_create_stream(jetstream::stream::Config {
            name: "POSTS".into(),
            subjects: vec!["posts.>".into()],
            ..Default::default()
        })
        .await
        .expect("the stream POSTS");
    let t0 = Instant::now();
    match mode {
        "nats-publish" => {
            let posts: u64 = arg(args, "--posts", "500000").parse().unwrap();
            let per: u64 = arg(args, "--per-message", "1").parse().unwrap();
            let bodies: Vec<Vec<u8>> = (0..posts.div_ceil(per))
                .map(|m| {
                    let ps: Vec<_> = (m * per..((m + 1) * per).min(posts))
                        .map(|n| {
                            post_json(&format!("{run}-{n}"), n, &texts[n as usize % texts.len()])
                        })
                        .collect();
                    if per == 1 {
                        serde_json::to_vec(&ps[0]).unwrap()
                    } else {
                        serde_json::to_vec(&serde_json::json!({ "posts": ps })).unwrap()
                    }
                })
                .collect();
            let t0 = Instant::now();
            for window in bodies.chunks(1000) {
                let mut acks = Vec::with_capacity(window.len());
                for b in window {
                    acks.push(js.publish("posts.bench", b.clone().into()).await.unwrap());
                }
                for a in acks {
                    a.await.expect("the stream keeps the message");
                }
            }
            let s = t0.elapsed().as_secs_f64();
            println!(
                "nats-publish: {posts} posts in {} messages: {s:.2} s, {:.0} posts/s",
                bodies.len(),
                posts as f64 / s
            );
        }
        "nats-wait" => {
            let expect: u64 = arg(args, "--expect", "0").parse().unwrap();
            let name = arg(args, "--consumer", "raqib");
            loop {
                if let Ok(mut c) = stream.get_consumer::<pull::Config>(&name).await {
                    let i = c.info().await.unwrap();
                    if i.num_pending == 0
                        && i.num_ack_pending == 0
                        && i.ack_floor.stream_sequence >= expect
                    {
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            println!(
                "nats-wait: {expect} messages read and acknowledged in {:.2} s",
                t0.elapsed().as_secs_f64()
            );
        }
        _ => {
            let expect: u64 = arg(args, "--expect", "0").parse().unwrap();
            let batch: usize = arg(args, "--batch", "1000").parse().unwrap();
            let c = stream
                .create_consumer(pull::Config {
                    durable_name: Some(format!("floor-{run}")),
                    ack_policy: AckPolicy::Explicit,
                    max_ack_pending: (batch * 4) as i64,
                    ..Default::default()
                })
                .await
                .unwrap();
            let mut msgs = c
                .stream()
                .max_messages_per_batch(batch)
                .messages()
                .await
                .unwrap()
                .ready_chunks(batch);
            let mut n = 0;
            while n < expect {
                for m in msgs.next().await.unwrap() {
                    m.unwrap().ack().await.unwrap();
                    n += 1;
                }
            }
            println!(
                "nats-floor: {n} messages read and acknowledged in {:.2} s, {:.0} messages/s",
                t0.elapsed().as_secs_f64(),
                n as f64 / t0.elapsed().as_secs_f64()
            );
        }
    }
}
