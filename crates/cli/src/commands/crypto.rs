//! `vellum keygen`, `vellum encrypt`, `vellum decrypt`: keys, and sealing
//! files or whole folders (docs/crypto.md).
//!
//! The key decides the scheme: a `vellum-…` key or a passphrase seals with
//! our XChaCha20-Poly1305 stream (any size, bounded memory, parallel); a
//! `datum-…` key makes or opens Fernet tokens, the way datumaro ≤ 1.11
//! encrypts media files.

use std::fs;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use rayon::prelude::*;
use vellum_crypto::{
    DatumaroKey, Fernet, SEALED_MAGIC, SealedReader, SealedWriter, Secret, VELLUM_KEY_ENV,
    VellumKey, Zeroizing,
};
use vellum_format_core::AtomicFile;

use crate::output::{Global, Outcome, note, out, out_json};

/// The environment variable a passphrase may come from.
const PASSPHRASE_ENV: &str = "VELLUM_PASSPHRASE";
/// The largest file the Fernet scheme handles (tokens are one piece in
/// memory, base64 grows them by a third).
const MAX_FERNET_FILE: u64 = 1 << 31;

/// Arguments of `keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Make a datumaro-compatible Fernet key (`datum-` + 44 characters)
    /// instead of a Vellum key (`vellum-` + 43 characters).
    #[arg(long)]
    fernet: bool,
    /// Write the key to this file (owner-only permissions) instead of
    /// printing it. A Fernet key is written as datumaro's `secret_key.txt`:
    /// no newline.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Overwrite an existing key file.
    #[arg(long)]
    force: bool,
}

/// Where the key comes from, shared by `encrypt` and `decrypt`.
#[derive(Debug, clap::Args)]
struct KeyArgs {
    /// The key: `vellum-…` (sealed stream) or `datum-…` (Fernet). Also read
    /// from the VELLUM_KEY environment variable.
    #[arg(long, env = VELLUM_KEY_ENV, hide_env_values = true, value_name = "KEY",
          conflicts_with_all = ["key_file", "passphrase_file"])]
    key: Option<String>,
    /// Read the key from a file (`vellum keygen -o`, or datumaro's
    /// `secret_key.txt`).
    #[arg(long, value_name = "FILE", conflicts_with = "passphrase_file")]
    key_file: Option<PathBuf>,
    /// Derive the key from a passphrase (argon2id), read from the first line
    /// of this file, or from VELLUM_PASSPHRASE when no key is given.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

/// Arguments shared by `encrypt` and `decrypt`.
#[derive(Debug, clap::Args)]
struct IoArgs {
    /// A file, or a folder (every file below it, keeping the tree).
    path: PathBuf,
    /// The output file, or the output folder when PATH is a folder.
    #[arg(long, short, value_name = "OUT")]
    output: PathBuf,
    /// Overwrite existing output files.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    key: KeyArgs,
}

/// Arguments of `encrypt`.
#[derive(Debug, clap::Args)]
pub struct EncryptArgs {
    #[command(flatten)]
    io: IoArgs,
}

/// Arguments of `decrypt`.
#[derive(Debug, clap::Args)]
pub struct DecryptArgs {
    #[command(flatten)]
    io: IoArgs,
    /// In a folder, copy files that are not encrypted instead of failing on
    /// them. Off by default: an unencrypted file among encrypted ones is
    /// unauthenticated and may have been planted.
    #[arg(long)]
    copy_plain: bool,
}

/// Runs `keygen`.
pub fn run_keygen(args: KeygenArgs, g: &Global) -> Result<Outcome> {
    let (kind, text) = if args.fernet {
        let key = DatumaroKey::generate();
        ("datumaro-fernet", Zeroizing::new(key.as_str().to_owned()))
    } else {
        ("vellum", VellumKey::generate().to_key_string())
    };
    match &args.output {
        Some(path) => {
            if path.exists() && !args.force {
                bail!(
                    "{}: exists; pass --force to replace a key file (the data it opens would be lost)",
                    path.display()
                );
            }
            if args.fernet {
                DatumaroKey::parse(&text)?.write_key_file(path)
            } else {
                VellumKey::parse(&text)?.write_key_file(path)
            }
            .with_context(|| format!("writing {}", path.display()))?;
            if g.json {
                out_json(&serde_json::json!({"kind": kind, "file": path}))?;
            } else {
                note(g, format!("wrote a new {kind} key to {}", path.display()));
            }
        }
        None if g.json => out_json(&serde_json::json!({"kind": kind, "key": &*text}))?,
        None => out(&*text)?,
    }
    Ok(Outcome::Ok)
}

