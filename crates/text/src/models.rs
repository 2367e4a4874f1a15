//! Several models, one per language, behind one interface: a post goes to the model for
//! its language (its `lang`, else its script), or to the default model.
//!
//! One model per language is what the labelled data calls for: trained together, the
//! English data's volume sets the shared bias, calibration and stopping point, and
//! Arabic suffers for it (see docs/benchmarks.md).

use crate::model::{Model, Scratch};

/// A default model and models for particular languages.
pub struct ModelSet {
    /// `(language, model, name)`; index 0 is the default and its language is empty.
    models: Vec<(String, Model, String)>,
}

impl ModelSet {
    pub fn new(default: Model, name: impl Into<String>) -> ModelSet {
        ModelSet {
            models: vec![(String::new(), default, name.into())],
        }
    }

    /// Route posts in `lang` (a code such as `ar`) to `model`.
    pub fn add(&mut self, lang: &str, model: Model, name: impl Into<String>) {
        let lang = lang.to_ascii_lowercase();
        self.models.retain(|(l, ..)| l.is_empty() || *l != lang);
        self.models.push((lang, model, name.into()));
    }

    /// The index of the model for a post with this language (or script bucket).
    pub fn route(&self, lang: &str) -> usize {
        self.models
            .iter()
            .position(|(l, ..)| !l.is_empty() && l.eq_ignore_ascii_case(lang))
            .unwrap_or(0)
    }

    /// The model for a text: by its declared language, else by its script.
    pub fn route_text(&self, lang: Option<&str>, text: &str) -> usize {
        self.route(lang.unwrap_or_else(|| crate::script_language(text)))
    }

    pub fn get(&self, i: usize) -> &Model {
        &self.models[i].1
    }

    /// How many models (the default included).
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// Never true: there is always a default model.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// One scratch per model, for a worker thread.
    pub fn scratches(&self) -> Vec<Scratch> {
        self.models.iter().map(|_| Scratch::default()).collect()
    }

    /// `default: NAME` and `LANG: NAME` for each routed language.
    pub fn describe(&self) -> String {
        self.models
            .iter()
            .map(|(l, _, n)| {
                if l.is_empty() {
                    n.clone()
                } else {
                    format!("{l}: {n}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// For each model, the share of its dev negatives flagged at its threshold, or at
    /// `over` (`None` for a model that did not keep its dev negatives' scores).
    pub fn negatives_flagged(&self, over: Option<f32>) -> Vec<Option<f64>> {
        self.models
            .iter()
            .map(|(_, m, _)| {
                let t = over.unwrap_or(m.header.threshold);
                m.header.dev_negatives.as_ref().and_then(|n| n.share_at(t))
            })
            .collect()
    }

    /// The threshold of each model, or `over` for all.
    pub fn thresholds(&self, over: Option<f32>) -> Vec<f32> {
        self.models
            .iter()
            .map(|(_, m, _)| over.unwrap_or(m.header.threshold))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{train, Example, FeatureConfig, TrainConfig};

    fn tiny(seed: u64) -> Model {
        let ex = |t: &str, l| Example {
            text: t.into(),
            label: l,
        };
        let data = vec![
            ex("a b c", true),
            ex("d e f", false),
            ex("a b", true),
            ex("e f", false),
        ];
        let cfg = TrainConfig {
            features: FeatureConfig {
                bits: 10,
                ..Default::default()
            },
            threads: 1,
            seed,
            ..Default::default()
        };
        train(&data, None, &cfg).unwrap().0
    }

    #[test]
    fn routes_by_language_then_script_then_default() {
        let mut set = ModelSet::new(tiny(1), "default");
        set.add("AR", tiny(2), "arabic");
        assert_eq!(set.route("ar"), 1);
        assert_eq!(set.route("en"), 0);
        assert_eq!(set.route_text(None, "الدولة"), 1);
        assert_eq!(set.route_text(None, "hello"), 0);
        assert_eq!(set.route_text(Some("en"), "الدولة"), 0);
        assert_eq!(set.describe(), "default, ar: arabic");
        set.add("ar", tiny(3), "arabic2");
        assert_eq!(
            set.describe(),
            "default, ar: arabic2",
            "a second model for a language replaces the first"
        );
        assert_eq!(set.thresholds(Some(0.7)), vec![0.7, 0.7]);
    }
}
