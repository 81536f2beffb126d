//! The embedded streamkit node: redb storage ([`storage`]) and the server side of the
//! streamkit protocol ([`server`]) over any WebSocket byte pipe.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let node = skope_node::Node::open("/tmp/skope-data")?;
//! let pipe = node.connect_in_process(); // do a client WebSocket handshake on `pipe`
//! # drop(pipe);
//! # Ok(())
//! # }
//! ```

pub mod auth;
pub mod server;
pub mod storage;
#[cfg(feature = "testkit")]
#[doc(hidden)]
pub mod testkit;

pub use server::listen::{Auth, Server};
pub use server::{Access, Node, NodeError, NodeOptions, ws_config};
