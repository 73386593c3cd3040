//! Which socketioxide-redis driver survives a Redis restart? A subscriber and a publisher
//! driver on one channel; Redis is killed and started again on the same port; the publisher
//! then publishes every 100 ms for at most 15 s, and the subscriber must receive one of them.
//!
//! What chose the driver: the redis-rs driver shipped with socketioxide-redis (a multiplexed
//! connection) never receives again. Its fred driver resumed in about 0.2 s, but fred 10 brings
//! second copies of `rand` and `socket2`; our driver on a redis-rs `ConnectionManager`
//! (`switchboard_runtime::server::RedisConn`) resumes too, and is what the gateway uses.

use socketioxide_redis::drivers::Driver;
use socketioxide_redis::drivers::redis::{RedisDriver, redis_client as redis};
use futures_util::StreamExt;
use std::time::{Duration, Instant};
use switchboard_runtime::server::RedisConn;
use switchboard_tests::redis::RedisServer;

async fn resumes_after_restart<D: Driver>(server: &mut RedisServer, make: impl AsyncFn(&str) -> D) -> Result<Duration, String> {
    let (sub, publ) = (make(&server.url()).await, make(&server.url()).await);
    let mut stream = sub.subscribe("chan".into(), 64).await.map_err(|e| format!("subscribe: {e}"))?;
    publ.publish("chan".into(), b"before".to_vec()).await.map_err(|e| format!("publish: {e}"))?;
    let got = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.map_err(|_| "nothing before the restart".to_string())?;
    assert_eq!(got.map(|(_, v)| v), Some(b"before".to_vec()));
    server.restart();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        let _ = publ.publish("chan".into(), b"after".to_vec()).await;
        if let Ok(Some((_, v))) = tokio::time::timeout(Duration::from_millis(100), stream.next()).await
            && v == b"after"
        {
            return Ok(started.elapsed());
        }
    }
    Err("no message reached the subscriber within 15 s of the restart".into())
}

#[tokio::test]
async fn driver_resubscribes_after_a_redis_restart() {
    let mut server = RedisServer::start();
    let redis_result = resumes_after_restart(&mut server, async |url: &str| {
        RedisDriver::new(&redis::Client::open(format!("{url}/?protocol=resp3")).unwrap()).await.unwrap()
    })
    .await;
    let ours = resumes_after_restart(&mut server, async |url: &str| RedisConn::connect(url).await.unwrap()).await;
    println!("socketioxide-redis's redis driver: {redis_result:?}\nRedisConn: {ours:?}");
    let took = ours.expect("RedisConn receives again after a Redis restart");
    // The heartbeat (250 ms) notices the loss and reconnect delays stay under 500 ms, so this
    // takes about a second; the bound leaves room for a loaded machine.
    assert!(took < Duration::from_secs(15), "resumed after {took:?}");
}
