//! TIXnGO's lifecycle feedback recorded on S360's side (I3, I4, I6): feedback of a lower sequence
//! ignored, the distribution history and the cultural contact kept in step with transfer feedback,
//! and a resale settled by the deletion of its ticket (R2).

use secure_ticket::injection::TransferDetails;
use secure_ticket::{EntryStatus, Feedback, LifecycleStatus};

use super::shapes::Entry;
use super::state::{Decided, Effect, Model, err};

impl Model {
    /// I3, I4, I6, R2.
    pub(super) fn record_feedback(&self, f: &Feedback) -> Decided {
        let t = self.ticket(f.ticket)?;
        if !t.printed {
            return err("TICKET_NOT_INJECTED");
        }
        let about_transfer = matches!(
            f.status,
            LifecycleStatus::PendingTransfer
                | LifecycleStatus::FailureTransfer
                | LifecycleStatus::Transferred
        );
        let details: Option<&TransferDetails> = if about_transfer {
            match &f.transfer {
                Some(d) => Some(d),
                None => return err("MISSING_TRANSFER_DETAILS"),
            }
        } else {
            None
        };
        if let Some((last_status, _, last_sequence)) = t.feedback {
            let older = last_sequence > f.sequence;
            let late_injected =
                f.status == LifecycleStatus::Injected && last_status != LifecycleStatus::Injected;
            if older || late_injected {
                return Ok(Effect::default());
            }
        }
        let mut updated = t.clone();
        updated.feedback = Some((f.status, f.at, f.sequence));
        if let Some(d) = details {
            let found = updated.entries.iter().position(|e| e.group == d.group);
            let entry = |status| Entry {
                group: d.group,
                sender: d.sender.clone(),
                recipient: d.recipient.clone(),
                status,
                at: f.at,
            };
            match (f.status, found) {
                (LifecycleStatus::PendingTransfer, None) => {
                    updated.entries.push(entry(EntryStatus::Pending));
                }
                (LifecycleStatus::FailureTransfer, Some(i)) => {
                    updated.entries[i].status = EntryStatus::Cancelled;
                    updated.entries[i].at = f.at;
                }
                (LifecycleStatus::Transferred, found) => {
                    match found {
                        Some(i) => {
                            updated.entries[i].status = EntryStatus::Confirmed;
                            updated.entries[i].at = f.at;
                        }
                        None => updated.entries.push(entry(EntryStatus::Confirmed)),
                    }
                    updated.contact = Some(d.recipient.clone());
                }
                _ => {}
            }
        }
        if updated == *t {
            return Ok(Effect::default());
        }
        // R2: TIXnGO's deletion of a ticket on resale settles the resale in the same step.
        if matches!(
            f.status,
            LifecycleStatus::DeletionPending | LifecycleStatus::Deleted
        ) && let Some(resale) = &updated.resale
            // The buyer's ticket id taken meanwhile: the feedback is recorded, the resale waits.
            && !self.tickets.contains_key(&resale.buyer_ticket)
        {
            let mut settled = Self::settlement(f.ticket, &updated);
            settled.events.insert(0, "FeedbackRecorded");
            return Ok(settled);
        }
        Ok(Effect::ticket(f.ticket, updated, "FeedbackRecorded"))
    }
}
