//! Which fund may pay for what (reference §10; UU 23/2011, UU 41/2004, PSAK 109), and the
//! rate a foreign-currency gift is booked at.

use rust_decimal::Decimal;
use uuid::Uuid;

use super::books::CampaignRules;
use super::{Account, Asnaf, Fund, PublicPurpose};
use crate::money::AMOUNT_MINOR_MAX;
use crate::{Currency, Money};

/// Why a distribution may not be paid from a fund. Each is its own problem type in the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DistributionRule {
    /// The zakat fund pays the amil only through the amil share taken at receipt.
    #[error(
        "the zakat fund pays the amil only through the amil share taken at receipt; use the `amil` fund for amil operations"
    )]
    ZakatToAmil,
    /// Infak/sedekah and wakaf benefits pay the amil or nazhir only through their share.
    #[error(
        "the `{0}` fund pays the amil only through the share taken at receipt (at most 20 % of infak/sedekah, Peraturan BAZNAS 1/2016; 10 % of wakaf benefits, UU 41/2004 art. 12)"
    )]
    ShareOnlyAtReceipt(Fund),
    /// Wakaf principal is kept; only its benefits are distributed.
    #[error(
        "wakaf principal is never distributed (UU 41/2004): record what the wakaf earns with `POST /api/v1/wakaf/benefits` and distribute from `wakaf_benefits`"
    )]
    WakafPrincipal,
    /// Non-halal money goes to public-interest uses only, named by `purpose`.
    #[error(
        "non-halal money pays only for public-interest uses, never worship and never the amil: give a `purpose` and no `asnaf`"
    )]
    NonHalalPublicUse,
    /// Every other fund pays one of the asnaf.
    #[error(
        "the `{0}` fund pays one of the asnaf: give an `asnaf` (a `purpose` is only for the `non_halal` fund)"
    )]
    AsnafRequired(Fund),
    /// Fidyah and kafarat feed the poor.
    #[error("the `{0}` fund pays only the `fakir` and `miskin`")]
    OnlyThePoor(Fund),
    /// A restricted fund is for its campaign's purpose only.
    #[error(
        "restricted infak/sedekah may only be used for its campaign's purpose: give the `campaign_id` the money was given for"
    )]
    RestrictedWithoutCampaign,
    /// Only some funds are kept per campaign.
    #[error(
        "the `{0}` fund is not kept per campaign: leave out `campaign_id` (zakat, infak/sedekah, fidyah and kafarat given for a campaign are)"
    )]
    NotKeptPerCampaign(Fund),
    /// The campaign's money may not pay this asnaf.
    #[error("campaign `{campaign}` may pay only {allowed}, not `{asnaf}` (UU 23/2011 art. 28)")]
    OutsideCampaignPurpose {
        /// The campaign.
        campaign: Uuid,
        /// The asnaf asked for.
        asnaf: Asnaf,
        /// Its allowed asnaf, listed.
        allowed: AsnafList,
    },
    /// A gift for a campaign must be spendable on the campaign's purpose.
    #[error(
        "campaign `{campaign}` may pay only {allowed}, and the `{fund}` fund can pay none of them: record the gift without `campaign_id`, or for a campaign whose purpose it can serve"
    )]
    CampaignCannotSpend {
        /// The campaign.
        campaign: Uuid,
        /// The fund the gift would go to.
        fund: Fund,
        /// The campaign's allowed asnaf.
        allowed: AsnafList,
    },
}

impl DistributionRule {
    /// The rule's name, the last segment of its problem type.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            DistributionRule::ZakatToAmil => "zakat-to-amil",
            DistributionRule::ShareOnlyAtReceipt(_) => "amil-share-only-at-receipt",
            DistributionRule::WakafPrincipal => "wakaf-principal",
            DistributionRule::NonHalalPublicUse => "non-halal-public-use",
            DistributionRule::AsnafRequired(_) => "asnaf-required",
            DistributionRule::OnlyThePoor(_) => "fakir-miskin-only",
            DistributionRule::RestrictedWithoutCampaign => "restricted-without-campaign",
            DistributionRule::NotKeptPerCampaign(_) => "not-kept-per-campaign",
            DistributionRule::OutsideCampaignPurpose { .. } => "campaign-purpose",
            DistributionRule::CampaignCannotSpend { .. } => "campaign-cannot-spend",
        }
    }
}

/// A set of asnaf, for messages: `` `fakir`, `miskin` ``.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsnafList(pub u8);

impl AsnafList {
    /// The set of `asnaf`.
    #[must_use]
    pub fn of(asnaf: &[Asnaf]) -> AsnafList {
        AsnafList(asnaf.iter().fold(0, |bits, a| bits | AsnafList::bit(*a)))
    }

    fn bit(asnaf: Asnaf) -> u8 {
        let index = Asnaf::ALL.iter().position(|a| *a == asnaf).unwrap_or(0);
        1 << index
    }

