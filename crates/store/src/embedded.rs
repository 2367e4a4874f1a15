//! The embedded store: one redb file, no set-up. Every write transaction is committed
//! with redb's default durability (fsync before `commit` returns).

use std::path::{Path, PathBuf};

use redb::{
    Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
    WriteTransaction,
};

use crate::audit::{Entry, Record, GENESIS};
use crate::db::*;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Item records by seq (JSON without `seq`): appended in order, so a commit touches few pages.
const ITEMS: TableDefinition<u64, &[u8]> = TableDefinition::new("items");
/// Item key → seq.
const KEYS: TableDefinition<&str, u64> = TableDefinition::new("item_keys");
/// Client id → seq.
const CLIENT_IDS: TableDefinition<&str, u64> = TableDefinition::new("client_ids");
/// Open items: (255 − priority, seq).
const QUEUE: TableDefinition<(u8, u64), ()> = TableDefinition::new("queue");
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
const DELIVERIES: TableDefinition<u64, &[u8]> = TableDefinition::new("deliveries");
/// Pending deliveries: (next_at, id).
const DUE: TableDefinition<(i64, u64), ()> = TableDefinition::new("deliveries_due");
const DEAD: TableDefinition<u64, ()> = TableDefinition::new("dead_letters");
const TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("tokens");

pub struct EmbeddedStore {
    db: Database,
    path: PathBuf,
}

fn be<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn meta_u64(t: &impl ReadableTable<&'static str, &'static [u8]>, k: &str) -> Result<u64> {
    Ok(match t.get(k).map_err(be)? {
        Some(v) => {
            let b = v.value();
            u64::from_le_bytes(
                b.try_into()
                    .map_err(|_| StoreError::Corrupt(format!("meta {k}")))?,
            )
        }
        None => 0,
    })
}

fn queue_key(i: &Item) -> (u8, u64) {
    (255 - i.priority, i.seq)
}

/// The store's own page cache.
const CACHE_BYTES: usize = 64 << 20;

