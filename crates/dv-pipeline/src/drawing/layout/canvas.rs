//! DVC's `AsciiCanvas`: a grid of characters on which boxes, labels and edges are painted.

/// Python's `round()` of a float to an integer (half to even).
pub(super) fn round(value: f64) -> i64 {
    value.round_ties_even() as i64
}

/// DVC's `AsciiCanvas`.
pub(super) struct Canvas {
    cells: Vec<Vec<char>>,
}

impl Canvas {
    pub(super) fn new(columns: usize, lines: usize) -> Canvas {
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

    pub(super) fn line(&mut self, mut x0: i64, mut y0: i64, mut x1: i64, mut y1: i64, ch: char) {
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

    pub(super) fn text(&mut self, x: i64, y: i64, text: &str) {
        for (i, ch) in text.chars().enumerate() {
            self.point(x + i as i64, y, ch);
        }
    }

    pub(super) fn draw_box(&mut self, x0: i64, y0: i64, width: i64, height: i64) {
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

    pub(super) fn render(&self) -> String {
        self.cells
            .iter()
            .map(|row| row.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }
}
