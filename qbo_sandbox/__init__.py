"""A local QuickBooks Online sandbox: Intuit's OAuth 2.0 and Accounting API v3 on loopback.

Standalone (no Odoo import): ``python -m qbo_sandbox`` from the repository root, or
``SandboxServer().start()`` in-process from tests.
"""
