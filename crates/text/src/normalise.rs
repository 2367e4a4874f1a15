//! Normalisation built against evasion: Arabic folding (diacritics, tatweel, alef and
//! hamza forms, alef maqsura, taa marbuta, Persian letters and digits), compatibility
//! decomposition with marks removed, zero-width and bidi controls stripped, homoglyphs and
//! leetspeak folded to a Latin skeleton, spaced-out letters joined, HTML entities decoded
//! (platform APIs escape `&`, `<`, `>`), URLs reduced to their domain. Hashtags, mentions
//! and emoji are kept.
//!
//! **Invariant:** `normalise(normalise(x)) == normalise(x)` for every string, and no input
//! panics (both property-tested). Every output character remembers the byte offset of the
//! original character it came from, so features can be shown as spans of the original text.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// The version of the normalisation rules. A model records it; changing any rule below
/// means bumping it.
pub const NORMALISER_VERSION: u32 = 4;

/// Normalised text with, for every output character, the byte offset in the original
/// text of the character it came from.
#[derive(Debug, Default, Clone)]
pub struct Normalised {
    pub chars: Vec<char>,
    pub src: Vec<u32>,
}

impl Normalised {
    pub fn as_string(&self) -> String {
        self.chars.iter().collect()
    }

    /// The original byte range covered by output characters `start..end`.
    pub fn original_range(&self, original: &str, start: usize, end: usize) -> (usize, usize) {
        let s = self.src[start] as usize;
        let last = self.src[end - 1] as usize;
        let e = last + original[last..].chars().next().map_or(0, char::len_utf8);
        (s.min(e), e)
    }
}

/// Normalise `text` to a String. Allocates; for hot loops use [`Normaliser`].
pub fn normalise(text: &str) -> String {
    let mut n = Normaliser::default();
    n.run(text).as_string()
}

/// A normaliser with reusable buffers.
#[derive(Debug, Default)]
pub struct Normaliser {
    stage: Vec<(char, u32)>,
    out: Normalised,
    token: Vec<(char, u32)>,
}

pub(crate) const SEPARATORS: &[char] = &['.', '-', '_', '*', '·', '•', '+', '~', '/', '|', ','];

#[inline]
fn is_stripped(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xE0000..=0xE007F | 0x1D173..=0x1D17A
        // Arabic marks: Quranic annotation, harakat, superscript alef, tatweel.
        | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06DC | 0x06DF..=0x06E8
        | 0x06EA..=0x06ED | 0x0640 | 0x08D3..=0x08FF)
}

/// Fold an Arabic-block character; `None` means it is not one that folds.
#[inline]
fn fold_arabic(c: char) -> char {
    match c {
        'آ' | 'أ' | 'إ' | 'ٱ' | '\u{0672}' | '\u{0673}' => 'ا',
        'ؤ' => 'و',
        'ئ' | 'ى' | 'ی' => 'ي',
        'ة' | 'ہ' | 'ە' => 'ه',
        'ک' | 'ڪ' => 'ك',
        '٠'..='٩' => char::from(b'0' + (c as u32 - 0x0660) as u8),
        '۰'..='۹' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        '،' => ',',
        '؛' => ';',
        '؟' => '?',
        '٪' => '%',
        '٫' | '۔' => '.',
        '٬' => ',',
        _ => c,
    }
}

/// Fold a lowercase letter that looks like a Latin letter to that letter.
#[inline]
fn fold_homoglyph(c: char) -> char {
    match c {
        'а' | 'α' | 'ɑ' => 'a',
        'ь' | 'β' => 'b',
        'с' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'ε' | 'є' => 'e',
        'ɡ' | 'ց' => 'g',
        'һ' | 'н' => 'h',
        'і' | 'ї' | 'ι' | 'ı' | 'ɩ' | 'ӏ' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'м' => 'm',
        'η' | 'п' => 'n',
        'о' | 'ο' | 'օ' | 'σ' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'υ' | 'ս' => 'u',
        'ν' => 'v',
        'ԝ' | 'ω' => 'w',
        'х' | 'χ' => 'x',
        'у' | 'γ' => 'y',
        _ => c,
    }
}

#[inline]
fn leet(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        '8' => 'b',
        '@' => 'a',
        '$' => 's',
        _ => return None,
    })
}

impl Normaliser {
    /// Normalise `text`; the result borrows the normaliser's buffers.
    pub fn run(&mut self, text: &str) -> &Normalised {
        self.stage.clear();
        self.out.chars.clear();
        self.out.src.clear();
        self.fold_chars(text);
        self.tokens();
        &self.out
    }

