//! `raqib serve` and `raqib token`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use raqib_store::db::Store;

/// Where the state is: `--store`, or the embedded store in `--data`.
#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// The data folder: the embedded store (raqib.redb), hash lists (lists/) and the
    /// suspended-account index (suspended/) unless given elsewhere.
    #[arg(long, value_name = "DIR", default_value = "raqib-data", global = true)]
    pub data: PathBuf,
    /// A PostgreSQL URL (postgres://USER:PASS@HOST/DB) or an embedded store file, instead
    /// of DIR/raqib.redb.
    #[arg(long, value_name = "LOCATION", env = "RAQIB_STORE", global = true)]
    pub store: Option<String>,
}

impl StoreArgs {
    pub fn location(&self) -> String {
        self.store
            .clone()
            .unwrap_or_else(|| self.data.join("raqib.redb").display().to_string())
    }

    pub fn open(&self) -> Result<Box<dyn Store>> {
        open_store(&self.location())
    }
}

/// Open a store, naming it in errors without its password.
pub fn open_store(loc: &str) -> Result<Box<dyn Store>> {
    raqib_store::open(loc).with_context(|| format!("cannot open the store {}", redact(loc)))
}

/// A store location fit for messages: `postgres://user:***@host/db`.
pub fn redact(loc: &str) -> String {
    let Some((scheme, rest)) = loc.split_once("://") else {
        return loc.to_string();
    };
    match rest.rsplit_once('@') {
        Some((cred, host)) => {
            let user = cred.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        None => loc.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            super::redact("postgres://raqib:s3cret@db:5432/raqib"),
            "postgres://raqib:***@db:5432/raqib"
        );
        assert_eq!(
            super::redact("raqib-data/raqib.redb"),
            "raqib-data/raqib.redb"
        );
        assert_eq!(super::redact("postgres://db/raqib"), "postgres://db/raqib");
    }
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port; the address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Text model: FILE, or LANG=FILE to route a language to its own model (repeatable).
    /// Without it, the built-in starter model.
    #[arg(long, value_name = "[LANG=]FILE")]
    pub model: Vec<String>,
    /// Overrides the model's threshold for the text signal (a text also needs evidence,
    /// its own words pointing towards propaganda, as in `raqib scan`).
    #[arg(long)]
    pub threshold: Option<f32>,
    /// The policy file (TOML, docs/format.md); reloaded when it changes, and a file that
    /// does not parse is refused with its line while the policy in force stays. Without
    /// it, a built-in policy queues every flagged item for review.
    #[arg(long, value_name = "POLICY.toml")]
    pub policy: Option<PathBuf>,
    /// Hash lists folder (`raqib lists`); default DATA/lists.
    #[arg(long, value_name = "DIR")]
    pub lists: Option<PathBuf>,
    /// Suspended-account index folder (`raqib suspended`); default DATA/suspended.
    #[arg(long, value_name = "DIR")]
    pub suspended: Option<PathBuf>,
    /// Link score at which an account is linked to a suspended one.
    #[arg(long, default_value_t = 0.8)]
    pub link_threshold: f32,
    /// Other accounts posting the same link, media, shared post or text within a minute
    /// that flag a post as coordinated (the `network` signal); 0 turns the signal off
    /// (it costs about a third of batch throughput: docs/benchmarks.md).
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub network_accounts: usize,
    /// Send every action to this URL (repeatable), signed with the webhook secret.
    #[arg(long, value_name = "URL")]
    pub webhook: Vec<String>,
    /// A file holding the HMAC secret for webhook signatures (or set RAQIB_WEBHOOK_SECRET).
    #[arg(long, value_name = "FILE")]
    pub webhook_secret_file: Option<PathBuf>,
    /// First retry delay of a failed webhook, doubled on each retry (capped at an hour).
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub webhook_backoff_ms: u64,
    /// Attempts before a webhook delivery becomes a dead letter.
    #[arg(long, default_value_t = 8)]
    pub webhook_attempts: u32,
    /// Largest request body in bytes (413 above it).
    #[arg(long, value_name = "BYTES", default_value_t = 8 << 20)]
    pub max_body: usize,
    /// Most records in one batch request.
    #[arg(long, default_value_t = 10_000)]
    pub max_batch: usize,
    /// Requests a second allowed per token (429 with Retry-After above it).
    #[arg(long, default_value_t = 20_000)]
    pub rate_limit: u32,
    /// Seconds a request may take, body included (408 after).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
    /// Also read posts and accounts from a NATS JetStream stream at this URL
    /// (nats://[USER:PASS@]HOST:PORT, several joined by commas): each message a post as
    /// `POST /api/v1/posts` takes it, `{"posts": [...]}` or `{"accounts": [...]}`; scored,
    /// stored and put under the policy as the API's are, and acknowledged only once stored.
    #[arg(
        long,
        value_name = "URL",
        env = "RAQIB_NATS",
        help_heading = "NATS JetStream"
    )]
    pub nats: Option<String>,
    /// The stream to read; created for --nats-subjects when it does not exist.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "POSTS",
        help_heading = "NATS JetStream"
    )]
    pub nats_stream: String,
    /// Subjects of a stream raqib creates (comma-separated).
    #[arg(
        long,
        value_name = "SUBJECTS",
        default_value = "posts.>",
        value_delimiter = ',',
        help_heading = "NATS JetStream"
    )]
    pub nats_subjects: Vec<String>,
    /// The durable consumer: every `raqib serve` with the same name shares the stream's
    /// messages, each delivered to one of them.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "raqib",
        help_heading = "NATS JetStream"
    )]
    pub nats_consumer: String,
    /// Publish each stored item's verdict (the API's answer, JSON) to this subject;
    /// through JetStream, acknowledged before the message is, where a stream keeps it.
    #[arg(long, value_name = "SUBJECT", help_heading = "NATS JetStream")]
    pub nats_verdicts: Option<String>,
    /// A NATS credentials file (.creds: JWT and NKey seed).
    #[arg(long, value_name = "FILE", help_heading = "NATS JetStream")]
    pub nats_creds: Option<PathBuf>,
    /// Seconds a delivered message waits for its acknowledgement before it is delivered
    /// again (to this server or another): set when the consumer is created.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 60,
        help_heading = "NATS JetStream"
    )]
    pub nats_ack_wait: u64,
    /// Most messages scored and stored in one transaction.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1000,
        help_heading = "NATS JetStream"
    )]
    pub nats_batch: usize,
}

