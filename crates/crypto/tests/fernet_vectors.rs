//! The Fernet specification's own test vectors (tests/vectors/ORIGIN.md).

use serde::Deserialize;
use vellum_crypto::{Error, Fernet};

#[derive(Deserialize)]
struct Generate {
    token: String,
    now: String,
    iv: Vec<u8>,
    src: String,
    secret: String,
}

#[derive(Deserialize)]
struct Verify {
    token: String,
    now: String,
    ttl_sec: u64,
    src: String,
    secret: String,
}

#[derive(Deserialize)]
struct Invalid {
    desc: String,
    token: String,
    now: String,
    ttl_sec: u64,
    secret: String,
}

fn vectors<T: for<'de> Deserialize<'de>>(name: &str) -> Vec<T> {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Unix seconds of an RFC 3339 time such as `1985-10-26T01:20:00-07:00`.
fn unix(rfc3339: &str) -> u64 {
    let num = |a: usize, b: usize| rfc3339[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (num(0, 4), num(5, 7), num(8, 10));
    let (hh, mm, ss) = (num(11, 13), num(14, 16), num(17, 19));
    let sign = if &rfc3339[19..20] == "-" { -1 } else { 1 };
    let offset = sign * (num(20, 22) * 3600 + num(23, 25) * 60);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    u64::try_from(days * 86400 + hh * 3600 + mm * 60 + ss - offset).unwrap()
}

#[test]
fn rfc3339_conversion_matches_the_token_timestamp() {
    // The generate vector's token carries 0x1dc09eb0 as its timestamp.
    assert_eq!(unix("1985-10-26T01:20:00-07:00"), 0x1dc0_9eb0);
}

#[test]
fn generate_vectors_are_reproduced_byte_for_byte() {
    let cases: Vec<Generate> = vectors("generate.json");
    assert!(!cases.is_empty());
    for case in cases {
        let f = Fernet::from_base64(&case.secret).unwrap();
        let iv: [u8; 16] = case.iv.as_slice().try_into().unwrap();
        let token = f.encrypt_at(case.src.as_bytes(), unix(&case.now), iv);
        assert_eq!(String::from_utf8(token).unwrap(), case.token);
        assert_eq!(f.to_base64(), case.secret);
    }
}

#[test]
fn verify_vectors_decrypt_with_and_without_ttl() {
    let cases: Vec<Verify> = vectors("verify.json");
    assert!(!cases.is_empty());
    for case in cases {
        let f = Fernet::from_base64(&case.secret).unwrap();
        let plain = f.decrypt(case.token.as_bytes()).unwrap();
        assert_eq!(plain, case.src.as_bytes());
        let plain = f
            .decrypt_with_ttl(case.token.as_bytes(), case.ttl_sec, unix(&case.now))
            .unwrap();
        assert_eq!(plain, case.src.as_bytes());
    }
}

#[test]
fn invalid_vectors_are_all_refused_with_ttl() {
    let cases: Vec<Invalid> = vectors("invalid.json");
    assert_eq!(cases.len(), 8);
    for case in cases {
        let f = Fernet::from_base64(&case.secret).unwrap();
        let got = f.decrypt_with_ttl(case.token.as_bytes(), case.ttl_sec, unix(&case.now));
        let ok = match case.desc.as_str() {
            "incorrect mac" => matches!(got, Err(Error::WrongKeyOrTampered)),
            "too short" | "invalid base64" | "payload size not multiple of block size" => {
                matches!(
                    got,
                    Err(Error::MalformedToken { .. } | Error::WrongKeyOrTampered)
                )
            }
            "payload padding error" | "incorrect IV (causes padding error)" => {
                matches!(got, Err(Error::BadPadding))
            }
            "far-future TS (unacceptable clock skew)" => {
                matches!(got, Err(Error::TokenFromFuture { .. }))
            }
            "expired TTL" => matches!(got, Err(Error::TokenExpired { .. })),
            other => panic!("unknown invalid vector {other:?}"),
        };
        assert!(ok, "{}: got {got:?}", case.desc);
    }
}

#[test]
fn without_ttl_only_time_vectors_decrypt() {
    // Python's `Fernet.decrypt(token)` (no ttl) ignores the timestamp, as
    // datumaro relies on: exactly the two time-based invalid vectors open.
    let cases: Vec<Invalid> = vectors("invalid.json");
    let opened: Vec<String> = cases
        .iter()
        .filter(|c| {
            Fernet::from_base64(&c.secret)
                .unwrap()
                .decrypt(c.token.as_bytes())
                .is_ok()
        })
        .map(|c| c.desc.clone())
        .collect();
    assert_eq!(
        opened,
        ["far-future TS (unacceptable clock skew)", "expired TTL"]
    );
}

#[test]
fn round_trips_all_padding_lengths_and_random_tokens_differ() {
    let f = Fernet::generate();
    for len in 0usize..70 {
        let data: Vec<u8> = (0..len as u8).collect();
        let t1 = f.encrypt(&data);
        let t2 = f.encrypt(&data);
        assert_ne!(t1, t2, "random IVs");
        assert_eq!(f.decrypt(&t1).unwrap(), data);
        // Raw token = 25 header + padded + 32 MAC, then base64 with padding.
        let raw = 25 + (len / 16 + 1) * 16 + 32;
        assert_eq!(t1.len(), raw.div_ceil(3) * 4);
    }
    assert!(Fernet::from_base64(&f.to_base64()).is_ok());
}

#[test]
fn any_flipped_byte_is_refused() {
    let f = Fernet::from_base64("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=").unwrap();
    let token = f.encrypt_at(b"attack at dawn", 499_162_800, [7; 16]);
    for i in 0..token.len() {
        for replacement in [b'A', b'z', b'-', b'=', b'!'] {
            if token[i] == replacement {
                continue;
            }
            let mut bad = token.clone();
            bad[i] = replacement;
            assert!(f.decrypt(&bad).is_err(), "byte {i} -> {replacement}");
        }
    }
    let other = Fernet::generate();
    assert!(matches!(
        other.decrypt(&token),
        Err(Error::WrongKeyOrTampered)
    ));
}

#[test]
fn bad_keys_are_named() {
    let cases = [
        ("", "44 characters"),
        ("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4", "found 43"),
        ("cw/0x689RpI+jtRR7oE8h/eQsKImvJapLeSbXpwF4e4=", "base64"),
        ("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=\n", "found 45"),
    ];
    for (key, needle) in cases {
        let err = Fernet::from_base64(key).unwrap_err().to_string();
        assert!(err.contains(needle), "{key:?}: {err}");
    }
}

#[test]
fn debug_never_prints_the_key() {
    let f = Fernet::from_base64("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=").unwrap();
    let shown = format!("{f:?}");
    assert!(!shown.contains("cw_0"));
    assert!(shown.contains("redacted"));
}

#[derive(Deserialize)]
struct PythonVectors {
    cryptography: String,
    cases: Vec<PythonCase>,
}

#[derive(Deserialize)]
struct PythonCase {
    secret: String,
    timestamp: u64,
    iv: Vec<u8>,
    src_hex: String,
    token: String,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn python_cryptography_tokens_are_reproduced_and_decrypted() {
    let path = format!(
        "{}/tests/vectors/python_cryptography.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: PythonVectors = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(v.cryptography, "48.0.0");
    assert_eq!(v.cases.len(), 12);
    for case in v.cases {
        let f = Fernet::from_base64(&case.secret).unwrap();
        let plain = unhex(&case.src_hex);
        let iv: [u8; 16] = case.iv.as_slice().try_into().unwrap();
        let ours = f.encrypt_at(&plain, case.timestamp, iv);
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            case.token,
            "{} bytes",
            plain.len()
        );
        assert_eq!(f.decrypt(case.token.as_bytes()).unwrap(), plain);
        assert_eq!(
            f.extract_timestamp(case.token.as_bytes()).unwrap(),
            case.timestamp
        );
    }
}

/// `encrypt_many` interleaves the CBC chains of several tokens: every token
/// must still be byte for byte what `encrypt_at` makes alone, whatever the
/// lengths (empty, around a block, uneven across lanes, more than 8 tokens).
#[test]
fn encrypt_many_is_encrypt_at_per_token() {
    let f = Fernet::new(&[9; 32]);
    let lens = [
        0usize,
        1,
        15,
        16,
        17,
        31,
        32,
        33,
        100,
        4096,
        65_537,
        3,
        0,
        250_000,
        16,
        7,
        1 << 20,
        48,
    ];
    let plains: Vec<Vec<u8>> = lens
        .iter()
        .enumerate()
        .map(|(i, &n)| (0..n).map(|j| (j * 31 + i * 7) as u8).collect())
        .collect();
    let ivs: Vec<[u8; 16]> = (0..plains.len()).map(|i| [i as u8 ^ 0x5a; 16]).collect();
    for take in [0, 1, 2, 8, 9, plains.len()] {
        let slices: Vec<&[u8]> = plains.iter().take(take).map(Vec::as_slice).collect();
        let many = f.encrypt_many_at(&slices, 1_700_000_000, &ivs);
        assert_eq!(many.len(), take);
        for ((p, iv), token) in slices.iter().zip(&ivs).zip(&many) {
            assert_eq!(
                token,
                &f.encrypt_at(p, 1_700_000_000, *iv),
                "length {}",
                p.len()
            );
            assert_eq!(&f.decrypt(token).unwrap(), p);
        }
    }
    // The random form round-trips too.
    let slices: Vec<&[u8]> = plains.iter().map(Vec::as_slice).collect();
    for (p, t) in slices.iter().zip(f.encrypt_many(&slices)) {
        assert_eq!(&f.decrypt(&t).unwrap(), p);
    }
}

/// Reusing a `FernetBatch` across calls of different sizes gives the same
/// tokens as fresh calls, and `token_len` predicts every token's length.
#[test]
fn encrypt_batch_reuses_buffers_and_token_len_is_exact() {
    let f = Fernet::new(&[4; 32]);
    let mut batch = vellum_crypto::FernetBatch::default();
    for round in [
        vec![1000usize, 17, 0, 64],
        vec![5, 5],
        vec![70_000, 3, 16, 1, 2, 33],
    ] {
        let plains: Vec<Vec<u8>> = round.iter().map(|&n| vec![0xab; n]).collect();
        let slices: Vec<&[u8]> = plains.iter().map(Vec::as_slice).collect();
        let ivs: Vec<[u8; 16]> = (0..slices.len()).map(|i| [i as u8; 16]).collect();
        let tokens = f.encrypt_batch_at(&slices, 99, &ivs, &mut batch).to_vec();
        assert_eq!(tokens.len(), slices.len());
        for ((p, iv), t) in slices.iter().zip(&ivs).zip(&tokens) {
            assert_eq!(t, &f.encrypt_at(p, 99, *iv));
            assert_eq!(t.len(), Fernet::token_len(p.len()));
        }
    }
}

/// `encrypt_pieces_at` hands over, piece by piece and in order within each
/// token, exactly the bytes of `encrypt_at`, for token lengths that end on
/// every base64 phase and cross several pieces; a sink error stops it.
#[test]
fn encrypt_pieces_gives_the_tokens_of_encrypt_at() {
    let f = Fernet::new(&[9; 32]);
    let lens = [
        0usize, 1, 2, 3, 15, 16, 17, 47, 48, 49, 1023, 1024, 1025, 70_001, 200_000, 5,
    ];
    let plains: Vec<Vec<u8>> = lens
        .iter()
        .enumerate()
        .map(|(i, &n)| (0..n).map(|j| (j * 7 + i * 131) as u8).collect())
        .collect();
    let ivs: Vec<[u8; 16]> = (0..plains.len()).map(|i| [i as u8 ^ 0x33; 16]).collect();
    for take in [1, 2, 5, plains.len()] {
        let slices: Vec<&[u8]> = plains.iter().take(take).map(Vec::as_slice).collect();
        let mut tokens = vec![Vec::new(); take];
        let mut pieces = 0;
        f.encrypt_pieces_at(&slices, 1_600_000_000, &ivs, |i, offset, piece| {
            assert_eq!(offset, tokens[i].len(), "pieces of token {i} out of order");
            assert!(!piece.is_empty());
            tokens[i].extend_from_slice(piece);
            pieces += 1;
            Ok::<(), ()>(())
        })
        .unwrap();
        assert!(pieces >= take);
        for ((p, iv), t) in slices.iter().zip(&ivs).zip(&tokens) {
            assert_eq!(
                t,
                &f.encrypt_at(p, 1_600_000_000, *iv),
                "length {}",
                p.len()
            );
            assert_eq!(t.len(), Fernet::token_len(p.len()));
        }
    }
    // The first sink error comes back, and nothing is handed over after it.
    let slices: Vec<&[u8]> = plains.iter().map(Vec::as_slice).collect();
    let mut calls = 0;
    let r = f.encrypt_pieces(&slices, |_, _, _| {
        calls += 1;
        if calls == 3 { Err(calls) } else { Ok(()) }
    });
    assert_eq!(r, Err(3));
    assert_eq!(calls, 3);
}
