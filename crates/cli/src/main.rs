//! Entry point of the `donation_platform` binary; see the `cli` library for everything else.

/// mimalloc instead of glibc's allocator: it hands freed memory back to the system within
/// milliseconds, where glibc kept what a burst of connections had used (15,000 slow clients
/// left the process at 566 MB after they closed), and it packs the many small per-connection
/// buffers more tightly (BENCHMARKS.md, "Connection bounds and logging").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::run(std::env::args_os())
}
