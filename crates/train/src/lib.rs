//! # towel-train
pub mod checkpoint;
pub mod data;
pub mod error;
pub mod info;
pub mod layers;
pub mod module;
pub mod optim;
pub mod param;
pub mod sample;
pub mod schedule;
pub use error::{Result, TrainError};
pub mod step;
pub mod tasks;
