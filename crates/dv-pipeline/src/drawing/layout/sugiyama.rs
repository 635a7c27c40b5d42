//! grandalf's `SugiyamaLayout` state and the steps before and after placing coordinates:
//! ranking (`init_all`), ordering layers to reduce crossings, and routing each edge from box
//! border to box border through its dummy vertices.

use std::collections::BTreeMap;

/// Height of a vertex box: top and bottom border and one line of text.
pub(super) const VERTEX_HEIGHT: i64 = 3;

/// A vertex of the layout: a stage (or output) box, or a dummy point of a long edge.
#[derive(Debug)]
pub(super) struct Vertex {
    pub(super) dummy: bool,
    /// Box width (`len(label) + 2` with the label padded by a space on each side).
    pub(super) width: i64,
    pub(super) height: i64,
    pub(super) rank: usize,
    pub(super) pos: usize,
    pub(super) bar: f64,
    pub(super) xy: (f64, f64),
    /// Edges attached to a real vertex, in attachment order (grandalf's `v.e`).
    pub(super) edges: Vec<usize>,
    /// For a dummy: the edge it belongs to.
    pub(super) control: Option<usize>,
    /// Neighbours in the layer above (`[0]`) and below (`[1]`), long edges replaced by their
    /// dummies (grandalf's `nvs` cache, filled on first use).
    pub(super) neighbors: Option<[Vec<usize>; 2]>,
    pub(super) root: usize,
    pub(super) align: usize,
    pub(super) sink: usize,
    pub(super) shift: f64,
    pub(super) placed: Option<f64>,
    pub(super) x: [f64; 4],
}

impl Vertex {
    pub(super) fn new(dummy: bool, width: i64, height: i64) -> Vertex {
        Vertex {
            dummy,
            width,
            height,
            rank: 0,
            pos: 0,
            bar: 0.0,
            xy: (0.0, 0.0),
            edges: Vec::new(),
            control: None,
            neighbors: None,
            root: 0,
            align: 0,
            sink: 0,
            shift: f64::INFINITY,
            placed: None,
            x: [0.0; 4],
        }
    }
}

/// An edge from a dependency (`tail`, drawn above) to its dependent (`head`).
#[derive(Debug)]
pub(super) struct Edge {
    pub(super) tail: usize,
    pub(super) head: usize,
    /// For an edge spanning several ranks: the vertex at each rank from tail to head.
    pub(super) control: Option<BTreeMap<usize, usize>>,
}

#[derive(Debug, Default)]
pub(super) struct Layer {
    pub(super) vertices: Vec<usize>,
    /// `1 / (len - 1)`: the spacing of initial barycenters.
    pub(super) step: f64,
    pub(super) upper: Option<usize>,
    pub(super) lower: Option<usize>,
}

/// grandalf's `SugiyamaLayout` state.
pub(super) struct Sugiyama {
    pub(super) vertices: Vec<Vertex>,
    pub(super) edges: Vec<Edge>,
    pub(super) layers: Vec<Layer>,
    pub(super) dirh: i64,
    pub(super) dirv: i64,
    pub(super) xspace: f64,
    pub(super) yspace: f64,
    pub(super) conflicts: Vec<(usize, usize)>,
}

/// `dirvh` → `(dirh, dirv)`.
fn directions(dirvh: usize) -> (i64, i64) {
    match dirvh {
        0 => (1, -1),
        1 => (-1, -1),
        2 => (1, 1),
        _ => (-1, 1),
    }
}

/// `dirv` index into [`Vertex::neighbors`].
fn side(dir: i64) -> usize {
    usize::from(dir > 0)
}

impl Sugiyama {
    pub(super) fn dirvh(&self) -> usize {
        let dirv = usize::from(self.dirv > 0) * 2;
        dirv + usize::from(self.dirh < 0)
    }

    pub(super) fn set_dirvh(&mut self, dirvh: usize) {
        (self.dirh, self.dirv) = directions(dirvh);
    }

    /// Neighbours of a real vertex in the graph (`Vertex.N`): `-1` the tails of its incoming
    /// edges, `+1` the heads of its outgoing ones.
    pub(super) fn graph_neighbors(&self, v: usize, dir: i64) -> Vec<usize> {
        let vertex = &self.vertices[v];
        if vertex.dummy {
            let control = vertex
                .control
                .and_then(|edge| self.edges[edge].control.as_ref());
            let rank = vertex.rank as i64 + dir;
            return usize::try_from(rank)
                .ok()
                .and_then(|rank| control.and_then(|control| control.get(&rank)))
                .map_or_else(Vec::new, |&n| vec![n]);
        }
        vertex
            .edges
            .iter()
            .filter_map(|&e| {
                let edge = &self.edges[e];
                if dir < 0 && edge.head == v {
                    Some(edge.tail)
                } else if dir > 0 && edge.tail == v {
                    Some(edge.head)
                } else {
                    None
                }
            })
            .collect()
    }

