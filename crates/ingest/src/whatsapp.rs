//! WhatsApp's "Export chat": a text file (`WhatsApp Chat with NAME.txt` on Android,
//! `_chat.txt` on iPhone) of one chat's messages, each starting on a line with its date,
//! time and sender, and running on over the lines after it:
//!
//! ```text
//! 31/12/2020, 21:41 - Name: text                 (Android)
//! 12/31/20, 9:41 PM - Name: text                 (Android, US)
//! [31/12/2020, 21:41:05] Name: text              (iPhone)
//! ٣١/١٢/٢٠٢٠، ٩:٤١ م - Name: text                 (Arabic)
//! ```
//!
//! The date is the phone's, in its locale: day or month first, two- or four-digit years,
//! Arabic-Indic digits, 12- or 24-hour times, `AM`/`PM` or `ص`/`م`, direction marks.
//! The time is the phone's local time: taken as UTC unless `--utc-offset` gives the
//! phone's zone ([`crate::Options::utc_offset_for`]).
//! Whether the day or the month comes first is decided once a file, from its first 64 KiB:
//! a first number over 12 is a day, a second over 12 is a day; with neither, times with a
//! Latin `AM`/`PM` mean month first (the United States' way), else day first (Arabic
//! locales write `ص`/`م` and the day first). Solar Hijri years (a phone set to Persian,
//! 1380–1430) and lunar Hijri ones (a phone set to the Hijri calendar, 1431–1500, read by
//! Umm al-Qura's tables) are turned into Gregorian days, Buddhist ones (a phone in
//! Thailand) into Gregorian years; other years before 2009 or after 2199 leave the post
//! without a time. Two-digit years are read in the calendar the file's first lines make
//! possible ([`short_years`]).
//!
//! Each message is a post of the chat (its id `CHAT/LINE`, the chat named by the file,
//! the line its message starts on), its sender an account (the name as the phone shows it,
//! or the number). System lines ("Messages and calls are end-to-end encrypted", "X
//! joined"; on iPhone, a line from the chat itself whose text opens with a left-to-right
//! mark) and deleted messages make no post. Attachments (`IMG-….jpg (file attached)`,
//! `<attached: 00000012-PHOTO-….jpg>`, `<Media omitted>`, `image omitted`) are media; links
//! in the text are its URLs.
//!
//! Read as a stream: the reading thread finds where messages start (a line that opens with
//! a date) and hands each message on as one line (its chat, the date order, the text with
//! its line breaks made a separator byte); the workers parse them, as JSON Lines are read.

use std::collections::VecDeque;
use std::sync::Arc;

use raqib_model::{Diagnostic, MediaRef, Post, Record};

use crate::source::Source;
use crate::{Chunk, Item, LineFormat, Reader, FIELD_SEP};

/// Stands for a line break inside a message's line (a control character WhatsApp does
/// not write: a message's own ones are dropped when it is read).
const BREAK: u8 = 0x1e;

/// A message's header: its date and time, and where the rest of the line starts.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Header {
    /// The date's three numbers as written, and whether the first has four digits (a year).
    date: [u32; 3],
    year_first: bool,
    hour: u32,
    minute: u32,
    second: u32,
    /// `Some(true)` for PM, `Some(false)` for AM, `None` for a 24-hour time.
    pm: Option<bool>,
    /// Whether AM or PM was written in Latin letters (as in the United States).
    latin_ampm: bool,
    rest: usize,
}

/// An invisible mark phones put before a line or around a name: byte-order mark,
/// direction marks and embeddings.
fn is_mark(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// The length of the mark [`is_mark`] at the start of `b` (each is three bytes), else 0.
fn mark_len(b: &[u8]) -> usize {
    // Every mark's UTF-8 starts with one of these; most lines' first byte is a digit.
    if !matches!(b.first(), Some(0xE2 | 0xEF)) {
        return 0;
    }
    let first = b
        .get(..3)
        .and_then(|c| std::str::from_utf8(c).ok())
        .and_then(|s| s.chars().next());
    if first.is_some_and(is_mark) {
        3
    } else {
        0
    }
}

/// A space as phones write them in dates: plain, no-break, narrow no-break.
fn space_len(b: &[u8]) -> usize {
    match b {
        [b' ', ..] => 1,
        [0xC2, 0xA0, ..] => 2,
        [0xE2, 0x80, 0xAF, ..] => 3,
        _ => mark_len(b),
    }
}

fn skip(b: &[u8], mut i: usize, len: fn(&[u8]) -> usize) -> usize {
    while i < b.len() {
        let n = len(&b[i..]);
        if n == 0 {
            break;
        }
        i += n;
    }
    i
}

/// A digit: ASCII, Arabic-Indic or Persian; its value and length.
fn digit(b: &[u8]) -> Option<(u32, usize)> {
    match b {
        [c @ b'0'..=b'9', ..] => Some(((c - b'0') as u32, 1)),
        [0xD9, c @ 0xA0..=0xA9, ..] => Some(((c - 0xA0) as u32, 2)),
        [0xDB, c @ 0xB0..=0xB9, ..] => Some(((c - 0xB0) as u32, 2)),
        _ => None,
    }
}

/// A number of `min..=max` digits at `i`: its value, its digit count, and where it ends.
fn number(b: &[u8], i: usize, min: usize, max: usize) -> Option<(u32, usize, usize)> {
    let (mut v, mut n, mut at) = (0u32, 0usize, i);
    while n < max {
        let Some((d, len)) = b.get(at..).and_then(digit) else {
            break;
        };
        v = v * 10 + d;
        n += 1;
        at += len;
    }
    (n >= min).then_some((v, n, at))
}

/// The header a message's first line opens with, if it opens with one.
fn header(b: &[u8]) -> Option<Header> {
    let mut i = skip(b, 0, mark_len);
    let bracket = b.get(i) == Some(&b'[');
    if bracket {
        i += 1;
    }
    let (d1, n1, at) = number(b, i, 1, 4)?;
    let sep = *b.get(at)?;
    if !matches!(sep, b'/' | b'.' | b'-') {
        return None;
    }
    // Korean writes `2026. 12. 31.`: a space after each dot, and one after the day.
    let gap = |at: usize| {
        if sep == b'.' {
            skip(b, at, space_len)
        } else {
            at
        }
    };
    let (d2, _, at) = number(b, gap(at + 1), 1, 2)?;
    if b.get(at) != Some(&sep) {
        return None;
    }
    let (d3, _, mut i) = number(b, gap(at + 1), 1, 4)?;
    if sep == b'.' && n1 == 4 && b.get(i) == Some(&b'.') {
        i += 1;
    }
    // A comma (Latin or Arabic) or a space, or both, between the date and the time; in
    // French, " à ".
    let before = i;
    if b.get(i) == Some(&b',') {
        i += 1;
    } else if b[i..].starts_with("،".as_bytes()) {
        i += 2;
    }
    i = skip(b, i, space_len);
    if i > before && b[i..].starts_with("à ".as_bytes()) {
        i = skip(b, i + "à".len(), space_len);
    }
    if i == before {
        return None;
    }
    // Korean, Chinese and Japanese write the half of the day before the time.
    let mut pm = None;
    for (word, is_pm) in [
        ("오전", false),
        ("오후", true),
        ("上午", false),
        ("下午", true),
        ("午前", false),
        ("午後", true),
    ] {
        if b[i..].starts_with(word.as_bytes()) {
            pm = Some(is_pm);
            i = skip(b, i + word.len(), space_len);
            break;
        }
    }
    let (hour, _, at) = number(b, i, 1, 2)?;
    // `21:41`, or `21.41` (Indonesian, Finnish, Danish).
    let colon = *b.get(at)?;
    if !matches!(colon, b':' | b'.') {
        return None;
    }
    let (minute, _, mut i) = number(b, at + 1, 2, 2)?;
    let mut second = 0;
    if b.get(i) == Some(&colon) {
        let (s, _, at) = number(b, i + 1, 2, 2)?;
        second = s;
        i = at;
    }
    let after_time = i;
    i = skip(b, i, space_len);
    let mut latin = false;
    let mut marked_after = false;
    for (word, is_pm) in [
        (&b"AM"[..], false),
        (b"PM", true),
        (b"am", false),
        (b"pm", true),
        (b"a.m.", false),
        (b"p.m.", true),
        (b"A.M.", false),
        (b"P.M.", true),
        // Spanish: `p. m.`, its space often a no-break one; day first, so not "latin".
        (b"a. m.", false),
        (b"p. m.", true),
        ("a.\u{a0}m.".as_bytes(), false),
        ("p.\u{a0}m.".as_bytes(), true),
        ("ص".as_bytes(), false),
        ("م".as_bytes(), true),
    ] {
        if pm.is_some() {
            break;
        }
        if b[i..].starts_with(word) {
            pm = Some(is_pm);
            latin = word[0].is_ascii() && !word.contains(&b' ') && !word.contains(&0xa0);
            i += word.len();
            marked_after = true;
            break;
        }
    }
    if !marked_after {
        i = after_time;
    }
    if bracket {
        if b.get(i) != Some(&b']') {
            return None;
        }
        i += 1;
        i = skip(b, i, space_len);
    } else {
        i = skip(b, i, space_len);
        // " - " (a hyphen, or a dash some locales use).
        if b.get(i) == Some(&b'-') {
            i += 1;
        } else if b[i..].starts_with("–".as_bytes()) {
            i += "–".len();
        } else {
            return None;
        }
        i = skip(b, i, space_len);
    }
    if hour > 23 || minute > 59 || second > 59 || (pm.is_some() && !(1..=12).contains(&hour)) {
        return None;
    }
    Some(Header {
        date: [d1, d2, d3],
        year_first: n1 == 4,
        hour,
        minute,
        second,
        pm,
        latin_ampm: latin,
        rest: i,
    })
}

/// Which of a date's first two numbers is the day, for a file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum DateOrder {
    DayFirst,
    MonthFirst,
}

