//! The allocator of the workspace's programs (the `relu-learn` command
//! line and the Python module): the system's, with the last few large
//! blocks freed kept for reuse.
//!
//! A pass allocates a few blocks per chunk of rows that are larger than
//! glibc's fixed mmap threshold (128 KiB): the chunk's centred inputs, the
//! layers' activations, the Jacobian rows, a chunk accumulator of
//! `p × p` normal equations. A process that runs glibc with its default
//! settings soon serves these from its heap (its mmap threshold rises to
//! the largest block freed), but a process whose malloc was tuned through
//! the environment keeps the fixed threshold, and then every such block is
//! a fresh `mmap` whose pages fault in one by one and a `munmap` when it is
//! freed. Dask's nanny starts its workers that way
//! (`MALLOC_TRIM_THRESHOLD_=65536`), where this cost a pass 20–50 % of its
//! time (at d = 50 on 5·10⁶ rows, one thread: `input-stats` 2.1 s → 3.0 s,
//! the normal equations 2.3 s → 3.5 s).
//!
//! [`Recycling`] keeps up to [`SLOTS`] freed blocks of at least
//! [`MIN_BYTES`] (at most [`CAP_BYTES`] in all, none larger than a quarter
//! of it) and hands one back when a block of exactly the same size and
//! alignment is asked for: the same sizes recur at every chunk. The oldest
//! kept blocks are freed first when there is no room. A thread that finds
//! the cache busy goes to the system allocator instead of waiting (so a
//! process forked while another thread held the lock cannot deadlock).
//! Every block it hands out is a block of the system allocator with
//! exactly the layout asked for, so freeing and reallocating it through
//! the system allocator stays valid. Values are unaffected.
//!
//! A program installs it with
//! `#[global_allocator] static A: relu_net::alloc::Recycling = relu_net::alloc::Recycling::new();`.

// A global allocator must implement `GlobalAlloc`, an unsafe trait; this
// module is the only unsafe code of the workspace.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};

/// Blocks smaller than this go straight to the system allocator: glibc's
/// default mmap threshold, below which it serves them from its heap even
/// when tuned.
pub const MIN_BYTES: usize = 128 << 10;

/// How many freed blocks are kept.
pub const SLOTS: usize = 16;

/// The most bytes kept in all; a larger block is freed at once.
pub const CAP_BYTES: usize = 64 << 20;

/// One kept block (the address as an integer, so that the cache is `Send`).
#[derive(Clone, Copy)]
struct Kept {
    addr: usize,
    size: usize,
    align: usize,
    /// When it was kept (larger is newer).
    age: u64,
}

/// The kept blocks.
struct Cache {
    slots: [Option<Kept>; SLOTS],
    bytes: usize,
    clock: u64,
}

/// The system allocator with a cache of large freed blocks (see the module
/// docs).
pub struct Recycling {
    cache: Mutex<Cache>,
}

impl Recycling {
    /// An empty cache.
    pub const fn new() -> Self {
        Self {
            cache: Mutex::new(Cache {
                slots: [None; SLOTS],
                bytes: 0,
                clock: 0,
            }),
        }
    }

    /// How many blocks are kept, and their bytes.
    pub fn kept(&self) -> (usize, usize) {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        (cache.slots.iter().flatten().count(), cache.bytes)
    }

