//! Asking the user for confirmation as DVC does.
//!
//! DVC has two kinds of questions: `ui.confirm` (gc, destroy) prints the question on stdout
//! and reads an answer from stdin even when it is not a terminal (end of input means no);
//! `prompt.confirm` (commit) only asks on a terminal and otherwise means no.

use std::io::{BufRead, IsTerminal};

use crate::printer::Printer;

const CHOICES: [&str; 4] = ["yes", "no", "y", "n"];

/// DVC's `ui.confirm`: `<statement> [y/n]: ` until the answer is one of yes/no/y/n.
pub fn confirm(statement: &str, printer: &Printer) -> bool {
    ask(&format!("{statement} [y/n]: "), printer)
}

/// DVC's `prompt.confirm`: asks `<statement> [y/n] ` only when stdin is a terminal.
pub fn confirm_on_terminal(statement: &str, printer: &Printer) -> bool {
    std::io::stdin().is_terminal() && ask(&format!("{statement} [y/n] "), printer)
}

fn ask(question: &str, printer: &Printer) -> bool {
    let stdin = std::io::stdin();
    loop {
        printer.prompt(question);
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        let answer = line.trim_end_matches(['\n', '\r']).to_lowercase();
        if CHOICES.contains(&answer.as_str()) {
            return answer.starts_with('y');
        }
        printer.info("Your response must be one of: ['yes', 'no', 'y', 'n']. Please try again.");
    }
}
