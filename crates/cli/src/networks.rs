//! `raqib networks`: glue over raqib-network. Reads posts on all cores, collects their
//! items as compact events, detects clusters, then reads the inputs a second time (files
//! only) to put the example posts' text and the shared links and hashtags into the
//! evidence.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use raqib_model::{printable, Diagnostic, Post, Record};
use raqib_network::{Cluster, Event, ItemConfig, ItemExtractor, Kind, NetworkConfig, Report};
use serde::Serialize;

use crate::cli::InputArgs;

#[derive(Args, Debug)]
pub struct NetworksArgs {
    /// Files of posts (and accounts, for creation bursts), or folders of them (as for
    /// `scan`); `-` reads standard input.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Seconds either side of a post within which another account posting the same item
    /// co-acts.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub window: i64,
    /// Co-actions one account needs with another (in one direction) for an edge.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub min_weight: u32,
    /// Smallest cluster reported.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub min_size: usize,
    /// What counts as the same item: url, media, hashtag, share, reply, text, near_text
    /// (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "url,media,hashtag,share,reply,text,near_text"
    )]
    pub kinds: Vec<Kind>,
    /// More posts than this of one item inside one window make it a mass item (trending,
    /// viral): listed, not paired.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub max_group: usize,
    /// Accounts of a cluster created within this many hours of each other are a creation
    /// burst.
    #[arg(long, default_value_t = 72, value_name = "HOURS")]
    pub burst_hours: i64,
    /// Write clusters.jsonl, edges.csv (directed co-action weights ≥ --min-weight, in the
    /// coordination-network-toolkit's columns) and summary.txt here.
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print clusters as JSON Lines instead of the readable summary.
    #[arg(long)]
    pub json: bool,
    /// Clusters in the readable summary.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
    /// Worker threads. Default: one per core.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print nothing but errors and the requested output.
    #[arg(short, long)]
    pub quiet: bool,
    /// Only posts made at or after this time (as `raqib scan --since`: a date, a time, Unix
    /// seconds, or an age back from now: `7d`, `24h`).
    #[arg(long, value_name = "TIME", value_parser = crate::cli::parse_when)]
    pub since: Option<i64>,
    /// Only posts made before this time (same forms).
    #[arg(long, value_name = "TIME", value_parser = crate::cli::parse_when)]
    pub until: Option<i64>,
    #[command(flatten)]
    pub input: InputArgs,
}

/// What pass one keeps per post: 12 bytes and the id.
struct Collected {
    accounts: Vec<(String, String)>,
    account_index: HashMap<(String, String), u32>,
    created: Vec<Option<i64>>,
    handles: Vec<Option<String>>,
    events: Vec<Event>,
    /// Post index → (input number, line).
    post_loc: Vec<(u32, u64)>,
    post_ids: Vec<Box<str>>,
    diagnostics: Vec<Diagnostic>,
    untimed: u64,
    records: u64,
    /// Posts made outside `--since`/`--until`, passed over.
    outside: u64,
    window: raqib_scan::TimeWindow,
}

/// What pass one needs of a post; the text is dropped on the worker.
struct PostItems {
    platform: String,
    account: String,
    id: String,
    created_at: Option<i64>,
    line: u64,
    items: Vec<u64>,
}

struct ChunkOut {
    seq: usize,
    input: u32,
    posts: Vec<PostItems>,
    accounts: Vec<raqib_model::Account>,
    diagnostics: Vec<Diagnostic>,
}

impl Collected {
    fn account(&mut self, platform: &str, id: &str) -> u32 {
        if let Some(&i) = self
            .account_index
            .get(&(platform.to_string(), id.to_string()))
        {
            return i;
        }
        let i = self.accounts.len() as u32;
        self.accounts.push((platform.to_string(), id.to_string()));
        self.account_index
            .insert((platform.to_string(), id.to_string()), i);
        self.created.push(None);
        self.handles.push(None);
        i
    }

