//! The ASCII drawing of one pipeline as `dvc dag` prints it: grandalf's Sugiyama layout (layers
//! by rank, crossing reduction, Brandes-Köpf coordinates, straight edge routing) with the
//! parameters DVC gives it, then DVC's canvas (`+---+` boxes, `*` edges).
//!
//! The port keeps grandalf's data flow step by step, including the order in which vertices and
//! edges are visited and Python's rounding (half to even), so that the same graph gives the same
//! picture. grandalf keeps a component's edges in a set ordered by object address, which only
//! decides the order of the dummy vertices long edges get; this port takes the edges in the
//! order given (DVC's own output varies from run to run for such graphs).

use std::collections::BTreeMap;

/// Height of a vertex box: top and bottom border and one line of text.
const VERTEX_HEIGHT: i64 = 3;

/// A vertex of the layout: a stage (or output) box, or a dummy point of a long edge.
#[derive(Debug)]
struct Vertex {
    dummy: bool,
    /// Box width (`len(label) + 2` with the label padded by a space on each side).
    width: i64,
    height: i64,
    rank: usize,
    pos: usize,
    bar: f64,
    xy: (f64, f64),
    /// Edges attached to a real vertex, in attachment order (grandalf's `v.e`).
    edges: Vec<usize>,
    /// For a dummy: the edge it belongs to.
    control: Option<usize>,
    /// Neighbours in the layer above (`[0]`) and below (`[1]`), long edges replaced by their
    /// dummies (grandalf's `nvs` cache, filled on first use).
    neighbors: Option<[Vec<usize>; 2]>,
    root: usize,
    align: usize,
    sink: usize,
    shift: f64,
    placed: Option<f64>,
    x: [f64; 4],
}

