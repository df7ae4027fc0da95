//! The statements themselves: classifying summed journal movements into a statement's rows and
//! columns, and rolling collections and distributions up by what they are reported by.

use std::collections::BTreeMap;

use time::Date;
use uuid::Uuid;

use super::Period;
use crate::ledger::Account;
use crate::{Asnaf, DonationType, Fund, PublicPurpose};

/// The statement of changes in funds has one column per fund, in [`Fund::ALL`]'s order; a
/// campaign's restricted account is summed into its fund's column.
pub const FUND_COLUMNS: usize = Fund::ALL.len();

/// Whether a movement falls within the report's period or after it (movements before it are
/// never read: the opening balance is the kept balance less what moved since).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// On a day of the period.
    Within,
    /// After the period's last day.
    After,
}

/// Journal lines summed by what booked them, as storage's `GROUP BY` gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovementSum {
    /// The journal entry's kind: `donation`, `void`, `refund`, `distribution`,
    /// `wakaf_benefit`.
    pub kind: String,
    /// The donation's type (donations and their reversals), the asnaf or public purpose paid
    /// (distributions); empty for wakaf benefits.
    pub detail: String,
    /// The account the lines post to.
    pub account: Account,
    /// Whether these are the credit lines (negative amounts) or the debit lines.
    pub credit: bool,
    /// Within the period or after it.
    pub when: When,
    /// The signed sum of the lines, minor units of IDR, debits positive.
    pub sum_minor: i64,
}

/// What a distribution paid for: one of the asnaf, or (non-halal money) a public purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Use {
    /// To one of the eight asnaf.
    Asnaf(Asnaf),
    /// For a public-interest purpose.
    Purpose(PublicPurpose),
}

impl Use {
    /// The asnaf's or purpose's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Use::Asnaf(asnaf) => asnaf.as_str(),
            Use::Purpose(purpose) => purpose.as_str(),
        }
    }

    /// Every use, asnaf first, in the order they are listed.
    pub fn all() -> impl Iterator<Item = Use> {
        Asnaf::ALL
            .iter()
            .map(|a| Use::Asnaf(*a))
            .chain(PublicPurpose::ALL.iter().map(|p| Use::Purpose(*p)))
    }

    fn parse(text: &str) -> Option<Use> {
        text.parse()
            .map(Use::Asnaf)
            .or_else(|_| text.parse().map(Use::Purpose))
            .ok()
    }
}

/// A row of the statement of changes in funds between the opening and closing balances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Line {
    /// Donations received, by type, into the fund they feed.
    Receipt(DonationType),
    /// What wakaf assets earned, into the wakaf benefits fund.
    WakafBenefit,
    /// The amil share taken at receipt: out of the fund the donation fed, into the amil fund.
    AmilShare,
    /// The nazhir's share of a wakaf benefit: out of the benefits, into the amil fund.
    NazhirShare,
    /// Voids: the donation, less its amil share, back out of its fund; the share back out of
    /// the amil fund (or owed by it, `amil_share_receivable`).
    Void,
    /// Refunds, likewise for the part refunded.
    Refund,
    /// Distributions, by asnaf or public purpose.
    Distribution(Use),
}

impl Line {
    /// Every line in the order the statement lists them.
    #[must_use]
    pub fn all() -> Vec<Line> {
        let mut lines: Vec<Line> = DonationType::ALL
            .iter()
            .map(|t| Line::Receipt(*t))
            .collect();
        lines.extend([
            Line::WakafBenefit,
            Line::AmilShare,
            Line::NazhirShare,
            Line::Void,
            Line::Refund,
        ]);
        lines.extend(Use::all().map(Line::Distribution));
        lines
    }

    /// The row's stable key: `receipts.zakat_maal`, `amil_share`, `distributions.fakir`, …
    #[must_use]
    pub fn key(self) -> String {
        match self {
            Line::Receipt(t) => format!("receipts.{t}"),
            Line::WakafBenefit => "receipts.wakaf_benefit".to_owned(),
            Line::AmilShare => "amil_share".to_owned(),
            Line::NazhirShare => "nazhir_share".to_owned(),
            Line::Void => "reversals.void".to_owned(),
            Line::Refund => "reversals.refund".to_owned(),
            Line::Distribution(u) => format!("distributions.{}", u.as_str()),
        }
    }

