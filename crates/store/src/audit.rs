//! The audit log: one JSON object per line,
//!
//! ```json
//! {"seq":1,"at":1764400000,"actor":"raqib policy apply","kind":"decision","subject":"post:x:p1","data":{...},"prev":"000…0","hash":"9f…"}
//! ```
//!
//! `hash` is the SHA-256 (hex) of the entry's canonical JSON without `hash` (fields in the
//! order above, object keys of `data` sorted), and `prev` is the hash of the entry before
//! (64 zeros for the first). Changing any byte of an entry breaks its hash; deleting,
//! inserting or reordering entries breaks the next `prev`; `seq` counts from 1 without
//! gaps. Cutting entries off the end is not visible in the file alone: keep the head hash
//! that `verify` prints somewhere else (a ticket, another system) to detect that.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry before it is chained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Unix seconds.
    pub at: i64,
    /// Who: a reviewer, a token's name, or the command.
    pub actor: String,
    /// What: `decision`, `action`, `appeal`, ...
    pub kind: String,
    /// About what: e.g. `post:twitter:123`, `account:x:42`.
    pub subject: String,
    #[serde(default)]
    pub data: serde_json::Value,
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    #[serde(flatten)]
    pub record: Record,
    pub prev: String,
    pub hash: String,
}

/// The part of an entry its hash covers, in this order.
#[derive(Serialize)]
struct Hashed<'a> {
    seq: u64,
    #[serde(flatten)]
    record: &'a Record,
    prev: &'a str,
}

pub(crate) fn hash_of(seq: u64, record: &Record, prev: &str) -> String {
    let bytes = serde_json::to_vec(&Hashed { seq, record, prev })
        .expect("serialising to memory cannot fail");
    hex(&Sha256::digest(&bytes))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    /// The chain is broken at this line.
    #[error("{path}:{line}: {message}")]
    Broken {
        path: String,
        line: u64,
        message: String,
    },
}

/// What `verify` found in an intact log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    /// The hash of the last entry (`GENESIS` for an empty log): record it elsewhere.
    pub head: String,
    /// A torn last line (a crash mid-write): never acknowledged, not part of the chain.
    pub torn_tail: bool,
}

/// Check every entry of the log at `path`.
pub fn verify(path: &Path) -> Result<Verified, AuditError> {
    let io = |error| AuditError::Io {
        path: path.display().to_string(),
        error,
    };
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Verified {
                entries: 0,
                head: GENESIS.into(),
                torn_tail: false,
            })
        }
        Err(e) => return Err(io(e)),
    };
    verify_reader(BufReader::new(f), &path.display().to_string())
}

/// Check every entry read from `reader`; `name` names it in errors.
pub fn verify_reader(mut reader: impl BufRead, name: &str) -> Result<Verified, AuditError> {
    let io = |error| AuditError::Io {
        path: name.to_string(),
        error,
    };
    let broken = |line: u64, message: String| AuditError::Broken {
        path: name.to_string(),
        line,
        message,
    };
    let mut line = String::new();
    let (mut n, mut head, mut torn) = (0u64, GENESIS.to_string(), false);
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(io)? == 0 {
            break;
        }
        if !line.ends_with('\n') {
            torn = true;
            break;
        }
        let no = n + 1;
        let e: Entry = serde_json::from_str(line.trim_end())
            .map_err(|err| broken(no, format!("not an audit entry: {err}")))?;
        if e.seq != no {
            return Err(broken(
                no,
                format!(
                    "entry number {} where {no} was expected: an entry was removed, added or moved",
                    e.seq
                ),
            ));
        }
        if e.prev != head {
            return Err(broken(no, "`prev` is not the hash of the entry before: an entry before this one was changed, removed or moved".into()));
        }
        if hash_of(e.seq, &e.record, &e.prev) != e.hash {
            return Err(broken(
                no,
                "the entry does not match its hash: it was changed".into(),
            ));
        }
        head = e.hash;
        n = no;
    }
    Ok(Verified {
        entries: n,
        head,
        torn_tail: torn,
    })
}

/// Every entry of a log that verifies (a broken log is refused with its line).
pub fn read_entries(path: &Path) -> Result<Vec<Entry>, AuditError> {
    let v = verify(path)?;
    let text = std::fs::read_to_string(path).map_err(|error| AuditError::Io {
        path: path.display().to_string(),
        error,
    })?;
    Ok(text
        .lines()
        .take(v.entries as usize)
        .map(|l| serde_json::from_str(l).expect("verified entry"))
        .collect())
}

/// An audit log open for appending.
pub struct AuditLog {
    path: PathBuf,
    file: File,
    seq: u64,
    head: String,
}

