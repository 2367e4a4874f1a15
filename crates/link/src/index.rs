//! The suspended-account index: every fingerprint's blocking keys (handle stem, consonant
//! keys, bio MinHash bands, external references) in one sorted array, avatars in a PDQ
//! index. A query looks up its own keys, so it meets only accounts that share one, never
//! all pairs; candidates are then scored by [`crate::score`].
//!
//! **Invariant:** a key shared by more than [`MAX_BUCKET`] suspended accounts (a common
//! name, a popular channel) does not produce candidates by itself; its count still lowers
//! the weight of that evidence.

use raqib_media::index::HashIndex;
use raqib_model::hashed::U64Map;
use serde::Serialize;

use crate::fingerprint::{key, tag, Fingerprint, BIO_BANDS, BIO_ROWS};
use crate::score::{explain, features, sigmoid, Features, KeyCounts, Reason, Weights, WEIGHTS};

/// Buckets larger than this are too common to propose candidates.
pub const MAX_BUCKET: usize = 200;
/// At most this many candidates per query are scored (those sharing most keys).
pub const MAX_CANDIDATES: usize = 64;
/// Avatars within this PDQ distance are candidates by themselves (each of 16 chunks looked
/// up exactly, so the lookup is cheap); a candidate found by another key still gets avatar
/// evidence up to distance 31.
pub const AVATAR_RADIUS: u32 = 15;

fn bio_keys(sig: &[u32]) -> impl Iterator<Item = u64> + '_ {
    (0..if sig.is_empty() { 0 } else { BIO_BANDS })
        .map(move |b| raqib_text::minhash::band_key(sig, b, BIO_ROWS) ^ tag::BIO)
}

/// The key of a display name: its word set.
pub(crate) fn name_key(words: &[u64]) -> u64 {
    words
        .iter()
        .fold(tag::NAME, |h, w| raqib_text::features::finish(h ^ w))
        .max(1)
}

/// The key of an account id on a platform.
fn id_key(platform: &str, id: &str) -> u64 {
    let mut b = Vec::with_capacity(platform.len() + id.len() + 1);
    b.extend_from_slice(platform.as_bytes());
    b.push(0);
    b.extend_from_slice(id.as_bytes());
    xxhash_rust::xxh3::xxh3_64(&b)
}

/// The blocking keys of a fingerprint.
pub fn keys_of(fp: &Fingerprint, out: &mut Vec<u64>) {
    out.clear();
    if fp.stem.len() >= 3 {
        out.push(key(tag::STEM, fp.stem.as_bytes()));
    }
    for c in [fp.handle_cons, fp.name_cons] {
        if c != 0 {
            out.push(c);
        }
    }
    if !fp.name_words.is_empty() {
        out.push(name_key(&fp.name_words));
    }
    for r in fp.refs.iter() {
        out.push(key(tag::REF, r.as_bytes()));
    }
    if fp.bio_words >= 3 {
        out.extend(bio_keys(&crate::fingerprint::bio_signature(&fp.bio_set)));
    }
    out.sort_unstable();
    out.dedup();
}

/// A suspended account a query was linked to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub platform: String,
    pub id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub handle: String,
    /// Probability-like score in [0, 1] from the linking model.
    #[serde(serialize_with = "crate::score::ser_round")]
    pub score: f32,
    /// Whether the link was made without the posts (style, hours).
    pub profile_only: bool,
    pub reasons: Vec<Reason>,
    #[serde(skip)]
    pub features: Features,
}

/// An index of suspended accounts.
#[derive(Default)]
pub struct SuspendedIndex {
    fps: Vec<Fingerprint>,
    live: Vec<bool>,
    /// Hash of (platform, id) to fingerprint number. A 64-bit collision between two ids is
    /// checked against the fingerprint and treated as a different account.
    by_id: U64Map<u32>,
    /// (key, fingerprint number), sorted, built by [`SuspendedIndex::build`].
    sorted: Vec<(u64, u32)>,
    /// `dir[p]..dir[p + 1]` is the range of `sorted` whose keys have top 16 bits `p`.
    dir: Vec<u32>,
    /// Keys of fingerprints added since the last build.
    recent: U64Map<Vec<u32>>,
    avatars: HashIndex,
    weights: Option<Weights>,
    /// Bios each word appears in, over live and dead entries alike.
    bio_df: U64Map<u32>,
}

/// What [`SuspendedIndex::insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    New,
    /// An entry with the same platform and id was there; it was replaced.
    Replaced,
}

