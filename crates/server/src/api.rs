//! Routes, authentication, limits and errors. Every error is JSON
//! `{"error": "...what went wrong and what to do"}` with the status that fits it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use raqib_model::{Account, MediaRef, Post};
use raqib_store::audit::Record;
use raqib_store::db::{Effects, Item, QueueFilter, Review, State as ItemState, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::{hash_token, new_token, valid_name, RateLimiter, Role, TokenCache};
use crate::engine::{Context, Engine};
use crate::hooks::now_ms;
use crate::writer::Writer;
use crate::Config;

pub const PAGE: &str = include_str!("page.html");
pub const OPENAPI: &str = include_str!("../../../docs/openapi.json");
const SESSION_COOKIE: &str = "raqib_session";

type StoreJob = Box<dyn FnOnce(&dyn Store) + Send>;

/// Shared by every request.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub engine: Engine,
    writer: Writer,
    jobs: crossbeam_channel::Sender<StoreJob>,
    tokens: TokenCache,
    limiter: RateLimiter,
    pub(crate) max_batch: usize,
    lists_dir: Option<std::path::PathBuf>,
    policy_file: Option<std::path::PathBuf>,
    policy_watch: Mutex<Option<raqib_policy::PolicyFileWatch>>,
    policy_error: Mutex<Option<String>>,
    wake_hooks: crossbeam_channel::Sender<()>,
    pub metrics: Metrics,
    /// The stream read with `--nats` (what `/health` shows of it) and its connection.
    pub(crate) stream: std::sync::OnceLock<crate::stream::Status>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Counters for `/metrics`.
#[derive(Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    pub responses_4xx: AtomicU64,
    pub responses_5xx: AtomicU64,
    pub items_submitted: AtomicU64,
    pub items_new: AtomicU64,
    pub items_flagged: AtomicU64,
    /// Accounts stored before that a submission gave a new profile (`crate::profiles`).
    pub items_updated: AtomicU64,
    pub reviews: AtomicU64,
    /// Submission latency buckets (seconds): ≤ 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, +Inf.
    pub submit_latency: [AtomicU64; 7],
    pub submit_latency_sum_us: AtomicU64,
    /// Stream messages (`--nats`) stored, refused as bad input, and handed back to be
    /// delivered again (the store could not take them).
    pub stream_stored: AtomicU64,
    pub stream_refused: AtomicU64,
    pub stream_retried: AtomicU64,
}

const LATENCY_BOUNDS: [f64; 6] = [0.001, 0.0025, 0.005, 0.01, 0.05, 0.25];

impl AppState {
    pub fn new(
        cfg: Config,
        writer: Writer,
        wake_hooks: crossbeam_channel::Sender<()>,
    ) -> anyhow::Result<AppState> {
        let (jobs, rx) = crossbeam_channel::unbounded::<StoreJob>();
        for i in 0..4 {
            let (rx, store) = (rx.clone(), cfg.store.clone());
            std::thread::Builder::new()
                .name(format!("raqib-store-{i}"))
                .spawn(move || {
                    while let Ok(job) = rx.recv() {
                        job(&*store);
                    }
                })?;
        }
        let policy_watch = match &cfg.policy_file {
            Some(p) => Some(raqib_policy::PolicyFileWatch::open(p)?),
            None => None,
        };
        Ok(AppState(Arc::new(Inner {
            store: cfg.store,
            engine: cfg.engine,
            writer,
            jobs,
            tokens: TokenCache::new(Duration::from_secs(5)),
            limiter: RateLimiter::new(cfg.rate_limit),
            max_batch: cfg.max_batch,
            lists_dir: cfg.lists_dir,
            policy_file: cfg.policy_file,
            policy_watch: Mutex::new(policy_watch),
            policy_error: Mutex::new(None),
            wake_hooks,
            metrics: Metrics::default(),
            stream: std::sync::OnceLock::new(),
        })))
    }

    /// Run `f` on a store thread.
    async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |s| {
                let _ = tx.send(f(s));
            }))
            .map_err(|_| ApiError::internal("the store threads have stopped"))?;
        rx.await
            .map_err(|_| ApiError::internal("a store thread failed"))?
            .map_err(ApiError::from)
    }

    /// Check and reload the policy file; returns whether it changed.
    pub fn reload_policy(&self) -> Result<bool, String> {
        let mut w = self.policy_watch.lock().expect("policy watch");
        let Some(w) = w.as_mut() else {
            return Ok(false);
        };
        match w.reload_if_changed() {
            Ok(changed) => {
                if changed {
                    *self.engine.policy.write().expect("policy lock") = w.policy();
                    eprintln!(
                        "raqib serve: policy reloaded from {}",
                        self.policy_file_name()
                    );
                }
                *self.policy_error.lock().expect("policy error") = None;
                Ok(changed)
            }
            Err(e) => {
                let msg = format!("{e} (the policy in force is unchanged)");
                eprintln!("raqib serve: {msg}");
                *self.policy_error.lock().expect("policy error") = Some(msg.clone());
                Err(msg)
            }
        }
    }

    fn policy_file_name(&self) -> String {
        self.policy_file
            .as_ref()
            .map_or("(built-in)".into(), |p| p.display().to_string())
    }
}

/// Check the policy file every two seconds.
pub fn spawn_policy_watch(state: AppState) {
    if state.policy_file.is_none() {
        return;
    }
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let s = state.clone();
            let _ = tokio::task::spawn_blocking(move || s.reload_policy()).await;
        }
    });
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    pub(crate) message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }
    fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(k) => ApiError::new(StatusCode::NOT_FOUND, format!("no item {k}")),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
            e => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(json!({ "error": self.message }))).into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    }
}

type ApiResult = Result<Response, ApiError>;

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

/// Authenticate the request and check its role is one of `allowed` (admin always is).
async fn caller(
    s: &AppState,
    method: &Method,
    headers: &HeaderMap,
    allowed: &[Role],
) -> Result<Caller, ApiError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_string());
    let (secret, from_cookie) = match bearer {
        Some(b) => (b, false),
        None => match cookie_token(headers) {
            Some(c) => (c, true),
            None => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "no API token: send `Authorization: Bearer TOKEN` (create one with `raqib token add`)",
                ))
            }
        },
    };
    // A cookie is sent by the browser on its own; a state-changing request from the page
    // must also carry a header that another site's form cannot set.
    if from_cookie && method != Method::GET && !headers.contains_key("x-raqib-page") {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "a signed-in page request must carry the X-Raqib-Page header",
        ));
    }
    let hash = hash_token(&secret);
    let token = match s.tokens.get(&hash) {
        Some(t) => t,
        None => {
            let h = hash.clone();
            let t = s.db(move |st| st.token(&h)).await?;
            s.tokens.put(hash, t.clone());
            t
        }
    };
    let Some(token) = token else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unknown or revoked API token",
        ));
    };
    let role = Role::parse(&token.role)
        .ok_or_else(|| ApiError::internal(format!("token {} has an unknown role", token.name)))?;
    if role != Role::Admin && !allowed.contains(&role) {
        let need: Vec<&str> = allowed.iter().map(|r| r.name()).collect();
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "token {} has role {}; this needs {} or admin",
                token.name,
                role.name(),
                need.join(" or ")
            ),
        ));
    }
    if let Err(wait) = s.limiter.take(&token.name) {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "rate limit for token {} reached: retry in {wait} s",
                token.name
            ),
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    Ok(Caller {
        name: token.name,
        role,
    })
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/openapi.json", get(openapi))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/api/v1/session", post(sign_in).delete(sign_out))
        .route("/api/v1/whoami", get(whoami))
        .route("/api/v1/posts", post(submit_post))
        .route("/api/v1/posts/batch", post(submit_posts))
        .route("/api/v1/accounts", post(submit_account))
        .route("/api/v1/accounts/batch", post(submit_accounts))
        .route("/api/v1/media", post(upload_media))
        .route("/api/v1/media/hash", post(submit_media_hash))
        .route("/api/v1/items", get(item_by_client_id))
        .route("/api/v1/items/{key}", get(get_item))
        .route("/api/v1/items/{key}/review", post(review))
        .route("/api/v1/items/{key}/undo", post(undo))
        .route("/api/v1/items/{key}/appeal", post(appeal))
        .route("/api/v1/queue", get(queue))
        .route("/api/v1/deadletters", get(dead_letters))
        .route("/api/v1/deadletters/{id}/retry", post(retry_dead_letter))
        .route("/api/v1/lists", get(lists))
        .route("/api/v1/lists/{name}", post(create_list))
        .route("/api/v1/lists/{name}/entries", post(list_entries))
        .route("/api/v1/suspended", post(add_suspended))
        .route(
            "/api/v1/suspended/{platform}/{id}",
            delete(remove_suspended),
        )
        .route("/api/v1/tokens", get(list_tokens).post(add_token))
        .route("/api/v1/tokens/{name}", delete(revoke_token))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/training-data", get(training_data))
        .route("/api/v1/policy", get(policy_info))
        .route("/api/v1/policy/reload", post(policy_reload))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            count_responses,
        ))
        .with_state(state)
}

