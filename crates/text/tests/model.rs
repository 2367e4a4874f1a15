//! The model file and the scorer: round trips, damage, foreign files, and agreement
//! between the cached scorer, the explainer and the trainer's view.

use raqib_text::normalise::{NORMALISER_READS_FROM, NORMALISER_VERSION};
use raqib_text::{train, Example, FeatureConfig, Model, ModelError, Scratch, TrainConfig};

fn data() -> Vec<Example> {
    let ex = |t: &str, l| Example {
        text: t.to_string(),
        label: l,
    };
    let mut v = Vec::new();
    for i in 0..30 {
        v.push(ex(
            &format!("join the soldiers of the khilafah now {i}"),
            true,
        ));
        v.push(ex(&format!("الدولة الإسلامية باقية وتتمدد {i}"), true));
        v.push(ex(
            &format!("police say the attack was claimed by the group {i}"),
            false,
        ));
        v.push(ex(&format!("رمضان كريم تقبل الله صيامكم {i}"), false));
    }
    v
}

/// Small and reproducible: 2^14 weights, one thread.
fn small_config() -> TrainConfig {
    TrainConfig {
        features: FeatureConfig {
            bits: 14,
            ..Default::default()
        },
        threads: 1,
        ..Default::default()
    }
}

fn small_model() -> Model {
    train(&data(), None, &small_config()).unwrap().0
}

#[test]
fn save_and_load_round_trip_scores_identically() {
    let m = small_model();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.model");
    m.save(&p).unwrap();
    let loaded = Model::load(&p).unwrap();
    assert_eq!(loaded.header, m.header);
    let from_bytes = Model::from_bytes(&std::fs::read(&p).unwrap(), "bytes").unwrap();
    let mut s = Scratch::default();
    for t in ["join the khilafah", "رمضان كريم", "", "x"] {
        let a = m.score(t, &mut s);
        assert_eq!(a, loaded.score(t, &mut s), "{t}");
        assert_eq!(a, from_bytes.score(t, &mut s), "{t}");
    }
    assert!(
        !dir.path().join("m.tmp").exists(),
        "temporary file left behind"
    );
}

/// A trained model keeps its dev negatives' scores (here the cross-validated training
/// negatives: no dev split given), so a scan can tell how often a threshold flags clean
/// posts; a model file without them (an older raqib's) loads, and says nothing.
#[test]
fn a_trained_model_knows_how_often_a_threshold_flags_clean_posts() {
    let mut m = small_model();
    let neg = m.header.dev_negatives.clone().expect("kept");
    assert_eq!(neg.count, 60);
    assert!(neg.share_at(m.header.threshold).unwrap() <= 0.02);
    assert_eq!(neg.share_at(0.0), Some(1.0));

    m.header.dev_negatives = None;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("old.model");
    m.save(&p).unwrap();
    let raw = std::fs::read(&p).unwrap();
    assert!(!raw.windows(13).any(|w| w == b"dev_negatives"));
    assert_eq!(Model::load(&p).unwrap().header.dev_negatives, None);
}

#[test]
fn trained_model_separates_its_training_classes() {
    let m = small_model();
    let mut s = Scratch::default();
    assert!(m.score("join the soldiers of the khilafah", &mut s) > m.header.threshold);
    assert!(m.score("الدولة الإسلامية باقية", &mut s) > m.header.threshold);
    assert!(m.score("رمضان كريم تقبل الله صيامكم", &mut s) < m.header.threshold);
}

#[test]
fn cached_scores_match_uncached_and_explained_scores() {
    let m = small_model();
    let mut warm = Scratch::default();
    for t in [
        "join the soldiers of the khilafah",
        "police say the group",
        "الدولة باقية",
        "a b c d e",
    ] {
        let first = m.score(t, &mut warm);
        let again = m.score(t, &mut warm);
        let cold = m.score(t, &mut Scratch::default());
        let explained = m.explain(t, 3, &mut Scratch::default()).probability;
        assert_eq!(first, again);
        assert_eq!(first, cold);
        assert!(
            (first - explained).abs() < 1e-4,
            "{t}: {first} vs {explained}"
        );
    }
}

