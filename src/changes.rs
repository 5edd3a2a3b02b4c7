//! Short lists without heap allocations: what a transition returns and what a group holds.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::event::Event;
use crate::id::TicketId;

/// A list of the records or events a transition produced: up to two are stored inline, so most
/// transitions allocate nothing for their output (a `Vec` would allocate for each list of each
/// decision). It behaves as a slice (`Deref`, `AsRef`, `Borrow`: `decision.tickets[0]`,
/// `.iter()`, `.len()`, `for t in &decision.tickets`), compares and hashes by contents (also
/// with a `Vec`, an array or a slice), and converts from and into a `Vec`.
///
/// # Examples
///
/// ```
/// use secure_ticket::Changes;
///
/// let mut list = Changes::new();
/// list.push(1);
/// list.push(2);
/// assert_eq!(list, vec![1, 2]);
/// assert_eq!(list[1], 2);
/// list.push(3); // now on the heap
/// assert_eq!(list.into_iter().sum::<i32>(), 6);
/// ```
#[derive(Clone)]
pub struct Changes<T>(Repr<T>);

#[derive(Clone)]
enum Repr<T> {
    Zero,
    One([T; 1]),
    Two([T; 2]),
    Many(Vec<T>),
}

impl<T> Changes<T> {
    /// An empty list.
    #[must_use]
    pub const fn new() -> Self {
        Self(Repr::Zero)
    }

    /// A list of one.
    #[must_use]
    pub const fn one(item: T) -> Self {
        Self(Repr::One([item]))
    }

    /// A list of two.
    #[must_use]
    pub const fn two(first: T, second: T) -> Self {
        Self(Repr::Two([first, second]))
    }

    /// Appends an item (the third one moves the list to the heap).
    ///
    /// Works in place: only the items themselves move, never the whole inline buffer (a ticket is
    /// a few hundred bytes, so whole-buffer moves were most of a transition's cost).
    #[inline]
    pub fn push(&mut self, item: T) {
        match &mut self.0 {
            Repr::Many(items) => items.push(item),
            Repr::Zero => self.0 = Repr::One([item]),
            Repr::One(_) | Repr::Two(_) => self.push_slow(item),
        }
    }

    /// `push` from one or two inline items: the existing items move once.
    fn push_slow(&mut self, item: T) {
        self.0 = match std::mem::replace(&mut self.0, Repr::Zero) {
            Repr::One([a]) => Repr::Two([a, item]),
            Repr::Two([a, b]) => Repr::Many(vec![a, b, item]),
            Repr::Zero => Repr::One([item]),
            Repr::Many(mut items) => {
                items.push(item);
                Repr::Many(items)
            }
        };
    }

    /// The items as a slice.
    #[must_use]
    pub fn as_slice(&self) -> &[T] {
        match &self.0 {
            Repr::Zero => &[],
            Repr::One(items) => items,
            Repr::Two(items) => items,
            Repr::Many(items) => items,
        }
    }

    /// The items as a mutable slice (also reached through `DerefMut`: `list[0] = x`).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::Changes;
    ///
    /// let mut list = Changes::two(1, 2);
    /// list.as_mut_slice()[0] = 10;
    /// list[1] += 1;
    /// assert_eq!(list, [10, 3]);
    /// ```
    #[must_use]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        match &mut self.0 {
            Repr::Zero => &mut [],
            Repr::One(items) => items,
            Repr::Two(items) => items,
            Repr::Many(items) => items,
        }
    }

    /// The items as a `Vec`.
    #[must_use]
    pub fn into_vec(self) -> Vec<T> {
        self.into_iter().collect()
    }

    /// Removes and returns the last item, if there is one.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::Changes;
    ///
    /// let mut list: Changes<i32> = vec![1, 2, 3].into();
    /// assert_eq!(list.pop(), Some(3));
    /// assert_eq!(list, [1, 2]);
    /// ```
    pub fn pop(&mut self) -> Option<T> {
        if let Repr::Many(items) = &mut self.0 {
            return items.pop();
        }
        match std::mem::replace(&mut self.0, Repr::Zero) {
            Repr::One([a]) => Some(a),
            Repr::Two([a, b]) => {
                self.0 = Repr::One([a]);
                Some(b)
            }
            Repr::Zero => None,
            Repr::Many(mut items) => {
                let last = items.pop();
                self.0 = Repr::Many(items);
                last
            }
        }
    }

    /// Removes and returns the item at `index`, if there is one (unlike `Vec::remove`, an index
    /// past the end is `None`, not a panic).
    pub fn remove(&mut self, index: usize) -> Option<T> {
        if index >= self.len() {
            return None;
        }
        let mut items = std::mem::take(self).into_vec();
        let removed = items.remove(index);
        *self = items.into();
        Some(removed)
    }
}

