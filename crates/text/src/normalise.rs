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
///
/// v5 folds letters v4 left as they were (the Persian, Urdu and other Arabic-script letters
/// drawn from an Arabic letter; small capitals, enclosed letters and Latin letters with
/// strokes or hooks), and joins single letters spaced out inside a word by any non-letters
/// (`d‧a‧e‧s‧h`, `d🔥a🔥e🔥s🔥h`, `d...a...e`), where v4 took only `.-_*·•+~/|,` one at a
/// time (HTML entities are decoded before, so `a&lt;b&lt;c` reads as `a<b<c`); it reads
/// the blank braille pattern `⠀` (drawn as a space, and used as one) as a space and removes
/// the shorthand format controls U+1BCA0–U+1BCA3; and it reads text under a right-to-left
/// override (U+202E) in the order it is shown (`\u{202E}hsead` shows, and reads, `daesh`).
/// It changes nothing else: a text with none of these normalises as v4 did.
///
/// v6 reads `!` between two Latin letters as the `i` it stands for in leetspeak (`k!ll`,
/// `c!ty`; `wow!` and `!!` stay); in text under a right-to-left override that mixes
/// Arabic-script or Hebrew letters with others, reads each run of the others as shown
/// (v5 left such text as written); decodes an entity that leetspeak spells (`&l7;`, which
/// v5 left as `&lt;`); and reads a regional indicator letter that stands alone (`🇮 🇸`,
/// drawn as letters in boxes) as its letter, two side by side (a flag, `🇸🇾`) staying as
/// they are. Nothing else changes.
pub const NORMALISER_VERSION: u32 = 6;

/// The oldest normaliser version whose models this build reads. A model of an older
/// version within this range scores every text its own normaliser read the same way as it
/// did, and texts with the letters folded since by what they spell (better than the
/// unknown letters it saw).
pub const NORMALISER_READS_FROM: u32 = 4;

/// Normalised text with, for every output character, the byte offset in the original
/// text of the character it came from.
#[derive(Debug, Default, Clone)]
pub struct Normalised {
    pub chars: Vec<char>,
    pub src: Vec<u32>,
    /// Whether the text held a right-to-left override (U+202E): what it shows reversed
    /// reaches across spaces, so such a text is normalised whole, never from its raw
    /// tokens one by one.
    pub overridden: bool,
}

impl Normalised {
    pub fn as_string(&self) -> String {
        self.chars.iter().collect()
    }

    /// The original byte range covered by output characters `start..end`.
    pub fn original_range(&self, original: &str, start: usize, end: usize) -> (usize, usize) {
        // The extremes: a right-to-left override can put the text in reverse order.
        let (s, last) = self.src[start..end]
            .iter()
            .fold((u32::MAX, 0), |(s, l), &o| (s.min(o), l.max(o)));
        let (s, last) = (s as usize, last as usize);
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
    units: Vec<(char, u32)>,
}

pub(crate) const SEPARATORS: &[char] = &['.', '-', '_', '*', '·', '•', '+', '~', '/', '|', ','];

#[inline]
fn is_stripped(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xE0000..=0xE007F | 0x1D173..=0x1D17A | 0x1BCA0..=0x1BCA3
        // Arabic marks: Quranic annotation, harakat, superscript alef, tatweel.
        | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06DC | 0x06DF..=0x06E8
        | 0x06EA..=0x06ED | 0x0640 | 0x08D3..=0x08FF)
}

/// Whether `c` is in a block of Arabic letters: Arabic, Arabic Supplement, Arabic
/// Extended-A (whose marks `is_stripped` takes first).
#[inline]
fn is_arabic_block(c: char) -> bool {
    matches!(c as u32, 0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF)
}

