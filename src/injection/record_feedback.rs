use crate::changes::Changes;
use crate::decision::Decision;
use crate::error_kind::ErrorKind;
use crate::event::Event;
use crate::feedback::{
    DistributionEntry, DistributionHistory, EntryStatus, Feedback, LastFeedback, LifecycleStatus,
};
use crate::id::TicketId;
use crate::input_error::InputError;
use crate::ticket::Ticket;

/// Why S360 could not record a feedback. Nothing changed.
///
/// ### Handling
/// The feedback batch is malformed or addressed to the wrong ticket: log it and skip it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum RecordFeedbackError {
    /// S360 never injected this ticket, so TIXnGO cannot report on it.
    #[error(
        "ticket {ticket} was never injected into TIXnGO; its feedback is misaddressed: check the feedback's \
         ticket id"
    )]
    #[serde(rename = "TICKET_NOT_INJECTED")]
    NotInjected {
        /// The ticket.
        ticket: TicketId,
    },
    /// A transfer status came without the transfer it concerns (I4).
    #[error(
        "feedback {status} for ticket {ticket} carries no transfer details (group, sender, recipient); a \
         transfer status needs them"
    )]
    MissingTransferDetails {
        /// The ticket.
        ticket: TicketId,
        /// The status.
        status: LifecycleStatus,
    },
    /// The ticket passed is not the one the feedback names ([`InputError::TicketNotFound`]).
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
}

impl RecordFeedbackError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. [`Input`](Self::Input) gives its
    /// [`InputError::code`]. A released code never changes (`tests/fixtures/error_codes.txt` lists
    /// them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::injection::RecordFeedbackError;
    /// use secure_ticket::{ErrorKind, LifecycleStatus, TicketId};
    ///
    /// let error = RecordFeedbackError::MissingTransferDetails { ticket: TicketId::from_u128(1), status: LifecycleStatus::Transferred };
    /// assert_eq!(error.code(), "MISSING_TRANSFER_DETAILS");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Input(input) => input.code(),
            Self::NotInjected { .. } => "TICKET_NOT_INJECTED",
            Self::MissingTransferDetails { .. } => "MISSING_TRANSFER_DETAILS",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer. A
    /// nested error gives its own kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::injection::RecordFeedbackError;
    /// use secure_ticket::{ErrorKind, LifecycleStatus, TicketId};
    ///
    /// let error = RecordFeedbackError::MissingTransferDetails { ticket: TicketId::from_u128(1), status: LifecycleStatus::Transferred };
    /// assert_eq!(error.kind(), ErrorKind::InvalidInput);
    /// assert_eq!(error.kind().http_status(), 400);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(input) => input.kind(),
            Self::NotInjected { .. } => ErrorKind::Refused,
            Self::MissingTransferDetails { .. } => ErrorKind::InvalidInput,
        }
    }
}

/// Records TIXnGO's feedback on S360's ticket (SPEC I3, I4).
///
/// - Feedback older than the last one recorded is ignored: batches may arrive out of order (I3).
///   Older means a lower [`Feedback::sequence`], the wallet's order of commits, never an earlier
///   time: a wrong clock cannot hide a status or freeze the ticket's feedback (I6). Feedback of
///   the same sequence is applied in the order it arrives. `INJECTED` after any other status is
///   ignored too: it can only be a late arrival, and recording it would allow a take back of a
///   downloaded ticket (B4). An ignored feedback, or one that changes nothing (a duplicate), gives
///   an empty decision.
/// - `PENDING_TRANSFER` adds a PENDING distribution entry (sender → recipient); `FAILURE_TRANSFER`
///   marks that group's entry CANCELLED; `TRANSFERRED` marks it CONFIRMED (adding it if the pending
///   feedback never came) and makes the recipient the cultural contact (I4).
/// - `DELETION_PENDING` or `DELETED` for a ticket on resale settles the resale in the same
///   decision (R2, [`resale::settle_resale`](crate::resale::settle_resale)): the buyer's ticket is
///   created, or the resale is cancelled when the ticket left the contact first.
///
/// # Errors
///
/// In this order: [`Input`](RecordFeedbackError::Input) with [`InputError::TicketNotFound`],
/// [`NotInjected`](RecordFeedbackError::NotInjected),
/// [`MissingTransferDetails`](RecordFeedbackError::MissingTransferDetails).
///
/// # Examples
///
/// ```
/// use secure_ticket::{injection, Email, LifecycleStatus, UsageRuleId};
/// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// # let ticket = Ticket::new(secure_ticket::OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let injected = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: Email::parse("alice@example.com")?, usage_rule: UsageRuleId::from_u128(1), at,
/// })?;
/// let feedback = injection::feedback_for(1, &injected.events);
/// let recorded = injection::record_feedback(&injected.tickets[0], &feedback[0])?;
/// let last = recorded.tickets[0].distribution.last_feedback.unwrap();
/// assert_eq!(last.status, LifecycleStatus::Injected);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn record_feedback(
    ticket: &Ticket,
    feedback: &Feedback,
) -> Result<Decision, RecordFeedbackError> {
    record(ticket, feedback, true)
}

