//! `artifacts get` from a model registry made with the real dvc and gto (an `artifacts:`
//! section in `dvc.yaml`, data pushed to a local remote, GTO version and stage tags): dv runs
//! in one directory beside the registry and dvc in another, and both must print the same
//! (stdout, stderr, exit code) and leave the same files.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use dv_test::{Outcome, TestRepo, files_under, run};

/// The registry's root `dvc.yaml`.
const DVC_YAML: &str = "artifacts:\n  model:\n    path: model.bin\n    type: model\n";

/// A registry in `repo`'s root and a directory each for dv (`ours`) and dvc (`theirs`) next to
/// it, which name it `../work`.
struct Registry {
    repo: TestRepo,
    ours: PathBuf,
    theirs: PathBuf,
}

impl Registry {
    /// Runs `script` in the registry (`$DVC` is the oracle, `$GTO` its gto), asserting it
    /// succeeds.
    fn sh(&self, script: &str) {
        let dvc = dv_test::venv::dvc_bin();
        let gto = dvc.with_file_name("gto");
        let outcome = run(self
            .repo
            .command("sh")
            .env("DVC", &dvc)
            .env("GTO", &gto)
            .args(["-c", script]));
        assert_eq!(outcome.code, 0, "`{script}` failed:\n{outcome}");
    }

    /// `model.bin` in two versions (`v1.0.0`, `v1.1.0`), `v1.0.0` assigned to `prod`, pushed
    /// to `../remote`.
    fn new() -> Registry {
        let repo = TestRepo::new();
        let ours = repo.temp_dir().join("ours");
        let theirs = repo.temp_dir().join("theirs");
        for dir in [&ours, &theirs] {
            std::fs::create_dir(dir).unwrap();
        }
        repo.write("dvc.yaml", DVC_YAML);
        let registry = Registry { repo, ours, theirs };
        registry.sh(
            "$DVC init -q && echo v1 > model.bin && $DVC add -q model.bin \
             && $DVC remote add -q -d store ../remote && $DVC push -q \
             && git add -A && git commit -qm one && $GTO register model --version v1.0.0 \
             && echo v2 > model.bin && $DVC add -q model.bin && $DVC push -q \
             && git add -A && git commit -qm two && $GTO register model --version v1.1.0 \
             && $GTO assign model --version v1.0.0 --stage prod",
        );
        registry
    }

    /// `args` run by dv in `ours` and by dvc in `theirs`: the same output, exit code and files.
    fn same(&self, args: &[&str]) -> Outcome {
        let ours = run(self.repo.dv().current_dir(&self.ours).args(args)).redacted(&self.repo);
        let theirs = run(self.repo.dvc().current_dir(&self.theirs).args(args)).redacted(&self.repo);
        assert_eq!(
            ours, theirs,
            "{args:?}\n--- dv ---\n{ours}\n--- dvc ---\n{theirs}"
        );
        assert_eq!(files(&self.ours), files(&self.theirs), "{args:?}");
        ours
    }
}

/// The files under `dir` with their modes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>, u32)> {
    files_under(dir)
        .into_iter()
        .map(|(name, bytes)| {
            let mode = std::fs::metadata(dir.join(&name))
                .unwrap()
                .permissions()
                .mode();
            (name, bytes, mode & 0o777)
        })
        .collect()
}

