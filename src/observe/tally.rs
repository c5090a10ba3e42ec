//! Counts of values in HdrHistogram's buckets, kept cheaply on the hot path.
//!
//! A run records five values per tested resident into histograms (two waits, two times in the
//! system, a swab-to-result time). [`hdrhistogram::Histogram::record`] checks the range, resizes,
//! and keeps the minimum, maximum and total at every call, out of line: about 70 instructions a
//! value, 8% of a city round. A [`Tally`] computes the same bucket index inline and only adds one
//! to that bucket; its [`Tally::hdr`] hands the counts to an HdrHistogram of the same precision
//! when the figures are written, so that every quantile and bin is HdrHistogram's own and the
//! same, byte for byte, as recording each value there. Its own [`Tally::value_at_quantile`]
//! follows the crate's, for the per-site figures, where handing over each site's counts would
//! cost more than the scan. The tests below check both against the crate for random values.
//!
//! It owns nothing but the counts: no quantiles or iteration are written here.

use hdrhistogram::{Counter, Histogram};

/// Bucket counts of values at HdrHistogram's precision (`digits` significant digits, values
/// below `low` not told apart).
#[derive(Debug, Clone)]
pub struct Tally<T: Counter> {
    low: u64,
    digits: u8,
    /// log2 of the width of the first bucket's sub-buckets (HdrHistogram's unit magnitude).
    unit: u32,
    /// Leading zeros of the largest value of the first bucket, plus one.
    zeros_base: u32,
    /// The bits of the first bucket's values: or-ed in, they keep small values in bucket 0.
    mask: u64,
    /// log2 of half the sub-buckets of a bucket.
    half_magnitude: u32,
    /// Counts by HdrHistogram's index; grown a whole bucket at a time when a value lands past
    /// the end (empty until the first value, so that a site that tests no one holds nothing).
    counts: Vec<T>,
}

impl<T: Counter> Tally<T> {
    /// An empty tally at `digits` significant digits (0 to 5) above `low` (at least 1), the
    /// precision of `Histogram::new_with_bounds(low, 2 * low, digits)`.
    pub fn new(low: u64, digits: u8) -> Tally<T> {
        assert!(low >= 1 && digits <= 5, "HdrHistogram's own bounds");
        // The same layout as `Histogram::new_with_bounds`, in integers: the unit is the power of
        // two at or below `low`; a bucket has the power of two at or above 2 × 10^digits
        // sub-buckets, so that values up to there are told apart to one unit.
        let unit = 63 - low.leading_zeros();
        let count_magnitude = (2 * 10u32.pow(u32::from(digits)))
            .next_power_of_two()
            .trailing_zeros();
        Tally {
            low,
            digits,
            unit,
            zeros_base: 64 - unit - count_magnitude,
            mask: ((1u64 << count_magnitude) - 1) << unit,
            half_magnitude: count_magnitude - 1,
            counts: Vec::new(),
        }
    }

    /// HdrHistogram's index of `value`'s bucket.
    #[inline(always)]
    fn index(&self, value: u64) -> usize {
        let bucket = self.zeros_base - (value | self.mask).leading_zeros();
        let sub = (value >> (bucket + self.unit)) as usize;
        // The top half of the sub-buckets of bucket `bucket` (all of bucket 0).
        ((bucket as usize + 1) << self.half_magnitude) + sub - (1 << self.half_magnitude)
    }

    /// The lowest value in the bucket at `index` (HdrHistogram's `value_for`).
    fn value_at(&self, index: usize) -> u64 {
        let half = 1usize << self.half_magnitude;
        let bucket = index >> self.half_magnitude;
        let (bucket, sub) = if bucket == 0 {
            (0, index)
        } else {
            (bucket - 1, (index & (half - 1)) + half)
        };
        (sub as u64) << (bucket as u32 + self.unit)
    }

    /// Counts `value` once. A bucket's count stops at `T`'s largest value, as HdrHistogram's
    /// does (four billion equal values in a 32-bit count).
    #[inline]
    pub fn record(&mut self, value: u64) {
        let i = self.index(value);
        match self.counts.get_mut(i) {
            Some(c) => *c = c.saturating_add(T::one()),
            None => self.grow_and_record(i),
        }
    }

    #[cold]
    #[inline(never)]
    fn grow_and_record(&mut self, i: usize) {
        let bucket_end = ((i >> self.half_magnitude) + 1) << self.half_magnitude;
        self.counts.resize(bucket_end, T::zero());
        self.counts[i] = T::one();
    }

