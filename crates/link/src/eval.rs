//! Measuring linking on a generated [`Benchmark`]: precision, recall, ROC-AUC, the share
//! of returning accounts caught from the profile alone, and the share of decoys linked,
//! at chosen thresholds. Also fits the linking model's weights.

use serde::Serialize;

use crate::fingerprint::Fingerprint;
use crate::gen::{Benchmark, Subject, Truth};
use crate::index::SuspendedIndex;
use crate::score::{sigmoid, Features, Weights};

/// Fingerprints of subjects, on `threads` threads; `with_posts` false drops the posts.
pub fn fingerprints(subjects: &[&Subject], with_posts: bool, threads: usize) -> Vec<Fingerprint> {
    let items: Vec<(&raqib_model::Account, &[raqib_model::Post])> = subjects
        .iter()
        .map(|s| (&s.account, if with_posts { &s.posts[..] } else { &[][..] }))
        .collect();
    crate::fingerprint::fingerprint_all(&items, threads)
}

/// The best link of each query: (suspended id, score), or `None`.
pub fn best_links(
    idx: &SuspendedIndex,
    queries: &[Fingerprint],
    threads: usize,
) -> Vec<Option<(String, f32)>> {
    let per = queries.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let hs: Vec<_> = queries
            .chunks(per)
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|q| {
                            idx.link(q, 0.0, 1)
                                .into_iter()
                                .next()
                                .map(|l| (l.id, l.score))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("link thread"))
            .collect()
    })
}

/// Figures at one threshold.
#[derive(Debug, Clone, Serialize)]
pub struct AtThreshold {
    pub threshold: f32,
    pub precision: f64,
    pub recall: f64,
    /// Returning accounts linked to their own suspended account from the profile alone
    /// (posts withheld), over all returning accounts.
    pub profile_only_recall: f64,
    /// Decoys linked to any suspended account, over all decoys.
    pub decoys_linked: f64,
    /// Unrelated accounts linked, over all unrelated accounts.
    pub others_linked: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub suspended: usize,
    pub returning: usize,
    pub decoys: usize,
    pub others: usize,
    /// ROC-AUC of the best link's score, returning accounts against decoys and others
    /// (a returning account whose best link is the wrong account counts with score 0).
    pub roc_auc: f64,
    pub thresholds: Vec<AtThreshold>,
}

/// Evaluate `idx` (built from `bench.suspended`) on the benchmark's queries.
pub fn evaluate(
    bench: &Benchmark,
    idx: &SuspendedIndex,
    thresholds: &[f32],
    threads: usize,
) -> Report {
    let subjects: Vec<&Subject> = bench.queries.iter().map(|q| &q.0).collect();
    let full = best_links(idx, &fingerprints(&subjects, true, threads), threads);
    let profile = best_links(idx, &fingerprints(&subjects, false, threads), threads);
    let count = |f: &dyn Fn(&Truth) -> bool| bench.queries.iter().filter(|q| f(&q.1)).count();
    let returning = count(&|t| matches!(t, Truth::Returning(_)));
    let decoys = count(&|t| matches!(t, Truth::Decoy(_)));
    let others = count(&|t| *t == Truth::Other);
    let correct_score = |i: usize, links: &[Option<(String, f32)>]| -> Option<f32> {
        match (&bench.queries[i].1, &links[i]) {
            (Truth::Returning(id), Some((l, s))) if l == id => Some(*s),
            _ => None,
        }
    };
    let mut scored: Vec<(f32, bool)> = Vec::with_capacity(bench.queries.len());
    for (i, (_, t)) in bench.queries.iter().enumerate() {
        let positive = matches!(t, Truth::Returning(_));
        let s = if positive {
            correct_score(i, &full).unwrap_or(0.0)
        } else {
            full[i].as_ref().map_or(0.0, |l| l.1)
        };
        scored.push((s, positive));
    }
    let roc_auc = auc(&mut scored);
    let thresholds = thresholds
        .iter()
        .map(|&th| {
            let (mut tp, mut linked, mut prof, mut dec, mut oth) =
                (0usize, 0usize, 0usize, 0usize, 0usize);
            for (i, (_, t)) in bench.queries.iter().enumerate() {
                let is_linked = full[i].as_ref().is_some_and(|l| l.1 >= th);
                if is_linked {
                    linked += 1;
                }
                match t {
                    Truth::Returning(_) => {
                        if correct_score(i, &full).is_some_and(|s| s >= th) {
                            tp += 1;
                        }
                        if correct_score(i, &profile).is_some_and(|s| s >= th) {
                            prof += 1;
                        }
                    }
                    Truth::Decoy(_) => dec += usize::from(is_linked),
                    Truth::Other => oth += usize::from(is_linked),
                }
            }
            let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
            AtThreshold {
                threshold: th,
                precision: ratio(tp, linked),
                recall: ratio(tp, returning),
                profile_only_recall: ratio(prof, returning),
                decoys_linked: ratio(dec, decoys),
                others_linked: ratio(oth, others),
            }
        })
        .collect();
    Report {
        suspended: bench.suspended.len(),
        returning,
        decoys,
        others,
        roc_auc,
        thresholds,
    }
}

