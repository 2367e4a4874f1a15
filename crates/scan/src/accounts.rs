//! Per-account aggregation and ranking: an account's risk from its posts and profile, and
//! its priority from risk and reach. Pure; no I/O.
//!
//! The account rule (`account-v3`), chosen to be explainable in one sentence each:
//! - `mean` is the mean post score with a prior of 0.05 worth two posts, so one strong post
//!   among hundreds of ordinary ones (a news account quoting) stays low;
//! - with networks on, a repost (a share by reference) of a post the scan scored counts as
//!   a post of the reposter with the original's score, flagged where the original is
//!   ([`Reposts`]; `account-v3`'s addition): in the mean, the strongest post and the count
//!   of flagged posts below;
//! - `risk = 0.4 × strongest post + 0.6 × mean`;
//! - a profile (name, handle, bio) the text model scores `p` raises it:
//!   `risk = 1 − (1 − risk)(1 − p/2)`;
//! - `priority = risk × log10(10 + reach)`, so of two equally risky accounts the one that
//!   reaches more people is reviewed first;
//! - the account is flagged
//!   - when `risk` reaches the threshold and the account has a flagged post or a profile
//!     whose own words point towards propaganda (a text's evidence, see
//!     [`raqib_text::Assessment`]): a risk made of texts without evidence (which score the
//!     model's prior, and a model can have a high one) flags nothing;
//!   - or when it has more flagged posts than a clean account's false flags explain: at
//!     least [`AccountRule::min_flagged`] (3), and a clean account whose posts are each
//!     flagged with chance [`AccountRule::clean_rate`] (two and a half times the share of
//!     dev negatives the threshold flags, at least 5%: [`AccountRule::clean_rate_for`])
//!     would reach as many with chance under [`AccountRule::chance`] (1 in 1,000; binomial
//!     tail). An account of 1,580 posts with 195 flagged is not a news account unlucky
//!     with its false flags; one with 2 flagged of 40 may be. On training accounts held
//!     out of each model (`scripts/account-rule-cv.py`, where these defaults were chosen),
//!     the risk alone (`account-v1`) flagged 22–25 of 91 positive accounts with five posts
//!     or more, and with this count 82–83; of 250 negative ones, none either way;
//!   - or when it links to a suspended account or sits in a cluster with flagged members.

use std::sync::Arc;

use raqib_model::Account;
use serde::Serialize;

use crate::chunked::Chunked;

/// A clean account's posts are taken to be flagged by mistake this many times as often as
/// the dev negatives a model's threshold was chosen on (see [`AccountRule::clean_rate_for`]).
pub const CLEAN_RATE_FACTOR: f64 = 2.5;

/// The name of the rule above, in reports.
pub const ACCOUNT_RULE: &str = "account-v3";

const PRIOR: f64 = 0.05;
const PRIOR_WEIGHT: f64 = 2.0;
const TOP_POSTS: usize = 3;

/// The key of an account in the aggregates: a hash of platform and id. A collision between
/// two accounts needs about 2^32 accounts to become likely; that is far beyond one scan.
pub fn account_key(platform: &str, id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(
        id.as_bytes(),
        xxhash_rust::xxh3::xxh3_64(platform.as_bytes()),
    )
}

/// An account's strongest posts, highest score first and equal scores by id (so the list
/// does not depend on the order its posts come in). Kept inside the aggregate, ids inline
/// when short: a post that enters the list touches no other memory. Scores and ids in two
/// arrays, so the list is 88 bytes, not 104.
#[derive(Debug, Clone, Default)]
pub struct TopPosts {
    scores: [f32; TOP_POSTS],
    len: u8,
    ids: [ShortStr; TOP_POSTS],
}

impl TopPosts {
    /// Put the post in the list if it belongs there.
    pub fn offer(&mut self, score: f32, id: &str) {
        let len = self.len as usize;
        let pos = (0..len)
            .take_while(|&i| {
                let s = self.scores[i];
                s > score || (s == score && self.ids[i].as_str() < id)
            })
            .count();
        if pos == TOP_POSTS {
            return;
        }
        let len = (len + 1).min(TOP_POSTS);
        self.len = len as u8;
        self.scores[pos..len].rotate_right(1);
        self.ids[pos..len].rotate_right(1);
        self.scores[pos] = score;
        self.ids[pos] = ShortStr::new(id);
    }

    /// The score a post must reach to be offered: the weakest listed once the list is
    /// full (an equal score enters if its id sorts first), else −∞.
    pub fn floor(&self) -> f32 {
        if self.len as usize == TOP_POSTS {
            self.scores[TOP_POSTS - 1]
        } else {
            f32::NEG_INFINITY
        }
    }

    /// Where the list holds a post of this score whose id has this [`version_tag`].
    fn find(&self, score: f32, tag: u16) -> Option<usize> {
        (0..self.len as usize)
            .find(|&i| self.scores[i] == score && version_tag(self.ids[i].as_str()) == tag)
    }

    /// Take out the post at `i`; the ones after it move up.
    fn remove(&mut self, i: usize) {
        let len = self.len as usize;
        self.scores[i..len].rotate_left(1);
        self.ids[i..len].rotate_left(1);
        self.len -= 1;
    }

    /// (score, id), strongest first.
    pub fn iter(&self) -> impl Iterator<Item = (f32, &str)> {
        let len = self.len as usize;
        self.scores[..len]
            .iter()
            .zip(&self.ids[..len])
            .map(|(&s, id)| (s, id.as_str()))
    }
}

/// A string inline when it is at most 22 bytes (every platform's numeric post and account
/// ids are, and handles), else on the heap: 24 bytes either way, and for short ones no
/// allocation of their own (a million accounts' ids were a million small allocations).
#[derive(Clone)]
pub struct ShortStr(Repr);

#[derive(Clone)]
enum Repr {
    Inline(u8, [u8; 22]),
    Heap(Box<str>),
}

impl Default for ShortStr {
    fn default() -> Self {
        ShortStr(Repr::Inline(0, [0; 22]))
    }
}

impl ShortStr {
    pub fn new(s: &str) -> ShortStr {
        ShortStr(match s.len() {
            n @ 0..=22 => {
                let mut b = [0; 22];
                b[..n].copy_from_slice(s.as_bytes());
                Repr::Inline(n as u8, b)
            }
            _ => Repr::Heap(s.into()),
        })
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Made from a `&str`, cut at its own length: always whole characters.
            Repr::Inline(n, b) => std::str::from_utf8(&b[..*n as usize]).unwrap_or(""),
            Repr::Heap(s) => s,
        }
    }
}

impl std::ops::Deref for ShortStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for ShortStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for ShortStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for ShortStr {
    fn from(s: &str) -> ShortStr {
        ShortStr::new(s)
    }
}

/// What each post adds to its account's aggregate (32 bytes, two to a cache line). A scan
/// keeps these apart from the rest of the aggregates (names, profiles, top posts' ids:
/// three lines an account), so that the part every post touches stays in cache for tens of
/// thousands of accounts instead of evicting the token cache. The strongest score is not
/// here: it is the first of the top posts. Counts saturate at 4,294,967,295 posts an
/// account in one scan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PostStats {
    pub posts: u32,
    pub flagged: u32,
    pub sum_score: f64,
    reach: u64,
    /// The lowest score in the account's top posts once the list is full, else −∞: a post
    /// scoring below it cannot enter the list, so the list (kept elsewhere) is not read.
    floor: f32,
    has_reach: bool,
}

// Two to a cache line in the scan's hot table: checked, so growing it is a decision.
const _: () = assert!(std::mem::size_of::<PostStats>() == 32);

impl Default for PostStats {
    fn default() -> Self {
        PostStats {
            posts: 0,
            flagged: 0,
            sum_score: 0.0,
            reach: 0,
            floor: f32::NEG_INFINITY,
            has_reach: false,
        }
    }
}

impl PostStats {
    /// Count a post, and offer it to the account's top posts (`top`, which is read only
    /// when the post could enter them).
    #[inline]
    pub fn add_post(
        &mut self,
        top: &mut TopPosts,
        id: &str,
        score: f32,
        flagged: bool,
        reach: Option<u64>,
    ) {
        self.posts = self.posts.saturating_add(1);
        self.flagged = self.flagged.saturating_add(u32::from(flagged));
        self.sum_score += score as f64;
        self.add_reach(reach);
        if score >= self.floor {
            top.offer(score, id);
            self.floor = top.floor();
        }
    }

    /// Count a later version of an edited post whose versions are posts of their own (see
    /// [`raqib_model::Post::first_version`]), `seen` being what its versions counted before
    /// gave (the first was counted by [`PostStats::add_post`], and kept with
    /// [`Versions::first`]). It adds no post, but flags the post if it is flagged and no
    /// version was, and gives the post its score if higher: so the counts do not depend on
    /// the order the versions come in. The top posts hold one version of the post, its
    /// strongest (equal scores: the id that sorts first, as between posts), so an account
    /// whose message was edited twice does not show it three times over: this version
    /// takes the place of the one listed if it ranks above it, and is not offered if a
    /// version ranks above it (which, listed or not, keeps it out).
    pub fn add_later_version(
        &mut self,
        top: &mut TopPosts,
        seen: &mut Versions,
        id: &str,
        score: f32,
        flagged: bool,
        reach: Option<u64>,
    ) {
        self.add_reach(reach);
        if flagged && !seen.flagged {
            self.flagged = self.flagged.saturating_add(1);
            seen.flagged = true;
        }
        let before = seen.best;
        if score > before {
            self.sum_score += (score - before) as f64;
            seen.best = score;
        }
        let tag = version_tag(id);
        if score < before || score < self.floor {
            // Below the floor the version so far was not listed either.
            if score > before {
                seen.tag = tag;
            }
            return;
        }
        match top.find(before, seen.tag) {
            // The listed version: this one replaces it if it ranks above it.
            Some(i) => {
                if score > before || id < top.ids[i].as_str() {
                    top.remove(i);
                    top.offer(score, id);
                    seen.tag = tag;
                }
            }
            // None listed: whatever ranks above the best version so far ranks above this
            // one if it is not the best, so it enters the list only if it is.
            None => {
                top.offer(score, id);
                if score > before || top.find(score, tag).is_some() {
                    seen.tag = tag;
                }
            }
        }
        self.floor = top.floor();
    }

