//! A strict codec for Engine.IO 4 and Socket.IO 5 text packets (WebSocket transport).
//!
//! Written by hand: the protocol is a few prefixes around JSON, and the only Rust client crate
//! (rust_socketio) cannot answer server acks nor time acks out (see runtime.md). Sizes are
//! bounded, every malformed frame is a [`CodecError`] naming what was wrong, and nothing panics.

use serde_json::Value;
use std::fmt;

/// Largest frame accepted by default (1 MiB).
pub const DEFAULT_MAX_FRAME: usize = 1024 * 1024;

/// Largest ack id (Socket.IO ids are JavaScript numbers).
pub const MAX_ACK_ID: u64 = 9_007_199_254_740_991;

/// An Engine.IO packet.
#[derive(Debug, Clone, PartialEq)]
pub enum EioPacket {
    /// `0{...}`: the handshake.
    Open(OpenInfo),
    /// `1`: the server closes.
    Close,
    /// `2[data]`: server ping.
    Ping(String),
    /// `3[data]`: pong.
    Pong(String),
    /// `4...`: a Socket.IO packet.
    Message(SioPacket),
    /// `5`: upgrade (not used on WebSocket-only connections).
    Upgrade,
    /// `6`: noop.
    Noop,
}

/// The Engine.IO handshake.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenInfo {
    /// Engine.IO session id.
    pub sid: String,
    /// Milliseconds between server pings.
    pub ping_interval: u64,
    /// Milliseconds the server waits for a pong.
    pub ping_timeout: u64,
    /// Largest payload the server accepts.
    #[serde(default)]
    pub max_payload: u64,
    /// Transports the server can upgrade to.
    #[serde(default)]
    pub upgrades: Vec<String>,
}

/// A Socket.IO packet.
#[derive(Debug, Clone, PartialEq)]
pub struct SioPacket {
    /// Namespace (`/` when absent on the wire).
    pub nsp: String,
    /// What kind of packet.
    pub kind: SioKind,
}

/// Socket.IO packet kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum SioKind {
    /// `0`: connect (client: auth object; server: `{sid}`).
    Connect(Option<Value>),
    /// `1`: disconnect.
    Disconnect,
    /// `2`: an event: name, arguments, optional ack id.
    Event {
        /// Event name.
        name: String,
        /// Arguments after the name.
        args: Vec<Value>,
        /// Ack id when an answer is wanted.
        id: Option<u64>,
    },
    /// `3`: an ack: arguments and the id it answers.
    Ack {
        /// Arguments.
        args: Vec<Value>,
        /// The id answered.
        id: u64,
    },
    /// `4`: connect error (`{message}`).
    ConnectError(Value),
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError {
    /// What was wrong.
    pub message: String,
    /// The start of the frame, for logs (at most 64 characters).
    pub frame_start: String,
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed frame ({}): {:?}", self.message, self.frame_start)
    }
}

impl std::error::Error for CodecError {}

fn err(frame: &str, message: impl Into<String>) -> CodecError {
    CodecError { message: message.into(), frame_start: frame.chars().take(64).collect() }
}

/// Decodes one WebSocket text frame.
pub fn decode(frame: &str, max_frame: usize) -> Result<EioPacket, CodecError> {
    if frame.len() > max_frame {
        return Err(err(frame, format!("{} bytes is more than the {max_frame} allowed", frame.len())));
    }
    let mut chars = frame.chars();
    let Some(t) = chars.next() else { return Err(err(frame, "empty frame")) };
    let rest = chars.as_str();
    match t {
        '0' => serde_json::from_str::<OpenInfo>(rest).map(EioPacket::Open).map_err(|e| err(frame, format!("bad open packet: {e}"))),
        '1' => Ok(EioPacket::Close),
        '2' => Ok(EioPacket::Ping(rest.to_string())),
        '3' => Ok(EioPacket::Pong(rest.to_string())),
        '4' => decode_sio(rest).map(EioPacket::Message).map_err(|m| err(frame, m)),
        '5' => Ok(EioPacket::Upgrade),
        '6' => Ok(EioPacket::Noop),
        'b' => Err(err(frame, "binary Engine.IO payloads are not supported on this client")),
        other => Err(err(frame, format!("unknown Engine.IO packet type {other:?}"))),
    }
}

