//! The stage graph (spec §9.2): a stage depends on the stages whose outputs overlap its
//! dependencies (a dependency inside an output directory, or a dependency directory holding
//! outputs). Building it checks what DVC checks — duplicate and overlapping outputs, stage
//! files inside outputs, cycles — with DVC's messages; it then orders stages for `repro` and
//! selects the stages a command's targets affect.
//!
//! Nodes are generic ([`GraphNode`]) so that `.dvc` file stages (data sources, imports) take part
//! alongside pipeline stages, as in DVC. Orders follow networkx's depth-first post-order over
//! nodes in the order given and edges in the order they were found, which is DVC's order.

use std::collections::HashMap;

use dv_schema::repo_path::RepoPath;

use crate::entry_path::EntryPath;

/// A stage as the graph sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphNode {
    /// How DVC names the stage in messages (`train`, `sub/dvc.yaml:train`, `data.dvc`).
    pub addressing: String,
    /// The file the stage is defined in (a stage file inside an output is an error).
    pub file: RepoPath,
    /// Its outputs.
    pub outs: Vec<NodeEntry>,
    /// Its dependencies (params files included).
    pub deps: Vec<EntryPath>,
    /// `frozen`: `repro` does not follow its dependencies.
    pub frozen: bool,
    /// Whether its dependencies link it to other stages (false for imports from other
    /// repositories, whose dependencies are not paths of this one).
    pub links_deps: bool,
}

/// An output of a [`GraphNode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeEntry {
    /// Where it is.
    pub path: EntryPath,
    /// How DVC shows it in messages (relative to the current directory).
    pub shown: String,
}

/// Stages that cannot form a pipeline (DVC's messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// The same output in two stages (or twice in one).
    #[error("{}", duplicate_message(output, stages))]
    OutputDuplication {
        /// The output, as shown.
        output: String,
        /// The stages declaring it (one when a stage declares it twice).
        stages: Vec<String>,
    },
    /// One output inside another.
    #[error(
        "The output paths:\n'{parent}'('{parent_stage}')\n'{overlapping}'('{overlapping_stage}')\n\
         overlap and are thus in the same tracked directory.\nTo keep reproducibility, outputs \
         should be in separate tracked directories or tracked individually."
    )]
    OverlappingOutputs {
        /// The enclosing output.
        parent: String,
        /// Its stage.
        parent_stage: String,
        /// The output inside it.
        overlapping: String,
        /// Its stage.
        overlapping_stage: String,
    },
    /// A stage file inside another stage's output.
    #[error("stage: '{stage}' is within an output '{output}' of another stage")]
    StagePathAsOutput {
        /// The stage.
        stage: String,
        /// The output holding its file.
        output: String,
    },
    /// A cycle of dependencies.
    #[error(
        "Same item(s) are defined as both a dependency and an output in {}: {}.",
        if stages.len() == 1 { "stage" } else { "stages" },
        stages.join(", ")
    )]
    Cycle {
        /// The stages of the cycle.
        stages: Vec<String>,
    },
}

fn duplicate_message(output: &str, stages: &[String]) -> String {
    match stages {
        [stage] => format!(
            "output '{output}' is already specified in stage: '{stage}'.\nUse `dvc remove {stage}` \
             to stop tracking the overlapping output."
        ),
        _ => {
            let names: Vec<String> = stages.iter().map(|stage| format!("\t- {stage}")).collect();
            format!(
                "output '{output}' is specified in:\n{}\nUse `dvc remove` with any of the above \
                 targets to stop tracking the overlapping output.",
                names.join("\n")
            )
        }
    }
}

/// The dependency graph of a set of stages, by index into the nodes it was built from.
#[derive(Clone, Debug)]
pub struct StageGraph {
    /// `dependencies[i]`: the stages `i` depends on, in the order found.
    dependencies: Vec<Vec<usize>>,
    /// `dependents[i]`: the stages depending on `i`.
    dependents: Vec<Vec<usize>>,
    frozen: Vec<bool>,
}

