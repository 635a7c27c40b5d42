//! How to find out which of N objects a network remote has: one `HEAD` per object, or listing
//! the remote. The choice ports DVC's `ObjectDB.oids_exist` (dvc-objects): the remote's size is
//! estimated from the number of objects in shard `00`, and listing wins once the objects asked
//! about outnumber the pages a full listing would take (weighted for very large remotes).

/// Objects per page of an S3 listing.
const LIST_PAGE_SIZE: f64 = 1000.0;
/// Above this many objects a listing is weighted as five times more expensive.
const TRAVERSE_THRESHOLD_SIZE: f64 = 500_000.0;
const TRAVERSE_WEIGHT_MULTIPLIER: f64 = 5.0;
/// Shard directories (`00`…`ff`).
pub(crate) const SHARDS: usize = 256;

/// How to answer an existence query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strategy {
    /// `HEAD` each object not already answered by the estimation listing.
    Query,
    /// List the whole layout in one listing (small remotes).
    ListAll,
    /// List shards `01`…`ff` concurrently (shard `00` is already listed).
    ListShards,
}

/// The most objects of shard `00` worth listing to estimate the remote's size when asking
/// about `wanted` objects: DVC stops its estimate at `max(500000, wanted / 5 * 1000) / 256`.
pub(crate) fn estimation_limit(wanted: usize) -> usize {
    let max_objects =
        TRAVERSE_THRESHOLD_SIZE.max(wanted as f64 / TRAVERSE_WEIGHT_MULTIPLIER * LIST_PAGE_SIZE);
    (max_objects / SHARDS as f64).ceil() as usize
}

/// The strategy for `wanted` objects (more than one), given `in_shard_00` objects found in
/// shard `00` and `jobs` concurrent requests.
pub(crate) fn choose(wanted: usize, in_shard_00: usize, jobs: usize) -> Strategy {
    let remote_size = (SHARDS * in_shard_00.max(1)) as f64;
    let pages = remote_size / LIST_PAGE_SIZE;
    let weight = if remote_size > TRAVERSE_THRESHOLD_SIZE {
        pages * TRAVERSE_WEIGHT_MULTIPLIER
    } else {
        pages
    };
    if (wanted as f64) < weight {
        Strategy::Query
    } else if pages < SHARDS as f64 / jobs.max(1) as f64 {
        Strategy::ListAll
    } else {
        Strategy::ListShards
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_objects_on_a_large_remote_are_queried() {
        // ~2.56M objects on the remote: 12800 weighted pages.
        assert_eq!(choose(100, 10_000, 16), Strategy::Query);
        assert_eq!(choose(20_000, 10_000, 16), Strategy::ListShards);
    }

    #[test]
    fn small_remotes_are_listed_whole() {
        assert_eq!(choose(2, 0, 16), Strategy::ListAll);
        assert_eq!(choose(300, 1, 8), Strategy::ListAll);
        // 256 * 400 = 102400 objects: 102 pages, more than 256 / 8 shards per job.
        assert_eq!(choose(300, 400, 8), Strategy::ListShards);
    }

    #[test]
    fn estimation_stops_early() {
        assert_eq!(estimation_limit(10), 1954);
        assert_eq!(estimation_limit(1_000_000), 781_250);
    }
}
