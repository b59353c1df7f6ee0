//! Keys for the sealed stream.

mod passphrase;
mod vellum_key;

pub use passphrase::{PassphraseParams, Secret};
pub(crate) use vellum_key::hex;
pub use vellum_key::{VELLUM_KEY_ENV, VELLUM_KEY_PREFIX, VellumKey};