impl EmbeddedStore {
    /// Open the store at `path` (a file; its folder is created when missing), creating
    /// or migrating the schema.
    pub fn open(path: &Path) -> Result<EmbeddedStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Backend(format!("{}: {e}", dir.display())))?;
        }
        // redb's default page cache is 1 GiB, which a busy server fills within a minute
        // (RSS 1.3 GB after a million posts, and the page faults of growing it); 64 MiB
        // holds the trees' upper levels, and reads past it come from the OS's file cache.
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| {
                StoreError::Backend(format!(
                    "{}: {e} (is another raqib serve using this store?)",
                    path.display()
                ))
            })?;
        let s = EmbeddedStore {
            db,
            path: path.to_path_buf(),
        };
        s.migrate()?;
        Ok(s)
    }

    fn migrate(&self) -> Result<()> {
        let tx = self.db.begin_write().map_err(be)?;
        {
            let mut meta = tx.open_table(META).map_err(be)?;
            let v = meta_u64(&meta, "schema_version")? as u32;
            if v > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema { found: v });
            }
            // Version 1: every table. Later versions add steps here, in order.
            if v < 1 {
                tx.open_table(ITEMS).map_err(be)?;
                tx.open_table(KEYS).map_err(be)?;
                tx.open_table(CLIENT_IDS).map_err(be)?;
                tx.open_table(QUEUE).map_err(be)?;
                tx.open_table(AUDIT).map_err(be)?;
                tx.open_table(DELIVERIES).map_err(be)?;
                tx.open_table(DUE).map_err(be)?;
                tx.open_table(DEAD).map_err(be)?;
                tx.open_table(TOKENS).map_err(be)?;
            }
            meta.insert("schema_version", &(SCHEMA_VERSION as u64).to_le_bytes()[..])
                .map_err(be)?;
        }
        tx.commit().map_err(be)
    }

    fn put_item(tx: &WriteTransaction, old: Option<&Item>, item: &Item) -> Result<()> {
        let mut queue = tx.open_table(QUEUE).map_err(be)?;
        if let Some(o) = old.filter(|o| o.state == State::Open) {
            queue.remove(queue_key(o)).map_err(be)?;
        }
        if item.state == State::Open {
            queue.insert(queue_key(item), ()).map_err(be)?;
        }
        let mut items = tx.open_table(ITEMS).map_err(be)?;
        items
            .insert(item.seq, encode_item(item).as_slice())
            .map_err(be)?;
        Ok(())
    }

    fn write_effects(
        tx: &WriteTransaction,
        audit: &[Record],
        deliveries: &[Delivery],
    ) -> Result<()> {
        if !audit.is_empty() {
            Self::append_audit_tx(tx, audit)?;
        }
        Self::write_deliveries(tx, deliveries)
    }

    /// Append audit records given as [`record_fields`].
    fn append_fields_tx(tx: &WriteTransaction, fields: &[String]) -> Result<()> {
        if fields.is_empty() {
            return Ok(());
        }
        let mut audit = tx.open_table(AUDIT).map_err(be)?;
        let (seq, head) = match audit.last().map_err(be)? {
            Some((k, v)) => {
                let e: Entry = from_json(v.value(), "audit entry")?;
                (k.value(), e.hash)
            }
            None => (0, GENESIS.to_string()),
        };
        for (seq, text) in chain_fields(seq, head, fields) {
            audit.insert(seq, text.as_bytes()).map_err(be)?;
        }
        Ok(())
    }

    fn write_deliveries(tx: &WriteTransaction, deliveries: &[Delivery]) -> Result<()> {
        if deliveries.is_empty() {
            return Ok(());
        }
        let mut meta = tx.open_table(META).map_err(be)?;
        let mut id = meta_u64(&meta, "delivery_seq")?;
        let mut all = tx.open_table(DELIVERIES).map_err(be)?;
        let mut due = tx.open_table(DUE).map_err(be)?;
        let mut dead = tx.open_table(DEAD).map_err(be)?;
        for d in deliveries {
            let mut d = d.clone();
            id += 1;
            d.id = id;
            all.insert(d.id, to_json(&d).as_slice()).map_err(be)?;
            match d.state {
                DeliveryState::Pending => {
                    due.insert((d.next_at, d.id), ()).map_err(be)?;
                }
                DeliveryState::Dead => {
                    dead.insert(d.id, ()).map_err(be)?;
                }
                DeliveryState::Delivered => {}
            }
        }
        meta.insert("delivery_seq", &id.to_le_bytes()[..])
            .map_err(be)?;
        Ok(())
    }

    fn append_audit_tx(tx: &WriteTransaction, records: &[Record]) -> Result<Vec<Entry>> {
        let mut audit = tx.open_table(AUDIT).map_err(be)?;
        let (seq, head) = match audit.last().map_err(be)? {
            Some((k, v)) => {
                let e: Entry = from_json(v.value(), "audit entry")?;
                (k.value(), e.hash)
            }
            None => (0, GENESIS.to_string()),
        };
        let entries = chain(seq, head, records);
        for e in &entries {
            audit.insert(e.seq, to_json(e).as_slice()).map_err(be)?;
        }
        Ok(entries)
    }

    fn decode(seq: u64, b: &[u8]) -> Result<Item> {
        let mut i: Item = from_json(b, "item")?;
        i.seq = seq;
        Ok(i)
    }

    fn item_at(t: &impl ReadableTable<u64, &'static [u8]>, seq: u64) -> Result<Option<Item>> {
        match t.get(seq).map_err(be)? {
            Some(v) => Ok(Some(Self::decode(seq, v.value())?)),
            None => Ok(None),
        }
    }

    fn seq_of(t: &impl ReadableTable<&'static str, u64>, key: &str) -> Result<Option<u64>> {
        Ok(t.get(key).map_err(be)?.map(|v| v.value()))
    }
}

impl Store for EmbeddedStore {
    fn describe(&self) -> String {
        format!("embedded {}", self.path.display())
    }

    fn schema_version(&self) -> Result<u32> {
        let tx = self.db.begin_read().map_err(be)?;
        let meta = tx.open_table(META).map_err(be)?;
        Ok(meta_u64(&meta, "schema_version")? as u32)
    }