/// The calendar of a file's two-digit years (`1/12/69`): a phone's short date writes the
/// year of its own calendar, cut to two digits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ShortYears {
    /// 20yy.
    Gregorian,
    /// 25yy: a phone set to the Buddhist calendar (Thailand's), 2569 being 2026.
    Buddhist,
    /// 14yy: a phone set to the lunar Hijri calendar.
    Hijri,
}

/// The byte a message line carries for its file's date order and two-digit years.
fn style_byte(order: DateOrder, short: ShortYears) -> u8 {
    let b = match short {
        ShortYears::Gregorian => b'd',
        ShortYears::Buddhist => b'b',
        ShortYears::Hijri => b'h',
    };
    match order {
        DateOrder::DayFirst => b,
        DateOrder::MonthFirst => b.to_ascii_uppercase(),
    }
}

/// The date order and two-digit years a [`style_byte`] stands for.
fn of_style_byte(b: u8) -> (DateOrder, ShortYears) {
    let order = if b.is_ascii_uppercase() || b == b'm' {
        DateOrder::MonthFirst
    } else {
        DateOrder::DayFirst
    };
    let short = match b.to_ascii_lowercase() {
        b'b' => ShortYears::Buddhist,
        b'h' => ShortYears::Hijri,
        _ => ShortYears::Gregorian,
    };
    (order, short)
}

/// The current year, by the clock.
fn this_year() -> u32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    1970 + (secs / 31_556_952) as u32
}

/// The calendar of the two-digit years of a file whose first bytes are `head`, by what
/// can be: a chat holds no message from after it was exported. Where every two-digit year
/// would be a Gregorian year to come (20yy after next year), they are Buddhist where they
/// are 52 or more (2552, 2009, is WhatsApp's first year) and lunar Hijri where they are
/// 30 to 51 (1430 began in 2008); otherwise, and where there is none, Gregorian.
pub(crate) fn short_years(head: &[u8], year: u32) -> ShortYears {
    let years: Vec<u32> = head
        .split(|&b| b == b'\n')
        .filter_map(header)
        .filter(|h| !h.year_first && h.date[2] < 100)
        .map(|h| h.date[2])
        .collect();
    let next = (year + 1) % 100;
    if years.is_empty() || years.iter().any(|&y| y <= next) || year >= 2099 {
        ShortYears::Gregorian
    } else if years.iter().all(|&y| y >= 52) {
        ShortYears::Buddhist
    } else if years.iter().all(|&y| (30..52).contains(&y)) {
        ShortYears::Hijri
    } else {
        ShortYears::Gregorian
    }
}

/// The date order of a file whose first bytes are `head` (see the module's comment).
pub(crate) fn date_order(head: &[u8]) -> DateOrder {
    let (mut day_first, mut month_first, mut twelve_hour) = (0, 0, 0);
    for line in head.split(|&b| b == b'\n') {
        let Some(h) = header(line) else { continue };
        if h.year_first {
            continue;
        }
        day_first += (h.date[0] > 12) as u32;
        month_first += (h.date[1] > 12) as u32;
        twelve_hour += h.latin_ampm as u32;
    }
    match (day_first > 0, month_first > 0) {
        (true, false) => DateOrder::DayFirst,
        (false, true) => DateOrder::MonthFirst,
        (false, false) if twelve_hour > 0 => DateOrder::MonthFirst,
        _ => DateOrder::DayFirst,
    }
}

/// Whether `head` (a file's first bytes) opens with a WhatsApp message.
pub(crate) fn looks_like_whatsapp(head: &[u8]) -> bool {
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    header(first).is_some_and(|h| {
        // A date and time are not enough (a log line has them): the rest is a message.
        let rest = &first[h.rest..];
        !rest.is_empty() && !rest.starts_with(b"{") && !rest.starts_with(b"\"")
    })
}

/// Whether a file is named as WhatsApp names its exports: `WhatsApp Chat with NAME.txt`,
/// `_chat.txt` (compressed or not).
pub fn is_chat_file_name(path: &str) -> bool {
    let name = std::path::Path::new(crate::strip_compression_ext(path))
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name == "_chat.txt" || (name.starts_with("WhatsApp Chat") && name.ends_with(".txt"))
}

/// The chat a file holds, from its name: `WhatsApp Chat with NAME.txt` (Android),
/// `_chat.txt` in a folder `WhatsApp Chat - NAME` (iPhone), else the file's name.
pub(crate) fn chat_name(path: &str) -> String {
    let p = std::path::Path::new(crate::strip_compression_ext(path));
    let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned());
    let named = |s: &str| {
        for prefix in ["WhatsApp Chat with ", "WhatsApp Chat - ", "WhatsApp Chat "] {
            if let Some(n) = s.strip_prefix(prefix).filter(|n| !n.trim().is_empty()) {
                return n.trim().to_string();
            }
        }
        s.to_string()
    };
    match stem.as_deref() {
        None | Some("") | Some("-") => "whatsapp".to_string(),
        // The folder it is in, or the zip it came in (`WhatsApp Chat - NAME.zip`, read as
        // the folder it holds).
        Some("_chat") => p
            .parent()
            .and_then(|d| d.file_name())
            .map(|d| {
                let d = d.to_string_lossy();
                let len = d.len();
                let d = match d.get(len.saturating_sub(4)..) {
                    Some(ext) if ext.eq_ignore_ascii_case(".zip") => &d[..len - 4],
                    _ => &d[..],
                };
                named(d)
            })
            .unwrap_or_else(|| "whatsapp".to_string()),
        Some(s) => named(s),
    }
}

/// A message line's date as seconds since 1970 (the phone's time taken as UTC), two-digit
/// years read as 20yy.
#[cfg(test)]
fn timestamp(h: &Header, order: DateOrder) -> Option<i64> {
    timestamp_in(h, order, ShortYears::Gregorian)
}

