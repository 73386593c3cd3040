//! Text frames from a hostile server -> the Rust client's Engine.IO/Socket.IO codec: a packet or a
//! `CodecError`, never a panic; a packet the client itself encodes decodes back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard_runtime::client::codec::{DEFAULT_MAX_FRAME, EioPacket, SioKind, decode, encode};

fuzz_target!(|data: &[u8]| {
    // WebSocket text frames are UTF-8 (tungstenite checks before the codec sees them).
    let Ok(frame) = std::str::from_utf8(data) else { return };
    let decoded = decode(frame, DEFAULT_MAX_FRAME);
    match &decoded {
        Err(e) => assert!(!e.message.is_empty(), "a codec error says what is wrong"),
        Ok(p) => {
            if round_trips(p) {
                let again = decode(&encode(p), DEFAULT_MAX_FRAME).unwrap_or_else(|e| panic!("{p:?} encoded does not decode: {e}"));
                assert_eq!(&again, p, "decode(encode(p)) == p");
            }
        }
    }
    // A small limit refuses, it never cuts a frame.
    if frame.len() > 16 {
        assert!(decode(frame, 16).is_err());
    }
});

/// The packets whose encoding is defined: connect payloads and connect errors are objects on the
/// wire (a bare number after `40` would read as an ack id), and the client never sends others.
fn round_trips(p: &EioPacket) -> bool {
    match p {
        EioPacket::Message(sio) => match &sio.kind {
            SioKind::Connect(v) => v.as_ref().is_none_or(serde_json::Value::is_object),
            SioKind::ConnectError(v) => v.is_object(),
            _ => true,
        },
        _ => true,
    }
}
