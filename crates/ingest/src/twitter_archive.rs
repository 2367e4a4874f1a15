//! Twitter's account archive ("Download an archive of your data", what a platform hands
//! over for one account, and what an account's owner can give a researcher): a folder
//! `data/` of JavaScript files, each one assignment of a JSON array,
//! `window.YTD.tweets.part0 = [ {"tweet": {...}}, ... ]`.
//!
//! The tweets (`tweets.js`, `tweets-part1.js`, ... for a large archive; `tweet.js` in
//! archives before 2020, whose elements are the tweet objects themselves, unwrapped) are
//! API v1.1 tweet objects without their author: every one is the archive owner's. So the
//! owner is read first, from the files beside the tweets: `account.js` (id, handle,
//! display name, creation date), `profile.js` (bio, avatar), `follower.js` (how many
//! followers: the reach) and `following.js` (the accounts followed). `deleted-tweets.js`
//! (tweets the owner deleted, kept by Twitter) is read the same way.
//!
//! The assignment is passed over and the array is read as any JSON array is
//! ([`crate::array::ArrayChunks`]), each element made a line prefixed with the owner's
//! id; the workers parse them ([`parse_line`]).

use std::io::{BufRead, Read};
use std::path::Path;

use raqib_model::{Account, MediaRef, Record};
use serde::Deserialize;

use crate::tweets::{tweet_records, Tweet};
use crate::FIELD_SEP;

/// How every archive file starts.
const PREFIX: &[u8] = b"window.YTD.";

/// The longest assignment before the array that is looked for (`window.YTD.` and a data
/// kind's name, `.partN = `).
const MAX_ASSIGNMENT: usize = 256;

/// The data kinds whose elements are tweets.
const TWEET_KINDS: &[&str] = &["tweets", "tweet", "deleted_tweets", "deleted_tweet"];

/// Whether `head` (a file's first bytes) opens a Twitter archive file.
pub(crate) fn looks_like_archive(head: &[u8]) -> bool {
    crate::skip_bom_and_space(head).starts_with(PREFIX)
}

/// The archive file's assignment at the start of `head`: the data kind it names
/// (`tweets` in `window.YTD.tweets.part0 = [`) and how many bytes up to and with the `=`.
fn assignment(head: &[u8]) -> Result<(String, usize), String> {
    let lead = head.len() - crate::skip_bom_and_space(head).len();
    let rest = &head[lead..];
    let not_one = || {
        "not a Twitter archive file: it should start `window.YTD.NAME.partN = [` \
         (as the files in an archive's `data/` folder do)"
            .to_string()
    };
    let name = rest.strip_prefix(PREFIX).ok_or_else(not_one)?;
    let eq = memchr::memchr(b'=', &name[..name.len().min(MAX_ASSIGNMENT)]).ok_or_else(not_one)?;
    let dotted = std::str::from_utf8(&name[..eq])
        .map_err(|_| not_one())?
        .trim();
    let kind = dotted.split('.').next().unwrap_or_default();
    if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(not_one());
    }
    Ok((kind.to_string(), lead + PREFIX.len() + eq + 1))
}

/// Pass over the assignment at the start of `reader` (whose first bytes are `head`),
/// leaving it at the array; an error where the file holds no tweets (`like.js`,
/// `account.js`, ...) says which files do.
pub(crate) fn skip_assignment(reader: &mut impl BufRead, head: &[u8]) -> Result<(), String> {
    let (kind, len) = assignment(head)?;
    if !TWEET_KINDS.contains(&kind.as_str()) {
        return Err(format!(
            "a Twitter archive's `{kind}` file holds no tweets: raqib reads an archive's \
             tweets.js (tweets-part1.js, ...) and deleted-tweets.js, with the account from \
             the account.js beside them; name those files, or the archive's folder"
        ));
    }
    std::io::copy(&mut reader.by_ref().take(len as u64), &mut std::io::sink())
        .map_err(|e| format!("cannot read: {e}"))?;
    Ok(())
}

/// The JSON array of an archive file's bytes (the assignment passed over).
fn array_of(bytes: &[u8]) -> Result<serde_json::Value, String> {
    let (_, len) = assignment(&bytes[..bytes.len().min(MAX_ASSIGNMENT + 16)])?;
    serde_json::from_slice(&bytes[len..]).map_err(|e| format!("not valid JSON: {e}"))
}

