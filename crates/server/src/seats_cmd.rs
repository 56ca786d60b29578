//! `switchboard seats …`: the idle-seat rule (R29) from the command line, as of any time, so an
//! operator (or a test) can run what `serve` runs every hour and see what it does.

use crate::cli::SeatsCommand;
use anyhow::Context;
use switchboard_domain::ids::OrgId;
use switchboard_service::Services;

/// An RFC 3339 time given to `flag`, as epoch ms; none means now.
pub(crate) fn time_arg(flag: &str, value: Option<&str>) -> anyhow::Result<i64> {
    let Some(t) = value else {
        return Ok(switchboard_store::now_ms());
    };
    let t = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .with_context(|| format!("{flag} must be an RFC 3339 time like 2027-01-01T00:00:00Z"))?;
    Ok((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn org_arg(org: Option<String>) -> anyhow::Result<Option<OrgId>> {
    org.map(|o| OrgId::parse(&o).with_context(|| format!("{o} is not an organization id")))
        .transpose()
}

pub(crate) async fn run(services: &Services, cmd: SeatsCommand) -> anyhow::Result<()> {
    match cmd {
        SeatsCommand::Snapshot { org, at } => {
            let at = time_arg("--at", at.as_deref())?;
            let org = org_arg(org)?;
            let n = services
                .snapshot_seats(at, org.as_ref())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{n} seat history row(s) written");
        }
        SeatsCommand::ReleaseIdle { org, at, dry_run } => {
            let at = time_arg("--at", at.as_deref())?;
            let org = org_arg(org)?;
            let runs = services
                .release_idle_seats(at, org.as_ref(), dry_run)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let verb = if dry_run { "would release" } else { "released" };
            for r in &runs {
                println!(
                    "{}: {verb} {} seat(s), {} notice(s)",
                    r.org_id,
                    r.released.len(),
                    r.noticed.len()
                );
                for s in &r.released {
                    println!("  {verb} {} in {} ({})", s.email, s.team_name, s.team_id);
                }
                for s in &r.noticed {
                    println!(
                        "  notice {} in {}: released on {}",
                        s.email, s.team_name, s.release_on
                    );
                }
            }
            if runs.is_empty() {
                println!("no idle seats");
            }
        }
    }
    Ok(())
}
