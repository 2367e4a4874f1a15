//! The linking benchmark: generate return behaviour, build the suspended index, link every
//! query, report quality (precision, recall, ROC-AUC, profile-only share, decoys linked)
//! and speed (index build, linking, peak memory) as JSON.
//!
//! ```text
//! cargo run --release -p raqib-link --example link_bench -- [--suspended N] [--others N]
//!     [--seed S] [--threads T] [--fit] [--queries N] [--dump DIR] [--speed-only]
//!     [--base FILE]
//! ```
//! `--fit` fits the model's weights on this benchmark and prints them (use a different
//! `--seed` to measure them). `--queries N` links only the first N queries (speed runs).
//! `--dump DIR` writes `bios.jsonl` and `queries.jsonl` for the datasketch comparison.
//! `--base FILE` draws the benchmark from your accounts (any input raqib reads, posts
//! included) instead of synthetic ones.

use std::io::Write;
use std::time::Instant;

use raqib_link::eval::{evaluate, fingerprints, fit};
use raqib_link::gen::{generate, synthetic_base, synthetic_base_from, GenConfig, Subject, Truth};
use raqib_link::SuspendedIndex;

/// Accounts and their posts from any input raqib reads, in the order the accounts appear.
fn read_base(path: &str) -> Vec<Subject> {
    let records = raqib_ingest::read_all(path, &Default::default()).expect("readable --base file");
    let mut order: Vec<Subject> = Vec::new();
    let mut at: std::collections::HashMap<(String, String), usize> = Default::default();
    let mut posts: Vec<raqib_model::Post> = Vec::new();
    for r in records.into_iter().flatten() {
        match r {
            raqib_model::Record::Account(a) => {
                at.entry((a.platform.clone(), a.id.clone()))
                    .or_insert_with(|| {
                        order.push(Subject {
                            account: *a,
                            posts: Vec::new(),
                        });
                        order.len() - 1
                    });
            }
            raqib_model::Record::Post(p) => posts.push(*p),
        }
    }
    for p in posts {
        if let Some(&i) = at.get(&(p.platform.clone(), p.account.clone())) {
            order[i].posts.push(p);
        }
    }
    eprintln!("--base {path}: {} accounts", order.len());
    order
}

/// A memory figure from /proc/self/status in MiB (`VmHWM` peak, `VmRSS` now).
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

fn rss_mb() -> f64 {
    status_mb("VmRSS:")
}

