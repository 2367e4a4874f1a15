//! The `raqib` binary: argument parsing and glue over the library crates. No detection
//! logic lives here.

mod cli;
mod commands;
mod data;
mod link;
mod media;
mod networks;
mod policy;
mod serve;

use clap::Parser;

/// mimalloc instead of glibc's allocator: the server allocates and frees a few dozen small
/// objects per post on several threads, and glibc's malloc, free and consolidation took a
/// fifth of its CPU (docs/benchmarks.md, "Service"). mimalloc asks for transparent huge
/// pages for its memory: a scan's account tables and buffers then cost fewer TLB misses
/// (6% faster with nothing flagged). `raqib serve` turns them off for its process
/// (`serve::no_huge_pages`): faulting in and compacting 2 MiB pages stalled single
/// requests for up to 150 ms.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args = cli::Cli::parse();
    let code = match commands::run(args) {
        Ok(code) => code,
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                0 // A closed pipe (`raqib ... | head`) is not an error.
            } else {
                eprintln!("raqib: error: {e:#}");
                1
            }
        }
    };
    std::process::exit(code);
}
