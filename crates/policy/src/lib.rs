//! Policy: what to do about an item given its signals. A TOML file lists rules; each rule
//! matches a signal kind (and optionally a hash list, a platform, a place, a language) at or above a
//! score, and names an action and a review priority. Every matching rule is considered;
//! the most severe action wins, and the priority is the highest among the rules that
//! chose it, raised by the item's reach.
//!
//! ```toml
//! version = 1
//! dry_run = false          # record what would happen, do nothing
//! reach_weight = 5.0       # priority + reach_weight × log10(1 + reach), capped at 100
//!
//! [[rule]]
//! name = "listed media"
//! signal = "media"
//! list = "outlet-x"
//! action = "remove"
//! priority = 90
//!
//! [[rule]]
//! name = "strong text on telegram"
//! signal = "text"
//! platform = "telegram"
//! min_score = 0.95
//! action = "queue"
//! priority = 60
//!
//! [[rule]]
//! name = "flagged text in a watched channel"
//! signal = "text"
//! place = "Example Channel"  # where the item was posted (a chat, a channel, a subreddit)
//! min_score = 0.75
//! action = "refer"
//! refer_to = "telegram"
//! priority = 70
//! ```
//!
//! **Invariant:** pure: [`Policy::parse`] takes text, [`Policy::decide`] takes an item; no
//! I/O but [`PolicyFileWatch`] reading its file. A file that does not parse, names an unknown field or action, or has a value out of
//! range is refused with its line and column; the caller keeps the policy it had.

use serde::{Deserialize, Serialize};

/// What to do, from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Ignore,
    /// Put it in the review queue.
    Queue,
    /// Tell another platform (the rule's `refer_to`).
    Refer,
    Suspend,
    Remove,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Ignore => "ignore",
            Action::Queue => "queue",
            Action::Refer => "refer",
            Action::Suspend => "suspend",
            Action::Remove => "remove",
        }
    }
}

/// Signal kinds a rule can name.
pub const SIGNALS: &[&str] = &["text", "media", "link", "network", "profile", "*"];

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    name: Option<String>,
    signal: toml::Spanned<String>,
    #[serde(default)]
    list: Option<String>,
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    place: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    min_score: Option<toml::Spanned<f64>>,
    action: Action,
    #[serde(default)]
    priority: Option<toml::Spanned<i64>>,
    #[serde(default)]
    refer_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    version: toml::Spanned<i64>,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    reach_weight: Option<toml::Spanned<f64>>,
    #[serde(default)]
    rule: Vec<toml::Spanned<RuleFile>>,
}

/// One rule, checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub name: String,
    pub signal: String,
    pub list: Option<String>,
    pub platform: Option<String>,
    /// Where the item must have been posted (`raqib_model::Post::place`, compared without
    /// case); an item that names no place does not match.
    pub place: Option<String>,
    pub lang: Option<String>,
    pub min_score: f32,
    pub action: Action,
    pub priority: u8,
    pub refer_to: Option<String>,
    /// The line of the rule in its file.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    pub dry_run: bool,
    pub reach_weight: f32,
    pub rules: Vec<Rule>,
}

/// A policy file that was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct PolicyError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// One signal of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalIn {
    /// `text`, `media`, `link`, `network`, `profile`.
    pub kind: String,
    pub score: f32,
    /// The hash list a media signal matched.
    pub list: Option<String>,
}

/// What policy sees of an item.
#[derive(Debug, Clone, Default)]
pub struct Item {
    pub platform: String,
    /// Where it was posted, where its source says (a post's `place`).
    pub place: Option<String>,
    pub lang: Option<String>,
    pub reach: Option<u64>,
    pub signals: Vec<SignalIn>,
}

/// What policy decided, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub action: Action,
    /// Review priority, 0–100 (higher first).
    pub priority: u8,
    /// The rule that chose the action (the first in the file among equals).
    pub rule: Option<String>,
    /// Every rule that matched.
    pub matched: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refer_to: Option<String>,
    /// True when the policy is in dry-run mode: record, do not act.
    pub dry_run: bool,
}

