//! GTO's names and git tags for model registry artifacts, as `dvc artifacts get` reads them
//! (spec: revision-commands §1.5): an artifact is `name` (declared in the root `dvc.yaml`) or
//! `dir:name` (declared in `dir/dvc.yaml`; `dir/dvc.yaml:name` means the same). Its versions
//! and stages are annotated git tags, `:` written `=` in them: `name@v1.2.3` registers a
//! version, `name#prod#3` assigns a stage (the counter is optional), with `!` after the
//! version or stage for a deregistration or unassignment, and `name@deprecated` /
//! `name@created`. Lightweight tags are not registry events.

use std::cmp::Ordering;
use std::sync::LazyLock;

use dv_scm::history::{AnnotatedTag, ObjectId};
use regex::Regex;

/// An artifact name: letters and digits at both ends, `-`, `_` and `/` inside.
const NAME: &str = r"[a-zA-Z0-9](?:[a-zA-Z0-9/_\-]*[a-zA-Z0-9])?";
/// The directory part of a full name.
const DIRNAME: &str = r"[a-zA-Z0-9_./\-]+";
/// A prerelease identifier of semantic versioning (no leading zeros in numbers).
const PRERELEASE: &str = r"(?:0|[1-9]\d*|\d*[a-zA-Z\-][0-9a-zA-Z\-]*)";

static FULL_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!("^(?:(?P<dir>{DIRNAME}):)?(?P<name>{NAME})$")).expect("valid regex")
});

static TAG: LazyLock<Regex> = LazyLock::new(|| {
    let semver = format!(
        r"(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-{PRERELEASE}(?:\.{PRERELEASE})*)?(?:\+[0-9a-zA-Z\-]+(?:\.[0-9a-zA-Z\-]+)*)?"
    );
    Regex::new(&format!(
        "^(?P<artifact>(?:{DIRNAME}=)?{NAME})\
         (?:(?:#(?P<stage>{NAME})|@(?P<version>v{semver}))!?|@(?:deprecated|created))\
         (?:#[0-9]+)?$"
    ))
    .expect("valid regex")
});

/// `dir/dvc.yaml:name` as GTO names it, `dir:name`; any other name unchanged.
pub(crate) fn reformat_name(name: &str) -> String {
    let Some(found) = FULL_NAME.captures(name) else {
        return name.to_owned();
    };
    let Some(dir) = found.name("dir") else {
        return name.to_owned();
    };
    let (head, tail) = split(dir.as_str());
    if tail == "dvc.yaml" {
        format!("{head}:{}", &found["name"])
    } else {
        name.to_owned()
    }
}

/// Python's `posixpath.split`: the directory (trailing slashes dropped unless it is all
/// slashes) and the last component.
fn split(path: &str) -> (&str, &str) {
    let cut = path.rfind('/').map_or(0, |i| i + 1);
    let (head, tail) = path.split_at(cut);
    let trimmed = head.trim_end_matches('/');
    (if trimmed.is_empty() { head } else { trimmed }, tail)
}

/// The directory (as written) and the name of an artifact's full name; `None` when it is no
/// valid full name.
pub(crate) fn parse_name(name: &str) -> Option<(Option<String>, String)> {
    let found = FULL_NAME.captures(name)?;
    let dir = found.name("dir").map(|dir| dir.as_str().to_owned());
    Some((dir, found["name"].to_owned()))
}

/// What a registry tag says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event {
    /// The artifact's full name (`dir:name`).
    pub(crate) name: String,
    /// The version it registers or deregisters.
    pub(crate) version: Option<String>,
    /// The stage it assigns or unassigns.
    pub(crate) stage: Option<String>,
}

/// The registry event a tag name records, if it is one.
pub(crate) fn parse_tag(tag: &str) -> Option<Event> {
    let found = TAG.captures(tag)?;
    Some(Event {
        name: found["artifact"].replace('=', ":"),
        version: found.name("version").map(|v| v.as_str().to_owned()),
        stage: found.name("stage").map(|s| s.as_str().to_owned()),
    })
}

/// Why no commit was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotChosen {
    /// No tag of the artifact (with that version or stage): DVC's `ArtifactNotFoundError`.
    NotFound(String),
    /// Tags of the artifact, none a version (only stages): DVC fails indexing an empty list.
    NoVersion,
}

