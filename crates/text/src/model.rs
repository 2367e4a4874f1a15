//! The model file and prediction.
//!
//! ```text
//! offset  size  field
//! 0       8     magic "RAQIBMDL"
//! 8       4     file format version, u32 little-endian (MODEL_FORMAT_VERSION)
//! 12      4     header length H, u32 LE
//! 16      H     header: JSON (ModelHeader), padded with spaces so weights start at a
//!               multiple of 64
//! 16+H    4·N   weights: N = 2^bits f32 LE
//! end-8   8     checksum: xxh3-64 of every byte before it, u64 LE
//! ```
//!
//! The file is memory-mapped, so a model of any size loads in the time it takes to check
//! the checksum. Files are written to a temporary name, synced, then renamed, so a crash
//! never leaves half a model under the real name.
//!
//! Weights are kept to bfloat16 precision (8 significant bits, within 0.4% of the value
//! trained): training rounds them before it calibrates, and a file written by an earlier
//! build is rounded when it is loaded. Scoring and explaining read them from a table of
//! 2-byte bfloat16 values (2 MiB for the default 2^20 weights, against 4 MiB of f32), which
//! stays in cache where the f32 table did not; the f32 values, the same numbers, are what
//! a saved file holds.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::features::{
    bigram, feature_scale, finish, for_each_feature, token_features, FeatureConfig,
    FEATURES_VERSION, FEATURES_VERSION_UNPADDED,
};
use crate::normalise::{Normalised, Normaliser, NORMALISER_READS_FROM, NORMALISER_VERSION};

pub const MAGIC: &[u8; 8] = b"RAQIBMDL";
pub const MODEL_FORMAT_VERSION: u32 = 1;

/// Everything about a model except its weights.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelHeader {
    pub normaliser_version: u32,
    pub features_version: u32,
    pub features: FeatureConfig,
    pub bias: f32,
    /// Platt scaling: probability = sigmoid(a * margin + b).
    pub platt_a: f32,
    pub platt_b: f32,
    /// The default decision threshold on the calibrated probability.
    pub threshold: f32,
    /// Free-form facts about training (data, epochs, dev figures), for the record.
    #[serde(default)]
    pub training: serde_json::Value,
    /// The calibrated scores of the dev negatives the threshold was chosen on: how often a
    /// clean post is flagged at any threshold (see [`NegativeScores::share_at`]).
    /// Absent from models made before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev_negatives: Option<NegativeScores>,
}

/// The strongest calibrated scores of a model's dev negatives, and how many there were.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NegativeScores {
    /// Dev negatives in all.
    pub count: u64,
    /// The highest [`NegativeScores::KEPT`] of their scores, highest first.
    pub top: Vec<f32>,
}

impl NegativeScores {
    /// Scores kept: enough to say the share flagged at any threshold that flags up to
    /// this many dev negatives.
    pub const KEPT: usize = 1000;

    /// From every dev negative's score, in any order.
    pub fn new(mut scores: Vec<f32>) -> NegativeScores {
        scores.sort_by(|a, b| b.total_cmp(a));
        let count = scores.len() as u64;
        scores.truncate(Self::KEPT);
        NegativeScores { count, top: scores }
    }

    /// The share of dev negatives scoring at least `threshold` (by probability alone: the
    /// evidence rule holds a few of them back, so a scan flags at most this share). Past
    /// the kept scores (a
    /// threshold low enough to flag more than [`NegativeScores::KEPT`] of them) it is the
    /// share kept: a lower bound.
    pub fn share_at(&self, threshold: f32) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let above = self.top.partition_point(|&s| s >= threshold);
        Some(above as f64 / self.count as f64)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: cannot read model: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: not a raqib model file (it does not start with RAQIBMDL); give a file written by `raqib train`")]
    NotAModel { path: String },
    #[error("{path}: model file format version {found}; this build reads version {MODEL_FORMAT_VERSION}: retrain with `raqib train` or use the matching raqib")]
    Version { path: String, found: u32 },
    #[error("{path}: model was made with normaliser v{norm} / features v{feat}; this build has v{NORMALISER_VERSION} / v{FEATURES_VERSION}: retrain with `raqib train`")]
    Incompatible { path: String, norm: u32, feat: u32 },
    #[error("{path}: model file is corrupt: {what}")]
    Corrupt { path: String, what: String },
}

enum Weights {
    Mapped {
        map: memmap2::Mmap,
        offset: usize,
        len: usize,
    },
    Owned(Vec<f32>),
}

/// A trained model, ready to score text. Cheap to share between threads (`&Model`).
pub struct Model {
    pub header: ModelHeader,
    weights: Weights,
    /// The weights as bfloat16 bits (the top half of each f32, which holds all of it):
    /// what scoring and explaining read.
    bf16: Vec<u16>,
    mask: u64,
    id: u64,
}

/// `x` rounded to bfloat16 (to nearest, ties to even), as its 16 bits. A finite `x` too
/// large to round up stays finite (cut instead). Not for NaN.
fn bf16_bits(x: f32) -> u16 {
    let b = x.to_bits();
    let up = ((u64::from(b) + 0x7fff + u64::from((b >> 16) & 1)) >> 16) as u16;
    if x.is_finite() && up & 0x7f80 == 0x7f80 {
        (b >> 16) as u16
    } else {
        up
    }
}

/// `x` rounded to bfloat16 precision: the value a weight `x` scores with.
pub fn round_weight(x: f32) -> f32 {
    weight16(bf16_bits(x))
}

/// A weight read from the bfloat16 table.
#[inline(always)]
fn weight16(bits: u16) -> f32 {
    f32::from_bits(u32::from(bits) << 16)
}

/// Per-thread scratch space for scoring, so the hot path does not allocate, with a cache
/// of raw tokens' contributions. The cache belongs to one model: using the scratch with
/// another model clears it.
#[derive(Default)]
pub struct Scratch {
    norm: Normaliser,
    token_norm: Normaliser,
    cache: TokenCache,
    cache_owner: u64,
    tokens: Vec<Tok>,
    /// Raw tokens of the text `ahead_text` (if `ahead_valid`), split and hashed by
    /// [`Model::prefetch`] before it is scored. The text is kept as a copy and compared
    /// whole when it comes to be scored: a copy and a comparison of a post's bytes cost
    /// less than hashing it, which was done twice a post (2% of a scan).
    ahead: Vec<Tok>,
    ahead_text: Vec<u8>,
    ahead_valid: bool,
    /// The model whose lookup filled `tokens`, and the text they are of (kept the same
    /// way), after a lookup that needed no exact path: explaining the text just scored
    /// reuses them.
    tokens_of: Option<u64>,
    tokens_text: Vec<u8>,
    missed: Vec<u32>,
    idx: Vec<u32>,
    bigrams: Vec<u32>,
    spans: SpanMemo,
    /// A text being explained: its normalised tokens, and the strongest of them.
    items: Vec<NormToken>,
    /// The strongest of `items`: weight and place, strongest first.
    order: Vec<(f32, usize)>,
    /// A long text's raw tokens as its windows count them, where each of its normalised
    /// tokens falls among them, and where each raw token starts (see [`LONG_TEXT_TOKENS`]).
    units: Vec<Unit>,
    unit_of: Vec<u32>,
    starts: Vec<usize>,
    /// The part of a long text (`tokens`, while `tokens_of` holds) that scoring chose: its
    /// window, or `None` for the whole; `None` here until the cached path scored it.
    /// Explaining the text just scored takes it instead of building its units again.
    segment: Option<Option<(usize, usize)>>,
}

/// A text of more raw tokens than this (twice a window, longer than any tweet: the
/// labelled tweets have at most 58 words, nine in ten under 36) is scored in windows of
/// [`WINDOW_TOKENS`] as well as whole, and takes the highest margin: one paragraph of
/// propaganda in a long post, or a slogan padded with chatter to dilute it, scores as it
/// would posted alone. A margin is the average evidence of a text's features (their sum
/// over the square root of their number), so four hundred words of everyday talk around
/// one line brought that line's 0.999 down to 0.001. Not for shorter texts: the highest of
/// several windows is above the whole text's by chance alone: windows on every text of
/// more than 32 flagged 8 more of the 1,652 dev negatives (English FPR 2.2% → 2.8%) for 12
/// more of the 3,609 positives, and took the English ROC-AUC from 0.846 to 0.831.
pub const LONG_TEXT_TOKENS: usize = 64;

/// Raw tokens in a window of a long text: about a tweet's length in words, what a model
/// trained on tweets learns to read. Windows start every [`WINDOW_STEP`] raw tokens, and
/// one ends at the text's end.
pub const WINDOW_TOKENS: usize = 32;

