"""Command agent for tests: prints the same three-line block over and over, like a CLI
rerunning a failing test, then gives up after a while (a stopped loop never gets there)."""

import sys
import time

for _ in range(300):
    print("Running tests/test_login.py ...")
    print("FAILED test_login: assert 401 == 200")
    print("Retrying the same command", flush=True)
    time.sleep(0.02)
print("gave up after 300 attempts")
sys.exit(0)
