//! A VietQR payload drawn as a QR code, a PNG any banking app's camera can read.

use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::{EcLevel, QrCode};

use crate::error::ApiError;

/// Pixels per module: large enough for a phone camera off a screen, and a whole number
/// so every module stays sharp.
const MODULE_PIXELS: u32 = 8;

/// The PNG of `payload`, with the quiet zone scanners need around it.
pub fn png(payload: &str) -> Result<Vec<u8>, ApiError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| ApiError::Internal(format!("drawing the VietQR: {e}")))?;
    let picture = code
        .render::<Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(MODULE_PIXELS, MODULE_PIXELS)
        .build();
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageLuma8(picture)
        .write_to(&mut out, ImageFormat::Png)
        .map_err(|e| ApiError::Internal(format!("encoding the VietQR image: {e}")))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_png() {
        let bytes = png("00020101021238570010A000000727012700069704360113001100123456702080208QRIBFTTA5303704540615000053037046304ABCD").unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }
}
