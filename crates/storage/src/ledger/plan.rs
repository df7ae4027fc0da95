//! Planning a batch: the books as the database holds them (read once per batch, under the
//! writer lock), each request checked for its credential and idempotency key and then applied
//! to the books (`domain::ledger::Books`, where every ledger rule lives), its effects gathered
//! as rows to insert. No I/O here, and no ledger rule.

use std::collections::HashMap;

use domain::Currency;
use domain::audit::{self, Hash};
use domain::ledger::{Account, Books, Effects, Record};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::model::{Applied, Authenticated, Refusal, Rendered, Request, user_label};
use domain::ledger::{
    Campaign, Distribution, Donation, FiledDonor, NewRecipient, Reversal, WakafBenefit,
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
    /// The chain's length and last hash before the batch.
    pub head_seq: i64,
    pub head_hash: Hash,
    /// The books as the batch's changes need them (`books.now` stamps every row).
    pub books: Books,
    /// Stored idempotency keys among those the batch claims, by (user, key).
    pub keys: HashMap<(i64, String), StoredKey>,
    /// Live tokens (not revoked, user enabled) among those the batch's requests came with.
    pub credentials: HashMap<Vec<u8>, Authenticated>,
}

/// What a batch must read besides the books: token hashes and claimed keys.
#[derive(Debug, Default)]
pub(crate) struct Claims {
    /// Token hashes the requests came with.
    pub credentials: Vec<[u8; 32]>,
    /// Claimed idempotency keys, by user.
    pub keys: HashMap<i64, Vec<String>>,
}

impl Claims {
    pub fn of(requests: &[Request]) -> Claims {
        let mut claims = Claims::default();
        for request in requests {
            if let Some((user_id, claim)) = request.claim() {
                claims
                    .keys
                    .entry(user_id)
                    .or_default()
                    .push(claim.key.clone());
            }
            if let Some(credential) = request.credential
                && !claims.credentials.contains(&credential)
            {
                claims.credentials.push(credential);
            }
        }
        claims
    }
}

/// Rows to insert for a batch, in the order foreign keys need.
#[derive(Debug, Default)]
pub(crate) struct Writes {
    pub donors: Vec<FiledDonor>,
    pub recipients: Vec<(Uuid, NewRecipient)>,
    pub campaigns: Vec<Campaign>,
    pub donations: Vec<Donation>,
    pub reversals: Vec<Reversal>,
    pub distributions: Vec<Distribution>,
    pub wakaf_benefits: Vec<WakafBenefit>,
    pub entries: Vec<EntryRow>,
    pub lines: Vec<LineRow>,
    pub keys: Vec<KeyRow>,
    pub settings: Vec<SettingRow>,
    pub audit: Vec<AuditDraft>,
}

