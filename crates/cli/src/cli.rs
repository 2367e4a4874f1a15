//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "raqib",
    version,
    about = "Find terrorist propaganda and the accounts that spread it, fast and with evidence.",
    long_about = "raqib reads posts from files or streams (raqib JSON Lines, CSV, Twitter API v1.1 and v2 and \
Twitter account archives, Telegram exports in JSON or HTML, WhatsApp chat exports, ActivityPub and \
Mastodon, Matrix rooms, Discord channels and data packages, Messenger and Instagram threads and Facebook and Instagram posts and comments of Meta's exports, Reddit's dumps and API JSON, Bluesky's firehose (Jetstream), API JSON and account repositories (CAR); \
gzip, zstd, bzip2 or xz, and tar or zip archives of any of these), scores each with an Arabic-first, \
obfuscation-aware text model, \
explains every flag with spans of the original text, and ranks accounts by risk and reach.\n\n\
It also matches known media against hash lists, links new accounts to suspended ones that came \
back, finds coordinated floods, and turns signals into recorded actions under a policy.\n\n\
Start with:  raqib scan examples/sample.jsonl\n\
Train:       raqib train --data train.csv --out my.model\n\
Measure:     raqib eval --model my.model --data dev.csv\n\
Returning:   raqib link --suspended examples/suspended.jsonl --accounts examples/new_accounts.jsonl\n\
Floods:      raqib networks examples/flood.jsonl\n\
Act:         raqib policy apply --policy examples/policy.toml REPORT_DIR --audit audit.jsonl\n\
Serve:       raqib token add admin --role admin && raqib serve",
    after_help = "Formats: docs/format.md. Commands: docs/cli.md. Figures: docs/benchmarks.md."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Score every post, explain the flagged ones, rank accounts by risk and reach.
    #[command(
        long_about = "Score every post in the inputs, explain the flagged ones with spans of \
their original text, and rank the accounts that posted them by risk and by risk × reach.\n\n\
A post is flagged when its probability reaches the threshold and its own words point towards \
propaganda (the features it has, together, push its score up from the model's prior): a text \
with nothing the model knows (\"🤔\", a number, a new handle) is never flagged, at any \
threshold, so every flag has evidence to show. A post of more than 64 words is scored whole \
and by its strongest window of 32, so a line of propaganda padded with talk scores as the \
line, and its evidence is that window's words.\n\n\
An account is flagged when its risk (strongest and mean post score, profile) reaches the \
threshold with a flagged post, or when it has more flagged posts than a clean account's false \
flags explain (--account-min-flagged, --account-clean-rate, --account-chance); its `why` says \
which.\n\n\
Inputs are streamed: memory stays bounded whatever their size, apart from the accounts (about \
400 bytes an account at the peak). A malformed record is reported with its file and line and skipped; the scan goes on and \
says at the end how many it skipped (--strict stops at the first). Ctrl-C stops reading and still \
writes every report, marked interrupted.\n\n\
Examples:\n  raqib scan examples/sample.jsonl\n  raqib scan posts.jsonl.gz --out report/\n  \
zcat dump.csv.gz | raqib scan --format csv --csv-map text=tweet - --out report/
  raqib scan ChatExport_2026-11-30/ --out report/   # a Telegram export, HTML or JSON
  raqib scan twitter-2026-11-30-abc.zip --out report/  # a Twitter archive, as handed over
  raqib scan 'WhatsApp Chat with Group.txt'         # a WhatsApp chat export
  raqib scan exports/ --since 7d --out week/        # only what was posted in the last week"
    )]
    Scan(ScanArgs),
    /// Train a model from labelled posts.
    #[command(
        long_about = "Train a logistic-regression model on hashed character and word n-grams \
of normalised text (AdaGrad, all cores, classes balanced), stop early on a dev split, calibrate \
probabilities on it and choose the default threshold so that at most --target-fpr of the dev \
negatives are flagged.\n\nLabels come from a `label` field or column (1/0, true/false). Without \
--dev, a tenth of the training data is held out.\n\nExample:\n  raqib train --data en_train.csv \
ar_train.csv --dev en_dev.csv ar_dev.csv --out raqib.model"
    )]
    Train(TrainArgs),
    /// Measure a model on labelled posts: precision, recall, F1, AUCs, per language.
    Eval(EvalArgs),
    /// Score one text and show the spans that drove the score.
    Explain(ExplainArgs),
    /// Print the normalised form of texts (arguments, or lines of standard input).
    #[command(
        long_about = "Print what the model sees: each text normalised. Lower case; accents, \
Arabic diacritics, tatweel, zero-width and bidi controls removed; alef and hamza forms, alef \
maqsura and taa marbuta folded, and the Persian, Urdu, Kurdish and other Arabic-script letters \
drawn from an Arabic letter folded to it; look-alike letters folded to Latin (Cyrillic, Greek, \
fullwidth, mathematical, small capitals, squared and circled letters, a regional indicator letter \
standing alone; two side by side are a flag and stay); Arabic-Indic digits to \
ASCII; leetspeak next to letters folded (`!` between two letters as i); spaced-out letters joined; text under a right-to-left \
override read in the order it is shown; links reduced to their domain. Emoji, hashtags and \
mentions stay.\n\nExamples:\n  raqib normalise \"ᴅᴀᴇꜱʜ\" \
\"دولۃ الخلافۃ\" \"D-A-E-S-H\"\n  raqib normalise < posts.txt"
    )]
    Normalise(NormaliseArgs),
    /// Hash images (PDQ, bit-exact with Meta's reference) and videos (vPDQ frames); MD5 and SHA-256.
    #[command(
        long_about = "Hash images and videos, one JSON line per file: MD5, SHA-256, and for \
images (JPEG, PNG, GIF first frame, WebP, BMP) the 256-bit PDQ hash and its quality (0-100; below \
50 the hash says little), for videos one PDQ hash per sampled frame as vPDQ computes them (frames \
decoded by the ffmpeg command). Folders are searched recursively; unreadable, corrupt or hostile \
files are reported with their path and skipped.\n\nExamples:\n  raqib hash poster.jpg\n  \
raqib hash --dihedral uploads/ --out hashes.jsonl"
    )]
    Hash(crate::media::HashArgs),
    /// Match images and videos against hash lists: PDQ within each list's radius, vPDQ, MD5, SHA-256.
    #[command(
        long_about = "Hash each file and match it against every list in --lists: PDQ \
within the list's radius (default 31 bits), videos by vPDQ's rule (each frame within 31 bits, \
frames of quality 50 or more; the share of query frames and of listed frames matched, both \
reported), exact MD5 and SHA-256. One JSON line per file that matched, with list, label, source \
and distance.\n\nExample:\n  raqib match --lists lists/ uploads/ --out matches.jsonl"
    )]
    Match(crate::media::MatchArgs),
    /// Keep hash lists: create, import and export (HMA/ThreatExchange CSV, plain CSV), add, remove, show.
    #[command(
        long_about = "Hash lists live in a folder (--dir, default ./lists), one subfolder \
per list. Additions and removals are appended to the list's log and synced to disk before the \
command returns; they match (or stop matching) at once. `compact` folds them into the \
memory-mapped index so that a list of millions of hashes opens in milliseconds.\n\nExamples:\n  \
raqib lists create outlet-x --description \"posters of outlet X\"\n  \
raqib lists import outlet-x hma_export.csv\n  raqib lists add outlet-x --file poster.png --label \"outlet X\"\n  \
raqib lists show\n  raqib lists export outlet-x --format plain --out outlet-x.csv"
    )]
    Lists(crate::media::ListsArgs),
    /// Link accounts to suspended accounts that came back: handle, name, bio, avatar, channels, style.
    #[command(
        long_about = "Find which of the given accounts are suspended accounts that came back. \
Each account is fingerprinted (handle and display name with their mutations: digit runs, \
homoglyphs, leetspeak, Arabic/Latin transliteration; bio words; avatar PDQ when the account \
gives one; Telegram channels and accounts elsewhere named in bio and posts; writing style and \
posting hours from its posts; follows) and looked up in the suspended index by blocking keys, \
never against every pair. Each candidate is scored by a small linear model; every link lists \
the reasons a reviewer reads (\"handle @abu_x_7 continues @abu_x_6\", \"avatar PDQ distance \
12\", \"same external reference: telegram:chan\"). Works from the profile alone, so an account \
can be linked before its first post.\n\nOne JSON line per linked account (--all: every account).\n\n\
Examples:\n  raqib suspended add suspended_accounts.jsonl\n  \
raqib link --suspended suspended/ --accounts new_signups.jsonl\n  \
raqib link --suspended banned.jsonl --accounts accounts.jsonl posts.jsonl --min-score 0.9"
    )]
    Link(crate::link::LinkArgs),
    /// Keep the index of suspended accounts: add, remove, list.
    #[command(
        long_about = "The suspended-account index lives in a folder (--dir, default \
./suspended): an append-only log of fingerprints, synced to disk before a command returns. Only \
fingerprints are kept (hashed bio words, avatar PDQ, handle and display name for the evidence), \
not bios or images. Adding an account that is already there replaces it.\n\nExamples:\n  \
raqib suspended add banned.jsonl posts_of_banned.jsonl\n  \
raqib suspended add export.jsonl --only-suspended\n  \
raqib suspended remove 12345 --platform twitter\n  raqib suspended list"
    )]
    Suspended(crate::link::SuspendedArgs),
    /// Find coordinated networks and floods: the same link, media, hashtag, shared post or (near-)same text from many accounts within seconds.
    #[command(
        long_about = "Find accounts that act together. Every post becomes items: its links \
(canonicalised), media hashes, hashtags, the post it shares or replies to, its normalised text, \
and MinHash LSH bands of its words (near-duplicates, obfuscated copies). Two accounts co-act when \
they post the same item within --window seconds; the weight of a pair is how many of one's posts \
the other echoed (the coordination-network-toolkit's definition). Pairs with at least \
--min-weight co-actions become edges; the graph is cut into connected components and Louvain \
communities. Each cluster is reported with its members, the items they shared (with an example \
post and where it is in the input), its time span, density and strength, and any burst of \
accounts created together.\n\nPosts need `created_at`. An item posted more than --max-group \
times inside one window (a trending hashtag) is a mass item: counted, not paired.\n\n\
Examples:\n  raqib networks examples/flood.jsonl\n  \
raqib networks posts.jsonl.gz --window 300 --kinds url,share,near_text --out networks/\n  \
raqib networks dump.csv --csv-map text=tweet,account=user_id --json > clusters.jsonl"
    )]
    Networks(crate::networks::NetworksArgs),
    /// Check a policy file (signals → actions), or apply it to a scan report.
    #[command(
        long_about = "A policy (TOML) maps signals to actions: remove, suspend, refer to another \
platform, queue for review with a priority, or ignore; per signal (text, media, link, network, \
profile), hash list, platform and language, above a score; reach raises the review priority; \
`dry_run = true` records what would happen. Every matching rule is considered and the most \
severe action wins. A file that does not parse, names an unknown field, signal or action, or has \
a value out of range is refused with its line and column. Format: docs/format.md.\n\n\
Examples:\n  raqib policy check examples/policy.toml\n  \
raqib scan posts.jsonl --lists lists/ --out report/ && raqib policy apply --policy examples/policy.toml report/"
    )]
    Policy(crate::policy::PolicyArgs),
    /// Verify an audit log: every entry's SHA-256 and its link to the one before.
    #[command(
        long_about = "An audit log (`raqib policy apply --audit FILE`) is JSON Lines, one entry \
per decision or action, each holding the SHA-256 of the one before. `verify` recomputes every \
hash and link and names the first line where an entry was changed, removed, inserted or moved \
(exit 1). It prints the head hash: keep it elsewhere, since entries cut off the end can only be \
seen against it.\n\nExample:\n  raqib audit verify audit.jsonl"
    )]
    Audit(crate::policy::AuditArgs),
    /// Transparency report from the audit log: actions by type, rule, platform, language; proactive share; before-first-post share; time to action.
    #[command(
        long_about = "Count the actions recorded in an audit log between --from and --to and \
write report.json and report.html (a self-contained page with bar charts): actions by type, by \
the rule (signal) behind them, by platform, language and item; the share found proactively; the \
share of accounts actioned before their first post; time from post to action (median, 90th \
percentile); appeals and reversals. Dry-run decisions and `ignore` are not counted.\n\n\
Example:\n  raqib report --audit audit.jsonl --from 2026-01-01 --to 2026-06-30 --out transparency/"
    )]
    Report(crate::policy::ReportArgs),
    /// Serve the HTTP API, the reviewer page, webhooks and the policy, over an embedded store or PostgreSQL; also read posts from a NATS JetStream stream (--nats).
    #[command(
        long_about = "Run raqib as a service. Platforms submit posts, accounts and media (single \
or in batches, JSON; media by upload or by hash) and get a verdict with every signal and its \
evidence and the policy's decision; the answer comes once the item is durably stored. Items the \
policy queues wait for reviewers on the web page at / (priority order, filters, highlighted \
evidence, blurred media, keyboard shortcuts, undo). Every decision and action goes to a \
hash-chained audit log in the store; actions go to --webhook URLs, signed with HMAC-SHA256 and \
retried with back-off, and the ones that fail for good are kept as dead letters.\n\n\
State lives in DATA/raqib.redb (no set-up) or in PostgreSQL (--store postgres://…). Access needs \
an API token: create the first with `raqib token add NAME --role admin`. The API is described in \
/openapi.json and docs/api.md.\n\n\
Posts can also come on a NATS JetStream stream (--nats): each message is scored and stored as a \
submission is and acknowledged only once stored, so a crash loses nothing; servers with the same \
--nats-consumer share the stream.\n\n\
Examples:\n  raqib token add admin --role admin\n  raqib serve --policy examples/policy.toml\n  \
raqib serve --store postgres://raqib:secret@db/raqib --listen 0.0.0.0:8080 \\\n      --webhook https://platform.example/raqib --webhook-secret-file hook.secret\n  \
raqib serve --nats nats://127.0.0.1:4222 --nats-verdicts raqib.verdicts"
    )]
    Serve(crate::serve::ServeArgs),
    /// Create, list and revoke API tokens (roles: ingest, reviewer, admin).
    #[command(
        long_about = "API tokens for `raqib serve`. A token is shown once when created; the store \
keeps only its SHA-256. Roles: `ingest` submits items and files appeals; `reviewer` works the \
review queue and signs in to the page; `admin` does everything (tokens, lists, suspended \
accounts, dead letters, audit, training data).\n\n\
Examples:\n  raqib token add platform-1 --role ingest\n  raqib token add alice --role reviewer\n  \
raqib token list\n  raqib token revoke alice"
    )]
    Token(crate::serve::TokenArgs),
}

