"""Governance in the open: risk assessments, the node's policies and their consultations, the
public governance register, and what the node runs (software version, SBOM, security.txt)."""
