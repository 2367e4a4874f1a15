//! The reviewer page, end to end in headless Chromium (Debian `chromium`) driven over the
//! DevTools protocol: sign-in, the queue in priority order, filters, highlighted evidence,
//! right-to-left text, script in a post shown as text, blurred media, keyboard decisions
//! and undo, checked against the API.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::server::{token, Server};
use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

struct Browser {
    child: Child,
    ws: WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>,
    next_id: u64,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    fn launch() -> Option<Browser> {
        let exe = ["chromium", "chromium-browser", "google-chrome"]
            .into_iter()
            .find(|c| {
                Command::new(c)
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            });
        let Some(exe) = exe else {
            assert!(
                std::env::var_os("CI").is_none(),
                "chromium is not installed: .ci/run must install it (apt-get install chromium)"
            );
            eprintln!("skipped: install chromium to run the page test");
            return None;
        };
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(exe)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--remote-debugging-port=0",
                "--window-size=1280,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        let mut url = None;
        for line in BufReader::new(child.stderr.take().unwrap()).lines() {
            let line = line.unwrap();
            if let Some(u) = line.split("DevTools listening on ").nth(1) {
                url = Some(u.trim().to_string());
                break;
            }
        }
        let url = url.expect("chromium printed its DevTools address");
        let (ws, _) = tungstenite::connect(url.as_str()).expect("DevTools websocket");
        let mut b = Browser {
            child,
            ws,
            next_id: 0,
            session: String::new(),
            _profile: profile,
        };
        let t = b.call("Target.createTarget", json!({"url": "about:blank"}));
        let target = t["targetId"].as_str().unwrap().to_string();
        let s = b.call(
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        );
        b.session = s["sessionId"].as_str().unwrap().to_string();
        Some(b)
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        self.ws.send(Message::text(msg.to_string())).unwrap();
        loop {
            let m = self.ws.read().expect("DevTools message");
            let Message::Text(t) = m else { continue };
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["id"] == json!(id) {
                assert!(v["error"].is_null(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    fn eval(&mut self, js: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": js, "awaitPromise": true, "returnByValue": true}),
        );
        assert!(r["exceptionDetails"].is_null(), "{js}: {r}");
        r["result"]["value"].clone()
    }

    fn wait_for(&mut self, js: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let v = self.eval(js);
            if !v.is_null() && v != json!(false) {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {js}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn key(&mut self, k: &str) {
        for t in ["keyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": t, "key": k, "text": k, "code": format!("Key{}", k.to_uppercase())}),
            );
        }
    }
}

/// Open the page at `base` and sign in with `token`.
fn sign_in(b: &mut Browser, base: &str, token: &str) {
    b.call("Page.navigate", json!({"url": format!("{base}/")}));
    b.wait_for("document.readyState === 'complete' && !document.querySelector('#signin').hidden");
    b.eval(&format!(
        "document.querySelector('#token').value = {}; document.querySelector('#signin-form').requestSubmit(); true",
        json!(token)
    ));
}

const AR: &str = "جنود الخلافة الدولة الإسلامية باقية وتتمدد بايعوا الخليفة";
const ALT: &str = "the islamic state soldiers of the caliphate join";
const SCRIPT: &str = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> join the soldiers of the caliphate, the islamic state remains";

#[test]
fn reviewer_works_the_queue_in_a_real_browser() {
    let Some(mut b) = Browser::launch() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ingest = token(&data, None, "platform-1", "ingest");
    let alice = token(&data, None, "alice", "reviewer");
    let srv = Server::start(&data, &[]);
    let submit = |p: Value| {
        let (st, v) = srv.req("POST", "/api/v1/posts", Some(&ingest), Some(&p.to_string()));
        assert_eq!(st, 201, "{v}");
        v
    };
    submit(json!({"id": "ar1", "platform": "x", "account": "u1", "text": AR, "reach": 100000}));
    // A permalink that is no web address is not made a link.
    submit(
        json!({"id": "s1", "platform": "x", "account": "u2", "text": SCRIPT,
                  "permalink": "javascript:window.__pwned=1",
                  "media": [{"kind": "image", "url": format!("{}/health", srv.base)}]}),
    );
    // Its words are in its photo's description (alt text) alone.
    submit(
        json!({"id": "t1", "platform": "telegram", "account": "u3", "text": "photos from today",
               "media": [{"kind": "image", "url": "https://files.example/p1.jpg", "alt": ALT},
                         {"kind": "link", "url": "https://files.example/r1", "alt": "Photo album\n12 pictures"}],
               "urls": ["https://files.example/r1"], "created_at": 1_790_000_000,
               "place": "Example channel", "permalink": "https://t.me/example_channel/1"}),
    );

    // Sign in with the reviewer's token.
    sign_in(&mut b, &srv.base, &alice);
    b.wait_for("document.querySelectorAll('.qitem').length === 3");
    assert_eq!(
        b.eval("document.querySelector('#who').textContent"),
        "alice (reviewer)"
    );
    // Priority order: the post with the most reach first.
    assert_eq!(
        b.eval("document.querySelector('.qitem').dataset.key"),
        "post:x:ar1"
    );

    // Arabic renders right to left; evidence spans are highlighted in the original text.
    b.wait_for("document.querySelector('#post-text') !== null");
    assert_eq!(
        b.eval("document.querySelector('#post-text').matches(':dir(rtl)')"),
        true
    );
    assert_eq!(
        b.eval("document.querySelector('#post-text').textContent"),
        AR
    );
    let marks = b.eval("[...document.querySelectorAll('#post-text mark')].map(m => m.textContent)");
    let marks = marks.as_array().unwrap();
    assert!(!marks.is_empty());
    assert!(
        marks.iter().all(|m| AR.contains(m.as_str().unwrap())),
        "{marks:?}"
    );

    // The next item holds script: shown as text, never run; its media blurred until clicked.
    b.key("j");
    b.wait_for("document.querySelector('.qitem.sel').dataset.key === 'post:x:s1'");
    b.wait_for("document.querySelector('#post-text').textContent.includes('<script>')");
    assert_eq!(b.eval("window.__pwned === undefined"), true);
    assert_eq!(
        b.eval("document.querySelectorAll('#detail script, #items script, #post-text img').length"),
        0
    );
    assert_eq!(
        b.eval("document.querySelectorAll('#detail .permalink').length"),
        0
    );
    assert_eq!(
        b.eval("getComputedStyle(document.querySelector('.media img')).filter.includes('blur')"),
        true
    );
    b.eval("document.querySelector('.media img').click(); true");
    b.wait_for("getComputedStyle(document.querySelector('.media img')).filter === 'none'");

    // Decide with the keyboard: `r` removes the selected item; the API shows the decision.
    b.key("r");
    b.wait_for("document.querySelectorAll('.qitem').length === 2");
    b.wait_for("document.querySelector('#toast-text').textContent.includes('post:x:s1')");
    let (_, item) = srv.req("GET", "/api/v1/items/post:x:s1", Some(&alice), None);
    assert_eq!(item["state"], "closed");
    assert_eq!(item["reviews"][0]["decision"], "remove");
    assert_eq!(item["reviews"][0]["reviewer"], "alice");
    // `u` undoes it: back in the queue.
    b.key("u");
    b.wait_for("document.querySelectorAll('.qitem').length === 3");
    let (_, item) = srv.req("GET", "/api/v1/items/post:x:s1", Some(&alice), None);
    assert_eq!(item["state"], "open");

    // Filters: one platform.
    b.eval("document.querySelector('#filters [name=platform]').value = 'telegram'; document.querySelector('#filters').requestSubmit(); true");
    b.wait_for("document.querySelectorAll('.qitem').length === 1");
    assert_eq!(
        b.eval("document.querySelector('.qitem').dataset.key"),
        "post:telegram:t1"
    );
    // One place, the whole name, case aside; the queue's row says where.
    let filter = |platform: &str, place: &str| {
        format!(
            "document.querySelector('#filters [name=platform]').value = {}; \
             document.querySelector('#filters [name=place]').value = {}; \
             document.querySelector('#filters').requestSubmit(); true",
            json!(platform),
            json!(place)
        )
    };
    b.eval(&filter("telegram", "Example"));
    b.wait_for("document.querySelectorAll('.qitem').length === 0");
    b.eval(&filter("", "example CHANNEL"));
    b.wait_for("document.querySelectorAll('.qitem').length === 1");
    assert_eq!(
        b.eval("document.querySelector('.qitem').dataset.key"),
        "post:telegram:t1"
    );
    assert!(
        b.eval("document.querySelector('.qitem .meta').textContent")
            .as_str()
            .is_some_and(|m| m.contains("· Example channel ·")),
        "the row names the place"
    );
    b.eval(&filter("telegram", ""));
    b.wait_for("document.querySelectorAll('.qitem').length === 1");
    // Where it was posted is shown with it.
    b.wait_for("document.querySelector('#detail .place') !== null");
    assert_eq!(
        b.eval("document.querySelector('#detail .place').textContent"),
        "posted in Example channel"
    );
    // And its page on its platform, a link that opens apart.
    assert_eq!(
        b.eval("document.querySelector('#detail .permalink a').getAttribute('href')"),
        "https://t.me/example_channel/1"
    );
    // The evidence in the photo's description is highlighted there, not in the text.
    b.wait_for("document.querySelector('.alt [data-media=\"0\"]') !== null");
    assert_eq!(
        b.eval("document.querySelector('.alt [data-media=\"0\"]').textContent"),
        ALT
    );
    let marks = b.eval("[...document.querySelectorAll('.alt mark')].map(m => m.textContent)");
    let marks = marks.as_array().unwrap();
    assert!(!marks.is_empty());
    assert!(
        marks.iter().all(|m| ALT.contains(m.as_str().unwrap())),
        "{marks:?}"
    );
    assert_eq!(
        b.eval("document.querySelectorAll('#post-text mark').length"),
        0
    );
    // Its link card is shown as the linked page's words, and its address is never loaded
    // as an image: the photo alone is.
    assert_eq!(
        b.eval("[...document.querySelectorAll('.alt .muted')].map(p => p.textContent)"),
        json!([
            "description of image 1 (alt text):",
            "link card 2 (the linked page's words, https://files.example/r1):"
        ])
    );
    assert_eq!(
        b.eval(
            "[...document.querySelectorAll('#detail .media img')].map(i => i.getAttribute('src'))"
        ),
        json!(["https://files.example/p1.jpg"])
    );
    // `n`: no action, from the filtered view.
    b.eval("document.activeElement.blur(); true");
    b.key("n");
    b.wait_for("document.querySelectorAll('.qitem').length === 0");
    let (_, item) = srv.req("GET", "/api/v1/items/post:telegram:t1", Some(&alice), None);
    assert_eq!(item["reviews"][0]["decision"], "no_action");

    // Two more accounts post the same link within seconds: the third post is queued for
    // coordination, and the page shows who posted it and when.
    submit(
        json!({"id": "t2", "platform": "telegram", "account": "u4", "text": "new release https://files.example/r1", "created_at": 1_790_000_005}),
    );
    submit(
        json!({"id": "t3", "platform": "telegram", "account": "u5", "text": "get it https://files.example/r1", "created_at": 1_790_000_009}),
    );
    b.eval("document.querySelector('#filters').requestSubmit(); true");
    // t3 is queued for coordination (t2 may be queued for its text too); open it.
    b.wait_for("document.querySelector('.qitem[data-key=\"post:telegram:t3\"]') !== null");
    b.eval("document.querySelector('.qitem[data-key=\"post:telegram:t3\"]').click(); true");
    b.wait_for("document.querySelector('#network') !== null");
    let net = b.eval("document.querySelector('#network').textContent");
    let net = net.as_str().unwrap();
    assert!(
        net.contains("u4 (4 s before)") && net.contains("u3 (9 s before)"),
        "{net}"
    );
    // The same link from another platform's account: its co-posters named with theirs.
    submit(
        json!({"id": "w1", "platform": "x", "account": "u6", "text": "mirror https://files.example/r1", "created_at": 1_790_000_011}),
    );
    b.eval(&filter("x", ""));
    b.wait_for("document.querySelector('.qitem[data-key=\"post:x:w1\"]') !== null");
    b.eval("document.querySelector('.qitem[data-key=\"post:x:w1\"]').click(); true");
    b.wait_for("document.querySelector('#network') !== null");
    let net = b.eval("document.querySelector('#network').textContent");
    let net = net.as_str().unwrap();
    assert!(net.contains("u5 on telegram (2 s before)"), "{net}");
}

#[test]
fn the_page_refuses_a_token_that_is_not_a_reviewers() {
    let Some(mut b) = Browser::launch() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ingest = token(&data, None, "platform-1", "ingest");
    let srv = Server::start(&data, &[]);
    sign_in(&mut b, &srv.base, &ingest);
    b.wait_for("document.querySelector('#signin-error').textContent.length > 0");
    assert_eq!(b.eval("document.querySelector('#app').hidden"), true);
}

/// An account whose profile changed shows the profiles it had, latest first, with which
/// were flagged; and the text is shown as text (a bio holding markup does not run). One
/// that went back to harmless words is shown flagged by its earlier version: that
/// version's words marked in its own row, never at their offsets in the profile it has now.
#[test]
fn an_accounts_earlier_profiles_are_shown() {
    let Some(mut b) = Browser::launch() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ingest = token(&data, None, "platform-1", "ingest");
    let alice = token(&data, None, "alice", "reviewer");
    let srv = Server::start(&data, &[]);
    for bio in [
        "<img src=x onerror=\"window.__pwned=1\"> recipes",
        ALT,
        "recipes and a long list of the dishes we cooked this week at home",
    ] {
        let a = json!({"id": "a1", "platform": "x", "handle": "cook_7", "bio": bio});
        let (st, v) = srv.req(
            "POST",
            "/api/v1/accounts",
            Some(&ingest),
            Some(&a.to_string()),
        );
        assert!(st == 201 || st == 200, "{v}");
    }
    sign_in(&mut b, &srv.base, &alice);
    b.wait_for("document.querySelectorAll('.qitem').length === 1");
    b.wait_for("document.querySelector('#previous') !== null");
    let shown = b.eval("[...document.querySelectorAll('#previous li')].map(l => l.textContent)");
    let shown = shown.as_array().unwrap();
    assert_eq!(shown.len(), 2, "{shown:?}");
    let line = shown[1].as_str().unwrap();
    assert!(line.starts_with("@cook_7 · <img src=x"), "{line}");
    assert!(line.contains("(until ") && !line.contains('⚑'), "{line}");
    assert!(shown[0].as_str().unwrap().contains('⚑'), "{shown:?}");
    assert_eq!(b.eval("window.__pwned === undefined"), true);
    // Flagged by the earlier version, whose words are marked in its row.
    let row = b.eval(
        "[...document.querySelectorAll('.signals tr')].map(r => r.textContent).find(t => t.includes('(earlier)')) || ''",
    );
    let row = row.as_str().unwrap();
    assert!(
        row.starts_with("profile (earlier) ⚑") && row.contains(ALT),
        "{row}"
    );
    let marked = b.eval("[...document.querySelectorAll('.earlier mark')].map(m => m.textContent)");
    let marked = marked.as_array().unwrap();
    assert!(!marked.is_empty(), "{marked:?}");
    for m in marked {
        assert!(ALT.contains(m.as_str().unwrap()), "{m}");
    }
    assert_eq!(
        b.eval("document.querySelectorAll('#post-text mark').length"),
        0
    );
}
