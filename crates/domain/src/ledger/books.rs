//! The books as a state machine: what a batch of changes depends on (settings, receipt serial,
//! the donations it reverses, the campaigns and people it names, the balances it draws on),
//! and [`Books::apply`], which decides a change — refused with a typed [`Refusal`], or its
//! [`Effects`]: the records to store, the balanced journal entries, the audit notes — and
//! takes those effects in, so the next change of the batch sees them. No I/O, no clock: the
//! time and the ids come from the caller.

use std::collections::{HashMap, HashSet};

use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::rules::{self, AsnafList, BOOKS_CURRENCY, Target};
use super::shares::part_of;
use super::{
    Account, AmilShortfall, Asnaf, Balance, DonationType, Fund, Line, ReceiptNumber, Setting,
    Settings, Share, ShareCap, ShareError,
};
use crate::npwz::Npwz;
use crate::{Currency, Money};

mod changes;
mod effects;
mod records;
mod refusal;

pub use changes::{
    Change, DonorRef, ERASED_NAME, FiledDonor, NewCampaign, NewDistribution, NewDonation,
    NewRecipient, NewReversal, NewWakafBenefit, PersonalData, RecipientRef, ReversalKind,
};
pub use effects::{AuditNote, Effects, Entry, Outcome, Record};
pub use records::{
    Campaign, CampaignRules, Distribution, Donation, DonationStatus, Reversal, WakafBenefit,
};
pub use refusal::Refusal;

/// What the books hold that a batch of changes depends on. Storage loads it for the batch's
/// [`Needs`], applies the changes in order and writes their effects.
#[derive(Clone, Debug)]
pub struct Books {
    /// The time every record of the batch is stamped with.
    pub now: OffsetDateTime,
    /// The settings in force.
    pub settings: Settings,
    /// The highest receipt serial of `now`'s receipt year.
    pub receipt_serial_max: i64,
    /// The highest NPWZ serial issued (the next donor gets the next one; never reused).
    pub npwz_serial_max: u32,
    /// The institution's code, the NPWZ's first four digits: `0` (printed `0000`) until the
    /// institution profile (issue 12, item 1) sets one and storage loads it here with the batch.
    pub institution_code: u16,
    /// Donations the batch reverses.
    pub donations: HashMap<Uuid, Donation>,
    /// Campaigns the batch names, with their rules.
    pub campaigns: HashMap<Uuid, CampaignRules>,
    /// Donors the batch names that exist.
    pub donors: HashSet<Uuid>,
    /// Recipients the batch names that exist.
    pub recipients: HashSet<Uuid>,
    /// Signed line sums (debits positive) of the accounts the batch draws on; an account
    /// missing here holds nothing.
    pub balances: HashMap<(Account, Currency), i64>,
}

/// What a batch must load before it can be applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// Donations reversed.
    pub donations: Vec<Uuid>,
    /// Donors named.
    pub donors: Vec<Uuid>,
    /// Campaigns named.
    pub campaigns: Vec<Uuid>,
    /// Recipients named.
    pub recipients: Vec<Uuid>,
}

impl Needs {
    /// What `changes` name.
    pub fn of<'a>(changes: impl IntoIterator<Item = &'a Change>) -> Needs {
        let mut needs = Needs::default();
        for change in changes {
            match change {
                Change::Donation(donation) => {
                    if let DonorRef::Existing(id) = donation.donor {
                        needs.donors.push(id);
                    }
                    needs.campaigns.extend(donation.campaign_id);
                }
                Change::Reversal(reversal) => needs.donations.push(reversal.donation_id),
                Change::Distribution(distribution) => {
                    if let RecipientRef::Existing(id) = distribution.recipient {
                        needs.recipients.push(id);
                    }
                    needs.campaigns.extend(distribution.campaign_id);
                }
                Change::WakafBenefit(_)
                | Change::Donor(_)
                | Change::Recipient(_)
                | Change::Campaign(_)
                | Change::Setting(_) => {}
            }
        }
        needs
    }

    /// The accounts whose balances `changes` draw on, once the reversed donations are loaded.
    pub fn accounts<'a>(
        changes: impl IntoIterator<Item = &'a Change>,
        donations: &HashMap<Uuid, Donation>,
    ) -> Vec<(Account, Currency)> {
        let mut accounts = Vec::new();
        for change in changes {
            match change {
                Change::Reversal(reversal) => {
                    if let Some(donation) = donations.get(&reversal.donation_id) {
                        let currency = donation.booked_currency();
                        for account in [
                            donation.account,
                            Account::AMIL,
                            Account::for_method(donation.method),
                        ] {
                            accounts.push((account, currency));
                        }
                    }
                }
                Change::Distribution(distribution) => {
                    let currency = distribution.amount.currency();
                    let fund = Account::Fund(distribution.fund, distribution.campaign_id);
                    accounts.push((fund, currency));
                    accounts.push((Account::for_method(distribution.method), currency));
                }
                _ => {}
            }
        }
        accounts.sort();
        accounts.dedup();
        accounts
    }
}