impl std::fmt::Display for NotChosen {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotChosen::NotFound(message) => formatter.write_str(message),
            NotChosen::NoVersion => formatter.write_str("list index out of range"),
        }
    }
}

/// The commit of artifact `name` at `version` or `stage` (the newest such tag by tagger time),
/// else of its greatest version (semantic versioning order). `tags` are in name order, as
/// git lists them; ties in time keep that order.
pub(crate) fn choose(
    tags: &[AnnotatedTag],
    name: &str,
    version: Option<&str>,
    stage: Option<&str>,
) -> Result<ObjectId, NotChosen> {
    let mut matching: Vec<(&AnnotatedTag, Event)> = tags
        .iter()
        .filter_map(|tag| Some((tag, parse_tag(&tag.name)?)))
        .filter(|(_, event)| {
            event.name == name
                && version.is_none_or(|v| event.version.as_deref() == Some(v))
                && stage.is_none_or(|s| event.stage.as_deref() == Some(s))
        })
        .collect();
    matching.sort_by_key(|(tag, _)| tag.time);
    if matching.is_empty() {
        let detail = stage
            .or(version)
            .map(|what| format!(" @ {what}"))
            .unwrap_or_default();
        return Err(NotChosen::NotFound(format!(
            "Unable to find artifact '{name}{detail}'"
        )));
    }
    if version.is_some() || stage.is_some() {
        return Ok(matching[matching.len() - 1].0.target);
    }
    // The greatest version; of equal ones, the last in the order above.
    let mut best: Option<(&AnnotatedTag, SemVer)> = None;
    for (tag, event) in &matching {
        let Some(parsed) = event.version.as_deref().and_then(SemVer::parse) else {
            continue;
        };
        if best
            .as_ref()
            .is_none_or(|(_, current)| parsed.cmp(current) != Ordering::Less)
        {
            best = Some((tag, parsed));
        }
    }
    best.map(|(tag, _)| tag.target).ok_or(NotChosen::NoVersion)
}

/// A `vMAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]` version, ordered as semantic versioning orders
/// them (build metadata ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
struct SemVer {
    numbers: [String; 3],
    prerelease: Option<String>,
}

impl SemVer {
    fn parse(version: &str) -> Option<SemVer> {
        let rest = version.strip_prefix('v')?;
        let rest = rest.split_once('+').map_or(rest, |(core, _)| core);
        let (core, prerelease) = match rest.split_once('-') {
            Some((core, prerelease)) => (core, Some(prerelease.to_owned())),
            None => (rest, None),
        };
        let mut parts = core.split('.');
        let mut number = || {
            let part = parts.next()?;
            (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())).then(|| part.to_owned())
        };
        let numbers = [number()?, number()?, number()?];
        Some(SemVer {
            numbers,
            prerelease,
        })
    }
}

