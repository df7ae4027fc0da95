//! Test harness: an in-process application and a real-binary runner.

pub mod binary;
pub mod test_app;

pub use binary::BinaryCommand;
pub use test_app::{RawConnection, TestApp, WriterLock};

/// A secret long enough for prod.
pub const GOOD_SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
