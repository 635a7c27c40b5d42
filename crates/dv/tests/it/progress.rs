//! Progress bars: drawn on stderr when it is a terminal (here a pseudo-terminal from
//! util-linux `script`), never on stdout, never with `-q`, and never when stderr is not a
//! terminal (what every byte-for-byte comparison with dvc relies on).

use dv_test::{TestRepo, run};

/// A repository with `data/` holding `files` small files.
fn repo_with_files(files: usize) -> TestRepo {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    for index in 0..files {
        repo.write(&format!("data/{index:03}.txt"), format!("file {index}\n"));
    }
    repo
}

/// Runs `dv ARGS` with stderr on a pseudo-terminal and stdout in `stdout.txt` (outside the
/// repository); returns what the terminal showed and what went to stdout.
fn on_terminal(repo: &TestRepo, args: &str) -> (String, String) {
    let stdout = repo.temp_dir().join("stdout.txt");
    let dv = repo.dv_process().get_program().to_owned();
    let command = format!("'{}' {args} > '{}'", dv.to_string_lossy(), stdout.display());
    let output = repo
        .command("script")
        .args(["-qec", &command, "/dev/null"])
        // The bar shows at once instead of after a second: this add is quick.
        .env("DV_PROGRESS_DELAY_MS", "0")
        .env("TERM", "xterm")
        .output()
        .expect("util-linux `script` runs");
    assert!(
        output.status.success(),
        "dv {args} failed on a terminal: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        std::fs::read_to_string(stdout).unwrap(),
    )
}

#[test]
fn add_shows_file_and_byte_counts_on_a_terminal_and_nothing_else_changes() {
    let ours = repo_with_files(300);
    let (terminal, stdout) = on_terminal(&ours, "add data");
    assert!(
        terminal.contains("Adding to cache: [")
            && terminal.contains("300/300 files, 2.5 KiB/2.5 KiB"),
        "no progress bar with counts on the terminal: {terminal:?}"
    );

    // stdout is what it is without a terminal, and a plain run's stderr has no progress text.
    let plain = repo_with_files(300);
    let expected = run(plain.dv().args(["add", "data"]));
    expected.success();
    assert_eq!(stdout, expected.stdout);
    assert_eq!(expected.stderr, "");
    assert!(!stdout.contains("files") && !stdout.contains('\x1b'));
    assert_eq!(ours.read("data.dvc"), plain.read("data.dvc"));
}

#[test]
fn quiet_shows_no_progress_even_on_a_terminal() {
    let repo = repo_with_files(50);
    let (terminal, stdout) = on_terminal(&repo, "add -q data");
    assert_eq!(terminal, "");
    assert_eq!(stdout, "");
    assert!(repo.exists("data.dvc"));
}

#[test]
fn checkout_counts_the_files_it_links() {
    let repo = repo_with_files(120);
    run(repo.dv().args(["add", "-q", "data"])).success();
    std::fs::remove_dir_all(repo.path("data")).unwrap();
    let (terminal, stdout) = on_terminal(&repo, "checkout");
    assert!(
        terminal.contains("Checking out: [") && terminal.contains("120/120 files"),
        "no progress bar with counts on the terminal: {terminal:?}"
    );
    assert_eq!(stdout, "A       data/\n");
}
