//! Test harness: an in-process application, a real-binary runner and release roots (the load
//! generator is `bench/loadgen`, shared with the benchmarks).

pub mod binary;
pub mod release;
pub mod test_app;

pub use binary::BinaryCommand;
pub use test_app::{RawConnection, TestApp, WriterLock};

/// A secret long enough for prod.
pub const GOOD_SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
