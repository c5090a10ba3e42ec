//! Samplers for the duration distributions of a scenario.
//!
//! Built once from validated parameters; sampling never fails and never allocates.

use rand::Rng;
use rand_distr::{
    Distribution, Exp, Gamma, LogNormal, Normal, Triangular, weighted::WeightedIndex,
};

use crate::time::SimDuration;

/// A resolved distribution of durations, in milliseconds.
#[derive(Debug, Clone)]
pub enum Sampler {
    /// Always the same value.
    Constant(u64),
    /// Uniform on [lo, hi).
    Uniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// Triangular, with its lower bound.
    Triangular(Triangular<f64>, f64),
    /// Exponential.
    Exponential(Exp<f64>),
    /// Normal, redrawn until inside [lo, hi].
    Normal {
        /// The untruncated normal.
        normal: Normal<f64>,
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// Lognormal.
    LogNormal(LogNormal<f64>),
    /// Gamma (and Erlang).
    Gamma(Gamma<f64>),
    /// Values with weights.
    Empirical {
        /// The values.
        values: Vec<u64>,
        /// Index sampler over the weights.
        index: WeightedIndex<f64>,
    },
}

/// Redraws of a truncated normal before the value is clamped into the window.
const MAX_REDRAWS: usize = 1_000;

impl Sampler {
    /// Draws one duration.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimDuration {
        let ms = match self {
            Sampler::Constant(v) => return SimDuration(*v),
            Sampler::Uniform { lo, hi } => lo + (hi - lo) * rng.random::<f64>(),
            Sampler::Triangular(d, _) => d.sample(rng),
            Sampler::Exponential(d) => d.sample(rng),
            Sampler::Normal { normal, lo, hi } => {
                let mut x = normal.sample(rng);
                for _ in 0..MAX_REDRAWS {
                    if (*lo..=*hi).contains(&x) {
                        break;
                    }
                    x = normal.sample(rng);
                }
                x.clamp(*lo, *hi)
            }
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Gamma(d) => d.sample(rng),
            Sampler::Empirical { values, index } => return SimDuration(values[index.sample(rng)]),
        };
        SimDuration::from_millis_f64(ms)
    }

    /// The smallest duration a draw can give (0 for unbounded distributions such as the
    /// exponential): the lookahead of a delay between partitions.
    pub fn min(&self) -> SimDuration {
        let floor = |x: f64| SimDuration::from_millis_f64(x.floor());
        match self {
            Sampler::Constant(v) => SimDuration(*v),
            Sampler::Uniform { lo, .. } | Sampler::Triangular(_, lo) => floor(*lo),
            Sampler::Normal { lo, .. } => floor(*lo),
            Sampler::Exponential(_) | Sampler::LogNormal(_) | Sampler::Gamma(_) => {
                SimDuration::ZERO
            }
            Sampler::Empirical { values, .. } => {
                SimDuration(values.iter().copied().min().unwrap_or(0))
            }
        }
    }

    /// A constant zero: "no delay".
    pub fn zero() -> Sampler {
        Sampler::Constant(0)
    }

    /// Uniform on [lo, hi] milliseconds.
    pub fn uniform(lo: f64, hi: f64) -> Sampler {
        if hi <= lo {
            Sampler::Constant(SimDuration::from_millis_f64(lo).0)
        } else {
            Sampler::Uniform { lo, hi }
        }
    }

    /// Triangular; caller guarantees lo ≤ mode ≤ hi.
    pub fn triangular(lo: f64, mode: f64, hi: f64) -> Sampler {
        match Triangular::new(lo, hi, mode) {
            Ok(d) if hi > lo => Sampler::Triangular(d, lo),
            _ => Sampler::Constant(SimDuration::from_millis_f64(mode).0),
        }
    }

    /// Exponential with the given mean (ms); a zero mean is a constant zero.
    pub fn exponential(mean: f64) -> Sampler {
        match Exp::new(1.0 / mean) {
            Ok(d) if mean > 0.0 => Sampler::Exponential(d),
            _ => Sampler::zero(),
        }
    }

    /// Normal truncated to [lo, hi].
    pub fn normal(mean: f64, sd: f64, lo: f64, hi: f64) -> Sampler {
        match Normal::new(mean, sd) {
            Ok(normal) if sd > 0.0 => Sampler::Normal { normal, lo, hi },
            _ => Sampler::Constant(SimDuration::from_millis_f64(mean.clamp(lo, hi)).0),
        }
    }