/// Whether `text` is long enough to be scored in windows as well as whole.
pub fn is_long(text: &str) -> bool {
    raw_tokens(text.as_bytes()).nth(LONG_TEXT_TOKENS).is_some()
}

/// Raw tokens from one window's start to the next's.
pub const WINDOW_STEP: usize = 8;

/// A raw token of a long text as its windows count it: the weights of its features (and
/// of the bigrams between its own normalised tokens) and how many, and the bigram that
/// joins it to the raw token with words before it (that token's place and the weight),
/// counted in a window that holds both.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
struct Unit {
    z: f32,
    n: u32,
    link: Option<(u32, f32)>,
}

/// What explaining learnt of a raw token's span, by its key and which of its normalised
/// tokens: where the span lies in the raw token and the feature it shows. The strongest
/// words recur from one flagged post to the next, and normalising each again was a tenth
/// of the time a flagged post cost. Direct-mapped, one cache line a slot with the feature
/// inline; it depends on normalisation alone, not on a model's weights.
///
/// Sized by measurement: on 1M posts drawn from the labelled tweets (273,000 flagged, five
/// spans each), 1,024 slots missed 68% of lookups and 32,768 miss 15%, which took 2% off
/// the scan's time; 65,536 missed 9% but were no faster (more memory to miss in).
#[derive(Default)]
struct SpanMemo {
    slots: Vec<SpanSeen>,
    /// A feature too long for a slot: written here each time, never remembered.
    long: String,
}

/// Bytes of a feature a slot holds inline; a longer one is not remembered.
const SPAN_FEATURE: usize = 39;

#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct SpanSeen {
    /// The raw token's cache key; 0 for an empty slot (keys are never 0).
    key: u64,
    /// The normalised token's range in the raw token's normalisation; `u32::MAX` for the
    /// raw token's only token.
    sub: (u32, u32),
    /// The span's byte range in the raw token.
    range: (u32, u32),
    len: u8,
    feature: [u8; SPAN_FEATURE],
}

const _: () = assert!(size_of::<SpanSeen>() == 64);

impl Default for SpanSeen {
    fn default() -> Self {
        SpanSeen {
            key: 0,
            sub: (0, 0),
            range: (0, 0),
            len: 0,
            feature: [0; SPAN_FEATURE],
        }
    }
}

const SPAN_MEMO: usize = 1 << 15;

impl SpanMemo {
    fn slot(key: u64, sub: (u32, u32)) -> usize {
        let h = key ^ u64::from(sub.0).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(sub.1);
        (h as usize) & (SPAN_MEMO - 1)
    }

    /// Ask the CPU for the slot [`SpanMemo::get`] will read for `key`'s token `sub`: the
    /// memo is 2 MiB read at random, so each lookup misses the cache; asked for together,
    /// a post's five misses overlap instead of following one another (they were half of
    /// what explaining a post cost).
    fn prefetch(&self, key: u64, sub: (u32, u32)) {
        if let Some(seen) = self.slots.get(Self::slot(key, sub)) {
            raqib_model::hint::prefetch(seen);
        }
    }

    /// The slot for `key`'s token `sub`: its range and feature if seen, else filled by
    /// `find` (which gives the byte range in the raw token and writes the feature).
    fn get(
        &mut self,
        key: u64,
        sub: (u32, u32),
        find: impl FnOnce(&mut String) -> (usize, usize),
    ) -> (&str, (usize, usize)) {
        if self.slots.is_empty() {
            self.slots = vec![SpanSeen::default(); SPAN_MEMO];
        }
        let seen = &mut self.slots[Self::slot(key, sub)];
        if seen.key != key || seen.sub != sub {
            self.long.clear();
            let (s, e) = find(&mut self.long);
            if self.long.len() > SPAN_FEATURE {
                seen.key = 0;
                return (&self.long, (s, e));
            }
            seen.key = key;
            seen.sub = sub;
            seen.range = (s as u32, e as u32);
            seen.len = self.long.len() as u8;
            seen.feature[..self.long.len()].copy_from_slice(self.long.as_bytes());
        }
        let feature = &seen.feature[..seen.len as usize];
        (
            // SAFETY: the bytes were copied whole from a `String`.
            unsafe { std::str::from_utf8_unchecked(feature) },
            (seen.range.0 as usize, seen.range.1 as usize),
        )
    }
}

/// A raw token of the text being scored (a run of bytes between ASCII spaces and control
/// characters, which normalisation turns into spaces anyway) and what is known of it.
#[derive(Clone, Copy, Default)]
struct Tok {
    start: u32,
    end: u32,
    /// For a miss, where its feature indices start in `Scratch::idx`.
    from: u32,
    entry: Entry,
}

/// A two-way set-associative cache of raw tokens' contributions. A set is one 64-byte
/// cache line, so a lookup costs at most one memory access. Fixed size (16 MiB), so memory
/// stays flat and lookups never rehash. Its memory is an anonymous mapping, advised to huge
/// pages once a scanner streams through it ([`Model::prefetch`]): a lookup lands anywhere
/// in the 16 MiB, and with 4 KiB pages nearly every one missed the TLB as well as the
/// cache (the stall showed on the prefetch instructions). Not before: a scratch that scores
/// a few texts (a test, `raqib explain`, a service thread at start) would have each 2 MiB
/// page it touches zeroed whole.
struct TokenCache {
    map: memmap2::MmapMut,
    /// The seed of this cache's keys, drawn at random: the cache trusts a 64-bit key to
    /// name one raw token, and with a seed nobody knows, no one can craft a token whose
    /// key collides with a common word's (and would score as that word).
    seed: u64,
    huge: bool,
    /// Whether anything was put since the mapping was made or cleared (a fresh mapping is
    /// all zeros, an empty cache, so clearing it would only touch 16 MiB for nothing).
    dirty: bool,
}

#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct Set([Entry; 2]);

const CACHE_SETS: usize = 1 << 18;
// A set is one cache line, and the mapping's page alignment is enough for it.
const _: () = assert!(std::mem::size_of::<Set>() == 64 && std::mem::align_of::<Set>() <= 4096);

/// A raw token's contribution, all of its normalised tokens together: the sum of their
/// features' weights (bigrams inside it included), how many features, the first and last
/// word hash (for bigrams with its neighbours), and whether its normalised form starts or
/// ends with a lone character (which might join a spaced-out word across raw tokens).
/// `key` 0 marks an empty slot; keys are never 0.
#[derive(Clone, Copy, Default)]
#[repr(C, align(32))]
struct Entry {
    key: u64,
    first_word: u32,
    last_word: u32,
    sum: f32,
    count: u32,
    has_words: bool,
    edge_single: bool,
    empty: bool,
    /// Exactly one normalised token (its `sum` is then that token's weight).
    single: bool,
}

impl Default for TokenCache {
    fn default() -> Self {
        let map = memmap2::MmapMut::map_anon(CACHE_SETS * std::mem::size_of::<Set>())
            .expect("out of memory for the token cache (16 MiB)");
        use std::hash::{BuildHasher, Hasher};
        let seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        TokenCache {
            map,
            seed,
            huge: false,
            dirty: false,
        }
    }
}

impl TokenCache {
    /// Ask for huge pages for the rest of the cache's life (a hint: where the kernel has
    /// none to give, plain pages serve).
    fn stream(&mut self) {
        if !self.huge {
            self.huge = true;
            #[cfg(target_os = "linux")]
            let _ = self.map.advise(memmap2::Advice::HugePage);
        }
    }

    #[inline]
    fn sets(&self) -> &[Set] {
        // SAFETY: the mapping is page-aligned (so aligned for `Set`) and exactly
        // `CACHE_SETS` sets long. It starts zeroed, and all-zero bytes are a valid (the
        // default) `Set`; after that it is written only through `sets_mut`, as `Set`s.
        unsafe { std::slice::from_raw_parts(self.map.as_ptr().cast::<Set>(), CACHE_SETS) }
    }

    #[inline]
    fn sets_mut(&mut self) -> &mut [Set] {
        // SAFETY: as in `sets`; `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.map.as_mut_ptr().cast::<Set>(), CACHE_SETS) }
    }

    fn clear(&mut self) {
        if self.dirty {
            self.sets_mut().fill(Set::default());
            self.dirty = false;
        }
    }

    #[inline]
    fn set(&self, key: u64) -> usize {
        (key >> 32) as usize & (CACHE_SETS - 1)
    }

    #[inline]
    fn get(&self, key: u64) -> Option<Entry> {
        let [a, b] = &self.sets()[self.set(key)].0;
        if a.key == key {
            Some(*a)
        } else if b.key == key {
            Some(*b)
        } else {
            None
        }
    }