    /// Whether the last text's first or last token, before spaced-out letters were joined,
    /// is one character that could join with a neighbouring text's (a letter, a leet
    /// character or a separator). Only such texts can normalise differently side by side
    /// than apart.
    pub(crate) fn edges_single(&self) -> bool {
        let stage = &self.stage;
        let single_at = |i: usize| {
            let c = stage[i].0;
            c != ' '
                && (is_spacing_char(c) || SEPARATORS.contains(&c))
                && (i == 0 || stage[i - 1].0 == ' ')
                && (i + 1 == stage.len() || stage[i + 1].0 == ' ')
        };
        let first = stage.iter().position(|t| t.0 != ' ');
        let last = stage.iter().rposition(|t| t.0 != ' ');
        first.is_some_and(single_at) || last.is_some_and(single_at)
    }

    /// Pass A: character by character.
    fn fold_chars(&mut self, text: &str) {
        let stage = &mut self.stage;
        stage.reserve(text.len());
        for (off, c) in text.char_indices() {
            let off = off as u32;
            if c.is_ascii() {
                let c = if c.is_ascii_control() || c == ' ' {
                    ' '
                } else {
                    c.to_ascii_lowercase()
                };
                stage.push((c, off));
            } else if is_stripped(c) {
            } else if ('\u{0600}'..='\u{06FF}').contains(&c) {
                stage.push((fold_arabic(c), off));
            } else if ('\u{1F000}'..='\u{1FAFF}').contains(&c) {
                stage.push((c, off)); // emoji: kept as they are.
            } else if c.is_whitespace() {
                stage.push((' ', off));
            } else {
                decompose_compatible(c, |d| {
                    if is_combining_mark(d) || is_stripped(d) {
                        return;
                    }
                    if ('\u{0600}'..='\u{06FF}').contains(&d) {
                        stage.push((fold_arabic(d), off));
                    } else if d.is_whitespace() {
                        stage.push((' ', off));
                    } else {
                        for l in d.to_lowercase() {
                            if !is_combining_mark(l) {
                                stage.push((fold_homoglyph(l), off));
                            }
                        }
                    }
                });
            }
        }
    }

    /// Pass B: whitespace tokens. URLs become `url:DOMAIN`; runs of spaced-out single
    /// letters are joined; leetspeak folds; runs of 3+ of one letter shorten to 2.
    fn tokens(&mut self) {
        let stage = std::mem::take(&mut self.stage);
        let mut i = 0;
        let n = stage.len();
        let mut spaced: Vec<(char, u32)> = Vec::new();
        while i < n {
            if stage[i].0 == ' ' {
                i += 1;
                continue;
            }
            let start = i;
            while i < n && stage[i].0 != ' ' {
                i += 1;
            }
            let tok = &stage[start..i];
            // A run of single letters separated by spaces (and lone separators): join.
            if tok.len() == 1 && is_spacing_char(tok[0].0) {
                spaced.clear();
                spaced.push(tok[0]);
                let mut j = i;
                let mut end = i;
                loop {
                    while j < n && stage[j].0 == ' ' {
                        j += 1;
                    }
                    let s = j;
                    while j < n && stage[j].0 != ' ' {
                        j += 1;
                    }
                    let t = &stage[s..j];
                    if t.len() == 1 && is_spacing_char(t[0].0) {
                        spaced.push(t[0]);
                        end = j;
                    } else if t.len() == 1 && SEPARATORS.contains(&t[0].0) && j < n {
                        continue;
                    } else {
                        break;
                    }
                }
                if spaced.len() >= 3
                    && spaced
                        .iter()
                        .filter(|(c, _)| crate::features::is_alphabetic(*c))
                        .count()
                        >= 2
                {
                    let joined = std::mem::take(&mut spaced);
                    self.emit_token(&joined);
                    spaced = joined;
                    i = end;
                    continue;
                }
            }
            self.emit_token(tok);
        }
        self.stage = stage;
    }

