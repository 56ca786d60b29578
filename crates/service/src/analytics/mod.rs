//! Org analytics (R26): per-team figures over a period of calendar days, each beside the same
//! figures for the previous period of the same length. Org Admins and Org Analysts see every
//! team; a Team Admin their own.

mod teams;
mod time_zone;
pub use time_zone::UpdateOrg;

pub use teams::{TeamAnalytics, TeamFigures, TeamsAnalytics};
