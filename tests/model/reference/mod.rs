//! The reference model: a deliberately simple, independent reading of `SPEC.md`.
//!
//! Plain maps of tickets (owners, level, counters, flags, pending group, holder, resale, S360's
//! facet),
//! groups (sender, recipient, direction, status, back office), spectators' locks, rules and
//! settings, updated by straight-line code. The model never calls the crate's transitions: it
//! only uses the crate's data types (ids, emails, commands) and converts the real records into its
//! own shape to compare them ([`MTicket::of`], [`MGroup::of`], [`MSpectator::of`]).
//!
//! Where the SPEC fixes no order between two refusals, the model follows the order each command
//! documents under `# Errors` (the API contract), and the shell's order for records it cannot find
//! (settings, then point of sale, then ticket or group).
//!
//! - `shapes`: the model's own shapes (tickets, wallets, groups, rules, points of sale) and their
//!   conversions from the crate's records.
//! - `state`: the model's whole state, the prediction for a request, and one request (X3, then the
//!   command's rules, then the effect applied).
//! - `setup`: the fixed ids, the generated setup records, and the pools commands are drawn from.
//! - `wallet`: injection, download and flags (I1, W1-W4).
//! - `transfer`: initiation, return, acceptance, sign-in, decline, cancel, expiry and the sweep,
//!   edit (T, A, Q4, Q5), with Keep One (K) and the lock (L2) where they apply.
//! - `back_office`: back-office transfers by staff and their staff cancel (S).
//! - `spectator`: staff locking and unlocking a spectator (L1).
//! - `holder`: holder assignment and clearing by the current owner (H).
//! - `take_back`: take back, redistribution, deletion (B3-B10).
//! - `resale`: resale by the ticket's cultural contact and its settlement (R1-R3).
//! - `queries`: the read side as the model answers it: wallets, histories, tickets of a right or
//!   a point of sale (Q2, Q3, Q6).
//! - `feedback`: TIXnGO's feedback on S360's side (I3, I4).
//! - `state_machine`: the `ReferenceStateMachine` (initial state, transitions, apply).

mod back_office;
mod feedback;
mod holder;
mod queries;
mod resale;
mod setup;
mod shapes;
mod spectator;
mod state;
mod state_machine;
mod take_back;
mod transfer;
mod wallet;

pub(crate) use queries::{ModelWallet, WalletLine};
pub(crate) use setup::{ORGANIZER, OTHER_POS, SECOND_B2B_POS, UNKNOWN_ORGANIZER, UNKNOWN_POS};
pub(crate) use shapes::{MGroup, MSpectator, MTicket};
pub(crate) use state::{Model, Predicted, restamp};
pub(crate) use state_machine::{Reference, Step};
