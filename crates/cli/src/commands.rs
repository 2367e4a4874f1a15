//! One function per subcommand.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use raqib_scan::{Progress, ScanConfig};
use raqib_text::{metrics, Model, ModelSet, Scratch};

use crate::cli::{Cli, Command, EvalArgs, ExplainArgs, NormaliseArgs, ScanArgs, TrainArgs};
use crate::data::load_labelled;

/// The starter model, trained from `corpus/starter.jsonl` when raqib was built.
static STARTER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/starter.model"));

pub fn run(cli: Cli) -> Result<i32> {
    if !matches!(cli.command, Command::Serve(_)) {
        crate::alloc::keep_freed_memory();
    }
    match cli.command {
        Command::Scan(a) => scan(a),
        Command::Train(a) => train(a),
        Command::Eval(a) => eval(a),
        Command::Explain(a) => explain(a),
        Command::Normalise(a) => normalise(a),
        Command::Hash(a) => crate::media::hash(a),
        Command::Match(a) => crate::media::match_cmd(a),
        Command::Lists(a) => crate::media::lists_cmd(a),
        Command::Link(a) => crate::link::link_cmd(a),
        Command::Suspended(a) => crate::link::suspended_cmd(a),
        Command::Networks(a) => crate::networks::networks_cmd(a),
        Command::Policy(a) => crate::policy::policy_cmd(a),
        Command::Audit(a) => crate::policy::audit_cmd(a),
        Command::Report(a) => crate::policy::report_cmd(a),
        Command::Serve(a) => {
            crate::alloc::no_huge_pages();
            let models = load_models(&a.model)?;
            crate::serve::serve_cmd(a, models)
        }
        Command::Token(a) => crate::serve::token_cmd(a),
    }
}

fn starter() -> Result<Model> {
    Ok(Model::from_bytes(STARTER, "starter model")?)
}

