#!/usr/bin/env python3
"""Coordination detection side by side: raqib networks against the
coordination-network-toolkit (PyPI) on the same posts, same window, same minimum edge
weight. Reports the time each takes, and whether they find the same edges (directed,
with the same weights) and the same clusters (connected components).

Usage (from the repository root, with the peers venv of docs/benchmarks.md):
  cargo run --release -p raqib-network --example flood_gen -- --posts 200000 --out target/flood
  target/peers/bin/python scripts/peer-network.py target/flood --kind url
  target/peers/bin/python scripts/peer-network.py target/flood --kind share

--kind url compares `raqib networks --kinds url` with the toolkit's co_link network;
--kind share compares `--kinds share` with co_retweet.
"""
import argparse
import csv
import json
import os
import sqlite3
import subprocess
import sys
import time


def components(edges):
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups = {}
    for x in parent:
        groups.setdefault(find(x), set()).add(x)
    return {frozenset(g) for g in groups.values()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", help="folder with posts.csv and posts.jsonl from flood_gen")
    ap.add_argument("--kind", choices=["url", "share"], default="url")
    ap.add_argument("--window", type=int, default=60)
    ap.add_argument("--min-weight", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--raqib", default="target/release/raqib")
    args = ap.parse_args()

    from coordination_network_toolkit.preprocess import preprocess_csv_files
    from coordination_network_toolkit.compute_networks import (
        compute_co_link_network,
        compute_co_retweet_parallel,
    )

    db = os.path.join(args.dir, f"toolkit-{args.kind}.db")
    if os.path.exists(db):
        os.remove(db)
    t = time.time()
    preprocess_csv_files(db, [os.path.join(args.dir, "posts.csv")])
    # The toolkit's CSV reader records an empty URL ('') for every message without one
    # (`"".split(" ") == [""]`), which would link every pair of accounts posting link-less
    # messages within the window. Drop those rows so both tools compare real links.
    con = sqlite3.connect(db)
    con.execute("delete from message_url where url = ''")
    con.commit()
    con.close()
    tk_pre = time.time() - t
    t = time.time()
    if args.kind == "url":
        compute_co_link_network(db, args.window, n_threads=args.threads, min_edge_weight=args.min_weight)
        table = "co_link_network"
    else:
        compute_co_retweet_parallel(db, args.window, n_threads=args.threads, min_edge_weight=args.min_weight)
        table = "co_retweet_network"
    tk_compute = time.time() - t
    con = sqlite3.connect(db)
    tk = {
        (a, b): w
        for a, b, w in con.execute(f"select user_1, user_2, weight from {table}")
        if a != b
    }

    out = os.path.join(args.dir, f"raqib-{args.kind}")
    t = time.time()
    subprocess.run(
        [args.raqib, "networks", os.path.join(args.dir, "posts.jsonl"), "--kinds", args.kind,
         "--window", str(args.window), "--min-weight", str(args.min_weight), "--min-size", "2",
         "--threads", str(args.threads), "--out", out, "--quiet"],
        check=True,
    )
    rq_time = time.time() - t
    rq = {}
    with open(os.path.join(out, "edges.csv")) as f:
        for row in csv.DictReader(f):
            rq[(row["user_1"], row["user_2"])] = int(row["weight"])

    same_edges = set(rq) == set(tk)
    same_weights = same_edges and all(rq[k] == tk[k] for k in rq)
    rq_c = components(rq.keys())
    tk_c = components(tk.keys())
    result = {
        "kind": args.kind,
        "posts_csv_rows": sum(1 for _ in open(os.path.join(args.dir, "posts.csv"))) - 1,
        "window_s": args.window,
        "min_edge_weight": args.min_weight,
        "threads": args.threads,
        "toolkit_preprocess_s": round(tk_pre, 2),
        "toolkit_compute_s": round(tk_compute, 2),
        "toolkit_total_s": round(tk_pre + tk_compute, 2),
        "raqib_total_s": round(rq_time, 2),
        "speedup_total": round((tk_pre + tk_compute) / rq_time, 1),
        "speedup_vs_compute_only": round(tk_compute / rq_time, 1),
        "edges_raqib": len(rq),
        "edges_toolkit": len(tk),
        "same_edges": same_edges,
        "same_weights": same_weights,
        "only_raqib": len(set(rq) - set(tk)),
        "only_toolkit": len(set(tk) - set(rq)),
        "clusters_raqib": len(rq_c),
        "clusters_toolkit": len(tk_c),
        "same_clusters": rq_c == tk_c,
    }
    print(json.dumps(result, indent=2))
    return 0 if same_weights and rq_c == tk_c else 1


if __name__ == "__main__":
    sys.exit(main())