/// Which stages a `repro` covers (DVC's `-s`, `--downstream`, `-p`, `-P`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// `-s/--single-item`: only the targets, no graph.
    pub single_item: bool,
    /// `--downstream`: the targets and the stages depending on them.
    pub downstream: bool,
    /// `-p/--pipeline`: the whole pipelines (connected components) of the targets.
    pub pipeline: bool,
    /// `-P/--all-pipelines`: every stage.
    pub all_pipelines: bool,
}

/// Outputs keyed by path components, for DVC's trie queries.
struct OutputIndex {
    /// exact key → (node, output)
    exact: HashMap<Vec<String>, (usize, usize)>,
    /// every proper prefix of an output key → the outputs below it, in insertion order until
    /// [`OutputIndex::sort_as_trie`]
    below: HashMap<Vec<String>, Vec<(usize, usize)>>,
    /// every key, in insertion order
    keys: Vec<(Vec<String>, (usize, usize))>,
}

impl OutputIndex {
    fn new() -> OutputIndex {
        OutputIndex {
            exact: HashMap::new(),
            below: HashMap::new(),
            keys: Vec::new(),
        }
    }

    /// The outputs in the order pygtrie iterates DVC's outputs trie: depth first, a key before
    /// the keys below it, children in the order they were first inserted.
    fn trie_order(&self) -> Vec<(usize, usize)> {
        let mut children: HashMap<&[String], Vec<&String>> = HashMap::new();
        for (key, _) in &self.keys {
            for depth in 0..key.len() {
                let list = children.entry(&key[..depth]).or_default();
                if !list.contains(&&key[depth]) {
                    list.push(&key[depth]);
                }
            }
        }
        let mut order = Vec::new();
        let mut stack: Vec<Vec<String>> = vec![Vec::new()];
        while let Some(prefix) = stack.pop() {
            if let Some(&value) = self.exact.get(&prefix) {
                order.push(value);
            }
            if let Some(list) = children.get(prefix.as_slice()) {
                for child in list.iter().rev() {
                    let mut next = prefix.clone();
                    next.push((*child).clone());
                    stack.push(next);
                }
            }
        }
        order
    }

    /// Orders every `below` list as the trie lists values under a prefix.
    fn sort_as_trie(&mut self) {
        let rank: HashMap<(usize, usize), usize> = self
            .trie_order()
            .into_iter()
            .enumerate()
            .map(|(rank, value)| (value, rank))
            .collect();
        for list in self.below.values_mut() {
            list.sort_by_key(|value| rank.get(value).copied().unwrap_or(usize::MAX));
        }
    }

    fn insert(&mut self, key: Vec<String>, value: (usize, usize)) {
        for length in 1..key.len() {
            self.below
                .entry(key[..length].to_vec())
                .or_default()
                .push(value);
        }
        self.keys.push((key.clone(), value));
        self.exact.insert(key, value);
    }

    /// Outputs at `key` or enclosing it, shortest first.
    fn prefixes(&self, key: &[String]) -> Vec<(usize, usize)> {
        (1..=key.len())
            .filter_map(|length| self.exact.get(&key[..length]).copied())
            .collect()
    }

    /// Outputs strictly below `key`.
    fn below(&self, key: &[String]) -> &[(usize, usize)] {
        self.below.get(key).map_or(&[], Vec::as_slice)
    }
}

