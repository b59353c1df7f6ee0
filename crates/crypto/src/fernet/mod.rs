//! Fernet and datumaro's use of it.

mod cbc_lanes;
mod datumaro_key;
mod token;
mod url_base64;

pub use datumaro_key::{DATUMARO_KEY_FILE, DATUMARO_KEY_LEN, DATUMARO_KEY_PREFIX, DatumaroKey};
pub(crate) use datumaro_key::{read_key_line, write_secret};
pub use token::{Fernet, FernetBatch};
