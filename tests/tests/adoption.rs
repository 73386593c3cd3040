//! The README's "Depend on Switchboard today" lines work for another project: a new crate outside
//! this workspace, with those exact lines (each `git`/`rev` replaced by a `path` to this checkout,
//! as no remote is reachable offline), resolves with `cargo metadata --offline`.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

#[test]
fn readme_dependency_lines_resolve_offline() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("the checkout");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let start = readme.find("<!-- depend:start").expect("the depend:start marker");
    let end = readme.find("<!-- depend:end -->").expect("the depend:end marker");
    let block = &readme[start..end];
    let toml = block.split("```toml\n").nth(1).and_then(|b| b.split("```").next()).expect("a toml block between the markers");
    let git = r#"git = "https://github.com/<org>/switchboard", rev = "<commit>""#;
    assert_eq!(toml.matches(git).count(), 2, "both crates come from git, pinned:\n{toml}");
    let local = toml
        .replacen(git, &format!("path = {:?}", root.join("runtime")), 1)
        .replacen(git, &format!("path = {:?}", root.join("codegen")), 1);

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("adoption-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    // `[workspace]`: its own workspace, not a stray member of this one (it sits below target/).
    let manifest = format!("[package]\nname = \"my-app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n\n{local}");
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "include!(concat!(env!(\"OUT_DIR\"), \"/switchboard.rs\"));\n").unwrap();
    std::fs::write(dir.join("build.rs"), "fn main() { switchboard::Builder::new().catalogue(\"schema\").build_or_exit(); }\n").unwrap();
    // The workspace's lock: the same versions, all of them in the local registry cache.
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo).args(["metadata", "--offline", "--format-version", "1"]).current_dir(&dir).output().expect("run cargo metadata");
    assert!(out.status.success(), "cargo metadata failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let packages = meta["packages"].as_array().expect("packages");
    let id_of = |name: &str| {
        let found: Vec<&Value> = packages.iter().filter(|p| p["name"] == name).collect();
        assert_eq!(found.len(), 1, "{name} resolves to {} packages", found.len());
        found[0]["id"].as_str().expect("an id").to_string()
    };
    let runtime = id_of("switchboard-runtime");
    let _generator = id_of("switchboard");
    let tokio_majors: Vec<&str> = packages.iter().filter(|p| p["name"] == "tokio").filter_map(|p| p["version"].as_str()).collect();
    assert_eq!(tokio_majors.len(), 1, "one tokio: {tokio_majors:?}");
    let node = meta["resolve"]["nodes"].as_array().expect("nodes").iter().find(|n| n["id"] == runtime.as_str()).expect("the runtime's node");
    let features: Vec<&str> = node["features"].as_array().expect("features").iter().filter_map(Value::as_str).collect();
    assert!(features.contains(&"server") && features.contains(&"client"), "runtime features: {features:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
