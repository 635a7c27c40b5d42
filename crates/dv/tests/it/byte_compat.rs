//! Files dv writes in repositories it shares with dvc, byte for byte as dvc writes them, so a
//! mixed team's git history does not churn: `fs_config` of URL imports, granular `add` inside
//! a tracked directory, `commit` of a `.dvc` file, `freeze`/`unfreeze` of long commands,
//! `update` with `core.autostage`, and the cache's shard directories. Each against the oracle
//! dvc in a twin repository, and where files are written, each tool reading the other's.
//!
//! The S3 tests need the pinned `moto_server` (`DV_VENV_DIR`, see `dv_test::venv`).

use dv_test::twins::Twins;
use dv_test::{Outcome, S3Server, TestRepo, run};

/// Shared AWS credentials and region in each repository's isolated home, read alike by dvc
/// (botocore) and dv: URL imports of `s3://` carry no credentials of their own.
const AWS_HOME: &str = "mkdir -p \"$HOME/.aws\" && \
    printf '[default]\\naws_access_key_id = test\\naws_secret_access_key = test\\n' > \"$HOME/.aws/credentials\" && \
    printf '[default]\\nregion = us-east-1\\n' > \"$HOME/.aws/config\"";

fn dv(repo: &TestRepo, args: &[&str]) -> Outcome {
    run(repo.dv().args(args)).redacted(repo)
}

fn dvc(repo: &TestRepo, args: &[&str]) -> Outcome {
    run(repo.dvc().args(args)).redacted(repo)
}

/// The sorted lines of a stream: dvc prints some lists in a random order.
fn sorted_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines
}

/// `import-url --fs-config endpointurl=...`: the options are recorded on the dependency as dvc
/// records them (in the order given, string values), the import's source is read through
/// them by `update` and `pull` (not through AWS), and `update` keeps them.
#[test]
fn fs_config_of_url_imports_matches_dvc_both_ways() {
    let server = S3Server::start();
    server.create_bucket("src");
    server.put_object("src", "data/file.csv", b"a,b\n1,2\n");
    server.put_object("src", "data/dir/x.txt", b"x\n");
    server.put_object("src", "data/dir/y/z.txt", b"zz\n");
    let endpoint = format!("endpointurl={}", server.endpoint);
    let twins = Twins::new(AWS_HOME);
    let imports: &[&[&str]] = &[
        &[
            "import-url",
            "s3://src/data/file.csv",
            "--fs-config",
            "region=us-east-1",
            &endpoint,
            "use_ssl=false",
        ],
        &[
            "import-url",
            "--fs-config",
            &endpoint,
            "--",
            "s3://src/data/dir",
            "imported",
        ],
        &[
            "import-url",
            "--no-download",
            "s3://src/data/file.csv",
            "nodl.csv",
            "--fs-config",
            &endpoint,
        ],
    ];
    for args in imports {
        twins.same(args);
    }
    let files = [
        "file.csv.dvc",
        "imported.dvc",
        "nodl.csv.dvc",
        ".gitignore",
        "file.csv",
        "imported/x.txt",
        "imported/y/z.txt",
    ];
    for file in files {
        twins.same_file(file);
    }
    assert!(
        twins
            .ours
            .read("file.csv.dvc")
            .contains("  fs_config:\n    region: us-east-1\n    endpointurl: http://"),
        "{}",
        twins.ours.read("file.csv.dvc")
    );
    assert!(!twins.ours.read("file.csv.dvc").contains("push: false"));
    // An option the source's filesystem does not know is dvc's config error.
    twins.same(&[
        "import-url",
        "s3://src/data/file.csv",
        "bad.csv",
        "--fs-config",
        "bogus=1",
    ]);
    twins.each("git add -A && git commit -qm imports");

    // Each tool on the other's files: nothing changed, then the sources change and `update`
    // re-imports through the recorded endpoint, keeping `fs_config`.
    let (ours, theirs) = (&twins.ours, &twins.theirs);
    let args = ["update", "file.csv.dvc", "imported.dvc"];
    let (a, b) = (dv(theirs, &args), dvc(ours, &args));
    assert_eq!(
        (a.code, sorted_lines(&a.stdout)),
        (b.code, sorted_lines(&b.stdout)),
        "{a}\n{b}"
    );
    // `pull` of the no-download import reads its source through the recorded endpoint.
    let args = ["pull", "nodl.csv.dvc"];
    let (a, b) = (dv(theirs, &args), dvc(ours, &args));
    assert_eq!((a.code, &a.stdout), (b.code, &b.stdout), "{a}\n{b}");
    twins.same_file("nodl.csv");
    twins.same_file("nodl.csv.dvc");

    let args = ["update", "file.csv.dvc", "imported.dvc"];
    server.put_object("src", "data/file.csv", b"a,b\n3,4\n");
    server.put_object("src", "data/dir/new.txt", b"new\n");
    let (a, b) = (dv(theirs, &args), dvc(ours, &args));
    assert_eq!(
        (a.code, sorted_lines(&a.stdout)),
        (b.code, sorted_lines(&b.stdout)),
        "{a}\n{b}"
    );
    for file in files {
        twins.same_file(file);
    }
    twins.same_file("imported/new.txt");
    assert_eq!(theirs.read("file.csv"), "a,b\n3,4\n");
    assert!(theirs.read("file.csv.dvc").contains("fs_config:"));

    twins.same(&["status"]);
}

