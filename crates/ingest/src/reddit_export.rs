//! Reddit's data request export (reddit.com/settings/data-request, what Reddit gives an
//! account's owner and what the owner can hand to an investigator): a zip of CSV files,
//! one per kind of thing. The ones with posts in them are `posts.csv`
//! (`id,permalink,date,ip,subreddit,gildings,title,url,body`), `comments.csv`
//! (`id,permalink,date,ip,subreddit,gildings,link,parent,body,media`; some exports have
//! `gildings_silver,gildings_supergold` too) and the private messages, `messages.csv`
//! (`id,permalink,thread_id,date,ip,from,to,subject,body`, `messages_archive.csv` in newer
//! exports), and the chats, `chat_history.csv` (`message_id,created_at,updated_at,username,
//! message,thread_parent_message_id,channel_url,subreddit,channel_name,conversation_type`).
//! Each is known by its header, whatever its name.
//!
//! Every post and comment is the owner's, and the owner is named once, in `statistics.csv`
//! beside them (`statistic,value` rows, one of them `account name`). A message names its
//! sender (`from`), a chat message its own (`username`). The ids are Reddit's fullnames
//! (`t3_` for a post, `t1_` for a comment, `t4_` for a message; `chat_` before a chat
//! message's id), as raqib's reader of Pushshift's dumps and Reddit's API gives them, so the
//! owner's posts in an export and in a dump are one post, and one account (Reddit's names
//! are unique). The export's `ip` column is never read.

use raqib_model::{Account, MediaRef, Post};

/// What kind of things a file of the export holds, and where each column is.
#[derive(Debug, Clone)]
pub struct Layout {
    kind: Kind,
    /// The account its posts and comments are credited to: the owner's name, from
    /// `statistics.csv`; [`UNKNOWN_OWNER`] where that is not found.
    owner: String,
    col: Cols,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Posts,
    Comments,
    Messages,
    Chat,
}

#[derive(Debug, Clone, Copy, Default)]
struct Cols {
    id: usize,
    permalink: Option<usize>,
    date: usize,
    subreddit: Option<usize>,
    title: Option<usize>,
    url: Option<usize>,
    body: usize,
    link: Option<usize>,
    parent: Option<usize>,
    media: Option<usize>,
    from: Option<usize>,
    subject: Option<usize>,
    /// A chat's name, where it is in no subreddit.
    channel: Option<usize>,
}

/// The account the posts and comments are credited to where the export's owner is not
/// found (no `statistics.csv` beside them).
pub const UNKNOWN_OWNER: &str = "(owner of the export)";

impl Layout {
    /// The layout of a file whose header is `header`, where it is one of the export's files
    /// with posts in them; `None` for any other CSV. `owner` is found only where it is one.
    pub(crate) fn of_header(
        header: &[String],
        owner: impl FnOnce() -> Option<String>,
    ) -> Option<Layout> {
        let find = |name: &str| header.iter().position(|h| h.trim() == name);
        let kind = if header.len() >= 6
            && ["id", "permalink", "date", "ip", "subreddit", "gildings"]
                .iter()
                .zip(header)
                .all(|(want, h)| h.trim() == *want)
        {
            if find("title").is_some() {
                Kind::Posts
            } else if find("parent").is_some() || find("link").is_some() {
                Kind::Comments
            } else {
                return None;
            }
        } else if ["id", "permalink", "thread_id", "date", "ip", "from", "to"]
            .iter()
            .all(|c| find(c).is_some())
        {
            Kind::Messages
        } else if [
            "message_id",
            "created_at",
            "username",
            "message",
            "channel_url",
        ]
        .iter()
        .all(|c| find(c).is_some())
        {
            Kind::Chat
        } else {
            return None;
        };
        let chat = kind == Kind::Chat;
        let pick = |file: &str, chat_name: &str| find(if chat { chat_name } else { file });
        let col = Cols {
            id: pick("id", "message_id")?,
            permalink: find("permalink"),
            date: pick("date", "created_at")?,
            subreddit: find("subreddit"),
            title: find("title"),
            url: find("url"),
            body: pick("body", "message")?,
            link: find("link"),
            parent: pick("parent", "thread_parent_message_id"),
            media: find("media"),
            from: pick("from", "username"),
            subject: find("subject"),
            channel: find("channel_name"),
        };
        let owner = if matches!(kind, Kind::Messages | Kind::Chat) {
            String::new()
        } else {
            owner().unwrap_or_else(|| UNKNOWN_OWNER.to_string())
        };
        Some(Layout { kind, owner, col })
    }
}

