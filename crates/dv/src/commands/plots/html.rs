//! The plots page, byte for byte as dvc-render writes it (`html.py`, `vega.py`, `image.py`):
//! a fixed page (or the user's `--html-template`) with the Vega scripts from the CDN and one
//! `<div>` per plot in the order of `order`;
//! its `file://` address; and opening it in a browser.

use std::path::{Component, Path, PathBuf};

use dv_repo::ops::plots::{RenderError, Renderer};

use super::ImageFiles;
use super::json::value_json;
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// The page DVC fills: `{refresh_tag}`, `{scripts}` and `{plot_divs}` are replaced.
const PAGE: &str = "<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <title>DVC Plot</title>
    {scripts}
    <style>
        table {
            border-spacing: 15px;
        }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>";

/// The scripts a page with Vega plots loads (pinned versions on jsDelivr).
const VEGA_SCRIPTS: &str = "
    <script src=\"https://cdn.jsdelivr.net/npm/vega@5.20.2\"></script>
    <script src=\"https://cdn.jsdelivr.net/npm/vega-lite@5.2.0\"></script>
    <script src=\"https://cdn.jsdelivr.net/npm/vega-embed@6.18.2\"></script>
    ";

/// What a page template must contain.
const PLOTS_PLACEHOLDER: &str = "{plot_divs}";

/// The characters of a plot name that cannot be in an HTML id (each becomes `_`).
const SPECIAL_CHARACTERS: &str = "!@#$%^&*()[]{};,<>?\\/:.|`~=_+ ";

fn html_id(name: &str) -> String {
    name.chars()
        .map(|c| {
            if SPECIAL_CHARACTERS.contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect()
}

fn vega_div(id: &str, spec: &str) -> String {
    format!(
        "\n    <div id = \"{id}\">\n        <script type = \"text/javascript\">\n            var spec = {spec};\n            vegaEmbed('#{id}', spec);\n        </script>\n    </div>\n    "
    )
}

fn image_div(id: &str, content: &str) -> String {
    format!(
        "\n        <div\n            id=\"{id}\"\n            style=\"border:1px solid black;text-align:center;\n            white-space: nowrap;overflow-y:hidden;\">\n            {content}\n        </div>"
    )
}

fn image_item(revision: &str, src: &str) -> String {
    format!(
        "\n                <div\n                    style=\"border:1px dotted black;margin:2px;display:\n                    inline-block;\n                    overflow:hidden;margin-left:8px;\">\n                    <p>{revision}</p>\n                    <img src=\"{src}\">\n                </div>\n                "
    )
}

/// The page for `renderers`, written at `page_dir/index.html`; images are referred to
/// relative to `page_dir`. Fails, as DVC does, for a template without `{plot_divs}` or a plot
/// whose template cannot be filled.
pub(crate) fn page(
    renderers: &[&Renderer],
    images: &ImageFiles,
    page_dir: &Path,
    template: Option<&str>,
) -> anyhow::Result<String> {
    let template = template.unwrap_or(PAGE);
    if !template.contains(PLOTS_PLACEHOLDER) {
        anyhow::bail!("HTML template has to contain '{PLOTS_PLACEHOLDER}'.");
    }
    let sorted = super::order::sorted(renderers).map_err(|error| anyhow::anyhow!(error.0))?;
    let mut scripts = String::new();
    let mut elements: Vec<String> = Vec::new();
    for renderer in sorted {
        match renderer {
            Renderer::Vega(vega) => {
                if !scripts.contains(VEGA_SCRIPTS) {
                    scripts.push('\n');
                    scripts.push_str(VEGA_SCRIPTS);
                }
                let spec = vega
                    .filled()
                    .map_err(|error: RenderError| anyhow::anyhow!(error))?;
                elements.push(vega_div(&html_id(&vega.name), &value_json(&spec)));
            }
            Renderer::Image(image) => {
                let mut items: Vec<String> = Vec::new();
                for point in &image.datapoints {
                    let written = images
                        .iter()
                        .find(|((revision, file), _)| {
                            *revision == point.revision && *file == point.filename
                        })
                        .map(|(_, path)| path.as_path());
                    let src = written
                        .map(|path| relative(path, page_dir))
                        .unwrap_or_default();
                    items.push(image_item(&point.revision, &src));
                }
                if items.is_empty() {
                    elements.push(String::new());
                } else {
                    items.insert(0, format!("<p>{}</p>", image.name));
                    elements.push(image_div(&html_id(&image.name), &items.join("\n")));
                }
            }
        }
    }
    Ok(template
        .replace("{scripts}", &scripts)
        .replace(PLOTS_PLACEHOLDER, &elements.join("\n"))
        .replace("{refresh_tag}", ""))
}

/// Creates the page's directory (not its parents, as DVC does not).
pub(crate) fn make_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir(dir).map_err(|error| {
        anyhow::anyhow!(
            "[Errno {}] {}: '{}'",
            error.raw_os_error().unwrap_or(0),
            io_description(&error),
            dir.display()
        )
    })
}

/// The system's description of an I/O error, without Rust's `(os error N)`.
fn io_description(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(end) => text[..end].to_owned(),
        None => text,
    }
}

