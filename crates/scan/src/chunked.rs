//! A growable list of fixed-size chunks: once its first chunk is full, nothing it holds
//! moves again.
//!
//! For a worker's per-account aggregates (a few hundred bytes an account). A `Vec` grows
//! by copying everything into a buffer twice the size: for 50,000 accounts about 25 MB
//! copied per worker, and twice the fresh memory touched, which the kernel must zero first
//! (page faults were 7% of a 1M-post scan's CPU time with a `Vec`). Here a full chunk
//! stays where it is and the next one is allocated beside it.

use std::ops::{Index, IndexMut};

/// Bytes a full chunk takes at most: large enough for huge pages (2 MiB) to apply.
const CHUNK_BYTES: usize = 4 << 20;

/// Items in chunks of at most `BYTES` bytes each.
#[derive(Debug, Clone)]
pub struct Chunked<T, const BYTES: usize = CHUNK_BYTES> {
    /// Every chunk but the last is full.
    chunks: Vec<Vec<T>>,
}

impl<T, const BYTES: usize> Default for Chunked<T, BYTES> {
    fn default() -> Self {
        Chunked { chunks: Vec::new() }
    }
}

impl<T, const BYTES: usize> Chunked<T, BYTES> {
    /// log2 of the items a full chunk holds: the largest power of two that fits in
    /// `BYTES` (at least one item).
    const SHIFT: u32 = {
        let per = BYTES
            / if size_of::<T>() == 0 {
                1
            } else {
                size_of::<T>()
            };
        if per == 0 {
            0
        } else {
            per.ilog2()
        }
    };
    const MASK: usize = (1 << Self::SHIFT) - 1;

    pub fn len(&self) -> usize {
        self.chunks
            .last()
            .map_or(0, |c| ((self.chunks.len() - 1) << Self::SHIFT) + c.len())
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Add `v` at the end; what is already there does not move. The first chunk grows as
    /// a `Vec` does (a small scan touches little memory), the later ones are made full
    /// size. Each chunk is advised to huge pages once it is big enough for them.
    pub fn push(&mut self, v: T) {
        let full = 1usize << Self::SHIFT;
        match self.chunks.last_mut() {
            Some(c) if c.len() < full => {
                if c.len() == c.capacity() {
                    let want = (c.len() * 2).clamp(4, full);
                    c.reserve_exact(want - c.len());
                    raqib_model::hint::huge_pages(c);
                }
                c.push(v);
            }
            _ => {
                let mut c = Vec::with_capacity(if self.chunks.is_empty() { 4 } else { full });
                raqib_model::hint::huge_pages(&c);
                c.push(v);
                self.chunks.push(c);
            }
        }
    }

    /// Add every item of `other`, in no particular order. Full chunks change hands as they
    /// are; only the items of the two lists' last, partly filled, chunks move (one chunk's
    /// worth each at most), so joining two workers' tables copies next to nothing.
    pub fn append(&mut self, other: Chunked<T, BYTES>) {
        let full = 1usize << Self::SHIFT;
        let (whole, loose): (Vec<Vec<T>>, Vec<Vec<T>>) = std::mem::take(&mut self.chunks)
            .into_iter()
            .chain(other.chunks)
            .partition(|c| c.len() == full);
        self.chunks = whole;
        for v in loose.into_iter().flatten() {
            self.push(v);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.chunks.iter_mut().flatten()
    }

    /// The items in `n` runs of consecutive items, as even as can be (each run as one or
    /// more slices): to share the items out among `n` threads.
    pub fn split_mut(&mut self, n: usize) -> Vec<Vec<&mut [T]>> {
        let per = self.len().div_ceil(n.max(1)).max(1);
        let mut runs: Vec<Vec<&mut [T]>> = Vec::new();
        let mut room = 0usize;
        for c in self.chunks.iter_mut() {
            let mut rest: &mut [T] = c;
            while !rest.is_empty() {
                if room == 0 {
                    runs.push(Vec::new());
                    room = per;
                }
                let (take, after) = rest.split_at_mut(room.min(rest.len()));
                room -= take.len();
                runs.last_mut().expect("a run was just started").push(take);
                rest = after;
            }
        }
        runs
    }
}

impl<T, const BYTES: usize> Index<usize> for Chunked<T, BYTES> {
    type Output = T;
    #[inline]
    fn index(&self, i: usize) -> &T {
        &self.chunks[i >> Self::SHIFT][i & Self::MASK]
    }
}

impl<T, const BYTES: usize> IndexMut<usize> for Chunked<T, BYTES> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i >> Self::SHIFT][i & Self::MASK]
    }
}

