//! The generated TypeScript realtime client (`generated/ts/realtime*.ts` over the runtime copied
//! from `runtime/ts/`), checked by the pinned compiler and run by Node's test runner.
//!
//! * `client_compiles_strict`: the runtime, the generated layer, the React bindings and a
//!   consumer (`tests/js/ts-client/consumer.ts`) pass `tsc --strict` with the app's settings plus
//!   `exactOptionalPropertyTypes` and the unused checks (`tests/js/tsconfig.client.json`).
//! * `readme_banner_compiles`: the README's `ConnectionStatus` banner, extracted and compiled as
//!   written (react-native's components stubbed), so the README cannot rot.
//! * `wrong_usage_fails_to_compile`: `tests/js/ts-client-fail/wrong-usage.ts` (wrong and missing
//!   payload fields, unknown events by method and wire name, wrong ack and listener fields, a
//!   wrong option) fails with exactly the errors its `// expect: TSnnnn` comments name.
//! * `core_guarantees`: `tests/js/ts-client/core.test.mjs` against a scripted socket with exact
//!   timers (backoff, queue of 100 with 150 sends, `_mid` resends, rooms before drain, token,
//!   heartbeat).
//! * `recovery_core`: `tests/js/ts-client/recovery.test.mjs`, recovery of missed events against
//!   a scripted socket with exact timers and clock (once and in order, hold-and-replay,
//!   `resync_required` for each reason, unanswered and unsupported requests).
//! * `offline_queue_of_150_against_the_rust_server`: the TS client generated for the minimal
//!   fixture (`ping`, no rate limit) against its generated Rust server: 150 sends offline, 100
//!   kept, the 50 oldest dropped and reported, the 100 acked in order and run once each.
//! * `against_the_rust_gateway`: `tests/js/ts-client/gateway.test.mjs` against an in-process
//!   gateway on `127.0.0.1:0`.
//!
//! * `against_a_node_socket_io_server`: `tests/js/ts-client/node-server.test.mjs`, the same round
//!   trips against a Node socket.io 4.8 server started in the script.
//! * `react_hooks`: `tests/js/ts-client/react.test.mjs`, the React bindings under
//!   react-test-renderer.
//! * `bundle_size_and_cpu_figures`: prints `tests/js/ts-client/bench.mjs`'s figures (esbuild
//!   bundle, minified and gzipped; client CPU per message against a bare emit, on a scripted
//!   socket and over socket.io-client to an in-process socket.io server); never fails on
//!   size or speed.
//! * `faults_through_a_proxy`: `tests/js/ts-client/faults.test.mjs` through a TCP proxy of its
//!   own (cut, black-hole) and across a gateway restart on the same port, driven through a small
//!   control port (`effects`, `stop`, `start`, one command per connection); and recovery: a
//!   member cut off while another sends gets exactly the missed messages, in order, then live.
//!
//! The client is compiled to CommonJS (`tests/js/tsconfig.emit.json`) into a scratch folder
//! under the target dir. Node and npm are required; these tests never skip.

use rez_realtime::gateway::{self, DEV_SECRET, Gateway, GatewayConfig};
use std::net::SocketAddr;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use switchboard_runtime::server::JwtHs256;
use switchboard_tests::js::{js_dir, require_harness};

/// Longest a `node --test` run may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

fn tsc() -> PathBuf {
    require_harness(Path::new(env!("CARGO_TARGET_TMPDIR")));
    js_dir().join("node_modules/.bin/tsc")
}

fn both(out: &Output) -> String {
    format!("--- stdout ---\n{}\n--- stderr ---\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The generated client compiled to CommonJS, once per process.
fn compiled() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        // Earlier runs' output goes first, so scratch folders do not pile up.
        for entry in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().starts_with("ts-client-") {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let out = tmp.join(format!("ts-client-{}", std::process::id()));
        let res = Command::new(tsc()).args(["-p", "tsconfig.emit.json", "--outDir"]).arg(&out).current_dir(js_dir()).output().expect("tsc runs");
        assert!(res.status.success(), "compiling generated/ts failed:\n{}", both(&res));
        out
    })
}

