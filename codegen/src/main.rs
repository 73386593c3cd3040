//! The `switchboard` command; all logic lives in the library (`switchboard::cli`).

/// The command allocates many small strings and trees; glibc's malloc was about 40 % of
/// `switchboard generate`'s CPU at 5,000 events (see codegen/Cargo.toml).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    switchboard::cli::main()
}
