//! The one error type of `vellum-dataformat`.

use std::fmt;
use std::path::PathBuf;

/// A rule of the declaration grammar (spec §1), as named in schema errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// Field names match `^[a-zA-Z_][a-zA-Z0-9_-]*$` (anchored at the true
    /// end: no trailing newline).
    FieldName,
    /// `#description`, `#schema_version` and `#extends` are the only `#` keys.
    UnknownKey,
    /// A field type is a primitive name, a reference, an array or an object.
    FieldType,
    /// A reference is `user/name/version`.
    Reference,
    /// An array is 1 to 5 extents then one element type.
    ArrayLength,
    /// Array extents are JSON integers.
    ArrayExtent,
    /// An array's element type is a primitive, a reference or an object.
    ArrayElement,
    /// Array extents are not negative (a deliberate fix: the platform accepts
    /// them and every use of the format then fails).
    NegativeExtent,
    /// `#description` is a string.
    DescriptionType,
    /// `#description` has at most 100 characters.
    DescriptionLength,
    /// `#schema_version` is a number.
    SchemaVersionType,
    /// `#schema_version` is a whole number.
    SchemaVersionMultiple,
    /// `#schema_version` is 1 (the only schema there is).
    SchemaVersionValue,
    /// `#extends` is a string.
    ExtendsType,
    /// `#extends` is a reference `user/name/version`.
    ExtendsPattern,
    /// A declaration is a JSON object.
    TopLevelObject,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::FieldName => "field names match ^[a-zA-Z_][a-zA-Z0-9_-]*$",
            Rule::UnknownKey => "the only '#' keys are #description, #schema_version and #extends",
            Rule::FieldType => {
                "a field type is a primitive type name, a reference user/name/version, an array or an object"
            }
            Rule::Reference => "a reference is user/name/version",
            Rule::ArrayLength => "an array type is 1 to 5 extents followed by one element type",
            Rule::ArrayExtent => "array extents are integers",
            Rule::ArrayElement => {
                "an array's element type is a primitive type name, a reference or an object"
            }
            Rule::NegativeExtent => "array extents are 0 (unspecified) or positive",
            Rule::DescriptionType => "#description is a string",
            Rule::DescriptionLength => "#description has at most 100 characters",
            Rule::SchemaVersionType => "#schema_version is a number",
            Rule::SchemaVersionMultiple => "#schema_version is a whole number",
            Rule::SchemaVersionValue => "#schema_version is 1",
            Rule::ExtendsType => "#extends is a string",
            Rule::ExtendsPattern => "#extends is a reference user/name/version",
            Rule::TopLevelObject => "a declaration is a JSON object",
        })
    }
}

