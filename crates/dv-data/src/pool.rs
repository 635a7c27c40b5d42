//! A bounded rayon pool per operation, created only when more than one job is asked for.

use std::num::NonZeroUsize;

use rayon::prelude::*;

/// Maps `items` with `f`, keeping their order, on a pool of `jobs` threads — or on the calling
/// thread when `jobs` is 1, the input is tiny, or the pool cannot be created, so a sequential run
/// starts no threads at all.
pub(crate) fn map<T, R, F>(jobs: NonZeroUsize, items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync + Send,
{
    if jobs.get() == 1 || items.len() < 2 {
        return items.iter().map(f).collect();
    }
    match rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.get().min(items.len()))
        .build()
    {
        Ok(pool) => pool.install(|| items.par_iter().map(&f).collect()),
        Err(_) => items.iter().map(f).collect(),
    }
}
