//! Tweet objects, one per line: API v1.1 statuses (what the streaming and search APIs
//! wrote, and what most tweet archives and research datasets hold), and API v2 tweets as
//! `twarc2 flatten` writes them (each tweet with its `author` and media inline).
//!
//! A tweet carries its author, so each line makes a post and, the first time an author is
//! seen in a chunk, an account. A retweet's text is cut to fit in the tweet; the text of
//! the original, which the tweet carries whole, is used instead (`RT @user: ` and all).
//! The streaming API's notices (`delete`, `limit`, `scrub_geo`, ...) hold no tweet and are
//! passed over.

use raqib_model::{Account, AccountStatus, MediaRef, Post, Record};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::jsonl::Id;
use crate::twitter::{Metrics, NoteTweet, UrlEntity};

#[derive(Deserialize, Default)]
pub(crate) struct Tweet<'a> {
    #[serde(default, borrow)]
    id: Option<Id<'a>>,
    #[serde(default)]
    id_str: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    full_text: Option<String>,
    #[serde(default)]
    extended_tweet: Option<Extended>,
    #[serde(default)]
    note_tweet: Option<NoteTweet>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    // v1.1: the author inline.
    #[serde(default, borrow)]
    user: Option<User<'a>>,
    // v2: the author's id, and (flattened) the author inline.
    #[serde(default, borrow)]
    author_id: Option<Id<'a>>,
    #[serde(default, borrow)]
    author: Option<User<'a>>,
    #[serde(default)]
    entities: Entities,
    #[serde(default)]
    extended_entities: Entities,
    #[serde(default)]
    attachments: Attachments,
    #[serde(default)]
    referenced_tweets: Vec<Reference<'a>>,
    #[serde(default, borrow)]
    in_reply_to_status_id_str: Option<Id<'a>>,
    #[serde(default, borrow)]
    in_reply_to_status_id: Option<Id<'a>>,
    #[serde(default, borrow)]
    quoted_status_id_str: Option<Id<'a>>,
    #[serde(default, borrow)]
    retweeted_status: Option<Box<Tweet<'a>>>,
    #[serde(default)]
    public_metrics: Metrics,
    // Edits, each version a tweet of its own: v2's ids of every version, oldest first;
    // v1.1's `edit_history`; an archive's `edit_info`.
    // Kept as written and read afterwards ([`lenient`]): of any other shape, they read as
    // absent, and a tweet is not lost over them.
    #[serde(default, borrow)]
    edit_history_tweet_ids: Option<&'a RawValue>,
    #[serde(default, borrow)]
    edit_history: Option<&'a RawValue>,
    #[serde(default, borrow)]
    edit_info: Option<&'a RawValue>,
    // v1.1's `ext_edit_control`, an archive's `edit_info` in snake case.
    #[serde(default, borrow)]
    ext_edit_control: Option<&'a RawValue>,
    // Whether the tweet could be edited when posted: v2's `edit_controls`, the enterprise
    // APIs' `editable`.
    #[serde(default, borrow)]
    edit_controls: Option<&'a RawValue>,
    #[serde(default, borrow)]
    editable: Option<&'a RawValue>,
    // Streaming API notices: a line with one of these is no tweet.
    #[serde(default)]
    delete: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    limit: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    scrub_geo: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    status_withheld: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    user_withheld: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    disconnect: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    warning: Option<serde::de::IgnoredAny>,
}

/// A field of secondary metadata kept as written: read as `T`, or as absent where it is of
/// another shape, instead of making the whole record unreadable.
pub(crate) fn lenient<'a, T: Deserialize<'a>>(raw: Option<&'a RawValue>) -> Option<T> {
    serde_json::from_str(raw?.get()).ok()
}

/// v1.1's `edit_history`.
#[derive(Deserialize, Default)]
pub(crate) struct EditHistory<'a> {
    #[serde(default, borrow)]
    initial_tweet_id: Option<Id<'a>>,
    #[serde(default, borrow)]
    edit_tweet_ids: Vec<Id<'a>>,
}

