//! Dispatch of one channel on its request envelope (PROTOCOL §3.2, §8.1).

use super::channel::{ChannelIo, Finish, Inbound};
use super::hub::StoreHub;
use super::{leases, produce, reads, subs, workers};
use skope_proto::Message;
use skope_proto::errors::text;
use std::sync::Arc;

/// Run the handler of a new channel: decode the first payload and serve the request.
pub(crate) async fn run(hub: Arc<StoreHub>, mut io: ChannelIo) {
    let finish = match io.rx.recv().await {
        Some(Inbound::Data(first)) => serve(&hub, &mut io, &first).await,
        // The muxer only opens channels with a data payload; anything else ends quietly.
        _ => Finish::Forget,
    };
    io.finish(finish).await;
}

async fn serve(hub: &Arc<StoreHub>, io: &mut ChannelIo, first: &[u8]) -> Finish {
    let msg = match Message::decode(first) {
        Ok(m) => m,
        Err(e) => {
            let _ = io.close_err(&e.to_string()).await;
            return Finish::Forget;
        }
    };
    tracing::trace!(channel = %io.channel_id, request = msg.name(), "request");
    match msg {
        Message::Produce(p) => produce::run(hub, io, p).await,
        Message::Peek(p) => reads::peek(hub, io, p).await,
        Message::ConsumeSegment(q) => reads::consume_segment(hub, io, q).await,
        Message::ConsumeSpace(q) => reads::consume_space(hub, io, q).await,
        Message::Consume(q) => reads::consume(hub, io, q).await,
        Message::GetSpaces(_) => reads::get_spaces(hub, io).await,
        Message::GetSegments(q) => reads::get_segments(hub, io, q).await,
        Message::SubscribeToSegmentStatus(q) => subs::run(hub, io, q).await,
        Message::LeaseAcquire(q) => leases::acquire(hub, io, q).await,
        Message::LeaseRenew(q) => leases::renew(hub, io, q).await,
        Message::LeaseRelease(q) => leases::release(hub, io, q).await,
        Message::SubscribeWorkers(q) => workers::run(hub, io, q).await,
        other => {
            let _ = io
                .close_err(&text::invalid_request_type(other.go_type()))
                .await;
            Finish::Forget
        }
    }
}
