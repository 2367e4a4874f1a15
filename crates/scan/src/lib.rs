//! The scan pipeline: read inputs as a stream, score every post with the text model on
//! all cores, explain the flagged ones, aggregate per account, and write reports.
//!
//! ```text
//! reader thread ──chunks──► N worker threads ──results──► calling thread (writer)
//!  (ingest)                 (parse, score, explain,        (posts.jsonl, diagnostics,
//!                            per-account aggregates)        progress, summary)
//! ```
//!
//! **Invariant:** memory is bounded by the channel depth times the chunk size, plus the
//! per-account aggregates; nothing else grows with the input.
//! **Invariant:** an interrupted scan still writes every report, marked `interrupted`.

pub mod accounts;
pub mod chunked;
mod csvout;
mod jsonout;
mod pipeline;
mod report;
mod slots;
mod trash;
mod writebehind;

/// Shuffle `v` by a seed (xorshift), for tests that hold a result to not depend on order.
#[cfg(test)]
pub(crate) fn shuffle_for_test<T>(v: &mut [T], seed: u64) {
    let mut x = seed | 1;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
}

pub use pipeline::{
    match_lists, run, FileProgress, FlaggedPost, MediaLists, Progress, ScanConfig, ScanError,
    Summary, TimeWindow, WindowReport, FLAGGED_PLACES,
};
pub use report::{clip, render_summary, why};