/// Fold an Arabic-block character: a letter to the Arabic letter it is drawn from (hamza
/// and madda forms, alef maqsura, taa marbuta, and the Persian, Urdu, Kurdish, Pashto,
/// Sindhi and African letters that are an Arabic letter with dots, rings or strokes added
/// or taken away: what an Arabic reader reads past and a keyword list does not; the table
/// comes from the letters' Unicode names, `X WITH ...` folding to `X`), digits to ASCII,
/// punctuation to its ASCII form; anything else as it is.
#[inline]
fn fold_arabic(c: char) -> char {
    match c {
        '\u{0622}' | '\u{0623}' | '\u{0625}' | '\u{0671}' | '\u{0672}' | '\u{0673}'
        | '\u{0675}' | '\u{0773}' | '\u{0774}' | '\u{08AD}' => 'ا',
        // آ أ إ ٱ ٲ ٳ ٵ ݳ ݴ ࢭ
        '\u{066E}' | '\u{067B}' | '\u{067E}' | '\u{0680}' | '\u{0750}' | '\u{0751}'
        | '\u{0752}' | '\u{0753}' | '\u{0754}' | '\u{0755}' | '\u{0756}' | '\u{08A0}'
        | '\u{08A1}' | '\u{08B6}' | '\u{08B7}' | '\u{08BE}' => 'ب',
        // ٮ ٻ پ ڀ ݐ ݑ ݒ ݓ ݔ ݕ ݖ ࢠ ࢡ ࢶ ࢷ ࢾ
        '\u{0679}' | '\u{067A}' | '\u{067C}' | '\u{067D}' | '\u{067F}' | '\u{08B8}'
        | '\u{08BF}' | '\u{08C0}' => 'ت',
        // ٹ ٺ ټ ٽ ٿ ࢸ ࢿ ࣀ
        '\u{0683}' | '\u{0684}' | '\u{0686}' | '\u{0687}' | '\u{06BF}' | '\u{08A2}'
        | '\u{08C1}' | '\u{08C5}' | '\u{08C6}' => 'ج',
        // ڃ ڄ چ ڇ ڿ ࢢ ࣁ ࣅ ࣆ
        '\u{0681}' | '\u{0682}' | '\u{0685}' | '\u{0757}' | '\u{0758}' | '\u{076E}'
        | '\u{076F}' | '\u{0772}' | '\u{077C}' => 'ح',
        // ځ ڂ څ ݗ ݘ ݮ ݯ ݲ ݼ
        '\u{0688}' | '\u{0689}' | '\u{068A}' | '\u{068B}' | '\u{068C}' | '\u{068D}'
        | '\u{068E}' | '\u{068F}' | '\u{0690}' | '\u{06EE}' | '\u{0759}' | '\u{075A}'
        | '\u{08AE}' => 'د',
        // ڈ ډ ڊ ڋ ڌ ڍ ڎ ڏ ڐ ۮ ݙ ݚ ࢮ
        '\u{0691}' | '\u{0692}' | '\u{0693}' | '\u{0694}' | '\u{0695}' | '\u{0696}'
        | '\u{0697}' | '\u{0699}' | '\u{06EF}' | '\u{075B}' | '\u{076B}' | '\u{076C}'
        | '\u{0771}' | '\u{08AA}' | '\u{08B9}' => 'ر',
        // ڑ ڒ ړ ڔ ڕ ږ ڗ ڙ ۯ ݛ ݫ ݬ ݱ ࢪ ࢹ
        '\u{0698}' | '\u{08B2}' => 'ز',
        // ژ ࢲ
        '\u{069A}' | '\u{069B}' | '\u{069C}' | '\u{075C}' | '\u{076D}' | '\u{0770}'
        | '\u{077D}' | '\u{077E}' => 'س',
        // ښ ڛ ڜ ݜ ݭ ݰ ݽ ݾ
        '\u{06FA}' => 'ش',
        // ۺ
        '\u{069D}' | '\u{069E}' | '\u{08AF}' => 'ص',
        // ڝ ڞ ࢯ
        '\u{06FB}' => 'ض',
        // ۻ
        '\u{069F}' | '\u{08A3}' => 'ط',
        // ڟ ࢣ
        '\u{06A0}' | '\u{075D}' | '\u{075E}' | '\u{075F}' | '\u{08B3}' => 'ع',
        // ڠ ݝ ݞ ݟ ࢳ
        '\u{06FC}' | '\u{08C3}' => 'غ',
        // ۼ ࣃ
        '\u{06A1}' | '\u{06A2}' | '\u{06A3}' | '\u{06A4}' | '\u{06A5}' | '\u{06A6}'
        | '\u{0760}' | '\u{0761}' | '\u{08A4}' | '\u{08BB}' => 'ف',
        // ڡ ڢ ڣ ڤ ڥ ڦ ݠ ݡ ࢤ ࢻ
        '\u{066F}' | '\u{06A7}' | '\u{06A8}' | '\u{08A5}' | '\u{08B5}' | '\u{08BC}'
        | '\u{08C4}' => 'ق',
        // ٯ ڧ ڨ ࢥ ࢵ ࢼ ࣄ
        '\u{063B}' | '\u{063C}' | '\u{06A9}' | '\u{06AA}' | '\u{06AB}' | '\u{06AC}'
        | '\u{06AD}' | '\u{06AE}' | '\u{06AF}' | '\u{06B0}' | '\u{06B1}' | '\u{06B2}'
        | '\u{06B3}' | '\u{06B4}' | '\u{0762}' | '\u{0763}' | '\u{0764}' | '\u{077F}'
        | '\u{08B0}' | '\u{08B4}' | '\u{08C2}' => 'ك',
        // ػ ؼ ک ڪ ګ ڬ ڭ ڮ گ ڰ ڱ ڲ ڳ ڴ ݢ ݣ ݤ ݿ ࢰ ࢴ ࣂ
        '\u{06B5}' | '\u{06B6}' | '\u{06B7}' | '\u{06B8}' | '\u{076A}' | '\u{08A6}'
        | '\u{08C7}' => 'ل',
        // ڵ ڶ ڷ ڸ ݪ ࢦ ࣇ
        '\u{0765}' | '\u{0766}' | '\u{08A7}' => 'م',
        // ݥ ݦ ࢧ
        '\u{06B9}' | '\u{06BA}' | '\u{06BB}' | '\u{06BC}' | '\u{06BD}' | '\u{0767}'
        | '\u{0768}' | '\u{0769}' | '\u{08BD}' => 'ن',
        // ڹ ں ڻ ڼ ڽ ݧ ݨ ݩ ࢽ
        '\u{0629}' | '\u{06BE}' | '\u{06C0}' | '\u{06C1}' | '\u{06C2}' | '\u{06C3}'
        | '\u{06D5}' | '\u{06FF}' => 'ه',
        // ة ھ ۀ ہ ۂ ۃ ە ۿ
        '\u{0624}' | '\u{0676}' | '\u{0677}' | '\u{06C4}' | '\u{06C5}' | '\u{06C6}'
        | '\u{06C7}' | '\u{06C8}' | '\u{06C9}' | '\u{06CA}' | '\u{06CB}' | '\u{06CF}'
        | '\u{0778}' | '\u{0779}' | '\u{08AB}' | '\u{08B1}' => 'و',
        // ؤ ٶ ٷ ۄ ۅ ۆ ۇ ۈ ۉ ۊ ۋ ۏ ݸ ݹ ࢫ ࢱ
        '\u{0620}' | '\u{0626}' | '\u{063D}' | '\u{063E}' | '\u{063F}' | '\u{0649}'
        | '\u{0678}' | '\u{06CC}' | '\u{06CD}' | '\u{06CE}' | '\u{06D0}' | '\u{06D1}'
        | '\u{06D2}' | '\u{06D3}' | '\u{0775}' | '\u{0776}' | '\u{0777}' | '\u{077A}'
        | '\u{077B}' | '\u{08A8}' | '\u{08A9}' | '\u{08AC}' | '\u{08BA}' => 'ي',
        // ؠ ئ ؽ ؾ ؿ ى ٸ ی ۍ ێ ې ۑ ے ۓ ݵ ݶ ݷ ݺ ݻ ࢨ ࢩ ࢬ ࢺ
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

/// Fold a lowercase letter that looks like a Latin letter to that letter: Cyrillic and
/// Greek look-alikes, Latin letters with a stroke, hook or bar that Unicode does not
/// decompose (`đ`, `ɗ`, `ł`, `ø`), small capitals (`ᴅᴀᴇꜱʜ`, what "fancy text" generators
/// give) and the Canadian syllabics those generators use as capitals (`ᗪᗩᗴᔕᕼ`).
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
        // Latin letters with marks Unicode does not decompose, and small capitals
        // (from their Unicode names: `LATIN ... LETTER [SMALL CAPITAL] X [WITH ...]`).
        'ᴀ' | 'ᶏ' | 'ⱥ' => 'a',
        'ƀ' | 'ƃ' | 'ɓ' | 'ʙ' | 'ᵬ' | 'ᶀ' | 'ꞗ' => 'b',
        'ƈ' | 'ȼ' | 'ɕ' | 'ᴄ' | 'ꞓ' | 'ꞔ' => 'c',
        'đ' | 'ƌ' | 'ȡ' | 'ɖ' | 'ɗ' | 'ᴅ' | 'ᵭ' | 'ᶁ' | 'ᶑ' | 'ꟈ' => 'd',
        'ɇ' | 'ɛ' | 'ᴇ' | 'ᶒ' | 'ⱸ' | 'ꬴ' => 'e',
        'ƒ' | 'ᵮ' | 'ᶂ' | 'ꜰ' | 'ꞙ' => 'f',
        'ǥ' | 'ɠ' | 'ɢ' | 'ʛ' | 'ᶃ' | 'ꞡ' => 'g',
        'ħ' | 'ɦ' | 'ʜ' | 'ⱨ' | 'ꞕ' => 'h',
        'ɨ' | 'ɪ' | 'ᶖ' => 'i',
        'ɉ' | 'ʝ' | 'ᴊ' => 'j',
        'ƙ' | 'ᴋ' | 'ᶄ' | 'ⱪ' | 'ꝁ' | 'ꝃ' | 'ꝅ' | 'ꞣ' => 'k',
        'ł' | 'ƚ' | 'ȴ' | 'ɫ' | 'ɬ' | 'ɭ' | 'ʟ' | 'ᴌ' | 'ᶅ' | 'ⱡ' | 'ꝉ' | 'ꞎ' | 'ꬷ' | 'ꬸ' | 'ꬹ' => {
            'l'
        }
        'ɱ' | 'ᴍ' | 'ᵯ' | 'ᶆ' | 'ꬺ' => 'm',
        'ƞ' | 'ȵ' | 'ɲ' | 'ɳ' | 'ɴ' | 'ᵰ' | 'ᶇ' | 'ꞑ' | 'ꞥ' | 'ꬻ' => 'n',
        'ø' | 'ɵ' | 'ᴏ' | 'ⱺ' | 'ꝋ' | 'ꝍ' => 'o',
        'ƥ' | 'ᴘ' | 'ᵱ' | 'ᵽ' | 'ᶈ' | 'ꝑ' | 'ꝓ' | 'ꝕ' => 'p',
        'ɋ' | 'ʠ' | 'ꝗ' | 'ꝙ' | 'ꞯ' => 'q',
        'ɍ' | 'ɼ' | 'ɽ' | 'ɾ' | 'ʀ' | 'ᵲ' | 'ᵳ' | 'ᶉ' | 'ꞧ' | 'ꭆ' | 'ꭉ' => 'r',
        'ȿ' | 'ʂ' | 'ֆ' | 'ᵴ' | 'ᶊ' | 'ꜱ' | 'ꞩ' | 'ꟊ' => 's',
        'ŧ' | 'ƫ' | 'ƭ' | 'ȶ' | 'ʈ' | 'ᴛ' | 'ᵵ' | 'ⱦ' => 't',
        'ᴜ' | 'ᶙ' | 'ꞹ' | 'ꭎ' | 'ꭒ' => 'u',
        'ʋ' | 'ᴠ' | 'ᶌ' | 'ⱱ' | 'ⱴ' | 'ꝟ' => 'v',
        'ᴡ' | 'ⱳ' => 'w',
        'ᶍ' | 'ꭖ' | 'ꭗ' | 'ꭘ' | 'ꭙ' => 'x',
        'ƴ' | 'ɏ' | 'ʏ' | 'ỿ' | 'ꭚ' => 'y',
        'ƶ' | 'ȥ' | 'ɀ' | 'ʐ' | 'ʑ' | 'ᴢ' | 'ᵶ' | 'ᶎ' | 'ⱬ' => 'z',
        // Canadian syllabics as fancy-text capitals.
        'ᗩ' => 'a',
        'ᗷ' => 'b',
        'ᑕ' => 'c',
        'ᗪ' => 'd',
        'ᗴ' | 'ᕮ' => 'e',
        'ᖴ' => 'f',
        'ᕼ' => 'h',
        'ᒍ' | 'ᒎ' => 'j',
        'ᒪ' => 'l',
        'ᗰ' => 'm',
        'ᑎ' => 'n',
        'ᑭ' => 'p',
        'ᑫ' => 'q',
        'ᖇ' => 'r',
        'ᔕ' => 's',
        'ᑌ' => 'u',
        'ᐯ' => 'v',
        'ᗯ' => 'w',
        'ᘔ' => 'z',
        _ => c,
    }
}