/// The owner's name in the export's `statistics.csv` (its `account name` row), read
/// beside the file being read.
pub(crate) fn owner_of(beside: Option<&crate::beside::Beside>) -> Option<String> {
    // A few rows: a file much longer is no export's.
    let bytes = beside?.read_at_most("statistics.csv", 1 << 20)?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes));
    r.records().flatten().find_map(|row| {
        let (k, v) = (row.get(0)?.trim(), row.get(1)?.trim());
        (k.eq_ignore_ascii_case("account name") && !v.is_empty()).then(|| v.to_string())
    })
}

/// What a deleted or removed thing reads.
fn gone(s: &str) -> bool {
    matches!(s, "[deleted]" | "[removed]" | "[ Removed by Reddit ]")
}

/// A fullname (`t1_abc`): an id with its kind.
fn is_fullname(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 3 && b[0] == b't' && b[1].is_ascii_digit() && b[2] == b'_'
}

/// The submission a comment's `link` (its post's page, `…/comments/ID/…`) names, as a
/// fullname.
fn submission_of(link: &str) -> Option<String> {
    let (_, rest) = link.split_once("/comments/")?;
    let id = rest.split(['/', '?', '#']).next()?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| format!("t3_{id}"))
}

/// One row's post (`None` for a thing deleted or removed, with nothing left to read), by
/// `platform`; the row has `columns` columns, and `get(k)` gives column `k`, trimmed,
/// `None` where empty. The
/// account (the owner, or a message's sender) is the post's `account`.
pub(crate) fn post_of<'r>(
    layout: &Layout,
    platform: &str,
    columns: usize,
    get: impl Fn(usize) -> Result<Option<&'r str>, String>,
) -> Result<Option<Post>, String> {
    let c = &layout.col;
    let opt = |k: Option<usize>| -> Result<Option<&'r str>, String> {
        Ok(match k {
            Some(k) => get(k)?.filter(|s| !gone(s)),
            None => None,
        })
    };
    let id = get(c.id)?.ok_or("row has no `id`")?;
    if columns <= c.body {
        return Err(format!(
            "row ends after {columns} of the header's columns, before its text"
        ));
    }
    let prefix = match layout.kind {
        Kind::Posts => "t3_",
        Kind::Comments => "t1_",
        Kind::Messages => "t4_",
        Kind::Chat => "chat_",
    };
    let id = if is_fullname(id) {
        id.to_string()
    } else {
        format!("{prefix}{id}")
    };
    let texts: Vec<&str> = match layout.kind {
        Kind::Posts => [opt(c.title)?, opt(Some(c.body))?]
            .into_iter()
            .flatten()
            .collect(),
        Kind::Comments | Kind::Chat => opt(Some(c.body))?.into_iter().collect(),
        // A reply's subject is `re: ` and the first's: the body says it all, else the
        // subject.
        Kind::Messages => opt(Some(c.body))?.or(opt(c.subject)?).into_iter().collect(),
    };
    let text = texts.join("\n\n");
    let mut urls = Vec::new();
    let mut media = Vec::new();
    let linked = opt(c.url)?.filter(|u| !crate::reddit::is_reddit_link(u));
    for u in linked.into_iter().chain(opt(c.media)?) {
        if crate::reddit::is_image(u, None) {
            media.push(MediaRef {
                kind: "image".into(),
                url: Some(u.to_string()),
                ..Default::default()
            });
        } else {
            urls.push(u.to_string());
        }
    }
    if text.is_empty() && urls.is_empty() && media.is_empty() {
        return Ok(None);
    }
    let created_at = match get(c.date)? {
        Some(d) => Some(
            crate::parse_time(d)
                .ok_or_else(|| format!("`date` is not a time I can read: {d:?}"))?,
        ),
        None => None,
    };
    let account = match layout.kind {
        Kind::Messages | Kind::Chat => opt(c.from)?.unwrap_or_default().to_string(),
        _ => layout.owner.clone(),
    };
    let reply_to = match layout.kind {
        Kind::Comments => opt(c.parent)?
            .filter(|p| is_fullname(p))
            .map(str::to_string)
            .or(opt(c.link)?.and_then(submission_of)),
        Kind::Chat => opt(c.parent)?.map(|p| format!("chat_{p}")),
        _ => None,
    };
    let permalink = opt(c.permalink)?.and_then(|l| {
        if l.starts_with('/') {
            Some(format!("https://www.reddit.com{l}"))
        } else {
            (l.starts_with("https://") || l.starts_with("http://")).then(|| l.to_string())
        }
    });
    Ok(Some(Post {
        id,
        platform: platform.to_string(),
        account,
        created_at,
        text,
        urls,
        media,
        reply_to,
        place: match opt(c.subreddit)? {
            Some(s) => Some(format!("r/{}", s.trim_start_matches("r/"))),
            None => opt(c.channel)?.map(str::to_string),
        },
        permalink,
        ..Default::default()
    }))
}

