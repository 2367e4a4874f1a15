//! Reddit's comments and submissions, a JSON object a line, as the Pushshift dumps hold
//! them (`RC_2024-01.zst`, `RS_2024-01.zst`, and the per-subreddit files cut from them) and
//! as Reddit's API gives a `Thing`'s `data`: `--format reddit`, or found by `subreddit`
//! and `author` beside a `body`, `selftext` or `title`.
//!
//! A post's id is its fullname (`t1_` for a comment, `t3_` for a submission: the `name`
//! field, or the kind and `id`), so a comment's `parent_id` is a post's id as a reply.
//! A submission's text is its title and its self text; its link is a URL (a link to Reddit
//! itself excepted) and, where it is an image, a media reference. The account is the
//! author's name (Reddit's names are unique and never change; dumps from before 2018 have
//! no `author_fullname`). A comment or submission whose author deleted their account
//! (`[deleted]`) keeps its text, credited to no account: those posts are not one author's.
//! One removed by moderators or deleted (`[removed]`, `[deleted]`, with no title or link
//! left) has nothing to read and is passed over.

use raqib_model::{Account, MediaRef, Post, Record};
use serde::Deserialize;

use crate::jsonl::{Id, Time};

#[derive(Deserialize)]
struct Thing<'a> {
    #[serde(default, borrow)]
    id: Option<Id<'a>>,
    #[serde(default, borrow)]
    name: Option<Id<'a>>,
    #[serde(default, borrow)]
    author: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    author_created_utc: Option<Time<'a>>,
    #[serde(default, borrow)]
    body: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    title: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    selftext: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    created_utc: Option<Time<'a>>,
    #[serde(default, borrow)]
    parent_id: Option<Id<'a>>,
    #[serde(default, borrow)]
    crosspost_parent: Option<Id<'a>>,
    /// The subreddit's name, without `r/`.
    #[serde(default, borrow)]
    subreddit: Option<std::borrow::Cow<'a, str>>,
    /// The thing's path on reddit.com (`/r/NAME/comments/ID/...`).
    #[serde(default, borrow)]
    permalink: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    url: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    is_self: Option<bool>,
    #[serde(default, borrow)]
    post_hint: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    score: Option<serde_json::Value>,
}

/// What a deleted or removed body reads, and a deleted author's name.
fn gone(s: &str) -> bool {
    matches!(
        s.trim(),
        "[deleted]" | "[removed]" | "[ Removed by Reddit ]"
    )
}

/// Whether a JSON object (a file's first line, or an array's first element) is a Reddit
/// comment or submission rather than a raqib record.
pub(crate) fn looks_like_reddit(line: &[u8]) -> bool {
    let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(line) else {
        return false;
    };
    !o.contains_key("raqib")
        && !o.contains_key("account")
        && o.get("subreddit").is_some_and(serde_json::Value::is_string)
        && o.contains_key("author")
        && ["body", "selftext", "title"]
            .iter()
            .any(|k| o.contains_key(*k))
}

/// A link to Reddit itself (a self post's own page): not a link the post shares.
pub(crate) fn is_reddit_link(url: &str) -> bool {
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    url.starts_with('/')
        || host == "reddit.com"
        || host.ends_with(".reddit.com")
        || host == "redd.it"
}

/// A link to an image: what the submission shows, not a page it links to.
pub(crate) fn is_image(url: &str, hint: Option<&str>) -> bool {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    hint == Some("image")
        || url.contains("://i.redd.it/")
        || [".jpg", ".jpeg", ".png", ".gif", ".webp"]
            .iter()
            .any(|e| path.ends_with(e))
}

/// Read one comment or submission: its post, and its author's account the first time
/// `seen` says it is new; nothing for a removed one.
pub(crate) fn parse_line(
    line: &[u8],
    platform: &str,
    seen: impl FnMut(&str) -> bool,
    out: impl FnMut(Record),
) -> Result<(), String> {
    let t: Thing = crate::parse_object(line, "a Reddit comment or submission")?;
    thing_records(t, platform, seen, out)
}