    /// Whether `asnaf` is in the set.
    #[must_use]
    pub fn contains(self, asnaf: Asnaf) -> bool {
        self.0 & AsnafList::bit(asnaf) != 0
    }

    /// The members, in the order of [`Asnaf::ALL`].
    pub fn iter(self) -> impl Iterator<Item = Asnaf> {
        Asnaf::ALL
            .iter()
            .copied()
            .filter(move |a| self.contains(*a))
    }
}

impl std::fmt::Display for AsnafList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.iter().map(|a| format!("`{a}`")).collect();
        f.write_str(&names.join(", "))
    }
}

/// Whom a distribution pays: one of the asnaf, or (non-halal money) a public purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// The recipient's asnaf.
    pub asnaf: Option<Asnaf>,
    /// The public-interest use.
    pub purpose: Option<PublicPurpose>,
}

/// Checks that `fund` may pay `target` (for `campaign` and its rules, if any), and names the
/// account the money comes from.
pub(crate) fn distribution_account(
    fund: Fund,
    campaign: Option<(Uuid, &CampaignRules)>,
    target: Target,
) -> Result<Account, DistributionRule> {
    let asnaf = match (fund, target.asnaf, target.purpose) {
        (Fund::NonHalal, None, Some(_)) => None,
        (Fund::NonHalal, _, _) => return Err(DistributionRule::NonHalalPublicUse),
        (_, Some(asnaf), None) => Some(asnaf),
        (_, _, _) => return Err(DistributionRule::AsnafRequired(fund)),
    };
    match (fund, asnaf) {
        (Fund::Wakaf, _) => return Err(DistributionRule::WakafPrincipal),
        (Fund::Zakat, Some(Asnaf::Amil)) => return Err(DistributionRule::ZakatToAmil),
        (
            Fund::InfakSedekahRestricted | Fund::InfakSedekahUnrestricted | Fund::WakafBenefits,
            Some(Asnaf::Amil),
        ) => return Err(DistributionRule::ShareOnlyAtReceipt(fund)),
        (Fund::Fidyah | Fund::Kafarat, Some(a)) if !matches!(a, Asnaf::Fakir | Asnaf::Miskin) => {
            return Err(DistributionRule::OnlyThePoor(fund));
        }
        _ => {}
    }
    match campaign {
        None if fund == Fund::InfakSedekahRestricted => {
            Err(DistributionRule::RestrictedWithoutCampaign)
        }
        None => Ok(Account::Fund(fund, None)),
        Some(_) if !fund.kept_per_campaign() => Err(DistributionRule::NotKeptPerCampaign(fund)),
        Some((id, rules)) => match asnaf {
            Some(asnaf) if !rules.allowed_asnaf.contains(asnaf) => {
                Err(DistributionRule::OutsideCampaignPurpose {
                    campaign: id,
                    asnaf,
                    allowed: rules.allowed_asnaf,
                })
            }
            _ => Ok(Account::Fund(fund, Some(id))),
        },
    }
}

/// Checks that money of `fund` given for a campaign can be spent on the campaign's purpose:
/// some asnaf the campaign allows is one the fund may pay (fidyah for a campaign that feeds
/// neither the fakir nor the miskin would sit in the books for ever).
pub(crate) fn campaign_can_spend(
    fund: Fund,
    campaign: Uuid,
    rules: CampaignRules,
) -> Result<(), DistributionRule> {
    let spendable = !fund.kept_per_campaign()
        || rules.allowed_asnaf.iter().any(|asnaf| {
            let target = Target {
                asnaf: Some(asnaf),
                purpose: None,
            };
            distribution_account(fund, Some((campaign, &rules)), target).is_ok()
        });
    if spendable {
        Ok(())
    } else {
        Err(DistributionRule::CampaignCannotSpend {
            campaign,
            fund,
            allowed: rules.allowed_asnaf,
        })
    }
}

/// How many rupiah one unit of a foreign currency was worth when a gift was received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateToIdr(Decimal);

/// Why a rate was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RateToIdrError {
    /// Not a positive decimal with at most 6 fraction digits.
    #[error(
        "`rate_to_idr` must be a positive decimal string with at most 6 fraction digits, e.g. `15850.25` (rupiah per unit)"
    )]
    NotARate,
    /// The amount it books is zero or too large.
    #[error(
        "`rate_to_idr` books this amount as {0} rupiah minor units, outside what one movement may carry"
    )]
    OutOfRange(i128),
}

impl RateToIdr {
    /// Parses `15850.25`.
    pub fn parse(text: &str) -> Result<RateToIdr, RateToIdrError> {
        let ok = !text.is_empty()
            && text.len() <= 24
            && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        let rate: Decimal = if ok {
            text.parse().map_err(|_| RateToIdrError::NotARate)?
        } else {
            return Err(RateToIdrError::NotARate);
        };
        if rate <= Decimal::ZERO || rate.scale() > 6 {
            return Err(RateToIdrError::NotARate);
        }
        Ok(RateToIdr(rate.normalize()))
    }

