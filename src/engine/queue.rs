//! The event queue: a 4-ary heap ordered by (time, event class, insertion sequence).
//!
//! Four children per node halve the depth of a binary heap, which matters when millions of
//! call-ups are pending (city scale); measured in docs/performance.md.
//!
//! At equal times a lower class comes first (staff changes before everything else, so that all
//! the changes of one instant can be taken together), then FIFO order through the sequence
//! number, so a run is a pure function of (scenario, seed), whatever the heap's layout.

use std::cmp::Ordering;

use dary_heap::QuaternaryHeap;

use crate::time::SimTime;

struct Entry<E> {
    /// `time << 64 | class << 56 | sequence`: one integer comparison orders by time, class,
    /// then insertion.
    key: u128,
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

/// Bits of the key below the class: 2^56 insertions (7 × 10^16) before the sequence wraps.
const SEQ_BITS: u32 = 56;

/// A priority queue of events by (time, class, insertion order).
pub struct EventQueue<E> {
    heap: QuaternaryHeap<Entry<E>>,
    seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: QuaternaryHeap::new(),
            seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `time` in class 1 (after class 0 at the same time).
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        self.push_class(time, 1, event);
    }

    /// Schedules `event` at `time` in `class` (lower classes first at equal times).
    #[inline]
    pub fn push_class(&mut self, time: SimTime, class: u8, event: E) {
        let key = (u128::from(time.0) << 64)
            | (u128::from(class) << SEQ_BITS)
            | u128::from(self.seq & ((1 << SEQ_BITS) - 1));
        self.seq += 1;
        self.heap.push(Entry { key, event });
    }

    /// Removes and returns the earliest event if it is at exactly `time` in `class`.
    #[inline]
    pub fn pop_if(&mut self, time: SimTime, class: u8) -> Option<E> {
        let first = self.heap.peek()?;
        let (t, c) = ((first.key >> 64) as u64, (first.key >> SEQ_BITS) as u8);
        if t != time.0 || c != class {
            return None;
        }
        self.heap.pop().map(|e| e.event)
    }

    /// Removes and returns the earliest event if it is before `limit`.
    #[inline]
    pub fn pop_before(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        let first = self.heap.peek()?;
        let time = SimTime((first.key >> 64) as u64);
        if time >= limit {
            return None;
        }
        self.heap.pop().map(|e| (time, e.event))
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

    proptest! {
        /// Events come out sorted by time, and in insertion order among equal times.
        #[test]
        fn pops_in_time_then_fifo_order(times in prop::collection::vec(0u64..50, 0..200)) {
            let mut q = EventQueue::default();
            for (i, t) in times.iter().enumerate() {
                q.push(SimTime(*t), i);
            }
            let mut out = Vec::new();
            while let Some((t, i)) = q.pop_before(SimTime(u64::MAX)) {
                out.push((t.0, i));
            }
            let mut expected: Vec<(u64, usize)> = times.iter().copied().zip(0..).collect();
            expected.sort();
            prop_assert_eq!(out, expected);
        }
    }

    #[test]
    fn lower_class_first_at_equal_times() {
        let mut q = EventQueue::default();
        q.push(SimTime(5), 'a');
        q.push_class(SimTime(5), 0, 'b');
        q.push_class(SimTime(4), 1, 'c');
        assert_eq!(q.pop_before(SimTime(10)), Some((SimTime(4), 'c')));
        assert_eq!(q.pop_if(SimTime(5), 1), None);
        assert_eq!(q.pop_if(SimTime(5), 0), Some('b'));
        assert_eq!(q.pop_if(SimTime(5), 0), None);
        assert_eq!(q.pop_before(SimTime(10)), Some((SimTime(5), 'a')));
    }

    #[test]
    fn stops_at_limit() {
        let mut q = EventQueue::default();
        q.push(SimTime(5), 'a');
        q.push(SimTime(10), 'b');
        assert_eq!(q.pop_before(SimTime(10)), Some((SimTime(5), 'a')));
        assert_eq!(q.pop_before(SimTime(10)), None);
        assert_eq!(q.len(), 1);
    }
}
