//! The fediverse: ActivityPub objects (what a Mastodon account archive's `outbox.json` and
//! `actor.json` hold, and what servers send each other) and Mastodon API statuses (what
//! `/api/v1/timelines/...` and `/api/v1/accounts/:id/statuses` return). One object a line,
//! or (see [`crate::array`]) a JSON array of them, or a collection's `orderedItems`.
//!
//! - `Create` (or `Update`) with a `Note`, `Article`, `Page`, `Question`... inline: a post.
//!   A bare such object is a post too.
//! - `Announce` (a boost) with its object inline: a post of the booster's with the
//!   original's text, sharing it; by reference only (a URL): nothing to read.
//! - `Person`, `Service`, `Group`, `Organization`, `Application`: an account.
//! - A Mastodon API status: a post, its `account` an account (once per reader); a reblog
//!   reads as the booster's post with the original's text.
//! - Other activities (`Like`, `Follow`, `Delete`, `Undo`...) hold no post: passed over.
//!
//! Text is the content's HTML made plain ([`crate::html`]), with the content warning
//! (`summary`, `spoiler_text`) before it; ids are the objects' ActivityPub ids (URIs), so a
//! post read from an archive and from the API is the same post; the platform is
//! `fediverse`.

use raqib_model::{Account, AccountStatus, MediaRef, Post, Record};
use serde_json::{Map, Value};

const PLATFORM: &str = "fediverse";

type Object = Map<String, Value>;

fn str_of<'a>(o: &'a Object, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A note's or status's page on the web: its `url` (a string, a link object's `href`, or
/// the first of several), else its `id` where that is a web address.
fn web_link(o: &Object) -> Option<String> {
    let web = |u: &String| u.starts_with("https://") || u.starts_with("http://");
    reference(o.get("url"))
        .filter(web)
        .or_else(|| str_of(o, "id").map(str::to_owned).filter(web))
}

/// Where a note was posted: the community (group) it was posted to, where it names one
/// (`audience`, as Lemmy and other forums of the fediverse give it: `!news@lemmy.example`
/// for `https://lemmy.example/c/news`), else the server it is on (its id's host), whose
/// admins act on what it hosts.
fn place_of(o: &Object, id: &str) -> Option<String> {
    if let Some(group) = reference(o.get("audience")) {
        if let Some(host) = host_of(&group) {
            let path = group.split_once("://").map_or("", |(_, r)| r);
            let path = path.split_once('/').map_or("", |(_, p)| p);
            return Some(match path.strip_prefix("c/").or(path.strip_prefix("m/")) {
                Some(name) if !name.is_empty() && !name.contains('/') => format!("!{name}@{host}"),
                _ => group,
            });
        }
    }
    host_of(id)
}

/// The host of a web address (lower-cased), where it is one.
fn host_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "https" | "http") {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?.rsplit('@').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// A reference: a URI, an object with an `id` or `href`, or the first of an array of them.
fn reference(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => str_of(o, "id").or(str_of(o, "href")).map(str::to_owned),
        Value::Array(a) => a.iter().find_map(|x| reference(Some(x))),
        _ => None,
    }
}

/// An id written as a string or a number (the Mastodon API's are strings).
fn id_of(o: &Object, key: &str) -> Option<String> {
    match o.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The object's `type`: a string, or the first of an array of them.
fn kind(o: &Object) -> Option<&str> {
    match o.get("type")? {
        Value::String(s) => Some(s),
        Value::Array(a) => a.iter().find_map(Value::as_str),
        _ => None,
    }
}

fn time(o: &Object, key: &str) -> Option<i64> {
    str_of(o, key).and_then(crate::parse_time)
}

/// Plain text of an HTML field, and its links.
fn html(o: &Object, key: &str) -> (String, Vec<String>) {
    str_of(o, key).map(crate::html::to_text).unwrap_or_default()
}

/// The text a reader sees: the content warning, then the content.
fn with_warning(warning: String, content: String) -> String {
    match (warning.is_empty(), content.is_empty()) {
        (true, _) => content,
        (false, true) => warning,
        (false, false) => format!("{warning}\n\n{content}"),
    }
}

/// ActivityPub attachments: `{type, mediaType, url}`, one or a list.
fn attachments(v: Option<&Value>) -> Vec<MediaRef> {
    let list = match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    };
    list.into_iter()
        .filter_map(Value::as_object)
        .map(|a| {
            let media_type = str_of(a, "mediaType").unwrap_or_default();
            let kind = match media_type.split('/').next() {
                Some(k @ ("image" | "video" | "audio")) => k.to_string(),
                _ => kind(a).unwrap_or("unknown").to_ascii_lowercase(),
            };
            MediaRef {
                kind,
                url: reference(a.get("url")),
                // An attachment's `name` is its description (Mastodon's alt text).
                alt: str_of(a, "name")
                    .filter(|n| !n.trim().is_empty())
                    .map(str::to_owned),
                ..Default::default()
            }
        })
        .collect()
}

