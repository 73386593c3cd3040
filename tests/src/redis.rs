//! A real `redis-server` for tests: started on a free loopback port with no persistence, and
//! stopped, killed or restarted on the same port by the test.
//!
//! A missing `redis-server` fails the test (with the install command), it never skips.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process; killed when dropped.
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts `redis-server` on a free port and waits until it answers.
    pub fn start() -> Self {
        // Bind then release: the port is free now, and the kernel will not hand it out again at once.
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free loopback port").port();
        let mut s = Self { port, child: None };
        s.spawn();
        s
    }

    /// `redis://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (SIGKILL: no goodbye to the clients) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the server again on the same port (empty: nothing is persisted).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Starts a killed server again on the same port (empty); a running one is left alone.
    pub fn revive(&mut self) {
        if self.child.is_none() {
            self.spawn();
        }
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run `redis-server` ({e}); install it: apt-get install -y redis-server (tests that need Redis fail without it)")
            });
        self.child = Some(child);
        // Bounded: a server that does not answer within 10 s fails the test.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not listen on port {} within 10 s", self.port);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A demo gateway on `127.0.0.1:0` on `redis` (one of several nodes sharing it).
pub async fn node(redis: &RedisServer) -> rez_realtime::gateway::Gateway {
    use rez_realtime::gateway::{self, GatewayConfig};
    let config = GatewayConfig { addr: "127.0.0.1:0".parse().unwrap(), redis_url: Some(redis.url()), ..GatewayConfig::default() };
    gateway::start(config).await.expect("a gateway starts on Redis")
}
