//! `vellum dataformat check|show|pack|unpack`: BEAT data formats from a
//! platform prefix folder.
//!
//! Exit codes: 0 success; 1 when the format is invalid (`check`, `show`),
//! the value is rejected (`pack`) or the bytes are rejected (`unpack`), with
//! the reasons printed; 2 on errors (unreadable input, a bad name).

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use serde_json::json;
use vellum_dataformat::{Casting, Conversion, Error, Format, Object, PrefixDir, Resolver};

use crate::output::{Global, Outcome, note, out, out_bytes, out_json};

/// Arguments of `vellum dataformat`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// The prefix folder and the format name every subcommand takes.
#[derive(Debug, clap::Args)]
struct Target {
    /// The platform prefix folder (holding `dataformats/`).
    #[arg(long, short = 'p', value_name = "DIR")]
    prefix: PathBuf,
    /// The format name, `user/name/version`.
    name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CastingArg {
    /// numpy safe casting, as `DataFormat.validate` does.
    Safe,
    /// numpy's scalar constructors, as the generated class's constructor does.
    Unsafe,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Check a declaration (and everything it refers to): exit 0 when
    /// valid, 1 when invalid with every reason.
    Check {
        #[command(flatten)]
        target: Target,
    },
    /// Show the resolved, flattened format: fields with their types,
    /// references and `#extends` merged, and the binary pack order.
    Show {
        #[command(flatten)]
        target: Target,
    },
    /// Pack a JSON value read from standard input (plain JSON, or tagged as
    /// in the conformance corpus: `{"$np": "int32", "v": 5}`, ...).
    ///
    /// Modes: `--casting safe` validates as `DataFormat.validate` does;
    /// `--casting unsafe --defaults` converts as the class constructor
    /// does; `--defaults` with `{}` (or empty input) packs the defaults.
    Pack {
        #[command(flatten)]
        target: Target,
        /// How numbers are converted.
        #[arg(long, value_enum, default_value = "safe")]
        casting: CastingArg,
        /// Fill missing fields with their defaults (else they are an error).
        #[arg(long)]
        defaults: bool,
        /// Write lowercase hex and a newline instead of raw bytes.
        #[arg(long)]
        hex: bool,
        /// Read the value from this file instead of standard input.
        #[arg(long, short = 'i', value_name = "FILE")]
        input: Option<PathBuf>,
    },
    /// Unpack one object (bytes from standard input, or hex with `--hex`)
    /// and print it as JSON (the platform's `as_dict` shape, complex and
    /// non-finite numbers tagged).
    Unpack {
        #[command(flatten)]
        target: Target,
        /// The input is hex text.
        #[arg(long)]
        hex: bool,
        /// Read from this file instead of standard input.
        #[arg(long, short = 'i', value_name = "FILE")]
        input: Option<PathBuf>,
        /// Accept bytes after the object (the platform ignores them).
        #[arg(long)]
        allow_trailing: bool,
        /// Print the platform's own JSON text (simplejson, indent 4) instead.
        #[arg(long)]
        platform_json: bool,
    },
}

/// Runs `vellum dataformat ...`.
pub fn run(args: Args, g: &Global) -> Result<Outcome> {
    match args.command {
        Command::Check { target } => check(&target, g),
        Command::Show { target } => show(&target, g),
        Command::Pack {
            target,
            casting,
            defaults,
            hex,
            input,
        } => {
            let conversion = Conversion {
                casting: match casting {
                    CastingArg::Safe => Casting::Safe,
                    CastingArg::Unsafe => Casting::Unsafe,
                },
                defaults,
            };
            pack(&target, conversion, hex, input, g)
        }
        Command::Unpack {
            target,
            hex,
            input,
            allow_trailing,
            platform_json,
        } => unpack(&target, hex, input, allow_trailing, platform_json, g),
    }
}

/// Loads the format; `Ok(Err(problems))` when it is invalid.
fn load(target: &Target) -> Result<std::result::Result<Arc<Format>, Vec<Error>>> {
    if !target.prefix.is_dir() {
        bail!("{}: not a folder", target.prefix.display());
    }
    let resolver = Resolver::new(PrefixDir::new(&target.prefix));
    match resolver.load(&target.name) {
        Ok(f) => Ok(Ok(f)),
        Err(Error::InvalidFormat { errors, .. }) => Ok(Err(errors)),
        Err(e) => Err(e)
            .with_context(|| format!("{}: loading `{}'", target.prefix.display(), target.name)),
    }
}

fn report_invalid(target: &Target, errors: &[Error], g: &Global) -> Result<Outcome> {
    if g.json {
        let reasons: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        out_json(&json!({"name": target.name, "valid": false, "errors": reasons}))?;
    } else {
        out(format!("{}: invalid", target.name))?;
        for e in errors {
            out(format!("  {e}"))?;
        }
    }
    Ok(Outcome::CheckFailed)
}

fn check(target: &Target, g: &Global) -> Result<Outcome> {
    match load(target)? {
        Err(errors) => report_invalid(target, &errors, g),
        Ok(f) => {
            if g.json {
                out_json(&json!({"name": target.name, "valid": true, "hash": f.hash()}))?;
            } else {
                out(format!("{}: valid", target.name))?;
            }
            Ok(Outcome::Ok)
        }
    }
}

fn show(target: &Target, g: &Global) -> Result<Outcome> {
    let f = match load(target)? {
        Err(errors) => return report_invalid(target, &errors, g),
        Ok(f) => f,
    };
    let order: Vec<&str> = f
        .pack_order()
        .iter()
        .filter_map(|&i| f.fields().get(i))
        .map(|x| x.name.as_str())
        .collect();
    if g.json {
        out_json(&json!({
            "name": f.name(),
            "hash": f.hash(),
            "description": f.description(),
            "extends": f.extends(),
            "class_name": f.class_name(),
            "fields": f.resolved_json(),
            "pack_order": order,
            "fixed_size": f.fixed_size(),
            "min_packed_size": f.min_packed_size(),
        }))?;
        return Ok(Outcome::Ok);
    }
    out(f.name())?;
    if let Some(d) = f.description() {
        out(format!("  description: {d}"))?;
    }
    if let Some(e) = f.extends() {
        out(format!("  extends: {e}"))?;
    }
    if let Some(h) = f.hash() {
        out(format!("  hash: {h}"))?;
    }
    match f.fixed_size() {
        Some(n) => out(format!("  packed size: {n} bytes (fixed)"))?,
        None => out(format!(
            "  packed size: at least {} bytes",
            f.min_packed_size()
        ))?,
    }
    out("  fields (resolved order):")?;
    show_fields(&f, 1, &mut Vec::new())?;
    out(format!("  pack order: {}", order.join(", ")))?;
    Ok(Outcome::Ok)
}

fn show_fields(f: &Format, depth: usize, seen: &mut Vec<String>) -> Result<()> {
    use vellum_dataformat::{Element, FieldType};
    let pad = "  ".repeat(depth);
    for field in f.fields() {
        out(format!("{pad}  {}: {}", field.name, field.ty.describe()))?;
        let nested = match &field.ty {
            FieldType::Object(o) => Some(o),
            FieldType::Array(a) => match &a.element {
                Element::Object(o) => Some(o),
                Element::Primitive(_) => None,
            },
            FieldType::Primitive(_) => None,
        };
        if let Some(o) = nested
            && !seen.contains(&o.name().to_owned())
        {
            seen.push(o.name().to_owned());
            show_fields(o, depth + 2, seen)?;
            seen.pop();
        }
    }
    Ok(())
}

fn read_input(input: Option<PathBuf>, g: &Global) -> Result<vellum_format_core::Bytes> {
    match input {
        Some(path) => vellum_format_core::open_bytes(
            &path,
            g.backend(),
            &vellum_format_core::Limits::default(),
        )
        .with_context(|| format!("reading {}", path.display())),
        None => {
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut buf)
                .context("reading standard input")?;
            Ok(buf.into())
        }
    }
}

