//! CSV and TSV plot data as DVC reads it: Python's `csv` module with the `excel` dialect
//! (`"` quotes, doubled quotes inside quoted fields, no escape character, not strict) and
//! `csv.DictReader` rows, every value a string. The text has had its line endings translated
//! (Python's universal newlines) before it comes here.

use dv_schema::yaml::{Mapping, Value};

/// Where the reader is inside a record (the states of CPython's `_csv` reader).
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    StartRecord,
    StartField,
    InField,
    InQuotedField,
    QuoteInQuotedField,
    EatNewline,
}

/// A character of the input, or the end of a line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    Char(char),
    EndOfLine,
}

/// Why Python fails to read a text as CSV: its exception type and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CsvError {
    /// The Python exception type (`Error` for `csv.Error`, `TypeError`).
    pub(crate) kind: &'static str,
    /// Its message.
    pub(crate) message: String,
}

struct Reader {
    delimiter: char,
    state: State,
    field: String,
    fields: Vec<String>,
}

impl Reader {
    fn save_field(&mut self) {
        self.fields.push(std::mem::take(&mut self.field));
    }

    fn end_of_field(&mut self, input: Input) {
        self.save_field();
        self.state = if input == Input::EndOfLine {
            State::StartRecord
        } else {
            State::EatNewline
        };
    }

    fn process(&mut self, input: Input) -> Result<(), CsvError> {
        let is_newline = matches!(input, Input::Char('\n' | '\r'));
        match self.state {
            State::StartRecord => {
                if input == Input::EndOfLine {
                    return Ok(());
                }
                if is_newline {
                    self.state = State::EatNewline;
                    return Ok(());
                }
                self.state = State::StartField;
                self.start_field(input);
            }
            State::StartField => self.start_field(input),
            State::InField => match input {
                Input::EndOfLine | Input::Char('\n' | '\r') => self.end_of_field(input),
                Input::Char(c) if c == self.delimiter => {
                    self.save_field();
                    self.state = State::StartField;
                }
                Input::Char(c) => self.field.push(c),
            },
            State::InQuotedField => match input {
                Input::EndOfLine => {}
                Input::Char('"') => self.state = State::QuoteInQuotedField,
                Input::Char(c) => self.field.push(c),
            },
            State::QuoteInQuotedField => match input {
                Input::Char('"') => {
                    self.field.push('"');
                    self.state = State::InQuotedField;
                }
                Input::Char(c) if c == self.delimiter => {
                    self.save_field();
                    self.state = State::StartField;
                }
                Input::EndOfLine | Input::Char('\n' | '\r') => self.end_of_field(input),
                Input::Char(c) => {
                    self.field.push(c);
                    self.state = State::InField;
                }
            },
            State::EatNewline => match input {
                Input::Char('\n' | '\r') => {}
                Input::EndOfLine => self.state = State::StartRecord,
                Input::Char(_) => {
                    return Err(CsvError {
                        kind: "Error",
                        message: "new-line character seen in unquoted field - do you need to \
                                  open the file with newline=''?"
                            .to_owned(),
                    });
                }
            },
        }
        Ok(())
    }

    fn start_field(&mut self, input: Input) {
        match input {
            Input::EndOfLine | Input::Char('\n' | '\r') => self.end_of_field(input),
            Input::Char('"') => self.state = State::InQuotedField,
            Input::Char(c) if c == self.delimiter => self.save_field(),
            Input::Char(c) => {
                self.field.push(c);
                self.state = State::InField;
            }
        }
    }
}

