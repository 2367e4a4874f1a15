//! Scoring and explaining any text: no panic, the cached score and explanation agree with
//! the exact ones, and every evidence span is a span of the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn model() -> &'static raqib_text::Model {
    static M: OnceLock<raqib_text::Model> = OnceLock::new();
    M.get_or_init(|| {
        let ex = |t: &str, l| raqib_text::Example {
            text: t.into(),
            label: l,
        };
        let data = vec![
            ex("join the khilafah a b c", true),
            ex("الدولة باقية", true),
            ex("news about the group", false),
            ex("رمضان كريم", false),
        ];
        let cfg = raqib_text::TrainConfig {
            features: raqib_text::FeatureConfig {
                bits: 12,
                ..Default::default()
            },
            threads: 1,
            ..Default::default()
        };
        raqib_text::train(&data, None, &cfg).unwrap().0
    })
}

thread_local! {
    // Reused across runs, so the token cache is warm with earlier inputs: that is the
    // state in which a wrong cache entry would show.
    static SCRATCH: std::cell::RefCell<(raqib_text::Scratch, raqib_text::Scratch)> = Default::default();
}

fuzz_target!(|s: &str| {
    let m = model();
    SCRATCH.with(|cell| {
        let (warm, exact_scratch) = &mut *cell.borrow_mut();
        let cached = m.cached_margin(s, warm);
        let exact = m.uncached_margin(s, exact_scratch);
        assert!((cached - exact).abs() < 1e-3, "{cached} vs {exact}");
        let explained = m.explain(s, 5, warm);
        for span in &explained.spans {
            assert_eq!(&s[span.start..span.end], span.text);
        }
        // The explanation from the token cache is the whole-text one.
        let whole = m.explain_exact(s, 5, exact_scratch);
        assert_eq!(explained.spans, whole.spans);
        assert!((explained.probability - whole.probability).abs() < 1e-5);
        // The words against: spans of the text, each weighing against, most first.
        let against = m.explain_against(s, 5, exact_scratch);
        for span in &against.spans {
            assert_eq!(&s[span.start..span.end], span.text);
            assert!(span.weight < 0.0, "{span:?}");
        }
        assert!(against.spans.windows(2).all(|w| w[0].weight <= w[1].weight));
    });
});