#[test]
fn a_scratch_used_with_two_models_does_not_mix_them() {
    let a = small_model();
    let cfg = TrainConfig {
        features: FeatureConfig {
            bits: 14,
            ..Default::default()
        },
        threads: 1,
        seed: 99,
        learning_rate: 0.5,
        ..Default::default()
    };
    let flipped: Vec<Example> = data()
        .into_iter()
        .map(|e| Example {
            label: !e.label,
            ..e
        })
        .collect();
    let b = train(&flipped, None, &cfg).unwrap().0;
    let mut s = Scratch::default();
    let t = "join the soldiers of the khilafah";
    let sa = a.score(t, &mut s);
    let sb = b.score(t, &mut s);
    assert_eq!(sb, b.score(t, &mut Scratch::default()));
    assert!(sa > 0.5 && sb < 0.5, "{sa} {sb}");
    // Scored by one model, explained by the other: the explanation is the other's.
    a.score(t, &mut s);
    let eb = b.explain(t, 5, &mut s);
    assert_eq!(
        eb.spans,
        b.explain_exact(t, 5, &mut Scratch::default()).spans
    );
    assert!(
        (eb.probability - sb).abs() < 1e-5,
        "{} {sb}",
        eb.probability
    );
}

#[test]
fn explanations_point_at_the_original_text() {
    let m = small_model();
    let text = "Join the S.O.L.D.I.E.R.S of the Khilafah";
    let e = m.explain(text, 5, &mut Scratch::default());
    assert!(!e.spans.is_empty());
    for s in &e.spans {
        assert_eq!(&text[s.start..s.end], s.text);
        assert!(s.weight > 0.0);
    }
    assert!(
        e.spans.iter().any(|s| s.text == "Khilafah"),
        "{:?}",
        e.spans
    );
}

fn expect_err(bytes: &[u8], want: &str) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.model");
    std::fs::write(&p, bytes).unwrap();
    let err = Model::load(&p).err().expect("must fail");
    let msg = err.to_string();
    assert!(msg.contains(want) && msg.contains("bad.model"), "{msg}");
    let err2 = Model::from_bytes(bytes, "bad.model")
        .err()
        .expect("must fail");
    assert_eq!(std::mem::discriminant(&err), std::mem::discriminant(&err2));
}

#[test]
fn damaged_truncated_and_foreign_files_are_refused_clearly() {
    let m = small_model();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.model");
    m.save(&p).unwrap();
    let good = std::fs::read(&p).unwrap();
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    expect_err(&flipped, "checksum");
    expect_err(&good[..good.len() - 100], "checksum");
    expect_err(&good[..20], "truncated");
    expect_err(b"", "not a raqib model");
    expect_err(
        b"\x7fELF\x02\x01\x01\x00 some other binary",
        "not a raqib model",
    );
    let mut newer = good.clone();
    newer[8] = 9;
    expect_err(&newer, "format version 9");
    // A NaN weight with a valid checksum (a buggy or hostile writer) is refused too.
    let mut nan = good.clone();
    let end = nan.len() - 8;
    nan[end - 4..end].copy_from_slice(&f32::NAN.to_le_bytes());
    let sum = xxhash_rust::xxh3::xxh3_64(&nan[..end]);
    nan[end..].copy_from_slice(&sum.to_le_bytes());
    expect_err(&nan, "not a finite number");
    let err = Model::load(dir.path().join("missing.model")).err().unwrap();
    assert!(matches!(err, ModelError::Io { .. }));
}

mod cache_equivalence {
    use super::*;
    use proptest::prelude::*;

