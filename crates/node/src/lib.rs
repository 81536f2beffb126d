//! The embedded streamkit node: redb storage ([`storage`]) and the server side of the
//! streamkit protocol ([`server`]) over any WebSocket byte pipe.

pub mod storage;
