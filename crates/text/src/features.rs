//! Hashed features of normalised text: character n-grams of each token (padded with a
//! space each side, as fastText does), words, word bigrams, and the parts of hashtags and
//! mentions. Each feature is a 64-bit hash plus the span of normalised characters it
//! covers. Because every feature but the bigrams belongs to one token, a scorer can cache
//! a token's summed weights: frequent words then cost one lookup.
//!
//! **Invariant:** the hash is defined here, not by a library, so a model file stays valid
//! across builds; changing it means bumping [`FEATURES_VERSION`].

use serde::{Deserialize, Serialize};

pub const FEATURES_VERSION: u32 = 5;

/// The features version before [`FeatureConfig::pad_to`]; its models load with `pad_to` 0,
/// which scores them as before.
pub const FEATURES_VERSION_UNPADDED: u32 = 4;

/// Which features a model uses. Stored in the model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Shortest and longest character n-gram; `char_max = 0` disables them.
    pub char_min: u8,
    pub char_max: u8,
    pub words: bool,
    pub word_bigrams: bool,
    /// The weight table has `2^bits` entries.
    pub bits: u8,
    /// A text of fewer features is scored as if it had this many, the others weighing
    /// nothing ([`feature_scale`]): so the few features of a one-word post ("the",
    /// "haha", "الله") do not count for as much as a sentence's many, and a short text
    /// stays nearer the prior. 0 in models made before it (features v4).
    #[serde(default)]
    pub pad_to: u16,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            char_min: 2,
            char_max: 5,
            words: true,
            word_bigrams: true,
            bits: 20,
            pad_to: DEFAULT_PAD_TO,
        }
    }
}

/// The default [`FeatureConfig::pad_to`]: the features of a text of three short words (a
/// tweet has a few hundred). See docs/benchmarks.md, "Short posts".
pub const DEFAULT_PAD_TO: u16 = 64;

/// Each of a text's `n` features has the value 1/sqrt(max(n, pad_to)): an L2-normalised
/// binary vector for a text of at least `pad_to` features, and for a shorter one the
/// vector it would have with features of weight 0 added up to `pad_to`.
#[inline]
pub fn feature_scale(n: usize, pad_to: u16) -> f32 {
    if n == 0 {
        0.0
    } else {
        1.0 / (n.max(pad_to as usize) as f32).sqrt()
    }
}

const K: u64 = 0x517c_c1b7_2722_0a95;
const WORD_SEED: u64 = 0x776f_7264;
const BIGRAM_SEED: u64 = 0x62_6967;

#[inline(always)]
fn mix(h: u64, c: u32) -> u64 {
    (h.rotate_left(5) ^ c as u64).wrapping_mul(K)
}

/// Murmur3's finaliser, so the low bits used as the index are well spread.
#[inline(always)]
pub fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Link wrappers and shorteners: the domain a reader would care about is hidden behind
/// them, and their presence says how the text was collected (Twitter wraps every link in
/// `t.co`), not what it says.
const LINK_WRAPPERS: &[&str] = &[
    "t.co",
    "bit.ly",
    "goo.gl",
    "ow.ly",
    "tinyurl.com",
    "buff.ly",
    "dlvr.it",
    "ift.tt",
    "is.gd",
    "j.mp",
    "trib.al",
    "lnkd.in",
    "fb.me",
    "shar.es",
    "wp.me",
    "tiny.cc",
    "cutt.ly",
    "rebrand.ly",
];

/// Tokens that carry no content, only traces of collection: the retweet marker `rt`,
/// links through a wrapper and links cut off by a truncation mark. In the labelled data they mark one source and not the other, so
/// a model that saw them would learn the source; they get no features at all.
fn is_collection_artifact(token: &[char]) -> bool {
    if matches!(token, ['r', 't'] | ['r', 't', ':']) {
        return true;
    }
    if token.len() > 4 && token[..4] == ['u', 'r', 'l', ':'] {
        let host: String = token[4..].iter().collect();
        return LINK_WRAPPERS.contains(&host.as_str())
            || host == crate::normalise::TRUNCATED_LINK["url:".len()..];
    }
    false
}

#[inline]
fn is_word_char(c: char) -> bool {
    is_alphanumeric(c) || c == '_' || c == '#' || c == '@' || c == '\''
}

/// `char::is_alphabetic`, with the letters of Arabic's main block answered at once: the
/// standard one searches Unicode's tables for every character past ASCII, and an Arabic
/// stream is made of them (1% of a scan's samples). Equal to it for every character (a
/// test checks them all).
#[inline]
pub(crate) fn is_alphabetic(c: char) -> bool {
    matches!(c as u32, 0x0620..=0x064A) || c.is_alphabetic()
}

