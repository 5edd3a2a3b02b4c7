//! The rules of secure mobile tickets, once, for both sides: S360 (which sells tickets and
//! distributes them through points of sale) and the TIXnGO wallet backend (which holds tickets on
//! spectators' phones and moves them between people).
//!
//! Every rule is a pure state-transition function: borrowed state and a command (with its actor, its
//! time and the ids of new records) in; a [`Decision`] (new states and past-tense [`Event`]s) or a
//! typed error out. No clock, no randomness, no I/O: the same inputs always give the same outcome,
//! and an error means nothing changed.
//!
//! # Quick example
//!
//! A ticket injected to Alice, sent to Bob, accepted: the seed's FORWARD example, level 0 → 1.
//!
//! ```
//! use secure_ticket::transfer::{self, AcceptTransfer, InitiateTransfer, NewGroupIds};
//! use secure_ticket::{injection, AcceptanceSettings, Distribution, Email, PointOfSaleId, RightId};
//! use secure_ticket::{ShipmentMode, ShipmentModeId, Ticket, TicketId, TransferGroupId, UsageRule, UsageRuleId};
//! use time::macros::datetime;
//!
//! let at = datetime!(2026-11-23 12:00 UTC); // the caller's clock, passed in
//! let (alice, bob) = (Email::parse("alice@example.com")?, Email::parse("bob@example.com")?);
//! let rule = UsageRule::new(secure_ticket::OrganizerId::from_u128(1), UsageRuleId::from_u128(1));
//! let ticket = Ticket::new(secure_ticket::OrganizerId::from_u128(1),
//!     TicketId::from_u128(1),
//!     RightId::from_u128(1),
//!     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))),
//! );
//!
//! let injected = injection::inject(&ticket, &injection::InjectTicket {
//!     ticket: ticket.id, to: alice.clone(), usage_rule: rule.id, at,
//! })?;
//! let sent = transfer::initiate(&injected.tickets, &transfer::Context::new(&[rule]).with_settings(AcceptanceSettings::explicit()), &InitiateTransfer {
//!     actor: alice, recipient: bob.clone(), tickets: vec![ticket.id],
//!     groups: NewGroupIds::single(TransferGroupId::from_u128(1)), at,
//! })?;
//! let accepted = transfer::accept(&sent.groups[0], &sent.tickets, &[rule], &AcceptTransfer {
//!     group: sent.groups[0].id, actor: bob.clone(), at,
//! })?;
//! let wallet = accepted.tickets[0].wallet.as_ref().expect("injected");
//! assert_eq!((wallet.level, &wallet.owners.current), (1, &bob));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Overview
//!
//! - [`Ticket`]: one record with two facets, [`Distribution`] (S360) and [`Wallet`] (TIXnGO, once
//!   injected: [`Owners`], transfer level, counters, flags; [`WalletStatus`] is derived).
//! - [`UsageRule`]: per-ticket transfer settings ([`TransferLimit`] 1-256, [`TransferBackward`]).
//! - [`TransferGroup`]: the record of one transfer initiation ([`Direction`], [`TransferStatus`]).
//! - [`AcceptanceSettings`]: the organizer's accept/reject and expiry settings.
//! - [`Email`]: a validated, normalised address; ids are newtypes over UUIDs ([`TicketId`], ...).
//! - [`PointOfSale`] (take-back settings, [`InternetTheme`]) and [`TixngoInterface`] (where
//!   replacements are injected): S360's configuration.
//! - [`Feedback`] and [`LifecycleStatus`]: what TIXnGO reports back to S360.
//! - Transitions, one module per area: [`injection`], [`wallet`], [`transfer`], [`take_back`]. Each
//!   command has its own error enum; [`RuleError`] gathers them, and [`ParseError`] gathers the
//!   errors of values read from text ([`EmailError`], [`UsageRuleError`], [`ThemeError`],
//!   [`InterfaceError`]). A missing record the command names is an [`InputError`], in every
//!   command's `Input` variant. Every error has a stable `code()` and a `kind()` ([`ErrorKind`],
//!   with the HTTP status to answer).
//!
//! # The pure core and your shell
//!
//! ```text
//!  your service                          secure_ticket
//!  ────────────                          ─────────────
//!  now = clock(); ids = new ids
//!  load the records the command names ─▶ transfer::initiate(&tickets, &context, &cmd)
//!  (and what they lead to: rules,         (context: rules, settings, performances,
//!  performances, the actor's record)       the actor's tickets and spectator record)
//!                                      ◀─ Ok(Decision { tickets, groups, events, .. }) | Err(..)
//!  write the new records (each with
//!  the version you loaded), publish
//!  the events
//! ```
//!
//! Or let the crate's shell do the loading and writing: [`service::Execution`] is that shell as
//! a state machine without I/O (it says what to read, then what to commit, and retries
//! conflicts), and two thin drivers carry its steps to your database: [`service::Service`] over
//! a [`store::Store`] and [`service::AsyncService`] over a [`store::AsyncStore`] (its futures are
//! `Send`; the crate depends on no runtime).
//!
//! ```text
//!  Execution::start(requests) ─▶ Step::Read { plan }   ─▶ store.read(&plan)   ─┐
//!                 ▲                Step::Commit { batch } ─▶ store.commit(batch) ─┤
//!                 └─────────── then.read(..) / then.committed(..) ◀──────────────┘
//!                                  Step::Done(results)
//! ```
//!
//! # Rules index
//!
//! Every rule has an id (`T8`, `B4`). The [`rules`] page states each one, with the
//! functions that keep it and the tests named after it.
//!
//! | rules | where |
//! | --- | --- |
//! | U1-U4 usage rule | [`UsageRule`], [`TransferLimit`] |
//! | W1-W4 wallet | [`Wallet`], [`wallet::download`], [`wallet::change_flag`] |
//! | I1 injection | [`injection::inject`] |
//! | T1-T7 initiation | [`transfer::initiate`], [`transfer::return_to_sender`] (T11) |
//! | T8-T9 completion | [`transfer::accept`], [`transfer::complete_on_sign_in`] |
//! | T10 decline, cancel | [`transfer::decline`], [`transfer::cancel`] |
//! | T12 edit recipient | [`transfer::edit_recipient`] |
//! | T13, A1-A4 | [`TransferGroup`], [`AcceptanceSettings`], [`transfer::expire`] |
//! | B1-B2 settings | [`PointOfSale`], [`InternetTheme`], [`take_back::check_configuration`] |
//! | B3-B9, B11 take back | [`take_back::take_back`] |
//! | B8 replacement target | [`TixngoInterface::injection_target`] |
//! | B10 push to the wallet | [`wallet::request_deletion`], [`wallet::complete_deletion`] |
//! | I2-I4 feedback | [`injection::feedback_for`], [`injection::record_feedback`] |
//! | X3-X4 idempotency, concurrency | [`service::Execution`], [`service::Service`], [`service::AsyncService`], [`store::Store`], [`store::AsyncStore`] |
//! | X5-X6 formats | [`store::Envelope`], [`store::Decoded`] |
//! | X1-X2 | every transition: pure, authorization checked on the command's actor |
//! | S1-S9 back office | [`transfer::back_office_transfer`], [`transfer::cancel_back_office`], [`staff`] |
//! | L1-L3 locked spectators | [`spectator::lock`], [`spectator::unlock`] |
//! | K1-K4 Keep One | [`KeepOne`], [`transfer::Context`] |
//! | H1-H5 holders | [`holder::assign`], [`holder::clear`], [`DataCollection`] |
//! | E1-E2 end of a performance | [`Performance`], [`TransferGroup::due_at`] |
//! | D1-D4 downloaded take back | [`DownloadedTakeBack`], [`ContactKind`], [`take_back::take_back`] |
//! | R1-R3 resale | [`resale::put_on_resale`], [`resale::settle_resale`] |
//!
//! # Crate features
//!
//! - `proptest`: proptest strategies ([`strategies`], documented when the feature is on) for your
//!   own property tests: emails, usage rules, points of sale, tickets in any reachable state, and
//!   commands generated from a current state.
//! - `testkit`: the store conformance suite ([`store::conformance`], documented when the feature is
//!   on) and `MemoryStore::plant_unreadable`, for testing your own [`store::Store`].
//!
//! # Storage contract
//!
//! [`service::Service`] runs commands against a [`store::Store`] (and [`service::AsyncService`]
//! against a [`store::AsyncStore`]) with optimistic concurrency and idempotent command ids (SPEC
//! X3-X5); see the [`store::Store`] docs for the contract an implementation must keep, and
//! [`store::ReadPlan`] for answering a command in one read.

