"""Command agent for tests: appends `TASK PID TIME` to argv[1] every 50 ms for about a
second, so a test can check that no task ever ran in two processes at once."""

import os
import sys
import time

task = os.environ["MAOS_TASK_ID"]
for _ in range(20):
    with open(sys.argv[1], "a", encoding="ascii") as handle:
        handle.write(f"{task} {os.getpid()} {time.time():.4f}\n")
    time.sleep(0.05)
print(f"ticked {task}")