/// Runs `node --test <file>` with `env`; asserts it passed and returns the number of tests.
async fn node_test(file: &str, env: &[(&str, String)]) -> usize {
    let mut cmd = tokio::process::Command::new("node");
    cmd.args(["--test", "--test-reporter=tap", file])
        .current_dir(js_dir())
        .env("TS_CLIENT_OUT", compiled())
        .env("NODE_PATH", js_dir().join("node_modules"))
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(RUN_TIMEOUT, cmd.output()).await.unwrap_or_else(|_| panic!("{file}: no result within {RUN_TIMEOUT:?}")).expect("node runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let count = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).and_then(|n| n.trim().parse::<usize>().ok());
    assert!(out.status.success() && count("# fail ") == Some(0), "{file} failed:\n{}", both(&out));
    let passed = count("# pass ").unwrap_or(0);
    eprintln!("{file}: {passed} passed");
    passed
}

#[test]
fn client_compiles_strict() {
    let out = Command::new(tsc()).args(["-p", "tsconfig.client.json"]).current_dir(js_dir()).output().expect("tsc runs");
    assert!(out.status.success(), "tsc --strict over the generated client failed:\n{}", both(&out));
}

/// Imports only the peer dependencies and its own files, no `any`, no Node-only or DOM-only global.
#[test]
fn runtime_is_portable_and_typed() {
    let allowed: &[(&str, &[&str])] = &[
        ("realtime-core.ts", &["socket.io-client", "./realtime-recovery", "./realtime-types"]),
        ("realtime-types.ts", &["socket.io-client"]),
        ("realtime-recovery.ts", &[]),
        ("realtime.ts", &["./realtime-core", "./socket.types"]),
        ("realtime-react.ts", &["react", "./realtime"]),
    ];
    let words = |l: &str| l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$')).map(str::to_owned).collect::<Vec<_>>();
    for (name, imports) in allowed {
        let text = std::fs::read_to_string(switchboard_tests::js::repo_root().join("generated/ts").join(name)).expect("generated file");
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//") && !l.trim_start().starts_with('*')) {
            if let Some((_, from)) = line.split_once(" from '") {
                let module = from.split('\'').next().unwrap_or_default();
                assert!(imports.contains(&module), "{name} imports `{module}`: {line}");
            }
            for w in words(line) {
                assert!(
                    !["any", "window", "document", "process", "require", "Buffer", "setImmediate", "navigator"].contains(&w.as_str()),
                    "{name} uses `{w}`: {line}"
                );
            }
        }
    }
}

/// Stand-ins for react-native's components and a stylesheet: the README's banner uses them.
const BANNER_PRELUDE: &str = "import type { ReactNode } from 'react';
declare function View(props: { style?: object; children?: ReactNode }): null;
declare function Text(props: { children?: ReactNode }): null;
declare function Button(props: { title: string; onPress: () => void }): null;
declare const styles: { banner: object };
";

/// What the banner's closing comment says (provider, `useRealtimeEvent`), checked too.
const BANNER_USE: &str = "
import type { RealtimeClient } from './realtime';
import { useRealtimeEvent } from './realtime-react';
export function App({ client }: { client: RealtimeClient }) {
  return <RealtimeProvider client={client}><ConnectionStatus /><Chat /></RealtimeProvider>;
}
function Chat() {
  useRealtimeEvent('chat:message', (m) => void m.text);
  return null;
}
";

