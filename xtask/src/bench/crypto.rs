//! `cargo xtask bench crypto`: Vellum's Fernet against Python
//! `cryptography`'s Fernet on the same payloads, and our sealed stream
//! against `cryptography`'s ChaCha20Poly1305 (OpenSSL) sealing the same
//! 64 KiB chunks, on one machine in one run. Throughputs in MB/s (10^6
//! bytes of plaintext per second), best of several timed rounds; ratio > 1
//! means Vellum is faster.
//!
//! Single-core measures are timed by the CPU time of the working thread
//! (Linux `/proc/thread-self/schedstat`; Python `time.thread_time`), on
//! both sides, so that other processes sharing the machine do not skew
//! them; the all-cores measures are wall time.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use std::io::{Read, Write};

use vellum_crypto::{Fernet, SealedReader, SealedWriter, Secret, VellumKey, seal, unseal};

use super::{Measure, python_venv};

/// The Python peer, pinned.
const PEER_PACKAGES: [&str; 1] = ["cryptography==48.0.0"];
const PEER: &str = "cryptography 48.0.0";

/// Fernet payload sizes: a datumaro header, a blob, a large blob, an image.
const FERNET_SIZES: [(&str, usize); 4] = [
    ("1KiB", 1 << 10),
    ("64KiB", 64 << 10),
    ("1MiB", 1 << 20),
    ("16MiB", 16 << 20),
];
const STREAM_BYTES: usize = 64 << 20;

/// The peer script: prints one JSON object of best seconds per operation.
const PEER_SCRIPT: &str = r#"
import json, os, sys, time
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

BLOCK = bytes(((i * 2654435761) >> 11) & 0xFF for i in range(1 << 16))
def data(n):
    return (BLOCK * (n // len(BLOCK) + 1))[:n]

def best(fn, budget=0.6, rounds_min=3):
    best = float("inf"); spent = 0.0; rounds = 0
    while rounds < rounds_min or spent < budget:
        t = time.thread_time(); fn(); dt = time.thread_time() - t
        best = min(best, dt); spent += dt; rounds += 1
    return best

out = {}
f = Fernet(Fernet.generate_key())
for name, n in json.loads(sys.argv[1]):
    p = data(n)
    tok = f.encrypt(p)
    assert f.decrypt(tok) == p
    out["fernet_encrypt_" + name] = best(lambda: f.encrypt(p))
    out["fernet_decrypt_" + name] = best(lambda: f.decrypt(tok))

n = int(sys.argv[2]); chunk = 1 << 16
p = data(n)
aead = ChaCha20Poly1305(ChaCha20Poly1305.generate_key())
prefix = os.urandom(7)
def seal_all():
    return [aead.encrypt(prefix + i.to_bytes(4, "big") + b"\x00", p[o:o + chunk], b"header")
            for i, o in enumerate(range(0, n, chunk))]
sealed = seal_all()
def open_all():
    for i, c in enumerate(sealed):
        aead.decrypt(prefix + i.to_bytes(4, "big") + b"\x00", c, b"header")
out["stream_seal"] = best(seal_all)
out["stream_open"] = best(open_all)
print(json.dumps(out))
"#;

fn data(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i.wrapping_mul(2_654_435_761)) >> 11) as u8)
        .collect()
}

/// CPU time of the calling thread, when the OS tells it.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Best time per call of `f`: 3 rounds, each repeating `f` for about
/// 100 ms (the thread CPU clock of `/proc` advances by scheduler ticks, so
/// a round must be long); thread CPU time when `cpu` (and available), else
/// wall time.
fn best(cpu: bool, mut f: impl FnMut()) -> f64 {
    let now = || {
        if cpu && let Some(t) = thread_cpu() {
            return t;
        }
        Instant::now().duration_since(*EPOCH.get_or_init(Instant::now))
    };
    let t = Instant::now();
    f();
    let once = t.elapsed().max(Duration::from_nanos(100));
    let reps = (Duration::from_millis(100).as_nanos() / once.as_nanos()).clamp(1, 1_000_000) as u32;
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = now();
        for _ in 0..reps {
            f();
        }
        let dt = now().saturating_sub(t).as_secs_f64() / f64::from(reps);
        best = best.min(dt.max(1e-9));
    }
    best
}

static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