impl StageGraph {
    /// Builds the graph of `nodes`, with DVC's checks (`build_outs_trie`, `build_graph`).
    pub fn build(nodes: &[GraphNode]) -> Result<StageGraph, GraphError> {
        let mut index = OutputIndex::new();
        for (node_index, node) in nodes.iter().enumerate() {
            for (out_index, out) in node.outs.iter().enumerate() {
                let key = out.path.key();
                if let Some(&(other, _)) = index.exact.get(&key) {
                    let mut stages = vec![node.addressing.clone()];
                    if other != node_index {
                        stages.push(nodes[other].addressing.clone());
                    }
                    return Err(GraphError::OutputDuplication {
                        output: out.shown.clone(),
                        stages,
                    });
                }
                let enclosing = index.prefixes(&key).first().copied();
                let inside = index.below(&key).first().copied();
                let overlap = match (inside, enclosing) {
                    (Some(inner), _) => Some(((node_index, out_index), inner)),
                    (None, Some(parent)) => Some((parent, (node_index, out_index))),
                    (None, None) => None,
                };
                if let Some((parent, overlapping)) = overlap {
                    let entry = |(node, out): (usize, usize)| &nodes[node].outs[out];
                    return Err(GraphError::OverlappingOutputs {
                        parent: entry(parent).shown.clone(),
                        parent_stage: nodes[parent.0].addressing.clone(),
                        overlapping: entry(overlapping).shown.clone(),
                        overlapping_stage: nodes[overlapping.0].addressing.clone(),
                    });
                }
                index.insert(key, (node_index, out_index));
            }
        }
        for node in nodes {
            let file_key = EntryPath::Repo(node.file.clone()).key();
            if let Some(&(owner, out)) = index.prefixes(&file_key).first() {
                return Err(GraphError::StagePathAsOutput {
                    stage: node.addressing.clone(),
                    output: nodes[owner].outs[out].shown.clone(),
                });
            }
        }
        index.sort_as_trie();
        let mut dependencies: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        for (node_index, node) in nodes.iter().enumerate() {
            if !node.links_deps {
                continue;
            }
            for dep in &node.deps {
                let key = dep.key();
                let overlapping = index
                    .prefixes(&key)
                    .into_iter()
                    .chain(index.below(&key).iter().copied());
                for (owner, _) in overlapping {
                    if !dependencies[node_index].contains(&owner) {
                        dependencies[node_index].push(owner);
                        dependents[owner].push(node_index);
                    }
                }
            }
        }
        let graph = StageGraph {
            dependencies,
            dependents,
            frozen: nodes.iter().map(|node| node.frozen).collect(),
        };
        if let Some(cycle) = graph.find_cycle() {
            return Err(GraphError::Cycle {
                stages: cycle
                    .into_iter()
                    .map(|i| nodes[i].addressing.clone())
                    .collect(),
            });
        }
        Ok(graph)
    }

    /// The number of stages.
    pub fn len(&self) -> usize {
        self.dependencies.len()
    }

    /// Whether there are no stages.
    pub fn is_empty(&self) -> bool {
        self.dependencies.is_empty()
    }

    /// The stages `node` depends on directly ("upstream").
    pub fn dependencies(&self, node: usize) -> &[usize] {
        &self.dependencies[node]
    }

    /// The stages depending directly on `node` ("downstream").
    pub fn dependents(&self, node: usize) -> &[usize] {
        &self.dependents[node]
    }

    /// The graph `repro` walks (DVC's `get_active_graph`): frozen stages cut off from the
    /// stages they depend on.
    pub fn active(&self) -> StageGraph {
        let mut active = self.clone();
        for (node, frozen) in self.frozen.iter().enumerate() {
            if *frozen {
                for &dependency in &self.dependencies[node] {
                    active.dependents[dependency].retain(|&other| other != node);
                }
                active.dependencies[node].clear();
            }
        }
        active
    }