    /// Adds the counts of `other`, a tally of the same precision.
    pub fn add(&mut self, other: &Tally<T>) {
        debug_assert!(self.low == other.low && self.digits == other.digits);
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), T::zero());
        }
        for (c, &o) in self.counts.iter_mut().zip(&other.counts) {
            *c = c.saturating_add(o);
        }
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.counts.iter().all(|c| *c == T::zero())
    }

    /// Values counted.
    pub fn len(&self) -> u64 {
        self.counts.iter().map(|c| c.as_u64()).sum()
    }

    /// The value at quantile `q` (0 to 1) as `Histogram::value_at_quantile` gives it: the
    /// highest value of the bucket where the count reaches `q` of the values (the lowest at 0),
    /// and 0 when nothing was counted.
    pub fn value_at_quantile(&self, q: f64) -> u64 {
        let q = if q > 1.0 { 1.0 } else { q };
        let target = ((q * self.len() as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c.as_u64();
            if seen >= target {
                let lowest = self.value_at(i);
                if q == 0.0 {
                    return lowest;
                }
                let bucket = (i >> self.half_magnitude).saturating_sub(1) as u32;
                return lowest + (1u64 << (bucket + self.unit)) - 1;
            }
        }
        0
    }

    /// An auto-resizing HdrHistogram holding these counts: each bucket's count recorded at the
    /// bucket's lowest value, which HdrHistogram puts in the same bucket.
    pub fn hdr(&self) -> Histogram<T> {
        let mut h = Histogram::new_with_bounds(self.low, 2 * self.low, self.digits)
            .expect("bounds checked in Tally::new");
        h.auto(true);
        for (i, &c) in self.counts.iter().enumerate() {
            if c != T::zero() {
                // Auto-resizing: every value is in range.
                let _ = h.record_n(self.value_at(i), c);
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The precisions the observers use: sites, the run, the turnaround (`Histogram::new(3)`).
    const PRECISIONS: [(u64, u8); 3] = [(1000, 2), (100, 3), (1, 3)];

    fn direct(low: u64, digits: u8, values: &[u64]) -> Histogram<u32> {
        let mut h = Histogram::new_with_bounds(low, 2 * low, digits).unwrap();
        h.auto(true);
        for &v in values {
            h.record(v).unwrap();
        }
        h
    }

    fn tallied(low: u64, digits: u8, values: &[u64]) -> Tally<u32> {
        let mut t = Tally::new(low, digits);
        for &v in values {
            t.record(v);
        }
        t
    }

    /// Values as waits come: many small, some up to the longest horizon (2^35 ms).
    fn values() -> impl Strategy<Value = Vec<u64>> {
        prop::collection::vec(
            prop_oneof![
                0u64..2_000,
                0u64..200_000,
                0u64..100_000_000,
                0u64..(1 << 35),
            ],
            0..300,
        )
    }

    proptest! {
        /// Counted in a tally and handed over, the values make the histogram that recording
        /// them one by one makes (HdrHistogram's equality: counts, total, min and max buckets).
        #[test]
        fn a_tally_hands_over_the_histogram_of_its_values(values in values()) {
            for (low, digits) in PRECISIONS {
                let h = tallied(low, digits, &values).hdr();
                let d = direct(low, digits, &values);
                prop_assert!(h == d, "low {low}, digits {digits}");
                prop_assert_eq!(h.len(), values.len() as u64);
                let t = tallied(low, digits, &values);
                prop_assert_eq!(t.len(), d.len());
                for q in [0.0, 1e-9, 0.5, 0.95, 0.999, 1.0, 1.5] {
                    prop_assert_eq!(h.value_at_quantile(q), d.value_at_quantile(q));
                    prop_assert_eq!(t.value_at_quantile(q), d.value_at_quantile(q), "q {}", q);
                }
            }
        }

        /// Adding tallies is adding the histograms.
        #[test]
        fn added_tallies_are_added_histograms(a in values(), b in values(), q in 0.0..=1.0f64) {
            for (low, digits) in PRECISIONS {
                let mut t = tallied(low, digits, &a);
                t.add(&tallied(low, digits, &b));
                let mut d = direct(low, digits, &a);
                d.add(direct(low, digits, &b)).unwrap();
                prop_assert!(t.hdr() == d, "low {low}, digits {digits}");
                prop_assert_eq!(t.value_at_quantile(q), d.value_at_quantile(q));
                prop_assert_eq!(t.is_empty(), a.is_empty() && b.is_empty());
            }
        }
    }

    #[test]
    fn the_edges_of_buckets_land_where_hdrhistogram_puts_them() {
        for (low, digits) in PRECISIONS {
            let t = Tally::<u32>::new(low, digits);
            let h = direct(low, digits, &[1 << 35]);
            for shift in 0..36 {
                for v in [(1u64 << shift) - 1, 1 << shift, (1 << shift) + 1] {
                    // The lowest value of the tally's bucket is HdrHistogram's lowest
                    // equivalent of the value: the same bucket.
                    assert_eq!(t.value_at(t.index(v)), h.lowest_equivalent(v), "{v}");
                }
            }
        }
    }
}
