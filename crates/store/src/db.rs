//! The `Store` interface that `raqib serve` keeps its state in, and the types it stores:
//! submitted items with their verdicts and review history, the audit log, webhook
//! deliveries (a transactional outbox) and API tokens.
//!
//! Two backends implement it: [`crate::embedded::EmbeddedStore`] (redb, one file, no set-up)
//! and [`crate::pg::PgStore`] (PostgreSQL, shared by several servers). Both pass the same
//! test suite (`crates/store/tests/backends.rs`).
//!
//! **Invariant:** a call that returns `Ok` has made its writes durable (fsync / commit);
//! an item, its audit entries and its webhook deliveries are written in one transaction,
//! so a crash never leaves an action without its record or a record without its action.

use serde::{Deserialize, Serialize};

use crate::audit::{Entry, Record};

/// The schema version this build writes. Opening a store of a newer version is refused.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Backend(String),
    #[error(
        "store schema version {found} is newer than this build's ({SCHEMA_VERSION}): upgrade raqib"
    )]
    NewerSchema { found: u32 },
    #[error("no item {0}")]
    NotFound(String),
    /// The change does not apply to the item as it is now (e.g. undo with nothing to undo).
    #[error("{0}")]
    Conflict(String),
    #[error("stored record is damaged: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Whether an item waits for a reviewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// In the review queue.
    Open,
    /// Decided (by policy or by a reviewer); an appeal reopens it.
    Closed,
}

/// A reviewer's decision on an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// Unix milliseconds.
    pub at: i64,
    pub reviewer: String,
    /// What the reviewer did: `remove`, `suspend`, `refer`, `no_action`, or `undo`
    /// (which withdraws the review before it).
    pub decision: String,
    /// The label the decision gives the item for training: `true` = propaganda.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<bool>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// An appeal against a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Appeal {
    pub at: i64,
    pub by: String,
    #[serde(default)]
    pub reason: String,
}

/// A submitted item (post, account, media) with what raqib decided about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// `post:PLATFORM:ID`, `account:PLATFORM:ID` or `media:SHA256`.
    pub key: String,
    /// `post`, `account` or `media`.
    pub kind: String,
    pub platform: String,
    pub id: String,
    /// Where a post was made (a channel, a group, a subreddit), as submitted: what a
    /// referral unit works through one at a time (`GET /api/v1/queue?place=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// The submitter's own id for idempotent submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Assigned by the store, increasing in submission order (0 until stored; stores keep
    /// it beside the record rather than in it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub seq: u64,
    /// Unix milliseconds when the server received it.
    pub received_at: i64,
    pub priority: u8,
    pub state: State,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// The kinds of signal that fired (`text`, `media`, `link`, `profile`, ...), for filters.
    #[serde(default)]
    pub signals: Vec<String>,
    /// Hash lists matched, for filters.
    #[serde(default)]
    pub lists: Vec<String>,
    /// Whether any signal passed its detector's threshold.
    #[serde(default)]
    pub flagged: bool,
    /// The policy's action (`ignore`, `queue`, `refer`, `suspend`, `remove`).
    #[serde(default)]
    pub action: String,
    /// The item as submitted and the verdict (signals, evidence, policy decision), as the
    /// API returns it; kept as serialised JSON, written and returned without re-parsing.
    pub body: RawJson,
    #[serde(default)]
    pub reviews: Vec<Review>,
    #[serde(default)]
    pub appeals: Vec<Appeal>,
}

/// A JSON value kept as its text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(pub Box<serde_json::value::RawValue>);

impl RawJson {
    pub fn from<T: Serialize + ?Sized>(v: &T) -> RawJson {
        RawJson(serde_json::value::to_raw_value(v).expect("serialising to memory cannot fail"))
    }

    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The value parsed (for the rare reader that needs a field of it).
    pub fn parse(&self) -> serde_json::Value {
        serde_json::from_str(self.0.get()).unwrap_or(serde_json::Value::Null)
    }
}

impl PartialEq for RawJson {
    fn eq(&self, o: &RawJson) -> bool {
        self.get() == o.get()
    }
}

impl Default for RawJson {
    fn default() -> RawJson {
        RawJson::from(&serde_json::Value::Null)
    }
}

impl Item {
    /// The review in force: the last one not withdrawn by an `undo`.
    pub fn current_review(&self) -> Option<&Review> {
        let mut undone = 0usize;
        for r in self.reviews.iter().rev() {
            if r.decision == "undo" {
                undone += 1;
            } else if undone > 0 {
                undone -= 1;
            } else {
                return Some(r);
            }
        }
        None
    }
}

