//! Returning accounts: "if they close one, create three". A suspended account leaves a
//! fingerprint (handle and name patterns in either script, bio MinHash, avatar PDQ,
//! external channels, writing style, posting hours, follows); a new account is looked up
//! by blocking keys, never against all pairs, and each candidate is scored by a small
//! linear model whose every term is a reason a reviewer can read.
//!
//! ```text
//! Account + posts ─► Fingerprinter ─► Fingerprint ─► SuspendedIndex::link ─► Link { score, reasons }
//!                                      (keys_of)        (candidates → features → logit)
//! ```
//!
//! **Invariant:** detectors here are pure: no I/O except in [`store`], which keeps the
//! suspended index on disk as an append-only log.

pub mod eval;
pub mod fingerprint;
pub mod gen;
pub mod index;
pub mod names;
pub mod score;
pub mod store;

pub use fingerprint::{Fingerprint, Fingerprinter};
pub use index::{Link, SuspendedIndex};
