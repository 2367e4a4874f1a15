//! Group commit: submissions from every request are written by one thread, as many as are
//! waiting in one transaction, and each request is answered once its items are durable.
//! One fsync then covers many requests, which is what lets single-post submission keep a
//! low tail latency under load.

use std::sync::Arc;

use raqib_store::db::{NewItem, Store, Submitted};
use tokio::sync::oneshot;

type Reply = oneshot::Sender<Result<Vec<Submitted>, String>>;

pub struct Writer {
    tx: crossbeam_channel::Sender<(Vec<NewItem>, Reply)>,
}

impl Writer {
    pub fn start(
        store: Arc<dyn Store>,
        max_batch: usize,
        wake_hooks: crossbeam_channel::Sender<()>,
    ) -> Writer {
        let (tx, rx) = crossbeam_channel::bounded::<(Vec<NewItem>, Reply)>(4096);
        std::thread::Builder::new()
            .name("raqib-writer".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut jobs = vec![first];
                    let mut n = jobs[0].0.len();
                    while n < max_batch {
                        match rx.try_recv() {
                            Ok(j) => {
                                n += j.0.len();
                                jobs.push(j);
                            }
                            Err(_) => break,
                        }
                    }
                    let mut all = Vec::with_capacity(n);
                    let mut sizes = Vec::with_capacity(jobs.len());
                    let mut replies = Vec::with_capacity(jobs.len());
                    let mut hooks = false;
                    for (items, reply) in jobs {
                        sizes.push(items.len());
                        hooks |= items.iter().any(|i| !i.deliveries.is_empty());
                        all.extend(items);
                        replies.push(reply);
                    }
                    match store.submit(all) {
                        Ok(done) => {
                            let mut it = done.into_iter();
                            for (size, reply) in sizes.into_iter().zip(replies) {
                                let _ = reply.send(Ok(it.by_ref().take(size).collect()));
                            }
                            if hooks {
                                let _ = wake_hooks.try_send(());
                            }
                        }
                        Err(e) => {
                            let msg = e.to_string();
                            for reply in replies {
                                let _ = reply.send(Err(msg.clone()));
                            }
                        }
                    }
                }
            })
            .expect("writer thread");
        Writer { tx }
    }

    /// Store `items`; resolves once they are durable.
    pub async fn submit(&self, items: Vec<NewItem>) -> Result<Vec<Submitted>, String> {
        let (reply, rx) = oneshot::channel();
        let tx = self.tx.clone();
        // The channel is bounded: waiting for room must not block an async worker.
        let sent = match tx.try_send((items, reply)) {
            Ok(()) => Ok(()),
            Err(crossbeam_channel::TrySendError::Full(job)) => {
                tokio::task::spawn_blocking(move || tx.send(job).map_err(|_| ()))
                    .await
                    .map_err(|_| ())
                    .and_then(|r| r)
            }
            Err(crossbeam_channel::TrySendError::Disconnected(_)) => Err(()),
        };
        sent.map_err(|_| "the store writer has stopped".to_string())?;
        rx.await
            .map_err(|_| "the store writer has stopped".to_string())?
    }
}