fn decode_sio(s: &str) -> Result<SioPacket, String> {
    let mut chars = s.chars();
    let Some(t) = chars.next() else { return Err("empty Socket.IO packet".into()) };
    let mut rest = chars.as_str();
    if matches!(t, '5' | '6') {
        return Err("binary Socket.IO packets are not supported on this client".into());
    }
    // Namespace: starts with '/', ends at ','.
    let mut nsp = "/".to_string();
    if rest.starts_with('/') {
        match rest.find(',') {
            Some(i) => {
                nsp = rest[..i].to_string();
                rest = &rest[i + 1..];
            }
            None => {
                // A packet with a namespace and no payload (e.g. `1/admin`).
                nsp = rest.to_string();
                rest = "";
            }
        }
    }
    // Ack id: leading digits.
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = if digits > 0 {
        if digits > 16 {
            return Err("ack id is too long".into());
        }
        let v: u64 = rest[..digits].parse().map_err(|_| "bad ack id".to_string())?;
        if v > MAX_ACK_ID {
            return Err("ack id is out of range".into());
        }
        rest = &rest[digits..];
        Some(v)
    } else {
        None
    };
    let json = |r: &str| -> Result<Value, String> { serde_json::from_str(r).map_err(|e| format!("bad JSON: {e}")) };
    let kind = match t {
        '0' => {
            if id.is_some() {
                return Err("a connect packet has no ack id".into());
            }
            SioKind::Connect(if rest.is_empty() { None } else { Some(json(rest)?) })
        }
        '1' => SioKind::Disconnect,
        '2' => {
            let Value::Array(mut items) = json(rest)? else { return Err("event data must be an array".into()) };
            if items.is_empty() {
                return Err("event data has no name".into());
            }
            let Value::String(name) = items.remove(0) else { return Err("event name must be a string".into()) };
            SioKind::Event { name, args: items, id }
        }
        '3' => {
            let Some(id) = id else { return Err("an ack packet needs an id".into()) };
            let Value::Array(args) = json(rest)? else { return Err("ack data must be an array".into()) };
            SioKind::Ack { args, id }
        }
        '4' => SioKind::ConnectError(json(rest)?),
        other => return Err(format!("unknown Socket.IO packet type {other:?}")),
    };
    Ok(SioPacket { nsp, kind })
}

/// Encodes a packet as a WebSocket text frame.
pub fn encode(p: &EioPacket) -> String {
    match p {
        EioPacket::Open(info) => format!("0{}", serde_json::to_string(info).unwrap_or_default()),
        EioPacket::Close => "1".into(),
        EioPacket::Ping(d) => format!("2{d}"),
        EioPacket::Pong(d) => format!("3{d}"),
        EioPacket::Upgrade => "5".into(),
        EioPacket::Noop => "6".into(),
        EioPacket::Message(sio) => format!("4{}", encode_sio(sio)),
    }
}