fn mbps(bytes: usize, seconds: f64) -> f64 {
    bytes as f64 / seconds / 1e6
}

/// Runs the crypto comparison in `work`.
pub fn run(work: &Path) -> Result<()> {
    let python = python_venv(work, &PEER_PACKAGES)?;
    let script = work.join("crypto_peer.py");
    std::fs::write(&script, PEER_SCRIPT)?;
    let sizes: Vec<(&str, usize)> = FERNET_SIZES.to_vec();
    let output = Command::new(&python)
        .arg(&script)
        .arg(serde_json::to_string(&sizes)?)
        .arg(STREAM_BYTES.to_string())
        .output()
        .context("running the Python crypto peer")?;
    if !output.status.success() {
        bail!(
            "the Python crypto peer failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let peer: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("reading the peer's JSON")?;
    let peer_s = |key: &str| -> Result<f64> {
        peer[key]
            .as_f64()
            .with_context(|| format!("peer measure {key} missing"))
    };

    let mut measures = Vec::new();
    let fernet = Fernet::generate();
    for (name, len) in FERNET_SIZES {
        let plain = data(len);
        let token = fernet.encrypt(&plain);
        assert_eq!(fernet.decrypt(&token)?, plain);
        let enc = best(true, || {
            std::hint::black_box(fernet.encrypt(&plain));
        });
        let dec = best(true, || {
            std::hint::black_box(fernet.decrypt(&token).ok());
        });
        for (op, ours, key) in [
            ("encrypt", enc, format!("fernet_encrypt_{name}")),
            ("decrypt", dec, format!("fernet_decrypt_{name}")),
        ] {
            measures.push(Measure {
                name: format!("fernet {op} {name}"),
                ours: mbps(len, ours),
                peer: PEER.into(),
                theirs: mbps(len, peer_s(&key)?),
                unit: "MB/s".into(),
                higher_is_better: true,
            });
        }
    }

    let secret = Secret::Key(VellumKey::generate());
    let plain = data(STREAM_BYTES);
    let sealed = seal(&secret, &plain)?;
    assert_eq!(unseal(&secret, &sealed)?, plain);
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let cores = rayon::current_num_threads();
    // `install` runs the closure on the pool's one worker, whose CPU time
    // is then the whole cost. The single-core measures go through the
    // streaming adapters the CLI uses (buffers reused, output to a sink).
    let seal_1 = one.install(|| {
        best(true, || {
            let mut w = SealedWriter::new(std::io::sink(), &secret).expect("header");
            w.write_all(&plain).expect("sink");
            w.finish().expect("sink");
        })
    });
    let open_1 = one.install(|| {
        let mut buf = vec![0u8; 1 << 20];
        best(true, || {
            let mut r = SealedReader::new(&sealed[..], &secret).expect("header");
            while r.read(&mut buf).expect("authentic") > 0 {}
        })
    });
    let seal_n = best(false, || drop(seal(&secret, &plain)));
    let open_n = best(false, || drop(unseal(&secret, &sealed)));
    let copy = best(true, || {
        std::hint::black_box(plain.clone());
    });
    let peer_chacha = format!("{PEER} ChaCha20Poly1305 (1 core)");
    for (name, ours, key) in [
        (
            "sealed stream seal 64MiB, 1 core (CPU)",
            seal_1,
            "stream_seal",
        ),
        (
            "sealed stream open 64MiB, 1 core (CPU)",
            open_1,
            "stream_open",
        ),
        (
            &*format!("sealed stream seal 64MiB, {cores} cores (wall)"),
            seal_n,
            "stream_seal",
        ),
        (
            &*format!("sealed stream open 64MiB, {cores} cores (wall)"),
            open_n,
            "stream_open",
        ),
    ] {
        measures.push(Measure {
            name: name.to_owned(),
            ours: mbps(STREAM_BYTES, ours),
            peer: peer_chacha.clone(),
            theirs: mbps(STREAM_BYTES, peer_s(key)?),
            unit: "MB/s".into(),
            higher_is_better: true,
        });
    }
    for m in &measures {
        println!("{m}");
    }
    println!(
        "(reference: a plain copy of the same 64MiB in Vellum, allocation included: {:.0} MB/s)",
        mbps(STREAM_BYTES, copy)
    );
    Ok(())
}
