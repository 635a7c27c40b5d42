//! The order of the plots on the page (dvc-render's `_order_image_per_step`): Vega plots as
//! they come, then images by directory, number (an image named by digits) and name. The key is
//! a Python tuple in which the number may be `None`; comparing `None` with a number fails in
//! Python, so DVC stops with a `TypeError` when its sort happens to compare such two images.
//! Sorting here follows CPython 3.11's `list.sort` step by step for short lists (a natural run,
//! then binary insertion), so it fails exactly where DVC's does.

use dv_repo::ops::plots::Renderer;

/// One renderer's sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    is_image: bool,
    dir: Option<String>,
    number: Option<u64>,
    base: Option<String>,
}

/// Python's `'<' not supported between instances of 'X' and 'Y'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unorderable(pub(crate) String);

fn key(renderer: &Renderer) -> Key {
    let Renderer::Image(image) = renderer else {
        return Key {
            is_image: false,
            dir: None,
            number: None,
            base: None,
        };
    };
    let path = image.name.as_str();
    let (dir, base) = match path.rfind('/') {
        Some(slash) => (&path[..slash], &path[slash + 1..]),
        None => ("", path),
    };
    let leading_dots = base.len() - base.trim_start_matches('.').len();
    let stem = match base.rfind('.') {
        Some(dot) if dot > leading_dots => &base[..dot],
        _ => base,
    };
    let number = (!stem.is_empty() && stem.chars().all(|c| c.is_ascii_digit()))
        .then(|| stem.parse().ok())
        .flatten();
    Key {
        is_image: true,
        dir: Some(dir.to_owned()),
        number,
        base: Some(base.to_owned()),
    }
}

fn type_name<T>(value: &Option<T>, name: &'static str) -> &'static str {
    if value.is_some() { name } else { "NoneType" }
}

/// `a < b` for two optional items of a tuple that differ.
fn less<T: Ord>(a: &Option<T>, b: &Option<T>, name: &'static str) -> Result<bool, Unorderable> {
    match (a, b) {
        (Some(a), Some(b)) => Ok(a < b),
        _ => Err(Unorderable(format!(
            "'<' not supported between instances of '{}' and '{}'",
            type_name(a, name),
            type_name(b, name)
        ))),
    }
}

/// Python's `<` on the key tuples: the first items that differ decide.
fn is_less(a: &Key, b: &Key) -> Result<bool, Unorderable> {
    if a.is_image != b.is_image {
        return Ok(!a.is_image);
    }
    if a.dir != b.dir {
        return less(&a.dir, &b.dir, "str");
    }
    if a.number != b.number {
        return less(&a.number, &b.number, "int");
    }
    if a.base != b.base {
        return less(&a.base, &b.base, "str");
    }
    Ok(false)
}

/// The renderers in page order, or the error DVC's sort raises.
pub(crate) fn sorted<'a>(renderers: &[&'a Renderer]) -> Result<Vec<&'a Renderer>, Unorderable> {
    let mut items: Vec<(Key, &Renderer)> = renderers
        .iter()
        .map(|renderer| (key(renderer), *renderer))
        .collect();
    let count = items.len();
    if count < 2 {
        return Ok(items.into_iter().map(|(_, renderer)| renderer).collect());
    }
    if count >= 64 {
        // Longer lists merge runs in CPython; an order that cannot fail is all dv keeps.
        let mut failure = None;
        items.sort_by(|a, b| match (is_less(&a.0, &b.0), is_less(&b.0, &a.0)) {
            (Ok(true), _) => std::cmp::Ordering::Less,
            (_, Ok(true)) => std::cmp::Ordering::Greater,
            (Err(error), _) | (_, Err(error)) => {
                failure.get_or_insert(error);
                std::cmp::Ordering::Equal
            }
            _ => std::cmp::Ordering::Equal,
        });
        return match failure {
            Some(error) => Err(error),
            None => Ok(items.into_iter().map(|(_, renderer)| renderer).collect()),
        };
    }
    // The natural run at the start (`count_run`): ascending, or strictly descending and
    // then reversed.
    let mut run = 2;
    if is_less(&items[1].0, &items[0].0)? {
        while run < count && is_less(&items[run].0, &items[run - 1].0)? {
            run += 1;
        }
        items[..run].reverse();
    } else {
        while run < count && !is_less(&items[run].0, &items[run - 1].0)? {
            run += 1;
        }
    }
    // Binary insertion of the rest (`binarysort`).
    for start in run..count {
        let mut low = 0;
        let mut high = start;
        while low < high {
            let middle = low + (high - low) / 2;
            if is_less(&items[start].0, &items[middle].0)? {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        let item = items.remove(start);
        items.insert(low, item);
    }
    Ok(items.into_iter().map(|(_, renderer)| renderer).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dv_repo::ops::plots::ImageRenderer;

    fn image(name: &str) -> Renderer {
        Renderer::Image(ImageRenderer {
            name: name.to_owned(),
            datapoints: Vec::new(),
        })
    }

    fn names(renderers: &[&Renderer]) -> Vec<String> {
        sorted(renderers)
            .expect("sortable")
            .iter()
            .map(|renderer| renderer.name().to_owned())
            .collect()
    }

    #[test]
    fn numbered_images_sort_by_number() {
        let (a, b, c) = (image("i/10.png"), image("i/2.png"), image("h/b.png"));
        assert_eq!(names(&[&a, &b, &c]), vec!["h/b.png", "i/2.png", "i/10.png"]);
    }

    #[test]
    fn a_named_and_a_numbered_image_in_one_directory_cannot_be_ordered() {
        let (a, b) = (image("i/2.png"), image("i/b.png"));
        let error = sorted(&[&a, &b]).expect_err("None against int");
        assert_eq!(
            error.0,
            "'<' not supported between instances of 'NoneType' and 'int'"
        );
    }
}