/// The router with its body limit and request timeout.
pub fn app(state: AppState, max_body: usize, timeout: Duration) -> Router {
    router(state)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| async move {
                match tokio::time::timeout(timeout, next.run(req)).await {
                    Ok(r) => r,
                    Err(_) => ApiError::new(
                        StatusCode::REQUEST_TIMEOUT,
                        format!(
                            "request not completed within {} s (a slow client?)",
                            timeout.as_secs()
                        ),
                    )
                    .into_response(),
                }
            },
        ))
}

async fn count_responses(State(s): State<AppState>, req: Request, next: Next) -> Response {
    s.metrics.requests.fetch_add(1, Ordering::Relaxed);
    let r = next.run(req).await;
    if r.status().is_client_error() {
        s.metrics.responses_4xx.fetch_add(1, Ordering::Relaxed);
    } else if r.status().is_server_error() {
        s.metrics.responses_5xx.fetch_add(1, Ordering::Relaxed);
    }
    r
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such route: see /openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this route: see /openapi.json",
    )
}

async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https: http:; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        PAGE,
    )
        .into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn health(State(s): State<AppState>) -> ApiResult {
    let counts = s.db(|st| st.counts()).await;
    let policy_error = s.policy_error.lock().expect("policy error").clone();
    let (status, body) = match counts {
        Ok(c) => (StatusCode::OK, {
            let mut body = json!({
                "status": "ok",
                "store": s.store.describe(),
                "model": s.engine.model_name,
                "policy": s.policy_file_name(),
                "policy_error": policy_error,
                "counts": c,
            });
            if let Some(st) = s.stream.get() {
                let connection = match st.client.connection_state() {
                    async_nats::connection::State::Connected => "connected",
                    async_nats::connection::State::Disconnected => "disconnected",
                    async_nats::connection::State::Pending => "connecting",
                };
                body["stream"] = json!({"source": st.source, "connection": connection});
            }
            body
        }),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "store unavailable", "error": e.message}),
        ),
    };
    Ok((status, axum::Json(body)).into_response())
}

async fn metrics(State(s): State<AppState>) -> ApiResult {
    let c = s.db(|st| st.counts()).await?;
    let m = &s.metrics;
    let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let rows: [(&str, &str, &str, u64); 13] = [
        (
            "raqib_http_requests_total",
            "counter",
            "HTTP requests.",
            g(&m.requests),
        ),
        (
            "raqib_http_client_errors_total",
            "counter",
            "Responses 4xx.",
            g(&m.responses_4xx),
        ),
        (
            "raqib_http_server_errors_total",
            "counter",
            "Responses 5xx.",
            g(&m.responses_5xx),
        ),
        (
            "raqib_items_submitted_total",
            "counter",
            "Items submitted (with repeats).",
            g(&m.items_submitted),
        ),
        (
            "raqib_items_stored_total",
            "counter",
            "New items stored.",
            g(&m.items_new),
        ),
        (
            "raqib_items_flagged_total",
            "counter",
            "New items with a flagged signal.",
            g(&m.items_flagged),
        ),
        (
            "raqib_items_updated_total",
            "counter",
            "Accounts stored before whose profile a submission changed: scored and decided again.",
            g(&m.items_updated),
        ),
        (
            "raqib_reviews_total",
            "counter",
            "Reviewer decisions, undos and appeals.",
            g(&m.reviews),
        ),
        ("raqib_store_items", "gauge", "Items in the store.", c.items),
        (
            "raqib_queue_open",
            "gauge",
            "Items waiting for review.",
            c.open,
        ),
        (
            "raqib_audit_entries",
            "gauge",
            "Audit log entries.",
            c.audit_entries,
        ),
        (
            "raqib_webhooks_pending",
            "gauge",
            "Webhook deliveries waiting.",
            c.deliveries_pending,
        ),
        (
            "raqib_webhooks_dead_letters",
            "gauge",
            "Webhook deliveries given up on.",
            c.dead_letters,
        ),
    ];
    let mut out = String::new();
    for (name, kind, help, v) in rows {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n"
        ));
    }
    // The stream's figures only where one is read (`--nats`).
    if let Some(st) = s.stream.get() {
        // The consumer's backlog, as the server holding the stream counts it (a second at
        // most; left out when it does not answer).
        let info = tokio::time::timeout(Duration::from_secs(1), st.consumer.get_info()).await;
        if let Ok(Ok(i)) = info {
            out.push_str(&format!(
                "# HELP raqib_stream_pending_messages Messages on the stream not yet delivered to raqib's consumer.\n# TYPE raqib_stream_pending_messages gauge\nraqib_stream_pending_messages {}\n# HELP raqib_stream_unacknowledged_messages Messages delivered and not yet acknowledged (being scored and stored, or to be delivered again).\n# TYPE raqib_stream_unacknowledged_messages gauge\nraqib_stream_unacknowledged_messages {}\n",
                i.num_pending, i.num_ack_pending
            ));
        }
        out.push_str(
            "# HELP raqib_stream_messages_total NATS stream messages (--nats): stored, refused as bad input (terminated), retried (the store could not take them).\n# TYPE raqib_stream_messages_total counter\n",
        );
        for (outcome, n) in [
            ("stored", &m.stream_stored),
            ("refused", &m.stream_refused),
            ("retried", &m.stream_retried),
        ] {
            out.push_str(&format!(
                "raqib_stream_messages_total{{outcome=\"{outcome}\"}} {}\n",
                g(n)
            ));
        }
    }
    out.push_str("# HELP raqib_submit_seconds Submission latency, received to durable.\n# TYPE raqib_submit_seconds histogram\n");
    let mut cum = 0;
    for (i, b) in m.submit_latency.iter().enumerate() {
        cum += g(b);
        let le = LATENCY_BOUNDS
            .get(i)
            .map_or("+Inf".to_string(), |b| b.to_string());
        out.push_str(&format!(
            "raqib_submit_seconds_bucket{{le=\"{le}\"}} {cum}\n"
        ));
    }
    out.push_str(&format!(
        "raqib_submit_seconds_sum {}\nraqib_submit_seconds_count {cum}\n",
        g(&m.submit_latency_sum_us) as f64 / 1e6
    ));
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response())
}

