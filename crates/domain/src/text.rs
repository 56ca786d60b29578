//! Text people type: names and email addresses, made comparable and safe to show. Text is
//! normalized (Unicode NFKC, so look-alike compatibility forms become one), and characters that
//! render as nothing or reorder what is shown — control, format (zero-width, bidi controls),
//! private-use and unassigned code points, line and paragraph separators — are refused, so
//! "A" and "A" + U+200B can never be two different teams, nor an invisible name a valid one.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
use unicode_script::{Script, UnicodeScript};

/// NFKC form of `s`.
pub fn nfkc(s: &str) -> String {
    s.nfkc().collect()
}

/// The first character a name or address may not hold, if any.
pub fn forbidden_char(s: &str) -> Option<char> {
    use unicode_properties::GeneralCategory::*;
    s.chars().find(|&c| {
        matches!(
            c.general_category(),
            Control
                | Format
                | PrivateUse
                | Unassigned
                | Surrogate
                | LineSeparator
                | ParagraphSeparator
        ) || (c.general_category_group() == GeneralCategoryGroup::Separator && c != ' ')
    })
}

/// A readable name for a refused character, like `U+200B`.
pub fn describe(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// True when every letter of `s` is from one script (Common and Inherited characters, like
/// digits, dots and combining marks, go with any script).
pub fn single_script(s: &str) -> bool {
    let mut seen: Option<Script> = None;
    for c in s.chars() {
        let sc = c.script();
        if matches!(sc, Script::Common | Script::Inherited | Script::Unknown) {
            continue;
        }
        match seen {
            None => seen = Some(sc),
            Some(x) if x == sc => {}
            Some(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_reordering_characters_are_found() {
        for s in [
            "\u{200B}",
            "A\u{200B}",
            "a\u{202E}b",
            "x\u{2066}",
            "\u{FEFF}n",
            "a\u{E000}",
            "a\u{2028}b",
            "a\u{3000}b",
        ] {
            assert!(forbidden_char(&nfkc(s)).is_some() || nfkc(s) != s, "{s:?}");
        }
        assert_eq!(forbidden_char("Sales EU"), None);
        assert_eq!(forbidden_char("Équipe Ñandú 東京"), None);
        assert_eq!(describe('\u{200B}'), "U+200B");
    }

    #[test]
    fn compatibility_forms_fold_together() {
        assert_eq!(nfkc("Ｓａｌｅｓ"), "Sales");
        assert_eq!(nfkc("ﬁle"), "file");
    }

    #[test]
    fn mixed_scripts_are_spotted() {
        assert!(single_script("bücher"));
        assert!(single_script("東京2"));
        assert!(!single_script("pаypal"), "Cyrillic а in a Latin word");
    }
}
