//! The text of the small HTML a fediverse post's `content` is (Mastodon writes paragraphs,
//! line breaks, links and spans): tags dropped, entities decoded, paragraphs and breaks
//! made line breaks, and the links a post carries collected (not those of its mentions and
//! hashtags, which point at the instance). Not a general HTML parser: enough for the
//! markup servers send, and never a panic on any input.

/// `html` as plain text, and the URLs of its links.
pub(crate) fn to_text(html: &str) -> (String, Vec<String>) {
    let (text, links) = to_text_and_links(html);
    let urls = links
        .into_iter()
        .filter(|l| !l.instance)
        .map(|l| l.href)
        .collect();
    (text, urls)
}

/// A link in HTML: where it points, the text it shows, and whether the markup marks it
/// as a mention or hashtag of the instance (Mastodon's classes and `rel="tag"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    pub href: String,
    pub anchor: String,
    pub instance: bool,
}

/// `html` as plain text, and every link with a non-empty `href`, with its text.
pub(crate) fn to_text_and_links(html: &str) -> (String, Vec<Link>) {
    let mut text = String::with_capacity(html.len());
    let mut links: Vec<Link> = Vec::new();
    // The link whose text is being read: its place in `links` and where its text starts.
    let mut open: Option<(usize, usize)> = None;
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        text.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('&') {
            let (decoded, len) = entity(rest);
            text.push_str(decoded.as_deref().unwrap_or("&"));
            rest = &rest[len..];
            continue;
        }
        // A tag: up to its `>` (a `>` inside a quoted attribute does not end it).
        let Some(len) = tag_len(rest) else {
            // A `<` that opens no tag is text.
            text.push('<');
            rest = &rest[1..];
            continue;
        };
        let tag = &rest[1..len - 1];
        rest = &rest[len..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let closing = tag.starts_with('/');
        match name.as_str() {
            "br" => text.push('\n'),
            // A block's start or end: a blank line between it and the text around it.
            "p" | "div" | "li" | "blockquote" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
                if !text.is_empty() && !text.ends_with("\n\n") =>
            {
                text.push_str(if text.ends_with('\n') { "\n" } else { "\n\n" });
            }
            "a" if closing => {
                if let Some((k, from)) = open.take() {
                    links[k].anchor = text.get(from..).unwrap_or_default().to_string();
                }
            }
            "a" => {
                let class = attribute(tag, "class").unwrap_or_default();
                let rel = attribute(tag, "rel").unwrap_or_default();
                let instance = class
                    .split_whitespace()
                    .any(|c| matches!(c, "mention" | "hashtag" | "u-url"))
                    || rel.split_whitespace().any(|r| r == "tag");
                open = None;
                if let Some(href) = attribute(tag, "href").filter(|h| !h.is_empty()) {
                    open = Some((links.len(), text.len()));
                    links.push(Link {
                        href,
                        anchor: String::new(),
                        instance,
                    });
                }
            }
            _ => {}
        }
    }
    text.push_str(rest);
    if let Some((k, from)) = open {
        links[k].anchor = text.get(from..).unwrap_or_default().to_string();
    }
    let trimmed = text.trim_end_matches('\n');
    text.truncate(trimmed.len());
    (text, links)
}

/// The length of the tag `s` opens (`s` starts with `<`), `>` included; `None` when `<`
/// is not followed by a tag's first character or the tag is not closed.
pub(crate) fn tag_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    match b.get(1) {
        Some(c) if c.is_ascii_alphabetic() || *c == b'/' || *c == b'!' => tag_end(b),
        _ => None,
    }
}

/// Where a tag that starts at `b[0]` (`<`) ends, just past its `>` (a `>` in a quoted
/// attribute does not end it); `None` when the bytes end first. Jumps from quote to quote
/// with memchr rather than looking at each byte.
pub(crate) fn tag_end(b: &[u8]) -> Option<usize> {
    let mut i = 1;
    loop {
        let k = i + memchr::memchr3(b'>', b'"', b'\'', b.get(i..)?)?;
        match b[k] {
            b'>' => return Some(k + 1),
            q => i = k + 1 + memchr::memchr(q, &b[k + 1..])? + 1,
        }
    }
}