fn reject(g: &Global, what: &str, e: &Error) -> Result<Outcome> {
    if g.json {
        out_json(&json!({"ok": false, "error": e.to_string()}))?;
    } else {
        note(g, format!("vellum: {what}: {e}"));
    }
    Ok(Outcome::CheckFailed)
}

fn pack(
    target: &Target,
    conversion: Conversion,
    hex: bool,
    input: Option<PathBuf>,
    g: &Global,
) -> Result<Outcome> {
    let f = match load(target)? {
        Err(errors) => return report_invalid(target, &errors, g),
        Ok(f) => f,
    };
    let raw = read_input(input, g)?;
    let text = std::str::from_utf8(&raw).context("the value is not UTF-8 text")?;
    let value = if text.trim().is_empty() {
        vellum_dataformat::Json::Null
    } else {
        match vellum_dataformat::parse_json(text) {
            Ok(v) => v,
            Err(e) => return reject(g, "the value is not JSON", &e),
        }
    };
    let object = match f.from_json(&value, conversion) {
        Ok(o) => o,
        Err(e) => return reject(g, "value rejected", &e),
    };
    let bytes = f.pack(&object)?;
    if hex {
        out(to_hex(&bytes))?;
    } else {
        out_bytes(&bytes)?;
    }
    Ok(Outcome::Ok)
}

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|p| {
            std::str::from_utf8(p)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
        })
        .collect()
}

fn unpack(
    target: &Target,
    hex: bool,
    input: Option<PathBuf>,
    allow_trailing: bool,
    platform_json: bool,
    g: &Global,
) -> Result<Outcome> {
    let f = match load(target)? {
        Err(errors) => return report_invalid(target, &errors, g),
        Ok(f) => f,
    };
    let mut bytes = read_input(input, g)?;
    if hex {
        let text = std::str::from_utf8(&bytes).context("--hex input is not text")?;
        bytes = from_hex(text)
            .context("--hex input is not an even number of hex digits")?
            .into();
    }
    let result: std::result::Result<Object, Error> = if allow_trailing {
        f.unpack_prefix(&bytes).map(|(o, _)| o)
    } else {
        f.unpack(&bytes)
    };
    let object = match result {
        Ok(o) => o,
        Err(e) => return reject(g, "bytes rejected", &e),
    };
    if platform_json {
        out(object.to_platform_json())?;
    } else {
        out_json(&object.to_json())?;
    }
    Ok(Outcome::Ok)
}
