//! Fixed-size slices for big lookup tables, backed by 2 MiB pages where the
//! kernel allows it.
//!
//! **Why.** The tokenizer's encoder makes at least one lookup per token at a
//! hashed, so random, position of a table of several megabytes
//! (`towel_tokenizer`'s `bpe/table.rs`: o200k_base's
//! piece maps and pair table are about 18 MB, cl100k_base's about 9 MB).
//! With 4 KiB pages that is some 4,600 pages, more than the CPU's
//! second-level TLB holds (3,072 entries on the Zen 4 of the benchmark
//! machine), and hashing spreads even the few thousand hot entries over
//! that many pages. A TLB miss walks the page tables, and under a
//! hypervisor the walk is two-dimensional (each guest level is a host
//! walk). The cache simulation of `bench/profile_encode.sh` cannot see this
//! cost (it models caches, not the TLB), which is why o200k_base measured
//! about 10% more instructions than cl100k_base on tiny shakespeare but up
//! to a quarter more time. In 2 MiB pages the same tables are nine pages.
//!
//! **How.** Linux hands out transparent huge pages to a mapping that asked
//! for them with `madvise(MADV_HUGEPAGE)` when the system setting is
//! `madvise` (the default of Debian and most distributions; with `always`
//! it happens anyway, with `never` not at all, and the tables work the same
//! either way). So a table of at least 2 MiB is allocated aligned to 2 MiB,
//! advised, and only then written, so that its first touch already faults
//! in huge pages. Elsewhere (other systems, small tables) it is an ordinary
//! allocation. The advice is a hint: if it fails nothing changes but speed.
//!
//! [`Pages`] lives here so that the tokenizer keeps `forbid(unsafe_code)`:
//! an allocation with a chosen alignment must be freed with the same
//! layout, which `Box<[T]>` cannot do, so `Pages` owns its pointer and
//! frees it itself.

use std::alloc::{self, Layout};
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

/// The huge page size on x86-64 and aarch64 Linux (4 KiB base pages).
const HUGE: usize = 2 << 20;

/// A heap slice of `Copy` values whose length is fixed at creation, in
/// huge pages when it is large (see the module docs).
///
/// ```
/// use towel_data::pages::Pages;
/// let mut table = Pages::filled(1 << 20, u64::MAX); // 8 MiB, in huge pages on Linux
/// table[42] = 7;
/// assert_eq!(table.iter().filter(|&&x| x != u64::MAX).count(), 1);
/// ```
pub struct Pages<T: Copy> {
    ptr: NonNull<T>,
    len: usize,
}

// SAFETY: `Pages` owns its elements like a `Box<[T]>` does.
unsafe impl<T: Copy + Send> Send for Pages<T> {}
// SAFETY: shared access only hands out `&[T]`.
unsafe impl<T: Copy + Sync> Sync for Pages<T> {}

impl<T: Copy> Pages<T> {
    /// `len` copies of `value`.
    pub fn filled(len: usize, value: T) -> Pages<T> {
        let pages = Pages::<T>::uninit(len);
        for i in 0..len {
            // SAFETY: `i < len`, inside the allocation of `len` elements.
            unsafe { pages.ptr.as_ptr().add(i).write(value) };
        }
        pages
    }

    /// A copy of `values` (for tables built in a `Vec` first).
    pub fn from_slice(values: &[T]) -> Pages<T> {
        let pages = Pages::<T>::uninit(values.len());
        // SAFETY: both hold `values.len()` elements and do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(values.as_ptr(), pages.ptr.as_ptr(), values.len()) };
        pages
    }

    /// Room for `len` elements, not yet written (the caller writes all).
    fn uninit(len: usize) -> Pages<T> {
        let layout = Self::layout(len);
        if layout.size() == 0 {
            return Pages {
                ptr: NonNull::dangling(),
                len,
            };
        }
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { alloc::alloc(layout) };
        let Some(ptr) = NonNull::new(raw.cast::<T>()) else {
            alloc::handle_alloc_error(layout);
        };
        if layout.align() == HUGE {
            advise_huge(raw, layout.size());
        }
        Pages { ptr, len }
    }

    /// The layout of `len` elements: aligned to a huge page when it spans
    /// at least one.
    fn layout(len: usize) -> Layout {
        let layout = Layout::array::<T>(len).expect("a lookup table larger than memory");
        if cfg!(target_os = "linux") && layout.size() >= HUGE {
            layout.align_to(HUGE).expect("2 MiB is a valid alignment")
        } else {
            layout
        }
    }
}

/// Ask the kernel for transparent huge pages on `[ptr, ptr + len)`; a
/// refusal (old kernel, THP disabled) is harmless.
#[cfg(target_os = "linux")]
fn advise_huge(ptr: *mut u8, len: usize) {
    // SAFETY: the range is one live allocation of ours; MADV_HUGEPAGE
    // changes only how it is backed, never its contents.
    unsafe {
        libc::madvise(ptr.cast(), len, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_ptr: *mut u8, _len: usize) {}

/// Ask the CPU to start loading the cache line of `value`, without waiting
/// for it: a hint, with no effect on what any later read returns (a no-op
/// where there is no prefetch instruction).
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 reads no memory architecturally and cannot fault,
    // whatever the address; this one comes from a live reference anyway.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

impl<T: Copy> Drop for Pages<T> {
    fn drop(&mut self) {
        let layout = Self::layout(self.len);
        if layout.size() != 0 {
            // SAFETY: allocated in `uninit` with this same layout.
            unsafe { alloc::dealloc(self.ptr.as_ptr().cast(), layout) };
        }
    }
}

impl<T: Copy> Deref for Pages<T> {
    type Target = [T];
    #[inline(always)]
    fn deref(&self) -> &[T] {
        // SAFETY: `len` initialized elements (written in `filled` or `clone`).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Copy> DerefMut for Pages<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `&mut self` is exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Copy> Clone for Pages<T> {
    fn clone(&self) -> Pages<T> {
        Pages::from_slice(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_huge_tables_hold_what_is_written() {
        for len in [0usize, 1, 1000, HUGE / 8 + 3] {
            let mut p = Pages::filled(len, u64::MAX);
            assert_eq!(p.len(), len);
            assert!(p.iter().all(|&x| x == u64::MAX));
            for (i, x) in p.iter_mut().enumerate() {
                *x = i as u64;
            }
            let q = p.clone();
            drop(p);
            assert_eq!(&*Pages::from_slice(&q), &*q);
            assert!(q.iter().enumerate().all(|(i, &x)| x == i as u64));
        }
    }

    #[test]
    fn large_tables_are_aligned_to_huge_pages_on_linux() {
        let p = Pages::filled(HUGE / 8, 0u64);
        if cfg!(target_os = "linux") {
            assert_eq!(p.as_ptr() as usize % HUGE, 0);
        }
        let zero_sized = Pages::filled(5, ());
        assert_eq!(zero_sized.len(), 5);
    }
}
