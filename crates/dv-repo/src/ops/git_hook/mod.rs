//! `dvc git-hook`: what the hooks and the merge driver `install` sets up run (spec §1.7).
//!
//! `pre-commit` runs `status`, `pre-push` runs `push` and `post-checkout` runs `checkout`
//! (when [`post_checkout::runs_checkout`] says so); the binary runs those commands whole.
//! The merge driver ([`merge_driver`]) merges `.dvc` files of directories. All of them do
//! nothing outside a DVC repository, as in DVC.
//!
//! - `post_checkout`: when the post-checkout hook checks out data;
//! - `merge_driver`: loading and checking the three `.dvc` files, writing the result;
//! - `tree_merge`: the three-way merge of directory manifests with DVC's conflict rules.

mod merge_driver;
pub mod post_checkout;
mod tree_merge;

pub use merge_driver::{MergeDriverOptions, MergeReport, merge_driver};