/// A message line's date as seconds since 1970 (the phone's time taken as UTC), two-digit
/// years read in the file's calendar.
fn timestamp_in(h: &Header, order: DateOrder, short: ShortYears) -> Option<i64> {
    let [a, b, c] = h.date;
    let (y, m, d) = if h.year_first {
        (a, b, c)
    } else {
        match order {
            DateOrder::DayFirst => (c, b, a),
            DateOrder::MonthFirst => (c, a, b),
        }
    };
    let y = match short {
        _ if y >= 100 => y,
        ShortYears::Gregorian => 2000 + y,
        ShortYears::Buddhist => 2500 + y,
        ShortYears::Hijri => 1400 + y,
    };
    let hour = match h.pm {
        Some(true) => h.hour % 12 + 12,
        Some(false) => h.hour % 12,
        None => h.hour,
    };
    let date = match y {
        // A phone set to Persian writes the Solar Hijri calendar (1388 began in 2009;
        // 1380 to 1430 are 2001 to 2051).
        1380..=1430 => solar_hijri(y as i32, m, d)?,
        // A phone set to the lunar Hijri calendar (Saudi Arabia's first by CLDR, Umm
        // al-Qura; 1431 began in December 2009).
        1431..=1500 => umm_al_qura(y, m, d)?,
        // Before WhatsApp: no time rather than a wrong one.
        ..2009 => return None,
        2009..=2199 => chrono::NaiveDate::from_ymd_opt(y as i32, m, d)?,
        // A phone set to the Buddhist calendar (an iPhone in Thailand, by default) writes
        // the Gregorian day with 543 added to the year (2569 is 2026).
        2552..=2742 => chrono::NaiveDate::from_ymd_opt(y as i32 - 543, m, d)?,
        // No calendar a phone writes: no time rather than a wrong one.
        _ => return None,
    };
    Some(
        date.and_hms_opt(hour, h.minute, h.second)?
            .and_utc()
            .timestamp(),
    )
}

/// Which months of the Umm al-Qura years 1431 to 1500 have 30 days (bit 0 the first month,
/// Muharram); the others have 29. From the calendar's published tables (Umm al-Qura
/// University and the King Abdulaziz City for Science and Technology, as the `hijridate`
/// Python package holds them).
const UMM_AL_QURA: [u16; 70] = [
    0x956, 0x2ae, 0x56d, 0x36a, 0xb55, 0xaaa, 0x94d, 0x49d, 0x95d, 0x2ba, 0x5b5, 0x5aa, 0xd55,
    0xa9a, 0x92e, 0x26e, 0x55d, 0xada, 0x6d4, 0x6a5, 0x54b, 0xa97, 0x54e, 0xaae, 0x5ac, 0xba9,
    0xd92, 0xb25, 0x64b, 0xcab, 0x55a, 0xb55, 0x6d2, 0xea5, 0xe4a, 0xa95, 0x52d, 0xaad, 0x36c,
    0x759, 0x6d2, 0x695, 0x52d, 0xa5b, 0x4ba, 0x9ba, 0x3b4, 0xb69, 0xb52, 0xaa6, 0x4b6, 0x96d,
    0x2ec, 0x6d9, 0xeb2, 0xd54, 0xd2a, 0xa56, 0x4ae, 0x96d, 0xd6a, 0xb54, 0xb29, 0xa93, 0x52b,
    0xa57, 0x536, 0xab5, 0x6aa, 0xe93,
];

/// The first year of [`UMM_AL_QURA`].
const UMM_AL_QURA_FROM: u32 = 1431;

/// The Gregorian date of a lunar Hijri one by the Umm al-Qura calendar, Saudi Arabia's
/// (a phone set to another Islamic calendar, the astronomical, civil or tabular one, may
/// differ from it by a day or two). `None` outside 1431–1500 or for a day the month does
/// not have.
fn umm_al_qura(y: u32, m: u32, d: u32) -> Option<chrono::NaiveDate> {
    let year = *UMM_AL_QURA.get(y.checked_sub(UMM_AL_QURA_FROM)? as usize)?;
    if !(1..=12).contains(&m) {
        return None;
    }
    let len = |bits: u16, month: u32| 29 + u32::from(bits >> (month - 1) & 1);
    if d == 0 || d > len(year, m) {
        return None;
    }
    let years: u32 = UMM_AL_QURA[..(y - UMM_AL_QURA_FROM) as usize]
        .iter()
        .map(|&b| 12 * 29 + b.count_ones())
        .sum();
    let months: u32 = (1..m).map(|k| len(year, k)).sum();
    // 1 Muharram 1431 was 18 December 2009.
    chrono::NaiveDate::from_ymd_opt(2009, 12, 18)?
        .checked_add_days(chrono::Days::new(u64::from(years + months + d - 1)))
}

/// The Gregorian date of a Solar Hijri (Jalali) one, by the 33-year cycles of the
/// calendar's leap years as Borkowski's arithmetic gives them (the `jalaali` libraries'
/// `jalCal`): exact for the years here. `None` for a day the month does not have.
fn solar_hijri(jy: i32, jm: u32, jd: u32) -> Option<chrono::NaiveDate> {
    const BREAKS: [i32; 20] = [
        -61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324,
        2394, 2456, 3178,
    ];
    let month_days = match jm {
        1..=6 => 31,
        7..=11 => 30,
        12 => 30,
        _ => return None,
    };
    if jd == 0 || jd > month_days {
        return None;
    }
    let gy = jy + 621;
    let (mut leap_j, mut jp, mut jump) = (-14, BREAKS[0], 0);
    for &jm_break in &BREAKS[1..] {
        jump = jm_break - jp;
        if jy < jm_break {
            break;
        }
        leap_j += jump.div_euclid(33) * 8 + jump.rem_euclid(33).div_euclid(4);
        jp = jm_break;
    }
    let n = jy - jp;
    leap_j += n.div_euclid(33) * 8 + (n.rem_euclid(33) + 3).div_euclid(4);
    if jump.rem_euclid(33) == 4 && jump - n == 4 {
        leap_j += 1;
    }
    let leap_g = gy.div_euclid(4) - ((gy.div_euclid(100) + 1) * 3).div_euclid(4) - 150;
    // The Gregorian day of March on which the year's first day (Nowruz) falls.
    let march = 20 + leap_j - leap_g;
    let first = chrono::NaiveDate::from_ymd_opt(gy, 3, u32::try_from(march).ok()?)?;
    let jm = jm as i64;
    let days = (jm - 1) * 31 - (jm / 7) * (jm - 7) + jd as i64 - 1;
    let date = first.checked_add_days(chrono::Days::new(days as u64))?;
    // Esfand 30 exists in leap years only: it would be the next year's first day.
    (jm != 12 || jd < 30 || solar_hijri(jy + 1, 1, 1) != Some(date)).then_some(date)
}

/// What an attachment's name or word says it is.
fn media_kind(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit('.').next().unwrap_or_default();
    if lower.contains("sticker") || ext == "webp" {
        "sticker"
    } else if lower.contains("photo")
        || lower.starts_with("img-")
        || lower.starts_with("image")
        || matches!(ext, "jpg" | "jpeg" | "png" | "heic")
    {
        "photo"
    } else if lower.contains("gif") {
        "animation"
    } else if lower.contains("video")
        || lower.starts_with("vid-")
        || matches!(ext, "mp4" | "mov" | "3gp")
    {
        "video"
    } else if lower.contains("audio")
        || lower.starts_with("ptt-")
        || lower.starts_with("aud-")
        || matches!(ext, "opus" | "ogg" | "m4a" | "mp3")
    {
        "audio"
    } else {
        "file"
    }
}

/// Strip a text's invisible marks at its ends.
fn trim_marks(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || is_mark(c))
}

/// An attachment the message's first line names, and the line without it: iPhone's
/// `<attached: FILE>`, Android's `FILE (file attached)`, `<Media omitted>`, and iPhone's
/// `image omitted` and kin.
fn attachment(first: &str) -> Option<(MediaRef, String)> {
    let t = trim_marks(first);
    // Most lines are text: only these shapes can be an attachment.
    if !(t.starts_with('<') || t.ends_with(" omitted") || t.contains(" (file attached)")) {
        return None;
    }
    if let Some(rest) = t.strip_prefix("<attached: ") {
        let end = rest.find('>')?;
        let file = rest[..end].trim();
        return Some((
            MediaRef {
                kind: media_kind(file).into(),
                url: Some(file.to_string()),
                ..Default::default()
            },
            trim_marks(&rest[end + 1..]).to_string(),
        ));
    }
    if let Some(at) = t.find(" (file attached)") {
        let file = t[..at].trim();
        if !file.is_empty() && !file.contains(char::is_whitespace) {
            return Some((
                MediaRef {
                    kind: media_kind(file).into(),
                    url: Some(file.to_string()),
                    ..Default::default()
                },
                trim_marks(&t[at + " (file attached)".len()..]).to_string(),
            ));
        }
    }
    if t == "<Media omitted>" {
        return Some((
            MediaRef {
                kind: "unknown".into(),
                ..Default::default()
            },
            String::new(),
        ));
    }
    let word = t.strip_suffix(" omitted")?;
    [
        "image",
        "video",
        "audio",
        "sticker",
        "GIF",
        "document",
        "Contact card",
    ]
    .contains(&word)
    .then(|| {
        (
            MediaRef {
                kind: media_kind(word).into(),
                ..Default::default()
            },
            String::new(),
        )
    })
}

