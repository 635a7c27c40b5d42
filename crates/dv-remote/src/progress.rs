//! [`TransferProgress`]: how a batch transfer reports progress to its caller. Events are
//! delivered on the calling thread, in the order they happen, so an implementation needs no
//! locking; the library never draws anything itself.

use crate::error::RemoteError;

/// Receives progress of [`Remote::upload_many`](crate::Remote::upload_many) and
/// [`Remote::download_many`](crate::Remote::download_many). Items are identified by their index
/// in the batch. Both methods default to doing nothing.
pub trait TransferProgress {
    /// `bytes` more bytes of item `item` were transferred.
    fn transferred(&mut self, item: usize, bytes: u64) {
        let _ = (item, bytes);
    }

    /// Item `item` finished, successfully or not.
    fn finished(&mut self, item: usize, result: Result<(), &RemoteError>) {
        let _ = (item, result);
    }
}

/// No progress reporting.
impl TransferProgress for () {}