/// Models from `--model [LANG=]FILE` arguments: one default (the starter model when none
/// is given) and any number routed by language.
fn load_models(specs: &[String]) -> Result<ModelSet> {
    let mut default: Option<(Model, String)> = None;
    let mut routed = Vec::new();
    for spec in specs {
        let routed_spec = spec.split_once('=').filter(|(lang, _)| {
            !std::path::Path::new(spec).exists()
                && (2..=8).contains(&lang.len())
                && lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        match routed_spec {
            Some((lang, path)) => {
                routed.push((lang.to_string(), Model::load(path)?, path.to_string()))
            }
            None => {
                if default.is_some() {
                    bail!("two default models given ({spec} and another): give one, and route others with LANG=FILE");
                }
                default = Some((Model::load(spec)?, spec.clone()));
            }
        }
    }
    let (model, name) = match default {
        Some(d) => d,
        None => (starter()?, "starter (built-in)".to_string()),
    };
    let mut set = ModelSet::new(model, name);
    for (lang, m, name) in routed {
        set.add(&lang, m, name);
    }
    Ok(set)
}

fn scan(mut a: ScanArgs) -> Result<i32> {
    a.inputs = crate::inputs::files(&a.inputs, a.out.as_deref(), a.quiet)?;
    crate::inputs::check_utc_offsets(&a.input.options(), &a.inputs)?;
    let window = crate::cli::time_window(a.since, a.until)?;
    let models = load_models(&a.model)?;
    if let Some(t) = a.threshold {
        if !(0.0..=1.0).contains(&t) {
            bail!("--threshold must be between 0 and 1, got {t}");
        }
    }
    let defaults = raqib_scan::accounts::AccountRule::at(0.5);
    let shares = models.negatives_flagged(a.threshold);
    let clean_rate = a
        .account_clean_rate
        .unwrap_or_else(|| raqib_scan::accounts::AccountRule::clean_rate_for(&shares));
    if !(clean_rate > 0.0 && clean_rate < 1.0) {
        bail!(
            "--account-clean-rate wants a share above 0 and below 1 (0.05 is 5%), got {clean_rate}"
        );
    }
    // A model that did not keep its dev negatives' scores (made by an older raqib) cannot
    // say how often a lowered threshold flags clean posts.
    let unknown = models
        .thresholds(None)
        .iter()
        .zip(&shares)
        .any(|(&own, share)| share.is_none() && a.threshold.is_some_and(|t| t < own));
    if unknown && a.account_clean_rate.is_none() && !a.quiet {
        eprintln!(
            "raqib: note: --threshold is below a model's own, so clean posts are flagged more \
             often, and the model does not say how often (retrain it with this raqib to keep \
             that); accounts are also flagged for their count of flagged posts, taking {}% of \
             a clean account's posts to be flagged by mistake: give --account-clean-rate the \
             share of negatives flagged at this threshold (`raqib eval --threshold P` prints \
             it as FPR)",
            clean_rate * 100.0
        );
    }
    if !(a.account_chance > 0.0 && a.account_chance < 0.5) {
        bail!(
            "--account-chance wants a chance above 0 and below 0.5 (0.001 is 1 in 1,000), got {}",
            a.account_chance
        );
    }
    if a.account_min_flagged == 0 {
        bail!("--account-min-flagged must be at least 1");
    }
    let threads = a
        .threads
        .unwrap_or_else(|| ScanConfig::default().threads)
        .max(1);
    let cfg = ScanConfig {
        inputs: a.inputs.clone(),
        ingest: a.input.options(),
        out_dir: a.out.clone(),
        threshold: a.threshold,
        threads,
        strict: a.strict,
        all_posts: a.all_posts,
        explain: a.explain,
        top: a.top,
        model_name: models.describe(),
        lists: match &a.lists {
            Some(dir) => raqib_scan::MediaLists(Arc::new(crate::media::open_lists(dir)?)),
            None => Default::default(),
        },
        hash_media: a.hash_media,
        suspended: match &a.suspended {
            Some(dir) => {
                let st = raqib_link::store::SuspendedStore::open(dir, false, threads)?;
                for w in &st.warnings {
                    eprintln!("raqib: {w}");
                }
                Some(Arc::new(st.index))
            }
            None => None,
        },
        link_threshold: a.link_threshold,
        account_rule: raqib_scan::accounts::AccountRule {
            clean_rate,
            chance: a.account_chance,
            min_flagged: a.account_min_flagged,
            ..defaults
        },
        networks: a.networks.then(|| raqib_network::NetworkConfig {
            coord: raqib_network::CoordConfig {
                window: a.window,
                threads,
                ..Default::default()
            },
            ..Default::default()
        }),
        max_edited: a.track_edits,
        window,
    };
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        // First Ctrl-C: stop reading and write what we have. Second: leave at once.
        let _ = ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\nraqib: interrupted; finishing the reports (Ctrl-C again to quit now)");
        });
    }
    let progress = Arc::new(Progress::default());
    let done = Arc::new(AtomicBool::new(false));
    let bar = (!a.quiet).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                .expect("valid progress template"),
        );
        bar
    });
    let files = cfg.inputs.len();
    let ticker = bar.clone().map(|bar| {
        let (progress, done) = (progress.clone(), done.clone());
        std::thread::spawn(move || {
            let t0 = std::time::Instant::now();
            let mut last_ahead = 0;
            // The copy of a zip that comes as a stream: its size when last seen to grow,
            // when, and how many posts there were then.
            let (mut spooled_seen, mut spooled_at, mut posts_then) = (0, t0, 0);
            while !done.load(Ordering::Relaxed) {
                // A zip that comes as a stream is copied to a file before it is read: said
                // until its posts come, through pauses of the stream of up to 2 s.
                let spooled = progress.spooled.load(Ordering::Relaxed);
                let posts_now = progress.posts.load(Ordering::Relaxed);
                if spooled != spooled_seen {
                    (spooled_seen, spooled_at, posts_then) =
                        (spooled, std::time::Instant::now(), posts_now);
                }
                let copying = spooled > 0
                    && posts_now == posts_then
                    && spooled_at.elapsed() < Duration::from_secs(2);
                if copying {
                    bar.set_message(format!(
                        "copying the zip stream to a temporary file first (its index is \
                         at its end): {:.1} MB{}",
                        spooled as f64 / 1e6,
                        which_file(&progress.files, files),
                    ));
                    bar.tick();
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
                // A compressed tar's media wait for its copy (see `--hash-media`).
                if let Some((archive, bytes)) = raqib_ingest::archive_copy_progress() {
                    bar.set_message(format!(
                        "decompressing {archive} once into the temporary folder to reach \
                         its media: {:.1} MB",
                        bytes as f64 / 1e6,
                    ));
                    bar.tick();
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
                let posts = progress.posts.load(Ordering::Relaxed);
                let rate = posts as f64 / t0.elapsed().as_secs_f64().max(1e-3);
                // A Twitter archive with long posts reads its tweets once before them.
                let ahead = progress.pre_read.load(Ordering::Relaxed);
                let reading_ahead = ahead != last_ahead;
                last_ahead = ahead;
                if reading_ahead {
                    bar.set_message(format!(
                        "reading the tweets first, for which take the long posts of \
                         note-tweet.js: {:.1} MB{}",
                        ahead as f64 / 1e6,
                        which_file(&progress.files, files),
                    ));
                    bar.tick();
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
                bar.set_message(format!(
                    "{posts} posts ({rate:.0}/s), {} flagged, {} skipped, {:.1} MB{}",
                    progress.flagged.load(Ordering::Relaxed),
                    progress.skipped.load(Ordering::Relaxed),
                    progress.bytes.load(Ordering::Relaxed) as f64 / 1e6,
                    which_file(&progress.files, files),
                ));
                bar.tick();
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        })
    });
    let mut shown = 0usize;
    let quiet = a.quiet;
    let mut on_diag = |d: &raqib_model::Diagnostic| {
        shown += 1;
        if !quiet && shown <= 10 {
            let line = format!("raqib: skipped {d}");
            match &bar {
                Some(b) => b.suspend(|| eprintln!("{line}")),
                None => eprintln!("{line}"),
            }
        }
    };
    let result = raqib_scan::run(&models, &cfg, &progress, &interrupted, &mut on_diag);
    done.store(true, Ordering::Relaxed);
    if let Some(t) = ticker {
        let _ = t.join();
    }
    let summary = result?;
    if shown > 10 && !a.quiet {
        let where_ = a
            .out
            .as_ref()
            .map(|o| format!(" (all in {}/diagnostics.jsonl)", o.display()))
            .unwrap_or_default();
        eprintln!("raqib: {} more records skipped{where_}", shown - 10);
    }
    let mut stdout = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut stdout, &summary)?;
        writeln!(stdout)?;
    } else if !a.quiet {
        stdout.write_all(raqib_scan::render_summary(&summary).as_bytes())?;
        if let Some(o) = &a.out {
            writeln!(stdout, "\nreports in {}/", o.display())?;
        }
    }
    Ok(if summary.interrupted { 130 } else { 0 })
}

/// `; file 3 of 480: …/chan3/result.json` while a scan of many inputs reads one (the
/// name's last 50 characters); nothing for a single input.
fn which_file(files: &raqib_scan::FileProgress, total: usize) -> String {
    match files.current() {
        Some((i, name)) if total > 1 => {
            // Escaped where the name could drive the terminal.
            let name = raqib_model::printable(&name);
            let chars = name.chars().count();
            let shown: String = if chars > 50 {
                let tail: String = name.chars().skip(chars - 49).collect();
                format!("…{tail}")
            } else {
                name.to_string()
            };
            format!("; file {i} of {total}: {shown}")
        }
        _ => String::new(),
    }
}

fn parse_ngrams(s: &str) -> Result<(u8, u8)> {
    if s == "0" {
        return Ok((0, 0));
    }
    let (lo, hi) = s.split_once('-').unwrap_or((s, s));
    let (lo, hi): (u8, u8) = (
        lo.parse().context("--char-ngrams MIN-MAX")?,
        hi.parse().context("--char-ngrams MIN-MAX")?,
    );
    if lo == 0 || lo > hi || hi > 8 {
        bail!("--char-ngrams wants MIN-MAX with 1 <= MIN <= MAX <= 8, got {s}");
    }
    Ok((lo, hi))
}

fn train(a: TrainArgs) -> Result<i32> {
    let (char_min, char_max) = parse_ngrams(&a.char_ngrams)?;
    if !(0.0..=0.99).contains(&a.min_threshold) {
        bail!(
            "--min-threshold wants a probability from 0 to 0.99, got {}",
            a.min_threshold
        );
    }
    if !(0.0..1.0).contains(&a.target_fpr) {
        bail!(
            "--target-fpr wants a share from 0 up to (not including) 1, got {}",
            a.target_fpr
        );
    }
    let opts = a.input.options();
    let t0 = std::time::Instant::now();
    let to_examples = |v: Vec<crate::data::Labelled>| -> Vec<raqib_text::Example> {
        v.into_iter()
            .map(|l| raqib_text::Example {
                text: l.all_text(),
                label: l.label,
            })
            .collect()
    };
    let all: Vec<String> = a.data.iter().chain(&a.dev).cloned().collect();
    crate::inputs::check_utc_offsets_of(&opts, &all)?;
    let weights = crate::data::weights(&a.weight, &a.data)?;
    let train = to_examples(load_labelled(&a.data, &weights, &opts, false)?);
    let dev = to_examples(load_labelled(&a.dev, &[], &opts, false)?);
    let load_s = t0.elapsed().as_secs_f32();
    if train.is_empty() {
        bail!(
            "no labelled posts in {}: each needs a `label` (1 or 0)",
            a.data.join(", ")
        );
    }
    let cfg = raqib_text::TrainConfig {
        features: raqib_text::FeatureConfig {
            char_min,
            char_max,
            words: !a.no_words,
            word_bigrams: !a.no_bigrams,
            bits: a.bits,
            pad_to: a.pad_to,
        },
        learning_rate: a.lr,
        l2: a.l2,
        max_epochs: a.epochs.max(1),
        threads: a
            .threads
            .unwrap_or_else(|| raqib_text::TrainConfig::default().threads)
            .max(1),
        seed: a.seed,
        target_fpr: a.target_fpr,
        min_threshold: a.min_threshold,
        ..Default::default()
    };
    let (mut model, report) =
        raqib_text::train(&train, if dev.is_empty() { None } else { Some(&dev) }, &cfg)?;
    if let serde_json::Value::Object(m) = &mut model.header.training {
        m.insert("data".into(), a.data.clone().into());
        m.insert("dev".into(), a.dev.clone().into());
        if !weights.is_empty() {
            let named: serde_json::Map<String, serde_json::Value> = weights
                .iter()
                .map(|(f, n)| (f.clone(), (*n).into()))
                .collect();
            m.insert("data_weights".into(), named.into());
        }
    }
    model
        .save(&a.out)
        .with_context(|| format!("cannot write the model to {}", a.out.display()))?;
    eprintln!(
        "trained on {} posts ({} positive{}) in {:.2}s (+{:.2}s reading), {} epochs (best {}), dev: {} ({}), threshold {:.3}\nwrote {}",
        report.train_examples,
        report.train_positives,
        weighted(&weights),
        report.seconds,
        load_s,
        report.epochs_run,
        report.best_epoch,
        report.dev_examples,
        report.dev_from,
        report.threshold,
        a.out.display()
    );
    Ok(0)
}

/// What `--weight` did, for the training message: e.g. `; corpus/starter.jsonl counted 3
/// times`; empty without weights.
fn weighted(weights: &[(String, u32)]) -> String {
    weights
        .iter()
        .map(|(f, n)| format!("; {f} counted {n} times"))
        .collect()
}

/// A post as `eval` scored it: (score, label, language, flagged, threshold), flagged as
/// `scan` flags (the threshold of the model that scored it, and the text's evidence) or
/// by the threshold alone.
type Scored<'a> = (f32, bool, &'a str, bool, f32);