/// Runs `encrypt`.
pub fn run_encrypt(args: EncryptArgs, g: &Global) -> Result<Outcome> {
    let scheme = Scheme::resolve(&args.io.key)?;
    run_files(&args.io, g, Direction::Encrypt, &scheme, false)
}

/// Runs `decrypt`.
pub fn run_decrypt(args: DecryptArgs, g: &Global) -> Result<Outcome> {
    let scheme = Scheme::resolve(&args.io.key)?;
    run_files(&args.io, g, Direction::Decrypt, &scheme, args.copy_plain)
}

/// Which way the files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Encrypt,
    Decrypt,
}

/// The scheme the key selects.
#[derive(Debug)]
enum Scheme {
    Sealed(Secret),
    Fernet(DatumaroKey),
}

impl Scheme {
    fn resolve(args: &KeyArgs) -> Result<Scheme> {
        if let Some(text) = &args.key {
            return Scheme::from_text(text).context("the key given with --key or VELLUM_KEY");
        }
        if let Some(path) = &args.key_file {
            let text = fs::read_to_string(path)
                .map(Zeroizing::new)
                .with_context(|| format!("reading key file {}", path.display()))?;
            return Ok(if text.starts_with("datum-") {
                Scheme::Fernet(DatumaroKey::read_key_file(path)?)
            } else {
                Scheme::Sealed(Secret::Key(VellumKey::read_key_file(path)?))
            });
        }
        let passphrase = match &args.passphrase_file {
            Some(path) => {
                let text = fs::read_to_string(path)
                    .map(Zeroizing::new)
                    .with_context(|| format!("reading passphrase file {}", path.display()))?;
                Some(Zeroizing::new(text.lines().next().unwrap_or("").to_owned()))
            }
            None => std::env::var(PASSPHRASE_ENV).ok().map(Zeroizing::new),
        };
        match passphrase {
            Some(p) if p.is_empty() => bail!("the passphrase is empty"),
            Some(p) => Ok(Scheme::Sealed(Secret::Passphrase(p))),
            None => bail!(
                "no key: pass --key, --key-file or --passphrase-file, or set {VELLUM_KEY_ENV} (make a key with `vellum keygen`)"
            ),
        }
    }

    fn from_text(text: &str) -> Result<Scheme> {
        Ok(if text.starts_with("datum-") {
            Scheme::Fernet(DatumaroKey::parse(text)?)
        } else {
            Scheme::Sealed(Secret::Key(VellumKey::parse(text)?))
        })
    }

    fn fernet(&self) -> Option<&Fernet> {
        match self {
            Scheme::Fernet(k) => Some(k.fernet()),
            Scheme::Sealed(_) => None,
        }
    }

    /// Whether `head` (the first bytes of a file) is encrypted in this scheme.
    fn looks_encrypted(&self, head: &[u8]) -> bool {
        match self {
            Scheme::Sealed(_) => head.starts_with(&SEALED_MAGIC),
            // Version byte 0x80 then a timestamp below 2^32 s: "gAAAAA".
            Scheme::Fernet(_) => head.starts_with(b"gAAAAA"),
        }
    }
}

/// One file to process.
#[derive(Debug)]
struct Job {
    from: PathBuf,
    to: PathBuf,
    len: u64,
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    Processed,
    Copied,
}

