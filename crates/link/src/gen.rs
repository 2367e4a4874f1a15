//! A generator of return behaviour for benchmarking linking: from a set of base accounts
//! (yours, or synthetic ones made here) it suspends some, makes each come back as several
//! new accounts with the mutations seen in the field (handle increments, homoglyphs,
//! leetspeak, a change of script, reordered or paraphrased bios, re-encoded avatars, the
//! same external channel, time gaps, some with posts and most without), and adds decoys:
//! different people with common names, common bios, and fans of the same news channel.
//!
//! Everything is drawn from a seeded generator, so a benchmark is reproducible.

use raqib_model::{Account, AccountStatus, MediaRef, Post};

/// A small, fast, seeded generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5851_f42d_4c95_7f2d)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// An account with its posts.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub account: Account,
    pub posts: Vec<Post>,
}

/// What a query account really is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    /// A new account of the suspended account with this id.
    Returning(String),
    /// A different person made to look alike (common name, common bio, same news channel).
    Decoy(&'static str),
    /// An unrelated account.
    Other,
}

#[derive(Debug, Clone)]
pub struct Benchmark {
    pub suspended: Vec<Subject>,
    pub queries: Vec<(Subject, Truth)>,
}

#[derive(Debug, Clone)]
pub struct GenConfig {
    pub seed: u64,
    /// Base accounts to suspend; the rest of the base become unrelated queries.
    pub suspended: usize,
    /// Each suspended account returns as 1..=this many accounts.
    pub max_returns: usize,
    /// Decoys per suspended account (on average).
    pub decoys_per: f64,
    /// Share of returning accounts that have posts when linked.
    pub with_posts: f64,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            seed: 1,
            suspended: 1000,
            max_returns: 3,
            decoys_per: 1.0,
            with_posts: 0.4,
        }
    }
}

const NAMES: &[(&str, &str)] = &[
    ("muhammad", "محمد"),
    ("omar", "عمر"),
    ("ali", "علي"),
    ("hassan", "حسن"),
    ("khalid", "خالد"),
    ("yusuf", "يوسف"),
    ("ibrahim", "ابراهيم"),
    ("abdullah", "عبدالله"),
    ("hamza", "حمزة"),
    ("bilal", "بلال"),
    ("zaid", "زيد"),
    ("samir", "سمير"),
    ("karim", "كريم"),
    ("tariq", "طارق"),
    ("salim", "سالم"),
    ("nasser", "ناصر"),
    ("faisal", "فيصل"),
    ("walid", "وليد"),
    ("jamal", "جمال"),
    ("mazen", "مازن"),
];
const PREFIXES: &[(&str, &str)] = &[("abu", "أبو"), ("ibn", "ابن"), ("umm", "أم"), ("", "")];
const SYLLABLES: &[&str] = &[
    "ra", "mi", "ko", "sa", "ta", "zu", "li", "na", "ha", "di", "be", "qu", "fa", "jo", "ne", "wa",
    "ke", "lo", "ma", "ri", "gu", "te", "bo", "ya", "xi", "pe", "do", "nu", "so", "vi",
];
const COMMON_BIO: &[&str] = &[
    "news and updates",
    "follow for daily posts",
    "sports fan",
    "student",
    "truth seeker",
    "history and poetry",
    "أخبار يومية",
    "متابعة الأحداث",
    "شعر وأدب",
];
const NEWS_CHANNEL: &str = "t.me/daily_world_news";
const SHARED_WORDS: &[&str] = &[
    "today",
    "people",
    "city",
    "road",
    "market",
    "water",
    "school",
    "friends",
    "match",
    "price",
    "اليوم",
    "الناس",
    "المدينة",
    "السوق",
    "الماء",
];

fn word(r: &mut Rng, syl: usize) -> String {
    (0..syl).map(|_| *r.pick(SYLLABLES)).collect()
}