/// Everything that can go wrong with a declaration, a value or packed bytes.
///
/// Declaration problems are collected, like the platform does, in
/// [`Error::InvalidFormat`]; value and binary problems name the format, the
/// field and what is wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ----- declarations -----
    /// A format name is not `user/name/version`.
    #[error("`{0}' is not a data format name user/name/version")]
    BadName(String),
    /// No declaration file (or registry entry) for a name.
    #[error("Dataformat declaration file not found: {}", path.display())]
    NotFound {
        /// Where it was looked for (the plain layout path).
        path: PathBuf,
    },
    /// The declaration could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid JSON.
    #[error("invalid JSON code: {message}: line {line} column {column}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column (characters).
        column: usize,
        /// What the reader expected.
        message: String,
    },
    /// A key appears twice in one JSON object.
    #[error("Invalid JSON: {key} found several times")]
    DuplicateKey {
        /// The repeated key.
        key: String,
    },
    /// The declaration breaks a rule of the grammar.
    #[error("{path}: {detail} (rule: {rule})")]
    Schema {
        /// JSON pointer of the offending member (`/v`, `/#extends`, `/a/0`).
        path: String,
        /// The rule broken.
        rule: Rule,
        /// What was found.
        detail: String,
    },
    /// A format refers to itself, directly or through others.
    #[error("recursion for dataformat `{0}' detected")]
    Recursion(String),
    /// A referenced, extended or inline format is invalid.
    #[error("referred dataformat `{0}' is invalid")]
    ReferredInvalid(String),
    /// A field repeats a field of the extended format.
    #[error(
        "the attribute `{field}' in `{format}' clashes with an attribute with the same name on the extended class `{base}'"
    )]
    Clash {
        /// The child format.
        format: String,
        /// The repeated field.
        field: String,
        /// The extended format.
        base: String,
    },
    /// A format is invalid; every problem found, in order.
    #[error("dataformat `{name}' is invalid: {}", join_errors(errors))]
    InvalidFormat {
        /// The format's name.
        name: String,
        /// The problems, de-duplicated, in the order found.
        errors: Vec<Error>,
    },

    // ----- values -----
    /// A value's fields are not exactly the declared ones.
    #[error(
        "missing attributes ({}) for dataformat `{format}' which require `{}'",
        missing.join(", "), required.join(", ")
    )]
    MissingFields {
        /// The format (inline formats as `parent.field_type`).
        format: String,
        /// Declared fields the value lacks (sorted).
        missing: Vec<String>,
        /// Every declared field (sorted).
        required: Vec<String>,
    },
    /// A value has fields the format does not declare.
    #[error(
        "unexpected attribute ({}) for dataformat `{format}' which require `{}'",
        extra.join(", "), required.join(", ")
    )]
    UnexpectedFields {
        /// The format.
        format: String,
        /// The undeclared fields (sorted).
        extra: Vec<String>,
        /// Every declared field (sorted).
        required: Vec<String>,
    },
    /// Safe casting refuses a value of this type for this field.
    #[error(
        "cannot safely cast attribute `{field}' on dataformat `{format}' with type `{from}' to `{to}' without precision loss"
    )]
    UnsafeCast {
        /// The format.
        format: String,
        /// The field.
        field: String,
        /// numpy's name of the value's type (`int64`, `<U3`, `object`).
        from: String,
        /// The field's type.
        to: String,
    },
    /// A value cannot be converted to the field's type (`'abc'` into an
    /// integer, NaN into an integer, a complex into a real, ...).
    #[error("attribute `{field}' on dataformat `{format}': {reason}")]
    Conversion {
        /// The format.
        format: String,
        /// The field.
        field: String,
        /// Why, in the platform's words.
        reason: String,
    },
    /// An integer does not fit in 64 bits.
    #[error(
        "attribute `{field}' on dataformat `{format}': integer {value} does not fit in 64 bits"
    )]
    IntegerTooLarge {
        /// The format.
        format: String,
        /// The field.
        field: String,
        /// The integer's text.
        value: String,
    },
    /// A nested object's value is not an object.
    #[error("attribute `{field}' on dataformat `{format}': expected an object, found {found}")]
    NotAnObject {
        /// The format holding the field.
        format: String,
        /// The field.
        field: String,
        /// Python's type name of what was found (`int`, `list`).
        found: String,
    },
    /// A list given for a scalar field (a deliberate fix: the platform stores
    /// it and fails at pack time, or packs its single element).
    #[error("attribute `{field}' on dataformat `{format}': expected a scalar, found a list")]
    NotAScalar {
        /// The format.
        format: String,
        /// The field.
        field: String,
    },
    /// A string-array element that is not text (a deliberate fix: the
    /// platform accepts it and fails at pack time).
    #[error(
        "attribute `{field}' on dataformat `{format}': element {index} is {found}, not a string"
    )]
    NotAString {
        /// The format.
        format: String,
        /// The field.
        field: String,
        /// Flat index of the element.
        index: usize,
        /// Python's type name of the element.
        found: String,
    },
    /// An array value's nesting is not a regular N-d shape.
    #[error(
        "attribute `{field}' on dataformat `{format}': setting an array element with a sequence (inhomogeneous shape)"
    )]
    Ragged {
        /// The format.
        format: String,
        /// The field.
        field: String,
    },
    /// An array value has the wrong number of dimensions.
    #[error(
        "input argument for array attribute `{field}' on dataformat `{format}' has {found} dimensions and does not respect what is requested in the data format ({expected} dimension(s))"
    )]
    Dimensions {
        /// The format.
        format: String,
        /// The field.
        field: String,
        /// Dimensions of the value.
        found: usize,
        /// Declared dimensions.
        expected: usize,
    },
    /// An array value's extent differs from a fixed declared extent.
    #[error(
        "input argument for array attribute `{field}' on dataformat `{format}' does not respect dimension restrictions for dimension `{dim}' as requested in the data format ({found} != {expected})"
    )]
    Extent {
        /// The format.
        format: String,
        /// The field.
        field: String,
        /// 0-based dimension.
        dim: usize,
        /// The value's extent.
        found: u64,
        /// The declared extent.
        expected: u64,
    },
    /// A typed value does not have the field's type.
    #[error("attribute `{field}' on dataformat `{format}': expected {expected}, found {found}")]
    WrongType {
        /// The format.
        format: String,
        /// The field.
        field: String,
        /// The declared type.
        expected: String,
        /// The value's type.
        found: String,
    },
    /// A field name the format does not declare.
    #[error("dataformat `{format}' has no attribute `{field}'")]
    NoSuchField {
        /// The format.
        format: String,
        /// The name asked for.
        field: String,
    },
    /// A tagged input value (`{"$np": ...}`, `{"$ndarray": ...}`) is malformed.
    #[error("bad tagged value: {0}")]
    BadTag(String),
    /// An array would be larger than the allocation limit.
    #[error("array of {requested} bytes is above the limit of {limit} bytes")]
    TooLarge {
        /// Bytes asked for.
        requested: u64,
        /// The limit.
        limit: u64,
    },

    // ----- binary -----
    /// Malformed or truncated packed bytes (field and offset inside).
    #[error(transparent)]
    Bytes(#[from] vellum_format_core::Error),
    /// A stored array extent differs from the declared fixed extent.
    #[error(
        "array `{field}' at offset {offset}: stored extent {found} for dimension {dim}, the format fixes {expected}"
    )]
    StoredExtent {
        /// The field.
        field: String,
        /// Offset of the extent.
        offset: u64,
        /// Dimension.
        dim: usize,
        /// Extent stored.
        found: u64,
        /// Extent declared.
        expected: u64,
    },
    /// Bytes remain after the last field.
    #[error("{trailing} bytes after the end of the object (at offset {offset})")]
    TrailingBytes {
        /// Where the object ended.
        offset: u64,
        /// How many bytes follow.
        trailing: u64,
    },
    /// Two objects of different formats were compared.
    #[error("cannot compare objects of dataformat `{0}' and `{1}'")]
    DifferentFormats(String, String),
}

fn join_errors(errors: &[Error]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
