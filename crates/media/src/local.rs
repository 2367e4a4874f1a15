//! Media files that an export carries beside its posts (a Telegram export's `photos/`, a
//! WhatsApp chat's attachments), hashed so that the posts can be matched against hash
//! lists: SHA-256 of the bytes, and an image's PDQ hash.
//!
//! The paths come from the export, which is untrusted: only a relative path that stays
//! inside the export's folder (no `..`, no root, no drive) and names a regular file is
//! read, so an export cannot have raqib read `/dev/zero` or a file outside it.

use std::path::{Component, Path, PathBuf};

use crate::decode::{decode_rgb, sniff};
use crate::exact::{digests_of, sha256_hex};
use crate::lists::MIN_QUALITY;
use crate::{Hash256, PdqHasher};

/// What a local media file gave.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalHashes {
    pub sha256: String,
    /// The image's PDQ hash, when it is an image whose hash is good enough to match
    /// (quality at least [`MIN_QUALITY`]).
    pub pdq: Option<Hash256>,
}

/// Where a media reference points inside the export folder `base`, if it is a relative
/// path that stays inside it (a URL, an absolute path or one with `..` is not).
pub fn resolve(base: &Path, reference: &str) -> Option<PathBuf> {
    if reference.is_empty() || reference.contains("://") || reference.starts_with("mxc:") {
        return None;
    }
    let rel = Path::new(reference);
    let inside = rel
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    inside.then(|| base.join(rel))
}

/// Where the export keeps its own copy of a post's media reference: the reference itself
/// when it is a path inside the export (see [`resolve`]), or, for a URL, a Twitter
/// archive's copy beside its tweets, `tweets_media/<post id>-<the URL's file name>`, when
/// that file exists.
pub fn local_copy(base: &Path, post_id: &str, reference: &str) -> Option<PathBuf> {
    local_copy_where(base, post_id, reference, |p| p.is_file())
}

/// [`local_copy`], with what counts as an existing file given (a zipped export's
/// members are files too).
pub fn local_copy_where(
    base: &Path,
    post_id: &str,
    reference: &str,
    exists: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    if let Some(p) = resolve(base, reference) {
        return Some(p);
    }
    if !reference.contains("://") {
        return None;
    }
    let name = reference.rsplit('/').next()?.split(['?', '#']).next()?;
    let plain = |s: &str| !s.is_empty() && !s.contains(['/', '\\']) && s != "." && s != "..";
    if !plain(name) || !plain(post_id) {
        return None;
    }
    let p = base.join("tweets_media").join(format!("{post_id}-{name}"));
    exists(&p).then_some(p)
}

