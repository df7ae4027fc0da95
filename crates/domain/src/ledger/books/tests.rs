//! The books' rules, one scenario each (the list), and a property test over any
//! sequence of changes.

use proptest::prelude::*;
use time::macros::{date, datetime};

use super::*;
use crate::PaymentMethod;
use crate::ledger::{
    AmilShortfall, DistributionRule, PublicPurpose, RateToIdr, Setting, check_postings,
};

const NOW: OffsetDateTime = datetime!(2026-03-01 03:00 UTC);
const BY: i64 = 1;

fn rp(rupiah: i64) -> Money {
    Money::from_minor(rupiah * 100, Currency::IDR).unwrap()
}

struct Ids(u128);

impl Ids {
    fn next(&mut self) -> Uuid {
        self.0 += 1;
        Uuid::from_u128(self.0)
    }
}

/// Books and an id counter, applying changes as a batch would.
struct Ledger {
    books: Books,
    ids: Ids,
}

impl Ledger {
    fn new() -> Ledger {
        Ledger {
            books: Books::new(NOW),
            ids: Ids(0),
        }
    }

    fn apply(&mut self, change: &Change) -> Result<Effects, Refusal> {
        let ids = &mut self.ids;
        let before = self.books.balances.clone();
        let result = self.books.apply(change, BY, &mut || ids.next());
        match &result {
            Ok(effects) => assert_invariants(&before, effects),
            Err(_) => assert_eq!(before, self.books.balances, "a refusal changes nothing"),
        }
        result
    }

    fn ok(&mut self, change: &Change) -> Outcome {
        self.apply(change).expect("accepted").outcome
    }

    fn held(&self, account: Account) -> i64 {
        self.books.held(account, Currency::IDR) / 100
    }

    fn donate(
        &mut self,
        donation_type: DonationType,
        campaign_id: Option<Uuid>,
        rupiah: i64,
        method: PaymentMethod,
    ) -> Donation {
        match self.ok(&Change::Donation(NewDonation {
            donation_type,
            campaign_id,
            donor: DonorRef::Anonymous,
            amount: rp(rupiah),
            rate_to_idr: None,
            method,
            received_on: date!(2026 - 03 - 01),
            note: None,
        })) {
            Outcome::Donation(donation) => {
                self.books.donations.insert(donation.id, donation.clone());
                donation
            }
            other => panic!("{other:?}"),
        }
    }

    fn campaign(&mut self, allowed: Option<Vec<Asnaf>>, amil_percent: &str) -> Uuid {
        match self.ok(&Change::Campaign(NewCampaign {
            name: "Banjir Demak".to_owned(),
            purpose: "Bantuan korban banjir".to_owned(),
            allowed_asnaf: allowed,
            amil_share: Share::parse_percent(amil_percent, ShareCap::Infak).unwrap(),
        })) {
            Outcome::Campaign(campaign) => campaign.id,
            other => panic!("{other:?}"),
        }
    }

    fn distribute(
        &mut self,
        fund: Fund,
        campaign_id: Option<Uuid>,
        asnaf: Option<Asnaf>,
        purpose: Option<PublicPurpose>,
        rupiah: i64,
        method: PaymentMethod,
    ) -> Result<Effects, Refusal> {
        self.apply(&Change::Distribution(NewDistribution {
            fund,
            campaign_id,
            recipient: RecipientRef::New(PersonalData::default()),
            asnaf,
            purpose,
            program: "Program".to_owned(),
            amount: rp(rupiah),
            method,
            distributed_on: date!(2026 - 03 - 02),
            note: None,
        }))
    }

    fn reverse(&mut self, donation: Uuid, kind: ReversalKind) -> Result<Effects, Refusal> {
        self.apply(&Change::Reversal(NewReversal {
            donation_id: donation,
            kind,
            reason: None,
        }))
    }
}

