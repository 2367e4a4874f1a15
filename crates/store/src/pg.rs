//! The PostgreSQL store: state shared by several `raqib serve` processes. Records are
//! stored as JSON text beside the columns that queries order and filter by; every write
//! is one transaction; the audit chain is serialised by a transaction-level advisory lock.
//!
//! Connections come from a small pool. The `postgres` client runs its own runtime, so it
//! must be called from plain threads, never from inside an async task.

use std::sync::Mutex;

use postgres::{Client, NoTls, Transaction};

use crate::audit::{Entry, Record, GENESIS};
use crate::db::*;

/// Schema migrations, in order; the version is the position + 1.
const MIGRATIONS: &[&str] = &[
    // 1
    "CREATE TABLE raqib_items (
        key TEXT PRIMARY KEY,
        client_id TEXT UNIQUE,
        seq BIGINT NOT NULL UNIQUE,
        state TEXT NOT NULL,
        priority INT NOT NULL,
        body TEXT NOT NULL);
     CREATE SEQUENCE raqib_item_seq;
     CREATE INDEX raqib_items_queue ON raqib_items (priority DESC, seq) WHERE state = 'open';
     CREATE TABLE raqib_audit (seq BIGINT PRIMARY KEY, entry TEXT NOT NULL);
     CREATE TABLE raqib_deliveries (
        id BIGSERIAL PRIMARY KEY,
        state TEXT NOT NULL,
        next_at BIGINT NOT NULL,
        body TEXT NOT NULL);
     CREATE INDEX raqib_deliveries_due ON raqib_deliveries (next_at, id) WHERE state = 'pending';
     CREATE TABLE raqib_tokens (hash TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, body TEXT NOT NULL);",
];

/// Serialises appends to the audit chain across processes.
const AUDIT_LOCK: i64 = 0x7261_7169_625f_6175; // "raqib_au"
/// Serialises migrations across processes.
const MIGRATE_LOCK: i64 = 0x7261_7169_625f_6d69; // "raqib_mi"

pub struct PgStore {
    url: String,
    pool: Mutex<Vec<Client>>,
    shown: String,
}

fn be<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn pg(e: postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(d) => StoreError::Backend(format!("PostgreSQL: {}", d.message())),
        None => StoreError::Backend(format!("PostgreSQL: {e}")),
    }
}

fn state_str(s: State) -> &'static str {
    match s {
        State::Open => "open",
        State::Closed => "closed",
    }
}

fn delivery_state(s: DeliveryState) -> &'static str {
    match s {
        DeliveryState::Pending => "pending",
        DeliveryState::Delivered => "delivered",
        DeliveryState::Dead => "dead",
    }
}

fn text(v: &impl serde::Serialize) -> String {
    String::from_utf8(to_json(v)).expect("JSON is UTF-8")
}

impl PgStore {
    /// Connect and migrate. `url` is a libpq-style URL: `postgres://user:pass@host/db`.
    pub fn connect(url: &str) -> Result<PgStore> {
        let shown = match url.rsplit_once('@') {
            Some((_, host)) => format!("postgres {host}"),
            None => format!(
                "postgres {}",
                url.trim_start_matches("postgresql://")
                    .trim_start_matches("postgres://")
            ),
        };
        let s = PgStore {
            url: url.to_string(),
            pool: Mutex::new(Vec::new()),
            shown,
        };
        let mut c = s.client()?;
        s.migrate(&mut c)?;
        s.give_back(c);
        Ok(s)
    }

    fn client(&self) -> Result<Client> {
        if let Some(c) = self.pool.lock().expect("pool lock").pop() {
            if !c.is_closed() {
                return Ok(c);
            }
        }
        Client::connect(&self.url, NoTls).map_err(|e| {
            StoreError::Backend(format!(
                "cannot connect to {}: {e} (is PostgreSQL running, and the URL right?)",
                self.shown
            ))
        })
    }

