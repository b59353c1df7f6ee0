//! One header entry, typed: what `codecMeta` says about a dataset (spec §3).

use vellum_format_core::{ByteOrder, DType, Digest, Scalar};

use crate::{Error, Result, Value};

/// What a dataset holds: `codecMeta.type`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatasetKind {
    /// An N-d array of one of the 14 numeric dtypes, with its byte order.
    Array(DType),
    /// UTF-8 text.
    Text,
    /// Raw bytes (from memory or from a file).
    Bytes,
    /// A YAML-encoded mapping.
    Object,
    /// A pandas DataFrame in upstream's column encoding.
    DataFrame,
    /// A type upstream wrote but cannot read back (e.g. `str64`); its bytes
    /// are still available.
    Unknown(String),
}

impl DatasetKind {
    /// The `codecMeta.type` string.
    pub fn type_name(&self) -> &str {
        match self {
            DatasetKind::Array(d) => d.scalar.name(),
            DatasetKind::Text => "text",
            DatasetKind::Bytes => "bytes",
            DatasetKind::Object => "object",
            DatasetKind::DataFrame => "dataframe",
            DatasetKind::Unknown(s) => s,
        }
    }
}

/// The order in which an array's elements are stored (`codecMeta.byteOrder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Row-major: the last axis varies fastest (numpy's `C`).
    #[default]
    C,
    /// Column-major: the first axis varies fastest (numpy's `F`).
    F,
}

impl Layout {
    /// `C` or `F`.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::C => "C",
            Layout::F => "F",
        }
    }

    /// Dense strides in elements for `shape` in this layout. Like numpy 2.x
    /// for a freshly allocated array, an array with no elements has all
    /// strides 0.
    pub fn strides(self, shape: &[u64]) -> Vec<i64> {
        if shape.contains(&0) {
            return vec![0; shape.len()];
        }
        let mut strides = vec![0i64; shape.len()];
        let mut acc: i64 = 1;
        let order: Vec<usize> = match self {
            Layout::C => (0..shape.len()).rev().collect(),
            Layout::F => (0..shape.len()).collect(),
        };
        for axis in order {
            if let Some(s) = strides.get_mut(axis) {
                *s = acc;
            }
            acc = acc.saturating_mul(shape.get(axis).map_or(1, |&d| d as i64));
        }
        strides
    }
}

/// How a payload is stored (`codecMeta.compression`, spec §6).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compression {
    /// Stored as is (`null`, or no key for files added by path).
    #[default]
    None,
    /// A zlib stream (RFC 1950), which upstream records as `gzip`.
    Zlib,
    /// **Vellum extension**: a zstd frame, recorded as `zstd`. Upstream
    /// readers list it and read every other dataset, but hand back this
    /// payload's compressed bytes unchanged.
    Zstd,
    /// Any other recorded value: upstream stored the payload uncompressed
    /// and so do we when reading.
    Unapplied(String),
}

impl Compression {
    /// The value written to `codecMeta.compression` (`None` = `null`).
    pub fn header_text(&self) -> Option<&str> {
        match self {
            Compression::None => None,
            Compression::Zlib => Some("gzip"),
            Compression::Zstd => Some("zstd"),
            Compression::Unapplied(s) => Some(s),
        }
    }

    /// True when the stored bytes must be decompressed.
    pub fn is_applied(&self) -> bool {
        matches!(self, Compression::Zlib | Compression::Zstd)
    }

    pub(crate) fn codec(&self) -> Option<vellum_format_core::Codec> {
        match self {
            Compression::Zlib => Some(vellum_format_core::Codec::Zlib),
            Compression::Zstd => Some(vellum_format_core::Codec::Zstd),
            _ => None,
        }
    }
}

/// One column of a DataFrame dataset as the header describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    /// The column label (a string or an int).
    pub key: Value,
    /// `text` or the numeric type of the stored block.
    pub encoding_type: String,
    /// The type the column is cast to when read.
    pub original_type: String,
    /// `little`, `big` or `na` (note upstream's spelling `endianess`).
    pub endianess: String,
    /// Bytes per value of a text column.
    pub max_byte_size: Option<u64>,
}

/// Everything the header says about one dataset.
#[derive(Debug, Clone)]
pub struct DatasetInfo {
    pub(crate) name: String,
    pub(crate) name_value: Value,
    pub(crate) kind: DatasetKind,
    pub(crate) byte_offset: u64,
    pub(crate) byte_length: u64,
    pub(crate) compression: Compression,
    pub(crate) shape: Vec<u64>,
    pub(crate) strides: Option<Vec<i64>>,
    pub(crate) layout: Layout,
    pub(crate) rows: u64,
    pub(crate) columns: Vec<ColumnInfo>,
    pub(crate) checksum: Option<Digest>,
    pub(crate) metadata: Value,
    pub(crate) codec_meta: Value,
}