/// The one language of a `contentMap` that has one.
fn content_language(o: &Object) -> Option<String> {
    match o.get("contentMap")? {
        Value::Object(m) if m.len() == 1 => m.keys().next().cloned(),
        _ => None,
    }
}

/// An ActivityPub actor as an account.
fn actor_account(o: &Object, id: String) -> Account {
    Account {
        id,
        platform: PLATFORM.into(),
        handle: str_of(o, "preferredUsername").map(str::to_owned),
        display_name: str_of(o, "name").map(str::to_owned),
        bio: Some(html(o, "summary").0).filter(|b| !b.is_empty()),
        created_at: time(o, "published"),
        avatar: reference(o.get("icon").and_then(|i| match i {
            Value::Object(m) => m.get("url"),
            other => Some(other),
        }))
        .map(|url| MediaRef {
            kind: "image".into(),
            url: Some(url),
            ..Default::default()
        }),
        followers: None,
        status: if o.get("suspended").and_then(Value::as_bool) == Some(true) {
            AccountStatus::Suspended
        } else {
            Default::default()
        },
        follows: Vec::new(),
    }
}

/// A Mastodon API account as an account (its ActivityPub id where the server gives it).
fn api_account(a: &Object) -> Option<Account> {
    let id = str_of(a, "uri")
        .or(str_of(a, "url"))
        .map(str::to_owned)
        .or_else(|| id_of(a, "id"))?;
    Some(Account {
        id,
        platform: PLATFORM.into(),
        handle: str_of(a, "acct")
            .or(str_of(a, "username"))
            .map(str::to_owned),
        display_name: str_of(a, "display_name").map(str::to_owned),
        bio: Some(html(a, "note").0).filter(|b| !b.is_empty()),
        created_at: time(a, "created_at"),
        avatar: str_of(a, "avatar").map(|url| MediaRef {
            kind: "image".into(),
            url: Some(url.to_owned()),
            ..Default::default()
        }),
        followers: a.get("followers_count").and_then(Value::as_u64),
        status: if a.get("suspended").and_then(Value::as_bool) == Some(true) {
            AccountStatus::Suspended
        } else {
            Default::default()
        },
        follows: Vec::new(),
    })
}

/// Reads objects into records, giving each account once (`seen` says whether an id was
/// given before, and remembers it).
struct Reader<'f, S, O> {
    seen: S,
    out: &'f mut O,
}

