"""Command agent for tests: busy without repeating itself, printing a new line every 50 ms
for `seconds` (argv[2], default 60). With `edit` (argv[1]) it writes a new file in its
working folder each time, so its diff moves; with `nothing` it changes no file."""

import json
import sys
import time

mode = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
end = time.monotonic() + seconds
step = 0
while time.monotonic() < end:
    step += 1
    if mode == "edit":
        with open(f"step_{step}.txt", "w", encoding="ascii") as out:
            out.write(f"step {step}\n")
    print(f"checked item {step} of the login flow", flush=True)
    time.sleep(0.05)
print(json.dumps({"summary": f"{mode}: {step} steps"}))
