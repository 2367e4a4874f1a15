//! `raqib link` and `raqib suspended`: glue over raqib-link.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use raqib_link::store::SuspendedStore;
use raqib_link::{Fingerprint, SuspendedIndex};
use raqib_model::{Account, AccountStatus, Diagnostic, Post, Record};

use crate::cli::InputArgs;

#[derive(Args, Debug)]
pub struct LinkArgs {
    /// The suspended accounts: a folder kept with `raqib suspended`, or files of accounts
    /// (and their posts) to treat as suspended for this run.
    #[arg(long, required = true, num_args = 1.., value_name = "DIR|FILE")]
    pub suspended: Vec<String>,
    /// Accounts to check, with their posts when you have them (more posts, stronger links).
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub accounts: Vec<String>,
    /// Report links scoring at least this (0-1). At the default, the generated benchmark
    /// gives precision 0.99 and recall 0.97 (docs/benchmarks.md).
    #[arg(long, default_value_t = 0.8, value_name = "P")]
    pub min_score: f32,
    /// Suspended accounts listed per linked account, best first.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub top: usize,
    /// Write a line for every account checked, linked or not.
    #[arg(long)]
    pub all: bool,
    /// Write JSON Lines here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Worker threads. Default: one per core.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print nothing but errors and the JSON Lines.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Args, Debug)]
pub struct SuspendedArgs {
    /// The folder holding the suspended-account index.
    #[arg(long, default_value = "suspended", value_name = "DIR", global = true)]
    pub dir: PathBuf,
    #[command(subcommand)]
    pub command: SuspendedCommand,
}

#[derive(Subcommand, Debug)]
pub enum SuspendedCommand {
    /// Fingerprint accounts (with their posts) and add them to the index. An account
    /// already there (same platform and id) is replaced.
    Add {
        /// Files of accounts and posts (raqib JSON Lines, CSV, Twitter API v2, Telegram), or
        /// folders of them (as for `scan`).
        #[arg(required = true, value_name = "FILE")]
        inputs: Vec<String>,
        /// Add only accounts whose status is `suspended` (feed a whole export).
        #[arg(long)]
        only_suspended: bool,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Remove accounts from the index (reinstated, or added by mistake).
    Remove {
        /// Account ids.
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
        /// Their platform.
        #[arg(long, default_value = "", value_name = "NAME")]
        platform: String,
    },
    /// List the accounts in the index.
    List {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Accounts with their posts, read from inputs. Posts whose account has no profile record
/// get a bare account (linking then uses the posts alone).
pub struct Subjects {
    pub list: Vec<(Account, Vec<Post>)>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn read_subjects(inputs: &[String], input: &InputArgs) -> Result<Subjects> {
    let inputs = crate::inputs::files(inputs, None, false)?;
    let opts = input.options();
    crate::inputs::check_utc_offsets(&opts, &inputs)?;
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut list: Vec<(Account, Vec<Post>)> = Vec::new();
    let mut diagnostics = Vec::new();
    for path in &inputs {
        let chunks = raqib_ingest::open_chunks(path, &opts)
            .with_context(|| format!("cannot read {path}"))?;
        for chunk in chunks {
            let file = chunk.file().to_string();
            chunk.for_each_record(|line, rec| match rec {
                Err(d) => diagnostics.push(d),
                Ok(Record::Account(a)) => {
                    if a.id.trim().is_empty() {
                        diagnostics.push(Diagnostic::new(file.clone(), line, "account without an id skipped"));
                        return;
                    }
                    let key = (a.platform.clone(), a.id.clone());
                    match index.get(&key) {
                        Some(&i) => {
                            let old = &mut list[i].0;
                            if old.handle.is_some() && a.handle.is_some() && old.handle != a.handle {
                                diagnostics.push(Diagnostic::new(
                                    file.clone(),
                                    line,
                                    format!(
                                        "account {} appears again with another handle ({:?}, before {:?}); the later record is used",
                                        a.id,
                                        a.handle.as_deref().unwrap_or(""),
                                        old.handle.as_deref().unwrap_or("")
                                    ),
                                ));
                            }
                            merge_account(old, *a);
                        }
                        None => {
                            index.insert(key, list.len());
                            list.push((*a, Vec::new()));
                        }
                    }
                }
                Ok(Record::Post(p)) => {
                    if p.account.trim().is_empty() {
                        diagnostics.push(Diagnostic::new(file.clone(), line, format!("post {} has no account; skipped", p.id)));
                        return;
                    }
                    let key = (p.platform.clone(), p.account.clone());
                    let i = *index.entry(key).or_insert_with(|| {
                        list.push((
                            Account {
                                id: p.account.clone(),
                                platform: p.platform.clone(),
                                ..Default::default()
                            },
                            Vec::new(),
                        ));
                        list.len() - 1
                    });
                    if list[i].1.len() < raqib_link::fingerprint::MAX_POSTS {
                        list[i].1.push(*p);
                    }
                }
            });
        }
    }
    Ok(Subjects { list, diagnostics })
}

/// A later record of the same account: its present fields win.
fn merge_account(old: &mut Account, new: Account) {
    macro_rules! take {
        ($($f:ident),*) => {$( if new.$f.is_some() { old.$f = new.$f; } )*};
    }
    take!(handle, display_name, bio, created_at, avatar, followers);
    if new.status != AccountStatus::Active {
        old.status = new.status;
    }
    if !new.follows.is_empty() {
        old.follows = new.follows;
    }
}

fn fingerprint_all(subjects: &[(Account, Vec<Post>)], threads: usize) -> Vec<Fingerprint> {
    let items: Vec<(&Account, &[Post])> = subjects.iter().map(|(a, p)| (a, &p[..])).collect();
    raqib_link::fingerprint::fingerprint_all(&items, threads)
}

fn report_diagnostics(d: &[Diagnostic], quiet: bool) {
    if quiet || d.is_empty() {
        return;
    }
    for x in d.iter().take(20) {
        eprintln!("raqib: {x}");
    }
    if d.len() > 20 {
        eprintln!(
            "raqib: ... and {} more problems with the input",
            d.len() - 20
        );
    }
}

/// Open `--suspended`: a folder from `raqib suspended`, or files fingerprinted now.
pub fn open_suspended(
    paths: &[String],
    input: &InputArgs,
    threads: usize,
    quiet: bool,
) -> Result<SuspendedIndex> {
    if paths.len() == 1 && Path::new(&paths[0]).is_dir() {
        let st = SuspendedStore::open(Path::new(&paths[0]), false, threads)?;
        for w in &st.warnings {
            eprintln!("raqib: {w}");
        }
        return Ok(st.index);
    }
    let subjects = read_subjects(paths, input)?;
    report_diagnostics(&subjects.diagnostics, quiet);
    Ok(SuspendedIndex::build(
        fingerprint_all(&subjects.list, threads),
        threads,
    ))
}

/// One line of `raqib link` output.
#[derive(serde::Serialize)]
struct LinkLine<'a> {
    platform: &'a str,
    id: &'a str,
    handle: Option<&'a str>,
    posts: usize,
    linked: bool,
    #[serde(serialize_with = "raqib_link::score::ser_round")]
    score: f32,
    links: &'a [raqib_link::Link],
}

pub fn link_cmd(a: LinkArgs) -> Result<i32> {
    if !(0.0..=1.0).contains(&a.min_score) {
        bail!("--min-score must be between 0 and 1 (got {})", a.min_score);
    }
    let threads = crate::cli::threads_or_cores(a.threads);
    let t = Instant::now();
    let idx = open_suspended(&a.suspended, &a.input, threads, a.quiet)?;
    if idx.is_empty() {
        bail!(
            "no suspended accounts in {}: nothing to link to",
            a.suspended.join(", ")
        );
    }
    let subjects = read_subjects(&a.accounts, &a.input)?;
    report_diagnostics(&subjects.diagnostics, a.quiet);
    let fps = fingerprint_all(&subjects.list, threads);
    let per = fps.len().div_ceil(threads).max(1);
    let links: Vec<Vec<raqib_link::Link>> = std::thread::scope(|s| {
        let hs: Vec<_> = fps
            .chunks(per)
            .map(|chunk| {
                let idx = &idx;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|q| idx.link(q, a.min_score, a.top))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("link thread"))
            .collect()
    });
    let mut out: Box<dyn Write> = match &a.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let (mut linked, mut profile_only) = (0usize, 0usize);
    for ((acct, posts), l) in subjects.list.iter().zip(&links) {
        if l.is_empty() && !a.all {
            continue;
        }
        if !l.is_empty() {
            linked += 1;
            profile_only += usize::from(l[0].profile_only);
        }
        let line = LinkLine {
            platform: &acct.platform,
            id: &acct.id,
            handle: acct.handle.as_deref(),
            posts: posts.len(),
            linked: !l.is_empty(),
            score: l.first().map_or(0.0, |x| x.score),
            links: l,
        };
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    if !a.quiet {
        eprintln!(
            "raqib: {} accounts checked against {} suspended; {linked} linked at ≥ {} ({profile_only} of them from the profile alone) in {:.1} s",
            subjects.list.len(),
            idx.len(),
            a.min_score,
            t.elapsed().as_secs_f64()
        );
    }
    Ok(0)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub fn suspended_cmd(a: SuspendedArgs) -> Result<i32> {
    let threads = crate::cli::threads_or_cores(None);
    match a.command {
        SuspendedCommand::Add {
            inputs,
            only_suspended,
            input,
        } => {
            let mut subjects = read_subjects(&inputs, &input)?;
            report_diagnostics(&subjects.diagnostics, false);
            let before = subjects.list.len();
            if only_suspended {
                subjects
                    .list
                    .retain(|(acct, _)| acct.status == AccountStatus::Suspended);
            }
            let mut st = SuspendedStore::open(&a.dir, true, threads)?;
            for w in &st.warnings {
                eprintln!("raqib: {w}");
            }
            let fps = fingerprint_all(&subjects.list, threads);
            let n = fps.len();
            let replaced = st.add(fps, now())?;
            eprintln!(
                "raqib: {n} accounts added to {} ({replaced} replaced an entry with the same id{}); {} in the index",
                a.dir.display(),
                if only_suspended {
                    format!(", {} not suspended left out", before - n)
                } else {
                    String::new()
                },
                st.index.len()
            );
            if n == 0 {
                eprintln!(
                    "raqib: nothing was added: the inputs held no accounts{}",
                    if only_suspended {
                        " marked suspended"
                    } else {
                        ""
                    }
                );
                return Ok(1);
            }
            Ok(0)
        }
        SuspendedCommand::Remove { ids, platform } => {
            let mut st = SuspendedStore::open(&a.dir, false, threads)?;
            let pairs: Vec<(String, String)> =
                ids.iter().map(|i| (platform.clone(), i.clone())).collect();
            let absent = st.remove(&pairs, now())?;
            for (p, id) in &absent {
                eprintln!(
                    "raqib: {id}{} is not in the index (is --platform right?)",
                    if p.is_empty() {
                        String::new()
                    } else {
                        format!(" on {p}")
                    }
                );
            }
            eprintln!(
                "raqib: {} removed; {} in the index",
                ids.len() - absent.len(),
                st.index.len()
            );
            Ok(if absent.is_empty() { 0 } else { 1 })
        }
        SuspendedCommand::List { json } => {
            let st = SuspendedStore::open(&a.dir, false, threads)?;
            for w in &st.warnings {
                eprintln!("raqib: {w}");
            }
            let mut out = std::io::BufWriter::new(std::io::stdout());
            for f in st.index.iter() {
                if json {
                    serde_json::to_writer(
                        &mut out,
                        &serde_json::json!({
                            "platform": f.platform, "id": f.id, "handle": f.handle,
                            "display_name": f.display_name, "posts": f.style_posts,
                            "avatar": f.avatar.is_some(), "refs": f.refs,
                        }),
                    )?;
                    out.write_all(b"\n")?;
                } else {
                    // Names from the input, escaped where they could drive a terminal.
                    let p = raqib_model::printable;
                    writeln!(
                        out,
                        "{}\t{}\t@{}\t{}",
                        p(&f.platform),
                        p(&f.id),
                        p(&f.handle),
                        p(&f.display_name)
                    )?;
                }
            }
            out.flush()?;
            Ok(0)
        }
    }
}