/// A post `eval --errors` lists: its place in the data, its score, its evidence, and for
/// a missed post the words that held it down.
struct EvalError {
    index: usize,
    score: f32,
    evidence: Vec<raqib_model::TextSpan>,
    held_back_by: Vec<raqib_model::TextSpan>,
}

impl EvalError {
    fn to_json(&self, data: &[crate::data::Labelled]) -> serde_json::Value {
        let d = &data[self.index];
        serde_json::json!({
            "id": d.id,
            "file": &*d.file,
            "line": d.line,
            "category": d.category,
            "score": (self.score as f64 * 1e4).round() / 1e4,
            "evidence": spans_json(&self.evidence),
            "held_back_by": (!self.held_back_by.is_empty()).then(|| spans_json(&self.held_back_by)),
        })
    }
}

fn spans_json(spans: &[raqib_model::TextSpan]) -> Vec<serde_json::Value> {
    spans
        .iter()
        .map(|e| serde_json::json!({"text": e.text, "weight": (e.weight as f64 * 1e3).round() / 1e3}))
        .collect()
}

/// The `n` strongest false positives and the `n` weakest false negatives of `scored`
/// (as flagged there), each explained by the model that scored it (a missed post also by
/// the words that held it down).
fn eval_errors(
    data: &[crate::data::Labelled],
    scored: &[Scored<'_>],
    models: &raqib_text::ModelSet,
    n: usize,
) -> (Vec<EvalError>, Vec<EvalError>) {
    if n == 0 {
        return (Vec::new(), Vec::new());
    }
    let mut scratch = models.scratches();
    let mut pick = |wrong: &dyn Fn(&Scored<'_>) -> bool, strongest: bool, against: bool| {
        let mut idx: Vec<usize> = (0..scored.len()).filter(|&i| wrong(&scored[i])).collect();
        idx.sort_by(|&x, &y| {
            let o = scored[x].0.total_cmp(&scored[y].0);
            (if strongest { o.reverse() } else { o }).then(x.cmp(&y))
        });
        idx.truncate(n);
        idx.into_iter()
            .map(|i| {
                let d = &data[i];
                let m = models.route(&d.lang);
                let model = models.get(m);
                let e = model.explain(&d.text, 5, &mut scratch[m]);
                let held_back_by = if against {
                    model.explain_against(&d.text, 5, &mut scratch[m]).spans
                } else {
                    Vec::new()
                };
                EvalError {
                    index: i,
                    score: scored[i].0,
                    evidence: e.spans,
                    held_back_by,
                }
            })
            .collect::<Vec<_>>()
    };
    let fp = pick(&|s| !s.1 && s.3, true, false);
    let fneg = pick(&|s| s.1 && !s.3, false, true);
    (fp, fneg)
}

/// Metrics of the scored posts grouped by `key` (of a post's index; `None` leaves the post
/// out), groups in name order. Each post counts as it was flagged; the threshold a group
/// reports is that of the model that scored its first post (a language's posts all go to
/// one model; a category's may go to several).
fn metrics_by<'a>(
    scored: &[Scored<'_>],
    threshold: f32,
    key: impl Fn(usize) -> Option<&'a str>,
) -> Vec<(String, metrics::Metrics)> {
    let mut groups: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for i in 0..scored.len() {
        if let Some(k) = key(i) {
            groups.entry(k).or_default().push(i);
        }
    }
    groups
        .into_iter()
        .map(|(k, idx)| {
            let v: Vec<(f32, bool, bool)> = idx
                .iter()
                .map(|&i| (scored[i].0, scored[i].1, scored[i].3))
                .collect();
            let t = idx.first().map_or(threshold, |&i| scored[i].4);
            (k.to_string(), metrics::evaluate_flagged(&v, t))
        })
        .collect()
}

fn eval(a: EvalArgs) -> Result<i32> {
    let models = load_models(&a.model)?;
    let model_name = models.describe();
    let opts = a.input.options();
    crate::inputs::check_utc_offsets_of(&opts, &a.data)?;
    let data = load_labelled(&a.data, &[], &opts, false)?;
    if data.is_empty() {
        bail!(
            "no labelled posts in {}: each needs a `label` (1 or 0)",
            a.data.join(", ")
        );
    }
    let thresholds = models.thresholds(a.threshold);
    let threshold = thresholds[0];
    let a_by_probability = a.by_probability;
    let mut scratch = models.scratches();
    let scored: Vec<Scored<'_>> = data
        .iter()
        .map(|l| {
            let m = models.route(&l.lang);
            let t = thresholds[m];
            // Its text and each of its media's descriptions on its own, as a scan scores them.
            let parts = models.assess_parts(
                (m, &l.text),
                l.alts.iter().map(String::as_str),
                &mut scratch,
                &thresholds,
            );
            let flagged = if a_by_probability {
                parts.over_threshold
            } else {
                parts.flagged.is_some()
            };
            (parts.probability, l.label, l.lang.as_str(), flagged, t)
        })
        .collect();
    let pairs: Vec<(f32, bool)> = scored.iter().map(|s| (s.0, s.1)).collect();
    let triples: Vec<(f32, bool, bool)> = scored.iter().map(|s| (s.0, s.1, s.3)).collect();
    let overall = metrics::evaluate_flagged(&triples, threshold);
    let at_precision = metrics::threshold_for_precision(&pairs, a.precision);
    let per_lang = metrics_by(&scored, threshold, |i| Some(scored[i].2));
    // By the posts' `category`, where the data gives them (posts without one are left
    // out of this breakdown, not of the others).
    let per_category = metrics_by(&scored, threshold, |i| data[i].category.as_deref());
    let errors = eval_errors(&data, &scored, &models, a.errors);
    let mut out = std::io::stdout().lock();
    if a.json {
        let v = serde_json::json!({
            "errors": (a.errors > 0).then(|| serde_json::json!({
                "false_positives": errors.0.iter().map(|e| e.to_json(&data)).collect::<Vec<_>>(),
                "false_negatives": errors.1.iter().map(|e| e.to_json(&data)).collect::<Vec<_>>(),
            })),
            "model": model_name,
            "flagged_by": if a.by_probability { "probability" } else { "probability and evidence" },
            "data": a.data,
            "overall": overall,
            "threshold_for_precision": at_precision.map(|(t, r)| serde_json::json!({"precision": a.precision, "threshold": t, "recall": r})),
            "by_language": per_lang.iter().map(|(l, m)| (l.clone(), serde_json::to_value(m).unwrap_or_default())).collect::<serde_json::Map<_, _>>(),
            "by_category": per_category.iter().map(|(l, m)| (l.clone(), serde_json::to_value(m).unwrap_or_default())).collect::<serde_json::Map<_, _>>(),
        });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        return Ok(0);
    }
    let fmt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.4}"));
    writeln!(
        out,
        "model {model_name}, {} posts ({} positive), threshold {threshold:.3}{}",
        overall.n,
        overall.positives,
        if a.by_probability {
            ", flagged by probability alone"
        } else {
            ""
        }
    )?;
    // The names' column as wide as the longest (a category such as `news-breaking`), up
    // to 40 characters: names are the data's, cut there, on one line.
    let name = |k: &str| raqib_scan::clip(k, 40);
    let w = per_lang
        .iter()
        .chain(&per_category)
        .map(|(k, _)| name(k).chars().count())
        .max()
        .unwrap_or(0)
        .max(10);
    writeln!(
        out,
        "{:<w$} {:>7} {:>7} {:>9} {:>7} {:>7} {:>7} {:>8} {:>8}",
        "", "n", "pos", "precision", "recall", "F1", "FPR", "ROC-AUC", "PR-AUC"
    )?;
    let row = |name: &str, m: &metrics::Metrics| {
        format!(
            "{:<w$} {:>7} {:>7} {:>9.4} {:>7.4} {:>7.4} {:>7.4} {:>8} {:>8}",
            name,
            m.n,
            m.positives,
            m.precision,
            m.recall,
            m.f1,
            m.false_positive_rate,
            fmt(m.roc_auc),
            fmt(m.pr_auc)
        )
    };
    writeln!(out, "{}", row("all", &overall))?;
    for (l, m) in &per_lang {
        writeln!(out, "{}", row(&name(l), m))?;
    }
    if !per_category.is_empty() {
        writeln!(out, "by category:")?;
        for (c, m) in &per_category {
            writeln!(out, "{}", row(&name(c), m))?;
        }
    }
    let c = overall.confusion;
    writeln!(
        out,
        "confusion: TP {} FP {} TN {} FN {}",
        c.tp, c.fp, c.tn, c.r#fn
    )?;
    for (title, list) in [
        (
            "false positives (clean posts flagged), strongest first",
            &errors.0,
        ),
        (
            "false negatives (propaganda missed), weakest first",
            &errors.1,
        ),
    ] {
        if a.errors > 0 {
            writeln!(
                out,
                "{title}:{}",
                if list.is_empty() { " none" } else { "" }
            )?;
        }
        for e in list {
            let d = &data[e.index];
            // The data's strings on one line each (no control characters reach the
            // terminal), ids and kinds cut short.
            let kind = d
                .category
                .as_deref()
                .map(|c| format!(", {}", name(c)))
                .unwrap_or_default();
            writeln!(
                out,
                "  {:.4}  {}:{}  {}  [{}{kind}]",
                e.score,
                raqib_scan::clip(&d.file, 200),
                d.line,
                raqib_scan::clip(&d.id, 60),
                name(&d.lang)
            )?;
            writeln!(out, "          {}", raqib_scan::clip(&d.text, 120))?;
            if !e.evidence.is_empty() {
                writeln!(out, "          why: {}", raqib_scan::why(&e.evidence))?;
            }
            if !e.held_back_by.is_empty() {
                writeln!(
                    out,
                    "          held back by: {}",
                    raqib_scan::why(&e.held_back_by)
                )?;
            }
        }
    }
    match at_precision {
        Some((t, r)) => writeln!(
            out,
            "precision >= {}: threshold {t:.4}, recall {r:.4}",
            a.precision
        )?,
        None => writeln!(
            out,
            "precision >= {}: not reached at any threshold",
            a.precision
        )?,
    }
    Ok(0)
}

