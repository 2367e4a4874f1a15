//! Generate a synthetic post stream with planted coordinated groups, for the network
//! benchmark: background accounts posting ordinary text, links, hashtags and shares at
//! random times, and groups of accounts (created within two days of each other) that post
//! the same link with near-duplicate text within seconds, round after round.
//!
//! ```text
//! cargo run --release -p raqib-network --example flood_gen -- --posts 1000000 \
//!     --groups 50 --group-size 12 --out target/flood
//! ```
//! writes `posts.jsonl` (raqib format), `posts.csv` (coordination-network-toolkit columns:
//! message_id,user_id,username,repost_id,reply_id,message,timestamp,urls) and
//! `truth.jsonl` (the planted groups).

use std::io::Write;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }
}

const SYL: &[&str] = &[
    "ra", "mi", "ko", "sa", "ta", "zu", "li", "na", "ha", "di", "be", "qu", "fa", "jo", "ne", "wa",
];

fn word(r: &mut Rng) -> String {
    (0..2 + r.below(2))
        .map(|_| SYL[r.below(SYL.len() as u64) as usize])
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn write(
    jl: &mut impl Write,
    csv: &mut impl Write,
    id: &str,
    user: &str,
    text: &str,
    t: u64,
    url: Option<&str>,
    share: Option<&str>,
) {
    let mut rec = serde_json::json!({"raqib": 1, "type": "post", "id": id, "platform": "x", "account": user, "created_at": t, "text": text});
    if let Some(u) = url {
        rec["urls"] = serde_json::json!([u]);
    }
    if let Some(s) = share {
        rec["share_of"] = serde_json::json!(s);
    }
    serde_json::to_writer(&mut *jl, &rec).unwrap();
    jl.write_all(b"\n").unwrap();
    writeln!(
        csv,
        "{id},x:{user},{user},{},,\"{}\",{t},{}",
        share.unwrap_or(""),
        text.replace('"', "\"\""),
        url.unwrap_or("")
    )
    .unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |name: &str, d: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(d, |v| v.parse().expect("a number"))
    };
    let posts = get("--posts", 100_000);
    let groups = get("--groups", 20);
    let size = get("--group-size", 10);
    let rounds = get("--rounds", 6);
    let seed = get("--seed", 1);
    let out = args
        .iter()
        .position(|a| a == "--out")
        .map_or("target/flood".to_string(), |i| args[i + 1].clone());
    std::fs::create_dir_all(&out).expect("out dir");
    let mut r = Rng(seed);
    let vocab: Vec<String> = (0..5000).map(|_| word(&mut r)).collect();
    let tags: Vec<String> = (0..300).map(|_| word(&mut r)).collect();
    let n_accounts = (posts / 20).max(10);
    let span = 30 * 86_400u64;
    let t0 = 1_700_000_000u64;
    let mut jl =
        std::io::BufWriter::new(std::fs::File::create(format!("{out}/posts.jsonl")).unwrap());
    let mut csv =
        std::io::BufWriter::new(std::fs::File::create(format!("{out}/posts.csv")).unwrap());
    let mut truth =
        std::io::BufWriter::new(std::fs::File::create(format!("{out}/truth.jsonl")).unwrap());
    writeln!(
        csv,
        "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls"
    )
    .unwrap();
    // Planted groups.
    let mut planted = 0u64;
    for g in 0..groups {
        let created = t0 - 10 * 86_400 + r.below(20) * 86_400;
        let members: Vec<String> = (0..size).map(|m| format!("g{g}m{m}")).collect();
        for (m, a) in members.iter().enumerate() {
            let rec = serde_json::json!({"raqib": 1, "type": "account", "id": a, "platform": "x", "handle": format!("{}_{m}", word(&mut r)), "created_at": created + r.below(172_800)});
            serde_json::to_writer(&mut jl, &rec).unwrap();
            jl.write_all(b"\n").unwrap();
        }
        let template: Vec<String> = (0..12)
            .map(|_| vocab[r.below(5000) as usize].clone())
            .collect();
        for round in 0..rounds {
            let t = t0 + r.below(span);
            let url = format!("https://site{}.example/{g}/{round}", r.below(1000));
            for (m, a) in members.iter().enumerate() {
                // Near-duplicate text: the template with one word changed.
                let mut words = template.clone();
                let k = r.below(12) as usize;
                words[k] = vocab[r.below(5000) as usize].clone();
                let text = format!("{} #{}", words.join(" "), tags[g as usize % tags.len()]);
                let id = format!("g{g}r{round}m{m}");
                let dt = r.below(30);
                write(&mut jl, &mut csv, &id, a, &text, t + dt, Some(&url), None);
                planted += 1;
                // Half the rounds, the group also shares one post within seconds.
                if round % 2 == 1 {
                    let dt = 40 + r.below(20);
                    let src = format!("g{g}src{round}");
                    write(
                        &mut jl,
                        &mut csv,
                        &format!("{id}s"),
                        a,
                        "",
                        t + dt,
                        None,
                        Some(&src),
                    );
                    planted += 1;
                }
            }
        }
        serde_json::to_writer(
            &mut truth,
            &serde_json::json!({"group": g, "members": members}),
        )
        .unwrap();
        truth.write_all(b"\n").unwrap();
    }
    // Background.
    for i in 0..posts.saturating_sub(planted) {
        let a = format!("u{}", r.below(n_accounts));
        let n = 6 + r.below(10);
        let mut text: Vec<&str> = (0..n)
            .map(|_| vocab[r.below(5000) as usize].as_str())
            .collect();
        let tag;
        if r.below(5) == 0 {
            tag = format!("#{}", tags[r.below(300) as usize]);
            text.push(&tag);
        }
        let t = t0 + r.below(span);
        let url = (r.below(10) < 3).then(|| {
            format!(
                "https://news{}.example/a/{}",
                r.below(2000),
                r.below(200_000)
            )
        });
        let share = (r.below(10) < 2).then(|| format!("p{}", r.below(500_000)));
        write(
            &mut jl,
            &mut csv,
            &format!("b{i}"),
            &a,
            &text.join(" "),
            t,
            url.as_deref(),
            share.as_deref(),
        );
    }
    eprintln!("wrote {posts} posts ({planted} planted in {groups} groups of {size}) to {out}");
}
