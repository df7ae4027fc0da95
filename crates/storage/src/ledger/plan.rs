//! Planning a batch: given what the database holds (read once per batch, under the writer
//! lock), decide for each request what to write or why to refuse, and keep a running view so
//! later requests in the batch see the effects of earlier ones. No I/O here.

use std::collections::{HashMap, HashSet};

use domain::audit::{self, Hash};
use domain::ledger::{self, Account, Line, ReceiptNumber};
use domain::{AmilShare, Fund};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::model::{
    Applied, Authenticated, Change, Distribution, Donation, DonorRef, NewCampaign, NewDistribution,
    NewDonation, NewReversal, Outcome, PersonalData, RecipientRef, Refusal, Rendered, Request,
    ReversalKind, user_label,
};

/// A response kept under an idempotency key.
#[derive(Clone, Debug)]
pub(crate) struct StoredKey {
    pub request_digest: Vec<u8>,
    pub rendered: Rendered,
}

/// What the database holds that a batch's decisions depend on.
#[derive(Debug)]
pub(crate) struct Snapshot {
    /// The time every row of the batch is stamped with.
    pub now: OffsetDateTime,
    /// The chain's length and last hash before the batch.
    pub head_seq: i64,
    pub head_hash: Hash,
    /// The highest receipt serial of `now`'s receipt year.
    pub receipt_serial_max: i64,
    /// The amil share in force.
    pub amil_share: AmilShare,
    /// Stored idempotency keys among those the batch claims, by (user, key).
    pub keys: HashMap<(i64, String), StoredKey>,
    /// Donations the batch reverses.
    pub donations: HashMap<Uuid, Donation>,
    /// Signed sums of journal lines, by (account code, currency), for accounts the batch debits.
    pub balances: HashMap<(String, String), i64>,
    /// Live tokens (not revoked, user enabled) among those the batch's requests came with.
    pub credentials: HashMap<Vec<u8>, Authenticated>,
    /// Which referenced donors, campaigns and recipients exist.
    pub donors: HashSet<Uuid>,
    pub campaigns: HashSet<Uuid>,
    pub recipients: HashSet<Uuid>,
}

impl Snapshot {
    /// Refuses a campaign that does not exist.
    fn check_campaign(&self, campaign: Option<Uuid>) -> Result<(), Refusal> {
        match campaign {
            Some(campaign) if !self.campaigns.contains(&campaign) => {
                Err(Refusal::UnknownCampaign(campaign))
            }
            _ => Ok(()),
        }
    }

    /// Takes an accepted request's effects into the running view, so later requests in the
    /// batch see them.
    fn absorb(&mut self, mine: &Writes, outcome: &Outcome) {
        for line in &mine.lines {
            *self
                .balances
                .entry((line.account.clone(), line.currency.to_owned()))
                .or_default() += line.amount_minor;
        }
        for (id, _) in &mine.donors {
            self.donors.insert(*id);
        }
        for (id, _) in &mine.recipients {
            self.recipients.insert(*id);
        }
        for (id, _) in &mine.campaigns {
            self.campaigns.insert(*id);
        }
        match outcome {
            Outcome::Donation(donation) => self.receipt_serial_max = donation.receipt.serial,
            Outcome::Reversal { donation, .. } => {
                self.donations.insert(donation.id, donation.clone());
            }
            Outcome::AmilShare(share) => self.amil_share = *share,
            _ => {}
        }
    }
}

/// What a batch must read before it can be planned.
#[derive(Debug, Default)]
pub(crate) struct Needs {
    /// Token hashes the requests came with.
    pub credentials: Vec<[u8; 32]>,
    /// Claimed idempotency keys, by user.
    pub keys: HashMap<i64, Vec<String>>,
    pub donations: Vec<Uuid>,
    pub donors: Vec<Uuid>,
    pub campaigns: Vec<Uuid>,
    pub recipients: Vec<Uuid>,
}

