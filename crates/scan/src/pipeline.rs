//! Threads and channels of a scan.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use raqib_ingest::{open_chunks, Chunk};
use raqib_model::{Diagnostic, Record, TextSpan};
use raqib_text::{ModelSet, Scratch};
use serde::Serialize;

use crate::accounts::{
    account_key, AccountAgg, AccountReport, EditedPosts, PostStats, Ranked, Versions,
};
use crate::chunked::Chunked;
use crate::jsonout::{write_post, PostView};
use crate::report;
use crate::slots::SlotMap;

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub inputs: Vec<String>,
    pub ingest: raqib_ingest::Options,
    /// Where reports go; `None` writes none (the summary is still returned).
    pub out_dir: Option<PathBuf>,
    /// Overrides the model's threshold.
    pub threshold: Option<f32>,
    pub threads: usize,
    /// Stop at the first diagnostic.
    pub strict: bool,
    /// Write every post to `posts.jsonl`, not only flagged ones.
    pub all_posts: bool,
    /// Evidence spans per flagged post.
    pub explain: usize,
    /// Posts and accounts in the summary's top lists.
    pub top: usize,
    /// A name for the model in reports.
    pub model_name: String,
    /// Known-media lists: a post whose media (PDQ, SHA-256, URL) or links
    /// match one is flagged with the match as evidence.
    pub lists: MediaLists,
    /// Hash the media files an export carries beside its posts (paths relative to the
    /// input's folder) so that they can match `lists`.
    pub hash_media: bool,
    /// Suspended accounts: an account whose profile links to one at `link_threshold` or
    /// more is flagged with the link's reasons as evidence.
    pub suspended: Option<std::sync::Arc<raqib_link::SuspendedIndex>>,
    pub link_threshold: f32,
    /// Coordinated networks: when set, posts' items are collected and clustered after the
    /// scan; members of a cluster are reported with it, and flagged when another member
    /// is flagged.
    pub networks: Option<raqib_network::NetworkConfig>,
    /// How accounts are flagged from their posts; its `threshold` is replaced by the
    /// scan's post threshold.
    pub account_rule: crate::accounts::AccountRule,
    /// Posts each worker keeps track of, to count an edited post's versions once for its
    /// account (see [`raqib_model::Post::first_version`]): edited posts, and posts that
    /// may still be edited (a Matrix message, a fediverse note, an edit-eligible tweet),
    /// 16 bytes each. A stream may mark every post so, and the scan's memory would grow
    /// with its input: the oldest are forgotten instead (see [`EditedPosts`]); a later
    /// version whose first was forgotten counts as a post of its own, and the summary says
    /// how many did.
    pub max_edited: usize,
    /// Only posts made in this window are scanned (`--since`, `--until`).
    pub window: TimeWindow,
}

/// The times whose posts a scan reads (`--since`, `--until`), Unix seconds UTC: from
/// `since` (included) to `until` (excluded). A post with no time is read, and counted.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TimeWindow {
    pub since: Option<i64>,
    pub until: Option<i64>,
}

impl TimeWindow {
    /// Whether a window is set.
    pub fn is_set(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// Whether a post made at `t` lies outside the window (a post with no time does not).
    pub fn excludes(&self, t: Option<i64>) -> bool {
        t.is_some_and(|t| self.since.is_some_and(|s| t < s) || self.until.is_some_and(|u| t >= u))
    }
}

/// The largest media file `--hash-media` reads (a long video is skipped, and counted).
const LOCAL_MEDIA_MAX_BYTES: u64 = 512 << 20;

/// Hash lists for the media-match signal.
#[derive(Clone, Default)]
pub struct MediaLists(pub std::sync::Arc<Vec<raqib_media::lists::HashList>>);

impl std::fmt::Debug for MediaLists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MediaLists({} lists)", self.0.len())
    }
}

impl MediaLists {
    /// Every list entry a post's media references and links match.
    pub fn matches(&self, p: &raqib_model::Post) -> Vec<raqib_media::lists::ListMatch> {
        match_lists(&self.0, p)
    }
}

/// Every entry of `lists` that a post's media references and links match.
pub fn match_lists(
    lists: &[raqib_media::lists::HashList],
    p: &raqib_model::Post,
) -> Vec<raqib_media::lists::ListMatch> {
    {
        use raqib_media::lists::SignalType;
        let mut out = Vec::new();
        if lists.is_empty() {
            return out;
        }
        // Parse and canonicalise once per post, then look up in every list.
        let pdqs: Vec<raqib_media::Hash256> = p
            .media
            .iter()
            .filter_map(|m| m.pdq.as_deref()?.parse().ok())
            .collect();
        // Each once: a link card's page is most often one of the post's links too.
        let mut urls: Vec<raqib_media::url::CanonicalUrl> = Vec::new();
        for u in p
            .media
            .iter()
            .filter_map(|m| m.url.as_deref())
            .chain(p.urls.iter().map(String::as_str))
            .filter_map(|u| raqib_media::url::canonicalise(u).ok())
        {
            if !urls.iter().any(|x| x.url == u.url) {
                urls.push(u);
            }
        }
        for l in lists {
            for h in &pdqs {
                out.extend(l.match_pdq(h));
            }
            for d in p.media.iter().filter_map(|m| m.sha256.as_deref()) {
                out.extend(l.match_exact(SignalType::Sha256, d));
            }
            for u in &urls {
                out.extend(l.match_canonical_url(u));
            }
        }
        out
    }
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            inputs: Vec::new(),
            ingest: Default::default(),
            out_dir: None,
            threshold: None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            strict: false,
            all_posts: false,
            explain: 5,
            top: 10,
            model_name: String::new(),
            lists: MediaLists::default(),
            hash_media: false,
            suspended: None,
            link_threshold: 0.8,
            networks: None,
            account_rule: crate::accounts::AccountRule::at(0.5),
            max_edited: 65_536,
            window: TimeWindow::default(),
        }
    }
}

/// Counters the caller may read from another thread to show progress.
#[derive(Debug, Default)]
pub struct Progress {
    pub posts: AtomicU64,
    pub bytes: AtomicU64,
    pub flagged: AtomicU64,
    pub skipped: AtomicU64,
    /// Shares by reference only (see `raqib_model::Post::is_reference_only`): not scored,
    /// not counted in `posts`.
    pub shares: AtomicU64,
    /// With a time window: posts made outside it, passed over, and posts with no time,
    /// scanned.
    pub outside_window: AtomicU64,
    pub undated: AtomicU64,
    /// With `hash_media`: the export's media files hashed, and those that could not be
    /// (missing, not a regular file, too large, an image that does not decode).
    pub media_hashed: AtomicU64,
    pub media_unhashed: AtomicU64,
    pub videos_framed: AtomicU64,
    pub videos_unframed: AtomicU64,
    pub video_error: std::sync::OnceLock<String>,
    /// Which media file was the first that could not be hashed, and why.
    pub media_error: std::sync::OnceLock<String>,
    /// Which input the reader is on (shared with the reading thread).
    pub files: Arc<FileProgress>,
    /// Bytes read ahead of the posts (see `raqib_ingest::Options::pre_read`: a Twitter
    /// archive's tweets, read for which take its long posts, before the first post).
    pub pre_read: Arc<AtomicU64>,
    /// Bytes of a zip that comes as a stream copied to the temporary folder before it is
    /// read (see `raqib_ingest::Options::spooled`).
    pub spooled: Arc<AtomicU64>,
}

/// The input being read: how many have been opened (this one included) and its name.
#[derive(Debug, Default)]
pub struct FileProgress {
    pub opened: AtomicU64,
    pub current: std::sync::Mutex<Option<Arc<str>>>,
}

impl FileProgress {
    /// The input being read, and how many have been opened: `None` before the first.
    pub fn current(&self) -> Option<(u64, Arc<str>)> {
        let name = self.current.lock().ok()?.clone()?;
        Some((self.opened.load(Ordering::Relaxed), name))
    }

    fn start(&self, path: &str) {
        if let Ok(mut c) = self.current.lock() {
            *c = Some(Arc::from(path));
        }
        self.opened.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("cannot write reports in {path}: {error}")]
    Output { path: String, error: std::io::Error },
    #[error("{0} (--strict stops at the first bad record)")]
    Strict(Diagnostic),
    #[error("no input could be read ({0})")]
    NothingRead(Diagnostic),
}

