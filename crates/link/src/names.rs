//! Handles and display names reduced to what survives the mutations returning accounts
//! use: case, homoglyphs, leetspeak, separators, digit runs, and a change of script
//! between Arabic and Latin.

use raqib_text::Normaliser;

/// A handle split into the parts that returning accounts keep and change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HandleParts {
    /// Letters only: lowercased, homoglyphs and leetspeak folded, separators and the
    /// trailing digit run removed (`Abu_X_07` → `abux`).
    pub stem: String,
    /// The trailing digit run as a number, if any (`abu_x_07` → 7).
    pub digits: Option<u64>,
    /// The consonant key of the stem (see [`consonant_key`]).
    pub consonants: String,
}

/// Split a handle (with or without `@`) into stem, trailing number and consonant key.
pub fn handle_parts(norm: &mut Normaliser, handle: &str) -> HandleParts {
    let h = handle.trim().trim_start_matches('@');
    // The trailing run of ASCII digits, before leetspeak folding can eat it.
    let body_end = h
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map_or(h.len(), |(i, _)| i);
    let digits = h[body_end..].parse::<u64>().ok();
    let body = h[..body_end].trim_end_matches(['_', '-', '.']);
    let stem = letters(norm, body);
    let consonants = consonant_key(&stem);
    HandleParts {
        stem,
        digits,
        consonants,
    }
}

/// Letters and digits of `s` after raqib's normalisation (case, homoglyphs, leetspeak,
/// Arabic folding), with Arabic transliterated to Latin.
pub fn letters(norm: &mut Normaliser, s: &str) -> String {
    // Separators inside a handle (`abu_x`) are word breaks to the normaliser, which then
    // would not fold leetspeak across them; spaces keep the words apart and are dropped.
    let spaced: String = s
        .chars()
        .map(|c| if matches!(c, '_' | '-' | '.') { ' ' } else { c })
        .collect();
    name_words(norm, &spaced).concat()
}

/// A display name as space-separated normalised, transliterated words.
pub fn name_words(norm: &mut Normaliser, name: &str) -> Vec<String> {
    let n = norm.run(name);
    let mut words = Vec::new();
    let mut cur = String::new();
    for &c in &n.chars {
        if let Some(t) = translit(c) {
            cur.push_str(t);
        } else if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Arabic letters (after raqib's Arabic folding) to a common Latin transliteration.
fn translit(c: char) -> Option<&'static str> {
    Some(match c {
        'ا' => "a",
        'ب' => "b",
        'ت' => "t",
        'ث' => "th",
        'ج' => "j",
        'ح' => "h",
        'خ' => "kh",
        'د' => "d",
        'ذ' => "dh",
        'ر' => "r",
        'ز' => "z",
        'س' => "s",
        'ش' => "sh",
        'ص' => "s",
        'ض' => "d",
        'ط' => "t",
        'ظ' => "z",
        'ع' | 'ء' => "",
        'غ' => "gh",
        'ف' => "f",
        'ق' => "q",
        'ك' => "k",
        'ل' => "l",
        'م' => "m",
        'ن' => "n",
        'ه' => "h",
        'و' => "w",
        'ي' => "y",
        'پ' => "p",
        'چ' => "ch",
        'ژ' => "zh",
        'گ' => "g",
        _ => return None,
    })
}

/// The consonant skeleton of transliterated Latin text: the letters that stay when a name
/// is written in either script (`muhammad`, `mohammed` and `محمد` all give `mhmd`).
/// Digraphs fold to their first letter, `q` to `k`, vowels and the glides `w`, `y` drop,
/// doubled letters collapse.
pub fn consonant_key(latin: &str) -> String {
    let b = latin.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let mut c = b[i];
        if i + 1 < b.len()
            && b[i + 1] == b'h'
            && matches!(c, b't' | b'k' | b's' | b'd' | b'g' | b'c')
        {
            i += 1;
        }
        if c == b'q' {
            c = b'k';
        }
        if c == b'j' {
            c = b'g';
        }
        i += 1;
        if !c.is_ascii_alphabetic() || matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y' | b'w') {
            continue;
        }
        if out.as_bytes().last() != Some(&c) {
            out.push(c as char);
        }
    }
    out
}

