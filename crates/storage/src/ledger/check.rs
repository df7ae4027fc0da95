//! `ledger check`: the kept balances (`account_balances`, migration 0008) against the journal
//! they are kept from. The journal is the source of truth; the kept rows are what the writer's
//! checks and `GET /api/v1/funds` read, so a row that drifted from its lines — a bug in how
//! they are kept, or an edit made in the database — would let a fund be overdrawn or misreport
//! it. This recomputes every balance from the journal (a scan of every line: minutes at
//! hundreds of millions of lines, seconds at a million) and names each difference.

use serde::Serialize;

use crate::{Database, StorageError};

/// One account and currency as both sides hold it, before comparing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Compared {
    pub account: String,
    pub currency: String,
    /// The kept balance; 0 when there is no row.
    pub kept_minor: i64,
    /// The signed sum of the account's journal lines in that currency; 0 when there are none.
    pub journal_minor: i64,
}

/// A kept balance that is not the sum of its journal lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BalanceDifference {
    /// The account code (`fund:zakat`, `asset:bank`, …).
    pub account: String,
    /// ISO 4217.
    pub currency: String,
    /// What `account_balances` holds, in minor units, debits positive (0: no row).
    pub kept_minor: i64,
    /// What the journal lines sum to, in minor units, debits positive.
    pub journal_minor: i64,
}

/// What `ledger check` found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BalanceCheck {
    /// Accounts and currencies compared: every one with a kept row or a journal line.
    pub balances_checked: u64,
    /// Each kept balance that differs from its journal, by account and currency.
    pub differences: Vec<BalanceDifference>,
}

impl BalanceCheck {
    /// Whether every kept balance equals its journal.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.differences.is_empty()
    }

    /// The verdict over rows that hold both sides of each balance.
    pub(crate) fn of(rows: Vec<Compared>) -> BalanceCheck {
        let balances_checked = u64::try_from(rows.len()).expect("a row count fits in u64");
        let differences = rows
            .into_iter()
            .filter(|row| row.kept_minor != row.journal_minor)
            .map(|row| BalanceDifference {
                account: row.account,
                currency: row.currency,
                kept_minor: row.kept_minor,
                journal_minor: row.journal_minor,
            })
            .collect();
        BalanceCheck {
            balances_checked,
            differences,
        }
    }
}

impl Database {
    /// Recomputes every account's balance from the journal and compares it with the kept one,
    /// both read in one statement (so a batch committing meanwhile is on both sides or on
    /// neither). Writes nothing.
    pub async fn ledger_check(&self) -> Result<BalanceCheck, StorageError> {
        Ok(BalanceCheck::of(self.kept_and_journal_balances().await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compared(account: &str, kept_minor: i64, journal_minor: i64) -> Compared {
        Compared {
            account: account.to_owned(),
            currency: "IDR".to_owned(),
            kept_minor,
            journal_minor,
        }
    }

    #[test]
    fn equal_balances_pass_and_are_counted() {
        let check = BalanceCheck::of(vec![
            compared("asset:bank", 1_000, 1_000),
            compared("fund:zakat", -1_000, -1_000),
        ]);
        assert!(check.is_ok());
        assert_eq!(check.balances_checked, 2);
    }

    #[test]
    fn each_difference_is_named_with_both_sides() {
        let check = BalanceCheck::of(vec![
            compared("asset:bank", 1_000, 1_000),
            compared("fund:zakat", -999_000, -1_000),
            compared("fund:amil", 0, -125),
        ]);
        assert!(!check.is_ok());
        assert_eq!(check.balances_checked, 3);
        assert_eq!(
            check.differences,
            vec![
                BalanceDifference {
                    account: "fund:zakat".to_owned(),
                    currency: "IDR".to_owned(),
                    kept_minor: -999_000,
                    journal_minor: -1_000,
                },
                BalanceDifference {
                    account: "fund:amil".to_owned(),
                    currency: "IDR".to_owned(),
                    kept_minor: 0,
                    journal_minor: -125,
                },
            ]
        );
    }

    #[test]
    fn an_empty_ledger_passes() {
        assert_eq!(BalanceCheck::of(Vec::new()), BalanceCheck::default());
    }
}