/// Digit strings compared as numbers.
fn numeric(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Ord for SemVer {
    fn cmp(&self, other: &SemVer) -> Ordering {
        for (a, b) in self.numbers.iter().zip(&other.numbers) {
            let order = numeric(a, b);
            if order != Ordering::Equal {
                return order;
            }
        }
        match (&self.prerelease, &other.prerelease) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => {
                let key = |identifier: &str| -> (u8, String) {
                    if !identifier.is_empty() && identifier.bytes().all(|b| b.is_ascii_digit()) {
                        (0, identifier.to_owned())
                    } else {
                        (1, identifier.to_owned())
                    }
                };
                let a_parts: Vec<&str> = a.split('.').collect();
                let b_parts: Vec<&str> = b.split('.').collect();
                for (x, y) in a_parts.iter().zip(&b_parts) {
                    let (kx, ix) = key(x);
                    let (ky, iy) = key(y);
                    let order = kx.cmp(&ky).then_with(|| {
                        if kx == 0 {
                            numeric(&ix, &iy)
                        } else {
                            ix.cmp(&iy)
                        }
                    });
                    if order != Ordering::Equal {
                        return order;
                    }
                }
                a_parts.len().cmp(&b_parts.len())
            }
        }
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &SemVer) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(name: &str, target: u8, time: i64) -> AnnotatedTag {
        AnnotatedTag {
            name: name.to_owned(),
            target: ObjectId::from_bytes_or_panic(&[target; 20]),
            time,
        }
    }

    #[test]
    fn parses_gto_tags() {
        let event = |name: &str, version: Option<&str>, stage: Option<&str>| Event {
            name: name.to_owned(),
            version: version.map(str::to_owned),
            stage: stage.map(str::to_owned),
        };
        assert_eq!(
            parse_tag("model@v1.2.3"),
            Some(event("model", Some("v1.2.3"), None))
        );
        assert_eq!(
            parse_tag("sub/dir=my-net@v0.1.0-rc.1+b7#2"),
            Some(event("sub/dir:my-net", Some("v0.1.0-rc.1+b7"), None))
        );
        assert_eq!(
            parse_tag("model#prod#3"),
            Some(event("model", None, Some("prod")))
        );
        assert_eq!(
            parse_tag("model#prod!#4"),
            Some(event("model", None, Some("prod")))
        );
        assert_eq!(
            parse_tag("model@deprecated#5"),
            Some(event("model", None, None))
        );
        for bad in [
            "model",
            "model@1.0.0",
            "model@v01.0.0",
            "-model@v1.0.0",
            "model#prod#",
            "a:b@v1.0.0",
            "model@v1.0.0 ",
        ] {
            assert_eq!(parse_tag(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_dvc_yaml_paths_as_gto_does() {
        assert_eq!(reformat_name("sub/dvc.yaml:net"), "sub:net");
        assert_eq!(reformat_name("a//b/dvc.yaml:net"), "a//b:net");
        assert_eq!(reformat_name("dvc.yaml:net"), ":net");
        assert_eq!(reformat_name("sub:net"), "sub:net");
        assert_eq!(reformat_name("model"), "model");
        assert_eq!(
            parse_name("sub:net"),
            Some((Some("sub".to_owned()), "net".to_owned()))
        );
        assert_eq!(parse_name("model"), Some((None, "model".to_owned())));
        assert_eq!(parse_name(":net"), None);
    }

    #[test]
    fn chooses_the_greatest_version_or_the_newest_tag() {
        let target = |id: u8| ObjectId::from_bytes_or_panic(&[id; 20]);
        let tags = vec![
            tag("model#prod#1", 1, 30),
            tag("model#prod#2", 2, 20),
            tag("model@v1.0.0", 1, 10),
            tag("model@v1.10.0", 3, 5),
            tag("model@v1.2.0", 2, 11),
            tag("model@v1.10.0-rc.1", 4, 12),
            tag("other@v9.0.0", 9, 1),
            tag("light@v1.0.0", 9, 1),
        ];
        assert_eq!(choose(&tags, "model", None, None), Ok(target(3)));
        assert_eq!(choose(&tags, "model", Some("v1.2.0"), None), Ok(target(2)));
        // The newest assignment by time, whatever its counter.
        assert_eq!(choose(&tags, "model", None, Some("prod")), Ok(target(1)));
        assert_eq!(
            choose(&tags, "model", Some("1.0.0"), None),
            Err(NotChosen::NotFound(
                "Unable to find artifact 'model @ 1.0.0'".to_owned()
            ))
        );
        assert_eq!(
            choose(&tags, "nope", None, None),
            Err(NotChosen::NotFound(
                "Unable to find artifact 'nope'".to_owned()
            ))
        );
        let only_stages = vec![tag("m#dev", 1, 1)];
        assert_eq!(
            choose(&only_stages, "m", None, None),
            Err(NotChosen::NoVersion)
        );
    }

    #[test]
    fn orders_versions_as_semantic_versioning_does() {
        let ordered = [
            "v1.0.0-alpha",
            "v1.0.0-alpha.1",
            "v1.0.0-alpha.beta",
            "v1.0.0-beta",
            "v1.0.0-beta.2",
            "v1.0.0-beta.11",
            "v1.0.0-rc.1",
            "v1.0.0",
            "v1.0.1",
            "v1.2.0",
            "v1.10.0",
            "v10.0.0",
        ];
        for pair in ordered.windows(2) {
            let a = SemVer::parse(pair[0]).expect("a version");
            let b = SemVer::parse(pair[1]).expect("a version");
            assert_eq!(a.cmp(&b), Ordering::Less, "{pair:?}");
        }
        assert_eq!(
            SemVer::parse("v1.0.0+a")
                .expect("a version")
                .cmp(&SemVer::parse("v1.0.0+b").expect("a version")),
            Ordering::Equal
        );
        assert_eq!(SemVer::parse("1.0.0"), None);
    }
}
