//! Passwords (argon2id) and API bearer tokens (256 random bits, stored as a SHA-256).
//!
//! Randomness is an input (salts, token bytes) so this stays free of I/O and testable.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use sha2::{Digest as _, Sha256};

/// Shorter passwords fall to offline guessing even under argon2id.
pub const PASSWORD_LENGTH_MIN: usize = 12;

/// argon2 hashes whatever it is given; an unbounded password is a denial-of-service lever.
pub const PASSWORD_LENGTH_MAX: usize = 1024;

/// Every token starts with this, so a leaked one is recognisable by secret scanners.
pub const TOKEN_PREFIX: &str = "dpt_";

/// Why a password was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Too short.
    #[error("the password is too short: use at least {PASSWORD_LENGTH_MIN} characters")]
    TooShort,
    /// Too long.
    #[error("the password is too long: use at most {PASSWORD_LENGTH_MAX} characters")]
    TooLong,
}

/// An e-mail address longer than this cannot be delivered (RFC 5321).
pub const EMAIL_LENGTH_MAX: usize = 254;

/// Not an e-mail address a user could sign in with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an e-mail address such as `amil@example.org`")]
pub struct NotAnEmail(pub String);

/// A user's e-mail, as stored and signed in with: trimmed and lower-cased, `local@domain.tld`
/// with no spaces, at most [`EMAIL_LENGTH_MAX`] bytes.
pub fn user_email(text: &str) -> Result<String, NotAnEmail> {
    let email = text.trim();
    let valid = email.len() <= EMAIL_LENGTH_MAX
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email.to_lowercase())
    } else {
        Err(NotAnEmail(email.chars().take(64).collect()))
    }
}

/// Hashes a password with argon2id (the crate's defaults, which follow RFC 9106's
/// recommendation for memory-constrained servers) and a caller-supplied random salt.
pub fn hash_password(password: &str, salt: [u8; 16]) -> Result<String, PasswordError> {
    let length = password.chars().count();
    if length < PASSWORD_LENGTH_MIN {
        return Err(PasswordError::TooShort);
    }
    if password.len() > PASSWORD_LENGTH_MAX {
        return Err(PasswordError::TooLong);
    }
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt length");
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2id with default parameters hashes any bounded password")
        .to_string())
}

/// Whether `password` matches a stored argon2 hash (false for an unreadable hash).
#[must_use]
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    password.len() <= PASSWORD_LENGTH_MAX
        && PasswordHash::new(stored_hash).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
}

/// A new bearer token from 32 random bytes: `dpt_` + unpadded base64url.
#[must_use]
pub fn token_from_bytes(random: [u8; 32]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut token = String::from(TOKEN_PREFIX);
    // 32 bytes = 256 bits; 6 bits per character, 43 characters.
    let mut bits: u32 = 0;
    let mut count = 0;
    for byte in random {
        bits = (bits << 8) | u32::from(byte);
        count += 8;
        while count >= 6 {
            count -= 6;
            token.push(char::from(ALPHABET[((bits >> count) & 63) as usize]));
        }
    }
    if count > 0 {
        token.push(char::from(ALPHABET[((bits << (6 - count)) & 63) as usize]));
    }
    token
}

/// What is stored for a token: its SHA-256, behind a domain prefix.
#[must_use]
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"donation_platform/api-token/v1\0")
        .chain_update(token.as_bytes())
        .finalize()
        .into()
}

/// How long a token lives when `token create` is given no `--expires-in`: a quarter, so a
/// token copied into a forgotten script stops working on its own within months.
pub const TOKEN_LIFETIME_DEFAULT: time::Duration = time::Duration::days(90);

/// The longest lifetime a token may be given: a year, so every token is rotated at least
/// yearly.
pub const TOKEN_LIFETIME_MAX: time::Duration = time::Duration::days(365);

/// The shortest: a minute (shorter is a typo, or a test that should set the column itself).
pub const TOKEN_LIFETIME_MIN: time::Duration = time::Duration::minutes(1);

/// A token lifetime that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenLifetimeError {
    /// Not a number followed by `d`, `h` or `m`.
    #[error(
        "`{0}` is not a lifetime: write a whole number and a unit, `d` (days), `h` (hours) or `m` (minutes), e.g. `90d`"
    )]
    Malformed(String),
    /// Shorter than [`TOKEN_LIFETIME_MIN`].
    #[error("`{0}` is too short: a token lives at least 1 minute (`1m`)")]
    TooShort(String),
    /// Longer than [`TOKEN_LIFETIME_MAX`].
    #[error(
        "`{0}` is too long: a token lives at most 365 days (`365d`); create a new one before it expires"
    )]
    TooLong(String),
}

