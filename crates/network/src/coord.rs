//! Co-actions: two accounts posting the same item within a time window.
//!
//! The weight of the directed pair (a, b) is the number of a's posts that b echoed (posted
//! an item of that post within the window) — the definition of the
//! coordination-network-toolkit (`count(distinct e_1.message_id)`), so the two can be
//! compared edge for edge. Events are sorted by (item, time) and each is joined to the
//! others of its item inside the window by two pointers: linear in the co-actions, never
//! all pairs of posts.
//!
//! **Invariant:** an item with more than `max_group` posts inside one window (a trending
//! hashtag, a viral link) produces no pairs from that window; it is counted as a mass item
//! instead, so one popular item cannot make the work quadratic.

use serde::Serialize;

/// One post's item: what was shared, when, by whom, in which post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Event {
    pub item: u64,
    pub time: i64,
    pub account: u32,
    pub post: u32,
}

#[derive(Debug, Clone)]
pub struct CoordConfig {
    /// Seconds either side of a post within which an echo counts.
    pub window: i64,
    /// Posts of one item inside one window above which the item is a mass item.
    pub max_group: usize,
    pub threads: usize,
}

impl Default for CoordConfig {
    fn default() -> Self {
        CoordConfig {
            window: 60,
            max_group: 500,
            threads: 2,
        }
    }
}

impl Event {
    pub fn new(item: u64, time: i64, account: u32, post: u32) -> Event {
        Event {
            item,
            time,
            account,
            post,
        }
    }
}

/// A directed co-action weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Directed {
    pub from: u32,
    pub to: u32,
    pub weight: u32,
}

/// Items too popular inside one window to pair up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MassItem {
    pub item: u64,
    /// The most posts of it seen inside one window.
    pub peak: usize,
}

/// Sort `events` by (item, time) and compute every directed co-action weight (≥ 1), plus the
/// mass items. Runs on `cfg.threads` threads over disjoint item ranges.
pub fn co_actions(events: &mut [Event], cfg: &CoordConfig) -> (Vec<Directed>, Vec<MassItem>) {
    sort_events(events, cfg.threads);
    let events: &[Event] = events;
    // Split at item boundaries into about threads × 4 parts.
    let parts = (cfg.threads.max(1) * 4).min(events.len().max(1));
    let mut bounds = vec![0usize];
    for p in 1..parts {
        let mut at = events.len() * p / parts;
        while at > 0 && at < events.len() && events[at].item == events[at - 1].item {
            at += 1;
        }
        if at > *bounds.last().unwrap_or(&0) && at < events.len() {
            bounds.push(at);
        }
    }
    bounds.push(events.len());
    let ranges: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    type Part = (Vec<(u64, u32)>, Vec<MassItem>);
    let results: Vec<Part> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..cfg.threads.max(1))
            .map(|_| {
                let (ranges, next) = (&ranges, &next);
                s.spawn(move || {
                    let mut triples = Vec::new();
                    let mut mass = Vec::new();
                    loop {
                        let r = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&(a, b)) = ranges.get(r) else { break };
                        pair_range(&events[a..b], cfg, &mut triples, &mut mass);
                    }
                    (triples, mass)
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("co-action thread"))
            .collect()
    });
    let mut triples: Vec<(u64, u32)> = Vec::with_capacity(results.iter().map(|r| r.0.len()).sum());
    let mut mass = Vec::new();
    for (t, m) in results {
        triples.extend(t);
        mass.extend(m);
    }
    // One count per (from, to, post of `from`): a post echoed through two items counts once.
    sort_pairs(&mut triples, cfg.threads);
    triples.dedup();
    let mut out: Vec<Directed> = Vec::new();
    for &(pair, _) in &triples {
        let (from, to) = ((pair >> 32) as u32, pair as u32);
        match out.last_mut() {
            Some(d) if d.from == from && d.to == to => d.weight += 1,
            _ => out.push(Directed {
                from,
                to,
                weight: 1,
            }),
        }
    }
    mass.sort_by(|a, b| b.peak.cmp(&a.peak).then(a.item.cmp(&b.item)));
    (out, mass)
}

fn pair_range(
    ev: &[Event],
    cfg: &CoordConfig,
    triples: &mut Vec<(u64, u32)>,
    mass: &mut Vec<MassItem>,
) {
    let mut g = 0;
    let mut partners: Vec<u32> = Vec::new();
    while g < ev.len() {
        let item = ev[g].item;
        let mut end = g + 1;
        while end < ev.len() && ev[end].item == item {
            end += 1;
        }
        let group = &ev[g..end];
        g = end;
        if group.len() < 2 || group.iter().all(|e| e.account == group[0].account) {
            continue;
        }
        let (mut lo, mut hi) = (0usize, 0usize);
        let mut peak = 0usize;
        for e in group {
            while group[lo].time < e.time - cfg.window {
                lo += 1;
            }
            while hi < group.len() && group[hi].time <= e.time + cfg.window {
                hi += 1;
            }
            let n = hi - lo;
            if n > cfg.max_group {
                peak = peak.max(n);
                continue;
            }
            partners.clear();
            partners.extend(
                group[lo..hi]
                    .iter()
                    .filter(|o| o.account != e.account)
                    .map(|o| o.account),
            );
            partners.sort_unstable();
            partners.dedup();
            for &b in &partners {
                triples.push((((e.account as u64) << 32) | b as u64, e.post));
            }
        }
        if peak > 0 {
            mass.push(MassItem { item, peak });
        }
    }
}

