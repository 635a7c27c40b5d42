//! `dv plots show`, `dv plots diff` and `dv plots templates`, printed and written as dvc
//! prints and writes them (`dvc/commands/plots.py`): the `index.html` page (`html`), the
//! images copied next to it, `--json` and `--show-vega` (`json`), the `file://` line.

mod html;
mod json;
mod order;

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use dv_repo::ops::plots::{self, Matched, PlotsData, Props, Renderer};
use dv_repo::{DvcError, Environment, Workspace};

use crate::commands::unimplemented;
use crate::exit::ExitStatus;
use crate::output::string_repr;
use crate::printer::Printer;

/// The directory the page is written to when neither `-o` nor `plots.out_dir` says one.
const DEFAULT_OUT_DIR: &str = "dvc_plots";

#[derive(Debug, Args)]
pub struct PlotsArgs {
    #[command(subcommand)]
    pub command: PlotsCommand,
}

#[derive(Debug, Subcommand)]
pub enum PlotsCommand {
    /// Generate plots from target files or from `plots` definitions in `dvc.yaml`.
    Show(ShowArgs),
    /// Show multiple versions of a plot by overlaying them in a single image.
    Diff(DiffArgs),
    /// Modify display properties of data-series plots defined in stages (has no effect on
    /// image plots).
    Modify(ModifyArgs),
    /// List built-in plots templates or show JSON specification for one.
    Templates(TemplatesArgs),
}

/// Plot properties that override those of the definitions.
#[derive(Debug, Args)]
pub struct PropsArgs {
    /// Special JSON or HTML schema file to inject with the data. See
    /// <https://man.dvc.org/plots#plot-templates>
    #[arg(short = 't', long, value_name = "<path>", num_args = 0..=1)]
    pub template: Option<Option<String>>,
    /// Field name for X axis.
    #[arg(short = 'x', value_name = "<field>")]
    pub x: Option<String>,
    /// Field name for Y axis.
    #[arg(short = 'y', value_name = "<field>")]
    pub y: Option<String>,
    /// Provided CSV or TSV datafile does not have a header.
    #[arg(long)]
    pub no_header: bool,
    /// Plot title.
    #[arg(long, value_name = "<text>")]
    pub title: Option<String>,
    /// X axis label
    #[arg(long, value_name = "<text>")]
    pub x_label: Option<String>,
    /// Y axis label
    #[arg(long, value_name = "<text>")]
    pub y_label: Option<String>,
}

/// Where and how the plots are shown.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Directory to save plots to.
    #[arg(short = 'o', long, value_name = "<path>")]
    pub out: Option<PathBuf>,
    /// Show output in Vega format.
    #[arg(long)]
    pub show_vega: bool,
    #[arg(long, hide = true)]
    pub json: bool,
    #[arg(long, hide = true)]
    pub split: bool,
    /// Open plot file directly in the browser.
    #[arg(long)]
    pub open: bool,
    /// Custom HTML template for VEGA visualization.
    #[arg(long, value_name = "<path>")]
    pub html_template: Option<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Plots files or plot IDs from `dvc.yaml` to visualize. Shows all plots by default.
    pub targets: Vec<String>,
    #[command(flatten)]
    pub props: PropsArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Specific plots to visualize. Accepts any file path or plot name from `dvc.yaml` file.
    /// Shows all tracked plots by default.
    #[arg(long, num_args = 0.., value_name = "<paths>")]
    pub targets: Vec<String>,
    #[arg(short = 'e', long, hide = true)]
    pub experiment: bool,
    /// Git commits to plot from
    pub revisions: Vec<String>,
    #[command(flatten)]
    pub props: PropsArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ModifyArgs {
    /// Plots file to set properties for (defined at the stage level), and its properties.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TemplatesArgs {
    /// Template for which to show JSON specification. List all template names by default.
    pub template: Option<String>,
}

impl PropsArgs {
    fn props(&self) -> Props {
        Props {
            template: self.template.clone().flatten(),
            x: self.x.clone(),
            y: self.y.clone(),
            x_label: self.x_label.clone(),
            y_label: self.y_label.clone(),
            title: self.title.clone(),
            header: self.no_header.then_some(false),
        }
    }
}

