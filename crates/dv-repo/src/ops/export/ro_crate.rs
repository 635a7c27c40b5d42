//! The recorded pipeline as RO-Crate 1.1 JSON-LD: a Process Run Crate 0.5, with the Workflow
//! Run Crate 0.5 layer on request (`https://w3id.org/ro/wfrun/`).

use serde_json::{Map, Value, json};

use super::{DataEntity, Provenance, RoCrateOptions, encode};

const RO_CRATE: &str = "https://w3id.org/ro/crate/1.1";
const CONTEXT: &str = "https://w3id.org/ro/crate/1.1/context";
const PROCESS: &str = "https://w3id.org/ro/wfrun/process/0.5";
const WORKFLOW: &str = "https://w3id.org/ro/wfrun/workflow/0.5";
const WORKFLOW_RO_CRATE: &str = "https://w3id.org/workflowhub/workflow-ro-crate/1.0";
const FORMAL_PARAMETER: &str = "https://bioschemas.org/profiles/FormalParameter/1.0-RELEASE";
const COMPLETED: &str = "http://schema.org/CompletedActionStatus";
const FAILED: &str = "http://schema.org/FailedActionStatus";
const AGENT: &str = "#agent";
const LANGUAGE: &str = "#dvc";
const LICENSE: &str = "#license";

fn id(id: &str) -> Value {
    json!({ "@id": id })
}

/// References to `list`: one value for one, an array otherwise (RO-Crate 1.1 prefers no
/// singleton arrays).
fn ids<'a>(list: impl IntoIterator<Item = &'a str>) -> Value {
    let mut all: Vec<Value> = list.into_iter().map(id).collect();
    if all.len() == 1 {
        all.remove(0)
    } else {
        Value::Array(all)
    }
}

