//! Loading a format by name (spec §3–§4): parse, check the grammar, resolve
//! references, inline objects, arrays and `#extends`, and collect every
//! problem like the platform does.
//!
//! Deliberate differences: a child of `#extends` copies its base's fields
//! instead of sharing and growing them (F1), so bases and siblings never
//! gain fields and there are no false clashes.

use std::collections::HashMap;
use std::sync::Arc;

use crate::declaration::grammar;
use crate::declaration::hash::declaration_hash;
use crate::declaration::source::Source;
use crate::error::{Error, Result};
use crate::format::{ArrayType, Element, Field, FieldType, Format, Primitive};
use crate::text::json::{self, Json, JsonInt};

/// Loads formats by name from a [`Source`].
///
/// Each [`Resolver::load`] is one load with its own cache, like the
/// platform's `DataFormat(prefix, name)`: formats referenced several times
/// are resolved once and shared.
#[derive(Debug, Clone)]
pub struct Resolver<S> {
    source: S,
}

enum Slot {
    InProgress,
    Done(Option<Arc<Format>>),
}

impl<S: Source> Resolver<S> {
    /// A resolver over `source` (a [`PrefixDir`](crate::PrefixDir) or a
    /// [`Registry`](crate::Registry)).
    pub fn new(source: S) -> Resolver<S> {
        Resolver { source }
    }

    /// The source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// Loads, checks and resolves `name`.
    ///
    /// # Errors
    /// [`Error::BadName`] for a name that is not `user/name/version`;
    /// [`Error::InvalidFormat`] with every problem found otherwise.
    pub fn load(&self, name: &str) -> Result<Arc<Format>> {
        if !grammar::is_reference(name) {
            return Err(Error::BadName(name.to_owned()));
        }
        let mut load = Load {
            source: &self.source,
            cache: HashMap::new(),
        };
        load.cache.insert(name.to_owned(), Slot::InProgress);
        let result = load.named(name);
        result.map(Arc::new).map_err(|errors| Error::InvalidFormat {
            name: name.to_owned(),
            errors,
        })
    }

    /// Checks `name` and returns its problems (empty when valid).
    pub fn check(&self, name: &str) -> Vec<Error> {
        match self.load(name) {
            Ok(_) => Vec::new(),
            Err(Error::InvalidFormat { errors, .. }) => errors,
            Err(e) => vec![e],
        }
    }
}

struct Load<'s, S> {
    source: &'s S,
    cache: HashMap<String, Slot>,
}

