//! Batch encoding on several threads, with the results handed over in order
//! while the rest is still being encoded.
//!
//! A batch is cut into *blocks* of consecutive texts (about
//! [`BLOCKS_PER_THREAD`] per thread, at least [`MIN_BLOCK_BYTES`] of text
//! each). The calling thread and `threads - 1` tasks spawned on a rayon pool
//! claim blocks in order from one atomic counter, each with its own scratch
//! buffers and piece cache for the whole call (so a thread's cache stays
//! warm across all the blocks it encodes). The calling thread also hands
//! every finished block, in order, to a *sink* as soon as it and all the
//! blocks before it are done, and it does that before claiming more work.
//!
//! Why: a batch's result usually has to be converted (to Python lists, to
//! one concatenated array, to shards on disk), and that conversion is
//! serial. Done after the parallel part, it bounds the speed-up by Amdahl's
//! law (2 threads reach 1.8x only if the serial part is under 11% of the
//! one-thread time, 1.9x under 5%). From Python, on the SciFact text with
//! o200k_base (callgrind, instructions per call): encoding 320 M; building
//! the lists of 1.6 M ints 69 M; and, before the Python crate's `Utf8Str`,
//! copying the text to UTF-8 again on every call about 86 M. The last two
//! ran under the GIL after the parallel encode: a third of the
//! instructions, and 2 threads measured 1.54-1.74x one thread
//! (`bench/python_encode.py`, load 0.2-0.7). Handed over block by block,
//! the conversion of block `k` runs while the other threads encode blocks
//! `k + 1, ...`; what stays serial is the conversion of the last block or
//! two, plus the wait for the slowest thread (at most one block, 1/32 of a
//! thread's share). The CPU time of a 2-thread batch is that of the
//! 1-thread batch within the noise (0.93-1.00 on SciFact in
//! `bench/python_encode.py`, at load 6),
//! so the second thread adds no work to share: what remains between the
//! measured ratio and 2 is waiting, not extra work.
//!
//! Blocks rather than single texts: a batch of 100,000 sentences costs
//! 100,000 claims and hand-overs otherwise (and, from Python, as many
//! acquisitions of the GIL); 64 chunks of 140 KB stay 64 blocks.
//!
//! With `threads == 1` (or a single block) nothing is spawned: the calling
//! thread encodes and hands over alone, exactly a one-thread run.
//!
//! Balance, counted without the noise of a shared machine (callgrind
//! `--separate-threads=yes --fair-sched=yes`, o200k_base, tiny
//! shakespeare in 64 chunks, `encode_ordinary_batch` from Python with a
//! warm pool): 1 thread executes 61.8 M instructions; 2 threads 31.1 M on
//! the calling thread (encoding and building the lists) and 32.6 M on the
//! other, 3% more in all (each thread's piece cache warms up on its own).
//! The work therefore allows 1.90x on 2 cores.
//!
//! [`map_in_order`] offers the same machinery for other per-text work: the
//! Python crate's `count_batch` and `decode_bytes_batch` use it, so their
//! calling thread works instead of waiting for a pool (and
//! `decode_bytes_batch` makes its `bytes` objects while the other threads
//! decode later blocks).

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

/// Blocks per thread: enough that the last block (the part of the wait
/// that cannot be shared) is a small part of a thread's share.
pub(crate) const BLOCKS_PER_THREAD: usize = 32;
/// Smallest block, in bytes of text (a claim and a hand-over cost about a
/// microsecond; a block this size takes about 100 us to encode).
pub(crate) const MIN_BLOCK_BYTES: usize = 16 << 10;
/// Each text counts this many bytes more when cutting blocks, so a batch of
/// many empty texts is still cut.
const PER_TEXT_BYTES: usize = 64;

/// Where blocks start: `starts[b]..starts[b + 1]` are the texts of block
/// `b`; the last entry is the number of texts.
pub(crate) fn block_starts(lens: &[usize], threads: usize) -> Vec<usize> {
    let total: usize = lens.iter().map(|l| l + PER_TEXT_BYTES).sum();
    let target = (total / (threads.max(1) * BLOCKS_PER_THREAD)).max(MIN_BLOCK_BYTES);
    let mut starts = vec![0];
    let mut acc = 0;
    for (i, l) in lens.iter().enumerate() {
        acc += l + PER_TEXT_BYTES;
        if acc >= target && i + 1 < lens.len() {
            starts.push(i + 1);
            acc = 0;
        }
    }
    starts.push(lens.len());
    if lens.is_empty() {
        starts.truncate(1);
    }
    starts
}

