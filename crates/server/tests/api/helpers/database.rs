//! Reaching past the API into the test server's database: placing a team under a subscription
//! directly, which backend runs, and tampering with the audit log to see its chain catch it.

use super::{TestApp, typed};

impl TestApp {
    /// Puts a team into a subscription (directly in the database, as billing routes are not here yet).
    pub async fn cover_team(&self, org: &str, team: &str, sub: &str, reserved: Option<i64>) {
        let (mut tx, _, _) = self
            .store
            .write_org(&switchboard_domain::ids::OrgId::parse(org).unwrap())
            .await
            .unwrap();
        switchboard_store::orgs::set_team_subscription(
            &mut tx,
            &typed(org),
            &typed(team),
            Some(&typed(sub)),
            reserved,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    /// `sqlite` or `postgres`: which database this app runs on.
    pub fn backend(&self) -> &'static str {
        if self.database_url.starts_with("postgres") {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// Drops the triggers that keep the audit log append-only, as someone with the database's
    /// owner rights could, so a test can tamper with entries and see the chain catch it.
    pub async fn allow_audit_tampering(&self) {
        let drops: &[&str] = if self.backend() == "postgres" {
            &["DROP TRIGGER audit_log_append_only ON audit_log"]
        } else {
            &[
                "DROP TRIGGER audit_log_no_update",
                "DROP TRIGGER audit_log_no_delete",
            ]
        };
        let mut tx = self.store.write().await.unwrap();
        for sql in drops {
            switchboard_store::sqlx::query(sql)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }

    /// Recomputes the organization's audit chain; `None` means intact.
    pub async fn broken_audit_entry(&self, org: &str) -> Option<i64> {
        let mut c = self.store.read().await.unwrap();
        switchboard_store::audit::verify_chain(&mut c, &typed(org))
            .await
            .unwrap()
    }
}
