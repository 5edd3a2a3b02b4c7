//! The output of every transition.

use crate::changes::Changes;
use crate::event::Event;
use crate::record_key::RecordKey;
use crate::spectator::Spectator;
use crate::ticket::Ticket;
use crate::transfer_group::TransferGroup;

/// What a transition decided: the new states of the records it touched and the events that say
/// what happened (SPEC X1).
///
/// Records appear in full, in their new state; records not listed did not change. The caller
/// persists the records (each with the version it loaded, see the storage contract) and publishes
/// the events. A transition that has nothing to do returns an empty decision.
///
/// # Examples
///
/// ```
/// use secure_ticket::Decision;
/// assert!(Decision::default().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[must_use]
pub struct Decision {
    /// New states of the tickets the transition changed, or created.
    pub tickets: Changes<Ticket>,
    /// New states of the transfer groups the transition changed, or created.
    pub groups: Changes<TransferGroup>,
    /// What happened, in order.
    pub events: Changes<Event>,
    /// The records among `tickets` and `groups` that the transition created (with caller-given
    /// ids): a store must not hold them yet, so the shell writes them expecting
    /// [`Version::NEW`](crate::store::Version::NEW) and refuses the command when an id is taken.
    pub created: Changes<RecordKey>,
    /// New states of the spectator records the transition changed, or created (a lock, L1).
    pub spectators: Changes<Spectator>,
    /// Records the transition read and relies on without changing them: the ticket Keep One
    /// leaves with the sender (K4). The decision holds only if they are unchanged when it is
    /// committed; the crate's shell writes each back as it was read, expecting its version, so a
    /// concurrent transfer of that ticket conflicts and one of the two is decided again.
    pub relies_on: Changes<RecordKey>,
}

impl Decision {
    /// Whether the transition changed nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tickets.is_empty()
            && self.groups.is_empty()
            && self.events.is_empty()
            && self.created.is_empty()
            && self.spectators.is_empty()
            && self.relies_on.is_empty()
    }

    /// The new state of a ticket, if the decision touched it.
    #[must_use]
    pub fn ticket(&self, id: crate::id::TicketId) -> Option<&Ticket> {
        self.tickets.iter().find(|t| t.id == id)
    }

    /// The new state of a group, if the decision touched it.
    #[must_use]
    pub fn group(&self, id: crate::id::TransferGroupId) -> Option<&TransferGroup> {
        self.groups.iter().find(|g| g.id == id)
    }
}