    #[inline]
    fn put(&mut self, e: Entry) {
        self.dirty = true;
        let i = self.set(e.key);
        let set = &mut self.sets_mut()[i].0;
        let way = if set[0].key == 0 {
            0
        } else if set[1].key == 0 {
            1
        } else {
            (e.key >> 1) as usize & 1
        };
        set[way] = e;
    }
}

/// Bytes that normalisation turns into a space: ASCII space and control characters.
#[inline]
#[cfg(test)]
fn is_raw_space(b: u8) -> bool {
    b <= b' ' || b == 0x7f
}

/// The raw tokens of a text: the byte ranges between raw spaces (whole characters, since
/// raw spaces are ASCII).
///
/// Found 64 bytes at a time: a bit mask of the block's raw spaces (eight bytes per
/// step, no branch per byte), then token edges by counting zeros, so a tweet costs a
/// few dozen instructions and no mispredicted branch per character.
#[inline]
pub(crate) fn raw_tokens(bytes: &[u8]) -> RawTokens<'_> {
    RawTokens {
        bytes,
        base: 0,
        bit: 0,
        mask: space_mask(bytes),
    }
}

pub(crate) struct RawTokens<'a> {
    bytes: &'a [u8],
    /// Where the current 64-byte block starts.
    base: usize,
    /// Where in the block to look next (always below 64).
    bit: u32,
    /// The block's raw spaces, one bit per byte; bytes past the end count as spaces.
    mask: u64,
}

impl RawTokens<'_> {
    /// Move to the next block; false past the end.
    #[inline]
    fn advance(&mut self) -> bool {
        self.base += 64;
        self.bit = 0;
        if self.base >= self.bytes.len() {
            return false;
        }
        self.mask = space_mask(&self.bytes[self.base..]);
        true
    }
}

impl Iterator for RawTokens<'_> {
    type Item = (usize, usize);

    #[inline]
    fn next(&mut self) -> Option<(usize, usize)> {
        if self.base >= self.bytes.len() {
            return None;
        }
        loop {
            let m = !self.mask & (u64::MAX << self.bit);
            if m != 0 {
                self.bit = m.trailing_zeros();
                break;
            }
            if !self.advance() {
                return None;
            }
        }
        let start = self.base + self.bit as usize;
        loop {
            let m = self.mask & (u64::MAX << self.bit);
            if m != 0 {
                self.bit = m.trailing_zeros();
                return Some((start, self.base + self.bit as usize));
            }
            if !self.advance() {
                return Some((start, self.bytes.len()));
            }
        }
    }
}