/// The `ro-crate-metadata.json` document.
pub(super) fn document(provenance: &Provenance, options: &RoCrateOptions) -> Value {
    let mut graph: Vec<Value> = Vec::new();
    let main = provenance
        .workflows
        .iter()
        .zip(&provenance.workflow_ids)
        .find(|((file, _), _)| !file.contains('/'))
        .or(provenance
            .workflows
            .iter()
            .zip(&provenance.workflow_ids)
            .next())
        .map(|(_, (id, _))| id.clone())
        .unwrap_or_else(|| "dvc.yaml".to_owned());

    let mut profiles = vec![PROCESS];
    if options.workflow {
        profiles.extend([WORKFLOW, WORKFLOW_RO_CRATE]);
    }
    graph.push(json!({
        "@id": "ro-crate-metadata.json",
        "@type": "CreativeWork",
        "about": id("./"),
        "conformsTo": id(RO_CRATE),
    }));

    // The root.
    let mut parts: Vec<&str> = provenance
        .workflow_ids
        .iter()
        .flat_map(|(dvc_yaml, lock)| [dvc_yaml.as_str(), lock.as_str()])
        .collect();
    parts.extend(
        provenance
            .entities
            .iter()
            .filter(|entity| !entity.inside)
            .map(|entity| entity.id.as_str()),
    );
    let mut actions: Vec<String> = Vec::new();
    for stage in &provenance.stages {
        if stage.recorded {
            actions.push(run_id(&stage.name));
        }
        if stage.failed.is_some() {
            actions.push(format!("{}-failed", run_id(&stage.name)));
        }
    }
    if options.workflow {
        actions.insert(0, "#run-workflow".to_owned());
    }
    let mut root = json!({
        "@id": "./",
        "@type": "Dataset",
        "name": format!("{}: a dv pipeline run", provenance.name),
        "description": description(provenance),
        "datePublished": provenance.time,
        "conformsTo": ids(profiles.iter().copied()),
        "hasPart": ids(parts),
        "mentions": ids(actions.iter().map(String::as_str)),
        "license": id(LICENSE),
    });
    if provenance.author.is_some() {
        root["author"] = id(AGENT);
    }
    if options.workflow {
        root["mainEntity"] = id(&main);
    }
    graph.push(root);

    for (profile, name, version) in [
        (PROCESS, "Process Run Crate", "0.5"),
        (WORKFLOW, "Workflow Run Crate", "0.5"),
        (WORKFLOW_RO_CRATE, "Workflow RO-Crate", "1.0"),
    ] {
        if profiles.contains(&profile) {
            graph.push(json!({
                "@id": profile, "@type": "CreativeWork", "name": name, "version": version,
            }));
        }
    }

    graph.push(license(options.license.as_deref()));

    // The pipeline definitions.
    for ((file, lock), (file_id, lock_id)) in
        provenance.workflows.iter().zip(&provenance.workflow_ids)
    {
        let mut entity = json!({
            "@id": file_id,
            "@type": if options.workflow && *file_id == main {
                json!(["File", "SoftwareSourceCode", "ComputationalWorkflow"])
            } else {
                json!(["File", "SoftwareSourceCode"])
            },
            "name": file,
            "encodingFormat": "application/yaml",
            "programmingLanguage": id(LANGUAGE),
            "url": id(file_id),
        });
        if let Some(commit) = &provenance.commit {
            entity["version"] = json!(commit);
        }
        let stages: Vec<String> = provenance
            .stages
            .iter()
            .filter(|stage| stage.dvc_yaml == *file)
            .map(|stage| stage_id(&stage.name))
            .collect();
        entity["hasPart"] = ids(stages.iter().map(String::as_str));
        if options.workflow && *file_id == main {
            let (inputs, outputs) = formal_parameters(provenance);
            entity["input"] = ids(inputs.iter().map(|(param, _)| param.as_str()));
            entity["output"] = ids(outputs.iter().map(|(param, _)| param.as_str()));
            for (param, entity_id) in inputs.iter().chain(&outputs) {
                graph.push(formal_parameter(provenance, param, entity_id));
            }
        }
        graph.push(entity);
        graph.push(json!({
            "@id": lock_id,
            "@type": "File",
            "name": lock,
            "description": "the record of the stage runs this crate describes",
            "encodingFormat": "application/yaml",
            "about": id(file_id),
        }));
    }
    graph.push(json!({
        "@id": LANGUAGE,
        "@type": "ComputerLanguage",
        "name": "DVC pipeline (dvc.yaml)",
        "url": id("https://dvc.org/doc/user-guide/project-structure/dvcyaml-files"),
    }));

    if let Some(author) = &provenance.author {
        let mut person = json!({ "@id": AGENT, "@type": "Person", "name": author.name });
        if !author.email.is_empty() {
            person["email"] = json!(author.email);
        }
        graph.push(person);
    }

    // One execution per stage.
    for stage in &provenance.stages {
        let file_id = provenance
            .workflows
            .iter()
            .zip(&provenance.workflow_ids)
            .find(|((file, _), _)| *file == stage.dvc_yaml)
            .map_or(stage.dvc_yaml.as_str(), |(_, (file_id, _))| {
                file_id.as_str()
            });
        let mut application = json!({
            "@id": stage_id(&stage.name),
            "@type": "SoftwareApplication",
            "name": format!("stage {}", stage.name),
            "description": stage.cmd,
            "url": id(file_id),
        });
        if let Some(commit) = &provenance.commit {
            application["softwareVersion"] = json!(commit);
        }
        graph.push(application);
        let mut objects: Vec<&str> = stage.inputs.iter().map(String::as_str).collect();
        objects.extend(stage.params.iter().map(|param| param.id.as_str()));
        if stage.recorded {
            let mut action = action(
                provenance,
                &run_id(&stage.name),
                &format!("dv repro: {}", stage.name),
                &stage.cmd,
                &stage_id(&stage.name),
            );
            action["object"] = ids(objects);
            action["result"] = ids(stage.outputs.iter().map(String::as_str));
            if let Some(logged) = &stage.logged {
                action["startTime"] = json!(logged.started);
                action["endTime"] = json!(logged.ended);
                action["description"] = json!(logged_description(&stage.cmd, logged));
            }
            graph.push(action);
        }
        if let Some(failed) = &stage.failed {
            let mut action = action(
                provenance,
                &format!("{}-failed", run_id(&stage.name)),
                &format!("dv repro: {} (failed)", stage.name),
                &logged_description(&stage.cmd, failed),
                &stage_id(&stage.name),
            );
            action["startTime"] = json!(failed.started);
            action["endTime"] = json!(failed.ended);
            action["actionStatus"] = id(FAILED);
            action["error"] = json!(failed.error.clone().unwrap_or_default());
            graph.push(action);
        }
    }
    let mut params_seen: Vec<&str> = Vec::new();
    for param in provenance.stages.iter().flat_map(|stage| &stage.params) {
        if params_seen.contains(&param.id.as_str()) {
            continue;
        }
        params_seen.push(&param.id);
        let mut entity = json!({
            "@id": param.id, "@type": "PropertyValue", "name": param.name, "value": param.value,
        });
        if options.workflow {
            entity["exampleOfWork"] = id(&format!("#input-{}", param.id.trim_start_matches('#')));
        }
        graph.push(entity);
    }

    if options.workflow {
        let (inputs, outputs) = formal_parameters(provenance);
        let mut action = action(
            provenance,
            "#run-workflow",
            "dv repro",
            "the pipeline of dvc.yaml, as dvc.lock records it",
            &main,
        );
        action["object"] = ids(inputs.iter().map(|(_, entity)| entity.as_str()));
        action["result"] = ids(outputs.iter().map(|(_, entity)| entity.as_str()));
        graph.push(action);
    }

    let (inputs, outputs) = if options.workflow {
        formal_parameters(provenance)
    } else {
        (Vec::new(), Vec::new())
    };
    for entity in &provenance.entities {
        let example = inputs
            .iter()
            .chain(&outputs)
            .filter(|(_, target)| *target == entity.id)
            .map(|(param, _)| param.as_str());
        graph.push(data_entity(entity, example.collect()));
    }

    let context = if options.sha256 {
        json!([CONTEXT, { "sha256": "http://schema.org/sha256" }])
    } else {
        json!(CONTEXT)
    };
    json!({ "@context": context, "@graph": graph })
}

