//! The offline queue: at most `capacity` outgoing messages, oldest dropped when full, every drop
//! returned to the caller (who reports and counts it). FIFO.

use std::collections::VecDeque;

/// A bounded FIFO that drops its oldest item when full.
#[derive(Debug)]
pub struct OfflineQueue<T> {
    items: VecDeque<T>,
    capacity: usize,
}

impl<T> OfflineQueue<T> {
    /// A queue of at most `capacity` items (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self { items: VecDeque::new(), capacity: capacity.max(1) }
    }

    /// Appends; returns the dropped oldest item when the queue was full.
    #[must_use = "a dropped message must be reported"]
    pub fn push(&mut self, item: T) -> Option<T> {
        let dropped = if self.items.len() >= self.capacity { self.items.pop_front() } else { None };
        self.items.push_back(item);
        dropped
    }

    /// Puts items back at the front, keeping their order (messages in flight when the link
    /// died go before newer ones); returns what no longer fits (the oldest).
    #[must_use = "dropped messages must be reported"]
    pub fn requeue_front(&mut self, items: Vec<T>) -> Vec<T> {
        for item in items.into_iter().rev() {
            self.items.push_front(item);
        }
        let mut dropped = Vec::new();
        while self.items.len() > self.capacity {
            if let Some(d) = self.items.pop_front() {
                dropped.push(d);
            }
        }
        dropped
    }

    /// Takes the oldest item.
    pub fn pop(&mut self) -> Option<T> {
        self.items.pop_front()
    }

    /// Removes everything; returns the removed items (to report them).
    pub fn clear(&mut self) -> Vec<T> {
        self.items.drain(..).collect()
    }

    /// Number of queued items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn drops_the_oldest_when_full() {
        let mut q = OfflineQueue::new(3);
        assert_eq!(q.push(1), None);
        assert_eq!(q.push(2), None);
        assert_eq!(q.push(3), None);
        assert_eq!(q.push(4), Some(1));
        assert_eq!(q.len(), 3);
        assert_eq!((q.pop(), q.pop(), q.pop(), q.pop()), (Some(2), Some(3), Some(4), None));
    }

    #[test]
    fn requeued_items_go_first_and_overflow_is_returned() {
        let mut q = OfflineQueue::new(3);
        let _ = q.push(3);
        let _ = q.push(4);
        assert_eq!(q.requeue_front(vec![1, 2]), vec![1]);
        assert_eq!(q.clear(), vec![2, 3, 4]);
        assert!(q.is_empty());
    }

    proptest! {
        /// Whatever is pushed: size <= capacity, FIFO order of what remains, and every item is
        /// either still queued or was returned as dropped (nothing lost silently).
        #[test]
        fn invariants(cap in 1usize..20, n in 0usize..200) {
            let mut q = OfflineQueue::new(cap);
            let mut dropped = Vec::new();
            for i in 0..n {
                if let Some(d) = q.push(i) { dropped.push(d); }
                prop_assert!(q.len() <= cap);
            }
            let kept = q.clear();
            prop_assert_eq!(kept.len(), n.min(cap));
            let mut all = dropped.clone();
            all.extend(kept.iter().copied());
            prop_assert_eq!(all, (0..n).collect::<Vec<_>>());
        }
    }
}
