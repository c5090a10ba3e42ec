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
//! hand-written heap with keys and events in separate arrays executed more instructions than one
//! array of entries).

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

/// A pending event and its key, side by side (32 bytes with this crate's events).
#[derive(Clone, Copy)]
struct Entry<E> {
    key: Key,
    event: E,
}

impl Key {
    /// The key as one number, in the same order: comparing two `u128` is two compares and no
    /// branch, where comparing (time, rest) field by field is a branch per field.
    #[inline(always)]
    fn wide(self) -> u128 {
        (u128::from(self.time) << 64) | u128::from(self.rest)
    }
}

/// Children per node: four halve the depth of a binary heap, and the four children of a node
/// share one or two cache lines.
const D: usize = 4;

/// A priority queue of events by key: a 4-ary min-heap in one vector.
///
/// Pop moves the hole at the root down along the smallest children to the bottom, then lifts the
/// last entry into it from there (Floyd's bottom-up variant: the last entry usually belongs near
/// the bottom, so this saves a comparison per level). Keys are unique (the sender and its
/// sequence number are part of the key), so the order of pops is the order of keys whatever the
/// layout of the heap.
///
/// The event a run handles is *taken* ([`EventQueue::take_before`]): it stays at the root until
/// its handler schedules the next event, which replaces it there and sinks only as far as it
/// belongs, usually a level or two, since what a handler schedules is soon (the next resident
/// of a wave, the end of a service) while most of the heap is later (the call-ups of later
/// waves, shift changes). A pop and a push cost the whole depth of the heap and back. A handler
/// that schedules nothing leaves the root to be removed before the next look at the queue.
pub struct EventQueue<E> {
    heap: Vec<Entry<E>>,
    /// The root is the event being handled, no longer pending.
    taken: bool,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: Vec::new(),
            taken: false,
        }
    }
}

impl<E: Copy> EventQueue<E> {
    /// Schedules `event` under `key`.
    #[inline]
    pub fn push(&mut self, key: Key, event: E) {
        let entry = Entry { key, event };
        if self.taken {
            self.taken = false;
            self.sink(entry);
            return;
        }
        let hole = self.heap.len();
        self.heap.push(entry);
        self.lift(hole, entry);
    }

    /// Puts `entry` at the root (the taken event's place) or below it: smaller children move up.
    #[inline]
    fn sink(&mut self, entry: Entry<E>) {
        let wide = entry.key.wide();
        let pos = descend(&mut self.heap, |child| child > wide);
        self.heap[pos] = entry;
    }

    /// Removes the taken event if its handler scheduled nothing in its place.
    #[inline]
    fn settle(&mut self) {
        if self.taken {
            self.taken = false;
            self.pop_first();
        }
    }

    /// Takes the earliest event if it is before `limit`, to handle it: it leaves the queue at
    /// the next push (which takes its place) or the next look at the queue.
    #[inline]
    pub fn take_before(&mut self, limit: SimTime) -> Option<(Key, E)> {
        self.settle();
        let first = self.heap.first()?;
        if first.key.time() >= limit {
            return None;
        }
        self.taken = true;
        Some((first.key, first.event))
    }

    /// Puts `entry` into the hole at `pos`, or above it: parents later than `entry` move down.
    #[inline]
    fn lift(&mut self, mut pos: usize, entry: Entry<E>) {
        let heap = &mut self.heap;
        let wide = entry.key.wide();
        while pos > 0 {
            let parent = (pos - 1) / D;
            if wide >= heap[parent].key.wide() {
                break;
            }
            heap[pos] = heap[parent];
            pos = parent;
        }
        heap[pos] = entry;
    }

    /// Removes and returns the earliest entry (the heap is not empty).
    #[inline]
    fn pop_first(&mut self) -> (Key, E) {
        let heap = &mut self.heap;
        let last = heap.pop().expect("a pending event");
        let Some(&first) = heap.first() else {
            return (last.key, last.event);
        };
        let pos = descend(heap, |_| false);
        self.lift(pos, last);
        (first.key, first.event)
    }

    /// Removes and returns the earliest event if it is before `limit`.
    pub fn pop_before(&mut self, limit: SimTime) -> Option<(Key, E)> {
        let first = self.take_before(limit)?;
        self.settle();
        Some(first)
    }

    /// Removes and returns the earliest event if it is at exactly `time` in `class`.
    #[inline]
    pub fn pop_if(&mut self, time: SimTime, class: u8) -> Option<(Key, E)> {
        self.settle();
        let first = self.heap.first()?;
        if first.key.time() != time || first.key.class() != class {
            return None;
        }
        Some(self.pop_first())
    }

