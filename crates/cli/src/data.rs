//! Loading labelled examples for `train` and `eval`.

use anyhow::{bail, Result};
use raqib_ingest::{open_chunks, Options};
use raqib_model::Record;

pub struct Labelled {
    pub text: String,
    pub label: bool,
    pub lang: String,
}

/// How many times each of `data` counts in training, from `--weight FILE=N` (`rules`): 1
/// unless named. A FILE that is none of `data` (compared as given, else as the same file
/// on disk), one named twice, or an N outside 1–100 is refused with what was given.
pub fn weights(rules: &[String], data: &[String]) -> Result<Vec<u32>> {
    let same = |a: &str, b: &str| {
        a == b
            || match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
                (Ok(x), Ok(y)) => x == y,
                _ => false,
            }
    };
    let mut out = vec![1u32; data.len()];
    let mut named = vec![false; data.len()];
    for rule in rules {
        let Some((file, n)) = rule.rsplit_once('=') else {
            bail!("--weight wants FILE=N (N from 1 to 100), got `{rule}`");
        };
        let n: u32 = match n.trim().parse() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => bail!("--weight {rule}: N must be a whole number from 1 to 100"),
        };
        let Some(i) = data.iter().position(|d| same(d, file)) else {
            bail!(
                "--weight {rule}: `{file}` is not one of the --data files ({})",
                data.join(", ")
            );
        };
        if named[i] {
            bail!("--weight names `{file}` twice");
        }
        named[i] = true;
        out[i] = n;
    }
    Ok(out)
}

/// Read every labelled post of `files`. Unlabelled posts are counted, malformed records
/// reported (the first few on stderr); an unreadable file is an error.
pub fn load_labelled(files: &[String], opts: &Options, strict: bool) -> Result<Vec<Labelled>> {
    // A folder stands for the labelled files in it.
    let files = if files.is_empty() {
        Vec::new()
    } else {
        crate::inputs::files(files, None, false)?
    };
    let mut out = Vec::new();
    let (mut unlabelled, mut skipped) = (0u64, 0u64);
    for f in &files {
        for chunk in open_chunks(f, opts)? {
            let mut err = None;
            chunk.for_each_record(|_, r| match r {
                Ok(Record::Post(p)) => match p.label {
                    Some(label) => {
                        let lang = p
                            .lang
                            .clone()
                            .unwrap_or_else(|| raqib_text::script_language(&p.text).to_string());
                        out.push(Labelled {
                            text: p.text,
                            label,
                            lang,
                        });
                    }
                    None => unlabelled += 1,
                },
                Ok(Record::Account(_)) => {}
                Err(d) => {
                    skipped += 1;
                    if skipped <= 10 {
                        eprintln!("raqib: skipped {d}");
                    }
                    if strict && err.is_none() {
                        err = Some(d);
                    }
                }
            });
            if let Some(d) = err {
                bail!("{d}");
            }
        }
    }
    if skipped > 10 {
        eprintln!("raqib: skipped {} more malformed records", skipped - 10);
    }
    if unlabelled > 0 {
        eprintln!("raqib: {unlabelled} posts had no label and were not used");
    }
    Ok(out)
}
