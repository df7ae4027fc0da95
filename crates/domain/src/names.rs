//! Closed sets of names (`zakat_maal`, `fakir`, `cash`, …) that are exchanged and stored as
//! their lowercase text. One macro so every such enum parses, prints and reports an unknown
//! name the same way, listing the valid choices.

/// A name that is not one of an enum's choices.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{given}`: use one of {choices}")]
pub struct UnknownName {
    /// What kind of name was expected (`donation type`, …).
    pub what: &'static str,
    /// What was given.
    pub given: String,
    /// The valid names, each in backticks, comma-separated.
    pub choices: String,
}

/// Declares an enum of names with `ALL`, `as_str`, `Display`, `FromStr` and serde by name.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $Name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $Variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $Name {
            $( $(#[$vmeta])* $Variant, )+
        }

        impl $Name {
            /// Every choice, in the order they are listed to users.
            pub const ALL: &'static [$Name] = &[$($Name::$Variant),+];

            /// The stored and exchanged name.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $($Name::$Variant => $text,)+
                }
            }
        }

        impl ::std::fmt::Display for $Name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $Name {
            type Err = $crate::names::UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    $crate::names::UnknownName {
                        what: $what,
                        given: s.chars().take(64).collect(),
                        choices: Self::ALL
                            .iter()
                            .map(|v| format!("`{}`", v.as_str()))
                            .collect::<Vec<_>>()
                            .join(", "),
                    }
                })
            }
        }

        #[cfg(feature = "openapi")]
        impl ::utoipa::PartialSchema for $Name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::ALL.iter().map(|v| v.as_str())))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl ::utoipa::ToSchema for $Name {}

        impl ::serde::Serialize for $Name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $Name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use named_enum;