    fn add_reach(&mut self, reach: Option<u64>) {
        if let Some(r) = reach {
            self.reach = if self.has_reach { self.reach.max(r) } else { r };
            self.has_reach = true;
        }
    }

    /// Add another's counts (the top posts are merged by the caller, then `floor` set).
    fn merge(&mut self, o: &PostStats) {
        self.posts = self.posts.saturating_add(o.posts);
        self.flagged = self.flagged.saturating_add(o.flagged);
        self.sum_score += o.sum_score;
        self.add_reach(o.reach());
    }

    /// The largest reach (followers, views) seen, if any.
    pub fn reach(&self) -> Option<u64> {
        self.has_reach.then_some(self.reach)
    }
}

/// What a scan keeps of one edited post's versions counted so far (see
/// [`PostStats::add_later_version`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Versions {
    flagged: bool,
    best: f32,
    /// The [`version_tag`] of the strongest version: with its score, how the account's
    /// top posts find it (two versions of different posts of one account would need the
    /// same score and tag to be taken for each other). Fits beside the flag: 8 bytes.
    tag: u16,
}

impl Versions {
    /// What the first version counted gives.
    pub fn first(score: f32, flagged: bool, id: &str) -> Versions {
        Versions {
            flagged,
            best: score,
            tag: version_tag(id),
        }
    }
}

/// 16 bits of a post id's hash: with a score, which of an account's top posts is the
/// version an edited post's [`Versions`] last kept.
fn version_tag(id: &str) -> u16 {
    xxhash_rust::xxh3::xxh3_64(id.as_bytes()) as u16
}

const _: () = assert!(std::mem::size_of::<Versions>() == 8);

/// The posts a worker keeps track of to count an edited post's versions once (see
/// [`raqib_model::Post::first_version`]): by a 64-bit key (a hash of the account's place
/// and the first version's id), what their versions counted so far gave. At most `limit`
/// of them, 16 bytes each, in two generations: once the newer holds half, the older is
/// forgotten and the newer takes its place. So what is kept is what was counted last (a
/// version found in the older generation moves to the newer), and a stream's memory does
/// not grow with its length: edits come soon after their posts (Twitter allows them for
/// 30 minutes to an hour), and a stream is read in about the order it was posted in.
#[derive(Debug, Default)]
pub struct EditedPosts {
    newer: raqib_model::hashed::U64Map<Versions>,
    older: raqib_model::hashed::U64Map<Versions>,
    limit: usize,
    /// Posts no longer kept track of (forgotten with the older generation, or never kept
    /// with a limit of 0).
    pub forgotten: u64,
}

impl EditedPosts {
    /// Keeping track of at most `limit` posts.
    pub fn new(limit: usize) -> EditedPosts {
        EditedPosts {
            limit,
            ..Default::default()
        }
    }

    /// What the versions counted so far of the post with `key` gave, if it is kept; if
    /// not, it is kept from now on, with `first` (what its first version counted gave).
    pub fn find_or_insert(&mut self, key: u64, first: Versions) -> Option<&mut Versions> {
        if self.limit == 0 {
            self.forgotten += 1;
            return None;
        }
        if self.newer.len() >= (self.limit / 2).max(1) {
            self.forgotten += self.older.len() as u64;
            std::mem::swap(&mut self.newer, &mut self.older);
            self.newer.clear();
            if self.limit == 1 {
                self.forgotten += self.older.len() as u64;
                self.older.clear();
            }
        }
        if self.newer.capacity() == 0 {
            // Once at its size: a table grown by doubling is made afresh each time, and
            // the fresh memory's first touch is what costs.
            self.newer.reserve((self.limit / 2).max(1));
        }
        use std::collections::hash_map::Entry;
        match self.newer.entry(key) {
            Entry::Occupied(e) => Some(e.into_mut()),
            Entry::Vacant(e) => match self.older.remove(&key) {
                Some(seen) => Some(e.insert(seen)),
                None => {
                    e.insert(first);
                    None
                }
            },
        }
    }

    /// How many posts are kept track of.
    pub fn len(&self) -> usize {
        self.newer.len() + self.older.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What is known about one account so far, kept by one worker (the scan's `owner` of its
/// key; other workers send it what they read for the account). 168 bytes and no
/// allocation of its own for most accounts: a dump of a million accounts holds a million
/// of these. What few accounts have (a profile, links, a cluster) is in [`AccountExtra`].
#[derive(Debug, Clone, Default)]
pub struct AccountAgg {
    /// The strongest posts: (score, post id), highest first.
    pub top_posts: TopPosts,
    /// Shared by every account of the platform (a worker makes one per platform).
    pub platform: Arc<str>,
    pub id: ShortStr,
    pub stats: PostStats,
    extra: Option<Box<AccountExtra>>,
}

// What a million-account scan's memory is made of: checked, so growing it is a decision.
const _: () = assert!(std::mem::size_of::<AccountAgg>() == 168);

/// The parts of an aggregate that few accounts have.
#[derive(Debug, Clone, Default)]
pub struct AccountExtra {
    pub profile: Option<Box<Account>>,
    /// The profile text's probability and evidence; without evidence it is never a reason
    /// to flag (see [`raqib_text::Assessment::flagged`]).
    pub profile_assessed: Option<raqib_text::Assessment>,
    /// The strongest version of its profile that another record of it replaced (one that
    /// gave other words for its handle, name or bio, not only more of them), with that
    /// version's text, where it scored higher than the profile the account ends with: an
    /// account that sheds the group's words before the input ends is still judged by them.
    pub earlier_profile: Option<(raqib_text::Assessment, Box<str>)>,
    /// Suspended accounts this one links to (set after the scan, from the profile).
    pub links: Vec<raqib_link::Link>,
    /// The coordinated cluster this account belongs to (with networks on).
    pub network: Option<NetworkInfo>,
    /// Its reposts of posts the scan scored (with networks on; see [`count_reposts`]).
    pub reposts: Option<Reposts>,
    /// The places its flagged posts were made in, most first (see [`set_flagged_in`]).
    pub flagged_in: Vec<PlaceCount>,
    /// How many places its flagged posts were made in (`flagged_in` lists the first).
    pub flagged_in_places: usize,
}

/// A place (a chat, a channel, a group: `raqib_model::Post::place`) and how many of an
/// account's flagged posts were made there.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PlaceCount {
    pub place: String,
    pub flagged_posts: u64,
}

/// How many places an account's report lists ([`AccountReport::flagged_in`]).
pub const FLAGGED_IN: usize = 5;

/// Give each account the places its flagged posts were made in (`counts`: account key,
/// place's number in `names`, flagged posts; in any order, a pair more than once where
/// several workers counted it), most first and equal counts by
/// name, [`FLAGGED_IN`] of them: where an account spreads what it posts, and where a
/// referral about it would point.
pub fn set_flagged_in(
    accounts: &mut Chunked<AccountAgg>,
    mut counts: Vec<(u64, u32, u64)>,
    names: &[&str],
) {
    // One account's posts in one place may have been counted by several workers: one
    // count of them.
    counts.sort_unstable_by_key(|c| (c.0, c.1));
    counts.dedup_by(|later, first| {
        let same = (later.0, later.1) == (first.0, first.1);
        if same {
            first.2 += later.2;
        }
        same
    });
    for a in accounts.iter_mut() {
        let key = account_key(&a.platform, &a.id);
        let from = counts.partition_point(|c| c.0 < key);
        let mine = &counts[from..];
        let n = mine.iter().take_while(|c| c.0 == key).count();
        if n == 0 {
            continue;
        }
        let mut places: Vec<PlaceCount> = mine[..n]
            .iter()
            .map(|&(_, w, flagged_posts)| PlaceCount {
                place: names[w as usize].to_string(),
                flagged_posts,
            })
            .collect();
        places.sort_by(|x, y| {
            y.flagged_posts
                .cmp(&x.flagged_posts)
                .then_with(|| x.place.cmp(&y.place))
        });
        places.truncate(FLAGGED_IN);
        let extra = a.extra_mut();
        extra.flagged_in = places;
        extra.flagged_in_places = n;
    }
}

/// An account's shares by reference (reposts: see `raqib_model::Post::is_reference_only`)
/// of posts the same scan scored. Each counts for the reposter as a post with the
/// original's score, in its mean, its strongest score and its count of flagged posts: an
/// account that only reposts flagged posts spreads them as surely as one that writes
/// them, and one whose many reposts are ordinary stays low as its ordinary posts keep it.
/// A repost of a post the scan did not read says nothing and is not counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reposts {
    /// Reposts of posts the scan scored (each post once).
    pub scored: u64,
    /// Of them, reposts of posts the scan flagged.
    pub flagged: u64,
    /// The strongest reposted post's score.
    pub max_score: f32,
    #[serde(skip)]
    pub sum_score: f64,
    /// Up to five of the flagged posts reposted, strongest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flagged_examples: Vec<String>,
    /// Their scores, in the same order.
    #[serde(skip)]
    example_scores: Vec<f32>,
}

impl Reposts {
    /// Count a repost of a post that scored `score` (`flagged`: with evidence, over its
    /// model's threshold; `id` is its id).
    pub fn add(&mut self, score: f32, flagged: bool, id: Option<&str>) {
        self.scored += 1;
        self.sum_score += score as f64;
        self.max_score = self.max_score.max(score);
        if !flagged {
            return;
        }
        self.flagged += 1;
        if let Some(id) = id {
            // Strongest first, equal scores by id: the same list whatever the order.
            let at = self
                .example_scores
                .iter()
                .zip(&self.flagged_examples)
                .position(|(&s, e)| s < score || (s == score && e.as_str() > id))
                .unwrap_or(self.flagged_examples.len());
            if at < 5 {
                self.flagged_examples.insert(at, id.to_string());
                self.example_scores.insert(at, score);
                self.flagged_examples.truncate(5);
                self.example_scores.truncate(5);
            }
        }
    }
}

/// An account's place in a coordinated cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkInfo {
    pub cluster: usize,
    pub size: usize,
    /// This account's co-actions with the other members.
    pub co_actions: u64,
    /// What the members shared most: kinds and counts, e.g. `url ×6`.
    pub shared: Vec<String>,
    /// Example posts of the shared items.
    pub example_posts: Vec<String>,
    /// Members (this one included) with flagged posts or links to suspended accounts.
    pub flagged_members: usize,
    /// Flagged posts of the scan that members shared (reposted, retweeted): a ring that
    /// amplifies flagged posts is flagged with them, though its own posts are none.
    #[serde(skip_serializing_if = "is_zero")]
    pub flagged_shared: usize,
    /// Up to five of those posts' ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flagged_shared_examples: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One line of `networks.jsonl` in a scan report.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterReport {
    pub cluster: usize,
    pub size: usize,
    pub co_actions: u64,
    pub density: f32,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub members: Vec<String>,
    pub flagged_members: usize,
    /// Flagged posts of the scan that members shared (see [`NetworkInfo::flagged_shared`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub flagged_shared: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flagged_shared_examples: Vec<String>,
    pub shared: Vec<String>,
    pub example_posts: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst: Option<raqib_network::Burst>,
}

