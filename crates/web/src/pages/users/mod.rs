//! Users in the portal: the list ([`mod@list`]: counters, search, filters, sorting, pages, **Add
//! users**; the CSV in [`mod@export`]), a user's page ([`mod@detail`]: their teams, team role and app access, another
//! team, invitations) and removal ([`removal`]: from a team or from the organization, each
//! behind a confirmation that names the consequence).

mod detail;
mod export;
mod list;
mod removal;

pub use detail::{add_membership, change_membership, detail, resend_invitation, reset_sso_links};
pub use export::export;
pub use list::{add, list};
pub use removal::{
    confirm_remove_from_org, confirm_remove_membership, remove_from_org, remove_membership,
};