impl SuspendedIndex {
    /// Build an index from fingerprints in one pass, on `threads` threads. Later entries
    /// with the same platform and id replace earlier ones.
    pub fn build(fps: Vec<Fingerprint>, threads: usize) -> SuspendedIndex {
        let mut idx = SuspendedIndex::default();
        let n = fps.len();
        idx.live = vec![true; n];
        for (i, fp) in fps.iter().enumerate() {
            if let Some(old) = idx.by_id.insert(id_key(&fp.platform, &fp.id), i as u32) {
                let o = &fps[old as usize];
                if o.platform == fp.platform && o.id == fp.id {
                    idx.live[old as usize] = false;
                }
            }
        }
        let threads = threads.clamp(1, 64);
        let per = n.div_ceil(threads).max(1);
        let parts: Vec<Vec<(u64, u32)>> = std::thread::scope(|s| {
            let hs: Vec<_> = fps
                .chunks(per)
                .enumerate()
                .map(|(t, chunk)| {
                    let live = &idx.live;
                    s.spawn(move || {
                        let mut out = Vec::with_capacity(chunk.len() * 24);
                        let mut ks = Vec::new();
                        for (j, fp) in chunk.iter().enumerate() {
                            let i = (t * per + j) as u32;
                            if !live[i as usize] {
                                continue;
                            }
                            keys_of(fp, &mut ks);
                            out.extend(ks.iter().map(|&k| (k, i)));
                        }
                        out.sort_unstable();
                        out
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("index thread"))
                .collect()
        });
        idx.sorted = merge_sorted(parts);
        idx.dir = directory(&idx.sorted);
        for (i, fp) in fps.iter().enumerate() {
            if idx.live[i] {
                for &w in &fp.bio_set {
                    *idx.bio_df.entry(w).or_default() += 1;
                }
            }
        }
        for (i, fp) in fps.iter().enumerate() {
            if let (true, Some(a)) = (idx.live[i], fp.avatar) {
                idx.avatars.add(a, i as u32);
            }
        }
        idx.fps = fps;
        idx
    }

    /// Use other weights than the fitted ones (the benchmark's fitting does).
    pub fn set_weights(&mut self, w: Weights) {
        self.weights = Some(w);
    }

    pub fn weights(&self) -> Weights {
        self.weights.unwrap_or(WEIGHTS)
    }

    /// Add one fingerprint; it is found from the next query on.
    pub fn insert(&mut self, fp: Fingerprint) -> Inserted {
        let i = self.fps.len() as u32;
        let res = match self.by_id.insert(id_key(&fp.platform, &fp.id), i) {
            Some(old)
                if self.fps[old as usize].platform == fp.platform
                    && self.fps[old as usize].id == fp.id =>
            {
                self.live[old as usize] = false;
                Inserted::Replaced
            }
            _ => Inserted::New,
        };
        let mut ks = Vec::new();
        keys_of(&fp, &mut ks);
        for k in ks {
            self.recent.entry(k).or_default().push(i);
        }
        if let Some(a) = fp.avatar {
            self.avatars.add(a, i);
        }
        for &w in &fp.bio_set {
            *self.bio_df.entry(w).or_default() += 1;
        }
        self.fps.push(fp);
        self.live.push(true);
        res
    }

    /// Remove an account; false when it was not there.
    pub fn remove(&mut self, platform: &str, id: &str) -> bool {
        let k = id_key(platform, id);
        match self.by_id.get(&k) {
            Some(&i)
                if &*self.fps[i as usize].platform == platform
                    && &*self.fps[i as usize].id == id =>
            {
                self.live[i as usize] = false;
                self.by_id.remove(&k);
                true
            }
            _ => false,
        }
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn get(&self, platform: &str, id: &str) -> Option<&Fingerprint> {
        self.by_id
            .get(&id_key(platform, id))
            .map(|&i| &self.fps[i as usize])
            .filter(|f| &*f.platform == platform && &*f.id == id)
    }

    /// Live fingerprints, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &Fingerprint> {
        self.fps
            .iter()
            .zip(&self.live)
            .filter(|(_, l)| **l)
            .map(|(f, _)| f)
    }

    /// Bytes of heap the key arrays use (for the benchmark).
    pub fn key_bytes(&self) -> usize {
        self.sorted.capacity() * 12
    }

    fn bucket(&self, k: u64) -> (&[(u64, u32)], &[u32]) {
        let (lo, hi) = if self.dir.is_empty() {
            (0, 0)
        } else {
            let p = (k >> 48) as usize;
            (self.dir[p] as usize, self.dir[p + 1] as usize)
        };
        let part = &self.sorted[lo..hi];
        let a = part.partition_point(|e| e.0 < k);
        let b = a + part[a..].partition_point(|e| e.0 == k);
        let (lo, hi) = (lo + a, lo + b);
        let recent = self.recent.get(&k).map_or(&[][..], Vec::as_slice);
        (&self.sorted[lo..hi], recent)
    }

    fn count(&self, k: u64) -> usize {
        let (a, b) = self.bucket(k);
        a.len() + b.len()
    }

    /// Suspended accounts the query shares keys with, most keys first.
    pub fn candidates(&self, q: &Fingerprint) -> Vec<u32> {
        let mut ks = Vec::new();
        keys_of(q, &mut ks);
        let mut all: Vec<u32> = Vec::new();
        for k in ks {
            let (a, b) = self.bucket(k);
            if a.len() + b.len() > MAX_BUCKET {
                continue;
            }
            all.extend(a.iter().map(|(_, i)| *i).chain(b.iter().copied()));
        }
        if let Some(a) = &q.avatar {
            for h in self.avatars.search(a, AVATAR_RADIUS) {
                // An avatar match counts as two keys.
                all.push(h.payload);
                all.push(h.payload);
            }
        }
        all.retain(|&i| self.live[i as usize]);
        all.sort_unstable();
        let mut v: Vec<(u32, u32)> = Vec::new();
        for &i in &all {
            match v.last_mut() {
                Some((j, n)) if *j == i => *n += 1,
                _ => v.push((i, 1)),
            }
        }
        v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(MAX_CANDIDATES);
        v.into_iter().map(|(i, _)| i).collect()
    }

    /// The query's features against every candidate (for fitting and evaluation).
    pub fn candidate_features(&self, q: &Fingerprint) -> Vec<(u32, Features)> {
        self.candidates(q)
            .into_iter()
            .filter(|&i| {
                let c = &self.fps[i as usize];
                !(c.platform == q.platform && c.id == q.id)
            })
            .map(|i| (i, features(q, &self.fps[i as usize], self)))
            .collect()
    }

    pub fn fingerprint(&self, i: u32) -> &Fingerprint {
        &self.fps[i as usize]
    }

    /// Suspended accounts linked to `q` with score ≥ `min_score`, best first, at most
    /// `limit`. The query itself (same platform and id) is never its own link.
    pub fn link(&self, q: &Fingerprint, min_score: f32, limit: usize) -> Vec<Link> {
        let w = self.weights();
        let mut scored: Vec<(f32, u32, Features)> = self
            .candidate_features(q)
            .into_iter()
            .map(|(i, f)| (sigmoid(f.logit(&w)), i, f))
            .filter(|(s, _, _)| *s >= min_score)
            .collect();
        scored.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| self.fps[a.1 as usize].id.cmp(&self.fps[b.1 as usize].id))
        });
        scored.truncate(limit);
        scored
            .into_iter()
            .map(|(score, i, f)| {
                let c = &self.fps[i as usize];
                Link {
                    platform: c.platform.to_string(),
                    id: c.id.to_string(),
                    handle: c.handle.to_string(),
                    score: (score * 1000.0).round() / 1000.0,
                    profile_only: !f.uses_posts(&w),
                    reasons: explain(q, c, &f, &w),
                    features: f,
                }
            })
            .collect()
    }
}