impl AccountAgg {
    pub fn new(platform: impl Into<Arc<str>>, id: &str) -> AccountAgg {
        AccountAgg {
            platform: platform.into(),
            id: ShortStr::new(id),
            ..Default::default()
        }
    }

    pub fn profile(&self) -> Option<&Account> {
        self.extra.as_ref()?.profile.as_deref()
    }

    /// Its profile's assessment: the strongest of the profile it has now and one it
    /// showed before a later record changed its words ([`AccountExtra::earlier_profile`]).
    pub fn profile_assessed(&self) -> Option<raqib_text::Assessment> {
        let e = self.extra.as_ref()?;
        match (e.profile_assessed, &e.earlier_profile) {
            (Some(now), Some((before, _))) if before.probability > now.probability => Some(*before),
            (None, Some((before, _))) => Some(*before),
            (now, _) => now,
        }
    }

    /// The text of an earlier profile where it, not the profile the account has now, is
    /// the one [`AccountAgg::profile_assessed`] gives.
    pub fn earlier_profile_text(&self) -> Option<&str> {
        let e = self.extra.as_ref()?;
        let (before, text) = e.earlier_profile.as_ref()?;
        let now = e
            .profile_assessed
            .map_or(f32::NEG_INFINITY, |a| a.probability);
        (before.probability > now).then_some(&**text)
    }

    pub fn links(&self) -> &[raqib_link::Link] {
        self.extra.as_ref().map_or(&[], |e| &e.links)
    }

    pub fn network(&self) -> Option<&NetworkInfo> {
        self.extra.as_ref()?.network.as_ref()
    }

    pub fn reposts(&self) -> Option<&Reposts> {
        self.extra.as_ref()?.reposts.as_ref()
    }

    /// See [`AccountExtra::flagged_in`]: the places, and how many there were in all.
    pub fn flagged_in(&self) -> (&[PlaceCount], usize) {
        self.extra
            .as_ref()
            .map_or((&[], 0), |e| (&e.flagged_in, e.flagged_in_places))
    }

    /// The rarely set parts, made on first use.
    pub fn extra_mut(&mut self) -> &mut AccountExtra {
        self.extra.get_or_insert_with(Default::default)
    }

    pub fn add_post(&mut self, id: &str, score: f32, flagged: bool, reach: Option<u64>) {
        self.stats
            .add_post(&mut self.top_posts, id, score, flagged, reach);
    }

    /// Take `account` as the account's profile, `assessed` its profile text's score. What
    /// it leaves out is kept from the profile read before: a source may give an account in
    /// parts (Bluesky's firehose gives the handle in one event, the display name and bio in
    /// another, a suspension in a third). `true` where that filled in text of the profile
    /// (its handle, name or bio), so that `assessed` is not its text's score: the caller
    /// assesses the profile again.
    pub fn set_profile(
        &mut self,
        mut account: Box<Account>,
        assessed: raqib_text::Assessment,
    ) -> bool {
        self.stats.add_reach(account.followers);
        let extra = self.extra_mut();
        let mut filled_text = false;
        if let Some(old) = extra.profile.take() {
            let old = *old;
            // A record that changes the profile's words (not one that only adds to them)
            // replaces a version of it: the strongest such version is kept.
            let changes = |new: &Option<String>, old: &Option<String>| matches!((new, old), (Some(n), Some(o)) if n != o);
            if changes(&account.handle, &old.handle)
                || changes(&account.display_name, &old.display_name)
                || changes(&account.bio, &old.bio)
            {
                if let Some(before) = extra.profile_assessed {
                    let stronger = extra
                        .earlier_profile
                        .as_ref()
                        .is_none_or(|(kept, _)| before.probability > kept.probability);
                    if stronger {
                        extra.earlier_profile = Some((before, old.profile_text().into()));
                    }
                }
            }
            filled_text = account.fill_from(old);
        }
        extra.profile = Some(account);
        extra.profile_assessed = Some(assessed);
        filled_text
    }

    /// Score the profile's text again (after [`AccountAgg::set_profile`] filled it in).
    pub fn reassess_profile(&mut self, assess: impl FnOnce(&str) -> raqib_text::Assessment) {
        if let Some(extra) = self.extra.as_mut() {
            if let Some(p) = extra.profile.as_deref() {
                extra.profile_assessed = Some(assess(&p.profile_text()));
            }
        }
    }

    /// Add counts kept apart while scanning (see [`PostStats`]).
    pub fn add_stats(&mut self, stats: &PostStats) {
        self.stats.merge(stats);
        self.stats.floor = self.top_posts.floor();
    }

    /// The strongest score of its own posts (0 without posts): the first of the top posts.
    pub fn max_post_score(&self) -> f32 {
        self.top_posts.iter().next().map_or(0.0, |t| t.0.max(0.0))
    }

    /// The strongest score of its posts and the posts it reposted (0 without either).
    pub fn max_score(&self) -> f32 {
        let reposted = self.reposts().map_or(0.0, |r| r.max_score);
        self.max_post_score().max(reposted)
    }

    /// Posts and scored reposts: what its mean and its share of flagged posts are of.
    pub fn counted(&self) -> u64 {
        u64::from(self.stats.posts) + self.reposts().map_or(0, |r| r.scored)
    }

    /// Flagged posts and reposts of flagged posts.
    pub fn counted_flagged(&self) -> u64 {
        u64::from(self.stats.flagged) + self.reposts().map_or(0, |r| r.flagged)
    }

    /// The mean score of its posts and scored reposts, with the rule's prior.
    pub fn mean_score(&self) -> f64 {
        let reposted = self.reposts().map_or(0.0, |r| r.sum_score);
        (self.stats.sum_score + reposted + PRIOR * PRIOR_WEIGHT)
            / (self.counted() as f64 + PRIOR_WEIGHT)
    }

    /// The account's risk in [0, 1] under the rule above.
    pub fn risk(&self) -> f32 {
        let posts = if self.counted() == 0 {
            0.0
        } else {
            0.4 * self.max_score() as f64 + 0.6 * self.mean_score()
        };
        let p = self.profile_assessed().map_or(0.0, |a| a.probability) as f64;
        (1.0 - (1.0 - posts) * (1.0 - p / 2.0)) as f32
    }

    pub fn priority(&self) -> f32 {
        self.risk() * (10.0 + self.stats.reach().unwrap_or(0) as f32).log10()
    }
}

/// When an account is flagged (the module's rule): the post threshold, and the counts of
/// flagged posts that a clean account's false flags do not explain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AccountRule {
    /// The posts' threshold: an account whose risk reaches it is flagged (with evidence).
    pub threshold: f32,
    /// The share of a clean account's posts taken to be flagged by mistake.
    pub clean_rate: f64,
    /// An account is flagged when a clean account would have as many flagged posts with
    /// a chance under this.
    pub chance: f64,
    /// And it has at least this many flagged posts.
    pub min_flagged: u64,
}

impl AccountRule {
    /// The defaults (`raqib scan --help`) at a post threshold.
    pub fn at(threshold: f32) -> AccountRule {
        AccountRule {
            threshold,
            clean_rate: 0.05,
            chance: 0.001,
            min_flagged: 3,
        }
    }

    /// The clean rate a scan takes when none is given: [`CLEAN_RATE_FACTOR`] times the
    /// largest share of dev negatives that a model flags at the scan's threshold (`shares`,
    /// one per model; `None` where a model does not say), and at least the default, 5%.
    /// At a model's default threshold (at most 2% of dev negatives flagged) that is the
    /// default; a lower threshold flags clean posts more often, and the rate rises with it.
    pub fn clean_rate_for(shares: &[Option<f64>]) -> f64 {
        let most = shares.iter().flatten().fold(0.0f64, |m, &s| m.max(s));
        (CLEAN_RATE_FACTOR * most).clamp(AccountRule::at(0.5).clean_rate, 0.99)
    }

    /// The rule's name and settings, for a scan's summary.
    pub fn describe(&self) -> String {
        format!(
            "{ACCOUNT_RULE}: risk at least {:.4} with a flagged post, or at least {} flagged \
             posts and a chance under {} that a clean account ({} of posts flagged by \
             mistake) has as many",
            self.threshold,
            self.min_flagged,
            self.chance,
            percent(self.clean_rate)
        )
    }

    /// Whether `flagged` of `posts` flagged are more than a clean account's false flags
    /// explain.
    pub fn too_many_flagged(&self, flagged: u64, posts: u64) -> bool {
        flagged >= self.min_flagged && binomial_tail(flagged, posts, self.clean_rate) < self.chance
    }
}

