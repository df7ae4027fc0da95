use time::macros::date;

use super::*;
use crate::ledger::Account;
use crate::{Asnaf, DonationType, Fund};

const ZAKAT: Account = Account::Fund(Fund::Zakat, None);

fn movement(kind: &str, detail: &str, account: Account, when: When, sum_minor: i64) -> MovementSum {
    MovementSum {
        kind: kind.to_owned(),
        detail: detail.to_owned(),
        account,
        credit: sum_minor < 0,
        when,
        sum_minor,
    }
}

fn column(statement: &ChangesInFunds, fund: Fund) -> FundColumn {
    *statement.columns.iter().find(|c| c.fund == fund).unwrap()
}

fn row(statement: &ChangesInFunds, key: &str, fund: Fund) -> i64 {
    let index = Fund::ALL.iter().position(|f| *f == fund).unwrap();
    statement
        .rows
        .iter()
        .find(|r| r.line.key() == key)
        .unwrap()
        .amounts_minor[index]
}

/// Before the period: a zakat donation of 1,000 (125 to the amil). Within: a zakat donation
/// of 2,000 (250 to the amil), 500 paid to a fakir, 1,000 of the first donation refunded
/// (its 125 share back). After: an infak of 300.
fn books() -> (Vec<(Account, i64)>, Vec<MovementSum>) {
    let within = vec![
        movement("donation", "zakat_maal", Account::Bank, When::Within, 2_000),
        movement("donation", "zakat_maal", ZAKAT, When::Within, -2_000),
        movement("donation", "zakat_maal", ZAKAT, When::Within, 250),
        movement("donation", "zakat_maal", Account::AMIL, When::Within, -250),
        movement("distribution", "fakir", ZAKAT, When::Within, 500),
        movement("distribution", "fakir", Account::Bank, When::Within, -500),
        movement("refund", "zakat_maal", ZAKAT, When::Within, 1_000),
        movement("refund", "zakat_maal", ZAKAT, When::Within, -125),
        movement("refund", "zakat_maal", Account::AMIL, When::Within, 125),
        movement("refund", "zakat_maal", Account::Bank, When::Within, -1_000),
    ];
    let after = vec![
        movement("donation", "infak", Account::Cash, When::After, 300),
        movement(
            "donation",
            "infak",
            Account::Fund(Fund::InfakSedekahUnrestricted, None),
            When::After,
            -300,
        ),
    ];
    // Kept: every line ever, the donation before the period included.
    let kept = vec![
        (Account::Bank, 1_000 + 2_000 - 500 - 1_000),
        (Account::Cash, 300),
        (ZAKAT, -875 - 1_750 + 500 + 875),
        (Account::AMIL, -125 - 250 + 125),
        (Account::Fund(Fund::InfakSedekahUnrestricted, None), -300),
    ];
    (kept, [within, after].concat())
}

#[test]
fn the_statement_of_changes_opens_at_the_kept_balance_less_what_moved_since() {
    let (kept, movements) = books();
    let period = Period::new(date!(2026 - 01 - 01), date!(2026 - 01 - 31)).unwrap();
    let statement = changes_in_funds(period, &kept, &movements);
    assert_eq!(
        column(&statement, Fund::Zakat),
        FundColumn {
            fund: Fund::Zakat,
            opening_minor: 875,
            in_minor: 2_000 + 125,
            out_minor: 250 + 500 + 1_000,
            closing_minor: 875 + 1_750 - 500 - 875,
        }
    );
    assert_eq!(row(&statement, "receipts.zakat_maal", Fund::Zakat), 2_000);
    assert_eq!(row(&statement, "amil_share", Fund::Zakat), -250);
    assert_eq!(row(&statement, "amil_share", Fund::Amil), 250);
    assert_eq!(row(&statement, "distributions.fakir", Fund::Zakat), -500);
    assert_eq!(row(&statement, "reversals.refund", Fund::Zakat), -875);
    assert_eq!(row(&statement, "reversals.refund", Fund::Amil), -125);
    let amil = column(&statement, Fund::Amil);
    assert_eq!((amil.opening_minor, amil.closing_minor), (125, 250));
    // The infak came after the period: in neither its opening nor its closing.
    let infak = column(&statement, Fund::InfakSedekahUnrestricted);
    assert_eq!((infak.opening_minor, infak.closing_minor), (0, 0));
    assert_eq!(statement.rows.len(), Line::all().len());
}

