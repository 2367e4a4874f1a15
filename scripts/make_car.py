#!/usr/bin/env python3
"""Write an AT Protocol repository as a CAR v1 file, as `com.atproto.sync.getRepo` gives
one: a signed commit (a dummy signature), a Merkle search tree of the records' keys, and
the records in DAG-CBOR. For raqib's tests and benchmarks; no third-party module needed.

usage: make_car.py OUT.car [N_POSTS] [--cut BYTES]

With N_POSTS (default: the fixture's three posts), that many synthetic posts are written,
under a two-level search tree. --cut drops the file's last BYTES bytes (a
download cut short).

Where the PyPI package `libipld` is installed, the file is decoded with it and checked (the
oracle: the AT Protocol SDK's own CAR decoder).
"""
import hashlib
import struct
import sys


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


class Link:
    def __init__(self, cid):
        self.cid = cid


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 256:
        return bytes([major << 5 | 24, n])
    if n < 65536:
        return bytes([major << 5 | 25]) + struct.pack(">H", n)
    if n < 2**32:
        return bytes([major << 5 | 26]) + struct.pack(">I", n)
    return bytes([major << 5 | 27]) + struct.pack(">Q", n)


def cbor(v):
    """DAG-CBOR: map keys sorted by length, then bytes."""
    if v is None:
        return b"\xf6"
    if v is True:
        return b"\xf5"
    if v is False:
        return b"\xf4"
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, Link):
        b = b"\x00" + v.cid
        return b"\xd8\x2a" + head(2, len(b)) + b
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: (len(k.encode()), k.encode()))
        return head(5, len(keys)) + b"".join(cbor(k) + cbor(v[k]) for k in keys)
    raise TypeError(type(v))