fn run_files(
    io: &IoArgs,
    g: &Global,
    dir: Direction,
    scheme: &Scheme,
    copy_plain: bool,
) -> Result<Outcome> {
    let jobs = plan(&io.path, &io.output, io.force)?;
    let total: u64 = jobs.iter().map(|j| j.len).sum();
    let verb = match dir {
        Direction::Encrypt => "encrypting",
        Direction::Decrypt => "decrypting",
    };
    let bar = crate::progress::bytes_bar(g, total, verb);
    let results: Vec<Result<Done>> = jobs
        .par_iter()
        .map(|job| {
            // On failure the AtomicFile is dropped uncommitted: nothing
            // half-written is left behind.
            process(job, dir, scheme, copy_plain, &|n| bar.inc(n))
                .with_context(|| format!("{verb} {}", job.from.display()))
        })
        .collect();
    bar.finish_and_clear();
    let mut processed = 0usize;
    let mut copied = Vec::new();
    for (job, r) in jobs.iter().zip(results) {
        match r? {
            Done::Processed => processed += 1,
            Done::Copied => copied.push(job.from.display().to_string()),
        }
    }
    let scheme_name = match scheme {
        Scheme::Sealed(Secret::Passphrase(_)) => "sealed stream (passphrase)",
        Scheme::Sealed(_) => "sealed stream",
        Scheme::Fernet(_) => "fernet",
    };
    if g.json {
        out_json(&serde_json::json!({
            "direction": if dir == Direction::Encrypt { "encrypt" } else { "decrypt" },
            "scheme": scheme_name,
            "files": processed,
            "copied_unencrypted": copied,
            "bytes_in": total,
            "output": io.output,
        }))?;
    } else {
        let done = if dir == Direction::Encrypt {
            "encrypted"
        } else {
            "decrypted"
        };
        note(
            g,
            format!(
                "{done} {processed} file(s), {total} bytes, into {} ({scheme_name})",
                io.output.display()
            ),
        );
        for c in &copied {
            note(g, format!("copied unencrypted: {c}"));
        }
    }
    Ok(Outcome::Ok)
}

/// The files to process: PATH itself, or every file below the folder PATH
/// mapped to the same relative path below OUT.
fn plan(input: &Path, output: &Path, force: bool) -> Result<Vec<Job>> {
    let meta = fs::metadata(input).with_context(|| format!("{}", input.display()))?;
    let mut jobs = Vec::new();
    if meta.is_file() {
        jobs.push(Job {
            from: input.to_owned(),
            to: output.to_owned(),
            len: meta.len(),
        });
    } else {
        let input_abs = fs::canonicalize(input)?;
        if let Ok(out_abs) = absolute_lexical(output)
            && out_abs.starts_with(&input_abs)
        {
            bail!(
                "{}: the output folder is inside the input folder {}",
                output.display(),
                input.display()
            );
        }
        walk(input, input, output, &mut jobs)?;
        jobs.sort_by(|a, b| a.from.cmp(&b.from));
    }
    for job in &jobs {
        if same_file(&job.from, &job.to) {
            bail!("{}: input and output are the same file", job.from.display());
        }
        if !force && job.to.exists() {
            bail!("{}: exists; pass --force to overwrite", job.to.display());
        }
    }
    Ok(jobs)
}

fn walk(root: &Path, dir: &Path, out_root: &Path, jobs: &mut Vec<Job>) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("{}", dir.display()))? {
        let entry = entry.with_context(|| format!("{}", dir.display()))?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(root, &path, out_root, jobs)?;
        } else if kind.is_file() {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            jobs.push(Job {
                len: entry.metadata()?.len(),
                to: out_root.join(rel),
                from: path,
            });
        }
        // Symbolic links are not followed: they could point outside.
    }
    Ok(())
}

fn absolute_lexical(p: &Path) -> std::io::Result<PathBuf> {
    let abs = std::path::absolute(p)?;
    // Resolve the existing part so symlinked prefixes compare equal.
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return Ok(abs),
        }
    }
    let mut out = fs::canonicalize(existing)?;
    for name in rest.iter().rev() {
        out.push(name);
    }
    Ok(out)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A reader that reports how many bytes went through it.
struct Counted<'a, R> {
    inner: R,
    tick: &'a (dyn Fn(u64) + Sync),
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.tick)(n as u64);
        Ok(n)
    }
}

