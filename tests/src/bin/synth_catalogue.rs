//! Writes a seeded synthetic catalogue for the codegen benchmarks.
//!
//! ```text
//! synth_catalogue --events N [--seed S] --out DIR
//! ```
//! Deterministic for `(N, S)`. Before writing, removes the `*.yaml` files in DIR that this tool
//! wrote earlier (they carry its marker line), so a smaller catalogue can replace a larger one;
//! other files are left alone.

use std::path::PathBuf;
use std::process::ExitCode;
use switchboard_tests::synth;

fn usage(msg: &str) -> ExitCode {
    eprintln!("synth_catalogue: {msg}\nusage: synth_catalogue --events N [--seed S] --out DIR");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut events: Option<usize> = None;
    let mut seed: u64 = 1;
    let mut out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--events" => match value("--events").map(|v| v.parse::<usize>()) {
                Ok(Ok(n)) if n > 0 => events = Some(n),
                Ok(_) => return usage("--events must be a positive integer"),
                Err(e) => return usage(&e),
            },
            "--seed" => match value("--seed").map(|v| v.parse::<u64>()) {
                Ok(Ok(s)) => seed = s,
                Ok(Err(_)) => return usage("--seed must be an unsigned integer"),
                Err(e) => return usage(&e),
            },
            "--out" => match value("--out") {
                Ok(v) => out = Some(PathBuf::from(v)),
                Err(e) => return usage(&e),
            },
            "-h" | "--help" => {
                println!("usage: synth_catalogue --events N [--seed S] --out DIR");
                return ExitCode::SUCCESS;
            }
            other => return usage(&format!("unknown argument `{other}`")),
        }
    }
    let (Some(events), Some(out)) = (events, out) else { return usage("--events and --out are required") };
    if let Err(e) = write(&out, events, seed) {
        eprintln!("synth_catalogue: {}: {e}", out.display());
        return ExitCode::from(4);
    }
    ExitCode::SUCCESS
}

fn write(out: &std::path::Path, events: usize, seed: u64) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    for entry in std::fs::read_dir(out)? {
        let p = entry?.path();
        if p.extension().is_some_and(|e| e == "yaml") && std::fs::read_to_string(&p).is_ok_and(|t| t.lines().nth(1) == Some(&format!("{}.", synth::MARKER))) {
            std::fs::remove_file(&p)?;
        }
    }
    let files = synth::catalogue(events, seed);
    let bytes: usize = files.iter().map(|f| f.text.len()).sum();
    for f in &files {
        std::fs::write(out.join(&f.name), &f.text)?;
    }
    println!("{} events in {} files ({} bytes), seed {seed}: {}", events, files.len(), bytes, out.display());
    Ok(())
}