    fn take(&mut self, c: ChunkOut) {
        self.diagnostics.extend(c.diagnostics);
        for a in c.accounts {
            self.records += 1;
            let i = self.account(&a.platform, &a.id) as usize;
            if a.created_at.is_some() {
                self.created[i] = a.created_at;
            }
            if a.handle.is_some() {
                self.handles[i] = a.handle;
            }
        }
        for p in c.posts {
            self.records += 1;
            if self.window.excludes(p.created_at) {
                self.outside += 1;
                continue;
            }
            let Some(t) = p.created_at else {
                self.untimed += 1;
                continue;
            };
            if p.items.is_empty() {
                continue;
            }
            let account = self.account(&p.platform, &p.account);
            let post = self.post_ids.len() as u32;
            self.post_ids.push(p.id.into_boxed_str());
            self.post_loc.push((c.input, p.line));
            for item in p.items {
                self.events.push(Event {
                    item,
                    time: t,
                    account,
                    post,
                });
            }
        }
    }
}

fn collect(
    inputs: &[String],
    input: &InputArgs,
    cfg: &ItemConfig,
    window: raqib_scan::TimeWindow,
    threads: usize,
    quiet: bool,
) -> Result<Collected> {
    let opts = input.options();
    let mut col = Collected {
        accounts: Vec::new(),
        account_index: HashMap::new(),
        created: Vec::new(),
        handles: Vec::new(),
        events: Vec::new(),
        post_loc: Vec::new(),
        post_ids: Vec::new(),
        diagnostics: Vec::new(),
        untimed: 0,
        records: 0,
        outside: 0,
        window,
    };
    let t = Instant::now();
    let (tx, rx) = crossbeam_channel::bounded::<(usize, u32, raqib_ingest::Chunk)>(threads * 4);
    let (rtx, rrx) = crossbeam_channel::bounded::<ChunkOut>(threads * 4);
    std::thread::scope(|s| -> Result<()> {
        for _ in 0..threads {
            let (rx, rtx, cfg) = (rx.clone(), rtx.clone(), cfg.clone());
            s.spawn(move || {
                let mut ex = ItemExtractor::new(cfg);
                for (seq, input, chunk) in rx {
                    let mut out = ChunkOut {
                        seq,
                        input,
                        posts: Vec::new(),
                        accounts: Vec::new(),
                        diagnostics: Vec::new(),
                    };
                    chunk.for_each_record(|line, r| match r {
                        Ok(Record::Post(p)) => {
                            let mut items = Vec::new();
                            if p.created_at.is_some() {
                                ex.items(&p, &mut items);
                            }
                            out.posts.push(PostItems {
                                platform: p.platform,
                                account: p.account,
                                id: p.id,
                                created_at: p.created_at,
                                line,
                                items,
                            });
                        }
                        Ok(Record::Account(a)) => out.accounts.push(*a),
                        Err(d) => out.diagnostics.push(d),
                    });
                    if rtx.send(out).is_err() {
                        return;
                    }
                }
            });
        }
        drop(rtx);
        let reader = s.spawn(move || -> Result<()> {
            let mut seq = 0;
            for (i, path) in inputs.iter().enumerate() {
                let chunks = raqib_ingest::open_chunks(path, &opts)
                    .with_context(|| format!("cannot read {path}"))?;
                for c in chunks {
                    if tx.send((seq, i as u32, c)).is_err() {
                        return Ok(());
                    }
                    seq += 1;
                }
            }
            Ok(())
        });
        // Take chunks in input order so post numbers follow the input.
        let mut pending: HashMap<usize, ChunkOut> = HashMap::new();
        let mut next = 0;
        let mut last_report = Instant::now();
        for out in rrx {
            pending.insert(out.seq, out);
            while let Some(c) = pending.remove(&next) {
                col.take(c);
                next += 1;
            }
            if !quiet && last_report.elapsed().as_secs() >= 2 {
                eprint!(
                    "\rraqib: {} records read, {} events, {:.0} records/s   ",
                    col.records,
                    col.events.len(),
                    col.records as f64 / t.elapsed().as_secs_f64()
                );
                last_report = Instant::now();
            }
        }
        reader.join().expect("reader thread")?;
        Ok(())
    })?;
    if !quiet && t.elapsed().as_secs() >= 2 {
        eprintln!();
    }
    Ok(col)
}

