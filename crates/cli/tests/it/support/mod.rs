//! Test harness: an in-process application, a real-binary runner, release roots and a load
//! generator.

pub mod binary;
pub mod load;
pub mod release;
pub mod test_app;

pub use binary::BinaryCommand;
pub use test_app::{RawConnection, TestApp, WriterLock};

/// A secret long enough for prod.
pub const GOOD_SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