pub fn serve_cmd(a: ServeArgs, models: raqib_text::ModelSet) -> Result<i32> {
    if let Some(t) = a.threshold {
        if !(0.0..=1.0).contains(&t) {
            bail!("--threshold must be between 0 and 1, got {t}");
        }
    }
    for w in &a.webhook {
        if !(w.starts_with("http://") || w.starts_with("https://")) {
            bail!("--webhook {w}: give an http:// or https:// URL");
        }
    }
    let secret = match (
        &a.webhook_secret_file,
        std::env::var("RAQIB_WEBHOOK_SECRET"),
    ) {
        (Some(f), _) => std::fs::read_to_string(f)
            .with_context(|| format!("cannot read {}", f.display()))?
            .trim()
            .as_bytes()
            .to_vec(),
        (None, Ok(s)) => s.into_bytes(),
        (None, Err(_)) => Vec::new(),
    };
    if !a.webhook.is_empty() && secret.is_empty() {
        bail!(
            "--webhook needs a signing secret: --webhook-secret-file FILE or RAQIB_WEBHOOK_SECRET"
        );
    }
    if a.store.store.is_none() {
        std::fs::create_dir_all(&a.store.data)
            .with_context(|| format!("cannot create {}", a.store.data.display()))?;
    }
    let store: Arc<dyn Store> = Arc::from(a.store.open()?);
    let lists_dir = a
        .lists
        .clone()
        .unwrap_or_else(|| a.store.data.join("lists"));
    std::fs::create_dir_all(&lists_dir)
        .with_context(|| format!("cannot create {}", lists_dir.display()))?;
    let lists = raqib_media::lists::open_all(&lists_dir)
        .with_context(|| format!("cannot open the hash lists in {}", lists_dir.display()))?;
    let sus_dir = a
        .suspended
        .clone()
        .unwrap_or_else(|| a.store.data.join("suspended"));
    let suspended =
        raqib_link::store::SuspendedStore::open(&sus_dir, true, 2).with_context(|| {
            format!(
                "cannot open the suspended-account index {}",
                sus_dir.display()
            )
        })?;
    let policy = match &a.policy {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            raqib_policy::Policy::parse(&text, &p.display().to_string())?
        }
        None => raqib_policy::Policy::parse(raqib_server::engine::DEFAULT_POLICY, "(built-in)")
            .expect("the built-in policy parses"),
    };
    let name = models.describe();
    let mut engine = raqib_server::Engine::new(
        models,
        name,
        a.threshold,
        lists,
        Some(suspended),
        a.link_threshold,
        policy,
        a.webhook.clone(),
    );
    engine.set_network_accounts(a.network_accounts);
    if store.tokens()?.is_empty() {
        eprintln!(
            "raqib serve: no API tokens yet: create one with `raqib token add NAME --role admin{}`",
            match &a.store.store {
                Some(_) => " --store …".to_string(),
                None => format!(" --data {}", a.store.data.display()),
            }
        );
    }
    let stream = a.nats.map(|url| raqib_server::stream::StreamConfig {
        url,
        creds: a.nats_creds,
        stream: a.nats_stream,
        subjects: a.nats_subjects,
        consumer: a.nats_consumer,
        ack_wait: Duration::from_secs(a.nats_ack_wait.max(1)),
        verdicts: a.nats_verdicts,
        batch: a.nats_batch.clamp(1, 100_000),
    });
    raqib_server::serve(raqib_server::Config {
        listen: a.listen,
        store,
        engine,
        lists_dir: Some(lists_dir),
        policy_file: a.policy,
        hooks: raqib_server::hooks::HookConfig {
            secret,
            backoff: Duration::from_millis(a.webhook_backoff_ms.max(1)),
            max_attempts: a.webhook_attempts.max(1),
            timeout: Duration::from_secs(10),
        },
        max_body: a.max_body,
        max_batch: a.max_batch.max(1),
        rate_limit: a.rate_limit,
        commit_batch: 20_000,
        request_timeout: Duration::from_secs(a.timeout.max(1)),
        stream,
    })?;
    Ok(0)
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token (printed once; only its hash is kept). A name that exists gets a new token.
    Add {
        name: String,
        /// ingest (submit, appeal), reviewer (queue, decisions, the page) or admin (all).
        #[arg(long)]
        role: String,
    },
    /// List token names and roles.
    List,
    /// Revoke a token by name (effective within 5 s on a running server).
    Revoke { name: String },
}