fn encode_sio(p: &SioPacket) -> String {
    let nsp = if p.nsp == "/" { String::new() } else { format!("{},", p.nsp) };
    match &p.kind {
        SioKind::Connect(auth) => format!("0{nsp}{}", auth.as_ref().map(Value::to_string).unwrap_or_default()),
        SioKind::Disconnect => format!("1{}", nsp.trim_end_matches(',')),
        SioKind::Event { name, args, id } => {
            let mut arr = Vec::with_capacity(args.len() + 1);
            arr.push(Value::String(name.clone()));
            arr.extend(args.iter().cloned());
            format!("2{nsp}{}{}", id.map(|i| i.to_string()).unwrap_or_default(), Value::Array(arr))
        }
        SioKind::Ack { args, id } => format!("3{nsp}{id}{}", Value::Array(args.clone())),
        SioKind::ConnectError(v) => format!("4{nsp}{v}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn decodes_what_socketioxide_sends() {
        let open = decode(r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100000}"#, DEFAULT_MAX_FRAME).unwrap();
        assert!(matches!(open, EioPacket::Open(o) if o.ping_interval == 25000 && o.sid == "abc"));
        assert_eq!(decode("2", DEFAULT_MAX_FRAME).unwrap(), EioPacket::Ping(String::new()));
        let ev = decode(r#"42["chat:message",{"text":"hi"}]"#, DEFAULT_MAX_FRAME).unwrap();
        assert_eq!(
            ev,
            EioPacket::Message(SioPacket { nsp: "/".into(), kind: SioKind::Event { name: "chat:message".into(), args: vec![json!({"text":"hi"})], id: None } })
        );
        let ack = decode(r#"4312[{"ok":true,"data":null}]"#, DEFAULT_MAX_FRAME).unwrap();
        assert!(matches!(ack, EioPacket::Message(SioPacket { kind: SioKind::Ack { id: 12, .. }, .. })));
        let ce = decode(r#"44{"message":"Authentication required"}"#, DEFAULT_MAX_FRAME).unwrap();
        assert!(matches!(ce, EioPacket::Message(SioPacket { kind: SioKind::ConnectError(v), .. }) if v["message"] == "Authentication required"));
        let ns = decode(r#"42/admin,7["x"]"#, DEFAULT_MAX_FRAME).unwrap();
        assert!(matches!(ns, EioPacket::Message(SioPacket { nsp, kind: SioKind::Event { id: Some(7), .. } }) if nsp == "/admin"));
    }

    #[test]
    fn malformed_frames_are_clear_errors() {
        for (frame, want) in [
            ("", "empty frame"),
            ("9", "unknown Engine.IO"),
            ("0{", "bad open packet"),
            ("42{}", "must be an array"),
            ("42[]", "no name"),
            ("42[1]", "must be a string"),
            ("43[1]", "needs an id"),
            ("4399999999999999999[]", "too long"),
            ("451-[\"x\",{\"_placeholder\":true,\"num\":0}]", "binary"),
            ("b4AAA", "binary"),
        ] {
            let e = decode(frame, DEFAULT_MAX_FRAME).unwrap_err();
            assert!(e.message.contains(want), "{frame:?}: {e}");
        }
        assert!(decode(&"4".repeat(100), 10).unwrap_err().message.contains("more than"));
    }

    /// Found by the fuzz target `client_codec`: serde_json's default float parser is not
    /// correctly rounded, so `2.0712100197992094e20` (how the client writes this number) read
    /// back one ULP off: a number the client passed on changed.
    #[test]
    fn numbers_are_read_correctly_rounded_and_survive_a_round_trip() {
        let frame = "439007199209481980[207121001979920948198]";
        let p = decode(frame, DEFAULT_MAX_FRAME).unwrap();
        let EioPacket::Message(SioPacket { kind: SioKind::Ack { args, .. }, .. }) = &p else { panic!("{p:?}") };
        assert_eq!(args[0].as_f64(), Some("207121001979920948198".parse::<f64>().unwrap()));
        assert_eq!(decode(&encode(&p), DEFAULT_MAX_FRAME).unwrap(), p);
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|i| json!(i)),
            "[a-zA-Z0-9 :_\\-\"\\\\é]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{1,6}", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn packet() -> impl Strategy<Value = EioPacket> {
        let nsp = prop_oneof![Just("/".to_string()), "/[a-z]{1,8}"];
        let id = prop::option::of(0..=MAX_ACK_ID);
        prop_oneof![
            Just(EioPacket::Close),
            "[a-z]{0,5}".prop_map(EioPacket::Ping),
            "[a-z]{0,5}".prop_map(EioPacket::Pong),
            Just(EioPacket::Noop),
            (nsp.clone(), "[a-z:_]{1,16}", prop::collection::vec(value(), 0..3), id)
                .prop_map(|(nsp, name, args, id)| EioPacket::Message(SioPacket { nsp, kind: SioKind::Event { name, args, id } })),
            (nsp.clone(), prop::collection::vec(value(), 0..3), 0..=MAX_ACK_ID)
                .prop_map(|(nsp, args, id)| EioPacket::Message(SioPacket { nsp, kind: SioKind::Ack { args, id } })),
            (nsp.clone(), prop::option::of(value().prop_filter("object", Value::is_object)))
                .prop_map(|(nsp, auth)| EioPacket::Message(SioPacket { nsp, kind: SioKind::Connect(auth) })),
            (nsp, value().prop_filter("object", Value::is_object)).prop_map(|(nsp, v)| EioPacket::Message(SioPacket { nsp, kind: SioKind::ConnectError(v) })),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn round_trips(p in packet()) {
            let frame = encode(&p);
            prop_assert_eq!(decode(&frame, DEFAULT_MAX_FRAME).unwrap(), p);
        }

        #[test]
        fn never_panics(s in "\\PC{0,64}") {
            let _ = decode(&s, DEFAULT_MAX_FRAME);
            let _ = decode(&format!("4{s}"), DEFAULT_MAX_FRAME);
            let _ = decode(&format!("42{s}"), DEFAULT_MAX_FRAME);
        }
    }
}
