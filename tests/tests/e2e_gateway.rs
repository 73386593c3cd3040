//! End-to-end tests of the demo gateway with the real `socket.io-client` from npm.
//!
//! Each test starts its own gateway in-process on `127.0.0.1:0`, mints tokens with the gateway's
//! secret, and runs one Node script from `tests/js/e2e/` (`node <script>.mjs`) with
//! `E2E_URL`, `E2E_TOKENS` (user id -> token, JSON) and `E2E_SECRET` in its environment. The
//! script asserts what the clients see and prints `RESULT {json}` as its last line; this side
//! asserts the exit code, the result, the gateway's metrics and the demo backend's effects.
//! Scripts are killed after [`SCRIPT_TIMEOUT`].
//!
//! Node.js is required (and `npm` when `tests/js/node_modules` is missing or stale, which is then
//! installed with `npm ci`): without them these tests fail, they never skip.

use rez_realtime::gateway::{self, DEV_SECRET, Gateway, GatewayConfig};
use serde_json::{Value, json};
use std::path::Path;
use switchboard_tests::js::js_dir;
use std::process::Stdio;
use std::time::{Duration, Instant};
use switchboard_runtime::server::{JwtHs256, MetricsSnapshot};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// Longest a scenario script may run.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(30);

/// Users the scripts may connect as (see the ownership rules in `generated/src/gateway.rs`).
const USERS: &[&str] = &["u1", "u2", "u3", "u9", "store-1"];

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------






/// A gateway of its own (port 0), without demo events.
async fn start_gateway() -> Gateway {
    gateway::start(GatewayConfig { addr: "127.0.0.1:0".parse().unwrap(), ..Default::default() }).await.expect("the gateway starts")
}

fn tokens() -> String {
    let map: serde_json::Map<String, Value> =
        USERS.iter().map(|u| ((*u).to_string(), Value::String(JwtHs256::mint(DEV_SECRET.as_bytes(), u, Some("customer"), 600)))).collect();
    Value::Object(map).to_string()
}

/// A running scenario script.
struct Script {
    name: &'static str,
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: tokio::task::JoinHandle<String>,
    seen: Vec<String>,
    started: Instant,
    deadline: tokio::time::Instant,
}

impl Script {
    fn spawn(name: &'static str, gw: &Gateway) -> Self {
        require_node();
        let path = js_dir().join("e2e").join(format!("{name}.mjs"));
        assert!(path.exists(), "missing scenario script {}", path.display());
        let mut child = Command::new("node")
            .arg(&path)
            .current_dir(js_dir())
            .env("E2E_URL", format!("http://{}", gw.addr))
            .env("E2E_TOKENS", tokens())
            .env("E2E_SECRET", DEV_SECRET)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `node {}`: {e}", path.display()));
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let mut err = child.stderr.take().expect("piped stderr");
        let stderr = tokio::spawn(async move {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s).await;
            s
        });
        Self { name, child, stdout, stderr, seen: Vec::new(), started: Instant::now(), deadline: tokio::time::Instant::now() + SCRIPT_TIMEOUT }
    }

    /// Kills the script and fails the test with what it printed.
    async fn fail(mut self, why: &str) -> ! {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        let stderr = tokio::time::timeout(Duration::from_secs(2), self.stderr).await.ok().and_then(Result::ok).unwrap_or_default();
        panic!("e2e scenario `{}`: {why}\n--- stdout ---\n{}\n--- stderr ---\n{stderr}", self.name, self.seen.join("\n"));
    }

    /// Next stdout line, or None at end of output.
    async fn next_line(&mut self) -> Result<Option<String>, String> {
        match tokio::time::timeout_at(self.deadline, self.stdout.next_line()).await {
            Err(_) => Err(format!("timed out after {SCRIPT_TIMEOUT:?}; killed")),
            Ok(Err(e)) => Err(format!("cannot read stdout: {e}")),
            Ok(Ok(line)) => {
                if let Some(l) = &line {
                    self.seen.push(l.clone());
                }
                Ok(line)
            }
        }
    }

    /// Waits until the script prints `want` on a line of its own.
    async fn wait_for_line(mut self, want: &str) -> Self {
        loop {
            match self.next_line().await {
                Ok(Some(l)) if l.trim() == want => return self,
                Ok(Some(_)) => {}
                Ok(None) => self.fail(&format!("ended before printing {want}")).await,
                Err(e) => self.fail(&e).await,
            }
        }
    }

    /// Waits for the script to end; asserts exit code 0 and returns its `RESULT` JSON.
    async fn finish(mut self) -> Value {
        loop {
            match self.next_line().await {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => self.fail(&e).await,
            }
        }
        let status = match tokio::time::timeout_at(self.deadline, self.child.wait()).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => self.fail(&format!("cannot wait for node: {e}")).await,
            Err(_) => self.fail(&format!("did not exit within {SCRIPT_TIMEOUT:?}; killed")).await,
        };
        if !status.success() {
            self.fail(&format!("node exited with {status}")).await;
        }
        let Some(result) = self.seen.iter().rev().find_map(|l| l.strip_prefix("RESULT ")).map(str::to_owned) else {
            self.fail("no RESULT line").await;
        };
        let value: Value = match serde_json::from_str(&result) {
            Ok(v) => v,
            Err(e) => self.fail(&format!("RESULT is not JSON: {e}")).await,
        };
        eprintln!("e2e {}: {:.2?} {value}", self.name, self.started.elapsed());
        value
    }
}