/// `add d/x` inside a tracked directory `d` keeps `size` in `d.dvc` as dvc does: grown by a
/// new file's or directory's size, kept when nothing changed, dropped when an entry is
/// replaced (and then stays dropped), dropped for a directory tracked empty.
#[test]
fn adding_inside_a_tracked_directory_keeps_size_as_dvc() {
    let twins = Twins::new(
        "mkdir -p data/sub empty && echo a > data/a && echo s > data/sub/s && touch empty/.keep && \
         rm empty/.keep && $DVC add -q data empty && git add -A && git commit -qm data",
    );
    let steps: &[(&str, &str)] = &[
        ("echo new > data/new", "data/new"),
        (
            "mkdir -p data/t/u && echo x > data/t/x && echo yy > data/t/u/y",
            "data/t",
        ),
        ("true", "data/a"),
        ("echo z > data/sub/z", "data/sub/z"),
        ("echo changed > data/a", "data/a"),
        ("echo later > data/later", "data/later"),
        ("echo e > empty/e", "empty/e"),
    ];
    for (change, target) in steps {
        twins.each(change);
        twins.same(&["add", target]);
        twins.same_file("data.dvc");
        twins.same_file("empty.dvc");
    }
    // Each tool reads the other's file as its own.
    for repo in [&twins.ours, &twins.theirs] {
        assert_eq!(dv(repo, &["status"]), dvc(repo, &["status"]));
    }
}