impl Writes {
    /// Takes the rows of an accepted change, made by `actor`.
    fn add(&mut self, actor: &str, effects: Effects) {
        for record in effects.records {
            match record {
                Record::Donor(donor) => self.donors.push(donor),
                Record::Recipient(id, recipient) => self.recipients.push((id, recipient)),
                Record::Campaign(campaign) => self.campaigns.push(campaign),
                Record::Donation(donation) => self.donations.push(donation),
                Record::Reversal(reversal) => self.reversals.push(reversal),
                Record::Distribution(distribution) => self.distributions.push(distribution),
                Record::WakafBenefit(benefit) => self.wakaf_benefits.push(benefit),
                Record::Setting(setting) => self.settings.push(SettingRow {
                    key: setting.key(),
                    value: setting.value(),
                    changed_by: actor.to_owned(),
                }),
            }
        }
        for entry in effects.entries {
            for (line_no, line) in (1..).zip(&entry.lines) {
                self.lines.push(LineRow {
                    entry_id: entry.id,
                    line_no,
                    account: line.account.code(),
                    currency: entry.currency.code(),
                    amount_minor: line.amount_minor,
                });
            }
            self.entries.push(EntryRow {
                id: entry.id,
                kind: entry.kind,
                source_id: entry.source_id,
            });
        }
        for note in effects.audit {
            self.audit.push(AuditDraft {
                actor: actor.to_owned(),
                action: note.action,
                subject: note.subject,
                payload: note.payload,
            });
        }
    }
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
    pub payload: Value,
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
            snapshot.books.now,
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
    let effects = snapshot
        .books
        .apply(&request.change, request.user_id, &mut Uuid::now_v7)?;
    let outcome = effects.outcome.clone();
    let rendered = claim.map(|(user_id, claim)| {
        let rendered = (claim.render)(&outcome);
        writes.keys.push(KeyRow {
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
    writes.add(&user_label(request.user_id), effects);
    Ok(Applied::Done(outcome, rendered))
}

/// The ledger's invariants over a planned batch, before a row of it is written: every journal
/// entry balances and nothing is taken below zero (see [`domain::ledger::check_postings`]).
/// `balances_before` are the balances the batch read, before the batch's own lines. The books
/// refuse a change that would break them; this re-checks the rows as they will be stored, so
/// a bug between the two refuses the batch instead of writing it.
pub(crate) fn check_invariants(
    balances_before: &HashMap<(Account, Currency), i64>,
    writes: &Writes,
) -> Result<(), domain::ledger::Violation> {
    let postings: Vec<domain::ledger::Posting<'_>> = writes
        .lines
        .iter()
        .map(|line| domain::ledger::Posting {
            entry: line.entry_id,
            account: &line.account,
            currency: line.currency,
            amount_minor: line.amount_minor,
        })
        .collect();
    domain::ledger::check_postings(&postings, |account, currency| {
        let (Some(account), Ok(currency)) = (Account::from_code(account), currency.parse()) else {
            return 0;
        };
        balances_before
            .get(&(account, currency))
            .copied()
            .unwrap_or(0)
    })
}

#[cfg(test)]
mod tests {
    use domain::ledger::{
        Change, DonorRef, NewDistribution, NewDonation, PersonalData, RecipientRef, Violation,
    };
    use domain::{Asnaf, Currency, DonationType, Fund, Money, PaymentMethod, Role};
    use time::macros::datetime;

    use super::*;

    fn snapshot() -> Snapshot {
        Snapshot {
            head_seq: 0,
            head_hash: audit::GENESIS_PREV_HASH,
            books: Books::new(OffsetDateTime::UNIX_EPOCH),
            keys: HashMap::new(),
            credentials: HashMap::new(),
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
            rate_to_idr: None,
            method: PaymentMethod::BankTransfer,
            received_on: time::macros::date!(2026 - 01 - 01),
            note: None,
        }))
    }

    fn distribution(minor: i64) -> Request {
        request(Change::Distribution(NewDistribution {
            fund: Fund::Zakat,
            campaign_id: None,
            recipient: RecipientRef::New(PersonalData::default()),
            asnaf: Some(Asnaf::Fakir),
            purpose: None,
            program: "Bantuan pangan".to_owned(),
            amount: rupiah(minor),
            method: PaymentMethod::BankTransfer,
            distributed_on: time::macros::date!(2026 - 01 - 02),
            note: None,
        }))
    }

    /// Plans `requests` as one batch: the balances it read, and its rows.
    fn plan_batch(requests: &[Request]) -> (HashMap<(Account, Currency), i64>, Writes) {
        let mut snapshot = snapshot();
        let before = snapshot.books.balances.clone();
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
        assert_eq!(writes.recipients.len(), 1);
        assert_eq!(writes.audit.len(), 3, "donation, recipient, distribution");
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
        // The zakat fund holds 100; two payments of 100 slip in without the books' check
        // (the bug this assertion is for): the entry balances, the fund would hold -100.
        let (_, mut writes) = plan_batch(&[]);
        let before = HashMap::from([
            ((Account::Fund(Fund::Zakat, None), Currency::IDR), -100),
            ((Account::Bank, Currency::IDR), 1000),
        ]);
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
            Err(Violation::BelowZero {
                account: "fund:zakat".to_owned(),
                currency: "IDR".to_owned(),
                balance_minor: -100
            })
        );
    }

    #[test]
    fn the_books_refuse_an_overdraft_before_the_assertion_would_see_it() {
        let mut snapshot = snapshot();
        let mut writes = Writes::default();
        assert!(plan(&mut snapshot, &zakat(800), &mut writes).is_ok());
        assert!(plan(&mut snapshot, &distribution(700), &mut writes).is_ok());
        assert!(matches!(
            plan(&mut snapshot, &distribution(1), &mut writes),
            Err(Refusal::Books(
                domain::ledger::Refusal::InsufficientFunds { .. }
            ))
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
