//! [`WsConnector`] over real TCP/TLS on loopback against a small test server: the upgrade is
//! accepted by `tokio_tungstenite::accept_hdr_async` (whose callback records the headers and can
//! refuse with 401/403/…) and accepted sockets are served by the embedded node.

mod common;

use common::{WAIT, collect_seqs, produce, records};
use futures::{SinkExt, StreamExt};
use skope_client::{
    Client, ConnState, ConsumeSegment, ErrorKind, RetryPolicy, TokenSource, Uuid, WsConnector,
};
use skope_node::{Access, Node};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::timeout;
use tokio_rustls::rustls;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http;

/// What the server saw of one upgrade request.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    origin: Option<String>,
    authorization: Option<String>,
}

#[derive(Default)]
struct Plan {
    /// Statuses to answer the next upgrades with, in order; then `always`, then accept.
    next: VecDeque<u16>,
    always: Option<u16>,
}

#[derive(Clone, Default)]
struct Shared {
    /// TCP connections accepted.
    accepts: Arc<AtomicUsize>,
    /// Upgrade requests seen.
    requests: Arc<Mutex<Vec<Seen>>>,
    plan: Arc<Mutex<Plan>>,
}

impl Shared {
    fn requests(&self) -> Vec<Seen> {
        self.requests.lock().expect("lock").clone()
    }
    fn upgrades(&self) -> usize {
        self.requests.lock().expect("lock").len()
    }
    fn refuse_always(&self, status: u16) {
        self.plan.lock().expect("lock").always = Some(status);
    }
    fn refuse_next(&self, statuses: &[u16]) {
        self.plan.lock().expect("lock").next.extend(statuses);
    }
}

struct Server {
    addr: SocketAddr,
    shared: Shared,
    accept: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(node: Node, access: Access, tls: Option<tokio_rustls::TlsAcceptor>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::start_on(listener, node, access, tls, Shared::default())
    }

    fn start_on(
        listener: TcpListener,
        node: Node,
        access: Access,
        tls: Option<tokio_rustls::TlsAcceptor>,
        shared: Shared,
    ) -> Server {
        let addr = listener.local_addr().expect("addr");
        let sh = shared.clone();
        let accept = tokio::spawn(async move {
            // Connection tasks live in the set: aborting the accept task drops them all.
            let mut conns = JoinSet::new();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    break;
                };
                sh.accepts.fetch_add(1, Ordering::SeqCst);
                let (node, access, sh, tls) =
                    (node.clone(), access.clone(), sh.clone(), tls.clone());
                conns.spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            if let Ok(io) = acceptor.accept(tcp).await {
                                serve_conn(io, node, access, sh).await;
                            }
                        }
                        None => serve_conn(tcp, node, access, sh).await,
                    }
                });
                while conns.try_join_next().is_some() {}
            }
        });
        Server {
            addr,
            shared,
            accept,
        }
    }

    fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Stop accepting and drop every connection (no close frame).
    async fn stop(self) {
        self.accept.abort();
        let _ = self.accept.await;
    }
}

#[allow(clippy::result_large_err)] // the callback type is tungstenite's
async fn serve_conn<S>(io: S, node: Node, access: Access, shared: Shared)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let seen = Seen {
            path: req.uri().path().to_owned(),
            origin: header("origin"),
            authorization: header("authorization"),
        };
        shared.requests.lock().expect("lock").push(seen.clone());
        let refuse = {
            let mut plan = shared.plan.lock().expect("lock");
            plan.next.pop_front().or(plan.always)
        };
        // Like Go's x/net websocket handler: no Origin → 403.
        let status = refuse.or(seen.origin.is_none().then_some(403));
        match status {
            Some(code) => {
                let body = (code == 401).then(|| "Unauthorized\n".to_owned());
                Err(http::Response::builder()
                    .status(code)
                    .body(body)
                    .expect("response"))
            }
            None => Ok(resp),
        }
    };
    let cfg = Some(skope_node::ws_config());
    if let Ok(ws) = tokio_tungstenite::accept_hdr_async_with_config(io, callback, cfg).await {
        node.serve_ws(ws, access).await;
    }
}

fn fast_policy(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts: attempts,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(300),
        multiplier: 2.0,
        jitter: true,
    }
}

fn client_for(connector: WsConnector, policy: RetryPolicy) -> Client {
    Client::builder(connector)
        .retry_policy(policy)
        .dial_backoff(Duration::from_millis(50), Duration::from_millis(400))
        .build()
}