/// Second pass: the example posts of the reported clusters, by (input, line).
fn resolve_examples(
    inputs: &[String],
    input: &InputArgs,
    want: &HashSet<(u32, u64)>,
) -> HashMap<(u32, u64), Post> {
    let mut got = HashMap::new();
    if want.is_empty() {
        return got;
    }
    let opts = input.options();
    for (i, path) in inputs.iter().enumerate() {
        if path == "-" || !want.iter().any(|w| w.0 == i as u32) {
            continue;
        }
        let Ok(chunks) = raqib_ingest::open_chunks(path, &opts) else {
            continue;
        };
        for c in chunks {
            c.for_each_record(|line, r| {
                if let Ok(Record::Post(p)) = r {
                    if want.contains(&(i as u32, line)) {
                        got.insert((i as u32, line), *p);
                    }
                }
            });
        }
    }
    got
}

#[derive(Serialize)]
struct MemberOut<'a> {
    platform: &'a str,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    handle: Option<&'a str>,
    co_actions: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<i64>,
}

#[derive(Serialize)]
struct SharedOut {
    kind: Kind,
    /// The link, hashtag, media hash or shared post id; for text, the example post's text.
    value: String,
    accounts: usize,
    posts: usize,
    first: i64,
    last: i64,
    example_post: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    example_at: Option<String>,
    /// Where the example post was made (a chat, a channel, a subreddit), where its source
    /// says.
    #[serde(skip_serializing_if = "Option::is_none")]
    example_place: Option<String>,
}

#[derive(Serialize)]
struct ClusterOut<'a> {
    cluster: usize,
    size: usize,
    edges: usize,
    co_actions: u64,
    density: f32,
    strength: f32,
    component_size: usize,
    first: Option<i64>,
    last: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    burst: Option<&'a raqib_network::Burst>,
    members: Vec<MemberOut<'a>>,
    shared: Vec<SharedOut>,
    /// One sentence a reviewer reads first.
    why: String,
}

fn clip(s: &str, n: usize) -> String {
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= n {
        s
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

fn describe<'a>(
    c: &'a Cluster,
    col: &'a Collected,
    inputs: &[String],
    examples: &HashMap<(u32, u64), Post>,
    ex: &mut ItemExtractor,
    window: i64,
) -> ClusterOut<'a> {
    let members = c
        .members
        .iter()
        .map(|m| {
            let (p, id) = &col.accounts[m.account as usize];
            MemberOut {
                platform: p,
                id,
                handle: col.handles[m.account as usize].as_deref(),
                co_actions: m.weight,
                created_at: col.created[m.account as usize],
            }
        })
        .collect();
    let shared: Vec<SharedOut> = c
        .shared
        .iter()
        .map(|s| {
            let loc = col.post_loc[s.example_post as usize];
            let post = examples.get(&loc);
            let value = match (s.kind, post) {
                (Kind::Text | Kind::NearText, Some(p)) => clip(&p.text, 140),
                (_, Some(p)) => raqib_network::items::named_items(p, ex)
                    .into_iter()
                    .find(|(k, _, _)| *k == s.item)
                    .map(|(_, _, v)| v)
                    .unwrap_or_else(|| format!("{:016x}", s.item)),
                (_, None) => format!("item {:016x} (input not re-readable)", s.item),
            };
            SharedOut {
                kind: s.kind,
                value,
                accounts: s.accounts,
                posts: s.posts,
                first: s.first,
                last: s.last,
                example_post: col.post_ids[s.example_post as usize].to_string(),
                example_at: (loc.1 > 0).then(|| format!("{}:{}", inputs[loc.0 as usize], loc.1)),
                example_place: post.and_then(|p| p.place.clone()).filter(|w| !w.is_empty()),
            }
        })
        .collect();
    let span = match (c.first, c.last) {
        (Some(f), Some(l)) => format!(" over {}", human_span(l - f)),
        _ => String::new(),
    };
    let top = shared
        .first()
        .map(|s| {
            format!(
                "; most shared: {} {} ({} accounts)",
                s.kind.name(),
                clip(&s.value, 60),
                s.accounts
            )
        })
        .unwrap_or_default();
    let burst = c
        .burst
        .as_ref()
        .map(|b| {
            format!(
                "; {} accounts created within {} h",
                b.accounts, b.within_hours
            )
        })
        .unwrap_or_default();
    ClusterOut {
        cluster: c.id,
        size: c.size,
        edges: c.edges,
        co_actions: c.weight,
        density: (c.density * 1000.0).round() / 1000.0,
        strength: (c.strength * 100.0).round() / 100.0,
        component_size: c.component_size,
        first: c.first,
        last: c.last,
        burst: c.burst.as_ref(),
        members,
        why: format!(
            "{} accounts posted the same items within {window} s of each other {} times{span}{top}{burst}",
            c.size, c.weight
        ),
        shared,
    }
}