#[test]
fn the_position_is_the_kept_balance_less_what_moved_after_and_balances() {
    let (kept, movements) = books();
    let after: Vec<_> = movements
        .into_iter()
        .filter(|m| m.when == When::After)
        .collect();
    let position = financial_position(date!(2026 - 01 - 31), &kept, &after);
    assert_eq!(
        position.assets,
        vec![(Account::Cash, 0), (Account::Bank, 1_500)]
    );
    assert_eq!(position.total_minor, 1_500);
    assert_eq!(position.fund_totals[0], 1_250);
    assert_eq!(position.fund_totals[3], 250);
}

#[test]
fn a_period_that_ends_before_it_starts_is_refused() {
    assert_eq!(
        Period::new(date!(2026 - 02 - 01), date!(2026 - 01 - 31)),
        Err(FromAfterTo {
            to: date!(2026 - 01 - 31)
        })
    );
    assert!(Period::new(date!(2026 - 01 - 31), date!(2026 - 01 - 31)).is_ok());
}

#[test]
#[should_panic(expected = "the funds total what the assets hold")]
fn books_whose_funds_exceed_their_assets_are_a_bug() {
    let period = Period::new(date!(2026 - 01 - 01), date!(2026 - 01 - 31)).unwrap();
    let _ = changes_in_funds(period, &[(ZAKAT, -100)], &[]);
}

#[test]
#[should_panic(expected = "within the period the funds moved by what the assets moved")]
fn an_unbalanced_movement_is_a_bug() {
    let period = Period::new(date!(2026 - 01 - 01), date!(2026 - 01 - 31)).unwrap();
    let movements = [movement(
        "donation",
        "zakat_maal",
        ZAKAT,
        When::Within,
        -100,
    )];
    let _ = changes_in_funds(period, &[(ZAKAT, -100), (Account::Bank, 100)], &movements);
}

#[test]
fn collections_roll_up_by_month_type_and_campaign() {
    let period = Period::new(date!(2026 - 01 - 01), date!(2026 - 02 - 28)).unwrap();
    let sum = |received_on, donation_type, booked_minor| CollectionSum {
        received_on,
        donation_type,
        fund: donation_type.fund(false),
        campaign_id: None,
        count: 1,
        booked_minor,
        amil_share_minor: 0,
        reversed_minor: 0,
    };
    let report = collections(
        period,
        &[
            sum(date!(2026 - 01 - 05), DonationType::Infak, 100),
            sum(date!(2026 - 01 - 20), DonationType::Infak, 50),
            sum(date!(2026 - 02 - 01), DonationType::Sedekah, 30),
        ],
    );
    assert_eq!(report.rows.len(), 2);
    assert_eq!(report.rows[0].month, "2026-01");
    assert_eq!(report.rows[0].totals.amount_minor, 150);
    assert_eq!(report.rows[0].totals.count, 2);
    assert_eq!(report.by_month.len(), 2);
    assert_eq!(report.by_type.len(), DonationType::ALL.len());
    assert_eq!(report.total.amount_minor, 180);
}

#[test]
fn distributions_roll_up_by_asnaf_and_program() {
    let period = Period::new(date!(2026 - 01 - 01), date!(2026 - 01 - 31)).unwrap();
    let sum = |target: &str, program: &str, amount_minor| DistributionSum {
        fund: Fund::Zakat,
        campaign_id: None,
        target: target.to_owned(),
        program: program.to_owned(),
        count: 1,
        amount_minor,
    };
    let report = distributions(
        period,
        &[
            sum("fakir", "sembako", 10),
            sum("miskin", "sembako", 20),
            sum("fakir", "beasiswa", 5),
        ],
    );
    let fakir = report
        .by_target
        .iter()
        .find(|(u, _)| *u == Use::Asnaf(Asnaf::Fakir))
        .unwrap()
        .1;
    assert_eq!((fakir.count, fakir.amount_minor), (2, 15));
    assert_eq!(
        report.by_program,
        vec![
            (
                "beasiswa".to_owned(),
                Totals {
                    count: 1,
                    amount_minor: 5,
                    ..Totals::default()
                }
            ),
            (
                "sembako".to_owned(),
                Totals {
                    count: 2,
                    amount_minor: 30,
                    ..Totals::default()
                }
            ),
        ]
    );
    assert_eq!(report.total.amount_minor, 35);
}