/// The account record of a post's account: its name is its id and its handle.
pub(crate) fn account_of(post: &Post) -> Account {
    Account {
        id: post.account.clone(),
        platform: post.platform.clone(),
        handle: (post.account != UNKNOWN_OWNER).then(|| post.account.clone()),
        ..Default::default()
    }
}

/// Whether the folder of files `names` (their base names) is a Reddit export's root: its
/// `statistics.csv` beside a file of posts, comments or messages and another of the
/// export's own files (its IP log, votes, subscriptions: a folder of someone's data that
/// happens to hold a `statistics.csv` and a `posts.csv` is not taken for one).
pub(crate) fn is_export_folder<'a>(names: impl Iterator<Item = &'a str> + Clone) -> bool {
    names.clone().any(|n| n == "statistics.csv")
        && names.clone().any(is_things_file)
        && names
            .into_iter()
            .any(|n| n != "statistics.csv" && is_other_file(n))
}

/// The export's files with posts, comments or messages in them, by name (`chat_history.csv`,
/// Reddit's chats, is read as any CSV is: `message` by `username`, in its `subreddit`).
pub(crate) fn is_things_file(base: &str) -> bool {
    matches!(
        base,
        "posts.csv" | "comments.csv" | "messages.csv" | "messages_archive.csv" | "chat_history.csv"
    )
}

