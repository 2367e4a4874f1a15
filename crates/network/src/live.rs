//! Co-posting as it happens: for each new post, the other accounts that posted one of its
//! items (the same link, media, shared post, text or near-same text) within the window
//! before it. `raqib serve` uses this for the `network` signal and the reviewer's network
//! context; `detect` is the batch analysis over a whole input.
//!
//! Two clocks: posts are compared by their own times (`created_at`, so a backlog submitted
//! late still compares right), and kept by when they arrived (the last `retention`
//! seconds), so memory is bounded whatever the posts' times. At most `per_item` posters are
//! kept per item; an item with more is a mass item (a trending link), counted but not
//! listed.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde::Serialize;

use crate::items::Kind;

#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Seconds before a post in which another account's post of the same item counts.
    pub window: i64,
    /// Posters kept per item; more than this makes it a mass item.
    pub per_item: usize,
    /// Seconds (of arrival time) a post is kept for comparison.
    pub retention: i64,
    /// Most (post, item) entries kept in all; past it the oldest arrivals go first, so at
    /// very high rates the posts compared reach less far back than `retention`.
    pub max_entries: usize,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            window: 60,
            per_item: 50,
            retention: 300,
            max_entries: 2_000_000,
        }
    }
}

/// Another account's post of the same item, close in time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoPost {
    /// The account's platform: co-posting is seen across platforms, and an account is its
    /// platform's and its id.
    pub platform: String,
    pub account: String,
    pub post: String,
    /// This post's time minus that post's: positive when that one came first.
    pub seconds_apart: i64,
}

/// One item of the new post that others posted too.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shared {
    /// The item's key (as [`crate::items::item_key`] makes it).
    #[serde(skip)]
    pub key: u64,
    pub kind: Kind,
    /// The item as a reviewer reads it (the link, the hash, the post shared); empty for
    /// (near-)same text.
    pub value: String,
    pub others: Vec<CoPost>,
    /// True when the item had more posters in the window than are kept.
    pub mass: bool,
}

#[derive(Debug, Clone)]
struct Seen {
    platform: Arc<str>,
    account: Arc<str>,
    post: Arc<str>,
    t: i64,
    arrived: i64,
}

/// Item keys are already hashes (their low three bits are the kind): a multiply and a
/// rotation spread them over the table, instead of SipHash over eight bytes.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(32)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ b as u64;
        }
    }

    fn write_u64(&mut self, k: u64) {
        self.0 = k;
    }
}

type ItemMap = HashMap<u64, VecDeque<Seen>, std::hash::BuildHasherDefault<KeyHasher>>;

/// The recent window.
#[derive(Debug, Default)]
pub struct Live {
    cfg: LiveConfig,
    items: ItemMap,
    /// (arrival, item) in arrival order, to drop what is past retention.
    order: VecDeque<(i64, u64)>,
}

impl Live {
    pub fn new(cfg: LiveConfig) -> Live {
        Live {
            cfg,
            ..Default::default()
        }
    }

    /// A window with its tables made at their bounded size (`max_entries`) at once, for a
    /// server: filling it then never doubles and copies them (memory pages are still
    /// taken only as they are used).
    pub fn with_full_capacity(cfg: LiveConfig) -> Live {
        let n = cfg.max_entries;
        Live {
            items: ItemMap::with_capacity_and_hasher(n, Default::default()),
            order: VecDeque::with_capacity(n),
            cfg,
        }
    }