impl AuditLog {
    /// Open (or create) the log, checking the whole chain first: a log that does not
    /// verify is not appended to.
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        let v = verify(path)?;
        let file =
            raqib_media::lists::open_log_for_append(path).map_err(|error| AuditError::Io {
                path: path.display().to_string(),
                error,
            })?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            file,
            seq: v.entries,
            head: v.head,
        })
    }

    pub fn head(&self) -> &str {
        &self.head
    }

    pub fn len(&self) -> u64 {
        self.seq
    }

    pub fn is_empty(&self) -> bool {
        self.seq == 0
    }

    /// Append records, chained, and sync them to disk before returning.
    pub fn append(&mut self, records: &[Record]) -> Result<(), AuditError> {
        let mut buf = Vec::new();
        let (mut seq, mut head) = (self.seq, self.head.clone());
        for r in records {
            seq += 1;
            let hash = hash_of(seq, r, &head);
            let e = Entry {
                seq,
                record: r.clone(),
                prev: head,
                hash: hash.clone(),
            };
            serde_json::to_writer(&mut buf, &e).expect("serialising to memory cannot fail");
            buf.push(b'\n');
            head = hash;
        }
        let io = |error| AuditError::Io {
            path: self.path.display().to_string(),
            error,
        };
        self.file.write_all(&buf).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.seq = seq;
        self.head = head;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: i64) -> Record {
        Record {
            at: 1_700_000_000 + i,
            actor: "reviewer-1".into(),
            kind: "decision".into(),
            subject: format!("post:x:{i}"),
            data: serde_json::json!({"action": "remove", "b": 1, "a": [i]}),
        }
    }

    fn log_with(n: i64) -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("audit.jsonl");
        let mut log = AuditLog::open(&p).unwrap();
        log.append(&(1..=n).map(rec).collect::<Vec<_>>()).unwrap();
        (d, p)
    }

    fn lines(p: &Path) -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn write_lines(p: &Path, l: &[String]) {
        std::fs::write(p, l.iter().map(|x| format!("{x}\n")).collect::<String>()).unwrap();
    }

    #[test]
    fn appends_chain_across_reopening() {
        let (_d, p) = log_with(3);
        let v = verify(&p).unwrap();
        assert_eq!(v.entries, 3);
        let mut log = AuditLog::open(&p).unwrap();
        assert_eq!(log.head(), v.head);
        log.append(&[rec(4)]).unwrap();
        let v2 = verify(&p).unwrap();
        assert_eq!(v2.entries, 4);
        assert_ne!(v2.head, v.head);
        assert_eq!(verify(&p.with_extension("none")).unwrap().head, GENESIS);
    }

    #[test]
    fn any_edit_removal_insertion_or_reordering_is_found_at_its_line() {
        let (_d, p) = log_with(5);
        let orig = lines(&p);
        // An edited field.
        let mut l = orig.clone();
        l[2] = l[2].replace("\"remove\"", "\"ignore\"");
        write_lines(&p, &l);
        let e = verify(&p).unwrap_err().to_string();
        assert!(e.contains(":3: the entry does not match its hash"), "{e}");
        // A removed entry.
        let mut l = orig.clone();
        l.remove(1);
        write_lines(&p, &l);
        assert!(verify(&p)
            .unwrap_err()
            .to_string()
            .contains(":2: entry number 3 where 2"));
        // Two entries swapped.
        let mut l = orig.clone();
        l.swap(3, 4);
        write_lines(&p, &l);
        assert!(verify(&p).unwrap_err().to_string().contains(":4:"));
        // A forged entry with a correct own hash but renumbered: its prev gives it away.
        let mut l = orig.clone();
        let mut e: Entry = serde_json::from_str(&l[4]).unwrap();
        e.prev = GENESIS.into();
        e.hash = hash_of(e.seq, &e.record, &e.prev);
        l[4] = serde_json::to_string(&e).unwrap();
        write_lines(&p, &l);
        assert!(verify(&p).unwrap_err().to_string().contains(":5: `prev`"));
        // Not JSON.
        let mut l = orig.clone();
        l[0] = "garbage".into();
        write_lines(&p, &l);
        assert!(verify(&p)
            .unwrap_err()
            .to_string()
            .contains(":1: not an audit entry"));
        // A broken log is not appended to.
        assert!(AuditLog::open(&p).is_err());
    }

    #[test]
    fn a_torn_last_line_is_reported_and_the_chain_goes_on_after_it() {
        let (_d, p) = log_with(2);
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"seq\":3,\"at\":").unwrap();
        drop(f);
        let v = verify(&p).unwrap();
        assert!(v.torn_tail);
        assert_eq!(v.entries, 2);
        let mut log = AuditLog::open(&p).unwrap();
        log.append(&[rec(3)]).unwrap();
        // The torn fragment now sits on its own line in the middle: verify stops there.
        let e = verify(&p).unwrap_err().to_string();
        assert!(e.contains(":3: not an audit entry"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn flipping_any_byte_of_an_entry_is_detected(n in 1i64..6, which in 0usize..6, pos in 0usize..400) {
            let (_d, p) = log_with(n);
            let mut l = lines(&p);
            let i = which % l.len();
            let mut bytes = l[i].clone().into_bytes();
            let k = pos % bytes.len();
            let old = bytes[k];
            bytes[k] = if old == b'1' { b'2' } else if old.is_ascii_digit() || old.is_ascii_alphabetic() { b'1' } else { return Ok(()) };
            l[i] = String::from_utf8(bytes).unwrap();
            write_lines(&p, &l);
            proptest::prop_assert!(verify(&p).is_err());
        }
    }
}
