//! Test support: a minimal HTTP/1.1 server on 127.0.0.1 that records each raw request exactly as it
//! arrived and answers from a script, including faults a real network produces (stalls, resets,
//! connections closed without a reply).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub mod alloc;
pub mod examples;
pub mod generated;
pub mod tls;
pub mod verify;

/// A request as it arrived on the socket.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    /// The request target: path and query, as sent.
    pub target: String,
    /// Header names lowercased, values as sent, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// The path part of the target.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target.as_str(), |(p, _)| p)
    }

    /// The query pairs, percent-decoded.
    pub fn query(&self) -> Vec<(String, String)> {
        let Some((_, q)) = self.target.split_once('?') else {
            return Vec::new();
        };
        q.split('&')
            .filter(|s| !s.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                let dec = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
                (dec(k), dec(v))
            })
            .collect()
    }

    /// The value of query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// An HTTP response.
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Waits this long, then closes the connection without replying.
    Stall(Duration),
    /// Resets the connection (RST) without replying.
    Reset,
    /// Closes the connection cleanly without replying.
    Close,
    /// A reply whose body is `len` bytes of `fill` repeated, written as it goes (never held whole):
    /// with a `content-length` when `declared`, else chunked; `len: u64::MAX` never ends.
    Huge {
        status: u16,
        /// The body starts with this, then `fill` repeats.
        prefix: Vec<u8>,
        fill: u8,
        len: u64,
        declared: bool,
    },
    /// A 200 JSON reply `prefix`, then `item` `count` times joined by `,`, then `suffix`, sent chunked
    /// as it is written (never held whole): a long list in a small server.
    Repeated {
        prefix: Vec<u8>,
        item: Vec<u8>,
        count: usize,
        suffix: Vec<u8>,
    },
    /// Waits, then gives the reply.
    Delayed(Duration, Box<Reply>),
    /// A reply that declares `declared` body bytes, sends `sent` of them, waits `stall`, then closes
    /// the connection.
    Truncated {
        status: u16,
        declared: usize,
        sent: usize,
        stall: Duration,
    },
    /// A reply whose body is sent chunked, `chunk` bytes a chunk.
    Chunked { status: u16, body: Vec<u8>, chunk: usize },
}