    /// Items kept (for metrics).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn expire(&mut self, now: i64) {
        let cutoff = now - self.cfg.retention;
        while let Some(&(t, item)) = self.order.front() {
            if t >= cutoff && self.order.len() <= self.cfg.max_entries {
                break;
            }
            if t >= cutoff {
                // Over the cap: drop this item's oldest entry.
                self.order.pop_front();
                if let Some(q) = self.items.get_mut(&item) {
                    q.pop_front();
                    if q.is_empty() {
                        self.items.remove(&item);
                    }
                }
                continue;
            }
            self.order.pop_front();
            if let Some(q) = self.items.get_mut(&item) {
                while q.front().is_some_and(|s| s.arrived < cutoff) {
                    q.pop_front();
                }
                if q.is_empty() {
                    self.items.remove(&item);
                }
            }
        }
    }

    /// Record a post of `items` (key, kind, readable value) by `account` of `platform`,
    /// made at `t` and arriving at `now` (Unix seconds; `now` never goes back), and return
    /// the items that other accounts (another platform's of the same id among them), among
    /// the posts kept, posted within `window` seconds of `t`.
    pub fn observe(
        &mut self,
        platform: &str,
        account: &str,
        post: &str,
        t: i64,
        now: i64,
        items: &[(u64, Kind, String)],
    ) -> Vec<Shared> {
        self.expire(now);
        let mut out = Vec::new();
        let (plat, acc, pid): (Arc<str>, Arc<str>, Arc<str>) =
            (platform.into(), account.into(), post.into());
        for (key, kind, value) in items {
            let q = self.items.entry(*key).or_default();
            let mass = q.len() >= self.cfg.per_item;
            let mut others: Vec<CoPost> = Vec::new();
            // A mass item is reported as such, without its posters.
            for s in q.iter().filter(|_| !mass) {
                let dt = t - s.t;
                let same = *s.account == *account && *s.platform == *platform;
                if dt.abs() <= self.cfg.window && !same {
                    match others
                        .iter_mut()
                        .find(|o| *o.account == *s.account && *o.platform == *s.platform)
                    {
                        // Each account once, with its post nearest this one.
                        Some(o) if o.seconds_apart.abs() > dt.abs() => {
                            o.post = s.post.to_string();
                            o.seconds_apart = dt;
                        }
                        Some(_) => {}
                        None => others.push(CoPost {
                            platform: s.platform.to_string(),
                            account: s.account.to_string(),
                            post: s.post.to_string(),
                            seconds_apart: dt,
                        }),
                    }
                }
            }
            if mass {
                q.pop_front();
            }
            q.push_back(Seen {
                platform: plat.clone(),
                account: acc.clone(),
                post: pid.clone(),
                t,
                arrived: now,
            });
            self.order.push_back((now, *key));
            if !others.is_empty() || mass {
                others.sort_by_key(|o| o.seconds_apart.abs());
                out.push(Shared {
                    key: *key,
                    kind: *kind,
                    value: match kind {
                        Kind::Text | Kind::NearText => String::new(),
                        _ => value.clone(),
                    },
                    others,
                    mass,
                });
            }
        }
        out
    }
}

