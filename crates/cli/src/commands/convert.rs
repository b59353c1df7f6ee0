//! `vellum convert`: convert a dataset between `datumaro_binary`,
//! `datumaro` (JSON) and `coco`, with datumaro's export options.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use vellum_datumaro::{
    Cipher, DEFAULT_MAX_BLOB_SIZE, ExportOptions, TypeCodes, WriteOptions, write_coco,
    write_datumaro_binary, write_datumaro_json,
};

use crate::commands::datumaro::load;
use crate::output::{Global, Outcome, note, out_json};
use crate::progress;

/// Which cipher `--encryption` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CipherChoice {
    /// datumaro 1.11's Fernet (readable by datumaro 1.11 only).
    Fernet,
    /// Our XChaCha20-Poly1305 sealed stream: faster and stronger, but no
    /// version of datumaro can read it.
    Sealed,
}

/// Arguments of `vellum convert`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input format: datumaro_binary, datumaro or coco (detected when left out).
    #[arg(
        long = "input-format",
        short = 'I',
        visible_alias = "if",
        value_name = "FORMAT"
    )]
    input_format: Option<String>,
    /// The input dataset folder (or one `.datum` file).
    #[arg(short = 'i', long = "input", value_name = "PATH", required = true, action = clap::ArgAction::Append)]
    input: Vec<PathBuf>,
    /// datumaro spells the input format `-if FORMAT`, which parses as
    /// `-i f FORMAT`: this catches the stray FORMAT.
    #[arg(hide = true)]
    rest: Vec<String>,
    /// Output format: datumaro_binary, datumaro or coco.
    #[arg(short = 'f', long = "format", value_name = "FORMAT")]
    format: String,
    /// The output folder.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    output: PathBuf,
    /// Copy media files into the output (named as datumaro names them).
    #[arg(long)]
    save_media: bool,
    /// Encrypt the DatumaroBinary output (a new random key unless
    /// --encryption-key is given; datumaro's scheme keeps it in secret_key.txt).
    #[arg(long)]
    encryption: bool,
    /// The key of an encrypted input, and of the output with --encryption
    /// (`datum-…` for datumaro's Fernet, `vellum-…` for the sealed scheme).
    #[arg(long, value_name = "KEY")]
    encryption_key: Option<String>,
    /// With --encryption and --save-media: leave saved images unencrypted.
    #[arg(long)]
    no_media_encryption: bool,
    /// The cipher of --encryption when no key says it.
    #[arg(long, value_enum, default_value = "fernet")]
    cipher: CipherChoice,
    /// Close a DatumaroBinary blob once it is larger than this.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BLOB_SIZE)]
    max_blob_size: usize,
    /// Also write dataset_meta.json (labels, mask colours).
    #[arg(long)]
    save_dataset_meta: bool,
    /// Skip the fsync of the written annotation files: they still appear
    /// whole (written beside and renamed), but a power cut soon after may
    /// lose them. datumaro never syncs; by default we do.
    #[arg(long)]
    no_fsync: bool,
}