    /// Found by the `score` fuzzer: U+0384 decomposes to a space and an accent, so one raw
    /// token held single letters that joined with the next raw token's.
    #[test]
    fn regression_tonos_splits_a_raw_token_into_joinable_letters() {
        let s = "G\u{384}$\u{384}G\u{0}\n\u{384}$\u{384}";
        let m = model();
        let mut scratch = Scratch::default();
        let cached = m.cached_margin(s, &mut scratch);
        let exact = m.uncached_margin(s, &mut Scratch::default());
        assert!(
            (cached - exact).abs() < 1e-4,
            "cached {cached} exact {exact}"
        );
    }

    fn model() -> &'static Model {
        static M: std::sync::OnceLock<Model> = std::sync::OnceLock::new();
        M.get_or_init(small_model)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Caching raw tokens must give the margin of normalising the whole text, for any
        /// text: spaced-out letters across tokens, zero-width characters between them,
        /// other whitespace, URLs, leetspeak.
        #[test]
        fn cached_margin_equals_the_exact_margin(
            s in "([a-d1@!ا-ج.\\-_ ]|\u{200b}|\u{a0}|\t|\n|\u{202e}|\u{202c}|🇸|🇾|https://x\\.org/a|https?://(t\\.co|x\\.org)/[a-zA-Z0-9]{0,3}|#x_y|ﻻ|ـ){0,30}",
            warm in proptest::collection::vec("[a-c ا-ب.]{0,6}", 0..5),
        ) {
            let m = model();
            let mut scratch = Scratch::default();
            for w in &warm {
                m.cached_margin(w, &mut scratch);
            }
            // Split ahead, as the scanner does, with other texts scored in between: they
            // must not take `s`'s tokens, and `s` must score the same from them.
            m.prefetch(&s, &mut scratch);
            for w in &warm {
                let c = m.cached_margin(w, &mut scratch);
                let e = m.uncached_margin(w, &mut Scratch::default());
                prop_assert!((c - e).abs() < 1e-4, "{:?} after prefetch: {} vs {}", w, c, e);
            }
            let cached = m.cached_margin(&s, &mut scratch);
            let again = m.cached_margin(&s, &mut scratch);
            let exact = m.uncached_margin(&s, &mut Scratch::default());
            prop_assert!((cached - exact).abs() < 1e-4, "{:?}: cached {} exact {}", s, cached, exact);
            prop_assert_eq!(cached, again);
        }

        #[test]
        fn cached_margin_equals_the_exact_margin_with_decomposing_spaces(
            s in "([a-dG1$.\u{384}\u{1fbd}\u{2002} ]|\u{0}\n){0,20}",
        ) {
            let m = model();
            let mut scratch = Scratch::default();
            let cached = m.cached_margin(&s, &mut scratch);
            let exact = m.uncached_margin(&s, &mut Scratch::default());
            prop_assert!((cached - exact).abs() < 1e-4, "{:?}: cached {} exact {}", s, cached, exact);
        }

        /// The explanation from the token cache is the one from normalising the whole text:
        /// the same spans of the original, the same features and weights.
        #[test]
        fn cached_explanation_equals_the_exact_one(
            // Words too long for the span memo's slots (39 bytes) too.
            s in "([a-d1@ا-ج.\\-_ #]|\u{200b}|\u{a0}|\t|\n|https://x\\.org/a|#x_y|a,b|ﻻ|ـ|\u{384}|&amp;|ﬁ|Ａ|\\$| [a-dا-ج]{18,30} ){0,30}",
            warm in proptest::collection::vec("[a-c1 ا-ب.,#ـ]{0,8}", 0..5),
        ) {
            let m = model();
            let mut scratch = Scratch::default();
            // Texts explained before: their spans are remembered, and where they share
            // raw tokens with `s`, reused.
            // A scanner explains into one list, post after post: what the warm texts left
            // in it (more spans, longer strings) must not show through.
            let mut reused = Vec::new();
            for w in &warm {
                m.cached_margin(w, &mut scratch);
                m.explain_into(w, 5, &mut scratch, &mut reused);
            }
            m.cached_margin(&s, &mut scratch);
            let cached = m.explain(&s, 5, &mut scratch);
            let exact = m.explain_exact(&s, 5, &mut Scratch::default());
            prop_assert_eq!(&cached.spans, &exact.spans, "{:?}", s);
            let (p, evidence) = m.explain_into(&s, 5, &mut scratch, &mut reused);
            prop_assert_eq!(&reused, &exact.spans, "{:?} into a reused list", s);
            prop_assert_eq!((p, evidence), (cached.probability, cached.evidence));
            let again = m.explain(&s, 5, &mut scratch);
            prop_assert_eq!(&again.spans, &exact.spans, "{:?} explained again", s);
            prop_assert!((cached.probability - exact.probability).abs() < 1e-6, "{:?}", s);
        }