/// `char::is_alphanumeric`, the same way (Arabic-Indic digits are numeric).
#[inline]
pub(crate) fn is_alphanumeric(c: char) -> bool {
    matches!(c as u32, 0x0620..=0x064A | 0x0660..=0x0669) || c.is_alphanumeric()
}

/// Whitespace tokens of normalised text, as `start..end` indices into `chars`.
#[inline]
pub fn for_each_token(chars: &[char], mut f: impl FnMut(usize, usize)) {
    let n = chars.len();
    let mut i = 0;
    while i < n {
        while i < n && chars[i] == ' ' {
            i += 1;
        }
        let ts = i;
        while i < n && chars[i] != ' ' {
            i += 1;
        }
        if i > ts {
            f(ts, i);
        }
    }
}

/// Call `f(hash, start, end)` for the features that belong to one token `chars[ts..te]`:
/// its character n-grams (over the token padded with a space each side, so word edges
/// show), the word (trimmed of punctuation) and the parts of hashtags, mentions and
/// snake_case. Returns the word's 32-bit id, which bigrams use, or `None` for a token that is
/// only punctuation or a trace of collection (see `is_collection_artifact`).
#[inline]
pub fn token_features(
    chars: &[char],
    ts: usize,
    te: usize,
    cfg: &FeatureConfig,
    mut f: impl FnMut(u64, u32, u32),
) -> Option<u32> {
    if is_collection_artifact(&chars[ts..te]) {
        return None;
    }
    // A mention is an identifier, not language: its word feature, no character n-grams.
    if cfg.char_max > 0 && chars[ts] != '@' {
        let (lo, hi) = (cfg.char_min.max(1) as usize, cfg.char_max as usize);
        let len = te - ts;
        let padded = len + 2;
        let at = |p: usize| {
            if p == 0 || p == padded - 1 {
                ' '
            } else {
                chars[ts + p - 1]
            }
        };
        for s in 0..padded {
            let mut h = 0u64;
            let top = hi.min(padded - s);
            for k in 0..top {
                h = mix(h, at(s + k) as u32);
                if k + 1 >= lo {
                    // Span in `chars`, padding clipped; a gram of padding only is skipped.
                    let a = s.max(1) - 1;
                    let b = (s + k).min(len);
                    if b > a {
                        f(h ^ (k as u64 + 1), (ts + a) as u32, (ts + b) as u32);
                    }
                }
            }
        }
    }
    let (mut a, mut b) = (ts, te);
    let url = b - a > 4 && chars[a..a + 4] == ['u', 'r', 'l', ':'];
    if !url {
        while a < b && !is_word_char(chars[a]) {
            a += 1;
        }
        while b > a && !is_word_char(chars[b - 1]) {
            b -= 1;
        }
    }
    if a == b {
        return None;
    }
    let mut h = WORD_SEED;
    for &c in &chars[a..b] {
        h = mix(h, c as u32);
    }
    if cfg.words {
        f(h, a as u32, b as u32);
        // Parts of hashtags, mentions and snake_case: `#dawla_x` gives `dawla`, `x`.
        if !url && (chars[a] == '#' || chars[a] == '@' || chars[a..b].contains(&'_')) {
            let mut p = a;
            while p < b {
                while p < b && !is_alphanumeric(chars[p]) {
                    p += 1;
                }
                let ps = p;
                let mut ph = WORD_SEED;
                while p < b && is_alphanumeric(chars[p]) {
                    ph = mix(ph, chars[p] as u32);
                    p += 1;
                }
                if p > ps && (ps, p) != (a, b) {
                    f(ph, ps as u32, p as u32);
                }
            }
        }
    }
    Some((h ^ (h >> 32)) as u32)
}

/// The hash of the bigram of two words, given their hashes.
#[inline]
pub fn bigram(prev: u32, word: u32) -> u64 {
    mix(mix(BIGRAM_SEED, prev), word)
}

/// Call `f(hash, start, end)` for every feature of `chars` (normalised text), where
/// `start..end` are indices into `chars`: each token's features, then the bigram of each
/// pair of neighbouring words. Hashes are unmasked.
#[inline]
pub fn for_each_feature(chars: &[char], cfg: &FeatureConfig, mut f: impl FnMut(u64, u32, u32)) {
    let mut prev: Option<(u32, u32)> = None;
    for_each_token(chars, |ts, te| {
        let word = token_features(chars, ts, te, cfg, &mut f);
        if let Some(h) = word {
            if cfg.word_bigrams {
                if let Some((ph, ps)) = prev {
                    f(bigram(ph, h), ps, te as u32);
                }
            }
            prev = Some((h, ts as u32));
        }
    });
}

