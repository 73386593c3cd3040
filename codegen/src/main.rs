//! The `switchboard` command; all logic lives in the library (`switchboard::cli`).

fn main() -> std::process::ExitCode {
    switchboard::cli::main()
}
