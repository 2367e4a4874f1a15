//! raqib's record: the audit log (`audit`), an append-only JSON Lines file of every
//! decision and action, each entry chained to the one before by SHA-256; and the
//! transparency report counted from it (`report`).
//!
//! **Invariant:** an entry is acknowledged only after `fsync`; entries are never rewritten.

pub mod audit;
pub mod report;