/// Texts that stand for a message that is gone.
fn is_deleted(text: &str) -> bool {
    matches!(
        trim_marks(text),
        "This message was deleted" | "You deleted this message" | "null"
    )
}

/// The links in a text: runs from `http://` or `https://` to the next space, without the
/// punctuation that ends a sentence around them.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr2(b'h', b'H', &bytes[from..]) {
        let start = from + i;
        let starts = |p: &[u8]| {
            bytes[start..]
                .get(..p.len())
                .is_some_and(|b| b.eq_ignore_ascii_case(p))
        };
        let scheme = if starts(b"https://") {
            8
        } else if starts(b"http://") {
            7
        } else {
            from = start + 1;
            continue;
        };
        let boundary = start == 0 || !text[..start].ends_with(|c: char| c.is_alphanumeric());
        let end = text[start..]
            .find(|c: char| c.is_whitespace() || c == '<' || c == '>')
            .map_or(text.len(), |e| start + e);
        let link = text[start..end].trim_end_matches(|c: char| {
            matches!(
                c,
                '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '"' | '\'' | '»' | '،'
            )
        });
        if boundary && link.len() > scheme {
            out.push(link.to_string());
        }
        from = end.max(start + scheme);
    }
    out
}

/// Parse one message line (`chat SEP order SEP message`, its line breaks made
/// [`BREAK`]) into its sender's account (unless `seen` says it was given) and its post;
/// nothing for a system line or a deleted message.
pub(crate) fn parse_line(
    line: &[u8],
    line_no: u64,
    platform: &str,
    mut seen: impl FnMut(&str) -> bool,
    mut out: impl FnMut(Record),
) -> Result<(), String> {
    let mut fields = line.splitn(3, |&b| b == FIELD_SEP);
    let (Some(chat), Some(order), Some(msg)) = (fields.next(), fields.next(), fields.next()) else {
        return Err("not a line of a WhatsApp chat".into());
    };
    let chat = std::str::from_utf8(chat).map_err(|_| "invalid UTF-8 in the chat's name")?;
    // The date order and two-digit years, then the phone's offset from UTC in seconds, if
    // one was given.
    let ((order, short), offset) = match order.split_first() {
        Some((&b, rest)) => (of_style_byte(b), rest),
        None => (of_style_byte(b'd'), &[][..]),
    };
    let offset = crate::utc_offset_of_field(offset);
    let h = header(msg).ok_or("not a WhatsApp message: no date and time at its start")?;
    // simdutf8 first (32 bytes a step); the standard check only to say where it fails.
    let body = simdutf8::basic::from_utf8(&msg[h.rest..]).map_err(|_| {
        let at = std::str::from_utf8(&msg[h.rest..]).map_or_else(|e| e.valid_up_to(), |_| 0);
        format!("invalid UTF-8 at byte {}", h.rest + at)
    })?;
    let (first, more) = match memchr::memchr(BREAK, body.as_bytes()) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    // `Name: text`; a line with no sender is the chat's own ("X joined", encryption notice).
    let Some(colon) = memchr::memmem::find(first.as_bytes(), b": ") else {
        return Ok(());
    };
    let sender = trim_marks(&first[..colon]);
    if sender.is_empty() {
        return Ok(());
    }
    let first = &first[colon + 2..];
    let (media, first) = match attachment(first) {
        Some((m, rest)) => (vec![m], rest),
        // iPhone writes the chat's own lines as sent by the chat (the group, or the other
        // person of a chat of two) with a left-to-right mark before the text ("‎Messages
        // and calls are end-to-end encrypted", "‎Ann added Bob").
        None if first.starts_with('\u{200E}') && sender == chat => return Ok(()),
        None => (Vec::new(), first.to_string()),
    };
    let mut text = first;
    if let Some(more) = more {
        for l in more.split(BREAK as char) {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(l);
        }
    }
    let trimmed = text.trim_end();
    let kept = trimmed
        .strip_suffix("<This message was edited>")
        .map_or(trimmed, str::trim_end)
        .len();
    text.truncate(kept);
    if media.is_empty() && (text.is_empty() || is_deleted(&text)) {
        return Ok(());
    }
    if !seen(sender) {
        out(crate::named_account(platform, sender));
    }
    out(Record::Post(Box::new(Post {
        id: format!("{chat}/{line_no}"),
        platform: platform.to_string(),
        account: sender.to_string(),
        created_at: timestamp_in(&h, order, short).map(|t| t - offset),
        urls: links(&text),
        text,
        media,
        // The chat its file names (none where the file gave no name: standard input).
        place: (chat != "whatsapp").then(|| chat.to_string()),
        ..Default::default()
    })));
    Ok(())
}

/// The chunks of a WhatsApp chat: each message made one line on the reading thread.
pub(crate) struct WhatsAppChunks {
    src: Source,
    file: Arc<str>,
    platform: Arc<str>,
    /// What each message's line starts with: the chat's name, the date order and the
    /// offset from UTC given, if any.
    prefix: Vec<u8>,
    max_record: usize,
    chunk_bytes: usize,
    /// The input line being read (no more than the limit and a byte of it kept).
    cur: Vec<u8>,
    /// The message being read: its first line, where its text starts in `lines`, and
    /// whether it went over the limit.
    open: Option<(u64, usize, bool)>,
    /// Whether text before the first message was reported.
    stray: bool,
    /// Whether any message was started.
    opened_any: bool,
    done: bool,
    lines: Vec<u8>,
    numbers: Vec<u64>,
    diags: Vec<Item>,
    queued: VecDeque<Chunk>,
    pool: crate::BufferPool,
    reported: u64,
}

impl WhatsAppChunks {
    pub(crate) fn new(src: Reader, head: &[u8], file: Arc<str>, opts: &crate::Options) -> Self {
        let mut prefix = Vec::new();
        crate::push_field(&mut prefix, &chat_name(&file));
        prefix.push(style_byte(date_order(head), short_years(head, this_year())));
        prefix.extend_from_slice(opts.utc_offset_field(&file).as_bytes());
        prefix.push(FIELD_SEP);
        WhatsAppChunks {
            src: Source::new(src),
            platform: Arc::from(opts.default_platform.as_deref().unwrap_or("whatsapp")),
            file,
            prefix,
            max_record: opts.max_record_bytes.max(1),
            chunk_bytes: opts.chunk_bytes.max(1),
            cur: Vec::new(),
            open: None,
            stray: false,
            opened_any: false,
            done: false,
            lines: Vec::new(),
            numbers: Vec::new(),
            diags: Vec::new(),
            queued: VecDeque::new(),
            pool: Default::default(),
            reported: 0,
        }
    }

    fn diag(&mut self, line: u64, message: String) {
        self.diags
            .push((line, Err(Diagnostic::new(&*self.file, line, message))));
    }

    /// End the open message: its line kept, or dropped with a diagnostic if over the limit.
    fn close(&mut self) {
        let Some((line, text_start, over)) = self.open.take() else {
            return;
        };
        if over {
            self.lines.truncate(text_start - self.prefix.len());
            let max = self.max_record;
            self.diag(
                line,
                format!("message over the limit of {max} bytes (--max-record-bytes); skipped"),
            );
        } else {
            self.lines.push(b'\n');
            self.numbers.push(line);
        }
    }

