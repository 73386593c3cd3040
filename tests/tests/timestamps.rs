//! Catalogue `datetime`s are `switchboard_runtime::Timestamp` in the generated Rust (issue 12,
//! bug 6): the server refuses a date-time the rule refuses with `invalid_payload` naming the
//! field, hands the handler typed instants, and the Rust client and server round-trip them.
//! Served from the Rust generated for `codegen/tests/fixtures/valid/datetimes`.

use futures_util::SinkExt;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard_runtime::Timestamp;
use switchboard_runtime::validate::DATETIME_MESSAGE;
use switchboard_tests::fixtures::datetimes::{client, server, types};
use switchboard_tests::raw;

const SECRET: &[u8] = b"timestamps-test-secret";

/// Keeps every `book` it is handed; answers with the instants it read.
#[derive(Default)]
struct Clock {
    seen: Mutex<Vec<types::BookRequest>>,
}

impl server::ClockHandlers for Clock {
    async fn heartbeat(&self, _ctx: server::Ctx, p: types::HeartbeatRequest) -> Result<types::HeartbeatAck, server::AckError> {
        Ok(types::HeartbeatAck::new(p.timestamp))
    }

    async fn book(&self, _ctx: server::Ctx, p: types::BookRequest) -> Result<types::BookAck, server::AckError> {
        let booked_at: Timestamp = p.requested_at.unwrap_or(p.slot.starts_at);
        let ack = types::BookAck::new(booked_at, p.slot.clone());
        self.seen.lock().expect("not poisoned").push(p);
        Ok(ack)
    }
}