fn counter() -> (Arc<AtomicUsize>, skope_client::DialFailureHook) {
    let n = Arc::new(AtomicUsize::new(0));
    let m = n.clone();
    (
        n,
        Arc::new(move |_e: &skope_client::Error| {
            m.fetch_add(1, Ordering::SeqCst);
        }),
    )
}

fn open_node(dir: &Path) -> Node {
    Node::open(dir).expect("node")
}

#[tokio::test]
async fn normalized_address_origin_and_bearer_on_the_upgrade() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(open_node(dir.path()), Access::All, None).await;
    // Trailing slashes are stripped and /streamz appended.
    let connector = WsConnector::builder(format!("{}//", server.url()))
        .token(TokenSource::Static("tok-static".into()))
        .build()
        .expect("connector");
    assert_eq!(connector.url(), format!("{}/streamz", server.url()));
    assert!(!format!("{connector:?}").contains("tok-static"));
    let client = client_for(connector, fast_policy(3));
    let store = Uuid::new_v4();
    produce(&client, store, "space0", "seg0", records(1..=3))
        .await
        .expect("produce");
    assert_eq!(client.get_spaces(store).await.expect("spaces"), ["space0"]);
    let seen = server.shared.requests();
    assert_eq!(seen.len(), 1, "one connection for every call: {seen:?}");
    assert_eq!(seen[0].path, "/streamz");
    assert_eq!(seen[0].origin.as_deref(), Some("http://localhost"));
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer tok-static"));
    client.close().await;

    // No token: no Authorization header at all.
    let client = client_for(
        WsConnector::builder(server.url())
            .build()
            .expect("connector"),
        fast_policy(3),
    );
    client.get_spaces(store).await.expect("spaces");
    assert_eq!(server.shared.requests()[1].authorization, None);
    client.close().await;
    server.stop().await;
}

#[tokio::test]
async fn token_command_and_file_are_fetched_again_on_every_dial() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(open_node(&dir.path().join("node")), Access::All, None).await;
    let count = dir.path().join("count");
    let cmd = format!(
        "n=$(cat '{0}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{0}'; echo \"  jwt-$n  \"",
        count.display()
    );
    let client = client_for(
        WsConnector::builder(server.url())
            .token(TokenSource::Command(cmd))
            .build()
            .expect("connector"),
        fast_policy(3),
    );
    let store = Uuid::new_v4();
    for _ in 0..3 {
        client.get_spaces(store).await.expect("spaces");
        client.disconnect();
    }
    client.get_spaces(store).await.expect("spaces");
    let auth: Vec<_> = server
        .shared
        .requests()
        .into_iter()
        .map(|s| s.authorization.unwrap_or_default())
        .collect();
    // The background redial after each disconnect may race the next call, but every dial ran
    // the command once, in order.
    assert!(auth.len() >= 4, "{auth:?}");
    for (i, a) in auth.iter().enumerate() {
        assert_eq!(a, &format!("Bearer jwt-{}", i + 1));
    }
    client.close().await;

    // A token file is re-read on every dial.
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "first\n").expect("write");
    let client = client_for(
        WsConnector::builder(server.url())
            .token(TokenSource::File(token_file.clone()))
            .build()
            .expect("connector"),
        fast_policy(3),
    );
    client.get_spaces(store).await.expect("spaces");
    std::fs::write(&token_file, "second").expect("write");
    client.disconnect();
    client.get_spaces(store).await.expect("spaces");
    let last = server.shared.requests();
    let tail: Vec<_> = last[last.len() - 2..]
        .iter()
        .map(|s| s.authorization.clone().unwrap_or_default())
        .collect();
    assert_eq!(tail, ["Bearer first", "Bearer second"]);
    client.close().await;
    server.stop().await;
}

#[tokio::test]
async fn http_401_is_one_permanent_unauthorized_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(open_node(dir.path()), Access::All, None).await;
    server.shared.refuse_always(401);
    let (failures, hook) = counter();
    let client = Client::builder(
        WsConnector::builder(server.url())
            .token(TokenSource::Static("expired".into()))
            .on_dial_failure(hook)
            .build()
            .expect("connector"),
    )
    .retry_policy(RetryPolicy::default_policy())
    .build();
    let started = Instant::now();
    let err = client
        .get_spaces(Uuid::new_v4())
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(
        err.to_string(),
        "unauthorized: the server refused the token (HTTP 401)"
    );
    assert!(!err.is_retryable());
    // The default policy would have slept 100 + 200 + 400 + 800 ms.
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.shared.upgrades(), 1);
    assert_eq!(failures.load(Ordering::SeqCst), 1);
    // Nothing redials in the background after a permanent failure.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.shared.upgrades(), 1);
    assert!(matches!(
        &*client.connection_state().borrow(),
        ConnState::Disconnected { reason } if reason.kind() == ErrorKind::Unauthorized
    ));
    client.close().await;

    // Without a token the text says so.
    let client = client_for(
        WsConnector::builder(server.url())
            .build()
            .expect("connector"),
        fast_policy(3),
    );
    let err = client
        .get_spaces(Uuid::new_v4())
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(err.to_string().contains("none was sent"), "{err}");
    client.close().await;
    server.stop().await;
}