/// Which open items a reviewer wants to see.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct QueueFilter {
    pub platform: Option<String>,
    /// Where the post was made, compared without regard to case or the spaces around it.
    pub place: Option<String>,
    pub signal: Option<String>,
    pub lang: Option<String>,
    pub list: Option<String>,
}

impl QueueFilter {
    pub fn matches(&self, i: &Item) -> bool {
        let eq = |want: &Option<String>, have: &str| {
            want.as_deref()
                .is_none_or(|w| w.is_empty() || w.eq_ignore_ascii_case(have))
        };
        eq(&self.platform, &i.platform)
            && self.place.as_deref().map(str::trim).is_none_or(|w| {
                w.is_empty()
                    || i.place
                        .as_deref()
                        .is_some_and(|p| p.trim().to_lowercase() == w.to_lowercase())
            })
            && eq(&self.lang, i.lang.as_deref().unwrap_or(""))
            && self
                .signal
                .as_deref()
                .is_none_or(|s| s.is_empty() || i.signals.iter().any(|x| x == s))
            && self
                .list
                .as_deref()
                .is_none_or(|l| l.is_empty() || i.lists.iter().any(|x| x == l))
    }
}

/// A webhook call waiting, done or given up on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Assigned by the store.
    #[serde(default)]
    pub id: u64,
    pub url: String,
    /// `action`, `review`, `appeal`.
    pub event: String,
    /// Sent as `Idempotency-Key`: the same for every retry of one delivery.
    pub idempotency_key: String,
    pub payload: serde_json::Value,
    #[serde(default)]
    pub attempts: u32,
    /// Unix milliseconds of the next attempt.
    pub next_at: i64,
    pub state: DeliveryState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Delivered,
    /// Given up after the last retry: listed as a dead letter until retried by hand.
    Dead,
}

/// What an attempt at a delivery came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    Delivered,
    Retry { next_at: i64, error: String },
    Dead { error: String },
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Delivery {
    /// Record what an attempt came to: one more attempt, and the state it leaves.
    pub fn record(&mut self, attempt: Attempt) {
        self.attempts += 1;
        match attempt {
            Attempt::Delivered => {
                self.state = DeliveryState::Delivered;
                self.last_error = None;
            }
            Attempt::Retry { next_at, error } => {
                self.state = DeliveryState::Pending;
                self.next_at = next_at;
                self.last_error = Some(error);
            }
            Attempt::Dead { error } => {
                self.state = DeliveryState::Dead;
                self.last_error = Some(error);
            }
        }
    }
}

/// Apply a change to a copy of `old`: the changed item and what to write with it, or why
/// not (a change may not move an item to another key or seq).
pub(crate) fn apply_change(old: &Item, change: Change<'_>) -> Result<(Item, Effects)> {
    let mut item = old.clone();
    let effects = change(&mut item).map_err(StoreError::Conflict)?;
    if item.key != old.key || item.seq != old.seq {
        return Err(StoreError::Conflict(
            "an item's key and seq do not change".into(),
        ));
    }
    Ok((item, effects))
}

/// An item to store, with the webhook deliveries and audit records that go with it when
/// it is new.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub item: Item,
    pub deliveries: Vec<Delivery>,
    pub audit: Vec<Record>,
    /// The item's record as the store keeps it ([`encode_item`]), made by the caller (on
    /// its own thread) so that the store's single writer does not have to; `None` and the
    /// store makes it. Set by [`NewItem::encode`]: call it after the last change.
    pub encoded: Option<Vec<u8>>,
    /// `audit` as [`record_fields`], made by the caller likewise.
    pub audit_fields: Option<Vec<String>>,
}

impl NewItem {
    pub fn new(item: Item, deliveries: Vec<Delivery>, audit: Vec<Record>) -> NewItem {
        NewItem {
            item,
            deliveries,
            audit,
            encoded: None,
            audit_fields: None,
        }
    }

    /// Make the stored record and the audit records' text now.
    pub fn encode(mut self) -> NewItem {
        self.encoded = Some(encode_item(&self.item));
        self.audit_fields = Some(self.audit.iter().map(record_fields).collect());
        self
    }
}

/// An item's stored record: its JSON without `seq` (the store keeps the sequence number
/// beside it).
pub fn encode_item(item: &Item) -> Vec<u8> {
    // The body is most of the record; the other fields fit in a few hundred bytes.
    let capacity = item.body.get().len() + 384;
    if item.seq == 0 {
        to_json_sized(item, capacity)
    } else {
        let mut i = item.clone();
        i.seq = 0;
        to_json_sized(&i, capacity)
    }
}