/// A comment's or submission's records, however it was read.
fn thing_records(
    t: Thing,
    platform: &str,
    mut seen: impl FnMut(&str) -> bool,
    mut out: impl FnMut(Record),
) -> Result<(), String> {
    let submission = t.title.is_some() || t.selftext.is_some() || t.is_self.is_some();
    let id = match (&t.name, &t.id) {
        (Some(n), _) if !n.0.is_empty() => n.0.to_string(),
        (_, Some(i)) if !i.0.is_empty() => {
            format!("{}_{}", if submission { "t3" } else { "t1" }, i.0)
        }
        _ => return Err("no `name` or `id`".into()),
    };
    let keep = |s: &Option<std::borrow::Cow<str>>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty() && !gone(s))
            .map(str::to_string)
    };
    let text = if submission {
        [keep(&t.title), keep(&t.selftext)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n\n")
    } else {
        keep(&t.body).unwrap_or_default()
    };
    let link = keep(&t.url).filter(|u| t.is_self != Some(true) && !is_reddit_link(u));
    let mut urls = Vec::new();
    let mut media = Vec::new();
    if let Some(u) = link {
        if is_image(&u, t.post_hint.as_deref()) {
            media.push(MediaRef {
                kind: "image".into(),
                url: Some(u),
                ..Default::default()
            });
        } else {
            urls.push(u);
        }
    }
    if text.is_empty() && urls.is_empty() && media.is_empty() {
        return Ok(());
    }
    let created_at = t
        .created_utc
        .as_ref()
        .map(|c| c.resolve("created_utc"))
        .transpose()?;
    let author = keep(&t.author).unwrap_or_default();
    if !author.is_empty() && !seen(&author) {
        out(Record::Account(Box::new(Account {
            id: author.clone(),
            platform: platform.into(),
            handle: Some(author.clone()),
            created_at: t
                .author_created_utc
                .as_ref()
                .and_then(|c| c.resolve("author_created_utc").ok()),
            ..Default::default()
        })));
    }
    let score = t.score.as_ref().and_then(|s| {
        s.as_u64()
            .or_else(|| s.as_str().and_then(|s| s.trim().parse().ok()))
    });
    out(Record::Post(Box::new(Post {
        id,
        platform: platform.into(),
        account: author,
        created_at,
        text,
        urls,
        media,
        reply_to: t
            .parent_id
            .map(|p| p.0.into_owned())
            .filter(|p| !p.is_empty()),
        share_of: t
            .crosspost_parent
            .map(|p| p.0.into_owned())
            .filter(|p| !p.is_empty()),
        place: t
            .subreddit
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| format!("r/{s}")),
        permalink: t
            .permalink
            .as_deref()
            .map(str::trim)
            .filter(|l| l.starts_with('/'))
            .map(|l| format!("https://www.reddit.com{l}")),
        // Upvotes less downvotes: how far the post was carried, where nothing else says.
        reach: score.filter(|&s| s > 0),
        ..Default::default()
    })));
    Ok(())
}

