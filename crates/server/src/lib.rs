//! `raqib serve`: the HTTP API, the reviewer page, webhooks, and the policy applied to
//! every submitted item.
//!
//! ```text
//! HTTP (axum, tokio) ──► engine (score, explain, policy; pure) ──► writer thread ──► Store
//!   │                                                          (group commit: one      │
//!   │◄──────────────── verdict, after the write is durable ──── transaction per batch) │
//!   └─ reads ─► store threads ──► Store                 webhook thread ◄── outbox ─────┘
//! ```
//!
//! **Invariant:** a submission is answered only after its transaction has committed, so
//! an acknowledged item survives `kill -9`.
//! **Invariant:** store calls run on plain threads, never on async tasks (the PostgreSQL
//! client blocks on a runtime of its own).

pub mod api;
pub mod auth;
pub mod engine;
pub mod hooks;
pub mod profiles;
pub mod stream;
mod writer;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use raqib_store::db::Store;

pub use engine::Engine;

/// How to serve.
pub struct Config {
    pub listen: SocketAddr,
    pub store: Arc<dyn Store>,
    pub engine: Engine,
    /// Where hash lists live (`raqib lists` folders), for the list routes.
    pub lists_dir: Option<PathBuf>,
    /// The policy file to watch and reload; `None` uses the built-in policy.
    pub policy_file: Option<PathBuf>,
    pub hooks: hooks::HookConfig,
    pub max_body: usize,
    pub max_batch: usize,
    /// Requests a second per token.
    pub rate_limit: u32,
    /// Most items one group commit writes.
    pub commit_batch: usize,
    pub request_timeout: Duration,
    /// Also read posts and accounts from a NATS JetStream stream (`--nats`).
    pub stream: Option<stream::StreamConfig>,
}

/// Run until Ctrl-C or SIGTERM. Prints the address it listens on when ready.
pub fn serve(cfg: Config) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(serve_async(cfg))
}

async fn serve_async(mut cfg: Config) -> Result<()> {
    let source = match cfg.stream.take() {
        Some(sc) => Some(stream::connect(sc).await?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (in use? try --listen 127.0.0.1:0)",
                cfg.listen
            )
        })?;
    let addr = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let (wake_tx, wake_rx) = crossbeam_channel::bounded(1);
    let writer = writer::Writer::start(cfg.store.clone(), cfg.commit_batch, wake_tx.clone());
    let hook_thread = if cfg.engine.webhooks.is_empty() {
        None
    } else {
        let (store, hc, stop) = (cfg.store.clone(), cfg.hooks.clone(), stop.clone());
        Some(
            std::thread::Builder::new()
                .name("raqib-webhooks".into())
                .spawn(move || hooks::run(store, hc, stop, wake_rx))?,
        )
    };
    let (max_body, timeout) = (cfg.max_body, cfg.request_timeout);
    let state = api::AppState::new(cfg, writer, wake_tx)?;
    let app = api::app(state.clone(), max_body, timeout);
    api::spawn_policy_watch(state.clone());
    let (stop_stream, stream_stopped) = tokio::sync::watch::channel(false);
    let stream_task = source.map(|src| {
        eprintln!("raqib serve: reading posts from {}", src.describe());
        let _ = state.stream.set(src.status());
        tokio::spawn(stream::run(src, state.clone(), stream_stopped))
    });
    println!(
        "raqib serve: listening on http://{addr}/ (store: {})",
        state.store.describe()
    );
    eprintln!(
        "raqib serve: the review page is at http://{addr}/, the API description at http://{addr}/openapi.json"
    );
    let shutdown = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
    };
    api::serve_connections(listener, app, shutdown).await;
    // The stream stops between batches: the one being stored is acknowledged first.
    let _ = stop_stream.send(true);
    if let Some(t) = stream_task {
        let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
    }
    stop.store(true, Ordering::Relaxed);
    if let Some(h) = hook_thread {
        let _ = h.join();
    }
    eprintln!("raqib serve: stopped");
    Ok(())
}
