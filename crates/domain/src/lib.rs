//! Switchboard's domain: the rules of DESIGN.md as pure functions and types, with no I/O.
//!
//! Map of the crate:
//! - [`ids`]: typed, prefixed, time-ordered identifiers (`org_…`, `team_…`, `usr_…`).
//! - [`email`], [`team`], [`role`]: parsed values; a value of these types is valid by construction.
//! - [`text`]: normalizing text people type, and refusing invisible characters.
//! - [`access`]: the permission table of DESIGN.md §1, the only place that decides who may do what.
//! - [`plan`]: the plan catalog (data in `catalog/plans.json`).
//! - [`billing`]: payment methods (never a card number), periods, invoice lines.
//! - [`seats`]: seat arithmetic of a subscription pool (R14).
//! - [`settings`]: the settings catalog (`catalog/settings.json`) and R23's resolution.
//! - [`sso`]: SSO protocols, policy options and who may sign in by emailed code (R24).
//! - [`audit`]: the hash chain that makes the audit log tamper-evident.
//! - [`error`]: the domain's one error type; [`mod@text_enum`]: closed sets of words as enums.
//! - `column` (feature `sqlx`, for the store only): ids and enums as text columns, so a row
//!   decodes into typed values and a malformed one is an error, never a silent default.

pub mod access;
pub mod audit;
pub mod billing;
#[cfg(feature = "sqlx")]
mod column;
pub mod domain_name;
pub mod email;
pub mod error;
pub mod forecast;
pub mod ids;
pub mod plan;
pub mod reach;
pub mod role;
pub mod seats;
pub mod settings;
pub mod sso;
pub mod team;
pub mod text;
pub mod text_enum;
pub mod usage;

pub use error::DomainError;
