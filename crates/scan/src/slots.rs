//! Account key → place in a worker's aggregates, as an open-addressing table whose slot a
//! scan can ask the CPU to load before it looks the key up.
//!
//! A scan finds each post's account as soon as the post is read; with tens of thousands of
//! accounts that lookup misses the cache almost every time. [`SlotMap::prefetch`] lets the
//! worker start loading the table's line while it scores the post before.

/// Keys are hashes the caller computed ([`crate::accounts::account_key`]); 0 marks an
/// empty place, so a key of 0 is stored as 1 (two accounts would then share a place only
/// if their keys collide in 63 bits, as likely as any other key collision).
#[derive(Debug, Clone, Default)]
pub struct SlotMap {
    keys: Vec<u64>,
    values: Vec<u32>,
    len: usize,
}

const MIN_CAPACITY: usize = 1 << 10;

#[inline]
fn stored(key: u64) -> u64 {
    key.max(1)
}

impl SlotMap {
    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        // The top bits: `account_key` is a full 64-bit hash, and the low bits of the slot
        // index then differ from those of anything else keyed by the same hash.
        (key.rotate_left(29) as usize) & (self.keys.len() - 1)
    }

    /// Ask the CPU to load the place where `key` would be: a hint, changes nothing.
    #[inline]
    pub fn prefetch(&self, key: u64) {
        if !self.keys.is_empty() {
            let i = self.home(stored(key));
            raqib_model::hint::prefetch(&self.keys[i]);
            raqib_model::hint::prefetch(&self.values[i]);
        }
    }

    #[cfg(test)]
    fn get(&self, key: u64) -> Option<u32> {
        if self.keys.is_empty() {
            return None;
        }
        let key = stored(key);
        let mask = self.keys.len() - 1;
        let mut i = self.home(key);
        loop {
            match self.keys[i] {
                0 => return None,
                k if k == key => return Some(self.values[i]),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The value of `key`, inserting `value` first if the key is new.
    pub fn get_or_insert(&mut self, key: u64, value: u32) -> u32 {
        if (self.len + 1) * 2 > self.keys.len() {
            self.grow();
        }
        let key = stored(key);
        let mask = self.keys.len() - 1;
        let mut i = self.home(key);
        loop {
            match self.keys[i] {
                0 => {
                    self.keys[i] = key;
                    self.values[i] = value;
                    self.len += 1;
                    return value;
                }
                k if k == key => return self.values[i],
                _ => i = (i + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        let cap = (self.keys.len() * 2).max(MIN_CAPACITY);
        let old = std::mem::replace(
            self,
            SlotMap {
                keys: vec![0; cap],
                values: vec![0; cap],
                len: 0,
            },
        );
        raqib_model::hint::huge_pages(&self.keys);
        raqib_model::hint::huge_pages(&self.values);
        for (k, v) in old.iter() {
            self.get_or_insert(k, v);
        }
    }

    /// Every (stored key, value), in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.keys
            .iter()
            .zip(&self.values)
            .filter(|(&k, _)| k != 0)
            .map(|(&k, &v)| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same answers as a `HashMap`, for keys that repeat, collide in their low
        /// bits, and include 0 and 1 (which share a place by design).
        #[test]
        fn behaves_as_a_map(ops in proptest::collection::vec((0u64..64, any::<bool>()), 0..3000)) {
            let mut m = SlotMap::default();
            let mut want = std::collections::HashMap::new();
            for (n, (k, spread)) in ops.into_iter().enumerate() {
                let key = if spread { k.wrapping_mul(0x9E37_79B9_7F4A_7C15) } else { k << 40 };
                let v = n as u32;
                let got = m.get_or_insert(key, v);
                let w = *want.entry(stored(key)).or_insert(v);
                prop_assert_eq!(got, w);
                prop_assert_eq!(m.get(key), Some(w));
                m.prefetch(key);
            }
            prop_assert_eq!(m.len(), want.len());
            let mut all: Vec<(u64, u32)> = m.iter().collect();
            all.sort_unstable();
            let mut w: Vec<(u64, u32)> = want.into_iter().collect();
            w.sort_unstable();
            prop_assert_eq!(all, w);
        }
    }

    #[test]
    fn an_empty_map_finds_nothing() {
        let m = SlotMap::default();
        assert_eq!(m.get(7), None);
        m.prefetch(7);
        assert!(m.is_empty());
    }
}