/// `path` with symbolic links resolved as far as it exists, the rest normalized (Python's
/// `Path.resolve()`).
pub(crate) fn resolve(path: &Path) -> PathBuf {
    let path = dv_repo::path::normalize(path);
    let mut existing = path.clone();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if let Ok(resolved) = std::fs::canonicalize(&existing) {
            let mut full = resolved;
            for part in rest.iter().rev() {
                full.push(part);
            }
            return full;
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_owned());
                existing = parent.to_path_buf();
            }
            _ => return path,
        }
    }
}

/// `path` relative to `base` (both absolute), as `os.path.relpath` writes it.
fn relative(path: &Path, base: &Path) -> String {
    let normal = |path: &Path| -> Vec<String> {
        path.components()
            .filter_map(|part| match part {
                Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect()
    };
    let (path, base) = (normal(path), normal(base));
    let shared = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); base.len() - shared];
    parts.extend(path[shared..].iter().cloned());
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// The `file://` address of a page (Python's `Path.as_uri`: bytes outside letters, digits,
/// `_.-~/` percent-encoded).
pub(crate) fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file://");
    for byte in path.to_string_lossy().as_bytes() {
        if byte.is_ascii_alphanumeric() || b"_.-~/".contains(byte) {
            uri.push(char::from(*byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// Opens the page in a browser as Python's `webbrowser` would find one (`$BROWSER`, then the
/// desktop's opener when there is a display, then a console browser); DVC's message and exit
/// code 1 when none opens it.
pub(crate) fn open_browser(path: &Path, printer: &Printer) -> ExitStatus {
    let uri = file_uri(path);
    let mut candidates: Vec<String> = Vec::new();
    if let Ok(browsers) = std::env::var("BROWSER") {
        candidates.extend(
            browsers
                .split(':')
                .filter(|b| !b.is_empty())
                .map(str::to_owned),
        );
    }
    let has_display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if has_display {
        candidates.extend(["xdg-open", "gio", "x-www-browser"].map(str::to_owned));
    }
    candidates.extend(["www-browser", "links", "elinks", "lynx", "w3m"].map(str::to_owned));
    for candidate in candidates {
        let mut words = candidate.split_whitespace();
        let Some(program) = words.next() else {
            continue;
        };
        let mut command = std::process::Command::new(program);
        let args: Vec<&str> = words.collect();
        if args.iter().any(|arg| arg.contains("%s")) {
            command.args(args.iter().map(|arg| arg.replace("%s", &uri)));
        } else {
            command.args(&args);
            if program == "gio" {
                command.arg("open");
            }
            command.arg(&uri);
        }
        if command.status().is_ok_and(|status| status.success()) {
            return ExitStatus::Success;
        }
    }
    printer.notice(format!(
        "Failed to open {uri}. Please try opening it manually."
    ));
    ExitStatus::Failure
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_replace_special_characters() {
        assert_eq!(html_id("plots/loss.csv"), "plots_loss_csv");
        assert_eq!(html_id("dvc.yaml::a b"), "dvc_yaml__a_b");
    }

    #[test]
    fn uris_percent_encode_like_python() {
        assert_eq!(
            file_uri(Path::new("/tmp/a b/ü/index.html")),
            "file:///tmp/a%20b/%C3%BC/index.html"
        );
    }

    #[test]
    fn relative_paths_climb_out_of_the_base() {
        assert_eq!(
            relative(Path::new("/r/out/static/x.png"), Path::new("/r/out")),
            "static/x.png"
        );
        assert_eq!(
            relative(Path::new("/r/a.png"), Path::new("/r/out")),
            "../a.png"
        );
    }
}
