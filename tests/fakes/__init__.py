"""Test doubles shared by the suite: a fake OpenAI-compatible server, an instant runner,
and small command-agent scripts."""