/// What submitting one item came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    /// The item as stored: the new one, or the one stored before under the same client id
    /// or key.
    pub item: Item,
    /// False when an item with the same client id or key was already stored.
    pub new: bool,
}

/// What a change to an item writes with it.
#[derive(Debug, Clone, Default)]
pub struct Effects {
    pub audit: Vec<Record>,
    pub deliveries: Vec<Delivery>,
}

/// A change to one item, applied inside the store's transaction; `Err` refuses it and
/// nothing is written.
pub type Change<'a> = &'a mut dyn FnMut(&mut Item) -> std::result::Result<Effects, String>;

/// An API token, stored by the SHA-256 of its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    pub hash: String,
    pub name: String,
    /// `ingest`, `reviewer` or `admin`.
    pub role: String,
    pub created_at: i64,
}

/// Counts for health and metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    pub items: u64,
    pub open: u64,
    pub audit_entries: u64,
    pub deliveries_pending: u64,
    pub dead_letters: u64,
}

/// raqib's state. Every method is blocking; call it from a thread that may block (not an
/// async task).
pub trait Store: Send + Sync {
    /// `embedded PATH` or `postgres HOST/DB`.
    fn describe(&self) -> String;
    fn schema_version(&self) -> Result<u32>;

    /// Store new items in one transaction. An item whose client id or key is already
    /// stored is not stored again (its earlier record is returned with `new: false`), and
    /// its deliveries and audit records are dropped.
    fn submit(&self, items: Vec<NewItem>) -> Result<Vec<Submitted>>;
    fn get(&self, key: &str) -> Result<Option<Item>>;
    fn by_client_id(&self, client_id: &str) -> Result<Option<Item>>;
    /// Open items, highest priority first, oldest first among equals.
    fn queue(&self, filter: &QueueFilter, limit: usize) -> Result<Vec<Item>>;
    /// Items in submission order with `seq > after`.
    fn items_after(&self, after: u64, limit: usize) -> Result<Vec<Item>>;
    /// Apply `change` to the item and write it with the change's audit records and
    /// deliveries, in one transaction.
    fn update(&self, key: &str, change: Change<'_>) -> Result<Item>;

    /// Append records to the audit log (chained to its head).
    fn append_audit(&self, records: &[Record]) -> Result<Vec<Entry>>;
    /// Audit entries with `seq > after`, in order.
    fn audit_after(&self, after: u64, limit: usize) -> Result<Vec<Entry>>;

    /// Pending deliveries due at `now` (Unix ms), oldest due first.
    fn due_deliveries(&self, now: i64, limit: usize) -> Result<Vec<Delivery>>;
    fn record_attempt(&self, id: u64, attempt: Attempt) -> Result<()>;
    fn dead_letters(&self, limit: usize) -> Result<Vec<Delivery>>;
    /// Put a dead letter back in the queue, due at `now`. False when there is no such
    /// dead letter.
    fn retry_dead_letter(&self, id: u64, now: i64) -> Result<bool>;

    fn put_token(&self, token: &Token) -> Result<()>;
    fn token(&self, hash: &str) -> Result<Option<Token>>;
    fn tokens(&self) -> Result<Vec<Token>>;
    /// Remove the token of this name. False when there was none.
    fn revoke_token(&self, name: &str) -> Result<bool>;

    fn counts(&self) -> Result<Counts>;
}

/// Chain records after the entry `(seq, head)`.
pub(crate) fn chain(mut seq: u64, mut head: String, records: &[Record]) -> Vec<Entry> {
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        seq += 1;
        let hash = crate::audit::hash_of(seq, r, &head);
        out.push(Entry {
            seq,
            record: r.clone(),
            prev: head,
            hash: hash.clone(),
        });
        head = hash;
    }
    out
}

/// A record's JSON fields without the braces: the part of its audit entry that does not
/// depend on its place in the chain, so it can be made off the store's writer thread.
pub fn record_fields(r: &Record) -> String {
    let s = String::from_utf8(to_json(r)).expect("JSON is UTF-8");
    s[1..s.len() - 1].to_string()
}

