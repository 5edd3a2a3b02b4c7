//! Holder assignment (H1-H5): the current owner assigns or clears the holder of a ticket. A
//! completed transfer clears it (H5, `transfer`); B5 refuses the take back of a ticket with one
//! (`take_back`).

use secure_ticket::TicketId;
use secure_ticket::holder::{AssignHolder, ClearHolder};
use secure_ticket::text_limit::HOLDER_FIELD_BYTES;

use super::shapes::MTicket;
use super::state::{Decided, Effect, Model, err};

impl Model {
    /// H1, H3, L2: the owner, the ticket's state, the owner's lock; the ticket as it is.
    fn owned_by(&self, ticket: TicketId, actor: &secure_ticket::Email) -> Result<&MTicket, String> {
        let t = self.ticket(ticket)?;
        let Some(w) = &t.wallet else {
            return err("TICKET_NOT_INJECTED");
        };
        // Who asks first (X2).
        if w.current != *actor {
            return err("NOT_CURRENT_OWNER");
        }
        if w.leaving() {
            return err("TICKET_DELETED");
        }
        if t.invalidation.is_some() {
            return err("TICKET_INVALIDATED"); // W5
        }
        if w.pending.is_some() {
            return err("TICKET_PENDING_TRANSFER");
        }
        if self.locked(actor) {
            return err("SPECTATOR_LOCKED");
        }
        Ok(t)
    }

    /// H1-H5: the holder and the time recorded; owners, level, counters and status unchanged.
    pub(super) fn assign_holder(&self, c: &AssignHolder) -> Decided {
        let t = self.owned_by(c.ticket, &c.actor)?;
        let Some(w) = &t.wallet else {
            return err("TICKET_NOT_INJECTED");
        };
        let Some(rule) = self.rules.get(&w.rule) else {
            return err("USAGE_RULE_NOT_FOUND");
        };
        // H2: the rule's gates, flags read now.
        if !rule.assignment {
            return err("ASSIGNMENT_DISABLED");
        }
        if w.activated.is_some() && !rule.assign_after_activation {
            return err("TICKET_ACTIVATED");
        }
        if w.checked_at.is_some() && !rule.assign_after_check {
            return err("TICKET_CHECKED");
        }
        // H4: the organizer's data collection (first and last name), and a reason when it asks.
        let h = &c.holder;
        let fields = [
            Some(h.first_name.as_str()),
            Some(h.last_name.as_str()),
            h.birth_date.as_deref(),
            h.identity_number.as_deref(),
        ];
        if fields
            .iter()
            .flatten()
            .any(|v| v.len() > HOLDER_FIELD_BYTES)
        {
            return err("HOLDER_FIELD_TOO_LONG");
        }
        if h.first_name.trim().is_empty() || h.last_name.trim().is_empty() {
            return err("HOLDER_FIELD_MISSING");
        }
        if self.assign_reason && c.reason.is_none() {
            return err("ASSIGN_REASON_REQUIRED");
        }
        let mut assigned = t.clone();
        assigned.holder = true;
        assigned.holder_at = Some(c.at);
        Ok(Effect::ticket(c.ticket, assigned, "HolderAssigned"))
    }

    /// H1: the holder cleared, as assigning checks the owner and the ticket (not the rule's gates
    /// nor the data collection, which govern assigning).
    pub(super) fn clear_holder(&self, c: &ClearHolder) -> Decided {
        let t = self.owned_by(c.ticket, &c.actor)?;
        if !t.holder {
            return err("NO_HOLDER");
        }
        let mut cleared = t.clone();
        cleared.holder = false;
        cleared.holder_at = None;
        Ok(Effect::ticket(c.ticket, cleared, "HolderCleared"))
    }
}
