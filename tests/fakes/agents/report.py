"""Command agent for tests: records what it was given, talks on stdout/stderr, then
succeeds with a JSON summary (or fails with `--fail`)."""

import json
import os
import sys

given = json.load(sys.stdin)
report = {
    "cwd": os.getcwd(),
    "env": {k: v for k, v in os.environ.items() if k.startswith("MAOS_")},
    "stdin": given,
    "argv": sys.argv[1:],
}
out = os.path.join(os.environ["REPORT_DIR"], os.environ["MAOS_TASK_ID"] + ".json")
with open(out, "w", encoding="utf-8") as handle:
    json.dump(report, handle)
print("reading the task", flush=True)
print("a warning on stderr", file=sys.stderr, flush=True)
if "--fail" in sys.argv:
    print("compiler exploded: line 3", file=sys.stderr)
    sys.exit(3)
print(json.dumps({"summary": f"handled {given['task']['title']}"}))
