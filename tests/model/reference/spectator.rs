//! Locked spectators (L1): staff lock and unlock an email. What a lock stops (L2) is checked by
//! the commands it stops (`transfer`, `holder`); what it leaves alone (L3) checks nothing.

use secure_ticket::spectator::{LockSpectator, UnlockSpectator};
use secure_ticket::staff::{Reason, Staff};
use time::OffsetDateTime;

use super::shapes::{MLock, MSpectator, MStaff};
use super::state::{Decided, Effect, Model, err};

/// The staff action and its time, as the record keeps it.
fn change(staff: Staff, reason: &Reason, at: OffsetDateTime) -> MLock {
    MLock {
        by: MStaff {
            staff: staff.id,
            role: staff.role,
            reason: reason.as_str().to_owned(),
        },
        at,
    }
}

impl Model {
    /// L1: the record (created by a first lock) keeps who locked, why and when; the last unlock
    /// stays as it was.
    pub(super) fn lock(&self, c: &LockSpectator) -> Decided {
        if !self.may(c.staff.role) {
            return err("FORBIDDEN");
        }
        if self.locked(&c.spectator) {
            return err("ALREADY_LOCKED");
        }
        let mut spectator = self
            .spectators
            .get(&c.spectator)
            .cloned()
            .unwrap_or_default();
        spectator.lock = Some(change(c.staff, &c.reason, c.at));
        Ok(Effect {
            spectators: vec![(c.spectator.clone(), spectator)],
            events: vec!["SpectatorLocked"],
            ..Effect::default()
        })
    }

    /// L1, L3: the lock lifted and the unlock recorded; no ticket changes.
    pub(super) fn unlock(&self, c: &UnlockSpectator) -> Decided {
        if !self.may(c.staff.role) {
            return err("FORBIDDEN");
        }
        if !self.locked(&c.spectator) {
            return err("NOT_LOCKED");
        }
        let spectator = MSpectator {
            lock: None,
            unlocked: Some(change(c.staff, &c.reason, c.at)),
        };
        Ok(Effect {
            spectators: vec![(c.spectator.clone(), spectator)],
            events: vec!["SpectatorUnlocked"],
            ..Effect::default()
        })
    }
}