impl Books {
    /// Empty books at `now` with default settings.
    #[must_use]
    pub fn new(now: OffsetDateTime) -> Books {
        Books {
            now,
            settings: Settings::default(),
            receipt_serial_max: 0,
            npwz_serial_max: 0,
            institution_code: 0,
            donations: HashMap::new(),
            campaigns: HashMap::new(),
            donors: HashSet::new(),
            recipients: HashSet::new(),
            balances: HashMap::new(),
        }
    }

    /// What `account` holds in `currency`.
    #[must_use]
    pub fn held(&self, account: Account, currency: Currency) -> i64 {
        account.held(
            self.balances
                .get(&(account, currency))
                .copied()
                .unwrap_or(0),
        )
    }

    /// Decides `change`, made by user `by`; on success takes its effects in (a refused change
    /// leaves the books as they were). `new_id` gives
    /// the ids of what it creates (time-ordered UUIDs in production).
    pub fn apply(
        &mut self,
        change: &Change,
        by: i64,
        new_id: &mut dyn FnMut() -> Uuid,
    ) -> Result<Effects, Refusal> {
        let mut effects = Effects {
            outcome: Outcome::Recipient(Uuid::nil()),
            records: Vec::new(),
            entries: Vec::new(),
            audit: Vec::new(),
        };
        let mut step = Step {
            books: self,
            by,
            new_id,
            effects: &mut effects,
        };
        let outcome = match change {
            Change::Donation(new) => step.donation(new)?,
            Change::Reversal(new) => step.reversal(new)?,
            Change::Distribution(new) => step.distribution(new)?,
            Change::WakafBenefit(new) => step.wakaf_benefit(new)?,
            Change::Donor(person) => {
                let donor = step.file_donor(person)?;
                Outcome::Donor {
                    id: donor.id,
                    npwz: donor.npwz,
                }
            }
            Change::Recipient(new) => Outcome::Recipient(step.file_recipient(new)),
            Change::Campaign(new) => step.campaign(new)?,
            Change::Setting(setting) => step.setting(*setting)?,
        };
        effects.outcome = outcome;
        self.absorb(&effects);
        Ok(effects)
    }

    /// Takes accepted effects in, so later changes of the batch see them.
    fn absorb(&mut self, effects: &Effects) {
        for entry in &effects.entries {
            for line in &entry.lines {
                *self
                    .balances
                    .entry((line.account, entry.currency))
                    .or_default() += line.amount_minor;
            }
        }
        for record in &effects.records {
            match record {
                Record::Donor(donor) => {
                    self.donors.insert(donor.id);
                    self.npwz_serial_max = donor.npwz.serial();
                }
                Record::Recipient(id, _) => {
                    self.recipients.insert(*id);
                }
                Record::Campaign(campaign) => {
                    self.campaigns.insert(campaign.id, campaign.rules);
                }
                Record::Donation(donation) => self.receipt_serial_max = donation.receipt.serial,
                Record::Setting(setting) => self.settings = self.settings.with(*setting),
                Record::Reversal(_) | Record::Distribution(_) | Record::WakafBenefit(_) => {}
            }
        }
        if let Outcome::Reversal { donation, .. } = &effects.outcome {
            self.donations.insert(donation.id, donation.clone());
        }
    }
}

