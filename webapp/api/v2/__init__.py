"""Handlers of ``/api/v2``: one module per resource; each handler parses, calls one service method, renders."""
