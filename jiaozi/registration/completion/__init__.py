"""Completion of a registration: filing the conclusion into the certificate registry
(``services``) and the stamped registration form (``form``)."""
