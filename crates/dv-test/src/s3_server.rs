//! [`S3Server`]: a loopback S3 API (the pinned `moto_server`) started and stopped by the test
//! that uses it, plus the few bucket operations fixtures need.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::environment::is_stripped;
use crate::http::{self, Response, percent_encode};
use crate::venv;

/// How long the server may take to answer after it is started.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a port is tried again when the server exits at startup (another process took the
/// port between choosing and binding it).
const START_ATTEMPTS: u32 = 3;

/// The access key id, secret and region the server accepts (it does not check signatures).
const ACCESS_KEY_ID: &str = "test";
const SECRET_ACCESS_KEY: &str = "test";
const REGION: &str = "us-east-1";

/// The pinned `moto_server` listening on a free loopback port, killed on drop.
///
/// Point a remote at it with `endpointurl` = [`endpoint`](Self::endpoint) and give the command
/// [`credentials_env`](Self::credentials_env). The fixture methods talk path-style HTTP to it
/// directly and panic on any failure.
#[derive(Debug)]
pub struct S3Server {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    child: Child,
    address: SocketAddr,
    /// Holds the server log and serves as the server's `HOME`.
    state: TempDir,
}

impl S3Server {
    /// Starts `moto_server` on a free port and waits until it answers.
    ///
    /// # Panics
    ///
    /// If `moto_server` is not installed, or does not answer within 30 seconds (with its log).
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts a `moto_server` that checks credentials (`INITIAL_NO_AUTH_ACTION_COUNT=0`): it
    /// knows no access key, so every signed request is refused (`403`, `InvalidAccessKeyId`).
    /// For tests of refused credentials; the fixture methods do not work against it.
    ///
    /// # Panics
    ///
    /// Like [`start`](Self::start).
    pub fn start_refusing_credentials() -> Self {
        Self::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")])
    }

    fn start_with(environment: &[(&str, &str)]) -> Self {
        let binary = venv::moto_server_bin();
        let state = tempfile::Builder::new()
            .prefix("dv-test-s3-")
            .tempdir()
            .expect("create a temporary directory for the S3 server");
        for attempt in 1..=START_ATTEMPTS {
            let address = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
            let log_path = log_path(state.path(), address);
            let mut child = spawn(&binary, address, state.path(), &log_path, environment);
            match wait_until_ready(&mut child, address) {
                Ok(()) => {
                    return Self {
                        endpoint: format!("http://{address}"),
                        child,
                        address,
                        state,
                    };
                }
                Err(Startup::Exited(status)) if attempt < START_ATTEMPTS => {
                    eprintln!("moto_server on {address} exited at startup ({status}), retrying");
                }
                Err(failure) => {
                    // Best effort: the child may already have exited.
                    let _ = child.kill();
                    let _ = child.wait();
                    let log = fs_err::read_to_string(&log_path).unwrap_or_default();
                    panic!("moto_server on {address} did not start ({failure:?}); its log:\n{log}");
                }
            }
        }
        unreachable!("the last start attempt either returns or panics")
    }

    /// Environment variables giving a client the credentials and region the server accepts;
    /// add them to a `dv`/`dvc` command (`.envs(server.credentials_env())`), whose isolated
    /// environment has no `AWS_*` variables otherwise.
    pub fn credentials_env(&self) -> [(&'static str, &'static str); 3] {
        [
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
            ("AWS_DEFAULT_REGION", REGION),
        ]
    }

    /// Creates bucket `name`.
    pub fn create_bucket(&self, name: &str) {
        let target = format!("/{}", percent_encode(name, false));
        self.expect_ok("create bucket", &target, self.send("PUT", &target, b""));
    }

    /// Turns on versioning for bucket `name`: every `PUT` then creates a new version with its
    /// own version id, and older versions stay readable.
    pub fn enable_versioning(&self, name: &str) {
        let target = format!("/{}?versioning", percent_encode(name, false));
        let body = b"<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                     <Status>Enabled</Status></VersioningConfiguration>";
        self.expect_ok(
            "enable versioning",
            &target,
            self.send("PUT", &target, body),
        );
    }

    /// Stores `body` as object `key` of `bucket`.
    pub fn put_object(&self, bucket: &str, key: &str, body: &[u8]) {
        let target = object_target(bucket, key);
        self.expect_ok("put object", &target, self.send("PUT", &target, body));
    }

    /// The contents of object `key` of `bucket`.
    ///
    /// # Panics
    ///
    /// If the object does not exist.
    pub fn get_object(&self, bucket: &str, key: &str) -> Vec<u8> {
        let target = object_target(bucket, key);
        self.expect_ok("get object", &target, self.send("GET", &target, b""))
            .body
    }