/// API v2's `edit_controls`: `is_edit_eligible`, whether the tweet could be edited when it
/// was posted (it stays so when its time to edit has passed). Owned, unlike
/// [`EditControl`], which has the same field: a v2 response page's tweets are read
/// through `serde_json::Value`.
#[derive(Deserialize, Default)]
pub(crate) struct EditControls {
    #[serde(default)]
    pub is_edit_eligible: bool,
}

/// A Twitter archive's `edit_info`: `initial` on a first version (its `editTweetIds` list
/// every version's id, its own first), `edit` on a later one; API v1.1's
/// `ext_edit_control` (with `include_ext_edit_control=true`) is the same in snake case.
#[derive(Deserialize, Default)]
pub(crate) struct EditInfo<'a> {
    #[serde(default, borrow)]
    initial: Option<EditControl<'a>>,
    #[serde(default, borrow)]
    edit: Option<Edit<'a>>,
}

#[derive(Deserialize, Default)]
struct EditControl<'a> {
    #[serde(default, borrow, rename = "editTweetIds", alias = "edit_tweet_ids")]
    edit_tweet_ids: Vec<Id<'a>>,
    #[serde(default, rename = "isEditEligible", alias = "is_edit_eligible")]
    is_edit_eligible: bool,
}

#[derive(Deserialize, Default)]
struct Edit<'a> {
    #[serde(default, borrow, rename = "initialTweetId", alias = "initial_tweet_id")]
    initial_tweet_id: Option<Id<'a>>,
    #[serde(
        default,
        borrow,
        rename = "editControlInitial",
        alias = "edit_control_initial"
    )]
    edit_control_initial: Option<EditControl<'a>>,
}

/// A tweet's page, from its id alone (no handle needed).
pub(crate) fn tweet_link(id: &str) -> String {
    format!("https://x.com/i/web/status/{id}")
}

/// The id of the first version of tweet `id`, where it is one version of an edited tweet:
/// its versions' ids list more than its own, or it names a first version other than
/// itself. A tweet not (yet) edited that could be (`editable`: its `edit_controls` say
/// so) is its own first version, so that a later version collected after it counts with
/// it. `None` for any other tweet (every tweet since 2022 lists its own id).
pub(crate) fn first_version(
    id: &str,
    v2: Vec<Id>,
    v1: Option<EditHistory>,
    archive: Option<EditInfo>,
    editable: bool,
) -> Option<String> {
    edited_from(id, v2, v1, archive).or_else(|| editable.then(|| id.to_string()))
}

fn edited_from(
    id: &str,
    v2: Vec<Id>,
    v1: Option<EditHistory>,
    archive: Option<EditInfo>,
) -> Option<String> {
    let edited = |first: Option<Id>, versions: usize| match first {
        Some(f) if versions > 1 || f.0 != id => (!f.0.is_empty()).then(|| f.0.into_owned()),
        _ => None,
    };
    let n = v2.len();
    if let Some(f) = edited(v2.into_iter().next(), n) {
        return Some(f);
    }
    if let Some(h) = v1 {
        let n = h.edit_tweet_ids.len();
        let first = h
            .initial_tweet_id
            .or_else(|| h.edit_tweet_ids.into_iter().next());
        if let Some(f) = edited(first, n) {
            return Some(f);
        }
    }
    let info = archive?;
    if let Some(e) = info.edit {
        let control = e.edit_control_initial.unwrap_or_default();
        let n = control.edit_tweet_ids.len();
        let first = e
            .initial_tweet_id
            .or_else(|| control.edit_tweet_ids.into_iter().next());
        // A later version: always one of several, whatever its list says.
        return edited(first, n.max(2));
    }
    let ids = info.initial?.edit_tweet_ids;
    let n = ids.len();
    edited(ids.into_iter().next(), n)
}

#[derive(Deserialize, Default)]
struct Extended {
    #[serde(default)]
    full_text: Option<String>,
    #[serde(default)]
    entities: Entities,
    #[serde(default)]
    extended_entities: Entities,
}