#[tokio::test]
async fn retry_auth_failures_makes_401_transient() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(open_node(dir.path()), Access::All, None).await;
    // Two refusals (keys being rotated), then the token is accepted.
    server.shared.refuse_next(&[401, 401]);
    let (failures, hook) = counter();
    let client = client_for(
        WsConnector::builder(server.url())
            .token(TokenSource::Static("t".into()))
            .retry_auth_failures(true)
            .on_dial_failure(hook)
            .build()
            .expect("connector"),
        fast_policy(5),
    );
    let names = client.get_spaces(Uuid::new_v4()).await.expect("spaces");
    assert!(names.is_empty());
    assert_eq!(server.shared.upgrades(), 3);
    assert_eq!(failures.load(Ordering::SeqCst), 2);
    client.close().await;

    // Refused for good: it gives up after the policy, with the same clear error.
    server.shared.refuse_always(401);
    let client = client_for(
        WsConnector::builder(server.url())
            .token(TokenSource::Static("t".into()))
            .retry_auth_failures(true)
            .build()
            .expect("connector"),
        fast_policy(3),
    );
    let before = server.shared.upgrades();
    let err = client
        .get_spaces(Uuid::new_v4())
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(err.is_retryable());
    assert_eq!(server.shared.upgrades() - before, 3);
    client.close().await;
    server.stop().await;
}

#[tokio::test]
async fn http_403_and_other_statuses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(open_node(dir.path()), Access::All, None).await;
    server.shared.refuse_always(403);
    let client = client_for(
        WsConnector::builder(server.url())
            .build()
            .expect("connector"),
        fast_policy(4),
    );
    let err = client.get_spaces(Uuid::new_v4()).await.expect_err("403");
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert_eq!(err.to_string(), "forbidden (HTTP 403)");
    assert!(!err.is_retryable());
    assert_eq!(server.shared.upgrades(), 1);
    client.close().await;

    server.shared.refuse_always(503);
    let client = client_for(
        WsConnector::builder(server.url())
            .build()
            .expect("connector"),
        fast_policy(2),
    );
    let err = client.get_spaces(Uuid::new_v4()).await.expect_err("503");
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert_eq!(
        err.to_string(),
        "websocket upgrade refused: HTTP 503 Service Unavailable"
    );
    assert!(err.is_retryable());
    client.close().await;

    server.shared.refuse_always(404);
    let client = client_for(
        WsConnector::builder(server.url())
            .build()
            .expect("connector"),
        fast_policy(4),
    );
    let before = server.shared.upgrades();
    let err = client.get_spaces(Uuid::new_v4()).await.expect_err("404");
    assert_eq!(
        err.to_string(),
        "websocket upgrade refused: HTTP 404 Not Found"
    );
    assert_eq!(server.shared.upgrades() - before, 1, "404 is permanent");
    client.close().await;
    server.stop().await;
}

#[tokio::test]
async fn refused_and_unresolvable_addresses_are_retryable_connect_errors() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        l.local_addr().expect("addr").port()
    };
    let (failures, hook) = counter();
    let client = client_for(
        WsConnector::builder(format!("ws://127.0.0.1:{port}"))
            .on_dial_failure(hook)
            .build()
            .expect("connector"),
        fast_policy(3),
    );
    let err = client
        .get_spaces(Uuid::new_v4())
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(
        err.to_string()
            .starts_with(&format!("cannot connect to 127.0.0.1:{port}: ")),
        "{err}"
    );
    assert!(err.is_retryable());
    assert_eq!(failures.load(Ordering::SeqCst), 3, "one dial per attempt");
    client.close().await;

    let client = client_for(
        WsConnector::builder("ws://no-such-host.invalid:7")
            .connect_timeout(Duration::from_secs(3))
            .build()
            .expect("connector"),
        RetryPolicy::none(),
    );
    let err = client.get_spaces(Uuid::new_v4()).await.expect_err("dns");
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(err.to_string().contains("no-such-host.invalid:7"), "{err}");
    assert!(err.is_retryable());
    client.close().await;

    let err = WsConnector::builder("http://127.0.0.1:1/")
        .build()
        .expect_err("http scheme");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("ws://127.0.0.1:1/"), "{err}");
}