struct Served {
    addr: std::net::SocketAddr,
    rt: Arc<server::Runtime>,
    emitter: server::Emitter,
    clock: Arc<Clock>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn serve() -> Served {
    let config = server::ServerConfig::default();
    let rt = Arc::new(server::Runtime::with_config(server::JwtHs256::new(SECRET), config.clone()));
    let (layer, io) = config.builder().build_layer();
    let clock = Arc::new(Clock::default());
    server::mount(&io, rt.clone(), clock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(rt.clone().serve(listener, axum::Router::new().layer(layer)));
    Served { addr, emitter: server::Emitter::new(io, rt.clone()), rt, clock, task }
}

fn token(user: &str) -> String {
    server::JwtHs256::mint(SECRET, user, None, 600)
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Sends `book` with `payload` as ack id `id` and returns the answer.
async fn book(ws: &mut raw::Ws, id: u64, payload: &Value) -> Value {
    ws.send(raw::event_frame(id, "book", payload)).await.unwrap();
    let frame = raw::next_text(ws).await.expect("an answer");
    let (got, answer) = raw::parse_ack(&frame).unwrap_or_else(|| panic!("not an ack: {frame}"));
    assert_eq!(got, id, "{frame}");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_date_times_name_the_field_and_valid_ones_reach_the_handler_typed() {
    let s = serve().await;
    let mut ws = raw::connect_ok(s.addr, &token("u1")).await;
    // Offsets, lowercase `t`/`z` and sub-millisecond digits are accepted and normalised.
    let valid = json!({
        "calendarId": "c-1",
        "slot": { "startsAt": "2026-12-03T05:15:00.1239+01:00", "endsAt": "2026-12-03t04:45:00z", "remindAt": null },
        "alternatives": ["2026-12-04T04:15:00Z"],
        "byAttendee": { "ann": "2026-12-03T04:00:00.000Z", "bob": null },
    });
    // (where, bad value, the field the answer must name, its message)
    let cases = [
        ("/slot/startsAt", json!("2026-02-30T00:00:00Z"), "slot.startsAt", DATETIME_MESSAGE),
        ("/slot/endsAt", json!("2026-12-03T04:45:00"), "slot.endsAt", DATETIME_MESSAGE),
        ("/slot/remindAt", json!("2026-12-03T04:45:00Z[UTC]"), "slot.remindAt", DATETIME_MESSAGE),
        ("/alternatives/0", json!("+010000-01-01T00:00:00Z"), "alternatives[0]", DATETIME_MESSAGE),
        ("/byAttendee/ann", json!("2026-12-31T24:00:00Z"), "byAttendee.ann", DATETIME_MESSAGE),
        ("/requestedAt", json!("2100-02-29T00:00:00Z"), "requestedAt", DATETIME_MESSAGE),
        ("/retryAfter", json!(1_764_735_300_000_i64), "retryAfter", "invalid type: integer `1764735300000`, expected an ISO-8601 date-time string"),
    ];
    for (i, (pointer, bad, field, message)) in cases.iter().enumerate() {
        let mut payload = valid.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        match payload.pointer_mut(parent).unwrap() {
            Value::Array(a) => a[key.parse::<usize>().unwrap()] = bad.clone(),
            Value::Object(o) => drop(o.insert(key.to_string(), bad.clone())),
            other => panic!("{other}"),
        }
        let answer = book(&mut ws, i as u64 + 1, &payload).await;
        assert_eq!(answer, json!({ "ok": false, "error": { "code": "invalid_payload", "message": message, "field": field } }), "{pointer}");
    }
    assert!(s.clock.seen.lock().unwrap().is_empty(), "no refused payload reaches the handler");

    let answer = book(&mut ws, 100, &valid).await;
    let slot = json!({ "startsAt": "2026-12-03T04:15:00.123Z", "endsAt": "2026-12-03T04:45:00.000Z", "remindAt": null });
    assert_eq!(answer, json!({ "ok": true, "data": { "bookedAt": "2026-12-03T04:15:00.123Z", "slot": slot } }));
    let seen = s.clock.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let p = &seen[0];
    assert_eq!((p.slot.starts_at, p.slot.ends_at, p.slot.remind_at), (at("2026-12-03T04:15:00.123Z"), at("2026-12-03T04:45:00Z"), None));
    assert_eq!(p.alternatives, vec![at("2026-12-04T04:15:00Z")]);
    assert_eq!((p.by_attendee["ann"], p.by_attendee["bob"]), (Some(at("2026-12-03T04:00:00Z")), None));
    assert_eq!((p.requested_at, p.retry_after, p.since), (None, None, at("2026-01-01T00:00:00Z")), "the catalogue's default is a Timestamp too");
    let m = s.rt.metrics().snapshot();
    assert_eq!((m.invalid_payloads, m.events_ok), (cases.len() as u64, 1), "{m:?}");
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_client_and_server_round_trip_timestamps() {
    let s = serve().await;
    let c = client::Client::connect(client::Client::config(&format!("http://{}", s.addr)), token("u1"));
    switchboard_tests::faults::wait_connected(c.raw(), Duration::from_secs(10)).await;

    let now = Timestamp::now();
    let later = Timestamp::from_unix_millis(now.as_unix_millis() + 90_000).unwrap();
    let echoed = c.heartbeat(&types::HeartbeatRequest::new(now)).await.expect("heartbeat answered");
    assert_eq!(echoed.server_time, now);

    let slot = types::Slot::new(now, later, Some(later));
    let attendees = std::collections::BTreeMap::from([("ann".to_string(), Some(later)), ("bob".to_string(), None)]);
    let request = types::BookRequest::new("c-1", slot.clone(), vec![later, now], attendees).with_requested_at(later).with_retry_after(None);
    let ack = c.book(&request).await.expect("book answered");
    assert_eq!((ack.booked_at, &ack.slot), (later, &slot));
    assert_eq!(s.clock.seen.lock().unwrap().as_slice(), [request], "the handler got exactly what the client built");

    // A bare `value:` date-time, server to client.
    c.calendar_watch(&types::CalendarWatchRequest::new("c-1")).await.expect("joined");
    let mut ticks = c.on_calendar_tick();
    s.emitter.calendar_tick("c-1", &types::CalendarTickPayload(later)).await.expect("sent");
    let tick = tokio::time::timeout(Duration::from_secs(5), ticks.recv()).await.expect("a tick in time").expect("listening").expect("a valid tick");
    assert_eq!(tick, types::CalendarTickPayload(later));
    s.task.abort();
}

/// Node's `Date` (what the app and the backend run) reads these strings as the same instants and
/// writes them back exactly as `Timestamp` does: UTC, milliseconds truncated, offsets applied.
#[test]
fn javascript_dates_read_and_write_what_timestamp_does() {
    switchboard_tests::js::require_tool("node");
    let inputs = [
        "2026-12-03T04:15:00.000Z",
        "2026-12-03t04:15:00z",
        "2026-12-03 04:15:00Z",
        "2026-12-03T05:15:00+01:00",
        "2026-12-02T23:15:00.5-05:00",
        "2026-12-03T04:15:00.1239Z",
        "2026-12-03T04:15:00.999999999Z",
        "1969-12-31T23:59:59.9995Z",
        "2024-02-29T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "9999-12-30T22:00:00.999Z",
    ];
    let ours: Vec<String> = inputs.iter().map(|s| at(s).to_string()).collect();
    let script = "const a = JSON.parse(process.argv[1]); console.log(JSON.stringify(a.map((s) => new Date(s).toJSON())));";
    let run = |strings: &[String]| -> Vec<String> {
        let out = std::process::Command::new("node").args(["-e", script, &serde_json::to_string(strings).unwrap()]).output().expect("node runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("a JSON array")
    };
    let inputs: Vec<String> = inputs.iter().map(|s| s.to_string()).collect();
    assert_eq!(run(&inputs), ours, "Date#toJSON of each input");
    assert_eq!(run(&ours), ours, "what we write, read back by Date");
}