/// A share as a percentage to one place (three below 1%), without trailing zeros: `5%`,
/// `28.3%`, `0.05%`.
fn percent(share: f64) -> String {
    let pct = share * 100.0;
    let p = format!("{pct:.*}", if pct < 1.0 { 3 } else { 1 });
    let p = p.trim_end_matches('0').trim_end_matches('.');
    format!("{p}%")
}

/// ln(n!), exact to about 1e-13 (a product below 21, Stirling's series above).
fn ln_factorial(n: u64) -> f64 {
    if n <= 20 {
        return (2..=n).map(|i| i as f64).product::<f64>().ln();
    }
    let x = n as f64;
    x * x.ln() - x + 0.5 * (std::f64::consts::TAU * x).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x.powi(3))
        + 1.0 / (1260.0 * x.powi(5))
}

/// P(X ≥ k) for X binomial with `n` trials of chance `p`.
pub fn binomial_tail(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 || p >= 1.0 {
        return 1.0;
    }
    if k > n || p <= 0.0 || p.is_nan() {
        return 0.0;
    }
    if k as f64 > n as f64 * p {
        upper_tail(k, n, p)
    } else {
        // The lower tail P(X ≤ k − 1) is the upper tail of the failures, n − k + 1 or more.
        1.0 - upper_tail(n - k + 1, n, 1.0 - p)
    }
}

/// P(X ≥ k) where `k` is above the mean `n p`, so the terms fall from the first on.
fn upper_tail(k: u64, n: u64, p: f64) -> f64 {
    let odds = p / (1.0 - p);
    let mut term = (ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
        + k as f64 * p.ln()
        + (n - k) as f64 * (-p).ln_1p())
    .exp();
    let mut sum = 0.0;
    let mut i = k;
    while term > 0.0 && term > sum * 1e-17 {
        sum += term;
        if i == n {
            break;
        }
        term *= (n - i) as f64 / (i + 1) as f64 * odds;
        i += 1;
    }
    sum.min(1.0)
}

/// One line of the accounts report.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct AccountReport {
    pub platform: String,
    pub id: String,
    pub handle: Option<String>,
    pub display_name: Option<String>,
    pub risk: f32,
    pub flagged: bool,
    pub priority: f32,
    pub rank_risk: usize,
    pub rank_reach: usize,
    pub posts: u64,
    pub flagged_posts: u64,
    pub max_score: f32,
    pub mean_score: f32,
    pub profile_score: Option<f32>,
    pub reach: Option<u64>,
    pub top_posts: Vec<String>,
    /// One sentence a reviewer reads first.
    pub why: String,
    /// Suspended accounts this one links to, best first, with their reasons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<raqib_link::Link>,
    /// The coordinated cluster this account is in (boxed: few accounts have one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<Box<NetworkInfo>>,
    /// Its reposts of posts the scan scored (with networks on), which its `max_score`,
    /// `mean_score` and risk count with its posts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reposts: Option<Box<Reposts>>,
    /// The places its flagged posts were made in, most first (up to [`FLAGGED_IN`]), where
    /// its posts name one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flagged_in: Vec<PlaceCount>,
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

/// Link every account that has a profile to the suspended index; links scoring at least
/// `threshold` are kept (best three).
pub fn link_accounts(
    accounts: &mut Chunked<AccountAgg>,
    idx: &raqib_link::SuspendedIndex,
    threshold: f32,
    threads: usize,
) {
    std::thread::scope(|s| {
        for run in accounts.split_mut(threads) {
            s.spawn(move || {
                let mut fp = raqib_link::Fingerprinter::default();
                for a in run.into_iter().flatten() {
                    if let Some(p) = a.profile() {
                        let q = fp.fingerprint(p, &[]);
                        let links = idx.link(&q, threshold, 3);
                        if !links.is_empty() {
                            a.extra_mut().links = links;
                        }
                    }
                }
            });
        }
    });
}

/// A post the scan scored, as the item a share of it would be (its key), with its score and
/// whether it was flagged: what a repost of it counts for (see [`Reposts`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredPost {
    pub key: u64,
    /// Its account's key: a repost of one's own post is not counted again.
    pub account: u64,
    pub score: f32,
    pub flagged: bool,
}

/// Shares by reference as [`count_reposts`] and [`network_accounts`] read them: sorted,
/// each (account, post) once.
pub fn sorted_reposts(mut reposts: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    reposts.sort_unstable();
    reposts.dedup();
    reposts
}

/// Count each account's reposts (`reposts`: the reposter's account key and the key of the
/// post it shares, as [`ScoredPost::key`]) of the posts the scan scored (`scored`), on the
/// account (see [`Reposts`]). `flagged_ids` names the flagged posts by key. A post
/// reposted twice by one account counts once; a repost of a post the scan did not score,
/// or of the account's own post (counted already), is not counted. Returns how many reposts were of flagged posts.
/// `reposts` sorted and without repeats (as [`sorted_reposts`] makes them).
pub fn count_reposts(
    accounts: &mut Chunked<AccountAgg>,
    reposts: &[(u64, u64)],
    mut scored: Vec<ScoredPost>,
    flagged_ids: &std::collections::HashMap<u64, Box<str>>,
) -> u64 {
    if reposts.is_empty() {
        return 0;
    }
    // Versions of one post under one id: the flagged one, else the strongest, counts.
    scored.sort_unstable_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then(b.flagged.cmp(&a.flagged))
            .then(b.score.total_cmp(&a.score))
    });
    scored.dedup_by_key(|s| s.key);
    let mut flagged_reposts = 0;
    for a in accounts.iter_mut() {
        let key = account_key(&a.platform, &a.id);
        let from = reposts.partition_point(|r| r.0 < key);
        let mut counted: Option<Reposts> = None;
        for &(_, item) in reposts[from..].iter().take_while(|r| r.0 == key) {
            let Ok(i) = scored.binary_search_by_key(&item, |s| s.key) else {
                continue;
            };
            let p = scored[i];
            if p.account == key {
                continue;
            }
            let id = flagged_ids.get(&item).map(|id| &**id);
            counted
                .get_or_insert_with(Reposts::default)
                .add(p.score, p.flagged, id);
            flagged_reposts += u64::from(p.flagged);
        }
        if counted.is_some() {
            a.extra_mut().reposts = counted;
        }
    }
    flagged_reposts
}

/// Cluster the accounts by their co-actions (`events`: account key, time, item, post
/// number) and note each member's cluster on it. Returns the clusters for the report.
/// A cluster's `flagged_shared` counts the flagged posts (`flagged_shares`, by share key)
/// that its members shared by reference (`reposts`, sorted: account key, share key): a
/// repost spreads the post as it is, while a quote with words of its own is weighed by
/// those words, scored as a post (accounts quoting a flagged post together to rebut it, a
/// counter-messaging campaign, are not a ring that amplifies it).
pub fn network_accounts(
    accounts: &mut Chunked<AccountAgg>,
    events: Vec<(u64, i64, u64, u32)>,
    post_ids: &[Box<str>],
    flagged_shares: &std::collections::HashMap<u64, Box<str>>,
    reposts: &[(u64, u64)],
    cfg: &raqib_network::NetworkConfig,
) -> Vec<ClusterReport> {
    let mut keys: Vec<u64> = events.iter().map(|e| e.0).collect();
    keys.sort_unstable();
    keys.dedup();
    let by_key: std::collections::HashMap<u64, usize> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (account_key(&a.platform, &a.id), i))
        .collect();
    let created: Vec<Option<i64>> = keys
        .iter()
        .map(|k| {
            by_key
                .get(k)
                .and_then(|&i| accounts[i].profile()?.created_at)
        })
        .collect();
    let ev: Vec<raqib_network::Event> = events
        .into_iter()
        .map(|(a, time, item, post)| raqib_network::Event {
            item,
            time,
            account: keys.binary_search(&a).expect("key") as u32,
            post,
        })
        .collect();
    let report = raqib_network::detect(ev, &created, cfg);
    let mut out = Vec::new();
    for c in &report.clusters {
        let members: Vec<usize> = c
            .members
            .iter()
            .filter_map(|m| by_key.get(&keys[m.account as usize]).copied())
            .collect();
        let flagged: Vec<bool> = members
            .iter()
            .map(|&i| accounts[i].stats.flagged > 0 || !accounts[i].links().is_empty())
            .collect();
        let n_flagged = flagged.iter().filter(|f| **f).count();
        // Flagged posts the members shared: the items of kind `share` that are their keys.
        let mut flagged_shared_examples: Vec<String> = Vec::new();
        let mut flagged_shared = 0;
        for s in c
            .shared
            .iter()
            .filter(|s| s.kind == raqib_network::Kind::Share)
        {
            let reposted = || {
                c.members.iter().any(|m| {
                    reposts
                        .binary_search(&(keys[m.account as usize], s.item))
                        .is_ok()
                })
            };
            if let Some(id) = flagged_shares.get(&s.item).filter(|_| reposted()) {
                flagged_shared += 1;
                if flagged_shared_examples.len() < 5 {
                    flagged_shared_examples.push(id.to_string());
                }
            }
        }
        let mut kinds: Vec<(raqib_network::Kind, usize)> = Vec::new();
        for s in &c.shared {
            match kinds.iter_mut().find(|k| k.0 == s.kind) {
                Some(k) => k.1 += 1,
                None => kinds.push((s.kind, 1)),
            }
        }
        let shared: Vec<String> = kinds
            .iter()
            .map(|(k, n)| format!("{} ×{n}", k.name()))
            .collect();
        let mut example_posts: Vec<String> = Vec::new();
        for s in &c.shared {
            let id = post_ids[s.example_post as usize].to_string();
            if !example_posts.contains(&id) && example_posts.len() < 5 {
                example_posts.push(id);
            }
        }
        for (&i, m) in members.iter().zip(&c.members) {
            accounts[i].extra_mut().network = Some(NetworkInfo {
                cluster: c.id,
                size: c.size,
                co_actions: m.weight,
                shared: shared.clone(),
                example_posts: example_posts.clone(),
                flagged_members: n_flagged,
                flagged_shared,
                flagged_shared_examples: flagged_shared_examples.clone(),
            });
        }
        out.push(ClusterReport {
            cluster: c.id,
            size: c.size,
            co_actions: c.weight,
            density: (c.density * 1000.0).round() / 1000.0,
            first: c.first,
            last: c.last,
            members: members
                .iter()
                .map(|&i| format!("{}:{}", accounts[i].platform, accounts[i].id))
                .collect(),
            flagged_members: n_flagged,
            flagged_shared,
            flagged_shared_examples,
            shared,
            example_posts,
            burst: c.burst.clone(),
        });
    }
    out
}

