//! PSAK 109 statements (reference §10; PSAK 109, renumbered PSAK 409) as pure functions over
//! what storage sums with `GROUP BY` for a period: the statement of changes in funds (one
//! column per fund), the statement of financial position, collections by type, campaign and
//! month, and distributions by asnaf, purpose and program.
//!
//! Storage hands over the kept balance of every account (`account_balances`, moved with the
//! journal in the same transaction) and the journal's movements since the period began,
//! summed per entry kind, detail (donation type, asnaf or purpose), account and direction, and
//! split into those within the period and those after it. A balance at the end of the period
//! is the kept balance less what moved after it; at its start, less what moved within it too.
//! Each movement is dated by what it books: a donation or wakaf benefit by the day it was
//! received, a distribution by the day it was paid, a void or refund by the day (WIB) it was
//! recorded.
//!
//! Broken invariants are assertions (STYLE: a bug, never a user error): every column closes at
//! its opening plus what came in less what went out, and the funds total what the assets hold.

mod statements;
#[cfg(test)]
mod tests;

pub use statements::{
    ChangesInFunds, CollectionSum, Collections, CollectionsRow, DistributionSum,
    DistributionsReport, DistributionsRow, FUND_COLUMNS, FinancialPosition, FundColumn, Line,
    MovementSum, StatementRow, Totals, Use, When, changes_in_funds, collections, distributions,
    financial_position,
};

use time::Date;

/// The days a report covers, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    from: Date,
    to: Date,
}

/// A period whose start is after its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("is after `to` ({to}): a period runs from `from` to `to`, both included")]
pub struct FromAfterTo {
    /// The end given.
    pub to: Date,
}

impl Period {
    /// From `from` to `to`, both included.
    pub fn new(from: Date, to: Date) -> Result<Period, FromAfterTo> {
        if from > to {
            return Err(FromAfterTo { to });
        }
        Ok(Period { from, to })
    }

    /// The first day.
    #[must_use]
    pub fn from(self) -> Date {
        self.from
    }

    /// The last day.
    #[must_use]
    pub fn to(self) -> Date {
        self.to
    }
}
