//! Shared pieces of the server benchmark: a log-bucket latency histogram and /proc readers.
//! The binaries are the point; see `tests/bench/server.sh`.

use std::time::Duration;

/// A latency histogram with 16 sub-buckets per power of two (about 6 % resolution), in
/// nanoseconds. Hand-rolled so that recording costs a few instructions on the client.
#[derive(Clone)]
pub struct Hist {
    buckets: Vec<u64>,
    count: u64,
    max: u64,
}

impl Default for Hist {
    fn default() -> Self {
        Self { buckets: vec![0; 16 + 60 * 16], count: 0, max: 0 }
    }
}

impl Hist {
    fn index(v: u64) -> usize {
        if v < 16 {
            return v as usize;
        }
        let e = 63 - v.leading_zeros() as usize; // >= 4
        let sub = ((v >> (e - 4)) & 15) as usize;
        16 + (e - 4) * 16 + sub
    }

    /// Midpoint of a bucket.
    fn value(i: usize) -> u64 {
        if i < 16 {
            return i as u64;
        }
        let e = (i - 16) / 16 + 4;
        let sub = ((i - 16) % 16) as u64;
        let lo = (16 + sub) << (e - 4);
        lo + (1u64 << (e - 4)) / 2
    }

    /// Records one sample.
    pub fn record(&mut self, ns: u64) {
        self.buckets[Self::index(ns)] += 1;
        self.count += 1;
        self.max = self.max.max(ns);
    }

    /// Samples recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The `q` quantile (0..=1) in nanoseconds; 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let target = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= target {
                return Self::value(i).min(self.max);
            }
        }
        self.max
    }

    /// Largest sample.
    pub fn max(&self) -> u64 {
        self.max
    }
}

/// CPU time of a process: `utime + stime` from `/proc/PID/stat` (clock ticks, 10 ms here) and
/// the sum of `/proc/PID/task/*/schedstat` run times (nanoseconds, live threads only).
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTime {
    /// utime + stime, microseconds.
    pub stat_us: u64,
    /// utime alone, microseconds.
    pub user_us: u64,
    /// stime alone, microseconds.
    pub sys_us: u64,
    /// Sum of the live threads' on-CPU time, microseconds.
    pub sched_us: u64,
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux this runs on).
pub const CLK_TCK: u64 = 100;

/// A process's user and system CPU time apart (`utime`, `stime` of `/proc/PID/stat`), in
/// microseconds (10 ms steps); zeros when it is gone.
pub fn cpu_user_sys(pid: &str) -> (u64, u64) {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // The command name may contain spaces: fields start after the last ')'.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            // rest starts at field 3 (state): utime is field 14, stime field 15.
            Some((f.get(11)?.parse::<u64>().ok()?, f.get(12)?.parse::<u64>().ok()?))
        })
        .map_or((0, 0), |(u, s)| (u * 1_000_000 / CLK_TCK, s * 1_000_000 / CLK_TCK))
}

/// Reads a process's CPU time; zeros when it is gone.
pub fn cpu_time(pid: &str) -> CpuTime {
    let (user, sys) = cpu_user_sys(pid);
    let stat_us = user + sys;
    let mut sched_ns = 0u64;
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in dir.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("schedstat")) {
                sched_ns += s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            }
        }
    }
    CpuTime { stat_us, user_us: user, sys_us: sys, sched_us: sched_ns / 1000 }
}

/// Resident set size in KiB (`/proc/PID/statm`, 4 KiB pages); 0 when unknown.
pub fn rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/statm"))
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .map_or(0, |pages| pages * 4)
}

/// Per-core `(busy, steal)` jiffies from `/proc/stat` (`busy` = everything but idle, iowait and
/// steal), index = core number. Used to show how much of a pinned core other processes (or the
/// hypervisor) took during a scenario.
pub fn core_jiffies() -> Vec<(u64, u64)> {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else { return Vec::new() };
    stat.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .map(|l| {
            let f: Vec<u64> = l.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
            let g = |i: usize| f.get(i).copied().unwrap_or(0);
            // user nice system idle iowait irq softirq steal guest guest_nice
            let steal = g(7);
            (g(0) + g(1) + g(2) + g(5) + g(6), steal)
        })
        .collect()
}

/// Microseconds of a duration, as f64.
pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_are_within_a_bucket() {
        let mut h = Hist::default();
        for v in 1..=10_000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5) as f64;
        let p99 = h.quantile(0.99) as f64;
        assert!((p50 / 5_000_000.0 - 1.0).abs() < 0.07, "{p50}");
        assert!((p99 / 9_900_000.0 - 1.0).abs() < 0.07, "{p99}");
        assert_eq!(h.max(), 10_000_000);
        assert_eq!(Hist::default().quantile(0.5), 0);
    }

    #[test]
    fn own_cpu_time_is_read() {
        let t0 = cpu_time("self");
        let mut x = 0u64;
        for i in 0..50_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let t1 = cpu_time("self");
        assert!(t1.sched_us > t0.sched_us, "{t0:?} {t1:?}");
        assert!(rss_kib("self") > 0);
    }
}

/// A counting global allocator: the allocator's view of the live heap, next to RSS (which also
/// counts freed pages the allocator keeps and the binary's own pages).
pub mod alloc {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::Relaxed};

    static BYTES: AtomicI64 = AtomicI64::new(0);
    static ALLOCS: AtomicI64 = AtomicI64::new(0);
    // Off unless asked for: the four atomic adds per allocation and free cost the CPU runs about
    // 2 % at fan-out 1 -> 10 (perf, results/server-profile.md), which Node does not pay.
    static COUNTING: AtomicBool = AtomicBool::new(false);

    /// Starts counting. Call it first in `main`: what was allocated before and is freed after
    /// makes the live figures smaller by that much (a few argument strings); slopes per socket
    /// are unaffected.
    pub fn start_counting() {
        COUNTING.store(true, Relaxed);
    }

    /// Live bytes and live allocations (requested sizes, not the allocator's rounding) since
    /// [`start_counting`]; `None` when counting is off.
    pub fn heap_live() -> Option<(i64, i64)> {
        COUNTING.load(Relaxed).then(|| (BYTES.load(Relaxed), ALLOCS.load(Relaxed)))
    }

    /// The system allocator, counting what is live once [`start_counting`] was called.
    pub struct CountingAlloc;

    // SAFETY: every call is forwarded to `System` unchanged; only counters are added.
    unsafe impl GlobalAlloc for CountingAlloc {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: forwarded with the caller's layout.
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() && COUNTING.load(Relaxed) {
                BYTES.fetch_add(layout.size() as i64, Relaxed);
                ALLOCS.fetch_add(1, Relaxed);
            }
            p
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            // SAFETY: forwarded with the caller's layout.
            let p = unsafe { System.alloc_zeroed(layout) };
            if !p.is_null() && COUNTING.load(Relaxed) {
                BYTES.fetch_add(layout.size() as i64, Relaxed);
                ALLOCS.fetch_add(1, Relaxed);
            }
            p
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: `ptr` came from this allocator (that is, `System`) with `layout`.
            unsafe { System.dealloc(ptr, layout) };
            if COUNTING.load(Relaxed) {
                BYTES.fetch_sub(layout.size() as i64, Relaxed);
                ALLOCS.fetch_sub(1, Relaxed);
            }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: forwarded unchanged.
            let p = unsafe { System.realloc(ptr, layout, new_size) };
            if !p.is_null() && COUNTING.load(Relaxed) {
                BYTES.fetch_add(new_size as i64 - layout.size() as i64, Relaxed);
            }
            p
        }
    }
}
