//! One test suite, run against both backends: the embedded store (always) and PostgreSQL
//! (when `RAQIB_TEST_PG` holds a URL whose user may create databases; `.ci/run` starts
//! PostgreSQL and sets it). Each PostgreSQL case gets a fresh database of its own.

use raqib_store::audit::{Record, GENESIS};
use raqib_store::db::*;

fn item(platform: &str, id: &str, priority: u8, client_id: Option<&str>) -> Item {
    Item {
        key: format!("post:{platform}:{id}"),
        kind: "post".into(),
        platform: platform.into(),
        id: id.into(),
        place: None,
        client_id: client_id.map(str::to_string),
        seq: 0,
        received_at: 1_000,
        priority,
        state: State::Open,
        lang: Some("ar".into()),
        signals: vec!["text".into()],
        lists: vec![],
        flagged: true,
        action: "queue".into(),
        body: RawJson::from(&serde_json::json!({"text": format!("post {id}")})),
        reviews: vec![],
        appeals: vec![],
    }
}

/// Pre-encoded, as the server makes them (the struct literals below leave it to the store).
fn new(i: Item) -> NewItem {
    NewItem::new(i, vec![], vec![]).encode()
}

fn rec(subject: &str) -> Record {
    Record {
        at: 1_700_000_000,
        actor: "test".into(),
        kind: "decision".into(),
        subject: subject.into(),
        data: serde_json::json!({"action": "queue"}),
    }
}

fn delivery(key: &str, next_at: i64) -> Delivery {
    Delivery {
        id: 0,
        url: "http://127.0.0.1:9/hook".into(),
        event: "action".into(),
        idempotency_key: key.into(),
        payload: serde_json::json!({"item": key}),
        attempts: 0,
        next_at,
        state: DeliveryState::Pending,
        last_error: None,
    }
}

fn submit_assigns_increasing_seq_and_reads_back(s: &dyn Store) {
    let out = s
        .submit(vec![
            new(item("x", "1", 50, None)),
            new(item("x", "2", 50, None)),
        ])
        .unwrap();
    assert!(out.iter().all(|o| o.new));
    assert!(out[0].item.seq < out[1].item.seq);
    let got = s.get("post:x:2").unwrap().unwrap();
    assert_eq!(got, out[1].item);
    assert!(s.get("post:x:3").unwrap().is_none());
    let after = s.items_after(out[0].item.seq, 10).unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].key, "post:x:2");
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
}

fn submission_is_idempotent_by_client_id_and_key(s: &dyn Store) {
    let mut first = new(item("x", "1", 50, Some("c-1")));
    first.audit = vec![rec("post:x:1")];
    first.deliveries = vec![delivery("post:x:1:remove", 0)];
    let a = s.submit(vec![first.clone()]).unwrap();
    assert!(a[0].new);
    // The same client id again, even with a different post: the first record comes back,
    // and neither the audit record nor the delivery is written twice.
    let mut again = new(item("x", "other", 90, Some("c-1")));
    again.audit = vec![rec("post:x:other")];
    again.deliveries = vec![delivery("post:x:other:remove", 0)];
    let b = s.submit(vec![again, first]).unwrap();
    assert!(!b[0].new && !b[1].new);
    assert_eq!(b[0].item, a[0].item);
    assert_eq!(b[1].item, a[0].item);
    // The same key without a client id: not stored twice either.
    let c = s.submit(vec![new(item("x", "1", 10, None))]).unwrap();
    assert!(!c[0].new);
    assert_eq!(c[0].item.priority, 50);
    assert_eq!(s.by_client_id("c-1").unwrap().unwrap().key, "post:x:1");
    assert!(s.by_client_id("c-2").unwrap().is_none());
    let n = s.counts().unwrap();
    assert_eq!((n.items, n.audit_entries, n.deliveries_pending), (1, 1, 1));
}

fn repeats_inside_one_batch_are_stored_once(s: &dyn Store) {
    let mut a = new(item("x", "1", 50, Some("c-1")));
    a.audit = vec![rec("post:x:1")];
    let mut same_key = new(item("x", "1", 60, None));
    same_key.audit = vec![rec("post:x:1 again")];
    let same_cid = new(item("x", "2", 70, Some("c-1")));
    let other = new(item("x", "3", 80, None));
    let out = s.submit(vec![a, same_key, same_cid, other]).unwrap();
    let news: Vec<bool> = out.iter().map(|o| o.new).collect();
    assert_eq!(news, [true, false, false, true]);
    assert_eq!(out[1].item, out[0].item);
    assert_eq!(out[2].item, out[0].item);
    let n = s.counts().unwrap();
    assert_eq!((n.items, n.audit_entries), (2, 1));
}

