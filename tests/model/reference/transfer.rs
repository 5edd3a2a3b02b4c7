//! The transfer rules (T, A): initiation and its split by direction (T1-T7), return to sender
//! (T11), acceptance and completion (T8, T9, T13), completion at the recipient's sign-in (Q4, A1,
//! A2), decline and cancel (T10), expiry and the expiry sweep (A4, Q5) and recipient edit (T12).

use std::collections::{BTreeMap, BTreeSet};

use secure_ticket::command::ExpireDue;
use secure_ticket::service::SIGN_IN_GROUPS;
use secure_ticket::transfer::{
    AcceptTransfer, CancelTransfer, DeclineTransfer, EditRecipient, ExpireTransfer,
    InitiateTransfer, NewGroupIds, ReturnToSender, SignIn,
};
use secure_ticket::{Email, PerformanceId, TicketId, TransferGroupId};
use time::OffsetDateTime;

use super::shapes::{Backward, GroupStatus, MGroup, MTicket};
use super::state::{Decided, Effect, Model, err};

/// T9: the level never exceeds 256.
const MAX_LEVEL: u16 = 256;

impl Model {
    /// T1-T4 and T6 over `source` (the tickets as the initiation sees them), with L2, E1 and
    /// Keep One (K2-K4, unless an edit): the tickets that go FORWARD and those that go BACKWARD,
    /// or the refusal's variant name.
    #[allow(clippy::too_many_arguments)]
    fn check_initiation(
        &self,
        source: &BTreeMap<TicketId, MTicket>,
        actor: &Email,
        recipient: &Email,
        ids: &[TicketId],
        groups: NewGroupIds,
        keep_one: bool,
        at: OffsetDateTime,
    ) -> Result<(Vec<TicketId>, Vec<TicketId>), &'static str> {
        if ids.is_empty() {
            return Err("EMPTY_TICKET_LIST");
        }
        let mut seen = BTreeSet::new();
        if !ids.iter().all(|id| seen.insert(*id)) {
            return Err("DUPLICATE_TICKET");
        }
        // L2: a locked spectator starts no transfer (initiation, return, edit), whatever the
        // tickets.
        if self.locked(actor) {
            return Err("SPECTATOR_LOCKED");
        }
        let (mut forward, mut backward) = (Vec::new(), Vec::new());
        for id in ids {
            let Some(t) = source.get(id) else {
                return Err("TICKET_NOT_FOUND");
            };
            let Some(w) = &t.wallet else {
                return Err("TICKET_NOT_INJECTED");
            };
            if w.current != *actor {
                return Err("NOT_CURRENT_OWNER");
            }
            if w.leaving() {
                return Err("TICKET_DELETED");
            }
            if t.invalidation.is_some() {
                return Err("TICKET_INVALIDATED"); // W5
            }
            if w.pending.is_some() {
                return Err("TICKET_PENDING_TRANSFER");
            }
            if w.current == *recipient {
                return Err("RECIPIENT_IS_SENDER");
            }
            // E1: at or after the end of the ticket's performance.
            if self
                .performance_end(source, &[*id])
                .is_some_and(|end| at >= end)
            {
                return Err("PERFORMANCE_ENDED");
            }
            let Some(rule) = self.rules.get(&w.rule) else {
                return Err("USAGE_RULE_NOT_FOUND");
            };
            if !rule.transfer {
                return Err("TRANSFER_DISABLED");
            }
            if w.activated.is_some() && !rule.after_activation {
                return Err("TICKET_ACTIVATED");
            }
            if w.checked_at.is_some() && !rule.after_check {
                return Err("TICKET_CHECKED");
            }
            if w.controlled_at.is_some() && !rule.after_control {
                return Err("TICKET_CONTROLLED");
            }
            if w.level >= rule.limit {
                return Err("TRANSFER_LIMIT_REACHED");
            }
            if w.previous.as_ref() == Some(recipient) {
                backward.push(*id);
            } else {
                forward.push(*id);
            }
        }
        if keep_one && self.keep_one_breached(source, actor, ids) {
            return Err("KEEP_ONE");
        }
        if !forward.is_empty() && !backward.is_empty() && groups.forward == groups.backward {
            return Err("SAME_GROUP_ID_FOR_BOTH_DIRECTIONS");
        }
        Ok((forward, backward))
    }

    /// K2-K4, the simple way: per performance of the sent tickets whose rule keeps one, some
    /// other ticket of it must stay kept by the sender (RESTRICTED: only for an initial owner).
    fn keep_one_breached(
        &self,
        source: &BTreeMap<TicketId, MTicket>,
        actor: &Email,
        ids: &[TicketId],
    ) -> bool {
        use secure_ticket::KeepOne;
        let owned = |p: PerformanceId| {
            source
                .iter()
                .filter(move |(_, t)| t.performance == Some(p))
                .filter_map(|(id, t)| Some((id, t.wallet.as_ref()?)))
                .filter(|(_, w)| w.current == *actor)
        };
        let performances: BTreeSet<PerformanceId> = ids
            .iter()
            .filter_map(|id| source.get(id)?.performance)
            .collect();
        performances.into_iter().any(|p| {
            let modes: Vec<KeepOne> = ids
                .iter()
                .filter_map(|id| source.get(id))
                .filter(|t| t.performance == Some(p))
                .filter_map(|t| Some(self.rules.get(&t.wallet.as_ref()?.rule)?.keep_one))
                .collect();
            let enforced = if modes.contains(&KeepOne::Enabled) {
                true
            } else if modes.contains(&KeepOne::Restricted) {
                owned(p).any(|(_, w)| w.initial == *actor)
            } else {
                false
            };
            let kept =
                owned(p).any(|(id, w)| w.pending.is_none() && !w.leaving() && !ids.contains(id));
            enforced && !kept
        })
    }

    /// E1: the earliest end of the performances of `ids`, from the setup's records.
    pub(super) fn performance_end(
        &self,
        source: &BTreeMap<TicketId, MTicket>,
        ids: &[TicketId],
    ) -> Option<OffsetDateTime> {
        ids.iter()
            .filter_map(|id| source.get(id)?.performance)
            .filter_map(|p| {
                self.setup.iter().find_map(|r| match r {
                    secure_ticket::store::Record::Performance(q) if q.id == p => Some(q.ends_at),
                    _ => None,
                })
            })
            .min()
    }

    /// T5, T7: one new PENDING group per direction; the tickets become pending in it.
    #[allow(clippy::too_many_arguments)]
    fn initiation_effect(
        &self,
        source: &BTreeMap<TicketId, MTicket>,
        actor: &Email,
        recipient: &Email,
        (forward, backward): (Vec<TicketId>, Vec<TicketId>),
        groups: NewGroupIds,
        at: OffsetDateTime,
        replaces: Option<TransferGroupId>,
        effect: &mut Effect,
    ) {
        for (is_backward, ids, id) in [
            (false, forward, groups.forward),
            (true, backward, groups.backward),
        ] {
            if ids.is_empty() {
                continue;
            }
            for ticket in &ids {
                let mut pending = source[ticket].clone();
                if let Some(w) = pending.wallet.as_mut() {
                    w.pending = Some(id);
                }
                effect.tickets.push((*ticket, pending, false));
            }
            let ends_at = self.performance_end(source, &ids);
            effect.groups.push((
                id,
                MGroup {
                    sender: actor.clone(),
                    recipient: recipient.clone(),
                    backward: is_backward,
                    tickets: ids,
                    status: GroupStatus::Pending,
                    // A1, A2: only FORWARD groups wait for an explicit answer.
                    explicit: self.explicit && !is_backward,
                    created_at: at,
                    expires_at: self.expire_after.and_then(|after| at.checked_add(after)),
                    closed_at: None,
                    replaces,
                    ends_at,
                    back_office: None,
                },
                true,
            ));
            effect.events.push("TransferInitiated");
        }
    }

    pub(super) fn initiate(&self, c: &InitiateTransfer) -> Decided {
        let split = self
            .check_initiation(
                &self.tickets,
                &c.actor,
                &c.recipient,
                &c.tickets,
                c.groups,
                true,
                c.at,
            )
            .map_err(str::to_owned)?;
        let mut effect = Effect::default();
        self.initiation_effect(
            &self.tickets,
            &c.actor,
            &c.recipient,
            split,
            c.groups,
            c.at,
            None,
            &mut effect,
        );
        Ok(effect)
    }

    /// T11: a BACKWARD initiation to the previous owner.
    pub(super) fn return_to_sender(&self, c: &ReturnToSender) -> Decided {
        let nested = |v: &str| v.to_owned();
        let Some(t) = self.tickets.get(&c.ticket) else {
            return err(nested("TICKET_NOT_FOUND"));
        };
        let Some(w) = &t.wallet else {
            return err(nested("TICKET_NOT_INJECTED"));
        };
        if w.current != c.actor {
            return err(nested("NOT_CURRENT_OWNER"));
        }
        let Some(previous) = w.previous.clone() else {
            return err("NO_PREVIOUS_OWNER");
        };
        let groups = NewGroupIds::single(c.group);
        let split = self
            .check_initiation(
                &self.tickets,
                &c.actor,
                &previous,
                &[c.ticket],
                groups,
                true,
                c.at,
            )
            .map_err(nested)?;
        let mut effect = Effect::default();
        self.initiation_effect(
            &self.tickets,
            &c.actor,
            &previous,
            split,
            groups,
            c.at,
            None,
            &mut effect,
        );
        Ok(effect)
    }

    /// T8, T9: every ticket of the group changes hands.
    fn complete(
        &self,
        id: TransferGroupId,
        g: &MGroup,
        at: OffsetDateTime,
        effect: &mut Effect,
    ) -> Result<(), String> {
        effect.events.push("TransferAccepted");
        for ticket in &g.tickets {
            let Some(t) = self.tickets.get(ticket) else {
                return err("TICKET_NOT_FOUND");
            };
            let w = match &t.wallet {
                Some(w) if w.pending == Some(id) => w,
                _ => return err("TICKET_NOT_IN_GROUP"),
            };
            if w.leaving() {
                return err("TICKET_DELETED");
            }
            let Some(rule) = self.rules.get(&w.rule) else {
                return err("USAGE_RULE_NOT_FOUND");
            };
            let mut moved = t.clone();
            let Some(m) = moved.wallet.as_mut() else {
                return err("model: no wallet");
            };
            if g.backward {
                m.backward += 1;
                m.level = match rule.backward {
                    Backward::Neutral => m.level,
                    // T9: back to the level before the last FORWARD transfer, never below it.
                    Backward::Decrease => m.level.min(m.level_before_forward),
                    Backward::Increase => (m.level + 1).min(MAX_LEVEL),
                };
            } else {
                m.level_before_forward = m.level;
                m.level = (m.level + 1).min(MAX_LEVEL);
                m.forward += 1;
            }
            m.previous = Some(g.sender.clone());
            m.current = g.recipient.clone();
            m.pending = None;
            m.downloaded_at = None;
            // H5: a completed transfer clears the holder.
            moved.holder = false;
            moved.holder_at = None;
            effect.tickets.push((*ticket, moved, false));
            effect.events.push("TicketTransferred");
        }
        let mut closed = g.clone();
        closed.status = GroupStatus::Accepted;
        closed.closed_at = Some(at);
        effect.groups.push((id, closed, false));
        Ok(())
    }

    /// T10: the group's tickets back with the sender, as before the transfer.
    fn release(
        &self,
        id: TransferGroupId,
        g: &MGroup,
    ) -> Result<BTreeMap<TicketId, MTicket>, String> {
        let mut released = BTreeMap::new();
        for ticket in &g.tickets {
            let Some(t) = self.tickets.get(ticket) else {
                return err("TICKET_NOT_FOUND");
            };
            let mut back = t.clone();
            match back.wallet.as_mut() {
                Some(w) if w.pending == Some(id) => w.pending = None,
                _ => return err("TICKET_NOT_IN_GROUP"),
            }
            released.insert(*ticket, back);
        }
        Ok(released)
    }

    /// T10, A4: a final status other than ACCEPTED.
    pub(super) fn close(
        &self,
        id: TransferGroupId,
        g: &MGroup,
        status: GroupStatus,
        at: OffsetDateTime,
        event: &'static str,
    ) -> Decided {
        let released = self.release(id, g)?;
        let mut closed = g.clone();
        closed.status = status;
        closed.closed_at = Some(at);
        Ok(Effect {
            tickets: released.into_iter().map(|(k, t)| (k, t, false)).collect(),
            groups: vec![(id, closed, false)],
            events: vec![event],
            ..Effect::default()
        })
    }

    /// T8, T13, A3, A4.
    pub(super) fn accept(&self, c: &AcceptTransfer) -> Decided {
        let g = self.group(c.group)?;
        if g.recipient != c.actor {
            return err("NOT_RECIPIENT");
        }
        // The actor first (X2): a stranger does not learn the group's final status.
        if g.status != GroupStatus::Pending {
            return err("TRANSFER_NOT_PENDING");
        }
        if g.past_deadline(c.at) {
            return err("TRANSFER_PAST_DEADLINE");
        }
        if g.ended(c.at) {
            return err("PERFORMANCE_ENDED");
        }
        let mut effect = Effect::default();
        self.complete(c.group, g, c.at, &mut effect)?;
        if self.frozen(g) {
            return err("TICKET_INVALIDATED"); // W5
        }
        Ok(effect)
    }

    /// W5: a group holding a ticket taken back cannot complete.
    fn frozen(&self, g: &MGroup) -> bool {
        g.tickets.iter().any(|t| {
            self.tickets
                .get(t)
                .is_some_and(|t| t.invalidation.is_some())
        })
    }

    /// Q4, A1, A2: every PENDING group addressed to the actor that needs no explicit answer and
    /// is not past its deadline completes at the actor's sign-in, oldest first (by creation, then
    /// id); at most [`SIGN_IN_GROUPS`] of them.
    pub(super) fn sign_in(&self, c: &SignIn) -> Decided {
        // The groups that complete at sign-in, oldest first, at most SIGN_IN_GROUPS (the crate
        // reads them from their own index); a group past its deadline or holding a ticket taken
        // back stays pending (W5).
        let mut pending: Vec<(&TransferGroupId, &MGroup)> = self
            .groups
            .iter()
            .filter(|(_, g)| {
                g.status == GroupStatus::Pending && g.recipient == c.actor && !g.explicit
            })
            .collect();
        pending.sort_by_key(|(id, g)| (g.created_at, **id));
        let mut effect = Effect::default();
        for (id, g) in pending.into_iter().take(SIGN_IN_GROUPS as usize) {
            if !g.past_deadline(c.at) && !g.ended(c.at) && !self.frozen(g) {
                self.complete(*id, g, c.at, &mut effect)?;
            }
        }
        Ok(effect)
    }

    /// Q5, A4: the sweep expires the PENDING groups whose deadline is at or before its time,
    /// oldest deadline first (then by id), at most `limit` (1 to 1,000); a group that cannot
    /// expire waits for the next sweep.
    pub(super) fn expire_due(&self, c: &ExpireDue) -> Decided {
        if !(1..=1_000).contains(&c.limit) {
            return err("INVALID_LIMIT");
        }
        let mut due: Vec<(OffsetDateTime, TransferGroupId)> = self
            .groups
            .iter()
            .filter_map(|(id, g)| match g.due() {
                Some(deadline) if g.status == GroupStatus::Pending && deadline <= c.at => {
                    Some((deadline, *id))
                }
                _ => None,
            })
            .collect();
        due.sort();
        let mut effect = Effect::default();
        for (_, id) in due.into_iter().take(c.limit as usize) {
            let g = &self.groups[&id];
            let Ok(expired) = self.close(id, g, GroupStatus::Expired, c.at, "TransferExpired")
            else {
                continue;
            };
            effect.tickets.extend(expired.tickets);
            effect.groups.extend(expired.groups);
            effect.events.extend(expired.events);
        }
        Ok(effect)
    }

    pub(super) fn decline(&self, c: &DeclineTransfer) -> Decided {
        let g = self.group(c.group)?;
        if g.recipient != c.actor {
            return err("NOT_RECIPIENT");
        }
        // The actor first (X2): a stranger does not learn the group's final status.
        if g.status != GroupStatus::Pending {
            return err("TRANSFER_NOT_PENDING");
        }
        // S8: the recipient of a back-office group cannot decline it.
        if g.back_office.is_some() {
            return err("BACK_OFFICE_GROUP");
        }
        self.close(c.group, g, GroupStatus::Declined, c.at, "TransferDeclined")
    }

    pub(super) fn cancel(&self, c: &CancelTransfer) -> Decided {
        let g = self.group(c.group)?;
        if g.sender != c.actor {
            return err("NOT_SENDER");
        }
        // The actor first (X2): a stranger does not learn the group's final status.
        if g.status != GroupStatus::Pending {
            return err("TRANSFER_NOT_PENDING");
        }
        // S8: only staff cancel a back-office group.
        if g.back_office.is_some() {
            return err("BACK_OFFICE_GROUP");
        }
        self.close(
            c.group,
            g,
            GroupStatus::Cancelled,
            c.at,
            "TransferCancelled",
        )
    }

    pub(super) fn expire(&self, c: &ExpireTransfer) -> Decided {
        let g = self.group(c.group)?;
        if g.status != GroupStatus::Pending {
            return err("TRANSFER_NOT_PENDING");
        }
        let Some(deadline) = g.due() else {
            return err("NO_DEADLINE");
        };
        if c.at < deadline {
            return err("NOT_YET_EXPIRED");
        }
        self.close(c.group, g, GroupStatus::Expired, c.at, "TransferExpired")
    }

    /// T12: the old group CANCELLED, the tickets initiated afresh to the new recipient.
    pub(super) fn edit_recipient(&self, c: &EditRecipient) -> Decided {
        let g = self.group(c.group)?;
        if g.sender != c.actor {
            return err("NOT_SENDER");
        }
        // The actor first (X2): a stranger does not learn the group's final status.
        if g.status != GroupStatus::Pending {
            return err("TRANSFER_NOT_PENDING");
        }
        // S8: editing cancels the group, which only staff may do to a back-office group.
        if g.back_office.is_some() {
            return err("BACK_OFFICE_GROUP");
        }
        if g.recipient == c.recipient {
            return err("SAME_RECIPIENT");
        }
        if c.new_groups.forward == c.group || c.new_groups.backward == c.group {
            return err("GROUP_ID_REUSED");
        }
        let released = self.release(c.group, g)?;
        let split = self
            .check_initiation(
                &released,
                &c.actor,
                &c.recipient,
                &g.tickets,
                c.new_groups,
                false,
                c.at,
            )
            .map_err(str::to_owned)?;
        let mut closed = g.clone();
        closed.status = GroupStatus::Cancelled;
        closed.closed_at = Some(c.at);
        let mut effect = Effect {
            groups: vec![(c.group, closed, false)],
            events: vec!["TransferCancelled"],
            ..Effect::default()
        };
        self.initiation_effect(
            &released,
            &c.actor,
            &c.recipient,
            split,
            c.new_groups,
            c.at,
            Some(c.group),
            &mut effect,
        );
        Ok(effect)
    }
}