#[cfg(test)]
mod tests {

    /// The fast letter tests answer as the standard ones do, for every character.
    #[test]
    fn letter_tests_equal_the_standard_ones_for_every_character() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(is_alphabetic(c), c.is_alphabetic(), "{:?}", c);
            assert_eq!(is_alphanumeric(c), c.is_alphanumeric(), "{:?}", c);
        }
    }

    use super::*;

    proptest::proptest! {
        /// A text of at least `pad_to` features is an L2-normalised vector; a shorter one is
        /// scaled as one of `pad_to` features; no text's features weigh more than a shorter
        /// text's; a text without features scores its bias alone.
        #[test]
        fn feature_scale_pads_short_texts_only(n in 0usize..5000, pad_to in 0u16..2000) {
            let s = feature_scale(n, pad_to);
            if n == 0 {
                proptest::prop_assert_eq!(s, 0.0);
            } else {
                // Unpadded: each of n features is 1/sqrt(n), a vector of length 1.
                let unpadded = feature_scale(n, 0);
                proptest::prop_assert!((unpadded * unpadded * n as f32 - 1.0).abs() < 1e-4);
                if n >= pad_to as usize {
                    proptest::prop_assert_eq!(s, unpadded);
                } else {
                    proptest::prop_assert_eq!(s, feature_scale(pad_to as usize, 0));
                    proptest::prop_assert!(s < unpadded);
                }
                proptest::prop_assert!(feature_scale(n + 1, pad_to) <= s);
            }
        }
    }

    fn feats(s: &str, cfg: &FeatureConfig) -> Vec<(u64, String)> {
        let chars: Vec<char> = s.chars().collect();
        let mut v = Vec::new();
        for_each_feature(&chars, cfg, |h, a, b| {
            v.push((h, chars[a as usize..b as usize].iter().collect()))
        });
        v
    }

    #[test]
    fn words_and_bigrams_cover_their_spans() {
        let cfg = FeatureConfig {
            char_max: 0,
            ..Default::default()
        };
        let got: Vec<String> = feats("hi #a_b, there", &cfg)
            .into_iter()
            .map(|x| x.1)
            .collect();
        assert_eq!(
            got,
            vec!["hi", "#a_b", "a", "b", "hi #a_b,", "there", "#a_b, there"]
        );
    }

    #[test]
    fn char_grams_have_every_order_and_stay_inside_the_text() {
        let cfg = FeatureConfig {
            char_min: 2,
            char_max: 3,
            words: false,
            word_bigrams: false,
            bits: 10,
            pad_to: 0,
        };
        let f = feats("abc", &cfg);
        // padded " abc ": 2-grams " a","ab","bc","c " and 3-grams " ab","abc","bc ".
        assert_eq!(f.len(), 7);
        // Two tokens: n-grams stay inside each token.
        assert_eq!(feats("ab cd", &cfg).len(), 2 * 5);
        assert!(f.iter().all(|(_, s)| !s.is_empty()));
    }

    #[test]
    fn traces_of_collection_have_no_features() {
        let cfg = FeatureConfig::default();
        assert!(feats("rt", &cfg).is_empty());
        assert!(feats("url:t.co", &cfg).is_empty());
        assert!(feats("url:bit.ly", &cfg).is_empty());
        assert!(!feats("url:example.org", &cfg).is_empty());
        assert!(feats(crate::normalise::TRUNCATED_LINK, &cfg).is_empty());
        assert!(feats(&crate::normalise::normalise("https://…"), &cfg).is_empty());
        // A mention: its word, no character n-grams.
        let m: Vec<String> = feats("@abu_x", &cfg).into_iter().map(|x| x.1).collect();
        assert_eq!(m, vec!["@abu_x", "abu", "x"]);
        // No bigram reaches across an artifact to pretend two words were neighbours... and
        // the words on each side still pair up as the text reads.
        let b: Vec<String> = feats("rt @a_b: hello", &FeatureConfig { char_max: 0, ..cfg })
            .into_iter()
            .map(|x| x.1)
            .collect();
        assert_eq!(b, vec!["@a_b", "a", "b", "hello", "@a_b: hello"]);
    }

    #[test]
    fn same_text_same_hashes_different_text_different_hashes() {
        let cfg = FeatureConfig::default();
        assert_eq!(feats("daesh", &cfg), feats("daesh", &cfg));
        let a: Vec<u64> = feats("dawla", &cfg).into_iter().map(|x| x.0).collect();
        let b: Vec<u64> = feats("dawlb", &cfg).into_iter().map(|x| x.0).collect();
        assert_ne!(a, b);
    }
}