/// Text under a right-to-left override (U+202E, until U+202C, another embedding or
/// isolate, or the end of its paragraph) is shown reversed: `\u{202E}hsead` is read as
/// `daesh`. Put `stage[from..]` in the order it is shown, a source character's own
/// characters (a decomposed ligature) kept in theirs. Arabic-script and Hebrew letters are
/// right-to-left already, and the override shows them as written: text of those alone is
/// left as it is, and in text that mixes them with others each run of the others (Latin
/// words, digits, and the spaces and marks between them, not those at its ends) is put in
/// the order it is shown, in its place (`\u{202E}kcatta داعش` reads `attack داعش`).
fn unreverse(stage: &mut [(char, u32)], from: Option<usize>) {
    let Some(from) = from else { return };
    let seg = &mut stage[from..];
    let rtl = |c: char| ('\u{0590}'..='\u{08FF}').contains(&c);
    if !seg.iter().any(|&(c, _)| rtl(c)) {
        reverse_shown(seg);
        return;
    }
    if !seg.iter().any(|&(c, _)| c.is_alphanumeric() && !rtl(c)) {
        return;
    }
    let mut i = 0;
    while i < seg.len() {
        if rtl(seg[i].0) {
            i += 1;
            continue;
        }
        let j = i + seg[i..].iter().take_while(|t| !rtl(t.0)).count();
        // The spaces at its ends stay where they are, between it and the words beside.
        let lead = seg[i..j].iter().take_while(|t| t.0 == ' ').count();
        let trail = seg[i + lead..j]
            .iter()
            .rev()
            .take_while(|t| t.0 == ' ')
            .count();
        reverse_shown(&mut seg[i + lead..j - trail]);
        i = j;
    }
}

