//! The linking model: a handful of similarities between two fingerprints, each weighted
//! and summed to log-odds, so a reviewer can read exactly why two accounts were linked.
//!
//! Weights were fitted by logistic regression on the generated benchmark
//! (`cargo run --release -p raqib-link --example link_bench -- --fit`) and are fixed
//! here; `docs/benchmarks.md` gives the figures they reach on a benchmark drawn with a
//! different seed.

use serde::Serialize;

use crate::fingerprint::{cosine, cosine_u8, overlap, Fingerprint};
use crate::names::edit_similarity;

/// The similarities linking reads, each in [0, 1] (refs up to 1.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Features {
    /// Edit similarity of the handle stems above 0.8, rescaled to [0, 1]: a changed
    /// letter or two, not a shared first name.
    pub handle: f32,
    /// 1 when the stem is the same and only the trailing number changed (`abu_x_6` →
    /// `abu_x_7`), scaled by how rare the stem is among suspended accounts.
    pub continues: f32,
    /// Overlap of display-name words, scaled by how rare the name is.
    pub name: f32,
    /// The same name written in the other script (Arabic display name, Latin handle or the
    /// reverse: consonant keys agree), scaled by rarity.
    pub script: f32,
    /// MinHash similarity of the bios, scaled by how rare such a bio is.
    pub bio: f32,
    /// 1 − PDQ distance / 32 of the avatars (0 beyond 32 bits).
    pub avatar: f32,
    /// Shared external references (Telegram channels, accounts elsewhere, sites), each
    /// weighted by how rare it is among suspended accounts.
    pub refs: f32,
    /// Writing style above the level unrelated accounts share.
    pub style: f32,
    /// Posting-hour profile above the level unrelated accounts share.
    pub hours: f32,
    /// Jaccard overlap of followed accounts.
    pub follows: f32,
}

/// Weights of the features and the bias, in log-odds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub bias: f32,
    pub w: [f32; 10],
}

/// The fitted weights (see the module comment).
pub const WEIGHTS: Weights = Weights {
    bias: -6.71,
    w: [11.77, 1.18, 9.57, 0.99, 10.06, 9.98, 3.29, 5.07, 0.0, 4.1],
};

pub const FEATURE_NAMES: [&str; 10] = [
    "handle",
    "continues",
    "name",
    "script",
    "bio",
    "avatar",
    "refs",
    "style",
    "hours",
    "follows",
];

impl Features {
    pub fn as_array(&self) -> [f32; 10] {
        [
            self.handle,
            self.continues,
            self.name,
            self.script,
            self.bio,
            self.avatar,
            self.refs,
            self.style,
            self.hours,
            self.follows,
        ]
    }

    /// Log-odds under `w`.
    pub fn logit(&self, w: &Weights) -> f32 {
        w.bias
            + self
                .as_array()
                .iter()
                .zip(w.w.iter())
                .map(|(f, w)| f * w)
                .sum::<f32>()
    }

    /// Whether any feature uses posts (style, hours): a link made without them was made
    /// from the profile alone.
    pub fn uses_posts(&self, w: &Weights) -> bool {
        self.style * w.w[7] + self.hours * w.w[8] > 0.5
    }
}

