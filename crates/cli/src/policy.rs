//! `raqib policy`: check a policy file, and apply it to a scan report.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use raqib_policy::{Action, Decision, Item, Policy, SignalIn};
use serde::Serialize;

#[derive(Args, Debug)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Check a policy file: its rules, or the line of the first problem.
    Check {
        #[arg(value_name = "POLICY.toml")]
        file: PathBuf,
    },
    /// Decide an action for every flagged post and account of a `raqib scan --out` report.
    Apply {
        /// The policy file.
        #[arg(long, value_name = "POLICY.toml")]
        policy: PathBuf,
        /// A report folder from `raqib scan --out DIR`.
        #[arg(value_name = "REPORT_DIR")]
        report: PathBuf,
        /// Write the decisions here (JSON Lines) instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Also write items whose decision is `ignore`.
        #[arg(long)]
        all: bool,
        /// Append every decision to this audit log (hash-chained; `raqib audit verify`).
        #[arg(long, value_name = "FILE")]
        audit: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check every entry's hash and its link to the one before; print the head hash.
    Verify {
        /// An audit log file (`raqib policy apply --audit FILE`).
        #[arg(value_name = "AUDIT.jsonl", required_unless_present = "store")]
        file: Option<PathBuf>,
        /// Verify the audit log kept in a `raqib serve` store instead: DATA/raqib.redb or a
        /// postgres:// URL.
        #[arg(long, value_name = "LOCATION", conflicts_with = "file")]
        store: Option<String>,
    },
}

pub fn audit_cmd(a: AuditArgs) -> Result<i32> {
    match a.command {
        AuditCommand::Verify {
            file: None,
            store: Some(loc),
        } => {
            let store = crate::serve::open_store(&loc)?;
            let mut text = Vec::new();
            for e in crate::serve::store_entries(&*store)? {
                serde_json::to_writer(&mut text, &e)?;
                text.push(b'\n');
            }
            let v = raqib_store::audit::verify_reader(&text[..], &store.describe())?;
            println!(
                "{}: {} entries, chain intact; head {}",
                store.describe(),
                v.entries,
                v.head
            );
            eprintln!("raqib: keep the head hash elsewhere: entries cut off the end are only visible against it");
            Ok(0)
        }
        AuditCommand::Verify { file, .. } => {
            let file = file.expect("clap requires a file or --store");
            if !file.exists() {
                bail!("{}: no audit log here", file.display());
            }
            let v = raqib_store::audit::verify(&file)?;
            println!(
                "{}: {} entries, chain intact; head {}",
                file.display(),
                v.entries,
                v.head
            );
            if v.torn_tail {
                eprintln!(
                    "raqib: {}: the last line is incomplete (a write cut short by a crash); it was never acknowledged and is not part of the chain",
                    file.display()
                );
            }
            eprintln!("raqib: keep the head hash elsewhere: entries cut off the end are only visible against it");
            Ok(0)
        }
    }
}

fn load(path: &Path) -> Result<Policy> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Policy::parse(&text, &path.display().to_string())?)
}

#[derive(Serialize)]
struct DecisionLine<'a> {
    item: &'static str,
    platform: &'a str,
    id: &'a str,
    #[serde(flatten)]
    decision: &'a Decision,
}

fn post_item(v: &serde_json::Value) -> Item {
    let mut signals = vec![SignalIn {
        kind: "text".into(),
        score: v["score"].as_f64().unwrap_or(0.0) as f32,
        list: None,
    }];
    for m in v["media_matches"].as_array().into_iter().flatten() {
        signals.push(SignalIn {
            kind: "media".into(),
            score: 1.0,
            list: m["list"].as_str().map(str::to_string),
        });
    }
    Item {
        platform: v["platform"].as_str().unwrap_or_default().to_string(),
        place: v["place"].as_str().map(str::to_string),
        lang: v["lang"].as_str().map(str::to_string),
        reach: v["reach"].as_u64(),
        signals,
    }
}

