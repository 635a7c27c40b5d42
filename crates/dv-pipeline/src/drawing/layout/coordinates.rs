//! The Brandes-Köpf placement of the layout's vertices (grandalf's `setxy`): alignment into
//! blocks in four directions, horizontal compaction, and the average of the four results.

use super::sugiyama::{Layer, Sugiyama};

impl Sugiyama {
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

    pub(super) fn set_xy(&mut self) {
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
}
