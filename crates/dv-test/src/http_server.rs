//! [`HttpServer`]: a loopback HTTP/1.1 file server started and stopped by the test that uses
//! it, serving the files of a directory the way a plain web server does, for tests of HTTP
//! import sources and HTTP remotes (by `dv`, and by the oracle `dvc`, whose aiohttp client it
//! must satisfy).
//!
//! It answers `GET` and `HEAD` with `Content-Length`, `Content-Type: application/octet-stream`
//! and an `ETag` that is the md5 hex of the body in double quotes; `404` for anything that is
//! not a file under the root. A [writable](HttpServerOptions::writable) server also stores the
//! body of a `POST` or `PUT` (`Content-Length` or chunked) as the file the target names,
//! creating directories, written to a temporary name and renamed; other servers answer `405`
//! to every other method. With [`basic_auth`](HttpServerOptions::basic_auth) every request
//! without those credentials gets `401`. With [`redirect_to`](HttpServerOptions::redirect_to)
//! every `GET` and `HEAD` is answered `302 Found` to the same target under another URL. Every
//! response ends the connection
//! (`Connection: close`), whatever the request asked for.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use md5::{Digest as _, Md5};

/// How long a connection may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// What an [`HttpServer`] accepts besides reads.
#[derive(Debug, Clone, Default)]
pub struct HttpServerOptions {
    /// Store `POST` and `PUT` bodies.
    pub writable: bool,
    /// Require these `user` and `password` (HTTP basic authentication) on every request.
    pub basic_auth: Option<(String, String)>,
    /// Answer every `GET` and `HEAD` with `302 Found` to the same target under this URL
    /// (`http://127.0.0.1:PORT`, without a trailing `/`).
    pub redirect_to: Option<String>,
}

