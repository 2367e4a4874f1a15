//! raqib-media: known-media signals.
//!
//! - [`pdq`]: PDQ image hashes, bit-exact with Meta's reference, and the eight
//!   dihedral variants.
//! - [`decode`]: JPEG/PNG/GIF/WebP/BMP decoding with a pixel limit.

pub mod decode;
pub mod pdq;

pub use pdq::{Dihedral, Hash256, PdqHash, PdqHasher};
pub mod exact;
pub mod index;
pub mod lists;
pub mod local;
pub mod url;
pub mod video;