fn random_pdq(r: &mut Rng) -> String {
    format!(
        "{:016x}{:016x}{:016x}{:016x}",
        r.next_u64(),
        r.next_u64(),
        r.next_u64(),
        r.next_u64()
    )
}

/// Flip `bits` distinct random bits of a hex PDQ hash (a re-encoded image).
fn flip_bits(r: &mut Rng, hex: &str, bits: usize) -> String {
    let mut h: raqib_media::pdq::Hash256 = hex.parse().expect("generated hash");
    let mut flipped = std::collections::HashSet::new();
    while flipped.len() < bits {
        flipped.insert(r.below(256));
    }
    for b in flipped {
        h.words[b / 64] ^= 1 << (b % 64);
    }
    h.to_string()
}

/// Synthetic base accounts: handles built from common names and random syllables, bios
/// from personal words and common phrases, optional avatar, personal channel, follows,
/// and posts with a personal vocabulary and hour of activity.
pub fn synthetic_base(n: usize, seed: u64) -> Vec<Subject> {
    synthetic_base_from(0, n, seed)
}

/// Base accounts `start..start + n` of the synthetic population `seed` (ids `b{i}`), so a
/// large population can be made and used in batches.
pub fn synthetic_base_from(start: usize, n: usize, seed: u64) -> Vec<Subject> {
    let mut r =
        Rng::new(seed.wrapping_mul(31).wrapping_add(7) ^ (start as u64).wrapping_mul(0x9e37_79b9));
    (start..start + n)
        .map(|i| {
            let (pre, pre_ar) = *r.pick(PREFIXES);
            let (name, name_ar) = *r.pick(NAMES);
            // Handles are mostly unique past the common first name: a made-up surname of
            // three syllables (27,000 of them) and, for half, a second part.
            let mut tail = word(&mut r, 3);
            if r.chance(0.5) {
                let more = word(&mut r, 2);
                tail = format!("{tail}_{more}");
            }
            let sep = *r.pick(&["_", "", "."]);
            let mut handle = format!("{pre}{sep}{name}{sep}{tail}");
            if r.chance(0.6) {
                handle.push_str(&format!("{}", r.below(100)));
            }
            let display_name = if r.chance(0.5) {
                format!("{pre_ar} {name_ar}").trim().to_string()
            } else {
                format!("{pre} {name} {tail}").trim().to_string()
            };
            let personal: Vec<String> = (0..8).map(|_| word(&mut r, 3)).collect();
            let mut bio_parts: Vec<String> = (0..3 + r.below(3))
                .map(|k| personal[k % personal.len()].clone())
                .collect();
            if r.chance(0.6) {
                bio_parts.push(r.pick(COMMON_BIO).to_string());
            }
            let channel = if r.chance(0.5) {
                let c = format!("t.me/{}_{}", word(&mut r, 3), r.below(1000));
                bio_parts.push(c.clone());
                Some(c)
            } else {
                None
            };
            if r.chance(0.2) {
                bio_parts.push(NEWS_CHANNEL.into());
            }
            let follows: Vec<String> = if r.chance(0.3) {
                (0..30).map(|_| format!("f{}", r.below(20_000))).collect()
            } else {
                Vec::new()
            };
            let avatar = r.chance(0.7).then(|| MediaRef {
                kind: "image".into(),
                pdq: Some(random_pdq(&mut r)),
                ..Default::default()
            });
            let account = Account {
                id: format!("b{i}"),
                platform: "x".into(),
                handle: Some(handle),
                display_name: Some(display_name),
                bio: Some(bio_parts.join(" ")),
                created_at: Some(1_600_000_000 + r.below(50_000_000) as i64),
                avatar,
                followers: Some(r.below(5000) as u64),
                status: AccountStatus::Active,
                follows,
            };
            let hour = r.below(24) as i64;
            let n_posts = r.below(25);
            let posts = make_posts(
                &mut r,
                &account,
                &personal,
                hour,
                n_posts,
                channel.as_deref(),
            );
            Subject { account, posts }
        })
        .collect()
}