/// `--threads`, or one per core.
pub fn threads_or_cores(t: Option<usize>) -> usize {
    t.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1)
}

#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Input format: auto, jsonl, csv, twitter-v2 (API responses), tweets (one tweet
    /// object a line: API v1.1, or v2 as `twarc2 flatten` writes it), activitypub
    /// (a Mastodon archive's outbox.json and actor.json, ActivityPub objects, Mastodon API
    /// statuses), matrix (an Element "Export chat" JSON, Matrix events), discord
    /// (DiscordChatExporter's JSON, API messages; Discord's data package:
    /// Messages/c…/messages.json or .csv, the owner from Account/user.json), meta (a Messenger or Instagram thread of
    /// Meta's "Download Your Information" export: message_1.json; its Facebook posts and
    /// comments: your_posts_1.json, comments.json; its Instagram posts, reels, stories and
    /// comments: posts_1.json, reels.json, stories.json, post_comments_1.json), reddit (comments and
    /// submissions a line, as Pushshift's dumps hold them; Reddit's data request export,
    /// posts.csv, comments.csv and messages.csv, is CSV, known by its headers, the owner
    /// from statistics.csv), bluesky (Jetstream firehose
    /// events a line; the AT Protocol API's JSON: searchPosts, getAuthorFeed,
    /// getPostThread, getProfile, listRecords; an account's repository, getRepo's CAR
    /// file), telegram (Telegram Desktop's
    /// result.json), telegram-html (its HTML export: messages.html, messages2.html...),
    /// twitter-archive (a Twitter account archive's tweets.js, deleted-tweets.js and
    /// community-tweet.js, the owner from the account.js beside them), whatsapp (WhatsApp's
    /// "Export chat" text).
    /// `auto` also reads a JSON array of records (`[{...}, ...]`, as `json.dump` writes one).
    #[arg(long, default_value = "auto", value_name = "FORMAT")]
    pub format: raqib_ingest::Format,
    /// CSV columns for raqib's fields, e.g. `text=tweet,account=user_id`. Columns named
    /// like the fields (id, username, display_name, bio, followers, created_at, text, label,
    /// lang, ...) need no mapping.
    #[arg(long, value_name = "FIELD=COLUMN,...")]
    pub csv_map: Option<raqib_ingest::CsvMapping>,
    /// The CSV field separator: one ASCII character, or `tab`. Default: told from the
    /// header line: `,`, or the one of `;` (Excel's CSV where the decimal mark is a comma),
    /// tab (Excel's "Unicode Text", and any .tsv file) and `|` it has more of.
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub csv_delimiter: Option<u8>,
    /// Read JSON records of any other shape (JSON Lines, a JSON array, one object) through
    /// this mapping of raqib's fields (those of --csv-map) to paths in them: keys joined by
    /// dots, several joined by `+`. A Reddit dump:
    /// `text=title+selftext+body,id=name,account=author,created_at=created_utc`; an author
    /// nested: `text=content,account=author.id,handle=author.username`.
    #[arg(long, value_name = "FIELD=PATH,...")]
    pub json_map: Option<raqib_ingest::JsonMapping>,
    /// Platform name for inputs that do not say (e.g. `twitter`, `telegram`).
    #[arg(long, value_name = "NAME")]
    pub platform: Option<String>,
    /// Skip records longer than this many bytes, with a diagnostic.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    pub max_record_bytes: usize,
    /// The zone of times written without one: a WhatsApp chat's are the exporting phone's
    /// local time (e.g. `+03:00` for a phone set to Baghdad), as are an older Telegram
    /// export's (no `date_unixtime`, or HTML dates without `UTC+03:00`). `PATH=OFFSET` gives the zone
    /// of one file, or of the files under one folder, the deepest naming a file winning:
    /// `--utc-offset +03:00 --utc-offset chats/lagos=+01:00`. Repeatable. Default: UTC.
    #[arg(long, value_name = "[PATH=]OFFSET", allow_hyphen_values = true)]
    pub utc_offset: Vec<raqib_ingest::UtcOffsetRule>,
}