        /// The same for long texts, scored in windows as well as whole: both paths agree
        /// on the margin and on the part explained (spaced-out letters among the tokens
        /// send the cached path to the exact one, for all or part of a run).
        #[test]
        fn long_texts_score_and_explain_the_same_both_ways(
            words in proptest::collection::vec(
                "([a-d1@ا-ج.\\-_#]{1,6}|a,b|&amp;|https://t\\.co/[a-z]{1,3}|d a e s h|ـ|\u{384}|#x_y|[a-dا-ج]{18,30})",
                50..130,
            ),
            sep in "( |\n| \u{200b} )",
            warm in proptest::collection::vec("[a-c1 ا-ب.,#ـ]{0,8}", 0..3),
        ) {
            let s = words.join(&sep);
            let m = model();
            let mut scratch = Scratch::default();
            let mut reused = Vec::new();
            for w in &warm {
                m.cached_margin(w, &mut scratch);
                m.explain_into(w, 5, &mut scratch, &mut reused);
            }
            let cached = m.cached_margin(&s, &mut scratch);
            let exact = m.uncached_margin(&s, &mut Scratch::default());
            prop_assert!((cached - exact).abs() < 1e-4, "{:?}: cached {} exact {}", s, cached, exact);
            // Explained just after scoring (its window as scoring chose it), and alone.
            let explained = m.explain(&s, 5, &mut scratch);
            let whole = m.explain_exact(&s, 5, &mut Scratch::default());
            prop_assert_eq!(&explained.spans, &whole.spans, "{:?}", s);
            let alone = m.explain(&s, 5, &mut Scratch::default());
            prop_assert_eq!(&alone.spans, &whole.spans, "{:?}", s);
            prop_assert!((explained.probability - whole.probability).abs() < 1e-5, "{:?}", s);
            prop_assert!((explained.probability - m.calibrate(cached)).abs() < 1e-5, "{:?}", s);
            // A long text never scores below its whole self.
            prop_assert!(cached >= whole_margin(m, &s) - 1e-4);
        }

        #[test]
        fn any_string_scores_without_panic(s in any::<String>()) {
            let p = model().score(&s, &mut Scratch::default());
            prop_assert!((0.0..=1.0).contains(&p));
        }

        /// The words against any text: spans of it, each of a weight below 0 as reported
        /// (one that rounds to 0 holds nothing down; the `score` fuzzer found a -0.0),
        /// most first.
        #[test]
        fn words_against_any_text_weigh_against_it(
            s in "([a-z@#ا-ي]{1,6}[ .,]){0,12}|\\PC{0,40}",
        ) {
            let e = model().explain_against(&s, 5, &mut Scratch::default());
            for sp in &e.spans {
                prop_assert_eq!(&s[sp.start..sp.end], sp.text.as_str());
                prop_assert!(sp.weight < 0.0, "{:?}", sp);
            }
            prop_assert!(e.spans.windows(2).all(|w| w[0].weight <= w[1].weight));
        }
    }
}

