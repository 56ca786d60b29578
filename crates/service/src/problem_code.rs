//! Every stable problem `code` the API answers with, its HTTP status and what it means — the one
//! list. The web layer maps errors through it, and `docs/api.md`'s table of codes is checked
//! against it by a test, so the documentation can't drift from the code.

macro_rules! problem_codes {
    ($($variant:ident = $code:tt, $status:literal, $meaning:literal;)+) => {
        /// A stable, machine-readable problem code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ProblemCode {
            $($variant),+
        }

        impl ProblemCode {
            /// Every code, in the order the documentation lists them.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $code),+
                }
            }

            /// The HTTP status a problem with this code answers with.
            pub fn status(self) -> u16 {
                match self {
                    $(ProblemCode::$variant => $status),+
                }
            }

            /// What the code means, for the documentation.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $meaning),+
                }
            }
        }
    };
}

problem_codes! {
    ValidationFailed = "validation_failed", 422, "A value broke a rule; `field` names the input at fault.";
    InvalidJson = "invalid_json", 400, "The body is not JSON.";
    InvalidBody = "invalid_body", 400, "The body could not be read.";
    UnsupportedMediaType = "unsupported_media_type", 415, "The body is not declared as `application/json`.";
    PayloadTooLarge = "payload_too_large", 413, "The body is over 1 MiB.";
    Unauthorized = "unauthorized", 401, "No valid session, token or code.";
    Forbidden = "forbidden", 403, "The caller's role does not allow this; `detail` says why.";
    CsrfFailed = "csrf_failed", 403, "A cookie-authenticated change without our origin or the session's CSRF token.";
    NotFound = "not_found", 404, "No such object — also for objects of another organization.";
    RateLimited = "rate_limited", 429, "Too many attempts; `Retry-After` says when to try again.";
    Internal = "internal", 500, "A bug on our side; it has been logged.";
    TeamNameTaken = "team_name_taken", 409, "Another team of the organization has this name (ignoring case).";
    TeamNotEmpty = "team_not_empty", 409, "The team still has members or devices.";
    InitialTeam = "initial_team", 409, "The organization's initial team can't be deleted.";
    AlreadyMember = "already_member", 409, "The user is already a member of the team.";
    AlreadySignedIn = "already_signed_in", 409, "The user has signed in already: there is no invitation to resend.";
    OrgRoleExists = "org_role_exists", 409, "The user already holds an org role; change it instead.";
    LastOrgAdmin = "last_org_admin", 409, "The change would leave the organization without an Org Admin (R10).";
    SeatLimitReached = "seat_limit_reached", 409, "No seat is free for the team; names the team, its limit and what is free.";
    ReservationBelowUse = "reservation_below_use", 409, "A reservation below the seats the team already holds.";
    ReservationsExceedPool = "reservations_exceed_pool", 409, "Reservations would add up to more than the pool.";
    SeatsInUse = "seats_in_use", 409, "An operator shrink below current use, without `force`.";
    TeamInOtherSubscription = "team_in_other_subscription", 409, "The team is covered by another subscription; move it.";
    TeamHoldsSeats = "team_holds_seats", 409, "A team holding seats can't leave its subscription.";
    PlanIncompatible = "plan_incompatible", 409, "The plan does not allow the team's login type.";
    InvoiceClosed = "invoice_closed", 409, "Only open invoices change status.";
    SettingLocked = "setting_locked", 409, "A policy sets the key on the team; names the policy.";
    PolicyConflict = "policy_conflict", 409, "Another policy sets the key on a shared team; names it, the teams and the keys (R22).";
    SsoPolicyConflict = "sso_policy_conflict", 409, "The team already has an SSO policy.";
    DomainClaimed = "domain_claimed", 409, "Another organization has verified this domain (R34).";
    TeamChoiceRequired = "team_choice_required", 409, "The app's user is in several teams and has not chosen one.";
    AppAccessOff = "app_access_off", 403, "App access is off for the user in the team.";
    UsageAnalyticsOff = "usage_analytics_off", 403, "The team's usage_analytics setting is off: the app sends no usage, and none is taken.";
    MembershipRemoved = "membership_removed", 403, "The app's team membership (or team) is gone.";
    NoTeam = "no_team", 403, "The user is in no email-login team, so the app has nothing to run in.";
    EnrollmentKeyInvalid = "enrollment_key_invalid", 403, "The enrollment key is unknown, revoked, expired or used up.";
    SsoRequired = "sso_required", 403, "The user's teams sign in through SSO: an app token for them is issued only after SSO (R24).";
    PreconditionFailed = "precondition_failed", 412, "`If-Match` names a version that is no longer current: read it again.";
    UserNameTaken = "user_name_taken", 409, "SCIM: another user of the organization has this userName or email.";
    SsoFailed = "sso_failed", 401, "A sign-in through the identity provider was refused; `check` names the check that failed.";
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<switchboard_domain::seats::Violation> for ProblemCode {
    fn from(v: switchboard_domain::seats::Violation) -> Self {
        match v.code() {
            "reservation_below_use" => ProblemCode::ReservationBelowUse,
            "reservations_exceed_pool" => ProblemCode::ReservationsExceedPool,
            _ => ProblemCode::SeatLimitReached,
        }
    }
}

/// The table of `docs/api.md` between its `problem-codes` markers.
pub fn docs_table() -> String {
    let mut out = String::from("| code | status | meaning |\n|---|---|---|\n");
    for c in ProblemCode::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.as_str(),
            c.status(),
            c.meaning()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/api.md lists exactly these codes with these statuses. On a mismatch, write the table
    /// with `UPDATE_DOCS=1 cargo test -p switchboard-service problem_codes`.
    #[test]
    fn problem_codes_in_the_docs_match_the_code() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/api.md");
        let doc = std::fs::read_to_string(&path).unwrap();
        let (begin, end) = ("<!-- problem-codes -->\n", "<!-- /problem-codes -->");
        let start = doc
            .find(begin)
            .expect("docs/api.md has the problem-codes markers")
            + begin.len();
        let stop = doc.find(end).expect("docs/api.md has the closing marker");
        let expected = docs_table();
        if doc[start..stop] != expected {
            if std::env::var("UPDATE_DOCS").is_ok() {
                let updated = format!("{}{}{}", &doc[..start], expected, &doc[stop..]);
                std::fs::write(&path, updated).unwrap();
            } else {
                panic!(
                    "docs/api.md's problem codes differ from ProblemCode; expected:\n{expected}"
                );
            }
        }
        let mut seen = std::collections::HashSet::new();
        for c in ProblemCode::ALL {
            assert!(seen.insert(c.as_str()), "{c} listed twice");
        }
    }
}