fn explain(a: ExplainArgs) -> Result<i32> {
    let models = load_models(&a.model)?;
    let model = models.get(models.route_text(None, &a.text));
    let e = model.explain(&a.text, a.explain, &mut Scratch::default());
    let mut out = std::io::stdout().lock();
    let threshold = a.threshold.unwrap_or(model.header.threshold);
    let verdict = if e.flagged(threshold) {
        "FLAGGED"
    } else {
        "not flagged"
    };
    writeln!(
        out,
        "{:.4} {verdict} (threshold {threshold:.4})",
        e.probability
    )?;
    if !e.evidence && e.probability >= threshold {
        writeln!(
            out,
            "no evidence: nothing in the text that the model knows points towards propaganda \
             (it scores the model's prior or below), so it is not flagged at any threshold"
        )?;
    }
    writeln!(out, "normalised: {}", raqib_text::normalise(&a.text))?;
    for s in &e.spans {
        writeln!(
            out,
            "  +{:.3}  bytes {}..{}  «{}»  (seen as «{}»)",
            s.weight, s.start, s.end, s.text, s.feature
        )?;
    }
    Ok(0)
}

fn normalise(a: NormaliseArgs) -> Result<i32> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut n = raqib_text::Normaliser::default();
    if a.texts.is_empty() {
        for line in std::io::stdin().lock().lines() {
            let line = line.context("standard input is not valid UTF-8")?;
            writeln!(out, "{}", n.run(&line).as_string())?;
        }
    } else {
        for t in &a.texts {
            writeln!(out, "{}", n.run(t).as_string())?;
        }
    }
    out.flush()?;
    Ok(0)
}

/// A progress bar over files on standard error (hidden when it is not a terminal).
pub fn file_progress(total: u64, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} files {per_sec} eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_names_the_file_only_among_many() {
        let files = raqib_scan::FileProgress::default();
        assert_eq!(which_file(&files, 3), "", "nothing opened yet");
        *files.current.lock().unwrap() = Some(Arc::from("exports/chan/result.json"));
        files.opened.store(2, Ordering::Relaxed);
        assert_eq!(
            which_file(&files, 3),
            "; file 2 of 3: exports/chan/result.json"
        );
        assert_eq!(which_file(&files, 1), "", "one input: its name is known");
        let long = format!("exports/{}/result.json", "ش".repeat(60));
        *files.current.lock().unwrap() = Some(Arc::from(long.as_str()));
        let shown = which_file(&files, 3);
        assert!(shown.ends_with("شش/result.json"), "{shown}");
        assert_eq!(shown.split(": ").nth(1).unwrap().chars().count(), 50);
        assert!(shown.contains(": …ش"), "{shown}");
    }
}
