//! The event queue: a 4-ary heap ordered by a key that every partitioning agrees on.
//!
//! A key is (time, class, sender, sequence) packed into two words: the simulated time in ms,
//! the event class (staff changes first at an instant, so that all changes of one instant can be
//! taken together), the entity that scheduled the event (its kind and global index), and that
//! entity's own count of events scheduled so far. Every entity lives in exactly one partition and
//! schedules its events in an order that does not depend on the partitioning (by induction over
//! the events it handles), so two runs of the same scenario and seed order every event the same
//! way whether the scenario runs as one partition or as many, on one thread or on many. Messages
//! between partitions carry their key.
//!
//! Four children per node halve the depth of a binary heap (measured in docs/performance.md; a
//! hand-written heap with keys and events in separate arrays executed more instructions).

use std::cmp::Ordering;

use dary_heap::QuaternaryHeap;

use crate::time::SimTime;

/// Bits of the key's second word below the class.
const CLASS_SHIFT: u32 = 60;
/// Bits of the key's second word below the sender's kind.
const KIND_SHIFT: u32 = 57;
/// Bits of the key's second word below the sender's index.
const INDEX_SHIFT: u32 = 32;

/// Kinds of entities that schedule events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Kind {
    /// Nothing in particular (the start of the run).
    Run = 0,
    /// An area.
    Area = 1,
    /// A site.
    Site = 2,
    /// A team.
    Team = 3,
    /// A courier route.
    Route = 4,
    /// A lab.
    Lab = 5,
}

/// An entity that schedules events: its kind and global index (below 2^25).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sender {
    /// Kind.
    pub kind: Kind,
    /// Global index in the model.
    pub index: u32,
}

/// The order of an event: (time, class, sender, the sender's sequence number), as the time and
/// one word for the rest (two `u64`, not a `u128`: 8-byte alignment keeps heap entries small).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    time: u64,
    rest: u64,
}

impl Key {
    /// The key of the `seq`-th event that `sender` scheduled, at `time` in `class` (0-15).
    #[inline]
    pub fn new(time: SimTime, class: u8, sender: Sender, seq: u32) -> Key {
        debug_assert!(class < 16 && sender.index < (1 << 25));
        Key {
            time: time.0,
            rest: (u64::from(class) << CLASS_SHIFT)
                | (u64::from(sender.kind as u8) << KIND_SHIFT)
                | (u64::from(sender.index) << INDEX_SHIFT)
                | u64::from(seq),
        }
    }

    /// The time.
    #[inline]
    pub fn time(self) -> SimTime {
        SimTime(self.time)
    }

    /// The class.
    #[inline]
    pub fn class(self) -> u8 {
        ((self.rest >> CLASS_SHIFT) & 0xf) as u8
    }
}

struct Entry<E> {
    key: Key,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so that the max-heap pops the earliest entry.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// A priority queue of events by key (a 4-ary heap).
pub struct EventQueue<E> {
    heap: QuaternaryHeap<Entry<E>>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: QuaternaryHeap::new(),
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` under `key`.
    #[inline]
    pub fn push(&mut self, key: Key, event: E) {
        self.heap.push(Entry { key, event });
    }

    /// Removes and returns the earliest event if it is before `limit`.
    #[inline]
    pub fn pop_before(&mut self, limit: SimTime) -> Option<(Key, E)> {
        let first = self.heap.peek()?;
        if first.key.time() >= limit {
            return None;
        }
        self.heap.pop().map(|e| (e.key, e.event))
    }

    /// Removes and returns the earliest event if it is at exactly `time` in `class`.
    #[inline]
    pub fn pop_if(&mut self, time: SimTime, class: u8) -> Option<(Key, E)> {
        let first = self.heap.peek()?;
        if first.key.time() != time || first.key.class() != class {
            return None;
        }
        self.heap.pop().map(|e| (e.key, e.event))
    }

    /// The time of the earliest pending event.
    pub fn next_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.key.time())
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sender(kind: Kind, index: u32) -> Sender {
        Sender { kind, index }
    }

    proptest! {
        /// Events come out in key order: time, class, sender, sequence.
        #[test]
        fn pops_in_key_order(items in prop::collection::vec((0u64..50, 0u8..3, 0u32..5, 0u32..1000), 0..200)) {
            let mut q = EventQueue::default();
            let mut keys = Vec::new();
            for (i, (t, c, s, n)) in items.iter().enumerate() {
                let k = Key::new(SimTime(*t), *c, sender(Kind::Site, *s), *n);
                q.push(k, i);
                keys.push(k);
            }
            let mut out = Vec::new();
            while let Some((k, _)) = q.pop_before(SimTime(u64::MAX)) {
                out.push(k);
            }
            keys.sort();
            prop_assert_eq!(out, keys);
        }
    }

    #[test]
    fn keys_order_by_time_class_sender_sequence() {
        let k = |t, c, kind, i, n| Key::new(SimTime(t), c, sender(kind, i), n);
        assert!(k(1, 9, Kind::Lab, 9, 9) < k(2, 0, Kind::Run, 0, 0));
        assert!(k(2, 0, Kind::Lab, 9, 9) < k(2, 1, Kind::Run, 0, 0));
        assert!(k(2, 1, Kind::Area, 9, 9) < k(2, 1, Kind::Site, 0, 0));
        assert!(k(2, 1, Kind::Site, 3, 9) < k(2, 1, Kind::Site, 4, 0));
        assert!(k(2, 1, Kind::Site, 3, 8) < k(2, 1, Kind::Site, 3, 9));
        assert_eq!(k(7, 3, Kind::Route, 5, 1).time(), SimTime(7));
        assert_eq!(k(7, 3, Kind::Route, 5, 1).class(), 3);
    }

    #[test]
    fn stops_at_limit_and_takes_a_class() {
        let mut q = EventQueue::default();
        let s = sender(Kind::Team, 0);
        q.push(Key::new(SimTime(5), 1, s, 0), 'a');
        q.push(Key::new(SimTime(5), 0, s, 1), 'b');
        q.push(Key::new(SimTime(10), 0, s, 2), 'c');
        assert_eq!(q.pop_if(SimTime(5), 1), None);
        assert_eq!(q.pop_if(SimTime(5), 0).map(|x| x.1), Some('b'));
        assert_eq!(q.pop_before(SimTime(10)).map(|x| x.1), Some('a'));
        assert_eq!(q.pop_before(SimTime(10)), None);
        assert_eq!(q.len(), 1);
    }
}
