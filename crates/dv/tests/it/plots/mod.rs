//! `plots show`, `plots diff` and `plots templates`: on one repository with a top-level CSV
//! plot, TSV and YAML plots, a plot of two files, an image plot, a stage's cached JSON plot and
//! its uncached YAML plot, two commits and a branch, dv must print what dvc prints (stdout,
//! stderr, exit code) and write the same page and images, byte for byte.
//!
//! `browser`: dv's page rendered in headless Chromium shows every chart.

mod browser;

use dv_test::{Outcome, TestRepo, files_under, run};

use crate::support::{commit_all, dv, dvc, succeed};

const DVC_YAML: &str = "\
plots:
  - plots/loss.csv
  - logs/scores.tsv:
      template: simple
  - logs/points.yaml:
      x: px
      y: py
      title: Points
  - both:
      x: step
      y:
        plots/loss.csv: loss
        logs/val.csv: loss
  - img/confusion.png
stages:
  train:
    cmd: python3 train.py
    deps:
      - train.py
    plots:
      - metrics.json:
          x: epoch
          y: acc
      - history.yaml:
          cache: false
          template: scatter
          x: lr
          y: score
";

/// Writes `metrics.json` and `history.yaml` from the numbers in `train.py`.
fn train_script(scale: f64) -> String {
    format!(
        "import json\n\
         scale = {scale}\n\
         json.dump({{'train': [{{'epoch': i, 'acc': i * scale}} for i in range(3)]}}, \
         open('metrics.json', 'w'))\n\
         open('history.yaml', 'w').write(''.join(\
         f'- lr: {{0.1 * (i + 1)}}\\n  score: {{i * scale}}\\n' for i in range(2)))\n"
    )
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xfc, 0xcf, 0xc0, 0x50,
    0x0f, 0x00, 0x04, 0x85, 0x01, 0x80, 0x84, 0xa9, 0x8c, 0x21, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The repository: commit one on `main` (branch `first` kept there), commit two with new data
/// and a re-run stage, then workspace edits of a top-level plot and of the image.
pub(crate) fn plots_repo() -> TestRepo {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    repo.write("dvc.yaml", DVC_YAML);
    repo.write("train.py", train_script(0.25));
    repo.write(
        "plots/loss.csv",
        "step,loss,acc\n0,0.9,0.1\n1,0.5,0.6\n2,0.3,0.8\n",
    );
    repo.write("logs/val.csv", "step,loss\n0,1.0\n1,0.7\n2,0.6\n");
    repo.write("logs/scores.tsv", "step\tscore\n0\t1\n1\t\"2\"\n");
    repo.write(
        "logs/points.yaml",
        "- {px: 1, py: 2.5}\n- {px: 2, py: 1e3}\n",
    );
    repo.write("img/confusion.png", PNG);
    succeed(&repo, "dvc", &["repro", "-q"]);
    commit_all(&repo, "one");
    repo.git(&["branch", "-M", "main"]);
    repo.git(&["branch", "first"]);

    repo.write("train.py", train_script(0.5));
    repo.write(
        "plots/loss.csv",
        "step,loss,acc\n0,0.8,0.2\n1,0.4,0.7\n2,0.2,0.9\n",
    );
    repo.write("logs/points.yaml", "- {px: 1, py: 3}\n- {px: 2, py: 4}\n");
    succeed(&repo, "dvc", &["repro", "-q"]);
    commit_all(&repo, "two");

    repo.write("plots/loss.csv", "step,loss,acc\n0,0.7,0.3\n1,0.3,0.8\n");
    repo.write("img/confusion.png", [PNG, b"workspace"].concat());
    repo
}

/// What a command did and the files it left in `out` (relative path, bytes), `out` removed
/// before and after.
fn run_with_pages(repo: &TestRepo, tool: &str, args: &[&str], out: &str) -> (Outcome, Files) {
    let dir = repo.path(out);
    let _ = std::fs::remove_dir_all(&dir);
    let outcome = match tool {
        "dv" => dv(repo, args),
        _ => dvc(repo, args),
    };
    let files = if dir.is_dir() {
        files_under(&dir)
    } else {
        Vec::new()
    };
    let _ = std::fs::remove_dir_all(&dir);
    (without_support_footer(outcome), files)
}

type Files = Vec<(String, Vec<u8>)>;

/// DVC ends an unexpected error with a pointer to its support page; dv does not.
fn without_support_footer(mut outcome: Outcome) -> Outcome {
    if let Some(start) = outcome.stderr.find("\n\nHaving any troubles?") {
        outcome.stderr.truncate(start);
        outcome.stderr.push('\n');
    }
    outcome
}

/// dv and dvc print the same and write the same files into `out`; returns dv's outcome.
#[track_caller]
fn assert_same_in(repo: &TestRepo, args: &[&str], out: &str) -> (Outcome, Files) {
    let (theirs, their_files) = run_with_pages(repo, "dvc", args, out);
    let (ours, our_files) = run_with_pages(repo, "dv", args, out);
    assert_eq!(
        ours.code, theirs.code,
        "{args:?}:\n{ours}\nvs dvc:\n{theirs}"
    );
    assert_eq!(ours.stdout, theirs.stdout, "{args:?} stdout");
    assert_eq!(ours.stderr, theirs.stderr, "{args:?} stderr");
    let names = |files: &Files| {
        files
            .iter()
            .map(|(name, _)| name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&our_files),
        names(&their_files),
        "{args:?}: files in {out}"
    );
    for ((name, ours), (_, theirs)) in our_files.iter().zip(&their_files) {
        assert!(
            ours == theirs,
            "{args:?}: {out}/{name} differs:\n{}\nvs dvc:\n{}",
            String::from_utf8_lossy(ours),
            String::from_utf8_lossy(theirs)
        );
    }
    (ours, our_files)
}

#[track_caller]
fn assert_same(repo: &TestRepo, args: &[&str]) -> (Outcome, Files) {
    assert_same_in(repo, args, "dvc_plots")
}

#[test]
fn show_writes_the_page_and_images_dvc_writes() {
    let repo = plots_repo();
    let (outcome, files) = assert_same(&repo, &["plots", "show"]);
    assert_eq!(outcome.stdout, "file://[ROOT]/dvc_plots/index.html\n");
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        vec!["index.html", "static/workspace_img_confusion.png"]
    );
    let page = String::from_utf8_lossy(&files[0].1).into_owned();
    for id in [
        "plots_loss_csv",
        "logs_scores_tsv",
        "both",
        "metrics_json",
        "img_confusion_png",
    ] {
        assert!(
            page.contains(&format!("id = \"{id}\"")) || page.contains(&format!("id=\"{id}\"")),
            "{id}"
        );
    }
}

