"""Stdio MCP servers: commands the operator lists in a configuration file (AGORA_MCP_STDIO_CONFIG), never from the web.

The file has the shape MCP clients share (Claude Desktop, Cursor, VS Code):
``{"mcpServers": {"files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/srv/docs"], "env": {}}}}``.
An administrator then connects each one on the admin page, which lists its tools; Agora
starts the command for each call and stops it after.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from mcp.client.stdio import StdioServerParameters

NAME = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")


class ConfigError(Exception):
    """The stdio servers' file cannot be used: the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class Command:
    command: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None

    def parameters(self) -> StdioServerParameters:
        return StdioServerParameters(command=self.command, args=list(self.args), env=self.env or None, cwd=self.cwd)


def load(path: Path | None) -> dict[str, Command]:
    """The commands by name; none without a file. ConfigError, saying what to fix, for a file that is not as documented."""
    if path is None:
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"AGORA_MCP_STDIO_CONFIG: cannot read {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise ConfigError(f"AGORA_MCP_STDIO_CONFIG: {path} is not JSON: {error}") from None
    servers = document.get("mcpServers") if isinstance(document, dict) else None
    if not isinstance(servers, dict):
        raise ConfigError(f'AGORA_MCP_STDIO_CONFIG: {path} must be an object with "mcpServers": {{"name": {{"command": ...}}}}')
    return {name: _command(path, name, entry) for name, entry in servers.items()}


def _command(path: Path, name: str, entry: object) -> Command:
    where = f'AGORA_MCP_STDIO_CONFIG: {path}, server "{name}"'
    if not NAME.match(name):
        raise ConfigError(f"{where}: a name is 1 to 60 letters, digits, dots, dashes or underscores")
    if not isinstance(entry, dict) or not isinstance(entry.get("command"), str) or not entry["command"].strip():
        raise ConfigError(f'{where}: give the program to start as "command"')
    args, env, cwd = entry.get("args", []), entry.get("env", {}), entry.get("cwd")
    if not isinstance(args, list) or not all(isinstance(arg, str) for arg in args):
        raise ConfigError(f'{where}: "args" must be a list of strings')
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        raise ConfigError(f'{where}: "env" must map names to strings')
    if cwd is not None and not isinstance(cwd, str):
        raise ConfigError(f'{where}: "cwd" must be a folder path')
    unknown = set(entry) - {"command", "args", "env", "cwd", "type"}
    if unknown or entry.get("type", "stdio") != "stdio":
        raise ConfigError(f"{where}: only stdio servers (command, args, env, cwd) belong here; add HTTP servers on the admin page")
    return Command(command=entry["command"], args=tuple(args), env=dict(env), cwd=cwd)
