//! An account submitted again with another profile: a new version of it.
//!
//! Posts do not change (an edit is a post of its own, `first_version`), but an account's
//! profile does, and the change is a signal: an account that signs up with a harmless
//! name and bio and takes the group's branding once it has followers, or the other way
//! round to shed a flag. An account whose key was stored before is compared with the
//! stored profile; where its handle, display name, bio, avatar or status differ, the two
//! are merged (what the new record gives wins, what it leaves out is kept), scored and
//! decided again, and the stored item takes the new verdict, with the profiles it
//! replaced kept in its body as `previous`. Followers and the creation time alone are no
//! new version (they change all the time, or never). A repeat with the item's own client
//! id is a retry and stays a duplicate, as does a record with nothing new.

use raqib_model::{Account, AccountStatus};
use raqib_store::db::{Effects, Item, NewItem, RawJson, State};
use serde_json::Value;

/// How many replaced profiles an item keeps (the latest).
pub const KEPT: usize = 20;

/// The account as an item's body holds it (`body.submitted`).
fn submitted(item: &Item) -> Option<Account> {
    let body: Value = serde_json::from_str(item.body.get()).ok()?;
    serde_json::from_value(body.get("submitted")?.clone()).ok()
}

/// A new version of an account's profile.
#[derive(Debug)]
pub struct Version {
    /// The stored profile with what the submission gives.
    pub merged: Account,
    /// The texts of the versions stored before it ([`Account::profile_text`]), the one it
    /// replaces first: the account is judged by the strongest of them and it.
    pub earlier: Vec<String>,
}