    pub(super) fn incoming(&self, v: usize) -> impl Iterator<Item = usize> + '_ {
        self.vertices[v]
            .edges
            .iter()
            .copied()
            .filter(move |&e| self.edges[e].head == v)
    }

    fn outgoing(&self, v: usize) -> impl Iterator<Item = usize> + '_ {
        self.vertices[v]
            .edges
            .iter()
            .copied()
            .filter(move |&e| self.edges[e].tail == v)
    }

    /// `Layer._neighbors`: the vertices next to `v` in the layer above (`dirv = -1`) or below.
    pub(super) fn neighbors(&mut self, v: usize) -> Vec<usize> {
        if self.vertices[v].neighbors.is_none() {
            let mut lists = [self.graph_neighbors(v, -1), self.graph_neighbors(v, 1)];
            if !self.vertices[v].dummy {
                for dir in [-1i64, 1] {
                    let target = self.vertices[v].rank as i64 + dir;
                    for i in 0..lists[side(dir)].len() {
                        let x = lists[side(dir)][i];
                        if self.vertices[x].rank as i64 == target {
                            continue;
                        }
                        let edge = self.vertices[v].edges.iter().copied().find(|&e| {
                            let edge = &self.edges[e];
                            edge.tail == x || edge.head == x
                        });
                        let dummy = edge
                            .and_then(|e| self.edges[e].control.as_ref())
                            .and_then(|control| {
                                usize::try_from(target).ok().map(|t| control.get(&t))
                            })
                            .flatten();
                        if let Some(&dummy) = dummy {
                            lists[side(dir)][i] = dummy;
                        }
                    }
                }
            }
            self.vertices[v].neighbors = Some(lists);
        }
        self.vertices[v]
            .neighbors
            .as_ref()
            .map(|lists| lists[side(self.dirv)].clone())
            .unwrap_or_default()
    }

    /// `Layer.prevlayer()`, `None` also for an empty layer (Python's truthiness).
    pub(super) fn previous_layer(&self, layer: usize) -> Option<usize> {
        let previous = if self.dirv == 1 {
            self.layers[layer].lower
        } else {
            self.layers[layer].upper
        };
        previous.filter(|&l| !self.layers[l].vertices.is_empty())
    }

    fn next_layer(&self, layer: usize) -> Option<usize> {
        if self.dirv == -1 {
            self.layers[layer].lower
        } else {
            self.layers[layer].upper
        }
    }

    // ---- ranking (`init_all`) ----

    fn set_rank(&mut self, v: usize) {
        let rank = self
            .graph_neighbors(v, -1)
            .iter()
            .map(|&x| self.vertices[x].rank as i64)
            .fold(-1, i64::max)
            + 1;
        let rank = rank as usize;
        self.vertices[v].rank = rank;
        if rank < self.layers.len() {
            self.layers[rank].vertices.push(v);
        } else {
            self.layers.push(Layer {
                vertices: vec![v],
                ..Layer::default()
            });
        }
    }

    pub(super) fn rank_init(&mut self, roots: Vec<usize>) {
        let mut scanned = vec![false; self.edges.len()];
        let mut unranked = roots;
        while !unranked.is_empty() {
            let mut next: Vec<usize> = Vec::new();
            for v in unranked {
                self.set_rank(v);
                let out: Vec<usize> = self.outgoing(v).collect();
                for e in out {
                    scanned[e] = true;
                }
                for x in self.graph_neighbors(v, 1) {
                    if self.incoming(x).all(|e| scanned[e]) && !next.contains(&x) {
                        next.push(x);
                    }
                }
            }
            unranked = next;
        }
    }

    /// `_rank_optimize`: a vertex moves down next to its closest dependent.
    pub(super) fn rank_optimize(&mut self) {
        for layer in (0..self.layers.len()).rev() {
            let mut i = 0;
            while i < self.layers[layer].vertices.len() {
                let v = self.layers[layer].vertices[i];
                i += 1;
                let rank = self.vertices[v].rank;
                for x in self.graph_neighbors(v, -1) {
                    let below = self
                        .graph_neighbors(x, 1)
                        .iter()
                        .all(|&y| self.vertices[y].rank >= rank);
                    if below && rank > 0 {
                        let old = self.vertices[x].rank;
                        if let Some(at) = self.layers[old].vertices.iter().position(|&y| y == x) {
                            self.layers[old].vertices.remove(at);
                        }
                        self.vertices[x].rank = rank - 1;
                        self.layers[rank - 1].vertices.push(x);
                    }
                }
            }
        }
    }

    /// `setdummies`: a dummy vertex on every rank a long edge crosses.
    pub(super) fn set_dummies(&mut self, e: usize, width: i64, height: i64) {
        let (tail, head) = (self.edges[e].tail, self.edges[e].head);
        let (mut r0, mut r1) = (self.vertices[tail].rank, self.vertices[head].rank);
        let (mut v0, mut v1) = (tail, head);
        if r0 > r1 {
            std::mem::swap(&mut r0, &mut r1);
            std::mem::swap(&mut v0, &mut v1);
        }
        if r1 - r0 > 1 {
            let mut control = BTreeMap::from([(r0, v0), (r1, v1)]);
            for rank in r0 + 1..r1 {
                let mut dummy = Vertex::new(true, width, height);
                dummy.rank = rank;
                dummy.control = Some(e);
                let id = self.vertices.len();
                self.vertices.push(dummy);
                control.insert(rank, id);
                self.layers[rank].vertices.push(id);
            }
            self.edges[e].control = Some(control);
        }
    }

    pub(super) fn setup_layers(&mut self) {
        let count = self.layers.len();
        for layer in 0..count {
            // `layers.index(self)`: the first equal layer.
            let index = (0..count)
                .find(|&other| self.layers[other].vertices == self.layers[layer].vertices)
                .unwrap_or(layer);
            let len = self.layers[layer].vertices.len();
            let step = if len > 1 { 1.0 / (len - 1) as f64 } else { 1.0 };
            self.layers[layer].step = step;
            for (i, &v) in self.layers[layer].vertices.iter().enumerate() {
                self.vertices[v].pos = i;
                self.vertices[v].bar = i as f64 * step;
            }
            self.layers[layer].upper = (index > 0).then(|| index - 1);
            self.layers[layer].lower = (index + 1 < count).then_some(index + 1);
        }
    }

    // ---- ordering ----

    /// `Layer._cc`: crossings between the layer and its previous one (bilayer insert count).
    fn crossings(&mut self, layer: usize) -> usize {
        let mut positions = Vec::new();
        for v in self.layers[layer].vertices.clone() {
            let mut list: Vec<usize> = self
                .neighbors(v)
                .iter()
                .map(|&x| self.vertices[x].pos)
                .collect();
            list.sort_unstable();
            positions.extend(list);
        }
        let mut sorted: Vec<usize> = Vec::new();
        let mut count = 0;
        for (i, p) in positions.into_iter().enumerate() {
            let j = sorted.partition_point(|&s| s <= p);
            if j < i {
                count += i - j;
            }
            sorted.insert(j, p);
        }
        count
    }

    fn mean_value(&mut self, layer: usize, v: usize) -> f64 {
        if self.previous_layer(layer).is_none() {
            return self.vertices[v].bar;
        }
        let bars: Vec<f64> = self
            .neighbors(v)
            .iter()
            .map(|&x| self.vertices[x].bar)
            .collect();
        if bars.is_empty() {
            self.vertices[v].bar
        } else {
            bars.iter().fold(0.0, |sum, bar| sum + bar) / bars.len() as f64
        }
    }

    fn reduce_crossings(&mut self, layer: usize) -> usize {
        let n = self.layers[layer].vertices.len();
        let mut total = 0;
        for i in 0..n.saturating_sub(1) {
            let vi = self.layers[layer].vertices[i];
            let vj = self.layers[layer].vertices[i + 1];
            let ni: Vec<f64> = self
                .neighbors(vi)
                .iter()
                .map(|&x| self.vertices[x].bar)
                .collect();
            let nj: Vec<f64> = self
                .neighbors(vj)
                .iter()
                .map(|&x| self.vertices[x].bar)
                .collect();
            let (mut xij, mut xji) = (0, 0);
            for bar in nj {
                let x = ni.iter().filter(|&&other| other > bar).count();
                xij += x;
                xji += ni.len() - x;
            }
            if xji < xij {
                self.layers[layer].vertices[i] = vj;
                self.layers[layer].vertices[i + 1] = vi;
                total += xji;
            } else {
                total += xij;
            }
        }
        total
    }

    /// `Layer.order`.
    fn order(&mut self, layer: usize) -> usize {
        let mut count = self.crossings(layer);
        if count > 0 {
            for v in self.layers[layer].vertices.clone() {
                let bar = self.mean_value(layer, v);
                self.vertices[v].bar = bar;
            }
            let vertices = &self.vertices;
            self.layers[layer]
                .vertices
                .sort_by(|a, b| vertices[*a].bar.total_cmp(&vertices[*b].bar));
            count = self.reduce_crossings(layer);
            let step = self.layers[layer].step;
            for (i, v) in self.layers[layer].vertices.clone().into_iter().enumerate() {
                self.vertices[v].pos = i;
                self.vertices[v].bar = i as f64 * step;
            }
        }
        count
    }

    pub(super) fn ordering_step(&mut self, one_way: bool) {
        self.dirv = -1;
        let mut crossings = 0;
        let mut last = None;
        for layer in 0..self.layers.len() {
            crossings += self.order(layer);
            last = Some(layer);
        }
        if one_way || crossings == 0 {
            return;
        }
        self.dirv = 1;
        let mut current = last.filter(|&l| !self.layers[l].vertices.is_empty());
        while let Some(layer) = current {
            self.order(layer);
            current = self
                .next_layer(layer)
                .filter(|&l| !self.layers[l].vertices.is_empty());
        }
    }
}