/// The crate's license: the one given (an SPDX id or a URL), else a note that none is stated.
fn license(given: Option<&str>) -> Value {
    match given {
        Some(url) if url.contains("://") => json!({
            "@id": LICENSE, "@type": "CreativeWork", "name": url, "url": id(url),
        }),
        Some(spdx) => json!({
            "@id": LICENSE,
            "@type": "CreativeWork",
            "name": spdx,
            "identifier": spdx,
            "url": id(&format!("https://spdx.org/licenses/{spdx}")),
        }),
        None => json!({
            "@id": LICENSE,
            "@type": "CreativeWork",
            "name": "No license stated",
            "description": "No license was given when this crate was exported (dv export ro-crate --license); see the repository's own license.",
        }),
    }
}

fn description(provenance: &Provenance) -> String {
    let at = match &provenance.commit {
        Some(commit) => format!(" at git commit {commit}"),
        None => String::new(),
    };
    format!(
        "The {} recorded stage runs of the DVC pipeline{at}, generated by dv from dvc.lock.",
        provenance.stages.len()
    )
}

/// A stage run's description with what dv's run log adds: how it ran, where, by which dv,
/// and why.
fn logged_description(cmd: &str, logged: &crate::run_log::RunRecord) -> String {
    let how = match logged.status {
        crate::run_log::RunStatus::Restored => "restored from the run-cache",
        _ => "ran",
    };
    let host = logged
        .host
        .as_deref()
        .map(|host| format!(" on {host}"))
        .unwrap_or_default();
    let mut text = format!("{cmd}\n{how} by {}{host}", logged.dv_version);
    if !logged.reasons.is_empty() {
        text.push_str(&format!(" because: {}", logged.reasons.join("; ")));
    }
    text
}

fn stage_id(name: &str) -> String {
    format!("#stage-{}", encode(name))
}

fn run_id(name: &str) -> String {
    format!("#run-{}", encode(name))
}

fn action(provenance: &Provenance, action: &str, name: &str, text: &str, tool: &str) -> Value {
    let mut value = json!({
        "@id": action,
        "@type": "CreateAction",
        "name": name,
        "description": text,
        "instrument": id(tool),
        "startTime": provenance.time,
        "endTime": provenance.time,
        "actionStatus": id(COMPLETED),
    });
    if provenance.author.is_some() {
        value["agent"] = id(AGENT);
    }
    value
}

/// (formal parameter id, entity id) pairs.
type Bindings = Vec<(String, String)>;