    /// Read the next input line into `cur` (its line break and a `\r` before it left out,
    /// no more than the limit and a byte kept); false at the end of the input.
    fn read_line(&mut self) -> bool {
        self.cur.clear();
        let mut any = false;
        loop {
            if self.src.peek().is_none() {
                break;
            }
            any = true;
            let buf = self.src.buffered();
            let (take, newline) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i, true),
                None => (buf.len(), false),
            };
            let room = (self.max_record + 1).saturating_sub(self.cur.len());
            self.cur.extend_from_slice(&buf[..take.min(room)]);
            self.src.consume(take);
            if newline {
                self.src.bump();
                break;
            }
        }
        if self.cur.last() == Some(&b'\r') {
            self.cur.pop();
        }
        // The separators this reader writes stand for nothing in a message.
        for b in &mut self.cur {
            if *b == BREAK || *b == FIELD_SEP {
                *b = b' ';
            }
        }
        any
    }

    /// Read one input line: the start of a message, or more of the open one. False at the
    /// end of the input.
    fn step(&mut self) -> bool {
        let line = self.src.line;
        if !self.read_line() {
            return false;
        }
        let over_line = self.cur.len() > self.max_record;
        if header(&self.cur).is_some() {
            self.close();
            self.lines.extend_from_slice(&self.prefix);
            let text_start = self.lines.len();
            if !over_line {
                self.lines.extend_from_slice(&self.cur);
            }
            self.open = Some((line, text_start, over_line));
            self.opened_any = true;
            return true;
        }
        match self.open {
            Some((_, text_start, ref mut over)) => {
                if !*over {
                    if self.lines.len() - text_start + 1 + self.cur.len() > self.max_record {
                        *over = true;
                    } else {
                        self.lines.push(BREAK);
                        self.lines.extend_from_slice(&self.cur);
                    }
                }
            }
            None => {
                if !self.stray && !self.cur.iter().all(u8::is_ascii_whitespace) {
                    self.stray = true;
                    self.diag(
                        line,
                        "not a WhatsApp message: text before the chat's first dated message; \
                         skipped up to it"
                            .to_string(),
                    );
                }
            }
        }
        true
    }
}

impl Iterator for WhatsAppChunks {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        if let Some(c) = self.queued.pop_front() {
            return Some(c);
        }
        if self.done {
            return None;
        }
        if self.lines.capacity() == 0 {
            self.lines = crate::pooled_buffer(&self.pool, self.chunk_bytes + crate::CHUNK_MARGIN);
        }
        // A chunk ends between messages: the open one stays for the next.
        let mut carried = Vec::new();
        let mut carried_open = None;
        // Full once a message was closed in it (a message longer than a chunk stays whole).
        while (self.lines.len() < self.chunk_bytes || self.numbers.is_empty())
            && self.diags.len() < 4096
        {
            if !self.step() {
                self.close();
                self.done = true;
                if self.stray && self.open.is_none() && !self.opened_any {
                    let line = self.src.line.saturating_sub(1).max(1);
                    self.diag(
                        line,
                        "no WhatsApp message in this file: each starts on a line with its \
                         date, time and sender (`31/12/2026, 21:41 - Name: text`); is it a chat \
                         export?"
                            .to_string(),
                    );
                }
                if let Some(e) = self.src.io_error.take() {
                    let line = self.src.line;
                    self.diag(
                        line,
                        format!("read error: {e}; the rest of the file is skipped"),
                    );
                }
                break;
            }
        }
        if !self.done {
            if let Some((line, text_start, over)) = self.open.take() {
                let start = text_start - self.prefix.len();
                carried = self.lines.split_off(start);
                carried_open = Some((line, text_start - start, over));
            }
        }
        let at = self.src.consumed();
        let read = (at - self.reported) as usize;
        self.reported = at;
        let numbers = std::mem::take(&mut self.numbers);
        let lines = std::mem::take(&mut self.lines);
        if let Some((line, text_start, over)) = carried_open {
            self.lines = crate::pooled_buffer(&self.pool, self.chunk_bytes + crate::CHUNK_MARGIN);
            self.lines.extend_from_slice(&carried);
            self.open = Some((line, text_start, over));
        }
        crate::queue_lines(
            &mut self.queued,
            &self.file,
            LineFormat::WhatsApp,
            &self.platform,
            (lines, numbers),
            std::mem::take(&mut self.diags),
            &self.pool,
            read,
        );
        if self.queued.is_empty() && !self.done {
            return self.next();
        }
        self.queued.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{diags, posts};
    use crate::Options;
    use proptest::prelude::*;

    fn h(line: &str) -> Option<Header> {
        header(line.as_bytes())
    }

