//! What a post can share with another account's post: a link, a media file, a hashtag,
//! the post it shares or replies to, or its text (exactly, or nearly: MinHash LSH bands of
//! its normalised word set).

use raqib_model::Post;
use raqib_text::features::finish;
use raqib_text::minhash::{band_key, MinHasher, WordSets};
use raqib_text::Normaliser;
use serde::{Deserialize, Serialize};

/// Kinds of shared item. The kind sits in the low 3 bits of an item key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The same link (canonicalised: scheme, case, tracking parameters, `www.`).
    Url = 0,
    /// The same media file (SHA-256 or PDQ as given).
    Media = 1,
    Hashtag = 2,
    /// Sharing (retweeting, forwarding) the same post.
    Share = 3,
    /// Replying to the same post.
    Reply = 4,
    /// The same normalised text.
    Text = 5,
    /// Nearly the same text: a MinHash LSH band in common.
    NearText = 6,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Url,
        Kind::Media,
        Kind::Hashtag,
        Kind::Share,
        Kind::Reply,
        Kind::Text,
        Kind::NearText,
    ];

    pub fn of(item: u64) -> Kind {
        Kind::ALL[(item & 7) as usize % 7]
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Url => "url",
            Kind::Media => "media",
            Kind::Hashtag => "hashtag",
            Kind::Share => "share",
            Kind::Reply => "reply",
            Kind::Text => "text",
            Kind::NearText => "near_text",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Kind, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown item kind `{s}`: use url, media, hashtag, share, reply, text or near_text"))
    }
}

/// The key of an item: a hash of its value with the kind in the low 3 bits.
pub fn item_key(kind: Kind, value: &[u8]) -> u64 {
    (xxhash_rust::xxh3::xxh3_64_with_seed(value, kind as u64) & !7) | kind as u64
}

/// The key of a post named by its id, as a share or a reply names it (`kind` is
/// [`Kind::Share`] or [`Kind::Reply`]). A post's id is unique within its platform only (a
/// CSV's row numbers, a channel's message numbers, two platforms' numeric ids), so the
/// platform is part of the key: a retweet of tweet `5` is not a share of a Telegram
/// channel's message `5`, and two accounts on two platforms replying to their own
/// platform's post `5` have no item in common.
pub fn post_ref_key(kind: Kind, platform: &str, id: &str) -> u64 {
    let seed = xxhash_rust::xxh3::xxh3_64(platform.as_bytes()) ^ kind as u64;
    (xxhash_rust::xxh3::xxh3_64_with_seed(id.as_bytes(), seed) & !7) | kind as u64
}

/// Which items to extract, and how near "near text" is.
#[derive(Debug, Clone)]
pub struct ItemConfig {
    pub kinds: Vec<Kind>,
    /// Posts with fewer distinct words than this have no text items (too short to mean
    /// anything by being alike).
    pub min_words: usize,
    /// LSH bands and rows per band for near text. With 4 × 5, posts with word-set Jaccard
    /// 0.8 share a band 80% of the time, 0.5: 12%, 0.3: 1%.
    pub bands: usize,
    pub rows: usize,
}

impl Default for ItemConfig {
    fn default() -> Self {
        ItemConfig {
            kinds: Kind::ALL.to_vec(),
            min_words: 5,
            bands: 4,
            rows: 5,
        }
    }
}

/// Extracts items with reusable buffers; one per thread.
pub struct ItemExtractor {
    pub cfg: ItemConfig,
    norm: Normaliser,
    /// Word sets from a cache of raw tokens (the same sets as `word_set`).
    word_sets: WordSets,
    minhash: MinHasher,
    words: Vec<u64>,
    sig: Vec<u32>,
    on: [bool; 7],
}

impl ItemExtractor {
    pub fn new(cfg: ItemConfig) -> ItemExtractor {
        let mut on = [false; 7];
        for k in &cfg.kinds {
            on[*k as usize] = true;
        }
        ItemExtractor {
            minhash: MinHasher::new(cfg.bands * cfg.rows),
            cfg,
            norm: Normaliser::default(),
            word_sets: WordSets::default(),
            words: Vec::new(),
            sig: Vec::new(),
            on,
        }
    }

