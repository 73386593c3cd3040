//! The server's inbound path without a network: a Socket.IO frame and its binary attachments ->
//! socketioxide's parser (upstream: event name, ack id, attachments) -> the extraction the
//! generated handlers use (`TryData<Value>`) -> our pipeline's pure steps, in the pipeline's order:
//! size limit, array refusal, `_mid`, deserialize and validate. See README.md for what is not
//! covered (lanes, expiry, dedup, rate limits, handlers, acks).
//!
//! Input: the Socket.IO packet (the Engine.IO `4` already stripped, as engineioxide does), then
//! each binary attachment, separated by 0xFF bytes (never in UTF-8).
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use socketioxide_core::Str;
use socketioxide_core::packet::PacketData;
use socketioxide_core::parser::{Parse, ParseConfig, ParseError, ParserState};
use socketioxide_parser_common::CommonParser;
use switchboard_runtime::__fuzz;
use switchboard_runtime::wire::{MAX_MESSAGE_ID_LEN, MESSAGE_ID_FIELD};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0xFF);
    let Some(Ok(text)) = parts.next().map(std::str::from_utf8) else { return };
    let (parser, config, state) = (CommonParser, ParseConfig::default(), ParserState::default());
    let mut packet = parser.decode_str(&config, &state, Str::from(text.to_string()));
    for attachment in parts.take(16) {
        if !matches!(packet, Err(ParseError::NeedsMoreBinaryData)) {
            break;
        }
        packet = parser.decode_bin(&config, &state, Bytes::copy_from_slice(attachment));
    }
    let Ok(packet) = packet else { return };
    let (PacketData::Event(mut value, _ack_id) | PacketData::BinaryEvent(mut value, _ack_id)) = packet.inner else { return };
    // socketioxide dispatches on the name; an event without a handler goes nowhere.
    let Ok(name) = parser.read_event(&value).map(str::to_string) else { return };
    let Some((entry, spec)) = switchboard_fuzz::events().iter().find(|(e, _)| e.event == name) else { return };
    // What `TryData<Value>` hands the generated handler (`event_data`: an error becomes None).
    let mut value: Value = parser.decode_value(&mut value, true).unwrap_or(Value::Null);

    // Step 2: the counting writer agrees with the serialised length.
    let len = serde_json::to_vec(&value).expect("a Value serializes").len();
    assert_eq!(__fuzz::json_len_exceeds(&value, spec.max_bytes), len > spec.max_bytes, "size check of {len} bytes");
    if len > spec.max_bytes {
        return;
    }
    // Step 4: arrays are refused before `_mid` and serde.
    if value.is_array() {
        return;
    }
    // Step 5: `_mid` is taken out whole, or refused naming it.
    match __fuzz::take_message_id(&mut value) {
        Ok(mid) => {
            assert!(value.get(MESSAGE_ID_FIELD).is_none(), "`_mid` is removed");
            if let Some(mid) = mid {
                assert!(!mid.is_empty() && mid.len() <= MAX_MESSAGE_ID_LEN);
            }
        }
        Err(e) => {
            assert_eq!(e.field.as_deref(), Some(MESSAGE_ID_FIELD));
            return;
        }
    }
    // Step 7: a typed payload, or a refusal that says what is wrong.
    if let Err(e) = (entry.from_value)(&value) {
        assert!(!e.message.is_empty(), "a refusal says what is wrong");
        assert!(e.field.as_deref() != Some(""), "a named field is not empty");
    }
});
