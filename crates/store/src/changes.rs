//! PostgreSQL's notifications of organization version changes. A trigger on `orgs` (migration
//! `1004_version_notify.sql`) calls `pg_notify` whenever an organization's version moves; the
//! notification is delivered after the transaction commits, to every instance listening. A
//! notification can be lost (the listening connection drops); the listener then says so, and
//! the caller catches up by reading versions.

use crate::Result;
use sqlx::postgres::PgListener;
use switchboard_domain::ids::OrgId;

/// The channel the trigger notifies on.
pub const CHANNEL: &str = "sb_org_version";
/// The listening connection's `application_name`, to find it in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "switchboard-listener";

/// What the listener heard.
#[derive(Debug, PartialEq, Eq)]
pub enum Heard {
    /// An organization's version moved to this value (or beyond).
    Version(OrgId, i64),
    /// The connection was lost, and with it any notification meanwhile; the next call
    /// reconnects.
    Lost,
}

pub struct Listener(PgListener);

impl Listener {
    pub(crate) async fn connect(url: &str) -> Result<Self> {
        let sep = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{sep}application_name={APPLICATION_NAME}");
        let mut l = PgListener::connect(&url).await?;
        l.listen(CHANNEL).await?;
        Ok(Self(l))
    }

    /// Waits for the next notification; payloads that can't be read are skipped.
    pub async fn next(&mut self) -> Result<Heard> {
        loop {
            match self.0.try_recv().await? {
                None => return Ok(Heard::Lost),
                Some(n) => {
                    if let Some(heard) = parse(n.payload()) {
                        return Ok(heard);
                    }
                }
            }
        }
    }
}

/// `"<org id> <version>"`, as the trigger writes it.
fn parse(payload: &str) -> Option<Heard> {
    let (org, version) = payload.split_once(' ')?;
    Some(Heard::Version(OrgId::parse(org)?, version.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_an_organization_and_its_version() {
        let org = "org_01jd0000000000000000000000";
        assert_eq!(
            parse(&format!("{org} 42")),
            Some(Heard::Version(OrgId::parse(org).unwrap(), 42))
        );
        assert_eq!(parse("nonsense"), None);
        assert_eq!(parse(&format!("{org} x")), None);
    }
}