    /// The row's label as printed (Indonesian first, as the statements are filed).
    #[must_use]
    pub fn label(self) -> String {
        match self {
            Line::Receipt(t) => format!("Penerimaan / receipts: {t}"),
            Line::WakafBenefit => "Penerimaan / receipts: wakaf benefits".to_owned(),
            Line::AmilShare => "Bagian amil / amil share".to_owned(),
            Line::NazhirShare => "Bagian nazhir / nazhir share".to_owned(),
            Line::Void => "Pembatalan / voids".to_owned(),
            Line::Refund => "Pengembalian / refunds".to_owned(),
            Line::Distribution(u) => format!("Penyaluran / distributions: {}", u.as_str()),
        }
    }

    /// What a movement is. Storage only reads the entry kinds below; anything else is a bug.
    fn of(movement: &MovementSum) -> Line {
        let fund_account = matches!(movement.account, Account::Fund(..));
        match movement.kind.as_str() {
            "donation" | "wakaf_benefit" => {
                let share = if movement.kind == "donation" {
                    Line::AmilShare
                } else {
                    Line::NazhirShare
                };
                // The share's two lines: a debit on the fund that received, a credit on the
                // amil fund. The receipt's: a credit on the fund, a debit on cash or bank.
                let is_share = (movement.account == Account::AMIL && movement.credit)
                    || (fund_account && !movement.credit);
                match (is_share, movement.kind.as_str()) {
                    (true, _) => share,
                    (false, "donation") => Line::Receipt(
                        movement
                            .detail
                            .parse()
                            .unwrap_or_else(|_| panic!("a donation of type `{}`", movement.detail)),
                    ),
                    (false, _) => Line::WakafBenefit,
                }
            }
            "void" => Line::Void,
            "refund" => Line::Refund,
            "distribution" => Line::Distribution(
                Use::parse(&movement.detail)
                    .unwrap_or_else(|| panic!("a distribution to `{}`", movement.detail)),
            ),
            other => panic!("a journal entry of kind `{other}` storage does not read"),
        }
    }
}

/// One fund's column summed up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FundColumn {
    /// The fund.
    pub fund: Fund,
    /// What it held before the period's first day, minor units of IDR.
    pub opening_minor: i64,
    /// What came into it within the period (every row's increases).
    pub in_minor: i64,
    /// What went out of it within the period (every row's decreases, as a positive amount).
    pub out_minor: i64,
    /// What it held at the end of the period's last day.
    pub closing_minor: i64,
}

/// A row of the statement: what each fund gained (positive) or gave (negative) by it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRow {
    /// Which row.
    pub line: Line,
    /// Per fund, in [`Fund::ALL`]'s order, minor units of IDR.
    pub amounts_minor: [i64; FUND_COLUMNS],
}

/// The statement of changes in funds (laporan perubahan dana) for a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangesInFunds {
    /// The period.
    pub period: Period,
    /// Opening, in, out and closing per fund, in [`Fund::ALL`]'s order.
    pub columns: [FundColumn; FUND_COLUMNS],
    /// Every row of [`Line::all`], in that order (zero rows included: the layout is fixed).
    pub rows: Vec<StatementRow>,
}

fn column_of(fund: Fund) -> usize {
    Fund::ALL
        .iter()
        .position(|f| *f == fund)
        .expect("every fund has a column")
}

/// What an account holds given a signed line sum.
fn held(account: Account, line_sum: i64) -> i128 {
    account.normal_sign() * i128::from(line_sum)
}

fn narrow(value: i128) -> i64 {
    i64::try_from(value).expect("a balance fits in i64 minor units")
}

/// Per account, the kept balance less what moved after the period (and, for the opening,
/// within it too), in the account's own terms (what it holds).
fn balances(
    kept: &[(Account, i64)],
    movements: &[MovementSum],
    less_within: bool,
) -> BTreeMap<Account, i128> {
    let mut out: BTreeMap<Account, i128> = BTreeMap::new();
    for (account, line_sum) in kept {
        *out.entry(*account).or_default() += held(*account, *line_sum);
    }
    for movement in movements {
        if movement.when == When::After || less_within {
            *out.entry(movement.account).or_default() -= held(movement.account, movement.sum_minor);
        }
    }
    out
}

