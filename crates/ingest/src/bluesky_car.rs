//! An AT Protocol repository as a CAR file: what `com.atproto.sync.getRepo?did=DID` gives
//! for any public account (no login), and what Bluesky's "Export my data" saves
//! (`repo.car`). It holds every record the account has: each post since it was made, and
//! its profile.
//!
//! A CAR (v1) is a header (a varint length, then DAG-CBOR `{roots, version}`) and blocks,
//! each a varint length, a CID and its bytes. The root is the repository's signed commit
//! (`{did, data, rev, sig, ...}`); `data` is the root of a Merkle search tree whose nodes
//! (`{l, e: [{p, k, v, t}]}`) name each record `COLLECTION/RKEY`, the key of an entry its
//! `k` after the first `p` bytes of the key before it, its `v` the record's CID. The
//! records are DAG-CBOR maps of the same shape as their JSON, a link (CBOR tag 42) read as
//! `{"$link": CID}`, so a post, repost or profile is read as the firehose's is
//! ([`super::bluesky`]; a repost is a share by reference only). Likes, follows and other
//! records are not decoded.
//!
//! Read whole (a large account's repository is tens of megabytes): a file cut short keeps
//! the records read before the cut, with a diagnostic that says so.

use raqib_model::{Diagnostic, Record};
use serde_json::{Map, Value};

use crate::bluesky;

/// CBOR nesting deeper than this is refused: no record of the protocol comes near it.
const MAX_DEPTH: usize = 64;

/// Whether `head` opens a CAR v1 file: a varint length, then a CBOR map holding `roots`
/// and `version`.
pub(crate) fn looks_like_car(head: &[u8]) -> bool {
    let Some((len, n)) = varint(head) else {
        return false;
    };
    let rest = &head[n..];
    (8..=4096).contains(&len)
        && rest.first().is_some_and(|b| b >> 5 == 5)
        && memchr::memmem::find(&rest[..rest.len().min(len as usize)], b"roots").is_some()
        && memchr::memmem::find(&rest[..rest.len().min(len as usize)], b"version").is_some()
}

/// An unsigned LEB128 varint at the start of `b`: its value and length.
fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// Decodes DAG-CBOR into JSON values: maps with text keys, arrays, text, integers, floats,
/// booleans and null as themselves; byte strings as text (lossily: the only ones raqib
/// reads are a search tree's keys, which are ASCII); a CID link as `{"$link": CID}`.
struct Cbor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cbor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or("CBOR cut short")?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }

    /// A head's major type and argument.
    fn head(&mut self) -> Result<(u8, u64), String> {
        let first = self.take(1)?[0];
        let (major, info) = (first >> 5, first & 31);
        let arg = match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.take(1)?[0]),
            25 => u64::from(u16::from_be_bytes(self.take(2)?.try_into().unwrap())),
            26 => u64::from(u32::from_be_bytes(self.take(4)?.try_into().unwrap())),
            27 => u64::from_be_bytes(self.take(8)?.try_into().unwrap()),
            _ => return Err(format!("CBOR item of an unsupported kind (0x{first:02x})")),
        };
        Ok((major, arg))
    }

    /// A length, no more than the bytes left could hold.
    fn len(&self, n: u64) -> Result<usize, String> {
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.b.len() - self.at)
            .ok_or_else(|| "CBOR length beyond the block".to_string())
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("CBOR nested too deep".into());
        }
        let at = self.at;
        let (major, arg) = self.head()?;
        Ok(match major {
            0 => Value::from(arg),
            1 => i64::try_from(arg)
                .map(|a| Value::from(-1 - a))
                .unwrap_or(Value::Null),
            2 => {
                let n = self.len(arg)?;
                Value::String(String::from_utf8_lossy(self.take(n)?).into_owned())
            }
            3 => {
                let n = self.len(arg)?;
                let s = std::str::from_utf8(self.take(n)?).map_err(|_| "CBOR text not UTF-8")?;
                Value::String(s.to_string())
            }
            4 => {
                let n = self.len(arg)?;
                let mut a = Vec::with_capacity(n);
                for _ in 0..n {
                    a.push(self.value(depth + 1)?);
                }
                Value::Array(a)
            }
            5 => {
                let n = self.len(arg)?;
                let mut m = Map::new();
                for _ in 0..n {
                    let Value::String(k) = self.value(depth + 1)? else {
                        return Err("CBOR map key that is not text".into());
                    };
                    let v = self.value(depth + 1)?;
                    m.insert(k, v);
                }
                Value::Object(m)
            }
            6 if arg == 42 => {
                let (major, n) = self.head()?;
                if major != 2 {
                    return Err("CID link that is not a byte string".into());
                }
                let n = self.len(n)?;
                let bytes = self.take(n)?;
                // A multibase identity prefix (0x00), then the CID's bytes.
                let cid = bytes
                    .strip_prefix(&[0][..])
                    .ok_or("CID link without its 0x00")?;
                let mut link = Map::new();
                link.insert("$link".into(), Value::String(cid_string(cid)));
                Value::Object(link)
            }
            6 => self.value(depth + 1)?,
            _ => {
                self.at = at;
                let first = self.take(1)?[0];
                match first {
                    0xf4 => Value::Bool(false),
                    0xf5 => Value::Bool(true),
                    0xf6 | 0xf7 => Value::Null,
                    0xfb => Value::from(f64::from_be_bytes(self.take(8)?.try_into().unwrap())),
                    0xfa => Value::from(f64::from(f32::from_be_bytes(
                        self.take(4)?.try_into().unwrap(),
                    ))),
                    _ => return Err(format!("CBOR item of an unsupported kind (0x{first:02x})")),
                }
            }
        })
    }
}