    fn give_back(&self, c: Client) {
        let mut p = self.pool.lock().expect("pool lock");
        if p.len() < 16 && !c.is_closed() {
            p.push(c);
        }
    }

    /// Run `f` in a transaction on a pooled connection, committing when it returns `Ok`.
    fn tx<T>(&self, f: impl FnOnce(&mut Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut c = self.client()?;
        let r = (|| {
            let mut t = c.transaction().map_err(pg)?;
            let v = f(&mut t)?;
            t.commit().map_err(pg)?;
            Ok(v)
        })();
        self.give_back(c);
        r
    }

    fn migrate(&self, c: &mut Client) -> Result<()> {
        let mut t = c.transaction().map_err(pg)?;
        t.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
            .map_err(pg)?;
        t.batch_execute(
            "CREATE TABLE IF NOT EXISTS raqib_schema (version INT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .map_err(pg)?;
        let v: i32 = t
            .query_one("SELECT COALESCE(MAX(version), 0) FROM raqib_schema", &[])
            .map_err(pg)?
            .get(0);
        if v as u32 > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema { found: v as u32 });
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(v as usize) {
            t.batch_execute(m).map_err(pg)?;
            t.execute(
                "INSERT INTO raqib_schema (version) VALUES ($1)",
                &[&(i as i32 + 1)],
            )
            .map_err(pg)?;
        }
        t.commit().map_err(pg)
    }

    fn append_audit_tx(t: &mut Transaction<'_>, records: &[Record]) -> Result<Vec<Entry>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        t.execute("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK])
            .map_err(pg)?;
        let (seq, head) = match t
            .query_opt(
                "SELECT entry FROM raqib_audit ORDER BY seq DESC LIMIT 1",
                &[],
            )
            .map_err(pg)?
        {
            Some(row) => {
                let e: Entry = from_json(row.get::<_, &str>(0).as_bytes(), "audit entry")?;
                (e.seq, e.hash)
            }
            None => (0, GENESIS.to_string()),
        };
        let entries = chain(seq, head, records);
        for e in &entries {
            t.execute(
                "INSERT INTO raqib_audit (seq, entry) VALUES ($1, $2)",
                &[&(e.seq as i64), &text(e)],
            )
            .map_err(pg)?;
        }
        Ok(entries)
    }

    fn write_effects(
        t: &mut Transaction<'_>,
        audit: &[Record],
        deliveries: &[Delivery],
    ) -> Result<()> {
        Self::append_audit_tx(t, audit)?;
        for d in deliveries {
            let id: i64 = t
                .query_one("SELECT nextval('raqib_deliveries_id_seq')", &[])
                .map_err(pg)?
                .get(0);
            let mut d = d.clone();
            d.id = id as u64;
            t.execute(
                "INSERT INTO raqib_deliveries (id, state, next_at, body) VALUES ($1, $2, $3, $4)",
                &[&id, &delivery_state(d.state), &d.next_at, &text(&d)],
            )
            .map_err(pg)?;
        }
        Ok(())
    }

    /// An item from a row whose columns start with `body, seq`.
    fn item_from(row: &postgres::Row) -> Result<Item> {
        let mut i: Item = from_json(row.get::<_, &str>(0).as_bytes(), "item")?;
        i.seq = row.get::<_, i64>(1) as u64;
        Ok(i)
    }

    fn one_item(
        t: &mut impl postgres::GenericClient,
        sql: &str,
        arg: &str,
    ) -> Result<Option<Item>> {
        match t.query_opt(sql, &[&arg]).map_err(pg)? {
            Some(r) => Ok(Some(Self::item_from(&r)?)),
            None => Ok(None),
        }
    }

    fn delivery(t: &mut impl postgres::GenericClient, id: u64) -> Result<Option<Delivery>> {
        match t
            .query_opt(
                "SELECT body FROM raqib_deliveries WHERE id = $1 FOR UPDATE",
                &[&(id as i64)],
            )
            .map_err(pg)?
        {
            Some(r) => Ok(Some(from_json(r.get::<_, &str>(0).as_bytes(), "delivery")?)),
            None => Ok(None),
        }
    }

    fn put_delivery(t: &mut Transaction<'_>, d: &Delivery) -> Result<()> {
        t.execute(
            "UPDATE raqib_deliveries SET state = $2, next_at = $3, body = $4 WHERE id = $1",
            &[
                &(d.id as i64),
                &delivery_state(d.state),
                &d.next_at,
                &text(d),
            ],
        )
        .map_err(pg)?;
        Ok(())
    }

    /// Drop every raqib table (for tests that need an empty database).
    pub fn reset(url: &str) -> Result<()> {
        let mut c = Client::connect(url, NoTls).map_err(be)?;
        c.batch_execute(
            "DROP TABLE IF EXISTS raqib_items, raqib_audit, raqib_deliveries, raqib_tokens, raqib_schema;
             DROP SEQUENCE IF EXISTS raqib_item_seq;",
        )
        .map_err(pg)
    }
}

impl Store for PgStore {
    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn schema_version(&self) -> Result<u32> {
        self.tx(|t| {
            let v: i32 = t
                .query_one("SELECT COALESCE(MAX(version), 0) FROM raqib_schema", &[])
                .map_err(pg)?
                .get(0);
            Ok(v as u32)
        })
    }