impl Needs {
    pub fn of(requests: &[Request]) -> Needs {
        let mut needs = Needs::default();
        for request in requests {
            if let Some((user_id, claim)) = request.claim() {
                needs
                    .keys
                    .entry(user_id)
                    .or_default()
                    .push(claim.key.clone());
            }
            if let Some(credential) = request.credential
                && !needs.credentials.contains(&credential)
            {
                needs.credentials.push(credential);
            }
            match &request.change {
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
                Change::Donor(_) | Change::Campaign(_) | Change::AmilShare(_) => {}
            }
        }
        needs
    }

    /// The accounts whose balances the batch's debits must check, once the reversed donations
    /// are known: fund accounts only (a fund may never go below zero; reference §10).
    pub fn accounts(
        requests: &[Request],
        donations: &HashMap<Uuid, Donation>,
    ) -> Vec<(String, String)> {
        let mut accounts = Vec::new();
        for request in requests {
            match &request.change {
                Change::Reversal(reversal) => {
                    if let Some(donation) = donations.get(&reversal.donation_id) {
                        let currency = donation.amount.currency().code().to_owned();
                        accounts.push((fund_account(donation).code(), currency.clone()));
                        accounts.push((Account::Fund(Fund::Amil, None).code(), currency));
                    }
                }
                Change::Distribution(distribution) => {
                    accounts.push((
                        Account::Fund(distribution.fund, distribution.campaign_id).code(),
                        distribution.amount.currency().code().to_owned(),
                    ));
                }
                _ => {}
            }
        }
        accounts
    }
}

/// Rows to insert for a batch, in the order foreign keys need.
#[derive(Debug, Default)]
pub(crate) struct Writes {
    pub donors: Vec<(Uuid, PersonalData)>,
    pub recipients: Vec<(Uuid, PersonalData)>,
    pub campaigns: Vec<(Uuid, NewCampaign)>,
    pub donations: Vec<Donation>,
    pub reversals: Vec<ReversalRow>,
    pub distributions: Vec<Distribution>,
    pub entries: Vec<EntryRow>,
    pub lines: Vec<LineRow>,
    pub keys: Vec<KeyRow>,
    pub settings: Vec<SettingRow>,
    pub audit: Vec<AuditDraft>,
}

impl Writes {
    fn append(&mut self, other: Writes) {
        self.donors.extend(other.donors);
        self.recipients.extend(other.recipients);
        self.campaigns.extend(other.campaigns);
        self.donations.extend(other.donations);
        self.reversals.extend(other.reversals);
        self.distributions.extend(other.distributions);
        self.entries.extend(other.entries);
        self.lines.extend(other.lines);
        self.keys.extend(other.keys);
        self.settings.extend(other.settings);
        self.audit.extend(other.audit);
    }
}

#[derive(Debug)]
pub(crate) struct ReversalRow {
    pub id: Uuid,
    pub donation_id: Uuid,
    pub kind: &'static str,
    pub amount_minor: i64,
    pub amil_share_minor: i64,
    pub reason: Option<String>,
    pub recorded_by: i64,
}

#[derive(Debug)]
pub(crate) struct EntryRow {
    pub id: Uuid,
    pub kind: &'static str,
    pub source_id: Uuid,
}

#[derive(Debug)]
pub(crate) struct LineRow {
    pub entry_id: Uuid,
    pub line_no: i32,
    pub account: String,
    pub currency: &'static str,
    pub amount_minor: i64,
}

#[derive(Debug)]
pub(crate) struct KeyRow {
    pub user_id: i64,
    pub key: String,
    pub request_digest: Vec<u8>,
    pub rendered: Rendered,
}

#[derive(Debug)]
pub(crate) struct SettingRow {
    pub key: &'static str,
    pub value: String,
    pub changed_by: String,
}

/// An audit entry before it is chained.
#[derive(Debug)]
pub(crate) struct AuditDraft {
    pub actor: String,
    pub action: &'static str,
    pub subject: String,
    pub payload: serde_json::Value,
}

