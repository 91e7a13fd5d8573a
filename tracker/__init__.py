"""tracker: an NLP news and speech signal tracker for officials' escalation language."""

__version__ = "0.1.0"

import os as _os

# Models come from installed packages only: never reach for a model hub at run time.
_os.environ.setdefault("HF_HUB_OFFLINE", "1")
_os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