// ---------- parsing ----------

const POST_FIELDS: &[&str] = &[
    "id",
    "platform",
    "account",
    "created_at",
    "text",
    "lang",
    "urls",
    "media",
    "reply_to",
    "share_of",
    "first_version",
    "place",
    "permalink",
    "reach",
    "label",
    "client_id",
];
const ACCOUNT_FIELDS: &[&str] = &[
    "id",
    "platform",
    "handle",
    "display_name",
    "bio",
    "created_at",
    "avatar",
    "followers",
    "status",
    "follows",
    "client_id",
];

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad("empty body: send a JSON object"));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad(format!("body is not valid JSON: {e}")))
}

/// A typed record from a JSON object, refusing unknown fields and naming the field whose
/// type is wrong. `what` prefixes messages (e.g. `posts[3]`).
fn typed<T: serde::de::DeserializeOwned>(
    v: Value,
    fields: &[&str],
    what: &str,
) -> Result<(T, Option<String>), String> {
    let Value::Object(mut map) = v else {
        return Err(format!("{what}: expected a JSON object"));
    };
    if let Some(k) = map.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(format!(
            "{what}: unknown field `{k}` (known: {})",
            fields.join(", ")
        ));
    }
    let client_id = match map.remove("client_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) if !c.is_empty() && c.len() <= 200 => Some(c),
        Some(_) => {
            return Err(format!(
                "{what}: client_id must be a string of 1–200 characters"
            ))
        }
    };
    let t: T = serde_path_to_error::deserialize(Value::Object(map))
        .map_err(|e| format!("{what}: field `{}`: {}", e.path(), e.inner()))?;
    Ok((t, client_id))
}

fn check_id(what: &str, platform: &str, id: &str) -> Result<(), String> {
    if id.trim().is_empty() {
        return Err(format!("{what}: `id` is missing or empty"));
    }
    if id.len() > 256 || platform.len() > 64 {
        return Err(format!(
            "{what}: `id` (≤ 256 bytes) or `platform` (≤ 64) is too long"
        ));
    }
    if id.chars().chain(platform.chars()).any(char::is_control) {
        return Err(format!(
            "{what}: `id` and `platform` may not hold control characters"
        ));
    }
    Ok(())
}

/// A post as the API takes it: raqib's post and a client id, nothing else (the fast path;
/// [`POST_FIELDS`] and `typed` give the detailed messages when it fails).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostIn {
    id: String,
    #[serde(default)]
    platform: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    created_at: Option<i64>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    urls: Vec<String>,
    #[serde(default)]
    media: Vec<MediaRef>,
    #[serde(default)]
    reply_to: Option<String>,
    #[serde(default)]
    share_of: Option<String>,
    #[serde(default)]
    first_version: Option<String>,
    #[serde(default)]
    place: Option<String>,
    #[serde(default)]
    permalink: Option<String>,
    #[serde(default)]
    reach: Option<u64>,
    #[serde(default)]
    label: Option<bool>,
    #[serde(default)]
    client_id: Option<String>,
}

impl PostIn {
    fn checked(self, what: &str) -> Result<(Post, Option<String>), String> {
        if self
            .client_id
            .as_ref()
            .is_some_and(|c| c.is_empty() || c.len() > 200)
        {
            return Err(format!(
                "{what}: client_id must be a string of 1–200 characters"
            ));
        }
        check_id(what, &self.platform, &self.id)?;
        Ok((
            Post {
                id: self.id,
                platform: self.platform,
                account: self.account,
                created_at: self.created_at,
                text: self.text,
                lang: self.lang,
                urls: self.urls,
                media: self.media,
                reply_to: self.reply_to,
                share_of: self.share_of,
                first_version: self.first_version,
                place: self.place,
                permalink: self.permalink,
                reach: self.reach,
                label: self.label,
                // Evaluation's, not the service's.
                category: None,
            },
            self.client_id,
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostBatch {
    posts: Vec<PostIn>,
}

/// A single-post submission body: the post and its client id, or the message the client
/// gets with a 400.
pub fn parse_post_body(body: &[u8]) -> Result<(Post, Option<String>), String> {
    if let Ok(p) = serde_json::from_slice::<PostIn>(body) {
        return p.checked("post");
    }
    let v = parse_json(body).map_err(|e| e.message)?;
    parse_post(v, "post")
}

fn parse_post(v: Value, what: &str) -> Result<(Post, Option<String>), String> {
    let (p, c): (Post, _) = typed(v, POST_FIELDS, what)?;
    check_id(what, &p.platform, &p.id)?;
    Ok((p, c))
}

fn parse_account(v: Value, what: &str) -> Result<(Account, Option<String>), String> {
    let (a, c): (Account, _) = typed(v, ACCOUNT_FIELDS, what)?;
    check_id(what, &a.platform, &a.id)?;
    Ok((a, c))
}

/// The records of a batch body `{"posts": [...]}`; every bad record is named, and none is
/// stored unless all are good.
fn batch<T>(
    s: &AppState,
    body: &[u8],
    field: &str,
    parse: impl Fn(Value, &str) -> Result<(T, Option<String>), String>,
) -> Result<Vec<(T, Option<String>)>, ApiError> {
    batch_of(parse_json(body)?, field, s.max_batch, parse)
}

/// What one stream message holds: a post, or a batch of posts or of accounts, as the
/// submission routes take them.
pub enum Records {
    Posts(Vec<(Post, Option<String>)>),
    Accounts(Vec<(Account, Option<String>)>),
}

/// A stream message's records (`raqib serve --nats`): a post object (`POST
/// /api/v1/posts`), `{"posts": [...]}` or `{"accounts": [...]}`; every bad record is
/// named, and the message is refused whole, as a batch request is.
pub fn parse_message(body: &[u8], max_batch: usize) -> Result<Records, String> {
    // The common case first, as `POST /api/v1/posts` reads it: a post, typed at once.
    if let Ok(p) = serde_json::from_slice::<PostIn>(body) {
        return p.checked("post").map(|p| Records::Posts(vec![p]));
    }
    let v = parse_json(body).map_err(|e| e.message)?;
    let only = |k: &str| {
        v.as_object()
            .is_some_and(|m| m.len() == 1 && m.contains_key(k))
    };
    if only("accounts") {
        batch_of(v, "accounts", max_batch, parse_account)
            .map(Records::Accounts)
            .map_err(|e| e.message)
    } else if only("posts") {
        batch_of(v, "posts", max_batch, parse_post)
            .map(Records::Posts)
            .map_err(|e| e.message)
    } else {
        parse_post(v, "post").map(|p| Records::Posts(vec![p]))
    }
}

fn batch_of<T>(
    v: Value,
    field: &str,
    max_batch: usize,
    parse: impl Fn(Value, &str) -> Result<(T, Option<String>), String>,
) -> Result<Vec<(T, Option<String>)>, ApiError> {
    let Value::Object(mut map) = v else {
        return Err(ApiError::bad(format!("expected {{\"{field}\": [...]}}")));
    };
    if let Some(k) = map.keys().find(|k| *k != field) {
        return Err(ApiError::bad(format!(
            "unknown field `{k}`: expected {{\"{field}\": [...]}}"
        )));
    }
    let Some(Value::Array(list)) = map.remove(field) else {
        return Err(ApiError::bad(format!("`{field}` must be an array")));
    };
    if list.is_empty() {
        return Err(ApiError::bad(format!("`{field}` is empty")));
    }
    if list.len() > max_batch {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} records in one batch; the limit is {max_batch} (--max-batch)",
                list.len(),
            ),
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    let mut errors = Vec::new();
    for (i, v) in list.into_iter().enumerate() {
        match parse(v, &format!("{field}[{i}]")) {
            Ok(x) => out.push(x),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        let n = errors.len();
        errors.truncate(20);
        return Err(ApiError::bad(format!(
            "{n} bad record(s), nothing stored: {}",
            errors.join("; ")
        )));
    }
    Ok(out)
}

/// An item as the API returns it; `duplicate` on submission answers only, and `updated`
/// where the submission was a new version of an account's profile.
#[derive(serde::Serialize)]
pub(crate) struct View<'a> {
    #[serde(flatten)]
    item: &'a Item,
    #[serde(skip_serializing_if = "Option::is_none")]
    duplicate: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<bool>,
}

pub(crate) fn item_view(item: &Item, new: bool) -> View<'_> {
    View {
        item,
        duplicate: Some(!new),
        updated: None,
    }
}

fn plain_view(item: &Item) -> View<'_> {
    View {
        item,
        duplicate: None,
        updated: None,
    }
}

/// What a batch submission answers for each item.
#[derive(Serialize)]
struct ShortView<'a> {
    key: &'a str,
    seq: u64,
    duplicate: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    updated: bool,
    flagged: bool,
    action: &'a str,
    priority: u8,
    state: ItemState,
}

