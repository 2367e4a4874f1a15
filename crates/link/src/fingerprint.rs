//! The fingerprint of an account: what survives when its owner comes back under a new
//! account. Built from the profile alone, and sharpened by posts when there are any.

use raqib_media::pdq::Hash256;
use raqib_model::{Account, Post};
use raqib_text::features::{finish, for_each_feature, FeatureConfig};
use raqib_text::minhash::{word_set, MinHasher};
use raqib_text::Normaliser;
use serde::{Deserialize, Serialize};

use crate::names::{consonant_key, handle_parts, is_arabic, name_words};

/// MinHash permutations for bios.
pub const BIO_K: usize = 32;
/// LSH bands of the bio signature, each of [`BIO_ROWS`] values.
pub const BIO_BANDS: usize = 16;
pub const BIO_ROWS: usize = 2;
/// Dimensions of the writing-style vector.
pub const STYLE_DIM: usize = 64;
/// At most this many external references are kept per account.
pub const MAX_REFS: usize = 32;
/// At most this many bio words are kept for scoring.
pub const MAX_BIO_WORDS: usize = 64;
/// At most this many posts feed the style and time profiles.
pub const MAX_POSTS: usize = 200;

/// The fingerprint format version; stored with every suspended index.
///
/// v2: handles and names are read by raqib's normaliser v5, which folds the Persian, Urdu
/// and other Arabic-script letters drawn from an Arabic letter, small capitals and
/// enclosed letters. A v1 fingerprint's name keys are made again from its handle and
/// display name (both kept) when an index is read ([`Fingerprinter::renew_names`]), so a
/// suspended `@ᴀʙᴜ_ʜᴀʀʙ` added before still meets `@abu_harb`; its bio words and style
/// stay as they were (a bio written in those letters compares a little less well).
pub const FINGERPRINT_VERSION: u32 = 2;

/// Everything linking compares. The original handle and name are kept for the evidence;
/// the rest is hashes and small quantised vectors, so a million fingerprints fit in well
/// under a gigabyte.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub platform: Box<str>,
    pub id: Box<str>,
    #[serde(default)]
    pub handle: Box<str>,
    #[serde(default)]
    pub display_name: Box<str>,
    /// Handle letters: case, homoglyphs, leetspeak and separators folded, digits cut.
    #[serde(default)]
    pub stem: Box<str>,
    /// The handle's trailing number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<u64>,
    /// Hashed consonant keys of the handle stem and the display name (script-independent;
    /// see [`crate::names::consonant_key`]); 0 when shorter than 3 letters.
    #[serde(default)]
    pub handle_cons: u64,
    #[serde(default)]
    pub name_cons: u64,
    /// Whether the display name is in Arabic script.
    #[serde(default)]
    pub name_arabic: bool,
    /// Normalised, transliterated words of the display name, hashed, sorted.
    #[serde(default)]
    pub name_words: Box<[u64]>,
    #[serde(default)]
    pub bio_words: u32,
    /// The bio's distinct words (hashed, sorted, at most [`MAX_BIO_WORDS`]), weighted by
    /// rarity when scoring.
    #[serde(default)]
    pub bio_set: Box<[u64]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<Hash256>,
    /// External references named in the bio and posts: `telegram:<channel>`,
    /// `<platform host>:<account>`, `site:<domain>`, `mention:<handle>`; sorted.
    #[serde(default)]
    pub refs: Box<[Box<str>]>,
    /// Signed feature-hashing of the text model's features over the posts, unit length,
    /// quantised to ×127.
    #[serde(default)]
    pub style: Box<[i8]>,
    /// Posts behind `style`.
    #[serde(default)]
    pub style_posts: u32,
    /// Share of posts per UTC hour, unit length, quantised to ×255.
    #[serde(default)]
    pub hours: Box<[u8]>,
    #[serde(default)]
    pub timed_posts: u32,
    /// Hashes of followed account ids, sorted.
    #[serde(default)]
    pub follows: Box<[u64]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
}

/// Tags that keep hashed keys of different kinds apart.
pub(crate) mod tag {
    pub const STEM: u64 = 1;
    pub const CONS: u64 = 2;
    pub const NAME: u64 = 3;
    pub const REF: u64 = 4;
    pub const BIO: u64 = 5;
    pub const WORD: u64 = 7;
}

