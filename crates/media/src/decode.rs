//! Image decoding for hashing: JPEG, PNG, GIF (first frame), WebP and BMP,
//! with a pixel limit checked from the header before any pixel is decoded.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

/// The default pixel limit: 64 megapixels (for example 8000 × 8000). Larger
/// images are refused as possible decompression bombs.
pub const DEFAULT_MAX_PIXELS: u64 = 64_000_000;

/// Decoded 8-bit RGB pixels, row-major.
pub struct Rgb {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
    pub format: &'static str,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("empty file (0 bytes)")]
    Empty,
    #[error("not an image raqib can read (it reads JPEG, PNG, GIF, WebP and BMP)")]
    UnknownFormat,
    #[error(
        "{width}×{height} is {pixels} pixels, over the limit of {limit}; a decompression bomb or a \
         very large image (raise the limit with --max-pixels if it is genuine)"
    )]
    TooLarge {
        width: u32,
        height: u32,
        pixels: u64,
        limit: u64,
    },
    #[error("damaged or truncated {format} image: {detail}")]
    Corrupt {
        format: &'static str,
        detail: String,
    },
}

pub fn format_name(f: ImageFormat) -> &'static str {
    match f {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::Gif => "GIF",
        ImageFormat::WebP => "WebP",
        ImageFormat::Bmp => "BMP",
        _ => "image",
    }
}

/// Sniff the image format from the first bytes.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    match image::guess_format(bytes) {
        Ok(
            f @ (ImageFormat::Jpeg
            | ImageFormat::Png
            | ImageFormat::Gif
            | ImageFormat::WebP
            | ImageFormat::Bmp),
        ) => Some(f),
        _ => None,
    }
}

/// Decode an image to RGB. Alpha is dropped (not composited), as PIL's
/// `convert("RGB")` does, so hashes agree with the Python reference.
pub fn decode_rgb(bytes: &[u8], max_pixels: u64) -> Result<Rgb, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let format = sniff(bytes).ok_or(DecodeError::UnknownFormat)?;
    let name = format_name(format);
    let corrupt = |e: image::ImageError| DecodeError::Corrupt {
        format: name,
        detail: e.to_string(),
    };
    let reader = ImageReader::with_format(Cursor::new(bytes), format);
    let (width, height) = reader.into_dimensions().map_err(corrupt)?;
    let pixels = width as u64 * height as u64;
    if pixels > max_pixels {
        return Err(DecodeError::TooLarge {
            width,
            height,
            pixels,
            limit: max_pixels,
        });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    // The decoder's own allocations: the frame at up to 16 bytes a pixel
    // (RGBA 32-bit float), plus slack for format buffers.
    limits.max_alloc = Some(max_pixels.saturating_mul(16).saturating_add(64 << 20));
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    reader.limits(limits);
    let img = reader.decode().map_err(corrupt)?;
    let rgb = img.into_rgb8();
    let (w, h) = rgb.dimensions();
    Ok(Rgb {
        width: w as usize,
        height: h as usize,
        pixels: rgb.into_raw(),
        format: name,
    })
}
