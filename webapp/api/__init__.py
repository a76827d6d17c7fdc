"""The AI-Horde-compatible REST API v2, mounted under ``/api``."""
