//! Harness of the recovery tests (`tests/tests/recovery.rs`, `redis_recovery.rs`): members of
//! chat `c-1` on the Rust client through a cuttable proxy, user-room events, and bounded reads
//! that also catch duplicates.

use crate::faults::proxy::Proxy;
use crate::faults::{EventLog, bounded, chat, connected, fast_config, message_id, subscribe_c1, token, wait_state, wait_until};
use rez_realtime::gateway::Gateway;
use rez_realtime::types;
use serde_json::{Value, json};
use std::time::Duration;
use switchboard_runtime::client::{Client, ClientConfig, ClientEvent, ConnectionState, Listener};
use switchboard_runtime::recovery::ResyncReason;
use tokio::time::timeout;

/// How long a read keeps going after the expected items, to catch duplicates.
pub const GRACE: Duration = Duration::from_millis(400);

/// A Rust client of `user` in chat `c-1`, listening to `chat:message` and `cashback:credited`.
pub struct Member {
    pub client: Client,
    pub chat: Listener,
    pub cashback: Listener,
    pub log: EventLog,
}

impl Member {
    /// Connects `user` to `url`, joins `c-1` and starts listening.
    pub async fn join(url: &str, user: &str) -> Member {
        Self::join_with(fast_config(url), user).await
    }

    /// Like [`Member::join`] with a given client configuration.
    pub async fn join_with(config: ClientConfig, user: &str) -> Member {
        let client = connected(config, token(user)).await;
        let log = EventLog::new(&client);
        let (chat, cashback) = (client.on("chat:message"), client.on("cashback:credited"));
        let joined = bounded("subscribe:chat", Duration::from_secs(5), client.join("chat:c-1", "subscribe:chat", subscribe_c1())).await;
        assert!(joined.is_ok(), "{user} joins c-1: {joined:?}");
        Member { client, chat, cashback, log }
    }

    /// Recoveries answered so far.
    pub fn recoveries(&self) -> usize {
        self.log.count(|e| matches!(e, ClientEvent::Recovered { .. }))
    }

    /// Every `resync_required` so far, by room.
    pub fn resyncs(&self) -> Vec<(String, ResyncReason)> {
        self.log
            .all()
            .into_iter()
            .filter_map(|e| match e {
                ClientEvent::ResyncRequired { room, reason } => Some((room, reason)),
                _ => None,
            })
            .collect()
    }
}

/// `u1` through a cuttable proxy in front of `via`, and `u2` straight on `direct`; both in `c-1`.
pub async fn members(via: std::net::SocketAddr, direct: std::net::SocketAddr) -> (Proxy, Member, Member) {
    let proxy = Proxy::start(via).await;
    let u1 = Member::join(&proxy.url(), "u1").await;
    let u2 = Member::join(&format!("http://{direct}"), "u2").await;
    (proxy, u1, u2)
}

/// Sends `text` to `c-1` as `sender`; returns the message id once acknowledged.
pub async fn say(sender: &Client, text: &str) -> String {
    let r = bounded("chat:send_message", Duration::from_secs(5), sender.emit_reliable("chat:send_message", chat(text))).await;
    message_id(&r, text)
}

/// Sends `cashback:credited` for order `order` to `user`'s room through `gw`.
pub async fn cashback(gw: &Gateway, user: &str, order: &str) {
    let p: types::CashbackCreditedPayload = serde_json::from_value(json!({
        "userId": user, "orderId": order, "amount": 1.5, "currency": "INR", "cashbackRate": 5,
        "description": "test", "timestamp": "2026-12-03T00:00:00.000Z"
    }))
    .expect("a valid payload");
    gw.emitter.cashback_credited(user, &p).await.expect("cashback:credited is sent");
}

/// Reads `field` of every payload on `rx`: exactly `n` expected within `limit`, then nothing
/// more within [`GRACE`].
pub async fn read(rx: &mut Listener, field: &str, n: usize, limit: Duration) -> Vec<String> {
    let mut out = Vec::new();
    let field_of = |v: &Value| v[field].as_str().unwrap_or_default().to_string();
    let _ = timeout(limit, async {
        while out.len() < n {
            match rx.recv().await {
                Some(v) => out.push(field_of(&v)),
                None => break,
            }
        }
    })
    .await;
    while let Ok(Some(v)) = timeout(GRACE, rx.recv()).await {
        out.push(field_of(&v));
    }
    out
}

/// Cuts `member`'s link and keeps the proxy refusing until [`restore`].
pub async fn drop_link(proxy: &Proxy, member: &Member) {
    proxy.set_down(true);
    proxy.cut().await;
    wait_state(&member.client, Duration::from_secs(5), "the link to drop", |s| *s != ConnectionState::Connected).await;
}

/// Lets `member` reconnect and waits until its recovery is answered.
pub async fn restore(proxy: &Proxy, member: &Member) {
    let before = member.recoveries() + member.resyncs().len();
    proxy.set_down(false);
    wait_until("a recovery answer", Duration::from_secs(10), || member.recoveries() + member.resyncs().len() > before).await;
}