/// Every entry balances and nothing drawn on ends below zero, checked the way storage checks
/// a batch's rows before writing them.
fn assert_invariants(before: &HashMap<(Account, Currency), i64>, effects: &Effects) {
    let codes: Vec<(Uuid, String, &'static str, i64)> = effects
        .entries
        .iter()
        .flat_map(|entry| {
            entry.lines.iter().map(move |line| {
                (
                    entry.id,
                    line.account.code(),
                    entry.currency.code(),
                    line.amount_minor,
                )
            })
        })
        .collect();
    let postings: Vec<_> = codes
        .iter()
        .map(
            |(entry, account, currency, amount_minor)| crate::ledger::Posting {
                entry: *entry,
                account,
                currency,
                amount_minor: *amount_minor,
            },
        )
        .collect();
    let result = check_postings(&postings, |account, currency| {
        let account = Account::from_code(account).unwrap();
        let currency: Currency = currency.parse().unwrap();
        before.get(&(account, currency)).copied().unwrap_or(0)
    });
    assert_eq!(result, Ok(()), "{effects:#?}");
}

use PaymentMethod::{BankTransfer as Bank, Cash};

#[test]
fn scenario_1_restricted_campaign_money_never_goes_to_the_amil() {
    let mut ledger = Ledger::new();
    let demak = ledger.campaign(None, "0");
    ledger.donate(DonationType::Sedekah, Some(demak), 300_000, Bank);
    assert_eq!(
        ledger.distribute(
            Fund::InfakSedekahRestricted,
            Some(demak),
            Some(Asnaf::Amil),
            None,
            300_000,
            Bank
        ),
        Err(Refusal::Rule(DistributionRule::ShareOnlyAtReceipt(
            Fund::InfakSedekahRestricted
        )))
    );
    ledger
        .distribute(
            Fund::InfakSedekahRestricted,
            Some(demak),
            Some(Asnaf::Miskin),
            None,
            300_000,
            Bank,
        )
        .expect("its purpose");
    // A campaign that declares an amil share takes it at receipt, within the 20 % cap.
    let with_share = ledger.campaign(Some(vec![Asnaf::Fakir]), "10");
    ledger.donate(DonationType::Infak, Some(with_share), 100_000, Bank);
    assert_eq!(
        ledger.held(Account::Fund(
            Fund::InfakSedekahRestricted,
            Some(with_share)
        )),
        90_000
    );
    assert_eq!(ledger.held(Account::AMIL), 10_000);
    assert_eq!(
        ledger.apply(&Change::Campaign(NewCampaign {
            name: "x".to_owned(),
            purpose: "x".to_owned(),
            allowed_asnaf: Some(vec![Asnaf::Fakir, Asnaf::Amil]),
            amil_share: Share::ZERO,
        })),
        Err(Refusal::CampaignAsnaf)
    );
}

#[test]
fn scenario_2_wakaf_principal_is_kept_and_only_benefits_are_distributed() {
    let mut ledger = Ledger::new();
    ledger.donate(DonationType::Wakaf, None, 2_000_000, Bank);
    assert_eq!(
        ledger.distribute(Fund::Wakaf, None, Some(Asnaf::Fakir), None, 2_000_000, Bank),
        Err(Refusal::Rule(DistributionRule::WakafPrincipal))
    );
    let benefit = |percent: &str| {
        Change::WakafBenefit(NewWakafBenefit {
            amount: rp(500_000),
            method: Bank,
            received_on: date!(2026 - 03 - 05),
            source: "Sewa ruko wakaf".to_owned(),
            nazhir_share: Share::parse_percent(percent, ShareCap::Zakat).unwrap(),
            note: None,
        })
    };
    assert_eq!(
        ledger.apply(&benefit("12.5")),
        Err(Refusal::Share(ShareError::AboveCap(ShareCap::Nazhir)))
    );
    ledger.ok(&benefit("10"));
    assert_eq!(
        ledger.held(Account::Fund(Fund::WakafBenefits, None)),
        450_000
    );
    assert_eq!(ledger.held(Account::AMIL), 50_000);
    assert_eq!(ledger.held(Account::Fund(Fund::Wakaf, None)), 2_000_000);
    ledger
        .distribute(
            Fund::WakafBenefits,
            None,
            Some(Asnaf::Fakir),
            None,
            450_000,
            Bank,
        )
        .expect("benefits are distributable");
    assert!(matches!(
        ledger.distribute(Fund::WakafBenefits, None, Some(Asnaf::Fakir), None, 1, Bank),
        Err(Refusal::InsufficientFunds { .. })
    ));
}

#[test]
fn scenario_3_the_amil_takes_at_most_its_share_of_infak() {
    let mut ledger = Ledger::new();
    assert!(
        ledger
            .apply(&Change::Setting(Setting::AmilShareInfak(
                Share::parse_percent("20", ShareCap::Infak).unwrap()
            )))
            .is_ok()
    );
    ledger.donate(DonationType::Infak, None, 500_000, Bank);
    assert_eq!(
        ledger.held(Account::Fund(Fund::InfakSedekahUnrestricted, None)),
        400_000
    );
    assert_eq!(ledger.held(Account::AMIL), 100_000);
    assert_eq!(
        ledger.distribute(
            Fund::InfakSedekahUnrestricted,
            None,
            Some(Asnaf::Amil),
            None,
            500_000,
            Bank
        ),
        Err(Refusal::Rule(DistributionRule::ShareOnlyAtReceipt(
            Fund::InfakSedekahUnrestricted
        )))
    );
}

#[test]
fn scenario_4_cash_and_bank_pay_out_only_what_they_hold() {
    let mut ledger = Ledger::new();
    ledger.donate(DonationType::ZakatMaal, None, 200_000, Cash);
    ledger.donate(DonationType::ZakatMaal, None, 1_000_000, Bank);
    assert_eq!(ledger.held(Account::Cash), 200_000);
    let refused = ledger.distribute(Fund::Zakat, None, Some(Asnaf::Fakir), None, 500_000, Cash);
    assert_eq!(
        refused,
        Err(Refusal::InsufficientCash {
            account: Account::Cash,
            balance: Balance {
                minor: 20_000_000,
                currency: Currency::IDR
            },
            needed: rp(500_000),
        })
    );
    assert_eq!(
        refused.unwrap_err().to_string(),
        "the `asset:cash` balance is 200000.00 IDR, less than the 500000.00 IDR this needs: pay from where the money is"
    );
    ledger
        .distribute(Fund::Zakat, None, Some(Asnaf::Fakir), None, 500_000, Bank)
        .expect("the bank holds it");
}

#[test]
fn scenario_5_non_halal_money_serves_public_uses_only() {
    let mut ledger = Ledger::new();
    ledger.donate(DonationType::NonHalal, None, 1_000_000, Bank);
    for asnaf in [Asnaf::FiSabilillah, Asnaf::Amil] {
        assert_eq!(
            ledger.distribute(Fund::NonHalal, None, Some(asnaf), None, 100_000, Bank),
            Err(Refusal::Rule(DistributionRule::NonHalalPublicUse))
        );
    }
    assert_eq!(
        ledger.distribute(Fund::NonHalal, None, None, None, 100_000, Bank),
        Err(Refusal::Rule(DistributionRule::NonHalalPublicUse))
    );
    ledger
        .distribute(
            Fund::NonHalal,
            None,
            None,
            Some(PublicPurpose::PublicFacilities),
            100_000,
            Bank,
        )
        .expect("a public toilet");
    assert_eq!(
        ledger.distribute(
            Fund::Zakat,
            None,
            None,
            Some(PublicPurpose::Health),
            1,
            Bank
        ),
        Err(Refusal::Rule(DistributionRule::AsnafRequired(Fund::Zakat)))
    );
}

#[test]
fn scenario_6_a_bounced_transfer_is_voided_even_after_the_amil_spent_its_share() {
    let mut ledger = Ledger::new();
    let bounced = ledger.donate(DonationType::ZakatMaal, None, 1_000_000, Bank);
    ledger.donate(DonationType::Infak, None, 1_000_000, Bank);
    ledger
        .distribute(Fund::Amil, None, Some(Asnaf::Amil), None, 100_000, Bank)
        .expect("salaries");
    assert_eq!(ledger.held(Account::AMIL), 25_000);
    let refused = ledger.reverse(bounced.id, ReversalKind::Void);
    assert_eq!(
        refused,
        Err(Refusal::AmilShareSpent {
            balance: Balance {
                minor: 2_500_000,
                currency: Currency::IDR
            },
            needed: rp(125_000),
        })
    );
    assert_eq!(refused.unwrap_err().name(), "amil-share-spent");
    ledger.ok(&Change::Setting(Setting::AmilShortfall(
        AmilShortfall::Receivable,
    )));
    let Ok(Effects {
        outcome: Outcome::Reversal { reversal, donation },
        ..
    }) = ledger.reverse(bounced.id, ReversalKind::Void)
    else {
        panic!("voided with a receivable");
    };
    assert_eq!(reversal.receivable_minor, 10_000_000);
    assert_eq!(donation.status(), DonationStatus::Void);
    assert_eq!(ledger.held(Account::AMIL), 0);
    assert_eq!(ledger.held(Account::AmilShareReceivable), 100_000);
    assert_eq!(ledger.held(Account::Fund(Fund::Zakat, None)), 0);
}

#[test]
fn scenario_7_the_amil_share_is_whole_rupiah() {
    let mut ledger = Ledger::new();
    let donation = ledger.donate(DonationType::ZakatMaal, None, 250_001, Bank);
    assert_eq!(
        donation.amil_share_minor, 3_125_000,
        "Rp 31,250, not 31,250.12"
    );
    assert_eq!(
        ledger
            .books
            .held(Account::Fund(Fund::Zakat, None), Currency::IDR),
        21_875_100
    );
}

#[test]
fn scenario_8_a_foreign_gift_is_booked_in_rupiah_at_its_rate() {
    let mut ledger = Ledger::new();
    let usd: Currency = "USD".parse().unwrap();
    let gift = |rate: Option<&str>, amount: Money| {
        Change::Donation(NewDonation {
            donation_type: DonationType::ZakatMaal,
            campaign_id: None,
            donor: DonorRef::Anonymous,
            amount,
            rate_to_idr: rate.map(|r| RateToIdr::parse(r).unwrap()),
            method: Bank,
            received_on: date!(2026 - 03 - 01),
            note: None,
        })
    };
    let hundred_dollars = Money::from_minor(10_000, usd).unwrap();
    assert_eq!(
        ledger.apply(&gift(None, hundred_dollars)),
        Err(Refusal::RateRequired(usd))
    );
    assert_eq!(
        ledger.apply(&gift(Some("1"), rp(5))),
        Err(Refusal::RateForIdr)
    );
    let Outcome::Donation(donation) = ledger.ok(&gift(Some("16000"), hundred_dollars)) else {
        panic!()
    };
    assert_eq!(donation.booked_minor, 160_000_000);
    assert_eq!(
        donation.amil_share_minor, 20_000_000,
        "12.5 % of Rp 1,600,000"
    );
    assert_eq!(ledger.held(Account::Fund(Fund::Zakat, None)), 1_400_000);
    assert_eq!(ledger.books.held(Account::Fund(Fund::Zakat, None), usd), 0);
    // A refund of half the dollars gives back half the rupiah booked.
    ledger.books.donations.insert(donation.id, donation.clone());
    let Outcome::Reversal { reversal, .. } = ledger
        .reverse(donation.id, ReversalKind::Refund(5_000))
        .unwrap()
        .outcome
    else {
        panic!()
    };
    assert_eq!(
        (reversal.booked_minor, reversal.amil_share_minor),
        (80_000_000, 10_000_000)
    );
}

#[test]
fn scenario_9_zakat_for_a_campaign_is_restricted_to_it() {
    let mut ledger = Ledger::new();
    let demak = ledger.campaign(Some(vec![Asnaf::Fakir, Asnaf::Miskin]), "0");
    let donation = ledger.donate(DonationType::ZakatMaal, Some(demak), 800_000, Bank);
    assert_eq!(donation.account, Account::Fund(Fund::Zakat, Some(demak)));
    assert_eq!(
        ledger.held(Account::Fund(Fund::Zakat, Some(demak))),
        700_000
    );
    assert!(
        matches!(
            ledger.distribute(Fund::Zakat, None, Some(Asnaf::Fakir), None, 1, Bank),
            Err(Refusal::InsufficientFunds { .. })
        ),
        "general zakat does not hold the campaign's"
    );
    assert!(matches!(
        ledger.distribute(
            Fund::Zakat,
            Some(demak),
            Some(Asnaf::Gharimin),
            None,
            1,
            Bank
        ),
        Err(Refusal::Rule(
            DistributionRule::OutsideCampaignPurpose { .. }
        ))
    ));
    ledger
        .distribute(
            Fund::Zakat,
            Some(demak),
            Some(Asnaf::Miskin),
            None,
            700_000,
            Bank,
        )
        .expect("its purpose");
}

#[test]
fn fidyah_and_kafarat_feed_the_poor() {
    let mut ledger = Ledger::new();
    ledger.donate(DonationType::Fidyah, None, 65_000, Cash);
    ledger.donate(DonationType::Kafarat, None, 150_000, Cash);
    assert_eq!(
        ledger.held(Account::Fund(Fund::Fidyah, None)),
        65_000,
        "no amil share"
    );
    assert_eq!(
        ledger.distribute(Fund::Kafarat, None, Some(Asnaf::IbnuSabil), None, 10, Cash),
        Err(Refusal::Rule(DistributionRule::OnlyThePoor(Fund::Kafarat)))
    );
    ledger
        .distribute(Fund::Fidyah, None, Some(Asnaf::Miskin), None, 65_000, Cash)
        .expect("a meal");
}

#[test]
fn a_gift_for_a_campaign_must_be_spendable_on_its_purpose() {
    let mut ledger = Ledger::new();
    let mosque_debts = ledger.campaign(Some(vec![Asnaf::Gharimin]), "0");
    let fidyah = Change::Donation(NewDonation {
        donation_type: DonationType::Fidyah,
        campaign_id: Some(mosque_debts),
        donor: DonorRef::Anonymous,
        amount: rp(65_000),
        rate_to_idr: None,
        method: Cash,
        received_on: date!(2026 - 03 - 01),
        note: None,
    });
    let refusal = ledger
        .apply(&fidyah)
        .expect_err("fidyah feeds only the poor");
    assert_eq!(
        refusal,
        Refusal::Rule(DistributionRule::CampaignCannotSpend {
            campaign: mosque_debts,
            fund: Fund::Fidyah,
            allowed: AsnafList::of(&[Asnaf::Gharimin]),
        })
    );
    assert_eq!(refusal.name(), "campaign-cannot-spend");
    ledger.donate(DonationType::ZakatMaal, Some(mosque_debts), 100_000, Cash);
    let the_poor = ledger.campaign(Some(vec![Asnaf::Miskin]), "0");
    ledger.donate(DonationType::Kafarat, Some(the_poor), 150_000, Cash);
}

#[test]
fn reversals_follow_the_donation_and_refuse_what_is_not_left() {
    let mut ledger = Ledger::new();
    let donation = ledger.donate(DonationType::Sedekah, None, 100_000, Bank);
    assert_eq!(
        ledger.reverse(Uuid::max(), ReversalKind::Void),
        Err(Refusal::UnknownDonation(Uuid::max()))
    );
    assert!(matches!(
        ledger.reverse(donation.id, ReversalKind::Refund(10_000_001)),
        Err(Refusal::RefundTooLarge { .. })
    ));
    let Outcome::Reversal {
        donation: after, ..
    } = ledger
        .reverse(donation.id, ReversalKind::Refund(4_000_000))
        .unwrap()
        .outcome
    else {
        panic!()
    };
    assert_eq!(after.status(), DonationStatus::PartiallyRefunded);
    ledger.reverse(donation.id, ReversalKind::Void).unwrap();
    assert_eq!(
        ledger.reverse(donation.id, ReversalKind::Void),
        Err(Refusal::AlreadyVoid)
    );
    assert_eq!(ledger.held(Account::Bank), 0);
}

#[test]
fn receipts_are_numbered_without_gaps_and_refusals_take_no_number() {
    let mut ledger = Ledger::new();
    ledger.books.receipt_serial_max = 41;
    let first = ledger.donate(DonationType::Infak, None, 1, Bank);
    assert!(
        ledger
            .apply(&Change::Donation(NewDonation {
                donation_type: DonationType::Infak,
                campaign_id: Some(Uuid::max()),
                donor: DonorRef::Anonymous,
                amount: rp(1),
                rate_to_idr: None,
                method: Bank,
                received_on: date!(2026 - 03 - 01),
                note: None,
            }))
            .is_err()
    );
    let second = ledger.donate(DonationType::Infak, None, 1, Bank);
    assert_eq!((first.receipt.serial, second.receipt.serial), (42, 43));
    assert_eq!(second.receipt.to_string(), "2026-000043");
}

#[test]
fn the_audit_notes_never_hold_personal_data() {
    let mut ledger = Ledger::new();
    let effects = ledger
        .apply(&Change::Donation(NewDonation {
            donation_type: DonationType::ZakatFitrah,
            campaign_id: None,
            donor: DonorRef::New(PersonalData {
                name: "Siti Aminah".to_owned(),
                nik: Some("3201010101010001".to_owned()),
                ..PersonalData::default()
            }),
            amount: rp(50_000),
            rate_to_idr: None,
            method: Cash,
            received_on: date!(2026 - 03 - 01),
            note: None,
        }))
        .unwrap();
    let notes =
        serde_json::to_string(&effects.audit.iter().map(|n| &n.payload).collect::<Vec<_>>())
            .unwrap();
    assert!(
        !notes.contains("Siti") && !notes.contains("3201010101010001"),
        "{notes}"
    );
    assert_eq!(effects.audit[0].action, "donor.create");
    assert_eq!(effects.audit[1].action, "donation.record");
}

#[test]
fn each_donor_gets_the_next_npwz_whether_filed_alone_or_with_a_donation() {
    let mut ledger = Ledger::new();
    ledger.books.npwz_serial_max = 41;
    let person = PersonalData {
        name: "Siti Aminah".to_owned(),
        ..PersonalData::default()
    };
    let Outcome::Donor { npwz: first, .. } = ledger
        .apply(&Change::Donor(person.clone()))
        .unwrap()
        .outcome
    else {
        panic!("a donor is filed");
    };
    let effects = ledger
        .apply(&Change::Donation(NewDonation {
            donation_type: DonationType::Infak,
            campaign_id: None,
            donor: DonorRef::New(person.clone()),
            amount: rp(10_000),
            rate_to_idr: None,
            method: Cash,
            received_on: date!(2026 - 03 - 01),
            note: None,
        }))
        .unwrap();
    let Some(Record::Donor(second)) = effects.records.first() else {
        panic!("the donor is filed before the donation");
    };
    assert_eq!((first.serial(), second.npwz.serial()), (42, 43));
    assert!(first.to_string().starts_with("0000-"), "{first}");
    assert_eq!(first.to_string().parse(), Ok(first));
}

#[test]
fn no_npwz_is_issued_past_the_seventh_digit() {
    let mut ledger = Ledger::new();
    ledger.books.npwz_serial_max = crate::npwz::SERIAL_MAX;
    assert_eq!(
        ledger.apply(&Change::Donor(PersonalData::default())),
        Err(Refusal::NpwzExhausted)
    );
    assert!(ledger.books.donors.is_empty(), "a refusal files nothing");
}

#[test]
fn a_recipient_filed_with_a_distribution_is_registered_under_its_asnaf() {
    let mut ledger = Ledger::new();
    let effects = ledger
        .apply(&Change::Recipient(NewRecipient {
            person: PersonalData {
                name: "Ahmad".to_owned(),
                ..PersonalData::default()
            },
            asnaf: Some(Asnaf::Miskin),
            household_size: Some(5),
            eligibility_note: Some("penghasilan di bawah had kifayah".to_owned()),
        }))
        .unwrap();
    assert_eq!(effects.audit[0].action, "recipient.create");
    assert!(!effects.audit[0].payload.to_string().contains("Ahmad"));
    assert!(matches!(effects.outcome, Outcome::Recipient(_)));
}

// Any sequence of changes keeps the books lawful.

#[derive(Clone, Debug)]
enum Op {
    Donate(usize, bool, i64, bool),
    Void(usize),
    Refund(usize, i64),
    Distribute(usize, usize, bool, i64, bool),
    Benefit(i64, u16),
    Share(u16, u16),
    Shortfall(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            0..DonationType::ALL.len(),
            any::<bool>(),
            1..2_000_000_i64,
            any::<bool>()
        )
            .prop_map(|(t, c, a, m)| Op::Donate(t, c, a, m)),
        (0..64_usize).prop_map(Op::Void),
        (0..64_usize, 1..2_000_000_i64).prop_map(|(d, a)| Op::Refund(d, a)),
        (
            0..Fund::ALL.len(),
            0..Asnaf::ALL.len(),
            any::<bool>(),
            1..2_000_000_i64,
            any::<bool>()
        )
            .prop_map(|(f, a, c, n, m)| Op::Distribute(f, a, c, n, m)),
        (1..2_000_000_i64, 0..1500_u16).prop_map(|(a, s)| Op::Benefit(a, s)),
        (0..1300_u16, 0..2100_u16).prop_map(|(z, i)| Op::Share(z, i)),
        any::<bool>().prop_map(Op::Shortfall),
    ]
}

