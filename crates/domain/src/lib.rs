//! The platform's rules as pure values and functions: roles, and (as the ledger grows)
//! money, funds, donations, zakat and audit entries.
//!
//! This crate depends on nothing that does I/O — no tokio, no sqlx, no axum — so every rule
//! here can be tested in isolation and reused by the storage, web and CLI layers alike.

pub mod audit;
pub mod credentials;
pub mod decimal_text;
pub mod identity;
pub mod ledger;
pub mod money;
mod names;
pub mod npwz;
pub mod receipts;
pub mod reports;
pub mod role;
pub mod words;
pub mod zakat;

pub use ledger::{
    Account, Asnaf, DonationType, Fund, PaymentMethod, PublicPurpose, ReceiptNumber, Share,
    ShareCap,
};
pub use money::{AmountError, Currency, Money};
pub use names::UnknownName;
pub use role::Role;