fn queue_orders_by_priority_then_age_and_filters(s: &dyn Store) {
    let mut closed = item("x", "closed", 99, None);
    closed.state = State::Closed;
    let mut tg = item("telegram", "t", 70, None);
    tg.lang = Some("en".into());
    tg.signals = vec!["media".into()];
    tg.lists = vec!["outlet-a".into()];
    tg.place = Some("Example Channel".into());
    s.submit(vec![
        new(item("x", "low", 20, None)),
        new(item("x", "high", 80, None)),
        new(closed),
        new(tg),
        new(item("x", "high2", 80, None)),
    ])
    .unwrap();
    let q = s.queue(&QueueFilter::default(), 10).unwrap();
    let ids: Vec<&str> = q.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["high", "high2", "t", "low"]);
    assert_eq!(s.queue(&QueueFilter::default(), 2).unwrap().len(), 2);
    let f =
        |platform: Option<&str>, signal: Option<&str>, lang: Option<&str>, list: Option<&str>| {
            let f = QueueFilter {
                platform: platform.map(Into::into),
                signal: signal.map(Into::into),
                lang: lang.map(Into::into),
                list: list.map(Into::into),
                ..Default::default()
            };
            s.queue(&f, 10)
                .unwrap()
                .into_iter()
                .map(|i| i.id)
                .collect::<Vec<_>>()
        };
    assert_eq!(f(Some("telegram"), None, None, None), ["t"]);
    assert_eq!(f(None, Some("media"), None, None), ["t"]);
    assert_eq!(f(None, None, Some("ar"), None), ["high", "high2", "low"]);
    assert_eq!(f(None, None, None, Some("outlet-a")), ["t"]);
    assert!(f(None, None, None, Some("outlet-b")).is_empty());
    // Where a post was made: kept with the item, and the queue filtered by it.
    let at = |place: &str| {
        let f = QueueFilter {
            place: Some(place.into()),
            ..Default::default()
        };
        s.queue(&f, 10).unwrap()
    };
    let t = at("example channel");
    assert_eq!(t.len(), 1);
    assert_eq!(
        (t[0].id.as_str(), t[0].place.as_deref()),
        ("t", Some("Example Channel"))
    );
    assert!(at("Other Group").is_empty());
    assert_eq!(s.counts().unwrap().open, 4);
}

fn update_closes_reopens_and_writes_effects_atomically(s: &dyn Store) {
    s.submit(vec![new(item("x", "1", 50, None))]).unwrap();
    let r = s
        .update("post:x:1", &mut |i| {
            i.state = State::Closed;
            i.reviews.push(Review {
                at: 2_000,
                reviewer: "r1".into(),
                decision: "remove".into(),
                label: Some(true),
                note: String::new(),
            });
            Ok(Effects {
                audit: vec![rec("post:x:1")],
                deliveries: vec![delivery("post:x:1:review:1", 0)],
            })
        })
        .unwrap();
    assert_eq!(r.state, State::Closed);
    assert!(s.queue(&QueueFilter::default(), 10).unwrap().is_empty());
    assert_eq!(s.get("post:x:1").unwrap().unwrap().reviews.len(), 1);
    // A refused change writes nothing.
    let e = s
        .update("post:x:1", &mut |i| {
            i.state = State::Open;
            Err("nothing to undo".into())
        })
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    assert_eq!(s.get("post:x:1").unwrap().unwrap().state, State::Closed);
    // An appeal reopens it: back in the queue at its priority.
    s.update("post:x:1", &mut |i| {
        i.state = State::Open;
        i.priority = 90;
        Ok(Effects::default())
    })
    .unwrap();
    let q = s.queue(&QueueFilter::default(), 10).unwrap();
    assert_eq!((q.len(), q[0].priority), (1, 90));
    assert!(matches!(
        s.update("post:x:nope", &mut |_| Ok(Effects::default())),
        Err(StoreError::NotFound(_))
    ));
    let n = s.counts().unwrap();
    assert_eq!((n.audit_entries, n.deliveries_pending), (1, 1));
}