/// The margin of `text` as one piece, without windows: its features' indices summed.
fn whole_margin(m: &Model, text: &str) -> f32 {
    let mut n = raqib_text::Normaliser::default();
    let mut idx = Vec::new();
    m.indices(n.run(text), &mut idx);
    m.margin(&idx)
}

/// A line of propaganda padded with everyday talk scores as the line does alone, and is
/// explained by its own words; the same talk without the line stays low. Whole, the padding
/// drowned the line: every feature counts towards one average.
#[test]
fn a_padded_line_scores_as_the_line() {
    let m = small_model();
    let mut s = Scratch::default();
    let line = "join the soldiers of the khilafah now";
    let talk = "we went to the market and the bakery then home for tea with the family ".repeat(5);
    for padded in [
        format!("{talk}{line}"),
        format!("{line} {talk}"),
        format!("{talk}{line} {talk}"),
    ] {
        let alone = m.score(line, &mut s);
        let score = m.score(&padded, &mut s);
        assert!(alone > 0.9, "{alone}");
        assert!(score > 0.9, "{score} for {padded:?}");
        assert!(
            m.calibrate(whole_margin(&m, &padded)) < score,
            "the windows found what the whole text hid"
        );
        let e = m.explain(&padded, 3, &mut s);
        assert!(
            e.spans.iter().all(|sp| line.contains(sp.text.as_str())),
            "{:?}",
            e.spans
        );
        assert!(!e.spans.is_empty());
    }
    // The talk alone stays near the prior (words this model never saw): no window of it
    // is the line.
    let calm = m.score(&talk, &mut s);
    assert!(calm < 0.6, "{calm}");
}

/// A model whose dev split holds long posts calibrates and chooses its threshold on the
/// scores a scan gives them (their strongest window), not on their whole texts': the dev
/// negatives' scores it keeps (from which the threshold and the share of clean posts a
/// threshold flags are read) are the ones `score` gives. Here each dev negative quotes a
/// slogan amid filler the model knows nothing of, which dilutes the whole text, not the
/// window that holds the slogan.
#[test]
fn a_model_is_calibrated_on_the_scores_its_long_dev_posts_get() {
    let filler = |n: usize| -> String { (0..n).map(|k| format!("zq{k} ")).collect() };
    let dev: Vec<Example> = (0..40)
        .map(|i| Example {
            text: format!(
                "{}{} {}",
                filler(60),
                format!("join the soldiers of the khilafah now {i} ").repeat(4),
                filler(40)
            ),
            label: false,
        })
        .chain((0..40).map(|i| Example {
            text: format!("police say the attack was claimed by the group {i}"),
            label: true,
        }))
        .collect();
    assert!(dev
        .iter()
        .filter(|e| !e.label)
        .all(|e| raqib_text::is_long(&e.text)));
    let (m, _) = train(&data(), Some(&dev), &small_config()).unwrap();
    let mut s = Scratch::default();
    let kept = &m.header.dev_negatives.as_ref().unwrap().top;
    let mut scored: Vec<f32> = dev
        .iter()
        .filter(|e| !e.label)
        .map(|e| m.score(&e.text, &mut s))
        .collect();
    scored.sort_by(|a, b| b.total_cmp(a));
    assert_eq!(kept.len(), scored.len());
    for (k, sc) in kept.iter().zip(&scored) {
        assert!((k - sc).abs() < 1e-4, "kept {k}, scored {sc}");
    }
    // And the whole texts score lower: it is the windows that count.
    let whole = m.calibrate(whole_margin(&m, &dev[0].text));
    assert!(whole + 0.01 < m.score(&dev[0].text, &mut s), "{whole}");
}

