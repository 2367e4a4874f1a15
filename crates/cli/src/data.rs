//! Loading labelled examples for `train` and `eval`.

use anyhow::{bail, Result};
use raqib_ingest::{open_chunks, Options};
use raqib_model::Record;

#[derive(Clone)]
pub struct Labelled {
    pub text: String,
    /// Its media's descriptions (alt text), scored each on its own as a scan scores them.
    pub alts: Vec<String>,
    pub label: bool,
    pub lang: String,
    /// Its `category` (news, counter-speech...), if the data gives one.
    pub category: Option<String>,
    /// Where it came from, for `eval --errors`: its id, file and line (0 where the format
    /// has no lines).
    pub id: String,
    pub file: std::sync::Arc<str>,
    pub line: u64,
}

impl Labelled {
    /// Its text, then each of its media's descriptions on a line of its own: what `train`
    /// learns from (a labelled post's words, wherever it put them).
    pub fn all_text(&self) -> String {
        let mut s = self.text.clone();
        for a in &self.alts {
            s.push('\n');
            s.push_str(a);
        }
        s
    }
}

/// The `--data` entries (as given) that `--weight FILE=N` (`rules`) names, with their N;
/// the others count once. A FILE that is none of `data` (compared as given, else as the
/// same file on disk), one named twice, or an N outside 1–100 is refused with what was
/// given.
pub fn weights(rules: &[String], data: &[String]) -> Result<Vec<(String, u32)>> {
    let same = |a: &str, b: &str| {
        a == b
            || match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
                (Ok(x), Ok(y)) => x == y,
                _ => false,
            }
    };
    let mut out: Vec<(String, u32)> = Vec::new();
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
        if out.iter().any(|(d, _)| *d == data[i]) {
            bail!("--weight names `{file}` twice");
        }
        out.push((data[i].clone(), n));
    }
    Ok(out)
}

/// Read every labelled post of `files`, each post of an entry `weighted` names (a file, or
/// a folder holding it: see [`weights`]) as many times as it says. Unlabelled posts are
/// counted, malformed records reported (the first few on stderr); an unreadable file is an
/// error.
pub fn load_labelled(
    files: &[String],
    weighted: &[(String, u32)],
    opts: &Options,
    strict: bool,
) -> Result<Vec<Labelled>> {
    // A folder stands for the labelled files in it.
    let files = if files.is_empty() {
        Vec::new()
    } else {
        crate::inputs::files(files, None, false)?
    };
    let mut out = Vec::new();
    let (mut unlabelled, mut skipped) = (0u64, 0u64);
    for f in &files {
        let from = out.len();
        let file: std::sync::Arc<str> = f.as_str().into();
        for chunk in open_chunks(f, opts)? {
            let mut err = None;
            chunk.for_each_record(|line, r| match r {
                Ok(Record::Post(p)) => match p.label {
                    Some(label) => {
                        let lang = p
                            .lang
                            .clone()
                            .unwrap_or_else(|| raqib_text::script_language(&p.text).to_string());
                        let alts = p
                            .media
                            .iter()
                            .filter_map(|m| m.description().map(str::to_string))
                            .collect();
                        out.push(Labelled {
                            text: p.text,
                            alts,
                            label,
                            lang,
                            category: p.category,
                            id: p.id,
                            file: file.clone(),
                            line,
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
        let times = weighted
            .iter()
            .find(|(entry, _)| raqib_ingest::path_under(f, entry))
            .map_or(1, |&(_, n)| n);
        let end = out.len();
        for _ in 1..times {
            out.extend_from_within(from..end);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A labelled post keeps its media's descriptions, for `eval` to score as a scan does
    /// and `train` to learn from with its text.
    #[test]
    fn a_labelled_post_is_its_text_and_its_media_descriptions() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("l.jsonl");
        std::fs::write(
            &f,
            r#"{"id":"1","account":"a","text":"look","label":1,"media":[{"kind":"image","alt":"a flag"},{"kind":"image"}]}
{"id":"2","account":"a","text":"plain","label":0}
"#,
        )
        .unwrap();
        let got =
            load_labelled(&[f.display().to_string()], &[], &Options::default(), false).unwrap();
        let texts: Vec<(&str, &[String])> = got
            .iter()
            .map(|l| (l.text.as_str(), l.alts.as_slice()))
            .collect();
        assert_eq!(
            texts,
            [("look", &["a flag".to_string()][..]), ("plain", &[][..])]
        );
        assert_eq!(got[0].all_text(), "look\na flag");
    }
}