fn short_view(item: &Item, new: bool, updated: bool) -> ShortView<'_> {
    ShortView {
        key: &item.key,
        seq: item.seq,
        duplicate: !new && !updated,
        updated,
        flagged: item.flagged,
        action: &item.action,
        priority: item.priority,
        state: item.state,
    }
}

/// A batch's answer, `{"items": [...]}`, written in one pass into a buffer of about the
/// right size.
fn batch_answer(done: &[raqib_store::db::Submitted]) -> Response {
    batch_answer_updated(done, &[])
}

/// [`batch_answer`], with which items were new versions of an account's profile.
fn batch_answer_updated(done: &[raqib_store::db::Submitted], updated: &[bool]) -> Response {
    #[derive(Serialize)]
    struct Answer<'a> {
        items: Vec<ShortView<'a>>,
    }
    let answer = Answer {
        items: done
            .iter()
            .enumerate()
            .map(|(i, d)| short_view(&d.item, d.new, updated.get(i).copied().unwrap_or(false)))
            .collect(),
    };
    let mut buf = Vec::with_capacity(16 + done.len() * 128);
    serde_json::to_writer(&mut buf, &answer).expect("serialising to memory cannot fail");
    ([(header::CONTENT_TYPE, "application/json")], buf).into_response()
}

impl AppState {
    pub(crate) async fn store_new(
        &self,
        items: Vec<raqib_store::db::NewItem>,
    ) -> Result<Vec<raqib_store::db::Submitted>, ApiError> {
        let n = items.len() as u64;
        let done = self.writer.submit(items).await.map_err(|e| {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, format!("not stored: {e}"))
        })?;
        let m = &self.metrics;
        m.items_submitted.fetch_add(n, Ordering::Relaxed);
        for d in done.iter().filter(|d| d.new) {
            m.items_new.fetch_add(1, Ordering::Relaxed);
            if d.item.flagged {
                m.items_flagged.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(done)
    }

    /// Store `items` as [`AppState::store_new`] does; then an account stored before whose
    /// profile this submission changes is made its new version (`crate::profiles`): scored
    /// and decided again, the stored item updated in place. The second list says which
    /// were updated so (empty where none was: nothing is made on the path of posts).
    pub(crate) async fn store_with_profiles(
        &self,
        items: Vec<raqib_store::db::NewItem>,
        cx: &Context,
    ) -> Result<(Vec<raqib_store::db::Submitted>, Vec<bool>), ApiError> {
        let accounts: Vec<(usize, raqib_store::db::NewItem)> = items
            .iter()
            .enumerate()
            .filter(|(_, n)| n.item.kind == "account")
            .map(|(i, n)| (i, n.clone()))
            .collect();
        let mut done = self.store_new(items).await?;
        let changed: Vec<_> = accounts
            .into_iter()
            .filter(|(i, _)| !done[*i].new)
            .filter_map(|(i, n)| crate::profiles::change(&done[i].item, &n).map(|v| (i, n, v)))
            .collect();
        if changed.is_empty() {
            return Ok((done, Vec::new()));
        }
        let mut updated = vec![false; done.len()];
        for (i, submission, mut version) in changed {
            // The version is made from the item as read; where another submission stored
            // a version of the account meanwhile (or an earlier record of this batch did),
            // the update finds it moved and this one is merged with that one instead.
            let mut base = done[i].item.clone();
            let mut tries = 0;
            loop {
                let cx = cx.clone();
                let cid = submission.item.client_id.clone();
                let fresh = score_all(
                    self,
                    move |e| e.assess_account_versions(version.merged, &version.earlier, cid, &cx),
                    true,
                )
                .await?;
                let key = fresh.item.key.clone();
                let then = base;
                let outcome = self
                    .db(move |store| {
                        let mut moved = None;
                        let r = store.update(&key, &mut |item| {
                            if !crate::profiles::unchanged(item, &then) {
                                moved = Some(item.clone());
                                return Err("the account changed meanwhile".into());
                            }
                            crate::profiles::apply(item, &fresh)
                        });
                        match moved {
                            Some(now) => Ok(Err(now)),
                            None => r.map(Ok),
                        }
                    })
                    .await?;
                match outcome {
                    Ok(item) => {
                        self.metrics.items_updated.fetch_add(1, Ordering::Relaxed);
                        done[i].item = item;
                        updated[i] = true;
                        break;
                    }
                    Err(now) => {
                        tries += 1;
                        if tries >= PROFILE_TRIES {
                            return Err(ApiError::new(
                                StatusCode::CONFLICT,
                                format!(
                                    "{}: its profile changed {PROFILE_TRIES} times while this \
                                     submission was merged with it; send it again",
                                    now.key
                                ),
                            ));
                        }
                        match crate::profiles::change(&now, &submission) {
                            Some(v) => {
                                version = v;
                                base = now;
                            }
                            // What it brings was stored meanwhile: a duplicate now.
                            None => {
                                done[i].item = now;
                                break;
                            }
                        }
                    }
                }
            }
        }
        Ok((done, updated))
    }

    fn observe(&self, started: Instant) {
        let e = started.elapsed();
        let secs = e.as_secs_f64();
        let i = LATENCY_BOUNDS.iter().position(|b| secs <= *b).unwrap_or(6);
        self.metrics.submit_latency[i].fetch_add(1, Ordering::Relaxed);
        self.metrics
            .submit_latency_sum_us
            .fetch_add(e.as_micros() as u64, Ordering::Relaxed);
    }
}

fn ctx(c: &Caller) -> Context {
    Context {
        actor: c.name.clone(),
        now_ms: now_ms(),
    }
}

/// How many times a new version of an account's profile is merged again with one stored
/// meanwhile before the submission is refused (409) to be sent again.
const PROFILE_TRIES: usize = 16;

/// Score on a blocking thread when there is much to score.
pub(crate) async fn score_all<T: Send + 'static>(
    s: &AppState,
    work: impl FnOnce(&Engine) -> T + Send + 'static,
    heavy: bool,
) -> Result<T, ApiError> {
    if !heavy {
        return Ok(work(&s.engine));
    }
    let st = s.clone();
    tokio::task::spawn_blocking(move || work(&st.engine))
        .await
        .map_err(|_| ApiError::internal("scoring failed"))
}