/// An audit entry as stored.
#[derive(Debug)]
pub(crate) struct AuditRow {
    pub seq: i64,
    pub actor: String,
    pub action: &'static str,
    pub subject: String,
    pub payload: String,
    pub payload_digest: Hash,
    pub prev_hash: Hash,
    pub hash: Hash,
}

/// Chains drafts onto the head (`head_seq` entries ending in `head_hash`).
pub(crate) fn chain(
    head_seq: i64,
    head_hash: Hash,
    now: OffsetDateTime,
    drafts: Vec<AuditDraft>,
) -> Vec<AuditRow> {
    let recorded_at = audit::format_recorded_at(now);
    let mut prev_hash = head_hash;
    let mut seq = head_seq;
    drafts
        .into_iter()
        .map(|draft| {
            seq += 1;
            // serde_json writes maps with sorted keys and no whitespace: a canonical encoding.
            let payload = draft.payload.to_string();
            let payload_digest = audit::payload_digest(payload.as_bytes());
            let fields = audit::EntryFields {
                seq: u64::try_from(seq).expect("sequence numbers are positive"),
                recorded_at: &recorded_at,
                actor: &draft.actor,
                action: draft.action,
                subject: &draft.subject,
                payload_digest,
            };
            let hash = audit::entry_hash(&prev_hash, &fields);
            let row = AuditRow {
                seq,
                actor: draft.actor,
                action: draft.action,
                subject: draft.subject,
                payload,
                payload_digest,
                prev_hash,
                hash,
            };
            prev_hash = hash;
            row
        })
        .collect()
}

/// Refuses a write whose token, as read in the writing transaction, is not live (`None`:
/// revoked, or its user disabled), is another user's, has expired at `now`, or whose user's
/// role is not among `roles`.
pub(crate) fn check_credential(
    live: Option<&Authenticated>,
    user_id: i64,
    roles: &[domain::Role],
    now: OffsetDateTime,
) -> Result<(), Refusal> {
    match live {
        Some(live) if live.user_id == user_id => live.check(roles, now),
        _ => Err(Refusal::CredentialRevoked),
    }
}

/// Plans one request against the running view; on success its rows join `writes`.
pub(crate) fn plan(
    snapshot: &mut Snapshot,
    request: &Request,
    writes: &mut Writes,
) -> Result<Applied, Refusal> {
    if let Some(credential) = &request.credential {
        check_credential(
            snapshot.credentials.get(credential.as_slice()),
            request.user_id,
            request.change.roles(),
            snapshot.now,
        )?;
    }
    let claim = request.claim();
    if let Some((user_id, claim)) = claim
        && let Some(stored) = snapshot.keys.get(&(user_id, claim.key.clone()))
    {
        return if stored.request_digest == claim.request_digest {
            Ok(Applied::Replayed(stored.rendered.clone()))
        } else {
            Err(Refusal::IdempotencyKeyReused)
        };
    }
    let mut mine = Writes::default();
    let actor = user_label(request.user_id);
    let recorded_by = request.user_id;
    let outcome = match &request.change {
        Change::Donation(donation) => {
            plan_donation(snapshot, donation, recorded_by, &actor, &mut mine)?
        }
        Change::Reversal(reversal) => {
            plan_reversal(snapshot, reversal, recorded_by, &actor, &mut mine)?
        }
        Change::Distribution(distribution) => {
            plan_distribution(snapshot, distribution, recorded_by, &actor, &mut mine)?
        }
        Change::Donor(_) | Change::Campaign(_) | Change::AmilShare(_) => {
            plan_registry(&request.change, &actor, &mut mine)
        }
    };
    let rendered = claim.map(|(user_id, claim)| {
        let rendered = (claim.render)(&outcome);
        mine.keys.push(KeyRow {
            user_id,
            key: claim.key.clone(),
            request_digest: claim.request_digest.to_vec(),
            rendered: rendered.clone(),
        });
        snapshot.keys.insert(
            (user_id, claim.key.clone()),
            StoredKey {
                request_digest: claim.request_digest.to_vec(),
                rendered: rendered.clone(),
            },
        );
        rendered
    });
    snapshot.absorb(&mine, &outcome);
    writes.append(mine);
    Ok(Applied::Done(outcome, rendered))
}

