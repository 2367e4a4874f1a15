//! Twitter (X) API v2 responses: `data` (one tweet or a list) with `includes.users` and
//! `includes.media`. A file holds one response, or one response per line.

use std::collections::HashMap;

use crate::Item;
use raqib_model::{MediaRef, Post, Record};
use serde::Deserialize;

use crate::jsonl::Id;

#[derive(Deserialize, Default)]
struct Page<'a> {
    #[serde(default, borrow)]
    data: Option<OneOrMany<Tweet<'a>>>,
    #[serde(default, borrow)]
    includes: Includes<'a>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    Many(Vec<T>),
    One(T),
}

#[derive(Deserialize, Default)]
struct Includes<'a> {
    #[serde(default, borrow)]
    users: Vec<crate::tweets::User<'a>>,
    #[serde(default)]
    media: Vec<Media>,
}

#[derive(Deserialize)]
struct Tweet<'a> {
    #[serde(borrow)]
    id: Id<'a>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    author_id: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    entities: Entities,
    #[serde(default)]
    attachments: Attachments,
    #[serde(default)]
    referenced_tweets: Vec<Reference>,
    #[serde(default)]
    public_metrics: Metrics,
    #[serde(default)]
    note_tweet: Option<NoteTweet>,
    /// Every version's id, oldest first, where the tweet was edited.
    /// (A `Value`: a page's tweets come through serde's untagged buffering, which cannot
    /// give a borrowed raw value; of another shape than a list of ids, it reads as none.)
    #[serde(default)]
    edit_history_tweet_ids: Option<serde_json::Value>,
    /// Whether it could be edited when posted (the same, a `Value`).
    #[serde(default)]
    edit_controls: Option<serde_json::Value>,
}

#[derive(Deserialize, Default)]
pub(crate) struct NoteTweet {
    #[serde(default)]
    pub text: String,
}

#[derive(Deserialize, Default)]
struct Entities {
    #[serde(default)]
    urls: Vec<UrlEntity>,
}

#[derive(Deserialize)]
pub(crate) struct UrlEntity {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    expanded_url: Option<String>,
    #[serde(default)]
    unwound_url: Option<String>,
    /// The linked page's title and description (v2, where Twitter unwound the link).
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// The enterprise APIs' (Gnip's) unwound link: `{url, status, title, description}`.
    #[serde(default)]
    unwound: Option<Unwound>,
}

#[derive(Deserialize)]
pub(crate) struct Unwound {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

impl UrlEntity {
    /// The link as far as Twitter followed it: unwound, else expanded, else the `t.co` one.
    pub(crate) fn best(self) -> Option<String> {
        self.unwound_url
            .or(self.unwound.and_then(|u| u.url))
            .or(self.expanded_url)
            .or(self.url)
    }

