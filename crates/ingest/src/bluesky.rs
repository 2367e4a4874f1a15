//! Bluesky (the AT Protocol): `--format bluesky`, or found by its `at://` URIs.
//!
//! Three shapes, one JSON object a line or pretty-printed documents one after another:
//!
//! - **Jetstream events**, the firehose as JSON (`wss://jetstream2.us-east.bsky.network/
//!   subscribe`, saved a line each): a `commit` creating or updating an
//!   `app.bsky.feed.post` is a post, one of `app.bsky.actor.profile` the account's profile;
//!   an `identity` event gives the account's handle and an `account` event its status
//!   (`takendown` and `suspended` are suspended, `deleted` deleted). A repost is the
//!   account's share of the post it names, by reference only (no text: `scan` does not
//!   score it, networks read it as a share; see `Post::is_reference_only`), as is a quote
//!   with no words of its own. Likes, follows and deletions are passed over.
//! - **The API's JSON** (XRPC responses, `https://public.api.bsky.app/xrpc/...`):
//!   `app.bsky.feed.searchPosts` and `getPosts` (`posts`), `getAuthorFeed`, `getTimeline`,
//!   `getFeed` and `getListFeed` (`feed`: a repost is the reposter's post with the
//!   original's text, sharing it), `getPostThread` (`thread`: every post of the thread,
//!   parents and replies at any depth), `app.bsky.actor.getProfile` and `getProfiles`
//!   (accounts), and `com.atproto.repo.listRecords` (`records`: an account's own posts and
//!   profile, as stored). A post view's author is an account of the input.
//! - A bare post view, feed item or profile view a line (the items of those responses).
//!
//! An account's whole repository, as `com.atproto.sync.getRepo` gives it (a CAR file), is
//! read by [`crate::bluesky_car`], its records as the firehose's.
//!
//! A post's id is its AT URI (`at://DID/app.bsky.feed.post/RKEY`), so a reply's
//! `reply.parent.uri` and a quote's embedded record are post ids. The account is the
//! author's DID, which never changes (a handle can). Text is the record's `text`;
//! `createdAt` is its time (the firehose's `time_us` where a record has none); `langs`
//! gives its language. Links are the text's link facets and an external embed's URI; the
//! external embed's title and description are its link card (a `link` medium, scored
//! apart from the text, as the linked page's words).
//! An image or video is a blob named by its CID: it becomes a link to Bluesky's CDN, and,
//! since a blob's CID is the SHA-256 of its bytes, its SHA-256, so that `scan
//! --known-media` matches known files on the firehose without fetching one.

use raqib_model::{Account, AccountStatus, MediaRef, Post, Record};
use serde::Deserialize;
use serde_json::Value;

/// A Jetstream event's envelope: what says which event it is, the record left unparsed
/// until its collection says it is one raqib reads.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(default, borrow)]
    did: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    time_us: Option<i64>,
    #[serde(default, borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    commit: Option<Commit<'a>>,
    #[serde(default)]
    identity: Option<Value>,
    #[serde(default)]
    account: Option<Value>,
}

/// A repost record: the post it names, and when.
#[derive(Deserialize)]
struct RepostRecord<'a> {
    #[serde(default, borrow)]
    subject: Option<Subject<'a>>,
    #[serde(default, borrow, rename = "createdAt")]
    created_at: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Subject<'a> {
    #[serde(default, borrow)]
    uri: Option<std::borrow::Cow<'a, str>>,
}

const REPOST_WITHOUT_SUBJECT: &str =
    "an `app.bsky.feed.repost` commit whose record names no post (`subject.uri`)";

#[derive(Deserialize)]
struct Commit<'a> {
    #[serde(default, borrow)]
    operation: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    collection: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    rkey: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    record: Option<&'a serde_json::value::RawValue>,
}

const POST: &str = "app.bsky.feed.post";
const PROFILE: &str = "app.bsky.actor.profile";
const REPOST: &str = "app.bsky.feed.repost";