/// A file server on a free loopback port, stopped on drop.
#[derive(Debug)]
pub struct HttpServer {
    /// `http://127.0.0.1:PORT`, without a trailing `/`.
    pub url: String,
    address: SocketAddr,
    stopping: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl HttpServer {
    /// Serves the files under `root` (`/a/b.txt` is `root/a/b.txt`).
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound.
    pub fn start(root: impl Into<PathBuf>) -> Self {
        Self::start_with(root, HttpServerOptions::default())
    }

    /// Serves the files under `root`, accepting what `options` say.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound.
    pub fn start_with(root: impl Into<PathBuf>, options: HttpServerOptions) -> Self {
        let root: PathBuf = root.into();
        let options = Arc::new(options);
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free loopback port");
        let address = listener
            .local_addr()
            .expect("read the address of a bound listener");
        let stopping = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let acceptor = {
            let (stopping, requests) = (Arc::clone(&stopping), Arc::clone(&requests));
            thread::spawn(move || accept(&listener, &root, &options, &stopping, &requests))
        };
        HttpServer {
            url: format!("http://{address}"),
            address,
            stopping,
            requests,
            acceptor: Some(acceptor),
        }
    }

    /// The request lines received so far (`GET /a.txt HTTP/1.1`), in order of arrival.
    pub fn requests(&self) -> Vec<String> {
        self.request_heads()
            .iter()
            .map(|head| head.lines().next().unwrap_or_default().to_owned())
            .collect()
    }

    /// The request heads received so far (request line and headers), in order of arrival.
    pub fn request_heads(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wakes the acceptor, which then sees `stopping`; failure means it is gone already.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Accepts connections until `stopping`, one thread each.
fn accept(
    listener: &TcpListener,
    root: &Path,
    options: &Arc<HttpServerOptions>,
    stopping: &AtomicBool,
    requests: &Arc<Mutex<Vec<String>>>,
) {
    for stream in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else {
            continue;
        };
        let (root, options, requests) =
            (root.to_owned(), Arc::clone(options), Arc::clone(requests));
        thread::spawn(move || {
            // A client that goes away mid-request is its own problem.
            let _ = serve(stream, &root, &options, &requests);
        });
    }
}

/// Answers one request on `stream` and closes it.
fn serve(
    mut stream: TcpStream,
    root: &Path,
    options: &HttpServerOptions,
    requests: &Mutex<Vec<String>>,
) -> io::Result<()> {
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
    let Some(head) = read_head(&mut stream)? else {
        return Ok(());
    };
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(head.clone());
    let mut parts = request_line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or("/"),
    );
    let authorized = match &options.basic_auth {
        None => true,
        Some((user, password)) => {
            header(&head, "authorization")
                == Some(format!("Basic {}", base64(&format!("{user}:{password}"))))
        }
    };
    let response = match method {
        _ if !authorized => Response::new("401 Unauthorized", b"unauthorized\n".to_vec())
            .header("WWW-Authenticate", "Basic realm=\"dv-test\""),
        "POST" | "PUT" if options.writable => match store(&mut stream, &head, root, target) {
            Ok(()) => Response::new("200 OK", b"stored\n".to_vec()),
            Err(error) => Response::new("400 Bad Request", format!("{error}\n").into_bytes()),
        },
        "GET" | "HEAD" if options.redirect_to.is_some() => {
            let location = format!("{}{target}", options.redirect_to.as_deref().unwrap_or(""));
            Response::new("302 Found", b"moved\n".to_vec()).header("Location", &location)
        }
        "GET" | "HEAD" => {
            match file_under(root, target).and_then(|path| std::fs::read(path).ok()) {
                Some(body) => {
                    let hex: String = Md5::digest(&body)
                        .iter()
                        .map(|byte| format!("{byte:02x}"))
                        .collect();
                    let etag = format!("\"{hex}\"");
                    Response::new("200 OK", body).header("ETag", &etag)
                }
                None => Response::new("404 Not Found", b"not found\n".to_vec()),
            }
        }
        _ => Response::new("405 Method Not Allowed", b"method not allowed\n".to_vec())
            .header("Allow", "GET, HEAD"),
    };
    stream.write_all(&response.encode(method == "HEAD"))?;
    stream.flush()?;
    // Close gracefully: stop sending, then drain what the client still sends until it closes,
    // so that unread bytes do not turn the close into a reset that could lose the response.
    stream.shutdown(Shutdown::Write)?;
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut sink = [0u8; 4096];
    while matches!(stream.read(&mut sink), Ok(read) if read > 0) {}
    Ok(())
}

/// The request head up to and without the blank line; `None` if the client sent nothing.
fn read_head(stream: &mut TcpStream) -> io::Result<Option<String>> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        if head.len() > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head too large",
            ));
        }
        // One byte at a time: nothing after the head (a body) is consumed before the reply.
        if stream.read(&mut buffer)? == 0 {
            return Ok((!head.is_empty()).then(|| String::from_utf8_lossy(&head).into_owned()));
        }
        head.push(buffer[0]);
    }
    Ok(Some(String::from_utf8_lossy(&head).into_owned()))
}

/// The file a request target names under `root`: the path without query, percent-decoded,
/// with no `..` or other escape; `None` if it is not a regular file there.
fn file_under(root: &Path, target: &str) -> Option<PathBuf> {
    let file = path_under(root, target)?;
    file.is_file().then_some(file)
}

/// The path a request target names under `root`, whether or not it exists.
fn path_under(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let decoded = percent_decode(path)?;
    let relative = Path::new(decoded.trim_start_matches('/'));
    if relative.as_os_str().is_empty()
        || relative
            .components()
            .any(|component| !matches!(component, Component::Normal(_)))
    {
        return None;
    }
    Some(root.join(relative))
}

