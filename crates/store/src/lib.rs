//! raqib's record and state.
//!
//! - `audit`: the audit log format, an append-only JSON Lines file of every decision and
//!   action, each entry chained to the one before by SHA-256, and its verifier.
//! - `report`: the transparency report counted from audit entries.
//! - `db`: the `Store` interface `raqib serve` keeps its state in, with two backends:
//!   `embedded` (redb, the default, no set-up) and `pg` (PostgreSQL).
//!
//! **Invariant:** a write is acknowledged only once durable (fsync or commit); audit
//! entries are never rewritten.

pub mod audit;
pub mod db;
pub mod embedded;
pub mod pg;
pub mod report;

pub use db::{open, Store};