#![forbid(unsafe_code)]

mod activation;
mod actor;
mod changes;
mod decision;
mod email;
mod error;
#[cfg(test)]
mod error_codes;
mod error_kind;
mod event;
mod feedback;
mod id;
mod id_hash;
mod input_error;
mod interface;
mod organizer;
mod performance;
mod point_of_sale;
mod record_key;
mod rfc3339;
mod serde_util;
mod ticket;
mod transfer_group;
mod usage_rule;

pub mod command;
pub mod digest;
pub mod feed;
pub mod holder;
pub mod index;
pub mod injection;
pub mod resale;
pub mod rules;
pub mod service;
pub mod spectator;
pub mod staff;
pub mod store;
#[cfg(feature = "proptest")]
pub mod strategies;
pub mod take_back;
pub mod text_limit;
pub mod time_range;
pub mod transfer;
pub mod wallet;

pub use activation::ActivationMethod;
pub use actor::Actor;
pub use changes::{Changes, Events, TicketIds};
pub use decision::Decision;
pub use digest::Digest;
pub use email::{Email, EmailError};
pub use error::{Error, ParseError, RuleError};
pub use error_kind::ErrorKind;
pub use event::Event;
pub use feedback::{
    DistributionEntry, DistributionHistory, EntryStatus, Feedback, LastFeedback, LifecycleStatus,
    TransferDetails,
};
pub use id::{
    CommandId, OrganizerId, PerformanceId, PointOfSaleId, RightId, ShipmentModeId, SpectatorId,
    StaffId, TicketId, TransferGroupId, UsageRuleId,
};
pub use input_error::InputError;
pub use interface::{InjectionTarget, InjectionTargetError, InterfaceError, TixngoInterface};
pub use organizer::{
    AcceptanceSettings, DataCollection, HolderField, OrganizerSettings, SettingsError,
    SettingsProblem, TakeBackPolicy, TransferExpiry,
};
pub use performance::{Performance, PerformanceError};
pub use point_of_sale::{ContactKind, DownloadedTakeBack, InternetTheme, PointOfSale, ThemeError};
pub use ticket::{
    Activation, Distribution, Invalidation, InvalidationReason, Owners, ShipmentKind, ShipmentMode,
    Ticket, TicketHolder, Wallet, WalletStatus,
};
pub use transfer_group::{Direction, TransferGroup, TransferStatus};
pub use usage_rule::{KeepOne, TransferBackward, TransferLimit, UsageRule, UsageRuleError};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