/// One change being decided: the books as they were before it, and its effects so far.
struct Step<'a> {
    books: &'a Books,
    by: i64,
    new_id: &'a mut dyn FnMut() -> Uuid,
    effects: &'a mut Effects,
}

impl Step<'_> {
    fn note(&mut self, action: &'static str, subject: String, payload: serde_json::Value) {
        self.effects.audit.push(AuditNote {
            action,
            subject,
            payload,
        });
    }

    /// Books `lines` as one entry after checking that no account it draws on goes below
    /// zero; returns the entry as the audit chain records it.
    fn post(
        &mut self,
        kind: &'static str,
        source_id: Uuid,
        currency: Currency,
        lines: Vec<Line>,
    ) -> Result<serde_json::Value, Refusal> {
        let sum: i128 = lines.iter().map(|l| i128::from(l.amount_minor)).sum();
        assert_eq!(sum, 0, "journal entry does not balance: {lines:?}");
        let mut moved: Vec<(Account, i64)> = Vec::new();
        for line in &lines {
            match moved.iter_mut().find(|(a, _)| *a == line.account) {
                Some((_, total)) => *total += line.amount_minor,
                None => moved.push((line.account, line.amount_minor)),
            }
        }
        for (account, delta) in moved {
            let taken = -account.held(delta);
            let held = self.books.held(account, currency);
            if taken > 0 && held < taken {
                let balance = Balance {
                    minor: held,
                    currency,
                };
                let needed = Money::from_minor(taken, currency).expect("a movement's amount");
                return Err(match account {
                    Account::Fund(..) => Refusal::InsufficientFunds {
                        account,
                        balance,
                        needed,
                    },
                    _ => Refusal::InsufficientCash {
                        account,
                        balance,
                        needed,
                    },
                });
            }
        }
        let entry = Entry {
            id: (self.new_id)(),
            kind,
            source_id,
            currency,
            lines,
        };
        let described = entry.describe();
        self.effects.entries.push(entry);
        Ok(described)
    }

    fn campaign_rules(&self, campaign: Option<Uuid>) -> Result<Option<CampaignRules>, Refusal> {
        campaign
            .map(|id| {
                self.books
                    .campaigns
                    .get(&id)
                    .copied()
                    .ok_or(Refusal::UnknownCampaign(id))
            })
            .transpose()
    }

    /// Files a donor with the next NPWZ: the serial after the highest issued, read under the
    /// writer lock like receipt serials, so concurrent registrations never share one. The
    /// chain records the id only: personal data must stay erasable (UU 27/2022) while the
    /// chain is immutable.
    fn file_donor(&mut self, person: &PersonalData) -> Result<FiledDonor, Refusal> {
        let serial = self.books.npwz_serial_max + 1;
        if serial > crate::npwz::SERIAL_MAX {
            return Err(Refusal::NpwzExhausted);
        }
        let year = ReceiptNumber::year_of(self.books.now);
        let donor = FiledDonor {
            id: (self.new_id)(),
            npwz: Npwz::new(self.books.institution_code, year, serial),
            person: person.clone(),
        };
        self.effects.records.push(Record::Donor(donor.clone()));
        let id = donor.id;
        self.note("donor.create", format!("donor:{id}"), json!({ "id": id }));
        Ok(donor)
    }

    fn file_recipient(&mut self, new: &NewRecipient) -> Uuid {
        let id = (self.new_id)();
        self.effects
            .records
            .push(Record::Recipient(id, new.clone()));
        self.note(
            "recipient.create",
            format!("recipient:{id}"),
            json!({ "id": id }),
        );
        id
    }

    fn donation(&mut self, new: &NewDonation) -> Result<Outcome, Refusal> {
        let campaign = self.campaign_rules(new.campaign_id)?;
        let donor_id = match &new.donor {
            DonorRef::Existing(id) if self.books.donors.contains(id) => Some(*id),
            DonorRef::Existing(id) => return Err(Refusal::UnknownDonor(*id)),
            DonorRef::New(person) => Some(self.file_donor(person)?.id),
            DonorRef::Anonymous => None,
        };
        let currency = new.amount.currency();
        let booked_minor = match (currency == BOOKS_CURRENCY, new.rate_to_idr) {
            (true, None) => new.amount.minor(),
            (true, Some(_)) => return Err(Refusal::RateForIdr),
            (false, None) => return Err(Refusal::RateRequired(currency)),
            (false, Some(rate)) => rate.booked(new.amount)?,
        };
        let fund = new.donation_type.fund(new.campaign_id.is_some());
        if let (Some(id), Some(rules)) = (new.campaign_id, &campaign) {
            rules::campaign_can_spend(fund, id, *rules)?;
        }
        let share = match (new.donation_type, campaign) {
            (t, _) if t.is_zakat() => self.books.settings.amil_share,
            (DonationType::Infak | DonationType::Sedekah, Some(rules)) => rules.amil_share,
            (DonationType::Infak | DonationType::Sedekah, None) => {
                self.books.settings.amil_share_infak
            }
            _ => Share::ZERO,
        };
        let donation = Donation {
            id: (self.new_id)(),
            receipt: ReceiptNumber {
                year: ReceiptNumber::year_of(self.books.now),
                serial: self.books.receipt_serial_max + 1,
            },
            donation_type: new.donation_type,
            fund,
            account: fund.account(new.campaign_id),
            campaign_id: new.campaign_id,
            donor_id,
            amount: new.amount,
            rate_to_idr: new.rate_to_idr,
            booked_minor,
            method: new.method,
            received_on: new.received_on,
            note: new.note.clone(),
            amil_share_minor: share.of(booked_minor, BOOKS_CURRENCY),
            reversed_minor: 0,
            voided: false,
            recorded_by: self.by,
            recorded_at: self.books.now,
        };
        let lines = received(
            Account::for_method(donation.method),
            donation.account,
            booked_minor,
            donation.amil_share_minor,
        );
        let entry = self.post("donation", donation.id, BOOKS_CURRENCY, lines)?;
        self.note(
            "donation.record",
            format!("donation:{}", donation.id),
            donation.audit_payload(&entry),
        );
        self.effects
            .records
            .push(Record::Donation(donation.clone()));
        Ok(Outcome::Donation(donation))
    }

    fn reversal(&mut self, new: &NewReversal) -> Result<Outcome, Refusal> {
        let donation = self
            .books
            .donations
            .get(&new.donation_id)
            .ok_or(Refusal::UnknownDonation(new.donation_id))?
            .clone();
        if donation.voided {
            return Err(Refusal::AlreadyVoid);
        }
        let amount_minor = reversed_amount(&donation, new.kind)?;
        let whole = donation.amount.minor();
        let before = donation.reversed_minor;
        let booked = part_of(donation.booked_minor, whole, before, amount_minor);
        let share = part_of(donation.amil_share_minor, whole, before, amount_minor);
        let currency = donation.booked_currency();
        let receivable_minor = self.amil_shortfall(share, currency)?;
        let mut lines = received(
            Account::for_method(donation.method),
            donation.account,
            booked,
            share,
        );
        for line in &mut lines {
            line.amount_minor = -line.amount_minor;
        }
        if receivable_minor > 0 {
            let amil = lines
                .iter_mut()
                .find(|l| l.account == Account::AMIL)
                .expect("a share has its amil line");
            amil.amount_minor -= receivable_minor;
            if amil.amount_minor == 0 {
                lines.retain(|l| l.account != Account::AMIL);
            }
            lines.push(Line {
                account: Account::AmilShareReceivable,
                amount_minor: receivable_minor,
            });
        }
        let reversal = Reversal {
            id: (self.new_id)(),
            donation_id: donation.id,
            kind: new.kind,
            amount_minor,
            booked_minor: booked,
            amil_share_minor: share,
            receivable_minor,
            reason: new.reason.clone(),
            recorded_by: self.by,
            recorded_at: self.books.now,
        };
        let kind = new.kind.as_str();
        let entry = self.post(kind, reversal.id, currency, lines)?;
        self.note(
            if kind == "void" {
                "donation.void"
            } else {
                "donation.refund"
            },
            format!("donation:{}", donation.id),
            json!({
                "id": reversal.id,
                "donation_id": donation.id,
                "amount": donation.amount.currency().format_minor(amount_minor),
                "currency": donation.amount.currency().code(),
                "amount_booked": currency.format_minor(booked),
                "booked_currency": currency.code(),
                "amil_share_minor": share,
                "receivable_minor": receivable_minor,
                "journal_entry": entry,
            }),
        );
        self.effects
            .records
            .push(Record::Reversal(reversal.clone()));
        let mut after = donation;
        after.reversed_minor += amount_minor;
        after.voided = new.kind == ReversalKind::Void;
        Ok(Outcome::Reversal {
            reversal,
            donation: after,
        })
    }

    /// How much of a returned amil share the amil fund cannot pay back: booked as a receivable
    /// or refused, as the institution's `amil_shortfall` setting says.
    fn amil_shortfall(&self, share: i64, currency: Currency) -> Result<i64, Refusal> {
        let amil_holds = self.books.held(Account::AMIL, currency);
        if amil_holds >= share {
            Ok(0)
        } else if self.books.settings.amil_shortfall == AmilShortfall::Receivable {
            Ok(share - amil_holds.max(0))
        } else {
            Err(Refusal::AmilShareSpent {
                balance: Balance {
                    minor: amil_holds,
                    currency,
                },
                needed: Money::from_minor(share, currency).expect("a share above what is held"),
            })
        }
    }

    fn distribution(&mut self, new: &NewDistribution) -> Result<Outcome, Refusal> {
        let rules = self.campaign_rules(new.campaign_id)?;
        let campaign = new.campaign_id.zip(rules);
        let target = Target {
            asnaf: new.asnaf,
            purpose: new.purpose,
        };
        let account = rules::distribution_account(
            new.fund,
            campaign.as_ref().map(|(id, rules)| (*id, rules)),
            target,
        )?;
        let recipient_id = match &new.recipient {
            RecipientRef::Existing(id) if self.books.recipients.contains(id) => *id,
            RecipientRef::Existing(id) => return Err(Refusal::UnknownRecipient(*id)),
            RecipientRef::New(person) => self.file_recipient(&NewRecipient {
                person: person.clone(),
                asnaf: new.asnaf,
                ..NewRecipient::default()
            }),
        };
        let id = (self.new_id)();
        let currency = new.amount.currency();
        let amount = new.amount.minor();
        let lines = vec![
            Line {
                account,
                amount_minor: amount,
            },
            Line {
                account: Account::for_method(new.method),
                amount_minor: -amount,
            },
        ];
        let entry = self.post("distribution", id, currency, lines)?;
        let distribution = Distribution {
            id,
            fund: new.fund,
            campaign_id: new.campaign_id,
            recipient_id,
            asnaf: new.asnaf,
            purpose: new.purpose,
            program: new.program.clone(),
            amount: new.amount,
            method: new.method,
            distributed_on: new.distributed_on,
            note: new.note.clone(),
            recorded_by: self.by,
            recorded_at: self.books.now,
        };
        self.note(
            "distribution.record",
            format!("distribution:{id}"),
            json!({
                "id": id,
                "fund": distribution.fund,
                "campaign_id": distribution.campaign_id,
                "recipient_id": recipient_id,
                "asnaf": distribution.asnaf,
                "purpose": distribution.purpose,
                "program": distribution.program,
                "amount": distribution.amount.to_string(),
                "currency": currency.code(),
                "method": distribution.method,
                "distributed_on": distribution.distributed_on.to_string(),
                "journal_entry": entry,
            }),
        );
        self.effects
            .records
            .push(Record::Distribution(distribution.clone()));
        Ok(Outcome::Distribution(distribution))
    }

    fn wakaf_benefit(&mut self, new: &NewWakafBenefit) -> Result<Outcome, Refusal> {
        let currency = new.amount.currency();
        if currency != BOOKS_CURRENCY {
            return Err(Refusal::NotInRupiah(currency));
        }
        if new.nazhir_share > ShareCap::Nazhir.max() {
            return Err(ShareError::AboveCap(ShareCap::Nazhir).into());
        }
        let benefit = WakafBenefit {
            id: (self.new_id)(),
            amount: new.amount,
            method: new.method,
            received_on: new.received_on,
            source: new.source.clone(),
            nazhir_share_minor: new.nazhir_share.of(new.amount.minor(), currency),
            note: new.note.clone(),
            recorded_by: self.by,
            recorded_at: self.books.now,
        };
        let lines = received(
            Account::for_method(new.method),
            Account::Fund(Fund::WakafBenefits, None),
            new.amount.minor(),
            benefit.nazhir_share_minor,
        );
        let entry = self.post("wakaf_benefit", benefit.id, currency, lines)?;
        self.note(
            "wakaf_benefit.record",
            format!("wakaf_benefit:{}", benefit.id),
            json!({
                "id": benefit.id,
                "amount": benefit.amount.to_string(),
                "currency": currency.code(),
                "method": benefit.method,
                "received_on": benefit.received_on.to_string(),
                "source": benefit.source,
                "nazhir_share_minor": benefit.nazhir_share_minor,
                "journal_entry": entry,
            }),
        );
        self.effects
            .records
            .push(Record::WakafBenefit(benefit.clone()));
        Ok(Outcome::WakafBenefit(benefit))
    }

    fn campaign(&mut self, new: &NewCampaign) -> Result<Outcome, Refusal> {
        let allowed = match &new.allowed_asnaf {
            None => CampaignRules::DEFAULT_ASNAF,
            Some(list) if list.is_empty() || list.contains(&Asnaf::Amil) => {
                return Err(Refusal::CampaignAsnaf);
            }
            Some(list) => AsnafList::of(list),
        };
        if new.amil_share > ShareCap::Infak.max() {
            return Err(ShareError::AboveCap(ShareCap::Infak).into());
        }
        let campaign = Campaign {
            id: (self.new_id)(),
            name: new.name.clone(),
            purpose: new.purpose.clone(),
            rules: CampaignRules {
                allowed_asnaf: allowed,
                amil_share: new.amil_share,
            },
        };
        let allowed: Vec<Asnaf> = allowed.iter().collect();
        self.note(
            "campaign.create",
            format!("campaign:{}", campaign.id),
            json!({
                "id": campaign.id,
                "name": campaign.name,
                "purpose": campaign.purpose,
                "allowed_asnaf": allowed,
                "amil_share_percent": new.amil_share.to_string(),
            }),
        );
        self.effects
            .records
            .push(Record::Campaign(campaign.clone()));
        Ok(Outcome::Campaign(campaign))
    }

    fn setting(&mut self, setting: Setting) -> Result<Outcome, Refusal> {
        match setting {
            Setting::AmilShare(share) if share > ShareCap::Zakat.max() => {
                return Err(ShareError::AboveCap(ShareCap::Zakat).into());
            }
            Setting::AmilShareInfak(share) if share > ShareCap::Infak.max() => {
                return Err(ShareError::AboveCap(ShareCap::Infak).into());
            }
            _ => {}
        }
        self.note(
            "setting.change",
            format!("setting:{}", setting.key()),
            json!({ "value": setting.value() }),
        );
        self.effects.records.push(Record::Setting(setting));
        Ok(Outcome::Settings(self.books.settings.with(setting)))
    }
}

