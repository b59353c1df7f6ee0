//! Vellum's sealed stream: XChaCha20-Poly1305 in the STREAM construction.

mod chunk;
mod header;
mod reader;
mod sealed;
mod writer;

pub use chunk::TAG_LEN;
pub use header::{DEFAULT_CHUNK_SIZE, MAX_HEADER_LEN, SEALED_MAGIC, SEALED_VERSION, StreamHeader};
pub use reader::SealedReader;
pub use sealed::{SealedSlice, Sealer, seal, seal_with_chunk_size, unseal};
pub use writer::SealedWriter;