impl DatasetInfo {
    /// The dataset's name (an int name reads as its decimal text).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The name as written in the header (a string, or an int for files
    /// whose writer passed one).
    pub fn name_value(&self) -> &Value {
        &self.name_value
    }
    /// What the dataset holds.
    pub fn kind(&self) -> &DatasetKind {
        &self.kind
    }
    /// `codecMeta.type`.
    pub fn type_name(&self) -> &str {
        self.kind.type_name()
    }
    /// The element type, for arrays.
    pub fn dtype(&self) -> Option<DType> {
        match self.kind {
            DatasetKind::Array(d) => Some(d),
            _ => None,
        }
    }
    /// The array's shape (slowest axis first); empty for other kinds and
    /// for 0-d arrays.
    pub fn shape(&self) -> &[u64] {
        &self.shape
    }
    /// The strides upstream recorded (in elements). They describe the array
    /// handed to the writer, not necessarily the stored bytes (spec §5.1):
    /// element access uses [`DatasetInfo::layout`] instead.
    pub fn recorded_strides(&self) -> Option<&[i64]> {
        self.strides.as_deref()
    }
    /// The order the array's bytes are stored in (`byteOrder`).
    pub fn layout(&self) -> Layout {
        self.layout
    }
    /// How the payload is stored.
    pub fn compression(&self) -> &Compression {
        &self.compression
    }
    /// Offset of the payload from the start of the data section.
    pub fn byte_offset(&self) -> u64 {
        self.byte_offset
    }
    /// Bytes the payload takes in the file (compressed size if compressed).
    pub fn byte_length(&self) -> u64 {
        self.byte_length
    }
    /// DataFrame row count.
    pub fn rows(&self) -> u64 {
        self.rows
    }
    /// DataFrame columns.
    pub fn columns(&self) -> &[ColumnInfo] {
        &self.columns
    }
    /// The blake3 checksum of the stored payload (Vellum extension), if any.
    pub fn checksum(&self) -> Option<&Digest> {
        self.checksum.as_ref()
    }
    /// The user's metadata (`null` when none was given).
    pub fn metadata(&self) -> &Value {
        &self.metadata
    }
    /// The raw `codecMeta` mapping.
    pub fn codec_meta(&self) -> &Value {
        &self.codec_meta
    }
    /// Number of array elements (product of the shape).
    pub fn element_count(&self) -> Option<u64> {
        self.shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
    }
    /// Bytes the decoded array needs (elements × item size).
    pub fn array_bytes(&self) -> Option<u64> {
        let d = self.dtype()?;
        self.element_count()?.checked_mul(d.item_size() as u64)
    }

