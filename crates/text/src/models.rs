//! Several models, one per language, behind one interface: a post goes to the model for
//! its language (its `lang`, else its script), or to the default model.
//!
//! One model per language is what the labelled data calls for: trained together, the
//! English data's volume sets the shared bias, calibration and stopping point, and
//! Arabic suffers for it (see docs/benchmarks.md).

use crate::model::{Model, Scratch};

/// How a post's parts scored (see [`ModelSet::assess_parts`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartsAssessment {
    /// The highest probability of any part: the post's score.
    pub probability: f32,
    /// The flagged part (probability at its model's threshold, with evidence) with the
    /// highest probability: its place among the parts (0 the text, 1 the first
    /// description...), its model, and its probability. `None`: the post is not flagged.
    pub flagged: Option<(usize, usize, f32)>,
    /// Whether any part reached its model's threshold (with or without evidence).
    pub over_threshold: bool,
}

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

    /// Score a post's parts each on its own: its text (with its model `text.0`, routed by
    /// the post's language) and each of `others` (its media's descriptions, each routed by
    /// its script). Each part is judged alone, so a long harmless description cannot
    /// dilute a line of propaganda in the text, nor the text one in a description.
    pub fn assess_parts<'a>(
        &self,
        text: (usize, &str),
        others: impl Iterator<Item = &'a str>,
        scratch: &mut [Scratch],
        thresholds: &[f32],
    ) -> PartsAssessment {
        let mut out = PartsAssessment {
            probability: f32::NEG_INFINITY,
            flagged: None,
            over_threshold: false,
        };
        let parts = std::iter::once(text).chain(others.map(|t| (self.route_text(None, t), t)));
        for (i, (m, t)) in parts.enumerate() {
            let a = self.get(m).assess(t, &mut scratch[m]);
            out.over_threshold |= a.probability >= thresholds[m];
            if a.flagged(thresholds[m]) && out.flagged.is_none_or(|(_, _, p)| a.probability > p) {
                out.flagged = Some((i, m, a.probability));
            }
            out.probability = out.probability.max(a.probability);
        }
        out
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

    /// A post's parts are each judged alone: a flagged description flags the post with its
    /// place, a harmless one does not dilute a flagged text, and the score is the
    /// strongest part's.
    #[test]
    fn each_part_is_judged_on_its_own() {
        let set = ModelSet::new(tiny(1), "default");
        let mut scratch = set.scratches();
        let t = set.get(0).assess("a b c", &mut scratch[0]).probability;
        let low = set.get(0).assess("d e f", &mut scratch[0]).probability;
        assert!(t > low);
        let th = [(t + low) / 2.0];
        let alone = set.assess_parts((0, "d e f"), std::iter::empty(), &mut scratch, &th);
        assert_eq!(alone.flagged, None);
        let by_description = set.assess_parts(
            (0, "d e f"),
            ["e f", "a b c"].into_iter(),
            &mut scratch,
            &th,
        );
        assert_eq!(
            by_description.flagged.map(|f| f.0),
            Some(2),
            "the second description"
        );
        assert_eq!(by_description.probability, t);
        // Harmless descriptions, however long, leave a flagged text as it was.
        let long = "d e f ".repeat(50);
        let diluted =
            set.assess_parts((0, "a b c"), [long.as_str()].into_iter(), &mut scratch, &th);
        assert_eq!(diluted.flagged.map(|f| f.0), Some(0));
        assert_eq!(diluted.probability, t);
        assert!(diluted.over_threshold);
    }
}