    fn submit(&self, items: Vec<NewItem>) -> Result<Vec<Submitted>> {
        self.tx(|t| {
            let mut out = Vec::with_capacity(items.len());
            for NewItem {
                mut item,
                deliveries,
                audit,
                encoded,
                audit_fields: _,
            } in items
            {
                let seq: i64 = t
                    .query_one("SELECT nextval('raqib_item_seq')", &[])
                    .map_err(pg)?
                    .get(0);
                let body = match encoded {
                    Some(e) => String::from_utf8(e).expect("JSON is UTF-8"),
                    None => String::from_utf8(encode_item(&item)).expect("JSON is UTF-8"),
                };
                item.seq = seq as u64;
                let inserted = t
                    .execute(
                        "INSERT INTO raqib_items (key, client_id, seq, state, priority, body)
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                        &[
                            &item.key,
                            &item.client_id,
                            &seq,
                            &state_str(item.state),
                            &(item.priority as i32),
                            &body,
                        ],
                    )
                    .map_err(pg)?;
                if inserted == 1 {
                    Self::write_effects(t, &audit, &deliveries)?;
                    out.push(Submitted { item, new: true });
                    continue;
                }
                let existing = match &item.client_id {
                    Some(c) => Self::one_item(
                        t,
                        "SELECT body, seq FROM raqib_items WHERE client_id = $1",
                        c,
                    )?,
                    None => None,
                };
                let existing = match existing {
                    Some(e) => e,
                    None => Self::one_item(
                        t,
                        "SELECT body, seq FROM raqib_items WHERE key = $1",
                        &item.key,
                    )?
                    .ok_or_else(|| StoreError::Backend("insert conflicted with no row".into()))?,
                };
                out.push(Submitted {
                    item: existing,
                    new: false,
                });
            }
            Ok(out)
        })
    }

    fn get(&self, key: &str) -> Result<Option<Item>> {
        self.tx(|t| Self::one_item(t, "SELECT body, seq FROM raqib_items WHERE key = $1", key))
    }

    fn by_client_id(&self, client_id: &str) -> Result<Option<Item>> {
        self.tx(|t| {
            Self::one_item(
                t,
                "SELECT body, seq FROM raqib_items WHERE client_id = $1",
                client_id,
            )
        })
    }

