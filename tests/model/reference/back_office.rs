//! Back-office transfers by organizer staff (S1-S9): the staff initiation, past the usage rule's
//! gates, Keep One and the owner's lock, and the staff cancel. The rest of a back-office group's
//! life is the ordinary one (`transfer`): it completes at the recipient's sign-in (S7, Q4) or by
//! acceptance, expires (A4), and its owner cannot cancel, edit or decline it (S8, there).

use std::collections::BTreeSet;

use secure_ticket::transfer::{BackOfficeTransfer, CancelBackOfficeTransfer};
use secure_ticket::{Email, TicketId};

use super::shapes::{GroupStatus, MGroup, MStaff};
use super::state::{Decided, Effect, Model, err};

/// The most tickets, and group ids, one command carries (X11).
const MAX_TICKETS: usize = 100;

impl Model {
    /// S1-S7: each ticket leaves its current owner for the recipient; one PENDING group per
    /// (owner, direction), in the order the tickets first name them, the i-th taking the i-th
    /// id (S6); no explicit answer (S7); the staff action kept on each group (S3).
    pub(super) fn back_office_transfer(&self, c: &BackOfficeTransfer) -> Decided {
        if c.tickets.len().max(c.groups.len()) > MAX_TICKETS {
            return err("TOO_MANY_TICKETS");
        }
        if c.tickets.is_empty() {
            return err("EMPTY_TICKET_LIST");
        }
        let mut seen = BTreeSet::new();
        if !c.tickets.iter().all(|id| seen.insert(*id)) {
            return err("DUPLICATE_TICKET");
        }
        let mut seen = BTreeSet::new();
        if !c.groups.iter().all(|id| seen.insert(*id)) {
            return err("DUPLICATE_GROUP_ID");
        }
        // S2: the organizer's role table.
        if !self.may(c.staff.role) {
            return err("FORBIDDEN");
        }
        // (owner, backward) of each group to create, and each group's tickets.
        let mut heads: Vec<((Email, bool), Vec<TicketId>)> = Vec::new();
        for id in &c.tickets {
            let Some(t) = self.tickets.get(id) else {
                return err("TICKET_NOT_FOUND");
            };
            let Some(w) = &t.wallet else {
                return err("TICKET_NOT_INJECTED");
            };
            // S4: U2, T2, T3 (but control), Keep One and the owner's lock do not apply; S5: these do.
            if w.leaving() {
                return err("TICKET_DELETED");
            }
            if t.invalidation.is_some() {
                return err("TICKET_INVALIDATED"); // W5
            }
            if w.pending.is_some() {
                return err("TICKET_PENDING_TRANSFER");
            }
            if w.controlled_at.is_some() {
                return err("TICKET_CONTROLLED");
            }
            if self
                .performance_end(&self.tickets, &[*id])
                .is_some_and(|end| c.at >= end)
            {
                return err("PERFORMANCE_ENDED"); // E1
            }
            if w.current == c.recipient {
                return err("RECIPIENT_IS_SENDER");
            }
            // S6, T6.
            let head = (w.current.clone(), w.previous.as_ref() == Some(&c.recipient));
            match heads.iter_mut().find(|(h, _)| *h == head) {
                Some((_, ids)) => ids.push(*id),
                None => heads.push((head, vec![*id])),
            }
        }
        if heads.len() > c.groups.len() {
            return err("NOT_ENOUGH_GROUP_IDS");
        }
        let by = MStaff {
            staff: c.staff.id,
            role: c.staff.role,
            reason: c.reason.as_str().to_owned(),
        };
        let mut effect = Effect::default();
        for (((sender, backward), ids), &group) in heads.into_iter().zip(&c.groups) {
            for ticket in &ids {
                let mut pending = self.tickets[ticket].clone();
                if let Some(w) = pending.wallet.as_mut() {
                    w.pending = Some(group);
                }
                effect.tickets.push((*ticket, pending, false));
            }
            let ends_at = self.performance_end(&self.tickets, &ids);
            effect.groups.push((
                group,
                MGroup {
                    sender,
                    recipient: c.recipient.clone(),
                    backward,
                    tickets: ids,
                    status: GroupStatus::Pending,
                    // S7: completes at the recipient's next sign-in, whatever A1 says.
                    explicit: false,
                    created_at: c.at,
                    expires_at: self.expire_after.and_then(|after| c.at.checked_add(after)),
                    closed_at: None,
                    replaces: None,
                    ends_at,
                    back_office: Some(by.clone()),
                },
                true,
            ));
            effect.events.push("TransferInitiated");
        }
        Ok(effect)
    }

    /// S8: staff whose role may transfer cancel a PENDING back-office group, as T10.
    pub(super) fn cancel_back_office(&self, c: &CancelBackOfficeTransfer) -> Decided {
        let g = self.group(c.group)?;
        if !self.may(c.staff.role) {
            return err("FORBIDDEN");
        }
        if g.back_office.is_none() {
            return err("NOT_BACK_OFFICE_GROUP");
        }
        if g.status != GroupStatus::Pending {
            return err("TRANSFER_NOT_PENDING");
        }
        self.close(
            c.group,
            g,
            GroupStatus::Cancelled,
            c.at,
            "TransferCancelled",
        )
    }
}