pub fn run(
    args: PlotsArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    match args.command {
        PlotsCommand::Show(args) => {
            let props = args.props.props();
            let targets = args.targets;
            run_plots(&workspace, &args.output, &targets, printer, |workspace| {
                plots::show(workspace, &targets, &props)
            })
        }
        PlotsCommand::Diff(args) => {
            let props = args.props.props();
            let (targets, revisions) = (args.targets, args.revisions);
            run_plots(&workspace, &args.output, &targets, printer, |workspace| {
                plots::diff(workspace, &revisions, &targets, &props)
            })
        }
        PlotsCommand::Modify(_) => {
            printer.error(unimplemented::message("plots modify"));
            Ok(ExitStatus::Failure)
        }
        PlotsCommand::Templates(args) => templates(args, printer),
    }
}

/// `plots templates [NAME]`: the names, or one template's JSON.
fn templates(args: TemplatesArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    match args.template {
        None => {
            for name in plots::template_names() {
                printer.data(name);
            }
            Ok(ExitStatus::Success)
        }
        Some(name) => match plots::built_in_text(&name) {
            Some(text) => {
                printer.data(text);
                Ok(ExitStatus::Success)
            }
            None => {
                printer.error(format!("Unexpected template: {name}."));
                Ok(ExitStatus::Failure)
            }
        },
    }
}

/// What `plots show` and `plots diff` share once the plots are collected (DVC's
/// `CmdPlots.run`).
fn run_plots(
    workspace: &Workspace,
    output: &OutputArgs,
    targets: &[String],
    printer: &Printer,
    collect: impl FnOnce(&Workspace) -> anyhow::Result<PlotsData>,
) -> anyhow::Result<ExitStatus> {
    if output.show_vega {
        let refusal = if targets.is_empty() {
            Some("please specify a target for `--show-vega`")
        } else if targets.len() > 1 {
            Some("you can only specify one target for `--show-vega`")
        } else if output.json {
            Some("'--show-vega' and '--json' are mutually exclusive options.")
        } else {
            None
        };
        if let Some(refusal) = refusal {
            printer.error(refusal);
            return Ok(ExitStatus::Failure);
        }
    }
    let data = match collect(workspace) {
        Ok(data) => data,
        Err(error) if error.downcast_ref::<DvcError>().is_some() => {
            printer.error(error.to_string());
            return Ok(ExitStatus::Failure);
        }
        Err(error) => return Err(error),
    };
    let errored = data.errored_revisions();
    if !errored.is_empty() {
        printer.notice(format!(
            "DVC failed to load some plots for following revisions: '{}'.",
            errored.join(", ")
        ));
    }
    if data.is_empty() && !output.json {
        printer.notice("No plots were loaded, visualization file will not be created.");
    }
    let cwd = workspace.environment().cwd.clone();
    let out = out_dir(workspace, output);
    let renderers_out = if output.json {
        out.clone()
    } else {
        out.join("static")
    };
    let matched = plots::match_renderers(&data, Some(&plots::templates_dir(workspace)), &cwd)?;
    for (revision, message) in &matched.warnings {
        printer.warn(format!(
            "In {}, {}",
            string_repr(revision),
            message.to_lowercase()
        ));
    }
    // The page as the user named it, before links are resolved: a link committed in the
    // repository (`dvc_plots -> ~`) is refused before anything is made or written through it.
    let named_page = dv_repo::path::normalize(&cwd.join(&out).join("index.html"));
    if !output.json && !output.show_vega {
        dv_repo::confine::guard_generated(workspace, &named_page)?;
    }
    let images = write_images(
        workspace,
        &matched,
        &dv_repo::path::normalize(&cwd.join(&renderers_out)),
    )?;
    if output.json {
        printer.data(json::plots_json(&matched, &data, &images, output.split)?);
        return Ok(ExitStatus::Success);
    }
    if output.show_vega {
        let first = matched
            .renderers
            .iter()
            .find_map(|entry| match &entry.renderer {
                Renderer::Vega(vega) => Some(vega),
                Renderer::Image(_) => None,
            });
        if let Some(vega) = first {
            printer.data(json::value_json(&vega.filled()?));
        }
        return Ok(ExitStatus::Success);
    }
    if matched.renderers.is_empty() {
        return Ok(ExitStatus::Success);
    }
    let page_dir = html::resolve(&cwd.join(&out));
    let output_file = page_dir.join("index.html");
    let template = html_template(workspace, output)?;
    let renderers: Vec<&Renderer> = matched.renderers.iter().map(|e| &e.renderer).collect();
    // DVC makes the directory before rendering, so it stays when a plot fails to render.
    html::make_dir(&page_dir)?;
    let page = html::page(&renderers, &images, &page_dir, template.as_deref())?;
    dv_repo::confine::write_generated(workspace, &named_page, page.as_bytes())?;
    printer.data(html::file_uri(&output_file));
    let auto_open = workspace
        .config()
        .table("plots")
        .and_then(|plots| plots.str("auto_open"))
        .is_some_and(|value| value.eq_ignore_ascii_case("true"));
    if output.open || auto_open {
        if !auto_open {
            printer
                .data("To enable auto opening, you can run:\n\n\tdvc config plots.auto_open true");
        }
        return Ok(html::open_browser(&output_file, printer));
    }
    Ok(ExitStatus::Success)
}

