//! Property tests: hex round trips, manifest bytes that are valid JSON with the same content,
//! and YAML output that reads back to the value written.

use dv_schema::dir_manifest::{DirEntry, DirManifest, RelPath};
use dv_schema::hash::{Md5, ObjectId};
use dv_schema::yaml::{self, Mapping, Value};
use proptest::prelude::*;

fn relpath() -> impl Strategy<Value = RelPath> {
    let component = "[a-zA-Z0-9 ._\\-é😀日\"\\\\\t\u{7f}\u{1}]{1,8}"
        .prop_filter("not . or ..", |c| c != "." && c != "..");
    prop::collection::vec(component, 1..4)
        .prop_filter_map("valid relpath", |parts| RelPath::new(parts.join("/")).ok())
}

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[ -!#-\\[\\]-~é😀]{{1,{max}}}"))
        .expect("valid regex")
        .prop_filter("no runs of spaces", |s| !s.contains("  "))
}

proptest! {
    #[test]
    fn md5_hex_round_trips(bytes in any::<[u8; 16]>(), tree in any::<bool>()) {
        let md5 = Md5(bytes);
        prop_assert_eq!(md5.to_string().parse::<Md5>(), Ok(md5));
        let id = if tree { ObjectId::tree(md5) } else { ObjectId::file(md5) };
        prop_assert_eq!(id.to_string().parse::<ObjectId>(), Ok(id));
    }

    #[test]
    fn manifest_bytes_are_ascii_json_with_the_same_entries(
        entries in prop::collection::vec((relpath(), any::<[u8; 16]>()), 0..8)
    ) {
        let manifest = DirManifest::new(
            entries.into_iter().map(|(path, md5)| DirEntry::md5(path, Md5(md5))).collect(),
        );
        let bytes = manifest.to_bytes();
        prop_assert!(bytes.is_ascii());
        let json: Vec<serde_json::Value> = serde_json::from_slice(&bytes).expect("valid JSON");
        prop_assert_eq!(json.len(), manifest.len());
        for (value, entry) in json.iter().zip(manifest.entries()) {
            prop_assert_eq!(value["relpath"].as_str(), Some(entry.relpath.as_str()));
        }
        let sorted = manifest.entries().windows(2).all(|w| w[0].relpath.as_str().as_bytes() <= w[1].relpath.as_str().as_bytes());
        prop_assert!(sorted);
        prop_assert_eq!(DirManifest::from_bytes(&bytes).expect("parses"), manifest);
    }

    // Left out, because ruamel's output does not read back to the same string and dv reproduces
    // ruamel byte for byte (see the yaml-style corpus test): escaped characters (tab, newline,
    // `\\`, `"`), where a double-quoted line folded right after an escape gains a space, and
    // runs of spaces, where a folded plain line loses one.
    #[test]
    fn yaml_output_reads_back_to_the_same_strings(
        pairs in prop::collection::vec((text(30), text(120)), 1..6)
    ) {
        let mut map = Mapping::new();
        for (key, value) in &pairs {
            map.insert(Value::String(key.clone()), Value::String(value.clone()));
        }
        let value = Value::Mapping(map);
        let text = yaml::to_string(&value);
        prop_assert_eq!(yaml::parse(&text).expect("own output parses"), value, "{}", text);
    }
}