/// The profile texts an item holds besides `now`: its profile's, those it replaced
/// (`previous`), and the earlier version its verdict rests on, which stays whatever
/// `previous` lets go of.
fn earlier_texts(item: &Item, now: &str) -> Vec<String> {
    let body: Value = serde_json::from_str(item.body.get()).unwrap_or(Value::Null);
    let text_of = |v: &Value| {
        serde_json::from_value::<Account>(v.clone())
            .ok()
            .map(|a| a.profile_text())
    };
    let mut out: Vec<String> = Vec::new();
    let stored = body.get("submitted").and_then(text_of);
    let replaced = body
        .get("previous")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .rev()
        .filter_map(|p| p.get("submitted").and_then(text_of));
    let kept = body
        .pointer("/verdict/signals")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("earlier")?.as_str().map(str::to_string));
    for t in stored.into_iter().chain(replaced).chain(kept) {
        if !t.trim().is_empty() && t != now && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Whether `now` is still the version of the item `then` was read as: a new version is
/// made from the one it read, and one stored by another submission meanwhile is merged
/// with again rather than overwritten.
pub fn unchanged(now: &Item, then: &Item) -> bool {
    let body = |i: &Item| serde_json::from_str::<Value>(i.body.get()).ok();
    now.key == then.key && body(now) == body(then)
}

/// Where `fresh` (an account just submitted, as the engine assessed it) brings a new
/// version of the account `stored` holds: the two merged, with the texts of the versions
/// before. `None` for a retry (the stored item's own client id), or where the record
/// changes nothing of the profile.
pub fn change(stored: &Item, fresh: &NewItem) -> Option<Version> {
    if stored.kind != "account" || fresh.item.kind != "account" {
        return None;
    }
    if fresh.item.client_id.is_some() && fresh.item.client_id == stored.client_id {
        return None;
    }
    let old = submitted(stored)?;
    let new = submitted(&fresh.item)?;
    let differs = |n: &Option<String>, o: &Option<String>| n.is_some() && n != o;
    let changed = differs(&new.handle, &old.handle)
        || differs(&new.display_name, &old.display_name)
        || differs(&new.bio, &old.bio)
        || (new.avatar.is_some() && new.avatar != old.avatar)
        || (new.status != AccountStatus::Active && new.status != old.status);
    if !changed {
        return None;
    }
    let merged = merge(old, new);
    let earlier = earlier_texts(stored, &merged.profile_text());
    Some(Version { merged, earlier })
}

/// `old` with what `new` gives: each field `new` has wins, each it leaves out is kept (a
/// record without a status keeps the one before), as a scan merges an account's records
/// ([`Account::fill_from`]).
pub fn merge(old: Account, mut new: Account) -> Account {
    new.fill_from(old);
    new
}

/// Make `item` (as stored) the new version `fresh` assessed: its verdict, decision and
/// filters; its body `fresh`'s with the replaced profile added to `previous` (the last
/// [`KEPT`]). It stays open where it was (a reviewer still sees what it showed before) and
/// opens where the new decision queues it. The new decision's audit records (marked
/// `"update": true`, and never "before its first post") go with it, and its webhook
/// deliveries where the action is another than before.
pub fn apply(item: &mut Item, fresh: &NewItem) -> Result<Effects, String> {
    let mut old: Value = serde_json::from_str(item.body.get()).map_err(|e| e.to_string())?;
    let mut body: Value = serde_json::from_str(fresh.item.body.get()).map_err(|e| e.to_string())?;
    let mut previous = match old.get_mut("previous").map(Value::take) {
        Some(Value::Array(v)) => v,
        _ => Vec::new(),
    };
    previous.push(serde_json::json!({
        "submitted": old.get("submitted").cloned().unwrap_or(Value::Null),
        "flagged": item.flagged,
        "action": item.action,
        "replaced_at": fresh.item.received_at,
    }));
    let drop = previous.len().saturating_sub(KEPT);
    previous.drain(..drop);
    body["previous"] = Value::Array(previous);
    let action_changed = item.action != fresh.item.action;
    item.body = RawJson::from(&body);
    item.flagged = fresh.item.flagged;
    item.action = fresh.item.action.clone();
    item.priority = fresh.item.priority;
    item.signals = fresh.item.signals.clone();
    item.lists = fresh.item.lists.clone();
    item.lang = fresh.item.lang.clone();
    if fresh.item.state == State::Open {
        item.state = State::Open;
    }
    let mut audit = fresh.audit.clone();
    for r in &mut audit {
        if let Some(d) = r.data.as_object_mut() {
            d.remove("posts");
            d.insert("update".into(), Value::Bool(true));
        }
    }
    Ok(Effects {
        audit,
        deliveries: if action_changed {
            fresh.deliveries.clone()
        } else {
            Vec::new()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(a: &Account, client_id: Option<&str>, flagged: bool, action: &str) -> Item {
        Item {
            key: format!("account:{}:{}", a.platform, a.id),
            kind: "account".into(),
            platform: a.platform.clone(),
            id: a.id.clone(),
            client_id: client_id.map(str::to_string),
            received_at: 1_000,
            flagged,
            action: action.into(),
            state: if action == "queue" {
                State::Open
            } else {
                State::Closed
            },
            body: RawJson::from(
                &serde_json::json!({"submitted": a, "verdict": {"flagged": flagged}}),
            ),
            place: None,
            seq: 0,
            priority: 0,
            lang: None,
            signals: Vec::new(),
            lists: Vec::new(),
            reviews: Vec::new(),
            appeals: Vec::new(),
        }
    }

    fn account(bio: Option<&str>) -> Account {
        Account {
            id: "7".into(),
            platform: "x".into(),
            handle: Some("h".into()),
            display_name: Some("Name".into()),
            bio: bio.map(str::to_string),
            followers: Some(10),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_bio_is_a_new_version_and_what_it_leaves_out_is_kept() {
        let stored = item(
            &account(Some("cooking and football")),
            None,
            false,
            "ignore",
        );
        // Only the bio and followers given: the name and handle are kept.
        let new = Account {
            id: "7".into(),
            platform: "x".into(),
            bio: Some("soldiers of the caliphate".into()),
            followers: Some(5000),
            ..Default::default()
        };
        let fresh = NewItem::new(item(&new, None, true, "queue"), Vec::new(), Vec::new());
        let merged = change(&stored, &fresh).expect("a new bio").merged;
        assert_eq!(merged.handle.as_deref(), Some("h"));
        assert_eq!(merged.display_name.as_deref(), Some("Name"));
        assert_eq!(merged.bio.as_deref(), Some("soldiers of the caliphate"));
        assert_eq!(merged.followers, Some(5000));
    }

    #[test]
    fn a_retry_or_nothing_new_is_no_version() {
        let a = account(Some("bio"));
        let stored = item(&a, Some("c1"), false, "ignore");
        // The same client id: a retry, whatever it holds.
        let retry = NewItem::new(
            item(&account(Some("other")), Some("c1"), false, "ignore"),
            vec![],
            vec![],
        );
        assert!(change(&stored, &retry).is_none());
        // Followers alone, or fields left out: nothing new.
        let mut more = a.clone();
        more.followers = Some(99);
        more.bio = None;
        let fresh = NewItem::new(item(&more, None, false, "ignore"), vec![], vec![]);
        assert!(change(&stored, &fresh).is_none());
        // A new status is; a record that says none (active) keeps the one before.
        more.status = AccountStatus::Suspended;
        let fresh = NewItem::new(item(&more, None, false, "ignore"), vec![], vec![]);
        assert_eq!(
            change(&stored, &fresh).unwrap().merged.status,
            AccountStatus::Suspended
        );
        let suspended = item(&more, None, false, "ignore");
        let mut renamed = a.clone();
        renamed.handle = Some("h2".into());
        let fresh = NewItem::new(item(&renamed, None, false, "ignore"), vec![], vec![]);
        let merged = change(&suspended, &fresh).unwrap().merged;
        assert_eq!(
            (merged.handle.as_deref(), merged.status),
            (Some("h2"), AccountStatus::Suspended)
        );
    }

    /// The versions a new one is judged with: the one it replaces, those replaced before
    /// (latest first), and the one the stored verdict rests on, which outlives `previous`;
    /// each once, and never the new version's own text.
    #[test]
    fn a_new_version_is_judged_with_every_version_kept() {
        let mut stored = item(&account(Some("cooking")), None, false, "ignore");
        let mut body: Value = serde_json::from_str(stored.body.get()).unwrap();
        body["previous"] = serde_json::json!([
            {"submitted": account(Some("old words"))},
            {"submitted": account(Some("cooking"))},
            {"submitted": account(Some("newer words"))},
        ]);
        body["verdict"]["signals"] = serde_json::json!([
            {"kind": "profile", "detector": "text.linear", "score": 0.1},
            {"kind": "profile", "detector": "text.linear.earlier", "earlier": "long gone words"},
        ]);
        stored.body = RawJson::from(&body);
        let fresh = NewItem::new(
            item(&account(Some("newer words")), None, false, "ignore"),
            vec![],
            vec![],
        );
        let v = change(&stored, &fresh).expect("a new bio");
        let text = |bio: &str| account(Some(bio)).profile_text();
        assert_eq!(
            v.earlier,
            vec![
                text("cooking"),
                text("old words"),
                "long gone words".to_string()
            ]
        );
        // The item as read is the item as stored; once another version is stored, not.
        assert!(unchanged(&stored, &stored.clone()));
        let mut moved = stored.clone();
        apply(&mut moved, &fresh).unwrap();
        assert!(!unchanged(&moved, &stored));
    }

    #[test]
    fn the_stored_item_takes_the_new_verdict_and_keeps_what_it_replaced() {
        let mut stored = item(&account(Some("cooking")), None, false, "ignore");
        let fresh_account = account(Some("soldiers of the caliphate"));
        let mut fresh = NewItem::new(
            item(&fresh_account, None, true, "queue"),
            Vec::new(),
            vec![raqib_store::audit::Record {
                at: 2,
                actor: "platform".into(),
                kind: "decision".into(),
                subject: "account:x:7".into(),
                data: serde_json::json!({"action": "queue", "posts": 0}),
            }],
        );
        fresh.item.received_at = 5_000;
        let effects = apply(&mut stored, &fresh).unwrap();
        assert!(stored.flagged);
        assert_eq!(stored.action, "queue");
        assert_eq!(stored.state, State::Open, "queued by the new decision");
        assert_eq!(stored.received_at, 1_000, "first seen stays");
        let body: Value = serde_json::from_str(stored.body.get()).unwrap();
        assert_eq!(body["submitted"]["bio"], "soldiers of the caliphate");
        assert_eq!(body["previous"][0]["submitted"]["bio"], "cooking");
        assert_eq!(body["previous"][0]["flagged"], false);
        assert_eq!(body["previous"][0]["replaced_at"], 5_000);
        // Its decision is recorded as an update, never as before the first post.
        assert_eq!(effects.audit.len(), 1);
        assert_eq!(effects.audit[0].data["update"], true);
        assert!(effects.audit[0].data.get("posts").is_none());

        // A later version back to harmless words: still open (a reviewer sees what it
        // showed), and the history grows, the latest KEPT.
        for i in 0..KEPT + 3 {
            let calm = account(Some(&format!("cooking {i}")));
            let fresh = NewItem::new(item(&calm, None, false, "ignore"), vec![], vec![]);
            apply(&mut stored, &fresh).unwrap();
        }
        assert_eq!(stored.state, State::Open);
        assert!(!stored.flagged);
        let body: Value = serde_json::from_str(stored.body.get()).unwrap();
        let prev = body["previous"].as_array().unwrap();
        assert_eq!(prev.len(), KEPT);
        assert_eq!(
            prev[KEPT - 1]["submitted"]["bio"],
            format!("cooking {}", KEPT + 1)
        );
    }
}
