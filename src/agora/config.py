"""Every setting Agora reads, in one place.

Settings come from environment variables prefixed ``AGORA_`` (or a ``.env`` file).
Each field is documented in docs/configuration.md; a test fails when one is not.
"""

from __future__ import annotations

import os
import secrets
import socket
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AGORA_", env_file=".env", extra="ignore")

    home: Path = Field(Path("./var"), description="Data folder: SQLite database, secret key, uploads.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default is a SQLite file agora.db inside AGORA_HOME."
    )
    secret_key: str | None = Field(
        None, description="Signs cookies and encrypts secrets; generated into AGORA_HOME on first start."
    )
    redis_url: str | None = Field(None, description="Optional Redis URL shared by several workers.")
    host: str = Field("127.0.0.1", description="Address `agora serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `agora serve` listens on.")
    public_url: str | None = Field(
        None, description="Address people reach Agora at, for every absolute link (invitations, shares, /v1, Stripe); default: where `agora serve` listens.")
    workers: int = Field(1, ge=1, le=64, description="Worker processes for `agora serve`.")
    log_format: Literal["text", "json"] = Field("text", description="Log line format.")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Lowest level logged.")
    cookie_secure: bool = Field(False, description="Mark cookies Secure always; they are on any request that came over HTTPS.")
    trusted_proxies: str = Field(
        "", description="Comma-separated addresses or networks of proxies whose X-Forwarded-For and X-Forwarded-Proto are believed.")
    session_days: int = Field(30, ge=1, description="Days a login session lasts.")
    login_max_failures_per_email: int = Field(5, ge=1, description="Failed logins per email per window.")
    login_max_failures_per_ip: int = Field(20, ge=1, description="Failed logins per IP address per window.")
    login_window_minutes: int = Field(15, ge=1, description="Window of the login rate limits, in minutes.")
    default_language: Literal["en", "fr"] = Field("en", description="Language when the browser asks for none we have.")
    outbound_allow_hosts: str = Field(
        "", description="Hosts (`api.internal`, `*.corp.example`), addresses or CIDR networks the outbound guard lets through although private.")
    outbound_deny_hosts: str = Field(
        "", description="Hosts, `*.domain`s, addresses or CIDR networks the outbound guard always refuses, even public ones.")
    outbound_ports: str = Field(
        "80,443", description="Ports requests through the outbound guard may use (comma-separated), or `*` for any.")
    outbound_https_only: bool = Field(False, description="Refuse plain http:// for every outbound request the guard judges.")
    web_search_backend: Literal["", "searxng", "brave"] = Field(
        "", description="Search service of the Web search tool: `searxng` (AGORA_WEB_SEARCH_URL), `brave` (Brave Search API), or empty for none.")
    web_search_url: str = Field("", description="SearxNG's base URL; for `brave`, the API's endpoint (default Brave's own).")
    web_search_api_key: str | None = Field(None, description="Brave Search API subscription token (`brave`).")
    web_search_results: int = Field(5, ge=1, le=10, description="Search results given to the model per search.")
    page_reading: bool = Field(False, description="Let GPTs with Web search fetch and read pages by URL (through the outbound guard).")
    maps_geocoder_url: str = Field("", description="Base URL of a Nominatim-compatible geocoder for the Maps tools; empty: no maps.")
    maps_router_url: str = Field("", description="Base URL of an OSRM-compatible router for the route tool; empty: places only, no routes.")
    builder_verification_ca_bundle: str | None = Field(
        None, description="CA bundle file trusted when fetching builders' verification tokens."
    )
    chat_provider: str = Field("local", description="LLM provider chats use: `local`, `openai` or one a plugin registers.")
    chat_model: str = Field("", description="Model used when a GPT names none the provider offers; empty: the provider's first.")
    chat_max_reply_tokens: int = Field(512, ge=1, description="Most tokens one assistant reply may have.")
    chat_max_message_chars: int = Field(20000, ge=1, description="Longest user message accepted, in characters.")
    openai_base_url: str = Field("https://api.openai.com/v1", description="Base URL of the OpenAI-compatible server.")
    openai_api_key: str | None = Field(None, description="API key sent to the OpenAI-compatible server.")
    openai_models: str = Field("gpt-4o-mini", description="Comma-separated models offered from that server; the first is the default.")
    openai_context_tokens: int = Field(8192, ge=256, description="Context window of those models, in tokens.")
    openai_timeout_seconds: float = Field(
        30.0, gt=0, description="Seconds the server may stay silent before the reply fails; the longest Retry-After waited for.")
    openai_max_retries: int = Field(
        2, ge=0, le=10, description="Retries, with backoff, on 429, 5xx and failed connections before the reply starts.")
    local_model_path: str | None = Field(None, description="GGUF file for the `local` provider; default: the bundled SmolLM2-135M.")
    local_context_tokens: int = Field(4096, ge=256, description="Context window the local model is loaded with, in tokens.")
    local_threads: int | None = Field(None, ge=1, description="CPU threads for the local model; default: llama.cpp's choice.")
    trial_days: int = Field(14, ge=0, description="Days of Plus a new sign-up gets before falling back to Free; 0 turns the trial off.")
    quota_window_hours: int = Field(3, ge=1, le=168, description="Length of the rolling window plans count messages in, in hours.")
    billing_gateway: Literal["offline", "stripe"] = Field(
        "offline", description="How subscriptions are paid: `offline` (an admin marks invoices paid) or `stripe`.")
    billing_grace_days: int = Field(
        14, ge=1, le=90,
        description="Offline gateway: days a new subscription's first invoice may wait for payment, the plan active meanwhile; unpaid by then, the plan ends.")
    billing_seller: str = Field(
        "", max_length=1000, description="Who issues the invoices: name, address, tax number (lines separated by newlines); printed on every invoice.")
    billing_payment_instructions: str = Field(
        "", max_length=2000, description="Offline gateway: how to pay an open invoice (bank details...), printed on it; empty: contact the operator.")
    pool_share_percent: int = Field(20, ge=0, le=100, description="Share of a month's net subscription revenue that goes to the builders' pool, in percent.")
    pool_min_users: int = Field(5, ge=1, description="Distinct users (not its builder or workspace) a GPT needs in a month to share the revenue pool.")
    pool_min_units: int = Field(10, ge=1, description="Engagement units (conversation-days) a GPT needs in a month to share the revenue pool.")
    pool_user_days_cap: int = Field(10, ge=1, le=31, description="Days one user can count for one GPT in a month's engagement units.")
    pool_verified_builders_only: bool = Field(
        True, description="Only builders with a verified website domain share the revenue pool (the demo catalogue's builders never are).")
    credits_currency: str = Field("USD", pattern=r"^[A-Z]{3}$", description="Currency of users' credit and of per-message prices (ISO 4217).")
    credit_packs: str = Field("500,1000,2500", pattern=r"^\s*\d+(\s*,\s*\d+)*\s*$",
                              description="Credit amounts a user can buy, in minor units (cents), comma-separated.")
    message_price_min: int = Field(1, ge=1, description="Lowest per-message price a builder may set on a GPT, in minor units (cents).")
    message_price_max: int = Field(100, ge=1, le=100_000, description="Highest per-message price a builder may set on a GPT, in minor units (cents).")
    commission_percent: int = Field(30, ge=0, le=100, description="Platform commission on per-message charges, in percent.")
    commission_small_builder_percent: int = Field(
        15, ge=0, le=100, description="Commission on per-message charges for builders whose message earnings this calendar year are under the threshold.")
    commission_small_builder_threshold: int = Field(
        100_000_000, ge=0, description="A builder's message earnings in a calendar year (minor units) under which the smaller commission applies.")
    credit_hold_minutes: int = Field(
        60, ge=1, le=1440, description="Minutes a priced message's credit stays reserved for a reply that never reports its outcome.")
    payout_minimum: int = Field(2500, ge=1, description="Smallest payout, in minor units (cents); a smaller balance is carried forward.")
    payout_hold_days: int = Field(
        14, ge=0, le=180, description="Days after a month ends before its payouts run, so refunds and clawbacks land before money leaves.")
    stripe_api_key: str | None = Field(None, description="Stripe secret API key (sk_...) for the `stripe` gateway.")
    stripe_webhook_secret: str | None = Field(None, description="Signing secret (whsec_...) of the Stripe webhook endpoint.")
    stripe_api_base: str | None = Field(None, description="Base URL of the Stripe API; default Stripe's. Tests point it at a local stand-in.")
    stripe_prices: str = Field("", description="Stripe Price ids per plan and interval: `plus:month=price_1,team:year=price_2`.")
    api_requests_per_minute: int = Field(60, ge=1, description="Requests per minute one API key may make to /v1/chat/completions.")
    api_tokens_per_minute: int = Field(100_000, ge=1, description="Model tokens (prompt and reply) per minute one API key may use.")
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024,
        description="Largest request body accepted outside /v1, in bytes (GPT imports and avatar uploads allow more); larger ones get 413 unread.")
    api_max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024, description="Largest /v1 request body accepted, in bytes; larger ones get 413 unread.")
    smtp_url: str | None = Field(
        None,
        description="Mail server for invitations and password reset links: `smtp://user:password@host:587` (STARTTLS when offered) "
                    "or `smtps://host:465`; unset: no email is sent.")
    mail_from: str = Field("Agora <agora@localhost>", description="From address of the email Agora sends.")
    require_email_verification: bool = Field(
        False,
        description="People who sign up with a password must follow the link emailed to them before they chat, build or buy "
                    "(browsing the store needs nothing); needs AGORA_SMTP_URL. Off: the link is still sent, and only offered.")
    usage_backlog: int = Field(
        50_000, ge=100,
        description="Usage records a worker keeps in memory while the database is away; past it, new replies are refused (503) until it is back.")
    api_base_models: str = Field(
        "*", description="Base models /v1 offers besides GPTs: `*` for every model of the provider, empty for none, or a comma-separated list.")
    audit_retention_days: int = Field(
        365, ge=1, le=36500, description="Days audit log entries are kept; older ones are pruned every hour, the chain left verifiable.")

    knowledge_max_files: int = Field(20, ge=1, le=1000, description="Most knowledge files one GPT may have.")
    knowledge_max_file_bytes: int = Field(
        512 * 1024 * 1024, ge=1024, le=512 * 1024 * 1024, description="Largest knowledge file accepted, in bytes (at most 512 MB).")
    knowledge_max_file_tokens: int = Field(2_000_000, ge=1, description="Most tokens of text one knowledge file may hold.")
    knowledge_chunk_tokens: int = Field(800, ge=50, le=4000, description="Tokens per knowledge chunk, for GPTs that set none of their own.")
    knowledge_chunk_overlap: int = Field(400, ge=0, le=3999, description="Tokens two neighbouring knowledge chunks share, for GPTs that set none of their own.")
    knowledge_workers: int = Field(
        1, ge=0, le=32, description="Ingestion threads in each `agora serve` worker process; 0 leaves ingestion to `agora worker`.")
    knowledge_s3_bucket: str | None = Field(
        None, description="S3-compatible bucket for knowledge files instead of `AGORA_HOME/knowledge/`; unset: files stay on this machine.")
    knowledge_s3_prefix: str = Field("knowledge/", description="Prefix of the knowledge files' object keys in the bucket (the key is prefix + SHA-256).")
    knowledge_s3_endpoint_url: str | None = Field(
        None, description="Address of an S3-compatible server (MinIO, Garage, Ceph, R2...); unset: AWS S3.")
    knowledge_s3_region: str | None = Field(None, description="Region of the knowledge bucket (AWS S3; most other servers ignore it).")
    knowledge_s3_access_key_id: str | None = Field(
        None, description="Access key id for the knowledge bucket; unset: boto3's usual sources (environment, instance role).")
    knowledge_s3_secret_access_key: str | None = Field(None, description="Secret access key for the knowledge bucket.")
    knowledge_context_tokens: int = Field(
        2000, ge=0, description="Most tokens of retrieved passages put in a prompt (never more than half the room the model has left).")
    knowledge_passages: int = Field(8, ge=1, le=20, description="Most retrieved passages put in a prompt.")
    mcp_stdio_config: Path | None = Field(
        None, description='A JSON file of stdio MCP servers administrators may connect ({"mcpServers": {"name": {"command", "args", "env"}}}).')
    embedder: str = Field("bundled", description="Embedder for knowledge: `bundled`, `openai` or one a plugin registers.")
    embedding_base_url: str = Field("https://api.openai.com/v1", description="Base URL of the OpenAI-compatible embedding server (`openai` embedder).")
    embedding_api_key: str | None = Field(None, description="API key sent to the embedding server.")
    embedding_model: str = Field("text-embedding-3-small", description="Model the embedding server is asked for.")
    embedding_timeout_seconds: float = Field(30.0, gt=0, description="How long to wait for the embedding server's answer.")

    moderation_review: Literal["everyone", "new_builders", "never"] = Field(
        "new_builders",
        description="Which public GPTs wait for a moderator before the store lists them: `everyone`, `new_builders` (fewer than 3 listed"
                    " GPTs or no verified domain) or `never`; a GPT the automated checks flag always waits.")
    moderation_provider: str = Field(
        "builtin", description="Policy screen of GPTs sent to the store: `builtin` (offline wordlists and classifier), `openai` (a /v1/moderations"
                               " endpoint) or one a plugin registers.")
    moderation_base_url: str = Field("https://api.openai.com/v1", description="Base URL of the OpenAI-compatible moderation server (`openai` provider).")
    moderation_api_key: str | None = Field(None, description="API key sent to the moderation server.")
    moderation_model: str = Field("omni-moderation-latest", description="Model the moderation server is asked for.")
    moderation_timeout_seconds: float = Field(
        15.0, gt=0, description="How long to wait for the moderation server; no answer flags the GPT for a person.")
    moderation_profanity_threshold: float = Field(
        0.9, gt=0, le=1, description="Built-in provider: probability of offensive language from the classifier above which a text is flagged.")
    moderation_protected_names: str = Field(
        "OpenAI,ChatGPT,Agora",
        description="Comma-separated brand names only their owners may use in a GPT's name or description (verified builders' names are protected too).")
    moderation_clone_threshold: float = Field(
        0.8, gt=0, le=1,
        description="Estimated Jaccard similarity of instructions (word 5-grams) from which a GPT is flagged as a clone of another builder's listed GPT.")
    moderation_notice_hours: int = Field(72, ge=0, description="Hours between a delisting's notice to its builder and its effect (severe categories: none).")
    moderation_sla_hours: int = Field(24, ge=1, description="Hours within which a pending GPT should be reviewed; the queue shows the ones past it.")
    moderation_reports_to_hide: int = Field(3, ge=1, description="Distinct users whose open reports hide a GPT from the store until a moderator reviews it.")
    moderation_reports_per_hour: int = Field(10, ge=1, description="Reports one user may send per hour.")
    leak_filter_words: int = Field(
        10, ge=1, le=200,
        description="Instruction-leak filter: the most consecutive words of a GPT's instructions a reply may repeat; the next one stops it.")
    moderation_messages: Literal["off", "flag", "block"] = Field(
        "off",
        description="Guardrails on chat messages, for every moderation category: `off` (nothing screened, no latency added), `flag` (the"
                    " exchange goes on and reaches the moderators' queue) or `block` (the message is refused, a reply withheld).")
    moderation_messages_categories: str = Field(
        "",
        description="Per-category exceptions to AGORA_MODERATION_MESSAGES, comma-separated `category=off|flag|block`, such as"
                    " `sexual/minors=block,harassment=flag`.")
    moderation_messages_replies: bool = Field(
        True, description="Whether the guardrails also screen each finished reply (on top of the person's messages).")

    @model_validator(mode="after")
    def _web_search_is_complete(self) -> Settings:
        if self.web_search_backend == "searxng" and not self.web_search_url:
            raise ValueError("AGORA_WEB_SEARCH_BACKEND=searxng needs AGORA_WEB_SEARCH_URL, the SearxNG's address (http://127.0.0.1:8888)")
        if self.web_search_backend == "brave" and not self.web_search_api_key:
            raise ValueError("AGORA_WEB_SEARCH_BACKEND=brave needs AGORA_WEB_SEARCH_API_KEY, a Brave Search API subscription token")
        return self

    @field_validator("moderation_messages_categories")
    @classmethod
    def _message_policy_is_readable(cls, value: str) -> str:
        # The category names are checked against the moderation categories when the app starts (agora.moderation.messages).
        for item in (part.strip() for part in value.split(",")):
            category, equals, action = (piece.strip() for piece in item.partition("="))
            if item and (not equals or not category or action not in ("off", "flag", "block")):
                raise ValueError(f"AGORA_MODERATION_MESSAGES_CATEGORIES: {item!r} is not `category=off|flag|block`;"
                                 " write it like `sexual/minors=block,harassment=flag`")
        return ",".join(part.strip().replace(" ", "") for part in value.split(",") if part.strip())

    @field_validator("public_url")
    @classmethod
    def _public_url_is_an_address(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("AGORA_PUBLIC_URL must look like https://agora.example.com, optionally with a path, without ? or #")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _verification_can_be_mailed(self) -> Settings:
        if self.require_email_verification and not self.smtp_url:
            raise ValueError("AGORA_REQUIRE_EMAIL_VERIFICATION=true needs AGORA_SMTP_URL, the mail server that sends the links "
                             "(smtp://user:password@host:587); without it nobody who signs up could ever verify")
        return self

    @model_validator(mode="after")
    def _price_bounds_in_order(self) -> Settings:
        if self.message_price_min > self.message_price_max:
            raise ValueError(f"AGORA_MESSAGE_PRICE_MIN ({self.message_price_min}) is above AGORA_MESSAGE_PRICE_MAX ({self.message_price_max})")
        return self

    def resolved_public_url(self) -> str:
        """Where absolute links point: AGORA_PUBLIC_URL, else the address `agora serve` listens on.

        Never the request's Host header: anyone can send one, and a link built from it would
        send an invited colleague (or their email) to the sender's site.
        """
        if self.public_url:
            return self.public_url.rstrip("/")
        host = socket.gethostname() if self.host in ("0.0.0.0", "::", "") else self.host  # every interface: this machine's name
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def offers_web_search(self) -> bool:
        """Whether a GPT's Web search capability does anything here: a search service, or page reading, is configured."""
        return bool(self.web_search_backend) or self.page_reading

    def offers_maps(self) -> bool:
        return bool(self.maps_geocoder_url)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'agora.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The configured key, or the one stored in AGORA_HOME (created once, atomically)."""
        if self.secret_key:
            return self.secret_key
        return _stored_secret_key(self.home)


def _stored_secret_key(home: Path) -> str:
    home.mkdir(parents=True, exist_ok=True)
    path = home / SECRET_KEY_FILE
    try:
        # O_EXCL: when several workers start at once, exactly one writes the key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_text().strip()
            if key:
                return key
            import time

            time.sleep(0.01)  # the creator has not written it yet
        raise RuntimeError(f"{path} is empty: delete it and start again to generate a new key") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