/// The lines of money received into `fund` through `asset`, of which `share` moves on to the
/// amil fund (the amil share of zakat or infak, the nazhir share of wakaf benefits).
fn received(asset: Account, fund: Account, amount: i64, share: i64) -> Vec<Line> {
    let mut lines = vec![
        Line {
            account: asset,
            amount_minor: amount,
        },
        Line {
            account: fund,
            amount_minor: -amount,
        },
    ];
    if share > 0 {
        lines.push(Line {
            account: fund,
            amount_minor: share,
        });
        lines.push(Line {
            account: Account::AMIL,
            amount_minor: -share,
        });
    }
    lines
}

/// The amount a void (everything left) or a refund (at most what is left) gives back.
fn reversed_amount(donation: &Donation, kind: ReversalKind) -> Result<i64, Refusal> {
    let remaining = donation.remaining_minor();
    if remaining == 0 {
        return Err(Refusal::NothingLeft);
    }
    match kind {
        ReversalKind::Void => Ok(remaining),
        ReversalKind::Refund(amount) if amount > remaining => Err(Refusal::RefundTooLarge {
            remaining: Money::from_minor(remaining, donation.amount.currency())
                .expect("something is left"),
        }),
        ReversalKind::Refund(amount) => Ok(amount),
    }
}

#[cfg(test)]
mod tests;