/// `commit -f` of `.dvc` files dvc wrote, after their data changed: the same bytes as dvc's
/// commit, keys kept where they were (a file of an older dvc without `hash:`, keys in an
/// unusual order, annotations, an executable bit gained and lost, imports).
#[test]
fn commit_rewrites_dvc_files_as_dvc() {
    let twins = Twins::new(
        "echo f > f.txt && echo g > g.txt && echo e > e.sh && chmod +x e.sh && \
         mkdir -p d ext/dir && echo 1 > d/1 && echo x > ext/x && echo y > ext/dir/y && \
         $DVC add -q f.txt g.txt e.sh d && \
         printf 'outs:\\n- md5: 9ffbf43126e33be52cd2bf7e01d627f9\\n  size: 2\\n  path: f.txt\\n' > f.txt.dvc && \
         printf 'outs:\\n- desc: x\\n  path: g.txt\\n  cache: true\\n  remote: r\\n  meta:\\n    k: v\\n' > g.txt.dvc && \
         printf 'outs:\\n- path: d\\n  md5: 562ee692a592790b08e880eff9046f72.dir\\n  nfiles: 2\\n  hash: md5\\n' > d.dvc && \
         $DVC import-url -q ext/x imp.txt && $DVC import-url -q ext/dir impd && \
         $DVC import-url -q --no-download ext/x nd.txt && \
         git add -A && git commit -qm data && \
         echo ff > f.txt && echo gg > g.txt && chmod -x e.sh && echo 3 > d/3 && chmod +x d/1 && \
         echo changed > imp.txt && echo z > impd/z && echo n > nd.txt",
    );
    twins.same(&["commit", "-f", "g.txt.dvc"]);
    twins.same_file("g.txt.dvc");
    twins.same(&["commit", "-f"]);
    for file in [
        "f.txt.dvc",
        "g.txt.dvc",
        "e.sh.dvc",
        "d.dvc",
        "imp.txt.dvc",
        "impd.dvc",
        "nd.txt.dvc",
    ] {
        twins.same_file(file);
    }
    twins.same_cache();
    twins.each("chmod +x f.txt && git add -A && git commit -qm again");
    twins.same(&["commit", "-f"]);
    twins.same_file("f.txt.dvc");
    for repo in [&twins.ours, &twins.theirs] {
        assert_eq!(dv(repo, &["status"]), dvc(repo, &["status"]));
    }
}

/// A hand-written `dvc.yaml` (long one-line commands, quotes it does not need, other
/// indentation, comments and blank lines): `freeze`, `unfreeze` and `stage add` write it back
/// as dvc's round trip does — long commands folded at 80 columns, each comment and blank line
/// after the entry it follows, gone with a deleted entry — in both tools alike.
#[test]
fn freeze_unfreeze_and_stage_add_rewrite_hand_written_pipelines_as_dvc() {
    let long = "python -c 'import sys; open(\"out.txt\", \"w\").write(\"a very long command line that goes past eighty columns\")' --and-more";
    let text = format!(
        "# top comment\n\nstages:\n  # the first\n  long:\n      cmd: {long}\n      outs:\n        - out.txt\n\n  other:\n    cmd: \"echo x > o2.txt\"\n    frozen: true\n\n  # third\n  third:\n    cmd:\n    - echo \"another very long command line that goes past eighty columns for sure, yes\" > o3.txt\n    - echo short\n# trailing\n"
    );
    let twins = Twins::new("true");
    twins.ours.write("dvc.yaml", &text);
    twins.theirs.write("dvc.yaml", &text);
    let steps: &[&[&str]] = &[
        &["freeze", "long"],
        &["unfreeze", "other"],
        &["freeze", "third"],
        &["unfreeze", "long"],
        &["stage", "add", "-n", "added", "-o", "added.txt", long],
        &[
            "stage",
            "add",
            "-f",
            "-n",
            "other",
            "-o",
            "o2.txt",
            "echo y > o2.txt",
        ],
    ];
    for args in steps {
        twins.same(args);
        twins.same_file("dvc.yaml");
    }
    assert!(
        twins
            .ours
            .read("dvc.yaml")
            .lines()
            .all(|line| line.len() <= 81),
        "{}",
        twins.ours.read("dvc.yaml")
    );
    twins.same(&["status"]);
}

/// With `core.autostage`, `import-url` stages its files but `update` stages nothing, as in
/// dvc.
#[test]
fn update_stages_nothing_with_autostage_as_dvc() {
    let twins = Twins::new("$DVC config core.autostage true && mkdir ext && echo 1 > ext/f");
    let staged = |twins: &Twins| {
        twins.same_file(".gitignore");
        let status = |repo: &TestRepo| repo.git(&["status", "--short", "--untracked-files=no"]);
        assert_eq!(status(&twins.ours), status(&twins.theirs));
        status(&twins.ours)
    };
    twins.same(&["import-url", "ext/f", "f"]);
    assert!(staged(&twins).contains("A  f.dvc"));
    twins.each("git commit -qm import && echo 2 > ext/f");
    twins.same(&["update", "f.dvc"]);
    twins.same_file("f.dvc");
    assert!(staged(&twins).contains(" M f.dvc"));

    // A source inside the repository given as an absolute path is recorded relative to the
    // `.dvc` file and shown relative to the working directory.
    twins.each("mkdir sub && echo 3 > ext/g");
    let absolute = |repo: &TestRepo| repo.path("ext/g").display().to_string();
    let a = run(twins.ours.dv().current_dir(twins.ours.path("sub")).args([
        "import-url",
        &absolute(&twins.ours),
        "g",
    ]));
    let b = run(twins
        .theirs
        .dvc()
        .current_dir(twins.theirs.path("sub"))
        .args(["import-url", &absolute(&twins.theirs), "g"]));
    assert_eq!(a, b);
    assert_eq!(a.stdout, "Importing '../ext/g' -> 'g'\n");
    twins.same_file("sub/g.dvc");
}