async fn submit_one(
    s: AppState,
    item: raqib_store::db::NewItem,
    started: Instant,
    cx: &Context,
) -> ApiResult {
    let (done, updated) = s.store_with_profiles(vec![item], cx).await?;
    s.observe(started);
    let d = &done[0];
    let status = if d.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut view = item_view(&d.item, d.new);
    if updated.first().copied().unwrap_or(false) {
        view.duplicate = Some(false);
        view.updated = Some(true);
    }
    Ok((status, axum::Json(view)).into_response())
}

async fn submit_post(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let started = Instant::now();
    let c = caller(&s, &method, &headers, &[Role::Ingest]).await?;
    let (p, cid) = parse_post_body(&body).map_err(ApiError::bad)?;
    let cx = ctx(&c);
    let item = s.engine.assess_post(p, cid, &cx);
    submit_one(s, item, started, &cx).await
}

async fn submit_account(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let started = Instant::now();
    let c = caller(&s, &method, &headers, &[Role::Ingest]).await?;
    let (a, cid) = parse_account(parse_json(&body)?, "account").map_err(ApiError::bad)?;
    let cx = ctx(&c);
    let cx2 = cx.clone();
    let item = score_all(&s, move |e| e.assess_account(a, cid, &cx2), true).await?;
    submit_one(s, item, started, &cx).await
}

async fn submit_posts(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let started = Instant::now();
    let c = caller(&s, &method, &headers, &[Role::Ingest]).await?;
    let posts = match serde_json::from_slice::<PostBatch>(&body) {
        Ok(b) if !b.posts.is_empty() && b.posts.len() <= s.max_batch => {
            let mut out = Vec::with_capacity(b.posts.len());
            let mut errors = Vec::new();
            for (i, p) in b.posts.into_iter().enumerate() {
                match p.checked(&format!("posts[{i}]")) {
                    Ok(x) => out.push(x),
                    Err(e) => errors.push(e),
                }
            }
            if !errors.is_empty() {
                let n = errors.len();
                errors.truncate(20);
                return Err(ApiError::bad(format!(
                    "{n} bad record(s), nothing stored: {}",
                    errors.join("; ")
                )));
            }
            out
        }
        // The slow path names every bad record and the limits.
        _ => batch(&s, &body, "posts", parse_post)?,
    };
    let cx = ctx(&c);
    let heavy = posts.len() > 8;
    let items = score_all(
        &s,
        move |e| {
            posts
                .into_iter()
                .map(|(p, cid)| e.assess_post(p, cid, &cx))
                .collect::<Vec<_>>()
        },
        heavy,
    )
    .await?;
    let done = s.store_new(items).await?;
    s.observe(started);
    Ok(batch_answer(&done))
}

async fn submit_accounts(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let started = Instant::now();
    let c = caller(&s, &method, &headers, &[Role::Ingest]).await?;
    let accounts = batch(&s, &body, "accounts", parse_account)?;
    let cx = ctx(&c);
    let cx2 = cx.clone();
    let items = score_all(
        &s,
        move |e| {
            accounts
                .into_iter()
                .map(|(a, cid)| e.assess_account(a, cid, &cx2))
                .collect::<Vec<_>>()
        },
        true,
    )
    .await?;
    let (done, updated) = s.store_with_profiles(items, &cx).await?;
    s.observe(started);
    Ok(batch_answer_updated(&done, &updated))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MediaQuery {
    #[serde(default)]
    platform: String,
    #[serde(default)]
    client_id: Option<String>,
    /// The uploader's file name: kept as a label only, never used as a path.
    #[serde(default)]
    name: Option<String>,
}

fn clean_name(n: &str) -> String {
    let base = n.rsplit(['/', '\\']).next().unwrap_or("");
    base.chars().filter(|c| !c.is_control()).take(200).collect()
}

#[allow(clippy::too_many_arguments)]
async fn media_item(
    s: &AppState,
    c: &Caller,
    media: MediaRef,
    key_id: String,
    platform: String,
    client_id: Option<String>,
    extra: Value,
    started: Instant,
) -> ApiResult {
    let cx = ctx(c);
    let signals = s.engine.media_file_signals(&media);
    let mut submitted = serde_json::to_value(&media).expect("media serialises");
    if let (Value::Object(m), Value::Object(x)) = (&mut submitted, extra) {
        m.extend(x);
    }
    let item = s.engine.assess(
        "media",
        &platform,
        None,
        &key_id,
        client_id,
        "und".into(),
        None,
        None,
        signals,
        &submitted,
        &cx,
    );
    submit_one(s.clone(), item, started, &cx).await
}

async fn upload_media(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    q: Result<Query<MediaQuery>, axum::extract::rejection::QueryRejection>,
    body: Bytes,
) -> ApiResult {
    let started = Instant::now();
    let c = caller(&s, &method, &headers, &[Role::Ingest]).await?;
    let Query(q) = q.map_err(|e| ApiError::bad(format!("query: {e}")))?;
    if body.is_empty() {
        return Err(ApiError::bad(
            "empty upload: send the image's bytes as the body",
        ));
    }
    let bytes = body.clone();
    let hashed = tokio::task::spawn_blocking(move || {
        let sha256 = raqib_media::exact::sha256_hex(&bytes);
        let md5 = raqib_media::exact::md5_hex(&bytes);
        let pdq = raqib_media::decode::decode_rgb(&bytes, 50_000_000)
            .map(|rgb| raqib_media::PdqHasher::new().hash_rgb(&rgb.pixels, rgb.width, rgb.height));
        (sha256, md5, pdq)
    })
    .await
    .map_err(|_| ApiError::internal("hashing failed"))?;
    let (sha256, md5, pdq) = hashed;
    let pdq = pdq.map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("cannot read the upload as an image: {e} (JPEG, PNG, GIF, WebP, BMP; video by hash)"),
        )
    })?;
    let media = MediaRef {
        kind: "image".into(),
        url: None,
        sha256: Some(sha256.clone()),
        pdq: Some(pdq.hash.to_string()),
        alt: None,
    };
    let extra = json!({
        "md5": md5,
        "pdq_quality": pdq.quality,
        "bytes": body.len(),
        "name": q.name.as_deref().map(clean_name),
    });
    media_item(
        &s,
        &c,
        media,
        sha256,
        q.platform,
        q.client_id,
        extra,
        started,
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MediaHash {
    #[serde(default)]
    platform: String,
    #[serde(default)]
    sha256: Option<String>,
    #[serde(default)]
    pdq: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
}

async fn submit_media_hash(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let started = Instant::now();
    let c = caller(&s, &method, &headers, &[Role::Ingest]).await?;
    let m: MediaHash = serde_path_to_error::deserialize(parse_json(&body)?)
        .map_err(|e| ApiError::bad(format!("field `{}`: {}", e.path(), e.inner())))?;
    let sha256 = match &m.sha256 {
        Some(h) => Some(
            raqib_media::exact::parse_digest(h, 64)
                .ok_or_else(|| ApiError::bad("sha256 must be 64 hex digits"))?,
        ),
        None => None,
    };
    if let Some(p) = &m.pdq {
        p.parse::<raqib_media::Hash256>()
            .map_err(|_| ApiError::bad("pdq must be 64 hex digits"))?;
    }
    let key_id = sha256
        .clone()
        .or_else(|| {
            m.pdq
                .as_ref()
                .map(|p| format!("pdq-{}", p.to_ascii_lowercase()))
        })
        .or_else(|| m.url.clone())
        .ok_or_else(|| ApiError::bad("send at least one of sha256, pdq, url"))?;
    let media = MediaRef {
        kind: "image".into(),
        url: m.url,
        sha256,
        pdq: m.pdq.map(|p| p.to_ascii_lowercase()),
        alt: None,
    };
    media_item(
        &s,
        &c,
        media,
        key_id,
        m.platform,
        m.client_id,
        json!({}),
        started,
    )
    .await
}

#[derive(Deserialize)]
struct ClientIdQuery {
    client_id: String,
}

async fn item_by_client_id(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    q: Result<Query<ClientIdQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    caller(&s, &method, &headers, &[Role::Ingest, Role::Reviewer]).await?;
    let Query(q) = q.map_err(|_| ApiError::bad("give ?client_id=..."))?;
    match s.db(move |st| st.by_client_id(&q.client_id)).await? {
        Some(i) => Ok(axum::Json(item_view(&i, true)).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no item with that client_id",
        )),
    }
}

