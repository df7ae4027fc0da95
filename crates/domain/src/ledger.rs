//! The ledger's rules (SPEC §5, reference §10): donation types and the fund each feeds, the
//! amil share, the eight asnaf, which fund may pay for what, receipt numbers, and the
//! balanced journal lines of every money movement.

use std::fmt;

use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

use crate::names::named_enum;

named_enum! {
    /// What a donation is (penerimaan), which decides the fund it feeds.
    pub enum DonationType ("donation type") {
        /// Zakat on wealth.
        ZakatMaal = "zakat_maal",
        /// Zakat on income (MUI fatwa 3/2003).
        ZakatPenghasilan = "zakat_penghasilan",
        /// Zakat al-fitr, paid before Eid.
        ZakatFitrah = "zakat_fitrah",
        /// A voluntary gift.
        Infak = "infak",
        /// Charity in general.
        Sedekah = "sedekah",
        /// An endowment.
        Wakaf = "wakaf",
        /// Bank interest, late fees and other wealth the institution may not keep.
        NonHalal = "non_halal",
    }
}

named_enum! {
    /// The funds kept apart under PSAK 109 (reference §10).
    pub enum Fund ("fund") {
        /// Zakat received, for the seven non-amil asnaf.
        Zakat = "zakat",
        /// Earmarked infak/sedekah: one account per campaign, only for its purpose.
        InfakSedekahRestricted = "infak_sedekah_restricted",
        /// General infak/sedekah, for any sharia-compliant program.
        InfakSedekahUnrestricted = "infak_sedekah_unrestricted",
        /// The amil share: operations and salaries.
        Amil = "amil",
        /// Non-halal receipts: public facilities only.
        NonHalal = "non_halal",
        /// Wakaf.
        Wakaf = "wakaf",
    }
}

named_enum! {
    /// The eight asnaf of QS At-Taubah 9:60.
    pub enum Asnaf ("asnaf") {
        /// The destitute.
        Fakir = "fakir",
        /// The poor.
        Miskin = "miskin",
        /// Those who administer zakat.
        Amil = "amil",
        /// Those whose hearts are to be reconciled.
        Mualaf = "mualaf",
        /// Those in bondage.
        Riqab = "riqab",
        /// Debtors.
        Gharimin = "gharimin",
        /// In the cause of Allah.
        FiSabilillah = "fi_sabilillah",
        /// Stranded travellers.
        IbnuSabil = "ibnu_sabil",
    }
}

named_enum! {
    /// How money came in or went out.
    pub enum PaymentMethod ("payment method") {
        /// Cash at the counter.
        Cash = "cash",
        /// A bank transfer.
        BankTransfer = "bank_transfer",
        /// QRIS (Indonesia's QR payment standard).
        Qris = "qris",
        /// A bank virtual account.
        VirtualAccount = "virtual_account",
        /// A debit or credit card.
        Card = "card",
        /// An e-wallet.
        EWallet = "e_wallet",
    }
}

impl DonationType {
    /// Whether this is one of the three kinds of zakat.
    #[must_use]
    pub fn is_zakat(self) -> bool {
        matches!(
            self,
            DonationType::ZakatMaal | DonationType::ZakatPenghasilan | DonationType::ZakatFitrah
        )
    }

    /// The fund a donation of this type feeds. Infak and sedekah for a campaign are
    /// earmarked (restricted); without one they are unrestricted. Other types keep their own
    /// fund whether or not a campaign is named (the campaign is then a reporting tag).
    #[must_use]
    pub fn fund(self, for_campaign: bool) -> Fund {
        match self {
            DonationType::ZakatMaal
            | DonationType::ZakatPenghasilan
            | DonationType::ZakatFitrah => Fund::Zakat,
            DonationType::Infak | DonationType::Sedekah if for_campaign => {
                Fund::InfakSedekahRestricted
            }
            DonationType::Infak | DonationType::Sedekah => Fund::InfakSedekahUnrestricted,
            DonationType::Wakaf => Fund::Wakaf,
            DonationType::NonHalal => Fund::NonHalal,
        }
    }
}

/// A ledger account. Funds are credit-normal (a balance is what the fund holds); cash and bank
/// are the assets that hold it, debit-normal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Account {
    /// A fund; restricted funds have one account per campaign.
    Fund(Fund, Option<Uuid>),
    /// Cash on hand.
    Cash,
    /// Bank accounts (transfers, QRIS, virtual accounts, cards, e-wallets settle there).
    Bank,
}