/// Whether `head` (a file's first bytes) is Bluesky's: an AT URI of a record (`"uri":
/// "at://..."`, the API's JSON), or a Jetstream event (`time_us` and a DID), and no raqib
/// record.
pub(crate) fn looks_like_bluesky(head: &[u8]) -> bool {
    let head = &head[..head.len().min(4096)];
    let squeezed: Vec<u8> = head
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let has = |s: &[u8]| memchr::memmem::find(&squeezed, s).is_some();
    !has(br#""raqib":"#)
        && (has(br#""uri":"at://did:"#)
            || (has(br#""time_us":"#) && has(br#""did":"did:"#))
            || (has(br#""did":"did:"#) && has(br#""handle":"#)))
}

/// Read one line: a Jetstream event, an API response, or one of its items.
pub(crate) fn parse_line(
    line: &[u8],
    platform: &str,
    mut seen: impl FnMut(&str) -> bool,
    mut out: impl FnMut(Record),
) -> Result<(), String> {
    crate::require_object(line, "a Bluesky event or API response")?;
    if passes_over(line) {
        return Ok(());
    }
    // The firehose first: most lines of a capture, read without building a tree.
    if let Ok(e) = serde_json::from_slice::<Event>(line) {
        if e.kind.is_some() && e.did.is_some() {
            return event(e, platform, &mut out);
        }
    }
    let v: Value = crate::parse_object(line, "a Bluesky event or API response")?;
    let mut r = Reader {
        platform,
        seen: &mut seen,
        out: &mut out,
        read: 0,
    };
    r.document(&v);
    if r.read == 0 && !is_known_empty(&v) {
        return Err(
            "no Bluesky post or profile here: expected a Jetstream event (`did`, `kind`) or \
             the API's JSON (`posts`, `feed`, `thread`, `records`, a post view with an \
             `at://` `uri`, or a profile with a `did`)"
                .into(),
        );
    }
    Ok(())
}

/// Whether a line is a firehose commit of a collection raqib does not read (a like, a
/// follow, a block: most lines of the firehose), told from its bytes as Jetstream
/// writes them (compact JSON), without parsing it. Any other spelling is parsed, and
/// passed over then.
fn passes_over(line: &[u8]) -> bool {
    let find = |s: &[u8]| memchr::memmem::find(line, s).is_some();
    line.starts_with(br#"{"did":"did:"#)
        && find(br#""kind":"commit""#)
        && !find(br#""collection":"app.bsky.feed.post""#)
        && !find(br#""collection":"app.bsky.actor.profile""#)
        && !find(br#""collection":"app.bsky.feed.repost""#)
}

/// A response that holds nothing to read, and says so: an empty page of results.
fn is_known_empty(v: &Value) -> bool {
    ["posts", "feed", "records", "profiles"].iter().any(|k| {
        v.get(k)
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
    })
}

/// A Jetstream event's records.
fn event(e: Event, platform: &str, out: &mut impl FnMut(Record)) -> Result<(), String> {
    let did = e.did.as_deref().unwrap_or_default();
    match e.kind.as_deref() {
        Some("commit") => {
            let Some(c) = e.commit else {
                return Err("a `commit` event with no `commit`".into());
            };
            if !matches!(c.operation.as_deref(), Some("create" | "update")) {
                return Ok(());
            }
            let collection = c.collection.as_deref().unwrap_or_default();
            if collection != POST && collection != PROFILE && collection != REPOST {
                return Ok(());
            }
            let Some(raw) = c.record else {
                return Err(format!("a `{collection}` commit with no `record`"));
            };
            let rkey = c.rkey.as_deref().unwrap_or_default();
            let fallback = e.time_us.map(|us| us.div_euclid(1_000_000));
            if collection == REPOST {
                // As many as posts on the firehose: read into the two fields it has.
                if rkey.is_empty() {
                    return Err(format!("an `{collection}` commit with no `rkey`"));
                }
                let r: RepostRecord = serde_json::from_str(raw.get())
                    .map_err(|e| format!("the record of a `{collection}` commit: {e}"))?;
                let subject = r.subject.and_then(|s| s.uri).filter(|u| !u.is_empty());
                let Some(subject) = subject else {
                    return Err(REPOST_WITHOUT_SUBJECT.into());
                };
                let at = r.created_at.as_deref().and_then(crate::parse_time);
                out(Record::Post(Box::new(share_by_reference(
                    format!("at://{did}/{REPOST}/{rkey}"),
                    did,
                    platform,
                    subject.into_owned(),
                    at.or(fallback),
                ))));
                return Ok(());
            }
            let record: Value = serde_json::from_str(raw.get())
                .map_err(|e| format!("the record of a `{collection}` commit: {e}"))?;
            if !record.is_object() {
                return Err(format!(
                    "the record of a `{collection}` commit is not an object"
                ));
            }
            if record.get("text").is_some_and(|t| !t.is_string()) {
                return Err("a post's `text` is not a string".into());
            }
            if collection == PROFILE {
                out(Record::Account(Box::new(profile_record(
                    did, &record, platform,
                ))));
                return Ok(());
            }
            if rkey.is_empty() {
                return Err(format!("an `{collection}` commit with no `rkey`"));
            }
            let uri = format!("at://{did}/{collection}/{rkey}");
            if let Some(mut p) = post_record(uri, did, &record, platform, fallback) {
                // A record updated in place keeps its URI: its versions count as one.
                if c.operation.as_deref() == Some("update") {
                    p.first_version = Some(p.id.clone());
                }
                out(Record::Post(Box::new(p)));
            }
            Ok(())
        }
        Some("identity") => {
            let handle = e
                .identity
                .as_ref()
                .and_then(|i| str_at(i, "handle"))
                .filter(|h| *h != "handle.invalid");
            if let Some(h) = handle {
                out(Record::Account(Box::new(Account {
                    id: did.to_string(),
                    platform: platform.into(),
                    handle: Some(h.to_string()),
                    ..Default::default()
                })));
            }
            Ok(())
        }
        Some("account") => {
            let a = e.account.as_ref();
            let active = a.and_then(|a| a.get("active")).and_then(Value::as_bool);
            let status = match a.and_then(|a| str_at(a, "status")) {
                Some("takendown" | "suspended") => AccountStatus::Suspended,
                Some("deleted") => AccountStatus::Deleted,
                Some(_) => AccountStatus::Unknown,
                None if active == Some(true) => AccountStatus::Active,
                None => return Ok(()),
            };
            out(Record::Account(Box::new(Account {
                id: did.to_string(),
                platform: platform.into(),
                status,
                ..Default::default()
            })));
            Ok(())
        }
        _ => Ok(()),
    }
}

fn str_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The DID an AT URI names (`at://DID/...`).
fn did_of(uri: &str) -> Option<&str> {
    uri.strip_prefix("at://")?
        .split('/')
        .next()
        .filter(|d| !d.is_empty())
}

/// Reads the API's shapes, recording which accounts it has given.
struct Reader<'r, S, O> {
    platform: &'r str,
    seen: &'r mut S,
    out: &'r mut O,
    /// Posts and accounts read.
    read: usize,
}

impl<S: FnMut(&str) -> bool, O: FnMut(Record)> Reader<'_, S, O> {
    fn document(&mut self, v: &Value) {
        if let Some(posts) = v.get("posts").and_then(Value::as_array) {
            posts.iter().for_each(|p| self.post_view(p, None));
        }
        if let Some(feed) = v.get("feed").and_then(Value::as_array) {
            feed.iter().for_each(|f| self.feed_item(f));
        }
        if let Some(t) = v.get("thread") {
            self.thread(t);
        }
        if let Some(records) = v.get("records").and_then(Value::as_array) {
            records.iter().for_each(|r| self.repo_record(r));
        }
        if let Some(profiles) = v.get("profiles").and_then(Value::as_array) {
            profiles.iter().for_each(|p| self.profile_view(p, true));
        }
        // One item of those a line.
        if v.get("post").is_some_and(Value::is_object) {
            self.feed_item(v);
        } else if v.get("record").is_some() && str_at(v, "uri").is_some() {
            self.post_view(v, None);
        } else if v.get("value").is_some() && str_at(v, "uri").is_some() {
            self.repo_record(v);
        } else if str_at(v, "did").is_some() && v.get("handle").is_some() {
            self.profile_view(v, true);
        }
    }

    /// An account from a profile view, given once (`always`: a profile asked for, given
    /// each time, since a later one may say more).
    fn profile_view(&mut self, p: &Value, always: bool) {
        let Some(did) = str_at(p, "did") else { return };
        if !always && (self.seen)(did) {
            return;
        }
        let taken_down = p
            .get("labels")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|l| matches!(str_at(l, "val"), Some("!takedown" | "!suspend")));
        self.read += 1;
        (self.out)(Record::Account(Box::new(Account {
            id: did.to_string(),
            platform: self.platform.into(),
            handle: str_at(p, "handle")
                .filter(|h| *h != "handle.invalid")
                .map(str::to_string),
            display_name: str_at(p, "displayName").map(str::to_string),
            bio: str_at(p, "description").map(str::to_string),
            created_at: str_at(p, "createdAt").and_then(crate::parse_time),
            avatar: str_at(p, "avatar").map(|u| MediaRef {
                kind: "image".into(),
                url: Some(u.to_string()),
                ..Default::default()
            }),
            followers: p.get("followersCount").and_then(Value::as_u64),
            status: if taken_down {
                AccountStatus::Suspended
            } else {
                AccountStatus::Active
            },
            ..Default::default()
        })));
    }

    /// A post view's post, and its author's account. `repost`: the feed's repost it came
    /// in (its id, time and the reposter's DID), making it the reposter's post sharing it.
    fn post_view(&mut self, v: &Value, repost: Option<(String, Option<i64>, String)>) {
        let (Some(uri), Some(record)) = (str_at(v, "uri"), v.get("record")) else {
            return;
        };
        let author = v.get("author");
        let did = author
            .and_then(|a| str_at(a, "did"))
            .or_else(|| did_of(uri))
            .unwrap_or_default()
            .to_string();
        if repost.is_none() {
            if let Some(a) = author {
                self.profile_view(a, false);
            }
        }
        let indexed = str_at(v, "indexedAt").and_then(crate::parse_time);
        let Some(mut p) = post_record(uri.to_string(), &did, record, self.platform, indexed) else {
            return;
        };
        let count = |k: &str| v.get(k).and_then(Value::as_u64);
        let counts = [
            count("likeCount"),
            count("repostCount"),
            count("quoteCount"),
        ];
        if counts.iter().any(Option::is_some) {
            p.reach = Some(counts.iter().flatten().sum());
        }
        if let Some((id, at, by)) = repost {
            p.share_of = Some(std::mem::replace(&mut p.id, id));
            p.account = by;
            p.reply_to = None;
            p.created_at = at.or(p.created_at);
        }
        self.read += 1;
        (self.out)(Record::Post(Box::new(p)));
    }

    /// A feed's item: its post, or (reposted) the reposter's post sharing it.
    fn feed_item(&mut self, f: &Value) {
        let Some(post) = f.get("post") else { return };
        let reason = f.get("reason");
        let reposted = reason
            .and_then(|r| str_at(r, "$type"))
            .is_some_and(|t| t.ends_with("reasonRepost"));
        if !reposted {
            self.post_view(post, None);
            return;
        }
        let Some(r) = reason else { return };
        let by = r.get("by");
        let Some(by_did) = by.and_then(|b| str_at(b, "did")) else {
            return;
        };
        if let Some(b) = by {
            self.profile_view(b, false);
        }
        let original = str_at(post, "uri").unwrap_or_default();
        // Newer responses name the repost record; older ones only who reposted.
        let id = str_at(r, "uri")
            .map(str::to_string)
            .unwrap_or_else(|| format!("at://{by_did}/app.bsky.feed.repost/of/{original}"));
        let at = str_at(r, "indexedAt").and_then(crate::parse_time);
        self.post_view(post, Some((id, at, by_did.to_string())));
    }

    /// Every post of a thread view: the post, its parents, its replies at any depth.
    fn thread(&mut self, t: &Value) {
        // A stack, not recursion: a thread may be deep.
        let mut stack = vec![t];
        while let Some(node) = stack.pop() {
            if let Some(p) = node.get("post") {
                self.post_view(p, None);
            }
            if let Some(replies) = node.get("replies").and_then(Value::as_array) {
                stack.extend(replies.iter().rev());
            }
            if let Some(parent) = node.get("parent").filter(|p| p.is_object()) {
                stack.push(parent);
            }
        }
    }

    /// A record as an account's repository stores it (`listRecords`): a post or its
    /// profile.
    fn repo_record(&mut self, r: &Value) {
        let (Some(uri), Some(value)) = (str_at(r, "uri"), r.get("value")) else {
            return;
        };
        if repo_record(uri, value, self.platform, &mut *self.out) {
            self.read += 1;
        }
    }
}

/// The record at `uri` (`at://DID/COLLECTION/RKEY`) as its repository stores it: a post,
/// or the account's profile; other collections hold nothing to read. Whether it gave one.
pub(crate) fn repo_record(
    uri: &str,
    value: &Value,
    platform: &str,
    out: &mut impl FnMut(Record),
) -> bool {
    let Some(did) = did_of(uri) else {
        return false;
    };
    let kind = str_at(value, "$type").unwrap_or_default();
    if kind == PROFILE || uri.contains("/app.bsky.actor.profile/") {
        out(Record::Account(Box::new(profile_record(
            did, value, platform,
        ))));
        true
    } else {
        let post = if kind == POST || uri.contains("/app.bsky.feed.post/") {
            post_record(uri.to_string(), did, value, platform, None)
        } else if kind == REPOST || uri.contains("/app.bsky.feed.repost/") {
            repost_record(uri.to_string(), did, value, platform, None)
        } else {
            None
        };
        post.map(|p| out(Record::Post(Box::new(p)))).is_some()
    }
}

/// An account from its `app.bsky.actor.profile` record.
fn profile_record(did: &str, record: &Value, platform: &str) -> Account {
    Account {
        id: did.to_string(),
        platform: platform.into(),
        display_name: str_at(record, "displayName").map(str::to_string),
        bio: str_at(record, "description").map(str::to_string),
        created_at: str_at(record, "createdAt").and_then(crate::parse_time),
        avatar: record
            .get("avatar")
            .and_then(blob_cid)
            .map(|cid| blob_media("image", did, cid)),
        ..Default::default()
    }
}

/// A post from an `app.bsky.feed.post` record at `uri` by `did`; `None` where it has
/// nothing to read (no text, link or media, and no post it quotes).
fn post_record(
    uri: String,
    did: &str,
    record: &Value,
    platform: &str,
    fallback_time: Option<i64>,
) -> Option<Post> {
    let text = str_at(record, "text").unwrap_or_default().to_string();
    let mut urls = Vec::new();
    for facet in record
        .get("facets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for f in facet
            .get("features")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let link = str_at(f, "$type").is_some_and(|t| t.ends_with("#link"));
            if let Some(u) = str_at(f, "uri").filter(|_| link) {
                if !urls.iter().any(|x| x == u) {
                    urls.push(u.to_string());
                }
            }
        }
    }
    let mut media = Vec::new();
    let mut quoted = None;
    if let Some(e) = record.get("embed") {
        embed(e, did, &mut urls, &mut media, &mut quoted);
    }
    // A quote with no words of its own is kept: a share of the post it quotes.
    if text.trim().is_empty() && urls.is_empty() && media.is_empty() && quoted.is_none() {
        return None;
    }
    Some(Post {
        permalink: web_link(&uri),
        id: uri,
        platform: platform.into(),
        account: did.to_string(),
        created_at: record_time(record, fallback_time),
        text,
        lang: record
            .get("langs")
            .and_then(Value::as_array)
            .and_then(|l| l.first())
            .and_then(Value::as_str)
            .filter(|l| !l.is_empty())
            .map(str::to_string),
        urls,
        media,
        reply_to: record
            .get("reply")
            .and_then(|r| r.get("parent"))
            .and_then(|p| str_at(p, "uri"))
            .map(str::to_string),
        share_of: quoted,
        ..Default::default()
    })
}

/// A post's page on bsky.app, from its AT URI (`at://DID/app.bsky.feed.post/RKEY`).
fn web_link(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("at://")?;
    let (did, rkey) = rest.split_once("/app.bsky.feed.post/")?;
    let ok = |s: &str| !s.is_empty() && !s.contains(['/', '?', '#']);
    (ok(did) && ok(rkey)).then(|| format!("https://bsky.app/profile/{did}/post/{rkey}"))
}

/// A record's `createdAt`, else `fallback` (the firehose's time).
fn record_time(record: &Value, fallback: Option<i64>) -> Option<i64> {
    str_at(record, "createdAt")
        .and_then(crate::parse_time)
        .or(fallback)
}

/// A repost (an `app.bsky.feed.repost` record at `uri` by `did`): the account's share of
/// the post it names (`subject.uri`), by reference only, with no text of its own (see
/// `Post::is_reference_only`: `scan` does not score it, networks read it). `None` where it
/// names no post.
fn repost_record(
    uri: String,
    did: &str,
    record: &Value,
    platform: &str,
    fallback_time: Option<i64>,
) -> Option<Post> {
    let subject = record.get("subject").and_then(|s| str_at(s, "uri"))?;
    Some(share_by_reference(
        uri,
        did,
        platform,
        subject.to_string(),
        record_time(record, fallback_time),
    ))
}

/// The post `uri` by `did` that shares `subject` and holds nothing of its own.
fn share_by_reference(
    uri: String,
    did: &str,
    platform: &str,
    subject: String,
    created_at: Option<i64>,
) -> Post {
    Post {
        id: uri,
        platform: platform.into(),
        account: did.to_string(),
        created_at,
        share_of: Some(subject),
        ..Default::default()
    }
}

/// What a record's embed holds: images and video as media, an external link as a URL and
/// its card (its title and description, a link card medium), a quoted post as what the
/// post shares.
fn embed(
    e: &Value,
    did: &str,
    urls: &mut Vec<String>,
    media: &mut Vec<MediaRef>,
    quoted: &mut Option<String>,
) {
    let kind = str_at(e, "$type").unwrap_or_default();
    let kind = kind.split('#').next().unwrap_or(kind);
    match kind {
        "app.bsky.embed.images" => {
            for i in e
                .get("images")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(cid) = i.get("image").and_then(blob_cid) {
                    let mut m = blob_media("image", did, cid);
                    m.alt = str_at(i, "alt")
                        .filter(|a| !a.trim().is_empty())
                        .map(str::to_string);
                    media.push(m);
                }
            }
        }
        "app.bsky.embed.video" => {
            if let Some(cid) = e.get("video").and_then(blob_cid) {
                let mut m = blob_media("video", did, cid);
                m.alt = str_at(e, "alt")
                    .filter(|a| !a.trim().is_empty())
                    .map(str::to_string);
                media.push(m);
            }
        }
        "app.bsky.embed.external" => {
            let Some(x) = e.get("external") else { return };
            let u = str_at(x, "uri");
            if let Some(u) = u {
                if !urls.iter().any(|x| x == u) {
                    urls.push(u.to_string());
                }
            }
            // The card the post shows: the page's title and description.
            media.extend(MediaRef::link_card(
                u,
                str_at(x, "title"),
                str_at(x, "description"),
            ));
        }
        "app.bsky.embed.record" => {
            *quoted = e
                .get("record")
                .and_then(|r| str_at(r, "uri"))
                .map(str::to_string);
        }
        "app.bsky.embed.recordWithMedia" => {
            *quoted = e
                .get("record")
                .and_then(|r| r.get("record"))
                .and_then(|r| str_at(r, "uri"))
                .map(str::to_string);
            if let Some(m) = e.get("media") {
                // The media is itself an images, video or external embed.
                if str_at(m, "$type").is_some_and(|t| !t.contains("recordWithMedia")) {
                    embed(m, did, urls, media, &mut None);
                }
            }
        }
        _ => {}
    }
}

/// A blob's CID: `{"$type":"blob","ref":{"$link":CID}}`, or the legacy `{"cid":CID}`.
fn blob_cid(b: &Value) -> Option<&str> {
    b.get("ref")
        .and_then(|r| str_at(r, "$link"))
        .or_else(|| str_at(b, "cid"))
}

/// A blob as media: its link on Bluesky's CDN (images) or video service, and its SHA-256
/// where the CID holds one.
fn blob_media(kind: &str, did: &str, cid: &str) -> MediaRef {
    let url = if kind == "video" {
        format!(
            "https://video.bsky.app/watch/{}/{cid}/playlist.m3u8",
            did.replace(':', "%3A")
        )
    } else {
        format!("https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{cid}@jpeg")
    };
    MediaRef {
        kind: kind.into(),
        url: Some(url),
        sha256: cid_sha256(cid),
        ..Default::default()
    }
}

/// The SHA-256 a blob's CID holds: a CIDv1 in base32 (`b...`) of raw bytes (0x55) whose
/// multihash is SHA-256 (0x12, 32 bytes), as every AT Protocol blob's is. `None` for any
/// other CID.
fn cid_sha256(cid: &str) -> Option<String> {
    let body = cid.strip_prefix('b')?;
    let bytes = base32_lower(body)?;
    let digest = bytes.strip_prefix(&[0x01, 0x55, 0x12, 0x20][..])?;
    if digest.len() != 32 {
        return None;
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push(HEX[usize::from(b >> 4)] as char);
        hex.push(HEX[usize::from(b & 15)] as char);
    }
    Some(hex)
}

/// RFC 4648 base32, lower case, unpadded (multibase `b`).
pub(crate) fn base32_lower(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let (mut acc, mut bits) = (0u64, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'a'..=b'z' => c - b'a',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        acc = (acc << 5) | u64::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A post's AT URI gives its page on bsky.app; any other record's, or a broken URI,
    /// none.
    #[test]
    fn a_posts_uri_gives_its_page() {
        assert_eq!(
            web_link("at://did:plc:abc/app.bsky.feed.post/3k2").as_deref(),
            Some("https://bsky.app/profile/did:plc:abc/post/3k2")
        );
        for uri in [
            "at://did:plc:abc/app.bsky.feed.repost/3k2",
            "at://did:plc:abc/app.bsky.feed.post/",
            "at://did:plc:abc/app.bsky.feed.post/3k2/more",
            "https://bsky.app/profile/x/post/y",
        ] {
            assert_eq!(web_link(uri), None, "{uri}");
        }
    }
    use proptest::prelude::*;

    fn parse(line: &str) -> Result<Vec<Record>, String> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        parse_line(
            line.as_bytes(),
            "bluesky",
            |a| !seen.insert(a.to_string()),
            |r| out.push(r),
        )?;
        Ok(out)
    }

    fn posts(recs: &[Record]) -> Vec<&Post> {
        recs.iter()
            .filter_map(|r| match r {
                Record::Post(p) => Some(&**p),
                _ => None,
            })
            .collect()
    }

    fn accounts(recs: &[Record]) -> Vec<&Account> {
        recs.iter()
            .filter_map(|r| match r {
                Record::Account(a) => Some(&**a),
                _ => None,
            })
            .collect()
    }

    // A blob CID: CIDv1, raw, SHA-256 of "hello" (2cf24d...).
    const CID: &str = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq";

    #[test]
    fn a_blobs_cid_is_its_sha256() {
        assert_eq!(
            cid_sha256(CID).as_deref(),
            Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        );
        // A record's CID (dag-cbor, 0x71) holds no file's hash; nor does text that is no CID.
        assert_eq!(
            cid_sha256("bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"),
            None
        );
        assert_eq!(cid_sha256("QmNotBase32"), None);
        assert_eq!(cid_sha256("b"), None);
    }

    /// An image's and a video's descriptions (alt text) are kept with them; a blank one is
    /// none.
    #[test]
    fn media_keep_their_descriptions() {
        let line = format!(
            r#"{{"did":"did:plc:aaa","time_us":1764600000000000,"kind":"commit","commit":{{"operation":"create","collection":"app.bsky.feed.post","rkey":"3kx2","record":{{"text":"","createdAt":"2026-12-01T10:00:00Z","embed":{{"$type":"app.bsky.embed.images","images":[{{"alt":"نص على الصورة","image":{{"ref":{{"$link":"{CID}"}}}}}},{{"alt":"  ","image":{{"ref":{{"$link":"{CID}"}}}}}}]}}}}}}}}"#
        );
        let recs = parse(&line).unwrap();
        let alts: Vec<Option<&str>> = crate::first_post(&recs)
            .media
            .iter()
            .map(|m| m.alt.as_deref())
            .collect();
        assert_eq!(alts, [Some("نص على الصورة"), None]);
        let video = format!(
            r#"{{"did":"did:plc:aaa","kind":"commit","commit":{{"operation":"create","collection":"app.bsky.feed.post","rkey":"3kx3","record":{{"text":"x","createdAt":"2026-12-01T10:00:00Z","embed":{{"$type":"app.bsky.embed.video","alt":"a clip","video":{{"ref":{{"$link":"{CID}"}}}}}}}}}}}}"#
        );
        let recs = parse(&video).unwrap();
        assert_eq!(
            crate::first_post(&recs).media[0].alt.as_deref(),
            Some("a clip")
        );
    }

    #[test]
    fn a_jetstream_post_with_its_reply_images_link_and_quote() {
        let line = format!(
            r#"{{"did":"did:plc:aaa","time_us":1764600000000000,"kind":"commit","commit":{{"rev":"r","operation":"create","collection":"app.bsky.feed.post","rkey":"3kx1","record":{{"$type":"app.bsky.feed.post","createdAt":"2026-12-01T10:00:00.000Z","langs":["ar"],"text":"نص تجريبي https://example.org/a","facets":[{{"index":{{"byteStart":0,"byteEnd":5}},"features":[{{"$type":"app.bsky.richtext.facet#link","uri":"https://example.org/a"}}]}},{{"features":[{{"$type":"app.bsky.richtext.facet#mention","did":"did:plc:x"}}]}}],"reply":{{"root":{{"uri":"at://did:plc:r/app.bsky.feed.post/1","cid":"c"}},"parent":{{"uri":"at://did:plc:p/app.bsky.feed.post/2","cid":"c"}}}},"embed":{{"$type":"app.bsky.embed.recordWithMedia","record":{{"$type":"app.bsky.embed.record","record":{{"uri":"at://did:plc:q/app.bsky.feed.post/3","cid":"c"}}}},"media":{{"$type":"app.bsky.embed.images","images":[{{"alt":"","image":{{"$type":"blob","ref":{{"$link":"{CID}"}},"mimeType":"image/jpeg","size":5}}}}]}}}}}},"cid":"bafyrei"}}}}"#
        );
        let recs = parse(&line).unwrap();
        let p = posts(&recs)[0];
        assert_eq!(p.id, "at://did:plc:aaa/app.bsky.feed.post/3kx1");
        assert_eq!(
            (p.account.as_str(), p.platform.as_str()),
            ("did:plc:aaa", "bluesky")
        );
        assert_eq!(p.created_at, crate::parse_time("2026-12-01T10:00:00Z"));
        assert_eq!(p.lang.as_deref(), Some("ar"));
        assert_eq!(p.urls, ["https://example.org/a"]);
        assert_eq!(
            p.reply_to.as_deref(),
            Some("at://did:plc:p/app.bsky.feed.post/2")
        );
        assert_eq!(
            p.share_of.as_deref(),
            Some("at://did:plc:q/app.bsky.feed.post/3")
        );
        assert_eq!(p.media.len(), 1);
        assert_eq!(
            p.media[0].url.as_deref(),
            Some(
                format!("https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:aaa/{CID}@jpeg")
                    .as_str()
            )
        );
        assert!(p.media[0]
            .sha256
            .as_deref()
            .unwrap()
            .starts_with("2cf24dba"));
        assert_eq!(p.first_version, None);
    }

    #[test]
    fn jetstream_identity_account_and_profile_events_are_accounts() {
        let recs = parse(
            r#"{"did":"did:plc:b","time_us":1,"kind":"identity","identity":{"did":"did:plc:b","handle":"someone.example","seq":1,"time":"2026-12-01T00:00:00Z"}}"#,
        )
        .unwrap();
        assert_eq!(
            accounts(&recs)[0].handle.as_deref(),
            Some("someone.example")
        );
        for (status, want) in [
            ("takendown", AccountStatus::Suspended),
            ("suspended", AccountStatus::Suspended),
            ("deleted", AccountStatus::Deleted),
            ("deactivated", AccountStatus::Unknown),
        ] {
            let recs = parse(&format!(
                r#"{{"did":"did:plc:b","time_us":1,"kind":"account","account":{{"active":false,"did":"did:plc:b","seq":2,"status":"{status}"}}}}"#
            ))
            .unwrap();
            assert_eq!(accounts(&recs)[0].status, want, "{status}");
        }
        let recs = parse(&format!(
            r#"{{"did":"did:plc:b","time_us":1,"kind":"commit","commit":{{"operation":"update","collection":"app.bsky.actor.profile","rkey":"self","record":{{"$type":"app.bsky.actor.profile","displayName":"Name","description":"a bio","avatar":{{"$type":"blob","ref":{{"$link":"{CID}"}},"mimeType":"image/jpeg","size":1}}}}}}}}"#
        ))
        .unwrap();
        let a = accounts(&recs)[0];
        assert_eq!(
            (a.display_name.as_deref(), a.bio.as_deref()),
            (Some("Name"), Some("a bio"))
        );
        assert!(a.avatar.as_ref().unwrap().sha256.is_some());
    }

    #[test]
    fn likes_follows_and_deletions_hold_nothing_to_read() {
        for line in [
            r#"{"did":"did:plc:c","time_us":1,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.like","rkey":"k","record":{"subject":{"uri":"at://did:plc:d/app.bsky.feed.post/1"}}}}"#,
            r#"{"did":"did:plc:c","time_us":1,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.graph.follow","rkey":"k","record":{"subject":"did:plc:d"}}}"#,
            r#"{"did":"did:plc:c","time_us":1,"kind":"commit","commit":{"operation":"delete","collection":"app.bsky.feed.post","rkey":"k"}}"#,
            r#"{"did":"did:plc:c","time_us":1,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"k","record":{"text":"  "}}}"#,
        ] {
            assert!(parse(line).unwrap().is_empty(), "{line}");
        }
        // A post commit with no record, no rkey, or a record of the wrong shape is a
        // diagnostic.
        assert!(parse(r#"{"did":"did:plc:c","kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"k","record":{"text":123}}}"#).is_err());
        assert!(parse(r#"{"did":"did:plc:c","kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"k","record":"oops"}}"#).is_err());
        assert!(parse(r#"{"did":"did:plc:c","kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"k"}}"#).is_err());
        assert!(parse(r#"{"did":"did:plc:c","kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","record":{"text":"x"}}}"#).is_err());
    }

    #[test]
    fn a_repost_and_a_wordless_quote_are_shares_by_reference() {
        // Compact, as Jetstream writes it (not passed over unparsed), and spaced.
        for line in [
            r#"{"did":"did:plc:c","time_us":1764600000000000,"kind":"commit","commit":{"rev":"r","operation":"create","collection":"app.bsky.feed.repost","rkey":"3kr","record":{"$type":"app.bsky.feed.repost","createdAt":"2026-12-01T10:00:05.000Z","subject":{"cid":"bafy","uri":"at://did:plc:d/app.bsky.feed.post/1"}},"cid":"bafy"}}"#,
            r#"{"did": "did:plc:c", "time_us": 1764600000000000, "kind": "commit", "commit": {"operation": "create", "collection": "app.bsky.feed.repost", "rkey": "3kr", "record": {"subject": {"uri": "at://did:plc:d/app.bsky.feed.post/1"}, "createdAt": "2026-12-01T10:00:05Z"}}}"#,
        ] {
            let recs = parse(line).unwrap();
            let p = posts(&recs)[0];
            assert_eq!(p.id, "at://did:plc:c/app.bsky.feed.repost/3kr");
            assert_eq!(p.account, "did:plc:c");
            assert_eq!(
                p.share_of.as_deref(),
                Some("at://did:plc:d/app.bsky.feed.post/1")
            );
            assert_eq!(p.created_at, Some(1_796_119_205));
            assert!(p.is_reference_only(), "{p:?}");
        }
        // Without a time of its own, the firehose's.
        let recs = parse(r#"{"did":"did:plc:c","time_us":1764600000123456,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.repost","rkey":"k","record":{"subject":{"uri":"at://did:plc:d/app.bsky.feed.post/1"}}}}"#).unwrap();
        assert_eq!(posts(&recs)[0].created_at, Some(1_764_600_000));
        // A repost that names no post is a diagnostic, not a share of nothing.
        let err = parse(r#"{"did":"did:plc:c","kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.repost","rkey":"k","record":{"subject":{}}}}"#).unwrap_err();
        assert!(err.contains("subject.uri"), "{err}");
        // A quote with no words of its own shares what it quotes; one with words is a post
        // that shares it.
        let recs = parse(r#"{"did":"did:plc:c","kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"q","record":{"text":"","embed":{"$type":"app.bsky.embed.record","record":{"uri":"at://did:plc:d/app.bsky.feed.post/1","cid":"c"}}}}}"#).unwrap();
        let p = posts(&recs)[0];
        assert_eq!(
            p.share_of.as_deref(),
            Some("at://did:plc:d/app.bsky.feed.post/1")
        );
        assert!(p.is_reference_only());
        let recs = parse(r#"{"did":"did:plc:c","kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"q","record":{"text":"look at this","embed":{"$type":"app.bsky.embed.record","record":{"uri":"at://did:plc:d/app.bsky.feed.post/1","cid":"c"}}}}}"#).unwrap();
        assert!(!posts(&recs)[0].is_reference_only());
        // listRecords of the repost collection: the same shares.
        let recs = parse(r#"{"records":[{"uri":"at://did:plc:c/app.bsky.feed.repost/3kr","cid":"c","value":{"$type":"app.bsky.feed.repost","createdAt":"2026-12-01T10:00:05Z","subject":{"uri":"at://did:plc:d/app.bsky.feed.post/1","cid":"c"}}}]}"#).unwrap();
        let p = posts(&recs)[0];
        assert_eq!(
            (p.id.as_str(), p.share_of.as_deref()),
            (
                "at://did:plc:c/app.bsky.feed.repost/3kr",
                Some("at://did:plc:d/app.bsky.feed.post/1")
            )
        );
    }

    #[test]
    fn the_firehoses_time_where_a_record_has_none_and_updates_are_versions() {
        let recs = parse(r#"{"did":"did:plc:c","time_us":1764600000123456,"kind":"commit","commit":{"operation":"update","collection":"app.bsky.feed.post","rkey":"k","record":{"text":"edited"}}}"#).unwrap();
        let p = posts(&recs)[0];
        assert_eq!(p.created_at, Some(1764600000));
        assert_eq!(p.first_version.as_deref(), Some(p.id.as_str()));
    }

    #[test]
    fn search_results_give_posts_and_their_authors_once() {
        let page = r#"{"posts":[
          {"uri":"at://did:plc:a/app.bsky.feed.post/1","cid":"c","author":{"did":"did:plc:a","handle":"a.example","displayName":"A","avatar":"https://cdn.example/a.jpg","labels":[]},
           "record":{"$type":"app.bsky.feed.post","text":"first","createdAt":"2026-11-30T09:00:00Z","embed":{"$type":"app.bsky.embed.external","external":{"uri":"https://news.example/x","title":"t","description":"d"}}},
           "likeCount":3,"repostCount":2,"quoteCount":0,"indexedAt":"2026-11-30T09:00:01Z"},
          {"uri":"at://did:plc:a/app.bsky.feed.post/2","cid":"c","author":{"did":"did:plc:a","handle":"a.example"},
           "record":{"text":"second","createdAt":"2026-11-30T10:00:00Z"},"indexedAt":"2026-11-30T10:00:01Z"}],
          "cursor":"1"}"#;
        let recs = parse(page).unwrap();
        assert_eq!(accounts(&recs).len(), 1, "the author once");
        let a = accounts(&recs)[0];
        assert_eq!(a.handle.as_deref(), Some("a.example"));
        assert_eq!(
            a.avatar.as_ref().unwrap().url.as_deref(),
            Some("https://cdn.example/a.jpg")
        );
        let ps = posts(&recs);
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].urls, ["https://news.example/x"]);
        // The card the post shows is a link card medium: the page's words, apart.
        assert_eq!(ps[0].text, "first");
        assert_eq!(
            ps[0].media,
            [MediaRef {
                kind: "link".into(),
                url: Some("https://news.example/x".into()),
                alt: Some("t\nd".into()),
                ..Default::default()
            }]
        );
        assert_eq!(ps[0].reach, Some(5));
        assert_eq!(ps[1].reach, None);
        // An empty page says nothing; a shape that is not Bluesky's is a diagnostic.
        assert!(parse(r#"{"posts":[],"hitsTotal":0}"#).unwrap().is_empty());
        assert!(parse(r#"{"text":"hello","id":"1"}"#).is_err());
    }

    #[test]
    fn an_author_feed_repost_is_the_reposters_post_sharing_the_original() {
        let feed = r#"{"feed":[
          {"post":{"uri":"at://did:plc:o/app.bsky.feed.post/9","author":{"did":"did:plc:o","handle":"o.example"},"record":{"text":"original","createdAt":"2026-11-01T00:00:00Z"}},
           "reason":{"$type":"app.bsky.feed.defs#reasonRepost","by":{"did":"did:plc:r","handle":"r.example"},"indexedAt":"2026-11-02T00:00:00Z"}},
          {"post":{"uri":"at://did:plc:r/app.bsky.feed.post/1","author":{"did":"did:plc:r","handle":"r.example"},"record":{"text":"own post","createdAt":"2026-11-03T00:00:00Z","reply":{"parent":{"uri":"at://did:plc:o/app.bsky.feed.post/9"}}}},
           "reply":{"root":{"uri":"at://did:plc:o/app.bsky.feed.post/9"}}}]}"#;
        let recs = parse(feed).unwrap();
        let handles: Vec<_> = accounts(&recs)
            .iter()
            .filter_map(|a| a.handle.as_deref())
            .collect();
        assert_eq!(
            handles,
            ["r.example"],
            "the original's author is not an account of this feed"
        );
        let ps = posts(&recs);
        assert_eq!(ps[0].account, "did:plc:r");
        assert_eq!(ps[0].text, "original");
        assert_eq!(
            ps[0].share_of.as_deref(),
            Some("at://did:plc:o/app.bsky.feed.post/9")
        );
        assert_eq!(ps[0].created_at, crate::parse_time("2026-11-02T00:00:00Z"));
        assert_ne!(ps[0].id, ps[1].id);
        assert_eq!(
            ps[1].reply_to.as_deref(),
            Some("at://did:plc:o/app.bsky.feed.post/9")
        );
    }

    #[test]
    fn a_thread_gives_its_parents_and_replies_at_any_depth() {
        // Built as deep as a long reply chain, which a recursive walk would not survive.
        let mut node = String::from(
            r#"{"$type":"app.bsky.feed.defs#threadViewPost","post":{"uri":"at://did:plc:z/app.bsky.feed.post/leaf","author":{"did":"did:plc:z","handle":"z.example"},"record":{"text":"deepest"}},"replies":[]}"#,
        );
        for i in 0..2000 {
            node = format!(
                r#"{{"post":{{"uri":"at://did:plc:z/app.bsky.feed.post/{i}","author":{{"did":"did:plc:z","handle":"z.example"}},"record":{{"text":"reply {i}"}}}},"replies":[{node},{{"$type":"app.bsky.feed.defs#notFoundPost","uri":"at://x","notFound":true}}]}}"#
            );
        }
        let doc = format!(
            r#"{{"thread":{{"post":{{"uri":"at://did:plc:z/app.bsky.feed.post/top","author":{{"did":"did:plc:z"}},"record":{{"text":"top"}}}},"parent":{{"post":{{"uri":"at://did:plc:y/app.bsky.feed.post/p","author":{{"did":"did:plc:y"}},"record":{{"text":"parent"}}}}}},"replies":[{node}]}}}}"#
        );
        // serde_json's own recursion limit would refuse this; a real thread is far shallower.
        let shallow: Value = serde_json::from_str(&doc.replace(&node, r#"{"post":{"uri":"at://did:plc:z/app.bsky.feed.post/r","author":{"did":"did:plc:z"},"record":{"text":"reply"}}}"#)).unwrap();
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut r = Reader {
            platform: "bluesky",
            seen: &mut |a: &str| !seen.insert(a.to_string()),
            out: &mut |rec| out.push(rec),
            read: 0,
        };
        r.document(&shallow);
        let texts: Vec<_> = posts(&out).iter().map(|p| p.text.clone()).collect();
        assert_eq!(texts, ["top", "parent", "reply"]);
        assert!(
            parse(&doc).is_err(),
            "too deep for the JSON parser: a diagnostic, not a crash"
        );
    }

    #[test]
    fn list_records_and_profiles() {
        let recs = parse(r#"{"records":[
          {"uri":"at://did:plc:m/app.bsky.feed.post/1","cid":"c","value":{"$type":"app.bsky.feed.post","text":"kept as stored","createdAt":"2026-10-01T00:00:00Z"}},
          {"uri":"at://did:plc:m/app.bsky.actor.profile/self","cid":"c","value":{"$type":"app.bsky.actor.profile","displayName":"M","description":"bio"}}],"cursor":"x"}"#).unwrap();
        assert_eq!(posts(&recs)[0].account, "did:plc:m");
        assert_eq!(accounts(&recs)[0].bio.as_deref(), Some("bio"));
        let recs = parse(r#"{"did":"did:plc:m","handle":"m.example","displayName":"M","description":"about","followersCount":1200,"createdAt":"2024-01-01T00:00:00Z","labels":[{"val":"!takedown","src":"did:plc:mod"}]}"#).unwrap();
        let a = accounts(&recs)[0];
        assert_eq!(
            (a.followers, a.status),
            (Some(1200), AccountStatus::Suspended)
        );
        assert_eq!(a.handle.as_deref(), Some("m.example"));
    }

    #[test]
    fn detection() {
        assert!(looks_like_bluesky(
            br#"{"did":"did:plc:a","time_us":1,"kind":"commit"}"#
        ));
        assert!(looks_like_bluesky(
            b"{\n  \"posts\": [\n    {\n      \"uri\": \"at://did:plc:a/app.bsky.feed.post/1\""
        ));
        assert!(!looks_like_bluesky(
            br#"{"raqib":1,"id":"1","text":"at://did:plc:a","uri":"at://did:x"}"#
        ));
        assert!(!looks_like_bluesky(br#"{"id":"1","text":"hello"}"#));
    }

    proptest! {
        #[test]
        fn any_line_never_panics(s in ".{0,300}") {
            let _ = parse(&s);
        }

        #[test]
        fn any_record_in_an_event_never_panics(text in ".{0,80}", key in "[a-z$#.]{0,12}", n in any::<i64>()) {
            let line = serde_json::json!({
                "did": "did:plc:p", "time_us": n, "kind": "commit",
                "commit": {"operation": "create", "collection": POST, "rkey": "k",
                  "record": {"text": text, format!("x_{key}"): n, "embed": {"$type": key.clone(), "images": [{"image": {"ref": {"$link": text}}}]}, "facets": [{"features": [{"$type": "#link", "uri": n}]}]}}
            })
            .to_string();
            if let Ok(recs) = parse(&line) {
                for p in posts(&recs) {
                    prop_assert_eq!(&p.text, &text);
                }
            }
        }

        #[test]
        fn base32_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            // Encode as multibase base32 does, then decode.
            let mut s = String::new();
            let (mut acc, mut bits) = (0u32, 0u32);
            for b in &bytes {
                acc = (acc << 8) | u32::from(*b);
                bits += 8;
                while bits >= 5 {
                    bits -= 5;
                    s.push(b"abcdefghijklmnopqrstuvwxyz234567"[((acc >> bits) & 31) as usize] as char);
                }
            }
            if bits > 0 {
                s.push(b"abcdefghijklmnopqrstuvwxyz234567"[((acc << (5 - bits)) & 31) as usize] as char);
            }
            prop_assert_eq!(base32_lower(&s).unwrap(), bytes);
        }
    }
}
