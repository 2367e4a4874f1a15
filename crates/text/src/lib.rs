//! raqib's text signal: obfuscation-aware normalisation for Arabic and Latin script, hashed
//! character and word n-gram features, and a logistic-regression model that trains in
//! seconds, scores in microseconds and explains each score with spans of the original text.
//!
//! **Invariant:** nothing here does I/O except [`Model::load`] and [`Model::save`]; the
//! detector is a pure function of the model and the text.
//!
//! ```
//! use raqib_text::{normalise, train, Example, Scratch, TrainConfig};
//! assert_eq!(normalise("D.A.E.S.H"), "daesh");
//! let ex = |t: &str, l| Example { text: t.into(), label: l };
//! let data = vec![ex("join the caliphate army", true), ex("weather is nice today", false)];
//! let cfg = TrainConfig { threads: 1, ..Default::default() };
//! let (model, _) = train(&data, None, &cfg).unwrap();
//! let mut s = Scratch::default();
//! assert!(model.score("join the caliphate", &mut s) > model.score("nice weather", &mut s));
//! ```

pub mod features;
pub mod metrics;
pub mod model;
pub mod normalise;
pub mod train;

pub use features::FeatureConfig;
pub use model::{Explanation, Model, ModelError, ModelHeader, Scratch};
pub use normalise::{normalise, Normaliser};
pub use train::{train, Example, TrainConfig, TrainError, TrainReport};

/// `ar` when most letters are Arabic script, `und` otherwise: the language bucket for a
/// post whose source gave none.
pub fn script_language(text: &str) -> &'static str {
    let (mut arabic, mut letters) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        if ('\u{0600}'..='\u{06FF}').contains(&c)
            || ('\u{0750}'..='\u{077F}').contains(&c)
            || ('\u{FB50}'..='\u{FEFF}').contains(&c)
        {
            arabic += 1;
        }
    }
    if letters > 0 && arabic * 2 >= letters {
        "ar"
    } else {
        "und"
    }
}
