//! Inputs named on the command line: a folder stands for the post files under it.
//!
//! Exports arrive as folders: a Telegram Desktop export per channel (`result.json` beside
//! `photos/` and `video_files/`), a day of a platform's dump split into hundreds of
//! `part-0001.jsonl.gz`. Naming each file runs into the shell's argument limit and misses
//! the ones added later; a folder is walked instead, its input files taken in name order.

use raqib_ingest::is_twitter_archive_tweets;
use std::path::Path;

pub use raqib_ingest::{is_input_name, is_telegram_page, INPUT_EXTENSIONS};

/// Whether `dir` holds a scan's reports: read as input, its `posts.jsonl` would count
/// every flagged post a second time.
fn is_report_folder(dir: &Path) -> bool {
    ["summary.json", "posts.jsonl", "accounts.jsonl"]
        .iter()
        .all(|f| dir.join(f).is_file())
}

/// What went wrong at an entry of a folder being walked, as `PATH: why`: a link loop (not
/// followed), a broken link (and where it pointed), or the error reading it.
pub fn walk_error(e: &walkdir::Error, input: &Path) -> String {
    let path = e
        .path()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| input.display().to_string());
    let broken_link = e.path().and_then(|p| {
        let meta = std::fs::symlink_metadata(p).ok()?;
        let target = std::fs::read_link(p).ok()?;
        (meta.file_type().is_symlink() && !p.exists()).then_some(target)
    });
    let why = if e.loop_ancestor().is_some() {
        "symbolic link loop; not followed".to_string()
    } else if let Some(target) = broken_link {
        format!(
            "broken symbolic link (to {}, which does not exist); skipped",
            target.display()
        )
    } else {
        e.io_error()
            .map(|io| io.to_string())
            .unwrap_or_else(|| e.to_string())
    };
    format!("{path}: {why}")
}

/// A line about what a folder gave.
#[derive(Debug)]
pub struct Note {
    pub text: String,
    /// Something could not be read, or a folder gave nothing: shown even with `--quiet`.
    pub problem: bool,
}