def cid_of(data, codec=0x71):
    return bytes([0x01, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()


HELLO_BLOB = bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(b"hello").digest()


def fixture_records():
    did = "did:plc:spreaderexample1"
    profile = {"$type": "app.bsky.actor.profile", "displayName": "Khilafah soldiers",
               "description": "Join the soldiers of the khilafah and spread the release",
               "createdAt": "2026-11-01T00:00:00.000Z"}
    posts = [
        ("3m1bpost0001", {"$type": "app.bsky.feed.post", "createdAt": "2026-11-29T10:00:00.000Z",
                          "langs": ["en"], "text": "Join the soldiers of the khilafah and spread the release"}),
        ("3m1cpost0002", {"$type": "app.bsky.feed.post", "createdAt": "2026-11-29T10:01:40.000Z",
                          "langs": ["en"], "text": "new",
                          "embed": {"$type": "app.bsky.embed.images", "images": [
                              {"alt": "", "image": {"$type": "blob", "ref": Link(HELLO_BLOB),
                                                    "mimeType": "image/jpeg", "size": 5}}]}}),
        ("3m1dpost0003", {"$type": "app.bsky.feed.post", "createdAt": "2026-11-29T10:03:20.000Z",
                          "langs": ["en"], "text": "Good morning, the weather is fine today",
                          "reply": {"root": {"uri": "at://did:plc:other/app.bsky.feed.post/1", "cid": "bafyrei"},
                                    "parent": {"uri": "at://did:plc:other/app.bsky.feed.post/1", "cid": "bafyrei"}}}),
    ]
    like = {"$type": "app.bsky.feed.like", "createdAt": "2026-11-29T10:04:00.000Z",
            "subject": {"uri": "at://did:plc:other/app.bsky.feed.post/1", "cid": "bafyrei"}}
    repost = {"$type": "app.bsky.feed.repost", "createdAt": "2026-11-29T10:05:00.000Z",
              "subject": {"uri": "at://did:plc:other/app.bsky.feed.post/2", "cid": "bafyrei"}}
    records = [("app.bsky.actor.profile/self", profile), ("app.bsky.feed.like/3m1elike0001", like),
               ("app.bsky.feed.repost/3m1frepost01", repost)]
    records += [("app.bsky.feed.post/" + k, r) for k, r in posts]
    return did, records


def synthetic_records(n):
    did = "did:plc:benchrepo0000000000001"
    texts = ["Join the soldiers of the khilafah and spread the release",
             "Good morning, the weather is fine today",
             "Court sentences a man who tried to join the group abroad"]
    records = [("app.bsky.actor.profile/self", {"$type": "app.bsky.actor.profile", "displayName": "Bench"})]
    for i in range(n):
        records.append(("app.bsky.feed.post/3m%010d" % i, {
            "$type": "app.bsky.feed.post", "createdAt": "2026-11-29T10:00:00.000Z",
            "langs": ["en"], "text": "%s %d" % (texts[i % 3], i)}))
    return did, records


def write(out, did, records, cut=0):
    blocks = []  # (cid, data)
    record_cids = {}
    for key, rec in records:
        data = cbor(rec)
        cid = cid_of(data)
        blocks.append((cid, data))
        record_cids[key] = cid
    keys = sorted(record_cids)

    def node(left, items):
        """A tree node: its left subtree, and entries (key, right subtree) prefix-compressed."""
        entries, prev = [], b""
        for k, right in items:
            kb = k.encode()
            p = 0
            while p < min(len(prev), len(kb)) and prev[p] == kb[p]:
                p += 1
            entries.append({"p": p, "k": kb[p:], "v": Link(record_cids[k]),
                            "t": Link(right) if right else None})
            prev = kb
        data = cbor({"l": Link(left) if left else None, "e": entries})
        cid = cid_of(data)
        blocks.append((cid, data))
        return cid

    # Up to 32 keys: one node. More: a root whose entries are every 33rd key, each with
    # the leaf of the 32 keys after it as its right subtree, the first 32 under `l`.
    if len(keys) <= 32:
        root = node(None, [(k, None) for k in keys])
    else:
        first = node(None, [(k, None) for k in keys[:32]])
        rest = keys[32:]
        items = []
        for i in range(0, len(rest), 33):
            g = rest[i:i + 33]
            leaf = node(None, [(k, None) for k in g[1:]]) if len(g) > 1 else None
            items.append((g[0], leaf))
        root = node(first, items)
    commit = {"did": did, "version": 3, "data": Link(root), "rev": "3m1zzzzzzzzzz", "prev": None,
              "sig": b"\x00" * 64}
    cdata = cbor(commit)
    ccid = cid_of(cdata)
    body = bytearray()
    hdr = cbor({"roots": [Link(ccid)], "version": 1})
    body += varint(len(hdr)) + hdr
    for cid, data in [(ccid, cdata)] + blocks:
        body += varint(len(cid) + len(data)) + cid + data
    if cut:
        body = body[:-cut]
    with open(out, "wb") as f:
        f.write(body)
    return bytes(body)


def main():
    args = sys.argv[1:]
    cut = 0
    if "--cut" in args:
        i = args.index("--cut")
        cut = int(args[i + 1])
        del args[i:i + 2]
    out = args[0]
    did, records = synthetic_records(int(args[1])) if len(args) > 1 else fixture_records()
    body = write(out, did, records, cut)
    try:
        import libipld
    except ImportError:
        return
    if cut:
        return
    header, blocks = libipld.decode_car(body)
    # Every record reachable: each key once in the tree's nodes.
    seen = []
    for v in blocks.values():
        if isinstance(v, dict) and "e" in v:
            prev = b""
            for e in v["e"]:
                k = prev[:e["p"]] + e["k"]
                seen.append(k)
                prev = k
    assert sorted(seen) == sorted(k.encode() for k, _ in records), (len(seen), len(records))
    root = header["roots"][0]
    print("checked with libipld:", len(blocks), "blocks; commit did", blocks[root]["did"], file=sys.stderr)


if __name__ == "__main__":
    main()
