"""Personal-data screening (RGPD) of tabular data, and pseudonymisation.

findings = screen(frame, ignore_columns=["contact_mairie"])
safe = pseudonymise(frame, ["nom_beneficiaire"], key=committee_key)
"""

from catalog.privacy.pseudonymise import PseudonymisationError, pseudonymise
from catalog.privacy.screen import Finding, screen

__all__ = ["Finding", "PseudonymisationError", "pseudonymise", "screen"]
