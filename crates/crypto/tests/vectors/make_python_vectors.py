"""Writes python_cryptography.json: Fernet tokens made by Python
`cryptography` with fixed timestamps and IVs (through its
`_encrypt_from_parts`), so that Vellum's `Fernet::encrypt_at` can be checked
byte for byte. Run: python3 make_python_vectors.py (cryptography 48.0.0)."""
import base64, hashlib, json
import cryptography
from cryptography.fernet import Fernet

cases = []
for i, n in enumerate([0, 1, 15, 16, 17, 31, 32, 33, 100, 1000, 4096, 5000]):
    key = base64.urlsafe_b64encode(hashlib.sha256(b"key-%d" % i).digest())
    plain = bytes((j * 131 + i) & 0xFF for j in range(n))
    iv = hashlib.sha256(b"iv-%d" % i).digest()[:16]
    ts = 1_700_000_000 + i * 86_400
    token = Fernet(key)._encrypt_from_parts(plain, ts, iv)
    assert Fernet(key).decrypt(token) == plain
    cases.append({
        "secret": key.decode(),
        "timestamp": ts,
        "iv": list(iv),
        "src_hex": plain.hex(),
        "token": token.decode(),
    })
with open("python_cryptography.json", "w") as f:
    json.dump({"generator": "make_python_vectors.py",
               "cryptography": cryptography.__version__, "cases": cases}, f, indent=1)