/// A post that the model flagged, with what a reviewer needs to judge it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FlaggedPost {
    pub file: String,
    pub line: u64,
    pub id: String,
    pub platform: String,
    pub account: String,
    pub score: f32,
    pub flagged: bool,
    pub lang: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reach: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Where the post is one version of an edited post: its first version's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_version: Option<String>,
    /// Where it was posted (a chat, a channel, a subreddit: `raqib_model::Post::place`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// Its page on its platform (`raqib_model::Post::permalink`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permalink: Option<String>,
    pub text: String,
    /// Its media's descriptions (alt text), in the order of its media (empty for one with
    /// none), where any has one: each scored on its own, as the text is, the evidence in
    /// one naming its medium (`TextSpan::media`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub media_alt: Vec<String>,
    /// Its media's kinds, beside `media_alt` (`image`, `video`..., `link` for a link card,
    /// whose description is the linked page's title and description).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub media_kind: Vec<String>,
    pub evidence: Vec<TextSpan>,
    /// Known media or links this post carries, from the hash lists.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub media_matches: Vec<raqib_media::lists::ListMatch>,
}

/// What a scan found, written as `summary.json` and rendered as text.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub model: String,
    pub threshold: f32,
    /// The account rule and its settings (`AccountRule::describe`), e.g. `account-v3: risk
    /// at least 0.9430 with a flagged post, or at least 3 flagged posts and …`.
    pub account_rule: String,
    pub files: usize,
    pub files_unreadable: usize,
    pub posts: u64,
    /// Shares by reference only (Bluesky's reposts: a post that names the post it shares
    /// and has nothing of its own, `raqib_model::Post::is_reference_only`): not scored and
    /// not in `posts`; networks read them, count a repost of a post the scan scored for
    /// its reposter (`crate::accounts::Reposts`), and report an account that only shares
    /// where it is in a cluster or reposted a flagged post.
    #[serde(skip_serializing_if = "is_zero")]
    pub shares_by_reference: u64,
    /// With networks on: shares by reference of posts this scan flagged (each account's
    /// reposts of a post counted once, its own posts' left out). Each counts for its
    /// reposter as a flagged post (`crate::accounts::Reposts`).
    #[serde(skip_serializing_if = "is_zero")]
    pub reposts_of_flagged: u64,
    pub accounts: usize,
    pub flagged_posts: u64,
    /// Posts over the threshold that were not flagged because nothing in their text points
    /// towards propaganda (no evidence: see `raqib_text::Assessment::flagged`).
    pub held_back_no_evidence: u64,
    /// Later versions of edited posts (see `raqib_model::Post::first_version`) counted
    /// for their accounts with a version of the same post: scanned, written and flagged
    /// as posts, but not counted as more posts of their accounts.
    #[serde(skip_serializing_if = "is_zero")]
    pub edited_versions_merged: u64,
    /// Later versions of edited posts counted for their accounts as posts of their own
    /// (with any versions after them): their first version was not in the input, or came
    /// so long before that it was no longer kept track of ([`ScanConfig::max_edited`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub edited_versions_apart: u64,
    /// With `--since` or `--until`: the window, and the posts made outside it (passed over,
    /// not counted in `posts`) and those with no time (scanned, as they may lie in it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowReport>,
    pub flagged_accounts: usize,
    /// Accounts linked to a suspended account (with `--suspended`).
    pub linked_accounts: usize,
    /// Coordinated clusters found (with `--networks`).
    pub network_clusters: usize,
    /// With `--hash-media`: the export's media files hashed, and those that could not be.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_media: Option<LocalMedia>,
    pub skipped_records: u64,
    pub interrupted: bool,
    pub seconds: f64,
    pub posts_per_second: f64,
    pub by_language: Vec<(String, u64, u64)>,
    /// The places (`raqib_model::Post::place`: chats, channels, subreddits) with the most
    /// flagged posts, most first (up to [`FLAGGED_PLACES`]): where a team would report
    /// to first. Empty where no flagged post named its place.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flagged_by_place: Vec<(String, u64)>,
    /// How many places had a flagged post (the list above holds the first of them).
    #[serde(skip_serializing_if = "is_zero")]
    pub places_with_flagged: u64,
    pub top_posts: Vec<FlaggedPost>,
    pub top_accounts_by_risk: Vec<AccountReport>,
    pub top_accounts_by_reach: Vec<AccountReport>,
    #[serde(skip)]
    pub first_diagnostics: Vec<Diagnostic>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A scan's time window and what it left out.
#[derive(Debug, Clone, Serialize)]
pub struct WindowReport {
    /// RFC 3339, UTC; absent where open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    pub outside: u64,
    pub undated: u64,
}

/// What `--hash-media` did with the media files the inputs name.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LocalMedia {
    pub hashed: u64,
    /// Missing (an export made without media), not a regular file, too large, or an image
    /// that does not decode.
    pub not_hashed: u64,
    /// Videos among those hashed whose frames were hashed too (vPDQ, by ffmpeg), to match
    /// a list's videos however they were re-encoded; and those whose frames could not be
    /// (no ffmpeg, a file ffmpeg cannot read), matched by their SHA-256 alone.
    pub videos_framed: u64,
    pub videos_not_framed: u64,
    /// Which video was the first whose frames could not be hashed, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_error: Option<String>,
    /// Which media file was the first that could not be hashed, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_error: Option<String>,
}

/// What a worker sends back for each chunk.
struct ChunkResult {
    /// The chunk's place in the input, so the writer keeps input order.
    seq: u64,
    lines: Vec<u8>,
    diags: Vec<Diagnostic>,
}

/// How many places [`Summary::flagged_by_place`] lists.
pub const FLAGGED_PLACES: usize = 100;

/// The most of a place's name [`Summary::flagged_by_place`] keeps, in bytes.
const PLACE_MAX: usize = 500;

/// What a worker returns when it is done.
#[derive(Default)]
struct WorkerState {
    /// Account key → its place in `aggs` and `stats`: a small table (at most 24 bytes an
    /// account) whose place for a key can be fetched ahead of the lookup.
    slots: SlotMap,
    /// In chunks, so that growing never copies them (see [`Chunked`]).
    aggs: Chunked<AccountAgg>,
    /// What posts add to each account in `aggs`, kept apart while scanning (see
    /// [`PostStats`]) and folded in by [`WorkerState::fold`].
    stats: Chunked<PostStats>,
    top: Vec<FlaggedPost>,
    /// Posts and flagged posts per language; few languages, so a list.
    langs: Vec<(String, u64, u64)>,
    /// Flagged posts per place, for the posts that name one, and the place's number here
    /// (its order of first sight), which [`WorkerState::account_places`] names it by.
    flagged_places: HashMap<Box<str>, (u64, u32)>,
    /// Flagged posts per account and place: by [`account_place_key`], the place's number
    /// and the count (16 bytes a pair: an account's places are per-account state, and a
    /// dump's accounts may be millions).
    account_places: raqib_model::hashed::U64Map<(u32, u32)>,
    /// With networks on: (account key, time, item, post number in `post_ids`).
    events: Vec<(u64, i64, u64, u32)>,
    post_ids: Vec<Box<str>>,
    /// With networks on: the flagged posts, as the item a share of each would be (its
    /// key), and their ids. A cluster whose members shared one (a ring reposting it) is
    /// flagged with it.
    flagged_shares: Vec<(u64, Box<str>)>,
    /// With networks on: every post scored, as the item a share of it would be, and what
    /// a repost of it counts for (see `crate::accounts::Reposts`).
    scored: Vec<crate::accounts::ScoredPost>,
    /// With networks on: the shares by reference read (reposter's account key, the key of
    /// the post shared).
    reposts: Vec<(u64, u64)>,
    /// Posts over the threshold held back for want of evidence.
    held_back: u64,
    /// [`WorkerState::receive`]'s list of places, kept for the next.
    places: Vec<(u32, u32, u32)>,
    /// The platforms seen, each made once and shared by its accounts' aggregates.
    platforms: Vec<Arc<str>>,
    /// Edited posts whose versions are posts of their own, and posts that may still be
    /// edited: what was counted of them (see [`EditedPosts`]).
    versions: EditedPosts,
    /// Later versions counted as posts of their own: their first version was not found
    /// (not in the input, or forgotten).
    versions_apart: u64,
    /// Versions counted with a version of the same post counted before.
    versions_merged: u64,
    /// Accounts whose profile a later record of theirs filled in: their profile text is
    /// scored again (by the worker, which holds the models).
    reassess: Vec<usize>,
}