#[derive(Deserialize, Default)]
struct Entities {
    #[serde(default)]
    urls: Vec<UrlEntity>,
    #[serde(default)]
    media: Vec<Media>,
}

/// A media object of either version: v1.1 `{type, media_url_https}`, v2
/// `{type, url, preview_image_url}`.
#[derive(Deserialize)]
struct Media {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    media_url_https: Option<String>,
    #[serde(default)]
    media_url: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    preview_image_url: Option<String>,
    /// v1.1 video and animated GIF: the encodings of the video itself (`media_url_https`
    /// is its thumbnail).
    #[serde(default)]
    video_info: Option<VideoInfo>,
    /// Its description: v1.1 `ext_alt_text` (with `include_ext_alt_text=true`), v2
    /// `alt_text`.
    #[serde(default, alias = "alt_text")]
    ext_alt_text: Option<String>,
}

#[derive(Deserialize)]
struct VideoInfo {
    #[serde(default)]
    variants: Vec<Variant>,
}

#[derive(Deserialize)]
struct Variant {
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    bitrate: Option<serde_json::Value>,
    #[serde(default)]
    url: Option<String>,
}

impl VideoInfo {
    /// The MP4 encoding of the highest bitrate (the first of equals): the video as posted,
    /// and the one a Twitter archive keeps a copy of (`tweets_media/<tweet id>-<its name>`).
    fn best_mp4(self) -> Option<String> {
        let bitrate = |v: &Variant| match &v.bitrate {
            Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0),
            Some(serde_json::Value::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        };
        let mut best: Option<(u64, String)> = None;
        for v in self.variants {
            if v.content_type.as_deref() != Some("video/mp4") {
                continue;
            }
            let b = bitrate(&v);
            if let Some(url) = v.url.filter(|u| !u.is_empty()) {
                if best.as_ref().is_none_or(|(bb, _)| b > *bb) {
                    best = Some((b, url));
                }
            }
        }
        best.map(|(_, u)| u)
    }
}

#[derive(Deserialize, Default)]
struct Attachments {
    // Flattened v2: the media objects themselves (raw v2 has only `media_keys`).
    #[serde(default)]
    media: Vec<Media>,
}

#[derive(Deserialize)]
struct Reference<'a> {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(borrow)]
    id: Id<'a>,
    // Flattened v2: the referenced tweet inline.
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    note_tweet: Option<NoteTweet>,
    #[serde(default, borrow)]
    author: Option<User<'a>>,
}

/// A user of either version: v1.1 (`screen_name`, `followers_count` at the top) or v2
/// (`username`, `public_metrics.followers_count`).
#[derive(Deserialize, Default)]
pub(crate) struct User<'a> {
    #[serde(default, borrow)]
    id: Option<Id<'a>>,
    #[serde(default)]
    id_str: Option<String>,
    #[serde(default)]
    screen_name: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    profile_image_url_https: Option<String>,
    #[serde(default)]
    profile_image_url: Option<String>,
    #[serde(default)]
    followers_count: Option<u64>,
    #[serde(default)]
    public_metrics: Metrics,
    #[serde(default)]
    suspended: Option<bool>,
}

impl User<'_> {
    pub(crate) fn id(&self) -> Option<String> {
        self.id_str
            .clone()
            .or_else(|| self.id.as_ref().map(|i| i.0.to_string()))
            .filter(|s| !s.is_empty())
    }

    fn handle(&self) -> Option<&str> {
        self.screen_name.as_deref().or(self.username.as_deref())
    }

    pub(crate) fn followers(&self) -> Option<u64> {
        self.followers_count.or(self.public_metrics.followers_count)
    }

    /// The user as an account of `twitter` with the id `id`.
    pub(crate) fn account(&self, id: String) -> Account {
        Account {
            id,
            platform: "twitter".into(),
            handle: self.handle().map(str::to_owned),
            display_name: self.name.clone(),
            bio: self.description.clone(),
            created_at: self.created_at.as_deref().and_then(crate::parse_time),
            avatar: self
                .profile_image_url_https
                .clone()
                .or(self.profile_image_url.clone())
                .map(|url| MediaRef {
                    kind: "image".into(),
                    url: Some(url),
                    ..Default::default()
                }),
            followers: self.followers(),
            status: if self.suspended == Some(true) {
                AccountStatus::Suspended
            } else {
                Default::default()
            },
            follows: Vec::new(),
        }
    }
}

