//! `dvc dag`: the graph of every stage (`.dvc` files included) or, with `--outs`, of their
//! outputs, limited to a target's upstream (or with `--full` its whole pipeline), optionally
//! with `foreach`/`matrix` groups collapsed. The binary draws it (`dv_pipeline::drawing`).

use dv_pipeline::drawing::Dag;
use dv_pipeline::graph::OutputsGraph;

use crate::error::DvcError;
use crate::index::{Index, OnError, collect_granular};
use crate::workspace::Workspace;

/// What `dag` was asked for.
#[derive(Debug, Clone, Default)]
pub struct DagOptions {
    /// A stage, stage file or output whose pipeline to show (all pipelines when `None`).
    pub target: Option<String>,
    /// `--full`: the target's whole pipeline, not only what it depends on.
    pub full: bool,
    /// `-o/--outs`: outputs instead of stages.
    pub outs: bool,
    /// `--collapse-foreach-matrix`: one node per `foreach`/`matrix` group.
    pub collapse_generated: bool,
}

/// The graph to draw, and the warnings DVC logged while resolving the target.
#[derive(Debug, Clone, Default)]
pub struct DagReport {
    /// The graph.
    pub dag: Dag,
    /// `WARNING:` lines.
    pub warnings: Vec<String>,
}

/// Builds the graph `dvc dag` draws.
pub fn dag(workspace: &Workspace, options: &DagOptions) -> anyhow::Result<DagReport> {
    if options.outs && options.collapse_generated {
        return Err(DvcError(
            "`--outs` and `--collapse-foreach-matrix` are mutually exclusive".to_owned(),
        )
        .into());
    }
    let index = Index::collect(workspace, OnError::Fail)?;
    let mut warnings = Vec::new();
    let mut targets: Vec<String> = Vec::new();
    if let Some(target) = &options.target {
        let (found, logged) = collect_granular(workspace, &index, target)?;
        warnings = logged;
        for granular in found {
            let stage = &index.stages[granular.position];
            let node = stage.graph_node(workspace, &index.cwd);
            if !options.outs {
                targets.push(node.addressing);
            } else if granular.path.is_none() {
                targets.extend(node.outs.into_iter().map(|out| out.shown));
            } else {
                // DVC extends its target list with the output's name itself, character by
                // character (`targets.extend(str(out))`); each must then be a node.
                for out in node.outs {
                    targets.extend(out.shown.chars().map(String::from));
                }
            }
        }
    }
    let nodes = index.nodes(workspace);
    let graph = index.graph(workspace)?;
    let dag = if options.outs {
        let outputs = OutputsGraph::build(&nodes);
        Dag::new(
            outputs
                .outputs
                .iter()
                .map(|&(node, out)| nodes[node].outs[out].shown.clone())
                .collect(),
            outputs.dependencies,
        )
    } else {
        Dag::new(
            nodes.iter().map(|node| node.addressing.clone()).collect(),
            (0..nodes.len())
                .map(|node| graph.dependencies(node).to_vec())
                .collect(),
        )
    };
    let mut positions = Vec::new();
    for target in &targets {
        match dag.find(target) {
            Some(position) => positions.push(position),
            // networkx's error, which DVC does not catch
            None if options.full => return Err(anyhow::anyhow!("'{target}'")),
            None => {
                return Err(anyhow::anyhow!(
                    "The node {target} is not in the digraph.: '{target}'"
                ));
            }
        }
    }
    let mut dag = if options.target.is_some() {
        dag.filter(&positions, options.full)
    } else {
        dag
    };
    if options.collapse_generated {
        dag = dag.collapse_generated();
    }
    Ok(DagReport { dag, warnings })
}