#[test]
fn downloads_versions_and_stages_like_dvc() {
    let registry = Registry::new();
    let url = "../work";
    let got = registry.same(&["artifacts", "get", url, "model"]);
    assert_eq!(got.stdout, "Downloaded 1 file(s) to 'model.bin'\n");
    assert_eq!(
        std::fs::read(registry.ours.join("model.bin")).unwrap(),
        b"v2\n"
    );
    // An existing output is kept without `-f`, replaced with it.
    let refused = registry.same(&["artifacts", "get", url, "model", "--rev", "v1.0.0"]);
    assert_eq!(refused.code, 1, "{refused}");
    registry.same(&["artifacts", "get", url, "model", "--rev", "v1.0.0", "-f"]);
    assert_eq!(
        std::fs::read(registry.ours.join("model.bin")).unwrap(),
        b"v1\n"
    );
    registry.same(&[
        "artifacts",
        "get",
        url,
        "model",
        "--stage",
        "prod",
        "-o",
        "prod.bin",
    ]);
    assert_eq!(
        std::fs::read(registry.ours.join("prod.bin")).unwrap(),
        b"v1\n"
    );
    for dir in [&registry.ours, &registry.theirs] {
        std::fs::create_dir(dir.join("into")).unwrap();
    }
    for args in [
        &["artifacts", "get", url, "model", "-o", "into"][..],
        &["artifacts", "get", url, "model", "-o", "into/"],
        &["artifacts", "get", url, "model", "-o", "new/nested/m.bin"],
        &[
            "artifacts",
            "get",
            url,
            "model",
            "-j",
            "2",
            "-o",
            "jobs.bin",
        ],
        // Versions are GTO's, not git revisions; none and both are errors.
        &["artifacts", "get", url, "model", "--rev", "v9.0.0"],
        &["artifacts", "get", url, "model", "--rev", "1.0.0"],
        &["artifacts", "get", url, "model", "--stage", "dev"],
        &[
            "artifacts",
            "get",
            url,
            "model",
            "--rev",
            "v1.0.0",
            "--stage",
            "prod",
        ],
        &["artifacts", "get", url, "nope"],
        &["artifacts", "get", url, "model@v1.0.0"],
        &[
            "artifacts",
            "get",
            url,
            "model",
            "--remote",
            "nope",
            "-o",
            "r.bin",
        ],
        &["artifacts", "get", "-q", url, "nope"],
        // Where the data is stored, without downloading it.
        &["artifacts", "get", url, "model", "--show-url"],
        &[
            "artifacts",
            "get",
            url,
            "model",
            "--show-url",
            "--stage",
            "prod",
        ],
        &["artifacts", "get", url, "model", "--show-url", "-q"],
        &["artifacts", "get", url, "nope", "--show-url"],
    ] {
        registry.same(args);
    }
    let missing = registry.same(&["artifacts", "get", url, "nope"]);
    assert_eq!(
        missing.stderr,
        "ERROR: Failed to download artifact 'nope' via Studio - No studio config\n\
         ERROR: failed to get 'nope' from '../work' - Failed to download artifact 'nope' via \
         DVC remote: Unable to find artifact 'nope'\n"
    );
    // With a Studio token dvc would ask Studio first; dv never does, and says so.
    let with_token = run(registry
        .repo
        .dv()
        .current_dir(&registry.ours)
        .env("DVC_STUDIO_TOKEN", "secret")
        .args(["artifacts", "get", url, "nope"]));
    assert_eq!(with_token.code, 1, "{with_token}");
    assert!(
        with_token.stderr.starts_with(
            "ERROR: Failed to download artifact 'nope' via Studio - dv does not download \
             through Studio\n"
        ),
        "{with_token}"
    );
}

#[test]
fn reads_artifacts_declared_in_subdirectories() {
    let registry = Registry::new();
    registry.repo.write(
        "sub/dvc.yaml",
        "artifacts:\n  net:\n    path: d\n    type: model\n  notes:\n    path: notes.txt\n",
    );
    registry.repo.write("sub/d/a", "a\n");
    registry.repo.write("sub/d/b/c", "c\n");
    registry.repo.write("sub/notes.txt", "notes\n");
    registry.sh(
        "$DVC add -q sub/d && $DVC push -q && git add -A && git commit -qm sub \
         && $GTO register sub:net --version v0.1.0 \
         && $GTO register sub:notes --version v0.0.1",
    );
    let url = "../work";
    let dir = registry.same(&["artifacts", "get", url, "sub:net"]);
    assert_eq!(dir.stdout, "Downloaded 2 file(s) to 'd'\n");
    // A git-tracked artifact, named through its dvc.yaml.
    registry.same(&["artifacts", "get", url, "sub/dvc.yaml:notes"]);
    assert!(registry.ours.join("notes.txt").exists());
    // Tags of artifacts their dvc.yaml does not declare (any more).
    registry.sh(
        "git tag -a 'other@v1.0.0' -m other HEAD && git tag -a 'sub=gone@v1.0.0' -m gone HEAD \
         && git tag -a 'nodir=x@v1.0.0' -m x HEAD",
    );
    for args in [
        &["artifacts", "get", url, "sub:net", "--show-url"][..],
        &["artifacts", "get", url, "sub:notes", "--show-url"],
        &["artifacts", "get", url, "net"],
        &["artifacts", "get", url, "other"],
        &["artifacts", "get", url, "sub:gone"],
        &["artifacts", "get", url, "nodir:x"],
        &["artifacts", "get", url, "nodir:x", "--show-url"],
        // A directory inside the registry names the registry (DVC finds git above it).
        &[
            "artifacts",
            "get",
            "../work/sub",
            "sub:net",
            "-o",
            "from-sub",
        ],
        &["artifacts", "get", "../work/sub", "net"],
    ] {
        registry.same(args);
    }
}

