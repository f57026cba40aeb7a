//! Test helpers: a small scripted HTTP/1.1 server on 127.0.0.1 standing in
//! for a collector (so tests can make it fail on purpose), and span data
//! with every field set.

#![allow(dead_code, unreachable_pub)]

pub mod spans;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub received: Instant,
    /// Which TCP connection carried it (0 for the first accepted).
    pub connection: usize,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body, gunzipped when `content-encoding: gzip`.
    pub fn decoded_body(&self) -> Vec<u8> {
        if self.header("content-encoding") == Some("gzip") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&self.body[..])
                .read_to_end(&mut out)
                .expect("request body is valid gzip");
            out
        } else {
            self.body.clone()
        }
    }
}

/// What the server answers.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering.
    pub delay: Duration,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn ok() -> Self {
        Self::status(200).header("content-type", "application/x-protobuf")
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Script = dyn Fn(usize, &Request) -> Reply + Send + Sync;

/// A scripted server: `script(n, request)` decides the answer to the n-th
/// request (0-based). Stops when dropped.
pub struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(script: impl Fn(usize, &Request) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        Self::serve(listener, Arc::new(script))
    }

    /// Starts on a given address (to come back where a dead collector was).
    pub fn start_on(
        addr: SocketAddr,
        script: impl Fn(usize, &Request) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match TcpListener::bind(addr) {
                Ok(listener) => return Self::serve(listener, Arc::new(script)),
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("cannot bind {addr}: {e}"),
            }
        }
    }

    fn serve(listener: TcpListener, script: Arc<Script>) -> Self {
        let addr = listener.local_addr().expect("local addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicUsize::new(0));
        let connections = AtomicUsize::new(0);
        let accept = {
            let requests = Arc::clone(&requests);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                while !stop.load(Ordering::Acquire) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let requests = Arc::clone(&requests);
                            let script = Arc::clone(&script);
                            let stop = Arc::clone(&stop);
                            let count = Arc::clone(&count);
                            let connection = connections.fetch_add(1, Ordering::SeqCst);
                            thread::spawn(move || {
                                handle(stream, connection, &requests, &*script, &stop, &count);
                            });
                        }
                        Err(_) => thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Self {
            addr,
            requests,
            stop,
            accept: Some(accept),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}/v1/traces", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn handle(
    stream: TcpStream,
    connection: usize,
    requests: &Mutex<Vec<Request>>,
    script: &Script,
    stop: &AtomicBool,
    count: &AtomicUsize,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let Some(mut request) = read_request(&mut reader, stop) else {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        };
        request.connection = connection;
        let n = count.fetch_add(1, Ordering::SeqCst);
        // Recorded before the script runs, so a hanging script's request is seen.
        requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request.clone());
        let reply = script(n, &request);
        // Sleep in small steps so a stopping server does not hang the test.
        let until = Instant::now() + reply.delay;
        while Instant::now() < until && !stop.load(Ordering::Acquire) {
            thread::sleep(Duration::from_millis(10));
        }
        let mut head = format!(
            "HTTP/1.1 {} X\r\ncontent-length: {}\r\n",
            reply.status,
            reply.body.len()
        );
        for (k, v) in &reply.headers {
            let _ = write!(head, "{k}: {v}\r\n");
        }
        head.push_str("\r\n");
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&reply.body).is_err() {
            return;
        }
        let _ = writer.flush();
    }
}

/// Reads one request; `None` on EOF, error or stop.
fn read_request(reader: &mut BufReader<TcpStream>, stop: &AtomicBool) -> Option<Request> {
    let mut line = String::new();
    loop {
        match reader.read_line(&mut line) {
            Ok(0) => return None,
            Ok(_) => break,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if stop.load(Ordering::Acquire) {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
    let received = Instant::now();
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if read_line_patiently(reader, &mut h, stop)? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    let mut read = 0;
    while read < len {
        match reader.read(&mut body[read..]) {
            Ok(0) => return None,
            Ok(n) => read += n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if stop.load(Ordering::Acquire) {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
    Some(Request {
        method,
        path,
        headers,
        body,
        received,
        connection: 0,
    })
}

fn read_line_patiently(
    reader: &mut BufReader<TcpStream>,
    out: &mut String,
    stop: &AtomicBool,
) -> Option<usize> {
    loop {
        match reader.read_line(out) {
            Ok(n) => return Some(n),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if stop.load(Ordering::Acquire) {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
}

/// A port on 127.0.0.1 that refuses connections: bound but not listening,
/// so no other test can take it while this is alive.
pub struct DeadAddr {
    addr: SocketAddr,
    _hold: socket2::Socket,
}

impl DeadAddr {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}/v1/traces", self.addr)
    }

    /// The collector comes back on this address.
    pub fn revive(
        self,
        script: impl Fn(usize, &Request) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let addr = self.addr;
        drop(self);
        Server::start_on(addr, script)
    }
}

pub fn dead_addr() -> DeadAddr {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
    socket.bind(&any.into()).expect("bind");
    let addr = socket
        .local_addr()
        .expect("local address")
        .as_socket()
        .expect("an IP address");
    DeadAddr {
        addr,
        _hold: socket,
    }
}
