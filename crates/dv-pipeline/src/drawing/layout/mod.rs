//! The ASCII drawing of one pipeline as `dvc dag` prints it: grandalf's Sugiyama layout (layers
//! by rank, crossing reduction, Brandes-Köpf coordinates, straight edge routing) with the
//! parameters DVC gives it, then DVC's canvas (`+---+` boxes, `*` edges).
//!
//! The port keeps grandalf's data flow step by step, including the order in which vertices and
//! edges are visited and Python's rounding (half to even), so that the same graph gives the same
//! picture. grandalf keeps a component's edges in a set ordered by object address, which only
//! decides the order of the dummy vertices long edges get; this port takes the edges in the
//! order given (DVC's own output varies from run to run for such graphs).
//!
//! - `sugiyama`: the layout's vertices, edges and layers; ranking, crossing reduction and the
//!   routing of edges between boxes.
//! - `coordinates`: the Brandes-Köpf placement of vertices (grandalf's `setxy`).
//! - `canvas`: DVC's character canvas the boxes and edges are painted on.

mod canvas;
mod coordinates;
mod sugiyama;

use canvas::{Canvas, round};
use sugiyama::{Edge, Sugiyama, VERTEX_HEIGHT, Vertex};

/// Draws one connected pipeline (DVC's `dagascii.draw`): `labels` are the vertices in order,
/// `edges` the `(dependent, dependency)` pairs in networkx's order. Self-loops are left out.
pub(crate) fn draw(labels: &[String], edges: &[(usize, usize)]) -> String {
    let texts: Vec<String> = labels.iter().map(|label| format!(" {label} ")).collect();
    let mut layout = Sugiyama {
        vertices: texts
            .iter()
            .map(|text| Vertex::new(false, text.chars().count() as i64 + 2, VERTEX_HEIGHT))
            .collect(),
        edges: Vec::new(),
        layers: Vec::new(),
        dirh: 1,
        dirv: -1,
        xspace: 0.0,
        yspace: VERTEX_HEIGHT as f64,
        conflicts: Vec::new(),
    };
    if labels.is_empty() {
        return String::new();
    }
    // `Graph(V, E)`: edges attach in order; components merge by appending the head's vertices
    // to the tail's, which gives the vertex order of the component.
    let mut component: Vec<usize> = (0..labels.len()).collect();
    let mut members: Vec<Vec<usize>> = (0..labels.len()).map(|v| vec![v]).collect();
    for &(dependent, dependency) in edges {
        if dependent == dependency {
            continue;
        }
        let e = layout.edges.len();
        layout.edges.push(Edge {
            tail: dependency,
            head: dependent,
            control: None,
        });
        for v in [dependency, dependent] {
            if !layout.vertices[v].edges.contains(&e) {
                layout.vertices[v].edges.push(e);
            }
        }
        let (x, y) = (component[dependency], component[dependent]);
        if x != y {
            let moved = std::mem::take(&mut members[y]);
            for &z in &moved {
                component[z] = x;
            }
            members[x].extend(moved);
        }
    }
    let order = members
        .iter()
        .find(|list| !list.is_empty())
        .cloned()
        .unwrap_or_default();

    let min_width = order
        .iter()
        .map(|&v| layout.vertices[v].width)
        .min()
        .unwrap_or(0);
    let mut widths: Vec<i64> = order.iter().map(|&v| layout.vertices[v].width).collect();
    widths.sort_unstable();
    let dummy_width = widths[widths.len() / 2];

    let roots: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&v| layout.incoming(v).next().is_none())
        .collect();
    layout.rank_init(roots);
    layout.rank_optimize();
    for e in 0..layout.edges.len() {
        layout.set_dummies(e, dummy_width, VERTEX_HEIGHT);
    }
    layout.setup_layers();
    layout.xspace = min_width as f64;

    // `draw(N=1.5)`: one ordering pass down and up, one more down.
    layout.ordering_step(false);
    layout.ordering_step(true);
    layout.set_xy();
    let paths = layout.edge_paths();

    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for &v in &order {
        let vertex = &layout.vertices[v];
        xs.push(vertex.xy.0 - vertex.width as f64 / 2.0);
        xs.push(vertex.xy.0 + vertex.width as f64 / 2.0);
        ys.push(vertex.xy.1);
        ys.push(vertex.xy.1 + vertex.height as f64);
    }
    for path in &paths {
        for &(x, y) in path {
            xs.push(x);
            ys.push(y);
        }
    }
    let min_x = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max_x = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min_y = ys.iter().copied().fold(f64::INFINITY, f64::min);
    let max_y = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let columns = (max_x.ceil() - min_x.floor()).ceil() as i64 + 1;
    let lines = round(max_y - min_y);
    let mut canvas = Canvas::new(
        usize::try_from(columns).unwrap_or(0),
        usize::try_from(lines).unwrap_or(0),
    );
    for path in &paths {
        for pair in path.windows(2) {
            let (start, end) = (pair[0], pair[1]);
            canvas.line(
                round(start.0 - min_x),
                round(start.1 - min_y),
                round(end.0 - min_x),
                round(end.1 - min_y),
                '*',
            );
        }
    }
    for &v in &order {
        let vertex = &layout.vertices[v];
        let x = vertex.xy.0 - vertex.width as f64 / 2.0;
        let y = vertex.xy.1;
        let (bx, by) = (round(x - min_x), round(y - min_y));
        canvas.draw_box(bx, by, vertex.width, vertex.height);
        canvas.text(bx + 1, by + 1, &texts[v]);
    }
    canvas.render()
}