/// The inputs with each folder replaced by the input files under it (every depth, in
/// name order, hidden entries such as `.git` skipped, links followed, a link loop not).
/// `-` and files stay as given, whatever their names. Also says what was left out: for a
/// folder, how many files it held that are not inputs, and any entry that could not be
/// read; a folder with no input file at all is a problem too.
///
/// `skip` is a folder the walk does not enter: a scan's report folder, so that
/// `raqib scan data/ --out data/report/` run twice does not read its own `posts.jsonl`
/// back as posts (a report's lines are JSON objects with an `id` and a `text`). Nor does
/// it enter any other folder that holds a scan's reports (an earlier run's).
pub fn expand(inputs: &[String], skip: Option<&Path>) -> (Vec<String>, Vec<Note>) {
    let skip = skip.and_then(|s| s.canonicalize().ok());
    let mut files = Vec::new();
    let mut notes = Vec::new();
    for input in inputs {
        if input == "-" || !Path::new(input).is_dir() {
            files.push(input.clone());
            continue;
        }
        let (mut found, mut others) = (0usize, 0usize);
        // Pages of a Meta export made in HTML, which raqib does not read: said so.
        let mut meta_html = 0usize;
        let mut skipped_out = false;
        let mut reports = Vec::new();
        let start = files.len();
        let walk = walkdir::WalkDir::new(input)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let hidden = e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
                let dir = e.file_type().is_dir() && e.depth() > 0;
                let out = dir
                    && skip
                        .as_deref()
                        .is_some_and(|s| e.path().canonicalize().is_ok_and(|p| p == s));
                let report = dir && !out && is_report_folder(e.path());
                if out {
                    skipped_out = true;
                }
                if report {
                    reports.push(e.path().display().to_string());
                }
                !hidden && !out && !report
            });
        // Telegram's HTML pages, and the folders that hold a JSON export (`result.json`):
        // an export made in both forms ("HTML and JSON") is read once, from its JSON.
        let mut pages = Vec::new();
        let mut json_exports = Vec::new();
        for entry in walk {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    let name = e.file_name().to_string_lossy();
                    if is_input_name(&name) {
                        found += 1;
                        files.push(e.path().to_string_lossy().into_owned());
                        if name.eq_ignore_ascii_case("result.json") {
                            json_exports.push(e.path().parent().map(Path::to_path_buf));
                        }
                    } else if is_twitter_archive_tweets(&name)
                        || raqib_ingest::is_whatsapp_chat_name(&name)
                    {
                        found += 1;
                        files.push(e.path().to_string_lossy().into_owned());
                    } else if is_telegram_page(&name) {
                        pages.push(files.len());
                        files.push(e.path().to_string_lossy().into_owned());
                    } else {
                        others += 1;
                        meta_html += usize::from(raqib_ingest::is_meta_html_page(
                            &e.path().to_string_lossy(),
                        ));
                    }
                }
                Ok(_) => {}
                Err(e) => notes.push(Note {
                    text: walk_error(&e, Path::new(input)),
                    problem: true,
                }),
            }
        }
        // A page under a folder with a `result.json` is the same messages again.
        let doubled: Vec<usize> = pages
            .iter()
            .copied()
            .filter(|&i| {
                json_exports
                    .iter()
                    .flatten()
                    .any(|dir| Path::new(&files[i]).starts_with(dir))
            })
            .collect();
        found += pages.len() - doubled.len();
        others += doubled.len();
        if !doubled.is_empty() {
            notes.push(Note {
                text: format!(
                    "{input}: {} Telegram HTML {} left out: the export's result.json holds \
                     the same messages",
                    doubled.len(),
                    if doubled.len() == 1 { "page" } else { "pages" },
                ),
                problem: false,
            });
            remove_at(&mut files, doubled.into_iter().collect());
        }
        // A Meta export's sections besides its threads, posts and comments (profile, ads,
        // settings: hundreds of JSON files, none of them posts), said on a line of their
        // own.
        let meta_others =
            raqib_ingest::meta_export_others(files[start..].iter().map(String::as_str));
        if !meta_others.is_empty() {
            found -= meta_others.len();
            notes.push(Note {
                text: format!(
                    "{input}: {} other {} of an export (Meta's, Discord's, Reddit's) left \
                     out: raqib reads its messages, posts and comments, not its profile, \
                     likes, votes, activity or settings",
                    meta_others.len(),
                    files_word(meta_others.len()),
                ),
                problem: false,
            });
            remove_at(
                &mut files,
                meta_others.into_iter().map(|k| start + k).collect(),
            );
        }
        let names = INPUT_EXTENSIONS
            .iter()
            .map(|e| format!(".{e}"))
            .collect::<Vec<_>>()
            .join(", ")
            + ", Telegram's messages*.html, a Twitter archive's tweets.js, or WhatsApp's \
               \"WhatsApp Chat with NAME.txt\" and _chat.txt";
        if skipped_out {
            if let Some(s) = &skip {
                notes.push(Note {
                    text: format!(
                        "{input}: the report folder {} is in it and was left out",
                        s.display()
                    ),
                    problem: false,
                });
            }
        }
        for r in reports {
            notes.push(Note {
                text: format!(
                    "{r}: a raqib report (summary.json, posts.jsonl, accounts.jsonl); left \
                     out, name its files to read them"
                ),
                problem: false,
            });
        }
        if meta_html > 0 {
            notes.push(Note {
                text: format!(
                    "{input}: {meta_html} {} left out, each {}",
                    if meta_html == 1 { "page" } else { "pages" },
                    raqib_ingest::META_HTML_EXPORT
                ),
                problem: found == 0,
            });
        }
        if found == 0 && meta_html == 0 {
            notes.push(Note {
                text: format!(
                    "{input}: no input file in this folder (files named {names}, optionally \
                     .gz, .zst, .bz2 or .xz); name a file to read it whatever its name"
                ),
                problem: true,
            });
        } else if found > 0 && others > 0 {
            notes.push(Note {
                text: format!(
                    "{input}: {found} input {}; {others} other {} left out (not {names})",
                    files_word(found),
                    files_word(others)
                ),
                problem: false,
            });
        }
    }
    // A Twitter archive's tweets name no author: the owner is in the account.js beside them.
    for f in &files {
        let path = Path::new(f);
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| is_twitter_archive_tweets(&n))
            && !path.with_file_name("account.js").is_file()
        {
            notes.push(Note {
                text: format!(
                    "{f}: no account.js beside it, so its tweets are credited to no account; \
                     read the archive's data/ folder as it was unzipped"
                ),
                problem: false,
            });
        }
    }
    // A zip archive is a folder too: what it holds is said before it is read (looked for
    // by name, so that a folder of many files is not opened twice over).
    for f in &files {
        if !f.to_ascii_lowercase().ends_with(".zip") {
            continue;
        }
        if let Some(z) = raqib_ingest::zip_contents(f) {
            if let Some(text) = zip_note(f, &z) {
                notes.push(Note {
                    text,
                    problem: false,
                });
            }
        }
    }
    (files, notes)
}

