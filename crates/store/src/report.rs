//! The transparency report: what was done, why and how fast, counted from the audit log.
//! Dry-run decisions and `ignore` are not actions and are left out.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::audit::Entry;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Timing {
    pub actions_with_post_time: u64,
    pub median_s: Option<i64>,
    pub p90_s: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Transparency {
    pub from: i64,
    pub to: i64,
    pub actions: u64,
    pub by_action: BTreeMap<String, u64>,
    /// By the policy rule (the signal behind it) that chose the action.
    pub by_rule: BTreeMap<String, u64>,
    pub by_platform: BTreeMap<String, u64>,
    pub by_language: BTreeMap<String, u64>,
    /// Posts or accounts.
    pub by_item: BTreeMap<String, u64>,
    /// Actions found by raqib's own detectors, over all actions (the rest came from
    /// outside reports).
    pub proactive_share: f64,
    pub accounts_actioned: u64,
    pub accounts_actioned_before_first_post: u64,
    pub before_first_post_share: f64,
    /// From the post's time to the action's.
    pub time_to_action: Timing,
    pub appeals: u64,
    pub reversals: u64,
    pub dry_run_decisions_left_out: u64,
}

fn pct(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    // Nearest rank: the smallest value with at least a share `p` at or below it.
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    Some(sorted[i])
}

