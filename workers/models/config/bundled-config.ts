/**
 * The bundled gateway config: seed 001 §2's `tensorzero.toml` blocks, verbatim and in order. It lives in a
 * .ts module because wrangler bundles .txt/.html/.sql/.bin as text by default but not .toml; `${` is escaped
 * as `\${` so the template literal keeps `${env.NAME}` for the config's own interpolation. Used when neither
 * D1 nor GATEWAY_CONFIG holds a config, and whenever those are invalid. After the seed's blocks comes one
 * function of botplane's own: `strategy`, the JSON function the JimBot strategy advisor (seed 002's
 * ClaudeAdvisor) calls, on the seed's chain of models.
 */
export const BUNDLED_TOML = `[gateway]
bind_address = "0.0.0.0:3000"

# --- Tier 1: Local & Free ---
[providers.ollama]
type = "ollama"
url = "http://host.docker.internal:11434"

[providers.cloudflare]
type = "cloudflare"
url = "https://api.cloudflare.com/client/v4/accounts/\${env.CF_ACCOUNT_ID}/ai/v1"
api_key = "\${env.CF_API_TOKEN}"

# --- Tier 2: Specific Plans ---
[providers.openrouter]
type = "openai"
url = "https://openrouter.ai/api/v1"
api_key = "\${env.OPENROUTER_API_KEY}"

[providers.glm]
type = "openai"
url = "https://open.bigmodel.cn/api/paas/v4/"
api_key = "\${env.GLM_API_KEY}"

# --- Tier 3: Cloud Fallback ---
[providers.google_gemini]
type = "google" # TensorZero supports Google Vertex/Gemini
api_key = "\${env.GOOGLE_API_KEY}"

[providers.anthropic]
type = "anthropic"
api_key = "\${env.ANTHROPIC_API_KEY}"

[providers.openai]
type = "openai"
api_key = "\${env.OPENAI_API_KEY}"

[models.qwen-local]
provider = "ollama"
model = "qwen2.5:32b"

[models.llama-cf]
provider = "cloudflare"
model = "@cf/meta/llama-3-8b-instruct"

[models.gemini-pro]
provider = "google_gemini"
model = "gemini-1.5-pro"

[models.claude-sonnet]
provider = "anthropic"
model = "claude-3-5-sonnet-20240620"

[models.gpt-4o]
provider = "openai"
model = "gpt-4o"

# General Chat Routing
[functions.chat]
type = "chat"
variants = ["local", "free_tier", "cloud_gemini", "cloud_anthropic", "cloud_openai"]

[functions.chat.variants.local]
model = "models.qwen-local"
weight = 1.0

[functions.chat.variants.free_tier]
model = "models.llama-cf"
weight = 0.5

# Cloud Fallback Chain
[functions.chat.variants.cloud_gemini]
model = "models.gemini-pro"
weight = 0.4  # Primary Cloud

[functions.chat.variants.cloud_anthropic]
model = "models.claude-sonnet"
weight = 0.3  # Secondary

[functions.chat.variants.cloud_openai]
model = "models.gpt-4o"
weight = 0.1  # Last Resort

# Embedding: Local First
[functions.embed]
type = "embedding"
variants = ["local_embed"]

[functions.embed.variants.local_embed]
provider = "ollama"
model = "qwen3-embedding:4b"

# --- botplane: the JimBot strategy advisor (seed 002's ClaudeAdvisor) ---
[functions.strategy]
type = "json"
variants = ["local", "free_tier", "cloud_gemini", "cloud_anthropic", "cloud_openai"]
output_schema = { type = "object", required = ["strategy_name", "recommended_action", "reasoning", "confidence"], properties = { strategy_name = { type = "string" }, recommended_action = { type = "string" }, reasoning = { type = "string" }, confidence = { type = "number", minimum = 0, maximum = 1 } } }

[functions.strategy.variants.local]
model = "models.qwen-local"
weight = 1.0

[functions.strategy.variants.free_tier]
model = "models.llama-cf"
weight = 0.5

[functions.strategy.variants.cloud_gemini]
model = "models.gemini-pro"
weight = 0.4

[functions.strategy.variants.cloud_anthropic]
model = "models.claude-sonnet"
weight = 0.3

[functions.strategy.variants.cloud_openai]
model = "models.gpt-4o"
weight = 0.1
`;
