//! Counts of values in HdrHistogram's buckets, kept cheaply on the hot path.
//!
//! A run records five values per tested resident into histograms (two waits, two times in the
//! system, a swab-to-result time). [`hdrhistogram::Histogram::record`] checks the range, resizes,
//! and keeps the minimum, maximum and total at every call, out of line: about 70 instructions a
//! value, 8% of a city round. A [`Tally`] computes the same bucket index inline and only adds one
//! to that bucket; its [`Tally::hdr`] hands the counts to an HdrHistogram of the same precision
//! when the figures are written, so that every quantile and bin is HdrHistogram's own and the
//! same, byte for byte, as recording each value there (the tests below check this against the
//! crate for random values). The quantiles of a site's row are read from the counts with the
//! crate's own steps ([`Tally::value_at_quantile`], tested against the crate the same way):
//! handing the 41,000 tallies of a 20,560-site city over took about 0.1 s at its end.
//!
//! It owns nothing but the counts: bins are the crate's, and quantiles take the crate's steps.

use hdrhistogram::Histogram;

/// Bucket counts of values at HdrHistogram's precision: `DIGITS` significant digits (0 to 5),
/// values below `LOW` (at least 1) not told apart. The layout follows from the two constants
/// at compile time, so a tally holds only its counts. A bucket's count is 32 bits: it stops
/// at four billion equal values, as HdrHistogram's `u32` counts do.
#[derive(Debug, Clone)]
pub struct Tally<const LOW: u64, const DIGITS: u8> {
    /// Counts by HdrHistogram's index; grown a whole bucket at a time when a value lands past
    /// the end (empty until the first value, so that a site that tests no one holds nothing).
    counts: Vec<u32>,
    /// The largest value counted: the bucket keeps no more, and HdrHistogram's maximum of
    /// values below its unit (a wait of 300 ms at a site, where the unit is 512 ms) is not 0
    /// only if one of them was.
    max: u64,
}

impl<const LOW: u64, const DIGITS: u8> Tally<LOW, DIGITS> {
    // The same layout as `Histogram::new_with_bounds(LOW, 2 * LOW, DIGITS)`, in integers.
    const VALID: () = assert!(LOW >= 1 && DIGITS <= 5, "HdrHistogram's own bounds");
    /// log2 of the width of the first bucket's sub-buckets: the power of two at or below `LOW`
    /// (HdrHistogram's unit magnitude).
    const UNIT: u32 = 63 - LOW.leading_zeros();
    /// log2 of the sub-buckets of a bucket: the power of two at or above 2 × 10^DIGITS, so that
    /// values up to there are told apart to one unit.
    const COUNT_MAGNITUDE: u32 = (2 * 10u32.pow(DIGITS as u32))
        .next_power_of_two()
        .trailing_zeros();
    /// log2 of half the sub-buckets of a bucket.
    const HALF_MAGNITUDE: u32 = Self::COUNT_MAGNITUDE - 1;
    /// Leading zeros of the largest value of the first bucket.
    const ZEROS_BASE: u32 = 64 - Self::UNIT - Self::COUNT_MAGNITUDE;
    /// The bits of the first bucket's values: or-ed in, they keep small values in bucket 0.
    const MASK: u64 = ((1u64 << Self::COUNT_MAGNITUDE) - 1) << Self::UNIT;

    /// An empty tally.
    pub fn new() -> Self {
        let () = Self::VALID;
        Tally {
            counts: Vec::new(),
            max: 0,
        }
    }

    /// HdrHistogram's index of `value`'s bucket.
    #[inline(always)]
    fn index(value: u64) -> usize {
        let bucket = Self::ZEROS_BASE - (value | Self::MASK).leading_zeros();
        let sub = (value >> (bucket + Self::UNIT)) as usize;
        // The top half of the sub-buckets of bucket `bucket` (all of bucket 0).
        ((bucket as usize + 1) << Self::HALF_MAGNITUDE) + sub - (1 << Self::HALF_MAGNITUDE)
    }

    /// The lowest value in the bucket at `index` (HdrHistogram's `value_for`).
    fn value_at(index: usize) -> u64 {
        let half = 1usize << Self::HALF_MAGNITUDE;
        let bucket = index >> Self::HALF_MAGNITUDE;
        let (bucket, sub) = if bucket == 0 {
            (0, index)
        } else {
            (bucket - 1, (index & (half - 1)) + half)
        };
        (sub as u64) << (bucket as u32 + Self::UNIT)
    }

