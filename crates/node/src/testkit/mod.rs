//! Test support shared by skope-node's tests and the root package's end-to-end tests
//! (feature `testkit`; not part of the stable API).

pub mod replay;

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sign arbitrary JWT claims with HS256 (tokens a real client would never get: expired,
/// without `exp`, odd scopes).
///
/// # Panics
/// If signing fails (it does not for HS256).
#[must_use]
pub fn sign_hs256(secret: &[u8], claims: &serde_json::Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap_or_else(|e| panic!("signing failed: {e}"))
}

/// An HTTP response as raw parts.
#[derive(Debug)]
pub struct Http {
    /// E.g. `HTTP/1.1 401 Unauthorized`.
    pub status_line: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Http {
    /// The first header `name` (any case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Send an upgrade request with `headers` and read the response (until the header end for a
/// 101, until EOF otherwise).
///
/// # Panics
/// On I/O errors, a 10 s silence, or a response that is not HTTP.
pub async fn raw_upgrade(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Http {
    let mut tcp = TcpStream::connect(addr).await.expect("http");
    let mut req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    tcp.write_all(req.as_bytes()).await.expect("http");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), tcp.read(&mut chunk))
            .await
            .expect("http")
            .expect("http");
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.starts_with(b"HTTP/1.1 101") && buf.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let text = String::from_utf8(buf).expect("http");
    let (head, body) = text.split_once("\r\n\r\n").expect("http");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("http").to_owned();
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(": ").expect("http");
            (k.to_owned(), v.to_owned())
        })
        .collect();
    Http {
        status_line,
        headers,
        body: body.to_owned(),
    }
}
