"""Personal-data screening (RGPD) of tabular data, and pseudonymisation.

findings = screen(frame, ignore_columns=["contact_mairie"])
findings = screen_batches(batches_of_a_larger_table)  # the same findings, one batch in memory
safe = pseudonymise(frame, ["nom_beneficiaire"], key=committee_key)
"""

from catalog.privacy.pseudonymise import PseudonymisationError, pseudonymise
from catalog.privacy.screen import Finding, screen, screen_batches

__all__ = ["Finding", "PseudonymisationError", "pseudonymise", "screen", "screen_batches"]
