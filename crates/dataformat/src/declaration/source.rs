//! Where declarations come from: a prefix folder laid out like the
//! platform's (spec §2), or an in-memory registry.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use vellum_format_core::Limits;

use crate::declaration::grammar::is_reference;
use crate::error::{Error, Result};

/// A place declarations are read from, by format name.
pub trait Source {
    /// The declaration text of `name` (already checked to be
    /// `user/name/version`); [`Error::NotFound`] when there is none.
    fn read(&self, name: &str) -> Result<String>;
}

/// A platform prefix folder: `DIR/dataformats/<user>/<name>/<version>.json`,
/// or the hashed layout `DIR/dataformats/<h0h1>/<h2h3>/<user>/...` with `h`
/// the SHA-256 of the user name, which is tried first.
#[derive(Debug, Clone)]
pub struct PrefixDir {
    root: PathBuf,
    limits: Limits,
}

impl PrefixDir {
    /// A prefix folder with the default [`Limits`] (declarations larger than
    /// `max_header` are refused).
    pub fn new(root: impl Into<PathBuf>) -> PrefixDir {
        PrefixDir {
            root: root.into(),
            limits: Limits::default(),
        }
    }

    /// The same folder with other limits.
    pub fn with_limits(mut self, limits: Limits) -> PrefixDir {
        self.limits = limits;
        self
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The plain-layout path of `name` (also the path named by
    /// [`Error::NotFound`]).
    pub fn plain_path(&self, name: &str) -> PathBuf {
        let mut p = self.root.join("dataformats");
        for part in name.split('/') {
            p.push(part);
        }
        p.set_extension("json");
        p
    }

    /// The hashed-layout path of `name`.
    pub fn hashed_path(&self, name: &str) -> PathBuf {
        let user = name.split('/').next().unwrap_or("");
        let h: String = Sha256::digest(user.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut p = self.root.join("dataformats").join(&h[..2]).join(&h[2..4]);
        for part in name.split('/') {
            p.push(part);
        }
        p.set_extension("json");
        p
    }

    /// The declaration file of `name` that exists, hashed layout first.
    pub fn locate(&self, name: &str) -> Result<PathBuf> {
        if !is_reference(name) {
            return Err(Error::BadName(name.to_owned()));
        }
        let hashed = self.hashed_path(name);
        if hashed.is_file() {
            return Ok(hashed);
        }
        let plain = self.plain_path(name);
        if plain.is_file() {
            return Ok(plain);
        }
        Err(Error::NotFound { path: plain })
    }
}

impl Source for PrefixDir {
    fn read(&self, name: &str) -> Result<String> {
        let path = self.locate(name)?;
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let len = std::fs::metadata(&path).map_err(io)?.len();
        self.limits.check_header(len)?;
        let bytes = std::fs::read(&path).map_err(io)?;
        String::from_utf8(bytes).map_err(|e| Error::Json {
            line: 1,
            column: 1,
            message: format!("not UTF-8 ({e})"),
        })
    }
}

/// Declarations held in memory, by name.
///
/// ```
/// use vellum_dataformat::{Registry, Resolver};
/// let mut reg = Registry::new();
/// reg.insert("me/point/1", r#"{"x": "float64", "y": "float64"}"#);
/// let point = Resolver::new(reg).load("me/point/1")?;
/// assert_eq!(point.fields().len(), 2);
/// # Ok::<(), vellum_dataformat::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Registry {
    entries: HashMap<String, String>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Adds (or replaces) the declaration text of `name`.
    pub fn insert(&mut self, name: impl Into<String>, declaration: impl Into<String>) {
        self.entries.insert(name.into(), declaration.into());
    }
}

impl Source for Registry {
    fn read(&self, name: &str) -> Result<String> {
        if !is_reference(name) {
            return Err(Error::BadName(name.to_owned()));
        }
        self.entries
            .get(name)
            .cloned()
            .ok_or_else(|| Error::NotFound {
                path: PathBuf::from(name),
            })
    }
}

impl<S: Source + ?Sized> Source for &S {
    fn read(&self, name: &str) -> Result<String> {
        (**self).read(name)
    }
}