    /// The time of the earliest pending event (between handlers: none is taken).
    pub fn next_time(&self) -> Option<SimTime> {
        debug_assert!(!self.taken, "looked at the queue while handling an event");
        self.heap.first().map(|e| e.key.time())
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() - usize::from(self.taken)
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Moves the hole at the root down along the earliest children, to the bottom or until `stop`
/// is true for the key of the child that would move up; returns where the hole is.
#[inline(always)]
fn descend<E: Copy>(heap: &mut [Entry<E>], stop: impl Fn(u128) -> bool) -> usize {
    let n = heap.len();
    let mut pos = 0;
    loop {
        let c = D * pos + 1;
        let best = if let Some(kids) = heap.get(c..c + D) {
            // Four children, as an array: the indices below need no bounds checks.
            let kids: &[Entry<E>; D] = kids.try_into().expect("D entries");
            let k = |i: usize| kids[i].key.wide();
            let a = usize::from(k(1) < k(0));
            let b = 2 + usize::from(k(3) < k(2));
            c + if k(b) < k(a) { b } else { a }
        } else if c < n {
            (c + 1..n).fold(c, |m, i| {
                if heap[i].key.wide() < heap[m].key.wide() {
                    i
                } else {
                    m
                }
            })
        } else {
            return pos;
        };
        if stop(heap[best].key.wide()) {
            return pos;
        }
        heap[pos] = heap[best];
        pos = best;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimDuration;
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

    /// Pops everything left: the same entries as the sorted set, in its order.
    fn drains_in_key_order(
        mut q: EventQueue<u32>,
        mut model: std::collections::BTreeMap<Key, u32>,
    ) -> Result<(), TestCaseError> {
        while let Some(expected) = model.pop_first() {
            prop_assert_eq!(q.pop_before(SimTime(u64::MAX)), Some(expected));
        }
        prop_assert!(q.is_empty());
        Ok(())
    }

    proptest! {
        /// Pushes and pops interleaved (as in a run, where handlers schedule while the queue
        /// drains) come out as from a sorted set of the same keys, across heaps of every depth.
        #[test]
        fn interleaved_pushes_and_pops_follow_the_keys(
            ops in prop::collection::vec((0u64..40, 0u8..2, 0u32..4, any::<bool>()), 0..600)
        ) {
            let mut q = EventQueue::default();
            let mut model = std::collections::BTreeMap::new();
            let mut seq = 0u32;
            for (dt, class, s, pop) in ops {
                if pop {
                    let expected = model.pop_first();
                    let got = q.pop_before(SimTime(u64::MAX));
                    prop_assert_eq!(got, expected);
                } else {
                    let now = model.first_key_value().map_or(0, |(k, _): (&Key, _)| k.time().0);
                    let k = Key::new(SimTime(now + dt), class, sender(Kind::Site, s), seq);
                    seq += 1;
                    q.push(k, seq);
                    model.insert(k, seq);
                }
                prop_assert_eq!(q.len(), model.len());
            }
            drains_in_key_order(q, model)?;
        }
    }

    proptest! {
        /// As in a run: events are scheduled at or after the one last taken, often before the
        /// earliest pending one, and the earliest is looked at without being taken (at the end
        /// of a window, or for the staff changes of an instant), after which earlier keys are
        /// scheduled. Every pop and look agrees with a sorted set (a queue that moves a base to
        /// the earliest key when looking, such as a radix heap, fails this unless it keeps the
        /// keys scheduled before that base apart).
        #[test]
        fn looks_and_pushes_before_the_earliest_follow_the_keys(
            ops in prop::collection::vec((0u64..1 << 20, 0u8..3, 0u32..4, 0u8..3), 0..800)
        ) {
            let mut q = EventQueue::default();
            let mut model = std::collections::BTreeMap::<Key, u32>::new();
            let (mut seq, mut now) = (0u32, 0u64);
            for (dt, class, s, op) in ops {
                match op {
                    0 => {
                        let expected = model.pop_first();
                        if let Some((k, _)) = expected {
                            now = k.time().0;
                        }
                        prop_assert_eq!(q.pop_before(SimTime(u64::MAX)), expected);
                    }
                    1 => {
                        let expected = model.first_key_value().map(|(k, _)| k.time());
                        prop_assert_eq!(q.next_time(), expected);
                    }
                    _ => {
                        // Spread over many bits of the time, or at the same instant.
                        let t = now + if dt % 3 == 0 { 0 } else { dt >> (dt % 17) };
                        let k = Key::new(SimTime(t), class, sender(Kind::Site, s), seq);
                        seq += 1;
                        q.push(k, seq);
                        model.insert(k, seq);
                    }
                }
                prop_assert_eq!(q.len(), model.len());
            }
            drains_in_key_order(q, model)?;
        }
    }

    proptest! {
        /// As a run drives the queue: take the earliest event, then schedule none, one or
        /// several (the first takes the taken event's place), sometimes after taking the staff
        /// changes of the same instant. Every take agrees with a sorted set of the same keys.
        #[test]
        fn taken_events_leave_as_their_handlers_schedule(
            ops in prop::collection::vec(
                (prop::collection::vec((0u64..1 << 16, 0u8..3, 0u32..4), 0..4), any::<bool>()),
                0..500,
            ),
            start in prop::collection::vec((0u64..1 << 16, 0u8..3), 1..40),
        ) {
            let mut q = EventQueue::default();
            let mut model = std::collections::BTreeMap::<Key, u32>::new();
            let mut seq = 0u32;
            for (t, class) in start {
                let k = Key::new(SimTime(t), class, sender(Kind::Run, 0), seq);
                seq += 1;
                q.push(k, seq);
                model.insert(k, seq);
            }
            for (pushes, staff) in ops {
                let expected = model.pop_first();
                let got = q.take_before(SimTime(u64::MAX));
                prop_assert_eq!(got, expected);
                let Some((now, _)) = got else { break };
                prop_assert_eq!(q.len(), model.len());
                if staff {
                    let first = model.first_key_value().map(|(k, _)| *k);
                    let expected = first
                        .filter(|k| k.time() == now.time() && k.class() == 0)
                        .and_then(|_| model.pop_first());
                    prop_assert_eq!(q.pop_if(now.time(), 0), expected);
                }
                for (dt, class, s) in pushes {
                    let k = Key::new(now.time().after(SimDuration(dt)), class, sender(Kind::Site, s), seq);
                    seq += 1;
                    q.push(k, seq);
                    model.insert(k, seq);
                    prop_assert_eq!(q.len(), model.len());
                }
            }
            prop_assert_eq!(q.take_before(SimTime(0)), None);
            drains_in_key_order(q, model)?;
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
