"""Python client for datadist nodes (CONTRACT §14). ``datadist.llm_datadist`` is the LLM-DataDist facade."""

from .client import Client, normalize_admin
from .errors import DataDistError

__all__ = ["Client", "DataDistError", "normalize_admin"]
__version__ = "0.2.0"