/// `-o`, else `plots.out_dir`, else `dvc_plots` (relative to the working directory).
fn out_dir(workspace: &Workspace, output: &OutputArgs) -> PathBuf {
    if let Some(out) = &output.out {
        return out.clone();
    }
    workspace
        .config()
        .table("plots")
        .and_then(|plots| plots.str("out_dir"))
        .map_or_else(|| PathBuf::from(DEFAULT_OUT_DIR), PathBuf::from)
}

/// The page template: `--html-template`, else `plots.html_template` (relative to `.dvc`);
/// a file's content, or the text itself when no such file exists (as DVC takes it).
fn html_template(workspace: &Workspace, output: &OutputArgs) -> anyhow::Result<Option<String>> {
    let configured = || {
        let path = workspace
            .config()
            .table("plots")
            .and_then(|plots| plots.str("html_template"))?;
        let path = Path::new(path);
        Some(if path.is_absolute() {
            path.to_string_lossy().into_owned()
        } else {
            workspace
                .repo()
                .dvc_dir()
                .join(path)
                .to_string_lossy()
                .into_owned()
        })
    };
    let Some(template) = output.html_template.clone().or_else(configured) else {
        return Ok(None);
    };
    let path = workspace.environment().cwd.join(&template);
    if path.is_file() {
        let text = std::fs::read_to_string(&path).map_err(|error| {
            anyhow::anyhow!(
                "failed to read the HTML template '{}': {error}",
                path.display()
            )
        })?;
        return Ok(Some(text));
    }
    Ok(Some(template))
}

/// Where each image of the image plots was written: `(revision, file) → absolute path`.
pub(crate) type ImageFiles = Vec<((String, String), PathBuf)>;

/// Writes the images of the image plots into `dir` as DVC does (`<rev>_<file>`, `/` replaced
/// by `_`), creating it; returns where each went.
fn write_images(
    workspace: &Workspace,
    matched: &Matched,
    dir: &Path,
) -> anyhow::Result<ImageFiles> {
    let mut written = ImageFiles::new();
    for entry in &matched.renderers {
        let Renderer::Image(image) = &entry.renderer else {
            continue;
        };
        for point in &image.datapoints {
            dv_repo::confine::guard_generated(workspace, &dir.join(point.file_name()))?;
            std::fs::create_dir_all(dir).map_err(|error| {
                anyhow::anyhow!("failed to create '{}': {error}", dir.display())
            })?;
            let path = dv_repo::path::normalize(&dir.join(point.file_name()));
            dv_repo::confine::write_generated(workspace, &path, &point.image).map_err(|error| {
                anyhow::anyhow!("failed to write '{}': {error:#}", path.display())
            })?;
            written.push(((point.revision.clone(), point.filename.clone()), path));
        }
    }
    Ok(written)
}
