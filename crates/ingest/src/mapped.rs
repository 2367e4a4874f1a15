//! JSON records of any shape, read through a field mapping (`--json-map`), as CSV columns
//! are through `--csv-map`: `text=body,account=author,created_at=created_utc` reads a
//! Reddit dump, `text=content,account=author.id,handle=author.username` a platform's own
//! export with the author nested. A path is keys joined by dots (a number picks an array's
//! element); `text=title+selftext` joins several paths' text with a blank line.

use raqib_model::{Account, Post, Record};
use serde_json::Value;

use crate::csvfmt::CSV_FIELDS;

/// `FIELD=PATH` pairs for JSON records (the fields are CSV's, see [`CSV_FIELDS`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JsonMapping {
    /// For each field (in [`CSV_FIELDS`] order), the paths its value is read from.
    paths: Vec<Vec<Vec<String>>>,
}

impl std::str::FromStr for JsonMapping {
    type Err = String;
    /// Parse `text=body,account=author.id,text=title+selftext`.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut m = JsonMapping {
            paths: vec![Vec::new(); CSV_FIELDS.len()],
        };
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, path) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}` is not FIELD=PATH"))?;
            let Some(i) = CSV_FIELDS.iter().position(|(f, _)| *f == field.trim()) else {
                let known: Vec<_> = CSV_FIELDS.iter().map(|(f, _)| *f).collect();
                return Err(format!(
                    "unknown field `{}`: fields are {}",
                    field.trim(),
                    known.join(", ")
                ));
            };
            let mut paths = Vec::new();
            for p in path.split('+').map(str::trim) {
                if p.is_empty() || p.split('.').any(str::is_empty) {
                    return Err(format!(
                        "`{pair}`: a path is keys joined by dots, e.g. author.id"
                    ));
                }
                paths.push(p.split('.').map(str::to_owned).collect());
            }
            m.paths[i] = paths;
        }
        if m.field("text").is_empty() {
            return Err("--json-map needs text=PATH (the field that holds the post's text)".into());
        }
        Ok(m)
    }
}

impl JsonMapping {
    fn field(&self, name: &str) -> &[Vec<String>] {
        CSV_FIELDS
            .iter()
            .position(|(f, _)| *f == name)
            .map_or(&[], |i| &self.paths[i])
    }
}

/// The value at `path`, if there is one and it is not null.
fn at<'v>(v: &'v Value, path: &[String]) -> Option<&'v Value> {
    let mut v = v;
    for key in path {
        v = match v {
            Value::Object(o) => o.get(key)?,
            Value::Array(a) => a.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    (!v.is_null()).then_some(v)
}

/// A scalar as text: a string as it is, a number or boolean written out.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Read one record through `map` into a post and, the first time its author is seen,
/// the author's account (when the mapping names any account field). `line` makes the
/// default id (`line-N`) as CSV's rows do.
pub(crate) fn parse_mapped_line(
    bytes: &[u8],
    map: &JsonMapping,
    line: u64,
    default_platform: Option<&str>,
    mut seen: impl FnMut(&str) -> bool,
    mut out: impl FnMut(Record),
) -> Result<(), String> {
    let v = Value::Object(crate::parse_object(bytes, "a JSON record")?);
    let one = |name: &str| map.field(name).iter().find_map(|p| at(&v, p));
    let one_text = |name: &str| one(name).and_then(text_of);
    let parts: Vec<String> = map
        .field("text")
        .iter()
        .filter_map(|p| at(&v, p).and_then(text_of))
        .collect();
    if parts.is_empty() {
        let paths: Vec<String> = map.field("text").iter().map(|p| p.join(".")).collect();
        return Err(format!(
            "record has no text at `{}` (--json-map)",
            paths.join("+")
        ));
    }
    let text = parts.join("\n\n");
    let time = |name: &str| match one(name)? {
        Value::Number(n) => {
            let secs = n.as_f64()?;
            // Unix seconds, or milliseconds (13 digits).
            Some(if secs >= 1e12 { secs / 1000.0 } else { secs } as i64)
        }
        other => text_of(other).as_deref().and_then(crate::parse_time),
    };
    let count = |name: &str| match one(name)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let label = match one("label") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => crate::jsonl::parse_label(&text_of(other).unwrap_or_default())?,
    };
    let platform = one_text("platform")
        .or(default_platform.map(str::to_owned))
        .unwrap_or_default();
    let handle = one_text("handle");
    let account = one_text("account").or(handle.clone()).unwrap_or_default();
    let profiled = [
        "handle",
        "display_name",
        "bio",
        "followers",
        "account_created_at",
    ]
    .iter()
    .any(|f| one(f).is_some());
    if profiled && !account.is_empty() && !seen(&format!("{platform}\u{0}{account}")) {
        out(Record::Account(Box::new(Account {
            id: account.clone(),
            platform: platform.clone(),
            handle,
            display_name: one_text("display_name"),
            bio: one_text("bio"),
            created_at: time("account_created_at"),
            followers: count("followers"),
            ..Default::default()
        })));
    }
    // A list: an array (of strings, or of objects with one of `keys`: an attachment's
    // `url` or `path`, its `sha256`, its `pdq`), or a string of them separated by spaces,
    // `|` or `;`.
    let list = |name: &str, keys: &[&str]| -> Vec<String> {
        match one(name) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|e| match e {
                    Value::Object(o) => keys.iter().find_map(|k| o.get(*k).and_then(text_of)),
                    other => text_of(other),
                })
                .collect(),
            Some(other) => text_of(other)
                .map(|s| {
                    s.split([' ', '|', ';'])
                        .filter(|u| !u.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        }
    };
    const PLACES: &[&str] = &["url", "path", "uri", "href"];
    let urls = list("urls", PLACES);
    let media = crate::media_refs(
        list("media", PLACES),
        list("media_sha256", &["sha256"]),
        list("media_pdq", &["pdq"]),
    )?;
    out(Record::Post(Box::new(Post {
        id: one_text("id").unwrap_or_else(|| format!("line-{line}")),
        platform,
        account,
        created_at: time("created_at"),
        text,
        lang: one_text("lang"),
        urls,
        media,
        reply_to: one_text("reply_to"),
        share_of: one_text("share_of"),
        first_version: one_text("first_version"),
        place: one_text("place"),
        permalink: one_text("permalink"),
        reach: count("reach").or_else(|| count("followers")),
        label,
        category: one_text("category"),
    })));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::first_post as post;

    fn read(map: &str, line: &str) -> Result<Vec<Record>, String> {
        let map: JsonMapping = map.parse().unwrap();
        let mut out = Vec::new();
        parse_mapped_line(
            line.as_bytes(),
            &map,
            7,
            Some("reddit"),
            |_| false,
            |r| out.push(r),
        )?;
        Ok(out)
    }

    #[test]
    fn a_reddit_comment_and_submission() {
        let map = "id=name,text=title+selftext+body,account=author,handle=author,created_at=created_utc,reply_to=parent_id,urls=url";
        let recs = read(
            map,
            r#"{"id":"abc","name":"t1_abc","author":"someone","body":"a comment","created_utc":1600000000.0,"parent_id":"t3_x","subreddit":"news"}"#,
        )
        .unwrap();
        let Record::Account(a) = &recs[0] else {
            panic!()
        };
        assert_eq!((a.id.as_str(), a.platform.as_str()), ("someone", "reddit"));
        let p = post(&recs);
        assert_eq!((p.id.as_str(), p.text.as_str()), ("t1_abc", "a comment"));
        assert_eq!(p.created_at, Some(1600000000));
        assert_eq!(p.reply_to.as_deref(), Some("t3_x"));
        let recs = read(
            map,
            r#"{"name":"t3_x","author":"b","title":"A title","selftext":"and its body","url":"https://e.example/a","created_utc":"1600000001"}"#,
        )
        .unwrap();
        let p = post(&recs);
        assert_eq!(p.text, "A title\n\nand its body");
        assert_eq!(p.urls, vec!["https://e.example/a"]);
        assert_eq!(p.created_at, Some(1600000001));
    }

    /// Media mapped from a record's attachments: their URLs or paths, and the hashes a
    /// platform keeps of them, matched by position; a hash that is not one is an error.
    #[test]
    fn media_and_their_hashes() {
        let sha = "AB".repeat(32);
        let pdq = "0f".repeat(32);
        let map = "text=body,media=attachments,media_sha256=attachments,media_pdq=hashes.pdq";
        let recs = read(
            map,
            &format!(
                r#"{{"body":"x","attachments":[{{"url":"https://cdn.example/a.JPG?s=1","sha256":"{sha}"}},{{"path":"files/b.mp4"}}],"hashes":{{"pdq":"{pdq}"}}}}"#
            ),
        )
        .unwrap();
        let m = &post(&recs).media;
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[0].kind.as_str(), m[0].url.as_deref()),
            ("image", Some("https://cdn.example/a.JPG?s=1"))
        );
        assert_eq!(m[0].sha256.as_deref(), Some(sha.to_lowercase().as_str()));
        assert_eq!(m[0].pdq.as_deref(), Some(pdq.as_str()));
        assert_eq!(
            (m[1].kind.as_str(), m[1].url.as_deref()),
            ("video", Some("files/b.mp4"))
        );
        assert_eq!(m[1].sha256, None);
        // Hashes with no media named: a reference of their own.
        let recs = read(
            "text=body,media_sha256=h",
            &format!(r#"{{"body":"x","h":"{sha} {sha}"}}"#),
        )
        .unwrap();
        assert_eq!(post(&recs).media.len(), 2);
        let e = read("text=body,media_pdq=h", r#"{"body":"x","h":"not-a-hash"}"#).unwrap_err();
        assert!(e.contains("`media_pdq` is not a PDQ hash"), "{e}");
    }

    #[test]
    fn nested_paths_labels_and_defaults() {
        let map = "text=msg.body,account=msg.author.id,display_name=msg.author.name,followers=msg.author.stats.0,label=verdict,created_at=ts,urls=links";
        let recs = read(
            map,
            r#"{"msg":{"body":"hi","author":{"id":42,"name":"N","stats":["12"]}},"verdict":"propaganda","ts":1600000000123,"links":["https://a.example"]}"#,
        )
        .unwrap();
        let Record::Account(a) = &recs[0] else {
            panic!()
        };
        assert_eq!((a.id.as_str(), a.followers), ("42", Some(12)));
        let p = post(&recs);
        assert_eq!(p.id, "line-7", "no id mapped: the line, as CSV rows");
        assert_eq!(p.label, Some(true));
        assert_eq!(p.created_at, Some(1600000000), "milliseconds");
        assert_eq!(p.urls, vec!["https://a.example"]);
        assert_eq!(p.reach, Some(12));
        assert_eq!(recs.len(), 2);
        // Only the text mapped: no account record.
        assert_eq!(read("text=t", r#"{"t":"x"}"#).unwrap().len(), 1);
    }

    #[test]
    fn what_cannot_be_read_says_why() {
        let e = read("text=body", r#"{"title":"x"}"#).unwrap_err();
        assert!(e.contains("no text at `body`"), "{e}");
        assert!(read("text=body", "[1]")
            .unwrap_err()
            .contains("not a JSON object"));
        assert!(read("text=body,label=l", r#"{"body":"x","l":"maybe"}"#).is_err());
        for (bad, why) in [
            ("body", "is not FIELD=PATH"),
            ("txt=body", "unknown field `txt`"),
            ("text=a..b", "keys joined by dots"),
            ("account=a", "needs text=PATH"),
        ] {
            let e = bad.parse::<JsonMapping>().unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