fn share(basis_points: u16) -> Share {
    Share::parse_percent(
        &format!("{}.{:02}", basis_points / 100, basis_points % 100),
        ShareCap::Infak,
    )
    .unwrap_or(Share::ZERO)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_sequence_of_changes_keeps_the_books_lawful(ops in proptest::collection::vec(op(), 1..60)) {
        let mut ledger = Ledger::new();
        let floods = ledger.campaign(Some(vec![Asnaf::Fakir, Asnaf::Miskin]), "5");
        let mut donations: Vec<Uuid> = Vec::new();
        let method = |cash: bool| if cash { Cash } else { Bank };
        for op in ops {
            let change = match op {
                Op::Donate(t, c, amount, cash) => Change::Donation(NewDonation {
                    donation_type: DonationType::ALL[t],
                    campaign_id: c.then_some(floods),
                    donor: DonorRef::Anonymous,
                    amount: rp(amount),
                    rate_to_idr: None,
                    method: method(cash),
                    received_on: date!(2026 - 03 - 01),
                    note: None,
                }),
                Op::Void(d) | Op::Refund(d, _) if donations.is_empty() => { let _ = d; continue }
                Op::Void(d) => Change::Reversal(NewReversal { donation_id: donations[d % donations.len()], kind: ReversalKind::Void, reason: None }),
                Op::Refund(d, amount) => Change::Reversal(NewReversal { donation_id: donations[d % donations.len()], kind: ReversalKind::Refund(amount * 100), reason: None }),
                Op::Distribute(f, a, c, amount, cash) => Change::Distribution(NewDistribution {
                    fund: Fund::ALL[f],
                    campaign_id: c.then_some(floods),
                    recipient: RecipientRef::New(PersonalData::default()),
                    asnaf: (Fund::ALL[f] != Fund::NonHalal).then_some(Asnaf::ALL[a]),
                    purpose: (Fund::ALL[f] == Fund::NonHalal).then_some(PublicPurpose::Health),
                    program: "p".to_owned(),
                    amount: rp(amount),
                    method: method(cash),
                    distributed_on: date!(2026 - 03 - 02),
                    note: None,
                }),
                Op::Benefit(amount, nazhir) => Change::WakafBenefit(NewWakafBenefit {
                    amount: rp(amount), method: Bank, received_on: date!(2026 - 03 - 01),
                    source: "s".to_owned(), nazhir_share: share(nazhir), note: None,
                }),
                Op::Share(zakat, infak) => Change::Setting(if zakat % 2 == 0 { Setting::AmilShare(share(zakat)) } else { Setting::AmilShareInfak(share(infak)) }),
                Op::Shortfall(receivable) => Change::Setting(Setting::AmilShortfall(if receivable { AmilShortfall::Receivable } else { AmilShortfall::Refuse })),
            };
            let Ok(effects) = ledger.apply(&change) else { continue };
            match &effects.outcome {
                Outcome::Donation(donation) => {
                    donations.push(donation.id);
                    ledger.books.donations.insert(donation.id, donation.clone());
                    let cap = if donation.donation_type.is_zakat() { ShareCap::Zakat } else { ShareCap::Infak };
                    prop_assert!(i128::from(donation.amil_share_minor) * 10_000 <= i128::from(donation.booked_minor) * i128::from(cap.max().basis_points()));
                }
                Outcome::Distribution(distribution) => {
                    prop_assert!(distribution.fund != Fund::Wakaf, "wakaf principal distributed");
                    if distribution.asnaf == Some(Asnaf::Amil) {
                        prop_assert_eq!(distribution.fund, Fund::Amil, "only the amil fund pays the amil");
                    }
                    if distribution.campaign_id.is_some() {
                        prop_assert!(matches!(distribution.asnaf, Some(Asnaf::Fakir | Asnaf::Miskin)), "restricted money off purpose");
                    }
                    if distribution.fund == Fund::NonHalal {
                        prop_assert!(distribution.asnaf.is_none() && distribution.purpose.is_some());
                    }
                }
                Outcome::WakafBenefit(benefit) => {
                    prop_assert!(benefit.nazhir_share_minor * 10 <= benefit.amount.minor());
                }
                _ => {}
            }
            for (&(account, _), &sum) in &ledger.books.balances {
                prop_assert!(account.held(sum) >= 0, "{account} holds {}", account.held(sum));
            }
            let total: i128 = ledger.books.balances.values().map(|&v| i128::from(v)).sum();
            prop_assert_eq!(total, 0, "the books balance");
        }
    }
}
