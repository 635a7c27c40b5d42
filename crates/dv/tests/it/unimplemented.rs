//! DVC commands dv does not have yet: every command name the real dvc 3.67.1 knows is either
//! implemented by dv or answered with one line pointing at dvc (exit code 1), whatever
//! arguments follow; `dv --help` does not list them; unknown names stay argument errors.

use dv_test::{TestRepo, run};

/// The names dv does not implement yet (dvc's hidden ones included).
const UNIMPLEMENTED: [&str; 7] = [
    "cache",
    "daemon",
    "dataset",
    "ds",
    "import-db",
    "studio",
    "test-db",
];

fn answer(name: &str) -> String {
    format!(
        "ERROR: 'dv {name}' is not implemented yet; run it with dvc (the repository is shared)\n"
    )
}

/// Every command name dvc accepts, from its parser's `invalid choice` error.
fn dvc_command_names(repo: &TestRepo) -> Vec<String> {
    let outcome = run(repo.dvc().arg("no-such-command"));
    assert_eq!(outcome.code, 254, "{outcome}");
    let list = outcome
        .stderr
        .split_once("(choose from ")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(list, _)| list.to_owned())
        .expect("dvc lists its commands");
    list.split(", ")
        .map(|name| name.trim_matches('\'').to_owned())
        .collect()
}

#[test]
fn every_dvc_command_is_implemented_or_answered_in_one_line() {
    let repo = TestRepo::new();
    let names = dvc_command_names(&repo);
    assert!(names.len() > 40, "{names:?}");
    let mut missing = Vec::new();
    for name in &names {
        let outcome = run(repo.dv().args([name.as_str(), "--help"]));
        if outcome.code == 0 {
            assert!(outcome.stdout.contains("Usage: dv "), "{name}: {outcome}");
            continue;
        }
        assert_eq!(outcome.code, 1, "{name}: {outcome}");
        assert_eq!(outcome.stderr, answer(name), "{name}");
        assert_eq!(outcome.stdout, "", "{name}");
        missing.push(name.clone());
    }
    missing.sort();
    assert_eq!(missing, UNIMPLEMENTED);
}

#[test]
fn any_arguments_are_accepted_inside_and_outside_a_repository() {
    let repo = TestRepo::new();
    for args in [
        &["cache", "migrate", "--all", "--json", "."][..],
        &["import-db", "--sql", "select 1", "--unknown-flag"],
        &["studio", "login", "--hostname", "https://studio.example"],
        &[
            "dataset",
            "add",
            "--dvc",
            "https://github.com/iterative/example-get-started",
        ],
        &["daemon"],
        &["--cd", "no/such/dir", "cache", "dir"],
        &["-v", "studio", "token"],
    ] {
        let outcome = run(repo.dv().args(args));
        let name = args.iter().find(|arg| UNIMPLEMENTED.contains(arg)).unwrap();
        assert_eq!(outcome.code, 1, "{args:?}: {outcome}");
        assert_eq!(outcome.stderr, answer(name), "{args:?}");
        assert_eq!(outcome.stdout, "", "{args:?}");
    }
    // Nothing was written: the repository was not even opened.
    assert!(!repo.path(".dvc").exists());
}

#[test]
fn quiet_hides_the_answer_but_not_the_exit_code() {
    let repo = TestRepo::new();
    for args in [&["-q", "cache", "dir"][..], &["studio", "token", "--quiet"]] {
        let outcome = run(repo.dv().args(args));
        assert_eq!(
            (outcome.code, outcome.stderr.as_str()),
            (1, ""),
            "{outcome}"
        );
    }
}

#[test]
fn help_lists_only_implemented_commands() {
    let repo = TestRepo::new();
    let help = run(repo.dv().arg("--help"));
    assert_eq!(help.code, 0, "{help}");
    let commands: Vec<&str> = help
        .stdout
        .split_once("Commands:\n")
        .unwrap()
        .1
        .lines()
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.strip_prefix("  ")?.split_whitespace().next())
        .collect();
    assert!(commands.contains(&"status"), "{commands:?}");
    for name in UNIMPLEMENTED {
        assert!(
            !commands.contains(&name),
            "{name} is listed:\n{}",
            help.stdout
        );
    }
}

#[test]
fn other_unknown_names_stay_argument_errors() {
    let repo = TestRepo::new();
    let outcome = run(repo.dv().arg("stauts"));
    assert_eq!(outcome.code, 254, "{outcome}");
    assert!(
        outcome
            .stderr
            .starts_with("ERROR: unrecognized subcommand 'stauts'\n"),
        "{outcome}"
    );
    // A known name in another position is an ordinary argument, not a command.
    let outcome = run(repo.dv().args(["add", "--no-such-flag", "params"]));
    assert_eq!(outcome.code, 254, "{outcome}");
}