pub fn token_cmd(a: TokenArgs) -> Result<i32> {
    use raqib_server::auth::{new_token, valid_name, Role};
    if a.store.store.is_none() {
        std::fs::create_dir_all(&a.store.data)
            .with_context(|| format!("cannot create {}", a.store.data.display()))?;
    }
    let store = a.store.open()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    match a.command {
        TokenCommand::Add { name, role } => {
            let Some(r) = Role::parse(&role) else {
                bail!("--role {role}: use ingest, reviewer or admin");
            };
            if !valid_name(&name) {
                bail!("token name `{name}`: 1–64 letters, digits, - _ . @");
            }
            let (secret, token) = new_token(&name, r, now)?;
            store.put_token(&token)?;
            store.append_audit(&[raqib_store::audit::Record {
                at: now,
                actor: "raqib token".into(),
                kind: "token_add".into(),
                subject: format!("token:{name}"),
                data: serde_json::json!({"role": r.name()}),
            }])?;
            println!("{secret}");
            eprintln!(
                "raqib: token {name} ({}) created; it is shown only now",
                r.name()
            );
        }
        TokenCommand::List => {
            for t in store.tokens()? {
                println!("{}\t{}\t{}", t.name, t.role, t.created_at);
            }
        }
        TokenCommand::Revoke { name } => {
            if !store.revoke_token(&name)? {
                bail!("no token named {name}");
            }
            store.append_audit(&[raqib_store::audit::Record {
                at: now,
                actor: "raqib token".into(),
                kind: "token_revoke".into(),
                subject: format!("token:{name}"),
                data: serde_json::json!({}),
            }])?;
            eprintln!("raqib: token {name} revoked");
        }
    }
    Ok(0)
}

/// Every audit entry in a store, in order.
pub fn store_entries(store: &dyn Store) -> Result<Vec<raqib_store::audit::Entry>> {
    let mut out = Vec::new();
    loop {
        let after = out.last().map_or(0, |e: &raqib_store::audit::Entry| e.seq);
        let batch = store.audit_after(after, 10_000)?;
        if batch.is_empty() {
            return Ok(out);
        }
        out.extend(batch);
    }
}