impl std::fmt::Debug for SuspendedIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SuspendedIndex({} accounts)", self.len())
    }
}

impl KeyCounts for SuspendedIndex {
    fn stem(&self, stem: &str) -> usize {
        self.count(key(tag::STEM, stem.as_bytes()))
    }
    fn cons(&self, cons: u64) -> usize {
        self.count(cons)
    }
    fn name(&self, words: &[u64]) -> usize {
        self.count(name_key(words))
    }
    fn reference(&self, r: &str) -> usize {
        self.count(key(tag::REF, r.as_bytes()))
    }
    fn bio_word(&self, w: u64) -> usize {
        self.bio_df.get(&w).copied().unwrap_or(0) as usize
    }
    fn total(&self) -> usize {
        self.by_id.len()
    }
}

fn directory(sorted: &[(u64, u32)]) -> Vec<u32> {
    let mut dir = vec![0u32; 65537];
    for &(k, _) in sorted {
        dir[(k >> 48) as usize + 1] += 1;
    }
    for p in 1..dir.len() {
        dir[p] += dir[p - 1];
    }
    dir
}

fn merge_sorted(mut parts: Vec<Vec<(u64, u32)>>) -> Vec<(u64, u32)> {
    if parts.len() == 1 {
        return parts.pop().unwrap_or_default();
    }
    let total = parts.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total);
    for p in parts {
        out.extend(p);
    }
    out.sort_unstable();
    out
}