/// A hashed key of one kind.
pub(crate) fn key(tag: u64, s: &[u8]) -> u64 {
    // Never 0: 0 means "no key" in a fingerprint.
    xxhash_rust::xxh3::xxh3_64_with_seed(s, tag).max(1)
}

impl Fingerprint {
    /// The handle to show a reviewer (`@handle`, or the id when there is none).
    pub fn label(&self) -> String {
        if self.handle.is_empty() {
            format!("{}:{}", self.platform, self.id)
        } else {
            format!("@{}", self.handle)
        }
    }
}

/// Builds fingerprints with reusable buffers. One per thread.
pub struct Fingerprinter {
    norm: Normaliser,
    words: Vec<u64>,
    cfg: FeatureConfig,
}

impl Default for Fingerprinter {
    fn default() -> Self {
        Fingerprinter {
            norm: Normaliser::default(),
            words: Vec::new(),
            cfg: FeatureConfig {
                char_min: 3,
                char_max: 4,
                words: true,
                word_bigrams: false,
                bits: 20,
                // Only the hashes are used, not the model's scale.
                pad_to: 0,
            },
        }
    }
}

impl Fingerprinter {
    /// The fingerprint of `account` and its `posts` (any order; only the first
    /// [`MAX_POSTS`] are read).
    pub fn fingerprint(&mut self, account: &Account, posts: &[&Post]) -> Fingerprint {
        let handle = account.handle.clone().unwrap_or_default();
        let display_name = account.display_name.clone().unwrap_or_default();
        let bio = account.bio.as_deref().unwrap_or("");
        word_set(&mut self.norm, bio, &mut self.words);
        let bio_words = self.words.len() as u32;
        let avatar = account
            .avatar
            .as_ref()
            .and_then(|m| m.pdq.as_deref())
            .and_then(|h| h.parse().ok());

        let mut refs = Vec::new();
        extract_refs(bio, &mut refs);
        let mut style = vec![0f32; STYLE_DIM];
        let mut hours = vec![0f32; 24];
        let (mut style_posts, mut timed_posts) = (0u32, 0u32);
        for p in posts.iter().take(MAX_POSTS) {
            if refs.len() < MAX_REFS * 2 {
                extract_refs(&p.text, &mut refs);
                for u in &p.urls {
                    push_url_ref(u, &mut refs);
                }
            }
            if !p.text.trim().is_empty() {
                style_posts += 1;
                let n = self.norm.run(&p.text);
                for_each_feature(&n.chars, &self.cfg, |h, _, _| {
                    let h = finish(h);
                    let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
                    style[(h % STYLE_DIM as u64) as usize] += sign;
                });
            }
            if let Some(t) = p.created_at {
                timed_posts += 1;
                hours[t.rem_euclid(86_400) as usize / 3600] += 1.0;
            }
        }
        refs.sort();
        refs.dedup();
        refs.truncate(MAX_REFS);
        let style: Box<[i8]> = if style_posts > 0 && unit(&mut style) {
            style.iter().map(|x| (x * 127.0).round() as i8).collect()
        } else {
            Box::default()
        };
        let hours: Box<[u8]> = if timed_posts > 0 && unit(&mut hours) {
            hours.iter().map(|x| (x * 255.0).round() as u8).collect()
        } else {
            Box::default()
        };
        let mut follows: Vec<u64> = account
            .follows
            .iter()
            .map(|f| xxhash_rust::xxh3::xxh3_64(f.as_bytes()))
            .collect();
        follows.sort_unstable();
        follows.dedup();
        let mut fp = Fingerprint {
            platform: account.platform.as_str().into(),
            id: account.id.as_str().into(),
            handle: handle.trim().trim_start_matches('@').into(),
            display_name: display_name.into(),
            bio_words,
            bio_set: self.words.iter().copied().take(MAX_BIO_WORDS).collect(),
            avatar,
            refs: refs.into_iter().map(String::into_boxed_str).collect(),
            style,
            style_posts,
            hours,
            timed_posts,
            follows: follows.into(),
            created_at: account.created_at,
            ..Fingerprint::default()
        };
        self.renew_names(&mut fp);
        fp
    }