/// A CID's text form: multibase base32 (`b...`) of its bytes; a v0 CID (a bare SHA-256
/// multihash) in hex, which the protocol never uses but a file might.
fn cid_string(cid: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut s = String::with_capacity(1 + cid.len() * 8 / 5 + 1);
    s.push('b');
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in cid {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            s.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        s.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    s
}

/// The CID at the start of a block: its bytes' length. v1: version, codec, hash code and
/// length as varints, then the digest; v0: a SHA-256 multihash (0x12 0x20 and 32 bytes).
fn cid_len(b: &[u8]) -> Option<usize> {
    if b.starts_with(&[0x12, 0x20]) {
        return (b.len() >= 34).then_some(34);
    }
    let mut at = 0;
    let mut next = || {
        let (v, n) = varint(b.get(at..)?)?;
        at += n;
        Some(v)
    };
    let (version, _codec, _code, size) = (next()?, next()?, next()?, next()?);
    if version != 1 {
        return None;
    }
    let end = at.checked_add(usize::try_from(size).ok()?)?;
    (end <= b.len()).then_some(end)
}

/// Records read from a chunk at a time: a large account's repository is read a few
/// thousand posts at a time, not all held at once.
const CHUNK_RECORDS: usize = 4096;

/// A repository's CAR file, indexed: its profile's account, then its posts in key order (a
/// record key is a time-ordered id, so oldest first), each decoded as its chunk is made.
pub(crate) struct CarChunks {
    file: std::sync::Arc<str>,
    platform: String,
    bytes: Vec<u8>,
    did: String,
    /// The posts' and profile's keys (`COLLECTION/RKEY`) and their bytes in `bytes`.
    keys: std::vec::IntoIter<(String, std::ops::Range<usize>)>,
    /// Diagnostics, given with the last chunk.
    diags: Vec<crate::Item>,
    /// Bytes not yet counted as read.
    unread: usize,
    read_any: bool,
    done: bool,
}

impl CarChunks {
    /// Index the repository in `bytes`: every block's place by its CID, the search tree's
    /// nodes decoded for the records' keys. An error where it is no repository.
    pub(crate) fn new(
        bytes: Vec<u8>,
        file: std::sync::Arc<str>,
        platform: Option<&str>,
    ) -> Result<CarChunks, String> {
        let (hlen, n) = varint(&bytes).ok_or("not a CAR file: no header length")?;
        let hend = usize::try_from(hlen)
            .ok()
            .and_then(|h| n.checked_add(h))
            .filter(|&e| e <= bytes.len())
            .ok_or("not a CAR file: its header is cut short")?;
        let header = Cbor {
            b: &bytes[n..hend],
            at: 0,
        }
        .value(0)
        .map_err(|e| format!("not a CAR file: {e}"))?;
        let root = header
            .get("roots")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .and_then(|r| r.get("$link"))
            .and_then(Value::as_str)
            .ok_or("a CAR file with no root: not an account's repository")?
            .to_string();
        let mut diags = Vec::new();
        let diag = |m: String| (0, Err(Diagnostic::new(&*file, 0, m)));
        // Every block's place by its CID, its bytes left undecoded, but the search tree's
        // nodes (a map of `e` and `l`): their entries' keys and CIDs.
        let mut blocks: std::collections::HashMap<String, std::ops::Range<usize>> =
            std::collections::HashMap::new();
        let mut entries: Vec<(String, String)> = Vec::new();
        let mut at = hend;
        let mut count = 0u64;
        while at < bytes.len() {
            let cut = |what: &str| {
                format!(
                    "the CAR file is cut short in block {} ({what}): the {count} blocks before \
                     it are read",
                    count + 1
                )
            };
            let Some((len, n)) = varint(&bytes[at..]) else {
                diags.push(diag(cut("its length")));
                break;
            };
            let Some(end) = usize::try_from(len)
                .ok()
                .and_then(|l| (at + n).checked_add(l))
                .filter(|&e| e <= bytes.len())
            else {
                diags.push(diag(cut("its bytes")));
                break;
            };
            let block = at + n..end;
            at = end;
            count += 1;
            let Some(c) = cid_len(&bytes[block.clone()]) else {
                diags.push(diag(format!("CAR block {count}: no CID at its start")));
                continue;
            };
            let cid = cid_string(&bytes[block.start..block.start + c]);
            let data = block.start + c..block.end;
            // DAG-CBOR sorts a map's keys, so a node opens `{"e": ...`.
            if !bytes[data.clone()].starts_with(&[0xa2, 0x61, b'e']) {
                blocks.insert(cid, data);
                continue;
            }
            match (Cbor {
                b: &bytes[data],
                at: 0,
            })
            .value(0)
            {
                Ok(node) => node_entries(&node, &mut entries),
                Err(e) => diags.push(diag(format!("CAR block {count} ({cid}): {e}"))),
            }
        }
        let did = blocks
            .get(&root)
            .and_then(|r| decode(&root, &bytes[r.clone()]).ok())
            .and_then(|c| c.get("did").and_then(Value::as_str).map(str::to_string))
            .ok_or(
                "the CAR file's root is not a repository's commit (no `did`): not an account's \
                 repository, or cut before its commit",
            )?;
        let mut named = std::collections::HashSet::new();
        let mut keys: Vec<(String, std::ops::Range<usize>)> = Vec::new();
        for (key, cid) in entries {
            if let Some((cid, range)) = blocks.get_key_value(&cid) {
                named.insert(cid.clone());
                // Only posts, reposts and the profile are read: likes, follows and the rest
                // are not decoded.
                if key.starts_with("app.bsky.feed.post/")
                    || key.starts_with("app.bsky.feed.repost/")
                    || key.starts_with("app.bsky.actor.profile/")
                {
                    keys.push((key, range.clone()));
                }
            }
        }
        keys.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        // A key is in one node of a well-formed tree; a file that repeats one gives it once.
        keys.dedup_by(|a, b| a.0 == b.0);
        // Posts and profiles no node names (a file cut before its tree's nodes): read too,
        // under their CID, since their key is lost.
        let mut loose: Vec<(String, std::ops::Range<usize>)> = blocks
            .iter()
            .filter(|(cid, _)| !named.contains(*cid) && **cid != root)
            .filter_map(|(cid, range)| {
                let v = decode(cid, &bytes[range.clone()]).ok()?;
                match v.get("$type").and_then(Value::as_str) {
                    Some(
                        kind @ ("app.bsky.feed.post"
                        | "app.bsky.feed.repost"
                        | "app.bsky.actor.profile"),
                    ) => Some((format!("{kind}/cid-{cid}"), range.clone())),
                    _ => None,
                }
            })
            .collect();
        if !loose.is_empty() {
            diags.push(diag(format!(
                "{} posts or profiles of the CAR file are named by none of its search tree's \
                 nodes (a file cut short, or not a whole repository): read with ids made from \
                 their CIDs (`at://{did}/app.bsky.feed.post/cid-...`) in place of their record \
                 keys",
                loose.len()
            )));
        }
        loose.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        keys.extend(loose);
        // The profile first, so that the account is known before its posts.
        keys.sort_by_key(|(k, _)| !k.starts_with("app.bsky.actor.profile/"));
        if keys.is_empty() {
            diags.push(diag(format!(
                "the repository of {did} holds no post or profile ({count} blocks)"
            )));
        }
        Ok(CarChunks {
            unread: bytes.len(),
            file,
            platform: platform.unwrap_or("bluesky").to_string(),
            bytes,
            did,
            keys: keys.into_iter(),
            diags,
            read_any: false,
            done: false,
        })
    }
}

impl Iterator for CarChunks {
    type Item = crate::Chunk;

    fn next(&mut self) -> Option<crate::Chunk> {
        if self.done {
            return None;
        }
        let mut items: Vec<crate::Item> = Vec::new();
        let left = self.keys.len().max(1);
        let mut took = 0;
        for (key, range) in self.keys.by_ref() {
            took += 1;
            match decode(&key, &self.bytes[range]) {
                Ok(v) => {
                    bluesky::repo_record(
                        &format!("at://{}/{key}", self.did),
                        &v,
                        &self.platform,
                        &mut |r: Record| items.push((0, Ok(r))),
                    );
                }
                Err(m) => items.push((0, Err(Diagnostic::new(&*self.file, 0, m)))),
            }
            if items.len() >= CHUNK_RECORDS {
                break;
            }
        }
        // The file's bytes, counted in proportion to the records read.
        let read = if self.keys.len() == 0 {
            std::mem::take(&mut self.unread)
        } else {
            let share = self.unread * took / left;
            self.unread -= share;
            share
        };
        if self.keys.len() == 0 {
            items.append(&mut self.diags);
            self.done = true;
        }
        if items.is_empty() && self.read_any {
            return None;
        }
        self.read_any = true;
        Some(crate::Chunk::Records {
            file: self.file.clone(),
            items,
            read,
        })
    }
}

/// Decode one block's DAG-CBOR.
fn decode(cid: &str, data: &[u8]) -> Result<Value, String> {
    (Cbor { b: data, at: 0 })
        .value(0)
        .map_err(|e| format!("CAR block {cid}: {e}"))
}

/// A search tree node's entries: each key (the first `p` bytes of the key before it, then
/// `k`) and its record's CID.
fn node_entries(node: &Value, out: &mut Vec<(String, String)>) {
    let Some(entries) = node.get("e").and_then(Value::as_array) else {
        return;
    };
    let mut key = String::new();
    for e in entries {
        let p = e.get("p").and_then(Value::as_u64).unwrap_or(0) as usize;
        let k = e.get("k").and_then(Value::as_str).unwrap_or_default();
        let cut = raqib_model::cut_at_char(&key, p).len();
        key.truncate(cut);
        key.push_str(k);
        if let Some(cid) = e
            .get("v")
            .and_then(|v| v.get("$link"))
            .and_then(Value::as_str)
        {
            out.push((key.clone(), cid.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cbor_values_and_links() {
        // {"a": [1, -2, "x", true, null], "l": tag42(h'00' + CID)}
        let cid = [0x01, 0x55, 0x12, 0x20].iter().chain(&[7u8; 32]).copied();
        let mut b = vec![0xa2, 0x61, b'a', 0x85, 0x01, 0x21, 0x61, b'x', 0xf5, 0xf6];
        b.extend([0x61, b'l', 0xd8, 0x2a, 0x58, 37, 0x00]);
        b.extend(cid.clone());
        let v = Cbor { b: &b, at: 0 }.value(0).unwrap();
        assert_eq!(v["a"], serde_json::json!([1, -2, "x", true, null]));
        let link = v["l"]["$link"].as_str().unwrap();
        assert!(link.starts_with("bafkrei"), "{link}");
        let cid: Vec<u8> = cid.collect();
        assert_eq!(cid_len(&cid), Some(36));
    }

    #[test]
    fn lengths_beyond_the_bytes_and_deep_nesting_are_errors() {
        assert!(Cbor {
            b: &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            at: 0
        }
        .value(0)
        .is_err());
        assert!(Cbor {
            b: &[0x7a, 0x7f, 0xff, 0xff, 0xff],
            at: 0
        }
        .value(0)
        .is_err());
        let deep = vec![0x81; 1000];
        assert!(Cbor { b: &deep, at: 0 }.value(0).is_err());
        assert!(CarChunks::new(b"\x05hello".to_vec(), "f".into(), None).is_err());
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = Cbor { b: &bytes, at: 0 }.value(0);
            if let Ok(chunks) = CarChunks::new(bytes.clone(), "f".into(), None) {
                for c in chunks {
                    c.for_each_record(|_, _| {});
                }
            }
            let _ = looks_like_car(&bytes);
        }

        #[test]
        fn cid_text_is_base32_of_its_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let s = cid_string(&bytes);
            prop_assert_eq!(bluesky::base32_lower(&s[1..]).unwrap(), bytes);
        }
    }
}