impl<S: Source> Load<'_, S> {
    fn named(&mut self, name: &str) -> Result<Format, Vec<Error>> {
        let text = self.source.read(name).map_err(|e| vec![e])?;
        let decl = json::parse(&text).map_err(|e| vec![e])?;
        let errors = grammar::check(&decl);
        if !errors.is_empty() {
            return Err(dedupe(errors));
        }
        let Json::Object(members) = &decl else {
            return Err(grammar::check(&decl));
        };
        let mut format = self.object(name, members)?;
        format.hash = Some(declaration_hash(&decl));
        Ok(format)
    }

    /// A reference: recursion, cached, or loaded now.
    fn reference(
        &mut self,
        name: &str,
        in_array: bool,
        errors: &mut Vec<Error>,
    ) -> Option<Arc<Format>> {
        match self.cache.get(name) {
            Some(Slot::InProgress) => {
                errors.push(Error::Recursion(name.to_owned()));
                if !in_array {
                    errors.push(Error::ReferredInvalid(name.to_owned()));
                }
                None
            }
            Some(Slot::Done(Some(f))) => Some(f.clone()),
            Some(Slot::Done(None)) => {
                errors.push(Error::ReferredInvalid(name.to_owned()));
                None
            }
            None => {
                self.cache.insert(name.to_owned(), Slot::InProgress);
                let loaded = self.named(name).ok().map(Arc::new);
                self.cache
                    .insert(name.to_owned(), Slot::Done(loaded.clone()));
                if loaded.is_none() {
                    errors.push(Error::ReferredInvalid(name.to_owned()));
                }
                loaded
            }
        }
    }

    fn inline(
        &mut self,
        name: String,
        members: &[(String, Json)],
        errors: &mut Vec<Error>,
    ) -> Option<Arc<Format>> {
        match self.object(&name, members) {
            Ok(f) => Some(Arc::new(f)),
            Err(_) => {
                errors.push(Error::ReferredInvalid(name));
                None
            }
        }
    }

    fn object(&mut self, name: &str, members: &[(String, Json)]) -> Result<Format, Vec<Error>> {
        let mut errors = Vec::new();
        let mut own: Vec<Field> = Vec::new();
        let mut dunder: Vec<Field> = Vec::new();
        let mut description = None;
        let mut extends: Option<(String, Option<Arc<Format>>)> = None;
        for (key, value) in members {
            match key.as_str() {
                "#description" => {
                    if let Json::String(s) = value {
                        description = Some(s.clone());
                    }
                }
                "#schema_version" => {}
                "#extends" => {
                    if let Json::String(base) = value {
                        let f = self.reference(base, false, &mut errors);
                        extends = Some((base.clone(), f));
                    }
                }
                field => {
                    let ty = self.field_type(name, field, value, &mut errors);
                    if let Some(ty) = ty {
                        let f = Field {
                            name: field.to_owned(),
                            ty,
                        };
                        // The platform's loader takes `__x__` members out and
                        // adds them back after the others.
                        if field.starts_with("__") && field.ends_with("__") {
                            dunder.push(f);
                        } else {
                            own.push(f);
                        }
                    }
                }
            }
        }
        own.extend(dunder);
        let mut fields = Vec::new();
        if let Some((base_name, base)) = &extends {
            match base {
                None => errors.push(Error::ReferredInvalid(base_name.clone())),
                Some(base) => {
                    for f in &own {
                        if base.field_index(&f.name).is_some() {
                            errors.push(Error::Clash {
                                format: name.to_owned(),
                                field: f.name.clone(),
                                base: base_name.clone(),
                            });
                        }
                    }
                    // F1: copy the base's fields; never share and grow them.
                    fields.extend(base.fields().iter().cloned());
                }
            }
        }
        fields.extend(own);
        if !errors.is_empty() {
            return Err(dedupe(errors));
        }
        let mut format = Format::new(name, fields);
        format.description = description;
        format.extends = extends.map(|(n, _)| n);
        Ok(format)
    }

    fn field_type(
        &mut self,
        parent: &str,
        field: &str,
        value: &Json,
        errors: &mut Vec<Error>,
    ) -> Option<FieldType> {
        match value {
            Json::String(s) => match Primitive::from_name(s) {
                Some(p) => Some(FieldType::Primitive(p)),
                None => self.reference(s, false, errors).map(FieldType::Object),
            },
            Json::Object(m) => self
                .inline(format!("{parent}.{field}_type"), m, errors)
                .map(FieldType::Object),
            Json::Array(items) => {
                let (last, dims) = items.split_last()?;
                let extents = dims
                    .iter()
                    .map(|d| match d {
                        Json::Int(JsonInt::Small(n)) => u64::try_from(*n).ok(),
                        _ => None,
                    })
                    .collect::<Option<Vec<u64>>>()?;
                let element = match last {
                    Json::String(s) => match Primitive::from_name(s) {
                        Some(p) => Element::Primitive(p),
                        None => Element::Object(self.reference(s, true, errors)?),
                    },
                    Json::Object(m) => {
                        Element::Object(self.inline(format!("{parent}.{field}_type"), m, errors)?)
                    }
                    _ => return None,
                };
                Some(FieldType::Array(ArrayType { extents, element }))
            }
            _ => None,
        }
    }
}

/// De-duplicates errors keeping first occurrences (by their text).
fn dedupe(errors: Vec<Error>) -> Vec<Error> {
    let mut seen = std::collections::HashSet::new();
    errors
        .into_iter()
        .filter(|e| seen.insert(e.to_string()))
        .collect()
}