    /// The items of `p`, deduplicated, appended to `out`.
    pub fn items(&mut self, p: &Post, out: &mut Vec<u64>) {
        let start = out.len();
        let on = self.on;
        // A plain share repeats someone else's post: its links, media, hashtags and text are
        // not the sharer's own (the coordination-network-toolkit ignores them too); the
        // share itself is the item.
        let own = p.share_of.is_none();
        if own && on[Kind::Url as usize] {
            for u in &p.urls {
                push_url(u, out);
            }
            // Most posts have no link in their text: one substring search says so.
            if p.text.contains("http") {
                for tok in p.text.split_whitespace() {
                    if tok.starts_with("http://") || tok.starts_with("https://") {
                        push_url(tok, out);
                    }
                }
            }
        }
        if own && on[Kind::Media as usize] {
            for m in &p.media {
                if let Some(h) = m.sha256.as_deref().or(m.pdq.as_deref()) {
                    out.push(item_key(
                        Kind::Media,
                        h.trim().to_ascii_lowercase().as_bytes(),
                    ));
                }
            }
        }
        if on[Kind::Share as usize] {
            if let Some(s) = &p.share_of {
                out.push(post_ref_key(Kind::Share, &p.platform, s));
            }
        }
        if on[Kind::Reply as usize] {
            if let Some(s) = &p.reply_to {
                out.push(post_ref_key(Kind::Reply, &p.platform, s));
            }
        }
        let want_text = own && (on[Kind::Text as usize] || on[Kind::NearText as usize]);
        let want_tags = own && on[Kind::Hashtag as usize];
        if want_tags {
            let chars = &self.norm.run(&p.text).chars;
            for_each_hashtag(chars, |s, e| {
                let tag: String = chars[s..e].iter().collect();
                out.push(item_key(Kind::Hashtag, tag.as_bytes()));
            });
        }
        if want_text {
            self.word_sets.word_set(&p.text, &mut self.words);
            if self.words.len() >= self.cfg.min_words {
                if on[Kind::Text as usize] {
                    let h = self.words.iter().fold(0x7465_7874u64, |h, w| finish(h ^ w));
                    out.push(item_key(Kind::Text, &h.to_le_bytes()));
                }
                if on[Kind::NearText as usize] {
                    self.minhash.signature(&self.words, &mut self.sig);
                    for b in 0..self.cfg.bands {
                        let k = band_key(&self.sig, b, self.cfg.rows);
                        out.push((k & !7) | Kind::NearText as u64);
                    }
                }
            }
        }
        let tail = &mut out[start..];
        tail.sort_unstable();
        let mut w = start;
        for r in start..out.len() {
            if r == start || out[r] != out[w - 1] {
                out[w] = out[r];
                w += 1;
            }
        }
        out.truncate(w);
    }
}

/// Call `f(start, end)` for each hashtag in normalised characters: `#` at a word start
/// followed by letters, digits or `_` (`start..end` excludes the `#`).
fn for_each_hashtag(chars: &[char], mut f: impl FnMut(usize, usize)) {
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '#' && (i == 0 || chars[i - 1] == ' ') {
            let s = i + 1;
            let mut e = s;
            while e < chars.len() && (chars[e].is_alphanumeric() || chars[e] == '_') {
                e += 1;
            }
            if e > s {
                f(s, e);
            }
            i = e;
        } else {
            i += 1;
        }
    }
}

fn push_url(raw: &str, out: &mut Vec<u64>) {
    let c = raqib_media::url::canonicalise(raw.trim_end_matches(['.', ',', ')', '!', '?']));
    let s = match &c {
        Ok(c) => c.url.as_str(),
        Err(_) => raw,
    };
    out.push(item_key(Kind::Url, s.as_bytes()));
}