/// The block machinery of [`crate::CoreBpe::encode_batch_in_order`] for
/// any per-item work (counting tokens, decoding): run `work(i)` for every
/// item `i < sizes.len()` on `threads` threads (the calling thread and
/// `threads - 1` tasks spawned on `pool`, the current rayon pool when
/// `None`; `threads == 0` means as many as that pool has), and hand each
/// block's results to `sink(first, results)` on the calling thread, in
/// order, while the others work on later blocks. `sizes[i]` is item `i`'s
/// size in bytes (about), to cut blocks of even work. An error from `sink`
/// stops the batch (no more blocks are started) and is returned.
pub fn map_in_order<T: Send, E>(
    sizes: &[usize],
    pool: Option<&rayon::ThreadPool>,
    threads: usize,
    work: impl Fn(usize) -> T + Sync,
    sink: impl FnMut(usize, Vec<T>) -> Result<(), E>,
) -> Result<(), E> {
    let threads = threads_of(pool, threads);
    let starts = block_starts(sizes, threads);
    run_ordered(pool, threads, &starts, || (), |_, i| work(i), sink)
}

/// `threads`, or as many as `pool` (the current rayon pool when `None`)
/// has when it is 0.
pub(crate) fn threads_of(pool: Option<&rayon::ThreadPool>, threads: usize) -> usize {
    match (threads, pool) {
        (0, Some(p)) => p.current_num_threads(),
        (0, None) => rayon::current_num_threads(),
        (n, _) => n,
    }
}

/// What the threads share: the claim counter and the finished blocks.
struct Shared<T> {
    next: AtomicUsize,
    done: Mutex<Vec<Option<Vec<T>>>>,
    ready: Condvar,
    /// A spawned task panicked: the caller stops waiting (and the scope
    /// then re-raises the panic).
    failed: AtomicBool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, Vec<Option<Vec<T>>>> {
        self.done.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// No more claims (after an error or a panic).
    fn stop(&self, blocks: usize) {
        self.next.fetch_max(blocks, Ordering::Relaxed);
    }
}

/// Marks the batch failed if a spawned task unwinds, so that the caller does
/// not wait for a block that will never come.
struct PanicGuard<'a, T> {
    shared: &'a Shared<T>,
    blocks: usize,
}

impl<T> Drop for PanicGuard<'_, T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.shared.stop(self.blocks);
            self.shared.failed.store(true, Ordering::Release);
            let _guard = self.shared.lock();
            self.shared.ready.notify_all();
        }
    }
}

