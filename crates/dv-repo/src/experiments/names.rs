//! Names for experiments run without `-n`: a random `adjective-noun` pair, as DVC names them
//! (dv's own word lists), never one the baseline already has.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

const ADJECTIVES: &[&str] = &[
    "agile", "amber", "ample", "azure", "balmy", "bold", "brave", "brisk", "calm", "candid",
    "chief", "civic", "clear", "cozy", "crisp", "dapper", "deft", "eager", "early", "exact",
    "fair", "famed", "fancy", "feral", "fleet", "fond", "frank", "fresh", "gentle", "glad",
    "grand", "happy", "hardy", "hazel", "honed", "ionic", "jolly", "keen", "kind", "lanky",
    "lucid", "lunar", "merry", "mossy", "noble", "oaken", "perky", "plush", "prime", "quick",
    "quiet", "rapid", "regal", "rosy", "rustic", "sandy", "sharp", "shiny", "silky", "sleek",
    "snowy", "solar", "spry", "stoic", "sunny", "swift", "tidal", "tidy", "topaz", "vivid", "warm",
    "wavy", "windy", "witty", "young", "zesty",
];

const NOUNS: &[&str] = &[
    "acorn", "alder", "anvil", "aspen", "badger", "basin", "beacon", "birch", "bison", "cedar",
    "comet", "coral", "crane", "delta", "dingo", "egret", "ember", "falcon", "fern", "finch",
    "fjord", "gecko", "glade", "grove", "heron", "hydra", "ibex", "iris", "jackal", "kayak",
    "kelp", "lemur", "lotus", "lynx", "maple", "marsh", "meadow", "moose", "newt", "oasis", "orca",
    "otter", "panda", "pecan", "pine", "plover", "quail", "quartz", "raven", "reef", "robin",
    "sable", "salmon", "sequoia", "shoal", "sparrow", "spruce", "stork", "tapir", "thrush",
    "tundra", "viper", "walrus", "willow", "wren", "yak", "zebra",
];

fn random() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default(),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// A random `adjective-noun` name for which `taken` is false.
pub fn random_name(taken: impl Fn(&str) -> bool) -> String {
    loop {
        let value = random();
        let adjective = ADJECTIVES[(value % ADJECTIVES.len() as u64) as usize];
        let noun = NOUNS[((value >> 32) % NOUNS.len() as u64) as usize];
        let name = format!("{adjective}-{noun}");
        if !taken(&name) {
            return name;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_two_words_and_avoid_taken_ones() {
        let name = random_name(|name| name.starts_with('a'));
        let (adjective, noun) = name.split_once('-').expect("two words");
        assert!(ADJECTIVES.contains(&adjective) && NOUNS.contains(&noun));
        assert!(!name.starts_with('a'));
    }
}
