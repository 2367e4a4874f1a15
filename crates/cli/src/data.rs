//! Loading labelled examples for `train` and `eval`.

use anyhow::{bail, Result};
use raqib_ingest::{open_chunks, Options};
use raqib_model::Record;

pub struct Labelled {
    pub text: String,
    pub label: bool,
    pub lang: String,
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