/// Donors, campaigns and settings: no money moves, but the chain records them.
fn plan_registry(change: &Change, actor: &str, mine: &mut Writes) -> Outcome {
    match change {
        Change::Donor(person) => Outcome::Donor(file_donor(mine, actor, person)),
        Change::Campaign(campaign) => {
            let id = Uuid::now_v7();
            mine.campaigns.push((id, campaign.clone()));
            mine.audit.push(draft(
                actor,
                "campaign.create",
                format!("campaign:{id}"),
                json!({ "id": id, "name": campaign.name, "purpose": campaign.purpose }),
            ));
            Outcome::Campaign(id)
        }
        Change::AmilShare(share) => {
            mine.settings.push(SettingRow {
                key: AMIL_SHARE_SETTING,
                value: share.to_string(),
                changed_by: actor.to_owned(),
            });
            mine.audit.push(draft(
                actor,
                "setting.change",
                format!("setting:{AMIL_SHARE_SETTING}"),
                json!({ "value": share.to_string() }),
            ));
            Outcome::AmilShare(*share)
        }
        Change::Donation(_) | Change::Reversal(_) | Change::Distribution(_) => {
            unreachable!("money movements are planned by their own functions")
        }
    }
}

/// The settings key of the amil share.
pub(crate) const AMIL_SHARE_SETTING: &str = "amil_share_percent";

fn draft(
    actor: &str,
    action: &'static str,
    subject: String,
    payload: serde_json::Value,
) -> AuditDraft {
    AuditDraft {
        actor: actor.to_owned(),
        action,
        subject,
        payload,
    }
}

/// Files a donor. The chain records the id only, never personal data: that must stay
/// erasable (UU 27/2022) while the chain is immutable.
fn file_donor(mine: &mut Writes, actor: &str, person: &PersonalData) -> Uuid {
    let id = Uuid::now_v7();
    mine.donors.push((id, person.clone()));
    mine.audit.push(draft(
        actor,
        "donor.create",
        format!("donor:{id}"),
        json!({ "id": id }),
    ));
    id
}

/// Files a recipient (mustahik); like [`file_donor`], the chain gets the id only.
fn file_recipient(mine: &mut Writes, actor: &str, person: &PersonalData) -> Uuid {
    let id = Uuid::now_v7();
    mine.recipients.push((id, person.clone()));
    mine.audit.push(draft(
        actor,
        "recipient.create",
        format!("recipient:{id}"),
        json!({ "id": id }),
    ));
    id
}

fn fund_account(donation: &Donation) -> Account {
    let campaign = if donation.fund == Fund::InfakSedekahRestricted {
        donation.campaign_id
    } else {
        None
    };
    Account::Fund(donation.fund, campaign)
}

fn post(
    mine: &mut Writes,
    kind: &'static str,
    source_id: Uuid,
    currency: domain::Currency,
    lines: &[Line],
) -> serde_json::Value {
    let entry_id = Uuid::now_v7();
    mine.entries.push(EntryRow {
        id: entry_id,
        kind,
        source_id,
    });
    let mut described = Vec::with_capacity(lines.len());
    for (line_no, line) in (1..).zip(lines) {
        let account = line.account.code();
        described.push(json!({ "account": account, "amount_minor": line.amount_minor }));
        mine.lines.push(LineRow {
            entry_id,
            line_no,
            account,
            currency: currency.code(),
            amount_minor: line.amount_minor,
        });
    }
    json!({ "id": entry_id, "currency": currency.code(), "lines": described })
}

