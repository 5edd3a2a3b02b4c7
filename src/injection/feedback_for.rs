use time::OffsetDateTime;

use crate::event::Event;
use crate::feedback::{Feedback, LifecycleStatus, TransferDetails};
use crate::id::TicketId;

/// The feedback that a wallet transition's events produce, ticket by ticket, in order (SPEC I2):
/// what TIXnGO sends to S360's feedback interface, so both services speak the same statuses.
///
/// `sequence` is the place of the commit that produced `events` in the wallet's order of
/// commits, which S360 orders feedback by (I6): the feed position of its entry
/// ([`FeedbackReader`](crate::service::FeedbackReader) passes it), or any number that grows
/// from one commit to the next. A command gives a ticket at most one status, so one sequence per
/// commit orders every ticket's statuses.
///
/// Events with no lifecycle status (deactivation, check, check-out, group-level acceptance) produce
/// nothing.
///
/// # Examples
///
/// ```
/// use secure_ticket::{injection, Email, LifecycleStatus, UsageRuleId};
/// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// # let ticket = Ticket::new(secure_ticket::OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let decision = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: Email::parse("alice@example.com")?, usage_rule: UsageRuleId::from_u128(1), at,
/// })?;
/// let feedback = injection::feedback_for(1, &decision.events);
/// assert_eq!((feedback[0].ticket, feedback[0].status), (ticket.id, LifecycleStatus::Injected));
/// assert_eq!(feedback[0].sequence, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn feedback_for(sequence: u64, events: &[Event]) -> Vec<Feedback> {
    let mut out = Vec::new();
    for event in events {
        let mut one = |ticket: TicketId, status: LifecycleStatus, at: OffsetDateTime| {
            out.push(Feedback {
                ticket,
                status,
                sequence,
                at,
                transfer: None,
            });
        };
        match event {
            Event::TicketInjected { ticket, at, .. } => {
                one(*ticket, LifecycleStatus::Injected, *at)
            }
            Event::TicketDownloaded { ticket, at, .. } => {
                one(*ticket, LifecycleStatus::Downloaded, *at)
            }
            Event::TicketActivated { ticket, method, at } => {
                one(*ticket, LifecycleStatus::activated(*method), *at)
            }
            Event::TicketControlled { ticket, at } => {
                one(*ticket, LifecycleStatus::Controlled, *at)
            }
            Event::TicketDeletionRequested { ticket, at } => {
                one(*ticket, LifecycleStatus::DeletionPending, *at)
            }
            Event::TicketDeleted { ticket, at } => one(*ticket, LifecycleStatus::Deleted, *at),
            Event::HolderAssigned { ticket, at, .. } => {
                one(*ticket, LifecycleStatus::Assigned, *at);
            }
            Event::TransferInitiated {
                group,
                sender,
                recipient,
                tickets,
                at,
                back_office,
                ..
            } => {
                transfer_feedback(
                    &mut out,
                    sequence,
                    tickets,
                    LifecycleStatus::PendingTransfer,
                    *at,
                    TransferDetails {
                        group: *group,
                        sender: sender.clone(),
                        recipient: recipient.clone(),
                        back_office: back_office.clone(),
                    },
                );
            }
            Event::TicketTransferred {
                ticket,
                group,
                from,
                to,
                at,
                back_office,
                ..
            } => out.push(Feedback {
                ticket: *ticket,
                status: LifecycleStatus::Transferred,
                sequence,
                at: *at,
                transfer: Some(TransferDetails {
                    group: *group,
                    sender: from.clone(),
                    recipient: to.clone(),
                    back_office: back_office.clone(),
                }),
            }),
            Event::TransferDeclined {
                group,
                sender,
                recipient,
                tickets,
                at,
            } => {
                let details = TransferDetails {
                    group: *group,
                    sender: sender.clone(),
                    recipient: recipient.clone(),
                    back_office: None,
                };
                let failed = LifecycleStatus::FailureTransfer;
                transfer_feedback(&mut out, sequence, tickets, failed, *at, details);
            }
            Event::TransferCancelled {
                group,
                sender,
                recipient,
                tickets,
                at,
                back_office,
                ..
            }
            | Event::TransferExpired {
                group,
                sender,
                recipient,
                tickets,
                at,
                back_office,
            } => {
                let details = TransferDetails {
                    group: *group,
                    sender: sender.clone(),
                    recipient: recipient.clone(),
                    back_office: back_office.clone(),
                };
                let failed = LifecycleStatus::FailureTransfer;
                transfer_feedback(&mut out, sequence, tickets, failed, *at, details);
            }
            _ => {}
        }
    }
    out
}

/// One transfer feedback per ticket of a group event.
fn transfer_feedback(
    out: &mut Vec<Feedback>,
    sequence: u64,
    tickets: &[TicketId],
    status: LifecycleStatus,
    at: OffsetDateTime,
    details: TransferDetails,
) {
    out.extend(tickets.iter().map(|&ticket| Feedback {
        ticket,
        status,
        sequence,
        at,
        transfer: Some(details.clone()),
    }));
}
