""" "Needs you" alerts: what the person is told, through which channels, and how often.

One process sends them: the one running the workspace's scheduler (`maos-tui run`, or
the TUI that holds the scheduler lock). It watches the store's Activities, its own and
other processes' (the store's change feed), from a saved position:

    rules.py     Activities (and the agents' state) -> Alerts
    digest.py    at most one message per task per 5 minutes; a burst becomes a digest
    watcher.py   the loop: read on, apply the rules, record what is sent, hand it over
    delivery.py  one worker per channel: timeouts, retries with backoff, its state saved
    channels.py  terminal, desktop and command; webhook.py the webhook; secrets.py masks
    configured.py  the channels `[alerts]` turns on; start.py starts it all
    health.py    what `doctor` says about them

What was sent is recorded in the store (store/alerts.py), so each alert is sent once.
"""