/// One bit per byte of the first 64 bytes of `bytes`: set for a raw space (`b <= 0x20`
/// or `0x7f`) and for every position past the end.
#[inline]
fn space_mask(bytes: &[u8]) -> u64 {
    const L: u64 = 0x0101_0101_0101_0101;
    const H: u64 = 0x8080_8080_8080_8080;
    let mut mask = 0u64;
    for k in 0..8 {
        let at = k * 8;
        let x = match bytes.get(at..at + 8) {
            Some(w) => u64::from_le_bytes(w.try_into().expect("8 bytes")),
            None => {
                // The tail: missing bytes read as spaces.
                let mut w = [b' '; 8];
                if at < bytes.len() {
                    w[..bytes.len() - at].copy_from_slice(&bytes[at..]);
                }
                u64::from_le_bytes(w)
            }
        };
        // High bit of each byte set where the byte's low seven bits are below 0x21 (no
        // borrow crosses bytes: each is at least 0x80 before the subtraction), kept
        // only for bytes below 0x80.
        let low = !((x | H) - 0x21 * L) & !x & H;
        // And where the byte is exactly 0x7f.
        let y = x ^ (0x7f * L);
        let del = !((y | H) - L) & !y & H;
        // Gather the eight high bits into eight bits.
        let bits = (((low | del) >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56;
        mask |= bits << at;
    }
    mask
}

/// A normalised token of a text being explained.
#[derive(Clone, Copy)]
struct NormToken {
    /// From the token cache: its raw token in `Scratch::tokens`.
    raw: u32,
    /// Its range in the raw token's normalisation (`None` when the raw token is only it),
    /// or in the whole text's.
    sub: Option<(u32, u32)>,
    /// Its features' weight, with half of each bigram it is in.
    weight: f32,
    /// How many features it has (its bigrams not counted).
    count: u32,
    word: Option<u32>,
}

/// Split `bytes` into raw tokens with their cache keys (hashes seeded with `seed`).
fn split_raw_tokens(bytes: &[u8], seed: u64, tokens: &mut Vec<Tok>) {
    tokens.clear();
    for (s, i) in raw_tokens(bytes) {
        let key = token_key(bytes, s, i, seed) | 1;
        tokens.push(Tok {
            start: s as u32,
            end: i as u32,
            entry: Entry {
                key,
                ..Default::default()
            },
            ..Default::default()
        });
    }
}

/// The cache key of the raw token `bytes[s..e]` under `seed`. A token of at most 16 bytes
/// is read as one 128-bit word (16 bytes of the text from its start, the bytes past its
/// end masked off; a token near the text's end copied into zeros, which gives the same
/// word) and mixed as xxh3 mixes 9 to 16 bytes (a 128-bit product of the two halves, each
/// folded with the seed, then xxh3's avalanche): no branch on its length. xxh3's own
/// dispatch on length (four classes below 17 bytes) mispredicted on about every token of
/// a stream, whose lengths follow no pattern. Longer tokens, and links (whose key is
/// their host, [`key_bytes`]), go through xxh3.
#[inline]
fn token_key(bytes: &[u8], s: usize, e: usize, seed: u64) -> u64 {
    let len = e - s;
    if len <= 16 {
        let v = match bytes.get(s..s + 16) {
            Some(word) => u128::from_le_bytes(word.try_into().expect("16 bytes")),
            None => {
                let mut word = [0u8; 16];
                word[..len].copy_from_slice(&bytes[s..e]);
                u128::from_le_bytes(word)
            }
        };
        // Links start `http`: their keys are their hosts (`key_bytes`).
        if v as u32 != u32::from_le_bytes(*b"http") {
            // `len` is at least 1: the shift is at most 120.
            let v = v & (u128::MAX >> (128 - 8 * len));
            let lo = (v as u64) ^ seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let hi = ((v >> 64) as u64) ^ seed.rotate_left(29) ^ (len as u64);
            let p = u128::from(lo) * u128::from(hi);
            return avalanche((p as u64) ^ ((p >> 64) as u64) ^ seed.rotate_left(41));
        }
    }
    xxhash_rust::xxh3::xxh3_64_with_seed(key_bytes(&bytes[s..e]), seed)
}

/// xxh3's final mix: every input bit moves every output bit.
#[inline]
fn avalanche(mut h: u64) -> u64 {
    h ^= h >> 37;
    h = h.wrapping_mul(0x1656_6791_9E37_79F9);
    h ^ (h >> 32)
}

/// The part of a raw token that decides its normalisation, hashed as its cache key: the
/// whole token, except for a link whose path is plain (ASCII letters, digits, `/`, `_`,
/// `-`). Such a link normalises to `url:HOST` whatever its path (`https://t.co/AbC1` and
/// `https://t.co/xY9` are both `url:t.co`; the path holds no dot, so the link cannot end
/// in a truncation mark), so its key is its scheme and host, up to the slash after it.
/// Every link of a stream has its own path: they now share one cache entry per host
/// instead of each missing the cache and being normalised alone. A property test holds
/// the normalisation of such a link equal to that of its key.
#[inline]
fn key_bytes(tok: &[u8]) -> &[u8] {
    let rest = match tok {
        [b'h', b't', b't', b'p', b's', b':', b'/', b'/', rest @ ..]
        | [b'h', b't', b't', b'p', b':', b'/', b'/', rest @ ..] => rest,
        _ => return tok,
    };
    let Some(slash) = rest.iter().position(|&b| b == b'/') else {
        return tok;
    };
    let host = &rest[..slash];
    // What the normaliser takes as the host follows a `www.`; with none, the link stays
    // as it is, path and all.
    let named = host.strip_prefix(b"www.").unwrap_or(host);
    let host_ok = named.iter().any(|&b| b != b'.')
        && host
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let path = &rest[slash + 1..];
    let path_ok = path
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-'));
    if host_ok && path_ok {
        &tok[..tok.len() - path.len()]
    } else {
        tok
    }
}

static NEXT_MODEL_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_model_id() -> u64 {
    NEXT_MODEL_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Why a text scored as it did: its probability and the spans of the original text that
/// pushed it up most.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub probability: f32,
    /// Whether the text's features, all together, push it towards propaganda.
    pub evidence: bool,
    pub spans: Vec<raqib_model::TextSpan>,
}

impl Explanation {
    /// The explanation whose spans `fill` writes into a new list, returning the
    /// probability and whether the text has evidence.
    fn filled(fill: impl FnOnce(&mut Vec<raqib_model::TextSpan>) -> (f32, bool)) -> Explanation {
        let mut spans = Vec::new();
        let (probability, evidence) = fill(&mut spans);
        Explanation {
            probability,
            evidence,
            spans,
        }
    }

    /// The flag rule of [`Assessment::flagged`].
    pub fn flagged(&self, threshold: f32) -> bool {
        Assessment {
            probability: self.probability,
            evidence: self.evidence,
        }
        .flagged(threshold)
    }
}

/// A text's calibrated probability and whether its own features point towards propaganda.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assessment {
    pub probability: f32,
    /// The text's features, all together, push its margin above the bias. A text with no
    /// features, or only features never seen in training (an emoji, a new handle), has
    /// none.
    pub evidence: bool,
}

impl Assessment {
    /// The flag rule every command applies: the probability reaches the threshold *and*
    /// the text itself points that way. A text without evidence scores the model's prior
    /// (or below it); where the prior is high, as calibration on data that separate
    /// perfectly can make it (up to exactly 1), the threshold alone would flag "🤔" with
    /// nothing to show a reviewer.
    pub fn flagged(&self, threshold: f32) -> bool {
        self.evidence && self.probability >= threshold
    }
}

#[inline]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl Model {
    /// A model from weights in memory (after training); they are rounded to bfloat16
    /// precision (see the module's notes).
    pub fn from_parts(header: ModelHeader, weights: Vec<f32>) -> Model {
        let mask = (1u64 << header.features.bits) - 1;
        assert_eq!(
            weights.len() as u64,
            mask + 1,
            "weights must have 2^bits entries"
        );
        Model::with_weights(header, Weights::Owned(weights), mask)
    }

    /// The model with `weights` rounded to bfloat16 precision (mapped weights that already
    /// are stay mapped) and its scoring table.
    fn with_weights(header: ModelHeader, weights: Weights, mask: u64) -> Model {
        let mut m = Model {
            header,
            weights,
            bf16: Vec::new(),
            mask,
            id: next_model_id(),
        };
        // One pass: the table, and whether every weight already is a bfloat16 value.
        let mut exact = true;
        let bf16: Vec<u16> = m
            .weights()
            .iter()
            .map(|&w| {
                let b = bf16_bits(w);
                exact &= u32::from(b) << 16 == w.to_bits();
                b
            })
            .collect();
        if !exact {
            m.weights = Weights::Owned(bf16.iter().map(|&b| weight16(b)).collect());
        }
        m.bf16 = bf16;
        m
    }

    pub fn weights(&self) -> &[f32] {
        match &self.weights {
            Weights::Owned(v) => v,
            Weights::Mapped { map, offset, len } => {
                let bytes = &map[*offset..*offset + len * 4];
                // SAFETY: `load` checked that the slice is 4-byte aligned and in bounds, the
                // host is little-endian (checked at load), and every bit pattern is an f32.
                unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<f32>(), *len) }
            }
        }
    }

    /// Load a model file, memory-mapping its weights.
    pub fn load(path: impl AsRef<Path>) -> Result<Model, ModelError> {
        let path = path.as_ref();
        let p = path.display().to_string();
        let io = |e| ModelError::Io {
            path: p.clone(),
            error: e,
        };
        if path.is_dir() {
            return Err(ModelError::NotAModel { path: p });
        }
        let file = std::fs::File::open(path).map_err(io)?;
        // SAFETY: the map is read-only; a concurrent writer could change bytes under us,
        // but `raqib train` writes a new file and renames it, never in place.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        let (header, offset, len) = parse(&map, &p)?;
        let mask = (len as u64) - 1;
        let aligned = (map.as_ptr() as usize + offset).is_multiple_of(4);
        let weights = if aligned && cfg!(target_endian = "little") {
            Weights::Mapped { map, offset, len }
        } else {
            Weights::Owned(decode_weights(&map[offset..offset + len * 4]))
        };
        validated(header, weights, mask, &p)
    }

    /// A model from the bytes of a model file (for a model built into the binary).
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Model, ModelError> {
        let (header, offset, len) = parse(bytes, name)?;
        let weights = decode_weights(&bytes[offset..offset + len * 4]);
        validated(header, Weights::Owned(weights), (len as u64) - 1, name)
    }

    /// Write the model atomically: to `PATH.tmp`, synced, then renamed to `PATH`.
    pub fn save(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        let path = path.as_ref();
        let mut header = serde_json::to_vec(&self.header).map_err(std::io::Error::other)?;
        while (16 + header.len()) % 64 != 0 {
            header.push(b' ');
        }
        let mut buf = Vec::with_capacity(16 + header.len() + self.weights().len() * 4 + 8);
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&MODEL_FORMAT_VERSION.to_le_bytes());
        buf.extend_from_slice(&(header.len() as u32).to_le_bytes());
        buf.extend_from_slice(&header);
        for w in self.weights() {
            buf.extend_from_slice(&w.to_le_bytes());
        }
        let sum = xxhash_rust::xxh3::xxh3_64(&buf);
        buf.extend_from_slice(&sum.to_le_bytes());
        let tmp = path.with_extension("tmp");
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&buf)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    /// Feature indices of normalised text, into `idx`.
    pub fn indices(&self, norm: &Normalised, idx: &mut Vec<u32>) {
        idx.clear();
        let mask = self.mask;
        for_each_feature(&norm.chars, &self.header.features, |h, _, _| {
            idx.push((finish(h) & mask) as u32)
        });
    }

    /// The raw margin (log-odds before calibration) for a list of feature indices.
    #[inline]
    pub fn margin(&self, idx: &[u32]) -> f32 {
        let w = &self.bf16;
        let mut z = 0.0f32;
        for &i in idx {
            z += weight16(w[i as usize]);
        }
        self.header.bias + z * feature_scale(idx.len(), self.header.features.pad_to)
    }

    /// The calibrated probability for a raw margin.
    #[inline]
    pub fn calibrate(&self, margin: f32) -> f32 {
        sigmoid(self.header.platt_a * margin + self.header.platt_b)
    }

    /// The calibrated probability that `text` is propaganda.
    pub fn score(&self, text: &str, scratch: &mut Scratch) -> f32 {
        self.calibrate(self.cached_margin(text, scratch))
    }

    /// `text`'s probability, and whether its own features point towards propaganda
    /// (its margin is above the bias, the margin of a text with nothing the model knows).
    /// What every command flags by: see [`Assessment::flagged`].
    pub fn assess(&self, text: &str, scratch: &mut Scratch) -> Assessment {
        let margin = self.cached_margin(text, scratch);
        Assessment {
            probability: self.calibrate(margin),
            evidence: margin > self.header.bias,
        }
    }

    /// The raw margin of `text`, from its raw tokens' cached contributions.
    ///
    /// A cached raw token is not normalised again, which is most of the saving. In stages,
    /// so that memory misses overlap instead of queueing: split and hash the raw tokens;
    /// look each up; for the misses, normalise them alone and compute every feature index
    /// first, then sum the weights; finally the bigrams between raw tokens. The only
    /// normalisation rule that reaches across tokens is the joining of spaced-out letters;
    /// where two neighbouring raw tokens could take part in one, the text is scored by the
    /// exact, uncached path instead.
    pub fn cached_margin(&self, text: &str, scratch: &mut Scratch) -> f32 {
        if !self.lookup_tokens(text, scratch) {
            return self.uncached_margin(text, scratch);
        }
        if scratch.tokens.len() > LONG_TEXT_TOKENS {
            let Scratch {
                tokens,
                units,
                segment,
                ..
            } = &mut *scratch;
            self.cached_units(tokens, units);
            let (margin, part) = self.best_segment(units);
            *segment = Some(part);
            return margin;
        }
        let (mask, cfg) = (self.mask, &self.header.features);
        let Scratch {
            tokens, bigrams, ..
        } = &mut *scratch;
        let (mut z, mut n) = (0.0f32, 0u32);
        let mut prev: Option<u32> = None;
        bigrams.clear();
        for t in tokens.iter() {
            let e = &t.entry;
            z += e.sum;
            n += e.count;
            if e.has_words {
                if cfg.word_bigrams {
                    if let Some(p) = prev {
                        bigrams.push((finish(bigram(p, e.first_word)) & mask) as u32);
                    }
                }
                prev = Some(e.last_word);
            }
        }
        n += bigrams.len() as u32;
        z += bigrams
            .iter()
            .map(|&i| weight16(self.bf16[i as usize]))
            .sum::<f32>();
        self.header.bias + z * feature_scale(n as usize, self.header.features.pad_to)
    }

    /// Fill `scratch.tokens` with `text`'s raw tokens and their cached contributions
    /// (computing and caching the misses). `false` when spaced-out letters may join across
    /// raw tokens, where only the exact path is right.
    fn lookup_tokens(&self, text: &str, scratch: &mut Scratch) -> bool {
        if scratch.cache_owner != self.id {
            scratch.cache.clear();
            scratch.cache_owner = self.id;
        }
        let Scratch {
            token_norm,
            cache,
            tokens,
            ahead,
            ahead_text,
            ahead_valid,
            tokens_of,
            tokens_text,
            missed,
            idx,
            segment,
            ..
        } = &mut *scratch;
        *tokens_of = None;
        *segment = None;
        let (mask, cfg) = (self.mask, &self.header.features);
        let bytes = text.as_bytes();
        if *ahead_valid && ahead_text.as_slice() == bytes {
            *ahead_valid = false;
            std::mem::swap(tokens, ahead);
            // The copy becomes the tokens' text; their old one, the next copy's buffer.
            std::mem::swap(tokens_text, ahead_text);
        } else {
            split_raw_tokens(bytes, cache.seed, tokens);
            // Touch every token's set first, without branching on the contents, so that
            // the lookups below find them in cache instead of missing one after another.
            let touched = tokens.iter().fold(0u64, |acc, t| {
                acc ^ cache.sets()[cache.set(t.entry.key)].0[0].key
            });
            std::hint::black_box(touched);
            tokens_text.clear();
            tokens_text.extend_from_slice(bytes);
        }
        missed.clear();
        for (k, t) in tokens.iter_mut().enumerate() {
            match cache.get(t.entry.key) {
                Some(e) => t.entry = e,
                None => missed.push(k as u32),
            }
        }
        // Misses: normalise each alone; all feature indices first, then the sums.
        idx.clear();
        for &k in missed.iter() {
            let t = &mut tokens[k as usize];
            let norm = token_norm.run(&text[t.start as usize..t.end as usize]);
            // A right-to-left override reorders across raw tokens: the exact path. Such a
            // token is never cached, so it is always met here.
            if norm.overridden {
                return false;
            }
            let chars = &norm.chars;
            t.from = idx.len() as u32;
            let e = &mut t.entry;
            let (mut first, mut last): (Option<u32>, Option<u32>) = (None, None);
            let mut norm_tokens = 0usize;
            crate::features::for_each_token(chars, |ts, te| {
                norm_tokens += 1;
                let word = token_features(chars, ts, te, cfg, |h, _, _| {
                    idx.push((finish(h) & mask) as u32)
                });
                if let Some(h) = word {
                    if cfg.word_bigrams {
                        if let Some(p) = last {
                            idx.push((finish(bigram(p, h)) & mask) as u32);
                        }
                    }
                    first.get_or_insert(h);
                    last = Some(h);
                }
            });
            e.count = idx.len() as u32 - t.from;
            e.has_words = first.is_some();
            e.first_word = first.unwrap_or(0);
            e.last_word = last.unwrap_or(0);
            e.empty = norm_tokens == 0;
            e.single = norm_tokens == 1;
            e.edge_single = token_norm.edges_single();
        }
        for &k in missed.iter() {
            let t = &mut tokens[k as usize];
            let range = t.from as usize..(t.from + t.entry.count) as usize;
            t.entry.sum = idx[range]
                .iter()
                .map(|&j| weight16(self.bf16[j as usize]))
                .sum();
            cache.put(t.entry);
        }
        // Spaced-out letters across raw tokens: take the exact path.
        let mut prev_single = false;
        for t in tokens.iter().filter(|t| !t.entry.empty) {
            if prev_single && t.entry.edge_single {
                return false;
            }
            prev_single = t.entry.edge_single;
        }
        *tokens_of = Some(self.id);
        true
    }

    /// Split and hash `text`'s raw tokens and ask the CPU to load their cache sets, so that
    /// scoring it next (after other work) finds them in cache. A scanner calls this for
    /// the next post before it scores the current one; the result is the same either way.
    /// A scratch used so is taken to be streaming: its token cache asks for huge pages.
    pub fn prefetch(&self, text: &str, scratch: &mut Scratch) {
        scratch.cache.stream();
        if scratch.cache_owner != self.id {
            return;
        }
        split_raw_tokens(text.as_bytes(), scratch.cache.seed, &mut scratch.ahead);
        for t in &scratch.ahead {
            raqib_model::hint::prefetch(&scratch.cache.sets()[scratch.cache.set(t.entry.key)]);
        }
        scratch.ahead_text.clear();
        scratch.ahead_text.extend_from_slice(text.as_bytes());
        scratch.ahead_valid = true;
    }

    /// The raw margin of `text` computed from scratch: normalise it whole, sum every feature.
    pub fn uncached_margin(&self, text: &str, scratch: &mut Scratch) -> f32 {
        let Scratch {
            norm,
            idx,
            units,
            unit_of,
            starts,
            ..
        } = &mut *scratch;
        let norm = norm.run(text);
        if self.exact_units(text, norm, units, unit_of, starts) {
            return self.best_segment(units).0;
        }
        self.indices(norm, idx);
        self.margin(idx)
    }

    /// The margin of raw tokens `a..e` of a long text: their units' weights and the
    /// bigrams between them.
    fn units_margin(&self, units: &[Unit], a: usize, e: usize) -> f32 {
        let (mut z, mut n) = (0.0f32, 0u32);
        for u in &units[a..e] {
            z += u.z;
            n += u.n;
            if let Some((from, w)) = u.link {
                if from as usize >= a {
                    z += w;
                    n += 1;
                }
            }
        }
        self.header.bias + z * feature_scale(n as usize, self.header.features.pad_to)
    }

    /// A long text's highest margin: the whole text's, or a window's (its raw tokens'
    /// range), the first of equals, the whole first. Both scoring paths compute it from
    /// the same units in the same order, so they agree to the bit on which part wins.
    fn best_segment(&self, units: &[Unit]) -> (f32, Option<(usize, usize)>) {
        let n = units.len();
        let mut best = (self.units_margin(units, 0, n), None);
        if n <= LONG_TEXT_TOKENS {
            return best;
        }
        let last = n - WINDOW_TOKENS;
        for a in (0..last).step_by(WINDOW_STEP).chain(std::iter::once(last)) {
            let m = self.units_margin(units, a, a + WINDOW_TOKENS);
            if m > best.0 {
                best = (m, Some((a, a + WINDOW_TOKENS)));
            }
        }
        best
    }

    /// The units of the raw tokens looked up in `tokens` (from the token cache).
    fn cached_units(&self, tokens: &[Tok], units: &mut Vec<Unit>) {
        units.clear();
        let mut prev: Option<(u32, u32)> = None;
        for (i, t) in tokens.iter().enumerate() {
            let e = &t.entry;
            let mut u = Unit {
                z: e.sum,
                n: e.count,
                link: None,
            };
            if e.has_words {
                if let (Some((p, last)), true) = (prev, self.header.features.word_bigrams) {
                    let j = (finish(bigram(last, e.first_word)) & self.mask) as usize;
                    u.link = Some((p, weight16(self.bf16[j])));
                }
                prev = Some((i as u32, e.last_word));
            }
            units.push(u);
        }
    }

    /// For a text of more than [`LONG_TEXT_TOKENS`] raw tokens (else `false`, nothing done):
    /// its units from its whole normalisation `norm`, each normalised token given to the
    /// raw token its first character comes from, and which unit each normalised token is
    /// in. Summed in the order the token cache sums a raw token's features, so that the
    /// units are the cache's, bit for bit, wherever the cache can score the text.
    fn exact_units(
        &self,
        text: &str,
        norm: &Normalised,
        units: &mut Vec<Unit>,
        unit_of: &mut Vec<u32>,
        starts: &mut Vec<usize>,
    ) -> bool {
        starts.clear();
        starts.extend(raw_tokens(text.as_bytes()).map(|(s, _)| s));
        if starts.len() <= LONG_TEXT_TOKENS {
            return false;
        }
        units.clear();
        units.resize(starts.len(), Unit::default());
        unit_of.clear();
        let (w, mask, cfg) = (&self.bf16, self.mask, &self.header.features);
        let chars = &norm.chars;
        let mut prev: Option<(usize, u32)> = None;
        crate::features::for_each_token(chars, |ts, te| {
            let (s, _) = norm.original_range(text, ts, te);
            let ui = starts.partition_point(|&st| st <= s).saturating_sub(1);
            unit_of.push(ui as u32);
            let u = &mut units[ui];
            let word = token_features(chars, ts, te, cfg, |h, _, _| {
                u.z += weight16(w[(finish(h) & mask) as usize]);
                u.n += 1;
            });
            if let Some(h) = word {
                if let (Some((pu, ph)), true) = (prev, cfg.word_bigrams) {
                    let bw = weight16(w[(finish(bigram(ph, h)) & mask) as usize]);
                    if pu == ui {
                        u.z += bw;
                        u.n += 1;
                    } else {
                        u.link = Some((pu as u32, bw));
                    }
                }
                prev = Some((ui, h));
            }
        });
        true
    }

    /// Score `text` and name up to `k` spans of the original text that pushed the score up
    /// most. Every feature belongs to a token (a bigram is shared by its two), so a span is
    /// a whole word as posted, not a fragment, and its weight is the log-odds it added.
    ///
    /// From the token cache where it can (the same spans and weights as normalising the
    /// whole text: a property test checks it); only the raw tokens that normalise to more
    /// than one token, and the `k` chosen, are normalised again.
    pub fn explain(&self, text: &str, k: usize, scratch: &mut Scratch) -> Explanation {
        Explanation::filled(|spans| self.explain_into(text, k, scratch, spans))
    }

    /// [`Model::explain`] into `spans`, whose strings are written over (their memory kept):
    /// a scanner explaining post after post allocates nothing for their evidence once its
    /// list has grown. Returns the probability and whether the text has evidence.
    pub fn explain_into(
        &self,
        text: &str,
        k: usize,
        scratch: &mut Scratch,
        spans: &mut Vec<raqib_model::TextSpan>,
    ) -> (f32, bool) {
        let same = scratch.tokens_of == Some(self.id) && scratch.tokens_text == text.as_bytes();
        if !same && !self.lookup_tokens(text, scratch) {
            return self.explain_exact_into(text, k, scratch, spans, false);
        }
        let (w, mask, cfg) = (&self.bf16, self.mask, &self.header.features);
        let Scratch {
            token_norm,
            tokens,
            spans: memo,
            items,
            order,
            units,
            segment,
            ..
        } = &mut *scratch;
        // A long text is explained by the part that scored it: the whole, or a window
        // (as scoring just chose it, where it did).
        let part = if tokens.len() > LONG_TEXT_TOKENS {
            match segment {
                Some(part) => *part,
                None => {
                    self.cached_units(tokens, units);
                    self.best_segment(units).1
                }
            }
        } else {
            None
        };
        let (from, to) = part.unwrap_or((0, tokens.len()));
        // Every normalised token of that part, in order.
        items.clear();
        for (ri, t) in tokens.iter().enumerate().take(to).skip(from) {
            let e = &t.entry;
            if e.empty {
                continue;
            }
            if e.single {
                items.push(NormToken {
                    raw: ri as u32,
                    sub: None,
                    weight: e.sum,
                    count: e.count,
                    word: e.has_words.then_some(e.first_word),
                });
                continue;
            }
            let chars = &token_norm
                .run(&text[t.start as usize..t.end as usize])
                .chars;
            crate::features::for_each_token(chars, |ts, te| {
                let (mut sum, mut count) = (0.0f32, 0u32);
                let word = token_features(chars, ts, te, cfg, |h, _, _| {
                    sum += weight16(w[(finish(h) & mask) as usize]);
                    count += 1;
                });
                items.push(NormToken {
                    raw: ri as u32,
                    sub: Some((ts as u32, te as u32)),
                    weight: sum,
                    count,
                    word,
                });
            });
        }
        let n = items.iter().map(|t| t.count as usize).sum();
        let (z, gain) = self.weigh(items, n, k, order, false);
        for &(_, i) in order.iter() {
            let NormToken { raw, sub, .. } = items[i];
            let key = tokens[raw as usize].entry.key;
            memo.prefetch(key, sub.unwrap_or((u32::MAX, u32::MAX)));
        }
        let mut used = 0usize;
        for &(_, i) in order.iter() {
            let NormToken {
                raw: ri,
                sub,
                weight: wt,
                ..
            } = items[i];
            let t = &tokens[ri as usize];
            let raw = &text[t.start as usize..t.end as usize];
            let (feature, (s, e)) = memo.get(
                t.entry.key,
                sub.unwrap_or((u32::MAX, u32::MAX)),
                |feature| {
                    let norm = token_norm.run(raw);
                    let (a, b) = match sub {
                        Some((a, b)) => (a as usize, b as usize),
                        None => {
                            let mut only = (0, 0);
                            crate::features::for_each_token(&norm.chars, |ts, te| only = (ts, te));
                            only
                        }
                    };
                    feature.extend(&norm.chars[a..b]);
                    norm.original_range(raw, a, b)
                },
            );
            let (s, e) = (s + t.start as usize, e + t.start as usize);
            set_span(spans, used, s, e, &text[s..e], feature, wt * gain);
            used += 1;
        }
        spans.truncate(used);
        (self.calibrate(z), z > self.header.bias)
    }

    /// Add each word bigram's weight to its two tokens, half each; then the margin, the
    /// factor from a token's weight to its log-odds, and the tokens that pushed the score
    /// up, strongest first, at most `k` of them. `n` counts the tokens' own features.
    fn weigh(
        &self,
        items: &mut [NormToken],
        mut n: usize,
        k: usize,
        order: &mut Vec<(f32, usize)>,
        against: bool,
    ) -> (f32, f32) {
        let (w, mask, cfg) = (&self.bf16, self.mask, &self.header.features);
        let mut prev: Option<(u32, usize)> = None;
        for i in 0..items.len() {
            if let Some(h) = items[i].word {
                if cfg.word_bigrams {
                    if let Some((p, pi)) = prev {
                        let bw = weight16(w[(finish(bigram(p, h)) & mask) as usize]);
                        n += 1;
                        items[pi].weight += bw / 2.0;
                        items[i].weight += bw / 2.0;
                    }
                }
                prev = Some((h, i));
            }
        }
        let scale = feature_scale(n, self.header.features.pad_to);
        let z = self.header.bias + items.iter().map(|t| t.weight).sum::<f32>() * scale;
        if against {
            strongest(items.iter().map(|t| -t.weight), k, order);
        } else {
            strongest(items.iter().map(|t| t.weight), k, order);
        }
        (z, scale * self.header.platt_a)
    }

    /// [`Model::explain`] by normalising the whole text.
    pub fn explain_exact(&self, text: &str, k: usize, scratch: &mut Scratch) -> Explanation {
        Explanation::filled(|spans| self.explain_exact_into(text, k, scratch, spans, false))
    }

    /// The other side of [`Model::explain`]: the `k` words that pull the score down most,
    /// their weights negative, strongest first (of the part of a long text that scored it).
    /// What held back a post that was missed; a reviewer's question, not a scan's, so it
    /// takes the exact path.
    ///
    /// Words whose weight rounds to 0 (as reported, to three places) are left out: they
    /// hold nothing down.
    pub fn explain_against(&self, text: &str, k: usize, scratch: &mut Scratch) -> Explanation {
        let mut e =
            Explanation::filled(|spans| self.explain_exact_into(text, k, scratch, spans, true));
        e.spans.retain(|sp| sp.weight < 0.0);
        e
    }

    fn explain_exact_into(
        &self,
        text: &str,
        k: usize,
        scratch: &mut Scratch,
        spans: &mut Vec<raqib_model::TextSpan>,
        against: bool,
    ) -> (f32, bool) {
        let Scratch {
            norm,
            items,
            order,
            units,
            unit_of,
            starts,
            ..
        } = &mut *scratch;
        let norm = norm.run(text);
        let chars = &norm.chars;
        let (w, mask, cfg) = (&self.bf16, self.mask, &self.header.features);
        // A long text is explained by the part that scored it: the whole, or a window.
        let part = if self.exact_units(text, norm, units, unit_of, starts) {
            self.best_segment(units).1
        } else {
            None
        };
        // Every normalised token, its range in the whole text's normalisation.
        items.clear();
        crate::features::for_each_token(chars, |ts, te| {
            let (mut sum, mut count) = (0.0f32, 0u32);
            let word = token_features(chars, ts, te, cfg, |h, _, _| {
                sum += weight16(w[(finish(h) & mask) as usize]);
                count += 1;
            });
            items.push(NormToken {
                raw: 0,
                sub: Some((ts as u32, te as u32)),
                weight: sum,
                count,
                word,
            });
        });
        if let Some((a, e)) = part {
            let mut at = 0;
            items.retain(|_| {
                at += 1;
                (a..e).contains(&(unit_of[at - 1] as usize))
            });
        }
        let n = items.iter().map(|t| t.count as usize).sum();
        let (z, gain) = self.weigh(items, n, k, order, against);
        let mut feature = String::new();
        let mut used = 0usize;
        for &(_, i) in order.iter() {
            let (a, b) = items[i].sub.expect("set for every token");
            let (a, b, wt) = (a as usize, b as usize, items[i].weight);
            let (s, e) = norm.original_range(text, a, b);
            feature.clear();
            feature.extend(&chars[a..b]);
            set_span(spans, used, s, e, &text[s..e], &feature, wt * gain);
            used += 1;
        }
        spans.truncate(used);
        (self.calibrate(z), z > self.header.bias)
    }
}

