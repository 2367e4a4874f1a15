//! Submit throughput of a store: `store_bench [LOCATION] [ITEMS] [BATCH]` (default: an
//! embedded store in a temporary folder, 200,000 items in batches of 1,000). Items are
//! shaped like `raqib serve`'s (a post, a verdict with evidence spans, a decision).
use raqib_store::db::*;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = tempfile::tempdir().unwrap();
    let loc = args
        .get(1)
        .cloned()
        .filter(|a| a != "-")
        .unwrap_or_else(|| dir.path().join("b.redb").display().to_string());
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let batch: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let s = raqib_store::open(&loc).unwrap();
    let t0 = Instant::now();
    let mut made = 0.0;
    for b in 0..n.div_ceil(batch) {
        let tm = Instant::now();
        let items: Vec<NewItem> = (0..batch).map(|i| {
            let id = format!("{}", b * batch + i);
            let flagged = i % 3 == 0;
            NewItem {
                item: Item {
                    key: format!("post:bench:{id}"), kind: "post".into(), platform: "bench".into(), id: id.clone(), place: None,
                    client_id: None, seq: 0, received_at: 1_790_000_000_000, priority: if flagged { 40 } else { 0 },
                    state: if flagged { State::Open } else { State::Closed }, lang: Some("en".into()),
                    signals: if flagged { vec!["text".into()] } else { vec![] }, lists: vec![],
                    flagged, action: if flagged { "queue".into() } else { "ignore".into() },
                    body: RawJson::from(&serde_json::json!({
                        "submitted": {"id": id, "platform": "bench", "account": "a1", "text": "a tweet-length post of about a hundred characters, give or take a few words here", "created_at": 1790000000},
                        "verdict": {"flagged": flagged, "model": "starter", "signals": [{"kind": "text", "detector": "text.linear", "score": 0.93, "flagged": flagged,
                            "evidence": {"spans": if flagged { serde_json::json!([{"start": 0, "end": 5, "text": "tweet", "feature": "w:tweet", "weight": 1.2}, {"start": 10, "end": 16, "text": "length", "feature": "w:length", "weight": 0.8}]) } else { serde_json::json!([]) }}}]},
                        "decision": {"action": if flagged { "queue" } else { "ignore" }, "priority": 40, "rule": null, "matched": [], "dry_run": false}
                    })),
                    reviews: vec![], appeals: vec![],
                },
                deliveries: vec![],
                audit: vec![],
                encoded: None,
        audit_fields: None,
            }
        }).collect();
        made += tm.elapsed().as_secs_f64();
        s.submit(items).unwrap();
    }
    let secs = t0.elapsed().as_secs_f64() - made;
    println!(
        "{}: {n} items in batches of {batch}: {secs:.2} s in submit, {:.0} items/s",
        s.describe(),
        n as f64 / secs
    );
}
