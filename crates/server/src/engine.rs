//! What the server decides about a submitted item: every detector's signal with its
//! evidence, the policy's decision, and what is written with the item (audit records,
//! webhook deliveries). No I/O: the caller stores what this returns.

use std::cell::RefCell;
use std::sync::{Arc, RwLock};

use raqib_model::{Account, Post};
use raqib_policy::{Action, Decision, Policy, SignalIn};
use raqib_store::audit::Record;
use raqib_store::db::{Delivery, DeliveryState, Item, NewItem, RawJson, State};
use raqib_text::{ModelSet, Scratch};
use serde::Serialize;

/// The policy used when `raqib serve` is given none: text the model flags and known media
/// are queued for review (known media first); accounts linked to a suspended one too.
pub const DEFAULT_POLICY: &str = r#"version = 1
[[rule]]
name = "known media"
signal = "media"
action = "queue"
priority = 80

[[rule]]
name = "returning account"
signal = "link"
min_score = 0.8
action = "queue"
priority = 70

[[rule]]
name = "flagged text"
signal = "text"
action = "queue"
priority = 40

[[rule]]
name = "coordinated posting"
signal = "network"
min_score = 0.5
action = "queue"
priority = 50

[[rule]]
name = "flagged profile"
signal = "profile"
action = "queue"
priority = 30
"#;

/// One detector's output, as the API returns it.
#[derive(Debug, Clone, Serialize)]
pub struct SignalOut {
    /// `text`, `profile`, `media`, `link`.
    pub kind: &'static str,
    pub detector: &'static str,
    pub score: f32,
    pub flagged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
    /// Spans of text, the matched list entry, or the suspended account and the reasons.
    pub evidence: Evidence,
    /// For a signal on an earlier version of an account's profile (detector
    /// `text.linear.earlier`): that version's text, which its spans are offsets in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earlier: Option<String>,
}

/// What a signal rests on.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Evidence {
    /// Spans of the original text (UTF-8 byte offsets) and the features behind them.
    Spans { spans: Vec<raqib_model::TextSpan> },
    /// The hash-list entry matched.
    Match(raqib_media::lists::ListMatch),
    /// The suspended account linked, with the reasons.
    Link(raqib_link::Link),
    /// Other accounts that posted the same items shortly before.
    Network {
        accounts: Vec<String>,
        shared: Vec<raqib_network::live::Shared>,
    },
}

#[derive(Serialize)]
struct Body<'a, T: Serialize> {
    submitted: &'a T,
    verdict: VerdictOut<'a>,
    decision: &'a Decision,
}

#[derive(Serialize)]
struct VerdictOut<'a> {
    flagged: bool,
    model: &'a str,
    signals: &'a [SignalOut],
}

pub struct Engine {
    pub models: ModelSet,
    pub model_name: String,
    thresholds: Vec<f32>,
    pub explain: usize,
    pub lists: RwLock<Vec<raqib_media::lists::HashList>>,
    pub suspended: Option<RwLock<raqib_link::store::SuspendedStore>>,
    pub link_threshold: f32,
    pub policy: RwLock<Arc<Policy>>,
    pub webhooks: Vec<String>,
    /// Recent posts' items, for the `network` signal.
    live: std::sync::Mutex<raqib_network::live::Live>,
    /// Distinct other accounts posting the same item within the window that make the
    /// `network` signal flag a post; 0 turns the signal off.
    network_accounts: usize,
}

thread_local! {
    static SCRATCH: RefCell<Vec<Scratch>> = const { RefCell::new(Vec::new()) };
    static ITEMS: RefCell<Option<raqib_network::ItemExtractor>> = const { RefCell::new(None) };
}

/// Item kinds the live network signal compares: not hashtags or replies (too common to
/// mean coordination alone), and not near-same text (MinHash bands for every post cost
/// more than the rest of the scoring; `raqib networks` finds near copies in batch).
const LIVE_KINDS: [raqib_network::Kind; 4] = [
    raqib_network::Kind::Url,
    raqib_network::Kind::Media,
    raqib_network::Kind::Share,
    raqib_network::Kind::Text,
];

fn round4(x: f32) -> f32 {
    (x * 10000.0).round() / 10000.0
}

/// Who submitted or changed an item, and when (Unix milliseconds).
#[derive(Debug, Clone)]
pub struct Context {
    pub actor: String,
    pub now_ms: i64,
}

