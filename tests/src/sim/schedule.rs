//! A scenario drawn from its seed alone: clients, the times of their reliable emits, and the
//! faults (partitions, stalls, cuts, lost segments, delays, server and client restarts). Drawn
//! up front, independent of how the run goes, so a seed replays the same schedule exactly.
//! The generator is the synthetic catalogues' SplitMix64 (no dependency).

use std::time::Duration;

pub use crate::synth::SplitMix64 as Rng;

/// A duration in `lo..=hi` milliseconds.
pub fn millis(r: &mut Rng, lo: u64, hi: u64) -> Duration {
    Duration::from_millis(r.range(lo as usize, hi as usize) as u64)
}

/// One fault, applied at its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Every link of the client, open or new, is held (a black hole) for `dur`, then released:
    /// what was held is delivered late, unless a side gave up and closed meanwhile.
    Partition { client: usize, dur: Duration },
    /// Only the links open now are held for `dur`; new ones pass. The client's watchdog gives up
    /// and reconnects, and the old link's data reaches the server after the new link's (reordering
    /// across reconnects).
    Stall { client: usize, dur: Duration },
    /// The client's links are reset (both sides see an error, data in flight is lost).
    Cut { client: usize },
    /// The next segment on the client's link in one direction is lost, which resets the link at
    /// the moment it would have arrived (a lost TCP segment means a cut connection).
    Lose { client: usize, to_server: bool },
    /// Each segment of the client's links takes `lo..=hi` ms (order kept) for `dur`.
    Delay { client: usize, dur: Duration, lo: u64, hi: u64 },
    /// The server process crashes (its links reset, its tasks frozen for good) and a new one
    /// starts `down` later. The dedup store survives (it models the Redis store).
    ServerRestart { down: Duration },
    /// The client process crashes (its links close, its queue is gone) and starts again at once,
    /// empty, with new message ids.
    ClientRestart { client: usize },
}

/// Everything one seed decides.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The seed.
    pub seed: u64,
    /// Clients (users `u0`, `u1`, ...).
    pub clients: usize,
    /// Reliable emits: when, and which client.
    pub emits: Vec<(Duration, usize)>,
    /// Faults in time order.
    pub faults: Vec<(Duration, Fault)>,
    /// Faults and emits happen before this; then the network heals.
    pub horizon: Duration,
    /// The server's handler takes `0..=handler_ms` ms (drawn per call).
    pub handler_ms: u64,
}

impl Schedule {
    /// The schedule of `seed`.
    pub fn from_seed(seed: u64) -> Schedule {
        let mut r = Rng::new(seed);
        let clients = r.range(1, 3);
        let horizon = millis(&mut r, 40_000, 90_000);
        let h = horizon.as_millis() as u64;
        let mut emits: Vec<(Duration, usize)> = (0..r.range(15, 60)).map(|_| (millis(&mut r, 0, h), r.range(0, clients - 1))).collect();
        emits.sort();
        let mut faults = Vec::new();
        for _ in 0..r.range(2, 10) {
            let at = millis(&mut r, 0, h);
            let client = r.range(0, clients - 1);
            let fault = match r.range(0, 99) {
                0..=14 => Fault::Partition { client, dur: millis(&mut r, 500, 40_000) },
                15..=29 => Fault::Stall { client, dur: millis(&mut r, 1_000, 70_000) },
                30..=44 => Fault::Cut { client },
                45..=59 => Fault::Lose { client, to_server: r.chance(50) },
                60..=74 => {
                    let lo = r.range(0, 500) as u64;
                    Fault::Delay { client, dur: millis(&mut r, 1_000, 30_000), lo, hi: lo + r.range(0, 8_000) as u64 }
                }
                75..=87 => Fault::ServerRestart { down: millis(&mut r, 0, 15_000) },
                _ => Fault::ClientRestart { client },
            };
            faults.push((at, fault));
        }
        faults.sort_by_key(|(at, _)| *at);
        let handler_ms = r.pick(&[0, 5, 50, 400]);
        Schedule { seed, clients, emits, faults, horizon, handler_ms }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_always_draws_the_same_schedule() {
        let (a, b) = (Schedule::from_seed(42), Schedule::from_seed(42));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_ne!(format!("{a:?}"), format!("{:?}", Schedule::from_seed(43)));
    }
}
