//! Exact file hashes: MD5 and SHA-256, the formats hash-sharing lists use.

use md5::{Digest, Md5};
use sha2::Sha256;

pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// MD5 and SHA-256 of everything `r` yields, read in 1 MiB pieces (a
/// multi-gigabyte video never sits in memory).
pub fn digests_of(mut r: impl std::io::Read) -> std::io::Result<(String, String, u64)> {
    let mut md5 = Md5::new();
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        md5.update(&buf[..n]);
        sha.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hex(&md5.finalize()), hex(&sha.finalize()), total))
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Normalise a hex digest from a list: trimmed, lower-case, the right length.
pub fn parse_digest(s: &str, len: usize) -> Option<String> {
    let s = s.trim();
    (s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            parse_digest(" 900150983CD24FB0D6963F7D28E17F72 ", 32).as_deref(),
            Some("900150983cd24fb0d6963f7d28e17f72")
        );
        assert_eq!(parse_digest("xyz", 32), None);
        let (m, s, n) = digests_of(&b"abc"[..]).unwrap();
        assert_eq!((m, s, n), (md5_hex(b"abc"), sha256_hex(b"abc"), 3));
    }
}