fn plan_donation(
    snapshot: &Snapshot,
    new: &NewDonation,
    recorded_by: i64,
    actor: &str,
    mine: &mut Writes,
) -> Result<Outcome, Refusal> {
    snapshot.check_campaign(new.campaign_id)?;
    let donor_id = match &new.donor {
        DonorRef::Existing(id) if snapshot.donors.contains(id) => Some(*id),
        DonorRef::Existing(id) => return Err(Refusal::UnknownDonor(*id)),
        DonorRef::New(person) => Some(file_donor(mine, actor, person)),
        DonorRef::Anonymous => None,
    };
    let fund = new.donation_type.fund(new.campaign_id.is_some());
    let amil_share_minor = if new.donation_type.is_zakat() {
        snapshot.amil_share.of(new.amount.minor())
    } else {
        0
    };
    let donation = Donation {
        id: Uuid::now_v7(),
        receipt: ReceiptNumber {
            year: ReceiptNumber::year_of(snapshot.now),
            serial: snapshot.receipt_serial_max + 1,
        },
        donation_type: new.donation_type,
        fund,
        campaign_id: new.campaign_id,
        donor_id,
        amount: new.amount,
        method: new.method,
        received_on: new.received_on,
        note: new.note.clone(),
        amil_share_minor,
        reversed_minor: 0,
        voided: false,
        recorded_by,
        recorded_at: snapshot.now,
    };
    let lines = ledger::donation_lines(
        Account::for_method(new.method),
        fund_account(&donation),
        new.amount.minor(),
        amil_share_minor,
    );
    let entry = post(mine, "donation", donation.id, new.amount.currency(), &lines);
    mine.audit.push(draft(
        actor,
        "donation.record",
        format!("donation:{}", donation.id),
        donation_payload(&donation, &entry),
    ));
    mine.donations.push(donation.clone());
    Ok(Outcome::Donation(donation))
}

/// What the chain records of a donation: the facts on its receipt and its journal entry, no
/// personal data (the donor is only an id).
fn donation_payload(donation: &Donation, entry: &serde_json::Value) -> serde_json::Value {
    json!({
        "id": donation.id,
        "receipt_number": donation.receipt.to_string(),
        "type": donation.donation_type,
        "fund": donation.fund,
        "campaign_id": donation.campaign_id,
        "donor_id": donation.donor_id,
        "amount": donation.amount.to_string(),
        "currency": donation.amount.currency().code(),
        "method": donation.method,
        "received_on": donation.received_on.to_string(),
        "amil_share_minor": donation.amil_share_minor,
        "journal_entry": entry,
    })
}

fn plan_reversal(
    snapshot: &Snapshot,
    new: &NewReversal,
    recorded_by: i64,
    actor: &str,
    mine: &mut Writes,
) -> Result<Outcome, Refusal> {
    let donation = snapshot
        .donations
        .get(&new.donation_id)
        .ok_or(Refusal::UnknownDonation(new.donation_id))?;
    if donation.voided {
        return Err(Refusal::AlreadyVoid);
    }
    let currency = donation.amount.currency();
    let amount_minor = match new.kind {
        ReversalKind::Void => donation.remaining_minor(),
        ReversalKind::Refund(amount) => amount,
    };
    if donation.remaining_minor() == 0 {
        return Err(Refusal::NothingLeft);
    }
    if amount_minor > donation.remaining_minor() {
        return Err(Refusal::RefundTooLarge {
            remaining: money_text(donation.remaining_minor(), currency),
        });
    }
    let share = ledger::reversed_amil_share(
        donation.amount.minor(),
        donation.amil_share_minor,
        donation.reversed_minor,
        amount_minor,
    );
    let lines = ledger::reversal_lines(
        Account::for_method(donation.method),
        fund_account(donation),
        amount_minor,
        share,
    );
    check_balances(snapshot, &lines, currency)?;
    let id = Uuid::now_v7();
    let kind = match new.kind {
        ReversalKind::Void => "void",
        ReversalKind::Refund(_) => "refund",
    };
    let entry = post(mine, kind, id, currency, &lines);
    mine.reversals.push(ReversalRow {
        id,
        donation_id: donation.id,
        kind,
        amount_minor,
        amil_share_minor: share,
        reason: new.reason.clone(),
        recorded_by,
    });
    mine.audit.push(draft(
        actor,
        if kind == "void" {
            "donation.void"
        } else {
            "donation.refund"
        },
        format!("donation:{}", donation.id),
        json!({
            "id": id,
            "donation_id": donation.id,
            "amount": money_text(amount_minor, currency),
            "currency": currency.code(),
            "amil_share_minor": share,
            "journal_entry": entry,
        }),
    ));
    let mut after = donation.clone();
    after.reversed_minor += amount_minor;
    after.voided = new.kind == ReversalKind::Void;
    Ok(Outcome::Reversal {
        id,
        kind: new.kind,
        donation: after,
    })
}

