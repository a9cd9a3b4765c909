"""Registration applications: the applicant's start and draft, materials, reads and API."""
