"""Where the project's data lives: models/ (training data, gold sets, trained weights)."""

from __future__ import annotations

import os
from pathlib import Path

MODELS_ENV = "TRACKER_MODELS"


def models_dir() -> Path:
    """$TRACKER_MODELS, else the models/ folder of the source checkout."""
    if os.environ.get(MODELS_ENV):
        return Path(os.environ[MODELS_ENV])
    return Path(__file__).resolve().parent.parent / "models"


def extraction_gold_dir() -> Path:
    return models_dir() / "extraction" / "gold"