/// `--csv-delimiter`: one ASCII character, or a name for the invisible one.
fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        "comma" => Ok(b','),
        "semicolon" => Ok(b';'),
        "pipe" => Ok(b'|'),
        _ if s.len() == 1 && s.is_ascii() && !matches!(s, "\"" | "\n" | "\r") => {
            Ok(s.as_bytes()[0])
        }
        _ => Err(format!(
            "`{s}` is not a field separator: give one ASCII character other than a quote or \
             a line break (`;`, `|`), or `tab`"
        )),
    }
}

impl InputArgs {
    pub fn options(&self) -> raqib_ingest::Options {
        raqib_ingest::Options {
            format: self.format,
            csv: raqib_ingest::CsvMapping {
                delimiter: self.csv_delimiter,
                ..self.csv_map.clone().unwrap_or_default()
            },
            max_record_bytes: self.max_record_bytes,
            default_platform: self.platform.clone(),
            json_map: self.json_map.clone().map(std::sync::Arc::new),
            utc_offsets: self.utc_offset.clone(),
            ..Default::default()
        }
    }
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Files to scan; `-` reads standard input. A folder stands for every .jsonl, .ndjson,
    /// .json, .csv, .tsv, .tar and .zip file under it (an export's `result.json` files, a dump's parts)
    /// the pages of Telegram's HTML export (messages.html, messages2.html...), a Twitter
    /// archive's tweets (tweets.js, deleted-tweets.js, community-tweet.js) and WhatsApp's
    /// chat exports ("WhatsApp Chat with NAME.txt", _chat.txt), in name order; other files
    /// there (media, other HTML, the archive's likes and settings) are left out and
    /// counted. gzip, zstd, bzip2 and xz are undone automatically, UTF-16 read as text; a
    /// tar (.tar, .tgz) or zip archive is read as the folder it holds, its members named
    /// ARCHIVE/MEMBER (a Twitter archive's zip as Twitter hands it over).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Model file from `raqib train`; `LANG=FILE` routes posts in that language (their
    /// `lang`, else their script: `ar`) to their own model. Repeat for several. Default: the
    /// starter model built into raqib.
    #[arg(short, long, value_name = "[LANG=]MODEL")]
    pub model: Vec<String>,
    /// Write posts.jsonl, accounts.jsonl, accounts.csv, diagnostics.jsonl, summary.json and
    /// summary.txt here (created if missing; an earlier scan's reports there are replaced).
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Flag posts whose probability is at least this (and that have evidence: see above).
    /// Default: the model's threshold.
    #[arg(long, value_name = "P")]
    pub threshold: Option<f32>,
    /// Worker threads. Default: one per core.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Stop at the first malformed record instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Write every post to posts.jsonl with its score, not only flagged ones.
    #[arg(long)]
    pub all_posts: bool,
    /// Evidence spans per flagged post.
    #[arg(long, default_value_t = 5, value_name = "K")]
    pub explain: usize,
    /// Posts and accounts in the summary's top lists.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
    /// Print the summary as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
    /// Hash lists (see `raqib lists`): posts whose media (PDQ, SHA-256, URL) or links match
    /// an entry are flagged, with the list, label and distance as evidence.
    #[arg(long, value_name = "DIR")]
    pub lists: Option<PathBuf>,
    /// With --lists: hash the media files an export carries beside its posts (a Telegram
    /// export's photos/, a WhatsApp chat's attachments: paths relative to the input's
    /// folder, never outside it; in a zipped or tarred export, the archive's members; a
    /// .tar.gz or .tar.zst is decompressed once into the temporary folder, which needs room
    /// for the .tar) so that they match the lists: images by PDQ and
    /// SHA-256, videos by their frames (vPDQ, decoded by the ffmpeg command; a video inside
    /// an archive is copied to the temporary folder for it) and SHA-256. Slower: each
    /// image is read and decoded, each video decoded by ffmpeg.
    #[arg(long, requires = "lists")]
    pub hash_media: bool,
    /// Suspended-account index (see `raqib suspended`): accounts whose profile links to a
    /// suspended account are flagged, with the reasons as evidence.
    #[arg(long, value_name = "DIR")]
    pub suspended: Option<PathBuf>,
    /// Smallest link score that flags an account (with --suspended).
    #[arg(long, default_value_t = 0.8, value_name = "P")]
    pub link_threshold: f32,
    /// Accounts are also flagged for their count of flagged posts: at least this many, and
    /// more than a clean account's false flags explain (the next two options).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub account_min_flagged: u64,
    /// The share of a clean account's posts taken to be flagged by mistake. Default: two and
    /// a half times the share of the model's dev negatives flagged at the threshold in use,
    /// and at least 0.05 (at a trained model's default threshold, which flags 2% of them,
    /// that is 0.05; a lower --threshold raises it). A model made by an older raqib does
    /// not say: 0.05, with a note when --threshold is lowered.
    #[arg(long, value_name = "SHARE")]
    pub account_clean_rate: Option<f64>,
    /// Flag an account when a clean account would have as many flagged posts with a chance
    /// under this (1 in 1,000 by default).
    #[arg(long, default_value_t = 0.001, value_name = "P")]
    pub account_chance: f64,
    /// Find coordinated clusters too (see `raqib networks`): members are reported with
    /// their cluster in accounts.jsonl, clusters in networks.jsonl, and a member is flagged
    /// when another member of its cluster is, or when its members reposted a post the scan
    /// flagged (a quote with words of its own is scored by them, not counted so). A repost (share by reference) of a post the scan scored counts for
    /// the reposter as a post with that score (`reposts` in accounts.jsonl). Keeps each
    /// post's items and id in memory.
    #[arg(long)]
    pub networks: bool,
    /// Co-action window in seconds for --networks.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub window: i64,
    /// Posts each worker thread keeps track of so that the later versions of an edited post
    /// count with it for its account (16 bytes each): a Matrix message, a fediverse note,
    /// an edit-eligible tweet, and each edited post, the oldest forgotten first. Raise it
    /// when the summary says later versions were counted apart because their first came
    /// too long before (a fast stream whose edits come half an hour later); 0 counts every
    /// version as a post. See docs/format.md, "Edited posts".
    #[arg(long, default_value_t = raqib_scan::ScanConfig::default().max_edited, value_name = "POSTS")]
    pub track_edits: usize,
    /// Scan only posts made at or after this time: a date (`2026-11-01`, midnight UTC), a
    /// time (`2026-11-01T18:00:00+03:00`; without a zone, UTC), Unix seconds, or an age
    /// back from now (`7d`, `24h`, `90m`). Posts before it are passed over and counted;
    /// posts with no time are scanned and counted. Profiles are read whatever their time.
    #[arg(long, value_name = "TIME", value_parser = parse_when)]
    pub since: Option<i64>,
    /// Scan only posts made before this time (same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = parse_when)]
    pub until: Option<i64>,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Labelled training files (a folder: the .jsonl, .json, .csv, .tsv files under it).
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub data: Vec<String>,
    /// Labelled dev files for early stopping, calibration and the threshold.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub dev: Vec<String>,
    /// Count each post of FILE, one of the --data files or folders as given, N times in
    /// training (1–100; repeatable). For posts written or chosen with care (your own hard
    /// negatives: news, counter-speech, ordinary religious speech) that are a few hundred
    /// among thousands collected: e.g. `--weight corpus/starter.jsonl=3` (see
    /// docs/benchmarks.md for what it did on real data).
    #[arg(long, value_name = "FILE=N")]
    pub weight: Vec<String>,
    /// Where to write the model.
    #[arg(long, short, value_name = "MODEL")]
    pub out: PathBuf,
    /// Weight table size as a power of two (2^20 × 4 bytes = 4 MiB).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u8).range(10..=28))]
    pub bits: u8,
    /// Character n-gram orders, `MIN-MAX`; `0` for none.
    #[arg(long, default_value = "2-5", value_name = "MIN-MAX")]
    pub char_ngrams: String,
    /// No word unigram features.
    #[arg(long)]
    pub no_words: bool,
    /// No word bigram features.
    #[arg(long)]
    pub no_bigrams: bool,
    /// Score a text of fewer than N features (a character n-gram, word or bigram each) as
    /// if it had N, the others weighing nothing, so that a post of a word or two ("the",
    /// "haha", "الله") stays near the prior instead of counting as much as a sentence.
    /// 0 treats every text alike, as models before it did. Larger values let the many
    /// features of a longer post count for more: the Arabic model of
    /// `scripts/measure-real.sh` uses 384 (docs/benchmarks.md, "Short posts").
    #[arg(long, value_name = "N", default_value_t = raqib_text::features::DEFAULT_PAD_TO)]
    pub pad_to: u16,
    /// Most epochs; training stops earlier when the dev loss stops improving.
    #[arg(long, default_value_t = 30)]
    pub epochs: u32,
    /// AdaGrad learning rate.
    #[arg(long, default_value_t = 0.1)]
    pub lr: f32,
    /// L2 regularisation per update.
    #[arg(long, default_value_t = 1e-6)]
    pub l2: f32,
    /// Training threads. Default: one per core. `1` makes training reproducible bit for bit.
    #[arg(long)]
    pub threads: Option<usize>,
    /// The default threshold flags at most this share of dev negatives.
    #[arg(long, default_value_t = 0.02)]
    pub target_fpr: f32,
    /// The lowest default threshold. Raise it for a small corpus whose negatives all score
    /// low (the built-in starter model uses 0.75). The threshold is also always above the
    /// score of a text with no known features.
    #[arg(long, default_value_t = 0.5)]
    pub min_threshold: f32,
    /// Seed for shuffling.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Model file, or `LANG=FILE` for a language's own model (see `scan --help`). Default:
    /// the built-in starter model.
    #[arg(short, long, value_name = "[LANG=]MODEL")]
    pub model: Vec<String>,
    /// Labelled files to measure on (a folder: the .jsonl, .json, .csv, .tsv files under it).
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub data: Vec<String>,
    /// Threshold to report at. Default: the model's.
    #[arg(long)]
    pub threshold: Option<f32>,
    /// Also report the lowest threshold that reaches this precision, and its recall.
    #[arg(long, default_value_t = 0.95)]
    pub precision: f64,
    /// Count a post as flagged by its probability alone, as a classifier without a notion
    /// of evidence (fastText) does: for side-by-side figures. Without it, a post is counted
    /// as `scan` flags it: at the threshold and with evidence (its own words point towards
    /// propaganda). The two differ only at thresholds below the model's prior.
    #[arg(long)]
    pub by_probability: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also list the N strongest false positives (clean posts flagged, strongest first)
    /// and the N weakest false negatives (propaganda missed, weakest first), each with its
    /// file, line, id, score and the words that drove it (a missed post's also the words
    /// that held it down): what to read before changing a threshold or the training data.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub errors: usize,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Model file, or `LANG=FILE` for a language's own model (see `scan --help`). Default:
    /// the built-in starter model.
    #[arg(short, long, value_name = "[LANG=]MODEL")]
    pub model: Vec<String>,
    /// The text to score.
    pub text: String,
    #[arg(long, default_value_t = 8)]
    pub explain: usize,
    /// Say whether the text is flagged at this probability instead of the model's
    /// threshold (it also needs evidence: see `raqib scan --help`).
    #[arg(long, value_name = "P")]
    pub threshold: Option<f32>,
}

