//! A counting allocator for memory tests: the heap in use and its peak. A test binary installs it with
//! `#[global_allocator] static GLOBAL: Counting = Counting;` and holds one test, so that no other
//! test's allocations are counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

/// The system allocator, counting the bytes in use and their peak.
pub struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = IN_USE.fetch_add(layout.size(), SeqCst) + layout.size();
            PEAK.fetch_max(now, SeqCst);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        IN_USE.fetch_sub(layout.size(), SeqCst);
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            if new_size > layout.size() {
                let now = IN_USE.fetch_add(new_size - layout.size(), SeqCst) + new_size - layout.size();
                PEAK.fetch_max(now, SeqCst);
            } else {
                IN_USE.fetch_sub(layout.size() - new_size, SeqCst);
            }
        }
        q
    }
}

/// The peak heap growth, over what was in use before, while `f` runs (with [`Counting`] installed).
pub async fn peak_growth<T>(f: impl Future<Output = T>) -> (T, usize) {
    let base = IN_USE.load(SeqCst);
    PEAK.store(base, SeqCst);
    let out = f.await;
    (out, PEAK.load(SeqCst).saturating_sub(base))
}
