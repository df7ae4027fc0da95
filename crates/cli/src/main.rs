//! Entry point of the `donation_platform` binary; see the `cli` library for everything else.

/// mimalloc instead of glibc's allocator: it hands freed memory back to the system, where glibc
/// kept what a burst of connections had used (15,000 slow clients left the process at 566 MB
/// after they closed). Built without transparent huge pages (the `no_thp` feature): with them,
/// mimalloc's arenas were backed by 2 MiB pages, which doubled the resident memory of an idle
/// server (29 → 15 MiB without) and added ~20 MiB with 5,000 idle connections (BENCHMARKS.md,
/// "Connection bounds and logging").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::run(std::env::args_os())
}