impl Sugiyama {
    // ---- edges ----

    /// Where the line from the centre of `v` towards `to` leaves its box (`intersectR`).
    fn box_exit(&self, v: usize, to: (f64, f64)) -> (f64, f64) {
        let vertex = &self.vertices[v];
        let (cx, cy) = vertex.xy;
        let (x2, y2) = (to.0 - cx, to.1 - cy);
        let bx2 = vertex.width.div_euclid(2) as f64;
        let bx1 = -bx2;
        let by2 = vertex.height.div_euclid(2) as f64;
        let by1 = -by2;
        let sides = [
            ((bx1, by1), (bx2, by1)),
            ((bx2, by1), (bx2, by2)),
            ((bx1, by2), (bx2, by2)),
            ((bx1, by2), (bx1, by1)),
        ];
        for (p3, p4) in sides {
            if let Some((x, y)) = intersect((0.0, 0.0), (x2, y2), p3, p4) {
                return (x + cx, y + cy);
            }
        }
        vertex.xy
    }

    /// The points of every edge: its ends on the box borders and its dummies in between.
    pub(super) fn edge_paths(&self) -> Vec<Vec<(f64, f64)>> {
        self.edges
            .iter()
            .map(|edge| {
                let mut points = vec![self.vertices[edge.tail].xy];
                if let Some(control) = &edge.control {
                    let (r0, r1) = (self.vertices[edge.tail].rank, self.vertices[edge.head].rank);
                    let ranks: Vec<usize> = if r0 < r1 {
                        (r0 + 1..r1).collect()
                    } else {
                        (r1 + 1..r0).rev().collect()
                    };
                    points.extend(
                        ranks
                            .iter()
                            .filter_map(|rank| control.get(rank))
                            .map(|&d| self.vertices[d].xy),
                    );
                }
                points.push(self.vertices[edge.head].xy);
                let last = points.len() - 1;
                let tail = self.box_exit(edge.tail, points[1]);
                let head = self.box_exit(edge.head, points[last - 1]);
                points[0] = tail;
                points[last] = head;
                points
            })
            .collect()
    }
}

/// `intersect2lines`: where segment `p1-p2` crosses segment `p3-p4`.
fn intersect(p1: (f64, f64), p2: (f64, f64), p3: (f64, f64), p4: (f64, f64)) -> Option<(f64, f64)> {
    let b = (p2.0 - p1.0, p2.1 - p1.1);
    let d = (p4.0 - p3.0, p4.1 - p3.1);
    let det = b.0 * d.1 - b.1 * d.0;
    if det == 0.0 {
        return None;
    }
    let c = (p3.0 - p1.0, p3.1 - p1.1);
    let t = (c.0 * b.1 - c.1 * b.0) / det;
    if !(0.0..=1.0).contains(&t) {
        return None;
    }
    let t = (c.0 * d.1 - c.1 * d.0) / det;
    if !(0.0..=1.0).contains(&t) {
        return None;
    }
    Some((p1.0 + t * b.0, p1.1 + t * b.1))
}
