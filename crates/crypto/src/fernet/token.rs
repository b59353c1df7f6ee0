//! Fernet, as the public specification defines it
//! (<https://github.com/fernet/spec/blob/master/Spec.md>) and Python
//! `cryptography.fernet` implements it. Datumaro ≤ 1.11 encrypts with it
//! (spec: `datumaro-binary.md` §7).
//!
//! Token layout, before url-safe base64 (with `=` padding):
//!
//! | bytes | field |
//! | --- | --- |
//! | 1 | version, `0x80` |
//! | 8 | timestamp, Unix seconds, big endian |
//! | 16 | IV |
//! | 16·n | AES-128-CBC ciphertext of the PKCS#7-padded plaintext |
//! | 32 | HMAC-SHA256 (signing key) over all of the above |

use aes::Aes128;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{cbc_lanes, url_base64};
use crate::error::{Error, Result, os_random};

const VERSION: u8 = 0x80;
const HEADER_LEN: usize = 1 + 8 + 16;
const MAC_LEN: usize = 32;
const BLOCK: usize = 16;
/// Python `cryptography` tolerates this much clock skew for tokens "from the
/// future" when a TTL is checked.
const MAX_CLOCK_SKEW: u64 = 60;
/// Length of a Fernet key in its base64 form.
pub(crate) const KEY_B64_LEN: usize = 44;

type Aes128CbcEnc = cbc::Encryptor<Aes128>;
type Aes128CbcDec = cbc::Decryptor<Aes128>;
type HmacSha256 = Hmac<Sha256>;

/// A Fernet key: 16 bytes of HMAC-SHA256 signing key, then 16 bytes of
/// AES-128 key. Encrypts and decrypts tokens compatible with Python
/// `cryptography.fernet.Fernet`.
///
/// The key bytes are wiped from memory when the value is dropped, and `Debug`
/// never prints them.
///
/// ```
/// use vellum_crypto::Fernet;
/// let f = Fernet::from_base64("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")?;
/// let token = f.encrypt(b"hello");
/// assert!(token.starts_with(b"gAAAAA"));
/// assert_eq!(f.decrypt(&token)?, b"hello");
/// # Ok::<(), vellum_crypto::Error>(())
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Fernet {
    signing: [u8; 16],
    encryption: [u8; 16],
}

impl std::fmt::Debug for Fernet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fernet { key: <redacted> }")
    }
}

impl Fernet {
    /// A Fernet from its 32 raw key bytes (first 16 = signing key, last 16 =
    /// AES key).
    pub fn new(key: &[u8; 32]) -> Fernet {
        let mut signing = [0u8; 16];
        let mut encryption = [0u8; 16];
        signing.copy_from_slice(&key[..16]);
        encryption.copy_from_slice(&key[16..]);
        Fernet {
            signing,
            encryption,
        }
    }

