//! The server through a real WebSocket over an in-process pipe, one test per behaviour.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::json;
use skope_proto::*;

#[tokio::test]
async fn peek_produce_peek() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    let r = p
        .call(&Message::Peek(Peek {
            space: "s".into(),
            segment: "g".into(),
        }))
        .await;
    assert_eq!(
        r,
        [
            json!({"sequence":0,"trx":{"id":"00000000-0000-0000-0000-000000000000","node":"00000000-0000-0000-0000-000000000000","number":0},"payload":null,"space":"s","segment":"g"}),
            close()
        ]
    );
    let r = p.produce("s", "g", 1..=3).await;
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(r[0]["last_sequence"], 3);
    assert_eq!(r[0]["first_sequence"], 1);
    assert_eq!(r[1], close());
    let r = p
        .call(&Message::Peek(Peek {
            space: "s".into(),
            segment: "g".into(),
        }))
        .await;
    assert_eq!(r[0]["sequence"], 3);
    assert_eq!(r[0]["trx"]["number"], 1);
}