/// The statement of changes in funds for `period`, from every account's kept balance (its
/// signed journal line sum) and the movements since the period began.
///
/// # Panics
/// When the books do not hold together: a column that does not close at its opening plus what
/// came in less what went out, or funds that do not total what the assets hold (a journal
/// entry that does not balance). Both are bugs, never bad input.
#[must_use]
pub fn changes_in_funds(
    period: Period,
    kept: &[(Account, i64)],
    movements: &[MovementSum],
) -> ChangesInFunds {
    let opening = balances(kept, movements, true);
    let closing = balances(kept, movements, false);
    let lines = Line::all();
    let mut amounts: BTreeMap<Line, [i128; FUND_COLUMNS]> = lines
        .iter()
        .map(|line| (*line, [0; FUND_COLUMNS]))
        .collect();
    let mut in_minor = [0_i128; FUND_COLUMNS];
    let mut out_minor = [0_i128; FUND_COLUMNS];
    // Within the period, assets and funds move by the same amount (every entry balances).
    let mut moved_funds = 0_i128;
    let mut moved_assets = 0_i128;
    for movement in movements.iter().filter(|m| m.when == When::Within) {
        let change = held(movement.account, movement.sum_minor);
        let Account::Fund(fund, _) = movement.account else {
            moved_assets += change;
            continue;
        };
        moved_funds += change;
        let column = column_of(fund);
        let line = Line::of(movement);
        amounts.get_mut(&line).expect("every line has a row")[column] += change;
        if change >= 0 {
            in_minor[column] += change;
        } else {
            out_minor[column] -= change;
        }
    }
    assert_eq!(
        moved_funds, moved_assets,
        "within the period the funds moved by what the assets moved"
    );
    let total = |balances: &BTreeMap<Account, i128>, funds: bool| -> (i128, [i128; FUND_COLUMNS]) {
        let mut per_fund = [0_i128; FUND_COLUMNS];
        let mut sum = 0;
        for (account, held) in balances {
            match account {
                Account::Fund(fund, _) if funds => {
                    per_fund[column_of(*fund)] += held;
                    sum += held;
                }
                Account::Fund(..) => {}
                _ if !funds => sum += held,
                _ => {}
            }
        }
        (sum, per_fund)
    };
    let (opening_funds, opening_per_fund) = total(&opening, true);
    let (closing_funds, closing_per_fund) = total(&closing, true);
    assert_eq!(
        closing_funds,
        total(&closing, false).0,
        "the funds total what the assets hold at the period's end"
    );
    assert_eq!(
        opening_funds,
        total(&opening, false).0,
        "the funds total what the assets hold at the period's start"
    );
    let columns = std::array::from_fn(|column| {
        let fund_column = FundColumn {
            fund: Fund::ALL[column],
            opening_minor: narrow(opening_per_fund[column]),
            in_minor: narrow(in_minor[column]),
            out_minor: narrow(out_minor[column]),
            closing_minor: narrow(closing_per_fund[column]),
        };
        let rows_sum: i128 = amounts.values().map(|row| row[column]).sum();
        assert_eq!(
            opening_per_fund[column] + rows_sum,
            closing_per_fund[column],
            "fund `{}` closes at its opening plus its rows",
            Fund::ALL[column]
        );
        assert_eq!(
            i128::from(fund_column.opening_minor) + i128::from(fund_column.in_minor)
                - i128::from(fund_column.out_minor),
            i128::from(fund_column.closing_minor),
            "fund `{}`: closing = opening + in - out",
            Fund::ALL[column]
        );
        fund_column
    });
    let rows = lines
        .into_iter()
        .map(|line| StatementRow {
            line,
            amounts_minor: amounts[&line].map(narrow),
        })
        .collect();
    ChangesInFunds {
        period,
        columns,
        rows,
    }
}

/// The statement of financial position (laporan posisi keuangan) at the end of a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinancialPosition {
    /// The day it is drawn up at the end of.
    pub as_of: Date,
    /// What each asset account holds: cash, bank, the amil share receivable.
    pub assets: Vec<(Account, i64)>,
    /// What each fund account holds (a campaign's restricted accounts one by one).
    pub funds: Vec<(Account, i64)>,
    /// Per fund, in [`Fund::ALL`]'s order.
    pub fund_totals: [i64; FUND_COLUMNS],
    /// The assets' total; equal to the funds' (asserted).
    pub total_minor: i64,
}

