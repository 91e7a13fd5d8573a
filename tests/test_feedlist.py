"""feeds.yaml validation: every error names the file, the line and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.errors import ConfigError
from tracker.feedlist import load_feedlist, parse_feedlist

GOOD = """\
feeds:
  - name: Wire A
    url: https://example.org/a.xml
  - name: Speeches
    url: http://example.org/s.xml
    kind: speech
"""


def test_good_file_gives_specs_with_defaults_and_lines():
    specs = parse_feedlist(GOOD, Path("feeds.yaml"))
    assert [(s.name, s.kind, s.line) for s in specs] == [("Wire A", "news", 2), ("Speeches", "speech", 4)]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "feeds:\n  - name: A\n    ulr: https://x.org/a\n",
            r"feeds.yaml:3: unknown feed key 'ulr' \(did you mean 'url'\?\)",
        ),
        ("feeds:\n  - name: A\n    kind: news\n", r"feeds.yaml:2: feed 'A' has no 'url'"),
        (
            "feeds:\n  - name: A\n    url: ftp://x.org/a\n",
            r"feeds.yaml:3: feed 'A': URL must start with http:// or https://",
        ),
        ("feeds:\n  - name: A\n    url: file:///etc/passwd\n", r"feeds.yaml:3: feed 'A': URL must start with http"),
        (
            "feeds:\n  - name: A\n    url: https://x.org/a\n  - name: A\n    url: https://x.org/b\n",
            r"feeds.yaml:4: duplicate feed name 'A' \(first at line 2\)",
        ),
        (
            "feeds:\n  - name: A\n    url: https://x.org/a\n    kind: blog\n",
            r"feeds.yaml:4: .*kind must be news or speech",
        ),
        ("feeds:\n  - name: A\n   url: [\n", r"feeds.yaml:\d+: not valid YAML"),
        ("fedes:\n  - name: A\n", r"unknown top-level key 'fedes'"),
        ("", r"empty file"),
        ("feeds:\n  - url: https://x.org/a\n", r"feeds.yaml:2: feed has no 'name'"),
    ],
)
def test_bad_files_are_rejected_with_file_line_and_reason(text, expected):
    with pytest.raises(ConfigError, match=expected):
        parse_feedlist(text, Path("feeds.yaml"))


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="feeds file not found"):
        load_feedlist(tmp_path / "nope.yaml")


def test_shipped_feeds_yaml_is_valid():
    specs = load_feedlist(Path(__file__).parent.parent / "feeds.yaml")
    assert len(specs) >= 10
    assert {s.kind for s in specs} == {"news", "speech"}