impl Engine {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        models: ModelSet,
        model_name: String,
        threshold: Option<f32>,
        lists: Vec<raqib_media::lists::HashList>,
        suspended: Option<raqib_link::store::SuspendedStore>,
        link_threshold: f32,
        policy: Policy,
        webhooks: Vec<String>,
    ) -> Engine {
        let thresholds = models.thresholds(threshold);
        Engine {
            models,
            model_name,
            thresholds,
            explain: 5,
            lists: RwLock::new(lists),
            suspended: suspended.map(RwLock::new),
            link_threshold,
            policy: RwLock::new(Arc::new(policy)),
            webhooks,
            live: std::sync::Mutex::new(raqib_network::live::Live::new(Default::default())),
            network_accounts: 2,
        }
    }

    /// The live network signal flags at `accounts` other accounts (0 turns it off). When
    /// on, its window's tables are made at their bounded size now, so that filling them
    /// never doubles and copies them under load.
    pub fn set_network_accounts(&mut self, accounts: usize) {
        self.network_accounts = accounts;
        if accounts > 0 {
            *self.live.get_mut().expect("live lock") =
                raqib_network::live::Live::with_full_capacity(Default::default());
        }
    }

    /// The `network` signal of a post made at `t` (Unix seconds): other accounts, among
    /// the posts received in the last ten minutes, that posted one of its items within a
    /// minute of it. Flags at `network_accounts` or more.
    fn network_signal(&self, p: &Post, t: i64, now_ms: i64) -> Option<SignalOut> {
        // A post with no account is no one's action: it cannot coordinate with another.
        if self.network_accounts == 0 || p.account.is_empty() {
            return None;
        }
        let items = ITEMS.with(|ex| {
            let mut ex = ex.borrow_mut();
            let ex = ex.get_or_insert_with(|| {
                raqib_network::ItemExtractor::new(raqib_network::ItemConfig {
                    kinds: LIVE_KINDS.to_vec(),
                    ..Default::default()
                })
            });
            let mut keys = Vec::new();
            ex.items(p, &mut keys);
            // Readable values are looked up only for items others posted too (below).
            keys.into_iter()
                .map(|k| (k, raqib_network::Kind::of(k), String::new()))
                .collect::<Vec<_>>()
        });
        if items.is_empty() {
            return None;
        }
        let account = &p.account;
        let shared = self.live.lock().expect("live lock").observe(
            &p.platform,
            account,
            &p.id,
            t,
            now_ms / 1000,
            &items,
        );
        let mut shared: Vec<_> = shared.into_iter().filter(|s| !s.mass).collect();
        if shared.is_empty() {
            return None;
        }
        ITEMS.with(|ex| {
            if let Some(ex) = ex.borrow_mut().as_mut() {
                let named = raqib_network::items::named_items(p, ex);
                for s in &mut shared {
                    if let Some(n) = named.iter().find(|n| n.0 == s.key) {
                        s.value = n.2.clone();
                    }
                }
            }
        });
        let accounts = raqib_network::live::accounts(&shared, &p.platform);
        let n = accounts.len();
        Some(SignalOut {
            kind: "network",
            detector: "network.live",
            score: (n as f32 / (2 * self.network_accounts) as f32).min(1.0),
            flagged: n >= self.network_accounts,
            list: None,
            evidence: Evidence::Network { accounts, shared },
            earlier: None,
        })
    }

    fn with_scratch<T>(&self, f: impl FnOnce(&mut Vec<Scratch>) -> T) -> T {
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            if s.len() != self.models.len() {
                *s = self.models.scratches();
            }
            f(&mut s)
        })
    }

    fn text_signal(
        &self,
        kind: &'static str,
        lang: Option<&str>,
        text: &str,
    ) -> (SignalOut, String) {
        self.with_scratch(|scratch| {
            let m = self.models.route_text(lang, text);
            let model = self.models.get(m);
            let assessed = model.assess(text, &mut scratch[m]);
            let score = assessed.probability;
            let flagged = assessed.flagged(self.thresholds[m]);
            let spans = if flagged {
                model.explain(text, self.explain, &mut scratch[m]).spans
            } else {
                Vec::new()
            };
            let lang = lang
                .map(str::to_string)
                .unwrap_or_else(|| raqib_text::script_language(text).to_string());
            (
                SignalOut {
                    kind,
                    detector: "text.linear",
                    score: round4(score),
                    flagged,
                    list: None,
                    evidence: Evidence::Spans { spans },
                    earlier: None,
                },
                lang,
            )
        })
    }

    fn media_signals(&self, p: &Post) -> Vec<SignalOut> {
        let lists = self.lists.read().expect("lists lock");
        raqib_scan::match_lists(&lists, p)
            .into_iter()
            .map(|m| SignalOut {
                kind: "media",
                detector: "media.lists",
                score: 1.0,
                flagged: true,
                list: Some(m.list.clone()),
                evidence: Evidence::Match(m),
                earlier: None,
            })
            .collect()
    }

    /// Signals for a post received at `now_ms`.
    pub fn post_signals(&self, p: &Post, now_ms: i64) -> (Vec<SignalOut>, String) {
        // Its text, and each of its media's descriptions (alt text) on its own: the
        // strongest is the post's text signal (a flagged one before any other), its
        // evidence naming the medium whose description it is in.
        let (mut text, lang) = self.text_signal("text", p.lang.as_deref(), &p.text);
        for (k, alt) in p
            .media
            .iter()
            .enumerate()
            .filter_map(|(k, m)| m.description().map(|a| (k, a)))
        {
            let (mut sig, _) = self.text_signal("text", None, alt);
            if (sig.flagged, sig.score) > (text.flagged, text.score) {
                if let Evidence::Spans { spans } = &mut sig.evidence {
                    spans.iter_mut().for_each(|s| s.media = Some(k as u32));
                }
                text = sig;
            }
        }
        let mut signals = vec![text];
        signals.extend(self.media_signals(p));
        // The post's own time when it has one (a backlog keeps its order), else arrival.
        let t = p.created_at.unwrap_or(now_ms / 1000);
        signals.extend(self.network_signal(p, t, now_ms));
        (signals, lang)
    }

    /// Signals for an account: its profile text and its link to suspended accounts.
    pub fn account_signals(&self, a: &Account) -> (Vec<SignalOut>, String) {
        let (profile, lang) = self.text_signal("profile", None, &a.profile_text());
        let mut signals = vec![profile];
        if let Some(s) = &self.suspended {
            let fp = raqib_link::Fingerprinter::default().fingerprint(a, &[]);
            let s = s.read().expect("suspended lock");
            if let Some(l) = s.index.link(&fp, self.link_threshold, 1).into_iter().next() {
                signals.push(SignalOut {
                    kind: "link",
                    detector: "link.suspended",
                    score: round4(l.score),
                    flagged: true,
                    list: None,
                    evidence: Evidence::Link(l),
                    earlier: None,
                });
            }
        }
        if let Some(avatar) = &a.avatar {
            let as_post = Post {
                media: vec![avatar.clone()],
                ..Default::default()
            };
            signals.extend(self.media_signals(&as_post));
        }
        (signals, lang)
    }

    /// Signals for an uploaded or hashed media file.
    pub fn media_file_signals(&self, media: &raqib_model::MediaRef) -> Vec<SignalOut> {
        self.media_signals(&Post {
            media: vec![media.clone()],
            ..Default::default()
        })
    }

    pub fn policy(&self) -> Arc<Policy> {
        self.policy.read().expect("policy lock").clone()
    }

    /// Decide and build what to store for one item.
    #[allow(clippy::too_many_arguments)]
    pub fn assess<T: Serialize>(
        &self,
        kind: &'static str,
        platform: &str,
        place: Option<&str>,
        id: &str,
        client_id: Option<String>,
        lang: String,
        reach: Option<u64>,
        created_at: Option<i64>,
        signals: Vec<SignalOut>,
        submitted: &T,
        ctx: &Context,
    ) -> NewItem {
        let policy = self.policy();
        let item_in = raqib_policy::Item {
            platform: platform.to_string(),
            place: place.map(str::to_string),
            lang: Some(lang.clone()),
            reach,
            // Only signals that passed their detector's threshold reach the policy.
            signals: signals
                .iter()
                .filter(|s| s.flagged)
                .map(|s| SignalIn {
                    kind: s.kind.to_string(),
                    score: s.score,
                    list: s.list.clone(),
                })
                .collect(),
        };
        let decision = policy.decide(&item_in);
        let key = match kind {
            "media" => format!("media:{id}"),
            _ => format!("{kind}:{platform}:{id}"),
        };
        let flagged = signals.iter().any(|s| s.flagged);
        let acts = decision.action != Action::Ignore && !decision.dry_run;
        let state = if acts && decision.action == Action::Queue {
            State::Open
        } else {
            State::Closed
        };
        let body = RawJson::from(&Body {
            submitted,
            verdict: VerdictOut {
                flagged,
                model: &self.model_name,
                signals: &signals,
            },
            decision: &decision,
        });
        let mut audit = Vec::new();
        let mut deliveries = Vec::new();
        if decision.action != Action::Ignore {
            audit.push(Record {
                at: ctx.now_ms / 1000,
                actor: ctx.actor.clone(),
                kind: "decision".into(),
                subject: key.clone(),
                data: decision_data(&decision, &lang, created_at, kind),
            });
        }
        if acts && decision.action != Action::Queue {
            deliveries = self.deliveries(
                "action",
                &format!("{key}:{}", decision.action.name()),
                serde_json::json!({
                    "event": "action",
                    "action": decision.action.name(),
                    "item": key,
                    "kind": kind,
                    "platform": platform,
                    "id": id,
                    "decision": decision,
                    "by": "policy",
                }),
                ctx.now_ms,
            );
        }
        let mut signal_kinds: Vec<String> = signals
            .iter()
            .filter(|s| s.flagged)
            .map(|s| s.kind.to_string())
            .collect();
        signal_kinds.dedup();
        let mut lists: Vec<String> = signals.iter().filter_map(|s| s.list.clone()).collect();
        lists.sort();
        lists.dedup();
        NewItem {
            item: Item {
                key,
                kind: kind.to_string(),
                platform: platform.to_string(),
                id: id.to_string(),
                place: place.map(str::to_string),
                client_id,
                seq: 0,
                received_at: ctx.now_ms,
                priority: decision.priority,
                state,
                flagged,
                action: decision.action.name().to_string(),
                lang: Some(lang),
                signals: signal_kinds,
                lists,
                body,
                reviews: Vec::new(),
                appeals: Vec::new(),
            },
            deliveries,
            audit,
            encoded: None,
            audit_fields: None,
        }
        .encode()
    }

    /// One delivery per configured webhook.
    pub fn deliveries(
        &self,
        event: &str,
        idempotency_key: &str,
        payload: serde_json::Value,
        now_ms: i64,
    ) -> Vec<Delivery> {
        self.webhooks
            .iter()
            .map(|url| Delivery {
                id: 0,
                url: url.clone(),
                event: event.to_string(),
                idempotency_key: idempotency_key.to_string(),
                payload: payload.clone(),
                attempts: 0,
                next_at: now_ms,
                state: DeliveryState::Pending,
                last_error: None,
            })
            .collect()
    }

    pub fn assess_post(&self, p: Post, client_id: Option<String>, ctx: &Context) -> NewItem {
        let (signals, lang) = self.post_signals(&p, ctx.now_ms);
        self.assess(
            "post",
            &p.platform,
            p.place.as_deref(),
            &p.id,
            client_id,
            lang,
            p.reach,
            p.created_at,
            signals,
            &p,
            ctx,
        )
    }

    pub fn assess_account(&self, a: Account, client_id: Option<String>, ctx: &Context) -> NewItem {
        self.assess_account_versions(a, &[], client_id, ctx)
    }

    /// [`Engine::assess_account`] for a new version of an account's profile, `earlier` the
    /// texts of the versions stored before it. An account is judged by the strongest
    /// version of its profile, as `raqib scan` judges it: one that shed the group's words
    /// after it was flagged stays flagged. Where an earlier version is flagged and scores
    /// above the profile as it is now, its signal (detector `text.linear.earlier`, its
    /// text in `earlier`) goes with the profile's own.
    pub fn assess_account_versions(
        &self,
        a: Account,
        earlier: &[String],
        client_id: Option<String>,
        ctx: &Context,
    ) -> NewItem {
        let (mut signals, lang) = self.account_signals(&a);
        let now = signals[0].score;
        let strongest = earlier
            .iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| (self.text_signal("profile", None, t).0, t))
            .filter(|(s, _)| s.flagged && s.score > now)
            .max_by(|x, y| x.0.score.total_cmp(&y.0.score));
        if let Some((mut s, text)) = strongest {
            s.detector = "text.linear.earlier";
            s.earlier = Some(text.clone());
            signals.insert(1, s);
        }
        let mut n = self.assess(
            "account",
            &a.platform,
            None,
            &a.id,
            client_id,
            lang,
            a.followers,
            None,
            signals,
            &a,
            ctx,
        );
        // An account submitted at sign-up has no posts yet: actioning it now is actioning
        // it before its first post (the transparency report counts these).
        for r in &mut n.audit {
            r.data["posts"] = serde_json::json!(0);
        }
        n
    }
}

/// The audit data of a policy decision, in the fields the transparency report reads.
fn decision_data(
    d: &Decision,
    lang: &str,
    created_at: Option<i64>,
    kind: &str,
) -> serde_json::Value {
    let mut data = serde_json::json!({
        "action": d.action.name(),
        "priority": d.priority,
        "rule": d.rule,
        "dry_run": d.dry_run,
        "source": "detector",
        "lang": lang,
        "item": kind,
    });
    if let Some(c) = created_at {
        data["created_at"] = c.into();
    }
    data
}
