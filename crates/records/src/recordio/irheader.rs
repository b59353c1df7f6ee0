//! The image-record header of `mxnet.recordio.pack` (spec: dsrecords.md §4):
//! `flag` u32, `label` f32, `id` u64, `id2` u64 (little-endian), then
//! `flag` f32 labels when the label is a vector.

use bytes::Bytes;
use vellum_format_core::ByteReader;

use crate::Result;

/// A label: one number, or a vector (stored after the header).
#[derive(Debug, Clone, PartialEq)]
pub enum Label {
    /// `flag == 0`: the label is in the header.
    Scalar(f32),
    /// `flag == n > 0`: `n` labels follow the header.
    Vector(Vec<f32>),
}

/// `IRHeader` plus the body after it.
///
/// ```
/// use vellum_records::{IrHeader, Label};
/// let h = IrHeader { label: Label::Scalar(3.5), id: 15, id2: 0 };
/// let packed = h.pack(b"IMG");
/// assert_eq!(packed.len(), 24 + 3);
/// let (back, body) = IrHeader::unpack(&packed.into())?;
/// assert_eq!(back, h);
/// assert_eq!(&body[..], b"IMG");
/// # Ok::<(), vellum_records::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct IrHeader {
    /// The label.
    pub label: Label,
    /// `id`.
    pub id: u64,
    /// `id2`.
    pub id2: u64,
}

impl IrHeader {
    /// `recordio.pack(header, body)`.
    pub fn pack(&self, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + body.len());
        let (flag, label) = match &self.label {
            Label::Scalar(l) => (0u32, *l),
            Label::Vector(v) => (v.len() as u32, 0.0),
        };
        out.extend_from_slice(&flag.to_le_bytes());
        out.extend_from_slice(&label.to_le_bytes());
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&self.id2.to_le_bytes());
        if let Label::Vector(v) = &self.label {
            for l in v {
                out.extend_from_slice(&l.to_le_bytes());
            }
        }
        out.extend_from_slice(body);
        out
    }

    /// `recordio.unpack(payload)`: the header and the body (zero-copy).
    pub fn unpack(payload: &Bytes) -> Result<(IrHeader, Bytes)> {
        let mut r = ByteReader::new(payload);
        let flag = r.u32_le("irheader flag")?;
        let label = r.f32_le("irheader label")?;
        let id = r.u64_le("irheader id")?;
        let id2 = r.u64_le("irheader id2")?;
        let label = if flag == 0 {
            Label::Scalar(label)
        } else {
            let n = flag as usize;
            if n.checked_mul(4).is_none_or(|b| b > r.remaining()) {
                return Err(r
                    .invalid("irheader flag", format!("{n} labels do not fit the record"))
                    .into());
            }
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(r.f32_le("irheader labels")?);
            }
            Label::Vector(v)
        };
        let body = payload.slice(r.position()..);
        Ok((IrHeader { label, id, id2 }, body))
    }
}