impl<T, const BYTES: usize> FromIterator<T> for Chunked<T, BYTES> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut c = Chunked::default();
        for v in items {
            c.push(v);
        }
        c
    }
}

impl<T, const BYTES: usize> IntoIterator for Chunked<T, BYTES> {
    type Item = T;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<T>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.chunks.into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Chunks of 8 items (of 8 bytes), so that tests cross chunk edges.
    type Small = Chunked<u64, 64>;

    #[test]
    fn chunks_hold_a_power_of_two_within_the_byte_limit() {
        assert_eq!(Small::SHIFT, 3);
        assert_eq!(Chunked::<u64, 100>::SHIFT, 3);
        assert_eq!(Chunked::<u8>::SHIFT, 22);
        assert_eq!(Chunked::<[u8; 5 << 20]>::SHIFT, 0);
        assert_eq!(Chunked::<[u8; 3 << 20]>::SHIFT, 0);
    }

    proptest! {
        /// Pushing, indexing, iterating and splitting behave as on a `Vec`, across chunk
        /// edges, and a pushed item never moves.
        #[test]
        fn behaves_as_a_vec(n in 0usize..60, threads in 1usize..5) {
            let mut c = Small::default();
            let mut v: Vec<u64> = Vec::new();
            let mut first: Option<*const u64> = None;
            for i in 0..n as u64 {
                c.push(i * 7);
                v.push(i * 7);
                // The first item stays where it was put (once its chunk is full size).
                if c.len() > 8 {
                    first.get_or_insert(&c[0] as *const u64);
                    prop_assert_eq!(first, Some(&c[0] as *const u64));
                }
            }
            prop_assert_eq!(c.len(), n);
            prop_assert_eq!(c.is_empty(), n == 0);
            for (i, x) in v.iter().enumerate() {
                prop_assert_eq!(c[i], *x);
            }
            let all: Vec<u64> = c.iter().copied().collect();
            prop_assert_eq!(&all, &v);
            for b in c.iter_mut() {
                *b += 1;
            }
            let runs = c.split_mut(threads);
            prop_assert!(runs.len() <= threads);
            let sizes: Vec<usize> =
                runs.iter().map(|r| r.iter().map(|s| s.len()).sum()).collect();
            if let (Some(max), Some(min)) = (sizes.iter().max(), sizes.iter().min()) {
                // Even: every run but the last has the same length, the last no more.
                prop_assert!(sizes[..sizes.len() - 1].iter().all(|&s| s == *max));
                prop_assert!(*min >= 1);
            }
            let split: Vec<u64> = runs
                .into_iter()
                .flatten()
                .flat_map(|s| s.iter().copied())
                .collect();
            prop_assert_eq!(split, v.iter().map(|x| x + 1).collect::<Vec<_>>());
            let owned: Vec<u64> = c.into_iter().collect();
            prop_assert_eq!(owned, v.iter().map(|x| x + 1).collect::<Vec<_>>());
        }

        /// Appending keeps every item of both (in some order), and the result indexes and
        /// grows as any list: its full chunks first, then at most one partly filled.
        #[test]
        fn append_keeps_every_item(a in 0usize..40, b in 0usize..40, more in 0usize..20) {
            let mut x: Small = (0..a as u64).collect();
            let y: Small = (1000..1000 + b as u64).collect();
            x.append(y);
            for i in 0..more as u64 {
                x.push(5000 + i);
            }
            prop_assert_eq!(x.len(), a + b + more);
            let mut by_index: Vec<u64> = (0..x.len()).map(|i| x[i]).collect();
            let by_iter: Vec<u64> = x.iter().copied().collect();
            prop_assert_eq!(&by_index, &by_iter);
            by_index.sort_unstable();
            let mut want: Vec<u64> = (0..a as u64)
                .chain(1000..1000 + b as u64)
                .chain(5000..5000 + more as u64)
                .collect();
            want.sort_unstable();
            prop_assert_eq!(by_index, want);
            let partial = x.chunks.iter().filter(|c| c.len() < 8).count();
            prop_assert!(partial <= 1);
            prop_assert!(x.chunks[..x.chunks.len().saturating_sub(1)].iter().all(|c| c.len() == 8));
        }
    }
}
