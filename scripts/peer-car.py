#!/usr/bin/env python3
"""The peer for reading a Bluesky repository (CAR): the AT Protocol SDK's Rust-backed decoder,
PyPI `libipld` (`pip install atproto`), with the record keys rebuilt from the search tree's
nodes and each post's text taken, as a script that feeds a classifier would; no scoring.

usage: peer-car.py REPO.car"""
import sys, time, libipld
t = time.time()
data = open(sys.argv[1], "rb").read()
header, blocks = libipld.decode_car(data)
# Keys from the tree's nodes, then the posts' texts, as a script that feeds a classifier would.
keys = {}
for cid, v in blocks.items():
    if isinstance(v, dict) and "e" in v:
        prev = b""
        for e in v["e"]:
            k = prev[:e["p"]] + e["k"]
            keys[e["v"]] = k
            prev = k
posts = [(keys.get(cid), v["text"]) for cid, v in blocks.items()
         if isinstance(v, dict) and v.get("$type") == "app.bsky.feed.post"]
print(len(posts), "posts", round(time.time() - t, 2), "s", file=sys.stderr)
