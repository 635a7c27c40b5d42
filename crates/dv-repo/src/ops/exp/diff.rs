//! `dv exp diff` (being written).