    /// Lognormal with the mean and standard deviation of the value itself.
    pub fn lognormal(mean: f64, sd: f64) -> Sampler {
        if sd <= 0.0 || mean <= 0.0 {
            return Sampler::Constant(SimDuration::from_millis_f64(mean).0);
        }
        let s2 = (1.0 + (sd / mean).powi(2)).ln();
        match LogNormal::new(mean.ln() - s2 / 2.0, s2.sqrt()) {
            Ok(d) => Sampler::LogNormal(d),
            Err(_) => Sampler::Constant(SimDuration::from_millis_f64(mean).0),
        }
    }

    /// Gamma with the given mean and standard deviation.
    pub fn gamma(mean: f64, sd: f64) -> Sampler {
        if sd <= 0.0 || mean <= 0.0 {
            return Sampler::Constant(SimDuration::from_millis_f64(mean).0);
        }
        Self::gamma_shape_scale((mean / sd).powi(2), sd * sd / mean)
    }

    /// Erlang: `k` exponential phases summing to `mean` on average.
    pub fn erlang(k: u32, mean: f64) -> Sampler {
        if mean <= 0.0 || k == 0 {
            return Sampler::zero();
        }
        Self::gamma_shape_scale(f64::from(k), mean / f64::from(k))
    }

    fn gamma_shape_scale(shape: f64, scale: f64) -> Sampler {
        match Gamma::new(shape, scale) {
            Ok(d) => Sampler::Gamma(d),
            Err(_) => Sampler::Constant(SimDuration::from_millis_f64(shape * scale).0),
        }
    }

    /// Values with weights; caller guarantees equal lengths and a positive total weight.
    pub fn empirical(values: Vec<u64>, weights: &[f64]) -> Option<Sampler> {
        let index = WeightedIndex::new(weights).ok()?;
        Some(Sampler::Empirical { values, index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn mean_of(s: &Sampler, n: usize) -> f64 {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        (0..n).map(|_| s.sample(&mut rng).0 as f64).sum::<f64>() / n as f64
    }

    /// Each sampler's sample mean over 200,000 draws is within 1% of its mean: the standard error
    /// is sd/√n ≤ mean/√200000 ≈ 0.22% of the mean for these parameters (cv ≤ 1), so 1% is more
    /// than 4 standard errors.
    #[test]
    fn sample_means_match_parameters() {
        let n = 200_000;
        let cases = [
            (Sampler::exponential(60_000.0), 60_000.0),
            (Sampler::uniform(10_000.0, 20_000.0), 15_000.0),
            (Sampler::triangular(10_000.0, 13_000.0, 22_000.0), 15_000.0),
            (Sampler::lognormal(35_000.0, 15_000.0), 35_000.0),
            (Sampler::gamma(30_000.0, 10_000.0), 30_000.0),
            (Sampler::erlang(4, 40_000.0), 40_000.0),
            (
                Sampler::normal(50_000.0, 5_000.0, 0.0, f64::INFINITY),
                50_000.0,
            ),
            (
                Sampler::empirical(vec![10_000, 20_000], &[1.0, 3.0]).unwrap(),
                17_500.0,
            ),
        ];
        for (s, mean) in cases {
            let m = mean_of(&s, n);
            assert!((m - mean).abs() / mean < 0.01, "{s:?}: {m} vs {mean}");
        }
    }

    /// No draw is below `min()`: it is the lookahead of a cut between partitions.
    #[test]
    fn no_draw_is_below_the_minimum() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
        for s in [
            Sampler::uniform(10_000.4, 20_000.0),
            Sampler::triangular(600_000.7, 700_000.0, 900_000.0),
            Sampler::normal(10_000.0, 20_000.0, 5_000.5, 12_000.0),
            Sampler::empirical(vec![30, 20, 40], &[1.0, 1.0, 1.0]).unwrap(),
            Sampler::Constant(7),
        ] {
            let min = s.min();
            assert!(min.0 > 0, "{s:?}");
            assert!((0..20_000).all(|_| s.sample(&mut rng) >= min), "{s:?}");
        }
        assert_eq!(Sampler::exponential(1000.0).min().0, 0);
    }

    #[test]
    fn truncated_normal_stays_in_window() {
        let s = Sampler::normal(10_000.0, 20_000.0, 5_000.0, 12_000.0);
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        for _ in 0..10_000 {
            let v = s.sample(&mut rng).0;
            assert!((5_000..=12_000).contains(&v));
        }
    }
}