async fn get_item(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> ApiResult {
    caller(&s, &method, &headers, &[Role::Ingest, Role::Reviewer]).await?;
    let k = key.clone();
    match s.db(move |st| st.get(&k)).await? {
        Some(i) => Ok(axum::Json(plain_view(&i)).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no item {key}"),
        )),
    }
}

#[derive(Deserialize)]
struct QueueQuery {
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    place: Option<String>,
    #[serde(default)]
    signal: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    list: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
}

async fn queue(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    q: Result<Query<QueueQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    caller(&s, &method, &headers, &[Role::Reviewer]).await?;
    let Query(q) = q.map_err(|e| ApiError::bad(format!("query: {e}")))?;
    let f = QueueFilter {
        platform: q.platform,
        place: q.place,
        signal: q.signal,
        lang: q.lang,
        list: q.list,
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let items = s.db(move |st| st.queue(&f, limit)).await?;
    let items: Vec<View> = items.iter().map(plain_view).collect();
    Ok(axum::Json(json!({ "items": items })).into_response())
}

const DECISIONS: &[&str] = &["remove", "suspend", "refer", "no_action"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewBody {
    decision: String,
    #[serde(default)]
    note: String,
}

fn body_of<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(parse_json(body)?)
        .map_err(|e| ApiError::bad(format!("field `{}`: {}", e.path(), e.inner())))
}

fn action_record(
    item: &Item,
    c: &Caller,
    kind: &str,
    action: &str,
    now_ms: i64,
    extra: Value,
) -> Record {
    let mut data = json!({
        "action": action,
        "rule": "review",
        "source": "detector",
        "lang": item.lang,
        "item": item.kind,
        "reviewer": c.name,
    });
    if let Some(t) = item.body.parse()["submitted"]["created_at"].as_i64() {
        data["created_at"] = t.into();
    }
    if let (Value::Object(d), Value::Object(x)) = (&mut data, extra) {
        d.extend(x);
    }
    Record {
        at: now_ms / 1000,
        actor: c.name.clone(),
        kind: kind.into(),
        subject: item.key.clone(),
        data,
    }
}

async fn review(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(key): Path<String>,
    body: Bytes,
) -> ApiResult {
    let c = caller(&s, &method, &headers, &[Role::Reviewer]).await?;
    let b: ReviewBody = body_of(&body)?;
    if !DECISIONS.contains(&b.decision.as_str()) {
        return Err(ApiError::bad(format!(
            "decision `{}`: use one of {}",
            b.decision,
            DECISIONS.join(", ")
        )));
    }
    let now = now_ms();
    let st = s.clone();
    let c2 = c.clone();
    let item = s
        .db(move |store| {
            store.update(&key, &mut |item| {
                if item.state != ItemState::Open {
                    return Err(format!(
                        "{} is already decided ({}); undo that decision or file an appeal first",
                        item.key,
                        item.current_review()
                            .map_or("by policy", |r| r.decision.as_str())
                    ));
                }
                let before = item.current_review().cloned();
                let appealed = item
                    .appeals
                    .last()
                    .is_some_and(|a| before.as_ref().is_none_or(|r| a.at >= r.at));
                item.reviews.push(Review {
                    at: now,
                    reviewer: c2.name.clone(),
                    decision: b.decision.clone(),
                    label: Some(b.decision != "no_action"),
                    note: b.note.clone(),
                });
                item.state = ItemState::Closed;
                let mut audit = vec![if b.decision == "no_action" {
                    action_record(
                        item,
                        &c2,
                        "review",
                        "no_action",
                        now,
                        json!({"note": b.note}),
                    )
                } else {
                    action_record(
                        item,
                        &c2,
                        "action",
                        &b.decision,
                        now,
                        json!({"note": b.note}),
                    )
                }];
                let policy_action = item.action.clone();
                let prior = before.map(|r| r.decision).unwrap_or(policy_action);
                if appealed && prior != b.decision && prior != "queue" {
                    audit.push(action_record(
                        item,
                        &c2,
                        "reversal",
                        &b.decision,
                        now,
                        json!({"was": prior}),
                    ));
                }
                let n = item.reviews.len();
                let deliveries = st.engine.deliveries(
                    "review",
                    &format!("{}:review:{n}", item.key),
                    json!({
                        "event": "review",
                        "action": b.decision,
                        "item": item.key,
                        "kind": item.kind,
                        "platform": item.platform,
                        "id": item.id,
                        "reviewer": c2.name,
                        "note": b.note,
                    }),
                    now,
                );
                Ok(Effects { audit, deliveries })
            })
        })
        .await?;
    s.metrics.reviews.fetch_add(1, Ordering::Relaxed);
    let _ = s.wake_hooks.try_send(());
    Ok(axum::Json(plain_view(&item)).into_response())
}

async fn undo(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> ApiResult {
    let c = caller(&s, &method, &headers, &[Role::Reviewer]).await?;
    let now = now_ms();
    let st = s.clone();
    let item = s
        .db(move |store| {
            store.update(&key, &mut |item| {
                let Some(last) = item.current_review().cloned() else {
                    return Err(format!("{}: no reviewer decision to undo", item.key));
                };
                item.reviews.push(Review {
                    at: now,
                    reviewer: c.name.clone(),
                    decision: "undo".into(),
                    label: None,
                    note: format!("undid {}", last.decision),
                });
                item.state = ItemState::Open;
                let was_action = last.decision != "no_action";
                let kind = if was_action { "reversal" } else { "undo" };
                let audit = vec![action_record(
                    item,
                    &c,
                    kind,
                    "undo",
                    now,
                    json!({"was": last.decision}),
                )];
                let n = item.reviews.len();
                let deliveries = if was_action {
                    st.engine.deliveries(
                        "undo",
                        &format!("{}:review:{n}", item.key),
                        json!({
                            "event": "undo",
                            "undoes": last.decision,
                            "item": item.key,
                            "platform": item.platform,
                            "id": item.id,
                            "reviewer": c.name,
                        }),
                        now,
                    )
                } else {
                    Vec::new()
                };
                Ok(Effects { audit, deliveries })
            })
        })
        .await?;
    s.metrics.reviews.fetch_add(1, Ordering::Relaxed);
    let _ = s.wake_hooks.try_send(());
    Ok(axum::Json(plain_view(&item)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppealBody {
    #[serde(default)]
    reason: String,
}

async fn appeal(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(key): Path<String>,
    body: Bytes,
) -> ApiResult {
    let c = caller(&s, &method, &headers, &[Role::Ingest, Role::Reviewer]).await?;
    let b: AppealBody = if body.is_empty() {
        AppealBody {
            reason: String::new(),
        }
    } else {
        body_of(&body)?
    };
    let now = now_ms();
    let item = s
        .db(move |store| {
            store.update(&key, &mut |item| {
                if item.state == ItemState::Open {
                    return Err(format!("{} is already open for review", item.key));
                }
                item.appeals.push(raqib_store::db::Appeal {
                    at: now,
                    by: c.name.clone(),
                    reason: b.reason.clone(),
                });
                item.state = ItemState::Open;
                item.priority = item.priority.max(90);
                let audit = vec![action_record(
                    item,
                    &c,
                    "appeal",
                    "appeal",
                    now,
                    json!({"reason": b.reason}),
                )];
                Ok(Effects {
                    audit,
                    deliveries: Vec::new(),
                })
            })
        })
        .await?;
    s.metrics.reviews.fetch_add(1, Ordering::Relaxed);
    Ok(axum::Json(plain_view(&item)).into_response())
}

#[derive(Deserialize)]
struct LimitQuery {
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    after: Option<u64>,
}

async fn dead_letters(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Query(q): Query<LimitQuery>,
) -> ApiResult {
    caller(&s, &method, &headers, &[Role::Reviewer]).await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let d = s.db(move |st| st.dead_letters(limit)).await?;
    Ok(axum::Json(json!({ "dead_letters": d })).into_response())
}

async fn retry_dead_letter(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    caller(&s, &method, &headers, &[]).await?;
    let id: u64 = id
        .parse()
        .map_err(|_| ApiError::bad("a dead letter id is a number"))?;
    if s.db(move |st| st.retry_dead_letter(id, now_ms())).await? {
        let _ = s.wake_hooks.try_send(());
        Ok(axum::Json(json!({"retrying": id})).into_response())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no dead letter {id}"),
        ))
    }
}

async fn lists(State(s): State<AppState>, method: Method, headers: HeaderMap) -> ApiResult {
    caller(&s, &method, &headers, &[Role::Reviewer]).await?;
    let lists = s.engine.lists.read().expect("lists lock");
    let out: Vec<Value> = lists
        .iter()
        .map(|l| {
            let counts: HashMap<&str, usize> = l.counts().into_iter().map(|(k, n)| (k.name(), n)).collect();
            json!({"name": l.name(), "description": l.info.description, "radius": l.info.radius, "counts": counts})
        })
        .collect();
    Ok(axum::Json(json!({ "lists": out })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewList {
    #[serde(default)]
    description: String,
    #[serde(default)]
    radius: Option<u32>,
}

async fn create_list(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    let c = caller(&s, &method, &headers, &[]).await?;
    let b: NewList = if body.is_empty() {
        NewList {
            description: String::new(),
            radius: None,
        }
    } else {
        body_of(&body)?
    };
    let Some(dir) = s.lists_dir.clone() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no lists folder: start raqib serve with --lists DIR",
        ));
    };
    if s.engine
        .lists
        .read()
        .expect("lists lock")
        .iter()
        .any(|l| l.name() == name)
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("list {name} exists"),
        ));
    }
    if !valid_name(&name) || name.starts_with('.') {
        return Err(ApiError::bad(
            "a list name is letters, digits, - _ . @ (not starting with .)",
        ));
    }
    let radius = b.radius.unwrap_or(31);
    if radius > 64 {
        return Err(ApiError::bad("radius must be 0–64"));
    }
    let l = raqib_media::lists::HashList::create(&dir.join(&name), &name, &b.description, radius)
        .map_err(|e| ApiError::bad(e.to_string()))?;
    s.engine.lists.write().expect("lists lock").push(l);
    let rec = Record {
        at: now_ms() / 1000,
        actor: c.name,
        kind: "list_create".into(),
        subject: format!("list:{name}"),
        data: json!({"radius": radius}),
    };
    s.db(move |st| st.append_audit(&[rec])).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({"created": name}))).into_response())
}

