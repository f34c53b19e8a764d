"""Command agent for tests: it and a child both ignore SIGTERM and never finish.
Writes both PIDs to the file named by argv[1]."""

import signal
import subprocess
import sys
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen(
    [
        sys.executable,
        "-c",
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "while True: time.sleep(1)",
    ]
)
with open(sys.argv[1], "w", encoding="ascii") as handle:
    handle.write(f"{__import__('os').getpid()} {child.pid}\n")
print("started", flush=True)
while True:
    time.sleep(1)
