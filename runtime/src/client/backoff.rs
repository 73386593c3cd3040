//! Reconnect delays: 1, 2, 4, 8, 16, 16... seconds (capped), at most N attempts, optional jitter.

use std::time::Duration;

/// The reconnect schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    /// Delay before the first attempt.
    pub base: Duration,
    /// Largest delay.
    pub max: Duration,
    /// Attempts before giving up (the failed state); 0 means never give up.
    pub max_attempts: u32,
    /// Fraction of random spread, 0.0 (exact) to 1.0; a delay d becomes d * (1 ± jitter/2).
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { base: Duration::from_secs(1), max: Duration::from_secs(16), max_attempts: 10, jitter: 0.0 }
    }
}

impl Backoff {
    /// Delay before attempt `n` (1-based) without jitter; None once attempts are exhausted.
    pub fn delay(&self, attempt: u32) -> Option<Duration> {
        if attempt == 0 || (self.max_attempts > 0 && attempt > self.max_attempts) {
            return None;
        }
        let factor = 1u32.checked_shl(attempt.saturating_sub(1).min(31)).unwrap_or(u32::MAX);
        Some(self.base.saturating_mul(factor).min(self.max))
    }

    /// Delay before attempt `n` with jitter applied from `unit` (a random number in [0, 1)).
    pub fn delay_with_jitter(&self, attempt: u32, unit: f64) -> Option<Duration> {
        let d = self.delay(attempt)?;
        let j = self.jitter.clamp(0.0, 1.0);
        if j == 0.0 {
            return Some(d);
        }
        let scale = 1.0 - j / 2.0 + j * unit.clamp(0.0, 1.0);
        Some(d.mul_f64(scale))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_is_1_2_4_8_16_capped_then_none() {
        let b = Backoff::default();
        let secs: Vec<u64> = (1..=10).map(|n| b.delay(n).unwrap().as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 16, 16, 16, 16, 16, 16]);
        assert_eq!(b.delay(11), None);
        assert_eq!(b.delay(0), None);
        let forever = Backoff { max_attempts: 0, ..Backoff::default() };
        assert_eq!(forever.delay(1000), Some(Duration::from_secs(16)));
    }

    #[test]
    fn jitter_stays_within_its_spread() {
        let b = Backoff { jitter: 0.5, ..Backoff::default() };
        for u in [0.0, 0.25, 0.5, 0.99] {
            let d = b.delay_with_jitter(3, u).unwrap().as_secs_f64();
            assert!((3.0..=5.0).contains(&d), "{d}");
        }
    }
}
