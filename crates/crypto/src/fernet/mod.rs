//! Fernet and datumaro's use of it.

mod datumaro_key;
mod token;

pub use datumaro_key::{DATUMARO_KEY_FILE, DATUMARO_KEY_LEN, DATUMARO_KEY_PREFIX, DatumaroKey};
pub(crate) use datumaro_key::{read_key_line, write_secret};
pub use token::{Fernet, FernetBatch};
