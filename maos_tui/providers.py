"""Which litellm provider a model string goes to, and the key variables that provider needs.

A table, so that `agent add`, the agent form, `agent list`, `status` and the scheduler can
tell a model litellm cannot route, or a missing key, at once: importing litellm to ask it
takes seconds. tests/agents/test_providers.py holds the table against litellm's own
`get_llm_provider` and `validate_environment`; update both when litellm adds a provider.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Every provider prefix litellm routes (`provider/model`): its provider list and the
# OpenAI-compatible providers it declares in JSON.
# fmt: off
PROVIDERS = frozenset({
    "a2a", "a2a_agent", "abliteration", "ai21", "ai21_chat", "aihubmix", "aiml",
    "aiohttp_openai", "amazon_nova", "anthropic", "anthropic_text", "apertis", "assemblyai",
    "auto_router", "aws_polly", "aws_textract", "azure", "azure_ai", "azure_speech",
    "azure_text", "baseten", "bedrock", "bedrock_mantle", "black_forest_labs", "bytez",
    "cerebras", "charity_engine", "chatgpt", "chutes", "clarifai", "cloudflare", "codestral",
    "cognition", "cohere", "cohere_chat", "cometapi", "compactifai", "cortecs", "crusoe",
    "cursor", "custom", "custom_openai", "darkbloom", "dashscope", "databricks", "datarobot",
    "deepgram", "deepinfra", "deepseek", "docker_model_runner", "dotprompt", "edenai",
    "elevenlabs", "empiriolabs", "empower", "fal_ai", "featherless_ai", "fireworks_ai",
    "friendliai", "galadriel", "gdc", "gemini", "gigachat", "github", "github_copilot", "gmi",
    "gradient_ai", "groq", "helicone", "heroku", "hosted_vllm", "huggingface", "humanloop",
    "hyperbolic", "inception", "infinity", "jina_ai", "lambda_ai", "langflow", "langfuse",
    "langgraph", "lemonade", "libertai", "litellm_agent", "litellm_proxy", "llamafile",
    "llamagate", "lm_studio", "manus", "maritalk", "meta", "meta_llama", "milvus", "minimax",
    "mistral", "modelscope", "mongodb", "moonshot", "morph", "nadir", "nano-gpt", "nebius",
    "neosantara", "nlp_cloud", "novita", "nscale", "nvidia_nim", "nvidia_riva", "oci",
    "ollama", "ollama_chat", "oobabooga", "openai", "openai_like", "openrouter", "ovhcloud",
    "parasail", "perplexity", "petals", "pg_vector", "pinstripes", "poe", "predibase", "prism",
    "publicai", "qwen_ai_platform", "qwencloud", "ragflow", "recraft", "reducto", "reka",
    "replicate", "runwayml", "s3_vectors", "sagemaker", "sagemaker_chat", "sagemaker_nova",
    "sail", "sambanova", "sap", "sarvam", "scaleway", "scx-ai", "snowflake", "soniox",
    "stability", "strands_decider", "synthetic", "tencent", "tensormesh",
    "text-completion-codestral", "text-completion-inception", "text-completion-openai",
    "together_ai", "topaz", "transcribe", "triton", "typesafe", "v0", "valkey", "veniceai",
    "vercel_ai_gateway", "vertex_ai", "vertex_ai_beta", "vllm", "volcengine", "voyage",
    "wandb", "watsonx", "watsonx_text", "xai", "xiaomi_mimo", "xinference", "zai",
})
# fmt: on

# The variables litellm's `validate_environment` asks of a provider: `|` separates
# alternatives, `+` joins variables needed together. Providers not listed need none it
# knows of (Ollama, vLLM, LM Studio, ...). `*_API_BASE` settings are left out where they
# have defaults, or the agent's own api_base gives them.
_KEYS = {
    "openai": "OPENAI_API_KEY",
    "azure": "AZURE_API_KEY+AZURE_API_VERSION",
    "anthropic": "ANTHROPIC_API_KEY|ANTHROPIC_AUTH_TOKEN",
    "cohere": "COHERE_API_KEY",
    "replicate": "REPLICATE_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "vercel_ai_gateway": "VERCEL_AI_GATEWAY_API_KEY",
    "edenai": "EDENAI_API_KEY",
    "datarobot": "DATAROBOT_API_TOKEN",
    "vertex_ai": "VERTEXAI_PROJECT+VERTEXAI_LOCATION",
    "huggingface": "HUGGINGFACE_API_KEY",
    "ai21": "AI21_API_KEY",
    "ai21_chat": "AI21_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "baseten": "BASETEN_API_KEY",
    "nlp_cloud": "NLP_CLOUD_API_KEY",
    "bedrock": "AWS_ACCESS_KEY_ID+AWS_SECRET_ACCESS_KEY|AWS_ROLE_ARN|AWS_PROFILE"
    "|AWS_WEB_IDENTITY_TOKEN_FILE|AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
    "|AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "deepinfra": "DEEPINFRA_API_KEY",
    "featherless_ai": "FEATHERLESS_AI_API_KEY",
    "gemini": "GEMINI_API_KEY|GOOGLE_API_KEY",
    "groq": "GROQ_API_KEY",
    "nvidia_nim": "NVIDIA_NIM_API_KEY",
    "cerebras": "CEREBRAS_API_KEY",
    "nadir": "NADIR_API_KEY",
    "xai": "XAI_API_KEY",
    "volcengine": "VOLCENGINE_API_KEY",
    "codestral": "CODESTRAL_API_KEY",
    "text-completion-codestral": "CODESTRAL_API_KEY",
    "inception": "INCEPTION_API_KEY",
    "text-completion-inception": "INCEPTION_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "tencent": "TENCENT_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "perplexity": "PERPLEXITYAI_API_KEY",
    "voyage": "VOYAGE_API_KEY",
    "infinity": "INFINITY_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY|FIREWORKS_API_KEY|FIREWORKSAI_API_KEY|FIREWORKS_AI_TOKEN",
    "cloudflare": "CLOUDFLARE_API_KEY+CLOUDFLARE_API_BASE|CLOUDFLARE_API_KEY+CLOUDFLARE_ACCOUNT_ID",
    "novita": "NOVITA_API_KEY",
    "nebius": "NEBIUS_API_KEY",
    "wandb": "WANDB_API_KEY",
    "dashscope": "DASHSCOPE_API_KEY",
    "qwencloud": "QWENCLOUD_API_KEY|DASHSCOPE_API_KEY",
    "qwen_ai_platform": "QWEN_AI_PLATFORM_API_KEY|DASHSCOPE_API_KEY",
    "modelscope": "MODELSCOPE_API_KEY",
    "moonshot": "MOONSHOT_API_KEY",
}
_KEYS["sagemaker"] = _KEYS["bedrock"]

# Providers whose cloud credentials an api_base does not replace; for the others, an
# api_base is a server of the user's own, which may need no key at all.
_KEYED_EVEN_WITH_API_BASE = frozenset({"azure", "bedrock", "sagemaker", "vertex_ai"})

# Bare model names litellm routes without a provider prefix, by shape.
_BARE = (
    (re.compile(r"(gpt-\d|o\d(-|$)|ft:gpt-4|ft:gpt-3\.5-turbo).*"), "openai"),
    (re.compile(r"claude-([a-z]+-)?\d[a-z0-9.-]*"), "anthropic"),
)


def provider_of(model: str) -> str:
    """The provider litellm would route `model` to; ValueError with the reason, and the
    fix, when it would route it nowhere."""
    text = model.strip()
    if not text:
        raise ValueError("model is empty")
    prefix, slash, rest = text.partition("/")
    if slash:
        if prefix not in PROVIDERS:
            raise ValueError(
                f"model {text!r}: unknown provider {prefix!r} (litellm knows openai/, "
                "anthropic/, gemini/, ollama/, hosted_vllm/ and more)"
            )
        if not rest.strip():
            raise ValueError(f"model {text!r} names no model after {prefix}/")
        return prefix
    for shape, provider in _BARE:
        if shape.fullmatch(text):
            return provider
    raise ValueError(
        f"model {text!r} names no provider litellm knows: write provider/model, "
        f"e.g. openai/{text} or ollama/{text}"
    )


def key_alternatives(provider: str) -> list[list[str]]:
    """The provider's key variables: any one of the lists, all of that list's names."""
    spec = _KEYS.get(provider)
    return [alt.split("+") for alt in spec.split("|")] if spec else []


def missing_keys(model: str, api_base: str | None, has_key: Callable[[str], bool]) -> list[str]:
    """The key variables `model` needs that `has_key` says are not there (the first
    alternative's, as litellm names them); [] for a model that cannot be routed."""
    try:
        provider = provider_of(model)
    except ValueError:
        return []
    if api_base and provider not in _KEYED_EVEN_WITH_API_BASE:
        return []
    alternatives = key_alternatives(provider)
    if not alternatives or any(all(has_key(k) for k in alt) for alt in alternatives):
        return []
    return [k for k in alternatives[0] if not has_key(k)]
