"""Choosing the regional bucket that serves a Multi-Region Access Point request."""