    fn submit(&self, items: Vec<NewItem>) -> Result<Vec<Submitted>> {
        let tx = self.db.begin_write().map_err(be)?;
        let mut out = Vec::with_capacity(items.len());
        let mut audit_all = Vec::new();
        let mut deliveries_all = Vec::new();
        {
            // Each table opened once for the whole batch.
            let mut meta = tx.open_table(META).map_err(be)?;
            let mut seq = meta_u64(&meta, "item_seq")?;
            let mut clients = tx.open_table(CLIENT_IDS).map_err(be)?;
            let mut keys = tx.open_table(KEYS).map_err(be)?;
            let mut table = tx.open_table(ITEMS).map_err(be)?;
            let mut queue = tx.open_table(QUEUE).map_err(be)?;
            for NewItem {
                mut item,
                deliveries,
                audit,
                encoded,
                audit_fields,
            } in items
            {
                let earlier = match &item.client_id {
                    Some(c) => Self::seq_of(&clients, c)?,
                    None => None,
                };
                let earlier = match earlier {
                    Some(s) => Some(s),
                    None => Self::seq_of(&keys, &item.key)?,
                };
                if let Some(e) = earlier {
                    let e = Self::item_at(&table, e)?.ok_or_else(|| {
                        StoreError::Corrupt(format!("{}: index without record", item.key))
                    })?;
                    out.push(Submitted {
                        item: e,
                        new: false,
                    });
                    continue;
                }
                seq += 1;
                item.seq = seq;
                if let Some(c) = &item.client_id {
                    clients.insert(c.as_str(), seq).map_err(be)?;
                }
                keys.insert(item.key.as_str(), seq).map_err(be)?;
                if item.state == State::Open {
                    queue.insert(queue_key(&item), ()).map_err(be)?;
                }
                let json = match encoded {
                    Some(e) => e,
                    None => encode_item(&item),
                };
                table.insert(seq, json.as_slice()).map_err(be)?;
                // Made by the caller when they still describe `audit` (a caller may have
                // changed `audit` after `encode`).
                match audit_fields {
                    Some(f) if f.len() == audit.len() => audit_all.extend(f),
                    _ => audit_all.extend(audit.iter().map(record_fields)),
                }
                deliveries_all.extend(deliveries);
                out.push(Submitted { item, new: true });
            }
            meta.insert("item_seq", &seq.to_le_bytes()[..])
                .map_err(be)?;
        }
        Self::append_fields_tx(&tx, &audit_all)?;
        Self::write_deliveries(&tx, &deliveries_all)?;
        tx.commit().map_err(be)?;
        Ok(out)
    }

    fn get(&self, key: &str) -> Result<Option<Item>> {
        let tx = self.db.begin_read().map_err(be)?;
        match Self::seq_of(&tx.open_table(KEYS).map_err(be)?, key)? {
            Some(seq) => Self::item_at(&tx.open_table(ITEMS).map_err(be)?, seq),
            None => Ok(None),
        }
    }

    fn by_client_id(&self, client_id: &str) -> Result<Option<Item>> {
        let tx = self.db.begin_read().map_err(be)?;
        match Self::seq_of(&tx.open_table(CLIENT_IDS).map_err(be)?, client_id)? {
            Some(seq) => Self::item_at(&tx.open_table(ITEMS).map_err(be)?, seq),
            None => Ok(None),
        }
    }

    fn queue(&self, filter: &QueueFilter, limit: usize) -> Result<Vec<Item>> {
        let tx = self.db.begin_read().map_err(be)?;
        let queue = tx.open_table(QUEUE).map_err(be)?;
        let items = tx.open_table(ITEMS).map_err(be)?;
        let mut out = Vec::new();
        for kv in queue.iter().map_err(be)? {
            if out.len() >= limit {
                break;
            }
            let (k, _) = kv.map_err(be)?;
            if let Some(i) = Self::item_at(&items, k.value().1)? {
                if filter.matches(&i) {
                    out.push(i);
                }
            }
        }
        Ok(out)
    }