fn plan_distribution(
    snapshot: &Snapshot,
    new: &NewDistribution,
    recorded_by: i64,
    actor: &str,
    mine: &mut Writes,
) -> Result<Outcome, Refusal> {
    let account = ledger::distribution_account(new.fund, new.campaign_id, new.asnaf)?;
    snapshot.check_campaign(new.campaign_id)?;
    let recipient_id = match &new.recipient {
        RecipientRef::Existing(id) if snapshot.recipients.contains(id) => *id,
        RecipientRef::Existing(id) => return Err(Refusal::UnknownRecipient(*id)),
        RecipientRef::New(person) => file_recipient(mine, actor, person),
    };
    let currency = new.amount.currency();
    let lines =
        ledger::distribution_lines(account, Account::for_method(new.method), new.amount.minor());
    check_balances(snapshot, &lines, currency)?;
    let distribution = Distribution {
        id: Uuid::now_v7(),
        fund: new.fund,
        campaign_id: new.campaign_id,
        recipient_id,
        asnaf: new.asnaf,
        program: new.program.clone(),
        amount: new.amount,
        method: new.method,
        distributed_on: new.distributed_on,
        note: new.note.clone(),
        recorded_by,
        recorded_at: snapshot.now,
    };
    let entry = post(mine, "distribution", distribution.id, currency, &lines);
    mine.audit.push(draft(
        actor,
        "distribution.record",
        format!("distribution:{}", distribution.id),
        json!({
            "id": distribution.id,
            "fund": distribution.fund,
            "campaign_id": distribution.campaign_id,
            "recipient_id": recipient_id,
            "asnaf": distribution.asnaf,
            "program": distribution.program,
            "amount": distribution.amount.to_string(),
            "currency": currency.code(),
            "method": distribution.method,
            "distributed_on": distribution.distributed_on.to_string(),
            "journal_entry": entry,
        }),
    ));
    mine.distributions.push(distribution.clone());
    Ok(Outcome::Distribution(distribution))
}

/// The ledger's invariants over a planned batch, before a row of it is written: every journal
/// entry balances and no fund ends below zero (see [`ledger::check_postings`]).
/// `balances_before` are the balances the batch read, as they were before planning absorbed
/// the batch's own lines. The planner's per-request checks make a violation impossible; this
/// re-checks the rows as they will be stored, so a bug in planning refuses the batch instead
/// of writing it.
pub(crate) fn check_invariants(
    balances_before: &HashMap<(String, String), i64>,
    writes: &Writes,
) -> Result<(), ledger::Violation> {
    let postings: Vec<ledger::Posting<'_>> = writes
        .lines
        .iter()
        .map(|line| ledger::Posting {
            entry: line.entry_id,
            account: &line.account,
            currency: line.currency,
            amount_minor: line.amount_minor,
        })
        .collect();
    ledger::check_postings(&postings, |account, currency| {
        balances_before
            .get(&(account.to_owned(), currency.to_owned()))
            .copied()
            .unwrap_or(0)
    })
}

