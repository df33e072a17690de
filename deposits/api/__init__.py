"""Partner API endpoints for shops, deposits, ledgers and holds.

They live in deposits (not shops) because a shop's representation includes its deposit, and
shops may not import deposits. The shared plumbing (auth, idempotency, errors) is partners.api.
"""
