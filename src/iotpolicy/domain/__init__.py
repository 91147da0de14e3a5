"""What the policy means, over the models and the register's query layer: which advisories affect
a device, CSAF products and how they match devices, triage decisions, which exceptions are valid,
which flows the zones forbid. Rules, reports, importers and the review share it."""
