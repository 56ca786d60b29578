//! R4–R8, R11, R13: users, memberships, bulk adds, the user list.

mod bulk_add;
mod identities;
mod list;
mod memberships;
mod removal;