impl Account {
    /// The asset account money moves through for a payment method.
    #[must_use]
    pub fn for_method(method: PaymentMethod) -> Account {
        match method {
            PaymentMethod::Cash => Account::Cash,
            _ => Account::Bank,
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
        }
    }

    /// Parses a stored code back.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Account> {
        match code {
            "asset:cash" => return Some(Account::Cash),
            "asset:bank" => return Some(Account::Bank),
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

/// One line of a journal entry: debits positive, credits negative, in minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// The account posted to.
    pub account: Account,
    /// Signed amount in the entry's currency's minor units.
    pub amount_minor: i64,
}

/// The lines of a donation: the asset receives the amount, the fund holds it, and for zakat the
/// amil share moves on from the zakat fund to the amil fund (reference §10).
#[must_use]
pub fn donation_lines(
    asset: Account,
    fund: Account,
    amount_minor: i64,
    amil_share_minor: i64,
) -> Vec<Line> {
    let mut lines = vec![
        Line {
            account: asset,
            amount_minor,
        },
        Line {
            account: fund,
            amount_minor: -amount_minor,
        },
    ];
    if amil_share_minor > 0 {
        lines.push(Line {
            account: fund,
            amount_minor: amil_share_minor,
        });
        lines.push(Line {
            account: Account::Fund(Fund::Amil, None),
            amount_minor: -amil_share_minor,
        });
    }
    assert_balanced(&lines);
    lines
}

/// The lines that reverse `amount_minor` of a donation (void or refund), of which
/// `amil_share_minor` comes back from the amil fund.
#[must_use]
pub fn reversal_lines(
    asset: Account,
    fund: Account,
    amount_minor: i64,
    amil_share_minor: i64,
) -> Vec<Line> {
    donation_lines(asset, fund, amount_minor, amil_share_minor)
        .into_iter()
        .map(|line| Line {
            amount_minor: -line.amount_minor,
            ..line
        })
        .collect()
}

/// The lines of a distribution: the fund gives, the asset pays out.
#[must_use]
pub fn distribution_lines(fund: Account, asset: Account, amount_minor: i64) -> Vec<Line> {
    let lines = vec![
        Line {
            account: fund,
            amount_minor,
        },
        Line {
            account: asset,
            amount_minor: -amount_minor,
        },
    ];
    assert_balanced(&lines);
    lines
}

/// Every entry balances; an unbalanced one is a bug, never user input.
fn assert_balanced(lines: &[Line]) {
    let sum: i128 = lines.iter().map(|line| i128::from(line.amount_minor)).sum();
    assert_eq!(sum, 0, "journal entry does not balance: {lines:?}");
}

/// The share of zakat that goes to the amil fund, in basis points (1/100 of a percent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AmilShare(u16);

/// Why an amil share setting was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmilShareError {
    /// Not a percentage like `12.5`.
    #[error("`{0}` is not a percentage such as `12.5` (at most two decimals)")]
    NotAPercentage(String),
    /// Above the 1/8 the amil asnaf may take (MUI fatwa 8/2011).
    #[error("the amil share may be at most 12.5 % (one of eight asnaf, MUI fatwa 8/2011)")]
    AboveOneEighth,
}

impl AmilShare {
    /// 12.5 %, one eighth: the default and the maximum.
    pub const MAX: AmilShare = AmilShare(1250);

    /// Parses a percentage with at most two decimals (`12.5`, `10`, `0`).
    pub fn parse_percent(text: &str) -> Result<AmilShare, AmilShareError> {
        let bad = || AmilShareError::NotAPercentage(text.chars().take(32).collect());
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (!fraction.is_empty() && !digits(fraction)) || fraction.len() > 2 {
            return Err(bad());
        }
        let whole: u16 = whole.parse().map_err(|_| bad())?;
        let fraction: u16 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
        let basis_points = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(fraction))
            .ok_or_else(bad)?;
        if basis_points > AmilShare::MAX.0 {
            return Err(AmilShareError::AboveOneEighth);
        }
        Ok(AmilShare(basis_points))
    }

    /// The share in basis points.
    #[must_use]
    pub fn basis_points(self) -> u16 {
        self.0
    }

    /// The share of `amount_minor`, rounded down: what is not taken stays with the recipients.
    #[must_use]
    pub fn of(self, amount_minor: i64) -> i64 {
        let share = i128::from(amount_minor) * i128::from(self.0) / 10_000;
        i64::try_from(share).expect("a share is smaller than the amount")
    }
}

