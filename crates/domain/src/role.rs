//! Who may do what: the three roles of SPEC §5.

use std::fmt;
use std::str::FromStr;

/// A user's role. Stored and exchanged by its lowercase name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages users, tokens and settings.
    Admin,
    /// Amil staff: records donations and distributions, prints receipts.
    Amil,
    /// Financial or sharia auditor: reads everything, verifies the audit chain, changes nothing.
    Auditor,
}

impl Role {
    /// Every role, in the order they are listed to users.
    pub const ALL: [Role; 3] = [Role::Admin, Role::Amil, Role::Auditor];

    /// The stored and displayed name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Amil => "amil",
            Role::Auditor => "auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who records money movements (donations, reversals, distributions, donors).
pub const RECORDERS: &[Role] = &[Role::Admin, Role::Amil];

/// Who changes the institution's settings, campaigns, zakat data, users and tokens.
pub const ADMINS: &[Role] = &[Role::Admin];

/// Who verifies the audit chain.
pub const VERIFIERS: &[Role] = &[Role::Admin, Role::Auditor];

/// Who reads donors' and recipients' personal data (name, NIK, NPWP, contact, eligibility):
/// the staff who serve them. Auditors see the registers' ids and NPWZ and the books, never a
/// person's data (UU 27/2022: no more than the purpose needs).
pub const PERSONAL_DATA_READERS: &[Role] = &[Role::Admin, Role::Amil];

/// Who reads the PSAK 109 statements, the collections and distributions reports and the
/// exports of donations and distributions: every role. Amil staff draw them up, auditors
/// examine them, admins sign them; none of them carries a person's data (donors and recipients
/// appear by id only), so no role needs keeping from them.
pub const REPORT_READERS: &[Role] = &[Role::Admin, Role::Amil, Role::Auditor];

/// Who erases a donor's or recipient's personal data on their request (UU 27/2022), and sees
/// who read whose record how often.
pub const ERASERS: &[Role] = &[Role::Admin];

/// A role name that is not one of [`Role::ALL`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown role `{0}`: use one of `admin`, `amil`, `auditor`")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_parses_from_its_own_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
    }

    #[test]
    fn an_unknown_name_is_rejected_with_the_valid_choices() {
        let err = "superuser".parse::<Role>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown role `superuser`: use one of `admin`, `amil`, `auditor`"
        );
    }
}
