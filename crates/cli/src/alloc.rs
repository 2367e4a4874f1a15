//! The allocator: mimalloc, and how each kind of command sets it up.
//!
//! mimalloc instead of glibc's allocator: the server allocates and frees a few dozen small
//! objects per post on several threads, and glibc's malloc, free and consolidation took a
//! fifth of its CPU (docs/benchmarks.md, "Service"). mimalloc asks for transparent huge
//! pages for its memory: a scan's account tables and buffers then cost fewer TLB misses
//! (6% faster with nothing flagged).
//!
//! - A batch command (`scan`, `train`, `networks`, ...) keeps the memory it frees
//!   ([`keep_freed_memory`]): each chunk's output buffers are freed on the writing thread,
//!   and mimalloc handed that memory back to the kernel a second later, to fault in (and
//!   zero) a fresh 2 MiB page for the next ones: 12% of a profile's samples at the
//!   default threshold (with the machine's page cache full), 3% of the time in alternating
//!   runs, for no gain in peak memory.
//! - `raqib serve` turns huge pages off for its process ([`no_huge_pages`]): faulting in
//!   and compacting 2 MiB pages stalled single requests for up to 150 ms. It keeps
//!   mimalloc's default of giving freed memory back, as a long-lived process should.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_t` (the `mimalloc` crate's
/// default): milliseconds before freed memory goes back to the kernel; -1 is never.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

unsafe extern "C" {
    // Part of the mimalloc library linked in by the `mimalloc` crate.
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
}

/// Keep freed memory for reuse for the rest of the process instead of handing it back to
/// the kernel. Peak memory is about the same (159 and 165 MB for a million-post scan);
/// what changes is that the process stays at its high-water mark, which a scan of an
/// endless stream (`tail -f … | raqib scan -`) reaches with its account table anyway.
pub(crate) fn keep_freed_memory() {
    // SAFETY: mi_option_set stores an integer in mimalloc's option table; purge delay is
    // read afresh each time mimalloc schedules a purge, so it may change at any time.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// Turn transparent huge pages off for this process, from now on (called before the server
/// loads anything): a request that faults in (and may first compact) a 2 MiB page waited
/// up to 150 ms for it, where a batch scan gains from them.
pub(crate) fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes an integer flag and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_set_is_the_purge_delay() {
        // The index is mimalloc's enum order, which a new mimalloc could change: option 15
        // must start at the purge delay's default of 1,000 ms (no other option has it)
        // and read back as never after the call.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }, 1000);
        }
        keep_freed_memory();
        assert_eq!(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }, -1);
    }
}
