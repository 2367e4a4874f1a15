//! Criterion benches for the hot path: normalise, featurise, predict (cached and not),
//! and explain, on the project's own corpus (tweet-length posts in Arabic and English).
//!
//! Run: `cargo bench -p raqib-text --bench text`

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use raqib_text::features::for_each_feature;
use raqib_text::{train, Example, FeatureConfig, Normaliser, Scratch, TrainConfig};

fn corpus() -> Vec<Example> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus/starter.jsonl");
    std::fs::read_to_string(path)
        .expect("corpus/starter.jsonl")
        .lines()
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            Some(Example {
                text: v["text"].as_str()?.to_string(),
                label: v["label"].as_u64()? == 1,
            })
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let data = corpus();
    let texts: Vec<&str> = data.iter().map(|e| e.text.as_str()).collect();
    let cfg = TrainConfig {
        features: FeatureConfig {
            bits: 21,
            ..Default::default()
        },
        threads: 1,
        ..Default::default()
    };
    let (model, _) = train(&data, None, &cfg).expect("corpus trains");
    let mut g = c.benchmark_group("per_post");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("normalise", |b| {
        let mut n = Normaliser::default();
        b.iter(|| {
            for t in &texts {
                black_box(n.run(t).chars.len());
            }
        })
    });
    g.bench_function("featurise", |b| {
        let mut n = Normaliser::default();
        b.iter(|| {
            let mut k = 0u64;
            for t in &texts {
                for_each_feature(&n.run(t).chars, &cfg.features, |h, _, _| k ^= h);
            }
            black_box(k)
        })
    });
    g.bench_function("predict_cached", |b| {
        let mut s = Scratch::default();
        b.iter(|| {
            for t in &texts {
                black_box(model.score(t, &mut s));
            }
        })
    });
    g.bench_function("predict_uncached", |b| {
        let mut s = Scratch::default();
        b.iter(|| {
            for t in &texts {
                black_box(model.uncached_margin(t, &mut s));
            }
        })
    });
    // As `scan` does for a flagged post: score it, then explain it from the token cache.
    g.bench_function("score_and_explain", |b| {
        let mut s = Scratch::default();
        b.iter(|| {
            for t in &texts {
                black_box(model.score(t, &mut s));
                black_box(model.explain(t, 5, &mut s).spans.len());
            }
        })
    });
    g.bench_function("explain_exact", |b| {
        let mut s = Scratch::default();
        b.iter(|| {
            for t in &texts {
                black_box(model.explain_exact(t, 5, &mut s).spans.len());
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = text;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(text);