/// Whether most letters of `s` are Arabic script.
pub fn is_arabic(s: &str) -> bool {
    let (mut ar, mut other) = (0, 0);
    for c in s.chars().filter(|c| c.is_alphabetic()) {
        if ('\u{0600}'..='\u{06FF}').contains(&c) || ('\u{0750}'..='\u{077F}').contains(&c) {
            ar += 1;
        } else {
            other += 1;
        }
    }
    ar > other
}

/// Similarity of two short strings in [0, 1]: 1 − Levenshtein distance / longer length.
pub fn edit_similarity(a: &str, b: &str) -> f32 {
    // Handles and names are short: compare the first 64 characters.
    let mut ab = [0u32; 64];
    let mut bb = [0u32; 64];
    let la = fill(a, &mut ab);
    let lb = fill(b, &mut bb);
    let n = la.max(lb);
    if n == 0 {
        return 0.0;
    }
    let (a, b) = (&ab[..la], &bb[..lb]);
    let mut prev = [0usize; 65];
    let mut cur = [0usize; 65];
    for (j, p) in prev.iter_mut().enumerate().take(lb + 1) {
        *p = j;
    }
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    1.0 - prev[lb] as f32 / n as f32
}

fn fill(s: &str, out: &mut [u32; 64]) -> usize {
    let mut n = 0;
    for c in s.chars().take(64) {
        out[n] = c as u32;
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parts(h: &str) -> HandleParts {
        handle_parts(&mut Normaliser::default(), h)
    }

    #[test]
    fn handle_mutations_share_a_stem() {
        let a = parts("abu_x_6");
        assert_eq!(a.stem, "abux");
        assert_eq!(a.digits, Some(6));
        assert_eq!(parts("@Abu_X_07").stem, "abux");
        assert_eq!(parts("@Abu_X_07").digits, Some(7));
        // Leetspeak and Cyrillic homoglyphs inside the handle.
        assert_eq!(parts("4bu_x9").stem, "abux");
        assert_eq!(parts("аbu.х").stem, "abux");
        assert_eq!(parts("abux").digits, None);
    }

    #[test]
    fn consonant_key_bridges_scripts_and_spellings() {
        let mut n = Normaliser::default();
        let k = |s: &str, n: &mut Normaliser| consonant_key(&letters(n, s));
        assert_eq!(k("muhammad", &mut n), "mhmd");
        assert_eq!(k("Mohammed", &mut n), "mhmd");
        assert_eq!(k("محمد", &mut n), "mhmd");
        assert_eq!(k("qasim", &mut n), k("قاسم", &mut n));
        assert_eq!(k("khalid", &mut n), k("خالد", &mut n));
    }

    #[test]
    fn name_words_are_transliterated() {
        let mut n = Normaliser::default();
        assert_eq!(name_words(&mut n, "أبو محمد"), vec!["abw", "mhmd"]);
        assert_eq!(
            name_words(&mut n, "Abu  MOHAMMED!"),
            vec!["abu", "mohammed"]
        );
    }

    #[test]
    fn arabic_script_is_detected() {
        assert!(is_arabic("أبو محمد x"));
        assert!(!is_arabic("abu bakr محمد"));
    }

    #[test]
    fn edit_similarity_bounds() {
        assert_eq!(edit_similarity("abc", "abc"), 1.0);
        assert_eq!(edit_similarity("", ""), 0.0);
        assert!((edit_similarity("abux", "abox") - 0.75).abs() < 1e-6);
    }

    proptest! {
        #[test]
        fn never_panics_and_is_ascii(s in "\\PC{0,40}") {
            let p = parts(&s);
            prop_assert!(p.consonants.is_ascii());
            let _ = edit_similarity(&s, &p.stem);
            let _ = name_words(&mut Normaliser::default(), &s);
        }
    }
}