/// Accounts from which ranking uses more than one thread.
const PER_THREAD: usize = 20_000;

/// Rank accounts by risk (rank 1 = riskiest) and by priority (risk × reach); every row, in
/// risk order, for tests. A scan writes its rows a batch at a time ([`Ranked`]).
#[cfg(test)]
pub(crate) fn rank(accounts: Chunked<AccountAgg>, rule: AccountRule) -> Vec<AccountReport> {
    let ranked = Ranked::new(accounts, rule);
    let mut rows = Vec::with_capacity(ranked.len());
    ranked
        .for_each_batch(|batch| {
            rows.extend_from_slice(batch);
            Ok(())
        })
        .expect("collecting rows cannot fail");
    rows
}

/// What ranking needs of an account, and what decides its flag.
#[derive(Debug, Clone, Copy, Default)]
struct Assessed {
    /// Rounded as the report writes them; the orders sort by these.
    risk: f32,
    priority: f32,
    flagged: bool,
    too_many: bool,
}

/// Where the posts with no account are counted: a Reddit comment whose author deleted their
/// account, a record that names none. Their aggregate is listed (how many, how strongly
/// flagged) but is not one author's, so it is never flagged as an account and ranks last.
pub const UNATTRIBUTED: &str = "(unknown)";

fn assess(a: &AccountAgg, rule: AccountRule) -> Assessed {
    if a.id.as_str() == UNATTRIBUTED {
        return Assessed::default();
    }
    let link_score = a.links().first().map_or(0.0, |l| l.score);
    let risk = a.risk().max(link_score);
    let st = &a.stats;
    let too_many = rule.too_many_flagged(a.counted_flagged(), a.counted());
    let network_flag = a
        .network()
        .is_some_and(|n| n.flagged_members > 0 || n.flagged_shared > 0);
    Assessed {
        risk: round3(risk),
        priority: round3(risk * (10.0 + st.reach().unwrap_or(0) as f32).log10()),
        flagged: (risk >= rule.threshold
            && (a.counted_flagged() > 0 || a.profile_assessed().is_some_and(|p| p.evidence)))
            || too_many
            || !a.links().is_empty()
            || network_flag,
        too_many,
    }
}

/// Rows at a time while writing the reports: a batch of rows is made on all cores, then
/// written.
const BATCH: usize = 16_384;

/// The first eight bytes of `id`, zero-padded, as a number that orders as they do: two ids
/// whose prefixes differ order as their prefixes; equal prefixes say nothing (`"ab"` and
/// `"ab\0"` share one).
fn id_prefix(id: &str) -> u64 {
    let mut b = [0u8; 8];
    let n = id.len().min(8);
    b[..n].copy_from_slice(&id.as_bytes()[..n]);
    u64::from_be_bytes(b)
}

/// Accounts ranked by risk and by priority, their rows made when asked for. A million
/// accounts' rows held at once were a quarter of a gigabyte and more at the scan's peak, and
/// fresh memory is what this machine pays most for (the kernel zeroing pages was a quarter
/// of a many-accounts scan's CPU time).
pub struct Ranked {
    accounts: Chunked<AccountAgg>,
    assessed: Vec<Assessed>,
    /// Account indices, riskiest first, and by priority.
    by_risk: Vec<u32>,
    by_reach: Vec<u32>,
    /// Each account's (rank by risk, rank by priority), from 1.
    ranks: Vec<(u32, u32)>,
    rule: AccountRule,
}

impl Ranked {
    pub fn new(accounts: Chunked<AccountAgg>, rule: AccountRule) -> Ranked {
        let n = accounts.len();
        let threads = std::thread::available_parallelism()
            .map_or(1, |t| t.get())
            .min(n / PER_THREAD)
            .max(1);
        let mut assessed = vec![Assessed::default(); n];
        let per = n.div_ceil(threads).max(1);
        let part = |t: usize, part: &mut [Assessed]| {
            for (j, x) in part.iter_mut().enumerate() {
                *x = assess(&accounts[t * per + j], rule);
            }
        };
        if threads == 1 {
            part(0, &mut assessed);
        } else {
            std::thread::scope(|s| {
                for (t, chunk) in assessed.chunks_mut(per).enumerate() {
                    s.spawn(move || part(t, chunk));
                }
            });
        }
        // Sorted as (key, id, platform): an account's place never depends on which worker
        // kept it, nor on the order the workers' aggregates were joined in. Many accounts
        // tie on the key (a single post with a common score), so each carries its id's
        // first eight bytes: most ties are settled without reading the id itself, a cache
        // miss and a `memcmp` each. The id and platform are looked up only for equal
        // prefixes (16 bytes an account sorted).
        let order = |key: fn(&Assessed) -> f32| {
            let mut keyed: Vec<(f32, u32, u64)> = assessed
                .iter()
                .zip(accounts.iter())
                .zip(0..)
                .map(|((x, a), i)| (key(x), i, id_prefix(&a.id)))
                .collect();
            keyed.sort_unstable_by(|x, y| {
                y.0.total_cmp(&x.0).then(x.2.cmp(&y.2)).then_with(|| {
                    let (a, b) = (&accounts[x.1 as usize], &accounts[y.1 as usize]);
                    (a.id.as_str(), &*a.platform, x.1).cmp(&(b.id.as_str(), &*b.platform, y.1))
                })
            });
            keyed.into_iter().map(|t| t.1).collect::<Vec<u32>>()
        };
        // The two orders on two threads when there are many accounts.
        let (by_reach, by_risk) = if n >= PER_THREAD {
            std::thread::scope(|s| {
                let reach = s.spawn(|| order(|x| x.priority));
                let risk = order(|x| x.risk);
                (reach.join().expect("ranking thread panicked"), risk)
            })
        } else {
            (order(|x| x.priority), order(|x| x.risk))
        };
        let mut ranks = vec![(0u32, 0u32); n];
        for (r, &i) in by_risk.iter().enumerate() {
            ranks[i as usize].0 = r as u32 + 1;
        }
        for (r, &i) in by_reach.iter().enumerate() {
            ranks[i as usize].1 = r as u32 + 1;
        }
        Ranked {
            accounts,
            assessed,
            by_risk,
            by_reach,
            ranks,
            rule,
        }
    }

    pub fn len(&self) -> usize {
        self.by_risk.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_risk.is_empty()
    }

    /// Accounts flagged.
    pub fn flagged(&self) -> usize {
        self.assessed.iter().filter(|x| x.flagged).count()
    }

    fn row_of(&self, i: u32) -> AccountReport {
        let i = i as usize;
        let mut r = report_row(&self.accounts[i], self.rule, self.assessed[i]);
        (r.rank_risk, r.rank_reach) = (self.ranks[i].0 as usize, self.ranks[i].1 as usize);
        r
    }

    /// The first `n` rows in risk order whose account `keep` says yes to (given its
    /// aggregate and whether it is flagged).
    pub fn top_by_risk(
        &self,
        n: usize,
        keep: impl Fn(&AccountAgg, bool) -> bool,
    ) -> Vec<AccountReport> {
        self.top(&self.by_risk, n, keep)
    }

    /// The same in priority order.
    pub fn top_by_reach(
        &self,
        n: usize,
        keep: impl Fn(&AccountAgg, bool) -> bool,
    ) -> Vec<AccountReport> {
        self.top(&self.by_reach, n, keep)
    }

    fn top(
        &self,
        order: &[u32],
        n: usize,
        keep: impl Fn(&AccountAgg, bool) -> bool,
    ) -> Vec<AccountReport> {
        order
            .iter()
            .filter(|&&i| {
                keep(
                    &self.accounts[i as usize],
                    self.assessed[i as usize].flagged,
                )
            })
            .take(n)
            .map(|&i| self.row_of(i))
            .collect()
    }

    /// The rows of the accounts `ranks` names. They come in rank order, from anywhere in
    /// the aggregates: each aggregate (three or four lines) and its place in the side tables is
    /// asked for eight rows ahead, a long id four ahead, once it is in cache.
    fn rows_into(&self, rows: &mut [AccountReport], ranks: &[u32]) {
        use raqib_model::hint::prefetch;
        for (j, (row, &i)) in rows.iter_mut().zip(ranks).enumerate() {
            if let Some(&ahead) = ranks.get(j + 8) {
                let ahead = ahead as usize;
                prefetch(&self.accounts[ahead]);
                prefetch(&self.assessed[ahead]);
                prefetch(&self.ranks[ahead]);
            }
            if let Some(&near) = ranks.get(j + 4) {
                // A long id is on the heap (a short one is inline; the platform is shared).
                let a = &self.accounts[near as usize];
                a.id.as_bytes().first().map(prefetch);
            }
            *row = self.row_of(i);
        }
    }

    /// Every row in risk order, `BATCH` (16,384) at a time, each batch made on all cores.
    pub fn for_each_batch(
        &self,
        mut f: impl FnMut(&[AccountReport]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |t| t.get())
            .max(1);
        let mut rows: Vec<AccountReport> = Vec::new();
        for ranks in self.by_risk.chunks(BATCH) {
            // The last batch's rows are overwritten, so freed by the threads that make the
            // new ones, not here on one.
            rows.truncate(ranks.len());
            rows.resize_with(ranks.len(), AccountReport::default);
            if ranks.len() < PER_THREAD / 4 || threads == 1 {
                self.rows_into(&mut rows, ranks);
            } else {
                let per = ranks.len().div_ceil(threads);
                std::thread::scope(|s| {
                    for (part, ranks) in rows.chunks_mut(per).zip(ranks.chunks(per)) {
                        s.spawn(move || self.rows_into(part, ranks));
                    }
                });
            }
            f(&rows)?;
        }
        Ok(())
    }
}