    /// Make the keys read from the handle and display name again from the ones kept: the
    /// stem and trailing number, the consonant keys, the name's words and script.
    pub fn renew_names(&mut self, fp: &mut Fingerprint) {
        let hp = handle_parts(&mut self.norm, &fp.handle);
        let words = name_words(&mut self.norm, &fp.display_name);
        let name_cons = consonant_key(&words.concat());
        let mut name_hashes: Vec<u64> =
            words.iter().map(|w| key(tag::WORD, w.as_bytes())).collect();
        name_hashes.sort_unstable();
        name_hashes.dedup();
        let short_key = |t: u64, s: &str, min: usize| {
            if s.len() >= min {
                key(t, s.as_bytes())
            } else {
                0
            }
        };
        fp.name_arabic = is_arabic(&fp.display_name);
        fp.handle_cons = short_key(tag::CONS, &hp.consonants, 3);
        fp.name_cons = short_key(tag::CONS, &name_cons, 3);
        fp.stem = hp.stem.into();
        fp.digits = hp.digits;
        fp.name_words = name_hashes.into();
    }
}

/// Fingerprints of many accounts with their posts, on `threads` threads, in order.
pub fn fingerprint_all(items: &[(&Account, &[Post])], threads: usize) -> Vec<Fingerprint> {
    let per = items.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let hs: Vec<_> = items
            .chunks(per)
            .map(|chunk| {
                s.spawn(move || {
                    let mut fp = Fingerprinter::default();
                    chunk
                        .iter()
                        .map(|(a, posts)| {
                            let posts: Vec<&Post> = posts.iter().collect();
                            fp.fingerprint(a, &posts)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("fingerprint thread"))
            .collect()
    })
}

/// Scale to unit length; false when the vector is zero.
fn unit(v: &mut [f32]) -> bool {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n == 0.0 || !n.is_finite() {
        return false;
    }
    v.iter_mut().for_each(|x| *x /= n);
    true
}

/// Hosts whose first path segment is an account: a link there names a presence elsewhere.
const PROFILE_HOSTS: &[&str] = &[
    "t.me",
    "telegram.me",
    "telegram.dog",
    "twitter.com",
    "x.com",
    "instagram.com",
    "facebook.com",
    "youtube.com",
    "tiktok.com",
    "vk.com",
    "ok.ru",
    "rumble.com",
    "odysee.com",
    "gab.com",
    "truthsocial.com",
    "threads.net",
];

/// Hosts too common to say anything by themselves.
const GENERIC_HOSTS: &[&str] = &["google.com", "bit.ly", "t.co", "wikipedia.org", "youtu.be"];

/// Pull external references out of free text: URLs (with or without a scheme) and
/// @mentions.
pub fn extract_refs(text: &str, out: &mut Vec<String>) {
    for tok in
        text.split(|c: char| c.is_whitespace() || matches!(c, '|' | '(' | ')' | '<' | '>' | '"'))
    {
        let tok = tok.trim_matches(|c: char| matches!(c, ',' | '.' | ';' | '!' | '?' | ':' | '،'));
        if tok.len() < 3 || !(tok.starts_with('@') || tok.contains('.') || tok.contains("://")) {
            continue;
        }
        let lower = tok.to_ascii_lowercase();
        let profile_link = || {
            PROFILE_HOSTS
                .iter()
                .any(|h| lower.starts_with(h) && lower.as_bytes().get(h.len()) == Some(&b'/'))
        };
        if lower.contains("://")
            || lower.starts_with("www.")
            || profile_link()
            || bare_domain(&lower)
        {
            push_url_ref(tok, out);
        } else if let Some(m) = tok.strip_prefix('@') {
            let m: String = m
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .flat_map(char::to_lowercase)
                .collect();
            if m.len() >= 3 {
                out.push(format!("mention:{m}"));
            }
        }
    }
}

/// `example.org/path` or `example.org`: a host with a dot and a letter TLD of 2+ letters.
fn bare_domain(tok: &str) -> bool {
    let host = tok.split('/').next().unwrap_or("");
    let Some((name, tld)) = host.rsplit_once('.') else {
        return false;
    };
    !name.is_empty()
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_lowercase())
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

fn push_url_ref(raw: &str, out: &mut Vec<String>) {
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("https://{raw}")
    };
    let Ok(c) = raqib_media::url::canonicalise(&with_scheme) else {
        return;
    };
    if c.shortener && c.host != "t.me" || GENERIC_HOSTS.contains(&c.host.as_str()) {
        return;
    }
    let path = c
        .url
        .split_once(&c.host)
        .map_or("", |(_, p)| p)
        .trim_start_matches(|ch: char| ch == ':' || ch.is_ascii_digit());
    let first = path
        .trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if PROFILE_HOSTS.contains(&c.host.as_str()) {
        if first.is_empty()
            || matches!(
                first.as_str(),
                "s" | "joinchat" | "share" | "watch" | "status"
            )
        {
            return;
        }
        let first = first.trim_start_matches('@');
        let kind = if c.host.starts_with("t.me") || c.host.starts_with("telegram") {
            "telegram"
        } else {
            c.host.split('.').next().unwrap_or("site")
        };
        out.push(format!("{kind}:{first}"));
    } else {
        out.push(format!("site:{}", c.host));
    }
}

/// Cosine of two quantised unit vectors (×127); 0 when either is missing.
pub fn cosine(a: &[i8], b: &[i8]) -> f32 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    a.iter()
        .zip(b)
        .map(|(&x, &y)| x as i32 * y as i32)
        .sum::<i32>() as f32
        / (127.0 * 127.0)
}

/// Cosine of two quantised non-negative unit vectors (×255); 0 when either is missing.
pub fn cosine_u8(a: &[u8], b: &[u8]) -> f32 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    a.iter()
        .zip(b)
        .map(|(&x, &y)| x as u32 * y as u32)
        .sum::<u32>() as f32
        / (255.0 * 255.0)
}

