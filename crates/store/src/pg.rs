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

    /// Run `f` on a pooled connection outside a transaction (reads: one round trip each).
    fn read<T>(&self, f: impl FnOnce(&mut Client) -> Result<T>) -> Result<T> {
        let mut c = self.client()?;
        let r = f(&mut c);
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
        let fields: Vec<String> = records.iter().map(record_fields).collect();
        Self::append_fields_tx(t, &fields)?;
        // The entries just written, read back in the same transaction.
        let n = records.len() as i64;
        let rows = t
            .query(
                "SELECT entry FROM (SELECT seq, entry FROM raqib_audit ORDER BY seq DESC LIMIT $1) e ORDER BY seq",
                &[&n],
            )
            .map_err(pg)?;
        rows.iter()
            .map(|r| from_json(r.get::<_, &str>(0).as_bytes(), "audit entry"))
            .collect()
    }

    fn write_effects(
        t: &mut Transaction<'_>,
        audit: &[Record],
        deliveries: &[Delivery],
    ) -> Result<()> {
        let fields: Vec<String> = audit.iter().map(record_fields).collect();
        Self::append_fields_tx(t, &fields)?;
        Self::insert_deliveries(t, deliveries)
    }

    /// Append audit records given as [`record_fields`], in one statement.
    fn append_fields_tx(t: &mut Transaction<'_>, fields: &[String]) -> Result<()> {
        if fields.is_empty() {
            return Ok(());
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
        let (seqs, texts): (Vec<i64>, Vec<String>) = chain_fields(seq, head, fields)
            .into_iter()
            .map(|(s, t)| (s as i64, t))
            .unzip();
        t.execute(
            "INSERT INTO raqib_audit (seq, entry) SELECT * FROM unnest($1::bigint[], $2::text[])",
            &[&seqs, &texts],
        )
        .map_err(pg)?;
        Ok(())
    }

    /// Insert deliveries (ids assigned here), in one statement.
    fn insert_deliveries(t: &mut Transaction<'_>, deliveries: &[Delivery]) -> Result<()> {
        if deliveries.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = t
            .query(
                "SELECT nextval('raqib_deliveries_id_seq') FROM generate_series(1, $1::bigint)",
                &[&(deliveries.len() as i64)],
            )
            .map_err(pg)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut states = Vec::with_capacity(ids.len());
        let mut next = Vec::with_capacity(ids.len());
        let mut bodies = Vec::with_capacity(ids.len());
        for (d, id) in deliveries.iter().zip(&ids) {
            let mut d = d.clone();
            d.id = *id as u64;
            states.push(delivery_state(d.state));
            next.push(d.next_at);
            bodies.push(text(&d));
        }
        t.execute(
            "INSERT INTO raqib_deliveries (id, state, next_at, body)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[])",
            &[&ids, &states, &next, &bodies],
        )
        .map_err(pg)?;
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
        self.read(|t| {
            let v: i32 = t
                .query_one("SELECT COALESCE(MAX(version), 0) FROM raqib_schema", &[])
                .map_err(pg)?
                .get(0);
            Ok(v as u32)
        })
    }

    fn submit(&self, items: Vec<NewItem>) -> Result<Vec<Submitted>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        self.tx(|t| {
            // A fixed number of round trips per batch, whatever its size.
            let n = items.len();
            let seqs: Vec<i64> = t
                .query(
                    "SELECT nextval('raqib_item_seq') FROM generate_series(1, $1::bigint)",
                    &[&(n as i64)],
                )
                .map_err(pg)?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let mut keys = Vec::with_capacity(n);
            let mut cids: Vec<Option<String>> = Vec::with_capacity(n);
            let mut states = Vec::with_capacity(n);
            let mut prios = Vec::with_capacity(n);
            let mut bodies = Vec::with_capacity(n);
            for ni in &items {
                keys.push(ni.item.key.clone());
                cids.push(ni.item.client_id.clone());
                states.push(state_str(ni.item.state));
                prios.push(ni.item.priority as i32);
                bodies.push(match &ni.encoded {
                    Some(e) => String::from_utf8(e.clone()).expect("JSON is UTF-8"),
                    None => String::from_utf8(encode_item(&ni.item)).expect("JSON is UTF-8"),
                });
            }
            // Rows that conflict with a stored key or client id, or with an earlier row of
            // the batch, are skipped.
            let inserted: std::collections::HashSet<i64> = t
                .query(
                    "INSERT INTO raqib_items (key, client_id, seq, state, priority, body)
                     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::int[], $6::text[])
                     ON CONFLICT DO NOTHING RETURNING seq",
                    &[&keys, &cids, &seqs, &states, &prios, &bodies],
                )
                .map_err(pg)?
                .iter()
                .map(|r| r.get::<_, i64>(0))
                .collect();
            let mut out = Vec::with_capacity(n);
            let mut fields = Vec::new();
            let mut deliveries_all = Vec::new();
            let mut missing = Vec::new();
            for (i, ni) in items.into_iter().enumerate() {
                let NewItem {
                    mut item,
                    deliveries,
                    audit,
                    audit_fields,
                    ..
                } = ni;
                if inserted.contains(&seqs[i]) {
                    item.seq = seqs[i] as u64;
                    match audit_fields {
                        Some(f) if f.len() == audit.len() => fields.extend(f),
                        _ => fields.extend(audit.iter().map(record_fields)),
                    }
                    deliveries_all.extend(deliveries);
                    out.push(Some(Submitted { item, new: true }));
                } else {
                    missing.push((i, item));
                    out.push(None);
                }
            }
            if !missing.is_empty() {
                let ks: Vec<&str> = missing.iter().map(|(_, it)| it.key.as_str()).collect();
                let cs: Vec<&str> = missing
                    .iter()
                    .filter_map(|(_, it)| it.client_id.as_deref())
                    .collect();
                let rows = t
                    .query(
                        "SELECT body, seq, key, client_id FROM raqib_items
                         WHERE key = ANY($1) OR client_id = ANY($2)",
                        &[&ks, &cs],
                    )
                    .map_err(pg)?;
                let mut by_key = std::collections::HashMap::new();
                let mut by_cid = std::collections::HashMap::new();
                for r in &rows {
                    let it = Self::item_from(r)?;
                    if let Some(c) = r.get::<_, Option<String>>(3) {
                        by_cid.insert(c, it.clone());
                    }
                    by_key.insert(r.get::<_, String>(2), it);
                }
                for (i, it) in missing {
                    let found = it
                        .client_id
                        .as_ref()
                        .and_then(|c| by_cid.get(c))
                        .or_else(|| by_key.get(&it.key))
                        .or_else(|| {
                            // An earlier row of this batch with the same key or client id.
                            out[..i].iter().flatten().map(|s| &s.item).find(|e| {
                                e.key == it.key
                                    || (it.client_id.is_some() && e.client_id == it.client_id)
                            })
                        })
                        .cloned()
                        .ok_or_else(|| {
                            StoreError::Backend(format!("{}: insert conflicted with no row", it.key))
                        })?;
                    out[i] = Some(Submitted {
                        item: found,
                        new: false,
                    });
                }
            }
            Self::append_fields_tx(t, &fields)?;
            Self::insert_deliveries(t, &deliveries_all)?;
            Ok(out.into_iter().map(|o| o.expect("every row answered")).collect())
        })
    }

    fn get(&self, key: &str) -> Result<Option<Item>> {
        self.read(|t| Self::one_item(t, "SELECT body, seq FROM raqib_items WHERE key = $1", key))
    }

    fn by_client_id(&self, client_id: &str) -> Result<Option<Item>> {
        self.read(|t| {
            Self::one_item(
                t,
                "SELECT body, seq FROM raqib_items WHERE client_id = $1",
                client_id,
            )
        })
    }

    fn queue(&self, filter: &QueueFilter, limit: usize) -> Result<Vec<Item>> {
        self.read(|t| {
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
        self.read(|t| {
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
            let (item, effects) = apply_change(&old, change)?;
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
        self.read(|t| {
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
        self.read(|t| {
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
            d.record(attempt);
            Self::put_delivery(t, &d)
        })
    }

    fn dead_letters(&self, limit: usize) -> Result<Vec<Delivery>> {
        self.read(|t| {
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
        self.read(|t| {
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
        self.read(|t| {
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
        self.read(|t| {
            let n = |t: &mut Client, sql: &str| -> Result<u64> {
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
