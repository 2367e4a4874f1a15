//! Grouping co-acting accounts: weighted connected components (union-find), split into
//! communities by Louvain modularity optimisation, so that two tight groups joined by one
//! stray edge are reported as two.

/// Union-find with path halving and union by size.
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    pub fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    pub fn union(&mut self, a: u32, b: u32) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

/// Connected components of an undirected graph on `n` nodes: a component number per node
/// (numbered from 0 in order of first node).
pub fn components(n: usize, edges: &[(u32, u32, f64)]) -> Vec<u32> {
    let mut uf = UnionFind::new(n);
    for &(a, b, _) in edges {
        uf.union(a, b);
    }
    let mut id = vec![u32::MAX; n];
    let mut out = vec![0u32; n];
    let mut next = 0;
    for v in 0..n as u32 {
        let r = uf.find(v) as usize;
        if id[r] == u32::MAX {
            id[r] = next;
            next += 1;
        }
        out[v as usize] = id[r];
    }
    out
}

/// Louvain community detection on a weighted undirected graph with `n` nodes. Returns a
/// community number per node (numbered from 0 in order of first node). Deterministic: nodes
/// are visited in order.
pub fn louvain(n: usize, edges: &[(u32, u32, f64)]) -> Vec<u32> {
    let mut membership: Vec<u32> = (0..n as u32).collect();
    let mut g = Graph::new(n, edges);
    for _level in 0..20 {
        let (comm, moved) = g.local_moving();
        if !moved {
            break;
        }
        // Renumber and aggregate.
        let mut id = vec![u32::MAX; g.n];
        let mut k = 0u32;
        for c in &comm {
            if id[*c as usize] == u32::MAX {
                id[*c as usize] = k;
                k += 1;
            }
        }
        for m in membership.iter_mut() {
            *m = id[comm[*m as usize] as usize];
        }
        if k as usize == g.n {
            break;
        }
        g = g.aggregate(
            &comm.iter().map(|c| id[*c as usize]).collect::<Vec<_>>(),
            k as usize,
        );
    }
    renumber(&membership)
}

fn renumber(m: &[u32]) -> Vec<u32> {
    let mut id = std::collections::HashMap::new();
    m.iter()
        .map(|c| {
            let next = id.len() as u32;
            *id.entry(*c).or_insert(next)
        })
        .collect()
}

struct Graph {
    n: usize,
    /// Adjacency with weights; self-loops hold the weight inside an aggregated node.
    adj: Vec<Vec<(u32, f64)>>,
    /// Weighted degree (a self-loop counts twice).
    k: Vec<f64>,
    m2: f64,
}

impl Graph {
    fn new(n: usize, edges: &[(u32, u32, f64)]) -> Graph {
        let mut adj = vec![Vec::new(); n];
        for &(a, b, w) in edges {
            if a == b {
                adj[a as usize].push((a, w));
            } else {
                adj[a as usize].push((b, w));
                adj[b as usize].push((a, w));
            }
        }
        Graph::from_adj(adj)
    }

    fn from_adj(adj: Vec<Vec<(u32, f64)>>) -> Graph {
        let k: Vec<f64> = adj
            .iter()
            .enumerate()
            .map(|(v, l)| {
                l.iter()
                    .map(|&(u, w)| if u as usize == v { 2.0 * w } else { w })
                    .sum()
            })
            .collect();
        let m2 = k.iter().sum();
        Graph {
            n: adj.len(),
            adj,
            k,
            m2,
        }
    }

    /// Move nodes between communities while modularity improves.
    fn local_moving(&self) -> (Vec<u32>, bool) {
        let mut comm: Vec<u32> = (0..self.n as u32).collect();
        let mut tot: Vec<f64> = self.k.clone();
        if self.m2 == 0.0 {
            return (comm, false);
        }
        let mut moved_any = false;
        let mut w_to: Vec<f64> = vec![0.0; self.n];
        let mut touched: Vec<u32> = Vec::new();
        for _pass in 0..50 {
            let mut moved = false;
            for v in 0..self.n {
                let cv = comm[v];
                touched.clear();
                for &(u, w) in &self.adj[v] {
                    if u as usize == v {
                        continue;
                    }
                    let c = comm[u as usize];
                    if w_to[c as usize] == 0.0 {
                        touched.push(c);
                    }
                    w_to[c as usize] += w;
                }
                tot[cv as usize] -= self.k[v];
                let kv = self.k[v];
                let gain = |c: u32, w: f64, tot: &[f64]| w - tot[c as usize] * kv / self.m2;
                let mut best = cv;
                let mut best_gain = gain(cv, w_to[cv as usize], &tot);
                for &c in &touched {
                    let g = gain(c, w_to[c as usize], &tot);
                    if g > best_gain + 1e-12 {
                        best = c;
                        best_gain = g;
                    }
                }
                tot[best as usize] += kv;
                for &c in &touched {
                    w_to[c as usize] = 0.0;
                }
                w_to[cv as usize] = 0.0;
                if best != cv {
                    comm[v] = best;
                    moved = true;
                    moved_any = true;
                }
            }
            if !moved {
                break;
            }
        }
        (comm, moved_any)
    }

