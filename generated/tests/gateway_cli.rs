//! The `rez-gateway` binary's command line: stdout carries only results, logs go to stderr.

use std::process::Command;
use switchboard_runtime::server::JwtHs256;

#[test]
fn mint_token_prints_only_the_token_on_stdout() {
    let out = Command::new(env!("CARGO_BIN_EXE_rez-gateway"))
        .args(["--mint-token", "u1"])
        .env_remove("SWITCHBOARD_JWT_SECRET")
        .env_remove("NO_COLOR")
        .output()
        .expect("rez-gateway runs");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    // `TOKEN=$(rez-gateway --mint-token u1)` must capture exactly a token that the server accepts.
    let token = stdout.strip_suffix('\n').expect("one line");
    assert!(!token.contains('\n'), "stdout has more than the token: {stdout:?}");
    let principal = JwtHs256::new(rez_realtime::gateway::DEV_SECRET.as_bytes()).verify(token).expect("the printed token verifies");
    assert_eq!(principal.user_id, "u1");
    // The development-secret warning is still given, on stderr, without colour codes (not a terminal).
    assert!(stderr.contains("SWITCHBOARD_JWT_SECRET is not set"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "ANSI codes on a non-terminal stderr: {stderr:?}");
}