fn make_posts(
    r: &mut Rng,
    a: &Account,
    personal: &[String],
    hour: i64,
    n: usize,
    channel: Option<&str>,
) -> Vec<Post> {
    (0..n)
        .map(|k| {
            let mut words: Vec<String> = (0..6 + r.below(8))
                .map(|_| {
                    if r.chance(0.45) {
                        r.pick(personal).clone()
                    } else {
                        r.pick(SHARED_WORDS).to_string()
                    }
                })
                .collect();
            if let (Some(c), true) = (channel, r.chance(0.2)) {
                words.push(c.to_string());
            }
            let day = r.below(400) as i64;
            let h = (hour + r.below(3) as i64 - 1).rem_euclid(24);
            Post {
                id: format!("{}-p{k}", a.id),
                platform: a.platform.clone(),
                account: a.id.clone(),
                created_at: Some(1_650_000_000 + day * 86_400 + h * 3600 + r.below(3600) as i64),
                text: words.join(" "),
                ..Default::default()
            }
        })
        .collect()
}

const HOMOGLYPHS: &[(char, char)] = &[
    ('a', '4'),
    ('o', '0'),
    ('i', '1'),
    ('e', '3'),
    ('s', '5'),
    ('a', 'а'),
    ('o', 'о'),
];

fn mutate_handle(r: &mut Rng, h: &str) -> String {
    let body = h.trim_end_matches(|c: char| c.is_ascii_digit());
    let num: Option<u64> = h[body.len()..].parse().ok();
    match r.below(8) {
        0 => format!("{body}{}", num.map_or(1, |n| n + 1 + r.below(3) as u64)),
        1 => format!("{body}{}", r.below(1000)),
        2 | 3 => {
            let mut out: String = h.to_string();
            let cands: Vec<(char, char)> = HOMOGLYPHS
                .iter()
                .copied()
                .filter(|(c, _)| h.contains(*c))
                .collect();
            if !cands.is_empty() {
                let (c, g) = *r.pick(&cands);
                out = h.replacen(c, &g.to_string(), 1);
            }
            out
        }
        4 => {
            let chars: Vec<char> = h.chars().collect();
            let k = r.below(chars.len().max(1));
            let mut out: String = chars[..k].iter().collect();
            if let Some(c) = chars.get(k) {
                out.push(*c);
                out.extend(&chars[k..]);
            }
            out
        }
        5 => h.replace('_', ".").replace("..", "_"),
        6 => format!(
            "{}{}",
            body.trim_end_matches('_'),
            r.pick(&["_back", "_new", "_official", "2", "_ii"])
        ),
        _ => h.replacen("ha", "h4", 1).replacen("mu", "mo", 1),
    }
}

fn to_arabic_name(r: &mut Rng, latin: &str) -> Option<String> {
    let mut out = Vec::new();
    for w in latin.split_whitespace() {
        if let Some((_, ar)) = NAMES.iter().chain(PREFIXES).find(|(l, _)| *l == w) {
            out.push(*ar);
        } else if r.chance(0.5) {
            return None;
        }
    }
    (!out.is_empty()).then(|| out.join(" "))
}

fn mutate_bio(r: &mut Rng, bio: &str, base: &[Subject]) -> String {
    let mut words: Vec<&str> = bio.split_whitespace().collect();
    match r.below(10) {
        0 | 1 => bio.to_string(),
        2..=4 => {
            // Reordered.
            for i in (1..words.len()).rev() {
                let j = r.below(i + 1);
                words.swap(i, j);
            }
            words.join(" ")
        }
        5..=7 => {
            // Paraphrased: a word or two dropped, one added.
            for _ in 0..1 + r.below(2) {
                if words.len() > 2 {
                    let k = r.below(words.len());
                    words.remove(k);
                }
            }
            let extra = word(r, 3);
            let mut out = words.join(" ");
            out.push(' ');
            out.push_str(&extra);
            out
        }
        _ => {
            // A new bio, taken from someone else.
            r.pick(base).account.bio.clone().unwrap_or_default()
        }
    }
}