fn audit_chain_verifies(s: &dyn Store) {
    let a = s.append_audit(&[rec("a"), rec("b")]).unwrap();
    assert_eq!(a[0].prev, GENESIS);
    assert_eq!(a[1].prev, a[0].hash);
    s.submit(vec![NewItem {
        item: item("x", "1", 50, None),
        deliveries: vec![],
        audit: vec![rec("post:x:1")],
        encoded: None,
        audit_fields: None,
    }])
    .unwrap();
    let c = s.append_audit(&[rec("c")]).unwrap();
    assert_eq!(c[0].seq, 4);
    let all = s.audit_after(0, 100).unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(s.audit_after(2, 100).unwrap().len(), 2);
    // The stored entries form a chain the file verifier accepts.
    let mut text = String::new();
    for e in &all {
        text.push_str(&serde_json::to_string(e).unwrap());
        text.push('\n');
    }
    let v = raqib_store::audit::verify_reader(text.as_bytes(), "store").unwrap();
    assert_eq!((v.entries, v.head), (4, all[3].hash.clone()));
}

fn deliveries_retry_die_and_come_back(s: &dyn Store) {
    s.submit(vec![NewItem {
        item: item("x", "1", 50, None),
        deliveries: vec![delivery("k1", 100), delivery("k2", 500)],
        audit: vec![],
        encoded: None,
        audit_fields: None,
    }])
    .unwrap();
    assert!(s.due_deliveries(99, 10).unwrap().is_empty());
    let due = s.due_deliveries(100, 10).unwrap();
    assert_eq!(due.len(), 1);
    let (id1, id2) = (due[0].id, s.due_deliveries(1_000, 10).unwrap()[1].id);
    assert_ne!(id1, id2);
    s.record_attempt(
        id1,
        Attempt::Retry {
            next_at: 2_000,
            error: "HTTP 503".into(),
        },
    )
    .unwrap();
    s.record_attempt(id2, Attempt::Delivered).unwrap();
    assert!(s.due_deliveries(1_999, 10).unwrap().is_empty());
    let d = s.due_deliveries(2_000, 10).unwrap();
    assert_eq!(
        (d[0].attempts, d[0].last_error.as_deref()),
        (1, Some("HTTP 503"))
    );
    s.record_attempt(
        id1,
        Attempt::Dead {
            error: "HTTP 500".into(),
        },
    )
    .unwrap();
    assert!(s.due_deliveries(i64::MAX, 10).unwrap().is_empty());
    let dead = s.dead_letters(10).unwrap();
    assert_eq!((dead.len(), dead[0].id, dead[0].attempts), (1, id1, 2));
    assert_eq!(dead[0].idempotency_key, "k1");
    assert_eq!(s.counts().unwrap().dead_letters, 1);
    assert!(s.retry_dead_letter(id1, 3_000).unwrap());
    assert!(!s.retry_dead_letter(id1, 3_000).unwrap());
    assert!(!s.retry_dead_letter(id2, 3_000).unwrap());
    assert!(s.dead_letters(10).unwrap().is_empty());
    assert_eq!(s.due_deliveries(3_000, 10).unwrap()[0].id, id1);
}

fn tokens_by_hash_and_name(s: &dyn Store) {
    let t = |hash: &str, name: &str, role: &str| Token {
        hash: hash.into(),
        name: name.into(),
        role: role.into(),
        created_at: 1,
    };
    s.put_token(&t("h1", "alice", "reviewer")).unwrap();
    s.put_token(&t("h2", "ingest-1", "ingest")).unwrap();
    assert_eq!(s.token("h1").unwrap().unwrap().role, "reviewer");
    // A new token under the same name replaces the old one.
    s.put_token(&t("h3", "alice", "admin")).unwrap();
    assert!(s.token("h1").unwrap().is_none());
    assert_eq!(s.token("h3").unwrap().unwrap().role, "admin");
    let names: Vec<String> = s.tokens().unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["alice", "ingest-1"]);
    assert!(s.revoke_token("alice").unwrap());
    assert!(!s.revoke_token("alice").unwrap());
    assert!(s.token("h3").unwrap().is_none());
}

