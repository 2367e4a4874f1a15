#!/usr/bin/env python3
"""Generate the PDQ test images and their reference hashes.

Writes a varied set of images (photo-like noise, text, flat colour, tiny,
huge, odd aspect ratios; JPEG, PNG, GIF, WebP, BMP; greyscale, palette,
alpha) into tests/data/pdq/ and, for each, the hash, quality and eight
dihedral hashes computed by Meta's reference C++ through the `pdqhash` PyPI
package, on the pixels PIL decodes. `cargo test -p raqib-media` checks that
raqib computes the same bits from the same files.

    target/peers/bin/pip install pdqhash pillow numpy
    target/peers/bin/python scripts/pdq-oracle.py            # regenerate
    target/peers/bin/python scripts/pdq-oracle.py --check    # only re-verify expected.jsonl
"""
import argparse
import json
import os
import sys

import numpy as np
import pdqhash
from PIL import Image, ImageDraw, ImageFilter

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "pdq")
DIHEDRAL = ["original", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus1", "flipminus1"]


def bits_to_hex(bits):
    return "".join("%x" % int("".join(str(int(b)) for b in bits[i:i + 4]), 2) for i in range(0, 256, 4))


def reference(path):
    img = Image.open(path)
    img.seek(0)
    rgb = np.asarray(img.convert("RGB"))
    h, q = pdqhash.compute(rgb)
    hs, q2 = pdqhash.compute_dihedral(rgb)
    assert q == q2
    return {"hash": bits_to_hex(h), "quality": int(q), "dihedral": {n: bits_to_hex(v) for n, v in zip(DIHEDRAL, hs)},
            "width": rgb.shape[1], "height": rgb.shape[0]}


def photo(rng, w, h, blur=3):
    noise = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    img = Image.fromarray(noise).filter(ImageFilter.GaussianBlur(blur))
    d = ImageDraw.Draw(img)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(1, max(2, w // 2))), y0 + int(rng.integers(1, max(2, h // 2)))
        d.ellipse([x0, y0, x1, y1], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return img


def text(w, h, words):
    img = Image.new("RGB", (w, h), (245, 245, 240))
    d = ImageDraw.Draw(img)
    for i, line in enumerate(words):
        d.text((10, 10 + 14 * i), line, fill=(20, 20, 20))
    d.rectangle([w - 60, h - 40, w - 10, h - 10], outline=(200, 30, 30), width=3)
    return img


def shapes(w, h, rng):
    img = Image.new("RGB", (w, h), (30, 60, 120))
    d = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        d.rectangle([x0, y0, x0 + int(rng.integers(1, w // 3)), y0 + int(rng.integers(1, h // 3))],
                    fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return img


def generate():
    rng = np.random.default_rng(20261129)
    os.makedirs(OUT, exist_ok=True)
    items = []

    def save(img, name, **kw):
        path = os.path.join(OUT, name)
        img.save(path, **kw)
        items.append(name)

    p = photo(rng, 320, 240)
    save(p, "photo.png")
    save(p, "photo.jpg", quality=90)
    save(p, "photo_q40.jpg", quality=40)
    save(p, "photo.bmp")
    save(p, "photo.webp", lossless=True)
    save(p, "photo_lossy.webp", quality=70)
    save(p.convert("P", palette=Image.ADAPTIVE, colors=64), "photo.gif")
    save(p.convert("L"), "photo_grey.png")
    save(p.convert("P", palette=Image.ADAPTIVE, colors=32), "photo_palette.png")
    rgba = p.copy()
    rgba.putalpha(Image.fromarray(rng.integers(0, 256, size=(240, 320), dtype=np.uint8)))
    save(rgba, "photo_alpha.png")
    save(photo(rng, 64, 64, blur=1), "exact64.png")
    save(photo(rng, 1000, 7, blur=1), "wide_1000x7.png")
    save(photo(rng, 7, 1000, blur=1), "tall_7x1000.png")
    save(photo(rng, 2000, 50, blur=2), "strip_2000x50.png")
    save(photo(rng, 33, 517, blur=1), "odd_33x517.bmp")
    save(text(300, 120, ["breaking news: a test headline", "second line of synthetic text", "0123456789"]), "text.png")
    save(text(300, 120, ["another headline, other words", "lorem ipsum dolor"]), "text.gif")
    save(Image.new("RGB", (100, 100), (200, 40, 40)), "flat.png")
    save(Image.new("RGB", (80, 60), (10, 200, 90)), "flat.jpg", quality=95)
    save(photo(rng, 5, 5, blur=0), "tiny_5x5.png")
    save(photo(rng, 6, 9, blur=0), "tiny_6x9.bmp")
    save(photo(rng, 4, 4, blur=0), "tiny_4x4.png")
    save(shapes(4000, 3000, rng), "huge_4000x3000.png", optimize=True)
    save(shapes(1920, 1080, rng), "hd_1920x1080.webp", lossless=True)
    save(photo(rng, 641, 479, blur=2), "odd_641x479.jpg", quality=85)
    return items


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="recompute the references for the committed images and compare")
    args = ap.parse_args()
    exp_path = os.path.join(OUT, "expected.jsonl")
    if args.check:
        bad = 0
        for line in open(exp_path):
            e = json.loads(line)
            r = reference(os.path.join(OUT, e["file"]))
            if r["hash"] != e["hash"] or r["quality"] != e["quality"]:
                bad += 1
                print("DIFFERS", e["file"], file=sys.stderr)
        print(f"{bad} differences")
        return 1 if bad else 0
    items = generate()
    with open(exp_path, "w") as f:
        for name in items:
            rec = {"file": name, **reference(os.path.join(OUT, name))}
            f.write(json.dumps(rec) + "\n")
    print(f"wrote {len(items)} images and {exp_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