    fn aggregate(&self, comm: &[u32], k: usize) -> Graph {
        let mut maps: Vec<std::collections::HashMap<u32, f64>> = vec![Default::default(); k];
        for v in 0..self.n {
            let cv = comm[v];
            for &(u, w) in &self.adj[v] {
                let cu = comm[u as usize];
                if u as usize == v {
                    *maps[cv as usize].entry(cv).or_default() += w;
                } else if cu == cv {
                    // Each internal edge is seen from both ends: half each.
                    *maps[cv as usize].entry(cv).or_default() += w / 2.0;
                } else {
                    *maps[cv as usize].entry(cu).or_default() += w;
                }
            }
        }
        let adj = maps
            .into_iter()
            .map(|m| {
                let mut l: Vec<(u32, f64)> = m.into_iter().collect();
                l.sort_by_key(|e| e.0);
                l
            })
            .collect();
        Graph::from_adj(adj)
    }
}

/// Modularity of a partition (for tests and reports).
pub fn modularity(n: usize, edges: &[(u32, u32, f64)], comm: &[u32]) -> f64 {
    let g = Graph::new(n, edges);
    if g.m2 == 0.0 {
        return 0.0;
    }
    let mut inside = std::collections::HashMap::<u32, f64>::new();
    let mut tot = std::collections::HashMap::<u32, f64>::new();
    for &(a, b, w) in edges {
        if comm[a as usize] == comm[b as usize] {
            *inside.entry(comm[a as usize]).or_default() += if a == b { w } else { 2.0 * w };
        }
    }
    for (c, k) in comm.iter().zip(&g.k) {
        *tot.entry(*c).or_default() += k;
    }
    tot.iter()
        .map(|(c, t)| inside.get(c).copied().unwrap_or(0.0) / g.m2 - (t / g.m2).powi(2))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clique(nodes: std::ops::Range<u32>, w: f64, out: &mut Vec<(u32, u32, f64)>) {
        for a in nodes.clone() {
            for b in nodes.clone() {
                if a < b {
                    out.push((a, b, w));
                }
            }
        }
    }

    #[test]
    fn two_cliques_joined_by_a_bridge_are_two_communities_in_one_component() {
        let mut e = Vec::new();
        clique(0..6, 5.0, &mut e);
        clique(6..12, 5.0, &mut e);
        e.push((5, 6, 1.0));
        let comp = components(13, &e);
        assert_eq!(comp[0], comp[11]);
        assert_ne!(comp[0], comp[12], "node 12 is alone");
        let c = louvain(13, &e);
        assert!(c[..6].iter().all(|&x| x == c[0]));
        assert!(c[6..12].iter().all(|&x| x == c[6]));
        assert_ne!(c[0], c[6]);
        assert!(modularity(13, &e, &c) > 0.4);
    }

    #[test]
    fn louvain_never_lowers_modularity_below_singletons() {
        // A ring of 30 nodes.
        let e: Vec<(u32, u32, f64)> = (0..30).map(|i| (i, (i + 1) % 30, 1.0)).collect();
        let c = louvain(30, &e);
        let single: Vec<u32> = (0..30).collect();
        assert!(modularity(30, &e, &c) > modularity(30, &e, &single));
        assert!(louvain(0, &[]).is_empty());
    }

    proptest::proptest! {
        #[test]
        fn communities_stay_inside_components(raw in proptest::collection::vec((0u32..25, 0u32..25, 1u32..5), 0..60)) {
            let e: Vec<(u32, u32, f64)> = raw.iter().filter(|(a, b, _)| a != b).map(|&(a, b, w)| (a, b, w as f64)).collect();
            let comp = components(25, &e);
            let c = louvain(25, &e);
            for a in 0..25 {
                for b in 0..25 {
                    if c[a] == c[b] {
                        proptest::prop_assert_eq!(comp[a], comp[b]);
                    }
                }
            }
            let single: Vec<u32> = (0..25).collect();
            proptest::prop_assert!(modularity(25, &e, &c) >= modularity(25, &e, &single) - 1e-9);
        }
    }
}