#[tokio::test]
async fn failed_dials_back_off_and_close_is_not_blocked() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        l.local_addr().expect("addr").port()
    };
    let (failures, hook) = counter();
    let client = Client::builder(
        WsConnector::builder(format!("ws://127.0.0.1:{port}"))
            .on_dial_failure(hook)
            .build()
            .expect("connector"),
    )
    // Many impatient callers retrying every 1 ms …
    .retry_policy(RetryPolicy {
        max_attempts: 1000,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        multiplier: 1.0,
        jitter: false,
    })
    .build();
    let mut calls = JoinSet::new();
    for _ in 0..8 {
        let c = client.clone();
        calls.spawn(async move { c.get_spaces(Uuid::new_v4()).await });
    }
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    // … share dials paced by the default dial backoff (100, 200, 400 ms …).
    let dials = failures.load(Ordering::SeqCst);
    assert!((2..=6).contains(&dials), "{dials} dials in 1 s");
    let started = Instant::now();
    client.close().await;
    assert!(started.elapsed() < Duration::from_millis(500));
    while let Some(r) = calls.join_next().await {
        assert_eq!(
            r.expect("join").expect_err("closed").kind(),
            ErrorKind::Closed
        );
    }
}

#[tokio::test]
async fn access_denied_fails_only_that_operation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let allowed = Uuid::new_v4();
    let other = Uuid::new_v4();
    let server = Server::start(open_node(dir.path()), Access::Stores(vec![allowed]), None).await;
    let client = client_for(
        WsConnector::builder(server.url())
            .build()
            .expect("connector"),
        fast_policy(4),
    );
    produce(&client, allowed, "space0", "seg0", records(1..=2))
        .await
        .expect("produce");
    let err = client
        .peek(other, "space0", "seg0")
        .await
        .expect_err("denied");
    assert_eq!(err.kind(), ErrorKind::RemoteError);
    assert_eq!(err.to_string(), "remote error: access denied");
    let err = produce(&client, other, "space0", "seg0", records(1..=1))
        .await
        .expect_err("denied");
    assert_eq!(err.to_string(), "remote error: access denied");
    // The connection is untouched and keeps serving the allowed store.
    assert_eq!(
        client
            .peek(allowed, "space0", "seg0")
            .await
            .expect("peek")
            .sequence,
        2
    );
    assert_eq!(
        *client.connection_state().borrow(),
        ConnState::Connected { generation: 1 }
    );
    assert_eq!(server.shared.upgrades(), 1);
    client.close().await;
    server.stop().await;
}

#[tokio::test]
async fn payload_limits_both_ways() {
    // Outgoing: a record over 6 MiB fails locally.
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(open_node(dir.path()), Access::All, None).await;
    let client = client_for(
        WsConnector::builder(server.url())
            .build()
            .expect("connector"),
        fast_policy(3),
    );
    let err = produce(
        &client,
        Uuid::new_v4(),
        "space0",
        "seg0",
        vec![skope_client::Record::new(1, vec![b'x'; 7 << 20])],
    )
    .await
    .expect_err("too large");
    assert_eq!(err.to_string(), "muxer payload too large");
    client.close().await;
    server.stop().await;

    // Inbound: a frame over 8 MiB kills the connection with a clear error.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let peer = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        let mut ws = tokio_tungstenite::accept_async(tcp).await.expect("upgrade");
        let _request = ws.next().await;
        let huge = "x".repeat(9 << 20);
        let _ = ws
            .send(tokio_tungstenite::tungstenite::Message::Text(huge.into()))
            .await;
        // Keep the socket open: the client must end it.
        let _ = timeout(WAIT, ws.next()).await;
    });
    let client = client_for(
        WsConnector::builder(format!("ws://{addr}"))
            .build()
            .expect("connector"),
        RetryPolicy::none(),
    );
    let err = timeout(WAIT, client.get_spaces(Uuid::new_v4()))
        .await
        .expect("in time")
        .expect_err("frame too large");
    assert_eq!(err.kind(), ErrorKind::ConnectionLost);
    assert!(
        err.to_string()
            .starts_with("frame payload size exceeds limit"),
        "{err}"
    );
    assert!(!err.is_retryable());
    client.close().await;
    peer.abort();
}

