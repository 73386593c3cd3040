//! Two pieces of work at once, for the steps that are large enough to use a second core.

/// Runs `a` on a scoped thread and `b` on this one, and returns both results; a panic in `a`
/// is resumed here. What rayon's `join` does, for the three two-way splits the generator has:
/// a thread pool would be a dependency for nothing more.
pub(crate) fn join<A: Send, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|s| {
        let a = s.spawn(a);
        let b = b();
        (a.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), b)
    })
}
