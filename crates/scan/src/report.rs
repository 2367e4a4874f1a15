//! Report files and the readable summary.
//!
//! Files in the output directory:
//! - `posts.jsonl`: one flagged post per line (every post with `--all-posts`), with score,
//!   evidence spans and the file and line it came from;
//! - `accounts.jsonl` and `accounts.csv`: every account, riskiest first, with both ranks;
//! - `diagnostics.jsonl`: every skipped record, with file, line and why;
//! - `summary.json` and `summary.txt`: the totals and top lists.
//!
//! Whole-file reports are written to a temporary name and renamed, so a reader never sees
//! half a file. An earlier run's reports are deleted off the scan's path ([`Trash`]).

use std::io::Write;
use std::path::Path;

use crate::accounts::AccountReport;
use crate::trash::Trash;
use crate::{Summary, FLAGGED_PLACES};

fn atomic_write(
    path: &Path,
    trash: &Trash,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut f = Staged::create(path)?;
    write(&mut f.file)?;
    f.commit(trash)
}

pub(crate) fn write_networks(
    dir: &Path,
    clusters: &[crate::accounts::ClusterReport],
    trash: &Trash,
) -> std::io::Result<()> {
    let path = dir.join("networks.jsonl");
    trash.clear(&path);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for c in clusters {
        serde_json::to_writer(&mut f, c)?;
        f.write_all(b"\n")?;
    }
    f.flush()
}

/// `accounts.jsonl` and `accounts.csv`, riskiest first, written side by side on two threads
/// from each batch of rows as it is made.
pub(crate) fn write_accounts(
    dir: &Path,
    ranked: &crate::accounts::Ranked,
    trash: &Trash,
) -> std::io::Result<()> {
    let mut jsonl = Staged::create(&dir.join("accounts.jsonl"))?;
    let mut csv = Staged::create(&dir.join("accounts.csv"))?;
    let (mut jbuf, mut cbuf) = (Vec::with_capacity(1 << 20), Vec::with_capacity(1 << 20));
    crate::csvout::write_header(&mut cbuf);
    ranked.for_each_batch(|rows| {
        std::thread::scope(|s| {
            let j = s.spawn(|| {
                write_rows(&mut jsonl, &mut jbuf, rows, |buf, r| {
                    crate::jsonout::write_account(buf, r);
                    buf.push(b'\n');
                })
            });
            let c = write_rows(&mut csv, &mut cbuf, rows, crate::csvout::write_account);
            j.join().expect("report thread panicked").and(c)
        })
    })?;
    jsonl.file.write_all(&jbuf)?;
    csv.file.write_all(&cbuf)?;
    jsonl.commit(trash)?;
    csv.commit(trash)
}

/// Rows into `buf`, written out each megabyte.
fn write_rows(
    out: &mut Staged,
    buf: &mut Vec<u8>,
    rows: &[AccountReport],
    write: impl Fn(&mut Vec<u8>, &AccountReport),
) -> std::io::Result<()> {
    for (i, r) in rows.iter().enumerate() {
        prefetch_ahead(rows, i);
        write(buf, r);
        if buf.len() >= 1 << 20 {
            out.file.write_all(buf)?;
            buf.clear();
        }
    }
    Ok(())
}

/// A report file written under a temporary name and renamed over its own once whole, so a
/// reader never sees half a file ([`atomic_write`] for a report written at once).
struct Staged {
    path: std::path::PathBuf,
    tmp: std::path::PathBuf,
    file: std::io::BufWriter<std::fs::File>,
}

impl Staged {
    fn create(path: &Path) -> std::io::Result<Staged> {
        // `accounts.jsonl.tmp`, not `accounts.tmp`: files written at once must not share one.
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        let file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        Ok(Staged {
            path: path.to_path_buf(),
            tmp,
            file,
        })
    }

    fn commit(mut self, trash: &Trash) -> std::io::Result<()> {
        self.file.flush()?;
        drop(self.file);
        trash.keep_until_replaced(&self.path);
        std::fs::rename(&self.tmp, &self.path)
    }
}