/// The records of `text` (`csv.reader`): an empty line is an empty record.
pub(crate) fn records(text: &str, delimiter: char) -> Result<Vec<Vec<String>>, CsvError> {
    let mut reader = Reader {
        delimiter,
        state: State::StartRecord,
        field: String::new(),
        fields: Vec::new(),
    };
    let mut records = Vec::new();
    for line in text.split_inclusive('\n') {
        for c in line.chars() {
            reader.process(Input::Char(c))?;
        }
        reader.process(Input::EndOfLine)?;
        if reader.state == State::StartRecord {
            records.push(std::mem::take(&mut reader.fields));
        }
    }
    if !reader.field.is_empty() || reader.state == State::InQuotedField {
        reader.save_field();
        records.push(std::mem::take(&mut reader.fields));
    }
    Ok(records)
}

/// The rows of `text` as `csv.DictReader` gives them: keyed by the header line (or, without
/// one, by `"0"`, `"1"`, … counted on the first line split at commas, as DVC counts them),
/// empty lines skipped, missing values `None`, extra values as a list under the key `None`.
pub(crate) fn dict_rows(text: &str, delimiter: char, header: bool) -> Result<Vec<Value>, CsvError> {
    let mut all = records(text, delimiter)?.into_iter();
    let fieldnames: Vec<String> = if header {
        match all.next() {
            Some(names) => names,
            None => return Ok(Vec::new()),
        }
    } else {
        let Some(first) = records(text, ',')?.into_iter().next() else {
            return Err(CsvError {
                kind: "TypeError",
                message: "object of type 'NoneType' has no len()".to_owned(),
            });
        };
        (0..first.len()).map(|index| index.to_string()).collect()
    };
    let mut rows = Vec::new();
    for record in all {
        if record.is_empty() {
            continue;
        }
        let mut row = Mapping::new();
        for (name, value) in fieldnames.iter().zip(&record) {
            row.insert(Value::String(name.clone()), Value::String(value.clone()));
        }
        if record.len() > fieldnames.len() {
            let rest = record[fieldnames.len()..]
                .iter()
                .map(|value| Value::String(value.clone()))
                .collect();
            row.insert(Value::Null, Value::Sequence(rest));
        } else {
            for name in &fieldnames[record.len()..] {
                row.insert(Value::String(name.clone()), Value::Null);
            }
        }
        rows.push(Value::Mapping(row));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Vec<Vec<String>> {
        records(text, ',').expect("valid csv")
    }

    #[test]
    fn quoted_fields_keep_delimiters_newlines_and_doubled_quotes() {
        assert_eq!(
            parsed("a,\"b,c\",\"d\"\"e\"\n\"x\ny\",z\n"),
            vec![
                vec!["a".to_owned(), "b,c".to_owned(), "d\"e".to_owned()],
                vec!["x\ny".to_owned(), "z".to_owned()],
            ]
        );
    }

    #[test]
    fn text_after_a_closing_quote_joins_the_field() {
        assert_eq!(
            parsed("\"ab\"c,d"),
            vec![vec!["abc".to_owned(), "d".to_owned()]]
        );
    }

    #[test]
    fn empty_lines_are_empty_records_and_dict_rows_skip_them() {
        assert_eq!(parsed("a\n\nb\n").len(), 3);
        let rows = dict_rows("h1,h2\n\n1,2\n3\n4,5,6\n", ',', true).expect("rows");
        assert_eq!(rows.len(), 3);
        let Value::Mapping(short) = &rows[1] else {
            panic!("a mapping")
        };
        assert_eq!(short.get("h2"), Some(&Value::Null));
        let Value::Mapping(long) = &rows[2] else {
            panic!("a mapping")
        };
        assert!(long.contains_key(Value::Null));
    }

    #[test]
    fn without_a_header_fields_are_numbered_by_commas_of_the_first_line() {
        let rows = dict_rows("1\t2\n3\t4\n", '\t', false).expect("rows");
        let Value::Mapping(first) = &rows[0] else {
            panic!("a mapping")
        };
        // One comma-separated field on the first line: one name, the rest under `None`.
        assert_eq!(first.get("0"), Some(&Value::String("1".to_owned())));
        assert!(first.contains_key(Value::Null));
    }
}