impl Policy {
    /// Parse and check a policy file's text. `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Policy, PolicyError> {
        let err = |offset: usize, message: String| {
            let (line, column) = line_col(text, offset);
            PolicyError {
                file: file.to_string(),
                line,
                column,
                message,
            }
        };
        let pf: PolicyFile = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            err(at, e.message().trim().to_string())
        })?;
        if *pf.version.get_ref() != 1 {
            return Err(err(
                pf.version.span().start,
                format!(
                    "policy version {} is not one this build reads (1)",
                    pf.version.get_ref()
                ),
            ));
        }
        let reach_weight = match &pf.reach_weight {
            Some(w) if !(0.0..=50.0).contains(w.get_ref()) => {
                return Err(err(
                    w.span().start,
                    format!("reach_weight {} must be between 0 and 50", w.get_ref()),
                ))
            }
            Some(w) => *w.get_ref(),
            None => 5.0,
        };
        let mut rules = Vec::new();
        for (i, r) in pf.rule.iter().enumerate() {
            let start = r.span().start;
            let r = r.get_ref();
            let signal = r.signal.get_ref().trim().to_string();
            if !SIGNALS.contains(&signal.as_str()) {
                return Err(err(
                    r.signal.span().start,
                    format!(
                        "unknown signal `{signal}`: use one of {}",
                        SIGNALS.join(", ")
                    ),
                ));
            }
            let min_score = match &r.min_score {
                Some(s) if !(0.0..=1.0).contains(s.get_ref()) => {
                    return Err(err(
                        s.span().start,
                        format!("min_score {} must be between 0 and 1", s.get_ref()),
                    ))
                }
                Some(s) => *s.get_ref() as f32,
                None => 0.0,
            };
            let priority = match &r.priority {
                Some(p) if !(0..=100).contains(p.get_ref()) => {
                    return Err(err(
                        p.span().start,
                        format!("priority {} must be between 0 and 100", p.get_ref()),
                    ))
                }
                Some(p) => *p.get_ref() as u8,
                None => 50,
            };
            if r.action == Action::Refer
                && r.refer_to.as_deref().is_none_or(|s| s.trim().is_empty())
            {
                return Err(err(
                    start,
                    "action `refer` needs `refer_to` (where to refer)".into(),
                ));
            }
            if r.list.is_some() && signal != "media" {
                return Err(err(
                    start,
                    "`list` applies to the `media` signal only".into(),
                ));
            }
            rules.push(Rule {
                name: r.name.clone().unwrap_or_else(|| format!("rule {}", i + 1)),
                signal,
                list: r.list.clone(),
                platform: r.platform.clone(),
                place: r.place.clone(),
                lang: r.lang.clone(),
                min_score,
                action: r.action,
                priority,
                refer_to: r.refer_to.clone(),
                line: line_col(text, start).0,
            });
        }
        Ok(Policy {
            dry_run: pf.dry_run,
            reach_weight: reach_weight as f32,
            rules,
        })
    }

    /// Decide what to do about `item`.
    pub fn decide(&self, item: &Item) -> Decision {
        let mut best: Option<&Rule> = None;
        let mut matched = Vec::new();
        for r in &self.rules {
            if !self.matches(r, item) {
                continue;
            }
            matched.push(r.name.clone());
            best = match best {
                Some(b) if (b.action, b.priority) >= (r.action, r.priority) => Some(b),
                _ => Some(r),
            };
        }
        let Some(rule) = best else {
            return Decision {
                action: Action::Ignore,
                priority: 0,
                rule: None,
                matched,
                refer_to: None,
                dry_run: self.dry_run,
            };
        };
        let boost = self.reach_weight * ((1 + item.reach.unwrap_or(0)) as f32).log10();
        Decision {
            action: rule.action,
            priority: (rule.priority as f32 + boost).round().min(100.0) as u8,
            rule: Some(rule.name.clone()),
            matched,
            refer_to: rule.refer_to.clone(),
            dry_run: self.dry_run,
        }
    }

    fn matches(&self, r: &Rule, item: &Item) -> bool {
        if r.platform
            .as_ref()
            .is_some_and(|p| !p.eq_ignore_ascii_case(&item.platform))
        {
            return false;
        }
        if r.place.as_ref().is_some_and(|w| {
            item.place
                .as_ref()
                .is_none_or(|iw| !iw.trim().eq_ignore_ascii_case(w.trim()))
        }) {
            return false;
        }
        if r.lang.as_ref().is_some_and(|l| {
            item.lang
                .as_ref()
                .is_none_or(|il| !il.eq_ignore_ascii_case(l))
        }) {
            return false;
        }
        item.signals.iter().any(|s| {
            (r.signal == "*" || r.signal == s.kind)
                && s.score >= r.min_score
                && r.list
                    .as_ref()
                    .is_none_or(|l| s.list.as_deref() == Some(l.as_str()))
        })
    }
}