/// The export's other files, by name: what a tar's member is checked against before the
/// archive's names are read to tell whether it is one (a tar of other CSV files is not
/// read again for that).
pub(crate) fn is_other_file(base: &str) -> bool {
    matches!(
        base,
        "statistics.csv"
            | "account_gender.csv"
            | "announcements.csv"
            | "approved_submitter_subreddits.csv"
            | "birthdate.csv"
            | "checkfile.csv"
            | "comment_headers.csv"
            | "comment_votes.csv"
            | "drafts.csv"
            | "friends.csv"
            | "gilded_content.csv"
            | "gold_received.csv"
            | "hidden_posts.csv"
            | "ip_logs.csv"
            | "linked_identities.csv"
            | "linked_phone_number.csv"
            | "message_headers.csv"
            | "messages_archive_headers.csv"
            | "moderated_subreddits.csv"
            | "multireddits.csv"
            | "payouts.csv"
            | "persona.csv"
            | "poll_votes.csv"
            | "post_headers.csv"
            | "post_votes.csv"
            | "purchases.csv"
            | "saved_comments.csv"
            | "saved_posts.csv"
            | "scheduled_posts.csv"
            | "sensitive_ads_preferences.csv"
            | "stripe.csv"
            | "subscribed_subreddits.csv"
            | "subscriptions.csv"
            | "twitter.csv"
            | "user_preferences.csv"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(s: &str) -> Vec<String> {
        s.split(',').map(str::to_string).collect()
    }

    fn read(h: &str, row: &[&str], owner: Option<&str>) -> Result<Option<Post>, String> {
        let layout = Layout::of_header(&header(h), || owner.map(str::to_string)).unwrap();
        post_of(&layout, "reddit", row.len(), |k| {
            Ok(row.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()))
        })
    }

    const POSTS: &str = "id,permalink,date,ip,subreddit,gildings,title,url,body";
    const COMMENTS: &str =
        "id,permalink,date,ip,subreddit,gildings,gildings_silver,gildings_supergold,link,parent,body,media";
    const MESSAGES: &str = "id,permalink,thread_id,date,ip,from,to,subject,body";
    const CHAT: &str = "message_id,created_at,updated_at,username,message,\
        thread_parent_message_id,channel_url,subreddit,channel_name,conversation_type";

    #[test]
    fn the_exports_files_are_known_by_their_headers() {
        let known = |h: &str| Layout::of_header(&header(h), || None).map(|l| l.kind);
        assert_eq!(known(POSTS), Some(Kind::Posts));
        assert_eq!(known(COMMENTS), Some(Kind::Comments));
        assert_eq!(
            known("id,permalink,date,ip,subreddit,gildings,link,parent,body,media"),
            Some(Kind::Comments)
        );
        assert_eq!(known(MESSAGES), Some(Kind::Messages));
        assert_eq!(known(CHAT), Some(Kind::Chat));
        for other in [
            "statistic,value",
            "date,ip",
            "id,permalink,direction",
            "id,text,created_at",
            "id,permalink,date,ip,subreddit,gildings",
        ] {
            assert!(known(other).is_none(), "{other}");
        }
    }

    #[test]
    fn a_post_is_its_title_and_body_by_the_owner_in_its_subreddit() {
        let p = read(
            POSTS,
            &[
                "abc1",
                "https://www.reddit.com/r/example/comments/abc1/x/",
                "2026-10-01 10:00:00 UTC",
                "192.0.2.1",
                "example",
                "0",
                "A title",
                "https://news.example/a",
                "and a body",
            ],
            Some("example_user"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.id, "t3_abc1");
        assert_eq!(p.account, "example_user");
        assert_eq!(p.text, "A title\n\nand a body");
        assert_eq!(p.urls, ["https://news.example/a"]);
        assert_eq!(p.created_at, Some(1_790_848_800));
        assert_eq!(p.place.as_deref(), Some("r/example"));
        assert_eq!(
            p.permalink.as_deref(),
            Some("https://www.reddit.com/r/example/comments/abc1/x/")
        );
        // No IP address is kept anywhere in the post.
        assert!(!format!("{p:?}").contains("192.0.2.1"));
        // A self post's link is its own page: no URL it shares. An image is a medium.
        let p = read(
            POSTS,
            &[
                "b",
                "/r/e/comments/b/x/",
                "",
                "",
                "e",
                "0",
                "t",
                "https://www.reddit.com/r/e/comments/b/x/",
                "",
            ],
            None,
        )
        .unwrap()
        .unwrap();
        assert!(p.urls.is_empty());
        assert_eq!(p.account, UNKNOWN_OWNER);
        assert_eq!(
            p.permalink.as_deref(),
            Some("https://www.reddit.com/r/e/comments/b/x/")
        );
        let p = read(
            POSTS,
            &["c", "", "", "", "e", "0", "", "https://i.redd.it/p.jpg", ""],
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.media[0].kind, "image");
    }

    #[test]
    fn a_comment_replies_to_its_parent_or_its_post() {
        let comment = |date: &str, parent: &str, body: &str| {
            read(
                COMMENTS,
                &[
                    "c1",
                    "/r/e/comments/p1/x/c1/",
                    date,
                    "",
                    "e",
                    "0",
                    "0",
                    "0",
                    "https://www.reddit.com/r/e/comments/p1/x/",
                    parent,
                    body,
                    "",
                ],
                Some("o"),
            )
        };
        let at = "2026-10-03 10:00:00 UTC";
        let row = |parent: &str| comment(at, parent, "a reply").unwrap().unwrap();
        assert_eq!(row("t1_c0").reply_to.as_deref(), Some("t1_c0"));
        assert_eq!(row("").reply_to.as_deref(), Some("t3_p1"));
        assert_eq!(row("").id, "t1_c1");
        // Deleted and removed comments have nothing to read.
        assert!(comment(at, "", "[removed]").unwrap().is_none());
        let bad = comment("yesterday", "", "x");
        assert!(bad.unwrap_err().contains("`date`"));
        // A row cut before its text says so.
        let short = read(COMMENTS, &["c4", "", "2026-10-03 10:00:00 UTC"], Some("o"));
        assert!(
            short
                .unwrap_err()
                .contains("ends after 3 of the header's columns"),
            "a row cut short"
        );
    }

    #[test]
    fn a_message_is_its_senders() {
        let p = read(
            MESSAGES,
            &[
                "m1",
                "",
                "th1",
                "2026-10-04 10:00:00 UTC",
                "",
                "someone",
                "example_user",
                "hello",
                "the text",
            ],
            Some("example_user"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (p.id.as_str(), p.account.as_str(), p.text.as_str()),
            ("t4_m1", "someone", "the text")
        );
        assert_eq!(p.place, None);
    }

    /// An export's other files are left out by name, in a folder that is an export's: a
    /// folder of someone's own data with a `statistics.csv` and a `posts.csv` is not one.
    #[test]
    fn an_exports_other_files_are_told_by_folder_and_name() {
        let others = |paths: &[&str]| -> Vec<String> {
            crate::meta::meta_export_others(paths.iter().copied())
                .into_iter()
                .map(|k| paths[k].to_string())
                .collect()
        };
        let study = [
            "study/statistics.csv",
            "study/posts.csv",
            "study/tweets.csv",
        ];
        assert!(others(&study).is_empty(), "no export");
        let export = [
            "export/statistics.csv",
            "export/posts.csv",
            "export/comments.csv",
            "export/ip_logs.csv",
            "export/notes.csv",
            "elsewhere/post_votes.csv",
        ];
        assert_eq!(
            others(&export),
            ["export/statistics.csv", "export/ip_logs.csv"],
            "known names in the export's folder only"
        );
    }

    /// The owner is read from the first megabyte of `statistics.csv`: a hostile export's
    /// huge one is not read into memory whole.
    #[test]
    fn the_owner_is_read_from_a_bounded_statistics_file() {
        let dir = tempfile::tempdir().unwrap();
        let beside = crate::beside::Beside::Folder(dir.path().to_path_buf());
        let filler = "some statistic,1\n".repeat(200_000);
        let write = |body: &str| std::fs::write(dir.path().join("statistics.csv"), body).unwrap();
        write(&format!(
            "statistic,value\naccount name,example_user\n{filler}"
        ));
        assert_eq!(owner_of(Some(&beside)).as_deref(), Some("example_user"));
        write(&format!(
            "statistic,value\n{filler}account name,example_user\n"
        ));
        assert_eq!(owner_of(Some(&beside)), None, "past the first megabyte");
        std::fs::remove_file(dir.path().join("statistics.csv")).unwrap();
        assert_eq!(owner_of(Some(&beside)), None);
    }

    #[test]
    fn a_chat_message_is_its_senders_in_its_chat() {
        let row = |subreddit: &str, parent: &str| {
            read(
                CHAT,
                &[
                    "99",
                    "2026-10-06 10:00:00 UTC",
                    "",
                    "someone",
                    "hello all",
                    parent,
                    "https://chat.reddit.com/room/x",
                    subreddit,
                    "Match chat",
                    "group",
                ],
                Some("example_user"),
            )
            .unwrap()
            .unwrap()
        };
        let p = row("", "");
        assert_eq!(
            (p.id.as_str(), p.account.as_str(), p.text.as_str()),
            ("chat_99", "someone", "hello all")
        );
        assert_eq!(p.place.as_deref(), Some("Match chat"));
        assert_eq!(p.permalink, None, "a chat's page is no message's");
        assert_eq!(
            row("example_sub", "98").place.as_deref(),
            Some("r/example_sub")
        );
        assert_eq!(row("", "98").reply_to.as_deref(), Some("chat_98"));
    }
}