impl<T> Default for Changes<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Deref for Changes<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> DerefMut for Changes<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<T: fmt::Debug> fmt::Debug for Changes<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl<T: PartialEq> PartialEq for Changes<T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Eq> Eq for Changes<T> {}

impl<T: PartialEq> PartialEq<[T]> for Changes<T> {
    fn eq(&self, other: &[T]) -> bool {
        self.as_slice() == other
    }
}

impl<T: PartialEq> PartialEq<&[T]> for Changes<T> {
    fn eq(&self, other: &&[T]) -> bool {
        self.as_slice() == *other
    }
}

impl<T: std::hash::Hash> std::hash::Hash for Changes<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl<T> AsRef<[T]> for Changes<T> {
    fn as_ref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> AsMut<[T]> for Changes<T> {
    fn as_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<T> std::borrow::Borrow<[T]> for Changes<T> {
    fn borrow(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> From<Changes<T>> for Vec<T> {
    fn from(changes: Changes<T>) -> Self {
        changes.into_vec()
    }
}

impl<T: PartialEq> PartialEq<Vec<T>> for Changes<T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: PartialEq, const N: usize> PartialEq<[T; N]> for Changes<T> {
    fn eq(&self, other: &[T; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T> From<Vec<T>> for Changes<T> {
    fn from(items: Vec<T>) -> Self {
        let mut list = Self::new();
        if items.len() > 2 {
            return Self(Repr::Many(items));
        }
        for item in items {
            list.push(item);
        }
        list
    }
}

impl<T> FromIterator<T> for Changes<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut list = Self::new();
        list.extend(iter);
        list
    }
}

impl<T> Extend<T> for Changes<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for item in iter {
            self.push(item);
        }
    }
}

/// The owning iterator of [`Changes`].
#[derive(Debug)]
pub struct IntoIter<T>(IterRepr<T>);

#[derive(Debug)]
enum IterRepr<T> {
    One(std::array::IntoIter<T, 1>),
    Two(std::array::IntoIter<T, 2>),
    Many(std::vec::IntoIter<T>),
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match &mut self.0 {
            IterRepr::One(items) => items.next(),
            IterRepr::Two(items) => items.next(),
            IterRepr::Many(items) => items.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            IterRepr::One(items) => items.size_hint(),
            IterRepr::Two(items) => items.size_hint(),
            IterRepr::Many(items) => items.size_hint(),
        }
    }
}

impl<T> DoubleEndedIterator for IntoIter<T> {
    fn next_back(&mut self) -> Option<T> {
        match &mut self.0 {
            IterRepr::One(items) => items.next_back(),
            IterRepr::Two(items) => items.next_back(),
            IterRepr::Many(items) => items.next_back(),
        }
    }
}

impl<T> ExactSizeIterator for IntoIter<T> {}

impl<T> std::iter::FusedIterator for IntoIter<T> {}

impl<T> IntoIterator for Changes<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    fn into_iter(self) -> IntoIter<T> {
        IntoIter(match self.0 {
            Repr::Zero => IterRepr::Many(Vec::new().into_iter()),
            Repr::One(items) => IterRepr::One(items.into_iter()),
            Repr::Two(items) => IterRepr::Two(items.into_iter()),
            Repr::Many(items) => IterRepr::Many(items.into_iter()),
        })
    }
}

impl<'a, T> IntoIterator for &'a Changes<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<'a, T> IntoIterator for &'a mut Changes<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_mut_slice().iter_mut()
    }
}

/// The tickets of a transfer group or event: one id is stored inline; several share one
/// allocation, so cloning never allocates. Serialised as a plain list of ids.
///
/// # Examples
///
/// ```
/// use secure_ticket::{TicketId, TicketIds};
///
/// let one = TicketIds::from(vec![TicketId::from_u128(1)]);
/// let copy = one.clone(); // no allocation
/// assert_eq!(copy, vec![TicketId::from_u128(1)]);
/// assert_eq!(copy.len(), 1);
/// ```
#[derive(Clone)]
pub struct TicketIds(Ids);

