//! A user opens dv's plots page and sees the charts: the page `dv plots show` writes, rendered
//! by headless Chromium with the pinned Vega scripts (`scripts/test` fetches them into
//! `$DV_VENV_DIR/vega`, since the tests run without internet, and installs Chromium), must
//! draw a chart in every plot's `<div>`, show every image, and raise no Vega or script error.
//!
//! Only the three CDN addresses of a copy of the page are changed (to the local scripts), and
//! a script recording errors is added after them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::dv;

use super::plots_repo;

/// The CDN scripts of the page and the files `scripts/test` unpacks them to.
const SCRIPTS: [(&str, &str); 3] = [
    ("https://cdn.jsdelivr.net/npm/vega@5.20.2", "vega.min.js"),
    (
        "https://cdn.jsdelivr.net/npm/vega-lite@5.2.0",
        "vega-lite.min.js",
    ),
    (
        "https://cdn.jsdelivr.net/npm/vega-embed@6.18.2",
        "vega-embed.min.js",
    ),
];

/// Records script errors and failed embeddings on the page, and whether each image loaded,
/// as attributes the dumped DOM shows.
const PROBE: &str = r#"
    <script>
    window.addEventListener('error', function (event) {
        document.documentElement.setAttribute('data-page-error', String(event.message));
    });
    var dvEmbed = vegaEmbed;
    vegaEmbed = function (selector, spec) {
        return dvEmbed(selector, spec).catch(function (error) {
            document.querySelector(selector).setAttribute('data-vega-error', String(error));
        });
    };
    window.addEventListener('load', function () {
        document.querySelectorAll('img').forEach(function (image) {
            image.setAttribute('data-loaded', String(image.complete && image.naturalWidth > 0));
        });
    });
    </script>"#;

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Runs Chromium on `page` and returns the DOM it dumps.
fn render(chromium: &Path, page: &Path, profile: &Path) -> String {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().expect("waiting for chromium").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "chromium did not finish rendering {} in 120 s",
                page.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().expect("chromium output");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The ids of the plot `<div>`s of a dv page, Vega ones and image ones.
fn plot_ids(page: &str) -> (Vec<String>, Vec<String>) {
    let ids = |marker: &str| -> Vec<String> {
        page.match_indices(marker)
            .filter_map(|(start, _)| {
                let rest = &page[start + marker.len()..];
                rest.find('"').map(|end| rest[..end].to_owned())
            })
            .collect()
    };
    (ids("<div id = \""), ids("id=\""))
}

/// The part of the dumped DOM from the element with `id` to the next plot.
fn section<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element {id} in the rendered page:\n{dom}"));
    let rest = &dom[start..];
    let end = rest[1..]
        .find("<div id=\"")
        .map_or(rest.len(), |position| position + 1);
    &rest[..end]
}

#[test]
fn the_page_shows_every_chart_in_a_browser() {
    let Some(chromium) = chromium() else {
        eprintln!(
            "\n\n!!!!! SKIPPED plots::browser: Chromium is not installed (scripts/test installs \
             it with `apt-get install -y --no-install-recommends chromium`); dv's plots page was \
             NOT rendered in a browser !!!!!\n\n"
        );
        return;
    };
    let scripts_dir = dv_test::venv::venv_dir().join("vega");
    for (_, file) in SCRIPTS {
        assert!(
            scripts_dir.join(file).is_file(),
            "{} is missing: run scripts/test, which fetches the Vega scripts the plots page \
             loads (requirements/vega.txt)",
            scripts_dir.join(file).display()
        );
    }
    let repo = plots_repo();
    dv(&repo, &["plots", "diff", "HEAD~1"]).success();
    let page =
        std::fs::read_to_string(repo.path("dvc_plots/index.html")).expect("dv wrote the page");
    let mut local = page.clone();
    for (url, file) in SCRIPTS {
        assert!(local.contains(url), "the page loads {url}");
        let path = scripts_dir.join(file);
        local = local.replace(url, &format!("file://{}", path.display()));
    }
    let (_, last_script) = SCRIPTS[2];
    let after = local
        .find(last_script)
        .and_then(|position| {
            local[position..]
                .find("</script>")
                .map(|end| position + end + 9)
        })
        .expect("the scripts are in the page");
    local.insert_str(after, PROBE);
    let copy = repo.path("dvc_plots/browser.html");
    std::fs::write(&copy, &local).expect("write the page copy");

    let dom = render(&chromium, &copy, &repo.temp_dir().join("chromium-profile"));
    assert!(
        !dom.contains("data-page-error=\""),
        "a script failed:\n{dom}"
    );
    assert!(
        !dom.contains("data-vega-error=\""),
        "vega failed to embed a plot:\n{dom}"
    );
    let (vega_ids, image_ids) = plot_ids(&page);
    assert_eq!(vega_ids.len(), 6, "{page}");
    assert_eq!(image_ids, vec!["img_confusion_png"]);
    for id in &vega_ids {
        let chart = section(&dom, id);
        let drawn = (chart.contains("<canvas") || chart.contains("<svg"))
            && chart.contains("class=\"marks\"");
        assert!(drawn, "no chart drawn in {id}:\n{chart}");
    }
    for id in &image_ids {
        let images = section(&dom, id);
        assert_eq!(
            images.matches("data-loaded=\"true\"").count(),
            2,
            "{images}"
        );
        assert!(!images.contains("data-loaded=\"false\""), "{images}");
    }
}
