//! Turning request bodies, headers and fields into checked values, or into a 4xx that names
//! what is wrong.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use serde::Deserialize as _;
use serde::de::DeserializeOwned;
use sha2::{Digest as _, Sha256};
use time::{Date, OffsetDateTime};

use super::error::ApiError;

/// A JSON body: the value, and a digest of its canonical form (sorted keys, no whitespace) so
/// a retry that formats the same request differently is still the same request.
pub struct ApiJson<T> {
    /// The parsed body.
    pub value: T,
    /// SHA-256 of the method, path and canonical body.
    pub digest: [u8; 32],
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let scope = format!("{} {}\n", request.method(), request.uri().path());
        let json = json_body(request, state).await?;
        ApiJson::from_json(&scope, &json)
    }
}

/// A JSON object body taken as it is, for an operation that only calculates (the zakat
/// calculator): read and checked like [`ApiJson`]'s, without the digest that only a write's
/// idempotency needs and without copying the object again.
pub struct JsonFields(pub serde_json::Map<String, serde_json::Value>);

impl<S: Send + Sync> FromRequest<S> for JsonFields {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match json_body(request, state).await? {
            serde_json::Value::Object(fields) => Ok(JsonFields(fields)),
            // Not an object: the 422 `ApiJson` gives.
            other => deserialize(&other).map(JsonFields),
        }
    }
}

/// The body of `request` as JSON: 413 over the size limit, 415 when it is not declared JSON,
/// 400 when it is not JSON. No body at all is an empty object: `POST …/void` needs nothing
/// else.
async fn json_body<S: Send + Sync>(
    request: Request,
    state: &S,
) -> Result<serde_json::Value, ApiError> {
    let declared_json = is_json(request.headers());
    let bytes = Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::Malformed(format!("the request body could not be read: {rejection}"))
            }
        })?;
    let bytes = if bytes.is_empty() {
        Bytes::from_static(b"{}")
    } else if declared_json {
        bytes
    } else {
        return Err(ApiError::UnsupportedMediaType);
    };
    serde_json::from_slice(&bytes)
        .map_err(|err| ApiError::Malformed(format!("the body is not valid JSON (UTF-8): {err}")))
}

impl<T: DeserializeOwned> ApiJson<T> {
    /// The body `json` of a request to `scope` (`"{method} {path}\n"`): what a web form's
    /// fields make, read as the API reads a JSON body (a 422 naming the field at fault).
    pub(crate) fn from_json(scope: &str, json: &serde_json::Value) -> Result<Self, ApiError> {
        let digest = Sha256::new()
            .chain_update(scope)
            .chain_update(json.to_string())
            .finalize()
            .into();
        let value = deserialize(json)?;
        Ok(ApiJson { value, digest })
    }
}

/// `json` as `T`, or a 422 naming the field at fault.
pub fn deserialize<T: DeserializeOwned>(json: &serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(json).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let field = if path == "." {
            first_quoted(&message).unwrap_or_else(|| "body".to_owned())
        } else {
            path
        };
        ApiError::invalid(field, message)
    })
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// The first backticked word of a serde message: `amount` in "missing field \`amount\`".
fn first_quoted(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned())
}

/// An `Idempotency-Key` longer than this is not a key a client generated on purpose.
pub const IDEMPOTENCY_KEY_LENGTH_MAX: usize = 255;

/// The `Idempotency-Key` header, if present and well-formed: 1 to 255 visible ASCII characters.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    idempotency_key_text(value.to_str().unwrap_or_default()).map(Some)
}

/// An idempotency key given as text (a form's hidden field): 1 to 255 visible ASCII
/// characters.
pub fn idempotency_key_text(key: &str) -> Result<String, ApiError> {
    if !key.is_empty()
        && key.len() <= IDEMPOTENCY_KEY_LENGTH_MAX
        && key.bytes().all(|b| b.is_ascii_graphic())
    {
        Ok(key.to_owned())
    } else {
        Err(ApiError::IdempotencyKey(format!(
            "`Idempotency-Key` must be 1 to {IDEMPOTENCY_KEY_LENGTH_MAX} visible ASCII characters, e.g. a UUID"
        )))
    }
}

/// A required free-text field: trimmed, non-empty, at most `max` characters, no control
/// characters (receipts and reports print these).
pub fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    optional_text(field, Some(value), max).map(std::option::Option::unwrap_or_default)
}

/// An optional free-text field; empty counts as absent.
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// An optional NIK (`domain::identity::Nik`: 16 digits whose province, region, date of birth
/// and serial hold); empty counts as absent. Kept as its digits.
pub fn optional_nik(field: &str, value: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
        return Ok(None);
    };
    domain::identity::Nik::parse(value)
        .map(|nik| Some(nik.as_str().to_owned()))
        .map_err(|err| ApiError::invalid(field, err.to_string()))
}

