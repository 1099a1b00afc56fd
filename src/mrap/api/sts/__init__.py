"""The STS Query API: caller identity and temporary credentials."""