    fn emit_token(&mut self, tok: &[(char, u32)]) {
        let out = &mut self.out;
        if !out.chars.is_empty() {
            out.chars.push(' ');
            out.src.push(tok[0].1);
        }
        if emit_link(out, tok) {
            return;
        }
        // Fast path: most tokens need no joining and no leetspeak folding, so they are
        // emitted straight from the stage with runs shortened.
        let maybe_separated = tok.len() >= 5 && SEPARATORS.contains(&tok[1].0);
        let mention = tok[0].0 == '@' && tok.len() > 1;
        let needs_leet = !mention
            && tok.iter().any(|(c, _)| leet(*c).is_some())
            && tok.iter().any(|(c, _)| c.is_ascii_lowercase());
        let has_entity = tok.iter().any(|(c, _)| *c == '&');
        let from = out.chars.len();
        if !maybe_separated && !needs_leet && !has_entity {
            push_collapsed(out, tok);
            relink(out, from, &mut self.token);
            return;
        }
        let t = &mut self.token;
        t.clear();
        // Letters spaced with separators inside one token: d.a.e.s.h, D-A-E-S-H.
        if tok.len() >= 5 && is_separated_letters(tok) {
            t.extend(
                tok.iter()
                    .copied()
                    .filter(|(c, _)| crate::features::is_alphabetic(*c)),
            );
        } else {
            t.extend_from_slice(tok);
        }
        // Leetspeak: a leet character next to a Latin letter becomes that letter; repeat
        // until nothing changes so that chains (`1$1s`) fold fully. Mentions keep digits.
        let mention = t[0].0 == '@' && t.len() > 1;
        if !mention && t.iter().any(|(c, _)| c.is_ascii_lowercase()) {
            loop {
                let mut changed = false;
                for k in 0..t.len() {
                    if let Some(l) = leet(t[k].0) {
                        let left = k > 0 && t[k - 1].0.is_ascii_lowercase();
                        let right = k + 1 < t.len() && t[k + 1].0.is_ascii_lowercase();
                        if left || right {
                            t[k].0 = l;
                            changed = true;
                        }
                    }
                }
                if !changed {
                    break;
                }
            }
        }
        if has_entity {
            decode_entities(t);
        }
        push_collapsed(out, t);
        relink(out, from, t);
    }
}

/// Links (see `emit_token`): a cut-off link becomes the marker, a URL its domain, a marker
/// or a scheme with no host stays as it is. `false` when `tok` is none of these.
fn emit_link(out: &mut Normalised, tok: &[(char, u32)]) -> bool {
    // A link cut off by a truncation mark (`https://…`, `http…`, `https://t…`): which
    // site it was is lost, and how often texts were cut says how they were collected
    // (in the labelled data, almost only the positives' retweets), so it becomes a
    // marker that carries no features.
    if is_truncated_link(tok) {
        for c in TRUNCATED_LINK.chars() {
            out.chars.push(c);
            out.src.push(tok[0].1);
        }
        return true;
    }
    // URLs: keep the domain only.
    if let Some(host) = url_host(tok) {
        for c in "url:".chars() {
            out.chars.push(c);
            out.src.push(tok[0].1);
        }
        for &(c, o) in host {
            out.chars.push(c);
            out.src.push(o);
        }
        return true;
    }
    // A marker, or a scheme with no host after it (`https://www.`): as it is, since
    // shortening its runs could make a host appear the next time (`https://ww.`).
    if is_url_marker(tok) || has_scheme(tok) {
        out.chars.extend(tok.iter().map(|t| t.0));
        out.src.extend(tok.iter().map(|t| t.1));
        return true;
    }
    false
}

/// If shortening runs, folding leetspeak or decoding entities turned the token just
/// emitted (from `from` on) into a link (`htttps://x.org` → `https://x.org`, `httttp....`
/// → `http..`), emit it again as one, so that normalising the output changes nothing.
fn relink(out: &mut Normalised, from: usize, scratch: &mut Vec<(char, u32)>) {
    let c = &out.chars[from..];
    if !(c.starts_with(&['h', 't', 't', 'p'])
        || c.starts_with(&['w', 'w', 'w', '.'])
        || c.starts_with(&['u', 'r', 'l', ':']))
    {
        return;
    }
    scratch.clear();
    scratch.extend(
        out.chars[from..]
            .iter()
            .copied()
            .zip(out.src[from..].iter().copied()),
    );
    out.chars.truncate(from);
    out.src.truncate(from);
    if !emit_link(out, scratch) {
        push_collapsed(out, scratch);
    }
}

/// The HTML entities platform APIs put in text, lowercase (the stage is lowercased).
const ENTITIES: &[(&str, char)] = &[
    ("amp;", '&'),
    ("lt;", '<'),
    ("gt;", '>'),
    ("quot;", '"'),
    ("apos;", '\''),
    ("#39;", '\''),
    ("#x27;", '\''),
];

/// Decode HTML entities in place, repeatedly, so that double escapes (`&amp;lt;`) come out
/// whole and the result holds no entity left to decode. A decoded character keeps the
/// offset of its `&`.
fn decode_entities(t: &mut Vec<(char, u32)>) {
    let mut out: Vec<(char, u32)> = Vec::with_capacity(t.len());
    let mut r = 0;
    while r < t.len() {
        let (c, o) = t[r];
        if c == '&' {
            let rest = &t[r + 1..];
            let hit = ENTITIES.iter().find(|(name, _)| {
                rest.len() >= name.len() && rest.iter().zip(name.chars()).all(|(a, b)| a.0 == b)
            });
            if let Some(&(name, ch)) = hit {
                let last = r + name.chars().count();
                if ch == '&' {
                    // Look again from here: `&amp;lt;` is `&lt;`.
                    t[last] = ('&', o);
                    r = last;
                } else {
                    out.push((ch, o));
                    r = last + 1;
                }
                continue;
            }
        }
        out.push((c, o));
        r += 1;
    }
    *t = out;
}

