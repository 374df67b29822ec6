"""claimwatch: watch news about places, extract figures, alert when they change."""

__version__ = "0.1.0"