/// Runs a script to completion against `gw`.
async fn run(name: &'static str, gw: &Gateway) -> Value {
    Script::spawn(name, gw).finish().await
}

fn metrics(gw: &Gateway) -> MetricsSnapshot {
    gw.runtime.metrics().snapshot()
}

fn u64_of(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("result has no integer `{key}`: {v}"))
}

fn str_of<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("result has no string at {pointer}: {v}"))
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/// 1. No token (absent, empty or not a string) -> `connect_error` "Authentication required".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_is_refused() {
    let gw = start_gateway().await;
    let r = run("auth_missing", &gw).await;
    let m = metrics(&gw);
    assert_eq!(u64_of(&r, "refused"), 4);
    assert_eq!(m.auth_failures, 4, "{m:?}");
    assert_eq!(m.connections, 0, "{m:?}");
}

/// 2. Garbage, wrongly signed, expired, tampered and `alg: none` tokens -> "Invalid or expired
/// token"; a token only in the query string -> "Authentication required"; a valid token connects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_refused() {
    let gw = start_gateway().await;
    let r = run("auth_invalid", &gw).await;
    let m = metrics(&gw);
    assert_eq!(u64_of(&r, "invalid"), 6);
    assert_eq!(r["query"], "Authentication required");
    assert_eq!(m.auth_failures, 7, "{m:?}");
    assert_eq!(m.connections, 1, "{m:?}");
}

/// 3. The owner subscribes to o-100: `{ok:true,data:null}`, then `order:status_update`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_subscribes_to_order_and_gets_status() {
    let gw = start_gateway().await;
    let r = run("order_owner", &gw).await;
    assert_eq!(r["ack"], json!({"ok": true, "data": null}));
    assert_eq!(str_of(&r, "/update/orderId"), "o-100");
    assert_eq!(u64_of(&r, "updates"), 1);
    let m = metrics(&gw);
    assert_eq!((m.events_ok, m.denied_joins, m.emit_drops), (1, 0, 0), "{m:?}");
}

/// 4. u1 subscribes to u2's o-200: `forbidden`, and nothing about o-200 reaches u1 although the
/// owner's subscription makes the backend emit its status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_order_is_forbidden_and_silent() {
    let gw = start_gateway().await;
    let r = run("order_forbidden", &gw).await;
    assert_eq!(str_of(&r, "/error/code"), "forbidden");
    assert_eq!(u64_of(&r, "u1Events"), 0);
    assert_eq!(u64_of(&r, "u2Updates"), 1);
    let m = metrics(&gw);
    assert_eq!(m.denied_joins, 1, "{m:?}");
    assert_eq!(m.events_ok, 1, "{m:?}");
}