/// The MinHash signature of a bio word set (empty for an empty set).
pub fn bio_signature(words: &[u64]) -> Vec<u32> {
    static HASHER: std::sync::OnceLock<MinHasher> = std::sync::OnceLock::new();
    let mut out = Vec::new();
    if !words.is_empty() {
        HASHER
            .get_or_init(|| MinHasher::new(BIO_K))
            .signature(words, &mut out);
    }
    out
}

/// Jaccard similarity of two sorted sets of hashes.
pub fn overlap(a: &[u64], b: &[u64]) -> f32 {
    raqib_text::minhash::jaccard(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_from_bio_and_posts() {
        let mut r = Vec::new();
        extract_refs(
            "follow t.me/Some_Channel and https://www.YouTube.com/@chan2/videos, ask @Helper_1! see example.org/x",
            &mut r,
        );
        r.sort();
        assert_eq!(
            r,
            vec![
                "mention:helper_1",
                "site:example.org",
                "telegram:some_channel",
                "youtube:chan2"
            ]
        );
    }

    #[test]
    fn fingerprint_of_profile_and_posts() {
        let a = Account {
            id: "1".into(),
            platform: "x".into(),
            handle: Some("@Abu_X_6".into()),
            display_name: Some("أبو محمد".into()),
            bio: Some("daily news t.me/chan".into()),
            follows: vec!["a".into(), "b".into(), "a".into()],
            ..Default::default()
        };
        let p = Post {
            id: "p".into(),
            text: "hello world".into(),
            created_at: Some(3600 * 5 + 10),
            ..Default::default()
        };
        let f = Fingerprinter::default().fingerprint(&a, &[&p]);
        assert_eq!(&*f.handle, "Abu_X_6");
        assert_eq!(&*f.stem, "abux");
        assert_eq!(f.digits, Some(6));
        assert_eq!(f.name_cons, key(tag::CONS, b"bmhmd"));
        assert_eq!(f.name_words.len(), 2);
        assert_eq!(bio_signature(&f.bio_set).len(), BIO_K);
        assert_eq!(&*f.refs, &["telegram:chan".into()]);
        assert_eq!(f.follows.len(), 2);
        assert_eq!(f.style.len(), STYLE_DIM);
        assert!((cosine(&f.style, &f.style) - 1.0).abs() < 0.02);
        assert_eq!(f.hours.iter().position(|&h| h > 0), Some(5));
        assert!((cosine_u8(&f.hours, &f.hours) - 1.0).abs() < 0.01);
        let empty = Fingerprinter::default().fingerprint(&Account::default(), &[]);
        assert!(empty.bio_set.is_empty() && empty.style.is_empty() && empty.hours.is_empty());
    }
}