impl fmt::Display for AmilShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// How much of a donation's amil share a reversal takes back, so that reversing the whole
/// amount in any number of steps takes back exactly the whole share: the share is spread over
/// the amount cumulatively, rounding down at each step.
#[must_use]
pub fn reversed_amil_share(
    amount_minor: i64,
    share_minor: i64,
    reversed_before: i64,
    reversing: i64,
) -> i64 {
    let cumulative = |reversed: i64| {
        i64::try_from(i128::from(share_minor) * i128::from(reversed) / i128::from(amount_minor))
            .expect("part of a share fits in i64")
    };
    cumulative(reversed_before + reversing) - cumulative(reversed_before)
}

/// Why a distribution is not allowed from a fund (reference §10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DistributionRule {
    /// The zakat fund pays the amil only through the automatic amil share.
    #[error(
        "the zakat fund pays the amil only through the amil share; use the `amil` fund for amil operations"
    )]
    ZakatToAmil,
    /// Non-halal money never pays for amil operations.
    #[error("non-halal funds may never pay for amil operations; use them for public facilities")]
    NonHalalToAmil,
    /// A restricted fund is for its campaign's purpose only.
    #[error(
        "restricted funds may only be used for their campaign's purpose: give the `campaign_id` the money was given for"
    )]
    RestrictedWithoutCampaign,
    /// Only restricted funds are kept per campaign.
    #[error(
        "only the `infak_sedekah_restricted` fund is kept per campaign: leave out `campaign_id` or use that fund"
    )]
    CampaignOnUnrestrictedFund,
}

/// Checks that `fund` may pay a recipient of `asnaf` (for `campaign`, if any), and names the
/// account the money comes from.
pub fn distribution_account(
    fund: Fund,
    campaign: Option<Uuid>,
    asnaf: Asnaf,
) -> Result<Account, DistributionRule> {
    match (fund, campaign, asnaf) {
        (Fund::Zakat, _, Asnaf::Amil) => Err(DistributionRule::ZakatToAmil),
        (Fund::NonHalal, _, Asnaf::Amil) => Err(DistributionRule::NonHalalToAmil),
        (Fund::InfakSedekahRestricted, None, _) => Err(DistributionRule::RestrictedWithoutCampaign),
        (Fund::InfakSedekahRestricted, Some(campaign), _) => {
            Ok(Account::Fund(fund, Some(campaign)))
        }
        (_, Some(_), _) => Err(DistributionRule::CampaignOnUnrestrictedFund),
        (_, None, _) => Ok(Account::Fund(fund, None)),
    }
}

/// Receipts are numbered per calendar year in Western Indonesian Time (WIB, UTC+7), where the
/// institutions this serves keep their books. A donation recorded at 23:30 WIB on 31 December
/// belongs to that year's series, not the next.
pub const RECEIPT_YEAR_OFFSET: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("UTC+7 is a valid offset"),
};

/// A receipt number: a serial without gaps within its calendar year (reference §11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReceiptNumber {
    /// The calendar year of the series.
    pub year: i32,
    /// 1, 2, 3, … within the year.
    pub serial: i64,
}

impl ReceiptNumber {
    /// The year whose series a donation recorded at `recorded_at` joins.
    #[must_use]
    pub fn year_of(recorded_at: OffsetDateTime) -> i32 {
        recorded_at.to_offset(RECEIPT_YEAR_OFFSET).year()
    }
}

/// Text that is not a receipt number `YYYY-NNNNNN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a receipt number: write `YYYY-NNNNNN`, e.g. `2026-000042`")]
pub struct NotAReceiptNumber;

impl std::str::FromStr for ReceiptNumber {
    type Err = NotAReceiptNumber;

    /// The inverse of `Display`: a four-digit year, a dash, a serial of six or more digits.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (year, serial) = text.split_once('-').ok_or(NotAReceiptNumber)?;
        let digits = |part: &str, min: usize, max: usize| {
            (min..=max).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(year, 4, 4) || !digits(serial, 6, 18) {
            return Err(NotAReceiptNumber);
        }
        Ok(ReceiptNumber {
            year: year.parse().map_err(|_| NotAReceiptNumber)?,
            serial: serial.parse().map_err(|_| NotAReceiptNumber)?,
        })
    }
}