/// Fingerprint the queries, link each to its best suspended account, and count links at
/// `threshold`: (fingerprints, fingerprint seconds, link seconds, linked).
fn timed_links(
    idx: &SuspendedIndex,
    qs: &[&Subject],
    threads: usize,
    threshold: f32,
) -> (Vec<raqib_link::Fingerprint>, f64, f64, usize) {
    let t = Instant::now();
    let qf = fingerprints(qs, true, threads);
    let q_fp_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let links = raqib_link::eval::best_links(idx, &qf, threads);
    let link_s = t.elapsed().as_secs_f64();
    let linked = links
        .iter()
        .filter(|l| l.as_ref().is_some_and(|l| l.1 >= threshold))
        .count();
    (qf, q_fp_s, link_s, linked)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |name: &str, d: usize| -> usize {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(d, |v| v.parse().expect("a number"))
    };
    let suspended = get("--suspended", 2000);
    let others = get("--others", suspended);
    let seed = get("--seed", 7) as u64;
    let threads = get("--threads", 2);
    let queries_limit = get("--queries", usize::MAX);
    let do_fit = args.iter().any(|a| a == "--fit");
    let dump = args
        .iter()
        .position(|a| a == "--dump")
        .map(|i| args[i + 1].clone());

    if args.iter().any(|a| a == "--speed-only") {
        let store = args
            .iter()
            .position(|a| a == "--store")
            .map(|i| args[i + 1].clone());
        speed(
            suspended,
            queries_limit.min(1_000_000),
            seed,
            threads,
            store,
        );
        return;
    }
    let t = Instant::now();
    // `--base FILE`: your own accounts (with their posts) instead of synthetic ones; the
    // first --suspended of them are suspended, the rest are unrelated accounts and decoys.
    let base = match args.iter().position(|a| a == "--base") {
        Some(i) => read_base(&args[i + 1]),
        None => synthetic_base(suspended + others, seed),
    };
    let cfg = GenConfig {
        seed,
        suspended,
        ..Default::default()
    };
    let mut bench = generate(base, &cfg);
    bench.queries.truncate(queries_limit);
    let gen_s = t.elapsed().as_secs_f64();

    let rss_before = rss_mb();
    let t = Instant::now();
    let subs: Vec<&Subject> = bench.suspended.iter().collect();
    let fps = fingerprints(&subs, true, threads);
    let fingerprint_s = t.elapsed().as_secs_f64();
    if let Some(dir) = &dump {
        std::fs::create_dir_all(dir).expect("dump dir");
        let mut f =
            std::io::BufWriter::new(std::fs::File::create(format!("{dir}/bios.jsonl")).unwrap());
        for s in &bench.suspended {
            serde_json::to_writer(
                &mut f,
                &serde_json::json!({"id": s.account.id, "bio": s.account.bio}),
            )
            .unwrap();
            f.write_all(b"\n").unwrap();
        }
        let mut f =
            std::io::BufWriter::new(std::fs::File::create(format!("{dir}/queries.jsonl")).unwrap());
        for (q, _) in &bench.queries {
            serde_json::to_writer(
                &mut f,
                &serde_json::json!({"id": q.account.id, "bio": q.account.bio}),
            )
            .unwrap();
            f.write_all(b"\n").unwrap();
        }
    }
    let t = Instant::now();
    let mut idx = SuspendedIndex::build(fps, threads);
    let build_s = t.elapsed().as_secs_f64();
    let index_rss = rss_mb() - rss_before;

    if do_fit {
        let qs: Vec<&Subject> = bench.queries.iter().map(|q| &q.0).collect();
        let mut pairs = Vec::new();
        for with_posts in [true, false] {
            let qf = fingerprints(&qs, with_posts, threads);
            for (q, (_, truth)) in qf.iter().zip(&bench.queries) {
                for (i, f) in idx.candidate_features(q) {
                    let y = matches!(truth, Truth::Returning(id) if **id == *idx.fingerprint(i).id);
                    pairs.push((f, y));
                }
            }
        }
        let w = fit(&pairs, 3000);
        eprintln!(
            "fitted on {} pairs: bias {:.2} weights {:?}",
            pairs.len(),
            w.bias,
            w.w.iter()
                .map(|x| (x * 100.0).round() / 100.0)
                .collect::<Vec<_>>()
        );
        idx.set_weights(w);
    }

    let qs: Vec<&Subject> = bench.queries.iter().map(|q| &q.0).collect();
    let (qf, q_fp_s, link_s, linked) = timed_links(&idx, &qs, threads, 0.5);

    if args.iter().any(|a| a == "--debug") {
        let mut shown = 0;
        for (q, (sub, truth)) in qf.iter().zip(&bench.queries) {
            if *truth != Truth::Other || shown >= 10 {
                continue;
            }
            if let Some(l) = idx.link(q, 0.9, 1).into_iter().next() {
                shown += 1;
                let c = idx.get(&l.platform, &l.id).unwrap();
                eprintln!(
                    "{truth:?} {:?} / {:?} / {:?}\n  -> {} {:?} / {:?}  {:.3} {:?}",
                    q.handle,
                    q.display_name,
                    sub.account.bio,
                    c.handle,
                    c.display_name,
                    bench
                        .suspended
                        .iter()
                        .find(|s| *s.account.id == *c.id)
                        .and_then(|s| s.account.bio.clone()),
                    l.score,
                    l.reasons
                        .iter()
                        .map(|r| format!("{} {:.2}", r.text, r.weight))
                        .collect::<Vec<_>>()
                );
            }
        }
    }
    let report = evaluate(&bench, &idx, &[0.3, 0.5, 0.7, 0.8, 0.9, 0.95], threads);
    let out = serde_json::json!({
        "seed": seed,
        "threads": threads,
        "generate_s": gen_s,
        "suspended_fingerprint_s": fingerprint_s,
        "index_build_s": build_s,
        "index_total_s": fingerprint_s + build_s,
        "queries": qf.len(),
        "query_fingerprint_s": q_fp_s,
        "link_s": link_s,
        "link_total_s": q_fp_s + link_s,
        "linked_at_0.5": linked,
        "peak_rss_mb": peak_rss_mb(),
        "index_rss_mb": index_rss,
        "quality": report,
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}

/// Scale run: a population made in batches of 50,000 (so the generator's own data stays
/// small), `suspended` fingerprints indexed, then `queries` returning accounts and decoys
/// fingerprinted and linked from their raw accounts and posts.
fn speed(suspended: usize, queries: usize, seed: u64, threads: usize, store: Option<String>) {
    const BATCH: usize = 50_000;
    let rss0 = rss_mb();
    // With `--store DIR` holding a suspended index from an earlier run, open it the way
    // `raqib link` does (a fresh process, so the figures are the index's own), and only
    // generate the queries.
    if let Some(dir) = store
        .as_deref()
        .filter(|d| std::path::Path::new(d).join("suspended.jsonl").exists())
    {
        let t = Instant::now();
        let st = raqib_link::store::SuspendedStore::open(std::path::Path::new(dir), false, threads)
            .expect("open store");
        let open_s = t.elapsed().as_secs_f64();
        let rss_idx = rss_mb();
        let mut qsubs: Vec<Subject> = Vec::new();
        let mut start = 0;
        while qsubs.len() < queries {
            let cfg = GenConfig {
                seed: seed ^ start as u64,
                suspended: BATCH,
                ..Default::default()
            };
            let bench = generate(
                synthetic_base_from(start * 2, BATCH + BATCH / 2, seed),
                &cfg,
            );
            let want = queries - qsubs.len();
            qsubs.extend(bench.queries.into_iter().take(want).map(|q| q.0));
            start += BATCH;
        }
        let qs: Vec<&Subject> = qsubs.iter().collect();
        let (qf, q_fp_s, link_s, linked) = timed_links(&st.index, &qs, threads, 0.8);
        let out = serde_json::json!({
            "suspended": st.index.len(),
            "queries": qf.len(),
            "threads": threads,
            "store_open_s": open_s,
            "rss_after_open_mb": rss_idx - rss0,
            "query_fingerprint_s": q_fp_s,
            "link_s": link_s,
            "link_total_s": q_fp_s + link_s,
            "linked_at_0.8": linked,
            "peak_rss_mb": peak_rss_mb(),
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap());
        return;
    }
    let mut fps = Vec::with_capacity(suspended);
    let mut qsubs: Vec<Subject> = Vec::new();
    let mut gen_s = 0.0;
    let mut fp_s = 0.0;
    let mut start = 0;
    while start < suspended {
        let n = BATCH.min(suspended - start);
        let t = Instant::now();
        let cfg = GenConfig {
            seed: seed ^ start as u64,
            suspended: n,
            ..Default::default()
        };
        // Half as many unrelated accounts again: material for decoys.
        let bench = generate(synthetic_base_from(start * 2, n + n / 2, seed), &cfg);
        gen_s += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let subs: Vec<&Subject> = bench.suspended.iter().collect();
        fps.extend(fingerprints(&subs, true, threads));
        fp_s += t.elapsed().as_secs_f64();
        if qsubs.len() < queries {
            let want = queries - qsubs.len();
            qsubs.extend(bench.queries.into_iter().take(want).map(|q| q.0));
        }
        start += n;
    }
    let rss_fps = rss_mb();
    if let Some(dir) = &store {
        let mut st =
            raqib_link::store::SuspendedStore::open(std::path::Path::new(dir), true, threads)
                .expect("store");
        st.add(fps.clone(), 0).expect("write store");
    }
    let t = Instant::now();
    let idx = SuspendedIndex::build(fps, threads);
    let build_s = t.elapsed().as_secs_f64();
    let rss_idx = rss_mb();
    let qs: Vec<&Subject> = qsubs.iter().collect();
    let (qf, q_fp_s, link_s, linked) = timed_links(&idx, &qs, threads, 0.8);
    let out = serde_json::json!({
        "suspended": idx.len(),
        "queries": qf.len(),
        "threads": threads,
        "generate_s": gen_s,
        "suspended_fingerprint_s": fp_s,
        "index_build_s": build_s,
        "index_total_s": fp_s + build_s,
        "query_fingerprint_s": q_fp_s,
        "link_s": link_s,
        "link_total_s": q_fp_s + link_s,
        "linked_at_0.8": linked,
        "rss_start_mb": rss0,
        "rss_with_fingerprints_mb": rss_fps,
        "rss_with_index_mb": rss_idx,
        "peak_rss_mb": peak_rss_mb(),
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