async fn list_entries(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    let c = caller(&s, &method, &headers, &[]).await?;
    let v = parse_json(&body)?;
    let ops: Vec<raqib_media::lists::LogOp> = serde_path_to_error::deserialize(v.get("entries").cloned().unwrap_or(Value::Null))
        .map_err(|e| ApiError::bad(format!("expected {{\"entries\": [{{\"op\": \"add\", \"type\": \"pdq\", \"value\": \"…\", \"label\": \"…\"}}]}}: field `{}`: {}", e.path(), e.inner())))?;
    let st = s.clone();
    let n_ops = ops.len();
    let res = tokio::task::spawn_blocking(move || {
        let mut lists = st.engine.lists.write().expect("lists lock");
        let Some(l) = lists.iter_mut().find(|l| l.name() == name) else {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no list {name}: create it with POST /api/v1/lists/{name}"),
            ));
        };
        l.append(&ops)
            .map_err(|e| ApiError::bad(e.to_string()))
            .map(|r| (name, r))
    })
    .await
    .map_err(|_| ApiError::internal("list update failed"))??;
    let (name, (applied, problems)) = res;
    let rec = Record {
        at: now_ms() / 1000,
        actor: c.name,
        kind: "list_update".into(),
        subject: format!("list:{name}"),
        data: json!({"ops": n_ops, "applied": applied}),
    };
    s.db(move |st| st.append_audit(&[rec])).await?;
    Ok(axum::Json(json!({"applied": applied, "problems": problems})).into_response())
}

async fn add_suspended(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let c = caller(&s, &method, &headers, &[]).await?;
    let accounts = batch(&s, &body, "accounts", parse_account)?;
    if s.engine.suspended.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no suspended-account index: start raqib serve with --suspended DIR",
        ));
    }
    let st = s.clone();
    let ids: Vec<String> = accounts
        .iter()
        .map(|(a, _)| format!("account:{}:{}", a.platform, a.id))
        .collect();
    let added = tokio::task::spawn_blocking(move || {
        let mut fp = raqib_link::Fingerprinter::default();
        let fps: Vec<_> = accounts
            .iter()
            .map(|(a, _)| fp.fingerprint(a, &[]))
            .collect();
        let mut store = st
            .engine
            .suspended
            .as_ref()
            .expect("checked")
            .write()
            .expect("suspended lock");
        store
            .add(fps, now_ms() / 1000)
            .map_err(|e| ApiError::internal(e.to_string()))
    })
    .await
    .map_err(|_| ApiError::internal("suspended update failed"))??;
    let now = now_ms() / 1000;
    let recs: Vec<Record> = ids
        .iter()
        .map(|k| Record {
            at: now,
            actor: c.name.clone(),
            kind: "suspended_add".into(),
            subject: k.clone(),
            data: json!({}),
        })
        .collect();
    s.db(move |st| st.append_audit(&recs)).await?;
    Ok(axum::Json(json!({"added": added, "accounts": ids.len()})).into_response())
}

async fn remove_suspended(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path((platform, id)): Path<(String, String)>,
) -> ApiResult {
    let c = caller(&s, &method, &headers, &[]).await?;
    let Some(sus) = &s.engine.suspended else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no suspended-account index: start raqib serve with --suspended DIR",
        ));
    };
    let absent = sus
        .write()
        .expect("suspended lock")
        .remove(&[(platform.clone(), id.clone())], now_ms() / 1000)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if !absent.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("account {platform}:{id} is not in the index"),
        ));
    }
    let rec = Record {
        at: now_ms() / 1000,
        actor: c.name,
        kind: "suspended_remove".into(),
        subject: format!("account:{platform}:{id}"),
        data: json!({}),
    };
    s.db(move |st| st.append_audit(&[rec])).await?;
    Ok(axum::Json(json!({"removed": format!("{platform}:{id}")})).into_response())
}

