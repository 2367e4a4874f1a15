//! Coordinated networks and floods. Every post becomes a few items (its links, media,
//! hashtags, the post it shares or answers, its text exactly and nearly); two accounts
//! posting the same item within a time window co-act; the co-action graph is cut into
//! components and Louvain communities; each community is reported with its members, the
//! items they shared, its time span, strength, and any burst of accounts created together.
//!
//! ```text
//! Post ─► ItemExtractor ─► Event{item,time,account,post} ─► co_actions (sort + window)
//!      ─► directed weights ─► undirected edges ≥ min_weight ─► components + Louvain
//!      ─► Cluster{members, shared items, span, strength, burst}
//! ```
//!
//! **Invariant:** pure: no I/O. Work is linear in events and co-actions (never all pairs
//! of posts); one viral item cannot make it quadratic (see [`coord`]).

pub mod cluster;
pub mod coord;
pub mod items;
pub mod live;

use serde::Serialize;

pub use coord::{CoordConfig, Directed, Event, MassItem};
pub use items::{ItemConfig, ItemExtractor, Kind};

#[derive(Debug, Clone)]
pub struct NetworkConfig {
    pub coord: CoordConfig,
    /// An edge needs this many co-actions in one direction (the toolkit's min_edge_weight).
    pub min_weight: u32,
    /// Smallest cluster reported.
    pub min_size: usize,
    /// Accounts created within this many seconds of each other form a creation burst.
    pub burst_window: i64,
    /// Shared items listed per cluster.
    pub top_items: usize,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            coord: CoordConfig::default(),
            min_weight: 2,
            min_size: 3,
            burst_window: 72 * 3600,
            top_items: 10,
        }
    }
}

/// A member of a cluster.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub account: u32,
    /// Co-actions with other members (both directions).
    pub weight: u64,
}

/// An item a cluster's members shared.
#[derive(Debug, Clone, Serialize)]
pub struct Shared {
    pub item: u64,
    pub kind: Kind,
    /// Members who posted it.
    pub accounts: usize,
    /// Their posts of it.
    pub posts: usize,
    /// The first member post with it (index of the post as collected).
    pub example_post: u32,
    pub first: i64,
    pub last: i64,
}

/// Accounts of a cluster created close together.
#[derive(Debug, Clone, Serialize)]
pub struct Burst {
    pub accounts: usize,
    pub within_hours: f64,
    pub first: i64,
    pub last: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    pub id: usize,
    pub size: usize,
    pub members: Vec<Member>,
    /// Undirected edges between members and their summed co-actions.
    pub edges: usize,
    pub weight: u64,
    /// Edges over possible pairs.
    pub density: f32,
    /// Co-actions per member.
    pub strength: f32,
    /// The connected component it was cut from, and that component's size.
    pub component: u32,
    pub component_size: usize,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub shared: Vec<Shared>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst: Option<Burst>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub events: usize,
    pub directed_pairs: usize,
    pub edges: usize,
    pub accounts_in_edges: usize,
    pub components: usize,
    pub clusters: usize,
    pub mass_items: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub clusters: Vec<Cluster>,
    pub mass_items: Vec<MassItem>,
    /// Every directed co-action weight ≥ 1 (the toolkit's network before its threshold).
    pub directed: Vec<Directed>,
    pub stats: Stats,
}