async fn rebind(addr: SocketAddr) -> TcpListener {
    let deadline = Instant::now() + WAIT;
    loop {
        match TcpListener::bind(addr).await {
            Ok(l) => return l,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("rebind {addr}: {e}"),
        }
    }
}

#[tokio::test]
async fn server_restart_on_the_same_port_resumes_follow_and_resubscribes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(open_node(dir.path()), Access::All, None).await;
    let addr = server.addr;
    let client = client_for(
        WsConnector::builder(server.url())
            .build()
            .expect("connector"),
        fast_policy(10),
    );
    let reconnects = Arc::new(AtomicUsize::new(0));
    let r = reconnects.clone();
    client.register_reconnect_listener(Arc::new(move || {
        r.fetch_add(1, Ordering::SeqCst);
    }));
    let store = Uuid::new_v4();
    produce(&client, store, "space0", "seg0", records(1..=5))
        .await
        .expect("produce");

    // A follow and a subscription, both live.
    let mut follow = client.follow_segment(
        store,
        ConsumeSegment {
            space: "space0".into(),
            segment: "seg0".into(),
            ..Default::default()
        },
    );
    let (seq_tx, mut seqs) = mpsc::unbounded_channel();
    let follower = tokio::spawn(async move {
        while let Some(e) = follow.next().await {
            let _ = seq_tx.send(e.map(|e| e.sequence).map_err(|e| e.to_string()));
        }
    });
    for want in 1..=5 {
        let got = timeout(WAIT, seqs.recv()).await.expect("in time");
        assert_eq!(got, Some(Ok(want)));
    }
    let (st_tx, mut statuses) = mpsc::unbounded_channel();
    let sub = client
        .subscribe_to_segment(
            store,
            "space0",
            "seg0",
            Arc::new(move |s| {
                let _ = st_tx.send(s.last_sequence);
            }),
        )
        .await
        .expect("subscribe");
    assert_eq!(
        timeout(WAIT, statuses.recv()).await.expect("snapshot"),
        Some(5)
    );
    let lease = client
        .acquire_lease(store, "job", Duration::from_secs(2))
        .await
        .expect("lease");

    // The server goes down (connections dropped, no close frame) and comes back on the same
    // port with the same data dir.
    server.stop().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let listener = rebind(addr).await;
    let server = Server::start_on(
        listener,
        open_node(dir.path()),
        Access::All,
        None,
        Shared::default(),
    );

    // The subscription is re-established: a fresh snapshot first …
    assert_eq!(
        timeout(WAIT, statuses.recv())
            .await
            .expect("fresh snapshot"),
        Some(5)
    );
    // … the lease (held in the old server's memory) is reported lost …
    timeout(WAIT, lease.lost()).await.expect("lease lost");
    assert_eq!(
        lease.loss_reason().as_deref(),
        Some("lease renewal refused")
    );
    // … and after new writes the follow resumes from its cursor, the subscription goes live.
    produce(&client, store, "space0", "seg0", records(6..=8))
        .await
        .expect("produce after restart");
    for want in 6..=8 {
        let got = timeout(WAIT, seqs.recv()).await.expect("in time");
        assert_eq!(got, Some(Ok(want)), "no gap, no duplicate");
    }
    let live = async {
        while let Some(s) = statuses.recv().await {
            if s == 8 {
                return;
            }
        }
    };
    timeout(WAIT, live)
        .await
        .expect("live status after restart");
    // Nothing else arrived on the follow.
    assert!(
        timeout(Duration::from_millis(200), seqs.recv())
            .await
            .is_err(),
        "no duplicate"
    );
    // Listeners fire after every reconnect but not the first connection.
    assert_eq!(reconnects.load(Ordering::SeqCst), 1);
    assert_eq!(
        *client.connection_state().borrow(),
        ConnState::Connected { generation: 2 }
    );
    // And a fresh read sees everything exactly once.
    assert_eq!(
        collect_seqs(client.consume_segment(
            store,
            ConsumeSegment {
                space: "space0".into(),
                segment: "seg0".into(),
                ..Default::default()
            }
        ))
        .await
        .into_iter()
        .map(|(_, s)| s)
        .collect::<Vec<_>>(),
        (1..=8).collect::<Vec<_>>()
    );
    drop(lease);
    sub.unsubscribe().await;
    follower.abort();
    client.close().await;
    server.stop().await;
}

