//! MinHash signatures of token sets, for near-duplicate text (posts, bios) found by
//! locality-sensitive hashing instead of comparing all pairs.
//!
//! Tokens are the words of normalised text (so obfuscated spellings of one word are one
//! token), hashed with the same 64-bit hash as the model's features. Each of `k`
//! permutations is a multiply-add over the token hash, keeping the high 32 bits.
//!
//! **Invariant:** signatures depend only on the token set and `k` (seeds are fixed here), so
//! signatures stored in a file stay comparable across builds.

use crate::features::{finish, for_each_token};
use crate::model::raw_tokens;
use crate::normalise::Normaliser;

/// Fixed seeds for the permutations.
const SEED: u64 = 0x6d69_6e68_6173_6821;

/// `k` hash permutations.
#[derive(Debug, Clone)]
pub struct MinHasher {
    a: Vec<u64>,
    b: Vec<u64>,
}

impl MinHasher {
    pub fn new(k: usize) -> MinHasher {
        let mut s = SEED;
        let mut next = || {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            finish(s)
        };
        let mut a = Vec::with_capacity(k);
        let mut b = Vec::with_capacity(k);
        for _ in 0..k {
            a.push(next() | 1);
            b.push(next());
        }
        MinHasher { a, b }
    }

    pub fn k(&self) -> usize {
        self.a.len()
    }

    /// The signature of a set of token hashes; all `u32::MAX` for an empty set.
    pub fn signature(&self, tokens: &[u64], out: &mut Vec<u32>) {
        out.clear();
        out.resize(self.a.len(), u32::MAX);
        for &t in tokens {
            for (o, (&a, &b)) in out.iter_mut().zip(self.a.iter().zip(&self.b)) {
                let v = (t.wrapping_mul(a).wrapping_add(b) >> 32) as u32;
                if v < *o {
                    *o = v;
                }
            }
        }
    }
}

/// The share of positions where two signatures agree: an estimate of the Jaccard
/// similarity of their sets. 0 when either is empty.
pub fn similarity(a: &[u32], b: &[u32]) -> f32 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f32 / a.len() as f32
}

/// Hash a band of a signature (`sig[start..start + rows]`) with its band number, as an
/// LSH bucket key.
pub fn band_key(sig: &[u32], band: usize, rows: usize) -> u64 {
    let mut h = finish(0x6261_6e64 ^ band as u64);
    for &v in &sig[band * rows..(band + 1) * rows] {
        h = finish(h ^ v as u64);
    }
    h
}

/// The distinct word tokens of `text` after normalisation, as 64-bit hashes, sorted.
/// Tokens of one character that are not letters or digits (punctuation) are left out.
pub fn word_set(norm: &mut Normaliser, text: &str, out: &mut Vec<u64>) {
    out.clear();
    let n = norm.run(text);
    let chars = &n.chars;
    for_each_token(chars, |s, e| {
        if let Some(h) = word_hash(&chars[s..e]) {
            out.push(h);
        }
    });
    out.sort_unstable();
    out.dedup();
}

/// [`word_set`] for a stream of texts: the same set, from a cache of raw tokens' word
/// hashes, so that a raw token seen before (most of them, in a stream) is not normalised
/// again. The one normalisation rule that reaches across raw tokens, the joining of
/// spaced-out letters, is detected as the model's cached scorer does
/// (`Normaliser::edges_single` on neighbouring raw tokens), and such a text is normalised
/// whole instead.
pub struct WordSets {
    token_norm: Normaliser,
    whole: Normaliser,
    slots: Vec<Slot>,
    words: Vec<u64>,
}

/// A raw token's normalised words (up to three; a token with more is not cached).
#[derive(Clone, Copy, Default)]
struct Slot {
    key: u64,
    n: u8,
    edge_single: bool,
    empty: bool,
    words: [u64; 3],
}

/// Direct-mapped, 32,768 slots (1.3 MB): fixed memory, no rehashing.
const SLOTS: usize = 1 << 15;

impl Default for WordSets {
    fn default() -> WordSets {
        WordSets {
            token_norm: Normaliser::default(),
            whole: Normaliser::default(),
            slots: vec![Slot::default(); SLOTS],
            words: Vec::new(),
        }
    }
}

