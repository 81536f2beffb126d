//! skope's client core for streamkit event stores.
//!
//! One [`Client`] (a cheap `Clone` handle) talks to one server over one multiplexed WebSocket
//! connection owned by an actor task. Every operation opens a logical stream (channel) on it;
//! opening is retried under a [`RetryPolicy`]; reads resume after connection loss; subscriptions
//! are re-established; leases are renewed and report their loss.
//!
//! ```no_run
//! # async fn demo(io: impl Fn() -> skope_client::BoxIo + Send + Sync + 'static) -> skope_client::Result<()> {
//! use futures::StreamExt;
//! use skope_client::{Client, DuplexConnector, RetryPolicy};
//! let client = Client::builder(DuplexConnector::new(io))
//!     .retry_policy(RetryPolicy::aggressive())
//!     .build();
//! let store = skope_client::Uuid::new_v4();
//! let status = client.publish(store, "orders", "eu-7", b"hello".to_vec(), Default::default()).await?;
//! let mut entries = client.consume_segment(store, skope_client::ConsumeSegment {
//!     space: "orders".into(), segment: "eu-7".into(), ..Default::default()
//! });
//! while let Some(entry) = entries.next().await {
//!     println!("{}", entry?.sequence);
//! }
//! # let _ = status;
//! client.close().await;
//! # Ok(()) }
//! ```

mod client;
mod connection;
mod consume;
mod error;
mod lease;
mod metrics;
mod mux;
mod produce;
mod retry;
mod subscription;
mod transport;
mod ws;

pub use client::{
    Client, ClientBuilder, DEFAULT_HANDLER_TIMEOUT, DEFAULT_MAX_CONCURRENT_HANDLERS,
    MAX_PUBLISH_LOCKS,
};
pub use connection::{
    ConnState, DEFAULT_DIAL_BACKOFF_INITIAL, DEFAULT_DIAL_BACKOFF_MAX, ReconnectListener,
};
pub use consume::EntryStream;
pub use error::{Error, ErrorKind, Result, is_retryable_text};
pub use lease::{LeaseGuard, RELEASE_TIMEOUT, renew_interval, ttl_seconds};
pub use metrics::{
    Metrics, MetricsRecorder, MetricsSnapshot, NoopMetrics, Operation, OperationSnapshot,
};
pub use produce::{PRODUCE_DEPTH, PRODUCE_LINGER, PRODUCE_SPLIT, StatusStream, check_contiguous};
pub use retry::{Backoff, RetryPolicy};
pub use subscription::{
    InventoryHandler, StatusHandler, Subscription, SubscriptionState, SubscriptionStatus,
    SubscriptionTarget, WorkerOptions,
};
pub use transport::{
    BoxIo, Connector, DuplexConnector, Io, ORIGIN, WsStream, upgrade, websocket_config,
};

pub use ws::{
    DEFAULT_CONNECT_TIMEOUT, DialFailureHook, TokenFn, TokenSource, WsConnector,
    WsConnectorBuilder, normalize_address,
};

pub use skope_proto::{
    Consume, ConsumeSegment, ConsumeSpace, Entry, LexKey, Metadata, Record, SegmentStatus, Trx,
    Uuid, WorkerInfo, WorkerInventory,
};
pub use tokio_util::sync::CancellationToken;