#[test]
fn show_json_split_and_show_vega_match_dvc() {
    let repo = plots_repo();
    let (json, _) = assert_same(&repo, &["plots", "show", "--json"]);
    // CSV values stay strings; the position becomes `step`; every datapoint has its revision.
    assert!(
        json.stdout
            .contains(r#"{"step": 0, "loss": "0.7", "acc": "0.3", "rev": "workspace"}"#)
    );
    assert_same(&repo, &["plots", "show", "--json", "--split"]);
    let (vega, _) = assert_same(&repo, &["plots", "show", "--show-vega", "metrics.json"]);
    assert!(
        vega.stdout
            .starts_with(r#"{"$schema": "https://vega.github.io/schema/vega-lite/v5.json""#)
    );
    assert_same(&repo, &["plots", "show", "--show-vega"]);
    assert_same(&repo, &["plots", "show", "--show-vega", "a", "b"]);
    assert_same(&repo, &["plots", "show", "--show-vega", "--json", "a"]);
}

#[test]
fn show_targets_and_properties_match_dvc() {
    let repo = plots_repo();
    assert_same(
        &repo,
        &[
            "plots",
            "show",
            "--json",
            "logs/scores.tsv",
            "img/confusion.png",
        ],
    );
    assert_same(&repo, &["plots", "show", "--json", "^both", "metrics"]);
    assert_same(&repo, &["plots", "show", "--json", "missing.csv"]);
    assert_same(
        &repo,
        &[
            "plots",
            "show",
            "--json",
            "-t",
            "simple",
            "-x",
            "step",
            "-y",
            "loss",
            "--title",
            "T",
            "--x-label",
            "X",
            "--y-label",
            "Y",
            "plots/loss.csv",
        ],
    );
    assert_same(
        &repo,
        &["plots", "show", "--json", "--no-header", "plots/loss.csv"],
    );
    assert_same_in(&repo, &["plots", "show", "-o", "elsewhere"], "elsewhere");
}

#[test]
fn diff_reads_old_revisions_from_git_and_the_cache() {
    let repo = plots_repo();
    // The cached stage output of the first commit is only in the cache.
    let (json, _) = assert_same(&repo, &["plots", "diff", "HEAD~1", "--json"]);
    assert!(
        json.stdout
            .contains(r#""revisions": ["workspace", "HEAD~1"]"#)
    );
    assert!(
        json.stdout
            .contains(r#"{"epoch": 2, "acc": 0.5, "rev": "HEAD~1"}"#)
    );
    assert_same(&repo, &["plots", "diff", "HEAD~1"]);
    assert_same(&repo, &["plots", "diff", "main", "first"]);
    assert_same(&repo, &["plots", "diff", "main", "first", "--json"]);
    assert_same(&repo, &["plots", "diff", "--json"]);
    assert_same(
        &repo,
        &[
            "plots",
            "diff",
            "first",
            "--targets",
            "metrics.json",
            "--json",
        ],
    );
    assert_same(&repo, &["plots", "diff", "no-such-rev"]);
}

#[test]
fn templates_match_dvc() {
    let repo = plots_repo();
    let (list, _) = assert_same(&repo, &["plots", "templates"]);
    assert_eq!(list.stdout.lines().count(), 9);
    for name in list.stdout.lines() {
        assert_same(&repo, &["plots", "templates", name]);
    }
    assert_same(&repo, &["plots", "templates", "nope"]);
    // dvc 3.67.1 has no `-o` here: an argument error (its usage text is argparse's).
    assert_eq!(dv(&repo, &["plots", "templates", "-o", "dir"]).code, 254);
    assert_eq!(dvc(&repo, &["plots", "templates", "-o", "dir"]).code, 254);
}

#[test]
fn a_repository_without_plots_writes_no_page() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    let (outcome, files) = assert_same(&repo, &["plots", "show"]);
    assert_eq!(
        outcome.stderr,
        "No plots were loaded, visualization file will not be created.\n"
    );
    assert!(files.is_empty());
    assert_same(&repo, &["plots", "show", "--json"]);
    // No commits: nothing to compare.
    assert_same(&repo, &["plots", "diff"]);
    commit_all(&repo, "init");
    assert_same(&repo, &["plots", "diff"]);
}

#[test]
fn broken_data_files_and_definitions_are_reported_as_dvc_reports_them() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    repo.write(
        "dvc.yaml",
        "plots:\n  - bad.json\n  - missing.csv\n  - notes.txt\n  - good.json:\n      x: nope\n      y: b\n",
    );
    repo.write("bad.json", "[{\"a\": 1},");
    repo.write("notes.txt", "text\n");
    repo.write("good.json", "[{\"a\": 1, \"b\": 2}]");
    let (outcome, _) = assert_same(&repo, &["plots", "show"]);
    assert!(
        outcome
            .stderr
            .contains("DVC failed to load some plots for following revisions: 'workspace'.")
    );
    assert!(
        outcome
            .stderr
            .contains("WARNING: In 'workspace', could not find provided field ('nope')")
    );
    let (json, _) = assert_same(&repo, &["plots", "show", "--json"]);
    assert!(json.stdout.contains(r#""type": "JSONFileCorruptedError""#));

    // A template that does not exist ends the command as an unexpected error.
    repo.write("dvc.yaml", "plots:\n  - good.json:\n      template: nope\n");
    let (failure, _) = assert_same(&repo, &["plots", "show"]);
    assert_eq!(failure.code, 255);

    // A broken `dvc.yaml` is the revision's error.
    repo.write(
        "dvc.yaml",
        "plots:\n  - good.json\nstages:\n  a:\n    cmd: [\n",
    );
    assert_same(&repo, &["plots", "show", "--json"]);
    assert_same(&repo, &["plots", "show"]);
}

#[test]
fn pages_dvc_cannot_render_fail_as_dvc_fails() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    repo.write("dvc.yaml", "plots:\n  - imgs\n  - a.csv\n");
    repo.write("a.csv", "x,y\n1,2\n");
    repo.write("imgs/2.png", PNG);
    repo.write("imgs/10.png", PNG);
    // Numbered images sort by number.
    let (_, files) = assert_same(&repo, &["plots", "show"]);
    assert_eq!(files.len(), 3);
    // An image named by digits and one that is not, in one directory: DVC's sort fails
    // comparing `None` with a number, after making the page's directory.
    repo.write("imgs/b.png", PNG);
    let (failure, files) = assert_same(&repo, &["plots", "show"]);
    assert_eq!(failure.code, 255);
    assert!(files.iter().all(|(name, _)| name.starts_with("static/")));
    // The page's directory is made without its parents.
    std::fs::remove_file(repo.path("imgs/b.png")).unwrap();
    repo.write("dvc.yaml", "plots:\n  - a.csv\n");
    let (failure, _) = assert_same_in(&repo, &["plots", "show", "-o", "x/y"], "x");
    assert_eq!(failure.code, 255);
}

/// A cloned repository cannot make `plots show` write outside it: a committed `dvc_plots`
/// link is refused before anything is written, and a link where an image goes is replaced,
/// not written through.
#[test]
fn links_in_the_repository_never_carry_the_page_outside() {
    let repo = plots_repo();
    let outside = repo.temp_dir().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, repo.path("dvc_plots")).unwrap();
    let refused = dv(&repo, &["plots", "show"]);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(
        refused.stderr.contains("ERROR: refusing to write") && refused.stderr.contains("dvc_plots"),
        "{refused:?}"
    );
    assert!(files_under(&outside).is_empty(), "nothing written outside");

    std::fs::remove_file(repo.path("dvc_plots")).unwrap();
    let victim = outside.join("victim");
    std::fs::write(&victim, "keep me\n").unwrap();
    run(repo.dv().args(["plots", "show"])).success();
    for (name, _) in files_under(&repo.path("dvc_plots/static")) {
        let path = repo.path(&format!("dvc_plots/static/{name}"));
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&victim, &path).unwrap();
    }
    std::fs::remove_file(repo.path("dvc_plots/index.html")).unwrap();
    std::os::unix::fs::symlink(&victim, repo.path("dvc_plots/index.html")).unwrap();
    run(repo.dv().args(["plots", "show"])).success();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
    assert!(
        !std::fs::symlink_metadata(repo.path("dvc_plots/index.html"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}