/// Write span number `i` of `spans` (made if the list is shorter), its strings written
/// over so that their memory is kept. The weight is rounded to three places, as reported.
fn set_span(
    spans: &mut Vec<raqib_model::TextSpan>,
    i: usize,
    start: usize,
    end: usize,
    text: &str,
    feature: &str,
    weight: f32,
) {
    if spans.len() == i {
        spans.push(raqib_model::TextSpan {
            start: 0,
            end: 0,
            text: String::new(),
            feature: String::new(),
            weight: 0.0,
            media: None,
        });
    }
    let sp = &mut spans[i];
    sp.media = None;
    sp.start = start;
    sp.end = end;
    sp.text.clear();
    sp.text.push_str(text);
    sp.feature.clear();
    sp.feature.push_str(feature);
    sp.weight = (weight * 1000.0).round() / 1000.0;
}

/// Refuse a model whose numbers cannot score: a NaN or infinite weight, bias or Platt
/// parameter would make every score NaN, and a NaN flags nothing, silently.
/// The model, once its header and weights are checked (every weight a finite number).
fn validated(
    header: ModelHeader,
    weights: Weights,
    mask: u64,
    path: &str,
) -> Result<Model, ModelError> {
    let h = &header;
    let corrupt = |what: &str| {
        Err(ModelError::Corrupt {
            path: path.to_string(),
            what: what.to_string(),
        })
    };
    if ![h.bias, h.platt_a, h.platt_b].iter().all(|x| x.is_finite()) {
        return corrupt("bias or calibration is not a finite number");
    }
    if !(0.0..=1.0).contains(&h.threshold) {
        return corrupt("threshold is outside 0..1");
    }
    let w: &[f32] = match &weights {
        Weights::Owned(v) => v,
        Weights::Mapped { map, offset, len } => {
            let bytes = &map[*offset..*offset + len * 4];
            // SAFETY: as in `Model::weights`: checked aligned, in bounds, little-endian.
            unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<f32>(), *len) }
        }
    };
    if let Some(i) = w.iter().position(|w| !w.is_finite()) {
        return corrupt(&format!("weight {i} is not a finite number"));
    }
    Ok(Model::with_weights(header, weights, mask))
}

