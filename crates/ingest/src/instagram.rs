//! An Instagram account's own export ("Download Your Information", JSON): what its owner
//! posted, as a platform hands it over for an account or as the owner gives it to a
//! researcher. Its direct messages are Meta threads ([`crate::meta`]).
//!
//! The files, under `your_instagram_activity/` since 2024 (at the export's root before),
//! in a `content/` folder (`media/` in the newest exports):
//!
//! - `posts_1.json`, `posts_2.json`, ...: an array of posts, each with its `media` (each a
//!   `uri`, a `creation_timestamp` and a `title`, the caption of a post with one photo)
//!   and, for a post of several, a `title` (the caption) and `creation_timestamp` of its
//!   own;
//! - `reels.json` (`ig_reels_media`), `archived_posts.json` (`ig_archived_post_media`),
//!   `other_content.json` (`ig_other_media`): posts the same way;
//! - `stories.json` (`ig_stories`): each story one medium, its `title` its text;
//! - `comments/post_comments_1.json` (an array), `comments/reels_comments.json`
//!   (`comments_reels_comments`): each comment's `string_map_data` holds its `Comment` and
//!   `Time`.
//!
//! Every post and comment is the owner's: the export names its owner only in its profile,
//! `personal_information/personal_information/personal_information.json` (one folder up in
//! older exports), whose `profile_user[0].string_map_data` gives the `Name` (the account's
//! id: the name its messages carry, in this export's threads and in others' exports, so
//! that the owner's posts and messages make one account, as a Facebook export's do),
//! `Username` (its handle; its id where it has no name), `Bio` and, in `media_map_data`,
//! the `Profile Photo`. The owner's account is read first; where the profile is not found,
//! the posts go to an account named [`crate::meta::UNKNOWN_OWNER`].
//!
//! Texts are mended as a Meta thread's are ([`crate::meta::unmangle`]). Media are named
//! from the export's root (`media/posts/202401/1.jpg`): `scan --hash-media` finds them
//! there, from the folder [`crate::media_root`] gives.

use raqib_model::{Account, MediaRef, Post, Record};
use serde_json::Value;

use crate::meta::{emit, split_line, unmangle};

/// The members of a file's object that hold its records, in the files that are one.
pub(crate) const DOCUMENT_KEYS: &[&str] = &[
    "ig_reels_media",
    "ig_stories",
    "ig_archived_post_media",
    "ig_other_media",
    "comments_reels_comments",
];

