//! A bounded rayon pool per operation, created only when more than one job is asked for.

use std::num::NonZeroUsize;

/// The most threads dv starts for local work (hashing, linking, walking), however many jobs
/// `core.checksum_jobs` or `-j` ask for: 8 per core, at least 32. DVC accepts any positive
/// number, so larger values are not an error; a cloned repository's config setting
/// `checksum_jobs = 100000000` must not make dv start that many threads.
pub fn max_threads() -> NonZeroUsize {
    NonZeroUsize::new(cores().get().saturating_mul(8).max(32)).unwrap_or(NonZeroUsize::MIN)
}

/// The cores this process may use, asked once (the answer reads cgroup files each time).
pub fn cores() -> NonZeroUsize {
    static CORES: std::sync::OnceLock<NonZeroUsize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN))
}

/// `jobs` capped at [`max_threads`].
pub fn cap_threads(jobs: NonZeroUsize) -> NonZeroUsize {
    jobs.min(max_threads())
}

use rayon::prelude::*;

/// Maps `items` with `f`, keeping their order, on a pool of `jobs` threads — or on the calling
/// thread when `jobs` is 1, the input is tiny, or the pool cannot be created, so a sequential run
/// starts no threads at all.
pub fn map<T, R, F>(jobs: NonZeroUsize, items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync + Send,
{
    if jobs.get() == 1 || items.len() < 2 {
        return items.iter().map(f).collect();
    }
    match rayon::ThreadPoolBuilder::new()
        .num_threads(cap_threads(jobs).get().min(items.len()))
        .build()
    {
        Ok(pool) => pool.install(|| items.par_iter().map(&f).collect()),
        Err(_) => items.iter().map(f).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_counts_are_capped() {
        let huge = NonZeroUsize::new(100_000_000).expect("non-zero");
        assert_eq!(cap_threads(huge), max_threads());
        assert!(max_threads().get() >= 32);
        assert_eq!(cap_threads(NonZeroUsize::MIN), NonZeroUsize::MIN);
        let squares = map(huge, &[1, 2, 3], |n| n * n);
        assert_eq!(squares, vec![1, 4, 9]);
    }
}
