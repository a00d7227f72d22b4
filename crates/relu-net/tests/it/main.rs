//! Integration tests of `relu-net`: one test binary, one module per topic.

mod forward;
mod props;
mod snapshots;
mod sources;