/// The members of each element's object `key` (`{"account": {...}}`).
fn members<'v>(
    array: &'v serde_json::Value,
    key: &'v str,
) -> impl Iterator<Item = &'v serde_json::Value> {
    array
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(move |e| e.get(key))
}

fn str_at<'v>(v: &'v serde_json::Value, path: &[&str]) -> Option<&'v str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
}

/// The archive's owner, from the `account.js` in `dir` and what `profile.js`,
/// `follower.js` and `following.js` there add. `Ok(None)` where there is no `account.js`;
/// an error names the file that could not be read.
pub(crate) fn owner_in(dir: &Path) -> Result<Option<Account>, String> {
    let read = |name: &str| -> Result<Option<Vec<u8>>, String> {
        let path = dir.join(name);
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    };
    let parsed = |name: &str| -> Result<Option<serde_json::Value>, String> {
        read(name)?
            .map(|b| array_of(&b).map_err(|e| format!("{}: {e}", dir.join(name).display())))
            .transpose()
    };
    let Some(accounts) = parsed("account.js")? else {
        return Ok(None);
    };
    let Some(a) = members(&accounts, "account").next() else {
        return Err(format!(
            "{}: no `account` in it",
            dir.join("account.js").display()
        ));
    };
    let Some(id) = str_at(a, &["accountId"]) else {
        return Err(format!(
            "{}: the account has no `accountId`",
            dir.join("account.js").display()
        ));
    };
    let mut account = Account {
        id: id.to_string(),
        platform: "twitter".into(),
        handle: str_at(a, &["username"]).map(str::to_owned),
        display_name: str_at(a, &["accountDisplayName"]).map(str::to_owned),
        created_at: str_at(a, &["createdAt"]).and_then(crate::parse_time),
        ..Default::default()
    };
    if let Some(profiles) = parsed("profile.js")? {
        if let Some(p) = members(&profiles, "profile").next() {
            account.bio = str_at(p, &["description", "bio"]).map(str::to_owned);
            account.avatar = str_at(p, &["avatarMediaUrl"]).map(|url| MediaRef {
                kind: "image".into(),
                url: Some(url.to_string()),
                ..Default::default()
            });
        }
    }
    // Followers are counted, not parsed: a large account's list is long.
    if let Some(bytes) = read("follower.js")? {
        let n = memchr::memmem::find_iter(&bytes, b"\"accountId\"").count();
        account.followers = Some(n as u64);
    }
    if let Some(following) = parsed("following.js")? {
        account.follows = members(&following, "following")
            .filter_map(|f| str_at(f, &["accountId"]).map(str::to_owned))
            .collect();
    }
    Ok(Some(account))
}

/// The start of each element line: the owner's id (empty where unknown) and the
/// separator.
pub(crate) fn line_prefix(owner: Option<&Account>) -> Vec<u8> {
    let mut p = Vec::new();
    crate::push_field(&mut p, owner.map_or("", |a| a.id.as_str()));
    p
}

/// An element as the archives write it: `{"tweet": {...}}`; before 2020, the tweet itself.
#[derive(Deserialize)]
struct Wrapped<'a> {
    #[serde(default, borrow)]
    tweet: Option<Tweet<'a>>,
}

