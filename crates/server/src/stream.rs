//! `raqib serve --nats`: posts and accounts read from a NATS JetStream stream, as a
//! platform's pipeline publishes them, through the same engine, policy and store as the
//! HTTP API; each item's verdict optionally published to a subject.
//!
//! ```text
//! JetStream stream ──► durable pull consumer ──► parse ──► engine ──► writer ──► ack
//!  (POSTS, posts.>)    (one name shared by every            (score,    (durable)   │
//!                       `raqib serve` reading it)            policy)               ▼
//!                                                                     verdicts subject
//! ```
//!
//! **Invariant:** a message is acknowledged only after its items are durable in the
//! store (and, where a stream keeps the verdicts subject, after their verdicts are
//! stored there), so a crash at any point delivers it again; the store keeps one item
//! per key, so a message delivered twice stores nothing twice.
//! **Invariant:** a message that is not a valid submission is terminated (never
//! delivered again; it stays in the stream) and logged with its stream sequence.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use async_nats::jetstream::{self, consumer::pull, consumer::AckPolicy, AckKind};
use async_nats::HeaderMap;
use futures_util::StreamExt;
use raqib_store::db::NewItem;

use crate::api::{self, AppState, Records};
use crate::engine::Context;
use crate::hooks::now_ms;

/// Where and how to read a stream (`raqib serve --nats URL ...`).
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// `nats://HOST:PORT` (credentials in it, or `creds`); several joined by commas.
    pub url: String,
    /// A `.creds` file (JWT and NKey seed), as `nsc` writes it.
    pub creds: Option<PathBuf>,
    /// The JetStream stream; created with `subjects` when it does not exist.
    pub stream: String,
    pub subjects: Vec<String>,
    /// The durable consumer's name: every server reading with the same name shares the
    /// messages between them.
    pub consumer: String,
    /// Seconds a delivered message waits for its acknowledgement before it is delivered
    /// again (set when the consumer is created).
    pub ack_wait: Duration,
    /// Publish each stored item's verdict (the API's answer) here.
    pub verdicts: Option<String>,
    /// Most messages scored and stored in one transaction.
    pub batch: usize,
}

/// A connected stream, ready to read.
pub(crate) struct Source {
    client: async_nats::Client,
    js: jetstream::Context,
    consumer: jetstream::consumer::Consumer<pull::Config>,
    cfg: StreamConfig,
    /// A stream keeps the verdicts subject: publish through JetStream and wait for it.
    verdicts_kept: bool,
}