/// A flag needs words that point to propaganda: a text with no features, or only features
/// never seen in training (an emoji, a handle), scores the model's prior, and the default
/// threshold is above it, even when most training posts are positive and the prior itself
/// is above 0.5 (as the starter corpus's was). Data that separate perfectly can push the
/// prior to 1, where no threshold helps: the flag rule (`Assessment::flagged`) needs the
/// text's own evidence as well, checked below and end to end in the CLI tests.
#[test]
fn a_text_without_features_is_never_flagged_by_default() {
    let ex = |t: String, l| Example { text: t, label: l };
    let mut mostly_positive = Vec::new();
    for i in 0..60 {
        mostly_positive.push(ex(format!("khilafah soldiers advance {i}"), true));
        mostly_positive.push(ex(format!("baqiya dawla remains {i}"), true));
        mostly_positive.push(ex(format!("the weather is nice today {i}"), i % 4 == 0));
    }
    for (name, data) in [("mostly positive", mostly_positive)] {
        let cfg = TrainConfig {
            features: FeatureConfig {
                bits: 20, // few collisions: unseen features keep weight 0
                ..Default::default()
            },
            threads: 1,
            ..Default::default()
        };
        let m = train(&data, None, &cfg).unwrap().0;
        let mut s = Scratch::default();
        let prior = m.score("", &mut s);
        assert!(prior > 0.5 && prior < 0.99, "{name}: prior {prior}");
        assert!(
            m.header.threshold > prior,
            "{name}: threshold {} <= prior {prior}",
            m.header.threshold
        );
        for t in ["", "🤔", "@someone", "RT https://t.co/x", "https://…"] {
            assert_eq!(m.score(t, &mut s), prior, "{name}: {t:?}");
            assert!(
                m.score(t, &mut s) < m.header.threshold,
                "{name}: {t:?} flagged"
            );
        }
        // The flag rule itself needs evidence: with the prior pushed to 1 (as calibration
        // on data that separate perfectly does), the threshold no longer protects these
        // texts, and the rule still does.
        let mut header = m.header.clone();
        header.bias += 40.0;
        let saturated = raqib_text::Model::from_parts(header, m.weights().to_vec());
        for t in ["", "🤔", "@someone", "RT https://t.co/x", "https://…"] {
            let a = saturated.assess(t, &mut Scratch::default());
            assert_eq!(a.probability, 1.0, "{t:?}");
            assert!(!a.evidence && !a.flagged(0.99), "{t:?}");
            let e = saturated.explain(t, 5, &mut Scratch::default());
            assert!(
                !e.evidence && !e.flagged(0.99) && e.spans.is_empty(),
                "{t:?}"
            );
        }
        let a = saturated.assess("khilafah soldiers advance", &mut Scratch::default());
        assert!(a.evidence && a.flagged(0.99), "{a:?}");
        let e = saturated.explain("khilafah soldiers advance", 5, &mut Scratch::default());
        assert!(
            e.evidence && e.flagged(0.99) && !e.spans.is_empty(),
            "{e:?}"
        );
        // Over the threshold is not enough, and evidence under it is not either.
        assert!(!raqib_text::Assessment {
            probability: 1.0,
            evidence: false
        }
        .flagged(0.5));
        assert!(!raqib_text::Assessment {
            probability: 0.4,
            evidence: true
        }
        .flagged(0.5));
    }
}

/// A small first training set that separates perfectly (40 propaganda-style posts, 10
/// others) still gets probabilities, not 0 and 1: calibration fits Platt's smoothed
/// targets (41/42 and 1/12) with a line search. Plain Newton steps diverged here (slope
/// 520,923): every text scored 0.0000 or 1.0000, "🤔" among the 1s, and an account's risk
/// said nothing.
#[test]
fn a_small_separable_training_set_gets_probabilities_not_certainties() {
    let mut data = Vec::new();
    for i in 0..40 {
        data.push(Example {
            text: format!("khilafah soldiers advance {i}"),
            label: true,
        });
    }
    for i in 0..10 {
        data.push(Example {
            text: format!("lovely weather in the park {i}"),
            label: false,
        });
    }
    let cfg = TrainConfig {
        threads: 1,
        ..Default::default()
    };
    let m = train(&data, None, &cfg).unwrap().0;
    assert!(
        m.header.platt_a > 0.0 && m.header.platt_a < 50.0,
        "slope {}",
        m.header.platt_a
    );
    let mut s = Scratch::default();
    let pos = m.score("khilafah soldiers advance", &mut s);
    let neg = m.score("lovely weather in the park", &mut s);
    let none = m.score("🤔", &mut s);
    assert!(pos > 0.8 && pos < 0.995, "positive {pos}");
    assert!(neg > 0.005 && neg < 0.3, "negative {neg}");
    assert!(none > neg && none < pos, "no features {none}");
    assert!(
        m.header.threshold > none,
        "threshold {}",
        m.header.threshold
    );
}

