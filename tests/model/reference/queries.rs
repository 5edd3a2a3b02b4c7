//! The read side as the model answers it (Q2, Q3, Q6), straight from its maps: what the shell's
//! queries must return after every step.

use std::cmp::Reverse;
use std::collections::BTreeSet;

use secure_ticket::strategies::{PEOPLE, person};
use secure_ticket::take_back::TakeBackTicket;
use secure_ticket::{Email, PerformanceId, PointOfSaleId, RightId, TicketId, TransferGroupId};
use time::OffsetDateTime;

use super::shapes::GroupStatus;
use super::state::Model;

/// A ticket in a wallet: its performance, its id, its pending group.
pub(crate) type WalletLine = (Option<PerformanceId>, TicketId, Option<TransferGroupId>);

/// Q2: an email's wallet as the model sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ModelWallet {
    /// The tickets it owns (injected, not DELETED), by performance then id.
    pub(crate) tickets: Vec<WalletLine>,
    /// The PENDING groups it sent, newest first (then by id).
    pub(crate) outgoing: Vec<TransferGroupId>,
    /// The PENDING groups addressed to it, newest first (then by id).
    pub(crate) incoming: Vec<TransferGroupId>,
}

/// The order of a wallet's tickets: by performance (none first), then by id.
fn wallet_order(performance: Option<PerformanceId>, ticket: TicketId) -> (u128, u128) {
    (
        performance.map_or(0, |p| p.as_uuid().as_u128()),
        ticket.as_uuid().as_u128(),
    )
}

impl Model {
    /// Every email a command may name or a record holds: the generator's people, and any other
    /// that the records hold.
    pub(crate) fn emails(&self) -> BTreeSet<Email> {
        let mut emails: BTreeSet<Email> = (0..PEOPLE).map(person).collect();
        for t in self.tickets.values() {
            if let Some(w) = &t.wallet {
                emails.insert(w.current.clone());
                emails.insert(w.initial.clone());
                emails.extend(w.previous.clone());
            }
        }
        for g in self.groups.values() {
            emails.insert(g.sender.clone());
            emails.insert(g.recipient.clone());
        }
        emails
    }

    /// Q2: the tickets `email` currently owns (not DELETED) by performance, each with its pending
    /// group; its outgoing and incoming PENDING groups, newest first.
    pub(crate) fn wallet_of(&self, email: &Email) -> ModelWallet {
        let mut tickets: Vec<WalletLine> = self
            .tickets
            .iter()
            .filter_map(|(id, t)| {
                let w = t.wallet.as_ref()?;
                (w.current == *email && w.deleted_at.is_none()).then_some((
                    t.performance,
                    *id,
                    w.pending,
                ))
            })
            .collect();
        tickets.sort_by_key(|(performance, id, _)| wallet_order(*performance, *id));
        let pending = |to_them: bool| {
            let mut groups: Vec<(Reverse<OffsetDateTime>, TransferGroupId)> = self
                .groups
                .iter()
                .filter(|(_, g)| {
                    g.status == GroupStatus::Pending
                        && if to_them {
                            g.recipient == *email
                        } else {
                            g.sender == *email
                        }
                })
                .map(|(id, g)| (Reverse(g.created_at), *id))
                .collect();
            groups.sort();
            groups.into_iter().map(|(_, id)| id).collect()
        };
        ModelWallet {
            tickets,
            outgoing: pending(false),
            incoming: pending(true),
        }
    }

    /// Q3: the closed groups `email` sent or received, newest first (by closing time, then id).
    pub(crate) fn history_of(&self, email: &Email) -> Vec<TransferGroupId> {
        let mut groups: Vec<(Reverse<OffsetDateTime>, TransferGroupId)> = self
            .groups
            .iter()
            .filter(|(_, g)| {
                g.status != GroupStatus::Pending && (g.sender == *email || g.recipient == *email)
            })
            .map(|(id, g)| (Reverse(g.closed_at.unwrap_or(g.created_at)), *id))
            .collect();
        groups.sort();
        groups.into_iter().map(|(_, id)| id).collect()
    }

    /// Every right a ticket has.
    pub(crate) fn rights(&self) -> BTreeSet<RightId> {
        self.tickets.values().map(|t| t.right).collect()
    }

    /// Q6: the tickets of a right, by id.
    pub(crate) fn tickets_of_right(&self, right: RightId) -> Vec<TicketId> {
        self.tickets
            .iter()
            .filter(|(_, t)| t.right == right)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Q6: the tickets a point of sale distributed, by id.
    pub(crate) fn tickets_of_point_of_sale(&self, point_of_sale: PointOfSaleId) -> Vec<TicketId> {
        self.tickets
            .iter()
            .filter(|(_, t)| t.point_of_sale == point_of_sale)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Q6: whether a take back of `ticket` through its own point of sale would be accepted at
    /// `at`, by its B2B contact (B13), else the refusal's kind. A buyer's ticket (R2) has no B2B
    /// contact: take back refuses it whoever asks, in its own order.
    pub(crate) fn take_back_now(&self, ticket: TicketId, at: OffsetDateTime) -> Result<(), String> {
        let t = self.ticket(ticket)?;
        self.settings(super::setup::ORGANIZER)?;
        let actor = t
            .b2b
            .clone()
            .unwrap_or_else(|| Email::parse("nobody@invalid.example").expect("a valid address"));
        let command = TakeBackTicket {
            contact: secure_ticket::ContactKind::Individual,
            ticket,
            point_of_sale: t.point_of_sale,
            actor,
            // An id no ticket has: the answer does not depend on it.
            new_ticket: TicketId::from_u128(u128::MAX - 1),
            at,
        };
        self.take_back(&command).map(|_| ())
    }
}
