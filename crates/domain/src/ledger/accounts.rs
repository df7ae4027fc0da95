//! Ledger accounts, journal lines and balances.

use std::fmt;

use uuid::Uuid;

use super::Fund;
use crate::{Currency, PaymentMethod};

/// A ledger account. Funds are credit-normal (a balance is what the fund holds); cash, bank
/// and the amil share receivable are assets that hold it, debit-normal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// A fund; money given for a campaign is kept in one account per campaign.
    Fund(Fund, Option<Uuid>),
    /// Cash on hand.
    Cash,
    /// Bank accounts (transfers, QRIS, virtual accounts, cards, e-wallets settle there).
    Bank,
    /// What the amil fund owes back after a reversal whose amil share it had already spent
    /// (`amil_shortfall: receivable`).
    AmilShareReceivable,
}

impl Account {
    /// The amil fund.
    pub const AMIL: Account = Account::Fund(Fund::Amil, None);

    /// The asset account money moves through for a payment method.
    #[must_use]
    pub fn for_method(method: PaymentMethod) -> Account {
        match method {
            PaymentMethod::Cash => Account::Cash,
            _ => Account::Bank,
        }
    }

    /// +1 for debit-normal accounts (assets hold the line sum), -1 for credit-normal ones
    /// (funds hold the negated sum).
    #[must_use]
    pub fn normal_sign(self) -> i128 {
        match self {
            Account::Fund(..) => -1,
            Account::Cash | Account::Bank | Account::AmilShareReceivable => 1,
        }
    }

    /// What the account holds given its signed line sum.
    #[must_use]
    pub fn held(self, line_sum: i64) -> i64 {
        match self {
            Account::Fund(..) => -line_sum,
            Account::Cash | Account::Bank | Account::AmilShareReceivable => line_sum,
        }
    }

    /// The stored code: `fund:zakat`, `fund:infak_sedekah_restricted:<campaign>`, `asset:cash`.
    #[must_use]
    pub fn code(self) -> String {
        match self {
            Account::Fund(fund, None) => format!("fund:{fund}"),
            Account::Fund(fund, Some(campaign)) => format!("fund:{fund}:{campaign}"),
            Account::Cash => "asset:cash".to_owned(),
            Account::Bank => "asset:bank".to_owned(),
            Account::AmilShareReceivable => "asset:amil_share_receivable".to_owned(),
        }
    }

    /// Parses a stored code back.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Account> {
        match code {
            "asset:cash" => return Some(Account::Cash),
            "asset:bank" => return Some(Account::Bank),
            "asset:amil_share_receivable" => return Some(Account::AmilShareReceivable),
            _ => {}
        }
        let rest = code.strip_prefix("fund:")?;
        let (fund, campaign) = match rest.split_once(':') {
            Some((fund, campaign)) => (fund, Some(campaign.parse().ok()?)),
            None => (rest, None),
        };
        Some(Account::Fund(fund.parse().ok()?, campaign))
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

/// One line of a journal entry: debits positive, credits negative, in minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// The account posted to.
    pub account: Account,
    /// Signed amount in the entry's currency's minor units.
    pub amount_minor: i64,
}

/// What an account holds (zero or negative included), for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Balance {
    /// Minor units held.
    pub minor: i64,
    /// The currency.
    pub currency: Currency,
}

impl fmt::Display for Balance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            self.currency.format_minor(self.minor),
            self.currency.code()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_codes_round_trip() {
        for account in [
            Account::Cash,
            Account::Bank,
            Account::AmilShareReceivable,
            Account::Fund(Fund::Zakat, None),
            Account::Fund(Fund::Zakat, Some(Uuid::nil())),
            Account::Fund(Fund::WakafBenefits, None),
        ] {
            assert_eq!(Account::from_code(&account.code()), Some(account));
        }
        assert_eq!(Account::from_code("asset:gold"), None);
        assert_eq!(Account::from_code("fund:zakat:not-a-uuid"), None);
    }
}
