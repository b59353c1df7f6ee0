//! The command tree: one file per command or command family.

use clap::Subcommand;

use crate::output::{Global, Outcome};

pub mod convert;
pub mod crypto;
pub mod dataformat;
pub mod datumaro;
pub mod demo;
pub mod inspect;
pub mod rab;
pub mod records;

/// Every `vellum` command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Say what a file or folder is, and summarise it (header-only where the
    /// format allows).
    Inspect(inspect::Args),
    /// A tour of Vellum on an embedded synthetic dataset, in a temporary folder.
    Demo(demo::Args),
    /// Convert a dataset between datumaro_binary, datumaro (JSON) and coco.
    Convert(convert::Args),
    /// Datumaro datasets: info and dump.
    Datumaro(datumaro::Args),
    /// BEAT data formats: check, show, pack and unpack.
    Dataformat(dataformat::Args),
    /// Record files (DSRecords, TFRecord, MXNet RecordIO).
    Records(records::Args),
    /// RandomAccessBuffer (RAB) files.
    Rab(rab::Args),
    /// Generate a key (Vellum stream key, or a datumaro Fernet key with --fernet).
    Keygen(crypto::KeygenArgs),
    /// Encrypt a file or a whole folder.
    Encrypt(crypto::EncryptArgs),
    /// Decrypt a file or a whole folder.
    Decrypt(crypto::DecryptArgs),
}

/// Runs one command.
pub fn run(command: Command, g: &Global) -> anyhow::Result<Outcome> {
    match command {
        Command::Inspect(a) => inspect::run(a, g),
        Command::Demo(a) => demo::run(a, g),
        Command::Convert(a) => convert::run(a, g),
        Command::Datumaro(a) => datumaro::run(a, g),
        Command::Dataformat(a) => dataformat::run(a, g),
        Command::Records(a) => records::run(a, g),
        Command::Rab(a) => rab::run(a, g),
        Command::Keygen(a) => crypto::run_keygen(a, g),
        Command::Encrypt(a) => crypto::run_encrypt(a, g),
        Command::Decrypt(a) => crypto::run_decrypt(a, g),
    }
}