/// The empty directories under `dir` (relative to the repository root), sorted.
fn empty_dirs(repo: &TestRepo, dir: &str) -> Vec<String> {
    fn walk(path: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        let entries: Vec<_> = entries.flatten().collect();
        if entries.is_empty() {
            out.push(path.strip_prefix(root).unwrap().display().to_string());
        }
        for entry in entries {
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), root, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo.path(dir), repo.root(), &mut out);
    out.sort();
    out
}

/// Shard directories of the cache and of a local remote left empty: after a fetch that misses
/// an object (both keep the shard made for it), one that meets a corrupted object (dvc stores
/// it, dv refuses it and removes the shard it made), and after `gc -w -c` (both keep the
/// emptied shards).
#[test]
fn empty_cache_shards_match_dvc() {
    let twins = Twins::new(
        "$DVC remote add -q -d loc ../remote && mkdir data && echo 1 > data/1 && \
         echo 2 > data/2 && echo 3 > data/3 && echo x > x.txt && $DVC add -q data x.txt && \
         $DVC push -q && git add -A && git commit -qm data && rm -rf .dvc/cache data x.txt && \
         rm ../remote/files/md5/6d/7fce9fee471194aa8b5b6e47267f03 && \
         chmod u+w ../remote/files/md5/26/ab0db90d72e28ad0ba1e22ee510510 && \
         echo corrupted > ../remote/files/md5/26/ab0db90d72e28ad0ba1e22ee510510",
    );
    let (ours, theirs) = (&twins.ours, &twins.theirs);
    for args in [&["fetch", "-q"][..], &["pull", "-q"]] {
        assert_eq!(dv(ours, args).code, 1);
        dvc(theirs, args);
        assert_eq!(
            empty_dirs(ours, ".dvc/cache"),
            vec![".dvc/cache/files/md5/6d"],
            "{args:?}"
        );
        assert_eq!(
            empty_dirs(ours, ".dvc/cache"),
            empty_dirs(theirs, ".dvc/cache")
        );
    }
    // The same objects in both caches, then some of them unused.
    twins.each(
        "rm -rf .dvc/cache && $DVC pull -q x.txt.dvc && echo 9 > y.txt && $DVC add -q y.txt && \
         $DVC push -q y.txt.dvc && rm y.txt.dvc && git rm -q data.dvc",
    );
    twins.same_cache();
    twins.same(&["gc", "-w", "-c", "-f"]);
    twins.same_cache();
    assert!(!empty_dirs(ours, ".dvc/cache").is_empty());
    assert_eq!(
        empty_dirs(ours, ".dvc/cache"),
        empty_dirs(theirs, ".dvc/cache")
    );
    let remote = |repo: &TestRepo| {
        let root = repo.temp_dir().join("remote/files/md5");
        let mut dirs: Vec<String> = std::fs::read_dir(root)
            .unwrap()
            .flatten()
            .map(|entry| {
                let empty = std::fs::read_dir(entry.path()).unwrap().next().is_none();
                format!("{} {empty}", entry.file_name().to_string_lossy())
            })
            .collect();
        dirs.sort();
        dirs
    };
    assert_eq!(remote(ours), remote(theirs));
}