/// Count the entries whose time is in `from..=to`.
pub fn build<'a>(entries: impl IntoIterator<Item = &'a Entry>, from: i64, to: i64) -> Transparency {
    let mut t = Transparency {
        from,
        to,
        ..Default::default()
    };
    let mut delays = Vec::new();
    let mut proactive = 0u64;
    for e in entries {
        let r = &e.record;
        if r.at < from || r.at > to {
            continue;
        }
        match r.kind.as_str() {
            "appeal" => t.appeals += 1,
            "reversal" => t.reversals += 1,
            "decision" | "action" => {
                let d = &r.data;
                if d["dry_run"].as_bool() == Some(true) {
                    t.dry_run_decisions_left_out += 1;
                    continue;
                }
                let action = d["action"].as_str().unwrap_or("unknown");
                if action == "ignore" {
                    continue;
                }
                t.actions += 1;
                *t.by_action.entry(action.into()).or_default() += 1;
                *t.by_rule
                    .entry(d["rule"].as_str().unwrap_or("(none)").into())
                    .or_default() += 1;
                let mut parts = r.subject.splitn(3, ':');
                let item = parts.next().unwrap_or("");
                let platform = parts.next().unwrap_or("");
                *t.by_item.entry(item.into()).or_default() += 1;
                *t.by_platform.entry(platform.into()).or_default() += 1;
                *t.by_language
                    .entry(d["lang"].as_str().unwrap_or("unknown").into())
                    .or_default() += 1;
                if r.actor.starts_with("raqib") || d["source"].as_str() == Some("detector") {
                    proactive += 1;
                }
                if item == "account" {
                    t.accounts_actioned += 1;
                    if d["posts"].as_u64() == Some(0) {
                        t.accounts_actioned_before_first_post += 1;
                    }
                }
                if let Some(c) = d["created_at"].as_i64() {
                    delays.push((r.at - c).max(0));
                }
            }
            _ => {}
        }
    }
    delays.sort_unstable();
    t.time_to_action = Timing {
        actions_with_post_time: delays.len() as u64,
        median_s: pct(&delays, 0.5),
        p90_s: pct(&delays, 0.9),
    };
    let share = |a: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            ((a as f64 / b as f64) * 1000.0).round() / 1000.0
        }
    };
    t.proactive_share = share(proactive, t.actions);
    t.before_first_post_share = share(t.accounts_actioned_before_first_post, t.accounts_actioned);
    t
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn bars(title: &str, m: &BTreeMap<String, u64>) -> String {
    let max = m.values().copied().max().unwrap_or(0).max(1);
    let mut rows: Vec<(&String, &u64)> = m.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let h = 22 * rows.len().max(1);
    let mut svg = format!(
        "<h2>{}</h2>\n<svg role=\"img\" aria-label=\"{}\" width=\"640\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\">\n",
        esc(title),
        esc(title)
    );
    for (i, (k, v)) in rows.iter().enumerate() {
        let w = 380 * **v / max;
        let y = i * 22;
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text><rect x=\"200\" y=\"{}\" width=\"{w}\" height=\"16\" fill=\"#3b6ea5\"/><text x=\"{}\" y=\"{}\" font-size=\"13\">{v}</text>\n",
            y + 14,
            esc(k),
            y + 2,
            205 + w,
            y + 14
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

fn date(t: i64) -> String {
    // Days since the epoch to a civil date (Howard Hinnant's algorithm).
    let z = t.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn human(s: Option<i64>) -> String {
    match s {
        None => "n/a".into(),
        Some(s) if s < 120 => format!("{s} s"),
        Some(s) if s < 7200 => format!("{} min", s / 60),
        Some(s) if s < 172_800 => format!("{:.1} h", s as f64 / 3600.0),
        Some(s) => format!("{:.1} days", s as f64 / 86_400.0),
    }
}

/// A self-contained HTML page (no scripts, no external resources).
pub fn render_html(t: &Transparency) -> String {
    let mut o = String::from("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>raqib transparency report</title>\n<style>body{font-family:sans-serif;max-width:760px;margin:2em auto;color:#222}td,th{padding:.2em .8em;text-align:left}</style></head><body>\n");
    o.push_str(&format!(
        "<h1>Transparency report, {} to {}</h1>\n<table>\n<tr><th>actions</th><td>{}</td></tr>\n<tr><th>found proactively</th><td>{:.1}%</td></tr>\n<tr><th>accounts actioned</th><td>{}</td></tr>\n<tr><th>of them before their first post</th><td>{:.1}%</td></tr>\n<tr><th>time from post to action, median</th><td>{}</td></tr>\n<tr><th>time from post to action, 90th percentile</th><td>{}</td></tr>\n<tr><th>appeals</th><td>{}</td></tr>\n<tr><th>reversals</th><td>{}</td></tr>\n</table>\n",
        date(t.from),
        date(t.to),
        t.actions,
        t.proactive_share * 100.0,
        t.accounts_actioned,
        t.before_first_post_share * 100.0,
        human(t.time_to_action.median_s),
        human(t.time_to_action.p90_s),
        t.appeals,
        t.reversals
    ));
    o.push_str(&bars("Actions by type", &t.by_action));
    o.push_str(&bars("Actions by rule (signal)", &t.by_rule));
    o.push_str(&bars("Actions by platform", &t.by_platform));
    o.push_str(&bars("Actions by language", &t.by_language));
    o.push_str(&bars("Posts and accounts", &t.by_item));
    if t.dry_run_decisions_left_out > 0 {
        o.push_str(&format!(
            "<p>{} dry-run decisions are not counted.</p>\n",
            t.dry_run_decisions_left_out
        ));
    }
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Entry, Record};

    fn e(at: i64, kind: &str, subject: &str, data: serde_json::Value) -> Entry {
        Entry {
            seq: 0,
            record: Record {
                at,
                actor: "raqib policy apply".into(),
                kind: kind.into(),
                subject: subject.into(),
                data,
            },
            prev: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn counts_actions_shares_and_delays_in_the_window() {
        let entries = vec![
            e(
                1000,
                "decision",
                "post:x:1",
                serde_json::json!({"action":"remove","rule":"known media","created_at":900,"lang":"ar"}),
            ),
            e(
                2000,
                "decision",
                "post:x:2",
                serde_json::json!({"action":"queue","rule":"strong text","created_at":1000,"lang":"en"}),
            ),
            e(
                3000,
                "decision",
                "account:telegram:a",
                serde_json::json!({"action":"suspend","rule":"returning account","posts":0}),
            ),
            e(
                3500,
                "decision",
                "account:x:b",
                serde_json::json!({"action":"suspend","rule":"returning account","posts":4}),
            ),
            e(
                3600,
                "decision",
                "post:x:3",
                serde_json::json!({"action":"ignore"}),
            ),
            e(
                3700,
                "decision",
                "post:x:4",
                serde_json::json!({"action":"remove","dry_run":true}),
            ),
            e(3800, "appeal", "post:x:2", serde_json::json!({})),
            e(
                9999,
                "decision",
                "post:x:5",
                serde_json::json!({"action":"remove"}),
            ),
        ];
        let t = build(&entries, 0, 5000);
        assert_eq!(t.actions, 4);
        assert_eq!(t.by_action["suspend"], 2);
        assert_eq!(t.by_platform["x"], 3);
        assert_eq!(t.by_item["account"], 2);
        assert_eq!(t.by_rule["returning account"], 2);
        assert_eq!(
            (t.accounts_actioned, t.accounts_actioned_before_first_post),
            (2, 1)
        );
        assert_eq!(t.before_first_post_share, 0.5);
        assert_eq!(t.proactive_share, 1.0);
        assert_eq!(t.time_to_action.median_s, Some(100));
        assert_eq!(t.time_to_action.p90_s, Some(1000));
        assert_eq!((t.appeals, t.dry_run_decisions_left_out), (1, 1));
        let html = render_html(&t);
        assert!(html.contains("<h1>Transparency report, 1970-01-01 to 1970-01-01</h1>"));
        assert!(html.contains("returning account"));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn names_are_escaped_in_the_page() {
        let entries = vec![e(
            1,
            "decision",
            "post:<b>:1",
            serde_json::json!({"action":"remove","rule":"<script>alert(1)</script>"}),
        )];
        let html = render_html(&build(&entries, 0, 10));
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert_eq!(date(1_764_374_400), "2025-11-29");
    }
}
