//! Dispatch of one channel on its request envelope (PROTOCOL §3.2, §8.1).

use super::channel::{ChannelIo, Finish};
use super::hub::{SegmentTicket, StoreHub};
use super::{leases, produce, reads, subs, workers};
use skope_proto::errors::text;
use skope_proto::{EnvelopeError, Message};
use std::sync::Arc;

/// Run the handler of a new channel on its request (the first payload, decoded by the muxer;
/// a produce comes with its place in the segment's queue).
pub(crate) async fn run(
    hub: Arc<StoreHub>,
    mut io: ChannelIo,
    request: Result<Message, EnvelopeError>,
    ticket: Option<SegmentTicket>,
) {
    let finish = serve(&hub, &mut io, request, ticket).await;
    io.finish(finish).await;
}

async fn serve(
    hub: &Arc<StoreHub>,
    io: &mut ChannelIo,
    request: Result<Message, EnvelopeError>,
    ticket: Option<SegmentTicket>,
) -> Finish {
    let msg = match request {
        Ok(m) => m,
        Err(e) => {
            let _ = io.close_err(&e.to_string()).await;
            return Finish::Forget;
        }
    };
    tracing::trace!(channel = %io.channel_id, request = msg.name(), "request");
    match msg {
        Message::Produce(p) => produce::run(hub, io, p, ticket).await,
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
