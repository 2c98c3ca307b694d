//! The thread pools of towel's batch operations, one home for the two
//! things every batch needs (tokenizer batches, batch search, the Python
//! package's batch methods):
//!
//! - [`pool`]: a rayon pool of `n` threads, made once per size and kept
//!   for the whole process, so a batch call never starts threads (starting
//!   them costs as much as hundreds of queries or a few hundred KB of
//!   encoding, and a caller that times its batches starts them before the
//!   clock with one warm-up call);
//! - [`keep_awake`]: hold a pool's threads awake, spinning, until the next
//!   batch or a deadline, so a batch does not wait for a sleeping thread to
//!   wake (up to milliseconds on a virtual machine);
//! - [`in_scope`]: the calling thread works beside `helpers` tasks on such
//!   a pool instead of handing the whole batch over and sleeping until it
//!   is done: a batch of a few milliseconds would otherwise pay a wake-up
//!   of the pool and another of the caller, tens of microseconds each on a
//!   virtual machine, all of it serial.
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! let pool = towel_data::threads::pool(1).unwrap();
//! assert!(std::sync::Arc::ptr_eq(&pool, &towel_data::threads::pool(1).unwrap()));
//! let done = AtomicUsize::new(0);
//! let work = || { done.fetch_add(1, Ordering::Relaxed); };
//! let r = towel_data::threads::in_scope(Some(&pool), 1, &work, || { work(); "caller's result" });
//! assert_eq!((r, done.load(Ordering::Relaxed)), ("caller's result", 2));
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Bumped by every [`in_scope`] once its helper tasks are queued: what the
/// threads [`keep_awake`] holds wait for.
static BATCHES: AtomicU64 = AtomicU64::new(0);

/// The CPUs this process may run on (1 when that is unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `threads`, but at most one per core ([`cores`]): every batch is
/// CPU-bound, so threads beyond the cores only add switching, and the
/// helpers [`keep_awake`] holds spinning would take the cores of the
/// threads doing the work (`towel eval --threads 100000` started 100,000
/// spinning threads on 2 cores, a load average of 1,000, before this).
/// tiktoken's default of 8 threads becomes the number of cores.
///
/// ```
/// use towel_data::threads::{at_most_cores, cores};
/// assert_eq!(at_most_cores(100_000), cores());
/// assert_eq!(at_most_cores(1), 1);
/// ```
pub fn at_most_cores(threads: usize) -> usize {
    threads.min(cores())
}

/// A pool of `n` threads (named `towel-0`, `towel-1`, ...), made on the
/// first call for this `n` and shared by every later one.
///
/// # Errors
/// rayon's, when the threads cannot be started (the system's thread or
/// memory limit): callers fall back to fewer threads or report it.
pub fn pool(n: usize) -> Result<Arc<rayon::ThreadPool>, rayon::ThreadPoolBuildError> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    // A map of pools holds no invariant a panic could break halfway.
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(p) = pools.get(&n) {
        return Ok(p.clone());
    }
    let p = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("towel-{i}"))
            .build()?,
    );
    pools.insert(n, p.clone());
    Ok(p)
}

/// Spawn `helpers` tasks running `helper` on `pool` (the current rayon pool
/// when `None`), run `caller` on this thread, wait for the tasks, and
/// return `caller`'s result.
pub fn in_scope<'s, R>(
    pool: Option<&rayon::ThreadPool>,
    helpers: usize,
    helper: &'s (dyn Fn() + Sync),
    caller: impl FnOnce() -> R,
) -> R {
    let body = |scope: &rayon::Scope<'s>| {
        for _ in 0..helpers {
            scope.spawn(move |_| helper());
        }
        // Threads held awake by `keep_awake` stop spinning and take the
        // tasks just queued.
        BATCHES.fetch_add(1, Ordering::Release);
        caller()
    };
    match pool {
        Some(pool) => pool.in_place_scope(body),
        None => rayon::in_place_scope(body),
    }
}