fn decode_weights(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().expect("chunks of 4")))
        .collect()
}

/// Check a model file's bytes; return its header and where its weights are.
fn parse(map: &[u8], p: &str) -> Result<(ModelHeader, usize, usize), ModelError> {
    let p = p.to_string();
    let corrupt = |what: &str| ModelError::Corrupt {
        path: p.clone(),
        what: what.to_string(),
    };
    if map.len() < 8 || &map[..8] != MAGIC {
        return Err(ModelError::NotAModel { path: p.clone() });
    }
    if map.len() < 24 {
        return Err(corrupt("file is truncated"));
    }
    let version = u32::from_le_bytes(map[8..12].try_into().expect("4 bytes"));
    if version != MODEL_FORMAT_VERSION {
        return Err(ModelError::Version {
            path: p.clone(),
            found: version,
        });
    }
    let hlen = u32::from_le_bytes(map[12..16].try_into().expect("4 bytes")) as usize;
    let body_end = map.len() - 8;
    if 16 + hlen > body_end {
        return Err(corrupt("file is truncated (header runs past the end)"));
    }
    let stored = u64::from_le_bytes(map[body_end..].try_into().expect("8 bytes"));
    if xxhash_rust::xxh3::xxh3_64(&map[..body_end]) != stored {
        return Err(corrupt(
            "checksum mismatch; the file was damaged or truncated: retrain or copy it again",
        ));
    }
    let header: ModelHeader = serde_json::from_slice(&map[16..16 + hlen])
        .map_err(|e| corrupt(&format!("bad header: {e}")))?;
    // A features v4 model has no `pad_to`: read as 0, it scores as it did.
    let padded_or_not = header.features_version == FEATURES_VERSION
        || (header.features_version == FEATURES_VERSION_UNPADDED && header.features.pad_to == 0);
    // A normaliser v4 or v5 model reads texts as it did: v5 and v6 change only how texts
    // with characters (or a `!` between letters) the older one left alone read (see
    // `NORMALISER_VERSION`).
    let normaliser_read =
        (NORMALISER_READS_FROM..=NORMALISER_VERSION).contains(&header.normaliser_version);
    if !normaliser_read || !padded_or_not {
        return Err(ModelError::Incompatible {
            path: p,
            norm: header.normaliser_version,
            feat: header.features_version,
        });
    }
    if !(1..=30).contains(&header.features.bits) {
        return Err(corrupt("bits out of range"));
    }
    let len = 1usize << header.features.bits;
    let offset = 16 + hlen;
    if body_end - offset != len * 4 {
        return Err(corrupt("weight table has the wrong size"));
    }
    Ok((header, offset, len))
}