/// A CA and a `localhost` certificate it signed, generated for the test.
struct Pki {
    ca_pem: String,
    acceptor: tokio_rustls::TlsAcceptor,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "skope test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params.self_signed(&ca_key).expect("ca cert");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf_params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("leaf params");
    let leaf = leaf_params
        .signed_by(&leaf_key, &ca, &ca_key)
        .expect("leaf cert");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        leaf_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .expect("server config");
    Pki {
        ca_pem: ca.pem(),
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    }
}

#[tokio::test]
async fn wss_with_a_private_ca_and_without_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = pki();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &pki.ca_pem).expect("write ca");
    let server = Server::start(
        open_node(&dir.path().join("node")),
        Access::All,
        Some(pki.acceptor.clone()),
    )
    .await;
    let port = server.addr.port();

    let client = client_for(
        WsConnector::builder(format!("wss://localhost:{port}/"))
            .ca_file(&ca_file)
            .token(TokenSource::Static("tls-token".into()))
            .build()
            .expect("connector"),
        fast_policy(3),
    );
    let store = Uuid::new_v4();
    produce(&client, store, "space0", "seg0", records(1..=2))
        .await
        .expect("produce over TLS");
    assert_eq!(
        client
            .peek(store, "space0", "seg0")
            .await
            .expect("peek")
            .sequence,
        2
    );
    let seen = server.shared.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer tls-token"));
    client.close().await;

    // Without the CA the server's certificate is not trusted: one clear, permanent TLS error.
    let (failures, hook) = counter();
    let accepts_before = server.shared.accepts.load(Ordering::SeqCst);
    let client = client_for(
        WsConnector::builder(format!("wss://localhost:{port}"))
            .on_dial_failure(hook)
            .build()
            .expect("connector"),
        fast_policy(4),
    );
    let err = client.get_spaces(store).await.expect_err("untrusted");
    assert_eq!(err.kind(), ErrorKind::Tls);
    assert!(
        err.to_string().starts_with(&format!(
            "TLS handshake with localhost:{port} failed: invalid peer certificate"
        )),
        "{err}"
    );
    assert!(!err.is_retryable());
    assert_eq!(failures.load(Ordering::SeqCst), 1);
    assert_eq!(
        server.shared.accepts.load(Ordering::SeqCst) - accepts_before,
        1
    );
    assert_eq!(server.shared.upgrades(), 1, "never got to the upgrade");
    client.close().await;

    // A CA file that is not PEM is refused when building.
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").expect("write");
    let err = WsConnector::builder(format!("wss://localhost:{port}"))
        .ca_file(&bad)
        .build()
        .expect_err("bad CA file");
    assert!(err.to_string().contains("cannot load the CA file"), "{err}");
    server.stop().await;
}

#[tokio::test]
async fn silent_server_is_declared_dead_after_90_s() {
    // Paused time over a real socket: the peer upgrades, then only reads. The client pings
    // every 25–30 s and gives the connection up after 90 s of silence.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let client = client_for(
        WsConnector::builder(format!("ws://{addr}"))
            .build()
            .expect("connector"),
        RetryPolicy::none(),
    );
    let peer = tokio::spawn(async move {
        let (tcp, _): (TcpStream, _) = listener.accept().await.expect("accept");
        let mut ws = tokio_tungstenite::accept_async(tcp).await.expect("upgrade");
        let mut pings = 0;
        while let Some(Ok(m)) = ws.next().await {
            if m.to_text()
                .is_ok_and(|t| t.contains(r#""ControlType":"ping""#))
            {
                pings += 1;
            }
        }
        pings
    });
    let c = client.clone();
    let op = tokio::spawn(async move { c.get_spaces(Uuid::new_v4()).await });
    // Wait until the request is in flight, then let virtual time run.
    let mut state = client.connection_state();
    timeout(
        WAIT,
        state.wait_for(|s| matches!(s, ConnState::Connected { .. })),
    )
    .await
    .expect("connected")
    .expect("state");
    tokio::time::pause();
    let err = timeout(Duration::from_secs(200), op)
        .await
        .expect("failed in virtual time")
        .expect("join")
        .expect_err("dead connection");
    assert_eq!(err.to_string(), "heartbeat timeout");
    tokio::time::resume();
    client.close().await;
    let pings = timeout(WAIT, peer).await.expect("peer ends").expect("join");
    assert!(pings >= 3, "pings every 25–30 s: {pings}");
}
