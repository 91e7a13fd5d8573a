"""feeds.yaml: read and validate the user's feed list, with file and line in every error."""

from __future__ import annotations

import difflib
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from .errors import ConfigError
from .models import FeedSpec

FEED_KEYS = ("name", "url", "kind")
FEED_KINDS = ("news", "speech")


def _where(path: Path, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


def _scalar(path: Path, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise ConfigError(f"{_where(path, node)}: {what} must be a non-empty string")
    return str(node.value).strip()


def check_url(url: str) -> str | None:
    """Why a feed URL is unusable, or None when it is fine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"URL must start with http:// or https:// (got {url!r})"
    if not parts.hostname:
        return f"URL has no host (got {url!r})"
    return None


def parse_feedlist(text: str, path: Path) -> list[FeedSpec]:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{line}: not valid YAML: {getattr(e, 'problem', e)}") from e
    if root is None:
        raise ConfigError(f"{path}: empty file; expected a 'feeds:' list")
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{_where(path, root)}: expected a mapping with a 'feeds:' list")
    top = {key.value: value for key, value in root.value}
    unknown = [key for key in top if key != "feeds"]
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {unknown[0]!r}; expected only 'feeds'")
    feeds_node = top.get("feeds")
    if feeds_node is None:
        raise ConfigError(f"{path}: missing the 'feeds:' list")
    if not isinstance(feeds_node, yaml.SequenceNode):
        raise ConfigError(f"{_where(path, feeds_node)}: 'feeds' must be a list")

    specs: list[FeedSpec] = []
    seen_names: dict[str, int] = {}
    seen_urls: dict[str, int] = {}
    for item in feeds_node.value:
        where = _where(path, item)
        if not isinstance(item, yaml.MappingNode):
            raise ConfigError(f"{where}: each feed must be a mapping with name, url and kind")
        fields: dict[str, yaml.Node] = {}
        for key_node, value_node in item.value:
            key = str(key_node.value)
            if key not in FEED_KEYS:
                hint = difflib.get_close_matches(key, FEED_KEYS, n=1)
                suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise ConfigError(
                    f"{_where(path, key_node)}: unknown feed key {key!r}{suggestion}; allowed: {', '.join(FEED_KEYS)}"
                )
            fields[key] = value_node
        if "name" not in fields:
            raise ConfigError(f"{where}: feed has no 'name'")
        if "url" not in fields:
            raise ConfigError(f"{where}: feed {fields['name'].value!r} has no 'url'")
        name = _scalar(path, fields["name"], "'name'")
        url = _scalar(path, fields["url"], "'url'")
        problem = check_url(url)
        if problem:
            raise ConfigError(f"{_where(path, fields['url'])}: feed {name!r}: {problem}")
        kind = _scalar(path, fields["kind"], "'kind'") if "kind" in fields else "news"
        if kind not in FEED_KINDS:
            raise ConfigError(
                f"{_where(path, fields['kind'])}: feed {name!r}: kind must be news or speech (got {kind!r})"
            )
        line = item.start_mark.line + 1
        if name in seen_names:
            raise ConfigError(f"{where}: duplicate feed name {name!r} (first at line {seen_names[name]})")
        if url in seen_urls:
            raise ConfigError(f"{where}: feed {name!r} repeats the URL of line {seen_urls[url]}")
        seen_names[name] = line
        seen_urls[url] = line
        specs.append(FeedSpec(name=name, url=url, kind=kind, line=line))  # type: ignore[arg-type]
    return specs


def load_feedlist(path: Path) -> list[FeedSpec]:
    """The feeds of a feeds.yaml file; ConfigError with file and line when anything is off."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: feeds file not found") from e
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read feeds file: {e}") from e
    return parse_feedlist(text, path)
