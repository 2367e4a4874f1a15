#!/usr/bin/env python3
"""raqib's media signals side by side with the peers, in one run.

1. Hashing: raqib `hash` vs the `pdqhash` PyPI package (Meta's C++), both
   decoding the same image files (PIL for pdqhash), single-threaded.
2. Matching: raqib's index vs faiss-cpu's binary flat index and binary
   multi-hash index, on the same hashes and queries, radius 31 (faiss range
   search counts distances < radius, so it is given 32).

    target/peers/bin/pip install pdqhash faiss-cpu pillow numpy
    cargo build --release -p raqib-media --example index_bench
    target/peers/bin/python scripts/peer-media.py --n 10000000 --queries 20000

Prints the figures and the ratios as JSON lines.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def index_side_by_side(n, nq, nq_flat, workdir):
    import faiss
    faiss.omp_set_num_threads(os.cpu_count())
    bench = os.path.join(ROOT, "target", "release", "examples", "index_bench")
    out = run([bench, str(n), str(nq), workdir]).stdout
    raqib = json.loads(out)
    xb = np.fromfile(os.path.join(workdir, "hashes.bin"), dtype=np.uint8).reshape(-1, 32)
    xq = np.fromfile(os.path.join(workdir, "queries.bin"), dtype=np.uint8).reshape(-1, 32)
    res = {"n": n, "raqib": raqib}
    flat = faiss.IndexBinaryFlat(256)
    t = time.perf_counter()
    flat.add(xb)
    res["faiss_flat_build_s"] = time.perf_counter() - t
    q = xq[:nq_flat]
    t = time.perf_counter()
    lims, _, _ = flat.range_search(q, 32)
    dt = time.perf_counter() - t
    res["faiss_flat_queries"] = len(q)
    res["faiss_flat_queries_per_s"] = len(q) / dt
    res["faiss_flat_matches"] = int(lims[-1])
    # The same queries through raqib: matches must agree (recall 100%).
    del flat
    mh = faiss.IndexBinaryMultiHash(256, 8, 16)
    t = time.perf_counter()
    mh.add(xb)
    res["faiss_multihash_build_s"] = time.perf_counter() - t
    mh.nflip = 2
    t = time.perf_counter()
    lims2, _, _ = mh.range_search(q, 32)
    dt = time.perf_counter() - t
    res["faiss_multihash_queries_per_s"] = len(q) / dt
    res["faiss_multihash_matches_same_queries"] = int(lims2[-1])
    res["ratio_vs_faiss_flat"] = raqib["queries_per_s"] / res["faiss_flat_queries_per_s"]
    res["ratio_vs_faiss_multihash"] = raqib["queries_per_s"] / res["faiss_multihash_queries_per_s"]
    return res


def hashing_side_by_side(images, raqib_bin):
    import pdqhash
    from PIL import Image
    files = [os.path.join(images, f) for f in sorted(os.listdir(images))]
    files = [f for f in files if os.path.isfile(f) and not f.endswith(".jsonl")]
    t = time.perf_counter()
    for f in files:
        img = np.asarray(Image.open(f).convert("RGB"))
        pdqhash.compute(img)
    py = time.perf_counter() - t
    t = time.perf_counter()
    run([raqib_bin, "hash", "--threads", "1", "--out", os.devnull] + files)
    rq = time.perf_counter() - t
    return {"images": len(files), "pdqhash_images_per_s": len(files) / py, "raqib_images_per_s": len(files) / rq,
            "ratio": py / rq}


def robustness(raqib_bin, n, workdir):
    """Share of images whose PDQ stays within 31 bits of the original after each edit."""
    from PIL import Image, ImageDraw, ImageFilter, ImageEnhance
    rng = np.random.default_rng(7)
    edits = {
        "jpeg_q50": lambda im: im,  # saved as JPEG quality 50 below
        "resize_50pct": lambda im: im.resize((im.width // 2, im.height // 2)),
        "crop_5pct": lambda im: im.crop((int(im.width * .025), int(im.height * .025), int(im.width * .975), int(im.height * .975))),
        "flip_horizontal": lambda im: im.transpose(Image.FLIP_LEFT_RIGHT),
        "text_overlay": lambda im: _overlay(im),
        "colour_shift": lambda im: ImageEnhance.Color(ImageEnhance.Brightness(im).enhance(1.15)).enhance(1.4),
    }
    paths = {"original": []}
    for i in range(n):
        base = Image.fromarray(rng.integers(0, 256, size=(360, 480, 3), dtype=np.uint8)).filter(ImageFilter.GaussianBlur(6))
        d = ImageDraw.Draw(base)
        for _ in range(8):
            x, y = int(rng.integers(0, 480)), int(rng.integers(0, 360))
            d.ellipse([x, y, x + int(rng.integers(20, 200)), y + int(rng.integers(20, 150))], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
        p = os.path.join(workdir, f"o{i}.png"); base.save(p); paths["original"].append(p)
        for name, f in edits.items():
            q = os.path.join(workdir, f"{name}{i}." + ("jpg" if name == "jpeg_q50" else "png"))
            out = f(base.copy())
            out.save(q, quality=50) if name == "jpeg_q50" else out.save(q)
            paths.setdefault(name, []).append(q)
    allp = [p for v in paths.values() for p in v]
    out = run([raqib_bin, "hash", "--quiet", "--dihedral"] + allp).stdout
    h = {json.loads(l)["file"]: json.loads(l) for l in out.splitlines()}
    res = {}
    for name in edits:
        kept = kept_any = 0
        for o, e in zip(paths["original"], paths[name]):
            a, b = int(h[o]["pdq"], 16), h[e]
            if bin(a ^ int(b["pdq"], 16)).count("1") <= 31:
                kept += 1
            if any(bin(a ^ int(v, 16)).count("1") <= 31 for v in b["dihedral"].values()):
                kept_any += 1
        res[name] = {"kept": kept / n, "kept_with_dihedral": kept_any / n}
    return res


def _overlay(im):
    from PIL import ImageDraw
    d = ImageDraw.Draw(im)
    d.rectangle([0, im.height - 60, im.width, im.height], fill=(0, 0, 0))
    d.text((10, im.height - 45), "SHARE THIS NOW - channel name here", fill=(255, 255, 255))
    return im


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="hashes in the index")
    ap.add_argument("--queries", type=int, default=20_000, help="queries for raqib (half near-duplicates)")
    ap.add_argument("--flat-queries", type=int, default=500, help="queries for faiss (its flat scan is slow)")
    ap.add_argument("--images", default=None, help="a folder of images for the hashing comparison")
    ap.add_argument("--skip-index", action="store_true")
    ap.add_argument("--robustness", type=int, default=0, metavar="N", help="robustness table over N generated images")
    args = ap.parse_args()
    raqib_bin = os.path.join(ROOT, "target", "release", "raqib")
    if args.images:
        print(json.dumps({"hashing": hashing_side_by_side(args.images, raqib_bin)}))
    if args.robustness:
        with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, "target")) as d:
            print(json.dumps({"robustness": robustness(raqib_bin, args.robustness, d)}))
    if not args.skip_index:
        with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, "target")) as d:
            print(json.dumps({"index": index_side_by_side(args.n, args.queries, args.flat_queries, d)}))


if __name__ == "__main__":
    sys.exit(main())