/// Whether `head` opens Reddit's API JSON: a `Listing` (a subreddit's or a user's page of
/// things, `reddit.com/r/NAME/new.json`) or the two listings of a thread
/// (`reddit.com/r/NAME/comments/ID.json`: the submission, then its comment tree).
pub(crate) fn looks_like_listing(head: &[u8]) -> bool {
    let head = &head[..head.len().min(512)];
    let squeezed: Vec<u8> = head
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    memchr::memmem::find(&squeezed, br#""kind":"Listing""#).is_some()
}

/// Reddit's API JSON, one document (or a thread's two): every thing in its listings, a
/// comment's replies included however deep, read as a line of a dump is. A "load more
/// comments" stub (`more`) has no text and is counted in a diagnostic.
pub(crate) fn parse_listing_document(
    bytes: &[u8],
    file: &str,
    platform: Option<&str>,
) -> Result<Vec<crate::Item>, String> {
    let doc: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not Reddit's API JSON: {e}"))?;
    let platform = platform.unwrap_or("reddit");
    let mut items = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut more = 0u64;
    // A stack, not recursion: a comment tree may be deep.
    let mut stack = vec![&doc];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Array(a) => stack.extend(a.iter().rev()),
            serde_json::Value::Object(o) => {
                let data = o.get("data");
                match o.get("kind").and_then(serde_json::Value::as_str) {
                    Some("Listing") => {
                        if let Some(children) = data.and_then(|d| d.get("children")) {
                            stack.push(children);
                        }
                    }
                    Some("more") => {
                        more += data
                            .and_then(|d| d.get("count"))
                            .and_then(serde_json::Value::as_u64)
                            .unwrap_or(1);
                    }
                    Some(_) => {
                        let Some(data) = data else { continue };
                        // Read from the parsed document, its strings borrowed.
                        let parsed = Thing::deserialize(data)
                            .map_err(|e| format!("not a Reddit comment or submission: {e}"))
                            .and_then(|t| {
                                thing_records(
                                    t,
                                    platform,
                                    |a| !seen.insert(a.to_string()),
                                    |r| items.push((1, Ok(r))),
                                )
                            });
                        if let Err(m) = parsed {
                            items.push((1, Err(raqib_model::Diagnostic::new(file, 1, m))));
                        }
                        if let Some(replies) = data.get("replies") {
                            stack.push(replies);
                        }
                    }
                    None => {}
                }
            }
            _ => {}
        }
    }
    if items.is_empty() && more == 0 {
        let m = "Reddit API JSON with no comment or submission in it (no `data.children` \
                 of kind t1 or t3)";
        items.push((1, Err(raqib_model::Diagnostic::new(file, 1, m.to_string()))));
    }
    if more > 0 {
        let m = format!(
            "{more} comments of this thread were not in the file (\"load more comments\"): \
             fetch them with the API's /api/morechildren, or take them from a dump"
        );
        items.push((1, Err(raqib_model::Diagnostic::new(file, 1, m))));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(line: &str) -> Result<Vec<Record>, String> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        parse_line(
            line.as_bytes(),
            "reddit",
            |a| !seen.insert(a.to_string()),
            |r| out.push(r),
        )?;
        Ok(out)
    }

    fn post(recs: &[Record]) -> &Post {
        crate::first_post(recs)
    }

    #[test]
    fn a_comment_is_a_reply_by_its_author() {
        let recs = parse(
            r#"{"id":"abc","author":"someone","author_fullname":"t2_x","author_created_utc":1500000000,
            "body":"a comment","created_utc":"1600000000","parent_id":"t3_sub","link_id":"t3_sub",
            "subreddit":"news","score":12,"permalink":"/r/news/comments/sub/x/abc/"}"#,
        )
        .unwrap();
        let Record::Account(a) = &recs[0] else {
            panic!("{recs:?}")
        };
        assert_eq!(
            (a.id.as_str(), a.handle.as_deref(), a.created_at),
            ("someone", Some("someone"), Some(1_500_000_000))
        );
        let p = post(&recs);
        assert_eq!(p.id, "t1_abc", "a comment's fullname, as a reply names it");
        assert_eq!(p.account, "someone");
        assert_eq!(p.text, "a comment");
        assert_eq!(p.created_at, Some(1_600_000_000));
        assert_eq!(p.reply_to.as_deref(), Some("t3_sub"));
        assert_eq!(p.reach, Some(12));
    }

    #[test]
    fn a_submission_is_its_title_and_text_and_its_link() {
        let p = parse(
            r#"{"id":"sub","name":"t3_sub","author":"b","title":"A title","selftext":"and its body",
            "url":"https://news.example/a?x=1","is_self":false,"created_utc":1600000001.5,"subreddit":"news",
            "crosspost_parent":"t3_orig","score":0}"#,
        )
        .unwrap();
        let p = post(&p);
        assert_eq!(p.id, "t3_sub");
        assert_eq!(p.text, "A title\n\nand its body");
        assert_eq!(p.urls, ["https://news.example/a?x=1"]);
        assert_eq!(p.share_of.as_deref(), Some("t3_orig"));
        assert_eq!(p.created_at, Some(1_600_000_001));
        assert_eq!(p.reach, None, "a score of 0 says nothing of reach");
        // A self post's url is its own page; an image post's is its media.
        let own = parse(
            r#"{"id":"s2","author":"b","title":"t","selftext":"","is_self":true,
            "url":"https://www.reddit.com/r/x/comments/s2/t/","subreddit":"x"}"#,
        )
        .unwrap();
        assert!(post(&own).urls.is_empty() && post(&own).id == "t3_s2");
        let img = parse(
            r#"{"id":"s3","author":"b","title":"look","url":"https://i.redd.it/abc.jpg","post_hint":"image","subreddit":"x"}"#,
        )
        .unwrap();
        let p = post(&img);
        assert!(p.urls.is_empty());
        assert_eq!(p.media[0].url.as_deref(), Some("https://i.redd.it/abc.jpg"));
        assert_eq!(p.media[0].kind, "image");
    }

    #[test]
    fn deleted_authors_are_no_account_and_removed_posts_are_passed_over() {
        let recs = parse(
            r#"{"id":"c1","author":"[deleted]","body":"words left behind","subreddit":"x","created_utc":1}"#,
        )
        .unwrap();
        assert_eq!(recs.len(), 1, "no account record: {recs:?}");
        assert_eq!(post(&recs).account, "");
        for gone in [
            r#"{"id":"c2","author":"[deleted]","body":"[deleted]","subreddit":"x"}"#,
            r#"{"id":"c3","author":"u","body":"[removed]","subreddit":"x"}"#,
            r#"{"id":"s4","author":"u","title":"","selftext":"[removed]","is_self":true,"subreddit":"x"}"#,
        ] {
            assert!(parse(gone).unwrap().is_empty(), "{gone}");
        }
        // A removed self text leaves the title.
        let t = parse(
            r#"{"id":"s5","author":"u","title":"the title stays","selftext":"[removed]","subreddit":"x"}"#,
        )
        .unwrap();
        assert_eq!(post(&t).text, "the title stays");
    }

    #[test]
    fn what_is_not_reddit_is_told_apart_and_bad_records_say_why() {
        assert!(looks_like_reddit(
            br#"{"author":"a","body":"b","subreddit":"s","id":"1"}"#
        ));
        assert!(!looks_like_reddit(
            br#"{"id":"1","account":"a","text":"t","subreddit":"s","author":"a","body":"b"}"#
        ));
        assert!(!looks_like_reddit(br#"{"author":"a","body":"b"}"#));
        assert!(!looks_like_reddit(b"not json"));
        let e = parse(r#"{"author":"a","body":"b","subreddit":"s"}"#).unwrap_err();
        assert!(e.contains("no `name` or `id`"), "{e}");
        let e = parse(r#"{"id":"1","author":"a","body":"b","created_utc":"soon"}"#).unwrap_err();
        assert!(e.contains("created_utc"), "{e}");
        assert!(parse("[1,2]").is_err());
    }

    #[test]
    fn a_threads_api_json_gives_the_submission_and_every_reply() {
        let doc = br#"[
          {"kind": "Listing", "data": {"children": [
            {"kind": "t3", "data": {"id": "s1", "name": "t3_s1", "author": "op", "title": "Thread title",
             "selftext": "", "subreddit": "x", "created_utc": 1600000000.0}}]}},
          {"kind": "Listing", "data": {"children": [
            {"kind": "t1", "data": {"id": "c1", "name": "t1_c1", "author": "a", "body": "top comment",
             "parent_id": "t3_s1", "subreddit": "x", "created_utc": 1600000001,
             "replies": {"kind": "Listing", "data": {"children": [
               {"kind": "t1", "data": {"id": "c2", "name": "t1_c2", "author": "op", "body": "a reply",
                "parent_id": "t1_c1", "subreddit": "x", "created_utc": 1600000002, "replies": ""}},
               {"kind": "more", "data": {"count": 5, "children": ["c9"]}}]}}}},
            {"kind": "t1", "data": {"id": "c3", "name": "t1_c3", "author": "[deleted]", "body": "[removed]",
             "parent_id": "t3_s1", "subreddit": "x"}}]}}]"#;
        assert!(looks_like_listing(doc));
        let items = parse_listing_document(doc, "t.json", None).unwrap();
        let posts: Vec<(&str, &str, Option<&str>)> = items
            .iter()
            .filter_map(|(_, r)| match r {
                Ok(Record::Post(p)) => {
                    Some((p.id.as_str(), p.text.as_str(), p.reply_to.as_deref()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            posts,
            [
                ("t3_s1", "Thread title", None),
                ("t1_c1", "top comment", Some("t3_s1")),
                ("t1_c2", "a reply", Some("t1_c1")),
            ]
        );
        let accounts = items
            .iter()
            .filter(|(_, r)| matches!(r, Ok(Record::Account(_))))
            .count();
        assert_eq!(accounts, 2, "op once, a once");
        let diags: Vec<&str> = items
            .iter()
            .filter_map(|(_, r)| r.as_ref().err().map(|d| d.message.as_str()))
            .collect();
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(diags[0].starts_with("5 comments of this thread were not in the file"));
        assert!(!looks_like_listing(br#"{"id":"1","text":"kind Listing"}"#));
        assert!(parse_listing_document(b"[1,", "t.json", None).is_err());
    }

    proptest! {
        /// Any object of these fields, whatever their values: records or an error, no panic,
        /// and a post always has the id its fields give and no "[deleted]" account.
        #[test]
        fn any_thing_reads_or_says_why(
            id in "[a-z0-9]{0,6}",
            author in prop_oneof![Just("[deleted]".to_string()), "[a-zA-Z_]{0,8}"],
            body in prop_oneof![Just("[removed]".to_string()), "\\PC{0,20}"],
            title in proptest::option::of("\\PC{0,20}"),
            created in prop_oneof![Just(serde_json::json!(1600000000)), Just(serde_json::json!("1600000000")), Just(serde_json::json!(null)), Just(serde_json::json!(1.5e9))],
        ) {
            let mut o = serde_json::json!({"id": id, "author": author, "body": body, "subreddit": "s", "created_utc": created});
            if let Some(t) = title {
                o["title"] = serde_json::json!(t);
            }
            if let Ok(recs) = parse(&o.to_string()) {
                for r in &recs {
                    if let Record::Post(p) = r {
                        prop_assert!(p.id.ends_with(&id) && !id.is_empty());
                        prop_assert!(p.account != "[deleted]");
                        prop_assert!(!p.text.is_empty() || !p.urls.is_empty());
                    }
                }
            }
        }
    }
}
