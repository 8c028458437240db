//! This process among the gateway's running instances. Each instance has an id, says
//! it is alive in PostgreSQL twice a second, and knows which payments it is driving
//! through an outside system right now. A payment whose driver is another live
//! instance, or this one still at work on it, is in progress; any other may be taken
//! over, so a crash blocks a retry for about [`LIVENESS`], not until some lock expires.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::error::ApiError;
use crate::schema::gateway_instances;

/// How often an instance says it is alive.
pub const HEARTBEAT: Duration = Duration::from_millis(500);
/// An instance silent this long is gone.
pub const LIVENESS: Duration = Duration::from_secs(2);

/// This process.
#[derive(Debug)]
pub struct Instance {
    pub id: Uuid,
    driving: Mutex<HashSet<String>>,
}

impl Instance {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            id: Uuid::new_v4(),
            driving: Mutex::new(HashSet::new()),
        })
    }

    fn driving(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A panic elsewhere cannot leave the set half-changed: insert and remove are
        // single operations, so a poisoned lock's data is still right.
        self.driving.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether this process is at work on the payment now.
    pub fn is_driving(&self, payment_id: &str) -> bool {
        self.driving().contains(payment_id)
    }

    /// Marks the payment as driven here until the guard is dropped (the drive ended,
    /// failed or its task was cancelled).
    pub fn start_driving(self: &Arc<Self>, payment_id: &str) -> DriveGuard {
        self.driving().insert(payment_id.to_string());
        DriveGuard {
            instance: Arc::clone(self),
            payment_id: payment_id.to_string(),
        }
    }

    /// Whether the payment's recorded driver holds it: another live instance, or this
    /// one while it drives it.
    pub fn held(&self, driver: Option<Uuid>, payment_id: &str, live: &HashSet<Uuid>) -> bool {
        match driver {
            None => false,
            Some(id) if id == self.id => self.is_driving(payment_id),
            Some(id) => live.contains(&id),
        }
    }
}

/// A payment this process drives; dropping it lets a retry or the resumer take over.
#[derive(Debug)]
pub struct DriveGuard {
    instance: Arc<Instance>,
    payment_id: String,
}

impl Drop for DriveGuard {
    fn drop(&mut self) {
        self.instance.driving().remove(&self.payment_id);
    }
}

/// Says this instance is alive.
pub fn beat(conn: &mut PgConnection, id: Uuid) -> Result<(), ApiError> {
    let now = Utc::now();
    diesel::insert_into(gateway_instances::table)
        .values((
            gateway_instances::id.eq(id),
            gateway_instances::started_at.eq(now),
            gateway_instances::heartbeat_at.eq(now),
        ))
        .on_conflict(gateway_instances::id)
        .do_update()
        .set(gateway_instances::heartbeat_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// The instances alive now.
pub fn live(conn: &mut PgConnection) -> Result<HashSet<Uuid>, ApiError> {
    let since = Utc::now()
        - chrono::Duration::from_std(LIVENESS).unwrap_or_else(|_| chrono::Duration::seconds(2));
    Ok(gateway_instances::table
        .filter(gateway_instances::heartbeat_at.gt(since))
        .select(gateway_instances::id)
        .load(conn)?
        .into_iter()
        .collect())
}

/// Forgets instances silent for a day (their work was long taken over).
pub fn prune(conn: &mut PgConnection) -> Result<usize, ApiError> {
    let before = Utc::now() - chrono::Duration::days(1);
    Ok(
        diesel::delete(gateway_instances::table.filter(gateway_instances::heartbeat_at.lt(before)))
            .execute(conn)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_is_held_by_a_live_other_instance_or_by_this_one_while_it_drives() {
        let me = Instance::new();
        let other = Uuid::new_v4();
        let live = HashSet::from([other, me.id]);
        assert!(!me.held(None, "pay_1", &live));
        assert!(me.held(Some(other), "pay_1", &live));
        assert!(
            !me.held(Some(Uuid::new_v4()), "pay_1", &live),
            "a dead instance"
        );
        assert!(!me.held(Some(me.id), "pay_1", &live), "not driving it now");
        let guard = me.start_driving("pay_1");
        assert!(me.held(Some(me.id), "pay_1", &live));
        drop(guard);
        assert!(!me.held(Some(me.id), "pay_1", &live), "the drive ended");
    }
}