    /// Reads one header entry (taking its values, not copying them).
    pub(crate) fn from_entry(index: usize, entry: Value) -> Result<DatasetInfo> {
        let ctx = |what: &str| format!("dataset #{index}{what}");
        let kind = entry.kind();
        let Value::Map(mut fields) = entry else {
            return Err(Error::shape(ctx(""), format!("is {kind}, not a mapping")));
        };
        // The first entry of a key, as `Value::get` finds it.
        let mut take = |key: &str| {
            fields
                .iter_mut()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| std::mem::take(v))
        };
        let name_value = take("name").unwrap_or(Value::Null);
        let metadata = take("metadata").unwrap_or(Value::Null);
        let codec_meta = take("codecMeta");
        let name = match &name_value {
            Value::Str(s) => s.clone(),
            Value::Null => return Err(Error::shape(ctx(""), "has no name")),
            other => other.key_text(),
        };
        let ctx = |what: &str| format!("dataset #{index} {name:?}{what}");
        let cm = codec_meta
            .as_ref()
            .ok_or_else(|| Error::shape(ctx(""), "has no codecMeta"))?;
        if !matches!(cm, Value::Map(_)) {
            return Err(Error::shape(ctx(".codecMeta"), "is not a mapping"));
        }
        let uint = |key: &str| -> Result<u64> {
            match cm.get(key) {
                Some(v) => v.as_u64().ok_or_else(|| {
                    Error::shape(
                        ctx(&format!(".{key}")),
                        format!("{} is not a byte count", v),
                    )
                }),
                None => Err(Error::shape(ctx(""), format!("codecMeta has no {key}"))),
            }
        };
        let byte_offset = uint("byteOffset")?;
        let byte_length = uint("byteLength")?;
        let type_name = cm
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::shape(ctx(".type"), "is missing or not a string"))?;
        let compression = match cm.get("compression") {
            None | Some(Value::Null) => Compression::None,
            Some(Value::Str(s)) if s == "gzip" => Compression::Zlib,
            Some(Value::Str(s)) if s == "zstd" => Compression::Zstd,
            Some(Value::Str(s)) => Compression::Unapplied(s.clone()),
            Some(other) => Compression::Unapplied(other.to_string()),
        };
        let checksum = match cm.get("blake3") {
            None => None,
            Some(Value::Str(s)) => Some(
                s.parse::<Digest>()
                    .map_err(|e| Error::shape(ctx(".blake3"), e.to_string()))?,
            ),
            Some(other) => {
                return Err(Error::shape(
                    ctx(".blake3"),
                    format!("{} is not a hex digest", other),
                ));
            }
        };
        let mut info = DatasetInfo {
            name: String::new(),
            name_value: Value::Null,
            kind: DatasetKind::Unknown(String::new()),
            byte_offset,
            byte_length,
            compression,
            shape: Vec::new(),
            strides: None,
            layout: Layout::C,
            rows: 0,
            columns: Vec::new(),
            checksum,
            metadata,
            codec_meta: Value::Null,
        };
        info.kind = match type_name {
            "text" => DatasetKind::Text,
            "bytes" => DatasetKind::Bytes,
            "object" => DatasetKind::Object,
            "dataframe" => {
                info.rows = uint("rows")?;
                let declared = uint("columns")?;
                let list = match cm.get("columnInfo") {
                    Some(Value::Seq(items)) => items,
                    _ => return Err(Error::shape(ctx(".columnInfo"), "is missing or not a list")),
                };
                if declared != list.len() as u64 {
                    return Err(Error::shape(
                        ctx(".columns"),
                        format!("says {declared} columns, columnInfo has {}", list.len()),
                    ));
                }
                for (i, c) in list.iter().enumerate() {
                    let text = |k: &str| -> Result<String> {
                        c.get(k)
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                            .ok_or_else(|| {
                                Error::shape(
                                    ctx(&format!(".columnInfo[{i}].{k}")),
                                    "is missing or not a string",
                                )
                            })
                    };
                    info.columns.push(ColumnInfo {
                        key: c.get("key").cloned().unwrap_or(Value::Null),
                        encoding_type: text("encodingType")?,
                        original_type: text("originalType")?,
                        endianess: text("endianess")?,
                        max_byte_size: c.get("maxByteSize").and_then(Value::as_u64),
                    });
                }
                DatasetKind::DataFrame
            }
            t => match t.parse::<Scalar>() {
                Ok(scalar) if Scalar::ALL.iter().any(|s| s.name() == t) => {
                    let order = match cm.get("endianness").and_then(Value::as_str) {
                        Some("big") => ByteOrder::Big,
                        // `na` (one-byte types) and `little` read as '<' upstream.
                        Some("little" | "na") | None => ByteOrder::Little,
                        Some(other) => {
                            return Err(Error::shape(
                                ctx(".endianness"),
                                format!("{other:?} is not little, big or na"),
                            ));
                        }
                    };
                    let shape = match cm.get("shape") {
                        Some(Value::Seq(dims)) => dims
                            .iter()
                            .map(|d| {
                                d.as_u64().ok_or_else(|| {
                                    Error::shape(ctx(".shape"), format!("{d} is not a length"))
                                })
                            })
                            .collect::<Result<Vec<u64>>>()?,
                        _ => return Err(Error::shape(ctx(".shape"), "is missing or not a list")),
                    };
                    info.strides = match cm.get("strides") {
                        Some(Value::Seq(s)) => Some(
                            s.iter()
                                .map(|d| {
                                    d.as_i64().ok_or_else(|| {
                                        Error::shape(
                                            ctx(".strides"),
                                            format!("{d} is not a stride"),
                                        )
                                    })
                                })
                                .collect::<Result<Vec<i64>>>()?,
                        ),
                        _ => None,
                    };
                    info.layout = match cm.get("byteOrder").and_then(Value::as_str) {
                        Some("F") => Layout::F,
                        _ => Layout::C,
                    };
                    info.shape = shape;
                    DatasetKind::Array(DType::new(scalar, order))
                }
                _ => DatasetKind::Unknown(t.to_owned()),
            },
        };
        info.name = name;
        info.name_value = name_value;
        info.codec_meta = codec_meta.unwrap_or(Value::Null);
        Ok(info)
    }
}
