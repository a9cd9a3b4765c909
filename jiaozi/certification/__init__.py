"""Certification (认定): batches, applications with the §6 requirement check, decisions and certificate numbers (PRODUCT §3, §6)."""