fn returning(r: &mut Rng, s: &Subject, n: usize, base: &[Subject], with_posts: f64) -> Subject {
    let a = &s.account;
    let handle = a.handle.clone().unwrap_or_default();
    let handle = if r.chance(0.12) {
        format!("{}{}", word(r, 3), r.below(100))
    } else {
        let mut h = mutate_handle(r, &handle);
        if r.chance(0.3) {
            h = mutate_handle(r, &h);
        }
        h
    };
    let name = a.display_name.clone().unwrap_or_default();
    let display_name = match r.below(10) {
        0..=3 => name.clone(),
        4 | 5 => to_arabic_name(r, &name).unwrap_or(name.clone()),
        6 => format!("{name} ✨"),
        7 => name.split_whitespace().rev().collect::<Vec<_>>().join(" "),
        _ => format!("{} {}", word(r, 2), word(r, 2)),
    };
    let bio = mutate_bio(r, a.bio.as_deref().unwrap_or(""), base);
    let avatar = match (&a.avatar, r.below(10)) {
        (Some(m), 0..=5) => Some(MediaRef {
            kind: "image".into(),
            pdq: Some({
                let bits = 2 + r.below(16);
                flip_bits(r, m.pdq.as_deref().unwrap_or_default(), bits)
            }),
            ..Default::default()
        }),
        (_, 6 | 7) => Some(MediaRef {
            kind: "image".into(),
            pdq: Some(random_pdq(r)),
            ..Default::default()
        }),
        _ => None,
    };
    let follows = if !a.follows.is_empty() && r.chance(0.5) {
        let mut f: Vec<String> = a
            .follows
            .iter()
            .filter(|_| r.chance(0.5))
            .cloned()
            .collect();
        f.extend((0..10).map(|_| format!("f{}", r.below(20_000))));
        f
    } else {
        Vec::new()
    };
    let gap = 86_400 * (1 + r.below(90)) as i64;
    let account = Account {
        id: format!("{}-r{n}", a.id),
        platform: a.platform.clone(),
        handle: Some(handle),
        display_name: Some(display_name),
        bio: Some(bio),
        created_at: a.created_at.map(|t| t + 40_000_000 + gap),
        avatar,
        followers: Some(r.below(200) as u64),
        status: AccountStatus::Active,
        follows,
    };
    let posts = if r.chance(with_posts) && !s.posts.is_empty() {
        // The same person writes again: posts resampled from their old ones' words and hours.
        let words: Vec<String> = s
            .posts
            .iter()
            .flat_map(|p| p.text.split_whitespace().map(str::to_string))
            .collect();
        let hours: Vec<i64> = s
            .posts
            .iter()
            .filter_map(|p| p.created_at)
            .map(|t| t.rem_euclid(86_400) / 3600)
            .collect();
        (0..5 + r.below(15))
            .map(|k| Post {
                id: format!("{}-p{k}", account.id),
                platform: account.platform.clone(),
                account: account.id.clone(),
                created_at: Some(
                    1_700_000_000
                        + r.below(100) as i64 * 86_400
                        + *r.pick(&hours) * 3600
                        + r.below(3600) as i64,
                ),
                text: (0..6 + r.below(8))
                    .map(|_| r.pick(&words).as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                ..Default::default()
            })
            .collect()
    } else {
        Vec::new()
    };
    Subject { account, posts }
}

fn decoy(r: &mut Rng, s: &Subject, n: usize, base: &[Subject]) -> (Subject, &'static str) {
    let other = r.pick(base).clone();
    let mut a = other.account.clone();
    a.id = format!("{}-d{n}", s.account.id);
    a.avatar = other.account.avatar.clone();
    let kind = match r.below(3) {
        0 => {
            // A different person with the same common name: the prefix and first name
            // (`abu muhammad`), their own surname and handle tail.
            let name = s.account.display_name.clone().unwrap_or_default();
            let common: Vec<&str> = name.split_whitespace().take(2).collect();
            let own = word(r, 3);
            a.display_name = Some(format!("{} {own}", common.join(" ")));
            let handle = s.account.handle.clone().unwrap_or_default();
            let stem: String = handle.chars().take_while(|c| !c.is_ascii_digit()).collect();
            let stem = stem.split(['_', '.']).take(2).collect::<Vec<_>>().join("_");
            a.handle = Some(format!("{stem}_{own}{}", r.below(100)));
            "common_name"
        }
        1 => {
            // A common bio.
            a.bio = Some(format!("{} {}", r.pick(COMMON_BIO), r.pick(COMMON_BIO)));
            "common_bio"
        }
        _ => {
            // A fan of the same news channel.
            a.bio = Some(format!("{} {NEWS_CHANNEL}", r.pick(COMMON_BIO)));
            "news_fan"
        }
    };
    (
        Subject {
            account: a,
            posts: other.posts,
        },
        kind,
    )
}

/// Build a benchmark from `base` (the first `cfg.suspended` are suspended; the rest are
/// unrelated accounts and the material for decoys).
pub fn generate(base: Vec<Subject>, cfg: &GenConfig) -> Benchmark {
    let mut r = Rng::new(cfg.seed);
    let k = cfg.suspended.min(base.len());
    let (susp, rest) = base.split_at(k);
    let pool = if rest.is_empty() { susp } else { rest };
    let mut suspended = Vec::with_capacity(k);
    let mut queries = Vec::new();
    for s in susp {
        let mut s = s.clone();
        s.account.status = AccountStatus::Suspended;
        for n in 0..1 + r.below(cfg.max_returns.max(1)) {
            let q = returning(&mut r, &s, n, pool, cfg.with_posts);
            queries.push((q, Truth::Returning(s.account.id.clone())));
        }
        // Decoys are other people: without accounts outside the suspended ones there are
        // none to make them from.
        let mut d = if rest.is_empty() { 0.0 } else { cfg.decoys_per };
        let mut n = 0;
        while d > 0.0 && r.chance(d.min(1.0)) {
            let (q, kind) = decoy(&mut r, &s, n, pool);
            queries.push((q, Truth::Decoy(kind)));
            d -= 1.0;
            n += 1;
        }
        suspended.push(s);
    }
    for s in rest {
        queries.push((s.clone(), Truth::Other));
    }
    Benchmark { suspended, queries }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_reproducible_and_complete() {
        let cfg = GenConfig {
            suspended: 50,
            ..Default::default()
        };
        let a = generate(synthetic_base(80, 3), &cfg);
        let b = generate(synthetic_base(80, 3), &cfg);
        assert_eq!(a.suspended.len(), 50);
        assert_eq!(a.queries.len(), b.queries.len());
        assert_eq!(a.queries[7].0.account, b.queries[7].0.account);
        let returning = a
            .queries
            .iter()
            .filter(|q| matches!(q.1, Truth::Returning(_)))
            .count();
        let decoys = a
            .queries
            .iter()
            .filter(|q| matches!(q.1, Truth::Decoy(_)))
            .count();
        let others = a.queries.iter().filter(|q| q.1 == Truth::Other).count();
        assert!((50..=150).contains(&returning), "{returning}");
        assert!(decoys > 10, "{decoys}");
        assert_eq!(others, 30);
        // Returning accounts differ from their originals.
        for (q, t) in &a.queries {
            if let Truth::Returning(id) = t {
                assert_ne!(&q.account.id, id);
            }
        }
    }
}