impl WordSets {
    /// Exactly [`word_set`]`(text)`.
    pub fn word_set(&mut self, text: &str, out: &mut Vec<u64>) {
        out.clear();
        let bytes = text.as_bytes();
        let mut prev_single = false;
        for (s, i) in raw_tokens(bytes) {
            let key = xxhash_rust::xxh3::xxh3_64(&bytes[s..i]) | 1;
            let at = (key >> 40) as usize & (SLOTS - 1);
            let (edge_single, empty) = if self.slots[at].key == key {
                let slot = &self.slots[at];
                out.extend_from_slice(&slot.words[..slot.n as usize]);
                (slot.edge_single, slot.empty)
            } else {
                // `text[s..i]` is whole characters: raw spaces are ASCII.
                let n = self.token_norm.run(&text[s..i]);
                let words = &mut self.words;
                words.clear();
                let mut empty = true;
                for_each_token(&n.chars, |a, b| {
                    empty = false;
                    if let Some(h) = word_hash(&n.chars[a..b]) {
                        words.push(h);
                    }
                });
                // A right-to-left override reorders across raw tokens (never cached).
                if n.overridden {
                    return word_set(&mut self.whole, text, out);
                }
                let edge_single = self.token_norm.edges_single();
                out.extend_from_slice(words);
                if words.len() <= 3 {
                    let mut slot = Slot {
                        key,
                        n: words.len() as u8,
                        edge_single,
                        empty,
                        words: [0; 3],
                    };
                    slot.words[..words.len()].copy_from_slice(words);
                    self.slots[at] = slot;
                }
                (edge_single, empty)
            };
            if !empty {
                if prev_single && edge_single {
                    return word_set(&mut self.whole, text, out);
                }
                prev_single = edge_single;
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// A word's hash after trimming punctuation; `None` when nothing is left.
fn word_hash(word: &[char]) -> Option<u64> {
    let word = trim_punct(word);
    if word.is_empty() {
        return None;
    }
    let mut h = 0x776f_7264u64;
    for &c in word {
        h = finish(h ^ c as u64);
    }
    Some(h)
}

fn trim_punct(w: &[char]) -> &[char] {
    let keep = |c: &char| c.is_alphanumeric() || *c == '#' || *c == '@' || (*c as u32) > 0x2000;
    let s = w.iter().position(keep).unwrap_or(w.len());
    let e = w.iter().rposition(keep).map_or(s, |i| i + 1);
    &w[s..e]
}

/// The exact Jaccard similarity of two sorted, deduplicated sets.
pub fn jaccard(a: &[u64], b: &[u64]) -> f32 {
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    both as f32 / (a.len() + b.len() - both) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn set(s: &str) -> Vec<u64> {
        let mut n = Normaliser::default();
        let mut v = Vec::new();
        word_set(&mut n, s, &mut v);
        v
    }

    #[test]
    fn obfuscated_spellings_are_one_token() {
        assert_eq!(set("Daily NEWS, daily!"), set("daily news"));
        assert_eq!(set("n.e.w.s"), set("news"));
        assert!(set("...").is_empty());
    }

    #[test]
    fn cached_word_sets_equal_word_sets_on_evasions() {
        let mut c = WordSets::default();
        for s in [
            "d a e s h news",
            "news d.a.e.s.h",
            "د ا ع ش اخبار",
            "D-A-E-S-H",
            "news \u{202e}syad eerht ni\u{202c} today",
            "the news\u{200b} today",
            "G\u{384}$\u{384}G\u{0}\n\u{384}$\u{384}",
            "a b",
            "",
            "   ",
        ] {
            for _ in 0..2 {
                let mut v = Vec::new();
                c.word_set(s, &mut v);
                assert_eq!(v, set(s), "{s:?}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// The cache must give the set of normalising the whole text, for any text and
        /// whatever the cache held before: spaced-out letters across raw tokens, zero-width
        /// characters, decomposing spaces, URLs, leetspeak, punctuation alone.
        #[test]
        fn cached_word_set_equals_word_set(
            s in "([a-dG1$@ا-ج.,!\\-_ ]|\u{200b}|\u{a0}|\u{384}|\u{2002}|\t|\n|\u{0}|\u{202e}|\u{202c}|https://x\\.org/a|#x_y|ﻻ|ـ){0,30}",
            warm in proptest::collection::vec("[a-c ا-ب.G$\u{384}]{0,6}", 0..6),
        ) {
            let mut c = WordSets::default();
            let mut v = Vec::new();
            for w in &warm {
                c.word_set(w, &mut v);
            }
            c.word_set(&s, &mut v);
            prop_assert_eq!(&v, &set(&s), "{:?}", s);
            c.word_set(&s, &mut v);
            prop_assert_eq!(&v, &set(&s), "again {:?}", s);
        }

        #[test]
        fn cached_word_set_equals_word_set_on_any_string(s in any::<String>()) {
            let mut c = WordSets::default();
            let mut v = Vec::new();
            c.word_set(&s, &mut v);
            prop_assert_eq!(&v, &set(&s));
        }
    }

    #[test]
    fn estimate_tracks_jaccard() {
        let h = MinHasher::new(256);
        let a: Vec<u64> = (0..100).map(finish).collect();
        let b: Vec<u64> = (50..150).map(finish).collect();
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        h.signature(&a, &mut sa);
        h.signature(&b, &mut sb);
        let mut sorted_a = a.clone();
        sorted_a.sort_unstable();
        let mut sorted_b = b.clone();
        sorted_b.sort_unstable();
        let exact = jaccard(&sorted_a, &sorted_b);
        assert!((exact - 1.0 / 3.0).abs() < 1e-6);
        assert!(
            (similarity(&sa, &sb) - exact).abs() < 0.08,
            "{}",
            similarity(&sa, &sb)
        );
        assert_eq!(similarity(&sa, &sa), 1.0);
    }

    proptest! {
        #[test]
        fn identical_sets_have_identical_signatures(words in proptest::collection::vec("[a-z]{2,6}", 0..20)) {
            let h = MinHasher::new(16);
            let text = words.join(" ");
            let mut rev = words.clone();
            rev.reverse();
            let (mut s1, mut s2) = (Vec::new(), Vec::new());
            h.signature(&set(&text), &mut s1);
            h.signature(&set(&rev.join("  ")), &mut s2);
            prop_assert_eq!(&s1, &s2);
            prop_assert_eq!(band_key(&s1, 3, 2), band_key(&s2, 3, 2));
        }
    }
}