/// Hold every thread of `pool` (rayon's global pool when `None`) awake, spinning, until the next batch of
/// [`in_scope`] (on any pool) has queued its tasks, or for at most
/// `for_at_most`; returns at once.
///
/// Why: a rayon thread without work sleeps after a few dozen idle rounds
/// (tens of microseconds), and waking a sleeping thread on a virtual
/// machine is slow: the futex wake-up becomes an interrupt to a halted
/// virtual CPU that the host must schedule again. Timed in a `towel eval`
/// pass over SciFact (300 queries, about 4 ms on one thread, load 1.3-3.5),
/// the helper's first query came 1.1-5.2 ms after the batch started, so the
/// calling thread searched 2/3 of the queries alone. A thread held awake
/// takes its task within microseconds. The price is the CPU time of the
/// spin, at most `for_at_most` per call, on a core the caller asked for.
pub fn keep_awake(pool: Option<&rayon::ThreadPool>, for_at_most: Duration) {
    let since = BATCHES.load(Ordering::Acquire);
    let until = Instant::now() + for_at_most;
    let cpu = current_cpu();
    let spin = move |_: rayon::BroadcastContext<'_>| {
        let _off = OffCpu::new(cpu);
        let mut spins = 0u32;
        while BATCHES.load(Ordering::Acquire) == since {
            std::hint::spin_loop();
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(256) && Instant::now() >= until {
                break;
            }
        }
    };
    match pool {
        Some(pool) => pool.spawn_broadcast(spin),
        None => rayon::spawn_broadcast(spin),
    }
}

/// The CPU the calling thread runs on now (Linux; `None` elsewhere).
pub fn current_cpu() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sched_getcpu has no preconditions.
        let c = unsafe { libc::sched_getcpu() };
        usize::try_from(c).ok()
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// While alive, keeps the calling thread off CPU `cpu` when it runs there
/// now (Linux: it leaves `cpu` out of the thread's CPU set, which moves
/// the thread at once, and puts the set back on drop). Nothing happens when
/// `cpu` is `None`, the thread runs elsewhere, or `cpu` is the only CPU the
/// thread may use.
///
/// Why: a batch's helper that wakes on the CPU of the thread it should
/// work beside shares that CPU with it until the scheduler balances the
/// two, which takes milliseconds, longer than a whole `towel eval` pass
/// (about 2 ms on 2 threads). Timed in 96 cold SciFact passes on 2 threads
/// (`bench_threads` with a per-thread trace, load 1.3-2.6, the other CPU
/// idle when each started): in 24 the helper ran on the caller's CPU and
/// the pass ran at 54,000 queries/s, about one thread's speed; in the 72
/// others at 98,000.
pub struct OffCpu {
    #[cfg(target_os = "linux")]
    saved: Option<libc::cpu_set_t>,
}

impl OffCpu {
    /// Move the calling thread off `cpu` (see [`OffCpu`]).
    pub fn new(cpu: Option<usize>) -> OffCpu {
        #[cfg(target_os = "linux")]
        {
            let saved = cpu
                .filter(|&c| Some(c) == current_cpu() && c < libc::CPU_SETSIZE as usize)
                .and_then(|c| {
                    // SAFETY: cpu_set_t is plain bits; the calls get and set the
                    // calling thread's own CPU set (pid 0) through valid pointers
                    // of the right size.
                    unsafe {
                        let mut set: libc::cpu_set_t = std::mem::zeroed();
                        let size = std::mem::size_of::<libc::cpu_set_t>();
                        if libc::sched_getaffinity(0, size, &mut set) != 0 {
                            return None;
                        }
                        let mut off = set;
                        libc::CPU_CLR(c, &mut off);
                        (libc::CPU_COUNT(&off) > 0 && libc::sched_setaffinity(0, size, &off) == 0)
                            .then_some(set)
                    }
                });
            OffCpu { saved }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = cpu;
            OffCpu {}
        }
    }
}

impl Drop for OffCpu {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some(set) = &self.saved {
            // SAFETY: as in `new`: the calling thread's own CPU set, a valid
            // pointer of the right size. A failure leaves the thread off one
            // CPU, which costs speed, not correctness.
            unsafe {
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set);
            }
        }
    }
}