/// Parses a token lifetime such as `90d`, `12h` or `30m`, within [`TOKEN_LIFETIME_MIN`] and
/// [`TOKEN_LIFETIME_MAX`].
pub fn parse_token_lifetime(text: &str) -> Result<time::Duration, TokenLifetimeError> {
    let text = text.trim();
    let shown = || text.chars().take(40).collect::<String>();
    let malformed = || TokenLifetimeError::Malformed(shown());
    let split = text.len().checked_sub(1).ok_or_else(malformed)?;
    let (number, unit) = (text.get(..split).ok_or_else(malformed)?, &text[split..]);
    if number.is_empty() || number.len() > 9 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let count: i64 = number.parse().map_err(|_| malformed())?;
    let lifetime = match unit {
        "d" => time::Duration::days(count),
        "h" => time::Duration::hours(count),
        "m" => time::Duration::minutes(count),
        _ => return Err(malformed()),
    };
    if lifetime < TOKEN_LIFETIME_MIN {
        return Err(TokenLifetimeError::TooShort(shown()));
    }
    if lifetime > TOKEN_LIFETIME_MAX {
        return Err(TokenLifetimeError::TooLong(shown()));
    }
    Ok(lifetime)
}

/// When a token whose lifetime ends at `expires_at` (none: no expiry) stopped working, if it
/// has by `now`. A token expires at its expiry, not a moment later. The one rule for the door
/// (401 naming the time) and for the write's own transaction.
#[must_use]
pub fn token_expired(
    expires_at: Option<time::OffsetDateTime>,
    now: time::OffsetDateTime,
) -> Option<time::OffsetDateTime> {
    expires_at.filter(|at| *at <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetimes_are_days_hours_or_minutes_within_bounds() {
        assert_eq!(parse_token_lifetime("90d"), Ok(time::Duration::days(90)));
        assert_eq!(parse_token_lifetime("12h"), Ok(time::Duration::hours(12)));
        assert_eq!(
            parse_token_lifetime(" 30m "),
            Ok(time::Duration::minutes(30))
        );
        assert_eq!(parse_token_lifetime("365d"), Ok(TOKEN_LIFETIME_MAX));
        for bad in [
            "",
            "d",
            "90",
            "90 d",
            "-1d",
            "1.5d",
            "90w",
            "9999999999d",
            "1é",
        ] {
            assert!(
                matches!(
                    parse_token_lifetime(bad),
                    Err(TokenLifetimeError::Malformed(_))
                ),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_token_lifetime("0m"),
            Err(TokenLifetimeError::TooShort("0m".to_owned()))
        );
        assert_eq!(
            parse_token_lifetime("366d"),
            Err(TokenLifetimeError::TooLong("366d".to_owned()))
        );
        assert_eq!(
            parse_token_lifetime("8761h"),
            Err(TokenLifetimeError::TooLong("8761h".to_owned()))
        );
    }

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery", [7; 16]).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password("correct horse battery", "not a hash"));
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert_eq!(
            hash_password("short", [0; 16]),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            hash_password(&"x".repeat(2000), [0; 16]),
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn tokens_carry_256_bits_in_43_characters() {
        let token = token_from_bytes([255; 32]);
        assert_eq!(token.len(), TOKEN_PREFIX.len() + 43);
        assert_ne!(token_from_bytes([1; 32]), token_from_bytes([2; 32]));
        assert_ne!(token_hash(&token), token_hash("dpt_other"));
    }

    #[test]
    fn a_token_expires_at_its_expiry_not_a_moment_later() {
        let now = time::macros::datetime!(2026-12-01 05:00 UTC);
        let second = time::Duration::seconds(1);
        assert_eq!(token_expired(None, now), None);
        assert_eq!(token_expired(Some(now + second), now), None);
        assert_eq!(token_expired(Some(now), now), Some(now));
        assert_eq!(token_expired(Some(now - second), now), Some(now - second));
    }

    #[test]
    fn a_user_email_is_trimmed_lower_cased_and_checked() {
        assert_eq!(
            user_email(" Amil@Example.org ").unwrap(),
            "amil@example.org"
        );
        for bad in [
            "amil",
            "@example.org",
            "amil@localhost",
            "a mil@example.org",
            "",
        ] {
            assert!(user_email(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.org", "a".repeat(EMAIL_LENGTH_MAX));
        assert!(user_email(&long).is_err());
    }
}