/// The places of the `k` largest positive weights, largest first, ties in order of place:
/// the first `k` of a stable sort by weight, descending, without sorting the rest (a
/// flagged post has a dozen or more tokens that push its score up, and five are shown).
fn strongest(weights: impl Iterator<Item = f32>, k: usize, top: &mut Vec<(f32, usize)>) {
    // Into a list kept from call to call (no allocation), shifted by swaps: a memmove
    // call and a fresh list per flagged post were a tenth of what choosing cost.
    top.clear();
    if k == 0 {
        return;
    }
    for (i, w) in weights.enumerate() {
        // Not positive (NaN included), or not larger than the k-th: out (an equal weight
        // came later, so it ranks after).
        let positive = w > 0.0;
        if !positive {
            continue;
        }
        if top.len() == k {
            if w <= top[k - 1].0 {
                continue;
            }
            top.pop();
        }
        // After every weight at least as large: ties stay in order of place.
        let mut j = top.len();
        top.push((w, i));
        while j > 0 && top[j - 1].0 < w {
            top.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {

    proptest::proptest! {
        /// The share of dev negatives flagged at a threshold, from the kept scores: exact
        /// while the threshold flags no more than are kept, a lower bound past that.
        #[test]
        fn negatives_flagged_at_a_threshold(
            scores in proptest::collection::vec(0.0f32..1.0, 0..2500),
            t in 0.0f32..1.0,
        ) {
            let n = NegativeScores::new(scores.clone());
            proptest::prop_assert_eq!(n.count, scores.len() as u64);
            proptest::prop_assert!(n.top.len() <= NegativeScores::KEPT);
            proptest::prop_assert!(n.top.windows(2).all(|w| w[0] >= w[1]));
            let above = scores.iter().filter(|&&s| s >= t).count();
            match n.share_at(t) {
                None => proptest::prop_assert!(scores.is_empty()),
                Some(share) => {
                    let exact = above as f64 / scores.len() as f64;
                    if above <= NegativeScores::KEPT {
                        proptest::prop_assert_eq!(share, exact);
                    } else {
                        proptest::prop_assert_eq!(share, NegativeScores::KEPT as f64 / scores.len() as f64);
                    }
                }
            }
        }
    }
    use super::*;
    use proptest::prelude::*;

    /// The definition: maximal runs of bytes that are not raw spaces, one at a time.
    fn naive(bytes: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            while i < bytes.len() && is_raw_space(bytes[i]) {
                i += 1;
            }
            let s = i;
            while i < bytes.len() && !is_raw_space(bytes[i]) {
                i += 1;
            }
            if i > s {
                out.push((s, i));
            }
        }
        out
    }

    fn byte() -> impl Strategy<Value = u8> {
        // Spaces and their neighbours (0x20/0x21, 0x7e-0x80, 0xa0) often, so
        // tokens are short and edges fall everywhere in a block.
        prop_oneof![
            Just(b' '),
            Just(b'\n'),
            Just(0u8),
            Just(0x1f),
            Just(0x21),
            Just(0x7f),
            Just(0x7e),
            Just(0x80),
            Just(0xa0),
            Just(b'a'),
            any::<u8>(),
        ]
    }

    proptest! {
        #[test]
        fn raw_tokens_are_the_runs_between_raw_spaces(
            bytes in proptest::collection::vec(byte(), 0..300),
        ) {
            prop_assert_eq!(raw_tokens(&bytes).collect::<Vec<_>>(), naive(&bytes));
        }

        /// A link keyed by its scheme and host normalises as that key does, so the two
        /// may share a cache entry; a token not so keyed is its own key.
        #[test]
        fn a_link_normalises_as_its_key(
            scheme in "(https?|HTTPS|ftp)://(www\\.)?",
            host in "[a-zA-Z0-9.\\-]{0,10}",
            tail in "(/[a-zA-Z0-9/_\\-]{0,10}|/[a-z0-9/._?#&%;:@…]{0,10}|[.?#:]{0,3})",
        ) {
            let tok = format!("{scheme}{host}{tail}");
            let key = key_bytes(tok.as_bytes());
            let key = std::str::from_utf8(key).expect("cut at an ASCII slash");
            let (mut a, mut b) = (Normaliser::default(), Normaliser::default());
            prop_assert_eq!(&a.run(&tok).chars, &b.run(key).chars, "{:?} keyed {:?}", tok, key);
            prop_assert_eq!(a.edges_single(), b.edges_single());
            if key != tok {
                prop_assert!(a.run(&tok).chars.starts_with(&['u', 'r', 'l', ':']), "{:?}", tok);
            }
        }

        #[test]
        fn space_mask_marks_each_byte(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let m = space_mask(&bytes);
            for i in 0..64 {
                let want = bytes.get(i).is_none_or(|&b| is_raw_space(b));
                prop_assert_eq!(m >> i & 1 == 1, want, "byte {}", i);
            }
        }
    }

    /// Each token cache keys its raw tokens with a seed of its own, so a key cannot be
    /// known ahead (a token crafted to share a common word's key would score as it); what
    /// a text scores does not depend on the seed.
    #[test]
    fn each_cache_keys_tokens_with_its_own_seed() {
        let (a, b) = (Scratch::default(), Scratch::default());
        assert_ne!(a.cache.seed, b.cache.seed);
        let (mut ta, mut tb) = (Vec::new(), Vec::new());
        split_raw_tokens(b"join the soldiers", a.cache.seed, &mut ta);
        split_raw_tokens(b"join the soldiers", b.cache.seed, &mut tb);
        assert!(ta.iter().zip(&tb).all(|(x, y)| x.entry.key != y.entry.key));
    }

    proptest! {
        /// A raw token's key is the token's, wherever it stands: in the middle of a text
        /// (read 16 bytes at a time, the rest masked), at its end (copied into zeros), or
        /// alone; two different tokens have different keys; and a link's key is its host's,
        /// whatever its length.
        #[test]
        fn a_tokens_key_is_its_own_wherever_it_stands(
            a in "[a-zA-Z0-9#@.,ـ\u{0627}-\u{064a}é]{1,20}",
            b in "[a-zA-Z0-9#@.,ـ\u{0627}-\u{064a}é]{1,20}",
            before in "[a-z ]{0,20}",
            after in "[a-z]{0,20}",
            seed in any::<u64>(),
        ) {
            let key = |text: &str, tok: &str| {
                let s = text.find(tok).unwrap();
                token_key(text.as_bytes(), s, s + tok.len(), seed)
            };
            let alone = key(&a, &a);
            prop_assert_eq!(key(&format!("{before} {a}"), &a), alone);
            prop_assert_eq!(key(&format!("{a} {after}"), &a), alone);
            prop_assert_eq!(key(&format!("{a} {after} and some more text"), &a), alone);
            if a != b {
                prop_assert_ne!(key(&b, &b), alone);
            }
            for link in ["https://t.co/", "https://example.org/some/long/path/"] {
                let l1 = format!("{link}{a}");
                let l2 = format!("{link}{b}");
                let plain = |t: &str| t.bytes().all(|c| c.is_ascii_alphanumeric());
                if plain(&a) && plain(&b) {
                    prop_assert_eq!(key(&format!("{l1} x"), &l1), key(&l2, &l2));
                }
            }
        }
    }

    #[test]
    fn weights_round_to_the_nearest_bfloat16_ties_to_even() {
        // 1 + 2^-8 lies half way between 1 and 1 + 2^-7: to the even one, 1.
        assert_eq!(round_weight(1.0 + 1.0 / 256.0), 1.0);
        // 1 + 3·2^-8 lies half way between 1 + 2^-7 and 1 + 2^-6: to the even, 1 + 2^-6.
        assert_eq!(round_weight(1.0 + 3.0 / 256.0), 1.0 + 1.0 / 64.0);
        assert_eq!(round_weight(1.0 + 1.0 / 200.0), 1.0 + 1.0 / 128.0);
        assert_eq!(round_weight(-0.75), -0.75);
        assert_eq!(round_weight(0.0), 0.0);
        // The largest finite f32 would round up to infinity: it is cut instead.
        assert!(round_weight(f32::MAX).is_finite());
        assert!(round_weight(f32::MIN).is_finite());
    }

    proptest! {
        /// The strongest `k` are the first `k` of a stable sort by weight, descending,
        /// of the positive weights (ties, zeros and negatives drawn often).
        #[test]
        fn the_strongest_are_a_stable_sorts_first(
            ws in proptest::collection::vec(prop_oneof![
                Just(0.0f32), Just(1.0), Just(-1.0), Just(2.5), -4.0f32..4.0,
            ], 0..40),
            k in 0usize..8,
        ) {
            let mut sorted: Vec<usize> = (0..ws.len()).filter(|&i| ws[i] > 0.0).collect();
            sorted.sort_by(|&x, &y| ws[y].total_cmp(&ws[x]));
            sorted.truncate(k);
            // Into a list that held something before: it is replaced, not added to.
            let mut got = vec![(9.0, 99), (8.0, 98)];
            strongest(ws.iter().copied(), k, &mut got);
            prop_assert_eq!(got.iter().map(|&(_, i)| i).collect::<Vec<_>>(), sorted);
            prop_assert!(got.iter().all(|&(w, i)| w == ws[i]));
        }
    }

    proptest! {
        /// A weight scores with its bfloat16 rounding: within half a unit of its eighth
        /// significant bit (at most 2^-8 of it, 0.4%), exactly representable, so rounding
        /// again changes nothing, and the table scoring reads holds the same value.
        #[test]
        fn a_rounded_weight_is_near_exact_and_stable(x in proptest::num::f32::NORMAL) {
            let r = round_weight(x);
            prop_assert!(r.is_finite());
            prop_assert!((r - x).abs() <= x.abs() / 256.0, "{} -> {}", x, r);
            prop_assert_eq!(round_weight(r), r);
            prop_assert_eq!(weight16(bf16_bits(x)), r);
        }

        /// A model made from any weights scores with their rounding, and its two tables
        /// (the f32 one saving and checking read, the bfloat16 one scoring reads) agree.
        #[test]
        fn a_model_holds_its_weights_rounded_in_both_tables(
            ws in proptest::collection::vec(-8.0f32..8.0, 16),
        ) {
            let cfg = crate::features::FeatureConfig {
                bits: 4,
                ..Default::default()
            };
            let header = ModelHeader {
                dev_negatives: None,
                normaliser_version: NORMALISER_VERSION,
                features_version: FEATURES_VERSION,
                features: cfg,
                bias: 0.0,
                platt_a: 1.0,
                platt_b: 0.0,
                threshold: 0.5,
                training: serde_json::Value::Null,
            };
            let m = Model::from_parts(header, ws.clone());
            for (i, w) in ws.iter().enumerate() {
                prop_assert_eq!(m.weights()[i], round_weight(*w));
                prop_assert_eq!(weight16(m.bf16[i]), m.weights()[i]);
            }
        }
    }

    #[test]
    fn tokens_across_block_edges() {
        // A token that spans the 64-byte edge, one that ends on it, text ending in a token.
        let mut t = vec![b'x'; 70];
        t[10] = b' ';
        t[63] = b'\t';
        assert_eq!(
            raw_tokens(&t).collect::<Vec<_>>(),
            vec![(0, 10), (11, 63), (64, 70)]
        );
        let t = [b' '; 130];
        assert_eq!(raw_tokens(&t).count(), 0);
        assert_eq!(raw_tokens(b"").count(), 0);
        assert_eq!(
            raw_tokens("داعش\u{7f}x".as_bytes()).collect::<Vec<_>>(),
            vec![(0, 8), (9, 10)]
        );
    }
}
