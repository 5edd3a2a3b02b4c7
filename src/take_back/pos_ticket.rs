//! What the commands a B2B contact runs on a ticket through a point of sale share (SPEC B6).

use crate::id::{PointOfSaleId, TicketId};
use crate::point_of_sale::PointOfSale;
use crate::ticket::{InvalidationReason, Ticket};

/// A precondition shared by the commands a B2B contact runs on a ticket through a point of sale.
#[derive(Debug)]
pub(crate) enum PosTicketProblem {
    TicketNotFound {
        ticket: TicketId,
    },
    PointOfSaleNotFound {
        point_of_sale: PointOfSaleId,
    },
    TicketInvalidated {
        ticket: TicketId,
        reason: InvalidationReason,
    },
    WrongPointOfSale {
        ticket: TicketId,
        point_of_sale: PointOfSaleId,
        distributed_by: PointOfSaleId,
    },
}

/// Maps [`PosTicketProblem`] into a command's error enum, whose variants carry the same names.
macro_rules! from_pos_ticket_problem {
    ($error:ident) => {
        impl From<$crate::take_back::pos_ticket::PosTicketProblem> for $error {
            fn from(problem: $crate::take_back::pos_ticket::PosTicketProblem) -> Self {
                use $crate::take_back::pos_ticket::PosTicketProblem as P;
                match problem {
                    P::TicketNotFound { ticket } => Self::TicketNotFound { ticket },
                    P::PointOfSaleNotFound { point_of_sale } => {
                        Self::PointOfSaleNotFound { point_of_sale }
                    }
                    P::TicketInvalidated { ticket, reason } => {
                        Self::TicketInvalidated { ticket, reason }
                    }
                    P::WrongPointOfSale {
                        ticket,
                        point_of_sale,
                        distributed_by,
                    } => Self::WrongPointOfSale {
                        ticket,
                        point_of_sale,
                        distributed_by,
                    },
                }
            }
        }
    };
}
pub(crate) use from_pos_ticket_problem;

/// The ticket and POS passed are those the command names, the ticket is valid, and it was
/// distributed through this POS (B6). `b2b` runs between the last two checks (take back's order).
pub(crate) fn check_ticket_at_pos<E: From<PosTicketProblem>>(
    ticket: &Ticket,
    point_of_sale: &PointOfSale,
    (named_ticket, named_pos): (TicketId, PointOfSaleId),
    b2b: impl FnOnce() -> Result<(), E>,
) -> Result<(), E> {
    if ticket.id != named_ticket {
        return Err(PosTicketProblem::TicketNotFound {
            ticket: named_ticket,
        }
        .into());
    }
    if point_of_sale.id != named_pos {
        return Err(PosTicketProblem::PointOfSaleNotFound {
            point_of_sale: named_pos,
        }
        .into());
    }
    if let Some(invalidation) = &ticket.distribution.invalidation {
        let reason = invalidation.reason.clone();
        return Err(PosTicketProblem::TicketInvalidated {
            ticket: ticket.id,
            reason,
        }
        .into());
    }
    b2b()?;
    let distributed_by = ticket.distribution.point_of_sale;
    if distributed_by != point_of_sale.id {
        let (ticket, point_of_sale) = (ticket.id, point_of_sale.id);
        return Err(PosTicketProblem::WrongPointOfSale {
            ticket,
            point_of_sale,
            distributed_by,
        }
        .into());
    }
    Ok(())
}
