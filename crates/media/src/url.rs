//! URL canonicalisation and domain matching for URL and domain lists.

use std::fmt::Write;

/// Query parameters that only track the click, never select the content.
const TRACKING: &[&str] = &[
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "igsh", "mc_cid",
    "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "ref_src", "ref_url", "si", "_ga", "_gl", "spm",
    "share_id",
];

/// Link shorteners: a shortened URL hides its target, so it is noted; raqib
/// does not expand it (that needs the network and tips off the poster).
const SHORTENERS: &[&str] = &[
    "bit.ly",
    "t.co",
    "goo.gl",
    "tinyurl.com",
    "ow.ly",
    "buff.ly",
    "is.gd",
    "rebrand.ly",
    "cutt.ly",
    "t.ly",
    "shorturl.at",
    "rb.gy",
    "tiny.cc",
    "lnkd.in",
    "dlvr.it",
    "trib.al",
    "v.gd",
    "s.id",
    "bl.ink",
    "shorte.st",
    "adf.ly",
    "ouo.io",
    "soo.gd",
    "qr.ae",
    "fb.me",
    "youtu.be",
    "t.me",
];

/// A canonical URL with what was done to reach it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CanonicalUrl {
    /// `scheme://host[:port]/path?sorted-query`, lower-case host in ASCII
    /// (IDNA), no default port, no fragment, no tracking parameters, no
    /// trailing slash, no leading `www.`.
    pub url: String,
    pub host: String,
    /// True when the host is a known link shortener.
    pub shortener: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a URL raqib can read: {0}")]
pub struct UrlError(pub String);

pub fn canonicalise(raw: &str) -> Result<CanonicalUrl, UrlError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(UrlError("empty".into()));
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("http://{trimmed}")
    };
    let parsed =
        url::Url::parse(&with_scheme).map_err(|e| UrlError(format!("{trimmed:?}: {e}")))?;
    let scheme = parsed.scheme().to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(UrlError(format!(
            "{trimmed:?}: only http and https URLs are matched"
        )));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| UrlError(format!("{trimmed:?}: no host")))?;
    let mut host = host.trim_end_matches('.').to_ascii_lowercase();
    if let Some(rest) = host.strip_prefix("www.") {
        host = rest.to_string();
    }
    let mut out = String::new();
    // http and https name the same content for matching purposes.
    let _ = write!(out, "https://{host}");
    if let Some(port) = parsed.port() {
        let _ = write!(out, ":{port}");
    }
    let path = parsed.path().trim_end_matches('/');
    out.push_str(path);
    let mut params: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !k.starts_with("utm_") && !TRACKING.contains(&k.as_str())
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    params.sort();
    if !params.is_empty() {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        out.push('?');
        out.push_str(&q);
    }
    let shortener = SHORTENERS.contains(&host.as_str());
    Ok(CanonicalUrl {
        url: out,
        host,
        shortener,
    })
}

/// Canonical form of a domain-list entry: lower-case ASCII (IDNA), no
/// `www.`, no trailing dot.
pub fn canonical_domain(raw: &str) -> Result<String, UrlError> {
    let raw = raw.trim();
    let host = if raw.contains("://") || raw.contains('/') {
        canonicalise(raw)?.host
    } else {
        let u = url::Url::parse(&format!("http://{raw}/"))
            .map_err(|e| UrlError(format!("{raw:?}: {e}")))?;
        u.host_str()
            .ok_or_else(|| UrlError(format!("{raw:?}: no host")))?
            .to_string()
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    Ok(host.strip_prefix("www.").unwrap_or(&host).to_string())
}

/// The host and each parent domain, most specific first:
/// `a.b.example.com`, `b.example.com`, `example.com`, `com`.
pub fn domain_suffixes(host: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(host);
    std::iter::from_fn(move || {
        let cur = rest?;
        rest = cur
            .split_once('.')
            .map(|(_, r)| r)
            .filter(|r| !r.is_empty());
        Some(cur)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_agree_across_cosmetic_differences() {
        let a =
            canonicalise("HTTP://WWW.Example.COM:80/Path/To/?utm_source=x&b=2&a=1#frag").unwrap();
        let b = canonicalise("https://example.com/Path/To?a=1&b=2&fbclid=123").unwrap();
        let c = canonicalise("example.com/Path/To/?b=2&a=1").unwrap();
        assert_eq!(a.url, "https://example.com/Path/To?a=1&b=2");
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert!(!a.shortener);
    }

    #[test]
    fn idna_hosts_become_punycode_and_ports_stay_when_not_default() {
        let u = canonicalise("https://Bücher.example:8443/x").unwrap();
        assert_eq!(u.url, "https://xn--bcher-kva.example:8443/x");
        assert_eq!(
            canonical_domain("Bücher.EXAMPLE.").unwrap(),
            "xn--bcher-kva.example"
        );
    }

    #[test]
    fn shorteners_are_noted_and_junk_is_refused() {
        assert!(canonicalise("https://bit.ly/abc").unwrap().shortener);
        assert!(canonicalise("").is_err());
        assert!(canonicalise("ftp://example.com/file").is_err());
        assert!(canonicalise("http://").is_err());
        assert!(canonicalise("javascript:alert(1)").is_err());
    }

    #[test]
    fn suffixes_walk_up_the_domain() {
        let v: Vec<&str> = domain_suffixes("a.b.example.com").collect();
        assert_eq!(
            v,
            ["a.b.example.com", "b.example.com", "example.com", "com"]
        );
    }
}