fn human_span(s: i64) -> String {
    if s < 120 {
        format!("{s} s")
    } else if s < 7200 {
        format!("{} min", s / 60)
    } else if s < 172_800 {
        format!("{:.1} h", s as f64 / 3600.0)
    } else {
        format!("{:.1} days", s as f64 / 86_400.0)
    }
}

pub fn networks_cmd(a: NetworksArgs) -> Result<i32> {
    if a.window < 0 {
        bail!("--window must be 0 or more seconds");
    }
    if a.kinds.is_empty() {
        bail!("--kinds needs at least one of url, media, hashtag, share, reply, text, near_text");
    }
    let threads = crate::cli::threads_or_cores(a.threads);
    let t = Instant::now();
    let item_cfg = ItemConfig {
        kinds: a.kinds.clone(),
        ..Default::default()
    };
    let inputs = crate::inputs::files(&a.inputs, None, a.quiet)?;
    crate::inputs::check_utc_offsets(&a.input.options(), &inputs)?;
    let window = crate::cli::time_window(a.since, a.until)?;
    let mut col = collect(&inputs, &a.input, &item_cfg, window, threads, a.quiet)?;
    let read_s = t.elapsed().as_secs_f64();
    if !a.quiet {
        for d in col.diagnostics.iter().take(20) {
            eprintln!("raqib: {d}");
        }
        if col.diagnostics.len() > 20 {
            eprintln!(
                "raqib: ... and {} more problems with the input",
                col.diagnostics.len() - 20
            );
        }
        if col.untimed > 0 {
            eprintln!(
                "raqib: {} posts have no time and cannot co-act; give them `created_at`",
                col.untimed
            );
        }
        if col.outside > 0 {
            eprintln!(
                "raqib: {} posts made outside --since/--until passed over",
                col.outside
            );
        }
    }
    if col.records == 0 {
        bail!("no records read from {}: nothing to do", inputs.join(", "));
    }
    let cfg = NetworkConfig {
        coord: raqib_network::CoordConfig {
            window: a.window,
            max_group: a.max_group,
            threads,
        },
        min_weight: a.min_weight,
        min_size: a.min_size,
        burst_window: a.burst_hours * 3600,
        top_items: 10,
    };
    let t2 = Instant::now();
    let n_posts = col.post_ids.len();
    let report: Report = raqib_network::detect(std::mem::take(&mut col.events), &col.created, &cfg);
    let detect_s = t2.elapsed().as_secs_f64();
    let want: HashSet<(u32, u64)> = report
        .clusters
        .iter()
        .flat_map(|c| {
            c.shared
                .iter()
                .map(|s| col.post_loc[s.example_post as usize])
        })
        .collect();
    let examples = resolve_examples(&inputs, &a.input, &want);
    let mut ex = ItemExtractor::new(ItemConfig::default());
    let described: Vec<ClusterOut> = report
        .clusters
        .iter()
        .map(|c| describe(c, &col, &inputs, &examples, &mut ex, a.window))
        .collect();
    let summary = render(
        &report,
        &described,
        n_posts,
        col.accounts.len(),
        read_s,
        detect_s,
        &a,
    );
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("clusters.jsonl"))?);
        for d in &described {
            serde_json::to_writer(&mut f, d)?;
            f.write_all(b"\n")?;
        }
        f.flush()?;
        let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("edges.csv"))?);
        writeln!(f, "user_1,user_2,weight")?;
        for d in report.directed.iter().filter(|d| d.weight >= a.min_weight) {
            let name = |i: u32| {
                let (p, id) = &col.accounts[i as usize];
                csv_field(&if p.is_empty() {
                    id.clone()
                } else {
                    format!("{p}:{id}")
                })
            };
            writeln!(f, "{},{},{}", name(d.from), name(d.to), d.weight)?;
        }
        f.flush()?;
        std::fs::write(dir.join("summary.txt"), &summary)?;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout());
    if a.json {
        for d in &described {
            serde_json::to_writer(&mut out, d)?;
            out.write_all(b"\n")?;
        }
    } else if !a.quiet || a.out.is_none() {
        out.write_all(summary.as_bytes())?;
    }
    out.flush()?;
    Ok(0)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn render(
    r: &Report,
    d: &[ClusterOut],
    posts: usize,
    accounts: usize,
    read_s: f64,
    detect_s: f64,
    a: &NetworksArgs,
) -> String {
    let mut o = String::new();
    o.push_str(&format!(
        "raqib networks: {posts} posts with items from {accounts} accounts; read in {read_s:.1} s, co-actions and clusters in {detect_s:.1} s\n"
    ));
    o.push_str(&format!(
        "{} co-acting pairs, {} edges (≥ {} co-actions within {} s), {} accounts in edges, {} cluster(s) of {} or more\n",
        r.stats.directed_pairs,
        r.stats.edges,
        a.min_weight,
        a.window,
        r.stats.accounts_in_edges,
        r.stats.clusters,
        a.min_size
    ));
    if !r.mass_items.is_empty() {
        o.push_str(&format!(
            "{} mass item(s) (more than {} posts in one window: trending, not paired)\n",
            r.mass_items.len(),
            a.max_group
        ));
    }
    for c in d.iter().take(a.top) {
        o.push_str(&format!(
            "\ncluster {}: {} accounts, {} co-actions, density {:.2}\n  why: {}\n",
            c.cluster,
            c.size,
            c.co_actions,
            c.density,
            printable(&c.why)
        ));
        let names: Vec<String> = c
            .members
            .iter()
            .take(8)
            .map(|m| match m.handle {
                Some(h) => format!("@{}", printable(h)),
                None => format!("{}:{}", printable(m.platform), printable(m.id)),
            })
            .collect();
        o.push_str(&format!(
            "  members: {}{}\n",
            names.join(", "),
            if c.members.len() > 8 {
                format!(" and {} more", c.members.len() - 8)
            } else {
                String::new()
            }
        ));
        for s in c.shared.iter().take(3) {
            o.push_str(&format!(
                "  shared {}: {} ({} accounts, {} posts; e.g. post {}{}{})\n",
                s.kind.name(),
                clip(&s.value, 80),
                s.accounts,
                s.posts,
                printable(&s.example_post),
                s.example_place
                    .as_ref()
                    .map(|w| format!(" in {}", clip(w, 60)))
                    .unwrap_or_default(),
                s.example_at
                    .as_ref()
                    .map(|l| format!(" at {}", printable(l)))
                    .unwrap_or_default()
            ));
        }
    }
    // Whatever else of the input is in the lines (a reason) cannot drive a terminal.
    raqib_model::printable_lines(&o).into_owned()
}