fn account_item(v: &serde_json::Value) -> Item {
    let mut signals = Vec::new();
    if let Some(p) = v["profile_score"].as_f64() {
        signals.push(SignalIn {
            kind: "profile".into(),
            score: p as f32,
            list: None,
        });
    }
    if let Some(l) = v["links"].as_array().and_then(|l| l.first()) {
        signals.push(SignalIn {
            kind: "link".into(),
            score: l["score"].as_f64().unwrap_or(0.0) as f32,
            list: None,
        });
    }
    if let Some(n) = v.get("network").filter(|n| n.is_object()) {
        // A cluster with flagged members, or whose members shared flagged posts, scores 1;
        // one without 0.5.
        let flagged = n["flagged_members"].as_u64().unwrap_or(0) > 0
            || n["flagged_shared"].as_u64().unwrap_or(0) > 0;
        signals.push(SignalIn {
            kind: "network".into(),
            score: if flagged { 1.0 } else { 0.5 },
            list: None,
        });
    }
    Item {
        platform: v["platform"].as_str().unwrap_or_default().to_string(),
        place: None,
        lang: None,
        reach: v["reach"].as_u64(),
        signals,
    }
}

pub fn policy_cmd(a: PolicyArgs) -> Result<i32> {
    match a.command {
        PolicyCommand::Check { file } => {
            let p = load(&file)?;
            println!(
                "{}: {} rule(s){}, reach weight {}",
                file.display(),
                p.rules.len(),
                if p.dry_run { ", DRY RUN" } else { "" },
                p.reach_weight
            );
            for r in &p.rules {
                let mut when = vec![format!("{} ≥ {}", r.signal, r.min_score)];
                when.extend(r.list.as_ref().map(|l| format!("list {l}")));
                when.extend(r.platform.as_ref().map(|l| format!("platform {l}")));
                when.extend(r.place.as_ref().map(|w| format!("place {w:?}")));
                when.extend(r.lang.as_ref().map(|l| format!("language {l}")));
                println!(
                    "  line {:>3}  {:<24} {} → {} (priority {}){}",
                    r.line,
                    r.name,
                    when.join(", "),
                    r.action.name(),
                    r.priority,
                    r.refer_to
                        .as_ref()
                        .map(|t| format!(" to {t}"))
                        .unwrap_or_default()
                );
            }
            Ok(0)
        }
        PolicyCommand::Apply {
            policy,
            report,
            out,
            all,
            audit,
        } => {
            let p = load(&policy)?;
            // Open (and verify) the audit log before deciding anything.
            let mut audit_log = audit
                .as_deref()
                .map(raqib_store::audit::AuditLog::open)
                .transpose()?;
            let posts = report.join("posts.jsonl");
            let accounts = report.join("accounts.jsonl");
            if !posts.exists() && !accounts.exists() {
                bail!(
                    "{}: no posts.jsonl or accounts.jsonl here; give a folder written by `raqib scan --out DIR`",
                    report.display()
                );
            }
            // (item kind, platform, id, decision, facts for the audit log and the report)
            let mut decided: Vec<(&'static str, String, String, Decision, serde_json::Value)> =
                Vec::new();
            let mut problems = 0usize;
            for (path, kind) in [(&posts, "post"), (&accounts, "account")] {
                let Ok(text) = std::fs::read_to_string(path) else {
                    continue;
                };
                for (n, line) in text.lines().enumerate() {
                    let v: serde_json::Value = match serde_json::from_str(line) {
                        Ok(v) => v,
                        Err(e) => {
                            eprintln!("raqib: {}:{}: {e}; skipped", path.display(), n + 1);
                            problems += 1;
                            continue;
                        }
                    };
                    let item = if kind == "post" {
                        post_item(&v)
                    } else {
                        account_item(&v)
                    };
                    let d = p.decide(&item);
                    if d.action != Action::Ignore || all {
                        let facts = if kind == "post" {
                            serde_json::json!({"created_at": v["created_at"], "lang": v["lang"]})
                        } else {
                            serde_json::json!({"posts": v["posts"]})
                        };
                        decided.push((
                            kind,
                            item.platform,
                            v["id"].as_str().unwrap_or_default().to_string(),
                            d,
                            facts,
                        ));
                    }
                }
            }
            decided.sort_by(|a, b| {
                b.3.priority
                    .cmp(&a.3.priority)
                    .then(b.3.action.cmp(&a.3.action))
            });
            let mut w: Box<dyn Write> = match &out {
                Some(f) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(f)
                        .with_context(|| format!("cannot write {}", f.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout())),
            };
            let mut counts: std::collections::BTreeMap<Action, usize> = Default::default();
            for (item, platform, id, d, _) in &decided {
                *counts.entry(d.action).or_default() += 1;
                serde_json::to_writer(
                    &mut w,
                    &DecisionLine {
                        item,
                        platform,
                        id,
                        decision: d,
                    },
                )?;
                w.write_all(b"\n")?;
            }
            w.flush()?;
            if let Some(log) = audit_log.as_mut() {
                let at = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                let records: Vec<raqib_store::audit::Record> = decided
                    .iter()
                    .map(
                        |(item, platform, id, d, facts)| raqib_store::audit::Record {
                            at,
                            actor: "raqib policy apply".into(),
                            kind: "decision".into(),
                            subject: format!("{item}:{platform}:{id}"),
                            data: {
                                let mut data = serde_json::json!({
                                    "action": d.action.name(),
                                    "priority": d.priority,
                                    "rule": d.rule,
                                    "dry_run": d.dry_run,
                                    "policy": policy.display().to_string(),
                                    "source": "detector",
                                });
                                if let (Some(m), Some(f)) =
                                    (data.as_object_mut(), facts.as_object())
                                {
                                    m.extend(
                                        f.iter()
                                            .filter(|(_, v)| !v.is_null())
                                            .map(|(k, v)| (k.clone(), v.clone())),
                                    );
                                }
                                data
                            },
                        },
                    )
                    .collect();
                log.append(&records)?;
            }
            let summary: Vec<String> = counts
                .iter()
                .rev()
                .map(|(a, n)| format!("{} {n}", a.name()))
                .collect();
            eprintln!(
                "raqib: {}{} ({} decisions){}",
                if p.dry_run { "DRY RUN: would " } else { "" },
                if summary.is_empty() {
                    "nothing to do".to_string()
                } else {
                    summary.join(", ")
                },
                decided.len(),
                if problems > 0 {
                    format!("; {problems} unreadable line(s) skipped")
                } else {
                    String::new()
                }
            );
            Ok(0)
        }
    }
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The audit log to count (`raqib policy apply --audit FILE`).
    #[arg(long, value_name = "FILE", required_unless_present = "store")]
    pub audit: Option<PathBuf>,
    /// Count the audit log kept in a `raqib serve` store instead: DATA/raqib.redb or a
    /// postgres:// URL.
    #[arg(long, value_name = "LOCATION", conflicts_with = "audit")]
    pub store: Option<String>,
    /// First moment counted: a date (`2026-01-01`), RFC 3339 time or Unix seconds.
    #[arg(long, value_name = "WHEN")]
    pub from: Option<String>,
    /// Last moment counted (a bare date counts its whole day).
    #[arg(long, value_name = "WHEN")]
    pub to: Option<String>,
    /// Write report.json and report.html here.
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
}

fn when(s: &Option<String>, end: bool) -> Result<Option<i64>> {
    let Some(s) = s else { return Ok(None) };
    let t = raqib_ingest::parse_time(s).with_context(|| {
        format!("`{s}` is not a time: use a date (2026-01-31), an RFC 3339 time or Unix seconds")
    })?;
    let bare_date = s.len() == 10 && s.as_bytes()[4] == b'-';
    Ok(Some(if end && bare_date { t + 86_399 } else { t }))
}

pub fn report_cmd(a: ReportArgs) -> Result<i32> {
    let from = when(&a.from, false)?.unwrap_or(i64::MIN);
    let to = when(&a.to, true)?.unwrap_or(i64::MAX);
    if from > to {
        bail!("--from is after --to");
    }
    let entries = match (&a.audit, &a.store) {
        (_, Some(loc)) => {
            let store = crate::serve::open_store(loc)?;
            crate::serve::store_entries(&*store)?
        }
        (Some(audit), None) => {
            if !audit.exists() {
                bail!(
                    "{}: no audit log here; write one with `raqib policy apply --audit FILE`",
                    audit.display()
                );
            }
            raqib_store::audit::read_entries(audit)?
        }
        (None, None) => bail!("give --audit FILE or --store LOCATION"),
    };
    let first = entries.iter().map(|e| e.record.at).min().unwrap_or(0);
    let last = entries.iter().map(|e| e.record.at).max().unwrap_or(0);
    let t = raqib_store::report::build(&entries, from.max(first), to.min(last.max(first)));
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    std::fs::write(
        a.out.join("report.json"),
        serde_json::to_string_pretty(&t)? + "\n",
    )?;
    std::fs::write(
        a.out.join("report.html"),
        raqib_store::report::render_html(&t),
    )?;
    eprintln!(
        "raqib: {} actions from {} audit entries; {}/report.html and report.json",
        t.actions,
        entries.len(),
        a.out.display()
    );
    Ok(0)
}