/// Append a token, shortening runs of three or more of one character to two.
fn push_collapsed(out: &mut Normalised, tok: &[(char, u32)]) {
    let mut run = 0;
    let mut prev = '\0';
    for &(c, o) in tok {
        run = if c == prev { run + 1 } else { 1 };
        prev = c;
        if run <= 2 {
            out.chars.push(c);
            out.src.push(o);
        }
    }
}

pub(crate) fn is_spacing_char(c: char) -> bool {
    crate::features::is_alphabetic(c) || leet(c).is_some()
}

/// What a truncated link becomes (see `is_truncated_link`); features ignore it.
pub const TRUNCATED_LINK: &str = "url:...";

/// A link cut off by a truncation mark (an ellipsis, which decomposes to `...`, or two or
/// more dots): a start of `http://` or `https://` of at least four letters and nothing
/// more (`http…`, `https:/…`), or a scheme or `www.` whose host the mark cuts (`https://t…`,
/// `www.exam…`: no dot left in the host, or a last label of one letter). A link whose host
/// is whole (`https://example.org/a…`) keeps its domain.
fn is_truncated_link(tok: &[(char, u32)]) -> bool {
    let dots = tok.iter().rev().take_while(|t| t.0 == '.').count();
    if dots < 2 || dots == tok.len() {
        return false;
    }
    let body = &tok[..tok.len() - dots];
    let is_prefix_of =
        |p: &str| body.len() <= p.len() && body.iter().zip(p.chars()).all(|(a, b)| a.0 == b);
    if body.len() >= 4 && (is_prefix_of("https://") || is_prefix_of("http://")) {
        return true;
    }
    let Some(rest) = after_scheme(body) else {
        return false;
    };
    if !rest
        .iter()
        .all(|(c, _)| crate::features::is_alphanumeric(*c) || *c == '.' || *c == '-')
    {
        return false; // the host ended before the mark: the domain is known
    }
    match rest.iter().rposition(|(c, _)| *c == '.') {
        None => true,
        Some(p) => rest.len() - p - 1 < 2,
    }
}

fn has_scheme(tok: &[(char, u32)]) -> bool {
    starts_with(tok, "https://") || starts_with(tok, "http://")
}

fn starts_with(tok: &[(char, u32)], p: &str) -> bool {
    tok.len() >= p.len() && tok.iter().zip(p.chars()).all(|(a, b)| a.0 == b)
}

/// What follows `http://`, `https://` or `www.` (and a `www.` after the scheme), if the
/// token starts so.
fn after_scheme(tok: &[(char, u32)]) -> Option<&[(char, u32)]> {
    let rest = if starts_with(tok, "https://") {
        &tok[8..]
    } else if starts_with(tok, "http://") {
        &tok[7..]
    } else if starts_with(tok, "www.") {
        tok
    } else {
        return None;
    };
    Some(if starts_with(rest, "www.") {
        &rest[4..]
    } else {
        rest
    })
}

fn is_url_marker(tok: &[(char, u32)]) -> bool {
    tok.len() > 4 && starts_with(tok, "url:")
}

/// `d.a.e.s.h`: single letters, each followed by one separator (the last optionally), and
/// optionally sentence punctuation at the end (`d.a.e.s.h!`).
fn is_separated_letters(tok: &[(char, u32)]) -> bool {
    let end = tok.len()
        - tok
            .iter()
            .rev()
            .take_while(|(c, _)| {
                matches!(
                    c,
                    '!' | '?' | '…' | '"' | '\'' | ')' | ';' | ':' | '»' | '”'
                )
            })
            .count();
    let tok = &tok[..end];
    let mut letters = 0;
    let mut k = 0;
    while k < tok.len() {
        if !crate::features::is_alphabetic(tok[k].0) {
            return false;
        }
        letters += 1;
        k += 1;
        if k < tok.len() {
            if !SEPARATORS.contains(&tok[k].0) {
                return false;
            }
            k += 1;
        }
    }
    letters >= 3
}

/// The host of a token that is a URL (`http://`, `https://`, `www.`), without `www.`.
fn url_host(tok: &[(char, u32)]) -> Option<&[(char, u32)]> {
    let rest = after_scheme(tok)?;
    let end = rest
        .iter()
        .position(|(c, _)| {
            matches!(c, '/' | '?' | '#' | ':' | '@')
                || !(crate::features::is_alphanumeric(*c) || *c == '.' || *c == '-')
        })
        .unwrap_or(rest.len());
    let host = &rest[..end];
    let host = match host.iter().rposition(|(c, _)| *c != '.') {
        Some(p) => &host[..=p],
        None => &host[..0],
    };
    if host.is_empty() {
        None
    } else {
        Some(host)
    }
}