/// Ask the CPU for the strings of the rows written soon after row `i`. A row's strings
/// (id, platform, the reason, the strongest posts' ids) live on the heap apart from it,
/// so without this each string was a cache miss in turn. The strongest posts' ids are two
/// loads away (the list, then each id), so they are asked for nearer, once their list is in
/// cache.
fn prefetch_ahead(rows: &[AccountReport], i: usize) {
    use raqib_model::hint::prefetch;
    let first = |s: &str| s.as_bytes().first().map(prefetch);
    if let Some(r) = rows.get(i + 8) {
        first(&r.platform);
        first(&r.id);
        first(&r.why);
        r.why.as_bytes().get(64).map(prefetch);
        r.top_posts.first().map(prefetch);
    }
    if let Some(r) = rows.get(i + 4) {
        for p in &r.top_posts {
            first(p);
        }
    }
}

pub(crate) fn write_summary(dir: &Path, s: &Summary, trash: &Trash) -> std::io::Result<()> {
    atomic_write(&dir.join("summary.json"), trash, |w| {
        serde_json::to_writer_pretty(&mut *w, s)?;
        w.write_all(b"\n")
    })?;
    atomic_write(&dir.join("summary.txt"), trash, |w| {
        w.write_all(render_summary(s).as_bytes())
    })
}

/// `s` on one line (control characters as spaces), cut to `n` characters with `…`.
pub fn clip(s: &str, n: usize) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= n {
        one_line
    } else {
        let mut t: String = one_line.chars().take(n).collect();
        t.push('…');
        t
    }
}

/// A post's evidence on one line, as a reviewer reads it: `«word» +1.23, ...` (a weight
/// against, `-0.80`).
pub fn why(evidence: &[raqib_model::TextSpan]) -> String {
    why_in(evidence, &[])
}

/// Where a post's medium `k` (from 0) has its words, as a reviewer reads it: `link card 2`
/// for a link card (`media_kind`, the kinds of its media, says), else `description of
/// medium 2`.
pub fn medium_words(k: usize, media_kind: &[String]) -> String {
    match media_kind.get(k).map(String::as_str) {
        Some(raqib_model::MediaRef::LINK) => format!("link card {}", k + 1),
        _ => format!("description of medium {}", k + 1),
    }
}

/// [`why`], naming a link card as one where `media_kind` (the kinds of the post's media)
/// says a medium is.
pub fn why_in(evidence: &[raqib_model::TextSpan], media_kind: &[String]) -> String {
    let ev: Vec<String> = evidence
        .iter()
        .map(|e| {
            // Evidence in a medium's description (alt text) or a link card says which.
            let place = e
                .media
                .map(|k| format!(" ({})", medium_words(k as usize, media_kind)))
                .unwrap_or_default();
            format!("«{}» {:+.2}{place}", clip(&e.text, 30), e.weight)
        })
        .collect();
    ev.join(", ")
}

/// The summary a person reads at the end of a scan.
pub fn render_summary(s: &Summary) -> String {
    // Whatever the input put in a name, an id or a file's name is written so that it can
    // neither drive the reader's terminal nor forge a line (`raqib_model::printable`);
    // what is left of it in the lines (a reason naming a place or a post) is made safe
    // whole at the end.
    let o = summary_lines(s);
    match raqib_model::printable_lines(&o) {
        std::borrow::Cow::Borrowed(_) => o,
        std::borrow::Cow::Owned(safe) => safe,
    }
}

/// An id, a name or a file's name from the input, on one line of the summary: escaped
/// where it holds a character that could drive a terminal, and cut at 200 characters.
fn shown(s: &str) -> String {
    // Nothing that acts is left after `printable`, so `clip` only cuts.
    clip(&raqib_model::printable(s), 200)
}

/// A post's or an account's `PLATFORM/ID` (its id alone where the input names no
/// platform), as [`shown`].
fn qualified(platform: &str, id: &str) -> String {
    if platform.is_empty() {
        shown(id)
    } else {
        format!("{}/{}", shown(platform), shown(id))
    }
}

