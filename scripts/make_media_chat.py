#!/usr/bin/env python3
"""Make a WhatsApp export of N messages, each attaching one of six test images copied
under its own name (tests/data/pdq: the same photo as PNG, JPEG and GIF, a 1920x1080 WebP,
a JPEG, a BMP), for the `raqib scan --lists L --hash-media` benchmark.

usage: make_media_chat.py N OUT_DIR
then:  raqib lists --dir L create known
       raqib lists --dir L add known --file tests/data/pdq/photo.png --label poster
       raqib scan OUT_DIR --lists L --hash-media --out r/
"""
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ["photo_q40.jpg", "odd_641x479.jpg", "photo.png", "hd_1920x1080.webp",
          "odd_33x517.bmp", "photo.gif"]


def main():
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    lines = []
    for i in range(n):
        name = IMAGES[i % len(IMAGES)]
        f = "IMG-%05d.%s" % (i, name.rsplit(".", 1)[1])
        shutil.copy(ROOT / "tests" / "data" / "pdq" / name, out / f)
        lines.append("02/11/2026, 10:%02d - User %d: %s (file attached)\ncaption %d\n"
                     % (i % 60, i % 50, f, i))
    (out / "WhatsApp Chat with Bench.txt").write_text("".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
