//! Benchmarks of traced against its peers: see `benches/`.
