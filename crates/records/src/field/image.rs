//! Encoded images (`dump_pil`, `dump_cv2`): kept as their bytes; the format
//! and size are read from the header without decoding pixels.

/// What an encoded image's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    /// `"PNG"`, `"JPEG"`, `"GIF"`, `"BMP"`, `"WEBP"`, `"TIFF"` or `"other"`.
    pub format: &'static str,
    /// Width in pixels.
    pub width: u64,
    /// Height in pixels.
    pub height: u64,
}

/// The format and size of an encoded image, from its header alone.
///
/// ```
/// // A 1x1 PNG header: signature then the IHDR chunk.
/// let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x08\x00\x00\x00\x06\x08\x02\x00\x00\x00";
/// let info = vellum_records::image_info(png).unwrap();
/// assert_eq!((info.format, info.width, info.height), ("PNG", 8, 6));
/// ```
pub fn image_info(bytes: &[u8]) -> Option<ImageInfo> {
    let size = imagesize::blob_size(bytes).ok()?;
    let format = match imagesize::image_type(bytes).ok()? {
        imagesize::ImageType::Png => "PNG",
        imagesize::ImageType::Jpeg => "JPEG",
        imagesize::ImageType::Gif => "GIF",
        imagesize::ImageType::Bmp => "BMP",
        imagesize::ImageType::Webp => "WEBP",
        imagesize::ImageType::Tiff => "TIFF",
        _ => "other",
    };
    Some(ImageInfo {
        format,
        width: size.width as u64,
        height: size.height as u64,
    })
}