impl Reply {
    /// A response with a JSON (or any) body.
    pub fn json(status: u16, body: &str) -> Self {
        Reply::Http {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// A response without a body.
    pub fn empty(status: u16) -> Self {
        Reply::Http {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Http { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

/// What a handler gives back: the reply, once it is known.
pub type ReplyFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send>>;

type Handler = dyn Fn(&RawRequest, usize) -> ReplyFuture + Send + Sync;

/// A handler that knows its reply at once, as one that may wait for it.
fn at_once(handler: impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static) -> Arc<Handler> {
    Arc::new(move |req: &RawRequest, i| {
        let reply = handler(req, i);
        Box::pin(std::future::ready(reply)) as ReplyFuture
    })
}

/// The server. Dropping it stops accepting connections.
pub struct Server {
    addr: std::net::SocketAddr,
    connections: Arc<std::sync::atomic::AtomicUsize>,
    open: Arc<Gauge>,
    requests: Arc<Mutex<Vec<RawRequest>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Starts a server whose handler sees each request and its 0-based arrival index.
    pub async fn start(handler: impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_on(0, handler).await
    }

    /// As [`Server::start`], on a chosen port (0: any free port).
    pub async fn start_on(port: u16, handler: impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static) -> Self {
        Self::spawn(port, true, None, at_once(handler)).await
    }

    /// A server whose handler may wait (on a database, say) before it replies, on a chosen port (0:
    /// any free port); it records nothing, so that a long-running one does not grow.
    pub async fn start_waiting(
        port: u16,
        handler: impl Fn(&RawRequest, usize) -> ReplyFuture + Send + Sync + 'static,
    ) -> Self {
        Self::spawn(port, false, None, Arc::new(handler)).await
    }

    /// As [`Server::start`], over TLS with these settings ([`tls::Issued::server_config`]); reach it at
    /// [`Server::https_url`].
    pub async fn start_tls(
        tls: Arc<tokio_rustls::rustls::ServerConfig>,
        handler: impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::spawn(0, true, Some(tokio_rustls::TlsAcceptor::from(tls)), at_once(handler)).await
    }

    /// A responder for benchmarks: answers every request with `reply` and records nothing, so its
    /// memory does not grow with the number of calls.
    pub async fn responder(reply: Reply) -> Self {
        Self::spawn(0, false, None, at_once(move |_: &RawRequest, _| reply.clone())).await
    }

    async fn spawn(port: u16, record: bool, tls: Option<tokio_rustls::TlsAcceptor>, handler: Arc<Handler>) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = record.then(|| requests.clone());
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let accepted = connections.clone();
        let open = Arc::new(Gauge::default());
        let gauge = open.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let (handler, recorded, tls) = (handler.clone(), recorded.clone(), tls.clone());
                let held = gauge.hold();
                tokio::spawn(async move {
                    if stream.set_nodelay(true).is_err() {
                        return;
                    }
                    let _ = match tls {
                        None => serve(stream, handler, recorded).await,
                        // A client that refuses the certificate ends the handshake: nothing to serve.
                        Some(tls) => match tls.accept(stream).await {
                            Ok(stream) => serve(stream, handler, recorded).await,
                            Err(e) => Err(e),
                        },
                    };
                    drop(held);
                });
            }
        });
        Self {
            addr,
            connections,
            open,
            requests,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `https://HOST:PORT`, for a server started with [`Server::start_tls`] (`host` should resolve to
    /// this machine: `localhost`, `127.0.0.1`).
    pub fn https_url(&self, host: &str) -> String {
        format!("https://{host}:{}", self.addr.port())
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Connections open now (accepted, not yet closed by either side as far as the server has seen).
    pub fn open_connections(&self) -> usize {
        self.open.now.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The most connections open at once so far.
    pub fn max_open_connections(&self) -> usize {
        self.open.max.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RawRequest> {
        self.requests.lock().unwrap().clone()
    }
}

/// Counts what is open now and the most open at once.
#[derive(Default)]
struct Gauge {
    now: std::sync::atomic::AtomicUsize,
    max: std::sync::atomic::AtomicUsize,
}

struct Held(Arc<Gauge>);

impl Gauge {
    fn hold(self: &Arc<Self>) -> Held {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.now.fetch_add(1, SeqCst) + 1;
        self.max.fetch_max(now, SeqCst);
        Held(self.clone())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A connection the server talks HTTP over: plain TCP, or TLS over it.
trait Conn: AsyncRead + AsyncWrite + Unpin + Send {
    /// Makes closing the connection reset it (RST).
    fn set_zero_linger(&self) -> std::io::Result<()>;
}

impl Conn for TcpStream {
    fn set_zero_linger(&self) -> std::io::Result<()> {
        TcpStream::set_zero_linger(self)
    }
}

impl Conn for tokio_rustls::server::TlsStream<TcpStream> {
    fn set_zero_linger(&self) -> std::io::Result<()> {
        self.get_ref().0.set_zero_linger()
    }
}

async fn serve(
    stream: impl Conn,
    handler: Arc<Handler>,
    recorded: Option<Arc<Mutex<Vec<RawRequest>>>>,
) -> std::io::Result<()> {
    let mut stream = stream;
    let mut buf = Vec::with_capacity(4096);
    loop {
        let Some(request) = read_request(&mut stream, &mut buf).await? else {
            return Ok(());
        };
        let index = match &recorded {
            Some(recorded) => {
                let mut r = recorded.lock().unwrap();
                r.push(request.clone());
                r.len() - 1
            }
            None => 0,
        };
        let mut reply = handler(&request, index).await;
        while let Reply::Delayed(d, next) = reply {
            tokio::time::sleep(d).await;
            reply = *next;
        }
        match reply {
            Reply::Http { status, headers, body } => {
                let mut head = format!(
                    "HTTP/1.1 {status} {}\r\ncontent-length: {}\r\n",
                    reason(status),
                    body.len()
                );
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                // One write: a head and a body in separate segments would meet Nagle and delayed ACKs.
                let mut bytes = head.into_bytes();
                bytes.extend_from_slice(&body);
                stream.write_all(&bytes).await?;
            }
            Reply::Huge {
                status,
                prefix,
                fill,
                len,
                declared,
            } => {
                let framing = if declared {
                    format!("content-length: {len}")
                } else {
                    "transfer-encoding: chunked".to_string()
                };
                let head = format!(
                    "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\n{framing}\r\n\r\n",
                    reason(status)
                );
                stream.write_all(head.as_bytes()).await?;
                // Not a divisor of the clients' 64 KiB error-reply cap, so reads never land on it exactly.
                const CHUNK: usize = 60_000;
                let mut block = prefix;
                let mut left = len;
                loop {
                    block.resize(CHUNK, fill);
                    let n = usize::try_from(left.min(CHUNK as u64)).unwrap_or(CHUNK);
                    if n == 0 {
                        break;
                    }
                    if declared {
                        stream.write_all(&block[..n]).await?;
                    } else {
                        stream.write_all(format!("{n:x}\r\n").as_bytes()).await?;
                        stream.write_all(&block[..n]).await?;
                        stream.write_all(b"\r\n").await?;
                    }
                    if left != u64::MAX {
                        left -= n as u64;
                    }
                    block.clear();
                }
                if !declared {
                    stream.write_all(b"0\r\n\r\n").await?;
                }
            }
            Reply::Repeated {
                prefix,
                item,
                count,
                suffix,
            } => {
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                stream.write_all(head.as_bytes()).await?;
                let mut block = prefix;
                for n in 0..count {
                    if n > 0 {
                        block.push(b',');
                    }
                    block.extend_from_slice(&item);
                    if block.len() >= 60_000 || n + 1 == count {
                        if n + 1 == count {
                            block.extend_from_slice(&suffix);
                        }
                        stream.write_all(format!("{:x}\r\n", block.len()).as_bytes()).await?;
                        stream.write_all(&block).await?;
                        stream.write_all(b"\r\n").await?;
                        block.clear();
                    }
                }
                stream.write_all(b"0\r\n\r\n").await?;
            }
            Reply::Chunked { status, body, chunk } => {
                let mut bytes = format!(
                    "HTTP/1.1 {status} {}\r\ntransfer-encoding: chunked\r\n\r\n",
                    reason(status)
                )
                .into_bytes();
                for part in body.chunks(chunk.max(1)) {
                    bytes.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
                    bytes.extend_from_slice(part);
                    bytes.extend_from_slice(b"\r\n");
                }
                bytes.extend_from_slice(b"0\r\n\r\n");
                stream.write_all(&bytes).await?;
            }
            Reply::Truncated {
                status,
                declared,
                sent,
                stall,
            } => {
                let mut bytes = format!(
                    "HTTP/1.1 {status} {}\r\ncontent-length: {declared}\r\n\r\n",
                    reason(status)
                )
                .into_bytes();
                bytes.resize(bytes.len() + sent, b' ');
                stream.write_all(&bytes).await?;
                tokio::time::sleep(stall).await;
                return Ok(());
            }
            Reply::Stall(d) => {
                tokio::time::sleep(d).await;
                return Ok(());
            }
            Reply::Reset => {
                stream.set_zero_linger()?;
                return Ok(());
            }
            Reply::Close => {
                stream.shutdown().await?;
                return Ok(());
            }
            Reply::Delayed(..) => unreachable!("unwrapped above"),
        }
    }
}

async fn read_request(stream: &mut impl Conn, buf: &mut Vec<u8>) -> std::io::Result<Option<RawRequest>> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_string();
    let target = first.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buf.len() < body_start + length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[body_start..body_start + length].to_vec();
    buf.drain(..body_start + length);
    Ok(Some(RawRequest {
        method,
        target,
        headers,
        body,
    }))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