/// 5. Invalid `chat:send_message` payloads -> `invalid_payload` naming the field; the connection
/// stays usable; nothing invalid has an effect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_payloads_name_the_field() {
    let gw = start_gateway().await;
    let r = run("invalid_payload", &gw).await;
    let m = metrics(&gw);
    assert_eq!(m.invalid_payloads, u64_of(&r, "invalid"), "{m:?}");
    assert_eq!(m.invalid_payloads, 10, "{m:?}");
    assert_eq!(m.events_ok, 1, "{m:?}");
    assert_eq!(m.rate_limited, 0, "{m:?}");
    assert_eq!(gw.backend.chat_messages("c-1"), vec![str_of(&r, "/valid/messageId").to_string()]);
}

/// 5b. A missing required field is named in `error.field` (`chatId`, `attachments[0].type`...).
///
/// (serde reports a missing field at its parent's path; the runtime appends the field's name.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_fields_are_named() {
    let gw = start_gateway().await;
    run("missing_field", &gw).await;
    let m = metrics(&gw);
    assert_eq!(m.invalid_payloads, 4, "{m:?}");
}

/// 6. u1, u2, u3 in c-1 each get u1's message exactly once; u9 is refused and gets nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_message_reaches_each_member_once() {
    let gw = start_gateway().await;
    let r = run("chat_fanout", &gw).await;
    assert_eq!(r["received"], json!({"u1": 1, "u2": 1, "u3": 1}));
    assert_eq!(u64_of(&r, "u9Events"), 0);
    assert_eq!(str_of(&r, "/denied/code"), "forbidden");
    assert_eq!(gw.backend.chat_messages("c-1"), vec![str_of(&r, "/messageId").to_string()]);
    let m = metrics(&gw);
    assert_eq!(m.denied_joins, 1, "{m:?}");
    assert_eq!(m.emit_drops, 0, "{m:?}");
}

/// 6b. A recoverable event reaches a plain socket.io-client's one-parameter listener with the
/// catalogue's payload only; its position is a second argument (README "Recovery").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_clients_ignore_the_recovery_position() {
    let gw = start_gateway().await;
    let r = run("recovery_plain_client", &gw).await;
    assert_eq!(r["payloadKeys"], json!(["chatId", "messageId", "senderId", "senderName", "senderType", "text", "timestamp"]), "{r}");
    assert_eq!(u64_of(&r, "extraArgs"), 1, "{r}");
    assert_eq!(r["position"]["_rec"][0]["room"], "chat-c-1", "{r}");
    assert_eq!(r["position"]["_rec"][0]["offset"], 1, "{r}");
}

/// 7. `flashsale:started` reaches every connected socket once, with no subscription.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flash_sale_reaches_everyone_once() {
    let gw = start_gateway().await;
    let script = Script::spawn("flash_sale", &gw).wait_for_line("READY").await;
    let payload = rez_realtime::types::FlashSaleStartedPayload {
        flash_sale_id: "fs-e2e".into(),
        title: "Midnight deals".into(),
        discount_percentage: 40.0,
        end_time: "2026-11-26T23:59:59.000Z".parse().expect("a valid date-time"),
        timestamp: Some(switchboard_runtime::Timestamp::now()),
    };
    gw.emitter.flashsale_started(&payload).await.expect("flashsale_started reaches every socket");
    let r = script.finish().await;
    assert_eq!(r["received"], json!({"u1": 1, "u2": 1, "u9": 1}));
    // Compared as the type (JS has one number type: 40.0 comes back as 40).
    let received: rez_realtime::types::FlashSaleStartedPayload = serde_json::from_value(r["payload"].clone()).expect("the payload deserializes");
    assert_eq!(received, payload);
    let m = metrics(&gw);
    assert_eq!((m.connections, m.emit_drops), (3, 0), "{m:?}");
}