/// `tsc` over the README's `ConnectionStatus` banner (the ```tsx block after its heading line)
/// as written, with the client's strict settings; `mutate` edits the snippet first.
fn check_readme_banner(mutate: impl Fn(&str) -> String) -> Output {
    let readme = std::fs::read_to_string(switchboard_tests::js::repo_root().join("README.md")).expect("README.md");
    let after = readme.split_once("A `ConnectionStatus` banner on the hooks:").expect("the README's banner section").1;
    let snippet = after.split_once("```tsx\n").and_then(|(_, s)| s.split_once("```")).expect("a ```tsx block").0;
    assert!(snippet.contains("export function ConnectionStatus()"), "the block is not the banner:\n{snippet}");
    let generated = switchboard_tests::js::repo_root().join("generated/ts");
    let module = |name: &str| format!("'{}'", generated.join(name).display());
    let source = format!("{BANNER_PRELUDE}{}{BANNER_USE}", mutate(snippet))
        .replace("'./realtime-react'", &module("realtime-react"))
        .replace("'./realtime'", &module("realtime"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("readme-banner-{}-{}", std::process::id(), source.len()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    std::fs::write(dir.join("banner.tsx"), source).expect("write the snippet");
    let js = js_dir();
    let config = serde_json::json!({
        "extends": js.join("tsconfig.client.json"),
        "compilerOptions": { "jsx": "react-jsx", "paths": {
            "socket.io-client": [js.join("node_modules/socket.io-client")],
            "react": [js.join("node_modules/@types/react")],
            "react/jsx-runtime": [js.join("node_modules/@types/react/jsx-runtime")],
        } },
        "files": [dir.join("banner.tsx")],
    });
    std::fs::write(dir.join("tsconfig.json"), config.to_string()).expect("write tsconfig");
    let out = Command::new(tsc()).arg("-p").arg(dir.join("tsconfig.json")).args(["--pretty", "false"]).current_dir(&js).output().expect("tsc runs");
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// The README's banner compiles as written (so it cannot rot), and the check can fail.
#[test]
fn readme_banner_compiles() {
    let out = check_readme_banner(str::to_owned);
    assert!(out.status.success(), "the README's ConnectionStatus banner does not compile:\n{}", both(&out));
    let broken = check_readme_banner(|s| s.replace("state.attempt", "state.attempts"));
    assert!(!broken.status.success() && String::from_utf8_lossy(&broken.stdout).contains("error TS2551"), "a misspelt field passed:\n{}", both(&broken));
}

#[test]
fn wrong_usage_fails_to_compile() {
    let file = "ts-client-fail/wrong-usage.ts";
    let source = std::fs::read_to_string(js_dir().join(file)).expect("the expected-failure file");
    let expected: BTreeSet<(usize, String)> = source
        .lines()
        .enumerate()
        .filter_map(|(i, l)| l.split_once("// expect: ").map(|(_, code)| (i + 1, code.trim().to_string())))
        .collect();
    assert!(expected.len() >= 7, "{file} lists too few expected errors");
    let out = Command::new(tsc()).args(["-p", "tsconfig.client-fail.json"]).current_dir(js_dir()).output().expect("tsc runs");
    assert!(!out.status.success(), "tsc accepted {file}");
    // `file(line,col): error TSnnnn: ...`
    let actual: BTreeSet<(usize, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(file)?.strip_prefix('(')?;
            let (line, rest) = rest.split_once(',')?;
            let code = rest.split_once("error ")?.1.split(':').next()?;
            Some((line.parse().ok()?, code.to_string()))
        })
        .collect();
    assert_eq!(actual, expected, "errors differ from the expect comments:\n{}", both(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("error TS")).count(), expected.len(), "errors elsewhere:\n{}", both(&out));
}

#[tokio::test]
async fn core_guarantees() {
    assert_eq!(node_test("ts-client/core.test.mjs", &[]).await, 14);
}

#[tokio::test]
async fn recovery_core() {
    assert_eq!(node_test("ts-client/recovery.test.mjs", &[]).await, 13);
}

#[tokio::test]
async fn against_a_node_socket_io_server() {
    assert_eq!(node_test("ts-client/node-server.test.mjs", &[]).await, 2);
}

#[tokio::test]
async fn react_hooks() {
    assert_eq!(node_test("ts-client/react.test.mjs", &[]).await, 4);
}

#[test]
fn bundle_size_and_cpu_figures() {
    let out = Command::new("node")
        .arg("ts-client/bench.mjs")
        .current_dir(js_dir())
        .env("TS_CLIENT_OUT", compiled())
        .env("TS_CLIENT_SRC", switchboard_tests::js::repo_root().join("generated/ts"))
        .env("NODE_PATH", js_dir().join("node_modules"))
        .output()
        .expect("node runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find_map(|l| l.strip_prefix("BENCH ")).unwrap_or_else(|| panic!("no BENCH line:\n{}", both(&out)));
    let v: Value = serde_json::from_str(line).expect("BENCH is JSON");
    assert!(v["bundle_realtime"]["gzipped"].as_u64().is_some_and(|n| n > 0), "{v}");
    eprintln!("TS client figures: {v}");
}

async fn start_gateway(addr: SocketAddr) -> Gateway {
    gateway::start(GatewayConfig { addr, ..Default::default() }).await.expect("the gateway starts")
}

/// `E2E_URL` and `E2E_TOKENS` for a gateway at `addr`.
fn script_env(addr: SocketAddr) -> Vec<(&'static str, String)> {
    let tokens: serde_json::Map<String, Value> =
        ["u1", "u2", "u3"].iter().map(|u| ((*u).to_string(), Value::String(JwtHs256::mint(DEV_SECRET.as_bytes(), u, Some("customer"), 600)))).collect();
    vec![("E2E_URL", format!("http://{addr}")), ("E2E_TOKENS", Value::Object(tokens).to_string())]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_the_rust_gateway() {
    let gw = start_gateway("127.0.0.1:0".parse().unwrap()).await;
    let env = script_env(gw.addr);
    assert_eq!(node_test("ts-client/gateway.test.mjs", &env).await, 4);
    let m = gw.runtime.metrics().snapshot();
    assert_eq!(m.invalid_payloads, 0, "{m:?}");
    gw.abort();
}

/// The TS client generated for the minimal fixture, compiled to CommonJS in a scratch folder.
fn compile_minimal_client(dir: &Path) -> PathBuf {
    let fixture = switchboard_tests::js::repo_root().join("codegen/tests/fixtures/valid/minimal");
    let files = switchboard::output::load_catalogue(&fixture).expect("the minimal fixture");
    let generation = switchboard::generate(&files, &switchboard::emit::EmitOptions::default()).expect("it generates");
    let ts = dir.join("ts");
    std::fs::create_dir_all(&ts).expect("scratch dir");
    let mut names = Vec::new();
    // No React: this check needs only the client.
    for f in generation.files.iter().filter(|f| f.path.starts_with("ts/") && !f.path.ends_with("react.ts")) {
        let path = dir.join(&f.path);
        std::fs::write(&path, &f.contents).expect("write a generated file");
        names.push(path);
    }
    assert_eq!(names.len(), 5, "socket.types.ts, realtime.ts and the runtime's realtime-core.ts, -recovery.ts, -types.ts");
    let js = js_dir();
    let out = dir.join("out");
    let config = serde_json::json!({
        "compilerOptions": {
            "strict": true, "target": "es2020", "module": "commonjs", "lib": ["es2020"], "types": [], "skipLibCheck": true,
            "rootDir": ts, "outDir": out, "paths": { "socket.io-client": [js.join("node_modules/socket.io-client")] },
        },
        "files": names,
    });
    std::fs::write(dir.join("tsconfig.json"), config.to_string()).expect("write tsconfig");
    let res = Command::new(tsc()).arg("-p").arg(dir.join("tsconfig.json")).current_dir(&js).output().expect("tsc runs");
    assert!(res.status.success(), "compiling the minimal client failed:\n{}", both(&res));
    out
}

/// 150 reliable sends offline against a real Rust server: `ping` of the minimal fixture has no
/// rate limit, so all 100 queued messages drain at once; the server runs exactly those 100.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_queue_of_150_against_the_rust_server() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("minimal-client-{}", std::process::id()));
    let out = compile_minimal_client(&dir);
    let served = switchboard_tests::minimal::serve(Default::default(), None).await;
    let env = [
        ("MINIMAL_CLIENT_OUT", out.display().to_string()),
        ("E2E_URL", format!("http://{}", served.addr)),
        ("E2E_TOKEN", switchboard_tests::minimal::token("u1")),
    ];
    assert_eq!(node_test("ts-client/minimal-gateway.test.mjs", &env).await, 1);
    assert_eq!(served.handlers.runs.load(std::sync::atomic::Ordering::SeqCst), 100, "the server ran the 100 kept messages, once each");
    let m = served.rt.metrics().snapshot();
    assert_eq!((m.duplicates, m.rate_limited, m.invalid_payloads), (0, 0, 0), "{m:?}");
    served.task.abort();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Answers one command per connection: `effects` (chat c-1's stored message ids as JSON),
/// `stop` (the gateway closes every connection), `start` (a new gateway on the same address).
async fn control(listener: tokio::net::TcpListener, mut gw: Gateway) {
    let addr = gw.addr;
    while let Ok((stream, _)) = listener.accept().await {
        let (read, mut write) = stream.into_split();
        let Ok(Some(line)) = BufReader::new(read).lines().next_line().await else { continue };
        let reply = match line.trim() {
            "effects" => serde_json::to_string(&gw.backend.chat_messages("c-1")).unwrap_or_default(),
            "stop" => {
                gw.shutdown().await;
                "ok".to_string()
            }
            "start" => {
                gw = start_gateway(addr).await;
                "ok".to_string()
            }
            other => format!("unknown command {other}"),
        };
        let _ = write.write_all(format!("{reply}\n").as_bytes()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_through_a_proxy() {
    let gw = start_gateway("127.0.0.1:0".parse().unwrap()).await;
    let mut env = script_env(gw.addr);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a control port");
    env.push(("CONTROL_ADDR", listener.local_addr().expect("bound").to_string()));
    let task = tokio::spawn(control(listener, gw));
    assert_eq!(node_test("ts-client/faults.test.mjs", &env).await, 4);
    task.abort();
}