fn sort_events(events: &mut [Event], threads: usize) {
    par_sort(events, threads, |a, b| {
        (a.item, a.time, a.account, a.post).cmp(&(b.item, b.time, b.account, b.post))
    });
}

fn sort_pairs(v: &mut [(u64, u32)], threads: usize) {
    par_sort(v, threads, |a, b| a.cmp(b));
}

/// Sort in `threads` chunks in parallel, then merge pairwise.
fn par_sort<T: Copy + Send + Sync>(
    v: &mut [T],
    threads: usize,
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering + Sync + Send + Copy,
) {
    let threads = threads.max(1);
    if threads == 1 || v.len() < 100_000 {
        v.sort_unstable_by(cmp);
        return;
    }
    let per = v.len().div_ceil(threads);
    std::thread::scope(|s| {
        for c in v.chunks_mut(per) {
            s.spawn(move || c.sort_unstable_by(cmp));
        }
    });
    // Merge the sorted runs.
    let mut width = per;
    let mut buf: Vec<T> = Vec::with_capacity(v.len());
    while width < v.len() {
        let mut start = 0;
        while start < v.len() {
            let mid = (start + width).min(v.len());
            let end = (start + 2 * width).min(v.len());
            if mid < end {
                buf.clear();
                let (a, b) = (&v[start..mid], &v[mid..end]);
                let (mut i, mut j) = (0, 0);
                while i < a.len() && j < b.len() {
                    if cmp(&b[j], &a[i]) == std::cmp::Ordering::Less {
                        buf.push(b[j]);
                        j += 1;
                    } else {
                        buf.push(a[i]);
                        i += 1;
                    }
                }
                buf.extend_from_slice(&a[i..]);
                buf.extend_from_slice(&b[j..]);
                v[start..end].copy_from_slice(&buf);
            }
            start = end;
        }
        width *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(item: u64, time: i64, account: u32, post: u32) -> Event {
        Event::new(item, time, account, post)
    }

    /// The toolkit's definition, by brute force.
    fn brute(events: &[Event], window: i64) -> Vec<Directed> {
        let mut w = std::collections::BTreeMap::new();
        let mut seen = std::collections::BTreeSet::new();
        for a in events {
            for b in events {
                if a.item == b.item
                    && a.account != b.account
                    && (a.time - b.time).abs() <= window
                    && seen.insert((a.account, b.account, a.post))
                {
                    *w.entry((a.account, b.account)).or_insert(0u32) += 1;
                }
            }
        }
        w.into_iter()
            .map(|((from, to), weight)| Directed { from, to, weight })
            .collect()
    }

    #[test]
    fn weights_follow_the_toolkit_definition() {
        let mut e = vec![
            ev(1, 0, 0, 0),
            ev(1, 30, 1, 1),
            ev(1, 100, 2, 2),
            ev(2, 0, 0, 0), // the same post echoed through a second item counts once
            ev(2, 10, 1, 1),
            ev(3, 5, 0, 3),
            ev(3, 6, 0, 4), // the same account twice: no self pair
        ];
        let want = brute(&e, 60);
        let (got, mass) = co_actions(
            &mut e,
            &CoordConfig {
                window: 60,
                max_group: 10,
                threads: 2,
            },
        );
        assert_eq!(got, want);
        // Accounts 1 and 2 are 70 s apart: outside the window.
        let pair = |from, to| Directed {
            from,
            to,
            weight: 1,
        };
        assert_eq!(got, vec![pair(0, 1), pair(1, 0)]);
        assert!(mass.is_empty());
    }

    #[test]
    fn a_viral_item_is_a_mass_item_not_a_clique() {
        let mut e: Vec<Event> = (0..50).map(|i| ev(9, i, i as u32, i as u32)).collect();
        let (got, mass) = co_actions(
            &mut e,
            &CoordConfig {
                window: 60,
                max_group: 20,
                threads: 1,
            },
        );
        assert!(got.is_empty());
        assert_eq!(mass, vec![MassItem { item: 9, peak: 50 }]);
    }

    proptest::proptest! {
        #[test]
        fn equals_brute_force(raw in proptest::collection::vec((0u64..4, 0i64..300, 0u32..6), 0..120), window in 0i64..100, threads in 1usize..4) {
            let mut e: Vec<Event> = raw.iter().enumerate().map(|(i, &(item, t, a))| ev(item, t, a, i as u32)).collect();
            let want = brute(&e, window);
            let (got, _) = co_actions(&mut e, &CoordConfig { window, max_group: usize::MAX, threads });
            proptest::prop_assert_eq!(got, want);
        }

    }

    #[test]
    fn parallel_sort_merges_runs() {
        let mut x = 12345u64;
        let v: Vec<(u64, u32)> = (0..250_001)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 40, i)
            })
            .collect();
        let mut want = v.clone();
        want.sort_unstable();
        for threads in 1..5 {
            let mut got = v.clone();
            par_sort(&mut got, threads, |a, b| a.cmp(b));
            assert_eq!(got, want, "{threads} threads");
        }
    }
}
