//! Resale of injected mobile tickets (R1-R3): the ticket's cultural contact puts it on resale
//! through the point of sale that distributed it; S360 invalidates it (`RESALE`) and holds it, so
//! that its right has no valid ticket (B11), until TIXnGO's feedback says DELETION_PENDING or
//! DELETED; the settlement then creates the buyer's ticket, or cancels the resale when the ticket
//! left the contact's phone meanwhile (its TIXnGO owner is no longer the one it had when it was
//! put on resale, or a TRANSFERRED feedback made someone else its cultural contact). Recording
//! that feedback settles the resale in the same step (`record_feedback`'s documented decision);
//! the settlement command settles one whose feedback was recorded already.
//!
//! A ticket on resale carries an invalidation, so every other command treats it as invalidated
//! (W5, B10: it is deleted from the wallet like any invalidated ticket).

use secure_ticket::resale::{PutOnResale, SettleResale};
use secure_ticket::{LifecycleStatus, TicketId};

use super::shapes::{MResale, MTicket};
use super::state::{Decided, Effect, Model, err};

/// The resale code (R2), as S360 writes it.
pub(super) const RESALE: &str = "RESALE";

impl Model {
    /// R1-R3, L2, in the order `put_on_resale` documents, after the shell's reads: the ticket,
    /// the buyer's ticket id (a record to create: one that exists is refused before the rules),
    /// then the point of sale.
    pub(super) fn put_on_resale(&self, c: &PutOnResale) -> Decided {
        let t = self.ticket(c.ticket)?;
        if self.tickets.contains_key(&c.buyer_ticket) {
            return err("ID_IN_USE(ticket)");
        }
        let Some(pos) = self.pos.get(&c.point_of_sale) else {
            return err("RECORD_NOT_FOUND(point_of_sale)");
        };
        // Who asks first (X2): the point of sale that sold it, then its cultural contact (R1).
        if t.point_of_sale != c.point_of_sale {
            return err("WRONG_POINT_OF_SALE");
        }
        if t.contact.as_ref() != Some(&c.actor) {
            return err("NOT_CULTURAL_CONTACT");
        }
        if t.resale.is_some() {
            return err("ALREADY_ON_RESALE");
        }
        if t.invalidation.is_some() {
            return err("TICKET_INVALIDATED");
        }
        let Some(w) = &t.wallet else {
            return err("TICKET_NOT_INJECTED");
        };
        if c.at < w.injected_at {
            return err("COMMAND_BEFORE_INJECTION");
        }
        if w.leaving() {
            return err("TICKET_DELETED");
        }
        // TIXnGO's feedback may say so before the wallet facet does.
        if matches!(
            t.feedback,
            Some((
                LifecycleStatus::DeletionPending | LifecycleStatus::Deleted,
                _,
                _
            ))
        ) {
            return err("TICKET_DELETED");
        }
        // R3.
        if w.pending.is_some() {
            return err("TICKET_PENDING_TRANSFER");
        }
        // R1: one switch for a ticket that never changed hands, the other for a transferred one.
        let transferred = w.forward > 0 || w.backward > 0 || w.current != w.initial;
        let allowed = if transferred {
            pos.resale_transferred
        } else {
            pos.resale_injected
        };
        if !allowed {
            return err("RESALE_DISABLED");
        }
        // L2: a locked actor may not; R1: nor a locked current owner.
        if self.locked(&c.actor) || self.locked(&w.current) {
            return err("SPECTATOR_LOCKED");
        }
        if c.buyer_ticket == c.ticket {
            return err("BUYER_TICKET_ID_REUSED");
        }
        // R2: invalidated, pointing to no replacement yet, and held for the buyer.
        let mut held = t.clone();
        held.invalidation = Some((RESALE.to_owned(), c.at, None));
        held.resale = Some(MResale {
            by: c.actor.clone(),
            owner: w.current.clone(),
            buyer: c.buyer.clone(),
            buyer_ticket: c.buyer_ticket,
            at: c.at,
        });
        Ok(Effect {
            tickets: vec![(c.ticket, held, false)],
            events: vec!["TicketPutOnResale", "TicketInvalidated"],
            ..Effect::default()
        })
    }

    /// R2: only a ticket on resale, once TIXnGO's last feedback says DELETION_PENDING or
    /// DELETED (recording that feedback settles the resale itself, `feedback`: this command
    /// settles a ticket whose deletion was reported before it was put on resale).
    pub(super) fn settle_resale(&self, c: &SettleResale) -> Decided {
        let t = self.ticket(c.ticket)?;
        if t.resale.is_none() {
            return err("NOT_ON_RESALE");
        }
        if !matches!(
            t.feedback,
            Some((
                LifecycleStatus::DeletionPending | LifecycleStatus::Deleted,
                _,
                _
            ))
        ) {
            return err("DELETION_NOT_REPORTED");
        }
        Ok(Self::settlement(c.ticket, t))
    }

    /// R2's settlement of `t` (on resale, its deletion reported): cancelled when it left the
    /// contact's phone since it was put on resale (another TIXnGO owner, or another cultural
    /// contact by a TRANSFERRED feedback), the ticket valid again with its latest owner; else
    /// completed, the buyer's ticket (same right, point of sale, shipment mode and performance;
    /// cultural contact the buyer; no B2B contact; not injected) replacing it.
    pub(super) fn settlement(id: TicketId, t: &MTicket) -> Effect {
        let mut old = t.clone();
        let Some(resale) = old.resale.take() else {
            return Effect::default();
        };
        // It left that contact's phone: another TIXnGO owner now, or a TRANSFERRED feedback made
        // someone else its cultural contact (I4).
        let left = t.wallet.as_ref().is_some_and(|w| w.current != resale.owner)
            || t.contact.as_ref() != Some(&resale.by);
        if left {
            old.invalidation = None;
            return Effect::ticket(id, old, "ResaleCancelled");
        }
        // B7's pointer, from the resold ticket to its replacement (B11: none lost).
        if let Some((_, _, replaced_by)) = old.invalidation.as_mut() {
            *replaced_by = Some(resale.buyer_ticket);
        }
        let new = MTicket {
            right: t.right,
            performance: t.performance,
            point_of_sale: t.point_of_sale,
            mode: t.mode,
            contact: Some(resale.buyer.clone()),
            b2b: None,
            holder: false,
            holder_at: None,
            invalidation: None,
            replaces: Some(id),
            printed: false,
            feedback: None,
            entries: Vec::new(),
            wallet: None,
            resale: None,
        };
        Effect {
            tickets: vec![(id, old, false), (resale.buyer_ticket, new, true)],
            events: vec!["ResaleCompleted"],
            ..Effect::default()
        }
    }
}
