"""Governance of a dataset: why it is held, on which GDPR article 6 basis, for how long,
and the committee's verdict on personal data. Declared in the committee file (a default
for every dataset at the top, per dataset under `datasets:`), shown in French on the
dataset page and written in DCAT with the Data Privacy Vocabulary's terms.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

# GDPR article 6(1), (a) to (f), as the Data Privacy Vocabulary's GDPR extension names
# them (https://w3id.org/dpv/legal/eu/gdpr), so DCAT carries a term, not a phrase.
GDPR = "https://w3id.org/dpv/legal/eu/gdpr#"
LEGAL_BASES = {"consent": "A6-1-a", "contract": "A6-1-b", "legal_obligation": "A6-1-c",
               "vital_interests": "A6-1-d", "public_task": "A6-1-e", "legitimate_interests": "A6-1-f"}
# Their French labels, and those of the personal-data verdicts, are the choices of the
# hub's CKAN dataset schema (deploy/local/ckan/hub_dataset.yaml).
# GDPR itself (ELI), DCAT-AP's dcatap:applicableLegislation for data with personal data.
GDPR_ELI = "http://data.europa.eu/eli/reg/2016/679/oj"


class Governance(BaseModel):
    """Every key optional: a dataset's own entry overrides the committee's default key by key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    purpose: str | None = None  # finalité: what the data is held and published for
    legal_basis: Literal["consent", "contract", "legal_obligation", "vital_interests", "public_task",
                         "legitimate_interests"] | None = None
    retention: str | None = None  # durée de conservation, as the committee states it ("5 ans")
    personal_data: Literal["none", "anonymised", "pseudonymised", "present"] | None = None

    def over(self, default: Governance | None) -> Governance:
        """This entry's keys, the default's where this one says nothing."""
        if default is None:
            return self
        mine = self.model_dump(exclude_none=True)
        return Governance(**{**default.model_dump(exclude_none=True), **mine})


def governance_fields(governance: Governance | None, exemption: str | None = None) -> dict:
    """The CKAN fields of the hub's dataset schema (deploy/local/ckan/hub_dataset.yaml):
    codes the page shows with French labels, the DPV IRI of the legal basis for DCAT."""
    governance = governance or Governance()
    return {
        "purpose": governance.purpose,
        "legal_basis": GDPR + LEGAL_BASES[governance.legal_basis] if governance.legal_basis else None,
        "retention": governance.retention,
        "personal_data_verdict": governance.personal_data,
        "personal_data_exemption": exemption,
        # Anonymised data is outside the GDPR (recital 26); pseudonymised data is not.
        "applicable_legislation": [GDPR_ELI] if governance.personal_data in ("pseudonymised", "present") else None,
    }


def dataset_governance(default: Governance | None, own: Governance | None, exemption: str | None) -> dict:
    """The CKAN fields of a member's dataset: its own governance over the committee's default."""
    return governance_fields(own.over(default) if own else default, exemption)