fn concurrent_submissions_lose_nothing(s: &dyn Store) {
    std::thread::scope(|sc| {
        for t in 0..4 {
            sc.spawn(move || {
                for i in 0..25 {
                    let id = format!("{t}-{i}");
                    let mut n = new(item("x", &id, 50, Some(&format!("c{id}"))));
                    n.audit = vec![rec(&id)];
                    assert!(s.submit(vec![n]).unwrap()[0].new);
                }
            });
        }
    });
    let n = s.counts().unwrap();
    assert_eq!((n.items, n.audit_entries), (100, 100));
    let all = s.audit_after(0, 1000).unwrap();
    let mut text = String::new();
    for e in &all {
        text.push_str(&serde_json::to_string(e).unwrap());
        text.push('\n');
    }
    raqib_store::audit::verify_reader(text.as_bytes(), "store").unwrap();
}

macro_rules! suite {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $(
                #[test]
                fn $case() {
                    let d = tempfile::tempdir().unwrap();
                    let s = raqib_store::embedded::EmbeddedStore::open(&d.path().join("raqib.redb")).unwrap();
                    super::$case(&s);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $case() {
                    let Some(s) = super::pg_store(stringify!($case)) else { return };
                    super::$case(&s);
                }
            )*
        }
    };
}

suite!(
    submit_assigns_increasing_seq_and_reads_back,
    submission_is_idempotent_by_client_id_and_key,
    repeats_inside_one_batch_are_stored_once,
    queue_orders_by_priority_then_age_and_filters,
    update_closes_reopens_and_writes_effects_atomically,
    audit_chain_verifies,
    deliveries_retry_die_and_come_back,
    tokens_by_hash_and_name,
    concurrent_submissions_lose_nothing,
);

/// A store in a fresh database named after the case; `None` (skipped, with a message)
/// when `RAQIB_TEST_PG` is unset outside CI. In CI an unset variable fails the test.
fn pg_store(case: &str) -> Option<raqib_store::pg::PgStore> {
    let Ok(url) = std::env::var("RAQIB_TEST_PG") else {
        if std::env::var_os("CI").is_some() {
            panic!("RAQIB_TEST_PG is not set: .ci/run must start PostgreSQL and set it");
        }
        eprintln!(
            "skipped: set RAQIB_TEST_PG=postgres://USER:PASS@HOST/DB to run the PostgreSQL backend"
        );
        return None;
    };
    let db = format!("raqib_test_{case}");
    let mut admin = ::postgres::Client::connect(&url, ::postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to RAQIB_TEST_PG: {e}"));
    admin
        .simple_query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .unwrap();
    admin
        .simple_query(&format!("CREATE DATABASE {db}"))
        .unwrap();
    let (base, _) = url.rsplit_once('/').expect("URL with a database");
    Some(raqib_store::pg::PgStore::connect(&format!("{base}/{db}")).unwrap())
}

mod queue_index {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        /// Whatever is submitted, reprioritised, closed and reopened, the queue is exactly
        /// the open items by priority (high first), then submission order.
        #[test]
        fn queue_equals_sorted_open_items(
            items in proptest::collection::vec((0u8..=100, any::<bool>()), 1..25),
            changes in proptest::collection::vec((0usize..25, 0u8..=100, any::<bool>()), 0..30),
        ) {
            let d = tempfile::tempdir().unwrap();
            let s = raqib_store::embedded::EmbeddedStore::open(&d.path().join("q.redb")).unwrap();
            let news: Vec<NewItem> = items.iter().enumerate().map(|(i, (p, open))| {
                let mut it = item("x", &i.to_string(), *p, None);
                it.state = if *open { State::Open } else { State::Closed };
                new(it)
            }).collect();
            s.submit(news).unwrap();
            for (i, p, open) in changes {
                let key = format!("post:x:{}", i % items.len());
                s.update(&key, &mut |it| {
                    it.priority = p;
                    it.state = if open { State::Open } else { State::Closed };
                    Ok(Effects::default())
                }).unwrap();
            }
            let mut all = s.items_after(0, 1000).unwrap();
            all.retain(|i| i.state == State::Open);
            all.sort_by_key(|i| (std::cmp::Reverse(i.priority), i.seq));
            let want: Vec<String> = all.into_iter().map(|i| i.key).collect();
            let got: Vec<String> = s.queue(&QueueFilter::default(), 1000).unwrap().into_iter().map(|i| i.key).collect();
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(s.counts().unwrap().open as usize, want.len());
        }
    }
}