/// The position at the end of `as_of`: every account's kept balance less what moved after it
/// (`movements` holds only those).
///
/// # Panics
/// When the funds do not total what the assets hold (a bug).
#[must_use]
pub fn financial_position(
    as_of: Date,
    kept: &[(Account, i64)],
    movements: &[MovementSum],
) -> FinancialPosition {
    let balances = balances(kept, movements, false);
    let mut assets = Vec::new();
    let mut funds = Vec::new();
    let mut fund_totals = [0_i128; FUND_COLUMNS];
    let (mut total_assets, mut total_funds) = (0_i128, 0_i128);
    for (account, held) in balances {
        match account {
            Account::Fund(fund, _) => {
                fund_totals[column_of(fund)] += held;
                total_funds += held;
                funds.push((account, narrow(held)));
            }
            Account::Cash | Account::Bank | Account::AmilShareReceivable => {
                total_assets += held;
                assets.push((account, narrow(held)));
            }
        }
    }
    assert_eq!(
        total_funds, total_assets,
        "the funds total what the assets hold on {as_of}"
    );
    FinancialPosition {
        as_of,
        assets,
        funds,
        fund_totals: fund_totals.map(narrow),
        total_minor: narrow(total_assets),
    }
}

/// Donations received on one day of one type, fund and campaign, summed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionSum {
    /// The day received.
    pub received_on: Date,
    /// The type.
    pub donation_type: DonationType,
    /// The fund it fed.
    pub fund: Fund,
    /// The campaign, if any.
    pub campaign_id: Option<Uuid>,
    /// How many donations.
    pub count: i64,
    /// What the books took in, minor units of IDR.
    pub booked_minor: i64,
    /// Of that, the amil share taken at receipt.
    pub amil_share_minor: i64,
    /// Of that, what has been voided or refunded since (whenever).
    pub reversed_minor: i64,
}

/// Counts and sums of some group of donations or distributions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// How many.
    pub count: i64,
    /// The amount, minor units of IDR.
    pub amount_minor: i64,
    /// The amil share taken (collections only).
    pub amil_share_minor: i64,
    /// Voided or refunded since (collections only).
    pub reversed_minor: i64,
}

impl Totals {
    /// Received less reversed.
    #[must_use]
    pub fn net_minor(&self) -> i64 {
        self.amount_minor - self.reversed_minor
    }

    fn add(&mut self, other: &Totals) {
        self.count += other.count;
        self.amount_minor += other.amount_minor;
        self.amil_share_minor += other.amil_share_minor;
        self.reversed_minor += other.reversed_minor;
    }
}

/// One row of the collections report: a month, type, fund and campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionsRow {
    /// `YYYY-MM`.
    pub month: String,
    /// The type.
    pub donation_type: DonationType,
    /// The fund.
    pub fund: Fund,
    /// The campaign, if any.
    pub campaign_id: Option<Uuid>,
    /// Its totals.
    pub totals: Totals,
}

/// Collections (penghimpunan) in a period: by month, type, fund and campaign, with totals by
/// type, by campaign and by month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Collections {
    /// The period.
    pub period: Period,
    /// By month, type, fund and campaign.
    pub rows: Vec<CollectionsRow>,
    /// By type, in [`DonationType::ALL`]'s order (zero types included).
    pub by_type: Vec<(DonationType, Totals)>,
    /// By campaign (`None`: given for no campaign).
    pub by_campaign: Vec<(Option<Uuid>, Totals)>,
    /// By month, `YYYY-MM`.
    pub by_month: Vec<(String, Totals)>,
    /// Everything.
    pub total: Totals,
}

fn month_of(date: Date) -> String {
    format!("{:04}-{:02}", date.year(), u8::from(date.month()))
}