/// Twitter escapes `&`, `<` and `>` in tweet text as HTML entities; the text as written
/// has them plain. One pass, so a written `&amp;` (sent as `&amp;amp;`) stays `&amp;`.
pub(crate) fn unescape(text: String) -> String {
    if !text.contains('&') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (ch, len) = if tail.starts_with("&amp;") {
            ('&', 5)
        } else if tail.starts_with("&lt;") {
            ('<', 4)
        } else if tail.starts_with("&gt;") {
            ('>', 4)
        } else {
            ('&', 1)
        };
        out.push(ch);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// The tweet's own text, whole: a long v1.1 tweet's `extended_tweet`, a long v2 tweet's
/// `note_tweet`, else `full_text` or `text`.
fn own_text(t: &mut Tweet) -> Option<String> {
    if let Some(n) = t.note_tweet.take().filter(|n| !n.text.is_empty()) {
        return Some(n.text);
    }
    if let Some(s) = t.extended_tweet.as_mut().and_then(|e| e.full_text.take()) {
        return Some(s);
    }
    t.full_text.take().or_else(|| t.text.take())
}

fn media_of(m: Media) -> MediaRef {
    MediaRef {
        kind: if m.kind.is_empty() {
            "unknown".into()
        } else {
            m.kind
        },
        // A video is its MP4 where the tweet gives it, not its thumbnail.
        url: m
            .video_info
            .and_then(VideoInfo::best_mp4)
            .or(m.media_url_https)
            .or(m.media_url)
            .or(m.url)
            .or(m.preview_image_url),
        alt: m.ext_alt_text.filter(|a| !a.trim().is_empty()),
        ..Default::default()
    }
}

/// Parse one line holding one tweet into its post and, unless `seen` says its author was
/// already given, its author's account (`seen` gets the author's id). `Ok` with nothing
/// for a streaming notice.
pub(crate) fn parse_tweet_line(
    bytes: &[u8],
    seen: impl FnMut(&str) -> bool,
    out: impl FnMut(Record),
) -> Result<(), String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?;
    crate::require_object(bytes, "a tweet object")?;
    let t: Tweet = serde_json::from_str(text).map_err(|e| format!("not a tweet object: {e}"))?;
    tweet_records(t, None, seen, out)
}