/// What a zip archive holds, as the line about a folder says it: its inputs, the other
/// members left out, and Telegram pages doubled by a `result.json`. Nothing where every
/// member is read, or none is (its reading says so).
fn zip_note(f: &str, z: &raqib_ingest::ZipContents) -> Option<String> {
    if z.inputs == 0 || z.others + z.doubled == 0 {
        return None;
    }
    let members = |n: usize| if n == 1 { "member" } else { "members" };
    let mut text = format!("{f}: {} input {}", z.inputs, members(z.inputs));
    if z.others > 0 {
        text += &format!(
            "; {} other {} left out (not inputs by their names, as in a folder: media, notes, \
             an archive's other files)",
            z.others,
            members(z.others)
        );
    }
    if z.doubled > 0 {
        text += &format!(
            "; {} Telegram HTML {} left out: the export's result.json holds the same messages",
            z.doubled,
            if z.doubled == 1 { "page" } else { "pages" }
        );
    }
    Some(text)
}

/// `files` without those at the positions `drop`.
fn remove_at(files: &mut Vec<String>, drop: std::collections::HashSet<usize>) {
    let mut k = 0usize;
    files.retain(|_| {
        let keep = !drop.contains(&k);
        k += 1;
        keep
    });
}

fn files_word(n: usize) -> &'static str {
    if n == 1 {
        "file"
    } else {
        "files"
    }
}

/// [`expand`] for a command: its notes printed (problems always, the rest unless
/// `quiet`), and an error where the inputs come to no file at all.
pub fn files(inputs: &[String], skip: Option<&Path>, quiet: bool) -> anyhow::Result<Vec<String>> {
    let (files, notes) = expand(inputs, skip);
    if files.is_empty() {
        let problems: Vec<&str> = notes
            .iter()
            .filter(|n| n.problem)
            .map(|n| n.text.as_str())
            .collect();
        anyhow::bail!("no input to read: {}", problems.join("; "));
    }
    for n in &notes {
        if n.problem || !quiet {
            // A note names files of the input's folders: escaped where a name could drive
            // the terminal.
            eprintln!("raqib: {}", raqib_model::printable_lines(&n.text));
        }
    }
    Ok(files)
}

/// [`check_utc_offsets`] for commands that read their inputs later (`train`, `eval`): the
/// inputs are walked here only when an offset names a path.
pub fn check_utc_offsets_of(opts: &raqib_ingest::Options, inputs: &[String]) -> anyhow::Result<()> {
    let files = if opts.utc_offsets.iter().any(|r| r.path.is_some()) {
        expand(inputs, None).0
    } else {
        Vec::new()
    };
    check_utc_offsets(opts, &files)
}