    /// The first cycle networkx's `find_cycle` would report: its stages in order.
    fn find_cycle(&self) -> Option<Vec<usize>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
        }
        let mut marks = vec![Mark::New; self.len()];
        for start in 0..self.len() {
            if marks[start] != Mark::New {
                continue;
            }
            let mut path = vec![start];
            let mut iterators = vec![0usize];
            marks[start] = Mark::Active;
            while let Some(&node) = path.last() {
                let position = iterators.last_mut().expect("same length as path");
                match self.dependencies[node].get(*position).copied() {
                    Some(next) => {
                        *position += 1;
                        match marks[next] {
                            Mark::Active => {
                                let from = path.iter().position(|&n| n == next).unwrap_or(0);
                                return Some(path[from..].to_vec());
                            }
                            Mark::New => {
                                marks[next] = Mark::Active;
                                path.push(next);
                                iterators.push(0);
                            }
                            Mark::Done => {}
                        }
                    }
                    None => {
                        marks[node] = Mark::Done;
                        path.pop();
                        iterators.pop();
                    }
                }
            }
        }
        None
    }

    /// Depth-first post-order from `sources` (all stages, in order, when `None`) following
    /// `edges`, restricted to `allowed` stages.
    fn postorder(
        &self,
        sources: Option<&[usize]>,
        reverse: bool,
        allowed: Option<&[bool]>,
    ) -> Vec<usize> {
        let edges = if reverse {
            &self.dependents
        } else {
            &self.dependencies
        };
        let ok = |node: usize| allowed.is_none_or(|allowed| allowed[node]);
        let all: Vec<usize> = (0..self.len()).collect();
        let sources = sources.unwrap_or(&all);
        let mut visited = vec![false; self.len()];
        let mut order = Vec::new();
        for &start in sources {
            if visited[start] || !ok(start) {
                continue;
            }
            visited[start] = true;
            let mut stack = vec![(start, 0usize)];
            while let Some((node, position)) = stack.last_mut() {
                let node = *node;
                match edges[node].get(*position).copied() {
                    Some(next) => {
                        *position += 1;
                        if !visited[next] && ok(next) {
                            visited[next] = true;
                            stack.push((next, 0));
                        }
                    }
                    None => {
                        order.push(node);
                        stack.pop();
                    }
                }
            }
        }
        order
    }

    /// Every stage, dependencies before dependents (`dfs_postorder_nodes(graph)`).
    pub fn order(&self) -> Vec<usize> {
        self.postorder(None, false, None)
    }

    /// `node` and every stage it depends on, dependencies first (DVC's `collect_pipeline`, used
    /// by `--with-deps`).
    pub fn with_dependencies(&self, node: usize) -> Vec<usize> {
        self.postorder(Some(&[node]), false, None)
    }

    /// `node` and every stage depending on it.
    pub fn with_dependents(&self, node: usize) -> Vec<usize> {
        let mut nodes = self.postorder(Some(&[node]), true, None);
        nodes.reverse();
        nodes
    }

    /// The weakly connected components, each in stage order.
    pub fn pipelines(&self) -> Vec<Vec<usize>> {
        let mut component = vec![usize::MAX; self.len()];
        let mut pipelines = Vec::new();
        for start in 0..self.len() {
            if component[start] != usize::MAX {
                continue;
            }
            let id = pipelines.len();
            let mut members = Vec::new();
            let mut stack = vec![start];
            component[start] = id;
            while let Some(node) = stack.pop() {
                members.push(node);
                for &next in self.dependencies[node].iter().chain(&self.dependents[node]) {
                    if component[next] == usize::MAX {
                        component[next] = id;
                        stack.push(next);
                    }
                }
            }
            members.sort_unstable();
            pipelines.push(members);
        }
        pipelines
    }

    /// The stages `dvc repro` evaluates for `targets` (all stages when empty), in the order it
    /// evaluates them (DVC's `plan_repro` over the active graph).
    pub fn plan(&self, targets: &[usize], selection: Selection) -> Vec<usize> {
        let mut selection = selection;
        if selection.all_pipelines || selection.pipeline {
            selection.single_item = false;
            selection.downstream = false;
        }
        let targets: &[usize] = if selection.all_pipelines {
            &[]
        } else {
            targets
        };
        if selection.single_item {
            let mut seen = Vec::new();
            for &target in targets {
                if !seen.contains(&target) {
                    seen.push(target);
                }
            }
            return seen;
        }
        let active = self.active();
        if targets.is_empty() {
            return active.order();
        }
        let mut allowed = vec![false; self.len()];
        if selection.pipeline {
            for pipeline in active.pipelines() {
                if pipeline.iter().any(|node| targets.contains(node)) {
                    for node in pipeline {
                        allowed[node] = true;
                    }
                }
            }
        } else {
            for &target in targets {
                for node in active.postorder(Some(&[target]), selection.downstream, None) {
                    allowed[node] = true;
                }
            }
        }
        active.postorder(None, false, Some(&allowed))
    }
}