/// Hash the media file at `path` (see [`resolve`]): not a regular file, larger than
/// `max_bytes`, or an image that does not decode within `max_pixels`, is an error that
/// says so. Files that are not images get their SHA-256 only.
pub fn hash_local(
    path: &Path,
    max_bytes: u64,
    max_pixels: u64,
    hasher: &mut PdqHasher,
) -> Result<LocalHashes, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > max_bytes {
        return Err(format!(
            "{} bytes, over the limit of {max_bytes}",
            meta.len()
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    hash_read(file, max_bytes, max_pixels, hasher)
}

/// Hash a media file read from `r` (a file, or a member of a zipped export): an image
/// (known by its first bytes) is read whole, up to `max_bytes`, and gets its SHA-256 and PDQ
/// hash, or an error where it does not decode within `max_pixels`; any other file is
/// streamed for its SHA-256 only, and an error where it holds more than `max_bytes`.
pub fn hash_read(
    mut r: impl std::io::Read,
    max_bytes: u64,
    max_pixels: u64,
    hasher: &mut PdqHasher,
) -> Result<LocalHashes, String> {
    use std::io::Read;
    let mut head = Vec::with_capacity(32);
    (&mut r)
        .take(32)
        .read_to_end(&mut head)
        .map_err(|e| e.to_string())?;
    let over = || format!("over the limit of {max_bytes} bytes");
    let mut rest = std::io::Cursor::new(head.clone())
        .chain(r)
        .take(max_bytes + 1);
    if sniff(&head).is_none() {
        let (_, sha256, len) = digests_of(&mut rest).map_err(|e| e.to_string())?;
        return if len > max_bytes {
            Err(over())
        } else {
            Ok(LocalHashes { sha256, pdq: None })
        };
    }
    let mut bytes = Vec::new();
    rest.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > max_bytes {
        return Err(over());
    }
    let sha256 = sha256_hex(&bytes);
    let img = decode_rgb(&bytes, max_pixels).map_err(|e| e.to_string())?;
    let h = hasher.hash_rgb(&img.pixels, img.width, img.height);
    Ok(LocalHashes {
        sha256,
        pdq: (h.quality >= MIN_QUALITY).then_some(h.hash),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_relative_paths_inside_the_export_resolve() {
        let base = Path::new("/exports/chat");
        assert_eq!(
            resolve(base, "photos/photo_1.jpg"),
            Some(PathBuf::from("/exports/chat/photos/photo_1.jpg"))
        );
        assert_eq!(
            resolve(base, "./IMG-1.jpg"),
            Some(PathBuf::from("/exports/chat/./IMG-1.jpg"))
        );
        for outside in [
            "",
            "/etc/passwd",
            "../other/x.jpg",
            "photos/../../x.jpg",
            "https://pbs.example/m.jpg",
            "mxc://server/abc",
        ] {
            assert_eq!(resolve(base, outside), None, "{outside}");
        }
    }

    #[test]
    fn a_twitter_archives_copy_of_a_remote_image_is_found_by_its_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("tweets_media")).unwrap();
        std::fs::write(dir.path().join("tweets_media/77-ABC.jpg"), b"x").unwrap();
        let url = "https://pbs.example/media/ABC.jpg?name=large";
        assert_eq!(
            local_copy(dir.path(), "77", url),
            Some(dir.path().join("tweets_media/77-ABC.jpg"))
        );
        assert_eq!(local_copy(dir.path(), "78", url), None);
        assert_eq!(local_copy(dir.path(), "../77", url), None);
        assert_eq!(
            local_copy(dir.path(), "77", "https://pbs.example/media/"),
            None
        );
        assert_eq!(
            local_copy(dir.path(), "77", "IMG-1.jpg"),
            Some(dir.path().join("IMG-1.jpg"))
        );
        assert_eq!(local_copy(dir.path(), "77", "../ABC.jpg"), None);
    }

    fn data(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/pdq")
            .join(name)
    }

    /// Read from a stream (a zip member) a file hashes as it does from its path; past the
    /// limit, an image or another file is an error, not a read without end.
    #[test]
    fn a_stream_hashes_as_its_file_does_and_stops_at_the_limit() {
        let mut hasher = PdqHasher::new();
        let max = 1 << 20;
        let path = data("photo_q40.jpg");
        let bytes = std::fs::read(&path).unwrap();
        let from_file = hash_local(&path, max, 1 << 24, &mut hasher).unwrap();
        let from_stream = hash_read(&bytes[..], max, 1 << 24, &mut hasher).unwrap();
        assert_eq!(from_stream, from_file);
        assert!(from_stream.pdq.is_some());
        let text = vec![b'a'; 100];
        assert_eq!(
            hash_read(&text[..], 100, 1 << 24, &mut hasher)
                .unwrap()
                .sha256,
            sha256_hex(&text)
        );
        assert!(hash_read(&text[..], 99, 1 << 24, &mut hasher).is_err());
        let small = (bytes.len() - 1) as u64;
        assert!(hash_read(&bytes[..], small, 1 << 24, &mut hasher).is_err());
    }

    #[test]
    fn an_image_gives_its_pdq_and_digest_other_files_their_digest() {
        let mut hasher = PdqHasher::new();
        let photo = hash_local(&data("odd_641x479.jpg"), 1 << 30, 1 << 30, &mut hasher).unwrap();
        let bytes = std::fs::read(data("odd_641x479.jpg")).unwrap();
        assert_eq!(photo.sha256, sha256_hex(&bytes));
        let img = decode_rgb(&bytes, 1 << 30).unwrap();
        let expected = hasher.hash_rgb(&img.pixels, img.width, img.height);
        assert!(expected.quality >= MIN_QUALITY);
        assert_eq!(photo.pdq, Some(expected.hash));
        // A flat image's hash says nothing: its digest only.
        let flat = hash_local(&data("flat.png"), 1 << 30, 1 << 30, &mut hasher).unwrap();
        assert_eq!(flat.pdq, None);
        let text = hash_local(&data("expected.jsonl"), 1 << 30, 1 << 30, &mut hasher).unwrap();
        assert_eq!(text.pdq, None);
        assert_eq!(text.sha256.len(), 64);
    }

    #[test]
    fn what_cannot_be_hashed_says_why() {
        let mut hasher = PdqHasher::new();
        let dir = data("");
        assert!(hash_local(&dir, 1 << 30, 1 << 30, &mut hasher)
            .unwrap_err()
            .contains("not a regular file"));
        assert!(
            hash_local(&data("odd_641x479.jpg"), 10, 1 << 30, &mut hasher)
                .unwrap_err()
                .contains("over the limit")
        );
        assert!(hash_local(&data("missing.jpg"), 1 << 30, 1 << 30, &mut hasher).is_err());
    }

    proptest! {
        #[test]
        fn a_resolved_path_never_leaves_the_export(reference in "[a-z./]{0,20}") {
            let base = Path::new("/exports/chat");
            if let Some(p) = resolve(base, &reference) {
                prop_assert!(p.starts_with(base));
                prop_assert!(!p.components().any(|c| c == Component::ParentDir));
            }
        }
    }
}
