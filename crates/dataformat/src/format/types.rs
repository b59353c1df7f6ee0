//! A resolved, flattened data format: fields with their types, references
//! resolved to the formats they name, `#extends` chains merged, and the
//! binary pack order (spec §8.1).

use std::fmt;
use std::sync::Arc;

use vellum_format_core::Scalar;

/// One of the 14 primitive types of a declaration (spec §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Primitive {
    /// A numeric type or `bool` (never `float16`, which BEAT lacks).
    Number(Scalar),
    /// `string`: UTF-8 text, packed as a `u64` length and the bytes.
    String,
}

impl Primitive {
    /// Every primitive, in the order the platform lists them.
    pub const ALL: [Primitive; 14] = [
        Primitive::Number(Scalar::Int8),
        Primitive::Number(Scalar::Int16),
        Primitive::Number(Scalar::Int32),
        Primitive::Number(Scalar::Int64),
        Primitive::Number(Scalar::UInt8),
        Primitive::Number(Scalar::UInt16),
        Primitive::Number(Scalar::UInt32),
        Primitive::Number(Scalar::UInt64),
        Primitive::Number(Scalar::Float32),
        Primitive::Number(Scalar::Float64),
        Primitive::Number(Scalar::Complex64),
        Primitive::Number(Scalar::Complex128),
        Primitive::Number(Scalar::Bool),
        Primitive::String,
    ];

    /// The declaration name: `int32`, `string`, ...
    pub fn name(self) -> &'static str {
        match self {
            Primitive::Number(s) => s.name(),
            Primitive::String => "string",
        }
    }

    /// The primitive a declaration names, if any.
    pub fn from_name(name: &str) -> Option<Primitive> {
        Primitive::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for Primitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The element type of an array field.
#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    /// Numbers, bools or strings.
    Primitive(Primitive),
    /// Objects of a (referenced or inline) format.
    Object(Arc<Format>),
}

/// An array field's type: 1 to 5 extents (0 = any) and an element type.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayType {
    /// Declared extents, outermost first; 0 means unspecified.
    pub extents: Vec<u64>,
    /// The element type.
    pub element: Element,
}

/// A field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    /// A primitive.
    Primitive(Primitive),
    /// A nested object (a reference or an inline object).
    Object(Arc<Format>),
    /// An N-d array.
    Array(ArrayType),
}

impl FieldType {
    /// The type as a declaration would write it (references by name, inline
    /// objects by their generated name).
    pub fn describe(&self) -> String {
        match self {
            FieldType::Primitive(p) => p.name().to_owned(),
            FieldType::Object(f) => f.name().to_owned(),
            FieldType::Array(a) => {
                let mut s = String::from("[");
                for e in &a.extents {
                    s.push_str(&format!("{e}, "));
                }
                match &a.element {
                    Element::Primitive(p) => s.push_str(p.name()),
                    Element::Object(f) => s.push_str(f.name()),
                }
                s.push(']');
                s
            }
        }
    }
}

/// One field of a resolved format.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The field's name.
    pub name: String,
    /// Its type.
    pub ty: FieldType,
}

/// A resolved, flattened data format.
///
/// Fields are in the platform's resolved order (base fields first with
/// `#extends`; `__x__` fields after the others, as the platform's loader
/// re-adds them), which is the order of [`Object`](crate::Object) values and
/// of JSON output. Packing uses [`Format::pack_order`]: code-point order of
/// the names (spec §8.1).
#[derive(Debug, Clone, PartialEq)]
pub struct Format {
    pub(crate) name: String,
    pub(crate) fields: Vec<Field>,
    pub(crate) pack_order: Vec<usize>,
    pub(crate) description: Option<String>,
    pub(crate) extends: Option<String>,
    pub(crate) hash: Option<String>,
}

impl Format {
    /// Builds a format from resolved fields (their order is kept; the pack
    /// order is computed). Field names must be unique.
    pub fn new(name: impl Into<String>, fields: Vec<Field>) -> Format {
        let mut pack_order: Vec<usize> = (0..fields.len()).collect();
        pack_order.sort_by(|&a, &b| fields[a].name.cmp(&fields[b].name));
        Format {
            name: name.into(),
            fields,
            pack_order,
            description: None,
            extends: None,
            hash: None,
        }
    }

    /// The format's name (`user/name/version`; inline formats
    /// `parent.field_type`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The fields, in resolved order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Indexes into [`Format::fields`] in binary (code-point name) order.
    pub fn pack_order(&self) -> &[usize] {
        &self.pack_order
    }

    /// The index of the field `name`.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// `#description`, if the declaration has one.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The format named by `#extends`, if any.
    pub fn extends(&self) -> Option<&str> {
        self.extends.as_deref()
    }

    /// The platform's declaration hash (lowercase hex SHA-256, spec §12), for
    /// formats loaded from a declaration file.
    pub fn hash(&self) -> Option<&str> {
        self.hash.as_deref()
    }

    /// The platform's generated class name: `/` and `-` become `_`.
    pub fn class_name(&self) -> String {
        self.name.replace(['/', '-'], "_")
    }

    /// The resolved format as JSON in the corpus's `resolved` shape: a
    /// primitive by name, an array as `[d1, .., element]`, a nested format
    /// as `{"$format": name, "fields": {...}}`.
    pub fn resolved_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for f in &self.fields {
            m.insert(f.name.clone(), type_json(&f.ty));
        }
        serde_json::Value::Object(m)
    }

    /// Packed size in bytes when every field has a fixed size (no strings,
    /// no arrays with an unspecified extent), else `None`.
    pub fn fixed_size(&self) -> Option<usize> {
        let mut n = 0usize;
        for f in &self.fields {
            n = n.checked_add(match &f.ty {
                FieldType::Primitive(Primitive::Number(s)) => s.item_size(),
                FieldType::Primitive(Primitive::String) => return None,
                FieldType::Object(o) => o.fixed_size()?,
                FieldType::Array(a) => {
                    if a.extents.contains(&0) {
                        return None;
                    }
                    let count = a
                        .extents
                        .iter()
                        .try_fold(1usize, |acc, &e| acc.checked_mul(usize::try_from(e).ok()?))?;
                    let item = match &a.element {
                        Element::Primitive(Primitive::Number(s)) => s.item_size(),
                        Element::Primitive(Primitive::String) => return None,
                        Element::Object(o) => o.fixed_size()?,
                    };
                    (8 * a.extents.len()).checked_add(count.checked_mul(item)?)?
                }
            })?;
        }
        Some(n)
    }
}

fn object_json(f: &Format) -> serde_json::Value {
    serde_json::json!({ "$format": f.name(), "fields": f.resolved_json() })
}

fn type_json(ty: &FieldType) -> serde_json::Value {
    match ty {
        FieldType::Primitive(p) => p.name().into(),
        FieldType::Object(f) => object_json(f),
        FieldType::Array(a) => {
            let mut v: Vec<serde_json::Value> = a.extents.iter().map(|&e| e.into()).collect();
            v.push(match &a.element {
                Element::Primitive(p) => p.name().into(),
                Element::Object(f) => object_json(f),
            });
            v.into()
        }
    }
}