/// The value of header `name` (lower case) in a request head.
fn header(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

/// Reads the request body (`Content-Length` or chunked) and stores it as the file `target`
/// names: written to a temporary sibling, renamed into place.
fn store(stream: &mut TcpStream, head: &str, root: &Path, target: &str) -> io::Result<()> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let path = path_under(root, target).ok_or_else(|| invalid("bad target"))?;
    let chunked = header(head, "transfer-encoding")
        .is_some_and(|value| value.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        read_chunked(stream)?
    } else {
        let length: usize = header(head, "content-length")
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| invalid("no content length"))?;
        let mut body = vec![0; length];
        stream.read_exact(&mut body)?;
        body
    };
    let parent = path.parent().ok_or_else(|| invalid("no parent"))?;
    std::fs::create_dir_all(parent)?;
    let temporary = parent.join(format!(
        ".upload-{}-{:?}.part",
        std::process::id(),
        thread::current().id()
    ));
    std::fs::write(&temporary, body)?;
    std::fs::rename(&temporary, &path)
}

/// A chunked body, read to its last chunk and trailer.
fn read_chunked(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let mut body = Vec::new();
    loop {
        let line = read_line(stream)?;
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| invalid("bad chunk size"))?;
        if size == 0 {
            // Trailer lines up to the blank line.
            while !read_line(stream)?.is_empty() {}
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        stream.read_exact(&mut body[start..])?;
        if !read_line(stream)?.is_empty() {
            return Err(invalid("chunk without its line end"));
        }
    }
}

/// One line without its `\r\n`, read a byte at a time.
fn read_line(stream: &mut TcpStream) -> io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\n") {
        stream.read_exact(&mut byte)?;
        line.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&line).trim_end().to_owned())
}

/// Standard base64 with padding, for comparing basic-auth headers.
fn base64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for group in text.as_bytes().chunks(3) {
        let bytes = [
            group[0],
            *group.get(1).unwrap_or(&0),
            *group.get(2).unwrap_or(&0),
        ];
        let value = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
        for index in 0..4 {
            if index <= group.len() {
                out.push(char::from(
                    ALPHABET[((value >> (18 - 6 * index)) & 63) as usize],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `%XX` sequences decoded; `None` for malformed ones or non-UTF-8 results.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

/// A response: status, extra headers, body.
struct Response {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Response {
    fn new(status: &'static str, body: Vec<u8>) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body,
        }
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// The bytes on the wire; a `HEAD` response has the headers of the `GET` but no body.
    fn encode(&self, head_only: bool) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 {}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n",
            self.status,
            self.body.len()
        );
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("Connection: close\r\n\r\n");
        let mut out = out.into_bytes();
        if !head_only {
            out.extend_from_slice(&self.body);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_map_to_files_under_the_root_only() {
        let root = tempfile::tempdir().expect("temporary directory");
        std::fs::create_dir(root.path().join("dir")).expect("create dir");
        std::fs::write(root.path().join("dir/a b.txt"), b"x").expect("write file");
        assert_eq!(
            file_under(root.path(), "/dir/a%20b.txt?x=1"),
            Some(root.path().join("dir/a b.txt"))
        );
        assert_eq!(file_under(root.path(), "/dir"), None);
        assert_eq!(file_under(root.path(), "/dir/../dir/a%20b.txt"), None);
        assert_eq!(file_under(root.path(), "/missing"), None);
        assert_eq!(percent_decode("%zz"), None);
    }

    #[test]
    fn basic_credentials_are_encoded() {
        assert_eq!(base64("user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64("ab"), "YWI=");
        assert_eq!(base64("a"), "YQ==");
    }

    #[test]
    fn head_responses_have_no_body() {
        let response = Response::new("200 OK", b"abc".to_vec()).header("ETag", "\"e\"");
        let head = String::from_utf8(response.encode(true)).expect("ascii");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(head.contains("Content-Length: 3\r\n"), "{head}");
        assert!(head.ends_with("Connection: close\r\n\r\n"), "{head}");
        assert!(
            String::from_utf8(response.encode(false))
                .expect("ascii")
                .ends_with("abc")
        );
    }
}
