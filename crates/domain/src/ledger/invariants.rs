//! The journal's invariants over the rows a batch is about to store: the last line of defence
//! behind [`Books`](super::Books), which refuses a change that would break them.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::Account;

/// A broken invariant of the journal: a bug in the code that planned it, never user input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// An entry's lines in one currency do not sum to zero.
    #[error("journal entry `{entry}` does not balance in {currency}: its lines sum to {sum_minor}")]
    Unbalanced {
        /// The entry.
        entry: Uuid,
        /// The currency whose lines do not cancel out.
        currency: String,
        /// What they sum to, in minor units (debits positive).
        sum_minor: i128,
    },
    /// After the lines, a fund or an asset would hold less than nothing.
    #[error(
        "the lines take `{account}` below zero: it would hold {balance_minor} {currency} (minor units)"
    )]
    BelowZero {
        /// The account's code.
        account: String,
        /// The currency.
        currency: String,
        /// What the account would hold, in minor units (negative).
        balance_minor: i128,
    },
    /// A line posts to an account code that names no account.
    #[error("a line of journal entry `{entry}` posts to `{account}`, which is no account")]
    UnknownAccount {
        /// The entry.
        entry: Uuid,
        /// The code.
        account: String,
    },
}

/// One journal line as it is about to be stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Posting<'a> {
    /// The entry it belongs to.
    pub entry: Uuid,
    /// The account's stored code (see [`Account::code`]).
    pub account: &'a str,
    /// The entry's currency code.
    pub currency: &'a str,
    /// Signed amount in minor units: debits positive, credits negative.
    pub amount_minor: i64,
}

/// Checks the ledger's invariants over the lines a batch is about to write, before a row of
/// it is written: every entry balances in each currency, and no account the lines take money
/// from ends below zero — funds (credit-normal: a fund holds the negated line sum) and cash,
/// bank and receivables (debit-normal: they hold the line sum). `balance_before(account,
/// currency)` is the signed line sum the database held before the batch, 0 for an account
/// whose balance was not read: the batch then only adds to it, as a donation does.
///
/// An account the batch only adds to is not judged: books written before these rules (when
/// a transfer could take `asset:bank` below zero) stay writable.
pub fn check_postings(
    postings: &[Posting<'_>],
    balance_before: impl Fn(&str, &str) -> i64,
) -> Result<(), Violation> {
    let mut entries: BTreeMap<(Uuid, &str), i128> = BTreeMap::new();
    let mut accounts: BTreeMap<(&str, &str), (Account, i128)> = BTreeMap::new();
    for posting in postings {
        *entries
            .entry((posting.entry, posting.currency))
            .or_default() += i128::from(posting.amount_minor);
        let account =
            Account::from_code(posting.account).ok_or_else(|| Violation::UnknownAccount {
                entry: posting.entry,
                account: posting.account.to_owned(),
            })?;
        accounts
            .entry((posting.account, posting.currency))
            .or_insert((account, 0))
            .1 += i128::from(posting.amount_minor);
    }
    if let Some(((entry, currency), sum)) = entries.into_iter().find(|(_, sum)| *sum != 0) {
        return Err(Violation::Unbalanced {
            entry,
            currency: currency.to_owned(),
            sum_minor: sum,
        });
    }
    for ((code, currency), (account, delta)) in accounts {
        let sign = account.normal_sign();
        let taken = -sign * delta;
        let held = sign * (i128::from(balance_before(code, currency)) + delta);
        if taken > 0 && held < 0 {
            return Err(Violation::BelowZero {
                account: code.to_owned(),
                currency: currency.to_owned(),
                balance_minor: held,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn postings<'a>(entry: Uuid, lines: &'a [(&'a str, i64)]) -> Vec<Posting<'a>> {
        lines
            .iter()
            .map(|&(account, amount_minor)| Posting {
                entry,
                account,
                currency: "IDR",
                amount_minor,
            })
            .collect()
    }

    #[test]
    fn an_entry_that_does_not_balance_is_a_violation() {
        let entry = Uuid::from_u128(7);
        let lines = [("asset:cash", 1000), ("fund:zakat", -999)];
        assert_eq!(
            check_postings(&postings(entry, &lines), |_, _| 0),
            Err(Violation::Unbalanced {
                entry,
                currency: "IDR".to_owned(),
                sum_minor: 1
            })
        );
        let mut mixed = postings(entry, &[("asset:cash", 1000), ("fund:zakat", -1000)]);
        mixed[1].currency = "USD";
        assert!(matches!(
            check_postings(&mixed, |_, _| 0),
            Err(Violation::Unbalanced { .. })
        ));
    }

    #[test]
    fn a_fund_taken_below_zero_is_a_violation_counting_what_it_held_before() {
        let entry = Uuid::from_u128(8);
        let pay = [("fund:zakat", 500), ("asset:bank", -500)];
        let bank_holds = |held: i64| {
            move |account: &str, _: &str| match account {
                "fund:zakat" => -held,
                "asset:bank" => 10_000,
                _ => 0,
            }
        };
        assert_eq!(
            check_postings(&postings(entry, &pay), bank_holds(0)),
            Err(Violation::BelowZero {
                account: "fund:zakat".to_owned(),
                currency: "IDR".to_owned(),
                balance_minor: -500
            })
        );
        assert_eq!(
            check_postings(&postings(entry, &pay), bank_holds(500)),
            Ok(())
        );
        assert!(check_postings(&postings(entry, &pay), bank_holds(499)).is_err());
    }

    #[test]
    fn cash_and_bank_may_not_pay_out_more_than_they_hold() {
        let entry = Uuid::from_u128(9);
        let in_cash_out_by_bank = [
            ("asset:cash", 1000),
            ("fund:wakaf_benefits", -1000),
            ("fund:wakaf_benefits", 1000),
            ("asset:bank", -1000),
        ];
        assert_eq!(
            check_postings(&postings(entry, &in_cash_out_by_bank), |_, _| 0),
            Err(Violation::BelowZero {
                account: "asset:bank".to_owned(),
                currency: "IDR".to_owned(),
                balance_minor: -1000
            })
        );
        // A bank already below zero (books from before the rule) may still receive.
        let receive = [("asset:bank", 1000), ("fund:zakat", -1000)];
        assert_eq!(
            check_postings(&postings(entry, &receive), |account, _| {
                if account == "asset:bank" { -5000 } else { 0 }
            }),
            Ok(())
        );
    }

    #[test]
    fn an_unknown_account_may_not_be_posted() {
        let entry = Uuid::from_u128(10);
        assert_eq!(
            check_postings(
                &postings(entry, &[("asset:gold", 1), ("fund:zakat", -1)]),
                |_, _| 0
            ),
            Err(Violation::UnknownAccount {
                entry,
                account: "asset:gold".to_owned()
            })
        );
    }
}
