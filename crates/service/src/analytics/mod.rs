//! Org analytics (R26): per-team figures over a period of calendar days, each beside the same
//! figures for the previous period of the same length. Org Admins and Org Analysts see every
//! team; a Team Admin their own.

mod teams;

pub use teams::{TeamAnalytics, TeamFigures, TeamsAnalytics};