/// The file names that hold an Instagram export's posts, stories and comments.
pub(crate) fn is_file_name(base: &str) -> bool {
    let lower = crate::strip_compression_ext(base).to_ascii_lowercase();
    let Some(stem) = lower.strip_suffix(".json") else {
        return false;
    };
    let numbered = |prefix: &str, bare: bool| {
        stem.strip_prefix(prefix).is_some_and(|r| {
            (bare && r.is_empty())
                || r.strip_prefix('_')
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    numbered("posts", false)
        || numbered("post_comments", true)
        || matches!(
            stem,
            "reels" | "stories" | "archived_posts" | "other_content" | "reels_comments"
        )
}

/// The folders an Instagram export keeps [`is_file_name`]'s files in.
fn is_file_folder(name: &str) -> bool {
    matches!(name, "content" | "media" | "comments")
}

/// Whether the first bytes are an Instagram export's posts, stories or comments: an array
/// of posts (`media` with a `creation_timestamp`) or of comments (`string_map_data` with a
/// `Comment`), or an object whose records are in one of [`DOCUMENT_KEYS`]. A Facebook
/// export's posts, whose attachments have `media` too, are not.
pub(crate) fn looks_like(head: &str) -> bool {
    let start = head.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if crate::meta::looks_like_posts(head) {
        return false;
    }
    if start.starts_with('[') {
        let post = head.contains("\"media\"") && head.contains("\"creation_timestamp\"");
        let comment = head.contains("\"string_map_data\"") && head.contains("\"Comment\"");
        return post || comment;
    }
    start.starts_with('{')
        && DOCUMENT_KEYS
            .iter()
            .any(|k| head.contains(&format!("\"{k}\"")))
}

/// The export's root for a posts', stories' or comments' file at `path` (`/`-separated):
/// `ROOT/your_instagram_activity/content/posts_1.json`, or `ROOT/content/posts_1.json` in
/// older exports. `None` where `path` is neither. The root is what the export's media
/// paths start from, and where its other sections are.
pub(crate) fn export_root(path: &str) -> Option<&str> {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let n = parts.len();
    if n < 2 || !is_file_name(parts[n - 1]) || !is_file_folder(parts[n - 2]) {
        return None;
    }
    let mut root = n - 2;
    if root > 0 && parts[root - 1] == "your_instagram_activity" {
        root -= 1;
    }
    let len: usize = parts[..root].iter().map(|p| p.len() + 1).sum();
    Some(&path[..len])
}

/// Whether a file beside others is one [`owner_of`] reads whole: the export's profile.
pub(crate) fn is_read_whole_beside(name: &str) -> bool {
    name == "personal_information.json"
}

/// The export's owner, from its profile at the export's root: the folder above `beside`
/// (the posts' or comments' folder), or the one above that where it is
/// `your_instagram_activity`. `None` where no profile with a `Username` is found.
pub(crate) fn owner_of(
    beside: Option<&crate::beside::Beside>,
    platform: Option<&str>,
) -> Option<Account> {
    static OWNERS: crate::beside::Memo<Option<Account>> = crate::beside::Memo::new();
    let mut root = beside?.up()?;
    if root.name().as_deref() == Some("your_instagram_activity") {
        root = root.up()?;
    }
    // Read once per export: its posts, reels, stories and comments all ask.
    OWNERS
        .get(&root, || {
            [
                "personal_information/personal_information/",
                "personal_information/",
            ]
            .iter()
            .find_map(|sub| {
                let bytes = root
                    .down(sub)
                    .read_at_most("personal_information.json", crate::beside::PROFILE_MAX)?;
                profile_account(&bytes, None)
            })
        })
        .map(|mut a| {
            if let Some(p) = platform {
                a.platform = p.to_string();
            }
            a
        })
}

/// The account a profile file (`personal_information.json`) describes.
fn profile_account(bytes: &[u8], platform: Option<&str>) -> Option<Account> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    let user = v.get("profile_user")?.get(0)?;
    let strings = user.get("string_map_data")?;
    let field = |k: &str| {
        strings
            .get(k)?
            .get("value")?
            .as_str()
            .map(|s| unmangle(s).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let (name, username) = (field("Name"), field("Username"));
    let id = name.clone().or_else(|| username.clone())?;
    let avatar = user
        .get("media_map_data")
        .and_then(|m| m.get("Profile Photo"))
        .and_then(|p| p.get("uri"))
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .map(|u| MediaRef {
            kind: "image".into(),
            url: Some(unmangle(u).into_owned()),
            ..Default::default()
        });
    Some(Account {
        id,
        platform: platform.unwrap_or("instagram").into(),
        handle: username,
        display_name: name,
        bio: field("Bio"),
        avatar,
        ..Default::default()
    })
}

/// What each line of an Instagram export's posts, stories or comments starts with: the
/// owner's id ([`crate::meta::UNKNOWN_OWNER`] where unknown) and the platform, each
/// followed by [`crate::FIELD_SEP`].
pub(crate) fn line_prefix(owner: Option<&Account>, platform: Option<&str>) -> Vec<u8> {
    let mut out = Vec::new();
    crate::push_field(
        &mut out,
        owner.map_or(crate::meta::UNKNOWN_OWNER, |a| a.id.as_str()),
    );
    crate::push_field(&mut out, platform.unwrap_or("instagram"));
    out
}

/// A number of seconds: an integer, or a float as some exports write it.
fn seconds(v: Option<&Value>) -> Option<i64> {
    v.and_then(|t| t.as_i64().or_else(|| t.as_f64().map(|f| f as i64)))
}

/// Read a line of an Instagram export ([`line_prefix`], then one post, story or comment):
/// its post, by the export's owner, and the owner's account the first time `seen` says it
/// is new where the profile was not found (a profile found was read first). A post's text
/// is its caption (`title`; each medium's, where the post has none), its media each
/// `media[].uri`; a story's its own `uri` and `title`; a comment's its
/// `string_map_data.Comment.value`, its time `Time.timestamp`, its media any
/// `media_list_data[].uri`, its place the account whose post it is under (`Media Owner`:
/// `comments on @NAME`). A post or story with neither text nor media is passed over.
pub(crate) fn parse_line(
    line: &[u8],
    ordinal: u32,
    seen: impl FnMut(&str) -> bool,
    out: impl FnMut(Record),
) -> Result<(), String> {
    let (owner, platform, json) = split_line(line, "owner")?;
    let v: Value = crate::parse_object(json, "an Instagram export's post")?;
    let text_of = |x: Option<&Value>| {
        x.and_then(Value::as_str)
            .map(|s| unmangle(s).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let mut media = Vec::new();
    let mut add_media = |m: &Value| {
        if let Some(u) = m
            .get("uri")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
        {
            let url = unmangle(u).into_owned();
            media.push(MediaRef {
                kind: crate::media_kind(&url).into(),
                url: Some(url),
                ..Default::default()
            });
        }
    };
    // Where a comment was made: under the posts of its `Media Owner`.
    let mut place = None;
    let (kind, time, text) = if let Some(strings) = v.get("string_map_data") {
        let text = text_of(strings.get("Comment").and_then(|c| c.get("value")));
        place = text_of(strings.get("Media Owner").and_then(|c| c.get("value")))
            .map(|o| format!("comments on @{}", o.trim_start_matches('@')));
        let time = seconds(strings.get("Time").and_then(|t| t.get("timestamp")))
            .ok_or("comment has no `string_map_data.Time.timestamp` (Unix seconds)")?;
        for m in v
            .get("media_list_data")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            add_media(m);
        }
        ("comments", time, text.unwrap_or_default())
    } else if let Some(items) = v.get("media").and_then(Value::as_array) {
        let mut texts: Vec<String> = text_of(v.get("title")).into_iter().collect();
        if texts.is_empty() {
            texts.extend(items.iter().filter_map(|m| text_of(m.get("title"))));
            texts.dedup();
        }
        items.iter().for_each(&mut add_media);
        let time = seconds(v.get("creation_timestamp"))
            .or_else(|| {
                items
                    .iter()
                    .find_map(|m| seconds(m.get("creation_timestamp")))
            })
            .ok_or("post has no `creation_timestamp` (Unix seconds), nor has any of its media")?;
        ("posts", time, texts.join("\n"))
    } else if v.get("uri").is_some() {
        add_media(&v);
        let time = seconds(v.get("creation_timestamp"))
            .ok_or("story has no `creation_timestamp` (Unix seconds)")?;
        ("stories", time, text_of(v.get("title")).unwrap_or_default())
    } else {
        return Err(
            "neither a post (`media`), a story (`uri`) nor a comment (`string_map_data`)".into(),
        );
    };
    if text.is_empty() && media.is_empty() {
        return Ok(());
    }
    // Two posts of the owner in the same second keep ids of their own.
    let base_id = format!("{owner}/{kind}/{time}");
    // The owner's account was read from the profile first, where it was found.
    let announce = owner == crate::meta::UNKNOWN_OWNER;
    emit(
        Post {
            platform: platform.into(),
            account: owner.to_string(),
            created_at: Some(time),
            text,
            media,
            place,
            ..Default::default()
        },
        base_id,
        ordinal,
        announce,
        seen,
        out,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(owner: Option<&Account>, element: &str) -> Result<Vec<Record>, String> {
        crate::read_prefixed(line_prefix(owner, None), element, |l, s, o| {
            parse_line(l, 1, s, o)
        })
    }

    fn owner() -> Account {
        Account {
            id: "example_user".into(),
            platform: "instagram".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_post_of_several_photos_is_one_post_with_its_caption_and_media() {
        let element = r#"{"media":[
            {"uri":"media/posts/202401/1.jpg","creation_timestamp":1704067300,"title":""},
            {"uri":"media/posts/202401/2.mp4","creation_timestamp":1704067300,"title":""}],
            "title":"\u00d8\u00a7\u00d9\u0084\u00d8\u00ae\u00d8\u00a8\u00d8\u00b1 news","creation_timestamp":1704067200}"#;
        let recs = read(Some(&owner()), element).unwrap();
        assert_eq!(
            recs.len(),
            1,
            "the owner was read from the profile: {recs:?}"
        );
        let p = crate::first_post(&recs);
        assert_eq!(p.id, "example_user/posts/1704067200");
        assert_eq!(p.account, "example_user");
        assert_eq!(p.platform, "instagram");
        assert_eq!(p.created_at, Some(1704067200));
        assert_eq!(p.text, "الخبر news");
        let kinds: Vec<(&str, &str)> = p
            .media
            .iter()
            .map(|m| (m.kind.as_str(), m.url.as_deref().unwrap()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("image", "media/posts/202401/1.jpg"),
                ("video", "media/posts/202401/2.mp4")
            ]
        );
    }

    #[test]
    fn a_single_photos_caption_is_its_mediums_title() {
        let element = r#"{"media":[{"uri":"media/posts/202401/1.jpg","creation_timestamp":1704067300,"title":"caption here"}]}"#;
        let p = read(Some(&owner()), element).unwrap();
        let p = crate::first_post(&p);
        assert_eq!(p.text, "caption here");
        assert_eq!(p.created_at, Some(1704067300));
    }

    #[test]
    fn stories_and_comments_read_with_their_time() {
        let story = r#"{"uri":"media/stories/202402/s.jpg","creation_timestamp":1706745600,"title":"story text"}"#;
        let recs = read(Some(&owner()), story).unwrap();
        let p = crate::first_post(&recs);
        assert_eq!(p.id, "example_user/stories/1706745600");
        assert_eq!(p.text, "story text");
        assert_eq!(p.media.len(), 1);
        let comment = r#"{"media_list_data":[{"uri":""}],"string_map_data":{
            "Comment":{"value":"a comment"},"Media Owner":{"value":"someone"},
            "Time":{"timestamp":1706745700}}}"#;
        let recs = read(Some(&owner()), comment).unwrap();
        let p = crate::first_post(&recs);
        assert_eq!(p.id, "example_user/comments/1706745700");
        assert_eq!(p.text, "a comment");
        assert!(p.media.is_empty());
        // Made under `someone`'s post: its place.
        assert_eq!(p.place.as_deref(), Some("comments on @someone"));
    }

    #[test]
    fn without_a_profile_the_posts_go_to_the_owner_of_the_export() {
        let recs = read(
            None,
            r#"{"uri":"media/stories/1.jpg","creation_timestamp":1}"#,
        )
        .unwrap();
        let Record::Account(a) = &recs[0] else {
            panic!("{recs:?}")
        };
        assert_eq!(a.id, crate::meta::UNKNOWN_OWNER);
        assert_eq!(crate::first_post(&recs).account, crate::meta::UNKNOWN_OWNER);
    }

    #[test]
    fn what_cannot_be_read_says_why_and_empty_posts_are_passed_over() {
        let e = read(Some(&owner()), r#"{"media":[{"uri":"a.jpg"}]}"#).unwrap_err();
        assert!(e.contains("creation_timestamp"), "{e}");
        let e = read(
            Some(&owner()),
            r#"{"string_map_data":{"Comment":{"value":"x"}}}"#,
        )
        .unwrap_err();
        assert!(e.contains("Time.timestamp"), "{e}");
        let e = read(Some(&owner()), r#"{"likes":1}"#).unwrap_err();
        assert!(e.contains("neither"), "{e}");
        let e = read(Some(&owner()), "[1]").unwrap_err();
        assert!(!e.is_empty());
        let none = read(
            Some(&owner()),
            r#"{"media":[],"title":"","creation_timestamp":5}"#,
        )
        .unwrap();
        assert!(none.is_empty(), "{none:?}");
    }

    #[test]
    fn the_profile_gives_the_owners_handle_name_bio_and_photo() {
        let bytes = br#"{"profile_user":[{"media_map_data":{"Profile Photo":{"uri":"media/other/p.jpg","creation_timestamp":1}},
            "string_map_data":{"Email":{"href":"","value":"x@example.org","timestamp":0},
            "Username":{"href":"","value":"example_user","timestamp":0},
            "Name":{"href":"","value":"Ex \u00c3\u00a9mple","timestamp":0},
            "Bio":{"href":"","value":"a bio","timestamp":0}}}]}"#;
        let a = profile_account(bytes, None).unwrap();
        assert_eq!(a.id, "Ex émple", "the name its messages carry");
        assert_eq!(a.handle.as_deref(), Some("example_user"));
        assert_eq!(a.display_name.as_deref(), Some("Ex émple"));
        assert_eq!(a.bio.as_deref(), Some("a bio"));
        assert_eq!(
            a.avatar.and_then(|m| m.url).as_deref(),
            Some("media/other/p.jpg")
        );
        let no_name = br#"{"profile_user":[{"string_map_data":{"Username":{"value":"u_1"}}}]}"#;
        let a = profile_account(no_name, None).unwrap();
        assert_eq!((a.id.as_str(), a.handle.as_deref()), ("u_1", Some("u_1")));
        assert!(profile_account(br#"{"profile_user":[{"string_map_data":{}}]}"#, None).is_none());
        assert!(profile_account(b"not json", None).is_none());
    }

    #[test]
    fn the_exports_files_and_root_are_known_by_their_paths() {
        for (path, root) in [
            ("x/your_instagram_activity/content/posts_1.json", Some("x")),
            ("x/your_instagram_activity/media/posts_12.json", Some("x")),
            ("x/your_instagram_activity/content/stories.json", Some("x")),
            (
                "x/your_instagram_activity/comments/post_comments_1.json",
                Some("x"),
            ),
            ("x/comments/reels_comments.json", Some("x")),
            ("content/posts_1.json", Some("")),
            ("a.zip/ig/content/reels.json.gz", Some("a.zip/ig")),
            ("x/content/posts_.json", None),
            ("x/content/posts.json", None),
            ("x/other/posts_1.json", None),
            ("posts_1.json", None),
            ("x/your_instagram_activity/likes/liked_posts.json", None),
        ] {
            assert_eq!(crate::media_root(path), root, "{path}");
        }
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        /// A post, story or comment of any shape (its fields of any JSON type) reads
        /// without a panic: one post at most, with the time it names, or an error.
        #[test]
        fn any_element_reads_or_says_why(
            time in proptest::option::of(proptest::prop_oneof![
                proptest::num::i64::ANY.prop_map(|n| n.to_string()),
                "\"[a-z0-9]{0,5}\"".prop_map(String::from),
                proptest::strategy::Just("1.5e3".to_string()),
                proptest::strategy::Just("null".to_string()),
            ]),
            shape in 0..3usize,
            title in "(\"[^\"\\\\]{0,8}\"|7|null|\\[\\])",
            media in "\\[(\\{\"(uri|title|creation_timestamp)\":(\"[a-z./:]{0,12}\"|\\[\\]|1|null)\\},?){0,3}\\]",
        ) {
            let t = time.map(|t| format!("\"creation_timestamp\":{t},")).unwrap_or_default();
            let json = match shape {
                0 => format!("{{{t}\"title\":{title},\"media\":{media}}}"),
                1 => format!("{{{t}\"title\":{title},\"uri\":{title}}}"),
                _ => format!(
                    "{{\"media_list_data\":{media},\"string_map_data\":{{\"Comment\":{{\"value\":{title}}},\"Time\":{{{}}}}}}}",
                    t.replace("creation_timestamp", "timestamp").trim_end_matches(',')
                ),
            };
            let mut line = line_prefix(Some(&owner()), None);
            line.extend_from_slice(json.as_bytes());
            let mut got = Vec::new();
            if parse_line(&line, 1, |_| false, |r| got.push(r)).is_ok() {
                proptest::prop_assert!(got.len() <= 1, "{json}: {got:?}");
                for r in &got {
                    let Record::Post(p) = r else {
                        proptest::prop_assert!(false, "{json}: {r:?}");
                        continue;
                    };
                    proptest::prop_assert!(p.created_at.is_some());
                    proptest::prop_assert!(!p.text.is_empty() || !p.media.is_empty());
                }
            }
        }
    }

    #[test]
    fn instagram_files_are_known_by_their_first_bytes() {
        assert!(looks_like(
            r#"[{"media":[{"uri":"m.jpg","creation_timestamp":1"#
        ));
        assert!(looks_like(
            r#"[ {"string_map_data": {"Comment": {"value": "x"#
        ));
        assert!(looks_like("{\n  \"ig_stories\": ["));
        assert!(looks_like(r#"{"comments_reels_comments":[]}"#));
        assert!(!looks_like(r#"[{"timestamp":1,"data":[{"post":"x"}]}]"#));
        let facebook = r#"[{"timestamp":1,"attachments":[{"data":[{"media":{"uri":"a.jpg",
            "creation_timestamp":1}}]}],"data":[{"post":"x"}]}]"#;
        assert!(!looks_like(facebook));
        assert!(!looks_like(r#"{"messages":[]}"#));
    }
}
