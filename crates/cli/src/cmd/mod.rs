//! The subcommands, one file each (a group such as `towel bpe` is a folder
//! with one file per leaf command). Each file holds its clap arguments, a
//! `run` function and the printing of its results; what several commands
//! share lives in `crate::input`, `crate::display` and `crate::output`.

pub mod bpe;
pub mod data;
pub mod decode;
pub mod encode;
pub mod eval;
pub mod explain;
pub mod fuse;
pub mod grad;
pub mod index;
pub mod profile;
pub mod sample;
pub mod search;
pub mod tokenize;
pub mod tour;
pub mod train;
pub mod vectors;
pub mod vocab;