fn report_row(a: &AccountAgg, rule: AccountRule, x: Assessed) -> AccountReport {
    let threshold = rule.threshold;
    let st = a.stats;
    let mut why = if a.id.as_str() == UNATTRIBUTED {
        format!(
            "posts with no account (authors deleted, or records that name none): {} of {} \
             flagged; not one author's, so never an account flag",
            st.flagged, st.posts
        )
    } else if st.posts > 0 {
        let strongest = a
            .top_posts
            .iter()
            .next()
            .map(|t| format!(" (post {})", t.1))
            .unwrap_or_default();
        format!(
            "{} of {} posts flagged; strongest {:.2}{strongest}",
            st.flagged,
            st.posts,
            a.max_post_score()
        )
    } else if a.reposts().is_some() {
        "no posts of its own seen".to_string()
    } else {
        "no posts seen".to_string()
    };
    if let Some(r) = a.reposts() {
        why.push_str(&format!(
            "; reposted {} post(s) the scan scored, {} flagged; strongest {:.2}",
            r.scored, r.flagged, r.max_score
        ));
        if !r.flagged_examples.is_empty() {
            why.push_str(&format!(" ({})", r.flagged_examples.join(", ")));
        }
    }
    let (places, in_all) = a.flagged_in();
    if !places.is_empty() {
        let shown: Vec<String> = places
            .iter()
            .take(3)
            .map(|p| format!("{} ({})", p.place, p.flagged_posts))
            .collect();
        why.push_str(&format!("; flagged in {}", shown.join(", ")));
        if in_all > shown.len() {
            why.push_str(&format!(" and {} more place(s)", in_all - shown.len()));
        }
    }
    if x.too_many {
        why.push_str(&format!(
            "; more than a clean account's false flags explain ({:.1} expected at {})",
            a.counted() as f64 * rule.clean_rate,
            percent(rule.clean_rate)
        ));
    }
    if let Some(p) = a.profile_assessed().filter(|p| p.flagged(threshold)) {
        match a.earlier_profile_text() {
            Some(text) => why.push_str(&format!(
                "; another version of its profile scores {:.2} («{}»)",
                p.probability,
                crate::report::clip(text, 80)
            )),
            None => why.push_str(&format!("; profile text scores {:.2}", p.probability)),
        }
    }
    if let Some(l) = a.links().first() {
        let reasons: Vec<&str> = l.reasons.iter().take(3).map(|r| r.text.as_str()).collect();
        why.push_str(&format!(
            "; linked to suspended {}:{} ({:.2}): {}",
            l.platform,
            if l.handle.is_empty() {
                &l.id
            } else {
                &l.handle
            },
            l.score,
            reasons.join("; ")
        ));
    }
    if let Some(n) = a.network() {
        why.push_str(&format!(
            "; acts with {} other accounts (cluster {}, {} co-actions; shared {}){}",
            n.size - 1,
            n.cluster,
            n.co_actions,
            n.shared.join(", "),
            if n.flagged_members > 0 {
                format!(
                    ", {} member(s) with flagged posts or links",
                    n.flagged_members
                )
            } else {
                String::new()
            }
        ));
        if n.flagged_shared > 0 {
            why.push_str(&format!(
                "; its members shared {} flagged post(s) ({})",
                n.flagged_shared,
                n.flagged_shared_examples.join(", ")
            ));
        }
    }
    AccountReport {
        handle: a.profile().and_then(|p| p.handle.clone()),
        display_name: a.profile().and_then(|p| p.display_name.clone()),
        risk: x.risk,
        flagged: x.flagged,
        priority: x.priority,
        rank_risk: 0,
        rank_reach: 0,
        posts: st.posts.into(),
        flagged_posts: st.flagged.into(),
        max_score: round3(a.max_score()),
        mean_score: round3(a.mean_score() as f32),
        profile_score: a.profile_assessed().map(|p| round3(p.probability)),
        reach: st.reach(),
        top_posts: a.top_posts.iter().map(|t| t.1.to_string()).collect(),
        platform: a.platform.to_string(),
        id: a.id.to_string(),
        why,
        links: a.links().to_vec(),
        network: a.network().cloned().map(Box::new),
        reposts: a.reposts().map(|r| {
            Box::new(Reposts {
                max_score: round3(r.max_score),
                ..r.clone()
            })
        }),
        flagged_in: places.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// An account's row, unranked.
    fn row(a: AccountAgg, rule: AccountRule) -> AccountReport {
        report_row(&a, rule, assess(&a, rule))
    }

    fn account(scores: &[f32]) -> AccountAgg {
        let mut a = AccountAgg::new("x", "a");
        for (i, &s) in scores.iter().enumerate() {
            a.add_post(&i.to_string(), s, s >= 0.5, None);
        }
        a
    }

    /// An account's places, most flagged posts first (equal counts by name), five of
    /// them, each counted once however many workers counted its posts; an account with
    /// none has none, and says nothing of places.
    #[test]
    fn an_accounts_places_are_summed_ranked_and_cut() {
        let mut accounts: Chunked<AccountAgg> = [
            AccountAgg::new("x", "a"),
            AccountAgg::new("x", "b"),
            AccountAgg::new("x", "c"),
        ]
        .into_iter()
        .collect();
        let (a, b) = (account_key("x", "a"), account_key("x", "b"));
        let names = ["P0", "P1", "P2", "P3", "P4", "P5", "P6"];
        // Place 2 counted by two workers (1 + 2), in any order.
        let counts = vec![
            (a, 2, 1),
            (b, 0, 4),
            (a, 0, 2),
            (a, 6, 1),
            (a, 2, 2),
            (a, 5, 1),
            (a, 4, 1),
            (a, 3, 1),
        ];
        set_flagged_in(&mut accounts, counts, &names);
        let got = |i: usize| {
            let (places, in_all) = accounts.iter().nth(i).unwrap().flagged_in();
            let places: Vec<(String, u64)> = places
                .iter()
                .map(|p| (p.place.clone(), p.flagged_posts))
                .collect();
            (places, in_all)
        };
        let (places, in_all) = got(0);
        assert_eq!(
            places,
            [("P2", 3), ("P0", 2), ("P3", 1), ("P4", 1), ("P5", 1)]
                .map(|(p, n)| (p.to_string(), n))
        );
        assert_eq!(in_all, 6);
        assert_eq!(got(1), (vec![("P0".to_string(), 4)], 1));
        assert_eq!(got(2), (vec![], 0));
        let rule = AccountRule::at(0.5);
        let a = accounts.iter().next().unwrap();
        let why = report_row(a, rule, assess(a, rule)).why;
        assert!(
            why.contains("flagged in P2 (3), P0 (2), P3 (1) and 3 more place(s)"),
            "{why}"
        );
        let c = accounts.iter().nth(2).unwrap();
        assert!(!report_row(c, rule, assess(c, rule))
            .why
            .contains("flagged in"));
    }

    #[test]
    fn the_strongest_score_is_the_first_top_post_and_counts_saturate() {
        assert_eq!(AccountAgg::default().max_score(), 0.0);
        let mut a = account(&[0.1, 0.9, 0.5, 0.7, 0.2]);
        assert_eq!(a.max_score(), 0.9);
        assert_eq!((a.stats.posts, a.stats.flagged), (5, 3));
        a.stats.posts = u32::MAX - 1;
        a.stats.flagged = u32::MAX;
        a.add_post("x", 0.95, true, None);
        a.add_post("y", 0.1, true, None);
        assert_eq!((a.stats.posts, a.stats.flagged), (u32::MAX, u32::MAX));
        assert_eq!(a.max_score(), 0.95);
    }

    #[test]
    fn a_profile_that_sheds_its_words_is_judged_by_the_strongest_version() {
        let scored = |p: f32| raqib_text::Assessment {
            probability: p,
            evidence: p > 0.5,
        };
        let mut a = AccountAgg::new("x", "7");
        let v = |handle: Option<&str>, bio: Option<&str>| {
            Box::new(Account {
                id: "7".into(),
                platform: "x".into(),
                handle: handle.map(str::to_string),
                bio: bio.map(str::to_string),
                ..Default::default()
            })
        };
        a.set_profile(
            v(Some("h"), Some("soldiers of the caliphate")),
            scored(0.95),
        );
        // Only more words (a display name): no other version.
        let mut named = v(None, None);
        named.display_name = Some("N".into());
        assert!(a.set_profile(named, scored(0.9)));
        a.reassess_profile(|_| scored(0.96));
        assert!(a.earlier_profile_text().is_none());
        assert_eq!(a.profile_assessed().unwrap().probability, 0.96);
        // Other words for its bio: the version it replaced is kept, and is the stronger.
        assert!(a.set_profile(v(None, Some("recipes and football")), scored(0.1)));
        a.reassess_profile(|_| scored(0.05));
        assert_eq!(a.profile_assessed().unwrap().probability, 0.96);
        assert_eq!(
            a.earlier_profile_text(),
            Some("N\nh\nsoldiers of the caliphate")
        );
        assert_eq!(
            a.profile().unwrap().bio.as_deref(),
            Some("recipes and football")
        );
        // A weaker version replaced later does not take its place; a stronger profile now
        // is the one given.
        a.set_profile(v(None, Some("cooking")), scored(0.02));
        assert_eq!(a.profile_assessed().unwrap().probability, 0.96);
        a.set_profile(v(None, Some("the islamic state remains")), scored(0.99));
        assert_eq!(a.profile_assessed().unwrap().probability, 0.99);
        assert!(a.earlier_profile_text().is_none());
    }

    #[test]
    fn an_account_given_in_parts_keeps_every_part_and_its_suspension() {
        use raqib_model::AccountStatus;
        let scored = |p: f32| raqib_text::Assessment {
            probability: p,
            evidence: true,
        };
        let mut a = AccountAgg::new("bluesky", "did:plc:x");
        let profile = Account {
            id: "did:plc:x".into(),
            platform: "bluesky".into(),
            display_name: Some("Name".into()),
            bio: Some("a bio".into()),
            followers: Some(10),
            ..Default::default()
        };
        assert!(
            !a.set_profile(Box::new(profile), scored(0.9)),
            "nothing to fill"
        );
        let suspended = Account {
            id: "did:plc:x".into(),
            status: AccountStatus::Suspended,
            ..Default::default()
        };
        assert!(
            a.set_profile(Box::new(suspended), scored(0.1)),
            "name and bio filled in"
        );
        let handle = Account {
            id: "did:plc:x".into(),
            handle: Some("x.example".into()),
            ..Default::default()
        };
        assert!(a.set_profile(Box::new(handle), scored(0.1)));
        let p = a.profile().unwrap();
        assert_eq!(
            (
                p.handle.as_deref(),
                p.display_name.as_deref(),
                p.bio.as_deref()
            ),
            (Some("x.example"), Some("Name"), Some("a bio"))
        );
        assert_eq!(
            (p.followers, p.status),
            (Some(10), AccountStatus::Suspended)
        );
        // The text scored again is the whole profile's.
        let mut scored_text = String::new();
        a.reassess_profile(|t| {
            scored_text = t.to_string();
            scored(0.8)
        });
        assert_eq!(scored_text, "Name\nx.example\na bio");
        assert_eq!(a.profile_assessed().unwrap().probability, 0.8);
        // A later record's own values win.
        let renamed = Account {
            id: "did:plc:x".into(),
            display_name: Some("Other".into()),
            handle: Some("y.example".into()),
            bio: Some("new bio".into()),
            ..Default::default()
        };
        assert!(!a.set_profile(Box::new(renamed), scored(0.2)));
        assert_eq!(a.profile().unwrap().display_name.as_deref(), Some("Other"));
    }

    #[test]
    fn many_strong_posts_outrank_one_among_many_ordinary() {
        let spreader = account(&[0.95; 10]);
        let mut news = vec![0.02f32; 200];
        news[0] = 0.95;
        let news = account(&news);
        assert!(spreader.risk() > 0.8, "{}", spreader.risk());
        assert!(news.risk() < 0.5, "{}", news.risk());
    }

    proptest::proptest! {
        /// Ids whose prefixes differ order as the ids do.
        #[test]
        fn id_prefixes_order_as_ids(a in "[ab\\x00é]{0,10}", b in "[ab\\x00é]{0,10}") {
            let (pa, pb) = (id_prefix(&a), id_prefix(&b));
            if pa != pb {
                proptest::prop_assert_eq!(pa.cmp(&pb), a.as_str().cmp(b.as_str()));
            }
        }

        /// An id comes back as it went in, inline (up to 22 bytes, cut only at its own
        /// length, so whole characters) or on the heap, in any script.
        #[test]
        fn short_strings_keep_any_id(id in "\\PC{0,30}") {
            let s = ShortStr::new(&id);
            proptest::prop_assert_eq!(s.as_str(), id.as_str());
            proptest::prop_assert_eq!(s.to_string(), id.clone());
            let a = AccountAgg::new("twitter", &id);
            proptest::prop_assert_eq!(&*a.id, id.as_str());
        }

        /// However an edited post's versions come, the account counts it once: flagged
        /// if any version is, at its strongest version's score; the same counts as its
        /// posts counted once each at their strongest.
        #[test]
        fn an_edited_posts_versions_count_once_in_any_order(
            versions in proptest::collection::vec((0u8..5, 0u8..8, proptest::bool::ANY), 1..30),
            seed in proptest::num::u64::ANY,
        ) {
            // Each version its own id ("post-n"), whatever the order it comes in.
            let versions: Vec<(u8, u8, bool, String)> = versions
                .iter()
                .enumerate()
                .map(|(i, &(post, score, flagged))| (post, score, flagged, format!("{post}-{i}")))
                .collect();
            let mut order = versions.clone();
            crate::shuffle_for_test(&mut order, seed);
            let count = |vs: &[(u8, u8, bool, String)]| {
                let mut stats = PostStats::default();
                let mut top = TopPosts::default();
                let mut seen: HashMap<u8, Versions> = HashMap::new();
                for (post, score, flagged, id) in vs {
                    let (score, flagged) = (*score as f32 / 8.0, *flagged);
                    let reach = Some((score * 8.0) as u64);
                    match seen.get_mut(post) {
                        Some(v) => stats.add_later_version(&mut top, v, id, score, flagged, reach),
                        None => {
                            stats.add_post(&mut top, id, score, flagged, reach);
                            seen.insert(*post, Versions::first(score, flagged, id));
                        }
                    }
                }
                let listed: Vec<(f32, String)> =
                    top.iter().map(|(s, id)| (s, id.to_string())).collect();
                (stats.posts, stats.flagged, stats.sum_score, stats.reach(), listed)
            };
            let (a, b) = (count(&versions), count(&order));
            proptest::prop_assert_eq!((a.0, a.1, a.3), (b.0, b.1, b.3));
            proptest::prop_assert!((a.2 - b.2).abs() < 1e-9);
            // The top posts: each post once, by its strongest version (equal scores: the
            // id that sorts first), the strongest three of those, in either order.
            let mut best: HashMap<u8, (f32, String)> = HashMap::new();
            for (post, score, _, id) in &versions {
                let v = (*score as f32 / 8.0, id.clone());
                let e = best.entry(*post).or_insert_with(|| v.clone());
                if v.0 > e.0 || (v.0 == e.0 && v.1 < e.1) {
                    *e = v;
                }
            }
            let mut want: Vec<(f32, String)> = best.into_values().collect();
            want.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.cmp(&y.1)));
            want.truncate(TOP_POSTS);
            proptest::prop_assert_eq!(&a.4, &want);
            proptest::prop_assert_eq!(&b.4, &want);
            let mut once: HashMap<u8, (f32, bool)> = HashMap::new();
            for &(post, score, flagged, _) in &versions {
                let e = once.entry(post).or_insert((0.0, false));
                e.0 = e.0.max(score as f32 / 8.0);
                e.1 |= flagged;
            }
            proptest::prop_assert_eq!(a.0 as usize, once.len());
            proptest::prop_assert_eq!(a.1 as usize, once.values().filter(|v| v.1).count());
            let sum: f64 = once.values().map(|v| v.0 as f64).sum();
            proptest::prop_assert!((a.2 - sum).abs() < 1e-6);
        }

        /// The posts kept track of for their edits: never more than the limit; a post
        /// met (put in or found) within the last half-limit meetings is found, with what
        /// it was put in with; one never met is not; and every post put in is kept or
        /// counted as forgotten.
        #[test]
        fn edited_posts_keep_the_recent_within_the_limit(
            keys in proptest::collection::vec(0u64..40, 0..300),
            limit in 0usize..12,
        ) {
            let mut kept = EditedPosts::new(limit);
            // Key → (score put in with, the meeting it was last met at).
            let mut last: HashMap<u64, (f32, usize)> = HashMap::new();
            let window = if limit == 1 { 1 } else { limit / 2 + 1 };
            for (i, &key) in keys.iter().enumerate() {
                let recent = last.get(&key).filter(|(_, at)| limit > 0 && i - at < window);
                let found = kept.find_or_insert(key, Versions::first(i as f32, false, "")).map(|v| v.best);
                if let Some(&(score, _)) = recent {
                    proptest::prop_assert_eq!(found, Some(score), "key {} at {}", key, i);
                }
                match (found, last.get_mut(&key)) {
                    (Some(_), None) => proptest::prop_assert!(false, "{} never met", key),
                    (Some(_), Some(l)) => l.1 = i,
                    (None, _) => {
                        last.insert(key, (i as f32, i));
                    }
                }
                proptest::prop_assert!(kept.len() <= limit);
            }
            let ever = last.len() as u64;
            proptest::prop_assert!(kept.len() as u64 + kept.forgotten >= ever);
        }

        /// In whatever order an account's posts come (its worker's own and those other
        /// workers send it interleave by timing), its strongest posts are the same: highest
        /// score first, equal scores by id.
        #[test]
        fn strongest_posts_do_not_depend_on_order_or_split(
            posts in proptest::collection::vec((0u8..4, 0u32..1000), 0..20),
            rev in proptest::bool::ANY,
        ) {
            let mut posts: Vec<(f32, String)> = posts
                .into_iter()
                .enumerate()
                .map(|(i, (s, id))| {
                    // Short ids (in any script) are kept inline, long ones on the heap.
                    let tail = ["", "-ح", "-an-id-longer-than-twenty-two-bytes"][id as usize % 3];
                    (s as f32 / 4.0, format!("{id}-{i}{tail}"))
                })
                .collect();
            let mut want = posts.clone();
            want.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            want.truncate(TOP_POSTS);
            if rev {
                posts.reverse();
            }
            let mut a = AccountAgg::default();
            for (s, id) in &posts {
                a.add_post(id, *s, false, None);
            }
            let got: Vec<(f32, String)> =
                a.top_posts.iter().map(|(s, id)| (s, id.to_string())).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }

    /// Many accounts are made into rows on several threads: the same rows, in the same
    /// order, as one by one.
    #[test]
    fn ranking_many_accounts_on_threads_equals_one_by_one() {
        let aggs: Chunked<AccountAgg> = (0..45_000u64)
            .map(|i| {
                let mut a = AccountAgg::new("x", &format!("a{i}"));
                let score = ((i * 7919) % 1000) as f32 / 1000.0;
                a.add_post(&format!("p{i}"), score, score >= 0.5, Some(i % 100));
                a
            })
            .collect();
        let rows = rank(aggs.clone(), AccountRule::at(0.5));
        let mut want: Vec<AccountReport> = aggs
            .into_iter()
            .map(|a| row(a, AccountRule::at(0.5)))
            .collect();
        want.sort_by(|x, y| y.risk.total_cmp(&x.risk).then_with(|| x.id.cmp(&y.id)));
        assert_eq!(rows.len(), want.len());
        for (r, w) in rows.iter().zip(&want) {
            assert_eq!((&r.id, &r.why, r.risk), (&w.id, &w.why, w.risk));
        }
        assert!(rows.iter().enumerate().all(|(i, r)| r.rank_risk == i + 1));
        let mut by_reach: Vec<&AccountReport> = rows.iter().collect();
        by_reach.sort_by_key(|r| r.rank_reach);
        assert!(by_reach
            .iter()
            .enumerate()
            .all(|(i, r)| r.rank_reach == i + 1));
        assert!(by_reach.windows(2).all(|w| w[0].priority >= w[1].priority));
    }

    /// P(X ≥ k) summed term by term, for small `n`.
    fn tail_by_terms(k: u64, n: u64, p: f64) -> f64 {
        let mut term = (1.0 - p).powi(n as i32);
        let mut sum = 0.0;
        for i in 0..=n {
            if i >= k {
                sum += term;
            }
            term *= (n - i) as f64 / (i + 1) as f64 * p / (1.0 - p);
        }
        sum
    }

    proptest::proptest! {
        #[test]
        fn binomial_tail_is_the_sum_of_its_terms(
            n in 0u64..150,
            k in 0u64..160,
            p in 0.001f64..0.9,
        ) {
            let (got, want) = (binomial_tail(k, n, p), tail_by_terms(k, n, p));
            proptest::prop_assert!(
                (got - want).abs() <= 1e-9 * want + 1e-14,
                "P(X >= {}) of {} at {}: {} against {}", k, n, p, got, want
            );
        }
    }

    #[test]
    fn binomial_tail_of_large_accounts() {
        // At the mean of a million posts the tail is about a half.
        let half = binomial_tail(50_000, 1_000_000, 0.05);
        assert!((0.49..0.51).contains(&half), "{half}");
        // 3.5097e-30 by Python's lgamma and fsum.
        let spreader = binomial_tail(195, 1580, 0.05);
        assert!((spreader / 3.5097e-30 - 1.0).abs() < 1e-4, "{spreader}");
        let watcher = binomial_tail(5, 37, 0.05);
        assert!((0.035..0.037).contains(&watcher), "{watcher}");
        assert_eq!(binomial_tail(0, 10, 0.05), 1.0);
        assert_eq!(binomial_tail(11, 10, 0.05), 0.0);
    }

    /// An account of `posts` posts, `flagged` of them flagged at `score`, the rest scoring
    /// 0.3.
    fn history(id: &str, posts: usize, flagged: usize, score: f32) -> AccountAgg {
        let mut a = AccountAgg::new("x", id);
        for i in 0..posts {
            let f = i < flagged;
            a.add_post(&i.to_string(), if f { score } else { 0.3 }, f, None);
        }
        a
    }

    /// A spreader whose history is mostly chatter scores a low mean, so its risk stays under
    /// the threshold; its count of flagged posts is what no clean account's false flags
    /// explain. News and research accounts with a few false flags stay unflagged, however
    /// many posts they have.
    #[test]
    fn accounts_are_flagged_for_more_flagged_posts_than_false_flags_explain() {
        let rule = AccountRule::at(0.94);
        let at_default = |a| row(a, rule);
        for (posts, flagged) in [(29, 13), (1580, 195), (3, 3), (72, 27)] {
            let r = at_default(history("spreader", posts, flagged, 0.97));
            assert!(r.risk < 0.94, "{posts}/{flagged}: risk {}", r.risk);
            assert!(r.flagged, "{posts}/{flagged}: {}", r.why);
            assert!(
                r.why.contains(&format!(
                    "{flagged} of {posts} posts flagged; strongest 0.97 (post 0); more than a \
                     clean account's false flags explain ({:.1} expected at 5%)",
                    posts as f64 * 0.05
                )),
                "{}",
                r.why
            );
        }
        // A war watcher with 5 of 37 (the worst negative account held out of training),
        // a news account with 2 of 40, a big one at 2%, and two strong posts of two.
        for (posts, flagged) in [(37, 5), (40, 2), (3000, 60), (2, 2)] {
            let r = at_default(history("clean", posts, flagged, 0.97));
            assert!(!r.flagged, "{posts}/{flagged}: {}", r.why);
            assert!(!r.why.contains("false flags"), "{}", r.why);
        }
        // The settings move the line: a lower clean rate flags the watcher, and fewer
        // than `min_flagged` posts never flag.
        let strict = AccountRule {
            clean_rate: 0.02,
            ..rule
        };
        assert!(row(history("w", 37, 5, 0.97), strict).flagged);
        let at_least_six = AccountRule {
            min_flagged: 6,
            ..rule
        };
        assert!(!row(history("s", 5, 5, 0.97), at_least_six).flagged);
        assert!(row(history("s", 5, 5, 0.97), rule).flagged);
    }

    #[test]
    fn the_clean_rate_follows_how_often_the_threshold_flags_dev_negatives() {
        // At a default threshold (2% flagged) and for models that do not say: the default.
        assert_eq!(AccountRule::clean_rate_for(&[None]), 0.05);
        assert_eq!(AccountRule::clean_rate_for(&[Some(0.02), None]), 0.05);
        assert_eq!(AccountRule::clean_rate_for(&[Some(0.0)]), 0.05);
        // A lowered threshold: two and a half times the most any model flags.
        let r = AccountRule::clean_rate_for(&[Some(0.02), Some(0.113)]);
        assert!((r - 0.2825).abs() < 1e-12, "{r}");
        assert_eq!(AccountRule::clean_rate_for(&[Some(0.5)]), 0.99);
        let rule = AccountRule {
            clean_rate: r,
            ..AccountRule::at(0.8)
        };
        assert!(rule
            .describe()
            .contains("(28.3% of posts flagged by mistake)"));
        assert!(AccountRule::at(0.8).describe().contains("(5% of posts"));
        assert_eq!(percent(0.0005), "0.05%");
        assert_eq!(percent(0.1), "10%");
        assert_eq!(percent(0.0), "0%");
    }

    #[test]
    fn reach_breaks_ties_in_priority_rank() {
        let mut small = account(&[0.9, 0.9]);
        small.stats.add_reach(Some(10));
        small.id = "small".into();
        let mut big = account(&[0.9, 0.9]);
        big.stats.add_reach(Some(1_000_000));
        big.id = "big".into();
        let rows = rank([small, big].into_iter().collect(), AccountRule::at(0.5));
        let big = rows.iter().find(|r| r.id == "big").unwrap();
        assert_eq!(big.rank_reach, 1);
        assert!(big.why.contains("2 of 2 posts flagged"));
    }

    /// A repost of a scored post counts for the reposter as that post would: an account
    /// that only reposts flagged posts is flagged as one that writes them is (the count
    /// rule), one reposting a flagged post among its many ordinary posts is not, and a post
    /// reposted twice, a repost of one's own post, or of a post the scan did not read
    /// counts nothing more.
    #[test]
    fn reposts_count_for_the_reposter_with_the_reposted_posts_scores() {
        let rule = AccountRule::at(0.94);
        let author = history("author", 4, 3, 0.97);
        let mut mixed = history("mixed", 40, 0, 0.0);
        mixed.id = "mixed".into();
        let amplifier = AccountAgg::new("x", "amplifier");
        let key = |id: &str| account_key("x", id);
        let post = |n: usize| {
            raqib_network::items::post_ref_key(raqib_network::Kind::Share, "x", &n.to_string())
        };
        // The author's four posts: 0, 1, 2 flagged at 0.97 (2 at 0.99), 3 at 0.3.
        let scored: Vec<ScoredPost> = [
            (0, 0.97, true),
            (1, 0.97, true),
            (2, 0.99, true),
            (3, 0.3, false),
        ]
        .into_iter()
        .map(|(n, score, flagged)| ScoredPost {
            key: post(n),
            account: key("author"),
            score,
            flagged,
        })
        .collect();
        let ids: HashMap<u64, Box<str>> = (0..3).map(|n| (post(n), n.to_string().into())).collect();
        let reposts = vec![
            (key("amplifier"), post(1)),
            (key("amplifier"), post(0)),
            (key("amplifier"), post(2)),
            (key("amplifier"), post(0)),
            (key("amplifier"), post(99)),
            (key("mixed"), post(2)),
            (key("author"), post(2)),
        ];
        let mut accounts: Chunked<AccountAgg> = [author, mixed, amplifier].into_iter().collect();
        let reposts = sorted_reposts(reposts);
        assert_eq!(count_reposts(&mut accounts, &reposts, scored, &ids), 4);
        let rows = rank(accounts.clone(), rule);
        let get = |id: &str| rows.iter().find(|r| r.id == id).unwrap();

        let amp = get("amplifier");
        let r = amp.reposts.as_deref().unwrap();
        assert_eq!((r.scored, r.flagged), (3, 3));
        assert_eq!(
            r.flagged_examples,
            ["2", "0", "1"],
            "strongest first, then by id"
        );
        assert_eq!(amp.posts, 0);
        assert!(amp.flagged, "{}", amp.why);
        assert_eq!(amp.max_score, 0.99);
        assert!(amp.why.starts_with("no posts of its own seen; reposted 3 post(s) the scan scored, 3 flagged; strongest 0.99 (2, 0, 1); more than a clean account's false flags explain"), "{}", amp.why);
        // As an account that wrote those three posts.
        let mut wrote = AccountAgg::new("x", "wrote");
        for (n, s) in [(0, 0.97), (1, 0.97), (2, 0.99)] {
            wrote.add_post(&n.to_string(), s, true, None);
        }
        assert_eq!(amp.risk, row(wrote, rule).risk);

        let m = get("mixed");
        assert!(!m.flagged, "{}", m.why);
        assert_eq!((m.posts, m.reposts.as_ref().unwrap().flagged), (40, 1));
        assert!(m.risk < 0.6, "{}", m.risk);

        let a = get("author");
        assert!(a.reposts.is_none(), "its own post is counted once");
        assert_eq!(a.posts, 4);
        // Nothing to count: nothing changes.
        assert_eq!(count_reposts(&mut accounts, &[], Vec::new(), &ids), 0);
    }
}