/// Refuses lines that would take a fund account below zero. Fund accounts are credit-normal:
/// the balance is the negated sum of lines.
fn check_balances(
    snapshot: &Snapshot,
    lines: &[Line],
    currency: domain::Currency,
) -> Result<(), Refusal> {
    let mut after: HashMap<Account, i64> = HashMap::new();
    for line in lines {
        if let Account::Fund(..) = line.account {
            *after.entry(line.account).or_default() += line.amount_minor;
        }
    }
    for (account, delta) in after {
        if delta <= 0 {
            continue;
        }
        let code = account.code();
        let held = -snapshot
            .balances
            .get(&(code.clone(), currency.code().to_owned()))
            .copied()
            .unwrap_or(0);
        if held - delta < 0 {
            return Err(Refusal::InsufficientFunds {
                account: code,
                balance: money_text(held, currency),
                needed: money_text(delta, currency),
            });
        }
    }
    Ok(())
}

/// An amount in minor units as `12345.00 IDR` (zero and negatives included).
fn money_text(minor: i64, currency: domain::Currency) -> String {
    format!("{} {}", currency.format_minor(minor), currency.code())
}

#[cfg(test)]
mod tests {
    use domain::ledger::Violation;
    use domain::{Asnaf, Currency, DonationType, Money, PaymentMethod, Role};
    use time::macros::datetime;

    use super::*;
    use crate::ledger::model::NewDistribution;

    fn snapshot() -> Snapshot {
        Snapshot {
            now: OffsetDateTime::UNIX_EPOCH,
            head_seq: 0,
            head_hash: audit::GENESIS_PREV_HASH,
            receipt_serial_max: 0,
            amil_share: AmilShare::MAX,
            keys: HashMap::new(),
            donations: HashMap::new(),
            balances: HashMap::new(),
            credentials: HashMap::new(),
            donors: HashSet::new(),
            campaigns: HashSet::new(),
            recipients: HashSet::new(),
        }
    }

    fn request(change: Change) -> Request {
        Request {
            user_id: 1,
            change,
            idempotency: None,
            credential: None,
        }
    }

    fn rupiah(minor: i64) -> Money {
        Money::from_minor(minor, Currency::IDR).unwrap()
    }

    fn zakat(minor: i64) -> Request {
        request(Change::Donation(NewDonation {
            donation_type: DonationType::ZakatMaal,
            campaign_id: None,
            donor: DonorRef::Anonymous,
            amount: rupiah(minor),
            method: PaymentMethod::Cash,
            received_on: time::macros::date!(2026 - 01 - 01),
            note: None,
        }))
    }

    fn distribution(minor: i64) -> Request {
        request(Change::Distribution(NewDistribution {
            fund: Fund::Zakat,
            campaign_id: None,
            recipient: RecipientRef::New(PersonalData::default()),
            asnaf: Asnaf::Fakir,
            program: "Bantuan pangan".to_owned(),
            amount: rupiah(minor),
            method: PaymentMethod::BankTransfer,
            distributed_on: time::macros::date!(2026 - 01 - 02),
            note: None,
        }))
    }

    /// Plans `requests` as one batch: the balances it read, and its rows.
    fn plan_batch(requests: &[Request]) -> (HashMap<(String, String), i64>, Writes) {
        let mut snapshot = snapshot();
        let before = snapshot.balances.clone();
        let mut writes = Writes::default();
        for request in requests {
            plan(&mut snapshot, request, &mut writes).expect("accepted");
        }
        (before, writes)
    }

    #[test]
    fn a_planned_batch_that_pays_out_what_it_took_in_keeps_the_invariants() {
        // 1 000 000 of zakat, 125 000 of it to the amil fund, and 875 000 paid out: the zakat
        // fund ends at exactly zero.
        let (before, writes) = plan_batch(&[zakat(1_000_000), distribution(875_000)]);
        assert_eq!(writes.entries.len(), 2);
        assert_eq!(check_invariants(&before, &writes), Ok(()));
    }

    #[test]
    fn a_line_changed_after_planning_unbalances_its_entry_and_refuses_the_batch() {
        let (before, mut writes) = plan_batch(&[zakat(1_000_000)]);
        writes.lines[0].amount_minor += 1;
        let entry = writes.lines[0].entry_id;
        assert_eq!(
            check_invariants(&before, &writes),
            Err(Violation::Unbalanced {
                entry,
                currency: "IDR".to_owned(),
                sum_minor: 1
            })
        );
    }