    /// The cache, unless another thread holds it (then the caller goes to
    /// the system allocator: no thread waits, and a child forked while
    /// another thread held the lock cannot deadlock on it).
    fn cache(&self) -> Option<MutexGuard<'_, Cache>> {
        match self.cache.try_lock() {
            Ok(cache) => Some(cache),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// A kept block of exactly `layout`, taken out of the cache.
    fn take(&self, layout: Layout) -> Option<*mut u8> {
        let mut cache = self.cache()?;
        let slot = cache
            .slots
            .iter_mut()
            .find(|s| s.is_some_and(|k| k.size == layout.size() && k.align == layout.align()))?;
        let kept = slot.take()?;
        cache.bytes -= kept.size;
        Some(kept.addr as *mut u8)
    }

    /// Keeps the block `ptr` of `layout` (a size that [`keepable`] allows),
    /// freeing the oldest kept blocks to make room once the lock is
    /// released; false when the cache is busy.
    fn keep(&self, ptr: *mut u8, layout: Layout) -> bool {
        let size = layout.size();
        let mut evicted = [None; SLOTS];
        {
            let Some(mut cache) = self.cache() else {
                return false;
            };
            let mut e = 0;
            loop {
                let free = cache.slots.iter().position(Option::is_none);
                if let Some(i) = free.filter(|_| cache.bytes + size <= CAP_BYTES) {
                    cache.clock += 1;
                    let age = cache.clock;
                    cache.slots[i] = Some(Kept {
                        addr: ptr as usize,
                        size,
                        align: layout.align(),
                        age,
                    });
                    cache.bytes += size;
                    break;
                }
                // No room: the oldest block goes (there is one, since the
                // cache is full or holds more than 3/4 of the cap).
                let oldest = (0..SLOTS)
                    .filter(|&i| cache.slots[i].is_some())
                    .min_by_key(|&i| cache.slots[i].map_or(u64::MAX, |k| k.age));
                let Some(k) = oldest.and_then(|i| cache.slots[i].take()) else {
                    break;
                };
                cache.bytes -= k.size;
                evicted[e] = Some(k);
                e += 1;
            }
        }
        for k in evicted.into_iter().flatten() {
            // SAFETY: `k` was a block of the system allocator with this
            // size and alignment when it was kept, and nothing uses it.
            unsafe { free(k) };
        }
        true
    }
}

/// Whether a block of `size` bytes may be kept: at least glibc's default
/// mmap threshold, at most a quarter of the cap.
const fn keepable(size: usize) -> bool {
    size >= MIN_BYTES && size <= CAP_BYTES / 4
}

/// Returns a kept block to the system allocator.
///
/// # Safety
/// `k` must describe a live block of `System` that nothing uses.
unsafe fn free(k: Kept) {
    // SAFETY: size and alignment come from the `Layout` the block was
    // allocated with; the block is the caller's to free.
    unsafe {
        System.dealloc(
            k.addr as *mut u8,
            Layout::from_size_align_unchecked(k.size, k.align),
        );
    }
}

impl Drop for Recycling {
    fn drop(&mut self) {
        let cache = self.cache.get_mut().unwrap_or_else(PoisonError::into_inner);
        for k in cache.slots.iter_mut().filter_map(Option::take) {
            // SAFETY: every kept block is a live block of `System` that
            // nothing else uses.
            unsafe { free(k) };
        }
        cache.bytes = 0;
    }
}

impl Default for Recycling {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every block handed out is a live block of `System` with exactly
// the layout asked for (fresh, or kept after a `dealloc` of that layout and
// handed out once), and every block given back is either kept or returned
// to `System` with its own layout.
unsafe impl GlobalAlloc for Recycling {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if keepable(layout.size())
            && let Some(ptr) = self.take(layout)
        {
            return ptr;
        }
        // SAFETY: the caller's contract (a non-zero size) is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if keepable(layout.size())
            && let Some(ptr) = self.take(layout)
        {
            // SAFETY: the block holds `layout.size()` writable bytes.
            unsafe { ptr.write_bytes(0, layout.size()) };
            return ptr;
        }
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !keepable(layout.size()) || !self.keep(ptr, layout) {
            // SAFETY: `ptr` is a block of `System` with `layout` that
            // nothing uses any more.
            unsafe { System.dealloc(ptr, layout) };
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` is a block of `System` with `layout` (see above).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(bytes: usize) -> Layout {
        Layout::from_size_align(bytes, 64).unwrap()
    }

    #[test]
    fn a_freed_large_block_is_handed_back_for_the_same_layout_only() {
        let a = Recycling::new();
        let l = layout(1 << 20);
        // SAFETY (of the test's calls): every block is freed once, with
        // the layout it was allocated with.
        unsafe {
            let p = a.alloc(l);
            p.write_bytes(7, l.size());
            a.dealloc(p, l);
            assert_eq!(a.kept(), (1, l.size()));
            // Another size or alignment is not served from the cache.
            let q = a.alloc(layout((1 << 20) + 64));
            let r = a.alloc(Layout::from_size_align(1 << 20, 128).unwrap());
            assert_eq!(a.kept(), (1, l.size()));
            // The same layout is, zeroed when asked.
            let z = a.alloc_zeroed(l);
            assert_eq!(z, p);
            assert!(std::slice::from_raw_parts(z, l.size()).iter().all(|&b| b == 0));
            assert_eq!(a.kept(), (0, 0));
            a.dealloc(q, layout((1 << 20) + 64));
            a.dealloc(r, Layout::from_size_align(1 << 20, 128).unwrap());
            a.dealloc(z, l);
            assert_eq!(a.kept().0, 3);
        }
    }

    #[test]
    fn small_and_huge_blocks_are_not_kept_and_the_cache_is_bounded() {
        let a = Recycling::new();
        unsafe {
            let small = layout(MIN_BYTES - 64);
            a.dealloc(a.alloc(small), small);
            let huge = layout(CAP_BYTES / 4 + 64);
            a.dealloc(a.alloc(huge), huge);
            assert_eq!(a.kept(), (0, 0));
            // More blocks than slots: the oldest go.
            let l = layout(MIN_BYTES);
            let blocks: Vec<*mut u8> = (0..SLOTS + 5).map(|_| a.alloc(l)).collect();
            for &p in &blocks {
                a.dealloc(p, l);
            }
            assert_eq!(a.kept(), (SLOTS, SLOTS * MIN_BYTES));
            // More bytes than the cap: blocks of a quarter of it, five of
            // them, leave at most four.
            let q = layout(CAP_BYTES / 4);
            let big: Vec<*mut u8> = (0..5).map(|_| a.alloc(q)).collect();
            for &p in &big {
                a.dealloc(p, q);
            }
            let (count, bytes) = a.kept();
            assert!(
                bytes <= CAP_BYTES && count <= SLOTS,
                "{count} blocks, {bytes} bytes"
            );
            assert_eq!(bytes, 4 * q.size());
            // A kept block of the layout is handed out again.
            let p = a.alloc(q);
            assert!(big.contains(&p));
            a.dealloc(p, q);
            // A block from the cache reallocates like any other: its
            // contents move with it.
            let first = a.alloc(l);
            a.dealloc(first, l);
            let p = a.alloc(l);
            assert_eq!(p, first);
            p.write_bytes(3, l.size());
            let grown = a.realloc(p, l, 4 * MIN_BYTES);
            assert!(
                std::slice::from_raw_parts(grown, l.size())
                    .iter()
                    .all(|&b| b == 3)
            );
            a.dealloc(grown, layout(4 * MIN_BYTES));
        }
    }
}