    /// Counts `value` once.
    #[inline]
    pub fn record(&mut self, value: u64) {
        let i = Self::index(value);
        self.max = self.max.max(value);
        match self.counts.get_mut(i) {
            Some(c) => *c = c.saturating_add(1),
            None => self.grow_and_record(i),
        }
    }

    #[cold]
    #[inline(never)]
    fn grow_and_record(&mut self, i: usize) {
        let bucket_end = ((i >> Self::HALF_MAGNITUDE) + 1) << Self::HALF_MAGNITUDE;
        self.counts.resize(bucket_end, 0);
        self.counts[i] = 1;
    }

    /// Adds the counts of `other`.
    pub fn add(&mut self, other: &Self) {
        self.max = self.max.max(other.max);
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (c, &o) in self.counts.iter_mut().zip(&other.counts) {
            *c = c.saturating_add(o);
        }
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.counts.iter().all(|&c| c == 0)
    }

    /// Values counted (HdrHistogram's `len`).
    pub fn len(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    /// HdrHistogram's `value_at_quantile` of these counts, without building the histogram:
    /// the first bucket whose running count reaches `quantile` of the values (at least one
    /// value; a quantile above 1 is 1), told as the highest value of that bucket (its lowest
    /// for the quantile 0), and 0 when nothing was counted. The same steps as the crate's, on
    /// the same buckets; the tests below compare the two. A 20,560-site city's rows took 0.1 s
    /// to hand 41,000 tallies over to histograms for three quantiles.
    pub fn value_at_quantile(&self, quantile: f64) -> u64 {
        let quantile = if quantile > 1.0 { 1.0 } else { quantile };
        let target = ((quantile * self.len() as f64).ceil() as u64).max(1);
        let mut running = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            running += u64::from(c);
            if running >= target {
                let lowest = Self::value_at(i);
                if quantile == 0.0 {
                    return lowest;
                }
                let bucket = Self::ZEROS_BASE - (lowest | Self::MASK).leading_zeros();
                return match lowest {
                    u64::MAX => u64::MAX,
                    v => v.saturating_add(1 << (Self::UNIT + bucket)) - 1,
                };
            }
        }
        0
    }