/// A parsed tweet's records: its author's account (unless `seen` says it was given), then
/// its post. `owner` is the author of a tweet that does not name one (a Twitter archive's
/// tweets are all its owner's); an author named inline comes first.
pub(crate) fn tweet_records(
    mut t: Tweet,
    owner: Option<&str>,
    mut seen: impl FnMut(&str) -> bool,
    mut out: impl FnMut(Record),
) -> Result<(), String> {
    if t.delete.is_some()
        || t.limit.is_some()
        || t.scrub_geo.is_some()
        || t.status_withheld.is_some()
        || t.user_withheld.is_some()
        || t.disconnect.is_some()
        || t.warning.is_some()
    {
        return Ok(());
    }
    let id = t
        .id_str
        .take()
        .or_else(|| t.id.take().map(|i| i.0.into_owned()))
        .filter(|s| !s.is_empty())
        .ok_or("tweet has no `id` (nor `id_str`)")?;
    let author = t.user.take().or_else(|| t.author.take());
    let account = author
        .as_ref()
        .and_then(User::id)
        .or_else(|| t.author_id.take().map(|i| i.0.into_owned()))
        .or_else(|| owner.map(str::to_owned))
        .unwrap_or_default();
    if let Some(u) = author.as_ref() {
        if !account.is_empty() && !seen(&account) {
            out(Record::Account(Box::new(u.account(account.clone()))));
        }
    }

    let mut share_of = None;
    let mut reply_to = t
        .in_reply_to_status_id_str
        .take()
        .or(t.in_reply_to_status_id.take())
        .map(|i| i.0.into_owned());
    let mut retweet_text = None;
    let mut retweet = false;
    if let Some(mut rt) = t.retweeted_status.take() {
        retweet = true;
        // v1.1: the original inline.
        let handle = rt.user.as_ref().and_then(User::handle).map(str::to_owned);
        share_of = rt
            .id_str
            .take()
            .or_else(|| rt.id.take().map(|i| i.0.into_owned()));
        if let (Some(h), Some(body)) = (handle, own_text(&mut rt)) {
            retweet_text = Some(format!("RT @{h}: {body}"));
        }
    }
    for r in t.referenced_tweets.drain(..) {
        match r.kind.as_str() {
            "replied_to" => reply_to = Some(r.id.0.into_owned()),
            "retweeted" => {
                retweet = true;
                // Flattened v2: the original inline.
                let handle = r.author.as_ref().and_then(User::handle).map(str::to_owned);
                let body = match r.note_tweet {
                    Some(n) if !n.text.is_empty() => Some(n.text),
                    _ => r.text,
                };
                if let (Some(h), Some(body)) = (handle, body) {
                    retweet_text = Some(format!("RT @{h}: {body}"));
                }
                share_of = Some(r.id.0.into_owned());
            }
            "quoted" if share_of.is_none() => share_of = Some(r.id.0.into_owned()),
            _ => {}
        }
    }
    if share_of.is_none() {
        share_of = t.quoted_status_id_str.take().map(|i| i.0.into_owned());
    }
    let text = match retweet_text.or_else(|| own_text(&mut t)) {
        Some(s) => unescape(s),
        None => return Err(format!("tweet {id} has no `text` (nor `full_text`)")),
    };

    let (ext_urls, ext_media) = match t.extended_tweet.take() {
        Some(e) => (e.entities.urls, e.extended_entities.media),
        None => (Vec::new(), Vec::new()),
    };
    let urls = if ext_urls.is_empty() {
        t.entities.urls
    } else {
        ext_urls
    };
    // The cards of its links (where the source gives the pages' titles), after its media.
    let cards: Vec<MediaRef> = urls.iter().filter_map(UrlEntity::card).collect();
    let urls = urls.into_iter().filter_map(UrlEntity::best).collect();
    // v1.1 lists every photo and the video in `extended_entities`, the first photo alone
    // in `entities`; flattened v2 has them under `attachments`.
    let media = [
        ext_media,
        t.extended_entities.media,
        t.entities.media,
        t.attachments.media,
    ]
    .into_iter()
    .find(|m| !m.is_empty())
    .unwrap_or_default()
    .into_iter()
    .map(media_of)
    .chain(cards)
    .collect();
    let reach = t
        .public_metrics
        .impression_count
        .or_else(|| author.as_ref().and_then(User::followers));
    let ext: Option<EditInfo> = lenient(t.ext_edit_control);
    // A retweet is not edited (what it shares may be, under its own id).
    let editable = !retweet
        && (lenient::<EditControls>(t.edit_controls).is_some_and(|c| c.is_edit_eligible)
            || lenient::<bool>(t.editable) == Some(true)
            || ext
                .as_ref()
                .and_then(|e| e.initial.as_ref())
                .is_some_and(|i| i.is_edit_eligible));
    let first_version = first_version(
        &id,
        lenient(t.edit_history_tweet_ids).unwrap_or_default(),
        lenient(t.edit_history),
        lenient(t.edit_info).or(ext),
        editable,
    );
    let permalink = Some(tweet_link(&id));
    out(Record::Post(Box::new(Post {
        id,
        platform: "twitter".into(),
        account,
        created_at: t.created_at.as_deref().and_then(crate::parse_time),
        text,
        lang: t.lang.filter(|l| l != "und" && l != "zxx"),
        urls,
        media,
        reply_to,
        share_of,
        first_version,
        place: None,
        permalink,
        reach,
        label: None,
        category: None,
    })));
    Ok(())
}

