"""Generates pyyaml_cases.json: values, the exact text PyYAML 6.0.3 emits
for them with the RAB profile (yaml.dump(v, Dumper=yaml.Dumper,
allow_unicode=True)) and what yaml.Loader reads back from it. Deterministic (seed 5). Run with PyYAML installed:

    python3 crates/rab/tests/data/pyyaml_cases.py > crates/rab/tests/data/pyyaml_cases.json
"""
import json
import random
import sys

import yaml

rng = random.Random(5)
POOL = list("abcxyz ABC019") + [" ", " ", ":", "#", "-", "?", "'", '"', "\\", "\t", "\n",
        "é", "ü", "\U0001F600", "\x85", "\u2028", "\x00", "\x07", "\x7f", "\xa0", "\ufeff",
        ",", "[", "]", "{", "}", "!", "&", "*", "%", "@", "`", "|", ">", "=", "~", "."]
WORDS = ["yes", "No", "null", "~", "1e3", "0x1F", "017", "1_000", "1:20", ".5", "-.inf",
         "2020-01-01", "<<", "=", "true", "0o17", "+1", "-", "?", ":", "#", "a: b", "a #b"]


def rand_str():
    r = rng.random()
    if r < 0.15:
        return rng.choice(WORDS)
    if r < 0.35:
        # long texts with spaces (folding at column 80)
        n = rng.randint(60, 200)
        return " ".join("".join(rng.choice("abcdefgh") for _ in range(rng.randint(1, 12)))
                        for _ in range(n // 6))[:n]
    n = rng.randint(0, 40)
    return "".join(rng.choice(POOL) for _ in range(n))


def rand_scalar():
    r = rng.random()
    if r < 0.6:
        return rand_str()
    if r < 0.75:
        return rng.choice([0.1, 1e16, 1e-5, 5e-324, -0.0, 1.5e300, 123456789.125,
                           rng.uniform(-1e6, 1e6), rng.random() * 10 ** rng.randint(-30, 30)])
    if r < 0.9:
        return rng.choice([0, -5, 2 ** 70, rng.randint(-10 ** 12, 10 ** 12)])
    return rng.choice([None, True, False])


def rand_value(depth=0):
    r = rng.random()
    if depth < 3 and r < 0.3:
        return {rand_key(): rand_value(depth + 1) for _ in range(rng.randint(0, 4))}
    if depth < 3 and r < 0.45:
        return [rand_value(depth + 1) for _ in range(rng.randint(0, 3))]
    return rand_scalar()


def rand_key():
    if rng.random() < 0.1:
        return "k" * rng.randint(118, 130)
    s = rand_str()
    return s


def encode(v):
    """JSON with non-finite floats as {"$f": ...}, big ints as {"$int": ...}."""
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return {"$f": repr(v)}
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 2 ** 63:
        return {"$int": str(v)}
    if isinstance(v, dict):
        return {k: encode(x) for k, x in v.items()}
    if isinstance(v, list):
        return [encode(x) for x in v]
    return v


cases = []
for i in range(400):
    value = {rand_key(): rand_value() for _ in range(rng.randint(1, 5))}
    text = yaml.dump(value, Dumper=yaml.Dumper, allow_unicode=True)
    loaded = yaml.load(text, Loader=yaml.Loader)
    cases.append({"value": encode(value), "yaml": text, "loaded": encode(loaded)})
json.dump({"generator": "pyyaml_cases.py", "pyyaml": yaml.__version__, "cases": cases},
          sys.stdout, ensure_ascii=False, indent=0)