#[derive(Args, Debug)]
pub struct NormaliseArgs {
    /// Texts; without any, each line of standard input.
    pub texts: Vec<String>,
}

/// The window `--since` / `--until` give; an error where it holds no time at all.
pub fn time_window(
    since: Option<i64>,
    until: Option<i64>,
) -> anyhow::Result<raqib_scan::TimeWindow> {
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            anyhow::bail!(
                "--since is not before --until: the window holds no time, so no post would be \
                 read; swap them, or widen it"
            );
        }
    }
    Ok(raqib_scan::TimeWindow { since, until })
}

/// A time for `--since` / `--until`: an age back from now (`7d`, `24h`, `90m`), or a time
/// as [`raqib_ingest::parse_time`] reads it (a date, RFC 3339, Unix seconds).
pub fn parse_when(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let unit = |c: char| match c {
        'd' => Some(86_400),
        'h' => Some(3_600),
        'm' => Some(60),
        _ => None,
    };
    if let Some((n, u)) = s
        .char_indices()
        .last()
        .and_then(|(k, c)| Some((s[..k].parse::<u32>().ok()?, unit(c)?)))
    {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        return Ok(now - i64::from(n) * u);
    }
    raqib_ingest::parse_time(s).ok_or_else(|| {
        format!(
            "`{s}` is not a time: give a date (2026-11-01), a time (2026-11-01T18:00:00Z), \
             Unix seconds, or an age back from now (7d, 24h, 90m)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::parse_when;

    #[test]
    fn a_window_bound_is_an_age_or_a_time() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        for (age, secs) in [
            ("7d", 7 * 86_400),
            ("24h", 86_400),
            ("90m", 5_400),
            ("0d", 0),
        ] {
            let t = parse_when(age).unwrap();
            assert!((now - secs - t).abs() <= 2, "{age}: {t}");
        }
        assert_eq!(parse_when("2026-11-01"), Ok(1_793_491_200));
        assert_eq!(parse_when("2026-11-01T03:00:00+03:00"), Ok(1_793_491_200));
        assert_eq!(parse_when("1793491200"), Ok(1_793_491_200));
        for bad in ["", "d", "7w", "-7d", "yesterday", "7 d"] {
            assert!(parse_when(bad).is_err(), "{bad}");
        }
    }
}
