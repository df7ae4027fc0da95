//! Entry point of the `donation_platform` binary; see the `cli` library for everything else.

fn main() -> std::process::ExitCode {
    cli::run(std::env::args_os())
}