/// Refuse a `--utc-offset PATH=OFFSET` whose path is none of the inputs' files nor a folder
/// above one (a typo would leave a chat's times in the wrong zone without a word), or two
/// offsets given for one path.
pub fn check_utc_offsets(opts: &raqib_ingest::Options, files: &[String]) -> anyhow::Result<()> {
    let rules = &opts.utc_offsets;
    for (i, r) in rules.iter().enumerate() {
        if let Some(twice) = rules[..i].iter().find(|o| {
            o.path.is_none() && r.path.is_none()
                || o.path
                    .as_deref()
                    .zip(r.path.as_deref())
                    .is_some_and(|(a, b)| {
                        raqib_ingest::path_under(a, b) && raqib_ingest::path_under(b, a)
                    })
        }) {
            anyhow::bail!(
                "--utc-offset is given twice for {}: {} and {}; give each file or folder one",
                r.path.as_deref().unwrap_or("every input"),
                twice.offset,
                r.offset
            );
        }
        if let Some(p) = &r.path {
            if !files.iter().any(|f| raqib_ingest::path_under(f, p)) {
                anyhow::bail!(
                    "--utc-offset {p}=...: {p} is none of the inputs' files, nor a folder \
                     holding one; give the path as the input is given ({})",
                    files
                        .iter()
                        .take(3)
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_names_are_the_formats_compressed_or_not() {
        for yes in [
            "a.jsonl",
            "result.json",
            "dump.CSV",
            "x.tsv.gz",
            "part-0001.jsonl.zst",
            "p.ndjson",
            "2015-06-01.json.bz2",
            "dump.jsonl.xz",
            "twitter-stream-2022-01-01.tar",
            "day.tar.gz",
            "day.TGZ",
        ] {
            assert!(is_input_name(yes), "{yes}");
        }
        for no in [
            "photo.jpg",
            "README.md",
            "messages.html",
            "x.gz",
            "x.bz2",
            "jsonl",
            "a.json.bak",
        ] {
            assert!(!is_input_name(no), "{no}");
        }
    }

    #[test]
    fn telegram_pages_are_messages_html_and_its_numbered_sequels() {
        for yes in [
            "messages.html",
            "messages2.html",
            "Messages12.HTML",
            "messages3.html.gz",
        ] {
            assert!(is_telegram_page(yes), "{yes}");
        }
        for no in [
            "export_results.html",
            "contacts.html",
            "messages_x.html",
            "messages.htm",
        ] {
            assert!(!is_telegram_page(no), "{no}");
        }
    }

    /// Make the (empty) files `made` under `dir` and expand the folder.
    fn expand_made(dir: &tempfile::TempDir, made: &[&str]) -> (Vec<String>, Vec<Note>) {
        for f in made {
            let path = dir.path().join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"").unwrap();
        }
        expand(&[dir.path().display().to_string()], None)
    }

    fn root_len(dir: &tempfile::TempDir) -> usize {
        dir.path().display().to_string().len()
    }

    #[test]
    fn twitter_archive_tweets_are_its_tweet_files_alone() {
        for yes in [
            "tweets.js",
            "tweets-part1.js",
            "tweet.js",
            "tweet-part12.js",
            "deleted-tweets.js",
            "deleted-tweets-part2.js",
            "community-tweet.js",
            "community-tweet-part1.js",
            "Tweets.JS",
            "tweets.js.gz",
        ] {
            assert!(is_twitter_archive_tweets(yes), "{yes}");
        }
        for no in [
            "account.js",
            "like.js",
            "tweetdeck.js",
            "tweets-part.js",
            "tweets-partx.js",
            "tweet-headers.js",
            "deleted-account.js",
            "tweets.json",
            "note-tweet.js",
        ] {
            assert!(!is_twitter_archive_tweets(no), "{no}");
        }
    }

    /// An unzipped archive given as its folder: the tweet files are inputs, the archive's
    /// other files and its viewer's scripts are not; a tweets file with no account.js
    /// beside it gets a note.
    #[test]
    fn a_twitter_archive_folder_gives_its_tweet_files() {
        let dir = tempfile::tempdir().unwrap();
        let made = [
            "archive/Your archive.html",
            "archive/assets/js/app.js",
            "archive/data/account.js",
            "archive/data/like.js",
            "archive/data/tweets.js",
            "archive/data/tweets-part1.js",
            "archive/data/deleted-tweets.js",
            "archive/data/tweets_media/1-a.jpg",
            "loose/tweets.js",
        ];
        let (files, notes) = expand_made(&dir, &made);
        let rel: Vec<&str> = files.iter().map(|f| &f[root_len(&dir)..]).collect();
        assert_eq!(
            rel,
            [
                "/archive/data/deleted-tweets.js",
                "/archive/data/tweets-part1.js",
                "/archive/data/tweets.js",
                "/loose/tweets.js"
            ]
        );
        let text: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
        let unowned: Vec<&&str> = text
            .iter()
            .filter(|t| t.contains("no account.js"))
            .collect();
        assert_eq!(unowned.len(), 1, "{text:?}");
        assert!(unowned[0].contains("loose/tweets.js"), "{text:?}");
        assert!(notes.iter().all(|n| !n.problem), "{text:?}");
    }

    /// WhatsApp's exports by their names; other text files and the media beside them not.
    #[test]
    fn a_folder_gives_whatsapp_chats_by_their_names() {
        let dir = tempfile::tempdir().unwrap();
        let made = [
            "WhatsApp Chat with Example.txt",
            "WhatsApp Chat - Family/_chat.txt",
            "WhatsApp Chat - Family/00000012-PHOTO-2026-11-02-13-15-00.jpg",
            "WhatsApp Chat with Example.txt.gz",
            "notes.txt",
            "IMG-20261113-WA0001.jpg",
        ];
        let (files, _) = expand_made(&dir, &made);
        let rel: Vec<&str> = files.iter().map(|f| &f[root_len(&dir)..]).collect();
        assert_eq!(
            rel,
            [
                "/WhatsApp Chat - Family/_chat.txt",
                "/WhatsApp Chat with Example.txt",
                "/WhatsApp Chat with Example.txt.gz"
            ]
        );
    }

    /// An HTML export is read from its pages; an export made as HTML and JSON from its
    /// `result.json` alone, the pages left out with a note.
    #[test]
    fn telegram_html_pages_are_read_unless_their_export_has_json() {
        let dir = tempfile::tempdir().unwrap();
        let made = [
            "html_only/messages.html",
            "html_only/messages2.html",
            "html_only/css/style.css",
            "both/result.json",
            "both/export_results.html",
            "both/chats/chat_001/messages.html",
        ];
        let (files, notes) = expand_made(&dir, &made);
        let rel: Vec<&str> = files.iter().map(|f| &f[root_len(&dir)..]).collect();
        assert_eq!(
            rel,
            [
                "/both/result.json",
                "/html_only/messages.html",
                "/html_only/messages2.html"
            ]
        );
        let text: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
        assert!(
            text.iter()
                .any(|t| t.contains("1 Telegram HTML page left out")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("3 input files; 3 other files left out")),
            "{text:?}"
        );
    }

    #[test]
    fn a_folder_stands_for_its_input_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("b_channel/photos")).unwrap();
        std::fs::create_dir_all(d.join("a_channel")).unwrap();
        std::fs::create_dir_all(d.join(".git")).unwrap();
        for f in [
            "a_channel/result.json",
            "b_channel/result.json",
            "b_channel/photos/p1.jpg",
            "b_channel/messages.html",
            ".git/config.json",
            "top.jsonl.gz",
        ] {
            std::fs::write(d.join(f), b"").unwrap();
        }
        let single = d.join("named.txt").display().to_string();
        std::fs::write(&single, b"").unwrap();
        let root = d.display().to_string();
        let (files, notes) = expand(&[root.clone(), single.clone(), "-".into()], None);
        let rel: Vec<String> = files
            .iter()
            .map(|f| f.strip_prefix(&root).unwrap_or(f).to_string())
            .collect();
        assert_eq!(
            rel,
            vec![
                "/a_channel/result.json".to_string(),
                "/b_channel/result.json".to_string(),
                "/top.jsonl.gz".to_string(),
                "/named.txt".to_string(),
                "-".to_string(),
            ]
        );
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].text.contains("1 Telegram HTML page left out"));
        let notes = &notes[1..];
        assert!(
            notes[0]
                .text
                .contains("3 input files; 3 other files left out")
                && !notes[0].problem,
            "{notes:?}"
        );
    }

    /// A Meta export made in HTML: its pages are said to be of one, and what to download
    /// instead; a problem where the folder holds nothing else to read.
    #[test]
    fn a_meta_export_in_html_says_to_download_its_json() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "your_instagram_activity/messages/inbox/ann_1/message_1.html",
            "your_instagram_activity/content/posts_1.html",
            "your_instagram_activity/content/index.html",
        ] {
            std::fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
            std::fs::write(d.join(f), b"<html></html>").unwrap();
        }
        let (files, notes) = expand(&[d.display().to_string()], None);
        assert!(files.is_empty());
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].problem);
        assert!(
            notes[0].text.contains("2 pages left out") && notes[0].text.contains("Format: JSON"),
            "{notes:?}"
        );
        // Beside a JSON export's files: left out, said, and no problem.
        std::fs::write(d.join("posts.jsonl"), b"").unwrap();
        let (files, notes) = expand(&[d.display().to_string()], None);
        assert_eq!(files.len(), 1);
        assert!(notes.iter().all(|n| !n.problem), "{notes:?}");
        assert!(notes[0].text.contains("2 pages left out"), "{notes:?}");
    }

    #[test]
    fn a_folder_without_inputs_says_so() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"x").unwrap();
        let (files, notes) = expand(&[dir.path().display().to_string()], None);
        assert!(files.is_empty());
        assert!(notes[0].text.contains("no input file in this folder") && notes[0].problem);
        let err = super::files(&[dir.path().display().to_string()], None, true).unwrap_err();
        assert!(
            err.to_string().contains("no input file in this folder"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_loop_is_a_note_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a.jsonl"), b"").unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/up")).unwrap();
        let (files, notes) = expand(&[dir.path().display().to_string()], None);
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(
            notes.iter().any(|n| n.text.contains("loop") && n.problem),
            "{notes:?}"
        );
    }

    /// A zip archive's line says what a folder's does: inputs, others, doubled pages;
    /// nothing where every member is read or none is.
    #[test]
    fn a_zip_archives_line_counts_its_members() {
        let z = |inputs, others, doubled| raqib_ingest::ZipContents {
            inputs,
            others,
            doubled,
            recovered: false,
        };
        assert_eq!(zip_note("a.zip", &z(3, 0, 0)), None);
        assert_eq!(zip_note("a.zip", &z(0, 5, 0)), None);
        let line = zip_note("a.zip", &z(1, 7, 2)).unwrap();
        assert!(
            line.starts_with("a.zip: 1 input member; 7 other members left out"),
            "{line}"
        );
        assert!(line.contains("2 Telegram HTML pages left out"), "{line}");
    }
}