/// A text of a word or two has few features; scaled as a sentence is (each feature
/// 1/sqrt(n)), those few counted for as much as a sentence's many, and "the", "haha" or
/// "الله" alone took the built-in model's score over its threshold. Padded to
/// `pad_to` features, a short text stays nearer the prior; a text of more features
/// scores as before.
#[test]
fn a_one_word_post_counts_for_less_than_a_sentence() {
    let with = |pad_to| {
        let mut cfg = small_config();
        cfg.features.pad_to = pad_to;
        train(&data(), None, &cfg).unwrap().0
    };
    let (padded, unpadded) = (with(64), with(0));
    assert_eq!(padded.header.features.pad_to, 64);
    let margin = |m: &Model, t: &str| whole_margin(m, t) - m.header.bias;
    let features = |t: &str| {
        let mut idx = Vec::new();
        padded.indices(raqib_text::Normaliser::default().run(t), &mut idx);
        idx.len()
    };
    // Every training text has more than 64 features, so both models learnt the same
    // weights, and a sentence scores the same by both.
    let sentence = "join the soldiers of the khilafah now 99";
    assert!(features(sentence) > 64);
    assert_eq!(margin(&padded, sentence), margin(&unpadded, sentence));
    let mut s = Scratch::default();
    assert!(padded.score(sentence, &mut s) > 0.9);
    // One word: its evidence counts sqrt(n / 64) as much, n its features.
    let word = "khilafah";
    let n = features(word);
    assert!(n < 64, "{n}");
    let (p, u) = (margin(&padded, word), margin(&unpadded, word));
    assert!(u > 0.0, "{u}");
    assert!(
        (p / u - (n as f32 / 64.0).sqrt()).abs() < 1e-3,
        "{p} {u} {n}"
    );
    assert!(padded.score(word, &mut s) < unpadded.score(word, &mut s));
}

/// Rewrite a model file's header (same length, so the weights stay where they were) and
/// its checksum.
fn with_header(file: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let hlen = u32::from_le_bytes(file[12..16].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&file[16..16 + hlen]).unwrap();
    assert!(header.contains(from), "{header}");
    let mut out = file.to_vec();
    out[16..16 + hlen].copy_from_slice(header.replacen(from, to, 1).as_bytes());
    let end = out.len() - 8;
    let sum = xxhash_rust::xxh3::xxh3_64(&out[..end]);
    out[end..].copy_from_slice(&sum.to_le_bytes());
    out
}

/// A model made before `pad_to` (features v4, no such field) loads and scores every text
/// as it did: unpadded. A v4 header that does ask for padding is no model an older raqib
/// wrote, and is refused with what to do.
#[test]
fn a_model_from_before_padding_scores_as_it_did() {
    let mut cfg = small_config();
    cfg.features.pad_to = 0;
    let m = train(&data(), None, &cfg).unwrap().0;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.model");
    m.save(&p).unwrap();
    let good = std::fs::read(&p).unwrap();
    let v4 = with_header(&good, "\"features_version\":5", "\"features_version\":4");
    let v4 = with_header(&v4, ",\"pad_to\":0", "           ");
    let old = Model::from_bytes(&v4, "old.model").unwrap();
    assert_eq!(old.header.features.pad_to, 0);
    assert_eq!(old.header.features_version, 4);
    let mut s = Scratch::default();
    for t in ["khilafah", "join the khilafah", "رمضان", "x", ""] {
        assert_eq!(old.score(t, &mut s), m.score(t, &mut s), "{t}");
    }
    let padded = train(&data(), None, &small_config()).unwrap().0;
    padded.save(&p).unwrap();
    let bytes = std::fs::read(&p).unwrap();
    let forged = with_header(&bytes, "\"features_version\":5", "\"features_version\":4");
    expect_err(&forged, "retrain");
}

