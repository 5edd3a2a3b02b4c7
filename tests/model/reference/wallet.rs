//! The wallet's rules: injection (I1, W2), download (W3) and the flags (activate, deactivate, check,
//! control, check out; W1, W3, W4).

use secure_ticket::injection::InjectTicket;
use secure_ticket::wallet::{Actor, ChangeFlag, DownloadTicket, FlagChange};

use super::shapes::{MWallet, Where};
use super::state::{Decided, Effect, Model, err};

impl Model {
    /// I1, W2; the usage rule must be the organizer's (X7), read before the ticket.
    pub(super) fn inject(&self, c: &InjectTicket) -> Decided {
        if !self.rules.contains_key(&c.usage_rule) {
            return err("RECORD_NOT_FOUND(usage_rule)");
        }
        let t = self.ticket(c.ticket)?;
        if t.invalidation.is_some() {
            return err("TICKET_INVALIDATED");
        }
        if !t.mode.mobile {
            return err("NOT_SECURE_MOBILE");
        }
        if t.wallet.is_some() {
            return err("ALREADY_INJECTED");
        }
        let mut injected = t.clone();
        injected.printed = true;
        injected.wallet = Some(MWallet::injected(c.usage_rule, c.to.clone(), c.at));
        Ok(Effect::ticket(c.ticket, injected, "TicketInjected"))
    }

    /// W3: the current owner's device, a NOT_DOWNLOADED ticket.
    pub(super) fn download(&self, c: &DownloadTicket) -> Decided {
        let t = self.ticket(c.ticket)?;
        let Some(w) = &t.wallet else {
            return err("TICKET_NOT_INJECTED");
        };
        if w.current != c.actor {
            return err("NOT_CURRENT_OWNER");
        }
        if w.status() != Where::NotDownloaded {
            return err("NOT_DOWNLOADABLE");
        }
        if t.invalidation.is_some() {
            return err("TICKET_INVALIDATED"); // W5
        }
        let mut downloaded = t.clone();
        if let Some(w) = downloaded.wallet.as_mut() {
            w.downloaded_at = Some(c.at);
        }
        Ok(Effect::ticket(c.ticket, downloaded, "TicketDownloaded"))
    }

    /// W1, W3, W4; no activation, check or control while pending (the crate's documented decision).
    pub(super) fn change_flag(&self, c: &ChangeFlag) -> Decided {
        let t = self.ticket(c.ticket)?;
        let Some(w) = &t.wallet else {
            return err("TICKET_NOT_INJECTED");
        };
        let wallet_side = matches!(c.change, FlagChange::Activate(_) | FlagChange::Deactivate);
        let allowed = match &c.actor {
            Actor::Spectator(who) => wallet_side && *who == w.current,
            Actor::System => wallet_side,
            Actor::AccessControl => !wallet_side,
            _ => false,
        };
        if !allowed {
            return err("ACTOR_NOT_ALLOWED");
        }
        if w.leaving() {
            return err("TICKET_DELETED");
        }
        let sets = matches!(
            c.change,
            FlagChange::Activate(_) | FlagChange::Check | FlagChange::Control
        );
        if t.invalidation.is_some() {
            return err("TICKET_INVALIDATED"); // W5
        }
        if sets && w.pending.is_some() {
            return err("TICKET_PENDING_TRANSFER");
        }
        let mut changed = t.clone();
        let Some(nw) = changed.wallet.as_mut() else {
            return err("model: no wallet");
        };
        let event = match c.change {
            FlagChange::Activate(method) if w.activated.is_none() => {
                nw.activated = Some((c.at, method));
                "TicketActivated"
            }
            FlagChange::Deactivate if w.activated.is_some() => {
                nw.activated = None;
                "TicketDeactivated"
            }
            FlagChange::Check if w.checked_at.is_none() => {
                nw.checked_at = Some(c.at);
                "TicketChecked"
            }
            FlagChange::Control if w.controlled_at.is_none() => {
                nw.controlled_at = Some(c.at);
                "TicketControlled"
            }
            FlagChange::CheckOut if w.controlled_at.is_some() => {
                nw.controlled_at = None;
                "TicketCheckedOut"
            }
            _ => return Ok(Effect::default()),
        };
        Ok(Effect::ticket(c.ticket, changed, event))
    }
}
