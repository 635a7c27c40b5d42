//! Twin repositories for differential tests: the same setup in two [`TestRepo`]s, `dv` run in
//! one and the oracle `dvc` in the other, exit codes, output and files compared.

use crate::{Outcome, TestRepo, run};

/// Runs a shell script in `repo` (with `$DVC` naming the oracle), asserting it succeeds.
///
/// # Panics
///
/// If the script fails.
#[track_caller]
pub fn sh(repo: &TestRepo, script: &str) {
    let outcome = run(repo
        .command("sh")
        .env("DVC", crate::venv::dvc_bin())
        .args(["-c", script]));
    assert_eq!(outcome.code, 0, "`{script}` failed:\n{outcome}");
}

/// DVC lists the files of its `git add` hint from a set, in no particular order: sorted here.
pub fn normalized(outcome: Outcome) -> Outcome {
    let sort_hint = |text: &str| {
        text.split_inclusive('\n')
            .map(|line| match line.strip_prefix("\tgit add ") {
                Some(files) => {
                    let mut files: Vec<&str> = files.trim_end().split(' ').collect();
                    files.sort_unstable();
                    format!("\tgit add {}\n", files.join(" "))
                }
                None => line.to_owned(),
            })
            .collect::<String>()
    };
    Outcome {
        code: outcome.code,
        stdout: sort_hint(&outcome.stdout),
        stderr: sort_hint(&outcome.stderr),
    }
}

/// The start of the warning `dv repro` gives for an output it moved aside instead of deleting
/// (DVC deletes it silently).
const TRASH_WARNING: &str = "WARNING: '";
const TRASH_WARNING_MIDDLE: &str =
    "' is neither in the cache nor recorded in the lock file: moved to '.dvc/tmp/dv/trash/";

/// `stderr` without `dv repro`'s trash warnings, and the outputs they name.
pub fn without_trash_warnings(stderr: &str) -> (String, Vec<String>) {
    let mut kept = String::new();
    let mut trashed = Vec::new();
    for line in stderr.split_inclusive('\n') {
        let named = line
            .strip_prefix(TRASH_WARNING)
            .and_then(|rest| rest.split_once(TRASH_WARNING_MIDDLE))
            .map(|(path, _)| path.to_owned());
        match named {
            Some(path) => trashed.push(path),
            None => kept.push_str(line),
        }
    }
    (kept, trashed)
}

/// Twin repositories: `ours` runs `dv`, `theirs` runs `dvc`.
pub struct Twins {
    /// Where `dv` runs.
    pub ours: TestRepo,
    /// Where `dvc` runs.
    pub theirs: TestRepo,
}

impl Twins {
    /// Both repositories initialised by dvc, then `setup` run in each.
    pub fn new(setup: &str) -> Twins {
        let twins = Twins {
            ours: TestRepo::new(),
            theirs: TestRepo::new(),
        };
        twins.each(&format!("$DVC init -q && {setup}"));
        twins
    }

    /// Runs the same shell script in both.
    #[track_caller]
    pub fn each(&self, script: &str) {
        sh(&self.ours, script);
        sh(&self.theirs, script);
    }

    /// `dv args` in ours and `dvc args` in theirs, from `dir`: both outcomes, redacted and
    /// normalized.
    pub fn both_in(&self, dir: &str, args: &[&str]) -> (Outcome, Outcome) {
        let ours = run(self.ours.dv().current_dir(self.ours.path(dir)).args(args));
        let theirs = run(self
            .theirs
            .dvc()
            .current_dir(self.theirs.path(dir))
            .args(args));
        (
            normalized(ours.redacted(&self.ours)),
            normalized(theirs.redacted(&self.theirs)),
        )
    }

    /// `dv args` in ours and `dvc args` in theirs, from `dir`; asserts the same outcome and
    /// returns ours.
    #[track_caller]
    pub fn same_in(&self, dir: &str, args: &[&str]) -> Outcome {
        let (ours, theirs) = self.both_in(dir, args);
        assert_eq!(ours, theirs, "`{}` in `{dir}`", args.join(" "));
        ours
    }

    /// [`same_in`](Self::same_in) the root.
    #[track_caller]
    pub fn same(&self, args: &[&str]) -> Outcome {
        self.same_in(".", args)
    }

    /// [`same`](Self::same) for a `repro` where dv moves `trashed` outputs aside (with a
    /// warning each) that dvc deletes silently: everything else is the same.
    #[track_caller]
    pub fn same_trashing(&self, args: &[&str], trashed: &[&str]) -> Outcome {
        let (mut ours, theirs) = self.both_in(".", args);
        let (stderr, named) = without_trash_warnings(&ours.stderr);
        assert_eq!(
            named,
            trashed,
            "outputs moved aside by `{}`",
            args.join(" ")
        );
        ours.stderr = stderr;
        assert_eq!(ours, theirs, "`{}`", args.join(" "));
        ours
    }

    /// Asserts that `file` has the same content in both (or is missing from both).
    #[track_caller]
    pub fn same_file(&self, file: &str) {
        let read = |repo: &TestRepo| repo.exists(file).then(|| repo.read(file));
        assert_eq!(read(&self.ours), read(&self.theirs), "{file}");
    }

    /// Asserts that both caches hold the same objects.
    #[track_caller]
    pub fn same_cache(&self) {
        let objects = |repo: &TestRepo| {
            let files = repo.path(".dvc/cache/files");
            if !files.is_dir() {
                return Vec::new();
            }
            crate::files_under(&files)
                .into_iter()
                .map(|(path, _)| path)
                .collect::<Vec<_>>()
        };
        assert_eq!(objects(&self.ours), objects(&self.theirs));
    }
}