/// Runs `vellum convert`.
pub fn run(mut args: Args, g: &Global) -> Result<Outcome> {
    let input = resolve_input(&mut args)?;
    if !["datumaro_binary", "datumaro", "coco"].contains(&args.format.as_str()) {
        bail!(
            "-f {}: not an output format (datumaro_binary, datumaro, coco)",
            args.format
        );
    }
    if args.encryption && args.format != "datumaro_binary" {
        bail!("--encryption applies to -f datumaro_binary only");
    }
    if args.max_blob_size == 0 {
        bail!("--max-blob-size must be positive");
    }
    let t0 = std::time::Instant::now();
    let ds = load(
        &input,
        args.input_format.as_deref(),
        args.encryption_key.as_deref(),
        g,
    )?;
    // An input whose images datumaro 1.11 encrypted is decrypted on save.
    let source_media_cipher = args
        .encryption_key
        .as_deref()
        .map(Cipher::from_key)
        .transpose()?;
    let cipher = if args.encryption {
        Some(match (&args.encryption_key, args.cipher) {
            (Some(k), _) => Cipher::from_key(k)?,
            (None, CipherChoice::Fernet) => Cipher::generate_datumaro(),
            (None, CipherChoice::Sealed) => Cipher::generate_sealed(),
        })
    } else {
        None
    };
    let fernet = cipher.as_ref().is_some_and(Cipher::datumaro_compatible);
    let encrypt_media = cipher.is_some() && args.save_media && !args.no_media_encryption;
    let opts = ExportOptions {
        save_media: args.save_media,
        save_dataset_meta: args.save_dataset_meta,
        encrypt_media,
        source_media_cipher,
        binary: WriteOptions {
            max_blob_size: args.max_blob_size,
            cipher: cipher.clone(),
            // datumaro 1.11 (the only reader of Fernet files) sets the flag
            // from the options and numbers cuboid_2d 16.
            media_encryption: fernet && encrypt_media,
            type_codes: if fernet {
                TypeCodes::Legacy
            } else {
                TypeCodes::Modern
            },
            no_fsync: args.no_fsync,
        },
        no_fsync: args.no_fsync,
        ..ExportOptions::default()
    };
    let read_seconds = t0.elapsed().as_secs_f64();
    let t1 = std::time::Instant::now();
    let spin = progress::spinner(g, "writing");
    let report = match args.format.as_str() {
        "datumaro_binary" => write_datumaro_binary(&ds, &args.output, &opts),
        "datumaro" => write_datumaro_json(&ds, &args.output, &opts),
        _ => write_coco(&ds, &args.output, &opts),
    }
    .with_context(|| args.output.display().to_string())?;
    spin.finish_and_clear();
    let write_seconds = t1.elapsed().as_secs_f64();
    if let Some(c) = &cipher {
        if args.encryption_key.is_none() {
            match c {
                Cipher::Fernet(_) => note(
                    g,
                    format!(
                        "encryption key written to {} (as datumaro does): keep it apart from the dataset",
                        args.output.join("secret_key.txt").display()
                    ),
                ),
                Cipher::Sealed(_) => note(g, format!("encryption key (keep it safe): {}", c.key())),
            }
        }
        if !c.datumaro_compatible() {
            note(
                g,
                "sealed with XChaCha20-Poly1305: only vellum can read this dataset (no datumaro version can)",
            );
        }
    }
    if !report.media_missing.is_empty() {
        note(
            g,
            format!(
                "{} media files were not found and not copied (first: item {:?})",
                report.media_missing.len(),
                report.media_missing.first().cloned().unwrap_or_default()
            ),
        );
    }
    let doc = serde_json::json!({
        "input": input.display().to_string(),
        "output": args.output.display().to_string(),
        "format": args.format,
        "items": report.items,
        "files": report.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "bytes": report.bytes,
        "media_copied": report.media_copied,
        "media_missing": report.media_missing.len(),
        "encrypted": cipher.is_some(),
        "read_seconds": read_seconds,
        "write_seconds": write_seconds,
    });
    if g.json {
        out_json(&doc)?;
    } else {
        note(
            g,
            format!(
                "wrote {} items to {} ({}, {} files, {} bytes)",
                report.items,
                args.output.display(),
                args.format,
                report.files.len(),
                report.bytes
            ),
        );
    }
    Ok(Outcome::Ok)
}

/// The input path, accepting datumaro's `-if FORMAT -i PATH` spelling.
fn resolve_input(args: &mut Args) -> Result<PathBuf> {
    let mut inputs = std::mem::take(&mut args.input);
    if let Some(i) = inputs.iter().position(|p| p.as_os_str() == "f")
        && inputs.len() == 2
        && args.rest.len() == 1
        && args.input_format.is_none()
    {
        inputs.remove(i);
        args.input_format = args.rest.pop();
    }
    if !args.rest.is_empty() {
        bail!("unexpected arguments: {}", args.rest.join(" "));
    }
    match <[PathBuf; 1]>::try_from(inputs) {
        Ok([p]) => Ok(p),
        Err(v) => bail!("give one input with -i (got {})", v.len()),
    }
}
