"""The provider table against litellm itself: the prefixes it routes, the bare names it
routes without one, and the key variables `validate_environment` asks for."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from maos_tui.providers import PROVIDERS, key_alternatives, missing_keys, provider_of

# Variables the cross-check keeps: the rest of the environment could hold a real key.
_KEEP = {"PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH", "LITELLM_LOCAL_MODEL_COST_MAP"}
# Providers whose routing starts a device-code login over the network: not probed.
_LOGIN = {"chatgpt", "github_copilot"}
_SHAPES = {"ragflow": "ragflow/chat/some-id/some-model"}


def probe(provider: str) -> str:
    return _SHAPES.get(provider, f"{provider}/some-model")


@pytest.fixture(scope="module")
def litellm() -> Any:
    from maos_tui.agents.llm import load_litellm

    return load_litellm()


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name not in _KEEP:
            monkeypatch.delenv(name)
    yield


def routes(litellm: Any, model: str) -> str | None:
    try:
        return str(litellm.get_llm_provider(model)[1])
    except Exception:
        return None


def test_every_prefix_litellm_routes_is_in_the_table_and_no_other(litellm: Any) -> None:
    from litellm.llms.openai_like.json_loader import JSONProviderRegistry

    theirs = {str(getattr(p, "value", p)) for p in litellm.provider_list}
    theirs |= set(JSONProviderRegistry.list_providers())
    assert sorted(theirs - PROVIDERS) == [], "add these providers to maos_tui/providers.py"
    assert sorted(PROVIDERS - theirs) == [], "litellm no longer routes these"
    unrouted = [p for p in sorted(PROVIDERS - _LOGIN) if routes(litellm, probe(p)) is None]
    assert unrouted == []


def test_bare_names_route_where_litellm_routes_them(litellm: Any) -> None:
    bare = [m for m in litellm.model_cost if "/" not in m]
    accepted = 0
    for model in bare:
        try:
            ours = provider_of(model)
        except ValueError:
            continue
        accepted += 1
        theirs = routes(litellm, model)
        assert theirs is not None, f"{model}: we accept it, litellm routes it nowhere"
        # The text-completion routes of a provider take its keys.
        assert theirs.removeprefix("text-completion-").removesuffix("_text") == ours, model
    assert accepted > 100  # gpt-*, o*, claude-* are most of litellm's bare names


@pytest.mark.parametrize(
    "model", ["notaprovider", "llama3", "gpt-nonexistent", "chatgpt-4o-latest", "mistral"]
)
def test_names_we_refuse_litellm_cannot_route(litellm: Any, model: str) -> None:
    with pytest.raises(ValueError, match="write provider/model"):
        provider_of(model)
    assert routes(litellm, model) is None


def test_unknown_prefix_and_empty_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown provider 'notaprovider'"):
        provider_of("notaprovider/gpt-4o")
    with pytest.raises(ValueError, match="names no model after openai/"):
        provider_of("openai/")
    with pytest.raises(ValueError, match="model is empty"):
        provider_of("  ")


def test_key_variables_match_validate_environment(litellm: Any, bare_env: None) -> None:
    for provider in sorted(PROVIDERS - _LOGIN):
        model = probe(provider)
        found = litellm.validate_environment(model=model)["missing_keys"]
        theirs = {k for k in found if not k.endswith("_API_BASE")}
        ours = missing_keys(model, None, lambda name: False)
        assert set(ours) <= set(found) and bool(ours) == bool(theirs), provider
        bases = [k for k in found if k.endswith("_API_BASE")]  # litellm's; not ours
        for alternative in key_alternatives(provider):
            os.environ.update(dict.fromkeys([*alternative, *bases], "x"))
            left = litellm.validate_environment(model=model)["missing_keys"]
            assert [k for k in left if not k.endswith("_API_BASE")] == [], (provider, left)
            assert missing_keys(model, None, os.environ.__contains__) == []
            for name in {*alternative, *bases}:
                del os.environ[name]