/// A URL fit for messages: its user, password or token left out.
pub fn redact_url(url: &str) -> String {
    url.split(',')
        .map(|u| match (u.split_once("://"), u.rsplit_once('@')) {
            (Some((scheme, _)), Some((_, host))) => format!("{scheme}://***@{host}"),
            (None, Some((_, host))) => format!("***@{host}"),
            _ => u.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Connect, open (or create) the stream and the durable consumer. Every failure here is
/// fatal, with what to do.
pub(crate) async fn connect(cfg: StreamConfig) -> Result<Source> {
    let shown = redact_url(&cfg.url);
    let events = shown.clone();
    let mut opts = async_nats::ConnectOptions::new()
        .name("raqib serve")
        .connection_timeout(Duration::from_secs(5))
        // The client reconnects by itself, and reading goes on where it stopped; the log
        // says when the connection went and came back.
        .event_callback(move |e| {
            let at = events.clone();
            async move {
                match e {
                    async_nats::Event::Disconnected => {
                        eprintln!("raqib serve: NATS at {at}: disconnected; reconnecting")
                    }
                    async_nats::Event::Connected => {
                        eprintln!("raqib serve: NATS at {at}: connected")
                    }
                    e => eprintln!("raqib serve: NATS at {at}: {e}"),
                }
            }
        });
    if let Some(c) = &cfg.creds {
        opts = opts
            .credentials_file(c)
            .await
            .with_context(|| format!("cannot read the NATS credentials {}", c.display()))?;
    }
    let urls: Vec<&str> = cfg.url.split(',').map(str::trim).collect();
    let addrs = urls
        .iter()
        .map(|u| u.parse::<async_nats::ServerAddr>())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("--nats {shown}: give nats://HOST:PORT"))?;
    let client = opts.connect(addrs).await.with_context(|| {
        format!("cannot reach NATS at {shown}: is nats-server running there (with -js)?")
    })?;
    let js = jetstream::new(client.clone());
    let stream = match js.get_stream(&cfg.stream).await {
        Ok(s) => s,
        Err(get) => {
            let made = js
                .create_stream(jetstream::stream::Config {
                    name: cfg.stream.clone(),
                    subjects: cfg.subjects.clone(),
                    description: Some("posts and accounts for raqib to score".into()),
                    ..Default::default()
                })
                .await
                .with_context(|| {
                    format!(
                        "cannot open the JetStream stream {} on {shown} ({get}), nor create it for \
                         the subjects {}: is JetStream on (nats-server -js)? Does another \
                         stream hold those subjects (--nats-subjects)?",
                        cfg.stream,
                        cfg.subjects.join(", ")
                    )
                })?;
            eprintln!(
                "raqib serve: created the JetStream stream {} for the subjects {}",
                cfg.stream,
                cfg.subjects.join(", ")
            );
            made
        }
    };
    let consumer = stream
        .get_or_create_consumer(
            &cfg.consumer,
            pull::Config {
                durable_name: Some(cfg.consumer.clone()),
                description: Some("raqib serve: score and store".into()),
                ack_policy: AckPolicy::Explicit,
                ack_wait: cfg.ack_wait,
                max_ack_pending: (cfg.batch.max(1) * 4) as i64,
                ..Default::default()
            },
        )
        .await
        .with_context(|| {
            format!(
                "cannot open or create the consumer {} on the stream {} ({shown})",
                cfg.consumer, cfg.stream
            )
        })?;
    let verdicts_kept = match &cfg.verdicts {
        Some(s) => js.stream_by_subject(s.clone()).await.is_ok(),
        None => false,
    };
    Ok(Source {
        client,
        js,
        consumer,
        cfg,
        verdicts_kept,
    })
}

/// What `/health` and `/metrics` show of the stream.
pub(crate) struct Status {
    pub source: String,
    pub client: async_nats::Client,
    pub consumer: jetstream::consumer::Consumer<pull::Config>,
}

impl Source {
    pub(crate) fn status(&self) -> Status {
        Status {
            source: self.describe(),
            client: self.client.clone(),
            consumer: self.consumer.clone(),
        }
    }

    /// What `raqib serve` prints when it starts reading.
    pub(crate) fn describe(&self) -> String {
        let mut s = format!(
            "the JetStream stream {} at {} (consumer {})",
            self.cfg.stream,
            redact_url(&self.cfg.url),
            self.cfg.consumer
        );
        if let Some(v) = &self.cfg.verdicts {
            s.push_str(&format!(
                "; verdicts to {v}{}",
                if self.verdicts_kept {
                    " (kept by a stream)"
                } else {
                    " (no stream keeps it: live subscribers only)"
                }
            ));
        }
        s
    }
}

/// Batches scored and stored at once: one is scored while another waits for its commit
/// (the writer joins those waiting into one transaction).
const IN_FLIGHT: usize = 3;

/// Read until `stop` turns true: each batch of messages is scored, stored, acknowledged;
/// the batches already taken are finished before it returns.
pub(crate) async fn run(
    src: Source,
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let src = Arc::new(src);
    let actor: Arc<str> = format!("nats:{}", src.cfg.stream).into();
    let batch = src.cfg.batch.max(1);
    let mut busy = tokio::task::JoinSet::new();
    'open: loop {
        if *stop.borrow() {
            break;
        }
        let messages = src
            .consumer
            .stream()
            .max_messages_per_batch(batch)
            .heartbeat(Duration::from_secs(5))
            .expires(Duration::from_secs(30))
            .messages()
            .await;
        let mut chunks = match messages {
            Ok(m) => m.ready_chunks(batch),
            Err(e) => {
                eprintln!("raqib serve: NATS stream {}: {e}; retrying", src.cfg.stream);
                tokio::select! {
                    _ = stop.changed() => break,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        loop {
            while busy.len() >= IN_FLIGHT {
                busy.join_next().await;
            }
            let chunk = tokio::select! {
                biased;
                _ = stop.changed() => break 'open,
                c = chunks.next() => c,
            };
            let Some(chunk) = chunk else { break };
            let mut got = Vec::with_capacity(chunk.len());
            for m in chunk {
                match m {
                    Ok(m) => got.push(m),
                    // Missed heartbeats and the like: the client reconnects by itself.
                    Err(e) => eprintln!("raqib serve: NATS stream {}: {e}", src.cfg.stream),
                }
            }
            if !got.is_empty() {
                let (src, state, actor) = (src.clone(), state.clone(), actor.clone());
                busy.spawn(async move { handle(&src, &state, &actor, got).await });
            }
        }
    }
    while busy.join_next().await.is_some() {}
}

/// Score and store one batch of messages, then acknowledge them.
async fn handle(src: &Source, state: &AppState, actor: &str, msgs: Vec<jetstream::Message>) {
    let m = &state.metrics;
    let mut kept = Vec::with_capacity(msgs.len());
    let mut records = Vec::with_capacity(msgs.len());
    for msg in msgs {
        match api::parse_message(&msg.payload, state.max_batch) {
            Ok(r) => {
                records.push(r);
                kept.push(msg);
            }
            Err(e) => {
                let seq = msg.info().map(|i| i.stream_sequence).unwrap_or(0);
                // The subject and what the error quotes are the publisher's: escaped where
                // they could drive the terminal the log is read on.
                eprintln!(
                    "raqib serve: NATS stream {} message {seq} ({}): {}; refused, nothing \
                     stored (terminated: not delivered again; it stays in the stream)",
                    src.cfg.stream,
                    raqib_model::printable(&msg.subject),
                    raqib_model::printable(&e.to_string())
                );
                m.stream_refused.fetch_add(1, Ordering::Relaxed);
                if let Err(e) = msg.ack_with(AckKind::Term).await {
                    eprintln!("raqib serve: NATS stream {}: {e}", src.cfg.stream);
                }
            }
        }
    }
    if kept.is_empty() {
        return;
    }
    let cx = Context {
        actor: actor.to_string(),
        now_ms: now_ms(),
    };
    let heavy = records.len() > 8;
    let cx_after = cx.clone();
    let items = api::score_all(
        state,
        move |e| {
            let mut out: Vec<NewItem> = Vec::new();
            for r in records {
                match r {
                    Records::Posts(v) => {
                        out.extend(v.into_iter().map(|(p, c)| e.assess_post(p, c, &cx)))
                    }
                    Records::Accounts(v) => {
                        out.extend(v.into_iter().map(|(a, c)| e.assess_account(a, c, &cx)))
                    }
                }
            }
            out
        },
        heavy,
    )
    .await;
    let stored = match items {
        Ok(items) => state
            .store_with_profiles(items, &cx_after)
            .await
            .map(|(done, _)| done)
            .map_err(|e| e.message),
        Err(e) => Err(e.message),
    };
    let outcome = match stored {
        Ok(done) => publish_verdicts(src, &done).await,
        Err(e) => Err(format!("not stored: {e}")),
    };
    match outcome {
        Ok(()) => {
            for msg in &kept {
                if let Err(e) = msg.ack().await {
                    eprintln!("raqib serve: NATS stream {}: {e}", src.cfg.stream);
                }
            }
            m.stream_stored
                .fetch_add(kept.len() as u64, Ordering::Relaxed);
        }
        Err(e) => {
            eprintln!(
                "raqib serve: NATS stream {}: {} message(s) {e}; they will be delivered again",
                src.cfg.stream,
                kept.len()
            );
            m.stream_retried
                .fetch_add(kept.len() as u64, Ordering::Relaxed);
            let later = AckKind::Nak(Some(Duration::from_secs(2)));
            for msg in &kept {
                let _ = msg.ack_with(later).await;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// Each stored item's verdict, the API's answer, to the verdicts subject: through
/// JetStream, acknowledged, where a stream keeps the subject (`Nats-Msg-Id` the item's
/// key, so a message delivered twice publishes once within the stream's duplicate
/// window); otherwise to live subscribers.
async fn publish_verdicts(src: &Source, done: &[raqib_store::db::Submitted]) -> Result<(), String> {
    let Some(subject) = &src.cfg.verdicts else {
        return Ok(());
    };
    if !src.verdicts_kept {
        for d in done {
            let body = serde_json::to_vec(&api::item_view(&d.item, d.new))
                .expect("serialising to memory cannot fail");
            src.client
                .publish(subject.clone(), body.into())
                .await
                .map_err(|e| format!("verdict not published: {e}"))?;
        }
        return src
            .client
            .flush()
            .await
            .map_err(|e| format!("verdicts not published: {e}"));
    }
    let mut acks = Vec::with_capacity(done.len());
    for d in done {
        let body = serde_json::to_vec(&api::item_view(&d.item, d.new))
            .expect("serialising to memory cannot fail");
        let mut h = HeaderMap::new();
        h.insert("Nats-Msg-Id", d.item.key.as_str());
        acks.push(
            src.js
                .publish_with_headers(subject.clone(), h, body.into())
                .await
                .map_err(|e| format!("verdict not published: {e}"))?,
        );
    }
    for a in acks {
        a.await
            .map_err(|e| format!("verdict not kept by its stream: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            super::redact_url("nats://raqib:s3cret@nats-1:4222,nats://nats-2:4222"),
            "nats://***@nats-1:4222,nats://nats-2:4222"
        );
        assert_eq!(
            super::redact_url("nats://t0ken@h:4222"),
            "nats://***@h:4222"
        );
        assert_eq!(super::redact_url("127.0.0.1:4222"), "127.0.0.1:4222");
    }
}