/// A model made with normaliser v4 (before Persian and Urdu letters, small capitals and
/// enclosed letters were folded) loads, and scores every text as the same weights under
/// v5 do: texts without those letters as it always did, texts with them by what they
/// spell. One of an older normaliser, or of a newer one than this build, is refused with
/// what to do.
#[test]
fn a_model_from_the_previous_normaliser_loads_and_others_are_refused() {
    let m = small_model();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.model");
    m.save(&p).unwrap();
    let good = std::fs::read(&p).unwrap();
    let now = format!("\"normaliser_version\":{NORMALISER_VERSION}");
    let mut s = Scratch::default();
    for v in NORMALISER_READS_FROM..NORMALISER_VERSION {
        let older = with_header(&good, &now, &format!("\"normaliser_version\":{v}"));
        let old = Model::from_bytes(&older, "old.model").unwrap();
        assert_eq!(old.header.normaliser_version, v);
        for t in ["join the khilafah", "رمضان", ""] {
            assert_eq!(old.score(t, &mut s), m.score(t, &mut s), "v{v}: {t}");
        }
        // What the newer rules fold reads as what it spells.
        for evaded in ["ᴊᴏɪɴ ᴛʜᴇ ᴋʜɪʟᴀꜰᴀʜ", "jo!n the khilafah"] {
            assert_eq!(
                old.score(evaded, &mut s),
                old.score("join the khilafah", &mut s),
                "v{v}: {evaded}"
            );
        }
    }
    let (before, after) = (NORMALISER_READS_FROM - 1, NORMALISER_VERSION + 1);
    for v in [before, after] {
        let other = with_header(&good, &now, &format!("\"normaliser_version\":{v}"));
        expect_err(&other, &format!("normaliser v{v}"));
        expect_err(&other, "retrain");
    }
}

/// The other side of an explanation: the words that pull a text's score down, most first,
/// each a span of the original text with a negative weight, none of them among the words
/// that push it up. What a reviewer reads on a post the model missed.
#[test]
fn explain_against_names_the_words_that_pull_the_score_down() {
    let m = small_model();
    let mut s = Scratch::default();
    let text = "Join the soldiers of the KHILAFAH now; police say the attack was claimed";
    let against = m.explain_against(text, 4, &mut s);
    let for_ = m.explain(text, 4, &mut s);
    assert_eq!(against.probability, for_.probability);
    assert!(!against.spans.is_empty());
    assert!(
        against.spans.iter().all(|sp| sp.weight < 0.0),
        "{:?}",
        against.spans
    );
    assert!(
        against.spans.windows(2).all(|w| w[0].weight <= w[1].weight),
        "{:?}",
        against.spans
    );
    for sp in &against.spans {
        assert_eq!(&text[sp.start..sp.end], sp.text);
        assert!(for_.spans.iter().all(|f| f.start != sp.start), "{sp:?}");
    }
    // The clean half's words are what hold it down; the loaded half's are not among them.
    let words: Vec<&str> = against.spans.iter().map(|sp| sp.text.as_str()).collect();
    assert!(
        words
            .iter()
            .any(|w| ["police", "say", "attack", "claimed", "was"].contains(w)),
        "{words:?}"
    );
    assert!(!words.contains(&"KHILAFAH"), "{words:?}");
}