#[test]
fn the_newest_assignment_and_greatest_version_win() {
    let registry = Registry::new();
    // `dev#10` is newer than `dev#9` although it sorts before it by name; a lightweight tag
    // is not a registry event; `only` has stage tags and no version.
    registry.sh(
        "tag() { GIT_COMMITTER_DATE=\"$1\" git tag -a \"$2\" -m \"$2\" \"$3\"; } \
         && tag 2024-01-02T00:00:00Z 'model#dev#10' HEAD~1 \
         && tag 2024-01-01T00:00:00Z 'model#dev#9' HEAD \
         && git tag 'model@v5.0.0' HEAD~1 \
         && tag 2024-01-01T00:00:00Z 'only#prod' HEAD",
    );
    let url = "../work";
    registry.same(&[
        "artifacts",
        "get",
        url,
        "model",
        "--stage",
        "dev",
        "-o",
        "dev.bin",
    ]);
    assert_eq!(
        std::fs::read(registry.ours.join("dev.bin")).unwrap(),
        b"v1\n"
    );
    registry.same(&["artifacts", "get", url, "model", "-o", "latest.bin"]);
    assert_eq!(
        std::fs::read(registry.ours.join("latest.bin")).unwrap(),
        b"v2\n"
    );
    let only = registry.same(&["artifacts", "get", url, "only"]);
    assert!(only.stderr.contains("list index out of range"), "{only}");
    registry.same(&["artifacts", "get", url, "only", "--stage", "prod"]);
}

#[test]
fn a_file_url_sees_tags_added_since_the_last_download() {
    let registry = Registry::new();
    let root = registry.repo.root().display().to_string();
    let url = format!("file://{root}");
    // A clone has no `../remote` beside it: name the remote's place.
    let remote = format!("url={}", registry.repo.temp_dir().join("remote").display());
    let get = |out: &str| {
        registry.same(&[
            "artifacts",
            "get",
            &url,
            "model",
            "-o",
            out,
            "--remote-config",
            &remote,
        ])
    };
    get("first.bin");
    assert_eq!(
        std::fs::read(registry.ours.join("first.bin")).unwrap(),
        b"v2\n"
    );
    // A greater version of the first commit (as GTO names and annotates it; GTO itself
    // refuses a second version of one commit): the source's HEAD did not move.
    registry.sh("git tag -a 'model@v2.0.0' -m 'Registering artifact model version v2.0.0' HEAD~1");
    get("second.bin");
    assert_eq!(
        std::fs::read(registry.ours.join("second.bin")).unwrap(),
        b"v1\n"
    );
}

#[test]
fn sources_without_a_registry_fail_like_dvc() {
    let registry = Registry::new();
    let plain = registry.repo.temp_dir().join("plain");
    std::fs::create_dir(&plain).unwrap();
    registry.same(&["artifacts", "get", "../plain", "model"]);
    let init = run(registry
        .repo
        .command("git")
        .current_dir(&plain)
        .args(["init", "-q"]));
    assert_eq!(init.code, 0, "{init}");
    registry.same(&["artifacts", "get", "../plain", "model"]);
}