/// [`record_feedback`] that leaves a resale unsettled: what the shell records when the buyer's
/// ticket id was taken meanwhile, so that the feedback is never refused for it (the resale waits).
pub(crate) fn record_feedback_unsettled(
    ticket: &Ticket,
    feedback: &Feedback,
) -> Result<Decision, RecordFeedbackError> {
    record(ticket, feedback, false)
}

/// Records `feedback`; with `settle`, settles a resale its deletion completes (R2).
fn record(
    ticket: &Ticket,
    feedback: &Feedback,
    settle: bool,
) -> Result<Decision, RecordFeedbackError> {
    use RecordFeedbackError as E;
    if ticket.id != feedback.ticket {
        return Err(InputError::TicketNotFound {
            ticket: feedback.ticket,
        }
        .into());
    }
    if !ticket.distribution.printed {
        return Err(E::NotInjected { ticket: ticket.id });
    }
    let details = match (&feedback.transfer, feedback.status.is_transfer()) {
        (Some(details), true) => Some(details),
        (None, true) => {
            return Err(E::MissingTransferDetails {
                ticket: ticket.id,
                status: feedback.status,
            });
        }
        (_, false) => None,
    };
    let stale = ticket.distribution.last_feedback.is_some_and(|last| {
        // Older is earlier in the wallet's order of commits, whatever the clocks said (I6).
        // INJECTED is only ever the first status: once any other status is recorded, an INJECTED
        // is a late arrival whatever its sequence (a decision: it would reopen B4).
        last.sequence > feedback.sequence
            || (feedback.status == LifecycleStatus::Injected
                && last.status != LifecycleStatus::Injected)
    });
    if stale {
        return Ok(Decision::default());
    }
    let mut updated = ticket.clone();
    let distribution = &mut updated.distribution;
    distribution.last_feedback = Some(LastFeedback {
        status: feedback.status,
        at: feedback.at,
        sequence: feedback.sequence,
    });
    if let Some(details) = details {
        let found = distribution
            .entries
            .iter()
            .position(|e| e.group == details.group);
        let new_entry = |status| DistributionEntry {
            group: details.group,
            sender: details.sender.clone(),
            recipient: details.recipient.clone(),
            status,
            at: feedback.at,
        };
        match (feedback.status, found) {
            (LifecycleStatus::PendingTransfer, None) => {
                distribution.entries.push(new_entry(EntryStatus::Pending));
            }
            (LifecycleStatus::FailureTransfer, Some(index)) => {
                set_entry(
                    &mut distribution.entries,
                    index,
                    EntryStatus::Cancelled,
                    feedback.at,
                );
            }
            (LifecycleStatus::Transferred, found) => {
                match found {
                    Some(index) => set_entry(
                        &mut distribution.entries,
                        index,
                        EntryStatus::Confirmed,
                        feedback.at,
                    ),
                    None => {
                        distribution.entries.push(new_entry(EntryStatus::Confirmed));
                    }
                }
                distribution.cultural_contact = Some(details.recipient.clone());
            }
            // A repeated PENDING_TRANSFER, or a failure of a transfer S360 never heard of.
            _ => {}
        }
    }
    if updated == *ticket {
        return Ok(Decision::default());
    }
    let recorded = Event::FeedbackRecorded {
        ticket: ticket.id,
        status: feedback.status,
        at: feedback.at,
    };
    // R2: TIXnGO's deletion of a ticket on resale settles the resale.
    if settle
        && matches!(
            feedback.status,
            LifecycleStatus::DeletionPending | LifecycleStatus::Deleted
        )
        && updated.distribution.resale.is_some()
        && let Ok(mut settled) = crate::resale::settle_resale(
            &updated,
            &crate::resale::SettleResale {
                ticket: ticket.id,
                at: feedback.at,
            },
        )
    {
        let mut events = Changes::one(recorded);
        events.extend(settled.events.into_vec());
        settled.events = events;
        return Ok(settled);
    }
    Ok(Decision {
        spectators: Changes::new(),
        relies_on: Changes::new(),
        created: Changes::new(),
        tickets: Changes::one(updated),
        groups: Changes::new(),
        events: Changes::one(recorded),
    })
}

/// Sets one entry's status and time (copy on write: one allocation while the history is shared).
fn set_entry(
    entries: &mut DistributionHistory,
    index: usize,
    status: EntryStatus,
    at: time::OffsetDateTime,
) {
    if let Some(entry) = entries.make_mut().get_mut(index) {
        entry.status = status;
        entry.at = at;
    }
}
