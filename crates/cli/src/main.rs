//! Entry point of the `donation_platform` binary; see the `cli` library for everything else.

/// mimalloc instead of glibc's allocator: it hands freed memory back to the system, where glibc
/// kept what a burst of connections had used (15,000 slow clients left the process at 566 MB
/// after they closed; 5,000 idle ones: 113 MiB, still 113 MiB after they closed, against
/// mimalloc's 177 MiB falling to 82 MiB within 15 s). It costs more per idle connection
/// (BENCHMARKS.md, "Connection bounds and logging"); memory that comes back was the priority.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::run(std::env::args_os())
}