/// 8. The same `_mid` sent 6 times by u1 (3 in sequence, 2 racing, 1 from a second connection):
/// one effect, identical acks; another user's `m-1` and u1's `m-2` are new messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resent_message_ids_have_one_effect() {
    let gw = start_gateway().await;
    let r = run("dedup", &gw).await;
    let ids = &r["messageIds"];
    let expected: Vec<String> = ["m1", "u2m1", "m2"].iter().map(|k| ids[k].as_str().expect("message id").to_string()).collect();
    assert_eq!(gw.backend.chat_messages("c-1"), expected, "one stored message per distinct (user, _mid)");
    let m = metrics(&gw);
    assert_eq!(m.duplicates, 5, "{m:?}");
    assert_eq!(m.events_ok, 2 + 3, "two subscriptions, three distinct messages: {m:?}");
}

/// 8b. A room join resent with the same `_mid` from a new connection (the first one lost its ack)
/// must leave the new socket in the room.
///
/// (Room actions are per socket and idempotent, so they are never answered from the dedup store.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resent_join_after_reconnect_joins_the_new_socket() {
    let gw = start_gateway().await;
    run("dedup_join", &gw).await;
}

/// 9. 50 `chat:send_message` fired without awaiting: acks in send order, increasing ids, room
/// order = send order (only ~10 pass the 10/s limit); 50 `chat:read` keep their order end to end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_socket_events_keep_their_order() {
    let gw = start_gateway().await;
    let r = run("ordering", &gw).await;
    let accepted = u64_of(&r, "accepted");
    let stored = gw.backend.chat_messages("c-1");
    assert_eq!(stored.len() as u64, accepted);
    let numbers: Vec<u64> = stored.iter().map(|id| id.rsplit('-').next().unwrap().parse().expect("msg-<n>")).collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "stored ids out of order: {stored:?}");
    let m = metrics(&gw);
    assert_eq!(m.rate_limited, u64_of(&r, "rateLimited"), "{m:?}");
    assert_eq!(m.events_ok, 2 + accepted + 50, "{m:?}");
    assert_eq!(m.emit_drops, 0, "{m:?}");
}

/// 10. `heartbeat` is acked with `{serverTime: ISO}`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_returns_server_time() {
    let gw = start_gateway().await;
    let r = run("heartbeat", &gw).await;
    assert!(switchboard_runtime::validate::datetime("serverTime", str_of(&r, "/serverTime")).is_ok(), "{r}");
    let m = metrics(&gw);
    assert_eq!((m.events_ok, m.invalid_payloads), (2, 1), "{m:?}");
}

/// 11. 20 `typing:start` at once (limit 5/s): some `rate_limited`, counted; the socket stays usable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_is_rate_limited() {
    let gw = start_gateway().await;
    let r = run("rate_limit", &gw).await;
    let limited = u64_of(&r, "rateLimited");
    assert!(limited > 0, "{r}");
    let m = metrics(&gw);
    assert_eq!(m.rate_limited, limited, "{m:?}");
    assert!(m.rate_limited > 0);
    assert_eq!(u64_of(&r, "relays"), u64_of(&r, "accepted") + 1);
}

/// 12. A 100 KB message -> `payload_too_large`, no effect, socket usable; a 2 MiB one (over the
/// WebSocket limit) closes that connection only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_payloads_are_refused() {
    let gw = start_gateway().await;
    let r = run("oversized", &gw).await;
    assert_eq!(str_of(&r, "/tooLarge/code"), "payload_too_large");
    assert_eq!(gw.backend.chat_messages("c-1"), vec![str_of(&r, "/afterId").to_string()]);
    let m = metrics(&gw);
    assert_eq!(m.too_large, 1, "{m:?}");
    assert_eq!(m.connections, 3, "{m:?}");
}

/// Node and the pinned npm packages (installed with `npm ci` when missing); never skips.
fn require_node() {
    switchboard_tests::js::require_harness(Path::new(env!("CARGO_TARGET_TMPDIR")));
}