struct Worker<'a> {
    models: &'a ModelSet,
    thresholds: &'a [f32],
    cfg: &'a ScanConfig,
    progress: &'a Progress,
    /// One per model: a scratch's token cache belongs to one model.
    scratch: Vec<Scratch>,
    state: WorkerState,
    items: Option<raqib_network::ItemExtractor>,
    item_buf: Vec<u64>,
    /// What reading keeps between chunks: posts done with, to read the next ones into
    /// (boxed: a post moves from reader to scorer and back as a pointer, see
    /// [`raqib_model::Record`]), and the tweet authors whose accounts were given.
    read: raqib_ingest::ReadState,
    /// A flagged post's evidence, kept for the next one's (see [`raqib_text::Model::explain_into`]).
    evidence: Vec<TextSpan>,
    /// With `hash_media`: the PDQ hasher (its buffers kept from image to image).
    hasher: Option<raqib_media::PdqHasher>,
    /// With `hash_media`: the frame hashes of the post's videos, matched with its other
    /// media against the lists' videos.
    video_frames: Vec<Vec<raqib_media::video::Frame>>,
    /// Posts of the chunk being scored that were flagged (see [`Worker::chunk`]).
    flagged_in_chunk: u64,
    /// Bytes of report lines per input byte in the last chunk, in 1/1024ths: the next
    /// chunk's line buffer is made that size up front (see [`lines_capacity`]).
    lines_per_kib: usize,
    /// This worker's number: it keeps the aggregates of the accounts [`owner`] gives it.
    me: usize,
    /// What this worker saw of the accounts others keep: one outbox per worker (its own
    /// stays empty), sent after each chunk.
    outboxes: Vec<Outbox>,
    /// The other workers' inboxes (none for its own; all dropped once its input is done).
    peers: Vec<Option<crossbeam_channel::Sender<Outbox>>>,
    inbox: crossbeam_channel::Receiver<Outbox>,
    /// Report-line buffers the writer is done with: they go round between the workers,
    /// which fill one a chunk, and the writer, instead of a buffer made for every chunk and
    /// freed on another thread than the one that made it.
    line_pool: &'a raqib_ingest::BufferPool,
}

/// Which of `threads` workers keeps the account whose key is `key`. From the key's low
/// 32 bits: a worker's slot table places keys by their high bits, which then stay spread.
#[inline]
fn owner(key: u64, threads: usize) -> usize {
    (((key & 0xFFFF_FFFF) * threads as u64) >> 32) as usize
}

/// Posts and profiles a worker read for accounts another worker keeps. Each account is
/// aggregated by one worker only: with every worker keeping its own aggregate of every
/// account it saw, an account with posts in both workers' chunks was held twice (a fifth
/// more aggregates on a dump of a million accounts, all of them on a few thousand), and
/// the two were merged at the end, one random lookup each.
#[derive(Default)]
struct Outbox {
    posts: Vec<Forwarded>,
    /// The forwarded posts' platform, account and post id, one after another.
    names: String,
    profiles: Vec<(Box<raqib_model::Account>, raqib_text::Assessment)>,
}

/// A post counted for an account another worker keeps.
struct Forwarded {
    key: u64,
    score: f32,
    flagged: bool,
    /// Whether it counts as a post of the account: a share by reference only does not
    /// (it makes the account known, see [`Worker::share_by_reference`]).
    counted: bool,
    reach: Option<u64>,
    /// Where its platform, account, post id and first version's id (empty for a post
    /// never edited) end in [`Outbox::names`].
    ends: [u32; 4],
}

impl Outbox {
    fn is_empty(&self) -> bool {
        self.posts.is_empty() && self.profiles.is_empty()
    }

    fn post(&mut self, key: u64, p: &raqib_model::Post, score: f32, flagged: bool, counted: bool) {
        let mut end = |s: &str| {
            self.names.push_str(s);
            self.names.len() as u32
        };
        let ends = [
            end(&p.platform),
            end(account_of(p)),
            end(&p.id),
            end(p.first_version.as_deref().unwrap_or("")),
        ];
        self.posts.push(Forwarded {
            key,
            score,
            flagged,
            counted,
            reach: p.reach,
            ends,
        });
    }
}

/// A post read and prepared, waiting to be scored.
struct Pending {
    p: Box<raqib_model::Post>,
    /// Its account's key (see [`account_key`]).
    key: u64,
    /// Its script's language when the post names none.
    script: &'static str,
    /// Its model in the set.
    m: usize,
}

impl WorkerState {
    /// The place of the account's aggregate in `aggs`, made on first sight.
    fn slot(&mut self, platform: &str, account: &str) -> usize {
        self.slot_of(account_key(platform, account), platform, account)
    }

    /// [`WorkerState::slot`] for the account whose key is `key`.
    fn slot_of(&mut self, key: u64, platform: &str, account: &str) -> usize {
        let next = self.aggs.len() as u32;
        let slot = self.slots.get_or_insert(key, next) as usize;
        if slot == self.aggs.len() {
            let platform = match self.platforms.iter().find(|p| ***p == *platform) {
                Some(p) => p.clone(),
                None => {
                    self.platforms.push(Arc::from(platform));
                    self.platforms[self.platforms.len() - 1].clone()
                }
            };
            self.aggs.push(AccountAgg::new(platform, account));
            self.stats.push(PostStats::default());
        }
        slot
    }

    /// Count what another worker read for accounts this one keeps: first each post's
    /// place (the table's line asked for eight posts ahead), then its counts (its
    /// aggregate's lines asked for four ahead). Each is in tables too large for the cache.
    fn receive(&mut self, ob: Outbox) {
        let mut places = std::mem::take(&mut self.places);
        places.clear();
        let mut start = 0usize;
        for (j, f) in ob.posts.iter().enumerate() {
            if let Some(ahead) = ob.posts.get(j + 8) {
                self.slots.prefetch(ahead.key);
            }
            let [p, a, i, v] = f.ends.map(|e| e as usize);
            let slot = self.slot_of(f.key, &ob.names[start..p], &ob.names[p..a]);
            places.push((slot as u32, a as u32, i as u32));
            start = v;
        }
        for (j, (f, &(slot, a, i))) in ob.posts.iter().zip(&places).enumerate() {
            if let Some(&(ahead, _, _)) = places.get(j + 4) {
                raqib_model::hint::prefetch(&self.stats[ahead as usize]);
                raqib_model::hint::prefetch(&self.aggs[ahead as usize].top_posts);
            }
            if !f.counted {
                continue;
            }
            let (a, i, v) = (a as usize, i as usize, f.ends[3] as usize);
            self.count(
                slot as usize,
                Some(&ob.names[i..v]),
                &ob.names[a..i],
                f.score,
                f.flagged,
                f.reach,
            );
        }
        self.places = places;
        for (a, assessed) in ob.profiles {
            let slot = self.slot(&a.platform, &a.id);
            if self.aggs[slot].set_profile(a, assessed) {
                self.reassess.push(slot);
            }
        }
    }

    /// Count a post for the account at `slot`: once, whichever of its versions it is,
    /// where it is one version of an edited post (`first_version`, see
    /// [`PostStats::add_later_version`]).
    fn count(
        &mut self,
        slot: usize,
        first_version: Option<&str>,
        id: &str,
        score: f32,
        flagged: bool,
        reach: Option<u64>,
    ) {
        let (stats, top) = (&mut self.stats[slot], &mut self.aggs[slot].top_posts);
        let Some(first) = first_version.filter(|f| !f.is_empty()) else {
            return stats.add_post(top, id, score, flagged, reach);
        };
        // A 64-bit hash for the pair: two edited posts of one account would have to
        // collide (one in 2^64) to be counted as one.
        let key = xxhash_rust::xxh3::xxh3_64_with_seed(first.as_bytes(), slot as u64);
        match self
            .versions
            .find_or_insert(key, Versions::first(score, flagged, id))
        {
            Some(seen) => {
                stats.add_later_version(top, seen, id, score, flagged, reach);
                self.versions_merged += 1;
            }
            None => {
                stats.add_post(top, id, score, flagged, reach);
                if first != id {
                    self.versions_apart += 1;
                }
            }
        }
    }