    #[test]
    fn headers_of_every_locale_are_read() {
        let a = h("31/12/2020, 21:41 - Name: hi").unwrap();
        assert_eq!(
            (a.date, a.hour, a.minute, a.pm),
            ([31, 12, 2020], 21, 41, None)
        );
        assert_eq!(&"31/12/2020, 21:41 - Name: hi"[a.rest..], "Name: hi");
        let us = "12/31/20, 9:41\u{202f}PM - Name: hi";
        let b = h(us).unwrap();
        assert_eq!(
            (b.date, b.hour, b.pm, b.latin_ampm),
            ([12, 31, 20], 9, Some(true), true)
        );
        assert_eq!(&us[b.rest..], "Name: hi");
        let ios = "\u{200e}[31.12.20, 21:41:05] Name: hi";
        let c = h(ios).unwrap();
        assert_eq!((c.date, c.second), ([31, 12, 20], 5));
        assert_eq!(&ios[c.rest..], "Name: hi");
        let ar = "٣١/١٢/٢٠٢٠، ٩:٤١ م - مثال: نص";
        let d = h(ar).unwrap();
        assert_eq!(
            (d.date, d.hour, d.pm, d.latin_ampm),
            ([31, 12, 2020], 9, Some(true), false)
        );
        assert_eq!(&ar[d.rest..], "مثال: نص");
        let fr = "31/12/2020 à 21:41 - Name: salut";
        let e = h(fr).unwrap();
        assert_eq!((e.date, e.hour, e.minute), ([31, 12, 2020], 21, 41));
        assert_eq!(&fr[e.rest..], "Name: salut");
        let iso = h("2020-12-31 21:41 - Name: hi").unwrap();
        assert!(iso.year_first);
        // Korean (Android and iPhone), Chinese, Japanese: the half of the day before the
        // time; Indonesian: `21.41`; Spanish: `p. m.`, day first.
        for (line, date, hour, pm, rest) in [
            (
                "2026. 12. 31. 오후 9:41 - 민수: 안녕",
                [2026, 12, 31],
                9,
                Some(true),
                "민수: 안녕",
            ),
            (
                "[2026. 12. 31. 오전 9:41:05] 민수: 둘째",
                [2026, 12, 31],
                9,
                Some(false),
                "민수: 둘째",
            ),
            (
                "2026/12/31 下午9:41 - 小明: 你好",
                [2026, 12, 31],
                9,
                Some(true),
                "小明: 你好",
            ),
            (
                "2026/12/31 午後 9:41 - 太郎: こんにちは",
                [2026, 12, 31],
                9,
                Some(true),
                "太郎: こんにちは",
            ),
            (
                "31/12/26 21.41 - Budi: halo",
                [31, 12, 26],
                21,
                None,
                "Budi: halo",
            ),
            (
                "[31/12/26 21.41.05] Budi: halo",
                [31, 12, 26],
                21,
                None,
                "Budi: halo",
            ),
            (
                "31/12/26, 9:41\u{a0}p.\u{a0}m. - Ana: hola",
                [31, 12, 26],
                9,
                Some(true),
                "Ana: hola",
            ),
            (
                "31/12/26, 9:41 a. m. - Ana: hola",
                [31, 12, 26],
                9,
                Some(false),
                "Ana: hola",
            ),
            // Hungarian and Czech: `. ` between the numbers too.
            (
                "2026. 12. 31. 21:41 - Anna: szia",
                [2026, 12, 31],
                21,
                None,
                "Anna: szia",
            ),
            (
                "31. 12. 26 21:41 - Jan: ahoj",
                [31, 12, 26],
                21,
                None,
                "Jan: ahoj",
            ),
        ] {
            let got = h(line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!((got.date, got.hour, got.pm), (date, hour, pm), "{line}");
            assert!(!got.latin_ampm, "{line}");
            assert_eq!(&line[got.rest..], rest, "{line}");
        }
        let korean = h("2026. 12. 31. 오후 9:41 - 민수: 안녕").unwrap();
        assert_eq!(timestamp(&korean, DateOrder::MonthFirst), Some(1798753260));
        for not in [
            "",
            "hello 31/12/2020, 21:41 - Name: hi",
            "31/12/2020 - Name: hi",
            "31/12-2020, 21:41 - Name: hi",
            "31/12/2020, 21:41 Name: hi",
            "[31/12/2020, 21:41 Name: hi",
            "31/12/2020, 25:41 - Name: hi",
            "31/12/2020, 13:41 PM - Name: hi",
            "31/12/202021:41 - Name: hi",
            "31/12/2020, 21:41:05.3 - Name: hi",
            "31/12/2020, 21.41:05 - Name: hi",
            "2026. 12. 31. 오후 13:41 - 민수: x",
            "31/12/2020, 오후 - Name: hi",
        ] {
            assert_eq!(h(not), None, "{not}");
        }
    }

    #[test]
    fn the_date_order_is_the_files() {
        let order = |s: &str| date_order(s.as_bytes());
        assert_eq!(order("13/11/2026, 18:30 - A: x\n"), DateOrder::DayFirst);
        assert_eq!(order("11/13/26, 6:30 PM - A: x\n"), DateOrder::MonthFirst);
        // Nothing over 12: Latin AM/PM is the United States' way; else day first.
        assert_eq!(order("11/2/26, 6:30 PM - A: x\n"), DateOrder::MonthFirst);
        assert_eq!(order("02/11/2026, 18:30 - A: x\n"), DateOrder::DayFirst);
        assert_eq!(order("٠٢/١١/٢٠٢٦، ٩:٤١ م - A: x\n"), DateOrder::DayFirst);
        let h = header(b"02/11/2026, 18:30 - A: x").unwrap();
        assert_eq!(timestamp(&h, DateOrder::DayFirst), Some(1793644200));
        assert_eq!(timestamp(&h, DateOrder::MonthFirst), Some(1770834600));
        let pm12 = header(b"11/2/26, 12:05 AM - A: x").unwrap();
        assert_eq!(timestamp(&pm12, DateOrder::MonthFirst), Some(1793577900));
        // A date that does not exist in the file's order has no time, and is no error.
        let bad = header(b"31/02/2026, 10:00 - A: x").unwrap();
        assert_eq!(timestamp(&bad, DateOrder::DayFirst), None);
    }

    /// `--utc-offset PATH=OFFSET`: the deepest path above an input gives its offset, else
    /// the offset for every input, else none; `./` and a trailing `/` change nothing, and a
    /// path is matched part by part (`chats/a` is not above `chats/ab.txt`).
    #[test]
    fn an_inputs_offset_is_the_deepest_rule_naming_it() {
        let rules = |given: &[&str]| Options {
            utc_offsets: given.iter().map(|r| r.parse().unwrap()).collect(),
            ..Default::default()
        };
        let secs = |o: &Options, path: &str| o.utc_offset_for(path).map(|o| o.seconds());
        let o = rules(&[
            "+01:00",
            "chats=+02:00",
            "./chats/iraq/=+03:00",
            "chats/a=+04:00",
        ]);
        assert_eq!(secs(&o, "other.txt"), Some(3_600));
        assert_eq!(secs(&o, "chats/x.txt"), Some(7_200));
        assert_eq!(secs(&o, "./chats/iraq/mosul.txt"), Some(10_800));
        assert_eq!(secs(&o, "chats/ab.txt"), Some(7_200));
        assert_eq!(secs(&o, "chats/a"), Some(14_400));
        let o = rules(&["chats=-05:30"]);
        assert_eq!(secs(&o, "chats2/x.txt"), None);
        assert_eq!(secs(&o, "chats/x.txt"), Some(-19_800));
        let rule: crate::UtcOffsetRule = "a=b/c.txt=+03:00".parse().unwrap();
        assert_eq!(rule.path.as_deref(), Some("a=b/c.txt"));
        assert!("=+03:00".parse::<crate::UtcOffsetRule>().is_err());
        assert!("chats=Baghdad".parse::<crate::UtcOffsetRule>().is_err());
        assert_eq!(crate::UtcOffset(-19_800).to_string(), "-05:30");
    }

    /// Every day of a calendar's `years` (year, month 1–12, day 1–31, as far as `day` gives
    /// one) in order: each the Gregorian day after the one before, with no gap and none
    /// twice. Returns the first and last.
    fn consecutive_days(
        years: std::ops::RangeInclusive<i32>,
        day: impl Fn(i32, u32, u32) -> Option<chrono::NaiveDate>,
    ) -> (chrono::NaiveDate, chrono::NaiveDate) {
        let mut days = years
            .flat_map(|y| (1..=12).flat_map(move |m| (1..=31).map(move |d| (y, m, d))))
            .filter_map(|(y, m, d)| day(y, m, d).map(|g| (g, (y, m, d))));
        let (first, _) = days.next().expect("a first day");
        let last = days.fold(first, |prev, (g, ymd)| {
            assert_eq!(g, prev.succ_opt().unwrap(), "{ymd:?}");
            g
        });
        (first, last)
    }

    /// A phone set to Persian writes Solar Hijri dates: their Gregorian days (checked
    /// against `jdatetime`), one after another with no gap over the years converted.
    #[test]
    fn solar_hijri_dates_are_their_gregorian_days() {
        let g = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d);
        for ((jy, jm, jd), want) in [
            ((1403, 1, 1), g(2024, 3, 20)),
            ((1404, 1, 1), g(2025, 3, 21)),
            ((1399, 1, 1), g(2020, 3, 20)),
            ((1402, 10, 10), g(2023, 12, 31)),
            ((1402, 12, 29), g(2024, 3, 19)),
            ((1403, 12, 30), g(2025, 3, 20)),
            ((1399, 12, 30), g(2021, 3, 20)),
            ((1404, 7, 1), g(2025, 9, 23)),
            ((1405, 9, 10), g(2026, 12, 1)),
            ((1388, 1, 1), g(2009, 3, 21)),
            ((1430, 12, 29), g(2052, 3, 19)),
            ((1380, 1, 1), g(2001, 3, 21)),
            ((1408, 12, 30), g(2030, 3, 20)),
            ((1402, 12, 30), None),
            ((1402, 7, 31), None),
            ((1402, 13, 1), None),
            ((1402, 1, 0), None),
        ] {
            assert_eq!(solar_hijri(jy, jm, jd), want, "{jy}/{jm}/{jd}");
        }
        let (first, last) = consecutive_days(1380..=1430, solar_hijri);
        assert_eq!(
            (first, last),
            (g(2001, 3, 21).unwrap(), g(2052, 3, 19).unwrap())
        );
        let persian = header("۱۴۰۵/۹/۱۰، ۲۱:۴۱ - علی: سلام".as_bytes()).unwrap();
        assert_eq!(timestamp(&persian, DateOrder::DayFirst), Some(1796161260));
    }