/// Reverse `seg`, a source character's own characters (a decomposed ligature) kept in
/// their order.
fn reverse_shown(seg: &mut [(char, u32)]) {
    seg.reverse();
    let mut i = 0;
    while i < seg.len() {
        let j = i + seg[i..].iter().take_while(|t| t.1 == seg[i].1).count();
        seg[i..j].reverse();
        i = j;
    }
}

/// Whether `c` is a regional indicator letter (U+1F1E6–U+1F1FF, `🇦`–`🇿`): two side by side
/// are drawn as a flag.
#[inline]
fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// A fancy-text letter that decomposition would not give as the letter: squared (`🄳`),
/// negative circled (`🅓`) and negative squared (`🅳`) capitals, which the emoji range
/// would keep as they are; parenthesized small letters (`⒟`, which decompose to `(d)`);
/// and `ǫ`, the small capital Q of fancy text (it decomposes to `o` with an ogonek).
#[inline]
fn fancy_letter(c: char) -> Option<char> {
    let from = match c as u32 {
        0x1F130..=0x1F149 => 0x1F130,
        0x1F150..=0x1F169 => 0x1F150,
        0x1F170..=0x1F189 => 0x1F170,
        0x249C..=0x24B5 => 0x249C,
        0x01EA | 0x01EB => return Some('q'),
        _ => return None,
    };
    char::from_u32('a' as u32 + c as u32 - from)
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
        self.out.overridden = false;
        // Where the text under a right-to-left override (U+202E) starts in `stage`.
        let mut rlo: Option<usize> = None;
        for (at, c) in text.char_indices() {
            let off = at as u32;
            if c.is_ascii() {
                if rlo.is_some() && matches!(c, '\n' | '\r' | '\x1c'..='\x1e') {
                    unreverse(stage, rlo.take());
                }
                let c = if c.is_ascii_control() || c == ' ' {
                    ' '
                } else {
                    c.to_ascii_lowercase()
                };
                stage.push((c, off));
            } else if is_stripped(c) {
                match c {
                    '\u{202E}' => {
                        self.out.overridden = true;
                        rlo.get_or_insert(stage.len());
                    }
                    '\u{202A}'..='\u{202D}' | '\u{2066}'..='\u{2069}' => {
                        unreverse(stage, rlo.take())
                    }
                    _ => {}
                }
            } else if is_arabic_block(c) {
                stage.push((fold_arabic(c), off));
            } else if let Some(l) = fancy_letter(c) {
                stage.push((l, off));
            } else if is_regional_indicator(c)
                && !text[..at]
                    .chars()
                    .next_back()
                    .is_some_and(is_regional_indicator)
                && !text[at + c.len_utf8()..]
                    .chars()
                    .next()
                    .is_some_and(is_regional_indicator)
            {
                // A regional indicator letter alone (`🇮 🇸 🇮 🇸`, or between zero-width
                // characters) is drawn as its letter in a box, not as a flag: read the
                // letter. Two side by side are a flag (`🇸🇾`), kept as it is.
                stage.push((char::from(b'a' + (c as u32 - 0x1F1E6) as u8), off));
            } else if ('\u{1F000}'..='\u{1FAFF}').contains(&c) {
                stage.push((c, off)); // emoji: kept as they are.
            } else if c.is_whitespace() || c == '\u{2800}' {
                if matches!(c, '\u{2029}' | '\u{85}') {
                    unreverse(stage, rlo.take());
                }
                // The blank braille pattern is drawn as a space and used as one.
                stage.push((' ', off));
            } else {
                decompose_compatible(c, |d| {
                    if is_combining_mark(d) || is_stripped(d) {
                        return;
                    }
                    if is_arabic_block(d) {
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
        unreverse(stage, rlo);
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
        let maybe_separated = tok.len() >= 5 && is_in_token_separator(tok[1].0);
        let mention = tok[0].0 == '@' && tok.len() > 1;
        let needs_leet = !mention
            && tok.iter().any(|(c, _)| leet(*c).is_some() || *c == '!')
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
        t.extend_from_slice(tok);
        // Entities first, so that what they stand for is read as if written (`a&lt;b&lt;c`
        // is spaced-out letters as `a<b<c` is).
        if has_entity {
            decode_entities(t);
        }
        // Letters spaced with separators inside one token: d.a.e.s.h, D-A-E-S-H, d‧a‧e‧s‧h,
        // d🔥a🔥e🔥s🔥h, d...a...e...s...h; leet characters among them stay, to fold below.
        let units = &mut self.units;
        units.clear();
        if t.len() >= 5 && is_in_token_separator(t[1].0) && separated_letters(t, units) {
            std::mem::swap(t, units);
        }
        // Leetspeak: a leet character next to a Latin letter becomes that letter, and `!`
        // between two (`k!ll`, not `wow!`) an `i`; repeat until nothing changes so that
        // chains (`1$1s`, `k!1l`) fold fully. Mentions keep digits. What the folding spells
        // may be an entity (`&l7;` is `&lt;`): it is decoded, and folded again, so that
        // normalising the output changes nothing.
        let mention = t[0].0 == '@' && t.len() > 1;
        if !mention && t.iter().any(|(c, _)| c.is_ascii_lowercase()) {
            while fold_leet(t) && t.iter().any(|(c, _)| *c == '&') {
                let before = t.len();
                decode_entities(t);
                if t.len() == before {
                    break;
                }
            }
        }
        push_collapsed(out, t);
        relink(out, from, t);
    }
}

/// Fold leetspeak in `t` (see `emit_token`) until nothing changes; whether anything did.
fn fold_leet(t: &mut [(char, u32)]) -> bool {
    let mut any = false;
    loop {
        let mut changed = false;
        for k in 0..t.len() {
            let left = k > 0 && t[k - 1].0.is_ascii_lowercase();
            let right = k + 1 < t.len() && t[k + 1].0.is_ascii_lowercase();
            if let Some(l) = leet(t[k].0) {
                if left || right {
                    t[k].0 = l;
                    changed = true;
                }
            } else if t[k].0 == '!' && left && right {
                t[k].0 = 'i';
                changed = true;
            }
        }
        if !changed {
            return any;
        }
        any = true;
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

/// `d.a.e.s.h`: single letters (or leet characters, `d.4.e.s.h`, with two letters at
/// least), three or more, each followed by a run of separators (the last optionally; of
/// any length, so that shortening runs to two does not change the answer and normalising
/// stays idempotent), and optionally sentence punctuation at the end (`d.a.e.s.h!`).
/// Pushes the letters to `out` (which it expects empty; what it holds after `false` is
/// not to be used) and says whether the token is one.
fn separated_letters(tok: &[(char, u32)], out: &mut Vec<(char, u32)>) -> bool {
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
        let c = tok[k].0;
        if !is_spacing_char(c) {
            return false;
        }
        letters += crate::features::is_alphabetic(c) as usize;
        out.push(tok[k]);
        k += 1;
        let run = tok[k..]
            .iter()
            .take_while(|(c, _)| is_in_token_separator(*c))
            .count();
        if k < tok.len() && run == 0 {
            return false;
        }
        k += run;
    }
    out.len() >= 3 && letters >= 2
}

/// A character that can stand between spaced-out letters inside one token: anything but a
/// letter, a digit or white space (`.`, `-`, `‧`, `∙`, `・`, `:`, `=`, `\\`, an emoji, ...).
#[inline]
fn is_in_token_separator(c: char) -> bool {
    !crate::features::is_alphanumeric(c) && !c.is_whitespace()
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