#[derive(Clone)]
enum Ids {
    One([TicketId; 1]),
    Many(Arc<[TicketId]>),
}

impl TicketIds {
    /// The ids as a slice.
    #[must_use]
    pub fn as_slice(&self) -> &[TicketId] {
        match &self.0 {
            Ids::One(id) => id,
            Ids::Many(ids) => ids,
        }
    }
}

impl From<&[TicketId]> for TicketIds {
    fn from(ids: &[TicketId]) -> Self {
        match ids {
            [one] => Self(Ids::One([*one])),
            many => Self(Ids::Many(Arc::from(many))),
        }
    }
}

impl From<Vec<TicketId>> for TicketIds {
    fn from(ids: Vec<TicketId>) -> Self {
        match ids.as_slice() {
            [one] => Self(Ids::One([*one])),
            _ => Self(Ids::Many(Arc::from(ids))),
        }
    }
}

impl From<TicketId> for TicketIds {
    fn from(id: TicketId) -> Self {
        Self(Ids::One([id]))
    }
}

impl FromIterator<TicketId> for TicketIds {
    fn from_iter<I: IntoIterator<Item = TicketId>>(iter: I) -> Self {
        iter.into_iter().collect::<Vec<_>>().into()
    }
}

shared_list_impls!(TicketIds, TicketId);

/// The events of one command, shared: the [`Outcome`](crate::service::Outcome) a caller gets
/// and the feed entry the store keeps hold the same list, so a command's events are allocated
/// once (not at all for a command without events) and cloning the list never allocates. It
/// behaves as a slice (`Deref`: `outcome.events[0]`, `.iter()`, `.len()`,
/// `for event in &outcome.events`), compares by contents (also with a `Vec`, an array or a slice,
/// either way round), and is serialised as a plain list of events.
///
/// # Examples
///
/// ```
/// use secure_ticket::{Event, Events, TicketId};
/// use time::macros::datetime;
///
/// let deleted = Event::TicketDeleted {
///     ticket: TicketId::from_u128(1),
///     at: datetime!(2026-06-01 12:00 UTC),
/// };
/// let events = Events::from(vec![deleted.clone()]);
/// let shared = events.clone(); // no allocation
/// assert_eq!(shared, [deleted.clone()]);
/// assert_eq!(shared.len(), 1);
/// assert!(matches!(shared[0], Event::TicketDeleted { .. }));
/// assert!(Events::new().is_empty());
/// assert_eq!(events.into_vec(), vec![deleted]);
/// ```
#[derive(Clone, Default)]
pub struct Events(Option<Arc<[Event]>>);

impl Events {
    /// An empty list (no allocation).
    #[must_use]
    pub const fn new() -> Self {
        Self(None)
    }

    /// The events as a slice.
    #[must_use]
    pub fn as_slice(&self) -> &[Event] {
        self.0.as_deref().unwrap_or_default()
    }

    /// The events as a `Vec` of their own (each event is cloned: the list may be shared).
    #[must_use]
    pub fn into_vec(self) -> Vec<Event> {
        self.as_slice().to_vec()
    }
}

impl From<Vec<Event>> for Events {
    fn from(events: Vec<Event>) -> Self {
        Self((!events.is_empty()).then(|| Arc::from(events)))
    }
}

impl From<&[Event]> for Events {
    fn from(events: &[Event]) -> Self {
        Self((!events.is_empty()).then(|| Arc::from(events)))
    }
}

/// One allocation for up to two events (moved in place), none for none.
impl From<Changes<Event>> for Events {
    fn from(events: Changes<Event>) -> Self {
        Self(match events.0 {
            Repr::Zero => None,
            Repr::One(events) => Some(Arc::from(events)),
            Repr::Two(events) => Some(Arc::from(events)),
            Repr::Many(events) if events.is_empty() => None,
            Repr::Many(events) => Some(Arc::from(events)),
        })
    }
}

impl FromIterator<Event> for Events {
    fn from_iter<I: IntoIterator<Item = Event>>(iter: I) -> Self {
        iter.into_iter().collect::<Vec<_>>().into()
    }
}