    /// The keys of all objects in `bucket` starting with `prefix`, sorted (S3 lists in key
    /// order).
    pub fn list_keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut continuation: Option<String> = None;
        loop {
            let mut target = format!(
                "/{}?list-type=2&prefix={}",
                percent_encode(bucket, false),
                percent_encode(prefix, false)
            );
            if let Some(token) = &continuation {
                target.push_str("&continuation-token=");
                target.push_str(&percent_encode(token, false));
            }
            let listing = self
                .expect_ok("list objects", &target, self.send("GET", &target, b""))
                .text();
            keys.extend(xml_elements(&listing, "Key"));
            let truncated = xml_elements(&listing, "IsTruncated")
                .first()
                .map(String::as_str)
                == Some("true");
            continuation = xml_elements(&listing, "NextContinuationToken")
                .into_iter()
                .next();
            if !truncated || continuation.is_none() {
                return keys;
            }
        }
    }

    /// The server's log so far (one line per request), for diagnosing a failing test.
    pub fn log(&self) -> String {
        fs_err::read_to_string(log_path(self.state.path(), self.address)).unwrap_or_default()
    }

    fn send(&self, method: &str, target: &str, body: &[u8]) -> std::io::Result<Response> {
        send(self.address, method, target, body, REQUEST_TIMEOUT)
    }

    #[track_caller]
    fn expect_ok(
        &self,
        operation: &str,
        target: &str,
        response: std::io::Result<Response>,
    ) -> Response {
        match response {
            Ok(response) if (200..300).contains(&response.status) => response,
            Ok(response) => panic!(
                "S3 {operation} `{target}` on {} failed with status {}:\n{}",
                self.endpoint,
                response.status,
                response.text()
            ),
            Err(error) => panic!(
                "S3 {operation} `{target}` on {} failed: {error}",
                self.endpoint
            ),
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        // Best effort: nothing useful can be done if the server is already gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
enum Startup {
    Exited(ExitStatus),
    TimedOut,
}

fn spawn(
    binary: &Path,
    address: SocketAddr,
    home: &Path,
    log_path: &Path,
    environment: &[(&str, &str)],
) -> Child {
    let log = File::create(log_path).expect("create the S3 server log");
    let mut command = Command::new(binary);
    command
        .args(["-H", "127.0.0.1", "-p", &address.port().to_string()])
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("share the S3 server log"))
        .stderr(log);
    for (name, _) in std::env::vars_os() {
        if is_stripped(&name) {
            command.env_remove(name);
        }
    }
    command.env("HOME", home);
    command.envs(environment.iter().copied());
    command
        .spawn()
        .unwrap_or_else(|error| panic!("failed to start `{}`: {error}", binary.display()))
}

fn wait_until_ready(child: &mut Child, address: SocketAddr) -> Result<(), Startup> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(Startup::Exited(status));
        }
        if send(address, "GET", "/", b"", Duration::from_secs(2)).is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Startup::TimedOut);
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Sends one S3 request with a syntactically valid but unsigned `Authorization` header: moto
/// identifies the caller from it and, unless told otherwise, checks no signatures. Anonymous
/// requests are refused for objects.
fn send(
    address: SocketAddr,
    method: &str,
    target: &str,
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<Response> {
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20240101/{REGION}/s3/aws4_request, \
         SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000"
    );
    http::request(
        address,
        method,
        target,
        &[
            ("Authorization", &authorization),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
            // Anything else makes the server parse the body as a form.
            ("Content-Type", "application/octet-stream"),
        ],
        body,
        timeout,
    )
}

fn object_target(bucket: &str, key: &str) -> String {
    format!(
        "/{}/{}",
        percent_encode(bucket, false),
        percent_encode(key, true)
    )
}

fn log_path(state: &Path, address: SocketAddr) -> PathBuf {
    state.join(format!("moto-{}.log", address.port()))
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free loopback port");
    listener
        .local_addr()
        .expect("read the address of a bound listener")
        .port()
}

/// The unescaped text of every `<name>...</name>` element in `xml`, in order.
fn xml_elements(xml: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut values = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        rest = &rest[start + open.len()..];
        let Some(end) = rest.find(&close) else {
            break;
        };
        values.push(xml_unescape(&rest[..end]));
        rest = &rest[end + close.len()..];
    }
    values
}

fn xml_unescape(text: &str) -> String {
    let mut unescaped = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        unescaped.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semicolon) = rest.find(';') else {
            break;
        };
        let entity = &rest[1..semicolon];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match decoded {
            Some(character) => {
                unescaped.push(character);
                rest = &rest[semicolon + 1..];
            }
            None => {
                unescaped.push('&');
                rest = &rest[1..];
            }
        }
    }
    unescaped.push_str(rest);
    unescaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_elements_are_found_and_unescaped() {
        let xml = "<R><Contents><Key>a &amp; b/&#x41;&#66;&lt;</Key></Contents>\
                   <Contents><Key>c</Key></Contents><IsTruncated>false</IsTruncated></R>";
        assert_eq!(xml_elements(xml, "Key"), ["a & b/AB<", "c"]);
        assert_eq!(xml_elements(xml, "IsTruncated"), ["false"]);
        assert!(xml_elements(xml, "NextContinuationToken").is_empty());
    }

    #[test]
    fn unknown_entities_are_kept() {
        assert_eq!(xml_unescape("a &bogus; b & c"), "a &bogus; b & c");
    }
}
