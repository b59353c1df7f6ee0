#!/usr/bin/env python3
"""datumaro 1.11.1's own encrypted DatumaroBinary export, for `cargo xtask bench datumaro`.

Vellum's script (not a copy from shared/peers/). Needs datumaro 1.11.1, the last
version with encryption (installed with --no-deps plus the modules it imports; see
the spec's section 12).

  _step plain|enc COCO_DIR OUT_DIR
      In this process: import COCO_DIR (coco_instances) and load every item
      (untimed), then time the DatumaroBinary export to OUT_DIR, plain or
      encrypted with the fixed key below; prints `RESULT <seconds>`.
  read DIR
      Imports the encrypted DatumaroBinary dataset DIR with the key and prints
      `RESULT <items> <annotations>`.
"""

import shutil
import sys
import time

KEY = "datum-ZGF0dW1hcm8tZml4dHVyZS1rZXktMDAwMDAwMDAwMDA="


def main():
    from datumaro.components.dataset import Dataset

    if sys.argv[1] == "_step":
        kind, coco, out = sys.argv[2], sys.argv[3], sys.argv[4]
        ds = Dataset.import_from(coco, "coco_instances")
        for _ in ds:
            pass
        shutil.rmtree(out, ignore_errors=True)
        kwargs = {"encryption_key": KEY} if kind == "enc" else {}
        t0 = time.perf_counter()
        ds.export(out, "datumaro_binary", save_media=False, **kwargs)
        print("RESULT", time.perf_counter() - t0)
    elif sys.argv[1] == "read":
        ds = Dataset.import_from(sys.argv[2], "datumaro_binary", encryption_key=KEY)
        items = annotations = 0
        for item in ds:
            items += 1
            annotations += len(item.annotations)
        print("RESULT", items, annotations)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