/// Rolls daily sums up into the collections report.
#[must_use]
pub fn collections(period: Period, sums: &[CollectionSum]) -> Collections {
    let mut rows: BTreeMap<(String, DonationType, Fund, Option<Uuid>), Totals> = BTreeMap::new();
    let mut by_type: BTreeMap<DonationType, Totals> = DonationType::ALL
        .iter()
        .map(|t| (*t, Totals::default()))
        .collect();
    let mut by_campaign: BTreeMap<Option<Uuid>, Totals> = BTreeMap::new();
    let mut by_month: BTreeMap<String, Totals> = BTreeMap::new();
    let mut total = Totals::default();
    for sum in sums {
        assert!(
            period.from <= sum.received_on && sum.received_on <= period.to,
            "a collection of {} within {}..{}",
            sum.received_on,
            period.from,
            period.to
        );
        let totals = Totals {
            count: sum.count,
            amount_minor: sum.booked_minor,
            amil_share_minor: sum.amil_share_minor,
            reversed_minor: sum.reversed_minor,
        };
        let month = month_of(sum.received_on);
        rows.entry((month.clone(), sum.donation_type, sum.fund, sum.campaign_id))
            .or_default()
            .add(&totals);
        by_type.entry(sum.donation_type).or_default().add(&totals);
        by_campaign.entry(sum.campaign_id).or_default().add(&totals);
        by_month.entry(month).or_default().add(&totals);
        total.add(&totals);
    }
    Collections {
        period,
        rows: rows
            .into_iter()
            .map(
                |((month, donation_type, fund, campaign_id), totals)| CollectionsRow {
                    month,
                    donation_type,
                    fund,
                    campaign_id,
                    totals,
                },
            )
            .collect(),
        by_type: by_type.into_iter().collect(),
        by_campaign: by_campaign.into_iter().collect(),
        by_month: by_month.into_iter().collect(),
        total,
    }
}

/// Distributions of one fund, campaign, use and program in a period, summed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistributionSum {
    /// The fund paid from.
    pub fund: Fund,
    /// The campaign whose money it was, if any.
    pub campaign_id: Option<Uuid>,
    /// The asnaf or public purpose (as stored).
    pub target: String,
    /// The program.
    pub program: String,
    /// How many.
    pub count: i64,
    /// The amount, minor units of IDR.
    pub amount_minor: i64,
}

/// One row of the distributions report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistributionsRow {
    /// The fund paid from.
    pub fund: Fund,
    /// The campaign, if any.
    pub campaign_id: Option<Uuid>,
    /// The asnaf or purpose.
    pub target: Use,
    /// The program.
    pub program: String,
    /// Count and amount.
    pub totals: Totals,
}

/// Distributions (penyaluran) in a period by fund, asnaf or purpose and program, with totals
/// by asnaf or purpose, by program and by fund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistributionsReport {
    /// The period.
    pub period: Period,
    /// By fund, campaign, asnaf or purpose, and program.
    pub rows: Vec<DistributionsRow>,
    /// By asnaf, then purpose, every one listed (zero included).
    pub by_target: Vec<(Use, Totals)>,
    /// By program.
    pub by_program: Vec<(String, Totals)>,
    /// By fund, every one listed.
    pub by_fund: Vec<(Fund, Totals)>,
    /// Everything.
    pub total: Totals,
}

/// Rolls distribution sums up into the report.
///
/// # Panics
/// On a stored asnaf or purpose that is neither (a bug: the books only write known ones).
#[must_use]
pub fn distributions(period: Period, sums: &[DistributionSum]) -> DistributionsReport {
    let mut rows: BTreeMap<(Fund, Option<Uuid>, Use, String), Totals> = BTreeMap::new();
    let mut by_target: BTreeMap<Use, Totals> = Use::all().map(|u| (u, Totals::default())).collect();
    let mut by_program: BTreeMap<String, Totals> = BTreeMap::new();
    let mut by_fund: BTreeMap<Fund, Totals> =
        Fund::ALL.iter().map(|f| (*f, Totals::default())).collect();
    let mut total = Totals::default();
    for sum in sums {
        let target =
            Use::parse(&sum.target).unwrap_or_else(|| panic!("a distribution to `{}`", sum.target));
        let totals = Totals {
            count: sum.count,
            amount_minor: sum.amount_minor,
            ..Totals::default()
        };
        rows.entry((sum.fund, sum.campaign_id, target, sum.program.clone()))
            .or_default()
            .add(&totals);
        by_target.entry(target).or_default().add(&totals);
        by_program
            .entry(sum.program.clone())
            .or_default()
            .add(&totals);
        by_fund.entry(sum.fund).or_default().add(&totals);
        total.add(&totals);
    }
    DistributionsReport {
        period,
        rows: rows
            .into_iter()
            .map(
                |((fund, campaign_id, target, program), totals)| DistributionsRow {
                    fund,
                    campaign_id,
                    target,
                    program,
                    totals,
                },
            )
            .collect(),
        by_target: by_target.into_iter().collect(),
        by_program: by_program.into_iter().collect(),
        by_fund: by_fund.into_iter().collect(),
        total,
    }
}
