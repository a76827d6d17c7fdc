"""Pydantic models of the API v2, one module per resource as ``horde.webapp.api.v2``: they validate requests and
describe responses, and ``swagger.py`` turns the same classes into the Swagger 2.0 document. Names follow AI Horde's
definitions, so clients that look them up find them."""