/// Run `work(state, i)` for every item `i` of the blocks `starts`
/// describes, on the calling thread and `threads - 1` tasks spawned on
/// `pool` (the current rayon pool when `None`), each with one `init()`
/// state; `sink(first, results)` gets each block's results in order, on
/// the calling thread. An error from `sink` stops the claims and is
/// returned once the running blocks are done.
pub(crate) fn run_ordered<S, T, E>(
    pool: Option<&rayon::ThreadPool>,
    threads: usize,
    starts: &[usize],
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize) -> T + Sync,
    mut sink: impl FnMut(usize, Vec<T>) -> Result<(), E>,
) -> Result<(), E>
where
    T: Send,
{
    let blocks = starts.len().saturating_sub(1);
    let range = |b: usize| -> Range<usize> { starts[b]..starts[b + 1] };
    let encode = |state: &mut Option<S>, b: usize| -> Vec<T> {
        let s = state.get_or_insert_with(&init);
        range(b).map(|i| work(s, i)).collect()
    };
    let helpers = threads.saturating_sub(1).min(blocks.saturating_sub(1));
    if helpers == 0 {
        let mut state = None;
        for (b, &first) in starts[..blocks].iter().enumerate() {
            sink(first, encode(&mut state, b))?;
        }
        return Ok(());
    }
    let shared = Shared {
        next: AtomicUsize::new(0),
        done: Mutex::new((0..blocks).map(|_| None).collect()),
        ready: Condvar::new(),
        failed: AtomicBool::new(false),
    };
    let helper = || {
        let _guard = PanicGuard {
            shared: &shared,
            blocks,
        };
        let mut state = None;
        loop {
            let b = shared.next.fetch_add(1, Ordering::Relaxed);
            if b >= blocks {
                break;
            }
            let out = encode(&mut state, b);
            shared.lock()[b] = Some(out);
            shared.ready.notify_one();
        }
    };
    let mut caller = || -> Result<(), E> {
        let mut state = None;
        let mut sunk = 0;
        while sunk < blocks {
            // Hand over whatever is ready first: that part is serial.
            let ready: Vec<Vec<T>> = {
                let mut done = shared.lock();
                let mut v = Vec::new();
                while sunk + v.len() < blocks {
                    match done[sunk + v.len()].take() {
                        Some(out) => v.push(out),
                        None => break,
                    }
                }
                v
            };
            if !ready.is_empty() {
                for out in ready {
                    if let Err(e) = sink(starts[sunk], out) {
                        shared.stop(blocks);
                        return Err(e);
                    }
                    sunk += 1;
                }
                continue;
            }
            let b = shared.next.fetch_add(1, Ordering::Relaxed);
            if b < blocks {
                let out = encode(&mut state, b);
                shared.lock()[b] = Some(out);
                continue;
            }
            // Everything is claimed: wait for the next block in order.
            let mut done = shared.lock();
            while done[sunk].is_none() && !shared.failed.load(Ordering::Acquire) {
                done = shared.ready.wait(done).unwrap_or_else(|e| e.into_inner());
            }
            if shared.failed.load(Ordering::Acquire) {
                // The scope re-raises the task's panic.
                return Ok(());
            }
        }
        Ok(())
    };
    towel_data::threads::in_scope(pool, helpers, &helper, || {
        let r = caller();
        if r.is_err() {
            shared.stop(blocks);
        }
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_every_text_once_in_order() {
        for lens in [
            vec![],
            vec![0],
            vec![5; 3],
            vec![0; 10_000],
            vec![140_000; 64],
            vec![1 << 20, 1, 1, 1 << 20],
        ] {
            for threads in [1, 2, 8] {
                let s = block_starts(&lens, threads);
                assert_eq!(s[0], 0);
                assert_eq!(*s.last().unwrap(), lens.len());
                assert!(s.windows(2).all(|w| w[0] < w[1]), "{s:?}");
            }
        }
        // 64 chunks of 140 KB: one block each on 2 threads; 10,000 empty
        // texts: a few blocks, not 10,000.
        assert_eq!(block_starts(&[140_000; 64], 2).len(), 65);
        let n = block_starts(&[0; 10_000], 2).len() - 1;
        assert!((2..=64).contains(&n), "{n} blocks");
    }

    /// Every item is worked on once and handed over in order, whatever
    /// the threads and blocks.
    fn check(threads: usize, n: usize, per_block: usize) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(2) - 1)
            .build()
            .unwrap();
        let starts: Vec<usize> = (0..n)
            .step_by(per_block.max(1))
            .chain([n])
            .collect::<Vec<_>>();
        let starts = if n == 0 { vec![0] } else { starts };
        let inits = AtomicUsize::new(0);
        let mut got = Vec::new();
        run_ordered::<_, _, ()>(
            Some(&pool),
            threads,
            &starts,
            || inits.fetch_add(1, Ordering::Relaxed),
            |_, i| i * 3,
            |first, out| {
                assert_eq!(first, got.len());
                got.extend(out);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(got, (0..n).map(|i| i * 3).collect::<Vec<_>>());
        assert!(inits.load(Ordering::Relaxed) <= threads.max(1));
    }

    #[test]
    fn hands_over_everything_in_order() {
        for threads in [1, 2, 3, 4] {
            for n in [0, 1, 2, 7, 100, 1000] {
                for per_block in [1, 3, 64] {
                    check(threads, n, per_block);
                }
            }
        }
    }

    #[test]
    fn a_sink_error_stops_the_batch_and_is_returned() {
        let starts: Vec<usize> = (0..=100).collect();
        let mut sunk = Vec::new();
        let r = run_ordered(
            None,
            2,
            &starts,
            || (),
            |_, i| i,
            |first, _| {
                sunk.push(first);
                if first == 10 {
                    Err(first)
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(r, Err(10));
        assert_eq!(sunk, (0..=10).collect::<Vec<_>>());
    }

    #[test]
    fn a_panicking_task_panics_the_call_instead_of_hanging() {
        let starts: Vec<usize> = (0..=64).collect();
        let r = std::panic::catch_unwind(|| {
            run_ordered::<_, _, ()>(
                None,
                2,
                &starts,
                || (),
                |_, i| {
                    if i == 40 {
                        panic!("boom");
                    }
                    std::thread::sleep(std::time::Duration::from_micros(200));
                    i
                },
                |_, _| Ok(()),
            )
        });
        assert!(r.is_err());
    }
}