/// The items of `p` that are named (everything but near text) with their readable value,
/// for evidence: (key, kind, value).
pub fn named_items(p: &Post, ex: &mut ItemExtractor) -> Vec<(u64, Kind, String)> {
    let mut out = Vec::new();
    for u in p.urls.iter().map(String::as_str).chain(
        p.text
            .split_whitespace()
            .filter(|t| t.starts_with("http://") || t.starts_with("https://")),
    ) {
        let mut v = Vec::new();
        push_url(u, &mut v);
        let value = raqib_media::url::canonicalise(u.trim_end_matches(['.', ',', ')', '!', '?']))
            .map(|c| c.url)
            .unwrap_or_else(|_| u.to_string());
        out.push((v[0], Kind::Url, value));
    }
    for m in &p.media {
        if let Some(h) = m.sha256.as_deref().or(m.pdq.as_deref()) {
            let v = h.trim().to_ascii_lowercase();
            out.push((item_key(Kind::Media, v.as_bytes()), Kind::Media, v));
        }
    }
    if let Some(s) = &p.share_of {
        let key = post_ref_key(Kind::Share, &p.platform, s);
        out.push((key, Kind::Share, s.clone()));
    }
    if let Some(s) = &p.reply_to {
        let key = post_ref_key(Kind::Reply, &p.platform, s);
        out.push((key, Kind::Reply, s.clone()));
    }
    // Hashtags as the item key sees them (normalised), shown as written.
    let n = ex.norm.run(&p.text);
    let chars = &n.chars;
    for_each_hashtag(chars, |s, e| {
        let tag: String = chars[s..e].iter().collect();
        let (a, b) = n.original_range(&p.text, s - 1, e);
        let shown = p.text.get(a..b).unwrap_or(&tag).to_string();
        out.push((
            item_key(Kind::Hashtag, tag.as_bytes()),
            Kind::Hashtag,
            shown,
        ));
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(text: &str) -> Post {
        Post {
            id: "1".into(),
            text: text.into(),
            ..Default::default()
        }
    }

    #[test]
    fn items_of_a_post() {
        let mut ex = ItemExtractor::new(ItemConfig::default());
        let mut p = post(
            "Look #Breaking news now https://WWW.Example.com/a?utm_source=x and more words here",
        );
        p.share_of = None;
        p.media.push(raqib_model::MediaRef {
            sha256: Some("AB".into()),
            ..Default::default()
        });
        let mut out = Vec::new();
        ex.items(&p, &mut out);
        let kinds: Vec<Kind> = out.iter().map(|&i| Kind::of(i)).collect();
        assert!(kinds.contains(&Kind::Url));
        assert!(kinds.contains(&Kind::Media));
        assert!(kinds.contains(&Kind::Hashtag));
        assert!(kinds.contains(&Kind::Text));
        assert_eq!(kinds.iter().filter(|k| **k == Kind::NearText).count(), 4);
        // Canonical URL: the same item as the clean form.
        assert!(out.contains(&item_key(Kind::Url, b"https://example.com/a")));
        assert!(out.contains(&item_key(Kind::Hashtag, "breaking".as_bytes())));
        let named = named_items(&p, &mut ex);
        assert!(named.iter().any(|(k, kind, v)| *kind == Kind::Url
            && v == "https://example.com/a"
            && out.contains(k)));
        assert!(named
            .iter()
            .any(|(k, _, v)| v == "#Breaking" && out.contains(k)));
    }

    #[test]
    fn obfuscated_copies_share_text_items() {
        let mut ex = ItemExtractor::new(ItemConfig::default());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        ex.items(
            &post("the convoy leaves at dawn from the old bridge"),
            &mut a,
        );
        ex.items(
            &post("The CONVOY leaves at dawn, from the old b.r.i.d.g.e."),
            &mut b,
        );
        assert!(a
            .iter()
            .any(|i| Kind::of(*i) == Kind::Text && b.contains(i)));
        // Too short: no text items.
        let mut c = Vec::new();
        ex.items(&post("ok then"), &mut c);
        assert!(c.is_empty());
    }

    #[test]
    fn shares_have_only_the_share_item() {
        let mut ex = ItemExtractor::new(ItemConfig::default());
        let mut p = post("some long text #tag https://example.com/x being shared around here");
        p.share_of = Some("99".into());
        let mut out = Vec::new();
        ex.items(&p, &mut out);
        assert_eq!(out, vec![post_ref_key(Kind::Share, &p.platform, "99")]);
    }

    /// A retweet of tweet 5 and a forward of a channel's message 5 share nothing; two
    /// retweets of tweet 5 do, and a reply to it is another item.
    #[test]
    fn shares_and_replies_are_of_a_post_on_its_platform() {
        let mut ex = ItemExtractor::new(ItemConfig::default());
        let of = |platform: &str, share: bool| {
            let mut p = post("x");
            p.platform = platform.into();
            if share {
                p.share_of = Some("5".into());
            } else {
                p.reply_to = Some("5".into());
            }
            p
        };
        let mut items = |p: &Post| {
            let mut out = Vec::new();
            ex.items(p, &mut out);
            out
        };
        let (a, b) = (items(&of("twitter", true)), items(&of("twitter", true)));
        assert_eq!(a, b);
        assert_ne!(a, items(&of("telegram", true)));
        assert_ne!(items(&of("twitter", false)), items(&of("telegram", false)));
        assert_ne!(a, items(&of("twitter", false)));
        // The readable value stays the id, under the same key.
        let named = named_items(
            &of("telegram", true),
            &mut ItemExtractor::new(ItemConfig::default()),
        );
        assert_eq!(
            named,
            vec![(
                items(&of("telegram", true))[0],
                Kind::Share,
                "5".to_string()
            )]
        );
    }
}
