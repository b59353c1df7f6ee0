//! Encryption for Vellum: Fernet (compatible with datumaro ≤ 1.11 and Python
//! `cryptography`) and our own chunked XChaCha20-Poly1305 sealed stream.
//!
//! This crate is being filled by its own issue.
#![deny(missing_docs)]
