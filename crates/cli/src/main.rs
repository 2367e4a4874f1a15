//! The `raqib` binary: argument parsing and glue over the library crates. No detection
//! logic lives here.

mod alloc;
mod cli;
mod commands;
mod data;
mod inputs;
mod link;
mod media;
mod networks;
mod policy;
mod serve;

use clap::Parser;

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
                // An error may name a file or quote the input: escaped where that could
                // drive the terminal.
                eprintln!(
                    "raqib: error: {}",
                    raqib_model::printable_lines(&format!("{e:#}"))
                );
                1
            }
        }
    };
    std::process::exit(code);
}