/// A policy file that can be reloaded while running: a change that parses replaces the
/// policy; a change that does not is refused with its line and the policy in force stays.
/// (This is the only I/O in the crate, and it only reads the file.)
#[derive(Debug)]
pub struct PolicyFileWatch {
    path: std::path::PathBuf,
    policy: std::sync::Arc<Policy>,
    stamp: Option<(std::time::SystemTime, u64)>,
}

impl PolicyFileWatch {
    /// Load the file; refused if it does not parse.
    pub fn open(path: &std::path::Path) -> Result<PolicyFileWatch, PolicyError> {
        let (policy, stamp) = Self::load(path)?;
        Ok(PolicyFileWatch {
            path: path.to_path_buf(),
            policy: std::sync::Arc::new(policy),
            stamp,
        })
    }

    fn load(
        path: &std::path::Path,
    ) -> Result<(Policy, Option<(std::time::SystemTime, u64)>), PolicyError> {
        let name = path.display().to_string();
        let io = |e: std::io::Error| PolicyError {
            file: name.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read the policy: {e}"),
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        let text = std::fs::read_to_string(path).map_err(io)?;
        let stamp = meta.modified().ok().map(|m| (m, meta.len()));
        Ok((Policy::parse(&text, &name)?, stamp))
    }

    /// The policy in force.
    pub fn policy(&self) -> std::sync::Arc<Policy> {
        self.policy.clone()
    }

    /// Reload when the file changed (modification time or size). `Ok(true)`: a new policy
    /// is in force; `Ok(false)`: unchanged; `Err`: the new file was refused and the old
    /// policy stays in force.
    pub fn reload_if_changed(&mut self) -> Result<bool, PolicyError> {
        let meta = std::fs::metadata(&self.path).ok();
        let stamp = meta
            .as_ref()
            .and_then(|m| Some((m.modified().ok()?, m.len())));
        if stamp.is_some() && stamp == self.stamp {
            return Ok(false);
        }
        match Self::load(&self.path) {
            Ok((policy, stamp)) => {
                self.stamp = stamp;
                self.policy = std::sync::Arc::new(policy);
                Ok(true)
            }
            Err(e) => {
                // Report a refused file once, not on every call until it is edited again.
                self.stamp = stamp;
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"
version = 1
reach_weight = 5.0

[[rule]]
name = "listed media"
signal = "media"
list = "outlet-x"
action = "remove"
priority = 90

[[rule]]
name = "strong text"
signal = "text"
min_score = 0.95
action = "queue"
priority = 60

[[rule]]
name = "text on telegram"
signal = "text"
platform = "telegram"
min_score = 0.8
action = "refer"
refer_to = "telegram-abuse"
priority = 40
"#;

    fn item(platform: &str, reach: u64, signals: &[(&str, f32, Option<&str>)]) -> Item {
        Item {
            platform: platform.into(),
            place: None,
            lang: Some("ar".into()),
            reach: Some(reach),
            signals: signals
                .iter()
                .map(|&(k, s, l)| SignalIn {
                    kind: k.into(),
                    score: s,
                    list: l.map(Into::into),
                })
                .collect(),
        }
    }

    #[test]
    fn most_severe_matching_rule_wins_and_reach_raises_priority() {
        let p = Policy::parse(POLICY, "p.toml").unwrap();
        assert_eq!(p.rules.len(), 3);
        assert_eq!(p.rules[1].line, 12);
        let d = p.decide(&item(
            "x",
            0,
            &[("text", 0.97, None), ("media", 1.0, Some("outlet-x"))],
        ));
        assert_eq!(d.action, Action::Remove);
        assert_eq!(d.rule.as_deref(), Some("listed media"));
        assert_eq!(d.matched, vec!["listed media", "strong text"]);
        assert_eq!(d.priority, 90);
        // Reach of 999,999: +5 × 6 = 30, capped at 100.
        let d = p.decide(&item("x", 999_999, &[("text", 0.97, None)]));
        assert_eq!((d.action, d.priority), (Action::Queue, 90));
        // A list the rule does not name, a score under the threshold: nothing.
        let d = p.decide(&item(
            "x",
            0,
            &[("media", 1.0, Some("other")), ("text", 0.5, None)],
        ));
        assert_eq!((d.action, d.rule), (Action::Ignore, None));
        // Platform-specific rule.
        let d = p.decide(&item("Telegram", 0, &[("text", 0.85, None)]));
        assert_eq!(d.action, Action::Refer);
        assert_eq!(d.refer_to.as_deref(), Some("telegram-abuse"));
    }

    /// A rule with a `place` matches only items posted there (without regard to case or
    /// the spaces around it); an item that names no place never matches it.
    #[test]
    fn a_place_rule_matches_items_posted_there() {
        let p = Policy::parse(
            &format!(
                "{POLICY}\n[[rule]]\nname = \"watched channel\"\nsignal = \"text\"\nplace = \"Example Channel\"\nmin_score = 0.75\naction = \"refer\"\nrefer_to = \"unit\"\npriority = 70\n"
            ),
            "p.toml",
        )
        .unwrap();
        let at = |place: Option<&str>| {
            let mut i = item("x", 0, &[("text", 0.8, None)]);
            i.place = place.map(str::to_string);
            p.decide(&i)
        };
        let d = at(Some(" example channel"));
        assert_eq!(
            (d.action, d.rule.as_deref()),
            (Action::Refer, Some("watched channel"))
        );
        assert_eq!(d.refer_to.as_deref(), Some("unit"));
        assert_eq!(at(Some("Another Channel")).action, Action::Ignore);
        assert_eq!(at(None).action, Action::Ignore);
    }

    #[test]
    fn dry_run_is_carried_on_every_decision() {
        let p = Policy::parse(
            &POLICY.replace("reach_weight = 5.0", "reach_weight = 5.0\ndry_run = true"),
            "p",
        )
        .unwrap();
        assert!(p.decide(&item("x", 0, &[("text", 0.99, None)])).dry_run);
    }

    #[test]
    fn bad_files_are_refused_with_the_line() {
        let cases = [
            (
                POLICY.replace("action = \"queue\"", "action = \"delete\""),
                16,
                "delete",
            ),
            (
                POLICY.replace("min_score = 0.95", "min_score = 1.5"),
                15,
                "between 0 and 1",
            ),
            (
                POLICY.replace("priority = 60", "priority = 600"),
                17,
                "between 0 and 100",
            ),
            (
                POLICY.replace(
                    "signal = \"text\"\nmin_score = 0.95",
                    "signal = \"txt\"\nmin_score = 0.95",
                ),
                14,
                "unknown signal `txt`",
            ),
            (
                POLICY.replace("refer_to = \"telegram-abuse\"\n", ""),
                19,
                "needs `refer_to`",
            ),
            (
                POLICY.replace("priority = 90", "priority = 90\ncolour = 1"),
                11,
                "colour",
            ),
            (POLICY.replace("version = 1", "version = 2"), 2, "version 2"),
            (
                POLICY.replace("reach_weight = 5.0", "reach_weight = 500.0"),
                3,
                "reach_weight 500",
            ),
            (
                POLICY.replace("[[rule]]\nname = \"strong", "[[rule]\nname = \"strong"),
                12,
                "",
            ),
        ];
        for (text, line, needle) in cases {
            let e = Policy::parse(&text, "p.toml").expect_err(needle);
            assert_eq!(e.line, line, "{e}");
            assert!(e.to_string().starts_with(&format!("p.toml:{line}:")), "{e}");
            assert!(e.message.contains(needle), "{e}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_a_policy_or_an_error_with_a_real_line(text in "\\PC{0,200}") {
            if let Err(e) = Policy::parse(&text, "f") {
                proptest::prop_assert!(e.line >= 1 && e.line <= text.lines().count().max(1) + 1);
            }
        }
    }

    #[test]
    fn a_bad_reload_keeps_the_policy_in_force() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("p.toml");
        std::fs::write(&f, POLICY).unwrap();
        let mut w = PolicyFileWatch::open(&f).unwrap();
        assert_eq!(w.policy().rules.len(), 3);
        assert!(!w.reload_if_changed().unwrap(), "unchanged file");
        // A broken edit (longer, so the size changes even within one mtime tick).
        std::fs::write(
            &f,
            POLICY.replace("action = \"remove\"", "action = \"obliterate\""),
        )
        .unwrap();
        let e = w.reload_if_changed().unwrap_err();
        assert_eq!(e.line, 9, "{e}");
        assert_eq!(w.policy().rules.len(), 3, "the old policy stays");
        assert_eq!(w.policy().rules[0].action, Action::Remove);
        assert!(
            !w.reload_if_changed().unwrap(),
            "a refused file is reported once"
        );
        // A good edit replaces it.
        std::fs::write(&f, POLICY.replace("priority = 90", "priority = 95")).unwrap();
        assert!(w.reload_if_changed().unwrap());
        assert_eq!(w.policy().rules[0].priority, 95);
        // A deleted file is an error, and the policy stays.
        std::fs::remove_file(&f).unwrap();
        assert!(w.reload_if_changed().is_err());
        assert_eq!(w.policy().rules[0].priority, 95);
    }
}
