//! What the transfer rules read besides the records a command names.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::email::Email;
use crate::id::{PerformanceId, TicketId, UsageRuleId};
use crate::organizer::AcceptanceSettings;
use crate::performance::Performance;
use crate::spectator::{Spectator, SpectatorLocked};
use crate::ticket::Ticket;
use crate::usage_rule::{KeepOne, UsageRule};

/// What a transfer transition reads besides the tickets and groups its command names: the
/// tickets' usage rules, the organizer's acceptance settings, the tickets' performances (E1), every
/// ticket the actor owns (Keep One, K4) and the actor's spectator record (its lock, L2).
///
/// Built with [`Context::new`] and the `with_` methods; what is not given is taken as absent: no
/// performance known (no end, E1 does not apply), no other ticket owned (Keep One then counts the
/// command's tickets only, and refuses rather than guesses), no lock.
///
/// # Examples
///
/// ```
/// use secure_ticket::transfer::Context;
/// use secure_ticket::{AcceptanceSettings, OrganizerId, UsageRule, UsageRuleId};
///
/// let rules = [UsageRule::new(OrganizerId::from_u128(1), UsageRuleId::from_u128(1))];
/// let context = Context::new(&rules).with_settings(AcceptanceSettings::explicit());
/// assert!(context.settings.explicit_acceptance);
/// assert!(context.performances.is_empty());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The usage rules of the tickets (other rules are ignored).
    pub rules: &'a [UsageRule],
    /// The organizer's acceptance settings (A1, A4), for the groups an initiation creates.
    pub settings: AcceptanceSettings,
    /// The performances of the tickets (E1); a ticket whose performance is not here has no end.
    pub performances: &'a [Performance],
    /// Every ticket the actor owns (K4), with or without the command's own.
    pub wallet: &'a [Ticket],
    /// The actor's spectator record, if the organizer keeps one (L2).
    pub actor: Option<&'a Spectator>,
}

impl<'a> Context<'a> {
    /// A context with `rules`, automatic acceptance and no expiry, and nothing else.
    #[must_use]
    pub const fn new(rules: &'a [UsageRule]) -> Self {
        Self {
            rules,
            settings: AcceptanceSettings::automatic(),
            performances: &[],
            wallet: &[],
            actor: None,
        }
    }

    /// With the organizer's acceptance settings.
    #[must_use]
    pub const fn with_settings(mut self, settings: AcceptanceSettings) -> Self {
        self.settings = settings;
        self
    }

    /// With the tickets' performances.
    #[must_use]
    pub const fn with_performances(mut self, performances: &'a [Performance]) -> Self {
        self.performances = performances;
        self
    }

    /// With every ticket the actor owns.
    #[must_use]
    pub const fn with_wallet(mut self, wallet: &'a [Ticket]) -> Self {
        self.wallet = wallet;
        self
    }

    /// With the actor's spectator record (`None`: the organizer keeps none, never locked).
    #[must_use]
    pub const fn with_actor(mut self, actor: Option<&'a Spectator>) -> Self {
        self.actor = actor;
        self
    }

    /// The refusal of a locked actor (L2).
    pub(crate) fn locked(&self) -> Option<SpectatorLocked> {
        SpectatorLocked::of(self.actor)
    }

    /// The performance of `ticket`, if known.
    pub(crate) fn performance_of(&self, ticket: &Ticket) -> Option<&Performance> {
        let id = ticket.performance?;
        self.performances
            .iter()
            .find(|p| p.id == id && p.organizer == ticket.organizer)
    }

    /// The performance of `ticket` when it has ended at `at` (E1).
    pub(crate) fn ended(&self, ticket: &Ticket, at: OffsetDateTime) -> Option<&Performance> {
        self.performance_of(ticket).filter(|p| p.has_ended(at))
    }

    /// The earliest end of the performances of `tickets` (what a new group keeps).
    pub(crate) fn earliest_end<'t>(
        &self,
        tickets: impl IntoIterator<Item = &'t Ticket>,
    ) -> Option<OffsetDateTime> {
        tickets
            .into_iter()
            .filter_map(|t| self.performance_of(t).map(|p| p.ends_at))
            .min()
    }
}

/// A performance that Keep One (K2-K4) forbids the sender to leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeepOneBreach {
    pub(crate) performance: PerformanceId,
    pub(crate) rule: UsageRuleId,
}

/// Keep One (K2-K4) for `sender` sending `sent` (ids of `tickets`, all checked already): per
/// performance of the sent tickets whose rule enforces it, one ticket of it must stay kept by
/// the sender, among every ticket of the performance the sender owns (`tickets` and the
/// context's wallet). O((n + m) log n). Returns, per performance checked, the kept ticket the
/// decision relies on (what a concurrent transfer of it must conflict with).
pub(crate) fn keep_one(
    context: &Context<'_>,
    sender: &Email,
    tickets: &[Ticket],
    sent: &[TicketId],
) -> Result<Vec<TicketId>, KeepOneBreach> {
    struct Need {
        rule: UsageRuleId,
        restricted: bool,
        initial: bool,
        kept: Option<TicketId>,
    }
    let mut needs: BTreeMap<PerformanceId, Need> = BTreeMap::new();
    for &id in sent {
        let Some(ticket) = tickets.iter().find(|t| t.id == id) else {
            continue;
        };
        let (Some(performance), Some(wallet)) = (ticket.performance, ticket.wallet.as_ref()) else {
            continue;
        };
        let Some(rule) = context.rules.iter().find(|r| r.id == wallet.usage_rule) else {
            continue;
        };
        let restricted = match rule.keep_one {
            KeepOne::Enabled => false,
            KeepOne::Restricted => true,
            _ => continue,
        };
        needs
            .entry(performance)
            .and_modify(|need| {
                // ENABLED on any ticket of the performance is the stronger rule (K4).
                if need.restricted && !restricted {
                    need.restricted = false;
                    need.rule = rule.id;
                }
            })
            .or_insert(Need {
                rule: rule.id,
                restricted,
                initial: false,
                kept: None,
            });
    }
    if needs.is_empty() {
        return Ok(Vec::new());
    }
    let mut sent_sorted = sent.to_vec();
    sent_sorted.sort_unstable();
    // The organizer of the command's tickets (the shell never mixes organizers).
    let organizer = tickets.first().map(|t| t.organizer).unwrap_or_default();
    for ticket in tickets.iter().chain(context.wallet) {
        let (Some(performance), Some(wallet)) = (ticket.performance, ticket.wallet.as_ref()) else {
            continue;
        };
        let Some(need) = needs.get_mut(&performance) else {
            continue;
        };
        if wallet.owners.current != *sender || ticket.organizer != organizer {
            continue;
        }
        if wallet.owners.initial == *sender {
            need.initial = true;
        }
        let kept = wallet.pending_group.is_none() && !wallet.is_deleted_or_pending_deletion();
        if kept && need.kept.is_none() && sent_sorted.binary_search(&ticket.id).is_err() {
            need.kept = Some(ticket.id);
        }
    }
    let mut witnesses = Vec::with_capacity(needs.len());
    for (performance, need) in needs {
        if !need.restricted || need.initial {
            match need.kept {
                Some(id) => witnesses.push(id),
                None => {
                    return Err(KeepOneBreach {
                        performance,
                        rule: need.rule,
                    });
                }
            }
        }
    }
    Ok(witnesses)
}