    /// Fold the per-post counts into the aggregates, once the worker is done.
    fn fold(mut self) -> WorkerState {
        for (a, s) in self.aggs.iter_mut().zip(std::mem::take(&mut self.stats)) {
            a.add_stats(&s);
        }
        self
    }
}

/// The key of an account's (its key, a hash) flagged posts in a place (its number): the
/// account's key with the place's number mixed in, its own inverse (given the number, the
/// key of the pair gives back the account's). Two pairs share one only where two accounts'
/// keys differ by just that mix, as unlikely as two accounts sharing a key.
fn account_place_key(key: u64, place: u32) -> u64 {
    key ^ (u64::from(place) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The line buffer for a chunk of `len` bytes when the last chunk wrote `per_kib` bytes of
/// lines per KiB read: that much and an eighth, so that a chunk like the last one fills it
/// without growing (a doubling copies what it holds, and touches fresh memory), and at
/// most four times the chunk. How much a chunk writes depends on its posts: flagged ones
/// write their text and evidence, three times their input line, others nothing.
fn lines_capacity(len: usize, per_kib: usize) -> usize {
    let per_kib = (per_kib + per_kib / 8).min(4 << 10);
    (len / 1024 + 1) * per_kib
}

/// Spare posts a worker keeps: one post is in flight and one is being read, so a few are
/// enough. Formats whose records come already made (CSV, Telegram, Twitter pages) take
/// none back, so without a cap they would pile up, one per post.
const SPARE_POSTS: usize = 4;

/// Keep `p` to read a later post into, if there is room.
#[allow(clippy::vec_box)]
fn give_back(spare: &mut Vec<Box<raqib_model::Post>>, p: Box<raqib_model::Post>) {
    if spare.len() < SPARE_POSTS {
        spare.push(p);
    }
}

/// The account a post is credited to.
fn account_of(p: &raqib_model::Post) -> &str {
    if p.account.is_empty() {
        crate::accounts::UNATTRIBUTED
    } else {
        p.account.as_str()
    }
}

impl Worker<'_> {
    fn chunk(&mut self, seq: u64, chunk: &Chunk) -> ChunkResult {
        self.take_inbox();
        let mut res = ChunkResult {
            seq,
            lines: raqib_ingest::pooled_buffer(
                self.line_pool,
                lines_capacity(chunk.len_bytes(), self.lines_per_kib),
            ),
            diags: Vec::new(),
        };
        let file = chunk.file().clone();
        let (mut posts, mut shares) = (0u64, 0u64);
        // Each post is prepared (its memory asked for) while the next record is parsed,
        // and scored after that: one post in flight.
        let mut pending: Option<(Pending, u64)> = None;
        // Posts done with are read into again (their strings keep their memory).
        let mut read = std::mem::take(&mut self.read);
        let window = self.cfg.window;
        let (mut outside, mut undated) = (0u64, 0u64);
        chunk.for_each_record_reusing(&mut read, |line, item, spare| match item {
            Ok(Record::Post(p)) if window.excludes(p.created_at) => {
                outside += 1;
                give_back(spare, p);
            }
            Ok(Record::Post(p)) if p.is_reference_only() => {
                shares += 1;
                self.share_by_reference(&p);
                give_back(spare, p);
            }
            Ok(Record::Post(p)) => {
                posts += 1;
                undated += u64::from(window.is_set() && p.created_at.is_none());
                if let Some((prev, l)) = pending.take() {
                    give_back(spare, self.post(prev, &file, l, &mut res.lines));
                }
                pending = Some((self.prepare(p), line));
            }
            Ok(Record::Account(a)) => {
                let text = a.profile_text();
                let m = self.models.route_text(None, &text);
                let assessed = self.models.get(m).assess(&text, &mut self.scratch[m]);
                let key = account_key(&a.platform, &a.id);
                match owner(key, self.outboxes.len()) {
                    o if o == self.me => {
                        let slot = self.state.slot_of(key, &a.platform, &a.id);
                        if self.state.aggs[slot].set_profile(a, assessed) {
                            self.state.reassess.push(slot);
                            self.reassess_profiles();
                        }
                    }
                    o => self.outboxes[o].profiles.push((a, assessed)),
                }
            }
            Err(d) => res.diags.push(d),
        });
        if let Some((prev, l)) = pending {
            give_back(&mut read.spare, self.post(prev, &file, l, &mut res.lines));
        }
        self.read = read;
        self.lines_per_kib = (res.lines.len() << 10) / chunk.len_bytes().max(1);
        self.send_outboxes();
        self.progress.posts.fetch_add(posts, Ordering::Relaxed);
        if shares > 0 {
            self.progress.shares.fetch_add(shares, Ordering::Relaxed);
        }
        if window.is_set() {
            self.progress
                .outside_window
                .fetch_add(outside, Ordering::Relaxed);
            self.progress.undated.fetch_add(undated, Ordering::Relaxed);
        }
        self.progress.flagged.fetch_add(
            std::mem::take(&mut self.flagged_in_chunk),
            Ordering::Relaxed,
        );
        self.progress
            .bytes
            .fetch_add(chunk.len_bytes() as u64, Ordering::Relaxed);
        res
    }

    /// With networks on, the post's items (links, media, hashtags, the post it shares,
    /// its text) as actions of its account, at its time.
    fn network_events(&mut self, key: u64, p: &raqib_model::Post) {
        // A post with no account is no one's action: it cannot coordinate with another.
        if let (Some(ex), Some(t), false) =
            (self.items.as_mut(), p.created_at, p.account.is_empty())
        {
            self.item_buf.clear();
            ex.items(p, &mut self.item_buf);
            if !self.item_buf.is_empty() {
                let post = self.state.post_ids.len() as u32;
                self.state.post_ids.push(p.id.as_str().into());
                for &item in &self.item_buf {
                    self.state.events.push((key, t, item, post));
                }
            }
        }
    }

    /// A share by reference only (a Bluesky repost: see
    /// `raqib_model::Post::is_reference_only`): nothing in it to score, and it is not
    /// counted as a post of its account (whose share of flagged posts it would dilute).
    /// With networks on, the share is an action of the account, and the account is made
    /// known to the worker that keeps it, so that it can be reported as a member of a
    /// cluster though it only reposts; once the scan is done, a repost of a post it scored
    /// counts for the reposter with the post's score (`crate::accounts::count_reposts`).
    /// One in no cluster that reposted no flagged post, with no post or profile, is left
    /// out of the report.
    fn share_by_reference(&mut self, p: &raqib_model::Post) {
        // Without networks there is nothing to do with it.
        if self.items.is_none() {
            return;
        }
        let account = account_of(p);
        let key = account_key(&p.platform, account);
        match owner(key, self.outboxes.len()) {
            o if o == self.me => {
                self.state.slot_of(key, &p.platform, account);
            }
            o => self.outboxes[o].post(key, p, 0.0, false, false),
        }
        if let Some(of) = &p.share_of {
            let item =
                raqib_network::items::post_ref_key(raqib_network::Kind::Share, &p.platform, of);
            self.state.reposts.push((key, item));
        }
        self.network_events(key, p);
    }

    /// Count what other workers sent so far.
    fn take_inbox(&mut self) {
        while let Ok(ob) = self.inbox.try_recv() {
            self.state.receive(ob);
        }
        self.reassess_profiles();
    }

    /// Score again the profiles that a later record of their account filled in.
    fn reassess_profiles(&mut self) {
        for slot in std::mem::take(&mut self.state.reassess) {
            let (models, scratch) = (&self.models, &mut self.scratch);
            self.state.aggs[slot].reassess_profile(|text| {
                let m = models.route_text(None, text);
                models.get(m).assess(text, &mut scratch[m])
            });
        }
    }

    fn send_outboxes(&mut self) {
        for (ob, peer) in self.outboxes.iter_mut().zip(&self.peers) {
            if let (false, Some(peer)) = (ob.is_empty(), peer) {
                // A peer gone has panicked, which the scan reports when it joins it.
                let _ = peer.send(std::mem::take(ob));
            }
        }
    }

    /// The worker's input is done: send what is left, and count what the others send
    /// until all of them are done too.
    fn finish(mut self) -> WorkerState {
        self.send_outboxes();
        self.peers.clear();
        while let Ok(ob) = self.inbox.recv() {
            self.state.receive(ob);
        }
        self.reassess_profiles();
        self.state.fold()
    }

    /// Hash the media files `p` names by paths relative to its input's folder (an export's
    /// `photos/`, a chat's attachments; a Twitter archive's `tweets_media/` copies of its
    /// URLs), or to its export's root where the export names them so (an Instagram
    /// export's `media/posts/...`), that carry no hash yet, so that lists can match them;
    /// what cannot be hashed is counted.
    fn hash_local_media(&mut self, p: &mut raqib_model::Post, file: &str) {
        let folder = raqib_ingest::media_root(file)
            .map(std::path::Path::new)
            .or_else(|| std::path::Path::new(file).parent());
        let Some(base) = folder.filter(|_| file != "-") else {
            return;
        };
        for m in &mut p.media {
            // A link card is a page's words, not a file of the export.
            if m.sha256.is_some() || m.pdq.is_some() || m.is_link_card() {
                continue;
            }
            // A zipped or tarred export's media are members of its archive, beside the
            // post's member.
            let exists = |p: &std::path::Path| p.is_file() || raqib_ingest::is_archive_member(p);
            let Some(path) = m
                .url
                .as_deref()
                .and_then(|u| raqib_media::local::local_copy_where(base, &p.id, u, exists))
            else {
                continue;
            };
            let hasher = self.hasher.get_or_insert_with(raqib_media::PdqHasher::new);
            let max_pixels = raqib_media::decode::DEFAULT_MAX_PIXELS;
            // Inside an archive (a compressed tar is decompressed into the temporary folder
            // once; where it cannot be, the error says why and to decompress it).
            let in_archive = (!path.exists())
                .then(|| raqib_ingest::archive_member_reader(&path))
                .flatten();
            let archived = in_archive.is_some();
            let hashed = match in_archive {
                Some(Ok(r)) => {
                    raqib_media::local::hash_read(r, LOCAL_MEDIA_MAX_BYTES, max_pixels, hasher)
                }
                Some(Err(e)) => Err(e),
                None => {
                    raqib_media::local::hash_local(&path, LOCAL_MEDIA_MAX_BYTES, max_pixels, hasher)
                }
            };
            match hashed {
                Ok(h) => {
                    m.sha256 = Some(h.sha256);
                    m.pdq = h.pdq.map(|h| h.to_string());
                    self.progress.media_hashed.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    self.progress.media_unhashed.fetch_add(1, Ordering::Relaxed);
                    let _ = self
                        .progress
                        .media_error
                        .set(format!("{}: {e}", path.display()));
                    continue;
                }
            }
            if m.pdq.is_none() && raqib_media::video::is_video_path(&path) {
                self.hash_video_frames(&path, archived);
            }
        }
    }

    /// Hash a video's frames (vPDQ: one frame a second, by ffmpeg) for the post being
    /// scored, a video inside an archive (`archived`) from a copy of it (ffmpeg reads
    /// files);
    /// counted either way, and the first failure's reason kept for the summary.
    fn hash_video_frames(&mut self, path: &std::path::Path, archived: bool) {
        let opts = raqib_media::video::VideoOptions::default();
        let hashed = if archived {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            match raqib_ingest::archive_member_reader(path) {
                Some(Ok(r)) => {
                    raqib_media::video::hash_video_read(r, ext, LOCAL_MEDIA_MAX_BYTES, &opts)
                        .map_err(|e| e.to_string())
                }
                Some(Err(e)) => Err(e),
                None => Err("no longer in its archive".to_string()),
            }
        } else {
            raqib_media::video::hash_video(path, &opts).map_err(|e| e.to_string())
        };
        match hashed {
            Ok(frames) => {
                self.video_frames.push(frames);
                self.progress.videos_framed.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.progress
                    .videos_unframed
                    .fetch_add(1, Ordering::Relaxed);
                let _ = self
                    .progress
                    .video_error
                    .set(format!("{}: {e}", path.display()));
            }
        }
    }

    /// What the lists match of a post: its media's hashes and links, and the frames of
    /// its videos hashed by `--hash-media` (each listed video once).
    fn list_matches(&mut self, p: &raqib_model::Post) -> Vec<raqib_media::lists::ListMatch> {
        let mut matches = self.cfg.lists.matches(p);
        for frames in self.video_frames.drain(..) {
            for list in self.cfg.lists.0.iter() {
                let found = list.match_video(
                    &frames,
                    raqib_media::video::QUERY_SHARE,
                    raqib_media::video::TARGET_SHARE,
                );
                for (m, _) in found {
                    if !matches
                        .iter()
                        .any(|x| x.list == m.list && x.kind == m.kind && x.value == m.value)
                    {
                        matches.push(m);
                    }
                }
            }
        }
        matches
    }

    /// Find the post's model, and ask for the memory scoring it will read (its account's
    /// place in the slot map, the token cache's sets): it is most likely not in cache.
    fn prepare(&mut self, p: Box<raqib_model::Post>) -> Pending {
        let key = account_key(&p.platform, account_of(&p));
        if owner(key, self.outboxes.len()) == self.me {
            self.state.slots.prefetch(key);
        }
        let script = match p.lang {
            Some(_) => "",
            None => raqib_text::script_language(&p.text),
        };
        let m = self.models.route(p.lang.as_deref().unwrap_or(script));
        self.models.get(m).prefetch(&p.text, &mut self.scratch[m]);
        Pending { p, key, script, m }
    }

    /// Score a prepared post, count it, and write it if flagged; the post comes back to be
    /// read into again.
    fn post(
        &mut self,
        pending: Pending,
        file: &str,
        line: u64,
        out: &mut Vec<u8>,
    ) -> Box<raqib_model::Post> {
        let Pending {
            mut p,
            key,
            script,
            m,
        } = pending;
        if self.cfg.hash_media && !self.cfg.lists.0.is_empty() {
            self.hash_local_media(&mut p, file);
        }
        let account = account_of(&p);
        // The account's counts are read after scoring: ask for them now.
        let keeper = owner(key, self.outboxes.len());
        let slot = (keeper == self.me).then(|| {
            let slot = self.state.slot_of(key, &p.platform, account);
            raqib_model::hint::prefetch(&self.state.stats[slot]);
            raqib_model::hint::prefetch(&self.state.aggs[slot].top_posts);
            slot
        });
        let lang = p.lang.as_deref().unwrap_or(script);
        // Its text, and each of its media's descriptions (alt text) where it has any, each
        // scored on its own: the strongest is the post's score, a flagged one its flag and
        // its evidence (the part's place, and its model).
        let described = p.media.iter().any(|x| x.description().is_some());
        let (score, over, evidence_from) = if described {
            let parts = self.models.assess_parts(
                (m, &p.text),
                p.media.iter().filter_map(|x| x.description()),
                &mut self.scratch,
                self.thresholds,
            );
            let from = parts.flagged.map(|(i, pm, _)| (i, pm));
            (parts.probability, parts.over_threshold, from)
        } else {
            let a = self.models.get(m).assess(&p.text, &mut self.scratch[m]);
            let from = a.flagged(self.thresholds[m]).then_some((0, m));
            (a.probability, a.probability >= self.thresholds[m], from)
        };
        let media_matches = self.list_matches(&p);
        let text_flagged = evidence_from.is_some();
        let flagged = text_flagged || !media_matches.is_empty();
        self.state.held_back += u64::from(!flagged && over);
        match self.state.langs.iter_mut().find(|l| l.0 == lang) {
            Some(l) => {
                l.1 += 1;
                l.2 += flagged as u64;
            }
            None => self.state.langs.push((lang.to_string(), 1, flagged as u64)),
        }
        if let Some(place) = p.place.as_deref().filter(|w| flagged && !w.is_empty()) {
            // Counted by its first `PLACE_MAX` bytes: a record's place may be as long as
            // the record, and a hundred of them are kept for the summary.
            let place = raqib_model::cut_at_char(place, PLACE_MAX);
            let number = match self.state.flagged_places.get_mut(place) {
                Some((n, number)) => {
                    *n += 1;
                    *number
                }
                None => {
                    let number = self.state.flagged_places.len() as u32;
                    self.state.flagged_places.insert(place.into(), (1, number));
                    number
                }
            };
            let n = &mut self
                .state
                .account_places
                .entry(account_place_key(key, number))
                .or_insert((number, 0))
                .1;
            *n = n.saturating_add(1);
        }
        self.network_events(key, &p);
        let share = self.items.is_some().then(|| {
            raqib_network::items::post_ref_key(raqib_network::Kind::Share, &p.platform, &p.id)
        });
        if let Some(share) = share {
            self.state.scored.push(crate::accounts::ScoredPost {
                key: share,
                account: key,
                score,
                flagged,
            });
        }
        match slot {
            Some(slot) => self.state.count(
                slot,
                p.first_version.as_deref(),
                &p.id,
                score,
                flagged,
                p.reach,
            ),
            None => self.outboxes[keeper].post(key, &p, score, flagged, true),
        }
        if !(flagged || self.cfg.all_posts) {
            return p;
        }
        // Counted here, added to the shared count once a chunk: an atomic add on a line
        // both workers write moved that line between the cores for every flagged post.
        self.flagged_in_chunk += u64::from(flagged);
        if let (true, Some(share)) = (flagged, share) {
            self.state
                .flagged_shares
                .push((share, p.id.as_str().into()));
        }
        // The evidence list is kept from post to post, its strings written over.
        let mut evidence = std::mem::take(&mut self.evidence);
        match evidence_from {
            Some((part, pm)) => {
                // Part 0 is the text; part i the i-th description, of medium k.
                let (text, medium) = match part {
                    0 => (p.text.as_str(), None),
                    i => p
                        .media
                        .iter()
                        .enumerate()
                        .filter_map(|(k, x)| x.description().map(|a| (a, Some(k as u32))))
                        .nth(i - 1)
                        .unwrap_or((p.text.as_str(), None)),
                };
                self.models.get(pm).explain_into(
                    text,
                    self.cfg.explain,
                    &mut self.scratch[pm],
                    &mut evidence,
                );
                for s in &mut evidence {
                    s.media = medium;
                }
            }
            None => evidence.clear(),
        }
        let score = (score * 10000.0).round() / 10000.0;
        let view = PostView {
            file,
            line,
            id: &p.id,
            platform: &p.platform,
            account,
            score,
            flagged,
            lang,
            reach: p.reach,
            created_at: p.created_at,
            // A later version names its first; a first version (or a post that may be
            // edited) names itself, which the report need not repeat.
            first_version: p
                .first_version
                .as_deref()
                .filter(|f| !f.is_empty() && *f != p.id),
            place: p.place.as_deref().filter(|s| !s.is_empty()),
            permalink: p.permalink.as_deref().filter(|s| !s.is_empty()),
            text: &p.text,
            media_alt: crate::jsonout::Alts::Media(if described { &p.media } else { &[] }),
            evidence: &evidence,
            media_matches: &media_matches,
        };
        if self.cfg.out_dir.is_some() {
            write_post(out, &view);
            out.push(b'\n');
        }
        if flagged {
            offer_top(&mut self.state.top, self.cfg.top, &view);
        }
        self.evidence = evidence;
        p
    }
}

/// The order of the summary's strongest posts: score, highest first, then id, file and
/// line, so that which posts make the list never depends on which worker saw them first
/// (a worker keeps its own best `n` by this order; the best `n` of all is among theirs).
fn top_order(a: &PostView<'_>, b: &PostView<'_>) -> std::cmp::Ordering {
    b.score
        .total_cmp(&a.score)
        .then_with(|| a.id.cmp(b.id))
        .then_with(|| a.file.cmp(b.file))
        .then(a.line.cmp(&b.line))
}

/// Whether two posts are versions of one edited post (see `raqib_model::Post::
/// first_version`; a first version's view names none): the summary lists each post once,
/// by its strongest version.
fn same_post(a: &PostView<'_>, b: &PostView<'_>) -> bool {
    a.first_version.unwrap_or(a.id) == b.first_version.unwrap_or(b.id)
        && a.account == b.account
        && a.platform == b.platform
}

/// The best `n` of the workers' strongest posts, by [`top_order`], one version of a post
/// at most (versions of one post read by different workers: the strongest stays).
fn best_of(mut top: Vec<FlaggedPost>, n: usize) -> Vec<FlaggedPost> {
    top.sort_by(|a, b| top_order(&a.view(), &b.view()));
    let mut kept: Vec<FlaggedPost> = Vec::with_capacity(n);
    for p in top {
        if kept.len() == n {
            break;
        }
        if !kept.iter().any(|k| same_post(&k.view(), &p.view())) {
            kept.push(p);
        }
    }
    kept
}

/// Keep `post` among the best `n` of `top` (sorted by [`top_order`], one version of a
/// post at most) if it belongs there.
fn offer_top(top: &mut Vec<FlaggedPost>, n: usize, post: &PostView<'_>) {
    let beats_last = top
        .last()
        .is_some_and(|l| top_order(post, &l.view()).is_lt());
    if top.len() < n || beats_last {
        // Another version of the post there: the stronger stays.
        if let Some(i) = top.iter().position(|t| same_post(&t.view(), post)) {
            if top_order(&top[i].view(), post).is_lt() {
                return;
            }
            top.remove(i);
        }
        let pos = top.partition_point(|t| top_order(&t.view(), post).is_lt());
        top.insert(pos, post.to_post());
        top.truncate(n);
    }
}

/// A batch at least this large goes to the file as it is, not through the writer's buffer.
const WRITE_DIRECT: usize = 64 << 10;

/// Write a chunk's lines. A few lines (a chunk with few flags) are gathered in `w`'s
/// buffer into one write with others; a chunk's worth (hundreds of KB when many posts are
/// flagged) is written as it is, after what the buffer holds, instead of being copied into
/// the buffer first: a memory copy of the whole report saved.
fn write_lines<W: Write>(w: &mut std::io::BufWriter<W>, lines: &[u8]) -> std::io::Result<()> {
    if lines.len() < WRITE_DIRECT {
        return w.write_all(lines);
    }
    w.flush()?;
    w.get_mut().write_all(lines)
}

struct Out {
    dir: PathBuf,
    posts: std::io::BufWriter<crate::writebehind::WriteBehind>,
    diags: std::io::BufWriter<std::fs::File>,
    trash: crate::trash::Trash,
}

impl Out {
    fn create(dir: &PathBuf) -> std::io::Result<Out> {
        std::fs::create_dir_all(dir)?;
        let trash = crate::trash::Trash::new(dir);
        let f = |n: &str| {
            let path = dir.join(n);
            trash.clear(&path);
            std::fs::File::create(path)
        };
        Ok(Out {
            dir: dir.clone(),
            // The one report that grows with the input: large, it leaves the cache.
            posts: std::io::BufWriter::with_capacity(
                1 << 20,
                crate::writebehind::WriteBehind::new(f("posts.jsonl")?),
            ),
            diags: std::io::BufWriter::with_capacity(1 << 20, f("diagnostics.jsonl")?),
            trash,
        })
    }
}

/// Run a scan. `on_diagnostic` sees every diagnostic on the calling thread, in arrival
/// order; `interrupted` stops reading new input when set (the reports are still written).
///
/// The reader runs on a thread of its own that is not waited for after an interrupt: it
/// may be blocked reading a pipe that never closes, and the reports must not wait for it.
pub fn run(
    models: &ModelSet,
    cfg: &ScanConfig,
    progress: &Progress,
    interrupted: &Arc<AtomicBool>,
    on_diagnostic: &mut dyn FnMut(&Diagnostic),
) -> Result<Summary, ScanError> {
    let t0 = Instant::now();
    let thresholds = models.thresholds(cfg.threshold);
    let threshold = thresholds[0];
    let out_err = |dir: &PathBuf| {
        let path = dir.display().to_string();
        move |e| ScanError::Output {
            path: path.clone(),
            error: e,
        }
    };
    let mut out = match &cfg.out_dir {
        Some(d) => Some(Out::create(d).map_err(out_err(d))?),
        None => None,
    };
    let threads = cfg.threads.max(1);
    let (chunk_tx, chunk_rx) = crossbeam_channel::bounded::<(u64, Chunk)>(threads * 2);
    let (res_tx, res_rx) = crossbeam_channel::bounded::<ChunkResult>(threads * 2);
    let line_pool = raqib_ingest::BufferPool::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut skipped = 0u64;
    let mut first_diags = Vec::new();
    let mut strict_error = None;
    let mut io_error = None;

    // Reader: opens each input in turn; an unreadable file is a diagnostic.
    let reader = {
        let (inputs, mut opts) = (cfg.inputs.clone(), cfg.ingest.clone());
        opts.pre_read = progress.pre_read.clone();
        opts.spooled = progress.spooled.clone();
        let (interrupted, stop) = (interrupted.clone(), stop.clone());
        let files = progress.files.clone();
        std::thread::spawn(move || {
            let mut unreadable = 0usize;
            let mut seq = 0u64;
            let halt = || interrupted.load(Ordering::Relaxed) || stop.load(Ordering::Relaxed);
            'files: for path in &inputs {
                files.start(path);
                match open_chunks(path, &opts) {
                    Ok(chunks) => {
                        for c in chunks {
                            seq += 1;
                            if halt() || chunk_tx.send((seq - 1, c)).is_err() {
                                break 'files;
                            }
                        }
                    }
                    Err(e) => {
                        unreadable += 1;
                        let msg = e.to_string();
                        let msg = msg
                            .strip_prefix(&format!("{path}: "))
                            .unwrap_or(&msg)
                            .to_string();
                        let d = Diagnostic::new(path.clone(), 0, msg);
                        let chunk = Chunk::Records {
                            file: Arc::from(path.as_str()),
                            items: vec![(0, Err(d))],
                            read: 0,
                        };
                        seq += 1;
                        if halt() || chunk_tx.send((seq - 1, chunk)).is_err() {
                            break 'files;
                        }
                    }
                }
            }
            unreadable
        })
    };

    let (peers, inboxes): (Vec<_>, Vec<_>) = (0..threads)
        .map(|_| crossbeam_channel::unbounded::<Outbox>())
        .unzip();
    let states: Vec<WorkerState> = std::thread::scope(|s| {
        let workers: Vec<_> = inboxes
            .into_iter()
            .enumerate()
            .map(|(me, inbox)| {
                let peers = (0..threads)
                    .map(|o| (o != me).then(|| peers[o].clone()))
                    .collect();
                let rx = chunk_rx.clone();
                let tx = res_tx.clone();
                let thresholds = &thresholds;
                let line_pool = &line_pool;
                s.spawn(move || {
                    let mut w = Worker {
                        models,
                        thresholds,
                        cfg,
                        progress,
                        scratch: models.scratches(),
                        state: WorkerState {
                            versions: EditedPosts::new(cfg.max_edited),
                            ..Default::default()
                        },
                        items: cfg
                            .networks
                            .as_ref()
                            .map(|_| raqib_network::ItemExtractor::new(Default::default())),
                        item_buf: Vec::new(),
                        read: Default::default(),
                        evidence: Vec::new(),
                        hasher: None,
                        video_frames: Vec::new(),
                        flagged_in_chunk: 0,
                        lines_per_kib: 512,
                        me,
                        outboxes: (0..threads).map(|_| Outbox::default()).collect(),
                        peers,
                        inbox,
                        line_pool,
                    };
                    loop {
                        match rx.recv_timeout(std::time::Duration::from_millis(100)) {
                            Ok((seq, chunk)) => {
                                if tx.send(w.chunk(seq, &chunk)).is_err() {
                                    break;
                                }
                            }
                            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                                if interrupted.load(Ordering::Relaxed) {
                                    break;
                                }
                                w.take_inbox();
                            }
                            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
                        }
                    }
                    w.finish()
                })
            })
            .collect();
        drop(res_tx);
        drop(chunk_rx);
        // Each worker holds the others' senders: an inbox closes once every other worker
        // is done.
        drop(peers);
        // Writer: this thread, in input order whichever worker finishes first (results
        // that come early wait; at most a few chunks, as the channels are bounded).
        let mut write = |r: ChunkResult| {
            if let Some(o) = out.as_mut() {
                if let Err(e) = write_lines(&mut o.posts, &r.lines) {
                    io_error.get_or_insert(e);
                    stop.store(true, Ordering::Relaxed);
                }
            }
            raqib_ingest::give_back_buffer(&line_pool, r.lines);
            for d in r.diags {
                skipped += 1;
                progress.skipped.fetch_add(1, Ordering::Relaxed);
                on_diagnostic(&d);
                if let Some(o) = out.as_mut() {
                    let _ = serde_json::to_writer(&mut o.diags, &d);
                    let _ = o.diags.write_all(b"\n");
                }
                if first_diags.len() < 100 {
                    first_diags.push(d.clone());
                }
                if cfg.strict && strict_error.is_none() {
                    strict_error = Some(d);
                    stop.store(true, Ordering::Relaxed);
                }
            }
        };
        let mut early: std::collections::BTreeMap<u64, ChunkResult> = Default::default();
        let mut next = 0u64;
        for r in res_rx {
            early.insert(r.seq, r);
            while let Some(r) = early.remove(&next) {
                write(r);
                next += 1;
            }
        }
        // Stopped early (Ctrl-C, --strict, an output error): what was done, in order.
        early.into_values().for_each(write);
        workers
            .into_iter()
            .map(|w| w.join().expect("worker thread panicked"))
            .collect()
    });
    let was_interrupted = interrupted.load(Ordering::Relaxed);
    let files_unreadable = if was_interrupted {
        0
    } else {
        reader.join().expect("reader thread panicked")
    };
    if let Some(d) = strict_error {
        return Err(ScanError::Strict(d));
    }
    if let Some(e) = io_error {
        return Err(out_err(
            cfg.out_dir
                .as_ref()
                .expect("io errors come from the out dir"),
        )(e));
    }
    if !was_interrupted && files_unreadable == cfg.inputs.len() && !cfg.inputs.is_empty() {
        let first = first_diags
            .first()
            .cloned()
            .unwrap_or_else(|| Diagnostic::new("", 0, "no input"));
        return Err(ScanError::NothingRead(first));
    }

    // Join the workers' aggregates: each account was kept by one of them.
    let mut accounts: Chunked<AccountAgg> = Chunked::default();
    let mut top: Vec<FlaggedPost> = Vec::new();
    let mut langs: HashMap<String, (u64, u64)> = HashMap::new();
    // Every worker's places, numbered anew: flagged posts, and the place's number here.
    let mut places: HashMap<Box<str>, (u64, u32)> = HashMap::new();
    let mut account_places: Vec<(u64, u32, u64)> = Vec::new();
    let mut events: Vec<(u64, i64, u64, u32)> = Vec::new();
    let mut post_ids: Vec<Box<str>> = Vec::new();
    let mut flagged_shares: HashMap<u64, Box<str>> = HashMap::new();
    let mut scored: Vec<crate::accounts::ScoredPost> = Vec::new();
    let mut reposts: Vec<(u64, u64)> = Vec::new();
    let mut held_back = 0u64;
    let (mut versions_apart, mut versions_merged) = (0u64, 0u64);
    for mut st in states {
        held_back += st.held_back;
        versions_apart += st.versions_apart;
        versions_merged += st.versions_merged;
        let offset = post_ids.len() as u32;
        post_ids.append(&mut st.post_ids);
        flagged_shares.extend(st.flagged_shares.drain(..));
        scored.append(&mut st.scored);
        reposts.append(&mut st.reposts);
        events.extend(
            st.events
                .drain(..)
                .map(|(a, t, i, p)| (a, t, i, p + offset)),
        );
        accounts.append(st.aggs);
        top.extend(st.top);
        for (l, n, f) in st.langs {
            let e = langs.entry(l).or_default();
            e.0 += n;
            e.1 += f;
        }
        // The worker's numbers for its places, as numbers here.
        let mut renumbered = vec![0u32; st.flagged_places.len()];
        for (w, (n, number)) in st.flagged_places {
            let next = places.len() as u32;
            let e = places.entry(w).or_insert((0, next));
            e.0 += n;
            renumbered[number as usize] = e.1;
        }
        account_places.extend(st.account_places.into_iter().map(|(k, (w, n))| {
            (
                account_place_key(k, w),
                renumbered[w as usize],
                u64::from(n),
            )
        }));
    }
    let top = best_of(top, cfg.top);
    let reposts = crate::accounts::sorted_reposts(reposts);
    let reposts_of_flagged =
        crate::accounts::count_reposts(&mut accounts, &reposts, scored, &flagged_shares);
    if let Some(idx) = &cfg.suspended {
        crate::accounts::link_accounts(&mut accounts, idx, cfg.link_threshold, cfg.threads);
    }
    let linked_accounts = accounts.iter().filter(|a| !a.links().is_empty()).count();
    let clusters = match &cfg.networks {
        Some(ncfg) => crate::accounts::network_accounts(
            &mut accounts,
            events,
            &post_ids,
            &flagged_shares,
            &reposts,
            ncfg,
        ),
        None => Vec::new(),
    };
    // Accounts known only from their shares by reference (made known with networks on)
    // that are in no cluster and reposted no flagged post: nothing to report of them (no
    // post, no profile).
    if cfg.networks.is_some() && progress.shares.load(Ordering::Relaxed) > 0 {
        accounts = accounts
            .into_iter()
            .filter(|a| {
                a.stats.posts > 0
                    || a.reposts().is_some_and(|r| r.flagged > 0)
                    || a.profile().is_some()
                    || a.network().is_some()
                    || !a.links().is_empty()
            })
            .collect();
    }
    let account_rule = crate::accounts::AccountRule {
        threshold,
        ..cfg.account_rule
    };
    if !account_places.is_empty() {
        let mut names: Vec<&str> = vec![""; places.len()];
        for (w, &(_, number)) in &places {
            names[number as usize] = w;
        }
        crate::accounts::set_flagged_in(&mut accounts, account_places, &names);
    }
    let ranked = Ranked::new(accounts, account_rule);
    let mut by_language: Vec<(String, u64, u64)> =
        langs.into_iter().map(|(l, (n, f))| (l, n, f)).collect();
    by_language.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let places_with_flagged = places.len() as u64;
    let mut flagged_by_place: Vec<(String, u64)> = places
        .into_iter()
        .map(|(w, (n, _))| (w.into(), n))
        .collect();
    flagged_by_place.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    flagged_by_place.truncate(FLAGGED_PLACES);
    let posts = progress.posts.load(Ordering::Relaxed);
    let seconds = t0.elapsed().as_secs_f64();
    let summary = Summary {
        model: cfg.model_name.clone(),
        threshold,
        account_rule: account_rule.describe(),
        files: cfg.inputs.len(),
        files_unreadable,
        posts,
        accounts: ranked.len(),
        shares_by_reference: progress.shares.load(Ordering::Relaxed),
        reposts_of_flagged,
        flagged_posts: progress.flagged.load(Ordering::Relaxed),
        held_back_no_evidence: held_back,
        edited_versions_merged: versions_merged,
        edited_versions_apart: versions_apart,
        window: cfg.window.is_set().then(|| {
            let shown = |t: Option<i64>| {
                t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                    .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            };
            WindowReport {
                since: shown(cfg.window.since),
                until: shown(cfg.window.until),
                outside: progress.outside_window.load(Ordering::Relaxed),
                undated: progress.undated.load(Ordering::Relaxed),
            }
        }),
        flagged_accounts: ranked.flagged(),
        linked_accounts,
        network_clusters: clusters.len(),
        local_media: cfg.hash_media.then(|| LocalMedia {
            hashed: progress.media_hashed.load(Ordering::Relaxed),
            not_hashed: progress.media_unhashed.load(Ordering::Relaxed),
            videos_framed: progress.videos_framed.load(Ordering::Relaxed),
            videos_not_framed: progress.videos_unframed.load(Ordering::Relaxed),
            video_error: progress.video_error.get().cloned(),
            media_error: progress.media_error.get().cloned(),
        }),
        skipped_records: skipped,
        interrupted: was_interrupted,
        seconds,
        posts_per_second: if seconds > 0.0 {
            posts as f64 / seconds
        } else {
            0.0
        },
        by_language,
        flagged_by_place,
        places_with_flagged,
        top_posts: top,
        top_accounts_by_risk: ranked.top_by_risk(cfg.top, |a, flagged| a.counted() > 0 || flagged),
        top_accounts_by_reach: ranked.top_by_reach(cfg.top, |_, flagged| flagged),
        first_diagnostics: first_diags,
    };
    if let Some(mut o) = out {
        let dir = o.dir.clone();
        let res = (|| -> std::io::Result<()> {
            o.posts.flush()?;
            o.diags.flush()?;
            report::write_accounts(&dir, &ranked, &o.trash)?;
            if cfg.networks.is_some() {
                report::write_networks(&dir, &clusters, &o.trash)?;
            }
            report::write_summary(&dir, &summary, &o.trash)
        })();
        o.trash.finish();
        res.map_err(out_err(&dir))?;
    }
    // Freeing every account's aggregate is a few hundred thousand frees; the caller has its
    // summary and need not wait (a process that exits first leaves it to the OS).
    let _ = std::thread::Builder::new().spawn(move || drop(ranked));
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A CSV scan takes no spare post back: the worker's spare posts stay a few, not one per
    /// post (memory is bounded whatever the input size).
    #[test]
    fn spare_posts_stay_few() {
        let mut spare = Vec::new();
        for i in 0..1000 {
            give_back(
                &mut spare,
                Box::new(raqib_model::Post {
                    id: i.to_string(),
                    ..Default::default()
                }),
            );
        }
        assert_eq!(spare.len(), SPARE_POSTS);
    }

    proptest! {
        #[test]
        fn the_strongest_posts_do_not_depend_on_arrival_order(
            posts in proptest::collection::vec((0u8..4, 0u16..50, 0u8..2, 0u8..3), 0..60),
            seed in any::<u64>(),
            n in 1usize..6,
        ) {
            // Few distinct scores and ids, so ties are everywhere; a third of the posts are
            // later versions of one of five edited posts, and ids repeat (the same post
            // given twice).
            let made: Vec<FlaggedPost> = posts
                .iter()
                .enumerate()
                .map(|(i, &(s, id, f, later))| FlaggedPost {
                    file: format!("f{f}"),
                    line: i as u64,
                    id: id.to_string(),
                    platform: "p".into(),
                    account: "a".into(),
                    score: 0.9 + s as f32 / 100.0,
                    flagged: true,
                    lang: "en".into(),
                    reach: None,
                    created_at: None,
                    first_version: (later == 0).then(|| (id % 5).to_string()),
                    place: None,
                    permalink: None,
                    text: String::new(),
                    media_alt: Vec::new(),
                    media_kind: Vec::new(),
                    evidence: Vec::new(),
                    media_matches: Vec::new(),
                })
                .collect();
            let mut shuffled = made.clone();
            crate::shuffle_for_test(&mut shuffled, seed);
            // Offered in two orders, split between two "workers" and merged as `run` does.
            let pick = |order: &[FlaggedPost]| {
                let (a, b) = order.split_at(order.len() / 2);
                let mut merged = Vec::new();
                for part in [a, b] {
                    let mut top = Vec::new();
                    for p in part {
                        offer_top(&mut top, n, &p.view());
                    }
                    merged.extend(top);
                }
                let best = best_of(merged, n);
                best.iter().map(|p| (p.id.clone(), p.file.clone(), p.line)).collect::<Vec<_>>()
            };
            // Each post's strongest version, then the best n of those.
            let mut strongest: std::collections::HashMap<String, FlaggedPost> = Default::default();
            for p in &made {
                let post = p.first_version.clone().unwrap_or_else(|| p.id.clone());
                match strongest.get(&post) {
                    Some(q) if top_order(&q.view(), &p.view()).is_lt() => {}
                    _ => {
                        strongest.insert(post, p.clone());
                    }
                }
            }
            let mut want: Vec<FlaggedPost> = strongest.into_values().collect();
            want.sort_by(|a, b| top_order(&a.view(), &b.view()));
            want.truncate(n);
            let want: Vec<_> = want.iter().map(|p| (p.id.clone(), p.file.clone(), p.line)).collect();
            prop_assert_eq!(pick(&made), want.clone());
            prop_assert_eq!(pick(&shuffled), want);
        }
    }
}