    /// A Fernet from its standard string form: 44 characters, url-safe
    /// base64 (with `=` padding) of the 32 key bytes, as made by Python's
    /// `Fernet.generate_key()`.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] naming what is wrong (length, alphabet, padding).
    pub fn from_base64(key: &str) -> Result<Fernet> {
        if key.len() != KEY_B64_LEN {
            return Err(Error::InvalidKey {
                reason: format!(
                    "a Fernet key is {KEY_B64_LEN} characters of url-safe base64, found {} characters",
                    key.chars().count()
                ),
            });
        }
        let mut raw = Zeroizing::new([0u8; 33]);
        let n = URL_SAFE
            .decode_slice(key.as_bytes(), raw.as_mut_slice())
            .map_err(|e| Error::InvalidKey {
                reason: format!("a Fernet key must be url-safe base64 with padding: {e}"),
            })?;
        let bytes: &[u8; 32] = raw
            .get(..n)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| Error::InvalidKey {
                reason: format!("a Fernet key decodes to 32 bytes, found {n}"),
            })?;
        Ok(Fernet::new(bytes))
    }

    /// A new random key from the operating system's generator.
    ///
    /// # Panics
    /// If the operating system's random generator fails.
    pub fn generate() -> Fernet {
        let mut key = Zeroizing::new([0u8; 32]);
        os_random(key.as_mut_slice());
        Fernet::new(&key)
    }

    /// The key's standard 44-character url-safe base64 form.
    pub fn to_base64(&self) -> String {
        let mut key = Zeroizing::new([0u8; 32]);
        key[..16].copy_from_slice(&self.signing);
        key[16..].copy_from_slice(&self.encryption);
        URL_SAFE.encode(key.as_slice())
    }

    /// Encrypts `plaintext` into a token (ASCII url-safe base64 bytes), with
    /// the current time and a random IV, like Python's `Fernet.encrypt`.
    ///
    /// # Panics
    /// If the operating system's random generator fails.
    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        self.encrypt_at(plaintext, unix_now(), random_iv())
    }

    /// Encrypts with a given timestamp (Unix seconds) and IV: deterministic,
    /// for test vectors and reproducible files. Never reuse an IV with the
    /// same key for different data in production.
    pub fn encrypt_at(&self, plaintext: &[u8], timestamp: u64, iv: [u8; 16]) -> Vec<u8> {
        let padded = (plaintext.len() / BLOCK + 1) * BLOCK;
        let raw_len = HEADER_LEN + padded + MAC_LEN;
        let mut raw = vec![0u8; raw_len];
        let (header, rest) = raw.split_at_mut(HEADER_LEN);
        header[0] = VERSION;
        header[1..9].copy_from_slice(&timestamp.to_be_bytes());
        header[9..].copy_from_slice(&iv);
        let (body, _) = rest.split_at_mut(padded);
        let ct_len = Aes128CbcEnc::new(&self.encryption.into(), &iv.into())
            .encrypt_padded_b2b::<Pkcs7>(plaintext, body)
            .map(<[u8]>::len)
            .unwrap_or(padded);
        debug_assert_eq!(ct_len, padded);
        let mac_at = HEADER_LEN + padded;
        let tag = self.mac(&raw[..mac_at]);
        raw[mac_at..].copy_from_slice(&tag);
        let mut token = Vec::new();
        url_base64::encode_into(&raw, &mut token);
        token
    }

    /// Encrypts several plaintexts into tokens, each exactly as
    /// [`Fernet::encrypt`] would (the current time, a random IV of its own),
    /// faster on one core.
    ///
    /// AES-CBC is sequential within a token (each block waits for the one
    /// before), which leaves the AES unit mostly idle; the chains of all
    /// the tokens are interleaved so that it works on many independent
    /// blocks at once. Datumaro encrypts every blob of a file separately, so
    /// a file's blobs go through here together.
    ///
    /// # Panics
    /// If the operating system's random generator fails.
    pub fn encrypt_many(&self, plaintexts: &[&[u8]]) -> Vec<Vec<u8>> {
        let ivs: Vec<[u8; 16]> = plaintexts.iter().map(|_| random_iv()).collect();
        self.encrypt_many_at(plaintexts, unix_now(), &ivs)
    }

    /// [`Fernet::encrypt_many`] with a given timestamp and one IV per
    /// plaintext (`ivs` as long as `plaintexts`; extra plaintexts get no
    /// token): token `i` is the bytes of `encrypt_at(plaintexts[i],
    /// timestamp, ivs[i])`.
    pub fn encrypt_many_at(
        &self,
        plaintexts: &[&[u8]],
        timestamp: u64,
        ivs: &[[u8; 16]],
    ) -> Vec<Vec<u8>> {
        let mut batch = FernetBatch::default();
        let n = self
            .encrypt_batch_at(plaintexts, timestamp, ivs, &mut batch)
            .len();
        batch.tokens.truncate(n);
        std::mem::take(&mut batch.tokens)
    }

    /// [`Fernet::encrypt_many`] into reusable buffers: the tokens are valid
    /// until the next call with the same `batch`. Encrypting a large file
    /// batch by batch this way touches the same memory again instead of
    /// fresh pages for every token.
    ///
    /// # Panics
    /// If the operating system's random generator fails.
    pub fn encrypt_batch<'b>(
        &self,
        plaintexts: &[&[u8]],
        batch: &'b mut FernetBatch,
    ) -> &'b [Vec<u8>] {
        let ivs: Vec<[u8; 16]> = plaintexts.iter().map(|_| random_iv()).collect();
        self.encrypt_batch_at(plaintexts, unix_now(), &ivs, batch)
    }

    /// [`Fernet::encrypt_batch`] with a given timestamp and IVs, as
    /// [`Fernet::encrypt_many_at`].
    pub fn encrypt_batch_at<'b>(
        &self,
        plaintexts: &[&[u8]],
        timestamp: u64,
        ivs: &[[u8; 16]],
        batch: &'b mut FernetBatch,
    ) -> &'b [Vec<u8>] {
        let n = plaintexts.len().min(ivs.len());
        let (plaintexts, ivs) = (&plaintexts[..n], &ivs[..n]);
        if batch.raws.len() < n {
            batch.raws.resize_with(n, Vec::new);
        }
        if batch.tokens.len() < n {
            batch.tokens.resize_with(n, Vec::new);
        }
        for ((raw, p), iv) in batch.raws.iter_mut().zip(plaintexts).zip(ivs) {
            let padded = (p.len() / BLOCK + 1) * BLOCK;
            raw.clear();
            raw.reserve(HEADER_LEN + padded + MAC_LEN);
            raw.push(VERSION);
            raw.extend_from_slice(&timestamp.to_be_bytes());
            raw.extend_from_slice(iv);
        }
        cbc_lanes::encrypt(&self.encryption, ivs, plaintexts, &mut batch.raws[..n]);
        // The keyed HMAC state once, cloned per token.
        let keyed = self.keyed_mac();
        for raw in batch.raws.iter_mut().take(n) {
            let mut mac = keyed.clone();
            mac.update(raw);
            let tag: [u8; MAC_LEN] = mac.finalize().into_bytes().into();
            raw.extend_from_slice(&tag);
        }
        for (raw, token) in batch.raws.iter().zip(batch.tokens.iter_mut()).take(n) {
            url_base64::encode_into(raw, token);
        }
        batch.len = n;
        &batch.tokens[..n]
    }

    /// Encrypts several plaintexts into tokens, each exactly as
    /// [`Fernet::encrypt`] would make it, but hands each token's text over
    /// in pieces instead of building it: `sink(i, offset, piece)` receives
    /// bytes `offset..offset + piece.len()` of token `i`, whose length is
    /// [`Fernet::token_len`] of plaintext `i`. Pieces come in order within a
    /// token, the tokens interleaved.
    ///
    /// Memory stays at a few tens of KiB per token whatever their size, and
    /// the chains of all the tokens go through AES together (as in
    /// [`Fernet::encrypt_many`]), so a writer can put every piece straight
    /// at its place in a file.
    ///
    /// ```
    /// use vellum_crypto::Fernet;
    /// let f = Fernet::generate();
    /// let plains: [&[u8]; 2] = [b"first blob", b"second"];
    /// let mut tokens = vec![Vec::new(); 2];
    /// f.encrypt_pieces(&plains, |i, offset, piece| {
    ///     assert_eq!(offset, tokens[i].len());
    ///     tokens[i].extend_from_slice(piece);
    ///     Ok::<(), std::convert::Infallible>(())
    /// })
    /// .unwrap();
    /// assert_eq!(tokens[0].len(), Fernet::token_len(10));
    /// assert_eq!(f.decrypt(&tokens[1])?, b"second");
    /// # Ok::<(), vellum_crypto::Error>(())
    /// ```
    ///
    /// # Errors
    /// The first error `sink` returns; encryption stops there.
    ///
    /// # Panics
    /// If the operating system's random generator fails.
    pub fn encrypt_pieces<E>(
        &self,
        plaintexts: &[&[u8]],
        sink: impl FnMut(usize, usize, &[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let ivs: Vec<[u8; 16]> = plaintexts.iter().map(|_| random_iv()).collect();
        self.encrypt_pieces_at(plaintexts, unix_now(), &ivs, sink)
    }

    /// [`Fernet::encrypt_pieces`] with a given timestamp and one IV per
    /// plaintext, as [`Fernet::encrypt_many_at`] (plaintexts beyond `ivs`
    /// get no token).
    ///
    /// # Errors
    /// The first error `sink` returns.
    pub fn encrypt_pieces_at<E>(
        &self,
        plaintexts: &[&[u8]],
        timestamp: u64,
        ivs: &[[u8; 16]],
        mut sink: impl FnMut(usize, usize, &[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let n = plaintexts.len().min(ivs.len());
        let (plaintexts, ivs) = (&plaintexts[..n], &ivs[..n]);
        let keyed = self.keyed_mac();
        let mut texts: Vec<TokenText> = ivs
            .iter()
            .zip(plaintexts)
            .map(|(iv, p)| {
                let mut header = [0u8; HEADER_LEN];
                header[0] = VERSION;
                header[1..9].copy_from_slice(&timestamp.to_be_bytes());
                header[9..].copy_from_slice(iv);
                let mut t = TokenText::new(keyed.clone(), Fernet::token_len(p.len()));
                t.signed(&header);
                t
            })
            .collect();
        let mut failed = None;
        cbc_lanes::encrypt_tiles(&self.encryption, ivs, plaintexts, |lane, ciphertext| {
            let Some(t) = texts.get_mut(lane) else {
                return true;
            };
            t.signed(ciphertext);
            if t.used >= TokenText::PIECE
                && let Err(e) = t.send(lane, &mut sink)
            {
                failed = Some(e);
                return false;
            }
            true
        });
        if let Some(e) = failed {
            return Err(e);
        }
        for (lane, t) in texts.iter_mut().enumerate() {
            let tag: [u8; MAC_LEN] = t.mac.clone().finalize().into_bytes().into();
            t.push(&tag);
            t.finish();
            t.send(lane, &mut sink)?;
        }
        Ok(())
    }

    /// The length of the token of an `n`-byte plaintext (url-safe base64,
    /// with padding, of version, timestamp, IV, padded ciphertext and MAC).
    pub fn token_len(n: usize) -> usize {
        let raw = HEADER_LEN + (n / BLOCK + 1) * BLOCK + MAC_LEN;
        raw.div_ceil(3) * 4
    }

    /// Decrypts a token made by any Fernet implementation with this key.
    /// There is no time-to-live check (datumaro uses none); see
    /// [`Fernet::decrypt_with_ttl`].
    ///
    /// The MAC is verified, in constant time, before any decryption.
    ///
    /// # Errors
    /// [`Error::MalformedToken`] when the token is not a Fernet token,
    /// [`Error::WrongKeyOrTampered`] when its MAC does not match this key,
    /// [`Error::BadPadding`] when it authenticates but does not unpad.
    pub fn decrypt(&self, token: &[u8]) -> Result<Vec<u8>> {
        let (raw, _) = self.open(token)?;
        self.decrypt_raw(raw)
    }

    /// Decrypts a token only if it is at most `ttl` seconds old at `now`
    /// (Unix seconds) and not more than 60 s in the future, with the same
    /// rules as Python's `Fernet.decrypt(token, ttl)`.
    ///
    /// # Errors
    /// As [`Fernet::decrypt`], plus [`Error::TokenExpired`] and
    /// [`Error::TokenFromFuture`].
    pub fn decrypt_with_ttl(&self, token: &[u8], ttl: u64, now: u64) -> Result<Vec<u8>> {
        let (raw, timestamp) = self.open(token)?;
        if timestamp.saturating_add(ttl) < now {
            return Err(Error::TokenExpired {
                timestamp,
                ttl,
                now,
            });
        }
        if now.saturating_add(MAX_CLOCK_SKEW) < timestamp {
            return Err(Error::TokenFromFuture { timestamp, now });
        }
        self.decrypt_raw(raw)
    }

    /// The timestamp (Unix seconds) a token claims, after checking its MAC.
    ///
    /// # Errors
    /// As [`Fernet::decrypt`].
    pub fn extract_timestamp(&self, token: &[u8]) -> Result<u64> {
        self.open(token).map(|(_, t)| t)
    }

    /// Base64-decodes a token, checks version, length and MAC, and returns
    /// the raw bytes with the timestamp.
    fn open(&self, token: &[u8]) -> Result<(Vec<u8>, u64)> {
        let raw = URL_SAFE.decode(token).map_err(|e| Error::MalformedToken {
            reason: format!("not url-safe base64 with padding: {e}"),
        })?;
        let Some((&version, rest)) = raw.split_first() else {
            return Err(malformed("empty token"));
        };
        if version != VERSION {
            return Err(malformed(format!(
                "version byte is 0x{version:02x}, expected 0x80"
            )));
        }
        if raw.len() < HEADER_LEN + BLOCK + MAC_LEN {
            return Err(malformed(format!(
                "{} bytes decoded, a token has at least {}",
                raw.len(),
                HEADER_LEN + BLOCK + MAC_LEN
            )));
        }
        let timestamp = rest
            .get(..8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes)
            .ok_or_else(|| malformed("no timestamp"))?;
        let (signed, tag) = raw.split_at(raw.len() - MAC_LEN);
        let mut mac = self.keyed_mac();
        mac.update(signed);
        // `verify_slice` compares in constant time (subtle).
        mac.verify_slice(tag)
            .map_err(|_| Error::WrongKeyOrTampered)?;
        Ok((raw, timestamp))
    }

    /// Decrypts the ciphertext of an authenticated raw token in place and
    /// returns the plaintext.
    fn decrypt_raw(&self, mut raw: Vec<u8>) -> Result<Vec<u8>> {
        let end = raw.len() - MAC_LEN;
        let iv: [u8; 16] = raw
            .get(9..HEADER_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| malformed("no IV"))?;
        let body = raw
            .get_mut(HEADER_LEN..end)
            .ok_or_else(|| malformed("no ciphertext"))?;
        if body.len() % BLOCK != 0 {
            return Err(malformed(format!(
                "ciphertext of {} bytes is not a whole number of 16-byte AES blocks",
                body.len()
            )));
        }
        let n = Aes128CbcDec::new(&self.encryption.into(), &iv.into())
            .decrypt_padded::<Pkcs7>(body)
            .map_err(|_| Error::BadPadding)?
            .len();
        raw.copy_within(HEADER_LEN..HEADER_LEN + n, 0);
        raw.truncate(n);
        Ok(raw)
    }

    fn keyed_mac(&self) -> HmacSha256 {
        // HMAC zero-pads keys shorter than its 64-byte block, so padding the
        // 16-byte signing key here is the same MAC without a fallible call.
        let mut block = Zeroizing::new([0u8; 64]);
        block[..16].copy_from_slice(&self.signing);
        <HmacSha256 as KeyInit>::new(&(*block).into())
    }

    fn mac(&self, data: &[u8]) -> [u8; MAC_LEN] {
        let mut mac = self.keyed_mac();
        mac.update(data);
        mac.finalize().into_bytes().into()
    }
}

/// Reusable buffers for [`Fernet::encrypt_batch`].
#[derive(Default)]
pub struct FernetBatch {
    raws: Vec<Vec<u8>>,
    tokens: Vec<Vec<u8>>,
    len: usize,
}

impl FernetBatch {
    /// The tokens of the last [`Fernet::encrypt_batch`] call.
    pub fn tokens(&self) -> &[Vec<u8>] {
        self.tokens.get(..self.len).unwrap_or_default()
    }
}

impl std::fmt::Debug for FernetBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FernetBatch")
            .field("tokens", &self.tokens.len())
            .finish_non_exhaustive()
    }
}

/// The text of one token while it is made piece by piece: the running
/// MAC, and url-safe base64 of the raw bytes so far, kept until a piece is
/// large enough to hand over.
struct TokenText {
    mac: HmacSha256,
    /// Raw bytes (at most 2) waiting for a whole 3-byte base64 group.
    carry: [u8; 3],
    carried: usize,
    /// Text not yet handed over: `text[..used]` (the buffer is zeroed once
    /// and then reused, never cleared).
    text: Vec<u8>,
    used: usize,
    /// Text handed over so far.
    sent: usize,
}

impl TokenText {
    /// Text handed over at a time: large, because every piece is a system
    /// call when it goes to a file.
    const PIECE: usize = 128 << 10;

    /// For a token of `len` characters: the buffer is zeroed once at the
    /// size it will need (a small token does not get a whole piece).
    fn new(mac: HmacSha256, len: usize) -> TokenText {
        let room = len.min(Self::PIECE) + 4 * cbc_lanes::TILE * BLOCK;
        TokenText {
            mac,
            carry: [0; 3],
            carried: 0,
            text: vec![0; room],
            used: 0,
            sent: 0,
        }
    }

    /// Raw bytes covered by the MAC: MAC them and encode them.
    fn signed(&mut self, raw: &[u8]) {
        self.mac.update(raw);
        self.push(raw);
    }

    /// Appends the base64 of `raw`, whole groups of 3 bytes only; up to 2
    /// bytes wait in `carry` for the next call or [`TokenText::finish`].
    fn push(&mut self, mut raw: &[u8]) {
        if self.carried > 0 {
            let take = (3 - self.carried).min(raw.len());
            let (head, rest) = raw.split_at(take);
            self.carry[self.carried..self.carried + take].copy_from_slice(head);
            self.carried += take;
            raw = rest;
            if self.carried < 3 {
                return;
            }
            let group = self.carry;
            self.append_base64(&group);
            self.carried = 0;
        }
        let (whole, rest) = raw.split_at(raw.len() / 3 * 3);
        self.append_base64(whole);
        self.carry[..rest.len()].copy_from_slice(rest);
        self.carried = rest.len();
    }

    /// Encodes the last 0 to 2 bytes, with `=` padding.
    fn finish(&mut self) {
        let last = self.carry;
        self.append_base64(&last[..self.carried]);
        self.carried = 0;
    }

    /// Appends the url-safe base64 (with padding) of `raw` to the text.
    fn append_base64(&mut self, raw: &[u8]) {
        let len = base64::encoded_len(raw.len(), true).unwrap_or(0);
        if self.text.len() < self.used + len {
            // Not expected (`new` makes room for a piece and one more
            // tile), but never short.
            self.text.resize(self.used + len, 0);
        }
        let n = url_base64::engine()
            .encode_slice(raw, &mut self.text[self.used..])
            .unwrap_or(0);
        self.used += n;
    }

    /// Hands the text so far to `sink` as the next piece of token `lane`.
    fn send<E>(
        &mut self,
        lane: usize,
        sink: &mut impl FnMut(usize, usize, &[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        if self.used > 0 {
            sink(lane, self.sent, &self.text[..self.used])?;
            self.sent += self.used;
            self.used = 0;
        }
        Ok(())
    }
}

/// A fresh random IV from the operating system.
fn random_iv() -> [u8; 16] {
    let mut iv = [0u8; 16];
    os_random(&mut iv);
    iv
}

fn malformed(reason: impl Into<String>) -> Error {
    Error::MalformedToken {
        reason: reason.into(),
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