fn summary_lines(s: &Summary) -> String {
    let mut o = String::new();
    let pct = |a: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    o.push_str(&format!(
        "raqib scan{}: {} posts from {} file(s) in {:.2}s ({:.0} posts/s), model {} at threshold {:.4}\n",
        if s.interrupted { " (INTERRUPTED: partial results)" } else { "" },
        s.posts,
        s.files,
        s.seconds,
        s.posts_per_second,
        s.model,
        s.threshold
    ));
    o.push_str(&format!(
        "flagged: {} posts ({:.1}%), {} of {} accounts\n",
        s.flagged_posts,
        pct(s.flagged_posts, s.posts),
        s.flagged_accounts,
        s.accounts
    ));
    if s.shares_by_reference > 0 {
        o.push_str(&format!(
            "shares by reference: {} (reposts that name the post they share and hold nothing \
             of their own: not scored and not counted as posts; --networks reads them as \
             shares, and counts a repost of a post this scan scored for its reposter)\n",
            s.shares_by_reference
        ));
        if s.reposts_of_flagged > 0 {
            o.push_str(&format!(
                "  of them {} of flagged posts: each counts for its reposter as a flagged post\n",
                s.reposts_of_flagged
            ));
        }
    }
    if s.held_back_no_evidence > 0 {
        o.push_str(&format!(
            "held back: {} post(s) over the threshold with nothing in their text that points \
             towards propaganda (no evidence; see `raqib scan --help`)\n",
            s.held_back_no_evidence
        ));
    }
    if s.edited_versions_merged > 0 {
        o.push_str(&format!(
            "edited posts: {} later version(s) counted with their post's other versions for \
             their accounts (each is still a post above and in posts.jsonl)\n",
            s.edited_versions_merged
        ));
    }
    if s.edited_versions_apart > 0 {
        o.push_str(&format!(
            "edited posts: {} later version(s) counted for their accounts as posts of their \
             own: their first version was not in the input, or came too long before to be \
             kept track of (docs/format.md, \"Edited posts\")\n",
            s.edited_versions_apart
        ));
    }
    if let Some(w) = &s.window {
        let bound = |b: &Option<String>, open: &str| b.clone().unwrap_or_else(|| open.into());
        o.push_str(&format!(
            "time window {} to {}: {} post(s) made outside it passed over, {} with no time \
             scanned (they may lie in it)\n",
            bound(&w.since, "the start"),
            bound(&w.until, "now"),
            w.outside,
            w.undated
        ));
    }
    if let Some(m) = &s.local_media {
        o.push_str(&format!(
            "local media: {} file(s) hashed, {} could not be (missing, too large, not \
             decodable, or in an archive that could not be read){}\n",
            m.hashed,
            m.not_hashed,
            m.media_error
                .as_deref()
                .map(|e| format!("; the first: {e}"))
                .unwrap_or_default()
        ));
        if m.videos_framed + m.videos_not_framed > 0 {
            o.push_str(&format!(
                "local videos: {} with their frames hashed (vPDQ), {} by their SHA-256 alone{}\n",
                m.videos_framed,
                m.videos_not_framed,
                m.video_error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ));
        }
    }
    if s.network_clusters > 0 {
        o.push_str(&format!(
            "coordinated clusters: {} (see networks.jsonl and accounts.jsonl `network`)\n",
            s.network_clusters
        ));
    }
    if s.linked_accounts > 0 {
        o.push_str(&format!(
            "linked to suspended accounts: {} account(s) (see accounts.jsonl `links`)\n",
            s.linked_accounts
        ));
    }
    if s.skipped_records > 0 || s.files_unreadable > 0 {
        o.push_str(&format!(
            "skipped: {} record(s) with problems, {} unreadable file(s); see diagnostics\n",
            s.skipped_records, s.files_unreadable
        ));
    }
    if !s.by_language.is_empty() {
        let langs: Vec<String> = s
            .by_language
            .iter()
            .take(6)
            .map(|(l, n, f)| format!("{l} {f}/{n}"))
            .collect();
        o.push_str(&format!(
            "by language (flagged/posts): {}\n",
            langs.join(", ")
        ));
    }
    if !s.flagged_by_place.is_empty() {
        let shown = s.flagged_by_place.len().min(10);
        let more = s.places_with_flagged.saturating_sub(shown as u64);
        o.push_str(&format!(
            "\nplaces with the most flagged posts{}:\n",
            if more > 0 {
                format!(" ({more} more; summary.json lists up to {FLAGGED_PLACES})")
            } else {
                String::new()
            }
        ));
        for (place, n) in &s.flagged_by_place[..shown] {
            o.push_str(&format!("  {n:>7}  {}\n", clip(place, 80)));
        }
    }
    if !s.top_posts.is_empty() {
        o.push_str("\nstrongest flagged posts:\n");
        for p in &s.top_posts {
            let edit = p
                .first_version
                .as_deref()
                .map(|f| format!(" (an edit of {})", shown(f)))
                .unwrap_or_default();
            let place = p
                .place
                .as_deref()
                .map(|w| format!(" in {}", clip(w, 60)))
                .unwrap_or_default();
            o.push_str(&format!(
                "  {:.3}  {}{edit} by {}{place}  [{}:{}]\n",
                p.score,
                qualified(&p.platform, &p.id),
                shown(&p.account),
                shown(&p.file),
                p.line
            ));
            o.push_str(&format!("         {}\n", clip(&p.text, 100)));
            if let Some(l) = &p.permalink {
                o.push_str(&format!("         at {}\n", clip(l, 200)));
            }
            for (k, alt) in p.media_alt.iter().enumerate() {
                if !alt.is_empty() {
                    o.push_str(&format!(
                        "         {}: {}\n",
                        medium_words(k, &p.media_kind),
                        clip(alt, 100)
                    ));
                }
            }
            if !p.evidence.is_empty() {
                o.push_str(&format!(
                    "         why: {}\n",
                    why_in(&p.evidence, &p.media_kind)
                ));
            }
        }
    }
    if !s.top_accounts_by_risk.is_empty() {
        o.push_str("\naccounts by risk:\n");
        for a in &s.top_accounts_by_risk {
            let name = a
                .handle
                .as_deref()
                .map(|h| format!(" @{}", shown(h)))
                .unwrap_or_default();
            o.push_str(&format!(
                "  {:>3}. {:.3}{} {}{}  reach {}  — {}\n",
                a.rank_risk,
                a.risk,
                if a.flagged { " FLAGGED" } else { "" },
                qualified(&a.platform, &a.id),
                name,
                a.reach.map_or("?".into(), |r| r.to_string()),
                raqib_model::printable(&a.why)
            ));
        }
    }
    if !s.top_accounts_by_reach.is_empty() {
        o.push_str("\nflagged accounts by risk × reach (review first):\n");
        for a in &s.top_accounts_by_reach {
            o.push_str(&format!(
                "  {:>3}. {}  priority {:.2}  risk {:.3}  reach {}\n",
                a.rank_reach,
                qualified(&a.platform, &a.id),
                a.priority,
                a.risk,
                a.reach.map_or("?".into(), |r| r.to_string())
            ));
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{rank, AccountAgg};

    /// The two account reports are written at the same time; each must arrive whole under
    /// its own name, with no temporary file left behind.
    #[test]
    fn both_account_reports_are_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let aggs: crate::chunked::Chunked<AccountAgg> = (0..30_000)
            .map(|i| {
                let mut a = AccountAgg::new("x", &format!("acct{i}"));
                a.add_post(&format!("p{i}"), (i % 100) as f32 / 100.0, i % 7 == 0, None);
                a
            })
            .collect();
        let rule = crate::accounts::AccountRule::at(0.5);
        let rows = rank(aggs.clone(), rule);
        // More accounts than a batch: written in several.
        let ranked = crate::accounts::Ranked::new(aggs, rule);
        for _ in 0..3 {
            write_accounts(dir.path(), &ranked, &Trash::new(dir.path())).unwrap();
            let jsonl = std::fs::read_to_string(dir.path().join("accounts.jsonl")).unwrap();
            let csv = std::fs::read_to_string(dir.path().join("accounts.csv")).unwrap();
            assert_eq!(jsonl.lines().count(), rows.len());
            for (line, r) in jsonl.lines().zip(&rows) {
                let mut want = Vec::new();
                crate::jsonout::write_account(&mut want, r);
                assert_eq!(line.as_bytes(), &want[..]);
            }
            assert_eq!(csv.lines().count(), rows.len() + 1);
            let names: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
        }
    }
}