impl<S: FnMut(&str) -> bool, O: FnMut(Record)> Reader<'_, S, O> {
    fn account(&mut self, a: Account) {
        if !(self.seen)(&a.id) {
            (self.out)(Record::Account(Box::new(a)));
        }
    }

    fn object(&mut self, o: &Object, depth: usize) -> Result<(), String> {
        if o.get("account").is_some_and(Value::is_object) && o.contains_key("content") {
            return self.status(o);
        }
        let Some(kind) = kind(o) else {
            return Err("not an ActivityPub object or Mastodon status: no `type`".into());
        };
        match kind {
            "Create" | "Update" => match o.get("object") {
                Some(Value::Object(note)) => self.note(note, reference(o.get("actor")), None),
                _ => Ok(()),
            },
            "Announce" => match o.get("object") {
                Some(Value::Object(note)) if note.contains_key("content") => {
                    let id = str_of(o, "id").ok_or("`Announce` has no `id`")?;
                    let booster = reference(o.get("actor"));
                    let shared = str_of(note, "id").map(str::to_owned);
                    self.note(
                        note,
                        booster.clone(),
                        Some((id.to_owned(), booster, shared)),
                    )
                }
                _ => Ok(()),
            },
            "Note" | "Article" | "Page" | "Question" | "Event" | "Video" | "Audio" | "Image" => {
                self.note(o, None, None)
            }
            "Person" | "Service" | "Group" | "Organization" | "Application" => {
                let id = str_of(o, "id").ok_or("actor has no `id`")?;
                let a = actor_account(o, id.to_owned());
                self.account(a);
                Ok(())
            }
            "OrderedCollection" | "OrderedCollectionPage" | "Collection" | "CollectionPage"
                if depth == 0 =>
            {
                let items = o.get("orderedItems").or(o.get("items"));
                for item in items.and_then(Value::as_array).into_iter().flatten() {
                    if let Value::Object(i) = item {
                        self.object(i, depth + 1)?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A post from a note. `boost`: the `Announce` it came in (its id, the booster, the
    /// note's id), making it the booster's post sharing the note.
    fn note(
        &mut self,
        n: &Object,
        actor: Option<String>,
        boost: Option<(String, Option<String>, Option<String>)>,
    ) -> Result<(), String> {
        let author = reference(n.get("attributedTo")).or(actor);
        // The author inline is an account of what is read; a boosted note's is not.
        if let (Some(Value::Object(a)), None) = (n.get("attributedTo"), &boost) {
            if let Some(id) = str_of(a, "id") {
                let account = actor_account(a, id.to_owned());
                self.account(account);
            }
        }
        let (warning, _) = html(n, "summary");
        let (content, urls) = html(n, "content");
        let id = str_of(n, "id").ok_or("note has no `id`")?.to_owned();
        // A note keeps its id when edited (`updated`; an `Update` carries one), and any
        // note may be: a collection holding it as first posted and as edited has its
        // versions under one id, each its own first version, so that they count as one.
        let first_version = Some(id.clone());
        let place = place_of(n, &id);
        let mut post = Post {
            id,
            platform: PLATFORM.into(),
            account: author.unwrap_or_default(),
            created_at: time(n, "published"),
            text: with_warning(warning, content),
            lang: content_language(n),
            urls,
            media: attachments(n.get("attachment")),
            reply_to: reference(n.get("inReplyTo")),
            share_of: None,
            first_version,
            place,
            permalink: web_link(n),
            reach: None,
            label: None,
            category: None,
        };
        if let Some((id, booster, shared)) = boost {
            // A boost is the booster's, on the booster's server.
            post.place = host_of(&id).or_else(|| host_of(booster.as_deref()?));
            post.first_version = None;
            post.id = id;
            post.account = booster.unwrap_or_default();
            post.share_of = shared;
            post.reply_to = None;
        }
        (self.out)(Record::Post(Box::new(post)));
        Ok(())
    }

    /// A Mastodon API status.
    fn status(&mut self, s: &Object) -> Result<(), String> {
        let account = s
            .get("account")
            .and_then(Value::as_object)
            .and_then(api_account);
        let id = str_of(s, "uri")
            .or(str_of(s, "url"))
            .map(str::to_owned)
            .or_else(|| id_of(s, "id"))
            .ok_or("status has no `uri`, `url` or `id`")?;
        // A reblog has no content of its own: the original's is what it spreads.
        let reblog = s.get("reblog").and_then(Value::as_object);
        let body = reblog.unwrap_or(s);
        // The API's content warning is plain text.
        let warning = str_of(body, "spoiler_text").unwrap_or_default().to_owned();
        let (content, urls) = html(body, "content");
        let media = body
            .get("media_attachments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .map(|m| MediaRef {
                kind: str_of(m, "type").unwrap_or("unknown").to_owned(),
                url: str_of(m, "url")
                    .or(str_of(m, "preview_url"))
                    .map(str::to_owned),
                alt: str_of(m, "description")
                    .filter(|d| !d.trim().is_empty())
                    .map(str::to_owned),
                ..Default::default()
            })
            // The preview card of its first link: the page's title and description.
            .chain(body.get("card").and_then(Value::as_object).and_then(|c| {
                MediaRef::link_card(
                    str_of(c, "url"),
                    str_of(c, "title"),
                    str_of(c, "description"),
                )
            }))
            .collect();
        let post = Post {
            id: id.clone(),
            platform: PLATFORM.into(),
            account: account.as_ref().map(|a| a.id.clone()).unwrap_or_default(),
            created_at: time(s, "created_at"),
            text: with_warning(warning, content),
            lang: str_of(body, "language").map(str::to_owned),
            urls,
            media,
            reply_to: id_of(s, "in_reply_to_id"),
            share_of: reblog.and_then(|r| {
                str_of(r, "uri")
                    .or(str_of(r, "url"))
                    .map(str::to_owned)
                    .or_else(|| id_of(r, "id"))
            }),
            // As for a note: any status may be edited under its id.
            first_version: reblog.is_none().then(|| id.clone()),
            place: host_of(&id),
            permalink: web_link(body),
            reach: account.as_ref().and_then(|a| a.followers),
            label: None,
            category: None,
        };
        if let Some(a) = account {
            self.account(a);
        }
        (self.out)(Record::Post(Box::new(post)));
        Ok(())
    }
}

/// Read one line (or array element) holding one fediverse object into its records; an
/// account is given unless `seen` says it was before.
pub(crate) fn parse_activitypub_line(
    bytes: &[u8],
    seen: impl FnMut(&str) -> bool,
    mut out: impl FnMut(Record),
) -> Result<(), String> {
    let o: Object = crate::parse_object(bytes, "an ActivityPub object or Mastodon status")?;
    Reader {
        seen,
        out: &mut out,
    }
    .object(&o, 0)
}

/// Parse one fediverse object (an ActivityPub object or activity, a collection page, or a
/// Mastodon API status) into its records.
pub fn parse_activitypub(bytes: &[u8]) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    parse_activitypub_line(bytes, |_| false, |r| out.push(r))?;
    Ok(out)
}

/// Whether a JSON object is a fediverse object: it has an `@context`, an ActivityPub
/// `type`, or is a Mastodon status (`content` and an `account` object).
pub(crate) fn looks_like_activitypub(bytes: &[u8]) -> bool {
    let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(bytes) else {
        return false;
    };
    o.contains_key("@context")
        || (o.contains_key("content") && o.get("account").is_some_and(Value::is_object))
        || matches!(
            kind(&o),
            Some(
                "Create"
                    | "Announce"
                    | "Note"
                    | "Article"
                    | "Person"
                    | "OrderedCollection"
                    | "OrderedCollectionPage"
            )
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Vec<Record> {
        parse_activitypub(json.as_bytes()).unwrap()
    }

    use crate::first_post as post;

    #[test]
    fn a_create_note_is_its_authors_post() {
        let recs = parse(
            r#"{"type":"Create","actor":"https://s.example/users/a","object":{"id":"https://s.example/users/a/statuses/1",
            "type":"Note","summary":"<p>cw</p>","content":"<p>hello &amp; <a href=\"https://e.example/x\">link</a></p>",
            "contentMap":{"ar":"..."},"published":"2026-11-01T10:00:00Z","inReplyTo":"https://s.example/users/b/statuses/0",
            "attachment":[{"type":"Document","mediaType":"video/mp4","url":"https://s.example/m.mp4"}]}}"#,
        );
        assert_eq!(recs.len(), 1);
        let p = post(&recs);
        assert_eq!(p.id, "https://s.example/users/a/statuses/1");
        assert_eq!(
            p.account, "https://s.example/users/a",
            "the actor, no attributedTo"
        );
        assert_eq!(p.platform, "fediverse");
        assert_eq!(p.text, "cw\n\nhello & link");
        assert_eq!(p.urls, vec!["https://e.example/x"]);
        assert_eq!(p.lang.as_deref(), Some("ar"));
        assert_eq!(p.created_at, Some(1793527200));
        assert_eq!(
            p.reply_to.as_deref(),
            Some("https://s.example/users/b/statuses/0")
        );
        assert_eq!(p.media[0].kind, "video");
        // Posted on its author's server: the place its admins act on.
        assert_eq!(p.place.as_deref(), Some("s.example"));
    }

    /// A post to a community of a fediverse forum (Lemmy's `audience`) is made there.
    #[test]
    fn a_note_in_a_community_is_made_there() {
        let note = |audience: &str| {
            let recs = parse(&format!(
                r#"{{"type":"Page","id":"https://Lemmy.Example/post/1","name":"title","content":"x","audience":{audience}}}"#
            ));
            post(&recs).place.clone()
        };
        assert_eq!(
            note(r#""https://lemmy.example/c/news""#).as_deref(),
            Some("!news@lemmy.example")
        );
        assert_eq!(
            note(r#"{"id":"https://kbin.example/m/world","type":"Group"}"#).as_deref(),
            Some("!world@kbin.example")
        );
        assert_eq!(
            note(r#""https://forum.example/groups/a/b""#).as_deref(),
            Some("https://forum.example/groups/a/b")
        );
        assert_eq!(note(r#""not a url""#).as_deref(), Some("lemmy.example"));
        assert_eq!(
            host_of("https://user:pw@Host.Example:8443/x"),
            Some("host.example:8443".into())
        );
        assert_eq!(host_of("mailto:a@b"), None);
    }

    /// A note keeps its id when edited, and any note may be: each names itself as its
    /// first version, edited or not yet, so that a collection holding it as posted and
    /// again as edited counts it once for its author. A boost is no version.
    #[test]
    fn an_edited_note_or_status_is_a_version_of_itself() {
        let first = |json: &str| post(&parse(json)).first_version.clone();
        assert_eq!(
            first(
                r#"{"type":"Update","actor":"a","object":{"id":"n1","type":"Note","content":"<p>fixed</p>","updated":"2026-11-01T11:00:00Z"}}"#
            ),
            Some("n1".into())
        );
        assert_eq!(
            first(
                r#"{"type":"Create","actor":"a","object":{"id":"n1","type":"Note","content":"<p>fixd</p>","updated":null}}"#
            ),
            Some("n1".into()),
            "as posted, before its edit"
        );
        assert_eq!(
            first(r#"{"id":"12","content":"<p>y</p>","edited_at":null,"account":{"id":"3"}}"#),
            Some("12".into()),
            "a status not edited yet"
        );
        assert_eq!(
            first(
                r#"{"id":"12","content":"<p>x</p>","edited_at":"2026-11-03T12:05:00.000Z","account":{"id":"3"}}"#
            ),
            Some("12".into())
        );
        assert_eq!(
            first(
                r#"{"id":"13","content":"","edited_at":"2026-11-03T12:05:00.000Z","account":{"id":"3"},"reblog":{"id":"1","content":"<p>o</p>"}}"#
            ),
            None,
            "a boost is no version"
        );
        assert_eq!(
            first(
                r#"{"type":"Announce","id":"b1","actor":"a","object":{"id":"n1","type":"Note","content":"<p>x</p>","updated":"2026-11-01T11:00:00Z"}}"#
            ),
            None,
            "a boost is no version"
        );
    }

    #[test]
    fn boosts_actors_and_other_activities() {
        // A boost by reference holds nothing to read; inline, it is the booster's post.
        assert!(
            parse(r#"{"type":"Announce","id":"b1","actor":"a","object":"https://x/1"}"#).is_empty()
        );
        let recs = parse(
            r#"{"type":"Announce","id":"b2","actor":"https://s.example/users/a",
            "object":{"id":"https://o.example/n/1","type":"Note","content":"original text",
            "attributedTo":{"id":"https://o.example/users/o","type":"Person"}}}"#,
        );
        assert_eq!(
            recs.len(),
            1,
            "the original's author is not an account of this input"
        );
        let p = post(&recs);
        assert_eq!(
            (p.id.as_str(), p.account.as_str()),
            ("b2", "https://s.example/users/a")
        );
        assert_eq!(p.share_of.as_deref(), Some("https://o.example/n/1"));
        assert_eq!(p.text, "original text");
        assert_eq!(
            p.place.as_deref(),
            Some("s.example"),
            "the booster's server, not the original's"
        );

        let recs = parse(
            r#"{"@context":"https://www.w3.org/ns/activitystreams","id":"https://s.example/users/a","type":["Person"],
            "preferredUsername":"a","name":"A","summary":"<p>bio <b>here</b></p>","icon":{"url":"https://s.example/a.png"},"suspended":true}"#,
        );
        let Record::Account(a) = &recs[0] else {
            panic!()
        };
        assert_eq!(a.handle.as_deref(), Some("a"));
        assert_eq!(a.bio.as_deref(), Some("bio here"));
        assert_eq!(
            a.avatar.as_ref().unwrap().url.as_deref(),
            Some("https://s.example/a.png")
        );
        assert_eq!(a.status, AccountStatus::Suspended);

        for other in ["Like", "Follow", "Delete", "Undo", "Flag"] {
            assert!(parse(&format!(r#"{{"type":"{other}","id":"x","object":"y"}}"#)).is_empty());
        }
        // A collection page on one line: its items.
        let recs = parse(
            r#"{"type":"OrderedCollectionPage","orderedItems":[{"type":"Note","id":"n1","content":"a"},{"type":"Note","id":"n2","content":"b"}]}"#,
        );
        assert_eq!(recs.len(), 2);
    }

    #[test]
    fn a_mastodon_status_and_its_account() {
        let recs = parse(
            r#"{"id":"10","uri":"https://s.example/users/a/statuses/10","created_at":"2026-11-03T12:00:00.000Z",
            "content":"<p>text</p>","spoiler_text":"plain & cw","language":"en","in_reply_to_id":"9",
            "media_attachments":[{"type":"image","url":"https://s.example/1.jpg"}],
            "card":{"url":"https://news.example/a","title":"A headline","description":"Its first lines","type":"link","image":null},
            "account":{"id":"3","acct":"a","display_name":"A","note":"<p>bio</p>","uri":"https://s.example/users/a","followers_count":40}}"#,
        );
        let Record::Account(a) = &recs[0] else {
            panic!()
        };
        assert_eq!(
            (a.id.as_str(), a.followers),
            ("https://s.example/users/a", Some(40))
        );
        let p = post(&recs);
        assert_eq!(
            p.text, "plain & cw\n\ntext",
            "the API's warning is plain text"
        );
        assert_eq!(p.reach, Some(40));
        assert_eq!(p.reply_to.as_deref(), Some("9"));
        assert_eq!(p.media[0].kind, "image");
        // Its link's preview card, after its attachments.
        assert_eq!(
            (p.media[1].kind.as_str(), p.media[1].url.as_deref()),
            ("link", Some("https://news.example/a"))
        );
        assert_eq!(
            p.media[1].description(),
            Some("A headline\nIts first lines")
        );
        assert_eq!(p.place.as_deref(), Some("s.example"));
        let recs = parse(
            r#"{"id":"11","content":"","account":{"id":"3"},"reblog":{"id":"1","uri":"https://o.example/1","content":"<p>orig</p>"}}"#,
        );
        let p = post(&recs);
        assert_eq!(
            (p.id.as_str(), p.account.as_str(), p.text.as_str()),
            ("11", "3", "orig")
        );
        assert_eq!(p.share_of.as_deref(), Some("https://o.example/1"));
    }

    #[test]
    fn what_is_not_a_fediverse_object_is_an_error() {
        for (bad, why) in [
            ("[1]", "not a JSON object"),
            (r#"{"content":"x"}"#, "no `type`"),
            (r#"{"type":"Note","content":"x"}"#, "note has no `id`"),
            (r#"{"type":"Person"}"#, "actor has no `id`"),
            ("{\"type\":", "not valid JSON"),
        ] {
            let e = parse_activitypub(bad.as_bytes()).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert!(parse_activitypub(b"{\"type\":\"\xff\"}")
            .unwrap_err()
            .contains("UTF-8"));
    }

    #[test]
    fn fediverse_objects_are_told_from_raqib_records() {
        assert!(looks_like_activitypub(
            br#"{"@context":"x","type":"Person"}"#
        ));
        assert!(looks_like_activitypub(br#"{"type":"Create","object":{}}"#));
        assert!(looks_like_activitypub(
            br#"{"id":"1","content":"x","account":{"id":"2"}}"#
        ));
        assert!(!looks_like_activitypub(
            br#"{"type":"post","id":"1","text":"x","account":"a"}"#
        ));
        assert!(!looks_like_activitypub(
            br#"{"id":"1","content":"x","account":"a"}"#
        ));
    }
}