fn process(
    job: &Job,
    dir: Direction,
    scheme: &Scheme,
    copy_plain: bool,
    tick: &(dyn Fn(u64) + Sync),
) -> Result<Done> {
    if let Some(parent) = job.to.parent()
        && !parent.as_os_str().is_empty()
    {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let file = fs::File::open(&job.from)?;
    let mut input = BufReader::with_capacity(1 << 20, Counted { inner: file, tick });
    if dir == Direction::Decrypt {
        let head = {
            use std::io::BufRead;
            input
                .fill_buf()?
                .get(..8)
                .map(<[u8]>::to_vec)
                .unwrap_or_default()
        };
        if !scheme.looks_encrypted(&head) {
            if !copy_plain {
                let what = match scheme {
                    Scheme::Sealed(_) => "a Vellum sealed stream",
                    Scheme::Fernet(_) => "a Fernet token",
                };
                if job.from.extension().is_some_and(|e| e == "datum") {
                    bail!(
                        "not {what}: a datumaro .datum file encrypts its headers and blobs inside; convert it with the datumaro commands and the key instead"
                    );
                }
                bail!("not {what} (pass --copy-plain to copy unencrypted files as they are)");
            }
            let mut out = AtomicFile::create(&job.to)?;
            std::io::copy(&mut input, &mut out)?;
            out.commit()?;
            return Ok(Done::Copied);
        }
    }
    let mut out = AtomicFile::create(&job.to)?;
    match (scheme, dir) {
        (Scheme::Sealed(secret), Direction::Encrypt) => {
            let mut w = SealedWriter::new(&mut out, secret)?;
            std::io::copy(&mut input, &mut w)?;
            w.finish()?;
        }
        (Scheme::Sealed(secret), Direction::Decrypt) => {
            let mut r = SealedReader::new(input, secret)?;
            std::io::copy(&mut r, &mut out).map_err(unwrap_crypto)?;
        }
        (Scheme::Fernet(_), _) => {
            if job.len > MAX_FERNET_FILE {
                bail!(
                    "{} bytes is too large for a Fernet token (one piece in memory); use a Vellum key",
                    job.len
                );
            }
            let fernet = scheme.fernet().ok_or_else(|| anyhow!("no Fernet key"))?;
            let mut data = Zeroizing::new(Vec::with_capacity(job.len as usize));
            input.read_to_end(&mut data)?;
            let result = match dir {
                Direction::Encrypt => fernet.encrypt(&data),
                Direction::Decrypt => {
                    // datumaro's media tokens carry no newline; tolerate
                    // one added by a text tool.
                    let token = data.strip_suffix(b"\n").unwrap_or(&data);
                    fernet.decrypt(token)?
                }
            };
            out.write_all(&result)?;
        }
    }
    out.commit()?;
    Ok(Done::Processed)
}

/// Brings a crypto error wrapped in an `io::Error` back to the surface.
fn unwrap_crypto(e: std::io::Error) -> anyhow::Error {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<vellum_crypto::Error>())
    {
        Some(_) => {
            let inner = e.into_inner().map(|b| anyhow!(b));
            inner.unwrap_or_else(|| anyhow!("decryption failed"))
        }
        None => anyhow!(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet() -> Global {
        Global {
            json: false,
            quiet: true,
            verbose: 0,
            num_workers: None,
            mmap: false,
        }
    }

    fn key_args(key: &str) -> KeyArgs {
        KeyArgs {
            key: Some(key.to_owned()),
            key_file: None,
            passphrase_file: None,
        }
    }

    fn io(path: &Path, output: &Path, key: &str) -> IoArgs {
        IoArgs {
            path: path.to_owned(),
            output: output.to_owned(),
            force: false,
            key: key_args(key),
        }
    }

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
    }

    #[test]
    fn folder_round_trip_with_a_vellum_key() {
        let tmp = tempfile::tempdir().unwrap();
        let src = fixtures().join("datumaro/legacy_1_11_plain");
        let key = VellumKey::generate().to_key_string();
        let enc = tmp.path().join("enc");
        let dec = tmp.path().join("dec");
        run_encrypt(
            EncryptArgs {
                io: io(&src, &enc, &key),
            },
            &quiet(),
        )
        .unwrap();
        // Every file is sealed...
        let jobs = plan(&src, &enc, true).unwrap();
        assert!(jobs.len() > 3);
        for job in &jobs {
            let sealed = fs::read(&job.to).unwrap();
            assert!(sealed.starts_with(&SEALED_MAGIC), "{}", job.to.display());
        }
        // ... and comes back byte for byte.
        let args = DecryptArgs {
            io: io(&enc, &dec, &key),
            copy_plain: false,
        };
        run_decrypt(args, &quiet()).unwrap();
        for job in plan(&src, &dec, true).unwrap() {
            assert_eq!(fs::read(&job.from).unwrap(), fs::read(&job.to).unwrap());
        }
        // A wrong key fails and leaves no output file.
        let other = VellumKey::generate().to_key_string();
        let dec2 = tmp.path().join("dec2");
        let args = DecryptArgs {
            io: io(&enc, &dec2, &other),
            copy_plain: false,
        };
        let err = format!("{:#}", run_decrypt(args, &quiet()).unwrap_err());
        assert!(err.contains("wrong key"), "{err}");
        let left: Vec<_> = plan(&src, &dec2, true)
            .unwrap()
            .into_iter()
            .filter(|j| j.to.exists())
            .collect();
        assert!(left.is_empty(), "{left:?}");
        // Refuses to overwrite without --force.
        let args = EncryptArgs {
            io: io(&src, &enc, &key),
        };
        assert!(run_encrypt(args, &quiet()).is_err());
    }

    #[test]
    fn datumaro_media_tokens_decrypt_with_the_datum_key() {
        let tmp = tempfile::tempdir().unwrap();
        let root = fixtures().join("datumaro/legacy_1_11_encrypted/datumaro_binary");
        let key_file = root.join("secret_key.txt");
        let out_dir = tmp.path().join("images");
        let args = DecryptArgs {
            io: IoArgs {
                path: root.join("images"),
                output: out_dir.clone(),
                force: false,
                key: KeyArgs {
                    key: None,
                    key_file: Some(key_file),
                    passphrase_file: None,
                },
            },
            copy_plain: false,
        };
        run_decrypt(args, &quiet()).unwrap();
        let png = fs::read(out_dir.join("train/enc_train_0.png")).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        // The .datum files are not Fernet tokens: refused unless --copy-plain.
        let args = DecryptArgs {
            io: io(
                &root,
                &tmp.path().join("all"),
                "datum-ZGF0dW1hcm8tZml4dHVyZS1rZXktMDAwMDAwMDAwMDA=",
            ),
            copy_plain: false,
        };
        let err = format!("{:#}", run_decrypt(args, &quiet()).unwrap_err());
        assert!(err.contains("not a Fernet token"), "{err}");
    }

    #[test]
    fn a_passphrase_and_a_tampered_file() {
        let tmp = tempfile::tempdir().unwrap();
        let plain = tmp.path().join("data.bin");
        fs::write(&plain, vec![9u8; 200_000]).unwrap();
        let pass = tmp.path().join("pass.txt");
        fs::write(&pass, "open sesame\n").unwrap();
        let key = KeyArgs {
            key: None,
            key_file: None,
            passphrase_file: Some(pass.clone()),
        };
        let sealed = tmp.path().join("data.sealed");
        let args = EncryptArgs {
            io: IoArgs {
                path: plain.clone(),
                output: sealed.clone(),
                force: false,
                key,
            },
        };
        run_encrypt(args, &quiet()).unwrap();
        let mut bytes = fs::read(&sealed).unwrap();
        bytes[100_000] ^= 1;
        let bad = tmp.path().join("bad.sealed");
        fs::write(&bad, &bytes).unwrap();
        let back = tmp.path().join("back.bin");
        let run = |from: &Path| {
            let args = DecryptArgs {
                io: IoArgs {
                    path: from.to_owned(),
                    output: back.clone(),
                    force: true,
                    key: KeyArgs {
                        key: None,
                        key_file: None,
                        passphrase_file: Some(pass.clone()),
                    },
                },
                copy_plain: false,
            };
            run_decrypt(args, &quiet())
        };
        let err = format!("{:#}", run(&bad).unwrap_err());
        assert!(err.contains("chunk 1"), "{err}");
        assert!(!back.exists(), "no partial plaintext is left behind");
        run(&sealed).unwrap();
        assert_eq!(fs::read(&back).unwrap(), fs::read(&plain).unwrap());
    }

    #[test]
    fn missing_key_is_explained() {
        let args = KeyArgs {
            key: None,
            key_file: None,
            passphrase_file: None,
        };
        // SAFETY of the test: VELLUM_PASSPHRASE is not set in CI.
        if std::env::var_os(PASSPHRASE_ENV).is_none() {
            let err = Scheme::resolve(&args).unwrap_err().to_string();
            assert!(err.contains("vellum keygen"), "{err}");
        }
    }
}