/// Chain records given as [`record_fields`] after the entry `(seq, head)`: each entry's
/// stored JSON and its hash. Byte for byte what [`chain`] makes: the hashed text is
/// `{"seq":N,FIELDS,"prev":"P"}` and the entry `{"seq":N,FIELDS,"prev":"P","hash":"H"}`.
pub(crate) fn chain_fields(
    mut seq: u64,
    mut head: String,
    fields: &[String],
) -> Vec<(u64, String)> {
    use sha2::Digest;
    let mut out = Vec::with_capacity(fields.len());
    for f in fields {
        seq += 1;
        let mut text = format!("{{\"seq\":{seq},{f},\"prev\":\"{head}\"}}");
        let hash = crate::audit::hex(&sha2::Sha256::digest(text.as_bytes()));
        text.pop();
        text.push_str(",\"hash\":\"");
        text.push_str(&hash);
        text.push_str("\"}");
        out.push((seq, text));
        head = hash;
    }
    out
}

pub fn to_json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("serialising to memory cannot fail")
}

fn to_json_sized<T: Serialize>(v: &T, capacity: usize) -> Vec<u8> {
    let mut buf = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut buf, v).expect("serialising to memory cannot fail");
    buf
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(b: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(b).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Open a store from a location: `postgres://…` or `postgresql://…` for PostgreSQL,
/// anything else is the embedded store's file (created with its folder when missing).
pub fn open(location: &str) -> Result<Box<dyn Store>> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        Ok(Box::new(crate::pg::PgStore::connect(location)?))
    } else {
        Ok(Box::new(crate::embedded::EmbeddedStore::open(
            std::path::Path::new(location),
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> Item {
        Item {
            key: "post:x:1".into(),
            kind: "post".into(),
            platform: "x".into(),
            id: "1".into(),
            place: Some("Example Channel".into()),
            client_id: None,
            seq: 0,
            received_at: 0,
            priority: 50,
            state: State::Open,
            lang: Some("ar".into()),
            signals: vec!["text".into()],
            lists: vec![],
            flagged: true,
            action: "queue".into(),
            body: RawJson::default(),
            reviews: vec![],
            appeals: vec![],
        }
    }

    fn review(d: &str) -> Review {
        Review {
            at: 0,
            reviewer: "r".into(),
            decision: d.into(),
            label: None,
            note: String::new(),
        }
    }

    #[test]
    fn chained_fields_are_the_entries_chain_makes() {
        let recs: Vec<Record> = (0..3)
            .map(|i| Record {
                at: 1_700_000_000 + i,
                actor: "a\"b".into(),
                kind: "decision".into(),
                subject: format!("post:x:{i}"),
                data: serde_json::json!({"z": 1, "a": [i, "ü"], "m": {"k": null}}),
            })
            .collect();
        let want = chain(7, "ab".repeat(32), &recs);
        let fields: Vec<String> = recs.iter().map(record_fields).collect();
        let got = chain_fields(7, "ab".repeat(32), &fields);
        for (w, (seq, text)) in want.iter().zip(&got) {
            assert_eq!(w.seq, *seq);
            assert_eq!(serde_json::to_string(w).unwrap(), *text);
        }
    }

    #[test]
    fn undo_withdraws_the_review_before_it() {
        let mut i = item();
        assert!(i.current_review().is_none());
        i.reviews = vec![review("remove"), review("no_action"), review("undo")];
        assert_eq!(i.current_review().unwrap().decision, "remove");
        i.reviews.push(review("undo"));
        assert!(i.current_review().is_none());
    }

    #[test]
    fn queue_filter_matches_each_field() {
        let i = item();
        assert!(QueueFilter::default().matches(&i));
        let f = |p: &str, s: &str, l: &str| QueueFilter {
            platform: Some(p.into()),
            signal: Some(s.into()),
            lang: Some(l.into()),
            ..Default::default()
        };
        assert!(f("X", "text", "ar").matches(&i));
        assert!(!f("telegram", "text", "ar").matches(&i));
        assert!(!f("x", "media", "ar").matches(&i));
        assert!(!f("x", "text", "en").matches(&i));
        let l = QueueFilter {
            list: Some("outlet".into()),
            ..Default::default()
        };
        assert!(!l.matches(&i));
        let at = |p: &str| QueueFilter {
            place: Some(p.into()),
            ..Default::default()
        };
        assert!(at(" example channel ").matches(&i), "case and spaces aside");
        assert!(at("").matches(&i), "an empty filter is none");
        assert!(!at("Example").matches(&i), "the whole place, not a part");
        let mut nowhere = i.clone();
        nowhere.place = None;
        assert!(!at("Example Channel").matches(&nowhere));
    }
}
