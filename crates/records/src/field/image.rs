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

/// An image decoded to pixels (feature `image-decode`).
#[cfg(feature = "image-decode")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedImage {
    /// `"PNG"` or `"JPEG"`.
    pub format: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Samples per pixel as stored: 1 (grey or palette index), 2 (grey +
    /// alpha), 3 (RGB), 4 (RGBA).
    pub channels: u8,
    /// Bits per sample: 8, or 16 for deep PNGs (big-endian, as PNG stores
    /// them). 1-, 2- and 4-bit samples are unpacked to a byte each, as
    /// Pillow does (grey scaled to 0–255, palette indices kept).
    pub bit_depth: u8,
    /// True when the samples are palette indices (PNG colour type 3), as
    /// Pillow's mode `P` keeps them.
    pub indexed: bool,
    /// Row-major samples, in the file's channel order (RGB, not OpenCV's
    /// BGR).
    pub pixels: Vec<u8>,
}

/// Decodes a PNG (exactly, palette images as indices) or a baseline or
/// progressive JPEG (grey or RGB) to pixels, refusing images whose pixels
/// would exceed `limits.max_alloc`.
#[cfg(feature = "image-decode")]
pub fn decode_image(
    bytes: &[u8],
    limits: &vellum_format_core::Limits,
) -> crate::Result<DecodedImage> {
    let info = image_info(bytes).ok_or_else(|| bad("not a PNG or JPEG image".into()))?;
    // Four 16-bit samples per pixel is the most any supported image needs.
    let need = info.width.saturating_mul(info.height).saturating_mul(8);
    limits.check_alloc("decoded image", need)?;
    match info.format {
        "PNG" => decode_png(bytes, limits),
        "JPEG" => decode_jpeg(bytes, info),
        other => Err(bad(format!("{other} images are not decoded"))),
    }
}

#[cfg(feature = "image-decode")]
fn bad(reason: String) -> crate::Error {
    crate::Error::BadValue {
        codec: "image".into(),
        reason,
    }
}

#[cfg(feature = "image-decode")]
fn decode_png(bytes: &[u8], limits: &vellum_format_core::Limits) -> crate::Result<DecodedImage> {
    let budget = usize::try_from(limits.max_alloc).unwrap_or(usize::MAX);
    let mut d =
        png::Decoder::new_with_limits(std::io::Cursor::new(bytes), png::Limits { bytes: budget });
    // No transformations: palette indices and 16-bit samples stay as stored.
    d.set_transformations(png::Transformations::IDENTITY);
    let mut reader = d.read_info().map_err(|e| bad(format!("PNG: {e}")))?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| bad("PNG: image too large".into()))?;
    let mut buf = vec![0u8; size];
    let out = reader
        .next_frame(&mut buf)
        .map_err(|e| bad(format!("PNG: {e}")))?;
    buf.truncate(out.buffer_size());
    let channels = match out.color_type {
        png::ColorType::Grayscale | png::ColorType::Indexed => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
    };
    let bit_depth = match out.bit_depth {
        png::BitDepth::One => 1,
        png::BitDepth::Two => 2,
        png::BitDepth::Four => 4,
        png::BitDepth::Eight => 8,
        png::BitDepth::Sixteen => 16,
    };
    let indexed = out.color_type == png::ColorType::Indexed;
    let (pixels, bit_depth) = if bit_depth < 8 {
        // Pillow unpacks 1/2/4-bit samples to a byte each: palette indices
        // as they are, grey scaled to 0-255.
        let per_byte = 8 / usize::from(bit_depth);
        let width = out.width as usize;
        let max = (1u16 << bit_depth) - 1;
        let mut v = Vec::with_capacity(width * out.height as usize);
        for row in buf.chunks(out.line_size.max(1)) {
            for x in 0..width {
                let byte = row.get(x / per_byte).copied().unwrap_or(0);
                let shift = 8 - usize::from(bit_depth) * (x % per_byte + 1);
                let sample = u16::from(byte >> shift) & max;
                v.push(if indexed {
                    sample as u8
                } else {
                    (sample * 255 / max) as u8
                });
            }
        }
        (v, 8)
    } else {
        (buf, bit_depth)
    };
    Ok(DecodedImage {
        format: "PNG",
        width: out.width,
        height: out.height,
        channels,
        bit_depth,
        indexed,
        pixels,
    })
}

#[cfg(feature = "image-decode")]
fn decode_jpeg(bytes: &[u8], info: ImageInfo) -> crate::Result<DecodedImage> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    use zune_jpeg::JpegDecoder;

    let mut probe = JpegDecoder::new(ZCursor::new(bytes));
    probe
        .decode_headers()
        .map_err(|e| bad(format!("JPEG: {e:?}")))?;
    let grey = probe.input_colorspace() == Some(ColorSpace::Luma);
    let (space, channels) = if grey {
        (ColorSpace::Luma, 1)
    } else {
        (ColorSpace::RGB, 3)
    };
    let opts = DecoderOptions::default()
        .jpeg_set_out_colorspace(space)
        .set_max_width(info.width as usize)
        .set_max_height(info.height as usize);
    let mut d = JpegDecoder::new_with_options(ZCursor::new(bytes), opts);
    let pixels = d.decode().map_err(|e| bad(format!("JPEG: {e:?}")))?;
    let dims = d
        .info()
        .ok_or_else(|| bad("JPEG: no frame header".into()))?;
    Ok(DecodedImage {
        format: "JPEG",
        width: u32::from(dims.width),
        height: u32::from(dims.height),
        channels,
        bit_depth: 8,
        indexed: false,
        pixels,
    })
}
