//! Events whose payload is one bare string (`value:` in the catalogue), sent exactly as the
//! Rez app sends them (`socket.emit('join-tournament', tournamentId)`), against the generated
//! gateway: the room is joined under the catalogue's policy, the value is validated, and the
//! typed Rust client sends the same frames.

use futures_util::SinkExt;
use rez_realtime::client::{Client, ClientError, ConnectionState};
use rez_realtime::gateway::{self, DEV_SECRET, GatewayConfig};
use rez_realtime::types;
use serde_json::{Value, json};
use std::time::Duration;
use switchboard_runtime::server::JwtHs256;
use switchboard_runtime::wire::ErrorCode;
use switchboard_tests::raw::{Ws, connect_ok, event_frame, next_text, parse_ack};

fn token(user: &str) -> String {
    JwtHs256::mint(DEV_SECRET.as_bytes(), user, Some("customer"), 600)
}

async fn start() -> gateway::Gateway {
    gateway::start(GatewayConfig { addr: "127.0.0.1:0".parse().unwrap(), ..GatewayConfig::default() }).await.unwrap()
}

/// Sends `event` with `payload` and ack id `id`; returns the ack's answer.
async fn request(ws: &mut Ws, id: u64, event: &str, payload: Value) -> Value {
    ws.send(event_frame(id, event, &payload)).await.unwrap();
    loop {
        let frame = next_text(ws).await.expect("an answer");
        if let Some((got, answer)) = parse_ack(&frame)
            && got == id
        {
            return answer;
        }
    }
}

/// The next event frame `42["name",payload]` (a recoverable event has a trailing position
/// argument after the payload), as (name, payload).
async fn next_event(ws: &mut Ws) -> (String, Value) {
    let frame = next_text(ws).await.expect("an event");
    let body = frame.strip_prefix("42").unwrap_or_else(|| panic!("not an event: {frame}"));
    let args: Vec<Value> = serde_json::from_str(body).unwrap();
    let name = args.first().and_then(Value::as_str).unwrap_or_else(|| panic!("no event name: {frame}"));
    (name.to_string(), args.get(1).cloned().unwrap_or(Value::Null))
}

fn refused(answer: &Value) -> &str {
    assert_eq!(answer["ok"], json!(false), "{answer}");
    answer["error"]["code"].as_str().unwrap()
}

fn score(tournament: &str) -> types::TournamentScoreUpdatePayload {
    types::TournamentScoreUpdatePayload { tournament_id: tournament.into(), user_id: "u9".into(), new_score: 12.5, new_rank: 3, timestamp: switchboard_runtime::Timestamp::now() }
}

fn balance() -> types::BalanceUpdatePayload {
    types::BalanceUpdatePayload { balance: 1240.0, pending_balance: 80.0, timestamp: switchboard_runtime::Timestamp::now() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bare_string_joins_follow_the_catalogue() {
    let gw = start().await;
    let mut ws = connect_ok(gw.addr, &token("u1")).await;

    // join-tournament "t-1": any authenticated socket, as the backend does.
    assert_eq!(request(&mut ws, 1, "join-tournament", json!("t-1")).await, json!({ "ok": true, "data": null }));
    gw.emitter.score_update(&score("t-1")).await.unwrap();
    let (name, payload) = next_event(&mut ws).await;
    assert_eq!((name.as_str(), payload["tournamentId"].as_str()), ("score-update", Some("t-1")));

    // The value is checked against `RoomKey` (1-50 of [A-Za-z0-9_-]); an object is not a value.
    for (id, bad) in [(2, json!("t 1!")), (3, json!("")), (4, json!("x".repeat(51))), (5, json!({ "tournamentId": "t-1" })), (6, json!(7))] {
        let answer = request(&mut ws, id, "join-tournament", bad.clone()).await;
        assert_eq!(refused(&answer), ErrorCode::InvalidPayload.as_str(), "{bad} -> {answer}");
    }

    // join-merchant-room: `access: app`; the demo backend lets a user into their own merchant room only.
    assert_eq!(request(&mut ws, 7, "join-merchant-room", json!("u1")).await["ok"], json!(true));
    assert_eq!(refused(&request(&mut ws, 8, "join-merchant-room", json!("m-2")).await), ErrorCode::Forbidden.as_str());
    gw.emitter.product_created("u1", &types::ProductCreatedPayload { product_id: "p-1".into(), product_name: "Tea".into() }).await.unwrap();
    assert_eq!(next_event(&mut ws).await.0, "product_created");

    // join-earnings-room: `access: self`; whatever id is sent, the socket joins its own user's room.
    assert_eq!(request(&mut ws, 9, "join-earnings-room", json!("u2")).await["ok"], json!(true));
    gw.emitter.balance_update("u2", &balance()).await.unwrap();
    gw.emitter.balance_update("u1", &balance()).await.unwrap();
    let (name, payload) = next_event(&mut ws).await;
    assert_eq!((name.as_str(), payload["balance"].as_f64()), ("balance-update", Some(1240.0)), "u2's room is not joined, u1's is");

    // leave-tournament "t-1": the next score update for t-1 does not arrive; the balance update after it does.
    assert_eq!(request(&mut ws, 10, "leave-tournament", json!("t-1")).await["ok"], json!(true));
    gw.emitter.score_update(&score("t-1")).await.unwrap();
    gw.emitter.balance_update("u1", &balance()).await.unwrap();
    assert_eq!(next_event(&mut ws).await.0, "balance-update");
    gw.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typed_client_sends_bare_values() {
    let gw = start().await;
    let c = Client::connect(Client::config(&format!("http://{}", gw.addr)), token("u1"));
    let mut s = c.raw().state();
    tokio::time::timeout(Duration::from_secs(10), s.wait_for(|s| *s == ConnectionState::Connected)).await.unwrap().unwrap();
    let mut on_score = c.on_score_update();
    c.join_tournament(&types::JoinTournamentPayload("t-7".into())).await.unwrap();
    gw.emitter.score_update(&score("t-7")).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), on_score.recv()).await.unwrap().unwrap().unwrap();
    assert_eq!(got.tournament_id, "t-7");
    // The server's validation answers the typed client too.
    let bad = c.join_tournament(&types::JoinTournamentPayload("no spaces".into())).await;
    assert!(matches!(&bad, Err(ClientError::Refused(e)) if e.code == ErrorCode::InvalidPayload), "{bad:?}");
    gw.abort();
}
