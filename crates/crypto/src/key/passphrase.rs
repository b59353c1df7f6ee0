//! Keys from passphrases, through argon2id.

use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use super::vellum_key::VellumKey;
use crate::error::{Error, Result, os_random};

/// Argon2id cost parameters and salt for deriving a [`VellumKey`] from a
/// passphrase. Stored in the header of a passphrase-sealed stream, so that
/// only the passphrase is needed to open it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassphraseParams {
    /// Random salt.
    pub salt: [u8; 16],
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism.
    pub lanes: u32,
}

/// The most memory a header may ask for (1 GiB), so a hostile file cannot
/// make us allocate without bound.
pub(crate) const MAX_MEMORY_KIB: u32 = 1 << 20;
/// The most passes a header may ask for.
pub(crate) const MAX_ITERATIONS: u32 = 64;
/// The most lanes a header may ask for.
pub(crate) const MAX_LANES: u32 = 64;

impl PassphraseParams {
    /// Fresh parameters: a random salt and OWASP's recommended argon2id
    /// cost (19 MiB, 2 passes, 1 lane).
    ///
    /// # Panics
    /// If the operating system's random generator fails.
    pub fn generate() -> PassphraseParams {
        let mut salt = [0u8; 16];
        os_random(&mut salt);
        PassphraseParams {
            salt,
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            lanes: Params::DEFAULT_P_COST,
        }
    }

    /// Derives the key for `passphrase`.
    ///
    /// # Errors
    /// [`Error::Passphrase`] when the parameters are out of argon2's range
    /// or above our caps (1 GiB, 64 passes, 64 lanes).
    pub fn derive(&self, passphrase: &[u8]) -> Result<VellumKey> {
        if self.memory_kib > MAX_MEMORY_KIB
            || self.iterations > MAX_ITERATIONS
            || self.lanes > MAX_LANES
        {
            return Err(Error::Passphrase {
                reason: format!(
                    "cost {} KiB / {} passes / {} lanes is above the caps ({MAX_MEMORY_KIB} KiB / {MAX_ITERATIONS} / {MAX_LANES})",
                    self.memory_kib, self.iterations, self.lanes
                ),
            });
        }
        let params =
            Params::new(self.memory_kib, self.iterations, self.lanes, Some(32)).map_err(|e| {
                Error::Passphrase {
                    reason: e.to_string(),
                }
            })?;
        let mut out = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase, &self.salt, out.as_mut_slice())
            .map_err(|e| Error::Passphrase {
                reason: e.to_string(),
            })?;
        Ok(VellumKey::from_bytes(*out))
    }
}

/// What opens (or seals) a stream: a key, or a passphrase whose salt and
/// cost live in the stream header.
#[derive(Clone)]
pub enum Secret {
    /// A 256-bit key.
    Key(VellumKey),
    /// A passphrase, stretched with argon2id.
    Passphrase(Zeroizing<String>),
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Key(k) => write!(f, "Secret::Key({k:?})"),
            Secret::Passphrase(_) => f.write_str("Secret::Passphrase(<redacted>)"),
        }
    }
}

impl From<VellumKey> for Secret {
    fn from(key: VellumKey) -> Secret {
        Secret::Key(key)
    }
}

impl Secret {
    /// A passphrase secret.
    pub fn passphrase(text: impl Into<String>) -> Secret {
        Secret::Passphrase(Zeroizing::new(text.into()))
    }
}