/// Parse one element line (`owner SEP element`) into its post. Tweets that name their
/// author inline (none do in an archive) give that author's account once, as `seen` says.
pub(crate) fn parse_line(
    line: &[u8],
    seen: impl FnMut(&str) -> bool,
    out: impl FnMut(Record),
) -> Result<(), String> {
    let sep = memchr::memchr(FIELD_SEP, line).ok_or("not a line of a Twitter archive")?;
    let owner = std::str::from_utf8(&line[..sep]).map_err(|_| "invalid UTF-8")?;
    let json = &line[sep + 1..];
    let text = std::str::from_utf8(json)
        .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?;
    crate::require_object(json, "a Twitter archive's tweet")?;
    let wrapped: Wrapped =
        serde_json::from_str(text).map_err(|e| format!("not a Twitter archive's tweet: {e}"))?;
    let tweet = match wrapped.tweet {
        Some(t) => t,
        None => {
            serde_json::from_str(text).map_err(|e| format!("not a Twitter archive's tweet: {e}"))?
        }
    };
    tweet_records(tweet, (!owner.is_empty()).then_some(owner), seen, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_assignment_names_the_kind_and_ends_at_its_sign() {
        let head = b"window.YTD.tweets.part0 = [ {";
        assert_eq!(assignment(head), Ok(("tweets".to_string(), 25)));
        assert_eq!(&head[25..], b" [ {");
        let bom = b"\xEF\xBB\xBF\n window.YTD.deleted_tweets.part12=[]";
        let (kind, len) = assignment(bom).unwrap();
        assert_eq!(kind, "deleted_tweets");
        assert_eq!(&bom[len..], b"[]");
        for bad in [
            &b"window.YTD.tweets.part0 [ {"[..],
            b"windows.YTD.tweets = []",
            b"window.YTD. = []",
            b"window.YTD.a b = []",
            b"",
        ] {
            let e = assignment(bad).unwrap_err();
            assert!(e.contains("window.YTD.NAME.partN = ["), "{e}");
        }
    }

    #[test]
    fn files_without_tweets_are_refused_with_the_ones_to_read() {
        let head = b"window.YTD.like.part0 = [ {\"like\": {}} ]";
        let mut r: &[u8] = head;
        let e = skip_assignment(&mut r, head).unwrap_err();
        assert!(e.contains("`like`") && e.contains("tweets.js"), "{e}");
        let head = b"window.YTD.tweets.part1 = [ ]";
        let mut r: &[u8] = head;
        skip_assignment(&mut r, head).unwrap();
        assert_eq!(r, b" [ ]");
    }

    fn post_of(line: &[u8]) -> Result<raqib_model::Post, String> {
        let mut got = Vec::new();
        parse_line(line, |_| false, |r| got.push(r))?;
        match got.pop() {
            Some(Record::Post(p)) => Ok(*p),
            other => panic!("a post, not {other:?}"),
        }
    }

    #[test]
    fn a_wrapped_and_a_bare_tweet_are_the_owners() {
        let tweet = r#"{"id_str":"7","full_text":"a &amp; b https://t.co/x","created_at":"Wed Oct 10 20:19:24 +0000 2018","lang":"en","in_reply_to_status_id_str":"6","favorite_count":"3","entities":{"urls":[{"url":"https://t.co/x","expanded_url":"https://example.org/a"}]},"extended_entities":{"media":[{"type":"photo","media_url_https":"https://pbs.example/m.jpg"}]}}"#;
        for line in [
            format!("42\u{1f}{{\"tweet\":{tweet}}}"),
            format!("42\u{1f}{tweet}"),
        ] {
            let p = post_of(line.as_bytes()).unwrap();
            assert_eq!(p.id, "7");
            assert_eq!(p.account, "42");
            assert_eq!(p.platform, "twitter");
            assert_eq!(p.text, "a & b https://t.co/x");
            assert_eq!(p.created_at, Some(1539202764));
            assert_eq!(p.reply_to.as_deref(), Some("6"));
            assert_eq!(p.urls, ["https://example.org/a"]);
            assert_eq!(p.media.len(), 1);
            assert_eq!(p.media[0].kind, "photo");
        }
        // No owner known: no account.
        let p = post_of(format!("\u{1f}{{\"tweet\":{tweet}}}").as_bytes()).unwrap();
        assert_eq!(p.account, "");
    }

    #[test]
    fn broken_elements_say_what_is_wrong() {
        for (line, says) in [
            (&b"no separator"[..], "not a line of a Twitter archive"),
            (b"1\x1f[1, 2]", "not a Twitter archive's tweet"),
            (b"1\x1f{\"tweet\": 5}", "not a Twitter archive's tweet"),
            (b"1\x1f{\"tweet\": {\"full_text\": \"x\"}}", "no `id`"),
            (b"1\x1f{\"tweet\": {\"id_str\": \"9\"}}", "no `text`"),
            (b"1\x1f{\"tweet\": \xff}", "invalid UTF-8"),
        ] {
            let e = post_of(line).unwrap_err();
            assert!(e.contains(says), "{e} should say {says}");
        }
    }

    proptest! {
        #[test]
        fn any_head_gives_an_assignment_or_an_error_never_a_panic(head in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok((kind, len)) = assignment(&head) {
                prop_assert!(len <= head.len());
                prop_assert_eq!(head[len - 1], b'=');
                prop_assert!(!kind.is_empty());
            }
        }

        #[test]
        fn any_line_parses_or_is_refused_never_a_panic(line in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_line(&line, |_| false, |_| {});
        }
    }
}