    #[test]
    fn a_balanced_entry_that_overdraws_a_fund_refuses_the_batch() {
        // The zakat fund holds 100; two payments of 100 slip in without the planner's check
        // (the bug this assertion is for): the entry balances, the fund would hold -100.
        let (_, mut writes) = plan_batch(&[]);
        let before = HashMap::from([(("fund:zakat".to_owned(), "IDR".to_owned()), -100)]);
        let entry = Uuid::now_v7();
        for (line_no, account, amount_minor) in [
            (1, "fund:zakat", 100),
            (2, "asset:bank", -100),
            (3, "fund:zakat", 100),
            (4, "asset:bank", -100),
        ] {
            writes.lines.push(LineRow {
                entry_id: entry,
                line_no,
                account: account.to_owned(),
                currency: "IDR",
                amount_minor,
            });
        }
        assert_eq!(
            check_invariants(&before, &writes),
            Err(Violation::FundBelowZero {
                account: "fund:zakat".to_owned(),
                currency: "IDR".to_owned(),
                balance_minor: -100
            })
        );
    }

    #[test]
    fn the_planner_refuses_an_overdraft_before_the_assertion_would_see_it() {
        let mut snapshot = snapshot();
        snapshot
            .balances
            .insert(("fund:zakat".to_owned(), "IDR".to_owned()), -100);
        let mut writes = Writes::default();
        assert!(plan(&mut snapshot, &distribution(100), &mut writes).is_ok());
        assert!(matches!(
            plan(&mut snapshot, &distribution(1), &mut writes),
            Err(Refusal::InsufficientFunds { .. })
        ));
    }

    const NOW: OffsetDateTime = datetime!(2026-12-01 05:00 UTC);

    fn live(role: Role, expires_at: Option<OffsetDateTime>) -> Authenticated {
        Authenticated {
            user_id: 7,
            role,
            expires_at,
        }
    }

    #[test]
    fn a_write_needs_a_live_unexpired_token_of_the_same_user_in_an_allowed_role() {
        let admins = domain::role::ADMINS;
        let recorders = domain::role::RECORDERS;
        assert_eq!(
            check_credential(Some(&live(Role::Admin, None)), 7, admins, NOW),
            Ok(())
        );
        assert_eq!(
            check_credential(Some(&live(Role::Amil, None)), 7, recorders, NOW),
            Ok(())
        );
        assert_eq!(
            check_credential(None, 7, admins, NOW),
            Err(Refusal::CredentialRevoked),
            "revoked, or the user disabled"
        );
        assert_eq!(
            check_credential(Some(&live(Role::Admin, None)), 8, admins, NOW),
            Err(Refusal::CredentialRevoked),
            "another user's token"
        );
        let expired = NOW - time::Duration::seconds(1);
        assert_eq!(
            check_credential(Some(&live(Role::Admin, Some(expired))), 7, admins, NOW),
            Err(Refusal::CredentialExpired(expired))
        );
        assert_eq!(
            check_credential(Some(&live(Role::Admin, Some(NOW))), 7, admins, NOW),
            Err(Refusal::CredentialExpired(NOW)),
            "a token expires at its expiry, not a moment later"
        );
        let later = NOW + time::Duration::minutes(1);
        assert_eq!(
            check_credential(Some(&live(Role::Admin, Some(later))), 7, admins, NOW),
            Ok(())
        );
        assert_eq!(
            check_credential(Some(&live(Role::Amil, None)), 7, admins, NOW),
            Err(Refusal::RoleNotAllowed(Role::Amil))
        );
        assert_eq!(
            check_credential(Some(&live(Role::Auditor, None)), 7, recorders, NOW),
            Err(Refusal::RoleNotAllowed(Role::Auditor))
        );
    }

    #[test]
    fn the_expiry_is_named_in_the_refusal() {
        assert_eq!(
            Refusal::CredentialExpired(NOW).to_string(),
            "this API token expired at 2026-12-01T05:00:00Z; create a new one with `donation_platform token create`"
        );
    }
}
