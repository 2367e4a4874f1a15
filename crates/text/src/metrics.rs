//! Evaluation figures for a binary classifier: precision, recall, F1, ROC-AUC, PR-AUC
//! (average precision), the confusion matrix, and the threshold that reaches a precision.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Confusion {
    pub tp: u64,
    pub fp: u64,
    pub tn: u64,
    pub r#fn: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    pub n: usize,
    pub positives: usize,
    pub threshold: f32,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Share of negatives flagged at the threshold.
    pub false_positive_rate: f64,
    pub roc_auc: Option<f64>,
    pub pr_auc: Option<f64>,
    pub confusion: Confusion,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Figures for `(score, label)` pairs at `threshold` (flagged when score >= threshold).
pub fn evaluate(scored: &[(f32, bool)], threshold: f32) -> Metrics {
    let with: Vec<(f32, bool, f32)> = scored.iter().map(|&(s, l)| (s, l, threshold)).collect();
    evaluate_each(&with, threshold)
}

/// Figures for `(score, label, threshold)` triples, each flagged at its own threshold (as
/// when posts go to per-language models). `threshold` is what the report shows.
pub fn evaluate_each(scored: &[(f32, bool, f32)], threshold: f32) -> Metrics {
    let flagged: Vec<(f32, bool, bool)> = scored.iter().map(|&(s, l, t)| (s, l, s >= t)).collect();
    evaluate_flagged(&flagged, threshold)
}

/// Figures for `(score, label, flagged)` triples, where the caller decided each flag (as
/// `raqib eval` does by the threshold and the text's evidence). The confusion matrix and
/// the figures from it count the flags; ROC-AUC and PR-AUC rank the scores.
pub fn evaluate_flagged(scored: &[(f32, bool, bool)], threshold: f32) -> Metrics {
    let mut c = Confusion::default();
    for &(_, l, flagged) in scored {
        match (flagged, l) {
            (true, true) => c.tp += 1,
            (true, false) => c.fp += 1,
            (false, false) => c.tn += 1,
            (false, true) => c.r#fn += 1,
        }
    }
    let pairs: Vec<(f32, bool)> = scored.iter().map(|&(s, l, _)| (s, l)).collect();
    let precision = ratio(c.tp, c.tp + c.fp);
    let recall = ratio(c.tp, c.tp + c.r#fn);
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Metrics {
        n: scored.len(),
        positives: (c.tp + c.r#fn) as usize,
        threshold,
        precision,
        recall,
        f1,
        false_positive_rate: ratio(c.fp, c.fp + c.tn),
        roc_auc: roc_auc(&pairs),
        pr_auc: average_precision(&pairs),
        confusion: c,
    }
}

/// Sorted by score, highest first, ties kept together.
fn sorted(scored: &[(f32, bool)]) -> Vec<(f32, bool)> {
    let mut v = scored.to_vec();
    v.sort_by(|a, b| b.0.total_cmp(&a.0));
    v
}

/// Area under the ROC curve (ties count half). `None` without both classes.
pub fn roc_auc(scored: &[(f32, bool)]) -> Option<f64> {
    let v = sorted(scored);
    let np = v.iter().filter(|x| x.1).count() as f64;
    let nn = v.len() as f64 - np;
    if np == 0.0 || nn == 0.0 {
        return None;
    }
    // Count, for each negative, the positives scored above it (ties half).
    let mut auc = 0.0;
    let mut pos_above = 0.0;
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        let (mut p, mut n) = (0.0, 0.0);
        while j < v.len() && v[j].0 == v[i].0 {
            if v[j].1 {
                p += 1.0
            } else {
                n += 1.0
            }
            j += 1;
        }
        auc += n * (pos_above + p / 2.0);
        pos_above += p;
        i = j;
    }
    Some(auc / (np * nn))
}

/// Average precision: the mean of precision at each positive, ties grouped.
pub fn average_precision(scored: &[(f32, bool)]) -> Option<f64> {
    let v = sorted(scored);
    let np = v.iter().filter(|x| x.1).count() as f64;
    if np == 0.0 {
        return None;
    }
    let (mut tp, mut seen, mut ap) = (0.0, 0.0, 0.0);
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        let mut p = 0.0;
        while j < v.len() && v[j].0 == v[i].0 {
            if v[j].1 {
                p += 1.0
            }
            seen += 1.0;
            j += 1;
        }
        tp += p;
        ap += p * (tp / seen);
        i = j;
    }
    Some(ap / np)
}

/// The lowest threshold whose precision is at least `precision`, with the recall there.
pub fn threshold_for_precision(scored: &[(f32, bool)], precision: f64) -> Option<(f32, f64)> {
    let v = sorted(scored);
    let np = v.iter().filter(|x| x.1).count() as f64;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut best = None;
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j < v.len() && v[j].0 == v[i].0 {
            if v[j].1 {
                tp += 1.0
            } else {
                fp += 1.0
            }
            j += 1;
        }
        if tp > 0.0 && tp / (tp + fp) >= precision {
            best = Some((v[i].0, tp / np));
        }
        i = j;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_inverted_rankings() {
        let good = [(0.9, true), (0.8, true), (0.2, false), (0.1, false)];
        assert_eq!(roc_auc(&good), Some(1.0));
        assert_eq!(average_precision(&good), Some(1.0));
        let bad: Vec<_> = good.iter().map(|&(s, l)| (s, !l)).collect();
        assert_eq!(roc_auc(&bad), Some(0.0));
    }

    #[test]
    fn ties_count_half() {
        assert_eq!(roc_auc(&[(0.5, true), (0.5, false)]), Some(0.5));
    }

    #[test]
    fn confusion_precision_recall_f1() {
        let s = [
            (0.9, true),
            (0.7, false),
            (0.6, true),
            (0.4, true),
            (0.1, false),
        ];
        let m = evaluate(&s, 0.5);
        assert_eq!(
            m.confusion,
            Confusion {
                tp: 2,
                fp: 1,
                tn: 1,
                r#fn: 1
            }
        );
        assert!((m.precision - 2.0 / 3.0).abs() < 1e-9);
        assert!((m.recall - 2.0 / 3.0).abs() < 1e-9);
        assert!((m.false_positive_rate - 0.5).abs() < 1e-9);
        assert_eq!(threshold_for_precision(&s, 1.0), Some((0.9, 1.0 / 3.0)));
        assert_eq!(threshold_for_precision(&s, 0.75).map(|x| x.0), Some(0.4));
    }
}