    /// The amount in rupiah minor units (sen), rounded half to even.
    pub fn booked(self, amount: Money) -> Result<i64, RateToIdrError> {
        let units = Decimal::from_i128_with_scale(
            i128::from(amount.minor()),
            u32::from(amount.currency().exponent()),
        );
        let sen = (units * self.0 * Decimal::ONE_HUNDRED).round();
        let sen = i128::try_from(sen).map_err(|_| RateToIdrError::OutOfRange(i128::MAX))?;
        if sen <= 0 || sen > i128::from(AMOUNT_MINOR_MAX) {
            return Err(RateToIdrError::OutOfRange(sen));
        }
        Ok(i64::try_from(sen).expect("checked against the maximum"))
    }
}

impl std::fmt::Display for RateToIdr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The currency funds and statements are kept in.
pub const BOOKS_CURRENCY: Currency = Currency::IDR;

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(allowed: &[Asnaf]) -> CampaignRules {
        CampaignRules {
            allowed_asnaf: AsnafList::of(allowed),
            amil_share: super::super::Share::ZERO,
        }
    }

    fn to(asnaf: Asnaf) -> Target {
        Target {
            asnaf: Some(asnaf),
            purpose: None,
        }
    }

    #[test]
    fn distribution_rules_follow_the_funds_table() {
        let c = Uuid::nil();
        let floods = rules(&[Asnaf::Fakir, Asnaf::Miskin]);
        let check = distribution_account;
        assert_eq!(
            check(Fund::Zakat, None, to(Asnaf::Amil)),
            Err(DistributionRule::ZakatToAmil)
        );
        assert_eq!(
            check(Fund::InfakSedekahUnrestricted, None, to(Asnaf::Amil)),
            Err(DistributionRule::ShareOnlyAtReceipt(
                Fund::InfakSedekahUnrestricted
            ))
        );
        assert_eq!(
            check(
                Fund::InfakSedekahRestricted,
                Some((c, &floods)),
                to(Asnaf::Amil)
            ),
            Err(DistributionRule::ShareOnlyAtReceipt(
                Fund::InfakSedekahRestricted
            ))
        );
        assert_eq!(
            check(Fund::Wakaf, None, to(Asnaf::Fakir)),
            Err(DistributionRule::WakafPrincipal)
        );
        assert_eq!(
            check(Fund::NonHalal, None, to(Asnaf::FiSabilillah)),
            Err(DistributionRule::NonHalalPublicUse)
        );
        let facilities = Target {
            asnaf: None,
            purpose: Some(PublicPurpose::PublicFacilities),
        };
        assert_eq!(
            check(Fund::NonHalal, None, facilities),
            Ok(Account::Fund(Fund::NonHalal, None))
        );
        assert_eq!(
            check(Fund::Zakat, None, facilities),
            Err(DistributionRule::AsnafRequired(Fund::Zakat))
        );
        assert_eq!(
            check(Fund::Fidyah, None, to(Asnaf::Gharimin)),
            Err(DistributionRule::OnlyThePoor(Fund::Fidyah))
        );
        assert_eq!(
            check(Fund::InfakSedekahRestricted, None, to(Asnaf::Fakir)),
            Err(DistributionRule::RestrictedWithoutCampaign)
        );
        assert_eq!(
            check(Fund::Amil, Some((c, &floods)), to(Asnaf::Amil)),
            Err(DistributionRule::NotKeptPerCampaign(Fund::Amil))
        );
        assert!(matches!(
            check(Fund::Zakat, Some((c, &floods)), to(Asnaf::Gharimin)),
            Err(DistributionRule::OutsideCampaignPurpose { .. })
        ));
        assert_eq!(
            check(Fund::Zakat, Some((c, &floods)), to(Asnaf::Miskin)),
            Ok(Account::Fund(Fund::Zakat, Some(c)))
        );
        assert_eq!(
            check(Fund::Amil, None, to(Asnaf::Amil)),
            Ok(Account::Fund(Fund::Amil, None))
        );
        assert_eq!(
            check(Fund::WakafBenefits, None, to(Asnaf::IbnuSabil)),
            Ok(Account::Fund(Fund::WakafBenefits, None))
        );
    }

    #[test]
    fn a_foreign_gift_is_booked_in_rupiah_at_its_rate() {
        let usd: Currency = "USD".parse().unwrap();
        let rate = RateToIdr::parse("15850.25").unwrap();
        // USD 100.00 at 15,850.25 is Rp 1,585,025.00.
        assert_eq!(
            rate.booked(Money::from_minor(10_000, usd).unwrap()),
            Ok(158_502_500)
        );
        for bad in ["0", "-1", "1e3", "", "1.1234567", "abc"] {
            assert_eq!(
                RateToIdr::parse(bad),
                Err(RateToIdrError::NotARate),
                "{bad}"
            );
        }
        let tiny = RateToIdr::parse("0.000001").unwrap();
        assert!(tiny.booked(Money::from_minor(1, usd).unwrap()).is_err());
    }
}