/// An optional NPWP (`domain::identity::Npwp`: 15 digits, plain or `99.999.999.9-999.999`, or
/// 16 digits); empty counts as absent. Kept as its digits.
pub fn optional_npwp(field: &str, value: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
        return Ok(None);
    };
    domain::identity::Npwp::parse(value)
        .map(|npwp| Some(npwp.as_str().to_owned()))
        .map_err(|err| ApiError::invalid(field, err.to_string()))
}

/// For a field a `PATCH` may leave out (unchanged), set to `null` (cleared) or to a value:
/// `#[serde(default, deserialize_with = "input::present")]` on a `Field<T>` (left out: the
/// default, unchanged).
pub fn present<'de, D, T>(deserializer: D) -> Result<storage::ledger::Field<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer)
        .map(|value| value.map_or(storage::ledger::Field::Cleared, storage::ledger::Field::Set))
}

/// How far ahead of today (in Jakarta) a received or paid date may be: one day, for clocks and
/// time zones across Indonesia (WIB, WITA, WIT); anything later is a typo.
pub const DATE_AHEAD_DAYS_MAX: i64 = 1;

/// The earliest date accepted: records older than this are not bookkeeping but archaeology.
pub const DATE_EARLIEST: Date = time::macros::date!(1990 - 01 - 01);

/// A `YYYY-MM-DD` date, not in the future beyond [`DATE_AHEAD_DAYS_MAX`] and not before
/// [`DATE_EARLIEST`].
pub fn date(field: &str, value: &str) -> Result<Date, ApiError> {
    let today = OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date();
    let date = date_between(field, value, DATE_EARLIEST, Date::MAX)?;
    if date > today + time::Duration::days(DATE_AHEAD_DAYS_MAX) {
        return Err(ApiError::invalid(
            field,
            format!("is in the future (today is {today})"),
        ));
    }
    Ok(date)
}

/// A `YYYY-MM-DD` date from `earliest` to `latest`.
pub fn date_between(
    field: &str,
    value: &str,
    earliest: Date,
    latest: Date,
) -> Result<Date, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(value, format).map_err(|_| {
        ApiError::invalid(
            field,
            "must be a date written `YYYY-MM-DD`, e.g. `2026-03-30`",
        )
    })?;
    if date < earliest {
        return Err(ApiError::invalid(field, format!("is before {earliest}")));
    }
    if date > latest {
        return Err(ApiError::invalid(field, format!("is after {latest}")));
    }
    Ok(date)
}

/// A currency and an amount in it.
pub fn money(amount: &str, currency: &str) -> Result<domain::Money, ApiError> {
    let currency: domain::Currency = currency.parse().map_err(|_| {
        ApiError::invalid(
            "currency",
            "is not a supported ISO 4217 currency code (e.g. `IDR`, `USD`, `SAR`)",
        )
    })?;
    self::amount(amount, currency)
}

/// An amount in a known currency (a refund is in its donation's).
pub fn amount(amount: &str, currency: domain::Currency) -> Result<domain::Money, ApiError> {
    domain::Money::parse(amount, currency)
        .map_err(|err| ApiError::invalid("amount", err.to_string()))
}

/// How many rows a list answers when `limit` is left out.
pub const PAGE_SIZE_DEFAULT: u16 = 50;

/// A list's page size: `limit`, or [`PAGE_SIZE_DEFAULT`]; 422 outside 1 to `max`.
pub fn page_size(limit: Option<u16>, max: u16) -> Result<u16, ApiError> {
    let limit = limit.unwrap_or(PAGE_SIZE_DEFAULT);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {max}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_name_their_field() {
        assert_eq!(
            first_quoted("missing field `amount`").as_deref(),
            Some("amount")
        );
        assert_eq!(
            first_quoted("unknown field `x`, expected one of `a`").as_deref(),
            Some("x")
        );
        assert_eq!(first_quoted("no quotes"), None);
    }

    #[test]
    fn npwp_may_be_written_with_separators_and_a_bad_nik_names_its_field() {
        assert_eq!(
            optional_npwp("npwp", Some("01.234.567.8-901.000"))
                .unwrap()
                .as_deref(),
            Some("012345678901000")
        );
        assert_eq!(optional_nik("nik", Some(" ")).unwrap(), None);
        let ApiError::Invalid { field, .. } = optional_nik("donor.nik", Some("123")).unwrap_err()
        else {
            panic!("a 422");
        };
        assert_eq!(field, "donor.nik");
    }

    #[test]
    fn text_fields_are_bounded_and_printable() {
        assert!(text("name", "  ", 10).is_err());
        assert!(text("name", "abcdefghijk", 10).is_err());
        assert!(text("name", "a\u{0}b", 10).is_err());
        assert_eq!(text("name", " Siti ", 10).unwrap(), "Siti");
    }
}