/// Serialise an f32 as the shortest decimal of its value rounded to 3 places (not the
/// f64 widening, which prints `0.9330000281333923`).
pub fn ser_round<S: serde::Serializer>(x: &f32, s: S) -> Result<S::Ok, S::Error> {
    let r: f64 = format!("{:.3}", x).parse().unwrap_or(0.0);
    s.serialize_f64(r)
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// How informative a shared key is, from how many suspended accounts share it:
/// 1 for a key only one has, falling with the log of the count.
pub fn rarity(count: usize) -> f32 {
    1.0 / (1.0 + (count.max(1) as f32).ln())
}

/// Counts of suspended accounts sharing each kind of key with the query; the index
/// supplies them.
pub trait KeyCounts {
    fn stem(&self, stem: &str) -> usize;
    fn cons(&self, cons: u64) -> usize;
    /// Suspended accounts with exactly this display name (normalised words, space-joined).
    fn name(&self, words: &[u64]) -> usize;
    fn reference(&self, r: &str) -> usize;
    /// How many suspended accounts' bios have this word, and how many accounts there are.
    fn bio_word(&self, w: u64) -> usize;
    fn total(&self) -> usize;
}

/// How alike two handle stems are: edit similarity, or 0.95 when one contains the other
/// and the shorter has at least 6 letters (`abuxyz` → `abuxyzback`).
pub fn handle_similarity(a: &str, b: &str) -> f32 {
    let e = edit_similarity(a, b);
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.chars().count() >= 6 && long.contains(short) {
        e.max(0.95)
    } else {
        e
    }
}

/// Jaccard similarity of two sorted word sets with each word weighted by its inverse
/// document frequency among suspended bios, so shared common phrases count for little.
pub fn weighted_jaccard(a: &[u64], b: &[u64], counts: &impl KeyCounts) -> f32 {
    let n = counts.total() as f32 + 1.0;
    let idf = |w: u64| (n / (1.0 + counts.bio_word(w) as f32)).ln().max(0.0) + 0.05;
    let (mut i, mut j) = (0, 0);
    let (mut both, mut all) = (0f32, 0f32);
    while i < a.len() || j < b.len() {
        let (x, y) = (a.get(i), b.get(j));
        match (x, y) {
            (Some(&x), Some(&y)) if x == y => {
                let w = idf(x);
                both += w;
                all += w;
                i += 1;
                j += 1;
            }
            (Some(&x), Some(&y)) if x < y => {
                all += idf(x);
                i += 1;
            }
            (Some(&x), None) => {
                all += idf(x);
                i += 1;
            }
            (_, Some(&y)) => {
                all += idf(y);
                j += 1;
            }
            (None, None) => break,
        }
    }
    if all > 0.0 {
        both / all
    } else {
        0.0
    }
}

/// The features of query `q` against suspended candidate `c`.
pub fn features(q: &Fingerprint, c: &Fingerprint, counts: &impl KeyCounts) -> Features {
    let mut f = Features::default();
    if q.stem.chars().count() >= 3 && c.stem.chars().count() >= 3 {
        f.handle = ((handle_similarity(&q.stem, &c.stem) - 0.8) / 0.2).max(0.0);
        if q.stem == c.stem && q.digits != c.digits && (q.digits.is_some() || c.digits.is_some()) {
            f.continues = rarity(counts.stem(&c.stem));
        }
    }
    if !q.name_words.is_empty() && !c.name_words.is_empty() {
        let jac = raqib_text::minhash::jaccard(&q.name_words, &c.name_words);
        if jac > 0.0 {
            // One shared word (a first name) says less than a shared full name.
            let shared = q
                .name_words
                .iter()
                .filter(|w| c.name_words.binary_search(w).is_ok())
                .count();
            let one_word = if shared >= 2 { 1.0 } else { 0.5 };
            f.name = jac * one_word * rarity(counts.name(&c.name_words));
        }
    }
    // The same name in the other script: consonant skeletons agree. (Within one script,
    // spelling variants are the handle's edit similarity; a vowel-only key there linked
    // different people whose names differ by a vowel.)
    if q.name_arabic != c.name_arabic {
        let pairs = [
            (q.name_cons, c.name_cons),
            (q.handle_cons, c.name_cons),
            (q.name_cons, c.handle_cons),
        ];
        for (a, b) in pairs {
            if a != 0 && a == b {
                f.script = f.script.max(rarity(counts.cons(a)));
            }
        }
    }
    if q.bio_words >= 3 && c.bio_words >= 3 {
        f.bio = weighted_jaccard(&q.bio_set, &c.bio_set, counts);
    }
    if let (Some(a), Some(b)) = (&q.avatar, &c.avatar) {
        let d = a.distance(b);
        if d < 32 {
            f.avatar = 1.0 - d as f32 / 32.0;
        }
    }
    for r in &q.refs {
        if c.refs.binary_search(r).is_ok() {
            f.refs += rarity(counts.reference(r));
        }
    }
    f.refs = f.refs.min(1.5);
    if q.style_posts >= 3 && c.style_posts >= 3 {
        f.style = ((cosine(&q.style, &c.style) - 0.5) * 2.0).max(0.0);
    }
    if q.timed_posts >= 5 && c.timed_posts >= 5 {
        f.hours = ((cosine_u8(&q.hours, &c.hours) - 0.6) / 0.4).max(0.0);
    }
    if !q.follows.is_empty() && !c.follows.is_empty() {
        f.follows = overlap(&q.follows, &c.follows);
    }
    f
}

/// One reason for a link, as a reviewer reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub feature: &'static str,
    /// Log-odds this reason added.
    #[serde(serialize_with = "ser_round")]
    pub weight: f32,
    pub text: String,
}

/// The reasons behind `f`, strongest first.
pub fn explain(q: &Fingerprint, c: &Fingerprint, f: &Features, w: &Weights) -> Vec<Reason> {
    let mut out = Vec::new();
    let mut push = |i: usize, text: &dyn Fn() -> String| {
        let v = f.as_array()[i] * w.w[i];
        if v > 0.05 {
            out.push(Reason {
                feature: FEATURE_NAMES[i],
                weight: (v * 100.0).round() / 100.0,
                text: text(),
            });
        }
    };
    if f.continues > 0.0 {
        push(1, &|| {
            format!("handle {} continues {}", q.label(), c.label())
        });
    }
    push(0, &|| {
        format!(
            "handle {} is {:.0}% like {} (letters {:?} and {:?})",
            q.label(),
            handle_similarity(&q.stem, &c.stem) * 100.0,
            c.label(),
            q.stem,
            c.stem
        )
    });
    push(2, &|| {
        format!(
            "display name {:?} shares words with {:?}",
            q.display_name, c.display_name
        )
    });
    push(3, &|| {
        format!(
            "same name in another spelling or script ({:?} / {:?} ~ {:?} / {:?})",
            q.display_name, q.handle, c.display_name, c.handle
        )
    });
    push(4, &|| {
        format!(
            "bio {:.2} similar ({} words shared, weighted by rarity: {:.2})",
            raqib_text::minhash::jaccard(&q.bio_set, &c.bio_set),
            q.bio_set
                .iter()
                .filter(|w| c.bio_set.binary_search(w).is_ok())
                .count(),
            f.bio
        )
    });
    if let (Some(a), Some(b)) = (&q.avatar, &c.avatar) {
        push(5, &|| format!("avatar PDQ distance {}", a.distance(b)));
    }
    let shared: Vec<&str> = q
        .refs
        .iter()
        .filter(|r| c.refs.binary_search(r).is_ok())
        .map(|r| &**r)
        .collect();
    push(6, &|| {
        format!("same external reference: {}", shared.join(", "))
    });
    push(7, &|| {
        format!(
            "writing style cosine {:.2} over {} and {} posts",
            cosine(&q.style, &c.style),
            q.style_posts,
            c.style_posts
        )
    });
    push(8, &|| {
        format!("posting hours cosine {:.2}", cosine_u8(&q.hours, &c.hours))
    });
    push(9, &|| {
        format!("{:.0}% of followed accounts shared", f.follows * 100.0)
    });
    out.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    out
}
