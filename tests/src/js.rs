//! The pinned npm harness in `tests/js`, shared by every test that runs Node (tsc, the
//! socket.io-client end-to-end tests, the socket.io interop tests).

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// `tests/js`.
pub fn js_dir() -> PathBuf {
    repo_root().join("tests/js")
}

/// Panics with an install hint when `tool --version` does not run: these tests never skip.
pub fn require_tool(tool: &str) {
    match std::process::Command::new(tool).arg("--version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!("`{tool} --version` failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr)),
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "`{tool}` is not installed: these tests run the real TypeScript compiler, socket.io-client and \
             socket.io from npm and need Node.js and npm (e.g. `apt-get install -y nodejs npm`). They do not skip."
        ),
        Err(e) => panic!("cannot run `{tool}`: {e}"),
    }
}

/// Why `tests/js/node_modules` does not hold exactly the versions `package.json` pins, or None.
pub fn stale_node_modules(js: &Path) -> Option<String> {
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(js.join("package.json")).ok()?).ok()?;
    let mut pins: Vec<(String, String)> = Vec::new();
    for section in ["dependencies", "devDependencies"] {
        if let Some(deps) = manifest[section].as_object() {
            pins.extend(deps.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))));
        }
    }
    for (name, pinned) in pins {
        let installed = js.join("node_modules").join(&name).join("package.json");
        let Ok(text) = std::fs::read_to_string(&installed) else {
            return Some(format!("{name} is not installed"));
        };
        let version = serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| v["version"].as_str().map(str::to_owned)).unwrap_or_default();
        if version != pinned {
            return Some(format!("{name} {version} is installed, package.json pins {pinned}"));
        }
    }
    None
}

/// Makes sure (once per process) that Node runs and the pinned packages are installed, running
/// `npm ci` under a file lock in `lock_dir` (test binaries run in parallel) when they are not.
pub fn require_harness(lock_dir: &Path) {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        require_tool("node");
        let js = js_dir();
        let Some(reason) = stale_node_modules(&js) else { return };
        std::fs::create_dir_all(lock_dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", lock_dir.display()));
        let lock_path = lock_dir.join("switchboard-js-harness.lock");
        let lock = std::fs::File::create(&lock_path).unwrap_or_else(|e| panic!("cannot create {}: {e}", lock_path.display()));
        lock.lock().unwrap_or_else(|e| panic!("cannot lock {}: {e}", lock_path.display()));
        if stale_node_modules(&js).is_some() {
            eprintln!("tests/js: {reason}; running `npm ci`");
            require_tool("npm");
            let out = std::process::Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&js)
                .output()
                .unwrap_or_else(|e| panic!("cannot run `npm ci` in {}: {e}", js.display()));
            assert!(
                out.status.success(),
                "`npm ci` in {} failed ({}):\n{}\n{}",
                js.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            if let Some(reason) = stale_node_modules(&js) {
                panic!("tests/js/node_modules is still not as pinned after `npm ci`: {reason}");
            }
        }
        drop(lock);
    });
}