impl Vertex {
    fn new(dummy: bool, width: i64, height: i64) -> Vertex {
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
struct Edge {
    tail: usize,
    head: usize,
    /// For an edge spanning several ranks: the vertex at each rank from tail to head.
    control: Option<BTreeMap<usize, usize>>,
}

#[derive(Debug, Default)]
struct Layer {
    vertices: Vec<usize>,
    /// `1 / (len - 1)`: the spacing of initial barycenters.
    step: f64,
    upper: Option<usize>,
    lower: Option<usize>,
}

/// grandalf's `SugiyamaLayout` state.
struct Sugiyama {
    vertices: Vec<Vertex>,
    edges: Vec<Edge>,
    layers: Vec<Layer>,
    dirh: i64,
    dirv: i64,
    xspace: f64,
    yspace: f64,
    conflicts: Vec<(usize, usize)>,
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

/// Python's `round()` of a float to an integer (half to even).
fn round(value: f64) -> i64 {
    value.round_ties_even() as i64
}

impl Sugiyama {
    fn dirvh(&self) -> usize {
        let dirv = usize::from(self.dirv > 0) * 2;
        dirv + usize::from(self.dirh < 0)
    }

    fn set_dirvh(&mut self, dirvh: usize) {
        (self.dirh, self.dirv) = directions(dirvh);
    }

    /// Neighbours of a real vertex in the graph (`Vertex.N`): `-1` the tails of its incoming
    /// edges, `+1` the heads of its outgoing ones.
    fn graph_neighbors(&self, v: usize, dir: i64) -> Vec<usize> {
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

    fn incoming(&self, v: usize) -> impl Iterator<Item = usize> + '_ {
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
    fn neighbors(&mut self, v: usize) -> Vec<usize> {
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
    fn previous_layer(&self, layer: usize) -> Option<usize> {
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

    fn rank_init(&mut self, roots: Vec<usize>) {
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
    fn rank_optimize(&mut self) {
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
    fn set_dummies(&mut self, e: usize, width: i64, height: i64) {
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

    fn setup_layers(&mut self) {
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

    fn ordering_step(&mut self, one_way: bool) {
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

    // ---- coordinates (`setxy`) ----

    fn median_index(&mut self, v: usize) -> Vec<usize> {
        let mut positions: Vec<usize> = self
            .neighbors(v)
            .iter()
            .map(|&x| self.vertices[x].pos)
            .collect();
        if positions.is_empty() {
            return Vec::new();
        }
        positions.sort_unstable();
        if self.dirh < 0 {
            positions.reverse();
        }
        let (i, j) = ((positions.len() - 1) / 2, (positions.len() - 1) % 2);
        if j == 0 {
            vec![positions[i]]
        } else {
            vec![positions[i], positions[i + j]]
        }
    }

    fn is_inner_up(&self, v: usize) -> bool {
        self.graph_neighbors(v, -1)
            .iter()
            .any(|&x| self.vertices[x].dummy)
    }

    fn detect_alignment_conflicts(&mut self) {
        let saved = self.dirvh();
        self.set_dirvh(0);
        self.conflicts.clear();
        for layer in 0..self.layers.len() {
            let vertices = self.layers[layer].vertices.clone();
            let Some(previous) = self.previous_layer(layer) else {
                continue;
            };
            let last = vertices.len().saturating_sub(1);
            let mut k0 = 0usize;
            let k1_init = self.layers[previous].vertices.len().saturating_sub(1);
            let mut start = 0;
            for (l1, &v) in vertices.iter().enumerate() {
                if !self.vertices[v].dummy {
                    continue;
                }
                let inner = self.is_inner_up(v);
                if l1 == last || inner {
                    let mut k1 = k1_init;
                    if inner && let Some(&up) = self.graph_neighbors(v, -1).last() {
                        k1 = self.vertices[up].pos;
                    }
                    for &vl in &vertices[start..=l1] {
                        for vk in self.neighbors(vl) {
                            let k = self.vertices[vk].pos;
                            if k < k0 || k > k1 {
                                self.conflicts.push((vk, vl));
                            }
                        }
                    }
                    start = l1 + 1;
                    k0 = k1;
                }
            }
        }
        self.set_dirvh(saved);
    }

    fn vertical_alignment(&mut self) {
        let (dirh, dirv) = (self.dirh, self.dirv);
        let mut order: Vec<usize> = (0..self.layers.len()).collect();
        if dirv > 0 {
            order.reverse();
        }
        for layer in order {
            let Some(previous) = self.previous_layer(layer) else {
                continue;
            };
            let mut r: Option<i64> = None;
            let mut vertices = self.layers[layer].vertices.clone();
            if dirh < 0 {
                vertices.reverse();
            }
            for vk in vertices {
                for m in self.median_index(vk) {
                    let um = self.layers[previous].vertices[m];
                    if self.vertices[vk].align == vk {
                        let pair = if dirv == 1 { (vk, um) } else { (um, vk) };
                        let m = m as i64;
                        if !self.conflicts.contains(&pair) && r.is_none_or(|r| dirh * r < dirh * m)
                        {
                            self.vertices[um].align = vk;
                            self.vertices[vk].root = self.vertices[um].root;
                            self.vertices[vk].align = self.vertices[vk].root;
                            r = Some(m);
                        }
                    }
                }
            }
        }
    }

    fn place_block(&mut self, v: usize) {
        if self.vertices[v].placed.is_some() {
            return;
        }
        self.vertices[v].placed = Some(0.0);
        let mut w = v;
        loop {
            let j = self.vertices[w].pos as i64 - self.dirh;
            let rank = self.vertices[w].rank;
            if j >= 0 && (j as usize) < self.layers[rank].vertices.len() {
                let previous = self.layers[rank].vertices[j as usize];
                let delta = self.xspace
                    + (self.vertices[previous].width + self.vertices[w].width) as f64 / 2.0;
                let u = self.vertices[previous].root;
                self.place_block(u);
                if self.vertices[v].sink == v {
                    self.vertices[v].sink = self.vertices[u].sink;
                }
                let u_x = self.vertices[u].placed.unwrap_or(0.0);
                let v_x = self.vertices[v].placed.unwrap_or(0.0);
                if self.vertices[v].sink != self.vertices[u].sink {
                    let s = self.vertices[u].sink;
                    let shift = v_x - (u_x + delta);
                    self.vertices[s].shift = self.vertices[s].shift.min(shift);
                } else {
                    self.vertices[v].placed = Some(v_x.max(u_x + delta));
                }
            }
            w = self.vertices[w].align;
            if w == v {
                break;
            }
        }
    }

    fn horizontal_compaction(&mut self) {
        let (dirh, dirv) = (self.dirh, self.dirv);
        let mut order: Vec<usize> = (0..self.layers.len()).collect();
        if dirv > 0 {
            order.reverse();
        }
        let ordered = |layer: &Layer| -> Vec<usize> {
            let mut vertices = layer.vertices.clone();
            if dirh < 0 {
                vertices.reverse();
            }
            vertices
        };
        for &layer in &order {
            for v in ordered(&self.layers[layer]) {
                if self.vertices[v].root == v {
                    self.place_block(v);
                }
            }
        }
        if dirh == -1 {
            for &layer in &order {
                for &v in &self.layers[layer].vertices {
                    if let Some(x) = self.vertices[v].placed
                        && x != 0.0
                    {
                        self.vertices[v].placed = Some(-x);
                    }
                }
            }
        }
        let dirvh = self.dirvh();
        for &layer in &order {
            for v in ordered(&self.layers[layer]) {
                let root = self.vertices[v].root;
                let mut x = self.vertices[root].placed.unwrap_or(0.0);
                let shift = self.vertices[self.vertices[root].sink].shift;
                if shift < f64::INFINITY {
                    x += dirh as f64 * shift;
                }
                self.vertices[v].x[dirvh] = x;
            }
        }
        for layer in &self.layers {
            for &v in &layer.vertices {
                let vertex = &mut self.vertices[v];
                vertex.root = v;
                vertex.align = v;
                vertex.sink = v;
                vertex.shift = f64::INFINITY;
                vertex.placed = None;
            }
        }
    }

    fn set_xy(&mut self) {
        self.detect_alignment_conflicts();
        for layer in &self.layers {
            for &v in &layer.vertices {
                let vertex = &mut self.vertices[v];
                vertex.root = v;
                vertex.align = v;
                vertex.sink = v;
                vertex.shift = f64::INFINITY;
                vertex.placed = None;
                vertex.x = [0.0; 4];
            }
        }
        let saved = self.dirvh();
        for dirvh in 0..4 {
            self.set_dirvh(dirvh);
            self.vertical_alignment();
            self.horizontal_compaction();
        }
        self.set_dirvh(saved);
        let mut y = 0.0;
        for layer in &self.layers {
            let dy = layer
                .vertices
                .iter()
                .map(|&v| self.vertices[v].height as f64 / 2.0)
                .fold(f64::NEG_INFINITY, f64::max);
            for &v in &layer.vertices {
                let mut x = self.vertices[v].x;
                x.sort_by(f64::total_cmp);
                let average = (x[1] + x[2]) / 2.0;
                self.vertices[v].xy = (average, y + dy);
            }
            y += 2.0 * dy + self.yspace;
        }
    }

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
    fn edge_paths(&self) -> Vec<Vec<(f64, f64)>> {
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

/// DVC's `AsciiCanvas`.
struct Canvas {
    cells: Vec<Vec<char>>,
}

impl Canvas {
    fn new(columns: usize, lines: usize) -> Canvas {
        Canvas {
            cells: vec![vec![' '; columns]; lines],
        }
    }

    fn point(&mut self, x: i64, y: i64, ch: char) {
        if let (Ok(x), Ok(y)) = (usize::try_from(x), usize::try_from(y))
            && let Some(cell) = self.cells.get_mut(y).and_then(|row| row.get_mut(x))
        {
            *cell = ch;
        }
    }

    fn line(&mut self, mut x0: i64, mut y0: i64, mut x1: i64, mut y1: i64, ch: char) {
        if x0 > x1 {
            std::mem::swap(&mut x0, &mut x1);
            std::mem::swap(&mut y0, &mut y1);
        }
        let (dx, dy) = (x1 - x0, y1 - y0);
        if dx == 0 && dy == 0 {
            self.point(x0, y0, ch);
        } else if dx.abs() >= dy.abs() {
            for x in x0..=x1 {
                let y = if dx == 0 {
                    y0
                } else {
                    y0 + round(((x - x0) * dy) as f64 / dx as f64)
                };
                self.point(x, y, ch);
            }
        } else if y0 < y1 {
            for y in y0..=y1 {
                let x = if dy == 0 {
                    x0
                } else {
                    x0 + round(((y - y0) * dx) as f64 / dy as f64)
                };
                self.point(x, y, ch);
            }
        } else {
            for y in y1..=y0 {
                let x = if dy == 0 {
                    x0
                } else {
                    x1 + round(((y - y1) * dx) as f64 / dy as f64)
                };
                self.point(x, y, ch);
            }
        }
    }

    fn text(&mut self, x: i64, y: i64, text: &str) {
        for (i, ch) in text.chars().enumerate() {
            self.point(x + i as i64, y, ch);
        }
    }

    fn draw_box(&mut self, x0: i64, y0: i64, width: i64, height: i64) {
        let (width, height) = (width - 1, height - 1);
        for x in x0..x0 + width {
            self.point(x, y0, '-');
            self.point(x, y0 + height, '-');
        }
        for y in y0..y0 + height {
            self.point(x0, y, '|');
            self.point(x0 + width, y, '|');
        }
        for (x, y) in [
            (x0, y0),
            (x0 + width, y0),
            (x0, y0 + height),
            (x0 + width, y0 + height),
        ] {
            self.point(x, y, '+');
        }
    }

    fn render(&self) -> String {
        self.cells
            .iter()
            .map(|row| row.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

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