async fn list_tokens(State(s): State<AppState>, method: Method, headers: HeaderMap) -> ApiResult {
    caller(&s, &method, &headers, &[]).await?;
    let t = s.db(|st| st.tokens()).await?;
    let t: Vec<Value> = t
        .iter()
        .map(|t| json!({"name": t.name, "role": t.role, "created_at": t.created_at}))
        .collect();
    Ok(axum::Json(json!({ "tokens": t })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    role: String,
}

async fn add_token(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let c = caller(&s, &method, &headers, &[]).await?;
    let b: NewToken = body_of(&body)?;
    let role = Role::parse(&b.role)
        .ok_or_else(|| ApiError::bad("role must be ingest, reviewer or admin"))?;
    if !valid_name(&b.name) {
        return Err(ApiError::bad(
            "a token name is 1–64 letters, digits, - _ . @",
        ));
    }
    let (secret, token) =
        new_token(&b.name, role, now_ms() / 1000).map_err(|e| ApiError::internal(e.to_string()))?;
    let rec = Record {
        at: now_ms() / 1000,
        actor: c.name,
        kind: "token_add".into(),
        subject: format!("token:{}", b.name),
        data: json!({"role": role.name()}),
    };
    s.db(move |st| {
        st.put_token(&token)?;
        st.append_audit(&[rec])
    })
    .await?;
    s.tokens.clear();
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"name": b.name, "role": role.name(), "token": secret})),
    )
        .into_response())
}

async fn revoke_token(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult {
    let c = caller(&s, &method, &headers, &[]).await?;
    let n = name.clone();
    let rec = Record {
        at: now_ms() / 1000,
        actor: c.name,
        kind: "token_revoke".into(),
        subject: format!("token:{name}"),
        data: json!({}),
    };
    let found = s
        .db(move |st| {
            let f = st.revoke_token(&n)?;
            if f {
                st.append_audit(&[rec])?;
            }
            Ok(f)
        })
        .await?;
    s.tokens.clear();
    if found {
        Ok(axum::Json(json!({"revoked": name})).into_response())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no token named {name}"),
        ))
    }
}

async fn audit(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Query(q): Query<LimitQuery>,
) -> ApiResult {
    caller(&s, &method, &headers, &[]).await?;
    let (after, limit) = (
        q.after.unwrap_or(0),
        q.limit.unwrap_or(1000).clamp(1, 10_000),
    );
    let entries = s.db(move |st| st.audit_after(after, limit)).await?;
    let mut out = Vec::new();
    for e in entries {
        serde_json::to_writer(&mut out, &e).expect("entry serialises");
        out.push(b'\n');
    }
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], out).into_response())
}

/// Reviewed posts as raqib JSON Lines with `label` set from the reviewer's decision, for
/// `raqib train --data`.
async fn training_data(State(s): State<AppState>, method: Method, headers: HeaderMap) -> ApiResult {
    caller(&s, &method, &headers, &[]).await?;
    let out = s
        .db(|st| {
            let mut out = Vec::new();
            let mut after = 0;
            loop {
                let items = st.items_after(after, 1000)?;
                let Some(last) = items.last() else { break };
                after = last.seq;
                for i in items.iter().filter(|i| i.kind == "post") {
                    let Some(label) = i.current_review().and_then(|r| r.label) else {
                        continue;
                    };
                    let mut p = i.body.parse()["submitted"].take();
                    p["label"] = json!(label);
                    serde_json::to_writer(&mut out, &p).expect("post serialises");
                    out.push(b'\n');
                }
            }
            Ok(out)
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], out).into_response())
}

async fn policy_info(State(s): State<AppState>, method: Method, headers: HeaderMap) -> ApiResult {
    caller(&s, &method, &headers, &[Role::Reviewer]).await?;
    let p = s.engine.policy();
    let err = s.policy_error.lock().expect("policy error").clone();
    Ok(axum::Json(json!({
        "file": s.policy_file_name(),
        "dry_run": p.dry_run,
        "rules": p.rules.iter().map(|r| json!({"name": r.name, "signal": r.signal, "action": r.action.name(), "priority": r.priority, "min_score": r.min_score})).collect::<Vec<_>>(),
        "last_reload_error": err,
    }))
    .into_response())
}

async fn policy_reload(State(s): State<AppState>, method: Method, headers: HeaderMap) -> ApiResult {
    caller(&s, &method, &headers, &[]).await?;
    let st = s.clone();
    match tokio::task::spawn_blocking(move || st.reload_policy()).await {
        Ok(Ok(changed)) => Ok(axum::Json(
            json!({"reloaded": changed, "file": s.policy_file_name()}),
        )
        .into_response()),
        Ok(Err(e)) => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e)),
        Err(_) => Err(ApiError::internal("reload failed")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    token: String,
}

async fn sign_in(State(s): State<AppState>, body: Bytes) -> ApiResult {
    let b: SignIn = body_of(&body)?;
    let hash = hash_token(b.token.trim());
    let t = s.db(move |st| st.token(&hash)).await?;
    let Some(t) = t.filter(|t| t.role == "reviewer" || t.role == "admin") else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unknown token, or not a reviewer's or admin's",
        ));
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200",
        b.token.trim()
    );
    let mut r = axum::Json(json!({"name": t.name, "role": t.role})).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie)
            .map_err(|_| ApiError::bad("token has characters a cookie cannot hold"))?,
    );
    Ok(r)
}

async fn sign_out() -> Response {
    let mut r = axum::Json(json!({"signed_out": true})).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("raqib_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    r
}

async fn whoami(State(s): State<AppState>, method: Method, headers: HeaderMap) -> ApiResult {
    let c = caller(&s, &method, &headers, &[Role::Ingest, Role::Reviewer]).await?;
    Ok(axum::Json(json!({"name": c.name, "role": c.role.name()})).into_response())
}

/// Accept connections until `shutdown` resolves. Headers must arrive within 10 s (a slow
/// client cannot hold a connection open by trickling them).
pub async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    tokio::pin!(shutdown);
    loop {
        let (sock, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("raqib serve: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return,
        };
        let _ = sock.set_nodelay(true);
        let svc = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let mut b = hyper::server::conn::http1::Builder::new();
            b.timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .keep_alive(true);
            let _ = b.serve_connection(TokioIo::new(sock), svc).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route the router has is described in docs/openapi.json with its methods.
    #[test]
    fn openapi_describes_every_route() {
        let doc: Value = serde_json::from_str(OPENAPI).expect("docs/openapi.json is JSON");
        let src = include_str!("api.rs");
        let mut n = 0;
        for line in src
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with(".route(\""))
        {
            let path = line.split('"').nth(1).unwrap();
            let rest = &line[line.find(',').unwrap()..];
            for m in ["get", "post", "delete"] {
                if rest.contains(&format!("{m}(")) {
                    assert!(
                        doc["paths"][path][m].is_object(),
                        "{m} {path} is served but not in docs/openapi.json (edit scripts/gen-openapi.py)"
                    );
                    n += 1;
                }
            }
        }
        assert!(n >= 30, "found only {n} routes");
    }

    #[test]
    fn upload_names_lose_their_path() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\x\\poster.png"), "poster.png");
        assert_eq!(clean_name("a\u{0}b.png"), "ab.png");
    }

    #[test]
    fn records_with_unknown_fields_or_wrong_types_are_named() {
        let e = parse_post(json!({"id": "1", "txt": "x"}), "post").unwrap_err();
        assert!(e.contains("unknown field `txt`"), "{e}");
        let e = parse_post(json!({"id": "1", "reach": "lots"}), "posts[2]").unwrap_err();
        assert!(e.starts_with("posts[2]: field `reach`"), "{e}");
        let e = parse_post(json!({"id": " "}), "post").unwrap_err();
        assert!(e.contains("`id`"), "{e}");
        let e = parse_post(json!({"id": "a\u{7}"}), "post").unwrap_err();
        assert!(e.contains("control"), "{e}");
        let (p, c) = parse_post(json!({"id": "1", "text": "t", "client_id": "c"}), "post").unwrap();
        assert_eq!((p.id.as_str(), c.as_deref()), ("1", Some("c")));
    }
}