/// Parse one line holding one tweet into its records: the author's account (when the
/// tweet has its author inline), then the post; nothing for a streaming notice.
pub fn parse_tweet(bytes: &[u8]) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    parse_tweet_line(bytes, |_| false, |r| out.push(r))?;
    Ok(out)
}

/// Whether a JSON object (the first line of a file) is a tweet object rather than a raqib
/// record: it has an author inline (`user` or `author`), or v1.1's `id_str`/`full_text`,
/// or v2's `author_id`, and no `raqib` version or raqib `account`/`type`.
pub(crate) fn looks_like_tweet(line: &[u8]) -> bool {
    let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(line) else {
        return false;
    };
    if o.contains_key("raqib") || o.contains_key("account") || o.contains_key("type") {
        return false;
    }
    let author = |k: &str| o.get(k).is_some_and(|v| v.is_object());
    author("user")
        || author("author")
        || o.contains_key("id_str")
        || o.contains_key("full_text")
        || o.contains_key("author_id")
        || o.contains_key("delete")
        || o.contains_key("limit")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Vec<Record>, String> {
        parse_tweet(line.as_bytes())
    }

    use crate::first_post as post;

    /// A v1.1 video is its MP4 of the highest bitrate (bitrates as numbers or, in an
    /// archive, strings), not its thumbnail or its HLS playlist; without variants, the
    /// thumbnail as before.
    #[test]
    fn a_video_is_its_best_mp4() {
        let recs = parse(
            r#"{"id_str":"5","full_text":"x","extended_entities":{"media":[
              {"type":"video","media_url_https":"https://pbs.example/thumb.jpg","video_info":{"variants":[
                {"content_type":"application/x-mpegURL","url":"https://video.example/pl.m3u8"},
                {"bitrate":"632000","content_type":"video/mp4","url":"https://video.example/vid/320x240/a.mp4?tag=1"},
                {"bitrate":2176000,"content_type":"video/mp4","url":"https://video.example/vid/1280x720/b.mp4?tag=1"},
                {"bitrate":"950000","content_type":"video/mp4","url":"https://video.example/vid/640x480/c.mp4"}]}},
              {"type":"animated_gif","media_url_https":"https://pbs.example/g.jpg","video_info":{"variants":[
                {"bitrate":0,"content_type":"video/mp4","url":"https://video.example/tweet_video/g.mp4"}]}},
              {"type":"video","media_url_https":"https://pbs.example/only-thumb.jpg"}]}}"#,
        )
        .unwrap();
        let urls: Vec<_> = post(&recs)
            .media
            .iter()
            .map(|m| (m.kind.as_str(), m.url.as_deref().unwrap()))
            .collect();
        assert_eq!(
            urls,
            [
                ("video", "https://video.example/vid/1280x720/b.mp4?tag=1"),
                ("animated_gif", "https://video.example/tweet_video/g.mp4"),
                ("video", "https://pbs.example/only-thumb.jpg"),
            ]
        );
    }

    #[test]
    fn v1_status_with_its_author() {
        let recs = parse(
            r#"{"created_at":"Wed Oct 10 20:19:24 +0000 2018","id":1050118621198921728,"id_str":"1050118621198921728",
            "full_text":"rock &amp; roll &lt;3 https://t.co/a","lang":"en","in_reply_to_status_id_str":"77",
            "entities":{"urls":[{"url":"https://t.co/a","expanded_url":"https://example.org/x"},
                {"url":"https://t.co/b","expanded_url":"https://bit.example/b","unwound":{"url":"https://news.example/b","status":200,"title":"Court news","description":""}}],
              "media":[{"type":"photo","media_url_https":"https://pbs.example/1.jpg"}]},
            "extended_entities":{"media":[{"type":"photo","media_url_https":"https://pbs.example/1.jpg"},{"type":"video","media_url_https":"https://pbs.example/2.jpg","ext_alt_text":"a clip"}]},
            "user":{"id":6253282,"id_str":"6253282","screen_name":"someone","name":"Some One","description":"a bio",
              "followers_count":840,"created_at":"Wed May 23 06:01:13 +0000 2007","profile_image_url_https":"https://pbs.example/a.jpg"}}"#,
        )
        .unwrap();
        let Record::Account(a) = &recs[0] else {
            panic!("the author first")
        };
        assert_eq!(a.id, "6253282");
        assert_eq!(a.handle.as_deref(), Some("someone"));
        assert_eq!(a.bio.as_deref(), Some("a bio"));
        assert_eq!(a.followers, Some(840));
        assert_eq!(a.created_at, Some(1179900073));
        let p = post(&recs);
        assert_eq!(p.id, "1050118621198921728");
        assert_eq!(p.account, "6253282");
        assert_eq!(p.platform, "twitter");
        assert_eq!(p.text, "rock & roll <3 https://t.co/a");
        assert_eq!(p.created_at, Some(1539202764));
        assert_eq!(
            p.urls,
            vec!["https://example.org/x", "https://news.example/b"]
        );
        // The enterprise APIs' unwound link's title: its card, after the media.
        assert_eq!(p.media.len(), 3, "extended_entities lists every photo");
        assert_eq!(
            (p.media[2].kind.as_str(), p.media[2].url.as_deref()),
            ("link", Some("https://news.example/b"))
        );
        assert_eq!(p.media[2].description(), Some("Court news"));
        assert_eq!(p.media[1].kind, "video");
        assert_eq!(p.media[1].alt.as_deref(), Some("a clip"));
        assert_eq!(p.media[0].alt, None);
        assert_eq!(p.reply_to.as_deref(), Some("77"));
        assert_eq!(p.reach, Some(840));
        assert_eq!(p.lang.as_deref(), Some("en"));
    }

    #[test]
    fn a_long_v1_tweet_and_a_retweet_keep_their_whole_text() {
        let recs = parse(
            r#"{"id_str":"2","text":"the start of it… https://t.co/x","truncated":true,
            "extended_tweet":{"full_text":"the start of it and the whole rest","entities":{"urls":[{"expanded_url":"https://example.org/long"}]}},
            "user":{"id_str":"9","screen_name":"u"}}"#,
        )
        .unwrap();
        let p = post(&recs);
        assert_eq!(p.text, "the start of it and the whole rest");
        assert_eq!(p.urls, vec!["https://example.org/long"]);

        let recs = parse(
            r#"{"id_str":"3","text":"RT @orig: cut short…","user":{"id_str":"9","screen_name":"u"},
            "retweeted_status":{"id_str":"1","text":"cut short and then the end","user":{"id_str":"8","screen_name":"orig"}}}"#,
        )
        .unwrap();
        let p = post(&recs);
        assert_eq!(p.text, "RT @orig: cut short and then the end");
        assert_eq!(p.share_of.as_deref(), Some("1"));
        assert_eq!(p.account, "9", "the retweeter's post");
        assert_eq!(
            recs.iter()
                .filter(|r| matches!(r, Record::Account(_)))
                .count(),
            1,
            "the original's author is not an account of this collection"
        );
    }

    #[test]
    fn a_flattened_v2_tweet() {
        let recs = parse(
            r#"{"id":"1212092628029698048","text":"a note &gt; b","author_id":"2244994945","created_at":"2019-12-31T19:26:16.000Z","lang":"und",
            "public_metrics":{"retweet_count":7,"impression_count":900},
            "attachments":{"media_keys":["3_1"],"media":[{"media_key":"3_1","type":"photo","url":"https://pbs.example/p.jpg"}]},
            "referenced_tweets":[{"type":"quoted","id":"55","text":"quoted text","author":{"id":"4","username":"q"}}],
            "author":{"id":"2244994945","username":"someone","name":"S","description":"bio","public_metrics":{"followers_count":500}},
            "__twarc":{"url":"https://api.twitter.com/2/tweets/search/all","version":"2.0.0"}}"#,
        )
        .unwrap();
        let Record::Account(a) = &recs[0] else {
            panic!()
        };
        assert_eq!((a.id.as_str(), a.followers), ("2244994945", Some(500)));
        let p = post(&recs);
        assert_eq!(p.text, "a note > b");
        assert_eq!(p.account, "2244994945");
        assert_eq!(p.reach, Some(900), "impressions before followers");
        assert_eq!(p.share_of.as_deref(), Some("55"));
        assert_eq!(p.media[0].url.as_deref(), Some("https://pbs.example/p.jpg"));
        assert_eq!(p.lang, None);
        assert_eq!(p.created_at, Some(1577820376));

        let recs = parse(
            r#"{"id":"7","text":"RT @orig: cut…","author_id":"1",
            "referenced_tweets":[{"type":"retweeted","id":"6","text":"cut short no more","author":{"id":"2","username":"orig"}}]}"#,
        )
        .unwrap();
        assert_eq!(recs.len(), 1, "no author inline, no account");
        let p = post(&recs);
        assert_eq!(p.text, "RT @orig: cut short no more");
        assert_eq!(p.share_of.as_deref(), Some("6"));
        assert_eq!(p.account, "1");
    }

    #[test]
    fn an_author_seen_before_is_not_given_again() {
        let line = r#"{"id_str":"1","text":"x","user":{"id_str":"9","screen_name":"u"}}"#;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for _ in 0..3 {
            parse_tweet_line(
                line.as_bytes(),
                |a| !seen.insert(a.to_owned()),
                |r| out.push(r),
            )
            .unwrap();
        }
        let accounts = out
            .iter()
            .filter(|r| matches!(r, Record::Account(_)))
            .count();
        assert_eq!((out.len(), accounts), (4, 1));
    }

    #[test]
    fn notices_are_passed_over_and_bad_lines_are_errors() {
        assert!(
            parse(r#"{"delete":{"status":{"id":1,"id_str":"1","user_id":3}}}"#)
                .unwrap()
                .is_empty()
        );
        assert!(parse(r#"{"limit":{"track":12,"timestamp_ms":"1"}}"#)
            .unwrap()
            .is_empty());
        assert!(parse(r#"{"text":"no id","user":{"id_str":"1"}}"#)
            .unwrap_err()
            .contains("no `id`"));
        assert!(parse(r#"{"id_str":"5","user":{"id_str":"1"}}"#)
            .unwrap_err()
            .contains("tweet 5 has no `text`"));
        assert!(parse(r#"["1", "a tweet by position"]"#)
            .unwrap_err()
            .contains("not a JSON object"));
        assert!(parse(r#"{"id_str":"5","text":"#)
            .unwrap_err()
            .contains("not a tweet object"));
        assert!(
            parse_tweet_line(b"{\"id_str\":\"\xff\"}", |_| false, |_| {})
                .unwrap_err()
                .contains("invalid UTF-8 at byte 11")
        );
    }

    #[test]
    fn unescape_decodes_twitters_three_entities_once() {
        assert_eq!(
            unescape("a &amp;amp; b &lt;&gt; &quot; &".into()),
            "a &amp; b <> &quot; &"
        );
        assert_eq!(unescape("plain".into()), "plain");
    }

    #[test]
    fn tweets_and_raqib_records_are_told_apart() {
        assert!(looks_like_tweet(br#"{"id_str":"1","text":"x"}"#));
        assert!(looks_like_tweet(br#"{"id":1,"text":"x","user":{"id":2}}"#));
        assert!(looks_like_tweet(
            br#"{"id":"1","text":"x","author_id":"2"}"#
        ));
        assert!(looks_like_tweet(br#"{"delete":{"status":{"id":1}}}"#));
        assert!(!looks_like_tweet(br#"{"id":"1","text":"x","account":"2"}"#));
        assert!(!looks_like_tweet(
            br#"{"raqib":1,"id":"1","text":"x","user":{}}"#
        ));
        assert!(!looks_like_tweet(br#"{"id":"1","text":"x"}"#));
        assert!(!looks_like_tweet(br#"{"id":"1","text":"x","user":"name"}"#));
        assert!(!looks_like_tweet(b"{\"id\":"));
    }
}
