//! The quality targets on a small generated benchmark (seed fixed, different from
//! the seed the weights were fitted on): precision ≥ 0.95 at recall ≥ 0.90, ≥ 75% of
//! returning accounts linked from the profile alone, ≤ 1% of decoys linked, at the default
//! threshold of `raqib link` (0.8).

use raqib_link::eval::{evaluate, fingerprints};
use raqib_link::gen::{generate, synthetic_base, GenConfig, Subject};
use raqib_link::SuspendedIndex;

#[test]
fn generated_return_behaviour_is_linked_precisely() {
    let cfg = GenConfig {
        seed: 23,
        suspended: 1500,
        ..Default::default()
    };
    let bench = generate(synthetic_base(3000, 23), &cfg);
    let subs: Vec<&Subject> = bench.suspended.iter().collect();
    let idx = SuspendedIndex::build(fingerprints(&subs, true, 2), 2);
    let r = evaluate(&bench, &idx, &[0.8], 2);
    let t = &r.thresholds[0];
    eprintln!("{}", serde_json::to_string_pretty(&r).unwrap());
    assert!(r.returning > 1500 && r.decoys > 1000, "{r:?}");
    assert!(t.precision >= 0.95, "precision {}", t.precision);
    assert!(t.recall >= 0.90, "recall {}", t.recall);
    assert!(
        t.profile_only_recall >= 0.75,
        "profile only {}",
        t.profile_only_recall
    );
    assert!(t.decoys_linked <= 0.01, "decoys {}", t.decoys_linked);
    assert!(r.roc_auc >= 0.95, "auc {}", r.roc_auc);
}

#[test]
fn a_suspended_account_is_never_its_own_link() {
    let bench = generate(
        synthetic_base(40, 5),
        &GenConfig {
            seed: 5,
            suspended: 40,
            max_returns: 1,
            decoys_per: 0.0,
            ..Default::default()
        },
    );
    let subs: Vec<&Subject> = bench.suspended.iter().collect();
    let fps = fingerprints(&subs, true, 1);
    let idx = SuspendedIndex::build(fps.clone(), 1);
    for f in &fps {
        assert!(
            idx.link(f, 0.0, 5).iter().all(|l| *l.id != *f.id),
            "self-link for {}",
            f.id
        );
    }
}