/// The workflow's inputs (params, and data no stage writes) and outputs (data no stage reads):
/// (formal parameter id, entity id).
fn formal_parameters(provenance: &Provenance) -> (Bindings, Bindings) {
    let written: Vec<&str> = provenance
        .stages
        .iter()
        .flat_map(|stage| &stage.outputs)
        .map(String::as_str)
        .collect();
    let read: Vec<&str> = provenance
        .stages
        .iter()
        .flat_map(|stage| &stage.inputs)
        .map(String::as_str)
        .collect();
    let mut inputs: Vec<(String, String)> = Vec::new();
    let mut outputs: Vec<(String, String)> = Vec::new();
    let param_id = |prefix: &str, entity: &str| {
        format!(
            "#{prefix}-{}",
            entity.trim_start_matches('#').trim_end_matches('/')
        )
    };
    for stage in &provenance.stages {
        for input in &stage.inputs {
            if !written.contains(&input.as_str()) && !inputs.iter().any(|(_, known)| known == input)
            {
                inputs.push((param_id("input", input), input.clone()));
            }
        }
        for param in &stage.params {
            if !inputs.iter().any(|(_, known)| *known == param.id) {
                inputs.push((param_id("input", &param.id), param.id.clone()));
            }
        }
        for output in &stage.outputs {
            if !read.contains(&output.as_str()) && !outputs.iter().any(|(_, known)| known == output)
            {
                outputs.push((param_id("output", output), output.clone()));
            }
        }
    }
    (inputs, outputs)
}

fn formal_parameter(provenance: &Provenance, param: &str, entity_id: &str) -> Value {
    let entity = provenance
        .entities
        .iter()
        .find(|entity| entity.id == entity_id);
    let (additional_type, name) = match entity {
        Some(entity) if entity.directory => ("Dataset", entity.id.trim_end_matches('/')),
        Some(entity) => ("File", entity.id.as_str()),
        None => (
            "Text",
            provenance
                .stages
                .iter()
                .flat_map(|stage| &stage.params)
                .find(|known| known.id == entity_id)
                .map_or(entity_id, |known| known.name.as_str()),
        ),
    };
    json!({
        "@id": param,
        "@type": "FormalParameter",
        "conformsTo": id(FORMAL_PARAMETER),
        "name": name,
        "additionalType": additional_type,
        "workExample": id(entity_id),
    })
}

fn data_entity(entity: &DataEntity, example_of: Vec<&str>) -> Value {
    let mut value = Map::new();
    value.insert("@id".into(), json!(entity.id));
    let kind = if entity.directory { "Dataset" } else { "File" };
    value.insert("@type".into(), json!(kind));
    if !entity.directory
        && let Some(format) = entity
            .path
            .as_ref()
            .and_then(|path| media_type(path.as_str()))
    {
        value.insert("encodingFormat".into(), json!(format));
    }
    let name = match (&entity.path, &entity.url) {
        (Some(path), _) => path.as_str().to_owned(),
        (None, Some(url)) => url.clone(),
        (None, None) => entity.id.clone(),
    };
    value.insert("name".into(), json!(name));
    if let Some(md5) = &entity.md5 {
        value.insert("identifier".into(), json!(format!("md5:{md5}")));
    } else if let Some(etag) = entity.version_id.as_ref().or(entity.etag.as_ref()) {
        value.insert("identifier".into(), json!(etag));
    }
    if let Some(url) = &entity.url {
        value.insert("url".into(), json!(url));
        value.insert("contentUrl".into(), json!(url));
        if let Some(version) = &entity.version_id {
            value.insert("version".into(), json!(version));
        }
        if let Some(written) = &entity.recorded_as {
            value.insert("alternateName".into(), json!(written));
        }
    }
    if let Some(size) = entity.size {
        value.insert("contentSize".into(), json!(size.to_string()));
    }
    if let Some(sha256) = &entity.sha256 {
        value.insert("sha256".into(), json!(sha256));
    }
    if !entity.parts.is_empty() {
        value.insert(
            "hasPart".into(),
            ids(entity.parts.iter().map(String::as_str)),
        );
    }
    match example_of.as_slice() {
        [] => {}
        [one] => {
            value.insert("exampleOfWork".into(), id(one));
        }
        many => {
            value.insert("exampleOfWork".into(), ids(many.iter().copied()));
        }
    }
    Value::Object(value)
}

/// The media type of a file, by its extension (the common ones).
fn media_type(path: &str) -> Option<&'static str> {
    let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "csv" => "text/csv",
        "tsv" => "text/tab-separated-values",
        "txt" | "log" => "text/plain",
        "json" => "application/json",
        "yaml" | "yml" => "application/yaml",
        "toml" => "application/toml",
        "md" => "text/markdown",
        "html" | "htm" => "text/html",
        "xml" => "application/xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "parquet" => "application/vnd.apache.parquet",
        "py" => "text/x-python",
        _ => return None,
    })
}