    fn items_after(&self, after: u64, limit: usize) -> Result<Vec<Item>> {
        let tx = self.db.begin_read().map_err(be)?;
        let items = tx.open_table(ITEMS).map_err(be)?;
        let mut out = Vec::new();
        for kv in items
            .range(after.saturating_add(1)..)
            .map_err(be)?
            .take(limit)
        {
            let (k, v) = kv.map_err(be)?;
            out.push(Self::decode(k.value(), v.value())?);
        }
        Ok(out)
    }

    fn update(&self, key: &str, change: Change<'_>) -> Result<Item> {
        let tx = self.db.begin_write().map_err(be)?;
        let seq = Self::seq_of(&tx.open_table(KEYS).map_err(be)?, key)?
            .ok_or_else(|| StoreError::NotFound(key.to_string()))?;
        let old = Self::item_at(&tx.open_table(ITEMS).map_err(be)?, seq)?
            .ok_or_else(|| StoreError::Corrupt(format!("{key}: index without record")))?;
        let (item, effects) = apply_change(&old, change)?;
        Self::put_item(&tx, Some(&old), &item)?;
        Self::write_effects(&tx, &effects.audit, &effects.deliveries)?;
        tx.commit().map_err(be)?;
        Ok(item)
    }

    fn append_audit(&self, records: &[Record]) -> Result<Vec<Entry>> {
        let tx = self.db.begin_write().map_err(be)?;
        let entries = Self::append_audit_tx(&tx, records)?;
        tx.commit().map_err(be)?;
        Ok(entries)
    }

    fn audit_after(&self, after: u64, limit: usize) -> Result<Vec<Entry>> {
        let tx = self.db.begin_read().map_err(be)?;
        let audit = tx.open_table(AUDIT).map_err(be)?;
        let mut out = Vec::new();
        for kv in audit
            .range(after.saturating_add(1)..)
            .map_err(be)?
            .take(limit)
        {
            let (_, v) = kv.map_err(be)?;
            out.push(from_json(v.value(), "audit entry")?);
        }
        Ok(out)
    }

    fn due_deliveries(&self, now: i64, limit: usize) -> Result<Vec<Delivery>> {
        let tx = self.db.begin_read().map_err(be)?;
        let due = tx.open_table(DUE).map_err(be)?;
        let all = tx.open_table(DELIVERIES).map_err(be)?;
        let mut out = Vec::new();
        for kv in due.range(..=(now, u64::MAX)).map_err(be)?.take(limit) {
            let (k, _) = kv.map_err(be)?;
            let id = k.value().1;
            if let Some(v) = all.get(id).map_err(be)? {
                out.push(from_json(v.value(), "delivery")?);
            }
        }
        Ok(out)
    }

    fn record_attempt(&self, id: u64, attempt: Attempt) -> Result<()> {
        let tx = self.db.begin_write().map_err(be)?;
        {
            let mut all = tx.open_table(DELIVERIES).map_err(be)?;
            let mut d: Delivery = match all.get(id).map_err(be)? {
                Some(v) => from_json(v.value(), "delivery")?,
                None => return Err(StoreError::NotFound(format!("delivery {id}"))),
            };
            let mut due = tx.open_table(DUE).map_err(be)?;
            if d.state == DeliveryState::Pending {
                due.remove((d.next_at, d.id)).map_err(be)?;
            }
            d.record(attempt);
            match d.state {
                DeliveryState::Pending => {
                    due.insert((d.next_at, d.id), ()).map_err(be)?;
                }
                DeliveryState::Dead => {
                    tx.open_table(DEAD)
                        .map_err(be)?
                        .insert(d.id, ())
                        .map_err(be)?;
                }
                DeliveryState::Delivered => {}
            }
            all.insert(id, to_json(&d).as_slice()).map_err(be)?;
        }
        tx.commit().map_err(be)
    }