/// Find coordinated clusters. `created[a]` is account `a`'s creation time when known
/// (`created.len()` is the number of accounts).
pub fn detect(mut events: Vec<Event>, created: &[Option<i64>], cfg: &NetworkConfig) -> Report {
    let n_events = events.len();
    let (directed, mass) = coord::co_actions(&mut events, &cfg.coord);
    // Undirected edges: both directions summed, kept when either reaches min_weight.
    let mut und: Vec<(u32, u32, u64, u32)> = Vec::new(); // (a, b, sum, max one way)
    {
        let mut tmp: Vec<(u32, u32, u32)> = directed
            .iter()
            .map(|d| (d.from.min(d.to), d.from.max(d.to), d.weight))
            .collect();
        tmp.sort_unstable();
        for (a, b, w) in tmp {
            match und.last_mut() {
                Some(e) if e.0 == a && e.1 == b => {
                    e.2 += w as u64;
                    e.3 = e.3.max(w);
                }
                _ => und.push((a, b, w as u64, w)),
            }
        }
    }
    und.retain(|e| e.3 >= cfg.min_weight);
    // Local node numbers for accounts with edges.
    let mut nodes: Vec<u32> = und.iter().flat_map(|e| [e.0, e.1]).collect();
    nodes.sort_unstable();
    nodes.dedup();
    let local = |a: u32| nodes.binary_search(&a).expect("node") as u32;
    let edges: Vec<(u32, u32, f64)> = und
        .iter()
        .map(|e| (local(e.0), local(e.1), e.2 as f64))
        .collect();
    let comp = cluster::components(nodes.len(), &edges);
    let comm = cluster::louvain(nodes.len(), &edges);
    let n_comm = comm.iter().copied().max().map_or(0, |m| m as usize + 1);
    let mut comp_size = vec![0usize; comp.iter().copied().max().map_or(0, |m| m as usize + 1)];
    for &c in &comp {
        comp_size[c as usize] += 1;
    }
    // Members, edges and weight per community.
    let mut members: Vec<Vec<Member>> = vec![Vec::new(); n_comm];
    let mut degree = vec![0u64; nodes.len()];
    let mut c_edges = vec![0usize; n_comm];
    let mut c_weight = vec![0u64; n_comm];
    for &(a, b, w) in &edges {
        if comm[a as usize] == comm[b as usize] {
            let w = w as u64;
            degree[a as usize] += w;
            degree[b as usize] += w;
            c_edges[comm[a as usize] as usize] += 1;
            c_weight[comm[a as usize] as usize] += w;
        }
    }
    for (i, &acct) in nodes.iter().enumerate() {
        members[comm[i] as usize].push(Member {
            account: acct,
            weight: degree[i],
        });
    }
    // Which reported cluster each account is in.
    let mut cluster_of: std::collections::HashMap<u32, usize> = Default::default();
    let mut clusters: Vec<Cluster> = Vec::new();
    for (c, mut ms) in members.into_iter().enumerate() {
        if ms.len() < cfg.min_size.max(2) {
            continue;
        }
        ms.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.account.cmp(&b.account)));
        let id = clusters.len();
        for m in &ms {
            cluster_of.insert(m.account, id);
        }
        let size = ms.len();
        let component = comp[local(ms[0].account) as usize];
        clusters.push(Cluster {
            id,
            size,
            edges: c_edges[c],
            weight: c_weight[c],
            density: c_edges[c] as f32 / (size * (size - 1) / 2) as f32,
            strength: c_weight[c] as f32 / size as f32,
            component,
            component_size: comp_size[component as usize],
            members: ms,
            first: None,
            last: None,
            shared: Vec::new(),
            burst: None,
        });
    }
    // Items shared by two or more members of a cluster (events are sorted by item, time).
    let mut g = 0;
    let mut per: Vec<(usize, u32, u32, i64)> = Vec::new(); // (cluster, account, post, time)
    while g < events.len() {
        let item = events[g].item;
        let mut end = g;
        per.clear();
        while end < events.len() && events[end].item == item {
            let e = events[end];
            if let Some(&c) = cluster_of.get(&e.account) {
                per.push((c, e.account, e.post, e.time));
            }
            end += 1;
        }
        g = end;
        if per.len() < 2 {
            continue;
        }
        per.sort_by_key(|p| (p.0, p.3, p.1));
        let mut i = 0;
        while i < per.len() {
            let c = per[i].0;
            let mut j = i;
            let mut accts: Vec<u32> = Vec::new();
            while j < per.len() && per[j].0 == c {
                accts.push(per[j].1);
                j += 1;
            }
            accts.sort_unstable();
            accts.dedup();
            if accts.len() >= 2 {
                let cl = &mut clusters[c];
                let (first, last) = (per[i].3, per[j - 1].3);
                cl.first = Some(cl.first.map_or(first, |f| f.min(first)));
                cl.last = Some(cl.last.map_or(last, |l| l.max(last)));
                cl.shared.push(Shared {
                    item,
                    kind: Kind::of(item),
                    accounts: accts.len(),
                    posts: j - i,
                    example_post: per[i].2,
                    first,
                    last,
                });
            }
            i = j;
        }
    }
    for cl in &mut clusters {
        cl.shared.sort_by(|a, b| {
            b.accounts
                .cmp(&a.accounts)
                .then(b.posts.cmp(&a.posts))
                .then(a.item.cmp(&b.item))
        });
        cl.shared.truncate(cfg.top_items);
        cl.burst = burst(
            cl.members
                .iter()
                .filter_map(|m| created.get(m.account as usize).copied().flatten()),
            cl.size,
            cfg.burst_window,
        );
    }
    clusters.sort_by(|a, b| {
        b.weight
            .cmp(&a.weight)
            .then(b.size.cmp(&a.size))
            .then(a.id.cmp(&b.id))
    });
    for (i, c) in clusters.iter_mut().enumerate() {
        c.id = i;
    }
    let stats = Stats {
        events: n_events,
        directed_pairs: directed.len(),
        edges: und.len(),
        accounts_in_edges: nodes.len(),
        components: comp_size.len(),
        clusters: clusters.len(),
        mass_items: mass.len(),
    };
    Report {
        clusters,
        mass_items: mass,
        directed,
        stats,
    }
}

