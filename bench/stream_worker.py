"""One default run streamed in a process of its own, timed from before the process started.

`speed.py` starts this script as `python bench/stream_worker.py --worker SPEC`
(the protocol of `common.in_child`), with the time it started the process in
SPEC. It imports only what the command line imports, runs the generator as
the command line does, notes when each record came, and saves every record's
picture for the parent to measure: which picture was the first convincing one
is decided there, after the run, so that measuring costs the run nothing.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nst import Settings, stylize  # noqa: E402

IMPORTED = time.time()


def main(spec: dict) -> dict:
    started = spec["spawned"]
    records, timings = [], []
    for record in stylize(spec["photo"], spec["painting"], Settings(**spec.get("settings", {}))):
        timings.append((time.time() - started, record.step, list(record.size), record.scale))
        records.append(record)
    # Every record still held gets its picture as the run ends: saved for the parent to measure.
    np.savez_compressed(spec["pictures"], *[record.image for record in records])
    return {"imported": IMPORTED - started, "timings": timings, "setup": records[-1].setup_seconds,
            "precision": records[-1].precision}


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "--worker":
        sys.exit(__doc__)
    print("RESULT " + json.dumps(main(json.loads(sys.argv[2]))), flush=True)
