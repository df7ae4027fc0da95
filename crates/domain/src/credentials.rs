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

#[cfg(test)]
mod tests {
    use super::*;

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
}