/// The largest set of accounts created within `window` seconds of each other, when it is
/// at least 3 accounts and at least half the cluster.
fn burst(times: impl Iterator<Item = i64>, size: usize, window: i64) -> Option<Burst> {
    let mut t: Vec<i64> = times.collect();
    t.sort_unstable();
    let (mut best, mut lo, mut at) = (0usize, 0usize, (0usize, 0usize));
    for hi in 0..t.len() {
        while t[hi] - t[lo] > window {
            lo += 1;
        }
        if hi + 1 - lo > best {
            best = hi + 1 - lo;
            at = (lo, hi);
        }
    }
    (best >= 3 && best * 2 >= size).then(|| Burst {
        accounts: best,
        within_hours: ((t[at.1] - t[at.0]) as f64 / 360.0).round() / 10.0,
        first: t[at.0],
        last: t[at.1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(item: u64, time: i64, account: u32, post: u32) -> Event {
        Event::new(item, time, account, post)
    }

    #[test]
    fn a_flood_is_one_cluster_with_its_items_span_and_burst() {
        // Accounts 0..5 post the same three items within seconds, three times an hour apart;
        // accounts 10, 11 post one item together once (below min_weight 2).
        let mut e = Vec::new();
        let mut post = 0;
        for round in 0..3i64 {
            for a in 0..5u32 {
                e.push(ev(100 + round as u64 * 8, round * 3600 + a as i64, a, post));
                post += 1;
            }
        }
        e.push(ev(900, 10, 10, post));
        e.push(ev(900, 12, 11, post + 1));
        let mut created = vec![None; 12];
        for (a, c) in created.iter_mut().enumerate().take(5) {
            *c = Some(1_700_000_000 + a as i64 * 3600);
        }
        let r = detect(e, &created, &NetworkConfig::default());
        assert_eq!(r.clusters.len(), 1, "{:?}", r.clusters);
        let c = &r.clusters[0];
        assert_eq!(c.size, 5);
        assert_eq!(c.edges, 10);
        assert_eq!(c.density, 1.0);
        assert_eq!(c.shared.len(), 3);
        assert!(c.shared.iter().all(|s| s.accounts == 5 && s.posts == 5));
        assert_eq!((c.first, c.last), (Some(0), Some(2 * 3600 + 4)));
        let b = c.burst.as_ref().expect("burst");
        assert_eq!(b.accounts, 5);
        assert_eq!(b.within_hours, 4.0);
        // The pair below the threshold is in the directed weights but not an edge.
        assert!(r
            .directed
            .iter()
            .any(|d| d.from == 10 && d.to == 11 && d.weight == 1));
        assert_eq!(r.stats.edges, 10);
    }

    #[test]
    fn no_events_no_clusters() {
        let r = detect(Vec::new(), &[], &NetworkConfig::default());
        assert!(r.clusters.is_empty() && r.directed.is_empty());
    }
}
