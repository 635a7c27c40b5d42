//! The YAML emitter against documents written by DVC's own writer (ruamel.yaml); see
//! `fixtures/yaml-style/generate.py`.

use dv_schema::yaml;

#[test]
fn emitter_reproduces_ruamel_output_byte_for_byte() {
    let corpus = include_str!("fixtures/yaml-style/corpus.yaml");
    let mut documents = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in corpus.split_inclusive('\n') {
        if let Some(name) = line.strip_prefix("#---- ") {
            documents.extend(current.take());
            current = Some((name.trim().to_owned(), String::new()));
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
        }
    }
    documents.extend(current.take());
    assert!(documents.len() > 100, "corpus not found");

    let mut failures = Vec::new();
    for (name, text) in &documents {
        let value = yaml::parse(text).expect("corpus documents are valid YAML");
        let emitted = yaml::to_string(&value);
        if &emitted != text {
            let line = text
                .lines()
                .zip(emitted.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            let expected: Vec<&str> = text.lines().skip(line.saturating_sub(2)).take(4).collect();
            let actual: Vec<&str> = emitted
                .lines()
                .skip(line.saturating_sub(2))
                .take(4)
                .collect();
            failures.push(format!(
                "document {name}, line {}:\n--- ruamel\n{}\n--- dv\n{}\n",
                line + 1,
                expected.join("\n"),
                actual.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} documents differ:\n{}",
        failures.len(),
        documents.len(),
        failures
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
