"""Users, organisations, roles, accreditations, API tokens and sessions."""