impl fmt::Display for ReceiptNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:06}", self.year, self.serial)
    }
}

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
    /// After the lines, a fund would hold less than nothing.
    #[error(
        "the lines take `{account}` below zero: it would hold {balance_minor} {currency} (minor units)"
    )]
    FundBelowZero {
        /// The fund's account code.
        account: String,
        /// The currency.
        currency: String,
        /// What the fund would hold, in minor units (negative).
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
/// it is written: every entry balances in each currency, and no fund the lines touch ends
/// below zero. `balance_before(account, currency)` is the signed line sum the database held
/// before the batch (funds are credit-normal: a fund holds the negated sum), 0 for an account
/// whose balance was not read: the batch then only credits it, as a donation does.
///
/// The planner refuses a request that would overdraw a fund (`InsufficientFunds`, a user
/// error); this is the other half of the pair, over the batch's rows as they will be stored,
/// and the test suite's teardown checks the same over the whole journal read back. Asset
/// accounts are not checked one by one: moving money between cash and bank is outside this
/// ledger, so a distribution paid by transfer from cash donations takes `asset:bank` below
/// zero by design; their total per currency equals the funds' total, which follows from the
/// two checks here.
pub fn check_postings(
    postings: &[Posting<'_>],
    balance_before: impl Fn(&str, &str) -> i64,
) -> Result<(), Violation> {
    use std::collections::BTreeMap;
    let mut entries: BTreeMap<(Uuid, &str), i128> = BTreeMap::new();
    let mut funds: BTreeMap<(&str, &str), i128> = BTreeMap::new();
    for posting in postings {
        *entries
            .entry((posting.entry, posting.currency))
            .or_default() += i128::from(posting.amount_minor);
        match Account::from_code(posting.account) {
            Some(Account::Fund(..)) => {
                *funds
                    .entry((posting.account, posting.currency))
                    .or_default() += i128::from(posting.amount_minor);
            }
            Some(Account::Cash | Account::Bank) => {}
            None => {
                return Err(Violation::UnknownAccount {
                    entry: posting.entry,
                    account: posting.account.to_owned(),
                });
            }
        }
    }
    if let Some(((entry, currency), sum)) = entries.into_iter().find(|(_, sum)| *sum != 0) {
        return Err(Violation::Unbalanced {
            entry,
            currency: currency.to_owned(),
            sum_minor: sum,
        });
    }
    for ((account, currency), delta) in funds {
        let held = -(i128::from(balance_before(account, currency)) + delta);
        if held < 0 {
            return Err(Violation::FundBelowZero {
                account: account.to_owned(),
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

    #[test]
    fn zakat_feeds_the_zakat_fund_and_campaign_gifts_are_restricted() {
        assert_eq!(DonationType::ZakatFitrah.fund(true), Fund::Zakat);
        assert_eq!(DonationType::Infak.fund(true), Fund::InfakSedekahRestricted);
        assert_eq!(
            DonationType::Sedekah.fund(false),
            Fund::InfakSedekahUnrestricted
        );
        assert_eq!(DonationType::NonHalal.fund(false), Fund::NonHalal);
    }

    #[test]
    fn a_zakat_donation_moves_the_amil_share_and_balances() {
        let lines = donation_lines(
            Account::Bank,
            Account::Fund(Fund::Zakat, None),
            1_000_000,
            125_000,
        );
        let zakat: i64 = lines
            .iter()
            .filter(|l| l.account == Account::Fund(Fund::Zakat, None))
            .map(|l| l.amount_minor)
            .sum();
        assert_eq!(zakat, -875_000);
        assert_eq!(lines.iter().map(|l| l.amount_minor).sum::<i64>(), 0);
    }

    #[test]
    fn the_amil_share_is_at_most_one_eighth_and_rounds_down() {
        assert_eq!(AmilShare::parse_percent("12.5"), Ok(AmilShare::MAX));
        assert_eq!(
            AmilShare::parse_percent("12.51"),
            Err(AmilShareError::AboveOneEighth)
        );
        assert_eq!(AmilShare::parse_percent("10").unwrap().basis_points(), 1000);
        assert!(AmilShare::parse_percent("1.234").is_err());
        assert!(AmilShare::parse_percent("-1").is_err());
        assert!(AmilShare::parse_percent("").is_err());
        assert_eq!(AmilShare::MAX.of(100_001), 12_500);
        assert_eq!(AmilShare::MAX.to_string(), "12.50");
    }

    #[test]
    fn reversing_in_parts_takes_back_exactly_the_whole_share() {
        let (amount, share) = (1_000_003, AmilShare::MAX.of(1_000_003));
        let mut reversed = 0;
        let mut share_back = 0;
        for part in [333_333, 1, 400_000, 266_669] {
            share_back += reversed_amil_share(amount, share, reversed, part);
            reversed += part;
        }
        assert_eq!(reversed, amount);
        assert_eq!(share_back, share);
    }

    #[test]
    fn distribution_rules_follow_the_funds_table() {
        let campaign = Uuid::nil();
        assert_eq!(
            distribution_account(Fund::Zakat, None, Asnaf::Amil),
            Err(DistributionRule::ZakatToAmil)
        );
        assert_eq!(
            distribution_account(Fund::NonHalal, None, Asnaf::Amil),
            Err(DistributionRule::NonHalalToAmil)
        );
        assert_eq!(
            distribution_account(Fund::InfakSedekahRestricted, None, Asnaf::Fakir),
            Err(DistributionRule::RestrictedWithoutCampaign)
        );
        assert_eq!(
            distribution_account(Fund::InfakSedekahRestricted, Some(campaign), Asnaf::Fakir),
            Ok(Account::Fund(Fund::InfakSedekahRestricted, Some(campaign)))
        );
        assert_eq!(
            distribution_account(Fund::Zakat, None, Asnaf::Miskin),
            Ok(Account::Fund(Fund::Zakat, None))
        );
        assert_eq!(
            distribution_account(Fund::Amil, None, Asnaf::Amil),
            Ok(Account::Fund(Fund::Amil, None))
        );
    }

    #[test]
    fn account_codes_round_trip() {
        for account in [
            Account::Cash,
            Account::Bank,
            Account::Fund(Fund::Zakat, None),
            Account::Fund(Fund::InfakSedekahRestricted, Some(Uuid::nil())),
        ] {
            assert_eq!(Account::from_code(&account.code()), Some(account));
        }
    }

    #[test]
    fn receipt_years_turn_at_midnight_in_jakarta() {
        let late_december_utc = time::macros::datetime!(2026-12-31 16:59:59 UTC);
        let new_year_in_jakarta = time::macros::datetime!(2026-12-31 17:00:00 UTC);
        assert_eq!(ReceiptNumber::year_of(late_december_utc), 2026);
        assert_eq!(ReceiptNumber::year_of(new_year_in_jakarta), 2027);
        assert_eq!(
            ReceiptNumber {
                year: 2026,
                serial: 42
            }
            .to_string(),
            "2026-000042"
        );
    }

    #[test]
    fn unknown_names_list_the_choices() {
        let err = "zakat".parse::<DonationType>().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unknown donation type `zakat`: use one of `zakat_maal`"),
            "{err}"
        );
    }

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
    fn the_lines_of_every_money_movement_pass_the_invariants() {
        let entry = Uuid::nil();
        let zakat = Account::Fund(Fund::Zakat, None);
        let mut all = donation_lines(Account::Cash, zakat, 1_000_000, 125_000);
        all.extend(distribution_lines(zakat, Account::Bank, 875_000));
        let codes: Vec<(String, i64)> = all
            .iter()
            .map(|line| (line.account.code(), line.amount_minor))
            .collect();
        let lines: Vec<(&str, i64)> = codes.iter().map(|(c, a)| (c.as_str(), *a)).collect();
        assert_eq!(check_postings(&postings(entry, &lines), |_, _| 0), Ok(()));
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
        // Balanced in sum but not per currency.
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
        assert_eq!(
            check_postings(&postings(entry, &pay), |_, _| 0),
            Err(Violation::FundBelowZero {
                account: "fund:zakat".to_owned(),
                currency: "IDR".to_owned(),
                balance_minor: -500
            })
        );
        let held = |account: &str, _: &str| if account == "fund:zakat" { -500 } else { 0 };
        assert_eq!(check_postings(&postings(entry, &pay), held), Ok(()));
        let held_less = |account: &str, _: &str| if account == "fund:zakat" { -499 } else { 0 };
        assert!(check_postings(&postings(entry, &pay), held_less).is_err());
    }

    #[test]
    fn an_asset_account_may_go_below_zero_alone_but_an_unknown_account_may_not_be_posted() {
        let entry = Uuid::from_u128(9);
        let in_cash_out_by_bank = [
            ("asset:cash", 1000),
            ("fund:wakaf", -1000),
            ("fund:wakaf", 1000),
            ("asset:bank", -1000),
        ];
        assert_eq!(
            check_postings(&postings(entry, &in_cash_out_by_bank), |_, _| 0),
            Ok(())
        );
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
