//! The event queue: a 4-ary heap ordered by (time, insertion sequence).
//!
//! Four children per node halve the depth of a binary heap, which matters when millions of
//! call-ups are pending (city scale); measured in docs/performance.md.
//!
//! Equal times keep FIFO order through the sequence number, so a run is a pure function of
//! (scenario, seed), whatever the heap's internal layout.

use std::cmp::Ordering;

use dary_heap::QuaternaryHeap;

use crate::time::SimTime;

struct Entry<E> {
    /// `time << 64 | sequence`: one integer comparison orders by time, then by insertion.
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

/// A priority queue of events by (time, insertion order).
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
    /// Schedules `event` at `time`.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        let key = (u128::from(time.0) << 64) | u128::from(self.seq);
        self.seq += 1;
        self.heap.push(Entry { key, event });
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
    fn stops_at_limit() {
        let mut q = EventQueue::default();
        q.push(SimTime(5), 'a');
        q.push(SimTime(10), 'b');
        assert_eq!(q.pop_before(SimTime(10)), Some((SimTime(5), 'a')));
        assert_eq!(q.pop_before(SimTime(10)), None);
        assert_eq!(q.len(), 1);
    }
}
