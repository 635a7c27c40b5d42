//! `dv exp show` (being written).
