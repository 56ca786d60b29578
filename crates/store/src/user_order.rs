//! The order of the user list (R11) and where a page of it starts: by email, name, last day of
//! app use or sign-in status, either way, each tie broken by the user's id so the order is total
//! and a page boundary is exact. A page boundary ([`Keyset`]) is the last (or first) row's sort
//! value and id, so paging forward or back reads only the rows it shows, whatever the page.

use switchboard_domain::ids::UserId;

/// What the list is sorted by. The default order (none given) is the users' ids: the order
/// they were created in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Email,
    /// The name, or the email for a user without one, case-folded.
    Name,
    /// The last calendar day the user used the app ('' for never).
    LastActive,
    /// Not signed in before signed in, then by email.
    Status,
}

impl SortKey {
    /// The SQL value rows are ordered by: a text on both engines, never NULL, so one comparison
    /// places any row.
    pub(crate) fn expr(self) -> &'static str {
        match self {
            SortKey::Email => "u.email",
            SortKey::Name => "LOWER(COALESCE(u.name, u.email))",
            SortKey::LastActive => {
                "COALESCE((SELECT MAX(d.day) FROM usage_subject_days d WHERE d.org_id = om.org_id AND d.subject_id = om.user_id), '')"
            }
            SortKey::Status => {
                "(CASE WHEN om.first_signed_in_at IS NULL THEN '0' ELSE '1' END || u.email)"
            }
        }
    }
}

/// A sort order: the key, and whether it runs from the largest value down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    pub key: SortKey,
    pub descending: bool,
}

/// A row a page starts after (or ends before): its sort value (`None` in the default order,
/// where the id alone orders) and its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    pub value: Option<String>,
    pub id: UserId,
}

impl Keyset {
    /// As a cursor a client passes back: the id alone in the default order, else the value in
    /// hex, a dot, and the id.
    pub fn encode(&self) -> String {
        match &self.value {
            None => self.id.to_string(),
            Some(v) => format!("{}.{}", hex::encode(v.as_bytes()), self.id),
        }
    }

    /// A cursor this list gave out, or `None` for anything else.
    pub fn decode(cursor: &str) -> Option<Self> {
        match cursor.split_once('.') {
            None => Some(Self {
                value: None,
                id: UserId::parse(cursor)?,
            }),
            Some((v, id)) => Some(Self {
                value: Some(String::from_utf8_lossy(&hex::decode(v).ok()?).into_owned()),
                id: UserId::parse(id)?,
            }),
        }
    }
}

/// The condition that keeps rows after `k` in `order` (`before`: rows ahead of it), as SQL with
/// its placeholders bound; `key` is the id column the query is driven by.
pub(crate) fn keyset_condition(
    q: &mut crate::Sql,
    order: Option<Order>,
    key: &str,
    k: &Keyset,
    before: bool,
) {
    let descending = order.is_some_and(|o| o.descending);
    // Forward in ascending order, or backward in descending order, looks for larger values.
    let op = if descending == before { ">" } else { "<" };
    match (order, &k.value) {
        (Some(o), Some(v)) => {
            let e = o.key.expr();
            q.push(&format!(" AND ({e} {op} "))
                .bind(v.clone())
                .push(&format!(" OR ({e} = "))
                .bind(v.clone())
                .push(&format!(" AND {key} {op} "))
                .bind(k.id.clone())
                .push("))");
        }
        _ => {
            q.push(&format!(" AND {key} {op} ")).bind(k.id.clone());
        }
    }
}

/// `ORDER BY` for `order`, reversed when reading a page backward (its rows are put back in
/// order afterwards).
pub(crate) fn order_by(order: Option<Order>, key: &str, backward: bool) -> String {
    let descending = order.is_some_and(|o| o.descending) != backward;
    let dir = if descending { "DESC" } else { "ASC" };
    match order {
        Some(o) => format!(" ORDER BY {} {dir}, {key} {dir}", o.key.expr()),
        None => format!(" ORDER BY {key} {dir}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_what_the_list_did_not_give_out() {
        let id = UserId::generate();
        for value in [None, Some(String::new()), Some("Zoë Müller".to_owned())] {
            let k = Keyset {
                value,
                id: id.clone(),
            };
            assert_eq!(Keyset::decode(&k.encode()), Some(k));
        }
        for bad in ["", "nope", "zz.usr_x", "6162.team_01", "ff.nope"] {
            assert_eq!(Keyset::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn backward_pages_read_the_other_way() {
        let o = Some(Order {
            key: SortKey::Email,
            descending: false,
        });
        assert_eq!(
            order_by(o, "om.user_id", false),
            " ORDER BY u.email ASC, om.user_id ASC"
        );
        assert_eq!(
            order_by(o, "om.user_id", true),
            " ORDER BY u.email DESC, om.user_id DESC"
        );
        assert_eq!(
            order_by(None, "m.user_id", false),
            " ORDER BY m.user_id ASC"
        );
    }
}