/// The distinct other accounts in `shared`, as a reviewer of a post on `platform` reads
/// them: an account of that platform by its id, another platform's as `PLATFORM:ID`.
pub fn accounts(shared: &[Shared], platform: &str) -> Vec<String> {
    let mut a: Vec<String> = shared
        .iter()
        .flat_map(|s| s.others.iter())
        .map(|o| {
            if o.platform == platform {
                o.account.clone()
            } else {
                format!("{}:{}", o.platform, o.account)
            }
        })
        .collect();
    a.sort_unstable();
    a.dedup();
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn it(k: u64) -> (u64, Kind, String) {
        (k << 3, Kind::Url, format!("https://x.example/{k}"))
    }

    fn cfg(window: i64, per_item: usize, retention: i64) -> LiveConfig {
        LiveConfig {
            window,
            per_item,
            retention,
            max_entries: 1_000_000,
        }
    }

    #[test]
    fn other_accounts_close_in_time_are_found_once_each() {
        let mut l = Live::new(cfg(60, 50, 600));
        assert!(l.observe("x", "a", "p1", 1000, 5000, &[it(1)]).is_empty());
        assert!(
            l.observe("x", "a", "p2", 1010, 5001, &[it(1)]).is_empty(),
            "the same account is not a co-poster"
        );
        l.observe("x", "b", "p3", 1020, 5002, &[it(1)]);
        let s = l.observe("x", "c", "p4", 1030, 5003, &[it(1), it(2)]);
        assert_eq!(s.len(), 1);
        let who: Vec<(&str, &str, i64)> = s[0]
            .others
            .iter()
            .map(|o| (o.account.as_str(), o.post.as_str(), o.seconds_apart))
            .collect();
        assert_eq!(who, [("b", "p3", 10), ("a", "p2", 20)]);
        assert_eq!(s[0].value, "https://x.example/1");
        // A backlog post that arrives late but was made just before: compared by its time.
        let s = l.observe("x", "e", "p0", 995, 5004, &[it(1)]);
        assert_eq!(s[0].others[0].seconds_apart, -5);
        // Made long after: not coordination.
        assert!(l.observe("x", "d", "p5", 1200, 5005, &[it(1)]).is_empty());
        // Past retention (arrival time): forgotten.
        assert!(l.observe("x", "f", "p6", 1000, 5700, &[it(1)]).is_empty());
        assert_eq!(l.len(), 1);
    }

    /// The same id on two platforms is two accounts: each the other's co-poster, named
    /// with its platform where it is another's.
    #[test]
    fn the_same_id_on_another_platform_is_another_account() {
        let mut l = Live::new(cfg(60, 50, 600));
        l.observe("telegram", "u1", "t1", 1000, 5000, &[it(1)]);
        let s = l.observe("twitter", "u1", "w1", 1005, 5001, &[it(1)]);
        assert_eq!(s.len(), 1);
        assert_eq!(
            (
                s[0].others[0].platform.as_str(),
                s[0].others[0].account.as_str()
            ),
            ("telegram", "u1")
        );
        assert_eq!(accounts(&s, "twitter"), ["telegram:u1"]);
        assert_eq!(accounts(&s, "telegram"), ["u1"]);
        // Its own platform again: the same account, no co-poster.
        let s = l.observe("telegram", "u1", "t2", 1010, 5002, &[it(1)]);
        assert_eq!(s[0].others.len(), 1, "only the other platform's: {s:?}");
        assert_eq!(s[0].others[0].platform, "twitter");
    }

    #[test]
    fn a_mass_item_is_flagged_and_memory_stays_bounded() {
        let mut l = Live::new(cfg(60, 5, 600));
        // Account `u{i}`'s post `p{i}` of `item`, all at one time.
        let post = |l: &mut Live, i: u64, item: u64| {
            l.observe(
                "x",
                &format!("u{i}"),
                &format!("p{i}"),
                1000,
                1000,
                &[it(item)],
            )
        };
        for i in 0..20 {
            post(&mut l, i, 7);
        }
        let s = l.observe("x", "z", "pz", 1001, 1001, &[it(7)]);
        assert!(s[0].mass);
        assert!(s[0].others.is_empty());
        assert_eq!(l.order.len(), 21);
        assert_eq!(l.items[&(7 << 3)].len(), 5);
        // The cap on entries drops the oldest arrivals first.
        let mut l = Live::new(LiveConfig {
            max_entries: 3,
            ..cfg(60, 50, 600)
        });
        for i in 0..10 {
            post(&mut l, i, i);
        }
        assert!(l.order.len() <= 4);
        assert!(l.len() <= 4);
        let s = l.observe("x", "z", "pz", 1000, 1000, &[it(9)]);
        assert_eq!(s[0].others[0].account, "u9");
        assert!(
            l.observe("x", "z", "pz", 1000, 1000, &[it(0)]).is_empty(),
            "dropped"
        );
    }

    proptest! {
        /// Whatever the posts' times and arrival, what `observe` reports is exactly the
        /// brute-force answer: other accounts' posts of the same item that arrived within
        /// retention and were made within the window.
        #[test]
        fn matches_brute_force(posts in proptest::collection::vec((0u8..6, 0u64..4, 0i64..100, 0i64..30), 1..60)) {
            let c = cfg(20, 1000, 90);
            let mut l = Live::new(c.clone());
            let mut now = 0;
            let mut seen: Vec<(String, i64, i64, u64)> = Vec::new();
            for (i, (acct, item, t, gap)) in posts.iter().enumerate() {
                now += gap;
                let account = format!("a{acct}");
                let got = l.observe("x", &account, &format!("p{i}"), *t, now, &[it(*item)]);
                let mut want: Vec<&str> = seen
                    .iter()
                    .filter(|(a, st, arr, k)| {
                        *k == *item && *a != account && (t - st).abs() <= c.window && *arr >= now - c.retention
                    })
                    .map(|(a, ..)| a.as_str())
                    .collect();
                want.sort_unstable();
                want.dedup();
                prop_assert_eq!(accounts(&got, "x"), want);
                seen.push((account, *t, now, *item));
            }
        }
    }
}
