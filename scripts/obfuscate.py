#!/usr/bin/env python3
"""Write obfuscated copies of the positive posts of labelled CSV files, one JSON Lines file
per evasion, to measure how much recall each costs. Deterministic (seeded).

usage: obfuscate.py OUT_DIR FILE.csv...
"""
import csv
import json
import random
import sys
from pathlib import Path

HARAKAT = "\u064e\u064f\u0650\u0651\u0652\u064b\u064c\u064d"
# Arabic letters that join to the next one, where tatweel can stretch the line.
JOINING = set("بتثجحخسشصضطظعغفقكلمنهيئ")
HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "s": "ѕ"}
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
# What "fancy text" generators offer for Latin letters and Unicode does not decompose: small
# capitals, and squared, negative squared and negative circled capitals.
SMALL_CAPS = dict(zip("abcdefghijklmnopqrstuvwyz", "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡʏᴢ"))
ENCLOSED = [0x1F130, 0x1F170, 0x1F150]  # squared, negative squared, negative circled A
# Arabic letters written with the Persian, Urdu, Kurdish or Pashto letter that looks like
# them (a reader of Arabic reads the word; a keyword list does not).
PERSIAN = {"ة": "ۃ", "ه": "ہھە", "ي": "یےې", "ى": "ی", "ك": "کڪګگ", "ب": "پٻ", "ت": "ٹټ", "ج": "چ",
           "د": "ڈډ", "ر": "ڑړ", "ز": "ژ", "ف": "ڤ", "ق": "ڨ", "ن": "ںڼ", "و": "ۆۇ", "ل": "ڵ"}


def is_arabic(ch):
    return "\u0600" <= ch <= "\u06ff"


def diacritics(t, r):
    return "".join(ch + (r.choice(HARAKAT) if is_arabic(ch) and ch.isalpha() and r.random() < 0.6 else "") for ch in t)


def tatweel(t, r):
    return "".join(ch + ("ـ" * r.randint(1, 3) if ch in JOINING and r.random() < 0.5 else "") for ch in t)


def spacing(t, r):
    words = t.split(" ")
    cands = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    for i in r.sample(cands, min(2, len(cands))):
        sep = r.choice([" ", ".", "-"])
        words[i] = sep.join(words[i])
    return " ".join(words)


# Separators the first spacing evasion does not use: dots and bullets of other kinds,
# punctuation, emoji, and runs of them.
OTHER_SEPARATORS = ["‧", "∙", "⋅", "・", ":", "=", "'", "^", "\\", "🔥", "🔸", "⭐", "..", "--", "...", "_-_"]


def separators(t, r):
    words = t.split(" ")
    cands = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    for i in r.sample(cands, min(2, len(cands))):
        words[i] = r.choice(OTHER_SEPARATORS).join(words[i])
    return " ".join(words)


def reversed_words(t, r):
    """Two words written backwards under a right-to-left override, which shows them the
    right way round: what a reader sees is the word, what a keyword list sees is not."""
    words = t.split(" ")
    cands = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha() and w.isascii()]
    for i in r.sample(cands, min(2, len(cands))):
        words[i] = "\u202e" + words[i][::-1] + "\u202c"
    return " ".join(words)


# Leetspeak as it is typed: digits and symbols for the letters they look like, `1` for
# both `i` and `l`, and `I` (a capital i) for `l`, which a sans-serif font draws the same.
LEET = {"a": "4@", "e": "3", "i": "1!", "o": "0", "s": "5$", "t": "7", "l": "1I", "b": "8"}


def leetspeak(t, r):
    """Two words of each post, half their letters that have one written as leetspeak."""
    words = t.split(" ")
    cands = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha() and w.isascii()]
    for i in r.sample(cands, min(2, len(cands))):
        words[i] = "".join(r.choice(LEET[ch]) if ch in LEET and r.random() < 0.5 else ch for ch in words[i])
    return " ".join(words)


def regional_letters(t, r):
    """Two Latin words of each post written in regional indicator letters (`🇦`-`🇿`, drawn
    as letters in boxes), a zero-width space between them so that no two make a flag."""
    words = t.split(" ")
    cands = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha() and w.isascii()]
    for i in r.sample(cands, min(2, len(cands))):
        words[i] = "\u200b".join(chr(0x1F1E6 + ord(ch) - ord("a")) for ch in words[i].lower())
    return " ".join(words)


def homoglyphs(t, r):
    return "".join(HOMOGLYPHS[ch] if ch in HOMOGLYPHS and r.random() < 0.5 else ch for ch in t)


def zero_width(t, r):
    return "".join(ch + (r.choice(ZERO_WIDTH) if ch.isalpha() and r.random() < 0.3 else "") for ch in t)


def fancy_letters(t, r):
    """One style for the whole post, as a generator gives it; Latin letters only."""
    style = r.randrange(1 + len(ENCLOSED))
    if style == 0:
        return "".join(SMALL_CAPS.get(ch.lower(), ch) for ch in t)
    base = ENCLOSED[style - 1]
    return "".join(chr(base + ord(ch.lower()) - ord("a")) if "a" <= ch.lower() <= "z" else ch for ch in t)


def persian_letters(t, r):
    return "".join(r.choice(PERSIAN[ch]) if ch in PERSIAN and r.random() < 0.5 else ch for ch in t)


EVASIONS = {
    "clean": lambda t, r: t,
    "diacritics": diacritics,
    "tatweel": tatweel,
    "letter_spacing": spacing,
    "other_separators": separators,
    "reversed_words": reversed_words,
    "homoglyphs": homoglyphs,
    "leetspeak": leetspeak,
    "regional_letters": regional_letters,
    "zero_width": zero_width,
    "fancy_letters": fancy_letters,
    "persian_letters": persian_letters,
}


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for f in sys.argv[2:]:
        with open(f, newline="", encoding="utf-8") as fh:
            rows += [r for r in csv.DictReader(fh) if r.get("label") == "1" and r.get("text")]
    for name, fn in EVASIONS.items():
        r = random.Random(1)
        with open(out / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for row in rows:
                rec = {"id": row["id"], "text": fn(row["text"], r), "label": 1, "lang": row.get("lang") or None}
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"{len(rows)} positives x {len(EVASIONS)} variants in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
