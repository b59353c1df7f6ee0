//! Datumaro datasets: the dataset model, DatumaroBinary read and write
//! (datumaro 1.11 and 1.13), Datumaro JSON and COCO conversion.
//!
//! This crate is being filled by its own issue; the spec is
//! `specs/datumaro-binary.md` in the shared folder. What is here already:
//!
//! | module | what |
//! | --- | --- |
//! | [`synth`] | a deterministic synthetic COCO-instances dataset for benches and the demo |
#![deny(missing_docs)]

mod error;
pub mod synth;

pub use error::{Error, Result};
