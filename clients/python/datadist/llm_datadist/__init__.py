"""The ``llm_datadist`` Python API on a datadist node (CONTRACT §14): replace
``from llm_datadist import …`` with ``from datadist.llm_datadist import …``."""

from .cache_manager import CacheManager
from .configs import DataType, LLMClusterInfo, LLMConfig, LlmConfig, LLMRole, Placement, RegisterMemStatus
from .llm_datadist import LLMDataDist
from .llm_types import BlocksCacheKey, Cache, CacheDesc, CacheKey, CacheKeyByIdAndIndex
from .status import LLMException, LLMStatusCode

__all__ = [
    "BlocksCacheKey",
    "Cache",
    "CacheDesc",
    "CacheKey",
    "CacheKeyByIdAndIndex",
    "CacheManager",
    "DataType",
    "LLMClusterInfo",
    "LLMConfig",
    "LLMDataDist",
    "LLMException",
    "LLMRole",
    "LLMStatusCode",
    "LlmConfig",
    "Placement",
    "RegisterMemStatus",
]