    fn dead_letters(&self, limit: usize) -> Result<Vec<Delivery>> {
        let tx = self.db.begin_read().map_err(be)?;
        let dead = tx.open_table(DEAD).map_err(be)?;
        let all = tx.open_table(DELIVERIES).map_err(be)?;
        let mut out = Vec::new();
        for kv in dead.iter().map_err(be)?.take(limit) {
            let (k, _) = kv.map_err(be)?;
            if let Some(v) = all.get(k.value()).map_err(be)? {
                out.push(from_json(v.value(), "delivery")?);
            }
        }
        Ok(out)
    }

    fn retry_dead_letter(&self, id: u64, now: i64) -> Result<bool> {
        let tx = self.db.begin_write().map_err(be)?;
        {
            let mut dead = tx.open_table(DEAD).map_err(be)?;
            if dead.remove(id).map_err(be)?.is_none() {
                return Ok(false);
            }
            let mut all = tx.open_table(DELIVERIES).map_err(be)?;
            let mut d: Delivery = match all.get(id).map_err(be)? {
                Some(v) => from_json(v.value(), "delivery")?,
                None => return Ok(false),
            };
            d.state = DeliveryState::Pending;
            d.next_at = now;
            all.insert(id, to_json(&d).as_slice()).map_err(be)?;
            tx.open_table(DUE)
                .map_err(be)?
                .insert((now, id), ())
                .map_err(be)?;
        }
        tx.commit().map_err(be)?;
        Ok(true)
    }

    fn put_token(&self, token: &Token) -> Result<()> {
        let tx = self.db.begin_write().map_err(be)?;
        {
            let mut t = tx.open_table(TOKENS).map_err(be)?;
            let mut same_name = Vec::new();
            for kv in t.iter().map_err(be)? {
                let (k, v) = kv.map_err(be)?;
                let old: Token = from_json(v.value(), "token")?;
                if old.name == token.name {
                    same_name.push(k.value().to_string());
                }
            }
            for k in same_name {
                t.remove(k.as_str()).map_err(be)?;
            }
            t.insert(token.hash.as_str(), to_json(token).as_slice())
                .map_err(be)?;
        }
        tx.commit().map_err(be)
    }

    fn token(&self, hash: &str) -> Result<Option<Token>> {
        let tx = self.db.begin_read().map_err(be)?;
        let t = tx.open_table(TOKENS).map_err(be)?;
        match t.get(hash).map_err(be)? {
            Some(v) => Ok(Some(from_json(v.value(), "token")?)),
            None => Ok(None),
        }
    }

    fn tokens(&self) -> Result<Vec<Token>> {
        let tx = self.db.begin_read().map_err(be)?;
        let t = tx.open_table(TOKENS).map_err(be)?;
        let mut out: Vec<Token> = Vec::new();
        for kv in t.iter().map_err(be)? {
            out.push(from_json(kv.map_err(be)?.1.value(), "token")?);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn revoke_token(&self, name: &str) -> Result<bool> {
        let tx = self.db.begin_write().map_err(be)?;
        let mut found = false;
        {
            let mut t = tx.open_table(TOKENS).map_err(be)?;
            let mut keys = Vec::new();
            for kv in t.iter().map_err(be)? {
                let (k, v) = kv.map_err(be)?;
                if from_json::<Token>(v.value(), "token")?.name == name {
                    keys.push(k.value().to_string());
                }
            }
            for k in keys {
                t.remove(k.as_str()).map_err(be)?;
                found = true;
            }
        }
        tx.commit().map_err(be)?;
        Ok(found)
    }

    fn counts(&self) -> Result<Counts> {
        let tx = self.db.begin_read().map_err(be)?;
        let len = |n: u64| n;
        Ok(Counts {
            items: len(tx.open_table(ITEMS).map_err(be)?.len().map_err(be)?),
            open: tx.open_table(QUEUE).map_err(be)?.len().map_err(be)?,
            audit_entries: tx.open_table(AUDIT).map_err(be)?.len().map_err(be)?,
            deliveries_pending: tx.open_table(DUE).map_err(be)?.len().map_err(be)?,
            dead_letters: tx.open_table(DEAD).map_err(be)?.len().map_err(be)?,
        })
    }
}