    fn queue(&self, filter: &QueueFilter, limit: usize) -> Result<Vec<Item>> {
        self.tx(|t| {
            let mut out = Vec::new();
            // Page through the queue index, filtering in Rust, until `limit` match.
            let (mut after_prio, mut after_seq) = (i32::MAX, 0i64);
            loop {
                let rows = t
                    .query(
                        "SELECT body, seq, priority FROM raqib_items WHERE state = 'open'
                         AND (priority < $1 OR (priority = $1 AND seq > $2))
                         ORDER BY priority DESC, seq LIMIT 500",
                        &[&after_prio, &after_seq],
                    )
                    .map_err(pg)?;
                let n = rows.len();
                for r in &rows {
                    after_seq = r.get(1);
                    after_prio = r.get(2);
                    let i = Self::item_from(r)?;
                    if filter.matches(&i) {
                        out.push(i);
                        if out.len() >= limit {
                            return Ok(out);
                        }
                    }
                }
                if n < 500 {
                    return Ok(out);
                }
            }
        })
    }

    fn items_after(&self, after: u64, limit: usize) -> Result<Vec<Item>> {
        self.tx(|t| {
            let rows = t
                .query(
                    "SELECT body, seq FROM raqib_items WHERE seq > $1 ORDER BY seq LIMIT $2",
                    &[
                        &(after.min(i64::MAX as u64) as i64),
                        &(limit.min(i64::MAX as usize) as i64),
                    ],
                )
                .map_err(pg)?;
            rows.iter().map(Self::item_from).collect()
        })
    }

    fn update(&self, key: &str, change: Change<'_>) -> Result<Item> {
        self.tx(|t| {
            let old = Self::one_item(
                t,
                "SELECT body, seq FROM raqib_items WHERE key = $1 FOR UPDATE",
                key,
            )?
            .ok_or_else(|| StoreError::NotFound(key.to_string()))?;
            let mut item = old.clone();
            let effects = change(&mut item).map_err(StoreError::Conflict)?;
            if item.key != old.key || item.seq != old.seq {
                return Err(StoreError::Conflict(
                    "an item's key and seq do not change".into(),
                ));
            }
            t.execute(
                "UPDATE raqib_items SET state = $2, priority = $3, body = $4 WHERE key = $1",
                &[
                    &key,
                    &state_str(item.state),
                    &(item.priority as i32),
                    &String::from_utf8(encode_item(&item)).expect("JSON is UTF-8"),
                ],
            )
            .map_err(pg)?;
            Self::write_effects(t, &effects.audit, &effects.deliveries)?;
            Ok(item)
        })
    }

    fn append_audit(&self, records: &[Record]) -> Result<Vec<Entry>> {
        self.tx(|t| Self::append_audit_tx(t, records))
    }

    fn audit_after(&self, after: u64, limit: usize) -> Result<Vec<Entry>> {
        self.tx(|t| {
            let rows = t
                .query(
                    "SELECT entry FROM raqib_audit WHERE seq > $1 ORDER BY seq LIMIT $2",
                    &[
                        &(after.min(i64::MAX as u64) as i64),
                        &(limit.min(i64::MAX as usize) as i64),
                    ],
                )
                .map_err(pg)?;
            rows.iter()
                .map(|r| from_json(r.get::<_, &str>(0).as_bytes(), "audit entry"))
                .collect()
        })
    }

    fn due_deliveries(&self, now: i64, limit: usize) -> Result<Vec<Delivery>> {
        self.tx(|t| {
            let rows = t
                .query(
                    "SELECT body FROM raqib_deliveries WHERE state = 'pending' AND next_at <= $1
                     ORDER BY next_at, id LIMIT $2",
                    &[&now, &(limit.min(i64::MAX as usize) as i64)],
                )
                .map_err(pg)?;
            rows.iter()
                .map(|r| from_json(r.get::<_, &str>(0).as_bytes(), "delivery"))
                .collect()
        })
    }

