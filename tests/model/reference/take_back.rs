//! The S360 side's rules: take back (B3-B9), redistribution between B2B contacts (B3, B7), and the
//! two-step deletion of an invalidated ticket from the wallet (B10).

use secure_ticket::take_back::{RedistributeTicket, TakeBackTicket};
use secure_ticket::wallet::{CompleteDeletion, RequestDeletion};
use secure_ticket::{LifecycleStatus, TicketId};

use super::shapes::{MTicket, Where};
use super::state::{Decided, Effect, Model, err};

/// The take-back code (B7), as S360 writes it.
pub(super) const MOBILE_TAKE_BACK: &str = "MOBILE_TAKE_BACK";

impl Model {
    /// B3-B9.
    pub(super) fn take_back(&self, c: &TakeBackTicket) -> Decided {
        let Some(pos) = self.pos.get(&c.point_of_sale) else {
            return err("RECORD_NOT_FOUND(point_of_sale)");
        };
        let t = self.ticket(c.ticket)?;
        let refuse = |v: &str| err(v);
        // Who asks first (X2): a foreign point of sale learns nothing of the ticket's state.
        if !pos.b2b {
            return refuse("NOT_B2B_POINT_OF_SALE");
        }
        if t.point_of_sale != c.point_of_sale {
            return refuse("WRONG_POINT_OF_SALE");
        }
        // B13: the B2B contact and no one else.
        match &t.b2b {
            None => return refuse("NO_B2B_CONTACT"),
            Some(b2b) if *b2b != c.actor => return refuse("NOT_B2B_CONTACT"),
            Some(_) => {}
        }
        if t.invalidation.is_some() {
            return refuse("TICKET_INVALIDATED");
        }
        if !(t.mode.mobile && t.printed) {
            // B3: back to the B2B contact, no new ticket.
            let mut back = t.clone();
            back.contact = Some(c.actor.clone());
            return Ok(Effect::ticket(c.ticket, back, "TicketTakenBack"));
        }
        if !pos.allow {
            return refuse("MOBILE_TAKE_BACK_DISABLED");
        }
        if !pos.advanced {
            return refuse("ADVANCED_VIEW_INACTIVE");
        }
        if !self.resets {
            return refuse("REPLACEMENT_WOULD_GO_TO_LATEST_OWNER");
        }
        if pos.mode.is_some_and(|m| m.mobile && m.automatic) {
            return refuse("TAKE_BACK_MODE_INJECTS_AUTOMATICALLY");
        }
        // D1, D2: who may take back a downloaded ticket.
        let downloaded = || {
            use secure_ticket::{ContactKind, DownloadedTakeBack};
            match (pos.downloaded, c.contact) {
                (DownloadedTakeBack::Off, _) => refuse("NO_LONGER_INJECTED"),
                (DownloadedTakeBack::Relay, ContactKind::Individual) => {
                    refuse("DOWNLOADED_TAKE_BACK_NOT_ALLOWED")
                }
                _ => Ok(Effect::default()),
            }
        };
        match t.feedback {
            None => return refuse("NO_FEEDBACK_YET"),
            Some((LifecycleStatus::Downloaded, _, _)) => {
                downloaded()?;
            }
            Some((status, _, _)) if status != LifecycleStatus::Injected => {
                return refuse("NO_LONGER_INJECTED");
            }
            Some(_) => {}
        }
        // B12: what the wallet facet of the same record shows wins over a lagging feedback.
        if let Some(w) = &t.wallet {
            let moved_on = w.deleted_at.is_some()
                || w.deletion_requested_at.is_some()
                || w.pending.is_some()
                || w.forward > 0
                || w.backward > 0
                || w.current != w.initial
                || w.controlled_at.is_some()
                || w.activated.is_some();
            if moved_on {
                return refuse("NO_LONGER_INJECTED");
            }
            if w.downloaded_at.is_some() {
                downloaded()?;
            }
        }
        // B4: a holder the owner assigned (H5), whatever B5's switch says.
        if t.holder_at.is_some() {
            return refuse("NO_LONGER_INJECTED");
        }
        if self.refuse_holder && t.holder {
            return refuse("HAS_TICKET_HOLDER");
        }
        if c.new_ticket == c.ticket {
            return refuse("REPLACEMENT_ID_REUSED");
        }
        // B7: the old ticket invalidated, a new one for the same right, each pointing to the other.
        let mut old = t.clone();
        old.invalidation = Some((MOBILE_TAKE_BACK.to_owned(), c.at, Some(c.new_ticket)));
        let new = MTicket {
            right: t.right,
            performance: t.performance,
            point_of_sale: c.point_of_sale,
            mode: pos.mode.unwrap_or(t.mode),
            contact: Some(c.actor.clone()),
            b2b: Some(c.actor.clone()),
            holder: false,
            holder_at: None,
            invalidation: None,
            replaces: Some(c.ticket),
            printed: false,
            feedback: None,
            entries: Vec::new(),
            wallet: None,
            resale: None,
        };
        Ok(Effect {
            tickets: vec![(c.ticket, old, false), (c.new_ticket, new, true)],
            events: vec!["TicketTakenBack", "TicketInvalidated", "TicketReplaced"],
            ..Effect::default()
        })
    }

    /// B3, B7: a B2B contact hands a ticket it holds, not injected, to another contact.
    pub(super) fn redistribute(&self, c: &RedistributeTicket) -> Decided {
        if !self.pos.contains_key(&c.point_of_sale) {
            return err("RECORD_NOT_FOUND(point_of_sale)");
        }
        let t = self.ticket(c.ticket)?;
        if t.point_of_sale != c.point_of_sale {
            return err("WRONG_POINT_OF_SALE");
        }
        if t.contact.as_ref() != Some(&c.actor) {
            return err("NOT_HOLDER");
        }
        if t.invalidation.is_some() {
            return err("TICKET_INVALIDATED");
        }
        if t.printed || t.wallet.is_some() {
            return err("ALREADY_INJECTED");
        }
        let mut moved = t.clone();
        moved.contact = Some(c.to.clone());
        Ok(Effect::ticket(c.ticket, moved, "TicketRedistributed"))
    }

    /// B10: only an invalidated, injected ticket is deleted from the wallet, in two steps.
    fn deletion(&self, ticket: TicketId) -> Result<(&MTicket, Where), String> {
        let t = self.ticket(ticket)?;
        let Some(w) = &t.wallet else {
            return err("TICKET_NOT_INJECTED");
        };
        if t.invalidation.is_none() {
            return err("TICKET_STILL_VALID");
        }
        Ok((t, w.status()))
    }

    pub(super) fn request_deletion(&self, c: &RequestDeletion) -> Decided {
        let (t, status) = self.deletion(c.ticket)?;
        if matches!(status, Where::DeletionPending | Where::Deleted) {
            return err("DELETION_WRONG_STATUS");
        }
        let mut pushed = t.clone();
        if let Some(w) = pushed.wallet.as_mut() {
            w.deletion_requested_at = Some(c.at);
        }
        Ok(Effect::ticket(c.ticket, pushed, "TicketDeletionRequested"))
    }

    pub(super) fn complete_deletion(&self, c: &CompleteDeletion) -> Decided {
        let (t, status) = self.deletion(c.ticket)?;
        if status != Where::DeletionPending {
            return err("DELETION_WRONG_STATUS");
        }
        let mut deleted = t.clone();
        if let Some(w) = deleted.wallet.as_mut() {
            w.deleted_at = Some(c.at);
        }
        Ok(Effect::ticket(c.ticket, deleted, "TicketDeleted"))
    }
}
