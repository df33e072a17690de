"""Pure business rules of the deposit: plain values in, plain values out; no database, no Django.

Every other module asks these rules instead of doing the arithmetic itself, so that a rule lives
in one place (and its SQL twin in one versioned function, see `deposits/sql/coverage_v1.sql`).
"""