    fn record_attempt(&self, id: u64, attempt: Attempt) -> Result<()> {
        self.tx(|t| {
            let mut d = Self::delivery(t, id)?
                .ok_or_else(|| StoreError::NotFound(format!("delivery {id}")))?;
            d.attempts += 1;
            match attempt {
                Attempt::Delivered => {
                    d.state = DeliveryState::Delivered;
                    d.last_error = None;
                }
                Attempt::Retry { next_at, error } => {
                    d.state = DeliveryState::Pending;
                    d.next_at = next_at;
                    d.last_error = Some(error);
                }
                Attempt::Dead { error } => {
                    d.state = DeliveryState::Dead;
                    d.last_error = Some(error);
                }
            }
            Self::put_delivery(t, &d)
        })
    }

    fn dead_letters(&self, limit: usize) -> Result<Vec<Delivery>> {
        self.tx(|t| {
            let rows = t
                .query(
                    "SELECT body FROM raqib_deliveries WHERE state = 'dead' ORDER BY id LIMIT $1",
                    &[&(limit.min(i64::MAX as usize) as i64)],
                )
                .map_err(pg)?;
            rows.iter()
                .map(|r| from_json(r.get::<_, &str>(0).as_bytes(), "delivery"))
                .collect()
        })
    }

    fn retry_dead_letter(&self, id: u64, now: i64) -> Result<bool> {
        self.tx(|t| {
            let Some(mut d) = Self::delivery(t, id)? else {
                return Ok(false);
            };
            if d.state != DeliveryState::Dead {
                return Ok(false);
            }
            d.state = DeliveryState::Pending;
            d.next_at = now;
            Self::put_delivery(t, &d)?;
            Ok(true)
        })
    }

    fn put_token(&self, token: &Token) -> Result<()> {
        self.tx(|t| {
            t.execute("DELETE FROM raqib_tokens WHERE name = $1", &[&token.name])
                .map_err(pg)?;
            t.execute(
                "INSERT INTO raqib_tokens (hash, name, body) VALUES ($1, $2, $3)",
                &[&token.hash, &token.name, &text(token)],
            )
            .map_err(pg)?;
            Ok(())
        })
    }

    fn token(&self, hash: &str) -> Result<Option<Token>> {
        self.tx(|t| {
            match t
                .query_opt("SELECT body FROM raqib_tokens WHERE hash = $1", &[&hash])
                .map_err(pg)?
            {
                Some(r) => Ok(Some(from_json(r.get::<_, &str>(0).as_bytes(), "token")?)),
                None => Ok(None),
            }
        })
    }

    fn tokens(&self) -> Result<Vec<Token>> {
        self.tx(|t| {
            let rows = t
                .query("SELECT body FROM raqib_tokens ORDER BY name", &[])
                .map_err(pg)?;
            rows.iter()
                .map(|r| from_json(r.get::<_, &str>(0).as_bytes(), "token"))
                .collect()
        })
    }

    fn revoke_token(&self, name: &str) -> Result<bool> {
        self.tx(|t| {
            Ok(
                t.execute("DELETE FROM raqib_tokens WHERE name = $1", &[&name])
                    .map_err(pg)?
                    > 0,
            )
        })
    }

    fn counts(&self) -> Result<Counts> {
        self.tx(|t| {
            let n = |t: &mut Transaction<'_>, sql: &str| -> Result<u64> {
                Ok(t.query_one(sql, &[]).map_err(pg)?.get::<_, i64>(0) as u64)
            };
            Ok(Counts {
                items: n(t, "SELECT count(*) FROM raqib_items")?,
                open: n(t, "SELECT count(*) FROM raqib_items WHERE state = 'open'")?,
                audit_entries: n(t, "SELECT count(*) FROM raqib_audit")?,
                deliveries_pending: n(
                    t,
                    "SELECT count(*) FROM raqib_deliveries WHERE state = 'pending'",
                )?,
                dead_letters: n(
                    t,
                    "SELECT count(*) FROM raqib_deliveries WHERE state = 'dead'",
                )?,
            })
        })
    }
}
