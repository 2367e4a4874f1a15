//! A `raqib serve` process for end-to-end tests, and a small HTTP client.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub struct Server {
    pub child: Child,
    pub base: String,
    pub data: PathBuf,
    agent: ureq::Agent,
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into()
}

/// Create a token in the data folder (or `--store`) and return its secret.
pub fn token(data: &Path, store: Option<&str>, name: &str, role: &str) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_raqib"));
    cmd.args(["token", "add", name, "--role", role, "--data"])
        .arg(data);
    if let Some(s) = store {
        cmd.args(["--store", s]);
    }
    let o = cmd.output().expect("raqib token runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

impl Server {
    /// Start `raqib serve` on a free port with `--data data` and `extra` arguments.
    pub fn start(data: &Path, extra: &[&str]) -> Server {
        Server::spawn(data, extra, Stdio::inherit())
    }

    /// As `start`, its standard error written to `log`.
    pub fn start_logged(data: &Path, extra: &[&str], log: &Path) -> Server {
        let f = std::fs::File::create(log).expect("the log file");
        Server::spawn(data, extra, Stdio::from(f))
    }

    fn spawn(data: &Path, extra: &[&str], stderr: Stdio) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_raqib"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(extra)
            .current_dir(super::root())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("raqib serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Server {
            child,
            base: format!("http://{addr}"),
            data: data.to_path_buf(),
            agent: agent(),
        }
    }

    /// A request; the status and the body as JSON (`Value::String` when not JSON).
    pub fn req(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, Value) {
        self.req_with(method, path, token, body.map(str::as_bytes), &[])
    }

    pub fn req_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut resp = match method {
            "GET" | "DELETE" => {
                let mut r = if method == "GET" {
                    self.agent.get(&url)
                } else {
                    self.agent.delete(&url)
                };
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                for (k, v) in headers {
                    r = r.header(*k, *v);
                }
                r.call()
            }
            _ => {
                let mut r = self.agent.post(&url);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                for (k, v) in headers {
                    r = r.header(*k, *v);
                }
                match body {
                    Some(b) => r.send(b),
                    None => r.send_empty(),
                }
            }
        }
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, v)
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A fresh database on the PostgreSQL server in `RAQIB_TEST_PG`; `None` outside CI when
/// it is unset.
pub fn fresh_pg(name: &str) -> Option<String> {
    let Ok(url) = std::env::var("RAQIB_TEST_PG") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "RAQIB_TEST_PG is not set: .ci/run must start PostgreSQL and set it"
        );
        eprintln!(
            "skipped: set RAQIB_TEST_PG=postgres://USER:PASS@HOST/DB to run against PostgreSQL"
        );
        return None;
    };
    let mut admin =
        postgres::Client::connect(&url, postgres::NoTls).expect("connect to RAQIB_TEST_PG");
    admin
        .simple_query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
    admin
        .simple_query(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    Some(format!("{base}/{name}"))
}