    /// An auto-resizing HdrHistogram holding these counts: each bucket's count recorded at the
    /// bucket's lowest value, which HdrHistogram puts in the same bucket, and the top bucket's
    /// at the largest value counted, so that the histogram's maximum is the one that recording
    /// each value gives (its minimum of values above the unit is the lowest bucket's either way).
    pub fn hdr(&self) -> Histogram<u32> {
        let mut h = Histogram::new_with_bounds(LOW, 2 * LOW, DIGITS)
            .expect("bounds checked in Tally::VALID");
        h.auto(true);
        let top = Self::index(self.max);
        for (i, &c) in self.counts.iter().enumerate() {
            if c != 0 {
                let value = if i == top {
                    self.max
                } else {
                    Self::value_at(i)
                };
                // Auto-resizing: every value is in range.
                let _ = h.record_n(value, c);
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn direct(low: u64, digits: u8, values: &[u64]) -> Histogram<u32> {
        let mut h = Histogram::new_with_bounds(low, 2 * low, digits).unwrap();
        h.auto(true);
        for &v in values {
            h.record(v).unwrap();
        }
        h
    }

    fn tallied<const LOW: u64, const DIGITS: u8>(values: &[u64]) -> Tally<LOW, DIGITS> {
        let mut t = Tally::new();
        for &v in values {
            t.record(v);
        }
        t
    }

    /// Counted in a tally and handed over, the values make the histogram that recording them
    /// one by one makes (HdrHistogram's equality: counts, total, min and max buckets), with the
    /// same quantiles.
    fn hands_over<const LOW: u64, const DIGITS: u8>(values: &[u64]) -> Result<(), TestCaseError> {
        let t = tallied::<LOW, DIGITS>(values);
        let d = direct(LOW, DIGITS, values);
        let h = t.hdr();
        prop_assert!(h == d, "low {}, digits {}", LOW, DIGITS);
        prop_assert_eq!(h.len(), d.len());
        prop_assert_eq!(t.len(), d.len());
        prop_assert_eq!(t.is_empty(), values.is_empty());
        for q in [0.0, 1e-9, 0.5, 0.95, 0.999, 1.0, 1.5, -0.5, f64::NAN] {
            prop_assert_eq!(h.value_at_quantile(q), d.value_at_quantile(q), "q {}", q);
            prop_assert_eq!(t.value_at_quantile(q), d.value_at_quantile(q), "q {}", q);
        }
        Ok(())
    }

    /// Adding tallies is adding the histograms.
    fn adds<const LOW: u64, const DIGITS: u8>(
        a: &[u64],
        b: &[u64],
        q: f64,
    ) -> Result<(), TestCaseError> {
        let mut t = tallied::<LOW, DIGITS>(a);
        t.add(&tallied(b));
        let mut d = direct(LOW, DIGITS, a);
        d.add(direct(LOW, DIGITS, b)).unwrap();
        prop_assert!(t.hdr() == d, "low {}, digits {}", LOW, DIGITS);
        prop_assert_eq!(t.hdr().value_at_quantile(q), d.value_at_quantile(q));
        prop_assert_eq!(t.value_at_quantile(q), d.value_at_quantile(q));
        Ok(())
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

    // The precisions the observers use (sites, the run, the turnaround), and the coarsest (the
    // finest, 5 digits, has 2^18 counts a bucket: checked at the edges below, where one
    // histogram is enough).
    proptest! {
        #[test]
        fn a_tally_hands_over_the_histogram_of_its_values(values in values()) {
            hands_over::<1000, 2>(&values)?;
            hands_over::<100, 3>(&values)?;
            hands_over::<1, 3>(&values)?;
            hands_over::<1, 0>(&values)?;
        }

        #[test]
        fn added_tallies_are_added_histograms(a in values(), b in values(), q in 0.0..=1.0f64) {
            adds::<1000, 2>(&a, &b, q)?;
            adds::<100, 3>(&a, &b, q)?;
            adds::<1, 3>(&a, &b, q)?;
        }
    }

    /// Values that all fall in the first bucket, below a unit (HdrHistogram tells apart
    /// none of them, but its maximum is 0 only if all were 0): the cases a few random values
    /// rarely hit.
    fn below_the_unit<const LOW: u64, const DIGITS: u8>() {
        for values in [
            &[][..],
            &[0],
            &[1],
            &[0, 0],
            &[0, 63],
            &[511, 1, 0],
            &[1023],
        ] {
            let t = tallied::<LOW, DIGITS>(values);
            assert!(
                t.hdr() == direct(LOW, DIGITS, values),
                "{LOW} {DIGITS} {values:?}"
            );
            assert_eq!(t.hdr().max(), direct(LOW, DIGITS, values).max());
            for q in [0.0, 0.5, 0.95, 1.0] {
                let d = direct(LOW, DIGITS, values).value_at_quantile(q);
                assert_eq!(t.value_at_quantile(q), d, "{LOW} {DIGITS} {values:?} q {q}");
            }
        }
    }

    #[test]
    fn values_below_the_unit_keep_their_maximum() {
        below_the_unit::<1000, 2>();
        below_the_unit::<100, 3>();
        below_the_unit::<1, 3>();
    }

    fn edges<const LOW: u64, const DIGITS: u8>() {
        let h = direct(LOW, DIGITS, &[1 << 35]);
        for shift in 0..36 {
            for v in [(1u64 << shift) - 1, 1 << shift, (1 << shift) + 1] {
                // The lowest value of the tally's bucket is HdrHistogram's lowest equivalent
                // of the value: the same bucket.
                let t = Tally::<LOW, DIGITS>::value_at(Tally::<LOW, DIGITS>::index(v));
                assert_eq!(t, h.lowest_equivalent(v), "{v}");
            }
        }
    }

    #[test]
    fn the_edges_of_buckets_land_where_hdrhistogram_puts_them() {
        edges::<1000, 2>();
        edges::<100, 3>();
        edges::<1, 3>();
        edges::<1, 0>();
        edges::<7, 5>();
    }
}