/// The graph of outputs `dvc dag --outs` draws (DVC's `build_outs_graph`): every output of a
/// stage depends on the outputs its stage's dependencies overlap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputsGraph {
    /// `(node, output)` pairs, in the order DVC's outputs trie lists them.
    pub outputs: Vec<(usize, usize)>,
    /// `dependencies[i]`: the outputs output `i` depends on, by index into `outputs`, in the
    /// order found.
    pub dependencies: Vec<Vec<usize>>,
}

impl OutputsGraph {
    /// The outputs graph of `nodes`, which [`StageGraph::build`] accepted.
    pub fn build(nodes: &[GraphNode]) -> OutputsGraph {
        let mut index = OutputIndex::new();
        for (node_index, node) in nodes.iter().enumerate() {
            for (out_index, out) in node.outs.iter().enumerate() {
                index.insert(out.path.key(), (node_index, out_index));
            }
        }
        index.sort_as_trie();
        let outputs = index.trie_order();
        let position: HashMap<(usize, usize), usize> = outputs
            .iter()
            .enumerate()
            .map(|(position, &value)| (value, position))
            .collect();
        let mut dependencies: Vec<Vec<usize>> = vec![Vec::new(); outputs.len()];
        for (node_index, node) in nodes.iter().enumerate() {
            if !node.links_deps {
                continue;
            }
            for dep in &node.deps {
                let key = dep.key();
                let overlapping: Vec<usize> = index
                    .prefixes(&key)
                    .into_iter()
                    .chain(index.below(&key).iter().copied())
                    .filter_map(|value| position.get(&value).copied())
                    .collect();
                for out_index in 0..node.outs.len() {
                    let Some(&from) = position.get(&(node_index, out_index)) else {
                        continue;
                    };
                    for &to in &overlapping {
                        if !dependencies[from].contains(&to) {
                            dependencies[from].push(to);
                        }
                    }
                }
            }
        }
        OutputsGraph {
            outputs,
            dependencies,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, deps: &[&str], outs: &[&str]) -> GraphNode {
        let entry = |path: &str| EntryPath::Repo(RepoPath::new(path).expect("valid"));
        GraphNode {
            addressing: name.to_owned(),
            file: RepoPath::new("dvc.yaml").expect("valid"),
            outs: outs
                .iter()
                .map(|out| NodeEntry {
                    path: entry(out),
                    shown: (*out).to_owned(),
                })
                .collect(),
            deps: deps.iter().map(|dep| entry(dep)).collect(),
            frozen: false,
            links_deps: true,
        }
    }

    fn names(nodes: &[GraphNode], order: &[usize]) -> Vec<String> {
        order.iter().map(|&i| nodes[i].addressing.clone()).collect()
    }

    #[test]
    fn edges_from_overlapping_paths() {
        let nodes = vec![
            node("d", &["b-out", "c-out"], &["d-out"]),
            node("b", &["a-dir/file"], &["b-out"]),
            node("c", &["a-dir"], &["c-out"]),
            node("a", &[], &["a-dir"]),
            node("e", &["data"], &["e-out"]),
            node("f", &[], &["data/x", "data/y"]),
        ];
        let graph = StageGraph::build(&nodes).expect("valid graph");
        assert_eq!(graph.dependencies(0), [1, 2]);
        assert_eq!(graph.dependencies(1), [3]);
        assert_eq!(graph.dependencies(2), [3]);
        assert_eq!(graph.dependencies(4), [5]);
        assert_eq!(
            names(&nodes, &graph.order()),
            ["a", "b", "c", "d", "f", "e"]
        );
        assert_eq!(
            names(&nodes, &graph.plan(&[1], Selection::default())),
            ["a", "b"]
        );
        let downstream = Selection {
            downstream: true,
            ..Selection::default()
        };
        assert_eq!(
            names(&nodes, &graph.plan(&[3], downstream)),
            ["a", "b", "c", "d"]
        );
        assert_eq!(names(&nodes, &graph.plan(&[1], downstream)), ["b", "d"]);
        let single = Selection {
            single_item: true,
            ..Selection::default()
        };
        assert_eq!(names(&nodes, &graph.plan(&[0, 0], single)), ["d"]);
        let pipeline = Selection {
            pipeline: true,
            ..Selection::default()
        };
        assert_eq!(names(&nodes, &graph.plan(&[5], pipeline)), ["f", "e"]);
        assert_eq!(names(&nodes, &graph.with_dependencies(1)), ["a", "b"]);
        assert_eq!(names(&nodes, &graph.with_dependents(1)), ["b", "d"]);
        assert_eq!(graph.pipelines(), [vec![0, 1, 2, 3], vec![4, 5]]);
    }

    #[test]
    fn outputs_in_trie_order() {
        let nodes = vec![
            node("a", &[], &["d/x/1", "b"]),
            node("c", &[], &["d/y", "d/x/2"]),
            node("e", &["d"], &["e1", "e2"]),
        ];
        let graph = StageGraph::build(&nodes).expect("valid graph");
        assert_eq!(graph.dependencies(2), [0, 1]);
        let outputs = OutputsGraph::build(&nodes);
        assert_eq!(
            outputs.outputs,
            [(0, 0), (1, 1), (1, 0), (0, 1), (2, 0), (2, 1)]
        );
        assert_eq!(outputs.dependencies[4], [0, 1, 2]);
        assert_eq!(outputs.dependencies[5], [0, 1, 2]);
        assert!(outputs.dependencies[0].is_empty());
    }

    #[test]
    fn frozen_stages_cut_upstream() {
        let mut nodes = vec![node("a", &[], &["x"]), node("b", &["x"], &["y"])];
        nodes[1].frozen = true;
        let graph = StageGraph::build(&nodes).expect("valid graph");
        assert_eq!(graph.dependencies(1), [0]);
        assert_eq!(
            names(&nodes, &graph.plan(&[1], Selection::default())),
            ["b"]
        );
        assert!(graph.active().dependencies(1).is_empty());
    }

    #[test]
    fn dvc_errors() {
        let error = StageGraph::build(&[node("a", &[], &["x"]), node("b", &[], &["x"])])
            .expect_err("duplicate");
        assert_eq!(
            error.to_string(),
            "output 'x' is specified in:\n\t- b\n\t- a\nUse `dvc remove` with any of the above \
             targets to stop tracking the overlapping output."
        );
        let error = StageGraph::build(&[node("a", &[], &["x", "x"])]).expect_err("duplicate");
        assert_eq!(
            error.to_string(),
            "output 'x' is already specified in stage: 'a'.\nUse `dvc remove a` to stop tracking \
             the overlapping output."
        );
        let error = StageGraph::build(&[node("a", &[], &["d"]), node("b", &[], &["d/x"])])
            .expect_err("overlap");
        assert_eq!(
            error.to_string(),
            "The output paths:\n'd'('a')\n'd/x'('b')\noverlap and are thus in the same tracked \
             directory.\nTo keep reproducibility, outputs should be in separate tracked \
             directories or tracked individually."
        );
        let error = StageGraph::build(&[node("a", &[], &["d/x"]), node("b", &[], &["d"])])
            .expect_err("overlap");
        assert!(error.to_string().contains("'d'('b')\n'd/x'('a')"));
        let error = StageGraph::build(&[node("a", &["y"], &["x"]), node("b", &["x"], &["y"])])
            .expect_err("cycle");
        assert_eq!(
            error.to_string(),
            "Same item(s) are defined as both a dependency and an output in stages: a, b."
        );
        let error = StageGraph::build(&[node("a", &["x/in"], &["x"])]).expect_err("self cycle");
        assert_eq!(
            error.to_string(),
            "Same item(s) are defined as both a dependency and an output in stage: a."
        );
        let mut inside = node("s", &[], &[]);
        inside.file = RepoPath::new("out/dvc.yaml").expect("valid");
        let error = StageGraph::build(&[node("a", &[], &["out"]), inside]).expect_err("inside");
        assert_eq!(
            error.to_string(),
            "stage: 's' is within an output 'out' of another stage"
        );
    }
}