    /// A phone set to the lunar Hijri calendar writes Umm al-Qura dates: their Gregorian
    /// days (checked against the `hijridate` package), one after another with no gap from
    /// 1431 to 1500; a day a month does not have, or a year outside the table, gives no
    /// time.
    #[test]
    fn lunar_hijri_dates_are_their_umm_al_qura_days() {
        let g = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d);
        for ((y, m, d), want) in [
            ((1431, 1, 1), g(2009, 12, 18)),
            ((1436, 8, 30), g(2015, 6, 17)),
            ((1445, 9, 1), g(2024, 3, 11)),
            ((1445, 10, 1), g(2024, 4, 10)),
            ((1446, 1, 1), g(2024, 7, 7)),
            ((1446, 12, 10), g(2025, 6, 6)),
            ((1447, 6, 10), g(2025, 12, 1)),
            ((1447, 9, 1), g(2026, 2, 18)),
            ((1448, 6, 10), g(2026, 11, 20)),
            ((1450, 1, 1), g(2028, 5, 25)),
            ((1440, 1, 1), g(2018, 9, 11)),
            ((1440, 7, 1), g(2019, 3, 8)),
            ((1460, 1, 1), g(2038, 2, 5)),
            ((1460, 7, 1), g(2038, 8, 2)),
            ((1470, 1, 1), g(2047, 10, 20)),
            ((1470, 7, 1), g(2048, 4, 14)),
            ((1480, 1, 1), g(2057, 7, 3)),
            ((1480, 7, 1), g(2057, 12, 27)),
            ((1490, 1, 1), g(2067, 3, 16)),
            ((1490, 7, 1), g(2067, 9, 10)),
            ((1500, 12, 30), g(2077, 11, 16)),
            // Sha'ban 1447 has 29 days, Ramadan 30.
            ((1447, 8, 29), g(2026, 2, 17)),
            ((1447, 8, 30), None),
            ((1447, 9, 30), g(2026, 3, 19)),
            ((1447, 10, 1), g(2026, 3, 20)),
            ((1447, 13, 1), None),
            ((1447, 0, 1), None),
            ((1447, 1, 0), None),
            ((1501, 1, 1), None),
            ((1430, 12, 1), None),
        ] {
            assert_eq!(umm_al_qura(y, m, d), want, "{y}/{m}/{d}");
        }
        let (first, last) = consecutive_days(1431..=1500, |y, m, d| umm_al_qura(y as u32, m, d));
        assert_eq!(
            (first, last),
            (g(2009, 12, 18).unwrap(), g(2077, 11, 16).unwrap())
        );
        // Read from a line, in Arabic-Indic digits: 10 Jumada al-Akhira 1448, 9:41 pm.
        let lunar = header("١٠/٦/١٤٤٨، ٩:٤١ م - أحمد: سلام".as_bytes()).unwrap();
        assert_eq!(
            timestamp(&lunar, DateOrder::DayFirst),
            Some(
                g(2026, 11, 20)
                    .unwrap()
                    .and_hms_opt(21, 41, 0)
                    .unwrap()
                    .and_utc()
                    .timestamp()
            )
        );
    }

    /// A phone set to the Buddhist calendar (Thailand's) writes the year plus 543: the
    /// same moment as the Gregorian line. A year no phone writes gives no time.
    #[test]
    fn buddhist_years_are_their_gregorian_years() {
        let at = |line: &str| {
            let h = header(line.as_bytes()).unwrap();
            timestamp(&h, DateOrder::DayFirst)
        };
        let gregorian = at("[1/12/2026 21:41:05] A: hi");
        assert_eq!(gregorian, Some(1796161265));
        assert_eq!(at("[1/12/2569 21:41:05] A: hi"), gregorian);
        assert_eq!(
            at("[29/2/2567 08:00:00] A: hi"),
            at("[29/2/2024 08:00:00] A: hi")
        );
        assert!(at("[29/2/2567 08:00:00] A: hi").is_some());
        // 2025 has no 29 February, nor has Buddhist 2568.
        assert_eq!(at("[29/2/2568 08:00:00] A: hi"), None);
        for year in ["2300", "2551", "9999", "2743"] {
            assert_eq!(at(&format!("[1/12/{year} 21:41:05] A: hi")), None, "{year}");
        }
        assert!(at("[1/12/2199 21:41:05] A: hi").is_some());
    }

    /// A phone's short date cuts its own calendar's year to two digits: a Thai phone's
    /// `1/12/69` is Buddhist 2569 (2026), a Hijri phone's `10/6/48` is 1448; a file whose
    /// two-digit years could be Gregorian ones is read as Gregorian. Decided for the file,
    /// from its first lines, by the year it is read in.
    #[test]
    fn two_digit_years_are_read_in_the_files_calendar() {
        let in_2026 = |head: &str| short_years(head.as_bytes(), 2026);
        assert_eq!(
            in_2026("1/12/69, 21:41 - A: hi\n30/11/69, 08:00 - B: yo\n"),
            ShortYears::Buddhist
        );
        assert_eq!(in_2026("10/6/48, 21:41 - A: hi\n"), ShortYears::Hijri);
        assert_eq!(in_2026("1/12/26, 21:41 - A: hi\n"), ShortYears::Gregorian);
        // A chat that runs from last year into a Buddhist-looking one is Gregorian.
        assert_eq!(
            in_2026("31/12/25, 21:41 - A: hi\n1/1/60, 08:00 - B: yo\n"),
            ShortYears::Gregorian
        );
        // Four-digit years, or none: Gregorian, and the years read as written.
        assert_eq!(in_2026("1/12/2569, 21:41 - A: hi\n"), ShortYears::Gregorian);
        assert_eq!(in_2026("not a chat\n"), ShortYears::Gregorian);
        // In 2060, a 60 is a Gregorian year.
        assert_eq!(
            short_years(b"1/12/60, 21:41 - A: hi\n", 2060),
            ShortYears::Gregorian
        );
        let h = header(b"1/12/69, 21:41 - A: hi").unwrap();
        let thai = timestamp_in(&h, DateOrder::DayFirst, ShortYears::Buddhist);
        let full = header(b"1/12/2026, 21:41 - A: hi").unwrap();
        assert_eq!(thai, timestamp(&full, DateOrder::DayFirst));
        let h = header(b"10/6/48, 21:41 - A: hi").unwrap();
        let lunar = header("١٠/٦/١٤٤٨، ٩:٤١ م - أحمد: سلام".as_bytes()).unwrap();
        assert_eq!(
            timestamp_in(&h, DateOrder::DayFirst, ShortYears::Hijri),
            timestamp(&lunar, DateOrder::DayFirst)
        );
        // Month first: 12/1/69 is 1 December 2569.
        let h = header(b"12/1/69, 9:41 PM - A: hi").unwrap();
        assert_eq!(
            timestamp_in(&h, DateOrder::MonthFirst, ShortYears::Buddhist),
            thai
        );
        for (order, short) in [
            (DateOrder::DayFirst, ShortYears::Gregorian),
            (DateOrder::MonthFirst, ShortYears::Gregorian),
            (DateOrder::DayFirst, ShortYears::Buddhist),
            (DateOrder::MonthFirst, ShortYears::Buddhist),
            (DateOrder::DayFirst, ShortYears::Hijri),
            (DateOrder::MonthFirst, ShortYears::Hijri),
        ] {
            assert_eq!(of_style_byte(style_byte(order, short)), (order, short));
        }
    }

    #[test]
    fn offsets_from_utc_are_read_and_move_the_times() {
        use crate::UtcOffset;
        for (s, secs) in [
            ("+03:00", 10_800),
            ("-05:30", -19_800),
            ("+3", 10_800),
            ("+0530", 19_800),
            ("UTC", 0),
            ("UTC+02:00", 7_200),
            ("Z", 0),
        ] {
            assert_eq!(s.parse::<UtcOffset>(), Ok(UtcOffset(secs)), "{s}");
        }
        for bad in [
            "3", "+15", "+03:60", "+x", "Baghdad", "+123:00", "+aé1", "+", "-:",
        ] {
            let e = bad.parse::<UtcOffset>().unwrap_err();
            assert!(e.contains("+03:00"), "{e}");
        }
        let chat = "02/11/2026, 10:00 - Ann: one\n";
        let at = |offset: Option<UtcOffset>| {
            let opts = Options {
                utc_offsets: offset
                    .map(|offset| crate::UtcOffsetRule { path: None, offset })
                    .into_iter()
                    .collect(),
                ..Default::default()
            };
            posts(&read(chat, "c.txt", &opts))[0].1.created_at
        };
        assert_eq!(at(None), Some(1793613600));
        assert_eq!(at(Some(UtcOffset(10_800))), Some(1793613600 - 10_800));
        assert_eq!(at(Some(UtcOffset(-19_800))), Some(1793613600 + 19_800));
    }

    #[test]
    fn chats_are_named_by_their_files() {
        assert_eq!(
            chat_name("x/WhatsApp Chat with Example Group.txt"),
            "Example Group"
        );
        assert_eq!(
            chat_name("WhatsApp Chat with +44 7700 900123.txt.gz"),
            "+44 7700 900123"
        );
        assert_eq!(
            chat_name("exports/WhatsApp Chat - Family/_chat.txt"),
            "Family"
        );
        // An iPhone's export as it is shared, zipped, and read as the folder it holds.
        assert_eq!(
            chat_name("exports/WhatsApp Chat - Family.zip/_chat.txt"),
            "Family"
        );
        assert_eq!(chat_name("_chat.txt"), "whatsapp");
        assert_eq!(chat_name("group.txt"), "group");
        assert_eq!(chat_name("-"), "whatsapp");
    }

    #[test]
    fn attachments_and_links_are_found() {
        let (m, rest) =
            attachment("\u{200e}<attached: 00000012-PHOTO-2026-11-02-13-15-00.jpg>").unwrap();
        assert_eq!((m.kind.as_str(), rest.as_str()), ("photo", ""));
        assert_eq!(
            m.url.as_deref(),
            Some("00000012-PHOTO-2026-11-02-13-15-00.jpg")
        );
        let (m, _) = attachment("VID-20261113-WA0002.mp4 (file attached)").unwrap();
        assert_eq!(m.kind, "video");
        let (m, _) = attachment("PTT-20261113-WA0003.opus (file attached)").unwrap();
        assert_eq!(m.kind, "audio");
        assert_eq!(attachment("<Media omitted>").unwrap().0.kind, "unknown");
        assert_eq!(
            attachment("\u{200e}sticker omitted").unwrap().0.kind,
            "sticker"
        );
        assert!(attachment("I left my photo (file attached) at home").is_none());
        assert_eq!(
            links("see https://a.example/x?y=1, and (http://b.example/). Not xhttps://c or http:// alone"),
            ["https://a.example/x?y=1", "http://b.example/"]
        );
    }

    fn read(text: &str, name: &str, opts: &Options) -> Vec<Item> {
        crate::open_bytes(text.as_bytes().to_vec(), name, opts)
            .unwrap()
            .flat_map(|c| {
                let mut v = Vec::new();
                c.for_each_record(|l, r| v.push((l, r)));
                v
            })
            .collect()
    }

    const CHAT: &str = "02/11/2026, 09:58 - Messages and calls are end-to-end encrypted.\n\
        02/11/2026, 10:00 - Ann: one\n\
        02/11/2026, 10:01 - Bob: two https://x.example/a\n\
        and more\n\
        \n\
        the end\n\
        13/11/2026, 18:30 - Ann: IMG-1.jpg (file attached)\n\
        caption\n\
        13/11/2026, 18:31 - Bob: This message was deleted\n\
        13/11/2026, 18:32 - Bob: <Media omitted>\n\
        13/11/2026, 18:33 - Ann: edited <This message was edited>\n\
        [13/11/2026, 18:34:00] G: \u{200e}Ann added Bob\n\
        [13/11/2026, 18:35:00] Bob: \u{200e}hello\n";

    #[test]
    fn a_chat_reads_as_posts_at_their_lines_and_its_senders() {
        let items = read(CHAT, "WhatsApp Chat with G.txt", &Options::default());
        assert!(diags(&items).is_empty(), "{:?}", diags(&items));
        let got: Vec<(u64, &str, &str, &str)> = posts(&items)
            .iter()
            .map(|(l, p)| (*l, p.id.as_str(), p.account.as_str(), p.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (2, "G/2", "Ann", "one"),
                (
                    3,
                    "G/3",
                    "Bob",
                    "two https://x.example/a\nand more\n\nthe end"
                ),
                (7, "G/7", "Ann", "caption"),
                (10, "G/10", "Bob", ""),
                (11, "G/11", "Ann", "edited"),
                (13, "G/13", "Bob", "\u{200e}hello"),
            ]
        );
        let p = posts(&items);
        assert_eq!(p[0].1.platform, "whatsapp");
        assert_eq!(p[0].1.created_at, Some(1793613600));
        assert_eq!(p[1].1.urls, ["https://x.example/a"]);
        assert_eq!(p[2].1.media[0].url.as_deref(), Some("IMG-1.jpg"));
        assert_eq!(p[3].1.media[0].kind, "unknown");
        let accounts = crate::testing::account_ids(&items);
        assert_eq!(accounts, ["Ann", "Bob"]);
    }

    #[test]
    fn stray_text_and_long_messages_are_diagnostics_and_reading_goes_on() {
        let text = format!(
            "exported by someone\nmore of it\n02/11/2026, 10:00 - Ann: one\n02/11/2026, 10:01 - Bob: {}\n{}\n02/11/2026, 10:02 - Ann: three\n",
            "x".repeat(50),
            "y".repeat(60)
        );
        let opts = Options {
            max_record_bytes: 100,
            format: crate::Format::WhatsApp,
            ..Default::default()
        };
        let items = read(&text, "chat.txt", &opts);
        let d: Vec<(u64, &str)> = diags(&items)
            .into_iter()
            .map(|d| (d.at.line, d.message.as_str()))
            .collect();
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[0].0, 1);
        assert!(
            d[0].1.contains("before the chat's first dated message"),
            "{d:?}"
        );
        assert_eq!(d[1].0, 4);
        assert!(d[1].1.contains("over the limit of 100 bytes"), "{d:?}");
        let ids: Vec<&str> = posts(&items).iter().map(|(_, p)| p.id.as_str()).collect();
        assert_eq!(ids, ["chat/3", "chat/6"]);
    }

    /// A source that gives at most `step` bytes a read.
    struct Trickle(std::io::Cursor<Vec<u8>>, usize);

    impl std::io::Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.1);
            self.0.read(&mut buf[..n])
        }
    }

    fn read_trickled(text: &[u8], chunk: usize, step: usize, max: usize) -> Vec<String> {
        let opts = Options {
            chunk_bytes: chunk,
            max_record_bytes: max,
            ..Default::default()
        };
        let reader: Reader = Box::new(std::io::BufReader::with_capacity(
            7,
            Trickle(std::io::Cursor::new(text.to_vec()), step),
        ));
        WhatsAppChunks::new(reader, text, Arc::from("c.txt"), &opts)
            .flat_map(|c| {
                let mut v = Vec::new();
                c.for_each_record(|l, r| match r {
                    Ok(Record::Post(p)) => v.push(format!("{l} {} {:?}", p.id, p.text)),
                    Ok(_) => {}
                    Err(d) => v.push(format!("{l} ! {}", d.message)),
                });
                v
            })
            .collect()
    }

    proptest! {
        /// However the input arrives and however small the chunks, the same posts and
        /// diagnostics, at the same lines.
        #[test]
        fn any_read_and_chunk_sizes_give_the_same_records(
            parts in proptest::collection::vec((any::<bool>(), "[a-z \n]{0,30}"), 0..12),
            chunk in 1usize..200,
            step in 1usize..50,
            max in 20usize..80,
        ) {
            let mut text = String::new();
            for (i, (dated, body)) in parts.iter().enumerate() {
                if *dated {
                    text.push_str(&format!("02/11/2026, 10:{:02} - A{}: ", i, i % 3));
                }
                text.push_str(body);
                text.push('\n');
            }
            // Diagnostics come after the posts of their chunk: compared by line.
            let sorted = |mut v: Vec<String>| {
                v.sort_by_key(|s| s.split(' ').next().and_then(|n| n.parse::<u64>().ok()));
                v
            };
            let whole = sorted(read_trickled(text.as_bytes(), 1 << 20, 1 << 20, max));
            prop_assert_eq!(sorted(read_trickled(text.as_bytes(), chunk, step, max)), whole);
        }

        #[test]
        fn any_offset_text_parses_within_a_day_or_is_refused(s in "\\PC{0,8}") {
            if let Ok(o) = s.parse::<crate::UtcOffset>() {
                prop_assert!(o.seconds().abs() <= 14 * 3600 + 59 * 60);
                // As written back, it reads as itself.
                prop_assert_eq!(o.to_string().parse::<crate::UtcOffset>(), Ok(o));
            }
        }

        #[test]
        fn any_bytes_are_read_or_refused_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = header(&bytes);
            let _ = date_order(&bytes);
            let mut line = b"c\x1fd\x1f".to_vec();
            line.extend_from_slice(&bytes);
            let _ = parse_line(&line, 1, "whatsapp", |_| false, |_| {});
        }
    }
}
