//! Field codecs (`dsrecords.io`): values to bytes and back, no I/O.

#[cfg(feature = "beat")]
mod beat;
mod codec;
mod image;
mod npy;
mod pylit;
mod text;
mod value;

#[cfg(feature = "beat")]
pub use beat::BeatSchema;
pub use codec::{FieldCodec, Schema};
#[cfg(feature = "image-decode")]
pub use image::{DecodedImage, decode_image};
pub use image::{ImageInfo, image_info};
pub use npy::{Descr, NpyArray, StructField};
pub use text::TextEncoding;
pub use value::Value;
