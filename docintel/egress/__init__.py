"""Egress: every text that leaves the process passes here (secret detection and redaction, link checks)."""