/// The value of attribute `name` in a tag's inside (`a href="..." class="..."`),
/// entities decoded.
pub(crate) fn attribute(tag: &str, name: &str) -> Option<String> {
    let b = tag.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // An attribute name starts after whitespace.
        if !b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' {
            i += 1;
        }
        let key = &tag[start..i];
        if i >= b.len() || b[i] != b'=' {
            continue;
        }
        i += 1;
        let (value, next) = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = tag[i + 1..].find(q as char).map_or(b.len(), |e| i + 1 + e);
                (&tag[i + 1..end], end + 1)
            }
            _ => {
                let end = tag[i..]
                    .find(|c: char| c.is_ascii_whitespace())
                    .map_or(b.len(), |e| i + e);
                (&tag[i..end], end)
            }
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(decode_entities(value));
        }
        i = next;
    }
    None
}

/// `s` with its character entities decoded (`&amp;` and the like; others left as they are).
pub(crate) fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let (decoded, len) = entity(&rest[i..]);
        out.push_str(decoded.as_deref().unwrap_or("&"));
        rest = &rest[i + len..];
    }
    out.push_str(rest);
    out
}

/// The entity `s` starts with (`s` starts with `&`): its text and its length; `None` and
/// length 1 for a `&` that starts no entity known here.
fn entity(s: &str) -> (Option<String>, usize) {
    let Some(end) = s[1..].find(';').map(|e| e + 1).filter(|&e| e <= 10) else {
        return (None, 1);
    };
    let name = &s[1..end];
    let named = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => None,
    };
    let c = named.or_else(|| {
        let code = if let Some(hex) = name.strip_prefix("#x").or(name.strip_prefix("#X")) {
            u32::from_str_radix(hex, 16).ok()
        } else {
            name.strip_prefix('#').and_then(|d| d.parse().ok())
        };
        code.and_then(char::from_u32).filter(|&c| c != '\0')
    });
    match c {
        Some(c) => (Some(c.to_string()), end + 1),
        None => (None, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::to_text;
    use proptest::prelude::*;

    #[test]
    fn mastodon_content_becomes_its_text_and_links() {
        let html = r#"<p>Read this &amp; share: <a href="https://example.org/long/path?a=1&amp;b=2" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span class="ellipsis">example.org/long</span><span class="invisible">/path?a=1&amp;b=2</span></a></p><p><span class="h-card"><a href="https://inst.example/@friend" class="u-url mention">@<span>friend</span></a></span> <a href="https://inst.example/tags/news" class="mention hashtag" rel="tag">#<span>news</span></a><br />second line 5 &lt; 6 &#x1F600; &#1575;</p>"#;
        let (text, links) = to_text(html);
        assert_eq!(
            text,
            "Read this & share: https://example.org/long/path?a=1&b=2\n\n@friend #news\nsecond line 5 < 6 😀 ا"
        );
        assert_eq!(links, vec!["https://example.org/long/path?a=1&b=2"]);
    }

    #[test]
    fn what_is_not_markup_stays_text() {
        assert_eq!(
            to_text("a < b and c <3 & d &bogus; &#0;").0,
            "a < b and c <3 & d &bogus; &#0;"
        );
        assert_eq!(to_text("<p>unclosed <a href=\"x").0, "unclosed <a href=\"x");
        assert_eq!(to_text("<p>a</p>\n<p>b</p>").0, "a\n\n\nb");
        assert_eq!(to_text("").0, "");
    }

    proptest! {
        /// Any input: no panic, and text without `<` or `&` comes back as it was.
        #[test]
        fn never_panics_and_keeps_plain_text(s in "\\PC{0,60}", plain in "[^<&]{0,60}") {
            let _ = to_text(&s);
            prop_assert_eq!(to_text(&plain).0, plain.trim_end_matches('\n'));
        }

        /// Markup made of tags, entities and text gives the text back whatever the tags.
        #[test]
        fn tags_are_dropped_and_entities_decoded(parts in proptest::collection::vec(
            prop_oneof![
                "[a-z ]{1,8}".prop_map(|t| (t.clone(), t)),
                Just(("<span class=\"x\">".to_string(), String::new())),
                Just(("</span>".to_string(), String::new())),
                Just(("&amp;".to_string(), "&".to_string())),
                Just(("&#1575;".to_string(), "ا".to_string())),
                Just(("<a href=\"https://e.example/>\">".to_string(), String::new())),
            ], 0..12)) {
            let html: String = parts.iter().map(|(h, _)| h.as_str()).collect();
            let want: String = parts.iter().map(|(_, t)| t.as_str()).collect();
            prop_assert_eq!(to_text(&html).0, want);
        }
    }
}
