//! SCIM filters (RFC 7644 §3.4.2.2), the part identity providers send: `attribute eq value`
//! clauses joined by `and` (`userName eq "ana@acme.com"`, `externalId eq "00u1"`,
//! `emails[type eq "work"].value eq "ana@acme.com"`, `displayName eq "Support"`). Operator
//! names and attribute names ignore case. Anything else is an `invalidFilter` error.

use super::ScimError;

/// One `path eq value` clause; `path` lowercased (`emails[type eq "work"].value` → `emails.value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub path: String,
    pub value: String,
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad("invalidFilter", detail)
}

/// Reads a filter into its `eq` clauses.
pub fn parse(filter: &str) -> Result<Vec<Clause>, ScimError> {
    let mut clauses = Vec::new();
    let mut rest = filter.trim();
    loop {
        let (clause, after) = clause(rest)?;
        clauses.push(clause);
        let after = after.trim_start();
        if after.is_empty() {
            return Ok(clauses);
        }
        let (word, next) = word(after);
        if !word.eq_ignore_ascii_case("and") {
            return Err(invalid(format!(
                "only `eq` clauses joined by `and` are supported, not {word:?}"
            )));
        }
        rest = next.trim_start();
    }
}

/// The next word (up to whitespace), and what follows.
fn word(s: &str) -> (&str, &str) {
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

fn clause(s: &str) -> Result<(Clause, &str), ScimError> {
    // The attribute path, with an optional [..] value filter that may hold spaces and quotes.
    let mut depth = 0;
    let mut end = s.len();
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            c if c.is_whitespace() && depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let path = &s[..end];
    if path.is_empty() {
        return Err(invalid("the filter is empty"));
    }
    let (op, rest) = word(s[end..].trim_start());
    if !op.eq_ignore_ascii_case("eq") {
        return Err(invalid(format!(
            "the operator {op:?} is not supported; use eq"
        )));
    }
    let rest = rest.trim_start();
    let (value, after) = if let Some(quoted) = rest.strip_prefix('"') {
        let mut escaped = false;
        let mut close = None;
        for (i, c) in quoted.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    close = Some(i);
                    break;
                }
                _ => escaped = false,
            }
        }
        let close = close.ok_or_else(|| invalid("a quoted value is not closed"))?;
        let literal = &rest[..close + 2];
        let value: String = serde_json::from_str(literal)
            .map_err(|_| invalid("a quoted value is not a JSON string"))?;
        (value, &quoted[close + 1..])
    } else {
        let (w, after) = word(rest);
        if w.is_empty() {
            return Err(invalid("a clause has no value"));
        }
        (w.to_owned(), after)
    };
    Ok((
        Clause {
            path: normalize(path)?,
            value,
        },
        after,
    ))
}

/// `emails[type eq "work"].value` → `emails.value` (the type is not told apart: one email per
/// user), lowercased.
fn normalize(path: &str) -> Result<String, ScimError> {
    let lower = path.to_ascii_lowercase();
    let Some(open) = lower.find('[') else {
        return Ok(lower);
    };
    let close = lower
        .rfind(']')
        .ok_or_else(|| invalid("a [ in the filter is not closed"))?;
    Ok(format!("{}{}", &lower[..open], &lower[close + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(path: &str, value: &str) -> Clause {
        Clause {
            path: path.into(),
            value: value.into(),
        }
    }

    #[test]
    fn the_filters_identity_providers_send() {
        assert_eq!(
            parse(r#"userName eq "ana@acme.com""#).unwrap(),
            vec![c("username", "ana@acme.com")]
        );
        assert_eq!(
            parse(r#"emails[type eq "work"].value eq "a@b.com" and externalId EQ "x \"y\"""#)
                .unwrap(),
            vec![c("emails.value", "a@b.com"), c("externalid", "x \"y\"")]
        );
        assert_eq!(
            parse(r#"displayName eq "Night shift""#).unwrap(),
            vec![c("displayname", "Night shift")]
        );
        for bad in [
            "userName co \"a\"",
            "userName eq",
            "userName eq \"a\" or id eq \"b\"",
            "",
            "x eq \"open",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
