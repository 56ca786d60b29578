//! One macro for the closed sets of words the domain uses (roles, login types, statuses…): each
//! becomes an enum that serializes as its word, parses from it with an error naming the input
//! field and the allowed words, and decodes from a database column (`TryFrom<String>`), so a bad
//! row is an error at the store's edge, never a silent default.

/// `text_enum!(Name, "field", { Variant = "word", … })`.
#[macro_export]
macro_rules! text_enum {
    // `tt`, not `literal`: a `literal` fragment reaches derive macros wrapped in an invisible
    // group, and utoipa would then miss the `rename` and document the variant's Rust name.
    ($(#[$doc:meta])* $name:ident, $field:literal, { $($(#[$vdoc:meta])* $variant:ident = $text:tt),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses the word as a client or a row spelled it; the error names `field`.
            pub fn parse(s: &str) -> Result<Self, $crate::DomainError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::DomainError::new(
                        $field,
                        format!("must be {}, not {s:?}", $crate::text_enum::choices(&[$($text),+])),
                    )),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::DomainError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
pub fn choices(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("{w:?}")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    text_enum!(Colour, "colour", { Red = "red", Dark = "dark_blue" });

    #[test]
    fn words_round_trip_and_errors_name_the_field_and_choices() {
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()), Ok(*c));
        }
        let e = Colour::parse("green").unwrap_err();
        assert_eq!(e.field, "colour");
        assert_eq!(e.reason, r#"must be "red" or "dark_blue", not "green""#);
        assert!(Colour::try_from("dark_blue".to_owned()).is_ok());
        assert_eq!(
            serde_json::to_string(&Colour::Dark).unwrap(),
            "\"dark_blue\""
        );
    }
}