    /// The card the tweet showed for the link: the page's title and description, where
    /// Twitter gives them (a link card medium).
    pub(crate) fn card(&self) -> Option<MediaRef> {
        let u = self.unwound.as_ref();
        let url = self
            .unwound_url
            .as_deref()
            .or(u.and_then(|u| u.url.as_deref()));
        MediaRef::link_card(
            url.or(self.expanded_url.as_deref()).or(self.url.as_deref()),
            self.title.as_deref().or(u.and_then(|u| u.title.as_deref())),
            self.description
                .as_deref()
                .or(u.and_then(|u| u.description.as_deref())),
        )
    }
}

#[derive(Deserialize, Default)]
struct Attachments {
    #[serde(default)]
    media_keys: Vec<String>,
}

#[derive(Deserialize)]
struct Reference {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct Metrics {
    #[serde(default)]
    pub impression_count: Option<u64>,
    #[serde(default)]
    pub followers_count: Option<u64>,
}

#[derive(Deserialize)]
struct Media {
    media_key: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    preview_image_url: Option<String>,
    /// Its description, where the request asked for `media.fields=alt_text`.
    #[serde(default)]
    alt_text: Option<String>,
}

/// Parse one API v2 response into accounts (from `includes.users`) and posts.
pub fn parse_twitter_page(bytes: &[u8]) -> Result<Vec<Record>, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?;
    let page: Page =
        serde_json::from_str(text).map_err(|e| format!("not a Twitter API v2 response: {e}"))?;
    let mut out = Vec::new();
    let mut followers = HashMap::new();
    for u in page.includes.users {
        let Some(id) = u.id() else { continue };
        followers.insert(id.clone(), u.followers());
        out.push(Record::Account(Box::new(u.account(id))));
    }
    let media: HashMap<String, Media> = page
        .includes
        .media
        .into_iter()
        .map(|m| (m.media_key.clone(), m))
        .collect();
    let tweets = match page.data {
        None => Vec::new(),
        Some(OneOrMany::One(t)) => vec![t],
        Some(OneOrMany::Many(v)) => v,
    };
    for t in tweets {
        let author = t.author_id.unwrap_or_default();
        let reach = t
            .public_metrics
            .impression_count
            .or_else(|| followers.get(&author).copied().flatten());
        let mut reply_to = None;
        let mut share_of = None;
        let mut retweet = false;
        for r in t.referenced_tweets {
            match r.kind.as_str() {
                "replied_to" => reply_to = Some(r.id),
                "retweeted" | "quoted" => {
                    retweet |= r.kind == "retweeted";
                    share_of = Some(r.id)
                }
                _ => {}
            }
        }
        let editable = !retweet
            && t.edit_controls
                .and_then(|v| serde_json::from_value::<crate::tweets::EditControls>(v).ok())
                .is_some_and(|c| c.is_edit_eligible);
        let text = crate::tweets::unescape(match t.note_tweet {
            Some(n) if !n.text.is_empty() => n.text,
            _ => t.text,
        });
        let id = t.id.0.into_owned();
        let first_version = crate::tweets::first_version(
            &id,
            t.edit_history_tweet_ids
                .and_then(|v| serde_json::from_value::<Vec<String>>(v).ok())
                .unwrap_or_default()
                .into_iter()
                .map(|i| crate::jsonl::Id(i.into()))
                .collect(),
            None,
            None,
            editable,
        );
        let permalink = Some(crate::tweets::tweet_link(&id));
        out.push(Record::Post(Box::new(Post {
            id,
            platform: "twitter".into(),
            account: author,
            created_at: t.created_at.as_deref().and_then(crate::parse_time),
            text,
            lang: t.lang.filter(|l| l != "und" && l != "zxx"),
            // Its media, then the cards of its links.
            media: t
                .attachments
                .media_keys
                .iter()
                .map(|k| match media.get(k) {
                    Some(m) => MediaRef {
                        kind: m.kind.clone(),
                        url: m.url.clone().or(m.preview_image_url.clone()),
                        alt: m.alt_text.clone().filter(|a| !a.trim().is_empty()),
                        ..Default::default()
                    },
                    None => MediaRef {
                        kind: "unknown".into(),
                        url: None,
                        ..Default::default()
                    },
                })
                .chain(t.entities.urls.iter().filter_map(UrlEntity::card))
                .collect(),
            urls: t
                .entities
                .urls
                .into_iter()
                .filter_map(UrlEntity::best)
                .collect(),
            reply_to,
            share_of,
            first_version,
            place: None,
            permalink,
            reach,
            label: None,
            category: None,
        })));
    }
    Ok(out)
}

/// A response document, or several one after another (`jq .` of a file of responses):
/// each document's records at the line it starts on. A document that cannot be read after
/// the first is a diagnostic there, the documents before it kept.
pub(crate) fn parse_document(
    bytes: &[u8],
    file: &str,
    _platform: Option<&str>,
) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut stream =
        serde_json::Deserializer::from_slice(bytes).into_iter::<serde::de::IgnoredAny>();
    let (mut start, mut line) = (0, 1u64);
    loop {
        let next = stream.next();
        let end = stream.byte_offset();
        // The document's own first line, past the whitespace before it.
        let before = bytes[start..end]
            .iter()
            .take_while(|b| b.is_ascii_whitespace());
        let at = line + before.filter(|&&b| b == b'\n').count() as u64;
        let page = match next {
            None => break,
            Some(Ok(_)) => parse_twitter_page(&bytes[start..end]),
            Some(Err(e)) => Err(e.to_string()),
        };
        match page {
            Ok(records) => items.extend(records.into_iter().map(|r| (at, Ok(r)))),
            Err(e) if items.is_empty() => return Err(e),
            Err(e) => {
                let message = format!(
                    "Twitter API response cannot be read past this line: {e}; the responses \
                     before it were read"
                );
                items.push((at, Err(raqib_model::Diagnostic::new(file, at, message))));
                break;
            }
        }
        line += bytes[start..end].iter().filter(|&&b| b == b'\n').count() as u64;
        start = end;
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_tweets_to_their_authors() {
        let page = br#"{"data":[{"id":"10","text":"hello &amp; bye","author_id":"1","created_at":"2023-01-01T00:00:00.000Z","lang":"en",
            "entities":{"urls":[{"url":"https://t.co/x","expanded_url":"https://example.org/a"},
              {"url":"https://t.co/y","expanded_url":"https://t.example/y","unwound_url":"https://news.example/story","status":200,"title":"A headline","description":"The page's first lines"}]},
            "attachments":{"media_keys":["3_1"]},"referenced_tweets":[{"type":"replied_to","id":"9"}]}],
            "includes":{"users":[{"id":"1","username":"u1","name":"U One","description":"bio","public_metrics":{"followers_count":42}}],
            "media":[{"media_key":"3_1","type":"photo","url":"https://pbs.example/1.jpg","alt_text":"a description"}]}}"#;
        let recs = parse_twitter_page(page).unwrap();
        let Record::Account(a) = &recs[0] else {
            panic!()
        };
        assert_eq!(a.handle.as_deref(), Some("u1"));
        let Record::Post(p) = &recs[1] else { panic!() };
        assert_eq!(p.account, "1");
        assert_eq!(p.text, "hello & bye", "Twitter's HTML escapes undone");
        assert_eq!(p.reach, Some(42));
        assert_eq!(
            p.urls,
            vec!["https://example.org/a", "https://news.example/story"]
        );
        assert_eq!(p.media[0].kind, "photo");
        assert_eq!(p.media[0].alt.as_deref(), Some("a description"));
        // The unwound link's title and description: its card, after the media.
        assert_eq!(p.media.len(), 2, "a link without a title shows no card");
        assert!(p.media[1].is_link_card());
        assert_eq!(
            p.media[1].url.as_deref(),
            Some("https://news.example/story")
        );
        assert_eq!(
            p.media[1].description(),
            Some("A headline\nThe page's first lines")
        );
        assert_eq!(p.reply_to.as_deref(), Some("9"));
        assert_eq!(p.created_at, Some(1672531200));
    }

    #[test]
    fn single_tweet_and_errors() {
        assert_eq!(
            parse_twitter_page(br#"{"data":{"id":5,"text":"x"}}"#)
                .unwrap()
                .len(),
            1
        );
        assert!(parse_twitter_page(b"{\"data\":")
            .unwrap_err()
            .contains("Twitter API v2"));
    }
}