/// Iterates over clones of the events (the list may be shared with the feed); iterate over
/// `&events` to borrow them instead.
impl IntoIterator for Events {
    type Item = Event;
    type IntoIter = std::vec::IntoIter<Event>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

shared_list_impls!(Events, Event);

/// The impls a list type with `as_slice` and `From<Vec<Item>>` shares with the others: `Deref` to
/// a slice, iteration by reference, `Debug`, equality (also with `Vec`s, arrays and slices, either
/// way round), `Hash`, and serde as a plain list.
macro_rules! shared_list_impls {
    ($list:ty, $item:ty) => {
        impl ::std::ops::Deref for $list {
            type Target = [$item];

            fn deref(&self) -> &[$item] {
                self.as_slice()
            }
        }

        impl<'a> IntoIterator for &'a $list {
            type Item = &'a $item;
            type IntoIter = ::std::slice::Iter<'a, $item>;

            fn into_iter(self) -> Self::IntoIter {
                self.as_slice().iter()
            }
        }

        impl ::std::fmt::Debug for $list {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_list().entries(self.as_slice()).finish()
            }
        }

        impl PartialEq for $list {
            fn eq(&self, other: &Self) -> bool {
                self.as_slice() == other.as_slice()
            }
        }

        impl Eq for $list {}

        impl ::std::hash::Hash for $list {
            fn hash<H: ::std::hash::Hasher>(&self, state: &mut H) {
                ::std::hash::Hash::hash(self.as_slice(), state);
            }
        }

        impl PartialEq<Vec<$item>> for $list {
            fn eq(&self, other: &Vec<$item>) -> bool {
                self.as_slice() == other.as_slice()
            }
        }

        impl<const N: usize> PartialEq<[$item; N]> for $list {
            fn eq(&self, other: &[$item; N]) -> bool {
                self.as_slice() == other.as_slice()
            }
        }

        impl PartialEq<[$item]> for $list {
            fn eq(&self, other: &[$item]) -> bool {
                self.as_slice() == other
            }
        }

        impl PartialEq<&[$item]> for $list {
            fn eq(&self, other: &&[$item]) -> bool {
                self.as_slice() == *other
            }
        }

        /// `vec == list`, as `list == vec`.
        impl PartialEq<$list> for Vec<$item> {
            fn eq(&self, other: &$list) -> bool {
                self.as_slice() == other.as_slice()
            }
        }

        /// `[a, b] == list`, as `list == [a, b]`.
        impl<const N: usize> PartialEq<$list> for [$item; N] {
            fn eq(&self, other: &$list) -> bool {
                self.as_slice() == other.as_slice()
            }
        }

        /// `slice == list`, as `list == slice`.
        impl PartialEq<$list> for [$item] {
            fn eq(&self, other: &$list) -> bool {
                self == other.as_slice()
            }
        }

        impl ::serde::Serialize for $list {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                ::serde::Serialize::serialize(self.as_slice(), serializer)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $list {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                Ok(<Vec<$item> as ::serde::Deserialize>::deserialize(deserializer)?.into())
            }
        }
    };
}
pub(crate) use shared_list_impls;

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn deleted(n: u128) -> Event {
        Event::TicketDeleted {
            ticket: TicketId::from_u128(n),
            at: datetime!(2026-06-01 12:00 UTC),
        }
    }

    #[test]
    fn events_from_changes_keep_every_event_in_order_and_share_on_clone() {
        for n in 0..5u128 {
            let mut changes = Changes::new();
            for k in 0..n {
                changes.push(deleted(k));
            }
            let expected: Vec<Event> = (0..n).map(deleted).collect();
            let events = Events::from(changes);
            assert_eq!(events, expected);
            assert_eq!(expected, events);
            assert_eq!(expected.as_slice(), &events);
            assert_eq!(events.0.is_none(), n == 0, "no allocation for no event");
            let copy = events.clone();
            assert!(std::ptr::eq(copy.as_slice(), events.as_slice()));
            assert_eq!(copy.into_iter().collect::<Vec<_>>(), expected);
        }
        // A list emptied by `pop` is the empty list too.
        let mut changes = Changes::one(deleted(1));
        changes.pop();
        assert_eq!(Events::from(changes), Events::new());
    }
}
