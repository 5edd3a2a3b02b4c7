//! What the commands a B2B contact runs on a ticket through a point of sale share (SPEC B6).

use crate::id::{PointOfSaleId, TicketId};
use crate::input_error::InputError;
use crate::point_of_sale::PointOfSale;
use crate::ticket::{InvalidationReason, Ticket};

/// The error of a command a B2B contact runs on a ticket through a point of sale: input errors,
/// and its own refusals of an invalidated ticket and of a ticket of another POS.
pub(crate) trait PosTicketError: From<InputError> {
    /// The ticket is invalidated.
    fn ticket_invalidated(ticket: TicketId, reason: InvalidationReason) -> Self;
    /// The ticket was distributed through another POS (B6); the error does not say which.
    fn wrong_point_of_sale(ticket: TicketId, point_of_sale: PointOfSaleId) -> Self;
}

/// The ticket and POS passed are those the command names, the POS suits the command (`pos`), the
/// ticket was distributed through it (B6), the actor may act on it (`actor`), and the ticket is
/// valid: in this order, so who asks is checked before anything about the ticket is told (X2).
pub(crate) fn check_ticket_at_pos<E: PosTicketError>(
    ticket: &Ticket,
    point_of_sale: &PointOfSale,
    (named_ticket, named_pos): (TicketId, PointOfSaleId),
    pos: impl FnOnce() -> Result<(), E>,
    actor: impl FnOnce() -> Result<(), E>,
) -> Result<(), E> {
    if ticket.id != named_ticket {
        return Err(InputError::TicketNotFound {
            ticket: named_ticket,
        }
        .into());
    }
    if point_of_sale.id != named_pos {
        return Err(InputError::PointOfSaleNotFound {
            point_of_sale: named_pos,
        }
        .into());
    }
    // Who asks first (X2): a point of sale that did not distribute the ticket, or an actor who
    // may not act on it, learns nothing of its state, not even that it was invalidated.
    pos()?;
    if ticket.distribution.point_of_sale != point_of_sale.id {
        return Err(E::wrong_point_of_sale(ticket.id, point_of_sale.id));
    }
    actor()?;
    if let Some(invalidation) = &ticket.distribution.invalidation {
        return Err(E::ticket_invalidated(
            ticket.id,
            invalidation.reason.clone(),
        ));
    }
    Ok(())
}
