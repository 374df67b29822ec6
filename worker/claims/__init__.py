"""Claim finding: article text → figures about watched regions. Pure functions, no I/O."""

from worker.claims._bootstrap import find_claims
from worker.claims.model import PRECISION_RANK, Claim, Kind, Qualifier

__all__ = ["PRECISION_RANK", "Claim", "Kind", "Qualifier", "find_claims"]