/// ROC-AUC by the rank-sum formula, ties counted half.
pub fn auc(v: &mut [(f32, bool)]) -> f64 {
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let pos = v.iter().filter(|x| x.1).count() as f64;
    let neg = v.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return 0.0;
    }
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j < v.len() && v[j].0 == v[i].0 {
            j += 1;
        }
        let avg = (i + j + 1) as f64 / 2.0;
        rank_sum += avg * v[i..j].iter().filter(|x| x.1).count() as f64;
        i = j;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// Fit weights by logistic regression (batch gradient descent with a little L2) on
/// candidate pairs labelled true when the candidate is the query's own suspended account.
pub fn fit(pairs: &[(Features, bool)], epochs: usize) -> Weights {
    let mut w = Weights {
        bias: 0.0,
        w: [0.0; 10],
    };
    let pos = pairs.iter().filter(|p| p.1).count().max(1) as f32;
    let neg = (pairs.len() as f32 - pos).max(1.0);
    let lr = 0.5;
    for _ in 0..epochs {
        let mut gb = 0.0;
        let mut gw = [0f32; 10];
        for (f, y) in pairs {
            let p = sigmoid(f.logit(&w));
            // Classes weighted equally.
            let cw = if *y { 0.5 / pos } else { 0.5 / neg };
            let g = (p - if *y { 1.0 } else { 0.0 }) * cw;
            gb += g;
            for (gi, fi) in gw.iter_mut().zip(f.as_array()) {
                *gi += g * fi;
            }
        }
        w.bias -= lr * gb * 10.0;
        for (wi, gi) in w.w.iter_mut().zip(gw) {
            *wi -= lr * (gi * 10.0 + 1e-4 * *wi);
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_perfect_random_and_inverted_rankings() {
        let mut v = vec![(0.9, true), (0.8, true), (0.2, false), (0.1, false)];
        assert_eq!(auc(&mut v), 1.0);
        let mut v = vec![(0.5, true), (0.5, false)];
        assert_eq!(auc(&mut v), 0.5);
        let mut v = vec![(0.1, true), (0.9, false)];
        assert_eq!(auc(&mut v), 0.0);
    }

    #[test]
    fn fit_separates_a_clear_feature() {
        let mut pairs = Vec::new();
        for i in 0..200 {
            let y = i % 2 == 0;
            let f = Features {
                avatar: if y { 0.9 } else { 0.05 },
                ..Default::default()
            };
            pairs.push((f, y));
        }
        let w = fit(&pairs, 300);
        assert!(w.w[5] > 1.0, "{w:?}");
        assert!(sigmoid(pairs[0].0.logit(&w)) > 0.5);
        assert!(sigmoid(pairs[1].0.logit(&w)) < 0.5);
    }
}
