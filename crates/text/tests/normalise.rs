//! Normalisation cases a reviewer would expect, and its invariants under any input.

use proptest::prelude::*;
use raqib_text::normalise;
use raqib_text::normalise::Normaliser;

fn check(input: &str, want: &str) {
    assert_eq!(normalise(input), want, "normalise({input:?})");
}

#[test]
fn arabic_diacritics_tatweel_and_letter_forms_fold() {
    check("الدَّوْلَةُ", "الدوله");
    check("الدولـــــة", "الدوله");
    check("أحمد إسلام آمنة ٱلله", "احمد اسلام امنه الله");
    check("مستشفى", "مستشفي");
    check("ؤ ئ", "و ي");
    check("ﻻ", "لا"); // presentation-form ligature
    check("ی ک", "ي ك"); // Persian yeh and kaf
}

/// What a reader of Arabic reads past and a keyword list does not: an Arabic word written
/// with the Persian, Urdu, Kurdish or Pashto letter drawn from the same Arabic letter.
#[test]
fn arabic_script_letters_of_other_languages_fold_to_the_arabic_letter() {
    check("دولۃ الخلافۃ", "دوله الخلافه"); // Urdu taa marbuta goal
    check("اڵډوڵة اڵإسلامېة ٻاڨيۃ ۆتټمدد", "الدوله الاسلاميه باقيه وتتمدد");
    // Each letter before an alef, so that the letters are words and not spaced-out ones.
    let each = |from: &str, to: &str| {
        let words = |t: &str| {
            t.chars()
                .map(|c| format!("{c}ا"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        check(&words(from), &words(to));
    };
    each("پچژڤگڭ", "بجزفكك"); // Persian, Moroccan
    each("ٹڈڑںھہے", "تدرنههي"); // Urdu
    each("ەێۆڵڕ", "هيولر"); // Kurdish
    each("ٮٯڡ", "بقف"); // dotless
    each("ݣࢪ", "كر"); // Arabic Supplement and Extended-A
    each("ﮐﯼ", "كي"); // presentation forms of keheh and Farsi yeh
}

/// Text under a right-to-left override is shown reversed, and read as shown: to the
/// override's end (U+202C, another embedding, a new paragraph) or the text's. Arabic under
/// one shows as written; a ligature keeps its letters' order.
#[test]
fn text_under_a_right_to_left_override_reads_as_shown() {
    check("\u{202e}hsead", "daesh");
    check("join \u{202e}kcatta eht\u{202c} now", "join the attack now");
    check("a \u{202e}cb\u{2066} ed", "a bc ed"); // an isolate ends it
    check("\u{202e}\u{fb01}x", "xfi"); // the ligature fi stays fi
    check("\u{202e}الدولة", "الدوله");
    check("\u{202e}الدولة باقية", "الدوله باقيه"); // Arabic alone: as written
                                                   // Mixed: each run of Latin (with its spaces and digits) reads as shown, in its place.
    check("\u{202e}kcatta داعش", "attack داعش");
    check("\u{202e}داعش eht nioj\u{202c} now", "داعش join the now");
    check("\u{202e}5102 عام", "2015 عام");
    let mut n = Normaliser::default();
    let text = "glad \u{202e}hafalihk";
    let out = n.run(text);
    assert!(out.overridden);
    let (a, b) = out.original_range(text, 5, out.chars.len());
    assert_eq!(&text[a..b], "\u{202e}hafalihk"[3..].to_string().as_str());
    assert!(!n.run("glad tidings").overridden);
}

/// What "fancy text" generators give for Latin letters that Unicode does not decompose.
#[test]
fn fancy_text_letters_fold_to_latin() {
    check("ᴅᴀᴇꜱʜ ǫ", "daesh q"); // small capitals
    check("🄳🄰🄴🅂🄷 🅓🅐🅔🅢🅗 🅳🅰🅴🆂🅷", "daesh daesh daesh"); // squared, negative
    check("⒟⒜⒠⒮⒣", "daesh"); // parenthesized
    check("ᗪᗩᗴᔕᕼ", "daesh"); // Canadian syllabics as capitals
    check("ɗaɇʂɦ đŧł", "daesh dtl"); // hooks and strokes
    check("🔴 🇸🇾 😀", "🔴 🇸🇾 😀"); // emoji and flags stay
    check("🇸🇾🇮🇶 news", "🇸🇾🇮🇶 news"); // flags side by side too
                                     // A regional indicator letter alone is drawn as its letter in a box: read the letter.
    check("🇮 🇸 🇮 🇸", "isis");
    check("🇩\u{200b}🇦\u{200b}🇪\u{200b}🇸\u{200b}🇭 now", "daesh now");
    check("j🇴in", "join");
}

#[test]
fn arabic_indic_and_persian_digits_become_ascii() {
    check("١٤٣٦ ۱۴۳۶", "1436 1436");
}

#[test]
fn script_language_counts_long_texts_whole() {
    // Far more letters of one script than a byte-wide count holds: the totals decide.
    let latin_wins = format!("{}{}", "a".repeat(1000), "ب".repeat(300));
    assert_eq!(raqib_text::script_language(&latin_wins), "und");
    let arabic_wins = format!("{}{}", "ب".repeat(600), "a".repeat(500));
    assert_eq!(raqib_text::script_language(&arabic_wins), "ar");
    assert_eq!(raqib_text::script_language(&"ب".repeat(5000)), "ar");
}

#[test]
fn zero_width_and_bidi_controls_vanish() {
    check("دا\u{200b}عش", "داعش");
    check("d\u{200d}a\u{200c}e\u{2066}s\u{202e}h\u{feff}", "daesh");
    check("is\u{00ad}is", "isis");
    check("da\u{1bca1}esh", "daesh"); // shorthand format control
    check("dae\u{2800}sh \u{2800}x", "dae sh x"); // the blank braille pattern is a space
}

#[test]
fn homoglyphs_and_compatibility_forms_fold_to_latin() {
    check("dаеsh", "daesh"); // Cyrillic а and е
    check("ＩＳＩＳ", "isis"); // fullwidth
    check("𝐜𝐚𝐥𝐢𝐩𝐡𝐚𝐭𝐞", "caliphate"); // mathematical bold
    check("Khilāfah", "khilafah");
    check("İSIS", "isis");
}

#[test]
fn leetspeak_folds_only_next_to_letters() {
    check("1s1s", "isis");
    check("d4esh", "daesh");
    check("isl@m", "islam");
    check("in 2015 we", "in 2015 we");
    check("@user_7 says", "@user_7 says");
    // `!` between two letters is an `i`, in chains too; sentence punctuation is not.
    check("k!ll the c!ty", "kill the city");
    check("k!1l3d", "kiiled");
    check("m!l1t4ry", "military");
    check("wow! really!!", "wow! really!!");
    check("!slam", "!slam");
    check("stop!!now", "stop!!now");
    // What the folding spells can be an entity: decoded, so a second pass changes nothing
    // (a proptest found `\u{202e}&amp;7L&amp;`, which reads `&l7;` reversed).
    check("a&l7;b", "a<b");
    check("\u{202e}&amp;7L&amp;", ";pma<pma&");
}

#[test]
fn spaced_out_letters_are_joined() {
    check("d.a.e.s.h", "daesh");
    check("D-A-E-S-H", "daesh");
    // Sentence punctuation after the last letter does not protect the spacing.
    check("d.a.e.s.h!", "daesh");
    check("join d.a.e.s.h?! now", "join daesh now");
    check("d.a.e.s.h.\"", "daesh");
    check("d a e s h", "daesh");
    check("د ا ع ش", "داعش");
    check("d . a . e . s . h now", "daesh now");
    check("a b", "a b"); // two letters are not enough
    check("I am here", "i am here");
    // Any separator inside a token, and runs of up to three: dots and bullets of other
    // kinds, punctuation, emoji.
    for sep in [
        "‧", "∙", "⋅", "・", ":", "=", "'", "^", "\\", "🔥", "..", "--", "...", "_-_",
    ] {
        check(&["d", "a", "e", "s", "h"].join(sep), "daesh");
        check(&["ط", "ا", "ئ", "ر", "ة"].join(sep), "طايره");
    }
    check("d.4.e.s.h", "daesh"); // leet among them folds
    check("d$a$e$s$h", "daesh"); // a leet character as the separator
                                 // Not spaced-out letters: words, times, abbreviations, longer runs, digits alone.
    check("I'm🔥on🔥fire", "i'm🔥on🔥fire");
    check(
        "U.S.-led 3:15:20 e.g. i.e., c'est",
        "u.s.-led 3:15:20 e.g. i.e., c'est",
    );
    check("d.....a.....e", "dae"); // however long the runs
    check("a&lt;b&lt;c", "abc"); // as `a<b<c`
    check("1.2.3.4", "1.2.3.4");
}

#[test]
fn urls_become_their_domain_and_tags_stay() {
    check(
        "see https://WWW.Example.org/path?q=1 now",
        "see url:example.org now",
    );
    check("http://t.co/AbC", "url:t.co");
    check("#دولة_الخلافة @Abu_X 🔻", "#دوله_الخلافه @abu_x 🔻");
}

#[test]
fn links_cut_by_a_truncation_mark_become_one_marker() {
    // The site is lost: one marker, whatever was left of it.
    for cut in [
        "https://…",
        "https:/…",
        "https:…",
        "https…",
        "http…",
        "HTTPS://…",
        "https://t…",
        "https://t.c…",
        "http://www.exam…",
        "www.exam…",
        "https://…...",
        "https://t...",
    ] {
        check(&format!("highlights here {cut}"), "highlights here url:...");
    }
    // The host is whole: the domain stays.
    check("read https://example.org/articl…", "read url:example.org");
    check("read www.example.org...", "read url:example.org");
    check("https://t.co/abc…", "url:t.co");
    // Not links: words and a lone start of a scheme without a mark.
    check("htt… http https", "htt.. http https");
    check("the game…", "the game..");
    check("...", "..");
    // A scheme with no host stays as it is (shortening `www` would make a host appear).
    check("https://www.", "https://www.");
    // What shortening runs or folding leetspeak makes a link is treated as one.
    check("hTTTTP......", "url:...");
    check("htttps://Example.org/x", "url:example.org");
    check("h77p5://example.org", "url:example.org");
}

#[test]
fn html_entities_are_decoded_once_and_for_all() {
    check("Q&amp;A &lt;3 &quot;x&quot;", "q&a <3 \"x\"");
    check("&amp;amp;lt;", "<");
    check("&AMP;", "&");
    check("a & b &unknown;", "a & b &unknown;");
}

#[test]
fn repeated_letters_and_spaces_shrink() {
    check("soooo   good\n\tnow", "soo good now");
    check("  ", "");
}

#[test]
fn offsets_point_into_the_original_text() {
    let text = "قال: الدَّوْلَةُ";
    let mut n = Normaliser::default();
    let out = n.run(text);
    let s: String = out.chars.iter().collect();
    let start = s.chars().position(|c| c == ' ').unwrap() + 1;
    let (a, b) = out.original_range(text, start, out.chars.len());
    assert_eq!(&text[a..b], "الدَّوْلَةُ".trim_end_matches('\u{064F}'));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn idempotent_on_any_string(s in any::<String>()) {
        let once = normalise(&s);
        prop_assert_eq!(normalise(&once), once.clone());
    }

    #[test]
    fn idempotent_on_evasion_shaped_strings(s in "([a-zA-Z0-9@$#_.! \\-ا-يًٌَُـ\u{200b}\u{202e}аеоі١٣ﻻ:/;&ۃڈپᴅꜱǫ🄳🅓⒟ᗪɗ🇸🇾🇦\u{0750}-\u{077F}\u{08A0}-\u{08FF}]|&amp;|&lt;|&#39;){0,40}") {
        let once = normalise(&s);
        prop_assert_eq!(normalise(&once), once.clone());
    }

    #[test]
    fn idempotent_on_link_shaped_strings(
        parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "http", "https", "://", ":/", ":", "/", "www.", "t.co", "t", "example", "org",
                ".", "..", "...", "…", " ", "a", "-", "?q=1", "HTTPS", "url:", "٣", "tt", "7",
                "5", "w", "&amp;", "h", "p", "s",
            ]),
            0..12,
        ),
    ) {
        let s: String = parts.concat();
        let once = normalise(&s);
        prop_assert_eq!(normalise(&once), once.clone());
    }

    /// A text written in a fancy-text style (small capitals, or squared, negative squared,
    /// negative circled or parenthesized letters) normalises as the text itself.
    #[test]
    fn fancy_text_normalises_as_its_plain_text(
        s in "[a-zA-Z0-9 ,.!#]{0,60}",
        style in 0usize..5,
    ) {
        const SMALL: &str = "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡxʏᴢ";
        let fancy: String = s
            .chars()
            .map(|c| {
                if !c.is_ascii_alphabetic() {
                    return c;
                }
                let i = c.to_ascii_lowercase() as u32 - 'a' as u32;
                let base = [0, 0x1F130, 0x1F170, 0x1F150, 0x249C][style];
                if style == 0 {
                    SMALL.chars().nth(i as usize).unwrap()
                } else {
                    char::from_u32(base + i).unwrap()
                }
            })
            .collect();
        prop_assert_eq!(normalise(&fancy), normalise(&s), "{}", fancy);
    }

    /// An Arabic text with any of its letters written as a Persian, Urdu, Kurdish or Pashto
    /// look-alike normalises as the text itself.
    #[test]
    fn arabic_with_look_alike_letters_normalises_as_itself(
        s in "[ابتجدرزفقكلنهوية ]{0,40}",
        picks in proptest::collection::vec(0usize..8, 40),
    ) {
        let alike = |c: char| -> &'static str {
            match c {
                'ا' => "ٱٲٵ",
                'ب' => "پٻٮڀ",
                'ت' => "ٹټٺ",
                'ج' => "چڃ",
                'د' => "ڈډڊ",
                'ر' => "ڑړڕ",
                'ز' => "ژ",
                'ف' => "ڤڡڥ",
                'ق' => "ڨٯ",
                'ك' => "کڪګگڭ",
                'ل' => "ڵڶ",
                'ن' => "ںڼڻ",
                'ه' => "ہھەۀ",
                'و' => "ۆۇۋ",
                'ي' => "یےېێ",
                'ة' => "ۃ",
                _ => "",
            }
        };
        let written: String = s
            .chars()
            .zip(picks.iter().cycle())
            .map(|(c, &k)| {
                let a: Vec<char> = alike(c).chars().collect();
                if a.is_empty() || k >= a.len() { c } else { a[k] }
            })
            .collect();
        prop_assert_eq!(normalise(&written), normalise(&s), "{}", written);
    }

    /// A word's letters with any run of one to three non-letters between them inside one
    /// token normalise as the word.
    #[test]
    fn letters_separated_inside_a_token_join(
        word in "([a-z]{3,10}|[ابتجدرزسشصطعفقكلمنوي]{3,8})",
        seps in proptest::collection::vec("[.\\-_*:=^'~|/\\\\‧∙⋅・🔥⭐]{1,3}", 10),
    ) {
        let mut spaced = String::new();
        for (i, c) in word.chars().enumerate() {
            if i > 0 {
                spaced += &seps[i % seps.len()];
            }
            spaced.push(c);
        }
        prop_assert_eq!(normalise(&spaced), normalise(&word), "{}", spaced);
    }

    #[test]
    fn script_language_counts_arabic_against_latin_letters(
        s in "([a-zA-Z0-9 .@]|[ا-ي]|[\u{0600}-\u{07FF}]|[а-я]|[\u{00C0}-\u{02FF}]){0,400}",
    ) {
        // Up to 800 bytes: counts are kept per block of 255 bytes, so long texts cross
        // several blocks (and an all-Arabic block counts 255 lead bytes, the most a
        // byte-wide counter holds).
        let arabic = s.chars().filter(|c| ('\u{0600}'..='\u{077F}').contains(c)).count();
        let latin = s.chars().filter(|c| c.is_ascii_alphabetic()).count();
        let want = if arabic > 0 && arabic >= latin { "ar" } else { "und" };
        prop_assert_eq!(raqib_text::script_language(&s), want);
    }

    #[test]
    fn every_output_char_maps_to_a_char_boundary(s in any::<String>()) {
        let mut n = Normaliser::default();
        let out = n.run(&s);
        prop_assert_eq!(out.chars.len(), out.src.len());
        for &o in &out.src {
            prop_assert!(s.is_char_boundary(o as usize) && (o as usize) < s.len().max(1));
        }
    }
}
