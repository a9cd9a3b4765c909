"""Certificate services: correction, reissue and replacement requests, authenticity checks of off-system certificates, share links (PRODUCT §7)."""
